"""Exceptions with meaning. Handlers map them to HTTP responses or retry decisions in one place."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class InvalidInput(HubError):
    """A request or document failed validation. `fields` lists the dotted paths of the bad fields."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.fields = list(fields)


class InvalidOrder(InvalidInput):
    """An order cannot be transferred in its current form, whatever the target does."""


class ConfigurationError(HubError):
    """A connection's settings or secrets are missing or invalid."""


class ConnectionNotFound(HubError):
    """No connection with that id is configured."""


class TargetError(HubError):
    """A connected system did not do what was asked. `target` names the system."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(message)
        self.target = target


class TargetRejected(TargetError):
    """The target refused the request for good (a 4xx other than 408/429): retrying will not help.

    `status` is the HTTP status, `code` the target's own error code when it gave one, and
    `field` the path of the field we sent that the target named.
    """

    def __init__(
        self,
        target: str,
        message: str,
        *,
        status: int,
        code: str | None = None,
        field: str | None = None,
        log_id: str | None = None,
    ) -> None:
        super().__init__(target, message)
        self.status = status
        self.code = code
        self.field = field
        self.log_id = log_id


class WarehouseChangeRefused(TargetRejected):
    """The warehouse has started working on an order, so a change or cancellation can no longer reach it."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(target, message, status=409, code="warehouse_locked")


class AlreadyExists(TargetRejected):
    """The target already has a document with the key the hub tried to create (HTTP 409)."""


class TargetUnavailable(TargetError):
    """The target failed in a way that may pass: a timeout, a dropped connection, 408, 429 or 5xx."""

    def __init__(self, target: str, message: str, *, status: int | None = None) -> None:
        super().__init__(target, message)
        self.status = status


class TransferInProgress(HubError):
    """Another worker holds the lease on this order and target; the message comes back later."""


def validation_paths(error: ValidationError) -> list[str]:
    """Return the dotted paths of the fields a pydantic validation failed on (`lines.0.quantity`)."""
    return [".".join(str(part) for part in detail["loc"]) for detail in error.errors()]
