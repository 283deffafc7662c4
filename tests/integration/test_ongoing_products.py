"""The product import from Ongoing WMS articles: paged full reads, the change feed and deactivation."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.errors import ConfigurationError
from hub.flows.product_import import ImportReport, import_connection
from hub.runtime import get_runtime
from hub.sources.factory import product_source
from hubctl.demo import DEMO_ARTICLES, DEMO_CONNECTION, DemoEnvironment
from hubctl.local import PRODUCT_IMPORT_FUNCTION, utc_now

# The articles were last changed three hours before the test started.
SEEDED = timedelta(hours=3)


def run_import(environment: DemoEnvironment, now: datetime | None = None) -> dict[str, Any]:
    """Run the product import function once, as its schedule would at `now`."""
    result: dict[str, Any] = environment.hub.run_schedule(PRODUCT_IMPORT_FUNCTION, now=now)
    return result


def import_report(now: datetime) -> ImportReport:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    return import_connection(get_runtime(), connection, now=now)


def writes(environment: DemoEnvironment) -> int:
    return len(environment.bemakers.product_writes)


def variant(environment: DemoEnvironment, product_sku: str, sku: str) -> dict[str, Any]:
    product = environment.bemakers.products[product_sku]
    return next(item for item in product.get("variants", []) if item["sku"] == sku)


def article_queries(environment: DemoEnvironment) -> list[dict[str, list[str]]]:
    return [
        request.query
        for request in environment.ongoing.requests
        if request.method == "GET" and request.path.endswith("/articles")
    ]


@pytest.fixture
def warehouse(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo connection importing products from Ongoing, with three articles in the warehouse."""
    environment.configure_products(source="ongoing", fields={}, exclude_skus=[], product_groups=[])
    for article_number, _, _ in DEMO_ARTICLES:
        environment.ongoing.delete_article(article_number)
    seeded = utc_now() - SEEDED
    environment.ongoing.add_article(
        "ALE-33CL",
        "Amber Ale 33 cl",
        updated_at=seeded,
        customerPrice=Decimal("20.00"),
        purchasePrice=Decimal("6.50"),
        barCodeInfo={"barCode": "5701234000017"},
        unitCode="st",
        weight=Decimal("0.55"),
        volume=Decimal("0.0004"),
    )
    environment.ongoing.add_article("ALE-50CL", "Amber Ale 50 cl", updated_at=seeded, customerPrice=26)
    environment.ongoing.add_article("MEAD", "Honey Mead 75 cl", updated_at=seeded, customerPrice=80)
    return environment


@pytest.fixture
def imported(warehouse: DemoEnvironment) -> DemoEnvironment:
    """The warehouse's articles imported once: a full read, which sets the change cursor."""
    run_import(warehouse)
    return warehouse


# -- create --------------------------------------------------------------------------------------


def test_ongoing_import_creates_products(imported: DemoEnvironment) -> None:
    assert sorted(imported.bemakers.products) == ["ALE", "MEAD"]


def test_ongoing_variants_grouped_by_prefix(imported: DemoEnvironment) -> None:
    skus = [item["sku"] for item in imported.bemakers.products["ALE"]["variants"]]
    assert skus == ["ALE-33CL", "ALE-50CL"]


def test_ongoing_price_gets_vat_added(imported: DemoEnvironment) -> None:
    assert variant(imported, "ALE", "ALE-33CL")["price_incl_vat"] == Decimal("25.00")


def test_ongoing_maps_article_fields(imported: DemoEnvironment) -> None:
    ale = variant(imported, "ALE", "ALE-33CL")
    mapped = {name: ale.get(name) for name in ("ean", "cost_price", "unit", "weight_kg")}
    assert mapped == {
        "ean": "5701234000017",
        "cost_price": Decimal("6.50"),
        "unit": "st",
        "weight_kg": Decimal("0.55"),
    }


def test_ongoing_volume_becomes_litres(imported: DemoEnvironment) -> None:
    assert variant(imported, "ALE", "ALE-33CL")["package_volume_litres"] == Decimal("0.4")


def test_ongoing_full_read_pages_by_system_id(imported: DemoEnvironment) -> None:
    (query,) = article_queries(imported)
    assert (query["articleSystemIdFrom"], query["maxArticlesToGet"]) == (["0"], ["500"])


# -- update and the change feed ------------------------------------------------------------------


def test_ongoing_price_change_updates_variant(imported: DemoEnvironment) -> None:
    imported.ongoing.update_article("ALE-33CL", customerPrice=Decimal("22.00"))
    before = writes(imported)
    run_import(imported)
    new_writes = imported.bemakers.product_writes[before:]
    assert [(write.method, write.path) for write in new_writes] == [
        ("PATCH", "/v1/products/ALE/variants/ALE-33CL")
    ]


