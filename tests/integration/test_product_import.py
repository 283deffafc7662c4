"""The product import: e-conomic products become Bemakers products and variants, matched on SKU."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from hub.flows.product_import import import_connection
from hub.runtime import get_runtime
from hub.sources.base import SourceItem
from hubctl.__main__ import main
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from hubctl.local import utc_now


def economic_product(number: str, name: str, price: str, **extra: Any) -> dict[str, Any]:
    """Return a POST /products body in the demo's beverage group."""
    return {
        "productNumber": number,
        "name": name,
        "salesPrice": Decimal(price),
        "productGroup": {"productGroupNumber": 1},
        **extra,
    }


def variant(environment: DemoEnvironment, product_sku: str, sku: str) -> dict[str, Any]:
    product = environment.bemakers.products[product_sku]
    return next(item for item in product.get("variants", []) if item["sku"] == sku)


def change_product(environment: DemoEnvironment, number: str, **changes: Any) -> None:
    """Change a product in e-conomic, as the maker would."""
    environment.economic.replace_product(environment.economic.products[number] | changes)


def writes(environment: DemoEnvironment) -> int:
    return len(environment.bemakers.product_writes)


def sync_record(sku: str) -> Any:
    return get_runtime().product_sync.load(DEMO_CONNECTION)[sku]


