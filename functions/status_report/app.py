"""Status report function: on a daily EventBridge Scheduler schedule, send each connection's report."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from hub.flows.status_report import send_status_reports
from hub.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = parse(event=event, model=EventBridgeModel)

    reports = send_status_reports(now=schedule.time)

    return {"connections": len(reports), "open_failures": sum(report.open_failures for report in reports)}
