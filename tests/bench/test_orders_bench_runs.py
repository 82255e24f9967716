"""The orders benchmark runs and prints its figures (a tiny size; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import REPO

PER_RUN = (
    "round_trips",
    "round_trips_per_order",
    "meets_aim",
    "server_cpu_ms_per_order",
    "lxml_cpu_ms_per_order",
    "server_over_lxml",
    "qbxml_bytes_per_round_trip",
    "soap_bytes_per_round_trip",
    "dynamodb_writes_per_order",
    "qbxml_bytes_per_order",
    "aws_calls_per_round_trip",
    "send_p99_ms",
    "receive_p99_ms",
)


def test_orders_benchmark_prints_its_figures():
    done = subprocess.run(
        [sys.executable, "bench/orders_to_quickbooks.py", "--sizes", "30", "--items", "20", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["aim"] == {"cold": 0.05, "warm": 0.02}
    [size] = figures["sizes"]
    assert size["n"] == 30 and size["setup_round_trips"] >= 1
    assert size["sales_in_quickbooks"] == 60  # cold and warm: every order once
    for run in ("cold", "warm"):
        f = size[run]
        assert all(key in f for key in PER_RUN), sorted(f)
        assert f["orders"] == 30 and f["round_trips"] >= 1
        assert f["round_trips_per_order"] == round(f["round_trips"] / 30, 4)
        assert f["meets_aim"] == (f["round_trips_per_order"] <= figures["aim"][run])
        assert f["server_cpu_ms_per_order"] > 0 and f["lxml_cpu_ms_per_order"] > 0
        assert f["qbxml_bytes_per_round_trip"] > 0 and f["soap_bytes_per_round_trip"] > 0
        assert f["dynamodb_writes_per_order"] >= 1  # each order is stored and settled
        assert f["aws_calls_per_round_trip"] >= 1  # a round trip claims and settles its orders at least
        assert f["qbxml_bytes_per_order"] * 30 >= f["qbxml_bytes_per_round_trip"] * f["round_trips"] - 30
        assert f["send_p99_ms"] > 0 and f["receive_p99_ms"] > 0
        # the service's own time is the wall time less the wait on moto: less, never more
        assert (
            0 < f["send_own_p99_ms"] <= f["send_p99_ms"]
            and 0 < f["receive_own_p99_ms"] <= f["receive_p99_ms"]
        )
        waits = f["moto_wait_ms_per_round_trip_by_operation"]
        assert (
            waits and all(v >= 0 for v in waits.values()) and any("TransactWriteItems" in op for op in waits)
        )
    assert size["new_customers"] >= 1
    assert "trips/ord" in done.stdout and "N=30" in done.stdout
