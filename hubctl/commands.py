"""The hubctl commands. Each takes the parsed arguments and returns the exit status."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from hubctl.deliveries import load_delivery

REPOSITORY = Path(__file__).resolve().parent.parent
DELIVERIES = REPOSITORY / "events" / "deliveries"


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(row[index])) for row in [header, *rows]) for index in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def demo(arguments: argparse.Namespace) -> int:
    """Replay the sample deliveries, run the order poll once and print what e-conomic received.

    Then play the warehouse flows through: orders to Ongoing WMS, shipments back as fulfillments,
    a change refused after picking, a cancellation, a return and stock levels.
    """
    from hub.models.bemakers import OrderStatus
    from hubctl.demo import DemoEnvironment, response_body
    from hubctl.sandboxes._http import loads_json
    from hubctl.warehouse_demo import run_warehouse_demo

    print(
        "Bemakers hub demo: webhooks → orders queue → order transfer → e-conomic and Ongoing WMS;"
        " shipments and stock back into Bemakers (loopback sandboxes, moto)\n"
    )
    with DemoEnvironment(log_level=arguments.log_level) as environment:
        environment.seed_bemakers_orders()
        deliveries = [load_delivery(path) for path in sorted(DELIVERIES.glob("*.json"))]

        print("1. Webhook deliveries (the first one three times, as an at-least-once sender may):")
        for delivery in [deliveries[0], deliveries[0], *deliveries]:
            response = environment.deliver(delivery)
            body = response_body(response)
            print(
                f"   {delivery.name:<45} HTTP {response['statusCode']}"
                f"  {body.get('status', body.get('error'))}"
            )

        drained = environment.hub.drain_queue()
        print(f"\n2. Order transfer: {drained.succeeded} messages processed in {drained.batches} batches")

        polled = environment.hub.run_schedule()
        drained = environment.hub.drain_queue()
        print(
            f"\n3. Order poll (reconciliation): {polled['orders_enqueued']} orders re-read from Bemakers,"
            f" {drained.succeeded} messages processed; versions already applied are skipped"
        )

        orders = {
            order["id"]: order
            for order in loads_json((REPOSITORY / "hubctl/demo_data/bemakers_orders.json").read_bytes())
        }
        reports = environment.order_report(orders)
        print("\n4. Result per order (ledger and e-conomic):")
        rows = []
        for report in reports:
            record = report.record
            documents = record.documents if record else {}
            rows.append(
                [
                    report.order_number,
                    report.status,
                    record.state.value if record else "-",
                    documents.get("customer_number", "-"),
                    documents.get("draft_invoice_number", "-"),
                    documents.get("booked_invoice_number", "-"),
                ]
            )
        _print_table(rows, ["order", "status", "transfer", "customer no.", "draft invoice", "booked invoice"])

        references = Counter(
            str(invoice.get("references", {}).get("other"))
            for invoice in environment.economic.booked_invoices.values()
        )
        duplicates = sorted(reference for reference, count in references.items() if count > 1)
        print(
            f"\n   e-conomic now holds {len(environment.economic.customers)} customers,"
            f" {len(environment.economic.products)} products,"
            f" {len(environment.economic.booked_invoices)} booked and"
            f" {len(environment.economic.draft_invoices)} draft invoices;"
            f" duplicate invoices: {len(duplicates)}"
        )

        warehouse_problems = run_warehouse_demo(environment, orders, _print_table)

    transferable = {OrderStatus.CONFIRMED.value, OrderStatus.COMPLETED.value}
    missing = [
        report.order_number
        for report in reports
        if report.status in transferable
        and (report.record is None or "booked_invoice_number" not in report.record.documents)
    ]
    if missing or duplicates:
        print(
            f"\nDemo FAILED: orders without an invoice: {missing}; duplicated references: {duplicates}",
            file=sys.stderr,
        )
        return 1
    if warehouse_problems:
        print(f"\nDemo FAILED: warehouse flows: {'; '.join(warehouse_problems)}", file=sys.stderr)
        return 1
    print("\nDemo finished: every confirmed or completed order has exactly one booked invoice.")
    print("Warehouse: each shipped parcel is one Bemakers fulfillment; only changed stock levels were sent.")
    return 0


def replay(arguments: argparse.Namespace) -> int:
    """Send delivery files through the local stack and report each one's answer and transfer."""
    from hubctl.demo import DemoEnvironment, response_body

    deliveries = [load_delivery(Path(name)) for name in arguments.files]
    report: dict[str, Any] = {"deliveries": [], "documents": []}
    with DemoEnvironment(log_level=arguments.log_level) as environment:
        environment.seed_bemakers_orders()
        for delivery in deliveries:
            response = environment.deliver(
                delivery, connection_id=arguments.connection, sign=not arguments.as_is
            )
            report["deliveries"].append(
                {"file": delivery.name, "status": response["statusCode"], "response": response_body(response)}
            )
        drained = environment.hub.drain_queue()
        report["queue"] = {
            "processed": drained.succeeded,
            "failed_attempts": drained.failed_attempts,
            "dead_lettered": drained.dead_lettered,
        }
        seen: dict[str, dict[str, Any]] = {}
        for delivery in deliveries:
            payload = delivery.payload
            data = payload.get("data") if isinstance(payload, dict) else None
            if isinstance(data, dict) and "id" in data and "number" in data:
                seen[str(data["id"])] = data
        for document in environment.order_report(seen):
            record = document.record
            report["documents"].append(
                {
                    "order_id": document.order_id,
                    "order_number": document.order_number,
                    "state": record.state.value if record else None,
                    "documents": record.documents if record else {},
                    "error": record.error.model_dump(exclude_none=True) if record and record.error else None,
                }
            )
        if arguments.dump_sandbox:
            directory = Path(arguments.dump_sandbox)
            environment.economic.dump(directory / "economic")
            environment.bemakers.dump(directory / "bemakers")

    if arguments.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    _print_table(
        [[item["file"], str(item["status"]), str(item["response"])] for item in report["deliveries"]],
        ["delivery", "HTTP", "response"],
    )
    print()
    _print_table(
        [
            [
                item["order_number"],
                str(item["state"]),
                json.dumps(item["documents"]),
                json.dumps(item["error"]) if item["error"] else "",
            ]
            for item in report["documents"]
        ],
        ["order", "transfer", "e-conomic documents", "error"],
    )
    return 0


