"""Walmart Marketplace (US): purchase orders by their last change, refunds as they appear on the order lines,
and quantities from QuickBooks pushed to the seller's items.

The API as Walmart publishes it (OpenAPI 3 documents of developer.walmart.com "Authentication", "Order
Management" and "Inventory Management"; the parts used are copied in tests/fixtures/vendors/walmart/ and
every request built here is checked against them):

    POST https://marketplace.walmartapis.com/v3/token      Authorization: Basic <client id:client secret>
         grant_type=client_credentials (form)               {"access_token", "token_type", "expires_in": 900}
    GET  /v3/token/detail                                   {"is_valid", "scopes": {"orders": "full_access"...}}
    GET  /v3/orders?lastModifiedStartDate=&lastModifiedEndDate=&limit=<=200
         {"list": {"meta": {"totalCount", "limit", "nextCursor"}, "elements": {"order": [<purchase order>]}}}
         nextCursor is a query string ("?limit=..&hasMoreElements=true&soIndex=..&poIndex=..&...") to append
         to /v3/orders; a query that matches nothing answers 404 CONTENT_NOT_FOUND.
    GET  /v3/inventory?sku=   PUT /v3/inventory?sku=  {"sku", "quantity": {"unit": "EACH", "amount"}}
    every call: WM_SEC.ACCESS_TOKEN, WM_SVC.NAME, WM_QOS.CORRELATION_ID (a fresh GUID), Accept: application/json

Paging. A purchase order carries no "last modified" field and Walmart does not say in what order it lists
them, so a page is never taken from the middle of a list whose order is unknown. Each page is a slice of the
window, [lo, hi] in milliseconds (both ends read as inclusive), narrow enough that Walmart answers it whole
(no nextCursor): when a slice holds more than a page, `hi` moves to the earliest change among the orders
Walmart sent (else closer to `lo` in proportion to meta.totalCount) and the slice is asked again. Only a single millisecond holding more than a page is read with Walmart's
nextCursor. The next slice starts 1 ms after `hi`. An order's `updated_at` is the latest of its orderDate and
its lines' statusDate, kept inside the slice it was found in (so pages are in ascending order whatever
Walmart's own modification time is). The token is '<lo ms>|<nextCursor>'. When the window has no start,
Walmart's own horizon stands in (orders of the last 180 days only).

Money: PRODUCT and SHIPPING charges of a line, each with its own tax; a charge amount is read as the amount
for the line's whole orderLineQuantity (Walmart lines are almost always one unit; stricter than assuming a
unit price). Walmart is a marketplace facilitator: it collects and remits the sales tax in most US states.
The tax is reported as Walmart sends it, in one tax line named for Walmart (see the report of issue 16), and an
order with tax is marked `tax_collected_by_marketplace` (the channel's `marketplace_tax` setting then drops it
or posts it to a liability item: docs/accounting/sales-tax.md).

Throttling: Walmart answers 429 with x-current-token-count and x-next-replenish-time (epoch milliseconds when
tokens come back); the connector waits until then on its clock, and paces itself the same way when a
successful answer says no token is left. The access token lives 900 s and is asked again a minute before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.channels.errors import FatalError
from chalicelib.channels.http import Http, HttpOptions, retry_after_seconds
from chalicelib.channels.inventory import (
    StockItem,
    StockResult,
    StockUpdate,
    dedupe_updates,
    skus_by_key,
)
from chalicelib.channels.stream import (
    ConnectorSpec,
    CredentialField,
    FetchedOrder,
    Page,
    Window,
    canonical,
)
from chalicelib.channels.values import CENT, amount, money, text

if TYPE_CHECKING:
    import httpx

API_HOST = "https://marketplace.walmartapis.com"
SERVICE_NAME = "Walmart Marketplace"
PAGE_SIZE = 200  # GET /v3/orders: "Cannot be larger than 200"
HORIZON = timedelta(days=180)  # "Only orders created in last 180 days ... can be fetched"
TOKEN_MARGIN_SECONDS = 60.0
MAX_PROBES = 40  # requests one page may spend narrowing its slice
REJECTED = (
    "Walmart rejected the client ID and client secret. Create API keys in Walmart Seller Center "
    "(Settings > API Key Management, with Orders and Inventory access) and paste both here."
)
NO_ORDERS_SCOPE = (
    "The Walmart API keys have no access to Orders. Give the keys Orders access in Seller Center "
    "(Settings > API Key Management) and save the channel again."
)
NO_SKU = "walmart: no such SKU"  # the inventory HTTP's 404 message, caught below
REFUSED = "Walmart refused the request (HTTP "
STATUS_ORDER = ("Created", "Acknowledged", "Shipped", "Delivered")


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def iso_ms(value: int) -> str:
    """2026-11-01T12:00:00.000Z, the ISO 8601 form Walmart's date filters take."""
    moment = from_ms(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value % 1000:03d}Z"


