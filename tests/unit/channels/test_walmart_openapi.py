"""Every request the Walmart connector builds, and every 200 answer of FakeWalmart, checked against Walmart's
own OpenAPI documents (Authentication, Order Management, Inventory Management; the parts used are in
tests/fixtures/vendors/walmart/, see SOURCES.md there for where they come from and what they leave open).

Answers are checked more strictly than the documents say: no property they do not define.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from chalicelib.channels.base import FatalError, HttpOptions, StockUpdate, Window, inventory_target
from chalicelib.channels.walmart import SPEC, Walmart
from ledgerbridge.fakes.base import Request
from ledgerbridge.fakes.walmart import FakeWalmart
from tests.paths import REPO
from tests.unit.channels.contract.adapters import VirtualClock
from tests.unit.channels.vendor_documents import closed, record_answers

FIXTURES = REPO / "tests/fixtures/vendors/walmart"
DOCUMENTS = [
    json.loads((FIXTURES / f"{name}.subset.json").read_text()) for name in ("auth", "orders", "inventory")
]
CURSOR_PARAMETERS = {"hasMoreElements", "soIndex", "poIndex"}  # see SOURCES.md


def operation(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the operation, its document) of a request."""
    for document in DOCUMENTS:
        found = document["paths"].get(request.path, {}).get(request.method.lower())
        if found is not None:
            return found, document
    raise AssertionError(f"{request.method} {request.path} is not in Walmart's documents")


def check_request(request: Request, cursors: set[str]) -> None:
    op, document = operation(request)
    parameters = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    raw_query = "&".join(f"{k}={v}" for k, vs in sorted(request.query.items()) for v in vs)
    from_cursor = any(parse_qs(c.lstrip("?")) == request.query for c in cursors)
    for name, values in request.query.items():
        if name in CURSOR_PARAMETERS and from_cursor:
            continue
        assert name in parameters, f"{name} is not a documented parameter of {request.path} ({raw_query})"
        for value in values:
            errors = list(Draft4Validator(parameters[name]["schema"]).iter_errors(value))
            assert not errors, f"{name}={value!r}: {errors[0].message}"
    for required in (p for p in parameters.values() if p.get("required")):
        assert required["name"] in request.query, f"{required['name']} is required on {request.path}"
    # the headers Walmart requires on every call (its reference pages; the SDK moved them to security)
    assert request.headers.get("wm_svc.name")
    uuid.UUID(request.headers["wm_qos.correlation_id"])
    scheme = next(iter(op["security"][0]))
    security = document["components"]["securitySchemes"][scheme]
    if security["type"] == "http":
        assert security["scheme"] == "basic"
        assert request.headers["authorization"].startswith("Basic ")
        base64.b64decode(request.headers["authorization"][6:], validate=True)
    else:
        assert security == {"type": "apiKey", "in": "header", "name": "WM_SEC.ACCESS_TOKEN"}
        assert request.headers.get("wm_sec.access_token")
    body = op.get("requestBody")
    if not request.body:
        assert body is None or not body.get("required")
        return
    assert body is not None, f"{request.path} takes no body"
    content_type = request.headers["content-type"].split(";")[0]
    assert content_type in body["content"], f"{content_type} is not a documented body of {request.path}"
    payload: Any
    if content_type == "application/x-www-form-urlencoded":
        payload = {k: v[0] for k, v in parse_qs(request.body.decode(), strict_parsing=True).items()}
        for name, value in payload.items():
            assert name in body["content"][content_type]["schema"]["properties"], name
            assert isinstance(value, str)
    else:
        payload = request.json()
    errors = sorted(
        Draft4Validator(closed(body["content"][content_type]["schema"])).iter_errors(payload), key=str
    )
    assert not errors, errors[0].message


def check_answer(request: Request, status: int, answer: Any) -> None:
    op, _ = operation(request)
    documented = op["responses"].get(str(status))
    assert documented is not None, f"{request.method} {request.path} documents no {status} answer"
    schema = documented["content"]["application/json"]["schema"]
    errors = sorted(Draft4Validator(closed(schema)).iter_errors(answer), key=str)
    assert not errors, (
        f"{request.method} {request.path} {status}: {errors[0].message} at {list(errors[0].path)}"
    )


@pytest.fixture
def fake() -> Iterator[FakeWalmart]:
    store = FakeWalmart()
    store.answers = record_answers(store)  # type: ignore[attr-defined]
    with store:
        yield store


