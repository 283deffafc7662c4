"""The product import flow: bring Bemakers' products and variants to what the product source holds.

For each connection the flow reads the product source and maps it to Bemakers products.
A source with a change feed is read from the cursor, any other source in full. A change feed
never shows deleted products, so such a source is still read in full every `full_read_hours`,
and only a full read deactivates what the source no longer holds. Each SKU is
compared with the content hash the hub stored after Bemakers last accepted a write. Only
SKUs that differ cost requests to Bemakers, so an unchanged catalogue sends none.

A record that cannot be mapped is skipped and reported. A write that Bemakers rejects is
recorded on its SKU and tried again on the next run, and the other SKUs go on. When
Bemakers is unavailable, the connection's run stops and the next run starts over. A run
that nears its deadline stops between products; the next run continues from the hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from hub.connections import Connection
from hub.connectors.bemakers import BemakersClient
from hub.errors import AlreadyExists, ConfigurationError, HubError, TargetError, TargetRejected
from hub.ledger import TargetErrorRecord
from hub.mapping.products import (
    SkippedRecord,
    content_hash,
    field_sources,
    to_bemakers_catalogue,
    update_for,
)
from hub.models.bemakers import Product, ProductUpdate, Variant
from hub.observability import logger, metrics
from hub.product_settings import ProductImportSettings, UpdatableField
from hub.product_sync import ProductSyncRecord
from hub.runtime import Runtime, get_runtime
from hub.secrets import BemakersCredentials, read_secret
from hub.sources.factory import product_source

CURSOR_NAME = "products"
FULL_READ_CURSOR_NAME = "products-full-read"
"""When a source with a change feed was last read in full."""
# A change-feed read starts this long before the last run started, to cover clock skew
# between the hub and the source. Re-read products cost nothing: their hashes match.
OVERLAP = timedelta(minutes=10)
# A run stops between products when less time than this is left, so that it ends itself
# before Lambda's timeout does.
DEADLINE_MARGIN_SECONDS = 20.0
# Skipped records are logged one by one up to this many per run, then only counted.
MAX_SKIP_LOGS = 20

ProgressCallback = Callable[[int, int], None]
"""Called with (products done, products in the run) after each product."""


class ImportFailed(HubError):
    """One or more connections could not import their products; the others did."""


@dataclass(frozen=True)
class FailedSku:
    """A write that Bemakers rejected. The SKU is tried again on the next run."""

    sku: str
    message: str
    status: int | None = None


@dataclass
class ImportReport:
    """Outcome of one run for one connection. Counts are per SKU: a product and each variant count once."""

    connection_id: str
    source: str
    full_read: bool = True
    records: int = 0
    products: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    not_created: int = 0
    """Missing in Bemakers but not created: barred in the source, or `create_missing` is off."""
    writes: int = 0
    """Write requests sent to Bemakers, rejected ones included."""
    failed: list[FailedSku] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    complete: bool = True
    """False when the run stopped at its deadline; the next run goes on from there."""


def import_products(now: datetime, *, time_left: Callable[[], float] | None = None) -> list[ImportReport]:
    """Import products for every connection that has product settings.

    Raises ImportFailed after trying all of them when any failed.
    """
    runtime = get_runtime()
    reports: list[ImportReport] = []
    failed: list[str] = []
    for connection in runtime.connections.list():
        if connection.products is None:
            continue
        try:
            reports.append(import_connection(runtime, connection, now=now, time_left=time_left))
        except (TargetError, ConfigurationError) as error:
            logger.error(
                "product import failed",
                connection_id=connection.connection_id,
                error_type=type(error).__name__,
                error_message=str(error),
            )
            metrics.add_metric(name="ProductImportsFailed", unit="Count", value=1)
            failed.append(connection.connection_id)
    if failed:
        raise ImportFailed(f"product import failed for connections {failed}")
    return reports


def import_connection(
    runtime: Runtime,
    connection: Connection,
    *,
    now: datetime,
    force: bool = False,
    progress: ProgressCallback | None = None,
    time_left: Callable[[], float] | None = None,
) -> ImportReport:
    """Bring the connection's Bemakers products to what its product source holds.

    `force` is a full resync: the whole catalogue is read, and every SKU is looked up in
    Bemakers and written again, regardless of the stored hashes. Raises TargetUnavailable
    when Bemakers or the source is unavailable, and ConfigurationError for broken settings.
    """
    settings = connection.products
    if settings is None:
        raise ConfigurationError(f"connection {connection.connection_id!r} imports no products")
    source = product_source(connection)
    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    client = BemakersClient(
        connection.bemakers.base_url, credentials, timeout_seconds=connection.bemakers.timeout_seconds
    )
    report = ImportReport(connection_id=connection.connection_id, source=source.name)

    cursor = None
    if source.supports_changes:
        cursor = _change_cursor(runtime, connection.connection_id, settings, now=now, force=force)
    if cursor is not None:
        report.full_read = False
        items = list(source.read_changes(cursor - OVERLAP))
    else:
        items = list(source.read_catalogue())
    report.records = len(items)
    catalogue = to_bemakers_catalogue(items, settings, source)
    report.products = len(catalogue.products)
    report.skipped = catalogue.skipped
    _log_skipped(connection.connection_id, catalogue.skipped)

    # A field the source does not map is left as Bemakers has it, never cleared.
    mapped = field_sources(settings, source)
    update_fields = [name for name in settings.update_fields if name in mapped]
    sync = _ProductSync(
        runtime, connection.connection_id, settings, client, report, update_fields=update_fields, force=force
    )
    try:
        for done, product in enumerate(catalogue.products, start=1):
            if _out_of_time(time_left):
                report.complete = False
                break
            sync.sync_product(product)
            if progress is not None:
                progress(done, len(catalogue.products))

        # Deleted products show up only as SKUs missing from a full read.
        if report.complete and report.full_read and settings.deactivate_removed:
            sync.deactivate_missing(catalogue.source_skus, time_left)
    finally:
        # Also when Bemakers became unavailable part-way: what it accepted stays recorded.
        runtime.product_sync.flush()
    if report.complete and source.supports_changes:
        runtime.cursors.advance(connection.connection_id, CURSOR_NAME, now)
        if report.full_read:
            runtime.cursors.advance(connection.connection_id, FULL_READ_CURSOR_NAME, now)

    _log_report(report)
    return report


def _change_cursor(
    runtime: Runtime, connection_id: str, settings: ProductImportSettings, *, now: datetime, force: bool
) -> datetime | None:
    """Return where a change-feed read starts, or None when this run reads the whole catalogue.

    A run reads in full when forced, before the first complete run, and when the last full
    read is `full_read_hours` old, so that deleted products are found.
    """
    if force:
        return None
    cursor = runtime.cursors.get(connection_id, CURSOR_NAME)
    last_full_read = runtime.cursors.get(connection_id, FULL_READ_CURSOR_NAME)
    if cursor is None or last_full_read is None:
        return None
    if now - last_full_read >= timedelta(hours=settings.full_read_hours):
        return None
    return cursor


def _out_of_time(time_left: Callable[[], float] | None) -> bool:
    return time_left is not None and time_left() < DEADLINE_MARGIN_SECONDS


@dataclass(frozen=True)
class _Entry:
    """One SKU of a product as the source has it: the product itself or one of its variants."""

    sku: str
    kind: Literal["product", "variant"]
    product_sku: str
    item: Product | Variant
    update: ProductUpdate
    content_hash: str

    @property
    def active(self) -> bool:
        return self.item.active


class _ProductSync:
    """Writes one connection's products to Bemakers and records each SKU's outcome."""

    def __init__(
        self,
        runtime: Runtime,
        connection_id: str,
        settings: ProductImportSettings,
        client: BemakersClient,
        report: ImportReport,
        *,
        update_fields: list[UpdatableField],
        force: bool,
    ) -> None:
        self._store = runtime.product_sync
        self._update_fields = update_fields
        self._connection_id = connection_id
        self._settings = settings
        self._client = client
        self._report = report
        self._force = force
        self._states = self._store.load(connection_id)

    # -- one product --------------------------------------------------------------------------

    def sync_product(self, product: Product) -> None:
        """Create, update or deactivate the product and its variants, as far as they differ."""
        entries = [self._entry(product, "product", product.sku)]
        entries += [self._entry(variant, "variant", product.sku) for variant in product.variants]
        pending = [entry for entry in entries if self._differs(entry)]
        if not self._report.full_read and product.variants:
            # A change read may bring only the changed variants of a product, so the name and
            # state derived from them can be wrong. An existing product keeps both until the
            # next full read.
            pending = [
                entry for entry in pending if entry.kind == "variant" or not self._known_in_bemakers(entry)
            ]
        self._report.unchanged += len(entries) - len(pending)
        if not pending:
            return

        existing = self._existing_skus(product, entries, pending)
        if product.sku not in existing:
            self._create_product(product, entries)
            return
        for entry in pending:
            if entry.sku in existing:
                self._update(entry)
            else:
                self._create_variant(entry)

    def _entry(
        self, item: Product | Variant, kind: Literal["product", "variant"], product_sku: str
    ) -> _Entry:
        update = update_for(item, self._update_fields)
        return _Entry(item.sku, kind, product_sku, item, update, content_hash(update))

    def _differs(self, entry: _Entry) -> bool:
        state = self._states.get(entry.sku)
        if self._force or state is None or state.error is not None or not state.in_bemakers:
            return True
        if self._settings.update_existing and entry.content_hash != state.content_hash:
            return True
        return self._active_change(entry, state) is not None

    def _active_change(self, entry: _Entry, state: ProductSyncRecord | None) -> bool | None:
        """Return the `active` value to send, or None to leave it as Bemakers has it.

        Only a connection that deactivates removed products changes it, and it reactivates
        only what it deactivated itself.
        """
        if not self._settings.deactivate_removed:
            return None
        if not entry.active and (state is None or state.active):
            return False
        if entry.active and state is not None and not state.active:
            return True
        return None

    def _existing_skus(self, product: Product, entries: list[_Entry], pending: list[_Entry]) -> set[str]:
        """Return which of the product's SKUs Bemakers has: from the stored states when they know."""
        unknown = [entry for entry in pending if self._states.get(entry.sku) is None]
        if not self._force and not unknown and all(self._known_in_bemakers(entry) for entry in pending):
            return {entry.sku for entry in entries if self._known_in_bemakers(entry)}
        remote = self._client.get_product(product.sku)
        if remote is None:
            return set()
        return {remote.sku, *(variant.sku for variant in remote.variants)}

    def _known_in_bemakers(self, entry: _Entry) -> bool:
        state = self._states.get(entry.sku)
        return state is not None and state.in_bemakers

    # -- writes -------------------------------------------------------------------------------

    def _create_product(self, product: Product, entries: list[_Entry]) -> None:
        if not product.active or not self._settings.create_missing:
            self._report.not_created += 1
            return
        # A barred variant is never created; it exists only once it was sold.
        created = [entry for entry in entries if entry.active]
        body = product.model_copy(update={"variants": [v for v in product.variants if v.active]})
        self._report.writes += 1
        try:
            self._client.create_product(body)
        except AlreadyExists:
            # Created by an earlier request whose response was lost, or by hand: update it.
            logger.info("product already in Bemakers", connection_id=self._connection_id, sku=product.sku)
            remote = self._client.get_product(product.sku)
            existing = {product.sku} if remote is None else {remote.sku, *(v.sku for v in remote.variants)}
            for entry in entries:
                if entry.sku in existing:
                    self._update(entry)
                else:
                    self._create_variant(entry)
            return
        except TargetRejected as error:
            for entry in created:
                self._record_failure(entry, error, in_bemakers=False)
            return
        for entry in created:
            self._record_success(entry, content_hash=entry.content_hash, active=True)
            self._report.created += 1
            logger.info("product created", connection_id=self._connection_id, sku=entry.sku, kind=entry.kind)
        self._report.not_created += len(entries) - len(created)

    def _create_variant(self, entry: _Entry) -> None:
        if not isinstance(entry.item, Variant) or not entry.active or not self._settings.create_missing:
            self._report.not_created += 1
            return
        self._report.writes += 1
        try:
            self._client.create_variant(entry.product_sku, entry.item)
        except AlreadyExists:
            self._update(entry)
            return
        except TargetRejected as error:
            self._record_failure(entry, error, in_bemakers=False)
            return
        self._record_success(entry, content_hash=entry.content_hash, active=True)
        self._report.created += 1
        logger.info("product created", connection_id=self._connection_id, sku=entry.sku, kind=entry.kind)

    def _update(self, entry: _Entry) -> None:
        state = self._states.get(entry.sku)
        send_fields = self._settings.update_existing and (
            self._force
            or state is None
            or state.error is not None
            or entry.content_hash != state.content_hash
        )
        changes = entry.update.model_dump(exclude_unset=True) if send_fields else {}
        active = self._active_change(entry, state)
        if active is not None:
            changes["active"] = active
        new_hash: str | None = entry.content_hash
        if not send_fields:
            new_hash = state.content_hash if state else None
        new_active = entry.active if state is None else state.active
        if active is not None:
            new_active = active
        if not changes:
            self._record_success(entry, content_hash=new_hash, active=new_active)
            self._report.unchanged += 1
            return

        update = ProductUpdate.model_validate(changes)
        self._report.writes += 1
        try:
            if entry.kind == "product":
                self._client.update_product(entry.sku, update)
            else:
                self._client.update_variant(entry.product_sku, entry.sku, update)
        except TargetRejected as error:
            # A 404 means Bemakers lost the SKU, so the next run looks it up and creates it.
            self._record_failure(entry, error, in_bemakers=error.status != 404)
            return
        self._record_success(entry, content_hash=new_hash, active=new_active)
        if active is False:
            self._report.deactivated += 1
            logger.info("product deactivated", connection_id=self._connection_id, sku=entry.sku)
        else:
            self._report.updated += 1
            logger.info(
                "product updated", connection_id=self._connection_id, sku=entry.sku, fields=sorted(changes)
            )

    def deactivate_missing(self, source_skus: frozenset[str], time_left: Callable[[], float] | None) -> None:
        """Deactivate every SKU the hub put in Bemakers that the source no longer holds."""
        for sku, state in sorted(self._states.items()):
            if sku in source_skus or not state.in_bemakers or not state.active:
                continue
            if _out_of_time(time_left):
                self._report.complete = False
                return
            self._report.writes += 1
            try:
                if state.kind == "product":
                    self._client.deactivate_product(sku)
                else:
                    self._client.deactivate_variant(state.product_sku, sku)
            except TargetRejected as error:
                self._store_failure(state, error, in_bemakers=error.status != 404)
                continue
            self._states[sku] = self._store.put(
                self._connection_id,
                sku=sku,
                kind=state.kind,
                product_sku=state.product_sku,
                in_bemakers=True,
                content_hash=state.content_hash,
                active=False,
            )
            self._report.deactivated += 1
            logger.info("product deactivated", connection_id=self._connection_id, sku=sku, reason="deleted")

    # -- recording ----------------------------------------------------------------------------

    def _record_success(self, entry: _Entry, *, content_hash: str | None, active: bool) -> None:
        self._states[entry.sku] = self._store.put(
            self._connection_id,
            sku=entry.sku,
            kind=entry.kind,
            product_sku=entry.product_sku,
            in_bemakers=True,
            content_hash=content_hash,
            active=active,
        )

    def _record_failure(self, entry: _Entry, error: TargetRejected, *, in_bemakers: bool) -> None:
        state = self._states.get(entry.sku)
        if state is None:
            state = ProductSyncRecord(
                sku=entry.sku,
                kind=entry.kind,
                product_sku=entry.product_sku,
                in_bemakers=in_bemakers,
                active=entry.active,
                updated_at="",
            )
        self._store_failure(state, error, in_bemakers=in_bemakers)

    def _store_failure(self, state: ProductSyncRecord, error: TargetRejected, *, in_bemakers: bool) -> None:
        """Record the rejection on the SKU. The hash Bemakers last accepted stays, so the next run retries."""
        record = TargetErrorRecord(
            message=str(error), status=error.status, code=error.code, field=error.field
        )
        self._states[state.sku] = self._store.put(
            self._connection_id,
            sku=state.sku,
            kind=state.kind,
            product_sku=state.product_sku,
            in_bemakers=in_bemakers,
            content_hash=state.content_hash,
            active=state.active,
            error=record,
        )
        self._report.failed.append(FailedSku(state.sku, str(error), error.status))
        logger.warning(
            "product write rejected",
            connection_id=self._connection_id,
            sku=state.sku,
            status=error.status,
            error_field=error.field,
            error_message=str(error),
        )


