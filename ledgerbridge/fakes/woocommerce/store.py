"""The fake WooCommerce store itself: its settings, the order book a test adds to and changes, and the HTTP
routing (the REST index, Basic auth, GET orders with WordPress date queries and paging, orders/<id> and
orders/<id>/refunds); products are `WooCommerceProducts`' (products.py)."""

from __future__ import annotations

import base64
import json
import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ledgerbridge.fakes.base import Request, Response
from ledgerbridge.fakes.woocommerce.documents import (
    CATALOG,
    CENT,
    NAMES,
    STATUSES,
    UNPAID,
    cents,
    fee_line,
    line_item,
    recalculate,
    shipping_line,
)
from ledgerbridge.fakes.woocommerce.products import WooCommerceProducts

API = "/wp-json/wc/v3/"
ORDERBY = ("date", "id", "include", "title", "slug", "modified")


class FakeWooCommerce(WooCommerceProducts):
    vendor = "woocommerce"

    def __init__(
        self,
        *,
        consumer_key: str = "ck_0123456789abcdef",
        consumer_secret: str = "cs_0123456789abcdef",
        store_name: str = "Blue Heron Goods",
        utc_offset: timedelta = timedelta(hours=-5),
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.store_name = store_name
        self.utc_offset = utc_offset
        self.rest_api_enabled = True  # False: /wp-json answers 404 (plain permalinks, no WooCommerce)
        self.refund_book: dict[str, list[dict[str, Any]]] = {}
        self._seq = 0
        self._line_seq = 100
        self.permissions = "read_write"  # "read": POST requests are refused as WooCommerce does
        self.products: dict[int, dict[str, Any]] = {}
        self.variations: dict[int, dict[str, Any]] = {}  # each with its "parent_id"
        self.batch_calls = 0  # batch requests answered (products and variations)
        self._product_seq = 2000

    # -- orders --------------------------------------------------------------------------------------
    def line_id(self) -> int:
        self._line_seq += 1
        return self._line_seq

    def stamps(self) -> tuple[str, str]:
        """(store time, GMT) of the fake clock's now, whole seconds, as WooCommerce writes them."""
        now = self.now.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        return (now + self.utc_offset).isoformat(), now.isoformat()

    def add_order(self, **overrides: Any) -> dict[str, Any]:
        """A realistic order created at the fake clock's `now`; keyword arguments replace its fields (with
        line_items, shipping_lines or fee_lines given and no `total`, the totals are computed)."""
        with self.lock:
            self._seq += 1
            order_id = 5000 + self._seq
            local, gmt = self.stamps()
            billing = {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "company": "Analytical Engines Ltd",
                "address_1": "1 Main St",
                "address_2": "Suite 200",
                "city": "Seattle",
                "state": "WA",
                "postcode": "98101",
                "country": "US",
                "email": "ada@example.com",
                "phone": "206-555-0100",
            }
            document: dict[str, Any] = {
                "id": order_id,
                "parent_id": 0,
                "status": "processing",
                "currency": "USD",
                "version": "9.4.2",
                "prices_include_tax": False,
                "date_created": local,
                "date_modified": local,
                "discount_total": "0.00",
                "discount_tax": "0.00",
                "shipping_total": "0.00",
                "shipping_tax": "0.00",
                "cart_tax": "0.00",
                "total": "0.00",
                "total_tax": "0.00",
                "customer_id": 17,
                "order_key": f"wc_order_{order_id:x}",
                "billing": billing,
                "shipping": {k: v for k, v in billing.items() if k != "email"},
                "payment_method": "stripe",
                "payment_method_title": "Credit Card (Stripe)",
                "transaction_id": f"ch_{order_id:08d}",
                "customer_ip_address": "203.0.113.7",
                "customer_user_agent": "Mozilla/5.0",
                "created_via": "checkout",
                "customer_note": "Please gift wrap.",
                "date_completed": None,
                "date_paid": local,
                "cart_hash": "5d4c3b2a",
                "number": str(order_id),
                "meta_data": [],
                "line_items": [
                    line_item(
                        self.line_id(), "MUG-01", "Heron mug", 2, "12.50", discount="2.50", product_id=11
                    ),
                    line_item(
                        self.line_id(),
                        "TEE-M",
                        "Heron T-shirt (M)",
                        1,
                        "20.00",
                        discount="2.00",
                        product_id=12,
                    ),
                ],
                "tax_lines": [],
                "shipping_lines": [shipping_line(self.line_id(), "Flat rate", "5.00")],
                "fee_lines": [fee_line(self.line_id(), "Gift wrap", "3.00")],
                "coupon_lines": [
                    {"id": self.line_id(), "code": "welcome10", "discount": "4.50", "discount_tax": "0.36"}
                ],
                "refunds": [],
                "payment_url": f"https://shop.example.com/checkout/order-pay/{order_id}/",
                "is_editable": False,
                "needs_payment": False,
                "needs_processing": True,
                "date_created_gmt": gmt,
                "date_modified_gmt": gmt,
                "date_completed_gmt": None,
                "date_paid_gmt": gmt,
                "currency_symbol": "$",
            }
            document.update(overrides)
            if "total" not in overrides:
                recalculate(document)
            if document["status"] in UNPAID and "date_paid_gmt" not in overrides:
                document.update(date_paid=None, date_paid_gmt=None, transaction_id="")
            self.orders[str(order_id)] = document
            self.refund_book[str(order_id)] = []
            return document

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 90 seconds before each (some share a timestamp)."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 1, 2, 5, 30, 90)))
            rate = rng.choice(("0", "0.08", "0.0825"))
            coupon = rng.random() < 0.3
            items = []
            for product_id, sku, name, price in rng.sample(CATALOG, rng.randint(1, 3)):
                quantity = rng.randint(1, 3)
                discount = cents(Decimal(price) * quantity / 10) if coupon else "0"
                items.append(
                    line_item(
                        self.line_id(),
                        sku,
                        name,
                        quantity,
                        price,
                        discount=discount,
                        tax_rate=rate,
                        product_id=product_id,
                    )
                )
            first, last = rng.choice(NAMES)
            email = f"{first.lower()}.{last.lower()}@example.com"
            added.append(
                self.add_order(
                    line_items=items,
                    shipping_lines=[shipping_line(self.line_id(), "Flat rate", "5.00", tax_rate=rate)],
                    fee_lines=[],
                    coupon_lines=[{"id": self.line_id(), "code": "save10"}] if coupon else [],
                    status=rng.choice(STATUSES),
                    billing={
                        "first_name": first,
                        "last_name": last,
                        "company": "",
                        "address_1": "500 Pine St",
                        "address_2": "",
                        "city": "Portland",
                        "state": "OR",
                        "postcode": "97204",
                        "country": "US",
                        "email": email,
                        "phone": "",
                    },
                )
            )
        return added

    def _touch(self, document: dict[str, Any]) -> None:
        local, gmt = self.stamps()
        document["date_modified"], document["date_modified_gmt"] = local, gmt

    def change_order(self, order_id: str | int, **changes: Any) -> dict[str, Any]:
        """Change an order's fields one second later on the fake clock (date_modified moves to then)."""
        with self.lock:
            document = self.orders[str(order_id)]
            self.tick()
            document.update(changes)
            if "total" not in changes and {"line_items", "shipping_lines", "fee_lines"} & set(changes):
                recalculate(document)
            self._touch(document)
            return document

    def add_refund(
        self,
        order_id: str | int,
        *,
        line_item_id: int | None = None,
        quantity: int = 1,
        amount: str | None = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Refund `quantity` of a line item (with its tax), or an `amount` without line detail, one second
        later on the fake clock."""
        with self.lock:
            document = self.orders[str(order_id)]
            self.tick()
            local, gmt = self.stamps()
            lines: list[dict[str, Any]] = []
            if line_item_id is not None:
                item = next(i for i in document["line_items"] if i["id"] == line_item_id)
                line_total = (Decimal(item["total"]) / item["quantity"] * quantity).quantize(CENT)
                line_tax = (Decimal(item["total_tax"]) / item["quantity"] * quantity).quantize(CENT)
                refunded = line_total + line_tax
                lines.append(
                    {
                        "id": self.line_id(),
                        "name": item["name"],
                        "product_id": item["product_id"],
                        "variation_id": 0,
                        "quantity": -quantity,
                        "tax_class": "",
                        "subtotal": cents(-line_total),
                        "subtotal_tax": cents(-line_tax),
                        "total": cents(-line_total),
                        "total_tax": cents(-line_tax),
                        "taxes": [{"id": 1, "total": cents(-line_tax), "subtotal": cents(-line_tax)}],
                        "meta_data": [
                            {
                                "id": self.line_id(),
                                "key": "_refunded_item_id",
                                "value": str(line_item_id),
                                "display_key": "_refunded_item_id",
                                "display_value": str(line_item_id),
                            }
                        ],
                        "sku": item["sku"],
                        "price": -float(line_total / quantity),
                    }
                )
            else:
                refunded = Decimal(amount or "0")
            refund_id = self.line_id()
            refund = {
                "id": refund_id,
                "date_created": local,
                "date_created_gmt": gmt,
                "amount": cents(refunded),
                "reason": reason,
                "refunded_by": 1,
                "refunded_payment": True,
                "meta_data": [],
                "line_items": lines,
                "shipping_lines": [],
                "tax_lines": [],
                "fee_lines": [],
            }
            self.refund_book[str(order_id)].insert(0, refund)
            document["refunds"].insert(0, {"id": refund_id, "reason": reason, "total": cents(-refunded)})
            refunded_total = sum((-Decimal(r["total"]) for r in document["refunds"]), Decimal(0))
            if refunded_total >= Decimal(document["total"]):
                document["status"] = "refunded"
            self._touch(document)
            return refund

    def break_order(self, order_id: str | int) -> None:
        """Make an order malformed the way a faulty plugin does: its first line's total is not a number."""
        with self.lock:
            self.orders[str(order_id)]["line_items"][0]["total"] = "12,50"

    # -- HTTP ----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        with self.lock:
            path = request.path
            if not self.rest_api_enabled or not path.startswith("/wp-json"):
                page = b"<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>"
                return Response(404, page, {"Content-Type": "text/html; charset=UTF-8"})
            if path in ("/wp-json", "/wp-json/"):
                return Response(200, self._index())
            if not path.startswith(API):
                return self._no_route()
            if request.method not in ("GET", "POST", "PUT"):
                return self._no_route()
            denied = self._denied(request)
            if denied is not None:
                return denied
            parts = path[len(API) :].strip("/").split("/")
            if parts[0] == "products":
                return self._products_route(request, parts)
            if request.method != "GET":
                return self._no_route()
            if parts == ["orders"]:
                return self._orders(request)
            if len(parts) == 2 and parts[0] == "orders" and parts[1] in self.orders:
                return Response(200, json.dumps(self.orders[parts[1]]).encode())
            if len(parts) == 3 and parts[0] == "orders" and parts[2] == "refunds" and parts[1] in self.orders:
                refunds = self.refund_book[parts[1]]
                return Response(
                    200,
                    json.dumps(refunds).encode(),
                    {"X-WP-Total": str(len(refunds)), "X-WP-TotalPages": "1" if refunds else "0"},
                )
            if len(parts) in (2, 3) and parts[0] == "orders":
                return Response(
                    404,
                    {
                        "code": "woocommerce_rest_shop_order_invalid_id",
                        "message": "Invalid ID.",
                        "data": {"status": 404},
                    },
                )
            return self._no_route()

    def _index(self) -> dict[str, Any]:
        return {
            "name": self.store_name,
            "description": "Prints, mugs and other heron things",
            "url": self.base_url,
            "home": self.base_url,
            "gmt_offset": self.utc_offset.total_seconds() / 3600,
            "timezone_string": "",
            "namespaces": ["oembed/1.0", "wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wp/v2"],
            "authentication": [],
            "routes": {},
        }

    def _denied(self, request: Request) -> Response | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return Response(
                401,
                {
                    "code": "woocommerce_rest_cannot_view",
                    "message": "Sorry, you cannot list resources.",
                    "data": {"status": 401},
                },
            )
        try:
            key, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            key, secret = "", ""
        if key != self.consumer_key:
            message = "Consumer key is invalid."
        elif secret != self.consumer_secret:
            message = "Consumer secret is invalid."
        else:
            return None
        return Response(
            401,
            {"code": "woocommerce_rest_authentication_error", "message": message, "data": {"status": 401}},
        )

    def _bound(self, value: str, gmt: bool) -> str:
        """A date parameter as the store compares it: whole seconds, GMT or store time, no offset."""
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
            if not gmt:
                moment += self.utc_offset
        return moment.replace(microsecond=0).isoformat()

    def _orders(self, request: Request) -> Response:
        def invalid(name: str, reason: str) -> Response:
            return Response(
                400,
                {
                    "code": "rest_invalid_param",
                    "message": f"Invalid parameter(s): {name}",
                    "data": {"status": 400, "params": {name: reason}},
                },
            )

        try:
            per_page = int(request.param("per_page") or 10)
            page = int(request.param("page") or 1)
        except ValueError:
            return invalid("per_page", "per_page and page must be integers.")
        if not 1 <= per_page <= 100:
            return invalid("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        if page < 1:
            return invalid("page", "page must be greater than or equal to 1")
        orderby = request.param("orderby") or "date"
        if orderby not in ORDERBY:
            return invalid("orderby", f"orderby is not one of {', '.join(ORDERBY)}.")
        order = request.param("order") or "desc"
        if order not in ("asc", "desc"):
            return invalid("order", "order is not one of asc and desc.")
        gmt = (request.param("dates_are_gmt") or "false").lower() in ("true", "1")
        suffix = "_gmt" if gmt else ""
        filters = []
        for name, field, later in (
            ("modified_after", "date_modified", True),
            ("modified_before", "date_modified", False),
            ("after", "date_created", True),
            ("before", "date_created", False),
        ):
            value = request.param(name)
            if value:
                try:
                    filters.append((field + suffix, self._bound(value, gmt), later))
                except ValueError:
                    return invalid(name, f"{name} is not a valid date.")
        statuses = [s for s in (request.param("status") or "any").split(",") if s and s != "any"]

        def inside(document: dict[str, Any]) -> bool:
            for field, bound, later in filters:  # WordPress date queries exclude the bound itself
                if (document[field] <= bound) if later else (document[field] >= bound):
                    return False
            return not statuses or document["status"] in statuses

        sort_field = {"modified": "date_modified_gmt", "id": "id", "include": "id"}.get(
            orderby, "date_created_gmt"
        )
        matching = sorted(
            (d for d in self.orders.values() if inside(d)),
            key=lambda d: (d[sort_field], d["id"]),
            reverse=order == "desc",
        )
        total = len(matching)
        pages = math.ceil(total / per_page)
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []
        query = {k: v[0] for k, v in request.query.items()}
        if page > 1:
            links.append(
                f'<{self.base_url}{request.path}?{urlencode({**query, "page": page - 1})}>; rel="prev"'
            )
        if page < pages:
            links.append(
                f'<{self.base_url}{request.path}?{urlencode({**query, "page": page + 1})}>; rel="next"'
            )
        if links:
            headers["Link"] = ", ".join(links)
        body = matching[(page - 1) * per_page : page * per_page]
        return Response(200, json.dumps(body).encode(), headers)
