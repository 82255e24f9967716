"""Orders in a currency other than the company's home currency (QuickBooks Desktop's Multiple Currencies).

What QuickBooks requires (13.0 schema; Intuit, "Using the multicurrency feature with the SDK"; QuickBooks Desktop
help, "Multicurrency and files updated from earlier versions"):

* A company file reports its preference in PreferencesRet/MultiCurrencyPreferences: IsMultiCurrencyOn and
  HomeCurrencyRef (a Currency list record, named like "US Dollar"). It cannot be turned off once on.
* Every customer, and every bank, A/R, A/P and credit card account, has exactly one currency (the home currency for
  those that existed when multicurrency was turned on). A sale takes its customer's currency; its A/R account
  (invoices, credit memos, payments) and deposit account (sales receipts, payments) must be in that currency too.
  A customer in another currency is a separate customer ("Add a new, separate customer ... for each currency").
* CustomerAdd/CurrencyRef sets a new customer's currency; the sales adds' ExchangeRate (FLOATTYPE: home-currency
  units per one unit of the transaction currency) sets the rate, else QuickBooks uses the currency's own rate.

What Ledgerbridge does (docs/accounting/multicurrency.md):

* An order in the home currency, or that names no currency, is posted as it always was (`foreign_currency` answers
  None and nothing here touches its requests).
* A foreign-currency order in a file without multicurrency (or where the preference is not known yet) is refused
  with `OrderNotPostable` naming the currency, before anything is sent: QuickBooks would otherwise record its
  amounts as home-currency amounts.
* In a multicurrency file it goes to a customer in its currency: `settings.currency_customers[code]` when set;
  with store_currency matching the customer named for the store and currency; else the matched customer's name
  with " (EUR)" after it (cut to QuickBooks' 41 characters), created in that currency when new (`customer_in_currency`).
  Invoices and credit memos use `settings.receivable_accounts[code]` (else no ARAccountRef: QuickBooks' A/R
  account in that currency); sales receipts and payments need `settings.deposit_accounts[code]`; the order's
  `exchange_rate` becomes ExchangeRate (else none: QuickBooks' rate). `in_currency` applies all that to the built
  requests in 13.0 schema order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from chalicelib.qbxml.text import CUSTOMER_NAME

from ..model import Order
from ..settings import ChannelSettings
from .errors import OrderNotPostable

__all__ = [
    "EDITION_HOME_CURRENCY",
    "QUICKBOOKS_CURRENCY_NAMES",
    "CompanyCurrency",
    "CurrencyPosting",
    "currency_customer_name",
    "customer_in_currency",
    "foreign_currency",
    "format_exchange_rate",
    "in_currency",
]

# QuickBooks' built-in currencies (CurrencyRet Name and CurrencyCode) that stores sell in most. A currency's
# CurrencyRef is sent by this Name; a code not here is refused with a message rather than guessed.
QUICKBOOKS_CURRENCY_NAMES: dict[str, str] = {
    "USD": "US Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
    "SEK": "Swedish Krona",
    "NOK": "Norwegian Krone",
    "DKK": "Danish Krone",
    "MXN": "Mexican Peso",
    "HKD": "Hong Kong Dollar",
    "SGD": "Singapore Dollar",
    "INR": "Indian Rupee",
    "ZAR": "South African Rand",
}
_CODE_OF_NAME = {name.casefold(): code for code, name in QUICKBOOKS_CURRENCY_NAMES.items()}
# The currency of a file without multicurrency is its edition's (HostRet/Country).
EDITION_HOME_CURRENCY: dict[str, str] = {"US": "USD", "CA": "CAD", "UK": "GBP", "AU": "AUD"}
_MULTICURRENCY_HELP = (
    "QuickBooks: Edit > Preferences > Multiple Currencies (it cannot be turned off again), then run the Web "
    "Connector so Ledgerbridge reads it"
)


@dataclass(frozen=True)
class CompanyCurrency:
    """What the company file reported: multicurrency on (True), off (False) or not reported (None); its home
    currency as an ISO code ("" when QuickBooks named one Ledgerbridge does not know: `home_name`)."""

    multicurrency: bool | None
    home_currency: str
    home_name: str = ""

    @classmethod
    def of_company(cls, company: Mapping[str, Any] | None, country: str) -> CompanyCurrency:
        """From the connection's stored company info (`multicurrency`, `home_currency` as QuickBooks named it)."""
        info = company or {}
        on = info.get("multicurrency")
        name = str(info.get("home_currency") or "")
        edition = EDITION_HOME_CURRENCY.get(country, "")
        if on is True and name:
            return cls(True, _CODE_OF_NAME.get(name.casefold(), ""), name)
        return cls(on if isinstance(on, bool) else None, edition, name)


