"""A fake ShipStation API v1: GET /stores and GET /orders (modify-date filters, sort, page/pageSize), HTTP
Basic auth, X-Rate-Limit-* headers with a 429 once a window's requests are used up.

Timestamps are Pacific wall-clock times without an offset, with seven fractional digits, as ShipStation
sends them; the date filters are compared as wall-clock times too. The rate-limit window runs on
`rate_clock` (a test can make it follow its recorded sleeps).
"""

from __future__ import annotations

import base64
import json
import math
import random
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ledgerbridge.fakes.base import FakeStore, Request, Response

PACIFIC = ZoneInfo("America/Los_Angeles")
CENT = Decimal("0.01")
SORT_FIELDS = {"OrderDate": "orderDate", "ModifyDate": "modifyDate", "CreateDate": "createDate"}
CATALOG = (
    ("MUG-01", "Heron mug", 12.50),
    ("TEE-M", "Heron T-shirt (M)", 20.00),
    ("TOTE-01", "Canvas tote", 16.00),
    ("CARD-05", "Greeting cards (5)", 7.25),
    ("PRINT-A3", "Heron print A3", 34.99),
    ("SOCK-L", "Wool socks (L)", 11.00),
)
NAMES = (
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
)
STATUSES = ("awaiting_shipment", "awaiting_shipment", "shipped", "shipped", "awaiting_payment", "on_hold")


def pacific(moment: datetime) -> str:
    """ShipStation's timestamp format: Pacific wall-clock time, seven fractional digits, no offset."""
    local = moment.astimezone(PACIFIC)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0"


def item(
    sku: str,
    name: str,
    quantity: int,
    unit_price: float,
    *,
    tax_amount: float = 0.0,
    adjustment: bool = False,
    item_id: int = 0,
    line_item_key: str | None = None,
) -> dict[str, Any]:
    """An OrderItem as ShipStation sends it (`tax_amount` is per unit, as documented)."""
    return {
        "orderItemId": item_id,
        "lineItemKey": line_item_key,
        "sku": sku,
        "name": name,
        "imageUrl": None,
        "weight": None if adjustment else {"value": 12.0, "units": "ounces", "WeightUnits": 1},
        "quantity": quantity,
        "unitPrice": unit_price,
        "taxAmount": tax_amount or None,
        "shippingAmount": None,
        "warehouseLocation": None if adjustment else "Aisle 3, Bin 5",
        "options": [],
        "productId": None,
        "fulfillmentSku": None,
        "adjustment": adjustment,
        "upc": None,
        "createDate": None,
        "modifyDate": None,
    }


def order_total(document: dict[str, Any]) -> float:
    """orderTotal as ShipStation computes it: items (adjustments included) + tax + shipping."""
    items = sum(
        (Decimal(str(i["quantity"])) * Decimal(str(i["unitPrice"] or 0)) for i in document["items"]),
        Decimal(0),
    )
    tax = Decimal(str(document.get("taxAmount") or 0))
    shipping = Decimal(str(document.get("shippingAmount") or 0))
    return float((items + tax + shipping).quantize(CENT))


