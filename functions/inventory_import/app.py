"""Inventory import function: on an EventBridge Scheduler schedule, push changed stock levels to Bemakers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.inventory_import import import_inventory
from hub.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parse(event=event, model=EventBridgeModel)

    reports = import_inventory(time_left=lambda: context.get_remaining_time_in_millis() / 1000)

    return {
        "connections": len(reports),
        "complete": all(report.complete for report in reports),
        "levels_pushed": sum(report.counts.pushed for report in reports),
    }
