"""A summary channel's orders and days: which channels post daily summaries, how an order joins its days (the
post-orders job hands it over instead of posting it), when the summary job is queued, and what the REST API shows
of the days. The job that posts a day is `summary_transactions` (docs/accounting/summary-transactions.md)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.aws import WorkQueue
from chalicelib.dal import channels, connections, summary_days
from chalicelib.dal.orders import StoredOrder
from chalicelib.orders.model import Order, parse_order
from chalicelib.orders.quickbooks import currency as qb_currency
from chalicelib.orders.quickbooks.summary import channel_code, day_closes_at, days_of, local_day, summary_refs
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.summary_settings import SummaryMode, SummaryRefunds
from chalicelib.sync.channels import settings_of
from chalicelib.sync.jobs import POST_SUMMARIES, JobContext, new_job

DAYS_PER_SET = (
    3  # days looked up and posted per round trip (their orders' digests wait in the payloads table)
)
STALE_SECONDS = 3600  # a job queued this long ago without ending is presumed lost


def is_summary(settings: ChannelSettings) -> bool:
    return settings.summary == SummaryMode.DAILY and settings.moves("orders_to_quickbooks")


# --- orders handed to their days (the post-orders job) ------------------------------------------------------------


def hand_over(
    stored: StoredOrder, settings: ChannelSettings, connection_id: str, now: datetime
) -> list[date]:
    """The order joins its days' summaries instead of being posted alone; returns its days. Raises OrderInvalid
    for an order that cannot be read (the caller fails it)."""
    order = parse_order(stored.document)
    zone = settings.summary_time_zone
    days = sorted(days_of(order, zone))
    for day in days:
        summary_days.hand_over(connection_id, stored.channel_id, day, {stored.order_id})
    for day in _earlier_days(stored) - set(days):  # its date changed in the store: its former day is redone
        summary_days.hand_over(connection_id, stored.channel_id, day, {stored.order_id}, remove=True)
    sale_ref, _ = summary_refs(local_day(order.created_at, zone), channel_code(stored.channel_id, settings))
    summary_days.handed_over_change(stored, sale_ref).write()
    if any(day_closes_at(d, zone, settings.summary_close_minutes) <= now for d in days):
        queue_job(connection_id, stored.channel_id, now)
    return days


def posted_alone(stored: StoredOrder) -> bool:
    """Whether the order has documents of its own in QuickBooks (posted one by one before its channel summarised):
    such an order is never handed to a day, which would post its sale a second time."""
    return any(not k.startswith(summary_days.SUMMARY_DOCUMENT) for k in stored.documents)


def company_currency(ctx: JobContext) -> qb_currency.CompanyCurrency:
    """The company's currency as the connection holds it (read here only where the call read no connection)."""
    info = ctx.company
    if info is None:
        conn = connections.get(ctx.connection_id)
        info = conn.company if conn else None
    return qb_currency.CompanyCurrency.of_company(info, ctx.country)


def currency_refusal(
    stored: StoredOrder, order: Order, ctx: JobContext, company: qb_currency.CompanyCurrency | None = None
) -> str | None:
    """Why the order cannot join a daily summary because of its currency, or None: a summary is one document in
    the company's home currency, so an order in another currency is refused (as single orders are in a file
    without multicurrency). An order whose document names no currency is in the home currency."""
    if not stored.document.get("currency"):
        return None
    company = company or company_currency(ctx)
    code = order.currency.upper()
    if company.home_currency and code == company.home_currency:
        return None
    home = company.home_currency or company.home_name or "unknown"
    return (
        f"The order is in {code}, and the channel posts daily summaries, which are in the QuickBooks company's "
        f"home currency ({home}): a foreign-currency order cannot be added into one."
    )


