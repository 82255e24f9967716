"""Large payloads (a message set waiting for its answer, a very large order) kept apart from the records
that name them, so that no DynamoDB item grows past its 400 KB limit whatever the orders look like.

A payload is compressed (zlib) and cut into parts of at most PART_BYTES, one item each; `put` writes every
part before the caller stores the key anywhere, so a key that is stored always names a whole payload. The
same code runs on DynamoDB in AWS and on the embedded stack.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.dal.models import PayloadModel

PART_BYTES = 300_000  # well under the 400 KB item limit with the key and attributes beside it


class PayloadMissing(LookupError):
    """No whole payload under that key (expired, or never written whole)."""


@dataclass(frozen=True)
class Payload:
    """One payload to store: its key, its bytes, and when DynamoDB may remove it (TTL)."""

    key: str
    data: bytes
    expires_at: datetime | None = None


def put(key: str, data: bytes, *, expires_at: datetime | None = None) -> int:
    """Store `data` under `key` (replacing it); returns the number of parts written."""
    return put_many([Payload(key, data, expires_at)])


def put_many(items: Sequence[Payload]) -> int:
    """Store several payloads in as few calls as DynamoDB allows (one BatchWriteItem for up to 25 parts); returns
    the number of parts written. Every part is written before this returns, so each key names a whole payload."""
    written = 0
    with PayloadModel.batch_write() as batch:
        for item in items:
            packed = zlib.compress(item.data, 6)
            chunks = [packed[i : i + PART_BYTES] for i in range(0, len(packed), PART_BYTES)] or [b""]
            for n, chunk in enumerate(chunks):
                batch.save(
                    PayloadModel(item.key, n, parts=len(chunks), data=chunk, expires_at=item.expires_at)
                )
            written += len(chunks)
    return written


def get(key: str) -> bytes:
    """The whole payload under `key`. Parts past the count its first part gives are left over from a larger payload
    once kept under the same key (a put writes its own parts, it does not delete others): they are not read."""
    parts = sorted(PayloadModel.query(key, consistent_read=True), key=lambda m: int(m.part))
    if not parts:
        raise PayloadMissing(key)
    count = int(parts[0].parts)
    whole = [m for m in parts if int(m.part) < count]
    if len(whole) != count or any(int(m.parts) != count for m in whole):
        raise PayloadMissing(key)
    return zlib.decompress(b"".join(bytes(m.data) for m in whole))


def delete(key: str) -> None:
    with PayloadModel.batch_write() as batch:
        for model in PayloadModel.query(key, consistent_read=True):
            batch.delete(model)
