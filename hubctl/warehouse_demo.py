"""The warehouse part of `hubctl demo`: orders to Ongoing WMS, shipments and stock back into Bemakers.

It runs after the order transfer part, on the same environment, and returns the problems it
found so that the demo can fail on them.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hub.ledger import TransferState
from hubctl.deliveries import Delivery
from hubctl.demo import DEMO_CONNECTION, DEMO_GOODS_OWNER_ID, DemoEnvironment
from hubctl.local import INVENTORY_FUNCTION
from hubctl.sandboxes._http import dumps_json
from hubctl.sandboxes.ongoing import STATUS_PICKED

PrintTable = Callable[[list[list[str]], list[str]], None]


def run_warehouse_demo(
    environment: DemoEnvironment, orders: dict[str, dict[str, Any]], print_table: PrintTable
) -> list[str]:
    """Play the warehouse flows through and print what each system received. Returns the problems found."""
    problems: list[str] = []
    ongoing = environment.ongoing

    print("\n6. Warehouse orders in Ongoing WMS (sent by the same order transfer):")
    rows = [
        [
            number,
            str(order["orderInfo"]["orderId"]),
            order["orderInfo"]["orderStatus"]["text"],
            (order.get("wayOfDelivery") or {}).get("code", "-"),
            (order.get("transporter") or {}).get("transporterCode", "-"),
            ", ".join(_line_text(line) for line in order["orderLines"]),
        ]
        for number, order in sorted(ongoing.orders.items())
    ]
    print_table(rows, ["order", "Ongoing id", "status", "way of delivery", "transporter", "lines"])
    skipped = environment.ledger.get(DEMO_CONNECTION, "order", "ord_1002", "ongoing")
    state = skipped.state.value if skipped else "not recorded"
    print(f"   order 1002 ({orders['ord_1002']['status']}, not a warehouse trigger state): {state}")

    # Order 1001 ships in two parcels: the first is announced by Ongoing's webhook, the second
    # is found by the scheduled import. Order 1003 ships in one parcel.
    now = datetime.now(UTC)
    ongoing.ship_parcel(
        "1001", "00370000000000000011", {"ol_1": 3}, shipped_time=now, tracking_url=_tracking("11")
    )
    webhook = environment.deliver_ongoing_webhook(
        {"orderId": _ongoing_id(environment, "1001"), "goodsOwnerId": DEMO_GOODS_OWNER_ID}
    )
    ongoing.ship_parcel(
        "1001", "00370000000000000012", {"ol_1": 3}, shipped_time=now, tracking_url=_tracking("12")
    )
    ongoing.ship_parcel(
        "1003", "00370000000000000031", {"ol_1": 12}, shipped_time=now, tracking_url=_tracking("31")
    )
    scheduled = environment.hub.run_schedule("FulfillmentImportFunction")
    again = environment.hub.run_schedule("FulfillmentImportFunction")
    repeated = environment.deliver_ongoing_webhook({"orderId": _ongoing_id(environment, "1001")})
    print(
        f"\n7. Fulfillments: the webhook posted {_body(webhook)['fulfillments_posted']}, the scheduled import"
        f" {scheduled['fulfillments_posted']}; a second run and a repeated webhook posted"
        f" {again['fulfillments_posted'] + _body(repeated)['fulfillments_posted']}"
    )
    rows = []
    for order_id, items in sorted(environment.bemakers.fulfillments.items()):
        for item in items:
            rows.append(
                [
                    orders[order_id]["number"],
                    item["status"],
                    str(item.get("carrier", "-")),
                    ", ".join(tracking["number"] for tracking in item.get("tracking", [])),
                    ", ".join(f"{line['order_line_id']}: {line['quantity']}" for line in item["lines"]),
                ]
            )
    print_table(rows, ["order", "status after", "carrier", "tracking", "shipped"])
    statuses = {
        order_id: environment.bemakers.orders[order_id]["status"] for order_id in ("ord_1001", "ord_1003")
    }
    print(f"   Bemakers order status now: 1001 {statuses['ord_1001']}, 1003 {statuses['ord_1003']}")
    external_ids = Counter(
        item["external_id"] for items in environment.bemakers.fulfillments.values() for item in items
    )
    if sum(external_ids.values()) != 3 or any(count > 1 for count in external_ids.values()):
        problems.append(f"expected 3 distinct fulfillments, got {dict(external_ids)}")
    if statuses != {"ord_1001": "fulfilled", "ord_1003": "fulfilled"}:
        problems.append(f"orders not fulfilled: {statuses}")

    # Order 1004 is picked, then the customer changes the quantity: the change is refused.
    ongoing.set_order_status("1004", STATUS_PICKED)
    environment.deliver(
        _order_update(orders["ord_1004"], "dlv_demo_1004", "2026-12-03T09:00:00Z", quantity=4)
    )
    # Order 1005 is cancelled before the warehouse started on it.
    environment.deliver(
        _order_update(orders["ord_1005"], "dlv_demo_1005", "2026-12-03T09:05:00Z", status="cancelled")
    )
    # A credit note returns one can of order 1001 to stock.
    environment.deliver(_credit_note_delivery())
    environment.hub.drain_queue("OrdersQueue")
    environment.hub.drain_queue("CreditNotesQueue")
    refused = environment.ledger.get(DEMO_CONNECTION, "order", "ord_1004", "ongoing")
    cancelled = ongoing.orders["1005"]["orderInfo"]["orderStatus"]["text"]
    returned = ongoing.return_orders.get("CN-1")
    print("\n8. Changes after the warehouse started, cancellation and return:")
    print(
        f"   1004 quantity change after picking: {refused.state.value if refused else '-'}"
        f" ({refused.error.message if refused and refused.error else 'no reason'})"
    )
    print(f"   1005 cancelled in Bemakers: Ongoing order status {cancelled}")
    if returned:
        lines = ", ".join(
            f"{line['toBeReturnedNumberOfItems']} x line {line['customerOrderLine']['orderLineId']}"
            for line in returned["returnOrderLines"]
        )
        return_order_id = returned["returnOrderInfo"]["returnOrderId"]
        print(f"   credit note CN-1 with returned goods: return order {return_order_id} ({lines})")
    if refused is None or refused.state is not TransferState.FAILED:
        problems.append("the change to order 1004 after picking was not recorded as refused")
    if cancelled != "Cancelled":
        problems.append("order 1005 was not cancelled in the warehouse")
    if returned is None:
        problems.append("credit note CN-1 created no return order")

    # Stock: a first run pushes every level, a second run only what changed since.
    first = environment.hub.run_schedule(INVENTORY_FUNCTION)
    ongoing.set_stock("GIN-70CL", "DK1", 24)
    ongoing.set_stock("CIDER-75CL", "DK1", -2)
    second = environment.hub.run_schedule(INVENTORY_FUNCTION)
    print(
        f"\n9. Stock levels: the first run pushed {first['levels_pushed']}, the second"
        f" {second['levels_pushed']} (GIN-70CL changed; CIDER-75CL read -2, not sent and alarmed)"
    )
    print_table(
        [
            [sku, location, str(quantity)]
            for (sku, location), quantity in sorted(environment.bemakers.stock_levels.items())
        ],
        ["SKU", "location", "quantity"],
    )
    if (first["levels_pushed"], second["levels_pushed"]) != (4, 1):
        problems.append(
            f"stock pushes were {first['levels_pushed']} and {second['levels_pushed']}, expected 4 and 1"
        )
    if environment.bemakers.stock_levels.get(("CIDER-75CL", "main-warehouse")) != Decimal(60):
        problems.append("a negative stock level reached Bemakers")

    print(f"\n   Ongoing rejected {len(ongoing.rejections)} of {len(ongoing.requests)} requests from the hub")
    if ongoing.rejections:
        problems.append(f"Ongoing sandbox rejected requests: {ongoing.rejections}")
    return problems


def _line_text(line: dict[str, Any]) -> str:
    return f"{line['rowNumber']}: {line['orderedNumberOfItems']} x {line['article']['articleNumber']}"


def _ongoing_id(environment: DemoEnvironment, order_number: str) -> int:
    return int(environment.ongoing.orders[order_number]["orderInfo"]["orderId"])


def _tracking(suffix: str) -> str:
    return f"https://tracking.example/parcel/TEST{suffix}"


def _body(response: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response["body"])
    return body


def _order_update(
    order: dict[str, Any],
    delivery_id: str,
    updated_at: str,
    *,
    quantity: int | None = None,
    status: str | None = None,
) -> Delivery:
    data = copy.deepcopy(order)
    data["updated_at"] = updated_at
    if quantity is not None:
        data["lines"][0]["quantity"] = quantity
        data["totals"] = _totals(data)
    if status is not None:
        data["status"] = status
    body = {"id": delivery_id, "type": "order.updated", "created_at": updated_at, "data": data}
    return Delivery(
        delivery_id,
        {"Content-Type": "application/json", "X-Bemakers-Delivery": delivery_id},
        dumps_json(body).encode(),
    )


def _totals(order: dict[str, Any]) -> dict[str, Decimal]:
    """Return the totals a webshop shows for the order's lines and charges, rounded to the øre."""
    cent = Decimal("0.01")
    charges = [*order.get("shipping", []), *order.get("fees", [])]
    incl = sum(
        (
            Decimal(str(line["quantity"])) * Decimal(str(line["unit_price_incl_vat"]))
            for line in order["lines"]
        ),
        Decimal(0),
    ) + sum((Decimal(str(charge["price_incl_vat"])) for charge in charges), Decimal(0))
    excl = sum(
        (
            Decimal(str(line["quantity"])) * Decimal(str(line["unit_price_excl_vat"]))
            for line in order["lines"]
        ),
        Decimal(0),
    ) + sum((Decimal(str(charge["price_excl_vat"])) for charge in charges), Decimal(0))
    incl, excl = incl.quantize(cent), excl.quantize(cent)
    return {"total_excl_vat": excl, "vat": incl - excl, "total_incl_vat": incl}


def _credit_note_delivery() -> Delivery:
    body = {
        "id": "dlv_demo_cn1",
        "type": "credit_note.created",
        "created_at": "2026-12-03T10:00:01Z",
        "data": {
            "id": "cn_1",
            "number": "CN-1",
            "order_id": "ord_1001",
            "currency": "DKK",
            "lines": [
                {
                    "order_line_id": "ol_1",
                    "sku": "IPA-33CL",
                    "name": "Hoppy IPA 33 cl",
                    "quantity": 1,
                    "unit_price_excl_vat": 28,
                    "unit_price_incl_vat": 35,
                    "vat_rate": 25,
                    "restock": True,
                }
            ],
            "totals": {"total_excl_vat": 28, "vat": 7, "total_incl_vat": 35},
            "created_at": "2026-12-03T10:00:00Z",
            "updated_at": "2026-12-03T10:00:00Z",
        },
    }
    return Delivery(
        "dlv_demo_cn1",
        {"Content-Type": "application/json", "X-Bemakers-Delivery": "dlv_demo_cn1"},
        dumps_json(body).encode(),
    )
