"""The dashboard and CORS over real HTTP (`chalice local` on the embedded stack): preflights and requests from
another origin are granted nothing; the app's own origin works."""

from __future__ import annotations

import httpx
import pytest

EVIL = "https://evil.example"


@pytest.mark.parametrize("path", ["/api/v1/connections", "/api/v1/orders", "/api/v1/channels", "/qbwc"])
def test_a_preflight_from_another_origin_is_not_granted(local_stack, path):
    response = httpx.request(
        "OPTIONS",
        local_stack.url + path,
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-headers" not in response.headers


def test_a_request_from_another_origin_is_not_granted(local_stack):
    with local_stack.client() as client:
        response = client.get("/api/v1/connections", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in response.headers


def test_the_apps_own_origin_is_granted_and_the_page_is_served(local_stack):
    # The app's origin is its configured public URL (locally http://localhost:<port>), never the Host a request
    # names: the same server reached as 127.0.0.1 is not granted by CORS (a page served from there calls it
    # same-origin and needs no grant).
    public = local_stack.url.replace("127.0.0.1", "localhost")
    with local_stack.client() as client:
        response = client.get("/api/v1/connections", headers={"Origin": public})
        by_host = client.get("/api/v1/connections", headers={"Origin": local_stack.url})
        page = client.get("/")
        script = client.get("/dashboard/app.js")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == public
    assert "access-control-allow-origin" not in by_host.headers
    assert page.status_code == 200 and '<script type="module" src="/dashboard/app.js">' in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
