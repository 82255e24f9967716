"""The Shopify connector itself: the shop address as a merchant types it, `ShopifyConnector` (credentials
check, a page of orders, the inventory side) built from the channel's credentials, and its `SPEC`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import urlsplit

from chalicelib.channels.base import (
    ConnectorSpec,
    CredentialField,
    FatalError,
    Http,
    HttpOptions,
    Page,
    RetriableError,
    Window,
    check_store_url,
    iso_z,
)
from chalicelib.channels.shopify.client import REJECTED, QueryCost, QueryTooExpensive, _more_after
from chalicelib.channels.shopify.inventory import ShopifyInventory, location_gid
from chalicelib.channels.shopify.orders import ORDERS_AND_COUNT_QUERY, ORDERS_QUERY, ShopifyOrders

MAX_PAGE_SIZE = 250  # Shopify's largest `first`
CHECK_QUERY = "query Check { shop { name } orders(first: 1) { nodes { id } } }"


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


class ShopifyConnector(ShopifyOrders, ShopifyInventory):
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
