"""The OpenAPI document and the docs page."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Api


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/sales"])
async def test_openapi_lists_the_200_of_an_idempotent_replay(api: Api, path: str) -> None:
    responses = (await api.get("/openapi.json")).json()["paths"][path]["post"]["responses"]
    created, replayed = responses["201"], responses["200"]
    assert replayed["content"] == created["content"]
    assert "application/json" in replayed["content"]


CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


async def test_the_docs_page_loads_only_assets_the_server_itself_serves(api: Api) -> None:
    nobody = {"Authorization": ""}  # a browser sends no key
    r = await api.get("/docs", headers=nobody)
    assert (r.status_code, r.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert "//" not in re.sub(r"<!--.*?-->", "", r.text, flags=re.S)  # no URL elsewhere
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert len(assets) >= 3, r.text
    for url in assets:
        assert url.startswith("/"), url
        asset = await api.get(url, headers=nobody)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
    assert "url: '/openapi.json'" in r.text
    assert (await api.get("/openapi.json", headers=nobody)).status_code == 200
