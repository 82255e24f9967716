"""Reading a store's values: text, amounts, money and timestamps, the same way for every vendor."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.validation import text_problem

CENT = Decimal("0.01")


def text(value: Any, limit: int = 500) -> str:
    """A store's text field, trimmed and cut to `limit`; missing (or a boolean) is empty."""
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()[:limit]


def amount(value: Any, *, required: bool = False) -> Decimal:
    """A store's amount (a decimal string or a JSON number) as a Decimal; missing is 0 unless required."""
    if value is None or value == "":
        if required:
            raise ValueError("a required amount is missing")
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"{value!r} is not an amount")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    return result


def money(value: Decimal) -> str:
    """ "12.50"; an amount with more than two decimals is kept as is (the canonical parser reports it)."""
    value = value + 0  # no "-0.00"
    return str(value.quantize(CENT)) if value == value.quantize(CENT) else str(value)


def parse_time(value: Any) -> datetime:
    """An ISO 8601 timestamp from a store; naive ones are taken as UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    """2026-11-22T10:00:00Z (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


MAX_ATTRIBUTES = 50


def attributes(pairs: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """A store's own fields of an order ((name, value) pairs: Shopify's custom attributes, WooCommerce's public
    meta data) as the canonical order's `attributes`, for order rules: text values only, names up to 100 and values
    up to 500 characters, at most MAX_ATTRIBUTES; a pair that is not text is left out, never the order."""
    found: dict[str, str] = {}
    for key, value in pairs:
        if not (isinstance(key, str) and key.strip() and isinstance(value, str | int | float)) or isinstance(
            value, bool
        ):
            continue
        name, shown = text(key, 100), text(str(value), 500)
        if text_problem(name) is None and text_problem(shown, multiline=True) is None:
            found.setdefault(name, shown)
        if len(found) == MAX_ATTRIBUTES:
            break
    return found
