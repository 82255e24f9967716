"""Matching an order to the company's lists: the customer's and the items' names, and addresses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from chalicelib.qbxml.text import (
    CUSTOMER_NAME,
    ITEM_FULL_NAME,
    ITEM_NAME,
    MANUFACTURER_PART_NUMBER,
    to_quickbooks_text,
)
from chalicelib.qbxml.transactions import QbAddress

from ..model import Address, Order, OrderLine
from ..settings import ChannelSettings, CustomerMatching
from .errors import OrderNotPostable

__all__ = [
    "addresses",
    "created_item_full_name",
    "customer_name",
    "email_checked_name",
    "emails_match",
    "item_name",
    "item_ref",
    "line_key",
    "list_name",
    "person_name",
    "split_full_name",
]


def list_name(value: str, max_length: int) -> str:
    """A name for a list record: reduced, with ':' (QuickBooks' level separator) replaced, and cut
    at exactly `max_length` (the end of a long name may be what sets it apart)."""
    return to_quickbooks_text(value.replace(":", "-"), max_length, word_boundary=False)


WEB_STORE = "Web Store"  # the store's customer of `store_currency` when `single_customer` is empty
EMAIL_SEPARATOR = " - "  # between a name and its e-mail: "Smith, John - john@x.com"
_M = CustomerMatching


@dataclass(frozen=True)
class PersonName:
    """A person's name as the order gives it, with the middle initial when the store gives one."""

    first: str  # as given ("John Thomas" stays whole without the middle initial)
    middle_initial: str
    last: str

    def _given(self, middle: bool) -> str:
        if middle and self.middle_initial:
            return f"{self.first.split()[0]} {self.middle_initial}"
        return self.first

    def last_first(self, *, middle: bool = False) -> str:
        """ "Smith, John" ("Smith, John T" with the middle initial)."""
        return ", ".join(p for p in (self.last, self._given(middle)) if p)

    def first_last(self, *, middle: bool = False) -> str:
        """ "John Smith" ("John T Smith" with the middle initial)."""
        return " ".join(p for p in (self._given(middle), self.last) if p)


def _initial(word: str) -> str:
    return next((ch.upper() for ch in word if ch.isalpha()), "")


def person_name(order: Order) -> PersonName:
    """The customer's name; the middle initial from a first name of several words ("John Thomas": J. T.) or
    from the billing name between the same first and last names ("John T. Smith")."""
    c = order.customer
    words = c.first_name.split()
    first = words[0] if words else ""
    middle = _initial(words[1]) if len(words) > 1 else ""
    if not middle:
        billed = order.billing_address.name.split()
        last_words = c.last_name.split()
        if (
            len(billed) >= len(last_words) + 2
            and first
            and billed[0].casefold() == first.casefold()
            and [w.casefold() for w in billed[len(billed) - len(last_words) :]]
            == [w.casefold() for w in last_words]
        ):
            middle = _initial(billed[1])
    return PersonName(c.first_name.strip(), middle, c.last_name.strip())


def shipping_person_name(order: Order) -> PersonName:
    """The shipping address's name: its last word is the last name, the first the first name."""
    words = order.shipping_address.name.split()
    if not words:
        return PersonName("", "", "")
    if len(words) == 1:
        return PersonName(words[0], "", "")
    return PersonName(words[0], _initial(words[1]) if len(words) > 2 else "", words[-1])


def _with_email(name: str, email: str) -> str:
    """ "Smith, John - john@x.com" within 41 characters: the name is cut before the e-mail is; without a
    name, the e-mail; without an e-mail, the name."""
    name = list_name(name, CUSTOMER_NAME)
    email = list_name(email, CUSTOMER_NAME)
    if not name or not email:
        return name or email
    room = CUSTOMER_NAME - len(EMAIL_SEPARATOR) - len(email)
    if room <= 0:
        return list_name(f"{name}{EMAIL_SEPARATOR}{email}", CUSTOMER_NAME)
    return f"{list_name(name, room).rstrip(' ,')}{EMAIL_SEPARATOR}{email}"


def _candidates(order: Order, settings: ChannelSettings) -> list[str]:
    """The names to try in turn, per matching mode (the first usable one is the customer)."""
    c = order.customer
    mode = settings.customer_matching
    email = c.email.strip().lower()
    person = person_name(order)
    last_first = person.last_first()
    if mode in (_M.LAST_FIRST, _M.NAME_EMAIL_MATCH):
        # Each part reduced first, so a long first name does not push the last name out.
        first = list_name(person.first, CUSTOMER_NAME)
        last = list_name(person.last, CUSTOMER_NAME)
        return [", ".join(p for p in (last, first) if p), c.company, email]
    if mode == _M.FIRST_LAST:
        return [person.first_last(), c.company, email]
    if mode == _M.LAST_FIRST_EMAIL:
        return [_with_email(last_first or c.company, email)]
    if mode == _M.FIRST_LAST_EMAIL:
        return [_with_email(person.first_last() or c.company, email)]
    if mode == _M.LAST_FIRST_MIDDLE:
        return [person.last_first(middle=True), c.company, email]
    if mode == _M.FIRST_MIDDLE_LAST:
        return [person.first_last(middle=True), c.company, email]
    if mode == _M.COMPANY:
        return [c.company, order.billing_address.company]
    if mode == _M.BILLING_COMPANY_OR_NAME:
        return [order.billing_address.company, c.company, last_first, email]
    if mode == _M.SHIPPING_COMPANY_OR_NAME:
        return [order.shipping_address.company, shipping_person_name(order).last_first(), last_first, email]
    if mode == _M.EMAIL:
        return [email]
    if mode == _M.STORE_CURRENCY:
        store = list_name(settings.single_customer or WEB_STORE, CUSTOMER_NAME - 1 - len(order.currency))
        return [f"{store} {order.currency}"]
    if mode == _M.SINGLE_CUSTOMER:
        return []
    raise ValueError(f"unknown customer_matching {mode!r}")


def email_checked_name(order: Order, settings: ChannelSettings) -> str | None:
    """With `name_email_match`: the QuickBooks customer name whose e-mail decides where the order goes (the
    caller learns it from QuickBooks, see `customer_name`); None with every other mode."""
    if settings.customer_matching != _M.NAME_EMAIL_MATCH:
        return None
    return customer_name(order, replace(settings, customer_matching=_M.LAST_FIRST))


def emails_match(quickbooks_email: str, order_email: str) -> bool:
    """Whether the order's e-mail is (one of) the QuickBooks customer's: its Email field may hold several,
    separated by ',' or ';'. Compared without case; two empty e-mails match."""
    wanted = order_email.strip().casefold()
    held = {e.strip().casefold() for e in quickbooks_email.replace(";", ",").split(",") if e.strip()}
    return wanted in held if wanted else not held


def customer_name(
    order: Order, settings: ChannelSettings, quickbooks_emails: Mapping[str, str | None] | None = None
) -> str:
    """The customer the order is posted to, per `settings.customer_matching` (`CustomerMatching` documents
    each mode with an example; docs/accounting/customer-matching.md for merchants).

    Names from the order are reduced to 41 characters (QuickBooks' limit for a customer Name) without ':'
    (its job separator); the same order always gives the same name. When nothing usable is left,
    `settings.fallback_customer`. Names from the settings are existing customers' full names and are used
    as given (`store_currency` adds the currency to one, reduced like an order's name).

    name_email_match: `quickbooks_emails` maps the case-folded "Last, First" name to that QuickBooks
    customer's Email ("" when it has none), or to None when QuickBooks has no such customer. The order goes
    to the name when QuickBooks has no such customer or its e-mail is the order's (`emails_match`), else to
    `settings.fallback_customer` (the web-store customer). Without an answer for the name (a preview) the
    name is given as if the e-mails matched.
    """
    if settings.customer_matching == _M.SINGLE_CUSTOMER and settings.single_customer.strip():
        return settings.single_customer.strip()
    for candidate in _candidates(order, settings):
        name = list_name(candidate, CUSTOMER_NAME)
        if name:
            if settings.customer_matching == _M.NAME_EMAIL_MATCH and quickbooks_emails is not None:
                held = quickbooks_emails.get(name.casefold())
                if held is not None and not emails_match(held, order.customer.email):
                    break  # another customer of that name: the web-store customer
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
