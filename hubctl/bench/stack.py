"""The local stack that the benchmarks drive, with the function output they discard.

`BenchStack` is the demo environment: the template on moto, the sandboxes of Bemakers,
e-conomic, Ongoing and Zettle, and the demo connection. It adds the choices the benchmarks
need. Moto runs in this process, as in the tests, or as a server in a child process
(`hubctl.bench.services`), and the e-conomic sandbox runs in this process or in that child.
The order and credit note figures are per target, so by default the demo connection is
narrowed to its e-conomic target. The fulfillment, inventory and product benchmarks use
the whole connection.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any, TextIO

import requests

from hub.connections import Connection
from hub.observability import logger
from hub.runtime import get_runtime
from hubctl.connections_file import apply_connections, load_connections_file
from hubctl.demo import (
    DEMO_BEMAKERS_TOKEN,
    DEMO_CONNECTION,
    DEMO_DATA,
    DEMO_ECONOMIC_APP_TOKEN,
    DEMO_ECONOMIC_GRANT_TOKEN,
    DEMO_GOODS_OWNER_ID,
    DEMO_ONGOING_PASSWORD,
    DEMO_ONGOING_USER,
    DEMO_ONGOING_WEBHOOK_PASSWORD,
    DEMO_WEBHOOK_SECRET,
    DEMO_ZETTLE_API_KEY,
    DEMO_ZETTLE_CLIENT_ID,
    DEMO_ZETTLE_SIGNING_KEY,
)
from hubctl.local import LocalHub
from hubctl.local_stack import load_template
from hubctl.sandboxes.bemakers import BemakersSandbox
from hubctl.sandboxes.economic import EconomicSandbox
from hubctl.sandboxes.ongoing import OngoingSandbox
from hubctl.sandboxes.zettle import ZettleSandbox

SERVICES_START_TIMEOUT_SECONDS = 60


class CountingSink(io.TextIOBase):
    """A text stream that drops what is written to it and counts the characters."""

    def __init__(self) -> None:
        super().__init__()
        self.characters = 0

    def write(self, text: str) -> int:
        self.characters += len(text)
        return len(text)

    def writable(self) -> bool:
        return True


class ServicesProcess:
    """A child process running a moto server and an e-conomic sandbox (see `hubctl.bench.services`)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.aws_url = ""
        self.economic_url = ""

    def start(self) -> ServicesProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "hubctl.bench.services"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # moto's server logs every request line on stderr.
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(SERVICES_START_TIMEOUT_SECONDS)
            raise RuntimeError(
                f"python -m hubctl.bench.services exited with status {self._process.returncode}"
                " before printing its URLs; run it by hand to see the error"
            )
        urls = json.loads(line)
        self.aws_url, self.economic_url = urls["aws"], urls["economic"]
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(SERVICES_START_TIMEOUT_SECONDS)
        self._process = None


