"""PynamoDB models: one table per record kind, keys chosen for the access patterns named on each.

Table names and the endpoint come from settings (`configure`), so the same models serve AWS and the
embedded local stack. Nothing outside `dal/` imports this module.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import botocore.session
from botocore.serialize import JSONSerializer
from botocore.validate import ParamValidationDecorator
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import base as pynamodb_connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.aws import botocore_session
from chalicelib.dal.wire import AttributeValuesParserFactory, AttributeValuesSerializer
from chalicelib.settings import Settings


class _Base(Model):
    class Meta:
        billing_mode = "PAY_PER_REQUEST"
        region = "us-east-1"
        host: str | None = None
        table_name: str = ""
        short_name: str = ""


class CompactJSONAttribute(JSONAttribute):
    """JSON without the blanks `json.dumps` puts after commas and colons by default: every byte of an item is paid
    for at each of its writes (a write unit per KB). Reads are plain JSON, so values written before still read."""

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"))


class TenantModel(_Base):
    """A merchant account. Read by id."""

    class Meta(_Base.Meta):
        table_name = "tenants"
        short_name = "tenants"

    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    summary_email = UnicodeAttribute(null=True)  # where the merchant's daily summary goes


class ApiKeysByTenant(GlobalSecondaryIndex["ApiKeyModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_tenant"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute(range_key=True)


class ApiKeyModel(_Base):
    """An API key, stored as the SHA-256 of the key (keys are 256-bit random, so a fast hash is safe).

    Read by hash on every request; listed per tenant through `by_tenant`."""

    class Meta(_Base.Meta):
        table_name = "api_keys"
        short_name = "api_keys"

    key_hash = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    label = UnicodeAttribute(default="")
    prefix = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    by_tenant = ApiKeysByTenant()


class ConnectionsByTenant(GlobalSecondaryIndex["ConnectionModel"]):  # type: ignore[no-untyped-call]
    """Keys only: a connection is written several times a session, and an index holding the whole item would
    double every one of those writes; a tenant's connections are listed by key, then read (BatchGetItem)."""

    class Meta:
        index_name = "by_tenant"
        projection = KeysOnlyProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class ConnectionModel(_Base):
    """One QuickBooks company file. Read by id (REST, SOAP tickets) and by Web Connector user name.

    The user name embeds the id (`lb-<id>`), so authenticate reads by key, never through an index.
    `active_ticket`/`lease_until` hold the one live Web Connector session (conditional writes)."""

    class Meta(_Base.Meta):
        table_name = "connections"
        short_name = "connections"

    connection_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    # Not written since it is `lb-<connection_id>` (chalicelib/dal/connections.py); items from before keep theirs.
    username = UnicodeAttribute(null=True)
    file_id = UnicodeAttribute()
    run_every_minutes = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    password_hash = UnicodeAttribute(null=True)
    password_set_at = UTCDateTimeAttribute(null=True)
    failed_logins = NumberAttribute(null=True)  # wrong passwords since the last right one; absent: none
    locked_until = NumberAttribute(null=True)
    active_ticket = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    # When the live session signed in (epoch seconds): its ticket item is first written by its first
    # sendRequestXML, so until then the session is read from here (chalicelib/dal/tickets.py `read`).
    session_started = NumberAttribute(null=True)
    last_contact_at = UTCDateTimeAttribute(null=True)
    connected_at = UTCDateTimeAttribute(null=True)
    # What the code reads of QuickBooks' company information, compact (chalicelib/dal/connections.py, CompanyInfo).
    company = CompactJSONAttribute(null=True)
    company_file_path = UnicodeAttribute(null=True)
    qbxml_version = UnicodeAttribute(null=True)
    last_error = CompactJSONAttribute(null=True)
    lists_refreshed_at = UTCDateTimeAttribute(null=True)
    # The one message set whose outcome is not known yet (sent, answer not applied): exactly once hinges on it.
    unresolved_set_id = UnicodeAttribute(null=True)
    unresolved_set = JSONAttribute(null=True)
    # When a session last found the connection's queue empty (epoch seconds): an order still pending that was
    # queued well before then had its queue message lost (the stranded-order sweep).
    queue_drained_at = NumberAttribute(null=True)
    # Until when a source's wrong passwords may still count (epoch seconds): before then authenticate reads the
    # source's login failures; after it, none can matter and the read is skipped.
    login_failures_until = NumberAttribute(null=True)
    # Bumped by every channel added or changed; `standing_channels` ({"version", "ids"}) lists the channels with
    # standing jobs as of `version`, so a sign-in with none reads no channel (chalicelib/sync/standing_jobs.py).
    channels_version = NumberAttribute(null=True)
    standing_channels = CompactJSONAttribute(null=True)
    by_tenant = ConnectionsByTenant()


