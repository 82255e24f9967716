"""Lambda entry points of channel fetching.

- `fetch_channel`: the target of every channel's EventBridge Scheduler schedule ({"channel_id": ...}).
- `resync_channel`: invoked by the CLI ({"channel_id", "from", "to"} to start, {"channel_id", "run_id"} to go
  on); each call runs for at most `max_pages` pages and returns the run, so the caller can show progress.
- `fetch_queue`: the consumer of the fetch queue (resyncs asked for through the API, and their
  continuations when one Lambda's time was not enough).

Each call logs with the Lambda context and the channel as correlation id, counts the fetch run it brought to
an end (`FetchRuns`: done, incomplete or failed; `FetchRunsFailed`: failed; a run still running, queued or
waiting is counted by the call that ends it) and flushes its metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, SQSEvent

from chalicelib.aws import FetchQueue
from chalicelib.errors import AppError
from chalicelib.observability import BusinessMetric, count, invocation, logger

if TYPE_CHECKING:
    from types import ModuleType

bp = Blueprint(__name__)


def _fetch() -> ModuleType:
    """The fetch use cases, loaded when a fetch handler first runs: the app's other Lambdas (the SOAP and REST
    API among them) never load the store connectors."""
    from chalicelib.sync import fetch

    return fetch


def __getattr__(name: str) -> Any:
    if name == "fetch":  # `events.fetch.fetch`, as the module was used before it loaded lazily
        return _fetch()
    raise AttributeError(name)


WAIT_SECONDS = 60
MAX_REQUEUES = 30  # a queued resync waits or retries for at most ~30 minutes, then fails with its reason


ENDED_RUN_STATES = ("done", "incomplete", "failed")


def count_run(view: dict[str, Any]) -> dict[str, Any]:
    """Count a run that ended in this call; returns `view`."""
    if view.get("state") in ENDED_RUN_STATES:
        count(BusinessMetric.FETCH_RUNS)
        if view.get("state") == "failed":
            count(BusinessMetric.FETCH_RUNS_FAILED)
    return view


def handle_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    fetch = _fetch()
    run = fetch.scheduled_fetch(str(event.get("channel_id", "")), fetch.Budget.for_lambda(context))
    return count_run(fetch.run_view(run) if run else {"state": "skipped"})


def handle_resync(event: dict[str, Any], context: Any) -> dict[str, Any]:
    fetch = _fetch()
    channel_id = str(event.get("channel_id", ""))
    max_pages = event.get("max_pages")
    budget = fetch.Budget.for_lambda(context, max_pages if isinstance(max_pages, int) else None)
    try:
        run_id = event.get("run_id")
        if not run_id:
            from chalicelib.sync.resync import parse_range

            start, end = parse_range(str(event.get("from", "")), str(event.get("to", "")))
            tenant_id = str(event.get("tenant_id") or _tenant_of(channel_id))
            run_id = fetch.start_resync(tenant_id, channel_id, start, end).run_id
        run = fetch.continue_run(channel_id, str(run_id), budget)
    except AppError as exc:
        return {"state": "refused", "error": exc.message}
    if run is None:
        return {"state": "refused", "error": f"no run {run_id} for {channel_id}"}
    return count_run(fetch.run_view(run))


def _tenant_of(channel_id: str) -> str:
    from chalicelib.dal import channels

    channel = channels.get(channel_id)
    if channel is None:
        raise AppError(f"no channel {channel_id}")
    return channel.tenant_id


def handle_queued(body: dict[str, Any], context: Any) -> None:
    """One queued resync: run it within this invocation's budget, queue what is left. A "run now" of a
    task runs what its schedule runs."""
    if body.get("run_now"):
        handle_schedule({"channel_id": body.get("channel_id", "")}, context)
        return
    fetch = _fetch()
    channel_id, run_id = str(body.get("channel_id", "")), str(body.get("run_id", ""))
    run = fetch.continue_run(channel_id, run_id, fetch.Budget.for_lambda(context))
    if run is None:
        logger.warning("queued fetch for an unknown run", extra={"channel_id": channel_id, "run_id": run_id})
        return
    count_run(fetch.run_view(run))
    if run.state == "running":
        FetchQueue().send({"channel_id": channel_id, "run_id": run_id})
    elif run.state in ("waiting", "retry_later"):
        attempt = int(body.get("attempt", 0)) + 1
        if attempt > MAX_REQUEUES:
            reason = run.error or "another run of this channel kept it busy"
            fetch.give_up(run, f"Gave up after {MAX_REQUEUES} tries: {reason}")
            return
        FetchQueue().send(
            {"channel_id": channel_id, "run_id": run_id, "attempt": attempt}, delay_seconds=WAIT_SECONDS
        )


def _channel(event: Any) -> str | None:
    channel_id = event.get("channel_id") if isinstance(event, dict) else None
    return str(channel_id) if channel_id else None


@bp.lambda_function(name="fetch_channel")
def fetch_channel(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with invocation("fetch_channel", context, _channel(event)):
        return handle_schedule(event, context)


@bp.lambda_function(name="resync_channel")
def resync_channel(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with invocation("resync_channel", context, _channel(event)):
        return handle_resync(event, context)


@bp.on_sqs_message(queue=FetchQueue.queue_name(), batch_size=1)
def fetch_queue(event: SQSEvent) -> None:
    import json

    for record in event:
        body = json.loads(record.body)
        with invocation("fetch_queue", event.context, _channel(body)):
            handle_queued(body, event.context)
