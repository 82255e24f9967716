"""Builders for the qbXML query requests we send (each returns one `*Rq` element).

Every builder writes its children in exactly the order the 13.0 schema demands. The query groups
behind them (qbxml130.xsd) all share this shape::

    ( ListID* | FullName* | ListFilter... )?  IncludeRetElement*  OwnerID*
    ListFilter = MaxReturned? ActiveStatus? FromModifiedDate? ToModifiedDate? (NameFilter|NameRangeFilter)?

so filtering by `FullName` and using `MaxReturned` / `ActiveStatus` are mutually exclusive.

Iterators (the `iterator` / `iteratorID` attributes) exist in 13.0 only on some queries. Of the ones
here: ItemQueryRq, ItemSalesTaxQueryRq, ItemSalesTaxGroupQueryRq and CustomerQueryRq carry them;
AccountQueryRq, SalesTaxCodeQueryRq, PaymentMethodQueryRq and ClassQueryRq do not (those lists are
small and come back in one piece). An iterator query must say how many records to return per chunk
(`MaxReturned`), so `iterator` requires `max_returned`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from lxml import etree

__all__ = [
    "ACCOUNT_INCLUDE",
    "ADDED_LIST_ENTRY_INCLUDE",
    "ADDED_TRANSACTION_INCLUDE",
    "CLASS_INCLUDE",
    "CUSTOMER_INCLUDE",
    "ITEM_INCLUDE",
    "ITEM_SALES_TAX_GROUP_INCLUDE",
    "ITEM_SALES_TAX_INCLUDE",
    "LIST_KINDS",
    "MAX_INCLUDE_RET_ELEMENT_LENGTH",
    "PAYMENT_METHOD_INCLUDE",
    "SALES_TAX_CODE_INCLUDE",
    "ActiveStatus",
    "IteratorMode",
    "ListKind",
    "ListKindSpec",
    "account_query",
    "add_include",
    "added_transaction_include",
    "answer_only",
    "class_query",
    "company_query",
    "customer_query",
    "host_query",
    "item_query",
    "item_sales_tax_group_query",
    "item_sales_tax_query",
    "payment_method_query",
    "preferences_query",
    "sales_tax_code_query",
]

ActiveStatus = Literal["ActiveOnly", "InactiveOnly", "All"]
IteratorMode = Literal["Start", "Continue"]
ListKind = Literal[
    "account", "item", "sales_tax_code", "item_sales_tax", "item_sales_tax_group", "payment_method", "class"
]

MAX_INCLUDE_RET_ELEMENT_LENGTH = 50
"""IncludeRetElement is a string of at most 50 characters in the 13.0 schema."""

_ACTIVE_STATUSES: frozenset[str] = frozenset({"ActiveOnly", "InactiveOnly", "All"})
_ITERATOR_MODES: frozenset[str] = frozenset({"Start", "Continue"})

# Default IncludeRetElement lists: just what drop-downs and matching need. Every name is a direct
# child of the Ret that query returns (checked against the schema and Intuit's catalogue in the
# tests); all exist since qbXML 7.0 or earlier (ManufacturerPartNumber and PaymentMethodType are 7.0).
ACCOUNT_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "FullName", "IsActive", "ParentRef", "Sublevel",
    "AccountType", "AccountNumber", "Desc",
)  # fmt: skip
ITEM_INCLUDE: tuple[str, ...] = (
    # ItemQuery returns a mix of Item*Ret kinds; each name belongs to at least one of them.
    "ListID", "EditSequence", "Name", "FullName", "IsActive", "ParentRef", "Sublevel",
    "ManufacturerPartNumber", "SalesTaxCodeRef",
    "SalesOrPurchase",   # service / non-inventory / other charge sold or bought: Desc, Price
    "SalesAndPurchase",  # ... sold and bought: SalesDesc, SalesPrice
    "SalesDesc", "SalesPrice", "IncomeAccountRef",  # inventory and assembly items
    "ItemDesc",  # discount, subtotal, payment, sales tax (group), group items
    "TaxRate",  # sales tax items
)  # fmt: skip
SALES_TAX_CODE_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "IsActive", "IsTaxable", "Desc",
)  # fmt: skip
ITEM_SALES_TAX_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "IsActive", "ItemDesc", "TaxRate",
)  # fmt: skip
ITEM_SALES_TAX_GROUP_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "IsActive", "ItemDesc",
)  # fmt: skip
PAYMENT_METHOD_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "IsActive", "PaymentMethodType",
)  # fmt: skip
CLASS_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "FullName", "IsActive", "ParentRef", "Sublevel",
)  # fmt: skip
CUSTOMER_INCLUDE: tuple[str, ...] = (
    "ListID", "EditSequence", "Name", "FullName", "IsActive", "ParentRef", "Sublevel",
    "CompanyName", "Phone", "Email", "SalesTaxCodeRef", "AccountNumber",
)  # fmt: skip


# ----------------------------------------------------------------------------------------------
# helpers


def _sub(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _check_request_id(request_id: str) -> None:
    # QuickBooks answers status 1060 for request IDs over 50 characters.
    if not request_id:
        raise ValueError("request_id must not be empty")
    if len(request_id) > 50:
        raise ValueError(f"request_id is {len(request_id)} characters; QuickBooks accepts at most 50")


def _start(tag: str, request_id: str) -> etree._Element:
    _check_request_id(request_id)
    element = etree.Element(tag)
    element.set("requestID", request_id)
    return element


def _check_active_status(active_status: str) -> None:
    if active_status not in _ACTIVE_STATUSES:
        raise ValueError(f"active_status must be ActiveOnly, InactiveOnly or All, got {active_status!r}")


def _check_max_returned(max_returned: int | None) -> None:
    if max_returned is not None and (isinstance(max_returned, bool) or max_returned < 1):
        raise ValueError(f"max_returned must be a positive integer, got {max_returned!r}")


def _set_iterator(
    element: etree._Element, iterator: str | None, iterator_id: str | None, max_returned: int | None
) -> None:
    if iterator is None:
        if iterator_id is not None:
            raise ValueError("iterator_id given without iterator")
        return
    if iterator not in _ITERATOR_MODES:
        raise ValueError(f"iterator must be 'Start' or 'Continue', got {iterator!r}")
    if iterator == "Start" and iterator_id is not None:
        raise ValueError("iterator='Start' must not carry an iterator_id (QuickBooks assigns one)")
    if iterator == "Continue" and not iterator_id:
        raise ValueError("iterator='Continue' needs the iterator_id QuickBooks returned")
    if max_returned is None:
        raise ValueError("an iterator query needs max_returned (the chunk size)")
    element.set("iterator", iterator)
    if iterator_id is not None:
        element.set("iteratorID", iterator_id)


def _add_selection(
    element: etree._Element,
    *,
    full_names: Sequence[str],
    max_returned: int | None,
    active_status: str,
) -> None:
    """The (FullName* | ListFilter) choice: MaxReturned, ActiveStatus in schema order."""
    _check_active_status(active_status)
    _check_max_returned(max_returned)
    if isinstance(full_names, str):
        raise TypeError("full_names must be a sequence of names, not a single string")
    if full_names:
        if max_returned is not None:
            raise ValueError(
                "max_returned cannot be combined with full_names (the schema allows one or the other)"
            )
        if active_status != "All":
            raise ValueError(
                "active_status cannot be combined with full_names (the schema allows one or the other)"
            )
        for name in full_names:
            if not name:
                raise ValueError("full_names must not contain empty names")
            _sub(element, "FullName", name)
        return
    if max_returned is not None:
        _sub(element, "MaxReturned", str(max_returned))
    _sub(element, "ActiveStatus", active_status)


def add_include(element: etree._Element, include: Sequence[str]) -> None:
    """Append one `IncludeRetElement` per name to a query or add/mod request (at most 50 characters each)."""
    if isinstance(include, str):
        raise TypeError("include must be a sequence of element names, not a single string")
    for name in include:
        if not name or len(name) > MAX_INCLUDE_RET_ELEMENT_LENGTH:
            raise ValueError(f"invalid IncludeRetElement {name!r}")
        _sub(element, "IncludeRetElement", name)


ADDED_LIST_ENTRY_INCLUDE = ("ListID",)
"""What the service reads from the answer to a customer or item add: the new entry's ListID."""
ADDED_TRANSACTION_INCLUDE = ("TxnID", "RefNumber", "ExternalGUID", "TotalAmount", "Subtotal", "SalesTaxTotal")
"""Everything the service may read from the answer to a sale, credit memo or payment add (see
`added_transaction_include` for what one add asks)."""
_SALE_TOTALS = {
    "SalesReceiptAdd": ("TotalAmount",),
    "SalesOrderAdd": ("TotalAmount",),
    "InvoiceAdd": ("Subtotal", "SalesTaxTotal"),  # InvoiceRet has no TotalAmount (qbxmlops130.xsd)
}


