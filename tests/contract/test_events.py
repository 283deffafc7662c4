"""The sample events in events/ are shaped as AWS delivers them, and each function accepts its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    EventBridgeModel,
    SqsModel,
)

from hub.models.bemakers import OrderEvent
from hub.models.messages import DocumentChanged
from hub.models.ongoing import WebhookPayload
from hub.signatures import verify
from hubctl.__main__ import main
from hubctl.demo import DEMO_WEBHOOK_SECRET

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _event(name: str) -> dict[str, object]:
    event: dict[str, object] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def test_webhook_event_is_an_http_api_v2_event() -> None:
    event = parse(event=_event("webhook-order-created.json"), model=APIGatewayProxyEventV2Model)
    assert event.routeKey == "POST /webhooks/bemakers/{connection_id}"


def test_webhook_event_body_is_an_order_event() -> None:
    event = parse(event=_event("webhook-order-created.json"), model=APIGatewayProxyEventV2Model)
    assert OrderEvent.model_validate_json(event.body or "").data.id == "ord_1001"


def test_webhook_event_is_signed_with_the_demo_secret() -> None:
    event = parse(event=_event("webhook-order-created.json"), model=APIGatewayProxyEventV2Model)
    timestamp = event.headers["x-bemakers-timestamp"]
    verify(
        secrets=[DEMO_WEBHOOK_SECRET],
        timestamp=timestamp,
        signature_header=event.headers["x-bemakers-signature"],
        body=(event.body or "").encode("utf-8"),
        now=float(timestamp),
    )


def test_sqs_event_is_an_sqs_batch() -> None:
    event = parse(event=_event("order-transfer-sqs-batch.json"), model=SqsModel)
    assert event.Records[0].eventSource == "aws:sqs"


def test_sqs_event_body_is_a_document_change() -> None:
    event = parse(event=_event("order-transfer-sqs-batch.json"), model=SqsModel)
    assert DocumentChanged.model_validate_json(event.Records[0].body).document_id == "ord_1001"


def test_schedule_event_is_an_eventbridge_event() -> None:
    event = parse(event=_event("order-poll-schedule.json"), model=EventBridgeModel)
    assert event.source == "aws.scheduler"


def test_sam_local_env_file_names_every_function() -> None:
    variables = json.loads((EVENTS / "sam-local-env.json").read_text(encoding="utf-8"))
    assert sorted(variables) == [
        "HeartbeatFunction",
        "OrderPollFunction",
        "OrderTransferFunction",
        "ProductImportFunction",
        "StatusReportFunction",
        "WebhookFunction",
    ]


@pytest.mark.parametrize(
    ("function", "event", "expected"),
    [
        ("webhook", "webhook-order-created.json", '"statusCode": 202'),
        ("order_transfer", "order-transfer-sqs-batch.json", '"batchItemFailures": []'),
        ("order_poll", "order-poll-schedule.json", '"orders_enqueued": 6'),
        ("product_import", "product-import-schedule.json", '"complete": true'),
        ("StatusReportFunction", "status-report-schedule.json", '"connections": 1'),
        ("HeartbeatFunction", "heartbeat-schedule.json", '"silent_connections": []'),
    ],
)
def test_hubctl_invoke_runs_each_sample_event(
    function: str, event: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["invoke", function, str(EVENTS / event), "--log-level", "WARNING"])
    output = capsys.readouterr().out
    assert status == 0
    assert expected in output


def test_ongoing_webhook_event_is_an_http_api_v2_event() -> None:
    event = parse(event=_event("ongoing-webhook.json"), model=APIGatewayProxyEventV2Model)
    assert event.routeKey == "POST /webhooks/ongoing/{connection_id}"


def test_ongoing_webhook_event_body_names_an_order() -> None:
    event = parse(event=_event("ongoing-webhook.json"), model=APIGatewayProxyEventV2Model)
    assert WebhookPayload.model_validate_json(event.body or "").order_id == 1


def test_ongoing_webhook_event_runs_the_import(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["invoke", "fulfillment_import", str(EVENTS / "ongoing-webhook.json"), "--log-level", "ERROR"]
    )
    output = capsys.readouterr().out
    assert status == 0
    assert '"statusCode": 200' in output
