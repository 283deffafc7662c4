"""The CPU that one call costs the client, for the floor under the per-document figures.

A transfer must make its AWS calls and its requests to the connected system, and each
costs the calling thread CPU in botocore or in requests whatever the hub does around it.
Measured against a moto server and a sandbox in other processes, so that neither one's
own work is in the figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hub.aws import dynamodb_table
from hub.connectors.http import JsonHttpClient
from hub.runtime import get_runtime
from hubctl.bench.stack import BenchStack
from hubctl.demo import DEMO_ECONOMIC_APP_TOKEN, DEMO_ECONOMIC_GRANT_TOKEN


@dataclass(frozen=True)
class ClientCosts:
    calls: int
    aws_call_cpu_ms: float
    """A DynamoDB GetItem through the boto3 Table resource, as the ledger reads."""
    http_request_cpu_ms: float
    """A GET through the connectors' JsonHttpClient."""


def measure(stack: BenchStack, *, calls: int) -> ClientCosts:
    """Time `calls` GetItem calls and `calls` HTTP GETs; the stack must run moto as a server."""
    table = dynamodb_table(get_runtime().settings.ledger_table)
    key = {"pk": "bench#order#none", "sk": "target#none"}
    table.get_item(Key=key)
    started = time.thread_time()
    for _ in range(calls):
        table.get_item(Key=key, ConsistentRead=True)
    aws_seconds = time.thread_time() - started

    client = JsonHttpClient(
        "economic",
        stack.economic_url,
        headers={
            "X-AppSecretToken": DEMO_ECONOMIC_APP_TOKEN,
            "X-AgreementGrantToken": DEMO_ECONOMIC_GRANT_TOKEN,
        },
        timeout_seconds=10,
        max_attempts=1,
    )
    client.request("GET", "/layouts/19")
    started = time.thread_time()
    for _ in range(calls):
        client.request("GET", "/layouts/19")
    http_seconds = time.thread_time() - started
    return ClientCosts(calls, aws_seconds / calls * 1000, http_seconds / calls * 1000)
