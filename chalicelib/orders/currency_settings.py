"""The channel settings of multicurrency posting (pure): per order currency, the customer, the A/R account and the
deposit account a foreign-currency order uses in a multicurrency company file (docs/accounting/multicurrency.md).

Each is an object of ISO 4217 codes to QuickBooks names, e.g. `receivable_accounts: {"EUR": "Accounts Receivable -
EUR"}`; names are checked against the company's cached chart of accounts like the other account settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.validation import text_problem

__all__ = ["CURRENCY_MAPPINGS", "parse_currency_mappings"]

# setting -> (longest QuickBooks name, example for the merchant)
CURRENCY_MAPPINGS: dict[str, tuple[int, str]] = {
    # a customer in that currency for every order in it (else one per order customer, named "<name> (EUR)")
    "currency_customers": (41, '{"EUR": "Web Store EUR"}'),
    # invoices and credit memos in that currency (else QuickBooks' A/R account in the currency)
    "receivable_accounts": (159, '{"EUR": "Accounts Receivable - EUR"}'),
    # sales receipts and payments in that currency: a bank or asset account in it (required)
    "deposit_accounts": (159, '{"EUR": "Checking EUR"}'),
}
MAX_CURRENCIES = 50


def parse_currency_mappings(data: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """The currency settings given in `data` (codes upper-cased, names stripped); a bad one is added to
    `problems` under its field name."""
    values: dict[str, Any] = {}
    for name, (limit, example) in CURRENCY_MAPPINGS.items():
        if name not in data:
            continue
        raw = data[name]
        if (
            not isinstance(raw, Mapping)
            or len(raw) > MAX_CURRENCIES
            or not all(
                isinstance(k, str)
                and isinstance(v, str)
                and len(k.strip()) == 3
                and k.strip().isascii()
                and k.strip().isalpha()
                and 0 < len(v.strip()) <= limit
                for k, v in raw.items()
            )
            or any(text_problem(v) for v in raw.values())
        ):
            problems[f"settings.{name}"] = (
                f"must map at most {MAX_CURRENCIES} three-letter ISO 4217 currency codes to QuickBooks names of "
                f"at most {limit} characters, e.g. {example}"
            )
            continue
        values[name] = {k.strip().upper(): v.strip() for k, v in raw.items()}
    return values
