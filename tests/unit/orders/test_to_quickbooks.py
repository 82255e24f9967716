# ruff: noqa: RUF001  (look-alike characters are the test data)
from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from typing import Any, cast

import pytest
from lxml import etree

from chalicelib.orders.model import (
    Customer,
    Discount,
    Fee,
    Order,
    OrderLine,
    Refund,
    ShippingLine,
    TaxLine,
    parse_order,
)
from chalicelib.orders.settings import Accounts, ChannelSettings
from chalicelib.orders.to_quickbooks import (
    DOCUMENTS,
    OrderNotPostable,
    TotalsMismatch,
    check_totals,
    customer_add_request,
    customer_name,
    derived_guid,
    item_add_request,
    item_name,
    missing_item_requests,
    needed_items,
    order_guid,
    payment_request,
    refnumber_and_memo,
    refund_ref_number,
    refund_requests,
    sale_lines,
    sale_requests,
)
from chalicelib.qbxml import render_message_set
from chalicelib.qbxml.requests import ADDED_LIST_ENTRY_INCLUDE, ADDED_TRANSACTION_INCLUDE, answer_only
from chalicelib.qbxml.text import CUSTOMER_NAME, ITEM_NAME, REF_NUMBER
from ledgerbridge.qbxml_schema import schema_errors
from tests.paths import FIXTURES

GUID_RE = re.compile(r"\A\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}\Z")
ACCOUNTS = Accounts(
    deposit="Undeposited Funds",
    income="Sales",
    cogs="Cost of Goods Sold",
    asset="Inventory Asset",
    discount="Discounts Given",
    receivable="Accounts Receivable",
)
US = ChannelSettings(
    accounts=ACCOUNTS,
    sales_tax_item="WA State",
    payment_methods={"shopify_payments": "Credit Card", "paypal": "PayPal"},
    class_name="Web",
)
UK = ChannelSettings(accounts=ACCOUNTS, tax_code="S", exempt_tax_code="Z", default_payment_method="Online")
CA = dataclasses.replace(UK, tax_code="H", exempt_tax_code="E")
AU = dataclasses.replace(UK, tax_code="GST", exempt_tax_code="FRE")
FILES = {"US": US, "UK": UK, "CA": CA, "AU": AU}


def load(name: str) -> Order:
    return parse_order(json.loads((FIXTURES / "orders" / f"{name}.json").read_text(encoding="utf-8")))


@pytest.fixture
def us_order() -> Order:
    return load("us_web_order")


@pytest.fixture
def uk_order() -> Order:
    return load("uk_marketplace_order")


def valid(requests: list[etree._Element]) -> list[etree._Element]:
    assert schema_errors(render_message_set(requests)) == []
    return requests


def every_text(elements: list[etree._Element]) -> list[str]:
    return [e.text for root in elements for e in root.iter() if isinstance(e.tag, str) and e.text]


def line_total(add: etree._Element, tag: str) -> Decimal:
    total = Decimal(0)
    for line in add.findall(tag):
        amount = line.findtext("Amount")
        if amount is not None:
            total += Decimal(amount)
        else:
            total += Decimal(line.findtext("Quantity") or "1") * Decimal(line.findtext("Rate") or "0")
    return total


def sale(order: Order, country: str, txn_type: str, **kwargs: Any) -> etree._Element:
    settings = FILES[country]
    requests = sale_requests(
        order,
        settings,
        country=country,
        request_prefix="ord-1",
        txn_type=cast(Any, txn_type),
        customer=customer_name(order, settings),
        guid=order_guid("conn-1", "chan-1", order.order_id),
        **kwargs,
    )
    assert len(requests) == 1
    return valid(requests)[0]


def order_with(**changes: Any) -> Order:
    base = Order(
        order_id="o-1",
        number="1001",
        created_at=load("us_web_order").created_at,
        updated_at=load("us_web_order").created_at,
        currency="USD",
        customer=Customer(first_name="Ann", last_name="Lee"),
        billing_address=load("us_web_order").billing_address,
        shipping_address=load("us_web_order").shipping_address,
        lines=(OrderLine("1", "SKU-1", "Thing", Decimal(1), Decimal("10.00")),),
        total=Decimal("10.00"),
    )
    return dataclasses.replace(base, **changes)


# --- every transaction type, US and CA/UK/AU files: valid 13.0 ------------------------------------


@pytest.mark.parametrize("country", ["US", "UK", "CA", "AU"])
@pytest.mark.parametrize("txn_type", ["sales_receipt", "invoice", "sales_order"])
@pytest.mark.parametrize("fixture", ["us_web_order", "uk_marketplace_order"])
def test_sale_documents_are_valid_and_add_up(fixture: str, txn_type: str, country: str) -> None:
    order = load(fixture)
    element = sale(order, country, txn_type)
    tag = {"sales_receipt": "SalesReceipt", "invoice": "Invoice", "sales_order": "SalesOrder"}[txn_type]
    assert element.tag == f"{tag}AddRq"
    add = element[0]
    assert add.findtext("ExternalGUID") == order_guid("conn-1", "chan-1", order.order_id)
    # QuickBooks adds the lines and then its own tax: the lines must be the order less its tax
    assert line_total(add, f"{tag}LineAdd") == order.total - order.tax_total
    for text in every_text([element]):
        text.encode("cp1252")


