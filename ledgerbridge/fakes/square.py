"""A Square seller's API as chalicelib/channels/square.py documents it (and as Square's api.json, copied in
tests/fixtures/vendors/square/, describes the documents): locations, SearchOrders by `updated_at` (both ends
inclusive, sorted by UPDATED_AT, `cursor` paging, at most 10 location_ids, `limit` up to 1000), catalog
batch-retrieve and search by SKU, inventory counts and physical counts (all or nothing per batch, idempotency
keys remembered); Bearer token auth with scopes (401 UNAUTHORIZED, 403 INSUFFICIENT_SCOPES) and the
Square-Version header; a request quota per window on `rate_clock`, 429 RATE_LIMITED (no header) once used up.

Stricter than Square where its documents are silent: the cursor is an offset into the result (the weakest
reading: orders changing between pages shift it), it is refused with any other query than its own, and a
request without Square-Version is refused."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_LIMIT = 1000
CATALOG = (("MUG-01", "Coffee Mug", 1250), ("TEE-M", "T-Shirt", 2000), ("CAP-1", "Cap", 1500))
SCOPES = frozenset(
    {"ORDERS_READ", "ITEMS_READ", "MERCHANT_PROFILE_READ", "INVENTORY_READ", "INVENTORY_WRITE"}
)
ROUTES = {
    ("GET", "/v2/locations"): "MERCHANT_PROFILE_READ",
    ("POST", "/v2/orders/search"): "ORDERS_READ",
    ("POST", "/v2/catalog/batch-retrieve"): "ITEMS_READ",
    ("POST", "/v2/catalog/search"): "ITEMS_READ",
    ("POST", "/v2/inventory/counts/batch-retrieve"): "INVENTORY_READ",
    ("POST", "/v2/inventory/changes/batch-create"): "INVENTORY_WRITE",
}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_time(value: Any) -> datetime:
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"{value!r} is not an RFC 3339 time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def usd(cents: int) -> dict[str, Any]:
    return {"amount": cents, "currency": "USD"}


def error(status: int, category: str, code: str, detail: str, field: str | None = None) -> Response:
    entry: dict[str, Any] = {"category": category, "code": code, "detail": detail}
    if field:
        entry["field"] = field
    return Response(status, {"errors": [entry]})


def bad(code: str, detail: str, field: str | None = None) -> Response:
    return error(400, "INVALID_REQUEST_ERROR", code, detail, field)


class FakeSquare(FakeStore):
    vendor = "square"

    def __init__(
        self, *, access_token: str = "EAAAl-fake-square-token", quota: int = 60, window_seconds: float = 1.0
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.scopes: set[str] = set(SCOPES)
        self.quota = quota
        self.window_seconds = window_seconds
        self.rate_clock: Callable[[], float] = time.monotonic
        self.throttled = 0
        self._window_start: float | None = None
        self._used = 0
        self._serial = 0
        self.locations: list[dict[str, Any]] = [
            {
                "id": "L1HERONMAIN",
                "name": "Blue Heron Goods",
                "business_name": "Blue Heron Goods",
                "status": "ACTIVE",
                "currency": "USD",
                "country": "US",
                "timezone": "America/Chicago",
                "type": "PHYSICAL",
                "address": {"address_line_1": "1 Main St", "locality": "Austin", "country": "US"},
            }
        ]
        self.catalog: dict[str, dict[str, Any]] = {}
        self.counts: dict[tuple[str, str], str] = {}  # (variation id, location id) -> IN_STOCK quantity
        self.idempotent: dict[str, Any] = {}
        for sku, name, cents in CATALOG:
            self.add_variation(sku, name, cents)

    # -- catalog and inventory -----------------------------------------------------------------------
    def add_variation(
        self, sku: str, name: str, cents: int, *, tracked: bool = True, variation: str = "Regular"
    ) -> str:
        """An ITEM and its one ITEM_VARIATION with `sku`; returns the variation's id."""
        with self.lock:
            self._serial += 1
            item_id, variation_id = f"ITEM{self._serial:06d}", f"VAR{self._serial:06d}"
            stamp = rfc3339(self.now)
            self.catalog[item_id] = {
                "type": "ITEM",
                "id": item_id,
                "updated_at": stamp,
                "version": 1,
                "is_deleted": False,
                "present_at_all_locations": True,
                "item_data": {"name": name, "variations": []},
            }
            self.catalog[variation_id] = {
                "type": "ITEM_VARIATION",
                "id": variation_id,
                "updated_at": stamp,
                "version": 1,
                "is_deleted": False,
                "present_at_all_locations": True,
                "item_variation_data": {
                    "item_id": item_id,
                    "name": variation,
                    "sku": sku,
                    "pricing_type": "FIXED_PRICING",
                    "price_money": usd(cents),
                    "track_inventory": tracked,
                },
            }
            return variation_id

    def variation_of(self, sku: str) -> str:
        return str(
            next(
                o["id"]
                for o in self.catalog.values()
                if o["type"] == "ITEM_VARIATION" and o["item_variation_data"].get("sku") == sku
            )
        )

    # -- orders --------------------------------------------------------------------------------------
    def add_order(
        self,
        lines: tuple[tuple[str, int], ...] = (("MUG-01", 2),),
        *,
        shipping: int = 500,
        tax_percent: str | None = "8",
        discount_percent: str | None = None,
        tip: int = 0,
        location: str | None = None,
        paid: bool = True,
    ) -> dict[str, Any]:
        """An order (SKU, quantity per line; prices from the catalog) changed at the fake clock's now, with an
        ADDITIVE order-scoped tax, an optional order-scoped percentage discount spread over the lines (Square
        apportions it), a "Shipping" service charge (not taxed), a shipment recipient and a card tender."""
        with self.lock:
            self._serial += 1
            order_id = f"ORD{self._serial:06d}SQUAREFAKE000000"
            stamp = rfc3339(self.now)
            items = []
            sub = tax_total = discount_total = 0
            for index, (sku, quantity) in enumerate(lines):
                variation_id = self.variation_of(sku)
                variation = self.catalog[variation_id]["item_variation_data"]
                price = variation["price_money"]["amount"]
                gross = price * quantity
                off = _percent(gross, discount_percent) if discount_percent else 0
                tax = _percent(gross - off, tax_percent) if tax_percent else 0
                sub += gross
                tax_total += tax
                discount_total += off
                item: dict[str, Any] = {
                    "uid": f"li{self._serial}-{index}",
                    "name": self.catalog[variation["item_id"]]["item_data"]["name"],
                    "quantity": str(quantity),
                    "catalog_object_id": variation_id,
                    "catalog_version": 1,
                    "variation_name": variation["name"],
                    "item_type": "ITEM",
                    "base_price_money": usd(price),
                    "variation_total_price_money": usd(gross),
                    "gross_sales_money": usd(gross),
                    "total_tax_money": usd(tax),
                    "total_discount_money": usd(off),
                    "total_money": usd(gross - off + tax),
                }
                if tax_percent:
                    item["applied_taxes"] = [
                        {"uid": f"at{index}", "tax_uid": "sales-tax", "applied_money": usd(tax)}
                    ]
                if discount_percent:
                    item["applied_discounts"] = [
                        {"uid": f"ad{index}", "discount_uid": "promo", "applied_money": usd(off)}
                    ]
                items.append(item)
            total = sub - discount_total + tax_total + shipping + tip
            order: dict[str, Any] = {
                "id": order_id,
                "location_id": location or self.locations[0]["id"],
                "reference_id": f"W{1000 + self._serial}",
                "source": {"name": "Blue Heron Online"},
                "customer_id": "CUST0001",
                "line_items": items,
                "taxes": (
                    [
                        {
                            "uid": "sales-tax",
                            "name": "Sales Tax",
                            "type": "ADDITIVE",
                            "percentage": tax_percent,
                            "scope": "ORDER",
                            "applied_money": usd(tax_total),
                        }
                    ]
                    if tax_percent
                    else []
                ),
                "discounts": (
                    [
                        {
                            "uid": "promo",
                            "name": "Promo",
                            "type": "FIXED_PERCENTAGE",
                            "percentage": discount_percent,
                            "scope": "ORDER",
                            "applied_money": usd(discount_total),
                        }
                    ]
                    if discount_percent
                    else []
                ),
                "service_charges": (
                    [
                        {
                            "uid": "ship",
                            "name": "Shipping",
                            "amount_money": usd(shipping),
                            "applied_money": usd(shipping),
                            "total_money": usd(shipping),
                            "total_tax_money": usd(0),
                            "calculation_phase": "TOTAL_PHASE",
                            "taxable": False,
                            "type": "CUSTOM",
                        }
                    ]
                    if shipping
                    else []
                ),
                "fulfillments": [
                    {
                        "uid": "ful1",
                        "type": "SHIPMENT",
                        "state": "PROPOSED",
                        "shipment_details": {
                            "recipient": {
                                "display_name": "Ada Lovelace",
                                "email_address": "ada@example.com",
                                "phone_number": "+1 512 555 0100",
                                "address": {
                                    "address_line_1": "12 Analytical Way",
                                    "locality": "Austin",
                                    "administrative_district_level_1": "TX",
                                    "postal_code": "78701",
                                    "country": "US",
                                },
                            }
                        },
                    }
                ],
                "tenders": (
                    [
                        {
                            "id": f"TND{self._serial:06d}",
                            "location_id": location or self.locations[0]["id"],
                            "transaction_id": order_id,
                            "created_at": stamp,
                            "amount_money": usd(total),
                            "tip_money": usd(tip),
                            "type": "CARD",
                        }
                    ]
                    if paid
                    else []
                ),
                "created_at": stamp,
                "updated_at": stamp,
                "state": "COMPLETED" if paid else "OPEN",
                "version": 1,
                "total_money": usd(total),
                "total_tax_money": usd(tax_total),
                "total_discount_money": usd(discount_total),
                "total_tip_money": usd(tip),
                "total_service_charge_money": usd(shipping),
                "net_amount_due_money": usd(0 if paid else total),
            }
            self.orders[order_id] = order
            return copy.deepcopy(order)

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 30 seconds (or a millisecond) before each."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 0.001, 1, 2.5, 30)))
            picks = rng.sample(CATALOG, rng.randint(1, 3))
            added.append(
                self.add_order(
                    tuple((sku, rng.randint(1, 3)) for sku, _, _ in picks),
                    shipping=rng.choice((0, 500, 995)),
                    discount_percent="10" if rng.random() < 0.3 else None,
                    tip=rng.choice((0, 0, 200)),
                )
            )
        return added

    def change_order(self, order_id: str, **changes: Any) -> dict[str, Any]:
        """Change an order one second later on the fake clock (updated_at moves, version goes up)."""
        with self.lock:
            order = self.orders[order_id]
            order.update(changes)
            order["updated_at"] = rfc3339(self.tick())
            order["version"] += 1
            return copy.deepcopy(order)

    def add_refund(
        self, order_id: str, cents: int, *, reason: str = "Returned goods", status: str = "APPROVED"
    ) -> dict[str, Any]:
        """Refund part of an order's card tender one second later: the refund is listed on the sold order and
        a return order (returns, no line items) is created, as Square does."""
        with self.lock:
            order = self.orders[order_id]
            moment = rfc3339(self.tick())
            refund = {
                "id": f"RFD{len(order.get('refunds') or []) + 1}{order_id[:10]}",
                "location_id": order["location_id"],
                "transaction_id": order_id,
                "tender_id": order["tenders"][0]["id"],
                "created_at": moment,
                "reason": reason,
                "amount_money": usd(cents),
                "status": status,
            }
            order.setdefault("refunds", []).append(refund)
            order["updated_at"] = moment
            order["version"] += 1
            self._serial += 1
            return_id = f"RET{self._serial:06d}SQUAREFAKE000000"
            self.orders[return_id] = {
                "id": return_id,
                "location_id": order["location_id"],
                "returns": [
                    {
                        "uid": "ret1",
                        "source_order_id": order_id,
                        "return_line_items": [
                            {
                                "uid": "rli1",
                                "source_line_item_uid": order["line_items"][0]["uid"],
                                "quantity": "1",
                                "base_price_money": order["line_items"][0]["base_price_money"],
                                "name": "Returned item",
                            }
                        ],
                    }
                ],
                "return_amounts": {"total_money": usd(cents)},
                "created_at": moment,
                "updated_at": moment,
                "state": "COMPLETED",
                "version": 1,
                "total_money": usd(0),
            }
            return copy.deepcopy(refund)

    def break_order(self, order_id: str) -> None:
        """Make an order malformed the way a broken import does: its first line loses its price."""
        with self.lock:
            del self.orders[order_id]["line_items"][0]["base_price_money"]

    def exhaust_rate_limit(self) -> None:
        """Another app used up the quota: the next request is answered 429 RATE_LIMITED."""
        with self.lock:
            self._quota_left()
            self._used = self.quota

    # -- API -----------------------------------------------------------------------------------------
    def _quota_left(self) -> int:
        now = self.rate_clock()
        if self._window_start is None or now - self._window_start >= self.window_seconds:
            self._window_start = now
            self._used = 0
        return self.quota - self._used

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.access_token}":
            return error(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized.")
        version = request.headers.get("square-version", "")
        if len(version) != 10 or version[4] != "-" or version[7] != "-":
            return bad("INVALID_SQUARE_VERSION_FORMAT", f"Square-Version {version!r} is not YYYY-MM-DD.")
        scope = ROUTES.get((request.method, request.path.rstrip("/")))
        if scope is None:
            return error(
                404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"{request.method} {request.path} not found"
            )
        if scope not in self.scopes:
            return error(
                403,
                "AUTHENTICATION_ERROR",
                "INSUFFICIENT_SCOPES",
                f"The merchant has not given your application sufficient permissions: {scope}.",
            )
        with self.lock:
            if self._quota_left() <= 0:
                self.throttled += 1
                return error(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limit exceeded.")
            self._used += 1
        if request.method == "GET":
            return Response(200, {"locations": copy.deepcopy(self.locations)})
        try:
            body = request.json()
        except ValueError:
            return bad("EXPECTED_JSON_BODY", "The body is not JSON.")
        if not isinstance(body, dict):
            return bad("EXPECTED_OBJECT", "The body must be a JSON object.")
        handler = {
            "/v2/orders/search": self._search_orders,
            "/v2/catalog/batch-retrieve": self._batch_retrieve,
            "/v2/catalog/search": self._search_catalog,
            "/v2/inventory/counts/batch-retrieve": self._counts,
            "/v2/inventory/changes/batch-create": self._change,
        }[request.path.rstrip("/")]
        with self.lock:
            return handler(body)

    def _search_orders(self, body: dict[str, Any]) -> Response:
        known = {loc["id"] for loc in self.locations}
        location_ids = body.get("location_ids")
        if not isinstance(location_ids, list) or not location_ids:
            return bad("MISSING_REQUIRED_PARAMETER", "location_ids is required", "location_ids")
        if len(location_ids) > 10:
            return bad("ARRAY_LENGTH_TOO_LONG", "at most 10 location_ids", "location_ids")
        if not set(location_ids) <= known:
            return error(
                403, "AUTHENTICATION_ERROR", "FORBIDDEN", "A location does not belong to this merchant."
            )
        limit = body.get("limit", 500)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            return bad("VALUE_TOO_HIGH", "limit must be 1 to 1000", "limit")
        if body.get("return_entries"):
            return bad("INVALID_VALUE", "this fake returns whole orders only", "return_entries")
        query = body.get("query") or {}
        the_filter = query.get("filter") or {}
        sort = query.get("sort") or {}
        if set(the_filter.get("date_time_filter") or {}) - {"updated_at"}:
            return bad(
                "INVALID_VALUE", "this fake filters by updated_at only", "query.filter.date_time_filter"
            )
        if the_filter.get("date_time_filter") and sort.get("sort_field") != "UPDATED_AT":
            return bad(
                "INVALID_VALUE", "sort_field must match the date_time_filter's field", "query.sort.sort_field"
            )
        span = (the_filter.get("date_time_filter") or {}).get("updated_at") or {}
        try:
            since = read_time(span["start_at"]) if "start_at" in span else None
            until = read_time(span["end_at"]) if "end_at" in span else self.now
        except ValueError as exc:
            return bad("INVALID_TIME", str(exc), "query.filter.date_time_filter.updated_at")
        states = (the_filter.get("state_filter") or {}).get("states")
        rows = [
            o
            for o in self.orders.values()
            if o["location_id"] in location_ids
            and (states is None or o["state"] in states)
            and (since is None or read_time(o["updated_at"]) >= since)
            and read_time(o["updated_at"]) <= until
        ]
        rows.sort(key=lambda o: read_time(o["updated_at"]), reverse=sort.get("sort_order", "DESC") == "DESC")
        signature = hashlib.sha256(
            json.dumps({**body, "cursor": None, "limit": None}, sort_keys=True).encode()
        ).hexdigest()[:16]
        start = 0
        if body.get("cursor"):
            try:
                mark = json.loads(base64.urlsafe_b64decode(body["cursor"]))
                start, signed = int(mark["offset"]), mark["query"]
            except (ValueError, KeyError, TypeError):
                return bad("INVALID_CURSOR", "The cursor is not valid.", "cursor")
            if signed != signature:
                return bad("INVALID_CURSOR", "The cursor was made for another query.", "cursor")
        chunk = rows[start : start + limit]
        answer: dict[str, Any] = {"orders": copy.deepcopy(chunk)} if chunk else {}
        if start + limit < len(rows):
            token = {"offset": start + limit, "query": signature}
            answer["cursor"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
        return Response(200, answer)

    def _batch_retrieve(self, body: dict[str, Any]) -> Response:
        ids = body.get("object_ids")
        if not isinstance(ids, list) or not ids:
            return bad("MISSING_REQUIRED_PARAMETER", "object_ids is required", "object_ids")
        deleted = body.get("include_deleted_objects") is True
        objects = [
            copy.deepcopy(self.catalog[i])
            for i in ids
            if i in self.catalog and (deleted or not self.catalog[i]["is_deleted"])
        ]
        return Response(200, {"objects": objects} if objects else {})

    def _search_catalog(self, body: dict[str, Any]) -> Response:
        query = (body.get("query") or {}).get("set_query") or {}
        if query.get("attribute_name") != "sku" or not isinstance(query.get("attribute_values"), list):
            return bad("INVALID_VALUE", "this fake searches by a set_query on sku only", "query")
        if len(query["attribute_values"]) > 250:
            return bad(
                "ARRAY_LENGTH_TOO_LONG", "at most 250 attribute_values", "query.set_query.attribute_values"
            )
        wanted = {str(v).casefold() for v in query["attribute_values"]}
        types = body.get("object_types") or ["ITEM_VARIATION"]
        rows = [
            o
            for o in self.catalog.values()
            if o["type"] in types
            and not o["is_deleted"]
            and str(o.get("item_variation_data", {}).get("sku", "")).casefold() in wanted
        ]
        limit = min(int(body.get("limit") or 100), MAX_LIMIT)
        start = int(body.get("cursor") or 0)
        chunk = rows[start : start + limit]
        answer: dict[str, Any] = {"objects": copy.deepcopy(chunk)} if chunk else {}
        if body.get("include_related_objects") and chunk:
            parents = {o["item_variation_data"]["item_id"] for o in chunk}
            answer["related_objects"] = [
                copy.deepcopy(self.catalog[p]) for p in sorted(parents) if p in self.catalog
            ]
        if start + limit < len(rows):
            answer["cursor"] = str(start + limit)
        return Response(200, answer)

    def _counts(self, body: dict[str, Any]) -> Response:
        ids = body.get("catalog_object_ids")
        locations = body.get("location_ids")
        rows = [
            {
                "catalog_object_id": vid,
                "catalog_object_type": "ITEM_VARIATION",
                "state": "IN_STOCK",
                "location_id": loc,
                "quantity": quantity,
                "calculated_at": rfc3339(self.now),
            }
            for (vid, loc), quantity in sorted(self.counts.items())
            if (ids is None or vid in ids) and (locations is None or loc in locations)
        ]
        limit = min(int(body.get("limit") or 1000), 1000)
        start = int(body.get("cursor") or 0)
        answer: dict[str, Any] = (
            {"counts": rows[start : start + limit]} if rows[start : start + limit] else {}
        )
        if start + limit < len(rows):
            answer["cursor"] = str(start + limit)
        return Response(200, answer)

    def _change(self, body: dict[str, Any]) -> Response:
        key = body.get("idempotency_key")
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            return bad("MISSING_REQUIRED_PARAMETER", "idempotency_key is required", "idempotency_key")
        if key in self.idempotent:
            return Response(200, copy.deepcopy(self.idempotent[key]))
        changes = body.get("changes") or []
        if len(changes) > 100:
            return bad("ARRAY_LENGTH_TOO_LONG", "at most 100 changes", "changes")
        known = {loc["id"] for loc in self.locations}
        staged: dict[tuple[str, str], str] = {}
        for index, change in enumerate(changes):
            count = change.get("physical_count") or {}
            where = f"changes[{index}].physical_count"
            if change.get("type") != "PHYSICAL_COUNT":
                return bad("INVALID_VALUE", "this fake takes physical counts only", f"changes[{index}].type")
            variation = self.catalog.get(count.get("catalog_object_id", ""))
            if variation is None or variation["type"] != "ITEM_VARIATION" or variation["is_deleted"]:
                return bad(
                    "INVALID_VALUE",
                    f"Item variation {count.get('catalog_object_id')} not found.",
                    f"{where}.catalog_object_id",
                )
            if count.get("location_id") not in known:
                return bad("INVALID_VALUE", "Unknown location.", f"{where}.location_id")
            if count.get("state") != "IN_STOCK":
                return bad("INVALID_ENUM_VALUE", "state must be IN_STOCK", f"{where}.state")
            try:
                quantity = Decimal(str(count["quantity"]))
                read_time(count.get("occurred_at"))
            except (KeyError, ValueError, TypeError, ArithmeticError):
                return bad("INVALID_VALUE", "quantity and occurred_at are required", where)
            if quantity < 0 or quantity != quantity.quantize(Decimal("0.00001")):
                return bad("VALUE_TOO_LOW", "A physical count cannot be negative.", f"{where}.quantity")
            staged[(variation["id"], count["location_id"])] = str(quantity)
        self.counts.update(staged)
        answer = {
            "counts": [
                {
                    "catalog_object_id": vid,
                    "catalog_object_type": "ITEM_VARIATION",
                    "state": "IN_STOCK",
                    "location_id": loc,
                    "quantity": quantity,
                    "calculated_at": rfc3339(self.now),
                }
                for (vid, loc), quantity in staged.items()
            ]
        }
        self.idempotent[key] = answer
        return Response(200, copy.deepcopy(answer))


def _percent(cents: int, percent: str | None) -> int:
    if not percent:
        return 0
    return int((Decimal(cents) * Decimal(percent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
