"""Bemakers orders, credit notes and webhook deliveries of a chosen size, for the benchmarks.

Every order is a consumer order with its own customer, `lines` product lines of two units
at 20.00 excl. VAT (25.00 incl. 25 % VAT) and no shipping, so its totals add up exactly
and no rounding line is needed. The products are shared between orders (`BENCH-000`,
`BENCH-001`, ...), as a maker's catalogue is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hubctl.deliveries import Delivery
from hubctl.sandboxes._http import dumps_json

UNIT_PRICE_EXCL_VAT = Decimal("20.00")
UNIT_PRICE_INCL_VAT = Decimal("25.00")
QUANTITY = 2


def order_id(index: int) -> str:
    return f"ord_bench_{index}"


def order_payload(
    index: int, *, lines: int, status: str = "confirmed", updated_at: datetime | None = None
) -> dict[str, Any]:
    """Return the Bemakers order number `index` with `lines` product lines."""
    updated_at = updated_at or datetime.now(UTC)
    line_total_excl_vat = UNIT_PRICE_EXCL_VAT * QUANTITY
    line_total_incl_vat = UNIT_PRICE_INCL_VAT * QUANTITY
    return {
        "id": order_id(index),
        "number": f"B{index}",
        "status": status,
        "sales_channel": "webshop",
        "customer": {
            "id": f"cus_bench_{index}",
            "type": "consumer",
            "name": "Bench Buyer",
            "email": f"buyer{index}@bench.example",
            "billing_address": {
                "line1": "Testvej 1",
                "postal_code": "8000",
                "city": "Aarhus C",
                "country": "DK",
            },
        },
        "currency": "DKK",
        "payment_method": "card",
        "lines": [
            {
                "id": f"ol_{number}",
                "sku": f"BENCH-{number:03d}",
                "name": f"Bench beer {number}",
                "quantity": QUANTITY,
                "unit_price_excl_vat": UNIT_PRICE_EXCL_VAT,
                "unit_price_incl_vat": UNIT_PRICE_INCL_VAT,
                "vat_rate": 25,
                "line_type": "product",
            }
            for number in range(lines)
        ],
        "totals": {
            "total_excl_vat": line_total_excl_vat * lines,
            "vat": (line_total_incl_vat - line_total_excl_vat) * lines,
            "total_incl_vat": line_total_incl_vat * lines,
        },
        "created_at": (updated_at - timedelta(minutes=1)).isoformat(),
        "updated_at": updated_at.isoformat(),
    }


def credit_note_payload(index: int, *, updated_at: datetime | None = None) -> dict[str, Any]:
    """Return a credit note that refunds one unit of the first line of order number `index`."""
    updated_at = updated_at or datetime.now(UTC)
    return {
        "id": f"cn_bench_{index}",
        "number": f"CN-B{index}",
        "order_id": order_id(index),
        "currency": "DKK",
        "lines": [
            {
                "kind": "product",
                "order_line_id": "ol_0",
                "sku": "BENCH-000",
                "name": "Bench beer 0",
                "quantity": 1,
                "unit_price_excl_vat": UNIT_PRICE_EXCL_VAT,
                "unit_price_incl_vat": UNIT_PRICE_INCL_VAT,
                "vat_rate": 25,
            }
        ],
        "totals": {
            "total_excl_vat": UNIT_PRICE_EXCL_VAT,
            "vat": UNIT_PRICE_INCL_VAT - UNIT_PRICE_EXCL_VAT,
            "total_incl_vat": UNIT_PRICE_INCL_VAT,
        },
        "created_at": updated_at.isoformat(),
        "updated_at": updated_at.isoformat(),
    }


def order_delivery(index: int, *, lines: int, event_type: str = "order.created") -> Delivery:
    """Return the unsigned webhook delivery of order number `index`."""
    delivery_id = f"dlv_bench_{index}"
    body = {
        "id": delivery_id,
        "type": event_type,
        "created_at": datetime.now(UTC).isoformat(),
        "data": order_payload(index, lines=lines),
    }
    headers = {"Content-Type": "application/json", "X-Bemakers-Delivery": delivery_id}
    return Delivery(delivery_id, headers, dumps_json(body).encode("utf-8"))