def test_ongoing_change_run_reads_only_changed(imported: DemoEnvironment) -> None:
    imported.ongoing.update_article("MEAD", customerPrice=90)
    report = import_report(utc_now())
    assert report.full_read is False
    assert report.records == 1


def test_ongoing_change_run_sends_change_filter(imported: DemoEnvironment) -> None:
    run_import(imported)
    assert "articleDataLastUpdatedFrom" in article_queries(imported)[-1]


def test_ongoing_unchanged_catalogue_sends_no_writes(imported: DemoEnvironment) -> None:
    before = writes(imported)
    result = run_import(imported)
    assert writes(imported) - before == 0
    assert result["writes"] == 0


def test_ongoing_unchanged_full_read_sends_no_writes(imported: DemoEnvironment) -> None:
    before = writes(imported)
    result = run_import(imported, utc_now() + timedelta(hours=25))
    assert writes(imported) - before == 0
    assert result["unchanged"] == 4


def test_ongoing_full_read_after_interval(imported: DemoEnvironment) -> None:
    report = import_report(utc_now() + timedelta(hours=25))
    assert report.full_read is True


# -- a field excluded from updates ---------------------------------------------------------------


def test_ongoing_excluded_field_not_sent(warehouse: DemoEnvironment) -> None:
    warehouse.configure_products(update_fields=["price"])
    run_import(warehouse)
    warehouse.ongoing.update_article("ALE-33CL", articleName="Renamed Ale 33 cl", customerPrice=22)
    before = writes(warehouse)
    run_import(warehouse)
    (patch,) = warehouse.bemakers.product_writes[before:]
    assert "name" not in patch.body


def test_ongoing_excluded_field_keeps_bemakers_value(warehouse: DemoEnvironment) -> None:
    warehouse.configure_products(update_fields=["price"])
    run_import(warehouse)
    warehouse.ongoing.update_article("ALE-33CL", articleName="Renamed Ale 33 cl", customerPrice=22)
    run_import(warehouse)
    assert variant(warehouse, "ALE", "ALE-33CL")["name"] == "Amber Ale 33 cl"


# -- deactivation --------------------------------------------------------------------------------


def test_ongoing_inactive_article_is_deactivated(imported: DemoEnvironment) -> None:
    imported.ongoing.update_article("ALE-50CL", active=False)
    run_import(imported)
    assert variant(imported, "ALE", "ALE-50CL")["active"] is False


def test_ongoing_deleted_article_waits_for_full_read(imported: DemoEnvironment) -> None:
    imported.ongoing.delete_article("MEAD")
    run_import(imported)
    assert imported.bemakers.products["MEAD"]["active"] is True


def test_ongoing_deleted_article_deactivated_on_full_read(imported: DemoEnvironment) -> None:
    imported.ongoing.delete_article("MEAD")
    run_import(imported, utc_now() + timedelta(hours=25))
    assert imported.bemakers.products["MEAD"]["active"] is False


# -- bad input -----------------------------------------------------------------------------------


def test_ongoing_duplicate_sku_is_skipped(warehouse: DemoEnvironment) -> None:
    warehouse.configure_products(fields={"sku": "productCode"}, grouping={"rule": "none"})
    warehouse.ongoing.update_article("ALE-33CL", productCode="ALE")
    warehouse.ongoing.update_article("ALE-50CL", productCode="ALE")
    warehouse.ongoing.update_article("MEAD", productCode="MEAD")
    report = import_report(utc_now())
    duplicates = sorted((item.sku, item.reason, item.field) for item in report.skipped)
    assert duplicates == [("ALE", "duplicate SKU", "productCode"), ("ALE", "duplicate SKU", "productCode")]
    assert sorted(warehouse.bemakers.products) == ["MEAD"]


def test_ongoing_article_without_price_is_skipped(warehouse: DemoEnvironment) -> None:
    warehouse.ongoing.add_article("KVASS-50CL", "Kvass 50 cl")
    report = import_report(utc_now())
    skipped = [(item.sku, item.reason, item.field) for item in report.skipped]
    assert skipped == [("KVASS-50CL", "price is missing", "customerPrice")]


def test_ongoing_run_goes_on_after_skipped_article(warehouse: DemoEnvironment) -> None:
    warehouse.ongoing.add_article("KVASS-50CL", "Kvass 50 cl")
    run_import(warehouse)
    assert sorted(warehouse.bemakers.products) == ["ALE", "MEAD"]


def test_ongoing_sandbox_saw_only_valid_requests(imported: DemoEnvironment) -> None:
    run_import(imported, utc_now() + timedelta(hours=25))
    assert imported.ongoing.rejections == []


# -- settings ------------------------------------------------------------------------------------


def test_ongoing_source_without_ongoing_settings_fails(warehouse: DemoEnvironment) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION).model_copy(update={"ongoing": None})
    with pytest.raises(ConfigurationError, match="has no ongoing settings"):
        product_source(connection)
