"""The webhook function through the HTTP API event: what is accepted, what is rejected, what is enqueued."""

from __future__ import annotations

import time

from hubctl.demo import DEMO_WEBHOOK_SECRET, DemoEnvironment
from tests.integration.helpers import delivery_for, queued_messages, response_json, sample_delivery
from tests.samples import CONSUMER_DK, delivery_document


def test_valid_delivery_is_accepted(environment: DemoEnvironment) -> None:
    response = environment.deliver(sample_delivery(CONSUMER_DK))
    assert response["statusCode"] == 202


def test_valid_delivery_is_enqueued_once(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    assert queued_messages(environment) == 1


def test_same_delivery_three_times_enqueues_one_message(environment: DemoEnvironment) -> None:
    for _ in range(3):
        environment.deliver(sample_delivery(CONSUMER_DK))
    assert queued_messages(environment) == 1


def test_repeated_delivery_is_answered_as_duplicate(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    response = environment.deliver(sample_delivery(CONSUMER_DK))
    assert (response["statusCode"], response_json(response)["status"]) == (200, "duplicate")


def test_missing_signature_is_401(environment: DemoEnvironment) -> None:
    response = environment.deliver(sample_delivery(CONSUMER_DK), sign=False)
    assert response["statusCode"] == 401


def test_missing_signature_enqueues_nothing(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK), sign=False)
    assert queued_messages(environment) == 0


def test_wrong_secret_is_401(environment: DemoEnvironment) -> None:
    delivery = sample_delivery(CONSUMER_DK).signed("not-the-secret")
    response = environment.deliver(delivery, sign=False)
    assert response["statusCode"] == 401


def test_body_changed_after_signing_is_401(environment: DemoEnvironment) -> None:
    signed = sample_delivery(CONSUMER_DK).signed(DEMO_WEBHOOK_SECRET)
    tampered = type(signed)(signed.name, signed.headers, signed.body.replace(b"Hoppy", b"Happy"))
    response = environment.deliver(tampered, sign=False)
    assert response["statusCode"] == 401


def test_timestamp_older_than_five_minutes_is_401(environment: DemoEnvironment) -> None:
    delivery = sample_delivery(CONSUMER_DK).signed(DEMO_WEBHOOK_SECRET, now=time.time() - 301)
    response = environment.deliver(delivery, sign=False)
    assert response["statusCode"] == 401


def test_old_timestamp_enqueues_nothing(environment: DemoEnvironment) -> None:
    delivery = sample_delivery(CONSUMER_DK).signed(DEMO_WEBHOOK_SECRET, now=time.time() - 301)
    environment.deliver(delivery, sign=False)
    assert queued_messages(environment) == 0


def test_second_secret_is_accepted_during_rotation(environment: DemoEnvironment) -> None:
    environment.hub.put_secret(
        "bemakers-hub/demo-brewery/bemakers",
        {"api_token": "sandbox-bemakers-token", "webhook_secrets": ["new-secret", DEMO_WEBHOOK_SECRET]},
    )
    delivery = sample_delivery(CONSUMER_DK).signed("new-secret")
    response = environment.deliver(delivery, sign=False)
    assert response["statusCode"] == 202


def test_unknown_connection_is_404(environment: DemoEnvironment) -> None:
    response = environment.deliver(sample_delivery(CONSUMER_DK), connection_id="no-such-shop")
    assert response["statusCode"] == 404


def test_unknown_connection_enqueues_nothing(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK), connection_id="no-such-shop")
    assert queued_messages(environment) == 0


def test_malformed_json_is_400(environment: DemoEnvironment) -> None:
    delivery = sample_delivery(CONSUMER_DK)
    broken = type(delivery)(delivery.name, delivery.headers, delivery.body[:-5])
    response = environment.deliver(broken)
    assert response["statusCode"] == 400


def test_malformed_json_enqueues_nothing(environment: DemoEnvironment) -> None:
    delivery = sample_delivery(CONSUMER_DK)
    environment.deliver(type(delivery)(delivery.name, delivery.headers, b"{not json"))
    assert queued_messages(environment) == 0


def test_invalid_order_is_400_with_field_paths(environment: DemoEnvironment) -> None:
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"]["lines"][1]["quantity"] = 0
    del body["data"]["customer"]["billing_address"]["country"]
    response = environment.deliver(delivery_for(body))
    assert response_json(response)["fields"] == [
        "data.customer.billing_address.country",
        "data.lines.1.quantity",
    ]


def test_invalid_order_enqueues_nothing(environment: DemoEnvironment) -> None:
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"]["currency"] = "kroner"
    response = environment.deliver(delivery_for(body))
    assert (response["statusCode"], queued_messages(environment)) == (400, 0)


def test_unknown_event_type_is_400(environment: DemoEnvironment) -> None:
    body = delivery_document(CONSUMER_DK)["body"]
    body["type"] = "order.exploded"
    response = environment.deliver(delivery_for(body))
    assert (response["statusCode"], response_json(response)["fields"]) == (400, ["type"])


def test_body_over_256_kb_is_413(environment: DemoEnvironment) -> None:
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"]["comment"] = "x" * 256_000
    response = environment.deliver(delivery_for(body))
    assert response["statusCode"] == 413


def test_body_over_256_kb_enqueues_nothing(environment: DemoEnvironment) -> None:
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"]["comment"] = "x" * 256_000
    environment.deliver(delivery_for(body))
    assert queued_messages(environment) == 0


def test_credit_note_delivery_is_enqueued(environment: DemoEnvironment) -> None:
    order = delivery_document(CONSUMER_DK)["body"]["data"]
    body = {
        "id": "dlv_cn1",
        "type": "credit_note.created",
        "created_at": "2026-12-03T10:00:00Z",
        "data": {
            "id": "cn_1",
            "number": "CN-1",
            "order_id": order["id"],
            "currency": "DKK",
            "lines": [
                {"sku": "IPA-33CL", "name": "Hoppy IPA 33 cl", "quantity": 1, "unit_price_excl_vat": 28,
                 "unit_price_incl_vat": 35, "vat_rate": 25, "restock": True}
            ],
            "totals": {"total_excl_vat": 28, "vat": 7, "total_incl_vat": 35},
            "created_at": "2026-12-03T10:00:00Z",
            "updated_at": "2026-12-03T10:00:00Z",
        },
    }  # fmt: skip
    response = environment.deliver(delivery_for(body, "dlv_cn1"))
    assert (response["statusCode"], queued_messages(environment, "CreditNotesQueue")) == (202, 1)
