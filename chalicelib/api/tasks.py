"""REST: /api/v1/tasks — each fetching channel's schedule: list, pause, resume, run now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import json_response, rest_route, tenant_of
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.sync import tasks
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    tasks = lazy_module("chalicelib.sync.tasks")

bp = Blueprint(__name__)


@rest_route(bp, "/api/v1/tasks", ["GET"])
def list_tasks() -> Response:
    return json_response({"tasks": tasks.list_tasks(tenant_of(bp.current_request).tenant_id)})


@rest_route(bp, "/api/v1/tasks/{task_id}", ["GET"])
def get_task(task_id: str) -> Response:
    return json_response(tasks.get_task(tenant_of(bp.current_request).tenant_id, task_id))


@rest_route(bp, "/api/v1/tasks/{task_id}/pause", ["POST"])
def pause(task_id: str) -> Response:
    return json_response(tasks.set_paused(tenant_of(bp.current_request).tenant_id, task_id, paused=True))


@rest_route(bp, "/api/v1/tasks/{task_id}/resume", ["POST"])
def resume(task_id: str) -> Response:
    return json_response(tasks.set_paused(tenant_of(bp.current_request).tenant_id, task_id, paused=False))


@rest_route(bp, "/api/v1/tasks/{task_id}/run", ["POST"])
def run_now(task_id: str) -> Response:
    return json_response(tasks.run_now(tenant_of(bp.current_request).tenant_id, task_id), 202)
