"""Orders of a (fake) Amazon seller account reach the simulated QuickBooks company by themselves on the
running local stack: the channel's schedule fires in the local runner, the fetch handler exchanges the
refresh token with Login with Amazon and reads getOrders and getOrderItems, the next Web Connector session
posts them, and a resync finds them all already in QuickBooks. A Pending order (not paid yet) is not read.

Amazon's hosts are fixed, so this stack points `amazon` at the fake (LEDGERBRIDGE_STORE_API_URLS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledgerbridge.fakes.amazon import FakeAmazon
from tests.conftest import LocalStack, start_stack, stop_stack
from tests.e2e.stores import orders_reach_quickbooks

pytestmark = pytest.mark.xdist_group("amazon-stack")

ORDERS = 4


@pytest.fixture(scope="module")
def amazon() -> Iterator[FakeAmazon]:
    fake = FakeAmazon()
    fake.now = datetime.now(UTC) - timedelta(minutes=10)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, amazon: FakeAmazon) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path_factory.mktemp("amazon"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"amazon={amazon.base_url}"},
    )
    yield running
    stop_stack(running)


def test_amazon_orders_reach_quickbooks_by_themselves(
    stack: LocalStack, amazon: FakeAmazon, tmp_path: Any
) -> None:
    pending: list[str] = []

    def add_orders() -> None:
        for n in range(ORDERS):
            amazon.tick(7)
            amazon.add_order(
                (("MUG-01", "Coffee Mug", 1 + n % 2, "12.50"), ("CAP-1", "Cap", 1, "15.00")),
                tax_rate="0",
                promotion="2.00" if n == 1 else "0",
                fulfillment="AFN" if n % 2 else "MFN",
                status="Shipped" if n == 3 else "Unshipped",
            )
        amazon.tick(7)
        pending.append(
            amazon.add_order(status="Pending", tax_rate="0")["AmazonOrderId"]
        )  # not paid yet: not read

    synced = orders_reach_quickbooks(
        stack,
        tmp_path,
        kind="amazon",
        name="Blue Heron on Amazon",
        credentials={
            "client_id": amazon.client_id,
            "client_secret": amazon.client_secret,
            "refresh_token": amazon.refresh_token,
            "marketplace_id": amazon.marketplace_id,
        },
        add_orders=add_orders,
        expected=ORDERS,
        secrets=(amazon.client_secret, amazon.refresh_token),
    )
    assert synced.channel["store_name"] == "Amazon.com seller account"
    assert pending[0] not in {o["order_id"] for o in synced.orders}
    reads = amazon.requests_to("/orders/v0/")
    assert reads and all(r.headers["x-amz-access-token"].startswith("Atza|") for r in reads)
    assert all(r.method == "GET" for r in reads)  # orders only
