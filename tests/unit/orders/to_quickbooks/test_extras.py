"""The order rules' `PostingExtras` on the sale documents: each extra in its 13.0 place, or refused."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.orders.model import Order, OrderLine
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    customer_name,
    derived_guid,
    missing_item_requests,
    order_guid,
    refund_requests,
    sale_requests,
)
from chalicelib.qbxml.transactions import SaleLine, invoice_add
from chalicelib.rules import PostingExtras, UnitOfMeasure

from .helpers import FILES, UK, US, load, order_with, sale, valid

HEADER = PostingExtras(memo="Amazon order {number}", po_number="PO-77", sales_rep="JD", terms="Net 30")
LINES = PostingExtras(price_level="Wholesale", inventory_site="Warehouse B")
SALE_DOCUMENTS = ["sales_receipt", "invoice", "sales_order"]


def tags(add: etree._Element) -> list[str]:
    return [str(child.tag) for child in add]


def product_lines(add: etree._Element, order: Order) -> list[etree._Element]:
    """The line elements of the order's products: the only lines with a Quantity."""
    lines = [el for el in add if str(el.tag).endswith("LineAdd") and el.find("Quantity") is not None]
    assert len(lines) <= len(order.lines)
    return lines


def other_lines(add: etree._Element, order: Order) -> list[etree._Element]:
    products = product_lines(add, order)
    return [el for el in add if str(el.tag).endswith("LineAdd") and el not in products]


def posted_amount(line: etree._Element) -> Decimal:
    amount = line.findtext("Amount")
    if amount is not None:
        return Decimal(amount)
    return Decimal(line.findtext("Quantity") or "0") * Decimal(line.findtext("Rate") or "0")


def refunds(order: Order, country: str, extras: PostingExtras | None) -> list[etree._Element]:
    settings_ = FILES[country]
    return refund_requests(
        order,
        settings_,
        country=country,
        request_prefix="o",
        customer=customer_name(order, settings_),
        guid=order_guid("conn-1", "chan-1", order.order_id),
        extras=extras,
    )


# --- no extras, or empty ones, change nothing ----------------------------------------------------


@pytest.mark.parametrize("country", ["US", "UK", "CA", "AU"])
@pytest.mark.parametrize("txn_type", [*SALE_DOCUMENTS, "sales_order_invoice_payment"])
@pytest.mark.parametrize("fixture", ["us_web_order", "uk_marketplace_order"])
def test_empty_extras_build_the_same_bytes_as_none(fixture: str, txn_type: str, country: str) -> None:
    order = load(fixture)
    without = etree.tostring(sale(order, country, txn_type))
    assert etree.tostring(sale(order, country, txn_type, extras=PostingExtras())) == without
    linked = {"linked_sales_order_txn_id": "1A50-1714663800"} if txn_type != "sales_receipt" else {}
    if linked:
        invoice = etree.tostring(sale(order, country, "invoice", **linked))
        assert etree.tostring(sale(order, country, "invoice", extras=PostingExtras(), **linked)) == invoice
    assert [etree.tostring(r) for r in refunds(order, country, PostingExtras())] == [
        etree.tostring(r) for r in refunds(order, country, None)
    ]


# --- header: memo, PO number, terms, sales rep ------------------------------------------------------


@pytest.mark.parametrize("txn_type", ["invoice", "sales_order"])
def test_invoices_and_sales_orders_carry_every_header_extra_in_schema_order(
    us_order: Order, txn_type: str
) -> None:
    add = sale(us_order, "US", txn_type, extras=HEADER)[0]
    assert add.findtext("Memo") == "Amazon order {number}"  # the rule's text, as the engine rendered it
    assert add.findtext("PONumber") == "PO-77"
    assert add.findtext("TermsRef/FullName") == "Net 30"
    assert add.findtext("SalesRepRef/FullName") == "JD"
    order = tags(add)
    assert (
        order.index("ShipAddress")
        < order.index("PONumber")
        < order.index("TermsRef")
        < order.index("SalesRepRef")
        < order.index("ItemSalesTaxRef")
        < order.index("Memo")
    )


