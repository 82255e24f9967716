"""Summary transactions end to end: orders pushed through the REST API, whole Web Connector sessions (sendRequestXML
/ receiveResponseXML as the Web Connector calls them) against the company simulator, for a US and a UK file: one
sales receipt per channel and day, exactly once, corrected by a Mod, never doubled.

In process (Chalice's test client and the service with a clock of its own) so that a lost answer and a session whose
lease runs out are steps of the test, not waits."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.settings import get_settings
from chalicelib.sync.web_connector import WebConnectorService
from ledgerbridge.simulators.company import CompanySimulator
from tests.service.conftest import Api, new_tenant
from tests.service.test_web_connector_session import Clock

DAY = (datetime.now(UTC) - timedelta(days=3)).replace(hour=16, minute=0, second=0, microsecond=0)
ZONES = {"US": "America/New_York", "UK": "Europe/London"}


@pytest.fixture(scope="module")
def client(aws: str) -> Iterator[Client]:
    from app import app

    with Client(app) as test_client:
        yield test_client


@dataclass
class Shop:
    api: Api
    company: CompanySimulator
    service: WebConnectorService
    clock: Clock
    username: str
    password: str
    channel_id: str
    country: str

    def session(self) -> str:
        """One Web Connector update; returns authenticate's status ("" when there was work)."""
        auth = self.service.authenticate(self.username, self.password)
        if auth.status:
            return auth.status
        for n in range(30):
            hcp = self.company.hcp_response() if n == 0 else ""
            request = self.service.send_request_xml(
                auth.ticket, hcp, self.company.company_file, self.country, "13", "0"
            )
            if not request:
                break
            percent = self.service.receive_response_xml(auth.ticket, self.company.process(request), "", "")
            if percent >= 100 or percent < 0:
                break
        self.service.close_connection(auth.ticket)
        self.company.end_session()
        return ""

    def push(self, docs: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self.api.json(
            "POST", f"/api/v1/channels/{self.channel_id}/orders", {"orders": docs}, expect=202
        )
        return result

    def orders(self) -> dict[str, dict[str, Any]]:
        listed = self.api.json("GET", f"/api/v1/orders?channel={self.channel_id}&limit=500")["orders"]
        return {o["order_id"]: o for o in listed}

    def receipts(self) -> list[dict[str, Any]]:
        return list(self.company.transactions("SalesReceipt"))


def _shop(client: Client, tmp_path: Path, country: str, **settings: Any) -> Shop:
    api = new_tenant(client)
    conn = api.json("POST", "/api/v1/connections", {"name": f"Summary {country}"}, expect=201)
    password = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    company = CompanySimulator.open(tmp_path / "company.json", country=country)
    clock = Clock()
    service = WebConnectorService(replace(get_settings()), clock=clock)
    shop = Shop(api, company, service, clock, conn["username"], password, "", country)
    shop.session()  # the company's lists are read and cached
    base: dict[str, Any] = {
        "transaction_type": "sales_receipt",
        "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
        "summary": "daily",
        "summary_customer": "Web Store Sales",
        "summary_time_zone": ZONES[country],
        "summary_code": "WS",
    }
    if country == "US":
        base.update(zero_rate_tax_item="Out of State", sales_tax_item="WA State")
    else:
        base.update(tax_code="S", exempt_tax_code="Z")
    base.update(settings)
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": base},
        expect=201,
    )
    shop.channel_id = channel["id"]
    return shop


def order(
    n: int, country: str, *, sku: str = "MUG-01", quantity: int = 2, when: datetime = DAY
) -> dict[str, Any]:
    """An order of `quantity` x 10.00 with 5.00 shipping; US: 1.00 tax per unit; UK: 20% VAT on the goods."""
    goods = Decimal(10 * quantity)
    tax = Decimal(quantity) if country == "US" else goods * Decimal("0.2")
    doc: dict[str, Any] = {
        "id": f"S-{n}",
        "number": f"S-{n}",
        "created_at": (when + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
        "currency": "USD" if country == "US" else "GBP",
        "customer": {"first_name": f"Buyer{n}", "last_name": "Smith", "email": f"b{n}@example.com"},
        "billing_address": {"line1": "1 Main St", "city": "Seattle", "state": "WA", "country": country},
        "lines": [
            {
                "id": "1",
                "sku": sku,
                "title": sku,
                "quantity": quantity,
                "unit_price": "10.00",
                "tax": str(tax),
            }
        ],
        "shipping_lines": [{"title": "Ground", "price": "5.00"}],
        "payment_status": "paid",
        "total": str(goods + tax + 5),
    }
    doc["payments"] = [{"method": "card", "amount": doc["total"]}]
    return doc


def _sum(docs: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(d["total"]) for d in docs), Decimal(0))


