"""Executing a selection on the fake Shopify store's stored documents: `ShopifyProjection` returns the part of a
value a field selects (only the selected fields, with aliases), pages nested lists as connections with index
cursors, and, in strict mode, checks a query against a complete sample (a misspelt field fails as
`undefinedField`)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Sequence
from typing import Any

from ledgerbridge.fakes.shopify.graphql import Field, GraphQLError, _Args, _is_connection


def _has_object(value: Any) -> bool:
    if isinstance(value, list):
        return any(isinstance(item, dict) for item in value)
    return isinstance(value, dict)


def _index_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"idx:{position}".encode()).decode().rstrip("=")


def _read_index_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        if not text.startswith("idx:"):
            raise ValueError(text)
        return int(text[4:])
    except ValueError as exc:
        raise GraphQLError("Invalid cursor.", "BAD_REQUEST") from exc


class ShopifyProjection:
    """The selection of stored values (no state of its own)."""

    def _connection(
        self,
        docs: Sequence[Any],
        cursors: Sequence[str],
        has_next: bool,
        has_previous: bool,
        field: Field,
        args: Callable[[Field], _Args],
        *,
        strict: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for selection in field.selections or ():
            if selection.name == "nodes":
                out[selection.key] = [self._project(d, selection, args, strict=strict) for d in docs]
            elif selection.name == "edges":
                edges = []
                for doc, cursor in zip(docs, cursors, strict=True):
                    edge: dict[str, Any] = {}
                    for part in selection.selections or ():
                        if part.name == "cursor":
                            edge[part.key] = cursor
                        elif part.name == "node":
                            edge[part.key] = self._project(doc, part, args, strict=strict)
                        else:
                            raise GraphQLError(
                                f"Field '{part.name}' doesn't exist on type 'Edge'", "undefinedField"
                            )
                    edges.append(edge)
                out[selection.key] = edges
            elif selection.name == "pageInfo":
                info = {
                    "hasNextPage": has_next,
                    "hasPreviousPage": has_previous,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                }
                out[selection.key] = self._project(info, selection, args, strict=strict)
            else:
                raise GraphQLError(
                    f"Field '{selection.name}' doesn't exist on a connection", "undefinedField"
                )
        return out

    def _project(
        self, value: Any, field: Field, args: Callable[[Field], _Args], *, strict: bool = False
    ) -> Any:
        """The part of a stored value `field` selects. `strict` (validation against the sample order):
        every selected field must exist."""
        if field.selections is None:
            if strict and _has_object(value):
                raise GraphQLError(
                    f"Field must have selections (field '{field.name}' returns an object)",
                    "selectionMismatch",
                )
            return copy.deepcopy(value) if isinstance(value, dict | list) else value
        if value is None:
            return None
        if isinstance(value, dict) and "nodes" in value and isinstance(value["nodes"], list):
            nodes = value["nodes"]
            size, from_end = args(field).page_size()
            after, before = args(field).get("after"), args(field).get("before")
            start = _read_index_cursor(after) + 1 if after else 0
            end = _read_index_cursor(before) if before else len(nodes)
            window = list(range(start, min(end, len(nodes))))
            chosen = window[-size:] if from_end else window[:size]
            if strict:
                chosen = chosen[:1]
            return self._connection(
                [nodes[i] for i in chosen],
                [_index_cursor(i) for i in chosen],
                bool(chosen) and chosen[-1] < window[-1],
                bool(chosen) and chosen[0] > window[0],
                field,
                args,
                strict=strict,
            )
        if _is_connection(field):
            raise GraphQLError(f"Field '{field.name}' is not a connection", "undefinedField")
        if isinstance(value, list):
            first = args(field).count("first") if "first" in field.arguments else None
            items = value[:first] if first is not None else value
            if strict:
                items = items[:1]
            return [self._project(item, field, args, strict=strict) for item in items]
        if not isinstance(value, dict):
            raise GraphQLError(
                f"Selections can't be made on scalars (field '{field.name}')", "selectionMismatch"
            )
        out: dict[str, Any] = {}
        for selection in field.selections:
            if selection.name == "__typename":
                out[selection.key] = field.name
                continue
            if selection.name not in value:
                if strict:
                    raise GraphQLError(
                        f"Field '{selection.name}' doesn't exist on the type of '{field.name}'",
                        "undefinedField",
                        fieldName=selection.name,
                    )
                out[selection.key] = None
                continue
            out[selection.key] = self._project(value[selection.name], selection, args, strict=strict)
        return out
