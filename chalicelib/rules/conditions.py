"""Conditions: reading a field of the order (and its context), checking a condition's shape, and turning a
valid condition into a predicate.

Text compares case-insensitively (`str.casefold`); `matches` searches a Python regular expression with
IGNORECASE. Numbers (total, tax total, shipping total; a custom attribute compared with more_than or
less_than) compare as Decimal; an attribute that is not a number satisfies no numeric comparison. On a field
with several values (tags, lines, payments, shipping lines, discounts, gateways) a condition holds when any
value satisfies it; not_equals is "no value equals"; is_empty is "no value that is not empty".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from chalicelib.orders.model import Order
from chalicelib.rules.model import MAX_VALUES, NUMBER_FIELDS, Condition, Field, Op, OrderContext
from chalicelib.validation import text_problem

__all__ = ["Predicate", "compile_condition", "condition_problems", "number_value", "text_values"]

Predicate = Callable[[Order, OrderContext], bool]

MAX_VALUE_CHARS = 500
MAX_REGEX_CHARS = 200
MAX_NUMBER_CHARS = 20
ONE_VALUE = frozenset(
    {
        Op.EQUALS,
        Op.NOT_EQUALS,
        Op.CONTAINS,
        Op.STARTS_WITH,
        Op.ENDS_WITH,
        Op.MATCHES,
        Op.MORE_THAN,
        Op.LESS_THAN,
    }
)
NUMERIC_OPS = frozenset({Op.MORE_THAN, Op.LESS_THAN})
TEXT_ONLY_OPS = frozenset({Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH, Op.MATCHES, Op.IS_EMPTY})


_Reader = Callable[[Order, OrderContext, str], tuple[str, ...]]


def _attribute(order: Order, ctx: OrderContext, name: str) -> tuple[str, ...]:
    wanted = name.casefold()
    return tuple(v for k, v in ctx.attributes.items() if k.casefold() == wanted)


_READERS: dict[Field, _Reader] = {
    Field.CHANNEL: lambda o, x, a: (x.channel_id,),
    Field.STORE_KIND: lambda o, x, a: (x.store_kind,),
    Field.ORDER_STATUS: lambda o, x, a: (o.status,),
    Field.PAYMENT_STATUS: lambda o, x, a: (o.payment_status,),
    Field.PAYMENT_METHOD: lambda o, x, a: tuple(p.method for p in o.payments),
    Field.GATEWAY: lambda o, x, a: x.gateways,
    Field.CURRENCY: lambda o, x, a: (o.currency,),
    Field.TOTAL: lambda o, x, a: (f"{number_value(Field.TOTAL, o):.2f}",),
    Field.TAX_TOTAL: lambda o, x, a: (f"{number_value(Field.TAX_TOTAL, o):.2f}",),
    Field.SHIPPING_TOTAL: lambda o, x, a: (f"{number_value(Field.SHIPPING_TOTAL, o):.2f}",),
    Field.SHIPPING_METHOD: lambda o, x, a: tuple(s.title for s in o.shipping_lines),
    Field.DISCOUNT_CODE: lambda o, x, a: tuple(d.code for d in o.discounts),
    Field.CUSTOMER_NAME: lambda o, x, a: (o.customer.full_name,),
    Field.CUSTOMER_COMPANY: lambda o, x, a: (o.customer.company,),
    Field.EMAIL: lambda o, x, a: (o.customer.email,),
    Field.BILLING_NAME: lambda o, x, a: (o.billing_address.name,),
    Field.BILLING_COMPANY: lambda o, x, a: (o.billing_address.company,),
    Field.BILLING_STATE: lambda o, x, a: (o.billing_address.state,),
    Field.BILLING_COUNTRY: lambda o, x, a: (o.billing_address.country,),
    Field.SHIPPING_NAME: lambda o, x, a: (o.shipping_address.name,),
    Field.SHIPPING_COMPANY: lambda o, x, a: (o.shipping_address.company,),
    Field.SHIPPING_STATE: lambda o, x, a: (o.shipping_address.state,),
    Field.SHIPPING_COUNTRY: lambda o, x, a: (o.shipping_address.country,),
    Field.TAGS: lambda o, x, a: o.tags,
    Field.NOTE: lambda o, x, a: (o.note,),
    Field.SOURCE: lambda o, x, a: (o.source,),
    Field.LINE_SKU: lambda o, x, a: tuple(ln.sku for ln in o.lines),
    Field.LINE_TITLE: lambda o, x, a: tuple(ln.title for ln in o.lines),
    Field.ATTRIBUTE: _attribute,
}


def text_values(field: Field, attribute: str, order: Order, ctx: OrderContext) -> tuple[str, ...]:
    """The field's text values (numbers as "12.50")."""
    return _READERS[field](order, ctx, attribute)


def number_value(field: Field, order: Order) -> Decimal:
    if field is Field.TOTAL:
        return order.total
    if field is Field.TAX_TOTAL:
        return order.tax_total
    if field is Field.SHIPPING_TOTAL:
        return sum((s.price - s.discount for s in order.shipping_lines), Decimal(0))
    raise ValueError(f"{field} is not a number field")


