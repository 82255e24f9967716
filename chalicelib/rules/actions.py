"""What a rule does to an order: one frozen dataclass per action, each with its `ActionCode` (the code the
CSV files use, see `csv_io.py`), and `apply_action`, which returns a changed copy of the `Posting` (the
order, the channel settings for this order, and the `PostingExtras` the settings have no field for) with
what it changed. Nothing is mutated.

Where each action lands:

* the order (a later rule's conditions see it): remove tax (taxes zeroed, lines not taxable, the total less
  the tax), shipping surcharge (a shipping line "Shipping surcharge" added and the total raised by it, so
  the order still adds up), order number, order date;
* the settings (`ChannelSettings`, a copy for this order): transaction type, deposit account, A/R account,
  class (the sale's and its lines', as the posting uses `class_name` for both), customer (a named customer
  is `single_customer`; or another matching mode);
* the extras (`PostingExtras`): do not import, memo, PO number, sales rep, terms, price level, inventory
  site, exclude from ShipStation, and per line / shipping line / discount the QuickBooks item a SKU,
  shipping method or discount code maps to and a line's unit of measure (the quantity is multiplied and
  the price divided by the factor, so the amount stays).

Text matches case-insensitively. A later action overwrites what an earlier one set; an action that finds
nothing to change (a SKU no line has, a value already set) changes nothing and is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar

from chalicelib.orders.model import CENT, Order, ShippingLine
from chalicelib.orders.settings import ChannelSettings, CustomerMatching, TransactionType

__all__ = [
    "SURCHARGE_TITLE",
    "Action",
    "ActionCode",
    "AddShippingSurcharge",
    "Change",
    "DateSource",
    "DoNotImport",
    "ExcludeFromShipStation",
    "MapDiscountCode",
    "MapShippingMethod",
    "MapSku",
    "Posting",
    "PostingExtras",
    "RemoveTax",
    "SetArAccount",
    "SetClass",
    "SetCustomer",
    "SetDepositAccount",
    "SetInventorySite",
    "SetMemo",
    "SetOrderDate",
    "SetOrderNumber",
    "SetPoNumber",
    "SetPriceLevel",
    "SetSalesRep",
    "SetTerms",
    "SetTransactionType",
    "SetUnitOfMeasure",
    "SkuMatch",
    "SurchargeKind",
    "UnitOfMeasure",
    "apply_action",
    "render_template",
]

SURCHARGE_TITLE = "Shipping surcharge"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class ActionCode(StrEnum):
    SET_TRANSACTION_TYPE = "SET_TRANSACTION_TYPE"
    SET_DEPOSIT_ACCOUNT = "SET_DEPOSIT_ACCOUNT"
    SET_AR_ACCOUNT = "SET_AR_ACCOUNT"
    SET_CLASS = "SET_CLASS"
    SET_CUSTOMER = "SET_CUSTOMER"
    DO_NOT_IMPORT = "DO_NOT_IMPORT"
    REMOVE_TAX = "REMOVE_TAX"
    MAP_SKU = "MAP_SKU"
    MAP_SHIPPING_METHOD = "MAP_SHIPPING_METHOD"
    MAP_DISCOUNT_CODE = "MAP_DISCOUNT_CODE"
    ADD_SHIPPING_SURCHARGE = "ADD_SHIPPING_SURCHARGE"
    SET_ORDER_NUMBER = "SET_ORDER_NUMBER"
    SET_ORDER_DATE = "SET_ORDER_DATE"
    SET_MEMO = "SET_MEMO"
    SET_PO_NUMBER = "SET_PO_NUMBER"
    SET_SALES_REP = "SET_SALES_REP"
    SET_TERMS = "SET_TERMS"
    SET_PRICE_LEVEL = "SET_PRICE_LEVEL"
    SET_UNIT_OF_MEASURE = "SET_UNIT_OF_MEASURE"
    SET_INVENTORY_SITE = "SET_INVENTORY_SITE"
    EXCLUDE_FROM_SHIPSTATION = "EXCLUDE_FROM_SHIPSTATION"


class SkuMatch(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    REGEX = "regex"  # searched, case-insensitive


class SurchargeKind(StrEnum):
    AMOUNT = "amount"  # a fixed amount in the order's currency
    PERCENT = "percent"  # of the shipping total (prices less shipping discounts)


class DateSource(StrEnum):
    PAYMENT = "payment"  # the first payment's date (no change when no payment is dated)
    DATE = "date"  # a fixed date (the time of day is kept)


# ---------------------------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class SetTransactionType:
    code: ClassVar[ActionCode] = ActionCode.SET_TRANSACTION_TYPE
    transaction_type: TransactionType


@dataclass(frozen=True)
class SetDepositAccount:
    code: ClassVar[ActionCode] = ActionCode.SET_DEPOSIT_ACCOUNT
    account: str


@dataclass(frozen=True)
class SetArAccount:
    code: ClassVar[ActionCode] = ActionCode.SET_AR_ACCOUNT
    account: str


@dataclass(frozen=True)
class SetClass:
    code: ClassVar[ActionCode] = ActionCode.SET_CLASS
    class_name: str


@dataclass(frozen=True)
class SetCustomer:
    """single_customer with `name`: post to that existing customer; another mode: match by it."""

    code: ClassVar[ActionCode] = ActionCode.SET_CUSTOMER
    matching: CustomerMatching
    name: str = ""


@dataclass(frozen=True)
class DoNotImport:
    code: ClassVar[ActionCode] = ActionCode.DO_NOT_IMPORT


@dataclass(frozen=True)
class RemoveTax:
    code: ClassVar[ActionCode] = ActionCode.REMOVE_TAX


class _SkuPattern:
    match: SkuMatch
    sku: str

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(self.sku, re.IGNORECASE)

    def matches(self, sku: str) -> bool:
        if not sku:
            return False
        if self.match is SkuMatch.REGEX:
            return self._regex.search(sku) is not None
        folded, wanted = sku.casefold(), self.sku.casefold()
        return folded == wanted if self.match is SkuMatch.EXACT else folded.startswith(wanted)


@dataclass(frozen=True)
class MapSku(_SkuPattern):
    code: ClassVar[ActionCode] = ActionCode.MAP_SKU
    match: SkuMatch
    sku: str
    item: str  # the QuickBooks item's full name


@dataclass(frozen=True)
class MapShippingMethod:
    code: ClassVar[ActionCode] = ActionCode.MAP_SHIPPING_METHOD
    method: str
    item: str


@dataclass(frozen=True)
class MapDiscountCode:
    code: ClassVar[ActionCode] = ActionCode.MAP_DISCOUNT_CODE
    discount_code: str
    item: str


@dataclass(frozen=True)
class AddShippingSurcharge:
    code: ClassVar[ActionCode] = ActionCode.ADD_SHIPPING_SURCHARGE
    kind: SurchargeKind
    amount: Decimal


@dataclass(frozen=True)
class SetOrderNumber:
    """`template` may use {number} and {id}: "AMZ-{number}"."""

    code: ClassVar[ActionCode] = ActionCode.SET_ORDER_NUMBER
    template: str


@dataclass(frozen=True)
class SetOrderDate:
    code: ClassVar[ActionCode] = ActionCode.SET_ORDER_DATE
    source: DateSource
    day: date | None = None  # with DateSource.DATE


@dataclass(frozen=True)
class SetMemo:
    """`template` may use {number}, {id} and {note}."""

    code: ClassVar[ActionCode] = ActionCode.SET_MEMO
    template: str


@dataclass(frozen=True)
class SetPoNumber:
    """`template` may use {number} and {id}."""

    code: ClassVar[ActionCode] = ActionCode.SET_PO_NUMBER
    template: str


@dataclass(frozen=True)
class SetSalesRep:
    code: ClassVar[ActionCode] = ActionCode.SET_SALES_REP
    sales_rep: str  # the sales rep's initials (SalesRepRef FullName)


@dataclass(frozen=True)
class SetTerms:
    code: ClassVar[ActionCode] = ActionCode.SET_TERMS
    terms: str


@dataclass(frozen=True)
class SetPriceLevel:
    code: ClassVar[ActionCode] = ActionCode.SET_PRICE_LEVEL
    price_level: str


@dataclass(frozen=True)
class SetUnitOfMeasure(_SkuPattern):
    code: ClassVar[ActionCode] = ActionCode.SET_UNIT_OF_MEASURE
    match: SkuMatch
    sku: str
    unit: str
    factor: Decimal  # quantity x factor, price / factor


@dataclass(frozen=True)
class SetInventorySite:
    code: ClassVar[ActionCode] = ActionCode.SET_INVENTORY_SITE
    site: str


@dataclass(frozen=True)
class ExcludeFromShipStation:
    code: ClassVar[ActionCode] = ActionCode.EXCLUDE_FROM_SHIPSTATION


Action = (
    SetTransactionType
    | SetDepositAccount
    | SetArAccount
    | SetClass
    | SetCustomer
    | DoNotImport
    | RemoveTax
    | MapSku
    | MapShippingMethod
    | MapDiscountCode
    | AddShippingSurcharge
    | SetOrderNumber
    | SetOrderDate
    | SetMemo
    | SetPoNumber
    | SetSalesRep
    | SetTerms
    | SetPriceLevel
    | SetUnitOfMeasure
    | SetInventorySite
    | ExcludeFromShipStation
)

# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class UnitOfMeasure:
    unit: str
    factor: Decimal


@dataclass(frozen=True)
class PostingExtras:
    """Per-order choices `ChannelSettings` has no field for (empty: the posting's default)."""

    do_not_import: bool = False
    exclude_from_shipstation: bool = False
    memo: str = ""
    po_number: str = ""
    sales_rep: str = ""
    terms: str = ""
    price_level: str = ""
    inventory_site: str = ""
    line_items: Mapping[str, str] = field(default_factory=dict)  # OrderLine.line_id -> item full name
    line_units: Mapping[str, UnitOfMeasure] = field(default_factory=dict)  # OrderLine.line_id -> U/M
    shipping_items: Mapping[int, str] = field(default_factory=dict)  # index in Order.shipping_lines
    discount_items: Mapping[int, str] = field(default_factory=dict)  # index in Order.discounts


@dataclass(frozen=True)
class Posting:
    """What the rules work on: the order, this order's settings and the extras."""

    order: Order
    settings: ChannelSettings
    extras: PostingExtras = field(default_factory=PostingExtras)


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str


# ---------------------------------------------------------------------------------------------- apply


def render_template(template: str, order: Order) -> str:
    """{number}, {id} and {note} replaced by the order's (validation refuses any other placeholder)."""
    values = {"number": order.number, "id": order.order_id, "note": order.note}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template).strip()


