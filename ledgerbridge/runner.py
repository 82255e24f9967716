"""The local stand-in for EventBridge Scheduler and the fetch queue's Lambda trigger.

On the embedded stack nothing fires schedules or consumes SQS by itself, so `make run` starts this runner:
every few seconds it reads the same schedules from the embedded Scheduler, fires the ones due (a rate
schedule fires at start + k * rate, like Scheduler) by calling the same handler the fetch Lambda runs, and
drains the fetch and store push queues through the same handlers as their SQS triggers (a store push that
failed for a while is retried after RETRY_SECONDS, as SQS redelivers after the visibility timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.aws import ChannelSchedules, FetchQueue, Schedule, StorePushQueue
from chalicelib.dal import channel_fetches, channels
from chalicelib.events import fetch as handlers
from chalicelib.observability import logger
from chalicelib.sync.store_push import StorePushFailed, handle_push

TICK_SECONDS = 5.0
RETRY_SECONDS = 30


class LocalRunner:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self.fired: dict[str, datetime] = {}

    def due(self, now: datetime) -> list[Schedule]:
        """Schedules with a firing not yet run. On first sight a schedule fires at once only when its
        channel never ran; otherwise its next firing is awaited (a restart does not fire everything)."""
        found = []
        for schedule in ChannelSchedules().all():
            moment = schedule.latest(now) if schedule.state == "ENABLED" else None
            if moment is None:
                continue
            previous = self.fired.get(schedule.name)
            if previous is None:
                channel = channels.get(schedule.channel_id)
                never_ran = channel is not None and channel_fetches.get(channel).last_fetch is None
                self.fired[schedule.name] = moment
                if never_ran:
                    found.append(schedule)
            elif moment > previous:
                self.fired[schedule.name] = moment
                found.append(schedule)
        return found

    def tick(self) -> int:
        """Fire what is due and drain the fetch queue; returns the number of handler calls."""
        calls = 0
        for schedule in self.due(self.clock()):
            handlers.handle_schedule({"channel_id": schedule.channel_id}, None)
            calls += 1
        queue = FetchQueue()
        while (job := queue.take()) is not None:
            try:
                handlers.handle_queued(job.body, None)
            finally:
                queue.done(job.receipt_handle)
            calls += 1
        pushes = StorePushQueue()
        while (job := pushes.take()) is not None:
            try:
                handle_push(job.body)
            except StorePushFailed:
                pushes.retry_later(job.receipt_handle, RETRY_SECONDS)
            else:
                pushes.done(job.receipt_handle)
            calls += 1
        return calls

    def run_in_thread(self, stop: threading.Event, seconds: float = TICK_SECONDS) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(seconds):
                try:
                    self.tick()
                except Exception:  # the runner must outlive one bad tick, as Scheduler would
                    logger.exception("local runner tick failed")

        thread = threading.Thread(target=loop, name="local-runner", daemon=True)
        thread.start()
        return thread
