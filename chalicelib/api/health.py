"""GET /health: 200 when the app and its stores answer, 503 naming what does not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.sync import health
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    health = lazy_module("chalicelib.sync.health")

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def get_health() -> Response:
    problems = health.problems()
    if problems:
        return json_response({"status": "unavailable", "problems": problems}, 503)
    return json_response({"status": "ok"})
