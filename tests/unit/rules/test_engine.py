"""Rules top-down: scope, AND/OR, later rules seeing earlier changes, do-not-import, the trace; and the
compiled (indexed) evaluation equal to the plain one on generated rules and orders."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.orders.model import Order
from chalicelib.rules import (
    Condition,
    DoNotImport,
    Field,
    Join,
    MapSku,
    Op,
    OrderContext,
    Outcome,
    RemoveTax,
    Rule,
    SetClass,
    SetDepositAccount,
    SkuMatch,
    apply_rules,
    compile_rules,
)
from tests.unit.rules.helpers import CTX, SETTINGS, order
from tests.unit.rules.strategies import contexts, orders, rule_lists

PAYPAL = Condition(Field.PAYMENT_METHOD, Op.EQUALS, ("paypal",))


def both(rules: list[Rule], o: Order, ctx: OrderContext = CTX) -> Outcome:
    plain = apply_rules(rules, o, SETTINGS, ctx)
    assert compile_rules(rules).apply(o, SETTINGS, ctx) == plain
    return plain


def test_deposit_account_by_payment_method_records_the_rule_and_the_change() -> None:
    rules = [Rule("r1", "PayPal deposits", (SetDepositAccount("PayPal Clearing"),), (PAYPAL,))]
    out = both(rules, order())
    assert out.settings.accounts.deposit == "PayPal Clearing" and out.rule_ids == ("r1",)
    [applied] = out.applied
    assert applied.before.settings == SETTINGS and applied.after == out.posting
    assert [(c.what, c.before, c.after) for c in applied.changes] == [
        ("deposit account", "Undeposited Funds", "PayPal Clearing")
    ]
    assert both(rules, order(payments=())).rule_ids == ()


def test_scope_enabled_and_join() -> None:
    other = Condition(Field.CURRENCY, Op.EQUALS, ("CAD",))
    assert both([Rule("a", "A", (SetClass("X"),), channels=("shop-2",))], order()).rule_ids == ()
    assert both([Rule("a", "A", (SetClass("X"),), channels=("shop-2", "shop-1"))], order()).rule_ids == ("a",)
    assert both([Rule("a", "A", (SetClass("X"),), enabled=False)], order()).rule_ids == ()
    assert both([Rule("a", "A", (SetClass("X"),), (PAYPAL, other))], order()).rule_ids == ()
    assert both([Rule("a", "A", (SetClass("X"),), (PAYPAL, other), Join.OR)], order()).rule_ids == ("a",)


def test_a_later_rule_sees_what_an_earlier_one_changed() -> None:
    taxed = Condition(Field.TAX_TOTAL, Op.MORE_THAN, ("0",))
    rules = [
        Rule("tax", "Marketplace tax", (RemoveTax(),), (Condition(Field.TAGS, Op.EQUALS, ("wholesale",)),)),
        Rule("class", "Taxed orders", (SetClass("Taxed"),), (taxed,)),
    ]
    out = both(rules, order())
    assert out.rule_ids == ("tax",) and out.order.tax_total == 0 and out.settings.class_name == "Web"
    assert both(rules[::-1], order()).rule_ids == ("class", "tax")
    later = [Rule("a", "A", (SetClass("One"),)), Rule("b", "B", (SetClass("Two"),))]
    assert both(later, order()).settings.class_name == "Two"


def test_do_not_import_stops_the_list() -> None:
    rules = [
        Rule(
            "skip", "Test orders", (DoNotImport(),), (Condition(Field.EMAIL, Op.ENDS_WITH, ("example.com",)),)
        ),
        Rule("class", "Any", (SetClass("X"),)),
    ]
    out = both(rules, order())
    assert out.do_not_import and out.rule_ids == ("skip",)


def test_sku_maps_by_the_index() -> None:
    rules = [
        Rule(f"m{i}", f"Map {i}", (MapSku(SkuMatch.EXACT, f"SKU-{i}", f"Item {i}"),)) for i in range(300)
    ]
    rules.append(Rule("p", "Widgets", (MapSku(SkuMatch.PREFIX, "widget-", "Widgets"),)))
    o = order()
    o = replace(o, lines=(*o.lines, replace(o.lines[0], line_id="3", sku="sku-7")))
    compiled = compile_rules(rules)
    assert len(compiled.candidates(o, CTX)) == 2  # of 301 rules
    out = both(rules, o)
    assert out.posting.extras.line_items == {"1": "Widgets", "3": "Item 7"}
    assert out.rule_ids == ("m7", "p")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_lists(), st.lists(st.tuples(orders(), contexts), min_size=1, max_size=4))
def test_compiled_rules_equal_the_plain_top_down_evaluation(
    rules: list[Rule], batch: list[tuple[Order, OrderContext]]
) -> None:
    compiled = compile_rules(rules)
    for o, ctx in batch:
        plain = apply_rules(rules, o, SETTINGS, ctx)
        assert compiled.apply(o, SETTINGS, ctx) == plain
        assert compiled.apply_in_order(o, SETTINGS, ctx) == plain
        # only a changing rule is recorded, and the trace chains from the input to the result
        state = plain.applied[0].before if plain.applied else plain.posting
        assert state.order == o
        for applied in plain.applied:
            assert applied.before == state and applied.changes
            state = applied.after
        assert state == plain.posting
        assert plain.order.computed_total == plain.order.total  # remove tax and surcharges keep it adding up
        assert o.total == o.computed_total  # the input is left as it was


def test_the_generators_reach_the_interesting_cases() -> None:
    """The equality property means little if no generated rule ever applies: check it does, often."""
    seen = {"applied": 0, "indexed_away": 0}

    @settings(max_examples=200, deadline=None)
    @given(rule_lists(), orders(), contexts)
    def count(rules: list[Rule], o: Order, ctx: OrderContext) -> None:
        compiled = compile_rules(rules)
        enabled = sum(r.enabled for r in rules)
        seen["applied"] += bool(compiled.apply(o, SETTINGS, ctx).applied)
        seen["indexed_away"] += len(compiled.candidates(o, ctx)) < enabled

    count()
    assert seen["applied"] > 50 and seen["indexed_away"] > 20, seen


def test_totals_stay_decimal() -> None:
    out = both([Rule("t", "T", (RemoveTax(),))], order())
    assert isinstance(out.order.total, Decimal) and out.order.total == Decimal("47.00")
