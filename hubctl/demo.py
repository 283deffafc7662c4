"""The demo environment: the local stack, sandboxes of the connected systems and one connection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.connectors.ongoing import basic_authorization
from hub.ledger import Ledger, TransferRecord
from hub.runtime import get_runtime
from hubctl.connections_file import apply_connections, load_connections_file
from hubctl.deliveries import Delivery
from hubctl.local import PRODUCT_IMPORT_FUNCTION, LocalHub
from hubctl.sandboxes._http import loads_json
from hubctl.sandboxes.bemakers import BemakersSandbox
from hubctl.sandboxes.economic import EconomicSandbox
from hubctl.sandboxes.ongoing import OngoingSandbox
from hubctl.sandboxes.zettle import ZettleSandbox

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
REPOSITORY = Path(__file__).resolve().parent.parent
DEMO_CONNECTION = "demo-brewery"
# Placeholder credentials that only the loopback sandboxes accept.
DEMO_BEMAKERS_TOKEN = "sandbox-bemakers-token"
DEMO_WEBHOOK_SECRET = "sandbox-webhook-secret"
DEMO_ECONOMIC_APP_TOKEN = "sandbox-app-secret-token"
DEMO_ECONOMIC_GRANT_TOKEN = "sandbox-agreement-grant-token"
DEMO_ONGOING_USER = "sandbox-ongoing-user"
DEMO_ONGOING_PASSWORD = "sandbox-ongoing-password"
DEMO_ONGOING_WEBHOOK_PASSWORD = "sandbox-ongoing-webhook-password"
DEMO_GOODS_OWNER_ID = 77
DEMO_ZETTLE_CLIENT_ID = "sandbox-zettle-client-id"
DEMO_ZETTLE_API_KEY = "sandbox-zettle-api-key"
DEMO_ZETTLE_SIGNING_KEY = "sandbox-zettle-signing-key"
# The taproom's Zettle location in Bemakers; Zettle is the stock master of SKUs starting TAP-.
DEMO_TAPROOM = "taproom"
# The demo warehouse's articles: article number, name and sellable stock per warehouse code.
# SE1 maps to no Bemakers location, so its stock is left out of the push.
DEMO_ARTICLES: tuple[tuple[str, str, dict[str, int]], ...] = (
    ("IPA-33CL", "Hoppy IPA 33 cl", {"DK1": 480, "SE1": 96}),
    ("STOUT-50CL", "Imperial Stout 50 cl", {"DK1": 120}),
    ("GIN-70CL", "Dry Gin 70 cl", {"DK1": 36}),
    ("CIDER-75CL", "Apple Cider 75 cl", {"DK1": 60}),
)


@dataclass(frozen=True)
class DocumentReport:
    order_id: str
    order_number: str
    status: str
    record: TransferRecord | None


class DemoEnvironment:
    """Everything `hubctl demo`, `replay` and `invoke` run against. Use as a context manager."""

    def __init__(self, *, log_level: str = "WARNING", metrics: bool = False) -> None:
        self.bemakers = BemakersSandbox(DEMO_BEMAKERS_TOKEN)
        self.economic = EconomicSandbox(DEMO_ECONOMIC_APP_TOKEN, DEMO_ECONOMIC_GRANT_TOKEN)
        self.ongoing = OngoingSandbox(
            DEMO_ONGOING_USER, DEMO_ONGOING_PASSWORD, DEMO_GOODS_OWNER_ID, slow_seconds=2.0
        )
        self.zettle = ZettleSandbox(DEMO_ZETTLE_CLIENT_ID, DEMO_ZETTLE_API_KEY, slow_seconds=2.0)
        self.hub = LocalHub(log_level=log_level, metrics=metrics)

    def start(self) -> DemoEnvironment:
        bemakers_url = self.bemakers.start()
        economic_url = self.economic.start()
        ongoing_url = f"{self.ongoing.start()}/demo-3pl/api/v1"
        zettle_url = self.zettle.start()

        for article_number, name, stock in DEMO_ARTICLES:
            self.ongoing.add_article(article_number, name, stock)
        self.bemakers.add_products([article[0] for article in DEMO_ARTICLES], ["main-warehouse"])
        self.bemakers.add_products(["TAP-PALE-33CL", "TAP-SOUR-33CL"], [DEMO_TAPROOM])

        self.hub.start()
        self.hub.put_secret(
            "bemakers-hub/demo-brewery/bemakers",
            {"api_token": DEMO_BEMAKERS_TOKEN, "webhook_secrets": [DEMO_WEBHOOK_SECRET]},
        )
        self.hub.put_secret(
            "bemakers-hub/demo-brewery/economic",
            {"app_secret_token": DEMO_ECONOMIC_APP_TOKEN, "agreement_grant_token": DEMO_ECONOMIC_GRANT_TOKEN},
        )
        self.hub.put_secret(
            "bemakers-hub/demo-brewery/ongoing",
            {
                "username": DEMO_ONGOING_USER,
                "password": DEMO_ONGOING_PASSWORD,
                "goods_owner_id": DEMO_GOODS_OWNER_ID,
                "webhook_password": DEMO_ONGOING_WEBHOOK_PASSWORD,
            },
        )
        self.hub.put_secret(
            "bemakers-hub/demo-brewery/zettle",
            {
                "client_id": DEMO_ZETTLE_CLIENT_ID,
                "api_key": DEMO_ZETTLE_API_KEY,
                "webhook_signing_keys": [DEMO_ZETTLE_SIGNING_KEY],
            },
        )

        parsed = load_connections_file(
            DEMO_DATA / "connections.yaml",
            variables={
                "BEMAKERS_BASE_URL": bemakers_url,
                "ECONOMIC_BASE_URL": economic_url,
                "ONGOING_BASE_URL": ongoing_url,
                "ZETTLE_BASE_URL": zettle_url,
            },
        )
        apply_connections(parsed, get_runtime().connections)
        return self

    def stop(self) -> None:
        self.hub.stop()
        self.zettle.stop()
        self.ongoing.stop()
        self.economic.stop()
        self.bemakers.stop()

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def seed_bemakers_orders(self, path: Path = DEMO_DATA / "bemakers_orders.json") -> None:
        """Put the demo's orders into the Bemakers sandbox, for the order poll to find."""
        for order in loads_json(path.read_bytes()):
            self.bemakers.put_order(order)

    def seed_bemakers_credit_notes(self, path: Path = DEMO_DATA / "bemakers_credit_notes.json") -> None:
        """Put the demo's credit notes into the Bemakers sandbox, for the poll to find."""
        for credit_note in loads_json(path.read_bytes()):
            self.bemakers.put_credit_note(credit_note)

    def seed_economic_products(self, path: Path = DEMO_DATA / "economic_products.json") -> None:
        """Put the demo's product catalogue into the e-conomic sandbox, for the product import to read."""
        self.economic.seed(products=loads_json(path.read_bytes()))

    def import_products(self) -> dict[str, Any]:
        """Run the product import function once, as its schedule would, and return its result."""
        result: dict[str, Any] = self.hub.run_schedule(PRODUCT_IMPORT_FUNCTION)
        return result

    def deliver(
        self, delivery: Delivery, *, connection_id: str = DEMO_CONNECTION, sign: bool = True
    ) -> dict[str, Any]:
        """Sign a delivery with the demo webhook secret and send it to the webhook function."""
        if sign:
            delivery = delivery.signed(DEMO_WEBHOOK_SECRET)
        return self.hub.deliver_webhook(connection_id, delivery.headers, delivery.body)

    def use_economic_only(self, **economic_changes: Any) -> None:
        """Reduce the demo connection to its e-conomic target, booking each invoice at transfer.

        Tests written for the order flow to e-conomic alone use this, so that the warehouse and
        POS targets of the demo connection add no steps of their own.
        """
        store = get_runtime().connections
        connection = store.get(DEMO_CONNECTION)
        if connection.economic is None:
            raise ValueError(f"connection {DEMO_CONNECTION} has no e-conomic settings")
        changes = {"booking": "on_transfer", **economic_changes}
        economic = connection.economic.model_validate({**connection.economic.model_dump(), **changes})
        store.put(
            connection.model_copy(
                update={
                    "economic": economic,
                    "ongoing": None,
                    "zettle": None,
                    "stock_masters": {},
                    "products": None,
                }
            )
        )

    def configure_economic(self, **changes: Any) -> None:
        """Change the demo connection's e-conomic settings, e.g. `book_invoices=False`."""
        store = get_runtime().connections
        connection = store.get(DEMO_CONNECTION)
        if connection.economic is None:
            raise ValueError(f"connection {DEMO_CONNECTION} has no e-conomic settings")
        economic = connection.economic.model_validate({**connection.economic.model_dump(), **changes})
        store.put(connection.model_copy(update={"economic": economic}))

    def configure_ongoing(self, **changes: Any) -> None:
        """Change the demo connection's Ongoing settings, e.g. `locked_from_status=400`."""
        store = get_runtime().connections
        connection = store.get(DEMO_CONNECTION)
        if connection.ongoing is None:
            raise ValueError(f"connection {DEMO_CONNECTION} has no Ongoing settings")
        ongoing = connection.ongoing.model_validate({**connection.ongoing.model_dump(), **changes})
        store.put(connection.model_copy(update={"ongoing": ongoing}))

    def deliver_ongoing_webhook(
        self, payload: dict[str, Any], *, connection_id: str = DEMO_CONNECTION, password: str | None = None
    ) -> dict[str, Any]:
        """Send an Ongoing order webhook with the demo's webhook password (or `password`)."""
        headers = {
            "Content-Type": "application/json",
            "Authorization": basic_authorization("ongoing", password or DEMO_ONGOING_WEBHOOK_PASSWORD),
        }
        return self.hub.deliver_ongoing_webhook(connection_id, headers, json.dumps(payload).encode())

    def configure_products(self, **changes: Any) -> None:
        """Change the demo connection's product import settings, e.g. `deactivate_removed=False`."""
        store = get_runtime().connections
        connection = store.get(DEMO_CONNECTION)
        if connection.products is None:
            raise ValueError(f"connection {DEMO_CONNECTION} has no product settings")
        products = connection.products.model_validate({**connection.products.model_dump(), **changes})
        store.put(connection.model_copy(update={"products": products}))

    def deliver_zettle_webhook(
        self,
        event_name: str,
        payload: dict[str, Any],
        *,
        connection_id: str = DEMO_CONNECTION,
        signing_key: str = DEMO_ZETTLE_SIGNING_KEY,
    ) -> dict[str, Any]:
        """Send a Zettle webhook signed with the demo's signing key (or `signing_key`)."""
        headers, body = self.zettle.webhook(event_name, payload, signing_key)
        return self.hub.deliver_zettle_webhook(connection_id, headers, body)

    @property
    def ledger(self) -> Ledger:
        return get_runtime().ledger

    def order_report(
        self, documents: dict[str, dict[str, Any]], *, target: str = "economic", kind: str = "order"
    ) -> list[DocumentReport]:
        """Return the ledger's state for each document (id → latest Bemakers document) and target."""
        return [
            DocumentReport(
                order_id=document_id,
                order_number=str(document["number"]),
                status=str(document.get("status", "-")),
                record=self.ledger.get(DEMO_CONNECTION, kind, document_id, target),
            )
            for document_id, document in documents.items()
        ]


def response_body(response: dict[str, Any]) -> Any:
    """Return the parsed JSON body of an HTTP API response from the webhook function."""
    return json.loads(response.get("body") or "null")
