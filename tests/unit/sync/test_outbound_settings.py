"""The channel settings of QuickBooks outbound work, and how a QuickBooks item becomes a store quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.orders.settings import (
    ChannelSettings,
    SettingsInvalid,
    parse_settings,
    settings_from_json,
    settings_to_json,
)
from chalicelib.sync.inventory import available, sku_of


def test_directions_default_to_orders_and_round_trip():
    settings = parse_settings({"accounts": {"deposit": "Undeposited Funds"}})
    assert settings.directions == ("orders_to_quickbooks",)
    both = parse_settings(
        {
            "accounts": {"deposit": "Undeposited Funds"},
            "directions": ["inventory_to_store", "orders_to_quickbooks"],
            "subtract_sales_orders": True,
            "inventory_site": "Warehouse",
            "full_inventory_every_minutes": 120,
        }
    )
    assert both.directions == ("orders_to_quickbooks", "inventory_to_store")
    assert settings_from_json(settings_to_json(both)) == both


def test_an_outbound_only_channel_needs_no_deposit_account():
    settings = parse_settings({"directions": ["quickbooks_to_shipstation"], "shipstation_source": "invoice"})
    assert settings.moves("quickbooks_to_shipstation") and not settings.moves("orders_to_quickbooks")
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings({"directions": ["orders_to_quickbooks"]})
    assert "settings.accounts.deposit" in caught.value.problems


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("directions", []),
        ("directions", ["sideways"]),
        ("subtract_sales_orders", "yes"),
        ("full_inventory_every_minutes", 1),
        ("shipstation_source", "estimate"),
        ("shipping_cost_to", "nowhere"),
        ("inventory_site", "x" * 32),
    ],
)
def test_bad_outbound_settings_are_named(field, value):
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings({"accounts": {"deposit": "Undeposited Funds"}, field: value})
    assert f"settings.{field}" in caught.value.problems


@pytest.mark.parametrize(
    ("matching", "expected"),
    [("name", "EARL-GREY"), ("full_name", "Tea:EARL-GREY"), ("manufacturer_part_number", "MPN-9")],
)
def test_the_store_sku_follows_the_product_matching_setting(matching, expected):
    settings = ChannelSettings(product_matching=matching)
    assert sku_of(settings, "EARL-GREY", "Tea:EARL-GREY", "MPN-9") == expected


def test_available_is_whole_units_never_negative_optionally_less_sales_orders():
    assert available(Decimal("10.7"), Decimal("3"), False) == 10
    assert available(Decimal("10.7"), Decimal("3"), True) == 7
    assert available(Decimal("2"), Decimal("5"), True) == 0
    assert available(Decimal("-4"), Decimal("0"), False) == 0
