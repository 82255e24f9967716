"""Every request the Amazon connector builds, and every answer of FakeAmazon, checked against Amazon's own
Swagger 2.0 model of the Orders API v0 (the parts used are in tests/fixtures/vendors/amazon/, see SOURCES.md
there). Answers are checked more strictly than the model says: no property it does not define.

The Login with Amazon token exchange has no published schema: its form is checked against the fields
Amazon's "Connecting to the Selling Partner API" lists.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from chalicelib.channels.amazon import SPEC, Amazon
from chalicelib.channels.base import FatalError, HttpOptions, Window
from ledgerbridge.fakes.amazon import FakeAmazon
from ledgerbridge.fakes.base import Request
from tests.paths import REPO
from tests.unit.channels.contract.adapters import VirtualClock
from tests.unit.channels.vendor_documents import closed

DOCUMENT = json.loads((REPO / "tests/fixtures/vendors/amazon/ordersV0.subset.json").read_text())
TOKEN_FORM = {"grant_type", "refresh_token", "client_id", "client_secret"}
TOKEN_ANSWER = {"access_token", "token_type", "expires_in", "refresh_token"}


DEFINITIONS = closed(DOCUMENT["definitions"])


def validator(schema: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator({**closed(schema), "definitions": DEFINITIONS})


def operation(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The documented operation of a request, and its path parameters."""
    for template, methods in DOCUMENT["paths"].items():
        pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        found = re.match(pattern, request.path)
        if found and request.method.lower() in methods:
            return dict(methods[request.method.lower()]), found.groupdict()
    raise AssertionError(f"{request.method} {request.path} is not in Amazon's model")


def check_request(request: Request) -> None:
    if request.path == "/auth/o2/token":
        assert request.method == "POST"
        assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
        form = parse_qs(request.body.decode(), keep_blank_values=True)
        assert set(form) == TOKEN_FORM and form["grant_type"] == ["refresh_token"]
        return
    op, path_values = operation(request)
    parameters = {p["name"]: p for p in op["parameters"]}
    for name in path_values:
        assert parameters[name]["in"] == "path"
    for name, values in request.query.items():
        spec = parameters.get(name)
        assert spec is not None, f"{name} is not a documented parameter of {op['operationId']}"
        assert spec["in"] == "query"
        for value in values:
            if spec["type"] == "integer":
                assert re.fullmatch(r"\d+", value), f"{name}={value!r} is not an integer"
                assert 1 <= int(value) <= 100  # "Value must be 1 - 100" (MaxResultsPerPage)
            if spec["type"] == "array":  # Swagger 2.0's default collectionFormat: csv
                assert len(value.split(",")) <= spec.get("maxItems", 1000)
            if name.startswith("LastUpdated"):
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), (
                    f"{name}={value!r} not ISO 8601"
                )
    for name, spec in parameters.items():
        if spec.get("required") and spec["in"] == "query":
            assert name in request.query, f"{op['operationId']} requires {name}"
    assert not request.body, f"{op['operationId']} takes no body"
    assert request.headers.get("x-amz-access-token", "").startswith("Atza|")


def check_answer(request: Request, status: int, answer: Any) -> None:
    if request.path == "/auth/o2/token":
        assert set(answer) == (TOKEN_ANSWER if status == 200 else {"error", "error_description"})
        return
    op, _ = operation(request)
    documented = op["responses"].get(str(status))
    assert documented is not None and "schema" in documented, f"{op['operationId']} documents no {status}"
    errors = sorted(validator(documented["schema"]).iter_errors(answer), key=str)
    assert not errors, f"{op['operationId']} {status}: {errors[0].message} at {list(errors[0].path)}"


@pytest.fixture
def fake() -> Iterator[FakeAmazon]:
    store = FakeAmazon()
    answers: list[tuple[Request, int, Any]] = []
    serve = store.dispatch

    def recording(request: Request) -> Any:
        response = serve(request)
        body = response.body if not isinstance(response.body, bytes) else json.loads(response.body or b"null")
        answers.append((request, response.status, copy.deepcopy(body)))
        return response

    store.dispatch = recording  # type: ignore[method-assign]
    store.answers = answers  # type: ignore[attr-defined]
    with store:
        yield store


