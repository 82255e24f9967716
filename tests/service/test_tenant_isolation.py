"""No tenant sees another's data: every GET route of the REST API, crawled under a second tenant's key.

The routes are not listed here: they come from the OpenAPI document the app serves (and a check below keeps
that document complete against the app's route table). Tenant A and tenant B each get connections, a
channel, orders, stock levels, QuickBooks sales, a fetch run, a sync run, cached lists and API keys. Then,
with B's key:

- every path parameter of every GET route takes each of A's ids in turn (the others B's own);
- every query parameter of every route whose path is B's own takes each of A's ids and each cursor A's
  own lists answered;
- every list is paged to its end with B's own cursors;

and each answer is compared with the answer to the same request where A's values are replaced by made-up
ids of the same shape: they must be the same (so B learns nothing, not even that A's id exists), and no
id or text of A's appears anywhere in any answer B gets (beyond the value B itself sent).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.dal import company_lists, fetch_runs, outbound_sales, stock_levels, sync_runs
from chalicelib.dal.company_lists import CachedRecord
from tests.service.conftest import Api, new_tenant
from tests.service.test_orders_api import ORDER, SETTINGS, seed_accounts

# Every text tenant A controls contains its tag; B's answers must never contain it.
TAGS = {"A": "alphaqz", "B": "bravoqz"}


@dataclass
class Seeded:
    api: Api
    tag: str
    ids: dict[str, str] = field(default_factory=dict)  # kind -> one id of that kind (B: the path values)
    secrets: set[str] = field(default_factory=set)  # every id of this tenant, any kind


def _orders(tag: str) -> list[dict[str, Any]]:
    return [{**ORDER, "id": f"{tag}-order-{n}", "number": f"#{tag}{n}"} for n in (1, 2)]


def seed(api: Api, tag: str) -> Seeded:
    """A tenant with something in every list the API has."""
    s = Seeded(api, tag)
    conn = api.json("POST", "/api/v1/connections", {"name": f"{tag} Store"}, expect=201)
    login = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)
    seed_accounts(conn["id"])
    company_lists.put_records(
        conn["id"],
        [
            CachedRecord("item", f"{tag}-item-{n}", f"{tag} Mug {n}", f"{tag} Mug {n}", True, {})
            for n in (1, 2)
        ],
        "seed",
    )
    body = {"connection_id": conn["id"], "kind": "custom_store", "name": f"{tag} Web", "settings": SETTINGS}
    channel = api.json("POST", "/api/v1/channels", body, expect=201)
    pushed = api.json(
        "POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": _orders(tag)}, expect=202
    )
    order_keys = [o["id"] for o in api.json("GET", f"/api/v1/orders?channel={channel['id']}")["orders"]]
    assert len(order_keys) == 2, pushed
    now = datetime.now(UTC)
    run = fetch_runs.create(
        api.tenant_id, channel["id"], trigger="resync", since=None, until=now, state="queued"
    )
    stock_levels.put_pending(
        [
            stock_levels.StockLevel(
                channel["id"], f"{tag}-list-{n}", api.tenant_id, f"{tag}-SKU-{n}", f"{tag} Mug", n, "pending"
            )
            for n in (1, 2)
        ],
        now,
    )
    outbound_sales.put_many(
        [
            outbound_sales.OutboundSale(
                channel_id=channel["id"],
                txn_id=f"{tag}-txn-{n}",
                tenant_id=api.tenant_id,
                kind="invoice",
                ref_number=f"{tag}{n}",
                edit_sequence="1",
                status=outbound_sales.PENDING,
                updated_at=now,
            )
            for n in (1, 2)
        ]
    )
    sync_runs.start(conn["id"], f"{tag}-ticket", now)
    rule = api.json(
        "POST",
        "/api/v1/rules",
        {"name": f"{tag} rule", "actions": [{"action": "SET_CLASS", "class_name": f"{tag} class"}]},
        expect=201,
    )
    key = api.json("POST", "/api/v1/api-keys", {"label": f"{tag} key"}, expect=201)
    first_key = next(k for k in api.json("GET", "/api/v1/api-keys")["api_keys"] if k["id"] != key["id"])
    s.ids = {
        "channel_id": channel["id"],
        "task_id": channel["id"],
        "connection_id": conn["id"],
        "order_key": order_keys[0],
        "run_id": run.run_id,
        "key_id": key["id"],
        "kind": "item",
        "rule_id": rule["id"],
    }
    s.secrets = {
        api.tenant_id,
        conn["id"],
        login["username"],
        channel["id"],
        run.run_id,
        key["id"],
        key["prefix"],
        first_key["id"],
        first_key["prefix"],
        *order_keys,
        rule["id"],
    }
    return s


def made_up(value: str) -> str:
    """An id of the same shape as `value` that nobody has."""
    head = re.match(r"[a-z]+_", value)
    prefix = head.group(0) if head else ""
    return prefix + secrets.token_hex(len(value))[: max(len(value) - len(prefix), 8)]


@dataclass(frozen=True)
class Call:
    path: str
    query: tuple[tuple[str, str], ...] = ()

    def url(self) -> str:
        q = "&".join(f"{k}={quote(v, safe='')}" for k, v in self.query)
        return self.path + (f"?{q}" if q else "")


def get(api: Api, call: Call, key: str | None = None) -> tuple[int, str]:
    response = api.call("GET", call.url(), key=key)
    return response.status_code, response.body.decode() if isinstance(response.body, bytes) else response.body


def get_routes(api: Api) -> dict[str, list[str]]:
    """Each GET route of the REST API with its query parameters, from the served OpenAPI document."""
    spec = api.json("GET", "/api/v1/openapi.json")
    routes = {}
    for path, item in spec["paths"].items():
        if "get" in item and path.startswith("/api/v1/") and path != "/api/v1/openapi.json":
            params = item["get"].get("parameters", []) + item.get("parameters", [])
            routes[path] = sorted({p["name"] for p in params if p["in"] == "query"})
    return routes


def path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def own_cursors(api: Api, routes: dict[str, list[str]], ids: dict[str, str]) -> tuple[set[str], list[str]]:
    """Every `next` cursor the tenant's own lists answer (paged to the end with limit=1), and the bodies."""
    found: set[str] = set()
    bodies: list[str] = []
    for path, query in routes.items():
        if "after" not in query:
            continue
        url = path.format(**{p: ids[p] for p in path_params(path)})
        after: str | None = None
        for _ in range(20):
            call = Call(url, (("limit", "1"),) + ((("after", after),) if after else ()))
            status, body = get(api, call)
            assert status == 200, (call, body)
            bodies.append(body)
            after = json.loads(body)["next"]
            if not after:
                break
            found.add(after)
        else:
            raise AssertionError(f"{url} did not end")
    return found, bodies


