"""The payments of an invoice, and the payment method of a sale.

**Paid invoices** (`record_payments`, on by default, for the "invoice" and "sales_order_invoice_payment"
transaction types): every payment the store reports becomes one ReceivePayment applied to the order's invoice
(AppliedToTxnAdd with the invoice's TxnID), posted once each and as they come:

* A payment's **key** (`payment_keys`) is stable across fetches: the store's payment reference (the gateway's
  transaction id) when there is one, else its position, amount and date ("<index>/<amount>/<paid_at>"). The same
  reference twice in one order keeps both, the second as "<reference>#2". The order's documents record each payment
  as "ReceivePayment:<key>" (`PAYMENT_LABEL`), its ExternalGUID is `derived_guid(order_guid, "payment:<key>")`.
* A payment **already posted** is recognised by its key, and one posted without a reference also by its amount
  and date (the store listed it elsewhere, or gave its reference later), then by its date (its amount changed):
  it keeps the key it was posted under and is never posted again (`payment_amounts`).
* **Never more than the invoice's balance**: the payments apply at most what the invoice holds (the total
  QuickBooks recorded for it when known, else the posted total: `invoice_cap`), those already posted first, then
  the new ones in the store's order, each at most what is left (`payment_amounts`); a payment with nothing left to
  apply is not posted (QuickBooks refuses a PaymentAmount above the amount due with 3210, and an excess
  TotalAmount would become an unapplied credit on the customer, which the store never gave).
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
from decimal import Decimal, InvalidOperation

from lxml import etree

from chalicelib.qbxml.transactions import receive_payment_add

from ..model import CENT, Order, Payment
from ..settings import ChannelSettings
from .errors import OrderNotPostable
from .identity import derived_guid, order_number, refnumber_and_memo
from .tax import posted_total

__all__ = [
    "LEGACY_PAYMENT",
    "PAYMENT_LABEL",
    "PAYMENT_TYPES",
    "OrderPayment",
    "invoice_cap",
    "invoice_payment_request",
    "payment_amounts",
    "payment_guid",
    "payment_keys",
    "payment_labels",
    "payment_method",
    "payment_method_of",
    "payment_request",
    "recorded_total",
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


def invoice_cap(order: Order, settings: ChannelSettings | None) -> Decimal:
    """What the order's invoice holds, which its payments never exceed: the posted total (less tax a marketplace
    collected when the settings drop it, `tax.posted_total`); the order total without settings."""
    return posted_total(order, settings) if settings is not None else order.total


def _unreferenced(key: str) -> tuple[Decimal, str] | None:
    """The amount and date of a payment key made without a reference ("<index>/<amount>/<paid_at>", maybe with
    "#<n>"); None for a reference's key."""
    parts = key.split("#", 1)[0].split("/", 2)
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    try:
        return Decimal(parts[1]), parts[2]
    except InvalidOperation:
        return None


def _posted_keys(
    keyed: list[tuple[str, Payment]], documents: Mapping[str, str]
) -> tuple[dict[int, tuple[str, Decimal | None]], list[str]]:
    """Which of the order's payments are in QuickBooks already: {position: (posted key, the amount QuickBooks holds
    when it is not the payment's own)}, and the posted keys no payment of the order matches any more. Each posted
    key matches at most one payment, in this order: the payment's own key; a payment posted without a reference
    matches a later version of it with the same amount and date (its position changed, or the store gave its
    reference later), then one with the same date only (the store changed its amount: QuickBooks keeps the amount
    posted; nothing is posted for the difference)."""
    posted = [k.removeprefix(PAYMENT_LABEL) for k in documents if k.startswith(PAYMENT_LABEL)]
    free = set(posted)
    matched: dict[int, tuple[str, Decimal | None]] = {}
    for n, (key, _) in enumerate(keyed):
        if key in free:
            matched[n] = (key, None)
            free.discard(key)
    for same_amount in (True, False):
        for n, (_, payment) in enumerate(keyed):
            if n in matched or (payment.paid_at is None and not same_amount):
                continue
            paid_at = payment.paid_at.isoformat() if payment.paid_at is not None else ""
            for k in posted:
                found = _unreferenced(k) if k in free else None
                if found is None or found[1] != paid_at:
                    continue
                if same_amount and found[0] == payment.amount.quantize(CENT):
                    matched[n] = (k, None)
                elif not same_amount:
                    matched[n] = (k, found[0])
                else:
                    continue
                free.discard(k)
                break
    return matched, [k for k in posted if k in free]