def added_transaction_include(request: etree._Element) -> tuple[str, ...]:
    """What the service reads from the answer to this transaction add: its TxnID, its ExternalGUID (checked
    against the one sent), a sale's total (compared with the store's), and its RefNumber only when the request
    sends none (else the number sent is the one recorded). Each element asked for costs ~45 bytes of request and
    its value again in the answer, per document."""
    add = request[0] if len(request) else None
    tag = add.tag if add is not None and isinstance(add.tag, str) else ""
    ref = () if add is not None and add.find("RefNumber") is not None else ("RefNumber",)
    return ("TxnID", *ref, "ExternalGUID", *_SALE_TOTALS.get(tag, ()))


def answer_only(request: etree._Element, include: Sequence[str]) -> etree._Element:
    """Ask QuickBooks to answer an Add request with only the `include` elements of the record it made
    (`IncludeRetElement` after the `*Add` aggregate: allowed on every Add request in qbxmlops130.xsd), instead of
    echoing the whole record back. Returns the request."""
    if not isinstance(request.tag, str) or not request.tag.endswith("AddRq"):
        raise ValueError(f"not an Add request: {request.tag!r}")
    if request.find("IncludeRetElement") is None:
        add_include(request, include)
    return request


# ----------------------------------------------------------------------------------------------
# company / session


