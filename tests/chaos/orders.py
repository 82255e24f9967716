"""Seeded store orders for the chaos test, with what QuickBooks must end up holding for each.

The documents follow the custom store's push format (`chalicelib/orders/model.py` reads it; the README's
REST section shows it). Totals add up to the cent and no order is taxed, so QuickBooks' total of a sale is
exactly the order's `total` and a credit memo's total exactly its refund's `amount`.

Kinds of orders (shares per order, drawn from the seed):
* a customer QuickBooks does not know yet (NEW_CUSTOMER_SHARE), else one of the earlier buyers;
* lines: mostly 1-3, some 5-15, a few 30-50 (multi-line orders up to ~50 lines); a line names an item
  QuickBooks lacks with NEW_ITEM_SHARE (the service adds it), else a generated item of the company;
* shipping, an order discount, a fee (handling) now and then;
* refunds (REFUND_SHARE): a refund of a line, or a refund with no lines (a goodwill amount: one
  fee-item line, also on orders that have no fee), sent with the order or later as a change to it;
* BAD_SHARE orders whose total does not add up: the merchant's own fault, they must end failed with a
  reason and never reach QuickBooks.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

EXISTING_ITEMS = 60  # "Generated Item 0001".."0060" in the company file
NEW_CUSTOMER_SHARE = 0.3
NEW_ITEM_SHARE = 0.05
REFUND_SHARE = 0.12
FEE_SHARE = 0.08
DISCOUNT_SHARE = 0.1
BAD_SHARE = 0.01


def money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


@dataclass
class Expected:
    """One order as the store last pushed it and the service acknowledged it."""

    channel_id: str
    doc: dict[str, Any]
    bad: bool = False

    @property
    def order_id(self) -> str:
        return str(self.doc["id"])

    @property
    def number(self) -> str:
        return str(self.doc["number"])

    @property
    def total(self) -> Decimal:
        return Decimal(self.doc["total"])

    @property
    def refunds(self) -> list[dict[str, Any]]:
        return list(self.doc.get("refunds", []))


@dataclass
class OrderFactory:
    """Orders for one channel: numbers `<prefix>00001`, ... (short enough to be the RefNumber as is)."""

    rng: random.Random
    prefix: str
    customers: list[tuple[str, str]] = field(default_factory=list)
    new_skus: list[str] = field(default_factory=list)
    made: int = 0

    def order(self) -> tuple[dict[str, Any], bool]:
        """A new order document, and whether it is bad (total off by a dollar)."""
        rng = self.rng
        n = self.made
        self.made += 1
        if not self.customers or rng.random() < NEW_CUSTOMER_SHARE:
            self.customers.append(
                (f"Chaos{self.prefix}{len(self.customers):04d}", f"Buyer{rng.randint(1, 97)}")
            )
            first, last = self.customers[-1]
        else:
            first, last = rng.choice(self.customers)
        roll = rng.random()
        count = (
            rng.randint(30, 50) if roll < 0.02 else rng.randint(5, 15) if roll < 0.12 else rng.randint(1, 3)
        )
        lines = [self._line(i) for i in range(count)]
        doc: dict[str, Any] = {
            "id": f"{self.prefix}-{n:05d}",
            "number": f"{self.prefix}{n:05d}",
            "created_at": "2026-11-20T10:00:00Z",
            "currency": "USD",
            "customer": {"first_name": first, "last_name": last, "email": f"{first.lower()}@example.com"},
            "billing_address": {
                "line1": f"{n} Main St",
                "city": "Seattle",
                "state": "WA",
                "postal_code": "98101",
                "country": "US",
            },
            "lines": lines,
            "payment_status": "paid",
        }
        shipping = rng.choice((0, 0, 500, 995))
        if shipping:
            doc["shipping_lines"] = [{"title": "Ground", "price": money(shipping)}]
        if rng.random() < FEE_SHARE:
            doc["fees"] = [{"title": "Handling", "amount": money(rng.randint(100, 400))}]
        if rng.random() < DISCOUNT_SHARE:
            doc["discounts"] = [{"code": "CHAOS", "amount": money(min(500, self._goods(doc) // 2))}]
        bad = rng.random() < BAD_SHARE
        self._set_total(doc, off_by=100 if bad else 0)
        if not bad and rng.random() < REFUND_SHARE / 2:  # the other half come later, as a change
            self.add_refund(doc)
        return doc, bad

    def _line(self, index: int) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < NEW_ITEM_SHARE:
            if not self.new_skus or rng.random() < 0.7:
                self.new_skus.append(f"NEW-{self.prefix}-{len(self.new_skus):04d}")
            sku = rng.choice(self.new_skus)
        else:
            sku = f"Generated Item {rng.randint(1, EXISTING_ITEMS):04d}"
        return {
            "id": str(index + 1),
            "sku": sku,
            "title": sku,
            "quantity": rng.randint(1, 4),
            "unit_price": money(rng.randint(100, 9_999)),
        }

    @staticmethod
    def _goods(doc: dict[str, Any]) -> int:
        return sum(int(line["quantity"]) * cents(line["unit_price"]) for line in doc["lines"])

    def _set_total(self, doc: dict[str, Any], off_by: int = 0) -> None:
        total = (
            self._goods(doc)
            + sum(cents(s["price"]) for s in doc.get("shipping_lines", []))
            + sum(cents(f["amount"]) for f in doc.get("fees", []))
            - sum(cents(d["amount"]) for d in doc.get("discounts", []))
            + off_by
        )
        doc["total"] = money(total)
        doc["payments"] = [{"method": "credit_card", "amount": money(total)}]

    def add_refund(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Append a refund: of one unit of a line, or (half the time) a goodwill amount with no lines."""
        rng = self.rng
        refunds = doc.setdefault("refunds", [])
        refund_id = f"{doc['id']}-r{len(refunds) + 1}"
        created = f"2026-11-2{1 + len(refunds)}T12:00:00Z"
        if rng.random() < 0.5:
            refund: dict[str, Any] = {
                "id": refund_id,
                "created_at": created,
                "amount": money(min(rng.randint(100, 1_000), max(1, cents(doc["total"]) // 2))),
                "note": "Goodwill",
            }
        else:
            line = rng.choice(doc["lines"])
            amount = line["unit_price"]
            refund = {
                "id": refund_id,
                "created_at": created,
                "amount": amount,
                "lines": [{"line_id": line["id"], "quantity": 1, "amount": amount}],
            }
        refunds.append(refund)
        return refund

    def changed(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The order as the store sends it after the buyer added one unit to its first line."""
        new = copy.deepcopy(doc)
        new["lines"][0]["quantity"] = int(new["lines"][0]["quantity"]) + 1
        new["updated_at"] = "2026-11-20T11:00:00Z"
        self._set_total(new)
        return new

    def with_refund(self, doc: dict[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(doc)
        self.add_refund(new)
        new["updated_at"] = "2026-11-22T09:00:00Z"
        return new
