"""Hostile values in every REST body field, sent through the app in-process (moto in-process).

Each field of each body (connections, API keys, channels and their settings and credentials, the custom
store's orders down to their lines, refunds and addresses, resync ranges) gets text with any code point
(lone surrogates included), numbers of any size and exponent, dates at the extremes and deep nesting. The
answer is never a 5xx; a refusal is a 4xx naming what is wrong, and nothing is stored.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.dal import channels as channel_repo
from chalicelib.dal import connections
from chalicelib.dal import orders as order_repo
from chalicelib.sync import tenancy
from tests.service.conftest import Api, new_tenant
from tests.service.test_orders_api import ORDER, SETTINGS, seed_accounts

PLACEHOLDER = "\u2603hostile\u2603"
PROPERTY = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def raw(value: Any) -> str:
    return json.dumps(value)


# Values as JSON text: some (5,000-digit numbers, NaN, 100,000-deep arrays) cannot be written by json.dumps.
NUMBERS = st.one_of(
    st.integers().map(raw),
    st.floats().map(raw),  # NaN and Infinity included: json.dumps writes them as bare words
    st.tuples(st.integers(-(10**12), 10**12), st.integers(-(10**10), 10**10)).map(lambda t: f"{t[0]}e{t[1]}"),
    st.tuples(st.integers(-(10**12), 10**12), st.integers(-(10**10), 10**10)).map(
        lambda t: raw(f"{t[0]}E{t[1]}")
    ),
    st.sampled_from(["9" * 5000, "-" + "9" * 5000, "1" + "0" * 400 + ".5", "1e309", "-1e999999999"]).map(str),
    st.sampled_from(
        ["1e309", "1E+30", "1e999999999", "-1e999999999", "1e-999999999", "NaN", "sNaN", "Infinity"]
    ).map(raw),
)
TEXT = st.one_of(
    st.text(st.characters(codec=None), max_size=30).map(raw),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "tab\there", "\ufffe", "\u2028", "x" * 5000, " "]).map(
        raw
    ),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3).map(raw),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "0001-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:59:59.999999Z",
            "1969-12-31T23:59:59Z",
            "2100-01-01",
            "2026-02-30",
        ]
    ).map(raw),
    st.datetimes().map(lambda d: raw(d.isoformat() + "Z")),
    st.dates().map(lambda d: raw(d.isoformat())),
)
NESTED = st.one_of(
    st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 100_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.recursive(
        st.none() | st.booleans() | st.integers(), lambda c: st.lists(c, max_size=3), max_leaves=5
    ).map(raw),
)
HOSTILE = st.one_of(NUMBERS, TEXT, DATES, NESTED, st.sampled_from(["null", "true", "{}", "[]"]))
# The cases an outside check found, as JSON text.
CASES = [
    raw("\ud800"),
    "9" * 5000,
    raw("1e309"),
    raw("1E+30"),
    raw("1e999999999"),
    "1e309",
    raw("0001-01-01"),
    raw("9999-12-31"),
    "[" * 100_000 + "]" * 100_000,
]


def body_with(template: dict[str, Any], path: tuple[str | int, ...], value: str) -> bytes:
    """`template` with the value at `path` replaced by the JSON text `value`."""
    document = copy.deepcopy(template)
    where: Any = document
    for step in path[:-1]:
        where = where[step]
    where[path[-1]] = PLACEHOLDER
    return json.dumps(document).replace(json.dumps(PLACEHOLDER), value).encode("utf-8", "surrogatepass")


def leaves(document: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path in a JSON document (objects and arrays too: they are replaced whole)."""
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += leaves(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += leaves(value, (*prefix, index))
    return found


FULL_ORDER = {
    **ORDER,
    "updated_at": "2026-11-20T11:00:00Z",
    "customer": {**ORDER["customer"], "company": "Analytical", "phone": "555"},
    "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "Seattle", "country": "US"},
    "lines": [{**ORDER["lines"][0], "discount": "0.00", "tax": "0.00", "taxable": True}],
    "discounts": [{"code": "TEN", "amount": "0.00"}],
    "tax_lines": [{"title": "WA", "amount": "0.00", "rate": "0.10"}],
    "fees": [{"title": "Gift wrap", "amount": "0.00"}],
    "payments": [{**ORDER["payments"][0], "paid_at": "2026-11-20T10:00:00Z", "reference": "r1"}],
    "refunds": [
        {
            "id": "r1",
            "created_at": "2026-11-21T10:00:00Z",
            "amount": "0.00",
            "lines": [{"line_id": "1", "quantity": 1, "amount": "0.00"}],
            "note": "n",
        }
    ],
    "note": "leave at the door",
    "tags": ["vip"],
    "source": "web",
    "status": "open",
}
FULL_SETTINGS = {
    **SETTINGS,
    "customer_matching": "last_first",
    "fallback_customer": "Online Customer",
    "shipping_item": "Shipping",
    "payment_methods": {"credit_card": "Visa"},
    "default_payment_method": "Visa",
    "statuses": ["paid"],
    "start_date": "2026-01-01",
    "full_inventory_every_minutes": 60,
    "subtract_sales_orders": False,
    "directions": ["orders_to_quickbooks"],
}
ORDER_PRICE = ("orders", 0, "lines", 0, "unit_price")
ORDER_PATHS = [("orders", 0, *p) for p in leaves(FULL_ORDER)]
SETTINGS_PATHS = [("settings", *p) for p in leaves(FULL_SETTINGS)]


def stored(tenant_id: str, channel_id: str | None) -> tuple[int, ...]:
    counts = (
        len(connections.list_for_tenant(tenant_id)),
        len(tenancy.list_keys(tenant_id)),
        len(channel_repo.list_for_tenant(tenant_id)),
    )
    if channel_id is None:
        return counts
    found, _ = order_repo.list_orders(tenant_id, channel_id=channel_id, status=None, limit=500, after=None)
    return (*counts, len(found), *(hash(json.dumps(channel_repo.get(channel_id).settings, default=str)),))


def send(api, method: str, path: str, body: bytes, channel_id: str | None = None):
    before = stored(api.tenant_id, channel_id)
    response = api.call(method, path, raw=body)
    assert response.status_code < 500, (response.status_code, response.body[:500])
    answer = json.loads(response.body)
    if response.status_code >= 400:
        assert answer["error"] and answer["message"], answer
        assert stored(api.tenant_id, channel_id) == before, answer
    return response.status_code, answer


@pytest.fixture(scope="module")
def shop(chalice_client) -> tuple[Api, dict[str, Any]]:
    """One tenant with a custom-store channel for the many field tests (each example checks its own
    before/after, so they can share it)."""
    api = new_tenant(chalice_client, "Hostile REST")
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    body = {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS}
    return api, api.json("POST", "/api/v1/channels", body, expect=201)


@pytest.fixture
def connection(api) -> dict[str, Any]:
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    return conn


@pytest.fixture
def channel(api, connection) -> dict[str, Any]:
    return api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": connection["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS},
        expect=201,
    )


