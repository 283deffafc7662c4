"""The fulfillment import flow: shipments from the warehouse into Bemakers as fulfillments.

A scheduled run reads the orders shipped since the connection's cursor. Ongoing's webhook only
names an order, which is then read again through REST. Each shipped parcel is posted once as a
fulfillment with its carrier, tracking and shipped quantities: the ledger keys it on the
Ongoing order and parcel ids, and Bemakers rejects a repeated external id with 409, which the
client resolves to the stored fulfillment. A shipment for an order the hub did not send, or one
that Bemakers rejects, is logged with ids, counted and passed over, so it never stops the run.
When the warehouse or Bemakers is unavailable, the run fails and the cursor stays where it was.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from hub.connections import Connection
from hub.connectors.bemakers import BemakersClient
from hub.connectors.ongoing import OngoingClient
from hub.errors import ConfigurationError, ConnectionNotFound, HubError, TargetError, TargetRejected
from hub.flows.webhook import WebhookResponse
from hub.ledger import ClaimRefused, TargetErrorRecord, TransferState
from hub.mapping.ongoing import Shipment, from_ongoing_shipment
from hub.models import ongoing
from hub.models.bemakers import FulfillmentLine, FulfillmentRequest, Tracking
from hub.observability import logger, metrics
from hub.runtime import Runtime, get_runtime
from hub.secrets import BemakersCredentials, OngoingCredentials, read_secret
from hub.targets.ongoing import NAME as ONGOING_TARGET

CURSOR_NAME = "fulfillments"
FIRST_RUN_LOOKBACK = timedelta(days=1)
# Reads start this far before the cursor, so that a parcel registered late with an earlier
# shipped time is still read. The ledger skips what was posted before.
OVERLAP = timedelta(minutes=10)
LEDGER_KIND = "shipment"
LEDGER_TARGET = "bemakers"
MAX_WEBHOOK_BODY_BYTES = 64_000


class FulfillmentImportFailed(HubError):
    """One or more connections' shipments could not be imported; the others were."""


@dataclass
class ImportCounts:
    orders_read: int = 0
    fulfillments_posted: int = 0
    already_posted: int = 0
    unknown_orders: int = 0
    rejected: int = 0
    in_progress: int = 0
    """Shipments another invocation was posting; the cursor stays so the next run reads them again."""


@dataclass(frozen=True)
class ImportReport:
    connection_id: str
    counts: ImportCounts
    cursor: datetime


@dataclass(frozen=True)
class _Clients:
    ongoing: OngoingClient
    bemakers: BemakersClient


def _clients(connection: Connection) -> _Clients:
    if connection.ongoing is None:
        raise ConfigurationError(f"connection {connection.connection_id} has no Ongoing settings")
    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    return _Clients(
        ongoing=OngoingClient.from_settings(connection.ongoing),
        bemakers=BemakersClient(
            connection.bemakers.base_url, credentials, timeout_seconds=connection.bemakers.timeout_seconds
        ),
    )


# -- scheduled runs -------------------------------------------------------------------------------


def import_fulfillments(now: datetime, *, lease_seconds: float) -> list[ImportReport]:
    """Import every connection with a warehouse. Raises FulfillmentImportFailed when any failed."""
    runtime = get_runtime()
    reports: list[ImportReport] = []
    failed: list[str] = []
    for connection in runtime.connections.list():
        if connection.ongoing is None:
            continue
        try:
            reports.append(import_connection(runtime, connection, now, lease_seconds=lease_seconds))
        except (TargetError, ConfigurationError) as error:
            logger.error(
                "fulfillment import failed",
                connection_id=connection.connection_id,
                error_type=type(error).__name__,
                error_message=str(error),
            )
            metrics.add_metric(name="FulfillmentImportsFailed", unit="Count", value=1)
            failed.append(connection.connection_id)
    if failed:
        raise FulfillmentImportFailed(f"fulfillment import failed for connections {failed}")
    return reports


