"""Amazon specifics (the common behaviour is the contract suite's): Login with Amazon tokens, the regional
host, token buckets per operation, Pending and Canceled orders, restricted buyer data, FBA/MFN and
marketplace facilitator tags, line prices from ItemPrice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.channels.amazon import SPEC, Amazon, document
from chalicelib.channels.base import FatalError, HttpOptions, Page, Window
from chalicelib.orders.model import parse_order
from chalicelib.orders.to_quickbooks import check_totals
from ledgerbridge.fakes.amazon import FakeAmazon
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeAmazon]:
    store = FakeAmazon()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeAmazon, clock: VirtualClock, page_size: int | None = None, **extra: str) -> Amazon:
    credentials = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token,
        **extra,
    }
    options = HttpOptions(
        allow_private_urls=True,
        sleep=clock.sleep,
        page_size=page_size,
        base_url_overrides={"amazon": fake.base_url},
    )
    connector = SPEC.build(credentials, options)
    assert isinstance(connector, Amazon)
    return connector


def read_all(connector: Amazon, window: Window) -> list[Page]:
    pages = [connector.fetch_page(window, None)]
    while pages[-1].next_token:
        pages.append(connector.fetch_page(window, pages[-1].next_token))
    return pages


def orders_in(connector: Amazon, window: Window) -> dict[str, dict[str, object]]:
    return {o.order_id: o.document or {} for p in read_all(connector, window) for o in p.orders}


# -- credentials and hosts ---------------------------------------------------------------------------


def test_one_token_exchange_serves_the_whole_run_and_is_renewed_after_its_lifetime(
    fake: FakeAmazon, clock: VirtualClock
) -> None:
    fake.token_lifetime = 3600
    fake.add_orders(6, seed=1)
    connector = connect(fake, clock, page_size=2)
    window = Window(None, fake.tick(60))

    read_all(connector, window)
    exchanges = fake.requests_to("/auth/o2/token")
    assert len(exchanges) == 1
    form = parse_qs(exchanges[0].body.decode())
    assert form == {
        "grant_type": ["refresh_token"],
        "refresh_token": [fake.refresh_token],
        "client_id": [fake.client_id],
        "client_secret": [fake.client_secret],
    }
    tokens = {r.headers["x-amz-access-token"] for r in fake.requests_to("/orders/v0/")}
    assert len(tokens) == 1 and next(iter(tokens)).startswith("Atza|")

    connector.clock.sleep(3600)  # an hour on the connector's clock: the next call exchanges again
    read_all(connector, window)
    assert len(fake.requests_to("/auth/o2/token")) == 2


def test_a_revoked_refresh_token_is_fatal_in_the_merchants_words(
    fake: FakeAmazon, clock: VirtualClock
) -> None:
    with pytest.raises(FatalError) as caught:
        connect(fake, clock, refresh_token="Atzr|revoked").check_credentials()

    assert caught.value.message.startswith("Amazon rejected the app's credentials.")
    assert "invalid_grant" not in caught.value.message and "HTTP" not in caught.value.message


def test_the_marketplace_chooses_the_regional_host() -> None:
    creds = {"client_id": "c", "client_secret": "s", "refresh_token": "Atzr|r"}
    assert SPEC.build(creds, HttpOptions()).sp.base_url == "https://sellingpartnerapi-na.amazon.com"  # type: ignore[attr-defined]
    german = SPEC.build({**creds, "marketplace_id": "A1PA6795UKMFR9"}, HttpOptions())
    assert german.sp.base_url == "https://sellingpartnerapi-eu.amazon.com"  # type: ignore[attr-defined]
    japan = SPEC.build({**creds, "marketplace_id": "a1vc38t7yxb528"}, HttpOptions())
    assert japan.sp.base_url == "https://sellingpartnerapi-fe.amazon.com"  # type: ignore[attr-defined]
    assert german.lwa.base_url == "https://api.amazon.com"  # type: ignore[attr-defined]
    with pytest.raises(FatalError, match="is not an Amazon marketplace ID"):
        SPEC.build({**creds, "marketplace_id": "amazon.com"}, HttpOptions())
    with pytest.raises(FatalError, match="one region"):
        SPEC.build({**creds, "marketplace_id": "ATVPDKIKX0DER,A1PA6795UKMFR9"}, HttpOptions())
    with pytest.raises(FatalError, match="refresh token"):
        SPEC.build({"client_id": "c", "client_secret": "s"}, HttpOptions())


def test_check_credentials_names_the_marketplace(fake: FakeAmazon, clock: VirtualClock) -> None:
    assert connect(fake, clock).check_credentials() == "Amazon.com seller account"


# -- windows -----------------------------------------------------------------------------------------


def test_the_window_end_is_kept_two_minutes_before_now(fake: FakeAmazon, clock: VirtualClock) -> None:
    now = datetime.now(UTC)
    fake.now = now - timedelta(minutes=10)
    fake.add_order()
    connector = connect(fake, clock)

    page = connector.fetch_page(Window(now - timedelta(hours=1), now), None)

    assert len(page.orders) == 1
    listed = [r for r in fake.requests if r.path == "/orders/v0/orders"]
    sent = datetime.fromisoformat(listed[-1].param("LastUpdatedBefore") or "")
    assert sent <= now - timedelta(minutes=2)
    assert connector.fetch_page(Window(now - timedelta(seconds=30), now), None) == Page([], None)


def test_pending_orders_wait_until_paid_and_canceled_ones_are_recorded(
    fake: FakeAmazon, clock: VirtualClock
) -> None:
    pending = fake.add_order(status="Pending")["AmazonOrderId"]
    cancelled = fake.add_order(status="Canceled")["AmazonOrderId"]
    connector = connect(fake, clock)
    bookmark = fake.tick(60)

    first = orders_in(connector, Window(None, bookmark))
    assert pending not in first
    assert first[cancelled]["status"] == "cancelled"
    assert first[cancelled]["payments"] == [] and first[cancelled]["payment_status"] == "unpaid"

    unpriced = fake.add_order(status="Pending")  # as Amazon answers it: no prices until payment
    paid = fake.add_order(status="Unshipped")
    fake.set_items(pending, [dict(i) for i in fake.items[paid["AmazonOrderId"]]])
    fake.change_order(pending, OrderStatus="Unshipped", OrderTotal=paid["OrderTotal"])
    second = orders_in(connector, Window(bookmark, fake.tick(60)))
    assert set(second) == {pending, paid["AmazonOrderId"]}
    assert unpriced["AmazonOrderId"] not in second
    assert second[pending]["status"] == "unshipped" and second[pending]["payment_status"] == "paid"


# -- rate limits -------------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 45), page_size=st.integers(1, 100))
def test_the_buckets_keep_every_call_within_amazons_usage_plans(n: int, page_size: int) -> None:
    """Whatever the number of orders and pages, the connector waits on its clock before a bucket runs dry:
    Amazon never answers 429, and the waits are no more than the usage plans make necessary."""
    clock = VirtualClock()
    fake = FakeAmazon()
    fake.rate_clock = clock.now
    with fake:
        fake.add_orders(n, seed=n)
        fetched = orders_in(connect(fake, clock, page_size=page_size), Window(None, fake.tick(60)))
        calls = len([r for r in fake.requests if r.path == "/orders/v0/orders"])
    assert len(fetched) == n and fake.throttled == 0
    item_waits = max(0, n - 30) * 2.0  # getOrderItems: burst 30, then one every 2 s
    order_waits = max(0, calls - 20) / 0.0167  # getOrders: burst 20, then one every ~60 s
    # the buckets refill side by side: a getOrders wait also restores getOrderItems tokens
    assert max(item_waits, order_waits) - 1.0 <= sum(clock.sleeps) <= item_waits + order_waits + 1.0


def test_a_429_is_waited_out_by_the_rate_amazon_states(fake: FakeAmazon, clock: VirtualClock) -> None:
    fake.usage_plans["getOrderItems"] = (0.25, 30.0)
    fake.add_orders(2, seed=1)
    connector = connect(fake, clock)
    window = Window(None, fake.tick(60))
    fake.exhaust_rate_limit("getOrderItems")

    assert len(connector.fetch_page(window, None).orders) == 2

    assert clock.sleeps[0] == pytest.approx(4.0)  # 1 / 0.25 from x-amzn-RateLimit-Limit, not the default 2 s
    assert fake.throttled == 1  # the second order's items waited in the bucket instead of a second 429


def test_a_429_without_the_rate_header_waits_the_default_restore_time(
    fake: FakeAmazon, clock: VirtualClock
) -> None:
    fake.rate_header_on_429 = False
    fake.add_orders(1, seed=1)
    fake.exhaust_rate_limit("getOrders")

    connect(fake, clock).fetch_page(Window(None, fake.tick(60)), None)

    assert clock.sleeps == [pytest.approx(1 / 0.0167)]


# -- mapping -----------------------------------------------------------------------------------------


def test_restricted_data_missing_means_an_anonymous_amazon_customer(
    fake: FakeAmazon, clock: VirtualClock
) -> None:
    buyer = fake.add_order(buyer_name="Grace Brewster Hopper")["AmazonOrderId"]
    connector = connect(fake, clock)
    window = Window(None, fake.tick(60))

    anonymous = parse_order(orders_in(connector, window)[buyer])  # the app has no Restricted Data Token
    assert (anonymous.customer.first_name, anonymous.customer.last_name) == ("Amazon", "Customer")
    assert anonymous.customer.email.endswith("@marketplace.amazon.com")
    assert anonymous.shipping_address.city == "Seattle" and anonymous.shipping_address.line1 == ""
    fake.restricted_data = True
    named = parse_order(orders_in(connector, window)[buyer])
    assert named.customer.full_name == "Grace Brewster Hopper" and named.customer.last_name == "Hopper"
    assert named.shipping_address.line1 == "410 Terry Ave N"


def test_fulfillment_channel_and_marketplace_facilitator_tax_are_tagged(
    fake: FakeAmazon, clock: VirtualClock
) -> None:
    fba = fake.add_order(fulfillment="AFN", facilitator=True)["AmazonOrderId"]
    mfn = fake.add_order(fulfillment="MFN")["AmazonOrderId"]

    found = orders_in(connect(fake, clock), Window(None, fake.tick(60)))

    assert found[fba]["tags"] == ["AFN", "MarketplaceFacilitator"]
    assert found[mfn]["tags"] == ["MFN"]
    assert found[fba]["source"] == "Amazon.com"


def test_item_price_is_the_lines_extended_price(fake: FakeAmazon, clock: VirtualClock) -> None:
    three = fake.add_order((("TEE-M", "T-Shirt", 3, "3.33"),), shipping="0", tax_rate="0")["AmazonOrderId"]
    fake.items[three][0]["ItemPrice"]["Amount"] = "10.00"  # 3 for 10.00: not a whole cent each
    fake.orders[three]["OrderTotal"]["Amount"] = "10.00"

    order = parse_order(orders_in(connect(fake, clock), Window(None, fake.tick(60)))[three])

    (line,) = order.lines
    assert (line.quantity, line.unit_price, line.discount) == (Decimal(3), Decimal("3.34"), Decimal("0.02"))
    check_totals(order)


MONEY = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)


@given(
    items=st.lists(st.tuples(st.integers(1, 9), MONEY, MONEY, MONEY, MONEY, MONEY), min_size=1, max_size=5),
    facilitator=st.booleans(),
)
def test_every_priced_order_adds_up_to_its_order_total(
    items: list[tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]], facilitator: bool
) -> None:
    """Lines, promotions, item and shipping tax of any Amazon order add up to OrderTotal in QuickBooks."""
    raw_items = []
    total = Decimal(0)
    for index, (quantity, price, offered, tax, ship, ship_tax) in enumerate(items):
        promo = min(offered, price)
        raw_items.append(
            {
                "ASIN": "B000000001",
                "OrderItemId": str(index),
                "SellerSKU": f"SKU-{index}",
                "Title": "Item",
                "QuantityOrdered": quantity,
                "ItemPrice": {"CurrencyCode": "USD", "Amount": str(price)},
                "PromotionDiscount": {"CurrencyCode": "USD", "Amount": str(promo)},
                "ItemTax": {"CurrencyCode": "USD", "Amount": str(tax)},
                "ShippingPrice": {"CurrencyCode": "USD", "Amount": str(ship)},
                "ShippingTax": {"CurrencyCode": "USD", "Amount": str(ship_tax)},
                **({"TaxCollection": {"Model": "MarketplaceFacilitator"}} if facilitator else {}),
            }
        )
        total += price - promo + tax + ship + ship_tax
    raw = {
        "AmazonOrderId": "113-0000001-0000001",
        "PurchaseDate": "2026-11-01T12:00:00Z",
        "LastUpdateDate": "2026-11-01T12:05:00Z",
        "OrderStatus": "Shipped",
        "FulfillmentChannel": "AFN",
        "OrderTotal": {"CurrencyCode": "USD", "Amount": str(total)},
    }

    order = parse_order(document(raw, raw_items, "ATVPDKIKX0DER"))

    check_totals(order)
    assert order.total == total and order.payment_status == ("paid" if total > 0 else "unpaid")
    assert ("MarketplaceFacilitator" in order.tags) is facilitator
    assert order.tax_collected_by_marketplace is facilitator  # the channel's marketplace_tax applies
