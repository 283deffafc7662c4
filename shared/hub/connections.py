"""Connections: one maker's Bemakers account, its connected systems and their settings.

A connection is written by `hubctl connections apply` from a YAML file and kept in the
connections table as validated JSON. Secrets are referenced by their Secrets Manager name
and never stored in the connection itself.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.aws import dynamodb_table
from hub.economic_settings import EconomicSettings
from hub.errors import ConfigurationError, ConnectionNotFound
from hub.models.bemakers import OrderStatus
from hub.product_settings import ProductImportSettings
from hub.secrets import group_secrets

ConnectionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")]
PositiveNumber = Annotated[int, Field(ge=1)]
NonEmptyId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class StrictSettings(BaseModel):
    """Settings reject unknown keys, so a misspelt option or an inline secret is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BemakersSettings(StrictSettings):
    base_url: str = "https://api.bemakers.com"
    secret_name: SecretName
    """Secrets Manager name of a JSON secret with `api_token` and `webhook_secrets` (one or two)."""
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    first_poll_since: AwareDatetime | None = None
    """Where the first order poll starts (the go-live time); by default one day before the first run."""


class OngoingDelivery(StrictSettings):
    """Ongoing way of delivery and transporter for one Bemakers shipping method."""

    way_of_delivery: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    """Code of an Ongoing way of delivery type, such as `PARCEL`."""
    transporter_code: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    """Ongoing transporter code, such as `PLAB` or `GLS`."""
    transporter_service_code: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None


class OngoingSettings(StrictSettings):
    """One Ongoing WMS system (one 3PL): its address, goods owner and how Bemakers maps onto it."""

    base_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    """The warehouse's API address, such as `https://api.ongoingsystems.se/<warehouse>/api/v1`."""
    secret_name: SecretName
    """Secrets Manager name of a JSON secret with `username`, `password`, optionally `goods_owner_id`
    and `webhook_password`."""
    goods_owner_id: PositiveNumber | None = None
    """Ongoing goods owner id; when left out it must be in the secret."""
    transfer_states: Annotated[list[OrderStatus], Field(min_length=1)] = [OrderStatus.CONFIRMED]
    """Order states that send the order to the warehouse. A cancelled order is always acted on."""
    locations: Annotated[dict[str, NonEmptyId], Field(min_length=1)]
    """Bemakers location per Ongoing warehouse code. The locations are also the `fulfilled_from` values
    whose orders this warehouse ships."""
    ships_unassigned_orders: bool = False
    """Send orders without `fulfilled_from` to this warehouse."""
    shipping_methods: dict[str, OngoingDelivery] = {}
    """Way of delivery and transporter per Bemakers shipping method."""
    default_delivery: OngoingDelivery | None = None
    """Used for orders without a shipping method or with one missing from `shipping_methods`."""
    article_skus: dict[str, NonEmptyId] | None = None
    """Bemakers SKU per Ongoing article number. Left out, article numbers are the SKUs; given, only the
    listed articles are synchronised."""
    locked_from_status: int = Field(default=300, ge=100, le=999)
    """Ongoing order status from which the warehouse works on an order and takes no changes (300 Released)."""
    first_import_since: AwareDatetime | None = None
    """Start of the first fulfillment import; by default one day before the first run."""
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    max_attempts: int = Field(default=4, ge=1, le=10)

    @field_validator("transfer_states")
    @classmethod
    def _cancelled_is_implied(cls, states: list[OrderStatus]) -> list[OrderStatus]:
        if OrderStatus.CANCELLED in states:
            raise ValueError("transfer_states cannot include cancelled: a cancelled order is always acted on")
        return states

    def ships(self, fulfilled_from: str | None) -> bool:
        """Return whether an order fulfilled from `fulfilled_from` goes to this warehouse."""
        if fulfilled_from is None:
            return self.ships_unassigned_orders
        return fulfilled_from in self.locations.values()


class ZettleSettings(StrictSettings):
    """One Zettle organisation: its POS stock follows webshop sales, and its levels flow back."""

    oauth_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = "https://oauth.zettle.com"
    products_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = (
        "https://products.izettle.com"
    )
    inventory_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = (
        "https://inventory.izettle.com"
    )
    secret_name: SecretName
    """Secrets Manager name of a JSON secret with `client_id`, `api_key` and `webhook_signing_keys`."""
    transfer_states: Annotated[list[OrderStatus], Field(min_length=1)] = [OrderStatus.CONFIRMED]
    """Order states in which the order's quantities leave Zettle stock. A cancelled order is always
    acted on: what left the stock comes back."""
    fulfilled_from: list[NonEmptyId] | None = None
    """Bemakers locations whose orders lower Zettle stock. Left out, every order does."""
    location: NonEmptyId
    """The Bemakers location that Zettle's store balances are pushed to."""
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    max_attempts: int = Field(default=4, ge=1, le=10)

    @field_validator("transfer_states")
    @classmethod
    def _cancelled_is_implied(cls, states: list[OrderStatus]) -> list[OrderStatus]:
        if OrderStatus.CANCELLED in states:
            raise ValueError("transfer_states cannot include cancelled: a cancelled order is always acted on")
        return states

    def sells(self, fulfilled_from: str | None) -> bool:
        """Return whether an order fulfilled from `fulfilled_from` lowers Zettle stock."""
        return self.fulfilled_from is None or fulfilled_from in self.fulfilled_from


