"""Refunds as credit memos ("Refund of <RefNumber>", RefNumber "<ref>-R<n>"), tied to the sale by text."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from chalicelib.qbxml.transactions import SaleLine, credit_memo_add

from ..model import Order, Refund
from ..settings import ChannelSettings
from .errors import OrderNotPostable
from .extras import check_extras, header_extras
from .identity import derived_guid, order_number, refnumber_and_memo, refund_ref_number, request_id
from .lines import line_item, product_line
from .names import addresses
from .tax import Tax

if TYPE_CHECKING:
    from chalicelib.rules.actions import PostingExtras

__all__ = ["refund_requests"]


def _shipping_item(order: Order, settings: ChannelSettings, extras: PostingExtras | None) -> str:
    """The item a shipping refund credits: the one item the rules gave every charged shipping line of
    the order, else the settings' shipping item."""
    if extras is None or not extras.shipping_items:
        return settings.shipping_item
    used = {
        extras.shipping_items.get(i) or settings.shipping_item
        for i, s in enumerate(order.shipping_lines)
        if s.price
    }
    return used.pop() if len(used) == 1 else settings.shipping_item


def _refund_lines(
    order: Order,
    refund: Refund,
    settings: ChannelSettings,
    tax: Tax,
    items: Mapping[str, str] | None,
    extras: PostingExtras | None,
) -> list[SaleLine]:
    by_id = {line.line_id: line for line in order.lines}
    klass = settings.class_name
    out: list[SaleLine] = []
    for refunded in refund.lines:
        line = by_id.get(refunded.line_id)
        if line is None:
            raise OrderNotPostable(
                f"Refund {refund.refund_id} returns line {refunded.line_id}, which the order does not have."
            )
        item = line_item(line, settings, items, extras)
        code = tax.code(tax.line(line))
        out.append(product_line(line, item, refunded.quantity, refunded.amount, code, klass, extras))
    if refund.shipping:
        taxable = any(tax.other(s.tax) for s in order.shipping_lines)
        out.append(
            SaleLine(
                item=_shipping_item(order, settings, extras),
                description="Shipping refund",
                amount=refund.shipping,
                sales_tax_code=tax.code(taxable),
                class_name=klass,
            )
        )
    if out:
        # The store's tax refunded (the refund beyond its lines and shipping): a line in store mode (see `tax`).
        refunded_tax = refund.amount - sum((r.amount for r in refund.lines), Decimal(0)) - refund.shipping
        if refunded_tax > 0:
            out.extend(tax.amount_line(refunded_tax, "Sales tax refunded"))
    if not out and refund.amount:
        out.append(
            SaleLine(
                item=settings.fee_item,
                description=refund.note or "Refund",
                amount=refund.amount,
                sales_tax_code=tax.code(False),
                class_name=klass,
            )
        )
    return out


def refund_requests(
    order: Order,
    settings: ChannelSettings,
    *,
    country: str,
    request_prefix: str,
    customer: str,
    guid: str,
    items: Mapping[str, str] | None = None,
    refund_ids: Collection[str] | None = None,
    extras: PostingExtras | None = None,
) -> list[etree._Element]:
    """A CreditMemoAddRq per refund of the order (all, or those in `refund_ids`), numbered by their
    place in time order ("<ref>-R1", "-R2", ...), each with ExternalGUID
    `derived_guid(guid, "refund:<refund id>")` where `guid` is the order's GUID. Refunds of nothing
    (no lines, no shipping, zero amount) are skipped. `extras` (the order rules' `PostingExtras`)
    gives the credit memos the sale's PO number, sales rep and line choices (items, units, price
    level, inventory site); not its memo or terms (see `extras`)."""
    check_extras(extras, "credit_memo", country)
    tax = Tax(order, settings, country)
    ref, _, default_po_number = refnumber_and_memo(order, settings)
    header = header_extras(extras, "credit_memo", memo="", po_number=default_po_number)
    number = order_number(order, settings)
    bill, ship = addresses(order)
    ordered: Sequence[Refund] = sorted(order.refunds, key=lambda r: (r.created_at, r.refund_id))
    requests: list[etree._Element] = []
    for index, refund in enumerate(ordered, start=1):
        if refund_ids is not None and refund.refund_id not in refund_ids:
            continue
        lines = _refund_lines(order, refund, settings, tax, items, extras)
        if not lines:
            continue
        memo = f"Refund of {ref}" + (f" (order {number})" if number != ref else "")
        if refund.note:
            memo += "\n" + refund.note
        requests.append(
            credit_memo_add(
                request_id(request_prefix, f"cm{index}"),
                customer=customer,
                txn_date=refund.created_at.date(),
                lines=lines,
                ref_number=refund_ref_number(ref, index),
                class_name=settings.class_name,
                ar_account=settings.accounts.receivable,
                bill_address=bill,
                ship_address=ship,
                po_number=header.po_number,
                item_sales_tax=tax.header_item,
                memo=memo,
                external_guid=derived_guid(guid, f"refund:{refund.refund_id}"),
                sales_rep=header.sales_rep,
            )
        )
    return requests
