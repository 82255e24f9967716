"""`make demo`: the whole product on the local stack with something to watch. A fake Shopify store full of
orders (new ones keep arriving), a paired connection, a Shopify channel with sensible settings, and the
QuickBooks and Web Connector simulators running a session every minute, so a newcomer sees orders flow into a
simulated company in the dashboard without writing anything.

The demo keeps its own state directory (`.local/demo`, started afresh each time), apart from `make run`'s.
"""

from __future__ import annotations

import random
import shutil
import sys
import threading
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ledgerbridge.devstack import DEFAULT_STATE_DIR, DevStack
from ledgerbridge.fakes.shopify import FakeShopify
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session

DEMO_STATE_DIR = DEFAULT_STATE_DIR / "demo"
FIRST_ORDERS = 36
SESSION_SECONDS = 60.0


class Demo:
    """The demo's store, company and loop, on a running stack at `app_url` opened by `api_key`."""

    def __init__(
        self, app_url: str, api_key: str, state_dir: Path, *, every: float = SESSION_SECONDS
    ) -> None:
        self.app_url = app_url
        self.every = every
        self.client = httpx.Client(
            base_url=app_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60.0
        )
        self.company = CompanySimulator.open(state_dir / "company.json", country="US")
        self.shop = FakeShopify(shop_name="Blue Heron Goods (demo)")
        self.random = random.Random(13)
        self.username = ""
        self.password = ""
        self.channel_id = ""
        self.sessions = 0

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def _add_order(self) -> None:
        self.shop.tick(self.random.randint(60, 1800))
        self.shop.add_order(tax_rate=None, discount_code=None if self.random.random() < 0.6 else "WELCOME10")

    def set_up(self) -> None:
        """The store's first orders (over the last two days), the connection paired by a first session, and
        the Shopify channel."""
        self.shop.start()
        self.shop.now = datetime.now(UTC) - timedelta(days=2)
        for _ in range(FIRST_ORDERS):
            self._add_order()
        conn = self._call(
            "POST", "/api/v1/connections", json={"name": "Demo company", "run_every_minutes": 1}
        )
        self.username = conn["username"]
        self.password = self._call("POST", f"/api/v1/connections/{conn['id']}/password")["password"]
        self.session()  # the company's lists: accounts for the channel's settings
        accounts = self._call("GET", f"/api/v1/connections/{conn['id']}/accounts")["records"]

        def account(kind: str, preferred: str) -> str:
            names = [a["full_name"] for a in accounts if a["account_type"] == kind]
            return preferred if preferred in names else names[0]

        settings = {
            "transaction_type": "sales_receipt",
            "accounts": {
                "deposit": account("OtherCurrentAsset", "Undeposited Funds"),
                "income": account("Income", "Sales"),
            },
            "sales_tax_item": "",
            "tax_mode": "quickbooks",  # QuickBooks computes (nothing: every line Non)
            "taxable_code": "Non",
            "start_date": (datetime.now(UTC) - timedelta(days=3)).date().isoformat(),
        }
        channel = self._call(
            "POST",
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "shopify",
                "name": "Shopify (demo)",
                "settings": settings,
                "credentials": {"shop": self.shop.base_url, "access_token": self.shop.access_token},
                "every_minutes": 5,
            },
        )
        self.channel_id = channel["id"]

    def session(self) -> None:
        report = run_session(self.app_url + "/qbwc", self.username, self.password, self.company)
        self.sessions += 1
        print(f"[demo] Web Connector session {self.sessions}: {report.outcome}", flush=True)

    def step(self) -> None:
        """One minute of the demo: a new order or two in the store, a fetch, a Web Connector session."""
        for _ in range(self.random.randint(1, 2)):
            self._add_order()
        self._call("POST", f"/api/v1/tasks/{self.channel_id}/run")
        self.session()

    def run(self, stop: threading.Event) -> None:
        try:
            self.set_up()
            print(
                f"[demo] {FIRST_ORDERS} orders in the fake Shopify store; syncing every {self.every:.0f} s",
                flush=True,
            )
            self._call("POST", f"/api/v1/tasks/{self.channel_id}/run")
            while not stop.wait(min(self.every, 10.0) if self.sessions < 2 else self.every):
                self.step()
        except Exception:
            if not stop.is_set():
                traceback.print_exc()
                print("[demo] the demo loop stopped; the stack keeps running", file=sys.stderr, flush=True)
        finally:
            self.shop.stop()
            self.client.close()


class DemoStack(DevStack):
    """`make run` plus the demo loop, on a fresh state directory."""

    def __init__(self, *, port: int, moto_port: int | None, state_dir: Path, every: float) -> None:
        shutil.rmtree(state_dir, ignore_errors=True)
        super().__init__(port=port, moto_port=moto_port, state_dir=state_dir, api_key=None)
        self.every = every

    def start_app(self) -> None:
        super().start_app()
        key = self.local_key()
        demo = Demo(self.app_url, key, self.state_dir, every=self.every)
        threading.Thread(target=demo.run, args=(self._stop,), name="demo", daemon=True).start()
