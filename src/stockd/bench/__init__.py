"""Benchmarks (`stockd bench …`, `make bench`): figures, never asserted in tests."""
