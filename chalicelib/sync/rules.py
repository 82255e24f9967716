"""The tenant's order rules: keeping the list (add, edit, delete, reorder, enable, import and export as CSV)
and testing rules on orders before they run in a sync.

A rule travels as JSON (the REST API's body and answer, and what `dal/rules.py` stores):

    {"id": "rul_...", "name": "PayPal deposits", "enabled": true, "channels": ["chn_..."], "join": "and",
     "conditions": [{"field": "payment_method", "op": "equals", "values": ["PayPal"]}],
     "actions": [{"action": "SET_DEPOSIT_ACCOUNT", "account": "PayPal Clearing"}]}

An action is its code (the CSV's, `ActionCode`) with the attributes of its class in `chalicelib.rules`
(numbers as strings such as "2.50", a date as 2026-01-31). Every refusal names each bad field
(`conditions[0].values`, `actions[1].item`); a whole list's, each rule by its place and name.

Every change is a read, the change, and one conditional write of the whole list (`dal.rules.save`); a write
that loses a race is redone on the newer list a few times before the caller is told to try again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from chalicelib.dal import channels, connections
from chalicelib.dal import orders as order_repo
from chalicelib.dal import rules as repo
from chalicelib.dal.channels import Channel
from chalicelib.dal.orders import StoredOrder
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.orders.model import Order, OrderInvalid, parse_order
from chalicelib.orders.settings import ChannelSettings
from chalicelib.rules import (
    MAX_RULES,
    Action,
    ActionCode,
    Applied,
    Condition,
    DateSource,
    Field,
    Join,
    Op,
    Posting,
    Rule,
    RulesCsvInvalid,
    SkuMatch,
    SurchargeKind,
    apply_rules,
    rules_from_csv,
    rules_to_csv,
    validate_rules,
)
from chalicelib.rules.conditions import condition_problems
from chalicelib.rules.csv_io import SPECS
from chalicelib.rules.validate import action_problems, rule_problems
from chalicelib.sync.channels import settings_of
from chalicelib.sync.order_preview import sale_preview
from chalicelib.sync.order_rules import context_of

__all__ = [
    "MAX_TEST_ORDERS",
    "RESERVED_IDS",
    "create_rule",
    "delete_rule",
    "export_csv",
    "get_rule",
    "import_csv",
    "list_rules",
    "reorder_rules",
    "replace_rule",
    "rule_from_json",
    "rule_to_json",
    "set_enabled",
    "tenant_rules",
    "test_rules",
]

RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# Words the API uses after /api/v1/rules/: a rule named so could not be addressed by its URL.
RESERVED_IDS = frozenset({"test", "import", "export", "reorder"})
RULE_FIELDS = {"id", "name", "enabled", "channels", "join", "conditions", "actions"}
CONDITION_FIELDS = {"field", "op", "values", "attribute"}
MAX_TEST_ORDERS = 20  # orders (by number or id) plus pasted documents in one test
MAX_SCANNED_ORDERS = 10_000  # an order named by its number is looked for among the tenant's latest this many
SAVE_TRIES = 5

_ENUMS: dict[str, type[StrEnum]] = {"match": SkuMatch, "kind": SurchargeKind, "source": DateSource}
_DECIMALS = frozenset({"amount", "factor"})
_DATES = frozenset({"day"})


# ---------------------------------------------------------------------------------------------- JSON


def _action_classes() -> dict[ActionCode, type[Any]]:
    return {code: kind for code, (kind, _) in SPECS.items()}


_ACTIONS = _action_classes()


def _value_out(value: object) -> object:
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def action_to_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"action": str(action.code)}
    for f in fields(action):
        value = getattr(action, f.name)
        if value is None or value == "":
            continue
        out[f.name] = _value_out(value)
    return out


def rule_to_json(rule: Rule) -> dict[str, Any]:
    conditions = []
    for c in rule.conditions:
        condition: dict[str, Any] = {"field": str(c.field), "op": str(c.op), "values": list(c.values)}
        if c.attribute:
            condition["attribute"] = c.attribute
        conditions.append(condition)
    return {
        "id": rule.rule_id,
        "name": rule.name,
        "enabled": rule.enabled,
        "channels": list(rule.channels),
        "join": str(rule.join),
        "conditions": conditions,
        "actions": [action_to_json(a) for a in rule.actions],
    }


def _choice(kind: type[StrEnum], value: object) -> StrEnum:
    if not isinstance(value, str):
        raise ValueError(f"must be one of {', '.join(kind)}")
    try:
        return kind(value.strip().lower())
    except ValueError:
        raise ValueError(f"must be one of {', '.join(kind)}") from None


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a number such as 12.50")
    text = str(value).strip()
    if len(text) > 20:
        raise ValueError("must be a number such as 12.50")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number such as 12.50") from None
    if not number.is_finite():
        raise ValueError("must be a number such as 12.50")
    return number


def _day(value: object) -> date:
    if not isinstance(value, str) or len(value) > 10:
        raise ValueError("must be a date such as 2026-01-31")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date such as 2026-01-31") from None


def _read_attribute(name: str, value: object) -> object:
    if name in _ENUMS:
        return _choice(_ENUMS[name], value)
    if name in _DECIMALS:
        return _decimal(value)
    if name in _DATES:
        return None if value in (None, "") else _day(value)
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _action_from_json(data: object, where: str, problems: dict[str, str], *, check: bool) -> Action | None:
    if not isinstance(data, Mapping):
        problems[where] = "must be an object with an action code"
        return None
    code_text = data.get("action")
    try:
        code = ActionCode(code_text.strip().upper()) if isinstance(code_text, str) else None
    except ValueError:
        code = None
    if code is None:
        problems[f"{where}.action"] = f"must be one of {', '.join(ActionCode)}"
        return None
    kind = _ACTIONS[code]
    attributes = {f.name: f for f in fields(kind)}
    ok = True
    for unknown in sorted(set(data) - set(attributes) - {"action"}, key=str):
        problems[f"{where}.{unknown}"] = f"is not used by {code}"
        ok = False
    values: dict[str, object] = {}
    for name, f in attributes.items():
        value = data.get(name)
        optional = f.default is not MISSING or f.default_factory is not MISSING
        if value is None or value == "":
            if not optional:
                problems[f"{where}.{name}"] = f"is required for {code}"
                ok = False
            continue
        try:
            values[name] = _read_attribute(name, value)
        except ValueError as e:
            problems[f"{where}.{name}"] = str(e)
            ok = False
    if not ok:
        return None
    action: Action = kind(**values)
    for part, problem in (
        action_problems(action).items() if check else ()
    ):  # named even when another part is unreadable
        problems.setdefault(f"{where}.{part}", problem)
    return action


def _strings(value: object, where: str, problems: dict[str, str], *, limit: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems[where] = "must be a list of strings"
        return ()
    if len(value) > limit:
        problems[where] = f"must have at most {limit} entries"
        return ()
    bad = [i for i, v in enumerate(value) if not isinstance(v, str)]
    if bad:
        problems[f"{where}[{bad[0]}]"] = "must be a string"
        return ()
    return tuple(value)


E = TypeVar("E", bound=StrEnum)


def _member(kind: type[E], value: object) -> E | None:
    if not isinstance(value, str):
        return None
    try:
        return kind(value.strip().lower())
    except ValueError:
        return None


def _condition_from_json(
    data: object, where: str, problems: dict[str, str], *, check: bool
) -> Condition | None:
    if not isinstance(data, Mapping):
        problems[where] = "must be an object: field, op, values"
        return None
    ok = True
    for unknown in sorted(set(data) - CONDITION_FIELDS, key=str):
        problems[f"{where}.{unknown}"] = "unknown field"
        ok = False
    field_ = _member(Field, data.get("field"))
    op = _member(Op, data.get("op"))
    if field_ is None:
        problems[f"{where}.field"] = f"must be one of {', '.join(Field)}"
        ok = False
    if op is None:
        problems[f"{where}.op"] = f"must be one of {', '.join(Op)}"
        ok = False
    before = len(problems)
    values = _strings(data.get("values"), f"{where}.values", problems, limit=1_000)
    attribute = data.get("attribute", "")
    if attribute is None:
        attribute = ""
    if not isinstance(attribute, str):
        problems[f"{where}.attribute"] = "must be a string"
    if not ok or len(problems) > before or field_ is None or op is None or not isinstance(attribute, str):
        return None
    condition = Condition(field_, op, values, attribute)
    for part, problem in condition_problems(condition).items() if check else ():
        problems.setdefault(f"{where}.{part}", problem)
    return condition


def _rule_shape(data: object, rule_id: str, problems: dict[str, str], *, check: bool = True) -> Rule | None:
    """The rule in a JSON object, with what is wrong with its shape in `problems` (None when unreadable); with
    `check`, also what is wrong with each readable condition and action (by its own place in the list)."""
    if not isinstance(data, Mapping):
        problems["rule"] = "must be a JSON object"
        return None
    before = len(problems)
    for unknown in sorted(set(data) - RULE_FIELDS, key=str):
        problems[unknown] = "unknown field"
    name = data.get("name")
    if not isinstance(name, str):
        problems["name"] = "is required: a string"
        name = ""
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        problems["enabled"] = "must be true or false"
    join_text = data.get("join", "and")
    join = Join.AND
    if not isinstance(join_text, str) or join_text.strip().lower() not in ("and", "or"):
        problems["join"] = "must be and or or"
    else:
        join = Join(join_text.strip().lower())
    chosen = _strings(data.get("channels"), "channels", problems, limit=100)
    raw_conditions = data.get("conditions", [])
    conditions: list[Condition] = []
    if not isinstance(raw_conditions, list):
        problems["conditions"] = "must be a list"
    elif len(raw_conditions) > 50:
        problems["conditions"] = "must be at most 50"
    else:
        for i, c in enumerate(raw_conditions):
            condition = _condition_from_json(c, f"conditions[{i}]", problems, check=check)
            if condition is not None:
                conditions.append(condition)
    raw_actions = data.get("actions")
    actions: list[Action] = []
    if not isinstance(raw_actions, list) or not raw_actions:
        problems["actions"] = "is required: a list of 1 to 50 actions"
    elif len(raw_actions) > 50:
        problems["actions"] = "must be 1 to 50 actions"
    else:
        for i, a in enumerate(raw_actions):
            action = _action_from_json(a, f"actions[{i}]", problems, check=check)
            if action is not None:
                actions.append(action)
    if len(problems) > before:
        return None
    return Rule(
        rule_id=rule_id,
        name=name.strip(),
        actions=tuple(actions),
        conditions=tuple(conditions),
        join=join,
        enabled=bool(enabled),
        channels=tuple(c.strip() for c in chosen),
    )


def rule_id_problem(rule_id: object) -> str | None:
    if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
        return "must be 1 to 100 letters, digits, '_', '.' or '-', starting with a letter or digit"
    if rule_id.lower() in RESERVED_IDS:
        return f"must not be one of {', '.join(sorted(RESERVED_IDS))}"
    return None


def rule_from_json(data: object, *, rule_id: str) -> Rule:
    """A valid rule from its JSON, or InvalidInput naming every problem by its field."""
    problems: dict[str, str] = {}
    rule = _rule_shape(data, rule_id, problems)
    if rule is not None:
        problems.update({("id" if k == "rule_id" else k): v for k, v in rule_problems(rule).items()})
    id_problem = rule_id_problem(rule_id)
    if id_problem is not None:
        problems["id"] = id_problem
    if problems or rule is None:
        raise InvalidInput.of("The rule cannot be used", problems or {"rule": "is not readable"})
    return rule


def _stored(documents: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Rules as stored (written valid by this module)."""
    found = []
    for document in documents:
        problems: dict[str, str] = {}
        rule = _rule_shape(document, str(document.get("id")), problems, check=False)
        if rule is None:
            raise ValueError(f"a stored rule is not readable: {problems}")
        found.append(rule)
    return found