def _set_settings(posting: Posting, what: str, before: str, after: str, **values: Any) -> _Result:
    if before == after:
        return posting, ()
    return replace(posting, settings=replace(posting.settings, **values)), (Change(what, before, after),)


def _set_extra(posting: Posting, name: str, value: object, what: str) -> _Result:
    before = getattr(posting.extras, name)
    if before == value:
        return posting, ()
    return (
        replace(posting, extras=replace(posting.extras, **_fields(name, value))),
        (Change(what, _show(before), _show(value)),),
    )


def _fields(name: str, value: object) -> dict[str, Any]:
    return {name: value}


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


_Result = tuple[Posting, tuple[Change, ...]]


def _map_each(
    posting: Posting, name: str, keys: list[tuple[str | int, str]], value: object, what: str
) -> _Result:
    """Set `extras.<name>[key] = value` for each (key, label) whose current value differs."""
    current: Mapping[str | int, object] = getattr(posting.extras, name)
    changes = []
    updated = dict(current)
    for key, label in keys:
        before = current.get(key)
        if before != value:
            updated[key] = value
            changes.append(Change(f"{what} {label}", "" if before is None else _show(before), _show(value)))
    if not changes:
        return posting, ()
    return replace(posting, extras=replace(posting.extras, **_fields(name, updated))), tuple(changes)


