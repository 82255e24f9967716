"""Stripe: payments as orders (orders only: Stripe keeps no inventory Ledgerbridge could write to).

The API as Stripe documents it (its OpenAPI document, repository stripe/openapi, copied in part to
tests/fixtures/vendors/stripe/; API version 2020-08-27, which every request pins with `Stripe-Version`):

    GET https://api.stripe.com/v1/charges?created[gte]=<unix>&created[lte]=<unix>&limit=<1..100>
        &starting_after=<id>                                     {"object": "list", "data": [...], "has_more"}
    GET /v1/refunds?created[gte]=...&created[lte]=...&expand[]=data.charge     (the same list shape)
    GET /v1/refunds?charge=<ch_...>&limit=100                    every refund of one payment
    GET /v1/checkout/sessions?payment_intent=<pi_...>&expand[]=data.line_items
    GET /v1/checkout/sessions/{id}/line_items?limit=100&starting_after=<id>
    Authorization: Bearer rk_live_...  (a restricted key with read permissions only)
    errors: {"error": {"type", "code", "message", "param"}}; 401 bad key, 403 a permission the key lacks,
    429 too many requests (no Retry-After: Stripe asks for exponential back-off).

One order is one successful charge: its PaymentIntent's id (pi_...) is the order id, or the charge's own id
(ch_...) for a charge made without one. Where the payment came through Checkout, the session's line items
are the order's lines (with their discounts and taxes, and the session's shipping); otherwise the order has
one line for the charged amount. Amounts are integer minor units of the currency (cents; yen for the
zero-decimal currencies; thousandths for the three-decimal ones), turned into decimal amounts here.

**The window, and why refunds have their own.** Stripe lists objects by `created` only, newest first, and
`created` never changes: a window of charges by `created` would never see a refund made days later. So an
order's last change (its `updated_at`) is the later of its charge's `created` and its newest refund's
`created`, and a window reads two lists over the same `created` range: the charges created in it, and the
refunds created in it, each mapped back onto its charge (expanded in the same request). An order is read in
the window that holds its last change and only there: a charge refunded later is skipped by the charges
list (the refunds list of a later window brings it, with its refund), and a refunded charge created inside
the range is read from the charges list (the refunds list leaves it alone), so no order is read twice.

**Oldest change first.** The fetch use case moves the channel's bookmark after every page, so pages must go
oldest change first, and Stripe lists newest first. So each page is a slice [lo, hi] of seconds small enough
that both lists fit in one answer (`has_more` false): a slice that does not fit is halved (and cut below the
oldest object the answer showed) until it does, and the next page starts at hi + 1 with the slice length
that worked (doubled while the slices come back less than half full). A single second holding more than a
page is read by `starting_after` (its orders all share that second, so the order stays ascending); there one
old payment refunded twice in that very second, across two pages, could be read twice (the fetch use case
folds orders by id, so this is harmless). The token is "<lo>|<span>|<phase>|<cursor>".

What this design does not see (Stripe's Events API would be the way): a payment captured, or an ACH debit
succeeding, after the window that holds its `created` (only charges with status `succeeded` are orders,
payments are those captured when read), and a dispute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.channels.errors import FatalError
from chalicelib.channels.http import Http, HttpOptions, retry_after_seconds
from chalicelib.channels.stream import (
    ConnectorSpec,
    CredentialField,
    FetchedOrder,
    Page,
    Window,
    canonical,
)
from chalicelib.channels.values import money, text

if TYPE_CHECKING:
    import httpx

API_HOST = "https://api.stripe.com"
API_VERSION = "2020-08-27"  # the version of the OpenAPI document the fixtures copy
PAGE_SIZE = 100  # Stripe's maximum `limit`
MAX_BACK_OFF = 32.0
# Stripe's currencies without minor units, and those with three decimals (stripe.com/docs/currencies).
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())  # noqa: SIM905
PERMISSIONS = "Charges and Refunds: Read, Checkout Sessions: Read"
REJECTED = (
    "Stripe rejected the restricted API key, or the key lacks a permission Ledgerbridge reads with. Create a "
    f"restricted key in Stripe (Developers > API keys > Create restricted key) with {PERMISSIONS} (nothing "
    "else, and no write permission) and paste it here (it starts with rk_live_)."
)


@dataclass(frozen=True)
class Slice:
    """Where a page starts: second `lo`, a slice of `span` seconds to try, and within one crowded second
    the list being paged ("c" charges, "r" refunds) with the last id read."""

    lo: int
    span: int
    phase: str = ""
    cursor: str = ""

    @classmethod
    def read(cls, token: str | None, lo: int, hi: int) -> Slice:
        if not token:
            return cls(lo, hi - lo + 1)
        start, span, phase, cursor = token.split("|", 3)
        return cls(int(start), max(1, int(span)), phase, cursor)

    def token(self) -> str:
        return f"{self.lo}|{self.span}|{self.phase}|{self.cursor}"


@dataclass(frozen=True)
class Listing:
    data: list[Any]
    has_more: bool


def first_second(moment: datetime | None) -> int:
    return 0 if moment is None else math.ceil(moment.timestamp())


def moment(seconds: Any) -> datetime:
    """A Stripe timestamp (integer seconds since the epoch)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValueError(f"not a Stripe timestamp: {seconds!r}")
    return datetime.fromtimestamp(seconds, UTC)


