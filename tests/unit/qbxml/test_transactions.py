from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.qbxml import render_message_set
from chalicelib.qbxml.posted import (
    CREDIT_MEMO_FOUND_INCLUDE,
    INVOICE_FOUND_INCLUDE,
    RECEIVE_PAYMENT_FOUND_INCLUDE,
    SALES_ORDER_FOUND_INCLUDE,
    SALES_RECEIPT_FOUND_INCLUDE,
    credit_memo_query_by_ref,
    invoice_query_by_ref,
    receive_payment_query_by_ref,
    sales_order_query_by_ref,
    sales_receipt_query_by_ref,
)
from chalicelib.qbxml.transactions import (
    QbAddress,
    SaleLine,
    credit_memo_add,
    customer_add,
    format_amount,
    format_quantity,
    invoice_add,
    item_discount_add,
    item_inventory_add,
    item_non_inventory_add,
    item_other_charge_add,
    receive_payment_add,
    sales_order_add,
    sales_receipt_add,
)
from ledgerbridge.qbxml_schema import ENTRY_POINT, schema_errors

XS = "{http://www.w3.org/2001/XMLSchema}"
GUID = "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"
DAY = date(2026, 3, 2)
ADDRESS = QbAddress(addr1="José Núñez", addr2="1200 Pine St", city="Seattle", state="WA", postal_code="98101")

US_LINES = (
    SaleLine("Widgets:Blue Widget", "Blue widget", Decimal(2), Decimal("19.99"), sales_tax_code="Tax"),
    SaleLine("Discount", "Spring sale", amount=Decimal("-4.00"), sales_tax_code="Tax", class_name="Web"),
    SaleLine("Shipping", "UPS Ground", amount=Decimal("8.50"), sales_tax_code="Non"),
)
UK_LINES = (
    SaleLine("Mug", "Mug, blue", Decimal("1.5"), amount=Decimal("5.00"), sales_tax_code="S"),
    SaleLine("Shipping", "Royal Mail", amount=Decimal("4.00"), sales_tax_code="S"),
    SaleLine("Gift wrap", "Wrap", Decimal(1), Decimal("1.00"), sales_tax_code="Z"),
)

