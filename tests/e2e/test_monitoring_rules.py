"""The shipped alert rules and Grafana dashboard: well-formed, and naming
only metrics `/metrics` really exposes (cross-checked against a scrape)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from stockd.bootstrap import Container
from stockd.entrypoints.api.app import create_app
from stockd.service.monitoring import CachedFigures
from stockd.service.ports import StoreFigures
from tests.e2e.conftest import Api

DEPLOY = Path(__file__).parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "stockd.json"

PROMETHEUS_OWN = {"up"}
"""Series Prometheus makes itself, not stockd."""

NAME = re.compile(r"\b[a-z_:][a-z0-9_:]*\b")
FUNCTIONS_AND_WORDS = {
    "sum", "min", "max", "avg", "count", "by", "without", "rate", "deriv",
    "histogram_quantile", "and", "or", "unless", "on", "ignoring", "bool", "le",
}  # fmt: skip


class WithReconciliation:
    """The store's figures as read, plus a finished reconciliation (its
    table is another part of issue #11: its own test reads it for real)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    async def figures(self) -> StoreFigures:
        return dataclasses.replace(await self.real.figures(), discrepancy_rate=0.0)


@pytest.fixture
async def exposed(db: Container, api: Api) -> set[str]:
    """Every sample name the node's /metrics can show, after a hold."""
    await api.setup_basics()
    r = await api.post("/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1}]})
    assert r.status_code == 201, r.text
    assert db.figures is not None
    container = dataclasses.replace(
        db, figures=CachedFigures(WithReconciliation(db.figures.reader))
    )
    app = create_app(container, workers=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://stockd.test"
    ) as client:
        text = (await client.get("/metrics")).text
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_sum", "_count"),
        }.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
        names |= {sample.name for sample in family.samples}
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not label names, values,
    functions or keywords)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    without_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", without_labels)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_groupings)
    return {n for n in NAME.findall(without_ranges) if n not in FUNCTIONS_AND_WORDS}


def balanced(expr: str) -> bool:
    depth = 0
    for c in re.sub(r'"[^"]*"', "", expr):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1, "[": 1, "]": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(RULES.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_the_rules_file_is_what_promtool_accepts() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH (the shape test below still runs)")
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_has_a_threshold_a_severity_and_words_for_the_operator() -> None:
    found = rules()
    names = [r["alert"] for r in found]
    assert len(names) == len(set(names)), "alert names are unique"
    for rule in found:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["description"]
        assert balanced(rule["expr"]), rule["expr"]
        assert re.search(r"(==|!=|>=|<=|>|<)\s*[\d.]+\s*$", rule["expr"].strip()), rule["expr"]


def test_the_rules_cover_what_the_issue_asks_for() -> None:
    exprs = {r["alert"]: " ".join(r["expr"].split()) for r in rules()}
    wanted = {
        "StockdOversold": "max(stockd_units_oversold) > 0",
        "StockdReconciliationDiscrepancies": "max(stockd_reconciliation_discrepancy_rate) > 0",
    }
    for alert, expr in wanted.items():
        assert exprs[alert] == expr
    used = " ".join(exprs.values())
    for metric in (
        "stockd_relay_lag_events",
        'stockd_webhook_deliveries{status="dead"}',
        "stockd_http_request_duration_seconds_bucket",
        "stockd_dependency_up",
    ):
        assert metric in used, metric


async def test_the_rules_name_only_metrics_stockd_exposes(exposed: set[str]) -> None:
    for rule in rules():
        unknown = metric_names(rule["expr"]) - exposed - PROMETHEUS_OWN
        assert not unknown, f"{rule['alert']}: {unknown}"


async def test_the_dashboard_is_grafana_json_naming_only_exposed_metrics(
    exposed: set[str],
) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "stockd"
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    read: set[str] = set()
    for panel in panels:
        assert panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert balanced(target["expr"]), target["expr"]
            names = metric_names(target["expr"])
            assert names, target["expr"]
            assert not names - exposed, f"{panel['title']}: {names - exposed}"
            read |= names
    for figure in (
        "stockd_http_requests_total",
        "stockd_http_request_duration_seconds_bucket",
        "stockd_holds_granted_total",
        "stockd_holds_refused_total",
        "stockd_units_oversold",
        "stockd_relay_lag_events",
        "stockd_webhook_lag_events",
        "stockd_webhook_deliveries",
        "stockd_cache_reads_total",
        "stockd_db_pool_connections",
        "stockd_reconciliation_discrepancy_rate",
    ):
        assert figure in read, f"the dashboard shows {figure}"
