"""The inventory benchmark runs and prints its figures (a tiny size; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import REPO


def test_inventory_benchmark_prints_its_figures():
    done = subprocess.run(
        [sys.executable, "bench/inventory_pass.py", "--sizes", "120", "--page", "50", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [size] = json.loads(done.stdout.strip().splitlines()[-1])["sizes"]
    full, push, incremental = size["full"], size["push"], size["incremental"]
    assert size["n"] == 120 and full["items"] >= 120
    # pages of 50 inventory parts, the assemblies (fewer than a page) asked with the first
    assert full["round_trips"] == -(-full["items"] // 50)
    assert full["items_per_round_trip"] == round(full["items"] / full["round_trips"], 1)
    assert 0 < full["answer_bytes_mean"] <= full["answer_bytes_max"]
    assert push["pushed"] == 120 and push["store_lookups"] >= 3 and push["store_batch_writes"] >= 2
    assert incremental["items"] == 2 and incremental["pushed"] == 2  # 1% edited: only those move
    assert incremental["answer_bytes_max"] < full["answer_bytes_max"]
    assert "items/trip" in done.stdout and "push:" in done.stdout