class TicketModel(_Base):
    """One Web Connector session, keyed by its unguessable ticket; removed by TTL a day later."""

    class Meta(_Base.Meta):
        table_name = "tickets"
        short_name = "tickets"

    ticket = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    state = UnicodeAttribute(default="open")
    qbxml_version = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    job = CompactJSONAttribute(null=True)
    pending = CompactJSONAttribute(null=True)
    # The request waiting for its answer, zlib-compressed (qbXML shrinks to about a third): kept here up to 2 KB,
    # in the payloads table beyond (chalicelib/sync/jobs.py, INLINE_REQUEST_BYTES).
    pending_request = BinaryAttribute(null=True, legacy_encoding=False)
    last_error = UnicodeAttribute(null=True)
    round_trips = NumberAttribute(default=0)
    jobs_done = NumberAttribute(default=0)
    percent = NumberAttribute(default=0)
    summary = CompactJSONAttribute(null=True)
    # The lease as sign-in wrote it before sessions were read with their connection; no longer written (a session
    # is live while its connection holds it), so a call of an older deployment always asks the connection.
    lease_until = NumberAttribute(null=True)
    # When the session found the connection's queue empty (epoch seconds, wall clock): written to the connection
    # with the session's end, not as it happens.
    queue_drained_at = NumberAttribute(null=True)
    version = VersionAttribute()


class ListRecordModel(_Base):
    """The company's cached lists (accounts, items, tax codes, payment methods, classes).

    Hash: connection; range: `<kind>#<ListID>`, so one query returns one kind in ListID order."""

    class Meta(_Base.Meta):
        table_name = "company_lists"
        short_name = "company_lists"

    connection_id = UnicodeAttribute(hash_key=True)
    record_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    list_id = UnicodeAttribute()
    name = UnicodeAttribute()
    full_name = UnicodeAttribute()
    is_active = BooleanAttribute(default=True)
    details = JSONAttribute(null=True)
    refresh_id = UnicodeAttribute()


class SyncRunModel(_Base):
    """One Web Connector session's outcome, newest first per connection (range = start time + ticket)."""

    class Meta(_Base.Meta):
        table_name = "sync_runs"
        short_name = "sync_runs"

    connection_id = UnicodeAttribute(hash_key=True)
    run_key = UnicodeAttribute(range_key=True)
    ticket = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    outcome = UnicodeAttribute(default="running")
    round_trips = NumberAttribute(default=0)
    requests = NumberAttribute(default=0)
    errors = ListAttribute(of=UnicodeAttribute, default=list)
    counts = CompactJSONAttribute(null=True)
    # The titles of the jobs the session finished: with the above, what closeConnection tells the Web Connector
    # of a session that ended with its last answer (the ticket is not written at the end).
    jobs = ListAttribute(of=UnicodeAttribute, null=True)
    # History is kept SYNC_RUN_RETENTION_DAYS (chalicelib/dal/sync_runs.py), then DynamoDB's TTL removes it;
    # optional so that runs written before the TTL existed stay readable (they are never expired).
    expires_at = TTLAttribute(null=True)


class ChannelsByTenant(GlobalSecondaryIndex["ChannelModel"]):  # type: ignore[no-untyped-call]
    """Keys only: an index holding every attribute would cost each write of a channel (~2 KB with its settings)
    twice over; the list is read by key (dal/channels.py `list_for_tenant`)."""

    class Meta:
        index_name = "by_tenant"
        projection = KeysOnlyProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)


