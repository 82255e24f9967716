"""QuickBooks sales to ShipStation and tracking back: sales read in Web Connector sessions (modified since a
cursor, with lines, by class, without tracking), created or updated in ShipStation keyed by TxnID so a re-run
never makes a second order, sales without an address failed in plain words, and shipments written back to
the QuickBooks sale with its current EditSequence (a 3200 re-read and retried)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.dal import outbound_sales
from chalicelib.settings import get_settings
from chalicelib.sync import fetch, store_push
from ledgerbridge.fakes.shipstation import FakeShipStation
from ledgerbridge.simulators.sale_mods import SaleLineSpec, edit_sale_in_quickbooks
from tests.service.test_inventory_to_stores import Company, drain_pushes

pytestmark = pytest.mark.xdist_group("store-push-queue")

ADDRESS = {
    "Addr1": "Maya Lindqvist",
    "Addr2": "410 Mill Road",
    "City": "Tacoma",
    "State": "WA",
    "PostalCode": "98402",
    "Country": "USA",
}


@pytest.fixture
def shipstation(monkeypatch):
    with FakeShipStation() as fake:
        fake.now = datetime.now(UTC)
        monkeypatch.setenv("LEDGERBRIDGE_STORE_API_URLS", f"shipstation={fake.base_url}")
        get_settings.cache_clear()
        yield fake
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def company(api, tmp_path, monkeypatch):
    shop = Company(api, tmp_path, monkeypatch)
    shop.company.add_inventory_items(3, prefix="BOX-", quantity=50)
    return shop


def outbound_channel(company: Company, fake: FakeShipStation, **settings) -> dict:
    body = {
        "connection_id": company.conn["id"],
        "kind": "shipstation",
        "name": "ShipStation",
        "settings": {"directions": ["quickbooks_to_shipstation"], "shipstation_class": "Online", **settings},
        "credentials": {"api_key": fake.api_key, "api_secret": fake.api_secret},
    }
    return company.api.json("POST", "/api/v1/channels", body, expect=201)


def sale(company: Company, kind: str = "SalesOrder", **fields) -> dict:
    fields = {"class_name": "Online", "ship_address": ADDRESS, "ship_method": "UPS", **fields}
    lines = [SaleLineSpec("BOX-00001", quantity=2, rate="15.00"), SaleLineSpec("Shipping", amount="9.50")]
    add = company.company.add_sales_order if kind == "SalesOrder" else company.company.add_invoice
    return add(customer="Alder Creek Outfitters", lines=lines, **fields)


def sales(company: Company, channel_id: str) -> dict[str, dict]:
    page = company.api.json("GET", f"/api/v1/channels/{channel_id}/shipstation-orders?limit=500")
    return {s["ref_number"]: s for s in page["sales"]}


def test_sales_reach_shipstation_once_and_updates_keep_the_same_order(company, shipstation):
    channel = outbound_channel(company, shipstation)
    company.clock.advance(5)
    first = sale(company, ref_number="SO-1")
    sale(company, ref_number="SO-2", class_name="Online:Marketplace")
    sale(company, ref_number="SO-3", class_name="Retail")  # another class: not for ShipStation
    sale(company, ref_number="SO-4", ship_address=None)  # no address at all
    sale(company, ref_number="SO-5", other="1Z-ALREADY")  # shipped some other way already

    company.session()
    assert drain_pushes() == [{"channel_id": channel["id"], "what": "sales"}]
    assert shipstation.order_count == 0  # nothing reaches ShipStation during the session
    assert store_push.push_sales(channel["id"]) == {"sent": 2}
    order = shipstation.order_by_key(first["TxnID"])
    assert order["orderNumber"] == "SO-1"
    assert order["shipTo"]["street1"] == "410 Mill Road" and order["shipTo"]["country"] == "US"
    assert order["requestedShippingService"] == "UPS"
    assert [(i["sku"], i["quantity"]) for i in order["items"]] == [("BOX-00001", 2)]
    assert order["shippingAmount"] == 9.5

    shown = sales(company, channel["id"])
    assert set(shown) == {"SO-1", "SO-2", "SO-4"}
    assert shown["SO-1"]["status"] == "sent" and shown["SO-1"]["shipstation_order_id"]
    assert shown["SO-4"]["status"] == "failed"
    assert "no ship-to or bill-to address" in shown["SO-4"]["problem"]

    # A re-run with nothing changed sends nothing; a sale edited in QuickBooks updates its one order.
    company.session()
    assert store_push.push_sales(channel["id"]) == {}
    company.clock.advance(5)
    edit_sale_in_quickbooks(company.company, first["TxnID"], memo="Gift: leave with the neighbour")
    company.session()
    assert store_push.push_sales(channel["id"]) == {"sent": 1}
    assert len(shipstation.orders_with_key(first["TxnID"])) == 1
    assert shipstation.order_by_key(first["TxnID"])["internalNotes"] == "Gift: leave with the neighbour"
    assert shipstation.order_count == 2


def test_unpaid_invoices_show_as_unpaid(company, shipstation):
    channel = outbound_channel(company, shipstation, shipstation_source="invoice", shipstation_class="")
    company.clock.advance(5)
    invoice = sale(company, "Invoice", ref_number="INV-9")
    company.session()
    store_push.push_sales(channel["id"])
    assert shipstation.order_by_key(invoice["TxnID"])["orderStatus"] == "awaiting_payment"


def test_a_shipstation_outage_keeps_the_sales_pending(company, shipstation):
    channel = outbound_channel(company, shipstation)
    company.clock.advance(5)
    first = sale(company, ref_number="SO-7")
    company.session()
    shipstation.fail_next(500, times=5, headers={"Retry-After": "0"})
    with pytest.raises(store_push.StorePushFailed):
        store_push.push_sales(channel["id"])
    assert sales(company, channel["id"])["SO-7"]["status"] == "pending"
    assert store_push.push_sales(channel["id"]) == {"sent": 1}
    assert shipstation.order_by_key(first["TxnID"]) is not None


def test_tracking_comes_back_to_quickbooks_and_a_stale_edit_sequence_is_reread(company, shipstation):
    channel = outbound_channel(company, shipstation, shipping_cost_to="line")
    company.clock.advance(5)
    first = sale(company, ref_number="SO-11", memo="Fragile")
    second = sale(company, ref_number="SO-12")
    company.session()
    store_push.push_sales(channel["id"])

    shipstation.ship(
        first["TxnID"],
        tracking_number="1Z111",
        carrier_code="ups",
        service_code="ups_ground",
        shipment_cost="8.45",
        ship_date=date(2026, 11, 21),
    )
    shipstation.ship(
        second["TxnID"],
        tracking_number="9400222",
        carrier_code="stamps_com",
        shipment_cost="4.10",
        ship_date=date(2026, 11, 21),
    )
    counts = fetch.fetch_shipments(_channel(channel["id"]), datetime.now(UTC))
    assert counts == {"shipped": 2}
    assert fetch.fetch_shipments(_channel(channel["id"]), datetime.now(UTC)) == {"already_recorded": 2}

    # Someone edits SO-12 in QuickBooks after Ledgerbridge read it: its Mod gets 3200, is re-read, retried.
    edit_sale_in_quickbooks(company.company, second["TxnID"], memo="Customer called")
    company.session()
    written = company.company.sale(first["TxnID"])
    assert written["Other"] == "1Z111"
    assert written["ShipDate"] == "2026-11-21"
    assert written["Memo"].startswith("Fragile\nShipped 2026-11-21 by ups ups_ground, tracking 1Z111")
    shipping_lines = [
        line for line in written["SalesOrderLineRet"] if line.get("ItemRef", {}).get("FullName") == "Shipping"
    ]
    assert [Decimal(line["Amount"]) for line in shipping_lines] == [Decimal("9.50"), Decimal("8.45")]
    assert len(written["SalesOrderLineRet"]) == 3  # the original lines are kept
    reread = company.company.sale(second["TxnID"])
    assert reread["Other"] == "9400222"
    assert reread["Memo"].startswith("Customer called\nShipped 2026-11-21 by stamps_com")

    shown = sales(company, channel["id"])
    assert shown["SO-11"]["status"] == shown["SO-12"]["status"] == "tracking_written"
    assert shown["SO-11"]["shipment"]["tracking_number"] == "1Z111"
    # The tracking write modified the sales; the next read neither re-sends nor re-writes them.
    orders_before = shipstation.order_count
    company.session()
    assert store_push.push_sales(channel["id"]) == {}
    assert shipstation.order_count == orders_before
    assert company.company.sale(first["TxnID"])["Memo"].count("Shipped") == 1
    assert outbound_sales.pending(channel["id"], outbound_sales.TRACK, 10) == []


def _channel(channel_id: str):
    from chalicelib.dal import channels

    found = channels.get(channel_id)
    assert found is not None
    return found


def test_an_order_rule_keeps_a_sale_out_of_shipstation(company, shipstation):
    """EXCLUDE_FROM_SHIPSTATION (an order rule): the QuickBooks sale posted for the order is not sent to
    ShipStation; the store's other orders are."""
    from tests.service.test_post_orders import order

    channel = outbound_channel(company, shipstation, shipstation_class="")
    store = company.api.json(
        "POST",
        "/api/v1/channels",
        {
            "connection_id": company.conn["id"],
            "kind": "custom_store",
            "name": "Web",
            "settings": {
                "transaction_type": "sales_order",
                "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
                "shipping_item": "Shipping",
            },
        },
        expect=201,
    )
    company.api.json(
        "POST",
        "/api/v1/rules",
        {
            "name": "Pickups are not shipped",
            "conditions": [{"field": "tags", "op": "in_list", "values": ["pickup"]}],
            "actions": [{"action": "EXCLUDE_FROM_SHIPSTATION"}],
        },
        expect=201,
    )
    address = {
        "line1": "410 Mill Road",
        "city": "Tacoma",
        "state": "WA",
        "postal_code": "98402",
        "country": "US",
    }
    today = datetime.now(UTC).isoformat()  # sales dated before the channel was added are not read
    docs = [
        order(n, created_at=today, shipping_address=address, tags=tags)
        for n, tags in ((1, ["pickup"]), (2, []))
    ]
    company.api.json("POST", f"/api/v1/channels/{store['id']}/orders", {"orders": docs}, expect=202)
    company.clock.advance(5)
    company.session()  # the orders become sales orders in QuickBooks
    company.clock.advance(5)
    company.session()  # the sales are read for ShipStation
    store_push.push_sales(channel["id"])
    assert set(sales(company, channel["id"])) == {"2002"}
    assert shipstation.order_count == 1
