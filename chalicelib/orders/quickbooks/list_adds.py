"""List adds for what the company file lacks: the order's customer, its products' items and the
shipping, discount and fee items of the settings; and which of them a set of requests needs."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from lxml import etree

from chalicelib.qbxml.text import CUSTOMER_NAME, ITEM_NAME, to_quickbooks_text
from chalicelib.qbxml.transactions import (
    customer_add,
    item_discount_add,
    item_inventory_add,
    item_non_inventory_add,
    item_other_charge_add,
)

from ..model import Order, OrderLine
from ..settings import ChannelSettings, CustomerMatching
from .errors import OrderNotPostable
from .identity import request_id as make_request_id
from .names import (
    addresses,
    created_item_full_name,
    customer_name,
    line_key,
    person_name,
    split_full_name,
)
from .tax import Tax, tax_codes

if TYPE_CHECKING:
    from chalicelib.rules.actions import PostingExtras

__all__ = [
    "customer_add_request",
    "customer_list_problems",
    "customer_tax_code",
    "item_add_request",
    "items_named",
    "missing_item_requests",
    "needed_items",
    "shared_customer",
]


def customer_tax_code(order: Order, settings: ChannelSettings) -> str:
    """The sales tax code a new customer gets from `settings.customer_tax_codes`, by the billing address's
    state or province (the shipping address's when billing has none); "" when the settings name none."""
    for address in (order.billing_address, order.shipping_address):
        state = address.state.strip().upper()
        if state:
            return settings.customer_tax_codes.get(state, "")
    return ""


def shared_customer(name: str, settings: ChannelSettings) -> bool:
    """Whether `name` is a customer of many orders from the settings (single customer, store and currency,
    the fallback / web-store customer) rather than the order's own buyer."""
    if settings.customer_matching in (CustomerMatching.SINGLE_CUSTOMER, CustomerMatching.STORE_CURRENCY):
        return True
    return name.casefold() == settings.fallback_customer.strip().casefold()


def customer_add_request(
    order: Order,
    settings: ChannelSettings,
    *,
    request_id: str,
    external_guid: str | None = None,
    name: str | None = None,
) -> etree._Element:
    """CustomerAddRq for the order's customer `name` (default: `customer_name`; for a missing customer): its
    company, name (with the middle initial in the middle-initial modes), bill and ship addresses, phone and
    e-mail from the order; customer type, terms and sales tax code (by state) from the settings. In
    CustomerAdd's 13.0 schema order (builder `customer_add`). A `shared_customer` gets its name, type and
    terms only: one buyer's address, e-mail and tax code do not belong on the customer of many."""
    name = name if name is not None else customer_name(order, settings)
    if ":" in name or len(name) > CUSTOMER_NAME:
        raise OrderNotPostable(
            f"The customer {name!r} from the channel settings is not in QuickBooks and cannot be "
            "created automatically (it is a sub-customer or too long); add it in QuickBooks."
        )
    if shared_customer(name, settings):
        return customer_add(
            request_id,
            name=name,
            customer_type=settings.customer_type,
            terms=settings.customer_terms,
            external_guid=external_guid,
        )
    c = order.customer
    bill, ship = addresses(order)
    person = person_name(order)
    middle = settings.customer_matching in (
        CustomerMatching.LAST_FIRST_MIDDLE,
        CustomerMatching.FIRST_MIDDLE_LAST,
    )
    return customer_add(
        request_id,
        name=name,
        company_name=c.company or order.billing_address.company,
        first_name=person.first.split()[0] if middle and person.middle_initial else c.first_name,
        middle_name=person.middle_initial if middle else "",
        last_name=c.last_name,
        bill_address=bill,
        ship_address=ship,
        phone=c.phone or order.billing_address.phone or order.shipping_address.phone,
        email=c.email,
        customer_type=settings.customer_type,
        terms=settings.customer_terms,
        sales_tax_code=customer_tax_code(order, settings),
        external_guid=external_guid,
    )


def customer_list_problems(settings: ChannelSettings, lists: Mapping[str, Collection[str]]) -> dict[str, str]:
    """The settings' customer type, terms and tax codes missing from the company's cached lists (`lists`:
    "customer_type", "terms", "sales_tax_code" -> case-folded full names); a list not cached (empty or
    absent) is not checked. Keys are the settings' field paths."""
    problems: dict[str, str] = {}
    wanted = {
        "settings.customer_type": ("customer_type", settings.customer_type, "a customer type"),
        "settings.customer_terms": ("terms", settings.customer_terms, "terms"),
    }
    for field_path, (kind, value, what) in wanted.items():
        known = lists.get(kind)
        if value and known and value.casefold() not in known:
            problems[field_path] = f"'{value}' is not {what} in this company file"
    codes = lists.get("sales_tax_code")
    if codes:
        for state, code in settings.customer_tax_codes.items():
            if code.casefold() not in codes:
                problems[f"settings.customer_tax_codes.{state}"] = (
                    f"'{code}' is not a sales tax code in this company file"
                )
    return problems


def _needs_account(account: str, what: str) -> str:
    if not account:
        raise OrderNotPostable(
            f"Ledgerbridge needs {what} in the channel settings to create missing items in QuickBooks."
        )
    return account


def item_add_request(
    request_id: str, key: str, line: OrderLine, settings: ChannelSettings, *, country: str
) -> etree._Element:
    """The item add for one product line's missing item `key` (its `item_name`), per
    `settings.missing_items`: ItemNonInventoryAdd or ItemInventoryAdd at the line's price, with the
    line's title as description and the taxable / non-taxable code as the item's default. A
    full-name key creates its last level under the parent (which must exist); with
    manufacturer-part-number matching the key is also the new item's ManufacturerPartNumber.
    Raises OrderNotPostable for "fail" and for missing accounts."""
    if settings.missing_items == "fail":
        raise OrderNotPostable(
            f"The product {key} is not in QuickBooks. Add it in QuickBooks, or let Ledgerbridge "
            "create missing items (channel settings)."
        )
    taxable_code, exempt_code = tax_codes(settings, country)
    code = (taxable_code if line.taxable else exempt_code) or None
    parent, name = split_full_name(created_item_full_name(key, settings))
    mpn = key if settings.product_matching == "manufacturer_part_number" else ""
    accounts = settings.accounts
    income = _needs_account(accounts.income, "an income account")
    if settings.missing_items == "create_inventory":
        return item_inventory_add(
            request_id,
            name=name,
            parent=parent,
            description=line.title,
            price=line.unit_price,
            income_account=income,
            cogs_account=_needs_account(accounts.cogs, "a cost of goods sold account"),
            asset_account=_needs_account(accounts.asset, "an inventory asset account"),
            sales_tax_code=code,
            manufacturer_part_number=mpn,
        )
    return item_non_inventory_add(
        request_id,
        name=name,
        parent=parent,
        description=line.title,
        price=line.unit_price,
        income_account=income,
        sales_tax_code=code,
        manufacturer_part_number=mpn,
    )


def items_named(requests: Sequence[etree._Element]) -> set[str]:
    """The FullNames (case-folded) of every item the requests name in an ItemRef."""
    return {
        (ref.findtext("FullName") or "").casefold()
        for request in requests
        for ref in request.iter("ItemRef")
        if ref.findtext("FullName")
    }


def needed_items(
    missing: Collection[str], requests: Sequence[etree._Element], settings: ChannelSettings
) -> set[str]:
    """The keys of `missing` (item_name keys and settings item names) that `requests` name: every item a
    request names must exist in QuickBooks or be added in the same message set, and nothing more is added."""
    named = items_named(requests)
    return {
        k for k in missing if k.casefold() in named or created_item_full_name(k, settings).casefold() in named
    }


def missing_item_requests(
    order: Order,
    settings: ChannelSettings,
    *,
    country: str,
    request_prefix: str,
    missing: Collection[str],
    extras: PostingExtras | None = None,
) -> list[etree._Element]:
    """Item adds for the order's items the use case did not find in QuickBooks.

    `missing` holds `item_name` keys of product lines and/or the shipping, discount and fee item
    names from the settings. Products become non-inventory or inventory items per
    `settings.missing_items` ("fail" raises OrderNotPostable naming them); shipping and fees become
    other-charge items, the discount item a discount item. A full-name key creates the last level
    under its parent, which must already exist. Lines the order rules (`extras`) post to another
    item are not the source of an item add: that item is the company's.
    """
    tax = Tax(order, settings, country)
    requests: list[etree._Element] = []
    seen: set[str] = set()
    product_missing: list[tuple[str, OrderLine]] = []
    mapped = extras.line_items if extras is not None else {}
    for line in order.lines:
        if line.line_id in mapped:
            continue
        key = line_key(line, settings)
        if key in missing and key not in seen:
            seen.add(key)
            product_missing.append((key, line))
    if product_missing and settings.missing_items == "fail":
        names = ", ".join(key for key, _ in product_missing)
        raise OrderNotPostable(
            f"These products are not in QuickBooks: {names}. Add them in QuickBooks, or let "
            "Ledgerbridge create missing items (channel settings)."
        )
    accounts = settings.accounts
    for n, (key, line) in enumerate(product_missing, start=1):
        requests.append(
            item_add_request(
                make_request_id(request_prefix, f"item{n}"), key, line, settings, country=country
            )
        )
    # A settings item is added whenever it is missing and asked for: the caller asks for exactly the items its
    # requests name (`needed_items`), e.g. the fee item of a refund without lines on an order without fees.
    uses = (
        ("discount", settings.discount_item),
        ("shipping", settings.shipping_item),
        ("fee", settings.fee_item),
    )
    for kind, item in uses:
        if not item or item not in missing or item in seen:
            continue
        seen.add(item)
        parent, name = split_full_name(item)
        if to_quickbooks_text(name, ITEM_NAME) != name:
            raise OrderNotPostable(
                f"The {kind} item {item!r} in the channel settings is not in QuickBooks and its name "
                f"cannot be used for a new item (at most {ITEM_NAME} characters QuickBooks can store)."
            )
        if kind == "discount":
            requests.append(
                item_discount_add(
                    make_request_id(request_prefix, "discount-item"),
                    name=name,
                    parent=parent,
                    description="Discounts",
                    account=accounts.discount or _needs_account(accounts.income, "an income account"),
                    sales_tax_code=tax.code(True) or None,
                )
            )
        else:
            requests.append(
                item_other_charge_add(
                    make_request_id(request_prefix, f"{kind}-item"),
                    name=name,
                    parent=parent,
                    description="Shipping and handling" if kind == "shipping" else "Fees",
                    account=_needs_account(accounts.income, "an income account"),
                    sales_tax_code=tax.code(False) or None,
                )
            )
    return requests
