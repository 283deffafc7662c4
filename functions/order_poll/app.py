"""Order poll function: on an EventBridge Scheduler schedule, enqueue orders updated since each cursor."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.order_poll import poll_orders
from hub.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = parse(event=event, model=EventBridgeModel)

    reports = poll_orders(now=schedule.time)

    return {
        "connections": len(reports),
        "orders_enqueued": sum(report.orders_enqueued for report in reports),
        "credit_notes_enqueued": sum(report.credit_notes_enqueued for report in reports),
    }
