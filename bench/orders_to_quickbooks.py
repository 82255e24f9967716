"""Benchmark: orders pushed through the REST API and drained into QuickBooks by Web Connector sessions.

For each size N: a fresh connection (its first session reads the company lists), a custom-store channel
posting sales receipts, then N orders (about 30% from customers seen for the first time, about 5% of lines
naming an item QuickBooks lacks) pushed through `POST /api/v1/channels/{id}/orders` (500 per push, the API's
maximum) and drained by Web Connector sessions speaking real SOAP to `POST /qbwc` through Chalice's
in-process gateway, the company simulator answering. That is the *cold* run (customer and item mappings
empty). The *warm* run pushes and drains a second set of N orders for the same customers and items.

Each push is followed by Web Connector sessions until the service answers "none" (the store pushes a batch,
the Web Connector runs). Figures per N and run:

* round trips per order (sendRequestXML/receiveResponseXML pairs; the connection's first session, which
  reads the company lists, is reported apart as `setup_round_trips`), against the aim of at most 0.05 cold
  and 0.02 warm;
* server CPU per order: `time.process_time()` around the gateway calls only (the simulator, the benchmark's
  own XML handling and moto are outside: moto runs in its own process), next to the CPU lxml alone takes to
  parse and serialise the same qbXML (each round trip's request and response documents, timed apart);
* bytes per round trip: the qbXML request + response, and the four SOAP bodies on the wire;
* sendRequestXML and receiveResponseXML p99 wall time, and the same less the time spent waiting on moto (each
  AWS call's wall time less the CPU this process spent in it, from botocore's before-call/after-call events):
  the service's own latency, apart from an endpoint that answers a 100-item TransactWriteItems in hundreds of
  milliseconds where DynamoDB takes tens; the mean wait per round trip on moto's slowest calls says which;
* before each run's sessions, everything the process holds is frozen out of the garbage collector's sight
  (`gc.freeze`): above all the benchmark's own objects (the simulator's company file, the order documents), which
  a Lambda process would not hold; a full collection walking the simulator's 5,000 items and sales took ~200 ms
  of a SOAP call's clock. The freeze also takes in the service's own warm heap (imports, botocore clients and
  models, caches: ~80k objects), which a Lambda process does walk, ~15-50 ms per full collection, so the p99
  figures are that much kinder than Lambda's. What the service and the simulator allocate during the sessions is
  collected on the service's clock as before, and the freeze itself is kept out of every figure. `--no-freeze`
  leaves everything to the collector;
* AWS calls per order, push and drain together: DynamoDB writes (PutItem, UpdateItem, DeleteItem, one per
  item of BatchWriteItem and of TransactWriteItems), DynamoDB reads, SQS calls. They are counted by a
  botocore event hook (`before-parameter-build.<service>`) registered on every botocore client the process
  creates (boto3's for SQS, PynamoDB's for DynamoDB), so every call the service makes is seen once.

    .venv/bin/python bench/orders_to_quickbooks.py [--sizes 100 1000 5000] [--items 200] [--all-pending]
        [--no-freeze] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from soap_calls import envelope, result_text  # noqa: E402  (the SOAP helpers both benchmarks use)

PUSH_MAX = 500
NEW_CUSTOMER_SHARE = 0.30
NEW_ITEM_SHARE = 0.05
AIM = {"cold": 0.05, "warm": 0.02}
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
DYNAMODB_ITEM_WRITES = {"BatchWriteItem", "TransactWriteItems"}
DYNAMODB_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _configure_env(port: int) -> None:
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LEDGERBRIDGE_STAGE": "bench",
            "LEDGERBRIDGE_PUBLIC_URL": "http://localhost:8000",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "LedgerbridgeBench",
            "LOG_LEVEL": "WARNING",
        }
    )
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(proxy, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


# moto as the local stack runs it (ledgerbridge/moto_dynamodb.py: its faster DynamoDB, no long full collections).
MOTO_MAIN = (
    "from ledgerbridge.moto_dynamodb import freeze_survivors, install; install(); freeze_survivors(); "
    "from moto.server import main; main()"
)


@contextmanager
def moto_process(port: int) -> Iterator[None]:
    """A moto server in its own process, so the benchmark's CPU clock never counts it."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [sys.executable, "-c", MOTO_MAIN, "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"moto server did not start:\n{log.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# ------------------------------------------------------------------------------------------------
