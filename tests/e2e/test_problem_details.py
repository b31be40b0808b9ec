"""What problem documents say: scopes, times, allowed methods, contention."""

from __future__ import annotations

from stockd.bootstrap import Container
from stockd.service.auth import Scope, create_key
from tests.e2e.conftest import Api


async def test_a_forbidden_problem_names_scopes_plainly(api: Api, db: Container) -> None:
    _, token = await create_key(db.keys, "reader", {Scope.READ}, db.clock.now())
    r = await api.post(
        "/v1/skus",
        json={"sku": "Z", "product_id": "P", "name": "Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403
    problem = r.json()
    assert problem["detail"] == "this key has scope 'read'; the request needs 'admin'"
    assert (problem["scopes"], problem["needed"]) == (["read"], "admin")
