"""Channels as records: create, read, change their settings (checked against the company's real lists)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from datetime import time as day_time
from typing import Any

from chalicelib.aws import ChannelSchedules, ChannelSecrets, WorkQueue
from chalicelib.channels import CHANNEL_KINDS, spec
from chalicelib.channels.base import ConnectorError, ConnectorSpec, HttpOptions
from chalicelib.dal import channel_fetches, channels, company_lists, connections, summary_days
from chalicelib.dal.channel_fetches import FetchState
from chalicelib.dal.channels import Channel
from chalicelib.dal.company_lists import CachedRecord
from chalicelib.errors import BadRequest
from chalicelib.orders.quickbooks.currency import QUICKBOOKS_CURRENCY_NAMES
from chalicelib.orders.quickbooks.list_adds import customer_list_problems
from chalicelib.orders.settings import (
    ChannelSettings,
    CompactSettingsStale,
    SettingsInvalid,
    compact_settings,
    full_settings,
    parse_settings,
    settings_from_json,
    settings_to_json,
)
from chalicelib.orders.summary_settings import SummaryMode
from chalicelib.settings import get_settings
from chalicelib.sync.line_lists import line_settings_problems
from chalicelib.sync.order_jobs import post_jobs
from chalicelib.sync.tax_lists import tax_settings_problems
from chalicelib.validation import text_problem

MIN_MINUTES, MAX_MINUTES = 5, 1440


# The QuickBooks account types (qbXML AccountType) each account of the settings may have: what QuickBooks
# accepts there (a deposit to an Income account, or a new item selling into a Bank account, is refused by
# QuickBooks or books the money in the wrong place). Undeposited Funds is an Other Current Asset account.
FITTING_ACCOUNT_TYPES: dict[str, tuple[str, ...]] = {
    "deposit": ("Bank", "OtherCurrentAsset"),
    "income": ("Income", "OtherIncome"),
    "cogs": ("CostOfGoodsSold",),
    "asset": ("OtherCurrentAsset",),
    "discount": ("Income", "OtherIncome", "Expense", "OtherExpense"),
    "receivable": ("AccountsReceivable",),
}
ACCOUNT_LABELS = {
    "deposit": "deposit account",
    "income": "income account",
    "cogs": "cost of goods sold account",
    "asset": "inventory asset account",
    "discount": "discount account",
    "receivable": "accounts receivable account",
}
_TYPE_WORDS = {"CostOfGoodsSold": "Cost of Goods Sold"}


def type_words(account_type: str) -> str:
    """QuickBooks' name of an account type: OtherCurrentAsset -> Other Current Asset."""
    return _TYPE_WORDS.get(account_type) or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", account_type)


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _account_problem(field_name: str, value: str, found: CachedRecord | None) -> str | None:
    if found is None:
        return (
            f"'{value}' is not an account in this company file: choose one from the list (refresh the "
            "company lists if it was just added in QuickBooks)"
        )
    if not found.is_active:
        return (
            f"'{found.full_name}' is inactive in QuickBooks: make it active there, or choose another account"
        )
    fitting = FITTING_ACCOUNT_TYPES[field_name]
    actual = str(found.details.get("account_type") or "")
    if actual not in fitting:
        if not actual:
            return f"the type of '{found.full_name}' is not known yet: refresh the company lists"
        kind = f"an {type_words(actual)}" if actual[:1] in "AEIOU" else f"a {type_words(actual)}"
        hint = " (Undeposited Funds is one)" if field_name == "deposit" else ""
        return (
            f"'{found.full_name}' is {kind} account; the {ACCOUNT_LABELS[field_name]} "
            f"must be {'an' if fitting[0][:1] in 'AEIOU' else 'a'} "
            f"{_either([type_words(t) for t in fitting])} account{hint}"
        )
    return None


