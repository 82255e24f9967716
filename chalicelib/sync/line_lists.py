"""The company lists that product lines use: price levels, units of measure sets, inventory sites and group items.

* The refresh (`company_lists`) asks for PriceLevelQueryRq, UnitOfMeasureSetQueryRq and InventorySiteQueryRq with
  the other short lists (`LINE_LISTS`). A file without the feature answers with an error or nothing (price levels
  and units are preferences; sites are Advanced Inventory; Australian QuickBooks has no sites): such an answer
  leaves that list empty instead of failing the refresh (`OPTIONAL_LISTS`).
* `line_details` keeps what the posting and the settings check need beyond a ListRecord: a unit set's units and
  conversion ratios, a price level's type and percentage, an item's unit set, a group item's member lines.
* `line_settings_problems` checks the channel's `price_level`, `units_of_measure`, `inventory_sites` and
  `bundle_items` against the cache (4xx naming the field); `company_groups` gives the posting the group items
  with their members' cached prices (`chalicelib.orders.quickbooks.bundles`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from lxml import etree

from chalicelib.dal import company_lists
from chalicelib.orders.quickbooks.bundles import GroupItem, GroupMember
from chalicelib.orders.settings import ChannelSettings

__all__ = [
    "LINE_LISTS",
    "OPTIONAL_LISTS",
    "company_groups",
    "line_details",
    "line_settings_problems",
]


def _query(tag: str) -> Callable[[str], etree._Element]:
    def build(request_id: str) -> etree._Element:
        """`<tag requestID=...>` with no filter: every entry (13.0: PriceLevelQuery, ListQuery and
        InventorySiteQuery all have only optional children)."""
        element = etree.Element(tag)
        element.set("requestID", request_id)
        return element

    return build


LINE_LISTS: dict[str, Callable[[str], etree._Element]] = {
    "price_level": _query("PriceLevelQueryRq"),
    "unit_of_measure_set": _query("UnitOfMeasureSetQueryRq"),
    "inventory_site": _query("InventorySiteQueryRq"),
}
OPTIONAL_LISTS = frozenset(LINE_LISTS)


def _text(ret: etree._Element, path: str) -> str:
    return (ret.findtext(path) or "").strip()


def line_details(ret: etree._Element) -> dict[str, Any]:
    """The parts of a list entry's `*Ret` that lines need (empty for other entries)."""
    tag = ret.tag
    details: dict[str, Any] = {}
    if tag == "UnitOfMeasureSetRet":
        base = _text(ret, "BaseUnit/Name")
        units = (
            [{"name": base, "abbreviation": _text(ret, "BaseUnit/Abbreviation"), "ratio": "1"}]
            if base
            else []
        )
        for unit in ret.findall("RelatedUnit"):
            units.append(
                {
                    "name": _text(unit, "Name"),
                    "abbreviation": _text(unit, "Abbreviation"),
                    "ratio": _text(unit, "ConversionRatio"),
                }
            )
        details["units"] = units
    elif tag == "PriceLevelRet":
        details["price_level_type"] = _text(ret, "PriceLevelType")
        if ret.find("PriceLevelFixedPercentage") is not None:
            details["percentage"] = _text(ret, "PriceLevelFixedPercentage")
    elif tag.startswith("Item") and tag.endswith("Ret"):
        unit_set = _text(ret, "UnitOfMeasureSetRef/FullName")
        if unit_set:
            details["unit_of_measure_set"] = unit_set
        if tag == "ItemGroupRet":
            details["group_lines"] = [
                {"item": _text(line, "ItemRef/FullName"), "quantity": _text(line, "Quantity") or "1"}
                for line in ret.findall("ItemGroupLine")
            ]
    return details


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@lru_cache(maxsize=32)
def _groups(connection_id: str, lists_refreshed_at: str) -> dict[str, GroupItem]:
    return _read_groups(connection_id)


