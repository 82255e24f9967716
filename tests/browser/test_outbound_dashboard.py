"""QuickBooks outbound in the dashboard, in a real browser against the running local stack: a WooCommerce
channel set up to receive QuickBooks quantities (directions as checkboxes, inventory options), the local
runner pushing them after a Web Connector session, and the Inventory view with the unmatched SKU and its
problem; a ShipStation channel sending QuickBooks sales (its class from the company's class list), the
ShipStation orders view, and a task's "Run now" reading the shipment with its tracking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from ledgerbridge.fakes.woocommerce import FakeWooCommerce
from ledgerbridge.simulators.sale_mods import SaleLineSpec
from ledgerbridge.simulators.webconnector import run_session
from tests.browser.conftest import shoot
from tests.browser.test_dashboard import channel_id, go, paired_company, sign_in

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]

ADDRESS = {
    "Addr1": "Maya Lindqvist",
    "Addr2": "410 Mill Road",
    "City": "Tacoma",
    "State": "WA",
    "PostalCode": "98402",
    "Country": "USA",
}


def directions(page: Page) -> Locator:
    return page.get_by_role("group", name="Sync directions")


def test_woocommerce_inventory_pushed_and_unmatched_skus_listed(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    _conn, company, wc = paired_company(stack, tmp_path, "Stock company")
    names = company.add_inventory_items(3, prefix="SKU-", quantity=7)
    woo = FakeWooCommerce()
    with woo:
        for name in names[:2]:  # the third item has no product in the store
            woo.add_product(name, quantity=0)
        sign_in(page, stack)
        go(page, "Channels")
        page.get_by_role("button", name="Add channel").click()
        page.get_by_label("Connection", exact=True).select_option(label="Stock company")
        page.get_by_label("Store kind").select_option("woocommerce")
        page.get_by_label("Channel name").fill("Heron Woo")
        page.get_by_label("Store address").fill(woo.base_url)
        page.get_by_label("Consumer key").fill(woo.consumer_key)
        page.get_by_label("Consumer secret").fill(woo.consumer_secret)

        # The directions a WooCommerce store fits, each one's options shown when it is checked
        expect(directions(page).get_by_role("checkbox")).to_have_count(2)
        orders = directions(page).get_by_role("checkbox", name="Orders into QuickBooks")
        inventory = directions(page).get_by_role("checkbox", name="Inventory to the store")
        expect(orders).to_be_checked()
        expect(inventory).not_to_be_checked()
        expect(page.get_by_role("checkbox", name="QuickBooks sales to ShipStation")).to_have_count(0)
        expect(page.get_by_label("Inventory site")).to_be_hidden()
        inventory.check()
        orders.uncheck()
        expect(page.get_by_label("Inventory site")).to_be_visible()
        expect(page.get_by_text("Optional: this channel brings no orders into QuickBooks.")).to_be_visible()
        page.get_by_role("checkbox", name="Subtract quantities on sales orders").check()
        page.get_by_label("Full inventory pass every (minutes)").fill("120")
        shoot(page, "17-channel-form-inventory")
        page.get_by_role("button", name="Add channel and check credentials").click()  # no deposit account
        expect(page.get_by_role("status").filter(has_text="Saved Heron Woo")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="Heron Woo")
        expect(row.locator("ul.directions")).to_have_text("Inventory to the store")
        with stack.client() as client:
            chan = client.get(f"/api/v1/channels/{channel_id(client, 'Heron Woo')}").json()
        assert chan["settings"]["directions"] == ["inventory_to_store"]
        assert chan["settings"]["subtract_sales_orders"] is True
        assert chan["settings"]["full_inventory_every_minutes"] == 120
        assert chan["settings"]["inventory_site"] == "" and chan["settings"]["accounts"]["deposit"] == ""
        page.get_by_role("button", name="Edit Heron Woo").click()  # the saved options come back
        expect(directions(page).get_by_role("checkbox", name="Inventory to the store")).to_be_checked()
        expect(directions(page).get_by_role("checkbox", name="Orders into QuickBooks")).not_to_be_checked()
        expect(page.get_by_role("checkbox", name="Subtract quantities on sales orders")).to_be_checked()
        expect(page.get_by_label("Full inventory pass every (minutes)")).to_have_value("120")
        page.get_by_role("button", name="Cancel").click()

        # A Web Connector session reads the quantities; the local runner pushes them to the store.
        app_url, username, password = wc
        assert run_session(app_url, username, password, company).outcome == "completed"
        row.get_by_role("link", name="Inventory of Heron Woo").click()
        expect(page.get_by_role("heading", level=1, name="Inventory")).to_be_visible()
        expect(page.get_by_label("Channel", exact=True)).to_have_value(chan["id"])
        summary = page.get_by_role("region", name="Inventory summary")
        # The view follows pending quantities by itself until the store took them.
        expect(summary.locator("dd[data-count=pushed]")).to_have_text("2", timeout=30_000)
        expect(summary.locator("dd[data-count=pending]")).to_have_text("0")
        expect(summary.locator(".last-push")).to_contain_text("quantities")
        expect(summary.get_by_role("alert")).to_have_count(0)
        assert woo.stock(names[0]) == 7 and woo.stock(names[1]) == 7
        for name in names[:2]:
            expect(page.locator(f"tr[data-sku='{name}'] .badge")).to_have_text("Pushed")
        summary.get_by_role("button", name="Show unmatched items").click()
        expect(page.get_by_label("Status")).to_have_value("unmatched")
        expect(page.locator(f"tr[data-sku='{names[0]}']")).to_have_count(0)
        expect(page.locator("tbody .badge:not([data-state=unmatched])")).to_have_count(0)
        missing = page.locator(f"tr[data-sku='{names[2]}']")
        expect(missing.locator(".badge")).to_have_text("Unmatched")
        expect(missing.locator(".problem")).to_contain_text(f"has the SKU '{names[2]}'")
        shoot(page, "18-inventory-unmatched")


def test_shipstation_orders_view_and_run_now_reads_the_tracking(page, dashboard_stack, shipstation, tmp_path):
    stack = dashboard_stack
    _conn, company, wc = paired_company(stack, tmp_path, "Shipping company")
    company.add_inventory_items(1, prefix="BOX-", quantity=20)
    sign_in(page, stack)
    go(page, "Channels")
    page.get_by_role("button", name="Add channel").click()
    page.get_by_label("Connection", exact=True).select_option(label="Shipping company")
    page.get_by_label("Store kind").select_option("shipstation")
    page.get_by_label("Channel name").fill("Heron ShipStation")
    page.get_by_role("textbox", name="API key", exact=True).fill(shipstation.api_key)
    page.get_by_label("API secret").fill(shipstation.api_secret)
    expect(directions(page).get_by_role("checkbox")).to_have_count(2)
    expect(directions(page).get_by_role("checkbox", name="Inventory to the store")).to_have_count(0)
    directions(page).get_by_role("checkbox", name="QuickBooks sales to ShipStation").check()
    directions(page).get_by_role("checkbox", name="Orders into QuickBooks").uncheck()
    # The class drop-down holds the company's classes, "every class", and the default when it is missing.
    classes = page.get_by_label("ShipStation class")
    expect(classes).to_be_visible()
    expect(classes).to_have_value("ShipStation")
    expect(classes.locator("option")).to_contain_text(
        ["Every class (every sale)", "Online", "Online:Marketplace", "ShipStation (not in the lists read)"]
    )
    classes.select_option("Online")
    page.get_by_label("Shipping cost goes to").select_option("line")
    shoot(page, "19-channel-form-shipstation")
    page.get_by_role("button", name="Add channel and check credentials").click()
    expect(page.get_by_role("status").filter(has_text="Saved Heron ShipStation")).to_be_visible()
    with stack.client() as client:
        chan = client.get(f"/api/v1/channels/{channel_id(client, 'Heron ShipStation')}").json()
    assert chan["settings"]["directions"] == ["quickbooks_to_shipstation"]
    assert chan["settings"]["shipstation_class"] == "Online"
    assert chan["settings"]["shipping_cost_to"] == "line"

    sale = company.add_sales_order(
        customer="Alder Creek Outfitters",
        lines=[SaleLineSpec("BOX-00001", quantity=2, rate="12.00")],
        class_name="Online",
        ship_address=ADDRESS,
        ship_method="UPS",
        ref_number="<b>SO-1</b>",
    )
    app_url, username, password = wc
    assert run_session(app_url, username, password, company).outcome == "completed"
    page.get_by_role("row").filter(has_text="Heron ShipStation").get_by_role(
        "link", name="ShipStation orders of Heron ShipStation"
    ).click()
    expect(page.get_by_role("heading", level=1, name="ShipStation orders")).to_be_visible()
    sent = page.locator(f"tr[data-txn='{sale['TxnID']}']")
    expect(sent.locator(".badge")).to_have_text("In ShipStation", timeout=30_000)
    expect(sent.get_by_role("cell", name="Sales order <b>SO-1</b>", exact=True)).to_be_visible()
    assert page.locator("main b").count() == 0

    # Shipped in ShipStation; "Run now" reads the shipment without waiting for the schedule
    shipstation.now = datetime.now(UTC)
    shipstation.ship(
        sale["TxnID"],
        tracking_number="1ZBROWSER01",
        carrier_code="ups",
        shipment_cost="7.25",
        ship_date=date(2026, 11, 21),
    )
    go(page, "Tasks")
    page.get_by_role("button", name="Run now Read shipments from Heron ShipStation").click()
    expect(page.get_by_role("status").filter(has_text="queued to run now")).to_be_visible()
    shoot(page, "20-task-run-now")
    go(page, "ShipStation orders")
    page.get_by_label("Channel", exact=True).select_option(label="Heron ShipStation")
    page.get_by_label("Status").select_option("shipped")
    shipped = page.locator(f"tr[data-txn='{sale['TxnID']}']")
    for _ in range(60):  # the run is queued: the local runner takes it within a tick or two
        if shipped.count() and shipped.locator(".badge").inner_text() == "Shipped":
            break
        page.wait_for_timeout(1000)
        page.get_by_role("button", name="Reload").click()
    expect(shipped.locator(".badge")).to_have_text("Shipped")
    expect(shipped.locator(".tracking")).to_contain_text("1ZBROWSER01")
    expect(shipped.locator(".tracking")).to_contain_text("shipped 2026-11-21")
    expect(shipped.locator(".problem")).to_contain_text(
        "written to QuickBooks on the Web Connector's next run"
    )
    shoot(page, "21-shipstation-orders-shipped")
