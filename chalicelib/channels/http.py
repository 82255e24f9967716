"""HTTP to a store with the retry policy every connector shares, and the check of a store's address.

`httpx` is imported when a connector first calls its store, never with this module: the SOAP Lambda imports
the channel package without loading it.
"""

from __future__ import annotations

import ipaddress
import math
import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib.channels.errors import FatalError, RetriableError

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class HttpOptions:
    """How connectors talk HTTP: injected so tests can skip real waits and allow loopback fakes."""

    allow_private_urls: bool = False
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    max_wait_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = (
        time.time
    )  # the clock `sleep` moves (epoch seconds): for vendors that name a time
    page_size: int | None = None  # None: the connector's default (the vendor's maximum)
    # Fixed vendor endpoints (ShipStation's API host) pointed elsewhere: {kind: base URL}; local fakes only.
    base_url_overrides: Mapping[str, str] = field(default_factory=dict)


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
    # how long a 429 or 5xx asks to wait when the vendor says so in its own header (default: Retry-After)
    retry_after: Callable[[httpx.Response], float | None] = field(default=retry_after_seconds)
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
        data: Mapping[str, str] | None = None,  # a form body (application/x-www-form-urlencoded)
    ) -> httpx.Response:
        import httpx

        last = ""
        for attempt in range(1, self.options.max_attempts + 1):
            if self._wait_before_next > 0:
                self.options.sleep(self._wait_before_next)
                self._wait_before_next = 0.0
            try:
                response = self.client().request(method, path, params=params, json=json, data=data)
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
                self._back_off(attempt, self.retry_after(response), last)
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
