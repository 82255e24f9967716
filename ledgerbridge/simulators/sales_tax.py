"""US sales tax of the company simulator's sales forms: the header's tax item or group, sales tax items
used as lines, and what each form owes each tax agency (Sales Tax Payable). Used by `sales.py`.

Behaviour, and the evidence behind it:

* **Header tax** (ItemSalesTaxRef): a sales tax item taxes the sum of the taxable lines at its TaxRate,
  rounded once to the cent (half up). A **group** taxes that sum at each member's rate, each member
  rounded on its own, then adds them up: QuickBooks' help ("If you use a tax group... QuickBooks
  calculates each tax in the group individually and then adds the individual taxes together. Because
  QuickBooks rounds the individual tax amounts to the nearest cent, the total for tax group may be
  slightly different than ... the combined rates"). SalesTaxPercentage is the item's rate, or the sum of
  the members' rates for a group. A zero-rate item ("Out of State, 0.00% tax rate" in the same help:
  "QuickBooks then records the sale as non-taxable, out of state") adds nothing.
* **A sales tax item as a line** (Intuit's qbXML reference for ItemSalesTaxAdd / ItemSalesTaxGroupAdd,
  "Taxes can be reflected in transaction line items"; the Sleeter Group's "Mixing Sales Tax Rates in a
  QuickBooks Invoice", 2011: a zero-rate header item, each rate's tax item after a subtotal):
  - only single tax items can be lines; "tax groups can only be used for the entire invoice". A group
    on a line is refused here (3180; our wording: the reference gives none, so we are stricter and say
    why);
  - a line that supplies its own Amount keeps it, and "the amount of tax ... also shows up in the rate
    column": Rate = Amount. A Rate sent without an Amount (an invoice copying a sales order's tax line)
    is that fixed amount;
  - without an amount, the first tax line after a line (a subtotal, or any line: a percentage of the
    line above, like a discount item) is that line's amount x the item's TaxRate (RatePercent = the
    rate); a tax line right after another tax line "comes out as zero";
  - a tax line is never taxed itself (a sales tax item has no sales tax code); it counts in the form's
    Subtotal (it is a line), so TotalAmount = Subtotal + SalesTaxTotal includes it.
* **Sales Tax Payable**: "Sales tax items name the tax, apply the tax rate, connect the tax agency
  (vendor) and transfer the amount to Sales Tax Payable" (Mike Block, QuickBooks CPA, quickbooks-wiki
  "Invoices, etc.", 2008; the tax item "works like a line item"). A sales receipt or invoice adds its
  header tax (per group member) and its tax lines to the Sales Tax Payable account (SpecialAccountType
  SalesTaxPayable) and to a per-agency ledger (the item's TaxVendorRef), a credit memo takes them off, a
  sales order (a non-posting form) changes nothing. The agency vendor's own Balance is left alone: we
  have no evidence that sales move it (QuickBooks shows what is owed in the Sales Tax Liability report
  and the Pay Sales Tax window).
* **ItemSalesTaxAdd** adds a sales tax item like the other list adds (`CompanyLists.list_add`). Intuit's
  reference (as mirrored by CData's SalesTaxItems table): "If a nonzero TaxRate is specified, a
  TaxVendorRef is required"; one without is refused here (3180, our wording).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import Severity, Status, StatusError, register_handler
from ledgerbridge.simulators.stored import CENT, format_amount, full_name_of

__all__ = [
    "LINE_KINDS",
    "header_tax",
    "line_amount",
    "payable_by_agency",
    "post_sales_tax",
]

#: Item kinds that compute tax when used as a line (a group is refused there).
LINE_KINDS = ("ItemSalesTax", "ItemSalesTaxGroup")
_STATE = "sales_tax"
_SIGNS = {"SalesReceipt": 1, "Invoice": 1, "CreditMemo": -1, "SalesOrder": 0}
_SPLIT = "_sales_tax_by_agency"  # private key of a form: its header tax per agency


def _dec(value: Any) -> Decimal:
    text = str(value).strip() if value is not None else ""
    return Decimal(text or "0")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _agency(item: Mapping[str, Any]) -> str:
    vendor = item.get("TaxVendorRef")
    return str(vendor.get("FullName") or vendor.get("ListID")) if isinstance(vendor, dict) else ""


def _members(company: CompanyLists, kind: str, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    if kind == "ItemSalesTax":
        return [dict(item)]
    members = item.get("ItemSalesTaxRef")
    out = []
    for ref in members if isinstance(members, list) else [members] if members else []:
        found = company.lookup(("ItemSalesTax",), list_id=str(ref.get("ListID")))
        if found is not None:
            out.append(found[1])
    return out


def header_tax(
    company: CompanyLists, kind: str, item: Mapping[str, Any], taxable: Decimal
) -> tuple[Decimal, str, dict[str, str]]:
    """(SalesTaxTotal, SalesTaxPercentage, tax per agency) of `taxable` sales under a header tax item or
    group (each group member rounded on its own)."""
    members = _members(company, kind, item)
    by_agency: dict[str, Decimal] = {}
    total = Decimal(0)
    for member in members:
        tax = _money(taxable * _dec(member.get("TaxRate")) / 100)
        total += tax
        agency = _agency(member)
        by_agency[agency] = by_agency.get(agency, Decimal(0)) + tax
    if kind == "ItemSalesTax":
        percentage = str(item.get("TaxRate", "0"))
    else:
        percentage = _plain(sum((_dec(m.get("TaxRate")) for m in members), Decimal(0)))
    return total, percentage, {k: format_amount(v) for k, v in by_agency.items() if v}


def line_amount(
    kind: str,
    item: Mapping[str, Any],
    data: Mapping[str, Any],
    ret: dict[str, Any],
    previous: Decimal,
    after_tax_line: bool,
    form_kind: str,
) -> Decimal:
    """The amount of a sales tax item's line (see the module docstring), filling its Rate/RatePercent."""
    if kind != "ItemSalesTax":
        raise StatusError(
            Status(
                3180,
                Severity.ERROR,
                f"There was an error when saving a {form_kind}.  QuickBooks error message: A sales tax "
                f'group ("{full_name_of(item)}") cannot be used on a line; use it as the sales tax of the '
                "whole form, or put its single tax items on the lines.",
            )
        )
    if "Amount" in data:
        amount = _dec(data["Amount"])
        ret["Rate"] = format_amount(amount)
        return amount
    if "Rate" in data:
        amount = _money(_dec(data["Rate"]))
        ret["Rate"] = format_amount(amount)
        return amount
    percent = _dec(data.get("RatePercent", item.get("TaxRate")))
    ret["RatePercent"] = _plain(percent)
    if after_tax_line:
        return Decimal(0)
    return _money(previous * percent / 100)


