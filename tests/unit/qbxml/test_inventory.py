from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from chalicelib.qbxml import parse_message_set_response, render_message_set
from chalicelib.qbxml.inventory import (
    INVENTORY_FIELDS,
    SITE_FIELDS,
    InventoryLevel,
    SiteLevel,
    format_qb_datetime,
    inventory_levels,
    item_inventory_query,
    item_sites_query,
    parse_qb_datetime,
    site_levels,
)
from chalicelib.qbxml.xml import QbxmlParseError
from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators._xsd import schema_index
from tests.paths import FIXTURES
from tests.unit.qbxml.conftest import sample

PACIFIC = timezone(timedelta(hours=-7))
SINCE = datetime(2024, 5, 2, 8, 30, 15, 999_999, tzinfo=PACIFIC)
QBXML = FIXTURES / "qbxml"


def valid(element: etree._Element) -> None:
    errors = schema_errors(render_message_set([element]))
    assert errors == [], errors


def response(path: Path | bytes) -> object:
    data = path.read_bytes() if isinstance(path, Path) else path
    return parse_message_set_response(data).responses[0]


def tags(element: etree._Element) -> list[str]:
    return [str(child.tag) for child in element]


# -- item_inventory_query -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("assemblies", "from_modified", "iterator", "active_status", "max_returned"),
    list(
        itertools.product(
            (False, True),
            (None, SINCE),
            ("Start", "Continue", None),
            ("All", "ActiveOnly", "InactiveOnly"),
            (1, 500),
        )
    ),
)
def test_item_inventory_query_is_valid_13_0(
    assemblies: bool,
    from_modified: datetime | None,
    iterator: str | None,
    active_status: str,
    max_returned: int,
) -> None:
    iterator_id = "{0b7e1c52-9a43-4f61-8a2e-3c5d7e9f1a2b}" if iterator == "Continue" else None
    element = item_inventory_query(
        "inv-1",
        assemblies=assemblies,
        from_modified=from_modified,
        iterator=iterator,
        iterator_id=iterator_id,
        max_returned=max_returned,
        active_status=active_status,
    )
    valid(element)
    assert element.tag == ("ItemInventoryAssemblyQueryRq" if assemblies else "ItemInventoryQueryRq")
    assert element.get("iterator") == iterator
    assert element.get("iteratorID") == iterator_id
    assert element.findtext("MaxReturned") == str(max_returned)
    assert element.findtext("ActiveStatus") == active_status
    assert [e.text for e in element.findall("IncludeRetElement")] == list(INVENTORY_FIELDS)
    expected = ["MaxReturned", "ActiveStatus"]
    if from_modified is not None:
        expected.append("FromModifiedDate")
    assert tags(element) == expected + ["IncludeRetElement"] * len(INVENTORY_FIELDS)


def test_item_inventory_query_defaults_start_an_iterator_of_500() -> None:
    element = item_inventory_query("r")
    assert (element.get("iterator"), element.get("iteratorID")) == ("Start", None)
    assert element.findtext("MaxReturned") == "500"
    assert element.findtext("ActiveStatus") == "All"
    assert element.find("FromModifiedDate") is None


def test_from_modified_is_written_with_its_offset_to_the_second() -> None:
    element = item_inventory_query("r", from_modified=SINCE)
    assert element.findtext("FromModifiedDate") == "2024-05-02T08:30:15-07:00"
    utc = item_inventory_query("r", from_modified=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert utc.findtext("FromModifiedDate") == "2024-01-02T03:04:05+00:00"
    india = timezone(timedelta(hours=5, minutes=30))
    assert format_qb_datetime(datetime(2024, 1, 2, tzinfo=india)) == "2024-01-02T00:00:00+05:30"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"from_modified": datetime(2024, 5, 2)}, "naive"),
        ({"iterator": "Continue"}, "iterator_id"),
        ({"iterator": "Start", "iterator_id": "{x}"}, "must not carry"),
        ({"iterator": None, "iterator_id": "{x}"}, "without iterator"),
        ({"iterator": "Stop"}, "iterator must be"),
        ({"max_returned": 0}, "max_returned"),
        ({"active_status": "Active"}, "active_status"),
    ],
)
def test_item_inventory_query_refuses_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        item_inventory_query("r", **kwargs)  # type: ignore[arg-type]


def test_request_id_is_checked() -> None:
    with pytest.raises(ValueError, match="50"):
        item_inventory_query("x" * 51)


def test_odd_offsets_are_refused() -> None:
    odd = timezone(timedelta(hours=1, seconds=30))
    with pytest.raises(ValueError, match="whole number of minutes"):
        format_qb_datetime(datetime(2024, 1, 1, tzinfo=odd))


@pytest.mark.parametrize("ret", ["ItemInventoryRet", "ItemInventoryAssemblyRet"])
def test_inventory_fields_are_children_of_both_rets(
    ret: str, catalogue_ret_children: dict[str, set[str]]
) -> None:
    index = schema_index()
    assert set(INVENTORY_FIELDS) <= set(index.child_names(index.element(ret)))
    assert set(INVENTORY_FIELDS) <= catalogue_ret_children[ret]


def test_site_fields_are_children_of_item_sites_ret() -> None:
    index = schema_index()
    assert set(SITE_FIELDS) <= set(index.child_names(index.element("ItemSitesRet")))


