"""Summary transactions (pure): one sales receipt or invoice per channel and day instead of one per order.

A day's summary (`build_summary`) carries the orders *placed* that day and the refunds *made* that day, the day
counted in the channel's `summary_time_zone`:

* **Lines grouped by item** (and tax code in CA/UK/AU files): quantities and amounts summed to the cent; each
  line's Quantity and Amount are given (no Rate), so QuickBooks computes nothing of its own. Then, each summed
  into one line per item and code, line and order discounts (the discount item), shipping (the shipping item)
  and fees (the fee item).
* **Tax. US files**: every line is `non_taxable_code` ("Non"), so QuickBooks adds no tax of its own whatever the
  header item's rate (`zero_rate_tax_item` when set); the stores' tax is one line per sales tax item, the item
  of the ship-to state (`state_tax_items`) else `sales_tax_item`, with the day's tax for that item as its Amount
  (a summary mixes rates, so no header rate could compute it). The sales tax item's line lands in Sales Tax
  Payable against its agency. The summary's total is then exactly the sum of its orders' totals.
  **CA/UK/AU files** have no sales tax items to put on a line (qbXML 13.0 sales lines carry no tax amount:
  `TaxAmount` exists only on purchase expense lines), so each grouped line keeps the tax code the order's line
  had (`tax_code` / `exempt_tax_code`) and QuickBooks computes the tax per line. QuickBooks' tax on the summed
  lines can differ by rounding from the sum of the orders' taxes: `expected_total` says what the stores charged,
  and the use case records any difference on the day for the merchant (we never hide a difference by an
  adjustment line whose tax QuickBooks would compute again).
  **Marketplace-collected tax** follows `marketplace_tax` as single orders do (`tax.Tax`): the order's lines are
  non-taxable, its tax dropped (the sale is `posted_total`) or a line of `marketplace_tax_item`; refunded the same.
* **Refunds** of the day: with `summary_refunds: net`, negative lines ("Refunded: ...") of the same summary (a
  day whose refunds exceed its sales cannot be a sales receipt: OrderNotPostable, use `credit_memo`); with
  `credit_memo`, one credit memo for the day (RefNumber "C<yyyymmdd><code>"). Refunded lines by item, refunded
  shipping, and what the refund gave back beyond them: in US files the refunded tax (a line of the order's tax
  item); a refund without detail is one fee-item line, as for single orders.
* **Identity**: RefNumber "D<yyyymmdd><code>" (11 characters: `summary_code` or two characters derived from
  the channel id); ExternalGUID a uuid5 of (connection, channel, day, document): the same day always gets the
  same GUIDs, so a receipt found by RefNumber is confirmed as ours.
* **Corrections**: `summary_requests` builds an Add, or, for a document QuickBooks has (TxnID, EditSequence from
  a query), a Mod whose `*LineMod`s all have TxnLineID -1: a Mod listing lines replaces the whole line list
  (Intuit's reference for SalesReceiptMod/InvoiceMod/CreditMemoMod), so the document becomes the new summary.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from lxml import etree

from chalicelib.qbxml.posted import sale_mod_replacing_lines
from chalicelib.qbxml.transactions import (
    SaleLine,
    credit_memo_add,
    invoice_add,
    sales_receipt_add,
)

from ..model import Order, OrderLine
from ..settings import ChannelSettings
from ..summary_settings import SummaryRefunds
from ..tax_settings import MarketplaceTax
from .errors import OrderNotPostable
from .identity import COUNTRIES
from .names import item_ref, line_key
from .tax import posted_total

__all__ = [
    "DailySummary",
    "Document",
    "build_summary",
    "channel_code",
    "day_closes_at",
    "days_of",
    "local_day",
    "summary_guid",
    "summary_refs",
    "summary_requests",
]

Document = Literal["sale", "credit"]
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:ledgerbridge:daily-summary")
_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ZERO = Decimal(0)


def channel_code(channel_id: str, settings: ChannelSettings | None = None) -> str:
    """The end of the channel's summary RefNumbers: `summary_code`, else two characters derived from its id."""
    if settings is not None and settings.summary_code:
        return settings.summary_code
    number = int.from_bytes(hashlib.sha256(channel_id.encode()).digest()[:4], "big")
    return _CODE_ALPHABET[number % 36] + _CODE_ALPHABET[(number // 36) % 36]


def summary_refs(day: date, code: str) -> tuple[str, str]:
    """(the sale's RefNumber, the credit memo's): "D20261207WS", "C20261207WS" (at most 11 characters)."""
    stamp = day.strftime("%Y%m%d")
    return f"D{stamp}{code}", f"C{stamp}{code}"


def summary_guid(connection_id: str, channel_id: str, day: date, document: Document) -> str:
    """The ExternalGUID of a day's summary document: the same (connection, channel, day, document), the same GUID."""
    for name, value in (("connection_id", connection_id), ("channel_id", channel_id)):
        if not value:
            raise ValueError(f"{name} must not be empty")
    key = json.dumps([connection_id, channel_id, day.isoformat(), document])
    return "{" + str(uuid.uuid5(_NAMESPACE, key)).upper() + "}"


def local_day(moment: datetime, time_zone: str) -> date:
    """The day `moment` falls on in `time_zone` (a moment without an offset is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(time_zone)).date()


def day_closes_at(day: date, time_zone: str, close_minutes: int) -> datetime:
    """When `day` is closed, in UTC: the local midnight that ends it plus `close_minutes`."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(time_zone))
    return (end + timedelta(minutes=close_minutes)).astimezone(UTC)


def days_of(order: Order, time_zone: str) -> set[date]:
    """The days whose summaries carry something of the order: the day it was placed, and each refund's day."""
    return {local_day(order.created_at, time_zone)} | {
        local_day(r.created_at, time_zone) for r in order.refunds
    }


@dataclass(frozen=True)
class DailySummary:
    """What a channel's day posts: the sale's lines (and the credit memo's, in credit-memo mode) and totals."""

    day: date
    ref_number: str
    credit_ref_number: str
    sale_lines: tuple[SaleLine, ...]
    credit_lines: tuple[SaleLine, ...]
    sale_total: Decimal  # what the stores charged, less the day's refunds when netted
    credit_total: Decimal  # the day's refunds, in credit-memo mode
    lines_total: Decimal  # the sum of the sale's line amounts (before any tax QuickBooks adds: CA/UK/AU)
    order_ids: tuple[str, ...]  # orders placed that day
    refund_ids: tuple[tuple[str, str], ...]  # (order id, refund id) of the refunds of that day
    memo: str
    digest: str  # of everything the documents carry: equal digests, equal documents


@dataclass
class _Group:
    item: str
    code: str
    description: str
    quantity: Decimal | None = None
    amount: Decimal = ZERO


@dataclass
class _Lines:
    """Lines summed by (kind, item, tax code), kept in a stable order."""

    groups: dict[tuple[str, str, str], _Group] = field(default_factory=dict)

    def add(
        self,
        kind: str,
        item: str,
        code: str,
        description: str,
        amount: Decimal,
        quantity: Decimal | None = None,
    ) -> None:
        if amount == 0 and not quantity:
            return
        group = self.groups.setdefault((kind, item.casefold(), code), _Group(item, code, description))
        group.amount += amount
        if quantity is not None:
            group.quantity = (group.quantity or ZERO) + quantity

    def lines(self, class_name: str, sign: int = 1, prefix: str = "") -> list[SaleLine]:
        order = {"product": 0, "discount": 1, "shipping": 2, "fee": 3, "tax": 4, "marketplace": 5}
        out = []
        for (kind, key, code), g in sorted(self.groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1:])):
            del key
            if g.amount == 0 and not g.quantity:
                continue
            quantity = g.quantity * sign if g.quantity else None
            out.append(
                SaleLine(
                    item=g.item,
                    description=prefix + g.description,
                    quantity=quantity,
                    amount=g.amount * sign,
                    sales_tax_code="" if kind == "tax" else code,
                    class_name=class_name,
                )
            )
        return out


