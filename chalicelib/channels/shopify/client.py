"""The Shopify connector's GraphQL client: one query or mutation to the Admin API, the cost bucket read from
every answer's `extensions.cost` (waiting (cost - available) / restoreRate before the next query), THROTTLED
and internal errors retried a few times, MAX_COST_EXCEEDED as `QueryTooExpensive`, ACCESS_DENIED in plain
words; and reading connections (`nodes`, `pageInfo`) and text out of an answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from chalicelib.channels.base import (
    FatalError,
    Http,
    RetriableError,
)

API_VERSION = "2025-01"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
THROTTLE_ATTEMPTS = 6  # THROTTLED / INTERNAL_SERVER_ERROR answers retried before giving up

REJECTED = (
    "Shopify rejected the access token. Check that it was copied whole (it starts with shpat_) and that "
    "the app that issued it is still installed on the store."
)
MISSING_SCOPE = (
    "The Shopify access token is not allowed to read orders: the app lacks the read_orders access scope. "
    "In Shopify admin, open the app's Admin API access scopes, allow Orders (read_orders), install the "
    "app again and enter the new access token here."
)


@dataclass(frozen=True)
class QueryCost:
    """`extensions.cost` of one answer."""

    requested: float
    maximum: float
    available: float
    restore_rate: float

    @staticmethod
    def read(body: Mapping[str, Any]) -> QueryCost | None:
        extensions = body.get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
        status = cost.get("throttleStatus") if isinstance(cost, Mapping) else None
        if not isinstance(cost, Mapping) or not isinstance(status, Mapping):
            return None
        try:
            return QueryCost(
                requested=float(cost["requestedQueryCost"]),
                maximum=float(status["maximumAvailable"]),
                available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def wait_for(self, cost: float) -> float:
        """Seconds until the bucket holds `cost` points (0 when it already does)."""
        if self.available >= cost:
            return 0.0
        if self.restore_rate <= 0:
            return float("inf")
        return (cost - self.available) / self.restore_rate


class QueryTooExpensive(FatalError):
    """Shopify refuses the query's requested cost (above the single-query limit or the bucket's size)."""

    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"Shopify refused Ledgerbridge's order query as too expensive (cost {cost}, limit {limit})."
        )
        self.cost = cost
        self.limit = limit


def _error_code(error: Any) -> str:
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return code if isinstance(code, str) else ""


def _error_text(errors: Any) -> str:
    if isinstance(errors, list):
        texts = [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
        return "; ".join(texts)[:300]
    return str(errors)[:300]


_COST_IN_TEXT = re.compile(r"cost is (\d+).*?\((\d+)\)", re.DOTALL)


def _too_expensive(error: Mapping[str, Any]) -> QueryTooExpensive:
    extensions = error.get("extensions")
    extensions = extensions if isinstance(extensions, Mapping) else {}
    cost, limit = extensions.get("cost"), extensions.get("maxCost")
    if not isinstance(cost, int | float) or not isinstance(limit, int | float):
        found = _COST_IN_TEXT.search(str(error.get("message", "")))
        cost, limit = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    return QueryTooExpensive(int(cost), int(limit))


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _nodes(connection: Any) -> list[Any]:
    nodes = connection.get("nodes") if isinstance(connection, Mapping) else None
    return list(nodes) if isinstance(nodes, list) else []


def _more_after(connection: Any) -> str | None:
    info = connection.get("pageInfo") if isinstance(connection, Mapping) else None
    if isinstance(info, Mapping) and info.get("hasNextPage") and isinstance(info.get("endCursor"), str):
        return str(info["endCursor"])
    return None


class ShopifyGraphQL:
    """Running queries against one shop (the connection is set up by ShopifyConnector)."""

    base_url: str
    http: Http
    last_cost: QueryCost | None
    _wait_before_next: float

    def _query(
        self,
        query: str,
        variables: Mapping[str, Any],
        denied: Callable[[Any], str] | None = None,
    ) -> dict[str, Any]:
        """Run one query, waiting for the cost bucket before it and retrying THROTTLED answers.
        `denied` words an ACCESS_DENIED answer (default: the read_orders message)."""
        wait = 0.0
        reason = "Shopify kept limiting requests (query cost)"
        for attempt in range(1, THROTTLE_ATTEMPTS + 1):
            if self._wait_before_next > 0:
                wait, self._wait_before_next = self._wait_before_next, 0.0
                self.http.wait(wait)
            response = self.http.request(
                "POST", GRAPHQL_PATH, json={"query": query, "variables": dict(variables)}
            )
            body = self._decode(response)
            cost = QueryCost.read(body)
            if cost is not None:
                self.last_cost = cost
                # The next query is most likely this one again: wait until the bucket holds its cost.
                self._wait_before_next = cost.wait_for(cost.requested)
            errors = body.get("errors")
            if not errors:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise RetriableError("Shopify answered without data; the next run will try again.")
                return data
            if not isinstance(errors, list):
                raise FatalError(f"Shopify refused the request: {_error_text(errors)}")
            codes = {_error_code(e) for e in errors}
            if "ACCESS_DENIED" in codes:
                raise FatalError(denied(errors) if denied is not None else MISSING_SCOPE)
            if "MAX_COST_EXCEEDED" in codes:
                raise _too_expensive(next(e for e in errors if _error_code(e) == "MAX_COST_EXCEEDED"))
            if "THROTTLED" in codes:
                reason = "Shopify kept limiting requests (query cost)"
                if cost is not None and cost.requested > cost.maximum:
                    raise QueryTooExpensive(int(cost.requested), int(cost.maximum))
                if cost is None:  # no figures: back off
                    self._wait_before_next = min(60.0, 2.0**attempt)
                continue
            if codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}:
                reason = f"Shopify had an internal error ({_error_text(errors)})"
                self._wait_before_next = max(self._wait_before_next, min(60.0, 2.0**attempt))
                continue
            raise FatalError(
                f"Shopify refused Ledgerbridge's request ({_error_text(errors)}). The store cannot fix this; "
                "please tell Ledgerbridge support."
            )
        raise RetriableError(
            f"{reason} after {THROTTLE_ATTEMPTS} attempts; the next run will go on from here.",
            retry_after=self._wait_before_next or wait or None,
        )

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise FatalError(
                f"{self.base_url} answered, but not as Shopify's Admin API; check the shop address."
            ) from None
        if not isinstance(body, dict):
            raise FatalError(
                f"{self.base_url} answered, but not as Shopify's Admin API; check the shop address."
            )
        return body
