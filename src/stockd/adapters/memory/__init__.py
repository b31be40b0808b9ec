"""In-memory fakes of every port, for fast unit tests of the service layer.

They follow the same contracts as the PostgreSQL adapter (the contract tests
run against both); transactions are serialised by one lock and isolated by
working on a copy that `commit` publishes.
"""

from stockd.adapters.memory.store import (
    MemoryApiKeyStore,
    MemoryMaintenance,
    MemoryReadModel,
    MemoryStore,
    MemoryUnitOfWork,
)

__all__ = [
    "MemoryApiKeyStore",
    "MemoryMaintenance",
    "MemoryReadModel",
    "MemoryStore",
    "MemoryUnitOfWork",
]
