"""Browser-facing rules every HTTP answer follows: CORS limited to the app's own origin, hardening headers.

The dashboard is served by the app itself, so its calls are same-origin and need no CORS at all. No route
enables Chalice's CORS (so API Gateway and `chalice local` answer preflights without
Access-Control-Allow-Origin); this middleware makes sure no answer ever grants another origin, whatever a
view sets, and names the app's own origin (the configured public URL, never the request's Host header, which
the caller chooses) when a same-origin request carries an Origin header.

Every answer also gets:
- `Strict-Transport-Security` when it is served over https (API Gateway always is; a plain-http localhost
  is not, and a browser would ignore it there anyway: RFC 6797 section 8.1);
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`;
- on REST and SOAP answers (JSON, XML, plain text): `Cache-Control: no-store` and the minimal CSP
  `default-src 'none'; frame-ancestors 'none'` (the dashboard's pages set their own CSP).

The middleware gives each response its own headers dict before changing it: views may pass shared,
module-level mappings, and nothing a request does may change state that outlives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

from chalice.app import Blueprint, Request, Response

from chalicelib.settings import get_settings

bp = Blueprint(__name__)

CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-expose-headers",
    "access-control-max-age",
)
HSTS: Final = "max-age=63072000; includeSubDomains"
API_CSP: Final = "default-src 'none'; frame-ancestors 'none'"
# Answers for programs (not pages): no caching anywhere, nothing to render.
_API_TYPES: Final = ("application/json", "text/xml", "application/xml", "application/soap+xml", "text/plain")


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-cased, default ports dropped; None when it is not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port and port != default else ""
    return f"{parts.scheme}://{host.lower()}{suffix}"


def app_origin() -> str | None:
    """The origin the app is served from: its configured public URL's (None when none is configured)."""
    configured = get_settings().public_url
    return origin_of(configured) if configured else None


def served_over_https(request: Request) -> bool:
    """True when the caller reached the app over https: API Gateway says so in X-Forwarded-Proto; a
    deployment whose public URL is https is always reached over https."""
    proto = (request.headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    if proto:
        return proto == "https"
    configured = get_settings().public_url or ""
    return configured.lower().startswith("https://")


def _without_cors(headers: dict[str, str | list[str]]) -> None:
    for name in list(headers):
        if name.lower() in CORS_HEADERS:
            del headers[name]


def _vary_with_origin(vary: object) -> str:
    names = [v.strip() for v in vary.split(",") if v.strip()] if isinstance(vary, str) else []
    if not any(n.lower() == "origin" for n in names):
        names.append("Origin")
    return ", ".join(names)


def _is_api_answer(headers: dict[str, str | list[str]]) -> bool:
    content_type = headers.get("Content-Type") or headers.get("content-type") or ""
    return isinstance(content_type, str) and content_type.split(";")[0].strip().lower() in _API_TYPES


@bp.middleware("http")
def browser_rules(event: Request, get_response: Callable[[Request], Response]) -> Response:
    response = get_response(event)
    headers: dict[str, str | list[str]] = dict(response.headers or {})
    response.headers = headers  # the view's mapping may be shared: never change it in place
    _without_cors(headers)
    origin = event.headers.get("origin")
    own = app_origin()
    if origin and own is not None and origin_of(origin) == own:
        headers["Access-Control-Allow-Origin"] = origin
    headers["Vary"] = _vary_with_origin(headers.get("Vary"))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if _is_api_answer(headers):
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Content-Security-Policy", API_CSP)
    if served_over_https(event):
        headers["Strict-Transport-Security"] = HSTS
    return response
