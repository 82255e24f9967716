"""GET /health: 200 when the app and its stores answer, 503 naming what does not."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response
from chalicelib.sync import health

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def get_health() -> Response:
    problems = health.problems()
    if problems:
        return json_response({"status": "unavailable", "problems": problems}, 503)
    return json_response({"status": "ok"})
