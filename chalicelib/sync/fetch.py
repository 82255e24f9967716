"""Fetching a channel's orders from its store: scheduled runs and manual resyncs.

A run reads its window page by page (oldest change first), stores each page through the same path as the
custom store's push (idempotent per channel and order id, the channel's filters, QuickBooks work queued),
and only then records the page: the run's checkpoint and, for scheduled runs, the channel's bookmark. A
crash re-reads at most one page; folding by (channel, order id) makes that harmless. A lease on the channel
keeps two runs of one channel from overlapping. Runs stop cleanly before their time budget ends; a resync
is then continued by its next invocation, a scheduled run by the next schedule (from the bookmark).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.aws import ChannelSecrets
from chalicelib.channels import spec
from chalicelib.channels.base import (
    Connector,
    FatalError,
    FetchedOrder,
    HttpOptions,
    RetriableError,
    Window,
)
from chalicelib.dal import channel_fetches, channel_outbound, channels, fetch_runs
from chalicelib.dal.channels import Channel
from chalicelib.dal.fetch_runs import FetchRun
from chalicelib.errors import BadRequest, Conflict
from chalicelib.observability import logger
from chalicelib.orders.model import Order, parse_order
from chalicelib.settings import get_settings
from chalicelib.sync.channels import first_since, pulls, settings_of
from chalicelib.sync.orders import store_orders, store_unreadable
from chalicelib.sync.shipstation_outbound import record_shipments

MAX_RESYNC_DAYS = 366
FINISHED = ("done", "failed")


@dataclass(frozen=True)
class Budget:
    """How long a run may go on: until `deadline` (time.monotonic) and at most `max_pages` pages."""

    deadline: float
    max_pages: int | None = None

    @classmethod
    def seconds(cls, seconds: float, max_pages: int | None = None) -> Budget:
        return cls(time.monotonic() + seconds, max_pages)

    @classmethod
    def for_lambda(cls, context: Any, max_pages: int | None = None) -> Budget:
        """Stop a minute before the Lambda's own timeout (room for one last page and the bookkeeping)."""
        remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else 840.0
        return cls.seconds(max(remaining - 60, 5), max_pages)


def connector_for(channel: Channel, credentials: dict[str, str] | None = None) -> Connector:
    settings = get_settings()
    options = HttpOptions(
        allow_private_urls=settings.allow_private_store_urls, base_url_overrides=settings.store_api_urls
    )
    values = credentials if credentials is not None else ChannelSecrets().get(channel.channel_id)
    return spec(channel.kind).build(values, options)


def scheduled_fetch(channel_id: str, budget: Budget, *, now: datetime | None = None) -> FetchRun | None:
    """What a schedule firing does. None when there is nothing to do (channel gone, push-only, or the
    previous run still holds the channel)."""
    channel = channels.get(channel_id)
    if channel is None:
        logger.warning("schedule fired for a channel that no longer exists", extra={"channel_id": channel_id})
        return None
    if not pulls(channel.kind, channel.credentials_mask or {}):
        return None
    moment = now or datetime.now(UTC)
    if settings_of(channel).moves("quickbooks_to_shipstation"):
        fetch_shipments(channel, moment)
    if not settings_of(channel).moves("orders_to_quickbooks"):
        return None
    run_id = fetch_runs.new_run_id(moment)
    settings = get_settings()
    state = channel_fetches.take_lease(channel, run_id, time.time(), settings.fetch_lease_seconds)
    if state is None:
        logger.info("previous fetch still running; this firing is skipped", extra={"channel_id": channel_id})
        return None
    since = (
        state.bookmark - timedelta(seconds=settings.fetch_overlap_seconds)
        if state.bookmark
        else first_since(channel)
    )
    run = fetch_runs.create(
        channel.tenant_id,
        channel_id,
        trigger="schedule",
        since=since,
        until=moment,
        state="running",
        run_id=run_id,
    )
    return _run_pages(channel, run, budget)


