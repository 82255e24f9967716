"""Changing sales receipts and credit memos in the company simulator: `SalesReceiptModRq`, `CreditMemoModRq`
(summary transactions correct a posted day with them: chalicelib/sync/summary_transactions.py).

They behave like `sale_mods`' InvoiceMod / SalesOrderMod (the same `_SalesMod`: TxnID and EditSequence checked,
3120 / 3200, header fields, a Mod listing any line replaces the line list, TxnLineID -1 adds a line computed like
an Add's, the totals computed again), with the effects of these forms (qbxml130.xsd: SalesReceiptMod and
CreditMemoMod take the same `*LineMod` aggregates; Intuit's reference for SalesReceiptMod: "if you include any
line, the lines you omit are deleted"):

* **Sales receipt**: TotalAmount is computed again and the deposit account (`DepositToAccountRef`) moves by the
  change of the total, as the Add moved it by the total.
* **Credit memo**: TotalAmount and CreditRemaining are computed again; the customer's balance and the A/R account
  move by minus the change. Stricter than QuickBooks: a credit memo whose credit was already applied
  (CreditRemaining below its total) is not modified here (`SimulatorLimitation`); QuickBooks' own handling of a
  Mod that takes an applied credit below what was applied is not documented in the sources we have.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import SimulatorLimitation, register_handler
from ledgerbridge.simulators.sale_mods import _SalesMod
from ledgerbridge.simulators.sales import FORMS, _Line
from ledgerbridge.simulators.stored import format_amount
from ledgerbridge.simulators.transactions import _dec, _lookup_ref

__all__ = ["RECEIPT_MOD_KINDS"]

RECEIPT_MOD_KINDS = ("SalesReceipt", "CreditMemo")


class _ReceiptMod(_SalesMod):
    def _plan_lines(
        self, txn: Any, line_mods: Any
    ) -> tuple[list[_Line | dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        if self.kind == "CreditMemo" and _dec(txn.get("CreditRemaining")) != _dec(txn.get("TotalAmount")):
            raise SimulatorLimitation(
                "the company simulator does not modify the lines of an applied credit memo"
            )
        return super()._plan_lines(txn, line_mods)

    def _commit_lines(
        self,
        txn: dict[str, Any],
        new_lines: list[_Line | dict[str, Any]],
        deleted: list[dict[str, Any]],
        totals: dict[str, Any],
    ) -> None:
        company = self.company
        old_total = _dec(txn.get("TotalAmount"))
        super()._commit_lines(txn, new_lines, deleted, totals)
        txn.pop("IsFullyInvoiced", None)  # a sales-order field the shared code sets for every non-invoice
        delta = _dec(txn.get("TotalAmount")) - old_total
        if self.kind == "SalesReceipt":
            account_ref = txn.get("DepositToAccountRef")
            if isinstance(account_ref, dict):
                company.adjust_balance("Account", _lookup_ref(company, ("Account",), account_ref)[1], delta)
            return
        txn["CreditRemaining"] = format_amount(_dec(txn.get("TotalAmount")))
        customer = _lookup_ref(company, ("Customer",), txn["CustomerRef"])[1]
        company.adjust_balance("Customer", customer, -delta)
        if isinstance(txn.get("ARAccountRef"), dict):
            account = _lookup_ref(company, ("Account",), txn["ARAccountRef"])[1]
            company.adjust_balance("Account", account, -delta)


def _handler(kind: str) -> Any:
    form = FORMS[kind]

    def handle(company: CompanyLists, rq: etree._Element) -> etree._Element:
        return _ReceiptMod(company, rq, form).answer()

    return handle


for _kind in RECEIPT_MOD_KINDS:
    register_handler(f"{_kind}ModRq")(_handler(_kind))
