"""The tenant's order rules (chalicelib/rules) where orders meet them: when a store's orders are stored (an order a
rule says not to import is skipped, like the channel's filters) and when a batch is posted to QuickBooks (the
rules' order, settings and extras are what the documents are built from, and the order records which rules
changed it).

The list is read and compiled once per batch (`for_tenant`); a tenant without rules pays one read.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.observability import logger
from chalicelib.orders.model import Order
from chalicelib.orders.settings import ChannelSettings
from chalicelib.rules import CompiledRules, OrderContext, Outcome, PostingExtras, RulesInvalid, compile_rules

NOT_IMPORTED = "not_imported"  # the error code of an order a rule says not to import, found at posting


@dataclass(frozen=True)
class Ruled:
    """An order as the rules leave it for posting."""

    order: Order
    settings: ChannelSettings
    extras: PostingExtras | None
    rule_ids: tuple[str, ...]
    skip_reason: str | None  # set when a rule says not to import it


class TenantRules:
    """One tenant's rules, compiled once for a batch of orders."""

    def __init__(self, compiled: CompiledRules | None, names: dict[str, str]) -> None:
        self._compiled = compiled
        self._names = names

    def apply(self, order: Order, settings: ChannelSettings, channel_id: str, store_kind: str) -> Ruled:
        if self._compiled is None:
            return Ruled(order, settings, None, (), None)
        outcome: Outcome = self._compiled.apply(order, settings, context_of(order, channel_id, store_kind))
        skip = None
        if outcome.do_not_import:
            who = (
                self._names.get(outcome.rule_ids[-1], outcome.rule_ids[-1]) if outcome.rule_ids else "a rule"
            )
            skip = f"the rule '{who}' says not to import it"
        return Ruled(outcome.order, outcome.settings, outcome.posting.extras, outcome.rule_ids, skip)


def context_of(order: Order, channel_id: str, store_kind: str) -> OrderContext:
    """What the rules see beside the order: its channel and store kind, its payments' gateways and the store's own
    fields of the order (`attributes`)."""
    gateways = tuple(dict.fromkeys(p.gateway for p in order.payments if p.gateway))
    return OrderContext(channel_id, store_kind, gateways, dict(order.attributes))


def for_tenant(tenant_id: str) -> TenantRules:
    """The tenant's enabled rules, compiled (none: every order passes as it is)."""
    from chalicelib.sync.rules import tenant_rules  # the rules' storage and JSON shapes: only when needed

    rules = tenant_rules(tenant_id)
    if not rules:
        return TenantRules(None, {})
    try:
        compiled = compile_rules(rules)
    except (
        RulesInvalid
    ) as exc:  # saved rules are validated on save: a list that no longer compiles is skipped
        logger.error(
            "order rules do not compile; orders go as they are",
            extra={"tenant_id": tenant_id, "error": str(exc)},
        )
        return TenantRules(None, {})
    return TenantRules(compiled, {r.rule_id: r.name for r in rules})
