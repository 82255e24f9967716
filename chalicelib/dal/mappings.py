"""What QuickBooks calls the things a store names: customer and item names with their ListIDs, cached so
later batches skip the adds and lookups for what is already known."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from chalicelib.dal.models import MappingModel


def _key(kind: str, name: str) -> str:
    return f"{kind}#{name.casefold()}"


def known(connection_id: str, kind: str, names: Iterable[str]) -> dict[str, str]:
    """{name: ListID or ""} for the names already known to exist in QuickBooks."""
    wanted = {_key(kind, n): n for n in names if n}
    found: dict[str, str] = {}
    if not wanted:
        return found
    for model in MappingModel.batch_get([(connection_id, key) for key in wanted]):
        found[wanted[model.mapping_key]] = model.list_id or ""
    return found


def remember(connection_id: str, kind: str, names: Mapping[str, str | None]) -> None:
    """Record names (with their ListID when QuickBooks returned one) as existing in QuickBooks."""
    now = datetime.now(UTC)
    with MappingModel.batch_write() as batch:
        for name, list_id in names.items():
            batch.save(
                MappingModel(connection_id, _key(kind, name), list_id=list_id, full_name=name, updated_at=now)
            )
