"""Orders pushed over HTTP to `chalice local` reach the simulated QuickBooks company through whole Web
Connector sessions over SOAP, for a US and a UK company file."""

from __future__ import annotations

import copy

import pytest

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.e2e.test_web_connector_e2e import pair

ORDER = {
    "id": "A-1",
    "number": "A-1",
    "created_at": "2026-11-20T10:00:00Z",
    "customer": {
        "first_name": "Zoë",
        "last_name": "Ørsted",
        "company": "Ørsted & Søn",
        "email": "zoe@example.com",
    },
    "shipping_address": {
        "name": "Zoë Ørsted",
        "line1": "2 Quay St",
        "city": "Bristol",
        "postal_code": "BS1 4DJ",
        "country": "GB",
    },
    "lines": [
        {
            "id": "1",
            "sku": "TEA-EARL-GREY-250G-LOOSE-LEAF-TIN",
            "title": "Earl Grey 250 g 🍵",
            "quantity": 3,
            "unit_price": "8.00",
        },
        {
            "id": "2",
            "sku": "MUG-01",
            "title": "Mug",
            "quantity": 1,
            "unit_price": "12.00",
            "discount": "2.00",
        },
    ],
    "shipping_lines": [{"title": "Royal Mail", "price": "4.95"}],
    "discounts": [{"code": "WELCOME", "amount": "3.00"}],
    "payments": [{"method": "card", "amount": "35.95"}],
    "payment_status": "paid",
    "total": "35.95",
}


@pytest.mark.parametrize(("country", "transaction_type"), [("US", "sales_receipt"), ("UK", "invoice")])
def test_orders_reach_quickbooks_by_themselves(local_stack, tmp_path, country, transaction_type):
    conn, app_url, username, password = pair(local_stack, f"Orders {country}")
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached
    settings = {
        "transaction_type": transaction_type,
        "customer_matching": "company",
        "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
    }
    if country == "US":
        settings.update(sales_tax_item="", taxable_code="Non", tax_mode="quickbooks")
    with local_stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
        settings["accounts"] = {"deposit": deposit, "income": income}
        channel = client.post(
            "/api/v1/channels",
            json={"connection_id": conn["id"], "kind": "custom_store", "name": "Shop", "settings": settings},
        )
        assert channel.status_code == 201, channel.text
        channel_id = channel.json()["id"]
        orders = []
        for n in range(30):
            doc = copy.deepcopy(ORDER)
            doc["id"] = doc["number"] = f"A-{n}"
            orders.append(doc)
        pushed = client.post(f"/api/v1/channels/{channel_id}/orders", json={"orders": orders})
        assert pushed.status_code == 202 and pushed.json()["counts"]["new"] == 30

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    # Invoices get their store payments in a second round trip (docs/accounting/paid-invoices.md).
    assert report.round_trips == (2 if transaction_type == "invoice" else 1)

    with local_stack.client() as client:
        seen = client.get("/api/v1/orders", params={"channel": channel_id}).json()["orders"]
    assert len(seen) == 30 and {o["status"] for o in seen} == {"synced"}, [o["error"] for o in seen]
    kind = "SalesReceipt" if transaction_type == "sales_receipt" else "Invoice"
    sales = company.sales(kind)
    assert len(company.sales("ReceivePayment")) == (30 if kind == "Invoice" else 0)
    assert len(sales) == 30
    assert company.external_guid_counts().most_common(1)[0][1] == 1
    customer = company.find("Customer", "Ørsted & Søn")
    assert customer is not None  # Windows-1252 letters kept
    items = {i["Name"] for i in company.objects("ItemNonInventory")}
    assert any(name.startswith("TEA-EARL-GREY") and len(name) <= 31 for name in items)
