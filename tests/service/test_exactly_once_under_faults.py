"""Exactly once under faults: thousands of orders drained by many Web Connector sessions while QuickBooks
loses answers, sessions crash, the request processor fails with HRESULTs and writes fail with transient
lock statuses. Afterwards the simulated company is compared with the orders sent: every order is in
QuickBooks exactly once, with its TxnID and total, and none is dropped.

The sessions are driven at the use-case level (`WebConnectorService`), like `run_rounds` does, with a clock
the test controls (a dead session's lease runs out when the clock is advanced) and seeded RNGs choosing the
orders, the faults and the transient statuses (the simulator's `transient_rate`/`transient_seed`). What is not
seeded: SQS's order of delivery and the real-time retry delay of transiently failed orders.

Attempts per order and the queue's dead-letter limit are raised (MAX_ATTEMPTS) and the retry delay lowered
(RETRY_DELAY) through the settings, so that, with transient statuses as the only cause of failure, every
order must end synced.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import zip_longest
from typing import Any

import pytest
from lxml import etree

from chalicelib import aws
from chalicelib.aws import WorkQueue
from chalicelib.dal import connections
from chalicelib.dal import orders as order_repo
from chalicelib.dal.orders import StoredOrder
from chalicelib.settings import get_settings
from chalicelib.sync.web_connector import WebConnectorService
from ledgerbridge.simulators.company import (
    TRANSIENT_CODES,
    CompanySimulator,
    QuickBooksFault,
    ResponseLost,
    guid_key,
)

pytestmark = pytest.mark.slow

SEED = 20_261_120
RECEIPT_ORDERS = 1_200  # to the sales-receipt channel
INVOICE_ORDERS = 800  # to the invoice channel (pushed while the first channel is being drained)
PUSH_BATCH = 500  # the API's limit per push: the first push of each channel
PUSH_SIZE = 200  # the later pushes
EXISTING_ITEMS = 60  # generated items already in the company file
NEW_CUSTOMER_SHARE = 0.30
NEW_ITEM_SHARE = 0.05
# Per round trip: the chance of each fault (drawn in this order; at most one per round trip).
FAULT_RATES = {"lost_response": 0.10, "crash_before_quickbooks": 0.05, "hresult": 0.08, "crash_after": 0.05}
TRANSIENT_RATE = 0.05  # per write request (CustomerAdd, Item*Add, SalesReceiptAdd, InvoiceAdd)
MAX_ATTEMPTS = 30  # claims per order and SQS receives per message before giving up (default 5)
MAX_SESSIONS = 400
RETRY_DELAY = 1  # seconds a transiently failed order waits on the queue (default 60)
MAX_WAITS = 30  # times the Web Connector finds no work while orders wait out the retry delay
HRESULTS = ("0x80040400", "0x80040408", "0x80040422")
SALE_KINDS = ("SalesReceipt", "Invoice", "SalesOrder")


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Stats:
    sessions: int = 0
    idle_sessions: int = 0
    busy: int = 0
    round_trips: int = 0
    faults: Counter[str] = field(default_factory=Counter)


# ------------------------------------------------------------------------------------------------
# orders


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def make_orders(
    rng: random.Random, prefix: str, count: int, customers: list[tuple[str, str]], new_skus: list[str]
) -> list[dict[str, Any]]:
    """`count` orders: ~30% from a customer not seen before, ~5% of lines with an item QuickBooks lacks."""
    docs = []
    for n in range(count):
        if not customers or rng.random() < NEW_CUSTOMER_SHARE:
            customers.append((f"Fa{len(customers):05d}", f"Buyer{len(customers) % 97}"))
            first, last = customers[-1]
        else:
            first, last = rng.choice(customers)
        lines: list[dict[str, Any]] = []
        for line_no in range(rng.randint(1, 3)):
            if rng.random() < NEW_ITEM_SHARE or not new_skus:
                if not new_skus or rng.random() < 0.7:
                    new_skus.append(f"NEW-{prefix}-{len(new_skus):04d}")
                sku = rng.choice(new_skus) if rng.random() < 0.3 else new_skus[-1]
            else:
                sku = f"Generated Item {rng.randint(1, EXISTING_ITEMS):04d}"
            lines.append(
                {
                    "id": str(line_no + 1),
                    "sku": sku,
                    "title": sku,
                    "quantity": rng.randint(1, 4),
                    "unit_price": _money(rng.randint(100, 9_999)),
                }
            )
        shipping = rng.choice((0, 0, 500, 995))
        total = sum(ln["quantity"] * int(Decimal(ln["unit_price"]) * 100) for ln in lines) + shipping
        docs.append(
            {
                "id": f"{prefix}{n:05d}",
                "number": f"#{prefix}{n:05d}",
                "created_at": "2026-11-20T10:00:00Z",
                "currency": "USD",
                "customer": {"first_name": first, "last_name": last, "email": f"{first.lower()}@example.com"},
                "billing_address": {
                    "line1": f"{n} Main St",
                    "city": "Seattle",
                    "state": "WA",
                    "postal_code": "98101",
                    "country": "US",
                },
                "lines": lines,
                "shipping_lines": [{"title": "Ground", "price": _money(shipping)}] if shipping else [],
                "payments": [{"method": "credit_card", "amount": _money(total)}],
                "payment_status": "paid",
                "total": _money(total),
            }
        )
    return docs


# ------------------------------------------------------------------------------------------------
# the Web Connector, with faults


class FaultyWebConnector:
    """Runs Web Connector sessions against the service, injecting faults with a seeded RNG."""

    def __init__(
        self,
        service: WebConnectorService,
        clock: Clock,
        company: CompanySimulator,
        username: str,
        password: str,
        rng: random.Random,
    ) -> None:
        self.service, self.clock, self.company = service, clock, company
        self.username, self.password, self.rng = username, password, rng
        self.stats = Stats()
        self.rates = dict(FAULT_RATES)
        self.script = [*FAULT_RATES, *FAULT_RATES]
        self.lease = service.settings.session_lease_seconds

    def _process(self, request: str) -> str:
        """QuickBooks answers; transient statuses it chose are counted from the answer."""
        response = self.company.process(request)
        self._count_transients(response)
        return response

    def _count_transients(self, response: str) -> None:
        root = etree.fromstring(response.encode())
        for rs in root.iterfind("QBXMLMsgsRs/*"):
            code = int(rs.get("statusCode", "0"))
            if code in TRANSIENT_CODES:
                self.stats.faults[f"transient_{code}"] += 1

    def _die(self) -> None:
        """The Web Connector (or its machine) stops without closeConnection. Its lease runs out before the
        next scheduled run, or not yet (that run is told "busy" and the one after takes over)."""
        self.company.end_session()
        if self.rng.random() < 0.5:
            self.clock.advance(self.lease + 1)

    def _fault(self) -> str | None:
        """The fault for this round trip, if any. The first ones drawn go through every kind, twice."""
        for kind, rate in self.rates.items():
            if self.rng.random() < rate:
                return self.script.pop(0) if self.script else kind
        return None

    def session(self) -> str:
        """One scheduled run: "none" when the service has no work, else how the session ended."""
        self.clock.advance(60)
        auth = self.service.authenticate(self.username, self.password)
        if auth.status == "none":
            self.stats.idle_sessions += 1
            return "none"
        if auth.status == "busy":  # a dead session still holds the lease
            self.stats.busy += 1
            self.clock.advance(self.lease)
            return "busy"
        assert auth.status == "", auth.status
        self.stats.sessions += 1
        ticket = auth.ticket
        for n in range(200):
            request = self.service.send_request_xml(
                ticket,
                self.company.hcp_response() if n == 0 else "",
                self.company.company_file,
                "US",
                "13",
                "0",
            )
            if not request:
                break
            self.stats.round_trips += 1
            fault = self._fault()
            if fault == "crash_before_quickbooks":  # the request never reached QuickBooks
                self.stats.faults[fault] += 1
                self._die()
                return fault
            if fault == "lost_response":  # QuickBooks commits; the answer never reaches the service
                self.stats.faults[fault] += 1
                self.company.faults.lose_next_response = True
                with pytest.raises(ResponseLost) as lost:
                    self._process(request)
                self._count_transients(lost.value.response)
                self._die()
                return fault
            if fault == "hresult":  # the request processor fails as a whole; nothing is processed
                self.stats.faults[fault] += 1
                self.company.faults.fail_next_with_hresult = self.rng.choice(HRESULTS)
                with pytest.raises(QuickBooksFault) as failed:
                    self._process(request)
                code = self.service.receive_response_xml(
                    ticket, "", failed.value.hresult, failed.value.message
                )
                assert code == -1
                assert self.service.get_last_error(ticket).strip()
                self.service.close_connection(ticket)
                self.company.end_session()
                return fault
            percent = self.service.receive_response_xml(ticket, self._process(request), "", "")
            if fault == "crash_after":  # answered, then the Web Connector dies before asking again
                self.stats.faults[fault] += 1
                self._die()
                return fault
            if percent < 0:
                self.service.get_last_error(ticket)
                break
            if percent >= 100:
                break
        else:
            raise AssertionError("a session never finished")
        self.service.close_connection(ticket)
        self.company.end_session()
        return "closed"


# ------------------------------------------------------------------------------------------------
# set-up and checks


@dataclass
class Connected:
    service: WebConnectorService
    clock: Clock
    company: CompanySimulator
    connection_id: str
    username: str
    password: str


def connect(api, name: str, attempts: int = MAX_ATTEMPTS) -> Connected:
    """A connection whose first session (no faults: nothing to lose yet) introduced the company and cached
    its lists; attempts per order and the queue's dead-letter limit set to `attempts`."""
    clock = Clock()
    settings = get_settings()._replace(max_job_receives=attempts, retry_delay_seconds=RETRY_DELAY)
    service = WebConnectorService(settings, clock=clock)
    company = CompanySimulator.create(generated_items=EXISTING_ITEMS, clock=clock)
    conn = api.json("POST", "/api/v1/connections", {"name": name}, expect=201)
    password = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    auth = service.authenticate(conn["username"], password)
    assert auth.status == ""
    for n in range(20):
        request = service.send_request_xml(
            auth.ticket, company.hcp_response() if n == 0 else "", company.company_file, "US", "13", "0"
        )
        if not request or service.receive_response_xml(auth.ticket, company.process(request), "", "") >= 100:
            break
    service.close_connection(auth.ticket)
    company.end_session()
    # SQS would otherwise park a message handed back MAX_JOB_RECEIVES times before its order may fail.
    _set_dead_letter_limit(WorkQueue(conn["id"], settings), attempts)
    return Connected(service, clock, company, conn["id"], conn["username"], password)