def payment_amounts(
    order: Order,
    settings: ChannelSettings | None = None,
    documents: Mapping[str, str] | None = None,
    *,
    invoice_total: Decimal | None = None,
) -> list[OrderPayment]:
    """The payments to post, each with the amount applied, in the store's order. `documents`: those the order has
    (its payments in QuickBooks, "ReceivePayment:<key>"), matched to the payments as `_posted_keys` says; they come
    back under their posted key. What is applied never exceeds the invoice (`invoice_total`, what QuickBooks
    recorded for it when known, else `invoice_cap`): the payments already posted count first, then the new ones,
    each at most what is left; a posted payment the order no longer has counts with the amount of its key, or, when
    its key does not say (a reference), as taking all that is left. A new payment with nothing left is left out."""
    cap = invoice_total if invoice_total is not None else invoice_cap(order, settings)
    left = max(cap, Decimal(0))
    keyed = payment_keys(order)
    matched, gone = _posted_keys(keyed, documents or {})
    for key in gone:
        known = _unreferenced(key)
        left = max(left - known[0], Decimal(0)) if known is not None else Decimal(0)
    applied: dict[int, OrderPayment] = {}
    for n, (_, payment) in enumerate(keyed):  # the posted ones first: they are in QuickBooks
        if n in matched:
            key, held = matched[n]
            amount = min(max(payment.amount if held is None else held, Decimal(0)), left)
            left -= amount
            applied[n] = OrderPayment(key, payment, amount)
    taken = {key for key, _ in matched.values()} | set(gone)
    for n, (key, payment) in enumerate(keyed):
        if n in matched or payment.amount <= 0:
            continue
        amount = min(payment.amount, left)
        if amount <= 0:
            continue
        left -= amount
        unique, count = key, 1
        while unique in taken:  # never the key of another payment already in QuickBooks
            count += 1
            unique = f"{key}#{count}"
        taken.add(unique)
        applied[n] = OrderPayment(unique, payment, amount)
    return [applied[n] for n in sorted(applied)]


def payment_labels(
    order: Order,
    settings: ChannelSettings,
    documents: Mapping[str, str] | None = None,
    *,
    invoice_total: Decimal | None = None,
) -> list[str]:
    """The labels of the payment documents the order needs after its invoice (none when the channel does not
    record payments, for other transaction types, or when the legacy single payment document covers them)."""
    if not settings.record_payments or settings.transaction_type not in PAYMENT_TYPES:
        return []
    if documents is not None and LEGACY_PAYMENT in documents:
        return []
    return [p.label for p in payment_amounts(order, settings, documents, invoice_total=invoice_total)]


def recorded_total(text: str | None) -> Decimal | None:
    """The invoice's total as QuickBooks recorded it (kept on the order when its add's answer said), or None."""
    try:
        total = Decimal(text) if text else None
    except InvalidOperation:
        return None
    return total if total is not None and total.is_finite() else None


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
    documents: Mapping[str, str] | None = None,
    invoice_total: Decimal | None = None,
) -> etree._Element | None:
    """ReceivePaymentAddRq for the payment `key` of the order, applied to the invoice `invoice_txn_id`; None when
    the payment has nothing left to apply (the earlier payments cover the order total) or is no longer in the
    order."""
    _check_deposit(settings)
    if not invoice_txn_id:
        raise OrderNotPostable("The invoice this payment applies to is not in QuickBooks yet.")
    applied = payment_amounts(order, settings, documents, invoice_total=invoice_total)
    found = next((p for p in applied if p.key == key), None)
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
