"""Each way the exactly-once promise was found broken, as a case: after it, QuickBooks holds exactly one document
per order document, and no order is pending, failed or in flight that QuickBooks holds.

- error recovery answered the way QuickBooks answers it (status + `ErrorRecovery` ids, no `*Ret`), and the old
  full-record form;
- an answer that leaves an order's fate open, and a merchant's retry, are verified in QuickBooks first;
- a refund without lines on an order without fees adds the fee item in the same set;
- an answer that belongs to another message set settles nothing;
- no stored item outgrows DynamoDB's 400 KB (100 orders of 50 lines; an order of 1,000 lines);
- nothing stranded: a push to a channel without a connection stores nothing, a lost queue message is found;
- the qbXML version is bounded by the Web Connector's parameters when there is no HCP response;
- a huge Web Connector message is stored as an excerpt and the session ends cleanly.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from lxml import etree

from chalicelib.aws import WorkQueue
from chalicelib.dal import connections
from chalicelib.dal.models import ConnectionModel, OrderModel, TicketModel
from chalicelib.settings import get_settings
from ledgerbridge.simulators.company import ResponseLost
from tests.service.queues import queued_orders
from tests.service.test_post_orders import order, session, statuses

ITEM_LIMIT = 400 * 1024


def push(api, store, docs, expect=202):
    return api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": docs}, expect=expect
    )


def as_status_answer(answer: str) -> str:
    """QuickBooks' answer to an error-recovery status query for a set it processed: each request's status, and
    for adds the ids of what they made in an ErrorRecovery element instead of the record (qbxml130.xsd
    `ErrorRecovery`: ListID | TxnID, TxnNumber, EditSequence, ExternalGUID)."""
    root = etree.fromstring(answer.encode())
    for rs in root.iter():
        if not isinstance(rs.tag, str) or not rs.tag.endswith("Rs"):
            continue
        rets = [child for child in rs if isinstance(child.tag, str) and child.tag.endswith("Ret")]
        for ret in rets:
            rs.remove(ret)
        if rets and rs.tag.endswith("AddRs"):
            recovery = etree.SubElement(rs, "ErrorRecovery")
            for name in ("ListID", "TxnID", "TxnNumber", "EditSequence", "ExternalGUID"):
                value = rets[0].findtext(name)
                if value:
                    etree.SubElement(recovery, name).text = value
    return etree.tostring(root, encoding="unicode")


def lose_one_answer(store):
    """A session sends one message set; QuickBooks commits it; the answer never arrives; the session dies."""
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    answer = company.process(request)
    company.end_session()
    service.clock.advance(get_settings().session_lease_seconds + 1)
    return request, answer


def recover_with(store, transform):
    """The next session: its first request is the status query; it gets QuickBooks' stored answer, reshaped."""
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    query = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert 'oldMessageSetID="' in query  # recovery comes first
    percent = service.receive_response_xml(auth.ticket, transform(company.process(query)), "", "")
    service.close_connection(auth.ticket)
    company.end_session()
    return percent


def assert_exactly_once(api, store, docs, refunds=0):
    company = store["company"]
    counts = company.external_guid_counts()
    assert counts and max(counts.values()) == 1, "a document was posted twice"
    assert len(company.transactions("SalesReceipt")) == len(docs)
    assert len(company.transactions("CreditMemo")) == refunds
    seen = statuses(api, store["channel"]["id"])
    assert {seen[d["id"]]["status"] for d in docs} == {"synced"}
    receipts = {r["TxnID"] for r in company.transactions("SalesReceipt")}
    assert {seen[d["id"]]["quickbooks"]["txn_id"] for d in docs} == receipts


def with_refund(n, refund_id="r1", **refund):
    doc = order(n)
    doc["refunds"] = [{"id": refund_id, "created_at": "2026-11-21T10:00:00Z", "amount": "5.00", **refund}]
    return doc


def drain(store, sessions=6):
    for _ in range(sessions):
        status, _ = session(store)
        if status == "none":
            return
        store["service"].clock.advance(1)


# --- error recovery, both answer forms ---------------------------------------------------------------------


def test_recovery_from_error_recovery_ids_settles_every_order_and_posts_the_refunds(api, store):
    docs = [order(n) for n in range(4)] + [
        with_refund(10, lines=[{"line_id": "1", "quantity": 1, "amount": "5.00"}])
    ]
    docs[-1]["refunds"][0]["amount"] = "5.00"
    push(api, store, docs)
    lose_one_answer(store)
    assert recover_with(store, as_status_answer) >= 0
    drain(store)
    assert_exactly_once(api, store, docs, refunds=1)


