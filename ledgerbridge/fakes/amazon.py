"""Amazon's Selling Partner API (Orders API v0) and Login with Amazon, as chalicelib/channels/amazon.py
documents them, the documents shaped by Amazon's Swagger model (tests/fixtures/vendors/amazon/, checked by
test_amazon_openapi.py). One loopback server answers both hosts:

- POST /auth/o2/token (form): grant_type=refresh_token with the app's client id and secret and the seller's
  refresh token -> {"access_token": "Atza|...", "expires_in": 3600, ...}; a wrong client -> 401
  {"error": "invalid_client"}, a wrong refresh token -> 400 {"error": "invalid_grant"} (LWA's answers);
- GET /orders/v0/orders and /orders/v0/orders/{id}/orderItems with `x-amz-access-token` (missing, unknown
  or expired -> 403 {"errors": [{"code": "Unauthorized", ...}]});
- getOrders: MarketplaceIds (required), LastUpdatedAfter (required without NextToken), LastUpdatedBefore (at
  or after LastUpdatedAfter and at least two minutes before the real time now, as Amazon requires),
  MaxResultsPerPage 1..100; both dates inclusive; oldest update first. NextToken is a cursor over the
  query's result as it was on the first page (the ids in order; each page shows their current documents),
  the fake's model of Amazon's undocumented cursor;
- getOrderItems pages by NextToken (`item_page_size` items a page);
- restricted data: without `restricted_data` (no Restricted Data Token), BuyerInfo keeps only BuyerEmail and
  the ShippingAddress only city, state, postal code and country;
- rate limits: a token bucket per operation on `rate_clock` (getOrders 0.0167 rps burst 20, getOrderItems
  0.5 rps burst 30, the Swagger usage plans); over it -> 429 {"errors": [{"code": "QuotaExceeded"}]}, with
  x-amzn-RateLimit-Limit when `rate_header_on_429` (every 200 carries it).
"""

from __future__ import annotations

import copy
import random
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from ledgerbridge.fakes.base import FakeStore, Request, Response

