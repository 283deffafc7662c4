"""Webhook delivery files (`{"headers": {...}, "body": {...}}`) and their signing."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.signatures import sign
from hubctl.sandboxes._http import dumps_json, loads_json


@dataclass(frozen=True)
class Delivery:
    name: str
    headers: dict[str, str]
    body: bytes

    def signed(self, secret: str, *, now: float | None = None) -> Delivery:
        """Return a copy signed with `secret` at `now`, as Bemakers signs a delivery."""
        timestamp = str(int(time.time() if now is None else now))
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in {"x-bemakers-timestamp", "x-bemakers-signature"}
        }
        headers["X-Bemakers-Timestamp"] = timestamp
        headers["X-Bemakers-Signature"] = f"v1={sign(secret, timestamp, self.body)}"
        return Delivery(self.name, headers, self.body)

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


def load_delivery(path: Path) -> Delivery:
    """Read a delivery file. The body is sent as compact JSON with its numbers unchanged."""
    try:
        document = loads_json(path.read_bytes())
    except ValueError as error:
        raise ValueError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(document, dict) or "body" not in document:
        raise ValueError(f"{path}: a delivery file needs a `body` object and optional `headers`")
    headers = {str(name): str(value) for name, value in (document.get("headers") or {}).items()}
    body = document["body"]
    raw = body.encode("utf-8") if isinstance(body, str) else dumps_json(body).encode("utf-8")
    return Delivery(path.name, headers, raw)
