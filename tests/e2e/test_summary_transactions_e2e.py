"""Summary transactions end to end: orders pushed through the REST API, whole Web Connector sessions (sendRequestXML
/ receiveResponseXML as the Web Connector calls them) against the company simulator, for a US and a UK file: one
sales receipt per channel and day, exactly once, corrected by a Mod, never doubled.

In process (Chalice's test client and the service with a clock of its own) so that a lost answer and a session whose
lease runs out are steps of the test, not waits."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from lxml import etree

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
    service = WebConnectorService(get_settings()._replace(), clock=clock)
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


# --- exactly once: the posting and settling of a day ---------------------------------------------------------------


@dataclass
class Run:
    """One Web Connector session driven step by step (to lose, repeat or cut an answer on the way)."""

    shop: Shop
    ticket: str = ""
    percent: int = 0

    def __post_init__(self) -> None:
        auth = self.shop.service.authenticate(self.shop.username, self.shop.password)
        assert auth.status == "", auth.status
        self.ticket = auth.ticket
        self.first = True

    def ask(self) -> str:
        hcp = self.shop.company.hcp_response() if self.first else ""
        self.first = False
        company = self.shop.company
        return self.shop.service.send_request_xml(
            self.ticket, hcp, company.company_file, self.shop.country, "13", "0"
        )

    def answer(self, response: str) -> int:
        self.percent = self.shop.service.receive_response_xml(self.ticket, response, "", "")
        return self.percent

    def until(self, marker: str) -> str:
        """Answer every request (as QuickBooks would) until one containing `marker`; returns that one."""
        request = self.ask()
        while marker not in request:
            assert request, f"the session ended before sending {marker}"
            self.answer(self.shop.company.process(request))
            request = self.ask()
        return request

    def finish(self) -> None:
        while 0 <= self.percent < 100:
            request = self.ask()
            if not request:
                break
            self.answer(self.shop.company.process(request))
        self.shop.service.close_connection(self.ticket)
        self.shop.company.end_session()


def _without(answer: str, tag: str) -> str:
    """QuickBooks' answer with the responses named `tag` left out (an answer that does not answer everything)."""
    root = etree.fromstring(answer.encode())
    for element in root.iter(tag):
        element.getparent().remove(element)  # type: ignore[union-attr]
    return etree.tostring(root, encoding="unicode")


def _day(shop: Shop, day: datetime) -> dict[str, Any]:
    days = shop.api.json("GET", f"/api/v1/channels/{shop.channel_id}/summaries")["days"]
    found: dict[str, Any] = {d["day"]: d for d in days}[day.date().isoformat()]
    return found


def test_a_post_set_asked_for_again_before_its_answer_adds_one_receipt(
    client: Client, tmp_path: Path
) -> None:
    """Finding 1: the Web Connector asks again (a timeout) after QuickBooks saved the receipt: the same set is
    sent again and must not add a second receipt."""
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(3)]
    shop.push(docs)
    run = Run(shop)
    request = run.until("SalesReceiptAddRq")
    shop.company.process(request)  # QuickBooks saves the receipt; the Web Connector gives up waiting
    again = run.ask()  # ... and asks again before answering
    assert "SalesReceiptAddRq" in again  # the same set, sent again
    run.answer(shop.company.process(again))
    run.finish()
    assert len(shop.receipts()) == 1
    shop.clock.advance(get_settings().session_lease_seconds + 1)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum(docs)
    assert {o["status"] for o in shop.orders().values()} == {"synced"}
    assert shop.company.external_guid_counts().most_common(1)[0][1] == 1


def test_a_lookup_answer_without_the_days_query_adds_nothing(client: Client, tmp_path: Path) -> None:
    """Finding 5: an answer that leaves the day's query out is not "QuickBooks has nothing" (no second Add)."""
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(3)]
    shop.push(docs)
    shop.session()
    changed = order(1, "US", quantity=4)
    shop.push([changed])
    shop.clock.advance(60)
    run = Run(shop)
    request = run.until("<RefNumber>D")
    run.answer(_without(shop.company.process(request), "SalesReceiptQueryRs"))
    run.finish()
    shop.clock.advance(get_settings().session_lease_seconds + 1)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum([docs[0], changed, docs[2]])
    assert {o["status"] for o in shop.orders().values()} == {"synced"}


