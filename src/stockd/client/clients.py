"""`StockdClient` and `AsyncStockdClient`: the resources over an httpx client."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Generic, Self

import httpx

from stockd import __version__
from stockd.client import resources as r
from stockd.client.endpoints import T
from stockd.client.reconciliations import Reconciliations
from stockd.client.retry import Retry
from stockd.client.transport import AsyncTransport, SyncTransport


class Api(Generic[T]):
    """Every resource of the API, bound to one transport: a resource added
    here appears on both clients."""

    def __init__(self, transport: T) -> None:
        self.skus: r.Skus[T] = r.Skus(transport)
        self.locations: r.Locations[T] = r.Locations(transport)
        self.channels: r.Channels[T] = r.Channels(transport)
        self.webhooks: r.Webhooks[T] = r.Webhooks(transport)
        self.levels: r.Levels[T] = r.Levels(transport)
        self.availability: r.AvailabilityReads[T] = r.AvailabilityReads(transport)
        self.overview: r.Overview[T] = r.Overview(transport)
        self.adjustments: r.Adjustments[T] = r.Adjustments(transport)
        self.reservations: r.Reservations[T] = r.Reservations(transport)
        self.allocations: r.Allocations[T] = r.Allocations(transport)
        self.orders: r.Orders[T] = r.Orders(transport)
        self.promises: r.Promises[T] = r.Promises(transport)
        self.returns: r.Returns[T] = r.Returns(transport)
        self.transfers: r.Transfers[T] = r.Transfers(transport)
        self.sales: r.Sales[T] = r.Sales(transport)
        self.purchase_orders: r.PurchaseOrders[T] = r.PurchaseOrders(transport)
        self.events: r.Events[T] = r.Events(transport)
        self.counts: r.Counts[T] = r.Counts(transport)
        self.stock_reports: r.StockReports[T] = r.StockReports(transport)
        self.sources: r.Sources[T] = r.Sources(transport)
        self.reconciliations: Reconciliations[T] = Reconciliations(transport)
        self.capacity_pools: r.CapacityPools[T] = r.CapacityPools(transport)
        self.production_slots: r.ProductionSlots[T] = r.ProductionSlots(transport)


def _headers(api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"User-Agent": f"stockd-client/{__version__}", **(extra or {})}
    if api_key is not None:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


class StockdClient(Api[SyncTransport]):
    """A blocking client: `with StockdClient(url, key) as stockd: stockd.skus.get("A")`.

    `retry` bounds how often a transport failure or a 503 `busy` is retried;
    `transport` is handed to httpx (tests, proxies, HTTP/2, …)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )
        super().__init__(SyncTransport(self.http, retry or Retry()))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStockdClient(Api[AsyncTransport]):
    """The same API for asyncio: `async with AsyncStockdClient(url, key) as stockd: …`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )
        super().__init__(AsyncTransport(self.http, retry or Retry()))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
