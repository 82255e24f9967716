"""Checking rules before they are stored or run: every problem, named by the rule and its field.

`rules_problems` returns {where: what} (empty when the list is usable); `validate_rules` raises
`RulesInvalid` with all of them. Names bound for QuickBooks are held to QuickBooks' lengths (qbXML 13.0:
account, class and item full names 159, customer 41, terms / price level / unit of measure / site names
31, sales rep initials 5) and to text QuickBooks can store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal

from chalicelib.orders.settings import CUSTOMER_MATCHING, TRANSACTION_TYPES
from chalicelib.rules.actions import (
    Action,
    AddShippingSurcharge,
    DateSource,
    MapSku,
    SetCustomer,
    SetOrderDate,
    SetTransactionType,
    SetUnitOfMeasure,
    SkuMatch,
    SurchargeKind,
)
from chalicelib.rules.conditions import condition_problems
from chalicelib.rules.exceptions import RulesInvalid
from chalicelib.rules.model import MAX_ACTIONS, MAX_CONDITIONS, MAX_RULES, Join, Rule
from chalicelib.validation import EARLIEST, LATEST, text_problem

__all__ = ["NAME_LIMITS", "action_problems", "rule_problems", "rules_problems", "validate_rules"]

# Each text attribute of an action and its longest accepted length.
NAME_LIMITS: dict[str, int] = {
    "account": 159,
    "class_name": 159,
    "item": 159,
    "name": 41,
    "sku": 200,
    "method": 200,
    "discount_code": 100,
    "template": 100,
    "sales_rep": 5,
    "terms": 31,
    "price_level": 31,
    "unit": 31,
    "site": 31,
}
MEMO_LIMIT = 4095
TEMPLATE_FIELDS = {"number", "id", "note"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_SURCHARGE_AMOUNT = Decimal(10000)
MAX_SURCHARGE_PERCENT = Decimal(1000)
MAX_FACTOR = Decimal(100000)


def _text_problem(value: object, limit: int, *, multiline: bool = False) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is required"
    if value != value.strip():
        return "must not start or end with spaces"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    return text_problem(value, multiline=multiline)


def _decimal_problem(value: object, low: Decimal, high: Decimal, places: int) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return "must be a number"
    if not low < value <= high:
        return f"must be more than {low} and at most {high}"
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return f"must have at most {places} decimals"
    return None


def action_problems(action: Action) -> dict[str, str]:
    """What is wrong with the action, by its attribute; empty when valid."""
    problems: dict[str, str] = {}
    if not hasattr(action, "code") or not hasattr(action, "__dataclass_fields__"):
        return {"action": "is not an action"}
    for f in fields(action):
        value = getattr(action, f.name)
        if f.name in NAME_LIMITS:
            if f.name == "name" and not (
                isinstance(action, SetCustomer) and action.matching == "single_customer"
            ):
                if value:
                    problems[f.name] = "is only for a single customer"
                continue
            if f.name == "template" and action.code == "SET_MEMO":
                problem = _text_problem(value, MEMO_LIMIT, multiline=True)
            else:
                problem = _text_problem(value, NAME_LIMITS[f.name])
            if problem is None and f.name == "template":
                unknown = sorted({m for m in _PLACEHOLDER.findall(value) if m not in TEMPLATE_FIELDS})
                if unknown:
                    problem = f"may use only {{number}}, {{id}} and {{note}}, not {{{unknown[0]}}}"
            if problem is not None:
                problems[f.name] = problem
    match action:
        case SetTransactionType(transaction_type=value) if value not in TRANSACTION_TYPES:
            problems["transaction_type"] = f"must be one of {', '.join(TRANSACTION_TYPES)}"
        case SetCustomer(matching=value) if value not in CUSTOMER_MATCHING:
            problems["matching"] = f"must be one of {', '.join(CUSTOMER_MATCHING)}"
        case MapSku() | SetUnitOfMeasure():
            if not isinstance(action.match, SkuMatch):
                problems["match"] = f"must be one of {', '.join(SkuMatch)}"
            elif action.match is SkuMatch.REGEX and "sku" not in problems:
                try:
                    re.compile(action.sku, re.IGNORECASE)
                except re.error as e:
                    problems["sku"] = f"is not a valid regular expression: {e}"
            if isinstance(action, SetUnitOfMeasure):
                problem = _decimal_problem(action.factor, Decimal(0), MAX_FACTOR, 5)
                if problem is not None:
                    problems["factor"] = problem
        case AddShippingSurcharge(kind=kind, amount=amount):
            if not isinstance(kind, SurchargeKind):
                problems["kind"] = f"must be one of {', '.join(SurchargeKind)}"
            else:
                high = MAX_SURCHARGE_AMOUNT if kind is SurchargeKind.AMOUNT else MAX_SURCHARGE_PERCENT
                problem = _decimal_problem(amount, Decimal(0), high, 2 if kind is SurchargeKind.AMOUNT else 4)
                if problem is not None:
                    problems["amount"] = problem
        case SetOrderDate(source=source, day=day):
            if not isinstance(source, DateSource):
                problems["source"] = f"must be one of {', '.join(DateSource)}"
            elif source is DateSource.DATE:
                if not isinstance(day, date):
                    problems["day"] = "is required: a date such as 2026-01-31"
                elif not EARLIEST.date() <= day < LATEST.date():
                    problems["day"] = f"must be from {EARLIEST.date()} to {LATEST.year - 1}-12-31"
            elif day is not None:
                problems["day"] = "is only for a fixed date"
    return problems


def rule_problems(rule: Rule) -> dict[str, str]:
    """What is wrong with one rule, by its field (`conditions[0].values`, `actions[1].item`)."""
    problems: dict[str, str] = {}
    for name, value, limit in (("rule_id", rule.rule_id, 100), ("name", rule.name, 200)):
        problem = _text_problem(value, limit)
        if problem is not None:
            problems[name] = problem
    if not isinstance(rule.enabled, bool):
        problems["enabled"] = "must be true or false"
    if not isinstance(rule.join, Join):
        problems["join"] = "must be and or or"
    seen: set[str] = set()
    for i, channel in enumerate(rule.channels):
        problem = _text_problem(channel, 100)
        if problem is None and "|" in channel:
            problem = "must not contain |"
        if problem is None and channel in seen:
            problem = "is listed twice"
        if problem is not None:
            problems[f"channels[{i}]"] = problem
        seen.add(channel)
    if len(rule.conditions) > MAX_CONDITIONS:
        problems["conditions"] = f"must be at most {MAX_CONDITIONS}"
    else:
        for i, c in enumerate(rule.conditions):
            for part, problem in condition_problems(c).items():
                problems[f"conditions[{i}].{part}"] = problem
    if not 1 <= len(rule.actions) <= MAX_ACTIONS:
        problems["actions"] = f"must be 1 to {MAX_ACTIONS} actions"
    else:
        for i, a in enumerate(rule.actions):
            for part, problem in action_problems(a).items():
                problems[f"actions[{i}].{part}"] = problem
    return problems


def rules_problems(rules: Sequence[Rule]) -> dict[str, str]:
    """Every problem of the list, each named by the rule (position and name) and its field."""
    if len(rules) > MAX_RULES:
        return {"rules": f"must be at most {MAX_RULES} rules"}
    problems: dict[str, str] = {}
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        label = rule.label(index)
        for where, problem in rule_problems(rule).items():
            problems[f"{label} {where}"] = problem
        if rule.rule_id in seen:
            problems[f"{label} rule_id"] = f"is also the id of rules[{seen[rule.rule_id]}]"
        seen.setdefault(rule.rule_id, index)
    return problems


def validate_rules(rules: Sequence[Rule]) -> None:
    """Raise RulesInvalid naming every problem, or return when the list is usable."""
    problems = rules_problems(rules)
    if problems:
        raise RulesInvalid(problems)