@pytest.fixture
def catalogue(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo environment with the demo catalogue in e-conomic, imported once."""
    environment.seed_economic_products()
    environment.import_products()
    return environment


# -- create --------------------------------------------------------------------------------------


def test_import_creates_every_product(catalogue: DemoEnvironment) -> None:
    assert sorted(catalogue.bemakers.products) == ["AQUAVIT", "IPA", "LAGER"]


def test_import_adds_vat_to_net_price(catalogue: DemoEnvironment) -> None:
    lager = variant(catalogue, "LAGER", "LAGER-33CL")
    assert (lager["price_excl_vat"], lager["price_incl_vat"]) == (Decimal(20), Decimal(25))


def test_import_rounds_gross_price_to_ore() -> None:
    from hub.mapping.products import _prices
    from hub.product_settings import ProductImportSettings

    prices = _prices(Decimal("79.99"), ProductImportSettings(source="economic"), prices_include_vat=False)
    assert prices["price_incl_vat"] == Decimal("99.99")


def test_import_maps_source_fields(catalogue: DemoEnvironment) -> None:
    lager = variant(catalogue, "LAGER", "LAGER-33CL")
    mapped = {name: lager.get(name) for name in ("ean", "cost_price", "vat_rate", "currency")}
    assert mapped == {
        "ean": "2000000000022",
        "cost_price": Decimal("7.25"),
        "vat_rate": Decimal(25),
        "currency": "DKK",
    }


def test_import_reads_drink_fields_from_description(catalogue: DemoEnvironment) -> None:
    lager = variant(catalogue, "LAGER", "LAGER-33CL")
    drink = {name: lager.get(name) for name in ("abv", "volume_litres", "packaging_type", "excise_category")}
    assert drink == {
        "abv": Decimal("4.6"),
        "volume_litres": Decimal("0.33"),
        "packaging_type": "bottle",
        "excise_category": "beer",
    }


def test_import_reads_deposit_class(catalogue: DemoEnvironment) -> None:
    assert variant(catalogue, "LAGER", "LAGER-50CL")["deposit_class"] == "B"


def test_import_reads_weight_and_package_volume(environment: DemoEnvironment) -> None:
    environment.configure_products(
        fields={"weight_kg": "description.weight", "package_volume_litres": "description.package"}
    )
    environment.economic.seed(
        products=[
            economic_product("CIDER-75CL", "Cider 75 cl", "80", description="Weight: 1.4\nPackage: 1,1")
        ]
    )
    environment.import_products()
    cider = variant(environment, "CIDER", "CIDER-75CL")
    assert (cider["weight_kg"], cider["package_volume_litres"]) == (Decimal("1.4"), Decimal("1.1"))


# -- variants ------------------------------------------------------------------------------------


def test_variants_grouped_under_product(catalogue: DemoEnvironment) -> None:
    skus = [item["sku"] for item in catalogue.bemakers.products["LAGER"]["variants"]]
    assert skus == ["LAGER-33CL", "LAGER-50CL"]


def test_grouped_product_named_after_shared_words(catalogue: DemoEnvironment) -> None:
    assert catalogue.bemakers.products["LAGER"]["name"] == "Pale Lager"


def test_record_with_prefix_sku_names_the_product(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[
            economic_product("PORTER", "Baltic Porter", "30"),
            economic_product("PORTER-33CL", "Porter small", "30"),
            economic_product("PORTER-75CL", "Porter large", "60"),
        ]
    )
    environment.import_products()
    porter = environment.bemakers.products["PORTER"]
    assert (porter["name"], len(porter["variants"])) == ("Baltic Porter", 2)


def test_new_variant_added_to_existing_product(catalogue: DemoEnvironment) -> None:
    catalogue.economic.seed(products=[economic_product("LAGER-4PACK", "Pale Lager 4-pack", "72")])
    before = writes(catalogue)
    catalogue.import_products()
    new_writes = catalogue.bemakers.product_writes[before:]
    assert [(write.method, write.path) for write in new_writes] == [("POST", "/v1/products/LAGER/variants")]


def test_grouping_none_makes_one_product_per_record(environment: DemoEnvironment) -> None:
    environment.configure_products(grouping={"rule": "none"})
    environment.seed_economic_products()
    environment.import_products()
    assert "LAGER-33CL" in environment.bemakers.products


# -- unchanged catalogue -------------------------------------------------------------------------


def test_unchanged_catalogue_sends_no_writes(catalogue: DemoEnvironment) -> None:
    before = writes(catalogue)
    result = catalogue.import_products()
    assert (writes(catalogue) - before, result["writes"]) == (0, 0)


def test_unchanged_catalogue_sends_no_requests(catalogue: DemoEnvironment) -> None:
    before = len(catalogue.bemakers.requests)
    catalogue.import_products()
    assert len(catalogue.bemakers.requests) == before


def test_unchanged_catalogue_counts_every_sku(catalogue: DemoEnvironment) -> None:
    assert catalogue.import_products()["unchanged"] == 7


# -- update --------------------------------------------------------------------------------------


def test_price_change_updates_one_variant(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-33CL", salesPrice=Decimal("22.00"))
    before = writes(catalogue)
    catalogue.import_products()
    new_writes = catalogue.bemakers.product_writes[before:]
    assert [(write.method, write.path) for write in new_writes] == [
        ("PATCH", "/v1/products/LAGER/variants/LAGER-33CL")
    ]


def test_price_change_reaches_bemakers(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-33CL", salesPrice=Decimal("22.00"))
    catalogue.import_products()
    assert variant(catalogue, "LAGER", "LAGER-33CL")["price_incl_vat"] == Decimal("27.5")


def test_update_sends_updatable_fields(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-33CL", salesPrice=Decimal("22.00"))
    before = writes(catalogue)
    catalogue.import_products()
    (patch,) = catalogue.bemakers.product_writes[before:]
    assert patch.body["price_excl_vat"] == Decimal(22)


def test_cleared_barcode_is_cleared_in_bemakers(catalogue: DemoEnvironment) -> None:
    product = dict(catalogue.economic.products["LAGER-33CL"])
    del product["barCode"]
    catalogue.economic.replace_product(product)
    catalogue.import_products()
    assert "ean" not in variant(catalogue, "LAGER", "LAGER-33CL")


def test_product_name_change_updates_standalone_product(environment: DemoEnvironment) -> None:
    environment.configure_products(grouping={"rule": "none"})
    environment.seed_economic_products()
    environment.import_products()
    change_product(environment, "AQUAVIT-70CL", name="Dill Aquavit 70 cl")
    environment.import_products()
    assert environment.bemakers.products["AQUAVIT-70CL"]["name"] == "Dill Aquavit 70 cl"


def test_update_existing_off_sends_nothing(catalogue: DemoEnvironment) -> None:
    catalogue.configure_products(update_existing=False)
    change_product(catalogue, "LAGER-33CL", salesPrice=Decimal("22.00"))
    before = writes(catalogue)
    catalogue.import_products()
    assert writes(catalogue) - before == 0


# -- a field excluded from updates ---------------------------------------------------------------


def test_excluded_field_not_sent_in_update(catalogue: DemoEnvironment) -> None:
    catalogue.configure_products(update_fields=["price", "ean"])
    catalogue.import_products()  # the narrower field list changes every SKU's hash once
    change_product(catalogue, "LAGER-33CL", name="Renamed Lager 33 cl", salesPrice=Decimal("22.00"))
    before = writes(catalogue)
    catalogue.import_products()
    (patch,) = catalogue.bemakers.product_writes[before:]
    assert "name" not in patch.body


def test_excluded_field_keeps_bemakers_value(catalogue: DemoEnvironment) -> None:
    catalogue.configure_products(update_fields=["price", "ean"])
    change_product(catalogue, "LAGER-33CL", name="Renamed Lager 33 cl", salesPrice=Decimal("22.00"))
    catalogue.import_products()
    updated = variant(catalogue, "LAGER", "LAGER-33CL")
    assert (updated["name"], updated["price_excl_vat"]) == ("Pale Lager 33 cl", Decimal(22))


def test_change_to_excluded_field_alone_sends_nothing(catalogue: DemoEnvironment) -> None:
    catalogue.configure_products(update_fields=["price", "ean"])
    catalogue.import_products()  # the narrower field list changes every SKU's hash once
    change_product(catalogue, "LAGER-33CL", name="Renamed Lager 33 cl")
    before = writes(catalogue)
    catalogue.import_products()
    assert writes(catalogue) - before == 0


# -- deactivation --------------------------------------------------------------------------------


def test_barred_variant_is_deactivated(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-50CL", barred=True)
    catalogue.import_products()
    assert variant(catalogue, "LAGER", "LAGER-50CL")["active"] is False


def test_deleted_product_is_deactivated_not_deleted(catalogue: DemoEnvironment) -> None:
    catalogue.economic.delete_product("AQUAVIT-70CL")
    catalogue.import_products()
    aquavit = catalogue.bemakers.products["AQUAVIT"]
    assert (aquavit["active"], aquavit["variants"][0]["active"]) == (False, False)


def test_deleted_variant_leaves_its_siblings(catalogue: DemoEnvironment) -> None:
    catalogue.economic.delete_product("LAGER-50CL")
    catalogue.import_products()
    lager = catalogue.bemakers.products["LAGER"]
    states = {item["sku"]: item["active"] for item in lager["variants"]}
    assert (lager["active"], states) == (True, {"LAGER-33CL": True, "LAGER-50CL": False})


def test_deactivation_happens_once(catalogue: DemoEnvironment) -> None:
    catalogue.economic.delete_product("AQUAVIT-70CL")
    catalogue.import_products()
    before = writes(catalogue)
    catalogue.import_products()
    assert writes(catalogue) - before == 0


def test_unbarred_variant_is_reactivated(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-50CL", barred=True)
    catalogue.import_products()
    change_product(catalogue, "LAGER-50CL", barred=False)
    catalogue.import_products()
    assert variant(catalogue, "LAGER", "LAGER-50CL")["active"] is True


def test_deactivation_off_leaves_removed_products(catalogue: DemoEnvironment) -> None:
    catalogue.configure_products(deactivate_removed=False)
    change_product(catalogue, "LAGER-50CL", barred=True)
    catalogue.economic.delete_product("AQUAVIT-70CL")
    before = writes(catalogue)
    catalogue.import_products()
    assert writes(catalogue) - before == 0


def test_barred_product_is_never_created(environment: DemoEnvironment) -> None:
    environment.economic.seed(products=[economic_product("MEAD-50CL", "Mead 50 cl", "70", barred=True)])
    result = environment.import_products()
    assert (environment.bemakers.products, result["writes"]) == ({}, 0)


# -- SKUs: missing, duplicate, excluded ----------------------------------------------------------


@pytest.fixture
def barcode_skus(environment: DemoEnvironment) -> DemoEnvironment:
    """A connection whose SKUs are e-conomic's barcodes, with one missing and one used twice."""
    environment.configure_products(fields={"sku": "barCode", "ean": ""}, grouping={"rule": "none"})
    environment.economic.seed(
        products=[
            economic_product("1", "Brown Ale", "25", barCode="ALE-33CL"),
            economic_product("2", "Brown Ale again", "25", barCode="ALE-33CL"),
            economic_product("3", "Wheat Beer", "24"),
            economic_product("4", "Red Ale", "26", barCode="RED-33CL"),
        ]
    )
    return environment


def test_duplicate_sku_is_skipped(barcode_skus: DemoEnvironment) -> None:
    barcode_skus.import_products()
    assert sorted(barcode_skus.bemakers.products) == ["RED-33CL"]


def test_duplicate_sku_is_reported(barcode_skus: DemoEnvironment) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    report = import_connection(get_runtime(), connection, now=utc_now())
    duplicates = sorted(
        (item.source_id, item.sku, item.field) for item in report.skipped if item.reason == "duplicate SKU"
    )
    assert duplicates == [("1", "ALE-33CL", "barCode"), ("2", "ALE-33CL", "barCode")]


def test_record_without_sku_is_reported(barcode_skus: DemoEnvironment) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    report = import_connection(get_runtime(), connection, now=utc_now())
    missing = [(item.source_id, item.reason, item.field) for item in report.skipped if item.sku is None]
    assert missing == [("3", "SKU is missing", "barCode")]


def test_skipped_counts_in_function_result(barcode_skus: DemoEnvironment) -> None:
    assert barcode_skus.import_products()["skipped"] == 3


def test_excluded_skus_are_not_imported(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[economic_product("PANT-A", "Deposit A", "1"), economic_product("SHIPPING", "Freight", "50")]
    )
    result = environment.import_products()
    assert (environment.bemakers.products, result["skipped"]) == ({}, 0)


def test_other_product_groups_are_not_imported(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[
            economic_product("GIFT-CARD", "Gift card", "100") | {"productGroup": {"productGroupNumber": 2}}
        ]
    )
    environment.import_products()
    assert environment.bemakers.products == {}


# -- bad input -----------------------------------------------------------------------------------


def test_record_missing_price_is_skipped_with_field(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[
            {"productNumber": "KVASS-50CL", "name": "Kvass 50 cl", "productGroup": {"productGroupNumber": 1}},
            economic_product("MEAD-50CL", "Mead 50 cl", "70"),
        ]
    )
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    report = import_connection(get_runtime(), connection, now=utc_now())
    skipped = [(item.sku, item.reason, item.field) for item in report.skipped]
    assert skipped == [("KVASS-50CL", "price is missing", "salesPrice")]


def test_run_goes_on_after_skipped_record(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[
            {"productNumber": "KVASS-50CL", "name": "Kvass 50 cl", "productGroup": {"productGroupNumber": 1}},
            economic_product("MEAD-50CL", "Mead 50 cl", "70"),
        ]
    )
    environment.import_products()
    assert list(environment.bemakers.products) == ["MEAD"]


def test_invalid_drink_value_is_skipped_with_field(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[economic_product("MEAD-50CL", "Mead 50 cl", "70", description="ABV: strong")]
    )
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    report = import_connection(get_runtime(), connection, now=utc_now())
    assert [(item.sku, item.field) for item in report.skipped] == [("MEAD-50CL", "description.abv")]


@pytest.fixture
def shared_barcode(environment: DemoEnvironment) -> DemoEnvironment:
    """Two products with one barcode: Bemakers rejects the second one."""
    environment.economic.seed(
        products=[
            economic_product("ALE-33CL", "Brown Ale 33 cl", "25", barCode="2000000000107"),
            economic_product("BOCK-33CL", "Bock 33 cl", "27", barCode="2000000000107"),
            economic_product("MEAD-50CL", "Mead 50 cl", "70"),
        ]
    )
    environment.import_products()
    return environment


def test_rejected_sku_does_not_block_others(shared_barcode: DemoEnvironment) -> None:
    assert sorted(shared_barcode.bemakers.products) == ["ALE", "MEAD"]


def test_rejection_is_recorded_per_sku(shared_barcode: DemoEnvironment) -> None:
    error = sync_record("BOCK-33CL").error
    assert (error.status, error.field) == (422, "ean")


def test_rejection_message_names_the_cause(shared_barcode: DemoEnvironment) -> None:
    assert "already used by SKU ALE-33CL" in sync_record("BOCK-33CL").error.message


def test_rejected_sku_is_retried_next_run(shared_barcode: DemoEnvironment) -> None:
    before = writes(shared_barcode)
    result = shared_barcode.import_products()
    assert (writes(shared_barcode) - before, result["rejected"]) == (1, 2)


def test_rejected_sku_created_after_fix(shared_barcode: DemoEnvironment) -> None:
    change_product(shared_barcode, "BOCK-33CL", barCode="2000000000114")
    shared_barcode.import_products()
    assert sync_record("BOCK-33CL").error is None
    assert "BOCK" in shared_barcode.bemakers.products


# -- switches and existing products --------------------------------------------------------------


def test_create_missing_off_creates_nothing(environment: DemoEnvironment) -> None:
    environment.configure_products(create_missing=False)
    environment.seed_economic_products()
    result = environment.import_products()
    assert (environment.bemakers.products, result["writes"]) == ({}, 0)


def test_product_made_by_hand_is_updated_not_created(environment: DemoEnvironment) -> None:
    environment.bemakers.put_product(
        {
            "sku": "AQUAVIT",
            "name": "Aquavit",
            "variants": [
                {
                    "sku": "AQUAVIT-70CL",
                    "name": "Aquavit 70 cl",
                    "price_excl_vat": 200,
                    "price_incl_vat": 250,
                    "vat_rate": 25,
                    "currency": "DKK",
                }
            ],
        }
    )
    environment.seed_economic_products()
    environment.import_products()
    methods = sorted(
        (write.method, write.path) for write in environment.bemakers.product_writes if "AQUAVIT" in write.path
    )
    assert methods == [
        ("PATCH", "/v1/products/AQUAVIT"),
        ("PATCH", "/v1/products/AQUAVIT/variants/AQUAVIT-70CL"),
    ]


def test_lost_sync_state_adopts_existing_products(catalogue: DemoEnvironment) -> None:
    table = get_runtime().product_sync
    for sku in list(table.load(DEMO_CONNECTION)):
        from hub.aws import dynamodb_table

        dynamodb_table(get_runtime().settings.product_sync_table).delete_item(
            Key={"connection_id": DEMO_CONNECTION, "sku": sku}
        )
    before = writes(catalogue)
    catalogue.import_products()
    posts = [write for write in catalogue.bemakers.product_writes[before:] if write.method == "POST"]
    assert posts == []


def test_bemakers_down_fails_the_run(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-33CL", salesPrice=Decimal("22.00"))
    catalogue.bemakers.inject_fault("PATCH", "/v1/products", "http_503", times=10)
    with pytest.raises(Exception) as raised:  # the function fails so that its Errors alarm fires
        catalogue.import_products()
    assert type(raised.value).__name__ == "ImportFailed"


def test_run_after_outage_sends_the_change(catalogue: DemoEnvironment) -> None:
    change_product(catalogue, "LAGER-33CL", salesPrice=Decimal("22.00"))
    # The client sends a request at most 4 times, so the outage lasts exactly one run.
    catalogue.bemakers.inject_fault("PATCH", "/v1/products", "http_503", times=4)
    with pytest.raises(Exception):  # noqa: B017 - the first run fails, as the test above shows
        catalogue.import_products()
    catalogue.import_products()
    assert variant(catalogue, "LAGER", "LAGER-33CL")["price_excl_vat"] == Decimal(22)


def test_deadline_stops_run_between_products(environment: DemoEnvironment) -> None:
    environment.seed_economic_products()
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    remaining = iter([60.0, 5.0])
    first = import_connection(
        get_runtime(), connection, now=utc_now(), time_left=lambda: next(remaining, 5.0)
    )
    second = import_connection(get_runtime(), connection, now=utc_now())
    assert first.complete is False
    assert len(environment.bemakers.products) == 3
    assert second.unchanged == 2


# -- resync from a terminal ----------------------------------------------------------------------


def test_hubctl_resync_writes_every_product(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["products", "resync", DEMO_CONNECTION])
    output = capsys.readouterr()
    assert status == 0
    assert "SKUs created 7" in output.out


def test_hubctl_resync_shows_progress(capsys: pytest.CaptureFixture[str]) -> None:
    main(["products", "resync", DEMO_CONNECTION])
    assert "3/3 products" in capsys.readouterr().err


def test_hubctl_resync_unknown_connection_fails(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["products", "resync", "no-such-brewery"])
    assert status == 1
    assert "not configured" in capsys.readouterr().err


def test_resync_rewrites_unchanged_products(catalogue: DemoEnvironment) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    before = writes(catalogue)
    report = import_connection(get_runtime(), connection, now=utc_now(), force=True)
    assert (report.updated, writes(catalogue) - before) == (7, 7)


def test_unmapped_field_is_not_cleared(environment: DemoEnvironment) -> None:
    environment.bemakers.put_product(
        {
            "sku": "MEAD-50CL",
            "name": "Mead",
            "abv": 11,
            "price_excl_vat": 60,
            "price_incl_vat": 75,
            "vat_rate": 25,
            "currency": "DKK",
        }
    )
    environment.configure_products(fields={"abv": ""}, grouping={"rule": "none"})
    environment.economic.seed(products=[economic_product("MEAD-50CL", "Mead 50 cl", "70")])
    environment.import_products()
    (patch,) = environment.bemakers.product_writes
    assert "abv" not in patch.body
    assert environment.bemakers.products["MEAD-50CL"]["abv"] == Decimal(11)


# -- sources with a change feed ------------------------------------------------------------------


class ChangeFeedSource:
    """A stand-in for a source with a change feed, whose catalogue and changes the test sets."""

    name = "change-feed"
    prices_include_vat = True
    default_fields: ClassVar[dict[str, str]] = {"sku": "sku", "name": "name", "price": "price"}
    supports_changes = True

    def __init__(self) -> None:
        self.catalogue = [
            SourceItem("1", {"sku": "CIDER-33CL", "name": "Cider 33 cl", "price": "25.00"}),
            SourceItem("2", {"sku": "PERRY-33CL", "name": "Perry 33 cl", "price": "30.00"}),
        ]
        self.changes: list[SourceItem] = []
        self.reads: list[datetime | None] = []

    def read_catalogue(self) -> Iterator[SourceItem]:
        self.reads.append(None)
        yield from self.catalogue

    def read_changes(self, since: datetime) -> Iterator[SourceItem]:
        self.reads.append(since)
        yield from self.changes


@pytest.fixture
def change_feed(environment: DemoEnvironment, monkeypatch: pytest.MonkeyPatch) -> ChangeFeedSource:
    source = ChangeFeedSource()
    monkeypatch.setattr("hub.flows.product_import.product_source", lambda connection: source)
    return source


def test_change_feed_first_run_reads_catalogue(change_feed: ChangeFeedSource) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, tzinfo=UTC))
    assert change_feed.reads == [None]


