from __future__ import annotations

import json

from lxml import etree

from chalicelib.aws import WorkQueue
from chalicelib.credentials import verify_password
from chalicelib.dal import connections


def create(api, name="Blue Heron", **extra):
    return api.json("POST", "/api/v1/connections", {"name": name, **extra}, expect=201)


def test_create_list_get_delete(api):
    conn = create(api, run_every_minutes=5)
    assert conn["run_every_minutes"] == 5 and conn["username"] == f"lb-{conn['id']}"
    assert conn["status"]["state"] == "needs_password"
    assert [c["id"] for c in api.json("GET", "/api/v1/connections")["connections"]] == [conn["id"]]
    assert api.json("GET", f"/api/v1/connections/{conn['id']}")["name"] == "Blue Heron"
    queue = WorkQueue(conn["id"])
    assert (
        queue.visible_count() == 0
    )  # its queue exists, tagged with whose it is (made at run time, not by the stack)
    tags = queue._sqs.list_queue_tags(QueueUrl=queue.url)["Tags"]
    assert tags["ledgerbridge:connection"] == conn["id"] and tags["ledgerbridge:tenant"] == api.tenant_id
    dlq_url = queue._sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]
    assert queue._sqs.list_queue_tags(QueueUrl=dlq_url)["Tags"] == tags
    api.json("DELETE", f"/api/v1/connections/{conn['id']}")
    assert api.call("GET", f"/api/v1/connections/{conn['id']}").status_code == 404
    assert api.json("GET", "/api/v1/connections")["connections"] == []


def test_other_tenants_connection_is_404_everywhere(api, other_api):
    conn = create(other_api)
    for method, suffix in [
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/qwc"),
        ("POST", "/password"),
        ("GET", "/status"),
        ("POST", "/refresh"),
        ("GET", "/accounts"),
        ("GET", "/sync-runs"),
    ]:
        response = api.call(
            method, f"/api/v1/connections/{conn['id']}{suffix}", {} if method == "POST" else None
        )
        assert response.status_code == 404, (method, suffix, response.body)
    assert other_api.json("GET", f"/api/v1/connections/{conn['id']}")["id"] == conn["id"]


def test_qwc_download(api):
    conn = create(api, name="Blue Heron Outfitters", run_every_minutes=30)
    response = api.call("GET", f"/api/v1/connections/{conn['id']}/qwc")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="ledgerbridge-blue-heron-outfitters.qwc"'
    )
    doc = etree.fromstring(response.body)
    text = {child.tag: child.text for child in doc}
    assert text["AppURL"] == "http://localhost:8000/qbwc"
    assert text["AppSupport"] == "http://localhost:8000/support"
    assert text["UserName"] == conn["username"]
    assert text["QBType"] == "QBFS" and text["Style"] == "Document" and text["IsReadOnly"] == "false"
    assert text["OwnerID"].startswith("{") and text["FileID"].startswith("{")
    assert doc.findtext("Scheduler/RunEveryNMinutes") == "30"
    # One OwnerID per deployment, one FileID per connection.
    other = etree.fromstring(api.call("GET", f"/api/v1/connections/{create(api, 'B')['id']}/qwc").body)
    assert other.findtext("OwnerID") == text["OwnerID"] and other.findtext("FileID") != text["FileID"]


def test_qwc_refuses_plain_http_on_a_public_host(api, monkeypatch):
    from chalicelib.settings import get_settings

    conn = create(api)
    monkeypatch.setenv("LEDGERBRIDGE_PUBLIC_URL", "http://sync.example.com")
    get_settings.cache_clear()
    try:
        response = api.call("GET", f"/api/v1/connections/{conn['id']}/qwc")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert response.status_code == 400
    assert b"https" in response.body


def test_password_is_shown_once_hashed_and_replaced(api):
    conn = create(api)
    first = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)
    second = api.json("POST", f"/api/v1/connections/{conn['id']}/password", expect=201)
    assert first["password"] != second["password"] and len(second["password"]) >= 24
    stored = connections.get(conn["id"])
    assert stored is not None and stored.password_hash is not None
    assert second["password"] not in stored.password_hash and stored.password_hash.startswith("sha256$")
    assert verify_password(second["password"], stored.password_hash)
    assert not verify_password(first["password"], stored.password_hash)
    assert "password" not in json.dumps(api.json("GET", f"/api/v1/connections/{conn['id']}")).replace(
        "password_set", ""
    )


def test_bad_json_and_bad_fields_are_clear_400s_and_store_nothing(api):
    r = api.call("POST", "/api/v1/connections", raw=b"{bad json")
    assert r.status_code == 400 and b"not valid JSON" in r.body
    r = api.call("POST", "/api/v1/connections", raw=b"[1, 2]")
    assert r.status_code == 400 and b"JSON object" in r.body
    body = api.json(
        "POST", "/api/v1/connections", {"name": "", "run_every_minutes": 0, "extra": 1}, expect=400
    )
    assert body["details"]["fields"] == {
        "name": "must not be empty",
        "run_every_minutes": "must be between 1 and 1440",
        "extra": "unknown field",
    }
    api.json("POST", "/api/v1/connections", {"name": "x" * 81}, expect=400)
    api.json("POST", "/api/v1/connections", {"name": "ok", "run_every_minutes": "5"}, expect=400)
    assert api.json("GET", "/api/v1/connections")["connections"] == []


def test_unknown_list_and_query_parameters_are_400(api):
    conn = create(api)
    assert api.call("GET", f"/api/v1/connections/{conn['id']}/lists/vendors").status_code == 400
    assert api.call("GET", f"/api/v1/connections/{conn['id']}/accounts?colour=red").status_code == 400


def test_refresh_queues_a_job(api):
    conn = create(api)
    job = api.json("POST", f"/api/v1/connections/{conn['id']}/refresh", expect=202)
    assert job["kind"] == "refresh_company_lists"
    assert WorkQueue(conn["id"]).visible_count() == 1
