"""Zettle's webhooks: a signed inventory or product change starts an early import for its connection.

Zettle's Pusher API posts a JSON message whose `payload` is a string and whose `timestamp` and
`payload` are signed with HMAC-SHA256 under the subscription's signing key; the hex digest is in
`X-iZettle-Signature`. An unsigned or wrongly signed message gets 401, an unknown connection 404,
a malformed one 400. An inventory event runs the import of the connection's Zettle stock at once
and returns 200. A product event does the same with the product import, through the same code
as the schedule, when the connection's product source is Zettle. Other events get 200 and are
ignored. When Zettle or Bemakers cannot be reached, the response is 503 so Zettle retries, and
the scheduled import catches up regardless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from hub import signatures
from hub.connections import Connection
from hub.connectors.zettle import ZettleClient
from hub.errors import ConfigurationError, ConnectionNotFound, TargetError, validation_paths
from hub.flows.inventory_import import import_connection_inventory
from hub.flows.product_import import DEADLINE_MARGIN_SECONDS, import_connection
from hub.flows.webhook import WebhookResponse
from hub.inventory.zettle import ZettleStockSource
from hub.observability import logger, metrics
from hub.runtime import Runtime, get_runtime
from hub.secrets import ZettleCredentials, read_secret

SIGNATURE_HEADER = "x-izettle-signature"
MAX_BODY_BYTES = 64_000
INVENTORY_EVENTS = frozenset(
    {"InventoryBalanceChanged", "InventoryTrackingStarted", "InventoryTrackingStopped"}
)
PRODUCT_EVENTS = frozenset({"ProductCreated", "ProductUpdated", "ProductDeleted"})
# API Gateway ends an HTTP API request after 30 seconds. A product import started by a webhook
# stops between products after this many seconds, and the scheduled import does the rest.
PRODUCT_IMPORT_SECONDS = 20.0


class PusherMessage(BaseModel):
    """One Zettle webhook message. NOTE: field names from the vendor's Pusher documentation."""

    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True)

    organization_uuid: str
    message_uuid: str
    event_name: str
    payload: str
    """The event as a JSON string: exactly the text that was signed."""
    timestamp: str


def _reject(status: int, reason: str, **details: Any) -> WebhookResponse:
    logger.warning("Zettle webhook rejected", status=status, reason=reason, **details)
    metrics.add_metric(name="WebhooksRejected", unit="Count", value=1)
    return WebhookResponse(status, {"error": reason, **details})


def receive_zettle_webhook(
    connection_id: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    time_left: Callable[[], float],
) -> WebhookResponse:
    """Handle one Zettle webhook and return the HTTP response. `headers` keys must be lower-case."""
    logger.append_keys(connection_id=connection_id)
    if len(body) > MAX_BODY_BYTES:
        return _reject(413, f"body is larger than {MAX_BODY_BYTES} bytes")

    runtime = get_runtime()
    try:
        connection = runtime.connections.get(connection_id)
    except ConnectionNotFound:
        return _reject(404, "unknown connection")
    if connection.zettle is None:
        return _reject(404, "the connection has no Zettle settings")

    try:
        message = PusherMessage.model_validate(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _reject(400, "body is not valid JSON")
    except ValidationError as error:
        return _reject(400, "message fails Zettle's webhook format", fields=validation_paths(error))

    credentials = read_secret(connection.zettle.secret_name, ZettleCredentials)
    try:
        # No age check: Zettle retries a message for up to 70 hours, and replaying a genuine
        # message only runs an import, which sends Bemakers nothing that is not a change.
        signatures.verify_hex(
            secrets=credentials.webhook_signing_keys,
            timestamp=message.timestamp,
            signature=headers.get(SIGNATURE_HEADER),
            payload=message.payload.encode("utf-8"),
        )
    except signatures.InvalidSignature as error:
        return _reject(401, str(error))

    logger.append_keys(zettle_message_uuid=message.message_uuid, zettle_event=message.event_name)
    if message.event_name in PRODUCT_EVENTS:
        return _import_products(runtime, connection, time_left)
    if message.event_name not in INVENTORY_EVENTS:
        logger.info("Zettle webhook ignored: not an inventory or product event")
        return WebhookResponse(200, {"status": "ignored", "event": message.event_name})

    try:
        source = ZettleStockSource(connection.zettle, ZettleClient.from_settings(connection.zettle))
        report = import_connection_inventory(runtime, connection, source, time_left)
    except (TargetError, ConfigurationError) as error:
        logger.error(
            "inventory import on a Zettle webhook failed",
            error_type=type(error).__name__,
            error_message=str(error),
        )
        metrics.add_metric(name="InventoryImportsFailed", unit="Count", value=1)
        return WebhookResponse(503, {"error": "the inventory import failed; the scheduled run retries it"})
    metrics.add_metric(name="WebhooksAccepted", unit="Count", value=1)
    return WebhookResponse(200, {"status": "imported", "levels_pushed": report.counts.pushed})


def _import_products(
    runtime: Runtime, connection: Connection, time_left: Callable[[], float]
) -> WebhookResponse:
    """Run the connection's product import when Zettle is its product source, within the time budget."""
    if connection.products is None or connection.products.source != "zettle":
        logger.info("Zettle webhook ignored: the connection's product source is not Zettle")
        return WebhookResponse(200, {"status": "ignored", "reason": "product source is not zettle"})

    started = time.monotonic()

    def budget_left() -> float:
        # The import stops once fewer than DEADLINE_MARGIN_SECONDS are left, so the margin is
        # added to the budget to let it run for PRODUCT_IMPORT_SECONDS.
        spent = time.monotonic() - started
        return min(time_left(), PRODUCT_IMPORT_SECONDS + DEADLINE_MARGIN_SECONDS - spent)

    try:
        report = import_connection(runtime, connection, now=datetime.now(UTC), time_left=budget_left)
    except (TargetError, ConfigurationError) as error:
        logger.error(
            "product import on a Zettle webhook failed",
            error_type=type(error).__name__,
            error_message=str(error),
        )
        metrics.add_metric(name="ProductImportsFailed", unit="Count", value=1)
        return WebhookResponse(503, {"error": "the product import failed; the scheduled run retries it"})
    metrics.add_metric(name="WebhooksAccepted", unit="Count", value=1)
    return WebhookResponse(
        200,
        {
            "status": "imported",
            "created": report.created,
            "updated": report.updated,
            "deactivated": report.deactivated,
            "complete": report.complete,
        },
    )
