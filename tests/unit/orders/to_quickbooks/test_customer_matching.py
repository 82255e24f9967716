"""Customer matching like Connex: every mode's QuickBooks name, name-and-e-mail matching, what a new
customer gets, the settings that choose them, and the company simulator's CustomerAdd."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.orders.model import Address, Customer, Order
from chalicelib.orders.quickbooks.list_adds import (
    customer_add_request,
    customer_list_problems,
    customer_tax_code,
)
from chalicelib.orders.quickbooks.names import customer_name, email_checked_name, emails_match, person_name
from chalicelib.orders.settings import (
    CUSTOMER_MATCHING,
    ChannelSettings,
    CustomerMatching,
    SettingsInvalid,
    parse_settings,
    settings_from_json,
    settings_to_json,
)
from chalicelib.qbxml import render_message_set
from chalicelib.qbxml.responses import parse_message_set_response
from chalicelib.qbxml.text import CUSTOMER_NAME
from chalicelib.sync import customer_emails
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.registry import QuickBooksFault

from .helpers import US, order_with, valid

M = CustomerMatching

BILLING = Address(
    name="John T. Smith",
    company="Acme LLC",
    line1="1 Main St",
    city="Portland",
    state="or",
    postal_code="97201",
)
SHIPPING = Address(
    name="Jane Q Public",
    company="Dock 9 Inc",
    line1="9 Pier Rd",
    city="Oakland",
    state="CA",
    phone="555-0199",
)
JOHN = Customer("John", "Smith", "Acme Holdings", "John@X.com", "555-0100")


def john(**changes: Any) -> Order:
    return order_with(
        **{"customer": JOHN, "billing_address": BILLING, "shipping_address": SHIPPING, **changes}
    )


def with_mode(mode: CustomerMatching, **changes: Any) -> ChannelSettings:
    return dataclasses.replace(US, customer_matching=mode, **changes)


# --- every mode's name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (M.LAST_FIRST, "Smith, John"),
        (M.FIRST_LAST, "John Smith"),
        (M.LAST_FIRST_EMAIL, "Smith, John - john@x.com"),
        (M.FIRST_LAST_EMAIL, "John Smith - john@x.com"),
        (M.LAST_FIRST_MIDDLE, "Smith, John T"),  # the initial from the billing name "John T. Smith"
        (M.FIRST_MIDDLE_LAST, "John T Smith"),
        (M.COMPANY, "Acme Holdings"),
        (M.BILLING_COMPANY_OR_NAME, "Acme LLC"),
        (M.SHIPPING_COMPANY_OR_NAME, "Dock 9 Inc"),
        (M.EMAIL, "john@x.com"),
        (M.SINGLE_CUSTOMER, "Web Store Sales"),
        (M.STORE_CURRENCY, "Web Store Sales USD"),
        (M.NAME_EMAIL_MATCH, "Smith, John"),
    ],
)
def test_every_mode_names_the_customer(mode: CustomerMatching, expected: str) -> None:
    assert customer_name(john(), with_mode(mode, single_customer="Web Store Sales")) == expected


def test_the_modes_cover_connex_and_keep_the_four_stored_values() -> None:
    assert {"single_customer", "last_first", "company", "email"} <= set(CUSTOMER_MATCHING)
    assert len(CUSTOMER_MATCHING) == 13
    for old in ("single_customer", "last_first", "company", "email"):
        stored = {"customer_matching": old, "single_customer": "Web", "accounts": {"deposit": "UF"}}
        parsed = parse_settings(stored)
        assert parsed.customer_matching is CustomerMatching(old) and parsed.customer_matching == old
        again = settings_from_json(settings_to_json(parsed))
        assert again == parsed and again.customer_matching is CustomerMatching(old)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (M.BILLING_COMPANY_OR_NAME, "Smith, John"),
        (M.SHIPPING_COMPANY_OR_NAME, "Public, Jane"),  # the shipping name, not the buyer's
        (M.COMPANY, "Online Customer"),
        (M.STORE_CURRENCY, "Web Store CAD"),  # without a store name: "Web Store"
    ],
)
def test_company_modes_fall_back_to_a_name(mode: CustomerMatching, expected: str) -> None:
    order = john(
        customer=dataclasses.replace(JOHN, company=""),
        billing_address=dataclasses.replace(BILLING, company=""),
        shipping_address=dataclasses.replace(SHIPPING, company=""),
        currency="CAD",
    )
    assert customer_name(order, with_mode(mode)) == expected


def test_without_a_middle_initial_the_middle_modes_are_the_plain_names() -> None:
    order = john(billing_address=dataclasses.replace(BILLING, name="John Smith"))
    assert customer_name(order, with_mode(M.LAST_FIRST_MIDDLE)) == "Smith, John"
    assert customer_name(order, with_mode(M.FIRST_MIDDLE_LAST)) == "John Smith"
    # A first name of two words gives the initial, and last_first keeps it whole as before.
    two = john(customer=dataclasses.replace(JOHN, first_name="John Thomas"))
    assert customer_name(two, with_mode(M.LAST_FIRST_MIDDLE)) == "Smith, John T"
    assert customer_name(two, with_mode(M.LAST_FIRST)) == "Smith, John Thomas"
    assert person_name(two).middle_initial == "T"


def test_a_long_name_is_cut_before_the_email() -> None:
    long = dataclasses.replace(JOHN, first_name="Maximiliana", last_name="Vandenberghe-Oppenheimer")
    name = customer_name(john(customer=long), with_mode(M.LAST_FIRST_EMAIL))
    assert len(name) <= CUSTOMER_NAME and name.endswith(" - john@x.com")
    assert name == "Vandenberghe-Oppenheimer, Ma - john@x.com"  # 41: the e-mail whole
    no_email = customer_name(
        john(customer=dataclasses.replace(JOHN, email="")), with_mode(M.FIRST_LAST_EMAIL)
    )
    assert no_email == "John Smith"
    long_email = dataclasses.replace(JOHN, email="a-very-long-mailbox-name-indeed@example.co.uk")
    cut = customer_name(john(customer=long_email), with_mode(M.LAST_FIRST_EMAIL))
    assert len(cut) == CUSTOMER_NAME and cut.startswith("Smith, John - a-very")


names = st.text(st.characters(codec="utf-8"), max_size=60)
customers = st.builds(Customer, names, names, names, names, names)
addresses = st.builds(
    Address, name=names, company=names, line1=names, state=st.sampled_from(["", "CA", "ON"])
)


@settings(max_examples=150, deadline=None)
@given(
    customer=customers,
    billing=addresses,
    shipping=addresses,
    mode=st.sampled_from(CUSTOMER_MATCHING),
    store=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=41).map(str.strip),
    currency=st.sampled_from(["USD", "EUR", "GBP"]),
)
def test_every_name_fits_quickbooks_and_is_the_same_for_the_same_customer(
    customer: Customer, billing: Address, shipping: Address, mode: CustomerMatching, store: str, currency: str
) -> None:
    choice = with_mode(mode, single_customer=store)
    order = order_with(
        customer=customer, billing_address=billing, shipping_address=shipping, currency=currency
    )
    name = customer_name(order, choice)
    assert name and len(name) <= CUSTOMER_NAME
    if mode != M.SINGLE_CUSTOMER or not store:  # a single customer from the settings is used as given
        assert ":" not in name
    # the same customer on another order (another number and lines) gets the same name
    other = dataclasses.replace(order, order_id="o-2", number="1002", lines=order.lines * 2)
    assert customer_name(other, choice) == name
    add = customer_add_request(order, choice, request_id="c1")[0] if ":" not in name else None
    if add is not None:
        assert add.findtext("Name") == name


# --- name with an e-mail comparison ---------------------------------------------------------------


def test_name_email_match_falls_back_when_quickbooks_holds_another_email() -> None:
    choice = with_mode(M.NAME_EMAIL_MATCH, fallback_customer="Web Store")
    order = john()
    key = "smith, john"
    assert email_checked_name(order, choice) == "Smith, John"
    assert email_checked_name(order, with_mode(M.LAST_FIRST)) is None
    assert customer_name(order, choice, {key: "other@y.com"}) == "Web Store"
    assert customer_name(order, choice, {key: ""}) == "Web Store"  # QuickBooks' customer has no e-mail
    assert customer_name(order, choice, {key: "JOHN@x.com"}) == "Smith, John"
    assert customer_name(order, choice, {key: "billing@acme.com; john@x.com"}) == "Smith, John"
    assert customer_name(order, choice, {key: None}) == "Smith, John"  # a new customer
    assert customer_name(order, choice, {}) == "Smith, John"  # not asked (a preview)
    assert customer_name(order, choice) == "Smith, John"


@given(st.emails(), st.emails())
def test_emails_match_is_caseless_and_exact(a: str, b: str) -> None:
    assert emails_match(a.upper(), a.lower())
    assert emails_match(f"{b}, {a}", a)
    assert emails_match(b, a) == (a.casefold() == b.casefold())
    assert emails_match("", "") and not emails_match("", a) and not emails_match(a, "")


def test_the_lookup_asks_once_per_name_and_learns_from_the_simulator(tmp_path: Path) -> None:
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    choice = with_mode(M.NAME_EMAIL_MATCH)

    @dataclasses.dataclass
    class Posted:
        order: Order
        settings: ChannelSettings

    known = Posted(john(), choice)
    company.process(render_message_set([customer_add_request(known.order, choice, request_id="seed")]))
    new = Posted(john(customer=Customer("Ada", "Byron", email="ada@x.com")), choice)
    other_mode = Posted(john(), US)
    state: dict[str, Any] = {"step": "prepare", "refs": [{"channel_id": "c", "order_id": "o"}]}
    request = customer_emails.lookup_request([known, new, other_mode, known], state, "13.0")
    assert request is not None and state["step"] == customer_emails.LOOKUP_STEP
    assert state["lookup"]["names"] == ["Byron, Ada", "Smith, John"]
    applied = customer_emails.apply_lookup(state, parse_message_set_response(company.process(request)))
    assert not applied.done and state["step"] == "prepare"
    learned = customer_emails.emails_of(state)
    assert learned == {"smith, john": "John@X.com", "byron, ada": None}
    assert customer_emails.lookup_request([known, new], state, "13.0") is None  # asked once
    assert customer_name(known.order, choice, learned) == "Smith, John"
    stranger = john(customer=dataclasses.replace(JOHN, email="someone.else@z.com"))
    assert customer_name(stranger, choice, learned) == "Online Customer"


def test_a_new_name_is_claimed_by_its_first_order_and_a_namesake_of_the_job_goes_to_the_fallback() -> None:
    """QuickBooks has no "Byron, Ada": the first order takes the name (its CustomerAdd carries her e-mail); another
    Ada Byron of the same job, with another e-mail, goes to the web-store customer, in the same message set or a
    later one (the claim is kept in the job's state)."""
    choice = with_mode(M.NAME_EMAIL_MATCH, fallback_customer="Web Store")
    ada = john(customer=Customer("Ada", "Byron", email="ada@x.com"))
    namesake = john(customer=Customer("Ada", "Byron", email="ada.byron@elsewhere.org"))
    emails: dict[str, str | None] = {"byron, ada": None}
    first = customer_name(ada, choice, emails)
    customer_emails.claim_new_name(emails, ada, choice, first)
    assert first == "Byron, Ada" and emails == {"byron, ada": "ada@x.com"}
    assert customer_name(namesake, choice, emails) == "Web Store"
    assert (
        customer_name(john(customer=Customer("Ada", "Byron", email="ADA@x.com")), choice, emails)
        == "Byron, Ada"
    )
    customer_emails.claim_new_name(emails, namesake, choice, "Web Store")  # not a new name's order: no claim
    assert emails == {"byron, ada": "ada@x.com"}
    # Kept for the job's next message sets.
    state: dict[str, Any] = {"step": "prepare", "refs": []}
    customer_emails.keep_claims(state, emails)
    assert customer_name(namesake, choice, customer_emails.emails_of(state)) == "Web Store"
    # A name QuickBooks holds is never claimed, nor one whose lookup failed.
    held: dict[str, str | None] = {"smith, john": "john@x.com", "byron, ada": ""}
    customer_emails.claim_new_name(held, john(), choice, "Smith, John")
    customer_emails.claim_new_name(held, ada, choice, customer_name(ada, choice, held))
    assert held == {"smith, john": "john@x.com", "byron, ada": ""}


# --- what a new customer gets ---------------------------------------------------------------------

NEW_CUSTOMERS = dict(
    customer_type="Retail", customer_terms="Net 30", customer_tax_codes={"CA": "Tax", "OR": "Non"}
)


def test_a_new_customer_gets_addresses_phone_email_type_terms_and_tax_code_by_state() -> None:
    choice = with_mode(M.LAST_FIRST_MIDDLE, **NEW_CUSTOMERS)
    rq = valid([customer_add_request(john(), choice, request_id="c1")])[0]
    add = rq[0]
    assert [c.tag for c in add] == [
        "Name",
        "CompanyName",
        "FirstName",
        "MiddleName",
        "LastName",
        "BillAddress",
        "ShipAddress",
        "Phone",
        "Email",
        "CustomerTypeRef",
        "TermsRef",
        "SalesTaxCodeRef",
    ]
    assert add.findtext("Name") == "Smith, John T" and add.findtext("MiddleName") == "T"
    assert add.findtext("BillAddress/City") == "Portland" and add.findtext("ShipAddress/City") == "Oakland"
    assert add.findtext("Phone") == "555-0100" and add.findtext("Email") == "John@X.com"
    assert add.findtext("CustomerTypeRef/FullName") == "Retail"
    assert add.findtext("TermsRef/FullName") == "Net 30"
    assert add.findtext("SalesTaxCodeRef/FullName") == "Non"  # billed in Oregon ("or" in the store)


@pytest.mark.parametrize(
    ("mode", "name"),
    [(M.SINGLE_CUSTOMER, None), (M.STORE_CURRENCY, None), (M.NAME_EMAIL_MATCH, "Online Customer")],
)
def test_a_customer_of_many_orders_gets_no_buyers_details(mode: CustomerMatching, name: str | None) -> None:
    choice = with_mode(mode, single_customer="Web Store", **NEW_CUSTOMERS)
    add = valid([customer_add_request(john(), choice, request_id="c1", name=name)])[0][0]
    assert [c.tag for c in add] == ["Name", "CustomerTypeRef", "TermsRef"]
    assert add.findtext("Name") == (name or customer_name(john(), choice))


def test_the_tax_code_follows_the_billing_state_then_the_shipping_state() -> None:
    choice = with_mode(M.LAST_FIRST, **NEW_CUSTOMERS)
    assert customer_tax_code(john(), choice) == "Non"
    assert customer_tax_code(john(billing_address=dataclasses.replace(BILLING, state="")), choice) == "Tax"
    assert customer_tax_code(john(billing_address=dataclasses.replace(BILLING, state="WA")), choice) == ""
    plain = customer_add_request(john(), with_mode(M.LAST_FIRST), request_id="c1")[0]
    assert plain.find("SalesTaxCodeRef") is None and plain.find("TermsRef") is None
    assert plain.find("MiddleName") is None


def test_customer_settings_are_checked_against_the_cached_lists() -> None:
    choice = with_mode(M.LAST_FIRST, **NEW_CUSTOMERS)
    lists = {"customer_type": {"retail"}, "terms": {"net 15"}, "sales_tax_code": {"tax"}}
    assert customer_list_problems(choice, lists) == {
        "settings.customer_terms": "'Net 30' is not terms in this company file",
        "settings.customer_tax_codes.OR": "'Non' is not a sales tax code in this company file",
    }
    assert customer_list_problems(choice, {}) == {}  # lists not cached are not checked


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_matching", "middle_first"),
        ("customer_tax_codes", {"CA": "Taxable"}),
        ("customer_tax_codes", ["CA"]),
        ("customer_tax_codes", {"": "Tax"}),
        ("customer_terms", "x" * 32),
        ("customer_type", 7),
    ],
)
def test_bad_customer_settings_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings({field: value, "accounts": {"deposit": "UF"}})
    assert list(caught.value.problems) == [f"settings.{field}"]


