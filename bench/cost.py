"""Benchmark: what one merchant's month costs on AWS, from the AWS calls the real code paths make.

The month: 3,000 orders, a Web Connector poll every 5 minutes (8,640), one channel fetched every 15
minutes (2,880). At a reduced scale, on moto (a server in its own process) through Chalice's in-process
gateway, three phases are measured:

* orders: a custom store pushes orders (`POST /api/v1/channels/{id}/orders`, `--per-session` at a time, as a
  15-minute fetch brings about one) and Web Connector sessions over SOAP drain them into the company
  simulator; every call of those sessions is the orders' cost;
* idle polls: a Web Connector run with nothing to do (serverVersion, clientVersion, authenticate answering
  "none", closeConnection: the Web Connector's calls per run; closeConnection is counted although it may not
  follow "none", to be on the dear side);
* idle fetches: the schedule of a pulling channel (a custom store over loopback with no new orders) firing
  `fetch.scheduled_fetch`, the code the `fetch_channel` Lambda runs;
* inventory polls (`--inventory-polls`, a separate line, not the aim's month): the same merchant also pushing
  QuickBooks quantities to a store (a WooCommerce fake), so every poll is a session (the standing inventory
  read); measured on quiet polls (nothing changed: nothing to push; the hourly full pass is not in it) and
  priced as the month with its idle polls replaced by them.

Every AWS call is counted by a botocore event hook on every client the process creates (as in
bench/orders_to_quickbooks.py). DynamoDB capacity is computed, not taken from moto: a write costs
ceil(size / 1 KB) write units of the larger of the item before and after it (both read by an uncounted client
around the call), plus the same for each global secondary index the item is in, sized by the index's projection
(KEYS_ONLY: keys; INCLUDE: keys and the named attributes; ALL: the item), an index whose key changed costing a
delete and a put, an index none of whose projected attributes changed costing nothing; a transactional write
costs twice. A read costs ceil(size / 4 KB) read units of what it returned (half for an eventually consistent
read), a Query the sum of its items rounded up once. Item sizes follow DynamoDB's rules (attribute names and
values, UTF-8 lengths; numbers about one byte per two digits).

The figures are scaled to the month and priced at the list prices below (us-east-1, no free tier). What the
deployment pays once (alarms, dashboard, the dead-letter watch) is divided among MERCHANTS_PER_DEPLOYMENT.

    .venv/bin/python bench/cost.py [--orders 60] [--per-session 1] [--idle-polls 20] [--idle-fetches 10]
                                   [--inventory-polls 5] [--inventory-items 50] [--trace-writes]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_meter import (  # every AWS call counted, DynamoDB capacity computed
    AwsCost,
    Capacity,
    Figures,
)
from orders_to_quickbooks import (  # the moto server and the Web Connector driver
    Catalogue,
    Tally,
    WebConnector,
    _configure_env,
    _free_port,
    make_orders,
    moto_process,
)

from ledgerbridge.package import stage_architecture  # the deployed functions' architecture

REPO = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------------------------------
# the month

ORDERS_PER_MONTH = 3_000
MINUTES_PER_MONTH = 30 * 24 * 60
POLL_MINUTES = 5
POLLS_PER_MONTH = MINUTES_PER_MONTH // POLL_MINUTES  # the Web Connector every 5 minutes
FETCHES_PER_MONTH = MINUTES_PER_MONTH // 15  # one channel fetched every 15 minutes
CHANNELS = 1
AIM_DOLLARS = 0.20
MERCHANTS_PER_DEPLOYMENT = 100  # what the deployment pays once is shared among this many merchants

# ------------------------------------------------------------------------------------------------
# list prices, us-east-1, in dollars (no free tier counted)

# "AWS Lambda Pricing": requests and duration, by the functions' architecture (.chalice/config.json's prod stage;
# arm64 is 20% less per GB-s than x86_64).
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND_BY_ARCHITECTURE = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_ARCHITECTURE = stage_architecture("prod")
LAMBDA_PER_GB_SECOND = LAMBDA_PER_GB_SECOND_BY_ARCHITECTURE[LAMBDA_ARCHITECTURE]
LAMBDA_MEMORY_GB = 512 / 1024  # .chalice/config.json lambda_memory_size
# "Amazon API Gateway Pricing": REST APIs, first 333 million requests a month; HTTP APIs (the Web Connector's
# front door, chalicelib/api/web_connector_gateway.py), first 300 million a month, each request metered in
# increments of 512 KB.
API_GATEWAY_REST_PER_REQUEST = 3.50 / 1_000_000
API_GATEWAY_HTTP_PER_REQUEST = 1.00 / 1_000_000
HTTP_API_METERING_BYTES = 512 * 1024
# "Amazon DynamoDB Pricing" (on-demand capacity): write and read request units, table storage, continuous
# backups (point-in-time recovery, on for every table in infra/template.yaml).
DYNAMODB_PER_WRU = 0.625 / 1_000_000
DYNAMODB_PER_RRU = 0.125 / 1_000_000
DYNAMODB_STORAGE_PER_GB_MONTH = 0.25
DYNAMODB_PITR_PER_GB_MONTH = 0.20
# "Amazon SQS Pricing": standard queue, per request (each 64 KB chunk of a payload is one request).
SQS_PER_REQUEST = 0.40 / 1_000_000
# "AWS Secrets Manager Pricing": per secret a month and per 10,000 API calls.
SECRETS_MANAGER_PER_SECRET_MONTH = 0.40
SECRETS_MANAGER_PER_CALL = 0.05 / 10_000
# "AWS Key Management Service Pricing": a customer managed key a month (the deployment's, shared), requests.
KMS_KEY_MONTH = 1.00
KMS_PER_REQUEST = 0.03 / 10_000
# "Amazon EventBridge Pricing", Scheduler: per invocation.
SCHEDULER_PER_INVOCATION = 1.00 / 1_000_000
# "Amazon CloudWatch Pricing": standard alarm per metric, custom metric, dashboard, logs ingested and stored.
CLOUDWATCH_ALARM_MONTH = 0.10
CLOUDWATCH_METRIC_MONTH = 0.30
CLOUDWATCH_DASHBOARD_MONTH = 3.00
CLOUDWATCH_LOGS_PER_GB = 0.50
CLOUDWATCH_LOGS_STORED_PER_GB_MONTH = 0.03
LOG_BYTES_PER_INVOCATION = 600  # START/END/REPORT lines and the INFO line an entry point writes (estimate)
# The custom metrics the code writes (one each: the only dimension is `service`) are chalicelib/observability.py's
# BusinessMetric, every one of them (tests/unit/test_metric_names.py), each billed for the whole month.
DLQ_WATCH_PER_MONTH = MINUTES_PER_MONTH // 5  # the dead_letter_watch Lambda, every 5 minutes


# ------------------------------------------------------------------------------------------------
# the phases


class Gateway:
    """The in-process gateways' requests, each one a Lambda invocation and an API Gateway request: the REST
    API's (Chalice's test client) and the Web Connector's HTTP API (`web_connector`, the function behind it,
    given payload-1.0 events by ledgerbridge/fakes/http_api.py)."""

    def __init__(self, client: Any, cost: AwsCost) -> None:
        self.client, self.cost = client, cost
        self.requests = 0
        self.web_connector_requests = 0
        self.http_api_units = 0
        self.ms = 0.0

    def figures(self) -> Figures:
        f = self.cost.snapshot()
        f.requests, f.lambda_ms = self.requests, self.ms
        f.web_connector_requests, f.http_api_units = self.web_connector_requests, self.http_api_units
        return f

    def timed(self, call: Any) -> Any:
        start = time.perf_counter()
        try:
            return call()
        finally:
            self.ms += max(1.0, math.ceil((time.perf_counter() - start) * 1000))  # billed by the ms
            self.requests += 1

    @property
    def http(self) -> FrontDoor:
        return FrontDoor(self)


@dataclass
class FrontDoor:
    """`post` as the Web Connector reaches the service in AWS: its HTTP API in front of `web_connector`."""

    gateway: Gateway

    def post(self, path: str, *, headers: dict[str, str], body: bytes | str) -> Any:
        from app import web_connector
        from ledgerbridge.fakes.http_api import answer_of, payload_v1_event

        data = body.encode("utf-8") if isinstance(body, str) else body
        event = payload_v1_event("POST", path, headers=headers, body=data)
        answer = answer_of(web_connector(event, None))
        self.gateway.web_connector_requests += 1
        self.gateway.http_api_units += max(
            1, math.ceil(max(len(data), len(answer.body)) / HTTP_API_METERING_BYTES)
        )
        return answer


class CountedWebConnector(WebConnector):
    def __init__(self, gateway: Gateway, *args: Any) -> None:
        super().__init__(gateway, *args)  # its `http.post` is the Web Connector's front door
        self.gateway = gateway
        self.authenticate_calls: Counter[tuple[str, str]] = Counter()  # of the idle runs' authenticate alone

    def call(self, tally: Tally, method: str, **params: str) -> list[str]:
        result: list[str] = self.gateway.timed(
            lambda: super(CountedWebConnector, self).call(tally, method, **params)
        )
        return result

    def idle_run(self) -> str:
        """One Web Connector run with nothing to do: the calls the Web Connector makes, authenticate's answer."""
        tally = Tally()
        for method, params in (
            ("serverVersion", {}),
            ("clientVersion", {"strVersion": "2.3.0.215"}),
        ):
            self.call(tally, method, **params)
        before = self.gateway.cost.snapshot()
        ticket, status = self.call(
            tally, "authenticate", strUserName=self.username, strPassword=self.password
        )[:2]
        self.authenticate_calls.update((self.gateway.cost.snapshot() - before).calls)
        self.call(tally, "closeConnection", ticket=ticket)
        return status