def _remove_tax(posting: Posting) -> _Result:
    order = posting.order
    tax = order.tax_total
    changed = replace(
        order,
        lines=tuple(replace(ln, tax=Decimal(0), taxable=False) for ln in order.lines),
        shipping_lines=tuple(replace(s, tax=Decimal(0)) for s in order.shipping_lines),
        fees=tuple(replace(f, tax=Decimal(0)) for f in order.fees),
        tax_lines=(),
        total=order.total - tax,
    )
    if changed == order:
        return posting, ()
    changes = [Change("tax", f"{tax:.2f}", "removed (lines not taxable)")]
    if tax:
        changes.append(Change("total", f"{order.total:.2f}", f"{changed.total:.2f}"))
    return replace(posting, order=changed), tuple(changes)


def _surcharge(posting: Posting, action: AddShippingSurcharge) -> _Result:
    order = posting.order
    if action.kind is SurchargeKind.AMOUNT:
        amount = action.amount.quantize(CENT, ROUND_HALF_UP)
    else:
        base = sum((s.price - s.discount for s in order.shipping_lines), Decimal(0))
        amount = (base * action.amount / 100).quantize(CENT, ROUND_HALF_UP)
    if amount <= 0:
        return posting, ()
    changed = replace(
        order,
        shipping_lines=(*order.shipping_lines, ShippingLine(title=SURCHARGE_TITLE, price=amount)),
        total=order.total + amount,
    )
    return replace(posting, order=changed), (
        Change("shipping surcharge", "", f"{amount:.2f}"),
        Change("total", f"{order.total:.2f}", f"{changed.total:.2f}"),
    )