@pytest.mark.parametrize("field", ["name", "run_every_minutes"])
@PROPERTY
@given(value=HOSTILE)
@example(value=CASES[0])
def test_connection_fields(api, field, value):
    send(
        api,
        "POST",
        "/api/v1/connections",
        body_with({"name": "Store", "run_every_minutes": 15}, (field,), value),
    )


@PROPERTY
@given(value=HOSTILE)
@example(value=CASES[0])
def test_api_key_label(api, value):
    send(api, "POST", "/api/v1/api-keys", body_with({"label": "ci"}, ("label",), value))


@pytest.mark.parametrize(
    "path",
    [("connection_id",), ("kind",), ("name",), ("every_minutes",), ("credentials",), *SETTINGS_PATHS],
    ids=lambda p: ".".join(map(str, p)),
)
@PROPERTY
@given(value=HOSTILE)
@example(value=CASES[0])
def test_channel_fields(shop, path, value):
    api, channel = shop
    body = {
        "connection_id": channel["connection_id"],
        "kind": "custom_store",
        "name": "Web",
        "settings": FULL_SETTINGS,
    }
    body["credentials"] = {}
    send(api, "POST", "/api/v1/channels", body_with(body, path, value))


@pytest.mark.parametrize(
    "path", [("name",), ("every_minutes",), ("settings", "start_date"), ("settings", "statuses")]
)
@PROPERTY
@given(value=HOSTILE)
def test_channel_changes(api, channel, path, value):
    body = {"name": "Web", "every_minutes": 15, "settings": {"start_date": "2026-01-01", "statuses": []}}
    send(api, "PATCH", f"/api/v1/channels/{channel['id']}", body_with(body, path, value), channel["id"])


