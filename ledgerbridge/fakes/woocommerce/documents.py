"""The fake WooCommerce store's order documents: the sample catalogue and customers, and line items, shipping
lines, fee lines and order totals built as WooCommerce's order schema has them (amounts as decimal strings,
coupons spread over the line items as subtotal - total)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
UNPAID = ("pending", "on-hold", "failed", "cancelled", "checkout-draft")
CATALOG = (
    (11, "MUG-01", "Heron mug", "12.50"),
    (12, "TEE-M", "Heron T-shirt (M)", "20.00"),
    (13, "TOTE-01", "Canvas tote", "16.00"),
    (14, "CARD-05", "Greeting cards (5)", "7.25"),
    (15, "PRINT-A3", "Heron print A3", "34.99"),
    (16, "SOCK-L", "Wool socks (L)", "11.00"),
)
NAMES = (
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
)
STATUSES = ("processing", "processing", "completed", "completed", "on-hold", "pending", "cancelled")


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT))


def line_item(
    item_id: int,
    sku: str,
    name: str,
    quantity: int,
    price: str,
    *,
    discount: str = "0",
    tax_rate: str = "0.08",
    product_id: int = 0,
) -> dict[str, Any]:
    """A line item as WooCommerce sends it: subtotal before the coupon, total after it."""
    rate = Decimal(tax_rate)
    subtotal = Decimal(price) * quantity
    total = subtotal - Decimal(discount)
    subtotal_tax = (subtotal * rate).quantize(CENT)
    total_tax = (total * rate).quantize(CENT)
    return {
        "id": item_id,
        "name": name,
        "product_id": product_id,
        "variation_id": 0,
        "quantity": quantity,
        "tax_class": "",
        "subtotal": cents(subtotal),
        "subtotal_tax": cents(subtotal_tax),
        "total": cents(total),
        "total_tax": cents(total_tax),
        "taxes": [{"id": 1, "total": cents(total_tax), "subtotal": cents(subtotal_tax)}] if rate else [],
        "meta_data": [],
        "sku": sku,
        "price": float(total / quantity) if quantity else 0.0,
        "image": {"id": "", "src": ""},
        "parent_name": None,
    }


def shipping_line(line_id: int, title: str, total: str, *, tax_rate: str = "0.08") -> dict[str, Any]:
    tax = (Decimal(total) * Decimal(tax_rate)).quantize(CENT)
    return {
        "id": line_id,
        "method_title": title,
        "method_id": "flat_rate",
        "instance_id": "1",
        "total": cents(Decimal(total)),
        "total_tax": cents(tax),
        "taxes": [{"id": 1, "total": cents(tax), "subtotal": ""}] if tax else [],
        "meta_data": [],
    }


def fee_line(line_id: int, name: str, total: str, *, tax_rate: str = "0.08") -> dict[str, Any]:
    tax = (Decimal(total) * Decimal(tax_rate)).quantize(CENT)
    return {
        "id": line_id,
        "name": name,
        "tax_class": "",
        "tax_status": "taxable" if tax else "none",
        "amount": cents(Decimal(total)),
        "total": cents(Decimal(total)),
        "total_tax": cents(tax),
        "taxes": [{"id": 1, "total": cents(tax), "subtotal": ""}] if tax else [],
        "meta_data": [],
    }


def recalculate(document: dict[str, Any]) -> None:
    """WooCommerce's order totals from its lines (tax on lines, fees and shipping, one tax rate)."""

    def total(lines: list[dict[str, Any]], key: str) -> Decimal:
        return sum((Decimal(str(entry[key])) for entry in lines), Decimal(0))

    items, shipping, fees = document["line_items"], document["shipping_lines"], document["fee_lines"]
    cart_tax = total(items, "total_tax") + total(fees, "total_tax")
    shipping_tax = total(shipping, "total_tax")
    total_tax = cart_tax + shipping_tax
    document.update(
        {
            "discount_total": cents(total(items, "subtotal") - total(items, "total")),
            "discount_tax": cents(total(items, "subtotal_tax") - total(items, "total_tax")),
            "shipping_total": cents(total(shipping, "total")),
            "shipping_tax": cents(shipping_tax),
            "cart_tax": cents(cart_tax),
            "total_tax": cents(total_tax),
            "total": cents(
                total(items, "total") + total(shipping, "total") + total(fees, "total") + total_tax
            ),
            "tax_lines": (
                [
                    {
                        "id": 901,
                        "rate_code": "US-WA-SALES TAX-1",
                        "rate_id": 1,
                        "label": "Sales tax",
                        "compound": False,
                        "tax_total": cents(cart_tax),
                        "shipping_tax_total": cents(shipping_tax),
                        "rate_percent": 8,
                        "meta_data": [],
                    }
                ]
                if total_tax
                else []
            ),
        }
    )