def _set_dead_letter_limit(queue: WorkQueue, max_receives: int) -> None:
    sqs = aws.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receives)}
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"RedrivePolicy": json.dumps(policy)})


def new_channel(api, connection_id: str, transaction_type: str) -> str:
    settings = {
        "transaction_type": transaction_type,
        "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
        "shipping_item": "Shipping",
    }
    body = {
        "connection_id": connection_id,
        "kind": "custom_store",
        "name": transaction_type,
        "settings": settings,
    }
    return str(api.json("POST", "/api/v1/channels", body, expect=201)["id"])


def push(api, channel_id: str, docs: list[dict[str, Any]]) -> None:
    result = api.json("POST", f"/api/v1/channels/{channel_id}/orders", {"orders": docs}, expect=202)
    assert result["counts"].get("new") == len(docs), result["counts"]


def stored_orders(channel_id: str, docs: list[dict[str, Any]]) -> dict[str, StoredOrder]:
    keys = [(channel_id, d["id"]) for d in docs]
    found: dict[str, StoredOrder] = {}
    for start in range(0, len(keys), 100):
        found.update({o.order_id: o for o in order_repo.get_many(keys[start : start + 100])})
    return found


def open_orders(sent: dict[str, list[dict[str, Any]]], settled: set[tuple[str, str]]) -> list[StoredOrder]:
    """Orders neither synced nor failed; `settled` remembers the others (those states are final here)."""
    still_open = []
    for channel_id, docs in sent.items():
        unsettled = [d for d in docs if (channel_id, d["id"]) not in settled]
        for order in stored_orders(channel_id, unsettled).values():
            if order.status in (order_repo.SYNCED, order_repo.FAILED):
                settled.add((channel_id, order.order_id))
            else:
                still_open.append(order)
    return still_open


