"""Webhook signatures: HMAC-SHA256 over `timestamp + "." + raw body`, hex-encoded.

The signature header may carry several `v1=` values, and a connection may have two secrets
in force while a secret is rotated; a delivery is genuine when any pair matches. Zettle signs
its webhooks the same way, with the timestamp and payload taken from the message body and the
bare hex digest in its header (`verify_hex`).
"""

from __future__ import annotations

import hashlib
import hmac

from hub.errors import HubError

MAX_AGE_SECONDS = 300


class InvalidSignature(HubError):
    """The delivery's signature or timestamp is missing, wrong or too old."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of `timestamp + "." + body` under `secret`."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(
    *, secrets: list[str], timestamp: str | None, signature_header: str | None, body: bytes, now: float
) -> None:
    """Check a delivery. Raises InvalidSignature with a reason that contains no secret or signature."""
    if not timestamp or not signature_header:
        raise InvalidSignature("missing signature or timestamp header")
    # isascii too: str.isdigit() accepts digits such as "²" that int() cannot read.
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise InvalidSignature("timestamp header is not a Unix time in seconds")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise InvalidSignature(f"timestamp is more than {MAX_AGE_SECONDS} seconds from the current time")
    offered = [part.strip()[3:] for part in signature_header.split(",") if part.strip().startswith("v1=")]
    if not offered:
        raise InvalidSignature("signature header has no v1= signature")
    for secret in secrets:
        expected = sign(secret, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return
    raise InvalidSignature("signature does not match")


def verify_hex(*, secrets: list[str], timestamp: str | None, signature: str | None, payload: bytes) -> None:
    """Check a delivery whose signature is one bare hex digest of `timestamp + "." + payload`.

    Raises InvalidSignature with a reason that contains no secret or signature. The caller checks
    the timestamp's age, when it should.
    """
    if not timestamp or not signature:
        raise InvalidSignature("missing signature or timestamp")
    if not secrets:
        raise InvalidSignature("no signing key is configured for this connection")
    offered = signature.strip().lower()
    for secret in secrets:
        if hmac.compare_digest(sign(secret, timestamp, payload), offered):
            return
    raise InvalidSignature("signature does not match")
