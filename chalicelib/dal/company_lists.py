"""The company's lists cached from QuickBooks (chart of accounts, items, tax codes, payment methods, classes).

A refresh writes every record it reads with the refresh's id, then removes what that refresh did not see,
so a list is replaced whole and a failed refresh leaves the previous one in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.dal.models import ListRecordModel


@dataclass(frozen=True)
class CachedRecord:
    kind: str
    list_id: str
    name: str
    full_name: str
    is_active: bool
    details: dict[str, Any]


def _record(m: ListRecordModel) -> CachedRecord:
    return CachedRecord(
        kind=m.kind,
        list_id=m.list_id,
        name=m.name,
        full_name=m.full_name,
        is_active=bool(m.is_active),
        details=dict(m.details or {}),
    )


def put_records(connection_id: str, records: Iterable[CachedRecord], refresh_id: str) -> int:
    count = 0
    with ListRecordModel.batch_write() as batch:
        for r in records:
            batch.save(
                ListRecordModel(
                    connection_id,
                    f"{r.kind}#{r.list_id}",
                    kind=r.kind,
                    list_id=r.list_id,
                    name=r.name,
                    full_name=r.full_name,
                    is_active=r.is_active,
                    details=r.details or None,
                    refresh_id=refresh_id,
                )
            )
            count += 1
    return count


def remove_stale(connection_id: str, kinds: Sequence[str], refresh_id: str) -> int:
    """Delete the records of `kinds` that the refresh `refresh_id` did not write."""
    removed = 0
    with ListRecordModel.batch_write() as batch:
        for kind in kinds:
            for m in ListRecordModel.query(
                connection_id,
                ListRecordModel.record_key.startswith(f"{kind}#"),
                attributes_to_get=["connection_id", "record_key", "refresh_id"],
            ):
                if m.refresh_id != refresh_id:
                    batch.delete(m)
                    removed += 1
    return removed


def list_records(connection_id: str, kind: str) -> list[CachedRecord]:
    records = [
        _record(m)
        for m in ListRecordModel.query(connection_id, ListRecordModel.record_key.startswith(f"{kind}#"))
    ]
    return sorted(records, key=lambda r: r.full_name.lower())


def delete_all(connection_id: str) -> None:
    with ListRecordModel.batch_write() as batch:
        for m in ListRecordModel.query(connection_id):
            batch.delete(m)
