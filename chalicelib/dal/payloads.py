"""Large payloads (a message set waiting for its answer, a very large order) kept apart from the records
that name them, so that no DynamoDB item grows past its 400 KB limit whatever the orders look like.

A payload is compressed (zlib) and cut into parts of at most PART_BYTES, one item each; `put` writes every
part before the caller stores the key anywhere, so a key that is stored always names a whole payload. The
same code runs on DynamoDB in AWS and on the embedded stack.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from chalicelib.dal.models import PayloadModel

PART_BYTES = 300_000  # well under the 400 KB item limit with the key and attributes beside it


class PayloadMissing(LookupError):
    """No whole payload under that key (expired, or never written whole)."""


def put(key: str, data: bytes, *, expires_at: datetime | None = None) -> int:
    """Store `data` under `key` (replacing it); returns the number of parts written."""
    packed = zlib.compress(data, 6)
    chunks = [packed[i : i + PART_BYTES] for i in range(0, len(packed), PART_BYTES)] or [b""]
    with PayloadModel.batch_write() as batch:
        for n, chunk in enumerate(chunks):
            batch.save(PayloadModel(key, n, parts=len(chunks), data=chunk, expires_at=expires_at))
    return len(chunks)


def get(key: str) -> bytes:
    parts = sorted(PayloadModel.query(key, consistent_read=True), key=lambda m: int(m.part))
    if not parts or len(parts) != int(parts[0].parts):
        raise PayloadMissing(key)
    return zlib.decompress(b"".join(bytes(m.data) for m in parts))


def delete(key: str) -> None:
    with PayloadModel.batch_write() as batch:
        for model in PayloadModel.query(key, consistent_read=True):
            batch.delete(model)
