"""`make demo` (issue 13, part 8): started for a bounded time, it pairs a simulated company, fetches the fake
Shopify store's orders and the Web Connector simulator syncs them, with no input from anyone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ledgerbridge.devstack import free_port
from tests.paths import REPO

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo-stack")]
DEADLINE_SECONDS = 80


def test_the_demo_syncs_orders_by_itself(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "demo"
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("ledgerbridge")),
            "demo",
            "--port",
            str(port),
            "--state-dir",
            str(state),
            "--every",
            "5",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEDGERBRIDGE_"))},
        start_new_session=True,
    )
    summary: dict = {}
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and demo.poll() is None:
            time.sleep(2)
            key_file = state / "api-key"
            if not key_file.exists():
                continue
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/sales/summary?days=7",
                    headers={"Authorization": f"Bearer {key_file.read_text().strip()}"},
                    timeout=10,
                )
            except httpx.HTTPError:
                continue
            if answer.status_code == 200:
                summary = answer.json()
                if summary["synced"] >= 30:
                    break
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
        log.close()
    output = (tmp_path / "demo.log").read_text(errors="replace")
    assert summary.get("synced", 0) >= 30, output[-3000:]
    assert summary["failed"] == 0 and summary["per_channel"][0]["name"] == "Shopify (demo)"
    assert "Dashboard:" in output and "API key:" in output and "Web Connector session" in output