def fetch_shipments(channel: Channel, now: datetime) -> dict[str, int]:
    """ShipStation's shipments created since the channel's shipments bookmark (less the overlap): each one
    for a sale Ledgerbridge sent waits for the next Web Connector run to write its tracking."""
    overlap = timedelta(seconds=get_settings().fetch_overlap_seconds)
    bookmark = channel_outbound.get(channel).shipments_bookmark
    since = (bookmark or first_since(channel)) - overlap  # recording is idempotent
    counts: Counter[str] = Counter()
    error = None
    try:
        connector: Any = connector_for(channel)
        token = None
        while True:
            page = connector.fetch_shipments(Window(since, now), token)
            counts.update(record_shipments(channel, page.shipments, now))
            token = page.next_token
            if token is None:
                break
        channel_outbound.record_shipments_bookmark(channel.channel_id, now)
    except (FatalError, RetriableError) as exc:
        error = exc.message  # the bookmark stays: the next run reads the same shipments again
    summary_ = {"what": "shipments", "at": now.isoformat(), "counts": dict(counts), "error": error}
    channel_outbound.record_push(channel.channel_id, summary_)
    (logger.warning if error else logger.info)(
        "shipments read", extra={"channel_id": channel.channel_id, **summary_}
    )
    return dict(counts)


def start_resync(tenant_id: str, channel_id: str, since: datetime, until: datetime) -> FetchRun:
    """Record a manual resync of [since, until] (it runs when continued: SQS consumer, Lambda, CLI)."""
    channel = channels.get_for_tenant(tenant_id, channel_id)
    if not pulls(channel.kind, channel.credentials_mask or {}):
        raise Conflict(
            "This custom store pushes its orders (it has no API address to fetch from); push them again instead."
        )
    problems = {}
    if since.tzinfo is None or until.tzinfo is None:
        problems["from"] = "dates must include a time zone (Z or +hh:mm)"
    elif since >= until:
        problems["to"] = "must be after from"
    elif until - since > timedelta(days=MAX_RESYNC_DAYS):
        problems["to"] = f"a resync covers at most {MAX_RESYNC_DAYS} days; split longer ranges"
    elif since > datetime.now(UTC):
        problems["from"] = "is in the future"
    if problems:
        raise BadRequest(
            "invalid resync range: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
            details={"fields": problems},
        )
    return fetch_runs.create(
        tenant_id,
        channel_id,
        trigger="resync",
        since=since,
        until=min(until, datetime.now(UTC)),
        state="queued",
    )


def continue_run(channel_id: str, run_id: str, budget: Budget) -> FetchRun | None:
    """Go on with a resync (or a scheduled run cut short) for as long as the budget allows. A run whose
    channel is held by another run comes back as `waiting`; None when the run does not exist."""
    run = fetch_runs.get(channel_id, run_id)
    channel = channels.get(channel_id)
    if run is None or channel is None:
        return None
    if run.state in FINISHED:
        return run
    if channel_fetches.take_lease(channel, run_id, time.time(), get_settings().fetch_lease_seconds) is None:
        if run.state != "waiting":
            run = fetch_runs.save_progress(
                run,
                state="waiting",
                counts=run.counts,
                pages=run.pages,
                checkpoint=run.checkpoint,
                page_token=run.page_token,
            )
        return run
    return _run_pages(channel, run, budget)


def _orders_of(page: list[FetchedOrder]) -> tuple[list[tuple[Order, dict[str, Any]]], list[FetchedOrder]]:
    """The page's readable orders (each id once, its latest version) and its unreadable ones."""
    latest: dict[str, FetchedOrder] = {}
    for fetched in page:
        seen = latest.get(fetched.order_id)
        if seen is None or fetched.updated_at >= seen.updated_at:
            latest[fetched.order_id] = fetched
    readable = []
    unreadable = []
    for fetched in latest.values():
        if fetched.document is None:
            unreadable.append(fetched)
        else:
            readable.append((fetched.order or parse_order(fetched.document), fetched.document))
    return readable, unreadable


