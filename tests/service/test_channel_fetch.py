"""Channels that Ledgerbridge fetches from: credentials (checked, encrypted, masked), one schedule each,
fetch runs with a bookmark that only moves after a page is stored, no overlapping runs, unreadable orders,
manual resync from the API, the local runner and the CLI. The store is the custom-store fake over HTTP."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from chalicelib.aws import ChannelSchedules, ChannelSecrets, FetchQueue
from chalicelib.dal import channel_fetches, fetch_runs, orders
from chalicelib.dal import channels as channel_repo
from chalicelib.sync import fetch
from ledgerbridge.fakes.custom_store import FakeCustomStore
from ledgerbridge.runner import LocalRunner
from tests.service.queues import queued_orders
from tests.service.test_orders_api import SETTINGS, seed_accounts

pytestmark = pytest.mark.xdist_group("fetch-queue")  # tests drain the one shared fetch queue


@pytest.fixture(autouse=True)
def only_this_tests_schedules(aws):
    """The runner fires every schedule of the deployment: start each test without the previous ones'."""
    schedules = ChannelSchedules()
    for schedule in schedules.all():
        schedules.delete(schedule.channel_id)


@pytest.fixture
def store():
    with FakeCustomStore() as fake:
        yield fake


@pytest.fixture
def connection(api):
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    return conn


def credentials(store: FakeCustomStore, **overrides: str) -> dict[str, str]:
    return {"base_url": store.base_url, "username": store.username, "password": store.password, **overrides}


def make_channel(api, connection, store, **body):
    request = {
        "connection_id": connection["id"],
        "kind": "custom_store",
        "name": "Own shop",
        "settings": SETTINGS,
        "credentials": credentials(store),
        **body,
    }
    return api.json("POST", "/api/v1/channels", request, expect=201)


FAKE_EPOCH = datetime(
    2026, 11, 1, tzinfo=UTC
)  # where the fake stores' clocks start (ledgerbridge/fakes/base.py)


def backdate(channel_id: str, days: int = 30) -> None:
    """Channels start fetching from when they were added; the fake's orders are older (its clock starts at
    FAKE_EPOCH, whatever today is)."""
    from chalicelib.dal.models import ChannelModel

    added = min(datetime.now(UTC), FAKE_EPOCH) - timedelta(days=days)
    ChannelModel(channel_id).update(actions=[ChannelModel.created_at.set(added)])


def run(channel_id: str, pages: int | None = None):
    return fetch.scheduled_fetch(channel_id, fetch.Budget.seconds(60, pages))


def drain_fetch_queue() -> None:
    queue = FetchQueue()
    while (job := queue.take()) is not None:
        queue.done(job.receipt_handle)


# --- credentials -----------------------------------------------------------------------------------


def test_credentials_are_checked_with_the_store_on_save(api, connection, store):
    bad = {
        "connection_id": connection["id"],
        "kind": "custom_store",
        "name": "Own shop",
        "settings": SETTINGS,
        "credentials": credentials(store, password="wrong"),
    }
    body = api.json("POST", "/api/v1/channels", bad, expect=400)
    assert body["message"] == "Your store's API rejected the user name and password."
    assert api.json("GET", "/api/v1/channels")["channels"] == []  # nothing half-written


def test_credentials_are_stored_encrypted_and_shown_masked(api, connection, store):
    store.password = "a-long-store-password-1234"
    channel = make_channel(api, connection, store)
    assert channel["credentials"] == {
        "base_url": store.base_url,
        "username": store.username,
        "password": "••••1234",
    }
    assert channel["mode"] == "pull"
    for response in (
        api.call("GET", f"/api/v1/channels/{channel['id']}"),
        api.call("GET", "/api/v1/channels"),
        api.call("GET", "/api/v1/tasks"),
    ):
        assert store.password not in response.body.decode()
    assert ChannelSecrets().get(channel["id"])["password"] == store.password


def test_missing_and_unknown_credential_fields_are_named(api, connection, store):
    request = {
        "connection_id": connection["id"],
        "kind": "shopify",
        "name": "Shopify",
        "settings": SETTINGS,
        "credentials": {"shop": "x", "token": "y"},
    }
    body = api.json("POST", "/api/v1/channels", request, expect=400)
    assert body["details"]["fields"]["credentials.token"] == "unknown field"
    assert body["details"]["fields"]["credentials.access_token"].startswith("is required")


