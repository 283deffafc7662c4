"""Mapping from the canonical order to e-conomic customers, products and draft invoices.

Pure functions: no I/O. Field limits come from e-conomic's request schemas.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hub.connections import EconomicSettings
from hub.connectors.economic import filter_equals
from hub.errors import InvalidOrder
from hub.models.bemakers import CustomerType
from hub.models.canonical import CanonicalOrder, Customer, Line, LineKind

ORE = Decimal("0.01")
# The 27 EU member states (ISO 3166-1 alpha-2; Greece is GR here, not the EU's own EL).
EU_COUNTRIES = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
) | frozenset(("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"))
REFERENCE_PREFIX = "bemakers-order:"
MAX_PRODUCT_NAME = 300
MAX_LINE_DESCRIPTION = 2500
MAX_CUSTOMER_NAME = 255
MAX_RECIPIENT_NAME = 250


def order_reference(order: CanonicalOrder) -> str:
    """Return the draft invoice's `references.other`: the key that finds it again after a crash."""
    return f"{REFERENCE_PREFIX}{order.order_id}"


def vat_zone_number(order: CanonicalOrder, settings: EconomicSettings) -> int:
    """Choose the VAT zone by the country the goods are delivered to."""
    country = order.customer.shipping_address.country
    if country == settings.home_country:
        return settings.vat_zones.domestic
    if country in EU_COUNTRIES:
        return settings.vat_zones.eu
    return settings.vat_zones.abroad


def payment_terms_number(order: CanonicalOrder, settings: EconomicSettings) -> int:
    """Choose payment terms: by payment method first (prepaid methods), then by the order's terms."""
    by_method = settings.payment_terms_by_method.get(order.payment_method)
    if by_method is not None:
        return by_method
    if order.payment_terms is not None and order.payment_terms in settings.payment_terms_by_terms:
        return settings.payment_terms_by_terms[order.payment_terms]
    return settings.default_payment_terms


def customer_match_filter(customer: Customer) -> str | None:
    """Return the filter that finds an existing customer: CVR for businesses, e-mail otherwise.

    Returns None when the order carries neither, so a new customer is always created.
    """
    if customer.type is not CustomerType.CONSUMER and customer.cvr:
        return filter_equals("corporateIdentificationNumber", customer.cvr)
    if customer.email:
        return filter_equals("email", customer.email)
    return None


def to_economic_customer(order: CanonicalOrder, settings: EconomicSettings) -> dict[str, Any]:
    """Build the POST /customers body for the order's customer."""
    customer = order.customer
    address = customer.billing_address
    body: dict[str, Any] = {
        "name": customer.display_name[:MAX_CUSTOMER_NAME],
        "currency": order.currency,
        "customerGroup": {"customerGroupNumber": settings.customer_groups[customer.type]},
        "paymentTerms": {"paymentTermsNumber": payment_terms_number(order, settings)},
        "vatZone": {"vatZoneNumber": vat_zone_number(order, settings)},
        "layout": {"layoutNumber": settings.layout},
        "address": _street(address.line1, address.line2)[:510],
        "zip": address.postal_code[:30],
        "city": address.city[:50],
        "country": address.country,
    }
    if customer.email:
        body["email"] = customer.email[:255]
    if customer.phone:
        body["telephoneAndFaxNumber"] = customer.phone[:255]
    if customer.cvr:
        body["corporateIdentificationNumber"] = customer.cvr
    if customer.ean:
        body["ean"] = customer.ean
    return body


def product_number_for(line: Line, settings: EconomicSettings) -> str:
    """Return the e-conomic product number of a line: its SKU, or the configured SKU for special lines."""
    if line.kind is LineKind.SHIPPING:
        return settings.shipping_sku
    if line.kind is LineKind.FEE:
        return settings.fee_sku
    if line.kind is LineKind.DISCOUNT:
        return settings.discount_sku
    if not line.sku:
        raise InvalidOrder(f"a {line.kind.value} line has no SKU", fields=["lines.sku"])
    if len(line.sku) > 25:
        raise InvalidOrder(
            f"SKU {line.sku!r} is longer than e-conomic's 25-character product number", fields=["lines.sku"]
        )
    return line.sku


