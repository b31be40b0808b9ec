"""Every route is registered once (STYLE 18): a router included twice (as
the issue #12 merges once left `promises`) serves its paths twice, and
OpenAPI warns of duplicate operation ids."""

from __future__ import annotations

import warnings
from collections import Counter

from stockd.entrypoints.api.app import create_app


def test_no_operation_is_registered_twice() -> None:
    app = create_app(workers=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Duplicate Operation ID …"
        schema = app.openapi()
    ids = Counter(
        op["operationId"]
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    )
    assert [x for x, n in ids.items() if n > 1] == []
    assert "get" in schema["paths"]["/v1/atp/{sku}"]