class BenchStack:
    """The demo environment for benchmarks. Use as a context manager.

    `moto_server` runs moto in a child process instead of in this one. `economic_in_child`
    also moves the e-conomic sandbox there; `economic` is then None and `economic_url`
    reaches it. `economic_only` narrows the demo connection to its e-conomic target, as
    `DemoEnvironment.use_economic_only` does, but keeps its booking settings. The functions
    log at the template's default level to `sink`, which counts the characters and drops
    them, where Lambda's runtime would send them to CloudWatch Logs.
    """

    def __init__(
        self, *, moto_server: bool = False, economic_in_child: bool = False, economic_only: bool = True
    ) -> None:
        if economic_in_child and not moto_server:
            raise ValueError("economic_in_child needs moto_server, whose child process runs the sandbox")
        self._moto_server = moto_server
        self._economic_in_child = economic_in_child
        self._economic_only = economic_only
        self._services: ServicesProcess | None = None
        self._previous_log_stream: TextIO | io.TextIOBase | None = None
        self.sink = CountingSink()
        """Where the functions' log lines and EMF metrics go; `characters` counts them."""
        self.bemakers = BemakersSandbox(DEMO_BEMAKERS_TOKEN)
        self.economic: EconomicSandbox | None = None
        self.economic_url = ""
        self.ongoing = OngoingSandbox(DEMO_ONGOING_USER, DEMO_ONGOING_PASSWORD, DEMO_GOODS_OWNER_ID)
        self.zettle = ZettleSandbox(DEMO_ZETTLE_CLIENT_ID, DEMO_ZETTLE_API_KEY)
        self.hub: LocalHub | None = None
        self._full_connection: Connection | None = None
        self._narrowed: bool | None = None

    def start(self) -> BenchStack:
        aws_url = None
        if self._moto_server:
            self._services = ServicesProcess().start()
            aws_url = self._services.aws_url
        if self._economic_in_child:
            assert self._services is not None
            self.economic_url = self._services.economic_url
        else:
            self.economic = EconomicSandbox(DEMO_ECONOMIC_APP_TOKEN, DEMO_ECONOMIC_GRANT_TOKEN)
            self.economic_url = self.economic.start()
        bemakers_url = self.bemakers.start()
        ongoing_url = f"{self.ongoing.start()}/demo-3pl/api/v1"
        zettle_url = self.zettle.start()

        self.hub = LocalHub(log_level=template_log_level(), metrics=True, aws_endpoint_url=aws_url)
        self.hub.start()
        self._previous_log_stream = _set_log_stream(self.sink)

        self.hub.put_secret(
            f"bemakers-hub/{DEMO_CONNECTION}/bemakers",
            {"api_token": DEMO_BEMAKERS_TOKEN, "webhook_secrets": [DEMO_WEBHOOK_SECRET]},
        )
        self.hub.put_secret(
            f"bemakers-hub/{DEMO_CONNECTION}/economic",
            {"app_secret_token": DEMO_ECONOMIC_APP_TOKEN, "agreement_grant_token": DEMO_ECONOMIC_GRANT_TOKEN},
        )
        self.hub.put_secret(
            f"bemakers-hub/{DEMO_CONNECTION}/ongoing",
            {
                "username": DEMO_ONGOING_USER,
                "password": DEMO_ONGOING_PASSWORD,
                "goods_owner_id": DEMO_GOODS_OWNER_ID,
                "webhook_password": DEMO_ONGOING_WEBHOOK_PASSWORD,
            },
        )
        self.hub.put_secret(
            f"bemakers-hub/{DEMO_CONNECTION}/zettle",
            {
                "client_id": DEMO_ZETTLE_CLIENT_ID,
                "api_key": DEMO_ZETTLE_API_KEY,
                "webhook_signing_keys": [DEMO_ZETTLE_SIGNING_KEY],
            },
        )
        connections = load_connections_file(
            DEMO_DATA / "connections.yaml",
            variables={
                "BEMAKERS_BASE_URL": bemakers_url,
                "ECONOMIC_BASE_URL": self.economic_url,
                "ONGOING_BASE_URL": ongoing_url,
                "ZETTLE_BASE_URL": zettle_url,
            },
        )
        apply_connections(connections, get_runtime().connections)
        self._full_connection = get_runtime().connections.get(DEMO_CONNECTION)
        self.use_connection(economic_only=self._economic_only)
        return self

    def use_connection(self, *, economic_only: bool) -> None:
        """Narrow the demo connection to its e-conomic target, or give it back all its systems.

        Writes the connection only when it changes, since a write drops the runtime's cached copy.
        """
        connection = self._full_connection
        if connection is None:
            raise RuntimeError("the bench stack has not been started")
        if economic_only == self._narrowed:
            return
        self._narrowed = economic_only
        if economic_only:
            connection = connection.model_copy(
                update={"ongoing": None, "zettle": None, "stock_masters": {}, "products": None}
            )
        get_runtime().connections.put(connection)

    def stop(self) -> None:
        if self.hub is not None:
            self.hub.stop()
        _set_log_stream(self._previous_log_stream)
        if self.economic is not None:
            self.economic.stop()
        self.zettle.stop()
        self.ongoing.stop()
        self.bemakers.stop()
        if self._services is not None:
            self._services.stop()

    def __enter__(self) -> BenchStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def local(self) -> LocalHub:
        if self.hub is None:
            raise RuntimeError("the bench stack has not been started")
        return self.hub

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Send what the functions print (EMF metrics) to the sink while the block runs."""
        with contextlib.redirect_stdout(self.sink):
            yield

    def invoice_references(self) -> Counter[str]:
        """Count the e-conomic draft and booked invoices by `references.other`, through the API."""
        session = requests.Session()
        session.headers.update(
            {"X-AppSecretToken": DEMO_ECONOMIC_APP_TOKEN, "X-AgreementGrantToken": DEMO_ECONOMIC_GRANT_TOKEN}
        )
        references: Counter[str] = Counter()
        for path in ("/invoices/drafts", "/invoices/booked"):
            page = 0
            while True:
                response = session.get(
                    f"{self.economic_url}{path}", params={"pagesize": 1000, "skippages": page}, timeout=60
                )
                response.raise_for_status()
                body: dict[str, Any] = response.json()
                for invoice in body["collection"]:
                    references[str(invoice.get("references", {}).get("other"))] += 1
                if "nextPage" not in body["pagination"]:
                    break
                page += 1
        return references


def _set_log_stream(stream: TextIO | io.TextIOBase | None) -> TextIO | io.TextIOBase | None:
    """Point the Powertools Logger's handler at `stream` and return the stream it had."""
    handler = logger.registered_handler
    if stream is None or not isinstance(handler, logging.StreamHandler):
        return None
    previous: TextIO | io.TextIOBase = handler.stream
    handler.setStream(stream)
    return previous


def template_log_level() -> str:
    """Return the functions' log level as the template sets it by default."""
    return str(load_template()["Parameters"]["LogLevel"]["Default"])
