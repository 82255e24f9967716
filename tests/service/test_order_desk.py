"""The orders for every day: newest first, search, status counts, CSV, bulk retry, the detail with its timeline,
and the preview of what QuickBooks would receive (nothing sent or written). Tenant isolation and hostile input."""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from chalicelib.dal import company_lists
from chalicelib.dal import orders as order_repo
from chalicelib.dal.company_lists import CachedRecord
from ledgerbridge.qbxml_schema import schema_errors
from tests.service.conftest import Api
from tests.service.queues import queued_orders
from tests.service.test_orders_api import ORDER, SETTINGS, seed_accounts

PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PEOPLE = [
    ("2001", "2026-11-01T09:00:00Z", "Grace", "Hopper", "grace@navy.example"),
    ("2002", "2026-11-03T09:00:00Z", "Alan", "Turing", "alan@bletchley.example"),
    ("2003", "2026-11-02T09:00:00Z", "Ada", "Lovelace", "ada@engine.example"),
    ("2004", "2026-10-30T09:00:00Z", "=cmd", "Hopper", "evil@example.com"),
]


def order_doc(order_id: str, created: str, first: str, last: str, email: str) -> dict[str, Any]:
    doc = copy.deepcopy(ORDER)
    doc.update(id=order_id, number=f"#{order_id}", created_at=created)
    doc["customer"] = {"first_name": first, "last_name": last, "email": email}
    return doc


@pytest.fixture
def shop(api: Api) -> dict[str, Any]:
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    company_lists.put_records(
        conn["id"],
        [CachedRecord("item", "I1", "MUG-01", "MUG-01", True, {"item_type": "ItemInventory"})],
        "seed-items",
    )
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS},
        expect=201,
    )
    docs = [order_doc(*p) for p in PEOPLE]
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": docs}, expect=202)
    keys = {o["order_id"]: o["id"] for o in api.json("GET", "/api/v1/orders")["orders"]}
    return {"conn": conn, "channel": channel, "keys": keys}


def fail(channel_id: str, order_id: str, message: str = "The customer is inactive.") -> None:
    stored = order_repo.get(channel_id, order_id)
    assert stored is not None
    error = {"code": "3100", "message": message, "fix": "Make the customer active.", "retriable": False}
    assert order_repo.mark_failed(stored, None, error)


def test_the_list_is_newest_first_by_order_date_with_status_counts(api, shop):
    listed = api.json("GET", "/api/v1/orders")
    assert [o["order_id"] for o in listed["orders"]] == ["2002", "2003", "2001", "2004"]
    assert listed["counts"] == {"pending": 4, "in_flight": 0, "synced": 0, "failed": 0}
    assert listed["complete"] is True and listed["next"] is None
    assert listed["orders"][0]["order_date"].startswith("2026-11-03")
    fail(shop["channel"]["id"], "2001")
    failed = api.json("GET", "/api/v1/orders?status=failed")
    assert [o["order_id"] for o in failed["orders"]] == ["2001"]
    assert failed["counts"] == {
        "pending": 3,
        "in_flight": 0,
        "synced": 0,
        "failed": 1,
    }  # every status counted


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("#2003", ["2003"]),
        ("2003", ["2003"]),
        ("hopper", ["2001", "2004"]),
        ("GRACE hopper", ["2001"]),
        ("alan@bletchley", ["2002"]),
        ("nobody", []),
    ],
)
def test_search_by_number_name_or_email(api, shop, q, found):
    listed = api.json("GET", f"/api/v1/orders?q={quote(q)}")
    assert sorted(o["order_id"] for o in listed["orders"]) == found
    assert sum(listed["counts"].values()) == len(found)


