"""The stock sources of a connection, built with credentials from Secrets Manager."""

from __future__ import annotations

from hub.connections import Connection
from hub.connectors.ongoing import OngoingClient
from hub.connectors.zettle import ZettleClient
from hub.inventory.base import StockSource
from hub.inventory.ongoing import OngoingStockSource
from hub.inventory.zettle import ZettleStockSource


def stock_sources(connection: Connection) -> list[StockSource]:
    """Return the connection's stock sources, in the order the inventory import reads them."""
    sources: list[StockSource] = []
    if connection.ongoing is not None:
        sources.append(
            OngoingStockSource(connection.ongoing, OngoingClient.from_settings(connection.ongoing))
        )
    if connection.zettle is not None:
        sources.append(ZettleStockSource(connection.zettle, ZettleClient.from_settings(connection.zettle)))
    return sources
