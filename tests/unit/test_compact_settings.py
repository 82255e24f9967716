"""A job keeps its channel's settings compact (chalicelib/orders/settings.py `compact_settings`): only what differs
from a channel saved with nothing set and the names the stored settings lack, and `full_settings` gives back a dict
equal to the stored one, whatever it holds (a channel saved before a setting existed included)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.dal.channels import Channel
from chalicelib.orders.settings import (
    ChannelSettings,
    compact_settings,
    full_settings,
    settings_from_json,
    settings_to_json,
)
from chalicelib.sync.channels import job_settings, settings_for_job

UNSET = json.loads(json.dumps(settings_to_json(ChannelSettings())))
NAMES = sorted(UNSET)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def stored_settings(draw: Any) -> dict[str, Any]:
    """The settings of a channel as JSON gives them back: some names missing, some values changed, some extra."""
    stored = {name: value for name, value in UNSET.items() if not draw(st.booleans()) or draw(st.booleans())}
    for name in draw(st.lists(st.sampled_from(NAMES), max_size=6)):
        stored[name] = draw(json_values)
    extra = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=10).filter(lambda n: n not in ("~lacking", "~unset")),
            json_values,
            max_size=3,
        )
    )
    return {**stored, **extra}


@given(stored_settings())
def test_full_settings_gives_back_what_was_stored(stored: dict[str, Any]) -> None:
    compact = compact_settings(stored)
    assert full_settings(compact) == stored
    assert full_settings(json.loads(json.dumps(compact))) == stored  # as the ticket keeps it


@given(stored_settings())
def test_compact_keeps_no_value_a_channel_saved_with_nothing_set_has(stored: dict[str, Any]) -> None:
    compact = compact_settings(stored)
    assert all(
        name not in UNSET or UNSET[name] != value for name, value in compact.items() if name != "~lacking"
    )


def channel(settings: dict[str, Any]) -> Channel:
    return Channel(
        "chn_1", "ten_1", "con_1", "woocommerce", "Shop", settings, datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_a_job_reads_the_settings_it_kept_small_and_equal() -> None:
    stored = json.loads(
        json.dumps(
            settings_to_json(ChannelSettings(directions=("inventory_to_store",), inventory_site="Back room"))
        )
    )
    kept = settings_for_job(channel(stored))
    assert len(json.dumps(kept)) < 120 < len(json.dumps(stored)) // 10
    assert job_settings(json.loads(json.dumps(kept))) == settings_from_json(stored)


def test_a_channel_saved_before_a_setting_existed_reads_as_it_did() -> None:
    old = {k: v for k, v in UNSET.items() if k not in ("tax_mode", "record_payments")}
    old["transaction_type"] = "sales_order_invoice_payment"
    kept = settings_for_job(channel(old))
    assert job_settings(kept) == settings_from_json(old)  # the missing ones read as that version's
    assert job_settings(kept).tax_mode != ChannelSettings().tax_mode


def test_a_job_started_before_keeps_reading_the_whole_settings() -> None:
    stored = json.loads(json.dumps(settings_to_json(ChannelSettings(inventory_site="Shelf"))))
    assert job_settings({"settings": stored}).inventory_site == "Shelf"


def test_settings_kept_by_another_version_are_read_from_the_channel(monkeypatch) -> None:
    """A deployment during a job may change what unset means: the compact form says which version made it, and a
    job whose form another version made reads its channel's settings instead of guessing."""
    from chalicelib.orders.settings import CompactSettingsStale
    from chalicelib.sync import channels as channel_use_cases

    stored = json.loads(json.dumps(settings_to_json(ChannelSettings(inventory_site="Shelf"))))
    kept = settings_for_job(channel(stored))["settings_compact"]
    other = {**kept, "~unset": "00000000"}
    try:
        full_settings(other)
        raise AssertionError("a form made by another version was read as this one's")
    except CompactSettingsStale:
        pass
    now = json.loads(json.dumps(settings_to_json(ChannelSettings(inventory_site="Back room"))))
    monkeypatch.setattr(channel_use_cases.channels, "get", lambda channel_id: channel(now))
    state = {"channel_id": "chn_1", "settings_compact": other}
    assert job_settings(state).inventory_site == "Back room"
    assert job_settings({**state, "settings_compact": kept}).inventory_site == "Shelf"
