"""Channels and the custom store's order push: validation, idempotency, state, tenant isolation."""

from __future__ import annotations

import copy

import pytest

from chalicelib.aws import WorkQueue
from chalicelib.dal import company_lists
from chalicelib.dal.company_lists import CachedRecord
from tests.service.queues import queued_orders

ORDER = {
    "id": "1001",
    "number": "#1001",
    "created_at": "2026-11-20T10:00:00Z",
    "currency": "USD",
    "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    "billing_address": {
        "line1": "1 Main St",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
    },
    "lines": [{"id": "1", "sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "12.50"}],
    "shipping_lines": [{"title": "Ground", "price": "5.00"}],
    "payments": [{"method": "credit_card", "amount": "30.00"}],
    "payment_status": "paid",
    "total": "30.00",
}
SETTINGS = {
    "transaction_type": "sales_receipt",
    "accounts": {"deposit": "Undeposited Funds", "income": "Sales"},
}


def seed_accounts(connection_id: str) -> None:
    company_lists.put_records(
        connection_id,
        [
            CachedRecord(
                "account",
                "A1",
                "Undeposited Funds",
                "Undeposited Funds",
                True,
                {"account_type": "OtherCurrentAsset"},
            ),
            CachedRecord("account", "A2", "Sales", "Sales", True, {"account_type": "Income"}),
            CachedRecord("payment_method", "P1", "Visa", "Visa", True, {}),
        ],
        "seed",
    )


@pytest.fixture
def channel(api):
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    return api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS},
        expect=201,
    )


def test_settings_are_validated_against_the_chart_of_accounts(api):
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    body = {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS}
    not_read = api.json("POST", "/api/v1/channels", body, expect=400)
    assert "chart of accounts has not been read" in not_read["message"]
    seed_accounts(conn["id"])
    missing = api.json(
        "POST", "/api/v1/channels", {**body, "settings": {"transaction_type": "invoice"}}, expect=400
    )
    assert missing["details"]["fields"]["settings.accounts.deposit"].startswith("is required")
    wrong = api.json(
        "POST",
        "/api/v1/channels",
        {**body, "settings": {**SETTINGS, "accounts": {"deposit": "Petty Cash"}}},
        expect=400,
    )
    assert "not an account in this company file" in wrong["details"]["fields"]["settings.accounts.deposit"]
    bad = api.json(
        "POST", "/api/v1/channels", {**body, "settings": {**SETTINGS, "transaction_type": "gift"}}, expect=400
    )
    assert "transaction_type" in str(bad["details"])
    assert (
        api.json("POST", "/api/v1/channels", body, expect=201)["settings"]["transaction_type"]
        == "sales_receipt"
    )


def test_push_is_idempotent_and_queues_work(api, channel):
    first = api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER]}, expect=202)
    assert first["counts"] == {"new": 1, "received": 1}
    again = api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER]}, expect=202)
    assert again["counts"] == {"unchanged": 1, "received": 1}
    changed = copy.deepcopy(ORDER)
    changed["note"] = "leave at the door"
    assert (
        api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [changed]}, expect=202)[
            "counts"
        ]["changed"]
        == 1
    )
    assert queued_orders(channel["connection_id"]) == {(channel["id"], "1001"): 2}  # as new, then changed
    listed = api.json("GET", f"/api/v1/orders?channel={channel['id']}")["orders"]
    assert [(o["order_id"], o["status"]) for o in listed] == [("1001", "pending")]
    one = api.json("GET", f"/api/v1/orders/{listed[0]['id']}")
    assert one["number"] == "#1001" and one["quickbooks"] is None and one["error"] is None


def test_an_invalid_batch_names_every_bad_field_and_stores_nothing(api, channel):
    bad = copy.deepcopy(ORDER)
    bad["id"] = "1002"
    bad["lines"][0]["quantity"] = -1
    bad["total"] = "abc"
    del bad["created_at"]
    worse = {"id": "1003", "lines": [], "total": "1.00", "created_at": "yesterday", "colour": "red"}
    body = api.json(
        "POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER, bad, worse]}, expect=400
    )
    fields = body["details"]["fields"]
    assert fields["orders[1].lines[0].quantity"].startswith("must be a positive number")
    assert fields["orders[1].total"].startswith("must be a decimal")
    assert fields["orders[1].created_at"] == "is required"
    assert fields["orders[2].lines"] == "must have at least one line"
    assert fields["orders[2].colour"] == "unknown field"
    assert fields["orders[2].created_at"].startswith("must be an ISO 8601")
    assert "nothing was stored" in body["message"]
    assert api.json("GET", "/api/v1/orders")["orders"] == []
    assert WorkQueue(channel["connection_id"]).visible_count() == 0


def test_batch_limits_and_duplicates(api, channel):
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": []}, expect=400)
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER] * 501}, expect=400)
    dup = api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER, ORDER]}, expect=400)
    assert "more than once" in dup["details"]["fields"]["orders[1].id"]


def test_filters_skip_orders_before_the_start_date(api, channel):
    api.json("PATCH", f"/api/v1/channels/{channel['id']}", {"settings": {"start_date": "2026-11-21"}})
    result = api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER]}, expect=202)
    assert result["counts"]["skipped"] == 1 and "start date" in result["orders"][0]["reason"]


def test_other_tenants_cannot_see_or_push(api, other_api, channel):
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER]}, expect=202)
    order_id = api.json("GET", "/api/v1/orders")["orders"][0]["id"]
    assert (
        other_api.call("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER]}).status_code
        == 404
    )
    assert other_api.call("GET", f"/api/v1/channels/{channel['id']}").status_code == 404
    assert other_api.call("GET", f"/api/v1/orders/{order_id}").status_code == 404
    assert other_api.call("POST", f"/api/v1/orders/{order_id}/retry").status_code == 404
    assert other_api.json("GET", "/api/v1/orders")["orders"] == []


def test_only_failed_orders_can_be_retried(api, channel):
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [ORDER]}, expect=202)
    order_id = api.json("GET", "/api/v1/orders")["orders"][0]["id"]
    conflict = api.json("POST", f"/api/v1/orders/{order_id}/retry", expect=409)
    assert "only failed orders" in conflict["message"]
    assert api.call("GET", "/api/v1/orders?status=lost").status_code == 400


def test_listing_pages_through_every_order_with_a_status_filter(api, channel):
    docs = []
    for n in range(7):
        doc = copy.deepcopy(ORDER)
        doc["id"] = f"P{n}"
        docs.append(doc)
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": docs}, expect=202)
    for scope in (f"channel={channel['id']}&", ""):
        seen, after = [], None
        for _ in range(10):
            page = api.json(
                "GET", f"/api/v1/orders?{scope}status=pending&limit=3" + (f"&after={after}" if after else "")
            )
            seen += [o["order_id"] for o in page["orders"]]
            after = page["next"]
            if not after:
                break
        assert sorted(seen) == sorted(d["id"] for d in docs)
