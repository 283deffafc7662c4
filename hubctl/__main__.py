"""hubctl: the Bemakers hub's operator and developer CLI.

hubctl demo                          run the main job end to end on the local stack
hubctl replay FILE...                send webhook delivery files through the local stack
hubctl invoke FUNCTION EVENT         invoke one function with one event file, like `sam local invoke`
hubctl connections apply FILE        validate a connections file and write it to the connections table
hubctl products resync CONNECTION    resync a connection's products into Bemakers on the local stack
hubctl status ORDER                  show an order's transfer state and journey across targets
hubctl log CONNECTION                list a connection's transfer steps (--since 1h --failed)
hubctl replay-order CONNECTION ORDER read the order from Bemakers again and queue its transfer
hubctl redrive QUEUE                 move a dead-letter queue's messages back to their source queue
hubctl faults                        run the fault suite: many orders under injected faults
hubctl bench                         run the benchmarks and write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hubctl import commands
from hubctl.operations import add_operations_commands

# Order counts at which the benchmark's burst measures memory and rate.
BURST_CHECKPOINTS = (500, 1000, 2000, 3000, 4000, 5000, 7500, 10000)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubctl", description="Operate and develop the Bemakers integration hub."
    )
    subcommands = parser.add_subparsers(dest="command", required=True)

    demo = subcommands.add_parser(
        "demo", help="run the sample deliveries end to end against loopback sandboxes"
    )
    demo.add_argument("--log-level", default="WARNING", help="the functions' log level (default WARNING)")
    demo.set_defaults(run=commands.demo)

    replay = subcommands.add_parser("replay", help="send webhook delivery files through the local stack")
    replay.add_argument("files", nargs="+", help="delivery files: JSON with `headers` and `body`")
    replay.add_argument("--connection", default="demo-brewery", help="connection id in the webhook path")
    replay.add_argument(
        "--as-is", action="store_true", help="send the files' own signature headers unchanged"
    )
    replay.add_argument("--json", action="store_true", help="print a machine-readable report")
    replay.add_argument(
        "--dump-sandbox", metavar="DIR", help="write every request each sandbox received to DIR"
    )
    replay.add_argument("--log-level", default="WARNING", help="the functions' log level (default WARNING)")
    replay.set_defaults(run=commands.replay)

    invoke = subcommands.add_parser("invoke", help="invoke one function with one event file")
    invoke.add_argument("function", help="logical id (WebhookFunction) or folder name (webhook)")
    invoke.add_argument("event", help="event file shaped as AWS delivers it (see events/)")
    invoke.add_argument(
        "--no-resign",
        action="store_true",
        help="send a webhook event's signature as it is in the file instead of signing it afresh",
    )
    invoke.add_argument("--log-level", default="INFO", help="the function's log level (default INFO)")
    invoke.set_defaults(run=commands.invoke)

    connections = subcommands.add_parser("connections", help="manage connections")
    connection_commands = connections.add_subparsers(dest="connections_command", required=True)
    apply = connection_commands.add_parser("apply", help="validate FILE and write its connections")
    apply.add_argument("file", help="connections YAML file; ${VAR} is filled in from the environment")
    apply.add_argument(
        "--table", help="connections table name (default: $CONNECTIONS_TABLE, or the stack output)"
    )
    apply.add_argument("--region", help="AWS region (default: the AWS SDK's configured region)")
    apply.add_argument("--endpoint-url", help="AWS endpoint URL, e.g. a moto server on loopback")
    apply.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    apply.set_defaults(run=commands.connections_apply)

    products = subcommands.add_parser("products", help="import products into Bemakers")
    product_commands = products.add_subparsers(dest="products_command", required=True)
    resync = product_commands.add_parser(
        "resync",
        help="read the whole catalogue and write every product to Bemakers again, on the local demo stack",
    )
    resync.add_argument("connection", help="connection id, such as demo-brewery")
    resync.add_argument("--log-level", default="WARNING", help="the flow's log level (default WARNING)")
    resync.set_defaults(run=commands.products_resync)

    add_operations_commands(subcommands)
    bench = subcommands.add_parser("bench", help="run the benchmarks and write docs/benchmarks.md")
    bench.add_argument(
        "--output", default="docs/benchmarks.md", help="file to write (default docs/benchmarks.md)"
    )
    bench.add_argument(
        "--rounds", type=int, default=9, help="interleaved import rounds for the cold starts (default 9)"
    )
    bench.add_argument("--runs", type=int, default=5, help="warm runs per function scenario (default 5)")
    bench.add_argument("--units", type=int, default=20, help="documents per scenario run (default 20)")
    bench.add_argument(
        "--burst-checkpoints",
        default=",".join(str(count) for count in BURST_CHECKPOINTS),
        help="order counts at which the burst measures, comma-separated (default %(default)s)",
    )
    bench.add_argument(
        "--burst-budget-seconds",
        type=float,
        default=180,
        help="seconds the burst may take; it stops at the last checkpoint that fits (default %(default)s)",
    )
    bench.add_argument(
        "--inventory-skus",
        type=int,
        default=50_000,
        help="SKUs in the inventory benchmark, of which 1 %% change; 0 leaves it out (default %(default)s)",
    )
    bench.add_argument(
        "--product-variants",
        type=int,
        default=20_000,
        help="e-conomic products in the product benchmark, of which 1 %% change; 0 leaves it out"
        " (default %(default)s)",
    )
    bench.set_defaults(run=commands.bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    result: int = arguments.run(arguments)
    return result


if __name__ == "__main__":
    sys.exit(main())
