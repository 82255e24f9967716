"""Orders from Shopify: the orders query (what the canonical order needs, nested lists a few at a time with
the order and the rest with `order(id)` / `refund(id)` follow-ups) and the mapping of a Shopify order to the
canonical order (see the package's docstring for each field)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.channels.base import (
    FetchedOrder,
    Window,
    canonical,
    parse_time,
)
from chalicelib.channels.shopify.client import ShopifyGraphQL, _more_after, _nodes, _text
from chalicelib.channels.values import attributes
from chalicelib.orders.model import OrderInvalid

MAX_FOLLOW_UPS = 20  # extra queries for the rest of one long list
# How many of each nested list come with the order (each multiplies the page's cost); the rest follow.
LINES_WITH_ORDER = 10
SHIPPING_WITH_ORDER = 2
REFUND_LINES_WITH_ORDER = 5
REFUND_SHIPPING_WITH_ORDER = 1
LINES_PER_FOLLOW_UP = 50

_MONEY = "{ shopMoney { amount } }"
_TAX = f"taxLines {{ title ratePercentage priceSet {_MONEY} }}"
_ALLOCATIONS = f"discountAllocations {{ allocatedAmountSet {_MONEY} }}"
_ADDRESS = "{ name firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone }"
_LINE = f"id sku title name quantity taxable originalUnitPriceSet {_MONEY} {_ALLOCATIONS} {_TAX}"
_SHIPPING = f"title originalPriceSet {_MONEY} {_ALLOCATIONS} {_TAX}"
_REFUND_LINE = f"quantity lineItem {{ id }} subtotalSet {_MONEY}"
_REFUND_SHIPPING = f"subtotalAmountSet {_MONEY}"
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_ORDER = f"""
      id name createdAt updatedAt currencyCode email phone note tags customAttributes {{ key value }}
      retailLocation {{ name }}
      cancelledAt closedAt displayFinancialStatus displayFulfillmentStatus taxesIncluded discountCodes
      customer {{ firstName lastName email phone }}
      billingAddress {_ADDRESS}
      shippingAddress {_ADDRESS}
      lineItems(first: {LINES_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_LINE} }} }}
      shippingLines(first: {SHIPPING_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_SHIPPING} }} }}
      {_TAX}
      totalPriceSet {_MONEY}
      totalDiscountsSet {_MONEY}
      originalTotalDutiesSet {_MONEY}
      transactions {{ id kind status gateway processedAt createdAt amountSet {_MONEY} }}
      refunds {{
        id createdAt note totalRefundedSet {_MONEY}
        refundLineItems(first: {REFUND_LINES_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_REFUND_LINE} }} }}
        refundShippingLines(first: {REFUND_SHIPPING_WITH_ORDER}) {{ {_PAGE_INFO} nodes {{ {_REFUND_SHIPPING} }} }}
      }}"""
ORDERS_QUERY = f"""query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    {_PAGE_INFO}
    nodes {{{_ORDER}
    }}
  }}
}}"""
ORDERS_AND_COUNT_QUERY = f"""query Orders($first: Int!, $after: String, $query: String) {{
  ordersCount(query: $query) {{ count }}
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{
    {_PAGE_INFO}
    nodes {{{_ORDER}
    }}
  }}
}}"""
# The rest of a nested list: (root field, list field, query)
_FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "lineItems": ("order", _LINE),
    "shippingLines": ("order", _SHIPPING),
    "refundLineItems": ("refund", _REFUND_LINE),
    "refundShippingLines": ("refund", _REFUND_SHIPPING),
}


def _follow_up_query(list_field: str) -> str:
    root, fields = _FOLLOW_UPS[list_field]
    return (
        f"query More($id: ID!, $after: String) {{ {root}(id: $id) {{ "
        f"{list_field}(first: {LINES_PER_FOLLOW_UP}, after: $after) {{ {_PAGE_INFO} nodes {{ {fields} }} }} }} }}"
    )


def numeric_id(value: Any) -> str:
    """gid://shopify/Order/123 -> "123" (other values as text)."""
    text = str(value or "")
    return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text


def _amount(bag: Any, what: str) -> Decimal:
    """The shop-currency amount of a MoneyBag; a missing or unreadable one names `what`."""
    money = bag.get("shopMoney") if isinstance(bag, Mapping) else None
    raw = money.get("amount") if isinstance(money, Mapping) else None
    if raw is None:
        raise OrderInvalid({what: "is missing from Shopify's order"})
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise OrderInvalid({what: f"is not an amount in Shopify's order ({raw!r})"}) from None
    if not value.is_finite():
        raise OrderInvalid({what: f"is not an amount in Shopify's order ({raw!r})"})
    return value


def _optional_amount(bag: Any, what: str) -> Decimal:
    return Decimal(0) if bag is None else _amount(bag, what)