def sale_total(kind: str, txn: dict[str, Any]) -> Decimal:
    if kind == "Invoice":
        return Decimal(txn["Subtotal"]) + Decimal(txn.get("SalesTaxTotal", "0"))
    return Decimal(txn["TotalAmount"])


def assert_exactly_once(
    company: CompanySimulator, sent: dict[str, list[dict[str, Any]]], kinds: dict[str, str]
) -> list[StoredOrder]:
    """Every synced order is in QuickBooks once, as its recorded TxnID, with its total; every sale in
    QuickBooks belongs to a synced order; a failed order says why and is not in QuickBooks. Returns the
    failed orders."""
    guid_counts = company.external_guid_counts(SALE_KINDS)
    by_guid: dict[str, StoredOrder] = {}
    failed: list[StoredOrder] = []
    for channel_id, docs in sent.items():
        stored = stored_orders(channel_id, docs)
        assert len(stored) == len(docs), "orders went missing from storage"
        for doc in docs:
            order = stored[doc["id"]]
            guid = guid_key(order.external_guid)
            by_guid[guid] = order
            if order.status == order_repo.FAILED:
                failed.append(order)
                assert order.error and str(order.error.get("message", "")).strip(), (
                    f"order {order.number} failed without saying why"
                )
                assert guid_counts.get(guid, 0) == 0, f"failed order {order.number} is in QuickBooks"
                continue
            assert order.status == order_repo.SYNCED, (order.number, order.status)
            assert guid_counts.get(guid) == 1, (
                f"order {order.number} is in QuickBooks {guid_counts.get(guid, 0)}x"
            )
            [(kind, txn)] = company.find_by_external_guid(order.external_guid)
            assert kind == kinds[channel_id] == order.txn_type, (order.number, kind, order.txn_type)
            assert txn["TxnID"] == order.txn_id, (order.number, txn["TxnID"], order.txn_id)
            assert sale_total(kind, txn) == Decimal(doc["total"]), order.number
    for kind in SALE_KINDS:
        for txn in company.sales(kind):
            owner = by_guid.get(guid_key(str(txn.get("ExternalGUID", ""))))
            assert owner is not None, f"{kind} {txn['TxnID']} is in QuickBooks without an order"
            assert owner.status == order_repo.SYNCED and owner.txn_id == txn["TxnID"], (kind, txn["TxnID"])
    return failed