def test_a_mod_that_got_no_answer_leaves_the_day_due(client: Client, tmp_path: Path) -> None:
    """Finding 5: an answer without the Mod's response settles nothing: the day is not recorded as posted."""
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(3)]
    shop.push(docs)
    shop.session()
    changed = order(1, "US", quantity=4)
    shop.push([changed])
    shop.clock.advance(60)
    run = Run(shop)
    run.until("SalesReceiptModRq")  # never reaches QuickBooks; an empty answer comes back
    run.answer('<?xml version="1.0"?><QBXML><QBXMLMsgsRs></QBXMLMsgsRs></QBXML>')
    run.finish()
    assert _day(shop, DAY)["status"] == "due"
    shop.clock.advance(get_settings().session_lease_seconds + 1)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum([docs[0], changed, docs[2]])
    assert _day(shop, DAY)["status"] == "posted"


def test_a_day_with_refunds_and_no_sales_is_one_credit_memo_posted_once(
    client: Client, tmp_path: Path
) -> None:
    """Finding 4: with credit_memo, a day whose only activity is a refund (of an earlier day's order) is posted
    as its credit memo and stops being due."""
    shop = _shop(client, tmp_path, "US", summary_refunds="credit_memo")
    doc = order(1, "US")
    doc["refunds"] = [
        {
            "id": "R1",
            "created_at": (DAY + timedelta(days=1, hours=2)).isoformat().replace("+00:00", "Z"),
            "amount": "11.00",
            "lines": [{"line_id": "1", "quantity": 1, "amount": "10.00"}],
        }
    ]
    shop.push([doc])
    assert shop.session() == ""
    (memo,) = copy.deepcopy(shop.company.transactions("CreditMemo"))
    assert memo["RefNumber"] == "C" + (DAY + timedelta(days=1)).strftime("%Y%m%d") + "WS"
    assert Decimal(memo["TotalAmount"]) == Decimal("11.00")
    assert _day(shop, DAY + timedelta(days=1))["status"] == "posted"
    shop.clock.advance(3600)
    assert shop.session() == "none"  # nothing due: no CreditMemoMod every sign-in
    (after,) = shop.company.transactions("CreditMemo")
    assert after["EditSequence"] == memo["EditSequence"]


def test_a_credit_memo_whose_refunds_left_the_day_is_reported(client: Client, tmp_path: Path) -> None:
    """Finding 14: the day's refunds are gone (the store removed the refund) but its credit memo is in
    QuickBooks: the day says so instead of recording the memo as right."""
    shop = _shop(client, tmp_path, "US", summary_refunds="credit_memo")
    docs = [order(n, "US") for n in range(2)]
    docs[0] = _refunded(docs[0], "11.00")
    shop.push(docs)
    shop.session()
    (memo,) = shop.company.transactions("CreditMemo")
    shop.push([order(0, "US")])  # the refund is gone from the store's order
    shop.clock.advance(60)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum([order(0, "US"), docs[1]])
    problem = _day(shop, DAY)["problem"]
    assert problem is not None and problem["code"] == "credit_empty", problem
    assert memo["RefNumber"] in problem["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"summary_code": "WX"},
        {
            "transaction_type": "invoice",
            "record_payments": False,
            "accounts": {"deposit": "Undeposited Funds", "receivable": "Accounts Receivable"},
        },
    ],
)
def test_a_posted_day_keeps_its_document_when_the_settings_change(
    client: Client, tmp_path: Path, change: dict[str, Any]
) -> None:
    """Finding 2: a new summary_code or document type does not give a posted day a second document: the day's
    document is found by the TxnID it recorded, and keeps its kind and RefNumber."""
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US") for n in range(3)]
    shop.push(docs)
    shop.session()
    (before,) = copy.deepcopy(shop.receipts())
    shop.api.json("PATCH", f"/api/v1/channels/{shop.channel_id}", {"settings": change})
    changed = order(1, "US", quantity=4)
    shop.push([changed])
    shop.clock.advance(60)
    shop.session()
    (after,) = shop.receipts()
    assert shop.company.transactions("Invoice") == []
    assert after["TxnID"] == before["TxnID"] and after["RefNumber"] == before["RefNumber"]
    assert Decimal(after["TotalAmount"]) == _sum([docs[0], changed, docs[2]])
    seen = shop.orders()
    assert {o["status"] for o in seen.values()} == {"synced"}
    assert {o["summary"]["text"] for o in seen.values()} == {f"summary {before['RefNumber']}"}
    assert _day(shop, DAY)["ref_number"] == before["RefNumber"]


