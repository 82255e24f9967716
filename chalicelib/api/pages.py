"""Pages for people: the landing page at / and the support page the .qwc file's AppSupport points to."""

from __future__ import annotations

from html import escape

from chalice.app import Blueprint, Response

from chalicelib.api.http import public_base_url
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
HTML: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def _page(title: str, body: str) -> Response:
    html = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;line-height:1.5}"
        "code{background:#f3f3f3;padding:0 .2rem}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(body=html, status_code=200, headers=HTML)


@bp.route("/", methods=["GET"])
def home() -> Response:
    base = escape(public_base_url(bp.current_request))
    name = escape(get_settings().app_name)
    return _page(
        name,
        "<p>Connect your online stores with QuickBooks Desktop through the QuickBooks Web Connector.</p>"
        "<ol><li>Create a connection: <code>POST /api/v1/connections</code></li>"
        "<li>Download its <code>.qwc</code> file: <code>GET /api/v1/connections/{id}/qwc</code></li>"
        "<li>Generate the Web Connector password: <code>POST /api/v1/connections/{id}/password</code></li>"
        '<li>Open the .qwc in the Web Connector, allow access ("Yes, always"), enter the password, '
        "click <em>Update Selected</em>.</li>"
        "<li>Watch it connect: <code>GET /api/v1/connections/{id}/status</code></li></ol>"
        f"<p>Web Connector endpoint: <code>{base}/qbwc</code> · health: <a href='{base}/health'>/health</a></p>",
    )


@bp.route("/support", methods=["GET"])
def support() -> Response:
    name = escape(get_settings().app_name)
    return _page(
        f"{name} support",
        "<p>If the Web Connector shows an error for this application:</p><ul>"
        "<li><strong>QuickBooks is not open / could not start</strong>: open the company file in QuickBooks "
        "(or allow unattended access) and click <em>Update Selected</em> again.</li>"
        "<li><strong>Invalid user or password</strong>: generate a new password in Ledgerbridge and enter it "
        "in the Web Connector's Password column.</li>"
        "<li><strong>Wrong company file</strong>: open the company file this connection was paired with.</li>"
        "</ul><p>Each connection's status page names the last problem in plain words.</p>",
    )
