"""Pages for people: the dashboard at / (static files in chalicelib/dashboard/) and the support page the
.qwc file's AppSupport points to.

The dashboard is plain HTML, CSS and JavaScript modules, read from the package directory (so `chalice
package` ships them) and served only from a fixed list of file names. Its Content-Security-Policy allows
scripts, styles and calls from this origin alone, with no inline script or style anywhere, and requires
Trusted Types, so no string can ever be written into the page as HTML.
"""

from __future__ import annotations

import hashlib
from functools import cache
from html import escape
from pathlib import Path
from typing import NamedTuple

from chalice.app import Blueprint, Response

from chalicelib.settings import get_settings

bp = Blueprint(__name__)

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Every file the dashboard is made of; nothing else under /dashboard/ is ever read.
ASSETS = frozenset(
    {
        "app.js",
        "api.js",
        "dom.js",
        "connections.js",
        "channels.js",
        "accounting.js",
        "tasks.js",
        "orders.js",
        "rules.js",
        "outbound.js",
        "sync.js",
        "sales.js",
        "keys.js",
        "manage.js",
        "setup.js",
        "app.css",
        "favicon.svg",
    }
)
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class StaticFile(NamedTuple):
    """A dashboard file as served: its text, its type and its ETag."""

    body: str
    content_type: str
    etag: str


@cache
def static_file(name: str) -> StaticFile:
    """One of the dashboard's files (cached for the life of the process: they change only with a deploy)."""
    body = (DASHBOARD_DIR / name).read_text(encoding="utf-8")
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return StaticFile(body, CONTENT_TYPES[Path(name).suffix], etag)


def _serve(name: str) -> Response:
    found = static_file(name)
    # Always revalidated (no build step gives the files versioned names), answered 304 when unchanged.
    headers: dict[str, str | list[str]] = {
        **SECURITY_HEADERS,
        "Content-Type": found.content_type,
        "Cache-Control": "no-cache",
        "ETag": found.etag,
    }
    if_none_match = bp.current_request.headers.get("if-none-match", "")
    if found.etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)


def _not_found() -> Response:
    return Response(
        body="Not found",
        status_code=404,
        headers={
            **SECURITY_HEADERS,
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/", methods=["GET"])
def home() -> Response:
    return _serve("index.html")


@bp.route("/dashboard/{name}", methods=["GET"])
def dashboard_file(name: str) -> Response:
    if name not in ASSETS:  # an allowlist: no path ever reaches the file system from the URL
        return _not_found()
    return _serve(name)


@bp.route("/support", methods=["GET"])
def support() -> Response:
    name = escape(get_settings().app_name)
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{name} support</title><link rel='stylesheet' href='/dashboard/app.css'></head>"
        f"<body class='page'><main><h1>{name} support</h1>"
        "<p>If the Web Connector shows an error for this application:</p><ul>"
        "<li><strong>QuickBooks is not open / could not start</strong>: open the company file in QuickBooks "
        "(or allow unattended access) and click <em>Update Selected</em> again.</li>"
        "<li><strong>Invalid user or password</strong>: generate a new password in Ledgerbridge and enter it "
        "in the Web Connector's Password column.</li>"
        "<li><strong>Wrong company file</strong>: open the company file this connection was paired with.</li>"
        "</ul><p>Each connection's status in the <a href='/'>dashboard</a> names the last problem in plain "
        "words.</p></main></body></html>"
    )
    return Response(
        body=html,
        status_code=200,
        headers={**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"},
    )
