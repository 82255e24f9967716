"""Changing invoices and sales orders in the company simulator: `InvoiceModRq` / `SalesOrderModRq`,
and the Python API tests and benchmarks use to make sales without qbXML.

Importing `company` registers the handlers. Behaviour, and the evidence behind it:

* **Finding the sale.** An unknown TxnID (or one of another type) gives `3120 Object "X" specified
  in the request cannot be found.` (as for LinkToTxnID in `sales.py`).
* **EditSequence.** It must equal the sale's current one, else `3200 The provided edit sequence
  "X" is out-of-date.` (reference sample `batch_continue_on_error_rs.xml`) and nothing changes. A
  successful Mod sets TimeModified to now and a new, larger EditSequence.
* **Header fields** applied: ShipDate, ShipMethodRef, ClassRef, PONumber, FOB, Memo, Other,
  IsToBePrinted, IsToBeEmailed, and IsManuallyClosed on sales orders. An empty element clears the
  field (Intuit's Mod rule: "an empty element clears the value"). Any other header field raises
  `SimulatorLimitation` rather than being ignored.
* **Lines** (Intuit's reference for InvoiceMod): a Mod without `*LineMod` leaves the lines alone.
  A Mod with any `*LineMod` replaces the line list by the lines it lists, in that order: an
  existing line listed by TxnLineID alone is kept unchanged, an existing line not listed is
  deleted, `TxnLineID` `-1` adds a line (computed like a line of an Add: item defaults, amount,
  tax code; a percentage discount or subtotal line is computed over the added lines only). An
  unknown TxnLineID gives 3120. Changing the fields of an existing line, line groups and deleting
  a sales-order line that was already invoiced raise `SimulatorLimitation`.
* **Totals and effects** are recomputed like an Add: Subtotal, SalesTaxTotal, TotalAmount (sales
  orders) or BalanceRemaining = total + AppliedAmount and IsPaid (invoices); the customer's and the
  A/R account's balance move by the change of BalanceRemaining; deleted and added inventory lines
  move QuantityOnHand (invoices) or QuantityOnSalesOrder (sales orders), and their site quantities.
  Items' TimeModified never changes.
* **Answer**: the whole modified `*Ret` (lines included), trimmed by IncludeRetElement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators._xsd import build_element, element_to_json
from ledgerbridge.simulators.lists import (
    ITEM_KINDS,
    CompanyLists,
)
from ledgerbridge.simulators.registry import (
    STATUS_OK,
    SimulatorLimitation,
    StatusError,
    register_handler,
    status_not_found,
    status_transient,
)
from ledgerbridge.simulators.sales import (
    FORMS,
    SalesForm,
    _Line,
    _LineRequest,
    _sales_add,
    _SalesAdd,
    _so_line_open,
)
from ledgerbridge.simulators.stored import (
    format_amount,
)
from ledgerbridge.simulators.transactions import (
    _as_list,
    _check_limitations,
    _dec,
    _include,
    _lookup_ref,
    _plain,
    _stamp,
)

__all__ = ["MOD_KINDS", "SaleLineSpec", "add_sale", "edit_sale_in_quickbooks", "read_sale"]

MOD_KINDS = ("Invoice", "SalesOrder")
_INVENTORY_KINDS = ("ItemInventory", "ItemInventoryAssembly")
_HEADER_FIELDS = frozenset(
    {
        "ShipDate",
        "ShipMethodRef",
        "ClassRef",
        "PONumber",
        "FOB",
        "Memo",
        "Other",
        "IsToBePrinted",
        "IsToBeEmailed",
    }
)
_CLEARABLE = frozenset({"ShipDate", "PONumber", "FOB", "Memo", "Other"})


# --------------------------------------------------------------------------------------------
# the Mod handler
# --------------------------------------------------------------------------------------------
class _SalesMod:
    def __init__(self, company: CompanyLists, rq: etree._Element, form: SalesForm) -> None:
        self.company = company
        self.rq = rq
        self.form = form
        self.kind = form.kind

    def answer(self) -> etree._Element:
        company, kind = self.company, self.kind
        mod = self.rq.find(f"{kind}Mod")
        if mod is None:  # pragma: no cover - the schema requires it
            raise StatusError(status_not_found(""))
        data = element_to_json(mod)
        txn_id, edit_sequence = str(data.pop("TxnID", "")), str(data.pop("EditSequence", ""))
        found = company.txn_lookup(txn_id)
        if found is None or found[0] != kind:
            raise StatusError(status_not_found(txn_id))
        txn = found[1]
        if edit_sequence != str(txn.get("EditSequence", "")):
            raise StatusError(status_transient(3200, kind, edit_sequence))
        if f"{kind}LineGroupMod" in data:
            raise SimulatorLimitation(f"the company simulator does not implement {kind}LineGroupMod")
        line_mods = [
            dict(m) if isinstance(m, dict) else {} for m in _as_list(data.pop(f"{kind}LineMod", None))
        ]
        header_fields = _HEADER_FIELDS | ({"IsManuallyClosed"} if kind == "SalesOrder" else set())
        unsupported = sorted(set(data) - header_fields)
        if unsupported:
            raise SimulatorLimitation(
                f"the company simulator does not modify {', '.join(unsupported)} in {kind}Mod"
            )
        header = {k: v for k, v in data.items() if v != "" or k not in _CLEARABLE}
        cleared = [k for k, v in data.items() if v == "" and k in _CLEARABLE]
        company.resolve_refs(header, kind)
        # phase 1: compute the new lines and totals without changing anything
        plan = self._plan_lines(txn, line_mods) if line_mods else None
        # phase 2: commit
        for key in cleared:
            txn.pop(key, None)
        txn.update(header)
        if plan is not None:
            self._commit_lines(txn, *plan)
        _stamp(company, txn)
        return company.rs(self.rq, STATUS_OK, [company.ret_element(f"{kind}Ret", txn, _include(self.rq))])

    # -- lines ------------------------------------------------------------------------------
    def _adder(self, txn: Mapping[str, Any]) -> _SalesAdd:
        adder = _SalesAdd(self.company, self.rq, self.form)
        adder.customer = _lookup_ref(self.company, ("Customer",), txn["CustomerRef"])[1]
        code_ref = txn.get("CustomerSalesTaxCodeRef")
        adder.customer_code = (
            _lookup_ref(self.company, ("SalesTaxCode",), code_ref)[1] if isinstance(code_ref, dict) else None
        )
        return adder

    def _plan_lines(
        self, txn: Mapping[str, Any], line_mods: Sequence[dict[str, Any]]
    ) -> tuple[list[_Line | dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        """(the new line list: kept stored lines and new `_Line`s, the deleted lines, the new totals)."""
        company, kind = self.company, self.kind
        existing = {str(line["TxnLineID"]): line for line in _as_list(txn.get(self.form.line_ret))}
        adder = self._adder(txn)
        listed: list[str | None] = []
        requests: list[_LineRequest] = []
        for line_mod in line_mods:
            line_id = str(line_mod.get("TxnLineID", ""))
            if line_id == "-1":
                line_data = {k: v for k, v in line_mod.items() if k != "TxnLineID"}
                _check_limitations(
                    line_data,
                    kind,
                    ["PriceLevelRef", "UnitOfMeasure", "OverrideUOMSetRef", "OptionForPriceRuleConflict"],
                )
                company.resolve_refs(line_data, f"{kind} line")
                requests.append((line_data, None, None))
                listed.append(None)
                continue
            if line_id not in existing:
                raise StatusError(status_not_found(line_id))
            if set(line_mod) != {"TxnLineID"}:
                raise SimulatorLimitation("the company simulator does not change existing lines in a Mod")
            listed.append(line_id)
        added = iter(adder._compute_lines(requests))
        new_lines: list[_Line | dict[str, Any]] = [
            existing[line_id] if line_id is not None else next(added) for line_id in listed
        ]
        kept = {line_id for line_id in listed if line_id is not None}
        deleted = [line for line_id, line in existing.items() if line_id not in kept]
        for line in deleted:
            if kind == "SalesOrder" and _dec(line.get("Invoiced")) > 0:
                raise SimulatorLimitation("the company simulator does not delete invoiced sales-order lines")
        totals: dict[str, Any] = {k: txn[k] for k in ("TxnDate", "ItemSalesTaxRef", "TermsRef") if k in txn}
        adder._totals(totals, [self._as_line(line) for line in new_lines])
        return new_lines, deleted, totals

    def _as_line(self, line: _Line | dict[str, Any]) -> _Line:
        if isinstance(line, _Line):
            return line
        item_kind = None
        if isinstance(line.get("ItemRef"), dict):
            found = self.company.lookup(ITEM_KINDS, list_id=str(line["ItemRef"]["ListID"]))
            item_kind = found[0] if found is not None else None
        code_ref = line.get("SalesTaxCodeRef")
        code = (
            self.company.lookup(("SalesTaxCode",), list_id=str(code_ref["ListID"]))
            if isinstance(code_ref, dict)
            else None
        )
        return _Line(
            dict(line),
            amount=_dec(line["Amount"]) if "Amount" in line else None,
            is_subtotal=item_kind == "ItemSubtotal",
            tax_code=code[1] if code is not None else None,
        )

    def _commit_lines(
        self,
        txn: dict[str, Any],
        new_lines: list[_Line | dict[str, Any]],
        deleted: list[dict[str, Any]],
        totals: dict[str, Any],
    ) -> None:
        company, form, kind = self.company, self.form, self.kind
        now = company.now()
        rets: list[dict[str, Any]] = []
        for line in new_lines:
            if isinstance(line, _Line):
                ret = {"TxnLineID": company.new_txn_id(now), **line.ret}
                rets.append(ret)
                if line.inventory and line.quantity is not None:
                    self._move_inventory(ret, line.quantity)
            else:
                rets.append(line)
        for line in deleted:
            if "Quantity" in line and isinstance(line.get("ItemRef"), dict):
                quantity = _dec(line["Quantity"]) - (
                    _dec(line.get("Invoiced")) if kind == "SalesOrder" else 0
                )
                self._move_inventory(line, -quantity)
        if rets:
            txn[form.line_ret] = rets
        else:
            txn.pop(form.line_ret, None)
        for key in (
            "Subtotal",
            "SalesTaxPercentage",
            "SalesTaxTotal",
            "SuggestedDiscountAmount",
            "SuggestedDiscountDate",
        ):
            if key in totals:
                txn[key] = totals[key]
        if kind == "Invoice":
            old_balance = _dec(txn.get("BalanceRemaining"))
            total = _dec(totals["Subtotal"]) + _dec(totals["SalesTaxTotal"])
            balance = total + _dec(txn.get("AppliedAmount"))
            txn["BalanceRemaining"] = format_amount(balance)
            txn["IsPaid"] = "true" if balance <= 0 else "false"
            customer = _lookup_ref(company, ("Customer",), txn["CustomerRef"])[1]
            company.adjust_balance("Customer", customer, balance - old_balance)
            if isinstance(txn.get("ARAccountRef"), dict):
                account = _lookup_ref(company, ("Account",), txn["ARAccountRef"])[1]
                company.adjust_balance("Account", account, balance - old_balance)
        else:
            txn["TotalAmount"] = totals["TotalAmount"]
            lines = _as_list(txn.get(form.line_ret))
            invoiced_any = any(_dec(line.get("Invoiced")) > 0 for line in lines)
            txn["IsFullyInvoiced"] = (
                "true" if invoiced_any and not any(map(_so_line_open, lines)) else "false"
            )

    def _move_inventory(self, line: Mapping[str, Any], quantity: Decimal) -> None:
        """A line of `quantity` (negative: removed) of an inventory item was added to the sale."""
        company = self.company
        item_ref = line.get("ItemRef")
        if not isinstance(item_ref, dict):
            return
        found = company.lookup(_INVENTORY_KINDS, list_id=str(item_ref["ListID"]))
        if found is None:
            return
        item = found[1]
        on_hand = Decimal(self.form.inventory_sign) * quantity
        on_orders = quantity if self.kind == "SalesOrder" else Decimal(0)
        item["QuantityOnHand"] = _plain(_dec(item.get("QuantityOnHand")) + on_hand)
        if on_orders:
            item["QuantityOnSalesOrder"] = _plain(
                max(_dec(item.get("QuantityOnSalesOrder")) + on_orders, Decimal(0))
            )
        site = line.get("InventorySiteRef")
        if isinstance(site, dict):
            company.move_site_quantity(
                str(item["ListID"]), str(site["ListID"]), on_hand=on_hand, on_sales_orders=on_orders
            )
        company.touch()


def _mod_handler(form: SalesForm) -> Any:
    def handle(company: CompanyLists, rq: etree._Element) -> etree._Element:
        return _SalesMod(company, rq, form).answer()

    return handle


for _kind in MOD_KINDS:
    register_handler(f"{_kind}ModRq")(_mod_handler(FORMS[_kind]))


# --------------------------------------------------------------------------------------------
# the Python API
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaleLineSpec:
    """One line of a sale made with `add_sale` (item by FullName; amounts like a `*LineAdd`)."""

    item: str
    quantity: Decimal | int | str | None = None
    rate: Decimal | str | None = None
    amount: Decimal | str | None = None
    description: str | None = None
    class_name: str | None = None
    site: str | None = None


def _ref(name: str | None) -> dict[str, str] | None:
    return {"FullName": name} if name else None


def add_sale(
    company: CompanyLists,
    kind: str,
    *,
    customer: str,
    lines: Sequence[SaleLineSpec],
    ref_number: str | None = None,
    txn_date: date | None = None,
    class_name: str | None = None,
    bill_address: Mapping[str, str] | None = None,
    ship_address: Mapping[str, str] | None = None,
    ship_method: str | None = None,
    ship_date: date | None = None,
    po_number: str | None = None,
    memo: str | None = None,
    other: str | None = None,
    external_guid: str | None = None,
) -> dict[str, Any]:
    """Make an invoice or sales order (`kind` "Invoice" / "SalesOrder") the way QuickBooks' own
    form would, with every computation and effect of an Add; a copy of the stored `*Ret` JSON.

    Addresses use qbXML keys (Addr1..Addr5, City, State, PostalCode, Country, Note). A reference
    QuickBooks would refuse raises ValueError with QuickBooks' status message.
    """
    if kind not in MOD_KINDS:
        raise ValueError(f"kind must be one of {MOD_KINDS}, not {kind!r}")
    form = FORMS[kind]
    header: dict[str, Any] = {
        "CustomerRef": {"FullName": customer},
        "ClassRef": _ref(class_name),
        "TxnDate": txn_date.isoformat() if txn_date else None,
        "RefNumber": ref_number,
        "BillAddress": dict(bill_address) if bill_address else None,
        "ShipAddress": dict(ship_address) if ship_address else None,
        "PONumber": po_number,
        "ShipDate": ship_date.isoformat() if ship_date else None,
        "ShipMethodRef": _ref(ship_method),
        "Memo": memo,
        "Other": other,
        "ExternalGUID": external_guid,
    }
    line_data: list[dict[str, Any]] = []
    for line in lines:
        values = {
            "ItemRef": {"FullName": line.item},
            "Desc": line.description,
            "Quantity": None if line.quantity is None else str(line.quantity),
            "Rate": None if line.rate is None else str(line.rate),
            "ClassRef": _ref(line.class_name),
            "Amount": None if line.amount is None else str(line.amount),
            "InventorySiteRef": _ref(line.site),
        }
        line_data.append({k: v for k, v in values.items() if v is not None})
    data = {k: v for k, v in header.items() if v is not None}
    data[form.line_add] = line_data
    rq = etree.Element(f"{kind}AddRq", requestID="python-api")
    rq.append(build_element(f"{kind}Add", data))
    try:
        rs = _sales_add(form)(company, rq)
    except StatusError as exc:
        raise ValueError(exc.status.message) from exc
    txn_id = rs.findtext(f"{kind}Ret/TxnID") or ""
    company._save_if_autosave()
    return read_sale(company, txn_id)


def read_sale(company: CompanyLists, txn_id: str) -> dict[str, Any]:
    """A copy of the transaction with that TxnID (`*Ret` JSON); KeyError if there is none."""
    found = company.find_txn(txn_id)
    if found is None:
        raise KeyError(f"no transaction {txn_id!r}")
    return found[1]


def edit_sale_in_quickbooks(
    company: CompanyLists,
    txn_id: str,
    *,
    memo: str | None = None,
    other: str | None = None,
    ship_date: date | None = None,
) -> str:
    """Someone edits the sale in QuickBooks: the given fields change, TimeModified and EditSequence
    move on (so a Mod with the old EditSequence now gets 3200). Returns the new EditSequence."""
    found = company.txn_lookup(txn_id)
    if found is None:
        raise KeyError(f"no transaction {txn_id!r}")
    txn = found[1]
    if memo is not None:
        txn["Memo"] = memo
    if other is not None:
        txn["Other"] = other
    if ship_date is not None:
        txn["ShipDate"] = ship_date.isoformat()
    _stamp(company, txn)
    company._save_if_autosave()
    return str(txn["EditSequence"])
