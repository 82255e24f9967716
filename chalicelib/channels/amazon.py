"""Amazon: orders of one seller account from the Selling Partner API (Orders API v0), by last update.

The API as Amazon documents it (developer-docs.amazon.com/sp-api: "Connecting to the Selling Partner API",
"Usage Plans and Rate Limits"; the Swagger 2.0 model amzn/selling-partner-api-models
models/orders-api-model/ordersV0.json, of which tests/fixtures/vendors/amazon/ keeps the parts called here):

    POST https://api.amazon.com/auth/o2/token                       (Login with Amazon, form-encoded)
        grant_type=refresh_token&refresh_token=Atzr|...&client_id=amzn1.application-oa2-client...&client_secret=
    200 {"access_token": "Atza|...", "token_type": "bearer", "expires_in": 3600, "refresh_token": ...}
    400 {"error": "invalid_grant", ...} | 401 {"error": "invalid_client", ...}

    GET https://sellingpartnerapi-{na|eu|fe}.amazon.com/orders/v0/orders      x-amz-access-token: Atza|...
        ?MarketplaceIds=ATVPDKIKX0DER&LastUpdatedAfter=<ISO 8601>&LastUpdatedBefore=...&MaxResultsPerPage=1..100
        (then ?MarketplaceIds=...&NextToken=...)
    200 {"payload": {"Orders": [<Order>], "NextToken": "..."}}                 getOrders: 0.0167 rps, burst 20
    GET .../orders/v0/orders/{orderId}/orderItems[?NextToken=...]
    200 {"payload": {"AmazonOrderId": ..., "OrderItems": [<OrderItem>], "NextToken": ...}}  0.5 rps, burst 30
    errors: {"errors": [{"code": "Unauthorized" | "InvalidInput" | "QuotaExceeded", "message": ...}]}

The regional host follows from the marketplace (one seller account may sell in several marketplaces of one
region; a channel reads the marketplaces it names). Both date filters are inclusive; `LastUpdatedBefore` must
be at least two minutes before the request, so a window's end is cut to then (the fetch bookmark only moves
to the newest order read, so nothing is skipped: the next run reads what came after).

Rate limits are token buckets per operation: the connector keeps one per operation and waits on the
injected clock (`HttpOptions.sleep`: with the real `time.sleep` the bucket reads `time.monotonic`, with an
injected sleep the time that sleep has moved) before it would exceed one. `x-amzn-RateLimit-Limit` (the
account's own rate, which may be above the default) resets the bucket's rate; a 429 empties the bucket and
is waited out: Retry-After when a proxy sends one, else one token's restore time at the rate the header gave
(or the operation's default rate). The access token is kept for its lifetime (less a minute).

Paging is Amazon's NextToken (a cursor over the query's result, oldest update first as the fake store
models it; Amazon documents no sort order, so a page is also sorted here). An order whose LastUpdateDate is
past the window's end changed while the run read the pages: it is left to the next window.

Mapping (Amazon order -> canonical order): orders in Pending (or PendingAvailability) are skipped: their
prices are not known until payment is authorized, and they are read again once Unshipped or Shipped (their
LastUpdateDate moves). Canceled orders are kept with status "cancelled" and no payment. Each order item ->
a line (ItemPrice is the line's extended price: the unit price is ItemPrice / QuantityOrdered rounded up to
the cent, the rounding given back as discount; PromotionDiscount -> the line's discount; ItemTax less
PromotionDiscountTax -> its tax); ShippingPrice, ShippingDiscount, ShippingTax less ShippingDiscountTax of
all items -> one shipping line titled by ShipServiceLevel; CODFee less CODFeeDiscount -> a fee; OrderTotal ->
the total and one payment by Amazon (none for COD or a cancelled order). BuyerInfo and the ShippingAddress's
name, street and phone are restricted data (present only with a Restricted Data Token): without a buyer
name the customer is "Amazon Customer". FulfillmentChannel (AFN: Fulfilled by Amazon; MFN: by the
merchant) and items' TaxCollection.Model MarketplaceFacilitator (Amazon collected and remits the tax) are
recorded as tags ("AFN"/"MFN", "MarketplaceFacilitator"); MarketplaceFacilitator also sets the order's
`tax_collected_by_marketplace` (the channel's `marketplace_tax` setting then drops that tax or posts it to a
liability item: docs/accounting/sales-tax.md). Orders only: FBA stock is Amazon's and MFN stock goes through the Feeds API, which this connector
does not call.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
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
from chalicelib.channels.values import CENT, amount, iso_z, money, parse_time, text

if TYPE_CHECKING:
    import httpx

LWA_HOST = "https://api.amazon.com"
TOKEN_PATH = "/auth/o2/token"  # noqa: S105  (a path, not a secret)
ORDERS_PATH = "/orders/v0/orders"
REGION_HOSTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
PAGE_SIZE = 30  # orders a page: getOrderItems' burst, so a page's item reads need not wait (max 100)
MAX_PAGE_SIZE = 100
MAX_ITEM_PAGES = 100
BEFORE_NOW = timedelta(minutes=2)  # LastUpdatedBefore must be at least this long before the request
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # a window "from the beginning"
TOKEN_MARGIN = 60.0  # seconds before its expiry an access token is renewed
ANONYMOUS = ("Amazon", "Customer")
REJECTED = (
    "Amazon rejected the app's credentials. Check the LWA client ID and client secret of your app (Seller "
    "Central > Apps and Services > Develop Apps > View LWA credentials) and authorize it again to get a new "
    "refresh token (it begins with Atzr|)."
)
ACCESS_DENIED = (
    "Amazon rejected the app's access to orders. In Seller Central (Apps and Services > Develop Apps) give "
    "the app the Inventory and Order Tracking role, then authorize it again and enter the new refresh token."
)

# Marketplace id -> (region, the marketplace's name, its currency): developer-docs.amazon.com/sp-api
# "Marketplace IDs" and "SP-API endpoints".
MARKETPLACES: dict[str, tuple[str, str, str]] = {
    "ATVPDKIKX0DER": ("na", "Amazon.com", "USD"),
    "A2EUQ1WTGCTBG2": ("na", "Amazon.ca", "CAD"),
    "A1AM78C64UM0Y8": ("na", "Amazon.com.mx", "MXN"),
    "A2Q3Y263D00KWC": ("na", "Amazon.com.br", "BRL"),
    "A28R8C7NBKEWEA": ("eu", "Amazon.ie", "EUR"),
    "A1RKKUPIHCS9HS": ("eu", "Amazon.es", "EUR"),
    "A1F83G8C2ARO7P": ("eu", "Amazon.co.uk", "GBP"),
    "A13V1IB3VIYZZH": ("eu", "Amazon.fr", "EUR"),
    "AMEN7PMS3EDWL": ("eu", "Amazon.com.be", "EUR"),
    "A1805IZSGTT6HS": ("eu", "Amazon.nl", "EUR"),
    "A1PA6795UKMFR9": ("eu", "Amazon.de", "EUR"),
    "APJ6JRA9NG5V4": ("eu", "Amazon.it", "EUR"),
    "A2NODRKZP88ZB9": ("eu", "Amazon.se", "SEK"),
    "AE08WJ6YKNBMC": ("eu", "Amazon.co.za", "ZAR"),
    "A1C3SOZRARQ6R3": ("eu", "Amazon.pl", "PLN"),
    "ARBP9OOSHTCHU": ("eu", "Amazon.eg", "EGP"),
    "A33AVAJ2PDY3EV": ("eu", "Amazon.com.tr", "TRY"),
    "A17E79C6D8DWNP": ("eu", "Amazon.sa", "SAR"),
    "A2VIGQ35RCS4UG": ("eu", "Amazon.ae", "AED"),
    "A21TJRUUN4KGV": ("eu", "Amazon.in", "INR"),
    "A19VAU5U5O7RUS": ("fe", "Amazon.sg", "SGD"),
    "A39IBJ37TRP1C6": ("fe", "Amazon.com.au", "AUD"),
    "A1VC38T7YXB528": ("fe", "Amazon.co.jp", "JPY"),
}


class OrderStatus(StrEnum):
    """Order.OrderStatus (ordersV0.json)."""

    PENDING = "Pending"
    PENDING_AVAILABILITY = "PendingAvailability"
    UNSHIPPED = "Unshipped"
    PARTIALLY_SHIPPED = "PartiallyShipped"
    SHIPPED = "Shipped"
    INVOICE_UNCONFIRMED = "InvoiceUnconfirmed"
    CANCELED = "Canceled"
    UNFULFILLABLE = "Unfulfillable"


NOT_YET_PAID = (OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY)
CANONICAL_STATUS = {
    OrderStatus.UNSHIPPED: "unshipped",
    OrderStatus.PARTIALLY_SHIPPED: "partially_shipped",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.INVOICE_UNCONFIRMED: "invoice_unconfirmed",
    OrderStatus.CANCELED: "cancelled",
    OrderStatus.UNFULFILLABLE: "unfulfillable",
}
FACILITATOR = "marketplacefacilitator"  # TaxCollection.Model, compared without case
FACILITATOR_TAG = "MarketplaceFacilitator"


@dataclass(frozen=True)
class UsagePlan:
    """An operation's default rate (requests a second) and burst, as its Swagger description states."""

    operation: str
    rate: float
    burst: int