# ---------------------------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class RuleListView:
    rules: tuple[Rule, ...]
    version: int


def list_rules(tenant_id: str) -> RuleListView:
    stored = repo.load(tenant_id)
    return RuleListView(tuple(_stored(stored.rules)), stored.version)


def tenant_rules(tenant_id: str) -> tuple[Rule, ...]:
    """The tenant's rules in order (what a sync compiles once per batch with `compile_rules`)."""
    return list_rules(tenant_id).rules


def _find(rules: Sequence[Rule], rule_id: str) -> int:
    for i, rule in enumerate(rules):
        if rule.rule_id == rule_id:
            return i
    raise NotFound(f"no rule {rule_id}")


def get_rule(tenant_id: str, rule_id: str) -> Rule:
    rules = list_rules(tenant_id).rules
    return rules[_find(rules, rule_id)]


def _change(tenant_id: str, change: Callable[[list[Rule]], list[Rule]]) -> RuleListView:
    """Read, change, validate the whole list and write it, provided no other write came in between."""
    for _ in range(SAVE_TRIES):
        current = repo.load(tenant_id)
        rules = change(_stored(current.rules))
        validate_rules(rules)
        try:
            saved = repo.save(tenant_id, [rule_to_json(r) for r in rules], version=current.version)
        except repo.VersionConflict:
            continue
        # What a warm container kept of the old rules is keyed on each connection's channels_version.
        for connection in connections.list_for_tenant(tenant_id):
            connections.note_channels_changed(connection.connection_id)
        return RuleListView(tuple(rules), saved.version)
    raise Conflict("The rules were being changed by someone else at the same time; try again.")


