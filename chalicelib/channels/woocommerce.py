"""WooCommerce (REST API v3 at <store>/wp-json/wc/v3/): the orders changed in a window, HTTP Basic auth with
a consumer key and secret (WooCommerce > Settings > Advanced > REST API, Read permission is enough).

Orders are listed with modified_after/modified_before (GMT, `dates_are_gmt=true`; WooCommerce 5.8 and later)
and orderby=modified: the route's schema has offered "modified" since WooCommerce 4.x although the docs
page still lists only date, id, include, title and slug. A store that ignores either (an old version, a
plugin rewriting queries) is detected by the dates it returns and stopped with a FatalError rather than
read with gaps.

Mapping (WooCommerce order -> canonical order): line_items -> lines, with the line's discount being
subtotal - total (coupons are already spread over the lines, so coupon_lines add nothing); shipping_lines
-> shipping; fee_lines -> fees (a negative fee -> a discount); tax_lines -> tax lines; date_paid_gmt ->
one payment of the total; refunds -> refunds, read from orders/<id>/refunds for the orders that have any
(the order's own `refunds` array has no date, and the date is the credit memo's). Dates are the GMT
fields; created_at keeps the store's UTC offset so the QuickBooks date is the day the store shows.

Inventory from QuickBooks (InventoryTarget, the connector itself): items are found with GET products?sku=a,b
(WooCommerce matches the `_sku` of products and variations alike when `sku` is given, and answers variations
with type "variation" and their parent_id), and set with POST products/batch and
products/<parent>/variations/batch ({"update": [{id, manage_stock, stock_quantity}]}, at most 100 items a
call; an item WooCommerce refuses comes back with an `error` object). Setting stock needs a key with
Read/Write permission.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_UP, Decimal
from itertools import pairwise
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from chalicelib.channels.base import (
    CENT,
    ConnectorError,
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
from chalicelib.channels.paging import OffsetKeyset
from chalicelib.channels.values import attributes

PAGE_SIZE = 100  # WooCommerce's maximum per_page
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
REJECTED = (
    "WooCommerce rejected the consumer key and secret. Create a key with Read permission in WooCommerce "
    "(Settings > Advanced > REST API) and copy both values here."
)
WRITE_REJECTED = (
    "WooCommerce refused to change stock with this consumer key. Create a key with Read/Write permission "
    "in WooCommerce (Settings > Advanced > REST API) and copy both values here."
)
BATCH_SIZE = 100  # WooCommerce's limit per batch request (more is refused with HTTP 413)
SKUS_PER_LOOKUP = 40  # SKUs in one products?sku= request
MAX_LOOKUP_PAGES = 50
NO_STOCK_TYPES = ("external", "grouped")  # product types that have no stock of their own
TOO_OLD = (
    "This WooCommerce store does not filter or sort orders by their last change, so they cannot be read "
    "without gaps. Update WooCommerce to 5.8 or later, or turn off the plugin that changes REST API order "
    "queries."
)


class WooCommerce:
    vendor: ClassVar[str] = "WooCommerce"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        self.store_url = check_store_url(
            credentials.get("store_url") or "", allow_private=options.allow_private_urls
        )
        key = (credentials.get("consumer_key") or "").strip()
        secret = (credentials.get("consumer_secret") or "").strip()
        if not key or not secret:
            raise FatalError(
                "Enter the WooCommerce consumer key and consumer secret "
                "(WooCommerce > Settings > Advanced > REST API)."
            )
        self.page_size = min(options.page_size or PAGE_SIZE, PAGE_SIZE)
        self.http = Http(
            vendor="WooCommerce",
            base_url=f"{self.store_url}/wp-json/wc/v3/",
            options=options,
            auth=(key, secret),
            rejected=REJECTED,
            not_found=(
                f"The WooCommerce REST API was not found at {self.store_url}/wp-json/wc/v3/. Check the store "
                "address, that WooCommerce is active, and that WordPress permalinks are not set to "
                '"Plain" (Settings > Permalinks).'
            ),
        )

        self.write_http = Http(
            vendor="WooCommerce",
            base_url=f"{self.store_url}/wp-json/wc/v3/",
            options=options,
            auth=(key, secret),
            rejected=WRITE_REJECTED,
        )

    def close(self) -> None:
        self.http.close()
        self.write_http.close()

    # -- InventoryTarget -----------------------------------------------------------------------------
    def inventory(self) -> WooCommerce:
        """The InventoryTarget side of this connector (the connector itself)."""
        return self

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        wanted = skus_by_key(skus)  # stock key -> the SKU as first asked
        # A SKU with a comma is looked up alone: WooCommerce splits the filter at commas.
        plain = [wanted[k].strip() for k in wanted if "," not in k]
        groups = [plain[i : i + SKUS_PER_LOOKUP] for i in range(0, len(plain), SKUS_PER_LOOKUP)]
        groups += [[wanted[k].strip()] for k in wanted if "," in k]
        found: dict[str, list[StockItem]] = {}
        seen: set[str] = set()
        for group in groups:
            for page in range(1, MAX_LOOKUP_PAGES + 1):
                body, headers = self._get(
                    "products", {"sku": ",".join(group), "per_page": PAGE_SIZE, "page": page}
                )
                if not isinstance(body, list):
                    raise FatalError(
                        f"WooCommerce at {self.store_url} answered the product list in an unexpected format."
                    )
                for raw in body:
                    item = stock_item(raw)
                    if item is None or item.ref in seen:
                        continue
                    key = stock_key(item.sku)
                    if key in wanted:
                        seen.add(item.ref)
                        found.setdefault(wanted[key], []).append(item)
                pages = header_int(headers, "X-WP-TotalPages")
                if (page >= pages) if pages is not None else len(body) < PAGE_SIZE:
                    break
        return found

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        results: dict[int, StockResult] = {}
        send, skipped = dedupe_updates(updates)
        results.update(skipped)
        groups: dict[str, list[tuple[int, int]]] = {}  # batch path -> (update index, WooCommerce id)
        for index in send:
            update = updates[index]
            target = stock_target(update.ref)
            if target is None:
                results[index] = StockResult(
                    update.sku, update.ref, False, f"{update.ref!r} is not a WooCommerce product or variation"
                )
                continue
            path, item_id = target
            groups.setdefault(path, []).append((index, item_id))
        for path, entries in groups.items():
            for start in range(0, len(entries), BATCH_SIZE):
                results.update(self._batch(path, entries[start : start + BATCH_SIZE], updates))
        return [results[i] for i in range(len(updates))]

    def _batch(
        self, path: str, entries: list[tuple[int, int]], updates: Sequence[StockUpdate]
    ) -> dict[int, StockResult]:
        payload = {
            "update": [
                {"id": item_id, "manage_stock": True, "stock_quantity": updates[index].quantity}
                for index, item_id in entries
            ]
        }
        response = self.write_http.request("POST", path, json=payload)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError(
                f"The address {self.store_url} answered a stock update with a web page instead of "
                "WooCommerce data."
            ) from exc
        answers = body.get("update") if isinstance(body, Mapping) else None
        if not isinstance(answers, list):
            raise FatalError(
                f"WooCommerce at {self.store_url} answered a stock update in an unexpected format."
            )
        by_id = {a.get("id"): a for a in answers if isinstance(a, Mapping)}
        results: dict[int, StockResult] = {}
        for position, (index, item_id) in enumerate(entries):
            update = updates[index]
            answer = answers[position] if position < len(answers) else None
            if not isinstance(answer, Mapping) or answer.get("id") not in (item_id, str(item_id), 0, None):
                answer = by_id.get(item_id)
            error = answer.get("error") if isinstance(answer, Mapping) else None
            if isinstance(error, Mapping):
                message = text(error.get("message"), 300) or text(error.get("code"), 100) or "refused"
                results[index] = StockResult(
                    update.sku,
                    update.ref,
                    False,
                    f"WooCommerce refused the quantity for SKU {update.sku}: {message}",
                )
            elif isinstance(answer, Mapping) and answer.get("id") == item_id:
                results[index] = StockResult(update.sku, update.ref, True)
            else:
                results[index] = StockResult(
                    update.sku,
                    update.ref,
                    False,
                    f"WooCommerce did not confirm the quantity for SKU {update.sku}",
                )
        return results

    def check_credentials(self) -> str:
        self._get("orders", {"per_page": 1})
        try:  # the site's title from the public REST index; the address will do without it
            index = self.http.request("GET", f"{self.store_url}/wp-json/").json()
            name = str(index.get("name") or "").strip() if isinstance(index, Mapping) else ""
        except (ConnectorError, ValueError):
            name = ""
        return name or (urlsplit(self.store_url).hostname or self.store_url)

    def fetch_page(self, window: Window, token: str | None) -> Page:
        position = OffsetKeyset.read(token, window)
        since, page = position.since, position.page
        # WooCommerce dates are whole seconds and both filters are exclusive: one second beyond each end.
        after = since.replace(microsecond=0) - SECOND if since is not None else None
        before = window.until.replace(microsecond=0) + SECOND
        params: dict[str, Any] = {
            "modified_before": gmt(before),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": self.page_size,
            "page": page,
            "dp": 2,
        }
        if after is not None:
            params["modified_after"] = gmt(after)
        body, headers = self._get("orders", params)
        if not isinstance(body, list):
            raise FatalError(
                f"WooCommerce at {self.store_url} answered the order list in an unexpected format."
            )
        fetched: list[FetchedOrder] = []
        last = since or EPOCH
        raws: dict[str, Any] = {}
        for raw in body:
            order = fetched_order(raw, last, None)
            last = order.updated_at
            fetched.append(order)
            raws[order.order_id] = raw
        if any(b.updated_at < a.updated_at for a, b in pairwise(fetched)) or any(
            (after is not None and o.updated_at <= after) or o.updated_at >= before for o in fetched
        ):
            raise FatalError(TOO_OLD)
        fresh = [o for o in fetched if not position.already_read(o)]
        fresh = [self._with_refunds(o, raws[o.order_id]) for o in fresh]
        pages = header_int(headers, "X-WP-TotalPages")
        full = page < pages if pages is not None else len(body) >= self.page_size
        total = header_int(headers, "X-WP-Total")
        return Page(
            orders=fresh,
            next_token=position.next_token(fetched, full),
            total=total if token is None else None,
        )

    def _with_refunds(self, order: FetchedOrder, raw: Any) -> FetchedOrder:
        """The order again with its refunds' details when it has any (one extra request)."""
        if order.document is None or not isinstance(raw, Mapping) or not raw.get("refunds"):
            return order
        try:
            refunds, _ = self._get(f"orders/{order.order_id}/refunds", {"per_page": 100, "dp": 2})
        except FatalError as exc:
            if exc.message != self.http.not_found:
                raise
            problem = (
                "WooCommerce did not find this order's refunds (was the order deleted while it was read?)"
            )
            return FetchedOrder(order.order_id, order.updated_at, None, problem, order.number)
        if not isinstance(refunds, list):
            raise FatalError(
                f"WooCommerce at {self.store_url} answered a refund list in an unexpected format."
            )
        return fetched_order(raw, order.updated_at, refunds)

    def _get(self, path: str, params: Mapping[str, Any]) -> tuple[Any, httpx.Headers]:
        response = self.http.request("GET", path, params=params)
        try:
            return response.json(), response.headers
        except ValueError as exc:
            raise FatalError(
                f"The address {self.store_url} answered with a web page instead of WooCommerce data. Check "
                "the store address and that no security plugin blocks /wp-json/."
            ) from exc


