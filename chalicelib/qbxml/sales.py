"""Sales read from QuickBooks (invoices, sales orders) for shipping tools, and the Mod that writes the
shipment back.

Queries (13.0 groups `InvoiceQuery` / `TxnQueryWithLinkedFilterNoAccount`)::

    ( TxnID* | RefNumber* | RefNumberCaseSensitive* |
      MaxReturned? (ModifiedDateRangeFilter | TxnDateRangeFilter)? EntityFilter? ... )
    IncludeLineItems? IncludeLinkedTxns? IncludeRetElement* OwnerID*

Both queries carry `iterator` / `iteratorID`. A `Continue` is the same query again with the
iterator attributes (Intuit's programmer's guide), see `chalicelib.qbxml.inventory`.

Mods (InvoiceMod / SalesOrderMod), in schema order, of what we write::

    TxnID EditSequence ... ShipDate ... Memo ... Other ... (InvoiceLineMod | SalesOrderLineMod)*

A Mod that lists no line leaves the lines alone. A Mod that lists *any* line replaces the line
list: lines it leaves out are deleted. So adding a line (TxnLineID "-1") means listing every
existing line by its TxnLineID alone (which keeps it unchanged). EditSequence must be the current
one, else QuickBooks answers 3200 ("The provided edit sequence ... is out-of-date") and changes
nothing: query again, then retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from lxml import etree

from .inventory import format_qb_datetime, parse_qb_datetime
from .requests import _check_max_returned, _start, _sub, add_include
from .responses import QbResponse, _bool, _elements, _text
from .text import DESC, ITEM_FULL_NAME, MEMO, to_quickbooks_text
from .transactions import format_amount
from .xml import QbxmlParseError

__all__ = [
    "INVOICE_FIELDS",
    "OTHER",
    "SALES_ORDER_FIELDS",
    "SALE_FIELDS",
    "AddedLine",
    "QbAddress",
    "QbSale",
    "QbSaleLine",
    "SaleKind",
    "sale_mod",
    "sale_query",
    "sales",
]

SaleKind = Literal["invoice", "sales_order"]

OTHER = 29
"""The "Other" header field of invoices and sales orders: at most 29 characters (Intuit's 13.0
catalogue, "max length = 29 for QBD|QBCA|QBUK|QBAU")."""

_TAGS: dict[str, str] = {"invoice": "Invoice", "sales_order": "SalesOrder"}
_KINDS: dict[str, SaleKind] = {"InvoiceRet": "invoice", "SalesOrderRet": "sales_order"}

_COMMON_FIELDS: tuple[str, ...] = (
    "TxnID", "TimeModified", "EditSequence", "TxnDate", "RefNumber", "CustomerRef", "ClassRef",
    "BillAddress", "ShipAddress", "PONumber", "ShipDate", "ShipMethodRef", "Subtotal", "SalesTaxTotal",
    "Memo", "Other",
)  # fmt: skip
INVOICE_FIELDS: tuple[str, ...] = (
    *_COMMON_FIELDS, "IsPending", "BalanceRemaining", "IsPaid", "InvoiceLineRet", "InvoiceLineGroupRet",
)  # fmt: skip
"""IncludeRetElement of `sale_query(kind="invoice")`: exactly what `sales()` reads (InvoiceRet has
no TotalAmount; the total is Subtotal + SalesTaxTotal)."""
SALES_ORDER_FIELDS: tuple[str, ...] = (
    *_COMMON_FIELDS, "TotalAmount", "IsManuallyClosed", "IsFullyInvoiced", "SalesOrderLineRet",
    "SalesOrderLineGroupRet",
)  # fmt: skip
"""IncludeRetElement of `sale_query(kind="sales_order")`."""
SALE_FIELDS: dict[SaleKind, tuple[str, ...]] = {"invoice": INVOICE_FIELDS, "sales_order": SALES_ORDER_FIELDS}


# ----------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class QbAddress:
    """A BillAddress / ShipAddress as QuickBooks returned it (None where it sent nothing)."""

    addr1: str | None = None
    addr2: str | None = None
    addr3: str | None = None
    addr4: str | None = None
    addr5: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    note: str | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True)
class QbSaleLine:
    """One line of a sale (lines of a line group come flattened, in order)."""

    txn_line_id: str
    item_full_name: str | None
    description: str | None
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal | None
    class_name: str | None


@dataclass(frozen=True)
class QbSale:
    """An invoice or sales order as read from QuickBooks."""

    kind: SaleKind
    txn_id: str
    edit_sequence: str
    ref_number: str | None
    txn_date: date
    time_modified: datetime
    customer_full_name: str
    class_name: str | None
    bill_address: QbAddress | None
    ship_address: QbAddress | None
    ship_method: str | None
    """ShipMethodRef FullName ("UPS", "FedEx", ...)."""
    ship_date: date | None
    other: str | None
    memo: str | None
    po_number: str | None
    subtotal: Decimal
    sales_tax_total: Decimal
    total: Decimal
    """TotalAmount (sales orders), or Subtotal + SalesTaxTotal (invoices, which have no TotalAmount)."""
    balance_remaining: Decimal | None
    """Invoices only."""
    is_paid: bool | None
    """Invoices only."""
    is_fully_invoiced: bool | None
    """Sales orders only."""
    is_manually_closed: bool | None
    """Sales orders only."""
    is_pending: bool | None
    """Invoices only."""
    lines: tuple[QbSaleLine, ...]

    @property
    def line_ids(self) -> tuple[str, ...]:
        """Every TxnLineID, for `sale_mod(keep_line_ids=...)`."""
        return tuple(line.txn_line_id for line in self.lines)


@dataclass(frozen=True)
class AddedLine:
    """A line `sale_mod` appends (e.g. a shipping charge)."""

    item_full_name: str
    description: str
    amount: Decimal


# ----------------------------------------------------------------------------------------------
# query


def _tag(kind: str) -> str:
    tag = _TAGS.get(kind)
    if tag is None:
        raise ValueError(f"kind must be 'invoice' or 'sales_order', got {kind!r}")
    return tag


def sale_query(
    request_id: str,
    *,
    kind: SaleKind,
    from_modified: datetime | None = None,
    txn_ids: Sequence[str] = (),
    iterator: str | None = None,
    iterator_id: str | None = None,
    max_returned: int | None = None,
    include_line_items: bool = True,
    include: Sequence[str] | None = None,
) -> etree._Element:
    """InvoiceQueryRq / SalesOrderQueryRq: by `txn_ids`, or every sale modified at or after
    `from_modified` (aware; None: all), `max_returned` at a time (required with an iterator).

    `include` defaults to SALE_FIELDS[kind] (what `sales()` reads); pass `()` for whole Rets.
    `txn_ids` cannot be combined with `from_modified`, `max_returned` or an iterator (the schema
    makes the lookup and the filters alternatives).
    """
    tag = _tag(kind)
    if isinstance(txn_ids, str):
        raise TypeError("txn_ids must be a sequence of TxnIDs, not a single string")
    _check_max_returned(max_returned)
    if iterator is None:
        if iterator_id is not None:
            raise ValueError("iterator_id given without iterator")
    elif iterator not in ("Start", "Continue"):
        raise ValueError(f"iterator must be 'Start', 'Continue' or None, got {iterator!r}")
    elif iterator == "Start" and iterator_id is not None:
        raise ValueError("iterator='Start' must not carry an iterator_id (QuickBooks assigns one)")
    elif iterator == "Continue" and not iterator_id:
        raise ValueError("iterator='Continue' needs the iterator_id QuickBooks returned")
    elif max_returned is None:
        raise ValueError("an iterator query needs max_returned (the chunk size)")
    if txn_ids and (from_modified is not None or max_returned is not None or iterator is not None):
        raise ValueError("txn_ids cannot be combined with from_modified, max_returned or an iterator")
    element = _start(f"{tag}QueryRq", request_id)
    if iterator is not None:
        element.set("iterator", iterator)
        if iterator_id is not None:
            element.set("iteratorID", iterator_id)
    for txn_id in txn_ids:
        if not txn_id:
            raise ValueError("txn_ids must not contain empty TxnIDs")
        _sub(element, "TxnID", txn_id)
    if max_returned is not None:
        _sub(element, "MaxReturned", str(max_returned))
    if from_modified is not None:
        _sub(
            etree.SubElement(element, "ModifiedDateRangeFilter"),
            "FromModifiedDate",
            format_qb_datetime(from_modified),
        )
    if include_line_items:
        _sub(element, "IncludeLineItems", "true")
    add_include(element, SALE_FIELDS[kind] if include is None else include)
    return element


# ----------------------------------------------------------------------------------------------
# parsing


def _decimal(parent: etree._Element, path: str) -> Decimal | None:
    value = _text(parent, path)
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(parent: etree._Element, path: str) -> date | None:
    value = _text(parent, path)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _address(parent: etree._Element, tag: str) -> QbAddress | None:
    block = parent.find(tag)
    if block is None:
        return None
    address = QbAddress(
        addr1=_text(block, "Addr1"),
        addr2=_text(block, "Addr2"),
        addr3=_text(block, "Addr3"),
        addr4=_text(block, "Addr4"),
        addr5=_text(block, "Addr5"),
        city=_text(block, "City"),
        state=_text(block, "State"),
        postal_code=_text(block, "PostalCode"),
        country=_text(block, "Country"),
        note=_text(block, "Note"),
    )
    return None if address.is_empty else address


def _line(element: etree._Element) -> QbSaleLine | None:
    txn_line_id = _text(element, "TxnLineID")
    if txn_line_id is None:
        return None
    return QbSaleLine(
        txn_line_id=txn_line_id,
        item_full_name=_text(element, "ItemRef/FullName"),
        description=_text(element, "Desc"),
        quantity=_decimal(element, "Quantity"),
        rate=_decimal(element, "Rate"),
        amount=_decimal(element, "Amount"),
        class_name=_text(element, "ClassRef/FullName"),
    )


def _lines(ret: etree._Element, tag: str) -> tuple[QbSaleLine, ...]:
    lines: list[QbSaleLine] = []
    for child in _elements(ret):
        if child.tag == f"{tag}LineRet":
            found = [child]
        elif child.tag == f"{tag}LineGroupRet":
            found = [c for c in _elements(child) if c.tag == f"{tag}LineRet"]
        else:
            continue
        lines.extend(line for line in map(_line, found) if line is not None)
    return tuple(lines)


def _required(ret: etree._Element, path: str, txn_id: str) -> str:
    value = _text(ret, path)
    if value is None:
        raise QbxmlParseError(f"{ret.tag} {txn_id} has no {path}")
    return value


def _sale(ret: etree._Element, kind: SaleKind) -> QbSale | None:
    txn_id = _text(ret, "TxnID")
    if txn_id is None:
        return None
    tag = _TAGS[kind]
    modified_text = _required(ret, "TimeModified", txn_id)
    txn_date = _date(ret, "TxnDate")
    try:
        time_modified = parse_qb_datetime(modified_text)
    except ValueError:
        raise QbxmlParseError(f"{ret.tag} {txn_id} has no valid TimeModified ({modified_text!r})") from None
    if txn_date is None:
        raise QbxmlParseError(f"{ret.tag} {txn_id} has no valid TxnDate")
    subtotal = _decimal(ret, "Subtotal") or Decimal(0)
    tax = _decimal(ret, "SalesTaxTotal") or Decimal(0)
    total = _decimal(ret, "TotalAmount")
    invoice = kind == "invoice"
    return QbSale(
        kind=kind,
        txn_id=txn_id,
        edit_sequence=_required(ret, "EditSequence", txn_id),
        ref_number=_text(ret, "RefNumber"),
        txn_date=txn_date,
        time_modified=time_modified,
        customer_full_name=_text(ret, "CustomerRef/FullName") or "",
        class_name=_text(ret, "ClassRef/FullName"),
        bill_address=_address(ret, "BillAddress"),
        ship_address=_address(ret, "ShipAddress"),
        ship_method=_text(ret, "ShipMethodRef/FullName"),
        ship_date=_date(ret, "ShipDate"),
        other=_text(ret, "Other"),
        memo=_text(ret, "Memo"),
        po_number=_text(ret, "PONumber"),
        subtotal=subtotal,
        sales_tax_total=tax,
        total=total if total is not None else subtotal + tax,
        balance_remaining=_decimal(ret, "BalanceRemaining") if invoice else None,
        is_paid=_bool(ret, "IsPaid") if invoice else None,
        is_fully_invoiced=None if invoice else _bool(ret, "IsFullyInvoiced"),
        is_manually_closed=None if invoice else _bool(ret, "IsManuallyClosed"),
        is_pending=_bool(ret, "IsPending") if invoice else None,
        lines=_lines(ret, tag),
    )


def sales(response: QbResponse) -> list[QbSale]:
    """The InvoiceRet / SalesOrderRet entries of a query, add or mod response, in document order.

    Rets without a TxnID are skipped; a Ret without EditSequence, TxnDate or a valid TimeModified
    raises QbxmlParseError (a sale we could not modify or page by time is of no use)."""
    found: list[QbSale] = []
    for ret in response.rets:
        kind = _KINDS.get(str(ret.tag))
        if kind is None:
            continue
        sale = _sale(ret, kind)
        if sale is not None:
            found.append(sale)
    return found


# ----------------------------------------------------------------------------------------------
# mod


def sale_mod(
    request_id: str,
    *,
    kind: SaleKind,
    txn_id: str,
    edit_sequence: str,
    ship_date: date | None = None,
    other: str | None = None,
    memo: str | None = None,
    keep_line_ids: Sequence[str] = (),
    add_line: AddedLine | None = None,
    existing_line_ids: Sequence[str] | None = None,
    include: Sequence[str] = (),
) -> etree._Element:
    """InvoiceModRq / SalesOrderModRq writing a shipment back.

    `other` (at most 29 characters) and `memo` (4095) are reduced with `to_quickbooks_text`; None
    leaves a field alone, "" clears it. With `add_line`, every existing line must be listed in
    `keep_line_ids` (else QuickBooks would delete the ones left out): an empty `keep_line_ids`
    raises ValueError unless `existing_line_ids=()` says the sale has no lines. When
    `existing_line_ids` is given, `keep_line_ids` must cover all of them whenever any line is
    listed. `keep_line_ids` without `add_line` lists those lines (and so deletes the others).
    """
    tag = _tag(kind)
    if not txn_id:
        raise ValueError("txn_id must not be empty")
    if not edit_sequence or len(edit_sequence) > 16:
        raise ValueError(f"edit_sequence must be 1 to 16 characters, got {edit_sequence!r}")
    for name, value in (("keep_line_ids", keep_line_ids), ("existing_line_ids", existing_line_ids)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a sequence of TxnLineIDs, not a single string")
    keep = list(keep_line_ids)
    if any(not line_id or line_id == "-1" for line_id in keep):
        raise ValueError("keep_line_ids must hold existing TxnLineIDs (not empty, not -1)")
    if len(set(keep)) != len(keep):
        raise ValueError("keep_line_ids lists a line twice")
    if add_line is not None and not keep and existing_line_ids is None:
        raise ValueError(
            "add_line needs keep_line_ids (every existing line; a Mod that lists lines deletes the ones "
            "it leaves out); pass existing_line_ids=() for a sale without lines"
        )
    if existing_line_ids is not None and (keep or add_line is not None):
        left_out = [line_id for line_id in existing_line_ids if line_id not in set(keep)]
        if left_out:
            raise ValueError(
                f"keep_line_ids leaves out existing lines {left_out}: QuickBooks would delete them"
            )
    request = _start(f"{tag}ModRq", request_id)
    mod = etree.SubElement(request, f"{tag}Mod")
    _sub(mod, "TxnID", txn_id)
    _sub(mod, "EditSequence", edit_sequence)
    if ship_date is not None:
        _sub(mod, "ShipDate", ship_date.isoformat())
    if memo is not None:
        _sub(mod, "Memo", to_quickbooks_text(memo, MEMO, multiline=True) if memo else "")
    if other is not None:
        _sub(mod, "Other", to_quickbooks_text(other, OTHER) if other else "")
    for line_id in keep:
        _sub(etree.SubElement(mod, f"{tag}LineMod"), "TxnLineID", line_id)
    if add_line is not None:
        if not add_line.item_full_name or len(add_line.item_full_name) > ITEM_FULL_NAME:
            raise ValueError(
                f"add_line item {add_line.item_full_name!r} must be 1 to {ITEM_FULL_NAME} characters"
            )
        amount = format_amount(add_line.amount, "add_line amount")
        line = etree.SubElement(mod, f"{tag}LineMod")
        _sub(line, "TxnLineID", "-1")
        _sub(etree.SubElement(line, "ItemRef"), "FullName", add_line.item_full_name)
        description = (
            to_quickbooks_text(add_line.description, DESC, multiline=True) if add_line.description else ""
        )
        if description:
            _sub(line, "Desc", description)
        _sub(line, "Amount", amount)
    add_include(request, include)
    return request
