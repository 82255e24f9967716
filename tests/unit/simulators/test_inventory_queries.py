"""Inventory in the company simulator: item quantity queries over many items, FromModifiedDate, sites."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from chalicelib.qbxml import QbResponse, parse_response, render_message_set
from chalicelib.qbxml.inventory import (
    INVENTORY_FIELDS,
    inventory_levels,
    item_inventory_query,
    item_sites_query,
    site_levels,
)
from ledgerbridge.simulators.company import CompanySimulator, QuickBooksFault
from ledgerbridge.simulators.sale_mods import SaleLineSpec
from tests.unit.simulators.conftest import TickClock, status
from tests.unit.simulators.sales_helpers import line, msgs, one, qbxml, query, sales_add

BIG = 10_000


def ask(company: CompanySimulator, request: etree._Element) -> tuple[etree._Element, int]:
    """Process one request built by the service's builders; its `*Rs` and the response size in bytes."""
    text = company.process(render_message_set([request]))
    return msgs(text)[0], len(text.encode("utf-8"))


def read(rs: etree._Element) -> QbResponse:
    """The service's view of an `*Rs` element."""
    return parse_response(rs)


def modified_since(company: CompanySimulator, moment: str, *, kind: str = "ItemInventory") -> list[str]:
    """Names of the items a FromModifiedDate query returns (none: status 1)."""
    rs = one(
        company, query(kind, f"<ActiveStatus>All</ActiveStatus><FromModifiedDate>{moment}</FromModifiedDate>")
    )
    if status(rs)[0] == 1:
        return []
    assert status(rs)[0] == 0
    return [ret.findtext("FullName") or "" for ret in rs]


@pytest.fixture(scope="module")
def big_company() -> CompanySimulator:
    company = CompanySimulator.create(clock=TickClock())
    company.add_inventory_items(BIG, quantity=lambda n: n % 37, quantity_on_sales_order=1)
    return company