def _currency_problem(code: str, found: CachedRecord | None) -> str | None:
    """An account of a currency's setting must be in that currency (when QuickBooks reported the account's)."""
    have = str(found.details.get("currency") or "") if found is not None else ""
    want = QUICKBOOKS_CURRENCY_NAMES.get(code, "")
    if found is None or not have or have.casefold() == want.casefold():
        return None
    return f"'{found.full_name}' is in {have}; the account for {code} orders must be in {want or code}"


def _checked(connection_id: str, settings: ChannelSettings) -> None:
    """Every account, payment method and class named must exist in the company's cached lists, every account
    must be active and of a type that fits its use (FITTING_ACCOUNT_TYPES), and the settings must not fail every
    order that needs a product created (creating items needs the income account).

    Until the chart of accounts has been read from QuickBooks the settings are refused: their accounts cannot
    be checked, and an unchecked setup is what fails every order at posting."""
    accounts = company_lists.list_records(connection_id, "account")
    if not accounts:
        raise BadRequest(
            "The company's chart of accounts has not been read from QuickBooks yet. Run the Web Connector "
            "once (or ask for a refresh of the company lists), then save the settings again."
        )
    by_name = {a.full_name.casefold(): a for a in accounts} | {a.list_id: a for a in accounts}
    problems = {}
    for field_name in FITTING_ACCOUNT_TYPES:
        value = getattr(settings.accounts, field_name)
        if value:
            found = by_name.get(value) or by_name.get(value.casefold())
            if (problem := _account_problem(field_name, value, found)) is not None:
                problems[f"settings.accounts.{field_name}"] = problem
    for map_name, field_name in (("receivable_accounts", "receivable"), ("deposit_accounts", "deposit")):
        for code, value in getattr(settings, map_name).items():  # multicurrency: one account per currency
            found = by_name.get(value) or by_name.get(value.casefold())
            problem = _account_problem(field_name, value, found) or _currency_problem(code, found)
            if problem is not None:
                problems[f"settings.{map_name}.{code}"] = problem
    if (
        settings.moves("orders_to_quickbooks")
        and settings.missing_items != "fail"
        and not settings.accounts.income
    ):
        problems["settings.accounts.income"] = (
            "is needed to create missing products in QuickBooks: choose the income account they sell into, "
            "or set Missing products to not post the order"
        )
    methods = {m.full_name.casefold() for m in company_lists.list_records(connection_id, "payment_method")}
    for store_method, qb_method in {**settings.payment_methods, "": settings.default_payment_method}.items():
        if qb_method and methods and qb_method.casefold() not in methods:
            where = (
                f"settings.payment_methods.{store_method}"
                if store_method
                else "settings.default_payment_method"
            )
            problems[where] = f"'{qb_method}' is not a payment method in this company file"
    if settings.class_name:
        classes = {c.full_name.casefold() for c in company_lists.list_records(connection_id, "class")}
        if settings.class_name.casefold() not in classes:
            problems["settings.class_name"] = f"'{settings.class_name}' is not a class in this company file"
    if settings.customer_type or settings.customer_terms or settings.customer_tax_codes:
        # What new customers get, checked against the lists Ledgerbridge has cached (a list not cached is not).
        kinds = ("customer_type", "terms", "sales_tax_code")
        cached = {
            k: {r.full_name.casefold() for r in company_lists.list_records(connection_id, k)} for k in kinds
        }
        problems.update(customer_list_problems(settings, cached))
    problems.update(line_settings_problems(connection_id, settings))  # price level, units, sites, bundles
    problems.update(tax_settings_problems(connection_id, settings))  # sales tax items and codes
    if problems:
        raise BadRequest(_not_saved(problems), details={"fields": problems})


def _not_saved(problems: dict[str, str]) -> str:
    """The message of a refused save in the merchant's words: each problem once, named by what it is about."""
    parts = []
    for where, problem in problems.items():
        name = where.rsplit(".", 1)[-1]
        label = ACCOUNT_LABELS.get(name) if where.startswith("settings.accounts.") else None
        label = label or name.replace("_", " ")
        parts.append(
            problem
            if problem[:1] == "'" or problem[:1].isupper()
            else f"{label[:1].upper()}{label[1:]} {problem}"
        )
    return "The settings were not saved. " + " ".join(p.rstrip(".") + "." for p in parts)


