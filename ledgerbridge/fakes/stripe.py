"""A Stripe account's API as chalicelib/channels/stripe.py documents it (Stripe's OpenAPI document, API
version 2020-08-27, copied in part to tests/fixtures/vendors/stripe/): charges, refunds and Checkout
Sessions with their line items, listed newest first with `created[gt|gte|lt|lte]`, `limit` (1 to 100,
default 10), `starting_after` / `ending_before` and `has_more`; `expand[]` of `data.charge` (refunds) and
`data.line_items` (sessions; the first 10 items, as an expanded list holds); `Authorization: Bearer` with a
restricted key whose read permissions are checked per resource (403 without one, 401 for an unknown key);
errors in Stripe's {"error": {"type", "code", "message", "param"}} shape, unknown parameters refused (400
`parameter_unknown`, as Stripe does); a read rate limit per second (429 `rate_limit`, no Retry-After) on
`rate_clock` (a test can make it follow its recorded sleeps)."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

MAX_LIMIT = 100
EXPANDED_ITEMS = 10
CATALOG = (
    ("price_mug", "prod_mug", "Coffee Mug", 1250),
    ("price_tee", "prod_tee", "T-Shirt - M", 2000),
    ("price_cap", "prod_cap", "Cap", 1500),
)
PERMISSIONS = {
    "charges": "rak_charge_read",
    "refunds": "rak_refund_read",
    "checkout": "rak_checkout_session_read",
}
CREATED = ("created[gt]", "created[gte]", "created[lt]", "created[lte]", "created")


def error(
    status: int, message: str, code: str = "", param: str = "", kind: str = "invalid_request_error"
) -> Response:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    if param:
        body["param"] = param
    return Response(status, {"error": body})


class FakeStripe(FakeStore):
    """Orders are successful charges (`self.orders`, keyed by the order id the connector reports: the
    PaymentIntent's id, or the charge's for a charge made without one)."""

    vendor = "stripe"

    def __init__(
        self, *, api_key: str = "rk_test_51FakeLedgerbridgeReadOnly", rate_per_second: int = 25
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.permissions = set(PERMISSIONS.values())
        self.rate_per_second = rate_per_second  # Stripe's test mode allows 25 reads a second
        self.rate_clock: Callable[[], float] = time.monotonic
        self.throttled = 0
        self._second: int | None = None
        self._used = 0
        self._sequence = 0
        self.charges: list[dict[str, Any]] = []  # every charge, failed ones too, in creation order
        self.refunds: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.session_of: dict[str, dict[str, Any]] = {}  # by PaymentIntent id
        self.items: dict[str, list[dict[str, Any]]] = {}

    # -- the account ----------------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        self._sequence += 1
        return f"{prefix}_1Fake{self._sequence:019d}"

    def _created(self) -> int:
        return int(self.now.timestamp())

    def add_order(
        self,
        lines: tuple[tuple[str, int], ...] | None = (("price_mug", 2),),
        *,
        shipping: int = 500,
        tax_rate: str = "0.08",
        coupon_percent: int = 0,
        currency: str = "usd",
        amount: int = 2500,
        payment_intent: bool = True,
        status: str = "succeeded",
    ) -> dict[str, Any]:
        """A charge created at the fake clock's now. With `lines` (price id, quantity) it was paid through a
        Checkout Session (discount `coupon_percent`, tax at `tax_rate` on each discounted line, `shipping`);
        with `lines` None it is a bare charge of `amount` (through a PaymentIntent unless told not)."""
        with self.lock:
            created = self._created()
            pi = self._id("pi") if payment_intent or lines is not None else None
            charge_id = self._id("ch")
            total = amount
            session_id = None
            if lines is not None:
                session_id = self._id("cs_test")
                items, subtotal, discount_total, tax_total = [], 0, 0, 0
                prices = {p: (prod, name, unit) for p, prod, name, unit in CATALOG}
                for price_id, quantity in lines:
                    product, name, unit = prices[price_id]
                    line_subtotal = unit * quantity
                    discount = line_subtotal * coupon_percent // 100
                    tax = round((line_subtotal - discount) * float(tax_rate))
                    subtotal += line_subtotal
                    discount_total += discount
                    tax_total += tax
                    items.append(
                        {
                            "id": self._id("li"),
                            "object": "item",
                            "amount_subtotal": line_subtotal,
                            "amount_total": line_subtotal - discount + tax,
                            "currency": currency,
                            "description": name,
                            "discounts": (
                                [{"amount": discount, "discount": self._discount(coupon_percent)}]
                                if discount
                                else []
                            ),
                            "price": self._price(price_id, product, unit, currency),
                            "quantity": quantity,
                            "taxes": [{"amount": tax, "rate": self._tax_rate(tax_rate)}] if tax else [],
                        }
                    )
                total = subtotal - discount_total + shipping + tax_total
                self.items[session_id] = items
                session = self._session(
                    session_id,
                    pi,
                    created,
                    currency,
                    subtotal,
                    total,
                    shipping,
                    discount_total,
                    tax_total,
                )
                self.sessions.append(session)
                self.session_of[pi or ""] = session
            charge = self._charge(charge_id, pi, created, currency, total, status)
            self.charges.append(charge)
            if status == "succeeded":
                self.orders[pi or charge_id] = charge
            return copy.deepcopy(charge)

    def add_orders(self, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
        """`n` varied successful payments, the clock moving 0 to 30 seconds before each (some share a
        second): most through Checkout, some bare PaymentIntents, some legacy charges."""
        rng = random.Random(seed)
        added = []
        for _ in range(n):
            self.tick(rng.choice((0, 0, 1, 2, 30)))
            kind = rng.random()
            if kind < 0.6:
                picks = rng.sample([p for p, _, _, _ in CATALOG], rng.randint(1, 3))
                added.append(
                    self.add_order(
                        tuple((p, rng.randint(1, 3)) for p in picks),
                        shipping=rng.choice((0, 500, 995)),
                        coupon_percent=10 if rng.random() < 0.3 else 0,
                    )
                )
            else:
                added.append(
                    self.add_order(None, amount=rng.randint(100, 20_000), payment_intent=kind < 0.85)
                )
        return added

    def order_id(self, charge: dict[str, Any]) -> str:
        return str(charge.get("payment_intent") or charge["id"])

    def refund(
        self, order_id: str, amount: int, *, reason: str | None = "requested_by_customer"
    ) -> dict[str, Any]:
        """Refund `amount` (minor units) of an order's charge, one second later on the fake clock."""
        with self.lock:
            charge = self.orders[order_id]
            self.tick()
            refund = {
                "id": self._id("re"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": self._id("txn"),
                "charge": charge["id"],
                "created": self._created(),
                "currency": charge["currency"],
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "reason": reason,
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "succeeded",
                "transfer_reversal": None,
            }
            self.refunds.append(refund)
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            return copy.deepcopy(refund)

    def change_order(self, order_id: str) -> dict[str, Any]:
        """The only change a Stripe payment goes through that the connector reads: a refund (of 1.00)."""
        return self.refund(str(order_id), min(100, self.orders[str(order_id)]["amount"] // 2 or 1))

    def break_order(self, order_id: str) -> None:
        """Make an order unreadable: its first line item loses its quantity (nullable in Stripe's schema);
        a bare charge loses its currency."""
        with self.lock:
            charge = self.orders[str(order_id)]
            session = self.session_of.get(charge["payment_intent"] or "")
            if session is not None and charge["payment_intent"]:
                self.items[session["id"]][0]["quantity"] = None
            else:
                charge["currency"] = "x"

    def exhaust_rate_limit(self) -> None:
        """Other requests used this second's allowance: the next request is answered 429."""
        with self.lock:
            self._allowance()
            self._used = self.rate_per_second

    # -- documents ------------------------------------------------------------------------------------
    def _charge(
        self, charge_id: str, pi: str | None, created: int, currency: str, amount: int, status: str
    ) -> dict[str, Any]:
        paid = status == "succeeded"
        return {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if paid else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": self._id("txn") if paid else None,
            "billing_details": {
                "address": {
                    "city": "Austin",
                    "country": "US",
                    "line1": "12 Analytical Way",
                    "line2": None,
                    "postal_code": "78701",
                    "state": "TX",
                },
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "phone": None,
            },
            "calculated_statement_descriptor": "BLUE HERON",
            "captured": paid,
            "created": created,
            "currency": currency,
            "customer": None,
            "description": None if pi else "Workshop booking",
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None if paid else "card_declined",
            "failure_message": None if paid else "Your card was declined.",
            "fraud_details": {},
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "on_behalf_of": None,
            "order": None,
            "outcome": None,
            "paid": paid,
            "payment_intent": pi,
            "payment_method": self._id("pm"),
            "payment_method_details": {
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            },
            "receipt_email": "ada@example.com",
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/charges/{charge_id}/refunds",
            },
            "review": None,
            "shipping": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": status,
            "transfer_data": None,
            "transfer_group": None,
        }

    def _session(
        self,
        session_id: str,
        pi: str | None,
        created: int,
        currency: str,
        subtotal: int,
        total: int,
        shipping: int,
        discount: int,
        tax: int,
    ) -> dict[str, Any]:
        return {
            "id": session_id,
            "object": "checkout.session",
            "_created": created,  # not part of the 2020-08-27 object (removed before answering)
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": subtotal,
            "amount_total": total,
            "automatic_tax": {"enabled": False, "status": None},
            "billing_address_collection": None,
            "cancel_url": "https://shop.example.com/cancel",
            "client_reference_id": None,
            "consent": None,
            "consent_collection": None,
            "currency": currency,
            "customer": None,
            "customer_creation": "if_required",
            "customer_details": {
                "email": "ada@example.com",
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
            "customer_email": None,
            "expires_at": created + 86400,
            "livemode": False,
            "locale": None,
            "metadata": {},
            "mode": "payment",
            "payment_intent": pi,
            "payment_link": None,
            "payment_method_options": None,
            "payment_method_types": ["card"],
            "payment_status": "paid",
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "setup_intent": None,
            "shipping": {
                "address": {
                    "city": "Austin",
                    "country": "US",
                    "line1": "12 Analytical Way",
                    "line2": None,
                    "postal_code": "78701",
                    "state": "TX",
                },
                "name": "Ada Lovelace",
            },
            "shipping_address_collection": None,
            "shipping_options": [],
            "shipping_rate": None,
            "status": "complete",
            "submit_type": None,
            "subscription": None,
            "success_url": "https://shop.example.com/thanks",
            "total_details": {"amount_discount": discount, "amount_shipping": shipping, "amount_tax": tax},
            "url": None,
        }

    @staticmethod
    def _price(price_id: str, product: str, unit: int, currency: str) -> dict[str, Any]:
        return {
            "id": price_id,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": 1_700_000_000,
            "currency": currency,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": product,
            "recurring": None,
            "tax_behavior": "exclusive",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit,
            "unit_amount_decimal": str(unit),
        }

    @staticmethod
    def _discount(percent: int) -> dict[str, Any]:
        return {
            "id": "di_1FakeSave10",
            "object": "discount",
            "checkout_session": None,
            "coupon": {
                "id": "SAVE10",
                "object": "coupon",
                "amount_off": None,
                "created": 1_700_000_000,
                "currency": None,
                "duration": "once",
                "duration_in_months": None,
                "livemode": False,
                "max_redemptions": None,
                "metadata": {},
                "name": "Save 10%",
                "percent_off": percent,
                "redeem_by": None,
                "times_redeemed": 1,
                "valid": True,
            },
            "customer": None,
            "end": None,
            "invoice": None,
            "invoice_item": None,
            "promotion_code": None,
            "start": 1_700_000_000,
            "subscription": None,
        }

    @staticmethod
    def _tax_rate(rate: str) -> dict[str, Any]:
        return {
            "id": "txr_1FakeSalesTax",
            "object": "tax_rate",
            "active": True,
            "country": "US",
            "created": 1_700_000_000,
            "description": None,
            "display_name": "Sales tax",
            "inclusive": False,
            "jurisdiction": "TX",
            "livemode": False,
            "metadata": {},
            "percentage": float(rate) * 100,
            "state": "TX",
            "tax_type": "sales_tax",
        }

    # -- API ------------------------------------------------------------------------------------------
    def _allowance(self) -> int:
        second = int(self.rate_clock())
        if self._second != second:
            self._second, self._used = second, 0
        return self.rate_per_second - self._used

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.api_key}":
            shown = auth.removeprefix("Bearer ")
            return error(401, f"Invalid API Key provided: {shown[:8]}****{shown[-4:]}")
        with self.lock:
            if self._allowance() <= 0:
                self.throttled += 1
                return error(
                    429,
                    "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                    "rate_limit",
                )
            self._used += 1
        if request.method != "GET":
            return error(405, f"Unrecognized request URL ({request.method}: {request.path}).")
        parts = request.path.strip("/").split("/")
        resource = "checkout" if parts[1:2] == ["checkout"] else parts[1] if len(parts) > 1 else ""
        if resource in PERMISSIONS and PERMISSIONS[resource] not in self.permissions:
            return error(
                403,
                f"The provided key '{self.api_key[:8]}****' does not have the required permissions for this "
                f"endpoint. Having the '{PERMISSIONS[resource]}' permission would allow this request to continue.",
            )
        with self.lock:
            if parts == ["v1", "charges"]:
                rows = [c for c in self.charges if _matches(c, request, "payment_intent")]
                return self._list(
                    request, rows, "/v1/charges", ("payment_intent", "customer", "transfer_group")
                )
            if len(parts) == 3 and parts[:2] == ["v1", "charges"]:
                found = next((c for c in self.charges if c["id"] == parts[2]), None)
                if found is None:
                    return error(404, f"No such charge: '{parts[2]}'", "resource_missing", "id")
                return Response(200, copy.deepcopy(found))
            if parts == ["v1", "refunds"]:
                rows = [
                    r
                    for r in self.refunds
                    if _matches(r, request, "charge") and _matches(r, request, "payment_intent")
                ]
                return self._list(request, rows, "/v1/refunds", ("charge", "payment_intent"), {"data.charge"})
            if parts == ["v1", "checkout", "sessions"]:
                wanted = request.param("payment_intent")
                found = self.session_of.get(wanted) if wanted else None
                rows = self.sessions if wanted is None else [found] if found else []
                return self._list(
                    request,
                    rows,
                    "/v1/checkout/sessions",
                    ("payment_intent", "subscription"),
                    {"data.line_items"},
                )
            if len(parts) == 5 and parts[:3] == ["v1", "checkout", "sessions"] and parts[4] == "line_items":
                if parts[3] not in self.items:
                    return error(
                        404, f"No such checkout.session: '{parts[3]}'", "resource_missing", "session"
                    )
                return self._list(request, self.items[parts[3]], request.path, ())
        return error(404, f"Unrecognized request URL (GET: {request.path}).")

    def _list(
        self,
        request: Request,
        rows: list[dict[str, Any]],
        url: str,
        filters: tuple[str, ...],
        expandable: frozenset[str] | set[str] = frozenset(),
    ) -> Response:
        known = {"limit", "starting_after", "ending_before", "expand[]", *filters}
        known |= set(CREATED) if url in ("/v1/charges", "/v1/refunds") else set()
        for name in request.query:
            if name not in known:
                return error(400, f"Received unknown parameter: {name}", "parameter_unknown", name)
        expand = request.query.get("expand[]", [])
        for field in expand:
            if field not in expandable:
                return error(
                    400, f"This property cannot be expanded ({field}).", "parameter_invalid", "expand"
                )
        try:
            limit = int(request.param("limit") or 10)
            bounds = {
                name: int(request.param(name) or 0) for name in CREATED if request.param(name) is not None
            }
        except ValueError as exc:
            return error(400, f"Invalid integer: {exc}", "parameter_invalid_integer")
        if not 1 <= limit <= MAX_LIMIT:
            return error(400, "Limit must be between 1 and 100.", "parameter_invalid_integer", "limit")
        order = {id(r): i for i, r in enumerate(rows)}
        stamp: Callable[[dict[str, Any]], int] = lambda r: int(r.get("created", r.get("_created", 0)))  # noqa: E731
        chosen = [r for r in rows if _in_range(stamp(r), bounds)]
        if not url.endswith("/line_items"):  # a session's items keep their order; lists go newest first
            chosen.sort(key=lambda r: (stamp(r), order[id(r)]), reverse=True)
        after, before = request.param("starting_after"), request.param("ending_before")
        ids = [r["id"] for r in chosen]
        for cursor in (after, before):
            if cursor and cursor not in {r["id"] for r in rows}:
                return error(400, f"No such object: '{cursor}'", "resource_missing", "starting_after")
        if after:
            position = ids.index(after) + 1 if after in ids else len(ids)
            page, more = chosen[position : position + limit], len(chosen) > position + limit
        elif before:
            end = ids.index(before) if before in ids else 0
            page, more = chosen[max(0, end - limit) : end], end - limit > 0
        else:
            page, more = chosen[:limit], len(chosen) > limit
        data = [self._shown(r, expand) for r in page]
        return Response(
            200, {"object": "list", "data": data, "has_more": more, "url": url.split("?", maxsplit=1)[0]}
        )

    def _shown(self, row: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        shown = {k: copy.deepcopy(v) for k, v in row.items() if not k.startswith("_")}
        if "data.charge" in expand and row.get("object") == "refund":
            shown["charge"] = copy.deepcopy(next(c for c in self.charges if c["id"] == row["charge"]))
        if row.get("object") == "checkout.session":
            items = self.items.get(row["id"], [])
            if "data.line_items" in expand:
                shown["line_items"] = {
                    "object": "list",
                    "data": copy.deepcopy(items[:EXPANDED_ITEMS]),
                    "has_more": len(items) > EXPANDED_ITEMS,
                    "url": f"/v1/checkout/sessions/{row['id']}/line_items",
                }
        return shown


def _matches(row: dict[str, Any], request: Request, name: str) -> bool:
    wanted = request.param(name)
    return wanted is None or row.get(name) == wanted


def _in_range(value: int, bounds: dict[str, int]) -> bool:
    checks = {
        "created": value == bounds.get("created", value),
        "created[gt]": value > bounds.get("created[gt]", value - 1),
        "created[gte]": value >= bounds.get("created[gte]", value),
        "created[lt]": value < bounds.get("created[lt]", value + 1),
        "created[lte]": value <= bounds.get("created[lte]", value),
    }
    return all(checks.values())
