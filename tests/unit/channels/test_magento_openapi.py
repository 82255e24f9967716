"""Every request the Magento connector builds, and every answer of FakeMagento, checked against Adobe's own
Swagger 2.0 schema of the Commerce admin REST API (2.4.8; the parts used are in
tests/fixtures/vendors/magento/, see SOURCES.md there).

Two readings of the document, both Magento's own: query parameters are documented once, for filter group 0,
filter 0, sort order 0 (the template every index follows), and in camelCase (filterGroups, conditionType),
which Magento's REST input processor reads the same as the snake_case of its search guide (filter_groups,
condition_type). Answers are checked more strictly than the document says: no property it does not define.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from chalicelib.channels.base import FatalError, HttpOptions, StockUpdate, Window, inventory_target
from chalicelib.channels.magento import SPEC, Magento
from ledgerbridge.fakes.base import Request
from ledgerbridge.fakes.magento import FakeMagento
from tests.paths import REPO
from tests.unit.channels.contract.adapters import VirtualClock
from tests.unit.channels.vendor_documents import closed, record_answers

DOCUMENT = json.loads((REPO / "tests/fixtures/vendors/magento/admin-schema-2.4.8.subset.json").read_text())
SNAKE_TO_CAMEL = {"filter_groups": "filterGroups", "condition_type": "conditionType"}


DEFINITIONS = closed(DOCUMENT["definitions"])


def validator(schema: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator({**closed(schema), "definitions": DEFINITIONS})


def operation(request: Request) -> dict[str, Any]:
    path = re.sub(r"^/rest/(?:[a-z0-9_]+/)?V1/", "/V1/", request.path)
    methods = DOCUMENT["paths"].get(path)
    assert methods is not None, f"{request.method} {request.path} is not in Adobe's schema"
    found = methods.get(request.method.lower())
    assert found is not None, f"{request.method} {path} is not in Adobe's schema"
    return dict(found)


def documented_name(name: str) -> str:
    """A query parameter as the document names it: indices as 0, Magento's camelCase keys."""
    parts: list[str] = [SNAKE_TO_CAMEL.get(p, p) for p in re.findall(r"[^\[\]]+", name)]
    return parts[0] + "".join(f"[{'0' if p.isdigit() else p}]" for p in parts[1:])


def check_request(request: Request) -> None:
    op = operation(request)
    parameters = {p["name"]: p for p in op["parameters"]}
    for name, values in request.query.items():
        spec = parameters.get(documented_name(name))
        assert spec is not None, f"{name} is not a documented parameter of {request.path}"
        assert spec["in"] == "query"
        for value in values:
            if spec["type"] == "integer":
                assert re.fullmatch(r"-?\d+", value), f"{name}={value!r} is not an integer"
    body = [p for p in op["parameters"] if p["in"] == "body"]
    if request.body:
        assert body, f"{request.path} takes no body"
        errors = sorted(validator(body[0]["schema"]).iter_errors(request.json()), key=str)
        assert not errors, errors[0].message
    else:
        assert not any(p.get("required") for p in body)


def check_answer(request: Request, status: int, answer: Any) -> None:
    responses = operation(request)["responses"]
    if status == 200 and "200" not in responses:
        # POST /V1/inventory/source-items documents no 200 body: Magento answers a void method with []
        assert answer == []
        return
    documented = responses.get(str(status), responses.get("default"))
    assert documented is not None and "schema" in documented
    errors = sorted(validator(documented["schema"]).iter_errors(answer), key=str)
    assert not errors, (
        f"{request.method} {request.path} {status}: {errors[0].message} at {list(errors[0].path)}"
    )


@pytest.fixture
def fake() -> Iterator[FakeMagento]:
    store = FakeMagento()
    store.answers = record_answers(store)  # type: ignore[attr-defined]
    with store:
        yield store


def connect(fake: FakeMagento, **extra: str) -> Magento:
    connector = SPEC.build(
        {"store_url": fake.base_url, "access_token": fake.access_token, **extra},
        HttpOptions(allow_private_urls=True, sleep=VirtualClock().sleep, page_size=2),
    )
    assert isinstance(connector, Magento)
    return connector


def exercise(fake: FakeMagento) -> None:
    """Every kind of request the connector makes: credentials, paged orders (keyset forms ge, eq, gt),
    credit memos, source items and products, a saved and a refused stock update, a rejected token."""
    orders = fake.add_orders(5, seed=2)
    for _ in range(3):
        fake.add_order()  # three orders in one second: a page of two at one moment
    fake.add_order(coupon="SAVE10")
    fake.add_credit_memo(orders[0]["entity_id"], orders[0]["items"][0]["item_id"], 1)
    fake.add_product("BAG-9", "Tote Bag")
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
    target.find_stock_items(["MUG-01", "TEE-M", "BAG-9", "A,B"])
    target.set_quantities([StockUpdate("MUG-01", "MUG-01", 4), StockUpdate("NOPE", "NOPE", 1)])
    with pytest.raises(FatalError, match="rejected"):
        connect(fake, access_token="wrong").check_credentials()


def test_every_request_the_connector_builds_is_in_adobes_schema(fake: FakeMagento) -> None:
    exercise(fake)

    requests = list(fake.requests)
    assert {(r.method, operation(r)["operationId"]) for r in requests} == {
        ("GET", "GetV1Orders"),
        ("GET", "GetV1Creditmemos"),
        ("GET", "GetV1InventorySourceitems"),
        ("GET", "GetV1Products"),
        ("POST", "PostV1InventorySourceitems"),
    }
    conditions = {
        v for r in requests for k, vs in r.query.items() if k.endswith("[condition_type]") for v in vs
    }
    assert conditions == {"gteq", "eq", "gt", "lteq", "in"}
    for request in requests:
        check_request(request)


def test_every_answer_of_the_fake_is_in_adobes_schema(fake: FakeMagento) -> None:
    exercise(fake)

    answers = fake.answers  # type: ignore[attr-defined]
    assert {status for _, status, _ in answers} == {200, 400, 401}
    for request, status, body in answers:
        check_answer(request, status, body)


def test_the_schema_check_catches_what_adobe_does_not_document() -> None:
    """The checks above can fail: an undocumented parameter, a made-up order field, a wrong type."""
    bad = Request("GET", "/rest/V1/orders", {"searchCriteria[page_size]": ["x"], "since": ["1"]}, {}, b"")
    with pytest.raises(AssertionError, match="not a documented parameter"):
        check_request(bad)
    answer = {
        "items": [
            {
                "entity_id": 1,
                "grand_total": 1,
                "base_grand_total": 1,
                "customer_email": "a@b.c",
                "items": [],
                "made_up": 1,
            }
        ],
        "search_criteria": {"filter_groups": []},
        "total_count": 1,
    }
    with pytest.raises(AssertionError, match="made_up"):
        check_answer(Request("GET", "/rest/V1/orders", {}, {}, b""), 200, answer)
    answer = {"items": [], "search_criteria": {"filter_groups": []}, "total_count": "1"}
    with pytest.raises(AssertionError, match="is not of type 'integer'"):
        check_answer(Request("GET", "/rest/V1/orders", {}, {}, b""), 200, answer)
