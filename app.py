"""Ledgerbridge: the Chalice app. Wiring only: blueprints and middleware live in chalicelib/api."""

from __future__ import annotations

from chalice.app import Chalice

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
