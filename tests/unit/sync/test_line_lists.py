"""What the company lists keep for product lines: unit sets' units, price levels' percentages, groups' members."""

from __future__ import annotations

from lxml import etree

from chalicelib.sync.line_lists import LINE_LISTS, OPTIONAL_LISTS, line_details


def test_a_unit_set_keeps_its_units_and_ratios() -> None:
    ret = etree.fromstring(
        "<UnitOfMeasureSetRet><ListID>1</ListID><Name>Rope lengths</Name>"
        "<BaseUnit><Name>Foot</Name><Abbreviation>ft</Abbreviation></BaseUnit>"
        "<RelatedUnit><Name>Spool</Name><Abbreviation>sp</Abbreviation><ConversionRatio>100</ConversionRatio></RelatedUnit>"
        "</UnitOfMeasureSetRet>"
    )
    assert line_details(ret) == {
        "units": [
            {"name": "Foot", "abbreviation": "ft", "ratio": "1"},
            {"name": "Spool", "abbreviation": "sp", "ratio": "100"},
        ]
    }


def test_a_group_keeps_its_members_and_an_item_its_unit_set() -> None:
    group = etree.fromstring(
        "<ItemGroupRet><ListID>2</ListID><Name>Camp Kit</Name>"
        "<ItemGroupLine><ItemRef><FullName>Widgets:Blue Widget</FullName></ItemRef><Quantity>2</Quantity></ItemGroupLine>"
        "<ItemGroupLine><ItemRef><FullName>Rope (per ft)</FullName></ItemRef></ItemGroupLine></ItemGroupRet>"
    )
    assert line_details(group)["group_lines"] == [
        {"item": "Widgets:Blue Widget", "quantity": "2"},
        {"item": "Rope (per ft)", "quantity": "1"},
    ]
    item = etree.fromstring(
        "<ItemInventoryRet><ListID>3</ListID><UnitOfMeasureSetRef><FullName>Rope lengths</FullName>"
        "</UnitOfMeasureSetRef></ItemInventoryRet>"
    )
    assert line_details(item) == {"unit_of_measure_set": "Rope lengths"}


def test_a_price_level_keeps_its_type_and_percentage() -> None:
    ret = etree.fromstring(
        "<PriceLevelRet><ListID>4</ListID><Name>Wholesale</Name><PriceLevelType>FixedPercentage</PriceLevelType>"
        "<PriceLevelFixedPercentage>-10</PriceLevelFixedPercentage></PriceLevelRet>"
    )
    assert line_details(ret) == {"price_level_type": "FixedPercentage", "percentage": "-10"}
    assert line_details(etree.fromstring("<ClassRet><ListID>5</ListID></ClassRet>")) == {}


def test_the_line_lists_are_optional_queries_of_the_refresh() -> None:
    assert set(LINE_LISTS) == set(OPTIONAL_LISTS) == {"price_level", "unit_of_measure_set", "inventory_site"}
    tags = {LINE_LISTS[k]("r").tag for k in LINE_LISTS}
    assert tags == {"PriceLevelQueryRq", "UnitOfMeasureSetQueryRq", "InventorySiteQueryRq"}
