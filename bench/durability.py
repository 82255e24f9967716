"""What the local stack's write-ahead journal costs: acknowledged order pushes per second, and the p50/p99
latency of `POST /api/v1/channels/{id}/orders`, against `ledgerbridge dev` with the journal on and off.

    .venv/bin/python bench/durability.py [--orders 2000] [--batch 1] [--workers 4] [--modes on,off]

Each mode starts its own stack on a fresh state directory (LEDGERBRIDGE_LOCAL_JOURNAL=off for "off"),
pairs a connection, caches its lists with one simulated Web Connector session, creates a custom-store
channel and pushes the orders from `--workers` threads, `--batch` orders per request. It then checks that
every acknowledged order is stored (and exits non-zero if not). With the journal off a crash loses what was
written since the last checkpoint; the figures say what durability costs.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

from ledgerbridge.simulators.company import CompanySimulator  # noqa: E402
from ledgerbridge.simulators.webconnector import run_session  # noqa: E402

ORDER: dict[str, Any] = {
    "id": "B-0",
    "number": "B-0",
    "created_at": "2026-11-20T10:00:00Z",
    "customer": {
        "first_name": "Ada",
        "last_name": "Byron",
        "company": "Analytical Teas",
        "email": "a@example.com",
    },
    "lines": [{"id": "1", "sku": "TEA-01", "title": "Tea", "quantity": 2, "unit_price": "8.00"}],
    "payments": [{"method": "card", "amount": "16.00"}],
    "payment_status": "paid",
    "total": "16.00",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    def __init__(self, state_dir: Path, journal: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = "lbk_bench_" + os.urandom(8).hex()
        self.log = state_dir.parent / "stack.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEDGERBRIDGE_"))}
        env.update({"LEDGERBRIDGE_API_KEY": self.key, "PYTHONUNBUFFERED": "1"})
        if not journal:
            env["LEDGERBRIDGE_LOCAL_JOURNAL"] = "off"
        cmd = [str(Path(sys.executable).with_name("ledgerbridge")), "dev", "--port", str(self.port)]
        cmd += ["--state-dir", str(state_dir)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ledgerbridge dev exited:\n{self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                running = "Ledgerbridge is running" in self.log.read_text()
                if running and httpx.get(self.url + "/health").status_code == 200:
                    return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the local stack did not start:\n{self.log.read_text()}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=60)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def channel_on(stack: Stack, workdir: Path) -> str:
    """A paired connection with its lists cached, and a custom-store channel on it."""
    with stack.client() as client:
        conn = client.post("/api/v1/connections", json={"name": "Bench"}).json()
        qwc = etree.fromstring(client.get(f"/api/v1/connections/{conn['id']}/qwc").content)
        password = client.post(f"/api/v1/connections/{conn['id']}/password").json()["password"]
    company = CompanySimulator.open(workdir / "company.json", country="US")
    report = run_session(str(qwc.findtext("AppURL")), str(qwc.findtext("UserName")), password, company)
    if report.outcome != "completed":
        raise RuntimeError(report.render())
    with stack.client() as client:
        accounts = client.get(f"/api/v1/connections/{conn['id']}/accounts").json()["records"]
        settings = {
            "transaction_type": "sales_receipt",
            "customer_matching": "company",
            "accounts": {
                "deposit": next(a["full_name"] for a in accounts if a["account_type"] == "OtherCurrentAsset"),
                "income": next(a["full_name"] for a in accounts if a["account_type"] == "Income"),
            },
            "sales_tax_item": "",
            "tax_mode": "quickbooks",  # QuickBooks computes (nothing: every line Non)
            "taxable_code": "Non",
        }
        body = {"connection_id": conn["id"], "kind": "custom_store", "name": "Bench", "settings": settings}
        made = client.post("/api/v1/channels", json=body)
        if made.status_code != 201:
            raise RuntimeError(made.text)
        return str(made.json()["id"])


def push_all(
    stack: Stack, channel_id: str, orders: int, batch: int, workers: int
) -> tuple[int, float, list[float]]:
    """(orders acknowledged, seconds, latency of each request in ms)."""
    batches = [[f"O-{b}-{n}" for n in range(batch)] for b in range(max(1, orders // batch))]
    latencies: list[float] = []
    acked = [0]
    lock = threading.Lock()
    cursor = iter(range(len(batches)))

    def worker() -> None:
        with stack.client() as client:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                docs = []
                for order_id in batches[index]:
                    doc = copy.deepcopy(ORDER)
                    doc["id"] = doc["number"] = order_id
                    docs.append(doc)
                started = time.perf_counter()
                answer = client.post(f"/api/v1/channels/{channel_id}/orders", json={"orders": docs})
                took = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(took)
                    if answer.status_code == 202:
                        acked[0] += len(docs)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return acked[0], time.perf_counter() - started, latencies


def stored_count(stack: Stack, channel_id: str) -> int:
    count = 0
    params: dict[str, Any] = {"channel": channel_id, "limit": 100}
    with stack.client() as client:
        while True:
            page = client.get("/api/v1/orders", params=params).json()
            count += len(page["orders"])
            if not page.get("next"):
                return count
            params["after"] = page["next"]


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1, help="orders per POST")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--modes", default="on,off")
    args = parser.parse_args(argv)
    print(
        f"{'journal':8} {'orders':>7} {'acked':>7} {'orders/s':>9} {'POST/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
    )
    ok = True
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix="lb-durability-") as tmp:
            workdir = Path(tmp)
            stack = Stack(workdir / ".local", journal=mode == "on")
            try:
                channel_id = channel_on(stack, workdir)
                acked, seconds, latencies = push_all(stack, channel_id, args.orders, args.batch, args.workers)
                stored = stored_count(stack, channel_id)
            finally:
                stack.stop()
        ok = ok and stored >= acked == args.orders // args.batch * args.batch
        print(
            f"{mode:8} {args.orders:7d} {acked:7d} {acked / seconds:9.1f} {len(latencies) / seconds:7.1f} "
            f"{percentile(latencies, 50):7.1f} {percentile(latencies, 99):7.1f}",
            flush=True,
        )
    if not ok:
        print("not every pushed order was acknowledged and stored", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
