"""The guided setup walked in a real browser (Debian's chromium, Playwright), from an empty account to orders
synced: pairing, then a channel added, its directions, transaction type and accounts (drop-downs offering only
the account types that fit, Undeposited Funds and the income account most items use preselected), matching, a
test on a real order (the qbXML QuickBooks would receive, nothing sent), and the first sync switched on. Each
trap of the settings is refused at save with its reason beside the field; the setup is left and resumed; and
Refresh lists leaves the connections table in place."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from lxml import etree
from playwright.sync_api import expect

from ledgerbridge.fakes.custom_store import FakeCustomStore
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.browser.conftest import shoot
from tests.browser.test_dashboard import COMPANY, go, order_row, sign_in
from tests.conftest import LocalStack, start_stack, stop_stack

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]

FITTING = {
    "Deposit account": {"Bank", "OtherCurrentAsset"},
    "Income account": {"Income", "OtherIncome"},
    "Cost of goods sold account": {"CostOfGoodsSold"},
    "Inventory asset account": {"OtherCurrentAsset"},
    "Accounts receivable account": {"AccountsReceivable"},
}


@pytest.fixture(scope="module")
def dashboard_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of this walk's own: the account starts empty (overrides conftest's shared one here)."""
    stack = start_stack(tmp_path_factory.mktemp("setup-stack"), api_key="lbk_test_" + os.urandom(12).hex())
    yield stack
    stop_stack(stack)


def step_heading(page, number: int, name: str):
    return page.get_by_role("heading", name=f"Step {number} of 7: {name}")


def field_problem(page, label: str):
    return page.locator(".field").filter(has=page.get_by_label(label, exact=True)).locator(".field-problem")


