from __future__ import annotations

from chalicelib.dal import tenants


def test_key_is_shown_once_and_stored_only_as_a_hash(api):
    created = api.json("POST", "/api/v1/api-keys", {"label": "warehouse"}, expect=201)
    assert created["key"].startswith("lbk_") and created["label"] == "warehouse"
    listed = api.json("GET", "/api/v1/api-keys")["api_keys"]
    assert {k["id"] for k in listed} >= {created["id"]}
    assert all("key" not in k for k in listed)
    # Only the hash is stored: the key itself is nowhere in the record.
    stored = next(m for m in tenants.ApiKeyModel.scan() if m.key_id == created["id"])
    assert created["key"] not in str(stored.attribute_values)
    assert api.json("GET", "/api/v1/api-keys", key=created["key"])["api_keys"]


def test_revoked_key_stops_working_at_once(api):
    created = api.json("POST", "/api/v1/api-keys", {}, expect=201)
    revoked = api.json("DELETE", f"/api/v1/api-keys/{created['id']}")
    assert revoked["active"] is False and revoked["revoked_at"]
    response = api.call("GET", "/api/v1/connections", key=created["key"])
    assert response.status_code == 401
    assert b"not valid" in response.body


def test_missing_or_malformed_authorization_is_401_with_a_message(api):
    assert api.client.http.get("/api/v1/connections").status_code == 401
    r = api.client.http.get("/api/v1/connections", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and b"Bearer" in r.body
    assert api.call("GET", "/api/v1/connections", key="lbk_made_up_key_value").status_code == 401


def test_another_tenants_key_cannot_be_revoked(api, other_api):
    created = other_api.json("POST", "/api/v1/api-keys", {}, expect=201)
    assert api.call("DELETE", f"/api/v1/api-keys/{created['id']}").status_code == 404
    assert other_api.json("GET", "/api/v1/api-keys", key=created["key"])


def test_invalid_fields_are_named(api):
    body = api.json("POST", "/api/v1/api-keys", {"label": 5, "colour": "red"}, expect=400)
    assert body["details"]["fields"] == {"label": "must be a string", "colour": "unknown field"}