def test_customer_tax_codes_parse_by_upper_case_state() -> None:
    parsed = parse_settings({"customer_tax_codes": {" ca ": "Tax"}, "accounts": {"deposit": "UF"}})
    assert parsed.customer_tax_codes == {"CA": "Tax"}
    assert settings_from_json(settings_to_json(parsed)).customer_tax_codes == {"CA": "Tax"}


# --- the company simulator's CustomerAdd ----------------------------------------------------------


@pytest.mark.parametrize("country", ["US", "CA"])
def test_the_simulator_keeps_a_new_customers_fields(tmp_path: Path, country: str) -> None:
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    code = "Tax" if country == "US" else next(c["Name"] for c in company.objects("SalesTaxCode"))
    choice = with_mode(M.FIRST_MIDDLE_LAST, customer_type="Retail", customer_terms="Net 30")
    choice = dataclasses.replace(choice, customer_tax_codes={"OR": code})
    answer = parse_message_set_response(
        company.process(render_message_set([customer_add_request(john(), choice, request_id="c1")]))
    )
    assert answer.all_ok, answer.errors
    stored = company.find("Customer", "John T Smith")
    assert stored is not None
    assert stored["MiddleName"] == "T" and stored["Email"] == "John@X.com" and stored["Phone"] == "555-0100"
    assert stored["CustomerTypeRef"]["FullName"] == "Retail" and stored["TermsRef"]["FullName"] == "Net 30"
    assert stored["SalesTaxCodeRef"]["FullName"] == code
    assert stored["BillAddress"]["City"] == "Portland" and stored["ShipAddress"]["City"] == "Oakland"


def test_the_simulator_refuses_a_name_in_use_by_any_entity_and_a_name_too_long(tmp_path: Path) -> None:
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    vendor = company.objects("Vendor")[0]["Name"]
    choice = with_mode(M.SINGLE_CUSTOMER, single_customer=vendor.upper())
    rq = customer_add_request(john(), choice, request_id="c1")
    answer = parse_message_set_response(company.process(render_message_set([rq])))
    assert [r.status_code for r in answer.responses] == [3100]
    too_long = customer_add_request(john(), with_mode(M.LAST_FIRST), request_id="c2")
    name = too_long[0].find("Name")
    assert name is not None
    name.text = "x" * (CUSTOMER_NAME + 1)
    with pytest.raises(QuickBooksFault):
        company.process(render_message_set([too_long]))
    assert company.find("Customer", "x" * (CUSTOMER_NAME + 1)) is None
