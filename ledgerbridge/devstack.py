"""The embedded local stack behind `make run`: moto server on loopback plus `chalice local`.

The app runs unchanged: only `AWS_ENDPOINT_URL` (and dummy credentials) differ from AWS. Moto keeps state in
memory; this process makes it durable as DynamoDB would be. Every acknowledged write is first appended to a
write-ahead journal and fsync-ed (`ledgerbridge.journal`: what is journaled and why it replays), and every
few seconds (and on exit) a checkpoint writes `<state dir>/state.json` and starts a new journal. At start the
checkpoint is restored (DynamoDB items and secrets through the public API, SQS messages from moto's queue
backend, since reading them through the API would count as receives) and the journal replayed. The state
file, the journal and the key that seals both (`ledgerbridge.sealed`) are 0600 and hold no plain text.
`LEDGERBRIDGE_LOCAL_JOURNAL=off` turns the journal off (checkpoints only), for the benchmark only.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from werkzeug.serving import BaseWSGIServer, make_server

from ledgerbridge.journal import (
    DurableApp,
    Journal,
    journal_generations,
    journal_path,
    json_request,
    read_journal,
)
from ledgerbridge.sealed import Sealer, create_private, replace_private

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = PROJECT_DIR / ".local"
LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "us-east-1"
SNAPSHOT_SECONDS = 3.0
STATE_VERSION = 2
STATE_PURPOSE = b"ledgerbridge-state/2"
JOURNAL_SETTING = "LEDGERBRIDGE_LOCAL_JOURNAL"
CHECKPOINT_SETTING = "LEDGERBRIDGE_LOCAL_CHECKPOINT_SECONDS"


def journal_enabled() -> bool:
    """The journal is on unless LEDGERBRIDGE_LOCAL_JOURNAL=off (for the benchmark only: without it a crash
    loses the writes since the last checkpoint)."""
    return os.environ.get(JOURNAL_SETTING, "on").strip().lower() not in ("off", "0", "false", "no")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def local_environment(moto_endpoint: str, app_url: str) -> dict[str, str]:
    """The environment that points the app, the CLI and boto3 at the embedded stack."""
    return {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "LEDGERBRIDGE_STAGE": "local",
        "LEDGERBRIDGE_PUBLIC_URL": app_url,
        # Stores on this machine (the fakes) may be called; in AWS store URLs must be public.
        "LEDGERBRIDGE_ALLOW_PRIVATE_STORE_URLS": "true",
    }


def stack_file(state_dir: Path) -> Path:
    return state_dir / "stack.json"


def running_stack(state_dir: Path = DEFAULT_STATE_DIR) -> dict[str, str] | None:
    """The environment of a local stack started from this checkout, if one is answering."""
    path = stack_file(state_dir)
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    try:
        httpx.get(info["AWS_ENDPOINT_URL"] + "/moto-api/", timeout=1.0)
    except httpx.HTTPError:
        return None
    return {k: str(v) for k, v in info.items()}


def wire_value(value: Any) -> dict[str, Any]:
    """A moto DynamoType in DynamoDB's wire format (binary as base64), copied."""
    kind, raw = value.type, value.value
    if kind == "M":
        return {"M": {k: wire_value(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [wire_value(v) for v in raw]}
    if kind == "B":
        return {"B": _b64(raw)}
    if kind == "BS":
        return {"BS": [_b64(v) for v in raw]}
    return {kind: list(raw) if isinstance(raw, list) else raw}


def _b64(raw: Any) -> str:
    return base64.b64encode(raw).decode("ascii") if isinstance(raw, bytes) else str(raw)


class EmbeddedAws:
    """Moto server in this process, made durable: a write-ahead journal of every acknowledged write
    (`ledgerbridge.journal`) and checkpoints of what the app stores, both sealed (`ledgerbridge.sealed`)."""

    def __init__(self, state_dir: Path, port: int | None = None, *, journal: bool | None = None) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from ledgerbridge.moto_dynamodb import freeze_survivors, install

        install()  # a faster DynamoDB (ledgerbridge/moto_dynamodb.py)
        freeze_survivors()  # no pause of a second to walk every stored item again
        self.state_dir = state_dir
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.journal_on = journal_enabled() if journal is None else journal
        self.app = DurableApp(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._sealer: Sealer | None = None
        self._generation = 0  # the journal a restart replays from
        self._checkpointed_seq = -1
        self._last_snapshot = ""
        self.replayed = (0, 0)  # journal records applied again at start, and refused (already there)

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer.for_state_dir(self.state_dir)
        return self._sealer

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._server = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        journal, self.app.journal = self.app.journal, None
        if journal is not None:
            journal.close()

    def provision(self) -> None:
        """Create every table, the fetch queue, the schedule group and the work queue of every connection
        (idempotent)."""
        from chalicelib.aws import WorkQueue, provision_shared
        from chalicelib.dal import connections
        from chalicelib.dal.tables import create_tables

        create_tables()
        provision_shared()
        for conn in connections.list_all():
            WorkQueue(conn.connection_id).create()

    # --- checkpoint ---------------------------------------------------------------------------
    def snapshot(self) -> bool:
        """Checkpoint: write the state file if anything changed (True when written) and start a new
        journal, atomically with respect to journaled writes (see `ledgerbridge.journal`)."""
        with self.app.apply_lock:
            journal = self.app.journal
            seq = journal.appended if journal is not None else 0
            text = json.dumps(self._dump_state(), sort_keys=True)
            if text == self._last_snapshot and seq == self._checkpointed_seq and self._generation:
                return False
            if journal is not None:
                generation = journal.rotate()
            else:
                generation = max([self._generation, *journal_generations(self.state_dir)]) + 1
                if self.journal_on:
                    self.app.journal = Journal(self.state_dir, self.sealer, generation)
            self._generation = generation
            self._last_snapshot, self._checkpointed_seq = text, seq
        envelope = {
            "version": STATE_VERSION,
            "journal": generation,
            "sealed": base64.b64encode(
                self.sealer.seal(zlib.compress(text.encode(), 1), STATE_PURPOSE)
            ).decode(),
        }
        replace_private(self.snapshot_path, json.dumps(envelope).encode())
        for older in journal_generations(self.state_dir):
            if older < generation:
                journal_path(self.state_dir, older).unlink(missing_ok=True)
        return True

    def _dump_state(self) -> dict[str, Any]:
        """Everything the app stores, read from moto's backends in memory (fast, and no HTTP call: the
        caller holds the apply lock)."""
        return {
            "dynamodb": self._dump_tables(),
            "sqs": self._dump_queues(),
            "schedules": self._dump_schedules(),
            "secrets": self._dump_secrets(),
            "kms_keys": self._dump_keys(),
        }

    def _load(self) -> tuple[dict[str, Any] | None, int]:
        """The last checkpoint and the journal generation to replay from (a version 1 file is plain JSON
        without a journal; it is sealed at the first checkpoint)."""
        if not self.snapshot_path.exists():
            return None, 0
        raw: dict[str, Any] = json.loads(self.snapshot_path.read_bytes())
        if raw.get("version") == 1:
            return raw, 0
        plain = zlib.decompress(self.sealer.open(base64.b64decode(raw["sealed"]), STATE_PURPOSE))
        state: dict[str, Any] = json.loads(plain)
        return state, int(raw["journal"])

    def restore(self) -> int:
        """Load the last checkpoint into the (empty) stack, replay the journal written since, provision it,
        and checkpoint (which starts journaling). Returns the number of records restored."""
        state, generation = self._load()
        count = self._restore_state(state) if state is not None else 0
        if state is None:
            self.provision()
        applied = refused = 0
        for gen in journal_generations(self.state_dir):
            if gen >= generation:
                done, skipped = self.app.replay(read_journal(self.state_dir, self.sealer, gen))
                applied, refused = applied + done, refused + skipped
        if applied:
            self.provision()  # connections made since the checkpoint get their queues (idempotent)
        self.replayed = (applied, refused)
        self._generation = 0
        self.snapshot()
        return count + applied

    def _restore_state(self, state: dict[str, Any]) -> int:
        ddb = self._client("dynamodb")
        count = 0
        existing = set(ddb.list_tables()["TableNames"])
        for table, items in state.get("dynamodb", {}).items():
            if table not in existing:
                continue
            # in DynamoDB's wire format (binary values stay base64), straight into moto
            batches = (
                json_request(
                    "dynamodb",
                    "DynamoDB_20120810.BatchWriteItem",
                    {"RequestItems": {table: [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]}},
                )
                for i in range(0, len(items), 25)
            )
            _, refused = self.app.replay(batches)
            if refused:
                raise RuntimeError(f"{refused} batches of {table} could not be restored")
            count += len(items)
        self._restore_keys(state.get("kms_keys", []))  # before provision makes a new one
        self.provision()  # the connections' queues, before their messages go back in
        sqs = self._client("sqs")
        for queue, bodies in state.get("sqs", {}).items():
            try:
                url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            except sqs.exceptions.QueueDoesNotExist:
                continue
            for body in bodies:
                sqs.send_message(QueueUrl=url, MessageBody=body)
                count += 1
        count += self._restore_schedules(state.get("schedules", []))
        sm = self._client("secretsmanager")
        for name, value in state.get("secrets", {}).items():
            sm.create_secret(Name=name, SecretString=value)
            count += 1
        return count

    def _dump_schedules(self) -> list[dict[str, Any]]:
        from datetime import UTC, datetime

        from moto.scheduler.models import scheduler_backends

        backend = scheduler_backends[LOCAL_ACCOUNT][LOCAL_REGION]
        out = []
        for group in backend.schedule_groups.values():
            for schedule in group.schedules.values():
                item: dict[str, Any] = {
                    "Name": schedule.name,
                    "GroupName": schedule.group_name,
                    "ScheduleExpression": schedule.schedule_expression,
                    "State": schedule.state,
                    "Target": json.loads(json.dumps(schedule.target)),
                }
                if schedule.description:
                    item["Description"] = schedule.description
                start = schedule.start_date
                item["StartDate"] = datetime.fromtimestamp(float(start), UTC).isoformat() if start else None
                out.append(item)
        return sorted(out, key=lambda i: str(i["Name"]))

    def _restore_schedules(self, schedules: list[dict[str, Any]]) -> int:
        from datetime import datetime

        scheduler = self._client("scheduler")
        for item in schedules:
            group = item.get("GroupName") or "default"
            if group != "default":
                with contextlib.suppress(scheduler.exceptions.ConflictException):
                    scheduler.create_schedule_group(Name=group)
            start = item.pop("StartDate", None)
            extra = {"StartDate": datetime.fromisoformat(start)} if start else {}
            scheduler.create_schedule(FlexibleTimeWindow={"Mode": "OFF"}, **item, **extra)
        return len(schedules)

    def _dump_secrets(self) -> dict[str, str]:
        from moto.secretsmanager.models import secretsmanager_backends

        backend = secretsmanager_backends[LOCAL_ACCOUNT][LOCAL_REGION]
        out = {}
        for secret in backend.secrets.values():
            value = getattr(secret, "secret_string", None)
            if value is not None and not secret.is_deleted():
                out[str(secret.name)] = str(value)
        return out

    def _dump_keys(self) -> list[dict[str, Any]]:
        """The local KMS keys with an alias (the channel credentials' key: chalicelib.aws.CredentialsKey):
        id, aliases and key material, so the data keys it wrapped still open after a restart. Only in the
        sealed state, like the secrets."""
        from moto.kms.models import kms_backends

        backend = kms_backends[LOCAL_ACCOUNT][LOCAL_REGION]
        return [
            {"id": key.id, "aliases": sorted(key.aliases), "material": _b64(key.key_material)}
            for key in backend.keys.values()
            if key.aliases
        ]

    def _restore_keys(self, keys: list[dict[str, Any]]) -> int:
        """Moto's KMS cannot import a key under a given id: the key is made, then given the saved id and
        material (the id is inside every ciphertext the key made)."""
        from moto.kms.models import kms_backends

        backend = kms_backends[LOCAL_ACCOUNT][LOCAL_REGION]
        for saved in keys:
            if saved["id"] in backend.keys:
                continue
            key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "restored", None)
            backend.keys.pop(key.id)
            key.arn = key.arn.removesuffix(key.id) + saved["id"]
            key.id = saved["id"]
            key.key_material = base64.b64decode(saved["material"])
            backend.keys[key.id] = key
            for alias in saved["aliases"]:
                if backend.alias_exists(alias):
                    backend.delete_alias(alias)
                backend.create_alias(key.id, alias)
        return len(keys)

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=LOCAL_REGION)

    def _dump_tables(self) -> dict[str, list[dict[str, Any]]]:
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[LOCAL_ACCOUNT][LOCAL_REGION]
        out: dict[str, list[dict[str, Any]]] = {}
        for name, table in backend.tables.items():
            # all_items is in key order, so equal tables dump equal text
            out[name] = [{k: wire_value(v) for k, v in item.attrs.items()} for item in table.all_items()]
        return out

    def _dump_queues(self) -> dict[str, list[str]]:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[LOCAL_ACCOUNT][LOCAL_REGION]
        out: dict[str, list[str]] = {}
        for name, queue in backend.queues.items():
            bodies = [m.body for m in list(queue._messages)]
            if bodies:
                out[name] = bodies
        return out


class DevStack:
    """`make run`: the embedded AWS, the local tenant, and `chalice local`, until interrupted."""

    def __init__(self, *, port: int, moto_port: int | None, state_dir: Path, api_key: str | None) -> None:
        self.port = port
        # The Web Connector accepts plain http only for "localhost", so that is the public name locally.
        self.app_url = f"http://localhost:{port}"
        self.state_dir = state_dir
        self.api_key = api_key
        self.aws = EmbeddedAws(state_dir, moto_port)
        self._stop = threading.Event()
        self._chalice: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """The local stack's environment, plus any LEDGERBRIDGE_* setting given to `make run`."""
        given = {
            k: v
            for k, v in os.environ.items()
            if k.startswith("LEDGERBRIDGE_") and k != "LEDGERBRIDGE_API_KEY"
        }
        return {**given, **local_environment(self.aws.endpoint, self.app_url)}

    def start_aws(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
        self.aws.start()
        os.environ.update(self.environment())
        from chalicelib.dal import configure
        from chalicelib.settings import get_settings

        get_settings.cache_clear()
        configure(get_settings())
        from chalicelib.dal.tables import create_tables

        create_tables()
        restored = self.aws.restore()
        applied, refused = self.aws.replayed
        journal = "on" if self.aws.journal_on else f"OFF ({JOURNAL_SETTING}): a crash loses recent writes"
        print(
            f"Embedded AWS (moto) on {self.aws.endpoint}; restored {restored} records "
            f"({applied} from the journal, {refused} already there); journal {journal}",
            flush=True,
        )

    def local_key(self) -> str:
        """The API key to print: LEDGERBRIDGE_API_KEY, or the one this checkout generated before."""
        from chalicelib.dal import tenants

        key_file = self.state_dir / "api-key"
        key = self.api_key or (key_file.read_text().strip() if key_file.exists() else None)
        if key and tenants.key_for_secret(key) is not None:
            return key
        tenant = next((t for t in tenants.list_tenants() if t.name == "local"), None)
        if tenant is None:
            tenant = tenants.create_tenant("local")
        _, key = tenants.create_api_key(tenant.tenant_id, label="local stack", key=key)
        if not self.api_key:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            key_file.unlink(missing_ok=True)
            create_private(key_file, (key + "\n").encode())
        return key

    def start_app(self) -> None:
        env = {**os.environ, **self.environment()}
        cmd = [
            str(Path(sys.executable).with_name("chalice")),
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--stage",
            "local",
            "--no-autoreload",
        ]
        self._chalice = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._chalice.poll() is not None:
                raise RuntimeError(f"chalice local exited with {self._chalice.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.app_url + "/health", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("chalice local did not answer /health within 60 s")

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self.state_dir.mkdir(parents=True, exist_ok=True)  # a fresh clone has no .local yet
        self.start_aws()
        key = self.local_key()
        replace_private(stack_file(self.state_dir), json.dumps(self.environment(), indent=2).encode())
        self.start_app()
        from ledgerbridge.runner import LocalRunner

        LocalRunner().run_in_thread(self._stop)
        print(
            "\nLedgerbridge is running on the embedded local stack.\n"
            f"  Dashboard:          {self.app_url}/\n"
            f"  Web Connector URL:  {self.app_url}/qbwc   (WSDL: {self.app_url}/qbwc?wsdl)\n"
            f"  API key:            {key}\n"
            f"  REST API:           curl -H 'Authorization: Bearer {key}' {self.app_url}/api/v1/connections\n"
            "  Schedules:          run by the local runner (channel tasks fire on time)\n"
            "Press Ctrl-C to stop; state is kept in "
            f"{self.aws.snapshot_path} and restored next time.\n",
            flush=True,
        )
        try:
            # Checkpoints only bound the journal a restart replays; tests set a long interval to exercise it.
            every = float(os.environ.get(CHECKPOINT_SETTING) or SNAPSHOT_SECONDS)
            pause = every
            while not self._stop.wait(pause):
                started = time.monotonic()
                self.aws.snapshot()
                # A big state (10,000 stock levels) takes a while to dump: keep that under a tenth of the time.
                pause = max(every, 10 * (time.monotonic() - started))
                if self._chalice is not None and self._chalice.poll() is not None:
                    print("chalice local stopped; shutting down", file=sys.stderr)
                    break
        finally:
            self.shutdown()
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        if self._chalice is not None and self._chalice.poll() is None:
            self._chalice.terminate()
            try:
                self._chalice.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._chalice.kill()
        self.aws.snapshot()
        with contextlib.suppress(FileNotFoundError):
            stack_file(self.state_dir).unlink()
        self.aws.stop()
        print(f"Stopped; state saved to {self.aws.snapshot_path}", flush=True)
