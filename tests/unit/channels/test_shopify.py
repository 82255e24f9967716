"""The Shopify connector against FakeShopify over real HTTP on loopback (no test reaches the internet)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.channels.base import (
    FatalError,
    FetchedOrder,
    HttpOptions,
    Page,
    RetriableError,
    Window,
    iso_z,
)
from chalicelib.channels.shopify import API_VERSION, SPEC, THROTTLE_ATTEMPTS, ShopifyConnector
from chalicelib.orders.model import Refund, RefundLine, ShippingLine, parse_order
from ledgerbridge.fakes.shopify import FakeShopify, money, numeric_id


class VirtualClock:
    """Time for the connector's waits and the fake's cost bucket: sleeping records and moves it."""

    def __init__(self) -> None:
        self.t = 1_000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeShopify]:
    store = FakeShopify(clock=clock.now)
    store.start()
    yield store
    store.stop()


def connect(
    fake: FakeShopify, clock: VirtualClock, *, page_size: int | None = 3, token: str | None = None
) -> ShopifyConnector:
    connector = SPEC.build(
        {"shop": fake.base_url, "access_token": token or fake.access_token},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep, page_size=page_size),
    )
    assert isinstance(connector, ShopifyConnector)
    return connector


def everything(fake: FakeShopify) -> Window:
    return Window(None, fake.now)


def fetch_all(connector: ShopifyConnector, window: Window) -> list[Page]:
    pages = [connector.fetch_page(window, None)]
    while pages[-1].next_token is not None:
        pages.append(connector.fetch_page(window, pages[-1].next_token))
        assert len(pages) < 1000
    return pages


def orders_of(pages: list[Page]) -> list[FetchedOrder]:
    return [order for page in pages for order in page.orders]


def only(connector: ShopifyConnector, fake: FakeShopify) -> FetchedOrder:
    (order,) = orders_of(fetch_all(connector, everything(fake)))
    return order


def line_id(doc: dict[str, Any], index: int) -> str:
    return numeric_id(doc["lineItems"]["nodes"][index]["id"])


def graphql_bodies(fake: FakeShopify) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.requests_to("/graphql.json")]


# ------------------------------------------------------------------------------------------------
# mapping


def test_a_realistic_order_maps_to_the_canonical_order(fake: FakeShopify, clock: VirtualClock) -> None:
    doc = fake.add_order(note="Leave at the door", tags=["vip", "wholesale"])
    fake.tick(60)
    refund = fake.add_refund(doc["id"], [(line_id(doc, 0), 1)], shipping="5.00", note="Mug arrived broken")

    fetched = only(connect(fake, clock), fake)

    assert fetched.problem is None and fetched.document is not None
    order = parse_order(fetched.document)
    assert fetched.order_id == order.order_id == numeric_id(doc["id"])
    assert fetched.number == order.number == "1001"
    assert fetched.updated_at == order.updated_at == fake.now
    assert order.currency == "USD"
    assert order.status == "open"
    assert (order.note, order.tags) == ("Leave at the door", ("vip", "wholesale"))
    assert (order.customer.first_name, order.customer.last_name) == ("Ada", "Lovelace")
    assert order.customer.company == "Analytical Engines Ltd"
    assert order.customer.email == "ada@example.com"
    assert order.billing_address.line1 == "1 Main St"
    assert (order.shipping_address.state, order.shipping_address.country) == ("WA", "US")

    mug, tee = order.lines
    assert (mug.line_id, mug.sku, mug.title) == (line_id(doc, 0), "MUG-01", "Coffee Mug")
    assert (mug.quantity, mug.unit_price, mug.amount) == (Decimal(2), Decimal("12.50"), Decimal("25.00"))
    # WELCOME10 is allocated to the lines by Shopify: on the lines, not again as an order discount
    assert (mug.discount, mug.tax, mug.taxable) == (Decimal("2.50"), Decimal("1.86"), True)
    assert (tee.sku, tee.quantity, tee.unit_price) == ("TEE-M", Decimal(1), Decimal("20.00"))
    assert (tee.discount, tee.tax) == (Decimal("2.00"), Decimal("1.49"))
    assert order.discounts == ()
    assert order.shipping_lines == (ShippingLine("Standard Shipping", Decimal("5.00")),)
    assert [(t.title, t.amount, t.rate) for t in order.tax_lines] == [
        ("CA State Tax", Decimal("3.35"), Decimal("8.25"))
    ]

    (payment,) = order.payments
    assert (payment.method, payment.amount) == ("shopify_payments", Decimal("48.85"))
    assert payment.reference == numeric_id(doc["transactions"][0]["id"])
    assert order.payment_status == "paid"  # partially refunded after paying in full

    assert order.refunds == (
        Refund(
            refund_id=numeric_id(refund["id"]),
            created_at=fake.now,
            amount=Decimal("17.18"),  # 11.25 for the mug + 0.93 its tax + 5.00 shipping
            lines=(RefundLine(line_id(doc, 0), Decimal(1), Decimal("11.25")),),
            shipping=Decimal("5.00"),
            note="Mug arrived broken",
        ),
    )
    assert order.total == order.computed_total == Decimal("48.85")


def test_shipping_discount_taxed_shipping_and_a_guest(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_order(
        lines=[("HOOD-M", "Hoodie - M", 1, "45.00")],
        shipping="7.95",
        shipping_discount="7.95",
        discount_code=None,
        tax_shipping=True,
        customer=None,
        email="guest@example.com",
    )

    order = parse_order(only(connect(fake, clock), fake).document)

    (hoodie,) = order.lines
    assert (hoodie.discount, hoodie.tax) == (Decimal(0), Decimal("3.71"))
    assert order.shipping_lines == (
        ShippingLine("Standard Shipping", Decimal("7.95"), tax=Decimal(0), discount=Decimal("7.95")),
    )
    assert order.customer.first_name == "" and order.customer.last_name == "Guest"
    assert order.customer.email == "guest@example.com"
    assert order.total == order.computed_total == Decimal("48.71")


def test_discount_shopify_did_not_allocate_becomes_an_order_discount(
    fake: FakeShopify, clock: VirtualClock
) -> None:
    doc = fake.add_order()
    fake.change_order(doc["id"], totalDiscountsSet=money("6.50"), totalPriceSet=money("46.85"))

    order = parse_order(only(connect(fake, clock), fake).document)

    assert [(d.code, d.amount) for d in order.discounts] == [("WELCOME10", Decimal("2.00"))]
    assert sum(line.discount for line in order.lines) == Decimal("4.50")
    assert order.total == order.computed_total == Decimal("46.85")


@pytest.mark.parametrize(
    ("paid", "financial", "expected"),
    [
        (True, "PAID", "paid"),
        ("10.00", "PARTIALLY_PAID", "partially_paid"),
        (False, "PENDING", "unpaid"),
        (False, "AUTHORIZED", "unpaid"),
        (True, "PARTIALLY_REFUNDED", "paid"),
        ("10.00", "PARTIALLY_REFUNDED", "partially_paid"),
    ],
)
def test_payment_status(
    fake: FakeShopify, clock: VirtualClock, paid: bool | str, financial: str, expected: str
) -> None:
    fake.add_order(paid=paid, displayFinancialStatus=financial)

    order = parse_order(only(connect(fake, clock), fake).document)

    assert order.payment_status == expected
    assert order.paid_amount == (Decimal("48.85") if paid is True else Decimal(paid or 0))


def test_only_successful_sales_and_captures_are_payments(fake: FakeShopify, clock: VirtualClock) -> None:
    doc = fake.add_order(paid=False, displayFinancialStatus="PAID")
    sale = {"amountSet": money("48.85"), "processedAt": doc["createdAt"], "createdAt": doc["createdAt"]}
    fake.change_order(
        doc["id"],
        transactions=[
            {
                **sale,
                "id": "gid://shopify/OrderTransaction/1",
                "kind": "AUTHORIZATION",
                "status": "SUCCESS",
                "gateway": "paypal",
            },
            {
                **sale,
                "id": "gid://shopify/OrderTransaction/2",
                "kind": "SALE",
                "status": "FAILURE",
                "gateway": "paypal",
            },
            {
                **sale,
                "id": "gid://shopify/OrderTransaction/3",
                "kind": "CAPTURE",
                "status": "SUCCESS",
                "gateway": "paypal",
            },
        ],
    )

    order = parse_order(only(connect(fake, clock), fake).document)

    assert [(p.method, p.amount, p.reference) for p in order.payments] == [("paypal", Decimal("48.85"), "3")]
    assert order.payments[0].paid_at is not None


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, "open"),
        ({"closedAt": "2026-11-01T12:00:00Z"}, "closed"),
        ({"cancelledAt": "2026-11-01T12:00:00Z", "closedAt": "2026-11-01T12:00:00Z"}, "cancelled"),
    ],
)
def test_status_for_the_channel_filter(
    fake: FakeShopify, clock: VirtualClock, changes: dict[str, Any], status: str
) -> None:
    fake.add_order(**changes)

    assert parse_order(only(connect(fake, clock), fake).document).status == status


def test_a_long_order_gets_the_rest_of_its_lines(fake: FakeShopify, clock: VirtualClock) -> None:
    doc = fake.add_order(lines=[(f"SKU-{i:02}", f"Item {i}", 1, "3.00") for i in range(63)])
    fake.tick()
    fake.add_refund(doc["id"], [(line_id(doc, i), 1) for i in range(12)])

    order = parse_order(only(connect(fake, clock), fake).document)

    assert [line.sku for line in order.lines] == [f"SKU-{i:02}" for i in range(63)]
    assert [line.line_id for line in order.refunds[0].lines] == [line_id(doc, i) for i in range(12)]
    assert order.total == order.computed_total
    follow_ups = [b for b in graphql_bodies(fake) if "query More" in b["query"]]
    assert len(follow_ups) == 3  # lines 11-60 and 61-63 of the order, refund lines 6-12
    assert follow_ups[0]["variables"]["id"] == doc["id"]


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("null_price", "line 1 (MUG-01) price is missing from Shopify's order"),
        ("negative_quantity", "lines[0].quantity must be a positive number"),
        ("no_lines", "lines must have at least one line"),
    ],
)
def test_one_malformed_order_comes_back_with_its_problem(
    fake: FakeShopify, clock: VirtualClock, how: str, reason: str
) -> None:
    docs = [fake.add_order() for _ in range(3)]
    fake.break_order(docs[1]["id"], how)

    fetched = orders_of(fetch_all(connect(fake, clock, page_size=10), everything(fake)))

    assert [f.order_id for f in fetched] == [numeric_id(d["id"]) for d in docs]
    bad = fetched[1]
    assert bad.document is None and bad.number == "1002"
    assert bad.problem is not None and reason in bad.problem
    for good in (fetched[0], fetched[2]):
        assert good.problem is None and parse_order(good.document).total == Decimal("48.85")


def test_tax_inclusive_orders_are_refused_in_plain_words(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_order(taxesIncluded=True)

    fetched = only(connect(fake, clock), fake)

    assert fetched.document is None
    assert fetched.problem is not None and "taxes are included in the store's prices" in fetched.problem


# ------------------------------------------------------------------------------------------------
# paging and windows


def test_pages_oldest_change_first_without_gap_or_duplicate(fake: FakeShopify, clock: VirtualClock) -> None:
    docs = fake.add_orders(20, seed=7, spread_seconds=1)  # some share a second: ties go by id
    expected = sorted(docs, key=lambda d: (d["updatedAt"], int(numeric_id(d["id"]))))
    assert len({d["updatedAt"] for d in docs}) < 20

    pages = fetch_all(connect(fake, clock, page_size=3), everything(fake))

    assert [len(p.orders) for p in pages] == [3, 3, 3, 3, 3, 3, 2]
    assert pages[0].total == 20
    fetched = orders_of(pages)
    assert [f.order_id for f in fetched] == [numeric_id(d["id"]) for d in expected]
    assert [f.updated_at for f in fetched] == sorted(f.updated_at for f in fetched)
    assert [b["variables"]["first"] for b in graphql_bodies(fake)] == [3] * 7


def test_incremental_window_holds_only_what_changed(fake: FakeShopify, clock: VirtualClock) -> None:
    docs = fake.add_orders(12, seed=1)
    fake.tick()
    first_until = fake.now
    connector = connect(fake, clock, page_size=5)
    assert len(orders_of(fetch_all(connector, Window(None, first_until)))) == 12

    fake.change_order(docs[3]["id"], note="Please gift wrap")
    fake.add_refund(docs[0]["id"], [(line_id(docs[0], 0), 1)])
    new = fake.add_order(created_at=fake.tick())
    second_until = fake.now
    fake.change_order(docs[5]["id"], note="changed after the window")

    fetched = orders_of(fetch_all(connector, Window(first_until, second_until)))

    assert [f.order_id for f in fetched] == [numeric_id(d["id"]) for d in (docs[3], docs[0], new)]
    assert parse_order(fetched[0].document).note == "Please gift wrap"
    assert len(parse_order(fetched[1].document).refunds) == 1
    search = graphql_bodies(fake)[-1]["variables"]["query"]
    assert search == f"updated_at:>='{iso_z(first_until)}' updated_at:<='{iso_z(second_until)}'"


def test_without_a_page_size_the_page_shrinks_to_what_shopify_allows(
    fake: FakeShopify, clock: VirtualClock
) -> None:
    docs = fake.add_orders(30, seed=4)
    connector = connect(fake, clock, page_size=None)

    fetched = orders_of(fetch_all(connector, everything(fake)))

    assert sorted(f.order_id for f in fetched) == sorted(numeric_id(d["id"]) for d in docs)
    firsts = [b["variables"]["first"] for b in graphql_bodies(fake)]
    # 250 orders with their lines cost far more than Shopify's 1,000-point limit for one query: refused
    # once (MAX_COST_EXCEEDED, not charged), then every page asks for what fits.
    assert firsts[0] == 250 and len(fake.costs) == len(firsts) - 1
    assert 1 <= connector.page_size < 250 and set(firsts[1:]) == {connector.page_size}
    assert all(c["requestedQueryCost"] <= 1000 for c in fake.costs)


# ------------------------------------------------------------------------------------------------
# cost throttling and HTTP failures


def test_waits_for_the_cost_bucket_before_the_next_query(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_orders(6, seed=5)
    connector = connect(fake, clock, page_size=3)
    window = everything(fake)
    connector.fetch_page(window, None)  # learn the page's requested cost
    requested = fake.costs[-1]["requestedQueryCost"]
    fake.set_available(requested + 20)  # room for one page, not for two
    first = connector.fetch_page(window, None)
    reported = fake.costs[-1]["throttleStatus"]
    assert reported["currentlyAvailable"] < requested
    clock.sleeps.clear()

    second = connector.fetch_page(window, first.next_token)

    assert clock.sleeps == [pytest.approx((requested - reported["currentlyAvailable"]) / 50.0)]
    assert fake.throttled == 0
    assert len(second.orders) == 3 and second.next_token is None


def test_a_throttled_query_is_retried_after_the_computed_wait(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_orders(3, seed=6)
    fake.set_available(0)

    page = connect(fake, clock).fetch_page(everything(fake), None)

    assert fake.throttled == 1
    throttled = fake.costs[0]
    assert throttled["actualQueryCost"] is None
    assert clock.sleeps == [pytest.approx(throttled["requestedQueryCost"] / 50.0)]
    assert len(page.orders) == 3


def test_throttled_without_end_becomes_retriable(fake: FakeShopify) -> None:
    fake.add_order()
    fake.set_available(0)
    sleeps: list[float] = []  # the connector's waits pass, but the store's bucket never refills
    connector = SPEC.build(
        {"shop": fake.base_url, "access_token": fake.access_token},
        HttpOptions(allow_private_urls=True, sleep=sleeps.append),
    )

    with pytest.raises(RetriableError) as caught:
        connector.fetch_page(everything(fake), None)

    assert "limiting requests" in caught.value.message
    assert fake.throttled == THROTTLE_ATTEMPTS
    assert len(sleeps) == THROTTLE_ATTEMPTS - 1


def test_a_wait_too_long_for_one_run_ends_it_as_retriable(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_order()
    fake.restore_rate = 1.0
    fake.set_available(0)

    with pytest.raises(RetriableError) as caught:
        connect(fake, clock).fetch_page(everything(fake), None)

    assert caught.value.retry_after == pytest.approx(fake.costs[0]["requestedQueryCost"] / 1.0)
    assert clock.sleeps == []


def test_an_internal_error_inside_a_200_answer_is_retried(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_order()
    internal = {
        "message": "Internal error. Looks like something went wrong on our end.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }
    fake.fail_next(200, body={"errors": [internal]})

    page = connect(fake, clock).fetch_page(everything(fake), None)

    assert len(page.orders) == 1 and len(fake.requests) == 2
    assert clock.sleeps == [2.0]


def test_a_query_shopify_does_not_understand_is_fatal(fake: FakeShopify, clock: VirtualClock) -> None:
    error = {
        "message": "Field 'bogus' doesn't exist on type 'Order'",
        "extensions": {"code": "undefinedField"},
    }
    fake.fail_next(200, body={"errors": [error]})

    with pytest.raises(FatalError) as caught:
        connect(fake, clock).fetch_page(everything(fake), None)

    assert "Field 'bogus' doesn't exist" in caught.value.message
    assert "The store cannot fix this" in caught.value.message
    assert len(fake.requests) == 1


def test_a_redirect_asks_for_the_myshopify_address(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.fail_next(
        301, headers={"Location": "https://blue-heron.myshopify.com/admin/api/2025-01/graphql.json"}
    )

    with pytest.raises(FatalError) as caught:
        connect(fake, clock).check_credentials()

    assert "https://blue-heron.myshopify.com" in caught.value.message
    assert "enter the store's .myshopify.com address" in caught.value.message


# ------------------------------------------------------------------------------------------------
# credentials and the shop address


def test_check_credentials_names_the_shop(fake: FakeShopify, clock: VirtualClock) -> None:
    assert connect(fake, clock).check_credentials() == "Blue Heron Goods"

    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", f"/admin/api/{API_VERSION}/graphql.json")
    assert request.headers["x-shopify-access-token"] == fake.access_token


def test_a_missing_read_orders_scope_is_fatal_and_named(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.scopes = set()
    connector = connect(fake, clock)

    for call in (connector.check_credentials, lambda: connector.fetch_page(everything(fake), None)):
        with pytest.raises(FatalError) as caught:
            call()
        assert "not allowed to read orders" in caught.value.message
        assert "read_orders" in caught.value.message


def test_an_unknown_shop_is_fatal(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.fail_next(404, body={"errors": "Not Found"})

    with pytest.raises(FatalError) as caught:
        connect(fake, clock).check_credentials()

    assert caught.value.message.startswith(f"No Shopify store was found at {fake.base_url}")


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every host name resolves to a public address, without asking any DNS server."""

    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("23.227.38.65", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)  # the module check_store_url resolves with