def test_us_file_puts_the_sales_tax_item_on_the_header_and_tax_non_on_lines(us_order: Order) -> None:
    add = sale(us_order, "US", "sales_receipt")[0]
    assert add.findtext("ItemSalesTaxRef/FullName") == "WA State"
    lines = add.findall("SalesReceiptLineAdd")
    assert [(ln.findtext("ItemRef/FullName"), ln.findtext("SalesTaxCodeRef/FullName")) for ln in lines] == [
        ("TSHIRT-BLK-M", "Tax"),
        ("Discount", "Tax"),  # the line's own discount, right after it
        ("GIFTCARD", "Non"),  # taxable: false
        ("Discount", "Tax"),  # order discount code WELCOME5
        ("Shipping", "Non"),
        ("Fees", "Non"),
    ]
    assert [ln.findtext("Amount") for ln in lines] == [None, "-4.00", None, "-5.00", "8.50", "1.50"]
    assert lines[0].findtext("Quantity") == "2"
    assert lines[0].findtext("Rate") == "19.99"
    assert lines[3].findtext("Desc") == "Discount WELCOME5"
    assert {ln.findtext("ClassRef/FullName") for ln in lines} == {"Web"}
    assert add.findtext("PaymentMethodRef/FullName") == "Credit Card"
    assert add.findtext("DepositToAccountRef/FullName") == "Undeposited Funds"


@pytest.mark.parametrize(
    ("country", "taxed", "exempt"), [("UK", "S", "Z"), ("CA", "H", "E"), ("AU", "GST", "FRE")]
)
def test_ca_uk_au_files_use_line_tax_codes_and_no_sales_tax_item(
    uk_order: Order, country: str, taxed: str, exempt: str
) -> None:
    add = sale(uk_order, country, "invoice")[0]
    assert add.find("ItemSalesTaxRef") is None
    lines = add.findall("InvoiceLineAdd")
    # per-line tax from the store: taxed lines and shipping get the tax code, the untaxed wrap not
    assert [ln.findtext("SalesTaxCodeRef/FullName") for ln in lines] == [taxed, taxed, exempt, taxed]


def test_an_order_without_tax_makes_every_line_non_taxable(us_order: Order) -> None:
    untaxed = dataclasses.replace(us_order, tax_lines=(), total=us_order.total - Decimal("2.89"))
    add = sale(untaxed, "US", "invoice")[0]
    assert {ln.findtext("SalesTaxCodeRef/FullName") for ln in add.findall("InvoiceLineAdd")} == {"Non"}


def test_empty_tax_codes_leave_the_items_own_code(uk_order: Order) -> None:
    settings = dataclasses.replace(UK, tax_code="", exempt_tax_code="")
    requests = sale_requests(
        uk_order,
        settings,
        country="UK",
        request_prefix="p",
        txn_type="sales_order",
        customer="C",
        guid=order_guid("a", "b", "c"),
    )
    assert valid(requests)[0][0].find("SalesOrderLineAdd/SalesTaxCodeRef") is None


def test_tax_code_longer_than_quickbooks_allows_is_not_postable(uk_order: Order) -> None:
    settings = dataclasses.replace(AU, tax_code="GSTIN")
    with pytest.raises(OrderNotPostable, match="3 characters"):
        sale_lines(uk_order, settings, country="UK")
    assert sale_lines(uk_order, settings, country="AU")[0].sales_tax_code == "GSTIN"  # 6 in Australia
    with pytest.raises(OrderNotPostable, match="6 characters"):
        sale_lines(uk_order, dataclasses.replace(AU, exempt_tax_code="EXEMPT1"), country="AU")


def test_unknown_country_is_refused(us_order: Order) -> None:
    with pytest.raises(ValueError, match="country"):
        sale_lines(us_order, US, country="DE")


def test_fractional_quantity_uses_the_stores_rounded_amount(uk_order: Order) -> None:
    first = sale_lines(uk_order, UK, country="UK")[0]
    assert first.quantity == Decimal("1.5")
    assert first.rate is None  # 1.5 x 3.33 = 4.995, the store charged 5.00
    assert first.amount == Decimal("5.00")


# --- the staged flow: sales order, linked invoice, payment ---------------------------------------


