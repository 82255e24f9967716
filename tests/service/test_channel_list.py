"""A tenant's channels are listed through a keys-only index (chalicelib/dal/channels.py `list_for_tenant`), then
read by key: the list shows each channel as it is now, in the order they were added, and only the tenant's own."""

from __future__ import annotations

from typing import Any

from chalicelib.dal import channels as channel_repo
from chalicelib.dal.models import ChannelModel
from tests.service.test_channel_settings_checks import BASE, seed


def add(api: Any, connection_id: str, name: str) -> dict[str, Any]:
    body = {
        "connection_id": connection_id,
        "kind": "custom_store",
        "name": name,
        "settings": {"accounts": BASE, "shipping_item": f"{name} shipping"},
    }
    created: dict[str, Any] = api.json("POST", "/api/v1/channels", body, expect=201)
    return created


def test_the_list_reads_every_channel_in_full_as_it_is_now_in_the_order_added(api, other_api):
    conn = api.json("POST", "/api/v1/connections", {"name": "Listed"}, expect=201)
    seed(conn["id"])
    other_conn = other_api.json("POST", "/api/v1/connections", {"name": "Elsewhere"}, expect=201)
    seed(other_conn["id"])
    added = [add(api, conn["id"], f"Store {i}") for i in range(4)]
    add(other_api, other_conn["id"], "Not yours")
    api.json(
        "PATCH",
        f"/api/v1/channels/{added[1]['id']}",
        {"name": "Renamed", "settings": {"shipping_item": "Freight"}},
    )

    listed = api.json("GET", "/api/v1/channels")["channels"]

    assert [c["id"] for c in listed] == [c["id"] for c in added]
    assert listed[1]["name"] == "Renamed" and listed[1]["settings"]["shipping_item"] == "Freight"
    for channel in listed:  # each one whole, as reading it alone shows it
        assert channel == api.json("GET", f"/api/v1/channels/{channel['id']}")
    assert [c["name"] for c in other_api.json("GET", "/api/v1/channels")["channels"]] == ["Not yours"]


def test_the_index_holds_keys_only():
    projection = ChannelModel.by_tenant.Meta.projection
    assert projection.projection_type == "KEYS_ONLY"
    assert channel_repo.list_for_tenant("ten_nobody") == []
