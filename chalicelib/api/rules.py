"""REST: /api/v1/rules — the tenant's order rules: the list, each rule, reorder, enable or disable, test on
orders, and import or export as CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import (
    JSON_BODY_TYPES,
    MAX_JSON_BYTES,
    Fields,
    handles_errors,
    json_body,
    json_response,
    rest_route,
    tenant_of,
)
from chalicelib.errors import InvalidInput, TooLarge
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.sync import rules
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    rules = lazy_module("chalicelib.sync.rules")

bp = Blueprint(__name__)

CSV_TYPES = ["text/csv", *JSON_BODY_TYPES, "application/octet-stream"]


def _list_view(found: rules.RuleListView) -> dict[str, object]:
    return {
        "rules": [rules.rule_to_json(r) for r in found.rules],
        "count": len(found.rules),
        "version": found.version,
    }


@rest_route(bp, "/api/v1/rules", ["GET"])
def list_rules() -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(_list_view(rules.list_rules(tenant.tenant_id)))


@rest_route(bp, "/api/v1/rules", ["POST"])
def create_rule() -> Response:
    tenant = tenant_of(bp.current_request)
    rule = rules.create_rule(tenant.tenant_id, json_body(bp.current_request))
    return json_response(rules.rule_to_json(rule), 201)


@rest_route(bp, "/api/v1/rules/{rule_id}", ["GET"])
def get_rule(rule_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(rules.rule_to_json(rules.get_rule(tenant.tenant_id, rule_id)))


@rest_route(bp, "/api/v1/rules/{rule_id}", ["PUT"])
def replace_rule(rule_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    rule = rules.replace_rule(tenant.tenant_id, rule_id, json_body(bp.current_request))
    return json_response(rules.rule_to_json(rule))


@rest_route(bp, "/api/v1/rules/{rule_id}", ["DELETE"])
def delete_rule(rule_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    rules.delete_rule(tenant.tenant_id, rule_id)
    return json_response({"id": rule_id, "deleted": True})


@rest_route(bp, "/api/v1/rules/{rule_id}/enable", ["POST"])
def enable_rule(rule_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(rules.rule_to_json(rules.set_enabled(tenant.tenant_id, rule_id, True)))


@rest_route(bp, "/api/v1/rules/{rule_id}/disable", ["POST"])
def disable_rule(rule_id: str) -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(rules.rule_to_json(rules.set_enabled(tenant.tenant_id, rule_id, False)))


@rest_route(bp, "/api/v1/rules/reorder", ["POST"])
def reorder_rules() -> Response:
    tenant = tenant_of(bp.current_request)
    body = json_body(bp.current_request)
    fields = Fields(body, {"order"})
    if "order" not in body:
        fields.problems["order"] = "is required: every rule's id, first to last"
    fields.check()
    return json_response(_list_view(rules.reorder_rules(tenant.tenant_id, body["order"])))


@rest_route(bp, "/api/v1/rules/test", ["POST"])
def test_rules() -> Response:
    tenant = tenant_of(bp.current_request)
    return json_response(rules.test_rules(tenant.tenant_id, json_body(bp.current_request)))


def _csv_text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge(f"request body is over {MAX_JSON_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.of("The rules file was not imported", {"file": "must be UTF-8 text"}) from None


def import_rules() -> Response:
    """The body is the CSV file itself (text/csv), not JSON: its own route, with the same error handling."""
    request = bp.current_request
    tenant = tenant_of(request)
    imported = rules.import_csv(tenant.tenant_id, _csv_text(request.raw_body or b""))
    return json_response(_list_view(imported))


bp.route("/api/v1/rules/import", methods=["POST"], content_types=CSV_TYPES)(
    handles_errors(import_rules, lambda: bp.current_request)
)


@rest_route(bp, "/api/v1/rules/export", ["GET"])
def export_rules() -> Response:
    tenant = tenant_of(bp.current_request)
    return Response(
        body=rules.export_csv(tenant.tenant_id),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="rules.csv"',
            "Cache-Control": "no-store",
        },
    )
