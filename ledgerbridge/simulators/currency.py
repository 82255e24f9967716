"""Multicurrency in the company simulator: QuickBooks Desktop's Multiple Currencies preference.

Evidence, and where the simulator is stricter than QuickBooks because the evidence does not say:

* **The preference.** PreferencesRet/MultiCurrencyPreferences: IsMultiCurrencyOn, HomeCurrencyRef (13.0 schema,
  v8.0; `qbxmlops130-annotated-sample.xml`). The sample company has it off. `turn_on_multicurrency` (for tests and
  the CLI) turns it on with a home currency; QuickBooks cannot turn it off again, and neither can this.
* **The Currency list** (CurrencyRet: Name, IsActive, CurrencyCode, IsUserDefinedCurrency, ExchangeRate, AsOfDate;
  `CurrencyQueryRq`). Intuit, "Using the multicurrency feature with the SDK"
  (developer.intuit.com/app/developer/qbdesktop/docs/develop/tutorials/using-the-multicurrency-feature-with-the-sdk):
  QuickBooks has built-in currencies, a few of them active by default. We seed five (`BUILT_IN`), named as
  QuickBooks names them, each with a rate to the home currency derived from a fixed table (test data, not market
  rates; `set_exchange_rate` changes one).
* **One currency per name and account.** QuickBooks Desktop help, "Multicurrency and files updated from earlier
  versions": turning multicurrency on gives every existing customer, vendor and account the home currency; "only
  one currency can be assigned to each customer, vendor, or account", so a customer in another currency is a new,
  separate one. CustomerAdd/AccountAdd take CurrencyRef (13.0 schema, the last element of CustomerAdd); without it
  the new record is in the home currency. A CurrencyRef while multicurrency is off is refused with 3250 ("This
  feature is not enabled...": QuickBooks' answer there is not in our evidence; stricter). Only bank, A/R, A/P and
  credit card accounts may be in a foreign currency (QuickBooks help, "About multicurrency": income and expense
  accounts always use the home currency; we also keep other current asset accounts, Undeposited Funds included,
  in the home currency: stricter than QuickBooks may be).
* **Sales.** A sale is in its customer's currency: the `*Ret` gets CurrencyRef and ExchangeRate (13.0
  SalesReceiptRet, InvoiceRet, SalesOrderRet, CreditMemoRet, ReceivePaymentRet). Its A/R account (invoices, credit
  memos, payments) and deposit account (sales receipts, payments) must be in that currency (refused with 3180 naming
  both currencies; Connex's guide quotes QuickBooks Online's "The transaction needs to be in the same currency as
  the A/R and A/P accounts you use"; the Desktop code and wording are not in our evidence). Without ARAccountRef a
  foreign sale takes the first active A/R account in its currency (none: refused; QuickBooks Desktop may create one,
  stricter). ExchangeRate (FLOATTYPE) is home units per one foreign unit (Intuit's multicurrency docs); when not
  sent, the currency's own rate (none: refused, stricter); a home-currency sale's rate is 1 and any other sent for
  it is refused. TotalAmountInHomeCurrency (receipts, sales orders, payments), BalanceRemainingInHomeCurrency
  (invoices) and CreditRemainingInHomeCurrency (credit memos) = the amount x rate, rounded half up to the cent (how
  QuickBooks rounds it is not in our evidence). With multicurrency off, a sale carrying ExchangeRate is refused with
  3250 (stricter) and the `*Ret`s carry none of these elements. Not simulated: a later payment or credit does not
  recompute an invoice's BalanceRemainingInHomeCurrency, and no exchange gain or loss is booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ledgerbridge.simulators.inventory import STATUS_FEATURE_OFF
from ledgerbridge.simulators.lists import LIST_ADD_CHECKS, CompanyLists
from ledgerbridge.simulators.registry import Severity, Status, StatusError
from ledgerbridge.simulators.stored import format_amount

__all__ = [
    "BUILT_IN",
    "add_account",
    "check_list_add",
    "currency_of",
    "home_currency",
    "is_multicurrency_on",
    "sale_in_currency",
    "set_exchange_rate",
    "turn_on_multicurrency",
]

# code -> (QuickBooks' Name, US dollars per unit: test data for the seeded rates)
BUILT_IN: dict[str, tuple[str, Decimal]] = {
    "USD": ("US Dollar", Decimal("1")),
    "CAD": ("Canadian Dollar", Decimal("0.73")),
    "EUR": ("Euro", Decimal("1.08")),
    "GBP": ("British Pound Sterling", Decimal("1.27")),
    "AUD": ("Australian Dollar", Decimal("0.66")),
}
FOREIGN_ACCOUNT_TYPES = frozenset({"Bank", "AccountsReceivable", "AccountsPayable", "CreditCard"})
RATE_PLACES = Decimal("0.000001")
_STATUS_SAVE = 3180
_HOME_TOTALS = {
    "SalesReceipt": ("TotalAmount", "TotalAmountInHomeCurrency"),
    "SalesOrder": ("TotalAmount", "TotalAmountInHomeCurrency"),
    "CreditMemo": ("CreditRemaining", "CreditRemainingInHomeCurrency"),
    "Invoice": ("BalanceRemaining", "BalanceRemainingInHomeCurrency"),
    "ReceivePayment": ("TotalAmount", "TotalAmountInHomeCurrency"),
}


def _preferences(company: CompanyLists) -> dict[str, Any]:
    prefs: dict[str, Any] = company._data["company"]["preferences"]
    return prefs


def is_multicurrency_on(company: CompanyLists) -> bool:
    prefs = _preferences(company).get("MultiCurrencyPreferences", {})
    return str(prefs.get("IsMultiCurrencyOn", "false")) == "true"


def _currency(company: CompanyLists, code_or_name: str) -> dict[str, Any] | None:
    for currency in company.list_store("Currency"):
        if (
            code_or_name.upper() == currency.get("CurrencyCode")
            or code_or_name.casefold() == str(currency.get("Name", "")).casefold()
        ):
            return currency
    return None


def home_currency(company: CompanyLists) -> dict[str, Any] | None:
    """The home currency's Currency record; None while multicurrency is off."""
    if not is_multicurrency_on(company):
        return None
    ref = _preferences(company)["MultiCurrencyPreferences"].get("HomeCurrencyRef") or {}
    found = company.lookup(("Currency",), list_id=str(ref.get("ListID")))
    return found[1] if found else None


