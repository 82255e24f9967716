"""The payments of an invoice, and the payment method of a sale.

**Paid invoices** (`record_payments`, on by default, for the "invoice" and "sales_order_invoice_payment"
transaction types): every payment the store reports becomes one ReceivePayment applied to the order's invoice
(AppliedToTxnAdd with the invoice's TxnID), posted once each and as they come:

* A payment's **key** (`payment_keys`) is stable across fetches: the store's payment reference (the gateway's
  transaction id) when there is one, else its position, amount and date ("<index>/<amount>/<paid_at>"). The same
  reference twice in one order keeps both, the second as "<reference>#2". The order's documents record each payment
  as "ReceivePayment:<key>" (`PAYMENT_LABEL`), its ExternalGUID is `derived_guid(order_guid, "payment:<key>")`.
* **Never more than the invoice's balance**: the payments are applied in the store's order, each at most what the
  earlier ones left of the order total (`payment_amounts`); a payment with nothing left to apply is not posted
  (QuickBooks refuses a PaymentAmount above the amount due with 3210, and an excess TotalAmount would become an
  unapplied credit on the customer, which the store never gave).
* RefNumber is the invoice's (a payment allows 20 characters, the invoice's fits): the recovery lookup by RefNumber
  finds every payment of the order and keeps the one whose ExternalGUID is the document's.
* An order posted before payments were recorded one by one has the single "ReceivePayment" document of the staged
  flow: it is taken to cover every payment of that order (`LEGACY_PAYMENT`), so none is posted twice.

**Payment method** (`payment_method_of`): `payment_methods` maps a store's name to a QuickBooks payment method; a
key may name the payment's gateway (`Payment.gateway`, e.g. "stripe", "paypal", "shopify_payments") or its method
(e.g. "credit_card", "Cash on delivery"). The gateway's mapping wins over the method's (the gateway says where the
money went), and `default_payment_method` applies when neither is mapped (empty: no PaymentMethodRef).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from chalicelib.qbxml.transactions import receive_payment_add

from ..model import Order, Payment
from ..settings import ChannelSettings
from .errors import OrderNotPostable
from .identity import derived_guid, order_number, refnumber_and_memo

__all__ = [
    "LEGACY_PAYMENT",
    "PAYMENT_LABEL",
    "PAYMENT_TYPES",
    "OrderPayment",
    "invoice_payment_request",
    "payment_amounts",
    "payment_guid",
    "payment_keys",
    "payment_labels",
    "payment_method",
    "payment_method_of",
    "payment_request",
]

PAYMENT_LABEL = "ReceivePayment:"
"""The prefix of a payment's document label: "ReceivePayment:<payment key>"."""
LEGACY_PAYMENT = "ReceivePayment"
"""The one payment document the staged flow recorded before payments were posted one by one."""
PAYMENT_TYPES = ("invoice", "sales_order_invoice_payment")
"""The transaction types whose invoice gets the order's payments (when `record_payments` is on)."""


@dataclass(frozen=True)
class OrderPayment:
    """A payment of the order as it is posted: its stable key and the amount applied to the invoice."""

    key: str
    payment: Payment
    amount: Decimal  # applied to the invoice: at most what the earlier payments left of the order total

    @property
    def label(self) -> str:
        return PAYMENT_LABEL + self.key


def payment_keys(order: Order) -> list[tuple[str, Payment]]:
    """Every payment of the order with its stable key (see the module's docstring), in the store's order."""
    seen: Counter[str] = Counter()
    keyed = []
    for index, payment in enumerate(order.payments):
        base = payment.reference.strip()
        if not base:
            paid_at = payment.paid_at.isoformat() if payment.paid_at is not None else ""
            base = f"{index}/{payment.amount:.2f}/{paid_at}"
        seen[base] += 1
        keyed.append((base if seen[base] == 1 else f"{base}#{seen[base]}", payment))
    return keyed


