"""BigCommerce specifics against FakeBigCommerce over loopback (the shared behaviours are in contract/)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from chalicelib.channels.base import FatalError, HttpOptions, Window
from chalicelib.channels.bigcommerce import SPEC, BigCommerce
from chalicelib.orders.model import parse_order
from ledgerbridge.fakes.bigcommerce import FakeBigCommerce
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeBigCommerce]:
    store = FakeBigCommerce(quota=3, window_ms=30_000)
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeBigCommerce, clock: VirtualClock) -> BigCommerce:
    connector = SPEC.build(
        {"store_hash": fake.store_hash, "access_token": fake.access_token},
        HttpOptions(
            allow_private_urls=True, sleep=clock.sleep, base_url_overrides={"bigcommerce": fake.base_url}
        ),
    )
    assert isinstance(connector, BigCommerce)
    return connector


def test_an_order_with_a_coupon_shipping_and_a_refund_maps_to_the_canonical_order(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    fake.quota = 100
    doc = fake.add_order(
        (("MUG-01", "Coffee Mug", 2, "12.50"), ("TEE-M", "T-Shirt - M", 1, "20.00")), coupon="SAVE10"
    )
    line_id = fake.products[str(doc["id"])][0]["id"]
    fake.add_refund(doc["id"], line_id, 1, "12.15")

    (fetched,) = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None).orders

    assert fetched.problem is None and fetched.document is not None
    order = parse_order(fetched.document)
    # 45.00 of goods, 10 % coupon allocated to the lines (4.50), 8 % tax on 40.50 (3.24), 5.00 shipping
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.discount) for ln in order.lines] == [
        ("MUG-01", Decimal(2), Decimal("12.50"), Decimal("2.50")),
        ("TEE-M", Decimal(1), Decimal("20.00"), Decimal("2.00")),
    ]
    assert order.discounts == ()  # the coupon is all on the lines: not taken off twice
    assert order.total == order.computed_total == Decimal("48.74")
    assert [s.price for s in order.shipping_lines] == [Decimal("5.00")]
    assert order.payment_status == "paid" and order.paid_amount == Decimal("48.74")
    (refund,) = order.refunds
    assert refund.amount == Decimal("12.15") and [(r.line_id, r.quantity) for r in refund.lines] == [
        (str(line_id), Decimal(1))
    ]
    assert fake.requests[-1].headers["x-auth-token"] == fake.access_token


def test_waits_for_the_quota_window_when_no_request_is_left(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    connector = connect(fake, clock)

    for _ in range(3):
        connector.check_credentials()  # the third answer says 0 requests left

    assert clock.sleeps == []
    assert connector.check_credentials() == "Blue Heron Goods"
    assert clock.sleeps == [30.0] and fake.throttled == 0


def test_a_store_hash_that_is_not_one_is_refused_before_any_request(fake: FakeBigCommerce) -> None:
    with pytest.raises(FatalError, match="short code in the API path"):
        SPEC.build({"store_hash": "https://store-abc.mybigcommerce.com", "access_token": "t"}, HttpOptions())
    with pytest.raises(FatalError, match="store hash and the API account's access token"):
        SPEC.build({"store_hash": "abc"}, HttpOptions())
    assert fake.requests == []


def test_spec() -> None:
    assert (SPEC.kind, SPEC.vendor) == ("bigcommerce", "BigCommerce")
    assert [(f.name, f.secret, f.required) for f in SPEC.fields] == [
        ("store_hash", False, True),
        ("access_token", True, True),
        ("location_id", False, False),
    ]