def test_recovery_from_full_records_still_works(api, store):
    docs = [order(n) for n in range(3)]
    push(api, store, docs)
    lose_one_answer(store)
    recover_with(store, lambda answer: answer)
    drain(store)
    assert_exactly_once(api, store, docs)


def test_an_ok_status_without_ids_is_verified_not_failed(api, store):
    """Status 0 with neither a Ret nor ErrorRecovery ids: QuickBooks saved something it does not name. The order
    is looked up by RefNumber and ExternalGUID, found, and recorded: never failed, never posted twice."""

    def bare(answer: str) -> str:
        root = etree.fromstring(as_status_answer(answer).encode())
        for recovery in list(root.iter("ErrorRecovery")):
            recovery.getparent().remove(recovery)
        return etree.tostring(root, encoding="unicode")

    docs = [order(n) for n in range(3)]
    push(api, store, docs)
    lose_one_answer(store)
    recover_with(store, bare)
    assert {o["status"] for o in statuses(api, store["channel"]["id"]).values()} == {"pending"}
    drain(store)
    assert_exactly_once(api, store, docs)


# --- retry is never blind ------------------------------------------------------------------------------------


def test_a_merchant_retry_of_an_order_quickbooks_holds_posts_nothing(api, store):
    docs = [order(n) for n in range(2)]
    push(api, store, docs)
    session(store)
    assert_exactly_once(api, store, docs)
    # Whatever made it (an earlier defect, a hand edit): the order says failed while QuickBooks holds its sale.
    target = statuses(api, store["channel"]["id"])["2000"]
    OrderModel(store["channel"]["id"], "2000").update(
        actions=[
            OrderModel.status.set("failed"),
            OrderModel.documents.set({}),
            OrderModel.txn_id.remove(),
            OrderModel.error.set(
                {"code": "0", "message": "QuickBooks did what we asked", "retriable": False}
            ),
        ]
    )
    assert api.json("POST", f"/api/v1/orders/{target['id']}/retry", expect=202)["status"] == "pending"
    drain(store)
    assert_exactly_once(api, store, docs)
    assert (
        statuses(api, store["channel"]["id"])["2000"]["quickbooks"]["txn_id"]
        == target["quickbooks"]["txn_id"]
    )


def test_a_retried_order_quickbooks_does_not_hold_is_posted_once(api, store):
    api.json("PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": {"missing_items": "fail"}})
    push(api, store, [order(70)])
    session(store)
    failed = statuses(api, store["channel"]["id"])["2070"]
    assert failed["status"] == "failed"
    api.json(
        "PATCH",
        f"/api/v1/channels/{store['channel']['id']}",
        {"settings": {"missing_items": "create_non_inventory"}},
    )
    api.json("POST", f"/api/v1/orders/{failed['id']}/retry", expect=202)
    _, percents = session(store)
    assert len(percents) == 2  # the lookup first, then the post
    assert_exactly_once(api, store, [order(70)])


# --- every item a request names exists or is added in the same set -------------------------------------------


def test_a_refund_without_lines_adds_the_fee_item_it_names(api, store):
    api.json("PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": {"fee_item": "Goodwill"}})
    goodwill = with_refund(90, note="sorry for the wait")
    assert not goodwill.get("fees")
    push(api, store, [goodwill])
    drain(store)
    company = store["company"]
    assert company.find(["ItemOtherCharge"], "Goodwill") is not None
    assert_exactly_once(api, store, [goodwill], refunds=1)


# --- answers are tied to their message set -------------------------------------------------------------------


def test_an_answer_from_another_set_settles_nothing(api, store):
    service, company = store["service"], store["company"]
    push(api, store, [order(n) for n in range(2)])
    auth = service.authenticate(store["conn"]["username"], store["password"])
    first = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    stale = company.process(first)  # answered, and kept by someone: a stale answer to replay later
    assert service.receive_response_xml(auth.ticket, stale, "", "") == 100
    service.close_connection(auth.ticket)
    company.end_session()

    docs = [order(n) for n in range(10, 13)]
    push(api, store, docs)
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(auth.ticket, "", company.company_file, "US", "13", "0")
    company.process(request)  # QuickBooks saves the new set; the service is handed the stale answer instead
    assert service.receive_response_xml(auth.ticket, stale, "", "") == -1
    assert "did not belong" in service.get_last_error(auth.ticket)
    service.close_connection(auth.ticket)
    company.end_session()
    assert {statuses(api, store["channel"]["id"])[d["id"]]["status"] for d in docs} == {"in_flight"}
    drain(store)
    assert_exactly_once(api, store, [order(0), order(1), *docs])


