"""Inventory in the fake Shopify store: locations, products, variants and inventory items with their levels
per location (what a test sets up and reads back), `location(id)`, `productVariants(first, after, query)` with
the `sku:` search (values quoted or not, joined by OR; like Shopify's search it is not an exact match: a value
also finds SKUs that start with it, case-insensitively) and `inventoryItem.inventoryLevel(locationId)`, and the
mutation `inventorySetQuantities(input)` (at most 250 quantities; applied whole or not at all, with userErrors
such as INVALID_INVENTORY_ITEM, NON_MUTABLE_INVENTORY_ITEM for an untracked item, ITEM_NOT_STOCKED_AT_LOCATION,
INVALID_LOCATION, COMPARE_QUANTITY_REQUIRED)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ledgerbridge.fakes.shopify.documents import ShopifyDocuments, gid, iso, numeric_id
from ledgerbridge.fakes.shopify.graphql import Field, GraphQLError, _access_denied, _Args, _child_path
from ledgerbridge.fakes.shopify.projection import ShopifyProjection
from ledgerbridge.fakes.shopify.search import _cursor, _int_id, _read_cursor, parse_sku_search

PRIMARY_LOCATION = "gid://shopify/Location/76543210001"
SECOND_LOCATION = "gid://shopify/Location/76543210002"
MAX_SET_QUANTITIES = 250
QUANTITY_NAMES = ("available", "on_hand")
INVENTORY_REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)


class ShopifyInventory(ShopifyDocuments, ShopifyProjection):
    """The inventory of the fake Shopify store (its state is set up by FakeShopify)."""

    scopes: set[str]
    locations: dict[str, dict[str, Any]]
    primary_location: str
    second_location: str
    products: dict[str, dict[str, Any]]
    variants: dict[str, dict[str, Any]]
    inventory_items: dict[str, dict[str, Any]]
    inventory_set_calls: int
    _adjustments: Iterator[int]

    # -- inventory helpers ---------------------------------------------------------------------------
    def add_variant(
        self,
        sku: str,
        *,
        quantity: int | None = 0,
        tracked: bool = True,
        title: str = "Default Title",
        product_title: str | None = None,
        location: str | None = None,
        levels: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Add a product variant with `sku` and its inventory item, stocked at `location` (default: the
        primary one) with `quantity` available (None: not stocked there); `levels` instead gives
        {location gid: available}. Variants with the same `product_title` share a product. Returns
        {"id": variant gid, "inventory_item_id": gid, "product_id": gid, "sku": sku}."""
        with self.lock:
            product_name = product_title or f"Product {sku}"
            product = next((p for p in self.products.values() if p["title"] == product_name), None)
            if product is None:
                product = {"id": gid("Product", self._next_id()), "title": product_name}
                self.products[product["id"]] = product
            variant_id = gid("ProductVariant", self._next_id())
            item_id = gid("InventoryItem", self._next_id())
            if levels is None:
                levels = {} if quantity is None else {location or self.primary_location: quantity}
            self.variants[variant_id] = {
                "id": variant_id,
                "sku": sku,
                "title": title,
                "product": product["id"],
                "inventoryItem": item_id,
            }
            self.inventory_items[item_id] = {
                "id": item_id,
                "sku": sku,
                "tracked": tracked,
                "levels": dict(levels),
            }
            return {"id": variant_id, "inventory_item_id": item_id, "product_id": product["id"], "sku": sku}

    def add_variants(self, n: int, *, prefix: str = "SKU-", quantity: int = 5) -> list[dict[str, Any]]:
        """`n` tracked variants SKU-00001... stocked at the primary location with `quantity` each."""
        return [self.add_variant(f"{prefix}{i:05d}", quantity=quantity) for i in range(1, n + 1)]

    def _item(self, ref: str) -> dict[str, Any]:
        """An inventory item by its gid, a variant gid or a SKU (exact; KeyError when unknown or shared)."""
        if ref in self.inventory_items:
            return self.inventory_items[ref]
        if ref in self.variants:
            return self.inventory_items[self.variants[ref]["inventoryItem"]]
        found = [item for item in self.inventory_items.values() if item["sku"] == ref]
        if len(found) != 1:
            raise KeyError(f"{len(found)} inventory items have SKU {ref!r}")
        return found[0]

    def quantity(self, ref: str, location: str | None = None) -> int | None:
        """The available quantity of an item (inventory item gid, variant gid or unique SKU) at `location`
        (default: the primary one); None when it is not stocked there."""
        with self.lock:
            levels: dict[str, int] = self._item(ref)["levels"]
            return levels.get(location or self.primary_location)

    def set_tracked(self, ref: str, tracked: bool) -> None:
        with self.lock:
            self._item(ref)["tracked"] = tracked

    # -- inventory -----------------------------------------------------------------------------------
    def _sample_variant(self) -> dict[str, Any]:
        return {
            "id": gid("ProductVariant", 1),
            "sku": "S-1",
            "title": "S",
            "product": "",
            "inventoryItem": "",
        }

    def _variant_view(
        self, variant: Mapping[str, Any], field: Field, args: Callable[[Field], _Args]
    ) -> dict[str, Any]:
        """A variant as the productVariants selection `field` sees it (inventoryLevel at the location its
        arguments name, quantities with the names asked)."""
        product = self.products.get(variant["product"]) or {"id": gid("Product", 1), "title": "Sample"}
        item = self.inventory_items.get(variant["inventoryItem"]) or {
            "id": gid("InventoryItem", 1),
            "sku": variant["sku"],
            "tracked": True,
            "levels": {PRIMARY_LOCATION: 0},
        }
        level_field = _child_path(field, "inventoryItem", "inventoryLevel")
        level: dict[str, Any] | None = None
        if level_field is not None:
            if "read_inventory" not in self.scopes:
                raise _access_denied("inventoryLevel", "read_inventory")
            location = args(level_field).get("locationId")
            if not isinstance(location, str):
                raise GraphQLError(
                    "Field 'inventoryLevel' is missing required arguments: locationId",
                    "missingRequiredArguments",
                )
            quantities_field = level_field.child("quantities")
            names = args(quantities_field).get("names") if quantities_field is not None else None
            if quantities_field is not None and not isinstance(names, list):
                raise GraphQLError(
                    "Field 'quantities' is missing required arguments: names", "missingRequiredArguments"
                )
            if location in item["levels"]:
                available = item["levels"][location]
                level = {
                    "id": f"gid://shopify/InventoryLevel/{numeric_id(item['id'])}?location={numeric_id(location)}",
                    "location": self.locations.get(location),
                    "quantities": [
                        {"name": n, "quantity": available if n in QUANTITY_NAMES else 0} for n in names or ()
                    ],
                }
        return {
            "id": variant["id"],
            "sku": variant["sku"],
            "title": variant["title"],
            "displayName": f"{product['title']} - {variant['title']}",
            "product": {"id": product["id"], "title": product["title"]},
            "inventoryItem": {
                "id": item["id"],
                "sku": item["sku"],
                "tracked": item["tracked"],
                "inventoryLevel": level,
            },
        }

    def _product_variants(self, field: Field, a: _Args, args: Callable[[Field], _Args]) -> Any:
        if "read_products" not in self.scopes:
            raise _access_denied("productVariants", "read_products")
        size, from_end = a.page_size()
        if from_end:
            raise GraphQLError("This fake Shopify pages product variants forward only", "BAD_REQUEST")
        wanted = [v.casefold() for v in parse_sku_search(a.get("query") or "")]
        after = a.get("after")
        start = _read_cursor(after)[1] if after else -1
        matching = sorted(
            (
                v
                for v in self.variants.values()
                if _int_id(v) > start
                and (not wanted or any(v["sku"].casefold().startswith(w) for w in wanted))
            ),
            key=_int_id,
        )
        page = matching[:size]
        views = [self._variant_view(v, field, args) for v in page]
        cursors = [_cursor(float(_int_id(v)), _int_id(v)) for v in page]
        return self._connection(views, cursors, len(matching) > size, after is not None, field, args)

    def _sample_payload(self) -> dict[str, Any]:
        return {
            "inventoryAdjustmentGroup": {
                "id": gid("InventoryAdjustmentGroup", 1),
                "createdAt": iso(self.now),
                "reason": "correction",
                "referenceDocumentUri": None,
                "changes": [
                    {
                        "name": "available",
                        "delta": 1,
                        "quantityAfterChange": 1,
                        "item": {"id": gid("InventoryItem", 1), "sku": "S-1", "tracked": True},
                        "location": self.locations[PRIMARY_LOCATION],
                    }
                ],
            },
            "userErrors": [{"code": "INVALID_INVENTORY_ITEM", "field": ["input"], "message": "m"}],
        }

    def _mutate(self, field: Field, args: Callable[[Field], _Args]) -> Any:
        if "write_inventory" not in self.scopes:
            raise _access_denied("inventorySetQuantities", "write_inventory")
        data = args(field).get("input")
        if not isinstance(data, dict):
            raise GraphQLError(
                "Variable $input of type InventorySetQuantitiesInput! was provided invalid value",
                "INVALID_VARIABLE",
            )
        quantities = data.get("quantities")
        if (
            not isinstance(data.get("name"), str)
            or not isinstance(data.get("reason"), str)
            or not isinstance(quantities, list)
            or not all(
                isinstance(q, dict)
                and isinstance(q.get("inventoryItemId"), str)
                and isinstance(q.get("locationId"), str)
                and isinstance(q.get("quantity"), int)
                and not isinstance(q.get("quantity"), bool)
                for q in quantities
            )
        ):
            raise GraphQLError(
                "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for "
                "name, reason or quantities (inventoryItemId: ID!, locationId: ID!, quantity: Int!)",
                "INVALID_VARIABLE",
            )
        if len(quantities) > MAX_SET_QUANTITIES:
            raise GraphQLError(
                f"The input array size of {len(quantities)} is greater than the maximum allowed of "
                f"{MAX_SET_QUANTITIES}.",
                "MAX_INPUT_SIZE_EXCEEDED",
            )
        self.inventory_set_calls += 1
        errors: list[dict[str, Any]] = []

        def refuse(code: str, path: list[str], message: str) -> None:
            errors.append({"code": code, "field": path, "message": message})

        if data["name"] not in QUANTITY_NAMES:
            refuse(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        if data["reason"] not in INVENTORY_REASONS:
            refuse("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
        ignore_compare = data.get("ignoreCompareQuantity") is True
        seen: set[tuple[str, str]] = set()
        for i, entry in enumerate(quantities):
            path = ["input", "quantities", str(i)]
            item = self.inventory_items.get(entry["inventoryItemId"])
            location = entry["locationId"]
            if not ignore_compare and entry.get("compareQuantity") is None:
                refuse(
                    "COMPARE_QUANTITY_REQUIRED",
                    [*path, "compareQuantity"],
                    "The compareQuantity argument must be given to each quantity or ignored using "
                    "ignoreCompareQuantity.",
                )
            elif item is None:
                refuse(
                    "INVALID_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
            elif location not in self.locations:
                refuse(
                    "INVALID_LOCATION", [*path, "locationId"], "The specified location could not be found."
                )
            elif not item["tracked"]:
                refuse(
                    "NON_MUTABLE_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item is not tracked, so its quantities can't be set.",
                )
            elif location not in item["levels"]:
                refuse(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
            elif entry["quantity"] > 1_000_000_000:
                refuse(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*path, "quantity"],
                    "The total quantity can't be higher than 1,000,000,000.",
                )
            elif not ignore_compare and entry.get("compareQuantity") != item["levels"][location]:
                refuse(
                    "COMPARE_QUANTITY_STALE",
                    [*path, "compareQuantity"],
                    "The compareQuantity value does not match persisted value.",
                )
            elif (entry["inventoryItemId"], location) in seen:
                refuse(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            seen.add((entry["inventoryItemId"], location))
        payload: dict[str, Any] = {"inventoryAdjustmentGroup": None, "userErrors": errors}
        if not errors:  # applied whole or not at all
            changes = []
            for entry in quantities:
                item = self.inventory_items[entry["inventoryItemId"]]
                before = item["levels"][entry["locationId"]]
                item["levels"][entry["locationId"]] = entry["quantity"]
                changes.append(
                    {
                        "name": data["name"],
                        "delta": entry["quantity"] - before,
                        "quantityAfterChange": entry["quantity"],
                        "item": {"id": item["id"], "sku": item["sku"], "tracked": item["tracked"]},
                        "location": self.locations[entry["locationId"]],
                    }
                )
            payload["inventoryAdjustmentGroup"] = {
                "id": gid("InventoryAdjustmentGroup", next(self._adjustments)),
                "createdAt": iso(self.now),
                "reason": data["reason"],
                "referenceDocumentUri": data.get("referenceDocumentUri"),
                "changes": changes,
            }
        return self._project(payload, field, args)
