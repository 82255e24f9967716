"""Order rules: conditions and actions between the store and QuickBooks (pure; no I/O but CSV text).

Rules run after a channel's orders are fetched and before anything is written to QuickBooks, top-down:

    compiled = compile_rules(rules)            # once per batch; RulesInvalid names every problem
    outcome = compiled.apply(order, settings, OrderContext(channel_id, store_kind, gateways, attributes))
    outcome.do_not_import, outcome.order, outcome.settings, outcome.posting.extras, outcome.rule_ids

`apply_rules` is the same without the index (a preview of one order: `outcome.applied` holds each rule's
changes and the posting before and after it). `rules_to_csv` / `rules_from_csv` move rule lists as CSV.
"""

from chalicelib.rules.actions import (
    SURCHARGE_TITLE,
    Action,
    ActionCode,
    AddShippingSurcharge,
    Change,
    DateSource,
    DoNotImport,
    ExcludeFromShipStation,
    MapDiscountCode,
    MapShippingMethod,
    MapSku,
    Posting,
    PostingExtras,
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
    UnitOfMeasure,
    apply_action,
)
from chalicelib.rules.csv_io import CSV_COLUMNS, rules_from_csv, rules_to_csv
from chalicelib.rules.engine import Applied, CompiledRules, Outcome, apply_rules, compile_rules
from chalicelib.rules.exceptions import RulesCsvInvalid, RulesInvalid
from chalicelib.rules.model import MAX_RULES, Condition, Field, Join, Op, OrderContext, Rule
from chalicelib.rules.validate import rules_problems, validate_rules

__all__ = [
    "CSV_COLUMNS",
    "MAX_RULES",
    "SURCHARGE_TITLE",
    "Action",
    "ActionCode",
    "AddShippingSurcharge",
    "Applied",
    "Change",
    "CompiledRules",
    "Condition",
    "DateSource",
    "DoNotImport",
    "ExcludeFromShipStation",
    "Field",
    "Join",
    "MapDiscountCode",
    "MapShippingMethod",
    "MapSku",
    "Op",
    "OrderContext",
    "Outcome",
    "Posting",
    "PostingExtras",
    "RemoveTax",
    "Rule",
    "RulesCsvInvalid",
    "RulesInvalid",
    "SetArAccount",
    "SetClass",
    "SetCustomer",
    "SetDepositAccount",
    "SetInventorySite",
    "SetMemo",
    "SetOrderDate",
    "SetOrderNumber",
    "SetPoNumber",
    "SetPriceLevel",
    "SetSalesRep",
    "SetTerms",
    "SetTransactionType",
    "SetUnitOfMeasure",
    "SkuMatch",
    "SurchargeKind",
    "UnitOfMeasure",
    "apply_action",
    "apply_rules",
    "compile_rules",
    "rules_from_csv",
    "rules_problems",
    "rules_to_csv",
    "validate_rules",
]
