"""JSON to the result dataclasses, driven by their type hints.

One small walker instead of a hand-written `from_json` per class: a new
result type is only its declaration. Members the class does not declare are
ignored (the server may add fields); a missing or mistyped member raises
`Mismatch` naming where it is, which the client reports as
`UnexpectedResponse`.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class Mismatch(ValueError):
    """The document does not have the shape the result type declares."""


def decoder(cls: type[T]) -> Callable[[Any], T]:
    def decode(document: Any) -> T:
        found: T = _value(cls, document, "$")
        return found

    return decode


@cache
def _fields(cls: Any) -> tuple[tuple[str, str, Any, bool], ...]:
    """(attribute, JSON name, type, required) for each field of a dataclass."""
    hints = get_type_hints(cls)
    return tuple(
        (
            f.name,
            f.metadata.get("json", f.name),
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
    )


def _value(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, value, where)
    if origin in (Union, types.UnionType):
        return _union(get_args(tp), value, where)
    if origin is tuple:
        item = get_args(tp)[0]
        return tuple(_value(item, v, f"{where}[{i}]") for i, v in enumerate(_a(list, value, where)))
    if origin is Mapping or origin is dict:
        item = get_args(tp)[1]
        return {k: _value(item, v, f"{where}.{k}") for k, v in _a(dict, value, where).items()}
    if origin is Literal:
        # Not checked against the listed values: a status the server adds
        # later should reach the caller, not fail the whole response.
        return _a(str, value, where)
    if tp is datetime:
        try:
            return datetime.fromisoformat(_a(str, value, where))
        except ValueError:
            raise Mismatch(f"{where}: {value!r} is not an RFC 3339 time") from None
    if tp is date:
        try:
            return date.fromisoformat(_a(str, value, where))
        except ValueError:
            raise Mismatch(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise Mismatch(f"{where}: expected a number, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise Mismatch(f"{where}: expected an integer, got {value!r}")
        return _a(int, value, where)
    if tp in (str, bool):
        return _a(tp, value, where)
    if tp is Any:
        return value
    raise TypeError(f"cannot decode into {tp!r}")  # a declaration error, not the server's


def _a(kind: type[T], value: Any, where: str) -> T:
    if not isinstance(value, kind):
        raise Mismatch(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def _dataclass(cls: Any, value: Any, where: str) -> Any:
    document = _a(dict, value, where)
    given: dict[str, Any] = {}
    for attribute, name, tp, required in _fields(cls):
        if name in document:
            given[attribute] = _value(tp, document[name], f"{where}.{name}")
        elif required:
            raise Mismatch(f"{where}: missing {name!r}")
    return cls(**given)


def _union(options: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and type(None) in options:
        return None
    rest = [o for o in options if o is not type(None)]
    if len(rest) != 1:
        raise TypeError(f"only X | None unions are supported, not {options!r}")
    return _value(rest[0], value, where)
