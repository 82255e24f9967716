"""The order book of the fake Shopify store: what a test does to it (add, change, cancel, refund, break
orders) and how queries read it (`orders` in sort order with the search and keyset paging of search.py)."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerbridge.fakes.shopify.documents import (
    ADDRESSES,
    CATALOG,
    CUSTOMERS,
    Line,
    ShopifyDocuments,
    iso,
    numeric_id,
)
from ledgerbridge.fakes.shopify.graphql import Field, GraphQLError, _Args
from ledgerbridge.fakes.shopify.projection import ShopifyProjection
from ledgerbridge.fakes.shopify.search import (
    _cursor,
    _epoch,
    _Index,
    _int_id,
    _matcher,
    _read_cursor,
    _time_value,
    parse_search,
)


class ShopifyOrders(ShopifyDocuments, ShopifyProjection):
    """The orders of the fake Shopify store (its state is set up by FakeShopify)."""

    _indexes: dict[str, _Index]

    def order(self, order_id: str | int) -> dict[str, Any]:
        """The stored document of an order, by numeric id or gid."""
        return self.orders[numeric_id(order_id)]

    def add_order(
        self,
        *,
        lines: Sequence[Line] | None = None,
        shipping: str | None = "5.00",
        shipping_title: str = "Standard Shipping",
        shipping_discount: str | None = None,
        discount_code: str | None = "WELCOME10",
        discount_percent: str = "10",
        tax_rate: str | None = "0.0825",
        tax_title: str = "CA State Tax",
        tax_shipping: bool = False,
        paid: bool | str = True,
        gateway: str = "shopify_payments",
        customer: tuple[str, str, str] | None = ("Ada", "Lovelace", "Analytical Engines Ltd"),
        address: tuple[str, str, str, str] = ADDRESSES[0],
        email: str | None = "ada@example.com",
        created_at: datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Add an order as Shopify would store it and return its document.

        Defaults: two lines (2 x MUG-01 at 12.50, 1 x TEE-M at 20.00), code WELCOME10 taking 10 % off
        each line (allocated to the lines, as Shopify does), 8.25 % tax per line, 5.00 shipping, and one
        successful SALE through Shopify Payments for the total (48.85). `paid` may be an amount (a
        partial capture) or False (pending). `overrides` replace top-level fields of the document
        (camelCase, e.g. note="Gift", tags=["vip"], cancelledAt="2026-11-01T12:00:00Z")."""
        with self.lock:
            doc = self._build_order(
                lines=lines
                if lines is not None
                else (("MUG-01", "Coffee Mug", 2, "12.50"), ("TEE-M", "T-Shirt - M", 1, "20.00")),
                shipping=shipping,
                shipping_title=shipping_title,
                shipping_discount=shipping_discount,
                discount_code=discount_code,
                discount_percent=discount_percent,
                tax_rate=tax_rate,
                tax_title=tax_title,
                tax_shipping=tax_shipping,
                paid=paid,
                gateway=gateway,
                customer=customer,
                address=address,
                email=email,
                created_at=created_at or self.now,
            )
            doc.update(overrides)
            self._store(doc)
            return doc

    def add_orders(self, n: int, *, seed: int = 0, spread_seconds: int = 3) -> list[dict[str, Any]]:
        """Add `n` varied orders (1-4 lines, some discounted, unpaid, partly paid, cancelled, refunded),
        one every 0..`spread_seconds` s from the store's clock on (so some share a timestamp); the clock
        ends at the last one. Deterministic for a seed; 10,000 orders take about a second."""
        rng = random.Random(seed)
        docs: list[dict[str, Any]] = []
        with self.lock:
            for _ in range(n):
                self.now += timedelta(seconds=rng.randint(0, spread_seconds))
                lines = tuple(
                    (sku, title, rng.randint(1, 3), price)
                    for sku, title, price in rng.sample(CATALOG, rng.randint(1, 4))
                )
                roll = rng.random()
                paid: bool | str = True
                if roll < 0.04:
                    paid = False
                first, last, company = rng.choice(CUSTOMERS)
                doc = self._build_order(
                    lines=lines,
                    shipping=rng.choice(("5.00", "7.95", "0.00", "12.00")) if rng.random() > 0.1 else None,
                    shipping_title="Standard Shipping",
                    shipping_discount=None,
                    discount_code="WELCOME10" if rng.random() < 0.3 else None,
                    discount_percent="10",
                    tax_rate=rng.choice(("0.0825", "0.06", "0.1025")),
                    tax_title="State Tax",
                    tax_shipping=rng.random() < 0.2,
                    paid=paid,
                    gateway=rng.choice(("shopify_payments", "shopify_payments", "paypal", "manual")),
                    customer=None if rng.random() < 0.05 else (first, last, company),
                    address=rng.choice(ADDRESSES),
                    email=f"{first.lower()}.{last.lower()}@example.com",
                    created_at=self.now,
                )
                if roll > 0.98:
                    doc["cancelledAt"] = iso(self.now)
                    doc["cancelReason"] = "CUSTOMER"
                elif roll > 0.95:
                    line = doc["lineItems"]["nodes"][0]
                    self._refund(doc, [(numeric_id(line["id"]), 1)], Decimal(0), "Returned", None, self.now)
                self._store(doc, bump=False)
                docs.append(doc)
            self._version += 1
        return docs

    def change_order(self, order_id: str | int, **changes: Any) -> dict[str, Any]:
        """Tick the clock, apply `changes` to the top-level fields (camelCase) and set updatedAt to now."""
        with self.lock:
            doc = self.order(order_id)
            moment = self.tick()
            doc.update(changes)
            doc["updatedAt"] = iso(moment)
            self._version += 1
            return doc

    def cancel_order(self, order_id: str | int) -> dict[str, Any]:
        moment = self.now + timedelta(seconds=1)
        return self.change_order(order_id, cancelledAt=iso(moment), cancelReason="CUSTOMER")

    def add_refund(
        self,
        order_id: str | int,
        lines: Sequence[tuple[str, int]] = (),
        *,
        shipping: str = "0",
        note: str = "",
        amount: str | None = None,
    ) -> dict[str, Any]:
        """Tick the clock and refund `lines` ((line item numeric id, quantity)) and `shipping` (before
        tax) of an order, with their tax, through the sale's gateway; `amount` instead refunds that
        sum without line detail. Updates the order's financial status and updatedAt; returns the refund."""
        with self.lock:
            doc = self.order(order_id)
            moment = self.tick()
            refund = self._refund(doc, lines, Decimal(shipping), note, amount, moment)
            doc["updatedAt"] = iso(moment)
            self._version += 1
            return refund

    def break_order(self, order_id: str | int, how: str = "null_price") -> dict[str, Any]:
        """Make one order malformed the way a buggy app or import could: "null_price" (a line without a
        price), "negative_quantity", "no_lines" or "bad_timestamp". updatedAt is left as it is."""
        with self.lock:
            doc = self.order(order_id)
            line = doc["lineItems"]["nodes"][0]
            if how == "null_price":
                line["originalUnitPriceSet"] = None
            elif how == "negative_quantity":
                line["quantity"] = -line["quantity"]
            elif how == "no_lines":
                doc["lineItems"]["nodes"] = []
            elif how == "bad_timestamp":
                doc["createdAt"] = "yesterday"
            else:
                raise ValueError(f"unknown way to break an order: {how}")
            self._version += 1
            return doc

    def _index(self, sort_key: str) -> _Index:
        index = self._indexes.get(sort_key)
        if index is not None and index.version == self._version and len(index.docs) == len(self.orders):
            return index
        if sort_key == "UPDATED_AT":
            field_name = "updatedAt"
        elif sort_key in ("CREATED_AT", "PROCESSED_AT"):
            field_name = "createdAt"
        elif sort_key == "ID":
            field_name = ""
        else:
            raise GraphQLError(f"Sort key {sort_key} is not supported by this fake", "BAD_REQUEST")

        def key(doc: dict[str, Any]) -> tuple[float, int]:
            ident = _int_id(doc)
            return (_epoch(doc.get(field_name)) if field_name else float(ident), ident)

        pairs = sorted(((key(d), d) for d in self.orders.values()), key=lambda pair: pair[0])
        index = _Index(self._version, [k for k, _ in pairs], [d for _, d in pairs])
        self._indexes[sort_key] = index
        return index

    def _matching(
        self, query: str, sort_key: str, cursor: tuple[float, int] | None, reverse: bool
    ) -> Iterator[tuple[tuple[float, int], dict[str, Any]]]:
        """Orders matching `query` in sort order, strictly after `cursor` (keyset)."""
        terms = parse_search(query)
        matches = _matcher(terms)
        index = self._index(sort_key)
        lo, hi = 0, len(index.keys)
        if sort_key == "UPDATED_AT":  # narrow by the updated_at range with bisect
            for term in terms:
                if term.field != "updated_at":
                    continue
                bound = _time_value(term.value)
                if term.op in (">", ">="):
                    edge = (
                        bisect.bisect_left(index.keys, (bound, -1))
                        if term.op == ">="
                        else bisect.bisect_right(index.keys, (bound, 2**63))
                    )
                    lo = max(lo, edge)
                elif term.op in ("<", "<="):
                    edge = (
                        bisect.bisect_right(index.keys, (bound, 2**63))
                        if term.op == "<="
                        else bisect.bisect_left(index.keys, (bound, -1))
                    )
                    hi = min(hi, edge)
        if cursor is not None:
            if reverse:
                hi = min(hi, bisect.bisect_left(index.keys, cursor))
            else:
                lo = max(lo, bisect.bisect_right(index.keys, cursor))
        positions = range(hi - 1, lo - 1, -1) if reverse else range(lo, hi)
        for position in positions:
            doc = index.docs[position]
            if matches(doc):
                yield index.keys[position], doc

    def _orders(self, field: Field, a: _Args, args: Callable[[Field], _Args]) -> Any:
        size, from_end = a.page_size()
        sort_key = a.get("sortKey", "ID")
        reverse = bool(a.get("reverse", False))
        if from_end:  # last/before: walk backwards from the end
            reverse = not reverse
        raw_cursor = a.get("before") if from_end else a.get("after")
        cursor = _read_cursor(raw_cursor) if raw_cursor else None
        found = list(
            itertools.islice(self._matching(a.get("query") or "", sort_key, cursor, reverse), size + 1)
        )
        has_more = len(found) > size
        found = found[:size]
        if from_end:
            found.reverse()
        docs = [doc for _, doc in found]
        cursors = [_cursor(key[0], key[1]) for key, _ in found]
        has_next, has_previous = (False, has_more) if from_end else (has_more, cursor is not None)
        return self._connection(docs, cursors, has_next, has_previous, field, args)