def test_an_answer_with_the_right_ids_but_another_set_id_settles_nothing(api, store):
    service, company = store["service"], store["company"]
    push(api, store, [order(1)])
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    answer = company.process(request)
    set_id = etree.fromstring(request.encode()).find("QBXMLMsgsRq").get("newMessageSetID")
    forged = answer.replace(f'newMessageSetID="{set_id}"', 'newMessageSetID="lbffffffffffffffffffff"')
    assert forged != answer
    assert service.receive_response_xml(auth.ticket, forged, "", "") == -1
    service.close_connection(auth.ticket)
    company.end_session()
    drain(store)
    assert_exactly_once(api, store, [order(1)])


# --- bounded items -------------------------------------------------------------------------------------------


def _many_lines(n: int, lines: int) -> dict:
    doc = order(n)
    doc["lines"] = [
        {"id": str(i), "sku": f"SKU-{i % 40:03d}", "title": f"Product number {i} " + "x" * 40, "quantity": 1,
         "unit_price": "1.00"}
        for i in range(lines)
    ]  # fmt: skip
    doc["shipping_lines"] = []
    doc["payments"] = [{"method": "credit_card", "amount": f"{lines}.00"}]
    doc["total"] = f"{lines}.00"
    return doc


def _largest_items() -> dict[str, int]:
    sizes = {}
    for model in (OrderModel, TicketModel, ConnectionModel):
        largest = 0
        for item in model.scan():
            largest = max(largest, len(str(item.serialize())))
        sizes[model.Meta.short_name] = largest
    return sizes


def test_a_hundred_orders_of_fifty_lines_and_an_order_of_a_thousand_lines_fit(api, store):
    settings = get_settings()._replace(message_set_bytes=4_000_000)
    store["service"].settings = settings
    docs = [_many_lines(100 + n, 50) for n in range(100)]
    for start in range(0, len(docs), 50):
        push(api, store, docs[start : start + 50])
    big = _many_lines(999, 1000)
    push(api, store, [big])
    drain(store, sessions=4)
    company = store["company"]
    assert len(company.transactions("SalesReceipt")) == 101
    assert max(company.external_guid_counts().values()) == 1
    seen = statuses(api, store["channel"]["id"])
    assert {seen[d["id"]]["status"] for d in [*docs, big]} == {"synced"}
    assert all(size < ITEM_LIMIT for size in _largest_items().values())


def test_a_refund_that_came_in_flight_survives_a_crash_right_after_the_sale_is_settled(
    api, store, monkeypatch
):
    """The process dies after the write that makes the sale synced and before the refund that came while it was in
    flight is queued. The sale stays in the open index (its write was told a newer version waits), so the sweep of a
    later sign-in finds it and the credit memo reaches QuickBooks once."""
    import chalicelib.sync.settle_orders as settle

    service, company = store["service"], store["company"]
    push(api, store, [order(8)])
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert push(api, store, [with_refund(8)])["counts"].get("changed_after_sync") == 1

    def crash(kept_open):
        assert kept_open == [(store["channel"]["id"], "2008")]  # the refund is looked at for this order only
        raise RuntimeError("the process died here")

    monkeypatch.setattr(settle, "queue_waiting_refunds", crash)
    with contextlib.suppress(Exception):
        service.receive_response_xml(auth.ticket, company.process(request), "", "")
    monkeypatch.undo()
    company.end_session()
    service.clock.advance(get_settings().session_lease_seconds + 1)  # the dead session's lease runs out
    stored = OrderModel.get(store["channel"]["id"], "2008")
    assert stored.status == "synced" and stored.open_connection == store["conn"]["id"]
    # Later (the wall-clock queue time moved back instead of waiting for the sweep's margin).
    OrderModel(store["channel"]["id"], "2008").update(
        actions=[OrderModel.queued_at.set("2000-01-01T00:00:00+00:00")]
    )
    drain(store)
    assert_exactly_once(api, store, [order(8)], refunds=1)
    assert OrderModel.get(store["channel"]["id"], "2008").open_connection is None


