"""What a Web Connector session writes to keep its own books (the connection, the ticket, the sync run), and what
those writes cost: DynamoDB charges a write unit per KB of the larger of the item before and after a write (for
UpdateItem too), so the connection item stays under 1 KB, a write that would change nothing is not made, and writes of
the same call are one.

Writes are seen at botocore's `_make_api_call` (every client's every call); an item's size is read after each write
around the counting (DynamoDB's "Item sizes and formats": attribute names plus values, numbers about a byte per two
digits)."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.client
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.dal import connections, payloads, sync_runs, tickets
from chalicelib.dal.models import ConnectionModel, PayloadModel, SyncRunModel, TicketModel
from chalicelib.settings import get_settings
from chalicelib.sync import jobs, pairing, pending_requests
from chalicelib.sync.web_connector import WebConnectorService
from ledgerbridge.item_sizes import item_size, write_units
from tests.service.test_post_orders import order, session
from tests.service.test_web_connector_session import run_rounds

KB = 1024
# The company information as connections stored it before it was kept compact: QuickBooks' every field, the
# versions as a list, JSON with blanks (json.dumps' default).
FULL_COMPANY = {
    "company_name": "Blue Heron Outfitters",
    "legal_company_name": "Blue Heron Outfitters LLC",
    "product_name": "QuickBooks Desktop Pro Plus 2023",
    "major_version": "33",
    "minor_version": "0",
    "country": "US",
    "supported_qbxml_versions": list(connections.QBXML_RELEASES),
    "file_mode": "SingleUser",
    "is_sample_company": False,
    "multicurrency": False,
    "home_currency": None,
}


@dataclass
class Write:
    table: str
    operation: str
    params: dict[str, Any]
    size_after: int  # bytes of the item after the write


@dataclass
class Writes:
    seen: list[Write] = field(default_factory=list)

    def to(self, model: Any) -> list[Write]:
        return [w for w in self.seen if w.table == model.Meta.table_name]

    def count(self) -> Counter[str]:
        return Counter(f"{w.table.rsplit('-', 1)[-1]} {w.operation}" for w in self.seen)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Writes]:
    """Every write to the connections, tickets and sync runs from here on, with the size of the item it left (read
    without being counted)."""
    recorded = Writes()
    real = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation: str, params: Any) -> Any:
        answer = real(client, operation, params)
        mine = client.meta.service_model.service_name == "dynamodb" and bool(
            _keys(params.get("TableName", ""))
        )
        if mine and operation in ("PutItem", "UpdateItem"):
            table = params["TableName"]
            key = params.get("Key") or {k: params["Item"][k] for k in _keys(table)}
            item = real(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}).get(
                "Item"
            )
            recorded.seen.append(Write(table, operation, params, item_size(item or {})))
        return answer

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield recorded


def _keys(table: str) -> list[str]:
    for model in (ConnectionModel, TicketModel, SyncRunModel):
        if model.Meta.table_name == table:
            return [
                name for name, attr in model.get_attributes().items() if attr.is_hash_key or attr.is_range_key
            ]
    return []


def _push(api: Any, store: dict[str, Any], *docs: dict[str, Any]) -> None:
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": list(docs)}, expect=202)


def _raw_connection(connection_id: str) -> dict[str, Any]:
    client = ConnectionModel._get_connection().connection.client
    item: dict[str, Any] = client.get_item(
        TableName=ConnectionModel.Meta.table_name,
        Key={"connection_id": {"S": connection_id}},
        ConsistentRead=True,
    )["Item"]
    return item


# --- a one-order session -------------------------------------------------------------------------------------------


def test_a_one_order_session_keeps_its_books_in_few_small_writes(api, store, writes):
    """The usual session (one order): the connection is written twice (the lease taken, then released), each under
    1 KB; the ticket once (the request waiting for its answer and the set it sends: not at sign-in, not at the end);
    the sync run once; closeConnection writes nothing."""
    _push(api, store, order(1))
    writes.seen.clear()
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    assert auth.status == ""
    assert run_rounds(service, auth.ticket, company) == [100]
    before_close = len(writes.seen)
    summary = service.close_connection(auth.ticket)
    assert len(writes.seen) == before_close, "closeConnection wrote"
    assert "1 round trip" in summary and "post orders" in summary

    written = writes.count()
    assert written["connections UpdateItem"] == 2, written
    assert written["tickets PutItem"] == 1, written
    assert written["sync_runs PutItem"] == 1, written
    assert all(w.size_after < KB for w in writes.to(ConnectionModel)), [w.size_after for w in writes.seen]
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.active_ticket is None and conn.unresolved_set_id is None
    (run,) = [r for r in sync_runs.recent(store["conn"]["id"]) if r.ticket == auth.ticket]
    assert run.outcome == "completed" and run.round_trips == 1 and run.counts.get("orders_synced") == 1
    assert len(company.transactions("SalesReceipt")) == 1


def test_a_session_ends_with_its_last_answer_and_a_new_one_can_start_at_once(api, store):
    """On 100 the Web Connector's next call is closeConnection: the lease is released with the last answer, so a
    Web Connector starting again right away is not told "busy"."""
    _push(api, store, order(2))
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    assert run_rounds(service, auth.ticket, company) == [100]
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.active_ticket is None
    assert service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0") == ""
    _push(api, store, order(3))
    again = service.authenticate(store["conn"]["username"], store["password"])
    assert again.status == ""
    assert "post orders" in service.close_connection(
        auth.ticket
    )  # the first session's summary, still readable
    assert run_rounds(service, again.ticket, company, hcp=False) == [100]
    service.close_connection(again.ticket)
    assert len(company.transactions("SalesReceipt")) == 2


def test_a_longer_session_shows_as_running_after_its_second_round_trip(api, store, writes):
    """The history shows a session still going once it is past its second round trip; one that ends by then (an
    order set, a standing inventory read of two round trips) is written once, as it ends."""
    company = store["company"]
    service = WebConnectorService(get_settings()._replace(item_page_size=40), clock=store["service"].clock)
    company.add_generated_items(120)
    pairing.queue_refresh(api.tenant_id, store["conn"]["id"])
    auth = service.authenticate(store["conn"]["username"], store["password"])

    def round_trip(hcp: str) -> int:
        request = service.send_request_xml(auth.ticket, hcp, company.company_file, "US", "13", "0")
        return service.receive_response_xml(auth.ticket, company.process(request), "", "")

    def runs() -> list[Any]:
        return [r for r in sync_runs.recent(store["conn"]["id"]) if r.ticket == auth.ticket]

    assert 0 < round_trip(company.hcp_response()) < 100
    assert runs() == [] and writes.to(SyncRunModel) == []
    assert 0 < round_trip("") < 100
    (running,) = runs()
    assert running.outcome == "running" and running.ended_at is None
    assert run_rounds(service, auth.ticket, company, hcp=False)[-1] == 100
    service.close_connection(auth.ticket)
    assert [r.outcome for r in runs()] == ["completed"]
    assert len(writes.to(SyncRunModel)) == 2  # running, then its end


def _left_unresolved(connection_id: str, ticket: str, record: dict[str, Any]) -> bool:
    """A set recorded, then named on the connection by the session `ticket` letting go of it unsettled."""
    connections.record_message_set(connection_id, record)
    return connections.mark_unresolved_set(connection_id, ticket, record["id"])


def _paired_with_set(store: dict[str, Any], ticket: str, set_id: str) -> str:
    connection_id = str(store["conn"]["id"])
    now = datetime.now(UTC).timestamp()
    assert connections.acquire_session(connection_id, ticket, now, now + 180)
    assert _left_unresolved(connection_id, ticket, {"id": set_id, "orders": []})
    return connection_id


def test_a_held_clear_is_written_with_the_release_or_on_its_own(api, store, writes):
    connection_id = _paired_with_set(store, "a" * 43, "lb" + "1" * 20)
    with connections.holding_set_clears("lb" + "1" * 20) as held:
        assert connections.clear_unresolved_set(connection_id, "lb" + "1" * 20)
        conn = connections.get(connection_id)
        assert conn is not None and conn.unresolved_set_id == "lb" + "1" * 20  # not written yet
        writes.seen.clear()
        assert connections.release_session(connection_id, "a" * 43, clearing_set=held.take(connection_id))
    assert len(writes.to(ConnectionModel)) == 1  # one write for both
    conn = connections.get(connection_id)
    assert conn is not None and conn.unresolved_set_id is None and conn.active_ticket is None

    # the lease was taken over meanwhile: the set is cleared all the same, the other session keeps its lease
    _paired_with_set(store, "b" * 43, "lb" + "2" * 20)
    with connections.holding_set_clears("lb" + "2" * 20) as held:
        connections.clear_unresolved_set(connection_id, "lb" + "2" * 20)
        assert not connections.release_session(connection_id, "c" * 43, clearing_set=held.take(connection_id))
    conn = connections.get(connection_id)
    assert conn is not None and conn.unresolved_set_id is None and conn.active_ticket == "b" * 43
    assert connections.release_session(connection_id, "b" * 43)


def test_a_held_clear_is_written_when_the_call_fails_or_goes_on(api, store):
    connection_id = _paired_with_set(store, "d" * 43, "lb" + "3" * 20)
    with pytest.raises(RuntimeError), connections.holding_set_clears("lb" + "3" * 20):
        connections.clear_unresolved_set(connection_id, "lb" + "3" * 20)
        raise RuntimeError("the call failed after settling")
    conn = connections.get(connection_id)
    assert conn is not None and conn.unresolved_set_id is None
    assert _left_unresolved(connection_id, "d" * 43, {"id": "lb" + "4" * 20, "orders": []})
    with connections.holding_set_clears("lb" + "4" * 20) as held:
        connections.clear_unresolved_set(connection_id, "lb" + "4" * 20)
        held.flush()  # a session going on writes it before its next set is recorded
        conn = connections.get(connection_id)
        assert conn is not None and conn.unresolved_set_id is None
    assert connections.release_session(connection_id, "d" * 43)


def test_a_set_the_connection_does_not_name_is_not_cleared_on_it(api, store, writes):
    """A session's own set is named by its ticket only: settling it writes nothing to the connection, and a set the
    connection does name (another one) stays."""
    connection_id = _paired_with_set(store, "e" * 43, "lb" + "5" * 20)
    writes.seen.clear()
    with connections.holding_set_clears("lb" + "5" * 20) as held:
        assert connections.clear_unresolved_set(
            connection_id, "lb" + "6" * 20
        )  # the session's own: nothing held
        assert held.take(connection_id) is None
    with connections.holding_set_clears(None) as held:
        assert connections.clear_unresolved_set(connection_id, "lb" + "5" * 20)
        assert held.take(connection_id) is None
    assert writes.to(ConnectionModel) == []
    conn = connections.get(connection_id)
    assert conn is not None and conn.unresolved_set_id == "lb" + "5" * 20
    assert connections.release_session(connection_id, "e" * 43, clearing_set="lb" + "5" * 20)


def test_a_set_is_named_on_the_connection_only_by_the_session_holding_it(api, store):
    connection_id = str(store["conn"]["id"])
    now = datetime.now(UTC).timestamp()
    assert connections.acquire_session(connection_id, "holder", now, now + 180)
    assert not _left_unresolved(connection_id, "other", {"id": "lb" + "7" * 20})
    assert _left_unresolved(connection_id, "holder", {"id": "lb" + "7" * 20})
    assert _left_unresolved(
        connection_id, "holder", {"id": "lb" + "7" * 20}
    )  # naming it again changes nothing
    assert not _left_unresolved(
        connection_id, "holder", {"id": "lb" + "8" * 20}
    )  # one unresolved set at a time
    conn = connections.get(connection_id)
    assert conn is not None and conn.unresolved_set_id == "lb" + "7" * 20
    assert connections.release_session(connection_id, "holder", clearing_set="lb" + "7" * 20)


# --- the company information ---------------------------------------------------------------------------------------


def test_a_session_whose_company_did_not_change_does_not_rewrite_it(api, store, writes):
    _push(api, store, order(4))
    writes.seen.clear()
    assert session(store)[0] == ""  # the company information comes again, the same
    company_writes = [w for w in writes.to(ConnectionModel) if "company" in json.dumps(w.params)]
    assert company_writes == []
    hcp = store["company"].hcp_response().replace("Blue Heron Outfitters<", "Blue Heron Outfitters West<", 1)
    assert hcp != store["company"].hcp_response()
    _push(api, store, order(5))
    auth = store["service"].authenticate(store["conn"]["username"], store["password"])
    assert auth.status == ""
    store["service"].send_request_xml(auth.ticket, hcp, store["company"].company_file, "US", "13", "0")
    company_writes = [w for w in writes.to(ConnectionModel) if "company" in json.dumps(w.params)]
    assert len(company_writes) == 1  # a company renamed in QuickBooks is recorded
    store["service"].close_connection(auth.ticket)
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.company is not None
    assert conn.company["company_name"] == "Blue Heron Outfitters West"


def test_an_old_connection_item_with_the_full_company_info_still_reads_and_is_rewritten_compact(
    api, store, writes
):
    connection_id = store["conn"]["id"]
    client = ConnectionModel._get_connection().connection.client
    client.update_item(  # as written before: every field QuickBooks reported, and the user name
        TableName=ConnectionModel.Meta.table_name,
        Key={"connection_id": {"S": connection_id}},
        UpdateExpression="SET company = :c, username = :u, failed_logins = :z",
        ExpressionAttributeValues={
            ":c": {"S": json.dumps(FULL_COMPANY)},
            ":u": {"S": store["conn"]["username"]},
            ":z": {"N": "0"},
        },
    )
    conn = connections.get(connection_id)
    assert conn is not None and conn.company_in_full and conn.username == store["conn"]["username"]
    assert conn.company == {
        "company_name": "Blue Heron Outfitters",
        "product_name": "QuickBooks Desktop Pro Plus 2023",
        "country": "US",
        "supported_qbxml_versions": list(connections.QBXML_RELEASES),
        "multicurrency": False,
    }
    status = pairing.status_view(conn)
    assert status["company_name"] == "Blue Heron Outfitters" and "13.0" in status["qbxml_versions"]
    assert connections.company_country(connection_id) == "US"

    _push(api, store, order(6))
    writes.seen.clear()
    assert session(store)[0] == ""  # the same company information: the item is rewritten once, compact
    assert len([w for w in writes.to(ConnectionModel) if "company" in json.dumps(w.params)]) == 1
    stored = json.loads(_raw_connection(connection_id)["company"]["S"])
    assert stored == {
        "company_name": "Blue Heron Outfitters",
        "product_name": "QuickBooks Desktop Pro Plus 2023",
        "country": "US",
        "multicurrency": False,
        "qbxml_versions": "1.0..16.0",
    }
    conn = connections.get(connection_id)
    assert conn is not None and not conn.company_in_full
    assert conn.company is not None and conn.company["supported_qbxml_versions"][-1] == "16.0"
    _push(api, store, order(7))
    writes.seen.clear()
    assert session(store)[0] == ""
    assert [w for w in writes.to(ConnectionModel) if "company" in json.dumps(w.params)] == []


def test_a_connection_with_long_names_a_session_and_an_unresolved_set_stays_under_a_kilobyte(api, store):
    """The longest names QuickBooks products and company files commonly have, while a session holds the lease
    and a message set is unresolved: the connection's writes cost one unit each."""
    connection_id = store["conn"]["id"]
    conn = connections.get(connection_id)
    assert conn is not None
    company = connections.CompanyInfo(
        company_name="Blue Heron Outfitters & Outdoor Supply",  # QuickBooks' CompanyName: up to 41 characters
        product_name="QuickBooks Enterprise Solutions: Manufacturing and Wholesale 23.0",
        country="US",
        supported_qbxml_versions=list(connections.QBXML_RELEASES),
        multicurrency=True,
        home_currency="US Dollar",
    )
    path = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Blue Heron Outfitters & Outdoor Supply.qbw"
    connections.record_company(conn, company, path, "13.0", conn.created_at)
    now = conn.created_at.timestamp()
    ticket = "t" * 43
    assert connections.acquire_session(connection_id, ticket, now, now + 180, signed_in_at=conn.created_at)
    assert _left_unresolved(connection_id, ticket, {"id": "lb" + "0" * 20, "orders": []})
    assert item_size(_raw_connection(connection_id)) < KB


