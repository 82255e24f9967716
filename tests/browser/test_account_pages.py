"""The API keys page and the Sales page in a real browser (Debian's chromium, Playwright): a key created with a
label is shown once and listed by its prefix only; the daily summary's address is refused in words when it is not
one, then saved; the Sales page draws its charts as SVG from the orders (no library, nothing from elsewhere)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledgerbridge.simulators.webconnector import run_session
from tests.browser.conftest import shoot
from tests.browser.test_dashboard import accounts_of, go, order, paired_company, sign_in

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]


def test_a_key_is_shown_once_and_the_summary_address_is_checked(page, dashboard_stack):
    sign_in(page, dashboard_stack)
    go(page, "API keys")
    page.get_by_label("Label", exact=True).fill("Warehouse script")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("New API key").inner_text()
    assert secret.startswith("lbk_")
    row = page.get_by_role("table", name="API keys").get_by_role("row").filter(has_text="Warehouse script")
    expect(row).to_contain_text("Active")
    expect(row).not_to_contain_text(secret)  # listed by its prefix only

    address = page.get_by_label("Daily summary to", exact=True)
    address.fill("not an address")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("must be an e-mail address such as owner@example.com")).to_be_visible()
    address.fill("owner@heron.example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The daily summary goes to owner@heron.example.")).to_be_visible()
    shoot(page, "account-keys")
    with dashboard_stack.client() as client:
        assert client.get("/api/v1/account").json()["summary_email"] == "owner@heron.example"


def test_the_sales_page_draws_the_orders_it_has(page, dashboard_stack, tmp_path):
    conn, company, (app_url, username, password) = paired_company(dashboard_stack, tmp_path, "Chart Co")
    with dashboard_stack.client() as client:
        accounts = accounts_of(client, conn["id"])
        settings = {
            "accounts": {
                "deposit": next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"),
                "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
            },
            "missing_items": "create_non_inventory",
        }
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Chart shop",
                "settings": settings,
            },
        )
        assert created.status_code == 201, created.text
        docs = [order(f"CHART-{n}", f"MUG-{n % 2}") for n in range(3)]
        pushed = client.post(f"/api/v1/channels/{created.json()['id']}/orders", json={"orders": docs})
        assert pushed.status_code == 202, pushed.text
    assert run_session(app_url, username, password, company).outcome == "completed"

    sign_in(page, dashboard_stack)
    go(page, "Sales")
    chart = page.get_by_role("img", name="Orders per day: in QuickBooks, failed and waiting")
    expect(chart).to_be_visible()
    assert chart.evaluate("node => node.namespaceURI") == "http://www.w3.org/2000/svg"
    expect(page.get_by_text("Chart shop").first).to_be_visible()
    shoot(page, "sales-at-a-glance")
