"""Entrypoints: HTTP API, CLI and background workers. Thin: they turn input
into commands and results into output."""
