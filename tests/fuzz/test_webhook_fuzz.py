"""Fuzzing the webhook endpoint with hypothesis: 5,000 generated deliveries, valid and broken.

Each example is one request through the HTTP API event to the webhook function. A request
built to be valid must be accepted and queued exactly once. Every other request must get a
4xx and queue nothing, and no request may get a 5xx. `make faults` runs this module, and
`make test` does not.
"""

from __future__ import annotations

import copy
import functools
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.signatures import MAX_AGE_SECONDS, sign
from hubctl.demo import DEMO_CONNECTION, DEMO_WEBHOOK_SECRET, DemoEnvironment
from hubctl.local import REGION
from hubctl.sandboxes._http import dumps_json
from tests.samples import BUSINESS_DK, CONSUMER_DK, PAID, WAITING, delivery_document

EXAMPLES = 5000
MAX_BODY_BYTES = 256_000
SAMPLES = [delivery_document(name)["body"] for name in (CONSUMER_DK, BUSINESS_DK, WAITING, PAID)]
# Fields every order must have, with a path into the event body.
REQUIRED_PATHS = [
    ("type",),
    ("data",),
    ("data", "id"),
    ("data", "number"),
    ("data", "status"),
    ("data", "currency"),
    ("data", "lines"),
    ("data", "totals"),
    ("data", "updated_at"),
    ("data", "customer"),
    ("data", "customer", "type"),
    ("data", "customer", "name"),
    ("data", "lines", 0, "quantity"),
    ("data", "lines", 0, "sku"),
]


@dataclass(frozen=True)
class FuzzRequest:
    """One generated request and what the hub must do with it."""

    kind: str
    connection_id: str
    headers: dict[str, str]
    body: bytes
    valid: bool
    document_id: str | None = None
    resend: bool = False
    """Send the same request a second time, as an at-least-once sender may."""


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

# Text that pydantic keeps after stripping whitespace: any unicode, emoji and RTL included.
names = st.text(min_size=1, max_size=60).filter(lambda text: text.strip() != "")
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=40)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Values no lax pydantic coercion turns into a string, number, date or model.
wrong_types = st.one_of(st.none(), st.lists(json_scalars, max_size=3), st.just({"unexpected": True}))


