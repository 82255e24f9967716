"""Magento 2 / Adobe Commerce: REST orders by `updated_at`, their credit memos as refunds, and stock levels
pushed to one MSI source.

The API as Adobe documents it (developer.adobe.com/commerce/webapi/rest: "Search using REST endpoints",
"Manage source items"; the Swagger 2.0 schema Adobe publishes per version, of which
tests/fixtures/vendors/magento/ keeps the parts called here):

    GET <store>/rest/V1/orders?searchCriteria[filter_groups][i][filters][0][field]=updated_at
        &...[value]=2026-11-01 12:00:00&...[condition_type]=gteq|gt|eq|lteq
        &searchCriteria[sortOrders][0][field]=updated_at&...[direction]=ASC
        &searchCriteria[sortOrders][1][field]=entity_id&...&searchCriteria[pageSize]=100&[currentPage]=1
    Authorization: Bearer <integration access token>
    200 {"items": [<order>], "search_criteria": {...}, "total_count": 1234}
    GET <store>/rest/V1/creditmemos?searchCriteria... order_id in 1,2,3            (the same envelope)
    GET <store>/rest/V1/inventory/source-items?searchCriteria... sku in a,b; source_code eq default
    GET <store>/rest/V1/products?searchCriteria... sku in a,b                       (the same envelope)
    POST <store>/rest/V1/inventory/source-items {"sourceItems": [{sku, source_code, quantity, status}]}

Filters in one group are OR-ed, groups are AND-ed, so each condition gets a group of its own. `updated_at`
is UTC, "YYYY-MM-DD HH:MM:SS", whole seconds: a window's start is rounded up and its end down to the second,
which keeps every order read inside the window.

Paging is a keyset on (updated_at, entity_id), always at currentPage 1: Magento answers a currentPage past
the end with the last page again, and an order changing between two pages would shift every later one by a
place under offset paging. Each next page starts after the last order read: `updated_at >= t` with the
orders at t up to that entity_id skipped; when a whole page shares one moment, `updated_at = t AND
entity_id > id` until that moment is exhausted, then `updated_at > t`. A page is the last when total_count
(the matches of the page's query) is no more than the orders it holds. So no order is missed or read twice
while orders change, however many share one second.

Magento sends no rate-limit headers; a CDN or WAF in front of it may answer 429, with Retry-After (waited
out) or without (the shared back-off). A rejected token answers 401 {"message": "The consumer isn't
authorized to access %resources.", "parameters": ...}.

Mapping (Magento order -> canonical order): items without a parent -> lines (a dynamic-price bundle by its
priced children), the line's discount_amount and tax_amount; shipping_amount less shipping_discount_amount
-> one shipping line titled by shipping_description; the order's discount_amount beyond the lines' and
shipping's -> a discount (coupon_code or discount_description); tax_amount -> one tax line; total_paid -> a
payment by the payment method's code; the shipping address from extension_attributes.shipping_assignments;
credit memos -> refunds (with lines when the memo is only whole items and shipping, without tax).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlsplit

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
    check_store_url,
    dedupe_updates,
    money,
    parse_time,
    skus_by_key,
    stock_key,
    text,
)

PAGE_SIZE = 100  # orders a page (Magento 2.4.7+ caps pageSize at 300 by default)
LIST_PAGE_SIZE = 100  # credit memos, source items and products a request
MAX_LIST_PAGES = 100
SKUS_PER_LOOKUP = 50
BATCH_SIZE = 100  # source items a POST
DEFAULT_SOURCE = "default"
STOCKED_TYPES = ("simple", "virtual", "downloadable")  # product types with a stock of their own in MSI
SOURCE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
REJECTED = (
    "Magento rejected the integration's access token. In the Magento admin (System > Extensions > "
    "Integrations) activate an integration with the Sales > Operations > Orders resource, and copy its "
    "Access Token here."
)
WRITE_REJECTED = (
    "Magento refused to change stock with this access token. Give the integration the Catalog > Inventory "
    "> Products and Stores > Inventory > Sources resources (System > Extensions > Integrations), then "
    "reauthorize it."
)
REFUSED_400 = "Magento refused the request (HTTP 400): "  # how `Http` words a 400 (its body follows)


def magento_time(moment: datetime) -> str:
    """A filter value as Magento stores `updated_at`: UTC, "YYYY-MM-DD HH:MM:SS"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def second_up(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def search(
    filters: Sequence[tuple[str, str, str]],
    *,
    sort: Sequence[str] = (),
    page_size: int = LIST_PAGE_SIZE,
    page: int = 1,
) -> dict[str, Any]:
    """searchCriteria query parameters: each (field, condition_type, value) in a filter group of its own
    (groups are AND-ed), `sort` fields ascending."""
    params: dict[str, Any] = {}
    for group, (field, condition, value) in enumerate(filters):
        prefix = f"searchCriteria[filter_groups][{group}][filters][0]"
        params[f"{prefix}[field]"] = field
        params[f"{prefix}[value]"] = value
        params[f"{prefix}[condition_type]"] = condition
    for index, field in enumerate(sort):
        params[f"searchCriteria[sortOrders][{index}][field]"] = field
        params[f"searchCriteria[sortOrders][{index}][direction]"] = "ASC"
    params["searchCriteria[pageSize]"] = page_size
    params["searchCriteria[currentPage]"] = page
    return params


@dataclass(frozen=True)
class Keyset:
    """Where a page starts. `mode`: "ge" (updated_at >= since, skipping the orders at `since` with an id up
    to `after`), "eq" (updated_at = since and entity_id > after) or "gt" (updated_at > since)."""

    mode: str
    since: datetime | None
    after: int = 0

    @classmethod
    def read(cls, token: str | None, window: Window) -> Keyset:
        if not token:
            return cls("ge", second_up(window.since) if window.since else None)
        mode, moment, after = token.split("|")
        if mode not in ("ge", "eq", "gt"):
            raise ValueError(f"not a Magento page token: {token!r}")
        return cls(mode, datetime.fromisoformat(moment), int(after or 0))

    def token(self) -> str:
        assert self.since is not None
        return f"{self.mode}|{self.since.isoformat()}|{self.after}"

    def filters(self) -> list[tuple[str, str, str]]:
        if self.since is None:
            return []
        condition = {"ge": "gteq", "eq": "eq", "gt": "gt"}[self.mode]
        found = [("updated_at", condition, magento_time(self.since))]
        if self.mode == "eq" and self.after:
            found.append(("entity_id", "gt", str(self.after)))
        return found

    def skips(self, order_id: int, updated: datetime) -> bool:
        return self.mode == "ge" and updated == self.since and order_id <= self.after

    def next(self, read: Sequence[tuple[int, datetime]], more: bool) -> Keyset | None:
        """The page after one whose orders (all the store sent, skipped ones too) were `read`; `more`:
        total_count says the query matched more than the page holds."""
        if not more or not read:
            return Keyset("gt", self.since) if self.mode == "eq" and self.since else None
        last_id, newest = read[-1]
        if self.mode == "eq":
            return Keyset("eq", self.since, last_id)
        if all(moment == newest for _, moment in read):
            return Keyset("eq", newest, last_id)  # a page or more share one moment: go on by id within it
        return Keyset("ge", newest, last_id)


class Magento:
    vendor: ClassVar[str] = "Magento"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        raw_url = (credentials.get("store_url") or "").strip()
        token = (credentials.get("access_token") or "").strip()
        if not raw_url or not token:
            raise FatalError("Enter the Magento store address and the integration's access token.")
        url = check_store_url(raw_url, allow_private=options.allow_private_urls)
        path = urlsplit(url).path.rstrip("/")
        if path.endswith("/rest") or "/rest/" in path:
            url = url[: url.rfind("/rest")]  # the address was pasted with the API path: keep the store's
        self.store_url = url
        source = (credentials.get("source_code") or "").strip() or DEFAULT_SOURCE
        if not SOURCE_CODE.match(source):
            raise FatalError(
                f"{source!r} is not an inventory source code (Stores > Inventory > Sources: the Code column, "
                "for example default)."
            )
        self.source_code = source
        self.page_size = min(options.page_size or PAGE_SIZE, PAGE_SIZE)
        base = f"{url}/rest/V1/"
        headers = {"Authorization": f"Bearer {token}"}
        self.http = Http(
            vendor="Magento",
            base_url=base,
            options=options,
            headers=headers,
            rejected=REJECTED,
            not_found=(
                f"The Magento REST API was not found at {base}. Check the store address (the one customers "
                "visit, without /admin)."
            ),
        )
        self.write_http = Http(
            vendor="Magento", base_url=base, options=options, headers=headers, rejected=WRITE_REJECTED
        )

    def close(self) -> None:
        self.http.close()
        self.write_http.close()

    def check_credentials(self) -> str:
        body = self._get("orders", search([], page_size=1))
        items = body.get("items") or []
        first = items[0] if items and isinstance(items[0], Mapping) else {}
        # store_name is "Website\nStore\nStore view"; the website is what a merchant calls the store
        name = text(str(first.get("store_name") or "").split("\n")[0], 200)
        return name or urlsplit(self.store_url).hostname or "Magento store"

    # -- orders --------------------------------------------------------------------------------------
    def fetch_page(self, window: Window, token: str | None) -> Page:
        position = Keyset.read(token, window)
        until = window.until.replace(microsecond=0)
        filters = [*position.filters(), ("updated_at", "lteq", magento_time(until))]
        body = self._get(
            "orders", search(filters, sort=("updated_at", "entity_id"), page_size=self.page_size)
        )
        raw_orders = body.get("items")
        total = body.get("total_count")
        if not isinstance(raw_orders, list) or not isinstance(total, int):
            raise FatalError("Magento answered the order list in an unexpected format.")
        read: list[tuple[int, datetime]] = []
        kept: list[Any] = []
        last = position.since or datetime(1970, 1, 1, tzinfo=UTC)
        for raw in raw_orders:
            data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            entity = data.get("entity_id")
            # an unreadable updated_at keeps the place the store sorted it at (the order is then malformed)
            with contextlib.suppress(ValueError):
                last = parse_time(data.get("updated_at"))
            order_id = entity if isinstance(entity, int) and not isinstance(entity, bool) else 0
            read.append((order_id, last))
            if not position.skips(order_id, last):
                kept.append((raw, last))
        memos = self._credit_memos([raw for raw, _ in kept])
        fetched = [self._order(raw, updated, memos) for raw, updated in kept]
        following = position.next(read, total > len(raw_orders))
        return Page(
            orders=sorted(fetched, key=lambda o: o.updated_at),
            next_token=following.token() if following else None,
            total=total if token is None else None,
        )

    def _order(self, raw: Any, updated: datetime, memos: Mapping[str, list[Any]]) -> FetchedOrder:
        data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        order_id = text(data.get("entity_id"), 100)
        number = text(data.get("increment_id"), 100) or order_id
        refunds = memos.get(order_id, [])
        return canonical(order_id, updated, number, lambda: document(raw, refunds))

    def _credit_memos(self, orders: Sequence[Any]) -> dict[str, list[Any]]:
        """The credit memos of the orders that have refunds, by order id (one search for the page)."""
        ids = [
            text(o.get("entity_id"))
            for o in orders
            if isinstance(o, Mapping) and text(o.get("entity_id")) and refunded(o) > 0
        ]
        found: dict[str, list[Any]] = {}
        if not ids:
            return found
        for memo in self._list("creditmemos", [("order_id", "in", ",".join(ids))], sort=("entity_id",)):
            if isinstance(memo, Mapping):
                found.setdefault(text(memo.get("order_id")), []).append(memo)
        return found

    # -- InventoryTarget -----------------------------------------------------------------------------
    def inventory(self) -> Magento:
        """The InventoryTarget side of this connector (the connector itself)."""
        return self

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        """Source items of the channel's source by SKU; a stocked product with no source item there yet
        comes back untracked (setting its quantity assigns it to the source)."""
        wanted = skus_by_key(skus)
        found: dict[str, list[StockItem]] = {}
        for group in sku_groups([wanted[k].strip() for k in wanted]):
            value = ",".join(group)
            condition = "in" if len(group) > 1 else "eq"
            filters = [("sku", condition, value), ("source_code", "eq", self.source_code)]
            for raw in self._list("inventory/source-items", filters, sort=("sku",)):
                sku = text(raw.get("sku"), 100) if isinstance(raw, Mapping) else ""
                key = stock_key(sku)
                if key in wanted and not any(i.ref == sku for i in found.get(wanted[key], [])):
                    found.setdefault(wanted[key], []).append(
                        StockItem(sku, sku, sku, whole(raw.get("quantity")), tracked=True)
                    )
            missing = [s for s in group if s not in found]
            if not missing:
                continue
            condition = "in" if len(missing) > 1 else "eq"
            for raw in self._list("products", [("sku", condition, ",".join(missing))], sort=("sku",)):
                if not isinstance(raw, Mapping) or text(raw.get("type_id")) not in STOCKED_TYPES:
                    continue
                sku = text(raw.get("sku"), 100)
                key = stock_key(sku)
                if key in wanted and wanted[key] not in found:
                    found[wanted[key]] = [StockItem(sku, sku, text(raw.get("name"), 200) or sku, None, False)]
        return found

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        results: dict[int, StockResult] = {}
        send, skipped = dedupe_updates(updates)
        results.update(skipped)
        for start in range(0, len(send), BATCH_SIZE):
            batch = send[start : start + BATCH_SIZE]
            problem = self._save([updates[i] for i in batch])
            if problem is None:
                results.update({i: StockResult(updates[i].sku, updates[i].ref, True) for i in batch})
                continue
            # Magento saves a batch whole or not at all: find the refused items one by one.
            for index in batch:
                update = updates[index]
                alone = self._save([update]) if len(batch) > 1 else problem
                results[index] = StockResult(update.sku, update.ref, alone is None, alone)
        return [results[i] for i in range(len(updates))]

    def _save(self, updates: Sequence[StockUpdate]) -> str | None:
        """POST the source items; None when saved, Magento's reason when it refused them (HTTP 400)."""
        payload = {
            "sourceItems": [
                {
                    "sku": u.ref,
                    "source_code": self.source_code,
                    "quantity": u.quantity,
                    "status": 1 if u.quantity > 0 else 0,
                }
                for u in updates
            ]
        }
        try:
            self.write_http.request("POST", "inventory/source-items", json=payload)
        except FatalError as exc:
            if not exc.message.startswith(REFUSED_400):
                raise
            return refusal(exc.message[len(REFUSED_400) :])
        return None

    # -- HTTP ----------------------------------------------------------------------------------------
    def _list(
        self, path: str, filters: Sequence[tuple[str, str, str]], *, sort: Sequence[str]
    ) -> Iterator[Any]:
        """Every item a search matches, page by page until total_count (a currentPage past the end would
        answer the last page again)."""
        seen = 0
        for page in range(1, MAX_LIST_PAGES + 1):
            body = self._get(path, search(filters, sort=sort, page=page))
            items = body.get("items")
            total = body.get("total_count")
            if not isinstance(items, list) or not isinstance(total, int):
                raise FatalError(f"Magento answered {path} in an unexpected format.")
            yield from items
            seen += len(items)
            if not items or seen >= total:
                return

    def _get(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        response = self.http.request("GET", path, params=params)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError(
                f"The address {self.store_url} answered with a web page instead of Magento data; check the "
                "store address."
            ) from exc
        if not isinstance(body, Mapping):
            raise FatalError(f"Magento answered {path} in an unexpected format.")
        return body


def sku_groups(skus: Sequence[str]) -> list[list[str]]:
    """SKUs to look up together; one with a comma alone (Magento's `in` splits its value at commas)."""
    plain = [s for s in skus if "," not in s]
    groups = [plain[i : i + SKUS_PER_LOOKUP] for i in range(0, len(plain), SKUS_PER_LOOKUP)]
    return groups + [[s] for s in skus if "," in s]


def whole(value: Any) -> int | None:
    """A source item's quantity as a whole number (None when it is not one)."""
    try:
        quantity = amount(value)
    except (TypeError, ValueError):
        return None
    return int(quantity) if quantity == quantity.to_integral_value() else None


def refusal(body: str) -> str:
    """Magento's reason for a 400, in its words: the message, each error's message with its %parameters."""
    try:
        data = json.loads(body.rstrip("…"))
    except ValueError:
        return f"Magento refused the quantity: {body}"
    if not isinstance(data, Mapping):
        return f"Magento refused the quantity: {body}"
    messages = [fill(data.get("message"), data.get("parameters"))]
    for error in data.get("errors") or []:
        if isinstance(error, Mapping):
            messages.append(fill(error.get("message"), error.get("parameters")))
    return "Magento refused the quantity: " + "; ".join(m for m in messages if m)


def fill(message: Any, parameters: Any) -> str:
    """A Magento message with its %name (or %1) placeholders filled in. Parameters come as one object
    ({"fieldName": ...}), as Adobe's schema has them (a list of such objects), or positional (a list)."""
    result = text(message, 300)
    pairs: list[tuple[Any, Any]] = []
    if isinstance(parameters, Mapping):
        pairs = list(parameters.items())
    elif isinstance(parameters, list):
        for index, value in enumerate(parameters):
            if isinstance(value, Mapping):
                pairs.extend(value.items())
            else:
                pairs.append((str(index + 1), value))
    for name, value in sorted(pairs, key=lambda p: -len(str(p[0]))):  # %fieldName before %field
        result = result.replace(f"%{name}", text(value, 200))
    return result


def refunded(order: Mapping[str, Any]) -> Decimal:
    try:
        return amount(order.get("total_refunded"))
    except (TypeError, ValueError):
        return Decimal(0)


# -- mapping -----------------------------------------------------------------------------------------


def document(raw: Any, memos: Sequence[Any]) -> dict[str, Any]:
    """The canonical order JSON of a Magento order and its credit memos; raises on a malformed one."""
    if not isinstance(raw, Mapping):
        raise TypeError("the order is not a JSON object")
    order_id = text(raw["entity_id"], 100)
    if not order_id:
        raise ValueError("the order has no entity_id")
    billing = raw.get("billing_address") or {}
    items = [i for i in raw.get("items") or [] if isinstance(i, Mapping)]
    lines = [line(i) for i in order_lines(items)]
    line_discounts = sum((amount(ln["discount"]) for ln in lines), Decimal(0))
    shipping_price = amount(raw.get("shipping_amount"))
    shipping_discount = abs(amount(raw.get("shipping_discount_amount")))
    remaining = abs(amount(raw.get("discount_amount"))) - line_discounts - shipping_discount
    discounts = []
    if remaining > 0:
        code = text(raw.get("coupon_code"), 100) or text(raw.get("discount_description"), 100)
        discounts.append({"code": code or "Discount", "amount": money(remaining)})
    assignment = shipping_assignment(raw)
    shipping_address = assignment.get("address") or {}
    method = text(raw.get("shipping_description"), 200) or text(assignment.get("method"), 200)
    shipping = []
    if shipping_price or method:
        shipping.append(
            {
                "title": method or "Shipping",
                "price": money(shipping_price),
                "discount": money(shipping_discount),
                "tax": money(max(amount(raw.get("shipping_tax_amount")), Decimal(0))),
            }
        )
    total = amount(raw.get("grand_total"), required=True)
    tax = amount(raw.get("tax_amount"))
    created = parse_time(raw.get("created_at"))
    paid = min(amount(raw.get("total_paid")), total)
    payment = raw.get("payment") or {}
    payments = []
    if paid > 0:
        payments.append(
            {
                "method": text(payment.get("method"), 100) or "Other",
                "amount": money(paid),
                "paid_at": created.isoformat(),
            }
        )
    status = "paid" if paid > 0 and paid >= total else "partially_paid" if paid > 0 else "unpaid"
    email = text(raw.get("customer_email"), 254) or text(billing.get("email"), 254)
    return {
        "id": order_id,
        "number": text(raw.get("increment_id"), 100) or order_id,
        "created_at": created.isoformat(),
        "updated_at": parse_time(raw.get("updated_at") or raw.get("created_at")).isoformat(),
        "currency": text(raw.get("order_currency_code"), 3).upper() or "USD",
        "customer": {
            "first_name": text(raw.get("customer_firstname"), 100) or text(billing.get("firstname"), 100),
            "last_name": text(raw.get("customer_lastname"), 100) or text(billing.get("lastname"), 100),
            "company": text(billing.get("company"), 200),
            "email": email if "@" in email else "",
            "phone": text(billing.get("telephone"), 50),
        },
        "billing_address": address(billing),
        "shipping_address": address(shipping_address),
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": discounts,
        "tax_lines": [{"title": "Tax", "amount": money(tax)}] if tax else [],
        "fees": [],
        "payments": payments,
        "payment_status": status,
        "refunds": [refund(m, {ln["id"] for ln in lines}) for m in memos],
        "total": money(total),
        "note": text(raw.get("customer_note"), 4000),
        "tags": [],
        "source": text(str(raw.get("store_name") or "").split("\n")[-1], 100),
        "status": text(raw.get("status"), 50) or "open",
    }


def order_lines(items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The items that carry the price: those without a parent (a configurable's child repeats its parent
    at price 0), except a dynamic-price bundle, whose priced children are its lines."""
    children: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        parent = item.get("parent_item_id")
        if parent is not None:
            children.setdefault(text(parent), []).append(item)
    lines: list[Mapping[str, Any]] = []
    for item in items:
        if item.get("parent_item_id") is not None:
            continue
        kids = children.get(text(item.get("item_id")), [])
        if text(item.get("product_type")) == "bundle" and kids and not amount(item.get("price")):
            lines.extend(kids)
        else:
            lines.append(item)
    return lines


def line(item: Mapping[str, Any]) -> dict[str, Any]:
    quantity = amount(item.get("qty_ordered"), required=True)
    if quantity <= 0:
        raise ValueError(f"item {item.get('item_id')} has quantity {quantity}")
    return {
        "id": text(item.get("item_id"), 100),
        "sku": text(item.get("sku"), 100),
        "title": text(item.get("name"), 500) or text(item.get("sku"), 500),
        "quantity": str(quantity),
        "unit_price": money(amount(item.get("price"), required=True)),
        "discount": money(abs(amount(item.get("discount_amount")))),
        "tax": money(max(amount(item.get("tax_amount")), Decimal(0))),
    }


def shipping_assignment(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first shipping assignment's `shipping` (address, method, total); empty for a virtual order."""
    extension = raw.get("extension_attributes") or {}
    for assignment in extension.get("shipping_assignments") or []:
        if isinstance(assignment, Mapping) and isinstance(assignment.get("shipping"), Mapping):
            shipping: Mapping[str, Any] = assignment["shipping"]
            return shipping
    return {}


def refund(memo: Any, line_ids: set[str]) -> dict[str, Any]:
    """A credit memo; its lines when it refunds only order lines (whole amounts) and shipping, no tax and
    no adjustment, and they add up to its total (else the refund is an amount only)."""
    if not isinstance(memo, Mapping):
        raise TypeError("a credit memo is not a JSON object")
    total = abs(amount(memo.get("grand_total"), required=True))
    shipping = abs(amount(memo.get("shipping_amount")))
    lines = []
    detail = shipping
    complete = True
    for item in memo.get("items") or []:
        quantity = amount(item.get("qty"))
        if quantity <= 0:
            continue
        value = amount(item.get("row_total")) - abs(amount(item.get("discount_amount")))
        detail += value
        item_id = text(item.get("order_item_id"))
        if item_id in line_ids:
            lines.append({"line_id": item_id, "quantity": str(quantity), "amount": money(value)})
        else:
            complete = False
    result: dict[str, Any] = {
        "id": text(memo.get("entity_id"), 100) or text(memo.get("increment_id"), 100),
        "created_at": parse_time(memo.get("created_at")).isoformat(),
        "amount": money(total),
        "note": text(memo.get("customer_note"), 500),
    }
    adjusted = amount(memo.get("adjustment_positive")) or amount(memo.get("adjustment_negative"))
    if complete and lines and detail == total and not amount(memo.get("tax_amount")) and not adjusted:
        result["lines"] = lines
        result["shipping"] = money(shipping)
    return result


def address(data: Mapping[str, Any]) -> dict[str, str]:
    name = " ".join(p for p in (text(data.get("firstname")), text(data.get("lastname"))) if p)
    street = data.get("street") or []
    street = [text(s, 200) for s in street] if isinstance(street, list) else [text(street, 200)]
    return {
        "name": name[:200],
        "company": text(data.get("company"), 200),
        "line1": street[0] if street else "",
        "line2": ", ".join(s for s in street[1:] if s)[:200],
        "city": text(data.get("city"), 200),
        "state": text(data.get("region_code") or data.get("region"), 200),
        "postal_code": text(data.get("postcode"), 200),
        "country": text(data.get("country_id"), 200),
        "phone": text(data.get("telephone"), 200),
    }


def build(credentials: Mapping[str, str], options: HttpOptions) -> Magento:
    return Magento(credentials, options)


SPEC = ConnectorSpec(
    kind="magento",
    vendor="Magento",
    fields=(
        CredentialField(
            "store_url",
            "Store address",
            secret=False,
            help="The address customers visit, for example https://shop.example.com (REST is under /rest/V1).",
        ),
        CredentialField(
            "access_token",
            "Integration access token",
            secret=True,
            help=(
                "System > Extensions > Integrations: an integration with Sales > Operations > Orders (and, to "
                "send inventory, Catalog > Inventory > Products and Stores > Inventory > Sources); activate "
                "it and copy its Access Token."
            ),
        ),
        CredentialField(
            "source_code",
            "Inventory source code",
            secret=False,
            required=False,
            help="The MSI source quantities are written to (Stores > Inventory > Sources); empty: default.",
        ),
    ),
    build=build,
)
