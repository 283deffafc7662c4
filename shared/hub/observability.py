"""The one place that creates the Powertools Logger, Metrics and Tracer.

Log ids, counts and states only. Customer names, addresses, e-mails, phone numbers, raw
bodies, tokens and signatures never go into a log line or a metric dimension.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "bemakers-hub"

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace="BemakersHub")
tracer = Tracer(service=SERVICE)