def _sum(items: Any, key: str, what: str) -> Decimal:
    total = Decimal(0)
    for item in items or ():
        total += _amount(item.get(key) if isinstance(item, Mapping) else None, what)
    return total


def _address(data: Any) -> dict[str, str]:
    a = data if isinstance(data, Mapping) else {}
    return {
        "name": _text(a.get("name"), 200),
        "company": _text(a.get("company"), 200),
        "line1": _text(a.get("address1"), 200),
        "line2": _text(a.get("address2"), 200),
        "city": _text(a.get("city"), 200),
        "state": _text(a.get("provinceCode"), 200),
        "postal_code": _text(a.get("zip"), 200),
        "country": _text(a.get("countryCodeV2"), 200),
        "phone": _text(a.get("phone"), 200),
    }


def _rate(tax_line: Mapping[str, Any]) -> str | None:
    """The tax rate in percent when it has at most two decimals (the canonical form), else None."""
    raw = tax_line.get("ratePercentage")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        rate = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not rate.is_finite() or rate < 0 or rate != rate.quantize(Decimal("0.01")):
        return None
    return str(rate)


def _payment_status(financial: Any, paid: Decimal, total: Decimal) -> str:
    if financial == "PAID":
        return "paid"
    if financial == "PARTIALLY_PAID":
        return "partially_paid"
    if financial in ("PARTIALLY_REFUNDED", "REFUNDED"):  # paid first, then (partly) refunded
        if paid >= total:
            return "paid"
        return "partially_paid" if paid > 0 else "unpaid"
    return "unpaid"  # PENDING, AUTHORIZED, EXPIRED, VOIDED