@dataclass(frozen=True)
class CurrencyPosting:
    """How a foreign-currency order is posted: its currency (code and QuickBooks name), its customer, the rate
    from the order (None: QuickBooks'), and the A/R and deposit accounts in that currency ("": not set)."""

    code: str
    name: str
    customer: str
    exchange_rate: Decimal | None
    receivable_account: str
    deposit_account: str


def currency_customer_name(customer: str, code: str) -> str:
    """`customer` with " (EUR)" after it, the name cut so the whole fits QuickBooks' 41 characters."""
    suffix = f" ({code})"
    return customer[: CUSTOMER_NAME - len(suffix)].rstrip(" ,-") + suffix


def _needs_deposit(settings: ChannelSettings, order: Order) -> bool:
    if settings.transaction_type == "sales_receipt":
        return True
    return (
        settings.transaction_type == "sales_order_invoice_payment" and min(order.paid_amount, order.total) > 0
    )


def foreign_currency(
    order: Order,
    settings: ChannelSettings,
    company: CompanyCurrency,
    *,
    customer: str,
    needs_deposit: bool | None = None,
) -> CurrencyPosting | None:
    """None when the order is in the home currency; otherwise how to post it, or OrderNotPostable with the
    reason in the merchant's words. `customer` is the customer the settings match the order to
    (`customer_name`); `needs_deposit`: whether one of its documents deposits money (a sales receipt or a
    payment; None: judged from the transaction type)."""
    code = order.currency.upper()
    if code == company.home_currency:
        return None
    home = company.home_currency or company.home_name or "its home currency"
    if company.multicurrency is None:
        raise OrderNotPostable(
            f"The order is in {code}, and Ledgerbridge does not know yet whether this QuickBooks company file uses "
            f"multiple currencies (home currency {home}). Run the Web Connector once, then retry the order."
        )
    if company.multicurrency is False:
        raise OrderNotPostable(
            f"The order is in {code}, but this QuickBooks company file does not use multiple currencies: its "
            f"amounts would be recorded as {home}. Turn on multicurrency in {_MULTICURRENCY_HELP}; or have the "
            f"store send orders in {home}."
        )
    if not company.home_currency:
        raise OrderNotPostable(
            f"The order is in {code}, and this QuickBooks company file's home currency is "
            f"{company.home_name!r}, which Ledgerbridge does not recognise, so it cannot tell whether the order "
            "is in a foreign currency."
        )
    name = QUICKBOOKS_CURRENCY_NAMES.get(code)
    if name is None:
        raise OrderNotPostable(
            f"The order is in {code}, a currency Ledgerbridge cannot name in QuickBooks (it knows "
            f"{', '.join(sorted(QUICKBOOKS_CURRENCY_NAMES))})."
        )
    matched = settings.currency_customers.get(code, "")
    if not matched:
        if settings.customer_matching == "store_currency":
            matched = customer  # already one customer per store and currency
        elif ":" in customer:
            raise OrderNotPostable(
                f"The order is in {code}, and its customer {customer!r} is a sub-customer, which takes its "
                f"parent's currency; choose a customer for {code} orders (currency_customers) in the channel "
                "settings."
            )
        else:
            matched = currency_customer_name(customer, code)
    deposit = settings.deposit_accounts.get(code, "")
    if needs_deposit is None:
        needs_deposit = _needs_deposit(settings, order)
    if not deposit and needs_deposit:
        raise OrderNotPostable(
            f"The order is in {code}, and QuickBooks deposits a {code} payment only to an account in {code}; "
            f"choose the deposit account for {code} (deposit_accounts) in the channel settings."
        )
    return CurrencyPosting(
        code=code,
        name=name,
        customer=matched,
        exchange_rate=order.exchange_rate,
        receivable_account=settings.receivable_accounts.get(code, ""),
        deposit_account=deposit,
    )


