"""Use cases: commands go through the message bus to handlers; queries read.

The service layer talks to storage only through the ports in `ports.py`.
"""