class ChannelModel(_Base):
    """A store or shipping tool feeding one connection. Read by id; listed per tenant."""

    class Meta(_Base.Meta):
        table_name = "channels"
        short_name = "channels"

    channel_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    settings = CompactJSONAttribute()
    created_at = UTCDateTimeAttribute()
    # Fetching from the store (connector channels): how often, what the credentials look like masked.
    every_minutes = NumberAttribute(default=15)
    credentials_mask = CompactJSONAttribute(null=True)
    store_name = UnicodeAttribute(null=True)
    # Where fetching stood before it moved to ChannelFetchModel: read only as a fallback (the bookmark and the
    # last run's outcome of a channel not fetched since), never written. A lease left here lapses unread.
    bookmark = UTCDateTimeAttribute(null=True)
    fetch_run_id = UnicodeAttribute(null=True)
    fetch_lease_until = NumberAttribute(null=True)
    last_fetch = CompactJSONAttribute(null=True)
    # Where QuickBooks outbound work stood before it moved to ChannelOutboundModel: read only as a fallback (the
    # cursors, the shipments bookmark and the last push of a channel not read since), never written.
    inventory_cursor = UTCDateTimeAttribute(null=True)
    inventory_full_at = UTCDateTimeAttribute(null=True)
    sales_cursor = UTCDateTimeAttribute(null=True)
    shipments_bookmark = UTCDateTimeAttribute(null=True)
    inventory_job_at = NumberAttribute(null=True)
    sales_job_at = NumberAttribute(null=True)
    tracking_job_at = NumberAttribute(null=True)
    last_push = CompactJSONAttribute(null=True)
    by_tenant = ChannelsByTenant()


class ChannelFetchModel(_Base):
    """Where a channel's fetching from its store stands: the run holding the channel (a lease, so that runs never
    overlap), the bookmark (the newest `updated_at` stored) and the last run's outcome. Written at each step of a
    fetch (taken, each page, given back), so it is kept apart from the channel item: that one carries the merchant's
    settings (~2 KB, three write units a write) and is written when the merchant changes them; this one is ~0.1-0.5
    KB (one write unit). Deleted with its channel."""

    class Meta(_Base.Meta):
        table_name = "channel_fetches"
        short_name = "channel_fetches"

    channel_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    bookmark = UTCDateTimeAttribute(null=True)
    last_fetch = CompactJSONAttribute(null=True)


class ChannelOutboundModel(_Base):
    """Where a channel's QuickBooks outbound work stands (quantities to a store, sales to ShipStation): how far the
    inventory and sales reads got (QuickBooks' own TimeModified), when the last full inventory pass ran, the
    shipments bookmark, when each standing job was last queued (a job is queued at most once at a time) and the last
    push's outcome. Written at every Web Connector run that queues a standing job and as each job ends, so it is
    kept apart from the channel item and its settings (~2 KB, three write units a write): ~0.2-0.6 KB, one unit.
    Deleted with its channel."""

    class Meta(_Base.Meta):
        table_name = "channel_outbound"
        short_name = "channel_outbound"

    channel_id = UnicodeAttribute(hash_key=True)
    inventory_cursor = UTCDateTimeAttribute(null=True)
    inventory_full_at = UTCDateTimeAttribute(null=True)
    sales_cursor = UTCDateTimeAttribute(null=True)
    shipments_bookmark = UTCDateTimeAttribute(null=True)
    inventory_job_at = NumberAttribute(null=True)
    sales_job_at = NumberAttribute(null=True)
    tracking_job_at = NumberAttribute(null=True)
    last_push = CompactJSONAttribute(null=True)


class ChannelCredentialsModel(_Base):
    """A channel's store credentials, sealed (envelope encryption, chalicelib.aws.ChannelSecrets): the data key
    as KMS wrapped it, the AES-256-GCM nonce and ciphertext. Read and written by channel id only, never listed,
    never logged, never returned by an API. Deleted with its channel."""

    class Meta(_Base.Meta):
        table_name = "channel_credentials"
        short_name = "channel_credentials"

    channel_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    wrapped_key = BinaryAttribute(legacy_encoding=False)
    nonce = BinaryAttribute(legacy_encoding=False)
    ciphertext = BinaryAttribute(legacy_encoding=False)
    updated_at = UTCDateTimeAttribute()