def test_sales_order_invoice_payment_documents(us_order: Order) -> None:
    assert DOCUMENTS["sales_order_invoice_payment"] == ("sales_order", "invoice", "payment")
    guid = order_guid("conn-1", "chan-1", us_order.order_id)
    customer = customer_name(us_order, US)
    so = sale_requests(
        us_order, US, country="US", request_prefix="o", txn_type="sales_order", customer=customer, guid=guid
    )
    invoice = sale_requests(
        us_order,
        US,
        country="US",
        request_prefix="o",
        txn_type="invoice",
        customer=customer,
        guid=derived_guid(guid, "invoice"),
        linked_sales_order_txn_id="1A50-1714663800",
    )
    payment = payment_request(
        us_order,
        US,
        request_id="o-payment",
        customer=customer,
        invoice_txn_id="2B60-1714663900",
        guid=derived_guid(guid, "payment"),
    )
    documents = valid([*so, *invoice, payment])
    inv = documents[1][0]
    assert inv.findtext("LinkToTxnID") == "1A50-1714663800"
    assert inv.find("InvoiceLineAdd") is None  # QuickBooks copies the sales order's lines
    assert inv.findtext("RefNumber") == so[0][0].findtext("RefNumber") == "1001"
    pay = documents[2][0]
    assert pay.findtext("AppliedToTxnAdd/TxnID") == "2B60-1714663900"
    assert pay.findtext("TotalAmount") == pay.findtext("AppliedToTxnAdd/PaymentAmount") == "68.87"
    assert pay.findtext("TxnDate") == "2026-03-02"
    assert pay.findtext("RefNumber") == "1001"
    assert pay.findtext("Memo") == "Payment for order 1001 (reference ch_3Nx1001)"
    guids = [d[0].findtext("ExternalGUID") for d in documents]
    assert len(set(guids)) == 3


def test_the_combined_type_is_posted_document_by_document(us_order: Order) -> None:
    first = sale(us_order, "US", "sales_order_invoice_payment")
    assert first.tag == "SalesOrderAddRq"
    assert first.get("requestID") == "ord-1-sales-order"
    second = sale(us_order, "US", "sales_order_invoice_payment", linked_sales_order_txn_id="1A50-1714663800")
    assert second.tag == "InvoiceAddRq"
    assert second[0].findtext("LinkToTxnID") == "1A50-1714663800"
    with pytest.raises(ValueError, match="only for invoices"):
        sale(us_order, "US", "sales_order", linked_sales_order_txn_id="X")
    with pytest.raises(ValueError, match="unknown txn_type"):
        sale(us_order, "US", "estimate")


def test_payment_needs_a_payment_and_a_deposit_account(us_order: Order) -> None:
    unpaid = dataclasses.replace(us_order, payments=())
    with pytest.raises(OrderNotPostable, match="no payment"):
        payment_request(
            unpaid, US, request_id="p", customer="C", invoice_txn_id="T", guid=order_guid("a", "b", "c")
        )
    no_deposit = dataclasses.replace(US, accounts=Accounts())
    with pytest.raises(OrderNotPostable, match="deposit account"):
        payment_request(
            us_order,
            no_deposit,
            request_id="p",
            customer="C",
            invoice_txn_id="T",
            guid=order_guid("a", "b", "c"),
        )
    with pytest.raises(OrderNotPostable, match="more than the order total"):
        payment_request(
            us_order,
            US,
            request_id="p",
            customer="C",
            invoice_txn_id="T",
            guid=order_guid("a", "b", "c"),
            amount=Decimal("100.00"),
        )


def test_partial_payment(us_order: Order) -> None:
    partial = dataclasses.replace(
        us_order, payments=(dataclasses.replace(us_order.payments[0], amount=Decimal("20.00")),)
    )
    element = payment_request(
        partial, US, request_id="p", customer="C", invoice_txn_id="T", guid=order_guid("a", "b", "c")
    )
    add = valid([element])[0][0]
    assert add.findtext("TotalAmount") == add.findtext("AppliedToTxnAdd/PaymentAmount") == "20.00"


def test_sales_receipt_without_deposit_account_is_not_postable(us_order: Order) -> None:
    settings = dataclasses.replace(US, accounts=Accounts(income="Sales"))
    with pytest.raises(OrderNotPostable, match="deposit account"):
        sale_requests(
            us_order,
            settings,
            country="US",
            request_prefix="p",
            txn_type="sales_receipt",
            customer="C",
            guid=order_guid("a", "b", "c"),
        )
    # an invoice does not need one
    assert sale_requests(
        us_order,
        settings,
        country="US",
        request_prefix="p",
        txn_type="invoice",
        customer="C",
        guid=order_guid("a", "b", "c"),
    )


