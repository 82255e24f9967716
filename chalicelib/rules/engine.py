"""Running rules on an order: top-down, a later rule seeing what an earlier one changed.

`apply_rules` is the plain evaluation (every rule in turn); `compile_rules` builds, once per batch, an
index that finds the few rules that can change a given order, then runs exactly those in list order with
the same per-rule code, so both give the same `Outcome` (a hypothesis test compares them).

The index (`CompiledRules`): a rule is looked up by one "gate", a set of keys of which the order must hold
at least one for the rule to change anything. Keys are case-folded values of fields no action changes
(`model.DYNAMIC_FIELDS` are never used): an equals / in_list condition gives hash keys, a starts_with
condition a prefix in a trie; a rule whose every action maps SKUs (exact or prefix) or discount codes is
gated by those; a rule scoped to channels by the channel ids. With AND any one gateable condition will do;
with OR every condition must be gateable. A rule with no gate (a regex, a numeric comparison) is always
run. A rule is reported only when it changed something; after "do not import" no further rule runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from chalicelib.orders.model import Order
from chalicelib.orders.settings import ChannelSettings
from chalicelib.rules.actions import (
    Change,
    MapDiscountCode,
    MapSku,
    Posting,
    SetUnitOfMeasure,
    SkuMatch,
    apply_action,
)
from chalicelib.rules.conditions import Predicate, compile_condition, text_values
from chalicelib.rules.model import DYNAMIC_FIELDS, Field, Join, Op, OrderContext, Rule
from chalicelib.rules.validate import validate_rules

__all__ = ["Applied", "CompiledRules", "Outcome", "apply_rules", "compile_rules"]


@dataclass(frozen=True)
class Applied:
    """A rule that changed the order: what it changed, and the posting before and after it."""

    rule_id: str
    name: str
    changes: tuple[Change, ...]
    before: Posting
    after: Posting


@dataclass(frozen=True)
class Outcome:
    posting: Posting
    applied: tuple[Applied, ...] = ()

    @property
    def order(self) -> Order:
        return self.posting.order

    @property
    def settings(self) -> ChannelSettings:
        return self.posting.settings

    @property
    def do_not_import(self) -> bool:
        return self.posting.extras.do_not_import

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rules that changed the order, in the order they ran (what a synced order records)."""
        return tuple(a.rule_id for a in self.applied)


@dataclass(frozen=True)
class _Plan:
    rule: Rule
    channels: frozenset[str]
    predicates: tuple[Predicate, ...]

    def run(self, posting: Posting, ctx: OrderContext) -> Applied | None:
        rule = self.rule
        if not rule.enabled or (self.channels and ctx.channel_id not in self.channels):
            return None
        if self.predicates:
            combine = all if rule.join is Join.AND else any
            order = posting.order
            if not combine(p(order, ctx) for p in self.predicates):
                return None
        after = posting
        changes: list[Change] = []
        for action in rule.actions:
            after, changed = apply_action(action, after)
            changes.extend(changed)
        if not changes:
            return None
        return Applied(rule.rule_id, rule.name, tuple(changes), posting, after)


def _plans(rules: Sequence[Rule]) -> tuple[_Plan, ...]:
    validate_rules(rules)
    return tuple(
        _Plan(rule, frozenset(rule.channels), tuple(compile_condition(c) for c in rule.conditions))
        for rule in rules
    )


def _run(plans: Iterable[_Plan], posting: Posting, ctx: OrderContext) -> Outcome:
    applied: list[Applied] = []
    for plan in plans:
        done = plan.run(posting, ctx)
        if done is not None:
            applied.append(done)
            posting = done.after
            if posting.extras.do_not_import:
                break
    return Outcome(posting, tuple(applied))


def apply_rules(rules: Sequence[Rule], order: Order, settings: ChannelSettings, ctx: OrderContext) -> Outcome:
    """Every rule in turn (validated first: RulesInvalid names every problem). For a preview or one order;
    a batch should `compile_rules` once."""
    return _run(_plans(rules), Posting(order, settings), ctx)


# ---------------------------------------------------------------------------------------------- the index

_Key = tuple[Field, str]  # a field and the case-folded attribute name ("" for other fields)
_WEAK = frozenset({Field.CHANNEL, Field.STORE_KIND, Field.CURRENCY, Field.ORDER_STATUS, Field.PAYMENT_STATUS})


@dataclass(frozen=True)
class _Gate:
    """The order holds one of these values (exact) or a value starting with one of them (prefix)."""

    exact: tuple[tuple[_Key, str], ...] = ()
    prefix: tuple[tuple[_Key, str], ...] = ()

    def rank(self) -> tuple[bool, bool, int]:
        keys = self.exact + self.prefix
        return (all(k[0][0] in _WEAK for k in keys), bool(self.prefix), len(keys))

    def __or__(self, other: _Gate) -> _Gate:
        return _Gate(self.exact + other.exact, self.prefix + other.prefix)