@pytest.fixture(scope="module")
def tenants(chalice_client: Any) -> tuple[Seeded, Seeded]:
    return seed(new_tenant(chalice_client, "Alpha"), TAGS["A"]), seed(
        new_tenant(chalice_client, "Bravo"), TAGS["B"]
    )


def assert_nothing_of(a: Seeded, body: str, sent: list[str], call: Call) -> None:
    scrubbed = body
    for value in sent:
        scrubbed = scrubbed.replace(value, "<sent>").replace(quote(value, safe=""), "<sent>")
    leaked = [x for x in [*a.secrets, a.tag] if x.lower() in scrubbed.lower()]
    assert not leaked, f"{call.url()} answered {leaked} of tenant A: {body[:500]}"


def test_the_crawl_covers_every_get_route_of_the_app(tenants: tuple[Seeded, Seeded]) -> None:
    from app import app

    documented = set(get_routes(tenants[1].api))
    served = {p for p, methods in app.routes.items() if p.startswith("/api/v1/") and "GET" in methods}
    assert served - {"/api/v1/openapi.json"} == documented
    assert {"/api/v1/orders", "/api/v1/channels/{channel_id}/inventory"} <= documented


def test_a_second_tenant_finds_nothing_of_the_first_on_any_list_with_any_filter_or_cursor(
    tenants: tuple[Seeded, Seeded],
) -> None:
    a, b = tenants
    routes = get_routes(b.api)
    a_cursors, _ = own_cursors(a.api, routes, a.ids)
    assert a_cursors, "tenant A's lists gave no cursor: the crawl would not test cursors"
    b_cursors, b_pages = own_cursors(b.api, routes, b.ids)
    for page in b_pages:  # B paging through its own lists with its own cursors
        assert_nothing_of(a, page, [], Call("own pages"))
    assert b_cursors.isdisjoint(a_cursors)

    a_values = sorted(a.secrets | set(a.ids.values()) - {"item"})
    checked = 0
    for path, query_names in routes.items():
        names = path_params(path)
        unknown = set(names) - set(b.ids)
        assert not unknown, f"{path}: no value of B's own for {unknown}; add it to seed()"
        variants: list[tuple[dict[str, str], tuple[tuple[str, str], ...], list[str]]] = []
        own = {n: b.ids[n] for n in names}
        # A's ids in each path parameter, the others B's own
        for name, value in itertools.product(names, a_values):
            variants.append(({**own, name: value}, (), [value]))
        # A's ids and A's cursors in each query parameter of B's own lists
        # (with the smallest page where the list has one, so a cursor is answered whenever there is more)
        for qname in query_names:
            base = (("limit", "1"),) if "limit" in query_names and qname != "limit" else ()
            for value in [*a_values, *sorted(a_cursors)]:
                variants.append((own, (*base, (qname, value)), [value]))
        for params, query, sent in variants:
            call = Call(path.format(**params), query)
            status, body = get(b.api, call)
            assert status < 500, (call, body)
            assert_nothing_of(a, body, sent, call)
            # the same request naming ids nobody has: the same answer, so A's ids are not even confirmed
            swap = {v: made_up(v) for v in sent}
            control = Call(
                path.format(**{k: swap.get(v, v) for k, v in params.items()}),
                tuple((k, swap.get(v, v)) for k, v in query),
            )
            control_status, control_body = get(b.api, control)
            assert status == control_status, (call, body, control_body)
            if status >= 400:
                assert _scrub(body, swap, keys=True) == _scrub(control_body, swap, keys=False), call
            checked += 1
    assert checked > 100


