"""The hubctl commands. Each takes the parsed arguments and returns the exit status."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections import Counter
from contextlib import redirect_stdout
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
    """Replay the sample deliveries, run the poll once and check what e-conomic received.

    Then play the warehouse flows through: orders to Ongoing WMS, shipments back as fulfillments,
    a change refused after picking, a cancellation, a return and stock levels. Last, the POS
    flows: a webshop sale and a refund in Zettle stock, and a Zettle recount into Bemakers.
    """
    from hubctl.demo import DemoEnvironment
    from hubctl.warehouse_demo import run_warehouse_demo
    from hubctl.zettle_demo import run_zettle_demo

    print(
        "Bemakers hub demo: webhooks → queues → transfer functions → e-conomic and Ongoing WMS;"
        " shipments and stock back into Bemakers (loopback sandboxes, moto)\n"
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
        problems += [
            f"warehouse flows: {problem}" for problem in run_warehouse_demo(environment, orders, _print_table)
        ]
        problems += _demo_products(environment)
        problems += [
            f"POS flows: {problem}" for problem in run_zettle_demo(environment, orders, _print_table)
        ]

    if problems:
        print("\nDemo FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(
        "\nDemo finished: each order has exactly one invoice whose total matches the order to the øre,"
        " the cancelled order has none, and the refund is one credit note against the booked invoice."
        " The product import created a new product, updated a changed price, and sent nothing for"
        " unchanged products."
    )
    print("Warehouse: each shipped parcel is one Bemakers fulfillment; only changed stock levels were sent.")
    print("POS: the sale and the refund each moved Zettle stock once; the Zettle recount reached Bemakers.")
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


def _demo_products(environment: DemoEnvironment) -> list[str]:
    """Import e-conomic's catalogue into Bemakers three times: all new, one change each, no change."""
    print(
        "\n10. Products from e-conomic into Bemakers (content hash per SKU, variants grouped by SKU prefix):"
    )
    environment.seed_economic_products()
    first = environment.import_products()
    print(
        f"   Run 1, whole catalogue: {first['created']} SKUs created in {first['writes']} writes."
        " e-conomic's products from the orders above are included."
    )

    economic = environment.economic
    lager = dict(economic.products["LAGER-33CL"])
    economic.replace_product(lager | {"salesPrice": Decimal("22.00")})
    economic.seed(
        products=[
            {
                "productNumber": "SODA-25CL",
                "name": "Elderflower Soda 25 cl",
                "description": "ABV: 0\nVolume: 0.25\nPackaging: bottle\nDeposit: A",
                "barCode": "2000000000053",
                "salesPrice": Decimal("12.00"),
                "productGroup": {"productGroupNumber": 1},
            }
        ]
    )
    writes_before = len(environment.bemakers.product_writes)
    second = environment.import_products()
    second_writes = environment.bemakers.product_writes[writes_before:]
    written = [f"{write.method} {write.path}" for write in second_writes]
    print(
        f"   Run 2, after a new product (SODA-25CL) and a price change (LAGER-33CL 20.00 → 22.00 excl. VAT):"
        f" {second['created']} SKUs created (product SODA and its variant), {second['updated']} updated,"
        f" {second['unchanged']} unchanged. Writes: {', '.join(written)}"
    )

    writes_before = len(environment.bemakers.product_writes)
    third = environment.import_products()
    third_writes = len(environment.bemakers.product_writes) - writes_before
    print(
        f"   Run 3, nothing changed: {third['unchanged']} SKUs unchanged, {third_writes} writes to Bemakers."
    )

    _print_bemakers_products(environment)
    return _product_problems(environment, second, len(second_writes), third_writes)


def _print_bemakers_products(environment: DemoEnvironment) -> None:
    print("\n   Bemakers products now:")
    rows = []
    for product in environment.bemakers.products.values():
        for variant in product.get("variants", []) or [product]:
            rows.append(
                [
                    product["sku"],
                    product["name"],
                    variant["sku"],
                    f"{Decimal(variant['price_excl_vat']):.2f}",
                    f"{Decimal(variant['price_incl_vat']):.2f}",
                    str(variant.get("abv", "-")),
                    str(variant.get("volume_litres", "-")),
                    str(variant.get("deposit_class", "-")),
                ]
            )
    table = io.StringIO()
    with redirect_stdout(table):
        _print_table(
            rows, ["product", "name", "variant", "excl. VAT", "incl. VAT", "ABV %", "litres", "deposit"]
        )
    print("\n".join(f"   {line}" for line in table.getvalue().splitlines()))


