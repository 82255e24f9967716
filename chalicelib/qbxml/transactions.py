"""Builders for the qbXML add requests that post a sale (finding and correcting what was saved: `posted`).

Each builder returns one `*Rq` element with a `requestID`, children in exactly the order the 13.0
schema (qbxml130.xsd) demands. Content models used here, in schema order (optional parts we never
write are left out):

* CustomerAdd: Name, CompanyName, FirstName, LastName, BillAddress, ShipAddress, Phone, Email,
  SalesTaxCodeRef, ItemSalesTaxRef, ExternalGUID
* ItemNonInventoryAdd: Name, ParentRef, ManufacturerPartNumber, SalesTaxCodeRef,
  SalesOrPurchase(Desc, Price, AccountRef), ExternalGUID
* ItemInventoryAdd: Name, ParentRef, ManufacturerPartNumber, SalesTaxCodeRef, SalesDesc, SalesPrice,
  IncomeAccountRef, COGSAccountRef, AssetAccountRef, ExternalGUID (note: ParentRef comes *after*
  ClassRef here, before it in ItemNonInventoryAdd; we write neither ClassRef)
* ItemOtherChargeAdd: Name, ParentRef, SalesTaxCodeRef, SalesOrPurchase(Desc, Price, AccountRef)
* ItemDiscountAdd: Name, ParentRef, ItemDesc, SalesTaxCodeRef, DiscountRate, AccountRef
* SalesReceiptAdd: CustomerRef, ClassRef, TxnDate, RefNumber, BillAddress, ShipAddress,
  PaymentMethodRef, SalesRepRef, ItemSalesTaxRef, Memo, DepositToAccountRef, ExternalGUID,
  SalesReceiptLineAdd+ (no PONumber, no TermsRef)
* InvoiceAdd: CustomerRef, ClassRef, ARAccountRef, TxnDate, RefNumber, BillAddress, ShipAddress,
  PONumber, TermsRef, SalesRepRef, ItemSalesTaxRef, Memo, ExternalGUID, LinkToTxnID*, InvoiceLineAdd*
  (lines optional)
* SalesOrderAdd: CustomerRef, ClassRef, TxnDate, RefNumber, BillAddress, ShipAddress, PONumber,
  TermsRef, SalesRepRef, ItemSalesTaxRef, Memo, ExternalGUID, SalesOrderLineAdd+
* CreditMemoAdd: CustomerRef, ClassRef, ARAccountRef, TxnDate, RefNumber, BillAddress, ShipAddress,
  PONumber, TermsRef, SalesRepRef, ItemSalesTaxRef, Memo, ExternalGUID, CreditMemoLineAdd+
* ReceivePaymentAdd: CustomerRef, ARAccountRef, TxnDate, RefNumber, TotalAmount, PaymentMethodRef,
  Memo, DepositToAccountRef, ExternalGUID, (IsAutoApply | AppliedToTxnAdd(TxnID, PaymentAmount)+)
* every *LineAdd (TxnLineCorePriceLevelAdd): ItemRef, Desc, Quantity, UnitOfMeasure,
  (Rate | PriceLevelRef), ClassRef, Amount, ..., InventorySiteRef, ..., SalesTaxCodeRef

Name limits of the refs added for the order rules (Intuit's annotated 13.0 catalogue, "max length ...
for QBD|QBCA|QBUK|QBAU"): SalesRepRef 5 (the rep's initials), TermsRef, PriceLevelRef, InventorySiteRef
and UnitOfMeasure 31. InventorySiteRef is "not in QBAU" (callers must not send it to Australian files).

ExternalGUID (GUIDTYPE, "{8-4-4-4-12 hex}") is allowed by all five sale adds in 13.0 (since qbXML
9.0 per Intuit's catalogue) and by the list adds (8.0). It is a plain child of every *Ret we query
(SalesReceiptRet, InvoiceRet, SalesOrderRet, CreditMemoRet, ReceivePaymentRet), so a query asks for
it with IncludeRetElement like any other field; `OwnerID` only selects DataExt (custom field /
private data) blocks and plays no part in it.

Text is handled in two ways. Identifiers the caller must match on later (a new record's Name, a
RefNumber, and every *Ref FullName) are checked and refused with ValueError when too long or, for
Name / RefNumber, not already reduced by `to_quickbooks_text`. Descriptive text (Desc, Memo, address
lines, phone, e-mail, person and company names) is reduced here, so nothing QuickBooks would refuse
or cut can reach it. Amounts are `Decimal`s with at most two decimals, written with exactly two.

Sales tax: US files name the sales tax item on the header (`item_sales_tax`) and mark each line
taxable or not with its SalesTaxCodeRef ("Tax" / "Non"); Canadian, UK and Australian files have no
ItemSalesTaxRef (the catalogue: "not in QBCA|QBUK") and put a tax code on each line. The builders
write whatever they are given; choosing is `chalicelib.orders.to_quickbooks`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from .requests import _start, _sub, add_include
from .text import (
    ACCOUNT_FULL_NAME,
    ADDR_LINE,
    ADDR_NOTE,
    CITY,
    CLASS_FULL_NAME,
    COMPANY_NAME,
    COUNTRY,
    CUSTOMER_FULL_NAME,
    CUSTOMER_NAME,
    DESC,
    EMAIL,
    FIRST_NAME,
    ITEM_FULL_NAME,
    ITEM_NAME,
    LAST_NAME,
    MANUFACTURER_PART_NUMBER,
    MEMO,
    PAYMENT_METHOD_NAME,
    PAYMENT_REF_NUMBER,
    PHONE,
    PO_NUMBER,
    POSTAL_CODE,
    REF_NUMBER,
    SALES_TAX_CODE_NAME_AU,
    SALES_TAX_ITEM_NAME,
    STATE,
    is_quickbooks_text,
    to_quickbooks_text,
)

__all__ = [
    "QbAddress",
    "SaleLine",
    "credit_memo_add",
    "customer_add",
    "format_amount",
    "format_quantity",
    "invoice_add",
    "item_discount_add",
    "item_inventory_add",
    "item_non_inventory_add",
    "item_other_charge_add",
    "receive_payment_add",
    "sales_order_add",
    "sales_receipt_add",
]

_CENT = Decimal("0.01")
_PRICE_STEP = Decimal("0.00001")
_GUID = re.compile(r"\A\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}\Z")

SALES_REP_NAME = 5  # SalesRepRef FullName: the rep's initials
SHORT_LIST_NAME = 31  # TermsRef, PriceLevelRef, InventorySiteRef FullName; UnitOfMeasure


# ----------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class QbAddress:
    """A BillAddress / ShipAddress block; every field is reduced to its QuickBooks length."""

    addr1: str = ""
    addr2: str = ""
    addr3: str = ""
    addr4: str = ""
    addr5: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    note: str = ""


@dataclass(frozen=True)
class SaleLine:
    """One item line of a sales receipt, invoice, sales order or credit memo.

    `item` is the ItemRef FullName. Give `quantity` with `rate`, or `amount` (with or without a
    quantity); with a rate QuickBooks computes the amount. An empty `sales_tax_code` leaves the
    item's own code in force. `unit_of_measure` names the unit the quantity is counted in (of the
    item's U/M set); `price_level` takes the rate's place (the schema allows one of them), so give it
    with an amount; `inventory_site` is the site the item leaves from (Advanced Inventory).
    """

    item: str
    description: str = ""
    quantity: Decimal | None = None
    rate: Decimal | None = None
    amount: Decimal | None = None
    sales_tax_code: str = ""
    class_name: str = ""
    unit_of_measure: str = ""
    price_level: str = ""
    inventory_site: str = ""


@dataclass(frozen=True)
class SaleLineGroup(SaleLine):
    """A group item on a sale: `<Kind>LineGroupAdd` (13.0 TxnLineGroupCoreAdd: ItemGroupRef, Desc, Quantity,
    UnitOfMeasure; then InventorySiteRef). `item` is the group's name; QuickBooks adds the group's member lines
    priced from the items (the group line has no Rate or Amount), so `rate` and `amount` stay None."""


def _group_line(parent: etree._Element, tag: str, line: SaleLineGroup) -> None:
    if line.rate is not None or line.amount is not None or line.price_level or line.sales_tax_code:
        raise ValueError(f"group line {line.item!r}: QuickBooks prices a group's lines from its items")
    element = etree.SubElement(parent, tag.replace("LineAdd", "LineGroupAdd"))
    _ref(element, "ItemGroupRef", line.item, ITEM_NAME)
    _text(element, "Desc", line.description, DESC, multiline=True)
    if line.quantity is not None:
        _sub(element, "Quantity", format_quantity(line.quantity))
    if line.unit_of_measure:
        _check_name(line.unit_of_measure, SHORT_LIST_NAME, "UnitOfMeasure")
        _sub(element, "UnitOfMeasure", line.unit_of_measure)
    _optional_ref(element, "InventorySiteRef", line.inventory_site, SHORT_LIST_NAME)


def format_amount(value: Decimal, what: str = "amount") -> str:
    """AMTTYPE: exactly two decimals. More decimals than two are refused, never rounded away."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{what} must be a finite Decimal, got {value!r}")
    cents = value.quantize(_CENT)
    if cents != value:
        raise ValueError(f"{what} {value} has more than two decimals")
    if abs(cents) >= Decimal("1E13"):
        raise ValueError(f"{what} {value} is too large for QuickBooks")
    if cents == 0:
        cents = Decimal("0.00")  # never "-0.00"
    return f"{cents:.2f}"


