"""The daily summary e-mail: once a day (07:00 UTC), yesterday's sales of each tenant and what needs the
merchant (chalicelib/sync/summary_mail.py)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from chalicelib.observability import invocation

bp = Blueprint(__name__)
SUMMARY_CRON = Cron(0, 7, "*", "*", "?", "*")  # every day at 07:00 UTC


@bp.schedule(SUMMARY_CRON, name="daily_summary")
def daily_summary(event: Any) -> None:
    with invocation("daily_summary", getattr(event, "context", None), None):
        from chalicelib.sync.summary_mail import send_daily_summaries  # loaded when the event runs

        send_daily_summaries()
