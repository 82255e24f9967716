"""The queue messages that carry orders to QuickBooks: what a post-orders message names, and how orders are put
in messages. Apart from the order desk (`sync/orders.py`) so that a Web Connector sign-in, which reads and writes
these messages, does not load the order model, its rules and its qbXML with them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

POST_ORDER = "post_order"
# Orders named by one queue message: the queue carries batches of orders, so a round trip of 100 orders takes one
# or two messages off the queue (not a hundred), and a session's ticket keeps a receipt or two, not one per order.
ORDERS_PER_MESSAGE = 100


def post_job(channel_id: str, order_id: str) -> dict[str, Any]:
    return post_jobs([(channel_id, order_id)])[0]


def post_jobs(refs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Queue messages for the QuickBooks work of these orders (channel id, order id), ORDERS_PER_MESSAGE each."""
    unique = list(dict.fromkeys(refs))
    return [
        {"kind": POST_ORDER, "orders": [[c, o] for c, o in unique[i : i + ORDERS_PER_MESSAGE]]}
        for i in range(0, len(unique), ORDERS_PER_MESSAGE)
    ]


def order_refs(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The orders a post-orders message names (messages queued before batching named one order each)."""
    if isinstance(body.get("orders"), list):
        return [
            (str(ref[0]), str(ref[1])) for ref in body["orders"] if isinstance(ref, list) and len(ref) == 2
        ]
    return [(str(body.get("channel_id")), str(body.get("order_id")))]
