"""Stock levels pushed from QuickBooks to the stores that take them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from chalicelib.channels.errors import FatalError


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
