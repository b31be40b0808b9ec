"""The JSON HTTP API under /v1."""
