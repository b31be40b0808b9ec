"""Background workers. Each runs inside `stockd serve` or alone (`stockd worker NAME`);
all are safe to run on several nodes at once."""
