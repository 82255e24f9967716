from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.qbxml import QbResponse, parse_message_set_response, render_message_set
from chalicelib.qbxml.sales import (
    INVOICE_FIELDS,
    SALE_FIELDS,
    SALES_ORDER_FIELDS,
    AddedLine,
    QbAddress,
    QbSale,
    QbSaleLine,
    sale_mod,
    sale_query,
    sales,
)
from chalicelib.qbxml.xml import QbxmlParseError
from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators._xsd import schema_index
from tests.paths import FIXTURES
from tests.unit.qbxml.conftest import sample

PACIFIC = timezone(timedelta(hours=-7))
SINCE = datetime(2024, 5, 1, 0, 0, 0, tzinfo=PACIFIC)
QBXML = FIXTURES / "qbxml"
SHIPPING = AddedLine("Shipping", "UPS Ground, tracking 1Z999", Decimal("8.50"))
TAGS = {"invoice": "Invoice", "sales_order": "SalesOrder"}


def valid(element: etree._Element) -> None:
    errors = schema_errors(render_message_set([element]))
    assert errors == [], errors


def responses(data: bytes) -> tuple[QbResponse, ...]:
    return parse_message_set_response(data).responses


def tags(element: etree._Element) -> list[str]:
    return [str(child.tag) for child in element]


# -- sale_query -----------------------------------------------------------------------------------------------
FILTERED = list(
    itertools.product(
        ("invoice", "sales_order"),
        (None, SINCE),
        (
            (None, None, None),
            ("Start", None, 100),
            ("Continue", "{7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d}", 100),
            (None, None, 25),
        ),
        (True, False),
        (None, ()),
    )
)


@pytest.mark.parametrize(("kind", "from_modified", "paging", "lines", "include"), FILTERED)
def test_sale_query_with_filters_is_valid_13_0(
    kind: str,
    from_modified: datetime | None,
    paging: tuple[str | None, str | None, int | None],
    lines: bool,
    include: Sequence[str] | None,
) -> None:
    iterator, iterator_id, max_returned = paging
    element = sale_query(
        "q-1",
        kind=kind,  # type: ignore[arg-type]
        from_modified=from_modified,
        iterator=iterator,
        iterator_id=iterator_id,
        max_returned=max_returned,
        include_line_items=lines,
        include=include,
    )
    valid(element)
    assert element.tag == f"{TAGS[kind]}QueryRq"
    assert (element.get("iterator"), element.get("iteratorID")) == (iterator, iterator_id)
    assert element.findtext("MaxReturned") == (None if max_returned is None else str(max_returned))
    assert element.findtext("ModifiedDateRangeFilter/FromModifiedDate") == (
        None if from_modified is None else "2024-05-01T00:00:00-07:00"
    )
    assert element.findtext("IncludeLineItems") == ("true" if lines else None)
    expected = list(SALE_FIELDS[kind]) if include is None else []  # type: ignore[index]
    assert [e.text for e in element.findall("IncludeRetElement")] == expected


@pytest.mark.parametrize("kind", ["invoice", "sales_order"])
def test_sale_query_by_txn_ids_is_valid_13_0(kind: str) -> None:
    element = sale_query("q", kind=kind, txn_ids=["1A50-1714663800", "1A60-1714750200"])  # type: ignore[arg-type]
    valid(element)
    assert [e.text for e in element.findall("TxnID")] == ["1A50-1714663800", "1A60-1714750200"]
    assert element.find("ModifiedDateRangeFilter") is None and element.find("MaxReturned") is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "receipt"}, ValueError),
        ({"kind": "invoice", "iterator": "Start"}, ValueError),  # no chunk size
        ({"kind": "invoice", "iterator": "Continue", "max_returned": 5}, ValueError),
        ({"kind": "invoice", "iterator": "Start", "iterator_id": "{x}", "max_returned": 5}, ValueError),
        ({"kind": "invoice", "iterator_id": "{x}"}, ValueError),
        ({"kind": "invoice", "txn_ids": ["1-1"], "from_modified": SINCE}, ValueError),
        ({"kind": "invoice", "txn_ids": ["1-1"], "max_returned": 5}, ValueError),
        ({"kind": "invoice", "txn_ids": [""]}, ValueError),
        ({"kind": "invoice", "txn_ids": "1-1"}, TypeError),
        ({"kind": "invoice", "from_modified": datetime(2024, 5, 1)}, ValueError),
        ({"kind": "invoice", "max_returned": 0}, ValueError),
    ],
)
def test_sale_query_refuses_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        sale_query("q", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ret", "fields"), [("InvoiceRet", INVOICE_FIELDS), ("SalesOrderRet", SALES_ORDER_FIELDS)]
)
def test_sale_fields_are_children_of_the_ret(ret: str, fields: tuple[str, ...]) -> None:
    index = schema_index()
    assert set(fields) <= set(index.child_names(index.element(ret)))


