"""Mapping to and from Ongoing WMS, and the Ongoing settings, without AWS or HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from hub.connections import OngoingSettings
from hub.errors import InvalidOrder
from hub.mapping.ongoing import (
    article_number_for,
    from_ongoing_shipment,
    sku_for,
    to_ongoing_order,
    warehouse_differences,
)
from hub.models import ongoing
from hub.models.bemakers import FulfillmentStatus
from tests.samples import BUSINESS_DK, CONSUMER_DK, canonical_order, demo_connections, order_payload


def _settings(**changes: Any) -> OngoingSettings:
    settings = demo_connections().connections[0].ongoing
    assert settings is not None
    return OngoingSettings.model_validate({**settings.model_dump(), **changes})


def _order(**parcels: Any) -> ongoing.Order:
    return ongoing.Order.model_validate(
        {
            "orderInfo": {
                "orderId": 7,
                "orderNumber": "1002",
                "goodsOwnerOrderId": "ord_1002",
                "orderStatus": {"number": 450, "text": "Sent"},
                "shippedTime": "2026-12-02T12:00:00",
            },
            "transporter": {"transporterCode": "DSV"},
            "orderLines": [
                {
                    "id": 1,
                    "rowNumber": "ol_1",
                    "article": {"articleNumber": "IPA-33CL"},
                    "orderedNumberOfItems": 48,
                },
                {
                    "id": 2,
                    "rowNumber": "ol_3",
                    "article": {"articleNumber": "STOUT-50CL"},
                    "orderedNumberOfItems": 24,
                },
            ],
            "parcels": parcels.get("parcels", []),
        }
    )


def _parcel(parcel_id: int, lines: dict[int, int], **extra: Any) -> dict[str, Any]:
    return {
        "id": parcel_id,
        "parcelNumber": f"P{parcel_id}",
        "shippedTime": f"2026-12-02T12:0{parcel_id}:00Z",
        "orderLines": [{"orderLineId": line_id, "numberOfItems": count} for line_id, count in lines.items()],
        **extra,
    }


# -- orders out -----------------------------------------------------------------------------------


def test_order_body_sends_product_lines_by_row_number() -> None:
    body = to_ongoing_order(canonical_order(BUSINESS_DK), 77, _settings())
    assert [(line["rowNumber"], line["articleNumber"]) for line in body["orderLines"]] == [
        ("ol_1", "IPA-33CL"),
        ("ol_2", "STOUT-50CL"),
    ]


def test_order_body_uses_company_name_as_consignee() -> None:
    body = to_ongoing_order(canonical_order(BUSINESS_DK), 77, _settings())
    assert body["consignee"]["name"] == "Test Restaurant ApS"


def test_order_body_keeps_quantities_exact() -> None:
    lines = order_payload(CONSUMER_DK)["lines"]
    lines[0]["quantity"] = Decimal("1.5")
    body = to_ongoing_order(canonical_order(CONSUMER_DK, lines=lines), 77, _settings())
    assert body["orderLines"][0]["numberOfItems"] == Decimal("1.5")


def test_unmapped_shipping_method_without_default_is_invalid() -> None:
    settings = _settings(default_delivery=None)
    with pytest.raises(InvalidOrder, match="shipping method drone"):
        to_ongoing_order(canonical_order(CONSUMER_DK, shipping_method="drone"), 77, settings)


def test_order_without_delivery_has_no_transporter() -> None:
    body = to_ongoing_order(
        canonical_order(CONSUMER_DK, shipping_method=None), 77, _settings(default_delivery=None)
    )
    assert "transporter" not in body


def test_article_mapping_translates_skus() -> None:
    settings = _settings(article_skus={"A-100": "IPA-33CL"})
    assert article_number_for("IPA-33CL", settings) == "A-100"
    assert sku_for("A-100", settings) == "IPA-33CL"


def test_article_outside_mapping_has_no_sku() -> None:
    assert sku_for("A-200", _settings(article_skus={"A-100": "IPA-33CL"})) is None


def test_sku_missing_from_article_mapping_is_invalid() -> None:
    with pytest.raises(InvalidOrder, match="SKU GIN-70CL"):
        article_number_for("GIN-70CL", _settings(article_skus={"A-100": "IPA-33CL"}))


def test_identical_order_has_no_differences() -> None:
    body = to_ongoing_order(canonical_order(BUSINESS_DK), 77, _settings())
    existing = ongoing.Order.model_validate(
        {
            "orderInfo": {"orderId": 1, "orderNumber": "1002", "orderStatus": {"number": 400}},
            "consignee": body["consignee"],
            "wayOfDelivery": body["wayOfDelivery"],
            "transporter": body["transporter"],
            "orderLines": [
                {
                    "id": index,
                    "rowNumber": line["rowNumber"],
                    "article": {"articleNumber": line["articleNumber"]},
                    "orderedNumberOfItems": line["numberOfItems"],
                }
                for index, line in enumerate(body["orderLines"])
            ],
        }
    )
    assert warehouse_differences(body, existing) == []
    body["consignee"]["city"] = "Odense C"
    body["orderLines"][0]["numberOfItems"] = 1
    assert warehouse_differences(body, existing) == ["lines", "consignee"]


# -- shipments in ---------------------------------------------------------------------------------


def test_first_parcel_is_partial_and_last_fulfills() -> None:
    shipments = from_ongoing_shipment(_order(parcels=[_parcel(1, {1: 48}), _parcel(2, {2: 24})]))
    assert [shipment.status for shipment in shipments] == [
        FulfillmentStatus.PARTIALLY_FULFILLED,
        FulfillmentStatus.FULFILLED,
    ]


def test_shipment_lines_name_bemakers_line_ids() -> None:
    (shipment,) = from_ongoing_shipment(_order(parcels=[_parcel(1, {1: 10, 2: 0})]))
    assert [(line.order_line_id, line.quantity) for line in shipment.lines] == [("ol_1", Decimal(10))]


def test_return_parcels_are_not_shipments() -> None:
    assert from_ongoing_shipment(_order(parcels=[_parcel(1, {1: 48}, isReturnParcel=True)])) == []


def test_shipment_id_joins_order_and_parcel() -> None:
    (shipment,) = from_ongoing_shipment(_order(parcels=[_parcel(3, {1: 48})]))
    assert (shipment.shipment_id, shipment.bemakers_order_id, shipment.carrier) == ("7-3", "ord_1002", "DSV")


def test_order_not_sent_by_hub_has_no_shipments() -> None:
    order = _order(parcels=[_parcel(1, {1: 48})])
    foreign = order.model_copy(
        update={"order_info": order.order_info.model_copy(update={"goods_owner_order_id": None})}
    )
    assert from_ongoing_shipment(foreign) == []


def test_response_time_without_offset_reads_as_utc() -> None:
    shipped = _order().order_info.shipped_time
    assert shipped is not None
    assert shipped.isoformat() == "2026-12-02T12:00:00+00:00"


# -- settings -------------------------------------------------------------------------------------


def test_settings_reject_cancelled_transfer_state() -> None:
    with pytest.raises(ValidationError, match="cancelled"):
        _settings(transfer_states=["confirmed", "cancelled"])


def test_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="password"):
        _settings(password="inline-secret")


def test_settings_ship_mapped_locations_only() -> None:
    settings = _settings()
    assert settings.ships("main-warehouse")
    assert not settings.ships("other-3pl")
    assert not settings.ships(None)
