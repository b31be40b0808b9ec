"""Monitoring over HTTP, against real `stockd serve` processes: `/metrics`
shows exactly what a scripted workload did, requests carry ids (header,
problem documents, JSON log lines), and `/readyz` reports each dependency."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import serving, serving_nodes
from tests.e2e.server import LiveServer
from tests.nats_server import NatsServer
from tests.redis_server import RedisServer
from tests.support import free_port

Figures = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: LiveServer) -> Figures:
    r = httpx.get(f"{server.url}/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(figures: Figures, name: str, **labels: str) -> float | None:
    return figures.get((name, frozenset(labels.items())))


def series(figures: Figures, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in figures.items() if n == name}


def eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.1)


def hold(client: httpx.Client, sku: str, quantity: int, **more: Any) -> httpx.Response:
    return client.post(
        "/v1/reservations", json={"lines": [{"sku": sku, "quantity": quantity}], **more}
    )


def ledger_head(server: LiveServer) -> int:
    async def read() -> int:
        conn = await asyncpg.connect(server.database_url)
        try:
            return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM ledger_events"))
        finally:
            await conn.close()

    return asyncio.run(read())


def stock(client: httpx.Client, sku: str, on_hand: int) -> None:
    r = client.post("/v1/locations", json={"id": "x", "name": "x", "priority": 1})
    assert r.status_code == 201, r.text
    r = client.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
    assert r.status_code == 201, r.text
    change = {"sku": sku, "location": "x", "state": "on_hand", "delta": on_hand, "reason": "r"}
    r = client.post("/v1/adjustments", json={"changes": [change]})
    assert r.status_code == 200, r.text


def test_metrics_show_exactly_what_a_scripted_workload_did(
    pg_server_url: str, tmp_path: Path, redis_server: RedisServer, nats_server: NatsServer
) -> None:
    receiver = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens: every attempt fails
    with (
        serving(
            pg_server_url,
            tmp_path,
            "stockd_monitoring",
            STOCKD_LOG_LEVEL="info",
            STOCKD_LOG_FORMAT="json",
            STOCKD_EXPIRY_INTERVAL_SECONDS="0.1",
            STOCKD_REDIS_URL=redis_server.url,
            STOCKD_NATS_URL=nats_server.url,
            STOCKD_WEBHOOKS_ALLOW_PRIVATE="true",
            STOCKD_WEBHOOKS_MAX_ATTEMPTS="1",
        ) as server,
        httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client,
    ):
        stock(client, "S", 4)
        r = client.post("/v1/webhooks", json={"url": receiver, "events": ["reservation.created"]})
        assert r.status_code == 201, r.text
        webhook = r.json()["id"]
        before = scrape(server)

        for _ in range(3):
            assert hold(client, "S", 1).status_code == 201
        assert hold(client, "S", 1, ttl_seconds=1).status_code == 201  # expires
        for _ in range(2):
            r = hold(client, "S", 10)
            assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
        r = client.post("/v1/reservations", json={"lines": [{"sku": "S", "quantity": "many"}]})
        assert r.status_code == 422
        assert client.get("/v1/reservations/res_nope").status_code == 404
        assert client.get("/v1/nothing-here").status_code == 404

        eventually(lambda: value(scrape(server), "stockd_holds_expired_total") == 1)
        eventually(
            lambda: (
                value(scrape(server), "stockd_webhook_deliveries", webhook=webhook, status="dead")
                == 4
            )
        )
        time.sleep(1.1)  # the store's figures are read at most once a second
        after = scrape(server)

        def grew(name: str, **labels: str) -> float:
            return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

        assert grew("stockd_holds_granted_total") == 4
        assert grew("stockd_holds_refused_total", reason="insufficient_stock") == 2
        assert series(after, "stockd_holds_refused_total").keys() == {
            frozenset({("reason", "insufficient_stock")})
        }, "a body refused before the hold path is not a hold refusal"
        assert grew("stockd_holds_expired_total") == 1
        assert grew("stockd_group_commit_batch_size_sum") == 6  # every hold decided, once
        hot = {"method": "POST", "route": "/v1/reservations"}
        assert grew("stockd_http_requests_total", **hot, status="201") == 4
        assert grew("stockd_http_requests_total", **hot, status="409") == 2
        assert grew("stockd_http_requests_total", **hot, status="422") == 1
        assert grew("stockd_http_request_duration_seconds_count", **hot) == 7
        assert grew("stockd_http_request_duration_seconds_bucket", **hot, le="+Inf") == 7
        one = {"method": "GET", "route": "/v1/reservations/{reservation_id}", "status": "404"}
        assert grew("stockd_http_requests_total", **one) == 1
        gone = {"method": "GET", "route": "unmatched", "status": "404"}
        assert grew("stockd_http_requests_total", **gone) == 1
        routes = {dict(labels)["route"] for labels in series(after, "stockd_http_requests_total")}
        assert not any("res_nope" in r or "nothing-here" in r for r in routes), routes

        assert value(after, "stockd_store_up") == 1
        assert value(after, "stockd_units_oversold") == 0
        assert value(after, "stockd_ledger_head_seq") == ledger_head(server)
        assert value(after, "stockd_webhook_lag_events", webhook=webhook) == 0
        assert value(after, "stockd_webhook_deliveries", webhook=webhook, status="failed") == 0
        relays = series(after, "stockd_relay_lag_events")
        assert relays
        assert all(lag == 0 for lag in relays.values()), relays
        assert value(after, "stockd_reconciliation_discrepancy_rate") is None  # none yet
        assert value(after, "stockd_db_pool_max_connections") == 20
        busy = value(after, "stockd_db_pool_connections", state="busy")
        idle = value(after, "stockd_db_pool_connections", state="idle")
        assert busy is not None
        assert idle is not None
        assert busy + idle >= 1
        for dependency, required in (("database", "true"), ("redis", "false"), ("nats", "false")):
            labels = {"dependency": dependency, "required": required}
            assert value(after, "stockd_dependency_up", **labels) == 1, dependency
        reads = series(after, "stockd_cache_reads_total")
        assert reads, "the read caches' figures are still there"

        ready = client.get("/readyz")
        assert ready.status_code == 200
        checks = ready.json()["checks"]
        assert {name: c["status"] for name, c in checks.items()} == {
            "database": "ok",
            "redis": "ok",
            "nats": "ok",
        }
        assert ready.json()["status"] == "ok"


def test_every_answer_names_its_request_in_a_header_problems_and_json_logs(
    pg_server_url: str, tmp_path: Path
) -> None:
    with (
        serving(
            pg_server_url,
            tmp_path,
            "stockd_monitoring",
            STOCKD_LOG_LEVEL="info",
            STOCKD_LOG_FORMAT="json",
        ) as server,
        httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client,
    ):
        given = client.get("/v1/reservations/res_nope", headers={"X-Request-Id": "req-1.a:B_c"})
        assert given.status_code == 404
        assert given.headers["x-request-id"] == "req-1.a:B_c"
        assert given.json()["request_id"] == "req-1.a:B_c"

        made = client.post("/v1/reservations", json={"lines": []})  # lean route, 422
        assert made.status_code == 422
        assert len(made.headers["x-request-id"]) == 16
        assert made.json()["request_id"] == made.headers["x-request-id"]

        for bad in ("has spaces", "<script>", "x" * 129):
            refused = client.get("/healthz", headers={"X-Request-Id": bad})
            assert len(refused.headers["x-request-id"]) == 16, "not well-formed: a fresh one"

        edge = client.post(  # refused by the request edge, before any route
            "/v1/reservations", content=b"x", headers={"Content-Type": "text/plain"}
        )
        assert edge.status_code == 415
        assert edge.json()["request_id"] == edge.headers["x-request-id"]

        unauthorised = httpx.post(f"{server.url}/v1/reservations", json={"lines": []})
        assert unauthorised.status_code == 401
        assert unauthorised.json()["request_id"] == unauthorised.headers["x-request-id"]

        def logged() -> list[dict[str, Any]]:
            lines = []
            for line in server.log.read_text().splitlines():
                if line.startswith("{"):
                    lines.append(json.loads(line))
            return lines

        def access(request_id: str) -> list[dict[str, Any]]:
            return [
                line
                for line in logged()
                if line["logger"] == "stockd.access" and line["request_id"] == request_id
            ]

        eventually(lambda: bool(access("req-1.a:B_c")))
        [line] = access("req-1.a:B_c")
        assert line["level"] == "info"
        assert line["method"] == "GET"
        assert line["route"] == "/v1/reservations/{reservation_id}"
        assert line["path"] == "/v1/reservations/res_nope"
        assert line["status"] == 404
        assert line["duration_ms"] >= 0
        assert line["client"] == "127.0.0.1"
        assert line["time"].endswith("+00:00")
        [line] = access(made.headers["x-request-id"])
        assert (line["route"], line["status"]) == ("/v1/reservations", 422)
        assert any(line["logger"].startswith("uvicorn") for line in logged()), (
            "uvicorn's own records go through the same format"
        )


def test_readyz_reports_a_dependency_that_is_down(pg_server_url: str, tmp_path: Path) -> None:
    closed = free_port()
    with serving(
        pg_server_url,
        tmp_path,
        "stockd_monitoring",
        STOCKD_REDIS_URL=f"redis://127.0.0.1:{closed}/0",
        STOCKD_NATS_URL=f"nats://127.0.0.1:{closed}",
    ) as server:
        r = httpx.get(f"{server.url}/readyz", timeout=10)
        assert r.status_code == 200, "Redis and NATS are not required: the node still serves"
        found = r.json()
        assert found["status"] == "degraded"
        checks = found["checks"]
        assert checks["database"]["status"] == "ok"
        assert checks["database"]["required"] is True
        for name in ("redis", "nats"):
            assert checks[name]["status"] == "down", checks
            assert checks[name]["required"] is False
            assert checks[name]["detail"]
            assert checks[name]["seconds"] < 5
        figures = scrape(server)
        assert value(figures, "stockd_dependency_up", dependency="redis", required="false") == 0
        assert value(figures, "stockd_dependency_up", dependency="nats", required="false") == 0
        assert value(figures, "stockd_dependency_up", dependency="database", required="true") == 1


def test_one_scrape_shows_every_process_of_a_node(pg_server_url: str, tmp_path: Path) -> None:
    """`serve -p 2`: two API processes and one for the workers; whichever
    process a scrape reaches, it shows the holds both API processes granted
    and the hold the worker process expired."""
    with (
        serving_nodes(
            pg_server_url,
            tmp_path,
            "stockd_monitoring",
            1,
            STOCKD_EXPIRY_INTERVAL_SECONDS="0.1",
            args=("-p", "2"),
        ) as (server,),
    ):
        pids: set[str] = set()
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:
            stock(client, "S", 100)
            for _ in range(20):  # new connections: the kernel spreads them over both processes
                with httpx.Client(base_url=server.url, headers=server.headers) as one:
                    assert hold(one, "S", 1).status_code == 201
                    pids |= {
                        dict(labels)["pid"]
                        for labels in series(scrape(server), "stockd_cache_entries")
                    }
            assert hold(client, "S", 1, ttl_seconds=1).status_code == 201
            eventually(lambda: value(scrape(server), "stockd_holds_expired_total") == 1)
            hot = {"method": "POST", "route": "/v1/reservations", "status": "201"}
            # each process adds its requests to the figures once a second
            eventually(lambda: value(scrape(server), "stockd_http_requests_total", **hot) == 21)
            for _ in range(6):
                figures = scrape(server)
                assert value(figures, "stockd_holds_granted_total") == 21
                assert value(figures, "stockd_http_requests_total", **hot) == 21
        assert len(pids) == 2, "scrapes reached both API processes"
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir()), (
        "the figures' directory is removed at exit"
    )


def test_the_discrepancy_rate_is_the_last_reconciliations_and_alerts_while_above_zero(
    pg_server_url: str, tmp_path: Path
) -> None:
    """A level edited behind the ledger's back: a dry run over HTTP reports
    it, `/metrics` shows that run's rate (what `StockdReconciliationDiscrepancies`
    fires on), and after a repairing run and a clean one it shows 0."""
    with (
        serving(pg_server_url, tmp_path, "stockd_monitoring") as server,
        httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as client,
    ):
        assert value(scrape(server), "stockd_reconciliation_discrepancy_rate") is None
        stock(client, "S", 4)

        async def edit() -> None:
            conn = await asyncpg.connect(server.database_url)
            try:
                await conn.execute("UPDATE levels SET on_hand = on_hand + 2 WHERE sku = 'S'")
            finally:
                await conn.close()

        asyncio.run(edit())
        r = client.post("/v1/reconciliations", json={"apply": False})
        assert r.status_code == 201, r.text
        report = r.json()
        assert (report["levels_checked"], report["differences"]) == (1, 1)
        eventually(
            lambda: (
                value(scrape(server), "stockd_reconciliation_discrepancy_rate")
                == report["discrepancy_rate"]
                == 1.0
            )
        )

        r = client.post("/v1/reconciliations", json={"apply": True})
        assert (r.status_code, r.json()["repaired"]) == (201, 1), r.text
        r = client.post("/v1/reconciliations", json={"apply": False})
        assert (r.status_code, r.json()["differences"]) == (201, 0), r.text
        eventually(lambda: value(scrape(server), "stockd_reconciliation_discrepancy_rate") == 0)