def import_connection(
    runtime: Runtime, connection: Connection, now: datetime, *, lease_seconds: float
) -> ImportReport:
    """Post the shipments of orders shipped since the cursor, then move the cursor."""
    assert connection.ongoing is not None
    cursor = (
        runtime.cursors.get(connection.connection_id, CURSOR_NAME)
        or connection.ongoing.first_import_since
        or now - FIRST_RUN_LOOKBACK
    )
    clients = _clients(connection)
    counts = ImportCounts()
    newest = cursor
    for order in clients.ongoing.orders_shipped_since(cursor - OVERLAP):
        import_order(runtime, connection, clients.bemakers, order, counts, lease_seconds=lease_seconds)
        if order.order_info.shipped_time is not None:
            newest = max(newest, order.order_info.shipped_time)

    # The cursor moves only when every shipment up to it is posted or recorded as failed.
    if counts.in_progress == 0:
        runtime.cursors.advance(connection.connection_id, CURSOR_NAME, newest)
    logger.info(
        "fulfillments imported",
        connection_id=connection.connection_id,
        orders_read=counts.orders_read,
        fulfillments_posted=counts.fulfillments_posted,
        already_posted=counts.already_posted,
        unknown_orders=counts.unknown_orders,
    )
    return ImportReport(connection.connection_id, counts, newest)


def import_order(
    runtime: Runtime,
    connection: Connection,
    bemakers: BemakersClient,
    order: ongoing.Order,
    counts: ImportCounts,
    *,
    lease_seconds: float,
) -> None:
    """Post each shipped parcel of one warehouse order that was not posted yet."""
    counts.orders_read += 1
    ongoing_order_id = order.order_info.order_id
    bemakers_order_id = order.order_info.goods_owner_order_id
    known = bemakers_order_id is not None and (
        runtime.ledger.get(connection.connection_id, "order", bemakers_order_id, ONGOING_TARGET) is not None
    )
    if not known:
        logger.warning(
            "shipment for an unknown order",
            connection_id=connection.connection_id,
            ongoing_order_id=ongoing_order_id,
        )
        metrics.add_metric(name="UnknownShipmentOrders", unit="Count", value=1)
        counts.unknown_orders += 1
        return
    for shipment in from_ongoing_shipment(order):
        _post_shipment(runtime, connection, bemakers, shipment, counts, lease_seconds=lease_seconds)


def _post_shipment(
    runtime: Runtime,
    connection: Connection,
    bemakers: BemakersClient,
    shipment: Shipment,
    counts: ImportCounts,
    *,
    lease_seconds: float,
) -> None:
    ledger = runtime.ledger
    try:
        # Every shipment has one version: it is posted once and never changes afterwards.
        lease = ledger.claim(
            connection.connection_id,
            LEDGER_KIND,
            shipment.shipment_id,
            LEDGER_TARGET,
            version=1,
            lease_seconds=lease_seconds,
        )
    except ClaimRefused as refused:
        if refused.stale:
            counts.already_posted += 1
        else:
            logger.info("another invocation is posting the shipment", shipment_id=shipment.shipment_id)
            counts.in_progress += 1
        return

    try:
        fulfillment = bemakers.create_fulfillment(shipment.bemakers_order_id, to_fulfillment(shipment))
    except (TargetRejected, ValidationError) as error:
        message = (
            str(error) if isinstance(error, TargetRejected) else "the shipment fails the fulfillment model"
        )
        ledger.finish(
            lease,
            state=TransferState.FAILED,
            error=TargetErrorRecord(message=message, status=getattr(error, "status", None)),
            applied=True,
        )
        logger.error(
            "fulfillment rejected", shipment_id=shipment.shipment_id, order_id=shipment.bemakers_order_id
        )
        metrics.add_metric(name="FulfillmentsFailed", unit="Count", value=1)
        counts.rejected += 1
        return
    except Exception as error:
        ledger.finish(
            lease,
            state=TransferState.RETRYING,
            error=TargetErrorRecord(message=f"{type(error).__name__}: {error}"),
            applied=False,
        )
        raise

    ledger.finish(
        lease,
        state=TransferState.TRANSFERRED,
        documents={
            "fulfillment_id": fulfillment.id,
            "order_id": shipment.bemakers_order_id,
            "status": shipment.status.value,
        },
        applied=True,
    )
    logger.info(
        "fulfillment posted",
        shipment_id=shipment.shipment_id,
        order_id=shipment.bemakers_order_id,
        fulfillment_id=fulfillment.id,
        status=shipment.status.value,
    )
    metrics.add_metric(name="FulfillmentsPosted", unit="Count", value=1)
    counts.fulfillments_posted += 1


