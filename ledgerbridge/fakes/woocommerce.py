"""A fake WooCommerce store: the public REST index at /wp-json/ and, under /wp-json/wc/v3/ with HTTP Basic
auth (consumer key and secret), GET orders (modified_after/modified_before, exclusive as in WordPress date
queries, dates_are_gmt, orderby, order, page/per_page with X-WP-Total, X-WP-TotalPages and Link headers),
GET orders/<id> and GET orders/<id>/refunds.

Products for inventory: GET products (with `sku=a,b` the answer holds products and variations whose SKU is
one of them, as WooCommerce does: the filter also matches the whole string when it has commas, compares
case-insensitively like MySQL, and returns variations with type "variation" and parent_id), GET
products/<id>, GET products/<id>/variations, POST products/batch and POST products/<id>/variations/batch
(at most 100 items, else 413 woocommerce_rest_request_entity_too_large; an unknown id comes back as an item
with an `error` object). A key with `permissions = "read"` is refused on POST (401).

Documents follow WooCommerce's order schema: amounts are decimal strings, dates are whole seconds without
an offset, in store time (date_created) and GMT (date_created_gmt). Coupons are spread over the line items
(subtotal - total), as WooCommerce does.
"""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ledgerbridge.fakes.base import FakeStore, Request, Response

CENT = Decimal("0.01")
API = "/wp-json/wc/v3/"
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
UNPAID = ("pending", "on-hold", "failed", "cancelled", "checkout-draft")
CATALOG = (
    (11, "MUG-01", "Heron mug", "12.50"),
    (12, "TEE-M", "Heron T-shirt (M)", "20.00"),
    (13, "TOTE-01", "Canvas tote", "16.00"),
    (14, "CARD-05", "Greeting cards (5)", "7.25"),
    (15, "PRINT-A3", "Heron print A3", "34.99"),
    (16, "SOCK-L", "Wool socks (L)", "11.00"),
)
NAMES = (
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
)
STATUSES = ("processing", "processing", "completed", "completed", "on-hold", "pending", "cancelled")


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT))


def line_item(
    item_id: int,
    sku: str,
    name: str,
    quantity: int,
    price: str,
    *,
    discount: str = "0",
    tax_rate: str = "0.08",
    product_id: int = 0,
) -> dict[str, Any]:
    """A line item as WooCommerce sends it: subtotal before the coupon, total after it."""
    rate = Decimal(tax_rate)
    subtotal = Decimal(price) * quantity
    total = subtotal - Decimal(discount)
    subtotal_tax = (subtotal * rate).quantize(CENT)
    total_tax = (total * rate).quantize(CENT)
    return {
        "id": item_id,
        "name": name,
        "product_id": product_id,
        "variation_id": 0,
        "quantity": quantity,
        "tax_class": "",
        "subtotal": cents(subtotal),
        "subtotal_tax": cents(subtotal_tax),
        "total": cents(total),
        "total_tax": cents(total_tax),
        "taxes": [{"id": 1, "total": cents(total_tax), "subtotal": cents(subtotal_tax)}] if rate else [],
        "meta_data": [],
        "sku": sku,
        "price": float(total / quantity) if quantity else 0.0,
        "image": {"id": "", "src": ""},
        "parent_name": None,
    }


def shipping_line(line_id: int, title: str, total: str, *, tax_rate: str = "0.08") -> dict[str, Any]:
    tax = (Decimal(total) * Decimal(tax_rate)).quantize(CENT)
    return {
        "id": line_id,
        "method_title": title,
        "method_id": "flat_rate",
        "instance_id": "1",
        "total": cents(Decimal(total)),
        "total_tax": cents(tax),
        "taxes": [{"id": 1, "total": cents(tax), "subtotal": ""}] if tax else [],
        "meta_data": [],
    }


def fee_line(line_id: int, name: str, total: str, *, tax_rate: str = "0.08") -> dict[str, Any]:
    tax = (Decimal(total) * Decimal(tax_rate)).quantize(CENT)
    return {
        "id": line_id,
        "name": name,
        "tax_class": "",
        "tax_status": "taxable" if tax else "none",
        "amount": cents(Decimal(total)),
        "total": cents(Decimal(total)),
        "total_tax": cents(tax),
        "taxes": [{"id": 1, "total": cents(tax), "subtotal": ""}] if tax else [],
        "meta_data": [],
    }