def test_a_sale_settled_without_a_change_in_flight_leaves_the_open_index_at_once(api, store):
    """Only an order changed while in flight is kept in the open index; the others leave it in the settling write."""
    push(api, store, [order(n) for n in range(3)])
    drain(store)
    assert_exactly_once(api, store, [order(n) for n in range(3)])
    assert all(m.open_connection is None for m in OrderModel.query(store["channel"]["id"]))


# --- nothing stranded ----------------------------------------------------------------------------------------


def test_a_push_to_a_channel_whose_connection_was_deleted_stores_nothing(api, store):
    ConnectionModel(store["conn"]["id"]).delete()
    answer = push(api, store, [order(1)], expect=409)
    assert "connection was deleted" in answer["message"]
    assert not list(OrderModel.query(store["channel"]["id"]))


def test_an_order_whose_queue_message_was_lost_is_found_and_posted(api, store):
    push(api, store, [order(n) for n in range(3)])
    queue = WorkQueue(store["conn"]["id"])
    queue._sqs.purge_queue(QueueUrl=queue.url)  # the messages are gone; the orders wait
    # Nothing on the queue: this sign-in finds no work and records that the queue was empty just now; the orders
    # were queued only a moment before, so they are not taken for lost yet (their message may not show yet).
    assert session(store)[0] == "none"
    # Later (the orders' wall-clock queue time is moved back instead of waiting): queued well before the queue was
    # found empty, they are found and queued again at the next sign-in.
    for doc in (order(n) for n in range(3)):
        OrderModel(store["channel"]["id"], doc["id"]).update(
            actions=[OrderModel.queued_at.set("2000-01-01T00:00:00+00:00")]
        )
    drain(store)
    assert_exactly_once(api, store, [order(n) for n in range(3)])


