"""Named quantities of one SKU at one location, and the invariants they obey.

`on_hand` counts every unit physically present, including the damaged, the
quality-control ones and those held for checkouts or orders. The other states
say how many of those units may not be sold, so

    available = on_hand - reserved - committed - damaged - quality_control - safety_stock

`incoming` is expected stock that is not here yet and never counts as available.

Derived quantities are defined once, as a `Formula` (`AVAILABLE`, `FOR_SALE`),
and rendered from it wherever they are computed: Python here, SQL in the
PostgreSQL adapter and the bench.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple


class State(StrEnum):
    ON_HAND = "on_hand"
    RESERVED = "reserved"
    COMMITTED = "committed"
    DAMAGED = "damaged"
    QUALITY_CONTROL = "quality_control"
    SAFETY_STOCK = "safety_stock"
    INCOMING = "incoming"


STATES: tuple[State, ...] = tuple(State)


@dataclass(frozen=True, slots=True)
class Formula:
    """A derived quantity: some states added, others taken away. The one
    definition, rendered as Python (`function`) and SQL (`sql`)."""

    name: str
    plus: tuple[State, ...]
    minus: tuple[State, ...]

    def sql(self, column: Callable[[str], str] = str) -> str:
        """The SQL expression, each state's column named by `column`."""
        terms = [column(s.value) for s in self.plus]
        return " + ".join(terms) + "".join(f" - {column(s.value)}" for s in self.minus)

    def function(self) -> Callable[[Any], int]:
        """A Python function of anything with the states as attributes. It is
        compiled from the formula to the plain expression it stands for: this
        runs on every hot path (a loop over the states costs 60% more)."""
        body = " + ".join(f"q.{s.value}" for s in self.plus) + "".join(
            f" - q.{s.value}" for s in self.minus
        )
        compiled: Callable[[Any], int] = eval(f"lambda q: {body}")
        compiled.__name__ = self.name
        return compiled


HELD: tuple[State, ...] = (State.RESERVED, State.COMMITTED)
"""Units promised to checkouts and orders."""
NOT_FOR_SALE: tuple[State, ...] = (State.DAMAGED, State.QUALITY_CONTROL, State.SAFETY_STOCK)
"""Units present that are never offered."""

AVAILABLE = Formula("available", (State.ON_HAND,), (*HELD, *NOT_FOR_SALE))
"""What can still be sold or held: on hand, less what is held and what is not for sale."""
FOR_SALE = Formula("for_sale", (State.ON_HAND,), NOT_FOR_SALE)
"""What is sellable before any hold: on hand, less what is not for sale."""

_available = AVAILABLE.function()
_for_sale = FOR_SALE.function()

# Largest absolute change one request may make to one state. Far beyond any
# real stock movement, far below what a 64-bit counter can hold.
MAX_CHANGE = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Quantities:
    """Seven counters; used both for the state of a level and for a delta."""

    on_hand: int = 0
    reserved: int = 0
    committed: int = 0
    damaged: int = 0
    quality_control: int = 0
    safety_stock: int = 0
    incoming: int = 0

    if TYPE_CHECKING:

        @property
        def available(self) -> int:
            """`AVAILABLE`."""

        @property
        def for_sale(self) -> int:
            """`FOR_SALE`."""

    else:
        # The compiled formulas themselves are the properties: no call between.
        available = property(_available, doc="`AVAILABLE`.")
        for_sale = property(_for_sale, doc="`FOR_SALE`.")

    @property
    def sound(self) -> int:
        """Units on hand in good condition: the most that can physically leave
        (damaged and quality-control units stay, `damaged + quality_control <=
        on_hand`). Held units count: they are on the shelf, waiting."""
        return max(self.on_hand - self.damaged - self.quality_control, 0)

    def get(self, state: State) -> int:
        value: int = getattr(self, state.value)
        return value

    def with_value(self, state: State, value: int) -> Quantities:
        return replace(self, **{state.value: value})

    def __add__(self, other: Quantities) -> Quantities:
        # Spelled out: this is on every hot path (a generic loop costs 5x).
        return Quantities(
            self.on_hand + other.on_hand,
            self.reserved + other.reserved,
            self.committed + other.committed,
            self.damaged + other.damaged,
            self.quality_control + other.quality_control,
            self.safety_stock + other.safety_stock,
            self.incoming + other.incoming,
        )

    def __neg__(self) -> Quantities:
        return Quantities(*(-self.get(s) for s in STATES))

    def is_zero(self) -> bool:
        return all(self.get(s) == 0 for s in STATES)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def of(cls, state: State, value: int) -> Quantities:
        return cls(**{state.value: value})

    def violations(self, floor: int) -> list[str]:
        """Every invariant these quantities break at a level whose floor is `floor`.

        The database enforces the same rules with CHECK constraints; keep the
        two in step (tests/integration/test_level_contract.py checks they agree).
        """
        if (
            min(
                self.on_hand,
                self.reserved,
                self.committed,
                self.damaged,
                self.quality_control,
                self.safety_stock,
                self.incoming,
            )
            >= 0
            and self.damaged + self.quality_control <= self.on_hand
            and self.available >= floor
        ):
            return []
        broken = [f"{s.value} would be {self.get(s)}" for s in STATES if self.get(s) < 0]
        if self.damaged + self.quality_control > self.on_hand:
            broken.append(
                f"damaged + quality_control ({self.damaged + self.quality_control}) "
                f"would exceed on_hand ({self.on_hand})"
            )
        if self.available < floor:
            limit = "0" if floor == 0 else f"its backorder floor {floor}"
            broken.append(f"available would be {self.available}, below {limit}")
        return broken


class LevelKey(NamedTuple):
    """One SKU at one location. Ordered by (sku, location): the lock order.

    A named tuple, not a dataclass: it keys every dict on the hot paths, and a
    tuple hashes and compares in C."""

    sku: str
    location: str

    def __str__(self) -> str:
        return f"{self.sku}@{self.location}"


@dataclass(frozen=True, slots=True)
class Level:
    key: LevelKey
    quantities: Quantities
    floor: int = 0
    version: int = 1

    @property
    def available(self) -> int:
        return self.quantities.available

    @property
    def sellable(self) -> int:
        """Units that can still be held here, backorder allowance included."""
        return max(self.quantities.available - self.floor, 0)
