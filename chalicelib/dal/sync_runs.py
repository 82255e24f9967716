"""Sync history: one record per Web Connector session, with its counts, round trips and errors.

Kept SYNC_RUN_RETENTION_DAYS after the session started, then removed by DynamoDB's TTL (`expires_at`): the
history would otherwise grow forever (a run every few minutes per connection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.dal.models import SyncRunModel

SYNC_RUN_RETENTION_DAYS = 400  # over a year: last year's same month stays visible


@dataclass(frozen=True)
class SyncRun:
    connection_id: str
    ticket: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    round_trips: int
    requests: int
    errors: list[str]
    counts: dict[str, Any]
    jobs: list[str]


def _run(m: SyncRunModel) -> SyncRun:
    return SyncRun(
        connection_id=m.connection_id,
        ticket=m.ticket,
        started_at=m.started_at,
        ended_at=m.ended_at,
        outcome=m.outcome,
        round_trips=int(m.round_trips or 0),
        requests=int(m.requests or 0),
        errors=[str(e) for e in (m.errors or [])],
        counts=dict(m.counts or {}),
        jobs=[str(j) for j in (m.jobs or [])],
    )


def _key(started_at: datetime, ticket: str) -> str:
    return f"{started_at.strftime('%Y%m%dT%H%M%S.%fZ')}#{ticket[:12]}"


def _expires(started_at: datetime) -> datetime:
    return started_at + timedelta(days=SYNC_RUN_RETENTION_DAYS)


def start(connection_id: str, ticket: str, started_at: datetime) -> None:
    SyncRunModel(
        connection_id,
        _key(started_at, ticket),
        ticket=ticket,
        started_at=started_at,
        expires_at=_expires(started_at),
    ).save()


def finish(
    connection_id: str,
    ticket: str,
    started_at: datetime,
    *,
    ended_at: datetime,
    outcome: str,
    round_trips: int,
    requests: int,
    errors: list[str],
    counts: dict[str, Any],
    jobs: list[str] | None = None,
) -> None:
    SyncRunModel(
        connection_id,
        _key(started_at, ticket),
        ticket=ticket,
        started_at=started_at,
        ended_at=ended_at,
        outcome=outcome,
        round_trips=round_trips,
        requests=requests,
        errors=errors[-20:],
        counts=counts,
        jobs=jobs or None,
        expires_at=_expires(started_at),
    ).save()


def get(connection_id: str, ticket: str, started_at: datetime) -> SyncRun | None:
    """The record of the session `ticket` that started at `started_at`, or None."""
    try:
        return _run(SyncRunModel.get(connection_id, _key(started_at, ticket), consistent_read=True))
    except SyncRunModel.DoesNotExist:
        return None


def recent(connection_id: str, limit: int = 50) -> list[SyncRun]:
    return [_run(m) for m in SyncRunModel.query(connection_id, scan_index_forward=False, limit=limit)]
