"""Tasks: each fetching channel's EventBridge Scheduler schedule, as the merchant sees it.

The schedule is the truth about state and rate (read from Scheduler, never cached); the last run comes
from the channel's record, the next run from the schedule's start and rate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.aws import ChannelSchedules, FetchQueue, Schedule
from chalicelib.dal import channel_fetches, channels
from chalicelib.dal.channel_fetches import FetchState
from chalicelib.dal.channels import Channel
from chalicelib.errors import NotFound
from chalicelib.sync.channels import has_task, settings_of


def _name(channel: Channel) -> str:
    """What the schedule does, in the merchant's words."""
    settings = settings_of(channel)
    parts = []
    if settings.moves("orders_to_quickbooks"):
        parts.append("fetch orders")
    if settings.moves("quickbooks_to_shipstation"):
        parts.append("read shipments")
    text = " and ".join(parts)
    return f"{text[0].upper()}{text[1:]} from {channel.name}"


def _task(channel: Channel, fetching: FetchState, schedule: Schedule | None, now: datetime) -> dict[str, Any]:
    last = fetching.last_fetch or None
    return {
        "id": channel.channel_id,
        "channel_id": channel.channel_id,
        "name": _name(channel),
        "kind": channel.kind,
        "state": "missing" if schedule is None else ("active" if schedule.state == "ENABLED" else "paused"),
        "every_minutes": schedule.every_minutes if schedule else channel.every_minutes,
        "last_run": (last.get("ended_at") or last.get("started_at")) if last else None,
        "next_run": next_run.isoformat() if schedule and (next_run := schedule.next_run(now)) else None,
        "last_result": {"state": last["state"], "counts": last.get("counts", {}), "error": last.get("error")}
        if last
        else None,
        "running": fetching.running,
    }


def list_tasks(tenant_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    moment = now or datetime.now(UTC)
    schedules = ChannelSchedules()
    tasked = [
        c
        for c in channels.list_for_tenant(tenant_id)
        if has_task(c.kind, c.credentials_mask or {}, settings_of(c))
    ]
    fetching = channel_fetches.get_many(tasked)
    return [_task(c, fetching[c.channel_id], schedules.get(c.channel_id), moment) for c in tasked]


def get_task(tenant_id: str, task_id: str) -> dict[str, Any]:
    channel = channels.get_for_tenant(tenant_id, task_id)
    if not has_task(channel.kind, channel.credentials_mask or {}, settings_of(channel)):
        raise NotFound(
            f"no task {task_id} (the channel has nothing to fetch on a schedule: it pushes its orders, or only receives quantities)"
        )
    return _task(
        channel, channel_fetches.get(channel), ChannelSchedules().get(channel.channel_id), datetime.now(UTC)
    )


def set_paused(tenant_id: str, task_id: str, paused: bool) -> dict[str, Any]:
    """Pause or resume the schedule. A missing schedule (deleted outside Ledgerbridge) is recreated."""
    channel = channels.get_for_tenant(tenant_id, task_id)
    if not has_task(channel.kind, channel.credentials_mask or {}, settings_of(channel)):
        raise NotFound(
            f"no task {task_id} (the channel has nothing to fetch on a schedule: it pushes its orders, or only receives quantities)"
        )
    schedules = ChannelSchedules()
    if schedules.set_state(channel.channel_id, enabled=not paused) is None:
        schedules.put(channel.channel_id, channel.every_minutes, enabled=not paused)
    return get_task(tenant_id, task_id)


def run_now(tenant_id: str, task_id: str) -> dict[str, Any]:
    """Run the task once now, as if its schedule fired (queued on the fetch queue; its consumer runs it)."""
    channel = channels.get_for_tenant(tenant_id, task_id)
    if not has_task(channel.kind, channel.credentials_mask or {}, settings_of(channel)):
        raise NotFound(
            f"no task {task_id} (the channel has nothing to fetch on a schedule: it pushes its orders, or only receives quantities)"
        )
    FetchQueue().send({"channel_id": channel.channel_id, "run_now": True})
    return get_task(tenant_id, task_id)