# -- iterating over many items ------------------------------------------------------------------------------
def test_iterating_10000_items_with_include_ret_element(big_company: CompanySimulator) -> None:
    company = big_company
    expected_total = company.count("ItemInventory")
    rs, size = ask(company, item_inventory_query("inv-0", max_returned=500))
    seen: list[str] = []
    sizes = [size]
    remaining = [int(rs.get("iteratorRemainingCount", "-1"))]
    iterator_id = rs.get("iteratorID")
    assert iterator_id and iterator_id.startswith("{")
    while True:
        response = read(rs)
        levels = inventory_levels(response)
        assert len(levels) <= 500
        for ret in rs:
            # only the elements asked for, in schema order
            assert [child.tag for child in ret] == [t for t in INVENTORY_FIELDS if ret.find(t) is not None]
            assert {child.tag for child in ret} <= set(INVENTORY_FIELDS)
        seen += [level.full_name for level in levels]
        if not response.has_more:
            break
        assert rs.get("iteratorID") == iterator_id
        rs, size = ask(
            company, item_inventory_query(f"inv-{len(sizes)}", iterator="Continue", iterator_id=iterator_id)
        )
        sizes.append(size)
        remaining.append(int(rs.get("iteratorRemainingCount", "-1")))
    assert len(seen) == expected_total and len(set(seen)) == expected_total
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0
    assert remaining[0] == expected_total - 500
    assert len(sizes) == -(-expected_total // 500)
    # IncludeRetElement keeps every answer of 500 items small (about 350 bytes per item)
    assert max(sizes) < 200_000
    # a finished iterator is gone
    stale, _ = ask(company, item_inventory_query("late", iterator="Continue", iterator_id=iterator_id))
    assert status(stale) == (3391, "Error", f'The iteratorID "{iterator_id}" is not valid.')


def test_without_include_ret_element_items_come_whole(big_company: CompanySimulator) -> None:
    rs = one(big_company, query("ItemInventory", "<MaxReturned>50</MaxReturned>"))
    assert len(rs) == 50
    assert {"SalesPrice", "IncomeAccountRef", "AssetAccountRef", "EditSequence"} <= {c.tag for c in rs[0]}
    small, small_size = ask(big_company, item_inventory_query("s", iterator=None, max_returned=50))
    whole_size = len(etree.tostring(rs))
    assert len(small) == 50 and small_size < whole_size / 2


def test_unknown_iterator_id_is_an_error(company: CompanySimulator) -> None:
    rs, _ = ask(
        company,
        item_inventory_query("x", iterator="Continue", iterator_id="{00000000-0000-0000-0000-000000000000}"),
    )
    assert status(rs)[:2] == (3391, "Error")
    assert len(rs) == 0


def test_iterators_die_with_the_session(company: CompanySimulator) -> None:
    company.add_inventory_items(30)
    rs, _ = ask(company, item_inventory_query("a", max_returned=10))
    iterator_id = rs.get("iteratorID") or ""
    company.end_session()
    again, _ = ask(company, item_inventory_query("b", iterator="Continue", iterator_id=iterator_id))
    assert status(again)[0] == 3391


def test_generated_items_carry_inventory_fields(company: CompanySimulator) -> None:
    names = company.add_inventory_items(3, quantity=lambda n: n * 2, quantity_on_sales_order="1.5")
    assert names == ["SKU-00001", "SKU-00002", "SKU-00003"]
    assert company.add_inventory_items(1) == ["SKU-00004"]
    item = company.find("ItemInventory", "SKU-00002")
    assert item is not None
    assert (item["QuantityOnHand"], item["QuantityOnSalesOrder"], item["ManufacturerPartNumber"]) == (
        "4",
        "1.5",
        "SKU-00002",
    )
    assert len({o["ListID"] for o in company.objects("ItemInventory")}) == company.count("ItemInventory")
    with pytest.raises(ValueError, match="kind"):
        company.add_inventory_items(1, kind="ItemService")


# -- FromModifiedDate: edits yes, stock movements no ------------------------------------------------------
def test_transactions_do_not_make_an_item_modified_but_edits_do(company: CompanySimulator) -> None:
    company.add_inventory_items(3, quantity=20)
    before = company.find("ItemInventory", "SKU-00001")
    assert before is not None
    cursor = company.now().isoformat()
    assert modified_since(company, cursor) == []
    # an invoice (qbXML), a sales order (Python API) and an inventory adjustment move stock ...
    invoice = sales_add("Invoice", line("Invoice", "SKU-00001", qty="3"), customer="Alder Creek Outfitters")
    assert status(one(company, invoice))[0] == 0
    company.add_sales_order(customer="Walk-in Customer", lines=[SaleLineSpec("SKU-00002", quantity=4)])
    company.adjust_quantity("SKU-00003", delta=-5)
    items = {name: company.find("ItemInventory", name) for name in ("SKU-00001", "SKU-00002", "SKU-00003")}
    assert {n: (i or {})["QuantityOnHand"] for n, i in items.items()} == {
        "SKU-00001": "17",
        "SKU-00002": "20",
        "SKU-00003": "15",
    }
    assert (items["SKU-00002"] or {})["QuantityOnSalesOrder"] == "4"
    # ... but no item counts as modified
    assert modified_since(company, cursor) == []
    assert {(i or {})["TimeModified"] for i in items.values()} == {before["TimeModified"]}
    assert (items["SKU-00001"] or {})["EditSequence"] == before["EditSequence"]
    # editing the item does
    edited = company.edit_item("SKU-00003", quantity_on_hand=12, manufacturer_part_number="MPN-3")
    assert edited["TimeModified"] > cursor and edited["EditSequence"] != before["EditSequence"]
    assert modified_since(company, cursor) == ["SKU-00003"]
    rs, _ = ask(company, item_inventory_query("m", from_modified=company.parse_datetime(cursor)))
    (level,) = inventory_levels(read(rs))
    assert (level.full_name, level.quantity_on_hand, level.manufacturer_part_number) == (
        "SKU-00003",
        Decimal(12),
        "MPN-3",
    )
    assert level.time_modified == company.parse_datetime(edited["TimeModified"])


def test_to_modified_date_and_active_status(company: CompanySimulator) -> None:
    company.add_inventory_items(2)
    middle = company.now().isoformat()
    company.edit_item("SKU-00002", is_active=False)
    rs = one(
        company,
        query("ItemInventory", f"<ActiveStatus>All</ActiveStatus><ToModifiedDate>{middle}</ToModifiedDate>"),
    )
    names = [r.findtext("FullName") for r in rs]
    assert "SKU-00001" in names and "SKU-00002" not in names
    active = one(company, query("ItemInventory", "<MaxReturned>100</MaxReturned>"))  # default: ActiveOnly
    assert "SKU-00002" not in [r.findtext("FullName") for r in active]
    inactive = one(company, query("ItemInventory", "<ActiveStatus>InactiveOnly</ActiveStatus>"))
    assert [(r.findtext("FullName"), r.findtext("IsActive")) for r in inactive] == [("SKU-00002", "false")]


def test_adjust_quantity_to_a_new_quantity(company: CompanySimulator) -> None:
    company.add_inventory_items(1, quantity=7)
    assert company.adjust_quantity("SKU-00001", new_quantity="2.5") == Decimal("2.5")
    with pytest.raises(ValueError, match="exactly one"):
        company.adjust_quantity("SKU-00001")
    with pytest.raises(KeyError):
        company.adjust_quantity("NOPE", delta=1)


# -- assemblies ----------------------------------------------------------------------------------------------
def test_assemblies_have_their_own_query(company: CompanySimulator) -> None:
    company.add_inventory_items(2, prefix="KIT-", kind="ItemInventoryAssembly", quantity=3)
    company.add_inventory_items(1)
    rs, _ = ask(company, item_inventory_query("a", assemblies=True))
    assert [r.tag for r in rs] == ["ItemInventoryAssemblyRet"] * 2
    levels = inventory_levels(read(rs))
    assert [(lv.kind, lv.full_name, lv.quantity_on_hand) for lv in levels] == [
        ("assembly", "KIT-00001", Decimal(3)),
        ("assembly", "KIT-00002", Decimal(3)),
    ]
    parts, _ = ask(company, item_inventory_query("p"))
    assert "KIT-00001" not in [r.findtext("FullName") for r in parts]
    # an assembly sold on a sales order is on sales orders too
    company.add_sales_order(customer="Walk-in Customer", lines=[SaleLineSpec("KIT-00001", quantity=2)])
    assert (company.find("ItemInventoryAssembly", "KIT-00001") or {})["QuantityOnSalesOrder"] == "2"


# -- sites -----------------------------------------------------------------------------------------------------
def test_item_sites_need_advanced_inventory(company: CompanySimulator) -> None:
    company.add_inventory_items(1)
    rs, _ = ask(company, item_sites_query("s", site="Main"))
    assert status(rs) == (
        3250,
        "Error",
        "This feature is not enabled or not available in this version of QuickBooks.",
    )


def test_item_sites_by_site(company: CompanySimulator) -> None:
    company.add_inventory_items(3, sites={"Main": lambda n: n * 10, "Annex": 1})
    assert company.find("ItemInventory", "SKU-00002")["QuantityOnHand"] == "21"  # type: ignore[index]
    company.add_sales_order(
        customer="Walk-in Customer", lines=[SaleLineSpec("SKU-00002", quantity=4, site="Main")]
    )
    company.add_invoice(
        customer="Walk-in Customer", lines=[SaleLineSpec("SKU-00003", quantity=5, site="Main")]
    )
    rs, _ = ask(company, item_sites_query("s", site="Main"))
    levels = site_levels(read(rs))
    assert [
        (lv.item_full_name, lv.site, lv.quantity_on_hand, lv.quantity_on_sales_order) for lv in levels
    ] == [
        ("SKU-00001", "Main", Decimal(10), Decimal(0)),
        ("SKU-00002", "Main", Decimal(20), Decimal(4)),
        ("SKU-00003", "Main", Decimal(25), Decimal(0)),
    ]
    assert all(lv.item_list_id for lv in levels)
    assert company.find("ItemInventory", "SKU-00003")["QuantityOnHand"] == "26"  # type: ignore[index]
    assert company.site_quantities("SKU-00003") == {
        "Main": (Decimal(25), Decimal(0)),
        "Annex": (Decimal(1), Decimal(0)),
    }
    # only the elements asked for (plus the item reference every ItemSitesRet must have)
    assert {c.tag for c in rs[0]} == {
        "ItemInventoryRef",
        "InventorySiteRef",
        "QuantityOnHand",
        "QuantityOnSalesOrders",
    }
    nothing, _ = ask(company, item_sites_query("n", site="Nowhere"))
    assert status(nothing)[0] == 1


def test_site_quantities_move_like_transactions(company: CompanySimulator) -> None:
    company.add_inventory_items(1, sites={"Main": 5})
    cursor = company.now().isoformat()
    company.set_site_quantity("SKU-00001", "Main", 8, quantity_on_sales_orders=2)
    company.add_inventory_site("Annex")
    company.adjust_quantity("SKU-00001", delta=3, site="Annex")
    assert company.site_quantities("SKU-00001") == {
        "Main": (Decimal(8), Decimal(2)),
        "Annex": (Decimal(3), Decimal(0)),
    }
    assert company.find("ItemInventory", "SKU-00001")["QuantityOnHand"] == "11"  # type: ignore[index]
    assert modified_since(company, cursor) == []
    with pytest.raises(KeyError):
        company.set_site_quantity("SKU-00001", "Nowhere", 1)


def test_item_sites_iterator_and_filters(company: CompanySimulator) -> None:
    company.add_inventory_items(25, sites={"Main": 2, "Annex": 1})
    rs, _ = ask(company, item_sites_query("s", site="Annex", max_returned=10))
    counts = [len(rs)]
    iterator_id = rs.get("iteratorID") or ""
    while int(rs.get("iteratorRemainingCount", "0")):
        rs, _ = ask(
            company,
            item_sites_query(
                "c", site="Annex", iterator="Continue", iterator_id=iterator_id, max_returned=10
            ),
        )
        counts.append(len(rs))
    assert counts == [10, 10, 5]
    by_item = one(
        company,
        query(
            "ItemSites",
            "<ItemSiteFilter><ItemFilter><FullName>SKU-00003</FullName></ItemFilter></ItemSiteFilter>",
        ),
    )
    assert sorted(r.findtext("InventorySiteRef/FullName") or "" for r in by_item) == ["Annex", "Main"]
    by_type = one(company, query("ItemSites", "<ItemTypeFilter>Assembly</ItemTypeFilter>"))
    assert status(by_type)[0] == 1
    first_id = by_item[0].findtext("ListID") or ""
    lookup = one(company, query("ItemSites", f"<ListID>{first_id}</ListID><ListID>1-1</ListID>"))
    assert status(lookup)[0] == 500 and len(lookup) == 1


# -- validation and persistence -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "<IncludeRetElement>ListID</IncludeRetElement><MaxReturned>5</MaxReturned>",  # order
        "<FullName>SKU-00001</FullName><MaxReturned>5</MaxReturned>",  # lookup and filter together
    ],
)
def test_invalid_inventory_requests_are_parse_errors(company: CompanySimulator, body: str) -> None:
    with pytest.raises(QuickBooksFault) as fault:
        company.process(qbxml(query("ItemInventory", body)))
    assert fault.value.hresult == "0x80040400"


