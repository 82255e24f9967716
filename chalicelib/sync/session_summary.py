"""What a Web Connector session keeps of what it did and what went wrong, and what it tells the Web Connector at
its end (closeConnection's text): the problems it met (at most MAX_ERRORS_KEPT, the rest counted, each a bounded
excerpt of what the Web Connector sent), the counts its jobs' answers reported, the titles of the jobs it finished."""

from __future__ import annotations

from typing import Any

from chalicelib.dal.tickets import Session

__all__ = [
    "EXCERPT_CHARS",
    "MAX_ERRORS_KEPT",
    "add_counts",
    "excerpt",
    "note_error",
    "outcome",
    "summary_text",
]

EXCERPT_CHARS = 1_000
MAX_ERRORS_KEPT = 20  # problems listed on one session (the rest are counted)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of what the Web Connector sent, marked when cut."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def note_error(session: Session, error: str) -> None:
    """A problem the session met, kept once."""
    errors = session.summary.setdefault("errors", [])
    error = excerpt(error)
    if error in errors:
        return
    if len(errors) < MAX_ERRORS_KEPT:
        errors.append(error)
    else:
        session.summary["more_errors"] = int(session.summary.get("more_errors", 0)) + 1


def add_counts(session: Session, counts: dict[str, int]) -> None:
    """Add what an answer did (each runner reports its answer's own figures) to the session's."""
    summary = session.summary.setdefault("counts", {})
    for name, value in counts.items():
        summary[name] = int(summary.get(name, 0)) + int(value)


def outcome(session: Session) -> str:
    return "failed" if session.summary.get("errors") else "completed"


def summary_text(round_trips: int, jobs: list[str], counts: dict[str, Any], errors: list[str]) -> str:
    """closeConnection's words on a session (from the session, or from its history once it ended)."""
    records = counts.get("list_records")
    parts = [f"{round_trips} round trip{'s' if round_trips != 1 else ''}"]
    if jobs:
        parts.append("done: " + ", ".join(jobs))
    if records is not None:
        parts.append(f"{records} list records cached")
    if errors:
        parts.append(f"{len(errors)} problem{'s' if len(errors) != 1 else ''}: {errors[-1]}")
    return "Ledgerbridge: " + "; ".join(parts) + "."