@pytest.mark.parametrize("country", ["US", "UK"])
def test_a_day_of_orders_is_one_sales_receipt_posted_once(
    client: Client, tmp_path: Path, country: str
) -> None:
    shop = _shop(client, tmp_path, country)
    docs = [order(n, country, sku="MUG-01" if n % 2 else "TEA-02", quantity=1 + n % 3) for n in range(8)]
    assert shop.push(docs)["counts"]["new"] == 8
    assert shop.session() == ""
    (receipt,) = shop.receipts()
    assert receipt["RefNumber"] == "D" + DAY.strftime("%Y%m%d") + "WS"
    assert receipt["CustomerRef"]["FullName"] == "Web Store Sales"
    # To the cent: the US tax is a line of its own (QuickBooks adds none); the UK VAT QuickBooks computes per line
    # equals the stores' here (20% of whole pounds).
    assert Decimal(receipt["TotalAmount"]) == _sum(docs)
    lines = receipt["SalesReceiptLineRet"]
    products = {
        ln["ItemRef"]["FullName"]: ln for ln in lines if ln["ItemRef"]["FullName"] in ("MUG-01", "TEA-02")
    }
    assert set(products) == {"MUG-01", "TEA-02"}  # grouped by SKU
    assert Decimal(products["MUG-01"]["Quantity"]) == sum(1 + n % 3 for n in range(8) if n % 2)
    seen = shop.orders()
    assert {o["status"] for o in seen.values()} == {"synced"}
    assert {o["summary"]["text"] for o in seen.values()} == {f"summary {receipt['RefNumber']}"}
    assert {o["quickbooks"]["txn_id"] for o in seen.values()} == {receipt["TxnID"]}
    (day,) = shop.api.json("GET", f"/api/v1/channels/{shop.channel_id}/summaries")["days"]
    assert day["ref_number"] == receipt["RefNumber"] and day["status"] == "posted" and day["orders"] == 8
    assert day["documents"]["sale"]["txn_id"] == receipt["TxnID"]
    # Running again: nothing to do, still one receipt.
    shop.clock.advance(3600)
    assert shop.session() == "none"
    shop.push(docs)
    shop.session()
    assert len(shop.receipts()) == 1


def test_an_order_changed_after_posting_modifies_the_same_receipt(client: Client, tmp_path: Path) -> None:
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(4)]
    shop.push(docs)
    shop.session()
    (before,) = copy.deepcopy(shop.receipts())
    changed = order(2, "US", quantity=5)  # the store changed order S-2 after the day was posted
    assert shop.push([changed])["counts"]["changed"] == 1
    assert shop.orders()["S-2"]["summary"]["status"] == "waiting"
    shop.clock.advance(60)
    shop.session()
    (after,) = shop.receipts()
    assert after["TxnID"] == before["TxnID"] and after["EditSequence"] != before["EditSequence"]
    assert Decimal(after["TotalAmount"]) == _sum([*docs[:2], changed, docs[3]])
    assert Decimal(after["TotalAmount"]) > Decimal(before["TotalAmount"])
    assert shop.orders()["S-2"]["status"] == "synced"
    assert shop.company.external_guid_counts().most_common(1)[0][1] == 1


def test_a_lost_answer_mid_post_is_recovered_with_one_receipt(client: Client, tmp_path: Path) -> None:
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(5)]
    shop.push(docs)
    service, company = shop.service, shop.company
    auth = service.authenticate(shop.username, shop.password)
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    while "SalesReceiptAddRq" not in request:  # the lookup: QuickBooks has nothing numbered so
        service.receive_response_xml(auth.ticket, company.process(request), "", "")
        request = service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0")
    company.process(request)  # QuickBooks saves the receipt; the answer never reaches the service
    company.end_session()
    assert len(shop.receipts()) == 1
    assert {o["status"] for o in shop.orders().values()} == {"pending"}
    shop.clock.advance(get_settings().session_lease_seconds + 1)
    assert shop.session() == ""  # the job's queue message comes back: the receipt is found, not added again
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum(docs)
    assert {o["status"] for o in shop.orders().values()} == {"synced"}


