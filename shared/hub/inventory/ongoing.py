"""Ongoing WMS as a stock source: sellable stock per article and warehouse, paged by article system id."""

from __future__ import annotations

from hub.connections import OngoingSettings
from hub.connectors.ongoing import ARTICLES_PAGE_SIZE, OngoingClient
from hub.inventory.base import StockPage, StockReading
from hub.mapping.ongoing import sku_for


class OngoingStockSource:
    name = "ongoing"

    def __init__(
        self, settings: OngoingSettings, client: OngoingClient, *, page_size: int = ARTICLES_PAGE_SIZE
    ) -> None:
        self._settings = settings
        self._client = client
        self._page_size = page_size

    def read_page(self, position: str | None) -> StockPage:
        """Read one page of articles and their stock per warehouse. The position is an article system id."""
        first_id = int(position) if position else 0
        articles = self._client.articles_page(first_id, self._page_size)
        inventory = self._client.inventory_per_warehouse([article.article_number for article in articles])
        readings = [
            StockReading(
                item_id=item.article_number,
                warehouse=stock.warehouse_code,
                sku=sku_for(item.article_number, self._settings),
                location=self._settings.locations.get(stock.warehouse_code),
                quantity=stock.sellable_number_of_items,
            )
            for item in inventory
            for stock in item.warehouses
        ]
        if len(articles) < self._page_size:
            return StockPage(readings, next_position=None)
        return StockPage(readings, next_position=str(articles[-1].article_system_id + 1))
