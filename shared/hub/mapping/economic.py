"""Mapping from canonical orders and credit notes to e-conomic customers, products and invoices.

Pure functions: no I/O. Field limits come from e-conomic's request schemas. e-conomic takes
`unitNetPrice` with 2 decimals and computes the totals itself, so the lines are built to
reproduce the webshop's total to the øre, and what rounding leaves is settled on a line of
its own (see `reconcile`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hub.connectors.economic import filter_equals
from hub.economic_settings import CustomerKind, EconomicSettings
from hub.errors import InvalidOrder
from hub.models.bemakers import CustomerType
from hub.models.canonical import CanonicalCreditNote, CanonicalOrder, Customer, Line, LineKind

ORE = Decimal("0.01")
HALF_ORE = Decimal("0.005")
# The 27 EU member states by ISO 3166-1 alpha-2 code.
EU_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
# Greek VAT numbers carry the prefix EL, not the country code GR.
_VAT_PREFIX_COUNTRY = {"EL": "GR"}
_VAT_NUMBER = re.compile(r"^([A-Z]{2})([0-9A-Z+*]{2,12})$")
_SEPARATORS = re.compile(r"[\s.\-]")
ORDER_REFERENCE_PREFIX = "bemakers-order:"
CREDIT_NOTE_REFERENCE_PREFIX = "bemakers-credit-note:"
MAX_PRODUCT_NAME = 300
MAX_LINE_DESCRIPTION = 2500
MAX_CUSTOMER_NAME = 255
MAX_RECIPIENT_NAME = 250


# -- references ----------------------------------------------------------------------------------


def order_reference(order: CanonicalOrder) -> str:
    """Return the invoice's `references.other`: the key that finds it again after a crash."""
    return f"{ORDER_REFERENCE_PREFIX}{order.order_id}"


def order_reference_for(order_id: str) -> str:
    return f"{ORDER_REFERENCE_PREFIX}{order_id}"


def credit_note_reference(credit_note: CanonicalCreditNote) -> str:
    return f"{CREDIT_NOTE_REFERENCE_PREFIX}{credit_note.credit_note_id}"


# -- customers and VAT zones ---------------------------------------------------------------------


def customer_kind(customer: Customer) -> CustomerKind:
    """Return the customer's settings key: `public` when the order carries a valid EAN, else its type."""
    if customer.ean:
        return "public"
    kind: CustomerKind = customer.type.value
    return kind


def foreign_eu_vat_number(customer: Customer, home_country: str) -> str | None:
    """Return the customer's VAT number when it is one of another EU member state, else None.

    A DK-prefixed number is the home country's, so it never qualifies for reverse charge.
    """
    if not customer.vat_number:
        return None
    compact = _SEPARATORS.sub("", customer.vat_number).upper()
    match = _VAT_NUMBER.match(compact)
    if match is None:
        return None
    country = _VAT_PREFIX_COUNTRY.get(match.group(1), match.group(1))
    if country not in EU_COUNTRIES or country == home_country:
        return None
    return compact


def has_invalid_cvr(customer: Customer, home_country: str) -> bool:
    """Return whether a business gave a VAT number that is neither a valid CVR nor a foreign EU one."""
    if customer.type is CustomerType.CONSUMER or not customer.vat_number:
        return False
    return customer.cvr is None and foreign_eu_vat_number(customer, home_country) is None


def vat_zone_number(order: CanonicalOrder, settings: EconomicSettings) -> int:
    """Choose the VAT zone from the delivery country and the customer's VAT number.

    Domestic delivery is domestic whatever VAT number the customer gave. Delivery to another
    EU country is reverse charge for a business with a VAT number of another member state,
    and the EU consumer zone otherwise. Delivery outside the EU is exempt.
    """
    country = order.customer.shipping_address.country
    if country == settings.home_country:
        return settings.vat_zones.domestic
    if country in EU_COUNTRIES:
        is_business = order.customer.type is not CustomerType.CONSUMER
        if is_business and foreign_eu_vat_number(order.customer, settings.home_country):
            return settings.vat_zones.eu_reverse_charge
        return settings.vat_zones.eu_consumer
    return settings.vat_zones.abroad


