"""What the to_quickbooks tests share: settings per country, the fixture orders, a validating builder."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from typing import Any, cast

from lxml import etree

from chalicelib.orders.model import (
    Customer,
    Order,
    OrderLine,
    parse_order,
)
from chalicelib.orders.settings import Accounts, ChannelSettings
from chalicelib.orders.tax_settings import TaxMode
from chalicelib.orders.to_quickbooks import (
    customer_name,
    order_guid,
    sale_requests,
)
from chalicelib.qbxml import render_message_set
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
    tax_mode=TaxMode.QUICKBOOKS,  # these tests check the QuickBooks-computes mode; test_sales_tax the store's
    payment_methods={"shopify_payments": "Credit Card", "paypal": "PayPal"},
    class_name="Web",
)
UK = ChannelSettings(accounts=ACCOUNTS, tax_code="S", exempt_tax_code="Z", default_payment_method="Online")
CA = dataclasses.replace(UK, tax_code="H", exempt_tax_code="E")
AU = dataclasses.replace(UK, tax_code="GST", exempt_tax_code="FRE")
FILES = {"US": US, "UK": UK, "CA": CA, "AU": AU}
GUID_OF_ORDER = order_guid("conn-1", "chan-1", "refunded-1")


def load(name: str) -> Order:
    return parse_order(json.loads((FIXTURES / "orders" / f"{name}.json").read_text(encoding="utf-8")))


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