def create_rule(tenant_id: str, body: Mapping[str, Any]) -> Rule:
    """A new rule at the end of the list (its id made here unless the body names one)."""
    given = body.get("id")
    rule_id = given if given is not None else "rul_" + secrets.token_hex(8)
    rule = rule_from_json(body, rule_id=rule_id if isinstance(rule_id, str) else "")

    def add(rules: list[Rule]) -> list[Rule]:
        if any(r.rule_id == rule.rule_id for r in rules):
            raise Conflict(f"there is a rule {rule.rule_id} already")
        if len(rules) >= MAX_RULES:
            raise InvalidInput.of("The rule was not added", {"rules": f"must be at most {MAX_RULES} rules"})
        return [*rules, rule]

    _change(tenant_id, add)
    return rule


def replace_rule(tenant_id: str, rule_id: str, body: Mapping[str, Any]) -> Rule:
    """The rule replaced by the body, in its place in the list."""
    given = body.get("id")
    if given is not None and given != rule_id:
        raise InvalidInput.of(
            "The rule cannot be used", {"id": "must be the rule's id in the URL (or left out)"}
        )
    rule = rule_from_json(body, rule_id=rule_id)

    def put(rules: list[Rule]) -> list[Rule]:
        rules[_find(rules, rule_id)] = rule
        return rules

    _change(tenant_id, put)
    return rule


