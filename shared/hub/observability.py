"""The one place that creates the Powertools Logger and Metrics.

There is no Powertools Tracer: creating one imports the X-Ray SDK, which took about 170 ms
of each cold start here (see docs/decisions.md). Lambda's active tracing, set in
template.yaml, still records each invocation.

Log ids, counts and states only. Customer names, addresses, e-mails, phone numbers, raw
bodies, tokens and signatures never go into a log line or a metric dimension.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

SERVICE = "bemakers-hub"
NAMESPACE = "BemakersHub"

# At DEBUG, urllib3 logs request URLs (a customer filter holds an e-mail address) and
# botocore logs request bodies (queue messages hold whole orders). Keep them above DEBUG
# even when someone turns the root logger down to DEBUG.
for _library in ("urllib3", "botocore", "boto3"):
    logging.getLogger(_library).setLevel(logging.INFO)

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)


def put_dimensioned_metric(name: str, value: float, unit: MetricUnit, dimensions: dict[str, str]) -> None:
    """Write one EMF metric at once with its own dimensions (flow, target, state: low cardinality only).

    `metrics` shares one dimension set per invocation, so metrics per flow and target go
    through this instead. Never pass an order, customer or connection id as a dimension:
    each distinct value is a separate, billed metric.
    """
    # single_metric prints even when POWERTOOLS_METRICS_DISABLED is set, unlike `metrics`.
    if is_metrics_disabled():
        return
    with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE, default_dimensions=dimensions):
        pass
