"""A Walmart Marketplace (US) seller's API as chalicelib/channels/walmart.py documents it, its documents
shaped by Walmart's OpenAPI documents (tests/fixtures/vendors/walmart/, checked by test_walmart_openapi.py).

- POST /v3/token with `Authorization: Basic <client id:secret>` and the form grant_type=client_credentials:
  {"access_token", "token_type": "Bearer", "expires_in": 900}; wrong credentials 401. Every other call needs
  WM_SEC.ACCESS_TOKEN (a token this fake issued, not expired on `rate_clock`), and every call WM_SVC.NAME and
  WM_QOS.CORRELATION_ID (400 without them: stricter than Walmart, which documents them as required);
- GET /v3/token/detail: the token's scopes;
- GET /v3/orders with lastModifiedStartDate/lastModifiedEndDate (ISO 8601 date or timestamp, both ends
  inclusive, to the millisecond) and limit (at most 200): {"list": {"meta": {"totalCount", "limit",
  "nextCursor"}, "elements": {"order": [...]}}}, newest purchase order first (Walmart documents no order; the
  connector must not rely on one). nextCursor is "?limit=..&hasMoreElements=true&soIndex=..&poIndex=..&<the
  filters>", appended to /v3/orders. No match: 404 CONTENT_NOT_FOUND.GMP_ORDER_API. A purchase order has no
  modification time in its document: the fake keeps it aside (`modified`) and moves a line's statusDate with
  it;
- GET and PUT /v3/inventory?sku=: {"sku", "quantity": {"unit": "EACH", "amount"}}; unknown SKU 404, a body
  that is not one 400;
- `quota` calls per `window` seconds on `rate_clock` for the order and inventory calls; each answer says
  x-current-token-count and x-next-replenish-time (epoch ms), and 429 once none is left.
"""

from __future__ import annotations

import base64
import copy
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_LIMIT = 200
CATALOG = (("MUG-01", "Coffee Mug", "12.50"), ("TEE-M", "T-Shirt - M", "20.00"), ("CAP-1", "Cap", "15.00"))
CENT = Decimal("0.01")
TOKEN_SECONDS = 900