class FetchRunModel(_Base):
    """One fetch of a channel's orders (scheduled or a manual resync): its window, progress and outcome.

    Hash: channel; range: `<started ISO>#<id>` so a channel's runs list newest first. Kept 90 days (TTL)."""

    class Meta(_Base.Meta):
        table_name = "fetch_runs"
        short_name = "fetch_runs"

    channel_id = UnicodeAttribute(hash_key=True)
    run_key = UnicodeAttribute(range_key=True)
    run_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    trigger = UnicodeAttribute()  # schedule | resync
    since = UTCDateTimeAttribute(null=True)
    until = UTCDateTimeAttribute()
    checkpoint = UTCDateTimeAttribute(null=True)
    page_token = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # queued | running | done | failed | retry_later
    counts = JSONAttribute(null=True)
    total = NumberAttribute(null=True)
    pages = NumberAttribute(default=0)
    started_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class OrdersByTenant(GlobalSecondaryIndex["OrderModel"]):  # type: ignore[no-untyped-call]
    """Keys only (its keys never change): written once with the order, never again as the order moves on; a page
    is listed by key, then read (BatchGetItem)."""

    class Meta:
        index_name = "by_tenant"
        projection = KeysOnlyProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    order_key = UnicodeAttribute(range_key=True)


class OpenOrders(GlobalSecondaryIndex["OrderModel"]):  # type: ignore[no-untyped-call]
    """Sparse: only orders on their way to QuickBooks (pending or in flight) carry `open_connection`, so a
    connection's unfinished orders are one query (the sweep that re-queues what no queue message carries). Keys
    only: the sweep reads the few it finds by key; claiming an order leaves `queued_at` alone (`claimed_at` is the
    claim's clock), so the index is written when an order is queued and when it leaves, not at every step."""

    class Meta:
        index_name = "open"
        projection = KeysOnlyProjection()

    open_connection = UnicodeAttribute(hash_key=True)
    queued_at = UnicodeAttribute(range_key=True)


class OrderModel(_Base):
    """One store order: its canonical document and its way into QuickBooks.

    Hash: channel; range: the store's order id — the same order sent twice is one item. `order_key`
    (`<channel>/<order id>`) is its id in the API and on the queue."""

    class Meta(_Base.Meta):
        table_name = "orders"
        short_name = "orders"

    channel_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    order_key = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    status = UnicodeAttribute()
    number = UnicodeAttribute()
    # The canonical order: compressed against a dictionary (`document_z`, dal/order_documents.py: a typical order's
    # item stays under 1 KB, one write unit a write), kept in the payloads table (`document_ref`) when even that
    # would crowd the 400 KB item (see dal/orders.py). Items stored before may hold inline JSON (`document`) or a
    # plain zlib stream in `document_z`: both still read.
    document = CompactJSONAttribute(null=True)
    document_z = BinaryAttribute(null=True, legacy_encoding=False)
    document_ref = UnicodeAttribute(null=True)
    digest = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    message_set_id = UnicodeAttribute(null=True)
    txn_id = UnicodeAttribute(null=True)
    txn_type = UnicodeAttribute(null=True)
    ref_number = UnicodeAttribute(null=True)
    external_guid = UnicodeAttribute()
    error = CompactJSONAttribute(null=True)
    attempts = NumberAttribute(default=0)
    synced_at = UTCDateTimeAttribute(null=True)
    changed_after_sync = CompactJSONAttribute(null=True)
    # A newer version of the order came while it was in flight (`changed_after_sync`): the write that makes it
    # synced keeps it in the open index until its refunds are looked at (dal/orders.py `document_change`).
    later_waiting = BooleanAttribute(null=True)
    # The QuickBooks documents posted for the order so far: {"SalesOrder": TxnID, "Invoice": ..., "CreditMemo:<refund>": ...}
    documents = CompactJSONAttribute(null=True)
    # The total QuickBooks recorded for the order's invoice (Subtotal + SalesTaxTotal of its add's answer), when it
    # said: its payments never exceed it (chalicelib/orders/quickbooks/payments.py).
    invoice_total = UnicodeAttribute(null=True)
    # When the order was last claimed into a message set (wall clock): the stranded-order sweep's clock for orders in
    # flight (not an index key, so a claim does not rewrite the open index).
    claimed_at = UnicodeAttribute(null=True)
    # The ids of the order rules that changed the order when it was last posted (chalicelib/sync/order_rules.py).
    rules = CompactJSONAttribute(null=True)
    # QuickBooks may hold a document of this order that is not recorded here (an answer never arrived, or a
    # merchant's retry): look it up by RefNumber and ExternalGUID before posting anything again.
    verify = BooleanAttribute(null=True)
    open_connection = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    by_tenant = OrdersByTenant()
    open_orders = OpenOrders()


