"""The write-ahead journal's mechanics (ledgerbridge/journal.py) on a small deterministic WSGI app standing in
for moto: journal order is apply order under concurrency, replay rebuilds the same state, a torn or altered
tail is never replayed, secrets are sealed, and which AWS calls are journaled."""

from __future__ import annotations

import json
import os
import stat
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.journal import (
    AwsCall,
    DurableApp,
    Journal,
    journal_path,
    json_request,
    must_journal,
    read_journal,
)
from ledgerbridge.sealed import Sealer


class Counters:
    """A WSGI key-value store with conditional writes and non-idempotent adds, like DynamoDB's."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        op, key = body.get("op"), body.get("key", "")
        with self.lock:
            if op == "add":
                self.values[key] = self.values.get(key, 0) + int(body["by"])
            elif op == "put_if_absent" and key in self.values:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"__type": "ConditionalCheckFailedException"}']
            elif op == "put_if_absent":
                self.values[key] = int(body["by"])
            elif op == "double":
                self.values[key] = self.values.get(key, 0) * 2
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(self.values.get(key)).encode()]


def call(op: str, key: str, by: int = 0) -> dict[str, Any]:
    return json_request("dynamodb", "DynamoDB_20120810.UpdateItem", {"op": op, "key": key, "by": by})


OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "put_if_absent", "double"]), st.sampled_from("abc"), st.integers(-5, 5)
    ),
    min_size=1,
    max_size=40,
)


def run_concurrently(app: DurableApp, ops: list[tuple[str, str, int]], threads: int) -> None:
    from ledgerbridge.journal import call_app, environ_of

    chunks = [ops[i::threads] for i in range(threads)]

    def work(chunk: list[tuple[str, str, int]]) -> None:
        for op, key, by in chunk:
            assert call_app(app, environ_of(call(op, key, by))).status[:3] in ("200", "400")

    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, threads=st.integers(1, 4))
def test_replaying_the_journal_rebuilds_the_state_whatever_the_interleaving(tmp_path_factory, ops, threads):
    state_dir = tmp_path_factory.mktemp("journal")
    sealer = Sealer.for_state_dir(state_dir)
    live = Counters()
    app = DurableApp(live)
    app.journal = Journal(state_dir, sealer, 1)
    run_concurrently(app, ops, threads)
    app.journal.close()

    again = Counters()
    applied, refused = DurableApp(again).replay(read_journal(state_dir, sealer, 1))
    assert again.values == live.values
    assert refused == 0  # a refused conditional write was never journaled
    assert applied == sum(1 for _ in read_journal(state_dir, sealer, 1))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, cut=st.floats(0, 1))
def test_a_torn_tail_replays_a_prefix_and_never_garbage(tmp_path_factory, ops, cut):
    state_dir = tmp_path_factory.mktemp("torn")
    sealer = Sealer.for_state_dir(state_dir)
    app = DurableApp(Counters())
    app.journal = Journal(state_dir, sealer, 7)
    run_concurrently(app, ops, 1)
    app.journal.close()
    whole = list(read_journal(state_dir, sealer, 7))
    path = journal_path(state_dir, 7)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    torn = list(read_journal(state_dir, sealer, 7))
    assert torn == whole[: len(torn)]
    if cut < 1:
        flipped = bytearray(data)
        flipped[-1] ^= 1  # the last record altered: it is dropped, not replayed as something else
        path.write_bytes(bytes(flipped))
        assert list(read_journal(state_dir, sealer, 7)) == whole[:-1]


def test_concurrent_writes_share_fsyncs_and_reads_wait_for_durability(tmp_path):
    sealer = Sealer.for_state_dir(tmp_path)
    live = Counters()
    app = DurableApp(live)
    app.journal = Journal(tmp_path, sealer, 1)
    run_concurrently(app, [("add", "k", 1)] * 200, 8)
    assert live.values == {"k": 200}
    assert app.journal.appended == 200
    assert 1 <= app.journal.fsyncs <= 200
    app.journal.close()


def test_journal_files_are_private_and_hold_no_plain_text(tmp_path):
    old = os.umask(0)
    try:
        sealer = Sealer.for_state_dir(tmp_path)
        app = DurableApp(Counters())
        app.journal = Journal(tmp_path, sealer, 1)
        secret = "store-password-" + os.urandom(8).hex()
        from ledgerbridge.journal import call_app, environ_of

        call_app(app, environ_of(call("add", secret, 1)))
        app.journal.close()
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert secret.encode() not in path.read_bytes()
    # another directory's key cannot read it
    other = Sealer.for_state_dir(tmp_path / "other")
    assert list(read_journal(tmp_path, other, 1)) == []


def test_a_journal_that_cannot_be_written_stops_acknowledging(tmp_path):
    from ledgerbridge.journal import call_app, environ_of

    app = DurableApp(Counters())
    app.journal = Journal(tmp_path, Sealer.for_state_dir(tmp_path), 1)
    app.journal.close()  # every later write fails (EBADF), as a full or failing disk would
    assert call_app(app, environ_of(call("add", "k", 1))).status.startswith("503")
    assert call_app(app, environ_of(call("add", "k", 1))).status.startswith("503")


@pytest.mark.parametrize(
    ("call", "path", "journaled"),
    [
        (AwsCall("dynamodb", "PutItem", "POST"), "/", True),
        (AwsCall("dynamodb", "UpdateItem", "POST"), "/", True),
        (AwsCall("dynamodb", "TransactWriteItems", "POST"), "/", True),
        (AwsCall("dynamodb", "BatchWriteItem", "POST"), "/", True),
        (AwsCall("dynamodb", "CreateTable", "POST"), "/", True),
        (AwsCall("dynamodb", "GetItem", "POST"), "/", False),
        (AwsCall("dynamodb", "Query", "POST"), "/", False),
        (AwsCall("dynamodb", "TransactGetItems", "POST"), "/", False),
        (AwsCall("sqs", "SendMessage", "POST"), "/", True),
        (AwsCall("sqs", "SendMessageBatch", "POST"), "/", True),
        (AwsCall("sqs", "CreateQueue", "POST"), "/", True),
        (AwsCall("sqs", "ReceiveMessage", "POST"), "/", False),
        (AwsCall("sqs", "DeleteMessage", "POST"), "/", False),
        (AwsCall("sqs", "ChangeMessageVisibility", "POST"), "/", False),
        (AwsCall("secretsmanager", "CreateSecret", "POST"), "/", True),
        (AwsCall("secretsmanager", "PutSecretValue", "POST"), "/", True),
        (AwsCall("secretsmanager", "DeleteSecret", "POST"), "/", True),
        (AwsCall("secretsmanager", "GetSecretValue", "POST"), "/", False),
        (AwsCall("scheduler", "", "POST"), "/schedules/channel-1", True),
        (AwsCall("scheduler", "", "PUT"), "/schedules/channel-1", True),
        (AwsCall("scheduler", "", "DELETE"), "/schedules/channel-1", True),
        (AwsCall("scheduler", "", "GET"), "/schedules/channel-1", False),
        (AwsCall("", "", "POST"), "/moto-api/reset", False),
    ],
)
def test_which_calls_are_journaled(call, path, journaled):
    assert must_journal(call, path) is journaled


def test_the_calls_boto3_sends_are_recognised(tmp_path):
    """Real botocore requests (JSON protocols and Scheduler's REST) through a recording app."""
    import boto3
    from werkzeug.serving import make_server

    seen: list[tuple[str, str]] = []

    def recorder(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        from ledgerbridge.journal import describe, read_body

        body = read_body(environ)
        found = describe(environ, body)
        seen.append((found.service, found.action or found.method))
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
        return [b'{"__type": "ValidationException", "message": "recorded"}']

    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    try:
        for service, method, kwargs in [
            ("dynamodb", "put_item", {"TableName": "t", "Item": {"k": {"S": "v"}}}),
            ("sqs", "send_message", {"QueueUrl": endpoint + "/123456789012/q", "MessageBody": "x"}),
            ("secretsmanager", "create_secret", {"Name": "s", "SecretString": "x"}),
        ]:
            client = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")
            client.meta.config.retries = {"max_attempts": 0}
            with pytest.raises(Exception):  # noqa: B017 - the recorder refuses everything
                getattr(client, method)(**kwargs)
    finally:
        server.shutdown()
        thread.join()
    assert ("dynamodb", "PutItem") in seen
    assert ("sqs", "SendMessage") in seen
    assert ("secretsmanager", "CreateSecret") in seen