def drain(
    api, wc: FaultyWebConnector, sent: dict[str, list[dict[str, Any]]], pushes: list[tuple[str, Any]]
) -> Counter[str]:
    """Sessions until every order is synced or failed (the next of `pushes` goes in after each session that
    ran out of work). Fails when that does not happen within MAX_SESSIONS, or when the service has no work
    for the Web Connector while an order is neither pending (waiting out the retry delay) nor settled."""
    outcomes: Counter[str] = Counter()
    settled: set[tuple[str, str]] = set()
    for _ in range(MAX_SESSIONS):
        outcome = wc.session()
        outcomes[outcome] += 1
        if outcome in ("closed", "none") and pushes:
            push(api, *pushes.pop(0))
            continue
        if outcome != "none":
            continue
        still_open = open_orders(sent, settled)
        if not still_open:
            return outcomes
        # Orders a transient status sent back are invisible on the queue for the retry delay (real time).
        assert all(o.status == order_repo.PENDING for o in still_open) and outcomes["wait"] < MAX_WAITS, (
            f"the service has no work for the Web Connector, yet {len(still_open)} orders are neither "
            f"synced nor failed: {[(o.number, o.status) for o in still_open[:5]]}"
        )
        outcomes["wait"] += 1
        time.sleep(RETRY_DELAY + 0.2)
    raise AssertionError(
        f"no convergence after {MAX_SESSIONS} sessions: {len(open_orders(sent, settled))} orders open"
    )


# ------------------------------------------------------------------------------------------------
# the tests


