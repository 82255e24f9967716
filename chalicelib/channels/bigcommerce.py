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

Inventory from QuickBooks (InventoryTarget, the connector itself), with the v3 Catalog and Inventory APIs as
BigCommerce publishes them (github.com/bigcommerce/docs, reference/; the parts used are copied in
tests/fixtures/vendors/bigcommerce/ and every request built here is checked against them):

    GET /v3/catalog/products?sku:in=<product SKUs>&include_fields=...      {"data": [<product>], "meta"}
    GET /v3/catalog/variants?sku=<one option variant's SKU>                {"data": [<variant>], "meta"}
    GET /v3/catalog/products?id:in=<ids>&include_fields=name,inventory_tracking,...
    GET /v3/inventory/items?sku:in=<SKUs>&location_id:in=<location>      {"data": [<item>], "meta"}
    PUT /v3/inventory/adjustments/absolute {"reason", "items": [{"location_id", "product_id"|"variant_id",
                                            "quantity"}]}  (at most 2000 items)   {"transaction_id"}
    PUT /v3/catalog/variants [{"id", "inventory_level"}]  (at most 50)     {"data": [<variant>], "meta"}

A product's own SKU is its base variant's and is found with products?sku:in (variants?sku= filters option
variants only, one SKU a request: its documented filter takes no list). Stock is kept for the whole product
(`inventory_tracking` "product": the base variant's SKU), by option ("variant": the option variants' SKUs) or
not at all ("none"); a SKU whose stock BigCommerce does not keep is found but not tracked, and setting it is
refused in words saying what to change. Quantities are set at one inventory location (the `location_id`
credential field, default 1, the store's default location) with absolute adjustments, the write BigCommerce
recommends; location 0 means a store that does not use locations, whose quantities are then written to the
catalog (the variant's `inventory_level`; a product tracked as a whole through its base variant). A 422 is
BigCommerce refusing a whole batch: it is split to find the SKU refused and BigCommerce's reason for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.channels.errors import FatalError
from chalicelib.channels.http import Http, HttpOptions, retry_after_seconds
from chalicelib.channels.inventory import (
    StockItem,
    StockResult,
    StockUpdate,
    dedupe_updates,
    skus_by_key,
    stock_key,
)
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
WRITE_REJECTED = (
    "BigCommerce refused to read or change stock with this access token: the API account needs the Products "
    "scope (read-only to find SKUs, modify for a store without locations) and Store Inventory modify. Edit "
    "the API account's scopes in BigCommerce (Settings > API > Store-level API accounts) and paste its token."
)
MIN_THROTTLED_WAIT = 1.0
DEFAULT_LOCATION = 1  # every BigCommerce store's first inventory location
CATALOG_ONLY = 0  # the `location_id` of a store that does not use locations: quantities go to the catalog
SKUS_PER_LOOKUP = 50  # SKUs in one sku:in filter (the URL stays short)
IDS_PER_LOOKUP = 50
ADJUSTMENTS_BATCH = 250  # items in one absolute adjustment (BigCommerce takes up to 2000)
VARIANTS_BATCH = 50  # PUT /v3/catalog/variants: "Currently the limit is 50 variants"
MAX_LOOKUP_PAGES = 50
MAX_QUANTITY = 2_147_483_647  # the most BigCommerce keeps at one location
ADJUSTMENT_REASON = "Quantity on hand in QuickBooks (Ledgerbridge)"
UNTRACKED = {
    "none": "BigCommerce does not track inventory for this product: turn on inventory tracking for it "
    "(Products > edit the product > Inventory) and QuickBooks quantities will follow",
    "product": "this product's stock is tracked for the whole product, not by option: give the QuickBooks "
    "item the product's own SKU, or track the product's inventory by option",
    "variant": "this product's stock is tracked by option: give each QuickBooks item the SKU of one option "
    "(variant), or track the product's inventory for the whole product",
}


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
    if reset is not None:  # at least a second: a window that "resets in 0 ms" has not always reset yet
        return max(reset, MIN_THROTTLED_WAIT)
    return retry_after_seconds(response)


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
        self.write_http = Http(
            vendor="BigCommerce",
            base_url=f"{host}/stores/{store_hash}",
            options=options,
            headers={"X-Auth-Token": token},
            rejected=WRITE_REJECTED,
            pace=pace,
            retry_after=throttled_wait,
        )
        self.location_id = read_location(credentials.get("location_id") or "")

    def close(self) -> None:
        self.http.close()
        self.write_http.close()

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

    # -- InventoryTarget -----------------------------------------------------------------------------
    def inventory(self) -> BigCommerce:
        """The InventoryTarget side of this connector (the connector itself)."""
        return self

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        wanted = skus_by_key(skus)  # stock key -> the SKU as first asked
        found: dict[str, list[Stocked]] = {}
        for product in self._products_by_sku([wanted[k].strip() for k in wanted]):
            key = stock_key(text(product.get("sku")))
            if key in wanted and isinstance(product.get("id"), int):
                found.setdefault(key, []).append(
                    Stocked(
                        product_id=product["id"],
                        variant_id=whole(product.get("base_variant_id")),
                        sku=text(product.get("sku"), 255),
                        title=text(product.get("name"), 500),
                        tracking=text(product.get("inventory_tracking")) or "none",
                        base=True,
                        catalog_quantity=whole(product.get("inventory_level")),
                    )
                )
        variants = [
            variant
            for key in wanted
            if key not in found
            for variant in self._pages("/v3/catalog/variants", {"sku": wanted[key].strip()})
            if stock_key(text(variant.get("sku"))) == key
            and isinstance(variant.get("id"), int)
            and isinstance(variant.get("product_id"), int)
        ]
        products = self._products_by_id(sorted({v["product_id"] for v in variants}))
        for variant in variants:
            product = products.get(variant["product_id"], {})
            name = text(product.get("name"), 400)
            options = ", ".join(
                text(o.get("label"), 100)
                for o in variant.get("option_values") or []
                if isinstance(o, Mapping)
            )
            found.setdefault(stock_key(text(variant.get("sku"))), []).append(
                Stocked(
                    product_id=variant["product_id"],
                    variant_id=variant["id"],
                    sku=text(variant.get("sku"), 255),
                    title=f"{name} - {options}" if name and options else name or options,
                    tracking=text(product.get("inventory_tracking")) or "none",
                    base=False,
                    catalog_quantity=whole(variant.get("inventory_level")),
                )
            )
        stocked = [s for entries in found.values() for s in entries if s.settable]
        at_location = self._quantities(stocked) if self.location_id != CATALOG_ONLY else {}
        result: dict[str, list[StockItem]] = {}
        for key, entries in found.items():
            for entry in entries:
                quantity = (
                    at_location.get(entry.variant_id or -entry.product_id)
                    if self.location_id != CATALOG_ONLY
                    else entry.catalog_quantity
                )
                result.setdefault(wanted[key], []).append(
                    StockItem(
                        sku=entry.sku,
                        ref=entry.ref,
                        title=entry.title or entry.sku,
                        quantity=quantity if entry.settable else None,
                        tracked=entry.settable,
                    )
                )
        return result

    def _products_by_sku(self, skus: list[str]) -> list[Mapping[str, Any]]:
        """The products whose own SKU is one of `skus` (a SKU holding a comma is asked alone: sku:in splits
        at commas)."""
        fields = {"include_fields": "name,sku,inventory_tracking,inventory_level,base_variant_id"}
        plain = [s for s in skus if "," not in s]
        products: list[Mapping[str, Any]] = []
        for start in range(0, len(plain), SKUS_PER_LOOKUP):
            chunk = ",".join(plain[start : start + SKUS_PER_LOOKUP])
            products += self._pages("/v3/catalog/products", {"sku:in": chunk, **fields})
        for sku in (s for s in skus if "," in s):
            products += self._pages("/v3/catalog/products", {"sku": sku, **fields})
        return products

    def _products_by_id(self, ids: list[int]) -> dict[int, Mapping[str, Any]]:
        products: dict[int, Mapping[str, Any]] = {}
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            params = {
                "id:in": ",".join(str(i) for i in ids[start : start + IDS_PER_LOOKUP]),
                "include_fields": "name,inventory_tracking",
            }
            for product in self._pages("/v3/catalog/products", params):
                if isinstance(product.get("id"), int):
                    products[product["id"]] = product
        return products

    def _quantities(self, stocked: list[Stocked]) -> dict[int, int]:
        """The quantity on hand at the location of each item, by variant id (by -product_id when BigCommerce
        names no variant); an item the location holds no record of is left out."""
        ids = sorted({s.variant_id for s in stocked if s.variant_id})
        quantities: dict[int, int] = {}
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            params = {
                "variant_id:in": ",".join(str(i) for i in ids[start : start + IDS_PER_LOOKUP]),
                "location_id:in": str(self.location_id),
            }
            for item in self._pages("/v3/inventory/items", params):
                raw_identity = item.get("identity")
                identity: Mapping[str, Any] = raw_identity if isinstance(raw_identity, Mapping) else {}
                for place in item.get("locations") or []:
                    if not isinstance(place, Mapping) or place.get("location_id") != self.location_id:
                        continue
                    on_hand = whole(place.get("total_inventory_onhand"))
                    key = whole(identity.get("variant_id")) or -(whole(identity.get("product_id")) or 0)
                    if on_hand is not None and key:
                        quantities[key] = on_hand
        return quantities

    def _pages(self, path: str, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Every entry of a v3 collection (page by page, as its meta.pagination says)."""
        entries: list[Mapping[str, Any]] = []
        for page in range(1, MAX_LOOKUP_PAGES + 1):
            response = self.write_http.request(
                "GET", path, params={**params, "limit": PAGE_SIZE, "page": page}
            )
            try:
                body = response.json()
            except ValueError as exc:
                raise FatalError(f"BigCommerce answered {path} with something that is not JSON.") from exc
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, list):
                raise FatalError(f"BigCommerce answered {path} in an unexpected format.")
            entries += [d for d in data if isinstance(d, Mapping)]
            pagination = (body.get("meta") or {}).get("pagination") or {}
            pages = whole(pagination.get("total_pages"))
            if (page >= pages) if pages is not None else len(data) < PAGE_SIZE:
                break
        return entries

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        results: dict[int, StockResult] = {}
        send, skipped = dedupe_updates(updates)
        results.update(skipped)
        ready: list[tuple[int, Target]] = []
        for index in send:
            update = updates[index]
            target = read_ref(update.ref)
            problem = None
            if target is None:
                problem = f"{update.ref!r} is not a BigCommerce product or variant"
            elif target.untracked:
                problem = f"BigCommerce cannot take the quantity for SKU {update.sku}: {UNTRACKED[target.untracked]}"
            elif not 0 <= update.quantity <= MAX_QUANTITY:
                problem = (
                    f"BigCommerce keeps 0 to {MAX_QUANTITY} of an item at a location; QuickBooks has "
                    f"{update.quantity} of SKU {update.sku}."
                )
            elif self.location_id == CATALOG_ONLY and not target.variant_id:
                problem = f"BigCommerce named no variant for SKU {update.sku}; look the SKU up again"
            if problem is not None or target is None:
                results[index] = StockResult(update.sku, update.ref, False, problem)
            else:
                ready.append((index, target))
        write = self._adjust if self.location_id != CATALOG_ONLY else self._put_variants
        size = ADJUSTMENTS_BATCH if self.location_id != CATALOG_ONLY else VARIANTS_BATCH
        for start in range(0, len(ready), size):
            results.update(self._refused_apart(write, ready[start : start + size], updates))
        return [results[i] for i in range(len(updates))]

    def _refused_apart(
        self, write: Write, batch: list[tuple[int, Target]], updates: Sequence[StockUpdate]
    ) -> dict[int, StockResult]:
        """Send a batch; BigCommerce refuses a batch whole (422), so a refused one is halved until the
        refused SKU is alone, and that SKU gets BigCommerce's reason."""
        try:
            return write(batch, updates)
        except FatalError as exc:
            refused = refusal(exc.message)
            if refused is None:
                raise
            if len(batch) > 1:
                middle = len(batch) // 2
                return {
                    **self._refused_apart(write, batch[:middle], updates),
                    **self._refused_apart(write, batch[middle:], updates),
                }
            index = batch[0][0]
            update = updates[index]
            problem = f"BigCommerce refused the quantity for SKU {update.sku}: {refused}"
            return {index: StockResult(update.sku, update.ref, False, problem)}

    def _adjust(
        self, batch: list[tuple[int, Target]], updates: Sequence[StockUpdate]
    ) -> dict[int, StockResult]:
        """One absolute adjustment at the location. BigCommerce answers a transaction id only (the
        Inventory API applies it asynchronously), so a 200 is every item taken."""
        items: list[dict[str, int]] = []
        for index, target in batch:
            identity = {"product_id": target.product_id} if target.base else {"variant_id": target.variant_id}
            items.append({"location_id": self.location_id, **identity, "quantity": updates[index].quantity})
        self.write_http.request(
            "PUT", "/v3/inventory/adjustments/absolute", json={"reason": ADJUSTMENT_REASON, "items": items}
        )
        return {index: StockResult(updates[index].sku, updates[index].ref, True) for index, _ in batch}

    def _put_variants(
        self, batch: list[tuple[int, Target]], updates: Sequence[StockUpdate]
    ) -> dict[int, StockResult]:
        """The catalog's inventory_level of each variant (a product tracked as a whole: its base variant)."""
        payload = [
            {"id": target.variant_id, "inventory_level": updates[index].quantity} for index, target in batch
        ]
        response = self.write_http.request("PUT", "/v3/catalog/variants", json=payload)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError("BigCommerce answered a stock update with something that is not JSON.") from exc
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list):
            raise FatalError("BigCommerce answered a stock update in an unexpected format.")
        levels = {v.get("id"): v.get("inventory_level") for v in data if isinstance(v, Mapping)}
        results: dict[int, StockResult] = {}
        for index, target in batch:
            update = updates[index]
            if levels.get(target.variant_id) == update.quantity:
                results[index] = StockResult(update.sku, update.ref, True)
            else:
                problem = f"BigCommerce did not confirm the quantity for SKU {update.sku}"
                results[index] = StockResult(update.sku, update.ref, False, problem)
        return results


# -- inventory ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stocked:
    """A catalog entry found by SKU: a product (its base variant) or one of its option variants."""

    product_id: int
    variant_id: int | None
    sku: str
    title: str
    tracking: str  # the product's inventory_tracking: "product", "variant" or "none"
    base: bool
    catalog_quantity: int | None

    @property
    def settable(self) -> bool:
        """Whether BigCommerce keeps this SKU's own stock count."""
        return (self.tracking == "product" and self.base) or (self.tracking == "variant" and not self.base)

    @property
    def ref(self) -> str:
        if not self.settable:
            return f"untracked:{self.tracking}:{self.product_id}:{self.variant_id or 0}"
        return f"{'product' if self.base else 'variant'}:{self.product_id}:{self.variant_id or 0}"


@dataclass(frozen=True)
class Target:
    """A StockItem ref read back: the product, its variant (0: none named) and, when BigCommerce keeps no
    count for it, the product's inventory_tracking."""

    product_id: int
    variant_id: int
    base: bool
    untracked: str = ""


Write = Callable[[list[tuple[int, Target]], Sequence[StockUpdate]], dict[int, StockResult]]


def read_ref(ref: str) -> Target | None:
    """'product:<id>:<base variant id>', 'variant:<product id>:<id>' or 'untracked:<tracking>:<product
    id>:<variant id>' (as `Stocked.ref` writes them); None for anything else."""
    parts = ref.split(":")
    untracked = ""
    if parts[0] == "untracked" and len(parts) == 4 and parts[1] in UNTRACKED:
        untracked = parts.pop(1)
    if (
        len(parts) != 3
        or parts[0] not in ("product", "variant", "untracked")
        or not all(p.isdigit() for p in parts[1:])
        or int(parts[1]) <= 0
    ):
        return None
    if parts[0] == "untracked":
        return Target(int(parts[1]), int(parts[2]), False, untracked) if untracked else None
    if parts[0] == "variant" and int(parts[2]) <= 0:
        return None
    return Target(int(parts[1]), int(parts[2]), parts[0] == "product")


def read_location(raw: str) -> int:
    """The `location_id` credential: empty is the default location (1); 0 a store without locations."""
    value = raw.strip()
    if not value:
        return DEFAULT_LOCATION
    if not value.isdigit():
        raise FatalError(
            f"The BigCommerce inventory location ID is a number (Settings > Locations; 1 is the default "
            f"location, 0 a store that does not use locations), not {raw!r}."
        )
    return int(value)


def whole(value: Any) -> int | None:
    """An integer of a v3 answer (None for anything else, booleans included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def refusal(message: str) -> str | None:
    """BigCommerce's own words from an `Http` FatalError for a 400/404/409/422 answer (None: another
    failure, which is not one item's to carry)."""
    for status in ("(HTTP 422): ", "(HTTP 400): ", "(HTTP 404): ", "(HTTP 409): "):
        if status in message:
            excerpt = message.split(status, 1)[1]
            try:
                body = json.loads(excerpt)
            except ValueError:
                return excerpt
            errors = body.get("batch_errors") if isinstance(body, Mapping) else None
            titles = [text(e.get("title"), 200) for e in errors or [] if isinstance(e, Mapping)]
            if not titles and isinstance(body, Mapping):
                titles = [text(body.get("title"), 300)]
            return "; ".join(t for t in titles if t) or excerpt
    return None


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
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help=(
                "From a store-level API account with Orders read-only; to send quantities from QuickBooks also "
                "Products read-only and Store Inventory modify (Products modify for a store without locations)."
            ),
        ),
        CredentialField(
            "location_id",
            "Inventory location ID",
            secret=False,
            required=False,
            help=(
                "Where QuickBooks quantities are set (Settings > Locations). Empty: 1, the default location; "
                "0: a store that does not use locations (quantities go to the catalog)."
            ),
        ),
    ),
    build=BigCommerce,
)