def _order_date(posting: Posting, action: SetOrderDate) -> _Result:
    order = posting.order
    if action.source is DateSource.PAYMENT:
        dated = [p.paid_at for p in order.payments if p.paid_at is not None]
        if not dated:
            return posting, ()
        moment = dated[0]
    else:
        assert action.day is not None  # validation
        moment = order.created_at.replace(year=action.day.year, month=action.day.month, day=action.day.day)
    if moment == order.created_at:
        return posting, ()
    return replace(posting, order=replace(order, created_at=moment)), (
        Change("order date", order.created_at.isoformat(), moment.isoformat()),
    )


def _order_number(posting: Posting, action: SetOrderNumber) -> _Result:
    order = posting.order
    number = render_template(action.template, order)
    changes = []
    if number and number != order.number:
        changes.append(Change("order number", order.number, number))
        order = replace(order, number=number)
    settings = posting.settings
    if settings.order_number_source != "number":
        changes.append(Change("order number source", settings.order_number_source, "number"))
        settings = replace(settings, order_number_source="number")
    return Posting(order, settings, posting.extras), tuple(changes)


def apply_action(action: Action, posting: Posting) -> tuple[Posting, tuple[Change, ...]]:
    """The posting after `action` (a validated action), and what changed (empty: nothing)."""
    s = posting.settings
    order = posting.order
    match action:
        case SetTransactionType(transaction_type=value):
            return _set_settings(
                posting, "transaction type", s.transaction_type, value, transaction_type=value
            )
        case SetDepositAccount(account=value):
            accounts = replace(s.accounts, deposit=value)
            return _set_settings(posting, "deposit account", s.accounts.deposit, value, accounts=accounts)
        case SetArAccount(account=value):
            accounts = replace(s.accounts, receivable=value)
            return _set_settings(posting, "A/R account", s.accounts.receivable, value, accounts=accounts)
        case SetClass(class_name=value):
            return _set_settings(posting, "class", s.class_name, value, class_name=value)
        case SetCustomer(matching="single_customer", name=name):
            before = (
                f"single_customer {s.single_customer}"
                if s.customer_matching == "single_customer"
                else s.customer_matching
            )
            return _set_settings(
                posting,
                "customer",
                before,
                f"single_customer {name}",
                customer_matching="single_customer",
                single_customer=name,
            )
        case SetCustomer(matching=mode):
            return _set_settings(
                posting, "customer matching", s.customer_matching, mode, customer_matching=mode
            )
        case DoNotImport():
            return _set_extra(posting, "do_not_import", True, "do not import")
        case ExcludeFromShipStation():
            return _set_extra(posting, "exclude_from_shipstation", True, "exclude from ShipStation")
        case RemoveTax():
            return _remove_tax(posting)
        case MapSku():
            keys: list[tuple[str | int, str]] = [
                (ln.line_id, f"{ln.line_id} ({ln.sku})") for ln in order.lines if action.matches(ln.sku)
            ]
            return _map_each(posting, "line_items", keys, action.item, "item of line")
        case SetUnitOfMeasure():
            keys = [(ln.line_id, f"{ln.line_id} ({ln.sku})") for ln in order.lines if action.matches(ln.sku)]
            unit = UnitOfMeasure(action.unit, action.factor)
            return _map_each(posting, "line_units", keys, unit, "unit of measure of line")
        case MapShippingMethod(method=method, item=item):
            wanted = method.casefold()
            keys = [
                (i, f"{i + 1} ({sl.title})")
                for i, sl in enumerate(order.shipping_lines)
                if sl.title.casefold() == wanted
            ]
            return _map_each(posting, "shipping_items", keys, item, "item of shipping line")
        case MapDiscountCode(discount_code=code, item=item):
            wanted = code.casefold()
            keys = [
                (i, f"{i + 1} ({d.code})")
                for i, d in enumerate(order.discounts)
                if d.code.casefold() == wanted
            ]
            return _map_each(posting, "discount_items", keys, item, "item of discount")
        case AddShippingSurcharge():
            return _surcharge(posting, action)
        case SetOrderNumber():
            return _order_number(posting, action)
        case SetOrderDate():
            return _order_date(posting, action)
        case SetMemo(template=template):
            return _set_extra(posting, "memo", render_template(template, order), "memo")
        case SetPoNumber(template=template):
            return _set_extra(posting, "po_number", render_template(template, order), "PO number")
        case SetSalesRep(sales_rep=value):
            return _set_extra(posting, "sales_rep", value, "sales rep")
        case SetTerms(terms=value):
            return _set_extra(posting, "terms", value, "terms")
        case SetPriceLevel(price_level=value):
            return _set_extra(posting, "price_level", value, "price level")
        case SetInventorySite(site=value):
            return _set_extra(posting, "inventory_site", value, "inventory site")
    raise TypeError(f"not an action: {action!r}")