# --- the ticket ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("orders", [1, 40])
def test_a_set_and_the_request_carrying_it_are_kept_in_one_payload_write_and_sent_again_as_they_were(
    api, store, monkeypatch, orders
):
    """The set's record and the request that sends it go to the payloads table together, in one item (compressed
    together: one write unit for a one-order set); the ticket keeps neither, so it stays under 1 KB. Asked again
    without an answer, the session sends the same request, read back from the record."""
    _push(api, store, *(order(n) for n in range(10, 10 + orders)))
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    batches: list[list[str]] = []
    real = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation: str, params: Any) -> Any:
        if operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                if table == PayloadModel.Meta.table_name:
                    batches.append([r["PutRequest"]["Item"]["payload_key"]["S"] for r in requests])
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)
    assert request.count("<SalesReceiptAdd>") == orders
    assert len(batches) == 1 and {k.split("#")[0] for k in batches[0]} == {"set"}  # the record alone
    kept = TicketModel.get(auth.ticket, consistent_read=True)
    assert kept.pending_request is None and "message_set_z" not in (kept.job or {})["state"]
    record = json.loads(payloads.get(str((kept.pending or {})["request_ref"])))
    assert record[connections.SET_REQUEST_FIELD] == request and record["id"] in request
    assert item_size(kept.serialize()) < KB  # the ticket: a write unit at each of its writes
    # compressed together, the two cost no more write units than kept as two items
    parts = list(PayloadModel.query(batches[0][0], consistent_read=True))
    together = sum(write_units(item_size(p.serialize())) for p in parts)
    overhead = item_size(parts[0].serialize()) - len(parts[0].data)
    alone = {k: v for k, v in record.items() if k != connections.SET_REQUEST_FIELD}
    apart = write_units(overhead + len(zlib.compress(json.dumps(alone, separators=(",", ":")).encode(), 6)))
    apart += write_units(overhead + len(zlib.compress(request.encode(), 6)))
    assert together <= apart
    # asked again without answering: the same message set
    assert service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0") == request
    assert run_rounds(service, auth.ticket, company, hcp=False)[-1] == 100
    service.close_connection(auth.ticket)
    assert len(company.transactions("SalesReceipt")) == orders