def error(code: str, description: str, category: str = "DATA") -> dict[str, Any]:
    return {
        "errors": {
            "error": [
                {
                    "code": code,
                    "description": description,
                    "info": description,
                    "severity": "ERROR",
                    "category": category,
                }
            ]
        }
    }


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def read_date(value: str) -> int:
    """A date filter as Walmart takes it: '2020-03-16' or '2020-03-16T10:30:15Z' (milliseconds allowed)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def money(value: Decimal) -> float:
    return float(value.quantize(CENT))


class FakeWalmart(FakeStore):
    vendor = "walmart"

    def __init__(
        self,
        *,
        client_id: str = "wm-client-0001",
        client_secret: str = "wm-secret-abcdef",
        quota: int = 100,
        window: float = 60.0,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.quota = quota
        self.window = window
        self.rate_clock: Callable[[], float] = time.time
        self.throttled = 0
        self.tokens: dict[str, float] = {}  # access token -> expiry on rate_clock
        self.scopes = {"orders": "full_access", "inventory": "full_access", "item": "full_access"}
        self.modified: dict[str, int] = {}  # purchaseOrderId -> last change, epoch ms
        self.inventory: dict[str, int] = {sku: 10 for sku, _, _ in CATALOG}
        self._window_start: float | None = None
        self._used = 0
        self._next = 1_796_277_083_000

    # -- orders --------------------------------------------------------------------------------------
    def add_order(
        self,
        lines: tuple[tuple[str, str, int, str], ...] = (("MUG-01", "Coffee Mug", 1, "12.50"),),
        *,
        shipping: str = "5.00",
        tax_rate: str = "0.08",
    ) -> dict[str, Any]:
        """A purchase order placed at the fake clock's now: each line's PRODUCT charge (price x quantity)
        taxed at `tax_rate`, the shipping on the first line."""
        with self.lock:
            self._next += 1
            po = str(self._next)
            when = ms(self.now)
            order_lines = []
            for number, (sku, name, quantity, price) in enumerate(lines, start=1):
                extended = Decimal(price) * quantity
                charges = [self._charge("PRODUCT", "ItemPrice", extended, tax_rate)]
                if number == 1 and Decimal(shipping):
                    charges.append(self._charge("SHIPPING", "Shipping", Decimal(shipping), tax_rate))
                order_lines.append(
                    {
                        "lineNumber": str(number),
                        "item": {"productName": name, "sku": sku},
                        "charges": {"charge": charges},
                        "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(quantity)},
                        "statusDate": when,
                        "orderLineStatuses": {
                            "orderLineStatus": [
                                {
                                    "status": "Created",
                                    "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(quantity)},
                                }
                            ]
                        },
                        "fulfillment": {"fulfillmentOption": "S2H", "shipMethod": "VALUE"},
                    }
                )
            order: dict[str, Any] = {
                "purchaseOrderId": po,
                "customerOrderId": str(5_281_956_426_000 + self._next % 1000),
                "customerEmailId": f"{po}@relay.walmart.com",
                "orderDate": when,
                "shippingInfo": {
                    "phone": "3155598681",
                    "estimatedDeliveryDate": when + 5 * 86_400_000,
                    "estimatedShipDate": when + 86_400_000,
                    "methodCode": "Value",
                    "postalAddress": {
                        "name": "Ada Lovelace",
                        "address1": "12 Analytical Way",
                        "address2": "",
                        "city": "Austin",
                        "state": "TX",
                        "postalCode": "78701",
                        "country": "USA",
                        "addressType": "RESIDENTIAL",
                    },
                },
                "orderLines": {"orderLine": order_lines},
            }
            self.orders[po] = order
            self.modified[po] = when
            return copy.deepcopy(order)

    @staticmethod
    def _charge(kind: str, name: str, value: Decimal, tax_rate: str) -> dict[str, Any]:
        return {
            "chargeType": kind,
            "chargeName": name,
            "chargeAmount": {"currency": "USD", "amount": money(value)},
            "tax": {
                "taxName": "Tax1",
                "taxAmount": {"currency": "USD", "amount": money(value * Decimal(tax_rate))},
            },
        }

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 30 seconds before each (some share a moment)."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 1, 2, 30)))
            picks = rng.sample(CATALOG, rng.randint(1, 3))
            added.append(
                self.add_order(
                    tuple((sku, name, rng.choice((1, 1, 2)), price) for sku, name, price in picks),
                    shipping=rng.choice(("0.00", "5.00", "9.95")),
                )
            )
        return added

    def _touch(self, order: dict[str, Any], line: dict[str, Any]) -> int:
        when = ms(self.tick())
        line["statusDate"] = when
        self.modified[order["purchaseOrderId"]] = when
        return when

    def change_order(self, order_id: str, status: str = "Acknowledged") -> dict[str, Any]:
        """The seller acknowledges (or ships...) every line one second later on the fake clock."""
        with self.lock:
            order = self.orders[str(order_id)]
            when = ms(self.tick())
            for line in order["orderLines"]["orderLine"]:
                line["orderLineStatuses"]["orderLineStatus"][0]["status"] = status
                line["statusDate"] = when
            self.modified[order["purchaseOrderId"]] = when
            return copy.deepcopy(order)

    def add_refund(self, order_id: str, line_number: int, amount: str, tax: str = "0.00") -> dict[str, Any]:
        """Refund `amount` (+ `tax`) of one line's product, one second later."""
        with self.lock:
            order = self.orders[str(order_id)]
            line = order["orderLines"]["orderLine"][line_number - 1]
            self._touch(order, line)
            line["refund"] = {
                "refundId": f"R{order['purchaseOrderId']}-{line_number}",
                "refundComments": "Customer returned item",
                "refundCharges": {
                    "refundCharge": [
                        {
                            "refundReason": "Customer returned item",
                            "charge": {
                                "chargeType": "PRODUCT",
                                "chargeName": "Item Price",
                                "chargeAmount": {"currency": "USD", "amount": -float(amount)},
                                "tax": {
                                    "taxName": "Item Price Tax",
                                    "taxAmount": {"currency": "USD", "amount": -float(tax)},
                                },
                            },
                        }
                    ]
                },
            }
            return copy.deepcopy(order)

    def break_order(self, order_id: str) -> None:
        """Make an order malformed: its first line loses its PRODUCT charge amount."""
        with self.lock:
            line = self.orders[str(order_id)]["orderLines"]["orderLine"][0]
            line["charges"]["charge"][0]["chargeAmount"] = None

    def exhaust_rate_limit(self) -> None:
        """Another app used up the call tokens: the next order or inventory call is answered 429."""
        with self.lock:
            self._tokens_left()
            self._used = self.quota

    def add_item(self, sku: str, quantity: int = 0) -> None:
        with self.lock:
            self.inventory[sku] = quantity

    # -- API -----------------------------------------------------------------------------------------
    def _tokens_left(self) -> tuple[int, int]:
        """(call tokens left, epoch ms of the next replenishment); a new window when the last one is over."""
        now = self.rate_clock()
        if self._window_start is None or now - self._window_start >= self.window:
            self._window_start = now
            self._used = 0
        return self.quota - self._used, round((self._window_start + self.window) * 1000)

    def handle(self, request: Request) -> Response:
        if not request.headers.get("wm_svc.name") or not request.headers.get("wm_qos.correlation_id"):
            return Response(400, error("INVALID_REQUEST_HEADER.GMP_GATEWAY_API", "Missing required header"))
        if request.path == "/v3/token":
            return self._token(request)
        with self.lock:
            expiry = self.tokens.get(request.headers.get("wm_sec.access_token", ""))
            if expiry is None or self.rate_clock() >= expiry:
                return Response(401, error("UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized token"))
            if request.path == "/v3/token/detail":
                return Response(
                    200,
                    {
                        "expire_at": str(int(expiry * 1000)),
                        "issued_at": str(int((expiry - TOKEN_SECONDS) * 1000)),
                        "is_valid": True,
                        "is_channel_match": True,
                        "scopes": dict(self.scopes),
                    },
                )
            left, replenish = self._tokens_left()
            limits = {"x-next-replenish-time": str(replenish)}
            if left <= 0:
                self.throttled += 1
                return Response(
                    429,
                    error("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", "Too many requests", "REQUEST"),
                    {**limits, "x-current-token-count": "0"},
                )
            self._used += 1
            limits["x-current-token-count"] = str(left - 1)
            if request.path == "/v3/orders" and request.method == "GET":
                response = self._orders(request)
            elif request.path == "/v3/inventory" and request.method in ("GET", "PUT"):
                response = self._inventory(request)
            else:
                response = Response(404, error("CONTENT_NOT_FOUND.GMP_GATEWAY_API", "No such resource"))
            response.headers.update(limits)
            return response

    def _token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.method != "POST" or request.headers.get("authorization") != f"Basic {expected}":
            return Response(401, error("UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized"))
        form = parse_qs(request.body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return Response(
                400, error("INVALID_REQUEST.GMP_GATEWAY_API", "grant_type must be client_credentials")
            )
        with self.lock:
            token = f"wm-token-{len(self.tokens) + 1}"
            self.tokens[token] = self.rate_clock() + TOKEN_SECONDS
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS})

    def _orders(self, request: Request) -> Response:
        try:
            low, high = request.param("lastModifiedStartDate"), request.param("lastModifiedEndDate")
            since = read_date(low) if low else None
            until = read_date(high) if high else None
            limit = int(request.param("limit") or 100)
            offset = int(request.param("poIndex") or 0)
        except ValueError as exc:
            return Response(400, error("INVALID_REQUEST_PARAM.GMP_ORDER_API", f"invalid filter: {exc}"))
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return Response(400, error("INVALID_REQUEST_PARAM.GMP_ORDER_API", "limit must be 1 to 200"))
        rows = [
            po
            for po in sorted(self.orders, reverse=True)
            if (since is None or self.modified[po] >= since) and (until is None or self.modified[po] <= until)
        ]
        if not rows:
            return Response(
                404,
                error("CONTENT_NOT_FOUND.GMP_ORDER_API", "No Orders found for the given query parameters"),
            )
        chunk = rows[offset : offset + limit]
        following = offset + limit
        cursor = None
        if following < len(rows):
            kept = {
                k: v[0]
                for k, v in request.query.items()
                if k not in ("limit", "hasMoreElements", "soIndex", "poIndex")
            }
            cursor = "?" + urlencode(
                {
                    "limit": limit,
                    "hasMoreElements": "true",
                    "soIndex": following,
                    "poIndex": following,
                    **kept,
                }
            )
        meta: dict[str, Any] = {"totalCount": len(rows), "limit": limit}
        if cursor:
            meta["nextCursor"] = cursor
        return Response(
            200,
            {"list": {"meta": meta, "elements": {"order": [copy.deepcopy(self.orders[po]) for po in chunk]}}},
        )

    def _inventory(self, request: Request) -> Response:
        sku = request.param("sku")
        if not sku:
            return Response(400, error("INVALID_REQUEST_PARAM.GMP_INVENTORY_API", "sku is required"))
        if sku not in self.inventory:
            return Response(404, error("CONTENT_NOT_FOUND.GMP_INVENTORY_API", f"SKU {sku} not found"))
        if request.method == "PUT":
            try:
                body = request.json()
                quantity = body["quantity"]
                valid = (
                    body["sku"] == sku
                    and quantity["unit"] == "EACH"
                    and isinstance(quantity["amount"], int | float)
                    and quantity["amount"] >= 0
                )
            except (ValueError, KeyError, TypeError):
                valid = False
            if not valid:
                return Response(400, error("INVALID_REQUEST_CONTENT.GMP_INVENTORY_API", "invalid inventory"))
            self.inventory[sku] = int(quantity["amount"])
        return Response(200, {"sku": sku, "quantity": {"unit": "EACH", "amount": self.inventory[sku]}})
