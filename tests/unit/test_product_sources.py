"""Source records from Ongoing articles and Zettle products, and native grouping in the mapping."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.mapping.products import to_bemakers_catalogue
from hub.product_settings import ProductImportSettings
from hub.sources.base import SourceItem, SourceProduct
from hub.sources.ongoing import INACTIVE, VOLUME_LITRES, to_source_item
from hub.sources.zettle import PRICE_FIELD, ZettleProductSource, product_sku, to_source_items, variant_name

ZETTLE = ProductImportSettings(source="zettle")


def zettle_product(*variants: dict[str, Any], name: str = "Hoppy IPA") -> dict[str, Any]:
    return {"uuid": "6d3ee3a2-0000-4000-8000-000000000001", "name": name, "variants": list(variants)}


# -- Ongoing -------------------------------------------------------------------------------------


def test_ongoing_inactive_article_is_marked() -> None:
    item = to_source_item({"articleSystemId": 7, "articleNumber": "ALE", "isActive": False})
    assert item.attributes[INACTIVE] is True


def test_ongoing_article_without_flag_is_active() -> None:
    item = to_source_item({"articleSystemId": 7, "articleNumber": "ALE"})
    assert item.attributes[INACTIVE] is False


def test_ongoing_volume_converted_to_litres() -> None:
    item = to_source_item({"articleSystemId": 7, "articleNumber": "ALE", "volume": Decimal("0.00075")})
    assert item.attributes[VOLUME_LITRES] == Decimal("0.75")


def test_ongoing_source_id_is_system_id() -> None:
    assert to_source_item({"articleSystemId": 7, "articleNumber": "ALE"}).source_id == "7"


# -- Zettle --------------------------------------------------------------------------------------


def test_zettle_product_sku_is_shared_prefix() -> None:
    product = zettle_product({"sku": "IPA-33CL"}, {"sku": "IPA-50CL"})
    assert product_sku(product, "-") == "IPA"


def test_zettle_product_sku_falls_back_to_uuid() -> None:
    product = zettle_product({"sku": "IPA-33CL"}, {"sku": "PALE-50CL"})
    assert product_sku(product, "-") == product["uuid"]


def test_zettle_product_sku_needs_separator_in_all() -> None:
    product = zettle_product({"sku": "IPA-33CL"}, {"sku": "IPA"})
    assert product_sku(product, "-") == product["uuid"]


def test_zettle_variant_name_from_options() -> None:
    options = [{"name": "Size", "value": "50 cl"}]
    assert variant_name("Hoppy IPA", {"options": options}) == "Hoppy IPA 50 cl"


def test_zettle_variant_name_keeps_full_name() -> None:
    assert variant_name("Hoppy IPA", {"name": "Hoppy IPA can"}) == "Hoppy IPA can"


def test_zettle_price_in_minor_units() -> None:
    (item,) = to_source_items(
        zettle_product({"uuid": "v1", "sku": "IPA", "price": {"amount": 4599, "currencyId": "DKK"}}), ZETTLE
    )
    assert item.attributes[PRICE_FIELD] == Decimal("45.99")


def test_zettle_price_without_minor_unit() -> None:
    settings = ProductImportSettings(source="zettle", currency="ISK")
    (item,) = to_source_items(
        zettle_product({"uuid": "v1", "sku": "IPA", "price": {"amount": 990, "currencyId": "ISK"}}), settings
    )
    assert item.attributes[PRICE_FIELD] == Decimal(990)


def test_zettle_price_in_other_currency_left_out() -> None:
    (item,) = to_source_items(
        zettle_product({"uuid": "v1", "sku": "IPA", "price": {"amount": 500, "currencyId": "EUR"}}), ZETTLE
    )
    assert item.attributes[PRICE_FIELD] is None


def test_zettle_single_variant_has_no_group() -> None:
    (item,) = to_source_items(zettle_product({"uuid": "v1", "sku": "GLASS"}), ZETTLE)
    assert item.product is None


def test_zettle_variants_share_one_group() -> None:
    items = to_source_items(
        zettle_product({"uuid": "v1", "sku": "IPA-33CL"}, {"uuid": "v2", "sku": "IPA-50CL"}), ZETTLE
    )
    assert {item.product for item in items} == {SourceProduct(sku="IPA", name="Hoppy IPA")}


# -- native grouping in the mapping --------------------------------------------------------------


def test_native_group_ignores_grouping_rule() -> None:
    group = SourceProduct(sku="IPA", name="Hoppy IPA")
    items = [
        SourceItem("v1", {"sku": "IPA-33CL", "hub.name": "Hoppy IPA 33 cl", "hub.price": "45"}, group),
        SourceItem("v2", {"sku": "IPA-50CL", "hub.name": "Hoppy IPA 50 cl", "hub.price": "60"}, group),
    ]
    catalogue = to_bemakers_catalogue(items, ZETTLE, ZettleProductSource)  # type: ignore[arg-type]
    (product,) = catalogue.products
    assert (product.sku, product.name) == ("IPA", "Hoppy IPA")
    assert [variant.sku for variant in product.variants] == ["IPA-33CL", "IPA-50CL"]


def test_native_group_sku_counts_as_source_sku() -> None:
    group = SourceProduct(sku="IPA", name="Hoppy IPA")
    items = [
        SourceItem("v1", {"sku": "IPA-33CL", "hub.name": "Hoppy IPA 33 cl", "hub.price": "45"}, group),
        SourceItem("v2", {"sku": "IPA-50CL", "hub.name": "Hoppy IPA 50 cl", "hub.price": "60"}, group),
    ]
    catalogue = to_bemakers_catalogue(items, ZETTLE, ZettleProductSource)  # type: ignore[arg-type]
    assert "IPA" in catalogue.source_skus