class MappingModel(_Base):
    """What an external key is in QuickBooks (customer name -> ListID, SKU -> item), per connection.

    Hash: connection; range: `<kind>#<external key>`."""

    class Meta(_Base.Meta):
        table_name = "mappings"
        short_name = "mappings"

    connection_id = UnicodeAttribute(hash_key=True)
    mapping_key = UnicodeAttribute(range_key=True)
    list_id = UnicodeAttribute(null=True)
    full_name = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class PendingStock(GlobalSecondaryIndex["StockLevelModel"]):  # type: ignore[no-untyped-call]
    """Sparse: only levels waiting to be pushed to the store carry `pending_at`."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    pending_at = UnicodeAttribute(range_key=True)


class StockLevelModel(_Base):
    """One QuickBooks inventory item's available quantity for one channel, and what the store was told.

    Hash: channel; range: the item's ListID (quantities by inventory site arrive keyed by it too)."""

    class Meta(_Base.Meta):
        table_name = "stock_levels"
        short_name = "stock_levels"

    channel_id = UnicodeAttribute(hash_key=True)
    item_list_id = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    sku = UnicodeAttribute()
    item_name = UnicodeAttribute()
    quantity = NumberAttribute()
    status = UnicodeAttribute()  # pending | pushed | unchanged | unmatched | refused
    pushed_quantity = NumberAttribute(null=True)
    problem = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    pushed_at = UTCDateTimeAttribute(null=True)
    pending_at = UnicodeAttribute(null=True)
    pending = PendingStock()


class PendingSales(GlobalSecondaryIndex["OutboundSaleModel"]):  # type: ignore[no-untyped-call]
    """Sparse: `push#<time>` waits for ShipStation, `track#<time>` for the tracking write to QuickBooks."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    pending_at = UnicodeAttribute(range_key=True)


class OutboundSaleModel(_Base):
    """A QuickBooks sale (invoice or sales order) sent to ShipStation, and its shipment coming back.

    Hash: channel; range: the sale's TxnID (ShipStation's orderKey, so a re-run updates, never duplicates)."""

    class Meta(_Base.Meta):
        table_name = "outbound_sales"
        short_name = "outbound_sales"

    channel_id = UnicodeAttribute(hash_key=True)
    txn_id = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # invoice | sales_order
    ref_number = UnicodeAttribute()
    edit_sequence = UnicodeAttribute()
    line_ids = JSONAttribute(null=True)  # the sale's TxnLineIDs (a Mod that adds a line lists them all)
    memo = UnicodeAttribute(null=True)
    document = JSONAttribute(null=True)
    digest = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # pending | sent | failed | shipped | tracking_written | tracking_failed
    problem = UnicodeAttribute(null=True)
    shipstation_order_id = NumberAttribute(null=True)
    shipment = JSONAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    pending_at = UnicodeAttribute(null=True)
    pending = PendingSales()


class PayloadModel(_Base):
    """Large payloads kept out of the records that name them (DynamoDB items stop at 400 KB): zlib-compressed
    and cut into parts. Hash: the payload's key; range: the part number. Expire with their owner (TTL)."""

    class Meta(_Base.Meta):
        table_name = "payloads"
        short_name = "payloads"

    payload_key = UnicodeAttribute(hash_key=True)
    part = NumberAttribute(range_key=True)
    parts = NumberAttribute()
    data = BinaryAttribute(legacy_encoding=False)
    expires_at = TTLAttribute(null=True)


