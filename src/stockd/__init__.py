"""stockd: the inventory service that never oversells."""

__version__ = "0.1.0"
