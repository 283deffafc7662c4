"""Building a connection's order targets, with credentials from Secrets Manager."""

from __future__ import annotations

from hub.connections import Connection
from hub.connectors.economic import EconomicClient
from hub.secrets import EconomicCredentials, read_secret
from hub.targets.base import OrderTarget
from hub.targets.economic import NAME as ECONOMIC
from hub.targets.economic import EconomicOrderTarget


def order_target_names(connection: Connection) -> list[str]:
    """Return the names of the targets an order of this connection goes to, without reading secrets."""
    return [ECONOMIC] if connection.economic is not None else []


def order_targets(connection: Connection) -> list[OrderTarget]:
    """Return the targets an order of this connection goes to, in transfer order."""
    targets: list[OrderTarget] = []
    if connection.economic is not None:
        settings = connection.economic
        credentials = read_secret(settings.secret_name, EconomicCredentials)
        client = EconomicClient(
            settings.base_url,
            credentials,
            timeout_seconds=settings.timeout_seconds,
            max_attempts=settings.max_attempts,
        )
        targets.append(EconomicOrderTarget(settings, client))
    return targets