def payment_amounts(order: Order) -> list[OrderPayment]:
    """The payments to post, each with the amount applied: positive payments in the store's order, each at most
    what the earlier ones left of the order total; those with nothing left to apply are left out."""
    left = max(order.total, Decimal(0))
    out = []
    for key, payment in payment_keys(order):
        if payment.amount <= 0:
            continue
        amount = min(payment.amount, left)
        if amount <= 0:
            continue
        left -= amount
        out.append(OrderPayment(key, payment, amount))
    return out


def payment_labels(
    order: Order, settings: ChannelSettings, documents: Mapping[str, str] | None = None
) -> list[str]:
    """The labels of the payment documents the order needs after its invoice (none when the channel does not
    record payments, for other transaction types, or when the legacy single payment document covers them)."""
    if not settings.record_payments or settings.transaction_type not in PAYMENT_TYPES:
        return []
    if documents is not None and LEGACY_PAYMENT in documents:
        return []
    return [p.label for p in payment_amounts(order)]


def payment_guid(order_guid: str, key: str) -> str:
    """The ExternalGUID of the payment `key` of the order whose sale has `order_guid`."""
    return derived_guid(order_guid, f"payment:{key}")


def payment_method_of(payment: Payment, settings: ChannelSettings) -> str:
    """The QuickBooks payment method of one payment: its gateway's mapping, else its method's, else none."""
    for name in (payment.gateway, payment.method):
        mapped = settings.payment_methods.get(name) if name else None
        if mapped:
            return mapped
    return ""


def payment_method(order: Order, settings: ChannelSettings) -> str:
    """The PaymentMethodRef of a sale: the first payment whose gateway or method the settings map, else the
    default."""
    for payment in order.payments:
        mapped = payment_method_of(payment, settings)
        if mapped:
            return mapped
    return settings.default_payment_method


def _check_deposit(settings: ChannelSettings) -> None:
    if not settings.accounts.deposit:
        raise OrderNotPostable(
            "Payments need a deposit account (e.g. Undeposited Funds); choose one in the channel settings."
        )


def invoice_payment_request(
    order: Order,
    settings: ChannelSettings,
    key: str,
    *,
    request_id: str,
    customer: str,
    invoice_txn_id: str,
    order_guid: str,
) -> etree._Element | None:
    """ReceivePaymentAddRq for the payment `key` of the order, applied to the invoice `invoice_txn_id`; None when
    the payment has nothing left to apply (the earlier payments cover the order total) or is no longer in the
    order."""
    _check_deposit(settings)
    if not invoice_txn_id:
        raise OrderNotPostable("The invoice this payment applies to is not in QuickBooks yet.")
    found = next((p for p in payment_amounts(order) if p.key == key), None)
    if found is None:
        return None
    ref, _, _ = refnumber_and_memo(order, settings)
    payment = found.payment
    memo = f"Payment for order {order_number(order, settings)}"
    details = [d for d in (payment.gateway, payment.reference and f"reference {payment.reference}") if d]
    if details:
        memo += f" ({', '.join(details)})"
    if found.amount < payment.amount:
        memo += f"; {payment.amount - found.amount:.2f} of it over the order total not applied"
    txn_date: date = payment.paid_at.date() if payment.paid_at is not None else order.order_date
    return receive_payment_add(
        request_id,
        customer=customer,
        txn_date=txn_date,
        ref_number=ref,
        total=found.amount,
        payment_method=payment_method_of(payment, settings) or settings.default_payment_method,
        deposit_account=settings.accounts.deposit,
        applied_to_txn_id=invoice_txn_id,
        payment_amount=found.amount,
        ar_account=settings.accounts.receivable,
        memo=memo,
        external_guid=payment_guid(order_guid, key),
    )


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
    amount, at most its total) to the invoice `invoice_txn_id`, as one payment. Same RefNumber as the invoice.
    (The sync posts each payment on its own: `invoice_payment_request`.)"""
    _check_deposit(settings)
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
