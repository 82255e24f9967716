"""The Orders page for every day in a real browser (Debian's chromium, Playwright) against a running local stack:
search by customer, the order's detail with its timeline, the preview of what QuickBooks would receive (documents,
lines with their matches, the qbXML), status counts and a bulk retry of the failed orders, and the CSV download."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledgerbridge.simulators.webconnector import run_session
from tests.browser.conftest import shoot
from tests.browser.test_dashboard import accounts_of, go, order, order_row, paired_company, sign_in
from tests.conftest import LocalStack, start_stack, stop_stack

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]


@pytest.fixture(scope="module")
def dashboard_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of this walk's own: its counts are its orders' only (overrides conftest's shared one here)."""
    stack = start_stack(tmp_path_factory.mktemp("orders-stack"), api_key="lbk_test_" + os.urandom(12).hex())
    yield stack
    stop_stack(stack)


def test_search_detail_preview_and_bulk_retry(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    conn, company, (app_url, username, password) = paired_company(stack, tmp_path, "Desk Co")
    with stack.client() as client:
        accounts = accounts_of(client, conn["id"])
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
        items = client.get(f"/api/v1/connections/{conn['id']}/lists/item").json()["records"]
        known = next(i["name"] for i in items if i["name"].startswith("Generated Item"))
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Desk shop",
                "settings": {"accounts": {"deposit": deposit, "income": income}, "missing_items": "fail"},
            },
        )
        assert created.status_code == 201, created.text
        channel = created.json()
        docs = [
            order(
                "DESK-1",
                known,
                customer={"first_name": "Grace", "last_name": "Hopper", "email": "g@x.example"},
            ),
            order("DESK-2", "NOT-IN-QB-7", customer={"first_name": "Alan", "last_name": "Turing"}),
            order("DESK-3", "NOT-IN-QB-8", customer={"first_name": "Ada", "last_name": "Lovelace"}),
        ]
        pushed = client.post(f"/api/v1/channels/{channel['id']}/orders", json={"orders": docs})
        assert pushed.status_code == 202, pushed.text
    assert run_session(app_url, username, password, company).outcome == "completed"
    with stack.client() as client:  # the stack (and its tenant) is shared with the other browser tests
        failed = client.get("/api/v1/orders?status=failed").json()["counts"]["failed"]
    assert failed >= 2

    sign_in(page, stack)
    go(page, "Orders")
    counts = page.get_by_role("group", name="Order counts")
    expect(counts.locator("[data-status=failed]")).to_contain_text(str(failed))

    # 1. Search by the customer's name: one order
    page.get_by_label("Search", exact=True).fill("hopper")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("tbody tr[data-order]")).to_have_count(1)
    expect(order_row(page, "DESK-1").locator(".badge")).to_have_text("Synced")
    shoot(page, "orders-01-searched")

    # 2. Its detail: lines, the QuickBooks document and the timeline
    page.get_by_role("link", name="DESK-1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order DESK-1")
    expect(page.get_by_role("table", name="QuickBooks documents")).to_contain_text("SalesReceipt")
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("[data-step=received]")).to_be_visible()
    expect(timeline.locator("[data-step=recorded]")).to_contain_text("Recorded in QuickBooks")

    # 3. The preview: its document, its line's item found in QuickBooks, the qbXML folded away
    page.get_by_role("button", name="Preview in QuickBooks").click()
    lines = page.get_by_role("table", name="Preview lines")
    expect(lines.get_by_role("row").filter(has_text=known)).to_contain_text("In QuickBooks")
    expect(page.get_by_role("table", name="Preview documents")).to_contain_text("SalesReceipt")
    qbxml = page.locator("details.qbxml")
    expect(qbxml.locator("pre")).to_be_hidden()
    qbxml.locator("summary").click()
    expect(qbxml.locator("pre")).to_contain_text("<SalesReceiptAddRq")
    shoot(page, "orders-02-preview")

    # 4. Back to the list: the failed orders, retried together after the cause is fixed
    page.get_by_role("link", name="All orders").click()
    counts = page.get_by_role("group", name="Order counts")
    counts.locator("[data-status=failed]").click()
    expect(page.locator("tbody tr[data-order]")).to_have_count(2)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    rows = Path(info.value.path()).read_text(encoding="utf-8").strip().splitlines()
    assert rows[0].startswith("Order,Order date") and len(rows) == 3
    with stack.client() as client:
        fixed = client.patch(
            f"/api/v1/channels/{channel['id']}",
            json={
                "settings": {
                    "accounts": {"deposit": deposit, "income": income},
                    "missing_items": "create_non_inventory",
                }
            },
        )
        assert fixed.status_code == 200, fixed.text
    page.get_by_role("checkbox", name="Select order DESK-2").check()
    page.get_by_role("checkbox", name="Select order DESK-3").check()
    page.get_by_role("button", name="Retry 2 selected orders").click()
    expect(page.get_by_role("status").filter(has_text="2 orders are queued again")).to_be_visible()
    expect(page.get_by_text("No orders match.")).to_be_visible()
    expect(counts.locator("[data-status=pending]")).to_contain_text("2")
    shoot(page, "orders-03-retried")
    assert run_session(app_url, username, password, company).outcome == "completed"
    page.get_by_role("button", name="Reload").click()
    expect(counts.locator("[data-status=synced]")).to_contain_text("3")
