"""Test set-up: an embedded AWS (moto server on loopback) for in-process tests, and the whole local stack
(`ledgerbridge dev`: moto + chalice local) for end-to-end tests. No test reaches the internet."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# In-process tests talk to a moto server of their own; set before anything reads the settings.
MOTO_PORT = _free_port()
os.environ.update(
    {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "LEDGERBRIDGE_STAGE": "test",
        "LEDGERBRIDGE_PUBLIC_URL": "http://localhost:8000",
        "POWERTOOLS_METRICS_NAMESPACE": "LedgerbridgeTest",
        "POWERTOOLS_TRACE_DISABLED": "true",
        # In-process tests run many sessions in a row; the back-off before retrying a transient QuickBooks
        # error is exercised by its own test with a real delay.
        "LEDGERBRIDGE_RETRY_DELAY_SECONDS": "0",
        # The fake stores listen on 127.0.0.1.
        "LEDGERBRIDGE_ALLOW_PRIVATE_STORE_URLS": "true",
    }
)
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log


@pytest.fixture(scope="session")
def aws() -> Iterator[str]:
    """A moto server with every table created; yields its endpoint."""
    from moto.server import ThreadedMotoServer

    from ledgerbridge.moto_dynamodb import install

    install()  # the embedded AWS's TransactWriteItems without whole-table copies (as the local stack's)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    from chalicelib.aws import provision_shared
    from chalicelib.dal.tables import create_tables

    create_tables()
    provision_shared()
    yield os.environ["AWS_ENDPOINT_URL"]
    server.stop()


@dataclass
class LocalStack:
    url: str
    moto_endpoint: str
    api_key: str
    state_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key or self.api_key}"}, timeout=30.0
        )


def start_stack(
    state_dir: Path, api_key: str, port: int | None = None, extra_env: dict[str, str] | None = None
) -> LocalStack:
    """Start `ledgerbridge dev`; `state_dir` need not exist (as `.local` in a fresh clone)."""
    port = port or _free_port()
    moto_port = _free_port()
    log = state_dir.parent / f"{state_dir.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEDGERBRIDGE_"))}
    env.update({"LEDGERBRIDGE_API_KEY": api_key, "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    cmd = [
        str(Path(sys.executable).with_name("ledgerbridge")),
        "dev",
        "--port",
        str(port),
        "--moto-port",
        str(moto_port),
        "--state-dir",
        str(state_dir),
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ledgerbridge dev exited early:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if "Ledgerbridge is running" in log.read_text() and httpx.get(url + "/health").status_code == 200:
                return LocalStack(url, f"http://127.0.0.1:{moto_port}", api_key, state_dir, proc, log)
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"local stack did not start:\n{log.read_text()}")


def stop_stack(stack: LocalStack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(2)  # SIGINT, like Ctrl-C
        try:
            stack.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.process.kill()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """`ledgerbridge dev` (what `make run` runs) on free ports, shared by the end-to-end tests."""
    stack = start_stack(tmp_path_factory.mktemp("stack"), api_key="lbk_test_" + os.urandom(12).hex())
    yield stack
    stop_stack(stack)