def delete_rule(tenant_id: str, rule_id: str) -> None:
    def remove(rules: list[Rule]) -> list[Rule]:
        del rules[_find(rules, rule_id)]
        return rules

    _change(tenant_id, remove)


def set_enabled(tenant_id: str, rule_id: str, enabled: bool) -> Rule:
    changed: list[Rule] = []

    def switch(rules: list[Rule]) -> list[Rule]:
        i = _find(rules, rule_id)
        rules[i] = replace(rules[i], enabled=enabled)
        changed[:] = [rules[i]]
        return rules

    _change(tenant_id, switch)
    return changed[0]


def reorder_rules(tenant_id: str, order: object) -> RuleListView:
    """The list in a new order: `order` names every rule's id once, first to last."""
    if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
        raise InvalidInput.of("The rules were not reordered", {"order": "must be a list of the rules' ids"})
    wanted: list[str] = list(order)

    def arrange(rules: list[Rule]) -> list[Rule]:
        by_id = {r.rule_id: r for r in rules}
        problems: dict[str, str] = {}
        seen: set[str] = set()
        for i, rule_id in enumerate(wanted):
            if rule_id not in by_id:
                problems[f"order[{i}]"] = "is not a rule of this list"
            elif rule_id in seen:
                problems[f"order[{i}]"] = "is listed twice"
            seen.add(rule_id)
        missing = [r.rule_id for r in rules if r.rule_id not in seen]
        if missing:
            problems["order"] = f"must name every rule; missing {', '.join(missing[:20])}"
        if problems:
            raise InvalidInput.of("The rules were not reordered", problems)
        return [by_id[i] for i in wanted]

    return _change(tenant_id, arrange)


