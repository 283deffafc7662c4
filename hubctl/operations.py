"""Operator commands: `status`, `log`, `replay-order` and `redrive`.

Each reads or changes the stack's own tables and queues. On AWS or a moto server, the names
come from options, the environment or the stack outputs, with `--region` and `--endpoint-url`.
With `--local` they come from a local stack that first runs the sample deliveries.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.ledger import OPEN_FAILURE_STATES, Ledger, TransferLogEntry, TransferRecord

if TYPE_CHECKING:
    from hubctl.local import LocalHub

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
LOCAL_REJECTED_ORDER = "ord_9001"
LOCAL_DEAD_LETTERED_ORDER = "ord_9002"


@dataclass(frozen=True)
class StackNames:
    """The physical names the commands need; any may be missing when a command does not use it."""

    ledger_table: str | None
    connections_table: str | None
    orders_queue_url: str | None
    local_hub: LocalHub | None = None
    """With --local, the running local stack, so replay and redrive can process the queue."""


# ---------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------


def add_operations_commands(subcommands: Any) -> None:
    """Add the operator commands to hubctl's subcommand parser."""
    status = subcommands.add_parser(
        "status", help="show one order's transfer state and journey across targets"
    )
    status.add_argument("order", help="Bemakers order id, e.g. ord_1001")
    status.add_argument("--connection", help="connection id (default: every connection that has the order)")
    status.add_argument("--kind", default="order", help="document kind: order or credit_note (default order)")
    _add_stack_options(status, ledger=True, connections=True)
    status.set_defaults(run=status_command)

    log = subcommands.add_parser("log", help="list a connection's transfer steps in a time window")
    log.add_argument("connection", help="connection id")
    log.add_argument(
        "--since", default="1h", help="start: a duration back from now (30m, 1h, 2d) or an ISO time"
    )
    log.add_argument("--until", help="end: a duration back from now or an ISO time (default: now)")
    log.add_argument("--failed", action="store_true", help="only steps that failed or will be retried")
    log.add_argument("--target", help="only steps of this target, e.g. economic")
    log.add_argument("--flow", help="only steps of this flow (document kind), e.g. order")
    log.add_argument("--limit", type=int, default=500, help="list at most this many steps (default 500)")
    _add_stack_options(log, ledger=True)
    log.set_defaults(run=log_command)

    replay = subcommands.add_parser(
        "replay-order", help="read an order from Bemakers again and queue its transfer, applied or not"
    )
    replay.add_argument("connection", help="connection id")
    replay.add_argument("order", help="Bemakers order id")
    replay.add_argument("--target", action="append", help="transfer only to this target; repeat for more")
    _add_stack_options(replay, connections=True, queue=True)
    replay.set_defaults(run=replay_order_command)

    redrive = subcommands.add_parser(
        "redrive", help="move a dead-letter queue's messages back to their source queue"
    )
    redrive.add_argument(
        "queue",
        help="dead-letter queue URL, ARN or name; with --local also a logical id (OrdersDeadLetterQueue)",
    )
    redrive.add_argument(
        "--no-wait", action="store_true", help="start the move task and return without waiting for it"
    )
    _add_stack_options(redrive)
    redrive.set_defaults(run=redrive_command)

    faults = subcommands.add_parser(
        "faults", help="run the fault suite: many orders through the local stack under injected faults"
    )
    faults.add_argument("--orders", type=int, default=2000, help="orders to send (default 2000)")
    faults.add_argument("--seed", type=int, default=20261204, help="seed of every random choice")
    faults.add_argument("--connections", type=int, default=16, help="connections the orders are spread over")
    faults.add_argument(
        "--workers", type=int, default=4, help="processes, each a local stack with its own connections"
    )
    faults.add_argument("--fault-rate", type=float, default=0.2, help="share of target calls that fail")
    faults.add_argument(
        "--crash-rate", type=float, default=0.03, help="share of ledger writes the function crashes before"
    )
    faults.set_defaults(run=faults_command)


