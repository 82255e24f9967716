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


@pytest.fixture
def store(api, tmp_path):
    """A connected company (lists cached by a first session) and a custom-store channel on it."""

    from chalicelib.settings import get_settings
    from chalicelib.sync.web_connector import WebConnectorService
    from ledgerbridge.simulators.company import CompanySimulator
    from tests.service.test_web_connector_session import Clock, run_rounds

    conn = api.json("POST", "/api/v1/connections", {"name": "Orders"}, expect=201)
    password = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)["password"]
    company = CompanySimulator.open(tmp_path / "company.json")
    service = WebConnectorService(get_settings()._replace(), clock=Clock())
    auth = service.authenticate(conn["username"], password)
    run_rounds(service, auth.ticket, company)
    service.close_connection(auth.ticket)
    settings = {
        "transaction_type": "sales_receipt",
        "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
        "shipping_item": "Shipping",
        "tax_mode": "quickbooks",  # QuickBooks computes the tax (the tests of the store's tax: test_sales_tax_e2e)
    }
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": settings},
        expect=201,
    )
    return {"conn": conn, "password": password, "company": company, "service": service, "channel": channel}