def post_sales_tax(
    company: CompanyLists,
    kind: str,
    txn: dict[str, Any],
    tax_lines: Iterable[tuple[Mapping[str, Any], Decimal]],
) -> None:
    """Book a committed form's sales tax: its header tax (`txn[_SPLIT]`) and its tax lines (`(ItemRef, amount)`)
    to the Sales Tax Payable account and the per-agency ledger."""
    sign = _SIGNS.get(kind, 0)
    by_agency: dict[str, Decimal] = {k: _dec(v) for k, v in dict(txn.get(_SPLIT) or {}).items()}
    for ref, amount in tax_lines:
        found = company.lookup(("ItemSalesTax",), list_id=str(ref.get("ListID")))
        agency = _agency(found[1]) if found is not None else ""
        by_agency[agency] = by_agency.get(agency, Decimal(0)) + amount
    by_agency = {k: v for k, v in by_agency.items() if v}
    txn[_SPLIT] = {k: format_amount(v) for k, v in by_agency.items()}
    if not sign or not by_agency:
        return
    ledger: dict[str, str] = company.state(_STATE).setdefault("payable", {})
    for agency, amount in by_agency.items():
        ledger[agency] = format_amount(_dec(ledger.get(agency)) + sign * amount)
    account = next(
        (a for a in company.list_store("Account") if a.get("SpecialAccountType") == "SalesTaxPayable"), None
    )
    if account is not None:
        company.adjust_balance("Account", account, sign * sum(by_agency.values(), Decimal(0)))
    company.touch()


def set_header_split(header: dict[str, Any], split: Mapping[str, str]) -> None:
    """Keep a form's header tax per agency (private) until it is committed."""
    header[_SPLIT] = dict(split)


def payable_by_agency(company: CompanyLists) -> dict[str, Decimal]:
    """What the sales forms posted so far owe each tax agency (sales receipts and invoices less credit memos)."""
    ledger = company.state(_STATE).get("payable", {})
    return {k: _dec(v) for k, v in ledger.items()}


def form_tax_by_agency(txn: Mapping[str, Any]) -> dict[str, Decimal]:
    """A committed form's sales tax per agency (header and tax lines)."""
    return {k: _dec(v) for k, v in dict(txn.get(_SPLIT) or {}).items()}


@register_handler("ItemSalesTaxAddRq")
def _item_sales_tax_add(company: CompanyLists, rq: Any) -> Any:
    add = rq.find("ItemSalesTaxAdd")
    if add is not None and _dec(add.findtext("TaxRate")) and add.find("TaxVendorRef") is None:
        raise StatusError(
            Status(
                3180,
                Severity.ERROR,
                "There was an error when saving a Sales Tax Item.  QuickBooks error message: A tax agency "
                "(TaxVendorRef) is required for a tax rate other than zero.",
            )
        )
    return company.list_add(rq, "ItemSalesTax")