# -- sales() --------------------------------------------------------------------------------------------------
def test_sales_reads_an_invoice_with_a_line_group() -> None:
    (rs,) = responses((QBXML / "invoice_query_rs.xml").read_bytes())
    (invoice,) = sales(rs)
    assert invoice == QbSale(
        kind="invoice",
        txn_id="1A50-1714663800",
        edit_sequence="1714663800",
        ref_number="W88231",
        txn_date=date(2024, 5, 2),
        time_modified=datetime(2024, 5, 2, 8, 30, tzinfo=PACIFIC),
        customer_full_name="O'Brien & Sons Marine",
        class_name="Online:Marketplace",
        bill_address=QbAddress(
            addr1="O'Brien & Sons Marine",
            addr2="88 Pier Road, Suite 4",
            city="Tacoma",
            state="WA",
            postal_code="98402",
        ),
        ship_address=QbAddress(
            addr1="Dock 7",
            city="Tacoma",
            state="WA",
            postal_code="98402",
            country="US",
            note="Leave at the gate",
        ),
        ship_method="UPS",
        ship_date=date(2024, 5, 3),
        other="1Z999AA10123456784",
        memo="Web order #88231",
        po_number="PO-7781",
        subtotal=Decimal("197.00"),
        sales_tax_total=Decimal("18.96"),
        total=Decimal("215.96"),  # InvoiceRet has no TotalAmount
        balance_remaining=Decimal("115.96"),
        is_paid=False,
        is_fully_invoiced=None,
        is_manually_closed=None,
        is_pending=False,
        lines=(
            QbSaleLine(
                "1A52-1714663800",
                "Widgets:Blue Widget",
                "Blue widget, 10 cm",
                Decimal(10),
                Decimal("18.50"),
                Decimal("185.00"),
                "Online",
            ),
            QbSaleLine(
                "1A56-1714663800", "Gift Wrap", None, Decimal("1.5"), Decimal("8.00"), Decimal("12.00"), None
            ),
            QbSaleLine("1A54-1714663800", None, "Thank you for your business!", None, None, None, None),
        ),
    )
    assert invoice.line_ids == ("1A52-1714663800", "1A56-1714663800", "1A54-1714663800")


def test_sales_reads_a_sales_order_and_skips_the_error_answer() -> None:
    query_rs, mod_rs = responses((QBXML / "sales_order_query_rs.xml").read_bytes())
    (order,) = sales(query_rs)
    assert (order.kind, order.total, order.is_fully_invoiced, order.is_manually_closed) == (
        "sales_order",
        Decimal("650.48"),
        True,
        False,
    )
    assert (order.balance_remaining, order.is_paid, order.is_pending, order.bill_address) == (
        None,
        None,
        None,
        None,
    )
    assert order.ship_address is not None and order.ship_address.addr2 == "Dock 7"
    assert [line.quantity for line in order.lines] == [Decimal(25)]
    assert mod_rs.status_code == 3200 and sales(mod_rs) == []


@pytest.mark.parametrize(
    ("name", "kind", "total"),
    [
        ("invoice_add_rs.xml", "invoice", Decimal("215.96")),
        ("sales_order_add_rs.xml", "sales_order", Decimal("650.48")),
    ],
)
def test_sales_reads_intuit_shaped_add_responses(name: str, kind: str, total: Decimal) -> None:
    (sale,) = sales(responses(sample(f"synthesized/{name}"))[0])
    assert (sale.kind, sale.total, sale.customer_full_name) == (kind, total, "O'Brien & Sons Marine")
    assert sale.lines and all(line.txn_line_id for line in sale.lines)