# -- inventory ---------------------------------------------------------------------------------------


def stock_item(raw: Any) -> StockItem | None:
    """A product or variation of a products?sku= answer as a StockItem (None: no SKU or no stock of its own)."""
    if not isinstance(raw, Mapping):
        return None
    item_id = raw.get("id")
    sku = raw.get("sku")
    kind = raw.get("type")
    if not isinstance(item_id, int) or not isinstance(sku, str) or not sku.strip() or kind in NO_STOCK_TYPES:
        return None
    if kind == "variation":
        parent = raw.get("parent_id")
        if not isinstance(parent, int) or parent <= 0:
            return None
        ref = f"variation:{parent}:{item_id}"
    else:
        ref = f"product:{item_id}"
    tracked = raw.get("manage_stock") is True  # "parent": the variation's stock is its product's
    quantity = raw.get("stock_quantity")
    number = (
        int(quantity)
        if tracked and isinstance(quantity, int | float) and not isinstance(quantity, bool)
        else None
    )
    return StockItem(
        sku=sku, ref=ref, title=text(raw.get("name"), 500) or sku, quantity=number, tracked=tracked
    )


def stock_target(ref: str) -> tuple[str, int] | None:
    """(batch path, id) of a StockItem ref: "product:<id>" or "variation:<parent_id>:<id>"."""
    parts = ref.split(":")
    if not all(p.isdigit() and int(p) > 0 for p in parts[1:]):
        return None
    if parts[0] == "product" and len(parts) == 2:
        return "products/batch", int(parts[1])
    if parts[0] == "variation" and len(parts) == 3:
        return f"products/{int(parts[1])}/variations/batch", int(parts[2])
    return None


