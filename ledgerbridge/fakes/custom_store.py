"""A merchant's own store API in pull mode (the format in chalicelib/channels/custom_store.py and the
README): canonical orders, Basic auth, `updated_since`/`updated_until`/`limit`/`cursor`."""

from __future__ import annotations

import base64
import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_LIMIT = 250


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeCustomStore(FakeStore):
    vendor = "custom store"

    def __init__(self, username: str = "ledgerbridge", password: str = "s3cret-store-password") -> None:
        super().__init__()
        self.username = username
        self.password = password
        self._next = 1000

    # -- orders --------------------------------------------------------------------------------------
    def add_order(self, **overrides: Any) -> dict[str, Any]:
        with self.lock:
            self._next += 1
            self.tick(1)
            number = str(self._next)
            qty = 1 + self._next % 3
            price = Decimal("10.00") + Decimal(self._next % 7)
            shipping = Decimal("4.95")
            total = qty * price + shipping
            order: dict[str, Any] = {
                "id": number,
                "number": f"#{number}",
                "created_at": _z(self.now),
                "updated_at": _z(self.now),
                "currency": "USD",
                "customer": {
                    "first_name": "Grace",
                    "last_name": f"Hopper{self._next % 50}",
                    "email": "g@example.com",
                },
                "lines": [
                    {
                        "id": "1",
                        "sku": f"SKU-{self._next % 40:03d}",
                        "title": "Widget",
                        "quantity": qty,
                        "unit_price": str(price),
                    }
                ],
                "shipping_lines": [{"title": "Ground", "price": str(shipping)}],
                "payments": [{"method": "card", "amount": str(total)}],
                "payment_status": "paid",
                "total": str(total),
                "status": "open",
            }
            order.update(overrides)
            self.orders[str(order["id"])] = order
            return copy.deepcopy(order)

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        return [self.add_order() for _ in range(n)]

    def change_order(self, order_id: str, **changes: Any) -> dict[str, Any]:
        with self.lock:
            self.tick(1)
            order = self.orders[order_id]
            order.update(changes)
            order["updated_at"] = _z(self.now)
            return copy.deepcopy(order)

    def break_order(self, order_id: str) -> None:
        """Make one order malformed (a line without a price), as a buggy store would send it."""
        with self.lock:
            self.tick(1)
            order = self.orders[order_id]
            del order["lines"][0]["unit_price"]
            order["updated_at"] = _z(self.now)

    # -- API -----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Response(401, {"error": "unauthorized"}, {"WWW-Authenticate": 'Basic realm="orders"'})
        if request.path.rstrip("/") != "/orders" or request.method != "GET":
            return Response(404, {"error": "not found"})
        try:
            since = self._time(request.param("updated_since"))
            until = self._time(request.param("updated_until"))
            limit = min(int(request.param("limit") or 100), MAX_LIMIT)
        except ValueError as exc:
            return Response(400, {"error": str(exc)})
        with self.lock:
            ordered = sorted(self.orders.values(), key=lambda o: (o["updated_at"], o["id"]))
            matching = [
                o
                for o in ordered
                if (since is None or self._time(o["updated_at"]) >= since)  # type: ignore[operator]
                and (until is None or self._time(o["updated_at"]) <= until)  # type: ignore[operator]
            ]
            cursor = request.param("cursor")
            if cursor:
                after_time, _, after_id = cursor.partition("|")
                matching = [o for o in matching if (o["updated_at"], o["id"]) > (after_time, after_id)]
            page = copy.deepcopy(matching[:limit])
        more = len(matching) > limit
        next_cursor = f"{page[-1]['updated_at']}|{page[-1]['id']}" if more and page else None
        return Response(200, {"orders": page, "next_cursor": next_cursor})

    @staticmethod
    def _time(value: str | None) -> datetime | None:
        if not value:
            return None
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
