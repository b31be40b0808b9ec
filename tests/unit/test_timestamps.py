"""Problems write times exactly as resources do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import BaseModel

from stockd import errors
from stockd.entrypoints.api import problems


class Resource(BaseModel):
    at: datetime


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 0, 0, 120000, tzinfo=UTC),
        datetime(2026, 1, 1, 13, 0, 0, 1, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_time_in_a_problem_has_the_form_of_a_time_in_a_resource(at: datetime) -> None:
    resource = orjson.loads(Resource(at=at.astimezone(UTC)).model_dump_json())["at"]
    assert errors.timestamp(at) == resource
    body = problems.problem(409, "c", "t", "d", extra={"at": at}).body
    assert orjson.loads(body)["at"] == resource