def to_economic_product(line: Line, settings: EconomicSettings) -> dict[str, Any]:
    """Build the POST /products body for a product the order needs and e-conomic lacks."""
    return {
        "productNumber": product_number_for(line, settings),
        "name": line.name[:MAX_PRODUCT_NAME],
        "productGroup": {"productGroupNumber": settings.product_group},
        "salesPrice": _net_unit_price(line),
    }


def to_draft_invoice(
    order: CanonicalOrder, customer_number: int, settings: EconomicSettings
) -> dict[str, Any]:
    """Build the POST /invoices/drafts body, with lines whose net total equals the order's to the øre."""
    customer = order.customer
    delivery = customer.shipping_address
    lines = [_invoice_line(index, line, settings) for index, line in enumerate(order.lines, start=1)]
    _check_net_total(order, lines)

    recipient: dict[str, Any] = {
        "name": customer.display_name[:MAX_RECIPIENT_NAME],
        "address": _street(customer.billing_address.line1, customer.billing_address.line2)[:250],
        "zip": customer.billing_address.postal_code[:50],
        "city": customer.billing_address.city[:250],
        "country": customer.billing_address.country,
        "vatZone": {"vatZoneNumber": vat_zone_number(order, settings)},
    }
    if customer.ean:
        recipient["ean"] = customer.ean
    draft: dict[str, Any] = {
        "date": order.order_date.isoformat(),
        "currency": order.currency,
        "customer": {"customerNumber": customer_number},
        "layout": {"layoutNumber": settings.layout},
        "paymentTerms": {"paymentTermsNumber": payment_terms_number(order, settings)},
        "recipient": recipient,
        "delivery": {
            "address": _street(delivery.line1, delivery.line2)[:255],
            "zip": delivery.postal_code[:30],
            "city": delivery.city[:50],
            "country": delivery.country,
        },
        "references": {"other": order_reference(order)},
        "notes": {"heading": f"Bemakers order {order.order_number}"[:250]},
        "lines": lines,
    }
    if order.exchange_rate is not None:
        draft["exchangeRate"] = order.exchange_rate
    if order.comment:
        draft["notes"]["textLine1"] = order.comment[:1000]
    return draft


def _invoice_line(index: int, line: Line, settings: EconomicSettings) -> dict[str, Any]:
    invoice_line: dict[str, Any] = {
        "lineNumber": index,
        "sortKey": index,
        "product": {"productNumber": product_number_for(line, settings)},
        "description": line.name[:MAX_LINE_DESCRIPTION],
        "quantity": line.quantity,
        "unitNetPrice": _net_unit_price(line),
    }
    if line.discount_percent:
        invoice_line["discountPercentage"] = line.discount_percent
    return invoice_line


def _net_unit_price(line: Line) -> Decimal:
    # e-conomic accepts at most 2 decimals on unitNetPrice.
    return line.unit_price_excl_vat.quantize(ORE, rounding=ROUND_HALF_UP)


def line_net_amount(invoice_line: dict[str, Any]) -> Decimal:
    """Return a line's net amount as e-conomic computes it, rounded to the øre."""
    discount = Decimal(invoice_line.get("discountPercentage", 0))
    gross = invoice_line["quantity"] * invoice_line["unitNetPrice"] * (1 - discount / 100)
    return Decimal(gross).quantize(ORE, rounding=ROUND_HALF_UP)


def _check_net_total(order: CanonicalOrder, lines: list[dict[str, Any]]) -> None:
    computed = sum((line_net_amount(line) for line in lines), Decimal(0))
    expected = order.totals.total_excl_vat.quantize(ORE, rounding=ROUND_HALF_UP)
    if computed != expected:
        # NOTE: a per-line rounding difference is rejected here, not settled on a rounding
        # line; settling it belongs to the financial flow's price derivation.
        raise InvalidOrder(
            f"the invoice lines total {computed} excl. VAT, but the order totals {expected}",
            fields=["totals.total_excl_vat"],
        )


def _street(line1: str, line2: str | None) -> str:
    return f"{line1}\n{line2}" if line2 else line1
