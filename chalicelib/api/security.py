"""Browser-facing rules every HTTP answer follows: CORS limited to the app's own origin, no MIME sniffing.

The dashboard is served by the app itself, so its calls are same-origin and need no CORS at all. No route
enables Chalice's CORS (so API Gateway and `chalice local` answer preflights without
Access-Control-Allow-Origin); this middleware makes sure no answer ever grants another origin, whatever a
view sets, and names the app's own origin when a same-origin request carries an Origin header.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from chalice.app import Blueprint, Request, Response

from chalicelib.api.http import public_base_url

bp = Blueprint(__name__)

CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-expose-headers",
    "access-control-max-age",
)


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


def app_origins(request: Request) -> set[str]:
    """The origins the app is served from: its public URL, and the host the request was sent to."""
    found = {origin_of(public_base_url(request))}
    host = request.headers.get("host")
    if host:
        proto = request.headers.get("x-forwarded-proto") or (
            "http" if host.startswith(("localhost", "127.")) else "https"
        )
        found.add(origin_of(f"{proto}://{host}"))
    return {o for o in found if o}


def _without_cors(response: Response) -> None:
    for name in list(response.headers):
        if name.lower() in CORS_HEADERS:
            del response.headers[name]


@bp.middleware("http")
def browser_rules(event: Request, get_response: Callable[[Request], Response]) -> Response:
    response = get_response(event)
    _without_cors(response)
    origin = event.headers.get("origin")
    if origin and origin_of(origin) is not None and origin_of(origin) in app_origins(event):
        response.headers["Access-Control-Allow-Origin"] = origin
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Origin" if isinstance(vary, str) and vary else "Origin"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