def _refunded(doc: dict[str, Any], amount: str, quantity: int = 1) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["refunds"] = [
        {
            "id": "R1",
            "created_at": (DAY + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
            "amount": amount,
            "lines": [{"line_id": "1", "quantity": quantity, "amount": "10.00"}],
        }
    ]
    return out


@pytest.mark.parametrize(
    ("country", "refund", "lines"),
    [
        (
            "US",
            "11.00",
            {("MUG-01", "-10.00"), ("WA State", "-1.00")},
        ),  # one mug and its 1.00 of tax, as a line
        (
            "UK",
            "12.00",
            {("MUG-01", "-10.00")},
        ),  # one mug; QuickBooks takes its 2.00 of VAT off by the S code
    ],
)
def test_refunds_of_the_day_netted(
    client: Client, tmp_path: Path, country: str, refund: str, lines: set[tuple[str, str]]
) -> None:
    shop = _shop(client, tmp_path, country)
    docs = [order(n, country) for n in range(3)]
    docs[1] = _refunded(docs[1], refund)
    shop.push(docs)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum(docs) - Decimal(refund)
    refunded = [ln for ln in receipt["SalesReceiptLineRet"] if Decimal(ln["Amount"]) < 0]
    assert {(ln["ItemRef"]["FullName"], ln["Amount"]) for ln in refunded} == lines
    assert shop.company.transactions("CreditMemo") == []


def test_refunds_of_the_day_as_one_credit_memo(client: Client, tmp_path: Path) -> None:
    shop = _shop(client, tmp_path, "US", summary_refunds="credit_memo")
    docs = [_refunded(order(n, "US"), "11.00") for n in range(3)]
    shop.push(docs)
    shop.session()
    (receipt,) = shop.receipts()
    (memo,) = shop.company.transactions("CreditMemo")
    assert Decimal(receipt["TotalAmount"]) == _sum(docs)
    assert Decimal(memo["TotalAmount"]) == Decimal("33.00")
    assert memo["RefNumber"] == "C" + DAY.strftime("%Y%m%d") + "WS"
    # A later refund of the same day changes the credit memo, not a second one.
    docs[0]["refunds"][0]["amount"] = "22.00"
    docs[0]["refunds"][0]["lines"][0].update(quantity=2, amount="20.00")
    shop.push([docs[0]])
    shop.clock.advance(60)
    shop.session()
    (memo,) = shop.company.transactions("CreditMemo")
    assert Decimal(memo["TotalAmount"]) == Decimal("44.00")
    assert len(shop.receipts()) == 1


def test_an_open_day_waits(client: Client, tmp_path: Path) -> None:
    shop = _shop(client, tmp_path, "US")
    today = order(1, "US", when=datetime.now(UTC))
    shop.push([today])
    shop.session()
    assert shop.receipts() == []
    assert shop.orders()["S-1"]["summary"]["status"] == "waiting"
    # Once the day has closed, the next Web Connector sign-in queues its summary.
    shop.clock.advance(2 * 24 * 3600)
    assert shop.session() == ""
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == Decimal(today["total"])
    assert shop.orders()["S-1"]["summary"]["status"] == "posted"


def test_an_order_moved_to_another_day_leaves_its_former_days_summary(client: Client, tmp_path: Path) -> None:
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(3)]
    shop.push(docs)
    shop.session()
    (first,) = copy.deepcopy(shop.receipts())
    moved = order(2, "US", when=DAY + timedelta(days=1))  # the store corrected its date
    shop.push([moved])
    shop.clock.advance(60)
    shop.session()
    by_ref = {r["RefNumber"]: r for r in shop.receipts()}
    next_ref = "D" + (DAY + timedelta(days=1)).strftime("%Y%m%d") + "WS"
    assert set(by_ref) == {first["RefNumber"], next_ref}
    assert Decimal(by_ref[first["RefNumber"]]["TotalAmount"]) == _sum(docs[:2])
    assert by_ref[first["RefNumber"]]["TxnID"] == first["TxnID"]
    assert Decimal(by_ref[next_ref]["TotalAmount"]) == Decimal(moved["total"])
    assert shop.orders()["S-2"]["summary"]["ref_numbers"] == [next_ref]
    assert shop.orders()["S-2"]["quickbooks"]["txn_id"] == by_ref[next_ref]["TxnID"]


def test_a_day_that_cannot_be_posted_fails_its_orders_with_the_reason_and_a_retry_posts_it(
    client: Client, tmp_path: Path
) -> None:
    shop = _shop(client, tmp_path, "US", sales_tax_item="")  # taxed orders, no tax item for their tax line
    docs = [order(n, "US") for n in range(2)]
    shop.push(docs)
    shop.session()
    assert shop.receipts() == []
    seen = shop.orders()
    assert {o["status"] for o in seen.values()} == {"failed"}
    assert "sales_tax_item" in seen["S-0"]["error"]["message"]
    (day,) = shop.api.json("GET", f"/api/v1/channels/{shop.channel_id}/summaries")["days"]
    assert day["status"] == "due" and "sales_tax_item" in day["problem"]["message"]
    shop.api.json(
        "PATCH", f"/api/v1/channels/{shop.channel_id}", {"settings": {"sales_tax_item": "WA State"}}
    )
    for key in (o["id"] for o in seen.values()):
        shop.api.json("POST", f"/api/v1/orders/{key}/retry", expect=202)
    shop.clock.advance(60)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum(docs)
    assert {o["status"] for o in shop.orders().values()} == {"synced"}


def test_bad_summary_settings_are_a_400_naming_the_field(client: Client) -> None:
    api = new_tenant(client)
    conn = api.json("POST", "/api/v1/connections", {"name": "Bad"}, expect=201)
    for bad, field in (
        ({"summary": "daily"}, "settings.summary_customer"),
        (
            {"summary": "daily", "summary_customer": "W", "summary_time_zone": "Nowhere/Land"},
            "settings.summary_time_zone",
        ),
        (
            {"summary": "daily", "summary_customer": "W", "transaction_type": "sales_order"},
            "settings.summary",
        ),
    ):
        settings = {"accounts": {"deposit": "Undeposited Funds"}, **bad}
        response = api.call(
            "POST",
            "/api/v1/channels",
            {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": settings},
        )
        assert response.status_code == 400 and field in response.body.decode(), response.body
