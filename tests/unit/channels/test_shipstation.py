"""The ShipStation connector against the fake ShipStation over real HTTP on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chalicelib.channels.base import FatalError, FetchedOrder, HttpOptions, Window
from chalicelib.channels.shipstation import SPEC, ShipStation, UsPacific, from_pacific, to_pacific
from chalicelib.orders.model import parse_order
from ledgerbridge.fakes.shipstation import FakeShipStation, item


class Sleeps:
    """Records the connector's waits instead of sleeping, and moves the fake's rate-limit clock by them."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.clock = 0.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock += seconds


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fake(sleeps: Sleeps) -> Iterator[FakeShipStation]:
    store = FakeShipStation()
    store.rate_clock = lambda: sleeps.clock
    with store:
        yield store


def connect(
    fake: FakeShipStation, sleeps: Sleeps, *, page_size: int = 5, secret: str | None = None
) -> ShipStation:
    connector = SPEC.build(
        {"api_key": fake.api_key, "api_secret": secret or fake.api_secret},
        HttpOptions(
            allow_private_urls=True,
            sleep=sleeps,
            page_size=page_size,
            base_url_overrides={"shipstation": fake.base_url},
        ),
    )
    assert isinstance(connector, ShipStation)
    return connector


def read_all(connector: ShipStation, window: Window) -> list[FetchedOrder]:
    orders: list[FetchedOrder] = []
    token: str | None = None
    for _ in range(500):
        page = connector.fetch_page(window, token)
        orders.extend(page.orders)
        token = page.next_token
        if token is None:
            return orders
    raise AssertionError("paging did not end")


def until(fake: FakeShipStation) -> Window:
    return Window(None, fake.now + timedelta(hours=1))


# -- mapping -----------------------------------------------------------------------------------------


def test_maps_a_realistic_order(fake: FakeShipStation, sleeps: Sleeps) -> None:
    fake.now = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    raw = fake.add_order()

    page = connect(fake, sleeps).fetch_page(until(fake), None)

    [fetched] = page.orders
    assert fetched.problem is None and fetched.document is not None
    assert (fetched.order_id, fetched.number) == (str(raw["orderId"]), raw["orderNumber"])
    order = parse_order(fetched.document)
    assert order.created_at == datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    assert order.created_at.utcoffset() == timedelta(hours=-8)  # the Pacific date is the QuickBooks date
    assert order.updated_at == fetched.updated_at == datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    assert order.currency == "USD"
    assert (order.customer.first_name, order.customer.last_name) == ("Ada", "Lovelace")
    assert (order.customer.email, order.customer.company) == ("ada@example.com", "Analytical Engines Ltd")
    assert order.billing_address.line1 == "1 Main St" and order.billing_address.line2 == "Suite 200"
    assert (order.shipping_address.city, order.shipping_address.postal_code) == ("Seattle", "98101")
    assert [(ln.line_id, ln.sku, ln.quantity, ln.unit_price, ln.tax) for ln in order.lines] == [
        (f"{raw['orderId']}-1", "MUG-01", Decimal(2), Decimal("12.50"), Decimal("2.06")),
        (f"{raw['orderId']}-2", "TEE-M", Decimal(1), Decimal("20.00"), Decimal("1.65")),
    ]
    assert [(d.code, d.amount) for d in order.discounts] == [("WELCOME10", Decimal("4.50"))]
    assert [(s.title, s.price) for s in order.shipping_lines] == [("USPS Priority Mail", Decimal("5.95"))]
    assert order.tax_total == Decimal("3.71")
    assert [(p.method, p.amount) for p in order.payments] == [("Credit Card", Decimal("50.16"))]
    assert order.payments[0].paid_at == datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    assert order.payment_status == "paid"
    assert (order.status, order.source, order.note) == ("awaiting_shipment", "web", "Please gift wrap.")
    assert order.total == Decimal("50.16") == order.computed_total
    assert page.total == 1 and page.next_token is None


def test_unpaid_and_partly_paid_orders_and_positive_adjustments(
    fake: FakeShipStation, sleeps: Sleeps
) -> None:
    unpaid = fake.add_order(orderStatus="awaiting_payment")
    partly = fake.add_order(
        items=[
            item("PRINT-A3", "Heron print A3", 1, 34.99, line_item_key="a"),
            item("HANDLING", "Handling fee", 1, 2.50, adjustment=True),
        ],
        taxAmount=0.0,
        shippingAmount=0.0,
        amountPaid=10.00,
    )

    fetched = {o.order_id: o for o in connect(fake, sleeps).fetch_page(until(fake), None).orders}

    first = parse_order(fetched[str(unpaid["orderId"])].document)
    assert (first.payment_status, first.payments, first.status) == ("unpaid", (), "awaiting_payment")
    second = parse_order(fetched[str(partly["orderId"])].document)
    assert second.payment_status == "partially_paid"
    assert [(f.title, f.amount) for f in second.fees] == [("Handling fee", Decimal("2.50"))]
    assert second.shipping_lines == () and second.tax_total == 0
    assert second.total == Decimal("37.49") == second.computed_total


