"""Sales tax modes of the pure builders: the store's tax as a line (the default), QuickBooks computes,
marketplace-facilitator tax, CA/UK/AU codes by province or rate; their settings."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.orders.model import Address, OrderInvalid, OrderLine, ShippingLine, TaxLine, parse_order
from chalicelib.orders.quickbooks.tax import posted_total
from chalicelib.orders.settings import (
    SettingsInvalid,
    parse_settings,
    settings_from_json,
    settings_to_json,
)
from chalicelib.orders.tax_settings import MarketplaceTax, TaxMode
from chalicelib.orders.to_quickbooks import OrderNotPostable, refund_requests, sale_lines, sale_requests

from .helpers import CA, UK, US, line_total, load, order_with, valid

STORE = dataclasses.replace(
    US,
    tax_mode=TaxMode.STORE,
    zero_rate_tax_item="Out of State",
    state_tax_items={"WA": "WA State", "CA": "CA State Tax"},
)
TAGS = {"sales_receipt": "SalesReceipt", "invoice": "Invoice", "sales_order": "SalesOrder"}


def build(order: object, settings_: object, txn_type: str = "sales_receipt", country: str = "US") -> object:
    return valid(
        sale_requests(
            order,  # type: ignore[arg-type]
            settings_,  # type: ignore[arg-type]
            country=country,
            request_prefix="o",
            txn_type=txn_type,  # type: ignore[arg-type]
            customer="Lee, Ann",
            guid="{00000000-0000-0000-0000-000000000001}",
        )
    )[0]


def line_items(add: object, tag: str) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (ln.findtext("ItemRef/FullName"), ln.findtext("Amount"), ln.findtext("SalesTaxCodeRef/FullName"))
        for ln in add.findall(f"{tag}LineAdd")  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("txn_type", list(TAGS))
def test_store_mode_puts_the_zero_rate_item_on_the_header_and_the_tax_on_a_state_line(txn_type: str) -> None:
    order = load("us_web_order")  # ships to WA, tax 2.89
    add = build(order, STORE, txn_type).find(f"{TAGS[txn_type]}Add")  # type: ignore[attr-defined]
    assert add.findtext("ItemSalesTaxRef/FullName") == "Out of State"
    lines = line_items(add, TAGS[txn_type])
    assert lines[-1] == ("WA State", "2.89", None)  # a sales tax item line: no tax code of its own
    # the product lines keep their taxable codes (the liability report's taxable sales)
    assert [code for _, _, code in lines[:2]] == ["Tax", "Tax"]
    by_desc = {ln.findtext("Desc"): ln for ln in add.findall(f"{TAGS[txn_type]}LineAdd")}
    assert by_desc["Gift card"].findtext("SalesTaxCodeRef/FullName") == "Non"  # taxable: false
    assert by_desc["WA State Tax (WA)"].findtext("ItemRef/FullName") == "WA State"
    # lines add up to the store's total: QuickBooks adds 0% on top
    assert line_total(add, f"{TAGS[txn_type]}LineAdd") == order.total


def test_store_mode_without_a_zero_rate_item_makes_every_line_non_taxable() -> None:
    settings_ = dataclasses.replace(STORE, zero_rate_tax_item="")
    add = build(load("us_web_order"), settings_).find("SalesReceiptAdd")  # type: ignore[attr-defined]
    assert add.findtext("ItemSalesTaxRef/FullName") == "WA State"  # sales_tax_item: adds nothing to Non lines
    lines = line_items(add, "SalesReceipt")
    assert {code for _, _, code in lines[:-1]} == {"Non"}
    assert lines[-1] == ("WA State", "2.89", None)


def test_store_mode_falls_back_to_the_sales_tax_item_and_else_names_the_state() -> None:
    order = order_with(
        shipping_address=Address(state="nv", country="US"),
        tax_lines=(TaxLine("NV Tax", Decimal("0.80")),),
        total=Decimal("10.80"),
    )
    lines = sale_lines(order, STORE, country="US")
    assert (lines[-1].item, lines[-1].amount) == ("WA State", Decimal("0.80"))
    with pytest.raises(OrderNotPostable, match="ship-to state NV"):
        sale_lines(order, dataclasses.replace(STORE, sales_tax_item=""), country="US")


def test_store_mode_adds_no_tax_line_to_an_order_without_tax() -> None:
    lines = sale_lines(order_with(), STORE, country="US")
    assert [ln.item for ln in lines] == ["SKU-1"]


def test_quickbooks_mode_uses_the_states_item_on_the_header_and_no_tax_line() -> None:
    settings_ = dataclasses.replace(
        STORE, tax_mode=TaxMode.QUICKBOOKS, state_tax_items={"WA": "Bayview Combined"}
    )
    order = load("us_web_order")
    add = build(order, settings_).find("SalesReceiptAdd")  # type: ignore[attr-defined]
    assert add.findtext("ItemSalesTaxRef/FullName") == "Bayview Combined"
    assert "WA State" not in [item for item, _, _ in line_items(add, "SalesReceipt")]
    assert line_total(add, "SalesReceiptLineAdd") == order.total - order.tax_total
    other = dataclasses.replace(order, shipping_address=Address(state="OR"), billing_address=Address())
    add = build(other, settings_).find("SalesReceiptAdd")  # type: ignore[attr-defined]
    assert add.findtext("ItemSalesTaxRef/FullName") == "WA State"  # unmapped: sales_tax_item


@pytest.mark.parametrize("mode", list(TaxMode))
def test_marketplace_tax_is_dropped_by_default(mode: TaxMode) -> None:
    order = dataclasses.replace(load("us_web_order"), tax_collected_by_marketplace=True)
    settings_ = dataclasses.replace(STORE, tax_mode=mode)
    add = build(order, settings_).find("SalesReceiptAdd")  # type: ignore[attr-defined]
    lines = line_items(add, "SalesReceipt")
    assert {code for _, _, code in lines} == {"Non"}  # QuickBooks must not tax it either
    assert "WA State" not in [item for item, _, _ in lines]
    assert (
        line_total(add, "SalesReceiptLineAdd")
        == order.total - order.tax_total
        == posted_total(order, settings_)
    )


def test_marketplace_tax_to_a_liability_item() -> None:
    order = dataclasses.replace(load("us_web_order"), tax_collected_by_marketplace=True)
    settings_ = dataclasses.replace(
        STORE, marketplace_tax=MarketplaceTax.LIABILITY, marketplace_tax_item="Marketplace Tax"
    )
    add = build(order, settings_, "invoice").find("InvoiceAdd")  # type: ignore[attr-defined]
    assert line_items(add, "Invoice")[-1] == ("Marketplace Tax", "2.89", "Non")
    assert line_total(add, "InvoiceLineAdd") == order.total == posted_total(order, settings_)
    with pytest.raises(OrderNotPostable, match="marketplace tax item"):
        sale_lines(order, dataclasses.replace(settings_, marketplace_tax_item=""), country="US")


def test_canadian_codes_by_province_then_by_rate_then_the_default() -> None:
    order = dataclasses.replace(
        load("uk_marketplace_order"), shipping_address=Address(state="ON", country="CA")
    )
    # lines: 5.00 taxed 1.00 (20%), 15.00 taxed 3.00 (20%), 1.00 untaxed, shipping 4.00 taxed 0.80 (20%)
    by_province = dataclasses.replace(CA, province_tax_codes={"ON": "H"}, rate_tax_codes={"20": "S"})
    assert [ln.sales_tax_code for ln in sale_lines(order, by_province, country="CA")] == ["H", "H", "E", "H"]
    by_rate = dataclasses.replace(
        CA, tax_code="G", province_tax_codes={"BC": "S"}, rate_tax_codes={"20": "S"}
    )
    assert [ln.sales_tax_code for ln in sale_lines(order, by_rate, country="CA")] == ["S", "S", "E", "S"]
    fallback = dataclasses.replace(CA, tax_code="G", rate_tax_codes={"13": "H"})
    assert [ln.sales_tax_code for ln in sale_lines(order, fallback, country="CA")] == ["G", "G", "E", "G"]
    valid(
        sale_requests(
            order,
            by_province,
            country="CA",
            request_prefix="o",
            txn_type="invoice",
            customer="Yamada, Taro",
            guid="{00000000-0000-0000-0000-000000000002}",
        )
    )


def test_uk_codes_by_the_orders_rate_when_lines_carry_no_tax_of_their_own() -> None:
    order = order_with(
        lines=(
            OrderLine("1", "A", "A", Decimal(1), Decimal("10.00")),
            OrderLine("2", "B", "B", Decimal(1), Decimal("5.00"), taxable=False),
        ),
        shipping_address=Address(country="GB"),
        tax_lines=(TaxLine("VAT", Decimal("0.50"), rate=Decimal("5")),),
        total=Decimal("15.50"),
    )
    settings_ = dataclasses.replace(UK, rate_tax_codes={"5": "R", "20": "S"})
    assert [ln.sales_tax_code for ln in sale_lines(order, settings_, country="UK")] == ["R", "Z"]


def test_store_mode_refund_carries_the_refunded_tax_as_a_line() -> None:
    order = load("us_web_order")  # refund r-1: 21.62 = line 17.99 + shipping 2.00 + tax 1.63
    requests = valid(
        refund_requests(
            order,
            STORE,
            country="US",
            request_prefix="o",
            customer="Lee, Ann",
            guid="{00000000-0000-0000-0000-000000000001}",
        )
    )
    first = requests[0].find("CreditMemoAdd")
    assert first.findtext("ItemSalesTaxRef/FullName") == "Out of State"
    assert line_items(first, "CreditMemo")[-1] == ("WA State", "1.63", None)
    assert line_total(first, "CreditMemoLineAdd") == Decimal("21.62")


def test_the_order_flag_parses_and_is_checked() -> None:
    raw = {
        "id": "1",
        "created_at": "2026-03-02T10:00:00Z",
        "total": "1.00",
        "lines": [{"title": "A", "quantity": 1, "unit_price": "1.00"}],
    }
    assert parse_order(raw).tax_collected_by_marketplace is False
    assert parse_order({**raw, "tax_collected_by_marketplace": True}).tax_collected_by_marketplace is True
    with pytest.raises(OrderInvalid) as caught:
        parse_order({**raw, "tax_collected_by_marketplace": "yes"})
    assert "tax_collected_by_marketplace" in caught.value.problems


# -- settings ---------------------------------------------------------------------------------------------
GOOD = {
    "accounts": {"deposit": "Undeposited Funds"},
    "tax_mode": "quickbooks",
    "state_tax_items": {"ca": " CA State Tax ", "NY": "NY Combined"},
    "zero_rate_tax_item": "Out of State",
    "marketplace_tax": "liability",
    "marketplace_tax_item": "Marketplace Tax",
    "province_tax_codes": {"on": "H"},
    "rate_tax_codes": {"13.0": "H", "5%": "G", "0": "Z"},
}


def test_tax_settings_parse_clean_and_round_trip() -> None:
    parsed = parse_settings(GOOD)
    assert parsed.tax_mode is TaxMode.QUICKBOOKS and parsed.marketplace_tax is MarketplaceTax.LIABILITY
    assert dict(parsed.state_tax_items) == {"CA": "CA State Tax", "NY": "NY Combined"}
    assert dict(parsed.province_tax_codes) == {"ON": "H"}
    assert dict(parsed.rate_tax_codes) == {"13": "H", "5": "G", "0": "Z"}
    stored = settings_to_json(parsed)
    assert stored["tax_mode"] == "quickbooks" and stored["state_tax_items"]["CA"] == "CA State Tax"
    assert settings_from_json(stored) == parsed
    assert (
        parse_settings({"accounts": {"deposit": "Undeposited Funds"}}).tax_mode is TaxMode.STORE
    )  # the default


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_mode", "avalara"),
        ("marketplace_tax", "keep"),
        ("state_tax_items", {"CA": "x" * 32}),
        ("state_tax_items", ["CA"]),
        ("province_tax_codes", {"ON": "HST1"}),
        ("rate_tax_codes", {"abc": "S"}),
        ("rate_tax_codes", {"120": "S"}),
        ("zero_rate_tax_item", "x" * 32),
    ],
)
def test_bad_tax_settings_name_the_field(field: str, value: object) -> None:
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings({**GOOD, field: value})
    assert list(caught.value.problems) == [f"settings.{field}"]


# -- a class of orders ------------------------------------------------------------------------------------
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)


@settings(max_examples=80, deadline=None)
@given(
    amounts=st.lists(st.tuples(prices, st.booleans()), min_size=1, max_size=5),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("12"), places=3),
    shipping=st.one_of(st.none(), prices),
    state=st.sampled_from(["WA", "CA", "TX"]),
    drop=st.booleans(),
)
def test_store_mode_lines_add_up_to_the_store_total(
    amounts: list[tuple[Decimal, bool]], rate: Decimal, shipping: Decimal | None, state: str, drop: bool
) -> None:
    lines = tuple(
        OrderLine(str(i), f"SKU-{i}", f"Thing {i}", Decimal(1), price, taxable=taxable)
        for i, (price, taxable) in enumerate(amounts)
    )
    taxable = sum((ln.amount for ln in lines if ln.taxable), Decimal(0))
    tax = (taxable * rate / 100).quantize(Decimal("0.01"))
    ships = (ShippingLine("Ground", shipping),) if shipping else ()
    order = order_with(
        lines=lines,
        shipping_lines=ships,
        shipping_address=Address(state=state, country="US"),
        tax_lines=(TaxLine("Tax", tax, rate=rate),) if tax else (),
        total=sum((ln.amount for ln in lines), Decimal(0)) + (shipping or 0) + tax,
        tax_collected_by_marketplace=drop,
    )
    settings_ = dataclasses.replace(STORE, state_tax_items={"CA": "CA State Tax"})
    built = sale_lines(order, settings_, country="US")
    total = sum((ln.amount if ln.amount is not None else ln.quantity * ln.rate) for ln in built)  # type: ignore[operator]
    assert total == posted_total(order, settings_)
    tax_lines = [ln for ln in built if ln.item in ("CA State Tax", "WA State")]
    if drop or not tax:
        assert tax_lines == []
    else:
        assert [(ln.item, ln.amount) for ln in tax_lines] == [
            ("CA State Tax" if state == "CA" else "WA State", tax)
        ]


# -- the settings against the company's cached lists ------------------------------------------------------
CACHED = {
    "item_sales_tax": ["WA State", "Out of State", "CA State Tax"],
    "item_sales_tax_group": ["Bayview Combined"],
    "sales_tax_code": ["G", "S", "E", "Z"],
}


@pytest.fixture
def cached_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.dal.company_lists import CachedRecord
    from chalicelib.sync import tax_lists

    def records(connection_id: str, kind: str) -> list[CachedRecord]:
        return [CachedRecord(kind, f"id-{n}", n, n, True, {}) for n in CACHED.get(kind, [])]

    monkeypatch.setattr(tax_lists.company_lists, "list_records", records)


@pytest.mark.usefixtures("cached_lists")
def test_tax_names_are_checked_against_the_cached_lists() -> None:
    from chalicelib.sync.tax_lists import tax_settings_problems

    assert tax_settings_problems("c", STORE) == {}
    store_group = dataclasses.replace(STORE, state_tax_items={"CA": "bayview combined", "NY": "NY Tax"})
    problems = tax_settings_problems("c", store_group)
    assert "single sales tax items on lines" in problems["settings.state_tax_items.CA"]
    assert problems["settings.state_tax_items.NY"] == "'NY Tax' is not a sales tax item in this company file"
    # QuickBooks computes: a group is fine on the header, except as the zero-rate item
    computes = dataclasses.replace(
        store_group, tax_mode=TaxMode.QUICKBOOKS, zero_rate_tax_item="Bayview Combined"
    )
    assert set(tax_settings_problems("c", computes)) == {
        "settings.state_tax_items.NY",
        "settings.zero_rate_tax_item",
    }
    codes = dataclasses.replace(CA, province_tax_codes={"ON": "H", "BC": "S"}, rate_tax_codes={"5": "G"})
    assert tax_settings_problems("c", codes) == {
        "settings.province_tax_codes.ON": "'H' is not a sales tax code in this company file"
    }
    liability = dataclasses.replace(STORE, marketplace_tax=MarketplaceTax.LIABILITY)
    assert "settings.marketplace_tax_item" in tax_settings_problems("c", liability)


def test_a_mapped_jurisdiction_tax_line_is_a_line_of_its_own_item() -> None:
    order = order_with(
        shipping_address=Address(state="CA", country="US"),
        tax_lines=(
            TaxLine("CA State Tax", Decimal("0.73"), Decimal("7.25")),
            TaxLine("Los Angeles County Tax", Decimal("0.23"), Decimal("2.25")),
            TaxLine("Special District", Decimal("0.04"), Decimal("0.4")),
        ),
        total=Decimal("11.00"),
    )
    settings_ = dataclasses.replace(STORE, jurisdiction_tax_items={"LOS ANGELES COUNTY TAX": "LA County Tax"})
    lines = sale_lines(order, settings_, country="US")[1:]
    assert [(ln.item, ln.description, ln.amount) for ln in lines] == [
        ("LA County Tax", "Los Angeles County Tax", Decimal("0.23")),
        ("CA State Tax", "CA State Tax, Special District (CA)", Decimal("0.77")),
    ]
    # every line mapped: no state item needed
    everything = dataclasses.replace(
        settings_,
        state_tax_items={},
        sales_tax_item="",
        jurisdiction_tax_items={t.title.upper(): "LA County Tax" for t in order.tax_lines},
    )
    assert {ln.item for ln in sale_lines(order, everything, country="US")[1:]} == {"LA County Tax"}
    parsed = parse_settings({**GOOD, "jurisdiction_tax_items": {" Los Angeles County Tax ": "LA County Tax"}})
    assert dict(parsed.jurisdiction_tax_items) == {"LOS ANGELES COUNTY TAX": "LA County Tax"}
    assert settings_from_json(settings_to_json(parsed)) == parsed


def test_settings_saved_before_tax_modes_keep_quickbooks_computing() -> None:
    saved = settings_to_json(parse_settings({"accounts": {"deposit": "Undeposited Funds"}}))
    assert settings_from_json(saved).tax_mode is TaxMode.STORE  # saved now: the new default, kept
    del saved["tax_mode"]
    assert settings_from_json(saved).tax_mode is TaxMode.QUICKBOOKS  # a channel saved before this change
