"""Orders added to a (fake) Square seller reach the simulated QuickBooks company by themselves on the running
local stack: the channel's schedule fires in the local runner, the fetch handler searches Square's orders,
the next Web Connector session posts them, and a resync finds them all already in QuickBooks.

Square's API host is fixed, so this stack points `square` at the fake (LEDGERBRIDGE_STORE_API_URLS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.fakes.square import FakeSquare
from tests.conftest import LocalStack, start_stack, stop_stack
from tests.e2e.stores import orders_reach_quickbooks

pytestmark = pytest.mark.xdist_group("square-stack")

ORDERS = 4


@pytest.fixture(scope="module")
def square() -> Iterator[FakeSquare]:
    fake = FakeSquare()
    fake.now = datetime.now(UTC) - timedelta(minutes=10)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, square: FakeSquare) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path_factory.mktemp("square"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"square={square.base_url}"},
    )
    yield running
    stop_stack(running)


def test_square_orders_reach_quickbooks_by_themselves(stack, square, tmp_path):
    def add_orders() -> None:
        for n in range(ORDERS):
            square.tick(7)
            square.add_order(
                (("MUG-01", 1 + n % 2), ("CAP-1", 1)), tax_percent=None, discount_percent="10" if n else None
            )

    synced = orders_reach_quickbooks(
        stack,
        tmp_path,
        kind="square",
        name="Blue Heron on Square",
        credentials={"access_token": square.access_token},
        add_orders=add_orders,
        expected=ORDERS,
        secrets=(square.access_token,),
    )
    assert synced.channel["store_name"] == "Blue Heron Goods"
    searches = square.requests_to("/v2/orders/search")
    assert searches and all(r.headers["authorization"] == f"Bearer {square.access_token}" for r in searches)
