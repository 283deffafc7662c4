"""Threaded loopback JSON HTTP server that vendor sandboxes build on.

A sandbox subclasses `LoopbackJsonServer` and implements `handle()`. The base class runs
`http.server.ThreadingHTTPServer` on a daemon thread, writes no request lines to stderr,
records every request, injects faults per test (one at a time, or at random at a seeded
rate), and writes `Decimal` numbers into JSON exactly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, get_args
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

FaultKind = Literal[
    "http_500",
    "http_503",
    "http_429",
    "accepted_then_500",
    "timeout",
    "slow",
    "dropped",
    "accepted_then_dropped",
    "stale_read",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
_READ_METHODS = frozenset({"GET", "HEAD"})

_STATUS_FAULTS: dict[str, int] = {"http_500": 500, "http_503": 503, "http_429": 429}
_DEFAULT_RETRY_AFTER_SECONDS = 1


# ---------------------------------------------------------------------------------------------
# JSON with exact decimals
# ---------------------------------------------------------------------------------------------


def loads_json(data: bytes | str) -> Any:
    """Parse JSON, reading every non-integer number as `Decimal` so no digit is lost.

    Raises `ValueError` (including `json.JSONDecodeError`) on invalid JSON, and on the
    non-standard constants NaN, Infinity and -Infinity.
    """
    return json.loads(data, parse_float=Decimal, parse_constant=_reject_json_constant)


def _reject_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def dumps_json(value: Any, indent: int | None = None) -> str:
    """Serialise `value` as JSON, writing `Decimal` numbers digit for digit (239.97 stays 239.97).

    Accepts dicts with string keys, lists, tuples, strings, ints, Decimals, floats, booleans
    and None. Raises `TypeError` for anything else and `ValueError` for non-finite numbers.
    """
    parts: list[str] = []
    _write_json(value, parts, indent, 0)
    return "".join(parts)


def _write_json(value: Any, parts: list[str], indent: int | None, level: int) -> None:
    if value is None or isinstance(value, bool | str):
        parts.append(json.dumps(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as a JSON number")
        parts.append(format(value, "f"))
    elif isinstance(value, int | float):
        parts.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, Mapping):
        items: list[tuple[str | None, Any]] = [(json.dumps(str(key)), item) for key, item in value.items()]
        _write_container(items, "{", "}", parts, indent, level)
    elif isinstance(value, list | tuple):
        _write_container([(None, item) for item in value], "[", "]", parts, indent, level)
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _write_container(
    items: list[tuple[str | None, Any]],
    opening: str,
    closing: str,
    parts: list[str],
    indent: int | None,
    level: int,
) -> None:
    if not items:
        parts.append(opening + closing)
        return

    separator = ", " if indent is None else ","
    inner_break = "" if indent is None else "\n" + " " * indent * (level + 1)
    outer_break = "" if indent is None else "\n" + " " * indent * level

    parts.append(opening)
    for position, (key, item) in enumerate(items):
        if position:
            parts.append(separator)
        parts.append(inner_break)
        if key is not None:
            parts.append(key + ": ")
        _write_json(item, parts, indent, level + 1)
    parts.append(outer_break + closing)


# ---------------------------------------------------------------------------------------------
# Requests, responses and faults
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    """One request as the server received it. `path` is the raw path without the query string."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    @property
    def segments(self) -> list[str]:
        """Path segments, each percent-decoded on its own so an encoded `/` stays inside its segment."""
        return [unquote(segment) for segment in self.path.split("/") if segment]

    def query_value(self, name: str) -> str | None:
        """Return the first value of query parameter `name`, or None when it is absent."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class HttpResponse:
    """A response to send. A `body` of None sends no body; anything else is sent as JSON."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the connection without sending anything, as a dropped connection does."""


@dataclass(frozen=True)
class RecordedRequest:
    """One recorded request, as tests and dumps read it. Headers are left out because they carry tokens."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
        }


@dataclass
class _Fault:
    method: str
    path_prefix: str
    kind: str
    remaining: int
    retry_after: int | None

    def matches(self, request: HttpRequest) -> bool:
        method_matches = self.method == "*" or self.method == request.method
        # A stale read only makes sense on a read.
        kind_matches = self.kind != "stale_read" or request.method in _READ_METHODS
        return method_matches and kind_matches and request.path.startswith(self.path_prefix)


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[str, ...]
    generator: random.Random
    path_prefix: str
    injected: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: LoopbackJsonServer) -> None:
        super().__init__(address, _RequestHandler)
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every kept-alive connection, so that no handler thread waits for a next request."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("sandbox request handler failed", extra={"client_port": client_address[1]})


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "LoopbackSandbox/1"
    # HTTP/1.1 keeps connections open between requests, as the vendors' APIs do, so a
    # client's session reuses one connection instead of connecting for every request.
    # Every response carries Content-Length, which keep-alive needs.
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes. With Nagle's algorithm on, the body
    # would wait for the client's delayed ACK (40 ms on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines off stderr."""

    def _serve(self) -> None:
        assert isinstance(self.server, _Server)
        owner = self.server.owner

        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            # The body's end is unknown, so the connection cannot carry another request.
            self.close_connection = True
            self._send(HttpResponse(400, owner.error_body(400, "The Content-Length header is invalid.")))
            return

        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
        )
        self._send(owner.dispatch(request))

    def _send(self, response: HttpResponse) -> None:
        if response.drop:
            # Nothing is written, and the server closes the socket after this handler returns.
            self.close_connection = True
            return
        payload = b"" if response.body is None else dumps_json(response.body).encode("utf-8")
        try:
            self.send_response(response.status)
            if response.body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # Expected after a "timeout" fault: the client gave up before the response.
            logger.debug(
                "client closed the connection before the response", extra={"status": response.status}
            )


