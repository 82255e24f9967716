"""Stripe specifics against FakeStripe over loopback (the shared behaviours are in contract/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.channels.base import FatalError, HttpOptions, Page, Window
from chalicelib.channels.stripe import SPEC, THREE_DECIMAL, ZERO_DECIMAL, StripeConnector, units
from chalicelib.orders.model import parse_order
from ledgerbridge.fakes.stripe import FakeStripe
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeStripe]:
    store = FakeStripe(rate_per_second=1_000)
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeStripe, clock: VirtualClock, page_size: int | None = None) -> StripeConnector:
    connector = SPEC.build(
        {"api_key": fake.api_key},
        HttpOptions(
            allow_private_urls=True,
            sleep=clock.sleep,
            page_size=page_size,
            base_url_overrides={"stripe": fake.base_url},
        ),
    )
    assert isinstance(connector, StripeConnector)
    return connector


def read(connector: StripeConnector, window: Window) -> list[Page]:
    pages = [connector.fetch_page(window, None)]
    while pages[-1].next_token is not None:
        pages.append(connector.fetch_page(window, pages[-1].next_token))
        assert len(pages) < 200
    return pages


def test_a_checkout_payment_maps_its_line_items_discount_tax_shipping_and_refund(
    fake: FakeStripe, clock: VirtualClock
) -> None:
    charge = fake.add_order((("price_mug", 2), ("price_tee", 1)), shipping=500, coupon_percent=10)
    order_id = fake.order_id(charge)
    refund = fake.refund(order_id, 1215)

    (fetched,) = [o for p in read(connect(fake, clock), Window(None, fake.tick(60))) for o in p.orders]

    assert fetched.order_id == order_id and order_id.startswith("pi_")
    assert fetched.document is not None, fetched.problem
    order = parse_order(fetched.document)
    # 45.00 of goods, 10 % off on each line (2.50 + 2.00), 8 % tax on 40.50 (1.80 + 1.44), 5.00 shipping
    assert [(ln.sku, ln.title, ln.quantity, ln.unit_price, ln.discount, ln.tax) for ln in order.lines] == [
        ("prod_mug", "Coffee Mug", Decimal(2), Decimal("12.50"), Decimal("2.50"), Decimal("1.80")),
        ("prod_tee", "T-Shirt - M", Decimal(1), Decimal("20.00"), Decimal("2.00"), Decimal("1.44")),
    ]
    assert order.discounts == ()  # all on the lines: not taken off twice
    assert [s.price for s in order.shipping_lines] == [Decimal("5.00")]
    assert [t.amount for t in order.tax_lines] == [Decimal("3.24")]
    assert order.total == Decimal("48.74") == Decimal(charge["amount"]) / 100
    assert [(p.method, p.amount, p.reference) for p in order.payments] == [
        ("Visa 4242", Decimal("48.74"), charge["id"])
    ]
    assert [(r.refund_id, r.amount, r.note) for r in order.refunds] == [
        (refund["id"], Decimal("12.15"), "requested by customer")
    ]
    assert fetched.updated_at == order.refunds[0].created_at  # the refund is the order's last change
    assert order.customer.email == "ada@example.com" and order.shipping_address.city == "Austin"


def test_a_bare_charge_is_one_line_for_its_amount_and_failed_charges_are_not_orders(
    fake: FakeStripe, clock: VirtualClock
) -> None:
    legacy = fake.add_order(None, amount=4200, payment_intent=False)
    fake.add_order(None, amount=999, status="failed")

    (fetched,) = [o for p in read(connect(fake, clock), Window(None, fake.tick(60))) for o in p.orders]

    assert fetched.order_id == legacy["id"] and fetched.order_id.startswith("ch_")
    assert fetched.document is not None
    order = parse_order(fetched.document)
    assert [(ln.title, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("Workshop booking", Decimal(1), Decimal("42.00"))
    ]
    assert order.total == Decimal("42.00") and order.payment_status == "paid"


def test_zero_decimal_currencies_are_whole_units(fake: FakeStripe, clock: VirtualClock) -> None:
    fake.add_order(None, amount=1250, currency="jpy")

    (fetched,) = [o for p in read(connect(fake, clock), Window(None, fake.tick(60))) for o in p.orders]

    assert fetched.document is not None
    assert fetched.document["currency"] == "JPY" and fetched.document["total"] == "1250.00"


@given(
    value=st.integers(-(10**12), 10**12),
    currency=st.sampled_from(["USD", "EUR", *ZERO_DECIMAL, *THREE_DECIMAL]),
)
def test_minor_units_convert_exactly(value: int, currency: str) -> None:
    exponent = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    assert units(value, currency) * 10**exponent == value
    with pytest.raises(ValueError):
        units(str(value), currency)  # Stripe's amounts are integers; a string is a malformed answer


def test_a_late_refund_of_an_old_payment_is_read_by_the_refunds_window(
    fake: FakeStripe, clock: VirtualClock
) -> None:
    old = fake.order_id(fake.add_order((("price_cap", 1),)))
    fake.add_orders(4, seed=5)
    bookmark = fake.tick(60)
    connector = connect(fake, clock, page_size=2)
    assert old in {o.order_id for p in read(connector, Window(None, bookmark)) for o in p.orders}
    fake.now += timedelta(days=20)
    refund = fake.refund(old, 500)

    second = [o for p in read(connector, Window(bookmark, fake.tick(60))) for o in p.orders]

    assert [o.order_id for o in second] == [old]
    assert second[0].document is not None
    assert [r["id"] for r in second[0].document["refunds"]] == [refund["id"]]
    assert second[0].updated_at.timestamp() == refund["created"]


def test_a_second_holding_more_than_a_page_is_read_by_starting_after(
    fake: FakeStripe, clock: VirtualClock
) -> None:
    old = fake.order_id(fake.add_order(None, amount=5000))
    fake.tick(10)
    ids = [fake.order_id(fake.add_order(None, amount=100 + i)) for i in range(7)]  # all in one second
    fake.now -= timedelta(seconds=1)
    fake.refund(old, 50)  # (one second later: back in the crowded second) an older payment's refund
    connector = connect(fake, clock, page_size=3)
    window = Window(None, fake.tick(60))

    fetched = [o for p in read(connector, window) for o in p.orders]

    assert sorted(o.order_id for o in fetched) == sorted([*ids, old])
    assert len({o.updated_at for o in fetched}) == 1  # all changed in that second
    assert any("starting_after" in r.query for r in fake.requests_to("/v1/charges"))


def test_a_session_with_more_items_than_an_expanded_list_holds_pages_its_line_items(
    fake: FakeStripe, clock: VirtualClock
) -> None:
    fake.add_order(tuple((p, 1) for p in ("price_mug", "price_tee", "price_cap") * 5))  # 15 items

    (fetched,) = [o for p in read(connect(fake, clock), Window(None, fake.tick(60))) for o in p.orders]

    assert fetched.document is not None and len(fetched.document["lines"]) == 15
    assert fake.requests_to("/line_items")


def test_consecutive_429s_back_off_exponentially(fake: FakeStripe, clock: VirtualClock) -> None:
    fake.add_orders(1, seed=1)
    fake.fail_next(429, times=3, body={"error": {"type": "invalid_request_error", "code": "rate_limit"}})

    read(connect(fake, clock), Window(None, fake.tick(60)))

    assert clock.sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("", "Enter a Stripe restricted API key"),
        ("sk_live_abc", "Use a restricted key"),
        ("pk_live_x", "not the"),
    ],
)
def test_keys_that_are_not_restricted_keys_are_refused_before_any_call(key: str, words: str) -> None:
    with pytest.raises(FatalError) as caught:
        SPEC.build({"api_key": key}, HttpOptions())
    assert words in caught.value.message


def test_a_key_missing_a_read_permission_says_which_permissions_to_give(
    fake: FakeStripe, clock: VirtualClock
) -> None:
    fake.permissions.discard("rak_checkout_session_read")

    with pytest.raises(FatalError) as caught:
        connect(fake, clock).check_credentials()

    assert "Checkout Sessions: Read" in caught.value.message and "HTTP" not in caught.value.message


def test_test_mode_keys_say_so_in_the_store_name(fake: FakeStripe, clock: VirtualClock) -> None:
    assert connect(fake, clock).check_credentials() == "Stripe account (test mode)"