def test_from_an_empty_account_to_orders_synced_through_the_guided_setup(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    company = CompanySimulator.open(tmp_path / "company.json", generated_items=6)
    sign_in(page, stack)
    expect(page.get_by_text("No connection yet")).to_be_visible()
    shoot(page, "setup-00-empty-account")

    # Pairing: create, .qwc, password, Web Connector (the user name shown), Connected
    page.get_by_role("button", name="New connection").click()
    page.get_by_label("Connection name").fill("Blue Heron")
    page.get_by_role("button", name="Create connection").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download .qwc file").click()
    qwc = etree.parse(info.value.path()).getroot()
    app_url, username = qwc.findtext("AppURL"), qwc.findtext("UserName")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Generate password").click()
    password = page.get_by_label("Web Connector password").text_content()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("ol.instructions .wc-username")).to_have_text(username)
    page.get_by_role("button", name="I clicked Update Selected").click()
    assert run_session(app_url, username, password, company).outcome == "completed"
    expect(page.locator(".verify-status")).to_contain_text(f"Connected to {COMPANY}", timeout=20_000)
    shoot(page, "setup-01-connected")

    # The wizard goes on: a channel (a store Ledgerbridge fetches), credentials checked with the store
    with stack.client() as client:
        conn_id = client.get("/api/v1/connections").json()["connections"][0]["id"]
        accounts = client.get(f"/api/v1/connections/{conn_id}/accounts").json()["records"]
        items = client.get(f"/api/v1/connections/{conn_id}/lists/item").json()["records"]
    types = {a["full_name"]: a["account_type"] for a in accounts}
    used = Counter(i["income_account"] for i in items if types.get(i.get("income_account")) == "Income")
    most_used_income = sorted(used.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    income_account = next(a for a in accounts if a["account_type"] == "Income")["full_name"]

    with FakeCustomStore() as store:
        page.get_by_role("button", name="Next: set up a channel").click()
        expect(step_heading(page, 1, "Channel")).to_be_visible()
        expect(page.locator(".wizard .wc-username")).to_have_text(username)
        page.get_by_label("Store kind").select_option("custom_store")
        page.get_by_label("Channel name").fill("Web shop")
        page.get_by_label("API address").fill(store.base_url)
        page.get_by_label("User name").fill(store.username)
        page.get_by_label("Password", exact=True).fill(store.password)
        shoot(page, "setup-02-channel")
        page.get_by_role("button", name="Add channel and check credentials").click()

        # Directions, transaction type
        expect(step_heading(page, 2, "Sync directions")).to_be_visible()
        # The store's orders from now on (a channel's first sync starts when it was added)
        store.now = datetime.now(UTC)
        first = store.add_order()
        for _ in range(2):
            store.add_order()
        directions = page.get_by_role("group", name="Sync directions")
        expect(directions.get_by_role("checkbox")).to_have_count(1)
        expect(directions.get_by_role("checkbox", name="Orders into QuickBooks")).to_be_checked()
        page.get_by_role("button", name="Next", exact=True).click()
        expect(step_heading(page, 3, "Transaction type")).to_be_visible()
        page.get_by_label("Transaction type").select_option("sales_receipt")
        page.get_by_role("button", name="Next", exact=True).click()

        # Accounts: only fitting types offered, the defaults preselected
        expect(step_heading(page, 4, "Accounts")).to_be_visible()
        deposit = page.get_by_label("Deposit account", exact=True)
        expect(deposit).to_have_value("Undeposited Funds")
        expect(page.get_by_label("Income account", exact=True)).to_have_value(most_used_income)
        for label, fitting in FITTING.items():
            offered = [
                v for v in page.get_by_label(label, exact=True).locator("option").all_inner_texts() if v
            ]
            offered = [v for v in offered if not v.startswith("\u2014")]
            assert offered and all(types[name] in fitting for name in offered), (label, offered)
            assert len(offered) == sum(a["account_type"] in fitting and a["is_active"] for a in accounts)
        shoot(page, "setup-03-accounts-defaults")

        # Trap 1: an account of a type that does not fit (a stale form, a type changed in QuickBooks): refused
        page.evaluate(
            "([name]) => { const s = document.querySelector('[data-field=\"settings.accounts.deposit\"]');"
            " const o = document.createElement('option'); o.value = name; o.textContent = name; s.append(o); }",
            [income_account],
        )
        deposit.select_option(income_account)
        page.get_by_role("button", name="Next", exact=True).click()
        problem = field_problem(page, "Deposit account")
        expect(problem).to_have_text(
            f"'{income_account}' is an Income account; the deposit account must be a Bank or Other Current "
            "Asset account (Undeposited Funds is one)"
        )
        expect(deposit).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".wizard .error")).to_have_text("Not saved: fix the highlighted field.")
        assert "settings." not in page.locator(".wizard").inner_text()
        shoot(page, "setup-04-trap-account-type-refused")

        # Trap 2: creating missing products with no income account would fail every such order: refused
        deposit.select_option("Undeposited Funds")
        page.get_by_label("Income account", exact=True).select_option("")
        page.get_by_role("button", name="Next", exact=True).click()
        expect(field_problem(page, "Income account")).to_contain_text(
            "Income account is needed to create missing products in QuickBooks"
        )
        expect(field_problem(page, "Deposit account")).to_have_count(0)  # each message once, where it belongs
        shoot(page, "setup-05-trap-no-income-refused")
        page.get_by_label("Income account", exact=True).select_option(most_used_income)
        page.get_by_role("button", name="Next", exact=True).click()

        # Matching; then the setup is left ...
        expect(step_heading(page, 5, "Matching")).to_be_visible()
        page.get_by_label("Customer matching").select_option("last_first")
        page.get_by_role("button", name="Next", exact=True).click()
        expect(step_heading(page, 6, "Test on an order")).to_be_visible()
        page.get_by_role("button", name="Close").click()

        # ... and resumed from what the server has: the channel, paused until the test
        row = page.get_by_role("row").filter(has_text="Blue Heron")
        expect(row.locator(".badge")).to_have_text("Connected")
        expect(row).to_contain_text(username)
        page.get_by_role("button", name="Refresh lists of Blue Heron").click()
        expect(page.get_by_role("status").filter(has_text="read again")).to_be_visible()
        expect(row).to_be_visible()  # the table stays in place
        expect(page.get_by_role("row")).to_have_count(2)
        page.get_by_role("button", name="Set up channels of Blue Heron").click()
        resumed = page.locator(".wizard li").filter(has_text="Web shop")
        expect(resumed.locator(".badge")).to_have_text("Paused")
        shoot(page, "setup-06-resumed")
        page.get_by_role("button", name="Continue with Web shop").click()
        expect(step_heading(page, 2, "Sync directions")).to_be_visible()
        page.get_by_role("list", name="Setup steps").get_by_role("button", name="Accounts").click()
        expect(page.get_by_label("Income account", exact=True)).to_have_value(most_used_income)
        page.get_by_role("list", name="Setup steps").get_by_role("button", name="Test on an order").click()

        # Test on a real order: the qbXML QuickBooks would receive, nothing sent; the sync waits for it
        switch = page.get_by_role("button", name="Next: switch on the sync")
        expect(switch).to_be_disabled()
        page.get_by_label("Or paste an order").fill(json.dumps(first))
        page.get_by_role("button", name="Test on this order").click()
        qbxml = page.get_by_label("qbXML QuickBooks would receive")
        expect(qbxml).to_contain_text("<SalesReceiptAdd>")
        expect(qbxml).to_contain_text("<FullName>Undeposited Funds</FullName>")
        assert etree.fromstring(qbxml.text_content().encode()).tag == "QBXML"
        assert company.sales("SalesReceipt") == []  # nothing was sent
        shoot(page, "setup-07-tested")
        switch.click()

        # The first sync switched on: the store's orders fetched, then posted by the Web Connector
        page.get_by_role("button", name="Switch on the sync").click()
        expect(page.get_by_text("The sync of Web shop is on")).to_be_visible()
        shoot(page, "setup-08-switched-on")
        with stack.client() as client:
            chan = client.get("/api/v1/channels").json()["channels"][0]
            assert client.get(f"/api/v1/tasks/{chan['id']}").json()["state"] == "active"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                fetched = client.get("/api/v1/orders", params={"channel": chan["id"]}).json()["orders"]
                if len(fetched) == 3:
                    break
                time.sleep(0.5)
            assert len(fetched) == 3, fetched
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    go(page, "Orders")
    for doc in store.orders.values():
        expect(order_row(page, doc["number"]).locator(".badge")).to_have_text("Synced")
    assert len(company.sales("SalesReceipt")) == 3
    text = page.locator("main").inner_text()
    assert not re.search(r"settings\.|\(s\)|Error:|Exception", text)
    shoot(page, "setup-09-orders-synced")
