"""The fake Shopify store itself (`FakeShopify`): its settings and state, the HTTP endpoint
`POST /admin/api/<version>/graphql.json` (access token, body), running a query or mutation (validation
against the sample order, cost, throttling) and the query roots (`shop`, `orders`, `ordersCount`, `order`,
`refund`, `currentAppInstallation`, `location`, `productVariants`) with their access scopes."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from ledgerbridge.fakes.base import Request, Response
from ledgerbridge.fakes.shopify.cost import (
    MAX_QUERY_COST,
    MUTATION_COST,
    PLANS,
    RATE_LIMIT_DOCS,
    CostBucket,
    actual_cost,
    requested_cost,
)
from ledgerbridge.fakes.shopify.documents import gid, numeric_id
from ledgerbridge.fakes.shopify.graphql import (
    Field,
    GraphQLError,
    Operation,
    _access_denied,
    _Args,
    parse_query,
)
from ledgerbridge.fakes.shopify.inventory import PRIMARY_LOCATION, SECOND_LOCATION, ShopifyInventory
from ledgerbridge.fakes.shopify.orders import ShopifyOrders
from ledgerbridge.fakes.shopify.search import _Index

API_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json$")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
DEFAULT_SCOPES = frozenset(
    {
        "read_orders",
        "read_all_orders",
        "read_products",
        "read_inventory",
        "write_inventory",
        "read_locations",
    }
)


class FakeShopify(ShopifyOrders, ShopifyInventory, CostBucket):
    """A Shopify store on 127.0.0.1 with an order book, a query-cost bucket and a request log."""

    vendor = "shopify"

    def __init__(
        self,
        *,
        access_token: str = "shpat_fake0123456789abcdef",
        shop_name: str = "Blue Heron Goods",
        plan: str = "standard",
        currency: str = "USD",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.shop_name = shop_name
        self.currency = currency
        self.scopes: set[str] = set(DEFAULT_SCOPES)
        self.clock = clock
        self.maximum_available, self.restore_rate = PLANS[plan]
        self.max_query_cost = MAX_QUERY_COST
        self._available = self.maximum_available
        self._bucket_time = clock()
        self.throttled = 0  # THROTTLED answers given
        self.costs: list[dict[str, Any]] = []  # extensions.cost of every answer, in order
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1001)
        self._version = 0
        self._indexes: dict[str, _Index] = {}
        self._sample = self._build_sample()
        # inventory: locations, products and variants (by gid), inventory items with levels per location
        self.locations: dict[str, dict[str, Any]] = {
            PRIMARY_LOCATION: {"id": PRIMARY_LOCATION, "name": "Main warehouse", "isActive": True},
            SECOND_LOCATION: {"id": SECOND_LOCATION, "name": "Pop-up shop", "isActive": True},
        }
        self.primary_location = PRIMARY_LOCATION
        self.second_location = SECOND_LOCATION
        self.products: dict[str, dict[str, Any]] = {}
        self.variants: dict[str, dict[str, Any]] = {}
        self.inventory_items: dict[str, dict[str, Any]] = {}
        self.inventory_set_calls = 0  # inventorySetQuantities mutations executed (refused ones included)
        self._adjustments = itertools.count(1)

    # -- HTTP ----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.method != "POST" or not API_PATH.match(request.path):
            return Response(404, {"errors": "Not Found"})
        if request.headers.get("x-shopify-access-token") != self.access_token:
            return Response(401, {"errors": INVALID_TOKEN})
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return Response(400, {"errors": {"variables": "must be an object"}})
        with self.lock:
            return Response(200, self._graphql(body["query"], variables, body.get("operationName")))

    def _graphql(self, text: str, variables: Mapping[str, Any], operation_name: Any) -> dict[str, Any]:
        try:
            operation = parse_query(text, operation_name if isinstance(operation_name, str) else None)

            def args(field: Field) -> _Args:
                return _Args(field, operation, variables)

            self._validate(operation, args)
            requested = sum(
                MUTATION_COST if operation.kind == "mutation" else requested_cost(f, args)
                for f in operation.selections
            )
        except GraphQLError as exc:
            return {"errors": [exc.as_json()]}
        if requested > self.max_query_cost:
            return {
                "errors": [
                    GraphQLError(
                        f"Query cost is {requested}, which exceeds the single query max cost limit "
                        f"({self.max_query_cost}).",
                        "MAX_COST_EXCEEDED",
                        cost=requested,
                        maxCost=self.max_query_cost,
                        documentation=RATE_LIMIT_DOCS,
                    ).as_json()
                ]
            }
        self._refill()
        if requested > self._available + 1e-9:
            self.throttled += 1
            cost = self._cost(requested, None)
            return {
                "errors": [GraphQLError("Throttled", "THROTTLED", documentation=RATE_LIMIT_DOCS).as_json()],
                "extensions": {"cost": cost},
            }
        self._available -= requested
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for field in operation.selections:
            try:
                data[field.key] = (
                    self._mutate(field, args) if operation.kind == "mutation" else self._root(field, args)
                )
            except GraphQLError as exc:
                data[field.key] = None
                errors.append(exc.as_json([field.key]))
        actual = (
            requested
            if operation.kind == "mutation"
            else min(requested, sum(actual_cost(f, data.get(f.key)) for f in operation.selections))
        )
        self._available = min(self.maximum_available, self._available + requested - actual)
        answer: dict[str, Any] = {"data": data, "extensions": {"cost": self._cost(requested, actual)}}
        if errors:
            answer["errors"] = errors
        return answer

    # -- execution -----------------------------------------------------------------------------------
    ROOTS = (
        "shop",
        "orders",
        "ordersCount",
        "order",
        "refund",
        "currentAppInstallation",
        "location",
        "productVariants",
    )
    MUTATIONS = ("inventorySetQuantities",)

    def _validate(self, operation: Operation, args: Callable[[Field], _Args]) -> None:
        if operation.kind == "mutation":
            for field in operation.selections:
                if field.name not in self.MUTATIONS:
                    raise GraphQLError(
                        f"Field '{field.name}' doesn't exist on type 'Mutation'", "undefinedField"
                    )
                self._project(self._sample_payload(), field, args, strict=True)
            return
        for field in operation.selections:
            if field.name == "location":
                self._project(self.locations[PRIMARY_LOCATION], field, args, strict=True)
                continue
            if field.name == "productVariants":
                args(field).page_size()
                view = self._variant_view(self._sample_variant(), field, args)
                self._connection([view], ["x"], False, False, field, args, strict=True)
                continue
            if field.name not in self.ROOTS:
                raise GraphQLError(
                    f"Field '{field.name}' doesn't exist on type 'QueryRoot'", "undefinedField"
                )
            sample: Any
            if field.name == "orders":
                args(field).page_size()
                self._connection([self._sample], ["x"], False, False, field, args, strict=True)
                continue
            if field.name == "order":
                sample = self._sample
            elif field.name == "refund":
                sample = self._sample["refunds"][0]
            elif field.name == "ordersCount":
                sample = {"count": 1, "precision": "EXACT"}
            elif field.name == "shop":
                sample = self._shop()
            else:
                sample = {"accessScopes": [{"handle": "read_orders"}]}
            self._project(sample, field, args, strict=True)

    def _root(self, field: Field, args: Callable[[Field], _Args]) -> Any:
        a = args(field)
        if field.name == "shop":
            return self._project(self._shop(), field, args)
        if field.name == "currentAppInstallation":
            scopes = {"accessScopes": [{"handle": s} for s in sorted(self.scopes)]}
            return self._project(scopes, field, args)
        if field.name == "location":
            if "read_locations" not in self.scopes:
                raise _access_denied("location", "read_locations")
            wanted = a.get("id")
            return self._project(self.locations.get(wanted or self.primary_location), field, args)
        if field.name == "productVariants":
            return self._product_variants(field, a, args)
        if "read_orders" not in self.scopes:
            raise GraphQLError(
                f"Access denied for {field.name} field. Required access: `read_orders` access scope.",
                "ACCESS_DENIED",
                documentation="https://shopify.dev/api/usage/access-scopes",
                requiredAccess="`read_orders` access scope.",
            )
        if field.name == "order":
            doc = self.orders.get(numeric_id(a.get("id") or ""))
            return self._project(doc, field, args)
        if field.name == "refund":
            wanted = a.get("id")
            found = next(
                (r for d in self.orders.values() for r in d.get("refunds", []) if r.get("id") == wanted),
                None,
            )
            return self._project(found, field, args)
        if field.name == "ordersCount":
            limit = a.get("limit", 10000)
            matches = sum(1 for _ in self._matching(a.get("query") or "", "ID", None, False))
            precision = "AT_LEAST" if limit is not None and matches > limit else "EXACT"
            counted = {"count": min(matches, limit) if limit is not None else matches, "precision": precision}
            return self._project(counted, field, args)
        return self._orders(field, a, args)

    def _shop(self) -> dict[str, Any]:
        return {
            "id": gid("Shop", 1),
            "name": self.shop_name,
            "myshopifyDomain": "blue-heron.myshopify.com",
            "currencyCode": self.currency,
            "ianaTimezone": "America/Los_Angeles",
            "email": "owner@example.com",
        }
