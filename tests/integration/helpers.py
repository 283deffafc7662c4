"""Helpers for integration tests that read the local stack's state."""

from __future__ import annotations

import json
from typing import Any

import boto3

from hub.runtime import get_runtime
from hubctl.deliveries import Delivery, load_delivery
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from hubctl.local import REGION
from hubctl.sandboxes._http import dumps_json
from tests.samples import DELIVERIES


def sample_delivery(name: str) -> Delivery:
    return load_delivery(DELIVERIES / name)


def delivery_for(body: dict[str, Any], delivery_id: str = "dlv_test") -> Delivery:
    """Return an unsigned delivery whose body is `body` written as JSON."""
    return Delivery(
        "test",
        {"Content-Type": "application/json", "X-Bemakers-Delivery": delivery_id},
        dumps_json(body).encode(),
    )


def invoices_for(environment: DemoEnvironment, order_id: str) -> list[dict[str, Any]]:
    """Return every draft and booked invoice in the e-conomic sandbox that references the order."""
    reference = f"bemakers-order:{order_id}"
    invoices = [*environment.economic.draft_invoices.values(), *environment.economic.booked_invoices.values()]
    return [invoice for invoice in invoices if invoice.get("references", {}).get("other") == reference]


def queued_messages(environment: DemoEnvironment, queue: str = "OrdersQueue") -> int:
    return environment.hub.queue_depth(queue)


def ledger_state(order_id: str, target: str = "economic") -> Any:
    return get_runtime().ledger.get(DEMO_CONNECTION, "order", order_id, target)


def expire_lease(order_id: str, target: str = "economic") -> None:
    """Make a lease lapse, as it does when the invocation that took it reaches its deadline."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(get_runtime().settings.ledger_table)
    table.update_item(
        Key={"pk": f"{DEMO_CONNECTION}#order#{order_id}", "sk": f"target#{target}"},
        UpdateExpression="SET lease_expires_at = :past",
        ExpressionAttributeValues={":past": 0},
    )


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def received_messages(queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every message on a queue; return their bodies parsed as JSON."""
    sqs = boto3.client("sqs", region_name=REGION)
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
