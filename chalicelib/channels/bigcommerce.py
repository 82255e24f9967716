"""BigCommerce: v2 orders by modification date, with their products, shipping addresses, coupons and refunds.

The API as BigCommerce documents it (developer.bigcommerce.com, "Orders v2" and "Order refunds v3"; the
parameter descriptions are mirrored in @vsf-enterprise/bigcommerce-api's GetOrdersParameters):

    GET https://api.bigcommerce.com/stores/{store_hash}/v2/orders
        ?min_date_modified=<RFC-2822 or ISO-8601>&max_date_modified=...&sort=date_modified:asc
        &page=<1..>&limit=<1..250>
    X-Auth-Token: <API account access token>      Accept: application/json
    200 [<order>, ...] | 204 (no order)
    GET .../v2/orders/{id}/products | /shipping_addresses | /coupons    (204 when there are none)
    GET .../v3/orders/{id}/payment_actions/refunds                      {"data": [<refund>], "meta": {}}
    GET .../v2/store                                                    {"name": ..., ...}

Dates in documents are RFC 2822 ("Tue, 03 Nov 2026 12:00:00 +0000"), whole seconds. Rate limits come in
X-Rate-Limit-Requests-Left and X-Rate-Limit-Time-Reset-Ms on every answer; a 429 carries the reset time too.
Being stricter than BigCommerce where its documents are silent: both date filters are taken as inclusive and
whole seconds (a window's ends are cut to the second below, which keeps every order inside them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.channels.errors import FatalError
from chalicelib.channels.http import Http, HttpOptions, retry_after_seconds
from chalicelib.channels.paging import OffsetKeyset
from chalicelib.channels.stream import (
    ConnectorSpec,
    CredentialField,
    FetchedOrder,
    Page,
    Window,
    canonical,
)
from chalicelib.channels.values import amount, money, text

if TYPE_CHECKING:
    import httpx

API_HOST = "https://api.bigcommerce.com"
PAGE_SIZE = 250  # the v2 maximum
PAID = {"captured", "paid", "partially refunded", "refunded"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REJECTED = (
    "BigCommerce rejected the API account's access token. Create an API account with Orders read-only "
    "scope in BigCommerce (Settings > API > Store-level API accounts) and copy its access token and the "
    "store hash from its API path here."
)


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def read_date(value: Any) -> datetime:
    """An RFC 2822 date from BigCommerce."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a date: {value!r}")
    moment = parsedate_to_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reset_seconds(response: httpx.Response) -> float | None:
    """X-Rate-Limit-Time-Reset-Ms as seconds, or None."""
    try:
        return max(0.0, float(response.headers.get("X-Rate-Limit-Time-Reset-Ms", "")) / 1000.0)
    except ValueError:
        return None


def pace(response: httpx.Response) -> float:
    """Wait out the quota window once X-Rate-Limit-Requests-Left is 0 (a 429 is waited for by `Http`)."""
    if response.status_code == 429 or response.headers.get("X-Rate-Limit-Requests-Left") != "0":
        return 0.0
    return reset_seconds(response) or 0.0


def throttled_wait(response: httpx.Response) -> float | None:
    """How long a 429 asks to wait: the quota window's reset (BigCommerce's own header), else Retry-After
    (as a proxy in front of the API may send)."""
    reset = reset_seconds(response) if response.status_code == 429 else None
    return reset if reset is not None else retry_after_seconds(response)


