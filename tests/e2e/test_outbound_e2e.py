"""QuickBooks outbound on the running local stack (`ledgerbridge dev`), with the company simulator behind a
simulated Web Connector over SOAP and the fake stores over HTTP:

- 10,000 inventory items read in one Web Connector session with bounded answers, pushed to WooCommerce by
  the local runner (the store push queue's consumer) through an outage in the middle, then only the changes;
- QuickBooks sales orders sent to ShipStation once (a re-run creates nothing), shipped there, and the
  tracking written back to QuickBooks by the next session.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest

from ledgerbridge.fakes.shipstation import FakeShipStation
from ledgerbridge.fakes.woocommerce import FakeWooCommerce
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.sale_mods import SaleLineSpec
from ledgerbridge.simulators.webconnector import run_session
from tests.conftest import start_stack, stop_stack
from tests.e2e.test_channels_e2e import wait_for
from tests.e2e.test_web_connector_e2e import pair

pytestmark = pytest.mark.xdist_group("outbound-stack")

ITEMS = 10_000


@pytest.fixture(scope="module")
def shipstation():
    with FakeShipStation() as fake:
        fake.now = datetime.now(UTC)
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory, shipstation):
    """A local stack whose ShipStation API address is the fake's (ShipStation has one fixed host)."""
    running = start_stack(
        tmp_path_factory.mktemp("outbound"),
        api_key="lbk_test_" + os.urandom(12).hex(),
        extra_env={"LEDGERBRIDGE_STORE_API_URLS": f"shipstation={shipstation.base_url}"},
    )
    yield running
    stop_stack(running)


def answers(report) -> list[int]:
    """The size of each QuickBooks answer the Web Connector relayed in the session."""
    return [
        len(c.arguments.get("response", "").encode())
        for c in report.calls
        if c.method == "receiveResponseXML"
    ]


def test_ten_thousand_items_reach_woocommerce_through_an_outage_then_only_changes(stack, tmp_path):
    conn, app_url, username, password = pair(stack, "Stock")
    company = CompanySimulator.open(tmp_path / "company.json", autosave=False)
    assert run_session(app_url, username, password, company).outcome == "completed"  # lists cached
    names = company.add_inventory_items(ITEMS, prefix="SKU-", quantity=lambda n: n % 50)
    company.save()
    with FakeWooCommerce() as woo, stack.client() as client:
        ids = [woo.add_product(name, quantity=0)["id"] for name in names]
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "woocommerce",
                "name": "Heron Woo",
                "settings": {"directions": ["inventory_to_store"]},
                "credentials": {
                    "store_url": woo.base_url,
                    "consumer_key": woo.consumer_key,
                    "consumer_secret": woo.consumer_secret,
                },
            },
        )
        assert created.status_code == 201, created.text
        channel = created.json()
        # The store is down when the push starts (as many failures as the connector's attempts).
        woo.fail_next(503, times=5, headers={"Retry-After": "0"})

        report = run_session(app_url, username, password, company)
        assert report.outcome == "completed", report.errors
        sizes = answers(report)
        assert len(sizes) <= ITEMS // 500 + 3  # pages of 500 with an iterator, plus assemblies
        assert max(sizes) < 250_000  # IncludeRetElement keeps each answer small
        run = client.get(f"/api/v1/connections/{conn['id']}/sync-runs").json()["sync_runs"][0]
        assert run["counts"]["inventory_items_read"] >= ITEMS

        expected = {product_id: n % 50 for n, product_id in enumerate(ids, start=1)}

        def store_has_every_quantity():  # by id: the fake looks a SKU up product by product
            return all(woo.stock(product_id) == quantity for product_id, quantity in expected.items())

        # Polled from the fake store: asking the API for counts reads 10,000 levels each time.
        wait_for(store_has_every_quantity, 420, "the runner to push every quantity after the outage", every=5)

        def push_recorded():  # the push records its outcome once the last level is settled
            page = client.get(f"/api/v1/channels/{channel['id']}/inventory", params={"limit": 1}).json()
            return page if page["last_push"] and not page["last_push"]["retrying"] else None

        page = wait_for(push_recorded, 60, "the push to record its outcome", every=2)
        assert page["counts"].get("pending", 0) == 0
        assert page["counts"]["pushed"] == sum(1 for q in expected.values() if q)  # 0 was there already
        assert page["last_push"]["error"] is None
        assert woo.stock(ids[0]) == 1 and woo.stock(ids[48]) == 49 and woo.stock(ids[-1]) == ITEMS % 50
        calls = woo.batch_calls

        company.edit_item(names[0], quantity_on_hand=500)
        company.save()
        assert run_session(app_url, username, password, company).outcome == "completed"
        wait_for(lambda: woo.stock(ids[0]) == 500, 120, "the changed quantity to reach the store")
        assert woo.batch_calls == calls + 1  # one quantity changed: one batch with it


