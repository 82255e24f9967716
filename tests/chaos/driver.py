"""The chaos run: pushes, Web Connector sessions and injected failures against the real local stack.

Everything random comes from one seeded `random.Random` (which orders, which faults, where the stack is
killed); what is not seeded: how far a request got when a kill lands during it (a timer on another thread),
SQS's order of delivery, and timings.

Faults, per round trip of a session with faults on (at most one each; the first ones drawn go through every
kind once, so a short run still sees each):
* lost: QuickBooks commits the message set, its answer never reaches the service (`lose_next_response`);
  the Web Connector gives up (no receiveResponseXML, no closeConnection).
* replay_earlier: the set in flight is answered with an answer of an earlier set of the same connection
  (QuickBooks processed the set in flight, or never saw it: half each).
* replay_twice: the right answer is sent, then sent again (as a Web Connector retrying a timed-out call).
* wrong_set: the set in flight is answered with an answer from the *other* connection's company.
* abandon: the session stops calling, before QuickBooks saw the set or after it answered (half each); the
  next session is told "busy" until the lease (LEDGERBRIDGE_SESSION_LEASE_SECONDS) runs out.
* hresult: the request processor fails as a whole (`fail_next_with_hresult`), nothing is processed.
Transient statuses (3170/3175/3176/3180) come from the company's `transient_rate`/`transient_seed`.

Kills (`kill -9` of the stack's process group, then a restart on the same state directory and port):
during a push (the push may or may not be answered; an unanswered push is sent again, as a store does),
right after a push was acknowledged, after sendRequestXML handed out a set, after QuickBooks answered but
before receiveResponseXML, during receiveResponseXML, right after it.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from ledgerbridge.chaos import StackProcess, WebConnectorClient
from ledgerbridge.simulators.company import CompanySimulator, QuickBooksFault, ResponseLost
from ledgerbridge.simulators.webconnector import SoapCallError, run_session
from tests.chaos.orders import Expected, OrderFactory

LEASE_SECONDS = 4
STACK_SETTINGS = {
    "LEDGERBRIDGE_SESSION_LEASE_SECONDS": str(LEASE_SECONDS),
    "LEDGERBRIDGE_RETRY_DELAY_SECONDS": "1",
    # With transient statuses and faults as the only causes of failure, every order gets attempts enough.
    "LEDGERBRIDGE_MAX_JOB_RECEIVES": "30",
    # A claimed job comes back on the queue well after the lease of an abandoned session ran out.
    "LEDGERBRIDGE_JOB_VISIBILITY_SECONDS": str(5 * LEASE_SECONDS),
}
FAULT_RATES = {
    "lost": 0.08,
    "replay_earlier": 0.07,
    "replay_twice": 0.06,
    "wrong_set": 0.07,
    "abandon": 0.06,
    "hresult": 0.06,
}
TRANSIENT_RATE = 0.03
TRANSIENT_CODES = (3170, 3175, 3176, 3180)
HRESULTS = ("0x80040400", "0x80040408", "0x80040422")
PUSH_KILLS = ("during_push", "after_push_ack")
ROUND_TRIP_KILLS = ("after_send", "before_receive", "during_receive", "after_receive")
CHANGE_SHARE = 0.04  # orders of a batch changed by the store before any session ran
MAX_ROUND_TRIPS = 60  # per session
SALE_KIND = {"sales_receipt": "SalesReceipt", "invoice": "Invoice"}


@dataclass
class Figures:
    orders: int = 0
    refunds: int = 0
    pushes: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    sessions: int = 0
    busy: int = 0
    idle: int = 0
    round_trips: int = 0
    soap_errors: list[str] = field(default_factory=list)
    push_errors: list[str] = field(default_factory=list)
    push_outcomes: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    seconds: defaultdict[str, float] = field(
        default_factory=lambda: defaultdict(float)
    )  # where the time went: push, session, restart


@dataclass
class Connection:
    name: str
    connection_id: str
    username: str
    password: str
    company: CompanySimulator
    answers: list[str] = field(default_factory=list)
    blocked_until: float = 0.0


@dataclass
class Channel:
    channel_id: str
    connection: Connection
    transaction_type: str
    factory: OrderFactory

    @property
    def sale_kind(self) -> str:
        return SALE_KIND[self.transaction_type]


class Chaos:
    """One chaos run (see the module doc); `expected` is what QuickBooks must hold at the end."""

    def __init__(self, stack: StackProcess, workdir: Path, seed: int, orders: int, kills: int) -> None:
        self.stack = stack
        self.workdir = workdir
        self.seed = seed
        self.rng = random.Random(seed)
        self.order_count = orders
        self.kill_count = kills
        self.figures = Figures()
        self.connections: list[Connection] = []
        self.channels: list[Channel] = []
        self.expected: dict[tuple[str, str], Expected] = {}
        self.script = list(FAULT_RATES)
        self.rng.shuffle(self.script)
        self.faults_on = True
        self.round_trip_kills: dict[int, str] = {}
        self.push_kills: dict[int, str] = {}
        self.push_number = 0
        self.round_trip_number = 0
        #: RefNumber -> the faults and kills met by message sets that carried it (to explain findings).
        self.history: defaultdict[str, list[str]] = defaultdict(list)

    # -- set-up ------------------------------------------------------------------------------------
    def set_up(self) -> None:
        for name, company_name in (("Heron", "Blue Heron Outfitters"), ("Osprey", "Osprey Supply Co")):
            company = CompanySimulator.open(
                self.workdir / f"{name.lower()}.json", company_name=company_name, generated_items=60
            )
            with self.stack.client() as api:
                conn = _ok(api.post("/api/v1/connections", json={"name": name}), 201)
                password = _ok(api.post(f"/api/v1/connections/{conn['id']}/password"), 201)["password"]
                qwc = api.get(f"/api/v1/connections/{conn['id']}/qwc")
            username = etree.fromstring(qwc.content).findtext("UserName") or ""
            first = run_session(self.stack.qbwc_url, username, password, company)
            assert first.outcome == "completed", first.render()
            self.connections.append(Connection(name, conn["id"], username, password, company))
        heron, osprey = self.connections
        for conn, kind, prefix in (
            (heron, "sales_receipt", "R"),
            (heron, "invoice", "I"),
            (osprey, "sales_receipt", "S"),
        ):
            settings = {
                "transaction_type": kind,
                "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
                "shipping_item": "Shipping",
            }
            body = {
                "connection_id": conn.connection_id,
                "kind": "custom_store",
                "name": prefix,
                "settings": settings,
            }
            with self.stack.client() as api:
                channel = _ok(api.post("/api/v1/channels", json=body), 201)
            factory = OrderFactory(random.Random(f"{self.seed}:{prefix}"), prefix)
            self.channels.append(Channel(channel["id"], conn, kind, factory))
        for conn in self.connections:
            conn.company.faults.transient_rate = TRANSIENT_RATE
            conn.company.faults.transient_seed = self.seed
            conn.company.save()

    def plan(self, batches: int) -> None:
        """Where the kills go: some during or right after pushes, the others at round trips."""
        kinds = [*PUSH_KILLS, *ROUND_TRIP_KILLS]
        self.rng.shuffle(kinds)
        chosen = [kinds[i % len(kinds)] for i in range(self.kill_count)]
        push_kinds = [k for k in chosen if k in PUSH_KILLS]
        trip_kinds = [k for k in chosen if k in ROUND_TRIP_KILLS]
        spots = self.rng.sample(range(2, max(batches, len(push_kinds) + 2) + 1), len(push_kinds))
        self.push_kills = dict(zip(spots, push_kinds, strict=True))
        estimate = max(2 * batches, len(trip_kinds) + 3)
        spots = self.rng.sample(range(3, estimate + 1), len(trip_kinds))
        self.round_trip_kills = dict(zip(spots, trip_kinds, strict=True))

    # -- the stack ----------------------------------------------------------------------------------
    def restart(self, kind: str) -> None:
        started = time.monotonic()
        self.stack.kill_9()
        self.figures.kills[kind] += 1
        self.stack.start()
        self.figures.seconds["restart"] += time.monotonic() - started

    def _kill_soon(self) -> threading.Timer:
        process = self.stack.process
        assert process is not None
        pid = process.pid

        def kill() -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)

        timer = threading.Timer(self.rng.uniform(0.0, 0.25), kill)
        timer.start()
        return timer

    # -- pushes -------------------------------------------------------------------------------------
    def push(self, channel: Channel, docs: list[dict[str, Any]], bad: set[str]) -> None:
        """Push until acknowledged (a store sends an unanswered push again); record what was acknowledged."""
        self.push_number += 1
        kill = self.push_kills.pop(self.push_number, None)
        started = time.monotonic()
        for attempt in range(5):
            timer = self._kill_soon() if kill == "during_push" and attempt == 0 else None
            try:
                with self.stack.client(timeout=120) as api:
                    reply = api.post(f"/api/v1/channels/{channel.channel_id}/orders", json={"orders": docs})
            except httpx.HTTPError as exc:
                reply = None
                error = f"{type(exc).__name__}: {exc}"
            if timer is not None:
                timer.join()
                self.restart("during_push")
            if reply is not None and reply.status_code == 202:
                break
            if reply is not None:
                error = f"HTTP {reply.status_code}: {reply.text[:300]}"
            if timer is None:
                self.figures.push_errors.append(error)
        else:
            raise AssertionError(
                f"a push was never acknowledged after {dict(self.figures.kills)} kills: "
                f"{self.figures.push_errors[-3:]}"
            )
        self.figures.pushes += 1
        self.figures.seconds["push"] += time.monotonic() - started
        outcomes = {r["order_id"]: r["outcome"] for r in reply.json()["orders"]}
        for doc in docs:
            outcome = outcomes.get(doc["id"], "missing")
            self.figures.push_outcomes[outcome] += 1
            key = (channel.channel_id, doc["id"])
            if key not in self.expected:
                self.figures.orders += 1
                self.expected[key] = Expected(channel.channel_id, doc, bad=doc["id"] in bad)
            else:
                self.expected[key].doc = doc
        if kill == "after_push_ack":
            self.restart(kill)

    # -- sessions -----------------------------------------------------------------------------------
    def _fault(self) -> str | None:
        if not self.faults_on:
            return None
        roll = self.rng.random()
        for kind, rate in FAULT_RATES.items():
            if roll < rate:
                return self.script.pop(0) if self.script else kind
            roll -= rate
        return None

    def _count_transients(self, response: str) -> None:
        try:
            root = etree.fromstring(response.encode())
        except etree.XMLSyntaxError:
            return
        for rs in root.iterfind("QBXMLMsgsRs/*"):
            code = int(rs.get("statusCode", "0"))
            if code in TRANSIENT_CODES:
                self.figures.faults[f"transient_{code}"] += 1

    def _process(self, conn: Connection, request: str) -> str:
        response = conn.company.process(request)
        self._count_transients(response)
        return response

    def session(self, conn: Connection) -> str:
        """One scheduled Web Connector run for `conn`: how it ended."""
        wc = WebConnectorClient(self.stack.qbwc_url)
        started = time.monotonic()
        try:
            return self._session(conn, wc)
        except SoapCallError as exc:
            self.figures.soap_errors.append(f"{conn.name}: {exc}"[:400])
            return "soap_error"
        finally:
            conn.company.end_session()
            wc.close()
            self.figures.seconds["session"] += time.monotonic() - started

    def _session(self, conn: Connection, wc: WebConnectorClient) -> str:
        if time.monotonic() < conn.blocked_until:
            return "blocked"
        wc.server_version()
        wc.client_version()
        auth = wc.authenticate(conn.username, conn.password)
        status = auth.status.strip().lower()
        if status == "none":
            self.figures.idle += 1
            return "none"
        if status == "busy":
            self.figures.busy += 1
            conn.blocked_until = time.monotonic() + LEASE_SECONDS + 0.5
            return "busy"
        assert status in ("", conn.company.company_file.lower()), (
            f"{conn.name}: authenticate said {auth.status!r}"
        )
        self.figures.sessions += 1
        ticket = auth.ticket
        noops = 0
        for n in range(MAX_ROUND_TRIPS):
            hcp = conn.company.hcp_response() if n == 0 else ""
            request = wc.send_request_xml(ticket, hcp, conn.company.company_file)
            if not request.strip():
                last = wc.get_last_error(ticket)
                if last.strip() == "NoOp" and noops < 10:
                    noops += 1
                    time.sleep(1)
                    continue
                wc.close_connection(ticket)
                return "closed"
            self.round_trip_number += 1
            self.figures.round_trips += 1
            kill = self.round_trip_kills.pop(self.round_trip_number, None)
            if kill == "after_send":
                self.restart(kill)
                return "killed"
            fault = self._fault() if kill is None else None
            if fault is not None:
                self.figures.faults[fault] += 1
            if fault or kill:
                for ref in _refs(request):
                    self.history[ref].append(f"{fault or 'kill ' + str(kill)} #{self.round_trip_number}")
            if fault == "hresult":
                conn.company.faults.fail_next_with_hresult = self.rng.choice(HRESULTS)
                try:
                    self._process(conn, request)
                except QuickBooksFault as failed:
                    answered = wc.receive_response_xml(ticket, "", failed.hresult, failed.message)
                    if answered >= 0:  # QBWC would go on asking; the run is ended here all the same
                        self.figures.soap_errors.append(
                            f"receiveResponseXML answered {answered} to an HRESULT"
                        )
                    wc.get_last_error(ticket)
                    wc.close_connection(ticket)
                    return "hresult"
                raise AssertionError("the company did not fail with the armed HRESULT")
            if fault == "lost":
                conn.company.faults.lose_next_response = True
                try:
                    self._process(conn, request)
                except ResponseLost as lost:
                    self._count_transients(lost.response)
                    conn.answers.append(lost.response)
                    return "lost"
                raise AssertionError("the company did not lose the armed response")
            if fault == "abandon":
                if self.rng.random() < 0.5:
                    conn.answers.append(self._process(conn, request))
                return "abandoned"
            processed = True
            if fault in ("replay_earlier", "wrong_set") and self.rng.random() < 0.5:
                processed = False
                response = ""
                for ref in _refs(request):
                    self.history[ref][-1] += " (QuickBooks never saw the set)"
            else:
                response = self._process(conn, request)
            answer = response
            if fault == "replay_earlier":
                answer = self._earlier(conn.answers, response) if conn.answers else ""
            elif fault == "wrong_set":
                others = [a for c in self.connections if c is not conn for a in c.answers]
                answer = self.rng.choice(others) if others else ""
            if not answer:  # nothing to replay yet: the set in flight is answered with an empty answer
                self.figures.faults[f"{fault}_empty"] += 1
                answer = response if processed else ""
            if kill == "before_receive":
                self.restart(kill)
                return "killed"
            timer = self._kill_soon() if kill == "during_receive" else None
            percent: int | None
            try:
                percent = wc.receive_response_xml(ticket, answer)
                if fault == "replay_twice":
                    percent = wc.receive_response_xml(ticket, answer)
            except SoapCallError:
                if timer is None:
                    raise
                percent = None
            if response:
                conn.answers.append(response)
            if timer is not None:
                timer.join()
                self.restart(kill or "during_receive")
                return "killed"
            if kill == "after_receive":
                self.restart(kill)
                return "killed"
            assert percent is not None
            if percent < 0:
                wc.get_last_error(ticket)
                wc.close_connection(ticket)
                return "error"
            if percent >= 100:
                wc.close_connection(ticket)
                return "closed"
        wc.close_connection(ticket)
        return "round_trip_bound"

    def _earlier(self, answers: list[str], current: str) -> str:
        earlier = [a for a in answers if a != current]
        return self.rng.choice(earlier) if earlier else ""

    # -- the run ------------------------------------------------------------------------------------
    def batches(self) -> list[tuple[Channel, list[dict[str, Any]], set[str]]]:
        out: list[tuple[Channel, list[dict[str, Any]], set[str]]] = []
        made = 0
        while made < self.order_count:
            channel = self.rng.choice(self.channels)
            size = min(self.rng.randint(10, 30), self.order_count - made)
            docs, bad = [], set()
            for _ in range(size):
                doc, is_bad = channel.factory.order()
                docs.append(doc)
                if is_bad:
                    bad.add(doc["id"])
            out.append((channel, docs, bad))
            made += size
        return out

    def run(self) -> None:
        """Pushes with sessions in between, faults on; the remaining kills; then fault-free runs."""
        batches = self.batches()
        self.plan(len(batches))
        for channel, docs, bad in batches:
            self.push(channel, docs, bad)
            changed = [d for d in docs if d["id"] not in bad and self.rng.random() < CHANGE_SHARE]
            if changed:
                self.push(channel, [channel.factory.changed(d) for d in changed], set())
            self._refund_earlier_orders()
            for conn in self.rng.sample(self.connections, len(self.connections)):
                self.session(conn)
        for kind in self.push_kills.values():
            self.restart(kind + "_late")
        for kind in self.round_trip_kills.values():
            self.restart(kind + "_late")
        self.push_kills.clear()
        self.round_trip_kills.clear()
        self.quiet()

    def _refund_earlier_orders(self) -> None:
        """Now and then the store refunds orders pushed earlier (synced by now, or not yet)."""
        candidates = [e for e in self.expected.values() if not e.bad]
        if not candidates or self.rng.random() < 0.4:
            return
        by_channel: dict[str, list[dict[str, Any]]] = {}
        for item in self.rng.sample(candidates, min(len(candidates), self.rng.randint(1, 4))):
            channel = next(c for c in self.channels if c.channel_id == item.channel_id)
            by_channel.setdefault(channel.channel_id, []).append(channel.factory.with_refund(item.doc))
        for channel_id, docs in by_channel.items():
            channel = next(c for c in self.channels if c.channel_id == channel_id)
            self.push(channel, docs, set())

    def quiet(self, deadline_seconds: float = 90.0) -> None:
        """Fault-free runs until no connection has work and no order is pending or in flight."""
        self.faults_on = False
        for conn in self.connections:
            conn.company.faults.clear()
            conn.company.save()
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            outcomes = [self.session(conn) for conn in self.connections]
            if all(o == "none" for o in outcomes) and not self.open_orders():
                return
            if all(o in ("none", "busy", "blocked") for o in outcomes):
                time.sleep(1.0)
                self.figures.seconds["wait"] += 1.0

    # -- reading the service ------------------------------------------------------------------------
    def orders_seen(self) -> dict[tuple[str, str], dict[str, Any]]:
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        with self.stack.client() as api:
            for channel in self.channels:
                after: str | None = None
                while True:
                    params = {"channel": channel.channel_id, "limit": "500"}
                    if after:
                        params["after"] = after
                    page = _ok(api.get("/api/v1/orders", params=params), 200)
                    for view in page["orders"]:
                        seen[(channel.channel_id, view["order_id"])] = view
                    after = page.get("next")
                    if not after:
                        break
        return seen

    def open_orders(self) -> list[dict[str, Any]]:
        return [v for v in self.orders_seen().values() if v["status"] in ("pending", "in_flight")]

    def merchant_retries(self) -> int:
        """The merchant presses Retry on every failed order."""
        failed = [v for v in self.orders_seen().values() if v["status"] == "failed"]
        with self.stack.client() as api:
            for view in failed:
                api.post(f"/api/v1/orders/{view['id']}/retry")
        self.figures.retries += len(failed)
        return len(failed)


def _refs(request: str) -> list[str]:
    """The RefNumbers of the sales and credit memos a qbXML request adds."""
    try:
        root = etree.fromstring(request.encode())
    except etree.XMLSyntaxError:
        return []
    return [e.text or "" for e in root.iter("RefNumber") if e.getparent() is not None]


def _ok(reply: httpx.Response, status: int) -> Any:
    assert reply.status_code == status, (
        f"{reply.request.method} {reply.request.url}: {reply.status_code} {reply.text[:500]}"
    )
    return reply.json()
