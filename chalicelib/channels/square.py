"""Square: orders by their last change (Orders API SearchOrders), SKUs from the catalog, refunds as they appear
on the order, and quantities from QuickBooks as physical counts (Inventory API).

The API as Square publishes it (github.com/square/connect-api-specification, api.json; the parts used are
copied in tests/fixtures/vendors/square/ and every request built here is checked against them):

    GET  https://connect.squareup.com/v2/locations                       {"locations": [<Location>]}
    POST /v2/orders/search   {"location_ids": [<= 10], "limit": <= 1000, "cursor": ...,
                              "query": {"filter": {"date_time_filter": {"updated_at": {"start_at", "end_at"}},
                                                   "state_filter": {"states": [...]}},
                                        "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}}}
                                                                          {"orders": [<Order>], "cursor": ...}
    POST /v2/catalog/batch-retrieve {"object_ids": [...]}                 {"objects": [<CatalogObject>]}
    POST /v2/catalog/search  {"object_types": ["ITEM_VARIATION"], "query": {"set_query": {"attribute_name":
                              "sku", "attribute_values": [<= 250]}}}      {"objects": [...], "cursor": ...}
    POST /v2/inventory/counts/batch-retrieve {"catalog_object_ids", "location_ids", "states"} {"counts": [...]}
    POST /v2/inventory/changes/batch-create {"idempotency_key", "changes": [PHYSICAL_COUNT ...]}
    Authorization: Bearer <access token>     Square-Version: 2025-08-20

Both ends of SearchOrders' time range are inclusive (SearchOrdersDateTimeFilter); times are RFC 3339 with
milliseconds. Square does not say what its cursor does when an order changes between two pages, so it is
used only where offset paging is the only way on (a whole page changed at one moment); otherwise the next page
starts again from the newest change read, as `paging.OffsetKeyset` does (the token is
'<iso since>|<Square cursor>#<ids read at since>'). One search covers at most 10 locations: a merchant with
more names the one location to read.

Money is an integer in the currency's smallest unit (Money: amount, currency): cents for USD, yen for JPY.

Mapping (Square order -> canonical order): line_items -> lines (SKU of the catalog variation the line
names; unit price = base price + modifiers; discount = the line's total_discount_money, which holds the order
discounts Square spreads over the lines; tax = the line's ADDITIVE applied taxes, an INCLUSIVE tax being inside
the price already); service charges -> shipping lines when named for shipping or delivery, else fees; tips
and a positive cash rounding -> fees, a negative one -> a discount; tenders -> payments; `refunds` (APPROVED)
-> refunds of an amount; the recipient of the first fulfillment -> customer and shipping address. A return
order (returns, no line items) is not a sale: its money is in the sold order's `refunds`, so it is left out
of the page; an exchange (returns and line items in one order) is reported as an order that cannot be used.

Throttling is a 429 with RATE_LIMITED and no header saying how long: waited out 1, 2, 4, 8 s in a row
(Retry-After when a proxy sends one). 401 and 403 (INSUFFICIENT_SCOPES) are the merchant's to fix.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.channels.base import (
    ConnectorSpec,
    CredentialField,
    FatalError,
    FetchedOrder,
    Http,
    HttpOptions,
    Page,
    StockItem,
    StockResult,
    StockUpdate,
    Window,
    amount,
    canonical,
    dedupe_updates,
    money,
    parse_time,
    retry_after_seconds,
    skus_by_key,
    stock_key,
    text,
)

if TYPE_CHECKING:
    import httpx

API_HOST = "https://connect.squareup.com"
SQUARE_VERSION = "2025-08-20"
PAGE_SIZE = 500  # SearchOrders' default (its maximum is 1000)
MAX_LOCATIONS = 10  # SearchOrders' location_ids
CATALOG_BATCH = 100  # object ids in one batch-retrieve
SKU_SET = 250  # CatalogQuerySet: "A maximum of 250 values may be searched in a request"
CHANGES_BATCH = 100  # physical counts in one batch-create
MAX_LOOKUP_PAGES = 50
ORDER_STATES = ("OPEN", "COMPLETED", "CANCELED")  # not DRAFT: nobody has bought anything yet
RATE_LIMIT_WAIT = 1.0  # the first wait after RATE_LIMITED; doubled while it goes on
ZERO_DECIMALS = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"}
THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
TENDER_METHODS = {
    "CARD": "Credit Card",
    "CASH": "Cash",
    "THIRD_PARTY_CARD": "Credit Card",
    "SQUARE_GIFT_CARD": "Gift Card",
    "BANK_ACCOUNT": "Bank Transfer",
    "WALLET": "Wallet",
    "BUY_NOW_PAY_LATER": "Buy Now Pay Later",
    "SQUARE_ACCOUNT": "Square Account",
}
REJECTED = (
    "Square rejected the access token, or it lacks a permission Ledgerbridge needs (ORDERS_READ, ITEMS_READ "
    "and MERCHANT_PROFILE_READ). Copy the production access token of your application (Square Developer "
    "Dashboard > Credentials) or connect again through OAuth, and paste it here."
)
WRITE_REJECTED = (
    "Square refused to change stock with this access token: it needs the INVENTORY_READ and INVENTORY_WRITE "
    "permissions. Connect again with them (or copy a personal access token) and paste the new token here."
)
SHIPPING_WORDS = ("ship", "deliver", "postage", "freight")


def rfc3339(moment: datetime) -> str:
    """2026-11-01T12:00:00.250Z (UTC, milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_millisecond(moment: datetime, *, up: bool) -> datetime:
    """A moment cut to the millisecond below (or raised to the one above): Square's precision."""
    cut = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return cut + timedelta(milliseconds=1) if up and cut != moment else cut


def exponent(currency: str) -> int:
    """How many decimals the currency's smallest unit has (Square's Money.amount is in that unit)."""
    if currency in ZERO_DECIMALS:
        return 0
    return 3 if currency in THREE_DECIMALS else 2


class RateLimit:
    """Square's throttling: 429 RATE_LIMITED without a header saying how long. Waits double while 429s come
    in a row (`seen` is called with every answer, `wait` with each 429 or 5xx)."""

    def __init__(self) -> None:
        self.in_a_row = 0

    def seen(self, response: httpx.Response) -> float:
        self.in_a_row = self.in_a_row + 1 if response.status_code == 429 else 0
        return 0.0

    def wait(self, response: httpx.Response) -> float | None:
        asked = retry_after_seconds(response)
        if asked is not None or response.status_code != 429:
            return asked
        return float(RATE_LIMIT_WAIT * 2 ** max(0, self.in_a_row - 1))


class SquareKeyset:
    """Where one page of a window starts: orders changed at or after `since`, from Square's `cursor` (only
    when a whole page changed at `since`), less the ids in `seen` (already read at exactly `since`)."""

    def __init__(self, since: datetime | None, cursor: str = "", seen: frozenset[str] = frozenset()) -> None:
        self.since = since
        self.cursor = cursor
        self.seen = seen

    @classmethod
    def read(cls, token: str | None, window: Window) -> SquareKeyset:
        if not token:
            return cls(window.since)
        keyset, _, ids = token.partition("#")
        since, _, cursor = keyset.partition("|")
        return cls(datetime.fromisoformat(since), cursor, frozenset(ids.split(",")) if ids else frozenset())

    def already_read(self, order_id: str, updated: datetime) -> bool:
        return order_id in self.seen and updated == self.since

    def next_token(self, stamps: Sequence[tuple[str, datetime]], cursor: str | None) -> str | None:
        """The token after a page holding `stamps` (id, updated_at of every order Square sent); `cursor` is
        Square's (None: no more pages)."""
        if not cursor or not stamps:
            return None
        newest = max(moment for _, moment in stamps)
        at_newest = {order_id for order_id, moment in stamps if moment == newest}
        if newest != self.since:
            return f"{newest.isoformat()}|#{','.join(sorted(at_newest))}"
        return f"{newest.isoformat()}|{cursor}#{','.join(sorted(self.seen | at_newest))}"


class Square:
    vendor: ClassVar[str] = "Square"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        token = (credentials.get("access_token") or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise FatalError(
                "Enter the Square access token (Square Developer Dashboard > Credentials, or OAuth)."
            )
        location = (credentials.get("location_id") or "").strip()
        if location and not location.replace("-", "").replace("_", "").isalnum():
            raise FatalError(
                f"The Square location ID is the code shown in Square Dashboard > Settings > Locations, not {location!r}."
            )
        self.location_id = location
        host = options.base_url_overrides.get("square", API_HOST).rstrip("/")
        self.page_size = min(options.page_size or PAGE_SIZE, 1000)
        self.limits = RateLimit()
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._locations: list[Mapping[str, Any]] | None = None
        common: dict[str, Any] = {
            "vendor": "Square",
            "base_url": host,
            "options": options,
            "headers": {"Authorization": f"Bearer {token}", "Square-Version": SQUARE_VERSION},
            "pace": self.limits.seen,
            "retry_after": self.limits.wait,
        }
        self.http = Http(rejected=REJECTED, **common)
        self.write_http = Http(rejected=WRITE_REJECTED, **common)

    def close(self) -> None:
        self.http.close()
        self.write_http.close()

    # -- Connector -----------------------------------------------------------------------------------
    def check_credentials(self) -> str:
        locations = self.locations()
        first = locations[0] if locations else {}
        return text(first.get("business_name"), 200) or text(first.get("name"), 200) or "Square seller"

    def locations(self) -> list[Mapping[str, Any]]:
        """The active locations orders are read from: the one configured, else all of them (read once)."""
        if self._locations is not None:
            return self._locations
        body = self._call(self.http, "GET", "/v2/locations")
        found = [
            loc
            for loc in body.get("locations") or []
            if isinstance(loc, Mapping) and text(loc.get("id")) and loc.get("status", "ACTIVE") == "ACTIVE"
        ]
        if self.location_id:
            found = [loc for loc in found if text(loc.get("id")) == self.location_id]
            if not found:
                raise FatalError(
                    f"Square has no active location with the ID {self.location_id} for this seller."
                )
        if not found:
            raise FatalError("This Square seller has no active location, so it has no orders to read.")
        if len(found) > MAX_LOCATIONS:
            raise FatalError(
                f"This Square seller has {len(found)} locations and Square searches at most {MAX_LOCATIONS} "
                "at once: enter the ID of the location to read (Settings > Locations)."
            )
        self._locations = found
        return found

    def fetch_page(self, window: Window, token: str | None) -> Page:
        position = SquareKeyset.read(token, window)
        updated_at: dict[str, str] = {"end_at": rfc3339(to_millisecond(window.until, up=False))}
        if position.since is not None:
            updated_at["start_at"] = rfc3339(to_millisecond(position.since, up=True))
        request: dict[str, Any] = {
            "location_ids": [text(loc.get("id")) for loc in self.locations()],
            "query": {
                "filter": {
                    "date_time_filter": {"updated_at": updated_at},
                    "state_filter": {"states": list(ORDER_STATES)},
                },
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
            },
            "limit": self.page_size,
        }
        if position.cursor:
            request["cursor"] = position.cursor
        body = self._call(self.http, "POST", "/v2/orders/search", request)
        raw_orders = body.get("orders") or []
        if not isinstance(raw_orders, list):
            raise FatalError("Square answered the order search in an unexpected format.")
        skus = self._skus(raw_orders)
        stamps: list[tuple[str, datetime]] = []
        fetched: list[FetchedOrder] = []
        last = position.since or window.until
        for raw in raw_orders:
            data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            order_id = text(data.get("id"), 100)
            try:
                updated = parse_time(data.get("updated_at"))
            except (ValueError, TypeError):
                updated = last
            last = updated
            stamps.append((order_id, updated))
            if position.already_read(order_id, updated) or is_return_only(data):
                continue
            number = text(data.get("reference_id"), 100) or order_id
            fetched.append(canonical(order_id, updated, number, partial(document, raw, skus)))
        cursor = body.get("cursor")
        return Page(
            orders=sorted(fetched, key=lambda o: o.updated_at),
            next_token=position.next_token(stamps, cursor if isinstance(cursor, str) else None),
        )

    def _skus(self, raw_orders: list[Any]) -> dict[str, str]:
        """The SKU of every catalog variation the orders' lines name (deleted ones too: old orders name them)."""
        ids = sorted(
            {
                text(line.get("catalog_object_id"))
                for raw in raw_orders
                if isinstance(raw, Mapping)
                for line in raw.get("line_items") or []
                if isinstance(line, Mapping) and text(line.get("catalog_object_id"))
            }
        )
        skus: dict[str, str] = {}
        for start in range(0, len(ids), CATALOG_BATCH):
            body = self._call(
                self.http,
                "POST",
                "/v2/catalog/batch-retrieve",
                {"object_ids": ids[start : start + CATALOG_BATCH], "include_deleted_objects": True},
            )
            for obj in body.get("objects") or []:
                data = obj.get("item_variation_data") if isinstance(obj, Mapping) else None
                if isinstance(data, Mapping) and text(data.get("sku")):
                    skus[text(obj.get("id"))] = text(data.get("sku"), 100)
        return skus

    def _call(self, http: Http, method: str, path: str, payload: Any = None) -> Mapping[str, Any]:
        response = http.request(method, path, json=payload)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError(f"Square answered {path} with something that is not JSON.") from exc
        if not isinstance(body, Mapping):
            raise FatalError(f"Square answered {path} in an unexpected format.")
        return body

    # -- InventoryTarget -----------------------------------------------------------------------------
    def inventory(self) -> Square:
        """The InventoryTarget side of this connector (the connector itself)."""
        return self

    def inventory_location(self) -> str:
        """Where quantities are counted: the configured location, else the seller's only one."""
        locations = self.locations()
        if len(locations) > 1:
            raise FatalError(
                "This Square seller has several locations: enter the ID of the location whose stock "
                "QuickBooks sets (Square Dashboard > Settings > Locations)."
            )
        return text(locations[0].get("id"))

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        wanted = skus_by_key(skus)
        location = self.inventory_location()
        values = [wanted[k].strip() for k in wanted]
        variations: dict[str, tuple[str, str, bool]] = {}  # id -> (sku as asked, title, tracked)
        for start in range(0, len(values), SKU_SET):
            request: dict[str, Any] = {
                "object_types": ["ITEM_VARIATION"],
                "query": {
                    "set_query": {
                        "attribute_name": "sku",
                        "attribute_values": values[start : start + SKU_SET],
                    }
                },
                "include_related_objects": True,
                "limit": 1000,
            }
            for _ in range(MAX_LOOKUP_PAGES):
                body = self._call(self.write_http, "POST", "/v2/catalog/search", request)
                items = {
                    text(o.get("id")): text((o.get("item_data") or {}).get("name"), 400)
                    for o in body.get("related_objects") or []
                    if isinstance(o, Mapping) and o.get("type") == "ITEM"
                }
                for obj in body.get("objects") or []:
                    found = stock_variation(obj, location, items)
                    if found is not None and stock_key(found[1]) in wanted:
                        variation_id, sku, title, tracked = found
                        variations[variation_id] = (wanted[stock_key(sku)], title, tracked)
                cursor = body.get("cursor")
                if not isinstance(cursor, str) or not cursor:
                    break
                request = {**request, "cursor": cursor}
        quantities = self._counts(sorted(variations), location)
        result: dict[str, list[StockItem]] = {}
        for variation_id, (sku, title, tracked) in variations.items():
            result.setdefault(sku, []).append(
                StockItem(
                    sku=sku,
                    ref=variation_id,
                    title=title,
                    quantity=quantities.get(variation_id),
                    tracked=tracked,
                )
            )
        return result

    def _counts(self, ids: list[str], location: str) -> dict[str, int]:
        """The IN_STOCK quantity of each variation at the location (whole numbers only)."""
        quantities: dict[str, int] = {}
        for start in range(0, len(ids), 1000):
            request: dict[str, Any] = {
                "catalog_object_ids": ids[start : start + 1000],
                "location_ids": [location],
                "states": ["IN_STOCK"],
            }
            for _ in range(MAX_LOOKUP_PAGES):
                body = self._call(self.write_http, "POST", "/v2/inventory/counts/batch-retrieve", request)
                for count in body.get("counts") or []:
                    if not isinstance(count, Mapping) or count.get("state") != "IN_STOCK":
                        continue
                    try:
                        quantity = amount(count.get("quantity"))
                    except (TypeError, ValueError):
                        continue
                    if quantity == quantity.to_integral_value():
                        quantities[text(count.get("catalog_object_id"))] = int(quantity)
                cursor = body.get("cursor")
                if not isinstance(cursor, str) or not cursor:
                    break
                request = {**request, "cursor": cursor}
        return quantities

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        results: dict[int, StockResult] = {}
        send, skipped = dedupe_updates(updates)
        results.update(skipped)
        ready: list[int] = []
        for index in send:
            update = updates[index]
            if update.quantity < 0:
                results[index] = StockResult(
                    update.sku,
                    update.ref,
                    False,
                    f"Square cannot count a negative quantity; QuickBooks has {update.quantity} of SKU {update.sku}.",
                )
            elif not update.ref.strip():
                results[index] = StockResult(update.sku, update.ref, False, "not a Square item variation")
            else:
                ready.append(index)
        if ready:
            location = self.inventory_location()
            for start in range(0, len(ready), CHANGES_BATCH):
                results.update(self._count(ready[start : start + CHANGES_BATCH], updates, location))
        return [results[i] for i in range(len(updates))]

    def _count(
        self, indexes: list[int], updates: Sequence[StockUpdate], location: str
    ) -> dict[int, StockResult]:
        """One BatchChangeInventory of physical counts. Square takes a batch whole or refuses it whole, so a
        refused batch is sent again one count at a time to find which SKU it refuses and why."""
        occurred = rfc3339(self.now())
        payload = {
            "idempotency_key": str(uuid.uuid4()),
            "changes": [
                {
                    "type": "PHYSICAL_COUNT",
                    "physical_count": {
                        "catalog_object_id": updates[i].ref,
                        "state": "IN_STOCK",
                        "location_id": location,
                        "quantity": str(updates[i].quantity),
                        "occurred_at": occurred,
                    },
                }
                for i in indexes
            ],
            "ignore_unchanged_counts": True,
        }
        try:
            body = self._call(self.write_http, "POST", "/v2/inventory/changes/batch-create", payload)
        except FatalError as exc:
            refused = refusal(exc.message)
            if refused is None:
                raise
            if len(indexes) > 1:
                return {k: v for i in indexes for k, v in self._count([i], updates, location).items()}
            update = updates[indexes[0]]
            problem = f"Square refused the quantity for SKU {update.sku}: {refused}"
            return {indexes[0]: StockResult(update.sku, update.ref, False, problem)}
        counted = {
            text(c.get("catalog_object_id"))
            for c in body.get("counts") or []
            if isinstance(c, Mapping) and text(c.get("location_id")) == location
        }
        results: dict[int, StockResult] = {}
        for i in indexes:
            update = updates[i]
            if update.ref in counted:
                results[i] = StockResult(update.sku, update.ref, True)
            else:
                problem = f"Square did not confirm the quantity for SKU {update.sku}"
                results[i] = StockResult(update.sku, update.ref, False, problem)
        return results


def refusal(message: str) -> str | None:
    """Square's own words from an `Http` FatalError for a 400/404 answer (None: another failure)."""
    for status in ("(HTTP 400): ", "(HTTP 404): "):
        if status in message:
            excerpt = message.split(status, 1)[1]
            try:
                errors = json.loads(excerpt).get("errors") or []
                return (
                    "; ".join(text(e.get("detail"), 200) or text(e.get("code"), 100) for e in errors)
                    or excerpt
                )
            except (ValueError, AttributeError, TypeError):
                return excerpt
    return None


def stock_variation(obj: Any, location: str, items: Mapping[str, str]) -> tuple[str, str, str, bool] | None:
    """(id, sku, title, tracked) of an ITEM_VARIATION catalog object with a SKU, else None."""
    if not isinstance(obj, Mapping) or obj.get("type") != "ITEM_VARIATION" or obj.get("is_deleted") is True:
        return None
    data = obj.get("item_variation_data")
    variation_id = text(obj.get("id"))
    if not isinstance(data, Mapping) or not variation_id or not text(data.get("sku")):
        return None
    tracked = data.get("track_inventory") is True
    for override in data.get("location_overrides") or []:
        if (
            isinstance(override, Mapping)
            and override.get("location_id") == location
            and isinstance(override.get("track_inventory"), bool)
        ):
            tracked = override["track_inventory"]
    item = items.get(text(data.get("item_id")), "")
    name = text(data.get("name"), 200)
    title = f"{item} - {name}" if item and name else item or name or text(data.get("sku"))
    return variation_id, text(data.get("sku")), title[:500], tracked


# -- mapping -----------------------------------------------------------------------------------------


def is_return_only(data: Mapping[str, Any]) -> bool:
    """A return order: items coming back, none sold (the money is in the sold order's `refunds`)."""
    return bool(data.get("returns")) and not data.get("line_items")


class Amounts:
    """Square Money of one currency read as Decimal amounts."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.places = exponent(currency)

    def of(self, value: Any, *, required: bool = False) -> Decimal:
        if value is None:
            if required:
                raise ValueError("a required amount is missing")
            return Decimal(0)
        if not isinstance(value, Mapping):
            raise TypeError(f"{value!r} is not Money")
        minor = value.get("amount")
        if minor is None and not required:
            return Decimal(0)
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise ValueError(f"{minor!r} is not an amount in the currency's smallest unit")
        currency = text(value.get("currency")).upper()
        if currency and currency != self.currency:
            raise ValueError(f"an amount in {currency} on an order in {self.currency}")
        return Decimal(minor).scaleb(-self.places)


def document(raw: Any, skus: Mapping[str, str]) -> dict[str, Any]:
    """The canonical order JSON of a Square order; raises on a malformed one."""
    if not isinstance(raw, Mapping):
        raise TypeError("the order is not a JSON object")
    order_id = text(raw["id"], 100)
    if raw.get("returns"):
        raise ValueError(
            "it is an exchange (items returned and sold in one order); enter it in QuickBooks by hand"
        )
    total_money = raw.get("total_money")
    currency = (
        text(total_money.get("currency") if isinstance(total_money, Mapping) else "", 3).upper() or "USD"
    )
    money_of = Amounts(currency)
    tax_types = {
        text(t.get("uid")): text(t.get("type")) for t in raw.get("taxes") or [] if isinstance(t, Mapping)
    }
    lines = [line(entry, skus, money_of, tax_types) for entry in raw.get("line_items") or []]
    line_discounts = sum(
        (money_of.of(e.get("total_discount_money")) for e in raw.get("line_items") or []), Decimal(0)
    )
    discounts = []
    residual = money_of.of(raw.get("total_discount_money")) - line_discounts
    if residual > 0:
        discounts.append({"code": "Discount", "amount": money(residual)})
    shipping: list[dict[str, Any]] = []
    fees: list[dict[str, Any]] = []
    for charge in raw.get("service_charges") or []:
        title = text(charge.get("name"), 200) or "Service charge"
        price = money_of.of(charge.get("applied_money") or charge.get("amount_money"))
        tax = max(money_of.of(charge.get("total_tax_money")), Decimal(0))
        if any(word in title.casefold() for word in SHIPPING_WORDS):
            shipping.append({"title": title, "price": money(price), "tax": money(tax)})
        else:
            fees.append({"title": title, "amount": money(price), "tax": money(tax)})
    tip = money_of.of(raw.get("total_tip_money"))
    if tip > 0:
        fees.append({"title": "Tip", "amount": money(tip), "tax": "0.00"})
    rounding = raw.get("rounding_adjustment")
    adjust = money_of.of(rounding.get("amount_money")) if isinstance(rounding, Mapping) else Decimal(0)
    if adjust > 0:
        fees.append({"title": "Rounding", "amount": money(adjust), "tax": "0.00"})
    elif adjust < 0:
        discounts.append({"code": "Rounding", "amount": money(-adjust)})
    total = money_of.of(raw.get("total_money"), required=True)
    created = parse_time(raw.get("created_at"))
    payments = [
        {
            "method": TENDER_METHODS.get(text(t.get("type")), "Other"),
            "amount": money(money_of.of(t.get("amount_money"))),
            "paid_at": parse_time(t.get("created_at") or raw.get("created_at")).isoformat(),
            "reference": text(t.get("id"), 100),
        }
        for t in raw.get("tenders") or []
        if isinstance(t, Mapping) and money_of.of(t.get("amount_money")) > 0
    ]
    paid = sum((Decimal(p["amount"]) for p in payments), Decimal(0))
    status = "paid" if payments and paid >= total else "partially_paid" if paid > 0 else "unpaid"
    refunds = [
        {
            "id": text(r["id"], 100),
            "created_at": parse_time(r.get("created_at")).isoformat(),
            "amount": money(money_of.of(r.get("amount_money"), required=True)),
            "note": text(r.get("reason"), 500),
        }
        for r in raw.get("refunds") or []
        if isinstance(r, Mapping) and r.get("status") == "APPROVED"
    ]
    recipient = first_recipient(raw.get("fulfillments") or [])
    first, last = split_name(text(recipient.get("display_name"), 200))
    email = text(recipient.get("email_address"), 254)
    source = raw.get("source")
    return {
        "id": order_id,
        "number": text(raw.get("reference_id"), 100) or order_id,
        "created_at": created.isoformat(),
        "updated_at": parse_time(raw.get("updated_at") or raw.get("created_at")).isoformat(),
        "currency": currency,
        "customer": {
            "first_name": first[:100],
            "last_name": last[:100],
            "company": "",
            "email": email if "@" in email else "",
            "phone": text(recipient.get("phone_number"), 50),
        },
        "billing_address": {},
        "shipping_address": address(recipient),
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": discounts,
        "tax_lines": [],
        "fees": fees,
        "payments": payments,
        "payment_status": status,
        "refunds": refunds,
        "total": money(total),
        "note": text(raw.get("ticket_name"), 4000),
        "tags": [],
        "source": text(source.get("name"), 100) if isinstance(source, Mapping) else "",
        "status": text(raw.get("state"), 50).lower() or "open",
    }


def line(
    entry: Any, skus: Mapping[str, str], money_of: Amounts, tax_types: Mapping[str, str]
) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise TypeError("a line item is not a JSON object")
    quantity = amount(entry.get("quantity"), required=True)
    if quantity <= 0:
        raise ValueError(f"line item {entry.get('uid')} has quantity {quantity}")
    unit = money_of.of(entry.get("base_price_money"), required=True)
    for modifier in entry.get("modifiers") or []:
        times = amount(modifier.get("quantity")) if modifier.get("quantity") is not None else Decimal(1)
        unit += money_of.of(modifier.get("base_price_money")) * times
    additive = [
        money_of.of(t.get("applied_money"))
        for t in entry.get("applied_taxes") or []
        if tax_types.get(text(t.get("tax_uid"))) != "INCLUSIVE"
    ]
    name = text(entry.get("name"), 400)
    variation = text(entry.get("variation_name"), 99)
    title = f"{name} - {variation}" if name and variation and variation.casefold() != "regular" else name
    return {
        "id": text(entry.get("uid"), 100),
        "sku": skus.get(text(entry.get("catalog_object_id")), ""),
        "title": title or variation or "Custom amount",
        "quantity": str(quantity),
        "unit_price": money(unit),
        "discount": money(money_of.of(entry.get("total_discount_money"))),
        "tax": money(max(sum(additive, Decimal(0)), Decimal(0))),
        "taxable": bool(additive),
    }


def first_recipient(fulfillments: list[Any]) -> Mapping[str, Any]:
    for fulfillment in fulfillments:
        if not isinstance(fulfillment, Mapping):
            continue
        for details in ("shipment_details", "delivery_details", "pickup_details"):
            recipient = (fulfillment.get(details) or {}).get("recipient")
            if isinstance(recipient, Mapping):
                return recipient
    return {}


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.rpartition(" ")
    return (first, last) if first else ("", last)


def address(recipient: Mapping[str, Any]) -> dict[str, str]:
    data = recipient.get("address") or {}
    name = " ".join(p for p in (text(data.get("first_name")), text(data.get("last_name"))) if p)
    return {
        "name": (name or text(recipient.get("display_name")))[:200],
        "company": "",
        "line1": text(data.get("address_line_1"), 200),
        "line2": text(data.get("address_line_2"), 200),
        "city": text(data.get("locality"), 200),
        "state": text(data.get("administrative_district_level_1"), 200),
        "postal_code": text(data.get("postal_code"), 200),
        "country": text(data.get("country"), 200),
        "phone": text(recipient.get("phone_number"), 200),
    }


SPEC = ConnectorSpec(
    kind="square",
    vendor="Square",
    fields=(
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help=(
                "Your Square application's production access token (Developer Dashboard > Credentials) or an "
                "OAuth token with ORDERS_READ, ITEMS_READ and MERCHANT_PROFILE_READ; add INVENTORY_READ and "
                "INVENTORY_WRITE to send quantities from QuickBooks."
            ),
        ),
        CredentialField(
            "location_id",
            "Location ID",
            secret=False,
            required=False,
            help=(
                "Leave empty to read every location's orders. Needed when the seller has more than 10 locations, "
                "or several and QuickBooks sets stock (quantities go to this location)."
            ),
        ),
    ),
    build=Square,
)
