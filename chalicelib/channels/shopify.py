"""Shopify: a store's orders through the GraphQL Admin API, oldest change first, mapped to the canonical order.

One query per page: `orders(first, after, sortKey: UPDATED_AT, query: "updated_at:>='…' updated_at:<='…'")`
with what the canonical order needs, `ordersCount` on the first page. Amounts are the shop currency's
(`shopMoney`).

Cost. Shopify charges every query its requested cost (connections: 2 + first x node) from a leaky bucket
(1,000 points restoring 50/s on standard plans) and refuses any single query above 1,000 points. A page of
250 orders with their lines, shipping lines and refunds costs far more than that, so the page size starts at
`HttpOptions.page_size` or 250 and is cut to what fits when Shopify answers MAX_COST_EXCEEDED; nested lists
are fetched a few at a time with the order and the rest of a long one follows with `order(id)` /
`refund(id)` queries. After every answer the connector reads `extensions.cost`: when the bucket holds less
than the last query's requested cost it waits (cost - available) / restoreRate before the next query, and a
THROTTLED answer is retried after that wait (a few times, then RetriableError). HTTP 429 and 5xx are retried
by `Http`.

Mapping. id: the number in the order's gid; number: its name without "#". Lines: original unit price and
quantity, `discount` = the discount allocations of the line (Shopify allocates order-level codes to the
lines, so they are not repeated in `discounts`), `tax` = the line's tax lines. Shipping lines likewise.
`tax_lines`: the order's tax lines. `discounts`: only what `totalDiscountsSet` holds beyond the
allocations (normally nothing). Duties become a fee. `total`: `totalPriceSet`, which then equals lines -
discounts + shipping + tax + duties. Payments: successful SALE and CAPTURE transactions (method: the
gateway). Refunds: each refund's total, its lines (before tax, as `subtotalSet`) and shipping. Status:
cancelled, closed or open. Orders of tax-inclusive stores (`taxesIncluded`) are reported as unusable rather
than posted with tax counted twice.

Inventory from QuickBooks (InventoryTarget, the connector itself): variants are found with
`productVariants(query: "sku:'A' OR sku:'B'")` (50 SKUs a search; Shopify's search is not exact, so the SKU
is checked on the way back) with their inventory item, `tracked` and the available quantity at the location;
quantities are set with `inventorySetQuantities` (name available, reason correction, ignoreCompareQuantity,
up to 250 a mutation). The location is the `location_id` given in the credentials (or `use_location`), else
the shop's primary location (`location` without an id), looked up once. Scopes: read_products,
read_inventory, write_inventory, read_locations; a missing one is a FatalError naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from chalicelib.channels.base import (
    ConnectorSpec,
    CredentialField,
    FatalError,
    FetchedOrder,
    Http,
    HttpOptions,
    Page,
    RetriableError,
    StockItem,
    StockResult,
    StockUpdate,
    Window,
    canonical,
    check_store_url,
    dedupe_updates,
    iso_z,
    parse_time,
    skus_by_key,
    stock_key,
)
from chalicelib.channels.values import attributes
from chalicelib.orders.model import OrderInvalid

API_VERSION = "2025-01"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
MAX_PAGE_SIZE = 250  # Shopify's largest `first`
THROTTLE_ATTEMPTS = 6  # THROTTLED / INTERNAL_SERVER_ERROR answers retried before giving up
MAX_FOLLOW_UPS = 20  # extra queries for the rest of one long list
# How many of each nested list come with the order (each multiplies the page's cost); the rest follow.
LINES_WITH_ORDER = 10
SHIPPING_WITH_ORDER = 2
REFUND_LINES_WITH_ORDER = 5
REFUND_SHIPPING_WITH_ORDER = 1
LINES_PER_FOLLOW_UP = 50

_MONEY = "{ shopMoney { amount } }"
_TAX = f"taxLines {{ title ratePercentage priceSet {_MONEY} }}"
_ALLOCATIONS = f"discountAllocations {{ allocatedAmountSet {_MONEY} }}"
_ADDRESS = "{ name firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone }"
_LINE = f"id sku title name quantity taxable originalUnitPriceSet {_MONEY} {_ALLOCATIONS} {_TAX}"
_SHIPPING = f"title originalPriceSet {_MONEY} {_ALLOCATIONS} {_TAX}"
_REFUND_LINE = f"quantity lineItem {{ id }} subtotalSet {_MONEY}"
_REFUND_SHIPPING = f"subtotalAmountSet {_MONEY}"
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_ORDER = f"""
      id name createdAt updatedAt currencyCode email phone note tags customAttributes {{ key value }}
      retailLocation {{ name }}
      cancelledAt closedAt displayFinancialStatus displayFulfillmentStatus taxesIncluded discountCodes
      customer {{ firstName lastName email phone }}
      billingAddress {_ADDRESS}
      shippingAddress {_ADDRESS}
      lineItems(first: {LINES_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_LINE} }} }}
      shippingLines(first: {SHIPPING_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_SHIPPING} }} }}
      {_TAX}
      totalPriceSet {_MONEY}
      totalDiscountsSet {_MONEY}
      originalTotalDutiesSet {_MONEY}
      transactions {{ id kind status gateway processedAt createdAt amountSet {_MONEY} }}
      refunds {{
        id createdAt note totalRefundedSet {_MONEY}
        refundLineItems(first: {REFUND_LINES_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_REFUND_LINE} }} }}
        refundShippingLines(first: {REFUND_SHIPPING_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_REFUND_SHIPPING} }} }}
      }}"""
ORDERS_QUERY = f"""query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    {_PAGE_INFO}
    nodes {{{_ORDER}
    }}
  }}
}}"""
ORDERS_AND_COUNT_QUERY = f"""query Orders($first: Int!, $after: String, $query: String) {{
  ordersCount(query: $query) {{ count }}
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    {_PAGE_INFO}
    nodes {{{_ORDER}
    }}
  }}
}}"""
CHECK_QUERY = "query Check { shop { name } orders(first: 1) { nodes { id } } }"
# The rest of a nested list: (root field, list field, query)
_FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "lineItems": ("order", _LINE),
    "shippingLines": ("order", _SHIPPING),
    "refundLineItems": ("refund", _REFUND_LINE),
    "refundShippingLines": ("refund", _REFUND_SHIPPING),
}


def _follow_up_query(list_field: str) -> str:
    root, fields = _FOLLOW_UPS[list_field]
    return (
        f"query More($id: ID!, $after: String) {{ {root}(id: $id) {{ "
        f"{list_field}(first: {LINES_PER_FOLLOW_UP}, after: $after) {{ {_PAGE_INFO} nodes {{ {fields} }} }} }} }}"
    )


REJECTED = (
    "Shopify rejected the access token. Check that it was copied whole (it starts with shpat_) and that "
    "the app that issued it is still installed on the store."
)
MISSING_SCOPE = (
    "The Shopify access token is not allowed to read orders: the app lacks the read_orders access scope. "
    "In Shopify admin, open the app's Admin API access scopes, allow Orders (read_orders), install the "
    "app again and enter the new access token here."
)

# Inventory (InventoryTarget): find variants by SKU, set "available" at one location.
SKUS_PER_SEARCH = 50  # SKUs OR-ed in one productVariants search (keeps the search string short)
VARIANTS_PER_PAGE = 100  # cost about 2 + 100 x 5 points
MAX_SET_QUANTITIES = 250  # Shopify's largest `quantities` list in one inventorySetQuantities
MAX_VARIANT_PAGES = 50  # pages of one search before giving up (a SKU prefix matching thousands)
LOCATION_QUERY = "query Location { location { id name isActive } }"
LOCATION_BY_ID_QUERY = "query Location($id: ID!) { location(id: $id) { id name isActive } }"
VARIANTS_QUERY = """query Variants($first: Int!, $after: String, $query: String, $location: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id sku title displayName
      product { title }
      inventoryItem {
        id tracked
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }
    }
  }
}"""
SET_QUANTITIES_MUTATION = """mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}"""
_SCOPE_IN_TEXT = re.compile(r"`?(read_\w+|write_\w+)`?")
_SCOPE_PURPOSE = {
    "read_products": "read products and their SKUs",
    "read_inventory": "read inventory quantities",
    "write_inventory": "update inventory quantities",
    "read_locations": "read the store's locations",
}


def inventory_denied(errors: Any) -> str:
    """The plain-words FatalError for an ACCESS_DENIED answer to an inventory query or mutation."""
    scope = ""
    for error in errors if isinstance(errors, list) else ():
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        for text in (
            extensions.get("requiredAccess") if isinstance(extensions, Mapping) else None,
            error.get("message") if isinstance(error, Mapping) else None,
        ):
            found = _SCOPE_IN_TEXT.search(str(text or ""))
            if found:
                scope = found.group(1)
                break
        if scope:
            break
    if not scope:
        scope = "write_inventory"
    purpose = _SCOPE_PURPOSE.get(scope, "update inventory")
    return (
        f"The Shopify access token is not allowed to {purpose}: the app lacks the {scope} access scope. "
        "In Shopify admin, open the app's Admin API access scopes, allow read_products, read_inventory, "
        "write_inventory and read_locations, install the app again and enter the new access token here."
    )


def location_gid(raw: str) -> str:
    """A location id as typed ("12345" or "gid://shopify/Location/12345") as a gid; FatalError otherwise."""
    value = raw.strip()
    if value.isdigit():
        return f"gid://shopify/Location/{value}"
    if re.fullmatch(r"gid://shopify/Location/\d+", value):
        return value
    raise FatalError(
        f"The Shopify location ID {raw!r} is not a location ID (Settings > Locations: the number at the "
        "end of the location's address, e.g. 12345678)."
    )


def _search_value(sku: str) -> str:
    """A SKU as a quoted Shopify search value."""
    escaped = sku.replace("\\", "\\\\").replace("'", "\\'")
    return f"sku:'{escaped}'"


def _available(level: Any) -> int | None:
    quantities = level.get("quantities") if isinstance(level, Mapping) else None
    for entry in quantities if isinstance(quantities, list) else ():
        if isinstance(entry, Mapping) and entry.get("name") == "available":
            value = entry.get("quantity")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _quantity_index(field: Any) -> int | None:
    """The position in `quantities` a userError's field path points at (["input", "quantities", "3", ...])."""
    if not isinstance(field, list) or len(field) < 3 or field[1] != "quantities":
        return None
    try:
        return int(field[2])
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------
# the shop address