class _Codes:
    """The tax code of each part of an order in the summary."""

    def __init__(self, order: Order, settings: ChannelSettings, country: str) -> None:
        self.us = country == "US"
        self.settings = settings
        self.marketplace = order.tax_collected_by_marketplace  # never taxed again (tax.Tax's rule)
        self.has_tax = order.tax_total != 0 and not self.marketplace
        self.detailed = (
            any(ln.tax for ln in order.lines)
            or any(s.tax for s in order.shipping_lines)
            or any(f.tax for f in order.fees)
        )

    def code(self, taxable: bool) -> str:
        if self.us:
            return self.settings.non_taxable_code  # the tax is a line of its own: QuickBooks adds none
        return self.settings.tax_code if taxable and self.has_tax else self.settings.exempt_tax_code

    def line(self, line: OrderLine) -> str:
        return self.code(line.tax > 0 if self.detailed else line.taxable)

    def other(self, tax: Decimal) -> str:
        return self.code(self.detailed and tax > 0)


def _tax_item(order: Order, settings: ChannelSettings) -> str:
    state = (order.shipping_address.state or order.billing_address.state).strip().upper()
    item = settings.state_tax_items.get(state) or settings.sales_tax_item
    if not item:
        raise OrderNotPostable(
            f"Order {order.number} has sales tax and the channel names no sales tax item for its line in the daily "
            "summary: choose sales_tax_item (or state_tax_items) in the channel settings."
        )
    return item