# counting AWS calls


def hook_every_client(handlers: dict[str, Any]) -> None:
    """Register `handlers` (botocore event name -> handler) on every botocore client created from now on, for each
    client's own service: every call the service makes is seen once, whoever made the client (boto3, PynamoDB)."""
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(session, *args, **kwargs)
        service = client.meta.service_model.service_name
        for event, handler in handlers.items():
            client.meta.events.register(f"{event}.{service}", handler)
        return client

    botocore.session.Session.create_client = create_client


class AwsCalls:
    """Counts every AWS call made by botocore clients created after `install()`, by service and operation."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.dynamodb_writes = 0
        # Seconds spent waiting on the AWS endpoint (moto here): each call's wall time less the CPU this process
        # spent in it (botocore serialising and parsing), so a round trip's wall time splits into the service's
        # own and the endpoint's.
        self.waited = 0.0
        self.waited_by_operation: Counter[tuple[str, str]] = Counter()

    def install(self) -> None:
        hook_every_client(
            {"before-parameter-build": self._seen, "before-call": self._started, "after-call": self._ended}
        )

    def _started(self, context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = (time.perf_counter(), time.process_time())

    def _ended(self, context: dict[str, Any], model: Any, **_: Any) -> None:
        started = context.pop("bench_started", None)
        if started is not None:
            wall, cpu = started
            waited = max(0.0, (time.perf_counter() - wall) - (time.process_time() - cpu))
            self.waited += waited
            self.waited_by_operation[(model.service_model.service_name, model.name)] += waited

    def _seen(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        self.calls[(service, operation)] += 1
        if service != "dynamodb":
            return
        if operation in DYNAMODB_WRITES:
            self.dynamodb_writes += 1
        elif operation == "BatchWriteItem":
            self.dynamodb_writes += sum(len(v) for v in params.get("RequestItems", {}).values())
        elif operation == "TransactWriteItems":
            self.dynamodb_writes += len(params.get("TransactItems", []))

    def total(self) -> int:
        return sum(self.calls.values())

    def snapshot(self) -> dict[str, int]:
        return {
            "dynamodb_writes": self.dynamodb_writes,
            "dynamodb_reads": sum(
                n for (s, op), n in self.calls.items() if s == "dynamodb" and op in DYNAMODB_READS
            ),
            "sqs_calls": sum(n for (s, _), n in self.calls.items() if s == "sqs"),
        }


# ------------------------------------------------------------------------------------------------
# orders


@dataclass
class Catalogue:
    """The customers and items orders are drawn from (grown by the cold run, reused by the warm one)."""

    existing_items: list[str]
    customers: list[tuple[str, str]] = field(default_factory=list)
    new_items: list[str] = field(default_factory=list)


def make_orders(
    rng: random.Random, prefix: str, count: int, cat: Catalogue, *, grow: bool
) -> list[dict[str, Any]]:
    docs = []
    for n in range(count):
        if grow and (not cat.customers or rng.random() < NEW_CUSTOMER_SHARE):
            cat.customers.append((f"Cu{prefix}{len(cat.customers):05d}", "Bench"))
            first, last = cat.customers[-1]
        else:
            first, last = rng.choice(cat.customers)
        lines: list[dict[str, Any]] = []
        for line_no in range(rng.randint(1, 3)):
            if grow and rng.random() < NEW_ITEM_SHARE:
                cat.new_items.append(f"NEW-{prefix}-{len(cat.new_items):05d}")
                sku = cat.new_items[-1]
            elif not grow and cat.new_items and rng.random() < NEW_ITEM_SHARE:
                sku = rng.choice(cat.new_items)
            else:
                sku = rng.choice(cat.existing_items)
            cents = rng.randint(100, 9_999)
            lines.append(
                {
                    "id": str(line_no + 1),
                    "sku": sku,
                    "title": sku,
                    "quantity": rng.randint(1, 3),
                    "cents": cents,
                }
            )
        shipping = rng.choice((0, 500, 995))
        total = sum(ln["quantity"] * ln["cents"] for ln in lines) + shipping
        for ln in lines:
            ln["unit_price"] = f"{Decimal(ln.pop('cents')) / 100:.2f}"
        docs.append(
            {
                "id": f"{prefix}{n:06d}",
                "number": f"{prefix}{n:06d}",
                "created_at": "2026-11-20T10:00:00Z",
                "currency": "USD",
                "customer": {"first_name": first, "last_name": last, "email": f"{first.lower()}@example.com"},
                "billing_address": {
                    "line1": "1 Main St",
                    "city": "Seattle",
                    "state": "WA",
                    "postal_code": "98101",
                },
                "lines": lines,
                "shipping_lines": [{"title": "Ground", "price": f"{Decimal(shipping) / 100:.2f}"}]
                if shipping
                else [],
                "payments": [{"method": "credit_card", "amount": f"{Decimal(total) / 100:.2f}"}],
                "payment_status": "paid",
                "total": f"{Decimal(total) / 100:.2f}",
            }
        )
    return docs


# ------------------------------------------------------------------------------------------------
# SOAP


@dataclass
class Tally:
    """What one run (cold or warm) cost."""

    round_trips: int = 0
    sessions: int = 0
    round_trip_aws_calls: int = 0  # AWS calls made inside sendRequestXML and receiveResponseXML
    round_trip_calls_by_operation: Counter[str] = field(default_factory=Counter)
    wall_ms_by_method: dict[str, list[float]] = field(default_factory=dict)
    own_ms_by_method: dict[str, list[float]] = field(default_factory=dict)  # wall less the wait on moto
    round_trip_wait_ms_by_operation: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0
    cpu_by_method: dict[str, float] = field(default_factory=dict)
    lxml_cpu: float = 0.0
    request_bytes: int = 0
    response_bytes: int = 0
    soap_bytes: int = 0


def lxml_roundtrip(documents: list[str]) -> float:
    """CPU seconds lxml takes to parse these qbXML documents and serialise them back."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    data = [d.encode() for d in documents]
    start = time.process_time()
    for raw in data:
        etree.tostring(etree.fromstring(raw, parser), xml_declaration=True, encoding="utf-8")
    return time.process_time() - start


