"""The live dashboard: the page as served (in-process), and in headless
Chromium against a real `stockd serve`: signing in, a level change arriving
live, a screenshot.

The browser is Debian's `chromium` driven by Playwright (`executable_path`:
Playwright's own browser downloads are not used). Without it the browser test
is skipped, unless CI=true, where it fails. STOCKD_UPDATE_SCREENSHOT=1 copies
the screenshot to docs/dashboard.png."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Api
from tests.e2e.server import LiveServer, cli_env, stockd
from tests.support import IN_CI

CHROMIUM = Path(os.environ.get("STOCKD_TEST_CHROMIUM", "/usr/bin/chromium"))
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


# -- the page as served --------------------------------------------------------


async def test_the_page_and_its_assets_are_served_without_a_key_and_locked_down(api: Api) -> None:
    anonymous = {"Authorization": ""}
    for path, media_type in (
        ("/dashboard", "text/html"),
        ("/dashboard/dashboard.js", "text/javascript"),
        ("/dashboard/dashboard.css", "text/css"),
    ):
        r = await api.get(path, headers=anonymous)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith(media_type)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self';" in csp
        assert "connect-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    page = (await api.get("/dashboard")).text
    # No inline script, style or handler: the policy would refuse them.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="dashboard/dashboard.js" defer>']
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page)


async def test_the_dashboard_is_not_an_api_operation(api: Api) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith("/dashboard")]
    assert (await api.get("/dashboard/nope.js")).status_code == 404


# -- in a browser --------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # As root (containers, CI) Chromium refuses to start with its sandbox.
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        try:
            yield browser
        finally:
            browser.close()


def read_key(server: LiveServer, home: Path) -> str:
    made = stockd(
        "keys",
        "create",
        "--scope",
        "read",
        "--name",
        "dashboard",
        env=cli_env(server.database_url, home),
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def shop(http: httpx.Client) -> None:
    """Three warehouses and a few SKUs: some plentiful, some low, one out."""
    for loc, name, priority in (
        ("berlin", "Berlin DC", 1),
        ("hamburg", "Hamburg DC", 2),
        ("munich", "Munich store", 3),
    ):
        ok(http.post("/v1/locations", json={"id": loc, "name": name, "priority": priority}), 201)
    skus = {
        "TSHIRT-S": ("T-shirt, small", {"berlin": 12, "hamburg": 6}),
        "TSHIRT-M": ("T-shirt, medium", {"berlin": 10, "hamburg": 4, "munich": 2}),
        "TSHIRT-L": ("T-shirt, large", {"hamburg": 3}),
        "MUG-BLUE": ("Mug, blue", {"berlin": 40}),
        "CAP-RED": ("Cap, red", {"munich": 1}),
        "SOCKS-3": ("Socks, 3 pairs", {}),
    }
    for code, (name, stock) in skus.items():
        ok(http.post("/v1/skus", json={"sku": code, "product_id": code[:4], "name": name}), 201)
        changes = [
            {"sku": code, "location": loc, "state": "on_hand", "delta": n, "reason": "received"}
            for loc, n in stock.items()
        ]
        if changes:
            ok(http.post("/v1/adjustments", json={"changes": changes}))
    damaged = {
        "sku": "TSHIRT-M",
        "location": "berlin",
        "state": "damaged",
        "from_state": "on_hand",
        "delta": 1,
        "reason": "torn",
    }
    ok(http.post("/v1/adjustments", json={"changes": [damaged]}))


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def test_a_reservation_made_over_the_api_shows_up_live(
    empty_live: LiveServer, chromium: Any, tmp_path: Path
) -> None:
    # (The server first: it starts with asyncio.run, which Playwright's sync
    # API, running its own event loop in this thread, would not allow after.)
    from playwright.sync_api import expect

    key = read_key(empty_live, tmp_path)
    with httpx.Client(base_url=empty_live.url, headers=empty_live.headers, timeout=30) as http:
        shop(http)
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{empty_live.url}/dashboard")

        # A wrong key is told apart, and nothing is kept.
        page.fill("#key", "sk_not_a_key")
        page.click("#sign-in button[type=submit]")
        expect(page.locator("#sign-in-error")).to_contain_text("not accepted")
        assert page.evaluate("sessionStorage.length") == 0
        assert [p for p in problems if "401" not in p] == []
        problems.clear()  # the browser logs the 401 it was meant to get

        page.fill("#key", key)
        page.click("#sign-in button[type=submit]")
        expect(page.locator("#dashboard-view")).to_be_visible()
        expect(page.locator("#status")).to_have_text("live")
        expect(page.locator("#count-skus")).to_have_text("6")
        expect(page.locator("#out-list")).to_contain_text("SOCKS-3")
        expect(page.locator("#low-list")).to_contain_text("CAP-RED")
        assert page.evaluate("sessionStorage.getItem('stockd.dashboard.key')") == key

        page.fill("#sku-search", "medium")
        page.click("#sku-results li[data-sku='TSHIRT-M']")
        berlin = "#levels td[data-location='berlin'][data-state='{}']"
        total = "#levels td[data-location='total'][data-state='{}']"
        expect(page.locator(berlin.format("reserved"))).to_have_text("0")
        expect(page.locator(berlin.format("available"))).to_have_text("9")
        expect(page.locator(berlin.format("damaged"))).to_have_text("1")
        expect(page.locator(total.format("on_hand"))).to_have_text("16")
        expect(page.locator(total.format("available"))).to_have_text("15")
        page.evaluate("window.stillTheSamePage = true")

        hold = ok(
            http.post(
                "/v1/reservations",
                json={"lines": [{"sku": "TSHIRT-M", "location": "berlin", "quantity": 3}]},
            ),
            201,
        )
        expect(page.locator(berlin.format("reserved"))).to_have_text("3")
        expect(page.locator(berlin.format("available"))).to_have_text("6")
        expect(page.locator(total.format("available"))).to_have_text("12")
        row = page.locator("#feed-body tr[data-type='reservation.created']").first
        expect(row).to_contain_text("TSHIRT-M")
        expect(row).to_contain_text("berlin")
        expect(row).to_contain_text("reserved +3")
        expect(page.locator("#count-holds")).to_have_text("1")
        assert page.evaluate("window.stillTheSamePage") is True  # no reload

        # A little more traffic, so that the screenshot shows a busy minute.
        for n in range(6):
            ok(
                http.post(
                    "/v1/reservations",
                    json={"lines": [{"sku": "MUG-BLUE", "quantity": 1 + n % 2}]},
                ),
                201,
            )
        ok(http.post(f"/v1/reservations/{hold['id']}/commit", json={"order_id": "ORDER-1001"}))
        expect(page.locator(berlin.format("committed"))).to_have_text("3")
        expect(page.locator(berlin.format("reserved"))).to_have_text("0")
        expect(page.locator("#feed-body tr[data-type='reservation.committed']")).to_have_count(1)
        expect(page.locator("#feed-body tr.new[data-type='reservation.created']")).to_have_count(7)
        page.wait_for_timeout(2200)  # the cells' highlight fades

        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("STOCKD_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, DOCS_SCREENSHOT)
        assert problems == []

        # A dropped stream resumes where it stopped (Last-Event-ID): what
        # committed meanwhile still arrives.
        resumed: list[str | None] = []
        page.on(
            "request",
            lambda r: (
                resumed.append(r.headers.get("last-event-id")) if "/v1/stream" in r.url else None
            ),
        )
        page.evaluate("view.stream.abort()")
        expect(page.locator("#status")).to_contain_text("reconnecting")
        line = {"sku": "TSHIRT-M", "location": "hamburg", "quantity": 1}
        ok(http.post("/v1/reservations", json={"lines": [line]}), 201)
        expect(page.locator("#status")).to_have_text("live")
        hamburg = "#levels td[data-location='hamburg'][data-state='{}']"
        expect(page.locator(hamburg.format("reserved"))).to_have_text("1")
        assert len(resumed) == 1, resumed
        assert (resumed[0] or "").isdigit(), resumed
        assert problems == []

        page.click("#sign-out")
        expect(page.locator("#sign-in-view")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0
        context.close()