def host_query(request_id: str, *, include: Sequence[str] = ()) -> etree._Element:
    """HostQueryRq: QuickBooks product, version, country and supported qbXML versions."""
    element = _start("HostQueryRq", request_id)
    add_include(element, include)
    return element


def company_query(request_id: str, *, include: Sequence[str] = ()) -> etree._Element:
    """CompanyQueryRq: company name, addresses and the like."""
    element = _start("CompanyQueryRq", request_id)
    add_include(element, include)
    return element


def preferences_query(request_id: str, *, include: Sequence[str] = ()) -> etree._Element:
    """PreferencesQueryRq: the company's preferences (sales tax on/off, account numbers, ...)."""
    element = _start("PreferencesQueryRq", request_id)
    add_include(element, include)
    return element


# ----------------------------------------------------------------------------------------------
# lists


def account_query(
    request_id: str,
    *,
    active_status: ActiveStatus = "All",
    include: Sequence[str] = (),
) -> etree._Element:
    """AccountQueryRq for the chart of accounts (no iterator in 13.0)."""
    element = _start("AccountQueryRq", request_id)
    _add_selection(element, full_names=(), max_returned=None, active_status=active_status)
    add_include(element, include)
    return element


def item_query(
    request_id: str,
    *,
    iterator: IteratorMode | None = None,
    iterator_id: str | None = None,
    max_returned: int | None = None,
    active_status: ActiveStatus = "All",
    full_names: Sequence[str] = (),
    include: Sequence[str] = (),
) -> etree._Element:
    """ItemQueryRq: every kind of item in one query (iterator allowed)."""
    element = _start("ItemQueryRq", request_id)
    _set_iterator(element, iterator, iterator_id, max_returned)
    _add_selection(element, full_names=full_names, max_returned=max_returned, active_status=active_status)
    add_include(element, include)
    return element


def sales_tax_code_query(
    request_id: str, *, active_status: ActiveStatus = "All", include: Sequence[str] = ()
) -> etree._Element:
    """SalesTaxCodeQueryRq (Tax / Non / ... codes; no iterator in 13.0)."""
    element = _start("SalesTaxCodeQueryRq", request_id)
    _add_selection(element, full_names=(), max_returned=None, active_status=active_status)
    add_include(element, include)
    return element


def item_sales_tax_query(
    request_id: str,
    *,
    iterator: IteratorMode | None = None,
    iterator_id: str | None = None,
    max_returned: int | None = None,
    active_status: ActiveStatus = "All",
    include: Sequence[str] = (),
) -> etree._Element:
    """ItemSalesTaxQueryRq: sales tax items, each with its rate (iterator allowed)."""
    element = _start("ItemSalesTaxQueryRq", request_id)
    _set_iterator(element, iterator, iterator_id, max_returned)
    _add_selection(element, full_names=(), max_returned=max_returned, active_status=active_status)
    add_include(element, include)
    return element


def item_sales_tax_group_query(
    request_id: str,
    *,
    iterator: IteratorMode | None = None,
    iterator_id: str | None = None,
    max_returned: int | None = None,
    active_status: ActiveStatus = "All",
    include: Sequence[str] = (),
) -> etree._Element:
    """ItemSalesTaxGroupQueryRq: sales tax groups (iterator allowed)."""
    element = _start("ItemSalesTaxGroupQueryRq", request_id)
    _set_iterator(element, iterator, iterator_id, max_returned)
    _add_selection(element, full_names=(), max_returned=max_returned, active_status=active_status)
    add_include(element, include)
    return element


