"""Inventory import function: push changed stock levels to Bemakers.

Two triggers: an EventBridge Scheduler schedule imports every connection's stock sources, and
the HTTP API route `POST /webhooks/zettle/{connection_id}` imports one connection's Zettle stock
when a signed Zettle inventory webhook arrives. A signed Zettle product webhook on that route
runs the connection's product import instead, when Zettle is its product source.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.inventory_import import import_inventory
from hub.flows.zettle_webhook import receive_zettle_webhook
from hub.observability import logger, metrics


def _raw_body(event: APIGatewayProxyEventV2) -> bytes:
    if event.is_base64_encoded:
        return base64.b64decode(event.body or "")
    return (event.body or "").encode("utf-8")


def _webhook(event: APIGatewayProxyEventV2, context: LambdaContext) -> dict[str, Any]:
    connection_id = (event.path_parameters or {}).get("connection_id", "")
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}

    response = receive_zettle_webhook(
        connection_id,
        headers,
        _raw_body(event),
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )

    return {
        "statusCode": response.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(response.body),
    }


@logger.inject_lambda_context(correlation_id_path="id || requestContext.requestId", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "requestContext" in event:
        return _webhook(APIGatewayProxyEventV2(event), context)

    parse(event=event, model=EventBridgeModel)

    reports = import_inventory(time_left=lambda: context.get_remaining_time_in_millis() / 1000)

    return {
        "connections": len({report.connection_id for report in reports}),
        "complete": all(report.complete for report in reports),
        "levels_pushed": sum(report.counts.pushed for report in reports),
    }
