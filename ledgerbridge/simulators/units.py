"""Price levels and units of measure on sales lines, in the company simulator.

`sales.py` calls `line_price` for each priced line (items sold by quantity); the list queries for
`PriceLevelQueryRq` / `UnitOfMeasureSetQueryRq` are answered by `lists.py` like any list. The Python API
(`add_price_level`, `add_unit_of_measure_set`, `set_item_unit_set`) is for tests, the CLI and the demo.

Behaviour, and the evidence behind it (qbXML 13.0 `qbxml130.xsd`; Intuit's QuickBooks Desktop SDK reference via
developer.intuit.com, "PriceLevelAdd" / "UnitOfMeasureSetAdd"; QuickBooks Desktop help "Set up price levels" and
"Use units of measure"):

* **Price levels** (PriceLevelRet: PriceLevelType FixedPercentage with PriceLevelFixedPercentage, or PerItem with
  PriceLevelPerItemRet: ItemRef and CustomPrice or CustomPricePercent). A line's PriceLevelRef (TxnLineCorePrice-
  LevelAdd: "Rate or PriceLevelRef", one or the other) sets the line's rate only when the line gives neither Rate
  nor Amount: fixed percentage = the item's price x (1 + percentage / 100) (a negative percentage lowers it: the
  help's "decrease item prices by 10%" is -10); per item = the level's CustomPrice for that item, or the item's
  price x (1 + CustomPricePercent / 100), else the item's own price (an item the level does not list). The rate is
  kept at PRICETYPE's five decimals, rounded half up; with the preference IsRoundingSalesPriceUp it is rounded up
  to the whole currency unit (the help's "round up to the nearest whole dollar"). An Amount or Rate sent wins over
  the level (what the schema's choice implies; Ledgerbridge always sends the store's amount). The line's Ret has
  no PriceLevelRef (13.0 TxnLineCore): only the resulting Rate shows it. A price level on a file whose preference
  IsUsingPriceLevels is false is refused with 3250 (stricter than we know QuickBooks to be: unverified).
* **Units of measure** (UnitOfMeasureSetRet: BaseUnit, RelatedUnit with ConversionRatio = base units per unit).
  A line's UnitOfMeasure must name the base unit or a related unit of the item's UnitOfMeasureSetRef (by Name,
  case-insensitive; an abbreviation, another set's unit, or an item with no set is refused with 3140 naming
  "Unit of Measure": QuickBooks' exact answer is not in our evidence, so this is strict). The line's Quantity is
  in that unit; without Rate/Amount the rate is the item's (base-unit) price x the ratio (then the price level);
  quantities on hand, on sales orders and at the line's site move by Quantity x ratio base units. The Ret keeps
  UnitOfMeasure as sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import Severity, Status, StatusError, status_invalid_reference
from ledgerbridge.simulators.stored import full_name_of

__all__ = ["add_price_level", "add_unit_of_measure_set", "line_price", "set_item_unit_set"]

_PRICE_STEP = Decimal("0.00001")


def _dec(value: Any, default: str = "0") -> Decimal:
    text = str(value).strip() if value is not None else ""
    return Decimal(text or default)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _unit_ratio(company: CompanyLists, item: Mapping[str, Any], unit: str, line_label: str) -> Decimal:
    """Base units per `unit` of the item's U/M set; StatusError 3140 when the set has no such unit."""
    set_ref = item.get("UnitOfMeasureSetRef")
    found = (
        company.lookup(("UnitOfMeasureSet",), list_id=str(set_ref.get("ListID")))
        if isinstance(set_ref, Mapping)
        else None
    )
    if found is not None:
        unit_set = found[1]
        base = unit_set.get("BaseUnit")
        if isinstance(base, Mapping) and str(base.get("Name", "")).casefold() == unit.casefold():
            return Decimal(1)
        for related in _as_list(unit_set.get("RelatedUnit")):
            if str(related.get("Name", "")).casefold() == unit.casefold():
                return _dec(related.get("ConversionRatio"), "1")
    raise StatusError(status_invalid_reference("Unit of Measure", unit, line_label))


