"""Cursors: how far a scheduled pull has read, per connection and flow.

A cursor is a time that only moves forward. A checkpoint is where an unfinished run stopped
(an opaque position such as a page key), kept until the run that resumes from it completes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import ClientError

from hub.aws import dynamodb_table


def _stored_form(position: datetime) -> str:
    # One fixed UTC format, so that the table's string comparison orders positions correctly.
    return position.astimezone(UTC).isoformat(timespec="microseconds")


class CursorStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    def get(self, connection_id: str, cursor_name: str) -> datetime | None:
        """Return the stored position, or None before the first run."""
        item = (
            dynamodb_table(self._table_name)
            .get_item(Key={"connection_id": connection_id, "cursor_name": cursor_name})
            .get("Item")
        )
        return datetime.fromisoformat(str(item["position"])) if item else None

    def advance(self, connection_id: str, cursor_name: str, position: datetime) -> bool:
        """Store the position unless the stored one is newer. Returns whether the cursor moved."""
        try:
            dynamodb_table(self._table_name).update_item(
                Key={"connection_id": connection_id, "cursor_name": cursor_name},
                UpdateExpression="SET #position = :position",
                ConditionExpression="attribute_not_exists(#position) OR #position < :position",
                ExpressionAttributeNames={"#position": "position"},
                ExpressionAttributeValues={":position": _stored_form(position)},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def checkpoint(self, connection_id: str, name: str) -> str | None:
        """Return where an unfinished run of flow `name` stopped, or None when the last run completed."""
        item = (
            dynamodb_table(self._table_name)
            .get_item(
                Key={"connection_id": connection_id, "cursor_name": f"{name}#checkpoint"}, ConsistentRead=True
            )
            .get("Item")
        )
        return str(item["checkpoint"]) if item else None

    def save_checkpoint(self, connection_id: str, name: str, checkpoint: str) -> None:
        """Store where the run of flow `name` goes on next time."""
        dynamodb_table(self._table_name).put_item(
            Item={
                "connection_id": connection_id,
                "cursor_name": f"{name}#checkpoint",
                "checkpoint": checkpoint,
            }
        )

    def clear_checkpoint(self, connection_id: str, name: str) -> None:
        """Forget the checkpoint, so the next run of flow `name` starts from the beginning."""
        dynamodb_table(self._table_name).delete_item(
            Key={"connection_id": connection_id, "cursor_name": f"{name}#checkpoint"}
        )
