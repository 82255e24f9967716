"""An idle Web Connector poll (authenticate answering "none") costs at most two DynamoDB calls: reading the
connection, then either one write (the contact and the drained queue's time together) or the stranded-order
sweep. Every behaviour stays: stranded orders are still found by idle polls, standing jobs of a channel added
later are queued at the next poll, wrong passwords are still slowed, and the sync history expires by TTL.

Calls are counted at botocore's `_make_api_call` (every client's every call); the service's clock is the
test's, so the runs of the connection's schedule pass without waiting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import botocore.client
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.aws import WorkQueue
from chalicelib.dal import channels, connections, sync_runs
from chalicelib.dal.connections import Connection
from chalicelib.dal.models import OrderModel, SyncRunModel
from chalicelib.sync.stranded_orders import idle_write_due, overdue_sweep
from tests.service.test_exactly_once_cases import assert_exactly_once, drain
from tests.service.test_post_orders import order, session


class Calls:
    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def dynamodb(self) -> int:
        return sum(n for (service, _), n in self.seen.items() if service == "dynamodb")

    def of(self, operation: str) -> int:
        return self.seen[("dynamodb", operation)]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    counted = Calls()
    real = botocore.client.BaseClient._make_api_call

    def counting(client: Any, operation: str, params: Any) -> Any:
        counted.seen[(client.meta.service_model.service_name, operation)] += 1
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    yield counted


def poll(store: dict[str, Any], calls: Calls) -> tuple[str, Calls]:
    """One sign-in; its status and the calls it made."""
    calls.seen.clear()
    status = store["service"].authenticate(store["conn"]["username"], store["password"]).status
    made = Calls()
    made.seen = Counter(calls.seen)
    return status, made


def run(store: dict[str, Any]) -> int:
    conn = connections.get(store["conn"]["id"])
    assert conn is not None
    return conn.run_every_minutes


def test_idle_polls_cost_at_most_two_dynamodb_calls_and_keep_the_contact(api, store, calls):
    drain(store)
    clock, every = store["service"].clock, run(store)
    status, first = poll(store, calls)  # the first idle poll learns the connection's channels have no jobs
    assert status == "none" and first.dynamodb() <= 3
    writes = sweeps = 0
    for _ in range(8):
        clock.advance(every * 60)
        status, made = poll(store, calls)
        assert status == "none"
        assert made.dynamodb() <= 2, made.seen
        assert made.of("GetItem") == 1  # the connection; no login failure, no channel is read
        assert made.of("Query") + made.of("UpdateItem") == 1, made.seen
        writes += made.of("UpdateItem")
        sweeps += made.of("Query")
        conn = connections.get(store["conn"]["id"])
        assert conn is not None and conn.last_contact_at is not None
        assert clock() - conn.last_contact_at < timedelta(minutes=1.5 * every)  # the contact stays current
    assert writes == sweeps == 4  # on schedule, the two alternate


def test_a_lost_message_is_found_by_the_idle_polls_on_schedule(api, store, calls):
    docs = [order(n) for n in range(3)]
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": docs}, expect=202)
    queue = WorkQueue(store["conn"]["id"])
    queue._sqs.purge_queue(QueueUrl=queue.url)
    clock, every = store["service"].clock, run(store)
    assert poll(store, calls)[0] == "none"
    for doc in docs:  # long ago (the wall clock's queue time, moved back instead of waiting)
        OrderModel(store["channel"]["id"], doc["id"]).update(
            actions=[OrderModel.queued_at.set("2000-01-01T00:00:00+00:00")]
        )
    statuses = []
    for _ in range(3):  # within two runs of the schedule, whichever kind of poll comes first
        clock.advance(every * 60)
        status, _ = session(store)
        statuses.append(status)
        if status == "":
            break
    assert "" in statuses, statuses
    drain(store)
    assert_exactly_once(api, store, docs)


def test_a_channel_added_later_has_its_standing_jobs_queued_at_the_next_poll(api, store, calls):
    drain(store)
    clock, every = store["service"].clock, run(store)
    poll(store, calls)
    clock.advance(every * 60)
    status, made = poll(store, calls)
    assert status == "none" and made.of("Query") <= 1
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.standing_channel_ids() == []
    channels.create(
        conn.tenant_id, conn.connection_id, "custom_store", "Stock", {"directions": ["inventory_to_store"]}
    )
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.standing_channel_ids() is None  # the channel change made it unknown
    clock.advance(every * 60)
    auth = store["service"].authenticate(store["conn"]["username"], store["password"])
    assert auth.status == ""  # the inventory job was queued: a session opens
    store["service"].close_connection(auth.ticket)
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.standing_channel_ids() is not None
    assert len(conn.standing_channel_ids() or []) == 1


def test_a_sync_run_expires_after_the_retention(aws):
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    sync_runs.start("con_ttl", "ticket-abc", started)
    (model,) = list(SyncRunModel.query("con_ttl"))
    assert model.expires_at == started + timedelta(days=sync_runs.SYNC_RUN_RETENTION_DAYS)
    sync_runs.finish(
        "con_ttl",
        "ticket-abc",
        started,
        ended_at=started + timedelta(minutes=1),
        outcome="ok",
        round_trips=1,
        requests=1,
        errors=[],
        counts={},
    )
    (model,) = list(SyncRunModel.query("con_ttl"))
    assert model.expires_at == started + timedelta(days=sync_runs.SYNC_RUN_RETENTION_DAYS)
    assert SyncRunModel.describe_table() and _ttl_enabled("sync_runs")


def _ttl_enabled(short_name: str) -> bool:
    client = SyncRunModel._get_connection().connection.client
    described = client.describe_time_to_live(TableName=SyncRunModel.Meta.table_name)
    spec = described["TimeToLiveDescription"]
    return bool(
        spec.get("AttributeName") == "expires_at" and spec["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    )


def _conn(run_every: int, contact: datetime | None, drained: float | None) -> Connection:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Connection(
        connection_id="con_x",
        tenant_id="ten_x",
        name="x",
        username="lb-con_x",
        file_id="F",
        run_every_minutes=run_every,
        created_at=at,
        password_hash=None,
        password_set_at=None,
        failed_logins=0,
        locked_until=None,
        active_ticket=None,
        lease_until=None,
        last_contact_at=contact,
        connected_at=at,
        company=None,
        company_file_path=None,
        qbxml_version=None,
        last_error=None,
        lists_refreshed_at=None,
        queue_drained_at=drained,
    )


def _simulate(every: int, gaps: list[float]) -> list[tuple[bool, bool, timedelta | None]]:
    """Idle polls `gaps` runs apart: (writes, sweeps as well, age of the contact) for each poll."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    contact: datetime | None = None
    drained: float | None = None
    polls = []
    for gap in gaps:
        now += timedelta(minutes=gap * every)
        conn = _conn(every, contact, drained)
        write = idle_write_due(conn, now)
        polls.append((write, write and overdue_sweep(conn, now), now - contact if contact else None))
        if write:
            contact, drained = now, now.timestamp()
    return polls