def _earlier_days(stored: StoredOrder) -> set[date]:
    """The days the order was handed to before (from the RefNumbers it shows: "D20261207WS", "C...")."""
    refs = [
        k[len(summary_days.SUMMARY_DOCUMENT) :]
        for k in stored.documents
        if k.startswith(summary_days.SUMMARY_DOCUMENT)
    ]
    if stored.txn_type == summary_days.WAITING_TXN_TYPE and stored.ref_number:
        refs.append(stored.ref_number)
    found = set()
    for ref in refs:
        try:
            found.add(datetime.strptime(ref[1:9], "%Y%m%d").date())
        except ValueError:
            continue
    return found


def queue_job(connection_id: str, channel_id: str, now: datetime) -> bool:
    """Queue the channel's summary job unless one is queued already."""
    if not summary_days.claim_job(connection_id, channel_id, now.timestamp(), STALE_SECONDS):
        return False
    WorkQueue(connection_id).send(new_job(POST_SUMMARIES, connection_id, now, channel_id=channel_id))
    return True


def queue_due(
    connection_id: str, channel_id: str, settings: ChannelSettings, now: datetime
) -> list[dict[str, Any]]:
    """At a Web Connector sign-in: the channel's summary job when a due day is closed (the caller sends it)."""
    zone, close = settings.summary_time_zone, settings.summary_close_minutes
    due = summary_days.due_days(connection_id, channel_id, limit=DAYS_PER_SET)
    if not any(day_closes_at(d, zone, close) <= now for d in due):
        return []
    if not summary_days.claim_job(connection_id, channel_id, now.timestamp(), STALE_SECONDS):
        return []
    return [new_job(POST_SUMMARIES, connection_id, now, channel_id=channel_id)]


def day_views(tenant_id: str, channel_id: str) -> list[dict[str, Any]]:
    """The channel's days as the REST API shows them, newest first: RefNumber, orders, status and problem."""
    channel = channels.get_for_tenant(tenant_id, channel_id)  # another tenant's channel is a 404
    settings = settings_of(channel)
    code = channel_code(channel_id, settings)
    now = datetime.now(UTC)
    views = []
    for day in reversed(summary_days.days(channel.connection_id, channel_id)):
        closed = day_closes_at(day.day, settings.summary_time_zone, settings.summary_close_minutes) <= now
        status = "posted" if not day.due else ("due" if closed else "open")
        views.append(
            {
                "day": day.day.isoformat(),
                "ref_number": summary_refs(day.day, as_posted(day, settings, code)[1])[0],  # as first posted
                "status": status,
                "orders": day.order_count,
                "documents": day.documents,
                "posted_at": day.posted_at.isoformat() if day.posted_at else None,
                "problem": day.problem,
            }
        )
    return views


def sale_kind(settings: ChannelSettings) -> str:
    return "SalesReceipt" if settings.transaction_type == "sales_receipt" else "Invoice"


def as_posted(
    record: summary_days.SummaryDay | None, settings: ChannelSettings, code: str
) -> tuple[ChannelSettings, str]:
    """The settings and RefNumber code a day keeps once QuickBooks holds its documents: the kind of its sale
    (SalesReceipt or Invoice), the code of its RefNumbers and, once it has a credit memo, the credit-memo mode. A
    change of `transaction_type`, `summary_code` or `summary_refunds` applies to days posted from then on; a posted
    day is corrected in the documents it has, never given a second one."""
    documents = record.documents if record is not None else {}
    for document in ("sale", "credit"):
        ref = str(documents.get(document, {}).get("ref_number", ""))
        if len(ref) > 9:  # "D" / "C", the day (yyyymmdd), the code
            code = ref[9:]
            break
    kind = documents.get("sale", {}).get("kind")
    if kind in ("SalesReceipt", "Invoice") and kind != sale_kind(settings):
        settings = dataclasses.replace(
            settings, transaction_type="sales_receipt" if kind == "SalesReceipt" else "invoice"
        )
    if "credit" in documents and settings.summary_refunds != SummaryRefunds.CREDIT_MEMO:
        settings = dataclasses.replace(settings, summary_refunds=SummaryRefunds.CREDIT_MEMO)
    return settings, code
