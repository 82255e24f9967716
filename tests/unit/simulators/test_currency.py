"""Multicurrency in the company simulator (ledgerbridge/simulators/currency.py): the preference, the Currency list,
customers and accounts in a currency, and sales that must use accounts in their customer's currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.qbxml import render_message_set
from chalicelib.qbxml.requests import preferences_query
from chalicelib.qbxml.responses import parse_hcp_response
from chalicelib.qbxml.transactions import (
    SaleLine,
    customer_add,
    invoice_add,
    receive_payment_add,
    sales_receipt_add,
)
from ledgerbridge.simulators import currency as simulated
from ledgerbridge.simulators.company import CompanySimulator


def answer(company: CompanySimulator, *requests: etree._Element) -> list[etree._Element]:
    root = etree.fromstring(company.process(render_message_set(list(requests))).encode())
    return list(
        root.iter(
            "CustomerAddRs", "InvoiceAddRs", "SalesReceiptAddRs", "PreferencesQueryRs", "ReceivePaymentAddRs"
        )
    )


def in_currency(request: etree._Element, tag: str, value: str) -> etree._Element:
    etree.SubElement(etree.SubElement(request[0], tag), "FullName").text = value
    return request


def euro_customer(name: str = "Lee, Ann (EUR)") -> etree._Element:
    return in_currency(customer_add("c", name=name), "CurrencyRef", "Euro")


LINE = [SaleLine("Repair Labor", quantity=Decimal(2), rate=Decimal("50.00"))]


@pytest.fixture
def multicurrency() -> CompanySimulator:
    company = CompanySimulator.create(country="US")
    simulated.turn_on_multicurrency(company, "USD")
    simulated.add_account(company, "Accounts Receivable - EUR", "AccountsReceivable", "EUR")
    simulated.add_account(company, "Checking EUR", "Bank", "EUR")
    return company


def test_the_preference_and_currencies_are_reported_like_quickbooks(multicurrency):
    info = parse_hcp_response(multicurrency.hcp_response())
    assert (info.multicurrency, info.home_currency) == (True, "US Dollar")
    off = parse_hcp_response(CompanySimulator.create(country="UK").hcp_response())
    assert (off.multicurrency, off.home_currency) == (False, None)
    (prefs,) = answer(multicurrency, preferences_query("p"))
    assert prefs.findtext(".//MultiCurrencyPreferences/HomeCurrencyRef/FullName") == "US Dollar"
    root = etree.fromstring(
        multicurrency.process(
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
            '<CurrencyQueryRq requestID="q"/></QBXMLMsgsRq></QBXML>'
        ).encode()
    )
    codes = {ret.findtext("CurrencyCode"): ret for ret in root.iter("CurrencyRet")}
    assert set(simulated.BUILT_IN) <= set(codes)
    assert (
        codes["USD"].find("ExchangeRate") is None and Decimal(codes["EUR"].findtext("ExchangeRate") or "") > 0
    )
    with pytest.raises(ValueError):
        simulated.turn_on_multicurrency(multicurrency, "EUR")  # cannot be changed once on


def test_a_customer_in_a_currency_needs_multicurrency():
    off = CompanySimulator.create(country="US")
    (refused,) = answer(off, euro_customer())
    assert refused.get("statusCode") == "3250" and off.find("Customer", "Lee, Ann (EUR)") is None


def test_new_customers_and_accounts_get_the_home_currency_unless_told(multicurrency):
    (added,) = answer(multicurrency, customer_add("c", name="Plain Customer"))
    assert added.findtext(".//CurrencyRef/FullName") == "US Dollar"
    assert multicurrency.find("Customer", "Walk-in Customer")["CurrencyRef"]["FullName"] == "US Dollar"  # type: ignore[index]
    with pytest.raises(Exception, match="foreign currency"):
        simulated.add_account(multicurrency, "Sales EUR", "Income", "EUR")


def test_an_invoice_takes_its_customers_currency_and_an_ar_account_in_it(multicurrency):
    answer(multicurrency, euro_customer())
    (wrong,) = answer(
        multicurrency,
        invoice_add(
            "i",
            customer="Lee, Ann (EUR)",
            txn_date=date(2026, 1, 5),
            lines=LINE,
            ar_account="Accounts Receivable",
        ),
    )
    assert wrong.get("statusCode") == "3180" and "USD" in (wrong.get("statusMessage") or "")
    assert multicurrency.sales("Invoice") == []  # nothing committed
    (chosen,) = answer(
        multicurrency, invoice_add("i", customer="Lee, Ann (EUR)", txn_date=date(2026, 1, 5), lines=LINE)
    )
    ret = chosen.find("InvoiceRet")
    assert ret is not None
    assert ret.findtext("ARAccountRef/FullName") == "Accounts Receivable - EUR"
    assert ret.findtext("CurrencyRef/FullName") == "Euro"
    rate = Decimal(ret.findtext("ExchangeRate") or "")
    assert Decimal(ret.findtext("BalanceRemainingInHomeCurrency") or "") == (
        Decimal("100.00") * rate
    ).quantize(Decimal("0.01"))


def test_a_sales_receipt_deposits_only_to_an_account_in_its_currency(multicurrency):
    answer(multicurrency, euro_customer())
    receipt = sales_receipt_add("r", customer="Lee, Ann (EUR)", txn_date=date(2026, 1, 5), lines=LINE)
    (refused,) = answer(multicurrency, receipt)  # Undeposited Funds: home currency
    assert refused.get("statusCode") == "3180"
    good = sales_receipt_add(
        "r", customer="Lee, Ann (EUR)", txn_date=date(2026, 1, 5), lines=LINE, deposit_account="Checking EUR"
    )
    rate = etree.Element("ExchangeRate")
    rate.text = "1.25"
    good[0].insert(list(good[0]).index(good[0].find("SalesReceiptLineAdd")), rate)
    (saved,) = answer(multicurrency, good)
    assert saved.findtext(".//TotalAmountInHomeCurrency") == "125.00"
    simulated.set_exchange_rate(multicurrency, "EUR", None)
    (no_rate,) = answer(
        multicurrency,
        sales_receipt_add(
            "s",
            customer="Lee, Ann (EUR)",
            txn_date=date(2026, 1, 6),
            lines=LINE,
            deposit_account="Checking EUR",
        ),
    )
    assert no_rate.get("statusCode") == "3180" and "exchange rate" in (no_rate.get("statusMessage") or "")


def test_an_exchange_rate_without_multicurrency_is_refused():
    off = CompanySimulator.create(country="US")
    receipt = sales_receipt_add("r", customer="Walk-in Customer", txn_date=date(2026, 1, 5), lines=LINE)
    rate = etree.Element("ExchangeRate")
    rate.text = "1.1"
    receipt[0].insert(list(receipt[0]).index(receipt[0].find("SalesReceiptLineAdd")), rate)
    (refused,) = answer(off, receipt)
    assert refused.get("statusCode") == "3250"


def test_a_payment_of_a_foreign_invoice_uses_its_currencys_accounts(multicurrency):
    answer(multicurrency, euro_customer())
    (invoice,) = answer(
        multicurrency, invoice_add("i", customer="Lee, Ann (EUR)", txn_date=date(2026, 1, 5), lines=LINE)
    )
    txn_id = invoice.findtext("InvoiceRet/TxnID") or ""
    home_deposit = receive_payment_add(
        "p",
        customer="Lee, Ann (EUR)",
        txn_date=date(2026, 1, 6),
        ref_number="P-1",
        total=Decimal("100.00"),
        payment_method="",
        deposit_account="Undeposited Funds",
        applied_to_txn_id=txn_id,
    )
    (refused,) = answer(multicurrency, home_deposit)
    assert refused.get("statusCode") == "3180"
    paid = receive_payment_add(
        "p",
        customer="Lee, Ann (EUR)",
        txn_date=date(2026, 1, 6),
        ref_number="P-1",
        total=Decimal("100.00"),
        payment_method="",
        deposit_account="Checking EUR",
        applied_to_txn_id=txn_id,
    )
    rate = etree.Element("ExchangeRate")
    rate.text = "1.2"
    paid[0].insert(list(paid[0]).index(paid[0].find("TotalAmount")) + 1, rate)
    (saved,) = answer(multicurrency, paid)
    assert saved.get("statusCode") == "0", saved.get("statusMessage")
    assert saved.findtext(".//ARAccountRef/FullName") == "Accounts Receivable - EUR"
    assert saved.findtext(".//TotalAmountInHomeCurrency") == "120.00"
