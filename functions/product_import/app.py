"""Product import function: on an EventBridge Scheduler schedule, bring Bemakers' products to each source."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.product_import import import_products
from hub.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = parse(event=event, model=EventBridgeModel)

    reports = import_products(
        now=schedule.time, time_left=lambda: context.get_remaining_time_in_millis() / 1000
    )

    return {
        "connections": len(reports),
        "created": sum(report.created for report in reports),
        "updated": sum(report.updated for report in reports),
        "deactivated": sum(report.deactivated for report in reports),
        "unchanged": sum(report.unchanged for report in reports),
        "rejected": sum(len(report.failed) for report in reports),
        "skipped": sum(len(report.skipped) for report in reports),
        "writes": sum(report.writes for report in reports),
        "complete": all(report.complete for report in reports),
    }