def test_pages_follow_the_order_and_cursors_stay_in_their_list(api, other_api, shop):
    seen, after = [], None
    for _ in range(5):
        page = api.json("GET", "/api/v1/orders?limit=3" + (f"&after={after}" if after else ""))
        seen += [o["order_id"] for o in page["orders"]]
        after = page["next"]
        if not after:
            break
    assert seen == ["2002", "2003", "2001", "2004"]
    cursor = api.json("GET", "/api/v1/orders?limit=1")["next"]
    assert other_api.call("GET", f"/api/v1/orders?limit=1&after={cursor}").status_code == 400
    channel = shop["channel"]["id"]
    bad = api.json("GET", f"/api/v1/orders?channel={channel}&limit=1&after={cursor}", expect=400)
    assert "after" in bad["details"]["fields"]
    assert other_api.call("GET", f"/api/v1/orders?channel={channel}").status_code == 404


def test_csv_export_has_every_matching_order_and_no_formulas(api, shop):
    for path in ("/api/v1/orders.csv", "/api/v1/orders?format=csv&limit=1"):
        response = api.call("GET", path)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.body.decode())))
        assert rows[0][:3] == ["Order", "Order date", "Customer"]
        assert [r[0] for r in rows[1:]] == ["#2002", "#2003", "#2001", "#2004"]  # every page, not one
        assert rows[4][2] == "'=cmd Hopper"
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    searched = api.call("GET", "/api/v1/orders.csv?q=lovelace")
    assert [r[0] for r in csv.reader(io.StringIO(searched.body.decode()))][1:] == ["#2003"]


def test_bulk_retry_by_ids_and_every_failed_order(api, other_api, shop):
    channel = shop["channel"]["id"]
    keys = shop["keys"]
    for order_id in ("2001", "2002", "2003"):
        fail(channel, order_id)
    before = queued_orders(shop["conn"]["id"])
    answer = api.json(
        "POST", "/api/v1/orders/retry", {"ids": [keys["2001"], keys["2004"], "ord_" + "0" * 24]}, expect=202
    )
    outcomes = {o["id"]: o["outcome"] for o in answer["orders"]}
    assert outcomes == {keys["2001"]: "queued", keys["2004"]: "not_failed", "ord_" + "0" * 24: "not_found"}
    assert answer["counts"] == {"queued": 1, "not_failed": 1, "cannot_retry": 0, "not_found": 1}
    # Another tenant's failed order is not found for this one, and stays failed.
    assert (
        other_api.json("POST", "/api/v1/orders/retry", {"ids": [keys["2002"]]}, expect=202)["counts"][
            "not_found"
        ]
        == 1
    )
    every = api.json("POST", "/api/v1/orders/retry", {"status": "failed"}, expect=202)
    assert sorted(o["number"] for o in every["orders"]) == ["#2002", "#2003"]
    assert api.json("GET", "/api/v1/orders")["counts"]["failed"] == 0
    after = queued_orders(shop["conn"]["id"])
    for order_id in ("2001", "2002", "2003"):
        assert after[(channel, order_id)] == before.get((channel, order_id), 0) + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": "ord_x"}, "ids"),
        ({"ids": [1]}, "ids"),
        ({"ids": ["ord_a"] * 501}, "ids"),
        ({"status": "pending"}, "status"),
        ({"ids": ["ord_a"], "status": "failed"}, "ids"),
        ({"everything": True}, "everything"),
    ],
)
def test_bulk_retry_refuses_bad_bodies(api, body, field):
    refused = api.json("POST", "/api/v1/orders/retry", body, expect=400)
    assert field in refused["details"]["fields"]