# --- refunds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["US", "UK"])
def test_refunds_become_credit_memos(us_order: Order, country: str) -> None:
    guid = order_guid("conn-1", "chan-1", us_order.order_id)
    memos = valid(
        refund_requests(
            us_order, FILES[country], country=country, request_prefix="o", customer="C", guid=guid
        )
    )
    assert [m.tag for m in memos] == ["CreditMemoAddRq", "CreditMemoAddRq"]
    first, second = (m[0] for m in memos)
    # numbered in time order, whatever order the store listed them in
    assert first.findtext("RefNumber") == "1001-R1"
    assert first.findtext("TxnDate") == "2026-03-05"
    assert first.findtext("Memo") == "Refund of 1001"
    assert [ln.findtext("ItemRef/FullName") for ln in first.findall("CreditMemoLineAdd")] == [
        "TSHIRT-BLK-M",
        "Shipping",
    ]
    assert [ln.findtext("Amount") for ln in first.findall("CreditMemoLineAdd")] == ["17.99", "2.00"]
    assert second.findtext("RefNumber") == "1001-R2"
    assert second.findtext("Memo") == "Refund of 1001\nGoodwill credit"
    assert second.findtext("CreditMemoLineAdd/ItemRef/FullName") == "Fees"  # no line detail
    assert second.findtext("CreditMemoLineAdd/Amount") == "10.00"
    assert first.findtext("ExternalGUID") == derived_guid(guid, "refund:r-1")
    assert second.findtext("ExternalGUID") == derived_guid(guid, "refund:r-2")
    assert (first.find("ItemSalesTaxRef") is not None) == (country == "US")


def test_refund_selection_keeps_numbering(us_order: Order) -> None:
    memos = refund_requests(
        us_order,
        US,
        country="US",
        request_prefix="o",
        customer="C",
        guid=order_guid("a", "b", "c"),
        refund_ids={"r-2"},
    )
    assert [m[0].findtext("RefNumber") for m in memos] == ["1001-R2"]


def test_refund_of_nothing_is_skipped(us_order: Order) -> None:
    empty = Refund("r-0", us_order.created_at, Decimal(0))
    order = dataclasses.replace(us_order, refunds=(empty,))
    assert (
        refund_requests(
            order, US, country="US", request_prefix="o", customer="C", guid=order_guid("a", "b", "c")
        )
        == []
    )


def test_refund_of_a_long_order_number(uk_order: Order) -> None:
    refund = Refund("r-9", uk_order.created_at, Decimal("15.00"), lines=())
    order = dataclasses.replace(uk_order, refunds=(refund,))
    memo = valid(
        refund_requests(
            order, UK, country="UK", request_prefix="o", customer="C", guid=order_guid("a", "b", "c")
        )
    )[0][0]
    assert memo.findtext("RefNumber") == "7654321-R1"
    assert memo.findtext("PONumber") == "206-1234567-7654321"
    assert memo.findtext("Memo") == "Refund of 567-7654321 (order 206-1234567-7654321)"


def test_refund_ref_number_fits_eleven_characters() -> None:
    assert refund_ref_number("1001", 1) == "1001-R1"
    assert refund_ref_number("ABCDEFGHIJK", 12) == "EFGHIJK-R12"
    assert len(refund_ref_number("X" * 11, 99)) <= REF_NUMBER


# --- RefNumber, memo, PO number -------------------------------------------------------------------


def test_short_number_is_the_ref_number(us_order: Order) -> None:
    assert refnumber_and_memo(us_order, US) == ("1001", "Order 1001\nLeave at the door.\nThanks!", "")


def test_long_number_keeps_its_end_and_goes_whole_to_po_number_and_memo(uk_order: Order) -> None:
    ref, memo, po_number = refnumber_and_memo(uk_order, UK)
    assert (ref, memo, po_number) == ("567-7654321", "Order 206-1234567-7654321", "206-1234567-7654321")
    add = sale(uk_order, "UK", "invoice")[0]
    assert add.findtext("RefNumber") == "567-7654321"
    assert add.findtext("PONumber") == "206-1234567-7654321"
    receipt = sale(uk_order, "UK", "sales_receipt")[0]
    assert receipt.find("PONumber") is None  # sales receipts have none: the memo carries it
    assert receipt.findtext("Memo") == "Order 206-1234567-7654321"


def test_number_longer_than_a_po_number_is_only_in_the_memo() -> None:
    order = order_with(number="SHOP-2026-03-0000012345-XYZ-77")
    ref, memo, po_number = refnumber_and_memo(order, US)
    assert ref == "12345-XYZ-77"[-11:].lstrip("-")
    assert len(ref) <= REF_NUMBER
    assert po_number == ""
    assert memo == "Order SHOP-2026-03-0000012345-XYZ-77"


def test_ref_number_source_and_fallbacks() -> None:
    by_id = dataclasses.replace(US, order_number_source="id")
    assert refnumber_and_memo(order_with(order_id="5550001", number="#1001"), by_id)[0] == "5550001"
    assert refnumber_and_memo(order_with(order_id="77", number="🎉"), US)[0] == "77"
    with pytest.raises(OrderNotPostable, match="no characters"):
        refnumber_and_memo(order_with(order_id="📦", number="🎉"), US)