def test_a_backlog_waiting_for_the_web_connector_is_not_queued_twice(api, store):
    """Orders that wait on their queue (no Web Connector ran since they were queued) are not stranded."""
    push(api, store, [order(n) for n in range(3)])
    for doc in (order(n) for n in range(3)):
        OrderModel(store["channel"]["id"], doc["id"]).update(
            actions=[OrderModel.queued_at.set("2000-01-01T00:00:00+00:00")]
        )
    assert sum(queued_orders(store["conn"]["id"]).values()) == 3
    service = store["service"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    assert auth.status == "" and sum(queued_orders(store["conn"]["id"]).values()) == 3
    service.close_connection(auth.ticket)


def test_pushing_a_waiting_order_again_queues_it_again(api, store):
    """A push half-done long ago (stored, message lost): the same push again answers `unchanged` for the store and
    queues the order's work again, so it is posted without waiting for the sweep."""
    docs = [order(n) for n in range(2)]
    push(api, store, docs)
    queue = WorkQueue(store["conn"]["id"])
    queue._sqs.purge_queue(QueueUrl=queue.url)
    assert push(api, store, docs)["counts"]["unchanged"] == 2
    assert queue.visible_count() == 0  # just queued: its message is surely still there; nothing sent twice
    for doc in docs:
        OrderModel(store["channel"]["id"], doc["id"]).update(
            actions=[OrderModel.queued_at.set("2000-01-01T00:00:00+00:00")]
        )
    assert push(api, store, docs)["counts"]["unchanged"] == 2
    assert queued_orders(store["conn"]["id"]) == {(store["channel"]["id"], d["id"]): 1 for d in docs}
    session(store)
    assert_exactly_once(api, store, docs)


def test_orders_claimed_into_a_set_that_was_never_recorded_are_verified_and_posted(api, store):
    push(api, store, [order(n) for n in range(2)])
    for doc in (order(n) for n in range(2)):
        OrderModel(store["channel"]["id"], doc["id"]).update(
            actions=[
                OrderModel.status.set("in_flight"),
                OrderModel.message_set_id.set("lb_never_recorded"),
                OrderModel.queued_at.set("2000-01-01T00:00:00+00:00"),
            ]
        )
    drain(store)
    assert_exactly_once(api, store, [order(n) for n in range(2)])


# --- the Web Connector's parameters and messages -------------------------------------------------------------


def test_without_an_hcp_response_the_version_is_bounded_by_the_web_connector(api, store):
    push(api, store, [order(1)])
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(auth.ticket, "", company.company_file, "US", "12", "0")
    assert '<?qbxml version="12.0"?>' in request


def test_a_huge_web_connector_message_is_kept_as_an_excerpt_and_the_session_ends(api, store):
    push(api, store, [order(1)])
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    service.send_request_xml(auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0")
    huge = "QuickBooks said: " + "x" * 3_000_000
    assert service.receive_response_xml(auth.ticket, "", "0x80040400", huge) == -1
    assert len(service.get_last_error(auth.ticket)) < 5_000
    service.close_connection(auth.ticket)
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and len(str(conn.last_error)) < 5_000 and conn.active_ticket is None
    assert service.authenticate(store["conn"]["username"], store["password"]).status != "busy"


def test_a_lost_answer_then_a_kill_before_recovery_still_posts_once(api, store):
    """The company keeps one stored answer; a second lost set replaces it only after the first is recovered."""
    docs = [order(n) for n in range(3)]
    push(api, store, docs)
    lose_one_answer(store)
    store["company"].faults.lose_next_response = True
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    query = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    with contextlib.suppress(ResponseLost):
        company.process(query)  # the status answer is lost too
    company.end_session()
    service.clock.advance(get_settings().session_lease_seconds + 1)
    drain(store)
    assert_exactly_once(api, store, docs)


# --- a refund that comes while its order is on its way ---------------------------------------------------------


def test_a_refund_pushed_while_its_order_is_in_flight_is_posted_after_the_sale(api, store):
    """Found by the chaos test: the order was in a message set (in flight) when the store sent it again with a
    refund. The change is recorded (the sale on its way is not replaced), and once the sale is settled the refund
    is queued: its credit memo reaches QuickBooks once."""
    service, company = store["service"], store["company"]
    push(api, store, [order(7)])
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    refunded = with_refund(7, lines=[{"line_id": "1", "quantity": 1, "amount": "5.00"}])
    assert push(api, store, [refunded])["counts"].get("changed_after_sync") == 1
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") >= 0
    service.close_connection(auth.ticket)
    company.end_session()
    drain(store)
    assert_exactly_once(api, store, [order(7)], refunds=1)
    assert statuses(api, store["channel"]["id"])["2007"]["documents"].keys() >= {
        "SalesReceipt",
        "CreditMemo:r1",
    }


# --- the process dies between two writes of sendRequestXML ----------------------------------------------------------


VISIBILITY = 1


class Killed(BaseException):
    """The Lambda process ended mid-call (not an Exception: nothing in the service may catch it)."""


def test_a_session_killed_after_recording_its_set_before_its_ticket_names_it_posts_once(
    api, store, monkeypatch
):
    """sendRequestXML claims the orders and records the set (its request inside the record), then dies before the
    ticket's write that names the set: the request never left, and nothing names the set. Its orders stay in flight
    until the stranded-order sweep finds them (claimed longer ago than STALE_AFTER, here at once): back to pending,
    marked to be verified, looked up in QuickBooks before anything is posted. As a stricter case, QuickBooks is also
    given the request as though it had left: either way every order is posted once."""
    from chalicelib.dal import tickets
    from chalicelib.sync import pending_requests, stranded_orders, web_connector

    # the queue hides a message taken by a call for this long: a call killed before its ticket's write could not
    # hand it back, so its orders wait for that (the default is minutes)
    store["service"] = web_connector.WebConnectorService(
        store["service"].settings._replace(job_visibility_seconds=VISIBILITY), clock=store["service"].clock
    )
    posted: list[dict] = []
    real_save = tickets.save
    recorded: list[str] = []
    stale_after = stranded_orders.STALE_AFTER

    def dies_once_the_set_is_recorded(session):
        set_id = pending_requests.unsettled_set(session)
        if set_id is not None and connections.message_set_record(session.connection_id, set_id) is not None:
            recorded.append(set_id)
            raise Killed
        return real_save(session)

    for sent_to_quickbooks in (False, True):
        docs = [order(n) for n in range(10 * sent_to_quickbooks, 10 * sent_to_quickbooks + 3)]
        posted += docs
        push(api, store, docs)
        service, company = store["service"], store["company"]
        auth = service.authenticate(store["conn"]["username"], store["password"])
        monkeypatch.setattr(web_connector.tickets, "save", dies_once_the_set_is_recorded)
        with contextlib.suppress(Killed):
            service.send_request_xml(
                auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
            )
        monkeypatch.setattr(web_connector.tickets, "save", real_save)
        assert recorded, "the kill did not come"
        conn = connections.get(store["conn"]["id"])
        assert conn is not None and conn.unresolved_set_id is None  # nothing names the set
        killed = tickets.get(auth.ticket)
        assert killed is None or killed.pending is None  # the ticket never said a request was sent
        if sent_to_quickbooks:  # stricter than can happen: as though the request had reached QuickBooks
            record = connections.message_set_record(conn.connection_id, recorded[-1])
            assert record is not None
            company.process(record[connections.SET_REQUEST_FIELD])
        company.end_session()
        service.clock.advance(get_settings().session_lease_seconds + 1)
        time.sleep(VISIBILITY + 0.5)  # the killed call's queue message comes back (no one could release it)
        drain(store)  # the orders are in flight: left alone while their claim is young
        seen = statuses(api, store["channel"]["id"])
        assert {seen[d["id"]]["status"] for d in docs} == {"in_flight"}
        monkeypatch.setattr(stranded_orders, "STALE_AFTER", timedelta(0))
        drain(store)  # the sweep finds them stranded: verified, then posted where QuickBooks lacks them
        monkeypatch.setattr(stranded_orders, "STALE_AFTER", stale_after)
        assert_exactly_once(api, store, posted)


def _quiet_then_taken_over(store, monkeypatch, during_the_takeover):
    """A session signs in and goes quiet past its lease; a new sign-in takes the connection over. Just as the
    takeover writes the old session's ticket, `during_the_takeover(old_ticket)` runs (a call of the old session
    still going). Returns the old ticket."""
    from chalicelib.dal import tickets
    from chalicelib.sync import web_connector

    service, company = store["service"], store["company"]
    old = service.authenticate(store["conn"]["username"], store["password"])
    assert old.status == ""
    service.clock.advance(get_settings().session_lease_seconds + 1)
    real_save = tickets.save
    raced: list[bool] = []

    def racing_save(saved):
        if saved.ticket == old.ticket and saved.state == "superseded" and not raced:
            raced.append(True)
            during_the_takeover(old.ticket)
        return real_save(saved)

    monkeypatch.setattr(web_connector.tickets, "save", racing_save)
    taker = service.authenticate(store["conn"]["username"], store["password"])
    monkeypatch.setattr(web_connector.tickets, "save", real_save)
    assert raced and taker.status == ""
    service.close_connection(taker.ticket)  # its Web Connector stops at once; the next run carries on
    company.end_session()
    return old.ticket


def test_a_request_that_left_while_its_session_was_taken_over_is_asked_about_first(api, store, monkeypatch):
    """The old session's sendRequestXML saves its ticket (naming the set) after the takeover read it and before the
    takeover's own write: that write fails, the takeover reads the session again and names the set on the
    connection. QuickBooks posts the request that left; its answer never comes back. The next session asks
    QuickBooks about the set first: every order is posted once."""
    docs = [order(n) for n in range(3)]
    push(api, store, docs)
    service, company = store["service"], store["company"]
    sent: list[str] = []

    def the_old_call_sends(ticket):
        sent.append(
            service.send_request_xml(ticket, company.hcp_response(), company.company_file, "US", "13", "0")
        )

    _quiet_then_taken_over(store, monkeypatch, the_old_call_sends)
    assert sent and "SalesReceiptAdd" in sent[0]
    company.process(sent[0])  # QuickBooks got it; the answer is lost with the replaced session
    company.end_session()
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.unresolved_set_id is not None
    assert len(company.transactions("SalesReceipt")) == 3
    drain(store)
    assert_exactly_once(api, store, docs)


def test_a_request_of_a_session_taken_over_before_it_saved_never_leaves(api, store, monkeypatch):
    """The takeover writes the old session's ticket first; the old session's sendRequestXML, reading the ticket before
    that write and saving after it, fails (StaleSession) before its request leaves. The set it recorded goes back:
    its orders pending again and its queue messages visible at once, so the next session posts them, once."""
    from chalicelib.dal import tickets
    from chalicelib.sync import web_connector

    docs = [order(n) for n in range(3)]
    push(api, store, docs)
    service, company = store["service"], store["company"]
    real_read = tickets.read
    outcome: list[object] = []

    def the_old_call_reads_then_saves_late(ticket):
        read_before = real_read(ticket, ttl_seconds=service.settings.ticket_ttl_seconds)
        # as read when its lease was fresh (the call then stalled past it): no renewal, which would be refused
        assert read_before.connection is not None
        fresh = replace(read_before.connection, lease_until=service.clock().timestamp() + 3600)
        outcome.append(replace(read_before, connection=fresh))

    _quiet_then_taken_over(store, monkeypatch, the_old_call_reads_then_saves_late)
    (read_before,) = outcome
    assert read_before.live  # what the old call saw before the takeover's write
    # The old call goes on with what it read: its save comes after the takeover's, and fails.
    monkeypatch.setattr(web_connector.tickets, "read", lambda ticket, ttl_seconds, ending=False: read_before)
    with pytest.raises(tickets.StaleSession):
        service.send_request_xml(
            read_before.session.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
        )
    monkeypatch.setattr(web_connector.tickets, "read", real_read)
    company.end_session()
    seen = statuses(api, store["channel"]["id"])
    assert {seen[d["id"]]["status"] for d in docs} == {"pending"}  # the set it recorded went back
    assert company.transactions("SalesReceipt") == []
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.unresolved_set_id is None
    drain(store)  # no wait: the messages are visible again, and no sweep is needed
    assert_exactly_once(api, store, docs)


def _sent_and_answer_lost(store, **settings):
    """A session sends its set; QuickBooks posts it; the answer is lost and the Web Connector goes quiet."""
    from chalicelib.sync import web_connector

    store["service"] = web_connector.WebConnectorService(
        store["service"].settings._replace(job_visibility_seconds=VISIBILITY, **settings),
        clock=store["service"].clock,
    )
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    assert auth.status == ""
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert "SalesReceiptAdd" in request
    company.process(request)
    company.end_session()
    return auth.ticket


def test_a_takeover_killed_after_writing_the_old_ticket_is_finished_by_the_next_sign_in(
    api, store, monkeypatch
):
    """The takeover writes the old session's ticket superseded, then dies before naming its set. The next sign-in
    sees the connection still holding that ticket and finishes the takeover: the set is named and asked about first
    (no wait for the stranded-order sweep), and every order is posted once."""
    from chalicelib.sync import web_connector

    docs = [order(n) for n in range(2)]
    push(api, store, docs)
    old = _sent_and_answer_lost(store)
    service = store["service"]
    service.clock.advance(get_settings().session_lease_seconds + 1)
    real_release = web_connector.WebConnectorService._release_job

    def dies_before_naming_the_set(self, session, queue):
        if session.ticket == old:
            raise Killed
        return real_release(self, session, queue)

    monkeypatch.setattr(web_connector.WebConnectorService, "_release_job", dies_before_naming_the_set)
    with pytest.raises(Killed):
        service.authenticate(store["conn"]["username"], store["password"])
    monkeypatch.setattr(web_connector.WebConnectorService, "_release_job", real_release)
    from chalicelib.dal import tickets

    superseded = tickets.get(old)
    assert superseded is not None and superseded.state == "superseded"
    taker = service.authenticate(store["conn"]["username"], store["password"])
    assert taker.status == ""
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.unresolved_set_id is not None and conn.active_ticket == taker.ticket
    service.close_connection(taker.ticket)
    time.sleep(VISIBILITY + 0.5)
    drain(store)
    assert_exactly_once(api, store, docs)


def test_a_web_connector_back_after_its_session_expired_still_asks_about_the_set_first(api, store):
    """The answer is lost and the Web Connector stays away past its session's validity (a PC off over a weekend;
    here 2 seconds). The session's item is kept as long as the set's record: the takeover names the set, and the
    next session asks QuickBooks about it before anything else. Every order is posted once, with no sweep."""
    docs = [order(n) for n in range(2)]
    push(api, store, docs)
    old = _sent_and_answer_lost(store, ticket_ttl_seconds=2)
    service = store["service"]
    time.sleep(2.5)
    assert service.send_request_xml(old, "", "", "US", "13", "0") == ""  # over for its own calls
    service.clock.advance(get_settings().session_lease_seconds + 1)
    taker = service.authenticate(store["conn"]["username"], store["password"])
    assert taker.status == ""
    conn = connections.get(store["conn"]["id"])
    assert conn is not None and conn.unresolved_set_id is not None
    service.close_connection(taker.ticket)
    drain(store)
    assert_exactly_once(api, store, docs)