def test_changing_one_credential_keeps_the_others_and_is_checked(api, connection, store):
    channel = make_channel(api, connection, store)
    store.password = "rotated-password-5678"
    refused = api.call("PATCH", f"/api/v1/channels/{channel['id']}", {"credentials": {"password": "nope"}})
    assert refused.status_code == 400
    changed = api.json(
        "PATCH", f"/api/v1/channels/{channel['id']}", {"credentials": {"password": store.password}}
    )
    assert changed["credentials"]["password"] == "••••5678"
    assert ChannelSecrets().get(channel["id"]) == credentials(store)


def test_a_custom_store_without_an_address_pushes_and_has_no_task(api, connection):
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": connection["id"], "kind": "custom_store", "name": "Push", "settings": SETTINGS},
        expect=201,
    )
    assert channel["mode"] == "push"
    assert ChannelSchedules().get(channel["id"]) is None
    assert api.json("GET", "/api/v1/tasks")["tasks"] == []
    resync = api.call(
        "POST", f"/api/v1/channels/{channel['id']}/resync", {"from": "2026-11-01", "to": "2026-11-02"}
    )
    assert resync.status_code == 409


# --- tasks -------------------------------------------------------------------------------------------


def test_one_schedule_per_channel_paused_and_resumed_in_scheduler(api, connection, store):
    channel = make_channel(api, connection, store, every_minutes=10)
    schedule = ChannelSchedules().get(channel["id"])
    assert schedule is not None and schedule.state == "ENABLED" and schedule.every_minutes == 10
    (task,) = api.json("GET", "/api/v1/tasks")["tasks"]
    assert task["id"] == channel["id"] and task["state"] == "active" and task["every_minutes"] == 10
    next_run = datetime.fromisoformat(task["next_run"])
    assert timedelta(0) < next_run - datetime.now(UTC) <= timedelta(minutes=10)
    assert task["last_run"] is None

    paused = api.json("POST", f"/api/v1/tasks/{channel['id']}/pause")
    assert paused["state"] == "paused" and paused["next_run"] is None
    assert ChannelSchedules().get(channel["id"]).state == "DISABLED"  # the schedule is the truth
    resumed = api.json("POST", f"/api/v1/tasks/{channel['id']}/resume")
    assert resumed["state"] == "active"
    assert ChannelSchedules().get(channel["id"]).state == "ENABLED"

    api.json("PATCH", f"/api/v1/channels/{channel['id']}", {"every_minutes": 60})
    assert ChannelSchedules().get(channel["id"]).every_minutes == 60
    bad = api.call("PATCH", f"/api/v1/channels/{channel['id']}", {"every_minutes": 1})
    assert bad.status_code == 400

    api.json("DELETE", f"/api/v1/channels/{channel['id']}")
    assert ChannelSchedules().get(channel["id"]) is None
    assert ChannelSecrets().get(channel["id"]) == {}


def test_tasks_of_another_tenant_are_not_found(api, other_api, connection, store):
    channel = make_channel(api, connection, store)
    assert other_api.call("POST", f"/api/v1/tasks/{channel['id']}/pause").status_code == 404
    assert other_api.json("GET", "/api/v1/tasks")["tasks"] == []


# --- fetch runs ----------------------------------------------------------------------------------


def test_a_scheduled_run_stores_new_orders_and_queues_them_once(api, connection, store):
    store.add_orders(7)
    channel = make_channel(api, connection, store)
    backdate(channel["id"])
    first = run(channel["id"])
    assert first.state == "done"
    assert first.counts["fetched"] == 7 and first.counts["new"] == 7
    assert sum(queued_orders(connection["id"]).values()) == 7
    bookmark = fetching(channel["id"]).bookmark
    assert bookmark == datetime.fromisoformat(
        max(o["updated_at"] for o in store.orders.values()).replace("Z", "+00:00")
    )

    again = run(channel["id"])  # the overlap window re-reads the last orders: folded, nothing queued
    assert again.counts.get("new", 0) == 0
    assert sum(queued_orders(connection["id"]).values()) == 7

    store.change_order("1003", note="gift wrap")
    store.add_order()
    third = run(channel["id"])
    assert third.counts["new"] == 1 and third.counts["changed"] == 1
    assert sum(queued_orders(connection["id"]).values()) == 9

    (task,) = api.json("GET", "/api/v1/tasks")["tasks"]
    assert task["last_result"]["state"] == "done" and task["last_result"]["counts"]["new"] == 1


