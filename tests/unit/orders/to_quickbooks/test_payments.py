"""The payment of a staged invoice."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from chalicelib.orders.model import (
    Order,
)
from chalicelib.orders.settings import Accounts
from chalicelib.orders.to_quickbooks import (
    OrderNotPostable,
    order_guid,
    payment_request,
)

from .helpers import (
    US,
    valid,
)


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
