"""The order documents of the fake Shopify store, stored as Shopify returns them: camelCase, ids as gids,
money as MoneyBag {shopMoney, presentmentMoney} with decimal strings, connections as {"nodes": [...]}. The
sample catalogue and customers, and `ShopifyDocuments`, which builds orders (lines with their discount
allocations and tax lines, shipping, transactions), refunds, and the sample order queries are checked
against."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.fakes.base import FakeStore

CENT = Decimal("0.01")


def money(amount: Decimal | str | int, currency: str = "USD") -> dict[str, Any]:
    """A MoneyBag as Shopify serialises it (decimal strings such as "12.5", "5.0")."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    text = str(value.quantize(CENT, ROUND_HALF_UP)).rstrip("0")
    if text.endswith("."):
        text += "0"
    return {
        "shopMoney": {"amount": text, "currencyCode": currency},
        "presentmentMoney": {"amount": text, "currencyCode": currency},
    }


def amount_of(bag: Mapping[str, Any]) -> Decimal:
    return Decimal(str(bag["shopMoney"]["amount"]))


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def numeric_id(value: str | int) -> str:
    return str(value).rsplit("/", 1)[-1]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _float(value: Decimal) -> float:
    return float(value)


CATALOG: tuple[tuple[str, str, str], ...] = (
    ("MUG-01", "Coffee Mug", "12.50"),
    ("MUG-02", "Travel Mug", "18.00"),
    ("TEE-S", "T-Shirt - S", "20.00"),
    ("TEE-M", "T-Shirt - M", "20.00"),
    ("TEE-L", "T-Shirt - L", "22.00"),
    ("CAP-01", "Baseball Cap", "15.99"),
    ("BAG-01", "Canvas Tote", "24.95"),
    ("NB-A5", "Notebook A5", "7.49"),
    ("PEN-3", "Pen (3 pack)", "4.99"),
    ("STK-10", "Sticker Set", "3.25"),
    ("POS-A3", "Poster A3", "14.00"),
    ("SOCK-1", "Socks", "9.95"),
    ("HOOD-M", "Hoodie - M", "45.00"),
    ("HOOD-L", "Hoodie - L", "45.00"),
    ("BTL-75", "Water Bottle 750 ml", "21.50"),
    ("KEY-01", "Key Ring", "5.50"),
)
CUSTOMERS: tuple[tuple[str, str, str], ...] = (
    ("Ada", "Lovelace", "Analytical Engines Ltd"),
    ("Grace", "Hopper", ""),
    ("Alan", "Turing", ""),
    ("Katherine", "Johnson", "NACA"),
    ("Edsger", "Dijkstra", ""),
    ("Barbara", "Liskov", "CLU Systems"),
    ("Donald", "Knuth", ""),
    ("Margaret", "Hamilton", "Hamilton Technologies"),
)
ADDRESSES: tuple[tuple[str, str, str, str], ...] = (
    ("1 Main St", "Seattle", "WA", "98101"),
    ("200 Market St", "San Francisco", "CA", "94105"),
    ("55 Water St", "New York", "NY", "10041"),
    ("700 Congress Ave", "Austin", "TX", "78701"),
    ("10 State St", "Boston", "MA", "02109"),
)

Line = tuple[str, str, int, str]  # sku, title, quantity, unit price