def _read_groups(connection_id: str) -> dict[str, GroupItem]:
    records = company_lists.list_records(connection_id, "item")
    prices = {
        r.full_name.casefold(): _decimal(r.details["sales_price"])
        for r in records
        if r.details.get("sales_price") is not None
    }
    codes = {
        r.full_name.casefold(): str(r.details["sales_tax_code"])
        for r in records
        if r.details.get("sales_tax_code")
    }
    groups: dict[str, GroupItem] = {}
    for r in records:
        if r.details.get("item_type") != "ItemGroup":
            continue
        members = tuple(
            GroupMember(
                item=str(m.get("item", "")),
                quantity=_decimal(m.get("quantity", "1")) or Decimal(1),
                price=prices.get(str(m.get("item", "")).casefold()),
                tax_code=codes.get(str(m.get("item", "")).casefold()),
            )
            for m in r.details.get("group_lines", [])
        )
        groups[r.full_name.casefold()] = GroupItem(r.full_name, members)
    return groups


def company_groups(connection_id: str, lists_refreshed_at: str | None = None) -> dict[str, GroupItem]:
    """The cached group items by folded name (kept per container until the lists are read again)."""
    return _groups(connection_id, lists_refreshed_at) if lists_refreshed_at else _read_groups(connection_id)


def line_settings_problems(connection_id: str, settings: ChannelSettings) -> dict[str, str]:
    """{field: problem} for the line settings naming what the company's cached lists do not have."""
    problems: dict[str, str] = {}
    refresh = "refresh the company lists if it was just added in QuickBooks"
    if settings.price_level:
        levels = {r.full_name.casefold() for r in company_lists.list_records(connection_id, "price_level")}
        if settings.price_level.casefold() not in levels:
            problems["settings.price_level"] = (
                f"'{settings.price_level}' is not a price level in this company file (Lists > Price Level List; "
                f"{refresh})"
            )
    if settings.inventory_sites:
        sites = {r.full_name.casefold() for r in company_lists.list_records(connection_id, "inventory_site")}
        for location, site in settings.inventory_sites.items():
            if site.casefold() not in sites:
                problems[f"settings.inventory_sites.{location}"] = (
                    f"'{site}' is not an inventory site in this company file (Advanced Inventory; {refresh})"
                )
    items = (
        {r.full_name.casefold(): r for r in company_lists.list_records(connection_id, "item")}
        if settings.units_of_measure or settings.bundle_items
        else {}
    )
    if settings.units_of_measure:
        sets = {
            r.full_name.casefold(): r
            for r in company_lists.list_records(connection_id, "unit_of_measure_set")
        }
        every_unit = {
            str(u.get("name", "")).casefold() for r in sets.values() for u in r.details.get("units", [])
        }
        for sku, unit in settings.units_of_measure.items():
            item = items.get(sku.casefold())
            unit_set = sets.get(str(item.details.get("unit_of_measure_set", "")).casefold()) if item else None
            if item is not None and unit_set is None:
                problems[f"settings.units_of_measure.{sku}"] = (
                    f"the item '{item.full_name}' has no unit of measure set in QuickBooks"
                )
            elif unit_set is not None and unit.casefold() not in {
                str(u.get("name", "")).casefold() for u in unit_set.details.get("units", [])
            }:
                problems[f"settings.units_of_measure.{sku}"] = (
                    f"'{unit}' is not a unit of the set '{unit_set.full_name}' of the item '{sku}'"
                )
            elif unit_set is None and unit.casefold() not in every_unit:
                problems[f"settings.units_of_measure.{sku}"] = (
                    f"'{unit}' is not a unit of any unit of measure set in this company file ({refresh})"
                )
    for sku, group in settings.bundle_items.items():
        found = items.get(group.casefold())
        if found is None or found.details.get("item_type") != "ItemGroup":
            problems[f"settings.bundle_items.{sku}"] = (
                f"'{group}' is not a group item in this company file (Lists > Item List > Group; {refresh})"
            )
    if settings.bundle_adjustment_item:
        wanted = settings.bundle_adjustment_item.casefold()
        adjustment = items.get(wanted) or next(
            (
                r
                for r in company_lists.list_records(connection_id, "item")
                if r.full_name.casefold() == wanted
            ),
            None,
        )
        if adjustment is None or adjustment.details.get("item_type") == "ItemDiscount":
            problems["settings.bundle_adjustment_item"] = (
                f"'{settings.bundle_adjustment_item}' is not an item of this company file that can raise a price "
                "(an other-charge item; a discount item only lowers one)"
            )
    return problems
