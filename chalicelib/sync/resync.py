"""Manual resync of a date range: from the API (queued, run by the fetch consumer) or the CLI (run by
invoking the resync handler until the run is done)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from chalicelib.aws import FetchQueue
from chalicelib.dal.fetch_runs import FetchRun
from chalicelib.errors import InvalidInput
from chalicelib.sync.fetch import start_resync
from chalicelib.validation import moment_problem


def parse_moment(value: str, *, end: bool = False) -> datetime:
    """2026-11-01 (a whole day: its start, or its end when `end`) or an ISO 8601 date-time with a zone,
    from 1970 to 2099 (checked before any arithmetic: the end of 9999-12-31 is past `datetime.max`)."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime.combine(day, time.min, tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date (2026-11-01) or date-time (2026-11-01T08:00:00Z)") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} needs a time zone (Z or +hh:mm)")
    problem = moment_problem(parsed)
    if problem is not None:
        raise ValueError(f"{value!r} {problem}")
    return parsed + timedelta(days=1) if end and len(value) == 10 else parsed


def parse_range(since: str, until: str) -> tuple[datetime, datetime]:
    problems = {}
    start = end = None
    try:
        start = parse_moment(since)
    except ValueError as exc:
        problems["from"] = str(exc)
    try:
        end = parse_moment(until, end=True)
    except ValueError as exc:
        problems["to"] = str(exc)
    if not problems and start is not None and end is not None and start >= end:
        problems["to"] = "must be after from"
    if problems or start is None or end is None:
        raise InvalidInput.of("invalid resync range", problems)
    return start, end


def queue_resync(tenant_id: str, channel_id: str, since: datetime, until: datetime) -> FetchRun:
    """Record the resync and queue it for the fetch consumer."""
    run = start_resync(tenant_id, channel_id, since, until)
    FetchQueue().send({"channel_id": channel_id, "run_id": run.run_id})
    return run
