"""What a warm container keeps, between Web Connector calls, of what posting orders reads on every call: a
connection's channels and its tenant's compiled order rules (without it, each sendRequestXML reads both).

The key is the connection's `channels_version`, which the call has already read with the connection. Every
channel added, changed or deleted (chalicelib/dal/channels.py) and every save of the tenant's rules
(chalicelib/sync/rules.py) bumps it after the write, so a call that starts after a change reads a newer version
and reads them again; a call under way when the change lands may still post with what it read, as before.
A bump lost to a crash between the write and the bump would leave a warm container with the old settings, so
nothing is kept longer than MAX_AGE_SECONDS either.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

__all__ = ["MAX_AGE_SECONDS", "MAX_ENTRIES", "forget_all", "kept"]

MAX_AGE_SECONDS: Final = 300
MAX_ENTRIES: Final = 512  # a container serves a few connections at a time; the oldest entries go first

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    version: int
    at: float
    value: Any


_KEPT: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()


def kept(
    key: tuple[str, ...],
    version: int | None,
    read: Callable[[], T],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`read()`, or what it gave for `key` at the same `version` less than MAX_AGE_SECONDS ago (None as the
    version: always read, nothing kept)."""
    if version is None:
        return read()
    now = clock()
    entry = _KEPT.get(key)
    if entry is not None and entry.version == version and now - entry.at < MAX_AGE_SECONDS:
        _KEPT.move_to_end(key)
        value: T = entry.value
        return value
    value = read()
    _KEPT[key] = _Entry(version, now, value)
    _KEPT.move_to_end(key)
    while len(_KEPT) > MAX_ENTRIES:
        _KEPT.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop everything kept (a container's memory between tests)."""
    _KEPT.clear()
