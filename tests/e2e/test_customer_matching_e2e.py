"""Customer matching through whole Web Connector sessions into the simulated company, for a US and a Canadian
file: "Last, First - e-mail", shipping company or name, one customer per store and currency, and name with an
e-mail comparison that falls back to the web-store customer; new customers carry what the settings give them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.orders.model import parse_order
from chalicelib.qbxml import render_message_set
from chalicelib.qbxml.transactions import customer_add
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.e2e.test_web_connector_e2e import pair

FILES = {
    # country: (currency, state of the billing address, its customer tax code, another state's)
    "US": ("USD", "OR", "Non", ("CA", "Tax")),
    "CA": ("CAD", "ON", "S", ("AB", "G")),
}


def order(number: str, currency: str, state: str, **customer: str) -> dict[str, Any]:
    return {
        "id": number,
        "number": number,
        "created_at": "2026-11-20T10:00:00Z",
        "currency": currency,
        "customer": {"first_name": "John", "last_name": "Smith", "email": "john@x.com", "phone": "555-0100"}
        | customer,
        "billing_address": {
            "name": "John Smith",
            "line1": "1 Main St",
            "city": "Portland",
            "state": state,
            "postal_code": "97201",
        },
        "shipping_address": {
            "name": "Jane Q Public",
            "company": "Dock 9 Inc",
            "line1": "9 Pier Rd",
            "city": "Oakland",
            "state": state,
            "postal_code": "94607",
        },
        "lines": [{"id": "1", "sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "12.00"}],
        "payments": [{"method": "card", "amount": "12.00"}],
        "payment_status": "paid",
        "total": "12.00",
    }


@pytest.mark.parametrize("country", ["US", "CA"])
def test_customers_are_matched_like_connex(local_stack, tmp_path, country):
    currency, state, tax_code, other_state = FILES[country]
    conn, app_url, username, password = pair(local_stack, f"Customers {country}")
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    # QuickBooks already has a "Smith, John" who is someone else (another e-mail).
    seeded = company.process(
        render_message_set([customer_add("seed", name="Smith, John", email="john.smith@elsewhere.org")])
    )
    assert 'statusCode="0"' in seeded
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached

    base: dict[str, Any] = {"transaction_type": "sales_receipt"}
    if country == "US":
        base.update(sales_tax_item="", taxable_code="Non", tax_mode="quickbooks")
    channels: dict[str, dict[str, Any]] = {
        "email_name": {
            "customer_matching": "last_first_email",
            "customer_type": "Retail",
            "customer_terms": "Net 30",
            "customer_tax_codes": {state: tax_code, other_state[0]: other_state[1]},
        },
        "shipping": {"customer_matching": "shipping_company_or_name"},
        "store": {"customer_matching": "store_currency", "single_customer": "Shop"},
        "compare": {"customer_matching": "name_email_match", "fallback_customer": "Web Store"},
    }
    ids: dict[str, str] = {}
    with local_stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
        bad = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Bad",
                "settings": base
                | {"customer_tax_codes": {state: "Zzz"}, "accounts": {"deposit": deposit, "income": income}},
            },
        )
        assert (
            bad.status_code == 400
            and f"settings.customer_tax_codes.{state}" in bad.json()["details"]["fields"]
        )
        for label, extra in channels.items():
            settings = copy.deepcopy(base) | extra | {"accounts": {"deposit": deposit, "income": income}}
            created = client.post(
                "/api/v1/channels",
                json={
                    "connection_id": conn["id"],
                    "kind": "custom_store",
                    "name": label,
                    "settings": settings,
                },
            )
            assert created.status_code == 201, created.text
            ids[label] = created.json()["id"]
        pushes = {
            "email_name": [
                order("E-1", currency, state),
                order("E-2", currency, state),
            ],  # one customer for both
            "shipping": [order("S-1", currency, state)],
            "store": [order("T-1", currency, state), order("T-2", currency, state, first_name="Ada")],
            "compare": [
                order("C-1", currency, state),  # "Smith, John" in QuickBooks is someone else: the web store
                order("C-2", currency, state, first_name="Ada", last_name="Byron", email="ada@x.com"),
                order("C-3", currency, state, first_name="Ada", last_name="Byron", email="ADA@x.com"),
                # Another Ada Byron (another e-mail) in the same set: not the first one's new customer.
                order("C-4", currency, state, first_name="Ada", last_name="Byron", email="ada@elsewhere.org"),
            ],
        }
        for label, docs in pushes.items():
            for doc in docs:
                parse_order(doc)  # the test's orders are valid store orders
            pushed = client.post(f"/api/v1/channels/{ids[label]}/orders", json={"orders": docs})
            assert pushed.status_code == 202, pushed.text

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()

    with local_stack.client() as client:
        for label, channel_id in ids.items():
            seen = client.get("/api/v1/orders", params={"channel": channel_id}).json()["orders"]
            assert {o["status"] for o in seen} == {"synced"}, (label, [o["error"] for o in seen])
    customer_of = {s["RefNumber"]: s["CustomerRef"]["FullName"] for s in company.sales("SalesReceipt")}
    assert customer_of == {
        "E-1": "Smith, John - john@x.com",
        "E-2": "Smith, John - john@x.com",
        "S-1": "Dock 9 Inc",
        "T-1": f"Shop {currency}",
        "T-2": f"Shop {currency}",
        "C-1": "Web Store",
        "C-2": "Byron, Ada",
        "C-3": "Byron, Ada",  # the same e-mail in another case
        "C-4": "Web Store",  # a namesake: the new "Byron, Ada" is the first order's
    }
    new = company.find("Customer", "Smith, John - john@x.com")
    assert new is not None
    assert new["Email"] == "john@x.com" and new["Phone"] == "555-0100"
    assert new["BillAddress"]["Addr2"] == "1 Main St" and new["BillAddress"]["State"] == state
    assert new["ShipAddress"]["Addr2"] == "Dock 9 Inc" and new["ShipAddress"]["City"] == "Oakland"
    assert new["CustomerTypeRef"]["FullName"] == "Retail" and new["TermsRef"]["FullName"] == "Net 30"
    assert new["SalesTaxCodeRef"]["FullName"] == tax_code
    other = company.find("Customer", "Smith, John")
    assert other is not None and other["Email"] == "john.smith@elsewhere.org"  # untouched
    ada = company.find("Customer", "Byron, Ada")
    assert ada is not None and ada["Email"] == "ada@x.com"
    for shared in ("Web Store", f"Shop {currency}"):  # customers of many orders: no one buyer's details
        made = company.find("Customer", shared)
        assert made is not None and "Email" not in made and "BillAddress" not in made, made
    names = [c["Name"].casefold() for c in company.objects("Customer")]
    assert len(names) == len(set(names))


def test_only_name_and_email_matching_costs_a_round_trip(local_stack, tmp_path):
    """The e-mail lookup is one CustomerQuery for the batch's names, in a round trip before the sales; every
    other mode posts in one round trip."""
    conn, app_url, username, password = pair(local_stack, "Customers round trips")
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    assert run_session(app_url, username, password, company).outcome == "completed"
    trips = {}
    with local_stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
        for mode in ("last_first_email", "name_email_match"):
            settings = {
                "customer_matching": mode,
                "sales_tax_item": "",
                "taxable_code": "Non",
                "accounts": {"deposit": deposit, "income": income},
            }
            created = client.post(
                "/api/v1/channels",
                json={
                    "connection_id": conn["id"],
                    "kind": "custom_store",
                    "name": mode,
                    "settings": settings,
                },
            )
            assert created.status_code == 201, created.text
            docs = [
                order(f"{mode[:4]}-{n}", "USD", "OR", first_name=f"Buyer{n % 3}", email=f"b{n % 3}@x.com")
                for n in range(6)
            ]
            pushed = client.post(f"/api/v1/channels/{created.json()['id']}/orders", json={"orders": docs})
            assert pushed.status_code == 202, pushed.text
            report = run_session(app_url, username, password, company)
            assert report.outcome == "completed", report.render()
            trips[mode] = report.round_trips
    assert trips == {"last_first_email": 1, "name_email_match": 2}
    customers = {s["RefNumber"]: s["CustomerRef"]["FullName"] for s in company.sales("SalesReceipt")}
    assert customers["name-0"] == customers["name-3"] == "Smith, Buyer0"  # new, then matched by its e-mail
    assert customers["last-1"] == "Smith, Buyer1 - b1@x.com"