def format_exchange_rate(rate: Decimal) -> str:
    """ExchangeRate (FLOATTYPE) as plain digits: never an exponent."""
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"an exchange rate must be a positive number, got {rate}")
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# The 13.0 schema's sequence of each add, from the first element that comes after the one we insert: an inserted
# element goes before the first of these the add already has (else at the end).
_AFTER_EXCHANGE_RATE_SALE = (
    "ExternalGUID",
    "LinkToTxnID",
    "SetCredit",
    "SalesReceiptLineAdd",
    "SalesReceiptLineGroupAdd",
    "InvoiceLineAdd",
    "InvoiceLineGroupAdd",
    "SalesOrderLineAdd",
    "SalesOrderLineGroupAdd",
    "CreditMemoLineAdd",
    "CreditMemoLineGroupAdd",
    "DiscountLineAdd",
    "SalesTaxLineAdd",
    "ShippingLineAdd",
)
_AFTER: dict[str, dict[str, tuple[str, ...]]] = {
    "SalesReceiptAdd": {
        "ExchangeRate": _AFTER_EXCHANGE_RATE_SALE,
        "DepositToAccountRef": ("CreditCardTxnInfo", "ExchangeRate", *_AFTER_EXCHANGE_RATE_SALE),
    },
    "InvoiceAdd": {
        "ExchangeRate": _AFTER_EXCHANGE_RATE_SALE,
        "ARAccountRef": ("TemplateRef", "TxnDate"),
    },
    "SalesOrderAdd": {"ExchangeRate": _AFTER_EXCHANGE_RATE_SALE},
    "CreditMemoAdd": {
        "ExchangeRate": _AFTER_EXCHANGE_RATE_SALE,
        "ARAccountRef": ("TemplateRef", "TxnDate"),
    },
    "ReceivePaymentAdd": {
        "ARAccountRef": ("TxnDate",),
        "ExchangeRate": ("PaymentMethodRef", "DepositToAccountRef", "CreditCardTxnInfo", "ExternalGUID"),
        "DepositToAccountRef": ("CreditCardTxnInfo", "ExternalGUID", "IsAutoApply", "AppliedToTxnAdd"),
    },
}


def _place(add: etree._Element, element: etree._Element) -> None:
    """Put `element` where the schema wants it in `add`, replacing one of the same name."""
    old = add.find(element.tag)
    if old is not None:
        add.replace(old, element)
        return
    following = _AFTER[add.tag][str(element.tag)]
    for index, child in enumerate(add):
        if child.tag in following:
            add.insert(index, element)
            return
    add.append(element)


def _ref(tag: str, full_name: str) -> etree._Element:
    ref = etree.Element(tag)
    etree.SubElement(ref, "FullName").text = full_name
    return ref


def in_currency(requests: Sequence[etree._Element], posting: CurrencyPosting) -> None:
    """Make the order's document requests (`*AddRq`) a foreign-currency order's, in place: the customer in the
    currency, the A/R account for the currency (or none: QuickBooks' own in that currency, never the home one
    from the settings), the deposit account in the currency, and the order's exchange rate."""
    for request in requests:
        add = request[0] if len(request) else None
        if add is None or add.tag not in _AFTER:
            continue
        customer = add.find("CustomerRef")
        if customer is not None:
            for child in list(customer):
                customer.remove(child)
            etree.SubElement(customer, "FullName").text = posting.customer
        rules = _AFTER[add.tag]
        if "ARAccountRef" in rules:
            if posting.receivable_account:
                _place(add, _ref("ARAccountRef", posting.receivable_account))
            elif (old := add.find("ARAccountRef")) is not None:
                add.remove(old)
        if "DepositToAccountRef" in rules and posting.deposit_account:
            _place(add, _ref("DepositToAccountRef", posting.deposit_account))
        if posting.exchange_rate is not None:
            rate = etree.Element("ExchangeRate")
            rate.text = format_exchange_rate(posting.exchange_rate)
            _place(add, rate)


def customer_in_currency(request: etree._Element, posting: CurrencyPosting) -> None:
    """A CustomerAddRq for the order's customer made the foreign-currency customer's, in place: its Name and a
    CurrencyRef (the last element of CustomerAdd in the 13.0 schema)."""
    add = request.find("CustomerAdd")
    if add is None:
        raise ValueError("not a CustomerAddRq")
    name = add.find("Name")
    if name is None:  # pragma: no cover - customer_add always writes it
        raise ValueError("a CustomerAdd without a Name")
    name.text = posting.customer
    old = add.find("CurrencyRef")
    if old is not None:
        add.remove(old)
    add.append(_ref("CurrencyRef", posting.name))
