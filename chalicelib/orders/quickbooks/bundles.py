"""Store bundles on a QuickBooks sale: as a group item, or as its components (settings.bundles).

A line is a bundle when the settings post bundles ("group" or "components") and the line has `components` or its
SKU is in `settings.bundle_items` (case-insensitive). With "item" (the default) a bundle is one item line, as before.

**group**: `<Kind>LineGroupAdd` (qbXML 13.0 TxnLineGroupCoreAdd: ItemGroupRef, Desc, Quantity, UnitOfMeasure, then
InventorySiteRef) with the bundle's quantity. The group line has no Rate or Amount: QuickBooks adds the group item's
member lines (each member's quantity x the group's) priced at the members' own sales prices (Intuit's ItemGroupAdd:
"items that are grouped together for fast entry"; the 13.0 *LineGroupRet carries the members' *LineRet and the
group's TotalAmount). To keep the store's price, a price-adjustment line follows the group: the store's amount less
what QuickBooks will price the group at (the members' cached sales prices, each member line rounded to the cent as
QuickBooks rounds Quantity x Rate), on `bundle_adjustment_item` (an other-charge item; when it is not set, the discount item takes an adjustment
down, and one up is not postable: QuickBooks' discount items only lower a sale) with the bundle's tax code.
The group's total plus its adjustment is the store's amount, so the sale's total is the store's to the cent. The
members' prices are the company lists' (refresh them after changing prices in QuickBooks; a group or member price
the cache does not know makes the order not postable rather than posting a wrong total). The members keep their
items' own tax codes (a group line has no SalesTaxCodeRef): in CA/UK/AU files, where each line's code sets its
tax, a member whose cached code is not the bundle's makes the order not postable (its tax would not be the
store's); in US files the members are taxed at the header item's rate when their code is taxable, so the group's
items must be as taxable as the bundle (documented; not checked).

**components**: the bundle line becomes one line per component (quantity = the component's per bundle x the
bundle's), so each component's item is matched or created and its stock moves. When the store priced every
component and those prices add up to the bundle's amount, each component line carries its price; otherwise the
whole bundle price goes on the first component counted once per bundle (its price per unit = the bundle's), the
others at zero. The bundle's discount and tax are shared in proportion to the lines' amounts (cents left over on
the last priced line). The first component keeps the bundle's line id (refunds of the bundle land on it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from chalicelib.qbxml.transactions import SaleLine, SaleLineGroup

from ..model import CENT, BundleComponent, Order, OrderLine
from ..settings import ChannelSettings
from .errors import OrderNotPostable

if TYPE_CHECKING:
    from chalicelib.rules.actions import PostingExtras

__all__ = [
    "GroupItem",
    "GroupMember",
    "expand_components",
    "group_lines",
    "group_name",
    "is_bundle",
]


@dataclass(frozen=True)
class GroupMember:
    """One ItemGroupLine of a group item as cached: its item, quantity per group, and the item's sales price."""

    item: str
    quantity: Decimal
    price: Decimal | None
    tax_code: str | None = None  # the item's SalesTaxCodeRef as cached (None: not known)


@dataclass(frozen=True)
class GroupItem:
    name: str
    members: tuple[GroupMember, ...]

    def total(self, quantity: Decimal) -> Decimal | None:
        """What QuickBooks prices `quantity` groups at: each member line Quantity x Rate, rounded to the cent."""
        total = Decimal(0)
        for member in self.members:
            if member.price is None:
                return None
            total += (member.quantity * quantity * member.price).quantize(CENT, ROUND_HALF_UP)
        return total


def _bundle_item(line: OrderLine, settings: ChannelSettings) -> str | None:
    wanted = line.sku.casefold()
    return (
        next((v for k, v in settings.bundle_items.items() if k.casefold() == wanted), None)
        if wanted
        else None
    )


def is_bundle(line: OrderLine, settings: ChannelSettings) -> bool:
    """Whether the settings post `line` as a bundle (a group or its components)."""
    if settings.bundles == "item":
        return False
    return bool(line.components) or _bundle_item(line, settings) is not None


def group_name(line: OrderLine, settings: ChannelSettings) -> str:
    """The group item of a bundle line: `bundle_items`' for its SKU, else the SKU itself."""
    name = _bundle_item(line, settings) or line.sku
    if not name:
        raise OrderNotPostable(
            f"Bundle line {line.line_id} ({line.title!r}) has no SKU to find its QuickBooks group item by; "
            "map it in the channel settings (bundle_items)."
        )
    return name