# --- customer names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matching", "customer", "expected"),
    [
        ("last_first", Customer("José", "Núñez", "Café", "j@x.com"), "Núñez, José"),
        ("last_first", Customer("", "Núñez", "Café"), "Núñez"),
        ("last_first", Customer("Cher"), "Cher"),
        ("last_first", Customer(company="Acme: West", email="a@b.com"), "Acme- West"),
        ("last_first", Customer("山田", "太郎", email="Taro@Example.jp"), "taro@example.jp"),
        ("last_first", Customer(), "Online Customer"),
        ("company", Customer("Ann", "Lee", company="Harbor Kayak Club"), "Harbor Kayak Club"),
        ("company", Customer("Ann", "Lee"), "Online Customer"),
        ("email", Customer("Ann", "Lee", email="Ann.Lee@Example.COM"), "ann.lee@example.com"),
        ("email", Customer("Ann", "Lee"), "Online Customer"),
        ("single_customer", Customer("Ann", "Lee"), "Web Store Sales"),
    ],
)
def test_customer_name_rules(matching: str, customer: Customer, expected: str) -> None:
    settings = dataclasses.replace(
        US, customer_matching=cast(Any, matching), single_customer="Web Store Sales"
    )
    order = order_with(customer=customer)
    order = dataclasses.replace(order, billing_address=dataclasses.replace(order.billing_address, company=""))
    assert customer_name(order, settings) == expected


def test_company_rule_falls_back_to_the_billing_company() -> None:
    order = order_with(customer=Customer("Ann"))
    billing = dataclasses.replace(order.billing_address, company="Billing Co")
    settings = dataclasses.replace(US, customer_matching="company")
    assert customer_name(dataclasses.replace(order, billing_address=billing), settings) == "Billing Co"


def test_customer_name_is_at_most_41_characters() -> None:
    long = Customer("Maximiliana Theodora", "Vandenberghe-Oppenheimer-Lindqvist")
    name = customer_name(order_with(customer=long), US)
    assert len(name) <= CUSTOMER_NAME
    # cut hard, not at the last space: the first name keeps two customers apart
    assert name == "Vandenberghe-Oppenheimer-Lindqvist, Maxim"
    other = Customer("Maximilian", "Vandenberghe-Oppenheimer-Lindqvist")
    assert customer_name(order_with(customer=other), US) == name  # only 41 characters to tell apart
    assert customer_name(order_with(customer=Customer("Anna", long.last_name)), US) != name


def test_single_customer_without_a_name_uses_the_fallback_and_no_fallback_is_not_postable() -> None:
    settings = dataclasses.replace(US, customer_matching="single_customer", single_customer="")
    assert customer_name(order_with(), settings) == "Online Customer"
    with pytest.raises(OrderNotPostable, match="fallback"):
        customer_name(order_with(customer=Customer()), dataclasses.replace(US, fallback_customer=""))


def test_customer_add_request(us_order: Order) -> None:
    element = valid([customer_add_request(us_order, US, request_id="c-1")])[0]
    add = element[0]
    assert add.findtext("Name") == "Núñez, José"
    assert add.findtext("CompanyName") == "Café Ünïcode"
    assert add.findtext("BillAddress/Addr1") == "José Núñez"
    assert add.findtext("BillAddress/Addr3") == "1200 Pine Street, Apartment 4011"
    assert add.findtext("ShipAddress/Addr3") == "Apt 4011"
    assert add.findtext("Email") == "Jose.Nunez@Example.com"


def test_a_sub_customer_from_the_settings_is_not_created() -> None:
    settings = dataclasses.replace(US, customer_matching="single_customer", single_customer="Web:Retail")
    with pytest.raises(OrderNotPostable, match="sub-customer"):
        customer_add_request(order_with(), settings, request_id="c")


# --- item names -----------------------------------------------------------------------------------


def _line(sku: str, title: str = "Thing") -> OrderLine:
    return OrderLine("1", sku, title, Decimal(1), Decimal(1))


@pytest.mark.parametrize(
    ("matching", "line", "expected"),
    [
        ("name", _line("TSHIRT-BLK-M"), "TSHIRT-BLK-M"),
        ("name", _line("", "Teekanne 🍵 Porzellan – weiß"), "Teekanne Porzellan – weiß"),
        ("name", _line("MUG:BLUE"), "MUG-BLUE"),
        ("name", _line("A-VERY-LONG-SKU-THAT-GOES-ON-AND-ON-123"), "A-VERY-LONG-SKU-THAT-GOES-ON-AN"),
        ("full_name", _line("Mugs:Blue 🍵:Large"), "Mugs:Blue:Large"),
        ("full_name", _line("P" * 40 + ":" + "C" * 40), "P" * 31 + ":" + "C" * 31),
        ("manufacturer_part_number", _line("MPN:77-X"), "MPN:77-X"),
    ],
)
def test_item_name_rules(matching: str, line: OrderLine, expected: str) -> None:
    settings = dataclasses.replace(US, product_matching=cast(Any, matching))
    assert item_name(line, settings) == expected


