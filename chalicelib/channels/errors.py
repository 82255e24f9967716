"""The three kinds of store trouble, as in Singer taps.

- `FatalError`: nothing will work until the merchant acts (credentials rejected, store gone). The run stops.
- `RetriableError`: the store is busy or failing (429, 5xx, timeouts). `Http` retries these itself, waiting
  what Retry-After or the vendor's rate-limit headers ask; when it gives up the run ends and the next one
  starts again from the bookmark.
- one malformed order is not an exception: it comes back as a `FetchedOrder` with `problem` set (see
  `chalicelib.channels.stream.canonical`), and is recorded as failed with that reason while the run goes on.
"""

from __future__ import annotations


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