def _level_rate(
    company: CompanyLists, level_ref: Mapping[str, Any], item: Mapping[str, Any], base: Decimal
) -> Decimal:
    prefs = company.preferences_ret().get("SalesAndCustomersPreferences", {}).get("PriceLevels", {})
    if prefs.get("IsUsingPriceLevels") != "true":
        raise StatusError(
            Status(
                3250,
                Severity.ERROR,
                "This feature is not enabled or not available in this version of QuickBooks.",
            )
        )
    found = company.lookup(("PriceLevel",), list_id=str(level_ref.get("ListID")))
    if found is None:  # pragma: no cover - resolved a moment ago
        raise StatusError(status_invalid_reference("Price Level", str(level_ref.get("FullName")), "line"))
    level = found[1]
    rate = base
    if level.get("PriceLevelType") == "FixedPercentage":
        rate = base * (1 + _dec(level.get("PriceLevelFixedPercentage")) / 100)
    else:
        for entry in _as_list(level.get("PriceLevelPerItemRet")):
            if str(entry.get("ItemRef", {}).get("ListID")) != str(item.get("ListID")):
                continue
            if "CustomPrice" in entry:
                rate = _dec(entry["CustomPrice"])
            elif "CustomPricePercent" in entry:
                rate = base * (1 + _dec(entry["CustomPricePercent"]) / 100)
    if prefs.get("IsRoundingSalesPriceUp") == "true":
        return rate.quantize(Decimal(1), rounding=ROUND_CEILING)
    return rate.quantize(_PRICE_STEP, rounding=ROUND_HALF_UP)


def line_price(
    company: CompanyLists,
    item: Mapping[str, Any],
    data: Mapping[str, Any],
    ret: dict[str, Any],
    price: str | None,
    line_label: str,
) -> tuple[str | None, Decimal]:
    """(the line's default rate, base units per unit of the line's quantity) for a priced item line: the item's
    `price` per base unit converted to the line's UnitOfMeasure, then at its PriceLevelRef; `ret` gets the unit."""
    ratio = Decimal(1)
    unit = data.get("UnitOfMeasure")
    if unit:
        ratio = _unit_ratio(company, item, str(unit), line_label)
        ret["UnitOfMeasure"] = unit
    level_ref = data.get("PriceLevelRef")
    if price is None:
        return None, ratio
    base = _dec(price) * ratio
    if isinstance(level_ref, Mapping):
        base = _level_rate(company, level_ref, item, base)
        return format(base.normalize(), "f"), ratio
    return (format(base.normalize(), "f") if ratio != 1 else price), ratio


# ---------------------------------------------------------------------------------------------- Python API


def _add(company: CompanyLists, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    obj = company._build_object(kind, data, created=company.now())
    company._insert(kind, obj)
    company.touch()
    return obj


def add_price_level(
    company: CompanyLists,
    name: str,
    *,
    percentage: Decimal | None = None,
    per_item: Mapping[str, Decimal] | None = None,
) -> str:
    """Add a price level (fixed `percentage`, or `per_item` {item full name: custom price}) and turn the
    preference IsUsingPriceLevels on; its ListID."""
    data: dict[str, Any] = {"Name": name, "IsActive": "true"}
    if percentage is not None:
        data.update(PriceLevelType="FixedPercentage", PriceLevelFixedPercentage=str(percentage))
    else:
        data["PriceLevelType"] = "PerItem"
        data["PriceLevelPerItemRet"] = [
            {"ItemRef": {"FullName": item}, "CustomPrice": str(price)}
            for item, price in (per_item or {}).items()
        ]
    obj = _add(company, "PriceLevel", data)
    prefs = company._data["company"]["preferences"]
    sales_prefs = prefs.setdefault("SalesAndCustomersPreferences", {})
    sales_prefs.setdefault("PriceLevels", {})["IsUsingPriceLevels"] = "true"
    return str(obj["ListID"])


def add_unit_of_measure_set(
    company: CompanyLists, name: str, base: str, related: Sequence[tuple[str, Decimal]] = ()
) -> str:
    """Add a unit of measure set (`base` unit, `related` (name, base units per unit)); its ListID."""
    data: dict[str, Any] = {
        "Name": name,
        "IsActive": "true",
        "UnitOfMeasureType": "Count",
        "BaseUnit": {"Name": base, "Abbreviation": base[:31]},
        "RelatedUnit": [
            {"Name": unit, "Abbreviation": unit[:31], "ConversionRatio": format(ratio.normalize(), "f")}
            for unit, ratio in related
        ],
    }
    return str(_add(company, "UnitOfMeasureSet", data)["ListID"])


def set_item_unit_set(company: CompanyLists, item: str, unit_set: str) -> None:
    """Give an item (by full name) a unit of measure set (by name), as Edit Item does."""
    from ledgerbridge.simulators.lists import ITEM_KINDS

    found = company.lookup(ITEM_KINDS, full_name=item)
    unit = company.lookup(("UnitOfMeasureSet",), full_name=unit_set)
    if found is None or unit is None:
        raise KeyError(f"no item {item!r} or unit of measure set {unit_set!r}")
    found[1]["UnitOfMeasureSetRef"] = {"ListID": unit[1]["ListID"], "FullName": full_name_of(unit[1])}
    company.touch()
