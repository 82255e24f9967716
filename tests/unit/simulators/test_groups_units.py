"""The company simulator's price levels, units of measure and group items on sales lines (units.py, groups.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators.company import CompanySimulator, SimulatorLimitation
from ledgerbridge.simulators.groups import add_group_item
from ledgerbridge.simulators.units import add_price_level, add_unit_of_measure_set, set_item_unit_set
from tests.unit.simulators.conftest import TickClock, found, status
from tests.unit.simulators.sales_helpers import line, money, one, qbxml, query, ref, ret, sales_add

BLUE = "Widgets:Blue Widget"  # 19.99, 42 on hand
ROPE = "Rope (per ft)"  # 0.35


def qoh(company: CompanySimulator, item: str) -> Decimal:
    return Decimal(found(company, "ItemInventory", item)["QuantityOnHand"])


def unit_line(kind: str, item: str, qty: str, unit: str, extra: str = "") -> str:
    return f"<{kind}LineAdd>{ref('ItemRef', item)}<Quantity>{qty}</Quantity><UnitOfMeasure>{unit}</UnitOfMeasure>{extra}</{kind}LineAdd>"


def level_line(kind: str, item: str, qty: str, level: str) -> str:
    return f"<{kind}LineAdd>{ref('ItemRef', item)}<Quantity>{qty}</Quantity>{ref('PriceLevelRef', level)}</{kind}LineAdd>"


def group_line(kind: str, group: str, qty: str, site: str = "") -> str:
    site_ref = ref("InventorySiteRef", site) if site else ""
    return f"<{kind}LineGroupAdd>{ref('ItemGroupRef', group)}<Quantity>{qty}</Quantity>{site_ref}</{kind}LineGroupAdd>"


def checked(request: str) -> str:
    assert schema_errors(qbxml(request)) == []
    return request


# -- price levels -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("percentage", "rate"), [("-10", "17.991"), ("15", "22.9885"), ("0", "19.99")])
def test_a_fixed_percentage_level_prices_a_line_sent_without_rate(
    company: CompanySimulator, percentage: str, rate: str
) -> None:
    add_price_level(company, "Wholesale", percentage=Decimal(percentage))
    receipt = ret(
        one(company, checked(sales_add("SalesReceipt", level_line("SalesReceipt", BLUE, "2", "Wholesale"))))
    )
    assert money(receipt, "SalesReceiptLineRet/Rate") == Decimal(rate)
    assert money(receipt, "SalesReceiptLineRet/Amount") == (Decimal(rate) * 2).quantize(Decimal("0.01"))


def test_a_per_item_level_uses_its_custom_price_and_the_item_price_for_others(
    company: CompanySimulator,
) -> None:
    add_price_level(company, "Dealer", per_item={BLUE: Decimal("15.00")})
    receipt = ret(
        one(
            company,
            checked(
                sales_add(
                    "SalesReceipt",
                    level_line("SalesReceipt", BLUE, "3", "Dealer"),
                    level_line("SalesReceipt", ROPE, "10", "Dealer"),
                )
            ),
        )
    )
    amounts = [Decimal(a.text or "") for a in receipt.findall("SalesReceiptLineRet/Amount")]
    assert amounts == [Decimal("45.00"), Decimal("3.50")]


def test_an_amount_sent_wins_over_the_level(company: CompanySimulator) -> None:
    add_price_level(company, "Wholesale", percentage=Decimal("-50"))
    body = f"<SalesReceiptLineAdd>{ref('ItemRef', BLUE)}<Quantity>1</Quantity>{ref('PriceLevelRef', 'Wholesale')}<Amount>19.99</Amount></SalesReceiptLineAdd>"
    receipt = ret(one(company, checked(sales_add("SalesReceipt", body))))
    assert money(receipt, "TotalAmount") == money(receipt, "SalesReceiptLineRet/Amount") + money(
        receipt, "SalesTaxTotal"
    )
    assert money(receipt, "SalesReceiptLineRet/Amount") == Decimal("19.99")


def test_an_unknown_price_level_is_3140_and_levels_are_listed(company: CompanySimulator) -> None:
    answer = one(company, sales_add("SalesReceipt", level_line("SalesReceipt", BLUE, "1", "Nope")))
    assert status(answer)[0] == 3140 and "Price Level" in status(answer)[2]
    add_price_level(company, "Wholesale", percentage=Decimal("-10"))
    listed = one(company, checked(query("PriceLevel")))
    assert [r.findtext("Name") for r in listed] == ["Wholesale"]
    assert listed[0].findtext("PriceLevelFixedPercentage") == "-10"


# -- units of measure ---------------------------------------------------------------------------------------
def with_cases(company: CompanySimulator) -> None:
    add_unit_of_measure_set(
        company, "Count by case", "Each", [("Case", Decimal("12")), ("Pair", Decimal("2"))]
    )
    set_item_unit_set(company, BLUE, "Count by case")


def test_a_line_in_a_related_unit_moves_quantity_times_ratio_and_prices_per_unit(
    company: CompanySimulator,
) -> None:
    with_cases(company)
    before = qoh(company, BLUE)
    receipt = ret(
        one(company, checked(sales_add("SalesReceipt", unit_line("SalesReceipt", BLUE, "2", "Case"))))
    )
    assert receipt.findtext("SalesReceiptLineRet/UnitOfMeasure") == "Case"
    assert money(receipt, "SalesReceiptLineRet/Rate") == Decimal("239.88")  # 19.99 x 12
    assert money(receipt, "SalesReceiptLineRet/Amount") == Decimal("479.76")
    assert qoh(company, BLUE) == before - 24


def test_a_unit_with_the_store_rate_keeps_the_rate(company: CompanySimulator) -> None:
    with_cases(company)
    before = qoh(company, BLUE)
    body = unit_line("SalesReceipt", BLUE, "3", "Pair", "<Rate>30.00</Rate>")
    receipt = ret(one(company, checked(sales_add("SalesReceipt", body))))
    assert money(receipt, "SalesReceiptLineRet/Amount") == Decimal("90.00")
    assert qoh(company, BLUE) == before - 6


def test_a_unit_the_item_set_lacks_is_refused_and_nothing_moves(company: CompanySimulator) -> None:
    with_cases(company)
    before = qoh(company, BLUE)
    answer = one(company, sales_add("SalesReceipt", unit_line("SalesReceipt", BLUE, "1", "Pallet")))
    assert status(answer)[0] == 3140 and "Unit of Measure" in status(answer)[2]
    answer = one(company, sales_add("SalesReceipt", unit_line("SalesReceipt", "Dry Bag 20L", "1", "Case")))
    assert status(answer)[0] == 3140  # an item with no unit set
    assert qoh(company, BLUE) == before


def test_unit_sets_are_listed(company: CompanySimulator) -> None:
    with_cases(company)
    listed = one(company, checked(query("UnitOfMeasureSet")))
    assert listed[0].findtext("BaseUnit/Name") == "Each"
    assert [u.findtext("ConversionRatio") for u in listed[0].findall("RelatedUnit")] == ["12", "2"]


# -- group items --------------------------------------------------------------------------------------------
def with_kit(company: CompanySimulator) -> None:
    add_group_item(company, "Camp Kit", [(BLUE, Decimal("2")), (ROPE, Decimal("10"))], description="Camp kit")


@pytest.mark.parametrize("kind", ["SalesReceipt", "Invoice", "SalesOrder"])
def test_a_group_line_expands_into_its_members_priced_from_the_items(
    company: CompanySimulator, kind: str
) -> None:
    with_kit(company)
    before = qoh(company, BLUE)
    body = group_line(kind, "Camp Kit", "3") + line(kind, "Dry Bag 20L", qty="1")
    txn = ret(one(company, checked(sales_add(kind, body, customer="Walk-in Customer"))))
    group = txn.find(f"{kind}LineGroupRet")
    assert group is not None
    assert group.findtext("ItemGroupRef/FullName") == "Camp Kit" and group.findtext("Quantity") == "3"
    members = group.findall(f"{kind}LineRet")
    assert [m.findtext("ItemRef/FullName") for m in members] == [BLUE, ROPE]
    assert [m.findtext("Quantity") for m in members] == ["6", "30"]
    assert money(group, "TotalAmount") == Decimal("119.94") + Decimal("10.50")
    assert money(txn, "Subtotal") == Decimal("119.94") + Decimal("10.50") + Decimal("34.00")
    assert len(txn.findall(f"{kind}LineRet")) == 1  # the dry bag
    if kind == "SalesOrder":
        assert qoh(company, BLUE) == before
    else:
        assert qoh(company, BLUE) == before - 6


def test_a_group_at_a_site_moves_the_site_quantities(company: CompanySimulator) -> None:
    with_kit(company)
    company.add_inventory_site("Warehouse")
    company.set_site_quantity(BLUE, "Warehouse", Decimal("20"))
    ret(
        one(
            company,
            checked(sales_add("SalesReceipt", group_line("SalesReceipt", "Camp Kit", "1", "Warehouse"))),
        )
    )
    assert company.site_quantities(BLUE)["Warehouse"][0] == Decimal("18")


def test_a_group_ref_to_a_plain_item_is_3140(company: CompanySimulator) -> None:
    answer = one(company, sales_add("SalesReceipt", group_line("SalesReceipt", BLUE, "1")))
    assert status(answer)[0] == 3140


@pytest.mark.parametrize("country", ["CA", "UK"])
def test_groups_and_units_in_a_non_us_file(tmp_path: Path, country: str) -> None:
    company = CompanySimulator.open(tmp_path / "c.json", country=country, clock=TickClock())
    item = "Dry Bag 20L"
    add_group_item(company, "Bag Pair", [(item, Decimal("2"))])
    add_unit_of_measure_set(company, "Bags", "Each", [("Box", Decimal("4"))])
    set_item_unit_set(company, item, "Bags")
    before = qoh(company, item)
    body = group_line("SalesReceipt", "Bag Pair", "1") + unit_line("SalesReceipt", item, "1", "Box")
    receipt = ret(one(company, checked(sales_add("SalesReceipt", body))))
    assert qoh(company, item) == before - 6
    group_total = money(receipt, "SalesReceiptLineGroupRet/TotalAmount")
    line_amount = money(receipt, "SalesReceiptLineRet/Amount")
    assert money(receipt, "Subtotal") == group_total + line_amount
    assert money(receipt, "TotalAmount") == money(receipt, "Subtotal") + money(receipt, "SalesTaxTotal")


def test_price_levels_need_the_preference_and_turn_it_on(company: CompanySimulator) -> None:
    add_price_level(company, "Wholesale", percentage=Decimal("-10"))
    prefs = one(company, checked(query("Preferences")))
    assert (
        prefs.findtext("PreferencesRet/SalesAndCustomersPreferences/PriceLevels/IsUsingPriceLevels") == "true"
    )
    stored = company._data["company"]["preferences"]["SalesAndCustomersPreferences"]["PriceLevels"]
    stored["IsUsingPriceLevels"] = "false"
    answer = one(company, sales_add("SalesReceipt", level_line("SalesReceipt", BLUE, "1", "Wholesale")))
    assert status(answer)[0] == 3250


def test_invoicing_a_sales_order_with_a_group_is_not_simulated(company: CompanySimulator) -> None:
    with_kit(company)
    order = ret(one(company, sales_add("SalesOrder", group_line("SalesOrder", "Camp Kit", "1"))))
    invoice = sales_add("Invoice", before_lines=f"<LinkToTxnID>{order.findtext('TxnID')}</LinkToTxnID>")
    with pytest.raises(SimulatorLimitation, match="group"):
        company.process(qbxml(invoice))
