"""The interface of a stock source: a system that reads sellable stock, page by page.

Ongoing WMS is one source; a POS such as Zettle can be another. Each source maps its own
item and warehouse ids to Bemakers SKUs and locations, and the push core does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class StockReading:
    """Sellable stock of one item in one warehouse, as the source counts it."""

    item_id: str
    """The source's own id of the item, such as an Ongoing article number. Safe to log."""
    warehouse: str
    """The source's own id of the warehouse."""
    sku: str | None
    """The Bemakers SKU, or None when the item has no SKU mapping."""
    location: str | None
    """The Bemakers location, or None when the warehouse maps to none."""
    quantity: Decimal
    """Sellable units. A source passes negative readings on; the push core never sends them."""


@dataclass(frozen=True)
class StockPage:
    readings: list[StockReading]
    next_position: str | None
    """Position of the next page, or None after the last page."""


class StockSource(Protocol):
    name: str
    """The source's name in logs and checkpoints, e.g. `ongoing`."""

    def read_page(self, position: str | None) -> StockPage:
        """Read one page of stock, starting at `position` (None for the first page).

        Raises TargetUnavailable or TargetRejected when the source cannot be read.
        """
        ...
