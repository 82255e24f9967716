"""The channel's sales tax settings checked against the company's cached lists (sales tax items, groups, codes).

A list the company has not answered yet (or has nothing in) is not checked, as payment methods are not: the
refresh reads `item_sales_tax`, `item_sales_tax_group` and `sales_tax_code` with the other lists. In the store's
tax mode the tax is a line, and QuickBooks puts only single sales tax items on lines (Intuit's ItemSalesTaxAdd
reference: "tax groups can only be used for the entire invoice"), so a group there is refused.
"""

from __future__ import annotations

from chalicelib.dal import company_lists
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.tax_settings import MarketplaceTax, TaxMode

__all__ = ["tax_settings_problems"]


def _names(connection_id: str, kind: str) -> set[str]:
    return {r.full_name.casefold() for r in company_lists.list_records(connection_id, kind)}


def tax_settings_problems(connection_id: str, settings: ChannelSettings) -> dict[str, str]:
    """Problems by field (`settings.<field>[.<key>]`) with the tax items and codes the settings name."""
    named_items = [
        ("settings.sales_tax_item", settings.sales_tax_item),
        ("settings.zero_rate_tax_item", settings.zero_rate_tax_item),
        *((f"settings.state_tax_items.{k}", v) for k, v in settings.state_tax_items.items()),
        *((f"settings.jurisdiction_tax_items.{k}", v) for k, v in settings.jurisdiction_tax_items.items()),
    ]
    named_codes = [
        *((f"settings.province_tax_codes.{k}", v) for k, v in settings.province_tax_codes.items()),
        *((f"settings.rate_tax_codes.{k}", v) for k, v in settings.rate_tax_codes.items()),
    ]
    problems: dict[str, str] = {}
    if any(value for _, value in named_items):
        items = _names(connection_id, "item_sales_tax")
        groups = _names(connection_id, "item_sales_tax_group")
        store = settings.tax_mode == TaxMode.STORE
        for where, value in named_items:
            key = value.casefold()
            if not value or not (items or groups):
                continue
            if key in groups and (store or not where.startswith(("settings.state", "settings.sales"))):
                problems[where] = (
                    f"'{value}' is a sales tax group; the store's tax goes on a line, and QuickBooks puts only "
                    "single sales tax items on lines: choose a sales tax item"
                )
            elif key not in items and key not in groups:
                problems[where] = f"'{value}' is not a sales tax item in this company file"
    codes = _names(connection_id, "sales_tax_code") if named_codes else set()
    for where, value in named_codes:
        if codes and value.casefold() not in codes:
            problems[where] = f"'{value}' is not a sales tax code in this company file"
    if settings.marketplace_tax == MarketplaceTax.LIABILITY and not settings.marketplace_tax_item:
        problems["settings.marketplace_tax_item"] = (
            "is required when marketplace tax goes to a liability item: choose the item (an other charge item on "
            "a liability account, or a sales tax item of the marketplace)"
        )
    return problems
