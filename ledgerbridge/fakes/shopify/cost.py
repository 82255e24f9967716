"""Query cost and throttling of the fake Shopify store, by Shopify's rules: the requested cost of a selection
(scalar and enum 0, object 1, connection 2 + first x node) charged before running, the actual cost of what was
returned (the difference goes back to the bucket), and the leaky bucket itself (`CostBucket`: 1,000 points
restoring 50/s, 2,000 and 100/s on the advanced plan, on the store's `clock`), which answers THROTTLED when a
query's requested cost does not fit. Every answer carries `extensions.cost`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ledgerbridge.fakes.base import FakeStore
from ledgerbridge.fakes.shopify.graphql import Field, _Args, _is_connection, _node_selections

MAX_QUERY_COST = 1000
PLANS = {"standard": (1000.0, 50.0), "advanced": (2000.0, 100.0)}
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
MUTATION_COST = 10


def requested_cost(field: Field, args: Callable[[Field], _Args]) -> int:
    """The cost Shopify charges before running: the maximum the selection could return."""
    if field.selections is None:
        return 0
    if _is_connection(field):
        size, _ = args(field).page_size()
        node = 1 + sum(requested_cost(f, args) for f in _node_selections(field))
        extra = sum(requested_cost(f, args) for f in field.selections if f.name not in ("nodes", "edges"))
        return 2 + size * node + extra
    inner = 1 + sum(requested_cost(f, args) for f in field.selections)
    first = args(field).count("first") if "first" in field.arguments else None
    return inner * (first if first is not None else 1)


def actual_cost(field: Field, value: Any) -> int:
    """The cost of what was returned (Shopify refunds the difference to the bucket)."""
    if field.selections is None or value is None:
        return 0
    if isinstance(value, list):
        return sum(actual_cost(field, item) for item in value)
    if not isinstance(value, dict):
        return 0
    if _is_connection(field):
        nodes_field, edges_field = field.child("nodes"), field.child("edges")
        nodes: list[Any] = []
        if nodes_field is not None:
            nodes = list(value.get(nodes_field.key) or [])
        elif edges_field is not None:
            node_field = edges_field.child("node")
            key = node_field.key if node_field is not None else "node"
            nodes = [e.get(key) for e in value.get(edges_field.key) or [] if isinstance(e, dict)]
        node_fields = _node_selections(field)
        per = sum(
            1 + sum(actual_cost(f, n.get(f.key)) for f in node_fields) for n in nodes if isinstance(n, dict)
        )
        extra = sum(
            actual_cost(f, value.get(f.key)) for f in field.selections if f.name not in ("nodes", "edges")
        )
        return 2 + per + extra
    return 1 + sum(actual_cost(f, value.get(f.key)) for f in field.selections)


class CostBucket(FakeStore):
    """The query-cost bucket of the fake Shopify store (its state is set up by FakeShopify)."""

    clock: Callable[[], float]
    maximum_available: float
    restore_rate: float
    _available: float
    _bucket_time: float
    throttled: int
    costs: list[dict[str, Any]]

    def set_available(self, points: float) -> None:
        """Put the cost bucket at `points` now (0: the next query is throttled)."""
        with self.lock:
            self._refill()
            self._available = max(0.0, min(self.maximum_available, points))

    @property
    def available(self) -> float:
        with self.lock:
            self._refill()
            return self._available

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self._bucket_time)
        self._available = min(self.maximum_available, self._available + elapsed * self.restore_rate)
        self._bucket_time = now

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        cost = {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": self.maximum_available,
                "currentlyAvailable": math.floor(self._available + 1e-9),
                "restoreRate": self.restore_rate,
            },
        }
        self.costs.append(cost)
        return cost
