"""Orders added to a (fake) BigCommerce store reach the simulated QuickBooks company by themselves on the
running local stack: the channel's schedule fires in the local runner, the fetch handler reads the store's v2
orders, the next Web Connector session posts them, and a resync finds them all already in QuickBooks.

BigCommerce's API host is fixed, so this stack points `bigcommerce` at the fake
(LEDGERBRIDGE_STORE_API_URLS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.fakes.bigcommerce import FakeBigCommerce
from tests.conftest import LocalStack, start_stack, stop_stack
from tests.e2e.stores import orders_reach_quickbooks

pytestmark = pytest.mark.xdist_group("bigcommerce-stack")

ORDERS = 4


@pytest.fixture(scope="module")
def bigcommerce() -> Iterator[FakeBigCommerce]:
    fake = FakeBigCommerce()
    fake.now = datetime.now(UTC) - timedelta(minutes=10)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, bigcommerce: FakeBigCommerce) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path_factory.mktemp("bigcommerce"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"bigcommerce={bigcommerce.base_url}"},
    )
    yield running
    stop_stack(running)


def test_bigcommerce_orders_reach_quickbooks_by_themselves(stack, bigcommerce, tmp_path):
    def add_orders() -> None:
        for n in range(ORDERS):
            bigcommerce.tick(7)
            bigcommerce.add_order(
                (("MUG-01", "Coffee Mug", 1 + n % 2, "12.50"), ("CAP-1", "Cap", 1, "15.00")),
                tax_rate="0",
                coupon="SAVE10" if n else None,
            )

    synced = orders_reach_quickbooks(
        stack,
        tmp_path,
        kind="bigcommerce",
        name="Blue Heron on BigCommerce",
        credentials={"store_hash": bigcommerce.store_hash, "access_token": bigcommerce.access_token},
        add_orders=add_orders,
        expected=ORDERS,
        secrets=(bigcommerce.access_token,),
    )
    assert synced.channel["store_name"] == "Blue Heron Goods"
    listed = bigcommerce.requests_to("/v2/orders")
    assert listed and all(r.headers["x-auth-token"] == bigcommerce.access_token for r in listed)
