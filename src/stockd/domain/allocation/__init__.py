"""Which locations fulfil an order, and why: allocation strategies.

A strategy is a pure function of the request it is shown; the service layer
decides which locations are eligible (active and not archived, shipping, or
the pickup store)
and applies the plan with conditional updates, so a strategy can never
oversell. Every plan explains each choice and what it passed over.
"""

from stockd.domain.allocation.base import (
    REJECTIONS_SHOWN,
    Allocation,
    LinePlan,
    NeedsShipTo,
    OrderLine,
    Plan,
    PlanRequest,
    Rejection,
    Site,
    Stock,
    Strategy,
)
from stockd.domain.allocation.fewest_shipments import FewestShipmentsStrategy
from stockd.domain.allocation.lowest_cost import LowestCostStrategy
from stockd.domain.allocation.most_stock import MostStockStrategy
from stockd.domain.allocation.nearest import NearestStrategy
from stockd.domain.allocation.priority import PriorityStrategy

STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        PriorityStrategy(),
        NearestStrategy(),
        FewestShipmentsStrategy(),
        LowestCostStrategy(),
        MostStockStrategy(),
    )
}

__all__ = [
    "REJECTIONS_SHOWN",
    "STRATEGIES",
    "Allocation",
    "FewestShipmentsStrategy",
    "LinePlan",
    "LowestCostStrategy",
    "MostStockStrategy",
    "NearestStrategy",
    "NeedsShipTo",
    "OrderLine",
    "Plan",
    "PlanRequest",
    "PriorityStrategy",
    "Rejection",
    "Site",
    "Stock",
    "Strategy",
]