class LoopbackJsonServer:
    """Base of the loopback sandboxes: a threaded JSON HTTP server with recording and faults.

    Subclasses implement `handle()`, which runs under `self._state_lock` so sandbox state needs
    no further locking, and may override `error_body()` to shape error bodies like their vendor.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, slow_seconds: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self._state_lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._random_faults: _RandomFaults | None = None
        self._previous_state: Any = None
        self._recorded: list[RecordedRequest] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._base_url: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving on a daemon thread and return the base URL, e.g. http://127.0.0.1:53211."""
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")

        self._stopping.clear()
        self._server = _Server((self.host, self.port), self)
        bound_port = self._server.server_address[1]
        self._base_url = f"http://{self.host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{bound_port}",
            daemon=True,
        )
        self._thread.start()
        return self._base_url

    def stop(self) -> None:
        """Stop serving. Requests held back by a "timeout" fault are released first."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Base URL of the running server. Raises RuntimeError before `start()`."""
        if self._base_url is None:
            raise RuntimeError("the sandbox has not been started")
        return self._base_url

    # -- hooks for subclasses -------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Handle one request and return the response. Runs with `self._state_lock` held."""
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        """Return the body of an error response that the base class sends itself."""
        return {"message": message, "httpStatusCode": status}

    def snapshot_state(self) -> Any:
        """Return a copy of the sandbox's state that `restore_state` can put back, or None.

        Sandboxes that return a snapshot support the "stale_read" fault. A shallow copy is
        enough when handlers replace stored documents instead of changing them in place.
        """
        return None

    def restore_state(self, snapshot: Any) -> None:
        """Put back a state that `snapshot_state` returned."""
        raise NotImplementedError

    def remember_previous_state(self) -> None:
        """Record the current state as the one a stale read returns.

        Call it before changing the state outside HTTP, as `BemakersSandbox.put_order` does.
        """
        with self._state_lock:
            self._previous_state = self.snapshot_state()

    # -- faults ---------------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        path_prefix: str,
        kind: FaultKind,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `times` requests that match `method` and `path_prefix` fail as `kind`.

        `method` is an HTTP method or "*" for any. The kinds:
        - "http_500", "http_503": respond with that status without touching state.
        - "http_429": respond with 429 and a Retry-After header of `retry_after` seconds (default 1).
        - "accepted_then_500": perform the request, then respond with 500 instead of its response.
        - "timeout": perform the request, then wait `slow_seconds` before responding, so a client
          with a shorter read timeout gives up although the request took effect.
        - "slow": perform the request and respond after `slow_seconds` / 10, a slow response
          that a client with the usual timeout still receives.
        - "dropped": close the connection without performing the request or responding.
        - "accepted_then_dropped": perform the request, then close the connection without a response.
        - "stale_read": serve a GET from the state before the latest write, as an eventually
          consistent read may. Only GETs match it, and the sandbox must support snapshots.
        Faults are matched in the order they were injected.
        """
        self._check_kind(kind)
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")

        fault = _Fault(method.upper(), path_prefix, kind, times, retry_after)
        with self._state_lock:
            self._faults.append(fault)

    def inject_random_faults(
        self, rate: float, kinds: tuple[FaultKind, ...], *, seed: int, path_prefix: str = "/"
    ) -> None:
        """Fault each request under `path_prefix` with probability `rate`, as a kind drawn from `kinds`.

        The draws come from a generator seeded with `seed`, so a client that sends its requests
        in the same order gets the same faults. Faults injected with `inject_fault` come first.
        A "stale_read" drawn for a write is served as a plain response.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        for kind in kinds:
            self._check_kind(kind)
        with self._state_lock:
            self._random_faults = _RandomFaults(rate, tuple(kinds), random.Random(seed), path_prefix)  # noqa: S311 - test faults, not security

    @property
    def random_faults_injected(self) -> dict[str, int]:
        """How many random faults of each kind fired so far."""
        with self._state_lock:
            return dict(self._random_faults.injected) if self._random_faults else {}

    def clear_faults(self) -> None:
        """Drop every fault that has not fired yet, random faults included."""
        with self._state_lock:
            self._faults.clear()
            self._random_faults = None

    def _check_kind(self, kind: str) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if kind == "stale_read" and self.snapshot_state() is None:
            raise ValueError(f"{type(self).__name__} keeps no earlier state, so it cannot serve stale reads")

    def _take_fault(self, request: HttpRequest) -> _Fault | None:
        with self._state_lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
            chance = self._random_faults
            if chance is None or not request.path.startswith(chance.path_prefix):
                return None
            if chance.generator.random() >= chance.rate:
                return None
            kind = chance.generator.choice(chance.kinds)
            if kind == "stale_read" and request.method not in _READ_METHODS:
                return None
            chance.injected[kind] = chance.injected.get(kind, 0) + 1
            return _Fault("*", chance.path_prefix, kind, 1, 0 if kind == "http_429" else None)

    def _fault_response(self, status: int, retry_after: int | None) -> HttpResponse:
        messages = {
            429: "Too many requests. Retry after the number of seconds in the Retry-After header.",
            500: "An internal error occurred. Retry the request.",
            503: "The service is temporarily unavailable. Retry the request.",
        }
        response = HttpResponse(status, self.error_body(status, messages[status]))
        if status == 429 or retry_after is not None:
            seconds = _DEFAULT_RETRY_AFTER_SECONDS if retry_after is None else retry_after
            response.headers["Retry-After"] = str(seconds)
        return response

    # -- dispatch -------------------------------------------------------------------------------

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        """Handle a request: apply a pending fault, call `handle()` and record the outcome."""
        fault = self._take_fault(request)

        if fault is not None and fault.kind in _STATUS_FAULTS:
            response = self._fault_response(_STATUS_FAULTS[fault.kind], fault.retry_after)
            self._record(request, response.status)
            return response
        if fault is not None and fault.kind == "dropped":
            self._record(request, 0)
            return HttpResponse(0, drop=True)

        if fault is not None and fault.kind == "stale_read":
            response = self._handle_stale(request)
        else:
            response = self._handle_keeping_previous_state(request)

        if fault is not None and fault.kind == "accepted_then_500":
            response = self._fault_response(500, fault.retry_after)
        if fault is not None and fault.kind == "accepted_then_dropped":
            self._record(request, 0)
            return HttpResponse(0, drop=True)
        self._record(request, response.status)

        if fault is not None and fault.kind == "timeout":
            self._stopping.wait(self.slow_seconds)
        if fault is not None and fault.kind == "slow":
            self._stopping.wait(self.slow_seconds / 10)
        return response

    def _handle_keeping_previous_state(self, request: HttpRequest) -> HttpResponse:
        if request.method in _READ_METHODS:
            return self._handle_safely(request)
        with self._state_lock:
            before = self.snapshot_state()
            response = self._handle_safely(request)
            if response.status < 400 and before is not None:
                self._previous_state = before
            return response

    def _handle_stale(self, request: HttpRequest) -> HttpResponse:
        with self._state_lock:
            if self._previous_state is None:
                return self._handle_safely(request)
            current = self.snapshot_state()
            self.restore_state(self._previous_state)
            try:
                return self._handle_safely(request)
            finally:
                self.restore_state(current)

    def _handle_safely(self, request: HttpRequest) -> HttpResponse:
        try:
            with self._state_lock:
                return self.handle(request)
        except Exception:
            # A sandbox bug must not hang the client, so respond with 500 and log the traceback.
            logger.exception("sandbox failed to handle a request", extra={"method": request.method})
            return HttpResponse(500, self.error_body(500, "The sandbox failed to handle the request."))

    # -- recorded requests ----------------------------------------------------------------------

    def _record(self, request: HttpRequest, status: int) -> None:
        body: Any = None
        if request.body:
            try:
                body = loads_json(request.body)
            except ValueError:
                body = request.body.decode("utf-8", errors="replace")

        record = RecordedRequest(request.method, request.path, request.query, body, status)
        with self._state_lock:
            self._recorded.append(record)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first, including rejected and faulted ones."""
        with self._state_lock:
            return list(self._recorded)

    def dump(self, directory: str | Path) -> list[Path]:
        """Write each recorded request to `directory` as NNNN-METHOD-path.json and return the paths."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)

        written: list[Path] = []
        for number, record in enumerate(self.requests, start=1):
            slug = re.sub(r"[^A-Za-z0-9.-]+", "_", record.path).strip("_") or "root"
            path = target / f"{number:04d}-{record.method}-{slug}.json"
            path.write_text(dumps_json(record.to_dict(), indent=2) + "\n", encoding="utf-8")
            written.append(path)
        return written
