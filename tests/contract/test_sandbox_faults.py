"""Fault injection in the sandboxes: dropped connections, slow responses, stale reads, random faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer
from hubctl.sandboxes.bemakers import BemakersSandbox
from hubctl.sandboxes.economic import EconomicSandbox
from tests.contract.test_economic_sandbox import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, customer_body
from tests.samples import CONSUMER_DK, order_payload

TIMEOUT_SECONDS = 5


class CounterServer(LoopbackJsonServer):
    """Counts POSTs, so a test can tell whether a request took effect; no stale reads."""

    def __init__(self) -> None:
        super().__init__(slow_seconds=1.0)
        self.count = 0

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            self.count += 1
        return HttpResponse(200, {"count": self.count})


@pytest.fixture
def counter() -> Iterator[CounterServer]:
    with CounterServer() as server:
        yield server


@pytest.fixture
def economic() -> Iterator[EconomicSandbox]:
    with EconomicSandbox(APP_SECRET_TOKEN, AGREEMENT_GRANT_TOKEN, slow_seconds=1.0) as sandbox:
        yield sandbox


@pytest.fixture
def bemakers() -> Iterator[BemakersSandbox]:
    with BemakersSandbox("token") as sandbox:
        yield sandbox


def _economic_session() -> requests.Session:
    session = requests.Session()
    session.headers.update(
        {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": AGREEMENT_GRANT_TOKEN}
    )
    return session


# -- dropped connections -------------------------------------------------------------------------


def test_dropped_connection_raises_connection_error(counter: CounterServer) -> None:
    counter.inject_fault("POST", "/", "dropped")
    with pytest.raises(requests.ConnectionError):
        requests.post(counter.base_url + "/x", timeout=TIMEOUT_SECONDS)


def test_dropped_request_does_not_take_effect(counter: CounterServer) -> None:
    counter.inject_fault("POST", "/", "dropped")
    with pytest.raises(requests.ConnectionError):
        requests.post(counter.base_url + "/x", timeout=TIMEOUT_SECONDS)
    assert counter.count == 0


def test_accepted_then_dropped_takes_effect(counter: CounterServer) -> None:
    counter.inject_fault("POST", "/", "accepted_then_dropped")
    with pytest.raises(requests.ConnectionError):
        requests.post(counter.base_url + "/x", timeout=TIMEOUT_SECONDS)
    assert counter.count == 1


def test_dropped_request_is_recorded_with_status_zero(counter: CounterServer) -> None:
    counter.inject_fault("POST", "/", "dropped")
    with pytest.raises(requests.ConnectionError):
        requests.post(counter.base_url + "/x", timeout=TIMEOUT_SECONDS)
    assert [request.status for request in counter.requests] == [0]


def test_slow_response_arrives(counter: CounterServer) -> None:
    counter.inject_fault("POST", "/", "slow")
    response = requests.post(counter.base_url + "/x", timeout=TIMEOUT_SECONDS)
    assert response.json() == {"count": 1}


# -- stale reads ---------------------------------------------------------------------------------


def test_stale_read_needs_snapshot_support(counter: CounterServer) -> None:
    with pytest.raises(ValueError, match="cannot serve stale reads"):
        counter.inject_fault("GET", "/", "stale_read")


def test_economic_stale_read_misses_latest_customer(economic: EconomicSandbox) -> None:
    session = _economic_session()
    created = session.post(economic.base_url + "/customers", json=customer_body(), timeout=TIMEOUT_SECONDS)
    economic.inject_fault("GET", "/customers", "stale_read")
    stale = session.get(economic.base_url + "/customers", timeout=TIMEOUT_SECONDS).json()["collection"]
    fresh = session.get(economic.base_url + "/customers", timeout=TIMEOUT_SECONDS).json()["collection"]
    assert (created.status_code, len(stale), len(fresh)) == (201, 0, 1)


def test_economic_stale_read_keeps_state(economic: EconomicSandbox) -> None:
    session = _economic_session()
    session.post(economic.base_url + "/customers", json=customer_body(), timeout=TIMEOUT_SECONDS)
    economic.inject_fault("GET", "/customers", "stale_read")
    session.get(economic.base_url + "/customers", timeout=TIMEOUT_SECONDS)
    assert list(economic.customers) == [1]


def test_stale_read_fault_skips_writes(economic: EconomicSandbox) -> None:
    session = _economic_session()
    economic.inject_fault("*", "/customers", "stale_read")
    response = session.post(economic.base_url + "/customers", json=customer_body(), timeout=TIMEOUT_SECONDS)
    stale = session.get(economic.base_url + "/customers", timeout=TIMEOUT_SECONDS).json()["collection"]
    assert (response.status_code, stale) == (201, [])


def test_bemakers_stale_read_serves_earlier_order(bemakers: BemakersSandbox) -> None:
    first = order_payload(CONSUMER_DK)
    second = {**first, "status": "completed", "updated_at": "2026-12-03T00:00:00Z"}
    bemakers.put_order(first)
    bemakers.put_order(second)
    bemakers.inject_fault("GET", "/v1/orders", "stale_read")
    headers = {"Authorization": "Bearer token"}
    url = f"{bemakers.base_url}/v1/orders/{first['id']}"
    stale = requests.get(url, headers=headers, timeout=TIMEOUT_SECONDS).json()
    fresh = requests.get(url, headers=headers, timeout=TIMEOUT_SECONDS).json()
    assert (stale["status"], fresh["status"]) == (first["status"], "completed")


# -- random faults -------------------------------------------------------------------------------


def _statuses(server: CounterServer, seed: int) -> list[Any]:
    server.inject_random_faults(0.5, ("http_500", "http_503"), seed=seed)
    return [requests.get(server.base_url + "/x", timeout=TIMEOUT_SECONDS).status_code for _ in range(20)]


def test_random_faults_repeat_with_seed(counter: CounterServer) -> None:
    first = _statuses(counter, seed=7)
    second = _statuses(counter, seed=7)
    assert first == second


def test_random_faults_fire_at_about_rate(counter: CounterServer) -> None:
    statuses = _statuses(counter, seed=7)
    assert 0 < sum(status != 200 for status in statuses) < 20


def test_random_faults_are_counted(counter: CounterServer) -> None:
    statuses = _statuses(counter, seed=7)
    assert sum(counter.random_faults_injected.values()) == sum(status != 200 for status in statuses)


def test_clear_faults_stops_random_faults(counter: CounterServer) -> None:
    counter.inject_random_faults(1.0, ("http_500",), seed=1)
    counter.clear_faults()
    assert requests.get(counter.base_url + "/x", timeout=TIMEOUT_SECONDS).status_code == 200


def test_random_fault_rate_is_checked(counter: CounterServer) -> None:
    with pytest.raises(ValueError, match="rate"):
        counter.inject_random_faults(1.5, ("http_500",), seed=1)