def _ref(obj: Mapping[str, Any]) -> dict[str, str]:
    return {"ListID": str(obj["ListID"]), "FullName": str(obj["Name"])}


def _add_currency(company: CompanyLists, code: str, home: str) -> dict[str, Any]:
    name, usd = BUILT_IN[code]
    data: dict[str, Any] = {"Name": name, "CurrencyCode": code, "IsUserDefinedCurrency": "false"}
    if code != home:
        rate = (usd / BUILT_IN[home][1]).quantize(RATE_PLACES, ROUND_HALF_UP)
        data.update(ExchangeRate=_plain(rate), AsOfDate=company.now().date().isoformat())
    obj = company._build_object("Currency", data, created=company.now())
    company._insert("Currency", obj)
    return obj


def turn_on_multicurrency(company: CompanyLists, home: str = "USD") -> None:
    """Turn on Multiple Currencies with `home` (an ISO code of `BUILT_IN`) as the home currency: the built-in
    currencies are added, and every customer, vendor and account gets the home currency."""
    if home not in BUILT_IN:
        raise ValueError(f"home must be one of {', '.join(BUILT_IN)}")
    if is_multicurrency_on(company):
        raise ValueError("multicurrency is on already (QuickBooks cannot change the home currency)")
    for code in BUILT_IN:
        if _currency(company, code) is None:
            _add_currency(company, code, home)
    home_obj = _currency(company, home)
    assert home_obj is not None
    for kind in ("Customer", "Vendor", "Account"):
        for obj in company.list_store(kind):
            obj.setdefault("CurrencyRef", _ref(home_obj))
    _preferences(company)["MultiCurrencyPreferences"] = {
        "IsMultiCurrencyOn": "true",
        "HomeCurrencyRef": _ref(home_obj),
    }
    company.touch()


def set_exchange_rate(
    company: CompanyLists, code: str, rate: Decimal | None, as_of: date | None = None
) -> None:
    """The currency's rate to the home currency (None: the currency has none)."""
    currency = _currency(company, code)
    if currency is None:
        raise KeyError(code)
    if rate is None:
        currency.pop("ExchangeRate", None)
        currency.pop("AsOfDate", None)
    else:
        currency["ExchangeRate"] = _plain(rate)
        currency["AsOfDate"] = (as_of or company.now().date()).isoformat()
    company.touch()


def add_account(company: CompanyLists, name: str, account_type: str, currency: str) -> dict[str, Any]:
    """An account in `currency` (an ISO code), as made in QuickBooks' UI (for tests)."""
    found = _currency(company, currency)
    if found is None or not is_multicurrency_on(company):
        raise ValueError(f"no currency {currency} (turn multicurrency on first)")
    data = {"Name": name, "AccountType": account_type, "CurrencyRef": _ref(found)}
    check_list_add(company, "Account", data)
    obj = company._build_object("Account", data, created=company.now())
    company._insert("Account", obj)
    return obj