def _format_decimal5(value: Decimal, what: str) -> str:
    """PRICETYPE / QUANTYPE: up to ten integer digits and five decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{what} must be a finite Decimal, got {value!r}")
    if value != value.quantize(_PRICE_STEP):
        raise ValueError(f"{what} {value} has more than five decimals")
    if abs(value) >= Decimal("1E10"):
        raise ValueError(f"{what} {value} is too large for QuickBooks")
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _format_price(value: Decimal, what: str) -> str:
    if value == value.quantize(_CENT):
        return format_amount(value, what)
    return _format_decimal5(value, what)


def format_quantity(value: Decimal) -> str:
    """QUANTYPE without trailing zeros: 2, 1.5, 0.125."""
    return _format_decimal5(value, "quantity")


# ----------------------------------------------------------------------------------------------
# element helpers


def _check_name(value: str, max_length: int, what: str) -> None:
    """A new record's Name, or a RefNumber: must already be reduced QuickBooks text."""
    if not value:
        raise ValueError(f"{what} must not be empty")
    if len(value) > max_length:
        raise ValueError(f"{what} {value!r} is {len(value)} characters; QuickBooks allows {max_length}")
    if not is_quickbooks_text(value, max_length):
        raise ValueError(f"{what} {value!r} is not reduced QuickBooks text (see to_quickbooks_text)")


