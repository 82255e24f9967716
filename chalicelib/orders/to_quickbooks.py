"""From a canonical `Order` to the qbXML requests that post it to QuickBooks Desktop (pure).

Inputs are the order, the channel's `ChannelSettings` and a few facts about the company file the use
case already knows: its `country` ("US", "CA", "UK", "AU": HostRet/Country), the customer and item
full names it resolved against the cached lists, and, for a staged flow, the TxnIDs QuickBooks
returned. Nothing here does I/O.

Decisions (documented here because the merchant sees their effects):

* **RefNumber** (`refnumber_and_memo`). Sales forms allow 11 characters. The order number (or id, per
  `order_number_source`) without a leading "#" is used as is when it fits. A longer one keeps its
  *last* 11 characters (the part that changes from order to order; leading punctuation dropped) so
  every form still has a number we can query by; the full number goes to PONumber (invoices, sales
  orders and credit memos; up to 25 characters) and always to the Memo. We never leave RefNumber
  empty: QuickBooks would then number the form itself and we could not find it again by number.
  Because a shortened number can collide, whoever reads a *_query_by_ref answer must confirm the
  match by ExternalGUID (or Memo).
* **GUIDs**. `order_guid` is a uuid5 of (connection, channel, order), in braces and upper case: the
  ExternalGUID of the order's sale. Other documents of the same order derive theirs with
  `derived_guid(order_guid, label)`: "invoice" and "payment" for sales_order_invoice_payment, and
  `refund_requests` uses "refund:<refund id>".
* **sales_order_invoice_payment** is posted in three round trips (DOCUMENTS): the sales order; the
  invoice, linked with LinkToTxnID to the TxnID QuickBooks returned (it copies the sales order's
  lines, so the invoice has none of its own); the payment applied to the invoice's TxnID.
* **Lines**. Each order line is an item line (Quantity and Rate; Quantity and Amount when the store's
  rounded line amount is not exactly quantity x price). A line discount follows its line as a
  discount-item line with a negative Amount and the line's tax code; order discounts come next
  (discount item), then shipping (shipping item), then fees (fee item). Zero shipping, fees and
  discounts are left out. Order tax is not a line: QuickBooks computes it.
* **Sales tax**. US files: `ItemSalesTaxRef` = settings.sales_tax_item on the header (omitted: the
  company's default), and each line is `taxable_code` / `non_taxable_code`. CA/UK/AU files: no
  ItemSalesTaxRef; each line gets `tax_code` / `exempt_tax_code` (omitted when empty: the item's
  own code applies). An order with no tax makes every line non-taxable. When the store gives tax per
  line (any line, shipping or fee `tax` > 0), exactly those are taxable; otherwise product lines
  follow `OrderLine.taxable` and shipping and fees are not taxable. Order discounts are taxable when
  any product line is (they lower the taxed amount). QuickBooks' computed tax can still differ by a
  cent from the store's; compare the TotalAmount a query returns with `order.total`.
* **Refunds** become credit memos ("Refund of <RefNumber>", RefNumber "<ref>-R<n>" cut to 11 from the
  left), tied to the sale by text only. Refund lines are taken as amounts before tax: QuickBooks adds
  the tax from the line codes. A refund without line detail is one fee-item line for its amount.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from lxml import etree

from chalicelib.qbxml.text import (
    CUSTOMER_NAME,
    ITEM_FULL_NAME,
    ITEM_NAME,
    MANUFACTURER_PART_NUMBER,
    MEMO,
    PO_NUMBER,
    REF_NUMBER,
    SALES_TAX_CODE_NAME,
    SALES_TAX_CODE_NAME_AU,
    to_quickbooks_text,
)
from chalicelib.qbxml.transactions import (
    QbAddress,
    SaleLine,
    credit_memo_add,
    customer_add,
    invoice_add,
    item_discount_add,
    item_inventory_add,
    item_non_inventory_add,
    item_other_charge_add,
    receive_payment_add,
    sales_order_add,
    sales_receipt_add,
)

from .model import Address, Order, OrderLine, Refund
from .settings import ChannelSettings, TransactionType

__all__ = [
    "COUNTRIES",
    "DOCUMENTS",
    "Country",
    "OrderNotPostable",
    "TotalsMismatch",
    "check_totals",
    "customer_add_request",
    "customer_name",
    "derived_guid",
    "item_add_request",
    "item_name",
    "items_named",
    "missing_item_requests",
    "needed_items",
    "order_guid",
    "payment_request",
    "refnumber_and_memo",
    "refund_ref_number",
    "refund_requests",
    "sale_lines",
    "sale_requests",
]

Country = Literal["US", "CA", "UK", "AU"]
COUNTRIES: tuple[Country, ...] = ("US", "CA", "UK", "AU")
DOCUMENTS: Mapping[TransactionType, tuple[str, ...]] = {
    "sales_receipt": ("sales_receipt",),
    "invoice": ("invoice",),
    "sales_order": ("sales_order",),
    "sales_order_invoice_payment": ("sales_order", "invoice", "payment"),
}
"""The documents each transaction type posts, in order. The sales order must exist before the invoice
can link it (LinkToTxnID takes a real TxnID, no macro), and the invoice before the payment."""

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:ledgerbridge:order")


class OrderNotPostable(ValueError):
    """The order cannot be expressed in QuickBooks; the message is written for the merchant."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TotalsMismatch(OrderNotPostable):
    """The order's parts do not add up to its total (to the cent)."""

    def __init__(self, difference: Decimal, computed: Decimal, expected: Decimal) -> None:
        self.difference = difference
        self.computed = computed
        self.expected = expected
        direction = "more" if difference > 0 else "less"
        super().__init__(
            f"The order's lines, shipping, fees and tax, less discounts, add up to {computed:.2f}, "
            f"which is {abs(difference):.2f} {direction} than the order total of {expected:.2f}. "
            "QuickBooks would record a different total, so the order was not posted; "
            "correct the order in the store and sync it again."
        )


