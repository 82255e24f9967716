"""The rules benchmark runs and prints its figures (a tiny size; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import REPO


def test_rules_benchmark_prints_its_figures():
    done = subprocess.run(
        [
            sys.executable,
            "bench/rules.py",
            "--sizes",
            "20",
            "200",
            "--orders",
            "200",
            "--naive-sample",
            "50",
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["aim_ms"] == 1.0
    assert [s["rules"] for s in figures["sizes"]] == [20, 200]
    for size in figures["sizes"]:
        assert size["orders"] == 200 and size["naive_sample"] == 50
        assert size["same_as_naive"] is True  # the index changes no outcome
        assert size["per_order_ms"] > 0 and size["naive_per_order_ms"] > 0
        assert size["meets_aim"] == (size["per_order_ms"] < figures["aim_ms"])
        assert size["rules_applied_per_order"] > 0  # the generated rules do apply
        assert 0 < size["candidates_per_order"] <= size["rules"]
    assert "ms/order" in done.stdout
