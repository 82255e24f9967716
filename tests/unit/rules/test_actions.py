"""Each action on its own: what it changes, where, and that the input stays as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.rules import (
    SURCHARGE_TITLE,
    AddShippingSurcharge,
    DateSource,
    DoNotImport,
    ExcludeFromShipStation,
    MapDiscountCode,
    MapShippingMethod,
    MapSku,
    Posting,
    RemoveTax,
    Rule,
    RulesInvalid,
    SetArAccount,
    SetClass,
    SetCustomer,
    SetDepositAccount,
    SetInventorySite,
    SetMemo,
    SetOrderDate,
    SetOrderNumber,
    SetPoNumber,
    SetPriceLevel,
    SetSalesRep,
    SetTerms,
    SetTransactionType,
    SetUnitOfMeasure,
    SkuMatch,
    SurchargeKind,
    UnitOfMeasure,
    apply_action,
    validate_rules,
)
from chalicelib.rules.actions import Action
from tests.unit.rules.helpers import PAID, SETTINGS, order


def run(action: Action, **changes: object) -> tuple[Posting, Posting, int]:
    before = Posting(order(**changes), SETTINGS)
    snapshot = repr(before)
    after, changed = apply_action(action, before)
    assert repr(before) == snapshot  # nothing mutated
    again, unchanged = apply_action(action, after)
    assert again == after and not unchanged  # applying it twice changes nothing more
    return before, after, len(changed)


def test_settings_actions() -> None:
    _, after, n = run(SetTransactionType("invoice"))
    assert after.settings.transaction_type == "invoice" and n == 1
    assert run(SetDepositAccount("PayPal Clearing"))[1].settings.accounts.deposit == "PayPal Clearing"
    assert run(SetArAccount("A/R Amazon"))[1].settings.accounts.receivable == "A/R Amazon"
    assert run(SetClass("Amazon"))[1].settings.class_name == "Amazon"
    named = run(SetCustomer("single_customer", "Amazon Customer"))[1].settings
    assert (named.customer_matching, named.single_customer) == ("single_customer", "Amazon Customer")
    assert run(SetCustomer("email"))[1].settings.customer_matching == "email"


def test_a_value_already_set_is_no_change() -> None:
    _, after, n = run(SetClass("Web"))
    assert n == 0 and after.settings == SETTINGS


def test_extras_actions() -> None:
    assert run(DoNotImport())[1].extras.do_not_import
    assert run(ExcludeFromShipStation())[1].extras.exclude_from_shipstation
    assert run(SetMemo("Amazon {number}: {note}"))[1].extras.memo == "Amazon #1001: Leave at the door"
    assert run(SetPoNumber("PO-{id}"))[1].extras.po_number == "PO-5001"
    assert run(SetSalesRep("JD"))[1].extras.sales_rep == "JD"
    assert run(SetTerms("Net 30"))[1].extras.terms == "Net 30"
    assert run(SetPriceLevel("Wholesale"))[1].extras.price_level == "Wholesale"
    assert run(SetInventorySite("East"))[1].extras.inventory_site == "East"


@pytest.mark.parametrize(
    ("match", "pattern", "lines"),
    [
        (SkuMatch.EXACT, "widget-red", {"1"}),
        (SkuMatch.EXACT, "WIDGET", set()),
        (SkuMatch.PREFIX, "w", {"1"}),
        (SkuMatch.REGEX, r"-\d+$", {"2"}),
        (SkuMatch.REGEX, r"^(widget|box)", {"1", "2"}),
    ],
)
def test_map_sku_and_unit_of_measure(match: SkuMatch, pattern: str, lines: set[str]) -> None:
    _, after, n = run(MapSku(match, pattern, "Parts:Widget"))
    assert after.extras.line_items == dict.fromkeys(lines, "Parts:Widget") and n == len(lines)
    _, after, _ = run(SetUnitOfMeasure(match, pattern, "Case", Decimal(12)))
    assert after.extras.line_units == dict.fromkeys(lines, UnitOfMeasure("Case", Decimal(12)))
    assert after.order == order()  # quantities stay: the posting applies the factor


def test_map_shipping_method_and_discount_code() -> None:
    assert run(MapShippingMethod("ups ground", "Freight"))[1].extras.shipping_items == {0: "Freight"}
    assert run(MapShippingMethod("FedEx", "Freight"))[2] == 0
    assert run(MapDiscountCode("save5", "Promo"))[1].extras.discount_items == {0: "Promo"}


def test_remove_tax_keeps_the_order_adding_up() -> None:
    before, after, _ = run(RemoveTax())
    o = after.order
    assert o.tax_total == 0 and not o.tax_lines and not any(ln.taxable or ln.tax for ln in o.lines)
    assert o.total == before.order.total - Decimal("3.52") == o.computed_total


@pytest.mark.parametrize(
    ("kind", "amount", "added"),
    [
        (SurchargeKind.AMOUNT, Decimal("2.50"), Decimal("2.50")),
        (SurchargeKind.PERCENT, Decimal("12.5"), Decimal("1.00")),
    ],
)
def test_shipping_surcharge(kind: SurchargeKind, amount: Decimal, added: Decimal) -> None:
    before, after, _ = _once(AddShippingSurcharge(kind, amount))
    assert after.order.shipping_lines[-1].title == SURCHARGE_TITLE
    assert after.order.shipping_lines[-1].price == added
    assert after.order.total == before.order.total + added == after.order.computed_total


def _once(action: Action) -> tuple[Posting, Posting, int]:
    """A surcharge adds each time it runs (two rules, two surcharges), so no idempotence check."""
    before = Posting(order(), SETTINGS)
    after, changed = apply_action(action, before)
    return before, after, len(changed)


def test_percent_surcharge_without_shipping_changes_nothing() -> None:
    assert _once(AddShippingSurcharge(SurchargeKind.PERCENT, Decimal(10)))[2] == 2  # surcharge and total
    posting = Posting(order(shipping_lines=()), SETTINGS)
    assert apply_action(AddShippingSurcharge(SurchargeKind.PERCENT, Decimal(10)), posting) == (posting, ())


def test_order_number_and_date() -> None:
    by_id = Posting(order(), replace(SETTINGS, order_number_source="id"))
    after, changes = apply_action(SetOrderNumber("AMZ-{id}"), by_id)
    assert after.order.number == "AMZ-5001" and after.settings.order_number_source == "number"
    assert [c.what for c in changes] == ["order number", "order number source"]
    assert run(SetOrderDate(DateSource.PAYMENT))[1].order.created_at == PAID
    fixed = run(SetOrderDate(DateSource.DATE, date(2026, 4, 1)))[1].order.created_at
    assert (fixed.date(), fixed.hour) == (date(2026, 4, 1), 10)
    assert run(SetOrderDate(DateSource.PAYMENT), payments=())[2] == 0


@pytest.mark.parametrize(
    ("action", "where", "message"),
    [
        (SetDepositAccount(""), "actions[0].account", "is required"),
        (SetClass("x" * 160), "actions[0].class_name", "at most 159"),
        (SetTransactionType("bill"), "actions[0].transaction_type", "must be one of"),  # type: ignore[arg-type]
        (SetCustomer("single_customer"), "actions[0].name", "is required"),
        (SetCustomer("email", "Bob"), "actions[0].name", "only for a single customer"),
        (MapSku(SkuMatch.REGEX, "([", "Item"), "actions[0].sku", "not a valid regular expression"),
        (MapSku(SkuMatch.EXACT, "A", ""), "actions[0].item", "is required"),
        (AddShippingSurcharge(SurchargeKind.AMOUNT, Decimal("-1")), "actions[0].amount", "more than 0"),
        (AddShippingSurcharge(SurchargeKind.AMOUNT, Decimal("1.234")), "actions[0].amount", "2 decimals"),
        (SetUnitOfMeasure(SkuMatch.EXACT, "A", "Case", Decimal(0)), "actions[0].factor", "more than 0"),
        (SetOrderDate(DateSource.DATE), "actions[0].day", "is required"),
        (SetMemo("{total}"), "actions[0].template", "may use only"),
        (SetSalesRep("ABCDEF"), "actions[0].sales_rep", "at most 5"),
    ],
)
def test_an_action_missing_or_bad_value_is_refused(action: Action, where: str, message: str) -> None:
    with pytest.raises(RulesInvalid) as caught:
        validate_rules([Rule("r1", "Amazon", (action,))])
    assert list(caught.value.problems) == [f"rules[0] 'Amazon' {where}"]
    assert message in next(iter(caught.value.problems.values()))