StockSourceName = Literal["ongoing", "zettle"]


class Connection(StrictSettings):
    connection_id: ConnectionId
    bemakers: BemakersSettings
    economic: EconomicSettings | None = None
    ongoing: OngoingSettings | None = None
    products: ProductImportSettings | None = None
    """Import products from a connected system into Bemakers. Left out, the connection imports none."""
    zettle: ZettleSettings | None = None
    stock_masters: dict[str, StockSourceName] = {}
    """The stock source whose levels Bemakers takes, per SKU prefix; the longest matching prefix wins,
    and the empty prefix matches every SKU. Required, with an empty-prefix entry, when the
    connection has more than one stock source, so that every SKU has exactly one master."""

    @model_validator(mode="after")
    def _check_product_source(self) -> Connection:
        if self.products is None:
            return self
        configured = {"economic": self.economic, "ongoing": self.ongoing, "zettle": self.zettle}
        source = self.products.source
        if configured[source] is None:
            raise ValueError(f"products.source {source} needs the connection's {source} settings")
        return self

    @model_validator(mode="after")
    def _one_master_per_sku(self) -> Connection:
        sources = self.stock_sources()
        unknown = sorted({name for name in self.stock_masters.values() if name not in sources})
        if unknown:
            raise ValueError(f"stock_masters names {unknown}, which this connection does not configure")
        if len(sources) > 1 and "" not in self.stock_masters:
            raise ValueError(
                f"the connection has stock sources {sources}: add stock_masters with an entry for the"
                ' empty prefix "" (every other SKU), so that each SKU has one master'
            )
        return self

    def stock_sources(self) -> list[str]:
        """Return the names of the connection's stock sources."""
        names: list[str] = []
        if self.ongoing is not None:
            names.append("ongoing")
        if self.zettle is not None:
            names.append("zettle")
        return names

    def stock_master(self, sku: str) -> str | None:
        """Return the stock source whose level of `sku` Bemakers takes, or None when no source is."""
        prefixes = [prefix for prefix in self.stock_masters if sku.startswith(prefix)]
        if prefixes:
            return self.stock_masters[max(prefixes, key=len)]
        sources = self.stock_sources()
        return sources[0] if len(sources) == 1 else None

    def secret_names(self) -> list[str]:
        """Return every Secrets Manager name the connection refers to."""
        names = [self.bemakers.secret_name]
        if self.economic is not None:
            names.append(self.economic.secret_name)
        if self.ongoing is not None:
            names.append(self.ongoing.secret_name)
        if self.zettle is not None:
            names.append(self.zettle.secret_name)
        return names


class ConnectionsFile(StrictSettings):
    """The YAML file that `hubctl connections apply` reads."""

    connections: Annotated[list[Connection], Field(min_length=1)]


class ConnectionStore:
    """Reads and writes connections in the connections table, with a short in-process cache."""

    def __init__(self, table_name: str, *, cache_seconds: float = 60) -> None:
        self._table_name = table_name
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Connection]] = {}

    def get(self, connection_id: str) -> Connection:
        """Return the connection. Raises ConnectionNotFound, or ConfigurationError for a broken item."""
        cached = self._cache.get(connection_id)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        item = dynamodb_table(self._table_name).get_item(Key={"connection_id": connection_id}).get("Item")
        if item is None:
            raise ConnectionNotFound(f"connection {connection_id!r} is not configured")
        connection = _parse_item(item)
        self._cache[connection_id] = (time.monotonic(), connection)
        return connection

    def list(self) -> list[Connection]:
        """Return every configured connection."""
        table = dynamodb_table(self._table_name)
        response = table.scan()
        items = list(response["Items"])
        while "LastEvaluatedKey" in response:
            response = table.scan(ExclusiveStartKey=response["LastEvaluatedKey"])
            items.extend(response["Items"])
        return [_parse_item(item) for item in items]

    def put(self, connection: Connection) -> None:
        """Write the connection, replacing any earlier version."""
        dynamodb_table(self._table_name).put_item(
            Item={
                "connection_id": connection.connection_id,
                "config": connection.model_dump_json(),
                "updated_at": datetime.now(UTC).isoformat(),
            }
        )
        self._cache.pop(connection.connection_id, None)


def _parse_item(item: dict[str, object]) -> Connection:
    try:
        connection = Connection.model_validate(json.loads(str(item["config"])))
    except (KeyError, ValueError, ValidationError) as error:
        raise ConfigurationError(
            f"connection {item.get('connection_id')!r} in the connections table is invalid: {error}"
        ) from error
    # The first read of one of its secrets then reads them all in one request.
    group_secrets(connection.secret_names())
    return connection
