"""The service's metric lines kept out of a benchmark's printed figures.

The service writes its metrics as CloudWatch embedded-metric-format JSON lines on standard output (Powertools
Metrics: in Lambda, CloudWatch Logs turns them into metrics). A benchmark runs the service in its own process, so
hundreds of those lines came between its figures. `without_metric_lines` lets the service write them as it does in
Lambda (their cost stays in the figures) and drops them on the way out; every other line goes through as written.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import TextIO

METRIC_LINE_START = '{"_aws"'


class _WithoutMetricLines(io.TextIOBase):
    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self._out = out
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            if not line.startswith(METRIC_LINE_START):
                self._out.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def finish(self) -> None:
        if self._partial and not self._partial.startswith(METRIC_LINE_START):
            self._out.write(self._partial)
        self._partial = ""
        self._out.flush()


@contextlib.contextmanager
def without_metric_lines() -> Iterator[None]:
    """Standard output less the service's metric lines while inside."""
    real = sys.stdout
    filtered = _WithoutMetricLines(real)
    sys.stdout = filtered
    try:
        yield
    finally:
        filtered.finish()
        sys.stdout = real
