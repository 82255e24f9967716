"""Customer payments in the company simulator: `ReceivePaymentAddRq`, computed like QuickBooks Desktop.

Importing `company` registers the handler. Payments are transactions like the sales of `sales.py`
(identity, references, atomicity as described there). Behaviour, and the evidence behind it:

* **Payments.** `AppliedToTxnAdd` TxnID + PaymentAmount lowers that invoice's BalanceRemaining,
  makes AppliedAmount more negative, sets IsPaid at zero and links both (invoice LinkedTxn
  AMTTYPE with the negative amount; AppliedToTxnRet with the remaining balance). Paying more than
  is due: `3210 The "AppliedToTxnAdd payment amount" field has an invalid value "X".  QuickBooks
  error message: You cannot pay more than the amount due.` (captured QuickBooks output quoted in
  consolibyte's error handler); an unknown invoice, or another customer's: 3120; applying more than
  TotalAmount: 3210 on TotalAmount (our wording). AppliedAmount is negative, the way QuickBooks
  reports what was applied. `IsAutoApply` true applies the payment to
  the invoice of exactly that amount, else the oldest first; `IsAutoApply` false (the schema wants
  one of the two): the payment stays unused (UnusedPayment), a credit on the customer.
  TotalAmount defaults to the amounts applied.
* **One A/R account.** A payment pays only invoices of its own A/R account (ARAccountRef, optional in
  `qbxmlops130-annotated-sample.xml`, default the company's A/R account): QuickBooks' Receive Payments
  window lists only the open invoices of the A/R account chosen at its top. No source at hand gives the
  status of an AppliedToTxnAdd naming an invoice of another A/R account; the simulator is stricter than
  unsure and refuses it like an unknown invoice (3120).
* **What the sync relies on** (docs/accounting/paid-invoices.md): each ReceivePayment applies at most the
  invoice's BalanceRemaining (3210 beyond it, and nothing is saved); BalanceRemaining drops by the amount
  applied and IsPaid turns true at zero; the invoice and the payment list each other (LinkedTxn /
  AppliedToTxnRet); a payment's ExternalGUID and RefNumber are stored and answered by
  `ReceivePaymentQueryRq` (by RefNumber, as `sale_queries.py`), and its add is kept for error recovery
  like any other (`message_sets.py`: status + ErrorRecovery TxnID/ExternalGUID).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators import currency
from ledgerbridge.simulators._xsd import element_to_json
from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import (
    STATUS_OK,
    Severity,
    Status,
    StatusError,
    register_handler,
    status_not_found,
    status_over_applied,
    status_overpaid,
)
from ledgerbridge.simulators.stored import format_amount
from ledgerbridge.simulators.transactions import (
    _as_list,
    _check_limitations,
    _dec,
    _include,
    _linked_txn,
    _lookup_ref,
    _new_identity,
    _ref_of,
    _require_active,
    _schema_keys,
    _special_account,
    _stamp,
)

__all__: list[str] = []


# --------------------------------------------------------------------------------------------
# payments
# --------------------------------------------------------------------------------------------
def _receive_payment_add(company: CompanyLists, rq: etree._Element) -> etree._Element:
    add = rq.find("ReceivePaymentAdd")
    if add is None:  # pragma: no cover - the schema requires it
        raise StatusError(Status(3000, Severity.ERROR, "missing ReceivePaymentAdd"))
    data = element_to_json(add)
    applied_in = _as_list(data.pop("AppliedToTxnAdd", None))
    auto_apply = str(data.pop("IsAutoApply", "false")) in ("true", "1")
    company.resolve_refs(data, "ReceivePayment")
    customer = _lookup_ref(company, ("Customer",), data["CustomerRef"])[1]
    _require_active(customer, "Customer", "ReceivePayment")
    header: dict[str, Any] = {"CustomerRef": data.pop("CustomerRef")}
    if "ARAccountRef" not in data:
        account = _special_account(company, "AccountsReceivable", "AccountsReceivable")
        if account is not None:
            header["ARAccountRef"] = _ref_of(account)
    header.update(data)
    header["TxnDate"] = str(header.get("TxnDate") or company.now().date().isoformat())
    if "DepositToAccountRef" not in header:
        account = _special_account(company, "OtherCurrentAsset", "UndepositedFunds")
        if account is not None:
            header["DepositToAccountRef"] = _ref_of(account)
    currency.sale_in_currency(company, "ReceivePayment", element_to_json(add), header, customer)
    # which invoices, how much
    plan: list[tuple[dict[str, Any], Decimal]] = []
    remaining: dict[str, Decimal] = {}
    for entry in applied_in:
        _check_limitations(
            entry,
            "ReceivePayment",
            ["TxnLineDetail", "SetCredit", "DiscountAmount", "DiscountAccountRef", "DiscountClassRef"],
        )
        txn_id = str(entry.get("TxnID", ""))
        found = company.txn_lookup(txn_id)
        if found is None or found[0] != "Invoice" or found[1]["CustomerRef"]["ListID"] != customer["ListID"]:
            raise StatusError(status_not_found(txn_id))
        invoice = found[1]
        if not _same_ar_account(invoice, header):
            raise StatusError(status_not_found(txn_id))
        balance = remaining.get(txn_id, _dec(invoice.get("BalanceRemaining")))
        amount = _dec(entry.get("PaymentAmount"))
        if amount > balance:
            raise StatusError(status_overpaid(str(entry.get("PaymentAmount"))))
        remaining[txn_id] = balance - amount
        plan.append((invoice, amount))
    applied_total = sum((amount for _, amount in plan), Decimal(0))
    total = _dec(header["TotalAmount"]) if "TotalAmount" in header else applied_total
    if applied_total > total:
        raise StatusError(status_over_applied(format_amount(total)))
    if auto_apply and not plan:
        plan = _auto_apply(company, customer, total)
        applied_total = sum((amount for _, amount in plan), Decimal(0))
    header["TotalAmount"] = format_amount(total)
    header["UnusedPayment"] = format_amount(total - applied_total)
    header["UnusedCredits"] = "0.00"
    header = _schema_keys("ReceivePaymentRet", header)
    # commit
    txn: dict[str, Any] = _new_identity(company)
    txn.update(header)
    applied_rets = []
    for invoice, amount in plan:
        balance = _dec(invoice.get("BalanceRemaining")) - amount
        invoice["BalanceRemaining"] = format_amount(balance)
        invoice["AppliedAmount"] = format_amount(_dec(invoice.get("AppliedAmount")) - amount)
        invoice["IsPaid"] = "true" if balance <= 0 else "false"
        invoice.setdefault("LinkedTxn", []).append(_linked_txn(txn, "ReceivePayment", "AMTTYPE", -amount))
        _stamp(company, invoice)
        applied: dict[str, Any] = {
            "TxnID": invoice["TxnID"],
            "TxnType": "Invoice",
            "TxnDate": invoice["TxnDate"],
        }
        if invoice.get("RefNumber"):
            applied["RefNumber"] = invoice["RefNumber"]
        applied["BalanceRemaining"] = invoice["BalanceRemaining"]
        applied["Amount"] = format_amount(amount)
        applied_rets.append(applied)
    if applied_rets:
        txn["AppliedToTxnRet"] = applied_rets
    company.add_transaction("ReceivePayment", txn)
    company.adjust_balance("Customer", customer, -total)
    if isinstance(txn.get("ARAccountRef"), dict):
        company.adjust_balance("Account", _lookup_ref(company, ("Account",), txn["ARAccountRef"])[1], -total)
    if isinstance(txn.get("DepositToAccountRef"), dict):
        company.adjust_balance(
            "Account", _lookup_ref(company, ("Account",), txn["DepositToAccountRef"])[1], total
        )
    return company.rs(rq, STATUS_OK, [company.ret_element("ReceivePaymentRet", txn, _include(rq))])


def _same_ar_account(invoice: Mapping[str, Any], header: Mapping[str, Any]) -> bool:
    """Whether the invoice is in the payment's A/R account (both resolved to ListIDs; a side without one is in
    the company's default A/R account, as QuickBooks files it)."""
    mine = header.get("ARAccountRef")
    theirs = invoice.get("ARAccountRef")
    if not isinstance(mine, Mapping) or not isinstance(theirs, Mapping):
        return True  # a company without an A/R account has nothing to compare
    return bool(mine.get("ListID")) and mine.get("ListID") == theirs.get("ListID")


def _auto_apply(
    company: CompanyLists, customer: Mapping[str, Any], total: Decimal
) -> list[tuple[dict[str, Any], Decimal]]:
    """QuickBooks' auto-apply: the open invoice of exactly that amount, else the oldest first."""
    open_invoices = sorted(
        (
            inv
            for inv in company.transactions("Invoice")
            if inv["CustomerRef"]["ListID"] == customer["ListID"] and _dec(inv.get("BalanceRemaining")) > 0
        ),
        key=lambda inv: (str(inv["TxnDate"]), int(str(inv.get("TxnNumber", "0")))),
    )
    exact = next((inv for inv in open_invoices if _dec(inv.get("BalanceRemaining")) == total), None)
    if exact is not None:
        return [(exact, total)]
    plan: list[tuple[dict[str, Any], Decimal]] = []
    left = total
    for invoice in open_invoices:
        if left <= 0:
            break
        amount = min(left, _dec(invoice.get("BalanceRemaining")))
        plan.append((invoice, amount))
        left -= amount
    return plan


register_handler("ReceivePaymentAddRq")(_receive_payment_add)
