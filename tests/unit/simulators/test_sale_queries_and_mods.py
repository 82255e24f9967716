"""Invoices and sales orders read by modified date / TxnID and modified (ship date, tracking, lines)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from chalicelib.qbxml import QbResponse, parse_response, render_message_set
from chalicelib.qbxml.sales import AddedLine, QbSale, sale_mod, sale_query, sales
from ledgerbridge.simulators.company import CompanySimulator, QuickBooksFault, SimulatorLimitation
from ledgerbridge.simulators.sale_mods import SaleLineSpec
from tests.unit.simulators.conftest import TickClock
from tests.unit.simulators.sales_helpers import msgs, one, payment_add, qbxml

SHIP_TO = {
    "Addr1": "Jo Doe",
    "Addr2": "12 Harbor Way",
    "City": "Tacoma",
    "State": "WA",
    "PostalCode": "98402",
}
TRACKING = AddedLine("Shipping", "UPS Ground", Decimal("8.50"))


def ask(company: CompanySimulator, *requests: etree._Element) -> list[QbResponse]:
    text = company.process(render_message_set(list(requests)))
    return [parse_response(rs) for rs in msgs(text)]


def read(company: CompanySimulator, kind: str, txn_id: str) -> QbSale:
    (rs,) = ask(company, sale_query("r", kind=kind, txn_ids=[txn_id]))  # type: ignore[arg-type]
    (sale,) = sales(rs)
    return sale


def make_order(company: CompanySimulator, **fields: Any) -> dict[str, Any]:
    return company.add_sales_order(
        customer="Alder Creek Outfitters",
        class_name="Online",
        ship_address=SHIP_TO,
        bill_address={"Addr1": "Alder Creek Outfitters", "City": "Olympia", "State": "WA"},
        ship_method="UPS",
        po_number="PO-1",
        lines=[SaleLineSpec("Widgets:Blue Widget", quantity=2), SaleLineSpec("Gift Wrap", quantity=1)],
        **fields,
    )


def make_invoice(company: CompanySimulator, **fields: Any) -> dict[str, Any]:
    return company.add_invoice(
        customer="Cedar Point Rowing Club",
        ship_address=SHIP_TO,
        lines=[
            SaleLineSpec("Widgets:Blue Widget", quantity=3, class_name="Retail"),
            SaleLineSpec("Repair Labor", amount="40.00"),
        ],
        **fields,
    )


@pytest.fixture
def stocked(company: CompanySimulator) -> CompanySimulator:
    company.adjust_quantity("Widgets:Blue Widget", new_quantity=50)
    assert on_sales_orders(company) == 3  # the sample company's open orders
    return company


def on_sales_orders(company: CompanySimulator, item: str = "Widgets:Blue Widget") -> Decimal:
    return Decimal((company.find("ItemInventory", item) or {})["QuantityOnSalesOrder"])


# -- the Python API ------------------------------------------------------------------------------------------
def test_sales_made_directly_read_back_through_qbxml(stocked: CompanySimulator) -> None:
    order = make_order(stocked, ref_number="SO-7", memo="gift", other="web")
    invoice = make_invoice(stocked, ship_date=date(2024, 5, 23), txn_date=date(2024, 5, 22))
    assert stocked.sale(order["TxnID"]) == order
    sale = read(stocked, "sales_order", order["TxnID"])
    assert (sale.ref_number, sale.customer_full_name, sale.class_name, sale.ship_method, sale.po_number) == (
        "SO-7",
        "Alder Creek Outfitters",
        "Online",
        "UPS",
        "PO-1",
    )
    assert sale.ship_address is not None and (sale.ship_address.addr2, sale.ship_address.city) == (
        "12 Harbor Way",
        "Tacoma",
    )
    assert sale.bill_address is not None and sale.bill_address.city == "Olympia"
    assert (sale.memo, sale.other, sale.is_fully_invoiced, sale.is_manually_closed) == (
        "gift",
        "web",
        False,
        False,
    )
    assert [(line.item_full_name, line.quantity) for line in sale.lines] == [
        ("Widgets:Blue Widget", Decimal(2)),
        ("Gift Wrap", Decimal(1)),
    ]
    assert sale.total == Decimal(order["TotalAmount"]) and sale.total > sale.subtotal > 0
    inv = read(stocked, "invoice", invoice["TxnID"])
    assert (inv.ship_date, inv.txn_date, inv.is_paid, inv.is_pending) == (
        date(2024, 5, 23),
        date(2024, 5, 22),
        False,
        False,
    )
    assert inv.balance_remaining == inv.total == Decimal(invoice["BalanceRemaining"])
    assert inv.lines[0].class_name == "Retail"
    blue = stocked.find("ItemInventory", "Widgets:Blue Widget") or {}
    assert (blue["QuantityOnHand"], blue["QuantityOnSalesOrder"]) == ("47", "5")
    with pytest.raises(KeyError):
        stocked.sale("999-1")


def test_direct_sales_are_checked_like_adds(company: CompanySimulator) -> None:
    with pytest.raises(ValueError, match="invalid reference to QuickBooks Ship Method"):
        company.add_invoice(
            customer="Walk-in Customer", ship_method="Pigeon", lines=[SaleLineSpec("Gift Wrap", quantity=1)]
        )
    assert company.sales("Invoice") == []


# -- queries ---------------------------------------------------------------------------------------------------
def test_query_by_modified_date_returns_sales_changed_since(stocked: CompanySimulator) -> None:
    old = make_order(stocked)
    cursor = stocked.now()
    new = make_order(stocked)
    invoice = make_invoice(stocked)
    (rs,) = ask(stocked, sale_query("q", kind="sales_order", from_modified=cursor))
    assert [s.txn_id for s in sales(rs)] == [new["TxnID"]]
    (rs,) = ask(stocked, sale_query("q", kind="invoice", from_modified=cursor))
    assert [s.txn_id for s in sales(rs)] == [invoice["TxnID"]]
    # a change in QuickBooks brings the old one back
    stocked.edit_sale(old["TxnID"], memo="call first")
    (rs,) = ask(stocked, sale_query("q", kind="sales_order", from_modified=cursor))
    assert sorted(s.txn_id for s in sales(rs)) == sorted([old["TxnID"], new["TxnID"]])
    (rs,) = ask(stocked, sale_query("q", kind="sales_order", from_modified=stocked.now()))
    assert rs.status_code == 1 and sales(rs) == []


def test_query_by_txn_ids_with_a_missing_one(stocked: CompanySimulator) -> None:
    a, b = make_order(stocked), make_order(stocked)
    (rs,) = ask(stocked, sale_query("q", kind="sales_order", txn_ids=[b["TxnID"], "ABC-1", a["TxnID"]]))
    assert rs.status_code == 500 and "ABC-1" in rs.status_message
    assert [s.txn_id for s in sales(rs)] == [b["TxnID"], a["TxnID"]]
    (rs,) = ask(stocked, sale_query("q", kind="invoice", txn_ids=[a["TxnID"]]))  # a sales order is no invoice
    assert rs.status_code == 500 and sales(rs) == []


def test_iterating_sales_and_line_items(stocked: CompanySimulator) -> None:
    ids = [make_invoice(stocked)["TxnID"] for _ in range(7)]
    (rs,) = ask(stocked, sale_query("q", kind="invoice", iterator="Start", max_returned=3))
    found = [s.txn_id for s in sales(rs)]
    chunks = [len(found)]
    while rs.has_more:
        (rs,) = ask(
            stocked,
            sale_query("q", kind="invoice", iterator="Continue", iterator_id=rs.iterator_id, max_returned=3),
        )
        chunks.append(len(sales(rs)))
        found += [s.txn_id for s in sales(rs)]
    assert chunks == [3, 3, 1] and found == ids
    assert all(len(s.lines) == 2 for s in sales(rs))
    (rs,) = ask(stocked, sale_query("q", kind="invoice", max_returned=2, include_line_items=False))
    assert [len(s.lines) for s in sales(rs)] == [0, 0]
    assert rs.element is not None and rs.element[0].find("InvoiceLineRet") is None
    # IncludeRetElement keeps only what the service reads
    asked = {e.text for e in sale_query("x", kind="invoice").findall("IncludeRetElement")}
    assert {child.tag for child in rs.element[0]} <= asked
    (stale,) = ask(
        stocked, sale_query("q", kind="invoice", iterator="Continue", iterator_id="{nope}", max_returned=3)
    )
    assert stale.status_code == 3391


# -- mods ------------------------------------------------------------------------------------------------------
def test_mod_writes_the_shipment_back(stocked: CompanySimulator) -> None:
    order = make_order(stocked)
    before = read(stocked, "sales_order", order["TxnID"])
    mod = sale_mod(
        "m",
        kind="sales_order",
        txn_id=before.txn_id,
        edit_sequence=before.edit_sequence,
        ship_date=date(2024, 5, 24),
        other="1Z999AA10123456784 and more text",
        memo="Shipped UPS 1Z999AA10123456784",
        keep_line_ids=before.line_ids,
        add_line=TRACKING,
    )
    (rs,) = ask(stocked, mod)
    assert rs.status_code == 0, rs.status_message
    (after,) = sales(rs)
    assert (after.ship_date, after.other, after.memo) == (
        date(2024, 5, 24),
        "1Z999AA10123456784 and more",
        "Shipped UPS 1Z999AA10123456784",
    )
    assert after.edit_sequence != before.edit_sequence and after.time_modified > before.time_modified
    assert after.line_ids[:2] == before.line_ids and len(after.lines) == 3
    assert (after.lines[2].item_full_name, after.lines[2].description, after.lines[2].amount) == (
        "Shipping",
        "UPS Ground",
        Decimal("8.50"),
    )
    assert after.subtotal == before.subtotal + Decimal("8.50")
    assert after.total == after.subtotal + after.sales_tax_total
    # untouched fields stay; the stored sale is what the answer said
    assert (after.po_number, after.ship_method, after.class_name) == ("PO-1", "UPS", "Online")
    assert read(stocked, "sales_order", order["TxnID"]) == after
    # the shipping line moves no stock; the order's quantities are unchanged
    assert on_sales_orders(stocked) == 3 + 2


def test_stale_edit_sequence_is_3200_and_changes_nothing(stocked: CompanySimulator) -> None:
    invoice = make_invoice(stocked)
    before = read(stocked, "invoice", invoice["TxnID"])
    new_sequence = stocked.edit_sale(invoice["TxnID"], memo="edited at the front desk")
    assert new_sequence != before.edit_sequence
    stale = sale_mod(
        "m", kind="invoice", txn_id=before.txn_id, edit_sequence=before.edit_sequence, other="1Z1"
    )
    (rs,) = ask(stocked, stale)
    assert (rs.status_code, rs.status_severity) == (3200, "Error")
    assert rs.status_message == f'The provided edit sequence "{before.edit_sequence}" is out-of-date. '
    current = read(stocked, "invoice", invoice["TxnID"])
    assert (current.other, current.memo, current.edit_sequence) == (
        None,
        "edited at the front desk",
        new_sequence,
    )
    # with the current EditSequence it works
    (rs,) = ask(
        stocked, sale_mod("m", kind="invoice", txn_id=before.txn_id, edit_sequence=new_sequence, other="1Z1")
    )
    assert rs.status_code == 0 and sales(rs)[0].other == "1Z1"


def test_a_mod_listing_lines_deletes_the_others(stocked: CompanySimulator) -> None:
    invoice = make_invoice(stocked)
    customer_before = Decimal((stocked.find("Customer", "Cedar Point Rowing Club") or {})["Balance"])
    before = read(stocked, "invoice", invoice["TxnID"])
    labor = before.line_ids[1]
    (rs,) = ask(
        stocked,
        sale_mod(
            "m",
            kind="invoice",
            txn_id=before.txn_id,
            edit_sequence=before.edit_sequence,
            keep_line_ids=[labor],
        ),
    )
    (after,) = sales(rs)
    assert after.line_ids == (labor,)
    assert after.subtotal == Decimal("40.00") and after.balance_remaining == after.total
    # the deleted widgets are back in stock and the customer owes less
    assert (stocked.find("ItemInventory", "Widgets:Blue Widget") or {})["QuantityOnHand"] == "50"
    customer_after = Decimal((stocked.find("Customer", "Cedar Point Rowing Club") or {})["Balance"])
    assert customer_after - customer_before == after.total - before.total
    # a Mod without lines leaves them alone
    (rs,) = ask(
        stocked,
        sale_mod("m", kind="invoice", txn_id=after.txn_id, edit_sequence=after.edit_sequence, memo="x"),
    )
    assert sales(rs)[0].line_ids == (labor,)


def test_added_inventory_line_moves_stock_and_balance_keeps_payments(stocked: CompanySimulator) -> None:
    invoice = make_invoice(stocked)
    one(stocked, payment_add("Cedar Point Rowing Club", (invoice["TxnID"], "10.00")))
    before = read(stocked, "invoice", invoice["TxnID"])
    assert before.balance_remaining == before.total - Decimal("10.00")
    mod = etree.fromstring(
        f"""<InvoiceModRq requestID="m"><InvoiceMod><TxnID>{before.txn_id}</TxnID>
        <EditSequence>{before.edit_sequence}</EditSequence>
        {"".join(f"<InvoiceLineMod><TxnLineID>{i}</TxnLineID></InvoiceLineMod>" for i in before.line_ids)}
        <InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Widgets:Blue Widget</FullName></ItemRef>
        <Quantity>4</Quantity></InvoiceLineMod></InvoiceMod></InvoiceModRq>"""
    )
    (rs,) = ask(stocked, mod)
    (after,) = sales(rs)
    assert rs.status_code == 0 and len(after.lines) == 3 and after.lines[2].quantity == Decimal(4)
    assert after.balance_remaining == after.total - Decimal("10.00") and after.is_paid is False
    assert (stocked.find("ItemInventory", "Widgets:Blue Widget") or {})["QuantityOnHand"] == "43"


def test_sales_order_line_deletion_releases_quantity_on_sales_order(stocked: CompanySimulator) -> None:
    stocked.add_inventory_site("Main")
    order = stocked.add_sales_order(
        customer="Walk-in Customer",
        lines=[
            SaleLineSpec("Widgets:Blue Widget", quantity=5, site="Main"),
            SaleLineSpec("Gift Wrap", quantity=1),
        ],
    )
    assert stocked.site_quantities("Widgets:Blue Widget")["Main"] == (Decimal(0), Decimal(5))
    before = read(stocked, "sales_order", order["TxnID"])
    mod = sale_mod(
        "m",
        kind="sales_order",
        txn_id=before.txn_id,
        edit_sequence=before.edit_sequence,
        keep_line_ids=[before.line_ids[1]],
        add_line=TRACKING,
    )
    (rs,) = ask(stocked, mod)
    assert [line.item_full_name for line in sales(rs)[0].lines] == ["Gift Wrap", "Shipping"]
    assert on_sales_orders(stocked) == 3
    assert stocked.site_quantities("Widgets:Blue Widget")["Main"] == (Decimal(0), Decimal(0))


def test_mod_errors(stocked: CompanySimulator) -> None:
    order = make_order(stocked)
    sale = read(stocked, "sales_order", order["TxnID"])
    unknown, wrong_kind, bad_line = ask(
        stocked,
        sale_mod("a", kind="sales_order", txn_id="ABC-1", edit_sequence="1", memo="x"),
        sale_mod("b", kind="invoice", txn_id=sale.txn_id, edit_sequence=sale.edit_sequence, memo="x"),
        sale_mod(
            "c",
            kind="sales_order",
            txn_id=sale.txn_id,
            edit_sequence=sale.edit_sequence,
            keep_line_ids=["NOPE-1"],
        ),
    )
    assert (unknown.status_code, unknown.status_message) == (
        3120,
        'Object "ABC-1" specified in the request cannot be found.  ',
    )
    assert wrong_kind.status_code == 3120
    assert bad_line.status_code == 3120 and "NOPE-1" in bad_line.status_message
    assert read(stocked, "sales_order", order["TxnID"]) == sale  # nothing changed


def test_unsupported_mods_are_limitations_and_invalid_ones_parse_errors(stocked: CompanySimulator) -> None:
    order = make_order(stocked)
    sale = read(stocked, "sales_order", order["TxnID"])
    head = f"<TxnID>{sale.txn_id}</TxnID><EditSequence>{sale.edit_sequence}</EditSequence>"
    change_line = f"<SalesOrderLineMod><TxnLineID>{sale.line_ids[0]}</TxnLineID><Quantity>9</Quantity></SalesOrderLineMod>"
    for body in (f"{head}<TxnDate>2024-01-01</TxnDate>", head + change_line):
        with pytest.raises(SimulatorLimitation):
            stocked.process(
                qbxml(
                    f'<SalesOrderModRq requestID="1"><SalesOrderMod>{body}</SalesOrderMod></SalesOrderModRq>'
                )
            )
    with pytest.raises(QuickBooksFault) as fault:  # EditSequence before TxnID
        stocked.process(
            qbxml(
                f'<SalesOrderModRq requestID="1"><SalesOrderMod><EditSequence>{sale.edit_sequence}</EditSequence>'
                f"<TxnID>{sale.txn_id}</TxnID></SalesOrderMod></SalesOrderModRq>"
            )
        )
    assert fault.value.hresult == "0x80040400"


def test_empty_elements_clear_fields(stocked: CompanySimulator) -> None:
    order = make_order(stocked, memo="gift", other="web")
    sale = read(stocked, "sales_order", order["TxnID"])
    (rs,) = ask(
        stocked,
        sale_mod(
            "m", kind="sales_order", txn_id=sale.txn_id, edit_sequence=sale.edit_sequence, memo="", other=""
        ),
    )
    assert (sales(rs)[0].memo, sales(rs)[0].other) == (None, None)
    assert "Memo" not in stocked.sale(order["TxnID"])


def test_mods_survive_reload(company_path: Path) -> None:
    company = CompanySimulator.open(company_path, clock=TickClock())
    invoice = make_invoice(company)
    sale = read(company, "invoice", invoice["TxnID"])
    mod = sale_mod(
        "m",
        kind="invoice",
        txn_id=sale.txn_id,
        edit_sequence=sale.edit_sequence,
        ship_date=date(2024, 6, 1),
        keep_line_ids=sale.line_ids,
        add_line=TRACKING,
    )
    (rs,) = ask(company, mod)
    again = CompanySimulator.open(company_path, clock=TickClock())
    assert again.sale(invoice["TxnID"]) == company.sale(invoice["TxnID"])
    assert read(again, "invoice", invoice["TxnID"]) == sales(rs)[0]
    edited = again.edit_sale(invoice["TxnID"], ship_date=date(2024, 6, 2))
    assert CompanySimulator.open(company_path).sale(invoice["TxnID"])["EditSequence"] == edited
