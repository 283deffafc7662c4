"""boto3 clients and resources, created on first use and kept for the life of the execution environment."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3


@cache
def dynamodb_table(name: str) -> Any:
    """Return the DynamoDB Table resource for `name`."""
    return boto3.resource("dynamodb").Table(name)


@cache
def dynamodb_resource() -> Any:
    """Return the DynamoDB service resource, for batch reads across keys."""
    return boto3.resource("dynamodb")


@cache
def sqs_client() -> Any:
    """Return the SQS client."""
    return boto3.client("sqs")


@cache
def sns_client() -> Any:
    """Return the SNS client."""
    return boto3.client("sns")


def reset_clients() -> None:
    """Forget cached clients, so the next call builds them from the current environment."""
    dynamodb_table.cache_clear()
    dynamodb_resource.cache_clear()
    sqs_client.cache_clear()
    sns_client.cache_clear()