# --- review findings 3, 8, 10 and 12 -------------------------------------------------------------------------------


def test_an_order_posted_alone_before_summaries_keeps_being_posted_alone(
    client: Client, tmp_path: Path
) -> None:
    """Finding 3: switching a channel to daily summaries does not post its earlier sales a second time: an order
    already in QuickBooks on its own gets its refund as a credit memo of its own, not a place in a day's summary."""
    shop = _shop(client, tmp_path, "US", summary="none")
    doc = order(1, "US")
    shop.push([doc])
    shop.session()
    (alone,) = copy.deepcopy(shop.receipts())
    assert alone["RefNumber"] == "S-1"
    shop.api.json("PATCH", f"/api/v1/channels/{shop.channel_id}", {"settings": {"summary": "daily"}})
    shop.push([_refunded(doc, "11.00"), order(2, "US")])
    shop.clock.advance(60)
    shop.session()
    by_ref = {r["RefNumber"]: r for r in shop.receipts()}
    summary_ref = "D" + DAY.strftime("%Y%m%d") + "WS"
    assert set(by_ref) == {"S-1", summary_ref}  # the new order is summarised, the old one is not again
    assert Decimal(by_ref[summary_ref]["TotalAmount"]) == Decimal(order(2, "US")["total"])
    (memo,) = shop.company.transactions("CreditMemo")
    assert Decimal(memo["TotalAmount"]) == Decimal("11.00") and not memo["RefNumber"].startswith("C")
    seen = shop.orders()
    assert seen["S-1"]["status"] == "synced" and seen["S-1"]["summary"] is None
    assert seen["S-1"]["quickbooks"]["txn_id"] == alone["TxnID"]


def test_a_foreign_currency_order_is_refused_with_the_reason(client: Client, tmp_path: Path) -> None:
    """Finding 8: a daily summary is in the home currency: an order in another currency fails, said on the order;
    an order that names no currency is in the home currency."""
    shop = _shop(client, tmp_path, "US")
    euro = {**order(1, "US"), "currency": "EUR"}
    unnamed = order(2, "US")
    del unnamed["currency"]
    shop.push([euro, unnamed, order(3, "US")])
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum([unnamed, order(3, "US")])
    seen = shop.orders()
    assert seen["S-1"]["status"] == "failed" and "EUR" in seen["S-1"]["error"]["message"]
    assert "home currency" in seen["S-1"]["error"]["message"]
    assert {seen["S-2"]["status"], seen["S-3"]["status"]} == {"synced"}