class LoginFailureModel(_Base):
    """Wrong Web Connector passwords for one connection from one source (the caller's IP address).

    Counted and slowed per source, never held against the connection: the owner's right password gets in
    from any other source whatever an attacker does. Hash: connection; range: source. Gone by TTL a day
    after the last wrong password."""

    class Meta(_Base.Meta):
        table_name = "login_failures"
        short_name = "login_failures"

    connection_id = UnicodeAttribute(hash_key=True)
    source = UnicodeAttribute(range_key=True)
    failures = NumberAttribute(default=0)
    last_failed_at = NumberAttribute()
    blocked_until = NumberAttribute(null=True)
    expires_at = TTLAttribute()


class RuleListModel(_Base):
    """A tenant's order rules: one ordered list in one item, so that a reorder or a replace-all (a CSV
    import) is one conditional write on `version`. The list is zlib-compressed JSON in `rules_z` while it
    fits well under the 400 KB item limit, else in the payloads table under `rules_ref` (a new key per
    version, written before the item names it). Hash: tenant."""

    class Meta(_Base.Meta):
        table_name = "rules"
        short_name = "rules"

    tenant_id = UnicodeAttribute(hash_key=True)
    rule_count = NumberAttribute(default=0)
    rules_z = BinaryAttribute(legacy_encoding=False, null=True)
    rules_ref = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


ALL_MODELS: tuple[type[_Base], ...] = (
    TenantModel,
    ApiKeyModel,
    ConnectionModel,
    TicketModel,
    ListRecordModel,
    SyncRunModel,
    ChannelModel,
    ChannelFetchModel,
    ChannelOutboundModel,
    OrderModel,
    MappingModel,
    FetchRunModel,
    StockLevelModel,
    OutboundSaleModel,
    PayloadModel,
    LoginFailureModel,
    ChannelCredentialsModel,
    RuleListModel,
)


OWN_CREDENTIALS_REFUSED = (
    "a PynamoDB connection given its own credentials would share them with every model: "
    "use the default credential chain (the Lambda role, or AWS_* variables locally)"
)
_threads = threading.local()  # each thread's SharedSession


class SharedSession(botocore.session.Session):  # type: ignore[misc]
    """A thread's botocore session for every PynamoDB connection: the default credential chain only, and DynamoDB
    clients that write requests with `wire.AttributeValuesSerializer` (botocore has no component for it: the client
    keeps its serializer in `_serializer`, inside a validating wrapper when parameter validation is on; while it is
    botocore's plain JSON one, its class becomes the subclass, so whatever botocore or a `creating-serializer`
    handler set on it stays)."""

    refused = False  # a connection tried to put its own credentials on it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[tuple[Any, ...], Any] = {}

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        """A client as botocore makes it, DynamoDB's writing with the direct serializer; the same client again for
        the same arguments (`_shared_client_key`): PynamoDB asks each model's connection for a client of its own."""
        if self.refused:
            raise RuntimeError(OWN_CREDENTIALS_REFUSED)
        key = _shared_client_key(args, kwargs)
        kept = self._clients.get(key) if key is not None else None
        if kept is not None and _has_credentials(kept):
            return kept
        client = super().create_client(*args, **kwargs)
        serializer = client._serializer
        if isinstance(serializer, ParamValidationDecorator):  # parameter validation is on
            serializer = serializer._serializer
        if client.meta.service_model.service_name == "dynamodb" and type(serializer) is JSONSerializer:
            serializer.__class__ = AttributeValuesSerializer
        if key is not None:
            _one_before_send(client)
            self._clients[key] = client
        return client

    def set_credentials(self, *args: Any, **kwargs: Any) -> None:
        """Refused, and for good: PynamoDB keeps the session it asked credentials of, so this one makes no client
        any more (the connection fails at each call, never with the default chain's credentials); the thread's
        other connections get a new session."""
        self.refused = True
        if getattr(_threads, "session", None) is self:
            _threads.session = None
        raise RuntimeError(OWN_CREDENTIALS_REFUSED)