def test_the_bookmark_moves_after_each_stored_page_and_a_crash_leaves_no_gap(
    api, connection, store, monkeypatch
):
    store.add_orders(10)
    channel = make_channel(api, connection, store)
    backdate(channel["id"])
    monkeypatch.setattr("chalicelib.channels.custom_store.PAGE_SIZE", 3)
    real_store_orders = fetch.store_orders
    calls = {"n": 0}

    def crash_on_third_page(channel_, parsed):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("Lambda killed")
        return real_store_orders(channel_, parsed)

    monkeypatch.setattr(fetch, "store_orders", crash_on_third_page)
    with pytest.raises(SystemExit):
        run(channel["id"])
    after_crash = fetching(channel["id"])
    stored = sorted(store.orders.values(), key=lambda o: o["updated_at"])
    assert after_crash.bookmark == datetime.fromisoformat(stored[5]["updated_at"].replace("Z", "+00:00"))
    assert run(channel["id"]) is None  # the crashed run's lease still holds the channel

    monkeypatch.setattr(fetch, "store_orders", real_store_orders)
    monkeypatch.setattr(channel_fetches, "take_lease", _lease_after_expiry(channel_fetches.take_lease))
    resumed = run(channel["id"])
    assert resumed.state == "done"
    assert resumed.since < after_crash.bookmark  # from the bookmark, minus the overlap
    found, _ = orders.list_orders(api.tenant_id, channel_id=channel["id"], status=None, limit=100, after=None)
    assert sorted(o.order_id for o in found) == sorted(store.orders)  # no gap
    queued = queued_orders(connection["id"])
    assert len(queued) == 10 and set(queued.values()) == {1}  # every order once: no duplicate


def fetching(channel_id: str) -> channel_fetches.FetchState:
    """Where the channel's fetching stands (its own item, chalicelib/dal/channel_fetches.py)."""
    return channel_fetches.get(channel_repo.get(channel_id))


def _lease_after_expiry(take):
    def take_later(channel, run_id, now, seconds):
        return take(channel, run_id, now + 10_000, seconds)

    return take_later


def test_runs_of_one_channel_never_overlap(api, connection, store):
    store.add_orders(3)
    channel = make_channel(api, connection, store)
    backdate(channel["id"])
    assert channel_fetches.take_lease(channel_repo.get(channel["id"]), "run_someone_else", time.time(), 900)
    assert run(channel["id"]) is None
    resync = fetch.start_resync(
        api.tenant_id, channel["id"], datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC)
    )
    waiting = fetch.continue_run(channel["id"], resync.run_id, fetch.Budget.seconds(30))
    assert waiting.state == "waiting" and waiting.counts == {}
    channel_fetches.release_lease(channel["id"], "run_someone_else", None)
    assert fetch.continue_run(channel["id"], resync.run_id, fetch.Budget.seconds(30)).state == "done"


def test_an_unreadable_order_is_recorded_as_failed_and_the_run_goes_on(api, connection, store):
    store.add_orders(4)
    store.break_order("1002")
    channel = make_channel(api, connection, store)
    backdate(channel["id"])
    result = run(channel["id"])
    assert result.state == "done" and result.counts["new"] == 3 and result.counts["unreadable"] == 1
    broken = orders.get(channel["id"], "1002")
    assert broken.status == "failed"
    assert "lines[0].unit_price is required" in broken.error["message"]
    retry = api.call("POST", f"/api/v1/orders/{broken.key}/retry")
    assert retry.status_code == 409 and "correct it in the store" in json.loads(retry.body)["message"]

    store.change_order(
        "1002",
        lines=[{"id": "1", "title": "Widget", "quantity": 1, "unit_price": "10.00"}],
        total="10.00",
        payments=[],
        payment_status="unpaid",
        shipping_lines=[],
    )
    fixed = run(channel["id"])
    assert fixed.counts["changed"] == 1
    assert orders.get(channel["id"], "1002").status == "pending"


def test_a_store_that_rejects_the_credentials_fails_the_run_in_plain_words(api, connection, store):
    store.add_orders(2)
    channel = make_channel(api, connection, store)
    backdate(channel["id"])
    store.password = "changed-in-the-store"
    result = run(channel["id"])
    assert result.state == "failed"
    assert result.error == "Your store's API rejected the user name and password."
    (task,) = api.json("GET", "/api/v1/tasks")["tasks"]
    assert task["last_result"]["error"] == result.error
    assert fetching(channel["id"]).run_id is None  # the lease is given back