def test_change_feed_next_run_reads_since_cursor(change_feed: ChangeFeedSource) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, tzinfo=UTC))
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, 30, tzinfo=UTC))
    assert change_feed.reads == [None, datetime(2026, 12, 4, 11, 50, tzinfo=UTC)]


def test_change_feed_takes_vat_out_of_gross_price(
    environment: DemoEnvironment, change_feed: ChangeFeedSource
) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, tzinfo=UTC))
    assert variant(environment, "CIDER", "CIDER-33CL")["price_excl_vat"] == Decimal(20)


def test_change_feed_never_deactivates_unread_skus(
    environment: DemoEnvironment, change_feed: ChangeFeedSource
) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, tzinfo=UTC))
    change_feed.changes = [SourceItem("1", {"sku": "CIDER-33CL", "name": "Cider 33 cl", "price": "27.50"})]
    report = import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, 30, tzinfo=UTC))
    assert (report.full_read, report.updated, report.deactivated) == (False, 1, 0)


def test_resync_of_change_feed_reads_catalogue(change_feed: ChangeFeedSource) -> None:
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, tzinfo=UTC))
    import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, 12, 30, tzinfo=UTC), force=True)
    assert change_feed.reads == [None, None]


def test_change_feed_reads_in_full_after_interval(
    environment: DemoEnvironment, change_feed: ChangeFeedSource
) -> None:
    environment.configure_products(full_read_hours=6)
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    for hour in (12, 13, 18):
        import_connection(get_runtime(), connection, now=datetime(2026, 12, 4, hour, tzinfo=UTC))
    assert change_feed.reads == [None, datetime(2026, 12, 4, 11, 50, tzinfo=UTC), None]
