"""A fake WooCommerce store: the public REST index at /wp-json/ and, under /wp-json/wc/v3/ with HTTP Basic
auth (consumer key and secret), GET orders (modified_after/modified_before, exclusive as in WordPress date
queries, dates_are_gmt, orderby, order, page/per_page with X-WP-Total, X-WP-TotalPages and Link headers),
GET orders/<id> and GET orders/<id>/refunds.

Products for inventory: GET products (with `sku=a,b` the answer holds products and variations whose SKU is
one of them, as WooCommerce does: the filter also matches the whole string when it has commas, compares
case-insensitively like MySQL, and returns variations with type "variation" and parent_id), GET
products/<id>, GET products/<id>/variations, POST products/batch and POST products/<id>/variations/batch
(at most 100 items, else 413 woocommerce_rest_request_entity_too_large; an unknown id comes back as an item
with an `error` object). A key with `permissions = "read"` is refused on POST (401).

Documents follow WooCommerce's order schema: amounts are decimal strings, dates are whole seconds without
an offset, in store time (date_created) and GMT (date_created_gmt). Coupons are spread over the line items
(subtotal - total), as WooCommerce does.

The package: `store` (FakeWooCommerce: the order book and the HTTP routing), `products` (the products
for inventory and their endpoints) and `documents` (order lines and totals).
"""

from __future__ import annotations

from ledgerbridge.fakes.woocommerce.documents import (
    CATALOG,
    CENT,
    NAMES,
    STATUSES,
    UNPAID,
    cents,
    fee_line,
    line_item,
    recalculate,
    shipping_line,
)
from ledgerbridge.fakes.woocommerce.store import API, ORDERBY, FakeWooCommerce

__all__ = [
    "API",
    "CATALOG",
    "CENT",
    "NAMES",
    "ORDERBY",
    "STATUSES",
    "UNPAID",
    "FakeWooCommerce",
    "cents",
    "fee_line",
    "line_item",
    "recalculate",
    "shipping_line",
]