def test_sales_requires_edit_sequence_and_time_modified() -> None:
    xml = b"""<QBXML><QBXMLMsgsRs><InvoiceQueryRs statusCode="0">
      <InvoiceRet><TxnID>1-1</TxnID><TimeModified>2024-05-02T08:30:00-07:00</TimeModified><TxnDate>2024-05-02</TxnDate></InvoiceRet>
    </InvoiceQueryRs></QBXMLMsgsRs></QBXML>"""
    with pytest.raises(QbxmlParseError, match="EditSequence"):
        sales(responses(xml)[0])
    broken = xml.replace(b"2024-05-02T08:30:00-07:00", b"soon").replace(
        b"<TxnDate>", b"<EditSequence>1</EditSequence><TxnDate>"
    )
    with pytest.raises(QbxmlParseError, match="TimeModified"):
        sales(responses(broken)[0])


def test_address_is_empty() -> None:
    assert QbAddress().is_empty
    assert not QbAddress(city="Tacoma").is_empty


def test_fixtures_are_valid_13_0_responses() -> None:
    for name in ("invoice_query_rs.xml", "sales_order_query_rs.xml"):
        assert schema_errors((QBXML / name).read_bytes()) == [], name


# -- sale_mod -------------------------------------------------------------------------------------------------
MODS = list(
    itertools.product(
        ("invoice", "sales_order"),
        (None, date(2024, 5, 6)),
        (None, "", "1Z999AA10123456784"),
        (None, "", "Shipped"),
        ((), ("1A52-1714663800", "1A54-1714663800")),
        (None, SHIPPING),
        ((), ("TxnID", "EditSequence")),
    )
)


@pytest.mark.parametrize(("kind", "ship_date", "other", "memo", "keep", "add", "include"), MODS)
def test_sale_mod_is_valid_13_0(
    kind: str,
    ship_date: date | None,
    other: str | None,
    memo: str | None,
    keep: tuple[str, ...],
    add: AddedLine | None,
    include: tuple[str, ...],
) -> None:
    tag = TAGS[kind]
    element = sale_mod(
        "m-1",
        kind=kind,  # type: ignore[arg-type]
        txn_id="1A50-1714663800",
        edit_sequence="1714663800",
        ship_date=ship_date,
        other=other,
        memo=memo,
        keep_line_ids=keep,
        add_line=add,
        existing_line_ids=keep,
        include=include,
    )
    valid(element)
    mod = element.find(f"{tag}Mod")
    assert mod is not None
    expected = ["TxnID", "EditSequence"]
    expected += ["ShipDate"] if ship_date else []
    expected += ["Memo"] if memo is not None else []
    expected += ["Other"] if other is not None else []
    expected += [f"{tag}LineMod"] * (len(keep) + (1 if add else 0))
    assert tags(mod) == expected
    assert [e.text for e in element.findall("IncludeRetElement")] == list(include)
    kept = mod.findall(f"{tag}LineMod")
    for line, line_id in zip(kept, keep, strict=False):
        assert tags(line) == ["TxnLineID"] and line.text is None and line[0].text == line_id
    if add is not None:
        new = kept[-1]
        assert tags(new) == ["TxnLineID", "ItemRef", "Desc", "Amount"]
        assert (new.findtext("TxnLineID"), new.findtext("ItemRef/FullName"), new.findtext("Amount")) == (
            "-1",
            "Shipping",
            "8.50",
        )


def test_sale_mod_reduces_text_to_quickbooks_limits() -> None:
    element = sale_mod(
        "m",
        kind="invoice",
        txn_id="1-1",
        edit_sequence="1",
        other="Tracking: 1Z 999 AA1 01 2345 6784 and more",
        memo="Versandt mit DHL — Sendungsnummer 🚚 00340434161094042557\r\n\r\n\r\nDanke" + " x" * 3000,
    )
    other = element.findtext("InvoiceMod/Other") or ""
    memo = element.findtext("InvoiceMod/Memo") or ""
    assert len(other) <= 29 and other.startswith("Tracking: 1Z 999")
    assert (
        len(memo) <= 4095 and "🚚" not in memo and memo.startswith("Versandt mit DHL — Sendungsnummer 0034")
    )
    assert "\n\nDanke" in memo and "\n\n\n" not in memo