# ----------------------------------------------------------------------------------------------
# identity


def order_guid(connection_id: str, channel_id: str, order_id: str) -> str:
    """The ExternalGUID of an order's sale: the same three ids always give the same GUID."""
    for name, value in (("connection_id", connection_id), ("channel_id", channel_id), ("order_id", order_id)):
        if not value:
            raise ValueError(f"{name} must not be empty")
    key = json.dumps([connection_id, channel_id, order_id], ensure_ascii=False)
    return "{" + str(uuid.uuid5(_NAMESPACE, key)).upper() + "}"


def derived_guid(guid: str, label: str) -> str:
    """A GUID for another document of the same order ("invoice", "payment", "refund:<id>")."""
    if not label:
        raise ValueError("label must not be empty")
    return "{" + str(uuid.uuid5(uuid.UUID(guid.strip("{}")), label)).upper() + "}"


def _order_number(order: Order, settings: ChannelSettings) -> str:
    raw = order.order_id if settings.order_number_source == "id" else order.number
    text = to_quickbooks_text(raw, 1000).lstrip("#").strip()
    if not text:
        text = to_quickbooks_text(order.order_id, 1000).lstrip("#").strip()
    if not text:
        raise OrderNotPostable(
            f"The order number {raw!r} has no characters QuickBooks can store, so the order has no "
            "number to post under."
        )
    return text


def _tail(text: str, max_length: int) -> str:
    """The last `max_length` characters, without leading punctuation or spaces."""
    if len(text) <= max_length:
        return text
    tail = text[-max_length:]
    stripped = tail.lstrip(" -_./#:")
    return stripped or tail