# Which channel kinds can do what besides bringing their orders into QuickBooks.
INVENTORY_KINDS = ("shopify", "woocommerce", "bigcommerce", "walmart", "square", "magento")
OUTBOUND_SALES_KINDS = ("shipstation",)


def _fits_kind(kind: str, connection_id: str, settings: ChannelSettings) -> None:
    problems = {}
    if settings.moves("inventory_to_store") and kind not in INVENTORY_KINDS:
        problems["settings.directions"] = (
            "Inventory can be sent only to a store Ledgerbridge can write quantities to "
            f"({', '.join(INVENTORY_KINDS)})"
        )
    if settings.moves("quickbooks_to_shipstation") and kind not in OUTBOUND_SALES_KINDS:
        problems["settings.directions"] = (
            "QuickBooks sales can be sent to ShipStation only by a ShipStation channel"
        )
    if settings.inventory_site and settings.product_matching == "manufacturer_part_number":
        problems["settings.inventory_site"] = (
            "An inventory site needs product matching by item name or full name "
            "(quantities by site are matched by item name)"
        )
    if settings.moves("quickbooks_to_shipstation") and settings.shipstation_class:
        classes = {c.full_name.casefold() for c in company_lists.list_records(connection_id, "class")}
        if settings.shipstation_class.casefold() not in classes:
            problems["settings.shipstation_class"] = (
                f"'{settings.shipstation_class}' is not a class in this company file: add it in QuickBooks "
                "(Lists > Class List) and refresh the company lists, or leave it empty to send every sale"
            )
    if problems:
        raise BadRequest(_not_saved(problems), details={"fields": problems})


def _parse(data: Any, base: ChannelSettings | None = None) -> ChannelSettings:
    try:
        return parse_settings(data, base=base)
    except SettingsInvalid as exc:
        raise BadRequest(_not_saved(exc.problems), details={"fields": exc.problems}) from exc


