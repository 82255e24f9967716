"""Matching an order to the company's lists: the customer's and the items' names, and addresses."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.qbxml.text import (
    CUSTOMER_NAME,
    ITEM_FULL_NAME,
    ITEM_NAME,
    MANUFACTURER_PART_NUMBER,
    to_quickbooks_text,
)
from chalicelib.qbxml.transactions import QbAddress

from ..model import Address, Order, OrderLine
from ..settings import ChannelSettings
from .errors import OrderNotPostable

__all__ = [
    "addresses",
    "created_item_full_name",
    "customer_name",
    "item_name",
    "item_ref",
    "line_key",
    "list_name",
    "split_full_name",
]


def list_name(value: str, max_length: int) -> str:
    """A name for a list record: reduced, with ':' (QuickBooks' level separator) replaced, and cut
    at exactly `max_length` (the end of a long name may be what sets it apart)."""
    return to_quickbooks_text(value.replace(":", "-"), max_length, word_boundary=False)


def customer_name(order: Order, settings: ChannelSettings) -> str:
    """The customer the order is posted to, per `settings.customer_matching`.

    single_customer: `settings.single_customer`. last_first: "Last, First" (or the one given), else
    the company, else the e-mail. company: the company (customer's, then the billing address's).
    email: the e-mail address (lower case; QuickBooks cannot search customers by e-mail, so it is the
    name). Names from the order are reduced to 41 characters without ':'. When nothing usable is
    left, `settings.fallback_customer`. Names from the settings are existing customers' full names
    and are used as given.
    """
    c = order.customer
    candidates: list[str] = []
    if settings.customer_matching == "single_customer":
        if settings.single_customer.strip():
            return settings.single_customer.strip()
    elif settings.customer_matching == "last_first":
        first = list_name(c.first_name, CUSTOMER_NAME)
        last = list_name(c.last_name, CUSTOMER_NAME)
        candidates = [", ".join(p for p in (last, first) if p), c.company, c.email.lower()]
    elif settings.customer_matching == "company":
        candidates = [c.company, order.billing_address.company]
    elif settings.customer_matching == "email":
        candidates = [c.email.lower()]
    else:
        raise ValueError(f"unknown customer_matching {settings.customer_matching!r}")
    for candidate in candidates:
        name = list_name(candidate, CUSTOMER_NAME)
        if name:
            return name
    fallback = settings.fallback_customer.strip()
    if not fallback:
        raise OrderNotPostable(
            "The order has no customer name QuickBooks can use and the channel has no fallback "
            "customer; choose a fallback customer in the channel settings."
        )
    return fallback


def item_name(line: OrderLine, settings: ChannelSettings) -> str:
    """The key that finds a line's item in QuickBooks, from its SKU (its title when it has none).

    name: an item Name (31 characters, ':' replaced). full_name: "Parent:Child" with each level
    reduced to 31 (159 in all). manufacturer_part_number: the ManufacturerPartNumber (31). Empty
    when nothing storable is left.
    """
    source = line.sku or line.title
    if settings.product_matching == "full_name":
        levels = [to_quickbooks_text(level, ITEM_NAME, word_boundary=False) for level in source.split(":")]
        joined = ":".join(level for level in levels if level)
        return to_quickbooks_text(joined, ITEM_FULL_NAME, word_boundary=False).strip(":")
    if settings.product_matching == "manufacturer_part_number":
        return to_quickbooks_text(source, MANUFACTURER_PART_NUMBER, word_boundary=False)
    if settings.product_matching == "name":
        return list_name(source, ITEM_NAME)
    raise ValueError(f"unknown product_matching {settings.product_matching!r}")


def created_item_full_name(key: str, settings: ChannelSettings) -> str:
    """The FullName of the item Ledgerbridge would create for `key`."""
    if settings.product_matching == "manufacturer_part_number":
        return list_name(key, ITEM_NAME)
    return key


def split_full_name(full_name: str) -> tuple[str, str]:
    """("Parent:Sub", "Name") of "Parent:Sub:Name"; ("", "Name") at the top level."""
    parent, _, name = full_name.rpartition(":")
    return parent, name


def line_key(line: OrderLine, settings: ChannelSettings) -> str:
    """`item_name` of the line; OrderNotPostable when it is empty."""
    key = item_name(line, settings)
    if not key:
        raise OrderNotPostable(
            f"Line {line.line_id} ({line.title!r}) has no SKU or title QuickBooks can store as an "
            "item name; give the product a SKU in the store."
        )
    return key


def item_ref(key: str, settings: ChannelSettings, items: Mapping[str, str] | None) -> str:
    """The ItemRef FullName for `key`: the matched item's, else the name Ledgerbridge creates it under."""
    if items is not None and key in items:
        return items[key]
    return created_item_full_name(key, settings)


def _qb_address(address: Address, fallback_name: str) -> QbAddress | None:
    if address.empty:
        return None
    lines = [v for v in (address.name or fallback_name, address.company, address.line1, address.line2) if v]
    lines += [""] * (5 - len(lines))
    return QbAddress(
        addr1=lines[0],
        addr2=lines[1],
        addr3=lines[2],
        addr4=lines[3],
        addr5=lines[4],
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )


def addresses(order: Order) -> tuple[QbAddress | None, QbAddress | None]:
    """(BillAddress, ShipAddress), each None when the order's is empty."""
    name = order.customer.full_name
    return _qb_address(order.billing_address, name), _qb_address(order.shipping_address, name)
