"""The company simulator's payments as the paid-invoices sync relies on them (ledgerbridge/simulators/payments.py):
partial payments lower the balance until the invoice is paid, nothing is paid past the balance, only the customer's
own invoices in the payment's A/R account, and a payment is found again by RefNumber and ExternalGUID and through
error recovery."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.simulators.company import CompanySimulator
from tests.unit.simulators.conftest import TickClock, parse, rs, status
from tests.unit.simulators.sales_helpers import line, money, one, payment_add, qbxml, query, ret, sales_add

CUSTOMER = "Cedar Point Rowing Club"
GUID_1 = "{6B1F2D1E-0A5C-4F43-9C8E-1A2B3C4D5E01}"
GUID_2 = "{6B1F2D1E-0A5C-4F43-9C8E-1A2B3C4D5E02}"


def invoice(company: CompanySimulator, amount: str, ref_number: str = "1001", account: str = "") -> str:
    header = f"<ARAccountRef><FullName>{account}</FullName></ARAccountRef>" if account else ""
    rq = sales_add(
        "Invoice",
        line("Invoice", "Repair Labor", amount=amount),
        customer=CUSTOMER,
        ref_number=ref_number,
        header="",
    )
    if header:  # ARAccountRef comes right after CustomerRef (qbxmlops130.xsd InvoiceAdd)
        rq = rq.replace("</CustomerRef>", "</CustomerRef>" + header, 1)
    return ret(one(company, rq)).findtext("TxnID") or ""


def the_invoice(company: CompanySimulator, txn_id: str) -> dict:
    found = company.find_txn(txn_id)
    assert found is not None
    return found[1]


def test_partial_payments_lower_the_balance_until_the_invoice_is_paid(company: CompanySimulator) -> None:
    txn_id = invoice(company, "30.00")
    first = ret(one(company, payment_add(CUSTOMER, (txn_id, "20.00"), total="20.00", ref_number="1001")))
    assert money(first, "AppliedToTxnRet/BalanceRemaining") == Decimal("10.00")
    assert the_invoice(company, txn_id)["IsPaid"] == "false"
    ret(one(company, payment_add(CUSTOMER, (txn_id, "10.00"), total="10.00", ref_number="1001")))
    paid = the_invoice(company, txn_id)
    assert paid["BalanceRemaining"] == "0.00" and paid["IsPaid"] == "true"
    # Paid in full: any further payment applied to it is refused, and nothing is saved.
    again = one(company, payment_add(CUSTOMER, (txn_id, "0.01"), total="0.01"))
    assert status(again)[0] == 3210
    assert len(company.sales("ReceivePayment")) == 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=6))
def test_the_balance_is_the_total_less_what_was_applied_and_never_below_zero(
    tmp_path_factory, cents: list[int]
) -> None:
    company = CompanySimulator.open(tmp_path_factory.mktemp("pay") / "company.json", clock=TickClock())
    txn_id = invoice(company, "50.00")
    applied = Decimal(0)
    for c in cents:
        amount = Decimal(c) / 100
        answer = one(company, payment_add(CUSTOMER, (txn_id, f"{amount:.2f}"), total=f"{amount:.2f}"))
        if applied + amount <= Decimal("50.00"):
            assert status(answer)[0] == 0
            applied += amount
        else:
            assert status(answer)[0] == 3210  # you cannot pay more than the amount due
    stored = the_invoice(company, txn_id)
    assert Decimal(stored["BalanceRemaining"]) == Decimal("50.00") - applied >= 0
    assert stored["IsPaid"] == ("true" if applied == Decimal("50.00") else "false")


def test_another_customers_or_a_missing_invoice_is_refused(company: CompanySimulator) -> None:
    txn_id = invoice(company, "30.00")
    assert status(one(company, payment_add("Alder Creek Outfitters", (txn_id, "5.00"))))[0] == 3120
    assert status(one(company, payment_add(CUSTOMER, ("1F-1700000000", "5.00"))))[0] == 3120
    assert company.sales("ReceivePayment") == []
    assert the_invoice(company, txn_id)["BalanceRemaining"] == "30.00"


def test_an_invoice_in_another_ar_account_is_refused(company: CompanySimulator) -> None:
    added = one(
        company,
        '<AccountAddRq requestID="a"><AccountAdd><Name>A/R Trade</Name>'
        "<AccountType>AccountsReceivable</AccountType></AccountAdd></AccountAddRq>",
    )
    assert status(added)[0] == 0, status(added)
    txn_id = invoice(company, "30.00", account="A/R Trade")
    refused = one(company, payment_add(CUSTOMER, (txn_id, "5.00")))  # the default A/R account
    assert status(refused)[0] == 3120
    paid = payment_add(CUSTOMER, (txn_id, "5.00")).replace(
        "</CustomerRef>", "</CustomerRef><ARAccountRef><FullName>A/R Trade</FullName></ARAccountRef>", 1
    )
    assert status(one(company, paid))[0] == 0
    assert the_invoice(company, txn_id)["BalanceRemaining"] == "25.00"


def test_payments_sharing_the_invoices_refnumber_are_told_apart_by_external_guid(
    company: CompanySimulator,
) -> None:
    txn_id = invoice(company, "30.00")
    one(company, payment_add(CUSTOMER, (txn_id, "10.00"), total="10.00", ref_number="1001", guid=GUID_1))
    one(company, payment_add(CUSTOMER, (txn_id, "20.00"), total="20.00", ref_number="1001", guid=GUID_2))
    found = one(company, query("ReceivePayment", "<RefNumber>1001</RefNumber>"))
    assert sorted(r.findtext("ExternalGUID") for r in found) == [GUID_1, GUID_2]


def test_a_payment_whose_answer_was_lost_is_reported_by_error_recovery(company: CompanySimulator) -> None:
    txn_id = invoice(company, "30.00")
    company.process(
        qbxml(
            payment_add(CUSTOMER, (txn_id, "30.00"), total="30.00", ref_number="1001", guid=GUID_1),
            new_id="lbpay1",
        )
    )
    status_answer = company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
        '<QBXMLMsgsRq onError="continueOnError" oldMessageSetID="lbpay1" newMessageSetID="lbpay1"/></QBXML>'
    )
    answer = rs(status_answer)
    assert answer.tag == "ReceivePaymentAddRs" and answer.get("statusCode") == "0"
    recovery = answer.find("ErrorRecovery")
    assert recovery is not None and recovery.findtext("ExternalGUID") == GUID_1
    (payment,) = company.sales("ReceivePayment")
    assert recovery.findtext("TxnID") == payment["TxnID"]
    assert parse(status_answer).find("QBXMLMsgsRs").get("newMessageSetID") == "lbpay1"