@pytest.mark.usefixtures("public_dns")
@pytest.mark.parametrize(
    "typed",
    [
        "mystore",
        " MyStore ",
        "mystore.myshopify.com",
        "https://mystore.myshopify.com/",
        "https://mystore.myshopify.com/admin/orders",
        "admin.shopify.com/store/mystore",
        "https://admin.shopify.com/store/mystore/orders",
    ],
)
def test_the_shop_address_a_merchant_types(typed: str) -> None:
    connector = SPEC.build({"shop": typed, "access_token": "shpat_x"}, HttpOptions())

    assert isinstance(connector, ShopifyConnector)
    assert connector.base_url == "https://mystore.myshopify.com"


@pytest.mark.usefixtures("public_dns")
@pytest.mark.parametrize(
    ("typed", "allow_private", "problem"),
    [
        ("http://mystore.myshopify.com", True, "must use https://"),
        ("http://127.0.0.1:8080", False, "private or local address"),
        ("https://10.0.0.5", False, "private or local address"),
        ("", False, "Enter the Shopify shop address"),
    ],
)
def test_shop_addresses_that_are_refused(typed: str, allow_private: bool, problem: str) -> None:
    with pytest.raises(FatalError) as caught:
        SPEC.build({"shop": typed, "access_token": "shpat_x"}, HttpOptions(allow_private_urls=allow_private))

    assert problem in caught.value.message