def invoice_vat_rate(zone: int, settings: EconomicSettings, lines: list[Line]) -> Decimal:
    """Return the VAT rate e-conomic charges in `zone`.

    The domestic and EU consumer zones charge the rate the webshop put on the lines: 25 % in
    Denmark, and the destination's rate under OSS. Reverse charge and exports charge none.
    """
    if zone not in (settings.vat_zones.domestic, settings.vat_zones.eu_consumer):
        return Decimal(0)
    return max((line.vat_rate for line in lines), default=Decimal(0))


def payment_terms_number(order: CanonicalOrder, settings: EconomicSettings) -> int:
    """Choose payment terms by payment method first (prepaid methods post as paid), then by the terms."""
    by_method = settings.payment_terms_by_method.get(order.payment_method)
    if by_method is not None:
        return by_method
    if order.payment_terms is not None and order.payment_terms in settings.payment_terms_by_terms:
        return settings.payment_terms_by_terms[order.payment_terms]
    return settings.default_payment_terms


def layout_number(order: CanonicalOrder, settings: EconomicSettings) -> int:
    return settings.layout_by_method.get(order.payment_method, settings.layout)


def customer_match_filter(customer: Customer, settings: EconomicSettings) -> str | None:
    """Return the filter that finds an existing customer by the match field of its type.

    Falls back to the e-mail address when the match field is empty (a business without a
    valid CVR, say). Returns None when neither is there, so a new customer is created.
    """
    rule = settings.customers.rule_for(customer_kind(customer))
    match rule.match_on:
        case "cvr" if customer.cvr:
            return filter_equals("corporateIdentificationNumber", customer.cvr)
        case "ean" if customer.ean:
            return filter_equals("ean", customer.ean)
        case "phone" if customer.phone:
            return filter_equals("telephoneAndFaxNumber", customer.phone)
        case "customer_number" if customer.customer_id.isdigit():
            return filter_equals("customerNumber", int(customer.customer_id))
    if customer.email:
        return filter_equals("email", customer.email)
    return None


def to_economic_customer(order: CanonicalOrder, settings: EconomicSettings) -> dict[str, Any]:
    """Build the POST /customers body for the order's customer."""
    customer = order.customer
    address = customer.billing_address
    rule = settings.customers.rule_for(customer_kind(customer))
    body: dict[str, Any] = {
        "name": customer.display_name[:MAX_CUSTOMER_NAME],
        "currency": _invoice_currency(order, settings),
        "customerGroup": {"customerGroupNumber": rule.customer_group},
        "paymentTerms": {"paymentTermsNumber": payment_terms_number(order, settings)},
        "vatZone": {"vatZoneNumber": vat_zone_number(order, settings)},
        "layout": {"layoutNumber": layout_number(order, settings)},
        "address": _street(address.line1, address.line2)[:510],
        "zip": address.postal_code[:30],
        "city": address.city[:50],
        "country": address.country,
    }
    if rule.match_on == "customer_number" and customer.customer_id.isdigit():
        body["customerNumber"] = int(customer.customer_id)
    if customer.email:
        body["email"] = customer.email[:255]
    if customer.phone:
        body["telephoneAndFaxNumber"] = customer.phone[:255]
    if customer.cvr:
        body["corporateIdentificationNumber"] = customer.cvr
    if customer.ean:
        body["ean"] = customer.ean
    return body


_UPDATE_FIELDS = {
    "name": ("name",),
    "address": ("address", "zip", "city", "country"),
    "email": ("email",),
    "phone": ("telephoneAndFaxNumber",),
    "cvr": ("corporateIdentificationNumber",),
    "ean": ("ean",),
}


def customer_update(
    existing: dict[str, Any], order: CanonicalOrder, settings: EconomicSettings
) -> dict[str, Any] | None:
    """Return the PUT /customers/{n} body that overwrites the fields the connection allows, or None.

    Returns None when updates are off for the customer's type or nothing would change. PUT
    replaces the whole customer, so the body starts from what e-conomic has.
    """
    rule = settings.customers.rule_for(customer_kind(order.customer))
    if not rule.update_existing:
        return None
    desired = to_economic_customer(order, settings)
    updated = dict(existing)
    for name in rule.update_fields:
        for key in _UPDATE_FIELDS[name]:
            if key in desired:
                updated[key] = desired[key]
    if all(updated.get(key) == existing.get(key) for key in updated):
        return None
    return updated


