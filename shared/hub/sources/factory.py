"""Building a connection's product source, with credentials from Secrets Manager."""

from __future__ import annotations

from hub.connections import Connection
from hub.connectors.economic import EconomicClient
from hub.errors import ConfigurationError
from hub.secrets import EconomicCredentials, read_secret
from hub.sources.base import ProductSource
from hub.sources.economic import EconomicProductSource


def product_source(connection: Connection) -> ProductSource:
    """Return the source the connection imports products from. Raises ConfigurationError without one."""
    settings = connection.products
    if settings is None:
        raise ConfigurationError(f"connection {connection.connection_id!r} imports no products")
    economic = connection.economic
    if settings.source == "economic" and economic is not None:
        credentials = read_secret(economic.secret_name, EconomicCredentials)
        client = EconomicClient(
            economic.base_url,
            credentials,
            timeout_seconds=economic.timeout_seconds,
            max_attempts=economic.max_attempts,
        )
        return EconomicProductSource(client, settings, economic)
    raise ConfigurationError(
        f"connection {connection.connection_id!r}: product source {settings.source!r} is not configured"
    )