def test_detail_has_lines_totals_documents_and_a_timeline(api, other_api, shop):
    key = shop["keys"]["2001"]
    fail(shop["channel"]["id"], "2001", "There is an invalid reference to QuickBooks Customer.")
    detail = api.json("GET", f"/api/v1/orders/{key}")
    assert detail["lines"] == [
        {
            "line_id": "1",
            "sku": "MUG-01",
            "title": "Mug",
            "quantity": "2",
            "unit_price": "12.50",
            "discount": "0.00",
            "tax": "0.00",
            "amount": "25.00",
        }
    ]
    assert detail["totals"]["total"] == "30.00" and detail["totals"]["shipping"] == "5.00"
    assert detail["email"] == "grace@navy.example" and detail["documents"] == {}
    steps = [e["step"] for e in detail["timeline"]]
    assert steps[0] == "received" and steps[-1] == "failed"
    assert detail["timeline"][-1]["text"] == "There is an invalid reference to QuickBooks Customer."
    assert detail["timeline"][-1]["fix"] == "Make the customer active."
    assert other_api.call("GET", f"/api/v1/orders/{key}").status_code == 404


def test_the_timeline_tells_a_claimed_and_synced_order(api, shop):
    stored = order_repo.get(shop["channel"]["id"], "2002")
    assert stored is not None and order_repo.claim(stored, "lbset1")
    claimed = api.json("GET", f"/api/v1/orders/{shop['keys']['2002']}")
    assert claimed["message_set_id"] == "lbset1" and claimed["claimed_at"]
    sent = [e for e in claimed["timeline"] if e["step"] == "sent"]
    assert sent and "lbset1" in sent[0]["text"]
    current = order_repo.get(shop["channel"]["id"], "2002")
    assert current is not None
    assert order_repo.record_document(
        current,
        "lbset1",
        label="SalesReceipt",
        txn_id="1A-99",
        txn_type="SalesReceipt",
        ref_number="2002",
        complete=True,
    )
    synced = api.json("GET", f"/api/v1/orders/{shop['keys']['2002']}")
    assert synced["documents"] == {"SalesReceipt": "1A-99"} and synced["attempts"] == 1
    assert synced["timeline"][-1]["step"] == "recorded" and "1A-99" in synced["timeline"][-1]["text"]


def _unchanged(channel_id: str, order_id: str) -> tuple[Any, ...]:
    stored = order_repo.get(channel_id, order_id)
    assert stored is not None
    return (stored.status, stored.digest, stored.updated_at, stored.attempts, stored.rules, stored.documents)


def test_preview_of_a_stored_order(api, shop):
    channel = shop["channel"]["id"]
    before, queued = _unchanged(channel, "2003"), queued_orders(shop["conn"]["id"])
    rule = {
        "name": "Web memo",
        "enabled": True,
        "channels": [],
        "join": "and",
        "conditions": [{"field": "total", "op": "more_than", "values": ["1"]}],
        "actions": [{"action": "SET_MEMO", "template": "Web order {number}"}],
    }
    made = api.json("POST", "/api/v1/rules", rule, expect=201)
    for answer in (
        api.json("GET", f"/api/v1/orders/{shop['keys']['2003']}/preview"),
        api.json("POST", "/api/v1/orders/preview", {"id": shop["keys"]["2003"]}),
    ):
        assert answer["documents"] == [
            {"label": "SalesReceipt", "kind": "SalesReceipt", "txn_id": None, "in_quickbooks": False}
        ]
        assert answer["customer"]["match"] == "would_be_added"
        assert "Lovelace" in answer["customer"]["name"]
        product, shipping = answer["lines"]
        assert (product["item"], product["match"], product["item_type"]) == (
            "MUG-01",
            "found",
            "ItemInventory",
        )
        assert (shipping["kind"], shipping["item"], shipping["match"]) == (
            "shipping",
            "Shipping",
            "would_be_added",
        )
        assert shipping["income_account"] == "Sales"
        assert [(a["kind"], a["name"]) for a in answer["adds"]] == [
            ("customer", answer["customer"]["name"]),
            ("item", "Shipping"),
        ]
        assert answer["totals"]["adds_up"] is True and answer["totals"]["total"] == "30.00"
        assert answer["rules"] == [{"id": made["id"], "name": "Web memo"}]
        assert answer["problem"] is None
        assert schema_errors(answer["qbxml"]) == []
        doc = etree.fromstring(answer["qbxml"].encode())
        assert doc.findtext(".//SalesReceiptAdd/Memo") == "Web order #2003"
        assert [e.tag for e in doc.find(".//QBXMLMsgsRq")] == [
            "CustomerAddRq",
            "ItemOtherChargeAddRq",
            "SalesReceiptAddRq",
        ]
    assert _unchanged(channel, "2003") == before  # nothing written
    assert queued_orders(shop["conn"]["id"]) == queued  # nothing sent


