"""A fake Shopify store: enough of the GraphQL Admin API for the Shopify connector, on loopback.

It answers `POST /admin/api/<version>/graphql.json` as Shopify does:

- `X-Shopify-Access-Token` is checked (401 with Shopify's own body when wrong);
- the query text is parsed (operations, variables, arguments, aliases; no fragments), checked against a
  complete sample order so a misspelt field fails as `undefinedField`, and executed against the stored
  orders, returning only the selected fields;
- `shop`, `orders(first/last, after/before, sortKey, reverse, query)`, `ordersCount(query, limit)`,
  `order(id)`, `refund(id)` and `currentAppInstallation { accessScopes }` are served; `read_orders`
  must be among `scopes` for the order fields (ACCESS_DENIED otherwise);
- inventory: `location(id)` (no id: the primary location; read_locations), `productVariants(first, after,
  query)` with the `sku:` search (values quoted or not, joined by OR; like Shopify's search it is not an
  exact match: a value also finds SKUs that start with it, case-insensitively; read_products, and
  read_inventory for `inventoryItem.inventoryLevel(locationId)`), and the mutation
  `inventorySetQuantities(input)` (write_inventory; at most 250 quantities; applied whole or not at all,
  with userErrors such as INVALID_INVENTORY_ITEM, NON_MUTABLE_INVENTORY_ITEM for an untracked item,
  ITEM_NOT_STOCKED_AT_LOCATION, INVALID_LOCATION, COMPARE_QUANTITY_REQUIRED). A mutation costs 10 points;
- `query` understands `updated_at` / `created_at` with `:`, `:>`, `:>=`, `:<`, `:<=` and `status`;
- pages are keyset cursors (the last sort value and id, base64), so an order changed while a client is
  paging moves to its new place instead of shifting the pages;
- query cost is computed like Shopify's (object 1, scalar 0, connection 2 + first x node), a query above
  1,000 gets MAX_COST_EXCEEDED, and a leaky bucket (1,000 points restoring 50/s; 2,000 and 100/s for
  `plan="advanced"`) answers THROTTLED when the requested cost does not fit. Every answer carries
  `extensions.cost`. The bucket runs on `clock` (time.monotonic unless a test injects a virtual one).

Documents are stored as Shopify returns them: camelCase, ids as gids, money as MoneyBag
{shopMoney, presentmentMoney} with decimal strings, connections as {"nodes": [...]}.

The package, one concern a module: `store` (FakeShopify: HTTP, running a query, the query roots), `graphql`
(parsing, arguments), `cost` (query cost and the bucket), `projection` (selecting from documents),
`documents` (building orders and refunds), `orders` (the order book and the orders query), `search`
(search syntax, index, cursors) and `inventory` (variants, levels, inventorySetQuantities).
"""

from __future__ import annotations

from ledgerbridge.fakes.shopify.cost import (
    MAX_QUERY_COST,
    MUTATION_COST,
    PLANS,
    RATE_LIMIT_DOCS,
    actual_cost,
    requested_cost,
)
from ledgerbridge.fakes.shopify.documents import (
    ADDRESSES,
    CATALOG,
    CENT,
    CUSTOMERS,
    Line,
    amount_of,
    gid,
    iso,
    money,
    numeric_id,
)
from ledgerbridge.fakes.shopify.graphql import MAX_PAGE, Field, GraphQLError, Operation, Var, parse_query
from ledgerbridge.fakes.shopify.inventory import (
    INVENTORY_REASONS,
    MAX_SET_QUANTITIES,
    PRIMARY_LOCATION,
    QUANTITY_NAMES,
    SECOND_LOCATION,
)
from ledgerbridge.fakes.shopify.search import parse_search, parse_sku_search
from ledgerbridge.fakes.shopify.store import API_PATH, DEFAULT_SCOPES, INVALID_TOKEN, FakeShopify

__all__ = [
    "ADDRESSES",
    "API_PATH",
    "CATALOG",
    "CENT",
    "CUSTOMERS",
    "DEFAULT_SCOPES",
    "INVALID_TOKEN",
    "INVENTORY_REASONS",
    "MAX_PAGE",
    "MAX_QUERY_COST",
    "MAX_SET_QUANTITIES",
    "MUTATION_COST",
    "PLANS",
    "PRIMARY_LOCATION",
    "QUANTITY_NAMES",
    "RATE_LIMIT_DOCS",
    "SECOND_LOCATION",
    "FakeShopify",
    "Field",
    "GraphQLError",
    "Line",
    "Operation",
    "Var",
    "actual_cost",
    "amount_of",
    "gid",
    "iso",
    "money",
    "numeric_id",
    "parse_query",
    "parse_search",
    "parse_sku_search",
    "requested_cost",
]