def _ref(parent: etree._Element, tag: str, full_name: str, max_length: int) -> None:
    """`<tag><FullName>...</FullName></tag>`, for a name taken from the company's lists."""
    if not full_name or not full_name.strip():
        raise ValueError(f"{tag} must name something")
    if len(full_name) > max_length:
        raise ValueError(
            f"{tag} {full_name!r} is {len(full_name)} characters; QuickBooks allows {max_length}"
        )
    _sub(etree.SubElement(parent, tag), "FullName", full_name)


def _optional_ref(parent: etree._Element, tag: str, full_name: str | None, max_length: int) -> None:
    if full_name:
        _ref(parent, tag, full_name, max_length)


def _text(parent: etree._Element, tag: str, value: str, max_length: int, *, multiline: bool = False) -> None:
    """Descriptive text, reduced; written only when something is left."""
    reduced = to_quickbooks_text(value, max_length, multiline=multiline) if value else ""
    if reduced:
        _sub(parent, tag, reduced)


def _guid(parent: etree._Element, value: str | None) -> None:
    if value is None:
        return
    if not _GUID.match(value):
        raise ValueError(
            f"ExternalGUID must look like {{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}}, got {value!r}"
        )
    _sub(parent, "ExternalGUID", value)


def _address(parent: etree._Element, tag: str, address: QbAddress | None) -> None:
    if address is None:
        return
    fields = (
        ("Addr1", address.addr1, ADDR_LINE),
        ("Addr2", address.addr2, ADDR_LINE),
        ("Addr3", address.addr3, ADDR_LINE),
        ("Addr4", address.addr4, ADDR_LINE),
        ("Addr5", address.addr5, ADDR_LINE),
        ("City", address.city, CITY),
        ("State", address.state, STATE),
        ("PostalCode", address.postal_code, POSTAL_CODE),
        ("Country", address.country, COUNTRY),
        ("Note", address.note, ADDR_NOTE),
    )
    reduced = [(name, to_quickbooks_text(value, limit)) for name, value, limit in fields if value]
    reduced = [(name, value) for name, value in reduced if value]
    if not reduced:
        return
    block = etree.SubElement(parent, tag)
    for name, value in reduced:
        _sub(block, name, value)