def refnumber_and_memo(order: Order, settings: ChannelSettings) -> tuple[str, str, str]:
    """(RefNumber, Memo, PONumber) for the order's sale. See the module docstring."""
    number = _order_number(order, settings)
    ref = _tail(number, REF_NUMBER)
    po_number = number if ref != number and len(number) <= PO_NUMBER else ""
    memo_text = f"Order {number}"
    if order.note:
        memo_text += "\n" + order.note
    memo = to_quickbooks_text(memo_text, MEMO, multiline=True)
    return ref, memo, po_number


def refund_ref_number(sale_ref: str, index: int) -> str:
    """RefNumber of the `index`-th (1-based) refund's credit memo: "<sale ref>-R<index>", keeping the
    end of the sale's number when it must be cut to 11 characters."""
    suffix = f"-R{index}"
    return _tail(sale_ref, REF_NUMBER - len(suffix)) + suffix


# ----------------------------------------------------------------------------------------------
# names


def _list_name(value: str, max_length: int) -> str:
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
        first = _list_name(c.first_name, CUSTOMER_NAME)
        last = _list_name(c.last_name, CUSTOMER_NAME)
        candidates = [", ".join(p for p in (last, first) if p), c.company, c.email.lower()]
    elif settings.customer_matching == "company":
        candidates = [c.company, order.billing_address.company]
    elif settings.customer_matching == "email":
        candidates = [c.email.lower()]
    else:
        raise ValueError(f"unknown customer_matching {settings.customer_matching!r}")
    for candidate in candidates:
        name = _list_name(candidate, CUSTOMER_NAME)
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
        return _list_name(source, ITEM_NAME)
    raise ValueError(f"unknown product_matching {settings.product_matching!r}")


def _created_item_full_name(key: str, settings: ChannelSettings) -> str:
    """The FullName of the item Ledgerbridge would create for `key`."""
    if settings.product_matching == "manufacturer_part_number":
        return _list_name(key, ITEM_NAME)
    return key


def _split_full_name(full_name: str) -> tuple[str, str]:
    parent, _, name = full_name.rpartition(":")
    return parent, name


# ----------------------------------------------------------------------------------------------
# totals and tax


def check_totals(order: Order) -> None:
    """Raise TotalsMismatch unless lines + shipping + fees + tax - discounts == order.total exactly."""
    computed = order.computed_total
    expected = order.total
    if computed != expected:
        raise TotalsMismatch(computed - expected, computed, expected)


def _check_country(country: str) -> None:
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}, got {country!r}")


def _tax_codes(settings: ChannelSettings, country: str) -> tuple[str, str]:
    """(taxable code, non-taxable code) for the company's country, checked for length."""
    _check_country(country)
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


class _Tax:
    """Which parts of an order QuickBooks should tax, and the code for each."""

    def __init__(self, order: Order, settings: ChannelSettings, country: str) -> None:
        _check_country(country)
        self.country = country
        self.has_tax = order.tax_total != 0
        self.detailed = (
            any(ln.tax for ln in order.lines)
            or any(s.tax for s in order.shipping_lines)
            or any(f.tax for f in order.fees)
        )
        self.taxable_code, self.exempt_code = _tax_codes(settings, country)
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


# ----------------------------------------------------------------------------------------------
# lines


def _uses_discounts(order: Order) -> bool:
    return (
        any(ln.discount for ln in order.lines)
        or any(d.amount for d in order.discounts)
        or any(s.discount for s in order.shipping_lines)
    )


def _setting_item(name: str, what: str) -> str:
    if not name.strip():
        raise OrderNotPostable(f"The order needs {what}; choose one in the channel settings.")
    return name


def _item_ref(key: str, settings: ChannelSettings, items: Mapping[str, str] | None) -> str:
    if items is not None and key in items:
        return items[key]
    return _created_item_full_name(key, settings)


def _product_line(
    line: OrderLine, item: str, quantity: Decimal, amount: Decimal, code: str, class_name: str
) -> SaleLine:
    exact = quantity * line.unit_price == amount
    return SaleLine(
        item=item,
        description=line.title,
        quantity=quantity,
        rate=line.unit_price if exact else None,
        amount=None if exact else amount,
        sales_tax_code=code,
        class_name=class_name,
    )