_SHOP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ADMIN_URL = re.compile(r"^(?:https?://)?admin\.shopify\.com/store/([a-z0-9][a-z0-9-]*)")


def shop_url(raw: str, *, allow_private: bool) -> str:
    """The shop's base URL from what a merchant types: "mystore", "mystore.myshopify.com", a URL of the
    shop or of its admin page (admin.shopify.com/store/mystore). Checked with `check_store_url`."""
    value = raw.strip()
    if not value:
        raise FatalError("Enter the Shopify shop address, for example mystore.myshopify.com.")
    lowered = value.lower()
    admin = _ADMIN_URL.match(lowered)
    if admin:
        value = f"{admin.group(1)}.myshopify.com"
    elif _SHOP_NAME.match(lowered):
        value = f"{lowered}.myshopify.com"
    url = check_store_url(value, allow_private=allow_private, what="Shopify shop address")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# ----------------------------------------------------------------------------------------------
# query cost


@dataclass(frozen=True)
class QueryCost:
    """`extensions.cost` of one answer."""

    requested: float
    maximum: float
    available: float
    restore_rate: float

    @staticmethod
    def read(body: Mapping[str, Any]) -> QueryCost | None:
        extensions = body.get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
        status = cost.get("throttleStatus") if isinstance(cost, Mapping) else None
        if not isinstance(cost, Mapping) or not isinstance(status, Mapping):
            return None
        try:
            return QueryCost(
                requested=float(cost["requestedQueryCost"]),
                maximum=float(status["maximumAvailable"]),
                available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def wait_for(self, cost: float) -> float:
        """Seconds until the bucket holds `cost` points (0 when it already does)."""
        if self.available >= cost:
            return 0.0
        if self.restore_rate <= 0:
            return float("inf")
        return (cost - self.available) / self.restore_rate


class QueryTooExpensive(FatalError):
    """Shopify refuses the query's requested cost (above the single-query limit or the bucket's size)."""

    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"Shopify refused Ledgerbridge's order query as too expensive (cost {cost}, limit {limit})."
        )
        self.cost = cost
        self.limit = limit