def group_lines(
    line: OrderLine,
    settings: ChannelSettings,
    groups: Mapping[str, GroupItem] | None,
    *,
    tax_code: str,
    class_name: str,
    inventory_site: str = "",
    country: str = "US",
) -> list[SaleLine]:
    """The group line of a bundle and the price-adjustment line that makes it the store's amount (none when
    QuickBooks' price is already the store's). `groups`: the cached group items by folded name."""
    name = group_name(line, settings)
    group = (groups or {}).get(name.casefold())
    if group is None:
        raise OrderNotPostable(
            f"Bundle line {line.line_id} ({line.title!r}) maps to the group item {name!r}, which is not a group "
            "item in the company's lists: create it in QuickBooks (Lists > Item List > New > Group) and refresh "
            "the company lists, or map the SKU in bundle_items."
        )
    quoted = group.total(line.quantity)
    if quoted is None:
        raise OrderNotPostable(
            f"The group item {group.name!r} has a member whose price Ledgerbridge does not know, so the store's "
            "price of the bundle cannot be kept: refresh the company lists, or post bundles as components."
        )
    if country != "US" and tax_code:
        others = sorted(
            {m.item for m in group.members if m.tax_code and m.tax_code.casefold() != tax_code.casefold()}
        )
        if others:
            raise OrderNotPostable(
                f"The group item {group.name!r} has members taxed with another code than the bundle's {tax_code!r} "
                f"({', '.join(others)}): QuickBooks taxes a group's lines with their items' codes, so its tax would "
                "not be the store's. Give those items that code in QuickBooks, or post bundles as components."
            )
    out: list[SaleLine] = [
        SaleLineGroup(
            item=group.name,
            description=line.title,
            quantity=line.quantity,
            inventory_site=inventory_site,
        )
    ]
    adjustment = line.amount - quoted
    if adjustment:
        item = settings.bundle_adjustment_item or (settings.discount_item if adjustment < 0 else "")
        if not item.strip():
            raise OrderNotPostable(
                f"Bundle line {line.line_id} ({line.title!r}) costs more in the store than QuickBooks prices the group "
                f"{group.name!r} at, and a discount item cannot raise a price: choose an other-charge item for bundle "
                "price adjustments in the channel settings (bundle_adjustment_item)."
            )
        out.append(
            SaleLine(
                item=item,
                description=f"Bundle price adjustment ({line.title})",
                amount=adjustment,
                sales_tax_code=tax_code,
                class_name=class_name,
            )
        )
    return out


def _shares(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` split in proportion to `weights` to the cent; the cents left over go to the last weighted share
    (all of it to the first when no weight is positive)."""
    whole = sum(weights, Decimal(0))
    if not total or not whole:  # nothing to share, or nothing priced: all of it on the first line
        return [total if i == 0 else Decimal(0) for i in range(len(weights))]
    shares = [(total * w / whole).quantize(CENT, ROUND_HALF_UP) for w in weights]
    last = max(i for i, w in enumerate(weights) if w)
    shares[last] += total - sum(shares, Decimal(0))
    return shares


def _priced_by_store(line: OrderLine) -> bool:
    prices = [c.unit_price for c in line.components]
    if any(p is None for p in prices):
        return False
    amounts = [(c.quantity * line.quantity * (c.unit_price or 0)).quantize(CENT) for c in line.components]
    return sum(amounts, Decimal(0)) == line.amount


def _component_lines(line: OrderLine) -> list[OrderLine]:
    components: Sequence[BundleComponent] = line.components
    if not components:
        raise OrderNotPostable(
            f"Bundle line {line.line_id} ({line.title!r}) has no components; bundles posted as components need the "
            "store's components (or post bundles as groups)."
        )
    if _priced_by_store(line):
        prices = [c.unit_price or Decimal(0) for c in components]
    else:
        first = next((i for i, c in enumerate(components) if c.quantity == 1), None)
        if first is None:
            raise OrderNotPostable(
                f"Bundle line {line.line_id} ({line.title!r}) has no component counted once per bundle to carry "
                "the bundle's price: price the components in the store, or post bundles as groups."
            )
        prices = [line.unit_price if i == first else Decimal(0) for i in range(len(components))]
    lines = [
        OrderLine(
            line_id=line.line_id if i == 0 else f"{line.line_id}.{i + 1}",
            sku=c.sku,
            title=c.title or c.sku,
            quantity=c.quantity * line.quantity,
            unit_price=price,
            taxable=line.taxable,
        )
        for i, (c, price) in enumerate(zip(components, prices, strict=True))
    ]
    weights = [ln.amount for ln in lines]
    discounts = _shares(line.discount, weights)
    taxes = _shares(line.tax, weights)
    return [replace(ln, discount=d, tax=t) for ln, d, t in zip(lines, discounts, taxes, strict=True)]


def expand_components(order: Order, settings: ChannelSettings, extras: PostingExtras | None) -> Order:
    """The order with each bundle line replaced by its component lines when the settings post bundles as
    components (else the order itself). A rule's item or unit for a bundle line does not carry to its
    components (they are other products): refused as not postable rather than guessed."""
    if settings.bundles != "components" or not any(is_bundle(ln, settings) for ln in order.lines):
        return order
    lines: list[OrderLine] = []
    for line in order.lines:
        if not is_bundle(line, settings):
            lines.append(line)
            continue
        if extras is not None and (line.line_id in extras.line_items or line.line_id in extras.line_units):
            raise OrderNotPostable(
                f"A rule maps bundle line {line.line_id} ({line.sku}) to an item or unit, but bundles are posted "
                "as their components: change the rule to match the components' SKUs."
            )
        lines.extend(_component_lines(line))
    return replace(order, lines=tuple(lines))
