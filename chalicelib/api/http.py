"""What every REST entry point shares: the caller's tenant, JSON in and out, errors as 4xx, public URLs."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from chalice.app import Blueprint, Request, Response

from chalicelib.api.errors import INTERNAL_ERROR_BODY, http_error
from chalicelib.errors import AppError, InvalidInput, TooLarge
from chalicelib.lazy import lazy_module
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.validation import JsonRefused, decode_json, text_problem

if TYPE_CHECKING:
    from chalicelib.dal.tenants import Tenant
    from chalicelib.sync import tenancy
else:  # loaded when a route that needs them runs (chalicelib/lazy.py)
    tenancy = lazy_module("chalicelib.sync.tenancy")

MAX_JSON_BYTES = 1024 * 1024
# Bodies are read as JSON whatever the client labelled them (curl -d says form-urlencoded).
JSON_BODY_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
# Read-only: every response gets its own copy (a shared dict would carry one request's changes to the next).
JSON_HEADERS: Final[Mapping[str, str]] = MappingProxyType(
    {"Content-Type": "application/json", "Cache-Control": "no-store"}
)


def tenant_of(request: Request) -> Tenant:
    return tenancy.tenant_for_authorization(request.headers.get("authorization"))


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, default=str), status_code=status, headers={**JSON_HEADERS, **(headers or {})}
    )


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; a clear 400 for anything else (empty bodies count as `{}`).

    The only way a REST body is decoded: numbers, depth and text are bounded by `decode_json`."""
    raw = request.raw_body or b""
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge(f"request body is over {MAX_JSON_BYTES} bytes")
    if not raw.strip():
        return {}
    try:
        body = decode_json(raw)
    except JsonRefused as exc:
        raise InvalidInput(exc.message, details={"fields": exc.problems} if exc.problems else None) from exc
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    return body


class Fields:
    """Reads fields from a JSON object, collecting every problem before failing once."""

    def __init__(self, body: Mapping[str, Any], allowed: set[str]) -> None:
        self.body = body
        self.problems: dict[str, str] = {}
        for name in sorted(set(body) - allowed):
            self.problems[name] = "unknown field"

    def text(self, name: str, *, required: bool = False, max_length: int = 100, default: str = "") -> str:
        value = self.body.get(name)
        if value is None:
            if required:
                self.problems[name] = "is required"
            return default
        if not isinstance(value, str):
            self.problems[name] = "must be a string"
            return default
        value = value.strip()
        if required and not value:
            self.problems[name] = "must not be empty"
        elif len(value) > max_length:
            self.problems[name] = f"must be at most {max_length} characters"
        elif (problem := text_problem(value)) is not None:
            self.problems[name] = problem
        return value

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        value = self.body.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems[name] = "must be a whole number"
            return default
        if not minimum <= value <= maximum:
            self.problems[name] = f"must be between {minimum} and {maximum}"
            return default
        return value

    def check(self) -> None:
        if self.problems:
            raise InvalidInput.of("invalid request", self.problems)


def public_base_url(request: Request) -> str:
    """This deployment's own URL as the caller reached it (settings win when set)."""
    configured = get_settings().public_url
    if configured:
        return configured
    headers = request.headers
    host = headers.get("x-forwarded-host") or headers.get("host") or "localhost"
    proto = headers.get("x-forwarded-proto") or (
        "http" if host.startswith(("localhost", "127.")) else "https"
    )
    context = request.context or {}
    full_path = str(context.get("path") or request.path)
    prefix = full_path[: -len(request.path)] if full_path.endswith(request.path) else ""
    return f"{proto}://{host}{prefix}".rstrip("/")


MAX_URL_PARAM_CHARS: Final = 500


def url_problems(path_params: Mapping[str, Any], query_params: Mapping[str, Any] | None) -> dict[str, str]:
    """What is wrong with the URL's parameters: ids and cursors are short text that DynamoDB can store (a
    lone surrogate, say, cannot even be encoded to be looked up)."""
    problems: dict[str, str] = {}
    for name, value in [*path_params.items(), *(query_params or {}).items()]:
        if not isinstance(value, str):
            continue
        if len(value) > MAX_URL_PARAM_CHARS:
            problems[name] = f"must be at most {MAX_URL_PARAM_CHARS} characters"
        elif (problem := text_problem(value)) is not None:
            problems[name] = problem
    return problems


def handles_errors(
    view: Callable[..., Response], request: Callable[[], Request | None] = lambda: None
) -> Callable[..., Response]:
    """Known errors become their 4xx JSON; anything else a 500 with no detail (the stack goes to the log).
    URL parameters are checked first (`url_problems`).

    Chalice converts exceptions before any middleware sees them, so each REST view is wrapped instead."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            current = request()
            problems = url_problems(kwargs, current.query_params if current is not None else None)
            if problems:
                raise InvalidInput.of("invalid request", problems)
            return view(*args, **kwargs)
        except AppError as exc:
            status, body = http_error(exc)
            return json_response(body, status.status)
        except Exception:
            logger.exception("unhandled error in a REST call", extra={"view": view.__name__})
            return json_response(dict(INTERNAL_ERROR_BODY), 500)

    return wrapper


def rest_route(bp: Blueprint, path: str, methods: list[str]) -> Callable[[Callable[..., Response]], Any]:
    """`bp.route` for a JSON view, with errors answered as JSON."""

    def register(view: Callable[..., Response]) -> Any:
        checked = handles_errors(view, lambda: bp.current_request)
        return bp.route(path, methods=methods, content_types=JSON_BODY_TYPES)(checked)

    return register
