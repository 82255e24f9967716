"""A plain order for the example tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.orders.model import (
    Address,
    Customer,
    Discount,
    Order,
    OrderLine,
    Payment,
    ShippingLine,
    TaxLine,
)
from chalicelib.orders.settings import Accounts, ChannelSettings
from chalicelib.rules import OrderContext

CREATED = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)
PAID = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
SETTINGS = ChannelSettings(accounts=Accounts(deposit="Undeposited Funds"), class_name="Web")
CTX = OrderContext("shop-1", "shopify", ("paypal",), {"Location": "Warehouse 2", "weight": "12.5"})


def order(**changes: Any) -> Order:
    base = Order(
        order_id="5001",
        number="#1001",
        created_at=CREATED,
        updated_at=CREATED,
        currency="USD",
        customer=Customer("Ada", "Lovelace", company="Engines Ltd", email="Ada@Example.com"),
        billing_address=Address(name="Ada Lovelace", company="Engines Ltd", state="CA", country="US"),
        shipping_address=Address(name="Charles Babbage", company="", state="NY", country="US"),
        lines=(
            OrderLine("1", "WIDGET-RED", "Red widget", Decimal(2), Decimal("10.00"), tax=Decimal("1.60")),
            OrderLine("2", "BOX-12", "Box of 12", Decimal(1), Decimal("24.00"), tax=Decimal("1.92")),
        ),
        total=Decimal(0),
        shipping_lines=(ShippingLine("UPS Ground", Decimal("8.00")),),
        discounts=(Discount("SAVE5", Decimal("5.00")),),
        tax_lines=(TaxLine("CA tax", Decimal("3.52")),),
        payments=(Payment("PayPal", Decimal(1), paid_at=PAID),),
        payment_status="paid",
        tags=("VIP", "wholesale"),
        note="Leave at the door",
        source="web",
        status="open",
    )
    base = replace(base, **changes)
    return replace(base, total=base.computed_total)