def _id_rows(text: str) -> dict[str, int]:
    """Each rule id's first row in a CSV file (to name a bad id where it is)."""
    import csv
    import io

    rows: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        column = header.index("rule_id")
        for n, row in enumerate(reader, start=2):
            if len(row) > column:
                rows.setdefault(row[column].strip().removeprefix("'"), n)
    except (csv.Error, ValueError):
        return {}
    return rows


def import_csv(tenant_id: str, text: str) -> RuleListView:
    """Replace the whole list with a CSV file's rules: all or nothing (RulesCsvInvalid names every problem
    by row and column)."""
    rules = list(rules_from_csv(text))
    rows = _id_rows(text)
    problems = {
        f"row {rows.get(r.rule_id, 0)}, column rule_id": problem
        for r in rules
        if (problem := rule_id_problem(r.rule_id)) is not None
    }
    if problems:
        raise RulesCsvInvalid(problems)
    return _change(tenant_id, lambda _: rules)


def export_csv(tenant_id: str) -> str:
    return rules_to_csv(list_rules(tenant_id).rules)


# ---------------------------------------------------------------------------------------------- testing


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def posting_view(posting: Posting) -> dict[str, Any]:
    """What the rules can change, as JSON: the order's fields and lines, this order's settings and extras."""
    o, s, x = posting.order, posting.settings, posting.extras
    units = {k: {"unit": u.unit, "factor": str(u.factor)} for k, u in x.line_units.items()}
    return {
        "order": {
            "order_id": o.order_id,
            "number": o.number,
            "date": o.created_at.isoformat(),
            "currency": o.currency,
            "total": _money(o.total),
            "tax_total": _money(o.tax_total),
            "lines": [
                {
                    "line_id": ln.line_id,
                    "sku": ln.sku,
                    "title": ln.title,
                    "quantity": str(ln.quantity),
                    "unit_price": str(ln.unit_price),
                    "tax": _money(ln.tax),
                    "taxable": ln.taxable,
                    "item": x.line_items.get(ln.line_id, ""),
                    "unit": units.get(ln.line_id),
                }
                for ln in o.lines
            ],
            "shipping_lines": [
                {
                    "title": sl.title,
                    "price": _money(sl.price),
                    "tax": _money(sl.tax),
                    "item": x.shipping_items.get(i, ""),
                }
                for i, sl in enumerate(o.shipping_lines)
            ],
            "discounts": [
                {"code": d.code, "amount": _money(d.amount), "item": x.discount_items.get(i, "")}
                for i, d in enumerate(o.discounts)
            ],
        },
        "settings": {
            "transaction_type": s.transaction_type,
            "deposit_account": s.accounts.deposit,
            "ar_account": s.accounts.receivable,
            "class": s.class_name,
            "customer_matching": s.customer_matching,
            "single_customer": s.single_customer,
            "order_number_source": s.order_number_source,
        },
        "extras": {
            "do_not_import": x.do_not_import,
            "exclude_from_shipstation": x.exclude_from_shipstation,
            "memo": x.memo,
            "po_number": x.po_number,
            "sales_rep": x.sales_rep,
            "terms": x.terms,
            "price_level": x.price_level,
            "inventory_site": x.inventory_site,
        },
    }


