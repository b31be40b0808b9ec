"""`POST /v1/reconciliations` runs the reconciler and answers with its
report; `GET` lists past runs and pages a run's findings. Admin only; bad
input is a 422 naming what is wrong, and nothing runs."""

from __future__ import annotations

import asyncpg
import httpx

from stockd.bootstrap import Container
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api


async def test_a_run_over_http_reports_repairs_and_is_listed(
    api: Api, raw: asyncpg.Connection
) -> None:
    await api.setup_basics()
    await raw.execute("UPDATE levels SET on_hand = 12")
    r = await api.post("/v1/reconciliations", json={})
    assert r.status_code == 201, r.text
    report = r.json()
    assert r.headers["location"] == f"/v1/reconciliations/{report['id']}"
    assert (report["apply"], report["clean"], report["differences"], report["repaired"]) == (
        False,
        False,
        1,
        0,
    )
    assert report["discrepancy_rate"] == 1.0
    [finding] = report["findings"]
    assert finding["check"] == "replay"
    assert finding["expected"] == {"on_hand": 10}
    assert finding["actual"] == {"on_hand": 12}

    r = await api.post("/v1/reconciliations", json={"apply": True, "skus": ["A"]})
    assert r.status_code == 201, r.text
    repaired = r.json()
    assert (repaired["repaired"], repaired["skus"]) == (1, ["A"])
    assert repaired["findings"][0]["repaired"] is True
    assert await raw.fetchval("SELECT on_hand FROM levels") == 10

    listed = (await api.get("/v1/reconciliations", params={"limit": 1})).json()
    assert [i["id"] for i in listed["items"]] == [repaired["id"]]
    older = (await api.get("/v1/reconciliations", params={"cursor": listed["next_cursor"]})).json()
    assert [i["id"] for i in older["items"]] == [report["id"]]
    assert older["next_cursor"] is None
    got = (await api.get(f"/v1/reconciliations/{report['id']}")).json()
    assert got["findings"] == report["findings"]
    assert got["finished_at"] is not None


async def test_findings_are_paged(api: Api, raw: asyncpg.Connection) -> None:
    await api.setup_basics()
    await api.post("/v1/skus", json={"sku": "B", "product_id": "P", "name": "B"})
    await raw.execute(
        "INSERT INTO levels (sku, location, on_hand, updated_at)"
        " VALUES ('B', 'x', 1, now()), ('B', 'y', 2, now())"
    )
    await raw.execute("UPDATE levels SET on_hand = on_hand + 1 WHERE sku = 'A'")
    run = (await api.post("/v1/reconciliations", json={})).json()
    assert run["differences"] == 3
    first = (await api.get(f"/v1/reconciliations/{run['id']}", params={"limit": 2})).json()
    second = (
        await api.get(
            f"/v1/reconciliations/{run['id']}", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    subjects = [f["subject"] for f in first["findings"] + second["findings"]]
    assert subjects == ["A@x", "B@x", "B@y"]
    assert second["next_cursor"] is None


async def test_an_idempotent_retry_answers_with_the_same_run(api: Api) -> None:
    await api.setup_basics()
    headers = {"Idempotency-Key": "rec-1"}
    first = await api.post("/v1/reconciliations", json={"apply": True}, headers=headers)
    again = await api.post("/v1/reconciliations", json={"apply": True}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await api.post("/v1/reconciliations", json={"apply": False}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    listed = (await api.get("/v1/reconciliations")).json()
    assert len(listed["items"]) == 1


async def test_bad_input_is_a_422_that_names_it_and_runs_nothing(api: Api) -> None:
    await api.setup_basics()
    for body, where in (
        ({"apply": "yes"}, "apply"),
        ({"skus": []}, "skus"),
        ({"skus": ["bad sku"]}, "skus"),
        ({"apply": True, "extra": 1}, "extra"),
    ):
        r = await api.post("/v1/reconciliations", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert where in r.text
    r = await api.post("/v1/reconciliations", json={"skus": ["A", "NOPE"]})
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_reference"
    assert "NOPE" in r.json()["detail"]
    assert (await api.get("/v1/reconciliations")).json()["items"] == []
    assert (await api.get("/v1/reconciliations/rec_00ff")).status_code == 404
    assert (await api.get("/v1/reconciliations/nope")).status_code == 422


async def test_only_admin_keys_may_run_or_read_reconciliations(api: Api, db: Container) -> None:
    _, token = await create_key(db.bus, "writer", {Scope.READ, Scope.WRITE})
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=api._transport, base_url=str(api.base_url)) as c:
        assert (await c.post("/v1/reconciliations", json={}, headers=headers)).status_code == 403
        assert (await c.get("/v1/reconciliations", headers=headers)).status_code == 403