def connect(fake: FakeAmazon, clock: VirtualClock, **extra: str) -> Amazon:
    connector = SPEC.build(
        {
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "refresh_token": fake.refresh_token,
            **extra,
        },
        HttpOptions(
            allow_private_urls=True,
            sleep=clock.sleep,
            page_size=2,
            base_url_overrides={"amazon": fake.base_url},
        ),
    )
    assert isinstance(connector, Amazon)
    return connector


def exercise(fake: FakeAmazon) -> None:
    """Every kind of request and answer: a token, paged orders and items (NextToken), a 429 with the rate
    header, an expired access token, rejected credentials and a refused refresh token."""
    clock = VirtualClock()
    fake.rate_clock = clock.now
    fake.item_page_size = 1
    fake.add_orders(5, seed=3)
    fake.add_order(status="Pending")
    fake.restricted_data = True
    fake.add_order(status="Canceled")
    connector = connect(fake, clock)
    connector.check_credentials()
    window = Window(None, fake.tick(60))
    fake.exhaust_rate_limit("getOrders")
    token: str | None = None
    while True:
        page = connector.fetch_page(window, token)
        token = page.next_token
        if token is None:
            break
    fake.expire_access_tokens()
    with pytest.raises(FatalError, match="access to orders"):
        connector.fetch_page(window, None)
    with pytest.raises(FatalError, match="credentials"):
        connect(fake, clock, client_secret="wrong").check_credentials()
    with pytest.raises(FatalError, match="credentials"):
        connect(fake, clock, refresh_token="Atzr|revoked").check_credentials()


def test_every_request_the_connector_builds_is_in_amazons_model(fake: FakeAmazon) -> None:
    exercise(fake)

    requests = list(fake.requests)
    assert {r.path for r in requests if r.path == "/auth/o2/token"}
    operations = {operation(r)[0]["operationId"] for r in requests if r.path != "/auth/o2/token"}
    assert operations == {"getOrders", "getOrderItems"}
    assert any("NextToken" in r.query for r in requests if r.path.endswith("/orderItems"))
    assert any("NextToken" in r.query for r in requests if r.path == "/orders/v0/orders")
    for request in requests:
        check_request(request)


def test_every_answer_of_the_fake_is_in_amazons_model(fake: FakeAmazon) -> None:
    exercise(fake)

    answers = fake.answers  # type: ignore[attr-defined]
    assert {status for _, status, _ in answers} == {200, 400, 401, 403, 429}
    for request, status, body in answers:
        check_answer(request, status, body)


def test_the_model_check_catches_what_amazon_does_not_document() -> None:
    """The checks above can fail: an undocumented parameter, a made-up order field, a wrong type."""
    headers = {"x-amz-access-token": "Atza|x"}
    bad = Request("GET", "/orders/v0/orders", {"MarketplaceIds": ["X"], "UpdatedSince": ["1"]}, headers, b"")
    with pytest.raises(AssertionError, match="not a documented parameter"):
        check_request(bad)
    missing = Request("GET", "/orders/v0/orders", {"NextToken": ["t"]}, headers, b"")
    with pytest.raises(AssertionError, match="requires MarketplaceIds"):
        check_request(missing)
    order = {"AmazonOrderId": "1", "LastUpdateDate": "x", "OrderStatus": "Shipped", "PurchaseDate": "x"}
    with pytest.raises(AssertionError, match="made_up"):
        check_answer(bad, 200, {"payload": {"Orders": [{**order, "made_up": 1}]}})
    with pytest.raises(AssertionError, match="is not of type"):
        check_answer(bad, 200, {"payload": {"Orders": [{**order, "OrderTotal": {"Amount": 12.5}}]}})
