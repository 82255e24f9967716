"""Rules as CSV: one row per action, the rule's columns repeated on each of its rows (rows of one rule
together, in list order). `rules_from_csv` reads a whole file or raises `RulesCsvInvalid` naming every
problem as `row N, column C` (row 1 is the header): an invalid file gives no rules at all.

Columns (`CSV_COLUMNS`):

    rule_id     the rule's id (rows with the same id, one after the other, are one rule)
    name        the rule's name
    enabled     yes | no
    channels    channel ids separated by |; empty: every channel
    join        AND | OR (how the conditions combine)
    conditions  one condition per line: `<field> <op> <value>`; the field `attribute[<name>]` reads a
                custom attribute; in_list values are separated by | (a | or \\ inside a value is
                written \\| or \\\\); is_empty takes no value. Example: `payment_method in_list PayPal|Venmo`
    action      the action code (below)
    match       the action's kind, where it has one
    from        what the action maps from (a SKU, a shipping method, a discount code)
    to          the value the action sets
    amount      a number (a surcharge, a unit-of-measure factor)

Action codes and the columns each uses (any other action column must be empty):

    SET_TRANSACTION_TYPE     to = sales_receipt | invoice | sales_order | sales_order_invoice_payment
    SET_DEPOSIT_ACCOUNT      to = the account's full name
    SET_AR_ACCOUNT           to = the A/R account's full name
    SET_CLASS                to = the class's full name (the sale and its lines)
    SET_CUSTOMER             match = single_customer | last_first | company | email;
                             to = the customer's full name (single_customer only)
    DO_NOT_IMPORT            (none)
    REMOVE_TAX               (none)
    MAP_SKU                  match = exact | prefix | regex; from = the SKU (pattern); to = the item's full name
    MAP_SHIPPING_METHOD      from = the shipping method; to = the item's full name
    MAP_DISCOUNT_CODE        from = the discount code; to = the item's full name
    ADD_SHIPPING_SURCHARGE   match = amount | percent; amount = the amount or the percentage
    SET_ORDER_NUMBER         to = the number; may use {number} and {id}
    SET_ORDER_DATE           match = payment | date; to = YYYY-MM-DD (date only)
    SET_MEMO                 to = the memo; may use {number}, {id} and {note}
    SET_PO_NUMBER            to = the PO number; may use {number} and {id}
    SET_SALES_REP            to = the sales rep's initials
    SET_TERMS                to = the terms' name
    SET_PRICE_LEVEL          to = the price level's name
    SET_UNIT_OF_MEASURE      match = exact | prefix | regex; from = the SKU (pattern); to = the unit;
                             amount = the factor (quantity x factor, price / factor)
    SET_INVENTORY_SITE       to = the site's name
    EXCLUDE_FROM_SHIPSTATION (none)

So that a spreadsheet never runs a cell as a formula, a cell starting with = + - @ ' tab or carriage
return is written with a leading ' (which reading removes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from chalicelib.rules.actions import (
    Action,
    ActionCode,
    AddShippingSurcharge,
    DateSource,
    DoNotImport,
    ExcludeFromShipStation,
    MapDiscountCode,
    MapShippingMethod,
    MapSku,
    RemoveTax,
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
)
from chalicelib.rules.exceptions import RulesCsvInvalid
from chalicelib.rules.model import MAX_RULES, Condition, Field, Join, Op, Rule
from chalicelib.rules.validate import rule_problems, validate_rules

__all__ = ["CSV_COLUMNS", "MAX_CSV_CHARS", "rules_from_csv", "rules_to_csv"]

CSV_COLUMNS = (
    "rule_id",
    "name",
    "enabled",
    "channels",
    "join",
    "conditions",
    "action",
    "match",
    "from",
    "to",
    "amount",
)
ACTION_COLUMNS = ("match", "from", "to", "amount")
RULE_COLUMNS = ("rule_id", "name", "enabled", "channels", "join", "conditions")
MAX_CSV_CHARS = 20_000_000
MAX_ROWS = 50_000
_FORMULA_START = ("=", "+", "-", "@", "'", "\t", "\r")


def _text(value: str) -> object:
    return value


def _decimal(value: str) -> object:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a number such as 12.50") from None
    if not number.is_finite() or len(value) > 20:
        raise ValueError("must be a number such as 12.50")
    return number


def _day(value: str) -> object:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date such as 2026-01-31") from None


def _choice(kind: type[StrEnum]) -> Callable[[str], object]:
    def read(value: str) -> object:
        try:
            return kind(value.lower())
        except ValueError:
            raise ValueError(f"must be one of {', '.join(m.value for m in kind)}") from None

    return read


@dataclass(frozen=True)
class _Column:
    attribute: str
    read: Callable[[str], object] = _text
    write: Callable[[Any], str] = str
    optional: bool = False


def _write_day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


_SKU = {
    "match": _Column("match", _choice(SkuMatch)),
    "from": _Column("sku"),
}
SPECS: dict[ActionCode, tuple[type[Any], dict[str, _Column]]] = {
    ActionCode.SET_TRANSACTION_TYPE: (SetTransactionType, {"to": _Column("transaction_type")}),
    ActionCode.SET_DEPOSIT_ACCOUNT: (SetDepositAccount, {"to": _Column("account")}),
    ActionCode.SET_AR_ACCOUNT: (SetArAccount, {"to": _Column("account")}),
    ActionCode.SET_CLASS: (SetClass, {"to": _Column("class_name")}),
    ActionCode.SET_CUSTOMER: (
        SetCustomer,
        {"match": _Column("matching"), "to": _Column("name", optional=True)},
    ),
    ActionCode.DO_NOT_IMPORT: (DoNotImport, {}),
    ActionCode.REMOVE_TAX: (RemoveTax, {}),
    ActionCode.MAP_SKU: (MapSku, {**_SKU, "to": _Column("item")}),
    ActionCode.MAP_SHIPPING_METHOD: (MapShippingMethod, {"from": _Column("method"), "to": _Column("item")}),
    ActionCode.MAP_DISCOUNT_CODE: (
        MapDiscountCode,
        {"from": _Column("discount_code"), "to": _Column("item")},
    ),
    ActionCode.ADD_SHIPPING_SURCHARGE: (
        AddShippingSurcharge,
        {"match": _Column("kind", _choice(SurchargeKind)), "amount": _Column("amount", _decimal)},
    ),
    ActionCode.SET_ORDER_NUMBER: (SetOrderNumber, {"to": _Column("template")}),
    ActionCode.SET_ORDER_DATE: (
        SetOrderDate,
        {
            "match": _Column("source", _choice(DateSource)),
            "to": _Column("day", _day, _write_day, optional=True),
        },
    ),
    ActionCode.SET_MEMO: (SetMemo, {"to": _Column("template")}),
    ActionCode.SET_PO_NUMBER: (SetPoNumber, {"to": _Column("template")}),
    ActionCode.SET_SALES_REP: (SetSalesRep, {"to": _Column("sales_rep")}),
    ActionCode.SET_TERMS: (SetTerms, {"to": _Column("terms")}),
    ActionCode.SET_PRICE_LEVEL: (SetPriceLevel, {"to": _Column("price_level")}),
    ActionCode.SET_UNIT_OF_MEASURE: (
        SetUnitOfMeasure,
        {**_SKU, "to": _Column("unit"), "amount": _Column("factor", _decimal)},
    ),
    ActionCode.SET_INVENTORY_SITE: (SetInventorySite, {"to": _Column("site")}),
    ActionCode.EXCLUDE_FROM_SHIPSTATION: (ExcludeFromShipStation, {}),
}


# ---------------------------------------------------------------------------------------------- writing


def _escape_list_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|")


def _condition_line(c: Condition) -> str:
    name = f"attribute[{c.attribute}]" if c.field is Field.ATTRIBUTE else str(c.field)
    if c.op is Op.IN_LIST:
        value = "|".join(_escape_list_value(v) for v in c.values)
    else:
        value = c.values[0] if c.values else ""
    return f"{name} {c.op} {value}" if value else f"{name} {c.op}"


def _cell_out(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def rules_to_csv(rules: Sequence[Rule]) -> str:
    """The rules as CSV text (RFC 4180, CRLF line ends), one row per action; RulesInvalid when the rules
    are not valid (only valid rules read back as they were)."""
    validate_rules(rules)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rule in rules:
        head = {
            "rule_id": rule.rule_id,
            "name": rule.name,
            "enabled": "yes" if rule.enabled else "no",
            "channels": "|".join(rule.channels),
            "join": rule.join.upper(),
            "conditions": "\n".join(_condition_line(c) for c in rule.conditions),
        }
        for action in rule.actions:
            _, columns = SPECS[action.code]
            row = dict(head, action=str(action.code))
            for column, spec in columns.items():
                row[column] = spec.write(getattr(action, spec.attribute))
            writer.writerow([_cell_out(row.get(c, "")) for c in CSV_COLUMNS])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- reading


def _cell_in(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def _split_list(text: str) -> list[str]:
    """in_list values: split at | not escaped by \\."""
    values: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, "\\"))
        elif ch == "|":
            values.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    values.append("".join(current).strip())
    return values


def _parse_condition(line: str) -> Condition:
    rest = line.strip()
    attribute = ""
    if rest.startswith("attribute["):
        end = rest.find("]")
        if end < 0:
            raise ValueError("attribute[<name>] is missing its ]")
        attribute = rest[len("attribute[") : end].strip()
        field_name, rest = "attribute", rest[end + 1 :].strip()
    else:
        field_name, _, rest = rest.partition(" ")
        rest = rest.strip()
    try:
        field = Field(field_name.strip().lower())
    except ValueError:
        raise ValueError(f"unknown field {field_name!r}") from None
    op_name, _, value = rest.partition(" ")
    try:
        op = Op(op_name.strip().lower())
    except ValueError:
        raise ValueError(f"unknown comparison {op_name!r} (use one of {', '.join(Op)})") from None
    value = value.strip()
    if not value:
        return Condition(field, op, (), attribute)
    return Condition(field, op, tuple(_split_list(value)) if op is Op.IN_LIST else (value,), attribute)


@dataclass
class _Group:
    first_row: int
    head: tuple[str, ...]
    actions: list[tuple[int, Action | None]]


def _read_head(row_number: int, cells: Mapping[str, str], problems: dict[str, str]) -> Rule | None:
    """The rule of a group's first row (with no actions yet), or None with its problems."""
    where = f"row {row_number}, column "
    ok = True
    enabled = cells["enabled"].strip().lower()
    if enabled not in ("yes", "no", "true", "false"):
        problems[where + "enabled"] = "must be yes or no"
        ok = False
    join = cells["join"].strip().lower() or "and"
    if join not in ("and", "or"):
        problems[where + "join"] = "must be AND or OR"
        ok = False
    conditions = []
    lines = [ln for ln in cells["conditions"].replace("\r\n", "\n").split("\n") if ln.strip()]
    for k, line in enumerate(lines, start=1):
        try:
            conditions.append(_parse_condition(line))
        except ValueError as e:
            problems[f"{where}conditions line {k}"] = str(e)
            ok = False
    if not ok:
        return None
    channels = tuple(c.strip() for c in cells["channels"].split("|")) if cells["channels"].strip() else ()
    return Rule(
        rule_id=cells["rule_id"].strip(),
        name=cells["name"].strip(),
        actions=(),
        conditions=tuple(conditions),
        join=Join(join),
        enabled=enabled in ("yes", "true"),
        channels=channels,
    )


