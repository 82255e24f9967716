"""The BigCommerce connector and its fake checked against BigCommerce's own OpenAPI documents (the parts copied
in tests/fixtures/vendors/bigcommerce/; see SOURCES.md there): every request the connector builds is a path and
method of a document, with no query parameter it does not declare and a JSON body its request schema takes (no
unknown and no read-only field), and every answer of the fake validates against the response schema declared
for its status (no field the schema does not name). BigCommerce marks nullable fields both with OpenAPI 3's
`nullable` and with Swagger 2's `x-nullable`: either is read as "or null"; `allOf` is read as one object with
the properties of all its parts (so that "no other field" applies to the whole)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from chalicelib.channels.base import FatalError, HttpOptions, StockUpdate, Window
from chalicelib.channels.bigcommerce import SPEC, BigCommerce
from ledgerbridge.fakes.base import Request, Response
from ledgerbridge.fakes.bigcommerce import FakeBigCommerce
from tests.paths import REPO
from tests.unit.channels.contract.adapters import VirtualClock

FIXTURES = REPO / "tests/fixtures/vendors/bigcommerce"
DOCUMENTS: dict[str, dict[str, Any]] = {
    path.name: json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*.json"))
}
CALLED = {
    ("GET", "/v2/store"),
    ("GET", "/v2/orders"),
    ("GET", "/v2/orders/{order_id}/products"),
    ("GET", "/v2/orders/{order_id}/shipping_addresses"),
    ("GET", "/v2/orders/{order_id}/coupons"),
    ("GET", "/v3/orders/{order_id}/payment_actions/refunds"),
    ("GET", "/v3/catalog/products"),
    ("GET", "/v3/catalog/variants"),
    ("PUT", "/v3/catalog/variants"),
    ("GET", "/v3/inventory/items"),
    ("PUT", "/v3/inventory/adjustments/absolute"),
}


def version(document: dict[str, Any]) -> str:
    """'/v2' or '/v3': where the document's server URL ends."""
    return "/" + str(document["servers"][0]["url"]).rstrip("/").rsplit("/", 1)[1]


def resolve(document: dict[str, Any], node: Any) -> Any:
    """A `$ref` followed (within one document) until it is not one."""
    while isinstance(node, dict) and "$ref" in node:
        found: Any = document
        for part in node["$ref"][2:].split("/"):
            found = found[part]
        node = found
    return node


