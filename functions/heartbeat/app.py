"""Heartbeat function: every hour, count the connections that stopped transferring."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.heartbeat import check_heartbeats
from hub.observability import logger


@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = parse(event=event, model=EventBridgeModel)

    silent = check_heartbeats(now=schedule.time)

    return {"silent_connections": [connection.connection_id for connection in silent]}
