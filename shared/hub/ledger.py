"""The sync ledger: per connection, document and target, what the hub did and which version it applied.

Items in the ledger table (partition key `pk`, sort key `sk`):
- transfer state, `pk = {connection}#{kind}#{document id}`, `sk = target#{target}`: the state,
  the applied version, the target's document numbers, the last error and the lease;
- transfer log, same `pk`, `sk = log#{time}#{target}#{state}`: one item per step, removed by
  DynamoDB TTL through `expires_at` after the configured number of days;
- webhook deliveries, `pk = {connection}#delivery#{delivery id}`, `sk = delivery`, with TTL;
- failure notices, same `pk` as the document, `sk = notice#{target}`: when the last failure
  notification for that document and target was sent, so repeats are rate-limited;
- notices per connection and hour, `pk = {connection}#notices`, `sk = hour#{YYYYMMDDHH}`, with TTL.

The `ByConnection` index lists a connection's items in time order. Its keys `by_connection` and
`by_connection_sort` are set only on transfer log items (`log#{time}#...`) and on transfer states
that failed and are still open (`failure#{first failure time}`), so the index stays sparse.

The lease is a conditional write: a worker may transfer a version only when no newer or equal
version was applied and no other worker's lease is still running. A crashed worker's lease ends
at its invocation deadline, so the next delivery takes over.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from hub.aws import dynamodb_table

DELIVERY_TTL_SECONDS = 7 * 24 * 3600
BY_CONNECTION_INDEX = "ByConnection"
NOTICE_COUNTER_TTL_SECONDS = 2 * 24 * 3600

_DESERIALIZER = TypeDeserializer()


class TransferState(StrEnum):
    WAITING = "waiting"
    """The document is not yet in a state the connection transfers."""
    IN_PROGRESS = "in_progress"
    TRANSFERRED = "transferred"
    RETRYING = "retrying"
    """The target failed in a way that may pass; the queue delivers the message again."""
    FAILED = "failed"
    """The target rejected the document for good; it waits for a fix and a replay."""
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    """The order was cancelled and the target's document undone."""


class TargetErrorRecord(BaseModel):
    """An error as the target stated it."""

    model_config = ConfigDict(frozen=True)

    message: str
    status: int | None = None
    code: str | None = None
    field: str | None = None
    log_id: str | None = None


class TransferRecord(BaseModel):
    """The ledger's state for one document and target."""

    model_config = ConfigDict(frozen=True)

    connection_id: str
    kind: str
    document_id: str
    target: str
    state: TransferState
    version: int
    applied_version: int | None = None
    documents: dict[str, str] = {}
    error: TargetErrorRecord | None = None
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    attempts: int = 0
    updated_at: str


OPEN_FAILURE_STATES = frozenset({TransferState.FAILED, TransferState.RETRYING})
"""States that leave a document and target waiting for someone: a rejection or a retry still pending."""


class TransferLogEntry(BaseModel):
    """One step of a transfer as the log recorded it."""

    model_config = ConfigDict(frozen=True)

    connection_id: str
    kind: str
    document_id: str
    target: str
    state: TransferState
    version: int
    documents: dict[str, str] = {}
    error: TargetErrorRecord | None = None
    attempts: int | None = None
    duration_ms: int | None = None
    """Milliseconds from taking the lease to this step, on the step that ends a lease."""
    started_at: str | None = None
    """When the lease was taken, on the step that ends a lease."""
    logged_at: str


TransferListener = Callable[[TransferLogEntry], None]
"""Called after each transfer log item is written, e.g. to emit metrics or notifications."""


class ClaimRefused(Exception):
    """The lease was not granted. `record` is the ledger state that refused it."""

    def __init__(self, record: TransferRecord, *, stale: bool) -> None:
        super().__init__("lease not granted")
        self.record = record
        self.stale = stale


class Lease(BaseModel):
    model_config = ConfigDict(frozen=True)

    owner: str
    record: TransferRecord


def _document_key(connection_id: str, kind: str, document_id: str) -> str:
    return f"{connection_id}#{kind}#{document_id}"