def _line_key(line: OrderLine, settings: ChannelSettings) -> str:
    key = item_name(line, settings)
    if not key:
        raise OrderNotPostable(
            f"Line {line.line_id} ({line.title!r}) has no SKU or title QuickBooks can store as an "
            "item name; give the product a SKU in the store."
        )
    return key


def sale_lines(
    order: Order, settings: ChannelSettings, *, country: str, items: Mapping[str, str] | None = None
) -> tuple[SaleLine, ...]:
    """The item lines of the order's sale (see the module docstring for order and tax codes).

    `items` maps `item_name(line)` to the FullName the use case matched in the company's items; a
    key it lacks is referred to by the name Ledgerbridge creates the item under.
    """
    if not order.lines:
        raise OrderNotPostable("The order has no product lines, so there is nothing to post.")
    tax = _Tax(order, settings, country)
    klass = settings.class_name
    discount_item = settings.discount_item
    if _uses_discounts(order):
        discount_item = _setting_item(discount_item, "a discount item")
    shipping_item = settings.shipping_item
    if any(s.price for s in order.shipping_lines):
        shipping_item = _setting_item(shipping_item, "a shipping item")
    fee_item = settings.fee_item
    if any(f.amount for f in order.fees):
        fee_item = _setting_item(fee_item, "a fee item")
    out: list[SaleLine] = []
    any_taxable = False
    for line in order.lines:
        taxable = tax.line(line)
        any_taxable = any_taxable or taxable
        item = _item_ref(_line_key(line, settings), settings, items)
        out.append(_product_line(line, item, line.quantity, line.amount, tax.code(taxable), klass))
        if line.discount:
            out.append(
                SaleLine(
                    item=discount_item,
                    description=f"Discount on {line.title}",
                    amount=-line.discount,
                    sales_tax_code=tax.code(taxable),
                    class_name=klass,
                )
            )
    for discount in order.discounts:
        if discount.amount:
            out.append(
                SaleLine(
                    item=discount_item,
                    description=f"Discount {discount.code}".strip(),
                    amount=-discount.amount,
                    sales_tax_code=tax.code(any_taxable),
                    class_name=klass,
                )
            )
    for shipping in order.shipping_lines:
        taxable = tax.other(shipping.tax)
        if shipping.price:
            out.append(
                SaleLine(
                    item=shipping_item,
                    description=shipping.title,
                    amount=shipping.price,
                    sales_tax_code=tax.code(taxable),
                    class_name=klass,
                )
            )
        if shipping.discount:
            out.append(
                SaleLine(
                    item=discount_item,
                    description=f"Shipping discount ({shipping.title})",
                    amount=-shipping.discount,
                    sales_tax_code=tax.code(taxable),
                    class_name=klass,
                )
            )
    for fee in order.fees:
        if fee.amount:
            out.append(
                SaleLine(
                    item=fee_item,
                    description=fee.title,
                    amount=fee.amount,
                    sales_tax_code=tax.code(tax.other(fee.tax)),
                    class_name=klass,
                )
            )
    subtotal = order.computed_total - order.tax_total
    if subtotal < 0:
        raise OrderNotPostable(
            f"The order's discounts exceed its value (subtotal {subtotal:.2f}); QuickBooks cannot "
            "record a sale with a negative total."
        )
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# addresses and customers


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


def _addresses(order: Order) -> tuple[QbAddress | None, QbAddress | None]:
    name = order.customer.full_name
    return _qb_address(order.billing_address, name), _qb_address(order.shipping_address, name)


