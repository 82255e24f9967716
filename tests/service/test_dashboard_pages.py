"""The dashboard's files as the app serves them: content types, caching, the Content-Security-Policy, the
allowlist that keeps every other path away from the file system, and CORS limited to the app's origin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.api import pages
from chalicelib.api.openapi import spec_template
from chalicelib.api.security import origin_of

DASHBOARD = Path(pages.DASHBOARD_DIR)
APP_ORIGIN = "http://localhost:8000"  # LEDGERBRIDGE_PUBLIC_URL in tests/conftest.py


def directives(csp: str) -> dict[str, list[str]]:
    found = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def test_the_dashboard_is_served_at_the_root_with_a_strict_csp(chalice_client):
    response = chalice_client.http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.body.decode() == (DASHBOARD / "index.html").read_text()
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["require-trusted-types-for"] == ["'script'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("connections.js", "text/javascript; charset=utf-8"),
        ("outbound.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_assets_have_their_content_type_and_revalidate_by_etag(chalice_client, name, content_type):
    response = chalice_client.http.get(f"/dashboard/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.body.decode() == (DASHBOARD / name).read_text()
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again = chalice_client.http.get(f"/dashboard/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.body in (b"", None)
    stale = chalice_client.http.get(f"/dashboard/{name}", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_every_file_of_the_dashboard_is_served_and_nothing_else():
    on_disk = {p.name for p in DASHBOARD.iterdir() if p.is_file()}
    assert on_disk == set(pages.ASSETS) | {"index.html"}
    imported = set()
    for script in DASHBOARD.glob("*.js"):
        imported |= set(re.findall(r'from "\./([\w.]+)"', script.read_text()))
    assert imported and imported <= set(pages.ASSETS)


def test_no_inline_script_or_style_and_no_html_sinks():
    index = (DASHBOARD / "index.html").read_text()
    assert "<style" not in index and " style=" not in index
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", index, re.S):
        assert 'src="' in script[0] and not script[1].strip()
    assert not re.search(r"\son\w+=", index)  # no inline event handlers
    for script in DASHBOARD.glob("*.js"):
        text = script.read_text()
        for sink in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert sink not in text, f"{script.name} uses {sink}"
        assert ".style" not in text and 'setAttribute("style"' not in text, script.name


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/..%2Fapi%2Fpages.py",
        "/dashboard/%2e%2e%2f%2e%2e%2fapp.py",
        "/dashboard/..%5C..%5Capp.py",
        "/dashboard/index.html",
        "/dashboard/app.js.map",
        "/dashboard/APP.JS",
        "/dashboard/%00app.js",
        "/dashboard/",
        "/dashboard/../app.py",
    ],
)
def test_paths_outside_the_allowlist_are_not_found(chalice_client, path):
    response = chalice_client.http.get(path)
    assert response.status_code in (403, 404)
    body = response.body.decode(errors="replace")
    assert "import" not in body and "Blueprint" not in body


@pytest.mark.parametrize(
    "name", ["../api/pages.py", "../../app.py", "/etc/passwd", "app.js/../../app.py", ""]
)
def test_the_view_never_reads_a_name_outside_the_allowlist(name, monkeypatch):
    read = []
    monkeypatch.setattr(pages, "static_file", read.append)
    response = pages.dashboard_file(name)
    assert response.status_code == 404 and read == []


def test_support_page_uses_the_stylesheet_and_the_same_csp(chalice_client):
    response = chalice_client.http.get("/support")
    assert response.status_code == 200
    body = response.body.decode()
    assert "Update Selected" in body and "/dashboard/app.css" in body
    assert "<style" not in body and "style=" not in body
    assert response.headers["Content-Security-Policy"] == pages.CSP


def _rest_get_paths() -> list[str]:
    paths = [p for p, ops in spec_template()["paths"].items() if "get" in ops]
    return [re.sub(r"\{[^}]+\}", "x", p) for p in paths] + [
        "/",
        "/support",
        "/dashboard/app.js",
        "/qbwc?wsdl",
    ]


@pytest.mark.parametrize("path", _rest_get_paths())
def test_another_origin_is_never_granted(api, path):
    for origin in (
        "https://evil.example",
        "null",
        "http://localhost:8000.evil.example",
        "http://localhost:8001",
    ):
        response = api.client.http.get(path, headers={"Authorization": f"Bearer {api.key}", "Origin": origin})
        granted = {k.lower() for k in response.headers} & {
            "access-control-allow-origin",
            "access-control-allow-credentials",
        }
        assert not granted, (path, origin, response.headers)
        assert "Origin" in response.headers.get("Vary", "")


def test_a_view_that_sets_cors_headers_is_overruled_for_other_origins(chalice_client):
    from chalice.app import Response

    from chalicelib.api import security

    def view(_request):
        return Response(
            body="", headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
        )

    class FakeRequest:
        headers = {"origin": "https://evil.example", "host": "localhost:8000"}
        context: dict[str, str] = {}
        path = "/"

    response = security.browser_rules(FakeRequest(), view)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_the_apps_own_origin_works(api):
    response = api.client.http.get(
        "/api/v1/connections", headers={"Authorization": f"Bearer {api.key}", "Origin": APP_ORIGIN}
    )
    assert response.status_code == 200 and "connections" in json.loads(response.body)
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    same_host = api.client.http.get(
        "/api/v1/connections",
        headers={
            "Authorization": f"Bearer {api.key}",
            "Origin": "http://127.0.0.1:9000",
            "Host": "127.0.0.1:9000",
        },
    )
    assert same_host.status_code == 200
    # The origin comes from the configured public URL only, never from the Host header the caller chose.
    assert "Access-Control-Allow-Origin" not in same_host.headers


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://localhost:8000/x", "http://localhost:8000"),
        ("HTTPS://Example.COM:443/", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("null", None),
        ("javascript:alert(1)", None),
        ("http://example.com:99999", None),
    ],
)
def test_origins_are_compared_in_normal_form(url, origin):
    assert origin_of(url) == origin
