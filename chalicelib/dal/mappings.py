"""What QuickBooks calls the things a store names: customer and item names with their ListIDs, cached so
later batches skip the adds and lookups for what is already known."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from chalicelib.dal.models import MappingModel

# The kind under which QuickBooks sales an order rule keeps out of ShipStation are named (by TxnID).
NOT_FOR_SHIPSTATION = "not_for_shipstation"


def _key(kind: str, name: str) -> str:
    return f"{kind}#{name.casefold()}"


def known(connection_id: str, kind: str, names: Iterable[str]) -> dict[str, str]:
    """{name: ListID or ""} for the names already known to exist in QuickBooks."""
    return known_many(connection_id, {kind: names})[kind]


def known_many(connection_id: str, wanted: Mapping[str, Iterable[str]]) -> dict[str, dict[str, str]]:
    """`known` for several kinds at once ({kind: names} -> {kind: {name: ListID or ""}}), in one batch read per
    100 names."""
    keys: dict[str, tuple[str, str]] = {
        _key(kind, n): (kind, n) for kind, names in wanted.items() for n in names if n
    }
    found: dict[str, dict[str, str]] = {kind: {} for kind in wanted}
    if not keys:
        return found
    for model in MappingModel.batch_get([(connection_id, key) for key in keys]):
        kind, name = keys[model.mapping_key]
        found[kind][name] = model.list_id or ""
    return found


def remember(connection_id: str, kind: str, names: Mapping[str, str | None]) -> None:
    """Record names (with their ListID when QuickBooks returned one) as existing in QuickBooks."""
    remember_many(connection_id, {kind: names})


def remember_many(connection_id: str, learned: Mapping[str, Mapping[str, str | None]]) -> None:
    """`remember` for several kinds at once ({kind: {name: ListID}}), in one batch write per 25 names."""
    now = datetime.now(UTC)
    with MappingModel.batch_write() as batch:
        for kind, names in learned.items():
            for name, list_id in names.items():
                batch.save(
                    MappingModel(
                        connection_id, _key(kind, name), list_id=list_id, full_name=name, updated_at=now
                    )
                )


def delete_all(connection_id: str) -> None:
    """Forget every name cached for a connection (when the connection is deleted)."""
    with MappingModel.batch_write() as batch:
        for m in MappingModel.query(connection_id):
            batch.delete(m)
