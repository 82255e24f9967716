"""Summary transactions: the pure builder of a channel's day (chalicelib/orders/quickbooks/summary.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.orders.model import (
    Address,
    Discount,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    ShippingLine,
    TaxLine,
)
from chalicelib.orders.quickbooks.errors import OrderNotPostable
from chalicelib.orders.quickbooks.summary import (
    build_summary,
    channel_code,
    day_closes_at,
    days_of,
    local_day,
    summary_guid,
    summary_refs,
    summary_requests,
)
from chalicelib.orders.settings import SettingsInvalid, parse_settings
from chalicelib.orders.summary_settings import SummaryMode, SummaryRefunds
from chalicelib.orders.tax_settings import TaxMode

from .helpers import ACCOUNTS, UK, order_with, valid

US_SUMMARY = dataclasses.replace(
    UK,
    tax_code="",
    exempt_tax_code="",
    sales_tax_item="State Tax",
    state_tax_items={"CA": "CA Tax", "NY": "NY Tax"},
    zero_rate_tax_item="Zero Tax",
    tax_mode=TaxMode.STORE,
    summary=SummaryMode.DAILY,
    summary_customer="Web Store Sales",
    summary_time_zone="America/New_York",
)
UK_SUMMARY = dataclasses.replace(
    UK, summary=SummaryMode.DAILY, summary_customer="Web Store Sales", summary_time_zone="Europe/London"
)
DAY = date(2026, 12, 7)
NOON = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 12:00 in New York, 17:00 in London
CENT = Decimal("0.01")


def _order(
    order_id: str, *lines: tuple[str, int, str], tax: str = "0", state: str = "CA", **changes: object
) -> Order:
    order_lines = tuple(
        OrderLine(str(n), sku, f"Product {sku}", Decimal(qty), Decimal(price))
        for n, (sku, qty, price) in enumerate(lines)
    )
    subtotal = sum((ln.amount for ln in order_lines), Decimal(0))
    base = order_with(
        order_id=order_id,
        number=order_id,
        created_at=NOON,
        updated_at=NOON,
        lines=order_lines,
        shipping_address=Address(name="A", state=state),
        billing_address=Address(name="A", state=state),
        total=subtotal + Decimal(tax),
    )
    if Decimal(tax):
        changes.setdefault("tax_lines", (TaxLine("Tax", Decimal(tax)),))
    return dataclasses.replace(base, **changes)


def _total(lines: tuple[object, ...]) -> Decimal:
    return sum((ln.amount or Decimal(0) for ln in lines), Decimal(0))  # type: ignore[attr-defined]


def test_lines_are_grouped_by_item_with_quantities_and_amounts_summed() -> None:
    orders = [
        _order("1", ("MUG", 2, "9.99"), ("CAP", 1, "15.00"), tax="2.70"),
        _order("2", ("MUG", 1, "9.99"), tax="0.80", state="NY"),
        _order("3", ("CAP", 3, "15.00")),
    ]
    summary = build_summary(DAY, orders, US_SUMMARY, country="US", code="WS")
    by_item = {ln.item: ln for ln in summary.sale_lines}
    assert by_item["MUG"].quantity == 3 and by_item["MUG"].amount == Decimal("29.97")
    assert by_item["CAP"].quantity == 4 and by_item["CAP"].amount == Decimal("60.00")
    # The tax is a line per state's tax item; every other line is non-taxable, so QuickBooks adds none.
    assert by_item["CA Tax"].amount == Decimal("2.70") and by_item["NY Tax"].amount == Decimal("0.80")
    assert {ln.sales_tax_code for ln in summary.sale_lines if "Tax" not in ln.item} == {"Non"}
    assert summary.sale_total == sum((o.total for o in orders), Decimal(0)) == _total(summary.sale_lines)
    assert summary.ref_number == "D20261207WS" and summary.order_ids == ("1", "2", "3")


def test_shipping_discounts_and_fees_are_one_line_each() -> None:
    orders = [
        _order(
            str(n),
            ("MUG", 1, "10.00"),
            shipping_lines=(ShippingLine("Ground", Decimal("5.00")),),
            discounts=(Discount("XMAS", Decimal("1.50")),),
            total=Decimal("13.50"),
        )
        for n in range(3)
    ]
    summary = build_summary(DAY, orders, US_SUMMARY, country="US", code="WS")
    by_item = {ln.item: ln for ln in summary.sale_lines}
    assert by_item["Shipping"].amount == Decimal("15.00")
    assert by_item["Discount"].amount == Decimal("-4.50")
    assert len(summary.sale_lines) == 3
    assert summary.sale_total == Decimal("40.50") == _total(summary.sale_lines)


def test_orders_of_other_days_are_left_out_and_the_day_is_local() -> None:
    late = _order(
        "late", ("MUG", 1, "10.00"), created_at=datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    )  # 22:00 NY on the 7th
    next_day = _order("next", ("MUG", 1, "10.00"), created_at=datetime(2026, 12, 8, 6, 0, tzinfo=UTC))
    summary = build_summary(DAY, [late, next_day], US_SUMMARY, country="US", code="WS")
    assert summary.order_ids == ("late",)
    assert local_day(late.created_at, "Europe/London") == date(2026, 12, 8)
    assert days_of(late, "America/New_York") == {DAY}


def test_refunds_netted_are_negative_lines_of_the_day() -> None:
    sold = _order("1", ("MUG", 2, "10.00"), tax="1.60")
    refunded_earlier = _order(
        "0",
        ("CAP", 1, "15.00"),
        tax="1.20",
        created_at=NOON - timedelta(days=2),
        refunds=(Refund("r1", NOON, Decimal("16.20"), (RefundLine("0", Decimal(1), Decimal("15.00")),)),),
    )
    summary = build_summary(DAY, [sold, refunded_earlier], US_SUMMARY, country="US", code="WS")
    refunds = [ln for ln in summary.sale_lines if ln.description.startswith("Refunded: ")]
    assert {(ln.item, ln.quantity, ln.amount) for ln in refunds} == {
        ("CAP", Decimal(-1), Decimal("-15.00")),
        ("CA Tax", None, Decimal("-1.20")),
    }
    assert summary.sale_total == Decimal("21.60") - Decimal("16.20") == _total(summary.sale_lines)
    assert summary.refund_ids == (("0", "r1"),) and summary.order_ids == ("1",)
    assert days_of(refunded_earlier, "America/New_York") == {DAY - timedelta(days=2), DAY}


def test_refunds_as_a_credit_memo() -> None:
    settings_ = dataclasses.replace(US_SUMMARY, summary_refunds=SummaryRefunds.CREDIT_MEMO)
    order = _order(
        "1",
        ("MUG", 2, "10.00"),
        refunds=(Refund("r1", NOON, Decimal("4.00"), ()),),
    )
    summary = build_summary(DAY, [order], settings_, country="US", code="WS")
    assert summary.sale_total == Decimal("20.00") == _total(summary.sale_lines)
    assert summary.credit_total == Decimal("4.00") == _total(summary.credit_lines)
    requests = summary_requests(
        summary,
        settings_,
        country="US",
        request_prefix="s1",
        sale_guid=summary_guid("c", "ch", DAY, "sale"),
        credit_guid=summary_guid("c", "ch", DAY, "credit"),
    )
    assert [label for label, _ in requests] == ["sale", "credit"]
    credit = valid([el for _, el in requests])[1]
    assert credit.findtext("CreditMemoAdd/RefNumber") == "C20261207WS"


def test_refunds_past_the_days_sales_cannot_be_netted() -> None:
    order = _order(
        "0",
        ("CAP", 1, "15.00"),
        created_at=NOON - timedelta(days=1),
        refunds=(Refund("r1", NOON, Decimal("15.00"), ()),),
    )
    with pytest.raises(OrderNotPostable, match="credit_memo"):
        build_summary(DAY, [order], US_SUMMARY, country="US", code="WS")


def test_us_tax_needs_a_tax_item() -> None:
    settings_ = dataclasses.replace(US_SUMMARY, sales_tax_item="", state_tax_items={})
    with pytest.raises(OrderNotPostable, match="sales_tax_item"):
        build_summary(DAY, [_order("1", ("MUG", 1, "10.00"), tax="1.00")], settings_, country="US", code="WS")


def test_uk_lines_keep_their_tax_codes_and_quickbooks_computes_the_vat() -> None:
    orders = [
        dataclasses.replace(
            _order("1", ("MUG", 1, "10.00"), ("BOOK", 1, "8.00")),
            lines=(
                OrderLine("0", "MUG", "Mug", Decimal(1), Decimal("10.00"), tax=Decimal("2.00")),
                OrderLine("1", "BOOK", "Book", Decimal(1), Decimal("8.00"), taxable=False),
            ),
            total=Decimal("20.00"),
        )
    ]
    summary = build_summary(DAY, orders, UK_SUMMARY, country="UK", code="WS")
    assert {(ln.item, ln.sales_tax_code) for ln in summary.sale_lines} == {("MUG", "S"), ("BOOK", "Z")}
    assert summary.lines_total == Decimal("18.00") and summary.sale_total == Decimal("20.00")
    requests = summary_requests(
        summary,
        UK_SUMMARY,
        country="UK",
        request_prefix="s1",
        sale_guid=summary_guid("c", "ch", DAY, "sale"),
        credit_guid=summary_guid("c", "ch", DAY, "credit"),
    )
    add = valid([el for _, el in requests])[0].find("SalesReceiptAdd")
    assert add is not None and add.find("ItemSalesTaxRef") is None


def test_a_posted_day_is_corrected_by_a_mod_replacing_every_line() -> None:
    summary = build_summary(DAY, [_order("1", ("MUG", 1, "10.00"))], US_SUMMARY, country="US", code="WS")
    requests = summary_requests(
        summary,
        US_SUMMARY,
        country="US",
        request_prefix="s1",
        sale_guid=summary_guid("c", "ch", DAY, "sale"),
        credit_guid=summary_guid("c", "ch", DAY, "credit"),
        found={"sale": ("TXN-1", "1700000000")},
    )
    mod = valid([el for _, el in requests])[0]
    assert mod.tag == "SalesReceiptModRq"
    assert mod.findtext("SalesReceiptMod/TxnID") == "TXN-1"
    assert [ln.findtext("TxnLineID") for ln in mod.iter("SalesReceiptLineMod")] == ["-1"]
    invoice = dataclasses.replace(US_SUMMARY, transaction_type="invoice")
    mod = valid(
        [
            el
            for _, el in summary_requests(
                summary,
                invoice,
                country="US",
                request_prefix="s1",
                sale_guid="{A}",
                credit_guid="{B}",
                found={"sale": ("TXN-1", "1")},
            )
        ]
    )[0]
    assert mod.tag == "InvoiceModRq"


def test_identity_is_stable_and_eleven_characters() -> None:
    assert summary_guid("c", "ch", DAY, "sale") == summary_guid("c", "ch", DAY, "sale")
    assert summary_guid("c", "ch", DAY, "sale") != summary_guid("c", "ch", DAY, "credit")
    assert summary_guid("c", "ch", DAY, "sale") != summary_guid("c", "ch", DAY + timedelta(days=1), "sale")
    code = channel_code("chan_123")
    assert len(code) == 2 and code == channel_code("chan_123")
    assert all(len(ref) == 11 for ref in summary_refs(DAY, code))
    # The day closes an hour after its local midnight.
    assert day_closes_at(DAY, "America/New_York", 60) == datetime(2026, 12, 8, 6, 0, tzinfo=UTC)


def test_settings_are_checked() -> None:
    base = {"accounts": {"deposit": "Undeposited Funds"}}
    parsed = parse_settings(
        {**base, "summary": "daily", "summary_customer": "Web Sales", "summary_time_zone": "Europe/London"}
    )
    assert parsed.summary == SummaryMode.DAILY and parsed.summary_refunds == SummaryRefunds.NET
    for bad, field in (
        ({"summary": "daily"}, "settings.summary_customer"),
        (
            {"summary": "daily", "summary_customer": "X", "transaction_type": "sales_order"},
            "settings.summary",
        ),
        ({"summary": "weekly"}, "settings.summary"),
        ({"summary_time_zone": "Mars/Olympus"}, "settings.summary_time_zone"),
        ({"summary_refunds": "both"}, "settings.summary_refunds"),
        ({"summary_close_minutes": 5000}, "settings.summary_close_minutes"),
        ({"summary_code": "ABC"}, "settings.summary_code"),
    ):
        with pytest.raises(SettingsInvalid) as caught:
            parse_settings({**base, **bad})
        assert field in caught.value.problems


_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
_line = st.tuples(st.sampled_from(["MUG", "CAP", "TEE", "BOOK"]), st.integers(1, 5), _money.map(str))


@st.composite
def _orders(draw: st.DrawFn) -> list[Order]:
    out = []
    for n in range(draw(st.integers(1, 12))):
        lines = draw(st.lists(_line, min_size=1, max_size=4))
        tax = draw(st.decimals(min_value=0, max_value=40, places=2))
        order = _order(f"o{n}", *lines, tax=str(tax), state=draw(st.sampled_from(["CA", "NY", "WA"])))
        shipping = draw(st.decimals(min_value=0, max_value=20, places=2))
        hour = draw(st.integers(0, 23))
        order = dataclasses.replace(
            order,
            created_at=datetime(2026, 12, 7, hour, 0, tzinfo=UTC),
            shipping_lines=(ShippingLine("Ground", shipping),) if shipping else (),
            total=order.total + shipping,
        )
        out.append(order)
    return out


@settings(max_examples=60, deadline=None)
@given(orders=_orders())
def test_any_day_of_orders_sums_to_the_cent(orders: list[Order]) -> None:
    """Whatever the orders of a day: the summary's lines add up to the sum of their totals, one line per item."""
    summary = build_summary(DAY, orders, US_SUMMARY, country="US", code="WS")
    todays = [o for o in orders if local_day(o.created_at, "America/New_York") == DAY]
    assert summary.sale_total == sum((o.total for o in todays), Decimal(0))
    assert _total(summary.sale_lines) == summary.sale_total
    assert all(ln.amount == (ln.amount or Decimal(0)).quantize(CENT) for ln in summary.sale_lines)
    items = [ln.item for ln in summary.sale_lines]
    assert len(items) == len(set(items))
    for sku in {ln.sku for o in todays for ln in o.lines}:
        (line,) = [ln for ln in summary.sale_lines if ln.item == sku]
        assert line.quantity == sum(
            (ln.quantity for o in todays for ln in o.lines if ln.sku == sku), Decimal(0)
        )
    if summary.sale_lines:
        requests = summary_requests(
            summary,
            US_SUMMARY,
            country="US",
            request_prefix="s1",
            sale_guid=summary_guid("c", "ch", DAY, "sale"),
            credit_guid=summary_guid("c", "ch", DAY, "credit"),
        )
        (request,) = valid([el for _, el in requests])
        assert isinstance(request, etree._Element)
    # Order of arrival does not change the document.
    assert (
        build_summary(DAY, list(reversed(orders)), US_SUMMARY, country="US", code="WS").digest
        == summary.digest
    )


