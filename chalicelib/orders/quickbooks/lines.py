"""The item lines of an order's sale: products, their discounts, order discounts, shipping, fees."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.qbxml.transactions import SaleLine

from ..model import Order, OrderLine
from ..settings import ChannelSettings
from .bundles import GroupItem, group_lines, is_bundle
from .errors import OrderNotPostable
from .extras import line_units
from .names import item_ref, line_key
from .tax import Tax

if TYPE_CHECKING:
    from chalicelib.rules.actions import PostingExtras

__all__ = ["line_item", "product_line", "sale_lines"]


def _uses_discounts(order: Order, mapped: Mapping[int, str]) -> bool:
    """Whether a line needs the settings' discount item (an order discount a rule maps does not)."""
    return (
        any(ln.discount for ln in order.lines)
        or any(d.amount and i not in mapped for i, d in enumerate(order.discounts))
        or any(s.discount for s in order.shipping_lines)
    )


def _setting_item(name: str, what: str) -> str:
    if not name.strip():
        raise OrderNotPostable(f"The order needs {what}; choose one in the channel settings.")
    return name


def line_item(
    line: OrderLine,
    settings: ChannelSettings,
    items: Mapping[str, str] | None,
    extras: PostingExtras | None,
) -> str:
    """The ItemRef of a product line: the rules' item for it, else the matched or created item."""
    mapped = extras.line_items.get(line.line_id) if extras is not None else None
    return mapped or item_ref(line_key(line, settings), settings, items)


def product_line(
    line: OrderLine,
    item: str,
    quantity: Decimal,
    amount: Decimal,
    code: str,
    class_name: str,
    extras: PostingExtras | None = None,
) -> SaleLine:
    """A product line: Quantity and Rate when quantity x price is the amount, else Quantity and Amount.

    With `extras`: the line's unit of measure (quantity x factor, price / factor), the price level
    (in the Rate's place, so the Amount is written) and the inventory site (see `extras`)."""
    if extras is None:
        exact = quantity * line.unit_price == amount
        rate: Decimal | None = line.unit_price if exact else None
        unit_name = price_level = site = ""
    else:
        rate = line.unit_price
        unit = extras.line_units.get(line.line_id)
        unit_name = ""
        if unit is not None:
            quantity, rate = line_units(unit, line.line_id, quantity, line.unit_price)
            unit_name = unit.unit
        price_level, site = extras.price_level, extras.inventory_site
        exact = rate is not None and not price_level and quantity * rate == amount
        rate = rate if exact else None
    return SaleLine(
        item=item,
        description=line.title,
        quantity=quantity,
        rate=rate,
        amount=None if exact else amount,
        sales_tax_code=code,
        class_name=class_name,
        unit_of_measure=unit_name,
        price_level=price_level,
        inventory_site=site,
    )


def sale_lines(
    order: Order,
    settings: ChannelSettings,
    *,
    country: str,
    items: Mapping[str, str] | None = None,
    extras: PostingExtras | None = None,
    groups: Mapping[str, GroupItem] | None = None,
) -> tuple[SaleLine, ...]:
    """The item lines of the order's sale (see `chalicelib.orders.to_quickbooks` for order and tax codes).

    `items` maps `item_name(line)` to the FullName the use case matched in the company's items; a
    key it lacks is referred to by the name Ledgerbridge creates the item under. `extras` (the order
    rules' choices) may name the item of a line, shipping line or order discount, and set the units,
    price level and inventory site of the product lines (see `extras`); the caller checks them with
    `check_extras` for its document. `groups`: the company's group items by folded name, for bundles posted as
    groups (see `bundles`).
    """
    if not order.lines:
        raise OrderNotPostable("The order has no product lines, so there is nothing to post.")
    tax = Tax(order, settings, country)
    klass = settings.class_name
    shipping_items = extras.shipping_items if extras is not None else {}
    discount_items = extras.discount_items if extras is not None else {}
    discount_item = settings.discount_item
    if _uses_discounts(order, discount_items):
        discount_item = _setting_item(discount_item, "a discount item")
    shipping_item = settings.shipping_item
    if any(s.price and i not in shipping_items for i, s in enumerate(order.shipping_lines)):
        shipping_item = _setting_item(shipping_item, "a shipping item")
    fee_item = settings.fee_item
    if any(f.amount for f in order.fees):
        fee_item = _setting_item(fee_item, "a fee item")
    out: list[SaleLine] = []
    any_taxable = False
    for line in order.lines:
        taxable = tax.line(line)
        any_taxable = any_taxable or taxable
        item = line_item(line, settings, items, extras)
        code = tax.code(taxable, line.tax, line.amount - line.discount)
        if settings.bundles == "group" and is_bundle(line, settings):  # bundles.py: group + price adjustment
            site = extras.inventory_site if extras is not None else ""
            out.extend(
                group_lines(
                    line,
                    settings,
                    groups,
                    tax_code=code,
                    class_name=klass,
                    inventory_site=site,
                    country=country,
                )
            )
        else:
            out.append(product_line(line, item, line.quantity, line.amount, code, klass, extras))
        if line.discount:
            out.append(
                SaleLine(
                    item=discount_item,
                    description=f"Discount on {line.title}",
                    amount=-line.discount,
                    sales_tax_code=code,
                    class_name=klass,
                )
            )
    for index, discount in enumerate(order.discounts):
        if discount.amount:
            out.append(
                SaleLine(
                    item=discount_items.get(index) or discount_item,
                    description=f"Discount {discount.code}".strip(),
                    amount=-discount.amount,
                    sales_tax_code=tax.code(any_taxable),
                    class_name=klass,
                )
            )
    for index, shipping in enumerate(order.shipping_lines):
        taxable = tax.other(shipping.tax)
        code = tax.code(taxable, shipping.tax, shipping.price - shipping.discount)
        if shipping.price:
            out.append(
                SaleLine(
                    item=shipping_items.get(index) or shipping_item,
                    description=shipping.title,
                    amount=shipping.price,
                    sales_tax_code=code,
                    class_name=klass,
                )
            )
        if shipping.discount:
            out.append(
                SaleLine(
                    item=discount_item,
                    description=f"Shipping discount ({shipping.title})",
                    amount=-shipping.discount,
                    sales_tax_code=code,
                    class_name=klass,
                )
            )
    for fee in order.fees:
        if fee.amount:
            out.append(
                SaleLine(
                    item=fee_item,
                    description=fee.title,
                    amount=fee.amount,
                    sales_tax_code=tax.code(tax.other(fee.tax), fee.tax, fee.amount),
                    class_name=klass,
                )
            )
    subtotal = order.computed_total - order.tax_total
    if subtotal < 0:
        raise OrderNotPostable(
            f"The order's discounts exceed its value (subtotal {subtotal:.2f}); QuickBooks cannot "
            "record a sale with a negative total."
        )
    out.extend(tax.lines())  # the store's tax as a sales tax item's line (see `tax`)
    return tuple(out)
