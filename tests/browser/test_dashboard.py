"""The dashboard in a real browser (Debian's chromium, driven by Playwright) against a running local stack:
the pairing wizard with the Web Connector simulator, channels with drop-downs from the chart of accounts,
orders synced and failed with plain words and retried, tasks, manual sync, sync history, and the page's
defences (escaping, CSP, credentials never shown again)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree
from playwright.sync_api import expect

from ledgerbridge.fakes.custom_store import FakeCustomStore
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.browser.conftest import shoot
from tests.e2e.test_web_connector_e2e import pair

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]

COMPANY = "Blue Heron Outfitters"  # the company simulator's name
XSS = "<img src=x onerror=alert(1)>"
ORDER = {
    "created_at": "2026-11-20T10:00:00Z",
    "currency": "USD",
    "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    "lines": [{"id": "1", "sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "12.50"}],
    "shipping_lines": [{"title": "Ground", "price": "5.00"}],
    "payments": [{"method": "credit_card", "amount": "30.00"}],
    "payment_status": "paid",
    "total": "30.00",
}


def order(number: str, sku: str, **changes) -> dict:
    doc = copy.deepcopy(ORDER)
    doc["id"] = doc["number"] = number
    doc["lines"][0]["sku"] = sku
    doc.update(changes)
    return doc


def sign_in(page, stack) -> None:
    page.goto("/")
    page.get_by_label("API key", exact=True).fill(stack.api_key)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()


def go(page, section: str) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=section, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=section)).to_be_visible()


def connection_id(client: httpx.Client, name: str) -> str:
    return next(c["id"] for c in client.get("/api/v1/connections").json()["connections"] if c["name"] == name)


def channel_id(client: httpx.Client, name: str) -> str:
    return next(c["id"] for c in client.get("/api/v1/channels").json()["channels"] if c["name"] == name)


def accounts_of(client: httpx.Client, conn_id: str) -> list[dict]:
    return client.get(f"/api/v1/connections/{conn_id}/accounts").json()["records"]


def order_row(page, number: str):
    return page.locator("tbody tr[data-order]").filter(has=page.get_by_role("cell", name=number, exact=True))


def paired_company(stack, tmp_path, name: str):
    """A connection paired over the API with one Web Connector session run (its lists cached)."""
    conn, app_url, username, password = pair(stack, name)
    company = CompanySimulator.open(tmp_path / f"{name}.json", generated_items=6)
    assert run_session(app_url, username, password, company).outcome == "completed"
    return conn, company, (app_url, username, password)


def test_sign_in_keeps_the_key_in_session_storage_and_refuses_a_bad_key(page, dashboard_stack):
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "00-sign-in")
    page.get_by_label("API key", exact=True).fill("lbk_not_a_real_key")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("The API key was not accepted")
    assert page.evaluate("sessionStorage.length") == 0
    sign_in(page, dashboard_stack)
    assert page.evaluate("sessionStorage.getItem('ledgerbridge.apiKey')") == dashboard_stack.api_key
    assert page.evaluate("localStorage.length") == 0
    assert page.get_by_label("API key", exact=True).input_value() == ""
    page.reload()  # the key is entered once per tab
    expect(page.get_by_role("heading", level=1, name="Connections")).to_be_visible()
    page.get_by_role("button", name="Forget API key").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_pairing_wizard_channel_orders_failure_and_retry(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    company = CompanySimulator.open(tmp_path / "company.json", generated_items=6)
    sign_in(page, stack)

    # 1. Create
    page.get_by_role("button", name="New connection").click()
    page.get_by_label("Connection name").fill("Blue Heron")
    shoot(page, "01-wizard-create")
    page.get_by_role("button", name="Create connection").click()

    # 2. Download the .qwc
    expect(page.get_by_role("heading", name="Step 2 of 5: Download the .qwc file")).to_be_visible()
    expect(page.get_by_role("list", name="Pairing steps").locator("[aria-current=step]")).to_have_text(
        "Download .qwc"
    )
    with page.expect_download() as info:
        page.get_by_role("button", name="Download .qwc file").click()
    download = info.value
    assert download.suggested_filename == "ledgerbridge-blue-heron.qwc"
    qwc = etree.parse(download.path()).getroot()
    app_url, username = qwc.findtext("AppURL"), qwc.findtext("UserName")
    assert app_url == stack.url.replace("127.0.0.1", "localhost") + "/qbwc"
    assert username.startswith("lb-con_")
    expect(page.get_by_text(app_url, exact=True)).to_be_visible()
    shoot(page, "02-wizard-qwc")
    page.get_by_role("button", name="Next").click()

    # 3. The password: shown once, with a copy button and the warning
    page.get_by_role("button", name="Generate password").click()
    shown = page.get_by_label("Web Connector password")
    expect(shown).to_have_text(re.compile(r"^\S{12,}$"))
    password = shown.text_content()
    expect(page.get_by_role("alert")).to_contain_text("cannot be shown again")
    page.get_by_role("button", name="Copy password").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == password
    shoot(page, "03-wizard-password")
    page.get_by_role("button", name="Next").click()

    # 4. Web Connector instructions; the password has left the page
    expect(
        page.get_by_role("heading", name="Step 4 of 5: Add it to the QuickBooks Web Connector")
    ).to_be_visible()
    instructions = page.locator("ol.instructions")
    for words in (".qwc file", "Yes, always", "Password", "Update Selected"):
        expect(instructions).to_contain_text(words)
    assert password not in page.content()
    shoot(page, "04-wizard-instructions")
    page.get_by_role("button", name="I clicked Update Selected").click()

    # 5. Verify: waiting, then Connected with the company's name once the Web Connector ran
    verify = page.locator(".verify-status")
    expect(verify).to_contain_text("Waiting for the Web Connector")
    expect(page.get_by_text("Not connecting? The common problems")).to_be_visible()
    page.get_by_text("Not connecting? The common problems").click()
    for words in ("QuickBooks is not open", "Wrong password", "Wrong company file"):
        expect(page.locator("details")).to_contain_text(words)
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    expect(verify).to_contain_text(f"Connected to {COMPANY}", timeout=20_000)
    shoot(page, "05-wizard-connected")
    page.get_by_role("button", name="Close").click()
    # The connection's own row (another test's connection on this shared stack has the same company name).
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Blue Heron", exact=True))
    expect(row.locator(".badge")).to_have_text("Connected")
    expect(row).to_contain_text(COMPANY)
    shoot(page, "06-connections")

    # A custom-store channel, accounts picked from drop-downs filled with the company's chart of accounts
    with stack.client() as client:
        conn_id = connection_id(client, "Blue Heron")
        accounts = accounts_of(client, conn_id)
        items = client.get(f"/api/v1/connections/{conn_id}/lists/item").json()["records"]
    deposit = "Undeposited Funds"
    assert any(a["full_name"] == deposit for a in accounts)
    income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
    go(page, "Channels")
    page.get_by_role("button", name="Add channel").click()
    page.get_by_label("Connection", exact=True).select_option(label="Blue Heron")
    page.get_by_label("Store kind").select_option("custom_store")
    page.get_by_label("Channel name").fill("Web shop")
    directions = page.get_by_role("group", name="Sync directions")
    expect(directions.get_by_role("checkbox")).to_have_count(1)  # a custom store only brings orders in
    expect(directions.get_by_role("checkbox", name="Orders into QuickBooks")).to_be_checked()
    expect(page.get_by_label("Inventory site")).to_be_hidden()
    page.get_by_label("Transaction type").select_option("sales_receipt")
    deposit_select = page.get_by_label("Deposit account")
    fits = [a for a in accounts if a["account_type"] in ("Bank", "OtherCurrentAsset") and a["is_active"]]
    expect(deposit_select.locator("option")).to_have_count(len(fits) + 1)  # only fitting types, + "none"
    expect(deposit_select.locator("optgroup[label=Income] option")).to_have_count(0)
    expect(deposit_select.locator("optgroup[label='Other Current Asset'] option")).to_have_count(
        sum(a["account_type"] == "OtherCurrentAsset" for a in fits)
    )
    expect(deposit_select).to_have_value(deposit)  # preselected
    deposit_select.select_option(deposit)
    page.get_by_label("Income account").select_option(income)
    page.get_by_label("Missing products").select_option("fail")
    page.get_by_role("button", name="Refresh drop-downs").click()
    expect(page.get_by_text("Asked QuickBooks for the lists again")).to_be_visible()
    expect(page.get_by_label("Deposit account")).to_have_value(deposit)  # kept across the refresh
    shoot(page, "07-channel-form")
    page.get_by_role("button", name="Add channel and check credentials").click()
    expect(page.get_by_role("status").filter(has_text="Saved Web shop.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Web shop")).to_contain_text("Orders pushed to the API")
    shoot(page, "08-channels")
    with stack.client() as client:
        web_shop = client.get(f"/api/v1/channels/{channel_id(client, 'Web shop')}").json()
    assert web_shop["settings"]["accounts"]["deposit"] == deposit
    assert web_shop["settings"]["accounts"]["income"] == income
    assert web_shop["settings"]["missing_items"] == "fail"

    # Orders pushed over the REST API; one names a product QuickBooks does not have
    known = [i["name"] for i in items if i["name"].startswith("Generated Item")][:3]
    assert len(known) == 3
    docs = [order(f"WEB-{n}", sku) for n, sku in enumerate(known, 1)] + [order("BAD-1", "NOT-IN-QB-1")]
    with stack.client() as client:
        pushed = client.post(f"/api/v1/channels/{web_shop['id']}/orders", json={"orders": docs})
        assert pushed.status_code == 202 and pushed.json()["counts"]["new"] == 4, pushed.text
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()

    go(page, "Orders")
    page.get_by_label("Channel", exact=True).select_option(label="Web shop")
    for number in ("WEB-1", "WEB-2", "WEB-3"):
        expect(order_row(page, number).locator(".badge")).to_have_text("Synced")
        expect(order_row(page, number)).to_contain_text("SalesReceipt")
    bad = order_row(page, "BAD-1")
    expect(bad.locator(".badge")).to_have_text("Failed")
    explanation = page.locator("tr[data-error-for='BAD-1']")
    expect(explanation).to_contain_text("These products are not in QuickBooks: NOT-IN-QB-1")
    expect(explanation).to_contain_text("How to fix:")
    shoot(page, "09-orders-synced-and-failed")

    # Fix the cause (create missing products), then retry the failed order
    go(page, "Channels")
    page.get_by_role("button", name="Edit Web shop").click()
    expect(page.get_by_label("Missing products")).to_have_value("fail")
    expect(page.get_by_label("Deposit account")).to_have_value(deposit)
    page.get_by_label("Missing products").select_option("create_non_inventory")
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_role("status").filter(has_text="Saved Web shop.")).to_be_visible()
    go(page, "Orders")
    page.get_by_label("Status").select_option("failed")
    expect(page.locator("tbody tr[data-order]")).to_have_count(1)
    page.get_by_role("button", name="Retry order BAD-1").click()
    expect(page.get_by_role("status").filter(has_text="queued again")).to_be_visible()
    expect(page.get_by_text("No orders match.")).to_be_visible()
    page.get_by_label("Status").select_option("")
    expect(order_row(page, "BAD-1").locator(".badge")).to_have_text("Pending")
    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    page.get_by_role("button", name="Reload").click()
    expect(order_row(page, "BAD-1").locator(".badge")).to_have_text("Synced")
    expect(page.locator("tr[data-error-for]")).to_have_count(0)
    shoot(page, "10-orders-retried")
    assert len(company.sales("SalesReceipt")) == 4

    # Sync history: every Web Connector session with its counts and round trips
    go(page, "Sync history")
    page.get_by_label("Connection", exact=True).select_option(label="Blue Heron")
    sessions = page.locator("tbody tr")
    expect(sessions).to_have_count(3)
    expect(sessions.locator(".badge")).to_have_text(["Completed"] * 3)
    round_trips = [int(t) for t in sessions.locator("td.round-trips").all_text_contents()]
    assert all(n >= 1 for n in round_trips)
    shoot(page, "11-sync-history")


def test_store_strings_render_as_text_and_no_script_runs(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    conn, company, wc = paired_company(stack, tmp_path, "Escaping")
    with stack.client() as client:
        accounts = accounts_of(client, conn["id"])
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "<script>alert('channel')</script>",
                "settings": {"accounts": {"deposit": deposit}, "missing_items": "fail"},
            },
        )
        assert created.status_code == 201, created.text
        hostile = order(
            "<b>X-1</b>",
            XSS,
            customer={"first_name": XSS, "last_name": "", "email": "x@example.com"},
        )
        pushed = client.post(f"/api/v1/channels/{created.json()['id']}/orders", json={"orders": [hostile]})
        assert pushed.status_code == 202, pushed.text
    assert run_session(*wc, company).outcome == "completed"

    sign_in(page, stack)
    go(page, "Orders")
    page.get_by_label("Channel", exact=True).select_option(label="<script>alert('channel')</script>")
    row = order_row(page, "<b>X-1</b>")
    expect(row.get_by_role("cell", name=XSS, exact=True)).to_be_visible()
    expect(page.locator("tr[data-error-for]")).to_contain_text(f"These products are not in QuickBooks: {XSS}")
    assert page.locator("main img, main b, main script").count() == 0
    shoot(page, "12-escaped-store-strings")
    go(page, "Channels")
    expect(page.get_by_role("cell", name="<script>alert('channel')</script>", exact=True)).to_be_visible()
    assert page.locator("main script").count() == 0
    # Trusted Types (required by the CSP) refuse any string written as HTML.
    blocked = page.evaluate(
        "() => { try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>'); return 'allowed' }"
        " catch (e) { return e.name } }"
    )
    assert blocked == "TypeError"
    page.watch.errors[:] = [e for e in page.watch.errors if "TrustedHTML" not in e]  # the refusal, reported


def test_credentials_tasks_and_manual_sync(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    conn, _company, _wc = paired_company(stack, tmp_path, "Pull company")
    with stack.client() as client:
        deposit = next(
            a["full_name"]
            for a in accounts_of(client, conn["id"])
            if a["account_type"] == "OtherCurrentAsset"
        )
    with FakeCustomStore() as store:
        store.now = datetime.now(UTC) - timedelta(hours=2)
        for _ in range(4):
            store.add_order()
        sign_in(page, stack)
        go(page, "Channels")
        page.get_by_role("button", name="Add channel").click()
        page.get_by_label("Connection", exact=True).select_option(label="Pull company")
        page.get_by_label("Store kind").select_option("custom_store")
        page.get_by_label("Channel name").fill("Pull shop")
        page.get_by_label("API address").fill(store.base_url)
        page.get_by_label("User name").fill(store.username)
        page.get_by_label("Password", exact=True).fill("wrong-password")
        page.get_by_label("Deposit account").select_option(deposit)
        page.get_by_label("Fetch every (minutes)").fill("5")
        page.get_by_role("button", name="Add channel and check credentials").click()
        # The store's refusal, in the API's words; the secret typed is gone from the form.
        expect(page.get_by_role("alert")).to_contain_text("rejected")
        expect(page.get_by_label("Password", exact=True)).to_have_value("")
        shoot(page, "13-channel-credentials-refused")
        page.get_by_label("Password", exact=True).fill(store.password)
        page.get_by_role("button", name="Add channel and check credentials").click()
        expect(page.get_by_role("status").filter(has_text="Saved Pull shop")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="Pull shop")
        expect(row).to_contain_text("Fetched every 5 min")
        expect(row).to_contain_text("password: ••••word")
        assert store.password not in page.content()
        page.get_by_role("button", name="Edit Pull shop").click()
        expect(page.get_by_label("Password", exact=True)).to_have_value("")
        expect(page.get_by_text("Saved: ••••word. Leave empty to keep it.")).to_be_visible()
        expect(page.get_by_label("API address")).to_have_value("")
        assert store.password not in page.content()
        shoot(page, "14-channel-edit-masked")

        # Tasks: the channel's schedule, paused and resumed
        go(page, "Tasks")
        task = page.locator("tbody tr").filter(has_text="Fetch orders from Pull shop")
        expect(task.locator(".badge").first).to_have_text("Active")
        expect(task).to_contain_text("every 5 min")
        page.get_by_role("button", name="Pause Fetch orders from Pull shop").click()
        expect(task.locator(".badge").first).to_have_text("Paused")
        shoot(page, "15-task-paused")
        with stack.client() as client:
            chan = channel_id(client, "Pull shop")
            assert client.get(f"/api/v1/tasks/{chan}").json()["state"] == "paused"
        page.get_by_role("button", name="Resume Fetch orders from Pull shop").click()
        expect(task.locator(".badge").first).to_have_text("Active")
        with stack.client() as client:
            assert client.get(f"/api/v1/tasks/{chan}").json()["state"] == "active"

        # Manual sync: a resync of the last week, followed until done
        go(page, "Manual sync")
        page.get_by_label("Channel", exact=True).select_option(label="Pull shop")
        today = datetime.now(UTC).date()
        page.get_by_label("From").fill((today - timedelta(days=2)).isoformat())
        page.get_by_label("To").fill(today.isoformat())
        page.get_by_role("button", name="Start sync").click()
        expect(page.get_by_label("Sync progress")).to_be_visible()
        expect(page.locator(".run-words")).to_have_text("4 orders read in 1 page.", timeout=60_000)
        expect(page.locator(".run-counts")).to_contain_text("Fetched")
        shoot(page, "16-manual-sync-done")
        expect(page.get_by_role("row").filter(has_text="resync")).to_have_count(1)
        with stack.client() as client:
            pulled = client.get("/api/v1/orders", params={"channel": chan}).json()["orders"]
        assert len(pulled) == 4
