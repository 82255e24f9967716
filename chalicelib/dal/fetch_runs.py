"""Fetch runs: one record per scheduled fetch or manual resync of a channel, with its progress."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.dal.models import FetchRunModel
from chalicelib.errors import NotFound

KEEP_DAYS = 90


@dataclass(frozen=True)
class FetchRun:
    run_id: str
    channel_id: str
    tenant_id: str
    trigger: str
    since: datetime | None
    until: datetime
    checkpoint: datetime | None
    page_token: str | None
    state: str
    counts: dict[str, int]
    total: int | None
    pages: int
    started_at: datetime
    ended_at: datetime | None
    error: str | None
    run_key: str


def _run(m: FetchRunModel) -> FetchRun:
    return FetchRun(
        run_id=m.run_id,
        channel_id=m.channel_id,
        tenant_id=m.tenant_id,
        trigger=m.trigger,
        since=m.since,
        until=m.until,
        checkpoint=m.checkpoint,
        page_token=m.page_token,
        state=m.state,
        counts={k: int(v) for k, v in (m.counts or {}).items()},
        total=int(m.total) if m.total is not None else None,
        pages=int(m.pages or 0),
        started_at=m.started_at,
        ended_at=m.ended_at,
        error=m.error,
        run_key=m.run_key,
    )


def new_run_id(now: datetime | None = None) -> str:
    return "run_" + (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S") + secrets.token_hex(4)


def create(
    tenant_id: str,
    channel_id: str,
    *,
    trigger: str,
    since: datetime | None,
    until: datetime,
    state: str,
    run_id: str | None = None,
) -> FetchRun:
    run_id = run_id or new_run_id()
    now = datetime.strptime(run_id[4:18], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    model = FetchRunModel(
        channel_id,
        f"{now:%Y-%m-%dT%H:%M:%S.%fZ}#{run_id}",
        run_id=run_id,
        tenant_id=tenant_id,
        trigger=trigger,
        since=since,
        until=until,
        state=state,
        counts={},
        started_at=now,
        expires_at=now + timedelta(days=KEEP_DAYS),
    )
    model.save()
    return _run(model)


def get(channel_id: str, run_id: str) -> FetchRun | None:
    """Run ids embed their start second, so the run is found by a query on one second of range keys."""
    if not run_id.startswith("run_") or len(run_id) > 40:
        return None
    started = run_id[4:18]
    try:
        moment = datetime.strptime(started, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    for model in FetchRunModel.query(
        channel_id,
        FetchRunModel.run_key.startswith(f"{moment:%Y-%m-%dT%H:%M:%S}"),
        consistent_read=True,
    ):
        if model.run_id == run_id:
            return _run(model)
    return None


def get_for_tenant(tenant_id: str, channel_id: str, run_id: str) -> FetchRun:
    run = get(channel_id, run_id)
    if run is None or run.tenant_id != tenant_id:
        raise NotFound(f"no run {run_id} for channel {channel_id}")
    return run


def latest(channel_id: str, limit: int = 20) -> list[FetchRun]:
    return [_run(m) for m in FetchRunModel.query(channel_id, scan_index_forward=False, limit=limit)]


def save_progress(
    run: FetchRun,
    *,
    state: str,
    counts: dict[str, int],
    pages: int,
    checkpoint: datetime | None,
    page_token: str | None,
    total: int | None = None,
    error: str | None = None,
    ended: bool = False,
) -> FetchRun:
    actions: list[Any] = [
        FetchRunModel.state.set(state),
        FetchRunModel.counts.set(counts),
        FetchRunModel.pages.set(pages),
    ]
    actions.append(
        FetchRunModel.checkpoint.set(checkpoint) if checkpoint else FetchRunModel.checkpoint.remove()
    )
    actions.append(
        FetchRunModel.page_token.set(page_token) if page_token else FetchRunModel.page_token.remove()
    )
    if total is not None:
        actions.append(FetchRunModel.total.set(total))
    actions.append(FetchRunModel.error.set(error) if error else FetchRunModel.error.remove())
    if ended:
        actions.append(FetchRunModel.ended_at.set(datetime.now(UTC)))
    model = FetchRunModel(run.channel_id, run.run_key)
    model.update(actions=actions)  # answers with the whole item (ALL_NEW): no read after the write
    return _run(model)
