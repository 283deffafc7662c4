"""Mapping between the canonical order and Ongoing WMS: orders and return orders out, shipments in.

Only product lines go to the warehouse. Deposit, shipping, fee and discount lines have nothing
to pick. Each order line's row number is the Bemakers order line id, so a shipped row maps
back to its Bemakers line without a lookup.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.connections import OngoingDelivery, OngoingSettings
from hub.errors import InvalidOrder
from hub.models import ongoing
from hub.models.bemakers import CreditNote, FulfillmentStatus
from hub.models.canonical import CanonicalOrder, Line, LineKind

# The consignee's customer number when the order names no customer id.
_NO_CUSTOMER_NUMBER = "bemakers"


def warehouse_lines(order: CanonicalOrder) -> list[Line]:
    """Return the order's lines that the warehouse picks."""
    return [line for line in order.lines if line.kind is LineKind.PRODUCT]


def article_number_for(sku: str, settings: OngoingSettings) -> str:
    """Return the Ongoing article number of a Bemakers SKU. Raises InvalidOrder for an unmapped SKU."""
    if settings.article_skus is None:
        return sku
    for article_number, mapped_sku in settings.article_skus.items():
        if mapped_sku == sku:
            return article_number
    raise InvalidOrder(f"SKU {sku} has no Ongoing article in ongoing.article_skus", fields=["lines.sku"])


def sku_for(article_number: str, settings: OngoingSettings) -> str | None:
    """Return the Bemakers SKU of an Ongoing article, or None when the article has no SKU mapping."""
    if settings.article_skus is None:
        return article_number
    return settings.article_skus.get(article_number)


def delivery_for(order: CanonicalOrder, settings: OngoingSettings) -> OngoingDelivery | None:
    """Return the way of delivery and transporter for the order's shipping method.

    Raises InvalidOrder for a shipping method that is neither mapped nor covered by a default.
    """
    if order.shipping_method is not None and order.shipping_method in settings.shipping_methods:
        return settings.shipping_methods[order.shipping_method]
    if settings.default_delivery is not None or order.shipping_method is None:
        return settings.default_delivery
    raise InvalidOrder(
        f"shipping method {order.shipping_method} has no way of delivery in ongoing.shipping_methods"
        " and there is no ongoing.default_delivery",
        fields=["shipping_method"],
    )


def to_ongoing_order(order: CanonicalOrder, goods_owner_id: int, settings: OngoingSettings) -> dict[str, Any]:
    """Build the `PUT /orders` body. Raises InvalidOrder when the order has nothing to pick."""
    lines = warehouse_lines(order)
    if not lines:
        raise InvalidOrder("the order has no product lines for the warehouse to pick", fields=["lines"])
    customer = order.customer
    address = customer.shipping_address
    consignee: dict[str, Any] = {
        "customerNumber": customer.customer_id or _NO_CUSTOMER_NUMBER,
        "name": address.company_name or address.name or customer.display_name,
        "address1": address.line1,
        "postCode": address.postal_code,
        "city": address.city,
        "countryCode": address.country,
    }
    if address.line2:
        consignee["address2"] = address.line2

    body: dict[str, Any] = {
        "goodsOwnerId": goods_owner_id,
        "orderNumber": order.order_number,
        "goodsOwnerOrderId": order.order_id,
        "deliveryDate": order.order_date.isoformat(),
        "consignee": consignee,
        "orderLines": [
            {
                "rowNumber": line.line_id or str(index),
                "articleNumber": article_number_for(line.sku or "", settings),
                "numberOfItems": line.quantity,
            }
            for index, line in enumerate(lines, start=1)
        ],
    }
    if order.comment:
        body["orderRemark"] = order.comment
    if customer.email:
        body["emailNotification"] = {"toBeNotified": True, "value": customer.email}
    if customer.phone:
        body["smsNotification"] = {"toBeNotified": True, "value": customer.phone}

    delivery = delivery_for(order, settings)
    if delivery is not None and delivery.way_of_delivery:
        body["wayOfDelivery"] = {"code": delivery.way_of_delivery, "name": delivery.way_of_delivery}
    if delivery is not None and delivery.transporter_code:
        transporter = {"transporterCode": delivery.transporter_code}
        if delivery.transporter_service_code:
            transporter["transporterServiceCode"] = delivery.transporter_service_code
        body["transporter"] = transporter
    return body


def warehouse_differences(body: dict[str, Any], existing: ongoing.Order) -> list[str]:
    """Return which parts of a `PUT /orders` body differ from the warehouse's order, by name."""
    differences = []
    wanted_lines = {
        line["rowNumber"]: (line["articleNumber"], Decimal(line["numberOfItems"]))
        for line in body["orderLines"]
    }
    current_lines = {
        line.row_number: (line.article.article_number, line.ordered_number_of_items)
        for line in existing.order_lines
    }
    if wanted_lines != current_lines:
        differences.append("lines")

    wanted = body["consignee"]
    current = existing.consignee or ongoing.Consignee()
    if (
        wanted["name"],
        wanted["address1"],
        wanted.get("address2"),
        wanted["postCode"],
        wanted["city"],
        wanted["countryCode"],
    ) != (
        current.name,
        current.address1,
        current.address2,
        current.post_code,
        current.city,
        current.country_code,
    ):
        differences.append("consignee")

    way_of_delivery = existing.way_of_delivery.code if existing.way_of_delivery else None
    if body.get("wayOfDelivery", {}).get("code") != way_of_delivery:
        differences.append("way of delivery")
    transporter = existing.transporter or ongoing.Transporter()
    wanted_transporter = body.get("transporter", {})
    if (wanted_transporter.get("transporterCode"), wanted_transporter.get("transporterServiceCode")) != (
        transporter.transporter_code,
        transporter.transporter_service_code,
    ):
        differences.append("transporter")
    return differences


