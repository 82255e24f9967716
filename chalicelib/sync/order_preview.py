"""What QuickBooks would receive for an order, without sending anything: the qbXML of its sale as the channel's
settings and the tenant's order rules make it (the rules' test view shows it beside each order's before and after).

Items and customers are named as the posting would name them; whether QuickBooks has them already is not looked up
here (the posting adds what is missing in the same message set).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.orders import to_quickbooks as qb
from chalicelib.orders.model import Order
from chalicelib.orders.settings import ChannelSettings
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.rules import PostingExtras

PREVIEW_VERSION = "13.0"


@dataclass(frozen=True)
class QuickBooksPreview:
    qbxml: str | None  # the message set of the order's sale (None when it would not be sent)
    problem: str | None  # why it would not be sent, in the merchant's words

    def view(self) -> dict[str, str | None]:
        return {"qbxml": self.qbxml, "problem": self.problem}


def sale_preview(
    order: Order,
    settings: ChannelSettings,
    extras: PostingExtras | None,
    *,
    country: str = "US",
    connection_id: str = "preview",
    channel_id: str = "preview",
) -> QuickBooksPreview:
    """The qbXML of the order's sale (the first document it needs), or why there would be none."""
    if extras is not None and extras.do_not_import:
        return QuickBooksPreview(None, "A rule says not to import this order: nothing would be sent.")
    try:
        qb.check_totals(order)
        requests = qb.sale_requests(
            order,
            settings,
            country=country,
            request_prefix="preview",
            txn_type=settings.transaction_type,
            customer=qb.customer_name(order, settings),
            guid=qb.order_guid(connection_id, channel_id, order.order_id),
            items={},
            extras=extras,
        )
    except qb.OrderNotPostable as exc:
        return QuickBooksPreview(None, str(exc))
    return QuickBooksPreview(
        render_message_set(requests, version=PREVIEW_VERSION, on_error="stopOnError"), None
    )
