"""The vocabulary every allocation strategy speaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location that could supply a SKU, as seen under lock."""

    location: str
    priority: int
    available: int
    floor: int = 0

    @property
    def in_stock(self) -> int:
        """Units that can be taken without going below zero."""
        return max(self.available, 0)

    @property
    def backorderable(self) -> int:
        """Units that can be taken beyond stock, down to the floor."""
        return max(self.available - self.floor, 0) - self.in_stock


@dataclass(frozen=True, slots=True)
class Allocation:
    location: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class Placement:
    """The answer for one line: where its units come from, and what is missing."""

    sku: str
    requested: int
    allocations: tuple[Allocation, ...]
    shortfall: int

    @property
    def placed(self) -> int:
        return sum(a.quantity for a in self.allocations)


class Strategy(Protocol):
    name: str

    def place(self, sku: str, quantity: int, candidates: Sequence[Candidate]) -> Placement: ...
