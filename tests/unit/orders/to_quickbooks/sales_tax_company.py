"""A US sample company with a sales tax item and agency per state, and generated store orders with their
store-computed tax (for the sales tax tests: reconcile, simulator, e2e)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from lxml import etree

from chalicelib.orders.model import (
    Address,
    Customer,
    Discount,
    Fee,
    Order,
    OrderLine,
    ShippingLine,
    TaxLine,
)
from chalicelib.orders.settings import Accounts, ChannelSettings
from chalicelib.orders.tax_settings import TaxMode
from ledgerbridge.simulators.company import CompanySimulator

CENT = Decimal("0.01")
# state -> (sales tax item, its rate in QuickBooks, the agency); the store charges its own (local) rates.
STATE_TAX: dict[str, tuple[str, str, str]] = {
    "CA": ("CA State Tax", "7.25", "CA Dept. of Tax and Fee Admin."),
    "NY": ("NY State Tax", "4.0", "New York State Dept. of Taxation"),
    "TX": ("TX State Tax", "6.25", "Texas Comptroller of Public Accounts"),
    "WA": ("WA State", "6.5", "Washington State Dept. of Revenue"),  # in the sample company already
}
# A district tax the store reports on its own tax line (CA district taxes are paid to the same agency).
COUNTY = ("Los Angeles County Tax", "LA County Tax", "2.25")
STORE_RATES: dict[str, tuple[str, ...]] = {
    "CA": ("7.25", "8.25", "9.5", "10.25"),
    "NY": ("4", "8", "8.875"),
    "TX": ("6.25", "8.25"),
    "WA": ("6.5", "9.2", "10.25"),
    "OR": ("0",),  # no sales tax
}
SETTINGS = ChannelSettings(
    accounts=Accounts(deposit="Undeposited Funds", receivable="Accounts Receivable"),
    tax_mode=TaxMode.STORE,
    zero_rate_tax_item="Out of State",
    state_tax_items={state: item for state, (item, _, _) in STATE_TAX.items()},
    jurisdiction_tax_items={COUNTY[0].upper(): COUNTY[1]},
    shipping_item="Shipping",
    discount_item="Coupon $5",
    fee_item="Rush Handling",
)
CUSTOMER = "Walk-in Customer"  # in the sample company
ITEM = "Catalog Special Order"  # a taxable non-inventory item of the sample company, any price


def _xml(tag: str, text: str) -> str:
    return f"<{tag}>{escape(text)}</{tag}>"


def add_state_tax_items(company: CompanySimulator) -> None:
    """One agency (vendor) and one sales tax item per state of STATE_TAX that the sample lacks."""
    requests = []
    for state, (item, rate, agency) in STATE_TAX.items():
        if state == "WA":
            continue
        requests.append(
            f'<VendorAddRq requestID="v{state}"><VendorAdd>{_xml("Name", agency)}</VendorAdd></VendorAddRq>'
        )
        requests.append(
            f'<ItemSalesTaxAddRq requestID="i{state}"><ItemSalesTaxAdd>{_xml("Name", item)}'
            f"{_xml('ItemDesc', f'{state} sales tax')}{_xml('TaxRate', rate)}"
            f"<TaxVendorRef>{_xml('FullName', agency)}</TaxVendorRef></ItemSalesTaxAdd></ItemSalesTaxAddRq>"
        )
    requests.append(
        f'<ItemSalesTaxAddRq requestID="county"><ItemSalesTaxAdd>{_xml("Name", COUNTY[1])}'
        f"{_xml('TaxRate', COUNTY[2])}<TaxVendorRef>{_xml('FullName', STATE_TAX['CA'][2])}</TaxVendorRef>"
        "</ItemSalesTaxAdd></ItemSalesTaxAddRq>"
    )
    answer = etree.fromstring(company.process(message_set(requests)).encode())
    codes = [rs.get("statusCode") for rs in answer.find("QBXMLMsgsRs")]  # type: ignore[union-attr]
    assert codes == ["0"] * len(requests), codes


def message_set(requests: list[str]) -> str:
    body = "".join(requests)
    return (
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
        f'<QBXMLMsgsRq onError="continueOnError">{body}</QBXMLMsgsRq></QBXML>'
    )


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def generated_order(rng: random.Random, index: int) -> Order:
    """A store order shipped to a random state, taxed by the store at one of that state's (local) rates:
    per line (each line's tax rounded, as Shopify and WooCommerce do) or on the order's taxable total."""
    state = rng.choice(sorted(STORE_RATES))
    rate = Decimal(rng.choice(STORE_RATES[state]))
    per_line = rng.random() < 0.5
    lines = []
    for n in range(rng.randint(1, 4)):
        price = Decimal(rng.randint(1, 40000)) / 100
        quantity = Decimal(rng.randint(1, 3))
        discount = _money(price * quantity * Decimal(rng.choice((0, 0, 5, 10))) / 100)
        taxable = rng.random() < 0.85
        base = _money(price * quantity) - discount
        tax = _money(base * rate / 100) if per_line and taxable else Decimal(0)
        lines.append(OrderLine(str(n + 1), f"SKU-{n}", f"Item {n}", quantity, price, discount, tax, taxable))
    shipping: tuple[ShippingLine, ...] = ()
    if rng.random() < 0.6:
        price = Decimal(rng.randint(0, 2500)) / 100
        shipping = (ShippingLine("Ground", price, _money(price * rate / 100) if per_line else Decimal(0)),)
    discounts = (Discount("SAVE", Decimal(rng.randint(1, 500)) / 100),) if rng.random() < 0.2 else ()
    fees = (Fee("Handling", Decimal(rng.randint(1, 300)) / 100),) if rng.random() < 0.1 else ()
    if per_line:
        tax_lines: tuple[TaxLine, ...] = ()
    else:
        taxable_total = sum((ln.amount - ln.discount for ln in lines if ln.taxable), Decimal(0))
        taxable_total -= sum((d.amount for d in discounts), Decimal(0)) if taxable_total else Decimal(0)
        tax = _money(max(taxable_total, Decimal(0)) * rate / 100)
        tax_lines = (TaxLine(f"{state} Tax", tax, rate),) if tax else ()
        if tax and state == "CA" and rate > Decimal("7.25"):  # the state's part and the county's, as Shopify
            state_part = _money(max(taxable_total, Decimal(0)) * Decimal("7.25") / 100)
            tax_lines = (
                TaxLine("CA State Tax", state_part, Decimal("7.25")),
                TaxLine(COUNTY[0], tax - state_part, rate - Decimal("7.25")),
            )
    created = datetime(2026, 3, 1, 12, tzinfo=UTC)
    order = Order(
        order_id=f"g-{index}",
        number=f"G{index}",
        created_at=created,
        updated_at=created,
        currency="USD",
        customer=Customer(first_name="Gen", last_name=f"Buyer {index}"),
        billing_address=Address(state=state, country="US"),
        shipping_address=Address(state=state, country="US"),
        lines=tuple(lines),
        total=Decimal(0),
        shipping_lines=shipping,
        discounts=discounts,
        tax_lines=tax_lines,
        fees=fees,
    )
    if order.computed_total - order.tax_total <= 0:  # discounts beyond the goods: no discount
        order = dataclasses.replace(order, discounts=())
    return dataclasses.replace(order, total=order.computed_total)