def test_accounts_are_needed_for_receipts() -> None:
    settings_ = dataclasses.replace(US_SUMMARY, accounts=dataclasses.replace(ACCOUNTS, deposit=""))
    summary = build_summary(DAY, [_order("1", ("MUG", 1, "10.00"))], settings_, country="US", code="WS")
    with pytest.raises(OrderNotPostable, match="deposit"):
        summary_requests(
            summary, settings_, country="US", request_prefix="s", sale_guid="{A}", credit_guid="{B}"
        )


@st.composite
def _refunded_orders(draw: st.DrawFn) -> list[Order]:
    out = []
    for order in draw(_orders()):
        refunds = []
        for n, line in enumerate(order.lines):
            if draw(st.booleans()):
                amount = draw(st.decimals(min_value=Decimal("0.01"), max_value=line.amount, places=2))
                extra = draw(st.decimals(min_value=0, max_value=5, places=2))  # refunded tax, or nothing
                refunds.append(
                    Refund(f"r{n}", NOON, amount + extra, (RefundLine(line.line_id, Decimal(1), amount),))
                )
        if draw(st.booleans()):
            refunds.append(Refund("goodwill", NOON, draw(_money), ()))  # no detail: the fee item
        out.append(dataclasses.replace(order, refunds=tuple(refunds)))
    return out


