"""Paid invoices: a payment already in QuickBooks is recognised however the store lists it later (reordered, its
reference given late, its amount changed), and the payments never add up to more than the invoice holds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.orders.model import Order, Payment, TaxLine
from chalicelib.orders.quickbooks.payments import (
    PAYMENT_LABEL,
    invoice_cap,
    invoice_payment_request,
    payment_amounts,
    payment_labels,
    recorded_total,
)
from chalicelib.orders.quickbooks.tax import posted_total
from chalicelib.orders.tax_settings import MarketplaceTax
from chalicelib.sync.post_orders import documents_needed

from .helpers import US, order_with, valid

INVOICES = dataclasses.replace(US, transaction_type="invoice")
WHEN = datetime(2026, 3, 2, 18, 5, tzinfo=UTC)


def order_of(payments: list[Payment], total: str = "30.00") -> Order:
    return order_with(payments=tuple(payments), total=Decimal(total), payment_status="partially_paid")


def pay(amount: str, day: int, reference: str = "") -> Payment:
    return Payment(
        method="credit_card", amount=Decimal(amount), paid_at=WHEN + timedelta(days=day), reference=reference
    )


def post_all(order: Order, documents: dict[str, str] | None = None) -> dict[str, str]:
    """The documents once every payment the order needs is posted."""
    documents = dict(documents or {"Invoice": "INV-1"})
    for label in payment_labels(order, INVOICES, documents):
        documents.setdefault(label, f"TXN-{len(documents)}")
    return documents


def applied(order: Order, documents: dict[str, str]) -> Decimal:
    """What the payments the documents name apply to the invoice."""
    return sum(
        (p.amount for p in payment_amounts(order, INVOICES, documents) if p.label in documents), Decimal(0)
    )


def new_labels(order: Order, documents: dict[str, str]) -> list[str]:
    return [label for label in payment_labels(order, INVOICES, documents) if label not in documents]


# --- the same payments, listed another way --------------------------------------------------------------------------

payment_lists = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2),
        st.integers(min_value=0, max_value=3),  # the day: several payments may share one
        st.booleans(),  # has a reference
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(payment_lists, st.randoms(use_true_random=False), st.data())
def test_the_same_payments_fetched_again_reordered_or_with_references_added_post_nothing_new(
    listed: list[tuple[Decimal, int, bool]], rnd, data
) -> None:
    first = [pay(str(a), d, f"ref-{n}" if has else "") for n, (a, d, has) in enumerate(listed)]
    documents = post_all(order_of(first))
    # Fetched again: reordered, and some payments posted without a reference now carry one.
    again = list(first)
    rnd.shuffle(again)
    again = [
        dataclasses.replace(p, reference=f"late-{n}")
        if not p.reference and data.draw(st.booleans(), label=f"reference {n} added")
        else p
        for n, p in enumerate(again)
    ]
    assert new_labels(order_of(again), documents) == []
    assert documents_needed(order_of(again), INVOICES, documents)[1:] == [
        (label, "ReceivePayment") for label in payment_labels(order_of(again), INVOICES, documents)
    ]
    assert applied(order_of(again), documents) == applied(order_of(first), documents) <= Decimal("30.00")


@settings(max_examples=150, deadline=None)
@given(payment_lists, st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2))
def test_a_genuinely_new_payment_is_posted_once_and_never_past_the_invoice(
    listed: list[tuple[Decimal, int, bool]], amount: Decimal
) -> None:
    first = [pay(str(a), d, f"ref-{n}" if has else "") for n, (a, d, has) in enumerate(listed)]
    documents = post_all(order_of(first))
    before = applied(order_of(first), documents)
    later = order_of([pay(str(amount), 9, "new-ref"), *reversed(first)])
    new = new_labels(later, documents)
    if before + amount <= Decimal("30.00"):
        assert new == [PAYMENT_LABEL + "new-ref"]
    if before == Decimal("30.00"):
        assert new == []  # nothing left of the invoice
    after = post_all(later, documents)
    assert new_labels(later, after) == []  # posted once
    assert applied(later, after) == min(Decimal("30.00"), before + amount)


def test_a_payment_whose_reference_comes_later_is_the_one_posted() -> None:
    first = order_of([pay("10.00", 0), pay("5.00", 1)])
    documents = post_all(first)
    later = order_of([pay("5.00", 1, "ch_5"), pay("10.00", 0, "ch_10")])
    assert new_labels(later, documents) == []
    # The request for the posted key still names the same payment (a lookup or a retry finds it).
    key = next(p.key for p in payment_amounts(later, INVOICES, documents) if p.payment.reference == "ch_10")
    assert PAYMENT_LABEL + key in documents and key.startswith("0/10.00/")


def test_a_payment_whose_amount_changed_is_not_posted_again() -> None:
    """A payment without a reference, posted as 10.00, now says 12.00 on the same date: the same payment changed.
    QuickBooks keeps the 10.00; nothing is posted for it again."""
    documents = post_all(order_of([pay("10.00", 0)]))
    changed = order_of([pay("12.00", 0)])
    assert new_labels(changed, documents) == []
    assert applied(changed, documents) == Decimal("10.00")


def test_a_new_payment_never_takes_the_key_of_one_already_posted() -> None:
    """The payment posted first as "0/5.00/<day 1>" now is second; a new identical-looking payment listed first
    gets its own key."""
    documents = post_all(order_of([pay("5.00", 1)]))
    later = order_of([pay("5.00", 1), pay("5.00", 1)])
    (new,) = new_labels(later, documents)
    assert new not in documents
    assert applied(later, post_all(later, documents)) == Decimal("10.00")


def test_a_posted_payment_the_store_no_longer_lists_still_counts() -> None:
    documents = post_all(order_of([pay("25.00", 0, "ch_1")]))
    # ch_1 is gone (voided at the store) and another comes: its amount is unknown here, so nothing new is posted
    # rather than risk paying the invoice twice.
    assert new_labels(order_of([pay("25.00", 2, "ch_2")]), documents) == []
    # A payment without a reference says its amount in its key: only the rest of the invoice is left.
    documents = post_all(order_of([pay("25.00", 0)]))
    later = order_of([pay("25.00", 2, "ch_2")])
    (label,) = new_labels(later, documents)
    assert [p.amount for p in payment_amounts(later, INVOICES, documents) if p.label == label] == [
        Decimal("5.00")
    ]


# --- never more than the invoice -------------------------------------------------------------------------------------


def marketplace_order(paid: str) -> Order:
    """Total 33.00 of which 3.00 tax a marketplace collected: with the tax dropped, the invoice is 30.00."""
    return order_with(
        payments=(pay(paid, 0, "ch_1"),),
        total=Decimal("33.00"),
        tax_lines=(TaxLine("Marketplace Tax", Decimal("3.00")),),
        tax_collected_by_marketplace=True,
        payment_status="paid",
    )


def test_payments_of_an_invoice_without_marketplace_tax_stop_at_the_invoice() -> None:
    order = marketplace_order("33.00")
    dropping = dataclasses.replace(INVOICES, marketplace_tax=MarketplaceTax.DROP)
    assert invoice_cap(order, dropping) == posted_total(order, dropping) == Decimal("30.00")
    (payment,) = payment_amounts(order, dropping)
    assert payment.amount == Decimal("30.00")
    add = valid([invoice_payment_request(
        order, dropping, payment.key, request_id="p-1", customer="Lee, Ann", invoice_txn_id="INV-1",
        order_guid="{00000000-0000-0000-0000-000000000001}",
    )])[0][0]  # fmt: skip
    assert add.findtext("TotalAmount") == add.findtext("AppliedToTxnAdd/PaymentAmount") == "30.00"
    # Posted as a liability line, the tax is on the invoice: the whole 33.00 is paid.
    liability = dataclasses.replace(INVOICES, marketplace_tax=MarketplaceTax.LIABILITY)
    assert [p.amount for p in payment_amounts(order, liability)] == [Decimal("33.00")]


def test_the_total_quickbooks_recorded_caps_the_payments_when_known() -> None:
    """QuickBooks computed the invoice's tax a cent lower than the store (its rounding): 29.99 is all it holds."""
    order = order_of([pay("20.00", 0, "ch_1"), pay("10.00", 1, "ch_2")])
    assert [p.amount for p in payment_amounts(order, INVOICES, invoice_total=Decimal("29.99"))] == [
        Decimal("20.00"),
        Decimal("9.99"),
    ]
    documents = {"Invoice": "INV-1", PAYMENT_LABEL + "ch_1": "P-1"}
    needed = documents_needed(order, INVOICES, documents, invoice_total="29.99")
    assert needed[1:] == [
        (PAYMENT_LABEL + "ch_1", "ReceivePayment"),
        (PAYMENT_LABEL + "ch_2", "ReceivePayment"),
    ]
    add = invoice_payment_request(
        order, INVOICES, "ch_2", request_id="p-2", customer="Lee, Ann", invoice_txn_id="INV-1",
        order_guid="{00000000-0000-0000-0000-000000000001}", documents=documents,
        invoice_total=recorded_total("29.99"),
    )  # fmt: skip
    assert add is not None and valid([add])[0][0].findtext("TotalAmount") == "9.99"
    # Nothing left: no payment document at all.
    paid_up = order_of([pay("30.00", 0, "ch_1")])
    assert documents_needed(paid_up, INVOICES, {"Invoice": "I"}, invoice_total="0") == [
        ("Invoice", "Invoice")
    ]
    assert recorded_total(None) is recorded_total("") is recorded_total("x") is recorded_total("NaN") is None