def _ref_number(parent: etree._Element, value: str, max_length: int = REF_NUMBER) -> None:
    if value:
        _check_name(value, max_length, "RefNumber")
        _sub(parent, "RefNumber", value)


def _lines(parent: etree._Element, tag: str, lines: Sequence[SaleLine]) -> None:
    for line in lines:
        if not isinstance(line, SaleLine):
            raise TypeError(f"lines must be SaleLine values, got {type(line).__name__}")
        if isinstance(line, SaleLineGroup):
            _group_line(parent, tag, line)
            continue
        if line.rate is not None and line.quantity is None:
            raise ValueError(f"line for {line.item!r}: a rate needs a quantity")
        if line.rate is None and line.amount is None:
            raise ValueError(f"line for {line.item!r} needs a rate or an amount")
        if line.price_level and line.rate is not None:
            raise ValueError(f"line for {line.item!r}: a price level takes the rate's place; give an amount")
        if line.unit_of_measure and line.quantity is None:
            raise ValueError(f"line for {line.item!r}: a unit of measure needs a quantity")
        element = etree.SubElement(parent, tag)
        _ref(element, "ItemRef", line.item, ITEM_FULL_NAME)
        _text(element, "Desc", line.description, DESC, multiline=True)
        if line.quantity is not None:
            _sub(element, "Quantity", format_quantity(line.quantity))
        if line.unit_of_measure:
            _check_name(line.unit_of_measure, SHORT_LIST_NAME, "UnitOfMeasure")
            _sub(element, "UnitOfMeasure", line.unit_of_measure)
        if line.rate is not None:
            _sub(element, "Rate", _format_price(line.rate, "rate"))
        _optional_ref(element, "PriceLevelRef", line.price_level, SHORT_LIST_NAME)
        _optional_ref(element, "ClassRef", line.class_name, CLASS_FULL_NAME)
        if line.amount is not None:
            _sub(element, "Amount", format_amount(line.amount))
        _optional_ref(element, "InventorySiteRef", line.inventory_site, SHORT_LIST_NAME)
        _optional_ref(element, "SalesTaxCodeRef", line.sales_tax_code, SALES_TAX_CODE_NAME_AU)


def _require_lines(lines: Sequence[SaleLine], what: str) -> None:
    if isinstance(lines, SaleLine):
        raise TypeError("lines must be a sequence of SaleLine values, not a single line")
    if not lines:
        raise ValueError(f"a {what} needs at least one line")


def _wrap(request_tag: str, add_tag: str, request_id: str) -> tuple[etree._Element, etree._Element]:
    request = _start(request_tag, request_id)
    return request, etree.SubElement(request, add_tag)


def _split_parent(name: str, parent: str) -> None:
    if ":" in name:
        raise ValueError(f"Name {name!r} must not contain ':' (give the parent separately)")
    if parent and len(parent) > ITEM_FULL_NAME:
        raise ValueError(f"parent {parent!r} is longer than {ITEM_FULL_NAME} characters")


# ----------------------------------------------------------------------------------------------
# list adds