def test_settings_qbxml_would_refuse_are_a_400_naming_the_field(client: Client) -> None:
    """Findings 8 and 12: an invoice summary with record_payments, and a summary customer the qbXML builders would
    refuse, are refused when saved, naming the field."""
    api = new_tenant(client)
    conn = api.json("POST", "/api/v1/connections", {"name": "Bad"}, expect=201)
    base = {"accounts": {"deposit": "Undeposited Funds"}, "summary": "daily", "summary_customer": "Web"}
    for bad, field in (
        ({"summary_customer": "Web \u2713 Store"}, "settings.summary_customer"),
        ({"summary_customer": "Web  Store"}, "settings.summary_customer"),
        ({"transaction_type": "invoice", "record_payments": True}, "settings.record_payments"),
    ):
        response = api.call(
            "POST",
            "/api/v1/channels",
            {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": {**base, **bad}},
        )
        assert response.status_code == 400 and field in response.body.decode(), response.body


def test_a_summary_customer_saved_before_it_was_checked_fails_the_day_not_the_session(
    client: Client, tmp_path: Path
) -> None:
    """Finding 12: a name the builders refuse (a channel saved before the check) fails the day and its orders with
    the reason; the Web Connector session goes on (no 500 at every sign-in)."""
    from chalicelib.dal import channels

    shop = _shop(client, tmp_path, "US")
    channel = channels.get(shop.channel_id)
    assert channel is not None
    channels.update(
        channel.tenant_id,
        shop.channel_id,
        name=channel.name,
        settings={**channel.settings, "summary_customer": "Web \u2713 Store"},
    )
    shop.push([order(n, "US") for n in range(2)])
    assert shop.session() == ""
    assert shop.receipts() == []
    seen = shop.orders()
    assert {o["status"] for o in seen.values()} == {"failed"}
    (day,) = shop.api.json("GET", f"/api/v1/channels/{shop.channel_id}/summaries")["days"]
    assert day["status"] == "due" and day["problem"]["message"] == seen["S-0"]["error"]["message"]


def test_turning_summaries_off_posts_the_waiting_orders_one_by_one(client: Client, tmp_path: Path) -> None:
    """Finding 10: orders waiting in an open day go back to pending and are queued when the channel stops
    summarising: the next session posts them one by one, and no summary of them follows."""
    shop = _shop(client, tmp_path, "US")
    docs = [order(n, "US", when=datetime.now(UTC)) for n in range(2)]
    shop.push(docs)
    shop.session()
    assert shop.receipts() == []
    assert {o["summary"]["status"] for o in shop.orders().values()} == {"waiting"}
    shop.api.json("PATCH", f"/api/v1/channels/{shop.channel_id}", {"settings": {"summary": "none"}})
    assert {o["status"] for o in shop.orders().values()} == {"pending"}
    shop.clock.advance(60)
    shop.session()
    assert {r["RefNumber"] for r in shop.receipts()} == {"S-0", "S-1"}
    seen = shop.orders()
    assert {o["status"] for o in seen.values()} == {"synced"}
    assert all(o["summary"] is None for o in seen.values())
    # Back to daily summaries later: the days those orders left post nothing of them.
    shop.api.json("PATCH", f"/api/v1/channels/{shop.channel_id}", {"settings": {"summary": "daily"}})
    shop.clock.advance(2 * 24 * 3600)
    shop.session()
    assert {r["RefNumber"] for r in shop.receipts()} == {"S-0", "S-1"}


def test_a_posted_day_with_a_credit_memo_keeps_it_when_refunds_are_netted_from_then_on(
    client: Client, tmp_path: Path
) -> None:
    """Finding 2: switching credit_memo -> net does not net a posted day's refunds on its receipt while its credit
    memo still credits them (refunded twice): the day keeps its credit memo."""
    shop = _shop(client, tmp_path, "US", summary_refunds="credit_memo")
    docs = [order(n, "US") for n in range(3)]
    docs[0] = _refunded(docs[0], "11.00")
    shop.push(docs)
    shop.session()
    (memo,) = copy.deepcopy(shop.company.transactions("CreditMemo"))
    shop.api.json("PATCH", f"/api/v1/channels/{shop.channel_id}", {"settings": {"summary_refunds": "net"}})
    changed = order(1, "US", quantity=4)
    shop.push([changed])
    shop.clock.advance(60)
    shop.session()
    (receipt,) = shop.receipts()
    assert Decimal(receipt["TotalAmount"]) == _sum([docs[0], changed, docs[2]])  # no refund netted on it
    (after,) = shop.company.transactions("CreditMemo")
    assert after["TxnID"] == memo["TxnID"] and Decimal(after["TotalAmount"]) == Decimal("11.00")
    assert _day(shop, DAY)["status"] == "posted"
