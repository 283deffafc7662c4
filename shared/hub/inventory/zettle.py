"""Zettle as a stock source: the STORE balance of every tracked variant, in one page.

Zettle may leave variants with a zero balance out of a location's balances, so every variant of
a tracked product that is missing there is read as 0. Untracked products have no balance and are
left out.
"""

from __future__ import annotations

from decimal import Decimal

from hub.connections import ZettleSettings
from hub.connectors.zettle import ZettleClient
from hub.inventory.base import StockPage, StockReading
from hub.models.zettle import LocationType

WAREHOUSE: LocationType = "STORE"


class ZettleStockSource:
    name = "zettle"

    def __init__(self, settings: ZettleSettings, client: ZettleClient) -> None:
        self._settings = settings
        self._client = client

    def read_page(self, position: str | None) -> StockPage:
        """Read every tracked variant's balance. The position is unused: the store is one page."""
        balances = self._client.balances(WAREHOUSE)
        tracked = set(balances.tracked_products)
        by_variant = {balance.variant_uuid: balance.balance for balance in balances.variants}
        readings = [
            StockReading(
                item_id=variant.uuid,
                warehouse=WAREHOUSE,
                sku=variant.sku or None,
                location=self._settings.location,
                quantity=by_variant.get(variant.uuid, Decimal(0)),
            )
            for product in self._client.products()
            if product.uuid in tracked
            for variant in product.variants
        ]
        return StockPage(readings, next_position=None)
