"""One interface for every store: a Singer-style stream of orders, replication key `updated_at`.

A connector fetches one page of orders changed inside a window, oldest change first, each mapped to the
canonical order JSON (what `chalicelib.orders.model.parse_order` reads). The fetch use case stores the page
and only then advances the channel's bookmark, so a crash re-reads a page rather than losing one.

Errors come in three classes, as in Singer taps:
- `FatalError`: nothing will work until the merchant acts (credentials rejected, store gone). The run stops.
- `RetriableError`: the store is busy or failing (429, 5xx, timeouts). `Http` retries these itself, waiting
  what Retry-After or the vendor's rate-limit headers ask; when it gives up the run ends and the next one
  starts again from the bookmark.
- one malformed order is not an exception: it comes back as a `FetchedOrder` with `problem` set, and is
  recorded as failed with that reason while the run goes on.
"""

from __future__ import annotations

import ipaddress
import math
import random
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit

if TYPE_CHECKING:  # httpx is loaded when a connector first calls its store, not with the app
    import httpx


from chalicelib.orders.model import Order, OrderInvalid, parse_order


class ConnectorError(Exception):
    """A store problem in plain words (shown to the merchant as is)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FatalError(ConnectorError):
    """Cannot go on until the merchant acts: credentials rejected, store not found, permission missing."""


class RetriableError(ConnectorError):
    """The store is throttling or failing; try again later (after `retry_after` seconds when known)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


# -- inventory from QuickBooks -------------------------------------------------------------------------


@dataclass(frozen=True)
class StockItem:
    """One store stock-keeping unit found by SKU. `sku` is the store's own SKU text (the dict key of
    `find_stock_items` is the SKU as asked); `ref` is the opaque id `set_quantities` writes to (Shopify: the
    InventoryItem gid; WooCommerce: "product:<id>" or "variation:<parent_id>:<id>"); `quantity` is the
    store's available quantity at the location (None when the store does not track it there)."""

    sku: str
    ref: str
    title: str
    quantity: int | None
    tracked: bool


@dataclass(frozen=True)
class StockUpdate:
    sku: str
    ref: str
    quantity: int


@dataclass(frozen=True)
class StockResult:
    """What the store did with one StockUpdate; `problem` in plain words when it refused it."""

    sku: str
    ref: str
    ok: bool
    problem: str | None = None


@runtime_checkable
class InventoryTarget(Protocol):
    """A store whose stock levels Ledgerbridge sets from QuickBooks."""

    def find_stock_items(self, skus: Sequence[str]) -> dict[str, list[StockItem]]:
        """The store's items for each SKU asked that exists there (matched case-insensitively after strip;
        the key is the SKU as asked; several items may share a SKU). Raises RetriableError/FatalError."""
        ...

    def set_quantities(self, updates: Sequence[StockUpdate]) -> list[StockResult]:
        """Set each update's quantity; one result per update, in order. A store's refusal of one item is a
        result with ok=False; a failure of the whole call raises RetriableError/FatalError."""
        ...


def inventory_target(connector: object) -> InventoryTarget:
    """The inventory side of a built connector (its `inventory()` when it has one); FatalError when the
    store kind cannot take stock levels."""
    accessor = getattr(connector, "inventory", None)
    target = accessor() if callable(accessor) else connector
    if not isinstance(target, InventoryTarget):
        vendor = getattr(connector, "vendor", "This store")
        raise FatalError(f"{vendor} cannot receive inventory quantities from Ledgerbridge.")
    return target


def stock_key(sku: str) -> str:
    """How SKUs are compared across systems: surrounding spaces ignored, case-insensitive."""
    return sku.strip().casefold()


def skus_by_key(skus: Sequence[str]) -> dict[str, str]:
    """The SKUs asked for, once each by `stock_key` (the first spelling asked wins); blanks left out."""
    wanted: dict[str, str] = {}
    for sku in skus:
        key = stock_key(sku)
        if key and key not in wanted:
            wanted[key] = sku
    return wanted


