"""The summary-transaction part of a channel's settings (pure): one sales receipt or invoice per channel and day
instead of one per order (docs/accounting/summary-transactions.md, `chalicelib.orders.quickbooks.summary`).

`summary` sits beside `transaction_type` rather than adding two transaction types: `transaction_type` still says
which document QuickBooks gets (`sales_receipt` or `invoice`), and `summary: "daily"` says that one such document
carries a whole day of the channel. The other fields:

* `summary_customer`: the QuickBooks customer of every summary (41 characters; added when missing), required.
* `summary_refunds`: `net` (the day's refunds are negative lines of the day's summary) or `credit_memo` (one
  credit memo per day carries them).
* `summary_time_zone`: the IANA time zone the day is counted in ("America/New_York"; default "UTC").
* `summary_close_minutes`: a day is closed, and posted, this many minutes after its local midnight (default 60,
  0 to 1440), so late orders of the day still make it.
* `summary_code`: one or two letters or digits ending the RefNumber ("D20261207" + "WS"); default: two derived
  from the channel id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chalicelib.qbxml.text import is_quickbooks_text, to_quickbooks_text
from chalicelib.validation import text_problem

__all__ = [
    "SUMMARY_FIELDS",
    "SummaryMode",
    "SummaryRefunds",
    "parse_summary_settings",
    "summary_problems",
    "summary_values_from_json",
]


class SummaryMode(StrEnum):
    NONE = "none"  # one document per order (the default)
    DAILY = "daily"  # one document per channel and day


class SummaryRefunds(StrEnum):
    NET = "net"  # negative lines of the day's summary
    CREDIT_MEMO = "credit_memo"  # one credit memo per day


CUSTOMER_NAME = 41
CLOSE_MINUTES = (0, 1440)
_CODE = re.compile(r"\A[A-Z0-9]{1,2}\Z")
SUMMARY_FIELDS = (
    "summary",
    "summary_customer",
    "summary_refunds",
    "summary_time_zone",
    "summary_close_minutes",
    "summary_code",
)
# transaction types a daily summary can be posted as
SUMMARY_TRANSACTION_TYPES = ("sales_receipt", "invoice")


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    """The IANA names this system's time zone database has (read once: it lists files)."""
    return frozenset(available_timezones())


def _time_zone_problem(name: str) -> str | None:
    if not name or len(name) > 64 or name != name.strip():
        return "must be an IANA time zone such as America/New_York"
    if name not in _time_zones() and name != "UTC":
        return "must be an IANA time zone such as America/New_York"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone such as America/New_York"
    return None


def parse_summary_settings(data: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """The summary fields given in `data`, checked; a bad one is a problem named `settings.<field>`."""
    values: dict[str, Any] = {}
    for name, choices in (("summary", SummaryMode), ("summary_refunds", SummaryRefunds)):
        if name in data:
            raw = data[name]
            if raw not in tuple(choices):
                problems[f"settings.{name}"] = f"must be one of {', '.join(choices)}"
            else:
                values[name] = choices(raw)
    if "summary_customer" in data:
        raw = data["summary_customer"]
        if not isinstance(raw, str) or len(raw.strip()) > CUSTOMER_NAME or ":" in raw:
            problems["settings.summary_customer"] = (
                f"must be a customer name of at most {CUSTOMER_NAME} characters, without ':' (a QuickBooks limit)"
            )
        elif (problem := text_problem(raw)) is not None:
            problems["settings.summary_customer"] = problem
        elif raw.strip() and not is_quickbooks_text(raw.strip(), CUSTOMER_NAME):
            # The name is sent as it is (CustomerAdd, CustomerRef): only text QuickBooks stores unchanged.
            suggestion = to_quickbooks_text(raw, CUSTOMER_NAME, word_boundary=False)
            problems["settings.summary_customer"] = (
                "must be text QuickBooks stores unchanged (Windows-1252 characters, single spaces)"
                + (f", e.g. {suggestion!r}" if suggestion else "")
            )
        else:
            values["summary_customer"] = raw.strip()
    if "summary_time_zone" in data:
        raw = data["summary_time_zone"]
        problem = _time_zone_problem(raw) if isinstance(raw, str) else "must be a string"
        if problem:
            problems["settings.summary_time_zone"] = problem
        else:
            values["summary_time_zone"] = raw
    if "summary_close_minutes" in data:
        raw = data["summary_close_minutes"]
        low, high = CLOSE_MINUTES
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            problems["settings.summary_close_minutes"] = f"must be a whole number from {low} to {high}"
        else:
            values["summary_close_minutes"] = raw
    if "summary_code" in data:
        raw = data["summary_code"]
        if not isinstance(raw, str) or not (raw == "" or _CODE.match(raw.upper())):
            problems["settings.summary_code"] = (
                "must be one or two letters or digits (the end of the RefNumber)"
            )
        else:
            values["summary_code"] = raw.upper()
    return values


def summary_problems(
    summary: str,
    transaction_type: str,
    summary_customer: str,
    moves_orders: bool,
    *,
    record_payments: bool = False,
) -> dict[str, str]:
    """What the merged settings lack for a daily summary."""
    if summary != SummaryMode.DAILY or not moves_orders:
        return {}
    problems: dict[str, str] = {}
    if transaction_type not in SUMMARY_TRANSACTION_TYPES:
        problems["settings.summary"] = (
            "a daily summary is posted as a sales receipt or an invoice: set transaction_type to "
            "sales_receipt or invoice"
        )
    elif transaction_type == "invoice" and record_payments:
        # A summary invoice is one document for a whole day: no store payment is the payment of it, and
        # Ledgerbridge posts none against it (the merchant records the day's deposit in QuickBooks).
        problems["settings.record_payments"] = (
            "must be false when summary is daily: a daily summary invoice gets no payments from the stores "
            "(use transaction_type sales_receipt to record the day as paid)"
        )
    if not summary_customer:
        problems["settings.summary_customer"] = (
            "is required when summary is daily (the customer of every summary)"
        )
    return problems


def summary_values_from_json(values: dict[str, Any]) -> None:
    """Stored settings' summary fields as their types (in place)."""
    if "summary" in values:
        values["summary"] = SummaryMode(values["summary"])
    if "summary_refunds" in values:
        values["summary_refunds"] = SummaryRefunds(values["summary_refunds"])
