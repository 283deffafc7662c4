"""Webhook function: HTTP API `POST /webhooks/bemakers/{connection_id}` → orders queue."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.webhook import receive_webhook
from hub.observability import logger, metrics


def _raw_body(event: APIGatewayProxyEventV2) -> bytes:
    # The signature covers the exact bytes Bemakers sent.
    if event.is_base64_encoded:
        return base64.b64decode(event.body or "")
    return (event.body or "").encode("utf-8")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@event_source(data_class=APIGatewayProxyEventV2)
def lambda_handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> dict[str, Any]:
    connection_id = (event.path_parameters or {}).get("connection_id", "")
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}

    response = receive_webhook(connection_id, headers, _raw_body(event))

    return {
        "statusCode": response.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(response.body),
    }