def _read_action(row_number: int, cells: Mapping[str, str], problems: dict[str, str]) -> Action | None:
    where = f"row {row_number}, column "
    code_text = cells["action"].strip().upper()
    try:
        code = ActionCode(code_text)
    except ValueError:
        problems[where + "action"] = f"unknown action {cells['action']!r}" if code_text else "is required"
        return None
    kind, columns = SPECS[code]
    values: dict[str, object] = {}
    ok = True
    for column in ACTION_COLUMNS:
        text = cells[column].strip()
        spec = columns.get(column)
        if spec is None:
            if text:
                problems[where + column] = f"is not used by {code}; leave it empty"
                ok = False
            continue
        if not text:
            if not spec.optional:
                problems[where + column] = f"is required for {code}"
                ok = False
            continue
        try:
            values[spec.attribute] = spec.read(text)
        except ValueError as e:
            problems[where + column] = str(e)
            ok = False
    if not ok:
        return None
    action: Action = kind(**values)
    return action


def _column_of(code: ActionCode, attribute: str) -> str:
    for column, spec in SPECS[code][1].items():
        if spec.attribute == attribute:
            return column
    return "action"


def rules_from_csv(text: str) -> tuple[Rule, ...]:
    """The rules in a CSV file (see the module docstring), or RulesCsvInvalid naming every problem."""
    if len(text) > MAX_CSV_CHARS:
        raise RulesCsvInvalid({"file": f"must be at most {MAX_CSV_CHARS} characters"})
    problems: dict[str, str] = {}
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise RulesCsvInvalid({"row 1": f"is not CSV: {e}"}) from None
    if header is None:
        raise RulesCsvInvalid({"row 1": f"must be the header: {','.join(CSV_COLUMNS)}"})
    names = [h.strip().lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in names]
    unknown = [h for h in names if h not in CSV_COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown {', '.join(unknown)}")
        if len(set(names)) != len(names):
            detail.append("a column is repeated")
        raise RulesCsvInvalid({"row 1": f"must be the header {','.join(CSV_COLUMNS)} ({'; '.join(detail)})"})
    groups: list[_Group] = []
    ended: dict[str, int] = {}
    row_number = 1
    try:
        for row in reader:
            row_number += 1
            if row_number > MAX_ROWS + 1:
                problems["file"] = f"must have at most {MAX_ROWS} rows"
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                problems[f"row {row_number}"] = f"has {len(row)} columns, the header {len(names)}"
                continue
            cells = {name: _cell_in(cell) for name, cell in zip(names, row, strict=True)}
            rule_id = cells["rule_id"].strip()
            if not rule_id:
                problems[f"row {row_number}, column rule_id"] = "is required"
                continue
            head = tuple(cells[c] for c in RULE_COLUMNS)
            group = groups[-1] if groups and groups[-1].head[0].strip() == rule_id else None
            if group is None:
                if rule_id in ended:
                    problems[f"row {row_number}, column rule_id"] = (
                        f"rule {rule_id!r} already ended at row {ended[rule_id]}; keep a rule's rows together"
                    )
                    continue
                if groups:
                    ended[groups[-1].head[0].strip()] = row_number - 1
                group = _Group(row_number, head, [])
                groups.append(group)
            else:
                for column, mine, first in zip(RULE_COLUMNS, head, group.head, strict=True):
                    if mine != first:
                        problems[f"row {row_number}, column {column}"] = (
                            f"differs from row {group.first_row}, the rule's first row"
                        )
            group.actions.append((row_number, _read_action(row_number, cells, problems)))
    except csv.Error as e:
        problems[f"row {row_number}"] = f"is not CSV: {e}"
    if len(groups) > MAX_RULES:
        problems["file"] = f"must have at most {MAX_RULES} rules"
    rules: list[Rule] = []
    for group in groups:
        cells = dict(zip(RULE_COLUMNS, group.head, strict=True))
        head_rule = _read_head(group.first_row, cells, problems)
        actions = [a for _, a in group.actions]
        if head_rule is None:
            continue
        rule = Rule(
            rule_id=head_rule.rule_id,
            name=head_rule.name,
            actions=tuple(a for a in actions if a is not None),
            conditions=head_rule.conditions,
            join=head_rule.join,
            enabled=head_rule.enabled,
            channels=head_rule.channels,
        )
        rules.append(rule)
        _place(rule, group, problems, all_actions_read=None not in actions)
    if problems:
        raise RulesCsvInvalid(dict(sorted(problems.items(), key=_row_order)))
    return tuple(rules)


def _place(rule: Rule, group: _Group, problems: dict[str, str], *, all_actions_read: bool) -> None:
    """A rule's validation problems, each at its row and column."""
    first = f"row {group.first_row}, column "
    read_rows = [row for row, a in group.actions if a is not None]
    for where, problem in rule_problems(rule).items():
        head, _, part = where.partition(".")
        if where.startswith("actions") and not all_actions_read:
            continue  # a row whose action could not be read is reported already (and positions shift)
        if where == "actions":
            problems.setdefault(first + "action", f"the rule has {problem}")
        elif where.startswith("actions["):
            index = int(head[len("actions[") : -1])
            action = rule.actions[index]
            problems.setdefault(f"row {read_rows[index]}, column {_column_of(action.code, part)}", problem)
        elif where.startswith("conditions["):
            index = int(head[len("conditions[") : -1])
            problems.setdefault(f"{first}conditions line {index + 1}", f"{part}: {problem}")
        elif where.startswith("channels["):
            problems.setdefault(f"{first}channels", f"{rule.channels[int(where[9:-1])]!r} {problem}")
        else:
            problems.setdefault(first + where, problem)


def _row_order(item: tuple[str, str]) -> tuple[int, str]:
    key = item[0]
    if key.startswith("row "):
        number = key[4:].split(",", 1)[0]
        return (int(number) if number.isdigit() else 0, key)
    return (0, key)