def _applied_view(a: Applied) -> dict[str, Any]:
    return {
        "rule_id": a.rule_id,
        "name": a.name,
        "changes": [{"what": c.what, "before": c.before, "after": c.after} for c in a.changes],
        "before": posting_view(a.before),
        "after": posting_view(a.after),
    }


@dataclass(frozen=True)
class _Subject:
    label: str
    order: Order
    channel: Channel | None
    key: str | None = None


def _same_number(a: str, b: str) -> bool:
    return a.strip().removeprefix("#").casefold() == b.strip().removeprefix("#").casefold()


def _stored_orders(tenant_id: str, wanted: Sequence[str]) -> dict[str, list[StoredOrder]]:
    """Stored orders by what named them: an order id (ord_...) or its number (`#1001` or `1001`)."""
    found: dict[str, list[StoredOrder]] = {w: [] for w in wanted}
    numbers = []
    for w in wanted:
        if w.startswith("ord_"):
            stored = order_repo.get_by_key(tenant_id, w)
            if stored is not None:
                found[w].append(stored)
        else:
            numbers.append(w)
    after: str | None = None
    scanned = 0
    while numbers and scanned < MAX_SCANNED_ORDERS:
        page, after = order_repo.list_orders(tenant_id, channel_id=None, status=None, limit=500, after=after)
        scanned += len(page)
        for stored in page:
            for n in numbers:
                if _same_number(stored.number, n):
                    found[n].append(stored)
        if not after:
            break
    return found


def _channel_of(tenant_id: str, channel_id: str) -> Channel | None:
    channel = channels.get(channel_id)
    return channel if channel is not None and channel.tenant_id == tenant_id else None


def _subjects(tenant_id: str, body: Mapping[str, Any], problems: dict[str, str]) -> list[_Subject]:
    wanted = _strings(body.get("orders"), "orders", problems, limit=MAX_TEST_ORDERS)
    documents = body.get("documents", [])
    if not isinstance(documents, list):
        problems["documents"] = "must be a list of orders in the canonical JSON"
        documents = []
    if len(wanted) + len(documents) > MAX_TEST_ORDERS:
        problems["orders"] = f"at most {MAX_TEST_ORDERS} orders and documents together"
        return []
    if not wanted and not documents and "orders" not in problems:
        problems["orders"] = "name at least one order (its number or id), or paste one in documents"
    channel_id = body.get("channel_id")
    pasted_channel: Channel | None = None
    if channel_id is not None:
        if not isinstance(channel_id, str) or len(channel_id) > 64:
            problems["channel_id"] = "must be a channel id"
        else:
            pasted_channel = _channel_of(tenant_id, channel_id)
            if pasted_channel is None:
                problems["channel_id"] = "is not a channel of yours"
    subjects: list[_Subject] = []
    for i, document in enumerate(documents):
        try:
            subjects.append(_Subject(f"documents[{i}]", parse_order(document), pasted_channel))
        except OrderInvalid as exc:
            for path, message in exc.problems.items():
                problems[f"documents[{i}].{path}" if path else f"documents[{i}]"] = message
    for i, (name, stored) in enumerate(_stored_orders(tenant_id, wanted).items() if not problems else ()):
        if not stored:
            problems[f"orders[{i}]"] = f"no order {name}"
        for s in stored:
            try:
                order = parse_order(s.document)
            except OrderInvalid:
                problems[f"orders[{i}]"] = f"order {name} could not be read from the store"
                continue
            subjects.append(_Subject(name, order, _channel_of(tenant_id, s.channel_id), s.key))
    return subjects[:MAX_TEST_ORDERS]


