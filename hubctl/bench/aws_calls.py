"""Counting and timing every AWS API call that botocore makes, whichever session made the client.

Powertools' Parameters utility builds its own boto3 session, so hooking the default
session would miss its Secrets Manager reads. The recorder wraps
`botocore.session.Session.create_client` instead and registers event handlers on every
client created while it is installed. Clients created before `install()` are not seen.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
SQS_SENDS = frozenset({"SendMessage", "SendMessageBatch"})
SECRETS_READS = frozenset({"GetSecretValue", "BatchGetSecretValue"})


@dataclass
class CallTally:
    """Calls by (service, operation), with the thread CPU and wall time spent inside them."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def count(self, service: str, operations: frozenset[str]) -> int:
        return sum(
            number
            for (name, operation), number in self.calls.items()
            if name == service and operation in operations
        )

    @property
    def dynamodb_reads(self) -> int:
        return self.count("dynamodb", DYNAMODB_READS)

    @property
    def dynamodb_writes(self) -> int:
        return self.count("dynamodb", DYNAMODB_WRITES)

    @property
    def sqs_sends(self) -> int:
        return self.count("sqs", SQS_SENDS)

    @property
    def secrets_reads(self) -> int:
        return self.count("secretsmanager", SECRETS_READS)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class AwsCallRecorder:
    """Records the API calls of the thread that makes them, between `install()` and `uninstall()`.

    A call is timed from botocore's `provide-client-params` event, before it builds the
    request, to `after-call` or `after-call-error`. With moto in-process that time is the
    client's own work plus moto's emulation. `recording()` starts a fresh tally.
    """

    def __init__(self) -> None:
        self.tally = CallTally()
        self._original_create_client: Any = None
        self._local = threading.local()
        self._recording_thread: int | None = None

    def install(self) -> AwsCallRecorder:
        if self._original_create_client is not None:
            return self
        original = botocore.session.Session.create_client
        recorder = self

        def create_client(session: Any, *arguments: Any, **keywords: Any) -> Any:
            client = original(session, *arguments, **keywords)
            recorder._watch(client)
            return client

        self._original_create_client = original
        botocore.session.Session.create_client = create_client
        return self

    def uninstall(self) -> None:
        if self._original_create_client is not None:
            botocore.session.Session.create_client = self._original_create_client
            self._original_create_client = None

    @contextmanager
    def recording(self) -> Iterator[CallTally]:
        """Yield a fresh tally that counts the calls this thread makes inside the block."""
        self.tally = CallTally()
        self._recording_thread = threading.get_ident()
        try:
            yield self.tally
        finally:
            self._recording_thread = None

    def _watch(self, client: Any) -> None:
        events = client.meta.events
        events.register_first("provide-client-params", self._started)
        events.register_last("after-call", self._finished)
        events.register_last("after-call-error", self._finished)

    def _started(self, model: Any, **_: Any) -> None:
        if threading.get_ident() != self._recording_thread:
            return
        self._local.started = (time.thread_time(), time.perf_counter())
        self.tally.calls[(model.service_model.service_name, model.name)] += 1

    def _finished(self, **_: Any) -> None:
        started = getattr(self._local, "started", None)
        if started is None or threading.get_ident() != self._recording_thread:
            return
        self._local.started = None
        self.tally.cpu_seconds += time.thread_time() - started[0]
        self.tally.wall_seconds += time.perf_counter() - started[1]