def to_fulfillment(shipment: Shipment) -> FulfillmentRequest:
    """Map a warehouse shipment to the Bemakers fulfillment. Raises ValidationError for a malformed one."""
    tracking = []
    if shipment.tracking_number:
        tracking.append(Tracking(number=shipment.tracking_number, url=shipment.tracking_url))
    return FulfillmentRequest(
        external_id=f"ongoing:{shipment.shipment_id}",
        status=shipment.status,
        shipped_at=shipment.shipped_at,
        carrier=shipment.carrier,
        tracking=tracking,
        lines=[
            FulfillmentLine(order_line_id=line.order_line_id, quantity=Decimal(line.quantity))
            for line in shipment.lines
        ],
    )


# -- webhook trigger ------------------------------------------------------------------------------


def receive_ongoing_webhook(
    connection_id: str, headers: dict[str, str], body: bytes, *, lease_seconds: float
) -> WebhookResponse:
    """Handle one Ongoing order webhook: read the named order through REST and post its new shipments.

    `headers` keys must be lower-case. The body is only a trigger and is never logged.
    """
    logger.append_keys(connection_id=connection_id)
    if len(body) > MAX_WEBHOOK_BODY_BYTES:
        return _reject(413, f"body is larger than {MAX_WEBHOOK_BODY_BYTES} bytes")
    runtime = get_runtime()
    try:
        connection = runtime.connections.get(connection_id)
    except ConnectionNotFound:
        return _reject(404, "unknown connection")
    if connection.ongoing is None:
        return _reject(404, "the connection has no Ongoing warehouse")

    credentials = read_secret(connection.ongoing.secret_name, OngoingCredentials)
    if not _authorized(headers.get("authorization"), credentials.webhook_password):
        return _reject(401, "missing or wrong webhook credentials")

    try:
        payload = ongoing.WebhookPayload.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        # Neither the body nor the validation details are logged: they may hold customer data.
        return _reject(400, "body is not an Ongoing order webhook with an orderId")

    clients = _clients(connection)
    if payload.goods_owner_id is not None and payload.goods_owner_id != clients.ongoing.goods_owner_id:
        return _reject(400, "the webhook names another goods owner")
    order = clients.ongoing.get_order(payload.order_id)
    counts = ImportCounts()
    if order is None:
        logger.warning(
            "webhook names an order the warehouse does not have", ongoing_order_id=payload.order_id
        )
        metrics.add_metric(name="UnknownShipmentOrders", unit="Count", value=1)
        return WebhookResponse(200, {"status": "unknown order"})
    import_order(runtime, connection, clients.bemakers, order, counts, lease_seconds=lease_seconds)
    metrics.add_metric(name="OngoingWebhooksAccepted", unit="Count", value=1)
    return WebhookResponse(
        200,
        {
            "status": "imported",
            "fulfillments_posted": counts.fulfillments_posted,
            "already_posted": counts.already_posted,
            "unknown_orders": counts.unknown_orders,
        },
    )


def _authorized(header: str | None, password: str | None) -> bool:
    """Check HTTP Basic credentials: any user name, and the connection's webhook password."""
    if not header or not password or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[len("Basic ") :], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    _, _, supplied = decoded.partition(":")
    return hmac.compare_digest(supplied.encode(), password.encode())


def _reject(status: int, reason: str) -> WebhookResponse:
    logger.warning("ongoing webhook rejected", status=status, reason=reason)
    metrics.add_metric(name="OngoingWebhooksRejected", unit="Count", value=1)
    body: dict[str, Any] = {"error": reason}
    return WebhookResponse(status, body)
