"""The totals check, and how an order's sales tax reaches QuickBooks: which parts QuickBooks taxes with
which code, the header tax item, and the store's tax as a line (docs/accounting/sales-tax.md).

US files (`settings.tax_mode`):

* **store** (the default): QuickBooks' total is the store's total. The header's ItemSalesTaxRef is
  `zero_rate_tax_item` (a 0% sales tax item such as "Out of State"), so QuickBooks adds no tax of its
  own, and the order's tax is the last line: a sales tax item (the ship-to state's in
  `state_tax_items`, else `sales_tax_item`) with the store's amount. QuickBooks posts a sales tax item's
  line to Sales Tax Payable against that item's tax agency (Intuit's ItemSalesTaxAdd reference: "Taxes
  can be reflected in transaction line items ... only single tax items can be used", and a tax line
  that supplies its own amount keeps it). A store tax line whose title `jurisdiction_tax_items` maps
  (e.g. a county's) is a line of its own item. Without a zero-rate item every line is non-taxable, which
  also leaves QuickBooks' own tax at zero (but reports the sales as non-taxable).
* **quickbooks**: QuickBooks computes the tax: ItemSalesTaxRef = the ship-to state's item or group in
  `state_tax_items`, else `sales_tax_item` (else the company's default), lines taxable or not by
  `taxable_code` / `non_taxable_code`. Its total can differ from the store's; the sync then flags the
  order (settle_orders' total_difference).

CA/UK/AU files: each taxable line's code is the ship-to province's in `province_tax_codes`, else the
code of the line's rate in `rate_tax_codes` (percent), else `tax_code`; untaxed lines `exempt_tax_code`.

Marketplace-facilitator orders (`Order.tax_collected_by_marketplace`: the marketplace collected and
remits the tax): every line is non-taxable, and the tax is dropped (`marketplace_tax` "drop": the sale
is the order less that tax) or posted as a line of `marketplace_tax_item` ("liability").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.qbxml.text import SALES_TAX_CODE_NAME, SALES_TAX_CODE_NAME_AU
from chalicelib.qbxml.transactions import SaleLine

from ..model import Order, OrderLine
from ..settings import ChannelSettings
from ..tax_settings import MarketplaceTax, TaxMode, rate_key
from .errors import OrderNotPostable, TotalsMismatch
from .identity import COUNTRIES

__all__ = [
    "Tax",
    "check_country",
    "check_totals",
    "expected_total",
    "posted_total",
    "ship_to_state",
    "tax_codes",
]

_HALF_CENT = Decimal("0.005")


def check_totals(order: Order) -> None:
    """Raise TotalsMismatch unless lines + shipping + fees + tax - discounts == order.total exactly."""
    computed = order.computed_total
    expected = order.total
    if computed != expected:
        raise TotalsMismatch(computed - expected, computed, expected)


def check_country(country: str) -> None:
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}, got {country!r}")


def tax_codes(settings: ChannelSettings, country: str) -> tuple[str, str]:
    """(taxable code, non-taxable code) for the company's country, checked for length."""
    check_country(country)
    if country == "US":
        codes = (settings.taxable_code, settings.non_taxable_code)
    else:
        codes = (settings.tax_code, settings.exempt_tax_code)
    _check_code_lengths(codes, country)
    return codes


def _check_code_lengths(codes: tuple[str, ...], country: str) -> None:
    limit = SALES_TAX_CODE_NAME_AU if country == "AU" else SALES_TAX_CODE_NAME
    for code in codes:
        if len(code) > limit:
            raise OrderNotPostable(
                f"The tax code {code!r} in the channel settings is longer than the {limit} "
                "characters QuickBooks allows; choose a code from the company's list."
            )


def ship_to_state(order: Order) -> str:
    """The state or province the order ships to (else its billing one), upper case; "" when neither says."""
    state = order.shipping_address.state.strip() or order.billing_address.state.strip()
    return state.upper()


def _drops_tax(order: Order, settings: ChannelSettings) -> bool:
    return order.tax_collected_by_marketplace and settings.marketplace_tax == MarketplaceTax.DROP


def posted_total(order: Order, settings: ChannelSettings) -> Decimal:
    """The total QuickBooks records for the order's sale: the order's, less tax a marketplace collected when
    the settings drop it."""
    return order.total - order.tax_total if _drops_tax(order, settings) else order.total


def _order_rate(order: Order) -> Decimal | None:
    """The order's combined tax rate (percent) when every tax line gives one, e.g. GST 5 + PST 7 = 12."""
    if not order.tax_lines or any(t.rate is None for t in order.tax_lines):
        return None
    return sum((t.rate for t in order.tax_lines if t.rate is not None), Decimal(0))


def expected_total(stored_total: Any, order: Order, settings: ChannelSettings) -> Any:
    """What the sale's total in QuickBooks should be, to compare with the one it records: the stored order's
    total, or the posted total when marketplace tax is dropped (so such a sale is not flagged)."""
    return format(posted_total(order, settings), "f") if _drops_tax(order, settings) else stored_total


