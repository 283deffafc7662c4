"""The product import from the Zettle product library: native variants, gross prices and webhooks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hub.errors import ConfigurationError
from hub.flows.product_import import ImportReport, import_connection
from hub.runtime import get_runtime
from hub.sources.factory import product_source
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from hubctl.local import PRODUCT_IMPORT_FUNCTION, utc_now
from tests.integration.helpers import response_json

LIBRARY_PATH = "/organizations/self/library"


def dkk(amount: int) -> dict[str, Any]:
    """Return a Zettle `Price` of `amount` øre."""
    return {"amount": amount, "currencyId": "DKK"}


def run_import(environment: DemoEnvironment) -> dict[str, Any]:
    result: dict[str, Any] = environment.hub.run_schedule(PRODUCT_IMPORT_FUNCTION)
    return result


def import_report() -> ImportReport:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    return import_connection(get_runtime(), connection, now=utc_now())


def writes(environment: DemoEnvironment) -> int:
    return len(environment.bemakers.product_writes)


def variant(environment: DemoEnvironment, product_sku: str, sku: str) -> dict[str, Any]:
    product = environment.bemakers.products[product_sku]
    return next(item for item in product.get("variants", []) if item["sku"] == sku)


@pytest.fixture
def library(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo connection importing products from Zettle, whose library has two products."""
    environment.configure_products(
        source="zettle", grouping={"rule": "none"}, fields={}, exclude_skus=[], product_groups=[]
    )
    environment.zettle.add_library_product(
        "Hoppy IPA",
        [
            {
                "sku": "IPA-33CL",
                "name": "33 cl",
                "barcode": "5701234000109",
                "price": dkk(4500),
                "costPrice": dkk(1200),
            },
            {"sku": "IPA-50CL", "name": "50 cl", "price": dkk(6000)},
        ],
        unitName="bottle",
    )
    environment.zettle.add_library_product("Taproom glass", [{"sku": "GLASS", "price": dkk(4999)}])
    return environment


@pytest.fixture
def imported(library: DemoEnvironment) -> DemoEnvironment:
    run_import(library)
    return library


# -- create --------------------------------------------------------------------------------------


def test_zettle_import_creates_products(imported: DemoEnvironment) -> None:
    assert sorted(imported.bemakers.products) == ["GLASS", "IPA"]


def test_zettle_variants_grouped_without_setting(imported: DemoEnvironment) -> None:
    skus = [item["sku"] for item in imported.bemakers.products["IPA"]["variants"]]
    assert skus == ["IPA-33CL", "IPA-50CL"]


def test_zettle_product_named_after_zettle_product(imported: DemoEnvironment) -> None:
    assert imported.bemakers.products["IPA"]["name"] == "Hoppy IPA"


def test_zettle_variant_named_with_product(imported: DemoEnvironment) -> None:
    assert variant(imported, "IPA", "IPA-33CL")["name"] == "Hoppy IPA 33 cl"


def test_zettle_single_variant_is_product(imported: DemoEnvironment) -> None:
    glass = imported.bemakers.products["GLASS"]
    assert glass["name"] == "Taproom glass"
    assert glass.get("variants", []) == []


def test_zettle_gross_price_kept(imported: DemoEnvironment) -> None:
    assert variant(imported, "IPA", "IPA-33CL")["price_incl_vat"] == Decimal("45.00")


def test_zettle_vat_taken_out_of_price(imported: DemoEnvironment) -> None:
    assert variant(imported, "IPA", "IPA-33CL")["price_excl_vat"] == Decimal("36.00")


def test_zettle_net_price_rounded_to_ore(imported: DemoEnvironment) -> None:
    # 49.99 / 1.25 = 39.992, rounded half up to whole øre.
    assert imported.bemakers.products["GLASS"]["price_excl_vat"] == Decimal("39.99")


def test_zettle_maps_variant_fields(imported: DemoEnvironment) -> None:
    ipa = variant(imported, "IPA", "IPA-33CL")
    mapped = {name: ipa.get(name) for name in ("ean", "cost_price", "unit", "currency")}
    assert mapped == {
        "ean": "5701234000109",
        "cost_price": Decimal("12.00"),
        "unit": "bottle",
        "currency": "DKK",
    }