def payment_method_query(
    request_id: str, *, active_status: ActiveStatus = "All", include: Sequence[str] = ()
) -> etree._Element:
    """PaymentMethodQueryRq (no iterator in 13.0)."""
    element = _start("PaymentMethodQueryRq", request_id)
    _add_selection(element, full_names=(), max_returned=None, active_status=active_status)
    add_include(element, include)
    return element


def class_query(
    request_id: str, *, active_status: ActiveStatus = "All", include: Sequence[str] = ()
) -> etree._Element:
    """ClassQueryRq (no iterator in 13.0)."""
    element = _start("ClassQueryRq", request_id)
    _add_selection(element, full_names=(), max_returned=None, active_status=active_status)
    add_include(element, include)
    return element


def customer_query(
    request_id: str,
    *,
    full_names: Sequence[str] = (),
    iterator: IteratorMode | None = None,
    iterator_id: str | None = None,
    max_returned: int | None = None,
    active_status: ActiveStatus = "All",
    include: Sequence[str] = (),
) -> etree._Element:
    """CustomerQueryRq, either by `full_names` or filtered (iterator allowed).

    With `full_names`, `max_returned` and a non-"All" `active_status` are refused: the schema lets a
    query name records or filter them, not both.
    """
    element = _start("CustomerQueryRq", request_id)
    _set_iterator(element, iterator, iterator_id, max_returned)
    _add_selection(element, full_names=full_names, max_returned=max_returned, active_status=active_status)
    add_include(element, include)
    return element


# ----------------------------------------------------------------------------------------------
# the lists we cache


@dataclass(frozen=True)
class ListKindSpec:
    """How to refresh one cached QuickBooks list."""

    kind: ListKind
    request: str
    """The request element name, e.g. "ItemQueryRq"."""
    supports_iterator: bool
    """Whether the 13.0 schema gives this query the `iterator` / `iteratorID` attributes."""
    include: tuple[str, ...]
    """Default IncludeRetElement list for the cache."""
    builder: Callable[..., etree._Element]
    """The builder function in this module, e.g. `item_query`."""

    def build(
        self,
        request_id: str,
        *,
        iterator: IteratorMode | None = None,
        iterator_id: str | None = None,
        max_returned: int | None = None,
        active_status: ActiveStatus = "All",
        include: Sequence[str] | None = None,
    ) -> etree._Element:
        """The query for this list with the default include list (or `include` if given).

        Iterator arguments are refused (ValueError) for lists whose query has no iterator.
        """
        names = self.include if include is None else tuple(include)
        if self.supports_iterator:
            return self.builder(
                request_id,
                iterator=iterator,
                iterator_id=iterator_id,
                max_returned=max_returned,
                active_status=active_status,
                include=names,
            )
        if iterator is not None or iterator_id is not None or max_returned is not None:
            raise ValueError(
                f"{self.request} has no iterator in qbXML 13.0; fetch the {self.kind} list whole"
            )
        return self.builder(request_id, active_status=active_status, include=names)


LIST_KINDS: Mapping[ListKind, ListKindSpec] = {
    "account": ListKindSpec("account", "AccountQueryRq", False, ACCOUNT_INCLUDE, account_query),
    "item": ListKindSpec("item", "ItemQueryRq", True, ITEM_INCLUDE, item_query),
    "sales_tax_code": ListKindSpec(
        "sales_tax_code", "SalesTaxCodeQueryRq", False, SALES_TAX_CODE_INCLUDE, sales_tax_code_query
    ),
    "item_sales_tax": ListKindSpec(
        "item_sales_tax", "ItemSalesTaxQueryRq", True, ITEM_SALES_TAX_INCLUDE, item_sales_tax_query
    ),
    "item_sales_tax_group": ListKindSpec(
        "item_sales_tax_group",
        "ItemSalesTaxGroupQueryRq",
        True,
        ITEM_SALES_TAX_GROUP_INCLUDE,
        item_sales_tax_group_query,
    ),
    "payment_method": ListKindSpec(
        "payment_method", "PaymentMethodQueryRq", False, PAYMENT_METHOD_INCLUDE, payment_method_query
    ),
    "class": ListKindSpec("class", "ClassQueryRq", False, CLASS_INCLUDE, class_query),
}
"""For each list we cache: its query, default IncludeRetElement list and iterator support (13.0)."""