def units(value: Any, currency: str) -> Decimal:
    """Integer minor units of `currency` as an amount: 1250 USD is 12.50, 1250 JPY is 1250."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an amount in minor units")
    exponent = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    return Decimal(value).scaleb(-exponent)


class StripeConnector:
    vendor: ClassVar[str] = "Stripe"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        key = credentials.get("api_key", "").strip()
        if not key:
            raise FatalError(f"Enter a Stripe restricted API key ({PERMISSIONS}).")
        if key.startswith(("sk_", "pk_")):
            raise FatalError(
                "Use a restricted key (rk_live_...) with read permissions only, not the secret or "
                f"publishable key: {PERMISSIONS}."
            )
        self.live = not key.startswith("rk_test_")
        self.page_size = min(options.page_size or PAGE_SIZE, PAGE_SIZE)
        self._throttled = 0
        self.http = Http(
            vendor="Stripe",
            base_url=options.base_url_overrides.get("stripe", API_HOST).rstrip("/"),
            options=options,
            headers={"Authorization": f"Bearer {key}", "Stripe-Version": API_VERSION},
            rejected=REJECTED,
            pace=self._count_throttling,
            retry_after=self._throttle_wait,
        )

    # -- rate limiting: Stripe sends no Retry-After; back off 1, 2, 4 ... seconds -----------------------
    def _count_throttling(self, response: httpx.Response) -> float:
        self._throttled = self._throttled + 1 if response.status_code == 429 else 0
        return 0.0

    def _throttle_wait(self, response: httpx.Response) -> float | None:
        asked = retry_after_seconds(response)  # a proxy in front of Stripe may send one
        if asked is not None or response.status_code != 429:
            return asked
        return min(MAX_BACK_OFF, 2.0 ** (self._throttled - 1))

    # -- the connector ------------------------------------------------------------------------------------
    def check_credentials(self) -> str:
        self._list("/v1/charges", {"limit": 1})
        self._list("/v1/refunds", {"limit": 1})
        self._list("/v1/checkout/sessions", {"limit": 1})
        return "Stripe account" if self.live else "Stripe account (test mode)"

    def fetch_page(self, window: Window, token: str | None) -> Page:
        lo_w, hi_w = first_second(window.since), math.floor(window.until.timestamp())
        position = Slice.read(token, lo_w, hi_w)
        if position.lo > hi_w:
            return Page([], None)
        if position.phase:
            return self._crowded_second(position, hi_w)
        span = position.span
        while True:
            hi = min(hi_w, position.lo + span - 1)
            charges = self._list("/v1/charges", self._range(position.lo, hi))
            crowded = charges.has_more
            refunds = Listing([], False)
            if not crowded:
                refunds = self._list(
                    "/v1/refunds", {**self._range(position.lo, hi), "expand[]": "data.charge"}
                )
                crowded = refunds.has_more
            if not crowded:
                break
            if hi == position.lo:
                return self._crowded_second(Slice(position.lo, 1, "c"), hi_w)
            oldest = min((o.get("created", hi) for o in charges.data + refunds.data), default=hi)
            span = max(1, min((hi - position.lo + 1) // 2, int(oldest) - position.lo))
        orders = self._orders(charges.data, refunds.data, position.lo, hi)
        used = max(len(charges.data), len(refunds.data))
        grown = span * 2 if used * 2 < self.page_size else span
        following = Slice(hi + 1, grown)
        return Page(orders, None if hi >= hi_w else following.token())

    def _crowded_second(self, position: Slice, hi_w: int) -> Page:
        """One page of a second holding more objects than a page: its charges, then its refunds."""
        second = position.lo
        params: dict[str, Any] = {**self._range(second, second)}
        if position.cursor:
            params["starting_after"] = position.cursor
        if position.phase == "c":
            charges = self._list("/v1/charges", params)
            orders = self._orders(charges.data, [], second, second)
            if charges.has_more and charges.data:
                following = Slice(second, 1, "c", text(charges.data[-1].get("id")))
            else:
                following = Slice(second, 1, "r")
            return Page(orders, following.token())
        refunds = self._list("/v1/refunds", {**params, "expand[]": "data.charge"})
        orders = self._orders([], refunds.data, second, second)
        if refunds.has_more and refunds.data:
            return Page(orders, Slice(second, 1, "r", text(refunds.data[-1].get("id"))).token())
        return Page(orders, None if second >= hi_w else Slice(second + 1, 1).token())

    def _range(self, lo: int, hi: int) -> dict[str, Any]:
        return {"created[gte]": lo, "created[lte]": hi, "limit": self.page_size}

    # -- orders of one slice ----------------------------------------------------------------------------
    def _orders(self, charges: list[Any], refunds: list[Any], lo: int, hi: int) -> list[FetchedOrder]:
        """The orders whose last change is in [lo, hi]: charges created there and not refunded since, and
        the charges created before `lo` whose newest refund is there."""
        found: dict[str, tuple[FetchedOrder, datetime]] = {}
        for charge in charges:
            if isinstance(charge, Mapping) and charge.get("status") == "succeeded":
                self._add(found, charge, lo, hi)
        for refund in refunds:
            charge = refund.get("charge") if isinstance(refund, Mapping) else None
            if not isinstance(charge, Mapping) or charge.get("status") != "succeeded":
                continue
            created = charge.get("created")
            if isinstance(created, int) and not isinstance(created, bool) and created >= lo:
                continue  # created in this slice: the charges list reads it
            self._add(found, charge, lo, hi)
        # oldest change first; at one second, the older payment first
        return [order for order, _ in sorted(found.values(), key=lambda o: (o[0].updated_at, o[1]))]

    def _add(
        self, found: dict[str, tuple[FetchedOrder, datetime]], charge: Mapping[str, Any], lo: int, hi: int
    ) -> None:
        charge_id = text(charge.get("id"), 100)
        order_id = text(_id_of(charge.get("payment_intent")), 100) or charge_id
        if order_id in found:
            return
        try:
            created = moment(charge.get("created"))
        except ValueError:
            created = datetime.fromtimestamp(lo, UTC)
        refunds = self._refunds_of(charge) if charge_id else []
        stamps = [r.get("created") for r in refunds if isinstance(r, Mapping)]
        last = max([int(created.timestamp())] + [s for s in stamps if isinstance(s, int)])
        if not lo <= last <= hi:
            return  # its last change is in another slice (a later window when after this one)
        session = self._session_of(order_id) if order_id.startswith("pi_") else None
        number = text(charge.get("receipt_number"), 100) or order_id
        found[order_id] = (
            canonical(
                order_id,
                datetime.fromtimestamp(last, UTC),
                number,
                lambda: document(order_id, number, charge, session, refunds),
            ),
            created,
        )

    def _refunds_of(self, charge: Mapping[str, Any]) -> list[Any]:
        refunded = charge.get("amount_refunded")
        if not isinstance(refunded, int) or isinstance(refunded, bool) or refunded <= 0:
            return []
        return self._every("/v1/refunds", {"charge": text(charge.get("id"))})

    def _session_of(self, payment_intent: str) -> Mapping[str, Any] | None:
        """The Checkout Session that made the payment, with every line item, or None."""
        answer = self._list(
            "/v1/checkout/sessions",
            {"payment_intent": payment_intent, "expand[]": "data.line_items", "limit": 1},
        )
        session = answer.data[0] if answer.data and isinstance(answer.data[0], Mapping) else None
        if session is None:
            return None
        items = session.get("line_items")
        if isinstance(items, Mapping) and items.get("has_more") and isinstance(items.get("data"), list):
            rest = self._every(
                f"/v1/checkout/sessions/{text(session.get('id'))}/line_items",
                {},
                after=text(items["data"][-1].get("id")) if items["data"] else "",
            )
            session = {**session, "line_items": {**items, "data": [*items["data"], *rest], "has_more": False}}
        return session

    def _every(self, path: str, params: Mapping[str, Any], *, after: str = "") -> list[Any]:
        found: list[Any] = []
        for _ in range(1000):
            query = {**params, "limit": PAGE_SIZE, **({"starting_after": after} if after else {})}
            answer = self._list(path, query)
            found.extend(answer.data)
            if not answer.has_more or not answer.data:
                return found
            after = text(answer.data[-1].get("id") if isinstance(answer.data[-1], Mapping) else "")
        return found

    def _list(self, path: str, params: Mapping[str, Any]) -> Listing:
        response = self.http.request("GET", path, params=params)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError("Stripe did not answer with JSON.") from exc
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            raise FatalError(f"Stripe answered {path} in an unexpected format.")
        return Listing(list(body["data"]), bool(body.get("has_more")))


def _id_of(value: Any) -> Any:
    """An expandable field's id (the id itself, or the expanded object's)."""
    return value.get("id") if isinstance(value, Mapping) else value


# -- mapping -----------------------------------------------------------------------------------------


def document(
    order_id: str,
    number: str,
    charge: Mapping[str, Any],
    session: Mapping[str, Any] | None,
    refunds: list[Any],
) -> dict[str, Any]:
    """The canonical order JSON of one successful charge, its Checkout Session (if any) and its refunds;
    raises on a malformed one."""
    currency = text(charge["currency"], 3).upper()
    if len(currency) != 3:
        raise ValueError(f"currency {charge.get('currency')!r}")

    def cash(value: Any) -> Decimal:
        return units(value, currency)

    created = moment(charge["created"])
    total = cash(charge["amount"])
    billing = charge.get("billing_details") or {}
    details = (session or {}).get("customer_details") or {}
    name = text(details.get("name") or billing.get("name"), 200)
    first, _, last = name.rpartition(" ") if " " in name else (name, "", "")
    email = text(details.get("email") or billing.get("email") or charge.get("receipt_email"), 254)
    items = ((session or {}).get("line_items") or {}).get("data") or []
    totals = (session or {}).get("total_details") or {}
    lines = [line(item, cash) for item in items] or [
        {
            "id": "1",
            "title": text(charge.get("description"), 500)
            or text(charge.get("calculated_statement_descriptor"), 500)
            or "Stripe payment",
            "quantity": "1",
            "unit_price": money(total),
        }
    ]
    allocated = sum((Decimal(x["discount"]) for x in lines if "discount" in x), Decimal(0))
    order_discount = cash(totals.get("amount_discount") or 0) - allocated
    shipping = cash(totals.get("amount_shipping") or 0)
    tax = cash(totals.get("amount_tax") or 0)
    captured = cash(charge.get("amount_captured", charge["amount"] if charge.get("captured") else 0))
    payments = []
    if charge.get("captured") and captured > 0:
        payments.append(
            {
                "method": method(charge.get("payment_method_details")),
                "amount": money(captured),
                "paid_at": created.isoformat(),
                "reference": text(charge.get("id"), 100),
            }
        )
    ship_to = (
        (session or {}).get("shipping_details") or (session or {}).get("shipping") or charge.get("shipping")
    )
    return {
        "id": order_id,
        "number": number,
        "created_at": created.isoformat(),
        "updated_at": max(
            [created] + [moment(r["created"]) for r in refunds if isinstance(r, Mapping)]
        ).isoformat(),
        "currency": currency,
        "customer": {
            "first_name": first[:100],
            "last_name": last[:100],
            "company": "",
            "email": email if "@" in email else "",
            "phone": text(details.get("phone") or billing.get("phone"), 50),
        },
        "billing_address": address(billing.get("address") or details.get("address") or {}, name, billing),
        "shipping_address": address(
            (ship_to or {}).get("address") or {}, text((ship_to or {}).get("name"), 200), ship_to or {}
        ),
        "lines": lines,
        "shipping_lines": [{"title": "Shipping", "price": money(shipping)}] if shipping > 0 else [],
        "discounts": [{"code": "Discount", "amount": money(order_discount)}] if order_discount > 0 else [],
        "tax_lines": [{"title": "Tax", "amount": money(tax)}] if tax > 0 else [],
        "fees": [],
        "payments": payments,
        "payment_status": "paid" if captured >= total else "partially_paid" if payments else "unpaid",
        "refunds": [
            refund(r, cash)
            for r in refunds
            if isinstance(r, Mapping) and r.get("status") not in ("failed", "canceled")
        ],
        "total": money(total),
        "note": text(charge.get("description"), 4000),
        "tags": [],
        "source": "stripe checkout" if session else "stripe",
        "status": "refunded"
        if charge.get("refunded")
        else "paid"
        if charge.get("captured")
        else "authorized",
    }


def line(item: Any, cash: Any) -> dict[str, Any]:
    """A Checkout line item: quantity, the price's unit amount, its discounts and taxes."""
    if not isinstance(item, Mapping):
        raise TypeError("a line item is not a JSON object")
    quantity = item["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValueError(f"line item {item.get('id')} has quantity {quantity!r}")
    price = item.get("price") or {}
    subtotal = cash(item["amount_subtotal"])
    unit = cash(price["unit_amount"]) if isinstance(price.get("unit_amount"), int) else subtotal / quantity
    discount = sum((cash(d["amount"]) for d in item.get("discounts") or []), Decimal(0))
    tax = sum((cash(t["amount"]) for t in item.get("taxes") or []), Decimal(0))
    return {
        "id": text(item.get("id"), 100),
        "sku": text(price.get("lookup_key"), 100) or text(_id_of(price.get("product")), 100),
        "title": text(item.get("description"), 500) or "Item",
        "quantity": str(quantity),
        "unit_price": money(unit),
        "discount": money(discount),
        "tax": money(tax),
    }


def refund(raw: Mapping[str, Any], cash: Any) -> dict[str, Any]:
    return {
        "id": text(raw["id"], 100),
        "created_at": moment(raw["created"]).isoformat(),
        "amount": money(cash(raw["amount"])),
        "note": text(raw.get("reason"), 500).replace("_", " "),
    }


def method(details: Any) -> str:
    """ "Visa 4242", "Card", "Sepa debit": what the customer paid with."""
    if not isinstance(details, Mapping):
        return "Stripe"
    kind = text(details.get("type"), 50)
    card = details.get(kind) if kind else None
    if kind == "card" and isinstance(card, Mapping):
        brand = text(card.get("brand"), 30).replace("_", " ").title()
        return f"{brand or 'Card'} {text(card.get('last4'), 4)}".strip()
    return kind.replace("_", " ").capitalize() or "Stripe"


def address(data: Mapping[str, Any], name: str, contact: Mapping[str, Any]) -> dict[str, str]:
    return {
        "name": name[:200],
        "company": "",
        "line1": text(data.get("line1"), 200),
        "line2": text(data.get("line2"), 200),
        "city": text(data.get("city"), 200),
        "state": text(data.get("state"), 200),
        "postal_code": text(data.get("postal_code"), 200),
        "country": text(data.get("country"), 200),
        "phone": text(contact.get("phone"), 200),
    }


SPEC = ConnectorSpec(
    kind="stripe",
    vendor="Stripe",
    fields=(
        CredentialField(
            "api_key",
            "Restricted API key",
            secret=True,
            help=(
                "Developers > API keys > Create restricted key, with read permissions only: "
                f"{PERMISSIONS}. It starts with rk_live_."
            ),
        ),
    ),
    build=StripeConnector,
)
