"""The inventory at a glance (`GET /v1/overview`)."""

from __future__ import annotations

from pydantic import Field

from stockd.entrypoints.api.schemas.common import Output
from stockd.service.queries import Overview, SkuStock


class SkuStockRead(Output):
    sku: str
    name: str
    available: int = Field(
        description="Live `available`, summed over the usable locations"
        " (as `GET /v1/availability` totals it)."
    )
    locations: int = Field(description="Usable locations with a level of this SKU.")

    @classmethod
    def of(cls, s: SkuStock) -> SkuStockRead:
        return cls(sku=s.sku, name=s.name, available=s.available, locations=s.locations)


class OverviewRead(Output):
    skus: int = Field(description="SKUs not archived.")
    locations: int = Field(description="Locations not archived.")
    active_reservations: int = Field(description="Holds active and within their deadline.")
    ledger_head: int = Field(description="The `seq` of the last committed event.")
    low_stock_below: int = Field(description="The threshold: low means 0 < available < this.")
    out_of_stock_count: int = Field(description="SKUs with available ≤ 0, in all.")
    low_stock_count: int = Field(description="SKUs with 0 < available < low_stock_below, in all.")
    out_of_stock: list[SkuStockRead] = Field(description="Lowest first, at most `limit`.")
    low_stock: list[SkuStockRead] = Field(description="Lowest first, at most `limit`.")

    @classmethod
    def of(cls, o: Overview, low_stock_below: int) -> OverviewRead:
        return cls(
            skus=o.skus,
            locations=o.locations,
            active_reservations=o.active_reservations,
            ledger_head=o.ledger_head,
            low_stock_below=low_stock_below,
            out_of_stock_count=o.out_of_stock_count,
            low_stock_count=o.low_stock_count,
            out_of_stock=[SkuStockRead.of(s) for s in o.out_of_stock],
            low_stock=[SkuStockRead.of(s) for s in o.low_stock],
        )
