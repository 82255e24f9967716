"""One interface for every store, re-exported from the modules that hold it (import from here or there):

- `errors`: FatalError, RetriableError (and one malformed order is a FetchedOrder with its problem);
- `stream`: Window, Page, FetchedOrder, the Connector protocol, ConnectorSpec, `canonical`;
- `http`: HttpOptions and Http (the shared retry policy), `check_store_url`;
- `paging`: OffsetKeyset, paging by offset without gaps while orders change;
- `values`: reading a store's text, amounts and timestamps;
- `inventory`: stock levels pushed from QuickBooks.
"""

from __future__ import annotations

import time  # noqa: F401  (tests patch chalicelib.channels.base.time.sleep)

from chalicelib.channels.errors import ConnectorError, FatalError, RetriableError
from chalicelib.channels.http import (
    Http,
    HttpOptions,
    check_store_url,
    retry_after_seconds,
)
from chalicelib.channels.inventory import (
    InventoryTarget,
    StockItem,
    StockResult,
    StockUpdate,
    dedupe_updates,
    inventory_target,
    skus_by_key,
    stock_key,
)
from chalicelib.channels.paging import OffsetKeyset, keyset_token, read_keyset_token
from chalicelib.channels.stream import (
    Connector,
    ConnectorSpec,
    CredentialField,
    FetchedOrder,
    Page,
    Window,
    canonical,
)
from chalicelib.channels.values import CENT, amount, iso_z, money, parse_time, text

__all__ = [
    "CENT",
    "Connector",
    "ConnectorError",
    "ConnectorSpec",
    "CredentialField",
    "FatalError",
    "FetchedOrder",
    "Http",
    "HttpOptions",
    "InventoryTarget",
    "OffsetKeyset",
    "Page",
    "RetriableError",
    "StockItem",
    "StockResult",
    "StockUpdate",
    "Window",
    "amount",
    "canonical",
    "check_store_url",
    "dedupe_updates",
    "inventory_target",
    "iso_z",
    "keyset_token",
    "money",
    "parse_time",
    "read_keyset_token",
    "retry_after_seconds",
    "skus_by_key",
    "stock_key",
    "text",
]
