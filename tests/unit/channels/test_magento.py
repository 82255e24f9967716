"""Magento specifics against FakeMagento over loopback (the shared behaviours are in contract/)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import FatalError, HttpOptions, StockUpdate, Window, inventory_target
from chalicelib.channels.magento import SPEC, Magento
from chalicelib.orders.model import parse_order
from ledgerbridge.fakes.magento import FakeMagento
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeMagento]:
    store = FakeMagento()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeMagento, clock: VirtualClock, *, page_size: int | None = None, **extra: str) -> Magento:
    connector = SPEC.build(
        {"store_url": fake.base_url, "access_token": fake.access_token, **extra},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep, page_size=page_size),
    )
    assert isinstance(connector, Magento)
    return connector


def read_all(connector: Magento, window: Window) -> list[str]:
    ids: list[str] = []
    token: str | None = None
    for _ in range(500):
        page = connector.fetch_page(window, token)
        ids.extend(o.order_id for o in page.orders)
        token = page.next_token
        if token is None:
            return ids
    raise AssertionError("paging did not end")


def test_an_order_with_a_coupon_shipping_and_a_credit_memo_maps_to_the_canonical_order(
    fake: FakeMagento, clock: VirtualClock
) -> None:
    doc = fake.add_order(
        (("MUG-01", "Coffee Mug", 2, "12.50"), ("TEE-M", "T-Shirt - M", 1, "20.00")),
        coupon="SAVE10",
        tax_rate="0",
    )
    mug = doc["items"][0]["item_id"]
    fake.add_credit_memo(doc["entity_id"], mug, 1, shipping="5.00")

    page = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None)

    (fetched,) = page.orders
    assert page.total == 1
    assert fetched.problem is None and fetched.document is not None
    assert (fetched.order_id, fetched.number) == (str(doc["entity_id"]), doc["increment_id"])
    order = parse_order(fetched.document)
    # 45.00 of goods, 10 % coupon on the items (2.50 + 2.00), no tax, 5.00 flat rate
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.discount) for ln in order.lines] == [
        ("MUG-01", Decimal(2), Decimal("12.50"), Decimal("2.50")),
        ("TEE-M", Decimal(1), Decimal("20.00"), Decimal("2.00")),
    ]
    assert order.discounts == ()  # the coupon is all on the items: not taken off twice
    assert order.total == order.computed_total == Decimal("45.50")
    assert [(s.title, s.price) for s in order.shipping_lines] == [("Flat Rate - Fixed", Decimal("5.00"))]
    assert order.payment_status == "paid" and order.payments[0].method == "checkmo"
    assert order.shipping_address.line1 == "12 Analytical Way" and order.shipping_address.state == "TX"
    (refund,) = order.refunds
    assert refund.amount == Decimal("16.25")  # 12.50 - 1.25 discount + 5.00 shipping
    assert [(r.line_id, r.quantity, r.amount) for r in refund.lines] == [
        (str(mug), Decimal(1), Decimal("11.25"))
    ]
    assert refund.shipping == Decimal("5.00")
    memo_searches = fake.requests_to("/creditmemos")
    assert len(memo_searches) == 1
    assert memo_searches[0].param("searchCriteria[filter_groups][0][filters][0][condition_type]") == "in"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {fake.access_token}"


def test_an_unpaid_guest_order_and_an_order_discount_beyond_the_items(
    fake: FakeMagento, clock: VirtualClock
) -> None:
    doc = fake.add_order(paid=False, guest=True, tax_rate="0")
    fake.change_order(doc["entity_id"], discount_amount=-3.0, grand_total=27.0, coupon_code="WELCOME3")

    (fetched,) = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None).orders

    assert fetched.document is not None
    order = parse_order(fetched.document)
    assert order.payment_status == "unpaid" and order.payments == ()
    assert [(d.code, d.amount) for d in order.discounts] == [("WELCOME3", Decimal("3.00"))]
    assert order.total == order.computed_total == Decimal("27.00")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 14),
    page_size=st.integers(1, 4),
    seed=st.integers(0, 500),
    changes=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 13)), max_size=4),
)
def test_many_orders_in_one_second_are_each_read_once_while_orders_change(
    n: int, page_size: int, seed: int, changes: list[tuple[int, int]]
) -> None:
    """Stronger than the contract's bound for offset paging: the keyset on (updated_at, entity_id) leaves no
    gap even when more orders share one second than a page holds."""
    clock = VirtualClock()
    fake = FakeMagento()
    fake.start()
    try:
        rng = random.Random(seed)
        ids = []
        for _ in range(n):
            fake.tick(rng.choice((0, 0, 0, 1)))  # most orders share a second with others
            ids.append(str(fake.add_order()["entity_id"]))
        window = Window(None, fake.tick(60))
        connector = connect(fake, clock, page_size=page_size)
        read: list[str] = []
        changed: set[str] = set()
        token: str | None = None
        for number in range(500):
            page = connector.fetch_page(window, token)
            read.extend(o.order_id for o in page.orders)
            for after_page, index in changes:
                if after_page == number:
                    fake.change_order(ids[index % n])
                    changed.add(ids[index % n])
            token = page.next_token
            if token is None:
                break
        pages = fake.requests_to("/V1/orders")
    finally:
        fake.stop()
    assert len(read) == len(set(read))
    assert set(ids) - changed <= set(read) <= set(ids)
    assert {r.param("searchCriteria[currentPage]") for r in pages} == {"1"}


def test_a_page_past_the_end_is_never_asked_for(fake: FakeMagento, clock: VirtualClock) -> None:
    """The fake answers a currentPage past the end with the last page again, as Magento does; the
    connector stops by total_count instead of waiting for an empty page."""
    fake.add_orders(6, seed=3)
    window = Window(None, fake.tick(60))
    assert len(read_all(connect(fake, clock, page_size=3), window)) == 6
    fake.requests.clear()

    connector = connect(fake, clock, page_size=3)
    body = connector._get("orders", {"searchCriteria[pageSize]": 3, "searchCriteria[currentPage]": 9})

    assert body["total_count"] == 6 and len(body["items"]) == 3
    assert body["search_criteria"]["current_page"] == 2


def test_a_429_without_retry_after_is_backed_off(fake: FakeMagento, clock: VirtualClock) -> None:
    fake.add_orders(2, seed=1)
    fake.retry_after_header = False
    fake.rate_window = 3.0  # the back-off's first three waits add up to 3.5 s at least: passed in 5 attempts
    fake.exhaust_rate_limit()

    page = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None)

    # no header to go by: exponential back-off (with jitter) until the CDN's window has passed
    assert len(page.orders) == 2 and fake.throttled == len(clock.sleeps) >= 1
    assert 0 < clock.sleeps[0] <= 1
    assert all(0 < wait <= 2 ** (attempt + 1) for attempt, wait in enumerate(clock.sleeps))
    assert sum(clock.sleeps) >= fake.rate_window


def test_a_rejected_token_is_fatal_with_the_integration_named(fake: FakeMagento, clock: VirtualClock) -> None:
    connector = connect(fake, clock, access_token="wrong")

    with pytest.raises(FatalError, match=r"System > Extensions > Integrations"):
        connector.check_credentials()
    assert fake.requests[-1].path == "/rest/V1/orders"


def test_the_store_address_may_be_pasted_with_the_api_path_and_the_name_is_the_website(
    fake: FakeMagento, clock: VirtualClock
) -> None:
    fake.add_order()
    connector = SPEC.build(
        {"store_url": fake.base_url + "/rest/V1/", "access_token": fake.access_token},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep),
    )

    assert connector.check_credentials() == "Blue Heron Goods"


def test_credentials_are_checked_before_any_request(fake: FakeMagento) -> None:
    with pytest.raises(FatalError, match="store address and the integration's access token"):
        SPEC.build({"store_url": fake.base_url}, HttpOptions(allow_private_urls=True))
    with pytest.raises(FatalError, match="not an inventory source code"):
        SPEC.build(
            {"store_url": fake.base_url, "access_token": "t", "source_code": "main store"},
            HttpOptions(allow_private_urls=True),
        )
    with pytest.raises(FatalError, match="https"):
        SPEC.build({"store_url": "http://shop.example.com", "access_token": "t"}, HttpOptions())
    assert fake.requests == []


# -- inventory (MSI source items) --------------------------------------------------------------------


def test_stock_items_are_the_source_items_of_the_channels_source(
    fake: FakeMagento, clock: VirtualClock
) -> None:
    fake.add_product("BAG-9", "Tote Bag")  # a product with no source item yet
    fake.add_product("KIT-1", "Gift Kit", type_id="bundle")  # no stock of its own
    target = inventory_target(connect(fake, clock))

    found = target.find_stock_items(["mug-01", "TEE-M", "BAG-9", "KIT-1", "NOPE"])

    assert set(found) == {"mug-01", "TEE-M", "BAG-9"}
    (mug,) = found["mug-01"]
    assert (mug.sku, mug.ref, mug.quantity, mug.tracked) == ("MUG-01", "MUG-01", 10, True)
    (bag,) = found["BAG-9"]
    assert (bag.quantity, bag.tracked, bag.title) == (None, False, "Tote Bag")
    lookups = fake.requests_to("/inventory/source-items")
    assert lookups[0].param("searchCriteria[filter_groups][1][filters][0][value]") == "default"


def test_quantities_are_saved_and_a_refused_item_does_not_hold_back_the_others(
    fake: FakeMagento, clock: VirtualClock
) -> None:
    target = inventory_target(connect(fake, clock, source_code="warehouse-east"))

    results = target.set_quantities(
        [StockUpdate("MUG-01", "MUG-01", 7), StockUpdate("GONE", "GONE", 3), StockUpdate("CAP-1", "CAP-1", 0)]
    )

    assert [(r.sku, r.ok) for r in results] == [("MUG-01", True), ("GONE", False), ("CAP-1", True)]
    assert (
        results[1].problem
        == 'Magento refused the quantity: Validation Failed; Product with SKU "GONE" does not exist.'
    )
    assert fake.source_items[("MUG-01", "warehouse-east")]["quantity"] == 7
    assert fake.source_items[("CAP-1", "warehouse-east")]["status"] == 0  # out of stock at 0
    assert fake.source_items[("MUG-01", "default")]["quantity"] == 10  # another source is left alone
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == 4  # the batch, refused whole, then each item alone


def test_spec() -> None:
    assert (SPEC.kind, SPEC.vendor) == ("magento", "Magento")
    assert [(f.name, f.secret, f.required) for f in SPEC.fields] == [
        ("store_url", False, True),
        ("access_token", True, True),
        ("source_code", False, False),
    ]
