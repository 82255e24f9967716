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

The package: `connector` (ShopifyConnector, the shop address, SPEC), `client` (GraphQL queries, cost and
retries), `orders` (the orders query and the mapping) and `inventory` (the InventoryTarget side).
"""

from __future__ import annotations

from chalicelib.channels.shopify.client import (
    API_VERSION,
    GRAPHQL_PATH,
    MISSING_SCOPE,
    REJECTED,
    THROTTLE_ATTEMPTS,
    QueryCost,
    QueryTooExpensive,
)
from chalicelib.channels.shopify.connector import (
    CHECK_QUERY,
    MAX_PAGE_SIZE,
    SPEC,
    ShopifyConnector,
    build,
    shop_url,
)
from chalicelib.channels.shopify.inventory import (
    LOCATION_BY_ID_QUERY,
    LOCATION_QUERY,
    MAX_SET_QUANTITIES,
    MAX_VARIANT_PAGES,
    SET_QUANTITIES_MUTATION,
    SKUS_PER_SEARCH,
    VARIANTS_PER_PAGE,
    VARIANTS_QUERY,
    inventory_denied,
    location_gid,
)
from chalicelib.channels.shopify.orders import (
    LINES_PER_FOLLOW_UP,
    LINES_WITH_ORDER,
    MAX_FOLLOW_UPS,
    ORDERS_AND_COUNT_QUERY,
    ORDERS_QUERY,
    REFUND_LINES_WITH_ORDER,
    REFUND_SHIPPING_WITH_ORDER,
    SHIPPING_WITH_ORDER,
    numeric_id,
)

__all__ = [
    "API_VERSION",
    "CHECK_QUERY",
    "GRAPHQL_PATH",
    "LINES_PER_FOLLOW_UP",
    "LINES_WITH_ORDER",
    "LOCATION_BY_ID_QUERY",
    "LOCATION_QUERY",
    "MAX_FOLLOW_UPS",
    "MAX_PAGE_SIZE",
    "MAX_SET_QUANTITIES",
    "MAX_VARIANT_PAGES",
    "MISSING_SCOPE",
    "ORDERS_AND_COUNT_QUERY",
    "ORDERS_QUERY",
    "REFUND_LINES_WITH_ORDER",
    "REFUND_SHIPPING_WITH_ORDER",
    "REJECTED",
    "SET_QUANTITIES_MUTATION",
    "SHIPPING_WITH_ORDER",
    "SKUS_PER_SEARCH",
    "SPEC",
    "THROTTLE_ATTEMPTS",
    "VARIANTS_PER_PAGE",
    "VARIANTS_QUERY",
    "QueryCost",
    "QueryTooExpensive",
    "ShopifyConnector",
    "build",
    "inventory_denied",
    "location_gid",
    "numeric_id",
    "shop_url",
]
