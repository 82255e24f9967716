"""Price levels, units of measure, inventory sites and bundles (as group items and as components) from the
store to the simulated QuickBooks company, through whole Web Connector sessions, for a US, a UK and a Canadian file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.groups import add_group_item
from ledgerbridge.simulators.units import add_price_level, add_unit_of_measure_set, set_item_unit_set
from ledgerbridge.simulators.webconnector import run_session
from tests.e2e.test_web_connector_e2e import pair

BAG, ROPE, WIDGET = "Dry Bag 20L", "Rope (per ft)", "Widgets:Blue Widget"
RATE = {"US": Decimal(0), "UK": Decimal("0.20"), "CA": Decimal("0.05")}  # the store's tax on every line
DISCOUNT = {"US": "Discount", "UK": "Discount", "CA": "Coupon $5"}  # the sample files' discount items


def set_up(company: CompanySimulator, country: str) -> None:
    """What the merchant has in QuickBooks: a price level, rope counted in feet and sold by the spool, a site,
    and a camp kit group (2 widgets and 10 ft of rope: 2 x 19.99 + 10 x 0.35 = 43.48)."""
    add_price_level(company, "Wholesale", percentage=Decimal("-10"))
    add_unit_of_measure_set(company, "Rope lengths", "Foot", [("Spool", Decimal(100))])
    set_item_unit_set(company, ROPE, "Rope lengths")
    company.add_inventory_site("Warehouse")
    for item in (BAG, ROPE, WIDGET):
        company.set_site_quantity(item, "Warehouse", Decimal(500))
    add_group_item(company, "Camp Kit", [(WIDGET, Decimal(2)), (ROPE, Decimal(10))], description="Camp kit")
    if country == "US":  # the store charges no tax here: the group's items are as non-taxable as the bundle
        non = company.find("SalesTaxCode", "Non")
        assert non is not None
        for item in (WIDGET, ROPE):
            live = company.lookup(("ItemInventory",), full_name=item)
            assert live is not None
            live[1]["SalesTaxCodeRef"] = {"FullName": "Non", "ListID": non["ListID"]}


def taxed(lines: list[dict[str, Any]], country: str) -> tuple[list[dict[str, Any]], Decimal]:
    """The lines with the store's tax on each (UK VAT 20%, Canadian GST 5%, none in the US file), and the
    order's total. The kit's price is one whose tax QuickBooks also gets to the cent: QuickBooks taxes the group's
    member lines and the adjustment one by one, so their roundings add up (see the docs)."""
    total = Decimal(0)
    for line in lines:
        amount = Decimal(line["unit_price"]) * Decimal(line["quantity"])
        tax = (amount * RATE[country]).quantize(Decimal("0.01"))
        if tax:
            line["tax"] = str(tax)
        total += amount + tax
    return lines, total


def order(order_id: str, lines: list[dict[str, Any]], country: str, **extra: Any) -> dict[str, Any]:
    lines, total = taxed(lines, country)
    return {
        "id": order_id,
        "number": order_id,
        "created_at": "2026-11-20T10:00:00Z",
        "customer": {"first_name": "Ann", "last_name": "Lee", "company": "Lee Camping"},
        "lines": lines,
        "payments": [{"method": "card", "amount": str(total)}],
        "payment_status": "paid",
        "total": str(total),
        **extra,
    }


def qoh(company: CompanySimulator, item: str) -> Decimal:
    found = company.find("ItemInventory", item)
    assert found is not None
    return Decimal(found["QuantityOnHand"])


def quickbooks_total(sale: dict[str, Any]) -> Decimal:
    return Decimal(sale["Subtotal"]) + Decimal(sale["SalesTaxTotal"])


@pytest.mark.parametrize(
    ("country", "transaction_type"), [("US", "sales_receipt"), ("UK", "invoice"), ("CA", "sales_receipt")]
)
def test_levels_units_sites_and_bundles_reach_quickbooks(local_stack, tmp_path, country, transaction_type):
    conn, app_url, username, password = pair(local_stack, f"Lines {country}")
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    set_up(company, country)
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached
    base: dict[str, Any] = {"transaction_type": transaction_type, "customer_matching": "company"}
    if country == "US":
        base.update(sales_tax_item="", taxable_code="Non", tax_mode="quickbooks")
    else:
        base.update(
            tax_code="S" if country == "UK" else "G", exempt_tax_code="Z", discount_item=DISCOUNT[country]
        )
    grouped = {
        **base,
        "price_level": "Wholesale",
        "units_of_measure": {ROPE: "Spool"},
        "inventory_sites": {"Main St": "Warehouse"},
        "bundles": "group",
        "bundle_items": {"KIT": "Camp Kit"},
    }
    components = {**base, "bundles": "components"}
    with local_stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
        for settings in (grouped, components):
            settings["accounts"] = {"deposit": deposit, "income": income}
        refused = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Bad",
                "settings": {**grouped, "price_level": "Nope", "bundle_items": {"KIT": BAG}},
            },
        )
        assert refused.status_code == 400
        fields = refused.json()["details"]["fields"]
        assert {"settings.price_level", "settings.bundle_items.KIT"} <= set(fields), fields
        channels = []
        for name, settings in (("Grouped", grouped), ("Components", components)):
            made = client.post(
                "/api/v1/channels",
                json={
                    "connection_id": conn["id"],
                    "kind": "custom_store",
                    "name": name,
                    "settings": settings,
                },
            )
            assert made.status_code == 201, made.text
            channels.append(made.json()["id"])
        first = order(
            "G-1",
            [
                {"id": "1", "sku": BAG, "title": "Dry bag", "quantity": 2, "unit_price": "34.00"},
                {"id": "2", "sku": ROPE, "title": "Rope, 100 ft spool", "quantity": 1, "unit_price": "30.00"},
                {"id": "3", "sku": "KIT", "title": "Camp kit", "quantity": 1, "unit_price": "42.18"},
            ],
            country,
            location="Main St",
        )
        second = order(
            "C-1",
            [
                {
                    "id": "1",
                    "sku": "TRAIL-KIT",
                    "title": "Trail kit",
                    "quantity": 2,
                    "unit_price": "50.00",
                    "components": [
                        {"sku": "Blue Widget", "title": "Blue widget", "quantity": 1},
                        {"sku": ROPE, "title": "Rope", "quantity": 5},
                    ],
                }
            ],
            country,
        )
        for channel_id, doc in zip(channels, (first, second), strict=True):
            pushed = client.post(f"/api/v1/channels/{channel_id}/orders", json={"orders": [doc]})
            assert pushed.status_code == 202, pushed.text
    before = {item: qoh(company, item) for item in (BAG, ROPE, WIDGET)}
    sites_before = {item: company.site_quantities(item)["Warehouse"][0] for item in (BAG, ROPE, WIDGET)}

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    with local_stack.client() as client:
        seen = [
            o for c in channels for o in client.get("/api/v1/orders", params={"channel": c}).json()["orders"]
        ]
    assert {o["status"] for o in seen} == {"synced"}, [o["error"] for o in seen]

    kind = "SalesReceipt" if transaction_type == "sales_receipt" else "Invoice"
    sales = {s["RefNumber"]: s for s in company.sales(kind)}
    grouped_sale, components_sale = sales["G-1"], sales["C-1"]
    # The store's totals, to the cent.
    assert quickbooks_total(grouped_sale) == Decimal(first["total"])
    assert quickbooks_total(components_sale) == Decimal(second["total"])
    # The bundle as QuickBooks' group: its members priced from the items, then the adjustment to the store's 42.18.
    (group,) = grouped_sale[f"{kind}LineGroupRet"]
    assert group["ItemGroupRef"]["FullName"] == "Camp Kit" and Decimal(group["TotalAmount"]) == Decimal(
        "43.48"
    )
    plain = grouped_sale[f"{kind}LineRet"]
    adjustment = [ln for ln in plain if ln["ItemRef"]["FullName"] == DISCOUNT[country]]
    assert [Decimal(ln["Amount"]) for ln in adjustment] == [Decimal("-1.30")]
    rope = next(ln for ln in plain if ln["ItemRef"]["FullName"] == ROPE)
    assert rope["UnitOfMeasure"] == "Spool" and Decimal(rope["Amount"]) == Decimal("30.00")
    # The bundle as its components: the price on the widget (counted once per kit), the rope at zero.
    lines = {ln["ItemRef"]["FullName"]: ln for ln in components_sale[f"{kind}LineRet"]}
    assert Decimal(lines[WIDGET]["Amount"]) == Decimal("100.00") and Decimal(lines[ROPE]["Amount"]) == 0
    # Stock: a spool is 100 ft; the kit takes 2 widgets and 10 ft; the components 2 widgets and 10 ft.
    assert qoh(company, ROPE) == before[ROPE] - 100 - 10 - 10
    assert qoh(company, WIDGET) == before[WIDGET] - 2 - 2
    assert qoh(company, BAG) == before[BAG] - 2
    # The grouped order's store location is the Warehouse site: its lines (and the group's members) leave from it.
    assert company.site_quantities(BAG)["Warehouse"][0] == sites_before[BAG] - 2
    assert company.site_quantities(ROPE)["Warehouse"][0] == sites_before[ROPE] - 110
    assert company.site_quantities(WIDGET)["Warehouse"][0] == sites_before[WIDGET] - 2
