"""Sales transactions of the company simulator: their adds, computed like QuickBooks Desktop.

Importing `company` registers these handlers. Requests answered here: `SalesReceiptAddRq`,
`InvoiceAddRq`, `SalesOrderAddRq`, `CreditMemoAddRq`; `payments.py` answers `ReceivePaymentAddRq`,
`sale_queries.py` the five matching `*QueryRq`, `sale_mods.py` the Mods. Transactions are kept as their `*Ret` JSON (plus private `_` keys) and
built back in 13.0 schema order, like lists. The helpers every transaction handler shares (numbers, references,
identity, IncludeRetElement) are in `transactions.py`.

Behaviour, and the evidence behind it (reference samples under
`shared/reference/qbxml/samples/synthesized/`, "the samples"):

* **Identity.** TxnID and TxnLineIDs `<hex counter>-<epoch>`, one TxnNumber counter for every
  transaction type, EditSequence = epoch seconds, TimeCreated = TimeModified = now (samples).
  RefNumber: QuickBooks' next number for the form when none is sent (the last one used,
  incremented); RefNumbers may repeat (QuickBooks only warns in its UI); more than 11 characters
  fails the 13.0 schema (maxLength), so the whole message set faults like any invalid request. ExternalGUID is stored and
  returned in the `*Ret`, where the 13.0 schema puts it (v9.0); `OwnerID` in queries selects
  custom fields (`DataExtRet`), which this simulator does not keep, so it changes nothing.
* **References.** Every `*Ref` is resolved; a missing one is `3140 ... in the <Kind>.` (header)
  or `... in the <Kind> line.` (lines: sample `batch_continue_on_error_rs.xml`). An inactive
  customer or item is refused with 3140 too; the QuickBooks wording of that message is not in our
  evidence, so ours ends "QuickBooks error message: The list element is inactive."
* **Defaults** (samples): TemplateRef = the form's built-in template; ARAccountRef = the A/R
  account (invoices, credit memos, payments); TermsRef from the customer and DueDate from the
  terms (invoices, sales orders); DueDate = TxnDate otherwise, ShipDate = TxnDate on receipts;
  ItemSalesTaxRef from the customer, else the company's default (US); CustomerSalesTaxCodeRef from
  the customer; DepositToAccountRef = Undeposited Funds (receipts, payments). Addresses are those
  of the request (the samples show none copied from the customer), with their `*AddressBlock`.
* **Lines** (samples `sales_receipt_add_rs.xml`, `invoice_add_rs.xml`): Desc and Rate default to
  the item's sales description and price; Amount = Quantity x Rate (to the cent, half up), or the
  Amount sent (then Rate = Amount / Quantity, or Amount); a subtotal item totals the lines above
  it up to the previous subtotal and is not itself counted; a discount item takes the percentage
  sent or its own (of the line just above, so put a subtotal first to discount several lines) or a
  fixed amount, and is always negative (RatePercent/Rate returned negative); a line's tax code is
  the one sent, else the item's, except that a non-taxable customer tax code applies to every line
  (the QuickBooks US rule for non-taxable customers). Description-only lines carry only Desc.
* **Totals.** Subtotal = sum of the lines (subtotal lines not). US tax (the header item or group, tax
  item lines, Sales Tax Payable per agency): `sales_tax`. CA/UK/AU: each line is taxed at
  the rate of its tax code (`_sample.TAX_CODE_RATES`: GST 5, GST+PST 12, VAT 20, GST 10, ...),
  rounded per line and summed into SalesTaxTotal (AU lines also carry TaxAmount; no
  ItemSalesTaxRef). TotalAmount = Subtotal + SalesTaxTotal; invoices have BalanceRemaining,
  AppliedAmount 0.00, IsPaid, SuggestedDiscountAmount/Date from discount terms; credit memos
  CreditRemaining.
* **Effects.** Inventory (and assembly) items: QuantityOnHand goes down by the quantity on sales
  receipts and invoices, up on credit memos; sales orders raise QuantityOnSalesOrder (invoicing
  them lowers it). Items' and customers' TimeModified do not change: quantities and balances are
  derived values in QuickBooks (our understanding, not verified against a capture). The customer's Balance (and
  TotalBalance up its parents) goes up by an invoice, down by a payment or credit memo; the A/R
  account moves with it; receipts and payments raise their deposit account's balance.
* **Invoices from sales orders.** `LinkToTxnID` (a SalesOrder's TxnID; anything else is 3120
  "Object ... cannot be found") brings in every open line of the order, before the lines sent
  (the Intuit reference for InvoiceAdd: LinkToTxnID "brings in all its lines"). The order's lines
  get Invoiced = Quantity and the order IsFullyInvoiced = true once every line is; both sides get
  a LinkedTxn (LinkType QUANTYPE) and the order a new EditSequence. Linking an order with nothing
  open: warning `570 Unable to link to transaction "X" because it has already been closed.` when
  other lines remain (the invoice is saved), else an error (3180, "Transaction is empty.": the
  reference says "you get an error" without the text). Line-level `LinkToTxn` is not simulated.
* **Atomicity.** A handler validates everything before it changes anything, so a failed request
  commits nothing (and consumes no TxnID).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators import _sample, currency, groups, sales_tax, units
from ledgerbridge.simulators._xsd import element_to_json, schema_index
from ledgerbridge.simulators.lists import (
    ITEM_KINDS,
    CompanyLists,
)
from ledgerbridge.simulators.registry import (
    STATUS_OK,
    SimulatorLimitation,
    Status,
    StatusError,
    register_handler,
    status_closed_link,
    status_empty,
    status_not_found,
)
from ledgerbridge.simulators.stored import (
    address_block,
    format_amount,
)
from ledgerbridge.simulators.transactions import (
    _as_list,
    _check_limitations,
    _dec,
    _include,
    _linked_txn,
    _lookup_ref,
    _money,
    _negative,
    _new_identity,
    _next_ref_number,
    _plain,
    _rate,
    _ref_of,
    _require_active,
    _schema_keys,
    _special_account,
    _stamp,
)

__all__ = [
    "SALES_KINDS",
    "TXN_KINDS",
    "SalesForm",
]

SALES_KINDS = ("SalesReceipt", "Invoice", "SalesOrder", "CreditMemo")
TXN_KINDS = (*SALES_KINDS, "ReceivePayment")
_INVENTORY_KINDS = ("ItemInventory", "ItemInventoryAssembly")
_PRICED_KINDS = ("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemFixedAsset", *_INVENTORY_KINDS)
_STATE = "sales"


@dataclass(frozen=True)
class SalesForm:
    """How one sales form behaves."""

    kind: str
    template: str
    inventory_sign: int  # QuantityOnHand change per unit: -1 sold, +1 returned, 0 untouched
    balance_sign: int  # the customer's A/R balance: +1 invoice, -1 credit memo, 0 none
    has_ar_account: bool
    uses_terms: bool
    deposits: bool

    @property
    def line_add(self) -> str:
        return f"{self.kind}LineAdd"

    @property
    def line_ret(self) -> str:
        return f"{self.kind}LineRet"


FORMS: dict[str, SalesForm] = {
    "SalesReceipt": SalesForm("SalesReceipt", "Custom Sales Receipt", -1, 0, False, False, True),
    "Invoice": SalesForm("Invoice", "Intuit Product Invoice", -1, 1, True, True, False),
    "SalesOrder": SalesForm("SalesOrder", "Custom Sales Order", 0, 0, False, True, False),
    "CreditMemo": SalesForm("CreditMemo", "Custom Credit Memo", 1, -1, True, False, False),
}


# --------------------------------------------------------------------------------------------
# sales forms: lines and totals
# --------------------------------------------------------------------------------------------
@dataclass
class _Link:
    """A sales order being invoiced (LinkToTxnID)."""

    order: dict[str, Any]
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _Line:
    """One computed line before it is committed."""

    ret: dict[str, Any]
    amount: Decimal | None = None  # None: description-only
    is_subtotal: bool = False
    tax_code: dict[str, Any] | None = None  # the live SalesTaxCode
    quantity: Decimal | None = None
    inventory: bool = False  # an inventory item whose quantities move
    so_line: dict[str, Any] | None = None  # the sales-order line this line invoices
    link: _Link | None = None
    is_sales_tax: bool = False  # a sales tax item's line (`sales_tax`): never taxed itself
    ratio: Decimal = Decimal(1)  # base units per unit of the line's quantity (units.py)


#: A line to compute: the request's line JSON, and the sales-order line it comes from.
_LineRequest = tuple[dict[str, Any], dict[str, Any] | None, _Link | None]


class _SalesAdd:
    """`<Kind>AddRq` of a sales form: compute everything, then commit."""

    def __init__(self, company: CompanyLists, rq: etree._Element, form: SalesForm) -> None:
        self.company = company
        self.rq = rq
        self.form = form
        self.kind = form.kind
        self.line_label = f"{form.kind} line"
        self.us = company.country == "US"
        self.status = STATUS_OK
        self.customer: dict[str, Any] = {}
        self.customer_code: dict[str, Any] | None = None
        self.groups: list[dict[str, Any]] = []  # the group lines' Ret heads (groups.py)
        self.group_of: list[int | None] = []

    # -- phase 1: validate and compute -----------------------------------------------------
    def build(self) -> tuple[dict[str, Any], list[_Line], list[_Link]]:
        add = self.rq.find(f"{self.kind}Add")
        if add is None:  # pragma: no cover - the schema requires it
            raise StatusError(Status(3000, "Error", f"missing {self.kind}Add"))
        data = element_to_json(add)
        _check_limitations(
            data,
            self.kind,
            [
                "DiscountLineAdd",
                "SalesTaxLineAdd",
                "ShippingLineAdd",
                "SetCredit",
            ],
        )
        if str(data.get("IsTaxIncluded", "false")) in ("true", "1"):
            raise SimulatorLimitation("the company simulator does not implement tax-included pricing")
        raw_lines, self.groups = groups.line_requests(self.company, add, data, self.kind)  # groups expanded
        link_ids = [str(t) for t in _as_list(data.pop("LinkToTxnID", None))]
        company = self.company
        company.resolve_refs(data, self.kind)
        self.customer = _lookup_ref(company, ("Customer",), data["CustomerRef"])[1]
        _require_active(self.customer, "Customer", self.kind)
        header = self._header(data)
        code_ref = header.get("CustomerSalesTaxCodeRef")
        self.customer_code = (
            _lookup_ref(company, ("SalesTaxCode",), code_ref)[1] if isinstance(code_ref, dict) else None
        )
        links = [self._link(txn_id) for txn_id in link_ids]
        requests: list[_LineRequest] = []
        for link in links:
            requests += [(self._line_from_order(so), so, link) for so in self._open_lines(link.order)]
        for raw in raw_lines:
            line_data = dict(raw)
            _check_limitations(
                line_data, self.kind, ["LinkToTxn", "DataExt"]
            )  # PriceLevelRef, UnitOfMeasure: units.py
            company.resolve_refs(line_data, self.line_label)
            requests.append((line_data, None, None))
        lines = self._compute_lines(requests)
        self.group_of = [request[0].get(groups.GROUP_KEY) for request in requests]  # one line per request
        for line in lines:
            if line.link is not None:
                line.link.lines.append(line)
        closed = [link for link in links if not link.lines]
        if closed:
            if not lines:
                raise StatusError(status_empty(self.kind))
            self.status = status_closed_link(str(closed[0].order["TxnID"]))
        self._totals(header, lines)
        currency.sale_in_currency(company, self.kind, element_to_json(add), header, self.customer)
        return _schema_keys(f"{self.kind}Ret", header), lines, links

    def _header(self, data: dict[str, Any]) -> dict[str, Any]:
        company, form, customer = self.company, self.form, self.customer
        header: dict[str, Any] = {"CustomerRef": data.pop("CustomerRef")}
        header.update(data)
        today = company.now().date().isoformat()
        txn_date = str(header.get("TxnDate") or today)
        header["TxnDate"] = txn_date
        state = company.state(_STATE).setdefault("last_ref", {})
        if not header.get("RefNumber"):
            header["RefNumber"] = _next_ref_number(state.get(self.kind))
        if "TemplateRef" not in header:
            template = company.lookup(("Template",), full_name=form.template)
            if template is not None:
                header["TemplateRef"] = _ref_of(template[1])
        if form.has_ar_account and "ARAccountRef" not in header:
            account = _special_account(company, "AccountsReceivable", "AccountsReceivable")
            if account is not None:
                header["ARAccountRef"] = _ref_of(account)
        if form.uses_terms and "TermsRef" not in header and isinstance(customer.get("TermsRef"), dict):
            header["TermsRef"] = dict(customer["TermsRef"])
        if "DueDate" not in header:
            header["DueDate"] = self._due_date(txn_date, header.get("TermsRef"))
        if self.kind == "SalesReceipt":
            header.setdefault("ShipDate", txn_date)
        if self.us and "ItemSalesTaxRef" not in header:
            default = customer.get("ItemSalesTaxRef") or company.preferences_ret().get(
                "SalesTaxPreferences", {}
            ).get("DefaultItemSalesTaxRef")
            if isinstance(default, dict) and default.get("ListID"):
                header["ItemSalesTaxRef"] = {
                    "ListID": default["ListID"],
                    "FullName": default.get("FullName", ""),
                }
        if "CustomerSalesTaxCodeRef" not in header and isinstance(customer.get("SalesTaxCodeRef"), dict):
            header["CustomerSalesTaxCodeRef"] = dict(customer["SalesTaxCodeRef"])
        if form.deposits and "DepositToAccountRef" not in header:
            account = _special_account(company, "OtherCurrentAsset", "UndepositedFunds")
            if account is not None:
                header["DepositToAccountRef"] = _ref_of(account)
        for key, block in (("BillAddress", "BillAddressBlock"), ("ShipAddress", "ShipAddressBlock")):
            if isinstance(header.get(key), dict):
                header[block] = address_block(header[key], company.country)
        if self.kind in ("SalesReceipt", "Invoice", "CreditMemo"):
            header.setdefault("IsPending", "false")
        if self.kind == "Invoice":
            header.setdefault("IsFinanceCharge", "false")
        if self.kind == "SalesOrder":
            header.setdefault("IsManuallyClosed", "false")
        header.setdefault("IsToBePrinted", "false")
        header.setdefault("IsToBeEmailed", "false")
        return header

    def _due_date(self, txn_date: str, terms_ref: Any) -> str:
        if not isinstance(terms_ref, dict):
            return txn_date
        found = self.company.lookup(
            ("StandardTerms", "DateDrivenTerms"), list_id=str(terms_ref.get("ListID"))
        )
        if found is None:
            return txn_date
        kind, terms = found
        day = date.fromisoformat(txn_date)
        if kind == "StandardTerms":
            return (day + timedelta(days=int(str(terms.get("StdDueDays") or 0)))).isoformat()
        due_day = int(str(terms.get("DayOfMonthDue") or 1))
        due = _month_day(day.year, day.month, due_day)
        if due < day + timedelta(days=int(str(terms.get("DueNextMonthDays") or 0))):
            year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
            due = _month_day(year, month, due_day)
        return due.isoformat()

    def _link(self, txn_id: str) -> _Link:
        found = self.company.txn_lookup(txn_id)
        if found is None or found[0] != "SalesOrder":
            raise StatusError(status_not_found(txn_id))
        order = found[1]
        if order["CustomerRef"]["ListID"] != self.customer["ListID"]:
            raise StatusError(status_not_found(txn_id))
        return _Link(order)

    @staticmethod
    def _open_lines(order: Mapping[str, Any]) -> list[dict[str, Any]]:
        if order.get("IsManuallyClosed") == "true":
            return []
        return [line for line in _as_list(order.get("SalesOrderLineRet")) if _so_line_open(line)]

    @staticmethod
    def _line_from_order(so_line: Mapping[str, Any]) -> dict[str, Any]:
        line: dict[str, Any] = {}
        for key in ("ItemRef", "Desc"):
            if key in so_line:
                line[key] = so_line[key]
        if "Quantity" in so_line:
            line["Quantity"] = _plain(_dec(so_line["Quantity"]) - _dec(so_line.get("Invoiced")))
        for key in ("RatePercent", "Rate"):
            if key in so_line:
                line[key] = so_line[key]
                break
        for key in ("ClassRef", "InventorySiteRef", "SalesTaxCodeRef", "Other1", "Other2", "UnitOfMeasure"):
            if key in so_line:
                line[key] = so_line[key]
        return line

    def _item_tax_code(self, item: Mapping[str, Any], given: Any) -> dict[str, Any] | None:
        if isinstance(given, dict):
            return given
        code = self.customer_code
        if code is not None and code.get("IsTaxable") == "false":
            return _ref_of(code)
        item_code = item.get("SalesTaxCodeRef")
        return dict(item_code) if isinstance(item_code, dict) else None

    def _compute_lines(self, requests: list[_LineRequest]) -> list[_Line]:
        company = self.company
        lines: list[_Line] = []
        previous = Decimal(0)
        since_subtotal = Decimal(0)
        for data, so_line, link in requests:
            ref = data.get("ItemRef")
            if not isinstance(ref, dict):
                if "Amount" in data or "Quantity" in data or "Rate" in data:
                    raise SimulatorLimitation("the company simulator needs an ItemRef on lines with amounts")
                ret = {k: v for k, v in data.items() if k in ("Desc", "Other1", "Other2", "ServiceDate")}
                lines.append(_Line(self._line_keys(ret), so_line=so_line, link=link))
                continue
            item_kind, item = _lookup_ref(company, ITEM_KINDS, ref)
            _require_active(item, "Item", self.line_label)
            ret = {"ItemRef": _ref_of(item)}
            desc = data.get("Desc", _item_desc(item_kind, item))
            if desc:
                ret["Desc"] = desc
            line = _Line(ret, so_line=so_line, link=link)
            if item_kind == "ItemSubtotal":
                line.amount, line.is_subtotal = since_subtotal, True
                ret["Amount"] = format_amount(since_subtotal)
                previous, since_subtotal = since_subtotal, Decimal(0)
                lines.append(line)
                continue
            if item_kind in sales_tax.LINE_KINDS:
                after_tax = bool(lines) and lines[-1].is_sales_tax
                amount = sales_tax.line_amount(item_kind, item, data, ret, previous, after_tax, self.kind)
                line.is_sales_tax = True
            elif item_kind == "ItemDiscount":
                amount = self._discount(data, item, ret, previous)
            elif item_kind in _PRICED_KINDS:
                amount = self._priced(data, item_kind, item, ret, previous, line)
            else:
                raise SimulatorLimitation(f"the company simulator does not sell {item_kind} items on a line")
            line.amount = amount
            ret["Amount"] = format_amount(amount)
            for key in (
                "ClassRef",
                "InventorySiteRef",
                "ServiceDate",
                "Other1",
                "Other2",
                "SerialNumber",
                "LotNumber",
            ):
                if key in data:
                    ret[key] = data[key]
            code_ref = self._item_tax_code(item, data.get("SalesTaxCodeRef"))
            if code_ref is not None:
                ret["SalesTaxCodeRef"] = code_ref
                line.tax_code = _lookup_ref(company, ("SalesTaxCode",), code_ref)[1]
            if self.kind == "SalesOrder":
                ret["Invoiced"] = "0"
                ret["IsManuallyClosed"] = str(data.get("IsManuallyClosed", "false"))
            line.ret = self._line_keys(ret)
            previous = amount
            since_subtotal += amount
            lines.append(line)
        return lines

    def _line_keys(self, ret: dict[str, Any]) -> dict[str, Any]:
        allowed = _line_ret_keys(self.kind)
        return {k: v for k, v in ret.items() if k in allowed}

    @staticmethod
    def _discount(
        data: Mapping[str, Any], item: Mapping[str, Any], ret: dict[str, Any], previous: Decimal
    ) -> Decimal:
        percent = data.get("RatePercent")
        if percent is None and not any(k in data for k in ("Rate", "Amount")):
            percent = item.get("DiscountRatePercent")
        if percent is not None:
            ret["RatePercent"] = _negative(str(percent))
            return -_money(abs(previous) * abs(_dec(percent)) / 100)
        if "Amount" in data:
            amount = -abs(_dec(data["Amount"]))
            ret["Rate"] = _rate(amount)
            return amount
        rate = -abs(_dec(data.get("Rate", item.get("DiscountRate"))))
        quantity = data.get("Quantity")
        if quantity is not None:
            ret["Quantity"] = quantity
        ret["Rate"] = _rate(rate)
        return _money(rate * _dec(quantity, "1"))

    def _priced(
        self,
        data: Mapping[str, Any],
        item_kind: str,
        item: Mapping[str, Any],
        ret: dict[str, Any],
        previous: Decimal,
        line: _Line,
    ) -> Decimal:
        quantity = _dec(data["Quantity"]) if "Quantity" in data else None
        if quantity is not None:
            ret["Quantity"] = data["Quantity"]
            line.quantity = quantity
        price, percent = _item_price(item_kind, item)
        price, line.ratio = units.line_price(self.company, item, data, ret, price, self.line_label)
        if "RatePercent" in data or ("Rate" not in data and "Amount" not in data and percent is not None):
            pct = str(data.get("RatePercent", percent))
            ret["RatePercent"] = pct
            amount = _money(previous * _dec(pct) / 100)
        elif "Rate" in data:
            ret["Rate"] = data["Rate"]
            rate = _dec(data["Rate"])
            amount = (
                _dec(data["Amount"])
                if "Amount" in data
                else _money(rate * (quantity if quantity is not None else 1))
            )
        elif "Amount" in data:
            amount = _dec(data["Amount"])
            ret["Rate"] = _rate(amount / quantity if quantity else amount)
        else:
            rate = _dec(price)
            ret["Rate"] = str(price)
            amount = _money(rate * (quantity if quantity is not None else 1))
        line.inventory = item_kind in _INVENTORY_KINDS and quantity is not None
        return amount

    def _totals(self, header: dict[str, Any], lines: list[_Line]) -> None:
        company = self.company
        subtotal = sum(
            (line.amount for line in lines if line.amount is not None and not line.is_subtotal), Decimal(0)
        )
        tax = Decimal(0)
        if self.us:
            tax_ref = header.get("ItemSalesTaxRef")
            if isinstance(tax_ref, dict):
                tax_kind, tax_item = _lookup_ref(company, ("ItemSalesTax", "ItemSalesTaxGroup"), tax_ref)
                taxable = sum(
                    (
                        line.amount
                        for line in lines
                        if line.amount is not None
                        and not line.is_subtotal
                        and not line.is_sales_tax
                        and line.tax_code is not None
                        and line.tax_code.get("IsTaxable") == "true"
                    ),
                    Decimal(0),
                )
                tax, header["SalesTaxPercentage"], split = sales_tax.header_tax(
                    company, tax_kind, tax_item, taxable
                )
                sales_tax.set_header_split(header, split)
        else:
            rates = _sample.TAX_CODE_RATES.get(company.country, {})
            for line in lines:
                if line.amount is None or line.is_subtotal or line.is_sales_tax or line.tax_code is None:
                    continue
                rate = _dec(rates.get(str(line.tax_code.get("Name")), "0"))
                if line.tax_code.get("IsTaxable") != "true":
                    rate = Decimal(0)
                line_tax = _money(line.amount * rate / 100)
                tax += line_tax
                if company.country == "AU":
                    line.ret["TaxAmount"] = format_amount(line_tax)
        total = subtotal + tax
        header["Subtotal"] = format_amount(subtotal)
        header["SalesTaxTotal"] = format_amount(tax)
        if self.kind == "Invoice":
            header["AppliedAmount"] = "0.00"
            header["BalanceRemaining"] = format_amount(total)
            header["IsPaid"] = "true" if total <= 0 else "false"
            header["SuggestedDiscountAmount"] = "0.00"
            terms = header.get("TermsRef")
            found = (
                company.lookup(("StandardTerms",), list_id=str(terms.get("ListID")))
                if isinstance(terms, dict)
                else None
            )
            if found is not None and found[1].get("DiscountPct") and found[1].get("StdDiscountDays"):
                discount = _money(total * _dec(found[1]["DiscountPct"]) / 100)
                header["SuggestedDiscountAmount"] = format_amount(discount)
                days = int(str(found[1]["StdDiscountDays"]))
                header["SuggestedDiscountDate"] = (
                    date.fromisoformat(header["TxnDate"]) + timedelta(days=days)
                ).isoformat()
        else:
            header["TotalAmount"] = format_amount(total)
        if self.kind == "CreditMemo":
            header["CreditRemaining"] = format_amount(total)
        if self.kind == "SalesOrder":
            header["IsFullyInvoiced"] = "false"

    # -- phase 2: commit ------------------------------------------------------------------
    def commit(self, header: dict[str, Any], lines: list[_Line], links: list[_Link]) -> dict[str, Any]:
        company, form = self.company, self.form
        txn: dict[str, Any] = _new_identity(company)
        now = company.now()
        txn.update(header)
        rets = []
        for line in lines:
            ret = {"TxnLineID": company.new_txn_id(now), **line.ret}
            rets.append(ret)
        if rets:
            txn[form.line_ret] = rets
        amounts = [ln.amount for ln in lines]
        groups.nest_groups(company, txn, self.kind, rets, amounts, self.group_of, self.groups)
        company.state(_STATE).setdefault("last_ref", {})[self.kind] = str(header["RefNumber"])
        taxes = [(ln.ret["ItemRef"], ln.amount or Decimal(0)) for ln in lines if ln.is_sales_tax]
        sales_tax.post_sales_tax(company, self.kind, txn, taxes)
        company.add_transaction(self.kind, txn)
        for line in lines:
            if not line.inventory or line.quantity is None:
                continue
            moved = line.quantity * line.ratio  # base units (units.py)
            item = _lookup_ref(company, _INVENTORY_KINDS, line.ret["ItemRef"])[1]
            if form.inventory_sign:
                qoh = _dec(item.get("QuantityOnHand")) + form.inventory_sign * moved
                item["QuantityOnHand"] = _plain(qoh)
            on_sales_orders = Decimal(0)
            if self.kind == "SalesOrder":
                item["QuantityOnSalesOrder"] = _plain(_dec(item.get("QuantityOnSalesOrder")) + moved)
                on_sales_orders = moved
            elif line.so_line is not None:
                on_order = max(_dec(item.get("QuantityOnSalesOrder")) - moved, Decimal(0))
                item["QuantityOnSalesOrder"] = _plain(on_order)
                on_sales_orders = -moved
            site = line.ret.get("InventorySiteRef")
            if isinstance(site, dict):
                company.move_site_quantity(
                    str(item["ListID"]),
                    str(site["ListID"]),
                    on_hand=form.inventory_sign * moved,
                    on_sales_orders=on_sales_orders,
                )
        total = _dec(txn.get("BalanceRemaining", txn.get("TotalAmount")))
        if form.balance_sign:
            company.adjust_balance("Customer", self.customer, form.balance_sign * total)
            account_ref = txn.get("ARAccountRef")
            if isinstance(account_ref, dict):
                company.adjust_balance(
                    "Account", _lookup_ref(company, ("Account",), account_ref)[1], form.balance_sign * total
                )
        if form.deposits and isinstance(txn.get("DepositToAccountRef"), dict):
            account = _lookup_ref(company, ("Account",), txn["DepositToAccountRef"])[1]
            company.adjust_balance("Account", account, total)
        for link in links:
            self._commit_link(txn, link)
        return txn

    def _commit_link(self, invoice: dict[str, Any], link: _Link) -> None:
        order = link.order
        amount = Decimal(0)
        for line in link.lines:
            so_line = line.so_line
            if so_line is None:
                continue
            if "Quantity" in so_line:
                invoiced = _dec(so_line.get("Invoiced")) + (line.quantity or Decimal(0))
                so_line["Invoiced"] = _plain(invoiced)
            so_line["_linked"] = True
            if not line.is_subtotal:
                amount += line.amount or Decimal(0)
        if not link.lines:
            return
        still_open = any(_so_line_open(so) for so in _as_list(order.get("SalesOrderLineRet")))
        order["IsFullyInvoiced"] = "false" if still_open else "true"
        order.setdefault("LinkedTxn", []).append(_linked_txn(invoice, "Invoice", "QUANTYPE", amount))
        invoice.setdefault("LinkedTxn", []).append(_linked_txn(order, "SalesOrder", "QUANTYPE", amount))
        _stamp(self.company, order)


def _line_ret_keys(kind: str) -> set[str]:
    index = schema_index()
    decl = index.child(index.element(f"{kind}Ret"), f"{kind}LineRet")
    return set(index.child_names(decl)) if decl is not None else set()


def _so_line_open(line: Mapping[str, Any]) -> bool:
    if line.get("IsManuallyClosed") == "true":
        return False
    if "Quantity" in line:
        return _dec(line.get("Invoiced")) < _dec(line["Quantity"])
    return not line.get("_linked")


def _month_day(year: int, month: int, day: int) -> date:
    for candidate in (day, 30, 29, 28):
        try:
            return date(year, month, min(day, candidate))
        except ValueError:
            continue
    return date(year, month, 28)  # pragma: no cover


def _item_desc(item_kind: str, item: Mapping[str, Any]) -> str | None:
    if item_kind in (*_INVENTORY_KINDS, "ItemFixedAsset"):
        return item.get("SalesDesc")
    for block, key in (("SalesOrPurchase", "Desc"), ("SalesAndPurchase", "SalesDesc")):
        if isinstance(item.get(block), dict) and item[block].get(key):
            return str(item[block][key])
    return item.get("ItemDesc")


def _item_price(item_kind: str, item: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(price, percent) of an item as QuickBooks fills a line's rate."""
    if item_kind in (*_INVENTORY_KINDS, "ItemFixedAsset"):
        return (str(item.get("SalesPrice", "0.00")), None)
    sales = item.get("SalesOrPurchase")
    if isinstance(sales, dict):
        if "PricePercent" in sales:
            return (None, str(sales["PricePercent"]))
        return (str(sales.get("Price", "0.00")), None)
    both = item.get("SalesAndPurchase")
    if isinstance(both, dict):
        return (str(both.get("SalesPrice", "0.00")), None)
    return ("0.00", None)


def _sales_add(form: SalesForm) -> Callable[[CompanyLists, etree._Element], etree._Element]:
    def handle(company: CompanyLists, rq: etree._Element) -> etree._Element:
        add = _SalesAdd(company, rq, form)
        header, lines, links = add.build()
        txn = add.commit(header, lines, links)
        return company.rs(rq, add.status, [company.ret_element(f"{form.kind}Ret", txn, _include(rq))])

    return handle


for _form in FORMS.values():
    register_handler(f"{_form.kind}AddRq")(_sales_add(_form))
