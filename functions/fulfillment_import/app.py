"""Fulfillment import function: warehouse shipments → Bemakers fulfillments.

Two triggers: an EventBridge Scheduler schedule reads every connection from its cursor, and
the HTTP API route `POST /webhooks/ongoing/{connection_id}` imports the one order an Ongoing
webhook names.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.fulfillment_import import import_fulfillments, receive_ongoing_webhook
from hub.observability import logger, metrics


def _raw_body(event: APIGatewayProxyEventV2) -> bytes:
    if event.is_base64_encoded:
        return base64.b64decode(event.body or "")
    return (event.body or "").encode("utf-8")


def _webhook(event: APIGatewayProxyEventV2, lease_seconds: float) -> dict[str, Any]:
    connection_id = (event.path_parameters or {}).get("connection_id", "")
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}

    response = receive_ongoing_webhook(connection_id, headers, _raw_body(event), lease_seconds=lease_seconds)

    return {
        "statusCode": response.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(response.body),
    }


@logger.inject_lambda_context(correlation_id_path="id || requestContext.requestId", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The lease on each shipment lasts until this invocation's deadline.
    lease_seconds = context.get_remaining_time_in_millis() / 1000
    if "requestContext" in event:
        return _webhook(APIGatewayProxyEventV2(event), lease_seconds)

    schedule = parse(event=event, model=EventBridgeModel)

    reports = import_fulfillments(now=schedule.time, lease_seconds=lease_seconds)

    return {
        "connections": len(reports),
        "fulfillments_posted": sum(report.counts.fulfillments_posted for report in reports),
        "unknown_orders": sum(report.counts.unknown_orders for report in reports),
    }