def _first_request(api: Any, store: dict[str, Any], *docs: dict[str, Any]) -> tuple[Any, Any, str, str]:
    """Push the orders, open a session and send its first request: (service, company, ticket, request)."""
    _push(api, store, *docs)
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    return service, company, auth.ticket, request


def _resent_and_settled(service: Any, company: Any, ticket: str, request: str) -> None:
    """Asked again without an answer, the session sends the same request; its answer ends the session."""
    assert service.send_request_xml(ticket, "", company.company_file, "US", "13", "0") == request
    assert service.receive_response_xml(ticket, company.process(request), "", "") == 100


def test_a_ticket_that_kept_its_set_and_request_itself_still_settles_and_resends(api, store):
    """A session started before sets carried their request kept the set's record compressed in its job and the
    request compressed in the ticket: both still read."""
    service, company, ticket, request = _first_request(api, store, order(41))
    old = tickets.get(ticket)
    assert old is not None and old.job is not None
    record = connections.message_set_record(store["conn"]["id"], old.job["state"]["message_set_id"])
    assert record is not None
    record.pop(connections.SET_REQUEST_FIELD)  # as it was recorded then, and only in the ticket:
    payloads.delete(connections.message_set_key(store["conn"]["id"], record["id"]))
    old.job["state"]["message_set_z"] = jobs.packed_json(record)
    old.pending, old.pending_request = {}, zlib.compress(request.encode())
    assert tickets.save(old)
    _resent_and_settled(service, company, ticket, request)
    assert len(company.transactions("SalesReceipt")) == 1