def test_invalid_item_sites_request_is_a_parse_error(company: CompanySimulator) -> None:
    body = "<MaxReturned>5</MaxReturned><ItemSiteFilter><SiteFilter><FullName>Main</FullName></SiteFilter></ItemSiteFilter>"
    with pytest.raises(QuickBooksFault) as fault:
        company.process(qbxml(query("ItemSites", body)))
    assert fault.value.hresult == "0x80040400"


def test_inventory_survives_save_and_reload(company_path: Path) -> None:
    company = CompanySimulator.open(company_path, clock=TickClock())
    company.add_inventory_items(1500, sites={"Main": 4})
    company.edit_item("SKU-00010", quantity_on_hand=99)
    company.set_site_quantity("SKU-00011", "Main", 1)
    again = CompanySimulator.open(company_path, clock=TickClock())
    assert again.count("ItemInventory") == company.count("ItemInventory")
    assert again.find("ItemInventory", "SKU-00010") == company.find("ItemInventory", "SKU-00010")
    assert again.site_quantities("SKU-00011") == {"Main": (Decimal(1), Decimal(0))}
    assert again.objects("InventorySite")[0]["Name"] == "Main"
    rs, _ = ask(again, item_sites_query("s", site="Main", max_returned=2000))
    assert len(rs) == 1500
    # big files are written compactly
    assert "\n " not in company_path.read_text(encoding="utf-8")[:1000]


def test_ten_thousand_items_round_trip(tmp_path: Path) -> None:
    company = CompanySimulator.open(tmp_path / "big.json", clock=TickClock())
    company.add_inventory_items(BIG, quantity=3)  # saved by autosave
    again = CompanySimulator.open(tmp_path / "big.json", clock=TickClock())
    assert again.count("ItemInventory") == company.count("ItemInventory")
    assert again.find("ItemInventory", "SKU-10000") == company.find("ItemInventory", "SKU-10000")
    rs, _ = ask(again, item_inventory_query("i", iterator=None, max_returned=BIG + 10))
    assert len(rs) == company.count("ItemInventory")