def customer_add_request(
    order: Order, settings: ChannelSettings, *, request_id: str, external_guid: str | None = None
) -> etree._Element:
    """CustomerAddRq for the order's customer, named by `customer_name` (for a missing customer)."""
    name = customer_name(order, settings)
    if ":" in name or len(name) > CUSTOMER_NAME:
        raise OrderNotPostable(
            f"The customer {name!r} from the channel settings is not in QuickBooks and cannot be "
            "created automatically (it is a sub-customer or too long); add it in QuickBooks."
        )
    c = order.customer
    bill, ship = _addresses(order)
    return customer_add(
        request_id,
        name=name,
        company_name=c.company or order.billing_address.company,
        first_name=c.first_name,
        last_name=c.last_name,
        bill_address=bill,
        ship_address=ship,
        phone=c.phone or order.billing_address.phone,
        email=c.email,
        external_guid=external_guid,
    )


# ----------------------------------------------------------------------------------------------
# missing items


def _request_id(prefix: str, suffix: str) -> str:
    if not prefix:
        raise ValueError("request_prefix must not be empty")
    request_id = f"{prefix}-{suffix}"
    if len(request_id) > 50:
        raise ValueError(f"request_prefix {prefix!r} is too long for a 50-character requestID")
    return request_id


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
    taxable_code, exempt_code = _tax_codes(settings, country)
    code = (taxable_code if line.taxable else exempt_code) or None
    parent, name = _split_full_name(_created_item_full_name(key, settings))
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
        k
        for k in missing
        if k.casefold() in named or _created_item_full_name(k, settings).casefold() in named
    }


def missing_item_requests(
    order: Order,
    settings: ChannelSettings,
    *,
    country: str,
    request_prefix: str,
    missing: Collection[str],
) -> list[etree._Element]:
    """Item adds for the order's items the use case did not find in QuickBooks.

    `missing` holds `item_name` keys of product lines and/or the shipping, discount and fee item
    names from the settings. Products become non-inventory or inventory items per
    `settings.missing_items` ("fail" raises OrderNotPostable naming them); shipping and fees become
    other-charge items, the discount item a discount item. A full-name key creates the last level
    under its parent, which must already exist.
    """
    tax = _Tax(order, settings, country)
    requests: list[etree._Element] = []
    seen: set[str] = set()
    product_missing: list[tuple[str, OrderLine]] = []
    for line in order.lines:
        key = _line_key(line, settings)
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
            item_add_request(_request_id(request_prefix, f"item{n}"), key, line, settings, country=country)
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
        parent, name = _split_full_name(item)
        if to_quickbooks_text(name, ITEM_NAME) != name:
            raise OrderNotPostable(
                f"The {kind} item {item!r} in the channel settings is not in QuickBooks and its name "
                f"cannot be used for a new item (at most {ITEM_NAME} characters QuickBooks can store)."
            )
        if kind == "discount":
            requests.append(
                item_discount_add(
                    _request_id(request_prefix, "discount-item"),
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
                    _request_id(request_prefix, f"{kind}-item"),
                    name=name,
                    parent=parent,
                    description="Shipping and handling" if kind == "shipping" else "Fees",
                    account=_needs_account(accounts.income, "an income account"),
                    sales_tax_code=tax.code(False) or None,
                )
            )
    return requests


# ----------------------------------------------------------------------------------------------
# the sale, its payment, its refunds


def _payment_method(order: Order, settings: ChannelSettings) -> str:
    for payment in order.payments:
        mapped = settings.payment_methods.get(payment.method)
        if mapped:
            return mapped
    return settings.default_payment_method


