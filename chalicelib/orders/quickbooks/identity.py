"""Which documents an order posts and how they are found again: GUIDs, RefNumber, Memo, PONumber.

See `chalicelib.orders.to_quickbooks` for the decisions (RefNumber keeps the last 11 characters of a
long order number; the whole number goes to PONumber when it fits and always to the Memo).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Literal

from chalicelib.qbxml.text import MEMO, PO_NUMBER, REF_NUMBER, to_quickbooks_text

from ..model import Order
from ..settings import ChannelSettings, TransactionType
from .errors import OrderNotPostable

__all__ = [
    "COUNTRIES",
    "DOCUMENTS",
    "Country",
    "derived_guid",
    "order_guid",
    "order_number",
    "refnumber_and_memo",
    "refund_ref_number",
    "request_id",
    "tail",
]

Country = Literal["US", "CA", "UK", "AU"]
COUNTRIES: tuple[Country, ...] = ("US", "CA", "UK", "AU")
DOCUMENTS: Mapping[TransactionType, tuple[str, ...]] = {
    "sales_receipt": ("sales_receipt",),
    "invoice": ("invoice",),
    "sales_order": ("sales_order",),
    "sales_order_invoice_payment": ("sales_order", "invoice", "payment"),
}
"""The documents each transaction type posts, in order. The sales order must exist before the invoice
can link it (LinkToTxnID takes a real TxnID, no macro), and the invoice before the payment. The sync posts
one payment per store payment ("invoice" too, with `record_payments`): see `payments.payment_labels`."""

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:ledgerbridge:order")


def order_guid(connection_id: str, channel_id: str, order_id: str) -> str:
    """The ExternalGUID of an order's sale: the same three ids always give the same GUID."""
    for name, value in (("connection_id", connection_id), ("channel_id", channel_id), ("order_id", order_id)):
        if not value:
            raise ValueError(f"{name} must not be empty")
    key = json.dumps([connection_id, channel_id, order_id], ensure_ascii=False)
    return "{" + str(uuid.uuid5(_NAMESPACE, key)).upper() + "}"


def derived_guid(guid: str, label: str) -> str:
    """A GUID for another document of the same order ("invoice", "refund:<id>", "payment:<payment key>"; the
    staged flow's single "payment" of older orders)."""
    if not label:
        raise ValueError("label must not be empty")
    return "{" + str(uuid.uuid5(uuid.UUID(guid.strip("{}")), label)).upper() + "}"


def order_number(order: Order, settings: ChannelSettings) -> str:
    """The order's number (or id, per `order_number_source`) as QuickBooks text, without a leading "#"."""
    raw = order.order_id if settings.order_number_source == "id" else order.number
    text = to_quickbooks_text(raw, 1000).lstrip("#").strip()
    if not text:
        text = to_quickbooks_text(order.order_id, 1000).lstrip("#").strip()
    if not text:
        raise OrderNotPostable(
            f"The order number {raw!r} has no characters QuickBooks can store, so the order has no "
            "number to post under."
        )
    return text


def tail(text: str, max_length: int) -> str:
    """The last `max_length` characters, without leading punctuation or spaces."""
    if len(text) <= max_length:
        return text
    end = text[-max_length:]
    stripped = end.lstrip(" -_./#:")
    return stripped or end


def refnumber_and_memo(order: Order, settings: ChannelSettings) -> tuple[str, str, str]:
    """(RefNumber, Memo, PONumber) for the order's sale. See `chalicelib.orders.to_quickbooks`."""
    number = order_number(order, settings)
    ref = tail(number, REF_NUMBER)
    po_number = number if ref != number and len(number) <= PO_NUMBER else ""
    memo_text = f"Order {number}"
    if order.note:
        memo_text += "\n" + order.note
    memo = to_quickbooks_text(memo_text, MEMO, multiline=True)
    return ref, memo, po_number


def refund_ref_number(sale_ref: str, index: int) -> str:
    """RefNumber of the `index`-th (1-based) refund's credit memo: "<sale ref>-R<index>", keeping the
    end of the sale's number when it must be cut to 11 characters."""
    suffix = f"-R{index}"
    return tail(sale_ref, REF_NUMBER - len(suffix)) + suffix


def request_id(prefix: str, suffix: str) -> str:
    """The requestID "<prefix>-<suffix>" (at most 50 characters)."""
    if not prefix:
        raise ValueError("request_prefix must not be empty")
    rid = f"{prefix}-{suffix}"
    if len(rid) > 50:
        raise ValueError(f"request_prefix {prefix!r} is too long for a 50-character requestID")
    return rid