@settings(max_examples=60, deadline=None)
@given(orders=_refunded_orders())
def test_any_day_of_refunds_sums_to_the_cent_netted_or_as_a_credit_memo(orders: list[Order]) -> None:
    refunded = sum((r.amount for o in orders for r in o.refunds), Decimal(0))
    todays = [o for o in orders if local_day(o.created_at, "America/New_York") == DAY]
    charged = sum((o.total for o in todays), Decimal(0))
    memo_mode = dataclasses.replace(US_SUMMARY, summary_refunds=SummaryRefunds.CREDIT_MEMO)
    summary = build_summary(DAY, orders, memo_mode, country="US", code="WS")
    assert summary.sale_total == charged == _total(summary.sale_lines)
    assert summary.credit_total == refunded == _total(summary.credit_lines)
    if refunded > charged:
        with pytest.raises(OrderNotPostable):
            build_summary(DAY, orders, US_SUMMARY, country="US", code="WS")
    else:
        netted = build_summary(DAY, orders, US_SUMMARY, country="US", code="WS")
        assert netted.sale_total == charged - refunded == _total(netted.sale_lines)
        assert netted.credit_lines == ()


# --- review findings 8 and 12: the same tax rules as single orders; settings QuickBooks would refuse -----------


def _marketplace(order_id: str, refunds: tuple[Refund, ...] = ()) -> Order:
    return _order(
        order_id, ("MUG", 2, "10.00"), tax="1.60", tax_collected_by_marketplace=True, refunds=refunds
    )


