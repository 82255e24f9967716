"""The channel settings' price level, units of measure and inventory sites on the sale's product lines."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.orders.model import OrderLine
from chalicelib.orders.quickbooks.extras import line_choices, order_site, with_settings
from chalicelib.orders.settings import SettingsInvalid, parse_settings, settings_from_json, settings_to_json
from chalicelib.rules import PostingExtras, UnitOfMeasure

from .helpers import FILES, US, order_with, sale

CENT = Decimal("0.01")


def product(add: etree._Element) -> list[etree._Element]:
    return [el for el in add if str(el.tag).endswith("LineAdd") and el.find("Quantity") is not None]


# -- settings ------------------------------------------------------------------------------------------------
def test_line_settings_parse_and_round_trip() -> None:
    parsed = parse_settings(
        {
            "price_level": " Wholesale ",
            "units_of_measure": {"BEER-24": "Case"},
            "inventory_sites": {"Main St": "Warehouse"},
            "bundles": "group",
            "bundle_items": {"KIT": "Camp Kit"},
        },
        base=US,
    )
    assert parsed.price_level == "Wholesale" and parsed.units_of_measure == {"BEER-24": "Case"}
    assert parsed.bundles == "group" and parsed.bundle_items == {"KIT": "Camp Kit"}
    assert settings_from_json(settings_to_json(parsed)) == parsed


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"price_level": "L" * 32}, "settings.price_level"),
        ({"units_of_measure": {"SKU": "U" * 32}}, "settings.units_of_measure"),
        ({"units_of_measure": ["Case"]}, "settings.units_of_measure"),
        ({"inventory_sites": {"": "Warehouse"}}, "settings.inventory_sites"),
        ({"bundles": "kit"}, "settings.bundles"),
        ({"bundle_items": {"KIT": 3}}, "settings.bundle_items"),
    ],
)
def test_bad_line_settings_name_their_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings(data, base=US)
    assert field in caught.value.problems


def test_defaults_keep_todays_lines() -> None:
    order = order_with()
    assert line_choices(order, US, None) == (order, None)


# -- what the settings fill, and what the rules keep --------------------------------------------------------
def test_settings_fill_what_the_rules_left_empty_and_rules_win() -> None:
    configured = dataclasses.replace(
        US,
        price_level="Retail",
        units_of_measure={"sku-1": "Case"},
        inventory_sites={"main st": "Warehouse"},
    )
    order = order_with(location="Main St")
    filled = with_settings(order, configured, None)
    assert filled is not None
    assert (filled.price_level, filled.inventory_site) == ("Retail", "Warehouse")
    assert filled.line_units == {"1": UnitOfMeasure("Case", Decimal(1))}
    rules = PostingExtras(
        price_level="Dealer", inventory_site="Back Room", line_units={"1": UnitOfMeasure("Pair", Decimal(2))}
    )
    kept = with_settings(order, configured, rules)
    assert kept is not None
    assert (kept.price_level, kept.inventory_site, kept.line_units) == (
        "Dealer",
        "Back Room",
        rules.line_units,
    )


def test_the_site_comes_from_the_location_or_the_location_attribute() -> None:
    configured = dataclasses.replace(US, inventory_sites={"Pop-up": "Van"})
    assert order_site(order_with(attributes={"location": "pop-up"}), configured) == "Van"
    assert order_site(order_with(location="Elsewhere"), configured) == ""


@pytest.mark.parametrize("country", ["US", "CA", "UK"])
@pytest.mark.parametrize("txn_type", ["sales_receipt", "invoice", "sales_order"])
def test_level_unit_and_site_land_on_each_product_line(country: str, txn_type: str) -> None:
    configured = dataclasses.replace(
        FILES[country],
        price_level="Retail",
        units_of_measure={"SKU-1": "Case"},
        inventory_sites={"Main": "North"},
    )
    order = order_with(location="Main")
    order, extras = line_choices(order, configured, None)
    add = sale(order, country, txn_type, extras=extras)[0]
    (line,) = product(add)
    assert line.findtext("UnitOfMeasure") == "Case"
    assert line.findtext("PriceLevelRef/FullName") == "Retail"
    assert line.findtext("InventorySiteRef/FullName") == "North"
    assert line.findtext("Amount") == "10.00" and line.find("Rate") is None


@settings(max_examples=60, deadline=None)
@given(
    quantity=st.integers(min_value=1, max_value=500),
    cents=st.integers(min_value=0, max_value=1_000_000),
    factor=st.sampled_from(
        [Decimal(1), Decimal(2), Decimal(6), Decimal(12), Decimal("0.5"), Decimal("0.25")]
    ),
)
def test_unit_conversion_keeps_the_amount_to_the_cent(quantity: int, cents: int, factor: Decimal) -> None:
    price = Decimal(cents) * CENT
    line = OrderLine("1", "SKU-1", "Thing", Decimal(quantity), price)
    order = order_with(lines=(line,), total=line.amount)
    extras = PostingExtras(line_units={"1": UnitOfMeasure("Box", factor)})
    (element,) = product(sale(order, "US", "sales_receipt", extras=extras)[0])
    assert Decimal(element.findtext("Quantity") or "") == quantity * factor
    rate, amount = element.findtext("Rate"), element.findtext("Amount")
    if amount is not None:
        assert Decimal(amount) == line.amount
    else:
        assert Decimal(rate or "") == price / factor
        assert (Decimal(rate or "") * quantity * factor).quantize(CENT) == line.amount