def _number(text: str) -> Decimal | None:
    if len(text) > MAX_NUMBER_CHARS:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def condition_problems(c: Condition) -> dict[str, str]:
    """What is wrong with the condition, by its part (field, attribute, op, values[i]); empty when valid."""
    problems: dict[str, str] = {}
    if not isinstance(c.field, Field):
        return {"field": f"must be one of {', '.join(Field)}"}
    if not isinstance(c.op, Op):
        return {"op": f"must be one of {', '.join(Op)}"}
    if c.field is Field.ATTRIBUTE:
        if not c.attribute.strip():
            problems["attribute"] = "must name the custom attribute"
        elif len(c.attribute) > 100 or text_problem(c.attribute) or "]" in c.attribute:
            problems["attribute"] = "must be at most 100 characters, without control characters or ']'"
        elif c.attribute != c.attribute.strip():
            problems["attribute"] = "must not start or end with spaces"
    elif c.attribute:
        problems["attribute"] = "is only for the attribute field"
    number_field = c.field in NUMBER_FIELDS
    if number_field and c.op in TEXT_ONLY_OPS:
        problems["op"] = f"{c.op} does not apply to the number field {c.field}"
    if c.op in NUMERIC_OPS and not number_field and c.field is not Field.ATTRIBUTE:
        problems["op"] = f"{c.op} applies to numbers only (total, tax_total, shipping_total, attribute)"
    if problems:
        return problems
    count = len(c.values)
    if c.op is Op.IS_EMPTY and count:
        return {"values": "is_empty takes no value"}
    if c.op in ONE_VALUE and count != 1:
        return {"values": f"{c.op} takes exactly one value"}
    if c.op is Op.IN_LIST and not 1 <= count <= MAX_VALUES:
        return {"values": f"in_list takes 1 to {MAX_VALUES} values"}
    numeric = number_field or c.op in NUMERIC_OPS
    for i, value in enumerate(c.values):
        where = "values" if count == 1 else f"values[{i}]"
        if not isinstance(value, str) or not value.strip():
            problems[where] = "must not be empty (use is_empty for empty fields)"
        elif value != value.strip():
            problems[where] = "must not start or end with spaces"
        elif len(value) > MAX_VALUE_CHARS:
            problems[where] = f"must be at most {MAX_VALUE_CHARS} characters"
        elif (problem := text_problem(value)) is not None:
            problems[where] = problem
        elif numeric and _number(value) is None:
            problems[where] = "must be a number such as 100.00"
        elif c.op is Op.MATCHES:
            if len(value) > MAX_REGEX_CHARS:
                problems[where] = f"must be a regular expression of at most {MAX_REGEX_CHARS} characters"
            else:
                try:
                    re.compile(value, re.IGNORECASE)
                except re.error as e:
                    problems[where] = f"is not a valid regular expression: {e}"
    return problems


def compile_condition(c: Condition) -> Predicate:
    """The predicate of a valid condition (see `condition_problems`)."""
    field, attribute, op = c.field, c.attribute, c.op
    if field in NUMBER_FIELDS:
        numbers = tuple(_number(v) for v in c.values)
        return _numeric(op, numbers, lambda o, x: (number_value(field, o),))
    if op in NUMERIC_OPS:
        limits = tuple(_number(v) for v in c.values)

        def attribute_numbers(order: Order, ctx: OrderContext) -> tuple[Decimal, ...]:
            found = (_number(v) for v in text_values(field, attribute, order, ctx))
            return tuple(n for n in found if n is not None)

        return _numeric(op, limits, attribute_numbers)

    def values(order: Order, ctx: OrderContext) -> tuple[str, ...]:
        return tuple(v.casefold() for v in text_values(field, attribute, order, ctx))

    wanted = tuple(v.casefold() for v in c.values)
    first = wanted[0] if wanted else ""
    match op:
        case Op.EQUALS:
            return lambda o, x: first in values(o, x)
        case Op.NOT_EQUALS:
            return lambda o, x: first not in values(o, x)
        case Op.IN_LIST:
            members = frozenset(wanted)
            return lambda o, x: any(v in members for v in values(o, x))
        case Op.CONTAINS:
            return lambda o, x: any(first in v for v in values(o, x))
        case Op.STARTS_WITH:
            return lambda o, x: any(v.startswith(first) for v in values(o, x))
        case Op.ENDS_WITH:
            return lambda o, x: any(v.endswith(first) for v in values(o, x))
        case Op.MATCHES:
            pattern = re.compile(c.values[0], re.IGNORECASE)
            return lambda o, x: any(pattern.search(v) for v in text_values(field, attribute, o, x))
        case Op.IS_EMPTY:
            return lambda o, x: not any(v.strip() for v in text_values(field, attribute, o, x))
    raise ValueError(f"{op} does not apply to {field}")


def _numeric(
    op: Op, limits: tuple[Decimal | None, ...], read: Callable[[Order, OrderContext], tuple[Decimal, ...]]
) -> Predicate:
    given = tuple(n for n in limits if n is not None)
    first = given[0] if given else Decimal(0)
    match op:
        case Op.EQUALS:
            return lambda o, x: any(n == first for n in read(o, x))
        case Op.NOT_EQUALS:
            return lambda o, x: not any(n == first for n in read(o, x))
        case Op.IN_LIST:
            return lambda o, x: any(n in given for n in read(o, x))
        case Op.MORE_THAN:
            return lambda o, x: any(n > first for n in read(o, x))
        case Op.LESS_THAN:
            return lambda o, x: any(n < first for n in read(o, x))
    raise ValueError(f"{op} does not apply to numbers")
