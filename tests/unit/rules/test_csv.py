"""Rules as CSV: the round trip, every problem named by row and column, an invalid file giving nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from chalicelib.rules import (
    CSV_COLUMNS,
    Condition,
    Field,
    MapSku,
    Op,
    Rule,
    RulesCsvInvalid,
    SetClass,
    SkuMatch,
    rules_from_csv,
    rules_to_csv,
)
from tests.unit.rules.strategies import rule_lists

HEADER = ",".join(CSV_COLUMNS)


@settings(max_examples=300, deadline=None)
@given(rule_lists())
def test_round_trip(rules: list[Rule]) -> None:
    text = rules_to_csv(rules)
    back = rules_from_csv(text)
    assert back == tuple(rules)
    assert rules_to_csv(back) == text  # export(import(x)) == x


def test_a_readable_file() -> None:
    text = (
        HEADER + "\r\n"
        'r1,PayPal and Venmo,yes,shop-1|woo,AND,"payment_method in_list PayPal|Venmo\nattribute[Location] starts_with '
        'Warehouse",SET_DEPOSIT_ACCOUNT,,,PayPal Clearing,\r\n'
        'r1,PayPal and Venmo,yes,shop-1|woo,AND,"payment_method in_list PayPal|Venmo\nattribute[Location] starts_with '
        'Warehouse",set_class,,,Online,\r\n'
        "r2,Bundles,no,,OR,,MAP_SKU,prefix,BNDL-,Bundles:Any,\r\n"
    )
    r1, r2 = rules_from_csv(text)
    assert r1.channels == ("shop-1", "woo") and len(r1.actions) == 2
    assert r1.conditions == (
        Condition(Field.PAYMENT_METHOD, Op.IN_LIST, ("PayPal", "Venmo")),
        Condition(Field.ATTRIBUTE, Op.STARTS_WITH, ("Warehouse",), "Location"),
    )
    assert r2 == Rule(
        "r2", "Bundles", (MapSku(SkuMatch.PREFIX, "BNDL-", "Bundles:Any"),), enabled=False, join=r2.join
    )


def test_every_problem_is_named_by_row_and_column_and_nothing_is_kept() -> None:
    text = "\r\n".join(
        [
            HEADER,
            "r1,Amazon,maybe,,AND,total more_than lots,SET_CLASS,,,Amazon,",
            "r2,Map,yes,,AND,colour equals red,MAP_SKU,fuzzy,A,Item,",
            "r3,Surcharge,yes,,AND,,ADD_SHIPPING_SURCHARGE,amount,,,ten",
            "r4,Nothing,yes,,AND,,SET_DEPOSIT_ACCOUNT,,,,",
            "r5,Regex,yes,,AND,email matches ([,MAP_SKU,regex,([,Item,",
            "r6,Split,yes,,AND,,SET_CLASS,,,A,",
            "r7,Other,yes,,AND,,SET_CLASS,,,B,",
            "r6,Split,yes,,AND,,SET_TERMS,,,Net 30,",
            "r8,Extra,yes,,AND,,DO_NOT_IMPORT,,,x,",
            "r9,Unknown,yes,,AND,,FLY_TO_MOON,,,,",
        ]
    )
    with pytest.raises(RulesCsvInvalid) as caught:
        rules_from_csv(text)
    problems = caught.value.problems
    assert problems == {
        "row 2, column enabled": "must be yes or no",
        "row 3, column conditions line 1": "unknown field 'colour'",
        "row 3, column match": "must be one of exact, prefix, regex",
        "row 4, column amount": "must be a number such as 12.50",
        "row 5, column to": "is required for SET_DEPOSIT_ACCOUNT",
        "row 6, column conditions line 1": problems["row 6, column conditions line 1"],
        "row 6, column from": problems["row 6, column from"],
        "row 9, column rule_id": "rule 'r6' already ended at row 7; keep a rule's rows together",
        "row 10, column to": "is not used by DO_NOT_IMPORT; leave it empty",
        "row 11, column action": "unknown action 'FLY_TO_MOON'",
    }
    assert "not a valid regular expression" in problems["row 6, column conditions line 1"]
    assert "not a valid regular expression" in problems["row 6, column from"]
    assert list(problems) == sorted(problems, key=lambda k: int(k.split(",")[0][4:]))


def test_a_number_problem_on_a_valid_row_shape_is_placed_by_validation() -> None:
    text = HEADER + "\r\nr1,Amazon,yes,,AND,total more_than lots,SET_CLASS,,,Amazon,\r\n"
    with pytest.raises(RulesCsvInvalid) as caught:
        rules_from_csv(text)
    assert caught.value.problems == {
        "row 2, column conditions line 1": "values: must be a number such as 100.00"
    }


def test_rows_of_a_rule_must_agree_and_the_header_must_be_right() -> None:
    text = HEADER + "\r\nr1,A,yes,,AND,,SET_CLASS,,,A,\r\nr1,B,yes,,AND,,SET_TERMS,,,Net 30,\r\n"
    with pytest.raises(RulesCsvInvalid) as caught:
        rules_from_csv(text)
    assert caught.value.problems == {"row 3, column name": "differs from row 2, the rule's first row"}
    with pytest.raises(RulesCsvInvalid) as caught:
        rules_from_csv("rule_id,name\r\n")
    assert "missing enabled" in caught.value.problems["row 1"]


def test_cells_that_look_like_formulas_are_written_quoted() -> None:
    rules = [Rule("r1", "=HYPERLINK(1)", (SetClass("+Sales"),))]
    text = rules_to_csv(rules)
    assert ",'=HYPERLINK(1)," in text and ",'+Sales," in text
    assert rules_from_csv(text) == tuple(rules)


def test_an_empty_file_with_a_header_is_no_rules() -> None:
    assert rules_from_csv("\ufeff" + HEADER + "\r\n") == ()
    assert rules_to_csv([]) == HEADER + "\r\n"
