"""The Rules page in a real browser (Debian's chromium, Playwright) against a running local stack: a rule built
from the drop-downs (the order's fields and comparisons, action kinds, the company's classes and accounts read by
a Web Connector session), tested on a stored order in the panel beside the list, reordered, disabled, exported
and imported as CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_dashboard import accounts_of, go, order, paired_company, sign_in

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.integration]


def rule_row(page, name: str):
    return page.locator("tbody tr[data-rule]").filter(has_text=name)


def build_rule(page, name: str, value: str, action: str, choice_label: str, choice: str) -> None:
    page.get_by_role("button", name="New rule").click()
    editor = page.get_by_role("form", name="New rule")
    editor.get_by_label("Rule name").fill(name)
    condition = editor.locator("[data-condition]").first
    condition.get_by_label("Field", exact=True).select_option(label="Payment method")
    condition.get_by_label("Comparison", exact=True).select_option(label="equals")
    condition.get_by_label("Value", exact=True).fill(value)
    row = editor.locator("[data-action]").first
    row.get_by_label("Action", exact=True).select_option(label=action)
    row.get_by_label(choice_label, exact=True).select_option(label=choice)
    editor.get_by_role("button", name="Create rule").click()
    expect(rule_row(page, name)).to_be_visible()


def test_rules_built_from_drop_downs_tested_reordered_and_exported(page, dashboard_stack, tmp_path):
    stack = dashboard_stack
    conn, _, _ = paired_company(stack, tmp_path, "Rules Co")
    with stack.client() as client:
        accounts = accounts_of(client, conn["id"])
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        bank = next(a["full_name"] for a in accounts if a["account_type"] == "Bank")
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Rules shop",
                "settings": {"accounts": {"deposit": deposit, "income": "Sales"}},
            },
        )
        assert created.status_code == 201, created.text
        paypal = order("R-1001", "MUG-01", payments=[{"method": "PayPal", "amount": "30.00"}])
        pushed = client.post(f"/api/v1/channels/{created.json()['id']}/orders", json={"orders": [paypal]})
        assert pushed.status_code == 202, pushed.text

    sign_in(page, stack)
    go(page, "Rules")
    page.get_by_label("Drop-downs from").select_option(label="Rules Co")
    expect(page.get_by_role("status").filter(has_text="classes")).to_contain_text("classes")

    # 1. Two rules from the drop-downs: the class and the deposit account come from QuickBooks' lists
    build_rule(page, "PayPal to Online", "PayPal", "Set the class", "Class", "Online")
    build_rule(page, "PayPal deposits", "paypal", "Set the deposit account", "Deposit account", bank)
    shoot(page, "rules-01-built")
    first = rule_row(page, "PayPal to Online")
    expect(first).to_contain_text("Payment method equals PayPal")
    expect(first).to_contain_text("Set the class: Online")

    # 2. Tested on the stored order: before and after each rule, in list order
    page.get_by_label("Order numbers").fill("R-1001")
    page.get_by_role("button", name="Test the rules").click()
    result = page.get_by_role("region", name="Order R-1001")
    expect(result).to_be_visible()
    applied = result.locator("[data-applied-rule]")
    expect(applied).to_have_count(2)
    expect(applied.nth(0)).to_contain_text("PayPal to Online")
    expect(applied.nth(0).get_by_role("row").filter(has_text="class")).to_contain_text("Online")
    expect(applied.nth(1).get_by_role("row").filter(has_text="deposit account")).to_contain_text(deposit)
    expect(applied.nth(1).get_by_role("row").filter(has_text="deposit account")).to_contain_text(bank)
    shoot(page, "rules-02-tested")

    # 3. Reordered: the deposit rule first, everywhere
    page.get_by_role("button", name="Move PayPal deposits up").click()
    expect(page.locator("tbody tr[data-rule]").first).to_contain_text("PayPal deposits")
    with stack.client() as client:
        names = [r["name"] for r in client.get("/api/v1/rules").json()["rules"]]
    assert names.index("PayPal deposits") < names.index("PayPal to Online")
    page.get_by_role("button", name="Test the rules").click()
    expect(result.locator("[data-applied-rule]").first).to_contain_text("PayPal deposits")

    # 4. Disabled: it no longer runs
    page.get_by_role("button", name="Disable PayPal to Online").click()
    expect(rule_row(page, "PayPal to Online")).to_contain_text("Paused")
    page.get_by_role("button", name="Test the rules").click()
    expect(result.locator("[data-applied-rule]")).to_have_count(1)

    # 5. Exported as CSV, one row per action, in the new order; imported back it is the same list
    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "rules.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    assert lines[0].startswith("rule_id,name,enabled")
    assert "PayPal deposits" in lines[1] and "SET_DEPOSIT_ACCOUNT" in lines[1]
    assert "PayPal to Online" in lines[2] and ",no," in lines[2]
    renamed = text.replace("PayPal deposits", "PayPal deposits (imported)")
    page.get_by_label("Rules file (CSV)").set_input_files(
        {"name": "rules.csv", "mimeType": "text/csv", "buffer": renamed.encode()}
    )
    page.get_by_role("button", name="Import CSV").click()
    expect(rule_row(page, "PayPal deposits (imported)")).to_be_visible()
    expect(page.locator("tbody tr[data-rule]")).to_have_count(2)

    # 6. A file with a problem changes nothing and names the row
    page.get_by_label("Rules file (CSV)").set_input_files(
        {
            "name": "bad.csv",
            "mimeType": "text/csv",
            "buffer": (lines[0] + "\r\nr1,Bad,yes,,AND,,FLY,,,,\r\n").encode(),
        }
    )
    page.get_by_role("button", name="Import CSV").click()
    expect(page.get_by_role("alert")).to_contain_text("row 2, column action")
    expect(page.locator("tbody tr[data-rule]")).to_have_count(2)
    shoot(page, "rules-03-imported")