# CustomerAdd limits of the 13.0 annotated sample (QBD): MiddleName 5, CustomerTypeRef FullName 159, TermsRef 31.
_MIDDLE_NAME = 5
_CUSTOMER_TYPE_FULL_NAME = 159
_TERMS_FULL_NAME = 31


def customer_add(
    request_id: str,
    *,
    name: str,
    company_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    last_name: str = "",
    bill_address: QbAddress | None = None,
    ship_address: QbAddress | None = None,
    phone: str = "",
    email: str = "",
    customer_type: str = "",
    terms: str = "",
    sales_tax_code: str = "",
    item_sales_tax: str = "",
    external_guid: str | None = None,
    include: Sequence[str] = (),
) -> etree._Element:
    """CustomerAddRq for a top-level customer `name` (at most 41 characters, no ':')."""
    _check_name(name, CUSTOMER_NAME, "customer Name")
    if ":" in name:
        raise ValueError(f"customer Name {name!r} must not contain ':' (QuickBooks' job separator)")
    request, add = _wrap("CustomerAddRq", "CustomerAdd", request_id)
    _sub(add, "Name", name)
    _text(add, "CompanyName", company_name, COMPANY_NAME)
    _text(add, "FirstName", first_name, FIRST_NAME)
    _text(add, "MiddleName", middle_name, _MIDDLE_NAME)
    _text(add, "LastName", last_name, LAST_NAME)
    _address(add, "BillAddress", bill_address)
    _address(add, "ShipAddress", ship_address)
    _text(add, "Phone", phone, PHONE)
    _text(add, "Email", email, EMAIL)
    _optional_ref(add, "CustomerTypeRef", customer_type, _CUSTOMER_TYPE_FULL_NAME)
    _optional_ref(add, "TermsRef", terms, _TERMS_FULL_NAME)
    _optional_ref(add, "SalesTaxCodeRef", sales_tax_code, SALES_TAX_CODE_NAME_AU)
    _optional_ref(add, "ItemSalesTaxRef", item_sales_tax, SALES_TAX_ITEM_NAME)
    _guid(add, external_guid)
    add_include(request, include)
    return request


def _item_start(kind: str, request_id: str, name: str, parent: str) -> tuple[etree._Element, etree._Element]:
    """`<kind>AddRq` with the checked Name and optional ParentRef every item add starts with."""
    _check_name(name, ITEM_NAME, "item Name")
    _split_parent(name, parent)
    request, add = _wrap(f"{kind}AddRq", f"{kind}Add", request_id)
    _sub(add, "Name", name)
    _optional_ref(add, "ParentRef", parent, ITEM_FULL_NAME)
    return request, add


def _sales_or_purchase(add: etree._Element, description: str, price: Decimal | None, account: str) -> None:
    sales = etree.SubElement(add, "SalesOrPurchase")
    _text(sales, "Desc", description, DESC, multiline=True)
    if price is not None:
        _sub(sales, "Price", _format_price(price, "price"))
    _ref(sales, "AccountRef", account, ACCOUNT_FULL_NAME)


def item_non_inventory_add(
    request_id: str,
    *,
    name: str,
    description: str,
    price: Decimal | None,
    income_account: str,
    sales_tax_code: str | None = None,
    manufacturer_part_number: str = "",
    parent: str = "",
    external_guid: str | None = None,
) -> etree._Element:
    """ItemNonInventoryAddRq: a part sold (not tracked as inventory), posting to `income_account`."""
    request, add = _item_start("ItemNonInventory", request_id, name, parent)
    _text(add, "ManufacturerPartNumber", manufacturer_part_number, MANUFACTURER_PART_NUMBER)
    _optional_ref(add, "SalesTaxCodeRef", sales_tax_code, SALES_TAX_CODE_NAME_AU)
    _sales_or_purchase(add, description, price, income_account)
    _guid(add, external_guid)
    return request


