"""The sales-tax part of a channel's settings: the modes, and parsing of their mappings (pure).

`chalicelib.orders.settings.ChannelSettings` holds the fields; this module names their choices and
checks their shape. Names are checked against the company's cached lists by the use case
(`chalicelib.sync.channels`). What each setting does to a sale: docs/accounting/sales-tax.md and
`chalicelib.orders.quickbooks.tax`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from chalicelib.validation import text_problem

__all__ = [
    "TAX_CHOICES",
    "TAX_MAPPINGS",
    "TAX_TEXT_FIELDS",
    "MarketplaceTax",
    "TaxMode",
    "parse_tax_mappings",
    "rate_key",
    "tax_values_from_json",
]


class TaxMode(StrEnum):
    """Who computes a US order's sales tax."""

    STORE = "store"  # the store's tax, as a line of a sales tax item; a zero-rate item on the header
    QUICKBOOKS = "quickbooks"  # QuickBooks, at the header tax item's (or group's) rate


class MarketplaceTax(StrEnum):
    """What happens to tax a marketplace collected and remits itself (a marketplace facilitator)."""

    DROP = "drop"  # not posted: the sale is the order without that tax
    LIABILITY = "liability"  # posted as a line of `marketplace_tax_item` (an item on a liability account)


MAPPING_LIMIT = 100
# name -> (how many characters a key may have, a value, and an example)
TAX_MAPPINGS: dict[str, tuple[int, int, str]] = {
    "state_tax_items": (21, 31, '{"CA": "CA State Tax", "NY": "NY Combined"}'),
    "jurisdiction_tax_items": (100, 31, '{"Los Angeles County Tax": "LA County Tax"}'),
    "province_tax_codes": (21, 3, '{"ON": "H", "BC": "S", "AB": "G"}'),
    "rate_tax_codes": (8, 3, '{"20": "S", "5": "R", "0": "Z"}'),
}
TAX_TEXT_FIELDS = {"zero_rate_tax_item": 31, "marketplace_tax_item": 31}
TAX_CHOICES: dict[str, tuple[str, ...]] = {
    "tax_mode": tuple(TaxMode),
    "marketplace_tax": tuple(MarketplaceTax),
}


def rate_key(value: str | Decimal) -> str | None:
    """A rate in percent as a mapping key ("20", "12.5", "0"), or None when it is not a rate."""
    try:
        rate = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        return None
    if not rate.is_finite() or not 0 <= rate < 100:
        return None
    if rate == 0:
        return "0"
    return format(rate.normalize(), "f")


def parse_tax_mappings(data: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """The tax mappings given in `data`, cleaned (states and provinces upper case, rates normalized); a bad one
    is a problem named `settings.<field>`."""
    values: dict[str, Any] = {}
    for name, (key_limit, value_limit, example) in TAX_MAPPINGS.items():
        if name not in data:
            continue
        raw = data[name]
        cleaned: dict[str, str] = {}
        ok = isinstance(raw, Mapping) and len(raw) <= MAPPING_LIMIT
        for key, value in raw.items() if isinstance(raw, Mapping) else ():
            if not (isinstance(key, str) and isinstance(value, str)):
                ok = False
                break
            k = rate_key(key) if name == "rate_tax_codes" else key.strip().upper()
            if (
                not k
                or len(key.strip()) > key_limit
                or not 0 < len(value.strip()) <= value_limit
                or text_problem(key)
                or text_problem(value)
            ):
                ok = False
                break
            cleaned[k] = value.strip()
        if not ok:
            what = {
                "rate_tax_codes": "rates in percent",
                "jurisdiction_tax_items": "store tax line titles",
            }.get(name, "states or provinces")
            problems[f"settings.{name}"] = (
                f"must map at most {MAPPING_LIMIT} {what} to names of at most {value_limit} characters "
                f"(a QuickBooks limit), e.g. {example}"
            )
        else:
            values[name] = cleaned
    return values


def tax_values_from_json(values: dict[str, Any]) -> None:
    """Stored settings (already validated): the tax choices back as their StrEnums, in place."""
    if "tax_mode" in values:
        values["tax_mode"] = TaxMode(values["tax_mode"])
    if "marketplace_tax" in values:
        values["marketplace_tax"] = MarketplaceTax(values["marketplace_tax"])
