"""A JSON-over-HTTP client with timeouts and retries, shared by the connectors.

Retries back off exponentially with full jitter and honour `Retry-After` on 429 and 5xx.
A request that may have taken effect (a POST that timed out or got a 5xx) is not retried
here, because a second POST could create a second document. The caller's flow retries it
through the queue instead, after looking the document up by its external reference.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from hub.errors import TargetUnavailable
from hub.observability import logger

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 30.0


class JsonHttpClient:
    """One `requests` session for one target and set of credentials."""

    def __init__(
        self,
        target: str,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout_seconds: float,
        max_attempts: int,
        backoff_base_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target = target
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_seconds
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update(headers)
        # With trust_env on, requests reads the proxy variables, the CA bundle variables and
        # ~/.netrc again for every request: a quarter of the client's CPU per GET, measured
        # with 36 environment variables. A function's environment does not change while it
        # runs, so the proxies and the CA bundle are read once here, and .netrc not at all:
        # every connector sends its own credentials.
        self._session.trust_env = False
        self._session.proxies = requests.utils.get_environ_proxies(self._base_url)
        self._session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        idempotent: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send a request and return the response, retrying transient failures.

        Returns any response that is not retryable, 4xx included, for the connector to map.
        `headers` are added to the session's headers for this request only, such as a bearer token.
        Raises TargetUnavailable when the attempts run out or a non-idempotent request failed
        in a way that leaves its effect unknown. `idempotent` overrides the method's default
        (GET, PUT, DELETE and HEAD are idempotent), e.g. for a PATCH that sets absolute values.
        """
        if idempotent is None:
            idempotent = method in {"GET", "PUT", "DELETE", "HEAD"}
        url = f"{self._base_url}{path}"
        body = encode_json(json_body) if json_body is not None else data
        for attempt in range(1, self._max_attempts + 1):
            last_attempt = attempt == self._max_attempts
            try:
                response = self._session.request(
                    method, url, params=params, data=body, headers=headers, timeout=self._timeout
                )
            except requests.ConnectionError as error:
                # requests reports both a refused connection and one dropped after sending as
                # ConnectionError. Only the first is safe to resend for a POST.
                safe = idempotent or _failed_to_connect(error)
                if last_attempt or not safe:
                    raise TargetUnavailable(
                        self.target, f"{method} {path} failed: connection error"
                    ) from None
                self._wait(method, path, attempt, status=None, retry_after=None)
                continue
            except requests.Timeout:
                # A read timeout: the target may have acted on the request.
                if last_attempt or not idempotent:
                    raise TargetUnavailable(self.target, f"{method} {path} timed out") from None
                self._wait(method, path, attempt, status=None, retry_after=None)
                continue

            if response.status_code not in RETRYABLE_STATUSES:
                return response
            # A 429 was not processed; a 5xx on a POST may have been.
            safe = idempotent or response.status_code == 429
            if last_attempt or not safe:
                raise TargetUnavailable(
                    self.target,
                    f"{method} {path} failed with HTTP {response.status_code}",
                    status=response.status_code,
                )
            self._wait(
                method,
                path,
                attempt,
                status=response.status_code,
                retry_after=response.headers.get("Retry-After"),
            )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(
        self, method: str, path: str, attempt: int, *, status: int | None, retry_after: str | None
    ) -> None:
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            delay = random.uniform(0, self._backoff_base * 2 ** (attempt - 1))  # noqa: S311 - jitter, not security
        logger.warning(
            "retrying request",
            target=self.target,
            method=method,
            path=path,
            attempt=attempt,
            status=status,
            delay_seconds=round(delay, 3),
        )
        self._sleep(delay)


def encode_json(value: Any) -> bytes:
    """Serialise to JSON, writing each Decimal as the exact number it holds."""
    return json.dumps(value, default=_decimal_to_number, ensure_ascii=False).encode("utf-8")


def _decimal_to_number(value: object) -> float | int:
    if not isinstance(value, Decimal):
        raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    # A float prints as the shortest text that reads back as the same float, so this check
    # passes for every amount with up to 15 significant digits and fails loudly beyond.
    if Decimal(repr(number)) != value.normalize():
        raise ValueError(f"{value} cannot be written as an exact JSON number")
    return number


def _failed_to_connect(error: requests.ConnectionError) -> bool:
    """Return whether the request never reached the target (refused connection, failed DNS)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | NameResolutionError)


def _retry_after_seconds(header: str | None) -> float | None:
    """Parse Retry-After (seconds or an HTTP date), capped at MAX_RETRY_AFTER_SECONDS."""
    if header is None:
        return None
    header = header.strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return min(max(moment.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_SECONDS)