def sale_requests(
    order: Order,
    settings: ChannelSettings,
    *,
    country: str,
    request_prefix: str,
    txn_type: TransactionType,
    customer: str,
    guid: str,
    linked_sales_order_txn_id: str | None = None,
    items: Mapping[str, str] | None = None,
) -> list[etree._Element]:
    """The add request for one sale document of the order (a list of one element).

    `txn_type` is the settings' transaction type or a document of it: "sales_receipt", "invoice",
    "sales_order". "sales_order_invoice_payment" is posted in stages (see DOCUMENTS): without
    `linked_sales_order_txn_id` this builds the sales order; with it, the invoice linked to that
    sales order (QuickBooks copies the sales order's lines, so the invoice carries none; "invoice"
    with a linked id is the same); then `payment_request`. `customer` is the customer's FullName,
    `guid` the document's ExternalGUID (`order_guid`; `derived_guid(order_guid, "invoice")` for the
    staged invoice). `items` as for `sale_lines`. Raises TotalsMismatch / OrderNotPostable for
    orders QuickBooks cannot record as they are.
    """
    document: str = txn_type
    if txn_type == "sales_order_invoice_payment":
        document = "invoice" if linked_sales_order_txn_id else "sales_order"
    check_totals(order)
    ref, memo, po_number = refnumber_and_memo(order, settings)
    tax = _Tax(order, settings, country)
    bill, ship = _addresses(order)
    request_id = _request_id(request_prefix, document.replace("_", "-"))
    if document == "invoice" and linked_sales_order_txn_id:
        return [
            invoice_add(
                request_id,
                customer=customer,
                txn_date=order.order_date,
                ref_number=ref,
                class_name=settings.class_name,
                ar_account=settings.accounts.receivable,
                bill_address=bill,
                ship_address=ship,
                po_number=po_number,
                item_sales_tax=tax.header_item,
                memo=memo,
                external_guid=guid,
                link_to_txn_ids=[linked_sales_order_txn_id],
            )
        ]
    if linked_sales_order_txn_id:
        raise ValueError("linked_sales_order_txn_id is only for invoices")
    lines = sale_lines(order, settings, country=country, items=items)
    if document == "sales_receipt":
        if not settings.accounts.deposit:
            raise OrderNotPostable(
                "Sales receipts need a deposit account (where the payment goes, e.g. Undeposited "
                "Funds); choose one in the channel settings."
            )
        element = sales_receipt_add(
            request_id,
            customer=customer,
            txn_date=order.order_date,
            lines=lines,
            ref_number=ref,
            class_name=settings.class_name,
            bill_address=bill,
            ship_address=ship,
            payment_method=_payment_method(order, settings),
            item_sales_tax=tax.header_item,
            memo=memo,
            deposit_account=settings.accounts.deposit,
            external_guid=guid,
        )
    elif document == "invoice":
        element = invoice_add(
            request_id,
            customer=customer,
            txn_date=order.order_date,
            lines=lines,
            ref_number=ref,
            class_name=settings.class_name,
            ar_account=settings.accounts.receivable,
            bill_address=bill,
            ship_address=ship,
            po_number=po_number,
            item_sales_tax=tax.header_item,
            memo=memo,
            external_guid=guid,
        )
    elif document == "sales_order":
        element = sales_order_add(
            request_id,
            customer=customer,
            txn_date=order.order_date,
            lines=lines,
            ref_number=ref,
            class_name=settings.class_name,
            bill_address=bill,
            ship_address=ship,
            po_number=po_number,
            item_sales_tax=tax.header_item,
            memo=memo,
            external_guid=guid,
        )
    else:
        raise ValueError(f"unknown txn_type {txn_type!r}")
    return [element]


def payment_request(
    order: Order,
    settings: ChannelSettings,
    *,
    request_id: str,
    customer: str,
    invoice_txn_id: str,
    guid: str,
    amount: Decimal | None = None,
) -> etree._Element:
    """ReceivePaymentAddRq applying what the customer paid (`amount`, default the order's paid
    amount, at most its total) to the invoice `invoice_txn_id`. Same RefNumber as the invoice."""
    if not settings.accounts.deposit:
        raise OrderNotPostable(
            "Payments need a deposit account (e.g. Undeposited Funds); choose one in the channel settings."
        )
    paid = min(order.paid_amount, order.total) if amount is None else amount
    if paid <= 0:
        raise OrderNotPostable("The order has no payment to record.")
    if paid > order.total:
        raise OrderNotPostable(
            f"The payment of {paid:.2f} is more than the order total of {order.total:.2f}."
        )
    ref, _, _ = refnumber_and_memo(order, settings)
    number = _order_number(order, settings)
    references = [p.reference for p in order.payments if p.reference]
    memo = f"Payment for order {number}"
    if references:
        memo += f" (reference {', '.join(references)})"
    paid_dates = [p.paid_at.date() for p in order.payments if p.paid_at is not None]
    txn_date: date = max(paid_dates) if paid_dates else order.order_date
    return receive_payment_add(
        request_id,
        customer=customer,
        txn_date=txn_date,
        ref_number=ref,
        total=paid,
        payment_method=_payment_method(order, settings),
        deposit_account=settings.accounts.deposit,
        applied_to_txn_id=invoice_txn_id,
        payment_amount=paid,
        ar_account=settings.accounts.receivable,
        memo=memo,
        external_guid=guid,
    )


