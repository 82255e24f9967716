"""The totals check, and which parts of an order QuickBooks should tax with which code."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.qbxml.text import SALES_TAX_CODE_NAME, SALES_TAX_CODE_NAME_AU

from ..model import Order, OrderLine
from ..settings import ChannelSettings
from .errors import OrderNotPostable, TotalsMismatch
from .identity import COUNTRIES

__all__ = ["Tax", "check_country", "check_totals", "tax_codes"]


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
    limit = SALES_TAX_CODE_NAME_AU if country == "AU" else SALES_TAX_CODE_NAME
    for code in codes:
        if len(code) > limit:
            raise OrderNotPostable(
                f"The tax code {code!r} in the channel settings is longer than the {limit} "
                "characters QuickBooks allows; choose a code from the company's list."
            )
    return codes


class Tax:
    """Which parts of an order QuickBooks should tax, and the code for each."""

    def __init__(self, order: Order, settings: ChannelSettings, country: str) -> None:
        check_country(country)
        self.country = country
        self.has_tax = order.tax_total != 0
        self.detailed = (
            any(ln.tax for ln in order.lines)
            or any(s.tax for s in order.shipping_lines)
            or any(f.tax for f in order.fees)
        )
        self.taxable_code, self.exempt_code = tax_codes(settings, country)
        self.header_item = settings.sales_tax_item if country == "US" else ""

    def code(self, taxable: bool) -> str:
        return self.taxable_code if taxable else self.exempt_code

    def line(self, line: OrderLine) -> bool:
        if not self.has_tax:
            return False
        return line.tax > 0 if self.detailed else line.taxable

    def other(self, tax: Decimal) -> bool:
        """Shipping and fees: taxable only when the store says it taxed them."""
        return self.has_tax and self.detailed and tax > 0
