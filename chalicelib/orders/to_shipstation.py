"""A QuickBooks sale (invoice or sales order) as a ShipStation order, and a shipment as QuickBooks text.

Pure. The order's key is the sale's TxnID, so creating it again updates the same ShipStation order;
its number is the sale's RefNumber. QuickBooks addresses are free lines (the first is usually the name,
sometimes the company); ShipStation's have fields, so the lines are read the way QuickBooks prints them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.channels.shipstation import LEDGERBRIDGE_SOURCE  # the order fetch skips orders with it
from chalicelib.qbxml.sales import QbAddress, QbSale

__all__ = ["LEDGERBRIDGE_SOURCE", "SaleNotShippable", "ShipStationSale", "shipment_memo", "to_shipstation"]
CENT = Decimal("0.01")

# What merchants type into QuickBooks' Country line, mapped to the ISO code ShipStation wants.
_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states": "US",
    "united states of america": "US",
    "ca": "CA",
    "canada": "CA",
    "uk": "GB",
    "gb": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "au": "AU",
    "australia": "AU",
    "mexico": "MX",
    "mx": "MX",
    "germany": "DE",
    "france": "FR",
    "ireland": "IE",
    "new zealand": "NZ",
}


class SaleNotShippable(ValueError):
    """A sale ShipStation cannot take; the message says what to fix in QuickBooks."""


@dataclass(frozen=True)
class ShipStationSale:
    document: dict[str, Any]
    digest: str


def country_code(text: str | None, default: str) -> str:
    if not text or not text.strip():
        return default
    value = text.strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return _COUNTRIES.get(value.casefold(), default)


def _address(address: QbAddress, customer: str, default_country: str) -> dict[str, Any]:
    lines = [
        line.strip()
        for line in (address.addr1, address.addr2, address.addr3, address.addr4, address.addr5)
        if line and line.strip()
    ]
    # With a city, the first line is the addressee; without one, QuickBooks users often type everything
    # into the lines: still the first is the name, the rest the street.
    name = lines[0] if len(lines) > 1 else customer
    street = lines[1:] if len(lines) > 1 else lines
    return {
        "name": name,
        "company": None,
        "street1": street[0] if street else None,
        "street2": street[1] if len(street) > 1 else None,
        "street3": " ".join(street[2:]) if len(street) > 2 else None,
        "city": (address.city or "").strip() or None,
        "state": (address.state or "").strip() or None,
        "postalCode": (address.postal_code or "").strip() or None,
        "country": country_code(address.country, default_country),
        "phone": None,
        "residential": None,
    }


def _money(value: Decimal | None) -> float:
    return float((value or Decimal(0)).quantize(CENT))


def _day(value: date) -> str:
    return f"{value.isoformat()}T00:00:00.0000000"


def to_shipstation(sale: QbSale, *, shipping_item: str, default_country: str = "US") -> ShipStationSale:
    """The ShipStation order for a sale; SaleNotShippable when it has no address or nothing to ship."""
    label = f"{'Invoice' if sale.kind == 'invoice' else 'Sales order'} {sale.ref_number or sale.txn_id}"
    ship = sale.ship_address if sale.ship_address and not sale.ship_address.is_empty else None
    bill = sale.bill_address if sale.bill_address and not sale.bill_address.is_empty else None
    if ship is None and bill is None:
        raise SaleNotShippable(
            f"{label} has no ship-to or bill-to address. Add the customer's shipping address to it in "
            "QuickBooks; it is sent again when it is saved."
        )
    ship_to = _address(ship or bill, sale.customer_full_name, default_country)  # type: ignore[arg-type]
    if not ship_to["street1"] or not (ship_to["city"] or ship_to["postalCode"]):
        raise SaleNotShippable(
            f"{label} has an incomplete address (a street and a city or postal code are needed). Complete "
            "the ship-to address in QuickBooks; it is sent again when it is saved."
        )
    bill_to = _address(bill, sale.customer_full_name, default_country) if bill else dict(ship_to)
    items = []
    shipping = Decimal(0)
    for line in sale.lines:
        if not line.item_full_name:
            continue  # a description-only line
        if line.item_full_name.casefold() == shipping_item.casefold():
            shipping += line.amount or Decimal(0)
            continue
        quantity = line.quantity if line.quantity is not None else Decimal(1)
        if quantity <= 0:
            continue
        unit = line.rate if line.rate is not None else (line.amount or Decimal(0)) / quantity
        items.append(
            {
                "lineItemKey": line.txn_line_id,
                "sku": line.item_full_name.rsplit(":", 1)[-1],
                "name": (line.description or line.item_full_name).splitlines()[0][:200],
                "quantity": int(quantity.to_integral_value(rounding="ROUND_CEILING")),
                "unitPrice": _money(unit),
            }
        )
    if not items:
        raise SaleNotShippable(f"{label} has no item lines to ship.")
    unpaid = sale.kind == "invoice" and (sale.balance_remaining or Decimal(0)) > 0 and not sale.is_paid
    paid_amount = (
        sale.total - (sale.balance_remaining or Decimal(0)) if sale.kind == "invoice" else Decimal(0)
    )
    document: dict[str, Any] = {
        "orderNumber": sale.ref_number or sale.txn_id,
        "orderKey": sale.txn_id,
        "orderDate": _day(sale.txn_date),
        "paymentDate": None if unpaid or sale.kind != "invoice" else _day(sale.txn_date),
        "orderStatus": "awaiting_payment" if unpaid else "awaiting_shipment",
        "customerUsername": sale.customer_full_name,
        "customerEmail": None,
        "billTo": bill_to,
        "shipTo": ship_to,
        "items": items,
        "amountPaid": _money(paid_amount),
        "taxAmount": _money(sale.sales_tax_total),
        "shippingAmount": _money(shipping),
        "customerNotes": None,
        "internalNotes": (sale.memo or "")[:1000] or None,
        "requestedShippingService": sale.ship_method,
        "advancedOptions": {
            "source": LEDGERBRIDGE_SOURCE,
            "customField1": label,
            "customField2": sale.po_number,
        },
    }
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return ShipStationSale(document, digest)


def shipment_memo(shipment: dict[str, Any], *, with_cost: bool) -> str:
    """The line added to the sale's memo when its shipment comes back."""
    service = f" {shipment['service_code']}" if shipment.get("service_code") else ""
    text = (
        f"Shipped {shipment['ship_date']} by {shipment['carrier_code']}{service}, "
        f"tracking {shipment['tracking_number']}"
    )
    if with_cost:
        text += f", shipping cost {Decimal(str(shipment['shipment_cost'])).quantize(CENT)}"
    return text + "."