BUILDS: dict[str, Callable[[], etree._Element]] = {
    "customer_min": lambda: customer_add("c-1", name="Online Customer"),
    "customer_full": lambda: customer_add(
        "c-2",
        name="Núñez, José",
        company_name="Café Ünïcode",
        first_name="José",
        last_name="Núñez",
        bill_address=ADDRESS,
        ship_address=QbAddress(addr1="x", addr2="y", addr3="z", addr4="w", addr5="v", country="US", note="n"),
        phone="+1 206 555 0100",
        email="jose@example.com",
        sales_tax_code="Tax",
        item_sales_tax="WA State",
        external_guid=GUID,
        include=["ListID", "FullName"],
    ),
    "non_inventory": lambda: item_non_inventory_add(
        "i-1", name="TSHIRT-BLK-M", description="T-shirt", price=Decimal("19.99"), income_account="Sales"
    ),
    "non_inventory_full": lambda: item_non_inventory_add(
        "i-2",
        name="BLUE",
        parent="Mugs",
        description="Mug",
        price=Decimal("7.12345"),
        income_account="Income:Sales",
        sales_tax_code="Tax",
        manufacturer_part_number="MUG:BLUE",
        external_guid=GUID,
    ),
    "inventory": lambda: item_inventory_add(
        "i-3",
        name="TSHIRT-BLK-M",
        description="T-shirt",
        price=Decimal("19.99"),
        income_account="Sales",
        cogs_account="Cost of Goods Sold",
        asset_account="Inventory Asset",
    ),
    "inventory_full": lambda: item_inventory_add(
        "i-4",
        name="BLUE",
        parent="Mugs",
        description="Mug",
        price=None,
        income_account="Sales",
        cogs_account="Cost of Goods Sold",
        asset_account="Inventory Asset",
        sales_tax_code="S",
        manufacturer_part_number="M-1",
        external_guid=GUID,
    ),
    "other_charge": lambda: item_other_charge_add(
        "i-5", name="Shipping", description="Shipping and handling", account="Shipping Income"
    ),
    "other_charge_full": lambda: item_other_charge_add(
        "i-6",
        name="Handling",
        parent="Fees",
        description="Handling",
        account="Sales",
        price=Decimal("1.50"),
        sales_tax_code="Non",
        external_guid=GUID,
    ),
    "discount": lambda: item_discount_add("i-7", name="Discount", description="Discounts", account="Sales"),
    "discount_full": lambda: item_discount_add(
        "i-8",
        name="Spring",
        parent="Discounts",
        description="Spring sale",
        account="Discounts Given",
        sales_tax_code="Tax",
        rate=Decimal("5.00"),
        external_guid=GUID,
    ),
    "sales_receipt_min": lambda: sales_receipt_add("s-1", customer="Cash", txn_date=DAY, lines=US_LINES[:1]),
    "sales_receipt_us": lambda: sales_receipt_add(
        "s-2",
        customer="Núñez, José",
        txn_date=DAY,
        lines=US_LINES,
        ref_number="1001",
        class_name="Web",
        bill_address=ADDRESS,
        ship_address=ADDRESS,
        payment_method="Credit Card",
        item_sales_tax="WA State",
        memo="Order #1001\nThanks! 🎉",
        deposit_account="Undeposited Funds",
        external_guid=GUID,
        include=["TxnID"],
    ),
    "sales_receipt_uk": lambda: sales_receipt_add(
        "s-3",
        customer="taro@example.jp",
        txn_date=DAY,
        lines=UK_LINES,
        ref_number="567-7654321",
        deposit_account="Undeposited Funds",
        external_guid=GUID,
    ),
    "invoice_us": lambda: invoice_add(
        "v-1",
        customer="Núñez, José",
        txn_date=DAY,
        lines=US_LINES,
        ref_number="1001",
        class_name="Web",
        ar_account="Accounts Receivable",
        bill_address=ADDRESS,
        ship_address=ADDRESS,
        po_number="206-1234567-7654321",
        item_sales_tax="WA State",
        memo="Order 1001",
        external_guid=GUID,
    ),
    "invoice_uk": lambda: invoice_add("v-2", customer="C", txn_date=DAY, lines=UK_LINES, external_guid=GUID),
    "invoice_linked": lambda: invoice_add(
        "v-3",
        customer="C",
        txn_date=DAY,
        ref_number="1001",
        external_guid=GUID,
        link_to_txn_ids=["1A50-1714663800"],
        include=["TxnID", "LinkedTxn"],
    ),
    "invoice_linked_extra_line": lambda: invoice_add(
        "v-4", customer="C", txn_date=DAY, lines=US_LINES[2:], link_to_txn_ids=["1A50-1714663800"]
    ),
    "sales_order_us": lambda: sales_order_add(
        "o-1",
        customer="Núñez, José",
        txn_date=DAY,
        lines=US_LINES,
        ref_number="1001",
        class_name="Web",
        bill_address=ADDRESS,
        ship_address=ADDRESS,
        po_number="PO 7",
        item_sales_tax="WA State",
        memo="m",
        external_guid=GUID,
    ),
    "sales_order_uk": lambda: sales_order_add("o-2", customer="C", txn_date=DAY, lines=UK_LINES),
    "credit_memo_us": lambda: credit_memo_add(
        "m-1",
        customer="Núñez, José",
        txn_date=DAY,
        lines=US_LINES[:1],
        ref_number="1001-R1",
        class_name="Web",
        ar_account="Accounts Receivable",
        bill_address=ADDRESS,
        ship_address=ADDRESS,
        po_number="206-1234567-7654321",
        item_sales_tax="WA State",
        memo="Refund of 1001",
        external_guid=GUID,
    ),
    "credit_memo_uk": lambda: credit_memo_add(
        "m-2",
        customer="C",
        txn_date=DAY,
        lines=UK_LINES,
        ref_number="7654321-R1",
        memo="Refund of 567-7654321",
    ),
    "payment_applied": lambda: receive_payment_add(
        "p-1",
        customer="Núñez, José",
        txn_date=DAY,
        ref_number="1001",
        total=Decimal("68.87"),
        payment_method="Credit Card",
        deposit_account="Undeposited Funds",
        applied_to_txn_id="1A50-1714663800",
        payment_amount=Decimal("60.00"),
        ar_account="Accounts Receivable",
        memo="Payment for order 1001",
        external_guid=GUID,
        include=["TxnID"],
    ),
    "payment_auto": lambda: receive_payment_add(
        "p-2",
        customer="C",
        txn_date=DAY,
        ref_number="12345678901234567890",
        total=Decimal("1.00"),
        payment_method="",
        deposit_account="",
        applied_to_txn_id=None,
    ),
    "q_sales_receipt": lambda: sales_receipt_query_by_ref("q-1", "1001"),
    "q_invoice": lambda: invoice_query_by_ref("q-2", "1001"),
    "q_sales_order": lambda: sales_order_query_by_ref("q-3", "1001"),
    "q_credit_memo": lambda: credit_memo_query_by_ref("q-4", "1001-R1"),
    "q_payment": lambda: receive_payment_query_by_ref("q-5", "12345678901234567890"),
    "q_custom_include": lambda: invoice_query_by_ref("q-6", "1001", include=["TxnID"]),
}


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_every_builder_output_is_valid_qbxml_13(name: str) -> None:
    element = BUILDS[name]()
    assert element.get("requestID")
    assert schema_errors(render_message_set([element])) == []


