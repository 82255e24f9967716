"""Inventory from QuickBooks to Shopify (the connector's InventoryTarget side): variants found by SKU with
`productVariants` (50 SKUs a search, checked on the way back as Shopify's search is not exact) with their
inventory item, `tracked` and the available quantity at the location; quantities set with
`inventorySetQuantities` (up to 250 a mutation); the location configured or the shop's primary one; a
missing access scope as a FatalError naming it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.channels.base import (
    FatalError,
    RetriableError,
    StockItem,
    StockResult,
    StockUpdate,
    dedupe_updates,
    skus_by_key,
    stock_key,
)
from chalicelib.channels.shopify.client import ShopifyGraphQL, _more_after, _text

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


class ShopifyInventory(ShopifyGraphQL):
    """Finding stock items and setting their quantities (part of ShopifyConnector)."""

    configured_location: str | None
    _location: str | None

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