# -- inventory_levels -----------------------------------------------------------------------------------------
def test_inventory_levels_reads_the_fixture() -> None:
    rs = response(QBXML / "item_inventory_query_rs.xml")
    levels = inventory_levels(rs)  # type: ignore[arg-type]
    assert levels == [
        InventoryLevel(
            list_id="80000007-1704125200",
            kind="inventory",
            name="Blue Widget",
            full_name="Widgets:Blue Widget",
            manufacturer_part_number="BW-10",
            is_active=True,
            quantity_on_hand=Decimal(42),
            quantity_on_sales_order=Decimal(3),
            time_modified=datetime(2024, 5, 2, 8, 30, tzinfo=PACIFIC),
        ),
        InventoryLevel(
            list_id="8000001C-1711995000",
            kind="inventory",
            name="Red Widget",  # from FullName when Name is missing
            full_name="Widgets:Red Widget",
            manufacturer_part_number=None,
            is_active=False,
            quantity_on_hand=Decimal(-2),
            quantity_on_sales_order=Decimal(0),  # missing: zero
            time_modified=datetime(2024, 1, 15, 16, 5, 9, tzinfo=UTC),
        ),
        InventoryLevel(
            list_id="8000001D-1711995100",
            kind="inventory",
            name="Rope (per ft)",
            full_name="Rope (per ft)",
            manufacturer_part_number=None,
            is_active=True,  # missing: active
            quantity_on_hand=Decimal("1187.5"),
            quantity_on_sales_order=Decimal(40),
            time_modified=datetime(2024, 3, 10, 2, 0, tzinfo=timezone(timedelta(hours=-8))),
        ),
    ]
    assert all(level.time_modified.tzinfo is not None for level in levels)
    assert rs.has_more and rs.iterator_id == "{0b7e1c52-9a43-4f61-8a2e-3c5d7e9f1a2b}"  # type: ignore[attr-defined]


def test_inventory_levels_reads_assemblies() -> None:
    levels = inventory_levels(response(QBXML / "item_inventory_assembly_query_rs.xml"))  # type: ignore[arg-type]
    assert [(lv.kind, lv.full_name, lv.quantity_on_hand, lv.quantity_on_sales_order) for lv in levels] == [
        ("assembly", "Kits:Kayak Kit", Decimal(4), Decimal(1))
    ]


def test_inventory_levels_skips_other_item_kinds_and_rets_without_list_id() -> None:
    xml = b"""<QBXML><QBXMLMsgsRs><ItemQueryRs statusCode="0">
      <ItemServiceRet><ListID>1-1</ListID><TimeModified>2024-01-01T00:00:00-08:00</TimeModified></ItemServiceRet>
      <ItemInventoryRet><Name>no id</Name></ItemInventoryRet>
      <ItemInventoryRet><ListID>2-2</ListID><TimeModified>2024-01-01T00:00:00-08:00</TimeModified>
        <FullName>A</FullName><QuantityOnHand>abc</QuantityOnHand></ItemInventoryRet>
    </ItemQueryRs></QBXMLMsgsRs></QBXML>"""
    levels = inventory_levels(response(xml))  # type: ignore[arg-type]
    assert [(lv.list_id, lv.name, lv.quantity_on_hand) for lv in levels] == [("2-2", "A", Decimal(0))]


def test_inventory_levels_needs_time_modified() -> None:
    # Intuit-shaped sample without TimeModified (it did not ask for it): refused, never guessed.
    with pytest.raises(QbxmlParseError, match="TimeModified"):
        inventory_levels(response(sample("synthesized/item_inventory_query_rs.xml")))  # type: ignore[arg-type]


def test_parse_qb_datetime_reads_offsets_and_dates() -> None:
    assert parse_qb_datetime("2024-05-02T08:30:00-07:00") == datetime(2024, 5, 2, 8, 30, tzinfo=PACIFIC)
    assert parse_qb_datetime("2024-05-02") == datetime(2024, 5, 2, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_qb_datetime("yesterday")


def test_empty_and_error_responses_have_no_levels() -> None:
    xml = b"""<QBXML><QBXMLMsgsRs>
      <ItemInventoryQueryRs statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a matching object in QuickBooks"/>
    </QBXMLMsgsRs></QBXML>"""
    assert inventory_levels(response(xml)) == []  # type: ignore[arg-type]


# -- item_sites_query -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("iterator", "max_returned"), [("Start", 500), ("Continue", 100), (None, 1)])
def test_item_sites_query_is_valid_13_0(iterator: str | None, max_returned: int) -> None:
    iterator_id = "{3c2b1a09-8765-4321-9abc-def012345678}" if iterator == "Continue" else None
    element = item_sites_query(
        "s-1", site="Warehouse East", iterator=iterator, iterator_id=iterator_id, max_returned=max_returned
    )
    valid(element)
    assert element.get("iterator") == iterator
    assert element.findtext("ItemSiteFilter/SiteFilter/FullName") == "Warehouse East"
    assert element.findtext("MaxReturned") == str(max_returned)
    assert tags(element) == ["ItemSiteFilter", "MaxReturned"] + ["IncludeRetElement"] * len(SITE_FIELDS)


def test_item_sites_query_checks_the_site() -> None:
    with pytest.raises(ValueError, match="64"):
        item_sites_query("s", site="x" * 65)
    with pytest.raises(ValueError, match="site"):
        item_sites_query("s", site=" ")
    valid(item_sites_query("s", site="x" * 64))


def test_site_levels_reads_the_fixture() -> None:
    levels = site_levels(response(QBXML / "item_sites_query_rs.xml"))  # type: ignore[arg-type]
    assert levels == [
        SiteLevel("80000007-1704125200", "Widgets:Blue Widget", "Warehouse East", Decimal(30), Decimal(2)),
        SiteLevel("80000040-1712000000", "Kits:Kayak Kit", "Warehouse East", Decimal("1.5"), Decimal(0)),
    ]


def test_fixtures_are_valid_13_0_responses() -> None:
    for name in (
        "item_inventory_query_rs.xml",
        "item_inventory_assembly_query_rs.xml",
        "item_sites_query_rs.xml",
    ):
        assert schema_errors((QBXML / name).read_bytes()) == [], name
