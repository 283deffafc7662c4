"""Builders of events shaped exactly as AWS delivers them to the hub's functions.

Used by `hubctl` and the tests to invoke handlers locally, and to write the samples in events/.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

ACCOUNT_ID = "123456789012"


def http_api_event(
    *,
    route_key: str,
    raw_path: str,
    path_parameters: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    region: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return an API Gateway HTTP API (payload format 2.0) event for a request with `body`."""
    now = now or datetime.now(UTC)
    method, _, _ = route_key.partition(" ")
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    request_id = uuid.uuid4().hex[:16]
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": "",
        # HTTP APIs deliver header names in lower case.
        "headers": {name.lower(): value for name, value in headers.items()}
        | {"content-length": str(len(body)), "host": f"local.execute-api.{region}.amazonaws.com"},
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": f"local.execute-api.{region}.amazonaws.com",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "hubctl",
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "pathParameters": dict(path_parameters),
        "body": text,
        "isBase64Encoded": is_base64,
    }


def sqs_record(
    *,
    message_id: str,
    receipt_handle: str,
    body: str,
    queue_arn: str,
    region: str,
    attributes: Mapping[str, str],
    message_attributes: Mapping[str, Any],
) -> dict[str, Any]:
    """Return one record of an SQS event as Lambda's event source mapping delivers it."""
    lambda_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        for name, value in message_attributes.items()
    }
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": dict(attributes),
        "messageAttributes": lambda_attributes,
        "md5OfBody": hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Return an SQS batch event."""
    return {"Records": records}


def scheduler_event(*, schedule_name: str, region: str, now: datetime | None = None) -> dict[str, Any]:
    """Return the EventBridge-shaped event the template's schedules send to a function.

    EventBridge Scheduler sends the Input the template sets; the template fills it with the
    execution id, scheduled time and schedule ARN in the EventBridge event layout.
    """
    now = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:scheduler:{region}:{ACCOUNT_ID}:schedule/default/{schedule_name}"],
        "detail": {"attempt": "1"},
    }
