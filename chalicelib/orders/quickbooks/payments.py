"""The payment of a staged invoice (sales_order_invoice_payment), and the payment method of a sale."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from chalicelib.qbxml.transactions import receive_payment_add

from ..model import Order
from ..settings import ChannelSettings
from .errors import OrderNotPostable
from .identity import order_number, refnumber_and_memo

__all__ = ["payment_method", "payment_request"]


def payment_method(order: Order, settings: ChannelSettings) -> str:
    """The PaymentMethodRef: the first payment whose method the settings map, else the default."""
    for payment in order.payments:
        mapped = settings.payment_methods.get(payment.method)
        if mapped:
            return mapped
    return settings.default_payment_method


def payment_request(
    order: Order,
    settings: ChannelSettings,
    *,
    request_id: str,
    customer: str,
    invoice_txn_id: str,
    guid: str,
    amount: Decimal | None = None,
) -> etree._Element:
    """ReceivePaymentAddRq applying what the customer paid (`amount`, default the order's paid
    amount, at most its total) to the invoice `invoice_txn_id`. Same RefNumber as the invoice."""
    if not settings.accounts.deposit:
        raise OrderNotPostable(
            "Payments need a deposit account (e.g. Undeposited Funds); choose one in the channel settings."
        )
    paid = min(order.paid_amount, order.total) if amount is None else amount
    if paid <= 0:
        raise OrderNotPostable("The order has no payment to record.")
    if paid > order.total:
        raise OrderNotPostable(
            f"The payment of {paid:.2f} is more than the order total of {order.total:.2f}."
        )
    ref, _, _ = refnumber_and_memo(order, settings)
    number = order_number(order, settings)
    references = [p.reference for p in order.payments if p.reference]
    memo = f"Payment for order {number}"
    if references:
        memo += f" (reference {', '.join(references)})"
    paid_dates = [p.paid_at.date() for p in order.payments if p.paid_at is not None]
    txn_date: date = max(paid_dates) if paid_dates else order.order_date
    return receive_payment_add(
        request_id,
        customer=customer,
        txn_date=txn_date,
        ref_number=ref,
        total=paid,
        payment_method=payment_method(order, settings),
        deposit_account=settings.accounts.deposit,
        applied_to_txn_id=invoice_txn_id,
        payment_amount=paid,
        ar_account=settings.accounts.receivable,
        memo=memo,
        external_guid=guid,
    )
