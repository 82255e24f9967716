"""Delivering the daily summary e-mail (chalicelib/sync/sales_summary.py `daily_summary`): through SES in
AWS, and on the local stack (where an AWS endpoint is set) as a file under the settings' `mail_dir`, so a
developer can read what would have been sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.aws import client
from chalicelib.dal import tenants
from chalicelib.observability import logger
from chalicelib.settings import Settings, get_settings
from chalicelib.sync.sales_summary import DailySummary, daily_summary


@dataclass(frozen=True)
class Delivery:
    tenant_id: str
    subject: str
    where: str  # "ses:<message id>", a file path, or "skipped: <why>"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def deliver(
    summary: DailySummary, tenant_name: str, settings: Settings | None = None, *, to: str | None = None
) -> Delivery:
    """Send the summary to `to` (the merchant's own address, `PUT /api/v1/account`), else to the deployment's
    LEDGERBRIDGE_SUMMARY_TO."""
    s = settings or get_settings()
    recipient = to or s.summary_to
    subject = f"{tenant_name}: {summary.subject}"
    if s.aws_endpoint_url:  # the local stack: no mail leaves the machine
        folder = Path(s.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"daily-summary-{summary.day.isoformat()}-{_safe(summary.tenant_id)}.txt"
        shown = recipient or "(no address set: PUT /api/v1/account or LEDGERBRIDGE_SUMMARY_TO)"
        path.write_text(f"To: {shown}\nSubject: {subject}\n\n{summary.text}", encoding="utf-8")
        return Delivery(summary.tenant_id, subject, str(path))
    if not (s.summary_from and recipient):
        return Delivery(summary.tenant_id, subject, "skipped: no sender or recipient set")
    answer = client("ses", s).send_email(
        Source=s.summary_from,
        Destination={"ToAddresses": [recipient]},
        Message={
            "Subject": {"Data": subject[:200], "Charset": "UTF-8"},
            "Body": {"Text": {"Data": summary.text, "Charset": "UTF-8"}},
        },
    )
    return Delivery(summary.tenant_id, subject, f"ses:{answer['MessageId']}")


def send_daily_summaries(now: datetime | None = None, settings: Settings | None = None) -> list[Delivery]:
    """Yesterday's summary of every tenant, one e-mail each; one tenant's failure does not stop the others."""
    now = now or datetime.now(UTC)
    sent = []
    for tenant in tenants.list_tenants():
        try:
            delivery = deliver(
                daily_summary(tenant.tenant_id, now), tenant.name, settings, to=tenant.summary_email
            )
        except Exception:
            logger.exception("daily summary not sent", extra={"tenant_id": tenant.tenant_id})
            continue
        logger.info("daily summary", extra={"tenant_id": tenant.tenant_id, "where": delivery.where})
        sent.append(delivery)
    return sent
