"""Finding and correcting what QuickBooks saved: the queries by RefNumber or TxnID that look a posted transaction up
(exactly once: a document whose fate is open is looked up before anything is sent again), and the Mod that replaces
a sale's lines (daily summaries). Children in the 13.0 schema's order, as in `transactions`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lxml import etree

from .requests import _start, _sub, add_include
from .text import MEMO, PAYMENT_REF_NUMBER, REF_NUMBER
from .transactions import SaleLine, _check_name, _lines, _require_lines, _text, _wrap

__all__ = [
    "CREDIT_MEMO_FOUND_INCLUDE",
    "INVOICE_FOUND_INCLUDE",
    "QUERY_BY_REF",
    "RECEIVE_PAYMENT_FOUND_INCLUDE",
    "SALES_ORDER_FOUND_INCLUDE",
    "SALES_RECEIPT_FOUND_INCLUDE",
    "credit_memo_query_by_ref",
    "invoice_query_by_ref",
    "query_by_txn_id",
    "receive_payment_query_by_ref",
    "sale_mod_replacing_lines",
    "sales_order_query_by_ref",
    "sales_receipt_query_by_ref",
]

# What the *_query_by_ref builders ask for by default: enough to recognise our own transaction
# (ExternalGUID, RefNumber, Memo), to link or pay it (TxnID, EditSequence) and to compare totals.
# InvoiceRet has no TotalAmount: its total is Subtotal + SalesTaxTotal.
_FOUND_COMMON: tuple[str, ...] = (
    "TxnID", "TimeCreated", "EditSequence", "TxnDate", "RefNumber", "CustomerRef", "Memo", "ExternalGUID",
)  # fmt: skip
SALES_RECEIPT_FOUND_INCLUDE: tuple[str, ...] = (*_FOUND_COMMON, "Subtotal", "SalesTaxTotal", "TotalAmount")
INVOICE_FOUND_INCLUDE: tuple[str, ...] = (
    *_FOUND_COMMON, "Subtotal", "SalesTaxTotal", "BalanceRemaining", "IsPaid",
)  # fmt: skip
SALES_ORDER_FOUND_INCLUDE: tuple[str, ...] = (
    *_FOUND_COMMON, "Subtotal", "SalesTaxTotal", "TotalAmount", "IsFullyInvoiced",
)  # fmt: skip
CREDIT_MEMO_FOUND_INCLUDE: tuple[str, ...] = (
    *_FOUND_COMMON, "Subtotal", "SalesTaxTotal", "TotalAmount", "CreditRemaining",
)  # fmt: skip
RECEIVE_PAYMENT_FOUND_INCLUDE: tuple[str, ...] = (*_FOUND_COMMON, "TotalAmount", "UnusedPayment")


def _query_by_ref(
    tag: str, request_id: str, ref_number: str, include: Sequence[str], max_length: int
) -> etree._Element:
    """`<RefNumber>` is the exact-match (case-insensitive) choice of the 13.0 TxnQuery groups; it
    excludes every filter, and IncludeRetElement follows it."""
    _check_name(ref_number, max_length, "RefNumber")
    request = _start(tag, request_id)
    _sub(request, "RefNumber", ref_number)
    add_include(request, include)
    return request


def sales_receipt_query_by_ref(
    request_id: str, ref_number: str, *, include: Sequence[str] = SALES_RECEIPT_FOUND_INCLUDE
) -> etree._Element:
    """SalesReceiptQueryRq for the receipts numbered `ref_number`."""
    return _query_by_ref("SalesReceiptQueryRq", request_id, ref_number, include, REF_NUMBER)


def invoice_query_by_ref(
    request_id: str, ref_number: str, *, include: Sequence[str] = INVOICE_FOUND_INCLUDE
) -> etree._Element:
    """InvoiceQueryRq for the invoices numbered `ref_number`."""
    return _query_by_ref("InvoiceQueryRq", request_id, ref_number, include, REF_NUMBER)


def sales_order_query_by_ref(
    request_id: str, ref_number: str, *, include: Sequence[str] = SALES_ORDER_FOUND_INCLUDE
) -> etree._Element:
    """SalesOrderQueryRq for the sales orders numbered `ref_number`."""
    return _query_by_ref("SalesOrderQueryRq", request_id, ref_number, include, REF_NUMBER)


def credit_memo_query_by_ref(
    request_id: str, ref_number: str, *, include: Sequence[str] = CREDIT_MEMO_FOUND_INCLUDE
) -> etree._Element:
    """CreditMemoQueryRq for the credit memos numbered `ref_number`."""
    return _query_by_ref("CreditMemoQueryRq", request_id, ref_number, include, REF_NUMBER)


def receive_payment_query_by_ref(
    request_id: str, ref_number: str, *, include: Sequence[str] = RECEIVE_PAYMENT_FOUND_INCLUDE
) -> etree._Element:
    """ReceivePaymentQueryRq for the payments numbered `ref_number` (up to 20 characters)."""
    return _query_by_ref("ReceivePaymentQueryRq", request_id, ref_number, include, PAYMENT_REF_NUMBER)


QUERY_BY_REF: Mapping[str, Callable[..., etree._Element]] = {
    "SalesReceipt": sales_receipt_query_by_ref,
    "Invoice": invoice_query_by_ref,
    "SalesOrder": sales_order_query_by_ref,
    "ReceivePayment": receive_payment_query_by_ref,
    "CreditMemo": credit_memo_query_by_ref,
}
"""The query by RefNumber of each kind of transaction Ledgerbridge posts: (request_id, ref_number, *, include)."""


def query_by_txn_id(kind: str, request_id: str, txn_id: str, include: Sequence[str]) -> etree._Element:
    """`<kind>QueryRq` for the one transaction `txn_id` (TxnID is the first choice of the 13.0 query groups,
    IncludeRetElement follows it; qbxmlops130.xsd). QuickBooks answers a TxnID it no longer has with warning 500
    and no Ret."""
    request = _start(f"{kind}QueryRq", request_id)
    _sub(request, "TxnID", txn_id)
    add_include(request, include)
    return request


# ----------------------------------------------------------------------------------------------
# replacing a sale's lines (summary transactions: chalicelib/orders/quickbooks/summary.py)


def sale_mod_replacing_lines(
    kind: str,
    request_id: str,
    *,
    txn_id: str,
    edit_sequence: str,
    lines: Sequence[SaleLine],
    memo: str = "",
    include: Sequence[str] = (),
) -> etree._Element:
    """SalesReceiptModRq / InvoiceModRq / CreditMemoModRq (`kind` "SalesReceipt", "Invoice", "CreditMemo") that
    makes `lines` the document's whole line list: every `*LineMod` has TxnLineID -1 (a new line), and a Mod that
    lists lines deletes the lines it does not list (Intuit's reference for these Mods). `edit_sequence` must be the
    document's current one (QuickBooks answers 3200 otherwise). Memo, when given, replaces the memo."""
    if kind not in ("SalesReceipt", "Invoice", "CreditMemo"):
        raise ValueError(f"kind must be SalesReceipt, Invoice or CreditMemo, got {kind!r}")
    if not txn_id or not edit_sequence:
        raise ValueError("a Mod needs the TxnID and EditSequence of the document")
    _require_lines(lines, kind)
    request, mod = _wrap(f"{kind}ModRq", f"{kind}Mod", request_id)
    _sub(mod, "TxnID", txn_id)
    _sub(mod, "EditSequence", edit_sequence)
    _text(mod, "Memo", memo, MEMO, multiline=True)
    _lines(mod, f"{kind}LineMod", lines)
    for line in mod.findall(f"{kind}LineMod"):
        line_id = etree.Element("TxnLineID")
        line_id.text = "-1"
        line.insert(0, line_id)
    add_include(request, include)
    return request