def _scrub(body: str, swap: dict[str, str], *, keys: bool) -> str:
    for real, fake in swap.items():
        body = body.replace(real if keys else fake, "<id>")
    return body


def test_a_cursor_is_opaque_and_bound_to_its_tenant_and_list(tenants: tuple[Seeded, Seeded]) -> None:
    a, b = tenants
    channel = a.ids["channel_id"]
    page = a.api.json("GET", f"/api/v1/orders?channel={channel}&limit=1")
    cursor = page["next"]
    assert cursor and not any(x in cursor for x in a.secrets | {a.tag})  # no id readable in it
    # A's own cursor pages on for A...
    assert a.api.json("GET", f"/api/v1/orders?channel={channel}&limit=1&after={cursor}")["orders"]
    # ...but not on another of A's lists, nor for B, nor when changed
    assert a.api.call("GET", f"/api/v1/orders?limit=1&after={cursor}").status_code == 400
    assert b.api.call("GET", f"/api/v1/orders?limit=1&after={cursor}").status_code == 400
    for broken in (cursor[:-2], cursor + "x", "x" * 2000, "not a cursor", "\u00e9t\u00e9"):
        status = a.api.call("GET", f"/api/v1/orders?channel={channel}&after={quote(broken)}").status_code
        assert status == 400, broken


def test_naming_another_tenants_channel_as_a_filter_is_not_found(tenants: tuple[Seeded, Seeded]) -> None:
    a, b = tenants
    answer = b.api.json("GET", f"/api/v1/orders?channel={a.ids['channel_id']}&limit=1", expect=404)
    assert answer["error"] == "not_found"