def test_zettle_library_pages_are_followed(library: DemoEnvironment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.connectors.zettle.LIBRARY_PAGE_SIZE", 1)
    run_import(library)
    pages = [request for request in library.zettle.requests if request.path == LIBRARY_PATH]
    assert len(pages) == 2
    assert sorted(library.bemakers.products) == ["GLASS", "IPA"]


# -- update --------------------------------------------------------------------------------------


def test_zettle_price_change_updates_variant(imported: DemoEnvironment) -> None:
    imported.zettle.update_variant("IPA-33CL", price=dkk(4800))
    before = writes(imported)
    run_import(imported)
    new_writes = imported.bemakers.product_writes[before:]
    assert [(write.method, write.path) for write in new_writes] == [
        ("PATCH", "/v1/products/IPA/variants/IPA-33CL")
    ]


def test_zettle_price_change_reaches_bemakers(imported: DemoEnvironment) -> None:
    imported.zettle.update_variant("IPA-33CL", price=dkk(4800))
    run_import(imported)
    assert variant(imported, "IPA", "IPA-33CL")["price_incl_vat"] == Decimal("48.00")


def test_zettle_excluded_field_not_sent(library: DemoEnvironment) -> None:
    library.configure_products(update_fields=["price"])
    run_import(library)
    library.zettle.update_variant("IPA-33CL", name="Can", price=dkk(4800))
    before = writes(library)
    run_import(library)
    (patch,) = library.bemakers.product_writes[before:]
    assert "name" not in patch.body


def test_zettle_excluded_field_keeps_bemakers_value(library: DemoEnvironment) -> None:
    library.configure_products(update_fields=["price"])
    run_import(library)
    library.zettle.update_variant("IPA-33CL", name="Can", price=dkk(4800))
    run_import(library)
    assert variant(library, "IPA", "IPA-33CL")["name"] == "Hoppy IPA 33 cl"


def test_zettle_unchanged_library_sends_no_writes(imported: DemoEnvironment) -> None:
    before = writes(imported)
    result = run_import(imported)
    assert writes(imported) - before == 0
    assert result["writes"] == 0


# -- deactivation --------------------------------------------------------------------------------


def test_zettle_deleted_product_is_deactivated(imported: DemoEnvironment) -> None:
    imported.zettle.delete_product(imported.zettle.product_uuid("GLASS"))
    run_import(imported)
    assert imported.bemakers.products["GLASS"]["active"] is False


def test_zettle_deleted_product_is_not_deleted(imported: DemoEnvironment) -> None:
    imported.zettle.delete_product(imported.zettle.product_uuid("GLASS"))
    run_import(imported)
    assert "GLASS" in imported.bemakers.products


# -- bad input -----------------------------------------------------------------------------------


def test_zettle_duplicate_sku_is_skipped(library: DemoEnvironment) -> None:
    library.zettle.add_library_product("Pint glass", [{"sku": "GLASS", "price": dkk(5500)}])
    report = import_report()
    duplicates = sorted((item.sku, item.reason, item.field) for item in report.skipped)
    assert duplicates == [("GLASS", "duplicate SKU", "sku"), ("GLASS", "duplicate SKU", "sku")]
    assert sorted(library.bemakers.products) == ["IPA"]


def test_zettle_variant_without_price_is_skipped(library: DemoEnvironment) -> None:
    library.zettle.add_library_product("Gift card", [{"sku": "GIFT"}])
    report = import_report()
    skipped = [(item.sku, item.reason, item.field) for item in report.skipped]
    assert skipped == [("GIFT", "price is missing", "hub.price")]


def test_zettle_run_goes_on_after_skipped_variant(library: DemoEnvironment) -> None:
    library.zettle.add_library_product("Gift card", [{"sku": "GIFT"}])
    run_import(library)
    assert sorted(library.bemakers.products) == ["GLASS", "IPA"]


def test_zettle_sandbox_saw_only_valid_requests(imported: DemoEnvironment) -> None:
    assert imported.zettle.rejections == []


# -- webhooks ------------------------------------------------------------------------------------


def test_zettle_product_webhook_creates_product(library: DemoEnvironment) -> None:
    glass = library.zettle.product_uuid("GLASS")
    response = library.deliver_zettle_webhook("ProductCreated", {"uuid": glass})
    assert response["statusCode"] == 200
    assert response_json(response)["status"] == "imported"
    assert "GLASS" in library.bemakers.products


def test_zettle_product_webhook_deactivates_deleted(imported: DemoEnvironment) -> None:
    glass = imported.zettle.product_uuid("GLASS")
    imported.zettle.delete_product(glass)
    imported.deliver_zettle_webhook("ProductDeleted", {"uuid": glass})
    assert imported.bemakers.products["GLASS"]["active"] is False


def test_zettle_webhook_bad_signature_rejected(library: DemoEnvironment) -> None:
    response = library.deliver_zettle_webhook(
        "ProductCreated",
        {"uuid": library.zettle.product_uuid("GLASS")},
        signing_key="not-the-signing-key",
    )
    assert response["statusCode"] == 401


def test_zettle_webhook_bad_signature_imports_nothing(library: DemoEnvironment) -> None:
    library.deliver_zettle_webhook(
        "ProductCreated",
        {"uuid": library.zettle.product_uuid("GLASS")},
        signing_key="not-the-signing-key",
    )
    assert writes(library) == 0
    assert [request for request in library.zettle.requests if request.path == LIBRARY_PATH] == []


def test_product_webhook_ignored_for_other_source(environment: DemoEnvironment) -> None:
    response = environment.deliver_zettle_webhook("ProductUpdated", {"uuid": "x"})
    assert response_json(response)["status"] == "ignored"
    assert writes(environment) == 0


# -- settings ------------------------------------------------------------------------------------


def test_zettle_source_without_zettle_settings_fails(library: DemoEnvironment) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION).model_copy(update={"zettle": None})
    with pytest.raises(ConfigurationError, match="has no zettle settings"):
        product_source(connection)