def test_item_name_is_at_most_31_characters() -> None:
    assert len(item_name(_line("x" * 100), US)) == ITEM_NAME


def test_a_line_with_no_storable_name_is_not_postable() -> None:
    order = order_with(lines=(_line("", "🍵🍵"),))
    with pytest.raises(OrderNotPostable, match="no SKU or title"):
        sale_lines(order, US, country="US")


def test_resolved_item_names_are_used(us_order: Order) -> None:
    lines = sale_lines(us_order, US, country="US", items={"TSHIRT-BLK-M": "Apparel:T-shirts:TSHIRT-BLK-M"})
    assert lines[0].item == "Apparel:T-shirts:TSHIRT-BLK-M"
    assert lines[2].item == "GIFTCARD"


# --- missing items --------------------------------------------------------------------------------


def test_missing_items_become_non_inventory_and_charge_items(us_order: Order) -> None:
    requests = valid(
        missing_item_requests(
            us_order,
            US,
            country="US",
            request_prefix="o",
            missing={"TSHIRT-BLK-M", "Shipping", "Discount", "Fees"},
        )
    )
    assert [r.tag for r in requests] == [
        "ItemNonInventoryAddRq", "ItemDiscountAddRq", "ItemOtherChargeAddRq", "ItemOtherChargeAddRq",
    ]  # fmt: skip
    item = requests[0][0]
    assert item.findtext("Name") == "TSHIRT-BLK-M"
    assert item.findtext("SalesOrPurchase/Price") == "19.99"
    assert item.findtext("SalesOrPurchase/AccountRef/FullName") == "Sales"
    assert requests[1][0].findtext("AccountRef/FullName") == "Discounts Given"
    assert {r.get("requestID") for r in requests} == {
        "o-item1",
        "o-discount-item",
        "o-shipping-item",
        "o-fee-item",
    }


def test_missing_inventory_items_with_a_parent_and_mpn(uk_order: Order) -> None:
    settings = dataclasses.replace(UK, missing_items="create_inventory", product_matching="full_name")
    requests = valid(
        missing_item_requests(uk_order, settings, country="UK", request_prefix="o", missing={"MUG:BLUE"})
    )
    add = requests[0][0]
    assert requests[0].tag == "ItemInventoryAddRq"
    assert (add.findtext("Name"), add.findtext("ParentRef/FullName")) == ("BLUE", "MUG")
    assert add.findtext("SalesTaxCodeRef/FullName") == "S"
    mpn = dataclasses.replace(UK, product_matching="manufacturer_part_number")
    add = valid(missing_item_requests(uk_order, mpn, country="UK", request_prefix="o", missing={"MUG:BLUE"}))[
        0
    ][0]
    assert (add.findtext("Name"), add.findtext("ManufacturerPartNumber")) == ("MUG-BLUE", "MUG:BLUE")
    # the sale refers to the item by the name it is created under
    assert sale_lines(uk_order, mpn, country="UK")[1].item == "MUG-BLUE"


def test_missing_items_with_fail_name_them(us_order: Order) -> None:
    settings = dataclasses.replace(US, missing_items="fail")
    with pytest.raises(OrderNotPostable, match="TSHIRT-BLK-M, GIFTCARD"):
        missing_item_requests(
            us_order, settings, country="US", request_prefix="o", missing={"TSHIRT-BLK-M", "GIFTCARD"}
        )
    with pytest.raises(OrderNotPostable, match="GIFTCARD is not in QuickBooks"):
        item_add_request("i", "GIFTCARD", us_order.lines[1], settings, country="US")


def test_item_add_request_for_one_line(us_order: Order) -> None:
    element = valid([item_add_request("i-1", "GIFTCARD", us_order.lines[1], US, country="US")])[0]
    assert element.tag == "ItemNonInventoryAddRq"
    assert element[0].findtext("SalesTaxCodeRef/FullName") == "Non"  # the line is not taxable
    element = item_add_request("i-2", "TSHIRT-BLK-M", us_order.lines[0], UK, country="UK")
    assert element[0].findtext("SalesTaxCodeRef/FullName") == "S"


def test_missing_items_need_accounts(us_order: Order) -> None:
    no_income = dataclasses.replace(US, accounts=Accounts(deposit="Undeposited Funds"))
    with pytest.raises(OrderNotPostable, match="income account"):
        missing_item_requests(us_order, no_income, country="US", request_prefix="o", missing={"GIFTCARD"})
    inventory = dataclasses.replace(US, missing_items="create_inventory", accounts=Accounts(income="Sales"))
    with pytest.raises(OrderNotPostable, match="cost of goods sold"):
        missing_item_requests(us_order, inventory, country="US", request_prefix="o", missing={"GIFTCARD"})