class ShopifyDocuments(FakeStore):
    """Order and refund building of the fake Shopify store (its state is set up by FakeShopify)."""

    currency: str
    _ids: Iterator[int]
    _numbers: Iterator[int]
    _version: int

    def _next_id(self) -> int:
        return 5_600_000_000_000 + next(self._ids)

    def _build_order(
        self,
        *,
        lines: Sequence[Line],
        shipping: str | None,
        shipping_title: str,
        shipping_discount: str | None,
        discount_code: str | None,
        discount_percent: str,
        tax_rate: str | None,
        tax_title: str,
        tax_shipping: bool,
        paid: bool | str,
        gateway: str,
        customer: tuple[str, str, str] | None,
        address: tuple[str, str, str, str],
        email: str | None,
        created_at: datetime,
    ) -> dict[str, Any]:
        cur = self.currency
        rate = Decimal(tax_rate) if tax_rate else Decimal(0)
        percent = Decimal(discount_percent) / 100 if discount_code else Decimal(0)
        stamp = iso(created_at)
        items = []
        subtotal = discounts = tax_total = Decimal(0)
        for sku, title, quantity, price in lines:
            gross = _round(Decimal(price) * quantity)
            discount = _round(gross * percent)
            tax = _round((gross - discount) * rate)
            subtotal += gross
            discounts += discount
            tax_total += tax
            items.append(
                {
                    "id": gid("LineItem", self._next_id()),
                    "sku": sku,
                    "title": title,
                    "name": title,
                    "variantTitle": None,
                    "vendor": "Blue Heron",
                    "quantity": quantity,
                    "currentQuantity": quantity,
                    "taxable": bool(rate),
                    "requiresShipping": True,
                    "originalUnitPriceSet": money(price, cur),
                    "originalTotalSet": money(gross, cur),
                    "discountedTotalSet": money(gross - discount, cur),
                    "discountAllocations": (
                        [{"allocatedAmountSet": money(discount, cur)}] if discount else []
                    ),
                    "taxLines": (
                        [
                            {
                                "title": tax_title,
                                "rate": _float(rate),
                                "ratePercentage": _float(rate * 100),
                                "priceSet": money(tax, cur),
                            }
                        ]
                        if rate
                        else []
                    ),
                }
            )
        shipping_lines = []
        shipping_price = Decimal(shipping) if shipping is not None else Decimal(0)
        ship_discount = Decimal(shipping_discount or 0)
        ship_tax = _round((shipping_price - ship_discount) * rate) if tax_shipping else Decimal(0)
        if shipping is not None:
            shipping_lines.append(
                {
                    "id": gid("ShippingLine", self._next_id()),
                    "title": shipping_title,
                    "code": shipping_title.upper().replace(" ", "_"),
                    "source": "shopify",
                    "originalPriceSet": money(shipping_price, cur),
                    "discountedPriceSet": money(shipping_price - ship_discount, cur),
                    "discountAllocations": (
                        [{"allocatedAmountSet": money(ship_discount, cur)}] if ship_discount else []
                    ),
                    "taxLines": (
                        [
                            {
                                "title": tax_title,
                                "rate": _float(rate),
                                "ratePercentage": _float(rate * 100),
                                "priceSet": money(ship_tax, cur),
                            }
                        ]
                        if ship_tax
                        else []
                    ),
                }
            )
        tax_total += ship_tax
        discounts += ship_discount
        total = subtotal - discounts + shipping_price + tax_total
        transactions = []
        if paid is not False:
            captured = total if paid is True else Decimal(str(paid))
            transactions.append(
                {
                    "id": gid("OrderTransaction", self._next_id()),
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": gateway,
                    "formattedGateway": gateway.replace("_", " ").title(),
                    "test": False,
                    "amountSet": money(captured, cur),
                    "processedAt": stamp,
                    "createdAt": stamp,
                    "authorizationCode": "53433",
                }
            )
            financial = "PAID" if captured >= total else "PARTIALLY_PAID"
        else:
            financial = "PENDING"
        first, last, company = customer or ("", "", "")
        line1, city, province, postal = address
        mailing = {
            "name": f"{first} {last}".strip() or "Guest",
            "firstName": first or None,
            "lastName": last or "Guest",
            "company": company or None,
            "address1": line1,
            "address2": None,
            "city": city,
            "province": province,
            "provinceCode": province,
            "zip": postal,
            "country": "United States",
            "countryCodeV2": "US",
            "phone": "+12065550100",
        }
        number = next(self._numbers)
        return {
            "id": gid("Order", self._next_id()),
            "name": f"#{number}",
            "createdAt": stamp,
            "updatedAt": stamp,
            "processedAt": stamp,
            "currencyCode": cur,
            "presentmentCurrencyCode": cur,
            "email": email,
            "phone": None,
            "note": None,
            "tags": [],
            "customAttributes": [],  # the order's note attributes (Attribute: key, value)
            "retailLocation": None,  # Location of a point-of-sale order (Admin API 2024-07+), null online
            "test": False,
            "cancelledAt": None,
            "cancelReason": None,
            "closedAt": None,
            "closed": False,
            "confirmed": True,
            "taxesIncluded": False,
            "displayFinancialStatus": financial,
            "displayFulfillmentStatus": "UNFULFILLED",
            "customer": (
                {
                    "id": gid("Customer", self._next_id()),
                    "firstName": first,
                    "lastName": last,
                    "displayName": f"{first} {last}",
                    "email": email,
                    "phone": None,
                }
                if customer
                else None
            ),
            "billingAddress": dict(mailing),
            "shippingAddress": dict(mailing),
            "discountCodes": [discount_code] if discount_code else [],
            "lineItems": {"nodes": items},
            "shippingLines": {"nodes": shipping_lines},
            "taxLines": (
                [
                    {
                        "title": tax_title,
                        "rate": _float(rate),
                        "ratePercentage": _float(rate * 100),
                        "priceSet": money(tax_total, cur),
                    }
                ]
                if tax_total
                else []
            ),
            "subtotalPriceSet": money(subtotal - discounts + ship_discount, cur),
            "totalShippingPriceSet": money(shipping_price - ship_discount, cur),
            "totalTaxSet": money(tax_total, cur),
            "totalDiscountsSet": money(discounts, cur),
            "totalPriceSet": money(total, cur),
            "currentTotalPriceSet": money(total, cur),
            "totalRefundedSet": money(0, cur),
            "originalTotalDutiesSet": None,
            "transactions": transactions,
            "refunds": [],
        }

    def _refund(
        self,
        doc: dict[str, Any],
        lines: Sequence[tuple[str, int]],
        shipping: Decimal,
        note: str,
        amount: str | None,
        moment: datetime,
    ) -> dict[str, Any]:
        cur = doc["currencyCode"]
        by_id = {numeric_id(li["id"]): li for li in doc["lineItems"]["nodes"]}
        refund_lines = []
        total = Decimal(0)
        for line_id, quantity in lines:
            item = by_id[numeric_id(line_id)]
            ordered = Decimal(item["quantity"])
            gross = amount_of(item["originalTotalSet"])
            discount = sum(
                (amount_of(a["allocatedAmountSet"]) for a in item["discountAllocations"]), Decimal(0)
            )
            tax = sum((amount_of(t["priceSet"]) for t in item["taxLines"]), Decimal(0))
            subtotal = _round((gross - discount) * quantity / ordered)
            line_tax = _round(tax * quantity / ordered)
            total += subtotal + line_tax
            refund_lines.append(
                {
                    "id": gid("RefundLineItem", self._next_id()),
                    "lineItem": {k: item[k] for k in ("id", "sku", "title", "name")},
                    "quantity": quantity,
                    "restockType": "RETURN",
                    "restocked": True,
                    "priceSet": item["originalUnitPriceSet"],
                    "subtotalSet": money(subtotal, cur),
                    "totalTaxSet": money(line_tax, cur),
                }
            )
        shipping_lines = []
        if shipping:
            ship = doc["shippingLines"]["nodes"][0]
            ship_price = amount_of(ship["originalPriceSet"])
            ship_tax = sum((amount_of(t["priceSet"]) for t in ship["taxLines"]), Decimal(0))
            tax = _round(ship_tax * shipping / ship_price) if ship_price else Decimal(0)
            total += shipping + tax
            shipping_lines.append(
                {
                    "id": gid("RefundShippingLine", self._next_id()),
                    "shippingLine": {"id": ship["id"], "title": ship["title"]},
                    "subtotalAmountSet": money(shipping, cur),
                    "taxAmountSet": money(tax, cur),
                }
            )
        if amount is not None:
            total = Decimal(amount)
        sale = next((t for t in doc["transactions"] if t["kind"] in ("SALE", "CAPTURE")), None)
        transaction = {
            "id": gid("OrderTransaction", self._next_id()),
            "kind": "REFUND",
            "status": "SUCCESS",
            "gateway": sale["gateway"] if sale else "manual",
            "formattedGateway": sale["formattedGateway"] if sale else "Manual",
            "test": False,
            "amountSet": money(total, cur),
            "processedAt": iso(moment),
            "createdAt": iso(moment),
            "authorizationCode": None,
        }
        refund = {
            "id": gid("Refund", self._next_id()),
            "createdAt": iso(moment),
            "updatedAt": iso(moment),
            "note": note or None,
            "totalRefundedSet": money(total, cur),
            "refundLineItems": {"nodes": refund_lines},
            "refundShippingLines": {"nodes": shipping_lines},
            "transactions": {"nodes": [transaction]},
        }
        doc["refunds"].append(refund)
        doc["transactions"].append(transaction)
        refunded = amount_of(doc["totalRefundedSet"]) + total
        doc["totalRefundedSet"] = money(refunded, cur)
        doc["currentTotalPriceSet"] = money(amount_of(doc["totalPriceSet"]) - refunded, cur)
        doc["displayFinancialStatus"] = (
            "REFUNDED" if refunded >= amount_of(doc["totalPriceSet"]) else "PARTIALLY_REFUNDED"
        )
        return refund

    def _build_sample(self) -> dict[str, Any]:
        """An order with every object and list filled: the schema queries are checked against."""
        saved_ids, saved_numbers = self._ids, self._numbers
        self._ids, self._numbers = itertools.count(900_000_000), itertools.count(1)
        doc = self._build_order(
            lines=(("S-1", "Sample", 2, "10.00"),),
            shipping="5.00",
            shipping_title="Sample shipping",
            shipping_discount="1.00",
            discount_code="SAMPLE",
            discount_percent="10",
            tax_rate="0.10",
            tax_title="Tax",
            tax_shipping=True,
            paid=True,
            gateway="manual",
            customer=("S", "Ample", "Sample Co"),
            address=ADDRESSES[0],
            email="s@example.com",
            created_at=self.now,
        )
        self._refund(
            doc, [(numeric_id(doc["lineItems"]["nodes"][0]["id"]), 1)], Decimal(1), "n", None, self.now
        )
        doc["originalTotalDutiesSet"] = money(0, self.currency)
        doc["customAttributes"] = [{"key": "gift_note", "value": "Sample"}]
        doc["retailLocation"] = {"name": "Downtown Store"}
        self._ids, self._numbers = saved_ids, saved_numbers
        return doc

    def _store(self, doc: dict[str, Any], *, bump: bool = True) -> None:
        self.orders[numeric_id(doc["id"])] = doc
        if bump:
            self._version += 1