def replenish_wait(response: httpx.Response, now: Callable[[], float]) -> float | None:
    """Seconds until x-next-replenish-time (epoch ms), or None when the header is missing or past."""
    try:
        at = float(response.headers.get("x-next-replenish-time", "")) / 1000.0
    except ValueError:
        return None
    wait = at - now()
    return wait if wait > 0 else None


@dataclass
class WalmartHttp(Http):
    """`Http` with the headers Walmart wants on every call: a fresh WM_QOS.CORRELATION_ID, the access token
    (from `token`, when given) and, for the token call, its form body (httpx event hooks: the shared retry
    policy stays as it is)."""

    token: Callable[[], str] | None = None
    form: bytes | None = None
    _hooked: bool = field(default=False, repr=False)

    def client(self) -> httpx.Client:
        client = super().client()
        if not self._hooked:
            client.event_hooks = {"request": [self._stamp], "response": []}
            self._hooked = True
        return client

    def close(self) -> None:
        super().close()
        self._hooked = False

    def _stamp(self, request: httpx.Request) -> None:
        import httpx

        request.headers["WM_QOS.CORRELATION_ID"] = str(uuid.uuid4())
        if self.token is not None:
            request.headers["WM_SEC.ACCESS_TOKEN"] = self.token()
        if self.form is not None:
            request.stream = httpx.ByteStream(self.form)
            request.headers["Content-Type"] = "application/x-www-form-urlencoded"
            request.headers["Content-Length"] = str(len(self.form))


