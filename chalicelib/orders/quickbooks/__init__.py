"""The qbXML requests that post an order, by concern; `chalicelib.orders.to_quickbooks` is the public face.

* `errors`: OrderNotPostable, TotalsMismatch.
* `identity`: countries and documents, GUIDs, RefNumber / Memo / PONumber, request ids.
* `names`: matching the order to the company's customers and items; addresses.
* `tax`: the totals check and which parts QuickBooks should tax.
* `extras`: the rules engine's per-order choices (`PostingExtras`) checked against what 13.0 can say.
* `lines`: the item lines of a sale.
* `sales`: sales receipt, invoice, sales order. `payments`: the payment of a staged invoice.
* `refunds`: credit memos. `list_adds`: customer and item adds for what QuickBooks lacks.
"""