CATALOG = (
    ("MUG-01", "Coffee Mug", "12.50"),
    ("TEE-M", "T-Shirt - M", "20.00"),
    ("CAP-1", "Cap", "15.00"),
    ("B07XJ8C8F5", "USB-C Cable 2m", "9.99"),
)
CENT = Decimal("0.01")
USAGE_PLANS = {"getOrders": (0.0167, 20.0), "getOrderItems": (0.5, 30.0)}
MARKETPLACES = {"ATVPDKIKX0DER": ("Amazon.com", "USD"), "A2EUQ1WTGCTBG2": ("Amazon.ca", "CAD")}
UNAUTHORIZED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "The access token you provided is revoked, malformed or invalid.",
        }
    ]
}
QUOTA = {
    "errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_date(value: str | None) -> datetime:
    """An ISO 8601 date with a zone (ValueError otherwise)."""
    moment = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a date without a time zone")
    return moment


def money(value: Decimal, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": str(value.quantize(CENT))}


def invalid(message: str) -> Response:
    return Response(400, {"errors": [{"code": "InvalidInput", "message": message, "details": ""}]})


class FakeAmazon(FakeStore):
    vendor = "amazon"

    def __init__(
        self,
        *,
        client_id: str = "amzn1.application-oa2-client.0123456789abcdef",
        client_secret: str = "amzn1.oa2-cs.v1.fake-secret",
        refresh_token: str = "Atzr|IwEBIfake-refresh-token",
        marketplace_id: str = "ATVPDKIKX0DER",
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.marketplace_id = marketplace_id
        self.rate_clock: Callable[[], float] = time.monotonic
        self.rate_header_on_429 = True
        self.usage_plans = dict(
            USAGE_PLANS
        )  # the seller's own plans (Amazon may grant more than the default)
        self.restricted_data = False
        self.item_page_size = 100
        self.token_lifetime = 3600
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.access_tokens: dict[str, float] = {}  # token -> expiry on rate_clock
        self.throttled = 0
        self._buckets: dict[str, tuple[float, float]] = {}  # operation -> (tokens, at)
        self._cursors: dict[str, tuple[list[str], int, int]] = {}  # NextToken -> (ids, offset, size)
        self._next = 0

    # -- test controls -------------------------------------------------------------------------------
    def add_order(
        self,
        lines: tuple[tuple[str, str, int, str], ...] = (("MUG-01", "Coffee Mug", 2, "12.50"),),
        *,
        status: str = "Unshipped",
        fulfillment: str = "MFN",
        shipping: str = "4.99",
        tax_rate: str = "0.08",
        promotion: str = "0",
        facilitator: bool = False,
        buyer_name: str = "Jane Q Buyer",
        payment_method: str = "Other",
    ) -> dict[str, Any]:
        """An order placed (and last updated) at the fake clock's now: `lines` of (sku, title, quantity,
        unit price); shipping on the first item; tax at `tax_rate` on the discounted price and on shipping;
        `promotion` off the first item. Pending orders have no prices (as getOrderItems answers them)."""
        with self.lock:
            self._next += 1
            order_id = f"113-{1_000_000 + self._next:07d}-{7_000_000 + self._next * 37:07d}"
            name, currency = MARKETPLACES[self.marketplace_id]
            pending = status in ("Pending", "PendingAvailability")
            rate = Decimal(tax_rate)
            items = []
            total = Decimal(0)
            for index, (sku, title, quantity, price) in enumerate(lines):
                item: dict[str, Any] = {
                    "ASIN": f"B0{sum(map(ord, sku)) * 7919 % 10**8:08d}",
                    "SellerSKU": sku,
                    "OrderItemId": f"{60_000_000_000_000 + self._next * 10 + index}",
                    "Title": title,
                    "QuantityOrdered": quantity,
                    "QuantityShipped": quantity if status == "Shipped" else 0,
                }
                if not pending:
                    extended = Decimal(price) * quantity
                    discount = Decimal(promotion) if index == 0 else Decimal(0)
                    ship = Decimal(shipping) if index == 0 else Decimal(0)
                    item_tax = ((extended - discount) * rate).quantize(CENT)
                    ship_tax = (ship * rate).quantize(CENT)
                    item.update(
                        {
                            "ItemPrice": money(extended, currency),
                            "ItemTax": money(item_tax, currency),
                            "ShippingPrice": money(ship, currency),
                            "ShippingTax": money(ship_tax, currency),
                            "ShippingDiscount": money(Decimal(0), currency),
                            "PromotionDiscount": money(discount, currency),
                            "PromotionDiscountTax": money(Decimal(0), currency),
                            "IsGift": "false",
                        }
                    )
                    if discount:
                        item["PromotionIds"] = ["SAVE-PROMO"]
                    if facilitator:
                        item["TaxCollection"] = {
                            "Model": "MarketplaceFacilitator",
                            "ResponsibleParty": "Amazon Services, Inc.",
                        }
                    total += extended - discount + item_tax + ship + ship_tax
                items.append(item)
            order: dict[str, Any] = {
                "AmazonOrderId": order_id,
                "PurchaseDate": iso(self.now),
                "LastUpdateDate": iso(self.now),
                "OrderStatus": status,
                "FulfillmentChannel": fulfillment,
                "SalesChannel": name,
                "ShipServiceLevel": "Std US D2D Dom",
                "NumberOfItemsShipped": sum(q for _, _, q, _ in lines) if status == "Shipped" else 0,
                "NumberOfItemsUnshipped": 0 if status == "Shipped" else sum(q for _, _, q, _ in lines),
                "PaymentMethod": payment_method,
                "PaymentMethodDetails": ["Standard"],
                "MarketplaceId": self.marketplace_id,
                "ShipmentServiceLevelCategory": "Standard",
                "OrderType": "StandardOrder",
                "IsBusinessOrder": False,
                "IsPrime": False,
                "IsPremiumOrder": False,
                "IsGlobalExpressEnabled": False,
                "IsSoldByAB": False,
                "IsISPU": False,
                "IsAccessPointOrder": False,
                "ShippingAddress": {
                    "Name": buyer_name,
                    "AddressLine1": "410 Terry Ave N",
                    "City": "Seattle",
                    "StateOrRegion": "WA",
                    "PostalCode": "98109-5210",
                    "CountryCode": "US",
                    "Phone": "+1 206-555-0100",
                    "AddressType": "Residential",
                },
                "BuyerInfo": {
                    "BuyerEmail": f"{order_id.replace('-', '')}@marketplace.amazon.com",
                    "BuyerName": buyer_name,
                },
            }
            if not pending:
                order["OrderTotal"] = money(total, currency)
            self.orders[order_id] = order
            self.items[order_id] = items
            return self._visible(order)

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 30 seconds before each (some share a LastUpdateDate)."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 1, 2, 30)))
            picks = rng.sample(CATALOG, rng.randint(1, 3))
            added.append(
                self.add_order(
                    tuple((sku, title, rng.randint(1, 3), price) for sku, title, price in picks),
                    status=rng.choice(("Unshipped", "Shipped")),
                    fulfillment=rng.choice(("AFN", "MFN")),
                    shipping=rng.choice(("0.00", "4.99")),
                    promotion=rng.choice(("0", "0", "2.00")),
                    facilitator=rng.random() < 0.5,
                )
            )
        return added

    def change_order(self, order_id: str, **changes: Any) -> dict[str, Any]:
        """Change an order's fields one second later on the fake clock (LastUpdateDate moves to then)."""
        with self.lock:
            order = self.orders[order_id]
            order.update(changes)
            self.tick()
            order["LastUpdateDate"] = iso(self.now)
            return self._visible(order)

    def set_items(self, order_id: str, items: list[dict[str, Any]]) -> None:
        with self.lock:
            self.items[order_id] = items

    def break_order(self, order_id: str) -> None:
        """Make an order unusable the way a partial answer does: its first item has no ItemPrice."""
        with self.lock:
            del self.items[order_id][0]["ItemPrice"]

    def exhaust_rate_limit(self, operation: str = "getOrders") -> None:
        """Another client of the same seller used up the operation's bucket: the next call gets a 429."""
        with self.lock:
            self._buckets[operation] = (0.0, self.rate_clock())

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    # -- API -----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/auth/o2/token":
            return self._token(request)
        parts = request.path.strip("/").split("/")
        if request.method != "GET" or parts[:3] != ["orders", "v0", "orders"]:
            return Response(404, {"errors": [{"code": "NotFound", "message": "Resource not found."}]})
        with self.lock:
            expiry = self.access_tokens.get(request.headers.get("x-amz-access-token", ""))
            if expiry is None or expiry <= self.rate_clock():
                return Response(403, UNAUTHORIZED, {"x-amzn-RequestId": secrets.token_hex(8)})
            if len(parts) == 3:
                return self._limited("getOrders", lambda: self._orders(request))
            if len(parts) == 5 and parts[4] == "orderItems":
                return self._limited("getOrderItems", lambda: self._order_items(request, parts[3]))
        return Response(404, {"errors": [{"code": "NotFound", "message": "Resource not found."}]})

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        if form.get("grant_type") != "refresh_token":
            return Response(
                400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant"}
            )
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        if form.get("refresh_token") != self.refresh_token:
            return Response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter : refresh_token",
                },
            )
        with self.lock:
            token = "Atza|" + secrets.token_urlsafe(24)
            self.access_tokens[token] = self.rate_clock() + self.token_lifetime
        body = {
            "access_token": token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
        }
        return Response(200, body)

    def _limited(self, operation: str, answer: Callable[[], Response]) -> Response:
        rate, burst = self.usage_plans[operation]
        now = self.rate_clock()
        tokens, at = self._buckets.get(operation, (burst, now))
        tokens = min(burst, tokens + max(0.0, now - at) * rate)
        headers = {"x-amzn-RequestId": secrets.token_hex(8)}
        if tokens < 1.0 - 1e-6:  # (float rounding of a client that waited exactly)
            self._buckets[operation] = (tokens, now)
            self.throttled += 1
            if self.rate_header_on_429:
                headers["x-amzn-RateLimit-Limit"] = str(rate)
            return Response(429, QUOTA, headers)
        self._buckets[operation] = (tokens - 1.0, now)
        response = answer()
        response.headers.update({**headers, "x-amzn-RateLimit-Limit": str(rate)})
        return response

    def _orders(self, request: Request) -> Response:
        markets = [m for m in (request.param("MarketplaceIds") or "").split(",") if m]
        if not markets:
            return invalid("MarketplaceIds is required.")
        if any(m not in MARKETPLACES for m in markets):
            return invalid("Invalid MarketplaceIds.")
        token = request.param("NextToken")
        if token:
            cursor = self._cursors.get(token)
            if cursor is None:
                return invalid("Invalid NextToken.")
            ids, offset, size = cursor
        else:
            try:
                after = read_date(request.param("LastUpdatedAfter"))
                raw_before = request.param("LastUpdatedBefore")
                before = read_date(raw_before) if raw_before else datetime.now(UTC) - timedelta(minutes=2)
            except ValueError:
                return invalid("LastUpdatedAfter and LastUpdatedBefore must be ISO 8601 dates with a zone.")
            if before < after:
                return invalid("LastUpdatedBefore must be equal to or after LastUpdatedAfter.")
            if before > datetime.now(UTC) - timedelta(minutes=2):
                return invalid("LastUpdatedBefore must be at least two minutes before the current time.")
            size = int(request.param("MaxResultsPerPage") or 100)
            if not 1 <= size <= 100:
                return invalid("MaxResultsPerPage must be between 1 and 100.")
            found = sorted(
                (read_date(o["LastUpdateDate"]), order_id)
                for order_id, o in self.orders.items()
                if o["MarketplaceId"] in markets and after <= read_date(o["LastUpdateDate"]) <= before
            )
            ids, offset = [order_id for _, order_id in found], 0
        body: dict[str, Any] = {
            "Orders": [self._visible(self.orders[i]) for i in ids[offset : offset + size]]
        }
        if offset + size < len(ids):
            next_token = secrets.token_urlsafe(24)
            self._cursors[next_token] = (ids, offset + size, size)
            body["NextToken"] = next_token
        return Response(200, {"payload": body})

    def _order_items(self, request: Request, order_id: str) -> Response:
        if order_id not in self.orders:
            return invalid("Invalid AmazonOrderId.")
        items = self.items[order_id]
        token = request.param("NextToken")
        offset = int(token.rpartition(".")[2]) if token and token.startswith(f"{order_id}.") else 0
        if token and not token.startswith(f"{order_id}."):
            return invalid("Invalid NextToken.")
        page = items[offset : offset + self.item_page_size]
        body: dict[str, Any] = {"AmazonOrderId": order_id, "OrderItems": copy.deepcopy(page)}
        if offset + self.item_page_size < len(items):
            body["NextToken"] = f"{order_id}.{offset + self.item_page_size}"
        return Response(200, {"payload": body})

    def _visible(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """The order as an app without restricted data sees it."""
        shown = copy.deepcopy(dict(order))
        if not self.restricted_data:
            buyer = shown.get("BuyerInfo") or {}
            shown["BuyerInfo"] = {k: v for k, v in buyer.items() if k == "BuyerEmail"}
            address = shown.get("ShippingAddress") or {}
            keep = ("City", "StateOrRegion", "PostalCode", "CountryCode", "AddressType")
            shown["ShippingAddress"] = {k: v for k, v in address.items() if k in keep}
        return shown