def item_inventory_add(
    request_id: str,
    *,
    name: str,
    description: str,
    price: Decimal | None,
    income_account: str,
    cogs_account: str,
    asset_account: str,
    sales_tax_code: str | None = None,
    manufacturer_part_number: str = "",
    parent: str = "",
    external_guid: str | None = None,
) -> etree._Element:
    """ItemInventoryAddRq: QuickBooks needs the income, COGS and inventory asset accounts."""
    request, add = _item_start("ItemInventory", request_id, name, parent)
    _text(add, "ManufacturerPartNumber", manufacturer_part_number, MANUFACTURER_PART_NUMBER)
    _optional_ref(add, "SalesTaxCodeRef", sales_tax_code, SALES_TAX_CODE_NAME_AU)
    _text(add, "SalesDesc", description, DESC, multiline=True)
    if price is not None:
        _sub(add, "SalesPrice", _format_price(price, "price"))
    _ref(add, "IncomeAccountRef", income_account, ACCOUNT_FULL_NAME)
    _ref(add, "COGSAccountRef", cogs_account, ACCOUNT_FULL_NAME)
    _ref(add, "AssetAccountRef", asset_account, ACCOUNT_FULL_NAME)
    _guid(add, external_guid)
    return request


def item_other_charge_add(
    request_id: str,
    *,
    name: str,
    description: str,
    account: str,
    price: Decimal | None = None,
    sales_tax_code: str | None = None,
    parent: str = "",
    external_guid: str | None = None,
) -> etree._Element:
    """ItemOtherChargeAddRq: shipping, handling and fee items (the amount is given on each line)."""
    request, add = _item_start("ItemOtherCharge", request_id, name, parent)
    _optional_ref(add, "SalesTaxCodeRef", sales_tax_code, SALES_TAX_CODE_NAME_AU)
    _sales_or_purchase(add, description, price, account)
    _guid(add, external_guid)
    return request


def item_discount_add(
    request_id: str,
    *,
    name: str,
    description: str,
    account: str,
    sales_tax_code: str | None = None,
    rate: Decimal | None = None,
    parent: str = "",
    external_guid: str | None = None,
) -> etree._Element:
    """ItemDiscountAddRq: a discount item (lines give negative amounts); `account` is where
    discounts post (an income or expense account)."""
    request, add = _item_start("ItemDiscount", request_id, name, parent)
    _text(add, "ItemDesc", description, DESC, multiline=True)
    _optional_ref(add, "SalesTaxCodeRef", sales_tax_code, SALES_TAX_CODE_NAME_AU)
    if rate is not None:
        _sub(add, "DiscountRate", _format_price(rate, "discount rate"))
    _ref(add, "AccountRef", account, ACCOUNT_FULL_NAME)
    _guid(add, external_guid)
    return request


# ----------------------------------------------------------------------------------------------
# sales forms


def _header_start(add: etree._Element, customer: str, class_name: str) -> None:
    _ref(add, "CustomerRef", customer, CUSTOMER_FULL_NAME)
    _optional_ref(add, "ClassRef", class_name, CLASS_FULL_NAME)


def _sale_header(
    add: etree._Element,
    customer: str,
    class_name: str,
    ar_account: str | None,
    txn_date: date,
    ref_number: str,
    bill_address: QbAddress | None,
    ship_address: QbAddress | None,
) -> None:
    """The elements every sales form starts with, in schema order (ARAccountRef: invoices, credit memos)."""
    _header_start(add, customer, class_name)
    _optional_ref(add, "ARAccountRef", ar_account, ACCOUNT_FULL_NAME)
    _sub(add, "TxnDate", txn_date.isoformat())
    _ref_number(add, ref_number)
    _address(add, "BillAddress", bill_address)
    _address(add, "ShipAddress", ship_address)


def _po_number(add: etree._Element, po_number: str, terms: str = "", sales_rep: str = "") -> None:
    """PONumber, TermsRef, SalesRepRef: in this order in InvoiceAdd, SalesOrderAdd and CreditMemoAdd."""
    if po_number:
        _check_name(po_number, PO_NUMBER, "PONumber")
        _sub(add, "PONumber", po_number)
    _optional_ref(add, "TermsRef", terms, SHORT_LIST_NAME)
    _optional_ref(add, "SalesRepRef", sales_rep, SALES_REP_NAME)