def _error_code(error: Any) -> str:
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return code if isinstance(code, str) else ""


def _error_text(errors: Any) -> str:
    if isinstance(errors, list):
        texts = [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
        return "; ".join(texts)[:300]
    return str(errors)[:300]


_COST_IN_TEXT = re.compile(r"cost is (\d+).*?\((\d+)\)", re.DOTALL)


def _too_expensive(error: Mapping[str, Any]) -> QueryTooExpensive:
    extensions = error.get("extensions")
    extensions = extensions if isinstance(extensions, Mapping) else {}
    cost, limit = extensions.get("cost"), extensions.get("maxCost")
    if not isinstance(cost, int | float) or not isinstance(limit, int | float):
        found = _COST_IN_TEXT.search(str(error.get("message", "")))
        cost, limit = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    return QueryTooExpensive(int(cost), int(limit))


# ----------------------------------------------------------------------------------------------
# mapping helpers


def numeric_id(value: Any) -> str:
    """gid://shopify/Order/123 -> "123" (other values as text)."""
    text = str(value or "")
    return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text


def _amount(bag: Any, what: str) -> Decimal:
    """The shop-currency amount of a MoneyBag; a missing or unreadable one names `what`."""
    money = bag.get("shopMoney") if isinstance(bag, Mapping) else None
    raw = money.get("amount") if isinstance(money, Mapping) else None
    if raw is None:
        raise OrderInvalid({what: "is missing from Shopify's order"})
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise OrderInvalid({what: f"is not an amount in Shopify's order ({raw!r})"}) from None
    if not value.is_finite():
        raise OrderInvalid({what: f"is not an amount in Shopify's order ({raw!r})"})
    return value


def _optional_amount(bag: Any, what: str) -> Decimal:
    return Decimal(0) if bag is None else _amount(bag, what)


def _sum(items: Any, key: str, what: str) -> Decimal:
    total = Decimal(0)
    for item in items or ():
        total += _amount(item.get(key) if isinstance(item, Mapping) else None, what)
    return total


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _nodes(connection: Any) -> list[Any]:
    nodes = connection.get("nodes") if isinstance(connection, Mapping) else None
    return list(nodes) if isinstance(nodes, list) else []


def _more_after(connection: Any) -> str | None:
    info = connection.get("pageInfo") if isinstance(connection, Mapping) else None
    if isinstance(info, Mapping) and info.get("hasNextPage") and isinstance(info.get("endCursor"), str):
        return str(info["endCursor"])
    return None


def _address(data: Any) -> dict[str, str]:
    a = data if isinstance(data, Mapping) else {}
    return {
        "name": _text(a.get("name"), 200),
        "company": _text(a.get("company"), 200),
        "line1": _text(a.get("address1"), 200),
        "line2": _text(a.get("address2"), 200),
        "city": _text(a.get("city"), 200),
        "state": _text(a.get("provinceCode"), 200),
        "postal_code": _text(a.get("zip"), 200),
        "country": _text(a.get("countryCodeV2"), 200),
        "phone": _text(a.get("phone"), 200),
    }


def _rate(tax_line: Mapping[str, Any]) -> str | None:
    """The tax rate in percent when it has at most two decimals (the canonical form), else None."""
    raw = tax_line.get("ratePercentage")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        rate = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not rate.is_finite() or rate < 0 or rate != rate.quantize(Decimal("0.01")):
        return None
    return str(rate)


def _payment_status(financial: Any, paid: Decimal, total: Decimal) -> str:
    if financial == "PAID":
        return "paid"
    if financial == "PARTIALLY_PAID":
        return "partially_paid"
    if financial in ("PARTIALLY_REFUNDED", "REFUNDED"):  # paid first, then (partly) refunded
        if paid >= total:
            return "paid"
        return "partially_paid" if paid > 0 else "unpaid"
    return "unpaid"  # PENDING, AUTHORIZED, EXPIRED, VOIDED


# ----------------------------------------------------------------------------------------------
# the connector


class ShopifyConnector:
    vendor: ClassVar[str] = "Shopify"

    def __init__(
        self, base_url: str, access_token: str, options: HttpOptions, location_id: str | None = None
    ) -> None:
        self.base_url = base_url
        # The inventory location: the one configured, else the shop's primary one (looked up once).
        self.configured_location = location_gid(location_id) if location_id else None
        self._location: str | None = None
        self.options = options
        self.page_size = max(1, min(MAX_PAGE_SIZE, options.page_size or MAX_PAGE_SIZE))
        self.http = Http(
            vendor=self.vendor,
            base_url=base_url,
            options=options,
            headers={"X-Shopify-Access-Token": access_token},
            rejected=REJECTED,
            redirected=f"{base_url} sends Shopify's API to {{location}}; enter the store's .myshopify.com address.",
            not_found=(
                f"No Shopify store was found at {base_url}. Check the shop address "
                "(for example mystore.myshopify.com)."
            ),
        )
        self.last_cost: QueryCost | None = None
        self._wait_before_next = 0.0

    # -- Connector -----------------------------------------------------------------------------------
    def check_credentials(self) -> str:
        data = self._query(CHECK_QUERY, {})
        shop = data.get("shop")
        name = shop.get("name") if isinstance(shop, Mapping) else None
        if not isinstance(name, str) or not name:
            raise RetriableError("Shopify answered without the shop's name; try again in a moment.")
        return name

    def fetch_page(self, window: Window, token: str | None) -> Page:
        terms = [f"updated_at:<='{iso_z(window.until)}'"]
        if window.since is not None:
            terms.insert(0, f"updated_at:>='{iso_z(window.since)}'")
        search = " ".join(terms)
        query = ORDERS_AND_COUNT_QUERY if token is None else ORDERS_QUERY
        while True:
            try:
                data = self._query(query, {"first": self.page_size, "after": token, "query": search})
                break
            except QueryTooExpensive as exc:
                if self.page_size <= 1 or exc.cost <= 0 or exc.limit <= 0:
                    raise
                # Cost grows with the page size: scale down to what fits (at least one less).
                self.page_size = max(1, min(self.page_size - 1, self.page_size * exc.limit // exc.cost))
        connection = data.get("orders")
        if not isinstance(connection, Mapping) or not isinstance(connection.get("nodes"), list):
            raise RetriableError("Shopify answered without the list of orders; the next run will try again.")
        orders = [self._fetched(node, window) for node in connection["nodes"] if isinstance(node, Mapping)]
        orders.sort(key=lambda o: o.updated_at)  # Shopify sends them so; keep the promise regardless
        counted = data.get("ordersCount")
        count = counted.get("count") if isinstance(counted, Mapping) else None
        total = count if isinstance(count, int) and not isinstance(count, bool) else None
        return Page(orders, _more_after(connection), total)

    def close(self) -> None:
        self.http.close()

    # -- InventoryTarget -------------------------------------------------------------------------------
    def inventory(self) -> ShopifyConnector:
        """The InventoryTarget side of this connector (the connector itself)."""
        return self

    def use_location(self, location_id: str | None) -> None:
        """Read and set quantities at this location (numeric id or gid); None: the primary location."""
        self.configured_location = location_gid(location_id) if location_id else None
        self._location = None

    def location_id(self) -> str:
        """The gid of the location quantities are read and set at: the configured `location_id`, else the
        shop's primary location (`location` without an id). Looked up once per connector."""
        if self._location is not None:
            return self._location
        if self.configured_location is not None:
            data = self._query(LOCATION_BY_ID_QUERY, {"id": self.configured_location}, inventory_denied)
            if not isinstance(data.get("location"), Mapping):
                raise FatalError(
                    f"Shopify has no location {self.configured_location.rsplit('/', 1)[-1]} in this store; "
                    "check the location ID in the channel's settings (Settings > Locations)."
                )
        else:
            data = self._query(LOCATION_QUERY, {}, inventory_denied)
        location = data.get("location")
        found = location.get("id") if isinstance(location, Mapping) else None
        if not isinstance(found, str) or not found:
            raise FatalError("Shopify did not name the store's primary location; set a location ID.")
        self._location = found
        return found

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        wanted = skus_by_key(skus)  # stock key -> the SKU as first asked
        if not wanted:
            return {}
        location = self.location_id()
        found: dict[str, list[StockItem]] = {}
        seen: set[str] = set()
        keys = list(wanted)
        for start in range(0, len(keys), SKUS_PER_SEARCH):
            chunk = keys[start : start + SKUS_PER_SEARCH]
            search = " OR ".join(_search_value(wanted[k].strip()) for k in chunk)
            after: str | None = None
            for _ in range(MAX_VARIANT_PAGES):
                data = self._query(
                    VARIANTS_QUERY,
                    {"first": VARIANTS_PER_PAGE, "after": after, "query": search, "location": location},
                    inventory_denied,
                )
                connection = data.get("productVariants")
                if not isinstance(connection, Mapping) or not isinstance(connection.get("nodes"), list):
                    raise RetriableError("Shopify answered without the list of product variants.")
                for node in connection["nodes"]:
                    item = self._stock_item(node)
                    if item is None or item.ref in seen:
                        continue
                    key = stock_key(item.sku)
                    if key in wanted:  # Shopify's search is not an exact match: check it here
                        seen.add(item.ref)
                        found.setdefault(wanted[key], []).append(item)
                after = _more_after(connection)
                if after is None:
                    break
            else:
                raise RetriableError(
                    "Shopify kept returning more product variants for one SKU search than Ledgerbridge "
                    "reads; the next run will try again."
                )
        return found

    @staticmethod
    def _stock_item(node: Any) -> StockItem | None:
        if not isinstance(node, Mapping):
            return None
        inventory = node.get("inventoryItem")
        ref = inventory.get("id") if isinstance(inventory, Mapping) else None
        sku = node.get("sku")
        if not isinstance(ref, str) or not ref or not isinstance(sku, str) or not sku.strip():
            return None
        assert isinstance(inventory, Mapping)
        tracked = inventory.get("tracked") is True
        product = node.get("product")
        title = _text(node.get("displayName"), 500) or _text(
            product.get("title") if isinstance(product, Mapping) else None, 500
        )
        quantity = _available(inventory.get("inventoryLevel")) if tracked else None
        return StockItem(sku=sku, ref=ref, title=title or sku, quantity=quantity, tracked=tracked)

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        results: dict[int, StockResult] = {}
        send, skipped = dedupe_updates(updates)
        results.update(skipped)
        valid: list[int] = []
        for index in send:
            update = updates[index]
            if not update.ref.startswith("gid://shopify/InventoryItem/"):
                results[index] = StockResult(
                    update.sku, update.ref, False, f"{update.ref!r} is not a Shopify inventory item id"
                )
            else:
                valid.append(index)
        if valid:
            location = self.location_id()
            for start in range(0, len(valid), MAX_SET_QUANTITIES):
                results.update(self._set_batch(updates, valid[start : start + MAX_SET_QUANTITIES], location))
        return [results[i] for i in range(len(updates))]

    def _set_batch(
        self, updates: Sequence[StockUpdate], indexes: list[int], location: str
    ) -> dict[int, StockResult]:
        """One batch of at most 250 quantities. Shopify applies a mutation whole or not at all, so after
        refusals of some items the rest is sent again without them (setting an absolute quantity twice is
        harmless)."""
        results: dict[int, StockResult] = {}
        pending = list(indexes)
        while pending:
            data = self._query(
                SET_QUANTITIES_MUTATION,
                {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "ignoreCompareQuantity": True,
                        "referenceDocumentUri": "ledgerbridge://quickbooks/inventory",
                        "quantities": [
                            {
                                "inventoryItemId": updates[i].ref,
                                "locationId": location,
                                "quantity": updates[i].quantity,
                            }
                            for i in pending
                        ],
                    }
                },
                inventory_denied,
            )
            payload = data.get("inventorySetQuantities")
            if not isinstance(payload, Mapping):
                raise RetriableError("Shopify answered the inventory update without a result.")
            errors = payload.get("userErrors")
            errors = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
            refused: dict[int, str] = {}
            general: list[str] = []
            for error in errors:
                message = _text(error.get("message"), 300) or _text(error.get("code"), 100) or "refused"
                position = _quantity_index(error.get("field"))
                if position is not None and 0 <= position < len(pending):
                    index = pending[position]
                    refused[index] = f"{refused[index]}; {message}" if index in refused else message
                else:
                    general.append(message)
            if general:
                raise FatalError(
                    f"Shopify refused Ledgerbridge's inventory update ({'; '.join(general)[:300]}). "
                    "Please tell Ledgerbridge support."
                )
            for index, message in refused.items():
                update = updates[index]
                results[index] = StockResult(
                    update.sku,
                    update.ref,
                    False,
                    f"Shopify refused the quantity for SKU {update.sku}: {message}",
                )
            if not refused:
                for index in pending:
                    results[index] = StockResult(updates[index].sku, updates[index].ref, True)
                return results
            pending = [i for i in pending if i not in refused]
        return results

    # -- GraphQL -------------------------------------------------------------------------------------
    def _query(
        self,
        query: str,
        variables: Mapping[str, Any],
        denied: Callable[[Any], str] | None = None,
    ) -> dict[str, Any]:
        """Run one query, waiting for the cost bucket before it and retrying THROTTLED answers.
        `denied` words an ACCESS_DENIED answer (default: the read_orders message)."""
        wait = 0.0
        reason = "Shopify kept limiting requests (query cost)"
        for attempt in range(1, THROTTLE_ATTEMPTS + 1):
            if self._wait_before_next > 0:
                wait, self._wait_before_next = self._wait_before_next, 0.0
                self.http.wait(wait)
            response = self.http.request(
                "POST", GRAPHQL_PATH, json={"query": query, "variables": dict(variables)}
            )
            body = self._decode(response)
            cost = QueryCost.read(body)
            if cost is not None:
                self.last_cost = cost
                # The next query is most likely this one again: wait until the bucket holds its cost.
                self._wait_before_next = cost.wait_for(cost.requested)
            errors = body.get("errors")
            if not errors:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise RetriableError("Shopify answered without data; the next run will try again.")
                return data
            if not isinstance(errors, list):
                raise FatalError(f"Shopify refused the request: {_error_text(errors)}")
            codes = {_error_code(e) for e in errors}
            if "ACCESS_DENIED" in codes:
                raise FatalError(denied(errors) if denied is not None else MISSING_SCOPE)
            if "MAX_COST_EXCEEDED" in codes:
                raise _too_expensive(next(e for e in errors if _error_code(e) == "MAX_COST_EXCEEDED"))
            if "THROTTLED" in codes:
                reason = "Shopify kept limiting requests (query cost)"
                if cost is not None and cost.requested > cost.maximum:
                    raise QueryTooExpensive(int(cost.requested), int(cost.maximum))
                if cost is None:  # no figures: back off
                    self._wait_before_next = min(60.0, 2.0**attempt)
                continue
            if codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}:
                reason = f"Shopify had an internal error ({_error_text(errors)})"
                self._wait_before_next = max(self._wait_before_next, min(60.0, 2.0**attempt))
                continue
            raise FatalError(
                f"Shopify refused Ledgerbridge's request ({_error_text(errors)}). The store cannot fix this; "
                "please tell Ledgerbridge support."
            )
        raise RetriableError(
            f"{reason} after {THROTTLE_ATTEMPTS} attempts; the next run will go on from here.",
            retry_after=self._wait_before_next or wait or None,
        )

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise FatalError(
                f"{self.base_url} answered, but not as Shopify's Admin API; check the shop address."
            ) from None
        if not isinstance(body, dict):
            raise FatalError(
                f"{self.base_url} answered, but not as Shopify's Admin API; check the shop address."
            )
        return body

    def _rest(self, list_field: str, owner_id: Any, after: str | None) -> list[Any]:
        """The items of a nested list after `after` (the part that did not come with the order)."""
        items: list[Any] = []
        root = _FOLLOW_UPS[list_field][0]
        for _ in range(MAX_FOLLOW_UPS):
            if after is None:
                return items
            data = self._query(_follow_up_query(list_field), {"id": owner_id, "after": after})
            owner = data.get(root)
            if not isinstance(owner, Mapping):
                raise OrderInvalid({list_field: "could not be read from Shopify (the order is gone?)"})
            items.extend(_nodes(owner.get(list_field)))
            after = _more_after(owner.get(list_field))
        raise OrderInvalid({list_field: "has more entries than Ledgerbridge reads for one order"})

    def _all(self, owner: Mapping[str, Any], list_field: str) -> list[Any]:
        connection = owner.get(list_field)
        return _nodes(connection) + self._rest(list_field, owner.get("id"), _more_after(connection))

    # -- mapping -------------------------------------------------------------------------------------
    def _fetched(self, node: Mapping[str, Any], window: Window) -> FetchedOrder:
        order_id = numeric_id(node.get("id")) or "?"
        number = _text(node.get("name"), 100).lstrip("#")
        try:
            updated = parse_time(node.get("updatedAt"))
        except ValueError:
            updated = window.until
        return canonical(order_id, updated, number, lambda: self._document(node))

    def _document(self, node: Mapping[str, Any]) -> dict[str, Any]:
        if node.get("taxesIncluded"):
            raise OrderInvalid(
                {
                    "taxes": "are included in the store's prices; Ledgerbridge cannot yet split the tax out "
                    "of Shopify's tax-inclusive prices"
                }
            )
        lines = []
        allocated = Decimal(0)
        for i, item in enumerate(self._all(node, "lineItems")):
            sku = _text(item.get("sku"), 100)
            label = f"line {i + 1}" + (f" ({sku})" if sku else "")
            discount = _sum(item.get("discountAllocations"), "allocatedAmountSet", f"{label} discount")
            allocated += discount
            lines.append(
                {
                    "id": numeric_id(item.get("id")) or str(i + 1),
                    "sku": sku,
                    "title": _text(item.get("name") or item.get("title"), 500) or sku or "Item",
                    "quantity": item.get("quantity"),
                    "unit_price": str(_amount(item.get("originalUnitPriceSet"), f"{label} price")),
                    "discount": str(discount),
                    "tax": str(_sum(item.get("taxLines"), "priceSet", f"{label} tax")),
                    "taxable": bool(item.get("taxable", True)),
                }
            )
        shipping = []
        for i, line in enumerate(self._all(node, "shippingLines")):
            label = f"shipping line {i + 1}"
            discount = _sum(line.get("discountAllocations"), "allocatedAmountSet", f"{label} discount")
            allocated += discount
            shipping.append(
                {
                    "title": _text(line.get("title"), 200) or "Shipping",
                    "price": str(_amount(line.get("originalPriceSet"), f"{label} price")),
                    "discount": str(discount),
                    "tax": str(_sum(line.get("taxLines"), "priceSet", f"{label} tax")),
                }
            )
        tax_lines = []
        for tax in node.get("taxLines") or ():
            entry: dict[str, Any] = {
                "title": _text(tax.get("title"), 100) or "Tax",
                "amount": str(_amount(tax.get("priceSet"), "tax")),
            }
            rate = _rate(tax)
            if rate is not None:
                entry["rate"] = rate
            tax_lines.append(entry)
        total = _amount(node.get("totalPriceSet"), "total")
        unallocated = _optional_amount(node.get("totalDiscountsSet"), "total discounts") - allocated
        codes = [c for c in node.get("discountCodes") or () if isinstance(c, str)]
        discounts = (
            [{"code": ", ".join(codes)[:100] or "Discount", "amount": str(unallocated)}]
            if unallocated > 0
            else []
        )
        duties = _optional_amount(node.get("originalTotalDutiesSet"), "duties")
        fees = [{"title": "Duties", "amount": str(duties)}] if duties > 0 else []
        payments = []
        for transaction in node.get("transactions") or ():
            if transaction.get("kind") not in ("SALE", "CAPTURE") or transaction.get("status") != "SUCCESS":
                continue
            payment: dict[str, Any] = {
                "method": _text(transaction.get("gateway"), 100) or "Other",
                "gateway": _text(transaction.get("gateway"), 100),
                "amount": str(_amount(transaction.get("amountSet"), "payment amount")),
                "reference": numeric_id(transaction.get("id"))[:100],
            }
            paid_at = transaction.get("processedAt") or transaction.get("createdAt")
            if paid_at:
                payment["paid_at"] = paid_at
            payments.append(payment)
        paid = sum((Decimal(p["amount"]) for p in payments), Decimal(0))
        refunds = []
        for refund in node.get("refunds") or ():
            refund_lines = [
                {
                    "line_id": numeric_id((rl.get("lineItem") or {}).get("id")),
                    "quantity": rl.get("quantity"),
                    "amount": str(_amount(rl.get("subtotalSet"), "refunded line amount")),
                }
                for rl in self._all(refund, "refundLineItems")
                if rl.get("quantity") != 0  # a restock-only entry returns no goods and no money
            ]
            refunded_shipping = _sum(
                self._all(refund, "refundShippingLines"), "subtotalAmountSet", "refunded shipping"
            )
            refunds.append(
                {
                    "id": numeric_id(refund.get("id")),
                    "created_at": refund.get("createdAt"),
                    "amount": str(_amount(refund.get("totalRefundedSet"), "refund amount")),
                    "lines": refund_lines,
                    "shipping": str(refunded_shipping),
                    "note": _text(refund.get("note"), 500),
                }
            )
        customer = node.get("customer") if isinstance(node.get("customer"), Mapping) else {}
        billing = node.get("billingAddress") if isinstance(node.get("billingAddress"), Mapping) else {}
        assert isinstance(customer, Mapping) and isinstance(billing, Mapping)
        status = "cancelled" if node.get("cancelledAt") else "closed" if node.get("closedAt") else "open"
        return {
            "id": numeric_id(node.get("id")),
            "number": _text(node.get("name"), 100).lstrip("#"),
            "created_at": node.get("createdAt"),
            "updated_at": node.get("updatedAt"),
            "currency": node.get("currencyCode"),
            "customer": {
                "first_name": _text(customer.get("firstName") or billing.get("firstName"), 100),
                "last_name": _text(customer.get("lastName") or billing.get("lastName"), 100),
                "company": _text(billing.get("company"), 200),
                "email": _text(node.get("email") or customer.get("email"), 254),
                "phone": _text(node.get("phone") or customer.get("phone") or billing.get("phone"), 50),
            },
            "billing_address": _address(billing),
            "shipping_address": _address(node.get("shippingAddress")),
            "lines": lines,
            "shipping_lines": shipping,
            "discounts": discounts,
            "tax_lines": tax_lines,
            "fees": fees,
            "payments": payments,
            "payment_status": _payment_status(node.get("displayFinancialStatus"), paid, total),
            "refunds": refunds,
            "total": str(total),
            "note": _text(node.get("note"), 4000),
            "tags": [t for t in node.get("tags") or () if isinstance(t, str)],
            "attributes": attributes(
                (a.get("key"), a.get("value"))
                for a in node.get("customAttributes") or ()
                if isinstance(a, dict)
            ),
            "source": "shopify",
            "status": status,
            # Where a point-of-sale order was sold (Order.retailLocation, Admin API 2024-07+; null for online
            # orders): the store location settings.inventory_sites maps to an inventory site.
            "location": _text((node.get("retailLocation") or {}).get("name"), 200),
        }


def build(credentials: Mapping[str, str], options: HttpOptions) -> ShopifyConnector:
    """The connector; an optional "location_id" in `credentials` (not a form field yet) picks the
    inventory location, else the shop's primary location is used."""
    base_url = shop_url(credentials.get("shop", ""), allow_private=options.allow_private_urls)
    token = (credentials.get("access_token") or "").strip()
    if not token:
        raise FatalError("Enter the Shopify access token (Admin API access token, starting with shpat_).")
    location = (credentials.get("location_id") or "").strip() or None
    return ShopifyConnector(base_url, token, options, location)


SPEC = ConnectorSpec(
    kind="shopify",
    vendor="Shopify",
    fields=(
        CredentialField(
            "shop",
            "Shop address",
            secret=False,
            help="The store's myshopify.com address, for example mystore.myshopify.com (or just mystore).",
        ),
        CredentialField(
            "access_token",
            "Admin API access token",
            secret=True,
            help=(
                "From a custom app with the read_orders access scope (Settings > Apps and sales channels > "
                "Develop apps); it starts with shpat_. Add read_all_orders to reach orders older than 60 days. "
                "To send inventory from QuickBooks also allow read_products, read_inventory, write_inventory "
                "and read_locations."
            ),
        ),
    ),
    build=build,
)
