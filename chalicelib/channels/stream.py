"""The stream every store connector is: orders changed inside a window, a page at a time, each mapped to the
canonical order JSON (what `chalicelib.orders.model.parse_order` reads), replication key `updated_at`.

The fetch use case stores a page and only then advances the channel's bookmark, so a crash re-reads a page
rather than losing one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any, ClassVar, Protocol

from chalicelib.channels.http import HttpOptions
from chalicelib.orders.model import Order, OrderInvalid, parse_order


@dataclass(frozen=True)
class Window:
    """Orders whose last change is in [since, until]; `since` None means from the beginning."""

    since: datetime | None
    until: datetime


@dataclass(frozen=True)
class FetchedOrder:
    """One store order: its canonical JSON, or why it could not be read (`document` is then None)."""

    order_id: str
    updated_at: datetime
    document: dict[str, Any] | None
    problem: str | None = None
    number: str = ""
    order: Order | None = None  # `document` as parsed when it was checked (so it is parsed once)


@dataclass(frozen=True)
class Page:
    """Orders in ascending `updated_at` order, the token of the next page (None: this was the last one),
    and the number of orders in the whole window when the store says (for progress bars)."""

    orders: list[FetchedOrder]
    next_token: str | None
    total: int | None = None


class Connector(Protocol):
    vendor: ClassVar[str]

    def check_credentials(self) -> str:
        """A read the credentials must allow; returns the store's name. Raises FatalError in plain words."""
        ...

    def fetch_page(self, window: Window, token: str | None) -> Page:
        """One page of the window's orders (token None: the first page)."""
        ...


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class ConnectorSpec:
    kind: str
    vendor: str
    fields: tuple[CredentialField, ...]
    build: Callable[[Mapping[str, str], HttpOptions], Connector]


def canonical(
    order_id: str, updated_at: datetime, number: str, build: Callable[[], dict[str, Any]]
) -> FetchedOrder:
    """Map one vendor order with `build`; a malformed one becomes a FetchedOrder with its problem."""
    try:
        document = build()
        order = parse_order(document)
    except OrderInvalid as exc:
        reason = "; ".join(f"{k or 'order'} {v}" for k, v in list(exc.problems.items())[:5])
        return FetchedOrder(order_id, updated_at, None, f"the store's order cannot be used: {reason}", number)
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        return FetchedOrder(
            order_id,
            updated_at,
            None,
            f"the store's order is malformed ({type(exc).__name__}: {exc})",
            number,
        )
    return FetchedOrder(order_id, updated_at, document, None, number, order)