def strict(document: dict[str, Any], node: Any, *, request: bool, seen: tuple[str, ...] = ()) -> Any:
    """A schema of the document as self-contained JSON Schema that refuses what it does not name (and, for
    requests, the fields BigCommerce marks read-only)."""
    if isinstance(node, list):
        return [strict(document, n, request=request, seen=seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        if node["$ref"] in seen:  # a recursive schema: open below the first level
            return {}
        return strict(document, resolve(document, node), request=request, seen=(*seen, node["$ref"]))
    out = {
        k: strict(document, v, request=request, seen=seen)
        for k, v in node.items()
        if k not in ("nullable", "x-nullable", "example", "examples", "allOf")
    }
    if "allOf" in node:
        parts = [strict(document, p, request=request, seen=seen) for p in node["allOf"]]
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update(part.get("properties") or {})
        out.setdefault("type", "object")
        out["properties"] = {**merged, **(out.get("properties") or {})}
        out["required"] = sorted({r for p in parts for r in p.get("required") or []})
        out["additionalProperties"] = False
    if isinstance(node.get("properties"), dict) or "allOf" in node:
        out["properties"] = {
            k: v
            for k, v in out["properties"].items()
            if not (request and isinstance(v, dict) and v.get("readOnly"))
        }
        if not isinstance(node.get("additionalProperties"), dict | bool):
            out["additionalProperties"] = False
    if node.get("nullable") is True or node.get("x-nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def operation(method: str, path: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(document, path template, operation) of a request path below /stores/<hash>."""
    for document in DOCUMENTS.values():
        prefix = version(document)
        if not path.startswith(prefix + "/"):
            continue
        for template, item in document["paths"].items():
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
            if re.fullmatch(pattern, path[len(prefix) :]) and method.lower() in item:
                return document, prefix + template, item
    raise AssertionError(f"{method} {path} is in none of BigCommerce's documents")


def parameters(document: dict[str, Any], item: dict[str, Any], method: str) -> list[dict[str, Any]]:
    declared = [*item.get("parameters", []), *item[method.lower()].get("parameters", [])]
    return [resolve(document, p) for p in declared]


def check_request(request: Request, prefix: str) -> str:
    path = request.path[len(prefix) :]
    document, template, item = operation(request.method, path)
    declared = {p["name"] for p in parameters(document, item, request.method) if p["in"] == "query"}
    assert set(request.query) <= declared, f"{path}: undeclared query {set(request.query) - declared}"
    body_spec = resolve(document, item[request.method.lower()].get("requestBody"))
    if body_spec is None:
        assert not request.body, f"{request.method} {path} takes no body"
        return template
    schema = strict(document, body_spec["content"]["application/json"]["schema"], request=True)
    errors = sorted(Draft7Validator(schema).iter_errors(request.json()), key=str)
    assert not errors, f"{path}: {[f'{list(e.absolute_path)}: {e.message}' for e in errors[:5]]}"
    return template


def check_response(request: Request, response: Response, prefix: str) -> bool:
    """Validate the answer against the schema declared for its status; False when none is declared."""
    document, _, item = operation(request.method, request.path[len(prefix) :])
    declared = resolve(document, item[request.method.lower()]["responses"].get(str(response.status)))
    if declared is None or response.status == 204:
        return False
    content = declared.get("content") or {}
    media = content.get("application/json") or content.get("application/problem+json") or {}
    if "schema" not in media:
        return False
    schema = strict(document, media["schema"], request=False)
    errors = sorted(Draft7Validator(schema).iter_errors(response.body), key=str)
    assert not errors, (
        f"{request.path} {response.status}: {[f'{list(e.absolute_path)}: {e.message}' for e in errors[:5]]}"
    )
    return True


class RecordingBigCommerce(FakeBigCommerce):
    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[Request, Response]] = []

    def dispatch(self, request: Request) -> Response:
        response = super().dispatch(request)
        with self.lock:
            self.exchanges.append((request, response))
        return response


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[RecordingBigCommerce]:
    store = RecordingBigCommerce()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeBigCommerce, clock: VirtualClock, location: str = "", token: str = "") -> BigCommerce:
    connector = SPEC.build(
        {
            "store_hash": fake.store_hash,
            "access_token": token or fake.access_token,
            "location_id": location,
        },
        HttpOptions(
            allow_private_urls=True, sleep=clock.sleep, base_url_overrides={"bigcommerce": fake.base_url}
        ),
    )
    assert isinstance(connector, BigCommerce)
    return connector


def test_the_documents_are_bigcommerce_s_and_hold_every_path_the_connector_calls() -> None:
    assert sorted(DOCUMENTS) == [
        "inventory.v3.json",
        "orders.v2.json",
        "orders.v3.json",
        "product-variants_catalog.v3.json",
        "products_catalog.v3.json",
        "store_information.v2.json",
    ]
    for document in DOCUMENTS.values():
        assert document["openapi"].startswith("3.0")
        assert document["servers"][0]["url"].startswith("https://api.bigcommerce.com/stores/{store_hash}/v")
        assert document["components"]["securitySchemes"]["X-Auth-Token"]["name"] == "X-Auth-Token"
    found = set()
    for method, path in CALLED:
        concrete = path.replace("{order_id}", "101")
        found.add((method, operation(method, concrete)[1]))
    assert found == CALLED


def test_a_strict_schema_refuses_what_bigcommerce_does_not_name() -> None:
    """The check can fail: an item named two ways, a misspelt field, a read-only field, a wrong type."""
    document, _, item = operation("PUT", "/v3/inventory/adjustments/absolute")
    body = item["put"]["requestBody"]["content"]["application/json"]["schema"]
    check = Draft7Validator(strict(document, body, request=True))
    assert check.is_valid({"items": [{"location_id": 1, "variant_id": 7, "quantity": 3}]})
    assert not check.is_valid(
        {"items": [{"location_id": 1, "variant_id": 7, "product_id": 2, "quantity": 3}]}
    )
    assert not check.is_valid({"items": [{"location_id": 1, "variant": 7, "quantity": 3}]})
    assert not check.is_valid({"items": [{"location_id": 1, "variant_id": 7, "quantity": "3"}]})
    document, _, item = operation("PUT", "/v3/catalog/variants")
    body = item["put"]["requestBody"]["content"]["application/json"]["schema"]
    check = Draft7Validator(strict(document, body, request=True))
    assert check.is_valid([{"id": 5, "inventory_level": 2}])
    assert not check.is_valid([{"id": 5, "inventory_levels": 2}])
    document, _, item = operation("GET", "/v3/catalog/products")
    answer = resolve(document, item["get"]["responses"]["200"])["content"]["application/json"]["schema"]
    check = Draft7Validator(strict(document, answer, request=False))
    assert check.is_valid({"data": [{"id": 1, "sku": "A", "inventory_tracking": "variant"}]})
    assert not check.is_valid({"data": [{"id": 1, "inventory_tracking": "by option"}]})
    assert not check.is_valid({"data": [{"id": 1, "stock": 3}]})
    assert not Draft7Validator(strict(document, answer, request=True)).is_valid({"data": [{"id": 1}]})


@pytest.mark.parametrize("location", ["", "0"])
def test_every_request_and_answer_of_a_sync_and_a_stock_push_fits_bigcommerce_s_documents(
    fake: RecordingBigCommerce, clock: VirtualClock, location: str
) -> None:
    fake.add_orders(6, seed=4)
    sold = fake.add_order((("MUG-01", "Coffee Mug", 2, "12.50"),), coupon="SAVE10")
    fake.add_refund(sold["id"], fake.products[str(sold["id"])][0]["id"], 1, "11.25")
    fake.add_product("Odd", "ODD,1", quantity=3)
    connector = connect(fake, clock, location)
    fake.exhaust_rate_limit()  # a 429 answer is made too

    assert connector.check_credentials() == "Blue Heron Goods"
    page = connector.fetch_page(Window(None, fake.tick(60)), None)
    found = connector.find_stock_items(["MUG-01", "TEE-M", "TEE", "ODD,1", "NOPE"])
    tee = found["TEE-M"][0].ref
    fake.catalog[int(tee.split(":")[1])]["inventory_tracking"] = "product"  # a refused write (422)
    results = connector.set_quantities(
        [StockUpdate("MUG-01", found["MUG-01"][0].ref, 4), StockUpdate("TEE-M", tee, 2)]
    )
    with pytest.raises(FatalError, match="BigCommerce rejected"):
        connect(fake, clock, token="not-the-token").check_credentials()

    assert len(page.orders) == 7 and all(o.problem is None for o in page.orders)
    assert [r.ok for r in results] == [True, False]
    prefix = f"/stores/{fake.store_hash}"
    templates = {(r.method, check_request(r, prefix)) for r, _ in fake.exchanges}
    inventory = {("GET", "/v3/inventory/items"), ("PUT", "/v3/inventory/adjustments/absolute")}
    catalog_write = {("PUT", "/v3/catalog/variants")}
    assert templates == CALLED - (catalog_write if location == "" else inventory)
    statuses = {response.status for _, response in fake.exchanges}
    assert {200, 401, 422, 429} <= statuses
    checked = {
        (request.method, response.status)
        for request, response in fake.exchanges
        if check_response(request, response, prefix)
    }
    assert ("GET", 200) in checked and ("PUT", 200) in checked and ("PUT", 422) in checked
