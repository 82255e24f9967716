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
  discounts are left out. Order tax is a line only in the store's tax mode (below).
* **Sales tax** (`quickbooks.tax`, docs/accounting/sales-tax.md). US files, `tax_mode` "store" (the
  default): header `zero_rate_tax_item`, the store's tax as the last line (the ship-to state's sales tax
  item), so QuickBooks' total is the store's. `tax_mode` "quickbooks": `ItemSalesTaxRef` = the state's
  item or group, else settings.sales_tax_item on the header (omitted: the
  company's default), and each line is `taxable_code` / `non_taxable_code`. Marketplace-collected tax
  is dropped or a line of `marketplace_tax_item`. CA/UK/AU files: codes by province or rate, else no
  ItemSalesTaxRef; each line gets `tax_code` / `exempt_tax_code` (omitted when empty: the item's
  own code applies). An order with no tax makes every line non-taxable. When the store gives tax per
  line (any line, shipping or fee `tax` > 0), exactly those are taxable; otherwise product lines
  follow `OrderLine.taxable` and shipping and fees are not taxable. Order discounts are taxable when
  any product line is (they lower the taxed amount). QuickBooks' computed tax can still differ by a
  cent from the store's; compare the TotalAmount a query returns with `order.total`.
* **Refunds** become credit memos ("Refund of <RefNumber>", RefNumber "<ref>-R<n>" cut to 11 from the
  left), tied to the sale by text only. Refund lines are taken as amounts before tax: QuickBooks adds
  the tax from the line codes. A refund without line detail is one fee-item line for its amount.
* **Order rules' extras**. `sale_requests`, `sale_lines`, `refund_requests` and
  `missing_item_requests` take an optional `extras` (`chalicelib.rules.PostingExtras`; None builds
  exactly what they built before): memo, PO number, terms, sales rep, price level, inventory site,
  units of measure and the item of a line, shipping line or discount, each where qbXML 13.0 has a
  place for it. `check_extras` raises OrderNotPostable for one a document has no place for (a PO
  number or terms on a sales receipt; an inventory site in an Australian file). The implementation is
  split by concern in `chalicelib.orders.quickbooks` (see `extras` there for where each extra goes).
"""

from __future__ import annotations

from .quickbooks.errors import OrderNotPostable, TotalsMismatch
from .quickbooks.extras import check_extras
from .quickbooks.identity import (
    COUNTRIES,
    DOCUMENTS,
    Country,
    derived_guid,
    order_guid,
    refnumber_and_memo,
    refund_ref_number,
)
from .quickbooks.lines import sale_lines
from .quickbooks.list_adds import (
    customer_add_request,
    item_add_request,
    items_named,
    missing_item_requests,
    needed_items,
)
from .quickbooks.names import customer_name, item_name
from .quickbooks.payments import payment_request
from .quickbooks.refunds import refund_requests
from .quickbooks.sales import sale_requests
from .quickbooks.tax import check_totals

__all__ = [
    "COUNTRIES",
    "DOCUMENTS",
    "Country",
    "OrderNotPostable",
    "TotalsMismatch",
    "check_extras",
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