def recalculate(document: dict[str, Any]) -> None:
    """WooCommerce's order totals from its lines (tax on lines, fees and shipping, one tax rate)."""

    def total(lines: list[dict[str, Any]], key: str) -> Decimal:
        return sum((Decimal(str(entry[key])) for entry in lines), Decimal(0))

    items, shipping, fees = document["line_items"], document["shipping_lines"], document["fee_lines"]
    cart_tax = total(items, "total_tax") + total(fees, "total_tax")
    shipping_tax = total(shipping, "total_tax")
    total_tax = cart_tax + shipping_tax
    document.update(
        {
            "discount_total": cents(total(items, "subtotal") - total(items, "total")),
            "discount_tax": cents(total(items, "subtotal_tax") - total(items, "total_tax")),
            "shipping_total": cents(total(shipping, "total")),
            "shipping_tax": cents(shipping_tax),
            "cart_tax": cents(cart_tax),
            "total_tax": cents(total_tax),
            "total": cents(
                total(items, "total") + total(shipping, "total") + total(fees, "total") + total_tax
            ),
            "tax_lines": (
                [
                    {
                        "id": 901,
                        "rate_code": "US-WA-SALES TAX-1",
                        "rate_id": 1,
                        "label": "Sales tax",
                        "compound": False,
                        "tax_total": cents(cart_tax),
                        "shipping_tax_total": cents(shipping_tax),
                        "rate_percent": 8,
                        "meta_data": [],
                    }
                ]
                if total_tax
                else []
            ),
        }
    )