def test_a_sales_receipt_takes_the_memo_and_sales_rep(us_order: Order) -> None:
    add = sale(us_order, "US", "sales_receipt", extras=PostingExtras(memo="Etsy", sales_rep="AB"))[0]
    assert add.findtext("Memo") == "Etsy"
    order = tags(add)
    assert order.index("PaymentMethodRef") < order.index("SalesRepRef") < order.index("ItemSalesTaxRef")


@pytest.mark.parametrize(
    ("extras", "words"),
    [(PostingExtras(po_number="PO-1"), "PO number"), (PostingExtras(terms="Net 30"), "terms")],
)
def test_a_sales_receipt_has_no_po_number_or_terms(
    us_order: Order, extras: PostingExtras, words: str
) -> None:
    with pytest.raises(OrderNotPostable, match=f"sets the {words}.*sales receipts have no"):
        sale(us_order, "US", "sales_receipt", extras=extras)


def test_the_rules_po_number_replaces_the_long_order_number(uk_order: Order) -> None:
    assert sale(uk_order, "UK", "invoice")[0].findtext("PONumber") == "206-1234567-7654321"
    add = sale(uk_order, "UK", "invoice", extras=PostingExtras(po_number="AMZ 7654321"))[0]
    assert add.findtext("PONumber") == "AMZ 7654321"
    assert add.findtext("RefNumber") == "567-7654321"  # the number QuickBooks is searched by stays


def test_a_po_number_longer_than_25_characters_is_not_postable(us_order: Order) -> None:
    with pytest.raises(OrderNotPostable, match="25 characters"):
        sale(us_order, "US", "invoice", extras=PostingExtras(po_number="P" * 26))


@pytest.mark.parametrize(
    ("extras", "limit"),
    [
        (PostingExtras(sales_rep="ABCDEF"), "5 characters"),
        (PostingExtras(terms="T" * 32), "31 characters"),
        (PostingExtras(price_level="L" * 32), "31 characters"),
        (PostingExtras(inventory_site="S" * 32), "31 characters"),
        (PostingExtras(line_units={"L1": UnitOfMeasure("U" * 32, Decimal(2))}), "31 characters"),
        (PostingExtras(line_items={"L1": "I" * 160}), "159 characters"),
    ],
)
def test_names_longer_than_quickbooks_allows_are_not_postable(
    us_order: Order, extras: PostingExtras, limit: str
) -> None:
    with pytest.raises(OrderNotPostable, match=limit):
        sale(us_order, "US", "invoice", extras=extras)


def test_the_staged_invoice_takes_the_header_extras_and_no_lines(us_order: Order) -> None:
    add = sale(
        us_order,
        "US",
        "sales_order_invoice_payment",
        linked_sales_order_txn_id="1A50-1714663800",
        extras=dataclasses.replace(HEADER, price_level="Wholesale"),
    )[0]
    assert add.findtext("TermsRef/FullName") == "Net 30"
    assert add.findtext("SalesRepRef/FullName") == "JD"
    assert add.findtext("Memo") == "Amazon order {number}"
    assert add.find("InvoiceLineAdd") is None  # QuickBooks copies the sales order's lines


def test_a_do_not_import_order_is_never_built(us_order: Order) -> None:
    with pytest.raises(ValueError, match="do-not-import"):
        sale(us_order, "US", "invoice", extras=PostingExtras(do_not_import=True))


def test_exclude_from_shipstation_leaves_the_request_unchanged(us_order: Order) -> None:
    excluded = PostingExtras(exclude_from_shipstation=True)
    assert etree.tostring(sale(us_order, "US", "invoice", extras=excluded)) == etree.tostring(
        sale(us_order, "US", "invoice")
    )


# --- lines: price level, inventory site, unit of measure, items -------------------------------------


