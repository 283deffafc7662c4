"""Moving messages from a dead-letter queue back to the queue they came from.

On AWS this starts SQS's own message-move task (StartMessageMoveTask), which moves the messages
server-side and keeps their attributes. moto 5.x and some other endpoints do not implement
that call. There the messages are received, sent again to the source queue with their
attributes and deleted from the dead-letter queue, in batches of 10.

Both ways are safe to repeat. A second redrive finds an empty queue or the running task and
starts nothing new. A crash between the send and the delete leaves a message in both queues,
and the hub's ledger skips the duplicate when it is transferred.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

# Error codes of an endpoint that does not implement the action called.
_UNSUPPORTED_CODES = frozenset(
    {"InvalidAction", "UnknownOperationException", "NotImplemented", "UnsupportedOperation"}
)
_FINISHED = frozenset({"COMPLETED", "CANCELLED", "FAILED"})
RECEIVE_VISIBILITY_SECONDS = 60


class RedriveError(Exception):
    """The messages cannot be moved. The exception message gives the reason and what to do."""


class _MoveTaskUnsupported(Exception):
    pass


@dataclass(frozen=True)
class RedriveResult:
    method: Literal["message_move_task", "receive_and_send"]
    dead_letter_queue_url: str
    source_queue_urls: list[str]
    moved: int
    """Messages moved; for a task that has not finished, those moved so far."""
    status: str
    """COMPLETED, or the task's status: RUNNING when not waited for, CANCELLED or FAILED."""
    not_moved: int = 0
    """Messages the fallback received but SQS did not accept back; they stay in the dead-letter queue."""


def resolve_queue_url(sqs: Any, queue: str) -> str:
    """Return the URL of a queue given by URL, ARN or name."""
    if queue.startswith(("https://", "http://")):
        return queue
    name = queue.rsplit(":", 1)[-1] if queue.startswith("arn:") else queue
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except ClientError as error:
        raise RedriveError(f"queue {queue!r} not found: {error.response['Error']['Code']}") from None


def redrive(
    sqs: Any,
    dead_letter_queue_url: str,
    *,
    wait: bool = True,
    max_wait_seconds: float = 900,
    poll_seconds: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RedriveResult:
    """Move every message of the dead-letter queue back to its source queue.

    Raises RedriveError when no queue names this one as its dead-letter queue, or when the
    move task fails.
    """
    arn = sqs.get_queue_attributes(QueueUrl=dead_letter_queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sources = [
        str(url) for url in sqs.list_dead_letter_source_queues(QueueUrl=dead_letter_queue_url)["queueUrls"]
    ]
    if not sources:
        raise RedriveError(
            f"no queue uses {dead_letter_queue_url} as its dead-letter queue, so there is nowhere to move"
            " its messages back to. Read them, fix the cause and let the next scheduled run catch up."
        )
    try:
        return _move_with_task(
            sqs, arn, dead_letter_queue_url, sources, wait, max_wait_seconds, poll_seconds, sleep, clock
        )
    except _MoveTaskUnsupported:
        pass
    if len(sources) > 1:
        raise RedriveError(
            f"{len(sources)} queues use {dead_letter_queue_url} as their dead-letter queue, and this endpoint"
            " has no StartMessageMoveTask, so the source of each message is unknown"
        )
    return _move_by_receiving(sqs, dead_letter_queue_url, sources[0])


def _call(sqs: Any, action: str, **request: Any) -> Any:
    try:
        return getattr(sqs, action)(**request)
    except NotImplementedError:
        # moto in-process raises this for actions it lacks.
        raise _MoveTaskUnsupported from None
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if error.response["Error"]["Code"] in _UNSUPPORTED_CODES or status == 501:
            raise _MoveTaskUnsupported from None
        raise


def _move_with_task(
    sqs: Any,
    arn: str,
    queue_url: str,
    sources: list[str],
    wait: bool,
    max_wait_seconds: float,
    poll_seconds: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> RedriveResult:
    tasks = _call(sqs, "list_message_move_tasks", SourceArn=arn, MaxResults=1)["Results"]
    # The newest earlier task, so that a list that does not show the new task yet is not read as it.
    earlier_start = None
    # A queue has at most one running task; reuse it rather than fail on a second start.
    if not (tasks and tasks[0]["Status"] == "RUNNING"):
        earlier_start = tasks[0].get("StartedTimestamp") if tasks else None
        _call(sqs, "start_message_move_task", SourceArn=arn)
    deadline = clock() + max_wait_seconds
    while True:
        results = _call(sqs, "list_message_move_tasks", SourceArn=arn, MaxResults=1)["Results"]
        task = results[0] if results else {"Status": "RUNNING"}
        status = str(task["Status"])
        if earlier_start is not None and task.get("StartedTimestamp") == earlier_start and clock() < deadline:
            sleep(poll_seconds)
            continue
        if status == "FAILED":
            raise RedriveError(f"the message move task from {queue_url} failed: {task.get('FailureReason')}")
        if status in _FINISHED or not wait or clock() >= deadline:
            return RedriveResult(
                method="message_move_task",
                dead_letter_queue_url=queue_url,
                source_queue_urls=sources,
                moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)),
                status=status,
            )
        sleep(poll_seconds)


def _move_by_receiving(sqs: Any, queue_url: str, source_url: str) -> RedriveResult:
    moved = not_moved = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
        ).get("Messages", [])
        if not messages:
            return RedriveResult(
                method="receive_and_send",
                dead_letter_queue_url=queue_url,
                source_queue_urls=[source_url],
                moved=moved,
                status="COMPLETED",
                not_moved=not_moved,
            )
        entries = [_send_entry(str(index), message) for index, message in enumerate(messages)]
        response = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        sent = {entry["Id"] for entry in response.get("Successful", [])}
        not_moved += len(messages) - len(sent)
        if sent:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages)
                    if str(index) in sent
                ],
            )
            moved += len(sent)
        if not sent:
            raise RedriveError(f"SQS accepted none of {len(messages)} messages on {source_url}")


def _send_entry(entry_id: str, message: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
    attributes = {
        name: {key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    if attributes:
        entry["MessageAttributes"] = attributes
    system = message.get("Attributes", {})
    # A FIFO source queue needs the group id, and the original deduplication id keeps a resend single.
    if "MessageGroupId" in system:
        entry["MessageGroupId"] = system["MessageGroupId"]
        if "MessageDeduplicationId" in system:
            entry["MessageDeduplicationId"] = system["MessageDeduplicationId"]
    return entry