def test_all_builders_together_in_one_message_set_are_valid() -> None:
    document = render_message_set([build() for build in BUILDS.values()], on_error="stopOnError")
    assert schema_errors(document) == []


def test_the_schema_check_would_catch_a_misplaced_element() -> None:
    element = BUILDS["sales_receipt_us"]()
    add = element[0]
    guid = add.find("ExternalGUID")
    assert guid is not None
    add.remove(guid)
    add.append(guid)  # after the lines: wrong
    assert schema_errors(render_message_set([element])) != []


def _tags(element: etree._Element) -> list[str]:
    return [str(child.tag) for child in element]


def test_sales_receipt_header_order() -> None:
    add = BUILDS["sales_receipt_us"]()[0]
    assert _tags(add) == [
        "CustomerRef", "ClassRef", "TxnDate", "RefNumber", "BillAddress", "ShipAddress", "PaymentMethodRef",
        "ItemSalesTaxRef", "Memo", "DepositToAccountRef", "ExternalGUID",
        "SalesReceiptLineAdd", "SalesReceiptLineAdd", "SalesReceiptLineAdd",
    ]  # fmt: skip


def test_line_elements_and_formats() -> None:
    add = BUILDS["sales_receipt_us"]()[0]
    first, discount, _ = add.findall("SalesReceiptLineAdd")
    assert [(c.tag, c.findtext("FullName") if len(c) else c.text) for c in first] == [
        ("ItemRef", "Widgets:Blue Widget"),
        ("Desc", "Blue widget"),
        ("Quantity", "2"),
        ("Rate", "19.99"),
        ("SalesTaxCodeRef", "Tax"),
    ]
    assert _tags(discount) == ["ItemRef", "Desc", "ClassRef", "Amount", "SalesTaxCodeRef"]
    assert discount.findtext("Amount") == "-4.00"


def test_invoice_linked_to_a_sales_order_carries_no_lines() -> None:
    add = BUILDS["invoice_linked"]()[0]
    assert add.findtext("LinkToTxnID") == "1A50-1714663800"
    assert add.find("InvoiceLineAdd") is None
    assert _tags(add)[-2:] == ["ExternalGUID", "LinkToTxnID"]


def test_receive_payment_order_and_amounts() -> None:
    element = BUILDS["payment_applied"]()
    add = element[0]
    assert _tags(add) == [
        "CustomerRef", "ARAccountRef", "TxnDate", "RefNumber", "TotalAmount", "PaymentMethodRef", "Memo",
        "DepositToAccountRef", "ExternalGUID", "AppliedToTxnAdd",
    ]  # fmt: skip
    assert add.findtext("TotalAmount") == "68.87"
    assert add.findtext("AppliedToTxnAdd/PaymentAmount") == "60.00"
    assert _tags(element)[-1] == "IncludeRetElement"
    assert BUILDS["payment_auto"]()[0].findtext("IsAutoApply") == "true"


def test_descriptive_text_is_reduced_and_names_are_not() -> None:
    element = sales_receipt_add(
        "s",
        customer="C",
        txn_date=DAY,
        lines=[SaleLine("Mug", "Tasse 🍵 weiß\tgroß", Decimal(1), Decimal(1))],
        memo="Order\r\n\r\n\r\n1001 🎉",
        bill_address=QbAddress(addr1="1200 Pine Street, Apartment 4011, Building C", city="東京"),
    )
    add = element[0]
    assert add.findtext("Memo") == "Order\n\n1001"
    assert add.findtext("SalesReceiptLineAdd/Desc") == "Tasse weiß groß"
    assert add.findtext("BillAddress/Addr1") == "1200 Pine Street, Apartment 4011"
    assert add.find("BillAddress/City") is None  # nothing storable left