@pytest.mark.parametrize("txn_type", SALE_DOCUMENTS)
@pytest.mark.parametrize("country", ["US", "UK", "CA"])
def test_price_level_and_site_go_on_the_product_lines_only(
    us_order: Order, txn_type: str, country: str
) -> None:
    add = sale(us_order, country, txn_type, extras=LINES)[0]
    products = product_lines(add, us_order)
    assert len(products) == len(us_order.lines)
    for line, element in zip(us_order.lines, products, strict=True):
        assert element.findtext("PriceLevelRef/FullName") == "Wholesale"
        assert element.find("Rate") is None  # the schema's choice: Rate or PriceLevelRef
        assert Decimal(element.findtext("Amount") or "") == line.amount  # the store's amount stands
        assert element.findtext("InventorySiteRef/FullName") == "Warehouse B"
        order = tags(element)
        assert order.index("Quantity") < order.index("PriceLevelRef") < order.index("Amount")
        assert order.index("Amount") < order.index("InventorySiteRef") < order.index("SalesTaxCodeRef")
    others = other_lines(add, us_order)
    assert others  # discounts, shipping, fee
    assert all(el.find("PriceLevelRef") is None and el.find("InventorySiteRef") is None for el in others)


def test_an_inventory_site_cannot_go_to_an_australian_file(us_order: Order) -> None:
    with pytest.raises(OrderNotPostable, match="Australian QuickBooks has no inventory sites"):
        sale(us_order, "AU", "invoice", extras=PostingExtras(inventory_site="Warehouse B"))
    assert sale(us_order, "AU", "invoice", extras=PostingExtras(price_level="Wholesale")) is not None


def test_a_unit_of_measure_multiplies_the_quantity_and_divides_the_rate(us_order: Order) -> None:
    extras = PostingExtras(line_units={"L1": UnitOfMeasure("Half", Decimal("0.5"))})
    add = sale(us_order, "US", "invoice", extras=extras)[0]
    first, second = product_lines(add, us_order)
    assert first.findtext("Quantity") == "1"  # 2 x 0.5
    assert first.findtext("UnitOfMeasure") == "Half"
    assert first.findtext("Rate") == "39.98"  # 19.99 / 0.5
    assert tags(first)[:5] == ["ItemRef", "Desc", "Quantity", "UnitOfMeasure", "Rate"]
    assert second.find("UnitOfMeasure") is None
    assert second.findtext("Quantity") == "1"


def test_a_rate_that_does_not_divide_exactly_leaves_the_amount(us_order: Order) -> None:
    extras = PostingExtras(line_units={"L1": UnitOfMeasure("Each", Decimal(12))})
    first = product_lines(sale(us_order, "US", "sales_receipt", extras=extras)[0], us_order)[0]
    assert first.findtext("Quantity") == "24"
    assert first.find("Rate") is None  # 19.99 / 12 has more than five decimals
    assert first.findtext("Amount") == "39.98"


def test_a_quantity_past_five_decimals_is_not_postable(us_order: Order) -> None:
    extras = PostingExtras(line_units={"L1": UnitOfMeasure("Part", Decimal("0.000001"))})
    with pytest.raises(OrderNotPostable, match="five decimals"):
        sale(us_order, "US", "invoice", extras=extras)


@settings(max_examples=60, deadline=None)
@given(
    quantity=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2),
    price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2),
    factor=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3),
    txn_type=st.sampled_from(SALE_DOCUMENTS),
)
def test_a_unit_of_measure_never_changes_the_amount(
    quantity: Decimal, price: Decimal, factor: Decimal, txn_type: str
) -> None:
    line = OrderLine("1", "SKU-1", "Thing", quantity, price, taxable=False)
    order = order_with(lines=(line,), total=line.amount)
    extras = PostingExtras(line_units={"1": UnitOfMeasure("Box", factor)})
    counted = quantity * factor
    if counted != counted.quantize(Decimal("0.00001")):
        with pytest.raises(OrderNotPostable):
            sale(order, "US", txn_type, extras=extras)
        return
    element = product_lines(sale(order, "US", txn_type, extras=extras)[0], order)[0]
    assert Decimal(element.findtext("Quantity") or "") == counted
    assert element.findtext("UnitOfMeasure") == "Box"
    assert posted_amount(element) == line.amount
    if element.find("Rate") is not None:
        assert Decimal(element.findtext("Rate") or "") == price / factor


