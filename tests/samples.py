"""Sample documents for tests: the delivery files in events/deliveries and the demo connection."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub.connections import ConnectionsFile, EconomicSettings
from hub.models.bemakers import Order
from hub.models.canonical import CanonicalOrder, from_bemakers_order
from hubctl.connections_file import load_connections_file

REPOSITORY = Path(__file__).resolve().parent.parent
DELIVERIES = REPOSITORY / "events" / "deliveries"
CONSUMER_DK = "01-order-created-consumer-dk.json"
BUSINESS_DK = "02-order-updated-business-dk.json"
BUSINESS_SE = "03-order-created-business-se.json"
WAITING = "04-order-created-waiting-for-payment.json"
PAID = "05-order-updated-paid.json"


def delivery_document(name: str) -> dict[str, Any]:
    """Return a delivery file's JSON (headers and body), numbers as Decimal."""
    document: dict[str, Any] = json.loads(
        (DELIVERIES / name).read_text(encoding="utf-8"), parse_float=Decimal
    )
    return document


def order_payload(name: str) -> dict[str, Any]:
    """Return a copy of the order inside a sample delivery, safe to change."""
    return copy.deepcopy(delivery_document(name)["body"]["data"])


def canonical_order(name: str, **changes: Any) -> CanonicalOrder:
    payload = order_payload(name)
    payload.update(changes)
    return from_bemakers_order(Order.model_validate(payload))


def demo_connections() -> ConnectionsFile:
    return load_connections_file(
        REPOSITORY / "hubctl" / "demo_data" / "connections.yaml",
        variables={
            "BEMAKERS_BASE_URL": "http://127.0.0.1:9",
            "ECONOMIC_BASE_URL": "http://127.0.0.1:9",
            "ONGOING_BASE_URL": "http://127.0.0.1:9",
            "ZETTLE_BASE_URL": "http://127.0.0.1:9",
        },
    )


def economic_settings(**changes: Any) -> EconomicSettings:
    settings = demo_connections().connections[0].economic
    assert settings is not None
    return settings.model_copy(update=changes)
