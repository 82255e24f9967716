"""GET /api/v1/openapi.json: the REST API described in OpenAPI 3 (kept true to the routes by a test)."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response, public_base_url


def _channel_kinds() -> tuple[str, ...]:
    from chalicelib.channels import CHANNEL_KINDS  # the connectors load when the document is first asked for

    return tuple(CHANNEL_KINDS)


bp = Blueprint(__name__)

ERROR = {"$ref": "#/components/schemas/Error"}
CREDENTIALS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Store credentials (shop + access_token; api_key + api_secret; store_url + consumer_key + "
    "consumer_secret; base_url + username + password). Stored encrypted, shown masked, never returned.",
}
EVERY_MINUTES: dict[str, Any] = {"type": "integer", "minimum": 5, "maximum": 1440}
TASK: dict[str, Any] = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The task's id (its channel's id)",
}
OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: int = 200,
    *,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    public: bool = False,
    ok_schema: dict[str, Any] | None = None,
    content_type: str = "application/json",
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(ok): {"description": "OK", "content": {content_type: {"schema": ok_schema or OBJECT}}},
        "400": _json(ERROR, "Invalid request: every bad field is named in details.fields"),
        "404": _json(ERROR, "Unknown id (or another tenant's)"),
    }
    if not public:
        responses["401"] = _json(ERROR, "Missing, malformed, unknown or revoked API key")
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if public:
        op["security"] = []
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _conflict(op: dict[str, Any], when: str) -> dict[str, Any]:
    """An operation that can also answer 409 Conflict."""
    op["responses"]["409"] = _json(ERROR, when)
    return op


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema or {"type": "string"},
        "description": description,
    }


CONNECTION = _path("connection_id", "A connection id (con_...)")
CHANNEL = _path("channel_id", "A channel id (chn_...)")
ORDER = _path("order_key", "An order id (ord_...)")
TEXT = {"type": "string"}


@cache
def _paging() -> list[dict[str, Any]]:
    return [
        _query("limit", "Page size, 1 to 500", {"type": "integer", "minimum": 1, "maximum": 500}),
        _query("after", "The 'next' cursor of the previous page"),
    ]


PAGING = _paging()
ORDER_FILTERS = [
    _query("q", "Search: order number, customer name or email (every word found)"),
    _query("channel", "Only this channel's orders"),
    _query(
        "status",
        "pending, in_flight, synced or failed (the counts cover every status)",
        {"type": "string", "enum": ["pending", "in_flight", "synced", "failed"]},
    ),
]
ORDER_LIST = [
    *ORDER_FILTERS,
    _query("format", "json (default) or csv (every page)", {"type": "string", "enum": ["json", "csv"]}),
    *PAGING,
]


RULE = _path("rule_id", "A rule's id (rul_..., or the id a CSV import gave it)")
RULE_REF = {"$ref": "#/components/schemas/Rule"}


def _rule_schema() -> dict[str, Any]:
    from chalicelib.rules import ActionCode, Field, Op

    return {
        "type": "object",
        "required": ["name", "actions"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "maxLength": 100, "description": "Made by the service when left out"},
            "name": {"type": "string", "maxLength": 200},
            "enabled": {"type": "boolean", "default": True},
            "channels": {"type": "array", "items": TEXT, "description": "Channel ids; empty: every channel"},
            "join": {"type": "string", "enum": ["and", "or"], "default": "and"},
            "conditions": {
                "type": "array",
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "required": ["field", "op"],
                    "additionalProperties": False,
                    "properties": {
                        "field": {"type": "string", "enum": [str(f) for f in Field]},
                        "op": {"type": "string", "enum": [str(o) for o in Op]},
                        "values": {"type": "array", "items": TEXT, "maxItems": 1000},
                        "attribute": {
                            "type": "string",
                            "description": "The custom attribute (field attribute)",
                        },
                    },
                },
            },
            "actions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "required": ["action"],
                    "additionalProperties": True,
                    "description": "The action code and its attributes (account, class_name, item, sku, match, "
                    "method, discount_code, kind, amount, template, source, day, sales_rep, terms, "
                    "price_level, unit, factor, site, transaction_type, matching, name)",
                    "properties": {"action": {"type": "string", "enum": [str(c) for c in ActionCode]}},
                },
            },
        },
    }


def _rules_paths() -> dict[str, Any]:
    rule_list = {"type": "array", "items": OBJECT}
    return {
        "/api/v1/rules": {
            "get": _op("The order rules, in the order they run"),
            "post": _op("Add a rule at the end of the list", 201, body=RULE_REF),
        },
        "/api/v1/rules/{rule_id}": {
            "get": _op("A rule", params=[RULE]),
            "put": _op("Replace a rule (it keeps its place)", params=[RULE], body=RULE_REF),
            "delete": _op("Delete a rule", params=[RULE]),
        },
        "/api/v1/rules/{rule_id}/enable": {"post": _op("Run the rule again", params=[RULE])},
        "/api/v1/rules/{rule_id}/disable": {"post": _op("Keep the rule but do not run it", params=[RULE])},
        "/api/v1/rules/reorder": {
            "post": _op(
                "Put the rules in a new order",
                body={
                    "type": "object",
                    "required": ["order"],
                    "additionalProperties": False,
                    "properties": {
                        "order": {"type": "array", "items": TEXT, "description": "Every rule's id"}
                    },
                },
            ),
        },
        "/api/v1/rules/test": {
            "post": _op(
                "Run rules on orders without saving anything: each order before and after every rule that "
                "changed it",
                body={
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "orders": {"type": "array", "items": TEXT, "description": "Order numbers or ids"},
                        "documents": {"type": "array", "items": OBJECT, "description": "Orders as JSON"},
                        "channel_id": {"type": "string", "description": "The channel of pasted orders"},
                        "rules": {**rule_list, "description": "Rules not saved (default: the saved list)"},
                        "rule_id": {"type": "string", "description": "Test this rule alone"},
                    },
                },
            ),
        },
        "/api/v1/rules/import": {
            "post": {
                **_op("Replace every rule with a CSV file's (all or nothing; every problem named by row)"),
                "requestBody": {"required": True, "content": {"text/csv": {"schema": TEXT}}},
            },
        },
        "/api/v1/rules/export": {
            "get": _op(
                "The rules as a CSV file (one row per action)", ok_schema=TEXT, content_type="text/csv"
            ),
        },
    }


def spec_template() -> dict[str, Any]:
    name = {"type": "string", "minLength": 1, "maxLength": 80}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Ledgerbridge API",
            "version": "1.0.0",
            "description": "Connect online stores with QuickBooks Desktop through the QuickBooks Web Connector. "
            "Send the API key as 'Authorization: Bearer <key>'; every call is scoped to the key's tenant.",
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "object", "additionalProperties": True},
                    },
                },
                "Rule": _rule_schema(),
            },
        },
        "security": [{"bearerAuth": []}],
        "paths": {
            "/health": {"get": _op("Is the service able to work (200) or not (503)", public=True)},
            "/api/v1/openapi.json": {"get": _op("This document", public=True)},
            "/api/v1/api-keys": {
                "post": _op(
                    "Create an API key (its secret is shown once)",
                    201,
                    body={
                        "type": "object",
                        "properties": {"label": {"type": "string", "maxLength": 80}},
                        "additionalProperties": False,
                    },
                ),
                "get": _op("List the tenant's API keys (never their secrets)"),
            },
            "/api/v1/sales/summary": {
                "get": _op(
                    "Sales per day and per channel, synced versus failed, and top products",
                    params=[
                        _query(
                            "days",
                            "Days up to today, 1 to 366 (default 30)",
                            {"type": "integer", "minimum": 1, "maximum": 366},
                        )
                    ],
                ),
            },
            "/api/v1/api-keys/{key_id}": {
                "delete": _op("Revoke an API key", params=[_path("key_id", "A key id (key_...)")])
            },
            "/api/v1/account": {
                "get": _op("The tenant's own settings (where the daily summary goes)"),
                "put": _op(
                    "Set where the daily summary goes (null or empty: the deployment's default address)",
                    body={
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "summary_email": {"type": "string", "nullable": True, "maxLength": 254}
                        },
                    },
                ),
            },
            "/api/v1/connections": {
                "post": _op(
                    "Create a connection (one QuickBooks company file)",
                    201,
                    body={
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "name": name,
                            "run_every_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
                        },
                    },
                ),
                "get": _op("List connections with their status"),
            },
            "/api/v1/connections/{connection_id}": {
                "get": _op("A connection", params=[CONNECTION]),
                "delete": _conflict(
                    _op(
                        "Delete a connection, its queue and its cached lists (refused while channels use it, "
                        "unless cascade=true: then its channels go too)",
                        params=[
                            CONNECTION,
                            _query(
                                "cascade",
                                "true: delete the channels that use it as well",
                                {"type": "string", "enum": ["true", "false"]},
                            ),
                        ],
                    ),
                    "Channels use the connection and cascade is not true",
                ),
            },
            "/api/v1/connections/{connection_id}/qwc": {
                "get": _op(
                    "The .qwc file for the Web Connector (a download)",
                    params=[CONNECTION],
                    ok_schema=TEXT,
                    content_type="application/xml",
                ),
            },
            "/api/v1/connections/{connection_id}/password": {
                "post": _op(
                    "A new Web Connector password (shown once; the old one stops working)",
                    201,
                    params=[CONNECTION],
                ),
            },
            "/api/v1/connections/{connection_id}/status": {
                "get": _op(
                    "Connected or not, company, QuickBooks product, qbXML versions, last error",
                    params=[CONNECTION],
                ),
            },
            "/api/v1/connections/{connection_id}/refresh": {
                "post": _op(
                    "Re-read the company's lists on the next Web Connector run", 202, params=[CONNECTION]
                ),
            },
            "/api/v1/connections/{connection_id}/accounts": {
                "get": _op(
                    "The cached chart of accounts",
                    params=[
                        CONNECTION,
                        _query("type", "QuickBooks account type, e.g. Income"),
                        _query("include_inactive", "true to include inactive accounts"),
                    ],
                ),
            },
            "/api/v1/connections/{connection_id}/lists/{kind}": {
                "get": _op(
                    "A cached company list",
                    params=[
                        CONNECTION,
                        {
                            "name": "kind",
                            "in": "path",
                            "required": True,
                            "schema": {
                                "type": "string",
                                "enum": [
                                    "account",
                                    "item",
                                    "sales_tax_code",
                                    "item_sales_tax",
                                    "item_sales_tax_group",
                                    "payment_method",
                                    "class",
                                ],
                            },
                        },
                        _query("type", "Account type (accounts only)"),
                        _query("include_inactive", "true to include inactive records"),
                    ],
                ),
            },
            "/api/v1/connections/{connection_id}/sync-runs": {
                "get": _op("Web Connector sessions: outcome, round trips, errors", params=[CONNECTION]),
            },
            "/api/v1/channels": {
                "post": _op(
                    "Create a channel with its settings (checked against the company's lists)",
                    201,
                    body={
                        "type": "object",
                        "required": ["connection_id", "kind", "name"],
                        "properties": {
                            "connection_id": {"type": "string"},
                            "kind": {
                                "type": "string",
                                "enum": list(_channel_kinds()),
                            },
                            "name": name,
                            "settings": OBJECT,
                            "credentials": CREDENTIALS,
                            "every_minutes": EVERY_MINUTES,
                        },
                        "additionalProperties": False,
                    },
                ),
                "get": _op("List channels"),
            },
            "/api/v1/channels/{channel_id}": {
                "get": _op("A channel", params=[CHANNEL]),
                "patch": _op(
                    "Change a channel's name, settings, credentials (checked with the store) or schedule",
                    params=[CHANNEL],
                    body={
                        "type": "object",
                        "properties": {
                            "name": name,
                            "settings": OBJECT,
                            "credentials": CREDENTIALS,
                            "every_minutes": EVERY_MINUTES,
                        },
                        "additionalProperties": False,
                    },
                ),
                "delete": _op("Delete a channel, its task and its credentials", params=[CHANNEL]),
            },
            "/api/v1/channels/{channel_id}/resync": {
                "post": _op(
                    "Fetch the orders changed in a date range again (queued; orders in QuickBooks stay as they are)",
                    202,
                    params=[CHANNEL],
                    body={
                        "type": "object",
                        "required": ["from", "to"],
                        "properties": {
                            "from": {
                                "type": "string",
                                "description": "2026-11-01 or an ISO date-time with zone",
                            },
                            "to": {"type": "string", "description": "last day (inclusive) or ISO date-time"},
                        },
                        "additionalProperties": False,
                    },
                ),
            },
            "/api/v1/channels/{channel_id}/runs": {
                "get": _op("The channel's latest fetch runs (scheduled and resyncs)", params=[CHANNEL]),
            },
            "/api/v1/channels/{channel_id}/summaries": {
                "get": _op("A summary channel's days: RefNumber, orders, state, problem", params=[CHANNEL]),
            },
            "/api/v1/channels/{channel_id}/runs/{run_id}": {
                "get": _op(
                    "One fetch run: state, progress and counts",
                    params=[CHANNEL, _path("run_id", "The run's id (run_...)")],
                ),
            },
            "/api/v1/channels/{channel_id}/inventory": {
                "get": _op(
                    "Stock levels read from QuickBooks for the channel's store: quantity, status "
                    "(pending, pushed, unchanged, unmatched, refused) and the problem when there is one",
                    params=[
                        CHANNEL,
                        _query(
                            "status",
                            "Only levels in this status (unmatched: no product in the store has the SKU)",
                            {
                                "type": "string",
                                "enum": ["pending", "pushed", "unchanged", "unmatched", "refused"],
                            },
                        ),
                        *PAGING,
                    ],
                ),
            },
            "/api/v1/channels/{channel_id}/shipstation-orders": {
                "get": _op(
                    "QuickBooks sales sent to ShipStation and their shipments: status and problem",
                    params=[
                        CHANNEL,
                        _query(
                            "status",
                            "Only sales in this status",
                            {
                                "type": "string",
                                "enum": [
                                    "pending",
                                    "sent",
                                    "failed",
                                    "shipped",
                                    "tracking_written",
                                    "tracking_failed",
                                ],
                            },
                        ),
                        *PAGING,
                    ],
                ),
            },
            "/api/v1/tasks": {"get": _op("Each fetching channel's schedule: state, last and next run")},
            "/api/v1/tasks/{task_id}": {"get": _op("One task", params=[TASK])},
            "/api/v1/tasks/{task_id}/pause": {"post": _op("Pause the task's schedule", params=[TASK])},
            "/api/v1/tasks/{task_id}/resume": {"post": _op("Resume the task's schedule", params=[TASK])},
            "/api/v1/tasks/{task_id}/run": {
                "post": _op("Run the task once now, as its schedule would (queued)", 202, params=[TASK])
            },
            "/api/v1/channels/{channel_id}/orders": {
                "post": _op(
                    "Push up to 500 orders in the canonical JSON (custom store)",
                    202,
                    params=[CHANNEL],
                    body={
                        "type": "object",
                        "required": ["orders"],
                        "properties": {
                            "orders": {"type": "array", "minItems": 1, "maxItems": 500, "items": OBJECT}
                        },
                    },
                ),
            },
            "/api/v1/orders": {
                "get": _op(
                    "Orders, newest first by order date, with status counts (search, filter, CSV)",
                    params=ORDER_LIST,
                ),
            },
            "/api/v1/orders/{order_key}": {
                "get": _op("An order: state, QuickBooks documents, error", params=[ORDER])
            },
            "/api/v1/orders/{order_key}/retry": {"post": _op("Requeue a failed order", 202, params=[ORDER])},
            **_order_desk_paths(),
            **_rules_paths(),
        },
    }


def _order_desk_paths() -> dict[str, Any]:
    """The orders for every day: search, CSV, bulk retry, the preview and the order's detail."""
    return {
        "/api/v1/orders.csv": {
            "get": _op(
                "Every order the query matches, newest first, as CSV",
                params=ORDER_FILTERS,
                ok_schema={"type": "string"},
                content_type="text/csv",
            )
        },
        "/api/v1/orders/retry": {
            "post": _op(
                "Retry failed orders: by id, or every failed one",
                202,
                body={
                    "type": "object",
                    "properties": {
                        "ids": {"type": "array", "items": {"type": "string"}, "maxItems": 500},
                        "status": {"type": "string", "enum": ["failed"]},
                    },
                },
            )
        },
        "/api/v1/orders/preview": {
            "post": _op(
                "What QuickBooks would receive for an order (nothing is sent or written)",
                body={
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "A stored order's id"},
                        "order": {**OBJECT, "description": "An order in the canonical JSON"},
                        "channel_id": {"type": "string", "description": "The channel of a pasted order"},
                    },
                },
            )
        },
        "/api/v1/orders/{order_key}/preview": {
            "get": _op("What QuickBooks would receive for a stored order", params=[ORDER])
        },
    }


@bp.route("/api/v1/openapi.json", methods=["GET"])
def openapi() -> Response:
    document = dict(spec_template())
    document["servers"] = [{"url": public_base_url(bp.current_request)}]
    return json_response(document)