class BigCommerce:
    vendor: ClassVar[str] = "BigCommerce"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        store_hash = credentials.get("store_hash", "").strip().strip("/")
        token = credentials.get("access_token", "").strip()
        if not store_hash or not token:
            raise FatalError("Enter the BigCommerce store hash and the API account's access token.")
        if not store_hash.isalnum():
            raise FatalError(
                f"The store hash is the short code in the API path (stores/<hash>/v3/), not {store_hash!r}."
            )
        host = options.base_url_overrides.get("bigcommerce", API_HOST).rstrip("/")
        self.page_size = min(options.page_size or PAGE_SIZE, PAGE_SIZE)
        self.http = Http(
            vendor="BigCommerce",
            base_url=f"{host}/stores/{store_hash}",
            options=options,
            headers={"X-Auth-Token": token},
            rejected=REJECTED,
            not_found=f"BigCommerce has no store with the hash {store_hash}.",
            pace=pace,
            retry_after=throttled_wait,
        )

    def check_credentials(self) -> str:
        body = self._get("/v2/store")
        name = text(body.get("name"), 200) if isinstance(body, Mapping) else ""
        return name or "BigCommerce store"

    def fetch_page(self, window: Window, token: str | None) -> Page:
        position = OffsetKeyset.read(token, window)
        params: dict[str, Any] = {
            "max_date_modified": rfc2822(window.until),
            "sort": "date_modified:asc",
            "page": position.page,
            "limit": self.page_size,
        }
        if position.since is not None:
            params["min_date_modified"] = rfc2822(position.since)
        body = self._get("/v2/orders", params)
        body = [] if body is None else body  # 204: no order in the window
        if not isinstance(body, list):
            raise FatalError("BigCommerce answered the order list in an unexpected format.")
        fetched: list[FetchedOrder] = []
        last = position.since or EPOCH
        for raw in body:
            order = self._order(raw, last)
            last = order.updated_at
            fetched.append(order)
        fresh = [o for o in fetched if not position.already_read(o)]
        return Page(
            orders=sorted(fresh, key=lambda o: o.updated_at),
            next_token=position.next_token(fetched, len(body) >= self.page_size),
        )

    # -- one order and its sub-resources ------------------------------------------------------------
    def _order(self, raw: Any, fallback: datetime) -> FetchedOrder:
        data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        order_id = text(data.get("id"), 100)
        try:
            updated = read_date(data.get("date_modified"))
        except (ValueError, TypeError):
            updated = fallback
        if not order_id:
            return canonical("", updated, "", lambda: document(raw, [], [], [], []))
        products = self._list(f"/v2/orders/{order_id}/products", paged=True)
        addresses = self._list(f"/v2/orders/{order_id}/shipping_addresses")
        coupons = self._list(f"/v2/orders/{order_id}/coupons") if amount_of(data, "coupon_discount") else []
        refunds: list[Any] = []
        if amount_of(data, "refunded_amount"):
            answer = self._get(f"/v3/orders/{order_id}/payment_actions/refunds")
            refunds = list(answer.get("data") or []) if isinstance(answer, Mapping) else []
        return canonical(
            order_id, updated, order_id, lambda: document(raw, products, addresses, coupons, refunds)
        )

    def _list(self, path: str, *, paged: bool = False) -> list[Any]:
        found: list[Any] = []
        for page in range(1, 101):
            body = self._get(path, {"page": page, "limit": PAGE_SIZE} if paged else None)
            if body is None:
                return found
            if not isinstance(body, list):
                raise FatalError(f"BigCommerce answered {path} in an unexpected format.")
            found.extend(body)
            if not paged or len(body) < PAGE_SIZE:
                return found
        return found

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.http.request("GET", path, params=params)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise FatalError("BigCommerce did not answer with JSON.") from exc


def amount_of(data: Mapping[str, Any], key: str) -> Decimal:
    try:
        return amount(data.get(key))
    except (TypeError, ValueError):
        return Decimal(0)


# -- mapping -----------------------------------------------------------------------------------------


def document(
    raw: Any, products: list[Any], addresses: list[Any], coupons: list[Any], refunds: list[Any]
) -> dict[str, Any]:
    """The canonical order JSON of a BigCommerce order and its sub-resources; raises on a malformed one."""
    if not isinstance(raw, Mapping):
        raise TypeError("the order is not a JSON object")
    order_id = text(raw["id"], 100)
    billing = raw.get("billing_address") or {}
    email = text(billing.get("email"), 254)
    lines = [line(p) for p in products]
    allocated = sum(
        (amount(d.get("amount")) for p in products for d in p.get("applied_discounts") or []), Decimal(0)
    )
    order_discount = amount(raw.get("discount_amount")) + amount(raw.get("coupon_discount")) - allocated
    discounts = []
    if order_discount > 0:
        codes = ", ".join(text(c.get("code"), 50) for c in coupons if text(c.get("code")))
        discounts.append({"code": (codes or "Discount")[:100], "amount": money(order_discount)})
    shipping = [
        {
            "title": text(a.get("shipping_method"), 200) or "Shipping",
            "price": money(amount(a.get("cost_ex_tax"))),
            "tax": money(max(amount(a.get("cost_tax")), Decimal(0))),
        }
        for a in addresses
        if amount(a.get("cost_ex_tax")) or text(a.get("shipping_method"))
    ]
    handling = amount(raw.get("handling_cost_ex_tax")) + amount(raw.get("wrapping_cost_ex_tax"))
    fees = [{"title": "Handling", "amount": money(handling), "tax": "0.00"}] if handling > 0 else []
    total = amount(raw.get("total_inc_tax"), required=True)
    total_tax = amount(raw.get("total_tax"))
    created = read_date(raw.get("date_created"))
    payments = []
    status = text(raw.get("payment_status"), 50).casefold()
    if status in PAID and total > 0:
        payments.append(
            {
                "method": text(raw.get("payment_method"), 100) or "Other",
                "amount": money(total),
                "paid_at": created.isoformat(),
            }
        )
    first = addresses[0] if addresses else {}
    return {
        "id": order_id,
        "number": order_id,
        "created_at": created.isoformat(),
        "updated_at": read_date(raw.get("date_modified") or raw.get("date_created")).isoformat(),
        "currency": text(raw.get("currency_code"), 3).upper() or "USD",
        "customer": {
            "first_name": text(billing.get("first_name"), 100),
            "last_name": text(billing.get("last_name"), 100),
            "company": text(billing.get("company"), 200),
            "email": email if "@" in email else "",
            "phone": text(billing.get("phone"), 50),
        },
        "billing_address": address(billing),
        "shipping_address": address(first),
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": discounts,
        "tax_lines": [{"title": "Tax", "amount": money(total_tax)}] if total_tax else [],
        "fees": fees,
        "payments": payments,
        "payment_status": "paid" if payments else "unpaid",
        "refunds": [refund(r, products) for r in refunds],
        "total": money(total),
        "note": text(raw.get("customer_message"), 4000),
        "tags": [],
        "source": text(raw.get("order_source"), 100),
        "status": text(raw.get("status"), 50) or "open",
    }