def sales_receipt_add(
    request_id: str,
    *,
    customer: str,
    txn_date: date,
    lines: Sequence[SaleLine],
    ref_number: str = "",
    class_name: str = "",
    bill_address: QbAddress | None = None,
    ship_address: QbAddress | None = None,
    payment_method: str = "",
    item_sales_tax: str = "",
    memo: str = "",
    deposit_account: str = "",
    external_guid: str | None = None,
    include: Sequence[str] = (),
    sales_rep: str = "",
) -> etree._Element:
    """SalesReceiptAddRq: a sale paid in full. Without `ref_number` QuickBooks numbers it itself."""
    _require_lines(lines, "sales receipt")
    request, add = _wrap("SalesReceiptAddRq", "SalesReceiptAdd", request_id)
    _sale_header(add, customer, class_name, None, txn_date, ref_number, bill_address, ship_address)
    _optional_ref(add, "PaymentMethodRef", payment_method, PAYMENT_METHOD_NAME)
    _optional_ref(add, "SalesRepRef", sales_rep, SALES_REP_NAME)
    _optional_ref(add, "ItemSalesTaxRef", item_sales_tax, SALES_TAX_ITEM_NAME)
    _text(add, "Memo", memo, MEMO, multiline=True)
    _optional_ref(add, "DepositToAccountRef", deposit_account, ACCOUNT_FULL_NAME)
    _guid(add, external_guid)
    _lines(add, "SalesReceiptLineAdd", lines)
    add_include(request, include)
    return request


def invoice_add(
    request_id: str,
    *,
    customer: str,
    txn_date: date,
    lines: Sequence[SaleLine] = (),
    ref_number: str = "",
    class_name: str = "",
    ar_account: str = "",
    bill_address: QbAddress | None = None,
    ship_address: QbAddress | None = None,
    po_number: str = "",
    item_sales_tax: str = "",
    memo: str = "",
    external_guid: str | None = None,
    link_to_txn_ids: Sequence[str] = (),
    include: Sequence[str] = (),
    terms: str = "",
    sales_rep: str = "",
) -> etree._Element:
    """InvoiceAddRq. `link_to_txn_ids` names sales orders to invoice whole: QuickBooks copies all
    their lines into the invoice, so an invoice linked that way needs no lines of its own."""
    if isinstance(link_to_txn_ids, str):
        raise TypeError("link_to_txn_ids must be a sequence of TxnIDs, not a single string")
    if isinstance(lines, SaleLine):
        raise TypeError("lines must be a sequence of SaleLine values, not a single line")
    if not lines and not link_to_txn_ids:
        raise ValueError("an invoice needs at least one line or a sales order to link")
    request, add = _wrap("InvoiceAddRq", "InvoiceAdd", request_id)
    _sale_header(add, customer, class_name, ar_account, txn_date, ref_number, bill_address, ship_address)
    _po_number(add, po_number, terms, sales_rep)
    _optional_ref(add, "ItemSalesTaxRef", item_sales_tax, SALES_TAX_ITEM_NAME)
    _text(add, "Memo", memo, MEMO, multiline=True)
    _guid(add, external_guid)
    for txn_id in link_to_txn_ids:
        if not txn_id:
            raise ValueError("link_to_txn_ids must not contain empty TxnIDs")
        _sub(add, "LinkToTxnID", txn_id)
    _lines(add, "InvoiceLineAdd", lines)
    add_include(request, include)
    return request


def sales_order_add(
    request_id: str,
    *,
    customer: str,
    txn_date: date,
    lines: Sequence[SaleLine],
    ref_number: str = "",
    class_name: str = "",
    bill_address: QbAddress | None = None,
    ship_address: QbAddress | None = None,
    po_number: str = "",
    item_sales_tax: str = "",
    memo: str = "",
    external_guid: str | None = None,
    include: Sequence[str] = (),
    terms: str = "",
    sales_rep: str = "",
) -> etree._Element:
    """SalesOrderAddRq: an order taken, not yet invoiced (no effect on the books)."""
    _require_lines(lines, "sales order")
    request, add = _wrap("SalesOrderAddRq", "SalesOrderAdd", request_id)
    _sale_header(add, customer, class_name, None, txn_date, ref_number, bill_address, ship_address)
    _po_number(add, po_number, terms, sales_rep)
    _optional_ref(add, "ItemSalesTaxRef", item_sales_tax, SALES_TAX_ITEM_NAME)
    _text(add, "Memo", memo, MEMO, multiline=True)
    _guid(add, external_guid)
    _lines(add, "SalesOrderLineAdd", lines)
    add_include(request, include)
    return request