def _refund_lines(
    order: Order,
    refund: Refund,
    settings: ChannelSettings,
    tax: _Tax,
    items: Mapping[str, str] | None,
) -> list[SaleLine]:
    by_id = {line.line_id: line for line in order.lines}
    klass = settings.class_name
    out: list[SaleLine] = []
    for refunded in refund.lines:
        line = by_id.get(refunded.line_id)
        if line is None:
            raise OrderNotPostable(
                f"Refund {refund.refund_id} returns line {refunded.line_id}, which the order does not have."
            )
        item = _item_ref(_line_key(line, settings), settings, items)
        out.append(
            _product_line(line, item, refunded.quantity, refunded.amount, tax.code(tax.line(line)), klass)
        )
    if refund.shipping:
        taxable = any(tax.other(s.tax) for s in order.shipping_lines)
        out.append(
            SaleLine(
                item=settings.shipping_item,
                description="Shipping refund",
                amount=refund.shipping,
                sales_tax_code=tax.code(taxable),
                class_name=klass,
            )
        )
    if not out and refund.amount:
        out.append(
            SaleLine(
                item=settings.fee_item,
                description=refund.note or "Refund",
                amount=refund.amount,
                sales_tax_code=tax.code(False),
                class_name=klass,
            )
        )
    return out


def refund_requests(
    order: Order,
    settings: ChannelSettings,
    *,
    country: str,
    request_prefix: str,
    customer: str,
    guid: str,
    items: Mapping[str, str] | None = None,
    refund_ids: Collection[str] | None = None,
) -> list[etree._Element]:
    """A CreditMemoAddRq per refund of the order (all, or those in `refund_ids`), numbered by their
    place in time order ("<ref>-R1", "-R2", ...), each with ExternalGUID
    `derived_guid(guid, "refund:<refund id>")` where `guid` is the order's GUID. Refunds of nothing
    (no lines, no shipping, zero amount) are skipped."""
    tax = _Tax(order, settings, country)
    ref, _, po_number = refnumber_and_memo(order, settings)
    number = _order_number(order, settings)
    bill, ship = _addresses(order)
    ordered: Sequence[Refund] = sorted(order.refunds, key=lambda r: (r.created_at, r.refund_id))
    requests: list[etree._Element] = []
    for index, refund in enumerate(ordered, start=1):
        if refund_ids is not None and refund.refund_id not in refund_ids:
            continue
        lines = _refund_lines(order, refund, settings, tax, items)
        if not lines:
            continue
        memo = f"Refund of {ref}" + (f" (order {number})" if number != ref else "")
        if refund.note:
            memo += "\n" + refund.note
        requests.append(
            credit_memo_add(
                _request_id(request_prefix, f"cm{index}"),
                customer=customer,
                txn_date=refund.created_at.date(),
                lines=lines,
                ref_number=refund_ref_number(ref, index),
                class_name=settings.class_name,
                ar_account=settings.accounts.receivable,
                bill_address=bill,
                ship_address=ship,
                po_number=po_number,
                item_sales_tax=tax.header_item,
                memo=memo,
                external_guid=derived_guid(guid, f"refund:{refund.refund_id}"),
            )
        )
    return requests