def connect(fake: FakeWalmart, *, page_size: int = 2, **extra: str) -> Walmart:
    connector = SPEC.build(
        {"client_id": fake.client_id, "client_secret": fake.client_secret, **extra},
        HttpOptions(
            allow_private_urls=True,
            sleep=VirtualClock().sleep,
            page_size=page_size,
            base_url_overrides={"walmart": fake.base_url},
        ),
    )
    assert isinstance(connector, Walmart)
    return connector


def exercise(fake: FakeWalmart) -> None:
    """Every kind of request the connector makes: a token, its detail, slices of orders (narrowed, empty,
    and three orders of one millisecond read with Walmart's cursor), a refund, stock read and written (one
    unknown SKU), rejected credentials."""
    orders = fake.add_orders(6, seed=2)
    for _ in range(3):
        fake.add_order()  # three purchase orders in one moment: more than a page of two
    fake.add_refund(orders[0]["purchaseOrderId"], 1, "5.00", "0.40")
    connector = connect(fake)
    connector.check_credentials()
    token: str | None = None
    window = Window(None, fake.tick(60))
    while True:
        page = connector.fetch_page(window, token)
        token = page.next_token
        if token is None:
            break
    target = inventory_target(connector)
    target.find_stock_items(["MUG-01", "NOPE-1"])
    target.set_quantities([StockUpdate("MUG-01", "MUG-01", 4), StockUpdate("NOPE-1", "NOPE-1", 1)])
    with pytest.raises(FatalError, match="rejected"):
        connect(fake, client_secret="wrong").check_credentials()


@pytest.fixture
def exercised(fake: FakeWalmart) -> FakeWalmart:
    exercise(fake)
    return fake


def test_every_request_the_connector_builds_is_in_walmarts_documents(exercised: FakeWalmart) -> None:
    answers = exercised.answers  # type: ignore[attr-defined]
    cursors = {
        body["list"]["meta"]["nextCursor"]
        for request, status, body in answers
        if status == 200 and request.path == "/v3/orders" and "nextCursor" in body["list"]["meta"]
    }
    requests = list(exercised.requests)
    assert {(r.method, operation(r)[0]["operationId"]) for r in requests} == {
        ("POST", "tokenAPI"),
        ("GET", "getTokenDetail"),
        ("GET", "getAllOrders"),
        ("GET", "getInventory"),
        ("PUT", "updateInventoryForAnItem"),
    }
    assert cursors, "the exercise reads no page with Walmart's cursor"
    assert any(set(r.query) & CURSOR_PARAMETERS for r in requests)
    for request in requests:
        check_request(request, cursors)


def test_every_answer_of_the_fake_is_in_walmarts_documents(exercised: FakeWalmart) -> None:
    answers = exercised.answers  # type: ignore[attr-defined]
    assert {status for _, status, _ in answers} == {200, 401, 404}
    checked = 0
    for request, status, body in answers:
        if status == 200:
            check_answer(request, status, body)
            checked += 1
    assert checked >= 8


def test_the_document_check_catches_what_walmart_does_not_document() -> None:
    """The checks above can fail: an undocumented parameter, a made-up order field, a wrong type, a missing
    header, a body that is not an inventory."""
    headers = {
        "wm_svc.name": "Walmart Marketplace",
        "wm_qos.correlation_id": str(uuid.uuid4()),
        "wm_sec.access_token": "t",
    }
    with pytest.raises(AssertionError, match="not a documented parameter"):
        check_request(Request("GET", "/v3/orders", {"updatedSince": ["1"]}, headers, b""), set())
    with pytest.raises(AssertionError, match="not a documented parameter"):
        check_request(Request("GET", "/v3/orders", {"soIndex": ["2"]}, headers, b""), set())
    with pytest.raises(KeyError):
        check_request(Request("GET", "/v3/orders", {}, {"wm_svc.name": "x"}, b""), set())
    bad = json.dumps({"sku": "A", "quantity": {"unit": "PAIR", "amount": 1}}).encode()
    with pytest.raises(AssertionError, match="PAIR"):
        check_request(
            Request(
                "PUT", "/v3/inventory", {"sku": ["A"]}, {**headers, "content-type": "application/json"}, bad
            ),
            set(),
        )
    fake = FakeWalmart()
    order = fake.add_order()
    order["lastModified"] = 1
    listing: dict[str, Any] = {
        "list": {"meta": {"totalCount": 1, "limit": 10}, "elements": {"order": [order]}}
    }
    with pytest.raises(AssertionError, match="lastModified"):
        check_answer(Request("GET", "/v3/orders", {}, {}, b""), 200, listing)
    order.pop("lastModified")
    order["orderDate"] = "2026-11-01"
    with pytest.raises(AssertionError, match="is not of type 'integer'"):
        check_answer(Request("GET", "/v3/orders", {}, {}, b""), 200, listing)