def credit_memo_add(
    request_id: str,
    *,
    customer: str,
    txn_date: date,
    lines: Sequence[SaleLine],
    ref_number: str = "",
    class_name: str = "",
    ar_account: str = "",
    bill_address: QbAddress | None = None,
    ship_address: QbAddress | None = None,
    po_number: str = "",
    item_sales_tax: str = "",
    memo: str = "",
    external_guid: str | None = None,
    include: Sequence[str] = (),
    terms: str = "",
    sales_rep: str = "",
) -> etree._Element:
    """CreditMemoAddRq: what a refund gives back. It is tied to the sale by text only (RefNumber,
    Memo); applying the credit is a separate step."""
    _require_lines(lines, "credit memo")
    request, add = _wrap("CreditMemoAddRq", "CreditMemoAdd", request_id)
    _sale_header(add, customer, class_name, ar_account, txn_date, ref_number, bill_address, ship_address)
    _po_number(add, po_number, terms, sales_rep)
    _optional_ref(add, "ItemSalesTaxRef", item_sales_tax, SALES_TAX_ITEM_NAME)
    _text(add, "Memo", memo, MEMO, multiline=True)
    _guid(add, external_guid)
    _lines(add, "CreditMemoLineAdd", lines)
    add_include(request, include)
    return request


def receive_payment_add(
    request_id: str,
    *,
    customer: str,
    txn_date: date,
    ref_number: str,
    total: Decimal,
    payment_method: str,
    deposit_account: str,
    applied_to_txn_id: str | None,
    payment_amount: Decimal | None = None,
    ar_account: str = "",
    memo: str = "",
    external_guid: str | None = None,
    include: Sequence[str] = (),
) -> etree._Element:
    """ReceivePaymentAddRq of `total`, applied to one invoice (`applied_to_txn_id`, for
    `payment_amount`, default the total) or, with `applied_to_txn_id=None`, auto-applied by
    QuickBooks. RefNumber allows 20 characters here."""
    total_text = format_amount(total, "total")
    if total <= 0:
        raise ValueError(f"a payment total must be positive, got {total}")
    request, add = _wrap("ReceivePaymentAddRq", "ReceivePaymentAdd", request_id)
    _ref(add, "CustomerRef", customer, CUSTOMER_FULL_NAME)
    _optional_ref(add, "ARAccountRef", ar_account, ACCOUNT_FULL_NAME)
    _sub(add, "TxnDate", txn_date.isoformat())
    _ref_number(add, ref_number, PAYMENT_REF_NUMBER)
    _sub(add, "TotalAmount", total_text)
    _optional_ref(add, "PaymentMethodRef", payment_method, PAYMENT_METHOD_NAME)
    _text(add, "Memo", memo, MEMO, multiline=True)
    _optional_ref(add, "DepositToAccountRef", deposit_account, ACCOUNT_FULL_NAME)
    _guid(add, external_guid)
    if applied_to_txn_id is None:
        if payment_amount is not None:
            raise ValueError("payment_amount needs applied_to_txn_id")
        _sub(add, "IsAutoApply", "true")
    else:
        if not applied_to_txn_id:
            raise ValueError("applied_to_txn_id must not be empty (None auto-applies)")
        amount = total if payment_amount is None else payment_amount
        if amount <= 0 or amount > total:
            raise ValueError(f"payment_amount {amount} must be positive and at most the total {total}")
        applied = etree.SubElement(add, "AppliedToTxnAdd")
        _sub(applied, "TxnID", applied_to_txn_id)
        _sub(applied, "PaymentAmount", format_amount(amount, "payment_amount"))
    add_include(request, include)
    return request
