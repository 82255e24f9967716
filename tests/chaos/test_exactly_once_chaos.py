"""Exactly once, whatever fails (issue 11's "Done means"): orders pushed to the real local stack
(`ledgerbridge dev` in a subprocess) while Web Connector runs happen, with the stack killed with SIGKILL and
restarted on the same state, answers lost, replayed, taken from another connection's message set, runs
abandoned, HRESULTs and transient QuickBooks errors; then fault-free runs, the merchant's Retry of every
failed order, and fault-free runs again. At the end each simulated company must hold exactly one sale per
acknowledged order and one credit memo per refund, with the orders' totals, and the service must say synced
for exactly those.

Size: LEDGERBRIDGE_CHAOS_ORDERS (default 300), LEDGERBRIDGE_CHAOS_KILLS (default 6: one of each kind),
LEDGERBRIDGE_CHAOS_SEED (default 20261120). The figures line is printed (run with -s to see it).
"""

from __future__ import annotations

import os
import time

import pytest

from ledgerbridge.chaos import StackProcess
from tests.chaos.checks import Findings, check
from tests.chaos.driver import STACK_SETTINGS, Chaos

pytestmark = pytest.mark.slow

ORDERS = int(os.environ.get("LEDGERBRIDGE_CHAOS_ORDERS") or 300)
KILLS = int(os.environ.get("LEDGERBRIDGE_CHAOS_KILLS") or 6)
SEED = int(os.environ.get("LEDGERBRIDGE_CHAOS_SEED") or 20_261_120)


def figures_line(chaos: Chaos, found: Findings, seconds: float) -> str:
    f = chaos.figures
    kills = ", ".join(f"{k} {v}" for k, v in sorted(f.kills.items()))
    faults = ", ".join(f"{k} {v}" for k, v in sorted(f.faults.items()))
    return (
        f"chaos seed {chaos.seed}: orders {f.orders}, refunds "
        f"{sum(len(e.refunds) for e in chaos.expected.values())}, pushes {f.pushes}; "
        f"kills {sum(f.kills.values())} ({kills}); faults: {faults}; sessions {f.sessions} "
        f"(+{f.idle} none, {f.busy} busy), round trips {f.round_trips}, SOAP errors {len(f.soap_errors)}, "
        f"push errors {len(f.push_errors)}, retries {f.retries}; duplicates {found.duplicates}, "
        f"lost {len(found.lost)}, stranded {len(found.stranded)}; statuses {dict(found.statuses)}; "
        f"{seconds:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in sorted(f.seconds.items()))})"
    )


def test_every_acknowledged_order_reaches_quickbooks_exactly_once_whatever_fails(tmp_path):
    started = time.monotonic()
    stack = StackProcess(
        tmp_path / "state", api_key="lbk_chaos_" + os.urandom(12).hex(), settings=STACK_SETTINGS
    )
    stack.start()
    chaos = Chaos(stack, tmp_path, seed=SEED, orders=ORDERS, kills=KILLS)
    try:
        chaos.set_up()
        try:
            chaos.run()
        except BaseException:
            f = chaos.figures
            print(
                f"\nchaos seed {SEED} stopped: orders {f.orders}, pushes {f.pushes}, kills {dict(f.kills)}, "
                f"faults {dict(f.faults)}, sessions {f.sessions}, round trips {f.round_trips}, "
                f"SOAP errors {f.soap_errors[:3]}"
            )
            raise
        before_retry = check(chaos)
        print(
            f"\nbefore the merchant's retries: {figures_line(chaos, before_retry, time.monotonic() - started)}"
        )
        if before_retry.problems():
            print(before_retry.render())
        if chaos.merchant_retries():
            chaos.quiet()
        after = check(chaos)
        print(f"\n{figures_line(chaos, after, time.monotonic() - started)}")
        for error in chaos.figures.soap_errors[:5]:
            print(f"SOAP error: {error}")
    finally:
        stack.stop()
    problems = []
    if before_retry.held_but_not_synced:
        problems.append(
            "before the merchant's retries, orders QuickBooks holds were not synced: "
            + "; ".join(before_retry.held_but_not_synced[:8])
        )
    if before_retry.stranded:
        problems.append(
            f"before the merchant's retries, {len(before_retry.stranded)} acknowledged orders were stranded: "
            + "; ".join(before_retry.stranded[:8])
        )
    if after.problems():
        problems.append("at the end:\n" + after.render())
    assert not problems, f"seed {SEED}:\n" + "\n".join(problems)
    assert sum(chaos.figures.kills.values()) == KILLS