def test_unused_charge_items_are_not_needed(uk_order: Order) -> None:
    """Item adds follow what the requests name: charge items the order does not use are not added."""
    requests = [sale(uk_order, "UK", "sales_receipt")]
    assert needed_items({"Discount", "Fees"}, requests, UK) == set()


def test_a_refund_without_lines_names_the_fee_item_and_it_is_added(uk_order: Order) -> None:
    """A goodwill refund (an amount, no lines) on an order without fees is credited to the fee item: the item
    must be added in the same message set, or QuickBooks answers 3140 for the credit memo."""
    assert not uk_order.fees
    goodwill = Refund(refund_id="g1", created_at=uk_order.created_at, amount=Decimal("5.00"), note="sorry")
    order = dataclasses.replace(uk_order, refunds=(goodwill,))
    memos = valid(
        refund_requests(
            order, UK, country="UK", request_prefix="o", customer=customer_name(order, UK), guid=GUID_OF_ORDER
        )
    )
    assert needed_items({"Discount", "Fees", "Shipping"}, memos, UK) == {"Fees"}
    adds = valid(missing_item_requests(order, UK, country="UK", request_prefix="o", missing={"Fees"}))
    assert [a.tag for a in adds] == ["ItemOtherChargeAddRq"] and adds[0][0].findtext("Name") == "Fees"


GUID_OF_ORDER = order_guid("conn-1", "chan-1", "refunded-1")


# --- totals ---------------------------------------------------------------------------------------


def test_fixture_orders_add_up(us_order: Order, uk_order: Order) -> None:
    check_totals(us_order)
    check_totals(uk_order)


@pytest.mark.parametrize(("delta", "word"), [(Decimal("0.01"), "more"), (Decimal("-0.01"), "less")])
def test_a_one_cent_mismatch_names_the_difference(us_order: Order, delta: Decimal, word: str) -> None:
    order = dataclasses.replace(us_order, total=us_order.total - delta)
    with pytest.raises(TotalsMismatch) as caught:
        check_totals(order)
    error = caught.value
    assert error.difference == delta
    assert error.computed == Decimal("68.87")
    assert error.expected == Decimal("68.87") - delta
    assert f"0.01 {word} than the order total of {error.expected}" in str(error)
    assert isinstance(error, OrderNotPostable)
    assert isinstance(error, ValueError)
    with pytest.raises(TotalsMismatch):
        sale(order, "US", "invoice")


def test_totals_include_shipping_and_line_discounts_and_fees() -> None:
    order = order_with(
        lines=(OrderLine("1", "A", "A", Decimal(3), Decimal("3.33"), discount=Decimal("1.00")),),
        shipping_lines=(ShippingLine("Post", Decimal("5.00"), discount=Decimal("5.00")),),
        discounts=(Discount("X", Decimal("0.99")),),
        fees=(Fee("COD", Decimal("2.00")),),
        tax_lines=(TaxLine("VAT", Decimal("1.50")),),
        total=Decimal("11.50"),  # 9.99 - 1.00 + 0 + 2.00 + 1.50 - 0.99
    )
    check_totals(order)
    element = sale(order, "UK", "sales_receipt")
    lines = element[0].findall("SalesReceiptLineAdd")
    assert [ln.findtext("ItemRef/FullName") for ln in lines] == [
        "A", "Discount", "Discount", "Shipping", "Discount", "Fees",
    ]  # fmt: skip
    assert line_total(element[0], "SalesReceiptLineAdd") == Decimal("10.00")


def test_discounts_larger_than_the_sale_are_not_postable() -> None:
    order = order_with(discounts=(Discount("ALL", Decimal("12.00")),), total=Decimal("-2.00"))
    with pytest.raises(OrderNotPostable, match="negative"):
        sale_lines(order, US, country="US")


def test_an_order_without_lines_is_not_postable() -> None:
    with pytest.raises(OrderNotPostable, match="no product lines"):
        sale_lines(order_with(lines=(), total=Decimal(0)), US, country="US")


def test_missing_shipping_item_setting_is_not_postable(us_order: Order) -> None:
    with pytest.raises(OrderNotPostable, match="shipping item"):
        sale_lines(us_order, dataclasses.replace(US, shipping_item=""), country="US")


# --- GUIDs ----------------------------------------------------------------------------------------


def test_order_guid_is_deterministic_braced_upper_case() -> None:
    guid = order_guid("conn-1", "chan-1", "5550001001")
    assert GUID_RE.match(guid)
    assert guid == order_guid("conn-1", "chan-1", "5550001001")
    # pinned: changing the namespace or the key would make every order look new to QuickBooks
    assert guid == "{DCA647AE-46C8-5599-B8B1-78509380B867}"


