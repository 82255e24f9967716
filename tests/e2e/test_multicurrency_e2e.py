"""Foreign-currency orders through whole Web Connector sessions against `chalice local` and the simulated company
(docs/accounting/multicurrency.md): a multicurrency US file takes EUR and CAD orders to new customers in those
currencies, with home-currency totals; a multicurrency UK file takes a USD order; a file without multicurrency
refuses a foreign order with the reason on the order, while home-currency orders still post."""

from __future__ import annotations

import copy
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from ledgerbridge.simulators import currency as simulated
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.conftest import LocalStack
from tests.e2e.test_web_connector_e2e import pair

ORDER: dict[str, Any] = {
    "id": "M-1",
    "number": "M-1",
    "created_at": "2026-11-20T10:00:00Z",
    "customer": {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
    "billing_address": {"name": "Ann Lee", "line1": "1 Rue Haute", "city": "Lyon", "country": "FR"},
    "lines": [
        {"id": "1", "sku": "TEA-01", "title": "Tea", "quantity": 3, "unit_price": "8.00"},
        {"id": "2", "sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "12.35"},
    ],
    "total": "36.35",
}


def order(number: str, currency: str | None, exchange_rate: str | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(ORDER)
    doc["id"] = doc["number"] = number
    if currency is not None:
        doc["currency"] = currency
    if exchange_rate is not None:
        doc["exchange_rate"] = exchange_rate
    return doc


def company_file(
    tmp_path: Path, country: str, home: str | None, accounts: list[tuple[str, str, str]]
) -> CompanySimulator:
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    if home is not None:
        simulated.turn_on_multicurrency(company, home)
        for name, account_type, code in accounts:
            simulated.add_account(company, name, account_type, code)
    company.save()
    return company


def channel(stack: LocalStack, connection_id: str, name: str, country: str, **settings: Any) -> str:
    with stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{connection_id}/accounts").json()["records"]
        body: dict[str, Any] = {
            "customer_matching": "last_first",
            "accounts": {
                "deposit": next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"),
                "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
            },
            **settings,
        }
        if country == "US":
            body.update(sales_tax_item="", taxable_code="Non", tax_mode="quickbooks")
        created = client.post(
            "/api/v1/channels",
            json={"connection_id": connection_id, "kind": "custom_store", "name": name, "settings": body},
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


def push(stack: LocalStack, channel_id: str, docs: list[dict[str, Any]]) -> None:
    with stack.client() as client:
        pushed = client.post(f"/api/v1/channels/{channel_id}/orders", json={"orders": docs})
        assert pushed.status_code == 202, pushed.text


def seen(stack: LocalStack, channel_id: str) -> dict[str, dict[str, Any]]:
    with stack.client() as client:
        listed = client.get("/api/v1/orders", params={"channel": channel_id}).json()["orders"]
    return {o["number"]: o for o in listed}


def sale(company: CompanySimulator, kind: str, ref: str) -> dict[str, Any]:
    found = company.find_by_ref(kind, ref)
    assert len(found) == 1, found
    txn: dict[str, Any] = found[0]
    return txn


def home_amount(amount: str, rate: str) -> str:
    return str((Decimal(amount) * Decimal(rate)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def test_a_multicurrency_us_file_posts_eur_and_cad_orders_to_customers_in_those_currencies(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    conn, app_url, username, password = pair(local_stack, "Multicurrency US")
    company = company_file(
        tmp_path,
        "US",
        "USD",
        [
            ("Checking EUR", "Bank", "EUR"),
            ("Accounts Receivable - EUR", "AccountsReceivable", "EUR"),
            ("Accounts Receivable - CAD", "AccountsReceivable", "CAD"),
        ],
    )
    assert (
        run_session(app_url, username, password, company).outcome == "completed"
    )  # lists and preference read
    with local_stack.client() as client:
        refused = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Bad",
                "settings": {
                    "accounts": {"deposit": "Undeposited Funds"},
                    "missing_items": "fail",
                    "receivable_accounts": {"EUR": "Nope"},
                    "deposit_accounts": {"EUR": "Checking"},  # a US Dollar bank account
                },
            },
        )
    # Named, checked against the company file: an account that does not exist, one in another currency.
    assert refused.status_code == 400, refused.text
    fields = refused.json()["details"]["fields"]
    assert set(fields) == {"settings.receivable_accounts.EUR", "settings.deposit_accounts.EUR"}
    assert (
        "US Dollar" in fields["settings.deposit_accounts.EUR"]
        and "Euro" in fields["settings.deposit_accounts.EUR"]
    )
    receipts = channel(local_stack, conn["id"], "Receipts", "US", deposit_accounts={"EUR": "Checking EUR"})
    invoices = channel(
        local_stack,
        conn["id"],
        "Invoices",
        "US",
        transaction_type="invoice",
        receivable_accounts={"EUR": "Accounts Receivable - EUR"},
    )
    push(local_stack, receipts, [order("E-1", "EUR", "1.1"), order("U-1", "USD")])
    refunded = order("E-2", "EUR")
    refunded["refunds"] = [
        {
            "id": "r1",
            "created_at": "2026-11-21T10:00:00Z",
            "amount": "8.00",
            "lines": [{"line_id": "1", "quantity": 1, "amount": "8.00"}],
        }
    ]
    push(local_stack, invoices, [refunded, order("C-1", "CAD", "0.7312")])

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    states = {**seen(local_stack, receipts), **seen(local_stack, invoices)}
    assert {n: o["status"] for n, o in states.items()} == dict.fromkeys(
        ["E-1", "U-1", "E-2", "C-1"], "synced"
    ), [o["error"] for o in states.values()]

    euro = company.find("Customer", "Lee, Ann (EUR)")
    assert euro is not None and euro["CurrencyRef"]["FullName"] == "Euro"  # created in the currency
    canadian = company.find("Customer", "Lee, Ann (CAD)")
    assert canadian is not None and canadian["CurrencyRef"]["FullName"] == "Canadian Dollar"
    home = company.find("Customer", "Lee, Ann")
    assert home is not None and home["CurrencyRef"]["FullName"] == "US Dollar"

    eur_receipt = sale(company, "SalesReceipt", "E-1")
    assert eur_receipt["CustomerRef"]["FullName"] == "Lee, Ann (EUR)"
    assert eur_receipt["DepositToAccountRef"]["FullName"] == "Checking EUR"
    assert (eur_receipt["TotalAmount"], eur_receipt["ExchangeRate"]) == ("36.35", "1.1")
    assert eur_receipt["TotalAmountInHomeCurrency"] == home_amount("36.35", "1.1") == "39.99"
    usd_receipt = sale(company, "SalesReceipt", "U-1")
    assert usd_receipt["CustomerRef"]["FullName"] == "Lee, Ann"
    assert (usd_receipt["ExchangeRate"], usd_receipt["TotalAmountInHomeCurrency"]) == ("1", "36.35")

    eur_invoice = sale(company, "Invoice", "E-2")  # no rate from the store: QuickBooks' own
    quickbooks_rate = company.find("Currency", "Euro")["ExchangeRate"]  # type: ignore[index]
    assert eur_invoice["ARAccountRef"]["FullName"] == "Accounts Receivable - EUR"
    assert eur_invoice["ExchangeRate"] == quickbooks_rate
    assert eur_invoice["BalanceRemainingInHomeCurrency"] == home_amount("36.35", quickbooks_rate)
    credit = sale(company, "CreditMemo", "E-2-R1")  # the refund: same customer, currency and A/R account
    assert (
        credit["CustomerRef"]["FullName"] == "Lee, Ann (EUR)" and credit["CurrencyRef"]["FullName"] == "Euro"
    )
    assert credit["ARAccountRef"]["FullName"] == "Accounts Receivable - EUR"
    assert credit["CreditRemainingInHomeCurrency"] == home_amount(credit["CreditRemaining"], quickbooks_rate)
    cad_invoice = sale(company, "Invoice", "C-1")  # no A/R account set for CAD: QuickBooks' A/R in CAD
    assert cad_invoice["ARAccountRef"]["FullName"] == "Accounts Receivable - CAD"
    assert cad_invoice["BalanceRemainingInHomeCurrency"] == home_amount("36.35", "0.7312") == "26.58"
    assert company.external_guid_counts().most_common(1)[0][1] == 1


def test_a_multicurrency_uk_file_posts_a_usd_order(local_stack: LocalStack, tmp_path: Path) -> None:
    conn, app_url, username, password = pair(local_stack, "Multicurrency UK")
    company = company_file(tmp_path, "UK", "GBP", [("Bank USD", "Bank", "USD")])
    assert run_session(app_url, username, password, company).outcome == "completed"
    shop = channel(local_stack, conn["id"], "Shop", "UK", deposit_accounts={"USD": "Bank USD"})
    push(local_stack, shop, [order("D-1", "USD", "0.79"), order("G-1", "GBP")])
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    states = seen(local_stack, shop)
    assert {o["status"] for o in states.values()} == {"synced"}, [o["error"] for o in states.values()]
    dollars = sale(company, "SalesReceipt", "D-1")
    assert dollars["CustomerRef"]["FullName"] == "Lee, Ann (USD)"
    assert dollars["CurrencyRef"]["FullName"] == "US Dollar"
    assert dollars["TotalAmountInHomeCurrency"] == home_amount(dollars["TotalAmount"], "0.79")
    pounds = sale(company, "SalesReceipt", "G-1")
    assert pounds["CurrencyRef"]["FullName"] == "British Pound Sterling" and pounds["ExchangeRate"] == "1"


def test_a_file_without_multicurrency_refuses_a_foreign_order_and_posts_the_others(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    conn, app_url, username, password = pair(local_stack, "Single currency")
    company = company_file(tmp_path, "US", None, [])
    assert run_session(app_url, username, password, company).outcome == "completed"
    shop = channel(local_stack, conn["id"], "Shop", "US")
    push(local_stack, shop, [order("E-9", "EUR", "1.08"), order("U-9", "USD"), order("N-9", None)])
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    states = seen(local_stack, shop)
    assert {n: o["status"] for n, o in states.items()} == {"E-9": "failed", "U-9": "synced", "N-9": "synced"}
    error = json.dumps(states["E-9"]["error"])
    assert "EUR" in error and "multiple currencies" in error
    assert company.find_by_ref("SalesReceipt", "E-9") == []  # nothing was sent for it
    assert company.find("Customer", "Lee, Ann (EUR)") is None
    assert "CurrencyRef" not in sale(company, "SalesReceipt", "U-9")
