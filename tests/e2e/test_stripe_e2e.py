"""Payments taken in a (fake) Stripe account reach the simulated QuickBooks company by themselves on the
running local stack: the channel's schedule fires in the local runner, the fetch handler lists the account's
charges and refunds by `created`, the next Web Connector session posts them, and a resync finds them all
already in QuickBooks.

Stripe's API host is fixed, so this stack points `stripe` at the fake (LEDGERBRIDGE_STORE_API_URLS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledgerbridge.fakes.stripe import FakeStripe
from tests.conftest import LocalStack, start_stack, stop_stack
from tests.e2e.stores import orders_reach_quickbooks

pytestmark = pytest.mark.xdist_group("stripe-stack")

ORDERS = 4


@pytest.fixture(scope="module")
def stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.now = datetime.now(UTC) - timedelta(minutes=10)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, stripe: FakeStripe) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path_factory.mktemp("stripe"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"stripe={stripe.base_url}"},
    )
    yield running
    stop_stack(running)


def test_stripe_payments_reach_quickbooks_by_themselves(
    stack: LocalStack, stripe: FakeStripe, tmp_path: Any
) -> None:
    def add_orders() -> None:
        for n in range(ORDERS - 1):  # Checkout payments, and one bare charge
            stripe.tick(7)
            stripe.add_order(
                (("price_mug", 1 + n % 2), ("price_cap", 1)), tax_rate="0", coupon_percent=10 * n
            )
        stripe.tick(7)
        stripe.add_order(None, amount=4200, payment_intent=False)

    synced = orders_reach_quickbooks(
        stack,
        tmp_path,
        kind="stripe",
        name="Blue Heron on Stripe",
        credentials={"api_key": stripe.api_key},
        add_orders=add_orders,
        expected=ORDERS,
        secrets=(stripe.api_key,),
    )
    assert synced.channel["store_name"] == "Stripe account (test mode)"
    reads = stripe.requests_to("/v1/")
    assert reads and all(r.headers["authorization"] == f"Bearer {stripe.api_key}" for r in reads)
    assert all(r.method == "GET" for r in reads)  # a read-only key is all it needs