class Ledger:
    """Reads and writes the ledger table. `clock` returns epoch seconds; tests replace it."""

    def __init__(
        self,
        table_name: str,
        *,
        log_ttl_days: int,
        clock: Callable[[], float] = time.time,
        listeners: Sequence[TransferListener] = (),
    ) -> None:
        self._table_name = table_name
        self._log_ttl_seconds = log_ttl_days * 24 * 3600
        self._clock = clock
        self._listeners = list(listeners)

    def add_listener(self, listener: TransferListener) -> None:
        """Call `listener` after every transfer log item this ledger writes."""
        self._listeners.append(listener)

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def get(self, connection_id: str, kind: str, document_id: str, target: str) -> TransferRecord | None:
        """Return the transfer state of one document and target, or None when nothing was recorded."""
        item = self._table.get_item(
            Key={"pk": _document_key(connection_id, kind, document_id), "sk": f"target#{target}"},
            ConsistentRead=True,
        ).get("Item")
        return _record_from_item(item) if item else None

    def records(self, connection_id: str, kind: str, document_id: str) -> list[TransferRecord]:
        """Return the transfer state of one document in every target that recorded one."""
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :target)",
            ExpressionAttributeValues={
                ":pk": _document_key(connection_id, kind, document_id),
                ":target": "target#",
            },
            ConsistentRead=True,
        )
        return [_record_from_item(item) for item in response["Items"]]

    def claim(
        self,
        connection_id: str,
        kind: str,
        document_id: str,
        target: str,
        *,
        version: int,
        lease_seconds: float,
        force: bool = False,
    ) -> Lease:
        """Take the lease to transfer `version`. Raises ClaimRefused when it is stale or leased.

        `force` lets a replay transfer a version that was already applied (after a fix).
        """
        now = self._clock()
        owner = uuid.uuid4().hex
        condition = "(attribute_not_exists(lease_expires_at) OR lease_expires_at < :now)"
        if not force:
            condition += " AND (attribute_not_exists(applied_version) OR applied_version < :version)"
        try:
            response = self._table.update_item(
                Key={"pk": _document_key(connection_id, kind, document_id), "sk": f"target#{target}"},
                UpdateExpression=(
                    "SET #state = :state, version = :version, lease_owner = :owner,"
                    " lease_expires_at = :expires, updated_at = :updated,"
                    " connection_id = :connection, kind = :kind, document_id = :document, target = :target"
                    " ADD attempts :one"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":state": TransferState.IN_PROGRESS.value,
                    ":version": version,
                    ":owner": owner,
                    ":expires": _number(now + lease_seconds),
                    ":now": _number(now),
                    ":updated": _timestamp(now),
                    ":connection": connection_id,
                    ":kind": kind,
                    ":document": document_id,
                    ":target": target,
                    ":one": 1,
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            record = _record_from_item(_deserialize(error.response.get("Item", {})))
            stale = not force and record.applied_version is not None and record.applied_version >= version
            raise ClaimRefused(record, stale=stale) from None
        lease = Lease(owner=owner, record=_record_from_item(response["Attributes"]))
        # The start is not written as a log item of its own: the item `finish` writes carries
        # `started_at`, and until then the target item itself shows the step in progress. The
        # listeners still hear of the start.
        self._notify(_log_entry(lease.record, logged_at=lease.record.updated_at))
        return lease

    def finish(
        self,
        lease: Lease,
        *,
        state: TransferState,
        documents: dict[str, str] | None = None,
        error: TargetErrorRecord | None = None,
        applied: bool,
    ) -> TransferRecord:
        """End the lease with `state`. `applied` marks the leased version as done for good.

        Raises ClaimRefused when the lease was lost to another worker meanwhile.
        """
        now = self._clock()
        record = lease.record
        documents = {**record.documents, **(documents or {})}
        values: dict[str, Any] = {
            ":state": state.value,
            ":owner": lease.owner,
            ":updated": _timestamp(now),
            ":documents": documents,
        }
        assignments = ["#state = :state", "updated_at = :updated", "documents = :documents"]
        removals = ["lease_owner", "lease_expires_at"]
        if applied:
            assignments.append("applied_version = :version")
            values[":version"] = record.version
        if error is None:
            removals.append("#error")
        else:
            assignments.append("#error = :error")
            values[":error"] = error.model_dump(exclude_none=True)
        if state in OPEN_FAILURE_STATES:
            # Listed in ByConnection as an open failure, dated by its first failure.
            assignments.append("by_connection = :connection")
            assignments.append("by_connection_sort = if_not_exists(by_connection_sort, :failure_sort)")
            values[":connection"] = record.connection_id
            values[":failure_sort"] = f"failure#{_timestamp(now)}"
        else:
            removals.extend(["by_connection", "by_connection_sort"])
        try:
            response = self._table.update_item(
                Key={
                    "pk": _document_key(record.connection_id, record.kind, record.document_id),
                    "sk": f"target#{record.target}",
                },
                UpdateExpression=f"SET {', '.join(assignments)} REMOVE {', '.join(removals)}",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeNames={"#state": "state", "#error": "error"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as client_error:
            if client_error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = _record_from_item(_deserialize(client_error.response.get("Item", {})))
            raise ClaimRefused(current, stale=False) from None
        finished = _record_from_item(response["Attributes"])
        started = datetime.fromisoformat(record.updated_at).timestamp()
        self.append_log(
            finished, duration_ms=max(int((now - started) * 1000), 0), started_at=record.updated_at
        )
        return finished

    def record_waiting(
        self,
        connection_id: str,
        kind: str,
        document_id: str,
        target: str,
        *,
        version: int,
        reason: str,
        state: TransferState = TransferState.WAITING,
        applied: bool = False,
    ) -> TransferRecord | None:
        """Record that `version` is not in a transferable state yet.

        Returns None, and records nothing, when a newer version is known, another worker holds
        the lease, or a version was already transferred. `applied` makes the version final, so
        that older versions delivered later are skipped (an order cancelled before transfer).
        """
        return self.record_not_transferred(
            connection_id,
            kind,
            document_id,
            target,
            version=version,
            state=state,
            reason=reason,
            applied=applied,
        )

    def record_not_transferred(
        self,
        connection_id: str,
        kind: str,
        document_id: str,
        target: str,
        *,
        version: int,
        state: TransferState,
        reason: str,
        applied: bool = False,
    ) -> TransferRecord | None:
        """Record `state` (waiting or skipped) with its reason for a version that is not transferred.

        Returns None, and records nothing, under the same conditions as `record_waiting`.
        """
        now = self._clock()
        try:
            response = self._table.update_item(
                Key={"pk": _document_key(connection_id, kind, document_id), "sk": f"target#{target}"},
                UpdateExpression=(
                    "SET #state = :state, version = :version, updated_at = :updated, #error = :reason,"
                    " connection_id = :connection, kind = :kind, document_id = :document, target = :target"
                    + (", applied_version = :version" if applied else "")
                ),
                ConditionExpression=(
                    "attribute_not_exists(applied_version)"
                    " AND (attribute_not_exists(version) OR version < :version)"
                    " AND (attribute_not_exists(lease_expires_at) OR lease_expires_at < :now)"
                ),
                ExpressionAttributeNames={"#state": "state", "#error": "error"},
                ExpressionAttributeValues={
                    ":state": state.value,
                    ":version": version,
                    ":updated": _timestamp(now),
                    ":reason": {"message": reason},
                    ":now": _number(now),
                    ":connection": connection_id,
                    ":kind": kind,
                    ":document": document_id,
                    ":target": target,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return None
        record = _record_from_item(response["Attributes"])
        self.append_log(record)
        return record

    def append_log(
        self, record: TransferRecord, *, duration_ms: int | None = None, started_at: str | None = None
    ) -> None:
        """Write one transfer-log item for `record`, removed by TTL after the configured days.

        Then call each listener with the entry. A listener's exception propagates.
        """
        now = self._clock()
        logged_at = _timestamp(now)
        entry = _log_entry(record, logged_at=logged_at, duration_ms=duration_ms, started_at=started_at)
        item: dict[str, Any] = {
            "pk": _document_key(record.connection_id, record.kind, record.document_id),
            "sk": f"log#{logged_at}#{record.target}#{record.state.value}",
            **entry.model_dump(mode="json", exclude_none=True),
            "by_connection": record.connection_id,
            "by_connection_sort": f"log#{logged_at}#{record.kind}#{record.document_id}#{record.target}",
            "expires_at": int(now) + self._log_ttl_seconds,
        }
        self._table.put_item(Item=item)
        self._notify(entry)

    def _notify(self, entry: TransferLogEntry) -> None:
        for listener in self._listeners:
            listener(entry)

    def history(self, connection_id: str, kind: str, document_id: str) -> list[dict[str, Any]]:
        """Return the transfer-log items of one document, oldest first."""
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={
                ":pk": _document_key(connection_id, kind, document_id),
                ":log": "log#",
            },
        )
        return list(response["Items"])

    def seen_delivery(self, connection_id: str, delivery_id: str) -> bool:
        """Return whether a webhook delivery with this id was already enqueued."""
        item = self._table.get_item(
            Key={"pk": f"{connection_id}#delivery#{delivery_id}", "sk": "delivery"}
        ).get("Item")
        return item is not None

    def remember_delivery(self, connection_id: str, delivery_id: str, document_id: str) -> None:
        """Record an enqueued webhook delivery, kept for a week."""
        now = self._clock()
        self._table.put_item(
            Item={
                "pk": f"{connection_id}#delivery#{delivery_id}",
                "sk": "delivery",
                "document_id": document_id,
                "received_at": _timestamp(now),
                "expires_at": int(now) + DELIVERY_TTL_SECONDS,
            }
        )

    # -- reading the transfer log ---------------------------------------------------------------

    def states(self, connection_id: str, kind: str, document_id: str) -> list[TransferRecord]:
        """Return the transfer state of one document for each target that recorded one."""
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :target)",
            ExpressionAttributeValues={
                ":pk": _document_key(connection_id, kind, document_id),
                ":target": "target#",
            },
            ConsistentRead=True,
        )
        return [_record_from_item(item) for item in items]

    def journey(self, connection_id: str, kind: str, document_id: str) -> list[TransferLogEntry]:
        """Return every step of one document, across targets, oldest first.

        A step that ended is listed with its start. A step still in progress, or whose worker
        stopped before it ended, is listed from the target's record.
        """
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={
                ":pk": _document_key(connection_id, kind, document_id),
                ":log": "log#",
            },
            ConsistentRead=True,
        )
        entries = [
            step for item in self._unexpired(items) for step in _with_start(_log_entry_from_item(item))
        ]
        entries.extend(
            _log_entry(record, logged_at=record.updated_at)
            for record in self.states(connection_id, kind, document_id)
            if record.state is TransferState.IN_PROGRESS
        )
        return sorted(entries, key=lambda entry: entry.logged_at)

    def connection_log(
        self,
        connection_id: str,
        *,
        since: datetime,
        until: datetime | None = None,
        newest_first: bool = False,
    ) -> Iterator[TransferLogEntry]:
        """Yield the connection's logged steps from `since` to `until` (default: now), in time order.

        Reads the ByConnection index, which is eventually consistent: a step written a moment
        ago may be missing.
        """
        upper = f"log#{_timestamp(until.timestamp())}" if until is not None else "log#~"
        items = self._query(
            IndexName=BY_CONNECTION_INDEX,
            KeyConditionExpression=(
                "by_connection = :connection AND by_connection_sort BETWEEN :lower AND :upper"
            ),
            ExpressionAttributeValues={
                ":connection": connection_id,
                ":lower": f"log#{_timestamp(since.timestamp())}",
                ":upper": upper,
            },
            ScanIndexForward=not newest_first,
        )
        for item in self._unexpired(items):
            steps = _with_start(_log_entry_from_item(item))
            yield from reversed(steps) if newest_first else steps

    def latest_step(
        self, connection_id: str, *, since: datetime, states: frozenset[TransferState]
    ) -> TransferLogEntry | None:
        """Return the connection's newest logged step in one of `states` since `since`, or None."""
        for entry in self.connection_log(connection_id, since=since, newest_first=True):
            if entry.state in states:
                return entry
        return None

    def open_failures(self, connection_id: str, *, limit: int | None = None) -> list[TransferRecord]:
        """Return the connection's transfers that failed or wait for a retry, oldest failure first."""
        records: list[TransferRecord] = []
        items = self._query(
            IndexName=BY_CONNECTION_INDEX,
            KeyConditionExpression=(
                "by_connection = :connection AND begins_with(by_connection_sort, :failure)"
            ),
            ExpressionAttributeValues={":connection": connection_id, ":failure": "failure#"},
        )
        for item in items:
            record = _record_from_item(item)
            # The index is eventually consistent, so a state that has since changed is skipped.
            if record.state in OPEN_FAILURE_STATES:
                records.append(record)
            if limit is not None and len(records) >= limit:
                break
        return records

    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        while True:
            response = self._table.query(**request)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _unexpired(self, items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        # DynamoDB deletes expired items up to a few days late, so reads skip them themselves.
        now = self._clock()
        return (item for item in items if int(item.get("expires_at", now + 1)) > now)

    # -- failure notices ------------------------------------------------------------------------

    def claim_notice(
        self, connection_id: str, kind: str, document_id: str, target: str, *, quiet_seconds: int
    ) -> bool:
        """Return True when no failure notice for this document and target went out in `quiet_seconds`.

        Records the notice at the same time, with a conditional write, so two workers cannot
        both send one.
        """
        now = self._clock()
        try:
            self._table.put_item(
                Item={
                    "pk": _document_key(connection_id, kind, document_id),
                    "sk": f"notice#{target}",
                    "notified_at": _number(now),
                    "expires_at": int(now) + quiet_seconds,
                },
                ConditionExpression="attribute_not_exists(pk) OR notified_at < :quiet_start",
                ExpressionAttributeValues={":quiet_start": _number(now - quiet_seconds)},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def count_notice(self, connection_id: str, *, hourly_limit: int) -> bool:
        """Count one notice in the connection's current hour. Returns False once `hourly_limit` is reached."""
        now = self._clock()
        hour = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H")
        try:
            self._table.update_item(
                Key={"pk": f"{connection_id}#notices", "sk": f"hour#{hour}"},
                UpdateExpression="ADD sent :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(sent) OR sent < :limit",
                ExpressionAttributeValues={
                    ":one": 1,
                    ":limit": hourly_limit,
                    ":expires": int(now) + NOTICE_COUNTER_TTL_SECONDS,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True


def _number(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))


def _timestamp(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="microseconds")


def _deserialize(item: Any) -> dict[str, Any]:
    """Turn a low-level item (as in a ConditionalCheckFailed response) into plain values."""
    return {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}


def _record_from_item(item: dict[str, Any]) -> TransferRecord:
    return TransferRecord(
        connection_id=str(item["connection_id"]),
        kind=str(item["kind"]),
        document_id=str(item["document_id"]),
        target=str(item["target"]),
        state=TransferState(item["state"]),
        version=int(item["version"]),
        applied_version=int(item["applied_version"]) if "applied_version" in item else None,
        documents={key: str(value) for key, value in item.get("documents", {}).items()},
        error=TargetErrorRecord.model_validate(item["error"]) if item.get("error") else None,
        lease_owner=item.get("lease_owner"),
        lease_expires_at=float(item["lease_expires_at"]) if "lease_expires_at" in item else None,
        attempts=int(item.get("attempts", 0)),
        updated_at=str(item["updated_at"]),
    )


def _log_entry(
    record: TransferRecord,
    *,
    logged_at: str,
    duration_ms: int | None = None,
    started_at: str | None = None,
) -> TransferLogEntry:
    return TransferLogEntry(
        connection_id=record.connection_id,
        kind=record.kind,
        document_id=record.document_id,
        target=record.target,
        state=record.state,
        version=record.version,
        documents=record.documents,
        error=record.error,
        attempts=record.attempts,
        duration_ms=duration_ms,
        started_at=started_at,
        logged_at=logged_at,
    )


def _with_start(entry: TransferLogEntry) -> list[TransferLogEntry]:
    """Return the step that ended a lease after the `in_progress` step that took it; other steps alone."""
    if entry.started_at is None:
        return [entry]
    start = entry.model_copy(
        update={
            "state": TransferState.IN_PROGRESS,
            "documents": {},
            "error": None,
            "duration_ms": None,
            "started_at": None,
            "logged_at": entry.started_at,
        }
    )
    return [start, entry]


def _log_entry_from_item(item: dict[str, Any]) -> TransferLogEntry:
    # Log items written before the entry's ids were stored carry them only in `pk`.
    connection_id, kind, document_id = str(item["pk"]).split("#", 2)
    return TransferLogEntry(
        connection_id=str(item.get("connection_id", connection_id)),
        kind=str(item.get("kind", kind)),
        document_id=str(item.get("document_id", document_id)),
        target=str(item["target"]),
        state=TransferState(item["state"]),
        version=int(item["version"]),
        documents={key: str(value) for key, value in item.get("documents", {}).items()},
        error=TargetErrorRecord.model_validate(item["error"]) if item.get("error") else None,
        attempts=int(item["attempts"]) if "attempts" in item else None,
        duration_ms=int(item["duration_ms"]) if "duration_ms" in item else None,
        started_at=str(item["started_at"]) if "started_at" in item else None,
        logged_at=str(item["logged_at"]),
    )
