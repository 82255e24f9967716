"""The Accounting part of the channel settings form (chalicelib/dashboard/accounting.js) in a real browser: the
settings of issue 15 set from the form, saved, shown again after a reload and read back through the API; a name
the company file does not have is refused by the API and its message shown beside the row that named it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.groups import add_group_item
from ledgerbridge.simulators.webconnector import run_session
from tests.browser.conftest import shoot
from tests.browser.test_dashboard import go, sign_in
from tests.e2e.test_web_connector_e2e import pair

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]

CHANNEL = "Books shop"


def _channel(client, name: str) -> dict[str, Any]:
    channels: list[dict[str, Any]] = client.get("/api/v1/channels").json()["channels"]
    return next(c for c in channels if c["name"] == name)


def _open_settings(page) -> None:
    go(page, "Channels")
    page.get_by_role("button", name=f"Edit {CHANNEL}").click()
    expect(page.get_by_role("group", name="Accounting")).to_be_visible()


def _add_row(page, table: str, key_label: str, value_label: str, key: str, value: str) -> None:
    group = page.get_by_role("group", name=table)
    group.get_by_role("button", name=f"Add {key_label.lower()}", exact=True).click()
    group.get_by_label(key_label, exact=True).last.fill(key)
    group.get_by_label(value_label, exact=True).last.fill(value)


def test_accounting_settings_are_saved_kept_and_refused_at_their_field(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    conn, app_url, username, password = pair(stack, "Accounting Books")
    # Its own company name: the session's other tests find their connection by the sample company's name.
    company = CompanySimulator.open(tmp_path / "books.json", company_name="Books and Bundles Co")
    add_group_item(company, "Camp Kit", [("Dry Bag 20L", Decimal(1)), ("Rope (per ft)", Decimal(10))])
    assert run_session(app_url, username, password, company).outcome == "completed"  # the lists cached
    with stack.client() as client:
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": CHANNEL,
                "settings": {"accounts": {"deposit": "Undeposited Funds"}, "missing_items": "fail"},
            },
        )
        assert created.status_code == 201, created.text

    sign_in(page, stack)
    _open_settings(page)
    # Fields that depend on a choice show when it applies.
    expect(page.get_by_label("Marketplace tax item", exact=True)).to_be_hidden()
    page.get_by_label("Tax a marketplace collected", exact=True).select_option("liability")
    expect(page.get_by_label("Marketplace tax item", exact=True)).to_be_visible()
    page.get_by_label("Tax a marketplace collected", exact=True).select_option("drop")
    expect(page.get_by_label("Summary customer", exact=True)).to_be_hidden()
    expect(page.get_by_role("group", name="Group item by bundle SKU")).to_be_hidden()

    page.get_by_label("Customer matching", exact=True).select_option("first_last_email")
    page.get_by_label("Sales tax", exact=True).select_option("store")
    page.get_by_label("Zero-rate tax item", exact=True).fill("Out of State")
    _add_row(page, "Sales tax item by state", "State", "Sales tax item", "wa", "WA State")
    page.get_by_label("Summary", exact=True).select_option("daily")
    page.get_by_label("Summary customer", exact=True).fill("Web Store Daily")
    page.get_by_label("Time zone of the day", exact=True).fill("America/New_York")
    _add_row(page, "Deposit account by currency", "Currency", "Bank or asset account", "EUR", "Checking")
    _add_row(
        page,
        "Payment method by store gateway",
        "Store gateway or method",
        "QuickBooks payment method",
        "paypal",
        "Visa",
    )
    expect(page.get_by_label("Record the store's payments on invoices")).to_be_hidden()  # a sales receipt's
    page.get_by_label("Bundles", exact=True).select_option("group")
    _add_row(page, "Group item by bundle SKU", "Bundle SKU", "Group item", "CAMP-KIT", "Camp Kit")
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_role("status").filter(has_text=f"Saved {CHANNEL}.")).to_be_visible()

    with stack.client() as client:
        saved = _channel(client, CHANNEL)["settings"]
    assert saved["customer_matching"] == "first_last_email"
    assert saved["tax_mode"] == "store"
    assert saved["zero_rate_tax_item"] == "Out of State"
    assert saved["state_tax_items"] == {"WA": "WA State"}
    assert (saved["summary"], saved["summary_customer"]) == ("daily", "Web Store Daily")
    assert saved["summary_time_zone"] == "America/New_York"
    assert saved["deposit_accounts"] == {"EUR": "Checking"}
    assert saved["payment_methods"] == {"paypal": "Visa"} and saved["record_payments"] is True
    assert (saved["bundles"], saved["bundle_items"]) == ("group", {"CAMP-KIT": "Camp Kit"})
    assert saved["marketplace_tax"] == "drop" and saved["missing_items"] == "fail"  # the rest as it was

    page.reload()
    _open_settings(page)
    expect(page.get_by_label("Customer matching", exact=True)).to_have_value("first_last_email")
    expect(page.get_by_label("Summary", exact=True)).to_have_value("daily")
    expect(page.get_by_label("Summary customer", exact=True)).to_have_value("Web Store Daily")
    expect(page.get_by_label("Time zone of the day", exact=True)).to_have_value("America/New_York")
    states = page.get_by_role("group", name="Sales tax item by state")
    expect(states.get_by_label("State", exact=True)).to_have_value("WA")
    expect(states.get_by_label("Sales tax item", exact=True)).to_have_value("WA State")
    currencies = page.get_by_role("group", name="Deposit account by currency")
    expect(currencies.get_by_label("Bank or asset account", exact=True)).to_have_value("Checking")
    bundles = page.get_by_role("group", name="Group item by bundle SKU")
    expect(bundles.get_by_label("Group item", exact=True)).to_have_value("Camp Kit")
    shoot(page, "accounting-01-saved")

    # A tax item the company file does not have: the API's 400 names settings.state_tax_items.CA, shown at its row.
    _add_row(page, "Sales tax item by state", "State", "Sales tax item", "ca", "Nope Tax")
    page.get_by_role("button", name="Save channel").click()
    bad = states.get_by_label("Sales tax item", exact=True).last
    expect(bad).to_have_attribute("aria-invalid", "true")
    row_problem = states.locator(".kv-row").last.locator(".field-problem")
    expect(row_problem).to_have_text("'Nope Tax' is not a sales tax item in this company file")
    expect(bad).to_be_focused()
    shoot(page, "accounting-02-refused")
    # A shape the API refuses before any list is read: its words beside the field, under the field's label.
    states.get_by_role("button", name="Remove state ca").click()
    page.get_by_label("Time zone of the day", exact=True).fill("Mars/Olympus")
    page.get_by_role("button", name="Save channel").click()
    zone = page.get_by_label("Time zone of the day", exact=True)
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field").filter(has=zone).locator(".field-problem")).to_have_text(
        "Time zone of the day must be an IANA time zone such as America/New_York"
    )
    expect(states.get_by_label("Sales tax item", exact=True)).to_have_count(1)  # the refused row removed
    with stack.client() as client:
        assert _channel(client, CHANNEL)["settings"]["state_tax_items"] == {"WA": "WA State"}
