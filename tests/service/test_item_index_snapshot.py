"""The item index a cold container starts from: kept by the refresh's stale-record sweep (off the SOAP path),
used only when it is the index of the lists' last refresh."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.dal import company_lists
from chalicelib.dal.company_lists import CachedRecord
from chalicelib.sync import company_items
from chalicelib.sync.company_lists import remove_stale_lists, stale_lists_job


def _item(list_id: str, name: str, mpn: str = "") -> CachedRecord:
    details = {"item_type": "ItemInventory", **({"manufacturer_part_number": mpn} if mpn else {})}
    return CachedRecord("item", list_id, name, name, True, details)


@pytest.fixture
def connection_id(aws: str) -> str:
    connection = f"con_{uuid.uuid4().hex[:16]}"
    company_lists.put_records(connection, [_item("1", "Gone Widget")], "refresh-old")
    company_lists.put_records(
        connection, [_item("2", "Blue Mug", "BM-1"), _item("3", "Red Mug")], "refresh-new"
    )
    company_items._kept.cache_clear()
    return connection


def test_a_cold_container_reads_the_refresh_snapshot_not_every_item(connection_id, monkeypatch):
    refreshed = datetime(2026, 12, 7, 3, 0, tzinfo=UTC).isoformat()
    remove_stale_lists(stale_lists_job(connection_id, ["item"], "refresh-new", refreshed))

    def no_reading(*args, **kwargs):
        raise AssertionError("the whole item list was read")

    monkeypatch.setattr(company_lists, "list_records", no_reading)
    items = company_items.company_items(connection_id, refreshed)
    assert items.find("blue mug", "name", product=True) == "Blue Mug"
    assert items.find("bm-1", "manufacturer_part_number", product=True) == "Blue Mug"
    assert items.find("Gone Widget", "name", product=True) is None  # the sweep removed it before the snapshot
    assert items.types["red mug"] == "ItemInventory"


def test_a_snapshot_of_another_refresh_is_not_used(connection_id, monkeypatch):
    remove_stale_lists(stale_lists_job(connection_id, ["item"], "refresh-new", "2026-12-07T03:00:00+00:00"))
    company_lists.put_records(connection_id, [_item("4", "Green Mug")], "refresh-new")  # a later refresh
    items = company_items.company_items(connection_id, "2026-12-07T04:00:00+00:00")
    assert items.find("green mug", "name", product=True) == "Green Mug"


def test_a_refresh_that_failed_a_list_keeps_no_snapshot(connection_id):
    body = stale_lists_job(connection_id, ["item"], "refresh-new")
    assert "refreshed_at" not in body
    remove_stale_lists(body)
    assert company_items._snapshot(connection_id, "2026-12-07T03:00:00+00:00") is None
