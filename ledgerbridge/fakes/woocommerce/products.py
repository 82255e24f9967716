"""The fake WooCommerce store's products for inventory: simple and variable products with their stock, and
the products endpoints (GET products with the `sku` filter, products/<id>, products/<id>/variations, POST
products/batch and products/<id>/variations/batch). `FakeWooCommerce` is built on `WooCommerceProducts`."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response


class WooCommerceProducts(FakeStore):
    """The product catalogue part of the fake WooCommerce store (its state is set up by FakeWooCommerce)."""

    permissions: str
    products: dict[int, dict[str, Any]]
    variations: dict[int, dict[str, Any]]
    batch_calls: int
    _product_seq: int

    def stamps(self) -> tuple[str, str]:
        """(store time, GMT) of now: the store's clock (FakeWooCommerce)."""
        raise NotImplementedError

    @staticmethod  # WordPress's answer to a path or method it has no route for (the store's too)
    def _no_route() -> Response:
        return Response(
            404,
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            },
        )

    # -- products ------------------------------------------------------------------------------------
    def _product_id(self) -> int:
        self._product_seq += 1
        return self._product_seq

    def add_product(
        self,
        sku: str,
        *,
        name: str | None = None,
        quantity: int | None = None,
        manage_stock: bool | None = None,
        type: str = "simple",
        price: str = "10.00",
    ) -> dict[str, Any]:
        """A product with `sku`; stock is managed (with `quantity`) when a quantity is given, unless
        `manage_stock` says otherwise. Returns the stored document."""
        with self.lock:
            product_id = self._product_id()
            local, gmt = self.stamps()
            managed = quantity is not None if manage_stock is None else manage_stock
            document: dict[str, Any] = {
                "id": product_id,
                "name": name or f"Product {sku}",
                "slug": (name or sku).lower().replace(" ", "-"),
                "type": type,
                "status": "publish",
                "sku": sku,
                "price": price,
                "regular_price": price,
                "sale_price": "",
                "manage_stock": managed,
                "stock_quantity": quantity if managed else None,
                "stock_status": "instock" if not managed or (quantity or 0) > 0 else "outofstock",
                "parent_id": 0,
                "variations": [],
                "date_created": local,
                "date_created_gmt": gmt,
                "date_modified": local,
                "date_modified_gmt": gmt,
            }
            self.products[product_id] = document
            return document

    def add_variable_product(
        self, name: str, variations: Sequence[tuple[str, int | None]], *, sku: str = ""
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A variable product and one variation per (sku, quantity) (None: stock not managed)."""
        with self.lock:
            parent = self.add_product(sku, name=name, type="variable", manage_stock=False)
            children = []
            for n, (child_sku, quantity) in enumerate(variations, start=1):
                variation_id = self._product_id()
                local, gmt = self.stamps()
                child = {
                    "id": variation_id,
                    "parent_id": parent["id"],
                    "name": f"{name} - Option {n}",
                    "sku": child_sku,
                    "price": parent["price"],
                    "regular_price": parent["price"],
                    "sale_price": "",
                    "status": "publish",
                    "manage_stock": quantity is not None,
                    "stock_quantity": quantity,
                    "stock_status": "instock" if quantity is None or quantity > 0 else "outofstock",
                    "attributes": [{"id": 0, "name": "Option", "option": str(n)}],
                    "date_created": local,
                    "date_created_gmt": gmt,
                    "date_modified": local,
                    "date_modified_gmt": gmt,
                }
                self.variations[variation_id] = child
                parent["variations"].append(variation_id)
                children.append(child)
            return parent, children

    def stock(self, ref: str | int) -> int | None:
        """stock_quantity of a product or variation by id, by StockItem ref ("product:<id>",
        "variation:<parent>:<id>") or by unique SKU."""
        with self.lock:
            text = str(ref)
            if text.startswith(("product:", "variation:")):
                text = text.rsplit(":", 1)[-1]
            if text.isdigit():
                number = int(text)
                document = self.products.get(number) or self.variations[number]
            else:
                found = [d for d in (*self.products.values(), *self.variations.values()) if d["sku"] == text]
                if len(found) != 1:
                    raise KeyError(f"{len(found)} products have SKU {text!r}")
                document = found[0]
            quantity = document["stock_quantity"]
            return quantity if isinstance(quantity, int) else None

    def _rendered(self, document: dict[str, Any]) -> dict[str, Any]:
        """A product or variation as the products endpoint answers it."""
        if document["id"] in self.variations:
            return {**document, "type": "variation"}
        return dict(document)

    # -- products HTTP -------------------------------------------------------------------------------
    def _products_route(self, request: Request, parts: list[str]) -> Response:
        if request.method != "GET" and self.permissions != "read_write":
            return Response(
                401,
                {
                    "code": "woocommerce_rest_cannot_edit",
                    "message": "Sorry, you are not allowed to edit this resource.",
                    "data": {"status": 401},
                },
            )
        if request.method == "GET" and parts == ["products"]:
            return self._product_list(request, None)
        if request.method == "GET" and len(parts) == 2 and parts[1].isdigit():
            document = self.products.get(int(parts[1]))
            if document is None:
                return self._invalid_id("product")
            return Response(200, self._rendered(document))
        if request.method == "GET" and len(parts) == 3 and parts[1].isdigit() and parts[2] == "variations":
            if int(parts[1]) not in self.products:
                return self._invalid_id("product")
            return self._product_list(request, int(parts[1]))
        if request.method in ("POST", "PUT") and parts == ["products", "batch"]:
            return self._batch(request, None)
        if (
            request.method in ("POST", "PUT")
            and len(parts) == 4
            and parts[1].isdigit()
            and parts[2:] == ["variations", "batch"]
        ):
            return self._batch(request, int(parts[1]))
        return self._no_route()

    @staticmethod
    def _invalid_id(kind: str, status: int = 404) -> Response:
        return Response(
            status,
            {
                "code": f"woocommerce_rest_{kind}_invalid_id",
                "message": "Invalid ID.",
                "data": {"status": status},
            },
        )

    def _product_list(self, request: Request, parent: int | None) -> Response:
        try:
            per_page = int(request.param("per_page") or 10)
            page = int(request.param("page") or 1)
        except ValueError:
            per_page, page = 0, 0
        if not 1 <= per_page <= 100 or page < 1:
            return Response(
                400,
                {
                    "code": "rest_invalid_param",
                    "message": "Invalid parameter(s): per_page",
                    "data": {"status": 400, "params": {"per_page": "per_page must be between 1 and 100"}},
                },
            )
        raw_sku = request.param("sku") or ""
        if parent is not None:
            candidates = [v for v in self.variations.values() if v["parent_id"] == parent]
        elif raw_sku:  # with a SKU filter WooCommerce searches variations too
            candidates = [*self.products.values(), *self.variations.values()]
        else:
            candidates = list(self.products.values())
        if raw_sku:
            skus = raw_sku.split(",")
            if len(skus) > 1:
                skus.append(raw_sku)  # WooCommerce also matches the whole string
            wanted = {s.strip().casefold() for s in skus}  # MySQL compares without case or end spaces
            candidates = [d for d in candidates if str(d["sku"]).strip().casefold() in wanted]
        candidates.sort(key=lambda d: -d["id"])  # newest first, as WooCommerce's default order
        total = len(candidates)
        pages = math.ceil(total / per_page)
        body = [self._rendered(d) for d in candidates[(page - 1) * per_page : page * per_page]]
        return Response(
            200, json.dumps(body).encode(), {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        )

    def _batch(self, request: Request, parent: int | None) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Response(
                400,
                {
                    "code": "rest_invalid_json",
                    "message": "Invalid JSON body passed.",
                    "data": {"status": 400},
                },
            )
        total = sum(len(body.get(k) or []) for k in ("create", "update", "delete"))
        if total > 100:
            return Response(
                413,
                {
                    "code": "woocommerce_rest_request_entity_too_large",
                    "message": "Unable to accept more than 100 items for this request.",
                    "data": {"status": 413},
                },
            )
        if parent is not None and parent not in self.products:
            return self._invalid_id("product")
        self.batch_calls += 1
        kind = "product" if parent is None else "product_variation"
        answer: dict[str, Any] = {}
        for action in ("create", "delete"):
            if action in body:
                answer[action] = [
                    {
                        "id": 0,
                        "error": {
                            "code": "fake_not_supported",
                            "message": f"This fake WooCommerce does not {action} products.",
                            "data": {"status": 501},
                        },
                    }
                    for _ in body.get(action) or []
                ]
        updated = []
        for item in body.get("update") or []:
            item_id = item.get("id") if isinstance(item, dict) else None
            if parent is None:
                document = self.products.get(item_id) if isinstance(item_id, int) else None
            else:
                found = self.variations.get(item_id) if isinstance(item_id, int) else None
                document = found if found is not None and found["parent_id"] == parent else None
            if document is None:
                updated.append(
                    {
                        "id": item_id,
                        "error": {
                            "code": f"woocommerce_rest_{kind}_invalid_id",
                            "message": "Invalid ID.",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            assert isinstance(item, dict)
            quantity = item.get("stock_quantity", document["stock_quantity"])
            if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
                updated.append(
                    {
                        "id": item_id,
                        "error": {
                            "code": "rest_invalid_param",
                            "message": "Invalid parameter(s): stock_quantity",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            if "manage_stock" in item:
                document["manage_stock"] = bool(item["manage_stock"])
            document["stock_quantity"] = quantity
            if document["manage_stock"]:
                document["stock_status"] = "instock" if (quantity or 0) > 0 else "outofstock"
            document["date_modified"], document["date_modified_gmt"] = self.stamps()
            updated.append(self._rendered(document))
        if "update" in body:
            answer["update"] = updated
        return Response(200, json.dumps(answer).encode())
