"""SalesReceiptModRq and CreditMemoModRq in the company simulator (ledgerbridge/simulators/receipt_mods.py): the
line list replaced, totals and balances moved by the change, EditSequence checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from chalicelib.qbxml import QbResponse, parse_response, render_message_set
from chalicelib.qbxml.posted import sale_mod_replacing_lines
from chalicelib.qbxml.transactions import (
    SaleLine,
    credit_memo_add,
    sales_receipt_add,
)
from ledgerbridge.simulators.company import CompanySimulator
from tests.unit.simulators.sales_helpers import msgs

CUSTOMER = "Cedar Point Rowing Club"


def ask(company: CompanySimulator, *requests: etree._Element) -> list[QbResponse]:
    return [parse_response(rs) for rs in msgs(company.process(render_message_set(list(requests))))]


def balance(company: CompanySimulator, kind: str, name: str) -> Decimal:
    return Decimal(str((company.find(kind, name) or {}).get("Balance", "0")))


def lines(*amounts: str) -> list[SaleLine]:
    return [SaleLine(item="Repair Labor", amount=Decimal(a), sales_tax_code="Non") for a in amounts]


def test_a_sales_receipt_mod_replaces_its_lines_and_moves_the_deposit_account(
    company: CompanySimulator,
) -> None:
    before = balance(company, "Account", "Undeposited Funds")
    (added,) = ask(
        company,
        sales_receipt_add(
            "a",
            customer=CUSTOMER,
            txn_date=date(2024, 5, 22),
            lines=lines("40.00", "10.00"),
            ref_number="D20240522WS",
            deposit_account="Undeposited Funds",
        ),
    )
    ret = added.rets[0]
    txn_id, edit_sequence = ret.findtext("TxnID") or "", ret.findtext("EditSequence") or ""
    assert balance(company, "Account", "Undeposited Funds") == before + Decimal("50.00")
    # An out-of-date EditSequence changes nothing.
    (stale,) = ask(
        company,
        sale_mod_replacing_lines("SalesReceipt", "m0", txn_id=txn_id, edit_sequence="1", lines=lines("1.00")),
    )
    assert stale.status_code == 3200
    (modded,) = ask(
        company,
        sale_mod_replacing_lines(
            "SalesReceipt", "m1", txn_id=txn_id, edit_sequence=edit_sequence, lines=lines("70.00"), memo="new"
        ),
    )
    assert modded.ok, modded.status_message
    receipt = modded.rets[0]
    assert receipt.findtext("TotalAmount") == "70.00" and receipt.findtext("Memo") == "new"
    assert [ln.findtext("Amount") for ln in receipt.iter("SalesReceiptLineRet")] == ["70.00"]
    assert receipt.findtext("EditSequence") != edit_sequence and receipt.find("IsFullyInvoiced") is None
    assert balance(company, "Account", "Undeposited Funds") == before + Decimal("70.00")


def test_a_credit_memo_mod_moves_the_customer_balance_by_the_change(company: CompanySimulator) -> None:
    before = balance(company, "Customer", CUSTOMER)
    (added,) = ask(
        company,
        credit_memo_add(
            "a", customer=CUSTOMER, txn_date=date(2024, 5, 22), lines=lines("30.00"), ref_number="C1"
        ),
    )
    ret = added.rets[0]
    assert balance(company, "Customer", CUSTOMER) == before - Decimal("30.00")
    (modded,) = ask(
        company,
        sale_mod_replacing_lines(
            "CreditMemo",
            "m1",
            txn_id=ret.findtext("TxnID") or "",
            edit_sequence=ret.findtext("EditSequence") or "",
            lines=lines("20.00", "25.00"),
        ),
    )
    assert modded.ok, modded.status_message
    memo = modded.rets[0]
    assert memo.findtext("TotalAmount") == "45.00" and memo.findtext("CreditRemaining") == "45.00"
    assert balance(company, "Customer", CUSTOMER) == before - Decimal("45.00")
