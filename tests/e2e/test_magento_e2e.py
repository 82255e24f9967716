"""Orders in a (fake) Magento store reach the simulated QuickBooks company by themselves on the running local
stack: the channel's schedule fires in the local runner, the fetch handler reads the orders from the
Magento REST API, and the next Web Connector session posts them; a resync then finds them all already in
QuickBooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledgerbridge.fakes.magento import FakeMagento
from tests.e2e.stores import orders_reach_quickbooks


def test_magento_orders_reach_quickbooks_by_themselves(local_stack, tmp_path):
    store = FakeMagento()
    with store:
        store.now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)

        def add_orders() -> None:
            for _ in range(4):
                store.tick(7)
                store.add_order(tax_rate="0")
            store.tick(1)
            store.add_order((("TEE-M", "T-Shirt - M", 1, "20.00"),), tax_rate="0", coupon="SAVE10")

        synced = orders_reach_quickbooks(
            local_stack,
            tmp_path,
            kind="magento",
            name="Blue Heron on Magento",
            credentials={"store_url": store.base_url, "access_token": store.access_token},
            add_orders=add_orders,
            expected=5,
            secrets=(store.access_token,),
            fetch_seconds=90,
        )
        assert synced.channel["store_name"] == store.website
        assert all(r.headers["authorization"] == f"Bearer {store.access_token}" for r in store.requests)
