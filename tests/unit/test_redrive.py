"""hubctl redrive on AWS's path: StartMessageMoveTask, checked with botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from hubctl.redrive import RedriveError, redrive

DLQ_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/hub-OrdersDeadLetterQueue"
DLQ_ARN = "arn:aws:sqs:eu-west-1:123456789012:hub-OrdersDeadLetterQueue"
SOURCE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/hub-OrdersQueue"


@pytest.fixture
def sqs() -> Any:
    return boto3.client(
        "sqs", region_name="eu-west-1", aws_access_key_id="stub", aws_secret_access_key="stub"
    )


@pytest.fixture
def stubber(sqs: Any) -> Iterator[Stubber]:
    with Stubber(sqs) as stub:
        yield stub
        stub.assert_no_pending_responses()


def _queue_and_sources(stubber: Stubber, sources: list[str]) -> None:
    stubber.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": DLQ_ARN}},
        {"QueueUrl": DLQ_URL, "AttributeNames": ["QueueArn"]},
    )
    stubber.add_response("list_dead_letter_source_queues", {"queueUrls": sources}, {"QueueUrl": DLQ_URL})


def _tasks(stubber: Stubber, *tasks: dict[str, Any]) -> None:
    stubber.add_response(
        "list_message_move_tasks", {"Results": list(tasks)}, {"SourceArn": DLQ_ARN, "MaxResults": 1}
    )


def _task(status: str, moved: int, started: int = 2000) -> dict[str, Any]:
    return {
        "Status": status,
        "SourceArn": DLQ_ARN,
        "ApproximateNumberOfMessagesMoved": moved,
        "StartedTimestamp": started,
    }


def test_redrive_starts_move_task_and_reports_count(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [SOURCE_URL])
    _tasks(stubber)
    stubber.add_response("start_message_move_task", {"TaskHandle": "handle-1"}, {"SourceArn": DLQ_ARN})
    _tasks(stubber, _task("RUNNING", 1))
    _tasks(stubber, _task("COMPLETED", 3))
    result = redrive(sqs, DLQ_URL, sleep=lambda seconds: None)
    assert (result.method, result.moved, result.status) == ("message_move_task", 3, "COMPLETED")


def test_redrive_reuses_running_task(sqs: Any, stubber: Stubber) -> None:
    # No start_message_move_task is stubbed, so a second start would fail the test.
    _queue_and_sources(stubber, [SOURCE_URL])
    _tasks(stubber, _task("RUNNING", 2))
    _tasks(stubber, _task("COMPLETED", 5))
    result = redrive(sqs, DLQ_URL, sleep=lambda seconds: None)
    assert result.moved == 5


def test_redrive_skips_earlier_finished_task(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [SOURCE_URL])
    _tasks(stubber, _task("COMPLETED", 7, started=1000))
    stubber.add_response("start_message_move_task", {"TaskHandle": "handle-2"}, {"SourceArn": DLQ_ARN})
    _tasks(stubber, _task("COMPLETED", 7, started=1000))
    _tasks(stubber, _task("COMPLETED", 2, started=2000))
    result = redrive(sqs, DLQ_URL, sleep=lambda seconds: None)
    assert result.moved == 2


def test_redrive_without_wait_returns_running(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [SOURCE_URL])
    _tasks(stubber)
    stubber.add_response("start_message_move_task", {"TaskHandle": "handle-1"}, {"SourceArn": DLQ_ARN})
    _tasks(stubber, _task("RUNNING", 0))
    result = redrive(sqs, DLQ_URL, wait=False)
    assert result.status == "RUNNING"


def test_redrive_reports_failed_task(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [SOURCE_URL])
    _tasks(stubber)
    stubber.add_response("start_message_move_task", {"TaskHandle": "handle-1"}, {"SourceArn": DLQ_ARN})
    _tasks(stubber, {**_task("FAILED", 0), "FailureReason": "AccessDenied"})
    with pytest.raises(RedriveError, match="AccessDenied"):
        redrive(sqs, DLQ_URL, sleep=lambda seconds: None)


def test_redrive_rejects_queue_without_source(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [])
    with pytest.raises(RedriveError, match="nowhere to move"):
        redrive(sqs, DLQ_URL)


def test_redrive_falls_back_on_unknown_action(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [SOURCE_URL])
    stubber.add_client_error(
        "list_message_move_tasks", service_error_code="InvalidAction", http_status_code=400
    )
    stubber.add_response(
        "receive_message",
        {"Messages": []},
        {
            "QueueUrl": DLQ_URL,
            "MaxNumberOfMessages": 10,
            "MessageAttributeNames": ["All"],
            "AttributeNames": ["All"],
            "VisibilityTimeout": 60,
        },
    )
    result = redrive(sqs, DLQ_URL)
    assert (result.method, result.moved) == ("receive_and_send", 0)


def test_redrive_raises_other_errors(sqs: Any, stubber: Stubber) -> None:
    _queue_and_sources(stubber, [SOURCE_URL])
    stubber.add_client_error(
        "list_message_move_tasks", service_error_code="AccessDenied", http_status_code=403
    )
    with pytest.raises(Exception, match="AccessDenied"):
        redrive(sqs, DLQ_URL)
