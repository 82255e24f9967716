"""Query parameters of the REST API's lists: `status`, `limit` (1..500) and the `after` cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from chalicelib.errors import BadRequest

MAX_LIMIT = 500


class ListQuery(NamedTuple):
    """A list route's parameters, checked."""

    status: str | None
    limit: int
    after: str | None
    params: dict[str, str]


def list_query(
    query_params: Mapping[str, str] | None, statuses: Sequence[str], *, extra: Sequence[str] = ()
) -> ListQuery:
    """The list's parameters, with a 400 naming what is wrong (unknown parameter, status, limit)."""
    params: dict[str, str] = dict(query_params or {})
    unknown = set(params) - {"status", "limit", "after", *extra}
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    status = params.get("status") or None
    if status and status not in statuses:
        raise BadRequest(f"status must be one of: {', '.join(statuses)}")
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return ListQuery(status, limit, params.get("after") or None, params)
