"""The financial mapping to e-conomic: VAT zones, customers, lines, prices, payment and currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hub.economic_settings import CustomerRule, CustomerSettings, VatZones
from hub.errors import InvalidOrder
from hub.mapping.economic import (
    customer_match_filter,
    customer_update,
    layout_number,
    order_lines,
    payment_terms_number,
    reconciled_order_lines,
    to_draft_invoice,
    to_economic_customer,
    to_economic_product,
    vat_zone_number,
)
from hub.models.canonical import CanonicalOrder, LineKind
from tests.samples import (
    BUSINESS_DK,
    BUSINESS_SE,
    CONSUMER_DK,
    PAID,
    canonical_order,
    economic_settings,
    order_payload,
)

OSS_ZONE = 5


def _order(sample: str, **changes: Any) -> CanonicalOrder:
    return canonical_order(sample, **changes)


def _with_customer(sample: str, **customer_changes: Any) -> CanonicalOrder:
    payload = order_payload(sample)
    payload["customer"].update(customer_changes)
    return canonical_order(sample, customer=payload["customer"])


def _address(country: str) -> dict[str, str]:
    return {"line1": "Testgade 1", "postal_code": "1000", "city": "Testby", "country": country}


def _settings(**changes: Any) -> Any:
    return economic_settings(**changes)


# -- VAT zones -----------------------------------------------------------------------------------


def test_vat_zone_domestic_for_danish_delivery() -> None:
    assert vat_zone_number(_order(CONSUMER_DK), _settings()) == 1


def test_vat_zone_reverse_charge_for_eu_business() -> None:
    assert vat_zone_number(_order(BUSINESS_SE), _settings()) == 2


def test_vat_zone_reverse_charge_accepts_formatted_vat_number() -> None:
    order = _with_customer(BUSINESS_SE, vat_number="se 5560-0000.0001")
    assert vat_zone_number(order, _settings()) == 2


def test_vat_zone_reverse_charge_for_greek_el_prefix() -> None:
    order = _with_customer(BUSINESS_SE, vat_number="EL123456789", billing_address=_address("GR"))
    assert vat_zone_number(order, _settings()) == 2


def test_vat_zone_oss_for_eu_consumer() -> None:
    order = _with_customer(CONSUMER_DK, billing_address=_address("DE"))
    assert vat_zone_number(order, _settings(vat_zones=VatZones(eu_consumer=OSS_ZONE))) == OSS_ZONE


def test_vat_zone_eu_consumer_defaults_to_domestic() -> None:
    order = _with_customer(CONSUMER_DK, billing_address=_address("DE"))
    assert vat_zone_number(order, _settings()) == 1


def test_vat_zone_exempt_outside_eu() -> None:
    order = _with_customer(BUSINESS_SE, billing_address=_address("NO"), vat_number="NO123456789MVA")
    assert vat_zone_number(order, _settings()) == 3


def test_eu_business_without_vat_number_pays_vat() -> None:
    order = _with_customer(BUSINESS_SE, vat_number=None)
    assert vat_zone_number(order, _settings(vat_zones=VatZones(eu_consumer=OSS_ZONE))) == OSS_ZONE


def test_foreign_vat_number_with_danish_delivery_is_domestic() -> None:
    # A foreign VAT number while the delivery country is Denmark: Danish VAT, not reverse charge.
    order = _with_customer(BUSINESS_DK, vat_number="SE556000000001")
    assert vat_zone_number(order, _settings()) == 1


def test_dk_vat_number_abroad_pays_vat() -> None:
    order = _with_customer(BUSINESS_SE, vat_number="DK12345674")
    assert vat_zone_number(order, _settings(vat_zones=VatZones(eu_consumer=OSS_ZONE))) == OSS_ZONE


def test_consumer_with_vat_number_is_not_reverse_charged() -> None:
    order = _with_customer(BUSINESS_SE, type="consumer")
    assert vat_zone_number(order, _settings(vat_zones=VatZones(eu_consumer=OSS_ZONE))) == OSS_ZONE


# -- customers -----------------------------------------------------------------------------------


def _rules(**rules: CustomerRule) -> CustomerSettings:
    return CustomerSettings(**rules)


def test_consumer_matched_by_phone_when_configured() -> None:
    settings = _settings(customers=_rules(consumer=CustomerRule(match_on="phone", customer_group=1)))
    assert (
        customer_match_filter(_order(CONSUMER_DK).customer, settings)
        == "telephoneAndFaxNumber$eq:+45 00 00 00 01"
    )


def test_public_customer_matched_by_ean() -> None:
    order = _with_customer(BUSINESS_DK, ean="5790000000012")
    assert customer_match_filter(order.customer, _settings()) == "ean$eq:5790000000012"


def test_customer_matched_by_customer_number() -> None:
    settings = _settings(
        customers=_rules(consumer=CustomerRule(match_on="customer_number", customer_group=1))
    )
    order = _with_customer(CONSUMER_DK, id="4711")
    assert customer_match_filter(order.customer, settings) == "customerNumber$eq:4711"


def test_customer_number_match_creates_with_that_number() -> None:
    settings = _settings(
        customers=_rules(consumer=CustomerRule(match_on="customer_number", customer_group=1))
    )
    order = _with_customer(CONSUMER_DK, id="4711")
    assert to_economic_customer(order, settings)["customerNumber"] == 4711


def test_public_customer_gets_ean_and_group() -> None:
    order = _with_customer(BUSINESS_DK, ean="5790000000012")
    body = to_economic_customer(
        order, _settings(customers=_rules(public=CustomerRule(match_on="ean", customer_group=9)))
    )
    assert (body["ean"], body["customerGroup"]) == ("5790000000012", {"customerGroupNumber": 9})


def test_invalid_ean_is_not_sent() -> None:
    order = _with_customer(BUSINESS_DK, ean="5790000000013")
    assert "ean" not in to_economic_customer(order, _settings())


def test_recipient_carries_ean_and_nemhandel_type() -> None:
    order = _with_customer(BUSINESS_DK, ean="5790000000012")
    recipient = to_draft_invoice(order, 1, _settings())["recipient"]
    assert (recipient["ean"], recipient["nemHandelType"]) == ("5790000000012", "ean")


def test_invalid_cvr_is_noted_on_the_invoice() -> None:
    order = _with_customer(BUSINESS_DK, vat_number="DK12345678")
    notes = to_draft_invoice(order, 1, _settings())["notes"]
    assert "DK12345678" in notes["textLine1"]


def test_invalid_cvr_is_not_sent_as_cvr() -> None:
    order = _with_customer(BUSINESS_DK, vat_number="DK12345678")
    assert "corporateIdentificationNumber" not in to_economic_customer(order, _settings())


def test_customer_update_overwrites_only_allowed_fields() -> None:
    rule = CustomerRule(match_on="cvr", customer_group=2, update_existing=True, update_fields=["name"])
    existing = {"customerNumber": 7, "name": "Old Name ApS", "email": "old@example.com", "city": "Oldtown"}
    update = customer_update(existing, _order(BUSINESS_DK), _settings(customers=_rules(business=rule)))
    assert update == {
        "customerNumber": 7,
        "name": "Test Restaurant ApS",
        "email": "old@example.com",
        "city": "Oldtown",
    }


def test_customer_update_off_by_default() -> None:
    existing = {"customerNumber": 7, "name": "Old Name ApS"}
    assert customer_update(existing, _order(BUSINESS_DK), _settings(customers=CustomerSettings())) is None


def test_customer_update_without_change_is_none() -> None:
    rule = CustomerRule(match_on="cvr", customer_group=2, update_existing=True, update_fields=["name"])
    existing = {"customerNumber": 7, "name": "Test Restaurant ApS"}
    assert customer_update(existing, _order(BUSINESS_DK), _settings(customers=_rules(business=rule))) is None


def test_danish_letters_arrive_unchanged() -> None:
    assert to_economic_customer(_order(CONSUMER_DK), _settings())["name"] == "Test Person Ærø"


def test_long_customer_name_is_cut_at_the_limit() -> None:
    order = _with_customer(CONSUMER_DK, name="Å" * 300)
    assert len(to_economic_customer(order, _settings())["name"]) == 255


# -- lines and prices ----------------------------------------------------------------------------


def test_rounding_line_settles_one_ore() -> None:
    # 3 x 99.99 incl. 25 % VAT: unit net 79.99, and e-conomic would total 299.96, not 299.97.
    reconciled = reconciled_order_lines(_order(PAID), _settings())
    assert (reconciled.rounding, reconciled.lines[-1].product_number) == (Decimal("0.01"), "ROUNDING")


def test_unit_price_has_two_decimals() -> None:
    reconciled = reconciled_order_lines(_order(PAID), _settings())
    assert reconciled.lines[0].unit_net_price == Decimal("79.99")


def test_rounding_line_carries_no_vat() -> None:
    reconciled = reconciled_order_lines(_order(PAID), _settings())
    assert reconciled.lines[-1].taxable is False


def test_order_that_adds_up_has_no_rounding_line() -> None:
    reconciled = reconciled_order_lines(_order(CONSUMER_DK), _settings())
    assert [line.kind for line in reconciled.lines] == [LineKind.PRODUCT, LineKind.DEPOSIT, LineKind.SHIPPING]


def test_totals_mismatch_states_difference() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["totals"]["total_incl_vat"] = Decimal("275.00")
    with pytest.raises(InvalidOrder, match=r"difference of 10\.00"):
        reconciled_order_lines(canonical_order(CONSUMER_DK, totals=payload["totals"]), _settings())


def test_rounding_product_is_created_in_the_exempt_group() -> None:
    rounding = reconciled_order_lines(_order(PAID), _settings()).lines[-1]
    assert to_economic_product(rounding, _settings())["productGroup"] == {"productGroupNumber": 3}


def _with_shipping(vat_rate: Decimal, incl: Decimal) -> CanonicalOrder:
    payload = order_payload(CONSUMER_DK)
    excl = (incl / (1 + vat_rate / 100)).quantize(Decimal("0.01"))
    payload["shipping"] = [
        {"name": "Delivery", "price_excl_vat": excl, "price_incl_vat": incl, "vat_rate": vat_rate}
    ]
    return canonical_order(CONSUMER_DK, shipping=payload["shipping"])


def test_taxable_shipping_uses_shipping_sku() -> None:
    lines = order_lines(_with_shipping(Decimal(25), Decimal("49.00")), _settings())
    assert lines[-1].product_number == "SHIPPING"


def test_non_taxable_shipping_uses_exempt_sku() -> None:
    lines = order_lines(_with_shipping(Decimal(0), Decimal("49.00")), _settings())
    assert (lines[-1].product_number, lines[-1].taxable) == ("SHIPPING-NOVAT", False)


def test_payment_fee_uses_fee_sku() -> None:
    payload = order_payload(CONSUMER_DK)
    fees = [
        {
            "name": "Invoice fee",
            "price_excl_vat": Decimal("20.00"),
            "price_incl_vat": Decimal("25.00"),
            "vat_rate": 25,
        }
    ]
    lines = order_lines(canonical_order(CONSUMER_DK, fees=fees, totals=payload["totals"]), _settings())
    assert (lines[-1].product_number, lines[-1].unit_net_price) == ("FEE", Decimal("20.00"))


def _with_discount() -> CanonicalOrder:
    discounts = [
        {
            "name": "Winter sale",
            "amount_excl_vat": Decimal("16.80"),
            "amount_incl_vat": Decimal("21.00"),
            "vat_rate": 25,
        }
    ]
    totals = {
        "total_excl_vat": Decimal("195.20"),
        "vat": Decimal("48.80"),
        "total_incl_vat": Decimal("244.00"),
    }
    return canonical_order(CONSUMER_DK, discounts=discounts, totals=totals)


def test_discount_as_line_on_discount_sku() -> None:
    lines = order_lines(_with_discount(), _settings())
    assert (lines[-1].product_number, lines[-1].unit_net_price) == ("DISCOUNT", Decimal("-16.80"))


def test_discount_as_percentage_on_product_lines() -> None:
    lines = order_lines(_with_discount(), _settings(discount_mode="percentage"))
    assert lines[0].discount_percentage == Decimal("10.00")


def test_discount_percentage_never_touches_deposits() -> None:
    lines = order_lines(_with_discount(), _settings(discount_mode="percentage"))
    deposits = [line for line in lines if line.kind is LineKind.DEPOSIT]
    assert [line.discount_percentage for line in deposits] == [Decimal(0)]


def test_discount_as_percentage_reconciles_to_the_order_total() -> None:
    reconciled = reconciled_order_lines(_with_discount(), _settings(discount_mode="percentage"))
    assert reconciled.rounding == Decimal(0)


def test_decimal_quantity_is_kept() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"] = [dict(payload["lines"][0], quantity=Decimal("1.5"))]
    totals = {
        "total_excl_vat": Decimal("81.20"),
        "vat": Decimal("20.30"),
        "total_incl_vat": Decimal("101.50"),
    }
    draft = to_draft_invoice(
        canonical_order(CONSUMER_DK, lines=payload["lines"], totals=totals), 1, _settings()
    )
    assert draft["lines"][0]["quantity"] == Decimal("1.5")


def test_long_product_name_cut_line_kept() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["name"] = "Ø" * 400
    lines = order_lines(canonical_order(CONSUMER_DK, lines=payload["lines"]), _settings())
    product = to_economic_product(lines[0], _settings())
    assert (len(product["name"]), len(lines[0].name)) == (300, 400)


# -- payment and currency ------------------------------------------------------------------------


def test_mobilepay_posts_as_paid() -> None:
    assert payment_terms_number(_order(PAID), _settings()) == 5


def test_layout_per_payment_method() -> None:
    assert layout_number(_order(PAID), _settings(layout_by_method={"mobilepay": 21})) == 21


def test_base_currency_order_has_no_exchange_rate() -> None:
    assert "exchangeRate" not in to_draft_invoice(_order(CONSUMER_DK), 1, _settings())


def test_settlement_to_bemakers_uses_one_customer() -> None:
    settings = _settings(settlement="bemakers", bemakers_customer_number=99)
    draft = to_draft_invoice(_order(BUSINESS_SE), 99, settings)
    assert (draft["customer"], draft["currency"]) == ({"customerNumber": 99}, "DKK")


def test_settlement_to_bemakers_converts_prices_to_base_currency() -> None:
    settings = _settings(settlement="bemakers", bemakers_customer_number=99)
    reconciled = reconciled_order_lines(_order(BUSINESS_SE), settings)
    # 400.00 EUR at 745.80 DKK per 100 EUR.
    assert reconciled.lines[0].unit_net_price == Decimal("2983.20")


def test_settlement_to_bemakers_needs_exchange_rate() -> None:
    settings = _settings(settlement="bemakers", bemakers_customer_number=99)
    with pytest.raises(InvalidOrder, match="exchange rate"):
        reconciled_order_lines(_order(BUSINESS_SE, exchange_rate=None), settings)


def test_settlement_bemakers_requires_customer_number() -> None:
    with pytest.raises(ValueError, match="bemakers_customer_number"):
        _settings(settlement="bemakers").model_validate(
            {**_settings().model_dump(), "settlement": "bemakers", "bemakers_customer_number": None}
        )


def test_discount_as_line_reconciles_to_the_order_total() -> None:
    reconciled = reconciled_order_lines(_with_discount(), _settings())
    assert reconciled.rounding == Decimal(0)


def test_oss_zone_uses_the_webshops_destination_rate() -> None:
    payload = order_payload(PAID)
    payload["customer"]["billing_address"] = _address("DE")
    payload["lines"] = [
        dict(line, unit_price_excl_vat=Decimal("84.03"), vat_rate=Decimal(19)) for line in payload["lines"]
    ]
    totals = {
        "total_excl_vat": Decimal("252.09"),
        "vat": Decimal("47.90"),
        "total_incl_vat": Decimal("299.99"),
    }
    order = canonical_order(PAID, customer=payload["customer"], lines=payload["lines"], totals=totals)
    reconciled = reconciled_order_lines(order, _settings(vat_zones=VatZones(eu_consumer=OSS_ZONE)))
    assert reconciled.rounding == Decimal(0)
