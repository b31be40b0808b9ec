"""`client.reconciliations`: run the reconciler, read past runs."""

from __future__ import annotations

from collections.abc import Sequence

from stockd.client.calls import Args
from stockd.client.endpoints import Resource, T, by_cursor, endpoint
from stockd.client.models import ReconciliationPage, ReconciliationRead


class Reconciliations(Resource[T]):
    @endpoint("POST", "/v1/reconciliations", ReconciliationRead)
    def run(
        self,
        *,
        apply: bool = False,
        skus: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Args:
        """Run the reconciler now (admin); with `apply`, repair what it finds.
        The report carries the first 100 findings; `get` pages the rest."""
        body: dict[str, object] = {"apply": apply}
        if skus is not None:
            body["skus"] = list(skus)
        return Args(json=body, idempotency_key=idempotency_key)

    @endpoint("GET", "/v1/reconciliations/{run_id}", ReconciliationRead)
    def get(self, run_id: str, *, limit: int | None = None, cursor: str | None = None) -> Args:
        """A run with a page of its findings (`cursor`: the report's `next_cursor`)."""
        return Args(params={"limit": limit, "cursor": cursor})

    @endpoint("GET", "/v1/reconciliations", ReconciliationPage)
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Args:
        """Past runs, newest first (without their findings)."""
        return Args(params={"limit": limit, "cursor": cursor})

    iter = by_cursor(list)
