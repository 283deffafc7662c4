"""Mapping source records to Bemakers products: values, grouping and content hashes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from hub.mapping.products import content_hash, to_bemakers_catalogue, update_for
from hub.models.bemakers import ProductUpdate, Variant
from hub.product_settings import ProductImportSettings
from hub.sources.base import SourceItem, description_attributes, flatten


class FlatSource:
    name = "flat"
    prices_include_vat = False
    default_fields: ClassVar[dict[str, str]] = {"sku": "sku", "name": "name", "price": "price"}
    supports_changes = False

    def read_catalogue(self) -> Iterator[SourceItem]:
        return iter(())

    def read_changes(self, since: datetime) -> Iterator[SourceItem]:
        return iter(())


def item(sku: str, name: str, price: str = "10", **attributes: str) -> SourceItem:
    return SourceItem(sku, {"sku": sku, "name": name, "price": price, **attributes})


SETTINGS = ProductImportSettings(source="economic", grouping={"rule": "sku_prefix"})


def test_description_lines_become_lower_case_keys() -> None:
    attributes = description_attributes("Bottled in Odense\nABV: 6,5\nDeposit = A\n")
    assert attributes == {"description.abv": "6,5", "description.deposit": "A"}


def test_flatten_joins_nested_keys_with_dots() -> None:
    flat = flatten({"unit": {"unitNumber": 1}, "salesPrice": 2, "lines": [1]})
    assert flat == {"unit.unitNumber": 1, "salesPrice": 2}


def test_decimal_comma_and_percent_are_read() -> None:
    settings = ProductImportSettings(
        source="economic", grouping={"rule": "sku_prefix"}, fields={"abv": "abv"}
    )
    catalogue = to_bemakers_catalogue([item("ALE-33CL", "Ale 33 cl", abv="4,6 %")], settings, FlatSource())
    assert catalogue.products[0].variants[0].abv == Decimal("4.6")


def test_sku_prefix_splits_at_first_separator() -> None:
    catalogue = to_bemakers_catalogue([item("GIN-DRY-70CL", "Dry Gin 70 cl")], SETTINGS, FlatSource())
    assert [product.sku for product in catalogue.products] == ["GIN"]


def test_sku_without_separator_is_standalone_product() -> None:
    catalogue = to_bemakers_catalogue([item("GIFTBOX", "Gift box")], SETTINGS, FlatSource())
    assert catalogue.products[0].variants == []


def test_shared_name_falls_back_to_first_name() -> None:
    items = [item("ALE-A", "Amber Ale"), item("ALE-B", "Brown Ale")]
    catalogue = to_bemakers_catalogue(items, SETTINGS, FlatSource())
    assert catalogue.products[0].name == "Amber Ale"


def test_missing_name_is_skipped_with_field() -> None:
    catalogue = to_bemakers_catalogue([SourceItem("7", {"sku": "ALE", "price": "1"})], SETTINGS, FlatSource())
    assert [(skip.sku, skip.reason, skip.field) for skip in catalogue.skipped] == [
        ("ALE", "name is missing", "name")
    ]


def test_source_skus_include_skipped_and_products() -> None:
    items = [item("ALE-33CL", "Ale"), SourceItem("8", {"sku": "BAD", "name": "Bad"})]
    catalogue = to_bemakers_catalogue(items, SETTINGS, FlatSource())
    assert catalogue.source_skus == frozenset({"ALE", "ALE-33CL", "BAD"})


def test_content_hash_ignores_trailing_zeros() -> None:
    first = ProductUpdate(price_excl_vat=Decimal("70"), name="Ale")
    second = ProductUpdate(price_excl_vat=Decimal("70.00"), name="Ale")
    assert content_hash(first) == content_hash(second)


def test_content_hash_changes_with_value() -> None:
    assert content_hash(ProductUpdate(name="Ale")) != content_hash(ProductUpdate(name="Stout"))


def test_update_for_limits_fields() -> None:
    variant = Variant(
        sku="ALE-33CL",
        name="Ale",
        price_excl_vat=Decimal(8),
        price_incl_vat=Decimal(10),
        vat_rate=Decimal(25),
        currency="DKK",
        abv=Decimal(5),
    )
    update = update_for(variant, ["price"])
    assert update.model_fields_set == {"price_excl_vat", "price_incl_vat", "vat_rate", "currency"}
