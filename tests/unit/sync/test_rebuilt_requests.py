"""A job runner that says it renders its request again for a resend (`JobRunner.rebuilds_request`) must render the
same request from the same state, change nothing in the state doing it, and only ask (queries: a resend of an add
would post twice). Checked for every runner of the engine, over the states each goes through."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from chalicelib.orders.settings import ChannelSettings, settings_to_json
from chalicelib.sync.jobs import JobContext
from chalicelib.sync.web_connector import RUNNERS

CTX = JobContext(
    connection_id="con_x", qbxml_version="13.0", now=datetime(2026, 12, 1, tzinfo=UTC), item_page_size=100
)
SETTINGS = json.loads(json.dumps(settings_to_json(ChannelSettings(directions=("inventory_to_store",)))))
COMPACT = {"~unset": None}  # replaced per test by the real compact form


def _compact(**changes: Any) -> dict[str, Any]:
    from chalicelib.orders.settings import compact_settings

    return compact_settings({**SETTINGS, **changes})


iterators = st.one_of(st.none(), st.text(alphabet="0123456789abcdef-{}", min_size=1, max_size=40))


def states(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """States the runner of `kind` renders requests from (what its start and apply leave)."""
    if kind == "refresh_company_lists":
        steps = st.one_of(
            st.just(("start", None)),
            st.text(alphabet="0123456789abcdef-", min_size=1).map(lambda i: ("items", i)),
        )
        return steps.map(
            lambda t: {
                "refresh_id": "ref_1",
                "step": t[0],
                "iterator_id": t[1],
                "items_remaining": None,
                "items_read": 0,
                "ok_kinds": [],
                "failed_kinds": [],
                "records": 0,
            }
        )
    if kind == "read_inventory":
        phases = st.sampled_from([("inventory", ""), ("assembly", ""), ("site", "Back room")])
        return st.tuples(phases, iterators, st.one_of(st.none(), st.just("2026-11-30T10:00:00+00:00"))).map(
            lambda t: {
                "phase": t[0][0],
                "settings_compact": _compact(inventory_site=t[0][1]),
                "iterator_id": t[1],
                "since": t[2],
                "channel_id": "chn_1",
                "read": 0,
                "changed": 0,
                "remaining": 0,
                "errors": 0,
            }
        )
    if kind == "read_sales_for_shipstation":
        return st.fixed_dictionaries(
            {
                "iterator_id": iterators,
                "settings_compact": st.sampled_from(["sales_order", "invoice"]).map(
                    lambda source: _compact(shipstation_source=source)
                ),
            }
        ).map(
            lambda s: {
                **s,
                "channel_id": "chn_1",
                "phase": "read",
                "since": "2026-11-30T10:00:00+00:00",
                "counts": {},
            }
        )
    raise AssertionError(f"no states for {kind}: add them here")


REBUILT = sorted(kind for kind in RUNNERS if RUNNERS[kind].rebuilds_request)


def test_the_runners_that_render_again_are_the_query_only_ones() -> None:
    assert REBUILT == ["read_inventory", "read_sales_for_shipstation", "refresh_company_lists"]


@pytest.mark.parametrize("kind", REBUILT)
def test_the_same_state_renders_the_same_query_and_stays_as_it_was(kind: str) -> None:
    @given(state=states(kind))
    def check(state: dict[str, Any]) -> None:
        before = copy.deepcopy(state)
        first = RUNNERS[kind].next_request(state, CTX)
        again = RUNNERS[kind].next_request(state, CTX)
        assert state == before
        assert isinstance(first, str) and first == again
        requests = etree.fromstring(first.encode()).find("QBXMLMsgsRq")
        assert requests is not None and len(requests)
        assert all(str(r.tag).endswith("QueryRq") for r in requests), [r.tag for r in requests]

    check()
