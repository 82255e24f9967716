from __future__ import annotations

import json

from chalicelib.dal.models import ALL_MODELS


def test_health_is_200_when_storage_answers(chalice_client):
    response = chalice_client.http.get("/health")
    assert response.status_code == 200 and json.loads(response.body) == {"status": "ok"}


def test_health_is_503_naming_what_is_missing(chalice_client):
    model = ALL_MODELS[0]
    real = model.Meta.table_name
    model.Meta.table_name = real + "-missing"
    model._connection = None
    try:
        response = chalice_client.http.get("/health")
    finally:
        model.Meta.table_name = real
        model._connection = None
    assert response.status_code == 503
    body = json.loads(response.body)
    assert body["status"] == "unavailable" and body["problems"] == [f"table {real}-missing is missing"]