def _shared_client_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What makes two clients alike, for the arguments PynamoDB gives (service, region, endpoint, Config); None for
    any other call (credentials, TLS or API version given: made anew each time, as botocore does).

    Every model's connection asks its session for a DynamoDB client of its own, each ~15-25 ms to make at a cold
    start and each with its own HTTP connection pool (a TLS handshake to DynamoDB per model). Sharing one per
    thread is safe here: no model sets `extra_headers`, the one thing PynamoDB adds to a client per connection
    (`configure` checks), so the handler each connection registers on it does nothing."""
    if len(args) > 2 or set(kwargs) - {"region_name", "endpoint_url", "config"}:
        return None
    service, region = (*args, None, None)[:2]
    config = kwargs.get("config")
    options = repr(sorted(config._user_provided_options.items())) if config is not None else None
    return (service, region or kwargs.get("region_name"), kwargs.get("endpoint_url"), options)


BEFORE_SEND_ID = "ledgerbridge-pynamodb-before-send"


def _one_before_send(client: Any) -> None:
    """Every PynamoDB connection given a client registers its `_before_send` on it (its `extra_headers`), and none
    is ever removed: on a shared client each model, and each `configure()`, would add one more, and keep its
    connection alive. With no model setting `extra_headers` (`configure` checks) they all do nothing, so the
    client keeps the first one only (botocore's `unique_id`)."""
    events = client.meta.events
    register_first = events.register_first

    def register_first_once(
        event_name: str, handler: Any, unique_id: str | None = None, unique_id_uses_count: bool = False
    ) -> None:
        if (
            unique_id is None
            and getattr(handler, "__func__", None) is pynamodb_connection.Connection._before_send
        ):
            unique_id = BEFORE_SEND_ID
        register_first(event_name, handler, unique_id=unique_id, unique_id_uses_count=unique_id_uses_count)

    events.register_first = register_first_once


def _has_credentials(client: Any) -> bool:
    """PynamoDB makes a new client when its client's signer lost its credentials (botocore can cache empty ones
    after a flaky metadata service): a kept client without them is made again, not handed out."""
    signer = client._request_signer
    return bool(signer is None or signer._credentials)


def share_service_descriptions() -> None:
    """PynamoDB asks for a botocore session per model connection and per thread. Each new session would cost
    ~5-10 ms to make (botocore registers its ~150 handlers) and would read and parse DynamoDB's service description
    and the endpoint rules again (tens of milliseconds, a Lambda's cold start paying it per model). Instead each
    thread gets one session (botocore makes clients safely from one thread per session), whose loader is the
    process's (`aws.botocore_session()`'s, so SQS and DynamoDB parse the shared files once) and whose clients read
    answers with `wire.AttributeValuesParser` (botocore's parser, without a shape walk per attribute value). The
    session also hands every model's connection the same DynamoDB client (`SharedSession.create_client`): 18
    models made 18 clients, each ~8-14 ms and its own HTTP connection pool. PynamoDB puts credentials on a session only when a connection is given its own; no model here is, and a
    shared session refuses them rather than lend them to every model (idempotent). The process's session is
    asked for its loader when the first connection wants a session, not here: this runs at `import app`, and
    a call that reads no table (the WSDL, a page) makes no session at all."""
    if getattr(pynamodb_connection, "_ledgerbridge_shared_loader", False):
        return
    parsers = AttributeValuesParserFactory()

    def get_session() -> botocore.session.Session:
        session: botocore.session.Session | None = getattr(_threads, "session", None)
        if session is None:
            session = SharedSession()
            session.register_component("data_loader", botocore_session().get_component("data_loader"))
            session.register_component("response_parser_factory", parsers)
            _threads.session = session
        return session

    pynamodb_connection.get_session = get_session  # type: ignore[attr-defined]
    pynamodb_connection._ledgerbridge_shared_loader = True  # type: ignore[attr-defined]


def configure(settings: Settings) -> None:
    """Point every model at this deployment's tables and endpoint (idempotent)."""
    share_service_descriptions()
    for model in ALL_MODELS:
        if getattr(model.Meta, "extra_headers", None):  # they would ride on every model's shared client
            raise RuntimeError(f"{model.__name__}: extra_headers would be sent with every model's requests")
        model.Meta.table_name = settings.table_name(model.Meta.short_name)
        model.Meta.region = settings.region
        model.Meta.host = settings.aws_endpoint_url
        model._connection = None
