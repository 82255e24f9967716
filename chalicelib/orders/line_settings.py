"""The channel settings of product lines (pure): price level, units of measure, inventory sites per store
location, and bundles (docs/accounting/levels-units-sites-bundles.md).

* `price_level`: the QuickBooks price level of every product line (PriceLevelRef); the store's amount stands.
* `units_of_measure`: SKU -> the unit (of the item's U/M set) the store's quantity is counted in, e.g.
  {"BEER-24": "Case"}; QuickBooks converts it to the item's base unit for quantities on hand.
* `inventory_sites`: store location -> inventory site, e.g. {"Main St": "Warehouse"} (`Order.location`).
* `bundles`: "item" (today's behaviour: a bundle line is one item line), "group" (a QuickBooks group item:
  ItemGroupLineAdd plus a price-adjustment line so the store's price stands) or "components" (one line per
  component, the store's price where the store put it); `bundle_items`: bundle SKU -> group item;
  `bundle_adjustment_item`: the item of the group's price-adjustment line (empty: the discount item).

Names are checked against the company's cached lists by `chalicelib.sync.line_lists`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from chalicelib.validation import text_problem

__all__ = [
    "BUNDLE_MODES",
    "LINE_CHOICES",
    "LINE_MAPPINGS",
    "LINE_TEXT_FIELDS",
    "BundleMode",
    "parse_line_mappings",
]

BundleMode = Literal["item", "group", "components"]
BUNDLE_MODES: tuple[BundleMode, ...] = ("item", "group", "components")
LINE_TEXT_FIELDS = {"price_level": 31, "bundle_adjustment_item": 159}
LINE_CHOICES: dict[str, tuple[str, ...]] = {"bundles": BUNDLE_MODES}
# setting -> (longest key, longest QuickBooks name, example for the merchant)
LINE_MAPPINGS: dict[str, tuple[int, int, str]] = {
    "units_of_measure": (100, 31, '{"BEER-24": "Case"}'),
    "inventory_sites": (200, 31, '{"Main Street store": "Warehouse"}'),
    "bundle_items": (100, 159, '{"CAMP-KIT": "Camp Kit"}'),
}
MAX_ENTRIES = 500


def parse_line_mappings(data: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """The line mappings given in `data` (keys and names stripped); a bad one is added to `problems`."""
    values: dict[str, Any] = {}
    for name, (key_limit, limit, example) in LINE_MAPPINGS.items():
        if name not in data:
            continue
        raw = data[name]
        if (
            not isinstance(raw, Mapping)
            or len(raw) > MAX_ENTRIES
            or not all(
                isinstance(k, str)
                and isinstance(v, str)
                and 0 < len(k.strip()) <= key_limit
                and 0 < len(v.strip()) <= limit
                for k, v in raw.items()
            )
            or any(text_problem(k) or text_problem(v) for k, v in raw.items())
        ):
            problems[f"settings.{name}"] = (
                f"must map at most {MAX_ENTRIES} store values (of at most {key_limit} characters) to QuickBooks "
                f"names of at most {limit} characters, e.g. {example}"
            )
            continue
        values[name] = {k.strip(): v.strip() for k, v in raw.items()}
    return values
