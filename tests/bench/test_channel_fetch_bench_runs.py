"""The channel fetch benchmark runs against every fake store and prints its figures (a small size; no
timing is asserted: the benchmark itself checks that every order was read once)."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO


def test_channel_fetch_benchmark_prints_a_row_per_store_and_size():
    done = subprocess.run(
        [sys.executable, "bench/channel_fetch.py", "--orders", "300"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()[1:]]
    assert {(r[0], r[1]) for r in rows} == {
        (kind, n)
        for kind in (
            "shopify",
            "shipstation",
            "woocommerce",
            "custom_store",
            "bigcommerce",
            "stripe",
            "magento",
            "square",
            "amazon",
            "walmart",
        )
        for n in ("30", "300")
    }
    for row in rows:
        assert float(row[4]) > 0 and float(row[5]) > 0  # orders/s and peak MiB were measured