@settings(max_examples=200, deadline=None)
@given(
    every=st.integers(min_value=1, max_value=1440),
    gaps=st.lists(st.floats(min_value=0.05, max_value=1.45), min_size=2, max_size=40),
)
def test_idle_polls_closer_than_a_run_and_a_half_never_write_twice_in_a_row(
    every: int, gaps: list[float]
) -> None:
    """A write is always followed by a sweep (which uses its drained mark), and the contact stays recent."""
    polls = _simulate(every, gaps)
    for (wrote, _, _), (writes, _, age) in pairwise(polls):
        assert not (wrote and writes), "two writes in a row: the drained mark was never swept with"
        assert age is not None and age < timedelta(minutes=3 * every)


@settings(max_examples=200, deadline=None)
@given(
    every=st.integers(min_value=1, max_value=1440),
    gaps=st.lists(st.floats(min_value=0.8, max_value=1.2), min_size=2, max_size=40),
)
def test_idle_polls_on_schedule_cost_one_call_besides_the_read(every: int, gaps: list[float]) -> None:
    """On schedule (up to 20% early or late) no idle poll both writes and sweeps, and they alternate."""
    polls = _simulate(every, gaps)
    assert not any(both for _, both, _ in polls[1:])
    assert [w for w, _, _ in polls[1:]] == [i % 2 == 1 for i in range(len(polls) - 1)]


# What a cold container's idle poll must not load: the order desk with its model, rules and order settings, the
# store connectors, the channels' settings and qbXML. The sign-in needs the connection, its queue, the stranded-order
# sweep and the standing jobs' record on the connection; the rest loads when a session has work for it.
NOT_LOADED_BY_AN_IDLE_POLL = (
    "chalicelib.sync.orders",
    "chalicelib.orders.model",
    "chalicelib.orders.settings",
    "chalicelib.rules",
    "chalicelib.channels",
    "chalicelib.sync.channels",
    "chalicelib.sync.summary_channels",
    "chalicelib.qbxml",
)

COLD_IDLE_POLL = """
import json, sys
import app
from chalice.test import Client

def call(method, **params):
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in params.items())
    body = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{method} xmlns="http://developer.intuit.com/">{inner}</{method}></soap:Body></soap:Envelope>'
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"http://developer.intuit.com/{method}"'}
    answer = Client(app.app).http.post("/qbwc", headers=headers, body=body)
    assert answer.status_code == 200, answer.body[:500]
    return answer.body.decode()

answer = call("authenticate", strUserName=sys.argv[1], strPassword=sys.argv[2])
assert "<string>none</string>" in answer, answer
print(json.dumps(sorted(sys.modules)))
"""


def test_a_cold_containers_idle_poll_loads_only_the_sign_ins_modules(
    store: dict[str, Any], calls: Calls
) -> None:
    """A fresh interpreter answers an idle poll through the SOAP route (as the Web Connector's Lambda does) without
    loading what only a session with work needs (~60 ms of imports, a cold Lambda's first poll)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    assert (
        poll(store, calls)[0] == "none"
    )  # the connection knows its channels' standing jobs (none) from here on
    out = subprocess.run(
        [sys.executable, "-c", COLD_IDLE_POLL, store["conn"]["username"], store["password"]],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "chalicelib.sync.web_connector" in loaded and "chalicelib.sync.stranded_orders" in loaded
    assert not loaded & set(NOT_LOADED_BY_AN_IDLE_POLL)
