"""Paid invoices: one ReceivePayment per store payment, applied to the order's invoice, never past its total."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.orders.model import Order, Payment, Refund
from chalicelib.orders.quickbooks.payments import (
    LEGACY_PAYMENT,
    PAYMENT_LABEL,
    invoice_payment_request,
    payment_amounts,
    payment_guid,
    payment_keys,
    payment_labels,
    payment_method,
    payment_method_of,
)
from chalicelib.orders.settings import Accounts, parse_settings
from chalicelib.orders.to_quickbooks import OrderNotPostable, derived_guid, order_guid
from chalicelib.sync.post_orders import documents_needed

from .helpers import FILES, US, order_with, valid

GUID = order_guid("conn-1", "chan-1", "o-1")
INVOICES = dataclasses.replace(US, transaction_type="invoice")
WHEN = datetime(2026, 3, 2, 18, 5, tzinfo=UTC)


def paid(*amounts: str, references: tuple[str, ...] = (), total: str = "10.00") -> Order:
    payments = tuple(
        Payment(
            method="credit_card",
            amount=Decimal(a),
            paid_at=WHEN + timedelta(days=n),
            reference=references[n] if n < len(references) else "",
        )
        for n, a in enumerate(amounts)
    )
    return order_with(payments=payments, total=Decimal(total), payment_status="partially_paid")


def request(order: Order, key: str, settings=INVOICES, invoice: str = "INV-TXN-1"):
    return invoice_payment_request(
        order, settings, key, request_id="p-1", customer="Lee, Ann", invoice_txn_id=invoice, order_guid=GUID
    )


# --- which payments, under which keys ---------------------------------------------------------------------------


def test_a_payment_is_keyed_by_its_reference_else_by_position_amount_and_date() -> None:
    order = paid("4.00", "6.00", references=("ch_1",))
    assert [k for k, _ in payment_keys(order)] == ["ch_1", f"1/6.00/{(WHEN + timedelta(days=1)).isoformat()}"]


def test_the_same_reference_twice_keeps_both_payments() -> None:
    order = paid("4.00", "6.00", references=("ch_1", "ch_1"))
    assert [k for k, _ in payment_keys(order)] == ["ch_1", "ch_1#2"]
    assert [p.amount for p in payment_amounts(order)] == [Decimal("4.00"), Decimal("6.00")]


amounts = st.lists(
    st.decimals(min_value=Decimal("-5"), max_value=Decimal("60"), places=2, allow_nan=False), max_size=6
)


@settings(max_examples=200, deadline=None)
@given(amounts, amounts, st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2))
def test_keys_and_amounts_of_earlier_payments_do_not_change_when_payments_come_later(
    first: list[Decimal], later: list[Decimal], total: Decimal
) -> None:
    """A fetch that adds payments never renames (so never re-posts) the ones already there, never lowers their
    amounts, never applies more than the order total, and never applies more than a payment brought in."""
    before = paid(*(str(a) for a in first), total=str(total))
    after = paid(*(str(a) for a in first + later), total=str(total))
    old, new = payment_amounts(before), payment_amounts(after)
    assert new[: len(old)] == old
    assert len({p.key for p in new}) == len(new)
    assert sum((p.amount for p in new), Decimal(0)) <= total
    assert all(Decimal(0) < p.amount <= p.payment.amount for p in new)
    # Nothing that could be applied is left out: the payments cover the total or are all applied whole.
    positive = sum((a for a in first + later if a > 0), Decimal(0))
    assert sum((p.amount for p in new), Decimal(0)) == min(positive, total)


def test_a_payment_past_the_order_total_is_applied_up_to_the_total_and_the_rest_is_left_out() -> None:
    order = paid("7.00", "7.00", "1.00")
    assert [(p.amount, p.payment.amount) for p in payment_amounts(order)] == [
        (Decimal("7.00"), Decimal("7.00")),
        (Decimal("3.00"), Decimal("7.00")),
    ]
    add = valid([request(order, payment_amounts(order)[1].key)])[0][0]
    assert add.findtext("TotalAmount") == add.findtext("AppliedToTxnAdd/PaymentAmount") == "3.00"
    assert "4.00 of it over the order total not applied" in (add.findtext("Memo") or "")
    assert request(order, payment_keys(order)[2][0]) is None  # nothing left to apply: not posted


# --- which documents ----------------------------------------------------------------------------------------------


def test_an_invoice_needs_each_payment_then_each_refund() -> None:
    refund = Refund("r1", WHEN + timedelta(days=5), Decimal("2.00"))
    order = dataclasses.replace(paid("4.00", "6.00", references=("a", "b")), refunds=(refund,))
    assert documents_needed(order, INVOICES) == [
        ("Invoice", "Invoice"),
        ("ReceivePayment:a", "ReceivePayment"),
        ("ReceivePayment:b", "ReceivePayment"),
        ("CreditMemo:r1", "CreditMemo"),
    ]
    staged = dataclasses.replace(US, transaction_type="sales_order_invoice_payment")
    assert [label for label, _ in documents_needed(order, staged)][:4] == [
        "SalesOrder",
        "Invoice",
        "ReceivePayment:a",
        "ReceivePayment:b",
    ]


@pytest.mark.parametrize("transaction_type", ["sales_receipt", "sales_order"])
def test_other_transaction_types_post_no_payment(transaction_type: str) -> None:
    order = paid("10.00")
    assert payment_labels(order, dataclasses.replace(US, transaction_type=transaction_type)) == []  # type: ignore[arg-type]


def test_the_setting_off_posts_the_invoice_only() -> None:
    order = paid("10.00")
    off = dataclasses.replace(INVOICES, record_payments=False)
    assert documents_needed(order, off) == [("Invoice", "Invoice")]
    staged = dataclasses.replace(off, transaction_type="sales_order_invoice_payment")
    assert documents_needed(order, staged) == [("SalesOrder", "SalesOrder"), ("Invoice", "Invoice")]


def test_an_order_with_the_staged_flows_single_payment_document_needs_no_other() -> None:
    staged = dataclasses.replace(US, transaction_type="sales_order_invoice_payment")
    done = {"SalesOrder": "S", "Invoice": "I", LEGACY_PAYMENT: "P"}
    order = paid("4.00", "6.00")
    assert [label for label, _ in documents_needed(order, staged, done)] == ["SalesOrder", "Invoice"]


def test_an_unpaid_or_zero_payment_order_needs_no_payment() -> None:
    assert payment_labels(order_with(), INVOICES) == []
    assert payment_labels(paid("0.00", "-3.00"), INVOICES) == []


def test_record_payments_is_on_by_default_and_must_be_a_flag() -> None:
    base = {"accounts": {"deposit": "Undeposited Funds"}}
    assert parse_settings(base).record_payments is True
    assert parse_settings({**base, "record_payments": False}).record_payments is False
    with pytest.raises(ValueError, match=r"settings\.record_payments"):
        parse_settings({**base, "record_payments": "yes"})


# --- the request ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["US", "UK", "CA", "AU"])
def test_a_payment_is_applied_to_the_invoice_with_its_own_guid(country: str) -> None:
    settings = dataclasses.replace(FILES[country], transaction_type="invoice")
    order = paid("4.00", "6.00", references=("ch_1", "ch_2"))
    rq = valid([request(order, "ch_2", settings)])[0]
    add = rq[0]
    assert add.findtext("AppliedToTxnAdd/TxnID") == "INV-TXN-1"
    assert add.findtext("AppliedToTxnAdd/PaymentAmount") == add.findtext("TotalAmount") == "6.00"
    assert add.findtext("ExternalGUID") == payment_guid(GUID, "ch_2") == derived_guid(GUID, "payment:ch_2")
    assert payment_guid(GUID, "ch_1") != payment_guid(GUID, "ch_2") != derived_guid(GUID, "payment")
    assert (
        add.findtext("RefNumber") == "1001"
    )  # the invoice's: a lookup by it finds every payment of the order
    assert add.findtext("TxnDate") == (WHEN + timedelta(days=1)).date().isoformat()
    assert add.findtext("DepositToAccountRef/FullName") == "Undeposited Funds"
    assert add.findtext("CustomerRef/FullName") == "Lee, Ann"
    assert "reference ch_2" in (add.findtext("Memo") or "")


def test_a_payment_needs_a_deposit_account_and_the_invoice() -> None:
    order = paid("10.00")
    key = payment_keys(order)[0][0]
    with pytest.raises(OrderNotPostable, match="deposit account"):
        request(order, key, dataclasses.replace(INVOICES, accounts=Accounts()))
    with pytest.raises(OrderNotPostable, match="invoice"):
        request(order, key, invoice="")
    assert request(order, "no-such-payment") is None


# --- payment methods per gateway -----------------------------------------------------------------------------------


def test_the_gateways_mapping_wins_over_the_methods_then_the_default() -> None:
    methods = {"stripe": "Stripe", "credit_card": "Credit Card"}
    settings = dataclasses.replace(INVOICES, payment_methods=methods, default_payment_method="Other")
    by_stripe = Payment(method="credit_card", amount=Decimal(1), gateway="stripe")
    by_card = Payment(method="credit_card", amount=Decimal(1), gateway="square")
    unmapped = Payment(method="bank_transfer", amount=Decimal(1), gateway="bacs")
    assert payment_method_of(by_stripe, settings) == "Stripe"
    assert payment_method_of(by_card, settings) == "Credit Card"
    assert payment_method_of(unmapped, settings) == ""
    order = order_with(payments=(unmapped, by_stripe), total=Decimal("2.00"))
    assert payment_method(order, settings) == "Stripe"  # a sale's method: the first payment that maps
    assert payment_method(order_with(payments=(unmapped,)), settings) == "Other"
    keys = [k for k, _ in payment_keys(order)]
    assert (
        request(order, keys[0], settings).findtext("ReceivePaymentAdd/PaymentMethodRef/FullName") == "Other"
    )
    assert (
        request(order, keys[1], settings).findtext("ReceivePaymentAdd/PaymentMethodRef/FullName") == "Stripe"
    )
    assert request(order, keys[0], INVOICES).find("ReceivePaymentAdd/PaymentMethodRef") is None


def test_payment_labels_name_the_payment_keys() -> None:
    order = paid("4.00", references=("ch_1",))
    assert payment_labels(order, INVOICES) == [PAYMENT_LABEL + "ch_1"]


def test_channels_saved_before_paid_invoices_keep_posting_the_invoice_only() -> None:
    """Stored settings without `record_payments` (saved before it existed) read as off; new channels get it on, and
    the merchant can turn it on for an old channel."""
    from chalicelib.orders.settings import settings_from_json, settings_to_json

    stored = settings_to_json(
        parse_settings({"transaction_type": "invoice", "accounts": {"deposit": "Undeposited Funds"}})
    )
    assert settings_from_json(stored).record_payments is True
    del stored["record_payments"]
    old = settings_from_json(stored)
    assert old.record_payments is False
    assert parse_settings({"record_payments": True}, base=old).record_payments is True


def test_staged_channels_saved_before_paid_invoices_keep_posting_their_payment() -> None:
    """The sales order -> invoice -> payment flow always posted the payment: its stored settings without
    `record_payments` still post it."""
    from chalicelib.orders.settings import settings_from_json, settings_to_json

    stored = settings_to_json(
        parse_settings(
            {"transaction_type": "sales_order_invoice_payment", "accounts": {"deposit": "Undeposited Funds"}}
        )
    )
    del stored["record_payments"]
    old = settings_from_json(stored)
    assert old.record_payments is True
    paid = order_with(payments=(Payment(method="card", amount=Decimal("10.00")),), payment_status="paid")
    assert [kind for _, kind in documents_needed(paid, old)] == ["SalesOrder", "Invoice", "ReceivePayment"]
