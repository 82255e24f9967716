"""Opaque list cursors bound to the tenant and the list they came from.

A cursor is what a list answers as `next` and takes back as `after`: the position of the last item read
(DynamoDB's LastEvaluatedKey, reduced to its sort-key part), wrapped with the tenant and the list's scope
(e.g. `orders`, `orders:<channel id>`) and base64url-encoded. Two rules keep one tenant's data out of
another's lists whatever a caller sends:

- The partition a list queries always comes from the caller's verified request (the tenant's own id, or a
  channel checked to be the tenant's), never from the cursor: a cursor only positions the read inside
  that partition, and DynamoDB never moves a Query past its partition key. A forged cursor therefore
  yields nothing of another tenant.
- A cursor whose tenant or scope is not the caller's, or that does not decode to exactly the expected
  fields, is refused with a 400 (`InvalidInput`), so a cursor copied from another tenant's answer is useless
  and says nothing about that tenant.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from chalicelib.errors import InvalidInput

VERSION = 1
MAX_CURSOR_CHARS = 1024
INVALID = "after is not a cursor this list gave you; start from the first page (omit after)"


def encode(tenant_id: str, scope: str, position: dict[str, str]) -> str:
    """The opaque cursor for `position` (attribute name -> string value) in the tenant's list `scope`."""
    raw = json.dumps({"v": VERSION, "t": tenant_id, "s": scope, "k": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode(tenant_id: str, scope: str, cursor: str, fields: Sequence[str]) -> dict[str, str]:
    """The position inside a cursor made by `encode` for this tenant and scope; InvalidInput otherwise."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidInput(INVALID)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidInput(INVALID) from exc
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise InvalidInput(INVALID)
    if body.get("t") != tenant_id or body.get("s") != scope:
        raise InvalidInput(INVALID)
    position = body.get("k")
    if (
        not isinstance(position, dict)
        or sorted(position) != sorted(fields)
        or not all(isinstance(v, str) and v for v in position.values())
    ):
        raise InvalidInput(INVALID)
    return {name: str(position[name]) for name in fields}
