"""The rules engine's per-order choices (`chalicelib.rules.PostingExtras`) on the documents of a sale.

Where each extra goes (qbXML 13.0, qbxml130.xsd; limits from Intuit's annotated 13.0 catalogue):

* memo: the sale's Memo (replacing "Order <number>"; the number stays in RefNumber and ExternalGUID
  finds the sale). A credit memo keeps its own "Refund of ..." memo.
* PO number: PONumber of InvoiceAdd, SalesOrderAdd and CreditMemoAdd (25 characters). SalesReceiptAdd
  has no PONumber: OrderNotPostable.
* terms: TermsRef of InvoiceAdd and SalesOrderAdd (31). SalesReceiptAdd has no TermsRef:
  OrderNotPostable. Credit memos are not given terms.
* sales rep: SalesRepRef (the rep's initials, 5) of every sale document and credit memo.
* price level: PriceLevelRef of each product line (31). The schema lets a line have a Rate *or* a
  PriceLevelRef, so such a line carries its Amount: the store's amount stands and the level is recorded.
* inventory site: InventorySiteRef of each product line (31); "not in QBAU", so an Australian file
  gets OrderNotPostable. Shipping, discount and fee lines are charges with no stock: no site.
* unit of measure per line: UnitOfMeasure; the quantity is multiplied by the factor and the price
  divided by it (Rate when that is exact to QuickBooks' five decimals, else the Amount), so the
  amount is unchanged.
* the channel settings (`with_settings`): `price_level` for every product line, `units_of_measure` per SKU (the
  store's quantity is in that unit: factor 1, QuickBooks converts to the item's base unit) and `inventory_sites` per
  store location (`Order.location`, else its "location" attribute) fill what the rules left empty: a rule's choice
  for the order or the line wins over the settings'.
* item per line / shipping line / order discount: that line's ItemRef (159) instead of the matched
  or settings item.
* exclude from ShipStation is for the outbound direction and do-not-import means no posting at all:
  neither has a place in a request, and building a request for a do-not-import order is a ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.qbxml.text import ITEM_FULL_NAME, PO_NUMBER, is_quickbooks_text, to_quickbooks_text
from chalicelib.qbxml.transactions import SALES_REP_NAME, SHORT_LIST_NAME

from ..model import Order
from ..settings import ChannelSettings
from .errors import OrderNotPostable

if TYPE_CHECKING:
    from chalicelib.rules.actions import PostingExtras, UnitOfMeasure

__all__ = [
    "HeaderExtras",
    "check_extras",
    "header_extras",
    "line_choices",
    "line_units",
    "order_site",
    "with_settings",
]
_QUANTITY_STEP = Decimal("0.00001")  # QUANTYPE and PRICETYPE: five decimals
_TOO_LARGE = Decimal("1E10")


@dataclass(frozen=True)
class HeaderExtras:
    """What a document's header carries: the memo and PO number (the extras' or the defaults) and the
    terms and sales rep (empty: none)."""

    memo: str
    po_number: str
    terms: str = ""
    sales_rep: str = ""


def _too_long(what: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise OrderNotPostable(
            f"The {what} {value!r} set by a rule is longer than the {limit} characters QuickBooks "
            "allows; shorten it in the rule."
        )


def check_extras(extras: PostingExtras | None, document: str, country: str) -> None:
    """Raise OrderNotPostable when an extra that is set has no place in `document` ("sales_receipt",
    "invoice", "sales_order" or "credit_memo") for the company's `country`, or is longer than
    QuickBooks allows; ValueError for a do-not-import order."""
    if extras is None:
        return
    if extras.do_not_import:
        raise ValueError("a do-not-import order must not be posted")
    if document == "sales_receipt":
        for what, value, instead in (
            ("PO number", extras.po_number, "a PO number"),
            ("terms", extras.terms, "terms"),
        ):
            if value:
                raise OrderNotPostable(
                    f"A rule sets the {what} {value!r}, but QuickBooks sales receipts have no {instead}. "
                    "Post the channel's orders as invoices or sales orders, or remove it from the rule."
                )
    if extras.inventory_site and country == "AU":
        raise OrderNotPostable(
            f"A rule sets the inventory site {extras.inventory_site!r}, but Australian QuickBooks has no "
            "inventory sites; remove it from the rule."
        )
    _too_long("sales rep", extras.sales_rep, SALES_REP_NAME)
    _too_long("terms", extras.terms, SHORT_LIST_NAME)
    _too_long("price level", extras.price_level, SHORT_LIST_NAME)
    _too_long("inventory site", extras.inventory_site, SHORT_LIST_NAME)
    for unit in extras.line_units.values():
        _too_long("unit of measure", unit.unit, SHORT_LIST_NAME)
        if not is_quickbooks_text(unit.unit, SHORT_LIST_NAME):
            raise OrderNotPostable(
                f"The unit of measure {unit.unit!r} set by a rule has characters QuickBooks cannot "
                "store; use the unit's name as QuickBooks shows it."
            )
        if unit.factor <= 0:
            raise OrderNotPostable(
                f"The unit of measure {unit.unit!r} set by a rule has the factor {unit.factor}; "
                "it must be more than zero."
            )
    for mapping in (extras.line_items, extras.shipping_items, extras.discount_items):
        for item in mapping.values():
            _too_long("item", item, ITEM_FULL_NAME)
    _po_number(extras)


def _po_number(extras: PostingExtras) -> str:
    if not extras.po_number:
        return ""
    reduced = to_quickbooks_text(extras.po_number, 1000)
    _too_long("PO number", reduced, PO_NUMBER)
    return reduced


def header_extras(extras: PostingExtras | None, document: str, *, memo: str, po_number: str) -> HeaderExtras:
    """The header of `document` with the extras in their places (`memo` and `po_number` are the
    defaults; a sales receipt has no PO number, a credit memo keeps its memo and has no terms)."""
    if extras is None:
        return HeaderExtras(memo, po_number)
    return HeaderExtras(
        memo=extras.memo if extras.memo and document != "credit_memo" else memo,
        po_number=_po_number(extras) or po_number,
        terms=extras.terms if document in ("invoice", "sales_order") else "",
        sales_rep=extras.sales_rep,
    )


def line_units(
    unit: UnitOfMeasure, line_id: str, quantity: Decimal, price: Decimal
) -> tuple[Decimal, Decimal | None]:
    """(quantity x factor, price / factor) for a line counted in `unit`; the price is None when the
    division is not exact to five decimals (the line then carries its amount). OrderNotPostable when
    the quantity has more than five decimals or is too large for QuickBooks."""
    counted = quantity * unit.factor
    if abs(counted) >= _TOO_LARGE or counted != counted.quantize(_QUANTITY_STEP):
        raise OrderNotPostable(
            f"Line {line_id}'s quantity {quantity} in {unit.unit!r} (x {unit.factor}) is {counted}, "
            "which QuickBooks cannot store (five decimals at most, under ten billion); change the rule's "
            "factor."
        )
    rate = price / unit.factor
    exact = abs(rate) < _TOO_LARGE and rate == rate.quantize(_QUANTITY_STEP)
    return counted, rate if exact else None


def _folded_get(mapping: Mapping[str, str], key: str) -> str:
    wanted = key.casefold()
    return next((v for k, v in mapping.items() if k.casefold() == wanted), "") if wanted else ""


def order_site(order: Order, settings: ChannelSettings) -> str:
    """The inventory site of the order's store location (`inventory_sites`; "" when none is mapped)."""
    location = order.location or order.attributes.get("location", "")
    return _folded_get(settings.inventory_sites, location)


def with_settings(
    order: Order, settings: ChannelSettings, extras: PostingExtras | None
) -> PostingExtras | None:
    """`extras` with the settings' price level, units of measure and inventory site where the rules set none
    (None stays None when the settings set nothing either)."""
    from chalicelib.rules.actions import PostingExtras, UnitOfMeasure

    site = order_site(order, settings)
    units = {
        ln.line_id: UnitOfMeasure(unit, Decimal(1))
        for ln in order.lines
        if (unit := _folded_get(settings.units_of_measure, ln.sku))
    }
    if not (settings.price_level or site or units):
        return extras
    base = extras if extras is not None else PostingExtras()
    return replace(
        base,
        price_level=base.price_level or settings.price_level,
        inventory_site=base.inventory_site or site,
        line_units={**units, **base.line_units},
    )


def line_choices(
    order: Order, settings: ChannelSettings, extras: PostingExtras | None
) -> tuple[Order, PostingExtras | None]:
    """The order and extras a posting builds from, after the rules: bundles expanded when the settings post
    them as components (`bundles`), then the settings' price level, units and site where the rules set none."""
    from .bundles import expand_components

    order = expand_components(order, settings, extras)
    return order, with_settings(order, settings, extras)
