"""Store bundles as a QuickBooks group item (with a price adjustment) or as their components."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.orders.model import BundleComponent, Order, OrderLine, parse_order
from chalicelib.orders.quickbooks.bundles import GroupItem, GroupMember, expand_components
from chalicelib.orders.quickbooks.extras import line_choices
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.to_quickbooks import OrderNotPostable, customer_name, order_guid, sale_requests
from chalicelib.rules import PostingExtras

from .helpers import FILES, order_with, valid

CENT = Decimal("0.01")
KIT = GroupItem(
    "Camp Kit",
    (
        GroupMember("Widgets:Blue Widget", Decimal(2), Decimal("19.99")),
        GroupMember("Rope", Decimal(10), Decimal("0.35")),
    ),
)
GROUPS = {"camp kit": KIT}


def bundle_line(**changes: object) -> OrderLine:
    base = OrderLine(
        "7",
        "KIT",
        "Camp kit",
        Decimal(2),
        Decimal("39.00"),
        components=(
            BundleComponent("BW", "Blue widget", Decimal(2)),
            BundleComponent("ROPE", "Rope", Decimal(1)),
        ),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def sale(
    order: Order, settings_: ChannelSettings, country: str, txn_type: str, **kwargs: Any
) -> etree._Element:
    """The validated add request of the order under `settings_` (13.0 schema)."""
    requests = sale_requests(
        order,
        settings_,
        country=country,
        request_prefix="ord-1",
        txn_type=cast(Any, txn_type),
        customer=customer_name(order, settings_),
        guid=order_guid("conn-1", "chan-1", order.order_id),
        **kwargs,
    )
    return valid(requests)[0]


def line_adds(add: etree._Element) -> list[etree._Element]:
    return [el for el in add if str(el.tag).endswith("LineAdd") or str(el.tag).endswith("LineGroupAdd")]


@pytest.mark.parametrize("country", ["US", "CA", "UK"])
@pytest.mark.parametrize("txn_type", ["sales_receipt", "invoice", "sales_order"])
def test_a_bundle_as_group_is_a_group_line_and_a_price_adjustment(country: str, txn_type: str) -> None:
    configured = dataclasses.replace(FILES[country], bundles="group", bundle_items={"kit": "Camp Kit"})
    line = bundle_line()
    order = order_with(lines=(line,), total=line.amount)
    add = sale(order, configured, country, txn_type, groups=GROUPS)[0]
    group, adjustment = line_adds(add)
    assert str(group.tag).endswith("LineGroupAdd")
    assert group.findtext("ItemGroupRef/FullName") == "Camp Kit" and group.findtext("Quantity") == "2"
    assert group.find("Amount") is None and group.find("Rate") is None
    quoted = KIT.total(Decimal(2))
    assert quoted == Decimal("86.96")  # 4 x 19.99 + 20 x 0.35
    assert Decimal(adjustment.findtext("Amount") or "") == line.amount - quoted
    assert adjustment.findtext("ItemRef/FullName") == FILES[country].discount_item


def test_no_adjustment_when_quickbooks_prices_the_group_at_the_store_price() -> None:
    # A SKU mapped to a group is a bundle without components: the group's members are QuickBooks'.
    configured = dataclasses.replace(FILES["US"], bundles="group", bundle_items={"KIT": "Camp Kit"})
    line = bundle_line(unit_price=Decimal("43.48"), components=())
    order = order_with(lines=(line,), total=line.amount)
    add = sale(order, configured, "US", "sales_receipt", groups=GROUPS)[0]
    assert [str(el.tag) for el in line_adds(add)] == ["SalesReceiptLineGroupAdd"]


@pytest.mark.parametrize(
    ("groups", "words"),
    [
        ({}, "not a group item"),
        ({"camp kit": GroupItem("Camp Kit", (GroupMember("X", Decimal(1), None),))}, "price"),
    ],
)
def test_a_group_unknown_or_unpriced_is_not_postable(groups: dict[str, GroupItem], words: str) -> None:
    configured = dataclasses.replace(FILES["US"], bundles="group", bundle_items={"KIT": "Camp Kit"})
    order = order_with(lines=(bundle_line(),), total=bundle_line().amount)
    with pytest.raises(OrderNotPostable, match=words):
        sale(order, configured, "US", "sales_receipt", groups=groups)


@settings(max_examples=80, deadline=None)
@given(
    quantity=st.integers(min_value=1, max_value=50),
    store_cents=st.integers(min_value=0, max_value=500_000),
    members=st.lists(
        st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=100_000)),
        min_size=1,
        max_size=5,
    ),
)
def test_group_total_plus_adjustment_is_the_store_amount(
    quantity: int, store_cents: int, members: list[tuple[int, int]]
) -> None:
    group = GroupItem(
        "Kit", tuple(GroupMember(f"I{i}", Decimal(q), Decimal(c) * CENT) for i, (q, c) in enumerate(members))
    )
    configured = dataclasses.replace(
        FILES["US"], bundles="group", bundle_items={"KIT": "Kit"}, bundle_adjustment_item="Bundle Adjustments"
    )
    line = bundle_line(quantity=Decimal(quantity), unit_price=Decimal(store_cents) * CENT)
    order = order_with(lines=(line,), total=line.amount)
    add = sale(order, configured, "US", "invoice", groups={"kit": group})[0]
    adjustments = [
        Decimal(el.findtext("Amount") or "") for el in line_adds(add) if el.find("Amount") is not None
    ]
    quickbooks = sum(
        ((m.quantity * quantity * (m.price or 0)).quantize(CENT, ROUND_HALF_UP) for m in group.members),
        Decimal(0),
    )
    assert quickbooks + sum(adjustments, Decimal(0)) == line.amount


# -- components ----------------------------------------------------------------------------------------------
def test_components_carry_the_bundle_price_on_the_component_counted_once() -> None:
    configured = dataclasses.replace(FILES["US"], bundles="components")
    line = bundle_line(discount=Decimal("3.00"), tax=Decimal("6.00"))
    order = order_with(lines=(line,), total=line.amount - line.discount + line.tax)
    expanded, _ = line_choices(order, configured, None)
    first, second = expanded.lines
    assert (first.sku, first.quantity, first.amount) == ("BW", Decimal(4), Decimal("0.00"))
    assert (second.sku, second.quantity, second.amount) == ("ROPE", Decimal(2), Decimal("78.00"))
    assert (second.discount, second.tax) == (Decimal("3.00"), Decimal("6.00"))
    assert expanded.computed_total == order.computed_total
    assert first.line_id == "7" and second.line_id == "7.2"


@settings(max_examples=80, deadline=None)
@given(
    quantity=st.integers(min_value=1, max_value=20),
    prices=st.lists(
        st.tuples(st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=20_000)),
        min_size=1,
        max_size=5,
    ),
    discount_share=st.integers(min_value=0, max_value=100),
    tax_cents=st.integers(min_value=0, max_value=10_000),
)
def test_store_priced_components_keep_every_total_to_the_cent(
    quantity: int, prices: list[tuple[int, int]], discount_share: int, tax_cents: int
) -> None:
    components = tuple(
        BundleComponent(f"C{i}", f"Part {i}", Decimal(q), Decimal(c) * CENT)
        for i, (q, c) in enumerate(prices)
    )
    unit = sum((Decimal(q) * Decimal(c) * CENT for q, c in prices), Decimal(0))
    amount = (unit * quantity).quantize(CENT)
    discount = (amount * discount_share / 100).quantize(CENT)
    line = OrderLine(
        "1",
        "B",
        "Bundle",
        Decimal(quantity),
        unit,
        discount,
        Decimal(tax_cents) * CENT,
        components=components,
    )
    order = order_with(lines=(line,), total=amount - discount + line.tax)
    configured = dataclasses.replace(FILES["US"], bundles="components")
    expanded = expand_components(order, configured, None)
    assert [ln.sku for ln in expanded.lines] == [c.sku for c in components]
    assert sum((ln.amount for ln in expanded.lines), Decimal(0)) == amount
    assert sum((ln.discount for ln in expanded.lines), Decimal(0)) == discount
    assert sum((ln.tax for ln in expanded.lines), Decimal(0)) == line.tax
    assert expanded.computed_total == order.computed_total
    assert all(ln.unit_price == c.unit_price for ln, c in zip(expanded.lines, components, strict=True))
    add = sale(expanded, configured, "US", "sales_receipt")[0]
    assert len([el for el in add if el.findtext("Quantity")]) == len(components)


def test_components_need_a_place_for_the_price_and_rules_on_the_bundle_are_refused() -> None:
    configured = dataclasses.replace(FILES["US"], bundles="components")
    no_single = bundle_line(
        components=(BundleComponent("A", "A", Decimal(2)), BundleComponent("B", "B", Decimal(3)))
    )
    with pytest.raises(OrderNotPostable, match="counted once"):
        expand_components(order_with(lines=(no_single,), total=no_single.amount), configured, None)
    ruled = PostingExtras(line_items={"7": "Other Item"})
    with pytest.raises(OrderNotPostable, match="rule"):
        expand_components(order_with(lines=(bundle_line(),), total=bundle_line().amount), configured, ruled)


def test_bundle_item_mode_is_todays_single_line() -> None:
    order = order_with(lines=(bundle_line(),), total=bundle_line().amount)
    assert expand_components(order, FILES["US"], None) is order


def test_the_canonical_order_reads_components_and_location() -> None:
    order = parse_order(
        {
            "id": "b-1",
            "created_at": "2026-11-20T10:00:00Z",
            "total": "39.00",
            "location": "Main St",
            "lines": [
                {
                    "id": "1",
                    "sku": "KIT",
                    "title": "Kit",
                    "quantity": 1,
                    "unit_price": "39.00",
                    "components": [{"sku": "BW", "title": "Blue", "quantity": 2, "unit_price": "19.50"}],
                }
            ],
        }
    )
    assert order.location == "Main St"
    assert order.lines[0].components == (BundleComponent("BW", "Blue", Decimal(2), Decimal("19.50")),)


def test_a_bundle_dearer_than_its_group_needs_an_adjustment_item_that_can_raise_a_price() -> None:
    configured = dataclasses.replace(FILES["UK"], bundles="group", bundle_items={"KIT": "Camp Kit"})
    line = bundle_line(unit_price=Decimal("50.00"))  # 100.00 against QuickBooks' 86.96
    order = order_with(lines=(line,), total=line.amount)
    with pytest.raises(OrderNotPostable, match="bundle_adjustment_item"):
        sale(order, configured, "UK", "invoice", groups=GROUPS)
    configured = dataclasses.replace(configured, bundle_adjustment_item="Bundle Adjustments")
    add = sale(order, configured, "UK", "invoice", groups=GROUPS)[0]
    adjustment = line_adds(add)[-1]
    assert adjustment.findtext("ItemRef/FullName") == "Bundle Adjustments"
    assert adjustment.findtext("Amount") == "13.04"


def test_group_members_taxed_otherwise_than_the_bundle_are_refused_outside_the_us() -> None:
    configured = dataclasses.replace(FILES["UK"], bundles="group", bundle_items={"KIT": "Kit"})
    group = GroupItem("Kit", (GroupMember("Book", Decimal(1), Decimal("5.00"), tax_code="Z"),))
    line = bundle_line(unit_price=Decimal("5.00"), tax=Decimal("2.00"))
    order = order_with(lines=(line,), total=line.amount + line.tax)
    with pytest.raises(OrderNotPostable, match="another code"):
        sale(order, configured, "UK", "invoice", groups={"kit": group})
