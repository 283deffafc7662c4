"""The webhook flow: verify, validate and enqueue one Bemakers delivery.

A delivery is rejected with the reason and never enqueued when it is too large (413), for
an unknown connection (404), unsigned or wrongly signed or too old (401), or not a valid
event (400, with the paths of the bad fields). A valid one is enqueued once per delivery id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from hub import signatures
from hub.errors import ConnectionNotFound, validation_paths
from hub.models.bemakers import CreditNoteEvent, OrderEvent, version_of
from hub.models.messages import DocumentChanged
from hub.observability import logger, metrics
from hub.queue import enqueue
from hub.runtime import get_runtime
from hub.secrets import BemakersCredentials, read_secret

MAX_BODY_BYTES = 256_000
MAX_DELIVERY_ID_LENGTH = 200
"""Longer delivery ids are rejected: the id is part of a ledger key, which DynamoDB caps at 2,048 bytes."""
TIMESTAMP_HEADER = "x-bemakers-timestamp"
SIGNATURE_HEADER = "x-bemakers-signature"
DELIVERY_HEADER = "x-bemakers-delivery"

_EVENT_MODELS: dict[str, type[OrderEvent | CreditNoteEvent]] = {
    "order.created": OrderEvent,
    "order.updated": OrderEvent,
    "credit_note.created": CreditNoteEvent,
}


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _reject(status: int, reason: str, **details: Any) -> WebhookResponse:
    logger.warning("webhook rejected", status=status, reason=reason, **details)
    metrics.add_metric(name="WebhooksRejected", unit="Count", value=1)
    return WebhookResponse(status, {"error": reason, **details})


def receive_webhook(
    connection_id: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> WebhookResponse:
    """Handle one delivery and return the HTTP response. `headers` keys must be lower-case."""
    now = time.time() if now is None else now
    logger.append_keys(connection_id=connection_id, delivery_id=headers.get(DELIVERY_HEADER))
    if len(body) > MAX_BODY_BYTES:
        return _reject(413, f"body is larger than {MAX_BODY_BYTES} bytes")

    runtime = get_runtime()
    try:
        connection = runtime.connections.get(connection_id)
    except ConnectionNotFound:
        return _reject(404, "unknown connection")

    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    try:
        signatures.verify(
            secrets=credentials.webhook_secrets,
            timestamp=headers.get(TIMESTAMP_HEADER),
            signature_header=headers.get(SIGNATURE_HEADER),
            body=body,
            now=now,
        )
    except signatures.InvalidSignature as error:
        return _reject(401, str(error))

    try:
        # Decimal keeps every digit of the amounts through the queue to the target.
        payload = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _reject(400, "body is not valid JSON", position=getattr(error, "pos", None))
    except RecursionError:
        # A few thousand nested brackets fit in the size limit and exhaust the parser's stack.
        return _reject(400, "body is nested too deeply", position=None)
    event_type = payload.get("type") if isinstance(payload, dict) else None
    event_model = _EVENT_MODELS.get(str(event_type))
    if event_model is None:
        return _reject(400, "unknown or missing event type", fields=["type"])
    try:
        event = event_model.model_validate(payload)
    except ValidationError as error:
        return _reject(400, "event fails the Bemakers contract", fields=validation_paths(error))

    delivery_id = headers.get(DELIVERY_HEADER) or event.id
    if len(delivery_id.encode("utf-8")) > MAX_DELIVERY_ID_LENGTH:
        return _reject(
            400, f"delivery id is longer than {MAX_DELIVERY_ID_LENGTH} bytes", fields=[DELIVERY_HEADER]
        )
    if runtime.ledger.seen_delivery(connection_id, delivery_id):
        logger.info("duplicate delivery ignored", event_type=event.type)
        metrics.add_metric(name="DuplicateDeliveries", unit="Count", value=1)
        return WebhookResponse(200, {"status": "duplicate", "delivery_id": delivery_id})

    message = DocumentChanged(
        connection_id=connection_id,
        kind="order" if isinstance(event, OrderEvent) else "credit_note",
        document_id=event.data.id,
        version=version_of(event.data.updated_at),
        source="webhook",
        delivery_id=delivery_id,
        snapshot=payload["data"],
    )
    queue_url = (
        runtime.settings.orders_queue_url
        if message.kind == "order"
        else runtime.settings.credit_notes_queue_url
    )
    enqueue(queue_url, [message])
    runtime.ledger.remember_delivery(connection_id, delivery_id, message.document_id)
    logger.info("delivery enqueued", event_type=event.type, document_id=message.document_id)
    metrics.add_metric(name="WebhooksAccepted", unit="Count", value=1)
    return WebhookResponse(202, {"status": "queued", "delivery_id": delivery_id})
