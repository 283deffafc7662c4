"""The hub's functions on moto, with AWS-shaped events: what `hubctl` and the tests run.

`LocalHub` reads template.yaml, creates its tables and queues on moto, sets each
function's environment as the template does, and invokes the real handlers in
functions/<flow>/app.py. It replaces API Gateway (webhook deliveries), the SQS event
source mapping (batches, partial failures, redelivery, DLQ) and EventBridge Scheduler.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from hubctl import events
from hubctl.local_stack import LocalResources, create_local_resources, load_template

REPOSITORY = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
WEBHOOK_FUNCTION = "WebhookFunction"
TRANSFER_FUNCTION = "OrderTransferFunction"
POLL_FUNCTION = "OrderPollFunction"
CREDIT_NOTE_FUNCTION = "CreditNoteTransferFunction"
FULFILLMENT_FUNCTION = "FulfillmentImportFunction"
INVENTORY_FUNCTION = "InventoryImportFunction"
PRODUCT_IMPORT_FUNCTION = "ProductImportFunction"

_LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{events.ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


@dataclass(frozen=True)
class DrainReport:
    """What one run of the local event source mapping did."""

    batches: int
    succeeded: int
    failed_attempts: int
    dead_lettered: int
    crashed_invocations: int = 0


class LocalHub:
    """The stack on moto. Use as a context manager; `stop()` ends the moto session.

    Moto runs in this process unless `aws_endpoint_url` names a moto server, which must be
    fresh because the template's tables are created on it.
    """

    def __init__(
        self,
        template_path: Path = REPOSITORY / "template.yaml",
        *,
        log_level: str = "WARNING",
        metrics: bool = True,
        aws_endpoint_url: str | None = None,
    ) -> None:
        self._template_path = template_path
        self._log_level = log_level
        self._metrics = metrics
        self._aws_endpoint_url = aws_endpoint_url
        self._mock: Any = None
        self._saved_environment: dict[str, str | None] = {}
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self.resources: LocalResources | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> LocalHub:
        self._set_environment(
            _LOCAL_ENVIRONMENT
            | {
                "POWERTOOLS_LOG_LEVEL": self._log_level,
                # Metrics print as EMF JSON on stdout, as in Lambda; the demo turns them off.
                "POWERTOOLS_METRICS_DISABLED": "false" if self._metrics else "true",
            }
        )
        if self._aws_endpoint_url is None:
            self._mock = mock_aws()
            self._mock.start()
        else:
            self._set_environment({"AWS_ENDPOINT_URL": self._aws_endpoint_url})
        self.resources = create_local_resources(load_template(self._template_path), region=REGION)
        environment: dict[str, str] = {}
        for logical_id in self.resources.functions():
            environment |= self.resources.function_environment(logical_id)
        environment["POWERTOOLS_LOG_LEVEL"] = self._log_level
        self._set_environment(environment)

        from hub.observability import logger
        from hub.runtime import reset_runtime

        # The logger may have been created before this environment was set.
        logger.setLevel(self._log_level)
        reset_runtime()
        return self

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()
        from hub.runtime import reset_runtime

        reset_runtime()

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _set_environment(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    @property
    def _resources(self) -> LocalResources:
        if self.resources is None:
            raise RuntimeError("the local hub has not been started")
        return self.resources

    # -- AWS resources ------------------------------------------------------------------------

    def put_secret(self, name: str, value: Mapping[str, Any]) -> None:
        """Create or replace a JSON secret in Secrets Manager."""
        client = boto3.client("secretsmanager", region_name=REGION)
        try:
            client.create_secret(Name=name, SecretString=json.dumps(value))
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=json.dumps(value))

    def queue_url(self, logical_id: str) -> str:
        return self._resources.queue_urls[logical_id]

    def topic_arn(self, logical_id: str) -> str:
        return self._resources.topic_arns[logical_id]

    def subscribe_queue(self, topic_logical_id: str) -> str:
        """Subscribe a new queue to the topic, with raw delivery, and return the queue's URL.

        Stands in for an e-mail or HTTPS subscriber, so tests and the demo can read what the
        topic sent.
        """
        sqs = boto3.client("sqs", region_name=REGION)
        name = f"{self._resources.prefix}-{topic_logical_id}-subscriber-{uuid.uuid4().hex[:8]}"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns", region_name=REGION).subscribe(
            TopicArn=self.topic_arn(topic_logical_id),
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        return str(url)

    def queue_depth(self, logical_id: str) -> int:
        """Return the number of messages in a queue, visible or in flight."""
        attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
            QueueUrl=self.queue_url(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    # -- functions ----------------------------------------------------------------------------

    def handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        """Import the function's handler from functions/<flow>/app.py, once, as Lambda would."""
        if logical_id not in self._handlers:
            spec = self._resources.functions()[logical_id]
            module_name, _, attribute = spec.handler.rpartition(".")
            path = REPOSITORY / spec.code_uri / f"{module_name.replace('.', '/')}.py"
            module = _load_module(f"hub_function_{logical_id}", path)
            self._handlers[logical_id] = getattr(module, attribute)
        return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke one function with one event and return what the handler returned."""
        spec = self._resources.functions()[logical_id]
        memory = self._resources.template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
        context = LambdaContext(
            function_name=logical_id, memory_limit_in_mb=int(memory), timeout_seconds=spec.timeout
        )
        return self.handler(logical_id)(event, context)

    # -- triggers -----------------------------------------------------------------------------

    def deliver_webhook(self, connection_id: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Send one webhook delivery through the HTTP API route to the webhook function."""
        response: dict[str, Any] = self.invoke(WEBHOOK_FUNCTION, webhook_event(connection_id, headers, body))
        return response

    def deliver_ongoing_webhook(
        self, connection_id: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """Send one Ongoing webhook through the HTTP API route to the fulfillment import function."""
        event = events.http_api_event(
            route_key="POST /webhooks/ongoing/{connection_id}",
            raw_path=f"/webhooks/ongoing/{connection_id}",
            path_parameters={"connection_id": connection_id},
            headers=headers,
            body=body,
            region=REGION,
        )
        response: dict[str, Any] = self.invoke(FULFILLMENT_FUNCTION, event)
        return response

    def deliver_zettle_webhook(
        self, connection_id: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """Send one Zettle webhook through the HTTP API route to the inventory import function."""
        event = events.http_api_event(
            route_key="POST /webhooks/zettle/{connection_id}",
            raw_path=f"/webhooks/zettle/{connection_id}",
            path_parameters={"connection_id": connection_id},
            headers=headers,
            body=body,
            region=REGION,
        )
        response: dict[str, Any] = self.invoke(INVENTORY_FUNCTION, event)
        return response

    def run_schedule(self, logical_id: str = POLL_FUNCTION, *, now: datetime | None = None) -> Any:
        """Invoke a scheduled function once, as EventBridge Scheduler would."""
        return self.invoke(
            logical_id, events.scheduler_event(schedule_name=logical_id, region=REGION, now=now)
        )

    def drain_queue(
        self,
        queue_logical_id: str = "OrdersQueue",
        *,
        max_batches: int = 200,
        crashes: tuple[type[BaseException], ...] = (),
        on_crash: Callable[[BaseException], None] | None = None,
    ) -> DrainReport:
        """Run the queue's consumer until the queue is empty, as the SQS event source mapping would.

        Failed records are made visible again at once instead of after the visibility timeout,
        so a message that keeps failing reaches the DLQ through the queue's own redrive policy.
        An exception of a type in `crashes` stands for the function's process dying: the whole
        batch comes back, and `on_crash` runs first (to let the time pass that the visibility
        timeout would).
        """
        function_id, batch_size = self._consumer_of(queue_logical_id)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = self.queue_url(queue_logical_id)
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        dead_letter_before = self._dead_letter_depth(queue_logical_id)
        batches = succeeded = failed = crashed = 0
        for _ in range(max_batches):
            received = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=batch_size,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            batches += 1
            records = [
                events.sqs_record(
                    message_id=message["MessageId"],
                    receipt_handle=message["ReceiptHandle"],
                    body=message["Body"],
                    queue_arn=queue_arn,
                    region=REGION,
                    attributes=message.get("Attributes", {}),
                    message_attributes=message.get("MessageAttributes", {}),
                )
                for message in received
            ]
            try:
                response = self.invoke(function_id, events.sqs_event(records)) or {}
                failed_ids = {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}
            except Exception:  # noqa: BLE001 - as in Lambda, a failed invocation returns the whole batch
                failed_ids = {message["MessageId"] for message in received}
            except crashes as crash:
                crashed += 1
                if on_crash is not None:
                    on_crash(crash)
                failed_ids = {message["MessageId"] for message in received}
            done: list[dict[str, str]] = []
            for message in received:
                if message["MessageId"] in failed_ids:
                    failed += 1
                    sqs.change_message_visibility(
                        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    done.append({"Id": str(len(done)), "ReceiptHandle": message["ReceiptHandle"]})
            if done:
                # One call deletes every processed message of the batch.
                deleted = sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
                if deleted.get("Failed"):
                    raise RuntimeError(f"SQS did not delete processed messages: {deleted['Failed']}")
                succeeded += len(done)
        return DrainReport(
            batches=batches,
            succeeded=succeeded,
            failed_attempts=failed,
            dead_lettered=self._dead_letter_depth(queue_logical_id) - dead_letter_before,
            crashed_invocations=crashed,
        )

    def _consumer_of(self, queue_logical_id: str) -> tuple[str, int]:
        for logical_id, spec in self._resources.functions().items():
            for event in spec.sqs_events:
                if event.queue == queue_logical_id:
                    return logical_id, event.batch_size
        raise LookupError(f"no function in the template consumes {queue_logical_id}")

    def dead_letter_queue_of(self, queue_logical_id: str) -> str | None:
        """Return the logical id of the queue's dead-letter queue, from its redrive policy."""
        attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
            QueueUrl=self.queue_url(queue_logical_id), AttributeNames=["RedrivePolicy"]
        )["Attributes"]
        if "RedrivePolicy" not in attributes:
            return None
        target = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
        return next(logical for logical, arn in self._resources.queue_arns.items() if arn == target)

    def _dead_letter_depth(self, queue_logical_id: str) -> int:
        dead_letter = self.dead_letter_queue_of(queue_logical_id)
        return self.queue_depth(dead_letter) if dead_letter else 0


def webhook_event(connection_id: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """Return the HTTP API event of one webhook delivery, as API Gateway passes it to the webhook function."""
    return events.http_api_event(
        route_key="POST /webhooks/bemakers/{connection_id}",
        raw_path=f"/webhooks/bemakers/{connection_id}",
        path_parameters={"connection_id": connection_id},
        headers=headers,
        body=body,
        region=REGION,
    )


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a handler from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def utc_now() -> datetime:
    return datetime.now(UTC)