def test_every_order_lands_exactly_once_despite_faults(api):
    started = time.monotonic()
    rng = random.Random(SEED)
    c = connect(api, "Faults")
    wc = FaultyWebConnector(c.service, c.clock, c.company, c.username, c.password, rng)
    receipts, invoices = (
        new_channel(api, c.connection_id, "sales_receipt"),
        new_channel(api, c.connection_id, "invoice"),
    )
    kinds = {receipts: "SalesReceipt", invoices: "Invoice"}
    customers: list[tuple[str, str]] = []
    new_skus: list[str] = []
    sent = {
        receipts: make_orders(rng, "R", RECEIPT_ORDERS, customers, new_skus),
        invoices: make_orders(rng, "I", INVOICE_ORDERS, customers, new_skus),
    }
    # Pushes alternate between the channels; the next one arrives when a session has drained the queue or
    # found it empty, so orders keep arriving while earlier ones are still being recovered and retried.
    # (Moto's SQS slows down with the square of the queue's length: pushes stay at a few hundred.)
    chunks = [
        [(channel_id, docs[start : start + size]) for start, size in _chunks(len(docs))]
        for channel_id, docs in sent.items()
    ]
    pushes = [p for pair in zip_longest(*chunks) for p in pair if p is not None]
    push_count = len(pushes)
    c.company.faults.transient_rate = TRANSIENT_RATE
    c.company.faults.transient_seed = SEED
    push(api, *pushes.pop(0))
    outcomes = drain(api, wc, sent, pushes)
    c.company.faults.clear()
    conn = connections.get(c.connection_id)
    assert conn is not None and conn.unresolved_set_id is None

    assert set(FAULT_RATES) <= set(wc.stats.faults), wc.stats.faults
    assert any(k.startswith("transient_") for k in wc.stats.faults), wc.stats.faults
    failed = assert_exactly_once(c.company, sent, kinds)
    # Only transient statuses could fail an order, and every order had attempts enough to get through.
    assert not failed, [(o.number, o.error) for o in failed[:5]]

    stats = wc.stats
    faults = ", ".join(f"{k} {v}" for k, v in sorted(stats.faults.items()))
    print(
        f"\nexactly once under faults: {sum(len(d) for d in sent.values())} orders ({len(customers)} "
        f"customers, {len(new_skus)} new items) in {push_count} pushes; "
        f"{stats.sessions} sessions (+{stats.idle_sessions} 'none', {stats.busy} 'busy'), {stats.round_trips} round trips; "
        f"faults: {faults}; waits for the retry delay: {outcomes['wait']}; {time.monotonic() - started:.0f} s"
    )


def _chunks(total: int) -> list[tuple[int, int]]:
    """(start, size) of the pushes of one channel: one of 500 (the API's maximum), then PUSH_SIZE."""
    out, start = [], 0
    for size in [PUSH_BATCH, *[PUSH_SIZE] * total]:
        if start >= total:
            break
        out.append((start, min(size, total - start)))
        start += size
    return out


@pytest.mark.parametrize("request_name", ["CustomerAddRq", "ItemNonInventoryAddRq"])
def test_a_transient_failure_of_an_add_is_retried(api, request_name):
    """The sale naming a customer or item whose add met a lock fails with 3140; it is retried, not failed."""
    c = connect(api, "Transient add")
    channel_id = new_channel(api, c.connection_id, "sales_receipt")
    customers: list[tuple[str, str]] = []
    new_skus = ["NEW-SKU-1"]  # the order's line names an item QuickBooks lacks
    docs = make_orders(random.Random(1), "T", 1, customers, new_skus)
    docs[0]["lines"][0]["sku"] = docs[0]["lines"][0]["title"] = "NEW-SKU-1"
    push(api, channel_id, docs)
    c.company.faults.transient_status_next = [3170]
    c.company.faults.transient_requests = [request_name]
    wc = FaultyWebConnector(c.service, c.clock, c.company, c.username, c.password, random.Random(1))
    wc.rates = {}
    drain(api, wc, {channel_id: docs}, [])
    assert wc.stats.faults["transient_3170"] == 1
    failed = assert_exactly_once(c.company, {channel_id: docs}, {channel_id: "SalesReceipt"})
    assert not failed, [(o.number, o.error) for o in failed]
