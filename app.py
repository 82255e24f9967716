"""Ledgerbridge: the Chalice app. Wiring only: blueprints and middleware live in chalicelib/api."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice

# The storage models, pointed at this deployment's tables, load with the app: botocore and PynamoDB are what
# nearly every call needs first. The use cases and repositories behind the routes load on first use (lazy.py).
import chalicelib.dal  # noqa: F401
from chalicelib.api import (
    channels,
    connections,
    health,
    keys,
    limits,
    openapi,
    orders,
    outbound,
    pages,
    qbwc,
    rules,
    sales,
    security,
    tasks,
    web_connector_gateway,
)
from chalicelib.events import daily_summary, dead_letters, fetch, store_push

app = Chalice(app_name="ledgerbridge")
for blueprint in (
    health.bp,
    pages.bp,
    qbwc.bp,
    openapi.bp,
    keys.bp,
    connections.bp,
    channels.bp,
    orders.bp,
    outbound.bp,
    rules.bp,
    tasks.bp,
    sales.bp,
    fetch.bp,
    store_push.bp,
    dead_letters.bp,
    daily_summary.bp,
    security.bp,
    limits.bp,  # after security: its refusals get the same headers as every answer
):
    app.register_blueprint(blueprint)


@app.lambda_function(name="web_connector")
def web_connector(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Web Connector's front door in AWS, an HTTP API (chalicelib/api/web_connector_gateway.py)."""
    return web_connector_gateway.answer(app, event, context)
