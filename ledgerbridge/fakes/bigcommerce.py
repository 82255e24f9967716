"""A BigCommerce store's API as chalicelib/channels/bigcommerce.py documents it: v2 orders filtered by
`min_date_modified`/`max_date_modified` (inclusive, RFC 2822 or ISO 8601), `sort=date_modified:asc`,
`page`/`limit` (at most 250), 204 for an empty list; the products, shipping_addresses and coupons
sub-resources; v3 payment_actions/refunds; `X-Auth-Token` auth (401 without the right one); a request quota
per window reported in X-Rate-Limit-Requests-Left / X-Rate-Limit-Time-Reset-Ms, 429 once it is used up.
The quota window runs on `rate_clock` (a test can make it follow its recorded sleeps)."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_LIMIT = 250
CATALOG = (("MUG-01", "Coffee Mug", "12.50"), ("TEE-M", "T-Shirt - M", "20.00"), ("CAP-1", "Cap", "15.00"))
CENT = Decimal("0.01")


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def read_date(value: str) -> datetime:
    """A date filter as BigCommerce takes it: RFC 2822 or ISO 8601."""
    if "," in value or value[:1].isalpha():
        return parsedate_to_datetime(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FakeBigCommerce(FakeStore):
    vendor = "bigcommerce"

    def __init__(
        self,
        *,
        store_hash: str = "abc123xyz",
        access_token: str = "bc-access-token",
        quota: int = 150,
        window_ms: int = 30_000,
    ) -> None:
        super().__init__()
        self.store_hash = store_hash
        self.access_token = access_token
        self.store_name = "Blue Heron Goods"
        self.quota = quota
        self.window_ms = window_ms
        self.rate_clock: Callable[[], float] = time.monotonic
        self.throttled = 0
        self._window_start: float | None = None
        self._used = 0
        self._next = 100
        self._line = 0
        self.products: dict[str, list[dict[str, Any]]] = {}
        self.addresses: dict[str, list[dict[str, Any]]] = {}
        self.coupons: dict[str, list[dict[str, Any]]] = {}
        self.refunds: dict[str, list[dict[str, Any]]] = {}

    # -- orders --------------------------------------------------------------------------------------
    def add_order(
        self,
        lines: tuple[tuple[str, str, int, str], ...] = (("MUG-01", "Coffee Mug", 2, "12.50"),),
        *,
        shipping: str = "5.00",
        tax_rate: str = "0.08",
        coupon: str | None = None,
        coupon_percent: str = "10",
    ) -> dict[str, Any]:
        """An order changed at the fake clock's now, with its products (tax per line at `tax_rate`, the
        coupon's discount allocated to the lines), one shipping address and the coupon."""
        with self.lock:
            self._next += 1
            order_id = str(self._next)
            products = []
            subtotal = tax = discount_total = Decimal(0)
            for sku, name, quantity, price in lines:
                self._line += 1
                base = Decimal(price)
                extended = base * quantity
                discount = (extended * Decimal(coupon_percent) / 100).quantize(CENT) if coupon else Decimal(0)
                line_tax = ((extended - discount) * Decimal(tax_rate)).quantize(CENT)
                subtotal += extended
                tax += line_tax
                discount_total += discount
                products.append(
                    {
                        "id": self._line,
                        "order_id": int(order_id),
                        "product_id": 77 + self._line % 5,
                        "name": name,
                        "sku": sku,
                        "type": "physical",
                        "base_price": str(base),
                        "price_ex_tax": str(base),
                        "base_total": str(extended),
                        "total_ex_tax": str(extended),
                        "total_tax": str(line_tax),
                        "quantity": quantity,
                        "applied_discounts": (
                            [{"id": "coupon", "amount": str(discount), "name": coupon, "code": coupon}]
                            if coupon
                            else []
                        ),
                    }
                )
            ship = Decimal(shipping)
            total = subtotal - discount_total + ship + tax
            now = rfc2822(self.now)
            billing: dict[str, Any] = {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "company": "",
                "street_1": "12 Analytical Way",
                "street_2": "",
                "city": "Austin",
                "state": "Texas",
                "zip": "78701",
                "country": "United States",
                "country_iso2": "US",
                "phone": "",
                "email": "ada@example.com",
            }
            order: dict[str, Any] = {
                "id": int(order_id),
                "customer_id": 11,
                "date_created": now,
                "date_modified": now,
                "status_id": 11,
                "status": "Awaiting Fulfillment",
                "subtotal_ex_tax": str(subtotal),
                "shipping_cost_ex_tax": str(ship),
                "handling_cost_ex_tax": "0.0000",
                "wrapping_cost_ex_tax": "0.0000",
                "total_ex_tax": str(total - tax),
                "total_inc_tax": str(total),
                "total_tax": str(tax),
                "items_total": sum(q for _, _, q, _ in lines),
                "refunded_amount": "0.0000",
                "payment_method": "Credit Card",
                "payment_status": "captured",
                "currency_code": "USD",
                "discount_amount": "0.0000",
                "coupon_discount": str(discount_total),
                "customer_message": "",
                "order_source": "www",
                "is_deleted": False,
                "billing_address": billing,
                "products": {
                    "url": f"/v2/orders/{order_id}/products",
                    "resource": f"/orders/{order_id}/products",
                },
                "shipping_addresses": {"url": f"/v2/orders/{order_id}/shipping_addresses"},
                "coupons": {"url": f"/v2/orders/{order_id}/coupons"},
            }
            self.orders[order_id] = order
            self.products[order_id] = products
            self.addresses[order_id] = [
                {
                    **{k: v for k, v in billing.items() if k != "email"},
                    "id": int(order_id) * 10,
                    "order_id": int(order_id),
                    "shipping_method": "Flat Rate",
                    "cost_ex_tax": str(ship),
                    "cost_tax": "0.0000",
                }
            ]
            self.coupons[order_id] = (
                [
                    {
                        "id": 1,
                        "coupon_id": 5,
                        "order_id": int(order_id),
                        "code": coupon,
                        "amount": coupon_percent,
                        "type": 1,
                        "discount": str(discount_total),
                    }
                ]
                if coupon
                else []
            )
            self.refunds[order_id] = []
            return copy.deepcopy(order)

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 30 seconds before each (some share a date_modified)."""
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
        """Change an order's fields one second later on the fake clock (date_modified moves to then)."""
        with self.lock:
            order = self.orders[str(order_id)]
            order.update(changes)
            order["date_modified"] = rfc2822(self.tick())
            return copy.deepcopy(order)

    def add_refund(self, order_id: str | int, line_id: int, quantity: int, amount: str) -> dict[str, Any]:
        """Refund `quantity` of one product line for `amount` (no tax), one second later."""
        with self.lock:
            key = str(order_id)
            moment = self.tick()
            refund = {
                "id": len(self.refunds[key]) + 1,
                "order_id": int(key),
                "user_id": 0,
                "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "reason": "Returned",
                "total_amount": float(amount),
                "total_tax": 0,
                "uses_merchant_override_values": False,
                "items": [
                    {
                        "item_type": "PRODUCT",
                        "item_id": line_id,
                        "quantity": quantity,
                        "requested_amount": amount,
                        "reason": "Returned",
                    }
                ],
                "payments": [
                    {
                        "id": 1,
                        "provider_id": "braintree",
                        "amount": float(amount),
                        "offline": False,
                        "is_declined": False,
                        "declined_message": "",
                    }
                ],
            }
            self.refunds[key].append(refund)
            order = self.orders[key]
            order["refunded_amount"] = str(Decimal(order["refunded_amount"]) + Decimal(amount))
            order["payment_status"] = "partially refunded"
            order["date_modified"] = rfc2822(moment)
            return copy.deepcopy(refund)

    def break_order(self, order_id: str | int) -> None:
        """Make an order malformed the way a broken import does: its first product loses its price."""
        with self.lock:
            self.products[str(order_id)][0]["base_price"] = None

    def exhaust_rate_limit(self) -> None:
        """Another app used up the quota: the next request is answered 429."""
        with self.lock:
            self._quota_left()
            self._used = self.quota

    # -- API -----------------------------------------------------------------------------------------
    def _quota_left(self) -> tuple[int, int]:
        """(requests left, ms until the window resets) after counting nothing; opens a new window when due."""
        now = self.rate_clock()
        if self._window_start is None or (now - self._window_start) * 1000 >= self.window_ms:
            self._window_start = now
            self._used = 0
        reset = max(0, round(self.window_ms - (now - self._window_start) * 1000))
        return self.quota - self._used, reset

    def handle(self, request: Request) -> Response:
        prefix = f"/stores/{self.store_hash}"
        if not request.path.startswith(prefix + "/"):
            return Response(404, [{"status": 404, "message": "The requested resource was not found."}])
        if request.headers.get("x-auth-token") != self.access_token:
            return Response(
                401, [{"status": 401, "message": "You are not authorized to access this resource."}]
            )
        with self.lock:
            left, reset = self._quota_left()
            limits = {
                "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
                "X-Rate-Limit-Time-Reset-Ms": str(reset),
                "X-Rate-Limit-Requests-Quota": str(self.quota),
            }
            if left <= 0:
                self.throttled += 1
                return Response(
                    429,
                    {"status": 429, "title": "Too many requests"},
                    {**limits, "X-Rate-Limit-Requests-Left": "0"},
                )
            self._used += 1
            limits["X-Rate-Limit-Requests-Left"] = str(left - 1)
            response = self._route(request, request.path[len(prefix) :].rstrip("/"))
            response.headers.update(limits)
            return response

    def _route(self, request: Request, path: str) -> Response:
        if request.method != "GET":
            return Response(405, [{"status": 405, "message": "Method not allowed"}])
        parts = path.strip("/").split("/")
        if parts == ["v2", "store"]:
            return Response(200, {"id": self.store_hash, "name": self.store_name, "domain": "example.com"})
        if parts == ["v2", "orders"]:
            return self._orders(request)
        if len(parts) == 4 and parts[:2] == ["v2", "orders"] and parts[2] in self.orders:
            table = {"products": self.products, "shipping_addresses": self.addresses, "coupons": self.coupons}
            if parts[3] not in table:
                return Response(404, [{"status": 404, "message": "The requested resource was not found."}])
            rows = table[parts[3]][parts[2]]
            page, limit = int(request.param("page") or 1), min(int(request.param("limit") or 50), MAX_LIMIT)
            chunk = copy.deepcopy(rows[(page - 1) * limit : page * limit])
            return Response(200, chunk) if chunk else Response(204, b"")
        if len(parts) == 5 and parts[:2] == ["v3", "orders"] and parts[3:] == ["payment_actions", "refunds"]:
            if parts[2] not in self.orders:
                return Response(404, {"status": 404, "title": "Order not found"})
            return Response(200, {"data": copy.deepcopy(self.refunds[parts[2]]), "meta": {}})
        return Response(404, [{"status": 404, "message": "The requested resource was not found."}])

    def _orders(self, request: Request) -> Response:
        try:
            low = request.param("min_date_modified")
            high = request.param("max_date_modified")
            since = read_date(low) if low else None
            until = read_date(high) if high else None
            page = int(request.param("page") or 1)
            limit = int(request.param("limit") or 50)
        except (ValueError, TypeError) as exc:
            return Response(400, [{"status": 400, "message": f"The filter is invalid: {exc}"}])
        if not 1 <= limit <= MAX_LIMIT or page < 1:
            return Response(400, [{"status": 400, "message": "limit must be 1 to 250 and page at least 1"}])
        if request.param("sort", "id:asc") != "date_modified:asc":
            return Response(400, [{"status": 400, "message": "this fake sorts by date_modified:asc only"}])
        with self.lock:
            rows = sorted(
                (o for o in self.orders.values() if not o["is_deleted"]),
                key=lambda o: (parsedate_to_datetime(o["date_modified"]), o["id"]),
            )
            rows = [
                o
                for o in rows
                if (since is None or parsedate_to_datetime(o["date_modified"]) >= since)
                and (until is None or parsedate_to_datetime(o["date_modified"]) <= until)
            ]
            chunk = copy.deepcopy(rows[(page - 1) * limit : page * limit])
        return Response(200, chunk) if chunk else Response(204, b"")
