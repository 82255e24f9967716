"""Finding orders and paging in the fake Shopify store: Shopify's search syntax (the subset the connector uses:
`updated_at` / `created_at` with `:`, `:>`, `:>=`, `:<`, `:<=`, `status`, `id`; the `sku:` terms of a
productVariants search), the sorted index of the orders, and keyset cursors (the last sort value and id,
base64), so an order changed while a client is paging moves to its new place instead of shifting the pages."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledgerbridge.fakes.shopify.documents import numeric_id
from ledgerbridge.fakes.shopify.graphql import GraphQLError


@dataclass
class _Index:
    version: int
    keys: list[tuple[float, int]]  # (sort value, numeric id), ascending
    docs: list[dict[str, Any]]


def _epoch(value: Any) -> float:
    if not isinstance(value, str):
        return 0.0
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _int_id(doc: Mapping[str, Any]) -> int:
    try:
        return int(numeric_id(doc.get("id", "0")))
    except ValueError:
        return 0


@dataclass(frozen=True)
class _Term:
    field: str
    op: str  # ":", ">", ">=", "<", "<="
    value: str


_TERM = re.compile(r"""(\w+):(>=|<=|>|<)?\s*('[^']*'|"[^"]*"|\S+)""")


def parse_search(query: str) -> list[_Term]:
    """Shopify search syntax, the subset the connector uses: space-separated `field:[op]value` terms
    (AND). Anything else is ignored, as Shopify ignores filters it does not know."""
    return [
        _Term(m.group(1).lower(), m.group(2) or ":", m.group(3).strip("'\""))
        for m in _TERM.finditer(query or "")
    ]


def _time_value(raw: str) -> float:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphQLError(f"Invalid search value {raw!r}: not a date or date-time", "BAD_REQUEST") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _compare(left: float, op: str, right: float) -> bool:
    return {
        ":": left == right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def _status_of(doc: Mapping[str, Any]) -> str:
    if doc.get("cancelledAt"):
        return "cancelled"
    if doc.get("closedAt"):
        return "closed"
    return "open"


def _time_check(key: str, op: str, bound: float) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: _compare(_epoch(doc.get(key)), op, bound)


def _status_check(status: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: _status_of(doc) == status


def _id_check(wanted: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: numeric_id(doc.get("id", "")) == wanted


def _matcher(terms: Sequence[_Term]) -> Callable[[Mapping[str, Any]], bool]:
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for term in terms:
        if term.field in ("updated_at", "created_at"):
            key = "updatedAt" if term.field == "updated_at" else "createdAt"
            checks.append(_time_check(key, term.op, _time_value(term.value)))
        elif term.field == "status" and term.value != "any":
            checks.append(_status_check(term.value))
        elif term.field == "id":
            checks.append(_id_check(numeric_id(term.value)))
    return lambda doc: all(check(doc) for check in checks)


def _cursor(value: float, ident: int) -> str:
    raw = json.dumps({"last_id": ident, "last_value": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[float, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return float(data["last_value"]), int(data["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError("Invalid cursor for current pagination sort.", "BAD_REQUEST") from exc


_SKU_TERM = re.compile(r"""sku:(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s()]+))""", re.IGNORECASE)


def parse_sku_search(query: str) -> list[str]:
    """The values of the `sku:` terms of a productVariants search (OR-ed); other terms are ignored."""
    values = []
    for match in _SKU_TERM.finditer(query or ""):
        raw = next(group for group in match.groups() if group is not None)
        values.append(re.sub(r"\\(.)", r"\1", raw))
    return values