def _marketplace_item(settings: ChannelSettings) -> str:
    """The liability item of tax a marketplace collected (`marketplace_tax: liability`), as for single orders."""
    item = settings.marketplace_tax_item
    if not item.strip():
        raise OrderNotPostable(
            "The marketplace collected an order's sales tax, and the channel posts such tax to a liability item; "
            "choose the marketplace tax item in the channel settings."
        )
    return item


def _marketplace_tax(
    order: Order, settings: ChannelSettings, codes: _Codes, amount: Decimal, out: _Lines
) -> None:
    """Tax a marketplace collected (and remits): dropped, or a line of its liability item (tax.Tax.amount_line)."""
    if amount and settings.marketplace_tax != MarketplaceTax.DROP:
        item = _marketplace_item(settings)
        out.add("marketplace", item, codes.code(False), "Sales tax collected by the marketplace", amount)


def _sale_parts(
    order: Order, settings: ChannelSettings, country: str, items: Mapping[str, str] | None, out: _Lines
) -> None:
    codes = _Codes(order, settings, country)
    for line in order.lines:
        code = codes.line(line)
        item = item_ref(line_key(line, settings), settings, items)
        out.add("product", item, code, line.title or line.sku, line.amount, line.quantity)
        if line.discount:
            out.add("discount", settings.discount_item, code, "Discounts", -line.discount)
    discounted = any(codes.line(ln) == settings.tax_code for ln in order.lines) if not codes.us else False
    for discount in order.discounts:
        out.add("discount", settings.discount_item, codes.code(discounted), "Discounts", -discount.amount)
    for shipping in order.shipping_lines:
        code = codes.other(shipping.tax)
        out.add("shipping", settings.shipping_item, code, "Shipping", shipping.price)
        if shipping.discount:
            out.add("discount", settings.discount_item, code, "Discounts", -shipping.discount)
    for fee in order.fees:
        out.add("fee", settings.fee_item, codes.other(fee.tax), "Fees", fee.amount)
    if codes.marketplace:
        _marketplace_tax(order, settings, codes, order.tax_total, out)
    elif codes.us and order.tax_total:
        item = _tax_item(order, settings)
        out.add("tax", item, "", f"Sales tax ({item})", order.tax_total)