def dedupe_updates(
    updates: Sequence[StockUpdate],
) -> tuple[list[int], dict[int, StockResult]]:
    """The positions of the updates to send (the last one for each ref) and results for the others: an
    earlier update of the same item in one push is replaced by the later one."""
    last: dict[str, int] = {}
    for index, update in enumerate(updates):
        last[update.ref] = index
    send = sorted(last.values())
    skipped = {
        index: StockResult(
            update.sku,
            update.ref,
            False,
            f"another quantity for SKU {update.sku} in the same push replaced this one",
        )
        for index, update in enumerate(updates)
        if last[update.ref] != index
    }
    return send, skipped


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class HttpOptions:
    """How connectors talk HTTP: injected so tests can skip real waits and allow loopback fakes."""

    allow_private_urls: bool = False
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    max_wait_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    page_size: int | None = None  # None: the connector's default (the vendor's maximum)
    # Fixed vendor endpoints (ShipStation's API host) pointed elsewhere: {kind: base URL}; local fakes only.
    base_url_overrides: Mapping[str, str] = field(default_factory=dict)


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


CENT = Decimal("0.01")


def text(value: Any, limit: int = 500) -> str:
    """A store's text field, trimmed and cut to `limit`; missing (or a boolean) is empty."""
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()[:limit]


def amount(value: Any, *, required: bool = False) -> Decimal:
    """A store's amount (a decimal string or a JSON number) as a Decimal; missing is 0 unless required."""
    if value is None or value == "":
        if required:
            raise ValueError("a required amount is missing")
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"{value!r} is not an amount")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    return result


def money(value: Decimal) -> str:
    """ "12.50"; an amount with more than two decimals is kept as is (the canonical parser reports it)."""
    value = value + 0  # no "-0.00"
    return str(value.quantize(CENT)) if value == value.quantize(CENT) else str(value)


