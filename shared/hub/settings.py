"""The functions' environment, validated once per cold start.

Non-secret wiring (table names, queue URL) comes from template.yaml as environment
variables. Secrets never do: they are read from Secrets Manager (see `hub.secrets`).
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError

from hub.errors import ConfigurationError


class Settings(BaseModel):
    connections_table: str = Field(min_length=1)
    ledger_table: str = Field(min_length=1)
    cursors_table: str = Field(min_length=1)
    product_sync_table: str = Field(min_length=1)
    orders_queue_url: str = Field(min_length=1)
    credit_notes_queue_url: str = Field(min_length=1)
    secrets_prefix: str = "bemakers-hub/"
    transfer_log_ttl_days: int = Field(default=90, ge=1)
    credit_note_first_wait_seconds: int = Field(default=60, ge=0, le=900)
    """First delay before a credit note whose invoice is unbooked is tried again; it doubles each time."""
    environment: str = "dev"
    notification_topic_arn: str | None = None
    """SNS topic for failure notices, status reports and heartbeat notices; none are sent without it."""
    failure_notice_quiet_hours: int = Field(default=24, ge=1)
    """Hours after a failure notice in which the same document and target sends no other."""
    notices_per_connection_hour: int = Field(default=20, ge=1)
    """Failure notices one connection may send per hour; the status report counts the rest."""
    heartbeat_hours: int = Field(default=24, ge=1)
    """Hours without a transfer after which a connection that had transfers counts as silent."""


_VARIABLES = {
    "connections_table": "CONNECTIONS_TABLE",
    "ledger_table": "LEDGER_TABLE",
    "cursors_table": "CURSORS_TABLE",
    "product_sync_table": "PRODUCT_SYNC_TABLE",
    "orders_queue_url": "ORDERS_QUEUE_URL",
    "credit_notes_queue_url": "CREDIT_NOTES_QUEUE_URL",
    "secrets_prefix": "SECRETS_PREFIX",
    "transfer_log_ttl_days": "TRANSFER_LOG_TTL_DAYS",
    "credit_note_first_wait_seconds": "CREDIT_NOTE_FIRST_WAIT_SECONDS",
    "environment": "ENVIRONMENT",
    "notification_topic_arn": "NOTIFICATION_TOPIC_ARN",
    "failure_notice_quiet_hours": "FAILURE_NOTICE_QUIET_HOURS",
    "notices_per_connection_hour": "NOTICES_PER_CONNECTION_HOUR",
    "heartbeat_hours": "HEARTBEAT_HOURS",
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read and validate the environment. Raises ConfigurationError naming each missing variable."""
    values = {field: os.environ[name] for field, name in _VARIABLES.items() if name in os.environ}
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        names = [_VARIABLES[str(detail["loc"][0])] for detail in error.errors()]
        raise ConfigurationError(f"missing or invalid environment variables: {', '.join(names)}") from error
