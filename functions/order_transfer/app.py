"""Order transfer function: orders queue → every target of the order's connection.

Failed records are reported with ReportBatchItemFailures, so only they come back.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.order_transfer import transfer_document
from hub.models.messages import DocumentChanged
from hub.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method(capture_response=False)
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    logger.append_keys(message_id=record.message_id)
    message = DocumentChanged.model_validate_json(record.body)

    # The lease lasts until this invocation's deadline: if the function dies, the next
    # delivery can take over as soon as the deadline has passed.
    lease_seconds = lambda_context.get_remaining_time_in_millis() / 1000
    transfer_document(message, lease_seconds=lease_seconds)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
