"""What the vendor-document tests (tests/unit/channels/test_*_openapi.py) share: a Swagger 2.0 schema closed to
what it does not name, and a fake store that keeps every answer it gave, to be checked against the document."""

from __future__ import annotations

import copy
import json
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request


def closed(schema: Any) -> Any:
    """The schema with `additionalProperties: false` on every object that lists its properties."""
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items()}
        if out.get("properties"):
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


def record_answers(store: FakeStore) -> list[tuple[Request, int, Any]]:
    """Make `store` keep (request, status, JSON body) of every answer it gives; returns that list."""
    answers: list[tuple[Request, int, Any]] = []
    serve = store.handle

    def recording(request: Request) -> Any:
        response = serve(request)
        body = response.body if not isinstance(response.body, bytes) else json.loads(response.body or b"null")
        answers.append((request, response.status, copy.deepcopy(body)))
        return response

    store.handle = recording  # type: ignore[method-assign]
    return answers
