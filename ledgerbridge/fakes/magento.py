"""A Magento 2 / Adobe Commerce store's REST API as chalicelib/channels/magento.py documents it, the documents
shaped by Adobe's Swagger schema (tests/fixtures/vendors/magento/, checked by test_magento_openapi.py).

- `Authorization: Bearer <integration access token>`, else 401 {"message": "The consumer isn't authorized
  to access %resources.", "parameters": [{"resources": ...}]} (error parameters as Adobe's schema has
  them: a list of {resources, fieldName, fieldValue}; a live store may send one object instead);
- GET /rest[/<store code>]/V1/orders, /creditmemos, /inventory/source-items, /products with searchCriteria
  (filter_groups or filterGroups, condition_type or conditionType; eq, neq, gt, gteq, lt, lteq, in, nin;
  sortOrders; pageSize at most 300; currentPage): {"items", "search_criteria", "total_count"}. A
  currentPage past the end answers the last page again, as Magento does;
- POST /V1/inventory/source-items {"sourceItems": [...]}: saved all or none; 400 "Validation Failed" with
  its errors when a SKU is not a product or the source does not exist;
- no rate-limit headers (Magento has none); a CDN-like limit of `rate_limit` requests per `rate_window`
  seconds on `rate_clock` answers 429, with Retry-After unless `retry_after_header` is off.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_PAGE_SIZE = 300  # Magento 2.4.7+: webapi/validation/maximum_page_size
CATALOG = (("MUG-01", "Coffee Mug", "12.50"), ("TEE-M", "T-Shirt - M", "20.00"), ("CAP-1", "Cap", "15.00"))
CENT = Decimal("0.01")
UNAUTHORIZED = {
    "message": "The consumer isn't authorized to access %resources.",
    "parameters": [{"resources": "Magento_Sales::actions_view"}],
}
NO_ROUTE = {"message": "Request does not match any route."}


def money(value: Decimal) -> float:
    return float(value.quantize(CENT))


class FakeMagento(FakeStore):
    vendor = "magento"

    def __init__(
        self,
        *,
        access_token: str = "mg-integration-token",
        rate_limit: int = 1000,
        rate_window: float = 10.0,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.website = "Blue Heron Goods"
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.retry_after_header = True
        self.rate_clock: Callable[[], float] = time.monotonic
        self.throttled = 0
        self._window_start: float | None = None
        self._used = 0
        self._next = 0
        self._item = 0
        self.credit_memos: list[dict[str, Any]] = []
        self.products: dict[str, dict[str, Any]] = {}
        self.source_items: dict[tuple[str, str], dict[str, Any]] = {}
        self.sources = {"default", "warehouse-east"}
        for index, (sku, name, price) in enumerate(CATALOG):
            self.add_product(sku, name, price, quantity=10 * (index + 1))

    # -- test controls -------------------------------------------------------------------------------
    def moment(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%S")

    def add_product(
        self,
        sku: str,
        name: str,
        price: str = "10.00",
        *,
        type_id: str = "simple",
        quantity: int | None = None,
    ) -> None:
        """A catalog product; with `quantity`, its source item at the default source."""
        with self.lock:
            self.products[sku] = {
                "id": len(self.products) + 1,
                "sku": sku,
                "name": name,
                "attribute_set_id": 4,
                "price": float(price),
                "status": 1,
                "visibility": 4,
                "type_id": type_id,
                "created_at": self.moment(),
                "updated_at": self.moment(),
            }
            if quantity is not None:
                self.source_items[(sku, "default")] = {
                    "sku": sku,
                    "source_code": "default",
                    "quantity": float(quantity),
                    "status": 1 if quantity > 0 else 0,
                }

    def add_order(
        self,
        lines: tuple[tuple[str, str, int, str], ...] = (("MUG-01", "Coffee Mug", 2, "12.50"),),
        *,
        shipping: str = "5.00",
        tax_rate: str = "0.08",
        coupon: str | None = None,
        coupon_percent: str = "10",
        paid: bool = True,
        guest: bool = False,
    ) -> dict[str, Any]:
        """An order placed (and changed) at the fake clock's now: tax per item at `tax_rate` on the
        discounted row, the coupon's discount on the items, one shipping assignment; invoiced when `paid`."""
        with self.lock:
            self._next += 1
            entity = self._next
            items = []
            subtotal = tax = discount = Decimal(0)
            for sku, name, quantity, price in lines:
                self._item += 1
                row = Decimal(price) * quantity
                row_discount = (row * Decimal(coupon_percent) / 100).quantize(CENT) if coupon else Decimal(0)
                row_tax = ((row - row_discount) * Decimal(tax_rate)).quantize(CENT)
                subtotal += row
                discount += row_discount
                tax += row_tax
                items.append(
                    {
                        "item_id": self._item,
                        "order_id": entity,
                        "quote_item_id": self._item,
                        "sku": sku,
                        "name": name,
                        "product_id": self.products.get(sku, {}).get("id", 99),
                        "product_type": "simple",
                        "qty_ordered": float(quantity),
                        "qty_invoiced": float(quantity) if paid else 0.0,
                        "qty_refunded": 0.0,
                        "price": money(Decimal(price)),
                        "base_price": money(Decimal(price)),
                        "original_price": money(Decimal(price)),
                        "row_total": money(row),
                        "discount_amount": money(row_discount),
                        "discount_percent": float(coupon_percent) if coupon else 0.0,
                        "tax_amount": money(row_tax),
                        "tax_percent": float(Decimal(tax_rate) * 100),
                        "price_incl_tax": money(Decimal(price) * (1 + Decimal(tax_rate))),
                        "row_total_incl_tax": money(row + row_tax),
                        "is_virtual": 0,
                        "store_id": 1,
                        "created_at": self.moment(),
                        "updated_at": self.moment(),
                    }
                )
            ship = Decimal(shipping)
            total = subtotal - discount + ship + tax
            street = ["12 Analytical Way", "Suite 3"]
            contact = {
                "firstname": "Ada",
                "lastname": "Lovelace",
                "street": street,
                "city": "Austin",
                "region": "Texas",
                "region_code": "TX",
                "region_id": 57,
                "postcode": "78701",
                "country_id": "US",
                "telephone": "512-555-0100",
                "email": "ada@example.com",
            }
            billing = {**contact, "address_type": "billing", "entity_id": entity * 2, "parent_id": entity}
            shipping_address = {
                **contact,
                "address_type": "shipping",
                "entity_id": entity * 2 + 1,
                "parent_id": entity,
            }
            order: dict[str, Any] = {
                "entity_id": entity,
                "increment_id": f"{entity:09d}",
                "state": "processing" if paid else "new",
                "status": "processing" if paid else "pending",
                "created_at": self.moment(),
                "updated_at": self.moment(),
                "store_id": 1,
                "store_name": f"{self.website}\n{self.website} Store\nDefault Store View",
                "order_currency_code": "USD",
                "base_currency_code": "USD",
                "global_currency_code": "USD",
                "store_currency_code": "USD",
                "customer_email": "ada@example.com",
                "customer_firstname": "Ada",
                "customer_lastname": "Lovelace",
                "customer_is_guest": 1 if guest else 0,
                "customer_group_id": 0 if guest else 1,
                "subtotal": money(subtotal),
                "base_subtotal": money(subtotal),
                "discount_amount": money(-discount),
                "base_discount_amount": money(-discount),
                "shipping_amount": money(ship),
                "base_shipping_amount": money(ship),
                "shipping_tax_amount": 0.0,
                "shipping_discount_amount": 0.0,
                "shipping_incl_tax": money(ship),
                "shipping_description": "Flat Rate - Fixed",
                "tax_amount": money(tax),
                "base_tax_amount": money(tax),
                "grand_total": money(total),
                "base_grand_total": money(total),
                "total_paid": money(total) if paid else 0.0,
                "total_invoiced": money(total) if paid else 0.0,
                "total_due": 0.0 if paid else money(total),
                "total_refunded": 0.0,
                "total_qty_ordered": float(sum(q for _, _, q, _ in lines)),
                "total_item_count": len(lines),
                "weight": 1.0,
                "is_virtual": 0,
                "customer_note": "",
                "items": items,
                "billing_address": billing,
                "billing_address_id": billing["entity_id"],
                "payment": {
                    "account_status": "",
                    "additional_information": ["Check / Money order"],
                    "cc_last4": "",
                    "method": "checkmo",
                    "amount_ordered": money(total),
                    "amount_paid": money(total) if paid else 0.0,
                    "entity_id": entity,
                    "parent_id": entity,
                },
                "status_histories": [],
                "extension_attributes": {
                    "shipping_assignments": [
                        {
                            "shipping": {
                                "address": shipping_address,
                                "method": "flatrate_flatrate",
                                "total": {
                                    "shipping_amount": money(ship),
                                    "shipping_tax_amount": 0.0,
                                    "shipping_discount_amount": 0.0,
                                    "shipping_incl_tax": money(ship),
                                },
                            },
                            "items": copy.deepcopy(items),
                        }
                    ]
                },
            }
            if coupon:
                order["coupon_code"] = coupon
                order["discount_description"] = coupon
            self.orders[str(entity)] = order
            return copy.deepcopy(order)

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 30 seconds before each (some share an updated_at)."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 1, 2, 30)))
            picks = rng.sample(CATALOG, rng.randint(1, 3))
            added.append(
                self.add_order(
                    tuple((sku, name, rng.randint(1, 3), price) for sku, name, price in picks),
                    shipping=rng.choice(("0.00", "5.00", "9.95")),
                    coupon="SAVE10" if rng.random() < 0.3 else None,
                )
            )
        return added

    def change_order(self, order_id: str | int, **changes: Any) -> dict[str, Any]:
        """Change an order's fields one second later on the fake clock (updated_at moves to then)."""
        with self.lock:
            order = self.orders[str(order_id)]
            order.update(changes)
            self.tick()
            order["updated_at"] = self.moment()
            return copy.deepcopy(order)

    def break_order(self, order_id: str | int) -> None:
        """Make an order malformed the way a broken import does: its first item has no price."""
        with self.lock:
            del self.orders[str(order_id)]["items"][0]["price"]

    def add_credit_memo(
        self, order_id: str | int, item_id: int, qty: int, *, shipping: str = "0"
    ) -> dict[str, Any]:
        """Refund `qty` of one item (its share of the row's discount and tax) and `shipping`, one second
        later; the order's total_refunded and updated_at change with it, as Magento saves the order."""
        with self.lock:
            order = self.orders[str(order_id)]
            item = next(i for i in order["items"] if i["item_id"] == item_id)
            share = Decimal(qty) / Decimal(str(item["qty_ordered"]))
            row = Decimal(str(item["price"])) * qty
            discount = (Decimal(str(item["discount_amount"])) * share).quantize(CENT)
            tax = (Decimal(str(item["tax_amount"])) * share).quantize(CENT)
            ship = Decimal(shipping)
            total = row - discount + tax + ship
            self.tick()
            memo = {
                "entity_id": len(self.credit_memos) + 1,
                "increment_id": f"{len(self.credit_memos) + 1:09d}",
                "order_id": order["entity_id"],
                "state": 2,
                "created_at": self.moment(),
                "updated_at": self.moment(),
                "order_currency_code": "USD",
                "subtotal": money(row),
                "discount_amount": money(-discount),
                "tax_amount": money(tax),
                "shipping_amount": money(ship),
                "adjustment_positive": 0.0,
                "adjustment_negative": 0.0,
                "grand_total": money(total),
                "base_grand_total": money(total),
                "items": [
                    {
                        "entity_id": len(self.credit_memos) + 1,
                        "order_item_id": item_id,
                        "sku": item["sku"],
                        "name": item["name"],
                        "qty": float(qty),
                        "price": item["price"],
                        "base_price": item["price"],
                        "base_cost": 0.0,
                        "row_total": money(row),
                        "discount_amount": money(discount),
                        "tax_amount": money(tax),
                    }
                ],
            }
            self.credit_memos.append(memo)
            item["qty_refunded"] = float(Decimal(str(item["qty_refunded"])) + qty)
            order["total_refunded"] = money(Decimal(str(order["total_refunded"])) + total)
            order["updated_at"] = self.moment()
            return copy.deepcopy(memo)

    def exhaust_rate_limit(self) -> None:
        """Another client used up the CDN's allowance: the next request is answered 429."""
        with self.lock:
            self._allowance()
            self._used = self.rate_limit

    # -- API -----------------------------------------------------------------------------------------
    def _allowance(self) -> tuple[int, float]:
        """(requests left, seconds until the window resets); opens a new window when due."""
        now = self.rate_clock()
        if self._window_start is None or now - self._window_start >= self.rate_window:
            self._window_start = now
            self._used = 0
        return self.rate_limit - self._used, self.rate_window - (now - self._window_start)

    def handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "rest":
            return Response(404, NO_ROUTE)
        route = parts[2:] if parts[1] == "V1" else parts[3:] if len(parts) > 3 and parts[2] == "V1" else None
        if route is None:
            return Response(404, NO_ROUTE)
        with self.lock:
            left, reset = self._allowance()
            if left <= 0:
                self.throttled += 1
                headers = {"Retry-After": str(max(1, round(reset)))} if self.retry_after_header else {}
                return Response(429, {"message": "Too Many Requests"}, headers)
            self._used += 1
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return Response(401, UNAUTHORIZED)
        with self.lock:
            return self._route(request, "/".join(route))

    def _route(self, request: Request, route: str) -> Response:
        if request.method == "POST" and route == "inventory/source-items":
            return self._save_source_items(request)
        if request.method != "GET":
            return Response(404, NO_ROUTE)
        tables: dict[str, list[dict[str, Any]]] = {
            "orders": list(self.orders.values()),
            "creditmemos": self.credit_memos,
            "inventory/source-items": list(self.source_items.values()),
            "products": list(self.products.values()),
        }
        if route not in tables:
            return Response(404, NO_ROUTE)
        return self._search(request, tables[route])

    def _search(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        try:
            criteria = read_criteria(request.query)
            found = [
                r for r in rows if all(any(matches(r, f) for f in g["filters"]) for g in criteria["groups"])
            ]
        except ValueError as exc:
            return Response(400, {"message": str(exc)})
        size = criteria["page_size"]
        if size is not None and not 0 < size <= MAX_PAGE_SIZE:
            return Response(
                400,
                {
                    "message": 'Invalid value of "%fieldValue" provided for the %fieldName field.',
                    "parameters": [{"fieldName": "pageSize", "fieldValue": str(size)}],
                },
            )
        for order in reversed(criteria["sort"]):  # stable sorts, the last key first
            field = order["field"]
            found.sort(key=lambda r: sort_key(r.get(field)), reverse=order["direction"] == "DESC")
        total = len(found)
        page = criteria["current_page"] or 1
        if size is not None:
            last = max(1, -(-total // size))
            page = min(page, last)  # Magento answers a page past the end with the last one
            found = found[(page - 1) * size : page * size]
        echo: dict[str, Any] = {
            "filter_groups": [{"filters": g["filters"]} for g in criteria["groups"]],
        }
        if criteria["sort"]:
            echo["sort_orders"] = criteria["sort"]
        if size is not None:
            echo["page_size"] = size
            echo["current_page"] = page
        return Response(200, {"items": copy.deepcopy(found), "search_criteria": echo, "total_count": total})

    def _save_source_items(self, request: Request) -> Response:
        body = request.json()
        items = body.get("sourceItems") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return Response(
                400,
                {
                    "message": '"%fieldName" is required. Enter and try again.',
                    "parameters": [{"fieldName": "sourceItems"}],
                },
            )
        errors = []
        for item in items:
            sku = item.get("sku") if isinstance(item, dict) else None
            source = item.get("source_code") if isinstance(item, dict) else None
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if not isinstance(sku, str) or sku.casefold() not in {s.casefold() for s in self.products}:
                errors.append(
                    {
                        "message": 'Product with SKU "%fieldValue" does not exist.',
                        "parameters": [{"fieldName": "sku", "fieldValue": str(sku)}],
                    }
                )
            if source not in self.sources:
                errors.append(
                    {
                        "message": 'Source "%fieldValue" does not exist.',
                        "parameters": [{"fieldName": "source_code", "fieldValue": str(source)}],
                    }
                )
            if isinstance(quantity, bool) or not isinstance(quantity, int | float):
                errors.append(
                    {
                        "message": '"%fieldName" should be numeric.',
                        "parameters": [{"fieldName": "quantity"}],
                    }
                )
        if errors:
            return Response(400, {"message": "Validation Failed", "errors": errors})
        for item in items:
            sku = next(s for s in self.products if s.casefold() == item["sku"].casefold())
            self.source_items[(sku, item["source_code"])] = {
                "sku": sku,
                "source_code": item["source_code"],
                "quantity": float(item["quantity"]),
                "status": int(item.get("status", 1 if item["quantity"] > 0 else 0)),
            }
        return Response(200, [])


def read_criteria(query: Mapping[str, list[str]]) -> dict[str, Any]:
    """searchCriteria from the query string, in either spelling Magento accepts (snake or camel case)."""
    groups: dict[int, dict[int, dict[str, str]]] = {}
    sort: dict[int, dict[str, str]] = {}
    page_size: int | None = None
    current_page: int | None = None
    for key, values in query.items():
        value = values[0]
        parts = key.replace("]", "").split("[")
        if parts[0] != "searchCriteria" or len(parts) < 2:
            continue
        name = parts[1]
        if name in ("filter_groups", "filterGroups") and len(parts) == 6 and parts[3] == "filters":
            field = {"conditionType": "condition_type"}.get(parts[5], parts[5])
            groups.setdefault(int(parts[2]), {}).setdefault(int(parts[4]), {})[field] = value
        elif name in ("sortOrders", "sort_orders") and len(parts) == 4:
            sort.setdefault(int(parts[2]), {})[parts[3]] = value
        elif name in ("pageSize", "page_size"):
            page_size = int(value)
        elif name in ("currentPage", "current_page"):
            current_page = int(value)
        else:
            raise ValueError(f'"{key}" is not a searchCriteria field.')
    built = []
    for _, filters in sorted(groups.items()):
        group = []
        for _, f in sorted(filters.items()):
            if "field" not in f or "value" not in f:
                raise ValueError("A filter needs a field and a value.")
            group.append(
                {"field": f["field"], "value": f["value"], "condition_type": f.get("condition_type", "eq")}
            )
        built.append({"filters": group})
    orders = [
        {"field": s["field"], "direction": s.get("direction", "ASC").upper()} for _, s in sorted(sort.items())
    ]
    return {"groups": built, "sort": orders, "page_size": page_size, "current_page": current_page}


def sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value).casefold())


def matches(row: Mapping[str, Any], condition: Mapping[str, str]) -> bool:
    """One filter as MySQL compares: numbers as numbers, text case-insensitively."""
    field, value, kind = condition["field"], condition["value"], condition["condition_type"]
    have = row.get(field)
    if kind in ("in", "nin"):
        wanted = [comparable(have, v.strip()) for v in value.split(",")]
        inside = comparable(have, have) in wanted
        return inside if kind == "in" else not inside
    left, right = comparable(have, have), comparable(have, value)
    if left is None or right is None:
        return False
    if kind == "eq":
        return bool(left == right)
    if kind == "neq":
        return bool(left != right)
    if kind == "gt":
        return bool(left > right)
    if kind == "gteq":
        return bool(left >= right)
    if kind == "lt":
        return bool(left < right)
    if kind == "lteq":
        return bool(left <= right)
    raise ValueError(f"this fake does not support condition_type {kind}")


def comparable(sample: Any, value: Any) -> Any:
    if sample is None or value is None:
        return None
    if isinstance(sample, int | float) and not isinstance(sample, bool):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return None
    return str(value).casefold()