def test_a_large_request_of_a_job_that_keeps_none_goes_to_the_payloads_table_and_is_sent_again(aws):
    """A job that neither keeps its request with a record nor renders it again (a daily summary's adds): its request
    rides in the ticket compressed up to jobs.INLINE_REQUEST_BYTES, beyond that in the payloads table."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    session = tickets.Session("t" * 43, "con_big", "ten_big", now, now.replace(year=2027))
    small = "<QBXML>" + "<ItemQueryRq/>" * 10 + "</QBXML>"
    assert pending_requests.keep(session, small) == small
    assert session.pending == {} and zlib.decompress(session.pending_request or b"").decode() == small
    big = (
        "<QBXML>"
        + "".join(f"<Memo>{n:08d}-{n * 7919 % 100_003:06d}</Memo>" for n in range(4_000))
        + "</QBXML>"
    )
    assert len(zlib.compress(big.encode())) > jobs.INLINE_REQUEST_BYTES
    assert pending_requests.keep(session, big) == big
    assert session.pending_request is None and session.pending == {
        "request_ref": jobs.request_key(session.ticket, 0)
    }
    assert pending_requests.sent_again(session, {}, None) == big  # type: ignore[arg-type]


def test_a_ticket_written_before_requests_were_compressed_still_sends_its_request_again(api, store):
    service, company, ticket, request = _first_request(api, store, order(40))
    old = tickets.get(ticket)
    assert old is not None and old.pending is not None
    old.pending = {**old.pending, "request": request}  # the request as text, as tickets kept it before
    old.pending_request = None
    assert tickets.save(old)
    _resent_and_settled(service, company, ticket, request)
    assert len(company.transactions("SalesReceipt")) == 1


def test_a_session_saved_unchanged_is_not_written(api, store, writes):
    service = store["service"]
    _push(api, store, order(50))
    auth = service.authenticate(store["conn"]["username"], store["password"])
    assert tickets.get(auth.ticket) is None  # nothing written at sign-in
    read = tickets.read(auth.ticket, ttl_seconds=service.settings.ticket_ttl_seconds).session
    assert read is not None
    writes.seen.clear()
    assert tickets.save(read) is True and tickets.save(read) is False  # written once, then nothing changed
    assert len(writes.to(TicketModel)) == 1
    read = tickets.read(auth.ticket, ttl_seconds=service.settings.ticket_ttl_seconds).session
    assert read is not None and tickets.save(read) is False
    assert len(writes.to(TicketModel)) == 1
    read.round_trips += 1
    assert tickets.save(read) is True and tickets.save(read) is False
    assert len(writes.to(TicketModel)) == 2
    stored = tickets.get(auth.ticket)
    assert stored is not None and stored.round_trips == 1
    service.close_connection(auth.ticket)


# --- the versions, compact -----------------------------------------------------------------------------------------

_version = st.one_of(
    st.sampled_from(connections.QBXML_RELEASES),
    st.sampled_from(["CA2.0", "UK3.0", "AU4.0", "17.0", "1.0..2.0", "", " 2.0", "13 .0"]),
    st.text(max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(
    versions=st.one_of(
        st.lists(_version, max_size=25),
        st.tuples(
            st.integers(0, len(connections.QBXML_RELEASES) - 1),
            st.integers(0, len(connections.QBXML_RELEASES)),
        ).map(lambda ab: list(connections.QBXML_RELEASES[ab[0] : ab[1]])),
    ),
    name=st.one_of(st.none(), st.text(max_size=41)),
    multicurrency=st.one_of(st.none(), st.booleans()),
)
def test_company_information_reads_back_as_it_was_recorded(
    versions: list[str], name: str | None, multicurrency: bool | None
) -> None:
    company = connections.CompanyInfo(
        company_name=name,
        product_name="QuickBooks Desktop Pro Plus 2023",
        country="US",
        supported_qbxml_versions=versions,
        multicurrency=multicurrency,
        home_currency=None,
    )
    stored = connections.stored_company(company)
    read = connections.read_company(json.loads(json.dumps(stored)))
    expected = {k: v for k, v in company.items() if v is not None and v != []}
    assert read == expected
    releases = connections.QBXML_RELEASES
    start = releases.index(versions[0]) if versions and versions[0] in releases else None
    if start is not None and len(versions) > 1 and versions == list(releases[start : start + len(versions)]):
        assert stored["qbxml_versions"] == f"{versions[0]}..{versions[-1]}"  # a run of releases: a few bytes
