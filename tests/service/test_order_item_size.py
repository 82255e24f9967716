"""The order item's DynamoDB write units (issue 12): a typical order's item stays under 1 KB from its push to its
settle, so each of its writes costs one unit; the document is stored compressed from the first write, and orders
stored before (inline JSON, plain zlib) still read, through dal/orders.py and the REST API alike. A claim rewrites no
index entry; the settle only removes the order from the open index."""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.dal import orders
from chalicelib.dal.models import OrderModel
from chalicelib.dal.order_documents import DocumentFormat
from chalicelib.dal.orders import Incoming
from chalicelib.orders.quickbooks.identity import order_guid
from ledgerbridge.item_sizes import item_size

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "orders"
WRITE_UNIT_BYTES = 1024  # a write unit covers 1 KB of the item (DynamoDB Developer Guide, "Item sizes")


def _raw(channel_id: str, order_id: str) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=OrderModel.Meta.table_name,
        Key={"channel_id": {"S": channel_id}, "order_id": {"S": order_id}},
        ConsistentRead=True,
    )["Item"]
    return item


def _ids() -> tuple[str, str, str]:
    """A tenant, connection and channel id as the service makes them (`<kind>_` and 16 hex digits)."""
    return ("ten_" + uuid.uuid4().hex[:16], "con_" + uuid.uuid4().hex[:16], "chn_" + uuid.uuid4().hex[:16])


def _store(tenant: str, conn: str, channel: str, document: dict[str, Any]) -> str:
    order_id = str(document["id"])
    digest = uuid.uuid4().hex * 2  # a SHA-256's length, as the store path's digest
    incoming = Incoming(
        order_id, str(document["number"]), document, digest, order_guid(conn, channel, order_id)
    )
    assert orders.upsert(tenant, conn, channel, incoming) == "new"
    return order_id


def _settle(channel: str, order_id: str, set_id: str) -> None:
    stored = orders.get(channel, order_id)
    assert stored is not None
    change = orders.document_change(
        orders.InFlight.of(stored),
        set_id,
        label="SalesReceipt",
        txn_id="1A2B3C-1796623433",
        txn_type="SalesReceipt",
        ref_number=stored.number[:11],
        complete=True,
    )
    assert orders.write_changes([change]) == [True]


# A store order as the bench and a custom store send it (bench/orders_to_quickbooks.py make_orders): one to three
# lines, a customer, an address, a payment, maybe shipping.
@st.composite
def store_orders(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(min_value=1, max_value=10**9))
    first = draw(st.from_regex(r"[A-Z][a-z]{2,11}", fullmatch=True))
    last = draw(st.from_regex(r"[A-Z][a-z]{2,13}", fullmatch=True))
    lines = [
        {
            "id": str(i + 1),
            "sku": sku,
            "title": sku,
            "quantity": draw(st.integers(min_value=1, max_value=5)),
            "unit_price": str(
                draw(st.decimals(min_value=Decimal("0.50"), max_value=Decimal("999.99"), places=2))
            ),
        }
        for i, sku in enumerate(
            draw(st.lists(st.from_regex(r"[A-Z]{2,6}-[0-9]{3,6}", fullmatch=True), min_size=1, max_size=3))
        )
    ]
    shipping = draw(st.sampled_from(["0.00", "5.00", "9.95"]))
    return {
        "id": str(n),
        "number": f"#{n}",
        "created_at": "2026-11-20T10:00:00Z",
        "currency": "USD",
        "customer": {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@example.com",
        },
        "billing_address": {"line1": "1 Main St", "city": "Seattle", "state": "WA", "postal_code": "98101"},
        "lines": lines,
        "shipping_lines": [{"title": "Ground", "price": shipping}] if shipping != "0.00" else [],
        "payments": [{"method": "credit_card", "amount": "1.00"}],
        "payment_status": "paid",
        "total": "1.00",
    }


@settings(max_examples=12, deadline=None)
@given(document=store_orders())
def test_a_store_order_stays_within_one_write_unit_from_push_to_settle(
    aws: str, document: dict[str, Any]
) -> None:
    tenant, conn, channel = _ids()
    order_id = _store(tenant, conn, channel, document)
    pushed = _raw(channel, order_id)
    stored = orders.get(channel, order_id)
    assert stored is not None and stored.document == document
    assert orders.write_changes([orders.claim_change(stored, "lb" + uuid.uuid4().hex[:20])]) == [True]
    claimed = _raw(channel, order_id)
    _settle(channel, order_id, str(claimed["message_set_id"]["S"]))
    settled = _raw(channel, order_id)
    sizes = [item_size(pushed), item_size(claimed), item_size(settled)]
    assert max(sizes) <= WRITE_UNIT_BYTES, sizes


def test_the_marketplace_fixture_order_stays_within_one_write_unit(aws: str) -> None:
    document = json.loads((FIXTURES / "uk_marketplace_order.json").read_text())
    tenant, conn, channel = _ids()
    order_id = _store(tenant, conn, channel, document)
    stored = orders.get(channel, order_id)
    assert stored is not None and stored.document == document
    assert orders.write_changes([orders.claim_change(stored, "lb" + uuid.uuid4().hex[:20])]) == [True]
    claimed = _raw(channel, order_id)
    _settle(channel, order_id, str(claimed["message_set_id"]["S"]))
    assert max(item_size(claimed), item_size(_raw(channel, order_id))) <= WRITE_UNIT_BYTES