def parse_time(value: Any) -> datetime:
    """An ISO 8601 timestamp from a store; naive ones are taken as UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    """2026-11-22T10:00:00Z (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_store_url(raw: str, *, allow_private: bool, what: str = "store address") -> str:
    """A store URL the service may call: https (http only for loopback when private URLs are allowed),
    and not an address inside a private network unless allowed (the service must not be used to probe
    its own network). Returns the URL without a trailing slash; raises FatalError naming the problem."""
    value = raw.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise FatalError(f"The {what} must be a web address such as https://shop.example.com ({raw!r}).")
    if parts.username or parts.password:
        raise FatalError(f"The {what} must not contain a user name or password; use the credential fields.")
    private = _is_private(host)
    if private and not allow_private:
        raise FatalError(f"The {what} {host} is a private or local address; use the store's public address.")
    if parts.scheme == "http" and not (private and allow_private):
        raise FatalError(f"The {what} must use https:// (credentials would otherwise travel in clear).")
    return value


def _is_private(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(a[4][0]) for a in socket.getaddrinfo(host, None)}
        except (OSError, UnicodeError):
            return False  # unresolvable: the request will fail with a clear error
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved for a in addresses)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds (delta or HTTP date), or None."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass
class Http:
    """HTTP to one store with the retry policy every connector shares.

    429, 5xx and timeouts are retried up to `max_attempts` times, waiting Retry-After when given, else an
    exponential back-off with jitter; a wait longer than `max_wait_seconds` ends the run as retriable
    instead of holding a Lambda. `pace` lets a connector wait before its next call from the vendor's
    rate-limit headers (ShipStation's X-Rate-Limit-*). 401/403 become FatalError with `rejected`, 404 with
    `not_found` when given.
    """

    vendor: str
    base_url: str
    options: HttpOptions
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    rejected: str = ""
    not_found: str = ""
    redirected: str = ""  # the message for a 3xx; "{location}" is replaced by where it points
    pace: Callable[[httpx.Response], float] | None = None
    _client: httpx.Client | None = None
    _wait_before_next: float = 0.0

    def client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                base_url=self.base_url,
                headers={"User-Agent": "Ledgerbridge/1.0", "Accept": "application/json", **self.headers},
                auth=self.auth,
                timeout=self.options.timeout_seconds,
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        import httpx

        last = ""
        for attempt in range(1, self.options.max_attempts + 1):
            if self._wait_before_next > 0:
                self.options.sleep(self._wait_before_next)
                self._wait_before_next = 0.0
            try:
                response = self.client().request(method, path, params=params, json=json)
            except httpx.TimeoutException:
                last = f"{self.vendor} did not answer within {self.options.timeout_seconds:g} s"
                self._back_off(attempt, None, last)
                continue
            except httpx.TransportError as exc:
                last = f"could not reach {self.vendor} at {self.base_url} ({type(exc).__name__})"
                self._back_off(attempt, None, last)
                continue
            if self.pace is not None:
                self._wait_before_next = max(0.0, self.pace(response))
            status = response.status_code
            if status == 429 or status >= 500:
                last = (
                    f"{self.vendor} is limiting requests (HTTP 429)"
                    if status == 429
                    else f"{self.vendor} had a server error (HTTP {status})"
                )
                self._back_off(attempt, retry_after_seconds(response), last)
                continue
            if 300 <= status < 400:
                location = response.headers.get("Location", "another address")
                raise FatalError(
                    self.redirected.replace("{location}", location)
                    if self.redirected
                    else f"{self.vendor} answered with a redirect to {location}; use the store's own address."
                )
            if status in (401, 403):
                raise FatalError(self.rejected or f"{self.vendor} rejected the credentials (HTTP {status}).")
            if status == 404 and self.not_found:
                raise FatalError(self.not_found)
            if status >= 400:
                raise FatalError(f"{self.vendor} refused the request (HTTP {status}): {_excerpt(response)}")
            return response
        raise RetriableError(f"{last}; gave up after {self.options.max_attempts} attempts")

    def _back_off(self, attempt: int, retry_after: float | None, reason: str) -> None:
        if attempt >= self.options.max_attempts:
            return
        wait = (
            retry_after
            if retry_after is not None
            else min(60.0, 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        )
        if wait > self.options.max_wait_seconds:
            raise RetriableError(f"{reason}; it asked to wait {math.ceil(wait)} s", retry_after=wait)
        self.options.sleep(wait)

    def wait(self, seconds: float) -> None:
        """Wait before the next request (a connector's own throttle, e.g. Shopify's query cost)."""
        if seconds > self.options.max_wait_seconds:
            raise RetriableError(f"{self.vendor} asked to wait {math.ceil(seconds)} s", retry_after=seconds)
        if seconds > 0:
            self.options.sleep(seconds)


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def keyset_token(orders: list[FetchedOrder], since: datetime | None, page: int, full: bool) -> str | None:
    """Next-page token for stores that page by offset: restart at page 1 from the newest `updated_at`
    seen (orders changed during the run cannot shift an offset past one not yet read), skipping the ids
    already read at that moment (an order changed again has a later timestamp and is read again); when
    the whole page shares one timestamp, go on by offset. Token: '<iso since>|<page>[#id,id...]'."""
    if not full or not orders:
        return None
    newest = max(o.updated_at for o in orders)
    oldest = min(o.updated_at for o in orders)
    if newest == oldest:
        return f"{newest.isoformat()}|{page + 1 if since is not None and newest == since else 2}"
    seen = ",".join(o.order_id for o in orders if o.updated_at == newest)
    return f"{newest.isoformat()}|1#{seen}"


def read_keyset_token(token: str | None, window: Window) -> tuple[datetime | None, int, set[str]]:
    """(since, page, ids to skip) of a `keyset_token`; the window's start for the first page."""
    if not token:
        return window.since, 1, set()
    keyset, _, ids = token.partition("#")
    since, _, page = keyset.rpartition("|")
    return datetime.fromisoformat(since), int(page), set(ids.split(",")) if ids else set()
