"""Foreign-currency orders (chalicelib.orders.quickbooks.currency): which customer, accounts and rate; refusals
before anything is sent; the requests stay valid for the 13.0 schema; the company simulator agrees."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.orders.currency_settings import parse_currency_mappings
from chalicelib.orders.model import OrderInvalid, parse_order
from chalicelib.orders.quickbooks.currency import (
    EDITION_HOME_CURRENCY,
    QUICKBOOKS_CURRENCY_NAMES,
    CompanyCurrency,
    CurrencyPosting,
    currency_customer_name,
    customer_in_currency,
    foreign_currency,
    format_exchange_rate,
    in_currency,
)
from chalicelib.orders.settings import SettingsInvalid, parse_settings
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    customer_add_request,
    customer_name,
    refund_requests,
    sale_requests,
)
from chalicelib.qbxml import render_message_set
from chalicelib.qbxml.responses import parse_hcp_response
from chalicelib.qbxml.text import CUSTOMER_NAME
from chalicelib.qbxml.transactions import item_non_inventory_add, receive_payment_add
from ledgerbridge.simulators import currency as simulated
from ledgerbridge.simulators.company import CompanySimulator

from .helpers import FILES, GUID_OF_ORDER, load, order_with, valid

CODES = sorted(QUICKBOOKS_CURRENCY_NAMES)
US_MULTI = CompanyCurrency(True, "USD", "US Dollar")
RATES = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("999999"), places=8, allow_nan=False)
NAMES = st.text(
    alphabet=st.characters(categories=("L", "N", "Zs"), exclude_characters=":"), min_size=1, max_size=60
).filter(lambda s: s.strip())


def with_currency(settings_: Any, **maps: dict[str, str]) -> Any:
    return dataclasses.replace(settings_, **maps)


def requests_for(order: Any, settings_: Any, country: str, txn_type: str) -> list[etree._Element]:
    return sale_requests(
        order,
        settings_,
        country=country,
        request_prefix="ord-1",
        txn_type=txn_type,  # type: ignore[arg-type]
        customer=customer_name(order, settings_),
        guid=GUID_OF_ORDER,
    )


# -- what the company file reported ------------------------------------------------------------------
def hcp(preferences: str) -> str:
    return (
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs><HostQueryRs statusCode="0"><HostRet><Country>UK</Country>'
        '</HostRet></HostQueryRs><PreferencesQueryRs statusCode="0"><PreferencesRet>'
        f"{preferences}</PreferencesRet></PreferencesQueryRs></QBXMLMsgsRs></QBXML>"
    )


def test_the_preference_is_read_from_the_company_files_preferences():
    on = parse_hcp_response(
        hcp(
            "<MultiCurrencyPreferences><IsMultiCurrencyOn>true</IsMultiCurrencyOn><HomeCurrencyRef>"
            "<ListID>1-1</ListID><FullName>British Pound Sterling</FullName></HomeCurrencyRef>"
            "</MultiCurrencyPreferences>"
        )
    )
    assert (on.multicurrency, on.home_currency) == (True, "British Pound Sterling")
    off = parse_hcp_response(
        hcp(
            "<MultiCurrencyPreferences><IsMultiCurrencyOn>false</IsMultiCurrencyOn></MultiCurrencyPreferences>"
        )
    )
    assert (off.multicurrency, off.home_currency) == (False, None)
    assert parse_hcp_response(hcp("")).multicurrency is None
    stored = {"multicurrency": on.multicurrency, "home_currency": on.home_currency}
    assert CompanyCurrency.of_company(stored, "UK") == CompanyCurrency(True, "GBP", "British Pound Sterling")
    assert CompanyCurrency.of_company({"multicurrency": False}, "CA") == CompanyCurrency(False, "CAD")
    assert CompanyCurrency.of_company(None, "AU") == CompanyCurrency(None, "AUD")


# -- home-currency orders are posted as they always were -----------------------------------------------
@pytest.mark.parametrize("country", sorted(EDITION_HOME_CURRENCY))
@pytest.mark.parametrize("multicurrency", [True, False, None])
def test_an_order_in_the_home_currency_changes_nothing(country, multicurrency):
    home = EDITION_HOME_CURRENCY[country]
    order = order_with(currency=home)
    company = CompanyCurrency(multicurrency, home, QUICKBOOKS_CURRENCY_NAMES[home])
    assert foreign_currency(order, FILES[country], company, customer="Lee, Ann") is None


# -- refusals, before anything is sent -----------------------------------------------------------------
@given(code=st.sampled_from(CODES), country=st.sampled_from(sorted(EDITION_HOME_CURRENCY)))
def test_a_file_without_multicurrency_refuses_a_foreign_order_naming_the_currency(code, country):
    home = EDITION_HOME_CURRENCY[country]
    order = order_with(currency=code)
    for known in (False, None):
        company = CompanyCurrency(known, home)
        if code == home:
            assert foreign_currency(order, FILES[country], company, customer="Lee, Ann") is None
            continue
        with pytest.raises(OrderNotPostable) as refused:
            foreign_currency(order, FILES[country], company, customer="Lee, Ann")
        assert code in refused.value.message and home in refused.value.message


def test_a_currency_quickbooks_cannot_be_named_for_is_refused():
    with pytest.raises(OrderNotPostable, match="XTS"):
        foreign_currency(order_with(currency="XTS"), FILES["US"], US_MULTI, customer="Lee, Ann")


def test_an_unrecognised_home_currency_is_refused_rather_than_guessed():
    company = CompanyCurrency(True, "", "Bitcoin")
    with pytest.raises(OrderNotPostable, match="Bitcoin"):
        foreign_currency(order_with(currency="EUR"), FILES["US"], company, customer="Lee, Ann")


def test_a_foreign_sales_receipt_needs_a_deposit_account_in_its_currency():
    order = order_with(currency="EUR")
    with pytest.raises(OrderNotPostable, match=r"deposit_accounts"):
        foreign_currency(order, FILES["US"], US_MULTI, customer="Lee, Ann")
    invoices = dataclasses.replace(FILES["US"], transaction_type="invoice")
    posting = foreign_currency(order, invoices, US_MULTI, customer="Lee, Ann", needs_deposit=False)
    assert posting is not None and posting.deposit_account == "" and posting.receivable_account == ""


def test_a_sub_customer_cannot_change_currency():
    with pytest.raises(OrderNotPostable, match="currency_customers"):
        foreign_currency(
            order_with(currency="EUR"),
            dataclasses.replace(FILES["US"], transaction_type="invoice"),
            US_MULTI,
            customer="Web:Store",
        )


# -- the customer in the currency ----------------------------------------------------------------------
@given(name=NAMES, code=st.sampled_from(CODES))
def test_the_customer_in_a_currency_is_named_with_its_code_and_fits_quickbooks(name, code):
    named = currency_customer_name(name, code)
    assert named.endswith(f" ({code})") and len(named) <= CUSTOMER_NAME
    assert ":" not in named
    # Different currencies never share a customer.
    assert len({currency_customer_name(name, c) for c in CODES}) == len(CODES)


def test_a_customer_per_currency_from_the_settings_wins():
    settings_ = with_currency(
        FILES["US"], currency_customers={"EUR": "Web Store EUR"}, deposit_accounts={"EUR": "Checking EUR"}
    )
    posting = foreign_currency(order_with(currency="EUR"), settings_, US_MULTI, customer="Lee, Ann")
    assert posting is not None and posting.customer == "Web Store EUR"
    other = foreign_currency(
        order_with(currency="CAD"),
        with_currency(settings_, deposit_accounts={"CAD": "Checking CAD"}),
        US_MULTI,
        customer="Lee, Ann",
    )
    assert other is not None and other.customer == "Lee, Ann (CAD)"


def test_the_new_customer_is_added_in_the_currency():
    order = order_with(currency="EUR")
    settings_ = with_currency(FILES["US"], deposit_accounts={"EUR": "Checking EUR"})
    posting = foreign_currency(order, settings_, US_MULTI, customer=customer_name(order, settings_))
    assert posting is not None
    request = customer_add_request(order, settings_, request_id="c1")
    customer_in_currency(request, posting)
    valid([request])
    add = request[0]
    assert add.findtext("Name") == "Lee, Ann (EUR)"
    assert add.findtext("CurrencyRef/FullName") == "Euro" and add[-1].tag == "CurrencyRef"


# -- the documents -------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    code=st.sampled_from([c for c in CODES if c != "USD"]),
    rate=st.none() | RATES,
    txn_type=st.sampled_from(["sales_receipt", "invoice", "sales_order"]),
    receivable=st.sampled_from(["", "Accounts Receivable - X"]),
)
def test_documents_in_a_foreign_currency_are_schema_valid_and_carry_the_currencys_accounts_and_rate(
    code, rate, txn_type, receivable
):
    order = dataclasses.replace(load("us_web_order"), currency=code, exchange_rate=rate)
    settings_ = with_currency(
        FILES["US"],
        transaction_type=txn_type,
        deposit_accounts={code: f"Checking {code}"},
        receivable_accounts={code: receivable} if receivable else {},
    )
    posting = foreign_currency(order, settings_, US_MULTI, customer="Núñez, José")
    assert posting is not None
    requests = requests_for(order, settings_, "US", txn_type)
    requests += refund_requests(
        order,
        settings_,
        country="US",
        request_prefix="ord-1",
        customer="Núñez, José",
        guid=GUID_OF_ORDER,
        refund_ids=[r.refund_id for r in order.refunds],
    )
    in_currency(requests, posting)
    valid(requests)
    for request in requests:
        add = request[0]
        assert add.findtext("CustomerRef/FullName") == f"Núñez, José ({code})"
        assert add.findtext("ExchangeRate") == (None if rate is None else format_exchange_rate(rate))
        if rate is not None:
            assert Decimal(add.findtext("ExchangeRate") or "") == rate
        if add.tag in ("InvoiceAdd", "CreditMemoAdd"):
            # never the home A/R account of the settings
            assert add.findtext("ARAccountRef/FullName") == (receivable or None)
        if add.tag == "SalesReceiptAdd":
            assert add.findtext("DepositToAccountRef/FullName") == f"Checking {code}"


@given(rate=RATES)
def test_an_exchange_rate_is_written_as_plain_digits(rate):
    text = format_exchange_rate(rate)
    assert "E" not in text.upper() and Decimal(text) == rate


def test_a_posting_without_rate_or_accounts_leaves_quickbooks_to_choose():
    order = order_with(currency="EUR")
    settings_ = with_currency(FILES["US"], transaction_type="invoice")
    posting = CurrencyPosting("EUR", "Euro", "Lee, Ann (EUR)", None, "", "")
    requests = requests_for(order, settings_, "US", "invoice")
    assert requests[0][0].findtext("ARAccountRef/FullName") == "Accounts Receivable"
    in_currency(requests, posting)
    valid(requests)
    assert requests[0][0].find("ARAccountRef") is None and requests[0][0].find("ExchangeRate") is None


# -- the canonical order and the settings --------------------------------------------------------------
def test_the_order_exchange_rate_is_optional_and_validated():
    doc = {
        "id": "1",
        "created_at": "2026-01-01T00:00:00Z",
        "currency": "EUR",
        "lines": [{"id": "1", "title": "Tea", "quantity": 1, "unit_price": "5.00"}],
        "total": "5.00",
    }
    assert parse_order(doc).exchange_rate is None
    assert parse_order({**doc, "exchange_rate": "1.0842"}).exchange_rate == Decimal("1.0842")
    assert parse_order({**doc, "exchange_rate": 2}).exchange_rate == Decimal(2)
    for bad in ("0", "-1", "abc", "1.123456789", "1e9", True, "NaN"):
        with pytest.raises(OrderInvalid) as refused:
            parse_order({**doc, "exchange_rate": bad})
        assert "exchange_rate" in refused.value.problems


def test_the_currency_settings_are_parsed_and_bad_ones_named():
    parsed = parse_settings(
        {
            "accounts": {"deposit": "Undeposited Funds"},
            "receivable_accounts": {"eur": "Accounts Receivable - EUR"},
            "deposit_accounts": {"EUR": " Checking EUR "},
            "currency_customers": {"CAD": "Web Store CAD"},
        }
    )
    assert parsed.receivable_accounts == {"EUR": "Accounts Receivable - EUR"}
    assert parsed.deposit_accounts == {"EUR": "Checking EUR"}
    assert parsed.currency_customers == {"CAD": "Web Store CAD"}
    for bad in ({"EURO": "x"}, {"EUR": ""}, {"EUR": 3}, ["EUR"], {"EUR": "x" * 42}):
        with pytest.raises(SettingsInvalid) as refused:
            parse_settings({"accounts": {"deposit": "U"}, "currency_customers": bad})
        assert "settings.currency_customers" in refused.value.problems
    problems: dict[str, str] = {}
    assert parse_currency_mappings({}, problems) == {} and problems == {}


# -- the simulated company agrees ----------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(code=st.sampled_from(["EUR", "CAD", "GBP"]), rate=st.none() | st.decimals("0.5", "2", places=4))
def test_the_simulated_company_records_the_sale_in_the_currency_with_its_home_total(code, rate):
    company = CompanySimulator.create(country="US")
    simulated.turn_on_multicurrency(company, "USD")
    simulated.add_account(company, f"Checking {code}", "Bank", code)
    order = dataclasses.replace(load("us_web_order"), currency=code, exchange_rate=rate)
    settings_ = with_currency(
        FILES["US"],
        deposit_accounts={code: f"Checking {code}"},
        payment_methods={},
        class_name="",
        sales_tax_item="",
    )
    posting = foreign_currency(order, settings_, US_MULTI, customer=customer_name(order, settings_))
    assert posting is not None
    customer = customer_add_request(order, settings_, request_id="c1")
    customer_in_currency(customer, posting)
    items = [
        item_non_inventory_add(f"i{n}", name=name, description=name, price=None, income_account="Sales")
        for n, name in enumerate(("TSHIRT-BLK-M", "GIFTCARD", "Shipping", "Fees", "Discount"))
    ]
    setup = etree.fromstring(company.process(render_message_set([customer, *items])).encode())
    assert [rs.get("statusCode") for rs in setup.iter("CustomerAddRs")] == ["0"]
    assert {rs.get("statusCode") for rs in setup.iter("ItemNonInventoryAddRs")} <= {
        "0",
        "3100",
    }  # 3100: exists
    sale = requests_for(order, settings_, "US", "sales_receipt")
    in_currency(sale, posting)
    answer = etree.fromstring(company.process(render_message_set(sale)).encode())
    ret = answer.find(".//SalesReceiptRet")
    assert ret is not None, etree.tostring(answer)
    assert ret.findtext("CurrencyRef/FullName") == QUICKBOOKS_CURRENCY_NAMES[code]
    used = Decimal(ret.findtext("ExchangeRate") or "")
    listed = company.find("Currency", QUICKBOOKS_CURRENCY_NAMES[code])
    assert listed is not None
    assert used == (rate if rate is not None else Decimal(listed["ExchangeRate"]))
    total = Decimal(ret.findtext("TotalAmount") or "")
    home_total = (total * used).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(ret.findtext("TotalAmountInHomeCurrency") or "") == home_total


@given(rate=st.none() | RATES, receivable=st.sampled_from(["", "Accounts Receivable - EUR"]))
def test_a_payment_in_a_foreign_currency_is_schema_valid_with_its_currencys_accounts(rate, receivable):
    payment = receive_payment_add(
        "p",
        customer="Lee, Ann",
        txn_date=date(2026, 1, 6),
        ref_number="P-1",
        total=Decimal("10.00"),
        payment_method="Visa",
        deposit_account="Undeposited Funds",
        applied_to_txn_id="1-1",
        ar_account="Accounts Receivable",
        external_guid=GUID_OF_ORDER,
    )
    in_currency([payment], CurrencyPosting("EUR", "Euro", "Lee, Ann (EUR)", rate, receivable, "Checking EUR"))
    valid([payment])
    add = payment[0]
    assert add.findtext("CustomerRef/FullName") == "Lee, Ann (EUR)"
    assert add.findtext("ARAccountRef/FullName") == (receivable or None)
    assert add.findtext("DepositToAccountRef/FullName") == "Checking EUR"
    assert (add.findtext("ExchangeRate") is None) == (rate is None)