def test_a_new_order_is_stored_compressed_from_its_first_write(aws: str) -> None:
    tenant, conn, channel = _ids()
    small = {"id": "1", "number": "1", "total": "1.00"}  # however small
    order_id = _store(tenant, conn, channel, small)
    item = _raw(channel, order_id)
    assert "document" not in item and "document_ref" not in item
    assert item["document_z"]["B"][0] == DocumentFormat.DICTIONARY_V1
    stored = orders.get(channel, order_id)
    assert stored is not None and stored.document == small


# The item as the code of before wrote it: the same attributes, the document inline (JSON) or as a zlib stream.
def _stored_before(
    tenant: str, conn: str, channel: str, document: dict[str, Any], *, zlib_stream: bool
) -> str:
    order_id = str(document["id"])
    text = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    now = datetime.now(UTC)
    OrderModel(
        channel,
        order_id,
        order_key=orders.order_key(channel, order_id),
        tenant_id=tenant,
        connection_id=conn,
        status=orders.PENDING,
        number=str(document["number"]),
        digest="d-before",
        received_at=now,
        updated_at=now,
        external_guid=order_guid(conn, channel, order_id),
        open_connection=conn,
        queued_at=now.isoformat(),
        **({"document_z": zlib.compress(text, 6)} if zlib_stream else {"document": document}),
    ).save()
    # JSON attributes as PynamoDB's JSONAttribute wrote them before (blanks after commas and colons).
    values = {
        ":d": {"S": json.dumps({"SalesOrder": "7-1"})},
        ":e": {"S": json.dumps({"code": "3180", "message": "busy", "retriable": True})},
        ":doc": {"S": json.dumps(document)},
    }
    if zlib_stream:
        del values[":doc"]
    boto3.client("dynamodb").update_item(
        TableName=OrderModel.Meta.table_name,
        Key={"channel_id": {"S": channel}, "order_id": {"S": order_id}},
        UpdateExpression="SET documents = :d, #e = :e" + ("" if zlib_stream else ", document = :doc"),
        ExpressionAttributeNames={"#e": "error"},
        ExpressionAttributeValues=values,
    )
    return order_id


