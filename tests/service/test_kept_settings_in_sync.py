"""A warm container keeps a connection's channel and its tenant's rules between Web Connector calls
(chalicelib/sync/kept_settings.py), and never posts with what a merchant changed since: a change of the
channel's settings, of the rules, or the channel's deletion, is what the next session posts with."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.dal.models import ChannelModel, RuleListModel
from tests.service.test_post_orders import order, session, statuses
from tests.service.test_rules_in_sync import push, receipt_of, rule


@pytest.fixture
def reads(monkeypatch) -> dict[str, int]:
    """GetItem reads of channels and rules while posting."""
    counted = {"channel": 0, "rules": 0}
    channel_get, rules_get = ChannelModel.get.__func__, RuleListModel.get.__func__  # type: ignore[attr-defined]

    def count_channel(cls: Any, *args: Any, **kwargs: Any) -> Any:
        counted["channel"] += 1
        return channel_get(cls, *args, **kwargs)

    def count_rules(cls: Any, *args: Any, **kwargs: Any) -> Any:
        counted["rules"] += 1
        return rules_get(cls, *args, **kwargs)

    monkeypatch.setattr(ChannelModel, "get", classmethod(count_channel))
    monkeypatch.setattr(RuleListModel, "get", classmethod(count_rules))
    return counted


def test_an_unchanged_channel_and_rules_are_read_once_for_many_sessions(api, store, reads) -> None:
    for n in range(1, 4):
        push(api, store, [order(n)])
        reads["channel"] = reads["rules"] = 0
        session(store)
        if n > 1:  # the first session read them; the next ones post with what the container kept
            assert reads == {"channel": 0, "rules": 0}
    assert [r.get("RefNumber") for r in store["company"].transactions("SalesReceipt")] == [
        "2001",
        "2002",
        "2003",
    ]


def test_the_rules_saved_between_two_sessions_are_the_ones_the_next_posts_with(api, store) -> None:
    push(api, store, [order(1)])
    session(store)  # the container now keeps the tenant's (empty) rules
    push(api, store, [order(2, note="a test order")])
    rule(
        api,
        {
            "name": "Hold tests",
            "conditions": [{"field": "note", "op": "contains", "values": ["test"]}],
            "actions": [{"action": "DO_NOT_IMPORT"}],
        },
    )
    session(store)
    held = statuses(api, store["channel"]["id"])["2002"]
    assert held["status"] == "failed" and held["error"]["code"] == "not_imported"


def test_the_channel_settings_changed_between_two_sessions_are_the_ones_the_next_posts_with(
    api, store
) -> None:
    channel = store["channel"]
    push(api, store, [order(1)])
    session(store)
    settings = {**channel["settings"], "accounts": {**channel["settings"]["accounts"], "deposit": "Checking"}}
    api.json("PATCH", f"/api/v1/channels/{channel['id']}", {"settings": settings})
    push(api, store, [order(2)])
    session(store)
    deposit = receipt_of(store, "2002").get("DepositToAccountRef", {}).get("FullName")
    assert deposit == "Checking"
    assert receipt_of(store, "2001").get("DepositToAccountRef", {}).get("FullName") == "Undeposited Funds"


def test_orders_of_a_channel_deleted_between_two_sessions_are_not_posted(api, store) -> None:
    from chalicelib.dal import channels

    push(api, store, [order(1)])
    session(store)
    push(api, store, [order(2)])
    channels.delete(api.tenant_id, store["channel"]["id"])
    session(store)
    assert [r.get("RefNumber") for r in store["company"].transactions("SalesReceipt")] == ["2001"]
