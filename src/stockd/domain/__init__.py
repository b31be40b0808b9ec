"""Pure inventory domain: quantities, invariants, policies and allocation.

Imports only the standard library and itself (checked by import-linter).
"""
