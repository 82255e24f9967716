"""How fast each connector reads a store, and whether its memory stays flat: N orders from each fake
store (over HTTP on loopback), every page fetched and mapped to the canonical order as a run does.

    .venv/bin/python bench/channel_fetch.py [--orders 10000] [--kinds shopify,shipstation,...]

Prints orders per second (the connector alone: HTTP, JSON, mapping; storing the orders is measured by
bench/orders_to_quickbooks.py) and the peak of memory allocated while streaming (tracemalloc, a separate
pass), at N/10 and N orders: flat memory means the two peaks are close, whatever N.

The vendors' rate limits (Shopify's query-cost bucket, ShipStation's 40 requests a minute) run on a virtual
clock: the connector's waits move it instead of sleeping. "store wait" is that waiting: what the same read
would spend throttled against the real store.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LEDGERBRIDGE_STAGE", "bench")
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)

from chalicelib.channels import spec  # noqa: E402
from chalicelib.channels.base import HttpOptions, Window  # noqa: E402
from ledgerbridge.fakes import FAKES  # noqa: E402


class VirtualClock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def stream(
    kind: str, fake: object, window: Window, clock: VirtualClock, *, count_distinct: bool
) -> tuple[int, int, int]:
    """Fetch the whole window page by page, keeping nothing (but the ids, when counting distinct orders
    to prove none was missed): (orders, unreadable, pages)."""
    options = HttpOptions(
        allow_private_urls=True,
        base_url_overrides={kind: fake.base_url},  # type: ignore[attr-defined]
        sleep=clock.sleep,
        now=clock.now,
        max_wait_seconds=3600,
    )
    connector = spec(kind).build(FAKES[kind].credentials(fake), options)
    token: str | None = None
    orders = unreadable = pages = 0
    seen: set[str] = set()
    while True:
        page = connector.fetch_page(window, token)
        pages += 1
        for fetched in page.orders:
            if count_distinct:
                seen.add(fetched.order_id)
            unreadable += fetched.document is None
        orders += len(page.orders)
        token = page.next_token
        if token is None:
            return (len(seen) if count_distinct else orders), unreadable, pages


def measure(kind: str, n: int) -> dict[str, float]:
    clock = VirtualClock()
    fake = FAKES[kind].start(clock.now)
    # The fakes run in this process and log every request (and Shopify every query cost) for tests;
    # bounded here so that memory is the connector's, not the fake's growing logs.
    fake.requests = deque(maxlen=16)  # type: ignore[assignment]
    if hasattr(fake, "costs"):
        fake.costs = deque(maxlen=16)
    try:
        fake.now = datetime(2026, 1, 1, tzinfo=UTC)  # type: ignore[attr-defined]
        fake.add_orders(n, seed=7)  # type: ignore[attr-defined]
        window = Window(datetime(2025, 12, 1, tzinfo=UTC), fake.now + timedelta(days=365))  # type: ignore[attr-defined]
        started = time.perf_counter()
        distinct, unreadable, pages = stream(kind, fake, window, clock, count_distinct=True)
        seconds = time.perf_counter() - started
        store_wait = clock.t - 1_000.0
        assert distinct == n, f"{kind}: read {distinct} distinct orders of {n}"
        gc.collect()
        tracemalloc.start()
        stream(kind, fake, window, clock, count_distinct=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        fake.stop()
    return {
        "orders": n,
        "pages": pages,
        "seconds": seconds,
        "per_second": n / seconds,
        "peak_mib": peak / 2**20,
        "unreadable": unreadable,
        "store_wait": store_wait,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--kinds", default=",".join(FAKES))
    args = parser.parse_args(argv)
    print(
        f"{'connector':<14}{'orders':>8}{'pages':>7}{'seconds':>9}{'orders/s':>10}{'peak MiB':>10}"
        f"{'store wait s':>14}"
    )
    for kind in args.kinds.split(","):
        for n in (max(args.orders // 10, 1), args.orders):
            r = measure(kind, n)
            print(
                f"{kind:<14}{r['orders']:>8.0f}{r['pages']:>7.0f}{r['seconds']:>9.2f}"
                f"{r['per_second']:>10.0f}{r['peak_mib']:>10.1f}{r['store_wait']:>14.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