def test_sale_mod_empty_text_clears_the_field() -> None:
    element = sale_mod("m", kind="sales_order", txn_id="1-1", edit_sequence="1", memo="", other="")
    valid(element)
    assert element.find("SalesOrderMod/Memo") is not None and element.findtext("SalesOrderMod/Memo") == ""
    assert element.find("SalesOrderMod/Other") is not None and element.findtext("SalesOrderMod/Other") == ""


def test_sale_mod_without_lines_touches_no_line() -> None:
    element = sale_mod("m", kind="invoice", txn_id="1-1", edit_sequence="1", ship_date=date(2024, 5, 6))
    assert element.find("InvoiceMod/InvoiceLineMod") is None


def test_sale_mod_refuses_to_add_a_line_without_keeping_the_others() -> None:
    with pytest.raises(ValueError, match="keep_line_ids"):
        sale_mod("m", kind="invoice", txn_id="1-1", edit_sequence="1", add_line=SHIPPING)
    with pytest.raises(ValueError, match="leaves out"):
        sale_mod(
            "m",
            kind="invoice",
            txn_id="1-1",
            edit_sequence="1",
            add_line=SHIPPING,
            keep_line_ids=["a"],
            existing_line_ids=["a", "b"],
        )
    # a sale without lines may get one when the caller says so
    element = sale_mod(
        "m", kind="invoice", txn_id="1-1", edit_sequence="1", add_line=SHIPPING, existing_line_ids=()
    )
    assert [e.findtext("TxnLineID") for e in element.findall("InvoiceMod/InvoiceLineMod")] == ["-1"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "estimate"}, ValueError),
        ({"txn_id": ""}, ValueError),
        ({"edit_sequence": ""}, ValueError),
        ({"edit_sequence": "1" * 17}, ValueError),
        ({"keep_line_ids": "1-1"}, TypeError),
        ({"keep_line_ids": ["1-1", "1-1"]}, ValueError),
        ({"keep_line_ids": ["-1"]}, ValueError),
        ({"keep_line_ids": ["a"], "add_line": AddedLine("Shipping", "x", Decimal("1.005"))}, ValueError),
        ({"keep_line_ids": ["a"], "add_line": AddedLine("", "x", Decimal("1.00"))}, ValueError),
    ],
)
def test_sale_mod_refuses_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    arguments: dict[str, object] = {"kind": "invoice", "txn_id": "1-1", "edit_sequence": "1", **kwargs}
    with pytest.raises(error):
        sale_mod("m", **arguments)  # type: ignore[arg-type]


def test_added_line_without_description_has_no_desc() -> None:
    element = sale_mod(
        "m",
        kind="invoice",
        txn_id="1-1",
        edit_sequence="1",
        keep_line_ids=["a"],
        add_line=AddedLine("Shipping", "", Decimal("-0.00")),
    )
    valid(element)
    new = element.findall("InvoiceMod/InvoiceLineMod")[-1]
    assert tags(new) == ["TxnLineID", "ItemRef", "Amount"] and new.findtext("Amount") == "0.00"


def test_time_modified_is_aware_in_utc_when_quickbooks_sends_no_offset() -> None:
    xml = b"""<QBXML><QBXMLMsgsRs><SalesOrderQueryRs statusCode="0">
      <SalesOrderRet><TxnID>1-1</TxnID><TimeModified>2024-05-02T08:30:00</TimeModified><EditSequence>7</EditSequence>
      <CustomerRef><FullName>A</FullName></CustomerRef><TxnDate>2024-05-02</TxnDate></SalesOrderRet>
    </SalesOrderQueryRs></QBXMLMsgsRs></QBXML>"""
    (order,) = sales(responses(xml)[0])
    assert order.time_modified == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)
    assert (order.subtotal, order.total, order.lines) == (Decimal(0), Decimal(0), ())
