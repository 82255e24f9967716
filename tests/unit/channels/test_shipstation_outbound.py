"""QuickBooks sales sent to ShipStation (createorders) and shipments read back, against the fake over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.channels.base import FatalError, HttpOptions, RetriableError, Window, inventory_target
from chalicelib.channels.shipstation import (
    LEDGERBRIDGE_SOURCE,
    SPEC,
    Shipment,
    ShipStation,
    UpsertResult,
)
from ledgerbridge.fakes.shipstation import FakeShipStation


class Sleeps:
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
    fake: FakeShipStation, sleeps: Sleeps, *, page_size: int | None = None, secret: str | None = None
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


def qb_order(key: str, number: str, **overrides: Any) -> dict[str, Any]:
    """A ShipStation order as the sync engine builds one from a QuickBooks sale."""
    address = {
        "name": "Ada Lovelace",
        "company": "Analytical Engines Ltd",
        "street1": "1 Main St",
        "city": "Seattle",
        "state": "WA",
        "postalCode": "98101",
        "country": "US",
        "phone": "206-555-0100",
    }
    order: dict[str, Any] = {
        "orderNumber": number,
        "orderKey": key,
        "orderDate": "2026-11-20T10:00:00",
        "paymentDate": "2026-11-20T10:00:00",
        "orderStatus": "awaiting_shipment",
        "billTo": address,
        "shipTo": address,
        "items": [
            {
                "lineItemKey": f"{key}-1",
                "sku": "MUG-01",
                "name": "Heron mug",
                "quantity": 2,
                "unitPrice": 12.5,
            },
            {"lineItemKey": f"{key}-2", "sku": "TEE-M", "name": "T-shirt", "quantity": 1, "unitPrice": 20.0},
        ],
        "amountPaid": 48.0,
        "taxAmount": 3.0,
        "shippingAmount": 0.0,
        "requestedShippingService": "USPS Priority Mail",
        "customerUsername": "ada@example.com",
        "customerEmail": "ada@example.com",
        "internalNotes": "From QuickBooks invoice 1001",
        "advancedOptions": {"source": LEDGERBRIDGE_SOURCE},
    }
    order.update(overrides)
    return order


def all_shipments(connector: ShipStation, window: Window) -> list[Shipment]:
    found: list[Shipment] = []
    token: str | None = None
    for _ in range(100):
        page = connector.fetch_shipments(window, token)
        found.extend(page.shipments)
        token = page.next_token
        if token is None:
            return found
    raise AssertionError("paging did not end")


# -- upsert ----------------------------------------------------------------------------------------------


def test_upsert_is_idempotent_by_order_key(fake: FakeShipStation, sleeps: Sleeps) -> None:
    connector = connect(fake, sleeps)

    (first,) = connector.upsert_orders([qb_order("qb-inv-1001", "1001")])
    fake.tick(60)
    (second,) = connector.upsert_orders(
        [qb_order("qb-inv-1001", "1001", internalNotes="Changed in QuickBooks")]
    )

    assert first.ok and second.ok and first.order_id is not None
    assert second.order_id == first.order_id
    assert fake.order_count == 1 and len(fake.orders_with_key("qb-inv-1001")) == 1
    stored = fake.order_by_key("qb-inv-1001")
    assert stored is not None
    assert stored["internalNotes"] == "Changed in QuickBooks"
    assert stored["advancedOptions"]["source"] == LEDGERBRIDGE_SOURCE
    assert [i["sku"] for i in stored["items"]] == ["MUG-01", "TEE-M"]
    assert stored["orderTotal"] == 48.0
    assert stored["modifyDate"] > stored["createDate"]


def test_orders_go_in_batches_of_100(fake: FakeShipStation, sleeps: Sleeps) -> None:
    orders = [qb_order(f"qb-{n}", str(n)) for n in range(250)]

    results = connect(fake, sleeps).upsert_orders(orders)

    assert [(r.order_key, r.ok) for r in results] == [(f"qb-{n}", True) for n in range(250)]
    assert len({r.order_id for r in results}) == 250
    calls = fake.requests_to("/orders/createorders")
    assert [len(r.json()) for r in calls] == [100, 100, 50]
    assert fake.order_count == 250


def test_invalid_orders_fail_alone(fake: FakeShipStation, sleeps: Sleeps) -> None:
    no_ship_to = qb_order("qb-2", "2")
    del no_ship_to["shipTo"]
    orders = [
        qb_order("qb-1", "1"),
        no_ship_to,
        qb_order("qb-3", "3", orderStatus="lost"),
        qb_order("qb-4", "", orderDate=None),
        qb_order("", "5"),
    ]

    results = connect(fake, sleeps).upsert_orders(orders)

    assert [r.ok for r in results] == [True, False, False, False, False]
    assert results[1] == UpsertResult(
        "qb-2", False, None, "ShipStation refused the order: shipTo is required"
    )
    assert results[2].problem is not None and "orderStatus must be one of" in results[2].problem
    assert results[3].problem is not None and "orderNumber is required" in results[3].problem
    assert "orderDate is required" in results[3].problem
    assert results[4].problem is not None and "no orderKey" in results[4].problem
    assert fake.order_count == 1
    assert len(fake.requests_to("/orders/createorders")[0].json()) == 4  # the keyless one was not sent


def test_a_shipped_order_is_not_updated(fake: FakeShipStation, sleeps: Sleeps) -> None:
    connector = connect(fake, sleeps)
    connector.upsert_orders([qb_order("qb-1", "1")])
    fake.ship("qb-1", tracking_number="1Z999")

    (result,) = connector.upsert_orders([qb_order("qb-1", "1", internalNotes="too late")])

    assert not result.ok and result.problem is not None and "shipped" in result.problem
    stored = fake.order_by_key("qb-1")
    assert stored is not None and stored["internalNotes"] == "From QuickBooks invoice 1001"


def test_a_server_error_is_retried_without_duplicates(fake: FakeShipStation, sleeps: Sleeps) -> None:
    fake.fail_next(500, times=2)

    (result,) = connect(fake, sleeps).upsert_orders([qb_order("qb-1", "1")])

    assert result.ok and fake.order_count == 1 and len(sleeps.waits) == 2


def test_a_lasting_outage_raises_retriable(fake: FakeShipStation, sleeps: Sleeps) -> None:
    fake.fail_next(503, times=5)

    with pytest.raises(RetriableError, match="HTTP 503"):
        connect(fake, sleeps).upsert_orders([qb_order(f"qb-{n}", str(n)) for n in range(150)])

    assert fake.order_count == 0


def test_rejected_credentials_are_fatal(fake: FakeShipStation, sleeps: Sleeps) -> None:
    with pytest.raises(FatalError, match="rejected the API key"):
        connect(fake, sleeps, secret="wrong").upsert_orders([qb_order("qb-1", "1")])


def test_ledgerbridge_orders_are_left_out_of_the_order_fetch(fake: FakeShipStation, sleeps: Sleeps) -> None:
    store_order = fake.add_order()
    connector = connect(fake, sleeps, page_size=2)
    fake.tick()
    connector.upsert_orders([qb_order(f"qb-{n}", f"QB{n}") for n in range(3)])
    fake.tick()
    (other,) = connector.upsert_orders([qb_order("other-1", "X1", advancedOptions={"source": "web"})])
    window = Window(None, fake.now + timedelta(hours=1))

    fetched = []
    token: str | None = None
    while True:
        page = connector.fetch_page(window, token)
        fetched.extend(page.orders)
        token = page.next_token
        if token is None:
            break

    assert [o.order_id for o in fetched] == [str(store_order["orderId"]), str(other.order_id)]
    assert fake.order_count == 5  # they are in ShipStation, only not read back


# -- shipments -------------------------------------------------------------------------------------------


def test_shipments_are_paged_by_create_date(fake: FakeShipStation, sleeps: Sleeps) -> None:
    connector = connect(fake, sleeps, page_size=2)
    connector.upsert_orders([qb_order(f"qb-{n}", str(n)) for n in range(6)])
    fake.now = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    early = fake.ship("qb-0")  # before the window
    fake.now += timedelta(hours=1)
    start = fake.now
    made = []
    for n in range(1, 5):
        made.append(
            fake.ship(
                f"qb-{n}",
                tracking_number=f"TRACK-{n}",
                carrier_code="ups",
                service_code=None if n == 2 else "ups_ground",
                shipment_cost="12.40",
                ship_date=date(2026, 11, 21),
            )
        )
        fake.now += timedelta(minutes=10)
    end = fake.now
    fake.now += timedelta(minutes=10)
    fake.ship("qb-5")  # after the window

    found = all_shipments(connector, Window(start, end))

    assert [s.shipment_id for s in found] == [str(m["shipmentId"]) for m in made]
    assert str(early["shipmentId"]) not in {s.shipment_id for s in found}
    first = found[0]
    assert first.created_at == start and first.created_at.tzinfo is not None
    assert (first.order_key, first.order_number, first.tracking_number) == ("qb-1", "1", "TRACK-1")
    assert (first.carrier_code, first.service_code, first.ship_date) == (
        "ups",
        "ups_ground",
        date(2026, 11, 21),
    )
    assert first.shipment_cost == Decimal("12.4") and not first.voided
    assert found[1].service_code is None
    request = fake.requests_to("/shipments")[0]
    assert request.param("createDateStart") == "2026-11-20 09:59:59.999999"  # 18:00 UTC is 10:00 PST
    assert request.param("createDateEnd") == "2026-11-20 10:40:00"
    assert (request.param("sortBy"), request.param("sortDir"), request.param("pageSize")) == (
        "CreateDate",
        "ASC",
        "2",
    )
    assert len(fake.requests_to("/shipments")) == 2


def test_voided_shipments_are_flagged(fake: FakeShipStation, sleeps: Sleeps) -> None:
    connector = connect(fake, sleeps)
    connector.upsert_orders([qb_order("qb-1", "1")])
    made = fake.ship("qb-1")
    fake.tick(3600)
    fake.void(made["shipmentId"])

    (found,) = all_shipments(connector, Window(None, fake.now))

    assert found.voided and found.shipment_id == str(made["shipmentId"])
    order = fake.order_by_key("qb-1")
    assert order is not None and order["orderStatus"] == "shipped"


def test_shipments_in_the_repeated_hour_are_not_missed(fake: FakeShipStation, sleeps: Sleeps) -> None:
    """2026-11-01: clocks fall back at 02:00 PDT to 01:00 PST, so 01:00-02:00 happens twice."""
    connector = connect(fake, sleeps)
    connector.upsert_orders([qb_order(f"qb-{n}", str(n)) for n in range(3)])
    shipped = {}
    for n, moment in enumerate(
        (
            datetime(2026, 11, 1, 8, 30, tzinfo=UTC),  # 01:30 PDT, first pass: before the window
            datetime(2026, 11, 1, 9, 15, tzinfo=UTC),  # 01:15 PST, second pass: an earlier wall time
            datetime(2026, 11, 1, 9, 50, tzinfo=UTC),  # 01:50 PST
        )
    ):
        fake.now = moment
        shipped[moment] = str(fake.ship(f"qb-{n}")["shipmentId"])
    since = datetime(2026, 11, 1, 8, 45, tzinfo=UTC)  # 01:45 PDT

    found = all_shipments(connector, Window(since, datetime(2026, 11, 1, 10, 0, tzinfo=UTC)))

    ids = {s.shipment_id for s in found}
    assert shipped[datetime(2026, 11, 1, 9, 15, tzinfo=UTC)] in ids
    assert shipped[datetime(2026, 11, 1, 9, 50, tzinfo=UTC)] in ids
    assert fake.requests_to("/shipments")[0].param("createDateStart") == "2026-11-01 00:59:59.999999"
    # ShipStation's wall time 01:50 names two instants; it is read as the first (PDT) one.
    by_id = {s.shipment_id: s for s in found}
    assert by_id[shipped[datetime(2026, 11, 1, 9, 50, tzinfo=UTC)]].created_at == datetime(
        2026, 11, 1, 8, 50, tzinfo=UTC
    )


def test_shipments_across_the_spring_forward_hour(fake: FakeShipStation, sleeps: Sleeps) -> None:
    """2026-03-08: clocks jump from 02:00 PST to 03:00 PDT."""
    connector = connect(fake, sleeps)
    connector.upsert_orders([qb_order(f"qb-{n}", str(n)) for n in range(2)])
    fake.now = datetime(2026, 3, 8, 9, 50, tzinfo=UTC)  # 01:50 PST
    before = fake.ship("qb-0")
    fake.now = datetime(2026, 3, 8, 10, 10, tzinfo=UTC)  # 03:10 PDT
    after = fake.ship("qb-1")

    found = all_shipments(
        connector,
        Window(datetime(2026, 3, 8, 9, 30, tzinfo=UTC), datetime(2026, 3, 8, 10, 30, tzinfo=UTC)),
    )

    assert [(s.shipment_id, s.created_at) for s in found] == [
        (str(before["shipmentId"]), datetime(2026, 3, 8, 9, 50, tzinfo=UTC)),
        (str(after["shipmentId"]), datetime(2026, 3, 8, 10, 10, tzinfo=UTC)),
    ]
    request = fake.requests_to("/shipments")[0]
    assert request.param("createDateStart") == "2026-03-08 01:29:59.999999"
    assert request.param("createDateEnd") == "2026-03-08 03:30:00"


def test_a_shipment_outage_raises_retriable(fake: FakeShipStation, sleeps: Sleeps) -> None:
    fake.fail_next(502, times=5)
    with pytest.raises(RetriableError):
        connect(fake, sleeps).fetch_shipments(Window(None, fake.now), None)


def test_shipstation_is_not_an_inventory_target(fake: FakeShipStation, sleeps: Sleeps) -> None:
    with pytest.raises(FatalError, match="cannot receive inventory"):
        inventory_target(connect(fake, sleeps))
