"""A tenant's order rules: one ordered list, stored as one item (`RuleListModel`), so that every change (add,
edit, delete, reorder, enable, replace all by a CSV import) is one conditional write on the list's version.

The rules are kept as their JSON documents (the shape is `chalicelib/sync/rules.py`'s; this module does not
read them). The list is zlib-compressed in the item up to INLINE_BYTES, which 5,000 plain rules fit; a
longer list goes to the payloads table (`payloads.py`: compressed, in parts) under a key of its own per
version, written before the item names it, so a stored item always names a whole list. The key a write
replaced is deleted after the write; the key of a write that lost the race, at once.
"""

from __future__ import annotations

import json
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.dal import payloads
from chalicelib.dal.conditions import condition_failed
from chalicelib.dal.models import RuleListModel

__all__ = ["INLINE_BYTES", "RuleList", "VersionConflict", "load", "save"]

INLINE_BYTES = 300_000  # compressed; well under the 400 KB item limit with the other attributes


class VersionConflict(Exception):
    """The list changed since it was read (another write won): read it again and redo the change."""


@dataclass(frozen=True)
class RuleList:
    """The tenant's rules as stored: JSON documents in list order; version 0 when nothing is stored yet."""

    tenant_id: str
    rules: tuple[dict[str, Any], ...]
    version: int
    updated_at: datetime | None = None


def _get(tenant_id: str) -> RuleListModel | None:
    try:
        return RuleListModel.get(tenant_id, consistent_read=True)
    except RuleListModel.DoesNotExist:
        return None


def _documents(m: RuleListModel) -> tuple[dict[str, Any], ...]:
    if m.rules_z is not None:
        packed = bytes(m.rules_z)
    elif m.rules_ref:
        packed = payloads.get(m.rules_ref)  # stored whole (compressed again inside: harmless)
    else:
        return ()
    found = json.loads(zlib.decompress(packed))
    return tuple(dict(d) for d in found)


def load(tenant_id: str) -> RuleList:
    """The tenant's rules (an empty list, version 0, when none were ever saved). Read consistently."""
    m = _get(tenant_id)
    if m is None:
        return RuleList(tenant_id, (), 0)
    return RuleList(tenant_id, _documents(m), int(m.version or 0), m.updated_at)


def save(tenant_id: str, rules: Sequence[dict[str, Any]], *, version: int) -> RuleList:
    """Replace the tenant's whole list, provided it is still at `version` (0: never saved); VersionConflict
    when another write came first (nothing of this one is kept)."""
    text = json.dumps(list(rules), separators=(",", ":"), ensure_ascii=False).encode()
    packed = zlib.compress(text, 6)
    now = datetime.now(UTC)
    existing = _get(tenant_id)
    if (int(existing.version or 0) if existing is not None else 0) != version:
        raise VersionConflict(tenant_id)
    model = existing if existing is not None else RuleListModel(tenant_id)
    old_ref = model.rules_ref
    new_ref: str | None = None
    if len(packed) <= INLINE_BYTES:
        model.rules_z, model.rules_ref = packed, None
    else:
        new_ref = f"rules#{tenant_id}#{secrets.token_hex(12)}"
        payloads.put(new_ref, packed)
        model.rules_z, model.rules_ref = None, new_ref
    model.rule_count = len(rules)
    model.updated_at = now
    try:
        model.save()  # VersionAttribute: the write holds only while the stored version is still ours
    except PutError as exc:
        if new_ref is not None:
            payloads.delete(new_ref)
        if condition_failed(exc):
            raise VersionConflict(tenant_id) from exc
        raise
    if old_ref and old_ref != new_ref:
        payloads.delete(old_ref)
    return RuleList(tenant_id, tuple(rules), int(model.version), now)
