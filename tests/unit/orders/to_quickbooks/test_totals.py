"""The totals check and orders QuickBooks cannot record."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from chalicelib.orders.model import (
    Discount,
    Fee,
    Order,
    OrderLine,
    ShippingLine,
    TaxLine,
)
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    TotalsMismatch,
    check_totals,
    sale_lines,
)

from .helpers import (
    US,
    line_total,
    order_with,
    sale,
)

# --- totals ---------------------------------------------------------------------------------------


def test_fixture_orders_add_up(us_order: Order, uk_order: Order) -> None:
    check_totals(us_order)
    check_totals(uk_order)


@pytest.mark.parametrize(("delta", "word"), [(Decimal("0.01"), "more"), (Decimal("-0.01"), "less")])
def test_a_one_cent_mismatch_names_the_difference(us_order: Order, delta: Decimal, word: str) -> None:
    order = dataclasses.replace(us_order, total=us_order.total - delta)
    with pytest.raises(TotalsMismatch) as caught:
        check_totals(order)
    error = caught.value
    assert error.difference == delta
    assert error.computed == Decimal("68.87")
    assert error.expected == Decimal("68.87") - delta
    assert f"0.01 {word} than the order total of {error.expected}" in str(error)
    assert isinstance(error, OrderNotPostable)
    assert isinstance(error, ValueError)
    with pytest.raises(TotalsMismatch):
        sale(order, "US", "invoice")


def test_totals_include_shipping_and_line_discounts_and_fees() -> None:
    order = order_with(
        lines=(OrderLine("1", "A", "A", Decimal(3), Decimal("3.33"), discount=Decimal("1.00")),),
        shipping_lines=(ShippingLine("Post", Decimal("5.00"), discount=Decimal("5.00")),),
        discounts=(Discount("X", Decimal("0.99")),),
        fees=(Fee("COD", Decimal("2.00")),),
        tax_lines=(TaxLine("VAT", Decimal("1.50")),),
        total=Decimal("11.50"),  # 9.99 - 1.00 + 0 + 2.00 + 1.50 - 0.99
    )
    check_totals(order)
    element = sale(order, "UK", "sales_receipt")
    lines = element[0].findall("SalesReceiptLineAdd")
    assert [ln.findtext("ItemRef/FullName") for ln in lines] == [
        "A", "Discount", "Discount", "Shipping", "Discount", "Fees",
    ]  # fmt: skip
    assert line_total(element[0], "SalesReceiptLineAdd") == Decimal("10.00")


def test_discounts_larger_than_the_sale_are_not_postable() -> None:
    order = order_with(discounts=(Discount("ALL", Decimal("12.00")),), total=Decimal("-2.00"))
    with pytest.raises(OrderNotPostable, match="negative"):
        sale_lines(order, US, country="US")


def test_an_order_without_lines_is_not_postable() -> None:
    with pytest.raises(OrderNotPostable, match="no product lines"):
        sale_lines(order_with(lines=(), total=Decimal(0)), US, country="US")


def test_missing_shipping_item_setting_is_not_postable(us_order: Order) -> None:
    with pytest.raises(OrderNotPostable, match="shipping item"):
        sale_lines(us_order, dataclasses.replace(US, shipping_item=""), country="US")
