"""The Square connector and its fake checked against Square's own OpenAPI document (the parts copied in
tests/fixtures/vendors/square/api.json; see SOURCES.md there): every request the connector builds is a path and
method of the document, with no query parameter it does not declare and a JSON body its request schema takes
(no unknown and no read-only field), and every answer of the fake validates against the response schema
(no field the schema does not name). OpenAPI 3.0's `nullable` is read as "or null"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from chalicelib.channels.base import FatalError, HttpOptions, StockUpdate, Window
from chalicelib.channels.square import SPEC, Square
from ledgerbridge.fakes.base import Request, Response
from ledgerbridge.fakes.square import FakeSquare
from tests.paths import REPO
from tests.unit.channels.contract.adapters import VirtualClock

DOCUMENT: dict[str, Any] = json.loads((REPO / "tests/fixtures/vendors/square/api.json").read_text())
ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Error"}}
    },
}


def strict(node: Any, *, request: bool) -> Any:
    """The document's schemas as JSON Schema that refuses what they do not name (and, for requests, the
    fields Square marks read-only)."""
    if isinstance(node, list):
        return [strict(n, request=request) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v, request=request) for k, v in node.items() if k not in ("nullable", "example")}
    if isinstance(node.get("properties"), dict):
        props = {
            k: v
            for k, v in out["properties"].items()
            if not (request and isinstance(v, dict) and v.get("readOnly"))
        }
        out["properties"] = props
        out.setdefault("additionalProperties", False)
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


COMPONENTS = {request: strict(DOCUMENT["components"], request=request) for request in (True, False)}


def validator(schema: dict[str, Any], *, request: bool) -> Draft7Validator:
    return Draft7Validator({**schema, "components": COMPONENTS[request]})


def operation(method: str, path: str) -> dict[str, Any]:
    found = DOCUMENT["paths"].get(path, {}).get(method.lower())
    assert found is not None, f"{method} {path} is not in Square's document"
    return dict(found)


def check_request(request: Request) -> None:
    op = operation(request.method, request.path)
    declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    assert set(request.query) <= declared, f"{request.path}: undeclared query {set(request.query) - declared}"
    body_spec = op.get("requestBody")
    if body_spec is None:
        assert not request.body, f"{request.method} {request.path} takes no body"
        return
    schema = body_spec["content"]["application/json"]["schema"]
    errors = sorted(validator(schema, request=True).iter_errors(request.json()), key=str)
    assert not errors, f"{request.path}: {[f'{list(e.absolute_path)}: {e.message}' for e in errors[:5]]}"


def check_response(request: Request, response: Response) -> None:
    if response.status >= 400:
        schema: dict[str, Any] = ERRORS
    else:
        schema = operation(request.method, request.path)["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    errors = sorted(validator(schema, request=False).iter_errors(response.body), key=str)
    assert not errors, (
        f"{request.path} {response.status}: {[f'{list(e.absolute_path)}: {e.message}' for e in errors[:5]]}"
    )


class RecordingSquare(FakeSquare):
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
def fake(clock: VirtualClock) -> Iterator[RecordingSquare]:
    store = RecordingSquare()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeSquare, clock: VirtualClock, page_size: int = 500) -> Square:
    connector = SPEC.build(
        {"access_token": fake.access_token},
        HttpOptions(
            allow_private_urls=True,
            sleep=clock.sleep,
            page_size=page_size,
            base_url_overrides={"square": fake.base_url},
        ),
    )
    assert isinstance(connector, Square)
    return connector


def test_the_document_is_square_s_and_holds_every_path_the_connector_calls() -> None:
    assert DOCUMENT["openapi"].startswith("3.0") and DOCUMENT["info"]["title"] == "Square"
    assert (
        DOCUMENT["components"]["securitySchemes"]["oauth2"]["x-additional-headers"][0]["name"]
        == "Square-Version"
    )
    for method, path in (
        ("GET", "/v2/locations"),
        ("POST", "/v2/orders/search"),
        ("POST", "/v2/catalog/batch-retrieve"),
        ("POST", "/v2/catalog/search"),
        ("POST", "/v2/inventory/counts/batch-retrieve"),
        ("POST", "/v2/inventory/changes/batch-create"),
    ):
        operation(method, path)


def test_a_strict_schema_refuses_what_square_does_not_name() -> None:
    """The check can fail: a misspelt field, a read-only one in a request, a wrong type."""
    search = operation("POST", "/v2/orders/search")["requestBody"]["content"]["application/json"]["schema"]
    check = validator(search, request=True)
    assert check.is_valid({"location_ids": ["L1"], "limit": 10})
    assert not check.is_valid({"location_id": ["L1"]})
    assert not check.is_valid({"location_ids": "L1"})
    assert not check.is_valid({"location_ids": ["L1"], "query": {"sort": {"sort_field": "MODIFIED_AT"}}})
    order = validator({"$ref": "#/components/schemas/Order"}, request=True)
    assert order.is_valid({"location_id": "L1"})
    assert not order.is_valid({"location_id": "L1", "total_money": {"amount": 1, "currency": "USD"}})


@pytest.mark.parametrize("page_size", [2, 500])
def test_every_request_and_answer_of_a_whole_sync_fits_squares_document(
    fake: RecordingSquare, clock: VirtualClock, page_size: int
) -> None:
    fake.add_orders(7, seed=3)
    for _ in range(3):  # a page of orders changed at one moment: the cursor is used
        fake.add_order((("TEE-M", 1),), discount_percent="10", tip=100)
    sold = fake.add_order()
    fake.add_refund(sold["id"], 500)
    connector = connect(fake, clock, page_size)
    fake.exhaust_rate_limit()  # a 429 RATE_LIMITED answer is checked too

    assert connector.check_credentials()
    window = Window(None, fake.tick(60))
    token: str | None = None
    read = 0
    for _ in range(100):
        page = connector.fetch_page(window, token)
        read += len(page.orders)
        token = page.next_token
        if token is None:
            break
    mug = fake.variation_of("MUG-01")
    fake.counts[(mug, "L1HERONMAIN")] = "3"
    found = connector.find_stock_items(["MUG-01", "TEE-M"])
    gone = fake.variation_of("CAP-1")
    fake.catalog[gone]["is_deleted"] = True
    results = connector.set_quantities([StockUpdate("MUG-01", mug, 9), StockUpdate("CAP-1", gone, 2)])
    wrong = SPEC.build(
        {"access_token": "EAAA-wrong"},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep, base_url_overrides={"square": fake.base_url}),
    )
    with pytest.raises(FatalError, match="Square rejected"):
        wrong.check_credentials()

    assert read == 11 and sorted(found) == ["MUG-01", "TEE-M"] and [r.ok for r in results] == [True, False]
    paths = {(r.method, r.path) for r, _ in fake.exchanges}
    assert len(paths) == 6
    statuses = {response.status for _, response in fake.exchanges}
    assert {200, 400, 401, 429} <= statuses
    if page_size == 2:
        assert any("cursor" in r.json() for r, _ in fake.exchanges if r.path == "/v2/orders/search")
    for request, response in fake.exchanges:
        check_request(request)
        check_response(request, response)