class FakeWooCommerce(FakeStore):
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

    # -- products ------------------------------------------------------------------------------------
    def _product_id(self) -> int:
        self._product_seq += 1
        return self._product_seq

    def add_product(
        self,
        sku: str,
        *,
        name: str | None = None,
        quantity: int | None = None,
        manage_stock: bool | None = None,
        type: str = "simple",
        price: str = "10.00",
    ) -> dict[str, Any]:
        """A product with `sku`; stock is managed (with `quantity`) when a quantity is given, unless
        `manage_stock` says otherwise. Returns the stored document."""
        with self.lock:
            product_id = self._product_id()
            local, gmt = self.stamps()
            managed = quantity is not None if manage_stock is None else manage_stock
            document: dict[str, Any] = {
                "id": product_id,
                "name": name or f"Product {sku}",
                "slug": (name or sku).lower().replace(" ", "-"),
                "type": type,
                "status": "publish",
                "sku": sku,
                "price": price,
                "regular_price": price,
                "sale_price": "",
                "manage_stock": managed,
                "stock_quantity": quantity if managed else None,
                "stock_status": "instock" if not managed or (quantity or 0) > 0 else "outofstock",
                "parent_id": 0,
                "variations": [],
                "date_created": local,
                "date_created_gmt": gmt,
                "date_modified": local,
                "date_modified_gmt": gmt,
            }
            self.products[product_id] = document
            return document

    def add_variable_product(
        self, name: str, variations: Sequence[tuple[str, int | None]], *, sku: str = ""
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A variable product and one variation per (sku, quantity) (None: stock not managed)."""
        with self.lock:
            parent = self.add_product(sku, name=name, type="variable", manage_stock=False)
            children = []
            for n, (child_sku, quantity) in enumerate(variations, start=1):
                variation_id = self._product_id()
                local, gmt = self.stamps()
                child = {
                    "id": variation_id,
                    "parent_id": parent["id"],
                    "name": f"{name} - Option {n}",
                    "sku": child_sku,
                    "price": parent["price"],
                    "regular_price": parent["price"],
                    "sale_price": "",
                    "status": "publish",
                    "manage_stock": quantity is not None,
                    "stock_quantity": quantity,
                    "stock_status": "instock" if quantity is None or quantity > 0 else "outofstock",
                    "attributes": [{"id": 0, "name": "Option", "option": str(n)}],
                    "date_created": local,
                    "date_created_gmt": gmt,
                    "date_modified": local,
                    "date_modified_gmt": gmt,
                }
                self.variations[variation_id] = child
                parent["variations"].append(variation_id)
                children.append(child)
            return parent, children

    def stock(self, ref: str | int) -> int | None:
        """stock_quantity of a product or variation by id, by StockItem ref ("product:<id>",
        "variation:<parent>:<id>") or by unique SKU."""
        with self.lock:
            text = str(ref)
            if text.startswith(("product:", "variation:")):
                text = text.rsplit(":", 1)[-1]
            if text.isdigit():
                number = int(text)
                document = self.products.get(number) or self.variations[number]
            else:
                found = [d for d in (*self.products.values(), *self.variations.values()) if d["sku"] == text]
                if len(found) != 1:
                    raise KeyError(f"{len(found)} products have SKU {text!r}")
                document = found[0]
            quantity = document["stock_quantity"]
            return quantity if isinstance(quantity, int) else None

    def _rendered(self, document: dict[str, Any]) -> dict[str, Any]:
        """A product or variation as the products endpoint answers it."""
        if document["id"] in self.variations:
            return {**document, "type": "variation"}
        return dict(document)

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

    # -- products HTTP -------------------------------------------------------------------------------
    def _products_route(self, request: Request, parts: list[str]) -> Response:
        if request.method != "GET" and self.permissions != "read_write":
            return Response(
                401,
                {
                    "code": "woocommerce_rest_cannot_edit",
                    "message": "Sorry, you are not allowed to edit this resource.",
                    "data": {"status": 401},
                },
            )
        if request.method == "GET" and parts == ["products"]:
            return self._product_list(request, None)
        if request.method == "GET" and len(parts) == 2 and parts[1].isdigit():
            document = self.products.get(int(parts[1]))
            if document is None:
                return self._invalid_id("product")
            return Response(200, self._rendered(document))
        if request.method == "GET" and len(parts) == 3 and parts[1].isdigit() and parts[2] == "variations":
            if int(parts[1]) not in self.products:
                return self._invalid_id("product")
            return self._product_list(request, int(parts[1]))
        if request.method in ("POST", "PUT") and parts == ["products", "batch"]:
            return self._batch(request, None)
        if (
            request.method in ("POST", "PUT")
            and len(parts) == 4
            and parts[1].isdigit()
            and parts[2:] == ["variations", "batch"]
        ):
            return self._batch(request, int(parts[1]))
        return self._no_route()

    @staticmethod
    def _invalid_id(kind: str, status: int = 404) -> Response:
        return Response(
            status,
            {
                "code": f"woocommerce_rest_{kind}_invalid_id",
                "message": "Invalid ID.",
                "data": {"status": status},
            },
        )

    def _product_list(self, request: Request, parent: int | None) -> Response:
        try:
            per_page = int(request.param("per_page") or 10)
            page = int(request.param("page") or 1)
        except ValueError:
            per_page, page = 0, 0
        if not 1 <= per_page <= 100 or page < 1:
            return Response(
                400,
                {
                    "code": "rest_invalid_param",
                    "message": "Invalid parameter(s): per_page",
                    "data": {"status": 400, "params": {"per_page": "per_page must be between 1 and 100"}},
                },
            )
        raw_sku = request.param("sku") or ""
        if parent is not None:
            candidates = [v for v in self.variations.values() if v["parent_id"] == parent]
        elif raw_sku:  # with a SKU filter WooCommerce searches variations too
            candidates = [*self.products.values(), *self.variations.values()]
        else:
            candidates = list(self.products.values())
        if raw_sku:
            skus = raw_sku.split(",")
            if len(skus) > 1:
                skus.append(raw_sku)  # WooCommerce also matches the whole string
            wanted = {s.strip().casefold() for s in skus}  # MySQL compares without case or end spaces
            candidates = [d for d in candidates if str(d["sku"]).strip().casefold() in wanted]
        candidates.sort(key=lambda d: -d["id"])  # newest first, as WooCommerce's default order
        total = len(candidates)
        pages = math.ceil(total / per_page)
        body = [self._rendered(d) for d in candidates[(page - 1) * per_page : page * per_page]]
        return Response(
            200, json.dumps(body).encode(), {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        )

    def _batch(self, request: Request, parent: int | None) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Response(
                400,
                {
                    "code": "rest_invalid_json",
                    "message": "Invalid JSON body passed.",
                    "data": {"status": 400},
                },
            )
        total = sum(len(body.get(k) or []) for k in ("create", "update", "delete"))
        if total > 100:
            return Response(
                413,
                {
                    "code": "woocommerce_rest_request_entity_too_large",
                    "message": "Unable to accept more than 100 items for this request.",
                    "data": {"status": 413},
                },
            )
        if parent is not None and parent not in self.products:
            return self._invalid_id("product")
        self.batch_calls += 1
        kind = "product" if parent is None else "product_variation"
        answer: dict[str, Any] = {}
        for action in ("create", "delete"):
            if action in body:
                answer[action] = [
                    {
                        "id": 0,
                        "error": {
                            "code": "fake_not_supported",
                            "message": f"This fake WooCommerce does not {action} products.",
                            "data": {"status": 501},
                        },
                    }
                    for _ in body.get(action) or []
                ]
        updated = []
        for item in body.get("update") or []:
            item_id = item.get("id") if isinstance(item, dict) else None
            if parent is None:
                document = self.products.get(item_id) if isinstance(item_id, int) else None
            else:
                found = self.variations.get(item_id) if isinstance(item_id, int) else None
                document = found if found is not None and found["parent_id"] == parent else None
            if document is None:
                updated.append(
                    {
                        "id": item_id,
                        "error": {
                            "code": f"woocommerce_rest_{kind}_invalid_id",
                            "message": "Invalid ID.",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            assert isinstance(item, dict)
            quantity = item.get("stock_quantity", document["stock_quantity"])
            if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
                updated.append(
                    {
                        "id": item_id,
                        "error": {
                            "code": "rest_invalid_param",
                            "message": "Invalid parameter(s): stock_quantity",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            if "manage_stock" in item:
                document["manage_stock"] = bool(item["manage_stock"])
            document["stock_quantity"] = quantity
            if document["manage_stock"]:
                document["stock_status"] = "instock" if (quantity or 0) > 0 else "outofstock"
            document["date_modified"], document["date_modified_gmt"] = self.stamps()
            updated.append(self._rendered(document))
        if "update" in body:
            answer["update"] = updated
        return Response(200, json.dumps(answer).encode())

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

    @staticmethod
    def _no_route() -> Response:
        return Response(
            404,
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            },
        )

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
