"""Where a line's units come from: allocation strategies.

A strategy is a pure function of the candidates it is shown; the service layer
decides which locations are candidates (active, holding the SKU) and applies
the plan with conditional updates, so a strategy can never oversell.
"""

from stockd.domain.allocation.base import Allocation, Candidate, Placement, Strategy
from stockd.domain.allocation.priority import PriorityThenMostAvailable

__all__ = ["Allocation", "Candidate", "Placement", "PriorityThenMostAvailable", "Strategy"]