def test_a_store_that_keeps_failing_ends_the_run_for_later_without_moving_the_bookmark(
    api, connection, store, monkeypatch
):
    store.add_orders(2)
    channel = make_channel(api, connection, store)
    backdate(channel["id"])
    monkeypatch.setattr("chalicelib.channels.base.time.sleep", lambda seconds: None)
    store.fail_next(503, times=50, headers={"Retry-After": "0"})
    result = run(channel["id"])
    assert result.state == "retry_later"
    assert "server error (HTTP 503)" in result.error
    assert fetching(channel["id"]).bookmark is None


# --- resync --------------------------------------------------------------------------------------


def test_resync_from_the_api_is_queued_and_run_by_the_local_runner(api, connection, store):
    drain_fetch_queue()
    store.add_orders(5)
    channel = make_channel(api, connection, store)
    synced = orders.get  # orders already in QuickBooks must not be posted again
    backdate(channel["id"])
    run(channel["id"])
    for order_id in ("1001", "1002"):
        stored = synced(channel["id"], order_id)
        orders.claim(stored, "set1")
        orders.record_complete(orders.get(channel["id"], order_id), "set1")
    before = queued_orders(connection["id"])

    started = api.json(
        "POST",
        f"/api/v1/channels/{channel['id']}/resync",
        {"from": "2026-10-01", "to": "2026-11-30"},
        expect=202,
    )
    assert started["state"] == "queued"
    LocalRunner().tick()
    done = api.json("GET", f"/api/v1/channels/{channel['id']}/runs/{started['id']}")
    assert done["state"] == "done"
    assert done["counts"]["fetched"] == 5
    assert done["counts"]["already_in_quickbooks"] == 2
    assert done["counts"]["unchanged"] == 3
    assert queued_orders(connection["id"]) == before  # nothing posted again
    runs = api.json("GET", f"/api/v1/channels/{channel['id']}/runs")["runs"]
    assert {r["trigger"] for r in runs} == {"schedule", "resync"}


