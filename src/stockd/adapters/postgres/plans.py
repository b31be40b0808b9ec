"""How a statement is written so that PostgreSQL plans it once.

PostgreSQL plans a prepared statement for its parameters (a custom plan) five
times, then keeps a generic plan if that is estimated to cost no more than
the custom plans did. A custom plan sees each array parameter's length, a
generic one guesses; where the guess costs more than the plans seen (one SKU,
one level), the statement is planned anew at every execution. For the
group-commit statements that was about a millisecond of a batch of 64 holds
through channels (docs/benchmarks.md).
"""

from __future__ import annotations

import re

_ARRAY_PARAMETER = re.compile(r"\$(\d+)::(\w+)\[\]")


def sized_alike(sql: str) -> str:
    """`sql` with every array parameter (`$n::type[]`) read through a
    sub-select: no plan sees a length, custom and generic plans cost alike,
    and the generic one is kept after the fifth execution, however large
    the first batches were. For statements whose plan does not depend on how
    many elements are sent (a level read does: leave it)."""
    return _ARRAY_PARAMETER.sub(r"(SELECT $\1::\2[])::\2[]", sql)