class WebConnector:
    """Runs Web Connector sessions over SOAP against the in-process gateway."""

    def __init__(
        self, client: Any, company: Any, username: str, password: str, aws_calls: AwsCalls | None = None
    ) -> None:
        self.client, self.company = client, company
        self.username, self.password = username, password
        self.aws_calls = aws_calls

    def call(self, tally: Tally, method: str, **params: str) -> list[str]:
        body = envelope(method, params)
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"http://developer.intuit.com/{method}"',
        }
        calls_before = self.aws_calls.total() if self.aws_calls else 0
        waited_before = self.aws_calls.waited if self.aws_calls else 0.0
        by_operation_before = Counter(self.aws_calls.calls) if self.aws_calls else Counter()
        waited_by_operation_before = (
            Counter(self.aws_calls.waited_by_operation) if self.aws_calls else Counter()
        )
        start, wall = time.process_time(), time.perf_counter()
        response = self.client.http.post("/qbwc", headers=headers, body=body)
        spent = time.process_time() - start
        wall_ms = (time.perf_counter() - wall) * 1000
        tally.wall_ms_by_method.setdefault(method, []).append(wall_ms)
        waited_ms = ((self.aws_calls.waited if self.aws_calls else 0.0) - waited_before) * 1000
        tally.own_ms_by_method.setdefault(method, []).append(wall_ms - waited_ms)
        if self.aws_calls and method in ("sendRequestXML", "receiveResponseXML"):
            tally.round_trip_aws_calls += self.aws_calls.total() - calls_before
            for (service, operation), count in (self.aws_calls.calls - by_operation_before).items():
                tally.round_trip_calls_by_operation[f"{method[:4]} {service}.{operation}"] += count
            for (service, operation), waited in (
                self.aws_calls.waited_by_operation - waited_by_operation_before
            ).items():
                tally.round_trip_wait_ms_by_operation[f"{method[:4]} {service}.{operation}"] += waited * 1000
        tally.server_cpu += spent
        tally.cpu_by_method[method] = tally.cpu_by_method.get(method, 0.0) + spent
        if response.status_code != 200:
            raise RuntimeError(f"{method}: HTTP {response.status_code}: {response.body[:500]!r}")
        if method in ("sendRequestXML", "receiveResponseXML"):
            tally.soap_bytes += len(body) + len(response.body)
        return result_text(response.body)

    def drain(self, tally: Tally) -> None:
        """Sessions until the service has no work ("none")."""
        for _ in range(100):
            if self.session(tally) == "none":
                return
        raise RuntimeError("the Web Connector never ran out of work")

    def session(self, tally: Tally) -> str:
        """One Web Connector run: authenticate, then (when it opens a session) every round trip and
        closeConnection. Returns authenticate's status ("" for a session)."""
        ticket, status = self.call(
            tally, "authenticate", strUserName=self.username, strPassword=self.password
        )[:2]
        if status == "none":
            return status
        if status != "":
            raise RuntimeError(f"authenticate answered {status!r}")
        tally.sessions += 1
        for n in range(100_000):
            request = self.call(
                tally,
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse=self.company.hcp_response() if n == 0 else "",
                strCompanyFileName=self.company.company_file,
                qbXMLCountry="US",
                qbXMLMajorVers="13",
                qbXMLMinorVers="0",
            )[0]
            if not request:
                break
            response = self.company.process(request)
            tally.round_trips += 1
            tally.request_bytes += len(request.encode())
            tally.response_bytes += len(response.encode())
            tally.lxml_cpu += lxml_roundtrip([request, response])
            percent = int(
                self.call(
                    tally, "receiveResponseXML", ticket=ticket, response=response, hresult="", message=""
                )[0]
            )
            if percent < 0:
                raise RuntimeError(
                    "receiveResponseXML answered -1: " + self.call(tally, "getLastError", ticket=ticket)[0]
                )
            if percent >= 100:
                break
        self.call(tally, "closeConnection", ticket=ticket)
        self.company.end_session()
        return status