@pytest.mark.parametrize(("settings", "country"), [(US_SUMMARY, "US"), (UK_SUMMARY, "UK")])
def test_marketplace_tax_dropped_is_not_in_the_summary(settings: object, country: str) -> None:
    from chalicelib.orders.quickbooks.tax import posted_total

    assert isinstance(settings, type(US_SUMMARY))
    orders = [_marketplace("1"), _order("2", ("MUG", 1, "10.00"))]
    summary = build_summary(DAY, orders, settings, country=country, code="WS")
    assert summary.sale_total == sum((posted_total(o, settings) for o in orders), Decimal(0))
    assert summary.sale_total == Decimal("30.00")
    assert not any("Tax" in ln.item for ln in summary.sale_lines)
    if country == "UK":  # QuickBooks must not compute VAT on what the marketplace taxed
        assert {ln.sales_tax_code for ln in summary.sale_lines} == {settings.exempt_tax_code}
    else:
        assert _total(summary.sale_lines) == summary.sale_total


def test_marketplace_tax_as_a_liability_is_a_line_of_its_item_and_its_refund_too() -> None:
    from chalicelib.orders.tax_settings import MarketplaceTax

    settings = dataclasses.replace(
        US_SUMMARY, marketplace_tax=MarketplaceTax.LIABILITY, marketplace_tax_item="Marketplace Tax"
    )
    refund = Refund(
        "R1",
        NOON + timedelta(hours=1),
        Decimal("10.80"),
        lines=(RefundLine("0", Decimal(1), Decimal("10.00")),),
    )
    summary = build_summary(DAY, [_marketplace("1", refunds=(refund,))], settings, country="US", code="WS")
    assert not {"State Tax", "CA Tax"} & {ln.item for ln in summary.sale_lines}
    liability = [ln for ln in summary.sale_lines if ln.item == "Marketplace Tax"]
    assert [ln.amount for ln in liability] == [Decimal("1.60"), Decimal("-0.80")]  # sold, then refunded
    assert {ln.sales_tax_code for ln in liability} == {settings.non_taxable_code}
    assert summary.sale_total == Decimal("21.60") - Decimal("10.80") == _total(summary.sale_lines)
    missing = dataclasses.replace(settings, marketplace_tax_item="")
    with pytest.raises(OrderNotPostable, match="marketplace tax item"):
        build_summary(DAY, [_marketplace("1")], missing, country="US", code="WS")