def line(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise TypeError("a product line is not a JSON object")
    quantity = amount(entry.get("quantity"), required=True)
    if quantity <= 0:
        raise ValueError(f"product line {entry.get('id')} has quantity {quantity}")
    discount = sum((amount(d.get("amount")) for d in entry.get("applied_discounts") or []), Decimal(0))
    return {
        "id": text(entry.get("id"), 100),
        "sku": text(entry.get("sku"), 100),
        "title": text(entry.get("name"), 500),
        "quantity": str(quantity),
        "unit_price": money(amount(entry.get("base_price"), required=True)),
        "discount": money(discount),
        "tax": money(max(amount(entry.get("total_tax")), Decimal(0))),
    }


def refund(raw: Any, products: list[Any]) -> dict[str, Any]:
    """A v3 refund; its lines when every item is a product line of the order with a quantity and the items
    add up to the refund (else the refund is an amount only)."""
    if not isinstance(raw, Mapping):
        raise TypeError("a refund is not a JSON object")
    total = abs(amount(raw.get("total_amount"), required=True))
    line_ids = {text(p.get("id")) for p in products if isinstance(p, Mapping)}
    lines = []
    shipping = Decimal(0)
    detail = Decimal(0)
    complete = True
    for item in raw.get("items") or []:
        kind = text(item.get("item_type")).upper()
        requested = abs(amount(item.get("requested_amount")))
        detail += requested
        if kind == "SHIPPING":
            shipping += requested
        elif kind == "PRODUCT" and text(item.get("item_id")) in line_ids and amount(item.get("quantity")) > 0:
            lines.append(
                {
                    "line_id": text(item.get("item_id")),
                    "quantity": str(amount(item.get("quantity"))),
                    "amount": money(requested),
                }
            )
        else:
            complete = False
    result: dict[str, Any] = {
        "id": text(raw.get("id"), 100),
        "created_at": iso(raw.get("created")),
        "amount": money(total),
        "note": text(raw.get("reason"), 500),
    }
    if complete and lines and detail == total and not amount(raw.get("total_tax")):
        result["lines"] = lines
        result["shipping"] = money(shipping)
    return result


def iso(value: Any) -> str:
    """A v3 date (ISO 8601) as canonical text."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a date: {value!r}")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def address(data: Mapping[str, Any]) -> dict[str, str]:
    name = " ".join(p for p in (text(data.get("first_name")), text(data.get("last_name"))) if p)
    return {
        "name": name[:200],
        "company": text(data.get("company"), 200),
        "line1": text(data.get("street_1"), 200),
        "line2": text(data.get("street_2"), 200),
        "city": text(data.get("city"), 200),
        "state": text(data.get("state"), 200),
        "postal_code": text(data.get("zip"), 200),
        "country": text(data.get("country_iso2") or data.get("country"), 200),
        "phone": text(data.get("phone"), 200),
    }


SPEC = ConnectorSpec(
    kind="bigcommerce",
    vendor="BigCommerce",
    fields=(
        CredentialField(
            "store_hash", "Store hash", secret=False, help="from the API path: stores/<hash>/v3/"
        ),
        CredentialField("access_token", "Access token", secret=True),
    ),
    build=BigCommerce,
)
