"""A channel's settings for posting its orders to QuickBooks (pure: parsing and validation of shape;
checking names against the company's cached lists happens in the use case)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any, Literal

from chalicelib.validation import EARLIEST, LATEST, text_problem

from .currency_settings import CURRENCY_MAPPINGS, parse_currency_mappings
from .line_settings import LINE_CHOICES, LINE_MAPPINGS, LINE_TEXT_FIELDS, BundleMode, parse_line_mappings
from .summary_settings import (
    SUMMARY_FIELDS,
    SummaryMode,
    SummaryRefunds,
    parse_summary_settings,
    summary_problems,
    summary_values_from_json,
)
from .tax_settings import (
    TAX_CHOICES,
    TAX_MAPPINGS,
    TAX_TEXT_FIELDS,
    MarketplaceTax,
    TaxMode,
    parse_tax_mappings,
    tax_values_from_json,
)

TransactionType = Literal["sales_receipt", "invoice", "sales_order", "sales_order_invoice_payment"]
TRANSACTION_TYPES: tuple[TransactionType, ...] = (
    "sales_receipt",
    "invoice",
    "sales_order",
    "sales_order_invoice_payment",
)


class CustomerMatching(StrEnum):
    """How an order finds its QuickBooks customer (the customer's Name: 41 characters, no ':'); examples for
    John T. Smith <john@x.com> of Acme LLC. See `chalicelib.orders.quickbooks.names.customer_name` and
    docs/accounting/customer-matching.md."""

    SINGLE_CUSTOMER = "single_customer"  # every order: `single_customer` ("Web Store")
    LAST_FIRST = "last_first"  # "Smith, John"
    FIRST_LAST = "first_last"  # "John Smith"
    LAST_FIRST_EMAIL = "last_first_email"  # "Smith, John - john@x.com"
    FIRST_LAST_EMAIL = "first_last_email"  # "John Smith - john@x.com"
    LAST_FIRST_MIDDLE = "last_first_middle"  # "Smith, John T" (the initial when the store gives one)
    FIRST_MIDDLE_LAST = "first_middle_last"  # "John T Smith"
    COMPANY = "company"  # the customer's company, else the billing company ("Acme LLC")
    BILLING_COMPANY_OR_NAME = "billing_company_or_name"  # billing company, else "Smith, John"
    SHIPPING_COMPANY_OR_NAME = "shipping_company_or_name"  # shipping company, else its "Last, First"
    EMAIL = "email"  # "john@x.com"
    # `single_customer` (else "Web Store") and the order's currency: "Web Store USD"
    STORE_CURRENCY = "store_currency"
    # "Smith, John" when that QuickBooks customer's e-mail is the order's (or it is new), else `fallback_customer`
    NAME_EMAIL_MATCH = "name_email_match"


CUSTOMER_MATCHING: tuple[CustomerMatching, ...] = tuple(CustomerMatching)
ProductMatching = Literal["name", "full_name", "manufacturer_part_number"]
PRODUCT_MATCHING: tuple[ProductMatching, ...] = ("name", "full_name", "manufacturer_part_number")
MissingItems = Literal["create_non_inventory", "create_inventory", "fail"]
MISSING_ITEMS: tuple[MissingItems, ...] = ("create_non_inventory", "create_inventory", "fail")
OrderNumberSource = Literal["number", "id"]
# What a channel moves: store orders into QuickBooks, QuickBooks quantities to the store, QuickBooks sales to
# ShipStation (with tracking written back).
Direction = Literal["orders_to_quickbooks", "inventory_to_store", "quickbooks_to_shipstation"]
DIRECTIONS: tuple[Direction, ...] = (
    "orders_to_quickbooks",
    "inventory_to_store",
    "quickbooks_to_shipstation",
)
SaleSource = Literal["sales_order", "invoice"]
ShippingCostTarget = Literal["memo", "line"]


@dataclass(frozen=True)
class Accounts:
    """Account full names (or ListIDs) from the company's chart of accounts."""

    deposit: str = ""  # required: where payments land (Undeposited Funds is typical)
    income: str = ""  # items Ledgerbridge creates
    cogs: str = ""  # inventory items Ledgerbridge creates
    asset: str = ""  # inventory items Ledgerbridge creates
    discount: str = ""  # the discount item, when Ledgerbridge creates it
    receivable: str = ""  # invoices (QuickBooks' default A/R account when empty)


@dataclass(frozen=True)
class ChannelSettings:
    transaction_type: TransactionType = "sales_receipt"
    accounts: Accounts = field(default_factory=Accounts)
    customer_matching: CustomerMatching = CustomerMatching.LAST_FIRST
    single_customer: str = ""  # the customer for every order with single_customer; fallback otherwise
    fallback_customer: str = "Online Customer"
    # New customers Ledgerbridge adds: their customer type, terms and sales tax code by billing (else shipping)
    # state or province, e.g. {"CA": "Tax", "OR": "Non"} (names in the company's lists; "" / {}: not set).
    customer_type: str = ""
    customer_terms: str = ""
    customer_tax_codes: Mapping[str, str] = field(default_factory=dict)
    product_matching: ProductMatching = "name"
    missing_items: MissingItems = "create_non_inventory"
    shipping_item: str = "Shipping"
    discount_item: str = "Discount"
    fee_item: str = "Fees"
    payment_methods: Mapping[str, str] = field(default_factory=dict)  # gateway or method -> QB method
    default_payment_method: str = ""
    # An invoice gets one ReceivePayment per store payment (docs/accounting/paid-invoices.md).
    record_payments: bool = True
    class_name: str = ""
    order_number_source: OrderNumberSource = "number"
    start_date: date | None = None
    statuses: tuple[str, ...] = ()  # empty: every status
    sales_tax_item: str = ""  # US files: the sales tax item (default: the company preference)
    taxable_code: str = "Tax"  # US files: the taxable sales tax code
    non_taxable_code: str = "Non"
    tax_code: str = ""  # CA/UK/AU files: the tax code for taxable lines
    exempt_tax_code: str = ""  # CA/UK/AU files: the tax code for untaxed lines
    # Sales tax (docs/accounting/sales-tax.md, `chalicelib.orders.quickbooks.tax`): who computes a US order's tax,
    # the tax item per ship-to state, the store mode's 0% header item, tax a marketplace collected, and CA/UK/AU
    # tax codes by ship-to province or by rate (percent).
    tax_mode: TaxMode = TaxMode.STORE
    state_tax_items: Mapping[str, str] = field(default_factory=dict)
    jurisdiction_tax_items: Mapping[str, str] = field(default_factory=dict)  # tax line title -> tax item
    zero_rate_tax_item: str = ""
    marketplace_tax: MarketplaceTax = MarketplaceTax.DROP
    marketplace_tax_item: str = ""
    province_tax_codes: Mapping[str, str] = field(default_factory=dict)
    rate_tax_codes: Mapping[str, str] = field(default_factory=dict)
    # Multicurrency files (docs/accounting/multicurrency.md): per ISO currency code, the customer, A/R account and
    # deposit account of orders in that currency, e.g. {"EUR": "Accounts Receivable - EUR"}.
    currency_customers: Mapping[str, str] = field(default_factory=dict)
    receivable_accounts: Mapping[str, str] = field(default_factory=dict)
    deposit_accounts: Mapping[str, str] = field(default_factory=dict)
    # Product lines (docs/accounting/levels-units-sites-bundles.md, `line_settings`): the price level of every
    # product line, the unit per SKU, the inventory site per store location, and how bundles are posted.
    price_level: str = ""
    units_of_measure: Mapping[str, str] = field(default_factory=dict)
    inventory_sites: Mapping[str, str] = field(default_factory=dict)
    bundles: BundleMode = "item"
    bundle_items: Mapping[str, str] = field(default_factory=dict)
    bundle_adjustment_item: str = ""
    # Summary transactions (docs/accounting/summary-transactions.md, `summary_settings`): one document of
    # `transaction_type` per channel and day, to `summary_customer`, the day counted in `summary_time_zone`.
    summary: SummaryMode = SummaryMode.NONE
    summary_customer: str = ""
    summary_refunds: SummaryRefunds = SummaryRefunds.NET
    summary_time_zone: str = "UTC"
    summary_close_minutes: int = 60
    summary_code: str = ""
    directions: tuple[Direction, ...] = ("orders_to_quickbooks",)
    # Inventory to the store: available = on hand (minus on sales orders); one inventory site or the company.
    subtract_sales_orders: bool = False
    inventory_site: str = ""
    full_inventory_every_minutes: int = 60  # QuickBooks does not date quantity changes made by transactions
    # QuickBooks sales to ShipStation: which transactions, which class ("" = every class), and where the
    # shipping cost ShipStation reports goes (the memo, or a line with the shipping item).
    shipstation_source: SaleSource = "sales_order"
    shipstation_class: str = "ShipStation"
    shipping_cost_to: ShippingCostTarget = "memo"

    def moves(self, direction: Direction) -> bool:
        return direction in self.directions


def settings_to_json(s: ChannelSettings) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(s)
    data["payment_methods"] = dict(s.payment_methods)
    data["customer_tax_codes"] = dict(s.customer_tax_codes)
    data["statuses"] = list(s.statuses)
    data.update({name: dict(getattr(s, name)) for name in TAX_MAPPINGS})
    data.update({name: dict(getattr(s, name)) for name in CURRENCY_MAPPINGS})
    data.update({name: dict(getattr(s, name)) for name in LINE_MAPPINGS})
    data["directions"] = list(s.directions)
    data["start_date"] = s.start_date.isoformat() if s.start_date else None
    return data


# A job keeps its channel's settings in its state (read once when it starts), and the state is written into the
# session's ticket at every round trip, a write unit per KB. Whole, the settings are ~1.4 KB of mostly unset
# values; kept compact they are only the values that differ from a channel saved with nothing set, and the names
# the stored settings lack (a channel saved before a setting existed reads it as that version did).
_LACKING = "~lacking"
# which unset settings the compact form was made against (a deployment may change them)
_UNSET_VERSION = "~unset"


class CompactSettingsStale(ValueError):
    """Compact settings made against other unset values (another version of the code): read the channel again."""


@cache
def _unset_settings() -> dict[str, Any]:
    """(Never changed by its callers: they build new dicts from it.)"""
    import json

    unset: dict[str, Any] = json.loads(json.dumps(settings_to_json(ChannelSettings())))
    return unset


def compact_settings(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The stored settings (as JSON gives them back) in the fewest values `full_settings` makes them again from."""
    unset = _unset_settings()
    compact = {name: value for name, value in stored.items() if name not in unset or unset[name] != value}
    compact.pop(_UNSET_VERSION, None)
    lacking = sorted(name for name in unset if name not in stored)
    if lacking:
        compact[_LACKING] = lacking
    compact[_UNSET_VERSION] = _unset_version()
    return compact


def full_settings(compact: Mapping[str, Any]) -> dict[str, Any]:
    """The stored settings `compact_settings` was given, equal to them; CompactSettingsStale when the compact form
    was made by a version of the code whose unset values differ."""
    if compact.get(_UNSET_VERSION) != _unset_version():
        raise CompactSettingsStale(str(compact.get(_UNSET_VERSION)))
    lacking = set(compact.get(_LACKING, ()))
    full = {name: value for name, value in _unset_settings().items() if name not in lacking}
    full.update((name, value) for name, value in compact.items() if name not in (_LACKING, _UNSET_VERSION))
    return full


@cache
def _unset_version() -> str:
    import json
    import zlib

    return format(zlib.crc32(json.dumps(_unset_settings(), sort_keys=True).encode()), "08x")


class SettingsInvalid(ValueError):
    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = dict(problems)


_ACCOUNT_FIELDS = ("deposit", "income", "cogs", "asset", "discount", "receivable")
_TEXT_FIELDS = {
    "single_customer": 41,
    "fallback_customer": 41,
    "customer_type": 159,
    "customer_terms": 31,
    "shipping_item": 31,
    "discount_item": 31,
    "fee_item": 31,
    "default_payment_method": 31,
    "class_name": 159,
    "sales_tax_item": 31,
    "taxable_code": 3,
    "non_taxable_code": 3,
    "tax_code": 3,
    "exempt_tax_code": 3,
    "inventory_site": 31,
    "shipstation_class": 159,
    **TAX_TEXT_FIELDS,
    **LINE_TEXT_FIELDS,
}
ACCOUNT_NAME_LIMIT = 159  # a FullName of QuickBooks (as class_name and shipstation_class above)
LIST_LIMIT = 100  # entries in payment_methods and statuses
ENTRY_LIMIT = 100  # characters of a store's payment method or status
_FLAGS = ("subtract_sales_orders", "record_payments")
_NUMBERS = {"full_inventory_every_minutes": (5, 10080)}
_CHOICES: dict[str, tuple[str, ...]] = {
    "transaction_type": TRANSACTION_TYPES,
    "customer_matching": CUSTOMER_MATCHING,
    "product_matching": PRODUCT_MATCHING,
    "missing_items": MISSING_ITEMS,
    "order_number_source": ("number", "id"),
    "shipstation_source": ("sales_order", "invoice"),
    "shipping_cost_to": ("memo", "line"),
    **TAX_CHOICES,
    **LINE_CHOICES,
}


def parse_settings(data: Any, *, base: ChannelSettings | None = None) -> ChannelSettings:
    """Settings from JSON (fields not given keep `base`'s values); SettingsInvalid names every bad field."""
    base = base or ChannelSettings()
    problems: dict[str, str] = {}
    if not isinstance(data, Mapping):
        raise SettingsInvalid({"settings": "must be an object"})
    known = (
        set(_TEXT_FIELDS)
        | set(_CHOICES)
        | set(_FLAGS)
        | set(_NUMBERS)
        | set(TAX_MAPPINGS)
        | set(CURRENCY_MAPPINGS)
        | set(LINE_MAPPINGS)
        | set(SUMMARY_FIELDS)
        | {"accounts", "payment_methods", "start_date", "statuses", "directions", "customer_tax_codes"}
    )
    for unknown in sorted(set(data) - known):
        problems[f"settings.{unknown}"] = "unknown field"
    values: dict[str, Any] = {}
    for name, choices in _CHOICES.items():
        if name in data:
            if data[name] not in choices:
                problems[f"settings.{name}"] = f"must be one of {', '.join(choices)}"
            else:
                values[name] = data[name]
    for name, limit in _TEXT_FIELDS.items():
        if name in data:
            value = data[name]
            if not isinstance(value, str):
                problems[f"settings.{name}"] = "must be a string"
            elif len(value.strip()) > limit:
                problems[f"settings.{name}"] = f"must be at most {limit} characters (a QuickBooks limit)"
            elif (problem := text_problem(value)) is not None:
                problems[f"settings.{name}"] = problem
            else:
                values[name] = value.strip()
    for name in _FLAGS:
        if name in data:
            if not isinstance(data[name], bool):
                problems[f"settings.{name}"] = "must be true or false"
            else:
                values[name] = data[name]
    for name, (low, high) in _NUMBERS.items():
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems[f"settings.{name}"] = f"must be a whole number from {low} to {high}"
            else:
                values[name] = value
    if "directions" in data:
        raw = data["directions"]
        if not isinstance(raw, list) or not raw or not all(v in DIRECTIONS for v in raw):
            problems["settings.directions"] = f"must be a non-empty array of {', '.join(DIRECTIONS)}"
        else:
            values["directions"] = tuple(d for d in DIRECTIONS if d in raw)
    accounts = base.accounts
    if "accounts" in data:
        raw = data["accounts"]
        if not isinstance(raw, Mapping):
            problems["settings.accounts"] = "must be an object"
        else:
            for unknown in sorted(set(raw) - set(_ACCOUNT_FIELDS)):
                problems[f"settings.accounts.{unknown}"] = "unknown account"
            fields_ = {}
            for name in _ACCOUNT_FIELDS:
                value = raw.get(name, getattr(accounts, name))
                if not isinstance(value, str):
                    problems[f"settings.accounts.{name}"] = "must be an account name or ListID"
                elif len(value.strip()) > ACCOUNT_NAME_LIMIT:
                    problems[f"settings.accounts.{name}"] = (
                        f"must be at most {ACCOUNT_NAME_LIMIT} characters (a QuickBooks limit)"
                    )
                elif (problem := text_problem(value)) is not None:
                    problems[f"settings.accounts.{name}"] = problem
                else:
                    fields_[name] = value.strip()
            if len(fields_) == len(_ACCOUNT_FIELDS):
                accounts = Accounts(**fields_)
    if "payment_methods" in data:
        raw = data["payment_methods"]
        if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
        ):
            problems["settings.payment_methods"] = (
                "must map store payment methods to QuickBooks payment methods"
            )
        elif len(raw) > LIST_LIMIT or any(
            len(k) > ENTRY_LIMIT or len(v.strip()) > 31 for k, v in raw.items()
        ):
            problems["settings.payment_methods"] = (
                f"must have at most {LIST_LIMIT} entries, store methods of at most {ENTRY_LIMIT} characters "
                "and QuickBooks payment methods of at most 31 (a QuickBooks limit)"
            )
        elif any(text_problem(k) or text_problem(v) for k, v in raw.items()):
            problems["settings.payment_methods"] = "must not contain control characters or lone surrogates"
        else:
            values["payment_methods"] = {k: v.strip() for k, v in raw.items()}
    if "customer_tax_codes" in data:
        raw = data["customer_tax_codes"]
        if (
            not isinstance(raw, Mapping)
            or len(raw) > LIST_LIMIT
            or not all(
                isinstance(k, str)
                and isinstance(v, str)
                and 0 < len(k.strip()) <= 21
                and 0 < len(v.strip()) <= 3
                for k, v in raw.items()
            )
            or any(text_problem(k) or text_problem(v) for k, v in raw.items())
        ):
            problems["settings.customer_tax_codes"] = (
                f"must map at most {LIST_LIMIT} states or provinces (21 characters) to sales tax codes "
                '(3 characters, QuickBooks limits), e.g. {"CA": "Tax", "OR": "Non"}'
            )
        else:
            values["customer_tax_codes"] = {k.strip().upper(): v.strip() for k, v in raw.items()}
    values.update(parse_tax_mappings(data, problems))
    values.update(parse_currency_mappings(data, problems))
    values.update(parse_line_mappings(data, problems))
    values.update(parse_summary_settings(data, problems))
    if "statuses" in data:
        raw = data["statuses"]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            problems["settings.statuses"] = "must be an array of order statuses"
        elif len(raw) > LIST_LIMIT or any(len(v) > ENTRY_LIMIT or text_problem(v) for v in raw):
            problems["settings.statuses"] = (
                f"must have at most {LIST_LIMIT} statuses of at most {ENTRY_LIMIT} characters, "
                "without control characters"
            )
        else:
            values["statuses"] = tuple(raw)
    if "start_date" in data:
        raw = data["start_date"]
        if raw is None:
            values["start_date"] = None
        else:
            try:
                start = date.fromisoformat(raw) if isinstance(raw, str) else None
            except ValueError:
                start = None
            if start is None:
                problems["settings.start_date"] = "must be a date such as 2026-01-31"
            elif not EARLIEST.date() <= start < LATEST.date():
                problems["settings.start_date"] = f"must be from {EARLIEST.date()} to {LATEST.year - 1}-12-31"
            else:
                values["start_date"] = start
    if problems:
        raise SettingsInvalid(problems)
    tax_values_from_json(values)
    if "customer_matching" in values:
        values["customer_matching"] = CustomerMatching(values["customer_matching"])
    merged = replace(base, accounts=accounts, **values)
    problems.update(
        summary_problems(
            merged.summary,
            merged.transaction_type,
            merged.summary_customer,
            merged.moves("orders_to_quickbooks"),
            record_payments=merged.record_payments,
        )
    )
    if merged.customer_matching == "single_customer" and not merged.single_customer:
        problems["settings.single_customer"] = "is required when customer_matching is single_customer"
    if merged.moves("orders_to_quickbooks") and not merged.accounts.deposit:
        problems["settings.accounts.deposit"] = (
            "is required: choose the account payments are deposited to (Undeposited Funds is typical)"
        )
    if merged.missing_items == "create_inventory" and not (merged.accounts.cogs and merged.accounts.asset):
        problems["settings.accounts"] = "creating inventory items needs the income, COGS and asset accounts"
    if problems:
        raise SettingsInvalid(problems)
    return merged


def settings_from_json(data: Mapping[str, Any]) -> ChannelSettings:
    """Settings as stored (already validated)."""
    values = dict(data)
    values["accounts"] = Accounts(**values.get("accounts", {}))
    if "customer_matching" in values:
        values["customer_matching"] = CustomerMatching(values["customer_matching"])
    values["statuses"] = tuple(values.get("statuses", ()))
    values.setdefault("tax_mode", TaxMode.QUICKBOOKS)  # saved before tax modes existed: QuickBooks computed
    # Saved before invoices got their payments: an invoice channel keeps posting none (the merchant may record
    # them by hand; posting them now would meet QuickBooks' overpayment refusal) until the merchant turns them
    # on; the staged sales order -> invoice -> payment flow always posted its payment and keeps doing so.
    values.setdefault("record_payments", values.get("transaction_type") == "sales_order_invoice_payment")
    tax_values_from_json(values)
    summary_values_from_json(values)
    values["directions"] = tuple(values.get("directions", ("orders_to_quickbooks",)))
    values["start_date"] = date.fromisoformat(values["start_date"]) if values.get("start_date") else None
    return ChannelSettings(**values)
