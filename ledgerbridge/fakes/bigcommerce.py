"""A BigCommerce store's API as chalicelib/channels/bigcommerce.py documents it: v2 orders filtered by
`min_date_modified`/`max_date_modified` (inclusive, RFC 2822 or ISO 8601), `sort=date_modified:asc`,
`page`/`limit` (at most 250), 204 for an empty list; the products, shipping_addresses and coupons
sub-resources; v3 payment_actions/refunds; `X-Auth-Token` auth (401 without the right one); a request quota
per window reported in X-Rate-Limit-Requests-Left / X-Rate-Limit-Time-Reset-Ms, 429 once it is used up.
The quota window runs on `rate_clock` (a test can make it follow its recorded sleeps).

The catalog and its stock as BigCommerce's v3 documents describe them (github.com/bigcommerce/docs,
reference/catalog/products_catalog.v3.yml, product-variants_catalog.v3.yml, inventory.v3.yml): products
(`sku:in`, `sku`, `id:in`, `include_fields`) with a base variant each and option variants (`variants?sku=`
finds option variants only, as the SKU filter's description says), `inventory_tracking` "product", "variant"
or "none"; stock per (location, variant) read with GET /v3/inventory/items and set with an absolute
adjustment (the batch taken or refused whole with 422, as the documented "tracked by product" error is) or
PUT /v3/catalog/variants (at most 50, 413 beyond; refusals in `batch_errors`), which writes the default
location as the Catalog API does since it uses the Inventory API "under the hood"
(docs/store-operations/catalog/inventory-adjustments.mdx). Stricter than BigCommerce where it is silent: a
negative quantity is refused."""

from __future__ import annotations

