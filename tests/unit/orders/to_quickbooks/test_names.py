# ruff: noqa: RUF001  (look-alike characters are the test data)
"""Customer and item names."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, cast

import pytest

from chalicelib.orders.model import (
    Customer,
    Order,
    OrderLine,
)
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    customer_add_request,
    customer_name,
    item_name,
    sale_lines,
)
from chalicelib.qbxml.text import CUSTOMER_NAME, ITEM_NAME

from .helpers import (
    US,
    order_with,
    valid,
)

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