def _product_problems(
    environment: DemoEnvironment, second: dict[str, Any], second_writes: int, third_writes: int
) -> list[str]:
    """Check the product runs: one create and one update on run 2, nothing on run 3."""
    problems = []
    soda = _bemakers_variant(environment, "SODA", "SODA-25CL")
    if soda is None or soda["price_incl_vat"] != Decimal("15.00"):
        problems.append("the new product SODA-25CL is not in Bemakers at 15.00 incl. VAT")
    lager = _bemakers_variant(environment, "LAGER", "LAGER-33CL")
    if lager is None or lager["price_incl_vat"] != Decimal("27.50"):
        price = lager["price_incl_vat"] if lager else "nothing"
        problems.append(f"LAGER-33CL costs {price} incl. VAT in Bemakers, not 27.50")
    # Product SODA and its variant SODA-25CL are created by one POST; LAGER-33CL takes one PATCH.
    if (second["created"], second["updated"], second_writes) != (2, 1, 2):
        problems.append(
            f"run 2 created {second['created']} and updated {second['updated']} SKUs in {second_writes}"
            " writes; expected 2, 1 and 2"
        )
    if third_writes:
        problems.append(f"run 3 sent {third_writes} writes for an unchanged catalogue")
    return problems


def _bemakers_variant(environment: DemoEnvironment, product_sku: str, sku: str) -> dict[str, Any] | None:
    product = environment.bemakers.products.get(product_sku, {})
    return next((variant for variant in product.get("variants", []) if variant["sku"] == sku), None)


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
    from hubctl.local import (
        CREDIT_NOTE_FUNCTION,
        FULFILLMENT_FUNCTION,
        INVENTORY_FUNCTION,
        POLL_FUNCTION,
        PRODUCT_IMPORT_FUNCTION,
        TRANSFER_FUNCTION,
        WEBHOOK_FUNCTION,
    )

    aliases = {
        "webhook": WEBHOOK_FUNCTION,
        "order_transfer": TRANSFER_FUNCTION,
        "order_poll": POLL_FUNCTION,
        "fulfillment_import": FULFILLMENT_FUNCTION,
        "inventory_import": INVENTORY_FUNCTION,
        "product_import": PRODUCT_IMPORT_FUNCTION,
        "credit_note_transfer": CREDIT_NOTE_FUNCTION,
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


def products_resync(arguments: argparse.Namespace) -> int:
    """Run a full product resync for one connection, with a progress bar, on the local stack."""
    from hub.errors import ConfigurationError, ConnectionNotFound, TargetError
    from hub.flows.product_import import import_connection
    from hub.runtime import get_runtime
    from hubctl.demo import DemoEnvironment
    from hubctl.local import utc_now
    from hubctl.progress import ProgressBar

    with DemoEnvironment(log_level=arguments.log_level) as environment:
        environment.seed_economic_products()
        runtime = get_runtime()
        try:
            connection = runtime.connections.get(arguments.connection)
        except ConnectionNotFound as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        bar = ProgressBar("products")
        try:
            report = import_connection(runtime, connection, now=utc_now(), force=True, progress=bar.update)
        except (TargetError, ConfigurationError) as error:
            bar.finish()
            print(f"error: resync of {arguments.connection} failed: {error}", file=sys.stderr)
            return 1
        bar.finish()

    print(
        f"{report.connection_id}: {report.records} records read from {report.source},"
        f" {report.products} products; SKUs created {report.created}, updated {report.updated},"
        f" deactivated {report.deactivated}, unchanged {report.unchanged}, not created {report.not_created};"
        f" {report.writes} writes to Bemakers"
    )
    for skipped in report.skipped:
        field = f" ({skipped.field})" if skipped.field else ""
        print(f"  skipped {skipped.sku or skipped.source_id}: {skipped.reason}{field}")
    for failed in report.failed:
        print(f"  rejected {failed.sku}: {failed.message}")
    return 1 if report.failed else 0


def bench(arguments: argparse.Namespace) -> int:
    """Run the benchmark suite and write its report."""
    from hubctl.bench.run import run

    arguments.command_line = " ".join(["python -m hubctl", *sys.argv[1:]])
    return run(arguments)
