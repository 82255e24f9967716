"""A fake ShipStation API v1: GET /stores and GET /orders (modify-date filters, sort, page/pageSize), HTTP
Basic auth, X-Rate-Limit-* headers with a 429 once a window's requests are used up.

Orders from elsewhere: POST /orders/createorders (at most 100; an order with a known orderKey replaces that
order, which keeps its orderId; shipped and cancelled orders cannot be updated; orderNumber, orderDate,
orderStatus, billTo and shipTo are required: a missing one fails that order with success false and an
errorMessage). Shipments: GET /shipments (createDate / shipDate filters, orderId, orderNumber, sortBy
CreateDate or ShipDate, page/pageSize up to 500); tests make them with `ship()` and void them with `void()`.

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
import uuid
from collections.abc import Callable
from datetime import date, datetime
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
ORDER_STATUSES = (
    "awaiting_payment",
    "awaiting_shipment",
    "pending_fulfillment",
    "shipped",
    "on_hold",
    "cancelled",
    "rejected_fulfillment",
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
        self.shipments: dict[str, dict[str, Any]] = {}  # by shipmentId, in creation order
        self._shipment_seq = 0
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

    # -- orders from createorders, shipments --------------------------------------------------------
    def order_by_key(self, order_key: str) -> dict[str, Any] | None:
        with self.lock:
            return next((d for d in self.orders.values() if d.get("orderKey") == order_key), None)

    def orders_with_key(self, order_key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d for d in self.orders.values() if d.get("orderKey") == order_key]

    @property
    def order_count(self) -> int:
        with self.lock:
            return len(self.orders)

    def ship(
        self,
        order_key: str,
        *,
        tracking_number: str = "9400111899223197428490",
        carrier_code: str = "stamps_com",
        service_code: str | None = "usps_priority_mail",
        shipment_cost: float | Decimal | str = "7.85",
        ship_date: date | None = None,
    ) -> dict[str, Any]:
        """A label for the order with `order_key`, created at the fake clock's now (the order becomes
        shipped, modified now). Returns the shipment as GET /shipments answers it."""
        with self.lock:
            order = self.order_by_key(order_key)
            if order is None:
                raise KeyError(f"no order with orderKey {order_key!r}")
            self._shipment_seq += 1
            stamp = pacific(self.now)
            shipped_on = ship_date or self.now.astimezone(PACIFIC).date()
            shipment: dict[str, Any] = {
                "shipmentId": 33974374 + self._shipment_seq,
                "orderId": order["orderId"],
                "orderKey": order["orderKey"],
                "userId": "123456AB-ab12-3c4d-5e6f-123456789abc",
                "customerEmail": order.get("customerEmail"),
                "orderNumber": order["orderNumber"],
                "createDate": stamp,
                "shipDate": shipped_on.isoformat(),
                "shipmentCost": float(Decimal(str(shipment_cost))),
                "insuranceCost": 0.0,
                "trackingNumber": tracking_number,
                "isReturnLabel": False,
                "batchNumber": None,
                "carrierCode": carrier_code,
                "serviceCode": service_code,
                "packageCode": "package",
                "confirmation": "delivery",
                "warehouseId": 24079,
                "voided": False,
                "voidDate": None,
                "marketplaceNotified": False,
                "notifyErrorMessage": None,
                "shipTo": order.get("shipTo"),
                "weight": {"value": 36.0, "units": "ounces", "WeightUnits": 1},
                "dimensions": None,
                "insuranceOptions": {"provider": None, "insureShipment": False, "insuredValue": 0.0},
                "advancedOptions": {"billToParty": None, "billToAccount": None},
                "shipmentItems": None,
                "labelData": None,
                "formData": None,
            }
            self.shipments[str(shipment["shipmentId"])] = shipment
            order.update(
                orderStatus="shipped",
                shipDate=shipped_on.isoformat(),
                carrierCode=carrier_code,
                serviceCode=service_code,
                modifyDate=stamp,
            )
            return shipment

    def void(self, shipment_id: str | int) -> dict[str, Any]:
        """Void a shipment's label now (it stays in GET /shipments with voided true)."""
        with self.lock:
            shipment = self.shipments[str(shipment_id)]
            shipment.update(voided=True, voidDate=pacific(self.now))
            return shipment

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
            if request.method == "POST" and request.path == "/orders/createorders":
                return self._create_orders(request, headers)
            if request.method == "GET" and request.path == "/shipments":
                return self._shipments(request, headers)
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

    # -- createorders and shipments ------------------------------------------------------------------
    @staticmethod
    def _invalid(message: str, headers: dict[str, str]) -> Response:
        return Response(400, {"Message": "The request is invalid.", "ExceptionMessage": message}, headers)

    def _create_orders(self, request: Request, headers: dict[str, str]) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, list):
            return self._invalid("The body must be an array of orders.", headers)
        if len(body) > 100:
            return self._invalid("A maximum of 100 orders can be created or updated per request.", headers)
        results = [self._upsert(entry) for entry in body]
        answer = {"hasErrors": any(not r["success"] for r in results), "results": results}
        return Response(200, json.dumps(answer).encode(), headers)

    @staticmethod
    def _date(value: Any) -> str:
        """A date sent by a client as ShipStation stores it: Pacific wall-clock time (a naive one is taken
        as Pacific already)."""
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"
        return pacific(moment)

    def _upsert(self, entry: Any) -> dict[str, Any]:
        order = entry if isinstance(entry, dict) else {}
        key = order.get("orderKey") or None
        number = order.get("orderNumber")
        result: dict[str, Any] = {
            "orderId": 0,
            "orderNumber": number,
            "orderKey": key,
            "success": False,
            "errorMessage": None,
        }
        problems = []
        if not isinstance(number, str) or not number.strip():
            problems.append("orderNumber is required")
        elif len(number) > 50:
            problems.append("orderNumber must be at most 50 characters")
        if order.get("orderStatus") not in ORDER_STATUSES:
            problems.append(f"orderStatus must be one of {', '.join(ORDER_STATUSES)}")
        for name in ("billTo", "shipTo"):
            if not isinstance(order.get(name), dict):
                problems.append(f"{name} is required")
        dates: dict[str, str | None] = {}
        for name, required in (("orderDate", True), ("paymentDate", False), ("shipByDate", False)):
            value = order.get(name)
            if value in (None, ""):
                if required:
                    problems.append(f"{name} is required")
                dates[name] = None
                continue
            try:
                dates[name] = self._date(value)
            except ValueError:
                problems.append(f"{name} is not a valid date")
        items = order.get("items") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append("items must be an array of items")
            items = []
        existing = self.order_by_key(key) if key else None
        if existing is not None and existing["orderStatus"] in ("shipped", "cancelled"):
            problems.append(f"the order is {existing['orderStatus']} and can no longer be updated")
        if problems:
            result["errorMessage"] = "; ".join(problems)
            if existing is not None:
                result["orderId"] = existing["orderId"]
            return result
        stamp = pacific(self.now)
        if existing is None:
            self._seq += 1
            order_id = 94113591 + self._seq
            created = stamp
        else:
            order_id, created = existing["orderId"], existing["createDate"]
        stored_items = []
        for item in items:
            stored_items.append(
                {
                    "orderItemId": self._item_id(),
                    "lineItemKey": item.get("lineItemKey"),
                    "sku": item.get("sku"),
                    "name": item.get("name"),
                    "imageUrl": item.get("imageUrl"),
                    "weight": item.get("weight"),
                    "quantity": item.get("quantity") or 0,
                    "unitPrice": item.get("unitPrice") or 0.0,
                    "taxAmount": item.get("taxAmount"),
                    "shippingAmount": item.get("shippingAmount"),
                    "warehouseLocation": item.get("warehouseLocation"),
                    "options": item.get("options") or [],
                    "productId": None,
                    "fulfillmentSku": item.get("fulfillmentSku"),
                    "adjustment": bool(item.get("adjustment")),
                    "upc": item.get("upc"),
                    "createDate": stamp,
                    "modifyDate": stamp,
                }
            )
        advanced = {
            "warehouseId": 24079,
            "storeId": self.stores[0]["storeId"],
            "source": None,
            "mergedOrSplit": False,
            "mergedIds": [],
            "parentId": None,
            **(order.get("advancedOptions") or {}),
        }
        document: dict[str, Any] = {
            "orderId": order_id,
            "orderNumber": number,
            "orderKey": key or str(uuid.uuid4()),
            "orderDate": dates["orderDate"],
            "createDate": created,
            "modifyDate": stamp,
            "paymentDate": dates["paymentDate"],
            "shipByDate": dates["shipByDate"],
            "orderStatus": order["orderStatus"],
            "customerId": None,
            "customerUsername": order.get("customerUsername"),
            "customerEmail": order.get("customerEmail"),
            "billTo": order["billTo"],
            "shipTo": order["shipTo"],
            "items": stored_items,
            "orderTotal": 0.0,
            "amountPaid": order.get("amountPaid") or 0.0,
            "taxAmount": order.get("taxAmount") or 0.0,
            "shippingAmount": order.get("shippingAmount") or 0.0,
            "customerNotes": order.get("customerNotes"),
            "internalNotes": order.get("internalNotes"),
            "gift": bool(order.get("gift")),
            "giftMessage": order.get("giftMessage"),
            "paymentMethod": order.get("paymentMethod"),
            "requestedShippingService": order.get("requestedShippingService"),
            "carrierCode": order.get("carrierCode"),
            "serviceCode": order.get("serviceCode"),
            "packageCode": order.get("packageCode"),
            "confirmation": order.get("confirmation"),
            "shipDate": None,
            "holdUntilDate": None,
            "weight": order.get("weight"),
            "dimensions": order.get("dimensions"),
            "insuranceOptions": order.get("insuranceOptions"),
            "internationalOptions": order.get("internationalOptions"),
            "advancedOptions": advanced,
            "tagIds": order.get("tagIds"),
            "userId": None,
            "externallyFulfilled": False,
            "externallyFulfilledBy": None,
        }
        document["orderTotal"] = order_total(document)
        self.orders[str(order_id)] = document
        result.update(orderId=order_id, orderKey=document["orderKey"], success=True)
        return result

    def _shipments(self, request: Request, headers: dict[str, str]) -> Response:
        try:
            page = int(request.param("page") or 1)
            size = int(request.param("pageSize") or 100)
            bounds = {
                name: datetime.fromisoformat(value).replace(tzinfo=None)
                for name in ("createDateStart", "createDateEnd", "shipDateStart", "shipDateEnd")
                if (value := request.param(name))
            }
        except ValueError as exc:
            return self._invalid(str(exc), headers)
        if page < 1 or not 1 <= size <= 500:
            return self._invalid("page or pageSize is out of range.", headers)
        order_id = request.param("orderId")
        number = request.param("orderNumber")
        field = {"CreateDate": "createDate", "ShipDate": "shipDate"}.get(
            request.param("sortBy") or "ShipDate", "shipDate"
        )
        descending = (request.param("sortDir") or "ASC").upper() == "DESC"

        def inside(shipment: dict[str, Any]) -> bool:
            for prefix, key in (("createDate", "createDate"), ("shipDate", "shipDate")):
                start, end = bounds.get(prefix + "Start"), bounds.get(prefix + "End")
                moment = datetime.fromisoformat(shipment[key])
                if (start is not None and moment < start) or (end is not None and moment > end):
                    return False
            if order_id and str(shipment["orderId"]) != order_id:
                return False
            return not number or shipment["orderNumber"] == number

        matching = sorted(
            (d for d in self.shipments.values() if inside(d)),
            key=lambda d: (datetime.fromisoformat(d[field]), d["shipmentId"]),
            reverse=descending,
        )
        total = len(matching)
        body = {
            "shipments": matching[(page - 1) * size : page * size],
            "total": total,
            "page": page,
            "pages": math.ceil(total / size),
        }
        return Response(200, json.dumps(body).encode(), headers)
