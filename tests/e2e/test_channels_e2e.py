"""Orders added to a (fake) Shopify store reach the simulated QuickBooks company by themselves on the
running local stack: the channel's schedule is created in the embedded Scheduler, the local runner fires it
and calls the fetch handler, the orders are queued, and the next Web Connector session posts them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from ledgerbridge.fakes.shopify import FakeShopify
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.e2e.test_web_connector_e2e import pair


def wait_for(predicate, seconds: float = 60.0, what: str = "condition", every: float = 0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def test_shopify_orders_reach_quickbooks_by_themselves(local_stack, tmp_path):
    conn, app_url, username, password = pair(local_stack, "Shopify shop")
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached

    with FakeShopify() as shop:
        shop.now = datetime.now(UTC) - timedelta(minutes=10)
        for _ in range(5):
            shop.tick(7)
            shop.add_order(tax_rate=None)
        with local_stack.client() as client:
            accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
            settings = {
                "transaction_type": "sales_receipt",
                "accounts": {
                    "deposit": next(
                        a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"
                    ),
                    "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
                },
                "sales_tax_item": "",
                "tax_mode": "quickbooks",  # QuickBooks computes (nothing: every line Non)
                "taxable_code": "Non",
                "start_date": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
            }
            created = client.post(
                "/api/v1/channels",
                json={
                    "connection_id": conn["id"],
                    "kind": "shopify",
                    "name": "Blue Heron on Shopify",
                    "settings": settings,
                    "credentials": {"shop": shop.base_url, "access_token": shop.access_token},
                    "every_minutes": 5,
                },
            )
            assert created.status_code == 201, created.text
            channel = created.json()
            assert channel["store_name"] == shop.shop_name
            assert shop.access_token not in created.text

            (task,) = [t for t in client.get("/api/v1/tasks").json()["tasks"] if t["id"] == channel["id"]]
            assert task["state"] == "active" and task["every_minutes"] == 5

            def fetched():
                orders = client.get("/api/v1/orders", params={"channel": channel["id"]}).json()["orders"]
                return orders if len(orders) == 5 else None

            orders = wait_for(fetched, what="the local runner to fetch the Shopify orders")
            assert {o["status"] for o in orders} == {"pending"}
            last = wait_for(
                lambda: client.get(f"/api/v1/tasks/{channel['id']}").json()["last_result"], what="the run"
            )
            assert last["state"] == "done" and last["counts"]["new"] == 5

        report = run_session(app_url, username, password, company)
        assert report.outcome == "completed", report.render()
        with local_stack.client() as client:
            seen = client.get("/api/v1/orders", params={"channel": channel["id"]}).json()["orders"]
            assert {o["status"] for o in seen} == {"synced"}, [o["error"] for o in seen]
            sales = company.sales("SalesReceipt")
            assert len(sales) == 5
            assert company.external_guid_counts().most_common(1)[0][1] == 1

            # A resync over the same days finds them all already in QuickBooks: nothing is posted again.
            # (from yesterday: the orders were placed ten minutes before the test, which may be before midnight)
            today = datetime.now(UTC).date()
            days = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
            run = client.post(f"/api/v1/channels/{channel['id']}/resync", json=days)
            assert run.status_code == 202, run.text
            done = wait_for(
                lambda: (
                    (r := client.get(f"/api/v1/channels/{channel['id']}/runs/{run.json()['id']}").json())[
                        "state"
                    ]
                    == "done"
                    and r
                ),
                what="the resync",
            )
            assert done["counts"]["already_in_quickbooks"] == 5
        again = run_session(app_url, username, password, company)
        assert len(company.sales("SalesReceipt")) == 5, again.render()

        with local_stack.client() as client:
            paused = client.post(f"/api/v1/tasks/{channel['id']}/pause").json()
            assert paused["state"] == "paused" and paused["next_run"] is None
