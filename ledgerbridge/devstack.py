"""The embedded local stack behind `make run`: moto server on loopback plus `chalice local`.

The app runs unchanged: only `AWS_ENDPOINT_URL` (and dummy credentials) differ from AWS. Moto keeps state in
memory, so this process snapshots it to `<state dir>/state.json` every few seconds and on exit, and restores
it on start: DynamoDB items through the public API, SQS messages from moto's queue backend (reading them
through the API would count as receives and push jobs toward their dead-letter queue).
"""

from __future__ import annotations

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
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = PROJECT_DIR / ".local"
LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "us-east-1"
SNAPSHOT_SECONDS = 3.0


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


class EmbeddedAws:
    """Moto server in this process, with snapshot and restore of what the app stores."""

    def __init__(self, state_dir: Path, port: int | None = None) -> None:
        from moto.server import ThreadedMotoServer

        self.state_dir = state_dir
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._lock = threading.Lock()
        self._last_snapshot = ""

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / "state.json"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

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

    # --- snapshot -----------------------------------------------------------------------------
    def snapshot(self) -> bool:
        """Write the state file if anything changed; True when written."""
        with self._lock:
            state = {
                "version": 1,
                "dynamodb": self._dump_tables(),
                "sqs": self._dump_queues(),
                "schedules": self._dump_schedules(),
                "secrets": self._dump_secrets(),
            }
            text = json.dumps(state, sort_keys=True)
            if text == self._last_snapshot:
                return False
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.snapshot_path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(self.snapshot_path)
            self._last_snapshot = text
            return True

    def restore(self) -> int:
        """Load the state file into the (empty) stack and provision it. Returns the number of records."""
        if not self.snapshot_path.exists():
            self.provision()
            return 0
        state = json.loads(self.snapshot_path.read_text())
        ddb = self._client("dynamodb")
        count = 0
        existing = set(ddb.list_tables()["TableNames"])
        for table, items in state.get("dynamodb", {}).items():
            if table not in existing:
                continue
            for i in range(0, len(items), 25):
                chunk = [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]
                ddb.batch_write_item(RequestItems={table: chunk})
                count += len(chunk)
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
        self._last_snapshot = ""
        return count

    def _dump_schedules(self) -> list[dict[str, Any]]:
        scheduler = self._client("scheduler")
        out = []
        for group in scheduler.list_schedule_groups().get("ScheduleGroups", []):
            for summary in scheduler.list_schedules(GroupName=group["Name"]).get("Schedules", []):
                raw = scheduler.get_schedule(Name=summary["Name"], GroupName=group["Name"])
                keep = ("Name", "GroupName", "ScheduleExpression", "State", "Description", "Target")
                item = {k: raw[k] for k in keep if k in raw}
                item["StartDate"] = raw["StartDate"].isoformat() if raw.get("StartDate") else None
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
        sm = self._client("secretsmanager")
        out = {}
        for page in sm.get_paginator("list_secrets").paginate():
            for secret in page.get("SecretList", []):
                out[secret["Name"]] = sm.get_secret_value(SecretId=secret["ARN"])["SecretString"]
        return out

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=LOCAL_REGION)

    def _dump_tables(self) -> dict[str, list[dict[str, Any]]]:
        ddb = self._client("dynamodb")
        out: dict[str, list[dict[str, Any]]] = {}
        for table in ddb.list_tables()["TableNames"]:
            items: list[dict[str, Any]] = []
            for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                items.extend(page["Items"])
            out[table] = sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
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
        print(f"Embedded AWS (moto) on {self.aws.endpoint}; restored {restored} records", flush=True)

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
            key_file.write_text(key + "\n")
            key_file.chmod(0o600)
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
        stack_file(self.state_dir).write_text(json.dumps(self.environment(), indent=2))
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
            pause = SNAPSHOT_SECONDS
            while not self._stop.wait(pause):
                started = time.monotonic()
                self.aws.snapshot()
                # A big state (10,000 stock levels) takes a while to dump: keep that under a tenth of the time.
                pause = max(SNAPSHOT_SECONDS, 10 * (time.monotonic() - started))
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