GET_ORDERS = UsagePlan("getOrders", 0.0167, 20)
GET_ORDER_ITEMS = UsagePlan("getOrderItems", 0.5, 30)
PLANS = {plan.operation: plan for plan in (GET_ORDERS, GET_ORDER_ITEMS)}


class RunClock:
    """The time the rate-limit buckets and the access token's lifetime are measured in: real monotonic time
    when the connector really sleeps, else the time the injected sleep has moved (a virtual clock)."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self.real = sleep is time.sleep
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self._sleep(seconds)

    def now(self) -> float:
        return time.monotonic() if self.real else self.slept


@dataclass
class TokenBucket:
    """One operation's allowance: `burst` requests at once, one more every 1/`rate` seconds."""

    rate: float
    burst: float
    now: Callable[[], float]
    tokens: float = field(init=False)
    at: float | None = None

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def _refill(self) -> None:
        moment = self.now()
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + max(0.0, moment - self.at) * self.rate)
        self.at = moment

    def wait(self) -> float:
        """Seconds to wait before the next request may go."""
        self._refill()
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens -= 1.0

    def refused(self) -> None:
        """Amazon answered 429: its bucket is empty, and the retry after the wait spends the next token."""
        self._refill()
        self.tokens = -1.0

    def restore_seconds(self) -> float:
        return 1.0 / self.rate