# -- lines and prices ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    kind: LineKind
    product_number: str
    name: str
    quantity: Decimal
    unit_net_price: Decimal
    discount_percentage: Decimal = Decimal(0)
    taxable: bool = True

    @property
    def net_amount(self) -> Decimal:
        """The line's net amount as e-conomic computes it, rounded to the øre."""
        amount = self.quantity * self.unit_net_price * (1 - self.discount_percentage / 100)
        return amount.quantize(ORE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Reconciled:
    """Invoice lines whose e-conomic total equals the document's gross total to the øre."""

    lines: list[InvoiceLine]
    rounding: Decimal = Decimal(0)
    """The amount settled on the rounding line (0 when none was needed)."""
    notes: list[str] = field(default_factory=list)


def product_number_for(line: Line, settings: EconomicSettings) -> str:
    """Return the e-conomic product number of a line: its SKU, or the configured SKU for special lines."""
    match line.kind:
        case LineKind.SHIPPING:
            return settings.shipping_sku if line.vat_rate > 0 else settings.shipping_exempt_sku
        case LineKind.FEE:
            return settings.fee_sku
        case LineKind.DISCOUNT:
            return settings.discount_sku
        case LineKind.REFUND:
            return settings.refund_sku
    if not line.sku:
        raise InvalidOrder(f"a {line.kind.value} line has no SKU", fields=["lines.sku"])
    if len(line.sku) > 25:
        raise InvalidOrder(
            f"SKU {line.sku!r} is longer than e-conomic's 25-character product number", fields=["lines.sku"]
        )
    return line.sku


def exempt_product_numbers(settings: EconomicSettings) -> frozenset[str]:
    """Return the special SKUs the hub creates in the VAT-free product group."""
    return frozenset({settings.rounding_sku, settings.shipping_exempt_sku})


def to_economic_product(line: InvoiceLine, settings: EconomicSettings) -> dict[str, Any]:
    """Build the POST /products body for a product the document needs and e-conomic lacks."""
    exempt = line.product_number in exempt_product_numbers(settings)
    return {
        "productNumber": line.product_number,
        "name": line.name[:MAX_PRODUCT_NAME],
        "productGroup": {
            "productGroupNumber": settings.exempt_product_group if exempt else settings.product_group
        },
        "salesPrice": abs(line.unit_net_price),
    }


def _net_unit_price(line: Line) -> Decimal:
    # e-conomic accepts at most 2 decimals on unitNetPrice.
    return line.unit_price_excl_vat.quantize(ORE, rounding=ROUND_HALF_UP)


def order_lines(order: CanonicalOrder, settings: EconomicSettings) -> list[InvoiceLine]:
    """Build the invoice lines of an order, before reconciliation."""
    lines: list[InvoiceLine] = []
    discounts = [line for line in order.lines if line.kind is LineKind.DISCOUNT]
    discount_percentage = Decimal(0)
    if settings.discount_mode == "percentage" and discounts:
        discount_percentage = _order_discount_percentage(order, discounts)

    for line in order.lines:
        if line.kind is LineKind.DISCOUNT and settings.discount_mode == "percentage":
            continue
        percentage = line.discount_percent
        if line.kind is LineKind.DEPOSIT:
            # Deposits (pant) are refunded at face value, so they are never discounted.
            percentage = Decimal(0)
        elif line.kind is LineKind.PRODUCT and discount_percentage:
            percentage = (100 - (100 - percentage) * (100 - discount_percentage) / 100).quantize(ORE)
        lines.append(
            InvoiceLine(
                kind=line.kind,
                product_number=product_number_for(line, settings),
                name=line.name,
                quantity=line.quantity,
                unit_net_price=_net_unit_price(line),
                discount_percentage=percentage,
                taxable=line.vat_rate > 0,
            )
        )
    return lines


def _order_discount_percentage(order: CanonicalOrder, discounts: list[Line]) -> Decimal:
    """Return the order discounts as one percentage of the product lines' net amount."""
    products = sum(
        (
            line.quantity * line.unit_price_excl_vat * (1 - line.discount_percent / 100)
            for line in order.lines
            if line.kind is LineKind.PRODUCT
        ),
        Decimal(0),
    )
    discount = sum((abs(line.unit_price_excl_vat) * line.quantity for line in discounts), Decimal(0))
    if products <= 0:
        raise InvalidOrder(
            "the order has a discount but no product lines to apply it to", fields=["discounts"]
        )
    return (discount / products * 100).quantize(ORE, rounding=ROUND_HALF_UP)


def reconcile(
    lines: list[InvoiceLine],
    *,
    gross_total: Decimal,
    vat_rate: Decimal,
    settings: EconomicSettings,
    sign: int = 1,
) -> Reconciled:
    """Settle the difference between e-conomic's total and the document's on the rounding SKU.

    e-conomic computes VAT once on the taxable lines' net total. The rounding line has no
    VAT, so it moves the gross total by exactly its own amount. A difference larger than
    rounding can explain means the lines do not add up to the totals: that raises
    InvalidOrder stating the difference. `sign` is -1 for credit notes, whose lines are negative.
    """
    net = sum((line.net_amount for line in lines), Decimal(0))
    taxable = sum((line.net_amount for line in lines if line.taxable), Decimal(0))
    vat = (taxable * vat_rate / 100).quantize(ORE, rounding=ROUND_HALF_UP)
    expected = (sign * gross_total).quantize(ORE, rounding=ROUND_HALF_UP)
    difference = expected - (net + vat)
    if not difference:
        return Reconciled(lines)
    # Each unit price may be off by half an øre, times its quantity and the VAT, and each
    # line and the VAT total by another half øre.
    tolerance = sum((line.quantity * HALF_ORE for line in lines), Decimal(0)) * (1 + vat_rate / 100)
    tolerance += HALF_ORE * (len(lines) + 1)
    if abs(difference) > tolerance:
        raise InvalidOrder(
            f"the lines do not add up to the total: e-conomic would total {net + vat}, the document"
            f" totals {expected}, a difference of {difference}",
            fields=["totals.total_incl_vat"],
        )
    rounding_line = InvoiceLine(
        kind=LineKind.ROUNDING,
        product_number=settings.rounding_sku,
        name="Rounding",
        quantity=Decimal(1),
        unit_net_price=difference,
        taxable=False,
    )
    return Reconciled([*lines, rounding_line], rounding=difference)


def _to_line_body(index: int, line: InvoiceLine) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lineNumber": index,
        "sortKey": index,
        "product": {"productNumber": line.product_number},
        "description": line.name[:MAX_LINE_DESCRIPTION],
        "quantity": line.quantity,
        "unitNetPrice": line.unit_net_price,
    }
    if line.discount_percentage:
        body["discountPercentage"] = line.discount_percentage
    return body


