"""The end-to-end path every store connector is held to, written once (issue 16): on a running local stack, a
company is paired and its lists read; orders are added to the store's fake; a channel is added (credentials
checked, never echoed); the channel's schedule fires in the local runner and the fetch stores them; the next Web
Connector session posts each exactly once; a resync over the same days finds them all already in QuickBooks and a
further session posts nothing; the task can be paused. Each store's test (tests/e2e/test_<kind>_e2e.py) adds its
orders its own way and checks what only that vendor does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.conftest import LocalStack
from tests.e2e.test_channels_e2e import wait_for
from tests.e2e.test_web_connector_e2e import pair


@dataclass(frozen=True)
class StoreSynced:
    """What the path left behind, for the store's own checks."""

    channel: dict[str, Any]
    company: CompanySimulator
    orders: list[dict[str, Any]]  # as the API lists them once fetched (before posting)


def orders_reach_quickbooks(
    stack: LocalStack,
    tmp_path: Path,
    *,
    kind: str,
    name: str,
    credentials: dict[str, str],
    add_orders: Callable[[], None],
    expected: int,
    secrets: tuple[str, ...],
    fetch_seconds: float = 60.0,
) -> StoreSynced:
    """The whole path for `expected` orders that `add_orders` puts in the store's fake; `secrets` must never be
    echoed by the API."""
    conn, app_url, username, password = pair(stack, name)
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached
    add_orders()
    with stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        settings = {
            "transaction_type": "sales_receipt",
            "accounts": {
                "deposit": next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"),
                "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
            },
            "sales_tax_item": "",
            "tax_mode": "quickbooks",  # QuickBooks computes (nothing: every line Non)
            "taxable_code": "Non",
            "start_date": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
        }
        body = {
            "connection_id": conn["id"],
            "kind": kind,
            "name": name,
            "settings": settings,
            "credentials": credentials,
            "every_minutes": 5,
        }
        created = client.post("/api/v1/channels", json=body)
        assert created.status_code == 201, created.text
        assert not [s for s in secrets if s in created.text]
        channel: dict[str, Any] = created.json()

        def fetched() -> list[dict[str, Any]] | None:
            orders = client.get("/api/v1/orders", params={"channel": channel["id"]}).json()["orders"]
            return orders if len(orders) == expected else None

        orders = wait_for(fetched, seconds=fetch_seconds, what=f"the local runner to fetch the {kind} orders")
        assert {o["status"] for o in orders} == {"pending"}
        last = wait_for(
            lambda: client.get(f"/api/v1/tasks/{channel['id']}").json()["last_result"], what="the run"
        )
        assert last["state"] == "done" and last["counts"]["new"] == expected

    report = run_session(app_url, username, password, company)
    assert report.outcome == "completed", report.render()
    with stack.client() as client:
        seen = client.get("/api/v1/orders", params={"channel": channel["id"]}).json()["orders"]
        assert {o["status"] for o in seen} == {"synced"}, [o["error"] for o in seen]
        assert len(company.sales("SalesReceipt")) == expected
        assert company.external_guid_counts().most_common(1)[0][1] == 1

        # A resync over the same days finds them all already in QuickBooks: nothing is posted again.
        today = datetime.now(UTC).date()
        days = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
        run = client.post(f"/api/v1/channels/{channel['id']}/resync", json=days)
        assert run.status_code == 202, run.text
        run_path = f"/api/v1/channels/{channel['id']}/runs/{run.json()['id']}"
        done = wait_for(
            lambda: (r := client.get(run_path).json())["state"] == "done" and r, what="the resync"
        )
        assert done["counts"]["already_in_quickbooks"] == expected
    again = run_session(app_url, username, password, company)
    assert len(company.sales("SalesReceipt")) == expected, again.render()
    with stack.client() as client:
        assert client.post(f"/api/v1/tasks/{channel['id']}/pause").json()["state"] == "paused"
    return StoreSynced(channel, company, orders)
