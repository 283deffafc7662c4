"""An estimate of the AWS cost of 10,000 orders, from the measured figures and published prices.

The quantities (requests, calls, GB-seconds, log bytes) come from the benchmark. The
prices are constants with their source: AWS renders its per-region price tables in the
browser, and the stored copies of its pricing pages that could be searched carry no
eu-west-1 figures. So the prices are US East (N. Virginia) prices as the cited pages
state them, and the report names that region. Free tiers are left out.

Lambda's duration is estimated, not measured: the CPU this machine spent per order,
scaled to the share of a vCPU that the configured memory buys, plus an assumed wait per
AWS call and per request to the connected system.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubctl.bench.per_document import ScenarioFigures

ORDERS = 10_000
SOURCES_READ = "2026-12-04"
"""When the price sources below were read."""
VCPU_MEMORY_MB = 1769
"""Lambda gives a function one vCPU at 1,769 MB and a proportional share below it."""
VCPU_SOURCE = "https://docs.aws.amazon.com/de_de/lambda/latest/dg/configuration-memory.html"
AWS_CALL_WAIT_MS = 10.0
"""Assumed time a function waits for one DynamoDB, SQS or Secrets Manager call in its region."""
TARGET_REQUEST_WAIT_MS = 150.0
"""Assumed time a function waits for one request to the connected system (e-conomic)."""


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    region: str
    source: str
    stated: str
    """When the source states its prices, as it gives it."""


PRICES = {
    "lambda_request": Price(
        0.20 / 1_000_000,
        "request",
        "us-east-1",
        "https://cloudchipr.com/blog/aws-lambda-pricing",
        "2024 (page title); US East (N. Virginia)",
    ),
    "lambda_arm_gb_second": Price(
        0.0000133334,
        "GB-second (Arm, first tier)",
        "us-east-1",
        "https://cloudchipr.com/blog/aws-lambda-pricing",
        "2024 (page title); US East (N. Virginia)",
    ),
    "http_api_request": Price(
        1.00 / 1_000_000,
        "request (first 300 million a month)",
        "us-east-1",
        "https://docs.aws.amazon.com/pt_br/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html",
        "undated AWS whitepaper; us-east-1",
    ),
    "sqs_request": Price(
        0.40 / 1_000_000,
        "request of up to 64 KB (standard queue)",
        "us-east-1",
        "https://cloudburn.io/blog/amazon-sqs-pricing",
        "March 2026; US East (N. Virginia)",
    ),
    "dynamodb_write": Price(
        0.625 / 1_000_000,
        "write request unit (on-demand)",
        "us-east-1",
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
        "July 2025, after the November 2024 price cut; US East",
    ),
    "dynamodb_read": Price(
        0.125 / 1_000_000,
        "read request unit (on-demand)",
        "us-east-1",
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
        "July 2025, after the November 2024 price cut; US East",
    ),
    "secrets_call": Price(
        0.05 / 10_000,
        "API call",
        "not stated",
        "https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms",
        "undated",
    ),
    "logs_ingested_gb": Price(
        0.50,
        "GB ingested",
        "us-east-1",
        "https://hykell.com/knowledge-base/aws-cloudwatch-logs-pricing",
        "undated; US East (N. Virginia)",
    ),
}


@dataclass(frozen=True)
class CostLine:
    item: str
    quantity: float
    unit: str
    usd: float
    price: str


def _duration_ms(figures: ScenarioFigures, cpu_ms_per_unit: float, memory_mb: int) -> float:
    """Estimate one invocation's duration: scaled CPU plus the assumed waits, per unit times units."""
    cpu_share = min(memory_mb / VCPU_MEMORY_MB, 1.0)
    calls = figures.dynamodb_reads + figures.dynamodb_writes + figures.sqs_sends
    per_unit = (
        cpu_ms_per_unit / cpu_share
        + calls * AWS_CALL_WAIT_MS
        + figures.target_requests * TARGET_REQUEST_WAIT_MS
    )
    return per_unit / figures.invocations


def estimate(
    webhook: ScenarioFigures,
    transfer: ScenarioFigures,
    *,
    webhook_cpu_ms: float,
    transfer_cpu_ms: float,
    memory_mb: int,
    message_bytes: int,
) -> list[CostLine]:
    """Estimate the cost of ORDERS orders that each arrive as one webhook delivery and go to every target.

    `webhook_cpu_ms` and `transfer_cpu_ms` are the CPU per unit without moto's emulation.
    """
    targets = transfer.targets
    lines: list[CostLine] = []

    def add(item: str, quantity: float, unit: str, price: str) -> None:
        lines.append(CostLine(item, quantity, unit, quantity * PRICES[price].usd, price))

    add("API Gateway HTTP API requests", ORDERS, "requests", "http_api_request")
    webhook_invocations = ORDERS * webhook.invocations
    transfer_invocations = ORDERS * targets * transfer.invocations
    add("Lambda requests", webhook_invocations + transfer_invocations, "requests", "lambda_request")
    gigabytes = memory_mb / 1024
    webhook_seconds = webhook_invocations * _duration_ms(webhook, webhook_cpu_ms, memory_mb) / 1000
    transfer_seconds = transfer_invocations * _duration_ms(transfer, transfer_cpu_ms, memory_mb) / 1000
    add("Lambda duration, webhook", webhook_seconds * gigabytes, "GB-seconds", "lambda_arm_gb_second")
    add("Lambda duration, order transfer", transfer_seconds * gigabytes, "GB-seconds", "lambda_arm_gb_second")

    chunks = max(1, -(-message_bytes // 65_536))
    # The event source mapping receives a batch and deletes its messages in one call each.
    sqs_requests = ORDERS * webhook.sqs_sends * chunks + 2 * transfer_invocations
    add("SQS requests", sqs_requests, "requests", "sqs_request")
    add(
        "DynamoDB writes",
        ORDERS * (webhook.dynamodb_writes + transfer.dynamodb_writes * targets),
        "write request units",
        "dynamodb_write",
    )
    add(
        "DynamoDB reads",
        ORDERS * (webhook.dynamodb_reads + transfer.dynamodb_reads * targets),
        "read request units",
        "dynamodb_read",
    )
    log_bytes = ORDERS * (webhook.log_bytes + transfer.log_bytes * targets)
    add("CloudWatch Logs, the hub's own lines and metrics", log_bytes / 1e9, "GB", "logs_ingested_gb")
    return lines


def wait_cost_per_100_ms(memory_mb: int) -> float:
    """Return what 100 ms more waiting per order costs per ORDERS orders, in Lambda duration."""
    return ORDERS * 0.1 * memory_mb / 1024 * PRICES["lambda_arm_gb_second"].usd
