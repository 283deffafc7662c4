"""The hubctl commands. Each takes the parsed arguments and returns the exit status."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubctl.deliveries import load_delivery

if TYPE_CHECKING:
    from hubctl.demo import DemoEnvironment

REPOSITORY = Path(__file__).resolve().parent.parent
DELIVERIES = REPOSITORY / "events" / "deliveries"


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(row[index])) for row in [header, *rows]) for index in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def demo(arguments: argparse.Namespace) -> int:
    """Replay the sample deliveries, run the poll once and check what e-conomic received."""
    from hubctl.demo import DemoEnvironment

    print(
        "Bemakers hub demo: webhooks → queues → transfer functions → e-conomic (loopback sandboxes, moto)\n"
    )
    with DemoEnvironment(log_level=arguments.log_level) as environment:
        environment.seed_bemakers_orders()
        environment.seed_bemakers_credit_notes()
        _demo_deliveries(environment)
        _demo_poll(environment)
        orders = _demo_documents(REPOSITORY / "hubctl/demo_data/bemakers_orders.json")
        credit_notes = _demo_documents(REPOSITORY / "hubctl/demo_data/bemakers_credit_notes.json")
        _print_order_results(environment, orders)
        _print_credit_note_results(environment, credit_notes)
        problems = _demo_problems(environment, orders, credit_notes)

    if problems:
        print("\nDemo FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(
        "\nDemo finished: each order has exactly one invoice whose total matches the order to the øre,"
        " the cancelled order has none, and the refund is one credit note against the booked invoice."
    )
    return 0


def _demo_documents(path: Path) -> dict[str, dict[str, Any]]:
    from hubctl.sandboxes._http import loads_json

    return {document["id"]: document for document in loads_json(path.read_bytes())}


def _demo_deliveries(environment: DemoEnvironment) -> None:
    from hubctl.demo import response_body

    deliveries = [load_delivery(path) for path in sorted(DELIVERIES.glob("*.json"))]
    print("1. Webhook deliveries (the first one three times, as an at-least-once sender may):")
    for delivery in [deliveries[0], deliveries[0], *deliveries]:
        response = environment.deliver(delivery)
        body = response_body(response)
        outcome = body.get("status", body.get("error"))
        print(f"   {delivery.name:<45} HTTP {response['statusCode']}  {outcome}")
    orders = environment.hub.drain_queue("OrdersQueue")
    credit_notes = environment.hub.drain_queue("CreditNotesQueue")
    print(
        f"\n2. Transfer: {orders.succeeded} order messages and {credit_notes.succeeded} credit note"
        " messages processed"
    )


def _demo_poll(environment: DemoEnvironment) -> None:
    polled = environment.hub.run_schedule()
    orders = environment.hub.drain_queue("OrdersQueue")
    credit_notes = environment.hub.drain_queue("CreditNotesQueue")
    print(
        f"\n3. Poll (reconciliation): {polled['orders_enqueued']} orders and"
        f" {polled['credit_notes_enqueued']} credit notes read again from Bemakers;"
        f" {orders.succeeded + credit_notes.succeeded} messages processed. Order 1005 never had a"
        " webhook: the poll brings it in. Versions already applied are skipped."
    )


def _print_order_results(environment: DemoEnvironment, orders: dict[str, dict[str, Any]]) -> None:
    print("\n4. Orders (ledger and e-conomic):")
    rows = []
    for report in environment.order_report(orders):
        record = report.record
        documents = record.documents if record else {}
        invoice = _invoice_for(environment, f"bemakers-order:{report.order_id}")
        rows.append(
            [
                report.order_number,
                report.status,
                record.state.value if record else "-",
                documents.get("customer_number", "-"),
                documents.get("draft_invoice_number", "-"),
                documents.get("booked_invoice_number", "-"),
                str(invoice["grossAmount"]) if invoice else "-",
                documents.get("rounding", ""),
            ]
        )
    _print_table(
        rows,
        ["order", "status", "transfer", "customer no.", "draft", "booked", "invoice total", "rounding"],
    )


def _print_credit_note_results(environment: DemoEnvironment, credit_notes: dict[str, dict[str, Any]]) -> None:
    print("\n5. Credit notes:")
    rows = []
    for report in environment.order_report(credit_notes, kind="credit_note"):
        record = report.record
        documents = record.documents if record else {}
        invoice = _invoice_for(environment, f"bemakers-credit-note:{report.order_id}")
        rows.append(
            [
                report.order_number,
                record.state.value if record else "-",
                documents.get("credited_invoice_number", "-"),
                documents.get("booked_invoice_number", "-"),
                str(invoice["grossAmount"]) if invoice else "-",
            ]
        )
    _print_table(rows, ["credit note", "transfer", "credits invoice", "booked as", "total"])
    economic = environment.economic
    print(
        f"\n   e-conomic now holds {len(economic.customers)} customers, {len(economic.products)} products,"
        f" {len(economic.booked_invoices)} booked and {len(economic.draft_invoices)} draft invoices"
    )


def _invoice_for(environment: DemoEnvironment, reference: str) -> dict[str, Any] | None:
    invoices = [
        *environment.economic.draft_invoices.values(),
        *environment.economic.booked_invoices.values(),
    ]
    matching = [invoice for invoice in invoices if invoice.get("references", {}).get("other") == reference]
    return matching[0] if len(matching) == 1 else None


def _demo_problems(
    environment: DemoEnvironment, orders: dict[str, dict[str, Any]], credit_notes: dict[str, dict[str, Any]]
) -> list[str]:
    """Check the demo's outcome: one invoice per transferable order, totals to the øre, no duplicates."""
    invoices = [*environment.economic.draft_invoices.values(), *environment.economic.booked_invoices.values()]
    references = Counter(str(invoice.get("references", {}).get("other")) for invoice in invoices)
    problems = [
        f"{count} invoices reference {reference}" for reference, count in references.items() if count > 1
    ]
    for order_id, order in orders.items():
        invoice = _invoice_for(environment, f"bemakers-order:{order_id}")
        if order["status"] == "cancelled":
            if references[f"bemakers-order:{order_id}"]:
                problems.append(f"cancelled order {order['number']} still has an invoice")
        elif order["status"] in ("confirmed", "completed"):
            if invoice is None:
                problems.append(f"order {order['number']} has no invoice")
            elif Decimal(str(invoice["grossAmount"])) != Decimal(str(order["totals"]["total_incl_vat"])):
                problems.append(
                    f"order {order['number']}: invoice total {invoice['grossAmount']}"
                    f" is not the order total {order['totals']['total_incl_vat']}"
                )
    for credit_note_id, credit_note in credit_notes.items():
        invoice = _invoice_for(environment, f"bemakers-credit-note:{credit_note_id}")
        if invoice is None or "bookedInvoiceNumber" not in invoice:
            problems.append(f"credit note {credit_note['number']} is not one booked invoice")
        elif Decimal(str(invoice["grossAmount"])) != -Decimal(str(credit_note["totals"]["total_incl_vat"])):
            problems.append(f"credit note {credit_note['number']}: total {invoice['grossAmount']} is wrong")
    return problems


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
        drained = [environment.hub.drain_queue(queue) for queue in ("OrdersQueue", "CreditNotesQueue")]
        report["queue"] = {
            "processed": sum(item.succeeded for item in drained),
            "failed_attempts": sum(item.failed_attempts for item in drained),
            "dead_lettered": sum(item.dead_lettered for item in drained),
        }
        seen: dict[str, tuple[str, dict[str, Any]]] = {}
        for delivery in deliveries:
            payload = delivery.payload
            data = payload.get("data") if isinstance(payload, dict) else None
            if isinstance(data, dict) and "id" in data and "number" in data:
                kind = "credit_note" if str(payload.get("type", "")).startswith("credit_note") else "order"
                seen[str(data["id"])] = (kind, data)
        for kind in ("order", "credit_note"):
            documents = {key: data for key, (found, data) in seen.items() if found == kind}
            for document in environment.order_report(documents, kind=kind):
                record = document.record
                report["documents"].append(
                    {
                        "kind": kind,
                        "document_id": document.order_id,
                        "order_number": document.order_number,
                        "state": record.state.value if record else None,
                        "documents": record.documents if record else {},
                        "error": record.error.model_dump(exclude_none=True)
                        if record and record.error
                        else None,
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
    from hubctl.local import POLL_FUNCTION, TRANSFER_FUNCTION, WEBHOOK_FUNCTION

    aliases = {"webhook": WEBHOOK_FUNCTION, "order_transfer": TRANSFER_FUNCTION, "order_poll": POLL_FUNCTION}
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
        print(f"{arguments.file}: valid; connections: {len(parsed.connections)}")
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


def bench(arguments: argparse.Namespace) -> int:
    """Run the benchmark suite and write its report."""
    from hubctl.bench.run import run

    arguments.command_line = " ".join(["python -m hubctl", *sys.argv[1:]])
    return run(arguments)
