"""`make run`'s stack: it starts from nothing, prints what a user needs, and keeps state across restarts."""

from __future__ import annotations

import os

import httpx

from tests.conftest import start_stack, stop_stack


def test_state_survives_a_restart(tmp_path):
    key = "lbk_restart_" + os.urandom(8).hex()
    state = tmp_path / "fresh-clone" / ".local"  # does not exist yet, as in a fresh clone
    stack = start_stack(state, api_key=key)
    try:
        log = stack.log.read_text()
        assert "Web Connector URL:" in log and f"API key:            {key}" in log
        with stack.client() as client:
            created = client.post("/api/v1/connections", json={"name": "Survivor"}).json()
            client.post(f"/api/v1/connections/{created['id']}/refresh")
            assert client.get("/health").json() == {"status": "ok"}
    finally:
        stop_stack(stack)
    assert stack.process.returncode == 0
    assert (state / "state.json").exists()

    again = start_stack(state, api_key=key)
    try:
        with again.client() as client:
            names = [c["name"] for c in client.get("/api/v1/connections").json()["connections"]]
            assert names == ["Survivor"]
        # the queued job came back too
        import boto3

        sqs = boto3.client(
            "sqs",
            endpoint_url=again.moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        url = sqs.get_queue_url(QueueName=f"ledgerbridge-local-conn-{created['id']}")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
    finally:
        stop_stack(again)


def test_a_generated_key_is_kept_between_runs(tmp_path):
    from tests.conftest import _free_port

    stack = start_stack(tmp_path, api_key="", port=_free_port())
    try:
        key = (tmp_path / "api-key").read_text().strip()
        assert key.startswith("lbk_") and key in stack.log.read_text()
    finally:
        stop_stack(stack)
    again = start_stack(tmp_path, api_key="")
    try:
        assert (
            httpx.get(
                again.url + "/api/v1/connections", headers={"Authorization": f"Bearer {key}"}
            ).status_code
            == 200
        )
    finally:
        stop_stack(again)
