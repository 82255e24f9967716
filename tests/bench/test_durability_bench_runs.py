"""The durability benchmark runs with the journal on and off and prints a row for each (a small size; no
timing is asserted: the benchmark itself checks that every acknowledged order was stored)."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO


def test_durability_benchmark_prints_a_row_per_mode():
    done = subprocess.run(
        [sys.executable, "bench/durability.py", "--orders", "40", "--batch", "2", "--workers", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    assert [r[0] for r in rows] == ["on", "off"]
    for row in rows:
        assert row[1] == row[2] == "40"  # every order pushed was acknowledged
        assert float(row[3]) > 0 and float(row[5]) > 0 and float(row[6]) >= float(row[5])