def _add_stack_options(
    parser: argparse.ArgumentParser, *, ledger: bool = False, connections: bool = False, queue: bool = False
) -> None:
    if ledger:
        parser.add_argument(
            "--table", help="ledger table name (default: $LEDGER_TABLE; stack output LedgerTableName)"
        )
    if connections:
        parser.add_argument(
            "--connections-table",
            help="connections table name (default: $CONNECTIONS_TABLE; stack output ConnectionsTableName)",
        )
    if queue:
        parser.add_argument(
            "--queue-url", help="orders queue URL (default: $ORDERS_QUEUE_URL; stack output OrdersQueueUrl)"
        )
    parser.add_argument("--region", help="AWS region (default: the AWS SDK's configured region)")
    parser.add_argument("--endpoint-url", help="AWS endpoint URL, e.g. a moto server on loopback")
    parser.add_argument(
        "--local",
        action="store_true",
        help="run the sample deliveries on a local stack first (one order rejected, one dead-lettered)",
    )
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")


# ---------------------------------------------------------------------------------------------
# Where the commands run
# ---------------------------------------------------------------------------------------------


@contextmanager
def _stack(arguments: argparse.Namespace) -> Iterator[StackNames]:
    if arguments.local:
        with _local_stack() as names:
            yield names
        return

    from hub.aws import reset_clients
    from hub.secrets import clear_cache

    if arguments.region:
        os.environ["AWS_DEFAULT_REGION"] = arguments.region
    if arguments.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = arguments.endpoint_url
    reset_clients()
    clear_cache()
    yield StackNames(
        ledger_table=getattr(arguments, "table", None) or os.environ.get("LEDGER_TABLE"),
        connections_table=getattr(arguments, "connections_table", None)
        or os.environ.get("CONNECTIONS_TABLE"),
        orders_queue_url=getattr(arguments, "queue_url", None) or os.environ.get("ORDERS_QUEUE_URL"),
    )


@contextmanager
def _local_stack() -> Iterator[StackNames]:
    """Run the sample deliveries on the local stack, with one rejected and one dead-lettered order."""
    from hubctl.commands import DELIVERIES
    from hubctl.deliveries import Delivery, load_delivery
    from hubctl.demo import DemoEnvironment
    from hubctl.sandboxes._http import dumps_json

    # CRITICAL keeps the functions' expected warnings (the rejection, the retries) off the output.
    with DemoEnvironment(log_level="CRITICAL") as environment:
        environment.seed_bemakers_orders()
        deliveries = [load_delivery(path) for path in sorted(DELIVERIES.glob("*.json"))]
        for delivery in deliveries:
            environment.deliver(delivery)
        environment.hub.drain_queue()

        template = json.loads(deliveries[0].body)
        for order_id, updated_at in (
            (LOCAL_REJECTED_ORDER, "2026-12-04T09:00:00Z"),
            (LOCAL_DEAD_LETTERED_ORDER, "2026-12-04T09:05:00Z"),
        ):
            order = {**template["data"], "id": order_id, "number": order_id[4:], "updated_at": updated_at}
            environment.bemakers.put_order(order)
            body = {**template, "id": f"dlv_{order_id}", "data": order}
            environment.deliver(
                Delivery(order_id, {"X-Bemakers-Delivery": f"dlv_{order_id}"}, dumps_json(body).encode())
            )
            if order_id == LOCAL_REJECTED_ORDER:
                environment.configure_economic(layout=999)  # e-conomic rejects the order: failed
                environment.hub.drain_queue()
                environment.configure_economic(layout=19)
            else:
                # An outage that outlasts the queue's 5 receives, so the message ends in the DLQ.
                environment.economic.inject_fault("POST", "/invoices/drafts", "http_503", times=5)
                environment.hub.drain_queue()

        resources = environment.hub.resources
        assert resources is not None
        yield StackNames(
            ledger_table=resources.table_names["LedgerTable"],
            connections_table=resources.table_names["ConnectionsTable"],
            orders_queue_url=resources.queue_urls["OrdersQueue"],
            local_hub=environment.hub,
        )


def _require(value: str | None, what: str, option: str, variable: str, output: str) -> str:
    if not value:
        raise _UsageError(f"name the {what} with {option} or ${variable} (stack output {output})")
    return value


class _UsageError(Exception):
    pass


def _ledger(names: StackNames) -> Ledger:
    table = _require(names.ledger_table, "ledger table", "--table", "LEDGER_TABLE", "LedgerTableName")
    # The TTL only matters for writes, and these commands only read.
    return Ledger(table, log_ttl_days=1)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------------------------


