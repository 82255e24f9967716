"""Paging through a window of orders for stores that page by offset (ShipStation, WooCommerce, BigCommerce).

Reading page 2, 3, ... of a list sorted by modification date loses orders when an order changes between two
pages: it moves to the end and every order behind it shifts one place forward, past the offset. So instead
of counting pages from the window's start, each next page restarts at page 1 from the newest `updated_at`
already read, skipping the ids already read at that very moment (an order changed again has a later
timestamp and is read again). Only when a whole page shares the moment it started from does it go on by
offset from that moment. So one gap remains possible: when as many orders as a page holds or more share one
moment and one of them changes during the run, the orders behind it shift one place (offset paging leaves
nothing better; the contract suite's property test states this bound).

The token is '<iso since>|<page>[#id,id...]'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.channels.stream import FetchedOrder, Window


@dataclass(frozen=True)
class OffsetKeyset:
    """Where one page of a window starts: orders changed at or after `since`, page `page` of them, less the
    orders in `seen` (already read at exactly `since`)."""

    since: datetime | None
    page: int = 1
    seen: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def read(cls, token: str | None, window: Window) -> OffsetKeyset:
        """The position a page token names; the window's start for the first page (token None)."""
        if not token:
            return cls(window.since)
        keyset, _, ids = token.partition("#")
        since, _, page = keyset.rpartition("|")
        return cls(
            datetime.fromisoformat(since), int(page), frozenset(ids.split(",")) if ids else frozenset()
        )

    def already_read(self, order: FetchedOrder) -> bool:
        """Whether an order on this page was read on the page before (same id, same moment)."""
        return order.order_id in self.seen and order.updated_at == self.since

    def next_token(self, orders: Sequence[FetchedOrder], full: bool) -> str | None:
        """The token of the page after one holding `orders` (all the store sent, before `already_read` is
        applied); `full` is whether the store has more pages. None: this was the last page."""
        if not full or not orders:
            return None
        newest = max(o.updated_at for o in orders)
        at_newest = [o.order_id for o in orders if o.updated_at == newest]
        if newest != self.since:
            return f"{newest.isoformat()}|1#{','.join(at_newest)}"
        # The whole page shares `since`: a page or more of orders changed at that moment. Go on by offset,
        # remembering every id read at that moment (an order shifted back a place is not read twice).
        seen = ",".join(sorted(self.seen | set(at_newest)))
        return f"{newest.isoformat()}|{self.page + 1}#{seen}"


def keyset_token(orders: list[FetchedOrder], since: datetime | None, page: int, full: bool) -> str | None:
    """`OffsetKeyset(since, page).next_token(orders, full)` (kept for callers of the old function)."""
    return OffsetKeyset(since, page).next_token(orders, full)


def read_keyset_token(token: str | None, window: Window) -> tuple[datetime | None, int, set[str]]:
    """(since, page, ids to skip) of a token (kept for callers of the old function)."""
    position = OffsetKeyset.read(token, window)
    return position.since, position.page, set(position.seen)
