"""Each condition on its own: fields, comparisons, case, numbers; and validation naming rule and field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.rules import (
    Condition,
    Field,
    Join,
    Op,
    OrderContext,
    Rule,
    RulesInvalid,
    SetClass,
    validate_rules,
)
from chalicelib.rules.conditions import compile_condition, condition_problems, text_values
from tests.unit.rules.helpers import CTX, order


def holds(
    field: Field, op: Op, *values: str, attribute: str = "", ctx: OrderContext = CTX, **changes: object
) -> bool:
    c = Condition(field, op, values, attribute)
    assert condition_problems(c) == {}, condition_problems(c)
    return compile_condition(c)(order(**changes), ctx)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Field.CHANNEL, "SHOP-1"),
        (Field.STORE_KIND, "Shopify"),
        (Field.ORDER_STATUS, "OPEN"),
        (Field.PAYMENT_STATUS, "paid"),
        (Field.PAYMENT_METHOD, "paypal"),
        (Field.GATEWAY, "PayPal"),
        (Field.CURRENCY, "usd"),
        (Field.SHIPPING_METHOD, "ups ground"),
        (Field.DISCOUNT_CODE, "save5"),
        (Field.CUSTOMER_NAME, "ada lovelace"),
        (Field.CUSTOMER_COMPANY, "ENGINES LTD"),
        (Field.EMAIL, "ada@example.com"),
        (Field.BILLING_NAME, "Ada Lovelace"),
        (Field.BILLING_COMPANY, "engines ltd"),
        (Field.BILLING_STATE, "ca"),
        (Field.BILLING_COUNTRY, "us"),
        (Field.SHIPPING_NAME, "charles babbage"),
        (Field.SHIPPING_STATE, "ny"),
        (Field.SHIPPING_COUNTRY, "US"),
        (Field.TAGS, "vip"),
        (Field.NOTE, "leave at the door"),
        (Field.SOURCE, "WEB"),
        (Field.LINE_SKU, "box-12"),
        (Field.LINE_TITLE, "red widget"),
    ],
)
def test_equals_reads_the_field_case_insensitively(field: Field, value: str) -> None:
    assert holds(field, Op.EQUALS, value)
    assert not holds(field, Op.NOT_EQUALS, value)
    assert not holds(field, Op.EQUALS, value + "x")
    assert holds(field, Op.IN_LIST, "nothing", value)
    assert holds(field, Op.STARTS_WITH, value[:2])
    assert holds(field, Op.ENDS_WITH, value[-2:])
    assert holds(field, Op.CONTAINS, value[1:-1] or value)
    assert not holds(field, Op.IS_EMPTY)


def test_text_comparisons() -> None:
    assert holds(Field.NOTE, Op.CONTAINS, "AT THE")
    assert not holds(Field.NOTE, Op.CONTAINS, "window")
    assert holds(Field.EMAIL, Op.MATCHES, r"@example\.com$")
    assert not holds(Field.EMAIL, Op.MATCHES, r"^bob@")
    assert holds(Field.SHIPPING_COMPANY, Op.IS_EMPTY)
    assert holds(Field.NOTE, Op.IS_EMPTY, note="   ")
    assert holds(Field.TAGS, Op.IS_EMPTY, tags=())
    assert not holds(Field.TAGS, Op.NOT_EQUALS, "WHOLESALE")  # no tag equals it: false
    assert holds(Field.TAGS, Op.NOT_EQUALS, "retail")


def test_numbers_compare_as_decimals() -> None:
    total = order().total
    assert total == Decimal("50.52")
    assert holds(Field.TOTAL, Op.EQUALS, "50.520")
    assert holds(Field.TOTAL, Op.MORE_THAN, "50.5")
    assert not holds(Field.TOTAL, Op.MORE_THAN, "50.52")
    assert holds(Field.TOTAL, Op.LESS_THAN, "100")
    assert holds(Field.TAX_TOTAL, Op.IN_LIST, "1", "3.52")
    assert holds(Field.SHIPPING_TOTAL, Op.EQUALS, "8")
    assert holds(Field.TOTAL, Op.NOT_EQUALS, "50.53")


def test_custom_attributes_by_name_as_text_or_number() -> None:
    assert holds(Field.ATTRIBUTE, Op.EQUALS, "warehouse 2", attribute="location")
    assert not holds(Field.ATTRIBUTE, Op.EQUALS, "warehouse 2", attribute="weight")
    assert holds(Field.ATTRIBUTE, Op.MORE_THAN, "12", attribute="WEIGHT")
    assert not holds(Field.ATTRIBUTE, Op.MORE_THAN, "1", attribute="location")  # not a number: no
    assert holds(Field.ATTRIBUTE, Op.IS_EMPTY, attribute="gift message")


def test_any_line_or_payment_satisfies() -> None:
    assert holds(Field.LINE_SKU, Op.STARTS_WITH, "widget")
    assert not holds(Field.PAYMENT_METHOD, Op.EQUALS, "stripe")
    assert holds(Field.PAYMENT_METHOD, Op.IS_EMPTY, payments=())


@given(st.text(min_size=1, max_size=20).filter(lambda t: t.strip() == t and t.isprintable()))
def test_equals_matches_the_value_itself_in_any_case(value: str) -> None:
    ctx = OrderContext("c", attributes={"k": value})
    assert holds(
        Field.ATTRIBUTE,
        Op.EQUALS,
        value.upper() if value.upper().casefold() == value.casefold() else value,
        attribute="k",
        ctx=ctx,
    )
    assert holds(Field.ATTRIBUTE, Op.IN_LIST, value, attribute="k", ctx=ctx)
    assert text_values(Field.ATTRIBUTE, "K", order(), ctx) == (value,)


@pytest.mark.parametrize(
    ("condition", "where", "message"),
    [
        (Condition(Field.TOTAL, Op.MORE_THAN, ("lots",)), "conditions[0].values", "must be a number"),
        (
            Condition(Field.EMAIL, Op.MATCHES, ("([a-z",)),
            "conditions[0].values",
            "not a valid regular expression",
        ),
        (Condition(Field.EMAIL, Op.MORE_THAN, ("5",)), "conditions[0].op", "numbers only"),
        (Condition(Field.TOTAL, Op.CONTAINS, ("5",)), "conditions[0].op", "does not apply"),
        (Condition(Field.EMAIL, Op.EQUALS, ()), "conditions[0].values", "exactly one value"),
        (Condition(Field.EMAIL, Op.IS_EMPTY, ("x",)), "conditions[0].values", "no value"),
        (Condition(Field.TAGS, Op.IN_LIST, ("a", "")), "conditions[0].values[1]", "must not be empty"),
        (Condition(Field.ATTRIBUTE, Op.EQUALS, ("x",)), "conditions[0].attribute", "must name"),
        (Condition("colour", Op.EQUALS, ("x",)), "conditions[0].field", "must be one of"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_condition_is_refused_naming_the_rule_and_the_field(
    condition: Condition, where: str, message: str
) -> None:
    rules = [
        Rule("ok", "Fine", (SetClass("A"),)),
        Rule(
            "bad", "Amazon class", (SetClass("B"),), (Condition(Field.CHANNEL, Op.EQUALS, ("x",)),), Join.OR
        ),
    ]
    rules[1] = Rule("bad", "Amazon class", (SetClass("B"),), (condition,))
    with pytest.raises(RulesInvalid) as caught:
        validate_rules(rules)
    problems = caught.value.problems
    assert list(problems) == [f"rules[1] 'Amazon class' {where}"], problems
    assert message in problems[f"rules[1] 'Amazon class' {where}"]
