"""The sale document of an order: SalesReceiptAdd, InvoiceAdd (on its own or linked to a sales order)
or SalesOrderAdd."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lxml import etree

from chalicelib.qbxml.transactions import invoice_add, sales_order_add, sales_receipt_add

from ..model import Order
from ..settings import ChannelSettings, TransactionType
from .bundles import GroupItem
from .errors import OrderNotPostable
from .extras import check_extras, header_extras
from .identity import refnumber_and_memo, request_id
from .lines import sale_lines
from .names import addresses
from .payments import payment_method
from .tax import Tax, check_totals

if TYPE_CHECKING:
    from chalicelib.rules.actions import PostingExtras

__all__ = ["sale_requests"]


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
    extras: PostingExtras | None = None,
    groups: Mapping[str, GroupItem] | None = None,
) -> list[etree._Element]:
    """The add request for one sale document of the order (a list of one element).

    `txn_type` is the settings' transaction type or a document of it: "sales_receipt", "invoice",
    "sales_order". "sales_order_invoice_payment" is posted in stages (see DOCUMENTS): without
    `linked_sales_order_txn_id` this builds the sales order; with it, the invoice linked to that
    sales order (QuickBooks copies the sales order's lines, so the invoice carries none; "invoice"
    with a linked id is the same); then `payment_request`. `customer` is the customer's FullName,
    `guid` the document's ExternalGUID (`order_guid`; `derived_guid(order_guid, "invoice")` for the
    staged invoice). `items` as for `sale_lines`. `extras` (the order rules' `PostingExtras`; None:
    none) puts the rules' memo, PO number, terms, sales rep and line choices where 13.0 has a place for
    them (see `extras`; a linked invoice takes the header ones, its lines are the sales order's).
    Raises TotalsMismatch / OrderNotPostable for orders QuickBooks cannot record as they are, and
    OrderNotPostable for an extra the document has no place for (a PO number or terms on a sales
    receipt, an inventory site in an Australian file). `groups`: the company's group items, for bundles posted
    as groups (`bundles`).
    """
    document: str = txn_type
    if txn_type == "sales_order_invoice_payment":
        document = "invoice" if linked_sales_order_txn_id else "sales_order"
    check_extras(extras, document, country)
    check_totals(order)
    ref, default_memo, default_po_number = refnumber_and_memo(order, settings)
    header = header_extras(extras, document, memo=default_memo, po_number=default_po_number)
    tax = Tax(order, settings, country)
    bill, ship = addresses(order)
    rid = request_id(request_prefix, document.replace("_", "-"))
    # What every sale document carries in the header (each builder writes them in its own schema order).
    header_fields: dict[str, Any] = {
        "customer": customer,
        "txn_date": order.order_date,
        "ref_number": ref,
        "class_name": settings.class_name,
        "bill_address": bill,
        "ship_address": ship,
        "item_sales_tax": tax.header_item,
        "memo": header.memo,
        "external_guid": guid,
        "sales_rep": header.sales_rep,
    }
    ordered: dict[str, Any] = {"po_number": header.po_number, "terms": header.terms}  # invoices, sales orders
    receivable = settings.accounts.receivable
    if document == "invoice" and linked_sales_order_txn_id:
        return [
            invoice_add(
                rid,
                **header_fields,
                **ordered,
                ar_account=receivable,
                link_to_txn_ids=[linked_sales_order_txn_id],
            )
        ]
    if linked_sales_order_txn_id:
        raise ValueError("linked_sales_order_txn_id is only for invoices")
    lines = sale_lines(order, settings, country=country, items=items, extras=extras, groups=groups)
    if document == "sales_receipt":
        if not settings.accounts.deposit:
            raise OrderNotPostable(
                "Sales receipts need a deposit account (where the payment goes, e.g. Undeposited "
                "Funds); choose one in the channel settings."
            )
        element = sales_receipt_add(
            rid,
            **header_fields,
            lines=lines,
            payment_method=payment_method(order, settings),
            deposit_account=settings.accounts.deposit,
        )
    elif document == "invoice":
        element = invoice_add(rid, **header_fields, **ordered, lines=lines, ar_account=receivable)
    elif document == "sales_order":
        element = sales_order_add(rid, **header_fields, **ordered, lines=lines)
    else:
        raise ValueError(f"unknown txn_type {txn_type!r}")
    return [element]