# ------------------------------------------------------------------------------------------------
# one size


def _freeze_setup(freeze: bool) -> float:
    """Everything the process holds out of the collector's sight (see the module docstring); the seconds it took,
    which no figure counts."""
    if not freeze:
        return 0.0
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


def measure_size(
    client: Any,
    aws_calls: AwsCalls,
    n: int,
    items: int,
    seed: int,
    *,
    all_pending: bool = False,
    freeze: bool = True,
) -> dict[str, Any]:
    from chalicelib.dal import orders as order_repo
    from chalicelib.sync import tenancy
    from ledgerbridge.simulators.company import CompanySimulator

    _, key = tenancy.create_tenant_with_key(f"bench {n}")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def rest(method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        response = getattr(client.http, method.lower())(path, headers=headers, body=data)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code}: {response.body[:500]!r}")
        return json.loads(response.body)

    company = CompanySimulator.create(generated_items=items)
    conn = rest("POST", "/api/v1/connections", {"name": f"Bench {n}"}, expect=201)
    password = rest("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    wc = WebConnector(client, company, conn["username"], password, aws_calls)
    setup = Tally()
    wc.drain(setup)  # the first session: company information and the company lists
    # What the store push Lambda does after it (off the SOAP path, uncounted): the stale-record sweep, which also
    # keeps the item index's snapshot a cold container starts from.
    from chalicelib.aws import StorePushQueue
    from chalicelib.sync.store_push import handle_push

    store_pushes = StorePushQueue()
    while (job := store_pushes.take()) is not None:
        handle_push(job.body)
        store_pushes.done(job.receipt_handle)
    channel = rest(
        "POST",
        "/api/v1/channels",
        {
            "connection_id": conn["id"],
            "kind": "custom_store",
            "name": "Bench store",
            "settings": {
                "transaction_type": "sales_receipt",
                "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
                "shipping_item": "Shipping",
            },
        },
        expect=201,
    )["id"]
    existing = [
        str(obj["Name"])
        for obj in company.objects("ItemNonInventory")
        if str(obj["Name"]).startswith("Generated")
    ]
    existing += [
        str(obj["Name"]) for obj in company.objects("ItemService") if str(obj["Name"]).startswith("Generated")
    ]
    catalogue = Catalogue(existing_items=existing)
    rng = random.Random(seed)
    figures: dict[str, Any] = {"n": n, "setup_round_trips": setup.round_trips}
    for run in ("cold", "warm"):
        docs = make_orders(rng, "C" if run == "cold" else "W", n, catalogue, grow=run == "cold")
        _freeze_setup(freeze)
        before = aws_calls.snapshot()
        tally = Tally()
        pushes = 0
        wall = time.perf_counter()
        frozen_for = 0.0
        push_cpu = 0.0
        for start in range(0, n, PUSH_MAX):
            chunk = docs[start : start + PUSH_MAX]
            push_start = time.process_time()
            result = rest("POST", f"/api/v1/channels/{channel}/orders", {"orders": chunk}, expect=202)
            push_cpu += time.process_time() - push_start
            pushes += 1
            if result["counts"].get("new") != len(chunk):
                raise RuntimeError(f"push: {result['counts']}")
            if not all_pending:
                wc.drain(tally)
        if all_pending:  # every order waits before the Web Connector runs (a backlog after a day offline)
            frozen_for = _freeze_setup(freeze)
            wc.drain(tally)
        wall = time.perf_counter() - wall - frozen_for
        after = aws_calls.snapshot()
        stored = [
            o
            for start in range(0, n, 100)
            for o in order_repo.get_many((channel, d["id"]) for d in docs[start : start + 100])
        ]
        statuses = Counter(o.status for o in stored)
        if statuses != Counter({"synced": n}):
            raise RuntimeError(f"{run}: not every order was synced: {dict(statuses)}")
        if run == "cold":
            company_new = (len(catalogue.customers), len(catalogue.new_items))
        rt = tally.round_trips
        figures[run] = {
            "orders": n,
            "pushes": pushes,
            "sessions": tally.sessions,
            "round_trips": rt,
            "round_trips_per_order": round(rt / n, 4),
            "meets_aim": rt / n <= AIM[run],
            "server_cpu_ms_per_order": round(tally.server_cpu / n * 1000, 3),
            "lxml_cpu_ms_per_order": round(tally.lxml_cpu / n * 1000, 4),
            "server_over_lxml": round(tally.server_cpu / tally.lxml_cpu, 1) if tally.lxml_cpu else None,
            "server_cpu_ms_by_method": {
                m: round(v * 1000, 1) for m, v in sorted(tally.cpu_by_method.items())
            },
            "qbxml_bytes_per_round_trip": round((tally.request_bytes + tally.response_bytes) / rt)
            if rt
            else 0,
            "qbxml_request_bytes_per_round_trip": round(tally.request_bytes / rt) if rt else 0,
            "qbxml_response_bytes_per_round_trip": round(tally.response_bytes / rt) if rt else 0,
            "soap_bytes_per_round_trip": round(tally.soap_bytes / rt) if rt else 0,
            "qbxml_bytes_per_order": round((tally.request_bytes + tally.response_bytes) / n),
            "aws_calls_per_round_trip": round(tally.round_trip_aws_calls / rt, 1) if rt else 0,
            "aws_calls_per_round_trip_by_operation": {
                op: round(count / rt, 1) for op, count in tally.round_trip_calls_by_operation.most_common()
            }
            if rt
            else {},
            "send_p99_ms": _p99(tally.wall_ms_by_method.get("sendRequestXML", [])),
            "receive_p99_ms": _p99(tally.wall_ms_by_method.get("receiveResponseXML", [])),
            "moto_wait_ms_per_round_trip_by_operation": {
                op: round(ms / rt, 1) for op, ms in tally.round_trip_wait_ms_by_operation.most_common(6)
            }
            if rt
            else {},
            "send_own_p99_ms": _p99(tally.own_ms_by_method.get("sendRequestXML", [])),
            "receive_own_p99_ms": _p99(tally.own_ms_by_method.get("receiveResponseXML", [])),
            "dynamodb_writes_per_order": round((after["dynamodb_writes"] - before["dynamodb_writes"]) / n, 2),
            "dynamodb_reads_per_order": round((after["dynamodb_reads"] - before["dynamodb_reads"]) / n, 2),
            "sqs_calls_per_order": round((after["sqs_calls"] - before["sqs_calls"]) / n, 2),
            "push_cpu_ms_per_order": round(push_cpu / n * 1000, 3),
            "wall_s": round(wall, 1),
        }
    figures["new_customers"], figures["new_items"] = company_new
    figures["sales_in_quickbooks"] = len(company.sales("SalesReceipt"))
    return figures


COLUMNS = (
    ("run", 5, "run", ""),
    ("trips", 6, "round_trips", "d"),
    ("trips/ord", 10, "round_trips_per_order", ".4f"),
    ("aim", 5, "meets_aim", ""),
    ("cpu ms/ord", 11, "server_cpu_ms_per_order", ".2f"),
    ("lxml ms/ord", 12, "lxml_cpu_ms_per_order", ".3f"),
    ("cpu/lxml", 9, "server_over_lxml", ".0f"),
    ("qbXML B/rt", 11, "qbxml_bytes_per_round_trip", "d"),
    ("SOAP B/rt", 10, "soap_bytes_per_round_trip", "d"),
    ("qbXML B/ord", 12, "qbxml_bytes_per_order", "d"),
    ("AWS/rt", 8, "aws_calls_per_round_trip", ".1f"),
    ("send p99", 9, "send_p99_ms", ".0f"),
    ("recv p99", 9, "receive_p99_ms", ".0f"),
    ("ddb w/ord", 10, "dynamodb_writes_per_order", ".2f"),
    ("ddb r/ord", 10, "dynamodb_reads_per_order", ".2f"),
    ("sqs/ord", 8, "sqs_calls_per_order", ".2f"),
    ("wall s", 8, "wall_s", ".1f"),
)


def _p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1)


