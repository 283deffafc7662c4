"""No customer name, e-mail, address or phone number reaches a log line, on any path."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.observability import logger as hub_logger
from hubctl.demo import DemoEnvironment
from tests.integration.helpers import delivery_for, sample_delivery
from tests.samples import DELIVERIES, delivery_document


def _personal_values(customer: dict[str, Any]) -> set[str]:
    values = {
        customer.get("name"),
        customer.get("email"),
        customer.get("phone"),
        customer.get("company_name"),
    }
    for address in (customer.get("billing_address"), customer.get("shipping_address")):
        if address:
            values |= {
                address.get("line1"),
                address.get("line2"),
                f"{address['postal_code']} {address['city']}",
            }
    return {value for value in values if value}


PERSONAL_DATA = sorted(
    set().union(
        *(
            _personal_values(delivery_document(path.name)["body"]["data"]["customer"])
            for path in DELIVERIES.glob("*.json")
            if "customer" in delivery_document(path.name)["body"]["data"]
        )
    )
)


@pytest.fixture
def captured_logs(environment: DemoEnvironment) -> Iterator[io.StringIO]:
    """Everything any logger writes at DEBUG and above while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    # The hub's JSON formatter writes every structured key, as CloudWatch would receive it.
    handler.setFormatter(hub_logger.registered_formatter)
    loggers = [logging.getLogger(), logging.getLogger("bemakers-hub")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield stream
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _replay_every_path(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    for path in sorted(DELIVERIES.glob("*.json")):
        environment.deliver(sample_delivery(path.name))
        environment.deliver(sample_delivery(path.name))  # duplicate
        environment.deliver(sample_delivery(path.name), sign=False)  # 401
        environment.deliver(sample_delivery(path.name), connection_id="unknown-shop")  # 404
        body = delivery_document(path.name)["body"]
        body["data"]["lines"][0]["quantity"] = -1
        environment.deliver(delivery_for(body, f"invalid-{path.name}"))  # 400
    environment.economic.inject_fault("POST", "/invoices/drafts", "accepted_then_500")
    environment.economic.inject_fault("GET", "/customers", "http_429", retry_after=0)
    environment.hub.drain_queue()
    environment.hub.run_schedule()
    _ship_and_import(environment)
    environment.configure_economic(layout=999)  # every later transfer is rejected by e-conomic
    body = delivery_document("01-order-created-consumer-dk.json")["body"]
    body["data"].update(id="ord_rejected", updated_at="2026-12-04T00:00:00Z")
    environment.deliver(delivery_for(body, "dlv_rejected"))
    environment.hub.drain_queue()
    # The operations functions: the report names the open failure, the heartbeat finds nothing.
    environment.hub.run_schedule("StatusReportFunction")
    environment.hub.run_schedule("HeartbeatFunction")


def _ship_and_import(environment: DemoEnvironment) -> None:
    """Ship an order, refuse a change after picking, and run both imports and the Ongoing webhook."""
    order_id = int(environment.ongoing.orders["1001"]["orderInfo"]["orderId"])
    environment.ongoing.ship_parcel("1001", "P1", {"ol_1": 6}, shipped_time=datetime.now(UTC))
    environment.deliver_ongoing_webhook({"orderId": order_id})
    environment.deliver_ongoing_webhook({"orderNumber": "no order id"})  # 400
    environment.hub.run_schedule("FulfillmentImportFunction")
    environment.ongoing.set_stock("GIN-70CL", "DK1", -1)
    environment.hub.run_schedule("InventoryImportFunction")
    environment.ongoing.set_order_status("1003", 400)
    body = delivery_document("03-order-created-business-se.json")["body"]
    body["data"].update(updated_at="2026-12-04T00:00:00Z")
    body["data"]["lines"][0]["quantity"] = 1
    environment.deliver(delivery_for(body, "dlv_refused"))
    environment.hub.drain_queue()


def test_personal_data_list_is_not_empty() -> None:
    assert len(PERSONAL_DATA) >= 10


def test_logs_name_no_personal_data(
    environment: DemoEnvironment, captured_logs: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    _replay_every_path(environment)
    output = captured_logs.getvalue() + capfd.readouterr().out
    leaked = [value for value in PERSONAL_DATA if value in output]
    assert leaked == []


def test_logs_were_captured(
    environment: DemoEnvironment, captured_logs: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    _replay_every_path(environment)
    output = captured_logs.getvalue() + capfd.readouterr().out
    assert all(
        message in output
        for message in (
            "delivery enqueued",
            "webhook rejected",
            "transfer rejected",
            "retrying request",
            "fulfillment posted",
            "ongoing webhook rejected",
            "negative stock level not sent",
            "warehouse change refused",
            "notice published",
            "status report built",
        )
    )