def test_a_missing_token_is_refused_before_any_request(fake: FakeShopify) -> None:
    with pytest.raises(FatalError, match="access token"):
        SPEC.build({"shop": fake.base_url, "access_token": " "}, HttpOptions(allow_private_urls=True))
    assert fake.requests == []


def test_spec_fields() -> None:
    assert (SPEC.kind, SPEC.vendor) == ("shopify", "Shopify")
    assert [(f.name, f.secret) for f in SPEC.fields] == [("shop", False), ("access_token", True)]


def test_window_start_is_inclusive(fake: FakeShopify, clock: VirtualClock) -> None:
    at_start = fake.add_order()
    fake.tick(30)
    after = fake.add_order(created_at=fake.now)
    since = fake.now - timedelta(seconds=30)

    fetched = orders_of(fetch_all(connect(fake, clock), Window(since, fake.now)))

    assert [f.order_id for f in fetched] == [numeric_id(at_start["id"]), numeric_id(after["id"])]


def test_note_attributes_and_the_gateway_reach_the_order_for_order_rules(
    fake: FakeShopify, clock: VirtualClock
) -> None:
    """Shopify's custom attributes (the order's note attributes) become the canonical order's `attributes`, and
    each payment keeps its gateway: what order rules test (an attribute that is not text is left out, not the
    order)."""
    doc = fake.add_order(gateway="shopify_payments")
    fake.change_order(
        doc["id"],
        customAttributes=[
            {"key": "pickup_location", "value": "Downtown"},
            {"key": "gift", "value": "yes\x00"},  # not text a QuickBooks field could hold: left out
            {"key": " ", "value": "no name"},
        ],
    )
    fetched = only(connect(fake, clock), fake)
    assert fetched.document is not None
    order = parse_order(fetched.document)
    assert dict(order.attributes) == {"pickup_location": "Downtown"}
    assert [p.gateway for p in order.payments] == ["shopify_payments"]


def test_a_point_of_sale_order_keeps_its_retail_location_for_the_inventory_site(
    fake: FakeShopify, clock: VirtualClock
) -> None:
    """Order.retailLocation (a POS order's location) becomes the canonical order's `location`, which the channel's
    `inventory_sites` maps to a QuickBooks inventory site; an online order (null) has none."""
    pos = fake.add_order()
    fake.change_order(pos["id"], retailLocation={"name": "Downtown Store"})
    online = fake.add_order()
    fetched = {
        f.order_id: f
        for f in orders_of(fetch_all(connect(fake, clock), Window(fake.now - timedelta(days=1), fake.now)))
    }
    assert parse_order(fetched[numeric_id(pos["id"])].document).location == "Downtown Store"
    assert parse_order(fetched[numeric_id(online["id"])].document).location == ""
