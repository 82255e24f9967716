"""Sales tax that matches the store, end to end: orders pushed over HTTP to the running local stack reach the
simulated QuickBooks company through Web Connector sessions. A US file in the store's tax mode (a zero-rate
header item and the tax as a line of each state's sales tax item, a marketplace's tax dropped) and a Canadian
file with tax codes chosen by province and by rate; bad tax settings are refused naming the field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.sales_tax import payable_by_agency
from ledgerbridge.simulators.webconnector import run_session
from tests.e2e.test_web_connector_e2e import pair
from tests.unit.orders.to_quickbooks.sales_tax_company import STATE_TAX, add_state_tax_items

CENT = Decimal("0.01")


def order_doc(
    number: str, state: str, country: str, rate: str, lines: list[tuple[str, int, bool]], **extra: Any
) -> dict[str, Any]:
    """A store order taxed per line at `rate` percent (each line's tax rounded), shipping taxed too."""
    docs, total, tax_total = [], Decimal(0), Decimal(0)
    for index, (price, quantity, taxable) in enumerate(lines):
        amount = Decimal(price) * quantity
        tax = (amount * Decimal(rate) / 100).quantize(CENT, ROUND_HALF_UP) if taxable else Decimal(0)
        docs.append(
            {
                "id": str(index + 1),
                "sku": f"TAX-SKU-{index}",
                "title": f"Thing {index}",
                "quantity": quantity,
                "unit_price": price,
                "tax": str(tax),
                "taxable": taxable,
            }
        )
        total, tax_total = total + amount + tax, tax_total + tax
    shipping_tax = (Decimal("6.00") * Decimal(rate) / 100).quantize(CENT, ROUND_HALF_UP)
    total += Decimal("6.00") + shipping_tax
    return {
        "id": number,
        "number": number,
        "created_at": "2026-11-20T10:00:00Z",
        "customer": {"first_name": "Tess", "last_name": f"Buyer {number}"},
        "shipping_address": {
            "name": "Tess",
            "line1": "1 Main St",
            "city": "Town",
            "state": state,
            "country": country,
        },
        "lines": docs,
        "shipping_lines": [{"title": "Ground", "price": "6.00", "tax": str(shipping_tax)}],
        "total": str(total),
        **extra,
    }


def tax_of(doc: dict[str, Any]) -> Decimal:
    return sum((Decimal(ln["tax"]) for ln in doc["lines"]), Decimal(0)) + Decimal(
        doc["shipping_lines"][0]["tax"]
    )


def create_channel(client: Any, conn_id: str, settings: dict[str, Any]) -> Any:
    accounts = client.get(f"/api/v1/connections/{conn_id}/accounts").json()["records"]
    settings["accounts"] = {
        "deposit": next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"),
        "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
    }
    return client.post(
        "/api/v1/channels",
        json={"connection_id": conn_id, "kind": "custom_store", "name": "Taxed Shop", "settings": settings},
    )


def test_us_store_tax_lands_per_agency_and_quickbooks_totals_are_the_stores(local_stack, tmp_path):
    conn, app_url, username, password = pair(local_stack, "Sales tax US")
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    add_state_tax_items(company)
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached
    settings: dict[str, Any] = {
        "transaction_type": "sales_receipt",
        "zero_rate_tax_item": "Out of State",
        "state_tax_items": {s: item for s, (item, _, _) in STATE_TAX.items()},
    }
    orders = [
        order_doc("T-1", "CA", "US", "9.5", [("19.99", 2, True), ("5.00", 1, False)]),
        order_doc("T-2", "ca", "US", "10.25", [("7.77", 3, True)]),
        order_doc("T-3", "NY", "US", "8.875", [("120.00", 1, True), ("3.33", 3, True)]),
        order_doc("T-4", "TX", "US", "8.25", [("49.95", 1, True)]),
        order_doc("T-5", "WA", "US", "10.25", [("12.34", 1, True)]),
        order_doc("T-6", "OR", "US", "0", [("30.00", 1, True)]),  # no sales tax: no tax line
        order_doc("T-7", "TX", "US", "6.25", [("80.00", 1, True)], tax_collected_by_marketplace=True),
    ]
    with local_stack.client() as client:
        refused = create_channel(client, conn["id"], {**settings, "zero_rate_tax_item": "Bayview Combined"})
        assert (
            refused.status_code == 400
            and "settings.zero_rate_tax_item" in refused.json()["details"]["fields"]
        )
        refused = create_channel(client, conn["id"], {**settings, "state_tax_items": {"CA": "No Such Tax"}})
        assert refused.status_code == 400
        assert "is not a sales tax item" in refused.json()["details"]["fields"]["settings.state_tax_items.CA"]
        refused = create_channel(client, conn["id"], {**settings, "tax_mode": "store's"})
        assert refused.status_code == 400 and "settings.tax_mode" in refused.text
        channel = create_channel(client, conn["id"], settings)
        assert channel.status_code == 201, channel.text
        assert channel.json()["settings"]["tax_mode"] == "store"  # the default
        channel_id = channel.json()["id"]
        pushed = client.post(f"/api/v1/channels/{channel_id}/orders", json={"orders": orders})
        assert pushed.status_code == 202 and pushed.json()["counts"]["new"] == len(orders)

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    with local_stack.client() as client:
        seen = client.get("/api/v1/orders", params={"channel": channel_id}).json()["orders"]
    assert {o["status"] for o in seen} == {"synced"} and [o["error"] for o in seen] == [None] * len(orders)

    receipts = {r["RefNumber"]: r for r in company.sales("SalesReceipt")}
    assert len(receipts) == len(orders)
    expected_by_agency: dict[str, Decimal] = {}
    for doc in orders:
        receipt = receipts[doc["number"]]
        tax = tax_of(doc)
        marketplace = doc.get("tax_collected_by_marketplace", False)
        assert receipt["ItemSalesTaxRef"]["FullName"] == "Out of State" and receipt["SalesTaxTotal"] == "0.00"
        assert Decimal(receipt["TotalAmount"]) == Decimal(doc["total"]) - (tax if marketplace else 0)
        tax_lines = [ln for ln in receipt["SalesReceiptLineRet"] if "State" in ln["ItemRef"]["FullName"]]
        if tax and not marketplace:
            item, _, agency = STATE_TAX[doc["shipping_address"]["state"].upper()]
            assert [(ln["ItemRef"]["FullName"], Decimal(ln["Amount"])) for ln in tax_lines] == [(item, tax)]
            expected_by_agency[agency] = expected_by_agency.get(agency, Decimal(0)) + tax
        else:
            assert tax_lines == []
    assert payable_by_agency(company) == expected_by_agency


def test_canadian_codes_by_province_and_rate_make_quickbooks_tax_the_stores(local_stack, tmp_path):
    conn, app_url, username, password = pair(local_stack, "Sales tax CA")
    company = CompanySimulator.open(tmp_path / "company.json", country="CA")
    assert run_session(app_url, username, password, company).outcome == "completed"
    settings: dict[str, Any] = {
        "transaction_type": "invoice",
        "tax_code": "G",
        "exempt_tax_code": "E",
        "province_tax_codes": {"BC": "S"},  # GST + PST 12%
        "rate_tax_codes": {"5": "G", "12": "S", "0": "Z"},
    }
    orders = [
        order_doc("C-1", "BC", "CA", "12", [("10.00", 2, True), ("4.00", 1, False)]),
        order_doc("C-2", "AB", "CA", "5", [("33.33", 3, True)]),  # by rate: G
        order_doc("C-3", "SK", "CA", "12", [("19.95", 1, True)]),  # by rate: S
    ]
    with local_stack.client() as client:
        refused = create_channel(client, conn["id"], {**settings, "province_tax_codes": {"ON": "HST"}})
        assert refused.status_code == 400
        assert "settings.province_tax_codes.ON" in refused.json()["details"]["fields"]
        channel = create_channel(client, conn["id"], settings)
        assert channel.status_code == 201, channel.text
        channel_id = channel.json()["id"]
        pushed = client.post(f"/api/v1/channels/{channel_id}/orders", json={"orders": orders})
        assert pushed.status_code == 202

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    with local_stack.client() as client:
        seen = client.get("/api/v1/orders", params={"channel": channel_id}).json()["orders"]
    assert {o["status"] for o in seen} == {"synced"} and [o["error"] for o in seen] == [None] * len(orders)
    invoices = {i["RefNumber"]: i for i in company.sales("Invoice")}
    codes = {
        ref: [ln["SalesTaxCodeRef"]["FullName"] for ln in inv["InvoiceLineRet"]]
        for ref, inv in invoices.items()
    }
    assert codes == {"C-1": ["S", "E", "S"], "C-2": ["G", "G"], "C-3": ["S", "S"]}
    for doc in orders:
        invoice = invoices[doc["number"]]
        assert "ItemSalesTaxRef" not in invoice
        assert Decimal(invoice["SalesTaxTotal"]) == tax_of(doc)
        assert Decimal(invoice["BalanceRemaining"]) == Decimal(doc["total"])