def rate_limit(response: httpx.Response) -> float | None:
    """x-amzn-RateLimit-Limit (requests a second), or None."""
    try:
        value = float(response.headers.get("x-amzn-RateLimit-Limit", ""))
    except ValueError:
        return None
    return value if value > 0 and math.isfinite(value) else None


def marketplaces_of(raw: str) -> tuple[list[str], str]:
    """The marketplace ids a channel names (comma-separated) and their region; FatalError when unknown
    or in two regions (each region has its own endpoint and authorization)."""
    ids = [part.strip().upper() for part in raw.replace(";", ",").split(",") if part.strip()]
    if not ids:
        raise FatalError("Enter the marketplace ID (for Amazon.com: ATVPDKIKX0DER).")
    unknown = [i for i in ids if i not in MARKETPLACES]
    if unknown:
        raise FatalError(
            f"{unknown[0]!r} is not an Amazon marketplace ID (Amazon.com is ATVPDKIKX0DER, Amazon.ca "
            "A2EUQ1WTGCTBG2, Amazon.co.uk A1F83G8C2ARO7P, Amazon.de A1PA6795UKMFR9)."
        )
    regions = {MARKETPLACES[i][0] for i in ids}
    if len(regions) > 1:
        raise FatalError("The marketplaces of one channel must be in one region; add a channel per region.")
    return list(dict.fromkeys(ids)), regions.pop()


