"""The client's own behaviour over a mocked HTTP layer: retries, idempotency
keys, errors, paging. What the API does is tested against a real server in
tests/e2e/test_client.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from stockd.client import (
    AsyncStockdClient,
    BadCursor,
    Busy,
    Conflict,
    InsufficientStock,
    InvalidRequest,
    Issue,
    NotFound,
    NothingInTransit,
    PayloadTooLarge,
    Retry,
    ServerError,
    ShortLine,
    StockdClient,
    StockdError,
    UnexpectedResponse,
    UnknownReference,
    ValidationFailed,
    VersionConflict,
)
from stockd.client.calls import retry_after

SKU = {"sku": "A", "product_id": "P", "name": "A", "policy": "deny", "backorder_cap": 0}
SKU_DOC = {**SKU, "archived": False, "version": 1}
RESERVATION = {
    "id": "res_1",
    "status": "active",
    "created_at": "2025-01-01T00:00:00Z",
    "expires_at": "2025-01-01T00:15:00Z",
    "closed_at": None,
    "reference": None,
    "order_id": None,
    "pickup_location": None,
    "lines": [{"sku": "A", "quantity": 2, "location": "x"}],
}

Reply = httpx.Response | Exception
NO_WAIT = Retry(attempts=4, backoff=0.0)


class Script:
    """A mock server answering each request with the next scripted reply,
    and keeping what it was sent."""

    def __init__(self, *replies: Reply | Callable[[httpx.Request], Reply]) -> None:
        self.replies = list(replies)
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        reply = self.replies.pop(0)
        if callable(reply) and not isinstance(reply, httpx.Response):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def keys(self) -> list[str | None]:
        return [r.headers.get("Idempotency-Key") for r in self.sent]


def client(script: Script, retry: Retry = NO_WAIT) -> StockdClient:
    return StockdClient(
        "http://stockd.test", "sk_test", retry=retry, transport=httpx.MockTransport(script)
    )


def problem(status: int, code: str, **extra: Any) -> httpx.Response:
    body = {"type": f"urn:stockd:problem:{code}", "title": code, "status": status}
    body |= {"detail": f"{code}!", "code": code, **extra}
    return httpx.Response(
        status, content=json.dumps(body), headers={"Content-Type": "application/problem+json"}
    )


def dropped(request: httpx.Request) -> Exception:
    """The request went out; its answer never came back."""
    return httpx.ReadError("connection reset", request=request)


def refused(request: httpx.Request) -> Exception:
    return httpx.ConnectError("connection refused", request=request)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the sync client makes, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr("time.sleep", waited.append)
    return waited


# -- idempotency keys and retries -------------------------------------------------


def test_a_post_whose_answer_was_lost_is_sent_again_under_the_same_key() -> None:
    script = Script(dropped, httpx.Response(201, json=RESERVATION))
    with client(script) as stockd:
        held = stockd.reservations.create([{"sku": "A", "quantity": 2}])
    assert held.id == "res_1"
    first, second = script.keys()
    assert first
    assert first == second
    assert script.sent[0].content == script.sent[1].content


def test_every_post_gets_a_key_of_its_own_unless_the_caller_names_one() -> None:
    script = Script(*[httpx.Response(201, json=RESERVATION)] * 3)
    with client(script) as stockd:
        for key in (None, None, "cart-42"):
            stockd.reservations.create([{"sku": "A", "quantity": 2}], idempotency_key=key)
    one, two, named = script.keys()
    assert one
    assert two
    assert one != two
    assert named == "cart-42"


def test_reads_and_patches_carry_no_idempotency_key() -> None:
    script = Script(httpx.Response(200, json=SKU_DOC), httpx.Response(200, json=SKU_DOC))
    with client(script) as stockd:
        stockd.skus.get("A")
        stockd.skus.update("A", {"name": "B"})
    assert script.keys() == [None, None]


def test_busy_is_sent_again_after_retry_after_until_the_attempts_run_out(
    sleeps: list[float],
) -> None:
    busy = problem(503, "busy")
    busy.headers["Retry-After"] = "2"
    script = Script(busy, busy, busy)
    with client(script, Retry(attempts=3, backoff=0.5)) as stockd, pytest.raises(Busy) as caught:
        stockd.skus.create("A", "P", "A")
    assert len(script.sent) == 3
    assert sleeps == [2.0, 2.0]
    assert len(set(script.keys())) == 1
    assert caught.value.retry_after == 2.0


def test_a_wait_the_server_asks_for_is_capped_by_max_delay(sleeps: list[float]) -> None:
    busy = problem(503, "busy")
    busy.headers["Retry-After"] = "3600"
    script = Script(busy, httpx.Response(201, json=SKU_DOC))
    with client(script, Retry(max_delay=5.0)) as stockd:
        stockd.skus.create("A", "P", "A")
    assert sleeps == [5.0]


def test_a_patch_whose_answer_was_lost_is_not_sent_again() -> None:
    script = Script(dropped, httpx.Response(200, json=SKU_DOC))
    with client(script) as stockd, pytest.raises(httpx.ReadError):
        stockd.skus.update("A", {"name": "B"}, if_match=1)
    assert len(script.sent) == 1


def test_an_archive_whose_answer_was_lost_is_sent_again_with_its_if_match() -> None:
    archived = {**SKU_DOC, "archived": True, "version": 2}
    script = Script(dropped, httpx.Response(200, json=archived))
    with client(script) as stockd:
        assert stockd.skus.archive("A", if_match=1).archived
    assert [r.method for r in script.sent] == ["DELETE", "DELETE"]
    assert {r.headers["If-Match"] for r in script.sent} == {'"1"'}
    assert script.keys() == [None, None]


def test_a_request_that_never_left_is_sent_again_even_a_patch() -> None:
    script = Script(refused, httpx.Response(200, json=SKU_DOC))
    with client(script) as stockd:
        assert stockd.skus.update("A", {"name": "B"}).version == 1
    assert len(script.sent) == 2


def test_a_read_is_sent_again_after_a_dropped_connection() -> None:
    script = Script(dropped, dropped, httpx.Response(200, json=SKU_DOC))
    with client(script) as stockd:
        assert stockd.skus.get("A").sku == "A"
    assert len(script.sent) == 3


def test_transport_failures_outlasting_the_attempts_are_raised_as_httpx_errors() -> None:
    script = Script(dropped, dropped)
    with client(script, Retry(attempts=2, backoff=0.0)) as stockd, pytest.raises(httpx.ReadError):
        stockd.skus.get("A")
    assert len(script.sent) == 2


def test_refusals_are_not_retried() -> None:
    script = Script(problem(409, "insufficient_stock", lines=[]), problem(503, "not_busy"))
    with client(script) as stockd, pytest.raises(InsufficientStock):
        stockd.reservations.create([{"sku": "A", "quantity": 2}])
    assert len(script.sent) == 1


async def test_the_async_client_sends_a_lost_post_again_under_the_same_key() -> None:
    busy = problem(503, "busy")
    busy.headers["Retry-After"] = "0"
    script = Script(dropped, busy, httpx.Response(201, json=RESERVATION))
    async with AsyncStockdClient(
        "http://stockd.test", "sk", retry=NO_WAIT, transport=httpx.MockTransport(script)
    ) as stockd:
        held = await stockd.reservations.create([{"sku": "A", "quantity": 2}])
    assert held.lines[0].location == "x"
    assert len(script.sent) == 3
    assert len(set(script.keys())) == 1


def test_backoff_grows_and_stays_under_its_cap() -> None:
    policy = Retry(backoff=1.0, max_delay=3.0)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 3.0), (9, 3.0)):
        assert all(0 <= policy.backoff_delay(attempt) <= ceiling for _ in range(50))


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert retry_after(httpx.Headers({"Retry-After": "1"})) == 1.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    waited = retry_after(httpx.Headers({"Retry-After": later}))
    assert waited is not None
    assert 25 < waited <= 30
    assert retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after(httpx.Headers()) is None


# -- requests ---------------------------------------------------------------------


def test_if_match_is_sent_as_the_etag_of_the_version() -> None:
    script = Script(httpx.Response(200, json=SKU_DOC))
    with client(script) as stockd:
        stockd.skus.update("A", {"name": "B"}, if_match=7)
    assert script.sent[0].headers["If-Match"] == '"7"'
    assert json.loads(script.sent[0].content) == {"name": "B"}


def test_path_values_are_escaped_and_unset_query_values_left_out() -> None:
    page: dict[str, Any] = {"items": [], "next_cursor": None}
    script = Script(httpx.Response(200, json=SKU_DOC), httpx.Response(200, json=page))
    with client(script) as stockd:
        stockd.skus.get("A/B?")
        stockd.levels.list(sku="A")
    assert script.sent[0].url.raw_path == b"/v1/skus/A%2FB%3F"
    assert dict(script.sent[1].url.params) == {"sku": "A"}


def test_a_body_leaves_out_what_the_caller_did_not_give() -> None:
    script = Script(httpx.Response(201, json=SKU_DOC))
    with client(script) as stockd:
        stockd.skus.create("A", "P", "A")
    assert json.loads(script.sent[0].content) == {"sku": "A", "product_id": "P", "name": "A"}


# -- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [
        (409, "insufficient_stock", InsufficientStock),
        (409, "version_conflict", VersionConflict),
        (409, "nothing_in_transit", NothingInTransit),
        (409, "something_new", Conflict),
        (422, "validation_failed", ValidationFailed),
        (422, "invalid_request", InvalidRequest),
        (400, "invalid_cursor", BadCursor),
        (404, "not_found", NotFound),
        (413, "payload_too_large", PayloadTooLarge),
        (500, "internal_error", ServerError),
        (418, "teapot", StockdError),
    ],
)
def test_a_problem_document_raises_the_class_of_its_code_or_else_of_its_status(
    status: int, code: str, raised: type[StockdError]
) -> None:
    script = Script(problem(status, code, current_version=3))
    with client(script) as stockd, pytest.raises(StockdError) as caught:
        stockd.skus.get("A")
    error = caught.value
    assert type(error) is raised
    assert (error.status, error.code, error.title, error.detail) == (status, code, code, f"{code}!")
    assert error.problem["current_version"] == 3


def test_insufficient_stock_carries_its_short_lines() -> None:
    short = {"sku": "A", "location": None, "requested": 50, "available": 8}
    script = Script(problem(409, "insufficient_stock", lines=[short, "garbled"]))
    with client(script) as stockd, pytest.raises(InsufficientStock) as caught:
        stockd.reservations.create([{"sku": "A", "quantity": 50}])
    assert caught.value.lines == (ShortLine("A", None, 50, 8),)


def test_a_request_problem_carries_its_issues() -> None:
    issue = {"index": 1, "field": "lines[1].sku", "detail": "unknown SKU 'Z'"}
    script = Script(problem(422, "unknown_reference", errors=[issue, {"index": 2}]))
    with client(script) as stockd, pytest.raises(UnknownReference) as caught:
        stockd.reservations.create([{"sku": "A", "quantity": 1}, {"sku": "Z", "quantity": 1}])
    assert caught.value.issues == (Issue("unknown SKU 'Z'", "lines[1].sku", 1),)


def test_an_error_that_is_not_a_problem_document_is_described_by_its_status_line() -> None:
    script = Script(httpx.Response(502, text="<html>Bad Gateway</html>"))
    with client(script) as stockd, pytest.raises(ServerError) as caught:
        stockd.skus.get("A")
    assert caught.value.code == "http_502"
    assert caught.value.title == "Bad Gateway"
    assert "Bad Gateway" in caught.value.detail


def test_a_success_of_the_wrong_shape_raises_unexpected_response() -> None:
    script = Script(httpx.Response(200, json={"sku": "A"}), httpx.Response(200, text="ok"))
    with client(script) as stockd:
        with pytest.raises(UnexpectedResponse, match="missing 'product_id'"):
            stockd.skus.get("A")
        with pytest.raises(UnexpectedResponse):
            stockd.skus.get("A")


def test_members_the_client_does_not_know_are_ignored() -> None:
    script = Script(httpx.Response(200, json={**SKU_DOC, "archived": False}))
    with client(script) as stockd:
        assert stockd.skus.get("A").version == 1


# -- paging -----------------------------------------------------------------------


def sku_pages(request: httpx.Request) -> httpx.Response:
    """Three pages of SKUs A..E, two at a time."""
    codes = ["A", "B", "C", "D", "E"]
    start = codes.index(request.url.params["cursor"]) + 1 if "cursor" in request.url.params else 0
    page = codes[start : start + 2]
    more = start + 2 < len(codes)
    items = [{**SKU_DOC, "sku": c} for c in page]
    return httpx.Response(200, json={"items": items, "next_cursor": page[-1] if more else None})


def test_iteration_fetches_each_page_only_when_its_items_are_needed() -> None:
    script = Script(*[sku_pages] * 3)
    with client(script) as stockd:
        skus = stockd.skus.iter(limit=2)
        assert script.sent == []
        assert next(skus).sku == "A"
        assert len(script.sent) == 1
        assert [s.sku for s in skus] == ["B", "C", "D", "E"]
    assert [r.url.params.get("cursor") for r in script.sent] == [None, "B", "D"]
    assert {r.url.params["limit"] for r in script.sent} == {"2"}


async def test_async_iteration_follows_the_ledger_until_an_empty_page() -> None:
    def events(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("after", 0))
        seqs = [s for s in (1, 2, 5) if s > after][:2]  # seq may skip numbers
        items = [
            {
                "seq": s,
                "type": "stock.adjusted",
                "sku": "A",
                "location": "x",
                "delta": {"on_hand": 1},
                "after": {"on_hand": s},
                "data": None,
                "reason": "r",
                "reference": None,
                "reservation_id": None,
                "order_id": None,
                "transfer_id": None,
                "actor": "key:1",
                "idempotency_key": None,
                "at": "2025-01-01T00:00:00Z",
            }
            for s in seqs
        ]
        return httpx.Response(200, json={"items": items, "next_after": seqs[-1] if seqs else after})

    script = Script(*[events] * 3)
    async with AsyncStockdClient(
        "http://stockd.test", "sk", transport=httpx.MockTransport(script)
    ) as stockd:
        seen = [e.seq async for e in stockd.events.iter(limit=2)]
    assert seen == [1, 2, 5]
    assert [r.url.params.get("after") for r in script.sent] == [None, "2", "5"]