def _before(order_id: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "number": f"#{order_id}",
        "currency": "USD",
        "customer": {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"},
        "lines": [{"id": "1", "sku": "MUG", "title": "Mug", "quantity": 1, "unit_price": "9.00"}],
        "total": "9.00",
    }


def test_orders_stored_before_compression_still_read_and_are_stored_compressed_when_changed(aws: str) -> None:
    tenant, conn, channel = _ids()
    inline = _stored_before(tenant, conn, channel, _before("501"), zlib_stream=False)
    zlibbed = _stored_before(tenant, conn, channel, _before("502"), zlib_stream=True)
    assert "document" in _raw(channel, inline) and _raw(channel, zlibbed)["document_z"]["B"][:1] == b"\x78"
    for order_id in (inline, zlibbed):
        assert (got := orders.get(channel, order_id)) is not None and got.document == _before(order_id)
        assert got.documents == {"SalesOrder": "7-1"} and got.error == {
            "code": "3180",
            "message": "busy",
            "retriable": True,
        }
        by_key = orders.get_by_key(tenant, orders.order_key(channel, order_id))
        assert by_key is not None and by_key.document == _before(order_id)
    assert {o.order_id: o.document for o in orders.get_many([(channel, inline), (channel, zlibbed)])} == {
        inline: _before(inline),
        zlibbed: _before(zlibbed),
    }
    listed, _ = orders.list_orders(tenant, channel_id=None, status=None, limit=10, after=None)
    assert {o.order_id: o.document for o in listed} == {inline: _before(inline), zlibbed: _before(zlibbed)}
    # The store changes the order before it reached QuickBooks: the new version is stored compressed, and the
    # inline JSON of before is gone from the item.
    changed = {**_before(inline), "total": "19.00"}
    incoming = Incoming(inline, changed["number"], changed, "d-after", order_guid(conn, channel, inline))
    assert orders.upsert(tenant, conn, channel, incoming) == "changed"
    item = _raw(channel, inline)
    assert "document" not in item and item["document_z"]["B"][0] == DocumentFormat.DICTIONARY_V1
    assert (got := orders.get(channel, inline)) is not None and got.document == changed


def test_the_rest_api_shows_orders_stored_before_compression(api: Any) -> None:
    _, conn, channel = _ids()
    for order_id, zlib_stream in (("601", False), ("602", True)):
        _stored_before(api.tenant_id, conn, channel, _before(order_id), zlib_stream=zlib_stream)
        view = api.json("GET", f"/api/v1/orders/{orders.order_key(channel, order_id)}")
        assert view["total"] == "9.00" and "Ada" in json.dumps(view)
    listed = api.json("GET", "/api/v1/orders")
    totals = {o["order_id"]: o["total"] for o in listed["orders"]}
    assert totals == {"601": "9.00", "602": "9.00"}


_OPEN = ("open_connection", "queued_at")
_BY_TENANT = ("tenant_id", "order_key")


def test_a_claim_rewrites_no_index_entry_and_the_settle_only_leaves_the_open_index(aws: str) -> None:
    """Both indexes keep keys only (infra/template.yaml): an index entry is written only when its keys change."""
    tenant, conn, channel = _ids()
    order_id = _store(tenant, conn, channel, _before("701"))
    pushed = _raw(channel, order_id)
    assert all(k in pushed for k in _OPEN + _BY_TENANT)
    stored = orders.get(channel, order_id)
    assert stored is not None
    set_id = "lb" + uuid.uuid4().hex[:20]
    assert orders.write_changes([orders.claim_change(stored, set_id)]) == [True]
    claimed = _raw(channel, order_id)
    assert {k: claimed[k] for k in _OPEN + _BY_TENANT} == {k: pushed[k] for k in _OPEN + _BY_TENANT}
    assert claimed["status"] == {"S": orders.IN_FLIGHT}
    _settle(channel, order_id, set_id)
    settled = _raw(channel, order_id)
    assert not any(k in settled for k in _OPEN)
    assert {k: settled[k] for k in _BY_TENANT} == {k: pushed[k] for k in _BY_TENANT}
    assert settled["status"] == {"S": orders.SYNCED}
    # Compact JSON (every byte of the item is paid for at each write); values written with blanks still read.
    assert settled["documents"] == {"S": '{"SalesReceipt":"1A2B3C-1796623433"}'}


def test_an_order_going_on_to_its_next_document_in_the_same_job_keeps_its_open_index_entry(aws: str) -> None:
    """An invoice posted, its payment next (or an answer that left the order to be verified): the order stays with the
    job, no new queue message carries it, so the open index entry (keyed by the time of its last message) is not
    rewritten; the sweep still finds it there. When a new message does carry it, the entry moves with it."""
    tenant, conn, channel = _ids()
    order_id = _store(tenant, conn, channel, _before("801"))
    pushed = _raw(channel, order_id)
    for round_trip in range(2):
        stored = orders.get(channel, order_id)
        assert stored is not None
        set_id = f"lb{round_trip}" + uuid.uuid4().hex[:19]
        assert orders.write_changes([orders.claim_change(stored, set_id)]) == [True]
        claimed = orders.get(channel, order_id)
        assert claimed is not None
        flight = orders.InFlight.of(claimed)
        change = (
            orders.document_change(
                flight,
                set_id,
                label="Invoice",
                txn_id="9-1",
                txn_type="Invoice",
                ref_number="801",
                complete=False,
                new_message=False,
            )
            if round_trip == 0
            else orders.pending_change(flight, set_id, None, verify=True, new_message=False)
        )
        assert orders.write_changes([change]) == [True]
        again = _raw(channel, order_id)
        assert again["status"] == {"S": orders.PENDING}
        assert {k: again[k] for k in _OPEN} == {k: pushed[k] for k in _OPEN}
    swept = orders.open_orders(conn, queued_before=datetime.now(UTC), limit=10)
    assert [o.order_id for o in swept] == [order_id]
    # Queued again in a new message (a retry after a back-off, a job handed back): the entry moves with it.
    stored = orders.get(channel, order_id)
    assert stored is not None
    set_id = "lb" + uuid.uuid4().hex[:20]
    assert orders.write_changes([orders.claim_change(stored, set_id)]) == [True]
    assert orders.back_to_pending(stored, set_id, None, verify=False)
    requeued = _raw(channel, order_id)
    assert requeued["open_connection"] == pushed["open_connection"]
    assert requeued["queued_at"]["S"] > pushed["queued_at"]["S"]


def test_an_invoice_posted_before_its_payment_leaves_the_open_index_entry_alone(
    api: Any, tmp_path: Path
) -> None:
    """Through the Web Connector: the invoice's round trip settles the order back to pending for its payment, in the
    same job; its open index entry (`queued_at`, from the push) is not rewritten. The payment's round trip makes it
    synced and out of the index."""
    from tests.service.test_paid_invoices import _store as invoice_store
    from tests.service.test_paid_invoices import paid, send

    store = {**invoice_store(api, tmp_path, "US"), "api": api}
    doc = paid(41, ("ch_41", "30.00"), status="paid")
    send(store, doc)
    channel = store["channel"]["id"]
    pushed = _raw(channel, doc["id"])
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert "InvoiceAddRq" in request
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") >= 0
    between = _raw(channel, doc["id"])
    assert between["status"] == {"S": orders.PENDING} and "Invoice" in json.loads(between["documents"]["S"])
    assert {k: between[k] for k in _OPEN} == {k: pushed[k] for k in _OPEN}
    request = service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0")
    assert "ReceivePaymentAddRq" in request
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") == 100
    service.close_connection(auth.ticket)
    synced = _raw(channel, doc["id"])
    assert synced["status"] == {"S": orders.SYNCED} and not any(k in synced for k in _OPEN)
