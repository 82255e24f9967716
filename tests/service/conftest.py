"""In-process tests of the app on the embedded AWS: Chalice's test client, no HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client


@dataclass
class Api:
    client: Client
    key: str
    tenant_id: str

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, raw: bytes | None = None
    ):
        headers = {"Authorization": f"Bearer {key or self.key}", "Content-Type": "application/json"}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = getattr(self.client.http, method.lower())(path, headers=headers, body=data)
        return response

    def json(
        self, method: str, path: str, body: Any = None, key: str | None = None, expect: int = 200
    ) -> Any:
        response = self.call(method, path, body, key)
        assert response.status_code == expect, response.body
        return json.loads(response.body)


@pytest.fixture(scope="session")
def chalice_client(aws: str) -> Iterator[Client]:
    from app import app

    with Client(app) as client:
        yield client


def new_tenant(client: Client, name: str = "Merchant") -> Api:
    from chalicelib.sync import tenancy

    tenant, key = tenancy.create_tenant_with_key(name)
    return Api(client, key, tenant.tenant_id)


@pytest.fixture
def api(chalice_client: Client) -> Api:
    return new_tenant(chalice_client)


@pytest.fixture
def other_api(chalice_client: Client) -> Api:
    return new_tenant(chalice_client, "Other merchant")