def test_order_guid_differs_per_connection_channel_and_order() -> None:
    guids = {
        order_guid("conn-1", "chan-1", "1"),
        order_guid("conn-2", "chan-1", "1"),
        order_guid("conn-1", "chan-2", "1"),
        order_guid("conn-1", "chan-1", "2"),
        order_guid("conn-1", "chan-11", ""[:0] + "1"),
        order_guid("conn-1", "chan-1", "11"),
    }
    assert len(guids) == 6
    # no ambiguity from joining the parts
    assert order_guid("a", "b-c", "d") != order_guid("a-b", "c", "d")
    with pytest.raises(ValueError, match="order_id"):
        order_guid("a", "b", "")


def test_derived_guids() -> None:
    guid = order_guid("a", "b", "c")
    invoice = derived_guid(guid, "invoice")
    assert GUID_RE.match(invoice)
    assert invoice == derived_guid(guid, "invoice")
    assert len({guid, invoice, derived_guid(guid, "payment"), derived_guid(guid, "refund:r-1")}) == 4


# --- every request the mapping can build ----------------------------------------------------------


def test_every_request_for_both_fixtures_in_one_message_set(us_order: Order, uk_order: Order) -> None:
    requests: list[etree._Element] = []
    for order, country in ((us_order, "US"), (uk_order, "UK"), (uk_order, "CA")):
        settings = FILES[country]
        guid = order_guid("c", country, order.order_id)
        customer = customer_name(order, settings)
        requests.append(
            customer_add_request(order, settings, request_id=f"{country}-cust", external_guid=guid)
        )
        keys = {item_name(line, settings) for line in order.lines}
        requests += missing_item_requests(
            order,
            settings,
            country=country,
            request_prefix=f"{country}-x",
            missing=keys | {"Shipping", "Discount", "Fees"},
        )
        for txn_type in ("sales_receipt", "invoice", "sales_order"):
            requests += sale_requests(
                order,
                settings,
                country=country,
                request_prefix=f"{country}-x",
                txn_type=cast(Any, txn_type),
                customer=customer,
                guid=guid,
            )
        requests.append(
            payment_request(
                order,
                settings,
                request_id=f"{country}-pay",
                customer=customer,
                invoice_txn_id="T-1",
                guid=guid,
            )
        )
        requests += refund_requests(
            order, settings, country=country, request_prefix=f"{country}-x", customer=customer, guid=guid
        )
    valid(requests)
    for text in every_text(requests):
        text.encode("cp1252")


def test_a_settings_item_name_that_cannot_be_created_is_not_postable(us_order: Order) -> None:
    settings = dataclasses.replace(US, shipping_item="Shipping and Handling Charges (Ground)")
    with pytest.raises(OrderNotPostable, match="shipping item"):
        missing_item_requests(
            us_order, settings, country="US", request_prefix="o", missing={settings.shipping_item}
        )


# --- answers trimmed to what is read back --------------------------------------------------------


@pytest.mark.parametrize("txn_type", ["sales_receipt", "invoice", "sales_order"])
def test_adds_ask_only_for_the_ids_they_are_read_for(us_order: Order, txn_type: str) -> None:
    """IncludeRetElement on every add a message set carries (allowed by qbxmlops130.xsd on each Add request):
    the requests stay schema-valid and name exactly what the engine reads from the answers."""
    settings = FILES["US"]
    sales = [sale(us_order, "US", txn_type)]
    adds = [
        customer_add_request(us_order, settings, request_id="o-customer"),
        *missing_item_requests(
            us_order, settings, country="US", request_prefix="o", missing={"TSHIRT-BLK-M", "Shipping"}
        ),
    ]
    refunded = dataclasses.replace(
        us_order,
        refunds=(Refund(refund_id="r1", created_at=us_order.created_at, amount=Decimal("5.00")),),
    )
    memos = refund_requests(
        refunded, settings, country="US", request_prefix="o", customer="Ada", guid=GUID_OF_ORDER
    )
    for request in adds:
        answer_only(request, ADDED_LIST_ENTRY_INCLUDE)
    for request in (*sales, *memos):
        answer_only(request, ADDED_TRANSACTION_INCLUDE)
    valid([*adds, *sales, *memos])
    assert [e.text for e in adds[0].findall("IncludeRetElement")] == ["ListID"]
    assert [e.text for e in sales[0].findall("IncludeRetElement")] == list(ADDED_TRANSACTION_INCLUDE)
    answer_only(sales[0], ADDED_TRANSACTION_INCLUDE)  # asking twice adds nothing
    assert len(sales[0].findall("IncludeRetElement")) == len(ADDED_TRANSACTION_INCLUDE)
    with pytest.raises(ValueError, match="not an Add request"):
        answer_only(etree.Element("InvoiceQueryRq"), ADDED_TRANSACTION_INCLUDE)