class Amazon:
    vendor: ClassVar[str] = "Amazon"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        self.client_id = (credentials.get("client_id") or "").strip()
        self.client_secret = (credentials.get("client_secret") or "").strip()
        self.refresh_token = (credentials.get("refresh_token") or "").strip()
        if not self.client_id or not self.client_secret or not self.refresh_token:
            raise FatalError(
                "Enter the app's LWA client ID and client secret and the seller's refresh token."
            )
        self.marketplaces, region = marketplaces_of(credentials.get("marketplace_id") or "ATVPDKIKX0DER")
        self.clock = RunClock(options.sleep)
        options = dataclasses.replace(options, sleep=self.clock.sleep)
        override = options.base_url_overrides.get("amazon", "").rstrip("/")
        self.page_size = max(1, min(options.page_size or PAGE_SIZE, MAX_PAGE_SIZE))
        self.buckets = {
            name: TokenBucket(plan.rate, float(plan.burst), self.clock.now) for name, plan in PLANS.items()
        }
        self._operation = GET_ORDERS.operation
        self._token = ""
        self._token_until = 0.0
        self.lwa = Http(
            vendor="Login with Amazon",
            base_url=override or LWA_HOST,
            options=options,
            rejected=REJECTED,
        )
        self.sp = Http(
            vendor="Amazon",
            base_url=override or REGION_HOSTS[region],
            options=options,
            rejected=ACCESS_DENIED,
            not_found="Amazon has no such order (it may belong to another seller account).",
            pace=self._observe,
            retry_after=self._throttled_wait,
        )

    # -- credentials -----------------------------------------------------------------------------------
    def access_token(self) -> str:
        """The LWA access token for the refresh token, exchanged once for its lifetime."""
        if self._token and self.clock.now() < self._token_until:
            return self._token
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            response = self.lwa.request("POST", TOKEN_PATH, data=form)
        except FatalError as exc:
            # LWA answers a revoked or mistyped refresh token with 400 invalid_grant (Http's generic wording)
            if any(
                code in exc.message for code in ("invalid_grant", "invalid_client", "unauthorized_client")
            ):
                raise FatalError(REJECTED) from exc
            raise
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise FatalError("Login with Amazon answered without an access token.") from exc
        if not isinstance(token, str) or not token:
            raise FatalError("Login with Amazon answered without an access token.")
        self._token = token
        self._token_until = self.clock.now() + max(0.0, lifetime - TOKEN_MARGIN)
        return token

    def check_credentials(self) -> str:
        since = datetime.now(UTC) - timedelta(days=1)
        self._call(
            GET_ORDERS,
            ORDERS_PATH,
            {
                "MarketplaceIds": ",".join(self.marketplaces),
                "LastUpdatedAfter": iso_z(since),
                "MaxResultsPerPage": 1,
            },
        )
        names = ", ".join(MARKETPLACES[m][1] for m in self.marketplaces)
        return f"{names} seller account"

    # -- rate limits -------------------------------------------------------------------------------------
    def _observe(self, response: httpx.Response) -> float:
        """The account's own rate for the operation, when Amazon states it (`Http`'s pace hook)."""
        limit = rate_limit(response)
        if limit is not None:
            self.buckets[self._operation].rate = limit
        return 0.0

    def _throttled_wait(self, response: httpx.Response) -> float | None:
        """How long a 429 asks to wait: Retry-After when sent, else one token's restore time."""
        given = retry_after_seconds(response)
        if response.status_code != 429:
            return given
        bucket = self.buckets[self._operation]
        bucket.refused()
        return given if given is not None else bucket.restore_seconds()

    def _call(self, plan: UsagePlan, path: str, params: Mapping[str, Any] | None = None) -> Any:
        token = self.access_token()
        self._operation = plan.operation
        bucket = self.buckets[plan.operation]
        self.sp.wait(bucket.wait())
        bucket.take()
        self.sp.client().headers["x-amz-access-token"] = token
        response = self.sp.request("GET", path, params=params)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError("Amazon did not answer with JSON.") from exc
        payload = body.get("payload") if isinstance(body, Mapping) else None
        if not isinstance(payload, Mapping):
            raise FatalError(f"Amazon answered {plan.operation} in an unexpected format.")
        return payload

    # -- orders ----------------------------------------------------------------------------------------
    def fetch_page(self, window: Window, token: str | None) -> Page:
        since = window.since or EARLIEST
        if token:
            params: dict[str, Any] = {"MarketplaceIds": ",".join(self.marketplaces), "NextToken": token}
        else:
            before = min(second_up(window.until), (datetime.now(UTC) - BEFORE_NOW).replace(microsecond=0))
            if before < since.replace(microsecond=0):
                return Page([], None)  # the window is younger than Amazon lets us ask about
            params = {
                "MarketplaceIds": ",".join(self.marketplaces),
                "LastUpdatedAfter": iso_z(since),
                "LastUpdatedBefore": iso_z(before),
                "MaxResultsPerPage": self.page_size,
            }
        payload = self._call(GET_ORDERS, ORDERS_PATH, params)
        raw_orders = payload.get("Orders")
        if not isinstance(raw_orders, list):
            raise FatalError("Amazon answered the order list in an unexpected format.")
        fetched: list[FetchedOrder] = []
        last = since
        for raw in raw_orders:
            data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            if data.get("OrderStatus") in NOT_YET_PAID:
                continue  # read again once payment is authorized (its LastUpdateDate moves)
            try:
                updated = parse_time(data.get("LastUpdateDate"))
            except (TypeError, ValueError):
                updated = last
            if updated > window.until or updated < since:
                continue  # changed while this run read the pages: the next window holds it
            last = updated
            fetched.append(self._order(data, updated))
        next_token = payload.get("NextToken")
        return Page(
            orders=sorted(fetched, key=lambda o: o.updated_at),
            next_token=next_token if isinstance(next_token, str) and next_token else None,
        )

    def _order(self, data: Mapping[str, Any], updated: datetime) -> FetchedOrder:
        order_id = text(data.get("AmazonOrderId"), 100)
        if not order_id:
            return canonical("", updated, "", lambda: document(data, [], self.marketplaces[0]))
        items = self._items(order_id)
        return canonical(order_id, updated, order_id, lambda: document(data, items, self.marketplaces[0]))

    def _items(self, order_id: str) -> list[Any]:
        found: list[Any] = []
        token: str | None = None
        for _ in range(MAX_ITEM_PAGES):
            payload = self._call(
                GET_ORDER_ITEMS,
                f"{ORDERS_PATH}/{order_id}/orderItems",
                {"NextToken": token} if token else None,
            )
            items = payload.get("OrderItems")
            if not isinstance(items, list):
                raise FatalError("Amazon answered an order's items in an unexpected format.")
            found.extend(items)
            next_token = payload.get("NextToken")
            if not isinstance(next_token, str) or not next_token:
                break
            token = next_token
        return found


