"""Log lines: text on a terminal, JSON otherwise, each with its request's id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from stockd import logs


@pytest.mark.parametrize(
    ("chosen", "terminal", "kind"),
    [
        ("auto", True, logs.TextFormatter),
        ("auto", False, logs.JsonFormatter),
        ("text", False, logs.TextFormatter),
        ("json", True, logs.JsonFormatter),
    ],
)
def test_auto_is_text_on_a_terminal_and_json_otherwise(
    chosen: logs.Format, terminal: bool, kind: type[logging.Formatter]
) -> None:
    assert type(logs.formatter(chosen, terminal)) is kind


def lines(formatter: logging.Formatter, write: object) -> list[str]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("stockd.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        write(logger)  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
    return out.getvalue().splitlines()


def test_a_json_line_carries_the_request_id_and_the_access_fields() -> None:
    def write(logger: logging.Logger) -> None:
        logger.info("outside")
        token = logs.REQUEST_ID.set("abc")
        try:
            logger.info("GET %s", "/x", extra={"method": "GET", "route": "/x", "status": 200})
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("failed")
        finally:
            logs.REQUEST_ID.reset(token)

    outside, access, failed = (json.loads(line) for line in lines(logs.JsonFormatter(), write))
    assert outside["request_id"] is None
    assert outside["level"] == "info"
    assert outside["logger"] == "stockd.test_logs"
    assert outside["time"].endswith("+00:00")
    assert access["message"] == "GET /x"
    assert access["request_id"] == "abc"
    assert (access["method"], access["route"], access["status"]) == ("GET", "/x", 200)
    assert "duration_ms" not in access
    assert failed["request_id"] == "abc"
    assert "ValueError: boom" in failed["exception"]


def test_a_text_line_ends_with_its_request_id() -> None:
    def write(logger: logging.Logger) -> None:
        logger.warning("outside")
        token = logs.REQUEST_ID.set("abc")
        logger.warning("inside")
        logs.REQUEST_ID.reset(token)

    assert lines(logs.TextFormatter(), write) == [
        "WARNING stockd.test_logs: outside",
        "WARNING stockd.test_logs: inside [abc]",
    ]