# -- paging ------------------------------------------------------------------------------------------


def gmt(moment: datetime) -> str:
    """2026-11-20T10:00:00 (UTC, no offset: sent with dates_are_gmt=true)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def header_int(headers: httpx.Headers, name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None


# -- mapping -----------------------------------------------------------------------------------------


def fetched_order(raw: Any, fallback: datetime, refunds: list[Any] | None) -> FetchedOrder:
    """One WooCommerce order as a FetchedOrder (`fallback`: its position when its date is unreadable;
    `refunds`: its orders/<id>/refunds list, None when not read)."""
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    try:
        updated = parse_time(data.get("date_modified_gmt"))
    except ValueError:
        updated = fallback
    number = text(data.get("number"), 100)
    return canonical(text(data.get("id"), 100), updated, number, lambda: document(raw, refunds or []))


def document(raw: Any, refunds: list[Any]) -> dict[str, Any]:
    """The canonical order JSON of a WooCommerce order; raises on a malformed one."""
    if not isinstance(raw, Mapping):
        raise TypeError("the order is not a JSON object")
    order_id = text(raw["id"], 100)
    if not order_id:
        raise ValueError("the order has no id")
    billing = raw.get("billing") or {}
    shipping_to = raw.get("shipping") or {}
    email = text(billing.get("email"), 254)

    lines = [line(entry) for entry in raw.get("line_items") or []]
    lines = [entry for entry in lines if entry is not None]
    shipping = [
        {
            "title": text(s.get("method_title"), 200) or "Shipping",
            "price": money(amount(s.get("total"))),
            "tax": money(max(amount(s.get("total_tax")), Decimal(0))),
        }
        for s in raw.get("shipping_lines") or []
    ]
    fees: list[dict[str, Any]] = []
    discounts: list[dict[str, Any]] = []
    for fee in raw.get("fee_lines") or []:
        fee_total = amount(fee.get("total"))
        title = text(fee.get("name"), 200) or "Fee"
        if fee_total < 0:  # a negative fee is how plugins give a discount
            discounts.append({"code": title[:100], "amount": money(-fee_total)})
        elif fee_total > 0:
            fee_tax = max(amount(fee.get("total_tax")), Decimal(0))
            fees.append({"title": title, "amount": money(fee_total), "tax": money(fee_tax)})

    total = amount(raw.get("total"), required=True)
    paid_at = optional_time(raw.get("date_paid_gmt"))
    payments = []
    if paid_at is not None:
        payment = {
            "method": text(raw.get("payment_method_title"), 100)
            or text(raw.get("payment_method"), 100)
            or "Other",
            "amount": money(total),
            "paid_at": paid_at,
            "gateway": text(raw.get("payment_method"), 100),
        }
        reference = text(raw.get("transaction_id"), 100)
        payments.append({**payment, "reference": reference} if reference else payment)

    created = parse_time(raw.get("date_created_gmt"))
    return {
        "id": order_id,
        "number": text(raw.get("number"), 100) or order_id,
        "created_at": created.astimezone(store_offset(raw.get("date_created"), created)).isoformat(),
        "updated_at": parse_time(raw.get("date_modified_gmt") or raw.get("date_created_gmt")).isoformat(),
        "currency": text(raw.get("currency"), 3).upper() or "USD",
        "customer": {
            "first_name": text(billing.get("first_name"), 100),
            "last_name": text(billing.get("last_name"), 100),
            "company": text(billing.get("company"), 200),
            "email": email if "@" in email else "",
            "phone": text(billing.get("phone"), 50),
        },
        "billing_address": address(billing),
        "shipping_address": address(shipping_to),
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": discounts,
        "tax_lines": tax_lines(raw),
        "fees": fees,
        "payments": payments,
        "payment_status": "paid" if payments else "unpaid",
        "refunds": [refund(r) for r in refunds],
        "total": money(total),
        "note": text(raw.get("customer_note"), 4000),
        "tags": [],
        "source": text(raw.get("created_via"), 100),
        "status": text(raw.get("status"), 50) or "open",
        "attributes": meta_attributes(raw.get("meta_data")),
    }


def meta_attributes(meta: Any) -> dict[str, str]:
    """The order's public custom fields (meta_data whose key does not start with "_": WooCommerce hides those)."""
    entries = [e for e in (meta if isinstance(meta, list) else ()) if isinstance(e, Mapping)]
    return attributes(
        (e.get("key"), e.get("value"))
        for e in entries
        if not (isinstance(e.get("key"), str) and str(e.get("key")).startswith("_"))
    )


