"""The benchmarks run and print their figures (a short run; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import REPO


def test_soap_calls_benchmark_prints_its_figures():
    done = subprocess.run(
        [
            sys.executable,
            "bench/soap_calls.py",
            "--sessions",
            "1",
            "--items",
            "30",
            "--page",
            "10",
            "--imports",
            "1",
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["authenticate"]["calls"] == 1
    assert figures["sendRequestXML"]["calls"] >= 4 and figures["receiveResponseXML"]["calls"] >= 4
    assert figures["cold_import"]["ratio"] > 0
    cold = figures["cold_poll_ms"]  # a fresh interpreter's idle poll: each step timed, the warm one too
    assert set(cold) == {
        "import app",
        "first authenticate",
        "first closeConnection",
        "second authenticate",
        "second closeConnection",
    }
    assert all(v > 0 for v in cold.values())
    for method in ("authenticate", "sendRequestXML", "receiveResponseXML"):  # each reads its ticket at least
        assert 1 <= figures[method]["aws_calls_mean"] <= figures[method]["aws_calls_max"]
    assert "p99 ms" in done.stdout


def test_the_services_metric_lines_are_dropped_and_everything_else_is_kept() -> None:
    """The benchmarks print their figures without the service's metric lines (bench/metric_lines.py)."""
    script = (
        "import sys; sys.path.insert(0, 'bench')\n"
        "from metric_lines import without_metric_lines\n"
        "with without_metric_lines():\n"
        "    print('figures 1')\n"
        '    print(\'{"_aws": {"Timestamp": 1}, "Orders": [1]}\')\n'
        "    sys.stdout.write('half ')\n"
        "    print('line', flush=True)\n"
        "    print('{\"_aws\": {}}', end='')\n"
        "print('after')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "figures 1\nhalf line\nafter\n"
