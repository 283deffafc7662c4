"""Building a connection's product source, with credentials from Secrets Manager."""

from __future__ import annotations

from hub.connections import Connection
from hub.connectors.economic import EconomicClient
from hub.connectors.ongoing import OngoingClient
from hub.connectors.zettle import ZettleClient
from hub.errors import ConfigurationError
from hub.secrets import EconomicCredentials, read_secret
from hub.sources.base import ProductSource
from hub.sources.economic import EconomicProductSource
from hub.sources.ongoing import OngoingProductSource
from hub.sources.zettle import ZettleProductSource


def product_source(connection: Connection) -> ProductSource:
    """Return the source the connection imports products from.

    Raises ConfigurationError when the connection imports no products, or names a source
    whose system it has no settings for.
    """
    settings = connection.products
    if settings is None:
        raise ConfigurationError(f"connection {connection.connection_id!r} imports no products")

    if settings.source == "economic" and connection.economic is not None:
        economic = connection.economic
        credentials = read_secret(economic.secret_name, EconomicCredentials)
        client = EconomicClient(
            economic.base_url,
            credentials,
            timeout_seconds=economic.timeout_seconds,
            max_attempts=economic.max_attempts,
        )
        return EconomicProductSource(client, settings, economic)
    if settings.source == "ongoing" and connection.ongoing is not None:
        return OngoingProductSource(OngoingClient.from_settings(connection.ongoing))
    if settings.source == "zettle" and connection.zettle is not None:
        return ZettleProductSource(ZettleClient.from_settings(connection.zettle), settings)

    raise ConfigurationError(
        f"connection {connection.connection_id!r}: products.source is {settings.source!r}, but the"
        f" connection has no {settings.source} settings. Add them, or choose another source."
    )