def currency_of(company: CompanyLists, obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Currency record of a customer or account (the home currency's when it names none); None while
    multicurrency is off."""
    home = home_currency(company)
    if home is None:
        return None
    ref = obj.get("CurrencyRef")
    if isinstance(ref, dict):
        found = company.lookup(("Currency",), list_id=str(ref.get("ListID")))
        if found is None:
            found = company.lookup(("Currency",), full_name=str(ref.get("FullName")))
        if found is not None:
            return found[1]
    return home


def check_list_add(company: CompanyLists, kind: str, data: dict[str, Any]) -> None:
    """Before a CustomerAdd or AccountAdd: CurrencyRef only with multicurrency on (3250), only on the account
    types that can be foreign (3180); without it, the home currency."""
    if kind not in ("Customer", "Account", "Vendor"):
        return
    home = home_currency(company)
    if home is None:
        if "CurrencyRef" in data:
            raise StatusError(STATUS_FEATURE_OFF)
        return
    ref = data.setdefault("CurrencyRef", _ref(home))
    if kind == "Account" and isinstance(ref, dict):
        named = ref.get("FullName") or ""
        is_home = ref.get("ListID") == home["ListID"] or str(named).casefold() == str(home["Name"]).casefold()
        if not is_home and data.get("AccountType") not in FOREIGN_ACCOUNT_TYPES:
            raise StatusError(
                Status(
                    _STATUS_SAVE,
                    Severity.ERROR,
                    f'There was an error when saving a Account list, element "{data.get("Name", "")}". '
                    "QuickBooks error message: Only bank, accounts receivable, accounts payable and credit card "
                    "accounts can use a foreign currency.",
                )
            )


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _mismatch(
    kind: str, what: str, account: Mapping[str, Any], account_currency: str, currency: str
) -> StatusError:
    return StatusError(
        Status(
            _STATUS_SAVE,
            Severity.ERROR,
            f"There was an error when saving a {kind}. QuickBooks error message: The {what} "
            f'"{account.get("FullName") or account.get("Name")}" is in {account_currency}; the transaction is in '
            f"{currency}. The transaction needs to be in the same currency as the accounts you use.",
        )
    )


def _account(company: CompanyLists, ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, dict):
        return None
    found = company.lookup(("Account",), list_id=str(ref.get("ListID")))
    return found[1] if found else None


def sale_in_currency(
    company: CompanyLists,
    kind: str,
    sent: Mapping[str, Any],
    header: dict[str, Any],
    customer: Mapping[str, Any],
) -> None:
    """After a sales add's header and totals are computed (`header`, refs resolved), before anything is saved:
    the currency rules above. `sent` is the request's `*Add` as JSON (what the request named itself)."""
    home = home_currency(company)
    if home is None:
        if "ExchangeRate" in sent:
            raise StatusError(STATUS_FEATURE_OFF)
        return
    currency = currency_of(company, customer) or home
    code = str(currency.get("CurrencyCode"))
    foreign = currency["ListID"] != home["ListID"]
    header["CurrencyRef"] = _ref(currency)
    if kind in ("Invoice", "CreditMemo", "ReceivePayment"):
        ar = _account(company, header.get("ARAccountRef"))
        if foreign and "ARAccountRef" not in sent:
            ar = next(
                (
                    a
                    for a in company.list_store("Account")
                    if a.get("AccountType") == "AccountsReceivable"
                    and a.get("IsActive", "true") == "true"
                    and (currency_of(company, a) or home)["ListID"] == currency["ListID"]
                ),
                None,
            )
            if ar is None:
                raise StatusError(
                    Status(
                        _STATUS_SAVE,
                        Severity.ERROR,
                        f"There was an error when saving a {kind}. QuickBooks error message: There is no accounts "
                        f"receivable account in {code}.",
                    )
                )
            header["ARAccountRef"] = {"ListID": ar["ListID"], "FullName": ar.get("FullName", ar["Name"])}
        if ar is not None and (currency_of(company, ar) or home)["ListID"] != currency["ListID"]:
            raise _mismatch(
                kind, "A/R account", ar, str((currency_of(company, ar) or home)["CurrencyCode"]), code
            )
    if kind in ("SalesReceipt", "ReceivePayment"):
        deposit = _account(company, header.get("DepositToAccountRef"))
        if deposit is not None and (currency_of(company, deposit) or home)["ListID"] != currency["ListID"]:
            deposit_code = str((currency_of(company, deposit) or home)["CurrencyCode"])
            raise _mismatch(kind, "deposit account", deposit, deposit_code, code)
    rate = _rate(kind, sent, currency, foreign, code)
    header["ExchangeRate"] = _plain(rate)
    amount_key, home_key = _HOME_TOTALS[kind]
    if amount_key in header:
        amount = Decimal(str(header[amount_key]))
        header[home_key] = format_amount((amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _rate(
    kind: str, sent: Mapping[str, Any], currency: Mapping[str, Any], foreign: bool, code: str
) -> Decimal:
    if "ExchangeRate" in sent:
        try:
            rate = Decimal(str(sent["ExchangeRate"]))
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0 or (not foreign and rate != 1):
            raise StatusError(
                Status(
                    _STATUS_SAVE,
                    Severity.ERROR,
                    f"There was an error when saving a {kind}. QuickBooks error message: The exchange rate "
                    f"{sent['ExchangeRate']} is not valid for a transaction in {code}.",
                )
            )
        return rate
    if not foreign:
        return Decimal(1)
    if "ExchangeRate" not in currency:
        raise StatusError(
            Status(
                _STATUS_SAVE,
                Severity.ERROR,
                f"There was an error when saving a {kind}. QuickBooks error message: There is no exchange rate "
                f"for {code}.",
            )
        )
    return Decimal(str(currency["ExchangeRate"]))


LIST_ADD_CHECKS.append(check_list_add)
