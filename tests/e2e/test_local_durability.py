"""`make run`'s stack keeps every write it acknowledged through `kill -9` of the whole process group, and keeps
no secret in plain text under its state directory (ledgerbridge/journal.py, ledgerbridge/sealed.py)."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.webconnector import run_session
from tests.conftest import LocalStack, _free_port, stop_stack
from tests.e2e.test_orders_e2e import ORDER
from tests.e2e.test_web_connector_e2e import pair

pytestmark = pytest.mark.xdist_group("local_durability")


def start_in_group(state_dir: Path, api_key: str, extra_env: dict[str, str] | None = None) -> LocalStack:
    """`ledgerbridge dev` as conftest's start_stack does, but leading a process group of its own, so that
    `kill -9` of the group takes `chalice local` down with it, as a power cut would."""
    port, moto_port = _free_port(), _free_port()
    log = state_dir.parent / f"{state_dir.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEDGERBRIDGE_"))}
    env.update({"LEDGERBRIDGE_API_KEY": api_key, "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    cmd = [str(Path(sys.executable).with_name("ledgerbridge")), "dev", "--port", str(port)]
    cmd += ["--moto-port", str(moto_port), "--state-dir", str(state_dir)]
    before = log.read_text() if log.exists() else ""
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ledgerbridge dev exited early:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            started = "Ledgerbridge is running" in log.read_text()[len(before) :]
            if started and httpx.get(url + "/health").status_code == 200:
                return LocalStack(url, f"http://127.0.0.1:{moto_port}", api_key, state_dir, proc, log)
        time.sleep(0.3)
    kill_group(proc)
    raise RuntimeError(f"local stack did not start:\n{log.read_text()}")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def qbwc_url(stack: LocalStack) -> str:
    return stack.url.replace("127.0.0.1", "localhost") + "/qbwc"


def restarted_log(stack: LocalStack) -> str:
    return [line for line in stack.log.read_text().splitlines() if line.startswith("Embedded AWS")][-1]


def custom_store_channel(
    stack: LocalStack, tmp_path: Path, credentials: dict[str, str] | None = None
) -> tuple:
    """A paired connection whose lists are cached, and a custom-store channel on it."""
    conn, app_url, username, password = pair(stack, "Durable")
    company = CompanySimulator.open(tmp_path / "company.json", country="US")
    assert run_session(app_url, username, password, company).outcome == "completed"
    with stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        deposit = next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset")
        income = next(a["full_name"] for a in accounts if a["account_type"] == "Income")
        settings = {
            "transaction_type": "sales_receipt",
            "customer_matching": "company",
            "accounts": {"deposit": deposit, "income": income},
            "sales_tax_item": "",
            "tax_mode": "quickbooks",  # QuickBooks computes (nothing: every line Non)
            "taxable_code": "Non",
        }
        body: dict[str, Any] = {"connection_id": conn["id"], "kind": "custom_store", "name": "Shop"}
        body["settings"] = settings
        if credentials:
            body["credentials"] = credentials
        channel = client.post("/api/v1/channels", json=body)
        assert channel.status_code == 201, channel.text
    return conn, channel.json()["id"], company, (app_url, username, password)


def order(order_id: str) -> dict[str, Any]:
    doc = copy.deepcopy(ORDER)
    doc["id"] = doc["number"] = order_id
    return doc


def stored_orders(stack: LocalStack, channel_id: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {"channel": channel_id, "limit": 100}
    with stack.client() as client:
        while True:
            page = client.get("/api/v1/orders", params=params)
            assert page.status_code == 200, page.text
            for item in page.json()["orders"]:
                found[item["order_id"]] = item
            if not page.json().get("next"):
                return found
            params["after"] = page.json()["next"]


def test_every_order_answered_202_survives_kill_9(tmp_path):
    state = tmp_path / ".local"
    key = "lbk_durable_" + os.urandom(8).hex()
    # Checkpoints every half second: the kill lands anywhere among journal appends and checkpoints.
    stack = start_in_group(state, key, {"LEDGERBRIDGE_LOCAL_CHECKPOINT_SECONDS": "0.5"})
    try:
        _, channel_id, company, session = custom_store_channel(stack, tmp_path)
        acknowledged: set[str] = set()
        lock = threading.Lock()
        stop = threading.Event()

        def pusher(worker: int) -> None:
            with httpx.Client(
                base_url=stack.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
            ) as c:
                for batch in range(10_000):
                    if stop.is_set():
                        return
                    ids = [f"W{worker}-{batch}-{n}" for n in range(3)]
                    try:
                        answer = c.post(
                            f"/api/v1/channels/{channel_id}/orders", json={"orders": [order(i) for i in ids]}
                        )
                    except httpx.HTTPError:
                        return  # the stack is gone: this batch was never acknowledged
                    if answer.status_code == 202:
                        with lock:
                            acknowledged.update(ids)

        threads = [threading.Thread(target=pusher, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 30 and time.monotonic() < deadline:  # pushes are under way
            time.sleep(0.05)
        time.sleep(random.uniform(0.2, 2.0))
        kill_group(stack.process)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        kill_group(stack.process)
    assert len(acknowledged) >= 30

    again = start_in_group(state, key)
    try:
        assert "from the journal" in restarted_log(again)
        stored = stored_orders(again, channel_id)
        missing = acknowledged - stored.keys()
        assert not missing, (
            f"{len(missing)} of {len(acknowledged)} acknowledged orders lost: {sorted(missing)[:5]}"
        )
        assert {stored[i]["status"] for i in acknowledged} == {"pending"}
        # and they are queued: a Web Connector session posts every one of them, once
        _, username, password = session
        app_url = qbwc_url(again)  # the restarted stack serves on another port
        for _ in range(20):
            report = run_session(app_url, username, password, company)
            assert report.outcome in ("completed", "no data exchange required"), report.render()
            if report.outcome != "completed":
                break
        after = stored_orders(again, channel_id)
        counts = Counter(after[i]["status"] for i in acknowledged)
        assert counts == {"synced": len(acknowledged)}, (counts, [o["error"] for o in after.values()][:3])
        assert company.external_guid_counts().most_common(1)[0][1] == 1
    finally:
        stop_stack(again)
        kill_group(again.process)


def test_a_recorded_message_set_survives_kill_9(tmp_path):
    """The reported failure: QuickBooks committed a message set, a crash took back its record, the orders
    came back pending and were posted again. Nothing is checkpointed here: only the journal holds it."""
    state = tmp_path / ".local"
    key = "lbk_msgset_" + os.urandom(8).hex()
    stack = start_in_group(state, key, {"LEDGERBRIDGE_LOCAL_CHECKPOINT_SECONDS": "3600"})
    try:
        _, channel_id, company, (app_url, username, password) = custom_store_channel(stack, tmp_path)
        with stack.client() as client:
            pushed = client.post(
                f"/api/v1/channels/{channel_id}/orders", json={"orders": [order(f"S-{n}") for n in range(12)]}
            )
            assert pushed.status_code == 202, pushed.text
        report = run_session(app_url, username, password, company)
        assert report.outcome == "completed", report.render()
        assert len(company.sales("SalesReceipt")) == 12
        assert {o["status"] for o in stored_orders(stack, channel_id).values()} == {"synced"}
    finally:
        kill_group(stack.process)

    again = start_in_group(state, key, {"LEDGERBRIDGE_LOCAL_CHECKPOINT_SECONDS": "3600"})
    try:
        assert "from the journal" in restarted_log(again)
        seen = stored_orders(again, channel_id)
        assert {o["status"] for o in seen.values()} == {"synced"} and len(seen) == 12
        assert all(o["quickbooks"]["txn_id"] for o in seen.values())
        report = run_session(qbwc_url(again), username, password, company)
        assert report.outcome == "completed", report.render()
        assert len(company.sales("SalesReceipt")) == 12  # nothing posted twice
        assert company.external_guid_counts().most_common(1)[0][1] == 1
    finally:
        stop_stack(again)
        kill_group(again.process)


def files_under(state: Path) -> list[Path]:
    return [p for p in state.rglob("*") if p.is_file()]


def assert_nothing_readable(state: Path, secrets: list[str]) -> None:
    files = files_under(state)
    assert any(p.name.startswith("journal.") for p in files) and (state / "state.json").exists()
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o600, f"{path.name} is {oct(mode)}"
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{path.name} holds a secret in plain text"


def test_no_secret_in_plain_text_under_the_state_dir(tmp_path):
    state = tmp_path / ".local"
    key = "lbk_secret_" + os.urandom(8).hex()
    password = "pw-" + os.urandom(12).hex()
    stack = start_in_group(state, key, {"LEDGERBRIDGE_LOCAL_CHECKPOINT_SECONDS": "1"})
    try:
        _, channel_id, company, (app_url, username, wc_password) = custom_store_channel(
            stack, tmp_path, credentials={"username": "shop-user", "password": password}
        )
        report = run_session(app_url, username, wc_password, company)
        assert report.ticket
        with stack.client() as client:
            assert password not in client.get(f"/api/v1/channels/{channel_id}").text  # shown masked
        # while running: the journal and the checkpoints
        time.sleep(1.5)
        assert_nothing_readable(state, [password, report.ticket, wc_password, key])
    finally:
        stop_stack(stack)
        kill_group(stack.process)
    # after Ctrl-C: the final state file
    assert_nothing_readable(state, [password, report.ticket, wc_password, key])

    again = start_in_group(state, key)
    try:
        # sealed at rest, the credentials still open once the stack is up again (the local KMS key and
        # the channel_credentials items came back), and no channel has a Secrets Manager secret
        import boto3

        from ledgerbridge.devstack import local_environment

        sm = boto3.client(
            "secretsmanager",
            endpoint_url=again.moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert not [s["Name"] for s in sm.list_secrets()["SecretList"] if s["Name"].endswith(channel_id)]
        read = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, sys; from chalicelib.aws import ChannelSecrets; "
                "print(json.dumps(ChannelSecrets().get(sys.argv[1])))",
                channel_id,
            ],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEDGERBRIDGE_"))},
                **local_environment(again.moto_endpoint, "http://127.0.0.1"),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(read.stdout)["password"] == password
    finally:
        stop_stack(again)
        kill_group(again.process)


def test_a_generated_key_file_is_private_from_creation(tmp_path):
    old = os.umask(0o000)  # the child inherits it; 0600 must come from open(2), not the umask
    try:
        stack = start_in_group(tmp_path / ".local", "")
    finally:
        os.umask(old)
    try:
        for name in ("api-key", "state.key", "state.json"):
            assert stat.S_IMODE((tmp_path / ".local" / name).stat().st_mode) == 0o600, name
    finally:
        stop_stack(stack)
        kill_group(stack.process)