def status_command(arguments: argparse.Namespace) -> int:
    """Print an order's state per target and every logged step, per connection that has it."""
    try:
        with _stack(arguments) as names:
            ledger = _ledger(names)
            connections = [arguments.connection] if arguments.connection else _connection_ids(names)
            found = {
                connection_id: (
                    ledger.states(connection_id, arguments.kind, arguments.order),
                    ledger.journey(connection_id, arguments.kind, arguments.order),
                )
                for connection_id in connections
            }
    except _UsageError as error:
        return _fail(str(error))
    found = {connection_id: value for connection_id, value in found.items() if value[0] or value[1]}
    if not found:
        return _fail(
            f"no transfer of {arguments.kind} {arguments.order} in connections {', '.join(connections)}"
        )

    if arguments.json:
        print(
            json.dumps(
                [
                    {
                        "connection_id": connection_id,
                        "targets": [record.model_dump(mode="json") for record in states],
                        "journey": [entry.model_dump(mode="json") for entry in journey],
                    }
                    for connection_id, (states, journey) in found.items()
                ],
                indent=2,
            )
        )
        return 0
    for connection_id, (states, journey) in found.items():
        print(f"{arguments.kind} {arguments.order}, connection {connection_id}\n")
        _print_table(
            [
                [
                    record.target,
                    record.state.value,
                    str(record.version),
                    str(record.applied_version or "-"),
                    str(record.attempts),
                    _documents(record.documents),
                    record.updated_at,
                    _error_text(record),
                ]
                for record in states
            ],
            ["target", "state", "version", "applied", "attempts", "documents", "updated", "error"],
        )
        print("\njourney, oldest first:")
        _print_journey(journey, with_document=False)
        print()
    return 0


def _connection_ids(names: StackNames) -> list[str]:
    from hub.connections import ConnectionStore

    table = _require(
        names.connections_table,
        "connections table (or give --connection)",
        "--connections-table",
        "CONNECTIONS_TABLE",
        "ConnectionsTableName",
    )
    return sorted(connection.connection_id for connection in ConnectionStore(table).list())


# ---------------------------------------------------------------------------------------------
# log
# ---------------------------------------------------------------------------------------------