def to_return_order(
    credit_note: CreditNote, order: ongoing.Order, goods_owner_id: int, settings: OngoingSettings
) -> dict[str, Any] | None:
    """Build the `PUT /returnOrders` body for a credit note's returned goods, or None when none are returned.

    A credit note line finds its warehouse line by row number (the Bemakers order line id), or
    else by article number. Raises InvalidOrder for a returned line that the order does not have.
    """
    returned = [line for line in credit_note.lines if line.restock]
    if not returned:
        return None
    by_row = {line.row_number: line for line in order.order_lines}
    by_article = {line.article.article_number: line for line in order.order_lines}
    lines = []
    for index, credit_line in enumerate(returned, start=1):
        order_line = by_row.get(credit_line.order_line_id or "")
        if order_line is None and credit_line.sku:
            order_line = by_article.get(article_number_for(credit_line.sku, settings))
        if order_line is None:
            raise InvalidOrder(
                f"returned credit note line {index} matches no line of warehouse order"
                f" {order.order_info.order_id}",
                fields=[f"lines.{index - 1}"],
            )
        lines.append(
            {
                "returnOrderRowNumber": str(index),
                "customerOrderLine": {"orderLineId": order_line.id},
                "toBeReturnedNumberOfItems": credit_line.quantity,
            }
        )
    return {
        "goodsOwnerId": goods_owner_id,
        "returnOrderNumber": credit_note.number,
        "customerOrder": {"orderId": order.order_info.order_id},
        "comment": f"Bemakers credit note {credit_note.number}",
        "returnOrderLines": lines,
    }


# -- shipments in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipmentLine:
    order_line_id: str
    """The Bemakers order line id (the warehouse row number)."""
    quantity: Decimal


@dataclass(frozen=True)
class Shipment:
    """One shipped parcel of a warehouse order, ready to post to Bemakers as a fulfillment."""

    shipment_id: str
    """`<Ongoing order id>-<parcel id>`: the ledger key and the fulfillment's external id."""
    bemakers_order_id: str
    shipped_at: datetime
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    lines: tuple[ShipmentLine, ...]
    status: FulfillmentStatus
    """The order's status once this and every earlier parcel have arrived."""


def from_ongoing_shipment(order: ongoing.Order) -> list[Shipment]:
    """Return the order's shipped parcels as shipments, oldest first.

    A parcel's status is `fulfilled` when it and the parcels before it cover every ordered
    item, so the order becomes fulfilled with its last parcel. Return parcels, parcels not yet
    shipped and parcels without contents are left out. Returns [] for an order the hub did
    not send (no goods owner order id).
    """
    bemakers_order_id = order.order_info.goods_owner_order_id
    if not bemakers_order_id:
        return []
    rows = {line.id: line.row_number for line in order.order_lines}
    ordered = {line.row_number: line.ordered_number_of_items for line in order.order_lines}
    carrier = None
    if order.transporter is not None:
        carrier = order.transporter.transporter_name or order.transporter.transporter_code

    shipped: dict[str, Decimal] = defaultdict(Decimal)
    shipments = []
    parcels = sorted(
        (
            p
            for p in order.parcels
            if not p.is_return_parcel and (p.shipped_time or order.order_info.shipped_time)
        ),
        key=lambda parcel: (parcel.shipped_time or order.order_info.shipped_time, parcel.id),
    )
    for parcel in parcels:
        lines = tuple(
            ShipmentLine(rows[item.order_line_id], item.number_of_items)
            for item in parcel.order_lines
            if item.number_of_items > 0 and item.order_line_id in rows
        )
        if not lines:
            continue
        for line in lines:
            shipped[line.order_line_id] += line.quantity
        complete = all(shipped[row] >= quantity for row, quantity in ordered.items())
        shipped_at = parcel.shipped_time or order.order_info.shipped_time
        assert shipped_at is not None  # parcels without a time were left out above
        shipments.append(
            Shipment(
                shipment_id=f"{order.order_info.order_id}-{parcel.id}",
                bemakers_order_id=bemakers_order_id,
                shipped_at=shipped_at,
                carrier=carrier,
                tracking_number=parcel.parcel_number,
                tracking_url=parcel.tracking_url,
                lines=lines,
                status=FulfillmentStatus.FULFILLED if complete else FulfillmentStatus.PARTIALLY_FULFILLED,
            )
        )
    return shipments