def _condition_gate(field_: Field, attribute: str, op: Op, values: tuple[str, ...]) -> _Gate | None:
    if field_ in DYNAMIC_FIELDS:
        return None
    key = (field_, attribute.casefold())
    if op in (Op.EQUALS, Op.IN_LIST):
        return _Gate(exact=tuple((key, v.casefold()) for v in values))
    if op is Op.STARTS_WITH:
        return _Gate(prefix=((key, values[0].casefold()),))
    return None


def _action_gate(rule: Rule) -> _Gate | None:
    gate = _Gate()
    for action in rule.actions:
        if isinstance(action, MapSku | SetUnitOfMeasure) and action.match is not SkuMatch.REGEX:
            entry = ((Field.LINE_SKU, ""), action.sku.casefold())
            gate = gate | (
                _Gate(exact=(entry,)) if action.match is SkuMatch.EXACT else _Gate(prefix=(entry,))
            )
        elif isinstance(action, MapDiscountCode):
            gate = gate | _Gate(exact=(((Field.DISCOUNT_CODE, ""), action.discount_code.casefold()),))
        else:
            return None
    return gate


def _gate(rule: Rule) -> _Gate | None:
    """The most selective sound gate of the rule, or None when it must always run."""
    options: list[_Gate] = []
    gates = [_condition_gate(c.field, c.attribute, c.op, c.values) for c in rule.conditions]
    if rule.join is Join.AND:
        options.extend(g for g in gates if g is not None)
    elif gates and all(g is not None for g in gates):
        union = _Gate()
        for g in gates:
            assert g is not None
            union = union | g
        options.append(union)
    action_gate = _action_gate(rule)
    if action_gate is not None:
        options.append(action_gate)
    if rule.channels:
        options.append(_Gate(exact=tuple(((Field.CHANNEL, ""), c.casefold()) for c in rule.channels)))
    return min(options, key=_Gate.rank) if options else None


class _Trie:
    __slots__ = ("children", "rules")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.rules: list[int] = []

    def add(self, prefix: str, rule: int) -> None:
        node = self
        for ch in prefix:
            node = node.children.setdefault(ch, _Trie())
        node.rules.append(rule)

    def collect(self, value: str, into: set[int]) -> None:
        node = self
        for ch in value:
            found = node.children.get(ch)
            if found is None:
                return
            node = found
            if node.rules:
                into.update(node.rules)


@dataclass
class CompiledRules:
    """Rules compiled once for a batch (`compile_rules`); `apply` runs them on one order."""

    plans: tuple[_Plan, ...]
    always: tuple[int, ...] = ()
    exact: dict[_Key, dict[str, list[int]]] = field(default_factory=dict)
    prefixes: dict[_Key, _Trie] = field(default_factory=dict)

    def candidates(self, order: Order, ctx: OrderContext) -> list[int]:
        """Positions of the rules that may change the order, in list order."""
        found: set[int] = set(self.always)
        for key, table in self.exact.items():
            for value in text_values(key[0], key[1], order, ctx):
                hit = table.get(value.casefold())
                if hit:
                    found.update(hit)
        for key, trie in self.prefixes.items():
            for value in text_values(key[0], key[1], order, ctx):
                trie.collect(value.casefold(), found)
        return sorted(found)

    def apply(self, order: Order, settings: ChannelSettings, ctx: OrderContext) -> Outcome:
        plans = self.plans
        return _run((plans[i] for i in self.candidates(order, ctx)), Posting(order, settings), ctx)

    def apply_in_order(self, order: Order, settings: ChannelSettings, ctx: OrderContext) -> Outcome:
        """Every rule in turn, without the index (what `apply` must equal)."""
        return _run(self.plans, Posting(order, settings), ctx)


def compile_rules(rules: Sequence[Rule]) -> CompiledRules:
    """Validate (RulesInvalid names every problem) and index the rules; disabled rules are left out."""
    compiled = CompiledRules(_plans(rules))
    always: list[int] = []
    for i, rule in enumerate(rules):
        if not rule.enabled:
            continue
        gate = _gate(rule)
        if gate is None:
            always.append(i)
            continue
        for key, value in gate.exact:
            compiled.exact.setdefault(key, {}).setdefault(value, []).append(i)
        for key, value in gate.prefix:
            compiled.prefixes.setdefault(key, _Trie()).add(value, i)
    compiled.always = tuple(always)
    return compiled
