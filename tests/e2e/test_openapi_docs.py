"""The OpenAPI document and the docs page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/sales"])
async def test_openapi_lists_the_200_of_an_idempotent_replay(api: Api, path: str) -> None:
    responses = (await api.get("/openapi.json")).json()["paths"][path]["post"]["responses"]
    created, replayed = responses["201"], responses["200"]
    assert replayed["content"] == created["content"]
    assert "application/json" in replayed["content"]