def test_resync_ranges_are_checked(api, connection, store):
    channel = make_channel(api, connection, store)
    for body, field in (
        ({"from": "2026-11-05", "to": "2026-11-01"}, "to"),
        ({"from": "yesterday", "to": "2026-11-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "to"),
        ({"from": "2026-11-01T00:00:00", "to": "2026-11-02"}, "from"),
    ):
        response = api.call("POST", f"/api/v1/channels/{channel['id']}/resync", body)
        assert response.status_code == 400, body
        assert field in json.loads(response.body)["details"]["fields"], body


def test_resync_from_the_cli_shows_progress_and_counts(api, connection, store, monkeypatch):
    store.add_orders(6)
    channel = make_channel(api, connection, store)
    monkeypatch.setattr("chalicelib.channels.custom_store.PAGE_SIZE", 2)
    from ledgerbridge.cli import main

    result = CliRunner().invoke(
        main, ["resync", "--channel", channel["id"], "--from", "2026-10-01", "--to", "2026-11-30"]
    )
    assert result.exit_code == 0, result.output
    assert "fetched 6, new 6, changed 0, already in QuickBooks 0" in result.output
    assert "in-process (local stack)" in result.output
    (latest,) = [r for r in fetch_runs.latest(channel["id"]) if r.trigger == "resync"]
    assert latest.pages == 3


def test_the_cli_names_an_unknown_channel(aws):
    from ledgerbridge.cli import main

    result = CliRunner().invoke(
        main, ["resync", "--channel", "chn_nope", "--from", "2026-11-01", "--to", "2026-11-02"]
    )
    assert result.exit_code != 0
    assert "no channel chn_nope" in result.output


# --- the local runner ------------------------------------------------------------------------------


def test_the_local_runner_fires_due_schedules_like_scheduler(api, connection, store):
    drain_fetch_queue()
    store.add_orders(2)
    channel = make_channel(api, connection, store, every_minutes=5)
    backdate(channel["id"])
    schedule = ChannelSchedules().get(channel["id"])
    clock = {"now": schedule.start + timedelta(seconds=1)}
    runner = LocalRunner(clock=lambda: clock["now"])
    runner.tick()  # never ran: fires at once
    assert fetching(channel["id"]).last_fetch["counts"]["new"] == 2
    store.add_order()
    clock["now"] += timedelta(minutes=2)
    runner.tick()  # not due yet
    assert fetching(channel["id"]).last_fetch["counts"]["new"] == 2
    clock["now"] += timedelta(minutes=3)
    runner.tick()
    assert fetching(channel["id"]).last_fetch["counts"]["new"] == 1
    api.json("POST", f"/api/v1/tasks/{channel['id']}/pause")
    store.add_order()
    clock["now"] += timedelta(minutes=5)
    runner.tick()  # paused: not fired
    assert fetching(channel["id"]).last_fetch["counts"]["new"] == 1


def test_run_now_runs_the_task_once_through_the_fetch_queue(api, connection, store, other_api):
    drain_fetch_queue()
    channel = make_channel(api, connection, store, every_minutes=60)
    backdate(channel["id"])
    schedule = ChannelSchedules().get(channel["id"])
    runner = LocalRunner(clock=lambda: schedule.start + timedelta(seconds=1))
    runner.tick()  # the first firing
    store.add_orders(3)
    assert other_api.call("POST", f"/api/v1/tasks/{channel['id']}/run").status_code == 404
    task = api.json("POST", f"/api/v1/tasks/{channel['id']}/run", expect=202)
    assert task["id"] == channel["id"]
    runner.tick()  # not due by the schedule: run by the queued "run now"
    assert fetching(channel["id"]).last_fetch["counts"]["new"] == 3


def test_pausing_never_sends_scheduler_a_start_date_in_the_past(api, connection, store):
    """Scheduler refuses a StartDate more than five minutes old: a pause or resume keeps the cadence by
    starting at the old schedule's next firing."""
    channel = make_channel(api, connection, store, every_minutes=5)
    schedules = ChannelSchedules()
    old = schedules.get(channel["id"])
    schedules.put(channel["id"], 5, start=old.start - timedelta(hours=3))  # as if made three hours ago
    api.json("POST", f"/api/v1/tasks/{channel['id']}/pause")
    api.json("POST", f"/api/v1/tasks/{channel['id']}/resume")
    now = datetime.now(UTC)
    resumed = schedules.get(channel["id"])
    assert now - timedelta(minutes=5) <= resumed.start <= now + timedelta(minutes=5)
    assert (resumed.start - (old.start - timedelta(hours=3))) % timedelta(minutes=5) == timedelta(0)


def test_an_unexpected_error_fails_the_run_and_frees_the_channel(api, connection, store, monkeypatch):
    store.add_orders(2)
    channel = make_channel(api, connection, store)
    backdate(channel["id"])

    def broken(channel_, parsed):
        raise RuntimeError("bug")

    monkeypatch.setattr(fetch, "store_orders", broken)
    with pytest.raises(RuntimeError):
        run(channel["id"])
    (failed,) = fetch_runs.latest(channel["id"])
    assert failed.state == "failed" and "internal error" in failed.error
    assert fetching(channel["id"]).run_id is None


def test_a_queued_resync_that_keeps_failing_gives_up_with_the_reason(api, connection, store, monkeypatch):
    from chalicelib.events import fetch as events

    drain_fetch_queue()
    channel = make_channel(api, connection, store)
    import functools

    from chalicelib.channels.base import HttpOptions

    monkeypatch.setattr(fetch, "HttpOptions", functools.partial(HttpOptions, max_attempts=1))
    monkeypatch.setattr(events, "WAIT_SECONDS", 0)
    started = api.json(
        "POST",
        f"/api/v1/channels/{channel['id']}/resync",
        {"from": "2026-10-01", "to": "2026-11-30"},
        expect=202,
    )
    drain_fetch_queue()
    store.fail_next(503, times=1000)
    body = {"channel_id": channel["id"], "run_id": started["id"], "attempt": 0}
    events.handle_queued(body, None)
    queued = FetchQueue().take()
    assert queued is not None and queued.body["attempt"] == 1  # retried later
    FetchQueue().done(queued.receipt_handle)
    events.handle_queued({**body, "attempt": events.MAX_REQUEUES}, None)
    assert FetchQueue().take() is None
    final = api.json("GET", f"/api/v1/channels/{channel['id']}/runs/{started['id']}")
    assert final["state"] == "failed"
    assert final["error"].startswith("Gave up after 30 tries: your store's API had a server error (HTTP 503)")
