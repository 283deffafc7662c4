"""Zettle POS stock: sales and refunds move stock exactly once, levels flow back, webhooks are signed."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from hub.ledger import TransferState
from hub.runtime import get_runtime
from hubctl.demo import DEMO_CONNECTION, DEMO_TAPROOM, DEMO_ZETTLE_API_KEY, DemoEnvironment
from hubctl.local import INVENTORY_FUNCTION
from tests.integration.helpers import delivery_for, ledger_state, response_json
from tests.samples import CONSUMER_DK, order_payload

INVENTORY_PATH = "/organizations/self/inventory"


def _taproom_order(updated_at: str = "2026-12-01T10:00:00Z", **changes: Any) -> dict[str, Any]:
    """Return an order fulfilled from the taproom: 6 pale ale, a deposit line and an unknown SKU."""
    payload = order_payload(CONSUMER_DK)
    payload["fulfilled_from"] = DEMO_TAPROOM
    payload["lines"][0]["sku"] = "TAP-PALE-33CL"
    unknown = copy.deepcopy(payload["lines"][0])
    unknown.update({"id": "ol_3", "sku": "TAP-MYSTERY", "quantity": 1})
    payload["lines"].append(unknown)
    payload["updated_at"] = updated_at
    payload.update(changes)
    return payload


def _order_event(payload: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"id": event_id, "type": "order.updated", "created_at": payload["updated_at"], "data": payload}


def _credit_note_event(event_id: str, quantity: int = 2, restock: bool = True) -> dict[str, Any]:
    data = {
        "id": "cn_tap_1",
        "number": "CN-TAP-1",
        "order_id": "ord_1001",
        "currency": "DKK",
        "lines": [
            {
                "order_line_id": "ol_1",
                "sku": "TAP-PALE-33CL",
                "name": "Taproom Pale Ale 33 cl",
                "quantity": quantity,
                "unit_price_excl_vat": 28,
                "unit_price_incl_vat": 35,
                "vat_rate": 25,
                "restock": restock,
            }
        ],
        "totals": {"total_excl_vat": 28 * quantity, "vat": 7 * quantity, "total_incl_vat": 35 * quantity},
        "created_at": "2026-12-02T10:00:00Z",
        "updated_at": "2026-12-02T10:00:00Z",
    }
    return {"id": event_id, "type": "credit_note.created", "created_at": "2026-12-02T10:00:01Z", "data": data}


def _send(environment: DemoEnvironment, body: dict[str, Any]) -> None:
    environment.deliver(delivery_for(body, body["id"]))
    environment.hub.drain_queue("OrdersQueue")
    environment.hub.drain_queue("CreditNotesQueue")


def _movement_requests(environment: DemoEnvironment) -> list[Any]:
    return [request for request in environment.zettle.requests if request.path == INVENTORY_PATH]


@pytest.fixture
def taproom(environment: DemoEnvironment) -> DemoEnvironment:
    environment.zettle.add_product("Taproom Pale Ale 33 cl", {"TAP-PALE-33CL": 48})
    environment.zettle.add_product("Taproom glass", {"TAP-GLASS": None})
    return environment


@pytest.fixture
def sold(taproom: DemoEnvironment) -> DemoEnvironment:
    _send(taproom, _order_event(_taproom_order(), "evt_sale"))
    return taproom


# -- sales out ------------------------------------------------------------------------------------


def test_sale_lowers_zettle_store_balance(sold: DemoEnvironment) -> None:
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(42)


def test_sale_moves_store_to_sold(sold: DemoEnvironment) -> None:
    (movement,) = sold.zettle.movements.values()
    change = movement["changes"][0]
    locations = sold.zettle.locations
    assert (change["fromLocationUuid"], change["toLocationUuid"], change["change"]) == (
        locations["STORE"],
        locations["SOLD"],
        6,
    )


def test_sale_recorded_per_line(sold: DemoEnvironment) -> None:
    documents = ledger_state("ord_1001", "zettle").documents
    assert documents["line.ol_1"] == "sold 6 x TAP-PALE-33CL"


def test_unknown_sku_recorded_as_skipped_with_sku(sold: DemoEnvironment) -> None:
    record = ledger_state("ord_1001", "zettle")
    assert record.state is TransferState.TRANSFERRED
    assert "TAP-MYSTERY" in record.documents["line.ol_3"]
    assert record.documents["line.ol_3"].startswith("skipped:")


def test_deposit_line_is_not_moved(sold: DemoEnvironment) -> None:
    assert "line.ol_2" not in ledger_state("ord_1001", "zettle").documents


def test_untracked_product_recorded_as_skipped(taproom: DemoEnvironment) -> None:
    payload = _taproom_order()
    payload["lines"][0]["sku"] = "TAP-GLASS"
    _send(taproom, _order_event(payload, "evt_glass"))
    documents = ledger_state("ord_1001", "zettle").documents
    assert documents["line.ol_1"] == "skipped: SKU TAP-GLASS is not tracked in Zettle inventory"
    assert _movement_requests(taproom) == []


def test_duplicate_delivery_moves_stock_once(sold: DemoEnvironment) -> None:
    _send(sold, _order_event(_taproom_order(), "evt_sale_again"))
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(42)
    assert len(_movement_requests(sold)) == 1


def test_later_version_moves_stock_once(sold: DemoEnvironment) -> None:
    _send(sold, _order_event(_taproom_order("2026-12-01T12:00:00Z", status="completed"), "evt_done"))
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(42)
    assert len(_movement_requests(sold)) == 1


def test_response_lost_after_move_moves_once(taproom: DemoEnvironment) -> None:
    # Zettle applies the movement but the response is lost, so the retry sends the same externalUuid.
    taproom.zettle.inject_fault("PUT", INVENTORY_PATH, "accepted_then_500", times=1)
    _send(taproom, _order_event(_taproom_order(), "evt_sale"))
    assert taproom.zettle.balance("TAP-PALE-33CL") == Decimal(42)
    assert len(_movement_requests(taproom)) == 2
    assert ledger_state("ord_1001", "zettle").state is TransferState.TRANSFERRED


def test_order_from_other_location_skipped(taproom: DemoEnvironment) -> None:
    _send(taproom, _order_event(_taproom_order(fulfilled_from="main-warehouse"), "evt_other"))
    assert ledger_state("ord_1001", "zettle").state is TransferState.SKIPPED
    assert taproom.zettle.balance("TAP-PALE-33CL") == Decimal(48)


def test_cancellation_returns_stock(sold: DemoEnvironment) -> None:
    _send(sold, _order_event(_taproom_order("2026-12-01T12:00:00Z", status="cancelled"), "evt_cancel"))
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(48)
    assert ledger_state("ord_1001", "zettle").state is TransferState.CANCELLED


def test_access_token_is_reused(sold: DemoEnvironment) -> None:
    _send(sold, _order_event(_taproom_order("2026-12-01T12:00:00Z", status="cancelled"), "evt_cancel"))
    assert sold.zettle.tokens_issued == 1


def test_expired_token_is_fetched_again(sold: DemoEnvironment) -> None:
    sold.zettle.expire_tokens()
    _send(sold, _order_event(_taproom_order("2026-12-01T12:00:00Z", status="cancelled"), "evt_cancel"))
    assert (sold.zettle.tokens_issued, sold.zettle.balance("TAP-PALE-33CL")) == (2, Decimal(48))


# -- revoked API key ------------------------------------------------------------------------------


def test_revoked_api_key_keeps_order_for_retry(taproom: DemoEnvironment) -> None:
    taproom.zettle.revoke_api_key()
    taproom.deliver(delivery_for(_order_event(_taproom_order(), "evt_sale"), "evt_sale"))
    report = taproom.hub.drain_queue("OrdersQueue")
    record = ledger_state("ord_1001", "zettle")
    assert (record.state, record.error.status if record.error else None) == (TransferState.RETRYING, 400)
    assert report.dead_lettered == 1
    assert taproom.zettle.balance("TAP-PALE-33CL") == Decimal(48)


def test_revoked_api_key_emits_alarm_metric(
    taproom: DemoEnvironment, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    taproom.zettle.revoke_api_key()
    _send(taproom, _order_event(_taproom_order(), "evt_sale"))
    assert '"ZettleCredentialsRejected"' in capfd.readouterr().out


def test_order_moves_after_api_key_replaced(taproom: DemoEnvironment) -> None:
    taproom.zettle.revoke_api_key()
    _send(taproom, _order_event(_taproom_order(), "evt_sale"))
    taproom.zettle.restore_api_key(DEMO_ZETTLE_API_KEY)
    _send(taproom, _order_event(_taproom_order("2026-12-01T11:00:00Z"), "evt_sale_retry"))
    assert taproom.zettle.balance("TAP-PALE-33CL") == Decimal(42)


# -- refunds out ----------------------------------------------------------------------------------


def test_restocked_credit_note_returns_stock(sold: DemoEnvironment) -> None:
    _send(sold, _credit_note_event("evt_cn"))
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(44)


def test_duplicate_credit_note_returns_stock_once(sold: DemoEnvironment) -> None:
    _send(sold, _credit_note_event("evt_cn"))
    _send(sold, _credit_note_event("evt_cn_again"))
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(44)


def test_credit_note_recorded_per_line(sold: DemoEnvironment) -> None:
    _send(sold, _credit_note_event("evt_cn"))
    record = get_runtime().ledger.get(DEMO_CONNECTION, "credit_note", "cn_tap_1", "zettle")
    assert record is not None
    assert record.documents["line.ol_1"] == "returned 2 x TAP-PALE-33CL"


def test_credit_note_without_restock_moves_nothing(sold: DemoEnvironment) -> None:
    _send(sold, _credit_note_event("evt_cn", restock=False))
    assert sold.zettle.balance("TAP-PALE-33CL") == Decimal(42)


# -- inventory in and the stock-master rule -------------------------------------------------------


def test_zettle_level_reaches_bemakers(taproom: DemoEnvironment) -> None:
    taproom.hub.run_schedule(INVENTORY_FUNCTION)
    assert taproom.bemakers.stock_levels[("TAP-PALE-33CL", DEMO_TAPROOM)] == Decimal(48)


def test_zero_balance_is_pushed(taproom: DemoEnvironment) -> None:
    taproom.hub.run_schedule(INVENTORY_FUNCTION)
    taproom.zettle.set_balance("TAP-PALE-33CL", 0)
    taproom.hub.run_schedule(INVENTORY_FUNCTION)
    assert taproom.bemakers.stock_levels[("TAP-PALE-33CL", DEMO_TAPROOM)] == Decimal(0)


def test_untracked_product_not_pushed(taproom: DemoEnvironment) -> None:
    taproom.hub.run_schedule(INVENTORY_FUNCTION)
    assert not [key for key in taproom.bemakers.stock_levels if key[0] == "TAP-GLASS"]


def test_stock_master_keeps_other_source_out(taproom: DemoEnvironment) -> None:
    # Both systems count IPA-33CL, and the connection makes Ongoing its master.
    taproom.bemakers.add_products(["IPA-33CL"], [DEMO_TAPROOM])
    taproom.zettle.add_product("Hoppy IPA 33 cl", {"IPA-33CL": 12})
    taproom.hub.run_schedule(INVENTORY_FUNCTION)
    ipa = {
        location: level
        for (sku, location), level in taproom.bemakers.stock_levels.items()
        if sku == "IPA-33CL"
    }
    assert ipa == {"main-warehouse": Decimal(480)}


def test_stock_master_stops_ping_pong(taproom: DemoEnvironment) -> None:
    # Zettle's IPA count changes every run, but only Ongoing's level ever reaches Bemakers.
    taproom.bemakers.add_products(["IPA-33CL"], [DEMO_TAPROOM])
    taproom.zettle.add_product("Hoppy IPA 33 cl", {"IPA-33CL": 12})
    taproom.hub.run_schedule(INVENTORY_FUNCTION)
    taproom.zettle.set_balance("IPA-33CL", 7)
    second = taproom.hub.run_schedule(INVENTORY_FUNCTION)
    assert second["levels_pushed"] == 0


# -- webhooks -------------------------------------------------------------------------------------


def test_signed_webhook_imports_zettle_stock(taproom: DemoEnvironment) -> None:
    response = taproom.deliver_zettle_webhook("InventoryBalanceChanged", {"organizationUuid": "test"})
    assert (response["statusCode"], response_json(response)["levels_pushed"]) == (200, 1)
    assert taproom.bemakers.stock_levels[("TAP-PALE-33CL", DEMO_TAPROOM)] == Decimal(48)


def test_invalid_webhook_signature_gets_401(taproom: DemoEnvironment) -> None:
    response = taproom.deliver_zettle_webhook("InventoryBalanceChanged", {}, signing_key="not-the-key")
    assert response["statusCode"] == 401
    assert taproom.bemakers.stock_levels == {}


def test_tampered_webhook_payload_gets_401(taproom: DemoEnvironment) -> None:
    headers, body = taproom.zettle.webhook(
        "InventoryBalanceChanged", {"balance": 1}, "sandbox-zettle-signing-key"
    )
    tampered = body.replace(b'\\"balance\\": 1', b'\\"balance\\": 9')
    assert tampered != body
    response = taproom.hub.deliver_zettle_webhook(DEMO_CONNECTION, headers, tampered)
    assert response["statusCode"] == 401


def test_unsigned_webhook_gets_401(taproom: DemoEnvironment) -> None:
    headers, body = taproom.zettle.webhook("InventoryBalanceChanged", {}, "sandbox-zettle-signing-key")
    headers.pop("X-iZettle-Signature")
    assert taproom.hub.deliver_zettle_webhook(DEMO_CONNECTION, headers, body)["statusCode"] == 401


def test_webhook_for_unknown_connection_gets_404(taproom: DemoEnvironment) -> None:
    response = taproom.deliver_zettle_webhook("InventoryBalanceChanged", {}, connection_id="no-such-shop")
    assert response["statusCode"] == 404


def test_other_webhook_event_is_ignored(taproom: DemoEnvironment) -> None:
    response = taproom.deliver_zettle_webhook("ProductUpdated", {})
    assert (response["statusCode"], response_json(response)["status"]) == (200, "ignored")


def test_zettle_sandbox_rejected_nothing(sold: DemoEnvironment) -> None:
    _send(sold, _credit_note_event("evt_cn"))
    sold.hub.run_schedule(INVENTORY_FUNCTION)
    assert sold.zettle.rejections == []