# -- invoices ------------------------------------------------------------------------------------


def _invoice_currency(order: CanonicalOrder, settings: EconomicSettings) -> str:
    return settings.base_currency if settings.settlement == "bemakers" else order.currency


def _in_settlement_currency(
    lines: list[InvoiceLine], order: CanonicalOrder, settings: EconomicSettings
) -> list[InvoiceLine]:
    """Convert unit prices to the base currency when sales post to Bemakers in the maker's currency."""
    if settings.settlement != "bemakers" or order.currency == settings.base_currency:
        return lines
    if order.exchange_rate is None:
        raise InvalidOrder(
            f"the order is in {order.currency}, but settlement posts in {settings.base_currency} and the"
            " order gives no exchange rate",
            fields=["exchange_rate"],
        )
    rate = order.exchange_rate / 100
    return [
        InvoiceLine(
            kind=line.kind,
            product_number=line.product_number,
            name=line.name,
            quantity=line.quantity,
            unit_net_price=(line.unit_net_price * rate).quantize(ORE, rounding=ROUND_HALF_UP),
            discount_percentage=line.discount_percentage,
            taxable=line.taxable,
        )
        for line in lines
    ]


def _gross_total(order: CanonicalOrder, settings: EconomicSettings) -> Decimal:
    total = order.totals.total_incl_vat
    if settings.settlement == "bemakers" and order.currency != settings.base_currency and order.exchange_rate:
        return (total * order.exchange_rate / 100).quantize(ORE, rounding=ROUND_HALF_UP)
    return total


def reconciled_order_lines(order: CanonicalOrder, settings: EconomicSettings) -> Reconciled:
    """Build an order's invoice lines and settle rounding against the order's gross total."""
    zone = vat_zone_number(order, settings)
    lines = _in_settlement_currency(order_lines(order, settings), order, settings)
    return reconcile(
        lines,
        gross_total=_gross_total(order, settings),
        vat_rate=invoice_vat_rate(zone, settings, order.lines),
        settings=settings,
    )


