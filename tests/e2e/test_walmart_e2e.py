"""Purchase orders of a (fake) Walmart Marketplace seller reach the simulated QuickBooks company by themselves
on the running local stack: the channel's schedule fires in the local runner, the fetch handler takes an
access token and reads the orders by their last change, the next Web Connector session posts them, and a
resync finds them all already in QuickBooks. Walmart's API host is fixed, so this stack points `walmart` at
the fake (LEDGERBRIDGE_STORE_API_URLS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.fakes.walmart import FakeWalmart
from tests.conftest import LocalStack, start_stack, stop_stack
from tests.e2e.stores import orders_reach_quickbooks

pytestmark = pytest.mark.xdist_group("walmart-stack")

ORDERS = 4


@pytest.fixture(scope="module")
def walmart() -> Iterator[FakeWalmart]:
    fake = FakeWalmart()
    fake.now = datetime.now(UTC) - timedelta(minutes=10)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, walmart: FakeWalmart) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path_factory.mktemp("walmart"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"walmart={walmart.base_url}"},
    )
    yield running
    stop_stack(running)


def test_walmart_orders_reach_quickbooks_by_themselves(stack, walmart, tmp_path):
    def add_orders() -> None:
        for n in range(ORDERS):
            walmart.tick(7)
            walmart.add_order(
                (("MUG-01", "Coffee Mug", 1 + n % 2, "12.50"), ("CAP-1", "Cap", 1, "15.00")),
                shipping="5.00" if n else "0.00",
                tax_rate="0",
            )

    synced = orders_reach_quickbooks(
        stack,
        tmp_path,
        kind="walmart",
        name="Blue Heron on Walmart",
        credentials={"client_id": walmart.client_id, "client_secret": walmart.client_secret},
        add_orders=add_orders,
        expected=ORDERS,
        secrets=(walmart.client_secret,),
    )
    assert synced.channel["store_name"].startswith("Walmart Marketplace seller")
    reads = walmart.requests_to("/v3/orders")
    assert reads and all(r.headers["wm_sec.access_token"] in walmart.tokens for r in reads)
    tokens = [r for r in walmart.requests_to("/v3/token") if r.path == "/v3/token"]
    assert tokens and all(r.headers["authorization"].startswith("Basic ") for r in tokens)