def _fmt_header() -> str:
    return "  " + "".join(
        f"{title:<{width}}" if n == 0 else f"{title:>{width}}"
        for n, (title, width, _, _) in enumerate(COLUMNS)
    )


def _fmt_row(run: str, f: dict[str, Any]) -> str:
    cells = [f"{run:<{COLUMNS[0][1]}}"]
    for _, width, key, spec in COLUMNS[1:]:
        value = f[key]
        if key == "meets_aim":
            text = "yes" if value else "NO"
        elif value is None:
            text = "-"
        else:
            text = format(value, spec)
        cells.append(f"{text:>{width}}")
    return "  " + "".join(cells)


def growth(results: list[dict[str, Any]], key: str, run: str) -> str:
    first, last = results[0][run][key], results[-1][run][key]
    if not first:
        return "n/a"
    return f"{last / first:.2f}x"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000], help="order counts")
    parser.add_argument("--items", type=int, default=200, help="items already in the company file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--all-pending",
        action="store_true",
        help="push every order before the first Web Connector session (N orders pending at once)",
    )
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the benchmark's own objects to the garbage collector on the service's clock",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too (last line)")
    args = parser.parse_args(argv)

    port = _free_port()
    _configure_env(port)
    aws_calls = AwsCalls()
    aws_calls.install()
    results: list[dict[str, Any]] = []
    with moto_process(port):
        import logging

        from chalice.test import Client

        logging.getLogger("ledgerbridge").setLevel(logging.WARNING)
        from app import app
        from chalicelib.aws import provision_shared
        from chalicelib.dal.tables import create_tables

        create_tables()
        provision_shared()  # the shared queues (CloudFormation's in AWS)
        print(
            f"Orders to QuickBooks: REST push (500 per push) + Web Connector sessions over SOAP through the "
            f"in-process gateway; company simulator with {args.items} items; moto in its own process"
        )
        header = _fmt_header()
        with Client(app) as client:
            for n in args.sizes:
                figures = measure_size(
                    client,
                    aws_calls,
                    n,
                    args.items,
                    args.seed + n,
                    all_pending=args.all_pending,
                    freeze=not args.no_freeze,
                )
                results.append(figures)
                print(
                    f"N={n}: {figures['new_customers']} customers ({figures['cold']['orders']} cold orders), "
                    f"{figures['new_items']} new items, setup session {figures['setup_round_trips']} round trip(s); "
                    f"aim: <= {AIM['cold']} round trips/order cold, <= {AIM['warm']} warm"
                )
                print(header)
                for run in ("cold", "warm"):
                    print(_fmt_row(run, figures[run]))
                for run in ("cold", "warm"):
                    f = figures[run]
                    by_method = ", ".join(f"{m} {v:.0f}" for m, v in f["server_cpu_ms_by_method"].items())
                    print(
                        f"  {run}: SOAP CPU by method (ms, all sessions): {by_method}; REST push CPU "
                        f"{f['push_cpu_ms_per_order']:.2f} ms/order; qbXML per round trip: request "
                        f"{f['qbxml_request_bytes_per_round_trip']} B, response "
                        f"{f['qbxml_response_bytes_per_round_trip']} B"
                    )
                    calls = ", ".join(
                        f"{op} {v:g}" for op, v in f["aws_calls_per_round_trip_by_operation"].items()
                    )
                    print(f"  {run}: AWS calls per round trip by call: {calls}")
                    print(
                        f"  {run}: p99 less the wait on moto (the service's own time): sendRequestXML "
                        f"{f['send_own_p99_ms']:.0f} ms, receiveResponseXML {f['receive_own_p99_ms']:.0f} ms; "
                        "mean wait per round trip on moto's slowest calls (ms): "
                        + ", ".join(
                            f"{op} {v:g}" for op, v in f["moto_wait_ms_per_round_trip_by_operation"].items()
                        )
                    )
                sys.stdout.flush()
    if len(results) > 1:
        print(f"growth from N={results[0]['n']} to N={results[-1]['n']} (per-order figures, last / first):")
        for run in ("cold", "warm"):
            parts = [
                f"{label} {growth(results, key, run)}"
                for label, key in (
                    ("round trips", "round_trips_per_order"),
                    ("server CPU", "server_cpu_ms_per_order"),
                    ("bytes/round trip", "qbxml_bytes_per_round_trip"),
                    ("DynamoDB writes", "dynamodb_writes_per_order"),
                )
            ]
            print(f"  {run}: " + ", ".join(parts))
    output: dict[str, Any] = {"aim": AIM, "sizes": results}
    if args.json:
        print(json.dumps(output))
    return output


if __name__ == "__main__":
    from metric_lines import without_metric_lines  # the script's folder is on sys.path

    with without_metric_lines():
        main()