def _log_skipped(connection_id: str, skipped: list[SkippedRecord]) -> None:
    for record in skipped[:MAX_SKIP_LOGS]:
        logger.warning(
            "product record skipped",
            connection_id=connection_id,
            source_id=record.source_id,
            sku=record.sku,
            reason=record.reason,
            source_field=record.field,
        )
    if len(skipped) > MAX_SKIP_LOGS:
        logger.warning(
            "more product records skipped",
            connection_id=connection_id,
            not_logged=len(skipped) - MAX_SKIP_LOGS,
        )


def _log_report(report: ImportReport) -> None:
    logger.info(
        "products imported",
        connection_id=report.connection_id,
        source=report.source,
        full_read=report.full_read,
        records=report.records,
        skus_created=report.created,
        skus_updated=report.updated,
        skus_deactivated=report.deactivated,
        skus_unchanged=report.unchanged,
        skus_not_created=report.not_created,
        skus_rejected=len(report.failed),
        records_skipped=len(report.skipped),
        writes=report.writes,
        complete=report.complete,
    )
    metrics.add_metric(name="ProductsCreated", unit="Count", value=report.created)
    metrics.add_metric(name="ProductsUpdated", unit="Count", value=report.updated)
    metrics.add_metric(name="ProductsDeactivated", unit="Count", value=report.deactivated)
    metrics.add_metric(name="ProductWritesRejected", unit="Count", value=len(report.failed))
    metrics.add_metric(name="ProductRecordsSkipped", unit="Count", value=len(report.skipped))