class Walmart:
    vendor: ClassVar[str] = "Walmart"

    def __init__(
        self,
        credentials: Mapping[str, str],
        options: HttpOptions,
        *,
        now: Callable[[], float] | None = None,
    ) -> None:
        client_id = credentials.get("client_id", "").strip()
        secret = credentials.get("client_secret", "").strip()
        if not client_id or not secret:
            raise FatalError(
                "Enter the Walmart client ID and client secret (Seller Center > API Key Management)."
            )
        self.client_id = client_id
        self.now = now or options.now  # x-next-replenish-time is a moment on this clock
        self.page_size = min(options.page_size or PAGE_SIZE, PAGE_SIZE)
        host = options.base_url_overrides.get("walmart", API_HOST).rstrip("/")
        common: dict[str, Any] = {
            "vendor": "Walmart",
            "base_url": host,
            "options": options,
            "headers": {"WM_SVC.NAME": SERVICE_NAME, "Accept": "application/json"},
            "pace": self._pace,
            "retry_after": self._throttled_wait,
        }
        self.token_http = WalmartHttp(
            auth=(client_id, secret), rejected=REJECTED, form=b"grant_type=client_credentials", **common
        )
        self.http = WalmartHttp(rejected=REJECTED, token=self._access_token, **common)
        self.inventory_http = WalmartHttp(
            rejected=REJECTED, not_found=NO_SKU, token=self._access_token, **common
        )
        self._token = ""
        self._token_until = 0.0

    # -- auth and throttling ---------------------------------------------------------------------------
    def _access_token(self) -> str:
        if not self._token or self.now() >= self._token_until:
            body = json_of(self.token_http.request("POST", "/v3/token"), "/v3/token")
            token = text(body.get("access_token"), 8000)
            if not token:
                raise FatalError("Walmart answered the token request without an access token.")
            expires = body.get("expires_in")
            lifetime = float(expires) if isinstance(expires, int | float) and expires > 0 else 900.0
            self._token = token
            self._token_until = self.now() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
        return self._token

    def _pace(self, response: httpx.Response) -> float:
        """Wait for the next tokens once x-current-token-count says none is left (429s: `_throttled_wait`)."""
        if response.status_code == 429 or response.headers.get("x-current-token-count") != "0":
            return 0.0
        return replenish_wait(response, self.now) or 0.0

    def _throttled_wait(self, response: httpx.Response) -> float | None:
        """A 429 waits until x-next-replenish-time; else Retry-After (a proxy's); else the back-off."""
        wait = replenish_wait(response, self.now) if response.status_code == 429 else None
        return wait if wait is not None else retry_after_seconds(response)

    def check_credentials(self) -> str:
        self._access_token()
        body = json_of(self.http.request("GET", "/v3/token/detail"), "/v3/token/detail")
        scopes = body.get("scopes")
        if isinstance(scopes, Mapping) and scopes.get("orders") == "no_access":
            raise FatalError(NO_ORDERS_SCOPE)
        return f"Walmart Marketplace seller (client ID …{self.client_id[-4:]})"

    # -- orders ------------------------------------------------------------------------------------------
    def fetch_page(self, window: Window, token: str | None) -> Page:
        until = epoch_ms(window.until)
        if token:
            raw_lo, _, cursor = token.partition("|")
            lo = int(raw_lo)
        else:
            since = window.since if window.since is not None else window.until - HORIZON
            lo, cursor = -(-int(since.timestamp() * 1_000_000) // 1000), ""  # ceil to the millisecond
        if cursor:
            return self._moment_page(lo, until, cursor)
        hi = full = until  # `full`: the nearest end known to hold more than a page after `lo`
        for _ in range(MAX_PROBES):
            if lo > until:
                return Page([], None)
            listing = self._orders({**window_params(lo, hi), "limit": str(self.page_size)})
            if listing.next_cursor is None:
                orders = [self._order(raw, lo, hi) for raw in listing.orders]
                if not orders and hi < until:
                    lo, hi = hi + 1, full  # an empty slice: the orders are further on
                    continue
                return Page(sorted(orders, key=oldest_first), None if hi >= until else f"{hi + 1}|")
            if hi == lo:  # more than a page changed in this very millisecond: Walmart's cursor reads on
                orders = [self._order(raw, lo, lo) for raw in listing.orders]
                return Page(orders, f"{lo}|{listing.next_cursor}")
            full = hi
            hi = narrower(lo, hi, listing, self.page_size)
        return Page([], f"{lo}|")  # still narrowing: the next page goes on from here

    def _moment_page(self, moment: int, until: int, cursor: str) -> Page:
        if not cursor.startswith("?"):
            raise FatalError("The page token of this Walmart run is not one Ledgerbridge wrote.")
        listing = self._orders(None, cursor)
        orders = [self._order(raw, moment, moment) for raw in listing.orders]
        if listing.next_cursor is not None:
            return Page(orders, f"{moment}|{listing.next_cursor}")
        return Page(orders, None if moment >= until else f"{moment + 1}|")

    def _orders(self, params: Mapping[str, str] | None, cursor: str = "") -> Listing:
        try:
            response = self.http.request("GET", "/v3/orders" + cursor, params=params)
        except FatalError as exc:
            if exc.message.startswith(REFUSED + "404") and "CONTENT_NOT_FOUND" in exc.message:
                return Listing([], None, 0)  # Walmart's answer to a query that matches no order
            raise
        body = json_of(response, "/v3/orders")
        listing = body.get("list")
        if not isinstance(listing, Mapping):
            raise FatalError("Walmart answered the order list in an unexpected format.")
        meta = mapping(listing.get("meta"))
        orders = mapping(listing.get("elements")).get("order") or []
        if not isinstance(orders, list):
            raise FatalError("Walmart answered the order list in an unexpected format.")
        cursor_text = meta.get("nextCursor")
        next_cursor = cursor_text if isinstance(cursor_text, str) and cursor_text.startswith("?") else None
        total = meta.get("totalCount")
        return Listing(orders, next_cursor, total if isinstance(total, int) else None)

    def _order(self, raw: Any, lo: int, hi: int) -> FetchedOrder:
        data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        order_id = text(data.get("purchaseOrderId"), 100)
        changed = max(lo, min(hi, last_change(data, lo)))
        return canonical(order_id, from_ms(changed), order_id, lambda: document(raw, from_ms(changed)))

    # -- inventory ---------------------------------------------------------------------------------------
    def inventory(self) -> Walmart:
        """The InventoryTarget side of this connector (the connector itself)."""
        return self

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        """The seller's items by SKU (GET /v3/inventory, one SKU a call: Walmart matches SKUs exactly)."""
        found: dict[str, list[StockItem]] = {}
        for asked in skus_by_key(skus).values():
            sku = asked.strip()
            try:
                body = json_of(self.inventory_http.request("GET", "/v3/inventory", params={"sku": sku}), sku)
            except FatalError as exc:
                if exc.message == NO_SKU:
                    continue
                raise
            count = mapping(body.get("quantity")).get("amount")
            own = text(body.get("sku"), 100) or sku
            found[asked] = [
                StockItem(own, own, own, int(count) if isinstance(count, int | float) else None, True)
            ]
        return found

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        results: dict[int, StockResult] = {}
        send, skipped = dedupe_updates(updates)
        results.update(skipped)
        for index in send:
            update = updates[index]
            payload = {"sku": update.ref, "quantity": {"unit": "EACH", "amount": max(0, update.quantity)}}
            problem: str | None = None
            try:
                self.inventory_http.request("PUT", "/v3/inventory", params={"sku": update.ref}, json=payload)
            except FatalError as exc:
                if exc.message == NO_SKU:
                    problem = f"Walmart has no item with SKU {update.ref}"
                elif exc.message.startswith(REFUSED + "4"):
                    problem = "Walmart refused the quantity: " + exc.message.partition("): ")[2]
                else:
                    raise
            results[index] = StockResult(update.sku, update.ref, problem is None, problem)
        return [results[i] for i in range(len(updates))]


@dataclass(frozen=True)
class Listing:
    orders: list[Any]
    next_cursor: str | None
    total: int | None


def narrower(lo: int, hi: int, listing: Listing, page_size: int) -> int:
    """A nearer end for a slice [lo, hi] holding more than a page: the earliest change among the orders
    Walmart sent (so the next slice holds at least that one), else an end in proportion to totalCount."""
    earliest = min(
        (last_change(raw if isinstance(raw, Mapping) else {}, hi) for raw in listing.orders), default=hi
    )
    if lo <= earliest < hi:
        return earliest
    if earliest >= hi:  # every order sent changed at `hi`: leave that moment for the next slice
        return hi - 1
    total = max(listing.total or 0, len(listing.orders) + 1)
    return min(hi - 1, lo + (hi - lo) * page_size // (2 * total))


def oldest_first(order: FetchedOrder) -> tuple[datetime, int, str]:
    """Oldest change first; purchase orders of one moment in the order Walmart numbered them."""
    return order.updated_at, len(order.order_id), order.order_id


def window_params(lo: int, hi: int) -> dict[str, str]:
    return {"lastModifiedStartDate": iso_ms(lo), "lastModifiedEndDate": iso_ms(hi)}


def mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty one in place of anything else."""
    return value if isinstance(value, Mapping) else {}


def json_of(response: httpx.Response, what: str) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise FatalError(f"Walmart did not answer {what} with JSON.") from exc
    if not isinstance(body, Mapping):
        raise FatalError(f"Walmart answered {what} in an unexpected format.")
    return body


def last_change(data: Mapping[str, Any], fallback: int) -> int:
    """The latest of orderDate and the lines' statusDate (epoch ms); `fallback` when there is none."""
    stamps = [data.get("orderDate")]
    lines = (
        (data.get("orderLines") or {}).get("orderLine") if isinstance(data.get("orderLines"), Mapping) else []
    )
    for entry in lines if isinstance(lines, list) else []:
        if isinstance(entry, Mapping):
            stamps.append(entry.get("statusDate"))
    found = [int(s) for s in stamps if isinstance(s, int | float) and not isinstance(s, bool)]
    return max(found) if found else fallback


def epoch_time(value: Any, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} is not a time in epoch milliseconds: {value!r}")
    return from_ms(int(value))


# -- mapping ----------------------------------------------------------------------------------------------


def document(raw: Any, updated_at: datetime) -> dict[str, Any]:
    """The canonical order JSON of one Walmart purchase order; raises on a malformed one."""
    if not isinstance(raw, Mapping):
        raise TypeError("the purchase order is not a JSON object")
    po = text(raw["purchaseOrderId"], 100)
    if not po:
        raise ValueError("the purchase order has no purchaseOrderId")
    created = epoch_time(raw.get("orderDate"), "orderDate")
    shipping_info = raw.get("shippingInfo") or {}
    postal = shipping_info.get("postalAddress") or {}
    entries = raw["orderLines"]["orderLine"]
    if not isinstance(entries, list) or not entries:
        raise ValueError("the purchase order has no order lines")
    lines: list[dict[str, Any]] = []
    shipping = shipping_tax = Decimal(0)
    fees: list[dict[str, str]] = []
    discounts: list[dict[str, str]] = []
    refunds: dict[str, dict[str, Any]] = {}
    statuses: list[str] = []
    currency = ""
    for entry in entries:
        number = text(entry["lineNumber"], 50)
        quantity = amount((entry.get("orderLineQuantity") or {}).get("amount"), required=True)
        if quantity <= 0:
            raise ValueError(f"order line {number} has quantity {quantity}")
        price = tax = Decimal(0)
        has_product = False
        for charge in (entry.get("charges") or {}).get("charge") or []:
            value, charge_tax, unit = charge_amounts(charge)
            currency = currency or unit
            kind = text(charge.get("chargeType")).upper()
            if kind == "PRODUCT":
                has_product = True
                price += value
                tax += charge_tax
            elif kind == "SHIPPING":
                shipping += value
                shipping_tax += charge_tax
            elif value >= 0:
                fees.append(
                    {
                        "title": text(charge.get("chargeName"), 100) or "Fee",
                        "amount": money(value),
                        "tax": money(charge_tax),
                    }
                )
            else:
                discounts.append(
                    {"code": text(charge.get("chargeName"), 100) or "Discount", "amount": money(-value)}
                )
        if not has_product:
            raise ValueError(f"order line {number} has no PRODUCT charge")
        unit_price = (price / quantity).quantize(CENT, rounding=ROUND_UP)
        item = entry["item"]
        lines.append(
            {
                "id": number,
                "sku": text(item.get("sku"), 100),
                "title": text(item.get("productName"), 500),
                "quantity": str(quantity),
                "unit_price": money(unit_price),
                "discount": money(unit_price * quantity - price),
                "tax": money(tax),
            }
        )
        for status in (entry.get("orderLineStatuses") or {}).get("orderLineStatus") or []:
            statuses.append(text(status.get("status"), 50))
        refund = entry.get("refund")
        if isinstance(refund, Mapping):
            add_refund(refunds, refund, po, number, entry.get("statusDate") or raw.get("orderDate"))
    total = sum(
        (
            amount(ln["unit_price"]) * amount(ln["quantity"]) - amount(ln["discount"]) + amount(ln["tax"])
            for ln in lines
        ),
        Decimal(0),
    )
    total += shipping + shipping_tax
    total += sum((amount(f["amount"]) + amount(f["tax"]) for f in fees), Decimal(0))
    total -= sum((amount(d["amount"]) for d in discounts), Decimal(0))
    all_tax = sum((amount(ln["tax"]) for ln in lines), Decimal(0)) + shipping_tax
    all_tax += sum((amount(f["tax"]) for f in fees), Decimal(0))
    status = order_status(statuses)
    payments = (
        [{"method": "Walmart", "amount": money(total), "paid_at": created.isoformat()}]
        if status != "Cancelled" and total > 0
        else []
    )
    name = text(postal.get("name"), 200)
    first, _, last = name.partition(" ")
    email = text(raw.get("customerEmailId"), 254)
    method = text(shipping_info.get("methodCode"), 100)
    address = {
        "name": name,
        "company": "",
        "line1": text(postal.get("address1"), 200),
        "line2": text(postal.get("address2"), 200),
        "city": text(postal.get("city"), 200),
        "state": text(postal.get("state"), 200),
        "postal_code": text(postal.get("postalCode"), 200),
        "country": text(postal.get("country"), 200),
        "phone": text(shipping_info.get("phone"), 200),
    }
    customer_order = text(raw.get("customerOrderId"), 100)
    return {
        "id": po,
        "number": po,
        "created_at": created.isoformat(),
        "updated_at": updated_at.isoformat(),
        "currency": currency or "USD",
        "customer": {
            "first_name": first[:100],
            "last_name": last[:100],
            "company": "",
            "email": email if "@" in email else "",
            "phone": address["phone"],
        },
        "billing_address": {"name": name},
        "shipping_address": address,
        "lines": lines,
        "shipping_lines": (
            [
                {
                    "title": f"Shipping ({method})" if method else "Shipping",
                    "price": money(shipping),
                    "tax": money(shipping_tax),
                }
            ]
            if shipping or shipping_tax
            else []
        ),
        "discounts": discounts,
        "tax_lines": [{"title": "Sales tax collected by Walmart", "amount": money(all_tax)}]
        if all_tax
        else [],
        "fees": fees,
        "payments": payments,
        "payment_status": "paid" if payments else "unpaid",
        "refunds": list(refunds.values()),
        "total": money(total),
        "note": f"Walmart customer order {customer_order}" if customer_order else "",
        "tags": [],
        "source": "Walmart",
        "status": status,
        "tax_collected_by_marketplace": bool(all_tax),
    }


def charge_amounts(charge: Any) -> tuple[Decimal, Decimal, str]:
    """(amount, tax, currency) of one charge; the amount is required."""
    if not isinstance(charge, Mapping):
        raise TypeError("a charge is not a JSON object")
    value = charge["chargeAmount"]
    if not isinstance(value, Mapping):
        raise TypeError("a charge has no chargeAmount")
    tax = (charge.get("tax") or {}).get("taxAmount") or {}
    return (
        amount(value.get("amount"), required=True),
        amount(tax.get("amount")),
        text(value.get("currency"), 3).upper(),
    )


def add_refund(
    refunds: dict[str, dict[str, Any]], refund: Mapping[str, Any], po: str, line: str, when: Any
) -> None:
    """Fold one line's refund into the order's refunds (one Walmart refund may cover several lines)."""
    total = Decimal(0)
    reasons = []
    for item in (refund.get("refundCharges") or {}).get("refundCharge") or []:
        value, tax, _ = charge_amounts(item.get("charge"))
        total += abs(value) + abs(tax)
        reasons.append(text(item.get("refundReason"), 100))
    key = text(refund.get("refundId"), 100) or f"{po}-{line}"
    found = refunds.setdefault(
        key,
        {
            "id": key,
            "created_at": epoch_time(when, "statusDate").isoformat(),
            "amount": "0.00",
            "note": text(refund.get("refundComments"), 500) or ", ".join(r for r in reasons if r),
        },
    )
    found["amount"] = money(amount(found["amount"]) + total)


def order_status(statuses: list[str]) -> str:
    """The least advanced status of the lines still open ("Cancelled" when every line is cancelled)."""
    open_lines = [s for s in statuses if s in STATUS_ORDER]
    if open_lines:
        return min(open_lines, key=STATUS_ORDER.index)
    return (
        "Cancelled"
        if statuses and all(s == "Cancelled" for s in statuses)
        else (statuses[-1] if statuses else "Created")
    )


SPEC = ConnectorSpec(
    kind="walmart",
    vendor="Walmart",
    fields=(
        CredentialField(
            "client_id", "Client ID", secret=False, help="Seller Center > Settings > API Key Management"
        ),
        CredentialField("client_secret", "Client secret", secret=True),
    ),
    build=Walmart,
)
