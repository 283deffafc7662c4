"""Sending document changes to the orders queue."""

from __future__ import annotations

from collections.abc import Sequence

from hub.aws import sqs_client
from hub.errors import HubError
from hub.models.messages import DocumentChanged

SQS_BATCH_SIZE = 10


class EnqueueFailed(HubError):
    """SQS did not accept every message."""


def _attributes(message: DocumentChanged) -> dict[str, dict[str, str]]:
    # Low-cardinality ids only: they survive a DLQ redrive and help filtering.
    return {
        "connection_id": {"DataType": "String", "StringValue": message.connection_id},
        "kind": {"DataType": "String", "StringValue": message.kind},
        "source": {"DataType": "String", "StringValue": message.source},
    }


def enqueue(queue_url: str, messages: Sequence[DocumentChanged], *, delay_seconds: int = 0) -> None:
    """Send the messages in batches of 10. Raises EnqueueFailed naming the documents SQS refused.

    `delay_seconds` (at most 900, SQS's limit) keeps the messages invisible for that long.
    """
    for start in range(0, len(messages), SQS_BATCH_SIZE):
        batch = messages[start : start + SQS_BATCH_SIZE]
        if len(batch) == 1:
            sqs_client().send_message(
                QueueUrl=queue_url,
                MessageBody=batch[0].model_dump_json(),
                MessageAttributes=_attributes(batch[0]),
                DelaySeconds=delay_seconds,
            )
            continue
        response = sqs_client().send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": message.model_dump_json(),
                    "MessageAttributes": _attributes(message),
                    "DelaySeconds": delay_seconds,
                }
                for index, message in enumerate(batch)
            ],
        )
        failed = response.get("Failed", [])
        if failed:
            documents = [batch[int(entry["Id"])].document_id for entry in failed]
            raise EnqueueFailed(f"SQS refused {len(failed)} messages, for documents {documents}")