def line(entry: Any) -> dict[str, Any] | None:
    """A line item: unit price = subtotal / quantity, discount = its extended price - total. When the
    subtotal does not divide to the cent, the unit price is rounded up and the discount takes the extra
    cents, so the line still adds up to the store's total."""
    if not isinstance(entry, Mapping):
        raise TypeError("a line item is not a JSON object")
    quantity = amount(entry.get("quantity"), required=True)
    subtotal = amount(entry.get("subtotal"))
    line_total = amount(entry.get("total"))
    if quantity == 0 and subtotal == 0 and line_total == 0:
        return None  # an item taken off the order
    if quantity <= 0:
        raise ValueError(f"line item {entry.get('id')} has quantity {quantity}")
    unit_price = (max(subtotal, line_total) / quantity).quantize(CENT, rounding=ROUND_UP)
    extended = (unit_price * quantity).quantize(CENT)
    return {
        "id": text(entry.get("id"), 100),
        "sku": text(entry.get("sku"), 100),
        "title": text(entry.get("name"), 500),
        "quantity": str(quantity),
        "unit_price": money(unit_price),
        "discount": money(extended - line_total),
        "tax": money(max(amount(entry.get("total_tax")), Decimal(0))),
    }


def tax_lines(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One per tax rate when they add up to the order's total_tax, else one line with total_tax."""
    total_tax = amount(raw.get("total_tax"))
    rates = []
    for rate in raw.get("tax_lines") or []:
        tax = amount(rate.get("tax_total")) + amount(rate.get("shipping_tax_total"))
        entry: dict[str, Any] = {"title": text(rate.get("label"), 100) or "Tax", "amount": money(tax)}
        percent = amount(rate.get("rate_percent"))
        if 0 <= percent == percent.quantize(CENT):
            entry["rate"] = money(percent)
        rates.append((tax, entry))
    if rates and all(t >= 0 for t, _ in rates) and sum((t for t, _ in rates), Decimal(0)) == total_tax:
        return [entry for _, entry in rates]
    return [{"title": "Tax", "amount": money(total_tax)}] if total_tax else []


def refund(raw: Any) -> dict[str, Any]:
    """A refund from orders/<id>/refunds; its lines when each names the order line it returns and they add
    up to the refund (else the refund is an amount only)."""
    if not isinstance(raw, Mapping):
        raise TypeError("a refund is not a JSON object")
    refund_amount = abs(amount(raw.get("amount"), required=True))
    lines = []
    detail = Decimal(0)
    complete = True
    for entry in raw.get("line_items") or []:
        refunded_item = next(
            (
                text(m.get("value"))
                for m in entry.get("meta_data") or []
                if m.get("key") == "_refunded_item_id"
            ),
            "",
        )
        quantity = abs(amount(entry.get("quantity")))
        line_amount = abs(amount(entry.get("total")))
        detail += line_amount + abs(amount(entry.get("total_tax")))
        if not refunded_item or quantity == 0:
            complete = False
        lines.append({"line_id": refunded_item, "quantity": str(quantity), "amount": money(line_amount)})
    shipping = Decimal(0)
    for entry in raw.get("shipping_lines") or []:
        shipping += abs(amount(entry.get("total")))
        detail += abs(amount(entry.get("total"))) + abs(amount(entry.get("total_tax")))
    use_detail = complete and bool(lines) and detail == refund_amount
    document: dict[str, Any] = {
        "id": text(raw.get("id"), 100),
        "created_at": parse_time(raw.get("date_created_gmt")).isoformat(),
        "amount": money(refund_amount),
        "note": text(raw.get("reason"), 500),
    }
    if use_detail:
        document["lines"] = lines
        document["shipping"] = money(shipping)
    return document


def address(data: Mapping[str, Any]) -> dict[str, str]:
    name = " ".join(p for p in (text(data.get("first_name")), text(data.get("last_name"))) if p)
    return {
        "name": name[:200],
        "company": text(data.get("company"), 200),
        "line1": text(data.get("address_1"), 200),
        "line2": text(data.get("address_2"), 200),
        "city": text(data.get("city"), 200),
        "state": text(data.get("state"), 200),
        "postal_code": text(data.get("postcode"), 200),
        "country": text(data.get("country"), 200),
        "phone": text(data.get("phone"), 200),
    }


def store_offset(local: Any, utc: datetime) -> timezone:
    """The store's UTC offset when the order was placed, from date_created (store time) and
    date_created_gmt; UTC when date_created is missing or odd."""
    try:
        offset = datetime.fromisoformat(str(local)).replace(tzinfo=UTC) - utc
    except ValueError:
        return UTC
    minutes = round(offset.total_seconds() / 60)
    if abs(minutes) >= 24 * 60:
        return UTC
    return timezone(timedelta(minutes=minutes))


def optional_time(value: Any) -> str | None:
    try:
        return parse_time(value).isoformat()
    except ValueError:
        return None


SPEC = ConnectorSpec(
    kind="woocommerce",
    vendor="WooCommerce",
    fields=(
        CredentialField("store_url", "Store address", secret=False, help="e.g. https://shop.example.com"),
        CredentialField("consumer_key", "Consumer key", secret=True, help="starts with ck_"),
        CredentialField("consumer_secret", "Consumer secret", secret=True, help="starts with cs_"),
    ),
    build=WooCommerce,
)