def _refund_parts(
    order: Order,
    refund_ids: set[str],
    settings: ChannelSettings,
    country: str,
    items: Mapping[str, str] | None,
    out: _Lines,
) -> Decimal:
    """The refunds `refund_ids` of the order as lines (positive amounts); returns what they gave back."""
    codes = _Codes(order, settings, country)
    by_id = {line.line_id: line for line in order.lines}
    given = ZERO
    for refund in order.refunds:
        if refund.refund_id not in refund_ids:
            continue
        given += refund.amount
        detail = ZERO
        for refunded in refund.lines:
            line = by_id.get(refunded.line_id)
            if line is None:
                raise OrderNotPostable(
                    f"Refund {refund.refund_id} of order {order.number} returns line {refunded.line_id}, which the "
                    "order does not have."
                )
            item = item_ref(line_key(line, settings), settings, items)
            out.add(
                "product", item, codes.line(line), line.title or line.sku, refunded.amount, refunded.quantity
            )
            detail += refunded.amount
        if refund.shipping:
            taxable = (
                any(codes.other(s.tax) == settings.tax_code for s in order.shipping_lines) and not codes.us
            )
            out.add("shipping", settings.shipping_item, codes.code(taxable), "Shipping", refund.shipping)
            detail += refund.shipping
        rest = refund.amount - detail
        if not refund.lines and not refund.shipping:
            out.add("fee", settings.fee_item, codes.code(False), "Refunds without detail", refund.amount)
        elif rest > 0 and codes.marketplace:  # the marketplace's tax given back: as the sale had it
            if settings.marketplace_tax == MarketplaceTax.DROP:
                given -= rest
            else:
                _marketplace_tax(order, settings, codes, rest, out)
        elif rest and codes.us and order.tax_total:
            item = _tax_item(order, settings)  # what it gave back beyond lines and shipping: the tax
            out.add("tax", item, "", f"Sales tax ({item})", rest)
        elif rest and codes.us:
            out.add("fee", settings.fee_item, codes.code(False), "Refunds without detail", rest)
    return given