def test_sales_orders_to_shipstation_once_and_tracking_back(stack, shipstation, tmp_path):
    conn, app_url, username, password = pair(stack, "Shipping")
    company = CompanySimulator.open(tmp_path / "company.json")
    assert run_session(app_url, username, password, company).outcome == "completed"
    company.add_inventory_items(2, prefix="BOX-", quantity=20)
    address = {
        "Addr1": "Maya Lindqvist",
        "Addr2": "410 Mill Road",
        "City": "Tacoma",
        "State": "WA",
        "PostalCode": "98402",
        "Country": "USA",
    }
    with stack.client() as client:
        created = client.post(
            "/api/v1/channels",
            json={
                "connection_id": conn["id"],
                "kind": "shipstation",
                "name": "ShipStation",
                "settings": {"directions": ["quickbooks_to_shipstation"], "shipstation_class": "Online"},
                "credentials": {"api_key": shipstation.api_key, "api_secret": shipstation.api_secret},
            },
        )
        assert created.status_code == 201, created.text
        channel = created.json()
        sales = [
            company.add_sales_order(
                customer="Alder Creek Outfitters",
                lines=[SaleLineSpec("BOX-00001", quantity=n, rate="12.00")],
                class_name="Online",
                ship_address=address,
                ship_method="UPS",
                ref_number=f"E2E-{n}",
            )
            for n in (1, 2, 3)
        ]
        before = shipstation.order_count
        assert run_session(app_url, username, password, company).outcome == "completed"
        wait_for(lambda: shipstation.order_count == before + 3, 60, "the sales to reach ShipStation")
        assert run_session(app_url, username, password, company).outcome == "completed"  # a re-run
        wait_for(
            lambda: client.get(f"/api/v1/channels/{channel['id']}/shipstation-orders").json()["sales"],
            10,
            "sales",
        )
        assert shipstation.order_count == before + 3
        assert all(len(shipstation.orders_with_key(s["TxnID"])) == 1 for s in sales)

        shipstation.now = datetime.now(UTC)
        shipstation.ship(
            sales[0]["TxnID"],
            tracking_number="1ZE2E0001",
            carrier_code="ups",
            shipment_cost="7.25",
            ship_date=date(2026, 11, 21),
        )
        ran = client.post(f"/api/v1/tasks/{channel['id']}/run")  # read the shipments now
        assert ran.status_code == 202, ran.text

        def shipped():
            found = client.get(
                f"/api/v1/channels/{channel['id']}/shipstation-orders", params={"status": "shipped"}
            ).json()["sales"]
            return found or None

        wait_for(shipped, 60, "the shipment to be read from ShipStation")
        assert run_session(app_url, username, password, company).outcome == "completed"
        written = CompanySimulator.open(tmp_path / "company.json").sale(sales[0]["TxnID"])
        assert written["Other"] == "1ZE2E0001"
        assert written["ShipDate"] == "2026-11-21"
        assert "tracking 1ZE2E0001" in written["Memo"]
        (done,) = client.get(
            f"/api/v1/channels/{channel['id']}/shipstation-orders", params={"status": "tracking_written"}
        ).json()["sales"]
        assert done["ref_number"] == "E2E-1"
