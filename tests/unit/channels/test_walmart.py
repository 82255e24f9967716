"""Walmart specifics: the purchase order as a canonical order (charges, tax, refunds, statuses), the access
token's life, Walmart's rate-limit headers, slices narrowed to a page, the cursor within one millisecond, a
query without orders (404), the Orders scope, and stock pushed with PUT /v3/inventory. What every connector
does is in contract/test_contract.py."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import FatalError, HttpOptions, Page, StockUpdate, Window, inventory_target
from chalicelib.channels.walmart import NO_ORDERS_SCOPE, Walmart
from ledgerbridge.fakes.walmart import FakeWalmart
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeWalmart]:
    store = FakeWalmart()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeWalmart, clock: VirtualClock, page_size: int | None = None, **extra: str) -> Walmart:
    options = HttpOptions(
        allow_private_urls=True,
        sleep=clock.sleep,
        page_size=page_size,
        base_url_overrides={"walmart": fake.base_url},
    )
    credentials = {"client_id": fake.client_id, "client_secret": fake.client_secret, **extra}
    return Walmart(credentials, options, now=clock.now)


def read_all(connector: Walmart, window: Window) -> list[Page]:
    pages = [connector.fetch_page(window, None)]
    while pages[-1].next_token is not None:
        pages.append(connector.fetch_page(window, pages[-1].next_token))
        assert len(pages) < 200
    return pages


def test_a_purchase_order_becomes_a_canonical_order(fake: FakeWalmart, clock: VirtualClock) -> None:
    placed = fake.add_order(
        (("MUG-01", "Coffee Mug", 2, "12.50"), ("CAP-1", "Cap", 1, "15.00")), shipping="5.00", tax_rate="0.08"
    )
    (page,) = read_all(connect(fake, clock), Window(None, fake.tick(60)))

    (fetched,) = page.orders
    order = fetched.order
    assert order is not None and fetched.document is not None
    assert fetched.order_id == order.number == placed["purchaseOrderId"]
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.tax) for ln in order.lines] == [
        ("MUG-01", Decimal(2), Decimal("12.50"), Decimal("2.00")),
        ("CAP-1", Decimal(1), Decimal("15.00"), Decimal("1.20")),
    ]
    (shipping,) = order.shipping_lines
    assert (shipping.title, shipping.price, shipping.tax) == (
        "Shipping (Value)",
        Decimal("5.00"),
        Decimal("0.40"),
    )
    assert [(t.title, t.amount) for t in order.tax_lines] == [
        ("Sales tax collected by Walmart", Decimal("3.60"))
    ]
    assert order.tax_collected_by_marketplace  # Walmart remits it (the channel's marketplace_tax applies)
    assert order.total == order.computed_total == Decimal("48.60")
    assert order.payment_status == "paid" and order.paid_amount == order.total
    assert (order.customer.first_name, order.customer.last_name) == ("Ada", "Lovelace")
    assert order.shipping_address.postal_code == "78701" and order.shipping_address.state == "TX"
    assert order.note == f"Walmart customer order {placed['customerOrderId']}"
    assert order.created_at == fetched.updated_at and order.status == "Created"


@given(
    quantity=st.integers(1, 9),
    cents=st.integers(1, 100_000),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_line_charge_is_the_amount_for_the_whole_quantity(quantity: int, cents: int) -> None:
    """Whatever the charge, the canonical line adds up to it to the cent (a price that does not divide by the
    quantity becomes a unit price rounded up less a discount under a cent a unit)."""
    from chalicelib.channels.walmart import document
    from chalicelib.orders.model import parse_order

    fake = FakeWalmart()
    raw = fake.add_order((("MUG-01", "Coffee Mug", 1, "1.00"),), shipping="0.00", tax_rate="0")
    line = raw["orderLines"]["orderLine"][0]
    line["orderLineQuantity"]["amount"] = str(quantity)
    line["charges"]["charge"][0]["chargeAmount"]["amount"] = cents / 100
    order = parse_order(document(raw, fake.now))

    (parsed,) = order.lines
    assert parsed.amount - parsed.discount == Decimal(cents) / 100
    assert Decimal(0) <= parsed.discount < Decimal("0.01") * quantity
    assert order.total == order.computed_total


def test_refunds_and_statuses_follow_the_lines(fake: FakeWalmart, clock: VirtualClock) -> None:
    first = fake.add_order((("MUG-01", "Coffee Mug", 1, "12.50"),), shipping="0.00")
    second = fake.add_order((("CAP-1", "Cap", 1, "15.00"),), shipping="0.00")
    fake.change_order(first["purchaseOrderId"], "Shipped")
    fake.add_refund(first["purchaseOrderId"], 1, "12.50", "1.00")
    fake.change_order(second["purchaseOrderId"], "Cancelled")

    fetched = {
        o.order_id: o for p in read_all(connect(fake, clock), Window(None, fake.tick(60))) for o in p.orders
    }

    shipped = fetched[first["purchaseOrderId"]].order
    assert shipped is not None and shipped.status == "Shipped"
    (refund,) = shipped.refunds
    assert (refund.refund_id, refund.amount, refund.note) == (
        f"R{first['purchaseOrderId']}-1",
        Decimal("13.50"),
        "Customer returned item",
    )
    assert fetched[first["purchaseOrderId"]].updated_at == refund.created_at
    cancelled = fetched[second["purchaseOrderId"]].order
    assert cancelled is not None and cancelled.status == "Cancelled"
    assert cancelled.payment_status == "unpaid" and not cancelled.payments


def test_one_token_serves_its_lifetime_then_a_new_one_is_asked(
    fake: FakeWalmart, clock: VirtualClock
) -> None:
    fake.add_orders(3, seed=1)
    connector = connect(fake, clock)
    window = Window(None, fake.tick(60))
    read_all(connector, window)
    read_all(connector, window)
    (token_call,) = fake.requests_to("/v3/token")
    secret = f"{fake.client_id}:{fake.client_secret}".encode()
    assert token_call.headers["authorization"] == "Basic " + base64.b64encode(secret).decode()
    assert token_call.body == b"grant_type=client_credentials"
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    reads = fake.requests_to("/v3/orders")
    assert {r.headers["wm_sec.access_token"] for r in reads} == {"wm-token-1"}
    assert len({r.headers["wm_qos.correlation_id"] for r in fake.requests}) == len(fake.requests)
    assert all(r.headers["wm_svc.name"] == "Walmart Marketplace" for r in fake.requests)

    clock.sleep(841)  # a minute before the 900 s are over, the token is renewed
    read_all(connector, window)

    assert len(fake.requests_to("/v3/token")) == 2
    assert fake.requests_to("/v3/orders")[-1].headers["wm_sec.access_token"] == "wm-token-2"


def test_a_429_waits_until_the_next_replenish_time(fake: FakeWalmart, clock: VirtualClock) -> None:
    fake.add_orders(2, seed=3)
    connector = connect(fake, clock)
    window = Window(None, fake.tick(60))
    fake.exhaust_rate_limit()  # the fake's minute starts now, every token used
    clock.sleep(20)
    clock.sleeps.clear()

    assert len(read_all(connector, window)[0].orders) == 2

    assert clock.sleeps == [pytest.approx(40.0)] and fake.throttled == 1  # until the minute is over


def test_the_last_token_of_a_window_is_waited_for_before_the_next_call(
    fake: FakeWalmart, clock: VirtualClock
) -> None:
    """x-current-token-count 0 on a successful answer: the connector waits before calling again, no 429."""
    fake.quota = 2
    fake.add_orders(3, seed=5)
    connector = connect(fake, clock, page_size=1)
    read_all(connector, Window(None, fake.tick(60)))

    assert fake.throttled == 0
    assert clock.sleeps and all(s == pytest.approx(fake.window) for s in clock.sleeps)


def test_a_window_without_orders_is_walmarts_404_and_an_empty_page(
    fake: FakeWalmart, clock: VirtualClock
) -> None:
    page = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None)

    assert page == Page([], None)
    (answer,) = fake.requests_to("/v3/orders")
    assert answer.param("lastModifiedEndDate") == "2026-11-01T12:01:00.000Z"


def test_another_404_is_not_taken_for_an_empty_window(fake: FakeWalmart, clock: VirtualClock) -> None:
    fake.add_orders(2, seed=1)
    connector = connect(fake, clock)
    connector.check_credentials()  # the token is taken: the next call is the order list
    fake.fail_next(404, body={"errors": {"error": [{"code": "NOT_FOUND.GMP_GATEWAY_API"}]}})
    with pytest.raises(FatalError, match="HTTP 404"):
        connector.fetch_page(Window(None, fake.tick(60)), None)


@given(at_once=st.integers(2, 9), page_size=st.integers(1, 4), before=st.integers(0, 3))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_more_orders_in_one_millisecond_than_a_page_are_read_with_walmarts_cursor(
    at_once: int, page_size: int, before: int
) -> None:
    clock = VirtualClock()
    fake = FakeWalmart()
    fake.rate_clock = clock.now
    with fake:
        ids = [fake.add_order()["purchaseOrderId"] for _ in range(before)]
        fake.tick(1)
        ids += [fake.add_order()["purchaseOrderId"] for _ in range(at_once)]
        fake.tick(1)
        ids.append(fake.add_order()["purchaseOrderId"])
        window = Window(fake.now - timedelta(minutes=5), fake.tick(60))
        pages = read_all(connect(fake, clock, page_size=page_size), window)
        cursor_reads = [r for r in fake.requests_to("/v3/orders") if r.param("soIndex")]

    read = [o.order_id for p in pages for o in p.orders]
    assert sorted(read) == sorted(ids)
    stamps = [o.updated_at for p in pages for o in p.orders]
    assert stamps == sorted(stamps)
    # The `before` orders share a millisecond too (no tick between them): either group past a page needs the cursor.
    assert bool(cursor_reads) == (max(at_once, before) > page_size)


def test_keys_without_orders_access_are_refused_in_plain_words(
    fake: FakeWalmart, clock: VirtualClock
) -> None:
    assert connect(fake, clock).check_credentials().startswith("Walmart Marketplace seller")
    fake.scopes["orders"] = "no_access"

    with pytest.raises(FatalError) as caught:
        connect(fake, clock).check_credentials()

    assert caught.value.message == NO_ORDERS_SCOPE


def test_stock_levels_are_read_and_set_by_sku(fake: FakeWalmart, clock: VirtualClock) -> None:
    fake.add_item("BAG-9", 3)
    target = inventory_target(connect(fake, clock))

    found = target.find_stock_items(["MUG-01", " BAG-9 ", "NOPE-1"])
    results = target.set_quantities(
        [
            StockUpdate("BAG-9", "BAG-9", 7),
            StockUpdate("NOPE-1", "NOPE-1", 1),
            StockUpdate("MUG-01", "MUG-01", -2),
        ]
    )

    assert {sku: [(i.ref, i.quantity) for i in items] for sku, items in found.items()} == {
        "MUG-01": [("MUG-01", 10)],
        " BAG-9 ": [("BAG-9", 3)],
    }
    assert [(r.ok, r.problem) for r in results] == [
        (True, None),
        (False, "Walmart has no item with SKU NOPE-1"),
        (True, None),
    ]
    assert fake.inventory["BAG-9"] == 7 and fake.inventory["MUG-01"] == 0
    put: Any = fake.requests_to("/v3/inventory")[-1]
    assert put.method == "PUT" and put.json() == {"sku": "MUG-01", "quantity": {"unit": "EACH", "amount": 0}}
