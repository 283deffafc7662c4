"""Building a connection's order targets, with credentials from Secrets Manager."""

from __future__ import annotations

from collections.abc import Callable

from hub.connections import Connection
from hub.connectors.economic import EconomicClient
from hub.connectors.ongoing import OngoingClient
from hub.connectors.zettle import ZettleClient
from hub.runtime import get_runtime
from hub.secrets import EconomicCredentials, read_secret
from hub.targets.base import OrderTarget
from hub.targets.economic import NAME as ECONOMIC
from hub.targets.economic import EconomicOrderTarget
from hub.targets.ongoing import OngoingOrderTarget
from hub.targets.zettle import NAME as ZETTLE_TARGET
from hub.targets.zettle import ZettleTarget


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
    if connection.ongoing is not None:
        targets.append(
            OngoingOrderTarget(connection.ongoing, OngoingClient.from_settings(connection.ongoing))
        )
    if connection.zettle is not None:
        targets.append(
            ZettleTarget(
                connection.connection_id,
                connection.zettle,
                ZettleClient.from_settings(connection.zettle),
                _ledger_documents(connection.connection_id, ZETTLE_TARGET),
            )
        )
    return targets


def _ledger_documents(connection_id: str, target: str) -> Callable[[str, str], dict[str, str]]:
    def documents(kind: str, document_id: str) -> dict[str, str]:
        record = get_runtime().ledger.get(connection_id, kind, document_id, target)
        return dict(record.documents) if record is not None else {}

    return documents
