"""Hypothesis strategies for orders and rules over small vocabularies, so conditions and SKU maps hit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import strategies as st

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
from chalicelib.orders.settings import CUSTOMER_MATCHING, TRANSACTION_TYPES
from chalicelib.rules import (
    AddShippingSurcharge,
    Condition,
    DateSource,
    DoNotImport,
    ExcludeFromShipStation,
    Field,
    Join,
    MapDiscountCode,
    MapShippingMethod,
    MapSku,
    Op,
    OrderContext,
    RemoveTax,
    Rule,
    SetArAccount,
    SetClass,
    SetCustomer,
    SetDepositAccount,
    SetInventorySite,
    SetMemo,
    SetOrderDate,
    SetOrderNumber,
    SetPoNumber,
    SetPriceLevel,
    SetSalesRep,
    SetTerms,
    SetTransactionType,
    SetUnitOfMeasure,
    SkuMatch,
    SurchargeKind,
)
from chalicelib.rules.model import NUMBER_FIELDS

SKUS = ("A-100", "a-101", "B-200", "BX-1", "C", "ß-9", "")
WORDS = (
    "PayPal",
    "paypal",
    "Stripe",
    "Amazon",
    "eBay",
    "wholesale",
    "vip",
    "Ground",
    "Express",
    "SAVE10",
    "x",
)
STATES = ("CA", "NY", "ON", "")
COUNTRIES = ("US", "CA", "GB")
CHANNELS = ("shop-1", "shop-2", "woo")


def money(low: str = "0", high: str = "200") -> st.SearchStrategy[Decimal]:
    return st.decimals(Decimal(low), Decimal(high), places=2)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    lines = tuple(
        OrderLine(
            line_id=str(i + 1),
            sku=draw(st.sampled_from(SKUS)),
            title=draw(st.sampled_from(WORDS)),
            quantity=Decimal(draw(st.integers(1, 5))),
            unit_price=draw(money("0.01", "50")),
            tax=draw(money("0", "5")),
            taxable=draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 4)))
    )
    shipping = tuple(
        ShippingLine(title=draw(st.sampled_from(WORDS)), price=draw(money("0", "20")))
        for _ in range(draw(st.integers(0, 2)))
    )
    discounts = tuple(
        Discount(code=draw(st.sampled_from(WORDS)), amount=draw(money("0", "3")))
        for _ in range(draw(st.integers(0, 2)))
    )
    tax_lines = tuple(TaxLine("Tax", draw(money("0", "9"))) for _ in range(draw(st.integers(0, 1))))
    created = datetime(2026, 3, draw(st.integers(1, 28)), 10, 0, tzinfo=UTC)
    payments = tuple(
        Payment(
            method=draw(st.sampled_from(WORDS)), amount=Decimal(1), paid_at=draw(st.none() | st.just(created))
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    address = Address(
        name=draw(st.sampled_from(WORDS)),
        company=draw(st.sampled_from(("", *WORDS))),
        state=draw(st.sampled_from(STATES)),
        country=draw(st.sampled_from(COUNTRIES)),
    )
    order = Order(
        order_id=str(draw(st.integers(1, 10**6))),
        number=f"#{draw(st.integers(1000, 9999))}",
        created_at=created,
        updated_at=created,
        currency=draw(st.sampled_from(("USD", "CAD"))),
        customer=Customer(first_name=draw(st.sampled_from(WORDS)), last_name="Doe", email="a@example.com"),
        billing_address=address,
        shipping_address=draw(st.just(address) | st.just(Address(state="NY", country="US"))),
        lines=lines,
        total=Decimal(0),
        shipping_lines=shipping,
        discounts=discounts,
        tax_lines=tax_lines,
        payments=payments,
        tags=tuple(draw(st.lists(st.sampled_from(WORDS), max_size=3))),
        note=draw(st.sampled_from(("", "gift", "Leave at door"))),
        source=draw(st.sampled_from(("web", "pos", "amazon", ""))),
        status=draw(st.sampled_from(("open", "paid", "test"))),
    )
    from dataclasses import replace

    return replace(order, total=order.computed_total)


contexts = st.builds(
    OrderContext,
    channel_id=st.sampled_from(CHANNELS),
    store_kind=st.sampled_from(("shopify", "woocommerce")),
    gateways=st.lists(st.sampled_from(("shopify_payments", "paypal", "manual")), max_size=2).map(tuple),
    attributes=st.dictionaries(
        st.sampled_from(("location", "Gift", "weight")), st.sampled_from(("1", "5.5", "Main", "")), max_size=2
    ),
)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(list(Field)))
    attribute = draw(st.sampled_from(("location", "GIFT", "weight"))) if field is Field.ATTRIBUTE else ""
    if field in NUMBER_FIELDS:
        op = draw(st.sampled_from((Op.EQUALS, Op.NOT_EQUALS, Op.MORE_THAN, Op.LESS_THAN, Op.IN_LIST)))
        number = st.decimals(Decimal(0), Decimal(100), places=2).map(str)
        amounts = (
            tuple(draw(st.lists(number, min_size=1, max_size=3))) if op is Op.IN_LIST else (draw(number),)
        )
        return Condition(field, op, amounts)
    ops = [o for o in Op if o not in (Op.MORE_THAN, Op.LESS_THAN) or field is Field.ATTRIBUTE]
    op = draw(st.sampled_from(ops))
    text = st.sampled_from(
        (*WORDS, *(s for s in SKUS if s), *CHANNELS, "A", "b-", "shop", "US", "ca", "open")
    )
    if op is Op.IS_EMPTY:
        values: tuple[str, ...] = ()
    elif op is Op.IN_LIST:
        values = tuple(draw(st.lists(text | st.just("a|b\\c"), min_size=1, max_size=4)))
    elif op in (Op.MORE_THAN, Op.LESS_THAN):
        values = (draw(st.sampled_from(("0", "1", "2.5"))),)
    elif op is Op.MATCHES:
        values = (draw(st.sampled_from(("^a", "pal$", "[0-9]+", "x|y", "^$"))),)
    else:
        values = (draw(text),)
    return Condition(field, op, values, attribute)


name = st.sampled_from(("Sales", "Undeposited Funds", "Wholesale:West", "Item A", "Net 30", "Box"))
sku_match = st.sampled_from(list(SkuMatch))
sku_pattern = st.sampled_from(("A-100", "a-", "B", "^b.*", "ß", "C"))
actions = st.one_of(
    st.builds(SetTransactionType, st.sampled_from(TRANSACTION_TYPES)),
    st.builds(SetDepositAccount, name),
    st.builds(SetArAccount, name),
    st.builds(SetClass, name),
    st.builds(SetCustomer, st.just("single_customer"), st.sampled_from(("Amazon Customer", "Walk-in"))),
    st.builds(SetCustomer, st.sampled_from([m for m in CUSTOMER_MATCHING if m != "single_customer"])),
    st.just(DoNotImport()),
    st.just(RemoveTax()),
    st.just(ExcludeFromShipStation()),
    st.builds(MapSku, sku_match, sku_pattern, name),
    st.builds(MapShippingMethod, st.sampled_from(WORDS), name),
    st.builds(MapDiscountCode, st.sampled_from(WORDS), name),
    st.builds(AddShippingSurcharge, st.just(SurchargeKind.AMOUNT), money("0.01", "10")),
    st.builds(
        AddShippingSurcharge,
        st.just(SurchargeKind.PERCENT),
        st.decimals(Decimal("0.5"), Decimal(50), places=1),
    ),
    st.builds(SetOrderNumber, st.sampled_from(("AMZ-{number}", "{id}", "W{number}"))),
    st.builds(SetOrderDate, st.just(DateSource.PAYMENT)),
    st.builds(SetOrderDate, st.just(DateSource.DATE), st.dates(date(2020, 1, 1), date(2030, 12, 31))),
    st.builds(SetMemo, st.sampled_from(("Order {number}\n{note}", "From Amazon"))),
    st.builds(SetPoNumber, st.sampled_from(("{number}", "PO-{id}"))),
    st.builds(SetSalesRep, st.sampled_from(("JD", "AMZ"))),
    st.builds(SetTerms, name.filter(lambda n: len(n) <= 31)),
    st.builds(SetPriceLevel, st.sampled_from(("Wholesale", "Retail"))),
    st.builds(
        SetUnitOfMeasure,
        sku_match,
        sku_pattern,
        st.sampled_from(("Each", "Case")),
        st.sampled_from((Decimal(12), Decimal("0.5"))),
    ),
    st.builds(SetInventorySite, st.sampled_from(("Main", "East"))),
)


@st.composite
def rule_lists(draw: st.DrawFn, max_size: int = 12) -> list[Rule]:
    count = draw(st.integers(0, max_size))
    return [
        Rule(
            rule_id=f"r{i}",
            name=draw(st.sampled_from(("Amazon", "PayPal deposits", "SKU map", "=SUM(A1)", "'quoted"))),
            actions=tuple(draw(st.lists(actions, min_size=1, max_size=3))),
            conditions=tuple(draw(st.lists(conditions(), max_size=3))),
            join=draw(st.sampled_from(list(Join))),
            enabled=draw(st.booleans()),
            channels=tuple(draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=2))),
        )
        for i in range(count)
    ]