def _every_minutes(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MINUTES <= value <= MAX_MINUTES:
        raise BadRequest(
            f"every_minutes must be a whole number of minutes from {MIN_MINUTES} to {MAX_MINUTES}",
            details={"fields": {"every_minutes": f"must be {MIN_MINUTES}..{MAX_MINUTES}"}},
        )
    return value


def _credentials(connector: ConnectorSpec, given: Any, current: dict[str, str]) -> dict[str, str]:
    """The channel's credentials after this change: fields given replace the stored ones; every required
    field must end up set. Names every problem."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise BadRequest(
            "credentials must be an object", details={"fields": {"credentials": "must be an object"}}
        )
    known = {f.name for f in connector.fields}
    problems = {f"credentials.{k}": "unknown field" for k in sorted(set(given) - known)}
    values = dict(current)
    for field_ in connector.fields:
        if field_.name in given:
            value = given[field_.name]
            if not isinstance(value, str) or len(value) > 2000:
                problems[f"credentials.{field_.name}"] = "must be a string (at most 2000 characters)"
                continue
            if (problem := text_problem(value)) is not None:  # keys and URLs go into HTTP requests
                problems[f"credentials.{field_.name}"] = problem
                continue
            values[field_.name] = value.strip()
        if field_.required and not values.get(field_.name):
            problems[f"credentials.{field_.name}"] = f"is required ({field_.label})"
    if problems:
        raise BadRequest(
            "invalid credentials: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
            details={"fields": problems},
        )
    return {k: v for k, v in values.items() if v}


def _checked_with_store(kind: str, values: dict[str, str]) -> str | None:
    """Call the store with the credentials (the check on save). Returns the store's name; a rejection is a
    400 in the store's words. A push-only custom store is not called."""
    if kind == "custom_store" and not values.get("base_url"):
        return None
    settings = get_settings()
    options = HttpOptions(
        allow_private_urls=settings.allow_private_store_urls,
        base_url_overrides=settings.store_api_urls,
        max_attempts=2,
        max_wait_seconds=5,
    )
    try:
        return spec(kind).build(values, options).check_credentials()
    except ConnectorError as exc:
        raise BadRequest(exc.message, details={"fields": {"credentials": exc.message}}) from exc


def mask(connector: ConnectorSpec, values: dict[str, str]) -> dict[str, str]:
    """Credentials as the API shows them: secrets reduced to their last four characters (none when short)."""
    shown = {}
    for field_ in connector.fields:
        value = values.get(field_.name)
        if not value:
            continue
        if field_.secret:
            shown[field_.name] = "••••" + (value[-4:] if len(value) >= 16 else "")
        else:
            shown[field_.name] = value
    return shown


def create_channel(
    tenant_id: str,
    connection_id: str,
    kind: str,
    name: str,
    settings_json: Any,
    credentials: Any = None,
    every_minutes: Any = None,
) -> Channel:
    if kind not in CHANNEL_KINDS:
        raise BadRequest(
            f"kind must be one of: {', '.join(CHANNEL_KINDS)}", details={"fields": {"kind": "unknown"}}
        )
    conn = connections.get_for_tenant(tenant_id, connection_id)
    settings = _parse(settings_json or {})
    minutes = _every_minutes(every_minutes, 15)
    connector = spec(kind)
    values = _credentials(connector, credentials, {})
    _checked(conn.connection_id, settings)
    _fits_kind(kind, conn.connection_id, settings)
    store_name = _checked_with_store(kind, values)
    channel_id = channels.new_id()
    if values:
        ChannelSecrets().put(channel_id, tenant_id, values)
    channel = channels.create(
        tenant_id,
        conn.connection_id,
        kind,
        name,
        settings_to_json(settings),
        channel_id=channel_id,
        every_minutes=minutes,
        credentials_mask=mask(connector, values),
        store_name=store_name,
    )
    if has_task(kind, values, settings):
        ChannelSchedules().put(channel_id, minutes)
    return channel


def has_task(kind: str, values: dict[str, str], settings: ChannelSettings) -> bool:
    """Whether the channel has a scheduled task: it fetches its orders, or reads ShipStation's shipments
    (a channel that only receives quantities from QuickBooks has nothing to fetch)."""
    fetches = settings.moves("orders_to_quickbooks") or settings.moves("quickbooks_to_shipstation")
    return pulls(kind, values) and fetches


def pulls(kind: str, values: dict[str, str]) -> bool:
    """Whether Ledgerbridge fetches the channel (a custom store without an API address is push-only)."""
    return kind != "custom_store" or bool(values.get("base_url"))


def update_channel(
    tenant_id: str,
    channel_id: str,
    name: str | None,
    settings_json: Any,
    credentials: Any = None,
    every_minutes: Any = None,
) -> Channel:
    channel = channels.get_for_tenant(tenant_id, channel_id)
    settings = settings_from_json(channel.settings)
    summarised = _summarises(settings)
    if settings_json is not None:
        settings = _parse(settings_json, base=settings)
        _checked(channel.connection_id, settings)
        _fits_kind(channel.kind, channel.connection_id, settings)
    minutes = _every_minutes(every_minutes, channel.every_minutes)
    connector = spec(channel.kind)
    mask_ = None
    store_name = None
    shown = (
        channel.credentials_mask or {}
    )  # enough to tell pull from push: the secret is read only to change it
    if credentials is not None:
        secrets_ = ChannelSecrets()
        values = _credentials(connector, credentials, secrets_.get(channel_id))
        store_name = _checked_with_store(channel.kind, values) or ""
        secrets_.put(channel_id, tenant_id, values)
        mask_ = shown = mask(connector, values)
    updated = channels.update(
        tenant_id,
        channel_id,
        name=name or channel.name,
        settings=settings_to_json(settings),
        every_minutes=minutes,
        credentials_mask=mask_,
        store_name=store_name,
    )
    if summarised and not _summarises(settings):
        _post_waiting_orders_alone(channel.connection_id, channel_id)
    schedules = ChannelSchedules()
    current = schedules.get(channel_id)
    if has_task(channel.kind, shown, settings):
        if current is None:
            schedules.put(channel_id, minutes)
        elif current.every_minutes != minutes:  # the new rate counts from now
            schedules.put(channel_id, minutes, enabled=current.state == "ENABLED")
    elif current is not None:
        schedules.delete(channel_id)
    return updated


def _summarises(settings: ChannelSettings) -> bool:
    return settings.summary == SummaryMode.DAILY and settings.moves("orders_to_quickbooks")


def _post_waiting_orders_alone(connection_id: str, channel_id: str) -> None:
    """The channel stopped posting daily summaries: the orders waiting in its days are queued to be posted one by
    one (no queue message waited for them: their days were to post them)."""
    released = summary_days.release_waiting(connection_id, channel_id)
    if released:
        WorkQueue(connection_id).send_many(post_jobs((channel_id, oid) for oid in released))


def delete_channel(tenant_id: str, channel_id: str) -> None:
    """The channel, its task and its credentials (its orders stay, with their QuickBooks history)."""
    channels.get_for_tenant(tenant_id, channel_id)
    ChannelSchedules().delete(channel_id)
    ChannelSecrets().delete(channel_id)
    channels.delete(tenant_id, channel_id)


def settings_of(channel: Channel) -> ChannelSettings:
    return settings_from_json(channel.settings)


def settings_for_job(channel: Channel) -> dict[str, Any]:
    """What a job keeps of its channel's settings in its state (read once, when it starts): `job_settings` reads it."""
    return {"settings_compact": compact_settings(channel.settings)}


def job_settings(state: Mapping[str, Any]) -> ChannelSettings:
    """The channel's settings a job kept (`settings_for_job`; a job started before kept them whole). Kept by another
    version of the code with other unset values (a deployment during the job), they are read from the channel."""
    if "settings" in state:
        return settings_from_json(state["settings"])
    try:
        return settings_from_json(full_settings(state["settings_compact"]))
    except CompactSettingsStale:
        channel = channels.get(str(state.get("channel_id", "")))
        if channel is None:
            raise
        return settings_of(channel)


def first_since(channel: Channel) -> datetime:
    """Where a channel's first scheduled run starts: its start date, else when it was added (older
    orders come in by a manual resync)."""
    start = settings_of(channel).start_date
    if start is not None:
        return datetime.combine(start, day_time.min, tzinfo=UTC)
    return channel.created_at


def channel_view(channel: Channel, fetching: FetchState | None = None) -> dict[str, Any]:
    """The channel as the API shows it, with where its fetching stands (read here unless given)."""
    if fetching is None:
        fetching = channel_fetches.get(channel)
    return {
        "id": channel.channel_id,
        "name": channel.name,
        "kind": channel.kind,
        "connection_id": channel.connection_id,
        "settings": channel.settings,
        "every_minutes": channel.every_minutes,
        "mode": "pull" if pulls(channel.kind, channel.credentials_mask or {}) else "push",
        "credentials": channel.credentials_mask or {},
        "store_name": channel.store_name,
        "bookmark": fetching.bookmark.isoformat() if fetching.bookmark else None,
        "last_fetch": fetching.last_fetch,
        "created_at": channel.created_at.isoformat(),
    }


def channel_views(found: list[Channel]) -> list[dict[str, Any]]:
    """`channel_view` of each (their fetching read at once)."""
    fetching = channel_fetches.get_many(found)
    return [channel_view(c, fetching[c.channel_id]) for c in found]