class ShopifyOrders(ShopifyGraphQL):
    """Reading and mapping orders (part of ShopifyConnector)."""

    def _rest(self, list_field: str, owner_id: Any, after: str | None) -> list[Any]:
        """The items of a nested list after `after` (the part that did not come with the order)."""
        items: list[Any] = []
        root = _FOLLOW_UPS[list_field][0]
        for _ in range(MAX_FOLLOW_UPS):
            if after is None:
                return items
            data = self._query(_follow_up_query(list_field), {"id": owner_id, "after": after})
            owner = data.get(root)
            if not isinstance(owner, Mapping):
                raise OrderInvalid({list_field: "could not be read from Shopify (the order is gone?)"})
            items.extend(_nodes(owner.get(list_field)))
            after = _more_after(owner.get(list_field))
        raise OrderInvalid({list_field: "has more entries than Ledgerbridge reads for one order"})

    def _all(self, owner: Mapping[str, Any], list_field: str) -> list[Any]:
        connection = owner.get(list_field)
        return _nodes(connection) + self._rest(list_field, owner.get("id"), _more_after(connection))

    # -- mapping -------------------------------------------------------------------------------------
    def _fetched(self, node: Mapping[str, Any], window: Window) -> FetchedOrder:
        order_id = numeric_id(node.get("id")) or "?"
        number = _text(node.get("name"), 100).lstrip("#")
        try:
            updated = parse_time(node.get("updatedAt"))
        except ValueError:
            updated = window.until
        return canonical(order_id, updated, number, lambda: self._document(node))

    def _document(self, node: Mapping[str, Any]) -> dict[str, Any]:
        if node.get("taxesIncluded"):
            raise OrderInvalid(
                {
                    "taxes": "are included in the store's prices; Ledgerbridge cannot yet split the tax out "
                    "of Shopify's tax-inclusive prices"
                }
            )
        lines = []
        allocated = Decimal(0)
        for i, item in enumerate(self._all(node, "lineItems")):
            sku = _text(item.get("sku"), 100)
            label = f"line {i + 1}" + (f" ({sku})" if sku else "")
            discount = _sum(item.get("discountAllocations"), "allocatedAmountSet", f"{label} discount")
            allocated += discount
            lines.append(
                {
                    "id": numeric_id(item.get("id")) or str(i + 1),
                    "sku": sku,
                    "title": _text(item.get("name") or item.get("title"), 500) or sku or "Item",
                    "quantity": item.get("quantity"),
                    "unit_price": str(_amount(item.get("originalUnitPriceSet"), f"{label} price")),
                    "discount": str(discount),
                    "tax": str(_sum(item.get("taxLines"), "priceSet", f"{label} tax")),
                    "taxable": bool(item.get("taxable", True)),
                }
            )
        shipping = []
        for i, line in enumerate(self._all(node, "shippingLines")):
            label = f"shipping line {i + 1}"
            discount = _sum(line.get("discountAllocations"), "allocatedAmountSet", f"{label} discount")
            allocated += discount
            shipping.append(
                {
                    "title": _text(line.get("title"), 200) or "Shipping",
                    "price": str(_amount(line.get("originalPriceSet"), f"{label} price")),
                    "discount": str(discount),
                    "tax": str(_sum(line.get("taxLines"), "priceSet", f"{label} tax")),
                }
            )
        tax_lines = []
        for tax in node.get("taxLines") or ():
            entry: dict[str, Any] = {
                "title": _text(tax.get("title"), 100) or "Tax",
                "amount": str(_amount(tax.get("priceSet"), "tax")),
            }
            rate = _rate(tax)
            if rate is not None:
                entry["rate"] = rate
            tax_lines.append(entry)
        total = _amount(node.get("totalPriceSet"), "total")
        unallocated = _optional_amount(node.get("totalDiscountsSet"), "total discounts") - allocated
        codes = [c for c in node.get("discountCodes") or () if isinstance(c, str)]
        discounts = (
            [{"code": ", ".join(codes)[:100] or "Discount", "amount": str(unallocated)}]
            if unallocated > 0
            else []
        )
        duties = _optional_amount(node.get("originalTotalDutiesSet"), "duties")
        fees = [{"title": "Duties", "amount": str(duties)}] if duties > 0 else []
        payments = []
        for transaction in node.get("transactions") or ():
            if transaction.get("kind") not in ("SALE", "CAPTURE") or transaction.get("status") != "SUCCESS":
                continue
            payment: dict[str, Any] = {
                "method": _text(transaction.get("gateway"), 100) or "Other",
                "gateway": _text(transaction.get("gateway"), 100),
                "amount": str(_amount(transaction.get("amountSet"), "payment amount")),
                "reference": numeric_id(transaction.get("id"))[:100],
            }
            paid_at = transaction.get("processedAt") or transaction.get("createdAt")
            if paid_at:
                payment["paid_at"] = paid_at
            payments.append(payment)
        paid = sum((Decimal(p["amount"]) for p in payments), Decimal(0))
        refunds = []
        for refund in node.get("refunds") or ():
            refund_lines = [
                {
                    "line_id": numeric_id((rl.get("lineItem") or {}).get("id")),
                    "quantity": rl.get("quantity"),
                    "amount": str(_amount(rl.get("subtotalSet"), "refunded line amount")),
                }
                for rl in self._all(refund, "refundLineItems")
                if rl.get("quantity") != 0  # a restock-only entry returns no goods and no money
            ]
            refunded_shipping = _sum(
                self._all(refund, "refundShippingLines"), "subtotalAmountSet", "refunded shipping"
            )
            refunds.append(
                {
                    "id": numeric_id(refund.get("id")),
                    "created_at": refund.get("createdAt"),
                    "amount": str(_amount(refund.get("totalRefundedSet"), "refund amount")),
                    "lines": refund_lines,
                    "shipping": str(refunded_shipping),
                    "note": _text(refund.get("note"), 500),
                }
            )
        customer = node.get("customer") if isinstance(node.get("customer"), Mapping) else {}
        billing = node.get("billingAddress") if isinstance(node.get("billingAddress"), Mapping) else {}
        assert isinstance(customer, Mapping) and isinstance(billing, Mapping)
        status = "cancelled" if node.get("cancelledAt") else "closed" if node.get("closedAt") else "open"
        return {
            "id": numeric_id(node.get("id")),
            "number": _text(node.get("name"), 100).lstrip("#"),
            "created_at": node.get("createdAt"),
            "updated_at": node.get("updatedAt"),
            "currency": node.get("currencyCode"),
            "customer": {
                "first_name": _text(customer.get("firstName") or billing.get("firstName"), 100),
                "last_name": _text(customer.get("lastName") or billing.get("lastName"), 100),
                "company": _text(billing.get("company"), 200),
                "email": _text(node.get("email") or customer.get("email"), 254),
                "phone": _text(node.get("phone") or customer.get("phone") or billing.get("phone"), 50),
            },
            "billing_address": _address(billing),
            "shipping_address": _address(node.get("shippingAddress")),
            "lines": lines,
            "shipping_lines": shipping,
            "discounts": discounts,
            "tax_lines": tax_lines,
            "fees": fees,
            "payments": payments,
            "payment_status": _payment_status(node.get("displayFinancialStatus"), paid, total),
            "refunds": refunds,
            "total": str(total),
            "note": _text(node.get("note"), 4000),
            "tags": [t for t in node.get("tags") or () if isinstance(t, str)],
            "attributes": attributes(
                (a.get("key"), a.get("value"))
                for a in node.get("customAttributes") or ()
                if isinstance(a, dict)
            ),
            "source": "shopify",
            "status": status,
            # Where a point-of-sale order was sold (Order.retailLocation, Admin API 2024-07+; null for online
            # orders): the store location settings.inventory_sites maps to an inventory site.
            "location": _text((node.get("retailLocation") or {}).get("name"), 200),
        }
