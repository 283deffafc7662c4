from decimal import Decimal

import pytest

from hub.errors import InvalidOrder
from hub.mapping.economic import (
    customer_match_filter,
    order_reference,
    payment_terms_number,
    to_draft_invoice,
    to_economic_customer,
    vat_zone_number,
)
from hub.models.canonical import LineKind
from tests.samples import (
    BUSINESS_DK,
    BUSINESS_SE,
    CONSUMER_DK,
    WAITING,
    canonical_order,
    economic_settings,
    order_payload,
)


def test_consumer_is_matched_by_email() -> None:
    order = canonical_order(CONSUMER_DK)
    assert customer_match_filter(order.customer, economic_settings()) == "email$eq:test.person@example.com"


def test_business_is_matched_by_normalised_cvr() -> None:
    order = canonical_order(BUSINESS_DK)
    assert (
        customer_match_filter(order.customer, economic_settings())
        == "corporateIdentificationNumber$eq:12345674"
    )


def test_business_without_valid_cvr_is_matched_by_email() -> None:
    order = canonical_order(BUSINESS_SE)
    assert customer_match_filter(order.customer, economic_settings()) == "email$eq:buyer@import.example"


def test_match_filter_escapes_special_characters() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["customer"]["email"] = "a(b)*c@example.com"
    order = canonical_order(CONSUMER_DK, customer=payload["customer"])
    assert customer_match_filter(order.customer, economic_settings()) == "email$eq:a$(b$)$*c@example.com"


def test_business_customer_carries_cvr() -> None:
    body = to_economic_customer(canonical_order(BUSINESS_DK), economic_settings())
    assert body["corporateIdentificationNumber"] == "12345674"


def test_business_customer_is_named_after_company() -> None:
    body = to_economic_customer(canonical_order(BUSINESS_DK), economic_settings())
    assert body["name"] == "Test Restaurant ApS"


def test_customer_group_follows_customer_type() -> None:
    body = to_economic_customer(canonical_order(BUSINESS_DK), economic_settings())
    assert body["customerGroup"] == {"customerGroupNumber": 2}


def test_foreign_vat_number_is_not_sent_as_cvr() -> None:
    body = to_economic_customer(canonical_order(BUSINESS_SE), economic_settings())
    assert "corporateIdentificationNumber" not in body


@pytest.mark.parametrize(("sample", "zone"), [(CONSUMER_DK, 1), (BUSINESS_DK, 1), (BUSINESS_SE, 2)])
def test_vat_zone_by_delivery_country(sample: str, zone: int) -> None:
    assert vat_zone_number(canonical_order(sample), economic_settings()) == zone


def test_vat_zone_outside_eu_is_abroad() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["customer"]["billing_address"]["country"] = "NO"
    order = canonical_order(CONSUMER_DK, customer=payload["customer"])
    assert vat_zone_number(order, economic_settings()) == 3


def test_payment_terms_by_prepaid_method() -> None:
    assert payment_terms_number(canonical_order(CONSUMER_DK), economic_settings()) == 5


def test_payment_terms_by_net_terms() -> None:
    assert payment_terms_number(canonical_order(BUSINESS_DK), economic_settings()) == 3


def test_payment_terms_default_when_unmapped() -> None:
    order = canonical_order(CONSUMER_DK, payment_method="bank_transfer")
    assert payment_terms_number(order, economic_settings()) == 1


def test_draft_invoice_references_the_order() -> None:
    draft = to_draft_invoice(canonical_order(CONSUMER_DK), 7, economic_settings())
    assert draft["references"]["other"] == "bemakers-order:ord_1001"


def test_draft_invoice_shipping_uses_configured_sku() -> None:
    order = canonical_order(CONSUMER_DK)
    draft = to_draft_invoice(order, 7, economic_settings(shipping_sku="FREIGHT"))
    shipping = [
        line
        for line, source in zip(draft["lines"], order.lines, strict=True)
        if source.kind is LineKind.SHIPPING
    ]
    assert shipping[0]["product"] == {"productNumber": "FREIGHT"}


def test_draft_invoice_keeps_order_currency_and_exchange_rate() -> None:
    draft = to_draft_invoice(canonical_order(BUSINESS_SE), 7, economic_settings())
    assert (draft["currency"], draft["exchangeRate"]) == ("EUR", Decimal("745.80"))


def test_draft_invoice_line_prices_have_two_decimals() -> None:
    draft = to_draft_invoice(canonical_order(WAITING), 7, economic_settings())
    assert draft["lines"][0]["unitNetPrice"] == Decimal("79.99")


def test_draft_invoice_carries_line_discount() -> None:
    draft = to_draft_invoice(canonical_order(BUSINESS_DK), 7, economic_settings())
    assert draft["lines"][0]["discountPercentage"] == Decimal(10)


def test_draft_invoice_rejects_totals_that_do_not_reconcile() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["totals"]["total_incl_vat"] = Decimal("270.00")
    with pytest.raises(InvalidOrder, match=r"a difference of 5\.00"):
        to_draft_invoice(canonical_order(CONSUMER_DK, totals=payload["totals"]), 7, economic_settings())


def test_draft_invoice_truncates_long_line_text() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["name"] = "Æ" * 3000
    draft = to_draft_invoice(canonical_order(CONSUMER_DK, lines=payload["lines"]), 7, economic_settings())
    assert len(draft["lines"][0]["description"]) == 2500


def test_order_reference_is_stable() -> None:
    assert order_reference(canonical_order(CONSUMER_DK)) == order_reference(canonical_order(CONSUMER_DK))


def test_sku_longer_than_product_number_is_invalid() -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["sku"] = "X" * 26
    with pytest.raises(InvalidOrder, match="25-character"):
        to_draft_invoice(canonical_order(CONSUMER_DK, lines=payload["lines"]), 7, economic_settings())
