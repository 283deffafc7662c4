"""The POS part of `hubctl demo`: webshop sales and refunds in Zettle stock, Zettle levels into Bemakers.

It runs last, on the same environment, and returns the problems it found so that the demo can
fail on them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hubctl.deliveries import Delivery
from hubctl.demo import DEMO_CONNECTION, DEMO_TAPROOM, DemoEnvironment, response_body
from hubctl.sandboxes._http import dumps_json
from hubctl.warehouse_demo import _totals

PrintTable = Callable[[list[list[str]], list[str]], None]
PALE_ALE = "TAP-PALE-33CL"
SOUR = "TAP-SOUR-33CL"


def run_zettle_demo(
    environment: DemoEnvironment, orders: dict[str, dict[str, Any]], print_table: PrintTable
) -> list[str]:
    """Sell, refund and recount taproom beers, and print both systems' stock. Returns the problems."""
    problems: list[str] = []
    zettle = environment.zettle
    zettle.add_product("Taproom Pale Ale 33 cl", {PALE_ALE: 48})
    zettle.add_product("Taproom Sour 33 cl", {SOUR: 24})
    before = zettle.balance(PALE_ALE)

    # A webshop order fulfilled from the taproom, delivered twice under two delivery ids.
    order = _taproom_order(orders["ord_1001"])
    environment.deliver(_delivery("dlv_demo_2001", "order.updated", order))
    environment.deliver(_delivery("dlv_demo_2001_again", "order.updated", order))
    environment.hub.drain_queue("OrdersQueue")
    after_sale = zettle.balance(PALE_ALE)
    record = environment.ledger.get(DEMO_CONNECTION, "order", "ord_2001", "zettle")
    documents = record.documents if record else {}
    print(f"\n11. POS stock in Zettle: webshop order 2001 (taproom, 4 x {PALE_ALE}, delivered twice)")
    print(f"   Zettle STORE balance of {PALE_ALE}: {before} before the sale, {after_sale} after")
    print_table(
        [[key, value] for key, value in sorted(documents.items()) if key.startswith("line.")],
        ["ledger line", "what happened"],
    )

    # A refund with one returned can, delivered twice.
    credit_note = _credit_note(order)
    environment.deliver(_delivery("dlv_demo_cn_3001", "credit_note.created", credit_note))
    environment.deliver(_delivery("dlv_demo_cn_3001_again", "credit_note.created", credit_note))
    environment.hub.drain_queue("CreditNotesQueue")
    after_refund = zettle.balance(PALE_ALE)
    print(f"   refund CN-3001 returns 1 can (delivered twice): balance {after_refund}")

    # The taproom recounts its sour beer in the Zettle app, and Zettle sends a signed webhook.
    zettle.set_balance(SOUR, 20)
    forged = environment.deliver_zettle_webhook("InventoryBalanceChanged", {}, signing_key="forged-key")
    webhook = environment.deliver_zettle_webhook("InventoryBalanceChanged", {"variantUuid": "demo"})
    level = environment.bemakers.stock_levels.get((SOUR, DEMO_TAPROOM))
    print(
        f"   recount in Zettle: {SOUR} set to 20; a forged webhook got {forged['statusCode']}, the signed"
        f" one {webhook['statusCode']} and pushed {response_body(webhook).get('levels_pushed')} level(s)"
    )
    print_table(
        [
            [sku, location, str(quantity)]
            for (sku, location), quantity in sorted(environment.bemakers.stock_levels.items())
            if location == DEMO_TAPROOM
        ],
        ["SKU", "location", "quantity in Bemakers"],
    )
    print(f"\n   Zettle rejected {len(zettle.rejections)} of {len(zettle.requests)} requests from the hub")

    if (before, after_sale, after_refund) != (Decimal(48), Decimal(44), Decimal(45)):
        problems.append(
            f"{PALE_ALE} balances were {before}, {after_sale}, {after_refund}; expected 48, 44, 45"
        )
    if documents.get("line.ol_3", "").find("TAP-MYSTERY") < 0:
        problems.append("the unknown SKU TAP-MYSTERY was not recorded as skipped")
    if forged["statusCode"] != 401 or webhook["statusCode"] != 200:
        problems.append(
            f"webhook answers were {forged['statusCode']} and {webhook['statusCode']}, expected 401, 200"
        )
    if level != Decimal(20):
        problems.append(f"Bemakers has {level} of {SOUR} in the taproom, expected 20")
    if zettle.rejections:
        problems.append(f"Zettle sandbox rejected requests: {zettle.rejections}")
    return problems


def _taproom_order(template: dict[str, Any]) -> dict[str, Any]:
    order = copy.deepcopy(template)
    pale_ale = {
        **copy.deepcopy(order["lines"][0]),
        "id": "ol_1",
        "sku": PALE_ALE,
        "name": "Taproom Pale Ale 33 cl",
    }
    pale_ale["quantity"] = 4
    mystery = {
        **copy.deepcopy(pale_ale),
        "id": "ol_3",
        "sku": "TAP-MYSTERY",
        "name": "Guest beer",
        "quantity": 1,
    }
    order.update(
        {
            "id": "ord_2001",
            "number": "2001",
            "status": "confirmed",
            "fulfilled_from": DEMO_TAPROOM,
            "lines": [pale_ale, mystery],
            "shipping": [],
            "fees": [],
            "discounts": [],
            "updated_at": "2026-12-04T12:00:00Z",
        }
    )
    order["totals"] = _totals(order)
    return order


def _credit_note(order: dict[str, Any]) -> dict[str, Any]:
    line = order["lines"][0]
    return {
        "id": "cn_3001",
        "number": "CN-3001",
        "order_id": order["id"],
        "currency": order["currency"],
        "lines": [
            {
                "order_line_id": line["id"],
                "sku": line["sku"],
                "name": line["name"],
                "quantity": 1,
                "unit_price_excl_vat": line["unit_price_excl_vat"],
                "unit_price_incl_vat": line["unit_price_incl_vat"],
                "vat_rate": line["vat_rate"],
                "restock": True,
            }
        ],
        "totals": {
            "total_excl_vat": line["unit_price_excl_vat"],
            "vat": Decimal(str(line["unit_price_incl_vat"])) - Decimal(str(line["unit_price_excl_vat"])),
            "total_incl_vat": line["unit_price_incl_vat"],
        },
        "created_at": "2026-12-04T13:00:00Z",
        "updated_at": "2026-12-04T13:00:00Z",
    }


def _delivery(delivery_id: str, event_type: str, data: dict[str, Any]) -> Delivery:
    body = {"id": delivery_id, "type": event_type, "created_at": data["updated_at"], "data": data}
    return Delivery(
        delivery_id,
        {"Content-Type": "application/json", "X-Bemakers-Delivery": delivery_id},
        dumps_json(body).encode(),
    )