def test_marketplace_tax_refunded_is_dropped_too() -> None:
    refund = Refund(
        "R1",
        NOON + timedelta(hours=1),
        Decimal("10.80"),
        lines=(RefundLine("0", Decimal(1), Decimal("10.00")),),
    )
    summary = build_summary(DAY, [_marketplace("1", refunds=(refund,))], US_SUMMARY, country="US", code="WS")
    assert summary.sale_total == Decimal("20.00") - Decimal("10.00") == _total(summary.sale_lines)


def test_invoice_summaries_refuse_record_payments() -> None:
    base = {"accounts": {"deposit": "Undeposited Funds"}, "summary": "daily", "summary_customer": "Web Sales"}
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings({**base, "transaction_type": "invoice", "record_payments": True})
    assert "settings.record_payments" in caught.value.problems
    with pytest.raises(SettingsInvalid) as caught:  # on by default for new channels: said too
        parse_settings({**base, "transaction_type": "invoice"})
    assert "settings.record_payments" in caught.value.problems
    parsed = parse_settings({**base, "transaction_type": "invoice", "record_payments": False})
    assert parsed.transaction_type == "invoice" and not parsed.record_payments
    assert parse_settings({**base, "transaction_type": "sales_receipt"}).summary == SummaryMode.DAILY