class Tax:
    """Which parts of an order QuickBooks should tax, with which code, and the order's tax as lines."""

    def __init__(self, order: Order, settings: ChannelSettings, country: str) -> None:
        check_country(country)
        self.order = order
        self.settings = settings
        self.country = country
        self.state = ship_to_state(order)
        self.marketplace = order.tax_collected_by_marketplace
        self.has_tax = order.tax_total != 0 and not self.marketplace
        self.detailed = (
            any(ln.tax for ln in order.lines)
            or any(s.tax for s in order.shipping_lines)
            or any(f.tax for f in order.fees)
        )
        self.taxable_code, self.exempt_code = tax_codes(settings, country)
        self.store_mode = country == "US" and settings.tax_mode == TaxMode.STORE
        self.state_item = settings.state_tax_items.get(self.state, "") if self.state else ""
        self.header_item = ""
        if country == "US":
            if self.store_mode and settings.zero_rate_tax_item:
                self.header_item = settings.zero_rate_tax_item
            else:
                self.header_item = (
                    settings.sales_tax_item if self.store_mode else self.state_item or settings.sales_tax_item
                )
            # Store mode without a zero-rate header item: no line is taxable, so QuickBooks adds nothing.
            if self.store_mode and not settings.zero_rate_tax_item:
                self.has_tax = False
        self.province_code = ""
        self.order_rate = _order_rate(order)
        if country != "US":
            self.province_code = settings.province_tax_codes.get(self.state, "") if self.state else ""
            _check_code_lengths((self.province_code, *settings.rate_tax_codes.values()), country)

    # -- codes ------------------------------------------------------------------------------------------
    def code(self, taxable: bool, tax: Decimal | None = None, base: Decimal | None = None) -> str:
        """The code of a line QuickBooks should (not) tax; in CA/UK/AU files chosen by province or by the rate
        of `tax` on `base` (else the order's rate)."""
        if not taxable:
            return self.exempt_code
        if self.country == "US":
            return self.taxable_code
        return self.province_code or self._rate_code(tax, base) or self.taxable_code

    def _rate_code(self, tax: Decimal | None, base: Decimal | None) -> str:
        codes = self.settings.rate_tax_codes
        if not codes:
            return ""
        if tax and base:
            # The configured rate whose tax on the base, to the cent, is the store's (closest first).
            fits = []
            for key, code in codes.items():
                expected = base * Decimal(key) / 100
                if abs(expected - tax) <= _HALF_CENT:
                    fits.append((abs(expected - tax), code))
            if fits:
                return min(fits)[1]
            return ""
        order_key = rate_key(self.order_rate) if self.order_rate is not None else None
        return codes.get(order_key, "") if order_key is not None else ""

    def line(self, line: OrderLine) -> bool:
        if not self.has_tax:
            return False
        return line.tax > 0 if self.detailed else line.taxable

    def other(self, tax: Decimal) -> bool:
        """Shipping and fees: taxable only when the store says it taxed them."""
        return self.has_tax and self.detailed and tax > 0

    # -- the tax as lines ---------------------------------------------------------------------------------
    def tax_item(self) -> str:
        """The sales tax item the store's tax is a line of (store mode)."""
        item = self.state_item or self.settings.sales_tax_item
        if not item.strip():
            where = f"the ship-to state {self.state}" if self.state else "an order without a ship-to state"
            raise OrderNotPostable(
                f"The order's sales tax ({self.order.tax_total:.2f}) goes to QuickBooks as a line of a sales "
                f"tax item, and none is set for {where}; map the state in the channel's state tax items or "
                "set its sales tax item."
            )
        return item

    def amount_line(self, amount: Decimal, description: str) -> list[SaleLine]:
        """The line that carries `amount` of the store's tax (none for zero or when QuickBooks computes it)."""
        if not amount:
            return []
        if self.marketplace:
            if self.settings.marketplace_tax == MarketplaceTax.DROP:
                return []
            item = self.settings.marketplace_tax_item
            if not item.strip():
                raise OrderNotPostable(
                    "The marketplace collected this order's sales tax, and the channel posts such tax to a "
                    "liability item; choose the marketplace tax item in the channel settings."
                )
            return [
                SaleLine(
                    item=item,
                    description=f"{description} collected by the marketplace",
                    amount=amount,
                    sales_tax_code=self.exempt_code,
                    class_name=self.settings.class_name,
                )
            ]
        if not self.store_mode:
            return []
        return [
            SaleLine(
                item=self.tax_item(),
                description=description,
                amount=amount,
                class_name=self.settings.class_name,
            )
        ]

    def lines(self) -> list[SaleLine]:
        """The sale's tax lines (store mode, or a marketplace's tax posted to a liability item): one per store
        tax line `jurisdiction_tax_items` maps (by title), then the rest as one line of the state's item."""
        out: list[SaleLine] = []
        rest = self.order.tax_total
        titles: set[str] = set()
        by_title = self.settings.jurisdiction_tax_items if self.store_mode and not self.marketplace else {}
        for tax_line in self.order.tax_lines:
            item = by_title.get(tax_line.title.strip().upper())
            if item and tax_line.amount:
                out.append(
                    SaleLine(
                        item=item,
                        description=tax_line.title,
                        amount=tax_line.amount,
                        class_name=self.settings.class_name,
                    )
                )
                rest -= tax_line.amount
            elif tax_line.title:
                titles.add(tax_line.title)
        state = f" ({self.state})" if self.state and self.country == "US" else ""
        description = (", ".join(sorted(titles)) or "Sales tax")[:200] + state
        return out + self.amount_line(rest, description)