def test_address_with_nothing_storable_is_left_out() -> None:
    element = sales_receipt_add(
        "s", customer="C", txn_date=DAY, lines=US_LINES[:1], bill_address=QbAddress(addr1="山田")
    )
    assert element[0].find("BillAddress") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12"), "12.00"),
        (Decimal("12.5"), "12.50"),
        (Decimal("-4.00"), "-4.00"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("9999999999999.99"), "9999999999999.99"),
    ],
)
def test_amounts_have_two_decimals(value: Decimal, expected: str) -> None:
    assert format_amount(value) == expected


@pytest.mark.parametrize("value", [Decimal("1.005"), Decimal("NaN"), Decimal("1E13"), 1.5])
def test_bad_amounts_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        format_amount(value)  # type: ignore[arg-type]


def test_quantities_and_rates() -> None:
    assert format_quantity(Decimal("2.000")) == "2"
    assert format_quantity(Decimal("1.5")) == "1.5"
    assert format_quantity(Decimal("100")) == "100"
    assert format_quantity(Decimal("0.00125")) == "0.00125"
    with pytest.raises(ValueError):
        format_quantity(Decimal("0.000001"))
    line = SaleLine("X", rate=Decimal("3.12345"), quantity=Decimal(1))
    element = sales_order_add("o", customer="C", txn_date=DAY, lines=[line])
    assert element[0].findtext("SalesOrderLineAdd/Rate") == "3.12345"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: customer_add("c", name="x" * 42), "41"),
        (lambda: customer_add("c", name="Acme:West"), "':'"),
        (lambda: customer_add("c", name="Łódź Shop"), "reduced"),
        (lambda: customer_add("c", name=""), "empty"),
        (lambda: customer_add("c", name="A", external_guid="{not-a-guid}"), "ExternalGUID"),
        (lambda: item_non_inventory_add("i", name="y" * 32, description="", price=None, income_account="S"), "31"),
        (lambda: item_non_inventory_add("i", name="A:B", description="", price=None, income_account="S"), "':'"),
        (lambda: item_other_charge_add("i", name="Ship", description="", account=""), "AccountRef"),
        (lambda: sales_receipt_add("s", customer="C", txn_date=DAY, lines=[]), "at least one line"),
        (lambda: sales_receipt_add("s", customer="C", txn_date=DAY, lines=US_LINES, ref_number="123456789012"), "11"),
        (lambda: sales_receipt_add("s", customer="", txn_date=DAY, lines=US_LINES), "CustomerRef"),
        (lambda: sales_receipt_add("s", customer="C" * 210, txn_date=DAY, lines=US_LINES), "209"),
        (lambda: sales_receipt_add("s", customer="C", txn_date=DAY, lines=[SaleLine("X")]), "rate or an amount"),
        (lambda: sales_receipt_add("s", customer="C", txn_date=DAY, lines=[SaleLine("X", rate=Decimal(1))]), "quantity"),
        (lambda: sales_receipt_add("s", customer="C", txn_date=DAY, lines=US_LINES, payment_method="P" * 32), "31"),
        (lambda: invoice_add("v", customer="C", txn_date=DAY), "line or a sales order"),
        (lambda: invoice_add("v", customer="C", txn_date=DAY, lines=US_LINES, po_number="P" * 26), "25"),
        (lambda: invoice_add("v", customer="C", txn_date=DAY, link_to_txn_ids=[""]), "empty"),
        (lambda: credit_memo_add("m", customer="C", txn_date=DAY, lines=()), "at least one line"),
        (
            lambda: receive_payment_add(
                "p", customer="C", txn_date=DAY, ref_number="1" * 21, total=Decimal(1),
                payment_method="", deposit_account="", applied_to_txn_id="T",
            ),
            "20",
        ),
        (
            lambda: receive_payment_add(
                "p", customer="C", txn_date=DAY, ref_number="1", total=Decimal(1),
                payment_method="", deposit_account="", applied_to_txn_id="T", payment_amount=Decimal(2),
            ),
            "at most the total",
        ),
        (
            lambda: receive_payment_add(
                "p", customer="C", txn_date=DAY, ref_number="1", total=Decimal(0),
                payment_method="", deposit_account="", applied_to_txn_id="T",
            ),
            "positive",
        ),
        (lambda: sales_receipt_query_by_ref("q", "123456789012"), "11"),
        (lambda: sales_receipt_query_by_ref("q", ""), "empty"),
        (lambda: sales_receipt_query_by_ref("q" * 51, "1"), "50"),
    ],
)  # fmt: skip
def test_invalid_arguments_raise_value_error(build: Callable[[], etree._Element], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_single_line_or_string_is_not_taken_for_a_list() -> None:
    with pytest.raises(TypeError):
        sales_receipt_add("s", customer="C", txn_date=DAY, lines=US_LINES[0])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        invoice_add("v", customer="C", txn_date=DAY, link_to_txn_ids="1A50-1714663800")


def test_queries_filter_by_ref_number_only() -> None:
    element = invoice_query_by_ref("q", "1001")
    assert _tags(element) == ["RefNumber"] + ["IncludeRetElement"] * len(INVOICE_FOUND_INCLUDE)
    assert element.findtext("RefNumber") == "1001"
    assert [e.text for e in element.findall("IncludeRetElement")] == list(INVOICE_FOUND_INCLUDE)
    assert element.find("OwnerID") is None


# --- checks against the official schema itself ----------------------------------------------------


@pytest.fixture(scope="module")
def xsd_index() -> tuple[dict[str, etree._Element], dict[str, etree._Element]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    elements: dict[str, etree._Element] = {}
    groups: dict[str, etree._Element] = {}
    for path in ENTRY_POINT.parent.glob("qbxml*130.xsd"):
        for node in etree.parse(str(path), parser).getroot():
            if node.tag == f"{XS}element":
                elements[str(node.get("name"))] = node
            elif node.tag == f"{XS}group":
                groups[str(node.get("name"))] = node
    return elements, groups


def _direct_children(
    index: tuple[dict[str, etree._Element], dict[str, etree._Element]], element: str
) -> set[str]:
    """Names of the elements `element` may contain directly (following xsd:group references)."""
    elements, groups = index
    names: set[str] = set()

    def walk(node: etree._Element) -> None:
        for child in node:
            if child.tag == f"{XS}element":
                names.add(str(child.get("ref") or child.get("name")))
            elif child.tag == f"{XS}group":
                walk(groups[str(child.get("ref"))])
            elif child.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}complexType"):
                walk(child)

    walk(elements[element])
    return names


@pytest.mark.parametrize(
    "add",
    ["SalesReceiptAdd", "InvoiceAdd", "SalesOrderAdd", "CreditMemoAdd", "ReceivePaymentAdd", "CustomerAdd"],
)
def test_13_schema_allows_external_guid_on_each_add_we_tag(
    xsd_index: tuple[dict[str, etree._Element], dict[str, etree._Element]], add: str
) -> None:
    assert "ExternalGUID" in _direct_children(xsd_index, add)


@pytest.mark.parametrize(
    ("ret", "include"),
    [
        ("SalesReceiptRet", SALES_RECEIPT_FOUND_INCLUDE),
        ("InvoiceRet", INVOICE_FOUND_INCLUDE),
        ("SalesOrderRet", SALES_ORDER_FOUND_INCLUDE),
        ("CreditMemoRet", CREDIT_MEMO_FOUND_INCLUDE),
        ("ReceivePaymentRet", RECEIVE_PAYMENT_FOUND_INCLUDE),
    ],
)
def test_found_include_names_are_children_of_the_ret(
    xsd_index: tuple[dict[str, etree._Element], dict[str, etree._Element]],
    catalogue_ret_children: dict[str, set[str]],
    ret: str,
    include: tuple[str, ...],
) -> None:
    assert "ExternalGUID" in include  # returned as a plain Ret child, no OwnerID needed
    assert set(include) <= _direct_children(xsd_index, ret)
    assert set(include) <= catalogue_ret_children[ret]


def test_invoice_ret_has_no_total_amount(
    xsd_index: tuple[dict[str, etree._Element], dict[str, etree._Element]],
) -> None:
    assert "TotalAmount" not in _direct_children(xsd_index, "InvoiceRet")
    assert "TotalAmount" not in INVOICE_FOUND_INCLUDE
