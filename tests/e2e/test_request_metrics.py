"""Requests are counted by route template, in-process: every kind of route
(FastAPI, lean, pages) and requests no route answered."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Api


async def requests_by_label(api: Api) -> dict[tuple[str, str, str], float]:
    text = (await api.get("/metrics")).text
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "stockd_http_requests"
        for s in family.samples
        if s.name.endswith("_total")
    }


async def test_requests_are_counted_by_route_template_never_by_path(api: Api) -> None:
    before = await requests_by_label(api)
    for path in ("/v1/skus/A1", "/v1/skus/B2", "/v1/availability/A1", "/docs", "/dashboard"):
        await api.get(path)
    await api.get("/v1/nothing/here")
    await api.get("/v1/skus/")  # a trailing slash is no route (no redirect)
    await api.delete("/healthz")
    await api.request("PURGE", "/healthz")  # methods outside a fixed set are one label
    after = await requests_by_label(api)
    grown = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    grown.pop(("GET", "/metrics", "200"), None)  # the first scrape
    assert grown == {
        ("GET", "/v1/skus/{sku}", "404"): 2,
        ("GET", "/v1/availability/{sku}", "404"): 1,
        ("GET", "/docs", "200"): 1,
        ("GET", "/dashboard", "200"): 1,
        ("GET", "unmatched", "404"): 2,
        ("DELETE", "/healthz", "405"): 1,
        ("OTHER", "/healthz", "405"): 1,
    }
