"""Pydantic models of the Ongoing WMS goods-owner REST API v1 responses that the hub reads.

Request bodies are checked by the Ongoing sandbox against the vendor's example requests. For
responses the vendor material at hand has no examples, so these models name only the fields
the hub uses, after the field names the vendor documents (`orderInfo.orderStatus`,
`orderInfo.shippedTime`, `parcels[]`, `inventoryInfo.sellableNumberOfItems`). Unknown fields
are ignored.

NOTE: the per-parcel contents (`parcels[].orderLines`) and the per-warehouse inventory shape are
assumptions until checked against the vendor's openapi.json; adjust this module and the sandbox
together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Order status numbers from the vendor's list of order statuses.
STATUS_OPEN = 200
STATUS_PICKED = 400
STATUS_SENT = 450
STATUS_CANCELLED = 1000


class OngoingModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A response time. Ongoing gives them in UTC, not always with an offset."""


class OrderStatus(OngoingModel):
    number: int
    text: str = ""


class OrderInfo(OngoingModel):
    order_id: int
    order_number: str
    goods_owner_order_id: str | None = None
    """The hub writes the Bemakers order id here."""
    order_status: OrderStatus
    shipped_time: UtcDatetime | None = None


class ArticleReference(OngoingModel):
    article_number: str
    article_system_id: int | None = None


class OrderLine(OngoingModel):
    id: int
    row_number: str
    article: ArticleReference
    ordered_number_of_items: Decimal = Field(ge=0)
    picked_number_of_items: Decimal | None = None


class ParcelLine(OngoingModel):
    order_line_id: int
    number_of_items: Decimal = Field(ge=0)


class Parcel(OngoingModel):
    id: int
    parcel_number: str | None = None
    tracking_url: str | None = None
    is_return_parcel: bool = False
    shipped_time: UtcDatetime | None = None
    order_lines: list[ParcelLine] = []


class Transporter(OngoingModel):
    transporter_code: str | None = None
    transporter_service_code: str | None = None
    transporter_name: str | None = None


class WayOfDelivery(OngoingModel):
    code: str | None = None
    name: str | None = None


class Consignee(OngoingModel):
    customer_number: str | None = None
    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    post_code: str | None = None
    city: str | None = None
    country_code: str | None = None


class Order(OngoingModel):
    """`GET /orders/{orderId}` and each element of `GET /orders?…`."""

    order_info: OrderInfo
    consignee: Consignee | None = None
    way_of_delivery: WayOfDelivery | None = None
    transporter: Transporter | None = None
    order_lines: list[OrderLine] = []
    parcels: list[Parcel] = []

    @property
    def status(self) -> int:
        return self.order_info.order_status.number


class PutResponse(OngoingModel):
    """The response to `PUT /orders` and `PUT /returnOrders`."""

    success: bool = True
    message: str | None = None
    order_id: int | None = None
    return_order_id: int | None = None


class InventoryInfo(OngoingModel):
    sellable_number_of_items: Decimal
    number_of_items: Decimal | None = None


class Article(OngoingModel):
    """Each element of `GET /articles?…`."""

    article_system_id: int
    article_number: str
    inventory_info: InventoryInfo | None = None


class WarehouseStock(OngoingModel):
    warehouse_code: str
    sellable_number_of_items: Decimal


class ArticleInventoryPerWarehouse(OngoingModel):
    """Each element of `GET /articles/inventoryPerWarehouse?…`."""

    article_number: str
    article_system_id: int | None = None
    warehouses: list[WarehouseStock] = []


class ReturnOrderInfo(OngoingModel):
    return_order_id: int
    return_order_number: str


class ReturnOrder(OngoingModel):
    """Each element of `GET /returnOrders?…`."""

    return_order_info: ReturnOrderInfo


class WebhookPayload(OngoingModel):
    """An Ongoing order webhook. Only the ids are used: the order is read again through REST."""

    order_id: int = Field(ge=1)
    goods_owner_id: int | None = Field(default=None, ge=1)
    order_number: str | None = None