def run(args: argparse.Namespace) -> dict[str, Any]:
    import logging
    import random

    from chalice.test import Client

    logging.getLogger("ledgerbridge").setLevel(logging.WARNING)
    capacity = Capacity()  # its client exists before the hook: its calls are never counted
    cost = AwsCost(capacity)
    cost.install()  # before the service makes its first client (PynamoDB's, boto3's)
    from app import app
    from chalicelib.aws import provision_shared
    from chalicelib.dal.tables import create_tables
    from chalicelib.sync import fetch, tenancy
    from ledgerbridge.fakes.custom_store import FakeCustomStore
    from ledgerbridge.simulators.company import CompanySimulator

    create_tables()
    provision_shared()  # queues, the schedule group, the credentials' key (CloudFormation's in AWS)
    _, key = tenancy.create_tenant_with_key("cost bench")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    figures: dict[str, Any] = {}
    store = FakeCustomStore()
    with Client(app) as client, store:
        gateway = Gateway(client, cost)

        def rest(method: str, path: str, body: Any = None, expect: int = 200) -> Any:
            data = json.dumps(body).encode() if body is not None else b""
            response = gateway.timed(
                lambda: getattr(client.http, method.lower())(path, headers=headers, body=data)
            )
            if response.status_code != expect:
                raise RuntimeError(f"{method} {path}: HTTP {response.status_code}: {response.body[:300]!r}")
            return json.loads(response.body)

        company = CompanySimulator.create(generated_items=50)
        conn = rest(
            "POST",
            "/api/v1/connections",
            {"name": "Cost bench", "run_every_minutes": POLL_MINUTES},
            expect=201,
        )
        password = rest("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
        wc = CountedWebConnector(gateway, company, conn["username"], password, None)
        wc.drain(Tally())  # the first session reads the company lists: setup, not the month
        settings = {
            "transaction_type": "sales_receipt",
            "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
            "shipping_item": "Shipping",
        }
        push_channel = rest(
            "POST",
            "/api/v1/channels",
            {
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Pushing store",
                "settings": settings,
            },
            expect=201,
        )["id"]
        before_pull = cost.snapshot()
        pull_channel = rest(
            "POST",
            "/api/v1/channels",
            {
                "connection_id": conn["id"],
                "kind": "custom_store",
                "name": "Fetched store",
                "settings": settings,
                "credentials": {
                    "base_url": store.base_url,
                    "username": store.username,
                    "password": store.password,
                },
            },
            expect=201,
        )["id"]
        secrets_per_channel = (cost.snapshot() - before_pull).calls[("secretsmanager", "CreateSecret")]
        fetch.scheduled_fetch(pull_channel, fetch.Budget.seconds(60))  # the first fetch (nothing to read)
        wc.drain(Tally())
        existing = [
            str(o["Name"])
            for o in company.objects("ItemNonInventory")
            if str(o["Name"]).startswith("Generated")
        ]
        catalogue = Catalogue(existing_items=existing)
        docs = make_orders(random.Random(args.seed), "M", args.orders, catalogue, grow=True)

        stored_before = capacity.stored_bytes()
        before = gateway.figures()
        wru_before = Counter(cost.wru_by_write)
        writes_before = Counter(cost.writes_by_write)
        tally = Tally()
        for start in range(0, args.orders, args.per_session):
            cost.trace = [] if args.trace_writes and start == args.per_session else None  # the second session
            rest(
                "POST",
                f"/api/v1/channels/{push_channel}/orders",
                {"orders": docs[start : start + args.per_session]},
                expect=202,
            )
            wc.drain(tally)  # the sessions until authenticate answers "none" (that last call is in here too)
            if cost.trace is not None:
                print(
                    f"the writes of a push of {args.per_session} order(s) and its session:",
                    *cost.trace,
                    sep="\n  ",
                )
                cost.trace = None
        orders = gateway.figures() - before
        writes = cost.writes_by_write - writes_before
        wru_by_write = {
            what: (round(units / args.orders, 2), round(writes[what] / args.orders, 2))
            for what, units in (cost.wru_by_write - wru_before).most_common()
        }
        stored_per_order = (capacity.stored_bytes() - stored_before) / args.orders
        sessions_per_order = tally.sessions / args.orders

        before = gateway.figures()
        from chalicelib.dal.models import ConnectionModel

        for _ in range(args.idle_polls):
            capacity.age_contact(ConnectionModel.Meta.table_name, conn["id"], POLL_MINUTES)
            status = wc.idle_run()
            if status != "none":
                raise RuntimeError(f"an idle poll was answered {status!r}")
        idle = gateway.figures() - before

        before = gateway.figures()
        fetch_ms = 0.0
        for _ in range(args.idle_fetches):
            start_t = time.perf_counter()
            fetch.scheduled_fetch(pull_channel, fetch.Budget.seconds(60))
            fetch_ms += max(1.0, math.ceil((time.perf_counter() - start_t) * 1000))
        fetches = gateway.figures() - before
        fetches.requests, fetches.lambda_ms = args.idle_fetches, fetch_ms

        inventory, inventory_wru = (
            inventory_polls(args, rest, gateway, wc, company, conn["id"])
            if args.inventory_polls
            else (None, {})
        )

    figures = {
        "orders": orders,
        "idle": idle,
        "fetches": fetches,
        "sessions_per_order": sessions_per_order,
        "stored_bytes_per_order": stored_per_order,
        "idle_polls": args.idle_polls,
        "authenticate_calls": wc.authenticate_calls,
        "idle_fetches": args.idle_fetches,
        "n_orders": args.orders,
        "secrets_per_channel": secrets_per_channel,
        "order_wru_by_write": wru_by_write,
        "inventory": inventory,
        "inventory_polls": args.inventory_polls,
        "inventory_wru_by_write": inventory_wru,
    }
    return figures


def inventory_polls(
    args: argparse.Namespace, rest: Any, gateway: Gateway, wc: Any, company: Any, connection_id: str
) -> tuple[Figures, dict[str, float]]:
    """The same merchant also pushes QuickBooks quantities to a store (a WooCommerce fake): the inventory read is a
    standing job, so every poll is a session. Measured on quiet polls: an incremental read with nothing changed
    since the first pass, so nothing to push (a push would be the store_push Lambda's, not priced here: the bench
    stops if one comes). The hourly full pass (every item read again) is not in the figure. Returns the polls'
    figures and their write units by table and call."""
    from chalicelib.aws import StorePushQueue
    from chalicelib.sync.store_push import handle_push
    from ledgerbridge.fakes.woocommerce import FakeWooCommerce

    def pushes(expected: bool) -> None:
        queue = StorePushQueue()
        while (job := queue.take()) is not None:
            if not expected:
                raise RuntimeError(f"a quiet inventory poll queued a store push: {job.body}")
            handle_push(job.body)
            queue.done(job.receipt_handle)

    with FakeWooCommerce() as woo:
        names = company.add_inventory_items(
            args.inventory_items, prefix="SKU-", quantity=lambda k: k % 50 + 1
        )
        for name in names:
            woo.add_product(name, quantity=0)
        rest(
            "POST",
            "/api/v1/channels",
            {
                "connection_id": connection_id,
                "kind": "woocommerce",
                "name": "Stock",
                "settings": {"directions": ["inventory_to_store"]},
                "credentials": {
                    "store_url": woo.base_url,
                    "consumer_key": woo.consumer_key,
                    "consumer_secret": woo.consumer_secret,
                },
            },
            expect=201,
        )
        wc.session(Tally())  # the first pass reads every item: setup, not the month
        pushes(expected=True)
        before, wru_before = gateway.figures(), Counter(gateway.cost.wru_by_write)
        for poll in range(args.inventory_polls):
            gateway.cost.trace = [] if args.trace_writes and poll == 0 else None
            if wc.session(Tally()) != "":
                raise RuntimeError("an inventory poll was expected to open a session")
            pushes(expected=False)
            if gateway.cost.trace is not None:
                print("the writes of a quiet inventory poll:", *gateway.cost.trace, sep="\n  ")
                gateway.cost.trace = None
        by_write = {
            what: units / args.inventory_polls
            for what, units in (gateway.cost.wru_by_write - wru_before).most_common()
        }
        return gateway.figures() - before, by_write


# ------------------------------------------------------------------------------------------------
# the bill


def _count_in_template(kind: str) -> int:
    return (REPO / "infra" / "template.yaml").read_text().count(f"Type: {kind}")


def _alarm_metrics() -> int:
    """The alarms' billed metrics: CloudWatch bills an alarm per metric it watches, so a metric-math alarm is
    one per MetricStat it sums (its expression adds none); an alarm on one metric or on a Metrics Insights
    query is one."""
    from cfnlint.decode import decode_str  # reads the template's short tags (!Ref, !Sub)

    template, _ = decode_str((REPO / "infra" / "template.yaml").read_text())
    total = 0
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            metrics = resource["Properties"].get("Metrics") or []
            total += max(1, sum(1 for m in metrics if "MetricStat" in m))
    return total


def _custom_metrics() -> int:
    from chalicelib.observability import BusinessMetric

    return len({m.value for m in BusinessMetric})


def deployment_month(kms_used: bool) -> float:
    """What one deployment pays a month whatever its merchants do: the alarms' metrics, the dashboard, the
    custom metrics, the dead-letter watch's invocations and the credentials' KMS key."""
    return (
        _alarm_metrics() * CLOUDWATCH_ALARM_MONTH
        + _count_in_template("AWS::CloudWatch::Dashboard") * CLOUDWATCH_DASHBOARD_MONTH
        + _custom_metrics() * CLOUDWATCH_METRIC_MONTH
        + DLQ_WATCH_PER_MONTH * (LAMBDA_PER_REQUEST + SCHEDULER_PER_INVOCATION)
        + (KMS_KEY_MONTH if kms_used else 0.0)
    )


def bill(figures: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Dollars per service (and the quantities behind them) for one merchant-month."""
    orders: Figures = figures["orders"]
    idle: Figures = figures["idle"]
    fetches: Figures = figures["fetches"]
    # Sessions that carried orders replace idle polls; the rest of the month's polls are idle.
    idle_polls = max(0.0, POLLS_PER_MONTH - figures["sessions_per_order"] * ORDERS_PER_MONTH)
    month: Counter[str] = Counter()
    for part, factor in (
        (orders, ORDERS_PER_MONTH / figures["n_orders"]),
        (idle, idle_polls / figures["idle_polls"]),
        (fetches, FETCHES_PER_MONTH * CHANNELS / figures["idle_fetches"]),
    ):
        month.update(part.scaled(factor))
    gateway_requests = (orders.requests * ORDERS_PER_MONTH / figures["n_orders"]) + (
        idle.requests * idle_polls / figures["idle_polls"]
    )
    http_api_requests = month["web_connector_requests"]
    http_api_units = month["http_api_units"]
    rest_requests = gateway_requests - http_api_requests
    fetch_invocations = FETCHES_PER_MONTH * CHANNELS
    invocations = gateway_requests + fetch_invocations
    gb_seconds = month["lambda_ms"] / 1000 * LAMBDA_MEMORY_GB
    stored_gb = figures["stored_bytes_per_order"] * ORDERS_PER_MONTH / 1024**3
    sqs = sum(v for k, v in month.items() if k.startswith("sqs:"))
    kms_calls = sum(v for k, v in month.items() if k.startswith("kms:"))
    secrets = CHANNELS * figures["secrets_per_channel"]
    sm_calls = sum(v for k, v in month.items() if k.startswith("secretsmanager:"))
    other = {
        k.split(":")[0]
        for k in month
        if ":" in k and k.split(":")[0] not in ("dynamodb", "sqs", "secretsmanager", "scheduler", "kms")
    }
    alarms = _count_in_template("AWS::CloudWatch::Alarm")
    alarm_metrics = _alarm_metrics()
    custom_metrics = _custom_metrics()
    shared = deployment_month(kms_used=False) / MERCHANTS_PER_DEPLOYMENT  # the key is KMS's line
    log_gb = invocations * LOG_BYTES_PER_INVOCATION / 1024**3
    lines: dict[str, dict[str, float]] = {
        "Lambda": {
            "requests": invocations,
            "GB-s": gb_seconds,
            "$": invocations * LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND,
        },
        "API Gateway (REST)": {
            "requests": rest_requests,
            "$": rest_requests * API_GATEWAY_REST_PER_REQUEST,
        },
        "API Gateway (HTTP API)": {
            "requests": http_api_requests,
            "metered": http_api_units,
            "$": http_api_units * API_GATEWAY_HTTP_PER_REQUEST,
        },
        "DynamoDB": {
            "calls": sum(v for k, v in month.items() if k.startswith("dynamodb:")),
            "WRU": month["wru"],
            "RRU": month["rru"],
            "GB stored": stored_gb,
            "$": month["wru"] * DYNAMODB_PER_WRU
            + month["rru"] * DYNAMODB_PER_RRU
            + stored_gb * (DYNAMODB_STORAGE_PER_GB_MONTH + DYNAMODB_PITR_PER_GB_MONTH),
        },
        "SQS": {"requests": sqs, "$": sqs * SQS_PER_REQUEST},
        "Secrets Manager": {
            "secrets": float(secrets),
            "calls": sm_calls,
            "$": secrets * SECRETS_MANAGER_PER_SECRET_MONTH + sm_calls * SECRETS_MANAGER_PER_CALL,
        },
        "KMS": {
            "requests": kms_calls,
            "$": kms_calls * KMS_PER_REQUEST
            + (KMS_KEY_MONTH / MERCHANTS_PER_DEPLOYMENT if kms_calls else 0.0),
        },
        "EventBridge Scheduler": {
            "invocations": float(fetch_invocations),
            "$": fetch_invocations * SCHEDULER_PER_INVOCATION,
        },
        "CloudWatch": {
            "log GB": log_gb,
            "alarms (shared)": float(alarms),
            "alarm metrics (shared)": float(alarm_metrics),
            "custom metrics (shared)": float(custom_metrics),
            "$": log_gb * (CLOUDWATCH_LOGS_PER_GB + CLOUDWATCH_LOGS_STORED_PER_GB_MONTH) + shared,
        },
    }
    if other:
        lines["other services"] = {
            "calls": sum(v for k, v in month.items() if k.split(":")[0] in other),
            "$": 0.0,
        }
    lines["total"] = {"$": sum(line["$"] for line in lines.values())}
    return lines


def with_inventory(figures: dict[str, Any]) -> dict[str, dict[str, float]] | None:
    """The month's bill when the month's idle polls are inventory sessions instead (None: not measured)."""
    if figures.get("inventory") is None:
        return None
    return bill({**figures, "idle": figures["inventory"], "idle_polls": figures["inventory_polls"]})


def report(figures: dict[str, Any], lines: dict[str, dict[str, float]]) -> None:
    idle: Figures = figures["idle"]
    orders: Figures = figures["orders"]
    n, polls = figures["n_orders"], figures["idle_polls"]
    print(
        f"Cost of a merchant-month: {ORDERS_PER_MONTH} orders, a Web Connector poll every 5 minutes "
        f"({POLLS_PER_MONTH}), {CHANNELS} channel fetched every 15 minutes ({FETCHES_PER_MONTH}); measured on "
        f"{n} orders, {polls} idle polls, {figures['idle_fetches']} idle fetches"
    )
    by_op = ", ".join(f"{s}:{op} {c / polls:g}" for (s, op), c in sorted(idle.calls.items()))
    print(
        f"idle poll: {idle.dynamodb_calls() / polls:g} DynamoDB calls, {idle.wru / polls:g} WRU, "
        f"{idle.rru / polls:g} RRU ({by_op})"
    )
    print(
        f"per order: {orders.wru / n:.2f} WRU, {orders.rru / n:.2f} RRU, {orders.dynamodb_calls() / n:.2f} "
        f"DynamoDB calls, {figures['sessions_per_order']:.2f} sessions, {orders.requests / n:.1f} API requests, "
        f"{figures['stored_bytes_per_order']:.0f} bytes stored"
    )
    print(
        "  write units per order by table and call: "
        + ", ".join(
            f"{what} {units:g} ({writes:g} writes)"
            for what, (units, writes) in figures["order_wru_by_write"].items()
        )
    )
    auth: Counter[tuple[str, str]] = figures["authenticate_calls"]
    auth_dynamodb = sum(n for (s, _), n in auth.items() if s == "dynamodb") / polls
    by_op = ", ".join(f"{s}:{op} {c / polls:g}" for (s, op), c in sorted(auth.items()))
    print(f"  of which authenticate (answering none): {auth_dynamodb:g} DynamoDB calls ({by_op})")
    print(f"{'service':<24}{'dollars':>10}  quantities (Lambda priced for {LAMBDA_ARCHITECTURE})")
    for name, line in lines.items():
        quantities = ", ".join(f"{k} {v:,.4g}" for k, v in line.items() if k != "$")
        print(f"{name:<24}{line['$']:>10.4f}  {quantities}")
    total = lines["total"]["$"]
    fixed = deployment_month(lines["KMS"]["requests"] > 0)
    variable = total - fixed / MERCHANTS_PER_DEPLOYMENT
    print(
        f"of which the deployment's fixed ${fixed:.2f} a month shared by {MERCHANTS_PER_DEPLOYMENT} merchants: "
        f"${fixed / MERCHANTS_PER_DEPLOYMENT:.4f}; what one merchant's use costs: ${variable:.4f}"
    )
    if variable < AIM_DOLLARS:
        print(f"  the aim holds from {math.ceil(fixed / (AIM_DOLLARS - variable))} merchants per deployment")
    print(f"aim: <= ${AIM_DOLLARS:.2f} per merchant-month: {'met' if total <= AIM_DOLLARS else 'NOT met'}")
    inventory: Figures | None = figures.get("inventory")
    if inventory is not None:
        polls = figures["inventory_polls"]
        dearer = (with_inventory(figures) or {})["total"]["$"]
        by_write = ", ".join(f"{what} {units:g}" for what, units in figures["inventory_wru_by_write"].items())
        print(
            f"the same merchant also pushing QuickBooks quantities to one store (every poll a session: the standing "
            f"inventory read; quiet polls, nothing changed): ${dearer:.4f} a month (+${dearer - total:.4f}); "
            f"a poll: {inventory.wru / polls:g} WRU ({by_write}), {inventory.dynamodb_calls() / polls:g} DynamoDB calls, "
            f"{inventory.requests / polls:g} Lambda invocations"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--per-session", type=int, default=1, help="orders a store brings at a time")
    parser.add_argument("--idle-polls", type=int, default=20)
    parser.add_argument("--idle-fetches", type=int, default=10)
    parser.add_argument(
        "--inventory-polls",
        type=int,
        default=5,
        help="quiet polls of a merchant who also pushes inventory (0: none)",
    )
    parser.add_argument("--inventory-items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--trace-writes",
        action="store_true",
        help="print every write of one order's session and of a quiet inventory poll",
    )
    parser.add_argument("--json", action="store_true", help="print the bill as JSON too (last line)")
    args = parser.parse_args(argv)
    port = _free_port()
    _configure_env(port)
    os.environ["LEDGERBRIDGE_ALLOW_PRIVATE_STORE_URLS"] = "true"
    with moto_process(port):
        figures = run(args)
    lines = bill(figures)
    report(figures, lines)
    idle: Figures = figures["idle"]
    output = {
        "bill": lines,
        "idle_poll_dynamodb_calls": idle.dynamodb_calls() / figures["idle_polls"],
        "authenticate_dynamodb_calls": sum(
            n for (s, _), n in figures["authenticate_calls"].items() if s == "dynamodb"
        )
        / figures["idle_polls"],
        "idle_poll_calls": {f"{s}:{op}": c / figures["idle_polls"] for (s, op), c in idle.calls.items()},
        "aim": AIM_DOLLARS,
        "with_inventory": with_inventory(figures),
    }
    if args.json:
        print(json.dumps(output))
    return output


if __name__ == "__main__":
    from metric_lines import without_metric_lines  # the script's folder is on sys.path

    with without_metric_lines():
        main()