def _rules_to_test(tenant_id: str, body: Mapping[str, Any], problems: dict[str, str]) -> list[Rule]:
    raw = body.get("rules")
    if raw is None:
        rules = list(list_rules(tenant_id).rules)
    elif not isinstance(raw, list) or len(raw) > MAX_RULES:
        problems["rules"] = f"must be a list of at most {MAX_RULES} rules"
        return []
    else:
        rules = []
        for i, data in enumerate(raw):
            rule_id = data.get("id") if isinstance(data, Mapping) else None
            rule_id = rule_id if isinstance(rule_id, str) else f"unsaved_{i + 1}"
            rule_problems_: dict[str, str] = {}
            rule = _rule_shape(
                {k: v for k, v in data.items() if k != "id"} if isinstance(data, Mapping) else data,
                rule_id,
                rule_problems_,
            )
            if rule is not None:
                rule_problems_.update(rule_problems(rule))
            for where, problem in rule_problems_.items():
                problems[f"rules[{i}].{where}"] = problem
            if rule is not None:
                rules.append(rule)
    rule_id = body.get("rule_id")
    if rule_id is not None:
        if not isinstance(rule_id, str):
            problems["rule_id"] = "must be a rule's id"
            return []
        chosen = [r for r in rules if r.rule_id == rule_id]
        if not chosen:
            if raw is None:
                raise NotFound(f"no rule {rule_id}")
            problems["rule_id"] = "is not one of the rules sent"
            return []
        return [replace(chosen[0], enabled=True)]  # a rule tested alone runs even while disabled
    return rules


def test_rules(tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Run rules on orders without changing anything: for each order, the order before and after every rule
    that changed it. The rules are the stored list, or `rules` (not saved); `rule_id` tests one of them alone.
    Orders are named by number or id (`orders`), or pasted in the canonical JSON (`documents`)."""
    problems: dict[str, str] = {}
    for unknown in sorted(set(body) - {"orders", "documents", "rules", "rule_id", "channel_id"}):
        problems[unknown] = "unknown field"
    rules = _rules_to_test(tenant_id, body, problems)
    subjects = _subjects(tenant_id, body, problems) if not problems else []
    if problems:
        raise InvalidInput.of("The rules were not tested", problems)
    validate_rules(rules)
    results = []
    for subject in subjects:
        channel = subject.channel
        settings = settings_of(channel) if channel is not None else ChannelSettings()
        context = context_of(
            subject.order,
            channel.channel_id if channel is not None else "",
            channel.kind if channel is not None else "",
        )
        outcome = apply_rules(rules, subject.order, settings, context)
        results.append(
            {
                "order": {
                    "named": subject.label,
                    "id": subject.key,
                    "number": subject.order.number,
                    "channel_id": channel.channel_id if channel is not None else None,
                },
                "do_not_import": outcome.do_not_import,
                "rule_ids": list(outcome.rule_ids),
                "before": posting_view(Posting(subject.order, settings)),
                "after": posting_view(outcome.posting),
                "quickbooks": sale_preview(
                    outcome.order,
                    outcome.settings,
                    outcome.posting.extras,
                    country=connections.company_country(channel.connection_id)
                    if channel is not None
                    else "US",
                    connection_id=channel.connection_id if channel is not None else "preview",
                    channel_id=channel.channel_id if channel is not None else "preview",
                ).view(),
                "applied": [_applied_view(a) for a in outcome.applied],
            }
        )
    return {"rules_tested": len(rules), "results": results}