def test_preview_of_a_pasted_order_and_its_totals_check(api, other_api, shop):
    channel = shop["channel"]["id"]
    pasted = order_doc("9001", "2026-11-05T09:00:00Z", "Edsger", "Dijkstra", "ed@example.com")
    good = api.json("POST", "/api/v1/orders/preview", {"order": pasted, "channel_id": channel})
    assert good["order"] == {"id": None, "order_id": "9001", "number": "#9001"}
    assert schema_errors(good["qbxml"]) == []
    assert api.call("GET", "/api/v1/orders?q=9001").status_code == 200
    assert api.json("GET", "/api/v1/orders?q=9001")["orders"] == []  # nothing stored
    off = {**pasted, "total": "31.00"}
    mismatch = api.json("POST", "/api/v1/orders/preview", {"order": off, "channel_id": channel})
    assert mismatch["totals"]["adds_up"] is False and mismatch["totals"]["difference"] == "-1.00"
    assert mismatch["qbxml"] is None and "add up to 30.00" in mismatch["problem"]
    refused = other_api.json(
        "POST", "/api/v1/orders/preview", {"order": pasted, "channel_id": channel}, expect=400
    )
    assert refused["details"]["fields"] == {"channel_id": "is not a channel of yours"}
    assert other_api.call("GET", f"/api/v1/orders/{shop['keys']['2001']}/preview").status_code == 404
    assert other_api.call("POST", "/api/v1/orders/preview", {"id": shop["keys"]["2001"]}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "order"),
        ({"order": {"id": "1"}, "channel_id": "chn_x"}, "channel_id"),
        ({"order": [], "channel_id": "chn_x"}, "order"),
        ({"id": 5}, "id"),
        ({"id": "ord_x", "order": {}}, "id"),
        ({"id": "ord_x", "extra": 1}, "extra"),
    ],
)
def test_preview_refuses_bad_bodies(api, shop, body, field):
    refused = api.json("POST", "/api/v1/orders/preview", body, expect=400)
    assert field in refused["details"]["fields"]


def test_a_pasted_order_that_is_invalid_names_its_fields(api, shop):
    bad = copy.deepcopy(ORDER)
    bad["lines"][0]["quantity"] = -1
    refused = api.json(
        "POST", "/api/v1/orders/preview", {"order": bad, "channel_id": shop["channel"]["id"]}, expect=400
    )
    assert any(k.startswith("order.lines[0]") for k in refused["details"]["fields"])


PARAM_NAMES = st.sampled_from(["q", "status", "channel", "limit", "after", "format", "sort", "Q", ""])
PARAM_VALUES = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["failed", "-1", "0", "501", "9" * 40, "csv", "xml", "x" * 600, "\x00", "ord_", "%"]),
)


@PROPERTY
@given(params=st.dictionaries(PARAM_NAMES, PARAM_VALUES, max_size=4))
@example(params={"limit": "1e3"})
@example(params={"after": "eyJ2IjoxfQ", "limit": "2"})
@example(params={"q": "x" * 101})
def test_hostile_query_strings_are_a_400_naming_the_parameter(api, params):
    for path in ("/api/v1/orders", "/api/v1/orders.csv"):
        response = api.call("GET", f"{path}?{urlencode(params)}")
        assert response.status_code in (200, 400, 404), (params, response.status_code)
        if response.status_code == 400:
            body = json.loads(response.body)
            assert set(body["details"]["fields"]) <= set(params) | {""}, body
            assert body["message"]
