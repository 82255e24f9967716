"""What a rule is: an ordered list per tenant; each rule is scoped to all channels or some, has conditions
joined by AND or OR and one or more actions (`actions.py`), and can be disabled.

Conditions read fields of the canonical order (`chalicelib.orders.model.Order`) and of its
`OrderContext`: what the channel knows about the order that the canonical model does not carry (the
channel, the store kind, the payment gateways and the custom attributes such as Shopify note attributes or
a location). Text compares case-insensitively; numbers compare as Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.rules.actions import Action

__all__ = [
    "DYNAMIC_FIELDS",
    "MAX_RULES",
    "NUMBER_FIELDS",
    "Condition",
    "Field",
    "Join",
    "Op",
    "OrderContext",
    "Rule",
]

MAX_RULES = 5_000  # Connex's cap; a list past it is refused
MAX_CONDITIONS = 50
MAX_ACTIONS = 50
MAX_VALUES = 1_000  # entries of an "in list" condition


class Field(StrEnum):
    """A field of the canonical order (or its context) a condition can read."""

    CHANNEL = "channel"  # the channel's id (context)
    STORE_KIND = "store_kind"  # shopify, woocommerce, custom_store, shipstation (context)
    ORDER_STATUS = "order_status"
    PAYMENT_STATUS = "payment_status"
    PAYMENT_METHOD = "payment_method"  # any payment's method
    GATEWAY = "gateway"  # any payment gateway (context)
    CURRENCY = "currency"
    TOTAL = "total"
    TAX_TOTAL = "tax_total"
    SHIPPING_TOTAL = "shipping_total"  # shipping prices less shipping discounts
    SHIPPING_METHOD = "shipping_method"  # any shipping line's title
    DISCOUNT_CODE = "discount_code"  # any discount's code
    CUSTOMER_NAME = "customer_name"
    CUSTOMER_COMPANY = "customer_company"
    EMAIL = "email"
    BILLING_NAME = "billing_name"
    BILLING_COMPANY = "billing_company"
    BILLING_STATE = "billing_state"
    BILLING_COUNTRY = "billing_country"
    SHIPPING_NAME = "shipping_name"
    SHIPPING_COMPANY = "shipping_company"
    SHIPPING_STATE = "shipping_state"
    SHIPPING_COUNTRY = "shipping_country"
    TAGS = "tags"  # any tag
    NOTE = "note"
    SOURCE = "source"
    LINE_SKU = "line_sku"  # any line's SKU
    LINE_TITLE = "line_title"  # any line's title
    ATTRIBUTE = "attribute"  # a custom attribute, named by Condition.attribute (context)


NUMBER_FIELDS = frozenset({Field.TOTAL, Field.TAX_TOTAL, Field.SHIPPING_TOTAL})
# Fields an action can change (remove tax, shipping surcharge): a later rule sees the changed value, so the
# compiled rules never index them (see engine.py).
DYNAMIC_FIELDS = frozenset({Field.TOTAL, Field.TAX_TOTAL, Field.SHIPPING_TOTAL, Field.SHIPPING_METHOD})


class Op(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    MATCHES = "matches"  # a regular expression (Python syntax), searched, case-insensitive
    MORE_THAN = "more_than"
    LESS_THAN = "less_than"
    IS_EMPTY = "is_empty"
    IN_LIST = "in_list"


class Join(StrEnum):
    AND = "and"  # every condition holds (no condition: always)
    OR = "or"  # at least one holds (no condition: always)


@dataclass(frozen=True)
class Condition:
    """`field op values`: values as the merchant typed them (validation reads numbers and regexes).
    equals ... matches, more_than and less_than take one value; is_empty none; in_list one or more.
    On a field with several values (tags, lines, payments), the condition holds when any value satisfies
    it; not_equals is the negation of equals (no value equals it)."""

    field: Field
    op: Op
    values: tuple[str, ...] = ()
    attribute: str = ""  # the custom attribute's name, for Field.ATTRIBUTE only


@dataclass(frozen=True)
class Rule:
    rule_id: str
    name: str
    actions: tuple[Action, ...]
    conditions: tuple[Condition, ...] = ()
    join: Join = Join.AND
    enabled: bool = True
    channels: tuple[str, ...] = ()  # channel ids; empty: every channel

    def label(self, index: int) -> str:
        """How problems name the rule: its position and name."""
        return f"rules[{index}] {self.name or self.rule_id!r}"


@dataclass(frozen=True)
class OrderContext:
    """What the channel knows about an order that `Order` does not carry."""

    channel_id: str
    store_kind: str = ""
    gateways: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
