"""Reads of counts, report sources and per-location report policies."""

from __future__ import annotations

from stockd.domain.corrections import Policy, Source
from stockd.service.ports import CountLineRecord, UnitOfWorkFactory


async def sources(uow: UnitOfWorkFactory) -> list[Source]:
    async with uow() as work:
        return list((await work.corrections.sources()).values())


async def source(uow: UnitOfWorkFactory, source_id: str) -> Source | None:
    async with uow() as work:
        return (await work.corrections.sources({source_id})).get(source_id)


async def count_lines(uow: UnitOfWorkFactory, count_id: str) -> list[CountLineRecord]:
    async with uow() as work:
        return await work.corrections.count_lines(count_id)


async def report_policy(uow: UnitOfWorkFactory, location: str) -> Policy | None:
    async with uow() as work:
        return (await work.corrections.location_policies([location])).get(location)
