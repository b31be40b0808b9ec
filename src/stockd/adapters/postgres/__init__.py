"""The PostgreSQL store: the only source of truth."""