def _run_pages(channel: Channel, run: FetchRun, budget: Budget) -> FetchRun:
    """Run the pages; an unexpected error fails the run and gives the channel back before it propagates
    (a killed Lambda instead leaves the lease to lapse, and the next run goes on from the bookmark)."""
    try:
        return _pages(channel, run, budget)
    except Exception:
        current = fetch_runs.get(run.channel_id, run.run_id) or run
        failed = fetch_runs.save_progress(
            current,
            state="failed",
            counts=current.counts,
            pages=current.pages,
            checkpoint=current.checkpoint,
            page_token=current.page_token,
            error="An internal error stopped this run; it has been logged. The next run goes on from here.",
            ended=True,
        )
        channel_fetches.release_lease(channel.channel_id, run.run_id, summary(failed))
        raise


def give_up(run: FetchRun, reason: str) -> FetchRun:
    """End a resync that could not go on (the store kept failing, or the channel stayed busy)."""
    return fetch_runs.save_progress(
        run,
        state="failed",
        counts=run.counts,
        pages=run.pages,
        checkpoint=run.checkpoint,
        page_token=None,
        error=reason,
        ended=True,
    )


def _pages(channel: Channel, run: FetchRun, budget: Budget) -> FetchRun:
    settings = get_settings()
    counts: Counter[str] = Counter(run.counts)
    pages = run.pages
    token = run.page_token
    checkpoint = run.checkpoint
    total = run.total
    window = Window(run.since, run.until)
    state, error = "running", None
    started_pages = 0
    try:
        connector = connector_for(channel)
        while True:
            if time.monotonic() >= budget.deadline or (
                budget.max_pages is not None and started_pages >= budget.max_pages
            ):
                state = "running" if run.trigger == "resync" else "incomplete"
                break
            started_pages += 1
            page = connector.fetch_page(window, token)
            readable, unreadable = _orders_of(page.orders)
            stored, _ = store_orders(channel, readable)
            for bad in unreadable:
                store_unreadable(channel, bad.order_id, bad.number, bad.problem or "unreadable")
            counts["fetched"] += len(page.orders)
            counts["unreadable"] += len(unreadable)
            counts["already_in_quickbooks"] += stored["in_quickbooks"] + stored["changed_after_sync"]
            for outcome in ("new", "changed", "unchanged", "refunded", "skipped"):
                counts[outcome] += stored[outcome]
            pages += 1
            total = page.total if page.total is not None else total
            if page.orders:
                newest = max(o.updated_at for o in page.orders)
                checkpoint = max(checkpoint, newest) if checkpoint else newest
                if run.trigger == "schedule":
                    channel_fetches.advance_bookmark(channel.channel_id, run.run_id, newest)
            token = page.next_token
            if token is None:
                state = "done"
                break
            run = fetch_runs.save_progress(
                run,
                state="running",
                counts=dict(counts),
                pages=pages,
                checkpoint=checkpoint,
                page_token=token,
                total=total,
            )
            channel_fetches.renew_lease(
                channel.channel_id, run.run_id, time.time(), settings.fetch_lease_seconds
            )
    except FatalError as exc:
        state, error = "failed", exc.message
    except RetriableError as exc:
        state, error = "retry_later", exc.message
    ended = state != "running"
    run = fetch_runs.save_progress(
        run,
        state=state,
        counts=dict(counts),
        pages=pages,
        checkpoint=checkpoint,
        page_token=None if state in ("done", "incomplete") else token,
        total=total,
        error=error,
        ended=ended,
    )
    channel_fetches.release_lease(channel.channel_id, run.run_id, summary(run) if ended else None)
    log = logger.warning if error else logger.info
    log(
        "fetch run stopped",
        extra={
            "channel_id": channel.channel_id,
            "run_id": run.run_id,
            "state": state,
            "counts": dict(counts),
        },
    )
    return run


def summary(run: FetchRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "trigger": run.trigger,
        "state": run.state,
        "started_at": run.started_at.isoformat(),
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
        "counts": run.counts,
        "error": run.error,
    }


def run_view(run: FetchRun) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "channel_id": run.channel_id,
        "trigger": run.trigger,
        "state": run.state,
        "from": run.since.isoformat() if run.since else None,
        "to": run.until.isoformat(),
        "pages": run.pages,
        "total": run.total,
        "counts": run.counts,
        "error": run.error,
        "started_at": run.started_at.isoformat(),
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
    }
