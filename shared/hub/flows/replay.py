"""Replaying a transfer: read the order from Bemakers again and queue it with `force`.

The replay goes through the orders queue and the transfer function like any other change, so
the ledger's lease and each target's lookup by external reference keep it exactly-once. A
replay of a transferred order adopts the document that exists instead of creating another.
"""

from __future__ import annotations

from hub.connections import ConnectionStore
from hub.connectors.bemakers import BemakersClient
from hub.errors import ConfigurationError
from hub.models.bemakers import version_of
from hub.models.messages import DocumentChanged
from hub.observability import logger
from hub.queue import enqueue
from hub.secrets import BemakersCredentials, read_secret
from hub.targets.factory import order_target_names


def replay_order(
    connections: ConnectionStore,
    queue_url: str,
    connection_id: str,
    order_id: str,
    *,
    targets: list[str] | None = None,
) -> DocumentChanged:
    """Queue the order's current Bemakers state for `targets` (default: all). Returns the message.

    Raises ConnectionNotFound, ConfigurationError for a target the connection does not have,
    and TargetRejected or TargetUnavailable when Bemakers does not return the order.
    """
    connection = connections.get(connection_id)
    known = order_target_names(connection)
    unknown = sorted(set(targets or []) - set(known))
    if unknown:
        raise ConfigurationError(
            f"connection {connection_id} has no target {', '.join(unknown)}; its targets: {', '.join(known)}"
        )

    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    client = BemakersClient(
        connection.bemakers.base_url, credentials, timeout_seconds=connection.bemakers.timeout_seconds
    )
    order = client.get_order(order_id)

    message = DocumentChanged(
        connection_id=connection_id,
        kind="order",
        document_id=order.id,
        version=version_of(order.updated_at),
        source="replay",
        force=True,
        targets=targets or None,
        snapshot=order.model_dump(mode="json"),
    )
    enqueue(queue_url, [message])
    logger.info("order replay queued", connection_id=connection_id, document_id=order.id, targets=targets)
    return message
