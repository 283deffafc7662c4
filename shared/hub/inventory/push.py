"""The push core: send Bemakers only the stock levels that changed since the last push.

Shared by every stock source. Readings without a SKU or location, and negative readings, are
left out. They are logged with their ids and counted in a metric, and none of them stops the run.
When the connection names another source as a SKU's stock master, this source's reading of it is
left out too, so two systems never overwrite each other's levels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from hub.connectors.bemakers import BemakersClient
from hub.inventory.base import StockReading
from hub.inventory.store import PushedLevels
from hub.models.bemakers import MAX_STOCK_LEVELS_PER_REQUEST, StockLevel
from hub.observability import logger, metrics


@dataclass
class PushCounts:
    read: int = 0
    pushed: int = 0
    unchanged: int = 0
    without_sku: int = 0
    unmapped_warehouse: int = 0
    negative: int = 0
    rejected: int = 0
    other_master: int = 0
    """Readings of SKUs whose stock master is another source."""

    def add(self, other: PushCounts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def push_changed_levels(
    connection_id: str,
    source: str,
    readings: Sequence[StockReading],
    pushed: PushedLevels,
    bemakers: BemakersClient,
    stock_master: Callable[[str], str | None] | None = None,
) -> PushCounts:
    """Push the readings whose quantity differs from the last pushed one, and remember what Bemakers took.

    `stock_master` returns the source whose level of a SKU Bemakers takes; None pushes every SKU.
    """
    counts = PushCounts(read=len(readings))
    levels = collect_levels(source, readings, counts, stock_master)
    last = pushed.get_many(connection_id, levels)
    changed = changed_levels(levels, last)
    counts.unchanged = len(levels) - len(changed)

    for start in range(0, len(changed), MAX_STOCK_LEVELS_PER_REQUEST):
        chunk = changed[start : start + MAX_STOCK_LEVELS_PER_REQUEST]
        result = bemakers.set_stock_levels(chunk)
        rejected = {(item.sku, item.location) for item in result.rejected}
        for item in result.rejected:
            logger.warning("stock level rejected", sku=item.sku, location=item.location, reason=item.reason)
        accepted = [
            (level.sku, level.location, level.quantity)
            for level in chunk
            if (level.sku, level.location) not in rejected
        ]
        pushed.put_many(connection_id, accepted)
        counts.pushed += len(accepted)
        counts.rejected += len(rejected)

    if counts.other_master:
        logger.info(
            "stock of SKUs mastered by another source left out", source=source, readings=counts.other_master
        )
    if counts.unmapped_warehouse:
        logger.info(
            "stock in unmapped warehouses left out", source=source, readings=counts.unmapped_warehouse
        )
    _count_metrics(counts)
    return counts


def collect_levels(
    source: str,
    readings: Sequence[StockReading],
    counts: PushCounts,
    stock_master: Callable[[str], str | None] | None = None,
) -> dict[tuple[str, str], Decimal]:
    """Sum the sendable readings into levels by (SKU, location), and count the readings left out.

    Works in memory only, so the inventory benchmark times it without DynamoDB or Bemakers.
    """
    levels: dict[tuple[str, str], Decimal] = {}
    for reading in readings:
        if reading.sku is None:
            counts.without_sku += 1
            logger.warning("article without a SKU mapping", source=source, item_id=reading.item_id)
            continue
        if stock_master is not None and stock_master(reading.sku) != source:
            counts.other_master += 1
            continue
        if reading.location is None:
            counts.unmapped_warehouse += 1
            continue
        if reading.quantity < 0:
            counts.negative += 1
            logger.error(
                "negative stock level not sent",
                source=source,
                item_id=reading.item_id,
                warehouse=reading.warehouse,
                quantity=str(reading.quantity),
            )
            continue
        # Two warehouses mapped to one location add up.
        key = (reading.sku, reading.location)
        levels[key] = levels.get(key, Decimal(0)) + reading.quantity
    return levels


def changed_levels(
    levels: Mapping[tuple[str, str], Decimal], last: Mapping[tuple[str, str], Decimal]
) -> list[StockLevel]:
    """Return the levels whose quantity differs from the last pushed one, or that were never pushed."""
    return [
        StockLevel(sku=sku, location=location, quantity=quantity)
        for (sku, location), quantity in levels.items()
        if last.get((sku, location)) != quantity
    ]


def _count_metrics(counts: PushCounts) -> None:
    for name, value in (
        ("StockLevelsPushed", counts.pushed),
        ("ArticlesWithoutSku", counts.without_sku),
        ("NegativeStockLevels", counts.negative),
        ("StockLevelsRejected", counts.rejected),
    ):
        if value:
            metrics.add_metric(name=name, unit="Count", value=value)
