"""Isolation between connections: webhook secrets, ledger items and delivery ids stay per connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.ledger import TransferState
from hub.runtime import get_runtime
from hubctl.demo import DEMO_BEMAKERS_TOKEN, DEMO_CONNECTION, DEMO_WEBHOOK_SECRET, DemoEnvironment
from tests.integration.helpers import ledger_state, queued_messages, sample_delivery
from tests.samples import CONSUMER_DK

OTHER = "other-brewery"
OTHER_SECRET = "other-brewery-webhook-secret"
HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def two_connections(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo connection plus `other-brewery`, with its own webhook secret and the same sandboxes."""
    environment.hub.put_secret(
        f"bemakers-hub/{OTHER}/bemakers",
        {"api_token": DEMO_BEMAKERS_TOKEN, "webhook_secrets": [OTHER_SECRET]},
    )
    store = get_runtime().connections
    demo = store.get(DEMO_CONNECTION)
    bemakers = demo.bemakers.model_copy(update={"secret_name": f"bemakers-hub/{OTHER}/bemakers"})
    store.put(demo.model_copy(update={"connection_id": OTHER, "bemakers": bemakers}))
    return environment


def _deliver(environment: DemoEnvironment, connection_id: str, secret: str) -> int:
    delivery = sample_delivery(CONSUMER_DK).signed(secret)
    response = environment.deliver(delivery, connection_id=connection_id, sign=False)
    return int(response["statusCode"])


# -- webhook secrets -------------------------------------------------------------------------------


def test_secret_of_a_cannot_post_to_b(two_connections: DemoEnvironment) -> None:
    assert _deliver(two_connections, OTHER, DEMO_WEBHOOK_SECRET) == 401


def test_secret_of_b_cannot_post_to_a(two_connections: DemoEnvironment) -> None:
    assert _deliver(two_connections, DEMO_CONNECTION, OTHER_SECRET) == 401


def test_rejected_cross_post_enqueues_nothing(two_connections: DemoEnvironment) -> None:
    _deliver(two_connections, OTHER, DEMO_WEBHOOK_SECRET)
    assert queued_messages(two_connections) == 0


def test_each_secret_posts_to_its_own_connection(two_connections: DemoEnvironment) -> None:
    statuses = (
        _deliver(two_connections, DEMO_CONNECTION, DEMO_WEBHOOK_SECRET),
        _deliver(two_connections, OTHER, OTHER_SECRET),
    )
    assert statuses == (202, 202)


def test_same_delivery_id_is_not_deduplicated_across_connections(two_connections: DemoEnvironment) -> None:
    _deliver(two_connections, DEMO_CONNECTION, DEMO_WEBHOOK_SECRET)
    _deliver(two_connections, OTHER, OTHER_SECRET)
    assert queued_messages(two_connections) == 2


@pytest.mark.parametrize(
    "connection_id", ["demo-brewery#order#ord_1001", "demo-brewery#delivery", "DEMO-BREWERY"]
)
def test_connection_id_with_key_characters_is_unknown(
    environment: DemoEnvironment, connection_id: str
) -> None:
    # Ledger keys start with the connection id, so an id that could reach into another key is refused.
    assert _deliver(environment, connection_id, DEMO_WEBHOOK_SECRET) == 404


# -- ledger items ------------------------------------------------------------------------------------


def test_ledger_state_is_not_readable_under_other_connection(two_connections: DemoEnvironment) -> None:
    two_connections.deliver(sample_delivery(CONSUMER_DK))
    two_connections.hub.drain_queue()
    ledger = two_connections.ledger
    assert (
        ledger.get(OTHER, "order", "ord_1001", "economic"),
        ledger.states(OTHER, "order", "ord_1001"),
    ) == (
        None,
        [],
    )


def test_transfer_log_is_not_readable_under_other_connection(two_connections: DemoEnvironment) -> None:
    two_connections.deliver(sample_delivery(CONSUMER_DK))
    two_connections.hub.drain_queue()
    ledger = two_connections.ledger
    assert (
        ledger.journey(OTHER, "order", "ord_1001"),
        list(ledger.connection_log(OTHER, since=HOUR_AGO)),
        ledger.open_failures(OTHER),
    ) == ([], [], [])


def test_write_under_other_connection_leaves_ledger_state_alone(two_connections: DemoEnvironment) -> None:
    two_connections.deliver(sample_delivery(CONSUMER_DK))
    two_connections.hub.drain_queue()
    before = ledger_state("ord_1001")
    lease = two_connections.ledger.claim(OTHER, "order", "ord_1001", "economic", version=1, lease_seconds=30)
    two_connections.ledger.finish(lease, state=TransferState.FAILED, applied=True)
    assert ledger_state("ord_1001") == before


def test_same_order_id_transfers_per_connection(two_connections: DemoEnvironment) -> None:
    _deliver(two_connections, DEMO_CONNECTION, DEMO_WEBHOOK_SECRET)
    _deliver(two_connections, OTHER, OTHER_SECRET)
    two_connections.hub.drain_queue()
    states = [
        two_connections.ledger.get(connection, "order", "ord_1001", "economic")
        for connection in (DEMO_CONNECTION, OTHER)
    ]
    assert [record.state if record else None for record in states] == [
        TransferState.TRANSFERRED,
        TransferState.TRANSFERRED,
    ]


def test_failure_notice_claim_is_per_connection(two_connections: DemoEnvironment) -> None:
    ledger = two_connections.ledger
    first = ledger.claim_notice(DEMO_CONNECTION, "order", "ord_1001", "economic", quiet_seconds=3600)
    other = ledger.claim_notice(OTHER, "order", "ord_1001", "economic", quiet_seconds=3600)
    assert (first, other) == (True, True)


# -- secret rotation ---------------------------------------------------------------------------------


def _rotate(environment: DemoEnvironment, secrets: list[str]) -> None:
    environment.hub.put_secret(
        f"bemakers-hub/{DEMO_CONNECTION}/bemakers",
        {"api_token": DEMO_BEMAKERS_TOKEN, "webhook_secrets": secrets},
    )
    from hub.secrets import clear_cache

    clear_cache()


def test_old_secret_still_works_during_rotation(environment: DemoEnvironment) -> None:
    _rotate(environment, ["new-secret", DEMO_WEBHOOK_SECRET])
    assert _deliver(environment, DEMO_CONNECTION, DEMO_WEBHOOK_SECRET) == 202


def test_old_secret_fails_after_rotation(environment: DemoEnvironment) -> None:
    _rotate(environment, ["new-secret"])
    assert _deliver(environment, DEMO_CONNECTION, DEMO_WEBHOOK_SECRET) == 401


def test_new_secret_works_after_rotation(environment: DemoEnvironment) -> None:
    _rotate(environment, ["new-secret"])
    assert _deliver(environment, DEMO_CONNECTION, "new-secret") == 202
