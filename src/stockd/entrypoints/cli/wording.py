"""Why a value was refused, in words for the person who typed it.

Pydantic's messages name Python types ("a valid integer") and carry links;
the CLI says what was wrong with the value instead. Kinds of error not listed
keep pydantic's message, which already reads well ("String should match
pattern …")."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

_NOT_A = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
}

_BOUND = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def quoted(value: Any) -> str:
    return f'"{value}"'


def refusal(error: ErrorDetails, *, show_input: bool = True) -> str:
    """`"abc" is not a whole number`, `must be at least 1, not 0`, …

    `show_input=False` for values that must not be echoed (secrets, URLs
    with passwords)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in _NOT_A:
        return f"{quoted(value) if show_input else 'the value'} is not {_NOT_A[kind]}"
    if kind in _BOUND:
        key, words = _BOUND[kind]
        return f"must be {words} {ctx[key]}" + (f", not {value}" if show_input else "")
    if kind == "literal_error":
        shown = quoted(value) if show_input else "the value"
        return f"{shown} is not one of {ctx['expected']}"
    if kind == "missing":
        return "a value is required"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]
