"""The WooCommerce connector against the fake WooCommerce store over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.channels.base import FatalError, FetchedOrder, HttpOptions, Window
from chalicelib.channels.woocommerce import SPEC, WooCommerce, refund
from chalicelib.orders.model import parse_order
from ledgerbridge.fakes.woocommerce import FakeWooCommerce, fee_line, line_item, shipping_line


@pytest.fixture
def fake() -> Iterator[FakeWooCommerce]:
    store = FakeWooCommerce()
    with store:
        yield store


@pytest.fixture
def sleeps() -> list[float]:
    return []


def connect(
    fake: FakeWooCommerce, sleeps: list[float], *, page_size: int = 5, secret: str | None = None
) -> WooCommerce:
    connector = SPEC.build(
        {
            "store_url": fake.base_url,
            "consumer_key": fake.consumer_key,
            "consumer_secret": secret or fake.consumer_secret,
        },
        HttpOptions(allow_private_urls=True, sleep=sleeps.append, page_size=page_size),
    )
    assert isinstance(connector, WooCommerce)
    return connector


def read_all(connector: WooCommerce, window: Window) -> list[FetchedOrder]:
    orders: list[FetchedOrder] = []
    token: str | None = None
    for _ in range(500):
        page = connector.fetch_page(window, token)
        orders.extend(page.orders)
        token = page.next_token
        if token is None:
            return orders
    raise AssertionError("paging did not end")


def until(fake: FakeWooCommerce) -> Window:
    return Window(None, fake.now + timedelta(hours=1))


# -- mapping -----------------------------------------------------------------------------------------


def test_maps_a_realistic_order(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    fake.now = datetime(2026, 11, 21, 3, 30, tzinfo=UTC)  # 22:30 on the 20th in the store (UTC-5)
    raw = fake.add_order()
    mug, tee = raw["line_items"]

    page = connect(fake, sleeps).fetch_page(until(fake), None)

    [fetched] = page.orders
    assert fetched.problem is None and fetched.document is not None
    assert (fetched.order_id, fetched.number) == (str(raw["id"]), raw["number"])
    order = parse_order(fetched.document)
    assert order.created_at == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)
    assert order.created_at.utcoffset() == timedelta(hours=-5)
    assert order.order_date.isoformat() == "2026-11-20"  # the day the store shows
    assert order.updated_at == fetched.updated_at == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)
    assert order.currency == "USD"
    assert (order.customer.first_name, order.customer.last_name, order.customer.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert (order.billing_address.name, order.billing_address.line2) == ("Ada Lovelace", "Suite 200")
    assert (order.shipping_address.city, order.shipping_address.postal_code) == ("Seattle", "98101")
    # The coupon is on the lines (subtotal - total) and nowhere else.
    assert [(ln.line_id, ln.sku, ln.quantity, ln.unit_price, ln.discount, ln.tax) for ln in order.lines] == [
        (str(mug["id"]), "MUG-01", Decimal(2), Decimal("12.50"), Decimal("2.50"), Decimal("1.80")),
        (str(tee["id"]), "TEE-M", Decimal(1), Decimal("20.00"), Decimal("2.00"), Decimal("1.44")),
    ]
    assert order.discounts == ()
    assert [(s.title, s.price, s.tax) for s in order.shipping_lines] == [
        ("Flat rate", Decimal("5.00"), Decimal("0.40"))
    ]
    assert [(f.title, f.amount, f.tax) for f in order.fees] == [
        ("Gift wrap", Decimal("3.00"), Decimal("0.24"))
    ]
    assert [(t.title, t.amount, t.rate) for t in order.tax_lines] == [
        ("Sales tax", Decimal("3.88"), Decimal("8.00"))
    ]
    [payment] = order.payments
    assert (payment.method, payment.amount, payment.reference) == (
        "Credit Card (Stripe)",
        Decimal("52.38"),
        f"ch_{raw['id']:08d}",
    )
    assert payment.paid_at == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)
    assert order.payment_status == "paid"
    assert (order.status, order.source, order.note) == ("processing", "checkout", "Please gift wrap.")
    assert order.total == Decimal("52.38") == order.computed_total
    assert page.total == 1 and page.next_token is None


def test_uneven_line_prices_negative_fees_and_unpaid_orders(
    fake: FakeWooCommerce, sleeps: list[float]
) -> None:
    raw = fake.add_order(
        status="on-hold",
        line_items=[line_item(fake.line_id(), "CARD-05", "Greeting cards (5)", 3, "3.333", tax_rate="0")],
        shipping_lines=[shipping_line(fake.line_id(), "Local pickup", "0.00", tax_rate="0")],
        fee_lines=[fee_line(fake.line_id(), "Loyalty discount", "-1.50", tax_rate="0")],
    )
    assert raw["total"] == "8.50" and raw["date_paid_gmt"] is None

    [fetched] = connect(fake, sleeps).fetch_page(until(fake), None).orders

    assert fetched.document is not None
    order = parse_order(fetched.document)
    [card] = order.lines
    assert (card.quantity, card.unit_price, card.discount) == (Decimal(3), Decimal("3.34"), Decimal("0.02"))
    assert [(d.code, d.amount) for d in order.discounts] == [("Loyalty discount", Decimal("1.50"))]
    assert order.fees == () and order.tax_lines == ()
    assert (order.payment_status, order.payments, order.status) == ("unpaid", (), "on-hold")
    assert order.total == Decimal("8.50") == order.computed_total


def test_refunds_are_read_with_their_dates_and_lines(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    raw = fake.add_order()
    fake.add_order()  # no refunds: no refund request for it
    mug = raw["line_items"][0]
    fake.tick(3600)
    by_line = fake.add_refund(raw["id"], line_item_id=mug["id"], quantity=1, reason="Chipped")
    fake.tick(3600)
    fake.add_refund(raw["id"], amount="5.00", reason="Late delivery")

    page = connect(fake, sleeps).fetch_page(Window(None, fake.now + timedelta(hours=1)), None)

    fetched = next(o for o in page.orders if o.order_id == str(raw["id"]))
    assert fetched.document is not None
    order = parse_order(fetched.document)
    first, second = sorted(order.refunds, key=lambda r: r.created_at)
    assert (first.refund_id, first.amount, first.note) == (str(by_line["id"]), Decimal("12.15"), "Chipped")
    assert first.created_at == datetime(2026, 11, 1, 13, 0, 1, tzinfo=UTC)
    assert [(ln.line_id, ln.quantity, ln.amount) for ln in first.lines] == [
        (str(mug["id"]), Decimal(1), Decimal("11.25"))
    ]
    assert (second.amount, second.lines, second.note) == (Decimal("5.00"), (), "Late delivery")
    assert order.refunded_amount == Decimal("17.15")
    assert order.total == order.computed_total  # refunds do not change the sale
    assert [r.path for r in fake.requests_to("/refunds")] == [f"/wp-json/wc/v3/orders/{raw['id']}/refunds"]


def test_an_order_deleted_before_its_refunds_are_read_is_a_problem(
    fake: FakeWooCommerce, sleeps: list[float]
) -> None:
    raw = fake.add_order()
    fake.add_refund(raw["id"], amount="2.00")
    other = fake.add_order()
    # The list shows the order under an id whose orders/<id>/refunds answers 404, as when the order is
    # deleted between the two requests.
    fake.orders[str(raw["id"])]["id"] = 999999

    page = connect(fake, sleeps).fetch_page(until(fake), None)

    problem = {o.order_id: o.problem for o in page.orders}
    assert problem["999999"] is not None and "did not find this order's refunds" in problem["999999"]
    assert problem[str(other["id"])] is None


def test_a_malformed_order_is_a_problem_and_the_others_are_read(
    fake: FakeWooCommerce, sleeps: list[float]
) -> None:
    orders = fake.add_orders(3, seed=4)
    fake.break_order(orders[1]["id"])

    page = connect(fake, sleeps).fetch_page(until(fake), None)

    by_id = {o.order_id: o for o in page.orders}
    broken = by_id[str(orders[1]["id"])]
    assert broken.document is None
    assert broken.problem is not None and "'12,50' is not an amount" in broken.problem
    for good in (orders[0], orders[2]):
        fetched = by_id[str(good["id"])]
        assert fetched.problem is None and fetched.document is not None
        order = parse_order(fetched.document)
        assert order.total == order.computed_total == Decimal(good["total"])


# -- dates -------------------------------------------------------------------------------------------


def test_dates_are_gmt_both_ways(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    fake.now = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
    raw = fake.add_order()
    assert (raw["date_modified"], raw["date_modified_gmt"]) == ("2026-11-20T05:00:00", "2026-11-20T10:00:00")

    window = Window(
        datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC), datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    )
    page = connect(fake, sleeps).fetch_page(window, None)

    [fetched] = page.orders  # changed at 10:00:00, the window's whole second: included
    assert fetched.updated_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    [request] = fake.requests_to("/orders")
    assert request.param("modified_after") == "2026-11-20T09:59:59"  # exclusive: one second before
    assert request.param("modified_before") == "2026-11-20T11:00:01"
    assert request.param("dates_are_gmt") == "true"
    assert (request.param("orderby"), request.param("order"), request.param("per_page")) == (
        "modified",
        "asc",
        "5",
    )


def test_a_store_that_ignores_the_modified_filter_is_stopped(
    fake: FakeWooCommerce, sleeps: list[float]
) -> None:
    raw = fake.add_order()
    connector = connect(fake, sleeps)
    # An old WooCommerce ignores modified_after and answers with an order changed long before the window.
    fake.fail_next(200, body=[{**raw, "date_modified_gmt": "2020-01-01T00:00:00"}])

    with pytest.raises(FatalError, match="does not filter or sort orders by their last change"):
        connector.fetch_page(Window(datetime(2026, 1, 1, tzinfo=UTC), fake.now), None)


# -- paging ------------------------------------------------------------------------------------------


def test_an_order_changed_between_two_pages_is_still_read(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    orders = fake.add_orders(12, seed=1)
    for document in orders:  # twelve distinct moments, one minute apart
        fake.change_order(document["id"])
        fake.tick(59)
    connector = connect(fake, sleeps, page_size=5)
    window = until(fake)

    first = connector.fetch_page(window, None)
    assert [o.order_id for o in first.orders] == [str(o["id"]) for o in orders[:5]]
    # An order already read and one not read yet change: both move behind every other order. Paging by
    # offset would now skip the sixth order.
    fake.change_order(orders[2]["id"], status="completed")
    fake.change_order(orders[7]["id"], status="cancelled")
    rest: list[FetchedOrder] = []
    token = first.next_token
    while token is not None:
        page = connector.fetch_page(window, token)
        rest.extend(page.orders)
        token = page.next_token

    expected = [str(o["id"]) for i, o in enumerate(orders) if i >= 5 and i != 7]
    assert [o.order_id for o in rest] == [*expected, str(orders[2]["id"]), str(orders[7]["id"])]
    statuses = [parse_order(o.document).status for o in rest[-2:] if o.document]
    assert statuses == ["completed", "cancelled"]


def test_page_total_comes_from_x_wp_total(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    fake.add_orders(12, seed=3)
    connector = connect(fake, sleeps, page_size=5)

    first = connector.fetch_page(until(fake), None)
    second = connector.fetch_page(until(fake), first.next_token)

    assert first.total == 12 and second.total is None


def test_ten_thousand_orders(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    orders = fake.add_orders(10_000, seed=11)
    connector = connect(fake, sleeps, page_size=100)

    read = read_all(connector, until(fake))

    assert len({o.order_id for o in read}) == len(read) == len(orders)
    assert all(o.problem is None for o in read)


# -- throttling and failures -------------------------------------------------------------------------


def test_no_rest_api_at_the_address_is_fatal(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    fake.rest_api_enabled = False

    with pytest.raises(FatalError) as caught:
        connect(fake, sleeps).check_credentials()

    assert caught.value.message.startswith(
        f"The WooCommerce REST API was not found at {fake.base_url}/wp-json/wc/v3/"
    )
    assert "permalinks" in caught.value.message


def test_a_web_page_instead_of_json_is_fatal(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    fake.fail_next(200, body=b"<html><body>Please verify you are human</body></html>")

    with pytest.raises(FatalError, match="answered with a web page instead of WooCommerce data"):
        connect(fake, sleeps).fetch_page(until(fake), None)


def test_store_address_must_be_public_https(sleeps: list[float]) -> None:
    credentials = {"store_url": "http://127.0.0.1:8080", "consumer_key": "ck", "consumer_secret": "cs"}
    with pytest.raises(FatalError, match="private or local address"):
        SPEC.build(credentials, HttpOptions())
    with pytest.raises(FatalError, match="must use https"):
        SPEC.build({**credentials, "store_url": "http://93.184.216.34"}, HttpOptions())  # no DNS look-up
    with pytest.raises(FatalError, match="consumer key and consumer secret"):
        SPEC.build({"store_url": "https://93.184.216.34"}, HttpOptions())


def test_check_credentials_names_the_store(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    connector = connect(fake, sleeps)
    assert connector.check_credentials() == "Blue Heron Goods"
    assert fake.requests_to("/orders")[0].param("per_page") == "1"

    fake.store_name = ""
    assert connector.check_credentials() == "127.0.0.1"


def test_spec() -> None:
    assert (SPEC.kind, SPEC.vendor) == ("woocommerce", "WooCommerce")
    assert [(f.name, f.secret) for f in SPEC.fields] == [
        ("store_url", False),
        ("consumer_key", True),
        ("consumer_secret", True),
    ]


def test_a_refund_of_an_amount_on_a_line_without_quantity_has_no_line_detail() -> None:
    """WooCommerce lets a merchant refund an amount against a line without returning any quantity."""
    raw = {
        "id": 77,
        "date_created_gmt": "2026-11-02T10:00:00",
        "amount": "4.00",
        "reason": "",
        "line_items": [
            {
                "id": 9,
                "quantity": 0,
                "total": "-4.00",
                "total_tax": "0.00",
                "meta_data": [{"key": "_refunded_item_id", "value": "101"}],
            }
        ],
    }

    assert refund(raw) == {
        "id": "77",
        "created_at": "2026-11-02T10:00:00+00:00",
        "amount": "4.00",
        "note": "",
    }
