"""Sales receipts, invoices and sales orders: valid 13.0, tax codes, the staged flow, trimmed answers."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.orders.model import (
    Order,
    Refund,
)
from chalicelib.orders.settings import Accounts
from chalicelib.orders.to_quickbooks import (
    DOCUMENTS,
    OrderNotPostable,
    customer_add_request,
    customer_name,
    derived_guid,
    missing_item_requests,
    order_guid,
    payment_request,
    refund_requests,
    sale_lines,
    sale_requests,
)
from chalicelib.qbxml.requests import (
    ADDED_LIST_ENTRY_INCLUDE,
    ADDED_TRANSACTION_INCLUDE,
    added_transaction_include,
    answer_only,
)

from .helpers import (
    AU,
    FILES,
    GUID_OF_ORDER,
    UK,
    US,
    every_text,
    line_total,
    load,
    sale,
    valid,
)

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
        answer_only(request, added_transaction_include(request))
    valid([*adds, *sales, *memos])
    assert [e.text for e in adds[0].findall("IncludeRetElement")] == ["ListID"]
    # Only what is read back: the ids, and the sale's own total fields (the RefNumber sent is the one kept).
    totals = ["Subtotal", "SalesTaxTotal"] if txn_type == "invoice" else ["TotalAmount"]
    assert [e.text for e in sales[0].findall("IncludeRetElement")] == ["TxnID", "ExternalGUID", *totals]
    assert [e.text for e in memos[0].findall("IncludeRetElement")] == ["TxnID", "ExternalGUID"]
    answer_only(sales[0], ADDED_TRANSACTION_INCLUDE)  # asking twice adds nothing
    assert len(sales[0].findall("IncludeRetElement")) == 2 + len(totals)
    unnumbered = etree.fromstring("<ReceivePaymentAddRq><ReceivePaymentAdd/></ReceivePaymentAddRq>")
    assert added_transaction_include(unnumbered) == ("TxnID", "RefNumber", "ExternalGUID")
    with pytest.raises(ValueError, match="not an Add request"):
        answer_only(etree.Element("InvoiceQueryRq"), ADDED_TRANSACTION_INCLUDE)