class FakeShipStation(FakeStore):
    vendor = "shipstation"

    def __init__(
        self,
        *,
        api_key: str = "ss-api-key",
        api_secret: str = "ss-api-secret",
        rate_limit: int = 40,
        rate_window: float = 60.0,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.rate_clock: Callable[[], float] = time.monotonic
        self.throttled = 0  # 429s answered because the window's requests were used up
        self._window_start: float | None = None
        self._used = 0
        self._seq = 0
        self._item_seq = 0
        self.stores: list[dict[str, Any]] = [
            {
                "storeId": 29071,
                "storeName": "Blue Heron Goods",
                "marketplaceId": 0,
                "marketplaceName": "ShipStation",
                "accountName": None,
                "email": None,
                "integrationUrl": None,
                "active": True,
                "companyName": "Blue Heron Goods LLC",
                "phone": "",
                "publicEmail": "",
                "website": "",
                "refreshDate": None,
                "lastRefreshAttempt": None,
                "createDate": "2024-03-01T09:00:00.0000000",
                "modifyDate": "2024-03-01T09:00:00.0000000",
                "autoRefresh": False,
            }
        ]

    # -- orders --------------------------------------------------------------------------------------
    def _item_id(self) -> int:
        self._item_seq += 1
        return 128836911 + self._item_seq

    def add_order(self, **overrides: Any) -> dict[str, Any]:
        """A realistic order changed at the fake clock's `now`; keyword arguments replace its fields (with
        `items` given and no `orderTotal`, the total is computed from them)."""
        with self.lock:
            self._seq += 1
            order_id = 94113591 + self._seq
            stamp = pacific(self.now)
            address = {
                "name": "Ada Lovelace",
                "company": "Analytical Engines Ltd",
                "street1": "1 Main St",
                "street2": "Suite 200",
                "street3": None,
                "city": "Seattle",
                "state": "WA",
                "postalCode": "98101",
                "country": "US",
                "phone": "206-555-0100",
                "residential": False,
                "addressVerified": "Address validated successfully",
            }
            items = overrides.pop("items", None)
            if items is None:
                items = [
                    item("MUG-01", "Heron mug", 2, 12.50, tax_amount=1.03, line_item_key=f"{order_id}-1"),
                    item(
                        "TEE-M", "Heron T-shirt (M)", 1, 20.00, tax_amount=1.65, line_item_key=f"{order_id}-2"
                    ),
                    item("WELCOME10", "Discount - WELCOME10", 1, -4.50, adjustment=True),
                ]
            for entry in items:
                if not entry.get("orderItemId"):
                    entry["orderItemId"] = self._item_id()
                entry["createDate"] = entry["modifyDate"] = stamp
            document: dict[str, Any] = {
                "orderId": order_id,
                "orderNumber": str(1000 + self._seq),
                "orderKey": f"0f6bec18-{order_id}",
                "orderDate": stamp,
                "createDate": stamp,
                "modifyDate": stamp,
                "paymentDate": stamp,
                "shipByDate": None,
                "orderStatus": "awaiting_shipment",
                "customerId": 37701499 + self._seq,
                "customerUsername": "ada@example.com",
                "customerEmail": "ada@example.com",
                "billTo": dict(address),
                "shipTo": {**address, "residential": True},
                "items": items,
                "orderTotal": 0.0,
                "amountPaid": 0.0,
                "taxAmount": 3.71,
                "shippingAmount": 5.95,
                "customerNotes": "Please gift wrap.",
                "internalNotes": None,
                "gift": False,
                "giftMessage": None,
                "paymentMethod": "Credit Card",
                "requestedShippingService": "USPS Priority Mail",
                "carrierCode": None,
                "serviceCode": None,
                "packageCode": None,
                "confirmation": "none",
                "shipDate": None,
                "holdUntilDate": None,
                "weight": {"value": 36.0, "units": "ounces", "WeightUnits": 1},
                "dimensions": None,
                "insuranceOptions": {"provider": None, "insureShipment": False, "insuredValue": 0.0},
                "internationalOptions": {"contents": None, "customsItems": None, "nonDelivery": None},
                "advancedOptions": {
                    "warehouseId": 24079,
                    "nonMachinable": False,
                    "saturdayDelivery": False,
                    "containsAlcohol": False,
                    "mergedOrSplit": False,
                    "mergedIds": [],
                    "parentId": None,
                    "storeId": self.stores[0]["storeId"],
                    "customField1": None,
                    "customField2": None,
                    "customField3": None,
                    "source": "web",
                    "billToParty": None,
                    "billToAccount": None,
                    "billToPostalCode": None,
                    "billToCountryCode": None,
                    "billToMyOtherAccount": None,
                },
                "tagIds": None,
                "userId": None,
                "externallyFulfilled": False,
                "externallyFulfilledBy": None,
            }
            document.update(overrides)
            if "orderTotal" not in overrides:
                document["orderTotal"] = order_total(document)
            if "amountPaid" not in overrides:
                unpaid = document["orderStatus"] in ("awaiting_payment", "cancelled")
                document["amountPaid"] = 0.0 if unpaid else document["orderTotal"]
            if document["amountPaid"] == 0 and "paymentDate" not in overrides:
                document["paymentDate"] = None
            self.orders[str(order_id)] = document
            return document

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied orders, the clock moving 0 to 90 seconds before each (some share a timestamp)."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 1, 2, 5, 30, 90)))
            entries = []
            tax = Decimal(0)
            taxed = rng.random() < 0.7
            for sku, name, price in rng.sample(CATALOG, rng.randint(1, 3)):
                quantity = rng.randint(1, 3)
                per_unit = (Decimal(str(price)) * Decimal("0.0825")).quantize(CENT) if taxed else Decimal(0)
                tax += per_unit * quantity
                entries.append(item(sku, name, quantity, price, tax_amount=float(per_unit)))
            if rng.random() < 0.3:
                entries.append(item("SAVE5", "Discount - SAVE5", 1, -5.00, adjustment=True))
            first, last = rng.choice(NAMES)
            email = f"{first.lower()}.{last.lower()}@example.com"
            added.append(
                self.add_order(
                    items=entries,
                    taxAmount=float(tax),
                    shippingAmount=rng.choice((0.0, 5.95, 8.50, 12.00)),
                    orderStatus=rng.choice(STATUSES),
                    customerEmail=email,
                    customerUsername=email,
                    billTo={**self._address(f"{first} {last}")},
                    shipTo={**self._address(f"{first} {last}"), "residential": True},
                )
            )
        return added

    @staticmethod
    def _address(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "company": None,
            "street1": "500 Pine St",
            "street2": None,
            "street3": None,
            "city": "Portland",
            "state": "OR",
            "postalCode": "97204",
            "country": "US",
            "phone": None,
            "residential": None,
            "addressVerified": None,
        }

    def change_order(self, order_id: str | int, **changes: Any) -> dict[str, Any]:
        """Change an order's fields one second later on the fake clock (modifyDate moves to then)."""
        with self.lock:
            document = self.orders[str(order_id)]
            now = self.tick()
            document.update(changes)
            if "orderTotal" not in changes and {"items", "taxAmount", "shippingAmount"} & set(changes):
                document["orderTotal"] = order_total(document)
            document["modifyDate"] = pacific(now)
            return document

    def break_order(self, order_id: str | int) -> None:
        """Make an order malformed the way a broken import does: its first item loses its name."""
        with self.lock:
            self.orders[str(order_id)]["items"][0]["name"] = None

    def exhaust_rate_limit(self) -> None:
        """Use up the current window's requests (another app on the same key)."""
        with self.lock:
            self._rate()
            self._used = self.rate_limit

    # -- HTTP ----------------------------------------------------------------------------------------
    def _rate(self) -> tuple[bool, dict[str, str]]:
        now = self.rate_clock()
        if self._window_start is None or now - self._window_start >= self.rate_window:
            self._window_start, self._used = now, 0
        allowed = self._used < self.rate_limit
        if allowed:
            self._used += 1
        reset = max(0, math.ceil(self._window_start + self.rate_window - now))
        return allowed, {
            "X-Rate-Limit-Limit": str(self.rate_limit),
            "X-Rate-Limit-Remaining": str(self.rate_limit - self._used),
            "X-Rate-Limit-Reset": str(reset),
        }

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded).decode()
        except ValueError:
            return False
        return decoded == f"{self.api_key}:{self.api_secret}"

    def handle(self, request: Request) -> Response:
        with self.lock:
            allowed, headers = self._rate()
            if not allowed:
                self.throttled += 1
                return Response(
                    429,
                    {"message": "Too Many Requests"},
                    {**headers, "Retry-After": headers["X-Rate-Limit-Reset"]},
                )
            if not self._authorized(request):
                return Response(401, b"401 Unauthorized", {**headers, "Content-Type": "text/plain"})
            if request.method == "GET" and request.path == "/stores":
                return Response(200, [s for s in self.stores if s["active"]], headers)
            if request.method == "GET" and request.path == "/orders":
                return self._orders(request, headers)
            return Response(
                404, {"Message": f"No HTTP resource was found that matches the request URI {request.path}."}
            )

    def _orders(self, request: Request, headers: dict[str, str]) -> Response:
        try:
            page = int(request.param("page") or 1)
            size = int(request.param("pageSize") or 100)
            bounds = {
                name: datetime.fromisoformat(value).replace(tzinfo=None)
                for name in ("modifyDateStart", "modifyDateEnd", "createDateStart", "createDateEnd")
                if (value := request.param(name))
            }
        except ValueError as exc:
            return Response(
                400, {"Message": "The request is invalid.", "ExceptionMessage": str(exc)}, headers
            )
        if page < 1 or not 1 <= size <= 500:
            return Response(400, {"Message": "The request is invalid: page or pageSize."}, headers)
        status = request.param("orderStatus")
        number = request.param("orderNumber")
        field = SORT_FIELDS.get(request.param("sortBy") or "OrderDate", "orderDate")
        descending = (request.param("sortDir") or "ASC").upper() == "DESC"

        def inside(document: dict[str, Any]) -> bool:
            for prefix, key in (("modifyDate", "modifyDate"), ("createDate", "createDate")):
                start, end = bounds.get(prefix + "Start"), bounds.get(prefix + "End")
                if start is None and end is None:
                    continue
                moment = datetime.fromisoformat(document[key])
                if (start is not None and moment < start) or (end is not None and moment > end):
                    return False
            if status and document["orderStatus"] != status:
                return False
            return not number or str(document["orderNumber"]).startswith(number)

        matching = sorted(
            (d for d in self.orders.values() if inside(d)),
            key=lambda d: (datetime.fromisoformat(d[field]), d["orderId"]),
            reverse=descending,
        )
        total = len(matching)
        body = {
            "orders": matching[(page - 1) * size : page * size],
            "total": total,
            "page": page,
            "pages": math.ceil(total / size),
        }
        return Response(200, json.dumps(body).encode(), headers)  # encoded under the lock
