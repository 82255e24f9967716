"""The Stripe connector and its fake checked against Stripe's own OpenAPI document (the part of it copied to
tests/fixtures/vendors/stripe/, see SOURCES.md there): every request the connector sends (method, path,
query parameters decoded by their declared style, no body) is an operation of the document with valid
parameters and no undeclared one, and every answer of the fake validates against that operation's response
schema (200: the list or object; an error: Stripe's `error` object), with no property the document does not
declare (stricter than the document, which leaves objects open)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from chalicelib.channels.base import FatalError, HttpOptions, Window
from chalicelib.channels.stripe import SPEC
from ledgerbridge.fakes.base import Request, Response
from ledgerbridge.fakes.stripe import FakeStripe
from tests.unit.channels.contract.adapters import VirtualClock

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/vendors/stripe/openapi.json").read_text()
)


def strict(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` as a null alternative, objects closed."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items() if k not in ("nullable", "x-expansionResources")}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


COMPONENTS = {"schemas": strict(DOCUMENT["components"]["schemas"])}


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**strict(schema), "components": COMPONENTS})


def operation(method: str, path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The document's operation for a concrete path, and the path parameters' values."""
    for template, item in DOCUMENT["paths"].items():
        pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        found = re.match(pattern, path)
        if found and method.lower() in item:
            return item[method.lower()], found.groupdict()
    raise AssertionError(f"{method} {path} is not an operation of Stripe's document")


def query_values(op: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
    """Decode a query by the parameters' styles: deepObject `created[gte]=1` and `expand[]=a`, form `limit=1`
    (numbers by their declared type). An undeclared parameter fails."""
    declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    values: dict[str, Any] = {}
    for raw, items in query.items():
        name, _, key = raw.partition("[")
        assert name in declared, f"{raw} is not a parameter of the operation"
        parameter = declared[name]
        if key:
            assert parameter.get("style") == "deepObject", f"{raw}: {name} is not a deepObject"
            key = key.rstrip("]")
            if key:
                values.setdefault(name, {})[key] = (
                    int(items[0]) if items[0].lstrip("-").isdigit() else items[0]
                )
            else:
                values.setdefault(name, []).extend(items)
        else:
            assert len(items) == 1, f"{raw} given twice"
            kind = parameter["schema"].get("type")
            values[name] = int(items[0]) if kind == "integer" else items[0]
    return values


def check_request(request: Request) -> dict[str, Any]:
    op, path_values = operation(request.method, request.path)
    assert request.body == b"", "Stripe reads take no body"
    values = query_values(op, request.query)
    for parameter in op.get("parameters", []):
        value = (
            path_values.get(parameter["name"]) if parameter["in"] == "path" else values.get(parameter["name"])
        )
        if value is None:
            assert not parameter.get("required"), f"{parameter['name']} is required"
            continue
        errors = list(validator(parameter["schema"]).iter_errors(value))
        assert not errors, f"{request.path} {parameter['name']}={value!r}: {errors[0].message}"
    return op


def check_response(op: dict[str, Any], response: Response) -> None:
    answers = op["responses"]
    schema = answers.get(str(response.status), answers["default"])["content"]["application/json"]["schema"]
    errors = sorted(validator(schema).iter_errors(response.body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{list(errors[0].absolute_path)}: {errors[0].message}"


class Recorded(FakeStripe):
    """The fake, keeping every answer with its request."""

    def __init__(self) -> None:
        super().__init__(rate_per_second=10_000)
        self.answers: list[tuple[Request, Response]] = []

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        with self.lock:
            self.answers.append((request, response))
        return response


@pytest.fixture
def fake() -> Iterator[Recorded]:
    with Recorded() as store:
        assert isinstance(store, Recorded)
        yield store


def connect(fake: FakeStripe, page_size: int | None = None) -> Any:
    clock = VirtualClock()
    return SPEC.build(
        {"api_key": fake.api_key},
        HttpOptions(
            allow_private_urls=True,
            sleep=clock.sleep,
            page_size=page_size,
            base_url_overrides={"stripe": fake.base_url},
        ),
    )


def read_all(connector: Any, window: Window) -> int:
    token, count = None, 0
    while True:
        page = connector.fetch_page(window, token)
        count += len(page.orders)
        token = page.next_token
        if token is None:
            return count


def test_every_request_and_answer_of_a_run_fits_stripes_document(fake: Recorded) -> None:
    ids = [fake.order_id(d) for d in fake.add_orders(20, seed=3)]
    big = fake.add_order(tuple((p, 1) for p in ("price_mug", "price_tee", "price_cap") * 4))  # 12 items
    fake.refund(ids[0], 300)
    fake.refund(fake.order_id(big), 100)
    bookmark = fake.tick(60)
    fake.refund(ids[1], 200)  # a late refund: read by the next window's refunds list
    connector = connect(fake, page_size=3)

    assert connector.check_credentials()
    assert read_all(connector, Window(None, bookmark)) == 20  # ids[1] changed after it
    assert read_all(connector, Window(bookmark, fake.tick(60))) == 1

    paths = {request.path for request, _ in fake.answers}
    assert {"/v1/charges", "/v1/refunds", "/v1/checkout/sessions"} <= paths
    assert any(p.endswith("/line_items") for p in paths)  # the 12-item session was paged
    for request, response in fake.answers:
        check_response(check_request(request), response)


def test_the_fakes_errors_have_stripes_error_shape(fake: Recorded) -> None:
    fake.add_orders(2, seed=1)
    fake.permissions.discard("rak_refund_read")
    with pytest.raises(FatalError):
        connect(fake).check_credentials()
    wrong = SPEC.build(
        {"api_key": "rk_test_wrong"},
        HttpOptions(allow_private_urls=True, base_url_overrides={"stripe": fake.base_url}),
    )
    with pytest.raises(FatalError):
        wrong.check_credentials()
    fake.dispatch(
        Request("GET", "/v1/charges", {"limit": ["500"]}, {"authorization": f"Bearer {fake.api_key}"}, b"")
    )
    fake.exhaust_rate_limit()
    fake.dispatch(Request("GET", "/v1/charges", {}, {"authorization": f"Bearer {fake.api_key}"}, b""))

    statuses = {response.status for _, response in fake.answers}
    assert {400, 401, 403, 429} <= statuses
    for request, response in fake.answers:
        check_response(check_request(request), response)


def test_the_document_refuses_what_stripe_would() -> None:
    """The checks above can fail: an undeclared parameter, a `created` bound that is not a timestamp, an
    answer missing a required field, and a path the document does not have are refused."""
    op, _ = operation("GET", "/v1/charges")
    with pytest.raises(AssertionError):
        query_values(op, {"updated[gte]": ["1"]})
    with pytest.raises(AssertionError):
        check_request(Request("GET", "/v1/charges", {"created[gte]": ["yesterday"]}, {}, b""))
    with pytest.raises(AssertionError):
        check_response(op, Response(200, {"object": "list", "data": [], "url": "/v1/charges"}))
    with pytest.raises(AssertionError):
        check_request(Request("GET", "/v1/orders", {}, {}, b""))