def to_draft_invoice(
    order: CanonicalOrder,
    customer_number: int,
    settings: EconomicSettings,
    reconciled: Reconciled | None = None,
) -> dict[str, Any]:
    """Build the POST /invoices/drafts (or /orders/drafts) body for an order."""
    reconciled = reconciled or reconciled_order_lines(order, settings)
    customer = order.customer
    delivery = customer.shipping_address
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
        recipient["nemHandelType"] = "ean"
    draft: dict[str, Any] = {
        "date": order.order_date.isoformat(),
        "currency": _invoice_currency(order, settings),
        "customer": {"customerNumber": customer_number},
        "layout": {"layoutNumber": layout_number(order, settings)},
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
        "lines": [_to_line_body(index, line) for index, line in enumerate(reconciled.lines, start=1)],
    }
    currency = draft["currency"]
    if order.exchange_rate is not None and currency != settings.base_currency:
        draft["exchangeRate"] = order.exchange_rate
    notes = []
    if order.comment:
        notes.append(order.comment)
    if has_invalid_cvr(customer, settings.home_country):
        notes.append(f"VAT number as given (not a valid CVR): {customer.vat_number}")
    if notes:
        draft["notes"]["textLine1"] = "\n".join(notes)[:1000]
    return draft


# -- credit notes --------------------------------------------------------------------------------


def credit_note_lines(credit_note: CanonicalCreditNote, settings: EconomicSettings) -> list[InvoiceLine]:
    """Build a credit note's lines: the credited goods and amounts with negative quantities."""
    return [
        InvoiceLine(
            kind=line.kind,
            product_number=product_number_for(line, settings),
            name=line.name,
            quantity=-line.quantity,
            unit_net_price=_net_unit_price(line),
            taxable=line.vat_rate > 0,
        )
        for line in credit_note.lines
    ]


def to_credit_note_draft(
    credit_note: CanonicalCreditNote,
    original: dict[str, Any],
    order_number: str,
    reconciled: Reconciled,
) -> dict[str, Any]:
    """Build the negative draft invoice that credits the booked invoice `original`.

    The header (customer, recipient, currency, layout, payment terms) is the original's, so
    the credit note posts exactly against what was invoiced.
    """
    booked_number = original["bookedInvoiceNumber"]
    recipient = {
        key: value
        for key, value in original["recipient"].items()
        if key in ("name", "address", "zip", "city", "country", "ean", "nemHandelType", "vatZone")
    }
    recipient["vatZone"] = {"vatZoneNumber": original["recipient"]["vatZone"]["vatZoneNumber"]}
    draft: dict[str, Any] = {
        "date": credit_note.credit_date.isoformat(),
        "currency": original["currency"],
        "customer": {"customerNumber": original["customer"]["customerNumber"]},
        "layout": {"layoutNumber": original["layout"]["layoutNumber"]},
        "paymentTerms": {"paymentTermsNumber": original["paymentTerms"]["paymentTermsNumber"]},
        "recipient": recipient,
        "references": {"other": credit_note_reference(credit_note)},
        "notes": {
            "heading": f"Credit note {credit_note.credit_note_number} for invoice {booked_number}"[:250],
            "textLine1": (
                f"Credits booked invoice {booked_number} (Bemakers order {order_number},"
                f" credit note {credit_note.credit_note_number})"
            )[:1000],
        },
        "lines": [_to_line_body(index, line) for index, line in enumerate(reconciled.lines, start=1)],
    }
    if "exchangeRate" in original and original["currency"] != credit_note.currency:
        raise InvalidOrder(
            f"the credit note is in {credit_note.currency} but invoice {booked_number}"
            f" is in {original['currency']}",
            fields=["currency"],
        )
    if "exchangeRate" in original:
        draft["exchangeRate"] = original["exchangeRate"]
    return draft


def check_credit_note(credit_note: CanonicalCreditNote) -> None:
    """Reject a credit note that credits nothing."""
    if credit_note.totals.total_incl_vat == 0:
        raise InvalidOrder(
            f"credit note {credit_note.credit_note_number} has a total of 0; a zero-value credit note is"
            " not posted (was the refund still pending in Bemakers?)",
            fields=["totals.total_incl_vat"],
        )


def _street(line1: str, line2: str | None) -> str:
    return f"{line1}\n{line2}" if line2 else line1