def second_up(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


# -- mapping -----------------------------------------------------------------------------------------


def money_of(value: Any, *, required: bool = False) -> Decimal:
    """A Money object's Amount (missing is 0 unless required)."""
    if value is None:
        if required:
            raise ValueError("a required amount is missing")
        return Decimal(0)
    if not isinstance(value, Mapping):
        raise TypeError(f"{value!r} is not a Money object")
    return amount(value.get("Amount"), required=required)


def document(raw: Mapping[str, Any], items: Sequence[Any], marketplace: str) -> dict[str, Any]:
    """The canonical order JSON of an Amazon order and its items; raises on a malformed one."""
    order_id = text(raw["AmazonOrderId"], 100)
    if not order_id:
        raise ValueError("the order has no AmazonOrderId")
    status = OrderStatus(raw["OrderStatus"])
    cancelled = status is OrderStatus.CANCELED
    if not items and not cancelled:
        raise ValueError("the order has no items")
    total_money = raw.get("OrderTotal")
    currency = text(total_money.get("CurrencyCode"), 3) if isinstance(total_money, Mapping) else ""
    lines = []
    ship_price = ship_discount = ship_tax = cod = Decimal(0)
    facilitator = False
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError("an order item is not a JSON object")
        quantity = item.get("QuantityOrdered")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValueError(f"item {item.get('OrderItemId')} has quantity {quantity!r}")
        extended = money_of(item.get("ItemPrice"), required=not cancelled)
        if quantity == 0:
            if not cancelled:
                raise ValueError(f"item {item.get('OrderItemId')} has quantity 0")
            quantity, extended = 1, Decimal(0)  # a cancelled line: kept for its SKU, at no price
        unit = (extended / quantity).quantize(CENT, rounding=ROUND_CEILING)
        discount = money_of(item.get("PromotionDiscount")) + (unit * quantity - extended)
        tax = money_of(item.get("ItemTax")) - money_of(item.get("PromotionDiscountTax"))
        currency = currency or text((item.get("ItemPrice") or {}).get("CurrencyCode"), 3)
        lines.append(
            {
                "id": text(item.get("OrderItemId"), 100) or str(index + 1),
                "sku": text(item.get("SellerSKU"), 100) or text(item.get("ASIN"), 100),
                "title": text(item.get("Title"), 500) or text(item.get("SellerSKU"), 500) or "Amazon item",
                "quantity": str(quantity),
                "unit_price": money(unit),
                "discount": money(discount),
                "tax": money(max(tax, Decimal(0))),
            }
        )
        ship_price += money_of(item.get("ShippingPrice"))
        ship_discount += money_of(item.get("ShippingDiscount"))
        ship_tax += money_of(item.get("ShippingTax")) - money_of(item.get("ShippingDiscountTax"))
        cod += money_of(item.get("CODFee")) - money_of(item.get("CODFeeDiscount"))
        collection = item.get("TaxCollection")
        if isinstance(collection, Mapping) and text(collection.get("Model")).casefold() == FACILITATOR:
            facilitator = True
    shipping = []
    if ship_price or ship_discount or ship_tax:
        shipping.append(
            {
                "title": text(raw.get("ShipServiceLevel"), 200) or "Shipping",
                "price": money(ship_price),
                "tax": money(max(ship_tax, Decimal(0))),
                "discount": money(ship_discount),
            }
        )
    fees = [{"title": "COD fee", "amount": money(cod), "tax": "0.00"}] if cod > 0 else []
    computed = (
        sum(
            (amount(ln["quantity"]) * amount(ln["unit_price"]) - amount(ln["discount"]) for ln in lines),
            Decimal(0),
        )
        + sum((amount(ln["tax"]) for ln in lines), Decimal(0))
        + ship_price
        - ship_discount
        + max(ship_tax, Decimal(0))
        + max(cod, Decimal(0))
    )
    total = computed if cancelled else money_of(total_money) if total_money is not None else computed
    created = parse_time(raw["PurchaseDate"])
    paid = not cancelled and raw.get("PaymentMethod") != "COD" and total > 0
    payments = (
        [{"method": "Amazon", "amount": money(total), "paid_at": created.isoformat(), "reference": order_id}]
        if paid
        else []
    )
    buyer = mapping(raw.get("BuyerInfo"))
    first, last = split_name(text(buyer.get("BuyerName"), 200))
    tax_info = mapping(buyer.get("BuyerTaxInfo"))
    email = text(buyer.get("BuyerEmail"), 254)
    tags = []
    channel = text(raw.get("FulfillmentChannel"), 10).upper()
    if channel in ("AFN", "MFN"):
        tags.append(channel)
    if facilitator:
        tags.append(FACILITATOR_TAG)
    return {
        "id": order_id,
        "number": order_id,
        "created_at": created.isoformat(),
        "updated_at": parse_time(raw["LastUpdateDate"]).isoformat(),
        "currency": (currency or MARKETPLACES[marketplace][2]).upper(),
        "customer": {
            "first_name": first,
            "last_name": last,
            "company": text(tax_info.get("CompanyLegalName"), 200),
            "email": email if "@" in email else "",
            "phone": "",
        },
        "billing_address": {},
        "shipping_address": address(raw.get("ShippingAddress")),
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": [],
        "tax_lines": [],
        "fees": fees,
        "payments": payments,
        "payment_status": "paid" if payments else "unpaid",
        "refunds": [],
        "total": money(total),
        "note": "",
        "tags": tags,
        "source": text(raw.get("SalesChannel"), 100) or MARKETPLACES[marketplace][1],
        "status": CANONICAL_STATUS.get(status, status.value.lower()),
        "tax_collected_by_marketplace": facilitator,
    }


def mapping(value: Any) -> Mapping[str, Any]:
    """An optional JSON object (restricted data may be left out): missing or not an object is empty."""
    return value if isinstance(value, Mapping) else {}


def split_name(name: str) -> tuple[str, str]:
    """A buyer's name as (first, last); no name (restricted data not granted): the anonymous customer."""
    if not name:
        return ANONYMOUS
    first, _, last = name.rpartition(" ")
    return (first[:100], last[:100]) if first else ("", last[:100])


def address(raw: Any) -> dict[str, str]:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    line2 = " ".join(p for p in (text(data.get("AddressLine2")), text(data.get("AddressLine3"))) if p)
    return {
        "name": text(data.get("Name"), 200),
        "company": text(data.get("CompanyName"), 200),
        "line1": text(data.get("AddressLine1"), 200),
        "line2": line2[:200],
        "city": text(data.get("City"), 200),
        "state": text(data.get("StateOrRegion"), 200),
        "postal_code": text(data.get("PostalCode"), 200),
        "country": text(data.get("CountryCode"), 200),
        "phone": text(data.get("Phone"), 200),
    }


SPEC = ConnectorSpec(
    kind="amazon",
    vendor="Amazon",
    fields=(
        CredentialField(
            "client_id", "LWA client ID", secret=False, help="amzn1.application-oa2-client.… (Develop Apps)"
        ),
        CredentialField("client_secret", "LWA client secret", secret=True),
        CredentialField(
            "refresh_token", "Refresh token", secret=True, help="Atzr|… from authorizing the app"
        ),
        CredentialField(
            "marketplace_id",
            "Marketplace ID",
            secret=False,
            required=False,
            help="ATVPDKIKX0DER for Amazon.com (the default); several of one region separated by commas",
        ),
    ),
    build=Amazon,
)