def invoke(arguments: argparse.Namespace) -> int:
    """Invoke one function on one event file, with the demo environment around it."""
    from hubctl.deliveries import Delivery
    from hubctl.demo import DEMO_WEBHOOK_SECRET, DemoEnvironment
    from hubctl.local import (
        FULFILLMENT_FUNCTION,
        INVENTORY_FUNCTION,
        POLL_FUNCTION,
        TRANSFER_FUNCTION,
        WEBHOOK_FUNCTION,
    )

    aliases = {
        "webhook": WEBHOOK_FUNCTION,
        "order_transfer": TRANSFER_FUNCTION,
        "order_poll": POLL_FUNCTION,
        "fulfillment_import": FULFILLMENT_FUNCTION,
        "inventory_import": INVENTORY_FUNCTION,
    }
    function = aliases.get(arguments.function, arguments.function)
    event = json.loads(Path(arguments.event).read_text(encoding="utf-8"))
    with DemoEnvironment(log_level=arguments.log_level, metrics=True) as environment:
        environment.seed_bemakers_orders()
        if function not in environment.hub.resources.functions():  # type: ignore[union-attr]
            known = ", ".join(sorted(environment.hub.resources.functions()))  # type: ignore[union-attr]
            print(f"unknown function {arguments.function!r}; the template has: {known}", file=sys.stderr)
            return 2
        headers = event.get("headers") or {}
        if function == WEBHOOK_FUNCTION and not arguments.no_resign and "x-bemakers-signature" in headers:
            # The sample's signature is older than the 5-minute window, so sign it afresh.
            signed = Delivery("event", headers, event["body"].encode("utf-8")).signed(DEMO_WEBHOOK_SECRET)
            event["headers"] = {name.lower(): value for name, value in signed.headers.items()}
        result = environment.hub.invoke(function, event)
    print(json.dumps(result, indent=2, default=str))
    return 0


def connections_apply(arguments: argparse.Namespace) -> int:
    """Validate a connections file and write it to the connections table."""
    import boto3

    from hub.aws import reset_clients
    from hub.connections import ConnectionStore
    from hubctl.connections_file import ConnectionsFileError, apply_connections, load_connections_file

    try:
        parsed = load_connections_file(
            Path(arguments.file), secrets_prefix=os.environ.get("SECRETS_PREFIX", "bemakers-hub/")
        )
    except (ConnectionsFileError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if arguments.dry_run:
        print(f"{arguments.file}: valid; {len(parsed.connections)} connections")
        return 0
    table = arguments.table or os.environ.get("CONNECTIONS_TABLE")
    if not table:
        print(
            "error: name the connections table with --table or $CONNECTIONS_TABLE (a stack output)",
            file=sys.stderr,
        )
        return 1
    if arguments.region:
        os.environ["AWS_DEFAULT_REGION"] = arguments.region
    if arguments.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = arguments.endpoint_url
    reset_clients()

    secrets = boto3.client("secretsmanager")
    missing = []
    for connection in parsed.connections:
        for name in connection.secret_names():
            try:
                secrets.describe_secret(SecretId=name)
            except secrets.exceptions.ResourceNotFoundException:
                missing.append(name)
    applied = apply_connections(parsed, ConnectionStore(table))
    print(f"applied {len(applied)} connections to {table}: {', '.join(applied)}")
    if missing:
        print(
            f"warning: these secrets do not exist yet in Secrets Manager: {', '.join(missing)}",
            file=sys.stderr,
        )
    return 0
