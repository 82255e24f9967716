"""A Web Connector call cannot outlive the lease it checked (chalicelib/sync/web_connector.py `_live_session`).

A call goes on without renewing while more than half of its session's lease is left, and a takeover waits for the
lease to run out; the ticket's version fences a call that still ran past that (a takeover writes the old ticket
first), but the first guard is time: the SOAP function is stopped by Lambda long before half a lease has passed.
This pins that the deployed timeout keeps it so, with a minute to spare for clocks."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.settings import get_settings
from tests.paths import REPO

CLOCK_MARGIN_SECONDS = 60


def _api_timeouts(config: dict[str, Any]) -> list[int]:
    """The timeout of the function serving the REST and SOAP routes, per deployed stage (Chalice's default is 60)."""
    found = []
    for name, stage in config["stages"].items():
        if name == "local":
            continue
        per_function = stage.get("lambda_functions", {}).get("api_handler", {})
        found.append(
            int(
                per_function.get(
                    "lambda_timeout", stage.get("lambda_timeout", config.get("lambda_timeout", 60))
                )
            )
        )
    return found


def test_the_soap_function_stops_well_before_half_a_lease() -> None:
    config = json.loads((REPO / ".chalice" / "config.json").read_text())
    timeouts = _api_timeouts(config)
    assert timeouts, "no deployed stage"
    half_lease = get_settings().session_lease_seconds / 2
    for timeout in timeouts:
        assert timeout + CLOCK_MARGIN_SECONDS < half_lease, (timeout, half_lease)