@pytest.mark.parametrize("path", ORDER_PATHS, ids=lambda p: ".".join(map(str, p[2:])))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
@example(value=CASES[2])
def test_order_fields(shop, path, value):
    api, channel = shop
    send(
        api,
        "POST",
        f"/api/v1/channels/{channel['id']}/orders",
        body_with({"orders": [FULL_ORDER]}, path, value),
        channel["id"],
    )


@pytest.mark.parametrize("field", ["from", "to"])
@PROPERTY
@given(value=HOSTILE)
@example(value=raw("0001-01-01"))
@example(value=raw("9999-12-31"))
def test_resync_range(api, channel, field, value):
    body = {"from": "2026-01-01", "to": "2026-01-31"}
    status, answer = send(
        api, "POST", f"/api/v1/channels/{channel['id']}/resync", body_with(body, (field,), value)
    )
    if status >= 400:
        assert field in answer["message"] or "request body" in answer["message"], answer


@pytest.mark.parametrize("value", CASES, ids=range(len(CASES)))
def test_the_cases_found_are_refused_naming_the_field(api, channel, value):
    orders = f"/api/v1/channels/{channel['id']}/orders"
    for path, field, body in [
        (orders, "orders[0].total", body_with({"orders": [FULL_ORDER]}, ("orders", 0, "total"), value)),
        (orders, "orders[0].lines[0].unit_price", body_with({"orders": [FULL_ORDER]}, ORDER_PRICE, value)),
        (orders, "orders[0].id", body_with({"orders": [FULL_ORDER]}, ("orders", 0, "id"), value)),
        (
            orders,
            "orders[0].created_at",
            body_with({"orders": [FULL_ORDER]}, ("orders", 0, "created_at"), value),
        ),
        ("/api/v1/connections", "name", body_with({"name": "Store"}, ("name",), value)),
        ("/api/v1/api-keys", "label", body_with({"label": "x"}, ("label",), value)),
    ]:
        status, answer = send(api, "POST", path, body, channel["id"])
        if status >= 400 and not value.startswith("["):
            assert field in answer["details"]["fields"], (path, answer)


@pytest.mark.parametrize(
    "route", ["/api/v1/orders/{v}", "/api/v1/channels/{v}", "/api/v1/connections/{v}", "/api/v1/tasks/{v}"]
)
@PROPERTY
@given(value=st.text(st.characters(codec=None), min_size=1, max_size=20).filter(lambda s: "/" not in s))
@example(value="\ud800")
def test_ids_in_the_url(api, route, value):
    response = api.client.http.get(route.format(v=value), headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code < 500, response.body


@PROPERTY
@given(value=st.text(st.characters(codec=None), min_size=1, max_size=20))
@example(value="\ud800")
def test_list_filters(api, value):
    from urllib.parse import quote

    query = quote(value.encode("utf-8", "surrogatepass"), safe="")
    for path in (
        f"/api/v1/orders?channel={query}",
        f"/api/v1/orders?after={query}",
        f"/api/v1/orders?limit={query}",
    ):
        response = api.client.http.get(path, headers={"Authorization": f"Bearer {api.key}"})
        assert response.status_code < 500, (path, response.body)