def build_summary(
    day: date,
    orders: Iterable[Order],
    settings: ChannelSettings,
    *,
    country: str,
    code: str,
    items: Mapping[str, str] | None = None,
) -> DailySummary:
    """The summary of `day` from the orders that have something on it (placed that day, or refunded that day;
    others are ignored). Each order's totals must reconcile (`check_totals`) before it comes here. `items` maps
    item keys to the QuickBooks items matched (as for single orders). Raises OrderNotPostable when the day cannot
    be posted as it is (a tax line without a tax item; refunds netted past the day's sales)."""
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}, got {country!r}")
    zone = settings.summary_time_zone
    sales, refunds = _Lines(), _Lines()
    order_ids: list[str] = []
    refund_ids: list[tuple[str, str]] = []
    charged = refunded = ZERO
    for order in sorted(orders, key=lambda o: o.order_id):
        if local_day(order.created_at, zone) == day:
            _sale_parts(order, settings, country, items, sales)
            charged += posted_total(order, settings)  # marketplace tax dropped: as single orders post it
            order_ids.append(order.order_id)
        todays = {r.refund_id for r in order.refunds if local_day(r.created_at, zone) == day}
        if todays:
            refunded += _refund_parts(order, todays, settings, country, items, refunds)
            refund_ids += sorted((order.order_id, r) for r in todays)
    ref, credit_ref = summary_refs(day, code)
    klass = settings.class_name
    net = settings.summary_refunds == SummaryRefunds.NET
    sale_lines = sales.lines(klass) + (refunds.lines(klass, -1, "Refunded: ") if net else [])
    credit_lines = [] if net else refunds.lines(klass)
    sale_total = charged - refunded if net else charged
    if net and sale_total < 0:
        raise OrderNotPostable(
            f"The refunds of {day.isoformat()} ({refunded:.2f}) exceed its sales ({charged:.2f}): a sales receipt "
            "cannot be negative. Set summary_refunds to credit_memo."
        )
    lines_total = sum((ln.amount or ZERO for ln in sale_lines), ZERO)
    if country == "US" and lines_total != sale_total:
        # Every part of every order is a line: a difference means an order whose totals do not reconcile.
        raise OrderNotPostable(
            f"The summary of {day.isoformat()} adds up to {lines_total:.2f}, not {sale_total:.2f}: an order's "
            "totals do not reconcile."
        )
    memo = f"Daily summary {day.isoformat()} ({zone}): {_count(len(order_ids), 'order')}"
    if refund_ids:
        memo += f", {_count(len(refund_ids), 'refund')}" + (
            " (netted)" if net else f" (credit memo {credit_ref})"
        )
    digest = hashlib.sha256(
        json.dumps(
            [
                ref,
                credit_ref,
                memo,
                str(sale_total),
                str(refunded),
                [_plain(ln) for ln in sale_lines],
                [_plain(ln) for ln in credit_lines],
            ],
            separators=(",", ":"),
        ).encode()
    ).hexdigest()
    return DailySummary(
        day=day,
        ref_number=ref,
        credit_ref_number=credit_ref,
        sale_lines=tuple(sale_lines),
        credit_lines=tuple(credit_lines),
        sale_total=sale_total,
        credit_total=ZERO if net else refunded,
        lines_total=lines_total,
        order_ids=tuple(order_ids),
        refund_ids=tuple(refund_ids),
        memo=memo,
        digest=digest,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _plain(line: SaleLine) -> list[str]:
    return [
        line.item,
        line.description,
        str(line.quantity),
        str(line.amount),
        line.sales_tax_code,
        line.class_name,
    ]


def summary_requests(
    summary: DailySummary,
    settings: ChannelSettings,
    *,
    country: str,
    request_prefix: str,
    sale_guid: str,
    credit_guid: str,
    found: Mapping[Document, tuple[str, str]] | None = None,
    documents: Sequence[Document] = ("sale", "credit"),
) -> list[tuple[Document, etree._Element]]:
    """The requests that make QuickBooks hold `summary`: per document with lines (of `documents`), an Add, or a Mod
    replacing every line of the one QuickBooks has (`found`: document -> (TxnID, EditSequence))."""
    found = found or {}
    header_item = (settings.zero_rate_tax_item or "") if country == "US" else ""
    out: list[tuple[Document, etree._Element]] = []
    receipt = settings.transaction_type == "sales_receipt"
    if "sale" in documents and summary.sale_lines:
        rid = f"{request_prefix}-sale"
        if "sale" in found:
            txn_id, edit_sequence = found["sale"]
            kind: Literal["SalesReceipt", "Invoice", "CreditMemo"] = "SalesReceipt" if receipt else "Invoice"
            element = sale_mod_replacing_lines(
                kind,
                rid,
                txn_id=txn_id,
                edit_sequence=edit_sequence,
                lines=summary.sale_lines,
                memo=summary.memo,
            )
        elif receipt:
            if not settings.accounts.deposit:
                raise OrderNotPostable(
                    "Sales receipts need a deposit account; choose one in the channel settings."
                )
            element = sales_receipt_add(
                rid,
                customer=settings.summary_customer,
                txn_date=summary.day,
                lines=summary.sale_lines,
                ref_number=summary.ref_number,
                class_name=settings.class_name,
                payment_method=settings.default_payment_method,
                item_sales_tax=header_item,
                memo=summary.memo,
                deposit_account=settings.accounts.deposit,
                external_guid=sale_guid,
            )
        else:
            element = invoice_add(
                rid,
                customer=settings.summary_customer,
                txn_date=summary.day,
                lines=summary.sale_lines,
                ref_number=summary.ref_number,
                class_name=settings.class_name,
                ar_account=settings.accounts.receivable,
                item_sales_tax=header_item,
                memo=summary.memo,
                external_guid=sale_guid,
            )
        out.append(("sale", element))
    if "credit" in documents and summary.credit_lines:
        rid = f"{request_prefix}-credit"
        memo = f"Refunds of {summary.day.isoformat()} ({summary.ref_number})"
        if "credit" in found:
            txn_id, edit_sequence = found["credit"]
            element = sale_mod_replacing_lines(
                "CreditMemo",
                rid,
                txn_id=txn_id,
                edit_sequence=edit_sequence,
                lines=summary.credit_lines,
                memo=memo,
            )
        else:
            element = credit_memo_add(
                rid,
                customer=settings.summary_customer,
                txn_date=summary.day,
                lines=summary.credit_lines,
                ref_number=summary.credit_ref_number,
                class_name=settings.class_name,
                ar_account=settings.accounts.receivable,
                item_sales_tax=header_item,
                memo=memo,
                external_guid=credit_guid,
            )
        out.append(("credit", element))
    return out