def _headers(
    body: bytes, *, delivery_id: str, timestamp: float | None = None, secret: str = DEMO_WEBHOOK_SECRET
) -> dict[str, str]:
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return {
        "Content-Type": "application/json",
        "X-Bemakers-Delivery": delivery_id,
        "X-Bemakers-Timestamp": stamp,
        "X-Bemakers-Signature": f"v1={sign(secret, stamp, body)}",
    }


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event: a sample order with fresh ids, unicode names and unknown extra fields."""
    event = copy.deepcopy(draw(st.sampled_from(SAMPLES)))
    data = event["data"]
    data["id"] = "ord_" + draw(ids)
    data["number"] = draw(ids)
    data["customer"]["name"] = draw(names)
    data["lines"][0]["name"] = draw(names)
    data["lines"][0]["quantity"] = draw(st.integers(min_value=1, max_value=10**6))
    data["comment"] = draw(st.one_of(st.none(), st.text(max_size=200)))
    extra = draw(
        st.dictionaries(st.text(min_size=1, max_size=12).map(lambda key: "x_" + key), json_values, max_size=3)
    )
    data.update(extra)
    event["id"] = "evt_" + draw(ids)
    return event


@st.composite
def valid_requests(draw: st.DrawFn) -> FuzzRequest:
    event = draw(valid_events())
    body = dumps_json(event).encode("utf-8")
    # The test gives each valid request a delivery id of its own when it sends it: hypothesis
    # draws the same simple uuid again and again, which would turn most of them into repeats.
    headers = _headers(body, delivery_id="set when sent")
    resend = draw(st.booleans())
    return FuzzRequest("valid", DEMO_CONNECTION, headers, body, True, event["data"]["id"], resend)


@st.composite
def invalid_requests(draw: st.DrawFn) -> FuzzRequest:
    kind = draw(
        st.sampled_from(
            [
                "malformed_json", "random_bytes", "wrong_type", "missing_field", "unknown_event",
                "huge_body", "nested_body", "non_utf8", "bad_signature", "missing_signature",
                "garbage_signature_header", "garbage_timestamp", "replayed_timestamp", "future_timestamp",
                "unknown_connection", "long_delivery_id", "not_an_object",
            ]
        )
    )  # fmt: skip
    delivery_id = f"dlv_{draw(st.uuids())}"
    event = draw(valid_events())
    body = dumps_json(event).encode("utf-8")
    connection_id = DEMO_CONNECTION

    if kind == "malformed_json":
        cut = draw(st.integers(min_value=0, max_value=len(body) - 1))
        body = body[:cut] + draw(st.sampled_from([b"", b"}", b",", b"{{", b'"', b"\x00"]))
    elif kind == "random_bytes":
        body = draw(st.binary(min_size=0, max_size=2000))
    elif kind == "wrong_type":
        _set(event, draw(st.sampled_from(REQUIRED_PATHS)), draw(wrong_types))
        body = dumps_json(event).encode("utf-8")
    elif kind == "missing_field":
        _delete(event, draw(st.sampled_from(REQUIRED_PATHS)))
        body = dumps_json(event).encode("utf-8")
    elif kind == "unknown_event":
        event["type"] = draw(
            st.text(max_size=30).filter(
                lambda text: text not in ("order.created", "order.updated", "credit_note.created")
            )
        )
        body = dumps_json(event).encode("utf-8")
    elif kind == "huge_body":
        event["data"]["comment"] = "x" * draw(
            st.integers(min_value=MAX_BODY_BYTES, max_value=MAX_BODY_BYTES + 50_000)
        )
        body = dumps_json(event).encode("utf-8")
    elif kind == "nested_body":
        depth = draw(st.integers(min_value=1_000, max_value=120_000))
        opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        body = (opening * depth + "1" + closing * depth).encode("ascii")[:MAX_BODY_BYTES]
    elif kind == "non_utf8":
        body = body.replace(b'"name"', b'"\xff\xfename"', 1)
    elif kind == "not_an_object":
        body = dumps_json(draw(st.one_of(json_scalars, st.lists(json_values, max_size=3)))).encode("utf-8")

    headers = _headers(body, delivery_id=delivery_id)
    if kind == "bad_signature":
        headers = _headers(
            body,
            delivery_id=delivery_id,
            secret=draw(st.text(min_size=1, max_size=40).filter(lambda s: s != DEMO_WEBHOOK_SECRET)),
        )
    elif kind == "missing_signature":
        del headers[draw(st.sampled_from(["X-Bemakers-Signature", "X-Bemakers-Timestamp"]))]
    elif kind == "garbage_signature_header":
        headers["X-Bemakers-Signature"] = draw(st.text(max_size=200))
    elif kind == "garbage_timestamp":
        headers["X-Bemakers-Timestamp"] = draw(
            st.text(min_size=1, max_size=20).filter(lambda text: not text.isascii() or not text.isdigit())
        )
    elif kind == "replayed_timestamp":
        age = draw(st.integers(min_value=MAX_AGE_SECONDS + 5, max_value=10**8))
        headers = _headers(body, delivery_id=delivery_id, timestamp=time.time() - age)
    elif kind == "future_timestamp":
        ahead = draw(st.integers(min_value=MAX_AGE_SECONDS + 5, max_value=10**8))
        headers = _headers(body, delivery_id=delivery_id, timestamp=time.time() + ahead)
    elif kind == "unknown_connection":
        connection_id = draw(ids.filter(lambda text: text != DEMO_CONNECTION))
    elif kind == "long_delivery_id":
        headers["X-Bemakers-Delivery"] = draw(st.text(min_size=201, max_size=3000))
    return FuzzRequest(kind, connection_id, headers, body, False)


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


def _delete(document: Any, path: tuple[Any, ...]) -> None:
    for key in path[:-1]:
        document = document[key]
    del document[path[-1]]


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[DemoEnvironment]:
    # One stack for all examples: hypothesis runs the examples inside one test call.
    with DemoEnvironment(log_level="CRITICAL", metrics=False) as environment:
        yield environment


@functools.cache
def _sqs() -> Any:
    # One client for every example: creating a boto3 client costs more than the receive itself.
    return boto3.client("sqs", region_name=REGION)


def _take_queued(queue_url: str) -> list[dict[str, Any]]:
    # One request sends at most one message, so one receive of up to 10 returns them all.
    sqs = _sqs()
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


KINDS_SEEN: dict[str, int] = {}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(request=st.one_of(valid_requests(), invalid_requests()))
def test_webhook_fuzz(stack: DemoEnvironment, request: FuzzRequest) -> None:
    KINDS_SEEN[request.kind] = KINDS_SEEN.get(request.kind, 0) + 1
    headers = request.headers
    if request.valid:
        headers = _headers(request.body, delivery_id=f"dlv_{uuid.uuid4()}")
    response = stack.hub.deliver_webhook(request.connection_id, headers, request.body)
    status = int(response["statusCode"])
    queued = _take_queued(stack.hub.queue_url("OrdersQueue"))

    assert status < 500, (request.kind, status, response["body"])
    if not request.valid:
        assert 400 <= status < 500, (request.kind, status, response["body"])
        assert queued == [], request.kind
        return
    delivery_id = headers["X-Bemakers-Delivery"]
    assert status == 202, response["body"]
    assert [(message["document_id"], message["delivery_id"]) for message in queued] == [
        (request.document_id, delivery_id)
    ]
    if request.resend:
        again = stack.hub.deliver_webhook(request.connection_id, headers, request.body)
        assert int(again["statusCode"]) == 200
        assert _take_queued(stack.hub.queue_url("OrdersQueue")) == []


def test_fuzz_covered_every_kind() -> None:
    if not KINDS_SEEN:
        pytest.skip("runs after test_webhook_fuzz in this module, whose counts it reads")
    assert sum(KINDS_SEEN.values()) >= EXAMPLES, KINDS_SEEN
    assert len(KINDS_SEEN) == 18, KINDS_SEEN
    # Every valid example was checked to be queued once, so this many valid orders went through.
    assert KINDS_SEEN["valid"] >= EXAMPLES // 5, KINDS_SEEN