def test_a_malformed_order_is_a_problem_and_the_others_are_read(
    fake: FakeShipStation, sleeps: Sleeps
) -> None:
    orders = fake.add_orders(3, seed=4)
    fake.break_order(orders[1]["orderId"])

    page = connect(fake, sleeps).fetch_page(until(fake), None)

    by_id = {o.order_id: o for o in page.orders}
    broken = by_id[str(orders[1]["orderId"])]
    assert broken.document is None
    assert broken.problem is not None and "lines[0].title is required" in broken.problem
    assert broken.number == orders[1]["orderNumber"]
    for good in (orders[0], orders[2]):
        fetched = by_id[str(good["orderId"])]
        assert fetched.problem is None and fetched.document is not None
        order = parse_order(fetched.document)
        assert order.total == order.computed_total == Decimal(str(good["orderTotal"]))


# -- Pacific time ------------------------------------------------------------------------------------


def test_timestamps_are_pacific_wall_clock_times(fake: FakeShipStation, sleeps: Sleeps) -> None:
    fake.now = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)  # 10:00 PDT (UTC-7)
    summer = fake.add_order()
    fake.now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 10:00 PST (UTC-8)
    winter = fake.add_order()
    assert summer["modifyDate"] == "2026-07-01T10:00:00.0000000"
    assert winter["modifyDate"] == "2026-12-01T10:00:00.0000000"

    window = Window(datetime(2026, 6, 30, 7, 0, tzinfo=UTC), datetime(2026, 12, 1, 18, 30, tzinfo=UTC))
    orders = connect(fake, sleeps).fetch_page(window, None).orders

    assert [o.updated_at for o in orders] == [
        datetime(2026, 7, 1, 17, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
    ]
    created = [parse_order(o.document).created_at.isoformat() for o in orders if o.document]
    assert created == ["2026-07-01T10:00:00-07:00", "2026-12-01T10:00:00-08:00"]
    [request] = fake.requests_to("/orders")
    assert request.param("modifyDateStart") == "2026-06-29 23:59:59.999999"  # 07:00Z is 00:00 PDT, less 1 µs
    assert request.param("modifyDateEnd") == "2026-12-01 10:30:00"
    assert (request.param("sortBy"), request.param("sortDir"), request.param("pageSize")) == (
        "ModifyDate",
        "ASC",
        "5",
    )


def test_an_order_changed_in_the_repeated_hour_after_the_bookmark_is_read(
    fake: FakeShipStation, sleeps: Sleeps
) -> None:
    """On 2026-11-01 Pacific clocks go from 01:59 PDT back to 01:00 PST. An order changed at 01:10 PST
    (after a bookmark at 01:45 PDT) has an earlier wall-clock time than the bookmark."""
    fake.now = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT
    first_pass = fake.add_order()
    fake.now = datetime(2026, 11, 1, 9, 10, tzinfo=UTC)  # 01:10 PST
    second_pass = fake.add_order()
    assert second_pass["modifyDate"] < first_pass["modifyDate"]
    connector = connect(fake, sleeps)
    bookmark = datetime(2026, 11, 1, 8, 45, tzinfo=UTC)  # 01:45 PDT

    before = read_all(connector, Window(datetime(2026, 11, 1, 7, 0, tzinfo=UTC), bookmark))
    after = read_all(connector, Window(bookmark, datetime(2026, 11, 1, 10, 0, tzinfo=UTC)))

    assert str(first_pass["orderId"]) in {o.order_id for o in before}
    assert str(second_pass["orderId"]) in {o.order_id for o in after}
    assert fake.requests_to("/orders")[-1].param("modifyDateStart") == "2026-11-01 00:59:59.999999"


def test_pacific_conversions_both_ways() -> None:
    assert from_pacific("2015-06-29T08:46:27.7400000") == datetime(
        2015, 6, 29, 15, 46, 27, 740000, tzinfo=UTC
    )
    assert from_pacific("2026-01-15T23:30:00.0000000") == datetime(2026, 1, 16, 7, 30, tzinfo=UTC)
    assert to_pacific(datetime(2026, 1, 16, 7, 30, tzinfo=UTC)) == "2026-01-15 23:30:00"
    assert to_pacific(datetime(2026, 3, 8, 10, 0, 0, 500, tzinfo=UTC)) == "2026-03-08 03:00:00.000500"
    with pytest.raises(ValueError):
        from_pacific(None)


def test_built_in_pacific_rules_match_the_time_zone_database() -> None:
    """Used where the runtime has no IANA data; checked every 20 minutes around each change, 2024-2028."""
    zone, rules = ZoneInfo("America/Los_Angeles"), UsPacific()
    for year in range(2024, 2029):
        for start, end in (
            (datetime(year, 3, 7), datetime(year, 3, 16)),
            (datetime(year, 10, 31), datetime(year, 11, 9)),
        ):
            moment = start.replace(tzinfo=UTC)
            while moment < end.replace(tzinfo=UTC):
                expected, actual = moment.astimezone(zone), moment.astimezone(rules)
                assert actual.replace(tzinfo=None) == expected.replace(tzinfo=None), moment
                assert (actual.fold, actual.utcoffset()) == (expected.fold, expected.utcoffset()), moment
                wall = expected.replace(tzinfo=None, fold=expected.fold)
                assert wall.replace(tzinfo=rules).astimezone(UTC) == moment, moment
                moment += timedelta(minutes=20)


# -- paging ------------------------------------------------------------------------------------------


def test_an_order_changed_between_two_pages_is_still_read(fake: FakeShipStation, sleeps: Sleeps) -> None:
    orders = fake.add_orders(12, seed=1)
    for document in orders:  # twelve distinct moments, one minute apart
        fake.change_order(document["orderId"])
        fake.tick(59)
    connector = connect(fake, sleeps, page_size=5)
    window = until(fake)

    first = connector.fetch_page(window, None)
    assert [o.order_id for o in first.orders] == [str(o["orderId"]) for o in orders[:5]]
    # An order already read and one not read yet change: both move behind every other order. Paging by
    # offset would now skip the sixth order.
    fake.change_order(orders[2]["orderId"], orderStatus="shipped")
    fake.change_order(orders[7]["orderId"], orderStatus="on_hold")
    rest: list[FetchedOrder] = []
    token = first.next_token
    while token is not None:
        page = connector.fetch_page(window, token)
        rest.extend(page.orders)
        token = page.next_token

    ids = [o.order_id for o in rest]
    expected = [str(o["orderId"]) for i, o in enumerate(orders) if i >= 5 and i != 7]
    assert ids == [*expected, str(orders[2]["orderId"]), str(orders[7]["orderId"])]
    statuses = [parse_order(o.document).status for o in rest[-2:] if o.document]
    assert statuses == ["shipped", "on_hold"]


def test_page_total_is_the_window_total_on_the_first_page(fake: FakeShipStation, sleeps: Sleeps) -> None:
    fake.add_orders(12, seed=3)
    connector = connect(fake, sleeps, page_size=5)

    first = connector.fetch_page(until(fake), None)
    second = connector.fetch_page(until(fake), first.next_token)

    assert first.total == 12 and second.total is None


def test_ten_thousand_orders(fake: FakeShipStation, sleeps: Sleeps) -> None:
    started = time.perf_counter()
    orders = fake.add_orders(10_000, seed=11)
    connector = connect(fake, sleeps, page_size=500)

    read = read_all(connector, until(fake))

    assert len({o.order_id for o in read}) == len(read) == len(orders)
    assert all(o.problem is None for o in read)
    assert time.perf_counter() - started < 60


# -- throttling and failures -------------------------------------------------------------------------


def test_waits_for_the_rate_limit_window_when_no_request_is_left(sleeps: Sleeps) -> None:
    store = FakeShipStation(rate_limit=3, rate_window=60.0)
    store.rate_clock = lambda: sleeps.clock
    with store:
        store.add_orders(12, seed=5)
        connector = connect(store, sleeps, page_size=3)
        sleeps.clock = 15.0  # the window opened 15 s before the third request

        connector.check_credentials()  # 1 (window opens at 15 s)
        sleeps.clock = 30.0
        connector.fetch_page(until(store), None)  # 2
        page = connector.fetch_page(until(store), None)  # 3: remaining 0, reset in 45 s
        assert sleeps.waits == []
        connector.fetch_page(until(store), page.next_token)  # waits first, then 1 of the next window

    assert sleeps.waits == [45.0]
    assert store.throttled == 0
    assert len(store.requests) == 4


def test_missing_credentials_are_fatal() -> None:
    with pytest.raises(FatalError, match="Enter the ShipStation API key and API secret"):
        SPEC.build({"api_key": "key"}, HttpOptions())


def test_check_credentials_names_the_stores(fake: FakeShipStation, sleeps: Sleeps) -> None:
    connector = connect(fake, sleeps)
    assert connector.check_credentials() == "Blue Heron Goods"

    fake.stores.append({**fake.stores[0], "storeId": 29072, "storeName": "Heron Wholesale"})
    assert connector.check_credentials() == "Blue Heron Goods and 1 more ShipStation stores"
    fake.stores.clear()
    assert connector.check_credentials() == "ShipStation account"


def test_spec() -> None:
    assert (SPEC.kind, SPEC.vendor) == ("shipstation", "ShipStation")
    assert [(f.name, f.secret) for f in SPEC.fields] == [("api_key", False), ("api_secret", True)]
