"""Stock levels into Bemakers: only changes, never negative, unmapped articles, resumed runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hub.connectors.ongoing import OngoingClient
from hub.flows.inventory_import import CHECKPOINT_NAME, SAFETY_MARGIN_SECONDS, import_connection_inventory
from hub.inventory.ongoing import OngoingStockSource
from hub.runtime import get_runtime
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from hubctl.local import INVENTORY_FUNCTION

LOCATION = "main-warehouse"


def _import(environment: DemoEnvironment) -> dict[str, Any]:
    result: dict[str, Any] = environment.hub.run_schedule(INVENTORY_FUNCTION)
    return result


def _levels(environment: DemoEnvironment) -> dict[str, Decimal]:
    return {sku: quantity for (sku, location), quantity in environment.bemakers.stock_levels.items()}


def _stock_requests(environment: DemoEnvironment) -> list[Any]:
    return [request.body for request in environment.bemakers.requests if request.path == "/v1/stock-levels"]


def test_first_run_pushes_every_mapped_level(environment: DemoEnvironment) -> None:
    _import(environment)
    assert _levels(environment) == {
        "IPA-33CL": Decimal(480),
        "STOUT-50CL": Decimal(120),
        "GIN-70CL": Decimal(36),
        "CIDER-75CL": Decimal(60),
    }


def test_unmapped_warehouse_is_left_out(environment: DemoEnvironment) -> None:
    _import(environment)
    assert {location for _, location in environment.bemakers.stock_levels} == {LOCATION}


def test_second_run_pushes_only_changes(environment: DemoEnvironment) -> None:
    _import(environment)
    environment.ongoing.set_stock("GIN-70CL", "DK1", 30)
    result = _import(environment)
    assert result["levels_pushed"] == 1
    assert _stock_requests(environment)[-1] == {
        "levels": [{"sku": "GIN-70CL", "location": LOCATION, "quantity": 30}]
    }


def test_unchanged_stock_sends_no_request(environment: DemoEnvironment) -> None:
    _import(environment)
    _import(environment)
    assert len(_stock_requests(environment)) == 1


def test_negative_level_is_never_sent(environment: DemoEnvironment) -> None:
    _import(environment)
    environment.ongoing.set_stock("CIDER-75CL", "DK1", -3)
    _import(environment)
    assert _levels(environment)["CIDER-75CL"] == Decimal(60)
    assert all(level["quantity"] >= 0 for body in _stock_requests(environment) for level in body["levels"])


def test_negative_level_is_counted_for_the_alarm(
    environment: DemoEnvironment, capfd: pytest.CaptureFixture[str]
) -> None:
    environment.ongoing.set_stock("CIDER-75CL", "DK1", -3)
    capfd.readouterr()
    _import(environment)
    assert '"NegativeStockLevels"' in capfd.readouterr().out


def test_article_without_sku_mapping_does_not_stop_run(
    environment: DemoEnvironment, capfd: pytest.CaptureFixture[str]
) -> None:
    environment.configure_ongoing(article_skus={"IPA-33CL": "IPA-33CL", "GIN-70CL": "GIN-70CL"})
    capfd.readouterr()
    _import(environment)
    assert set(_levels(environment)) == {"IPA-33CL", "GIN-70CL"}
    assert '"ArticlesWithoutSku"' in capfd.readouterr().out


def test_unknown_sku_is_rejected_and_retried(environment: DemoEnvironment) -> None:
    environment.ongoing.add_article("NEW-ALE", "New Ale 33 cl", {"DK1": 10})
    first = _import(environment)
    environment.bemakers.add_products(["NEW-ALE"], [LOCATION])
    second = _import(environment)
    assert (first["levels_pushed"], second["levels_pushed"]) == (4, 1)


def test_bemakers_down_fails_the_run(environment: DemoEnvironment) -> None:
    environment.bemakers.inject_fault("PUT", "/v1/stock-levels", "http_503", times=4)
    with pytest.raises(Exception, match="inventory import failed"):
        _import(environment)
    assert environment.bemakers.stock_levels == {}


# -- paging and resuming --------------------------------------------------------------------------


class _Budget:
    """Seconds left in an invocation that runs out after `pages` pages."""

    def __init__(self, pages: int) -> None:
        self.pages_left = pages

    def __call__(self) -> float:
        self.pages_left -= 1
        return 600.0 if self.pages_left >= 0 else SAFETY_MARGIN_SECONDS - 1


def _run(environment: DemoEnvironment, pages: int) -> Any:
    runtime = get_runtime()
    connection = runtime.connections.get(DEMO_CONNECTION)
    assert connection.ongoing is not None
    source = OngoingStockSource(
        connection.ongoing, OngoingClient.from_settings(connection.ongoing), page_size=2
    )
    return import_connection_inventory(runtime, connection, source, _Budget(pages))


def test_run_stops_at_checkpoint_near_timeout(environment: DemoEnvironment) -> None:
    report = _run(environment, pages=1)
    assert report.complete is False
    assert get_runtime().cursors.checkpoint(DEMO_CONNECTION, f"{CHECKPOINT_NAME}#ongoing") == "3"
    assert set(_levels(environment)) == {"IPA-33CL", "STOUT-50CL"}


def test_resumed_run_completes_the_catalogue(environment: DemoEnvironment) -> None:
    _run(environment, pages=1)
    report = _run(environment, pages=10)
    assert (report.resumed, report.complete) == (True, True)
    assert set(_levels(environment)) == {"IPA-33CL", "STOUT-50CL", "GIN-70CL", "CIDER-75CL"}
    assert get_runtime().cursors.checkpoint(DEMO_CONNECTION, f"{CHECKPOINT_NAME}#ongoing") is None


def test_resumed_run_sends_no_level_twice(environment: DemoEnvironment) -> None:
    _run(environment, pages=1)
    _run(environment, pages=10)
    skus = [level["sku"] for body in _stock_requests(environment) for level in body["levels"]]
    assert sorted(skus) == ["CIDER-75CL", "GIN-70CL", "IPA-33CL", "STOUT-50CL"]


def test_failed_page_keeps_checkpoint(environment: DemoEnvironment) -> None:
    _run(environment, pages=1)
    environment.ongoing.inject_fault("GET", "/demo-3pl/api/v1/articles", "http_503", times=4)
    with pytest.raises(Exception, match="HTTP 503"):
        _run(environment, pages=10)
    assert get_runtime().cursors.checkpoint(DEMO_CONNECTION, f"{CHECKPOINT_NAME}#ongoing") == "3"


def test_inventory_requests_pass_the_contract(environment: DemoEnvironment) -> None:
    _run(environment, pages=10)
    assert environment.ongoing.rejections == []