@pytest.mark.parametrize(
    "name", ["Web \u2713 Store", "Web  Store", "Web \ud800 Store", "Web\u00adStore", "Web\u200bStore", " "]
)
def test_a_summary_customer_qbxml_would_refuse_is_a_400(name: str) -> None:
    base = {"accounts": {"deposit": "Undeposited Funds"}, "summary": "daily"}
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings({**base, "summary_customer": name})
    assert "settings.summary_customer" in caught.value.problems


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=50), code=st.text(max_size=3))
def test_any_accepted_summary_customer_and_code_build_their_requests(name: str, code: str) -> None:
    from chalicelib.qbxml import transactions as tx

    base = {"accounts": {"deposit": "Undeposited Funds"}, "summary": "daily"}
    try:
        parsed = parse_settings({**base, "summary_customer": name, "summary_code": code})
    except SettingsInvalid as exc:
        assert set(exc.problems) <= {"settings.summary_customer", "settings.summary_code"}
        return
    tx.customer_add("r1", name=parsed.summary_customer)  # raises ValueError on a name it would not send
    summary = build_summary(
        DAY,
        [_order("1", ("MUG", 1, "10.00"))],
        dataclasses.replace(US_SUMMARY, summary_customer=parsed.summary_customer),
        country="US",
        code=parsed.summary_code or "WS",
    )
    summary_requests(
        summary,
        dataclasses.replace(US_SUMMARY, summary_customer=parsed.summary_customer),
        country="US",
        request_prefix="p",
        sale_guid=summary_guid("c", "ch", DAY, "sale"),
        credit_guid=summary_guid("c", "ch", DAY, "credit"),
    )