def parse_time(text: str, now: datetime) -> datetime:
    """Read `30m`, `1h`, `2d` (that long before `now`) or an ISO 8601 time (UTC when it has no offset)."""
    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(f"{text!r} is neither a duration (30m, 1h, 2d) nor an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def log_command(arguments: argparse.Namespace) -> int:
    """Print a connection's transfer steps between --since and --until, filtered."""
    now = datetime.now(UTC)
    try:
        since = parse_time(arguments.since, now)
        until = parse_time(arguments.until, now) if arguments.until else None
        with _stack(arguments) as names:
            entries = []
            for entry in _ledger(names).connection_log(arguments.connection, since=since, until=until):
                if arguments.failed and entry.state not in OPEN_FAILURE_STATES:
                    continue
                if arguments.target and entry.target != arguments.target:
                    continue
                if arguments.flow and entry.kind != arguments.flow:
                    continue
                entries.append(entry)
                if len(entries) >= arguments.limit:
                    break
    except _UsageError as error:
        return _fail(str(error))

    if arguments.json:
        print(json.dumps([entry.model_dump(mode="json") for entry in entries], indent=2))
        return 0
    window = f"{since.isoformat()} to {until.isoformat() if until else 'now'}"
    kind = "failed or retried steps" if arguments.failed else "steps"
    print(f"connection {arguments.connection}: {len(entries)} {kind}, {window}\n")
    _print_journey(entries, with_document=True)
    return 0


# ---------------------------------------------------------------------------------------------
# replay-order
# ---------------------------------------------------------------------------------------------


def replay_order_command(arguments: argparse.Namespace) -> int:
    """Queue a replay of the order; with --local, also run it and print the order's journey."""
    from hub.connections import ConnectionStore
    from hub.errors import ConfigurationError, ConnectionNotFound, TargetError
    from hub.flows.replay import replay_order

    try:
        with _stack(arguments) as names:
            table = _require(
                names.connections_table, "connections table", "--connections-table", "CONNECTIONS_TABLE",
                "ConnectionsTableName",
            )  # fmt: skip
            queue_url = _require(
                names.orders_queue_url, "orders queue", "--queue-url", "ORDERS_QUEUE_URL", "OrdersQueueUrl"
            )
            message = replay_order(
                ConnectionStore(table),
                queue_url,
                arguments.connection,
                arguments.order,
                targets=arguments.target,
            )
            journey: list[TransferLogEntry] = []
            if names.local_hub is not None:
                names.local_hub.drain_queue()
                journey = _ledger(names).journey(arguments.connection, "order", arguments.order)
    except (_UsageError, ConfigurationError, ConnectionNotFound, TargetError) as error:
        return _fail(str(error))

    report = {
        "connection_id": message.connection_id,
        "order_id": message.document_id,
        "version": message.version,
        "targets": message.targets or "all",
        "queued": True,
    }
    if arguments.json:
        print(
            json.dumps({**report, "journey": [entry.model_dump(mode="json") for entry in journey]}, indent=2)
        )
        return 0
    targets = ", ".join(message.targets) if message.targets else "every target"
    print(f"queued a replay of order {message.document_id} (version {message.version}) for {targets}")
    if journey:
        print("\njourney on the local stack, oldest first:")
        _print_journey(journey, with_document=False)
    return 0


# ---------------------------------------------------------------------------------------------
# redrive
# ---------------------------------------------------------------------------------------------


def redrive_command(arguments: argparse.Namespace) -> int:
    """Move a dead-letter queue's messages back and print how many moved."""
    import boto3

    from hubctl.redrive import RedriveError, redrive, resolve_queue_url

    try:
        with _stack(arguments) as names:
            sqs = boto3.client("sqs")
            queue = arguments.queue
            local = names.local_hub
            if local is not None and local.resources is not None:
                queue = local.resources.queue_urls.get(queue, queue)
            result = redrive(sqs, resolve_queue_url(sqs, queue), wait=not arguments.no_wait)
            drained = local.drain_queue() if local is not None else None
    except (_UsageError, RedriveError) as error:
        return _fail(str(error))

    report = {
        "method": result.method,
        "dead_letter_queue_url": result.dead_letter_queue_url,
        "source_queue_urls": result.source_queue_urls,
        "moved": result.moved,
        "not_moved": result.not_moved,
        "status": result.status,
    }
    if drained is not None:
        report["transferred_after_redrive"] = drained.succeeded
    if arguments.json:
        print(json.dumps(report, indent=2))
        return 0
    how = "SQS message move task" if result.method == "message_move_task" else "receive, re-send and delete"
    sources = ", ".join(result.source_queue_urls)
    print(f"moved {result.moved} messages back to {sources} ({how}, {result.status})")
    if result.not_moved:
        print(
            f"{result.not_moved} messages were not accepted and stay in the dead-letter queue",
            file=sys.stderr,
        )
    if drained is not None:
        print(f"the local stack then processed {drained.succeeded} messages")
    return 0


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    from hubctl.commands import _print_table as print_table

    print_table(rows, header)


def _print_journey(entries: list[TransferLogEntry], *, with_document: bool) -> None:
    header = [
        "time",
        *(["flow", "document"] if with_document else []),
        "target",
        "state",
        "version",
        "ms",
        "documents / error",
    ]
    rows = [
        [
            entry.logged_at,
            *([entry.kind, entry.document_id] if with_document else []),
            entry.target,
            entry.state.value,
            str(entry.version),
            str(entry.duration_ms) if entry.duration_ms is not None else "",
            _error_text(entry) or _documents(entry.documents),
        ]
        for entry in entries
    ]
    _print_table(rows, header)


def _documents(documents: dict[str, str]) -> str:
    return " ".join(f"{name}={value}" for name, value in sorted(documents.items())) or "-"


def _error_text(record: TransferRecord | TransferLogEntry) -> str:
    error = record.error
    if error is None:
        return ""
    details = ", ".join(
        detail
        for detail in (f"HTTP {error.status}" if error.status else None, error.code, error.field)
        if detail
    )
    return f"{error.message} ({details})" if details else error.message


# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------


def faults_command(arguments: argparse.Namespace) -> int:
    """Run the fault suite, print its counts and return 1 when a check failed."""
    from hubctl.fault_suite import FaultSuiteSettings, run_fault_suite

    settings = FaultSuiteSettings(
        orders=arguments.orders,
        seed=arguments.seed,
        connections=arguments.connections,
        fault_rate=arguments.fault_rate,
        crash_rate=arguments.crash_rate,
        workers=arguments.workers,
    )
    report = run_fault_suite(settings)
    print("\n".join(report.lines()))
    return 0 if report.passed else 1