def test_rules_items_replace_the_matched_and_settings_items(us_order: Order) -> None:
    no_items = dataclasses.replace(US, shipping_item="", discount_item="Discount")
    extras = PostingExtras(
        line_items={"L2": "Gift Cards:Digital"},
        shipping_items={0: "Shipping:UPS"},
        discount_items={0: "Promo:Welcome"},
    )
    requests = sale_requests(
        us_order,
        no_items,  # no shipping item in the settings: every shipping line has the rules' item
        country="US",
        request_prefix="o",
        txn_type="invoice",
        customer="Ada",
        guid=order_guid("conn-1", "chan-1", us_order.order_id),
        extras=extras,
    )
    add = valid(requests)[0][0]
    items = [el.findtext("ItemRef/FullName") for el in add if str(el.tag) == "InvoiceLineAdd"]
    descriptions = [el.findtext("Desc") for el in add if str(el.tag) == "InvoiceLineAdd"]
    by_description = dict(zip(descriptions, items, strict=True))
    assert by_description["Gift card"] == "Gift Cards:Digital"
    assert by_description["UPS Ground"] == "Shipping:UPS"
    assert by_description["Discount WELCOME5"] == "Promo:Welcome"
    line_discount = f"Discount on {us_order.lines[0].title}"
    assert by_description[line_discount] == "Discount"  # a line discount keeps the settings' item
    with pytest.raises(OrderNotPostable, match="shipping item"):
        sale_requests(
            us_order,
            no_items,
            country="US",
            request_prefix="o",
            txn_type="invoice",
            customer="Ada",
            guid=order_guid("conn-1", "chan-1", us_order.order_id),
            extras=dataclasses.replace(extras, shipping_items={}),
        )


def test_a_line_the_rules_map_needs_no_item_add(us_order: Order) -> None:
    missing = {"TSHIRT-BLK-M", "GIFTCARD"}
    extras = PostingExtras(line_items={"L2": "Gift Cards:Digital"})
    adds = missing_item_requests(
        us_order, US, country="US", request_prefix="o", missing=missing, extras=extras
    )
    assert [a[0].findtext("Name") for a in valid(adds)] == ["TSHIRT-BLK-M"]


# --- refunds -----------------------------------------------------------------------------------------


def test_credit_memos_take_the_sales_rep_po_number_and_line_choices(us_order: Order) -> None:
    extras = PostingExtras(
        memo="not on a credit memo",
        po_number="PO-77",
        sales_rep="JD",
        terms="Net 30",
        price_level="Wholesale",
        inventory_site="Warehouse B",
        line_items={"L1": "Apparel:Tee"},
        line_units={"L1": UnitOfMeasure("Pair", Decimal("0.5"))},
        shipping_items={0: "Shipping:UPS"},
    )
    memos = valid(refunds(us_order, "US", extras))
    add = next(m[0] for m in memos if m[0].find("CreditMemoLineAdd/UnitOfMeasure") is not None)
    assert add.findtext("PONumber") == "PO-77"
    assert add.findtext("SalesRepRef/FullName") == "JD"
    assert add.find("TermsRef") is None
    assert add.findtext("Memo", "").startswith("Refund of 1001")
    line = add.find("CreditMemoLineAdd")
    assert line is not None
    assert line.findtext("ItemRef/FullName") == "Apparel:Tee"
    assert line.findtext("Quantity") == "0.5"  # 1 x 0.5
    assert line.findtext("Amount") == "17.99"
    assert line.findtext("InventorySiteRef/FullName") == "Warehouse B"
    shipping = [el for el in add.findall("CreditMemoLineAdd") if el.findtext("Desc") == "Shipping refund"]
    assert [el.findtext("ItemRef/FullName") for el in shipping] == ["Shipping:UPS"]


# --- every extra at once validates -----------------------------------------------------------------


