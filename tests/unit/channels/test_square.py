"""Square specifics against FakeSquare over loopback (the shared behaviours are in contract/)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import FatalError, HttpOptions, StockUpdate, Window
from chalicelib.channels.square import SPEC, SQUARE_VERSION, Amounts, Square, document
from chalicelib.orders.model import parse_order
from ledgerbridge.fakes.square import CATALOG, FakeSquare
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeSquare]:
    store = FakeSquare()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeSquare, clock: VirtualClock, **credentials: str) -> Square:
    connector = SPEC.build(
        {"access_token": fake.access_token, **credentials},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep, base_url_overrides={"square": fake.base_url}),
    )
    assert isinstance(connector, Square)
    return connector


def add_location(fake: FakeSquare, location_id: str) -> None:
    fake.locations.append({**fake.locations[0], "id": location_id, "name": f"Pop-up {location_id}"})


def test_an_order_with_a_discount_tip_shipping_and_a_refund_maps_to_the_canonical_order(
    fake: FakeSquare, clock: VirtualClock
) -> None:
    doc = fake.add_order((("MUG-01", 2), ("TEE-M", 1)), discount_percent="10", tip=300, shipping=500)
    fake.add_refund(doc["id"], 1215)  # also creates a return order, which is not a sale

    (fetched,) = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None).orders

    assert fetched.problem is None and fetched.document is not None
    order = parse_order(fetched.document)
    # 45.00 of goods, 10 % off spread over the lines (4.50), 8 % tax on 40.50 (3.24), 5.00 shipping, 3.00 tip
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.discount, ln.tax) for ln in order.lines] == [
        ("MUG-01", Decimal(2), Decimal("12.50"), Decimal("2.50"), Decimal("1.80")),
        ("TEE-M", Decimal(1), Decimal("20.00"), Decimal("2.00"), Decimal("1.44")),
    ]
    assert order.lines[0].title == "Coffee Mug" and order.number == doc["reference_id"]
    assert order.discounts == ()  # the discount is all on the lines: not taken off twice
    assert [(s.title, s.price) for s in order.shipping_lines] == [("Shipping", Decimal("5.00"))]
    assert [(f.title, f.amount) for f in order.fees] == [("Tip", Decimal("3.00"))]
    assert order.total == order.computed_total == Decimal("51.74")
    assert order.payment_status == "paid" and order.paid_amount == Decimal("51.74")
    (refund,) = order.refunds
    assert refund.amount == Decimal("12.15") and refund.note == "Returned goods"
    assert order.customer.email == "ada@example.com" and order.shipping_address.postal_code == "78701"
    search = fake.requests_to("/v2/orders/search")[-1]
    assert search.headers["authorization"] == f"Bearer {fake.access_token}"
    assert search.headers["square-version"] == SQUARE_VERSION


def test_pending_and_rejected_refunds_are_not_credits(fake: FakeSquare, clock: VirtualClock) -> None:
    doc = fake.add_order()
    fake.add_refund(doc["id"], 500, status="PENDING")
    fake.add_refund(doc["id"], 700, status="REJECTED")

    (fetched,) = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None).orders

    assert fetched.order is not None and fetched.order.refunds == ()


def test_an_exchange_is_an_order_that_cannot_be_used(fake: FakeSquare, clock: VirtualClock) -> None:
    doc = fake.add_order()
    fake.change_order(doc["id"], returns=[{"uid": "r1", "source_order_id": "OTHER", "return_line_items": []}])

    (fetched,) = connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None).orders

    assert fetched.document is None and fetched.problem is not None and "exchange" in fetched.problem


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.sampled_from([sku for sku, _, _ in CATALOG]), st.integers(1, 9)), min_size=1, max_size=4
    ),
    shipping=st.integers(0, 5000),
    tip=st.integers(0, 2000),
    discount=st.sampled_from([None, "5", "10", "12.5", "33"]),
    tax=st.sampled_from(["0", "6.25", "8", "20"]),
)
def test_every_order_the_fake_makes_adds_up_to_square_total(
    lines: list[tuple[str, int]], shipping: int, tip: int, discount: str | None, tax: str
) -> None:
    """Square's total_money is what the canonical order's parts add up to (lines, apportioned discounts,
    additive tax, service charges, tips), whatever the mix."""
    fake = FakeSquare()  # not started: its documents only
    raw = fake.add_order(tuple(lines), shipping=shipping, tip=tip, discount_percent=discount, tax_percent=tax)
    skus = {fake.variation_of(sku): sku for sku, _, _ in CATALOG}

    order = parse_order(document(raw, skus))

    assert order.computed_total == order.total == Decimal(raw["total_money"]["amount"]) / 100
    assert [ln.sku for ln in order.lines] == [sku for sku, _ in lines]


@given(minor=st.integers(-(10**9), 10**9))
def test_money_is_read_in_the_currencys_smallest_unit(minor: int) -> None:
    assert Amounts("USD").of({"amount": minor, "currency": "USD"}) == Decimal(minor) / 100
    assert Amounts("JPY").of({"amount": minor, "currency": "JPY"}) == Decimal(minor)
    assert Amounts("KWD").of({"amount": minor, "currency": "KWD"}) == Decimal(minor) / 1000


def test_money_of_another_currency_or_not_an_integer_is_malformed() -> None:
    with pytest.raises(ValueError, match="in EUR on an order in USD"):
        Amounts("USD").of({"amount": 100, "currency": "EUR"})
    with pytest.raises(ValueError, match="smallest unit"):
        Amounts("USD").of({"amount": "12.50", "currency": "USD"})


def test_an_inclusive_tax_stays_inside_the_price(fake: FakeSquare) -> None:
    raw = fake.add_order((("CAP-1", 2),), shipping=0, tax_percent="20")
    tax = raw["line_items"][0]["total_tax_money"]["amount"]
    raw["taxes"][0]["type"] = "INCLUSIVE"
    raw["line_items"][0]["total_money"]["amount"] -= tax
    raw["total_money"]["amount"] -= tax  # the tax is part of the 15.00 price

    order = parse_order(document(raw, {}))

    assert order.lines[0].tax == 0 and order.total == order.computed_total == Decimal("30.00")


def test_rate_limited_waits_double_while_square_goes_on_refusing(
    fake: FakeSquare, clock: VirtualClock
) -> None:
    fake.window_seconds = 2.5  # the quota comes back 2.5 s after it ran out
    connector = connect(fake, clock)
    fake.exhaust_rate_limit()

    assert connector.check_credentials() == "Blue Heron Goods"

    assert clock.sleeps == [1.0, 2.0] and fake.throttled == 2


def test_orders_are_searched_in_the_configured_location_only(fake: FakeSquare, clock: VirtualClock) -> None:
    add_location(fake, "L2POPUP")
    fake.add_order()
    popup = fake.add_order(location="L2POPUP")
    window = Window(None, fake.tick(60))

    both = connect(fake, clock).fetch_page(window, None).orders
    one = connect(fake, clock, location_id="L2POPUP").fetch_page(window, None).orders

    assert len(both) == 2 and [o.order_id for o in one] == [popup["id"]]
    assert fake.requests_to("/v2/orders/search")[-1].json()["location_ids"] == ["L2POPUP"]
    with pytest.raises(FatalError, match="no active location with the ID NOPE"):
        connect(fake, clock, location_id="NOPE").check_credentials()


def test_more_locations_than_one_search_takes_need_the_merchant_to_choose(
    fake: FakeSquare, clock: VirtualClock
) -> None:
    for n in range(10):
        add_location(fake, f"LX{n}")

    with pytest.raises(FatalError, match=r"11 locations .* enter the ID of the location"):
        connect(fake, clock).check_credentials()
    assert connect(fake, clock, location_id="LX3").check_credentials()


def test_credentials_are_checked_before_any_request(fake: FakeSquare) -> None:
    with pytest.raises(FatalError, match="Enter the Square access token"):
        SPEC.build({"access_token": " "}, HttpOptions())
    with pytest.raises(FatalError, match="Settings > Locations"):
        SPEC.build({"access_token": "t", "location_id": "https://squareup.com/x"}, HttpOptions())
    assert fake.requests == []


# -- inventory ---------------------------------------------------------------------------------------


def test_stock_items_are_found_by_sku_with_their_count_at_the_location(
    fake: FakeSquare, clock: VirtualClock
) -> None:
    mug = fake.variation_of("MUG-01")
    untracked = fake.add_variation("BAG-9", "Tote Bag", 900, tracked=False, variation="Large")
    fake.counts[(mug, "L1HERONMAIN")] = "7"

    found = connect(fake, clock).inventory().find_stock_items([" mug-01", "BAG-9", "NOPE"])

    assert sorted(found) == [" mug-01", "BAG-9"]
    (item,) = found[" mug-01"]
    assert (item.ref, item.quantity, item.tracked, item.title) == (mug, 7, True, "Coffee Mug - Regular")
    (bag,) = found["BAG-9"]
    assert (bag.ref, bag.quantity, bag.tracked, bag.title) == (untracked, None, False, "Tote Bag - Large")


def test_quantities_are_physical_counts_and_a_refused_one_does_not_stop_the_others(
    fake: FakeSquare, clock: VirtualClock
) -> None:
    mug, tee = fake.variation_of("MUG-01"), fake.variation_of("TEE-M")
    gone = fake.variation_of("CAP-1")
    fake.catalog[gone]["is_deleted"] = True
    updates = [
        StockUpdate("MUG-01", mug, 12),
        StockUpdate("CAP-1", gone, 3),
        StockUpdate("TEE-M", tee, -2),
        StockUpdate("TEE-M", tee, 4),
    ]

    results = connect(fake, clock).set_quantities(updates)

    assert [r.ok for r in results] == [True, False, False, True]
    assert "not found" in (results[1].problem or "") and "CAP-1" in (results[1].problem or "")
    assert "replaced" in (results[2].problem or "")  # the later TEE-M update wins
    assert fake.counts == {(mug, "L1HERONMAIN"): "12", (tee, "L1HERONMAIN"): "4"}
    sent = [r.json() for r in fake.requests_to("/v2/inventory/changes/batch-create")]
    assert len(sent) == 4  # the batch of three Square refused whole, then each count alone
    change = sent[-1]["changes"][0]
    assert change["type"] == "PHYSICAL_COUNT" and change["physical_count"]["state"] == "IN_STOCK"


def test_a_negative_quantity_is_refused_without_asking_square(fake: FakeSquare, clock: VirtualClock) -> None:
    (result,) = connect(fake, clock).set_quantities([StockUpdate("MUG-01", fake.variation_of("MUG-01"), -1)])

    assert not result.ok and "negative" in (result.problem or "")
    assert fake.requests == []


def test_a_token_without_inventory_permissions_is_fatal_in_the_merchants_words(
    fake: FakeSquare, clock: VirtualClock
) -> None:
    fake.scopes.discard("INVENTORY_WRITE")

    with pytest.raises(FatalError, match="INVENTORY_WRITE permissions") as caught:
        connect(fake, clock).set_quantities([StockUpdate("MUG-01", fake.variation_of("MUG-01"), 1)])
    assert "HTTP" not in caught.value.message


def test_several_locations_need_the_one_quantities_go_to(fake: FakeSquare, clock: VirtualClock) -> None:
    add_location(fake, "L2POPUP")

    with pytest.raises(FatalError, match="several locations"):
        connect(fake, clock).find_stock_items(["MUG-01"])
    connect(fake, clock, location_id="L2POPUP").set_quantities(
        [StockUpdate("MUG-01", fake.variation_of("MUG-01"), 5)]
    )
    assert fake.counts == {(fake.variation_of("MUG-01"), "L2POPUP"): "5"}


def test_spec() -> None:
    assert (SPEC.kind, SPEC.vendor) == ("square", "Square")
    assert [(f.name, f.secret, f.required) for f in SPEC.fields] == [
        ("access_token", True, True),
        ("location_id", False, False),
    ]
