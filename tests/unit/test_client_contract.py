"""The client keeps step with the API it describes: every operation in the
app's OpenAPI document has a client endpoint with the same query and body
members, and every result and request type has the fields of its schema.

When one of these fails after an API change, declare or adjust the endpoint
in src/stockd/client/resources.py (and its types in models.py / inputs.py)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from typing import Any, get_type_hints, is_typeddict

import pytest
from fastapi import FastAPI

from stockd.client import inputs, models
from stockd.client.clients import Api
from stockd.client.endpoints import Endpoint, Resource
from stockd.entrypoints.api.app import create_app

# Health probes are for operators and load balancers, not for client code;
# the live stream is for browsers and other languages (the client follows
# the same events with `events.iter`, a long poll).
NOT_IN_CLIENT = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),  # for Prometheus, not for programs
    ("GET", "/v1/stream"),
}
# POSTs that only read (a body too rich for a query string): nothing to retry safely.
READ_ONLY_POSTS = {"/v1/allocations/quote", "/v1/promise"}
# Arguments that are headers, not body members; and Python names for JSON ones.
HEADERS = {"idempotency_key", "if_match"}
JSON_NAMES = {"source": "from", "destination": "to"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    async def never() -> Any:
        raise AssertionError("the document needs no container")

    app: Any = create_app(open_container=never, workers=False)
    while not isinstance(app, FastAPI):  # past the ASGI layers in front
        app = app.app
    document: dict[str, Any] = app.openapi()
    return document


def declared() -> Iterator[tuple[str, Endpoint[Any, Any]]]:
    for resource in Resource.__subclasses__():
        for name, member in vars(resource).items():
            if isinstance(member, Endpoint):
                yield f"{resource.__name__}.{name}", member


def operations(openapi: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, ops in openapi["paths"].items()
        for method, op in ops.items()
    }


def schema(openapi: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    """The component a `$ref` (possibly inside `anyOf: [ref, null]`) names."""
    if "anyOf" in ref:
        ref = next(r for r in ref["anyOf"] if "$ref" in r)
    found: dict[str, Any] = openapi["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return found


def test_every_api_operation_has_exactly_one_client_endpoint(openapi: dict[str, Any]) -> None:
    in_client = [(e.method, e.path) for _, e in declared()]
    assert len(in_client) == len(set(in_client))
    assert set(in_client) == set(operations(openapi)) - NOT_IN_CLIENT


def test_every_resource_is_on_both_clients() -> None:
    wired = {type(r) for r in vars(Api(None)).values()}  # type: ignore[type-var]
    assert wired == set(Resource.__subclasses__())


def test_each_endpoint_answers_with_the_type_of_its_response_schema(
    openapi: dict[str, Any],
) -> None:
    for name, endpoint in declared():
        op = operations(openapi)[(endpoint.method, endpoint.path)]
        status, success = next((k, v) for k, v in op["responses"].items() if k.startswith("2"))
        if status == "204":  # no content: the endpoint declares None
            assert endpoint.response is type(None), name
            continue
        ref = success["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(f"/{endpoint.response.__name__}"), name


def test_each_endpoint_takes_the_query_parameters_of_its_operation(
    openapi: dict[str, Any],
) -> None:
    for name, endpoint in declared():
        op = operations(openapi)[(endpoint.method, endpoint.path)]
        wanted = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        params = inspect.signature(endpoint._build).parameters
        if wanted:
            sent = endpoint._build(None, **{p: "x" for p in params if p != "self"}).params
            assert set(sent) == wanted, name


def test_each_endpoint_offers_every_member_of_its_request_body(openapi: dict[str, Any]) -> None:
    for name, endpoint in declared():
        op = operations(openapi)[(endpoint.method, endpoint.path)]
        if "requestBody" not in op:
            continue
        body = schema(openapi, op["requestBody"]["content"]["application/json"]["schema"])
        hints = get_type_hints(endpoint._build)
        if "changes" in hints and is_typeddict(hints["changes"]) and endpoint.method == "PATCH":
            offered = set(hints["changes"].__annotations__)
        else:
            path = {n for n in endpoint.path.split("/") if n.startswith("{")}
            members = set(body["properties"])
            offered = {
                JSON_NAMES[p] if JSON_NAMES.get(p) in members else p
                for p in inspect.signature(endpoint._build).parameters
                if p not in {"self", *HEADERS} and f"{{{p}}}" not in path
            }
        assert offered == set(body["properties"]), name


def test_every_post_takes_an_idempotency_key_and_every_patch_if_match() -> None:
    for name, endpoint in declared():
        params = inspect.signature(endpoint._build).parameters
        if endpoint.method == "POST" and endpoint.path not in READ_ONLY_POSTS:
            assert "idempotency_key" in params, name
        if endpoint.method == "PATCH":
            assert "if_match" in params, name


def result_types() -> list[type[Any]]:
    return [t for t in vars(models).values() if dataclasses.is_dataclass(t) and isinstance(t, type)]


@pytest.mark.parametrize("result", result_types(), ids=lambda t: t.__name__)
def test_a_result_type_has_the_fields_of_its_response_schema(
    openapi: dict[str, Any], result: type[Any]
) -> None:
    component = openapi["components"]["schemas"][result.__name__]
    fields = {f.metadata.get("json", f.name) for f in dataclasses.fields(result)}
    assert fields == set(component["properties"])
    required = {
        f.metadata.get("json", f.name)
        for f in dataclasses.fields(result)
        if f.default is dataclasses.MISSING
    }
    assert required == set(component.get("required", []))


def request_types() -> list[type[Any]]:
    return [t for t in vars(inputs).values() if is_typeddict(t)]


@pytest.mark.parametrize("request_type", request_types(), ids=lambda t: t.__name__)
def test_a_request_type_has_the_fields_of_its_request_schema(
    openapi: dict[str, Any], request_type: Any
) -> None:
    component = openapi["components"]["schemas"][request_type.__name__]
    assert set(request_type.__annotations__) == set(component["properties"])
    assert set(request_type.__required_keys__) == set(component.get("required", []))