@pytest.mark.parametrize("country", ["US", "UK", "CA", "AU"])
@pytest.mark.parametrize("txn_type", ["invoice", "sales_order", "sales_receipt"])
@pytest.mark.parametrize("fixture", ["us_web_order", "uk_marketplace_order"])
def test_every_extra_at_once_is_valid_13_0(fixture: str, txn_type: str, country: str) -> None:
    order = load(fixture)
    first = order.lines[0].line_id
    extras = PostingExtras(
        memo="Rule memo\nsecond line",
        po_number="" if txn_type == "sales_receipt" else "PO-1",
        sales_rep="JD",
        terms="" if txn_type == "sales_receipt" else "Net 30",
        price_level="Wholesale",
        inventory_site="" if country == "AU" else "Warehouse B",
        line_items={first: "Mapped:Item"},
        line_units={first: UnitOfMeasure("Case", Decimal(2))},
        shipping_items={0: "Shipping:Mapped"},
    )
    settings_ = FILES[country] if fixture == "us_web_order" else UK
    if settings_ is UK and country == "US":  # the store's tax (the default) as a line, with every extra
        settings_ = dataclasses.replace(UK, zero_rate_tax_item="Out of State", sales_tax_item="WA State")
    requests = sale_requests(
        order,
        settings_,
        country=country,
        request_prefix="o",
        txn_type=cast(Any, txn_type),
        customer=customer_name(order, settings_),
        guid=order_guid("conn-1", "chan-1", order.order_id),
        extras=extras,
    )
    add = valid(requests)[0][0]
    assert product_lines(add, order)[0].findtext("ItemRef/FullName") == "Mapped:Item"
    assert add.findtext("SalesRepRef/FullName") == "JD"
    if txn_type != "sales_receipt":
        staged = sale_requests(
            order,
            settings_,
            country=country,
            request_prefix="o",
            txn_type="invoice",
            customer=customer_name(order, settings_),
            guid=derived_guid(order_guid("conn-1", "chan-1", order.order_id), "invoice"),
            linked_sales_order_txn_id="1A50-1714663800",
            extras=extras,
        )
        valid(staged)
    valid(refunds(order, country, extras) or [requests[0]])


# --- the line builder's own guards ------------------------------------------------------------------


def test_the_line_builder_refuses_a_rate_with_a_price_level_and_a_unit_without_quantity() -> None:
    day = load("us_web_order").order_date
    with pytest.raises(ValueError, match="price level takes the rate's place"):
        invoice_add(
            "r",
            customer="C",
            txn_date=day,
            lines=[SaleLine("I", quantity=Decimal(1), rate=Decimal(1), price_level="P")],
        )
    with pytest.raises(ValueError, match="unit of measure needs a quantity"):
        invoice_add(
            "r", customer="C", txn_date=day, lines=[SaleLine("I", amount=Decimal(1), unit_of_measure="Box")]
        )
    with pytest.raises(ValueError, match="UnitOfMeasure"):
        invoice_add(
            "r",
            customer="C",
            txn_date=day,
            lines=[SaleLine("I", quantity=Decimal(1), amount=Decimal(1), unit_of_measure="B" * 32)],
        )


def test_a_unit_name_quickbooks_cannot_store_is_not_postable(us_order: Order) -> None:
    extras = PostingExtras(line_units={"L1": UnitOfMeasure("Box 📦", Decimal(2))})
    with pytest.raises(OrderNotPostable, match="cannot store"):
        sale(us_order, "US", "invoice", extras=extras)


def test_a_rate_too_large_for_quickbooks_leaves_the_amount() -> None:
    line = OrderLine("1", "SKU-1", "Thing", Decimal(1), Decimal("200000.00"), taxable=False)
    order = order_with(lines=(line,), total=line.amount)
    extras = PostingExtras(line_units={"1": UnitOfMeasure("Grain", Decimal("0.00001"))})
    element = product_lines(sale(order, "US", "invoice", extras=extras)[0], order)[0]
    assert element.findtext("Quantity") == "0.00001"
    assert element.find("Rate") is None  # 200000 / 0.00001 is past PRICETYPE's ten integer digits
    assert element.findtext("Amount") == "200000.00"