import copy
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_LIMIT = 250
CATALOG = (("MUG-01", "Coffee Mug", "12.50"), ("TEE-M", "T-Shirt - M", "20.00"), ("CAP-1", "Cap", "15.00"))
CENT = Decimal("0.01")
DEFAULT_LOCATION = 1
VARIANTS_BATCH = 50
MAX_STOCK = 2_147_483_647


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def unprocessable(title: str) -> Response:
    """BigCommerce's 422 problem document (the Inventory API's ErrorResponse)."""
    return Response(
        422,
        {
            "status": 422,
            "title": title,
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            "errors": {},
        },
    )


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
        self.catalog: dict[int, dict[str, Any]] = {}
        self.variants: dict[int, dict[str, Any]] = {}
        self.locations: dict[int, dict[str, str]] = {
            DEFAULT_LOCATION: {"code": "BC-LOCATION-1", "name": "Default location"}
        }
        self.stock: dict[tuple[int, int], int] = {}  # (location id, variant id) -> on hand
        self.adjustments: list[dict[str, Any]] = []
        self._next_catalog = 110
        self.add_product("Coffee Mug", "MUG-01", "12.50", quantity=10)
        self.add_product(
            "T-Shirt", "TEE", "20.00", tracking="variant", options=(("TEE-S", "S", 4), ("TEE-M", "M", 6))
        )
        self.add_product("Cap", "CAP-1", "15.00", tracking="none")

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
                        "discount": float(discount_total),
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
                        "requested_amount": float(amount),
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

    # -- catalog and inventory -----------------------------------------------------------------------
    def add_product(
        self,
        name: str,
        sku: str,
        price: str = "10.00",
        *,
        tracking: str = "product",
        quantity: int = 0,
        options: tuple[tuple[str, str, int], ...] = (),
    ) -> dict[str, Any]:
        """A product with its base variant and one option variant per (sku, label, quantity) of `options`;
        the stock at the default location is `quantity` (tracking "product") or each option's."""
        with self.lock:
            self._next_catalog += 1
            product_id = self._next_catalog
            base_id = self._new_variant(product_id, sku, None, [])
            product = {
                "id": product_id,
                "name": name,
                "type": "physical",
                "sku": sku,
                "price": float(price),
                "inventory_tracking": tracking,
                "inventory_warning_level": 0,
                "is_visible": True,
                "base_variant_id": base_id,
            }
            self.catalog[product_id] = product
            self.stock[(DEFAULT_LOCATION, base_id)] = quantity if tracking == "product" else 0
            for option_sku, label, on_hand in options:
                variant_id = self._new_variant(
                    product_id,
                    option_sku,
                    product_id * 100 + len(self.variants),
                    [
                        {
                            "id": len(self.variants) + 500,
                            "label": label,
                            "option_id": 7,
                            "option_display_name": "Size",
                        }
                    ],
                )
                self.stock[(DEFAULT_LOCATION, variant_id)] = on_hand
            return copy.deepcopy(product)

    def _new_variant(
        self, product_id: int, sku: str, sku_id: int | None, options: list[dict[str, Any]]
    ) -> int:
        self._next_catalog += 1
        self.variants[self._next_catalog] = {
            "id": self._next_catalog,
            "product_id": product_id,
            "sku": sku,
            "sku_id": sku_id,
            "option_values": options,
            "price": None,
            "purchasing_disabled": False,
        }
        return self._next_catalog

    def variant_of(self, sku: str) -> dict[str, Any]:
        """The variant with this SKU (a product's own SKU is its base variant's)."""
        with self.lock:
            return copy.deepcopy(next(v for v in self.variants.values() if v["sku"] == sku))

    def stock_of(self, sku: str, location: int = DEFAULT_LOCATION) -> int | None:
        with self.lock:
            return self.stock.get((location, self.variant_of(sku)["id"]))

    def _tracked_here(self, variant: dict[str, Any]) -> str | None:
        """None when BigCommerce keeps this variant's own stock count, else why it does not (its words)."""
        product = self.catalog[variant["product_id"]]
        base = variant["id"] == product["base_variant_id"]
        tracking = product["inventory_tracking"]
        if tracking == "product" and not base:
            return f"Item with variant_id {variant['id']} is tracked by product, please update stock by product id"
        if tracking == "variant" and base:
            return f"Item with product_id {product['id']} is tracked by variant, please update stock by variant id"
        if tracking == "none":
            return f"Inventory tracking is disabled for the product with id {product['id']}"
        return None

    def _level(self, variant: dict[str, Any], location: int = DEFAULT_LOCATION) -> int:
        product = self.catalog[variant["product_id"]]
        if variant["id"] == product["base_variant_id"] and product["inventory_tracking"] == "variant":
            return sum(
                self.stock.get((location, v["id"]), 0)
                for v in self.variants.values()
                if v["product_id"] == product["id"] and v["id"] != variant["id"]
            )
        return self.stock.get((location, variant["id"]), 0) if product["inventory_tracking"] != "none" else 0

    def _collection(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        page, limit = int(request.param("page") or 1), int(request.param("limit") or 50)
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return Response(422, {"status": 422, "title": "page must be 1 or more and limit 1 to 250"})
        fields = [f for f in (request.param("include_fields") or "").split(",") if f]
        if fields:
            rows = [{k: v for k, v in row.items() if k == "id" or k in fields} for row in rows]
        pages = max(1, -(-len(rows) // limit))
        chunk = copy.deepcopy(rows[(page - 1) * limit : page * limit])
        pagination = {
            "total": len(rows),
            "count": len(chunk),
            "per_page": limit,
            "current_page": page,
            "total_pages": pages,
            "links": {"current": f"?page={page}&limit={limit}"},
        }
        return Response(200, {"data": chunk, "meta": {"pagination": pagination}})

    def _products(self, request: Request) -> Response:
        wanted = {s.casefold() for s in (request.param("sku:in") or "").split(",") if s}
        single = request.param("sku")
        ids = {int(i) for i in (request.param("id:in") or "").split(",") if i}
        rows = []
        for product in self.catalog.values():
            if wanted and product["sku"].casefold() not in wanted:
                continue
            if single is not None and product["sku"].casefold() != single.casefold():
                continue
            if ids and product["id"] not in ids:
                continue
            base = self.variants[product["base_variant_id"]]
            rows.append({**product, "inventory_level": self._level(base)})
        return self._collection(request, rows)

    def _variants(self, request: Request) -> Response:
        """Option variants by `sku` (the product's own SKU is found with products?sku:in, as documented)."""
        sku = request.param("sku")
        products = {int(i) for i in (request.param("product_id:in") or "").split(",") if i}
        rows = [
            {**v, "inventory_level": self._level(v)}
            for v in self.variants.values()
            if (sku is None or (v["sku"].casefold() == sku.casefold() and v["sku_id"] is not None))
            and (not products or v["product_id"] in products)
        ]
        return self._collection(request, rows)

    def _put_variants(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, list):
            return Response(422, {"status": 422, "title": "The request body must be a list of variants"})
        if len(body) > VARIANTS_BATCH:
            return Response(
                413,
                {
                    "status": 413,
                    "title": "The request payload is too large. The maximum items allowed in the array is 50",
                },
            )
        errors = []
        for entry in body:
            variant = self.variants.get(entry.get("id", 0)) if isinstance(entry, dict) else None
            level = entry.get("inventory_level") if isinstance(entry, dict) else None
            if variant is None:
                errors.append({"status": 422, "title": f"Variant {entry!r} was not found"})
            elif not isinstance(level, int) or not 0 <= level <= MAX_STOCK:
                errors.append(
                    {"status": 422, "title": f"inventory_level of variant {variant['id']} is invalid"}
                )
            elif (problem := self._tracked_here(variant)) is not None:
                errors.append({"status": 422, "title": problem})
        if errors:
            return Response(422, {"batch_errors": errors})
        for entry in body:
            self.stock[(DEFAULT_LOCATION, entry["id"])] = entry["inventory_level"]
        answered = [
            {**self.variants[e["id"]], "inventory_level": self._level(self.variants[e["id"]])} for e in body
        ]
        return Response(200, {"data": copy.deepcopy(answered), "meta": {}})

    def _inventory_items(self, request: Request) -> Response:
        def numbers(name: str) -> set[int]:
            return {int(i) for i in (request.param(name) or "").split(",") if i}

        skus = {s.casefold() for s in (request.param("sku:in") or "").split(",") if s}
        variant_ids, product_ids, locations = (
            numbers("variant_id:in"),
            numbers("product_id:in"),
            numbers("location_id:in"),
        )
        rows = []
        for variant in self.variants.values():
            if self._tracked_here(variant) is not None:
                continue
            if (skus and variant["sku"].casefold() not in skus) or (
                variant_ids and variant["id"] not in variant_ids
            ):
                continue
            if product_ids and variant["product_id"] not in product_ids:
                continue
            places = []
            for location_id, place in self.locations.items():
                if locations and location_id not in locations:
                    continue
                on_hand = self.stock.get((location_id, variant["id"]), 0)
                places.append(
                    {
                        "location_id": location_id,
                        "location_code": place["code"],
                        "location_name": place["name"],
                        "available_to_sell": on_hand,
                        "total_inventory_onhand": on_hand,
                        "location_enabled": True,
                        "settings": {
                            "safety_stock": 0,
                            "is_in_stock": True,
                            "warning_level": 0,
                            "bin_picking_number": "",
                        },
                    }
                )
            identity = {
                "sku": variant["sku"],
                "variant_id": variant["id"],
                "product_id": variant["product_id"],
            }
            if variant["sku_id"] is not None:
                identity["sku_id"] = variant["sku_id"]
            rows.append({"identity": identity, "locations": places})
        return self._collection(request, rows)

    def _absolute(self, request: Request) -> Response:
        """An absolute adjustment: every item is checked first and the batch is taken or refused whole."""
        body = request.json()
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items or len(items) > 2000:
            return unprocessable("items must list 1 to 2000 inventory items")
        settled: list[tuple[int, int, int]] = []
        for item in items:
            if not isinstance(item, dict) or item.get("location_id") not in self.locations:
                return unprocessable(
                    f"Location {item.get('location_id') if isinstance(item, dict) else item!r} was not found"
                )
            named = [k for k in ("sku", "variant_id", "product_id") if k in item]
            if len(named) != 1:
                return unprocessable("One of sku, product_id or variant_id is required to identify the item")
            if named == ["product_id"]:
                product = self.catalog.get(item["product_id"])
                variant = self.variants[product["base_variant_id"]] if product else None
            elif named == ["variant_id"]:
                variant = self.variants.get(item["variant_id"])
                if (
                    variant is not None
                    and variant["id"] == self.catalog[variant["product_id"]]["base_variant_id"]
                ):
                    product = self.catalog[variant["product_id"]]
                    if product["inventory_tracking"] == "product":
                        return unprocessable(
                            f"[Item with variant_id {variant['id']} is tracked by product, please update stock by product id]"
                        )
            else:
                variant = next((v for v in self.variants.values() if v["sku"] == item["sku"]), None)
            if variant is None:
                return unprocessable(f"Items with identity: [{named[0]} {item[named[0]]}] were not found")
            problem = self._tracked_here(variant)
            if problem is not None:
                return unprocessable(f"[{problem}]")
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_STOCK:
                return unprocessable(f"The quantity of item {variant['sku']} must be 0 to {MAX_STOCK}")
            settled.append((item["location_id"], variant["id"], quantity))
        for location_id, variant_id, quantity in settled:
            self.stock[(location_id, variant_id)] = quantity
        self.adjustments.append(copy.deepcopy(body))
        return Response(200, {"transaction_id": str(uuid.uuid4())})

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
        parts = path.strip("/").split("/")
        if request.method == "PUT" and parts == ["v3", "catalog", "variants"]:
            return self._put_variants(request)
        if request.method == "PUT" and parts == ["v3", "inventory", "adjustments", "absolute"]:
            return self._absolute(request)
        if request.method != "GET":
            return Response(405, [{"status": 405, "message": "Method not allowed"}])
        if parts == ["v3", "catalog", "products"]:
            return self._products(request)
        if parts == ["v3", "catalog", "variants"]:
            return self._variants(request)
        if parts == ["v3", "inventory", "items"]:
            return self._inventory_items(request)
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
