"""Orders pushed through the API reach the simulated QuickBooks company in one Web Connector session,
exactly once, with failures explained and retries that work."""

from __future__ import annotations

import copy

import pytest

from chalicelib.dal import orders as order_repo
from chalicelib.settings import get_settings
from tests.service.test_orders_api import ORDER
from tests.service.test_web_connector_session import run_rounds


def order(n: int, **changes):
    doc = copy.deepcopy(ORDER)
    doc["id"] = str(2000 + n)
    doc["number"] = f"#{2000 + n}"
    doc["customer"] = {"first_name": f"Buyer{n % 7}", "last_name": "Smith", "email": f"b{n % 7}@example.com"}
    doc.update(changes)
    return doc


def session(store, hcp=True):
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    if auth.status:
        return auth.status, []
    percents = run_rounds(service, auth.ticket, company, hcp=hcp)
    service.close_connection(auth.ticket)
    company.end_session()
    return auth.status, percents


def statuses(api, channel_id):
    return {
        o["order_id"]: o for o in api.json("GET", f"/api/v1/orders?channel={channel_id}&limit=500")["orders"]
    }


def test_a_batch_of_orders_lands_in_one_round_trip(api, store):
    docs = [order(n) for n in range(20)]
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": docs}, expect=202)
    status, percents = session(store)
    assert status == "" and percents == [100]  # one message set for all 20
    seen = statuses(api, store["channel"]["id"])
    assert {o["status"] for o in seen.values()} == {"synced"}
    company = store["company"]
    receipts = company.transactions("SalesReceipt")
    assert len(receipts) == 20
    assert len({r["TxnID"] for r in receipts}) == 20
    assert {o["quickbooks"]["txn_id"] for o in seen.values()} == {r["TxnID"] for r in receipts}
    # The same orders again: nothing new is posted.
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": docs}, expect=202)
    assert session(store)[0] == "none"
    assert len(company.transactions("SalesReceipt")) == 20


def test_a_bad_order_fails_with_plain_words_and_the_rest_go_through(api, store):
    bad = order(1, total="999.00")
    api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [order(0), bad]}, expect=202
    )
    session(store)
    seen = statuses(api, store["channel"]["id"])
    assert seen["2000"]["status"] == "synced"
    assert seen["2001"]["status"] == "failed"
    assert (
        "969.00" in seen["2001"]["error"]["message"]
        or "difference" in seen["2001"]["error"]["message"].lower()
    )
    fixed = order(1)
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [fixed]}, expect=202)
    session(store)
    assert statuses(api, store["channel"]["id"])["2001"]["status"] == "synced"


def test_a_lost_answer_is_recovered_without_posting_twice(api, store):
    api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [order(n) for n in range(5)]},
        expect=202,
    )
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    company.process(request)  # QuickBooks saved the sales; the answer never reaches us (crash)
    company.end_session()
    assert {o["status"] for o in statuses(api, store["channel"]["id"]).values()} == {"in_flight"}
    service.clock.advance(get_settings().session_lease_seconds + 1)
    status, percents = session(store)
    # One round trip asks QuickBooks what it did with the set (an answer, not a refusal); the set's queue message,
    # seen again afterwards, finds nothing left to do and the session ends.
    assert status == "" and len(percents) == 1 and percents[0] > 0
    assert {o["status"] for o in statuses(api, store["channel"]["id"]).values()} == {"synced"}
    assert len(company.transactions("SalesReceipt")) == 5


def test_a_set_quickbooks_never_processed_is_posted_again(api, store):
    api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [order(n) for n in range(3)]},
        expect=202,
    )
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    service.send_request_xml(auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0")
    # The request never reached QuickBooks; the session dies.
    service.clock.advance(get_settings().session_lease_seconds + 1)
    session(store)  # recovery: QuickBooks has no record -> lookups find nothing -> back to pending
    session(store)  # posted now
    assert {o["status"] for o in statuses(api, store["channel"]["id"]).values()} == {"synced"}
    assert len(company.transactions("SalesReceipt")) == 3


def test_invoice_and_sales_order_types(api, store):
    for kind, txn in (("invoice", "Invoice"), ("sales_order", "SalesOrder")):
        api.json(
            "PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": {"transaction_type": kind}}
        )
        api.json(
            "POST",
            f"/api/v1/channels/{store['channel']['id']}/orders",
            {"orders": [order(50 if kind == "invoice" else 60)]},
            expect=202,
        )
        session(store)
        assert len(store["company"].transactions(txn)) == 1
    seen = statuses(api, store["channel"]["id"])
    assert (
        seen["2050"]["quickbooks"]["txn_type"] == "Invoice"
        and seen["2060"]["quickbooks"]["txn_type"] == "SalesOrder"
    )


def test_failed_order_can_be_retried_after_fixing_settings(api, store):
    api.json("PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": {"missing_items": "fail"}})
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [order(70)]}, expect=202)
    session(store)
    failed = statuses(api, store["channel"]["id"])["2070"]
    assert failed["status"] == "failed" and "not in QuickBooks" in failed["error"]["message"]
    api.json(
        "PATCH",
        f"/api/v1/channels/{store['channel']['id']}",
        {"settings": {"missing_items": "create_non_inventory"}},
    )
    assert api.json("POST", f"/api/v1/orders/{failed['id']}/retry", expect=202)["status"] == "pending"
    session(store)
    assert statuses(api, store["channel"]["id"])["2070"]["status"] == "synced"
    assert order_repo.STATUSES


def test_sales_order_invoice_payment_posts_three_linked_documents(api, store):
    api.json(
        "PATCH",
        f"/api/v1/channels/{store['channel']['id']}",
        {"settings": {"transaction_type": "sales_order_invoice_payment"}},
    )
    api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [order(80), order(81)]},
        expect=202,
    )
    status, percents = session(store)
    assert status == "" and len(percents) == 3 and percents[-1] == 100  # SO, linked invoice, payment
    company = store["company"]
    (so1, so2), invoices, payments = (
        company.sales("SalesOrder"),
        company.sales("Invoice"),
        company.sales("ReceivePayment"),
    )
    assert len(invoices) == 2 and len(payments) == 2
    seen = statuses(api, store["channel"]["id"])
    for key in ("2080", "2081"):
        docs = seen[key]["documents"]
        # one payment document per store payment (its key: no reference, so position/amount/date)
        assert seen[key]["status"] == "synced"
        assert set(docs) == {"SalesOrder", "Invoice", "ReceivePayment:0/30.00/"}
        assert seen[key]["quickbooks"]["txn_id"] in (so1["TxnID"], so2["TxnID"])
        found = company.find_txn(docs["Invoice"])
        assert found is not None and found[0] == "Invoice"
        invoice = found[1]
        linked = (
            [link.get("TxnID") for link in invoice.get("LinkedTxn", [])]
            if isinstance(invoice.get("LinkedTxn"), list)
            else [invoice.get("LinkedTxn", {}).get("TxnID")]
        )
        assert docs["SalesOrder"] in linked
        assert invoice.get("IsPaid") in ("true", True)


def test_a_refund_of_a_synced_order_becomes_a_credit_memo_and_other_changes_are_only_shown(api, store):
    original = order(90)
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [original]}, expect=202)
    session(store)
    company = store["company"]
    assert len(company.sales("SalesReceipt")) == 1
    noted = dict(original, note="gift wrap please")
    result = api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [noted]}, expect=202
    )
    assert result["counts"]["changed_after_sync"] == 1
    assert session(store)[0] == "none"
    assert statuses(api, store["channel"]["id"])["2090"]["changed_after_sync"] is not None
    refunded = dict(
        noted,
        refunds=[
            {
                "id": "R1",
                "created_at": "2026-11-21T09:00:00Z",
                "amount": "12.50",
                "lines": [{"line_id": "1", "quantity": 1, "amount": "12.50"}],
            }
        ],
    )
    result = api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [refunded]}, expect=202
    )
    assert result["counts"]["refunded"] == 1
    session(store)
    memos = company.sales("CreditMemo")
    assert len(memos) == 1 and "Refund of" in memos[0].get("Memo", "")
    assert len(company.sales("SalesReceipt")) == 1  # the sale itself is never posted again
    seen = statuses(api, store["channel"]["id"])["2090"]
    assert seen["status"] == "synced" and seen["documents"]["CreditMemo:R1"] == memos[0]["TxnID"]


def test_transient_errors_are_retried_then_dead_lettered_and_retry_works(api, store):
    from chalicelib.aws import WorkQueue

    company = store["company"]
    company.faults.transient_rate = 1.0
    company.faults.transient_codes = [3175]
    company.faults.transient_requests = ["SalesReceiptAddRq"]
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [order(95)]}, expect=202)
    for _ in range(get_settings().max_job_receives + 2):
        session(store)
        seen = statuses(api, store["channel"]["id"])["2095"]
        if seen["status"] == "failed":
            break
        assert seen["status"] == "pending" and seen["error"]["code"] == "3175" and seen["error"]["retriable"]
    assert seen["status"] == "failed" and "gave up after" in seen["error"]["message"]
    assert "retry the order" in seen["error"]["fix"] and seen["error"]["retriable"] is False
    assert WorkQueue(store["conn"]["id"]).dead_letter_count() == 1
    assert company.sales("SalesReceipt") == []
    company.faults.transient_rate = 0.0
    api.json("POST", f"/api/v1/orders/{seen['id']}/retry", expect=202)
    session(store)
    assert statuses(api, store["channel"]["id"])["2095"]["status"] == "synced"
    assert len(company.sales("SalesReceipt")) == 1


def test_the_message_set_size_budget_splits_a_batch(api, store, monkeypatch):
    store["service"].settings = store["service"].settings._replace(message_set_bytes=6000)
    api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [order(n) for n in range(100, 112)]},
        expect=202,
    )
    status, percents = session(store)
    assert status == "" and len(percents) > 1 and percents[-1] == 100
    assert {o["status"] for o in statuses(api, store["channel"]["id"]).values()} == {"synced"}
    assert len(store["company"].sales("SalesReceipt")) == 12


def test_a_total_quickbooks_computes_differently_is_flagged_on_the_synced_order(api, store):
    # The store charged 1.00 of tax; QuickBooks computes the tax of the taxable line at its own rate.
    taxed = order(120, total="31.00")
    taxed["lines"][0]["tax"] = "1.00"
    untaxed = order(121)
    for line in untaxed["lines"]:
        line["taxable"] = False
    api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [taxed, untaxed]}, expect=202
    )
    session(store)
    seen = statuses(api, store["channel"]["id"])
    assert seen["2120"]["status"] == "synced" and seen["2120"]["error"]["code"] == "total_difference"
    assert "the store charged 31.00" in seen["2120"]["error"]["message"]
    assert seen["2121"]["status"] == "synced" and seen["2121"]["error"] is None


def test_known_customers_and_items_are_not_added_again(api, store):
    api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [order(n) for n in range(130, 135)]},
        expect=202,
    )
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    first = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert (
        first.count("<CustomerAddRq") == 5 and first.count("<ItemNonInventoryAddRq") == 1
    )  # 5 buyers, 1 new SKU
    assert service.receive_response_xml(auth.ticket, company.process(first), "", "") == 100
    service.close_connection(auth.ticket)
    company.end_session()
    api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [order(n) for n in range(137, 142)]},
        expect=202,
    )
    auth = service.authenticate(store["conn"]["username"], store["password"])
    second = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert "<CustomerAddRq" not in second and "AddRq" in second and "<ItemNonInventoryAddRq" not in second
    assert second.count("<SalesReceiptAddRq") == 5
    assert service.receive_response_xml(auth.ticket, company.process(second), "", "") == 100


def test_products_matched_by_manufacturer_part_number(api, store):
    company = store["company"]
    existing = next(
        i
        for k in ("ItemInventory", "ItemNonInventory")
        for i in company.objects(k)
        if i.get("ManufacturerPartNumber")
    )
    api.json(
        "PATCH",
        f"/api/v1/channels/{store['channel']['id']}",
        {"settings": {"product_matching": "manufacturer_part_number"}},
    )
    doc = order(150)
    doc["lines"][0]["sku"] = existing["ManufacturerPartNumber"]
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [doc]}, expect=202)
    service = store["service"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert "ItemNonInventoryAddRq" not in request and "ItemInventoryAddRq" not in request
    assert f":{existing['Name']}</FullName>" in request or f">{existing['Name']}</FullName>" in request
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") == 100


def test_a_transient_error_waits_for_the_back_off_before_the_next_attempt(api, store):
    store["service"].settings = store["service"].settings._replace(retry_delay_seconds=2)
    company = store["company"]
    company.faults.transient_status_next = [3170]
    api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [order(160)]}, expect=202
    )
    _, percents = session(store)
    assert percents == [100]  # the failed order waits: the session does not spin on it
    assert statuses(api, store["channel"]["id"])["2160"]["status"] == "pending"
    assert session(store)[0] == "none"  # still backing off
    import time

    time.sleep(2.5)
    session(store)
    assert statuses(api, store["channel"]["id"])["2160"]["status"] == "synced"
    assert len(company.sales("SalesReceipt")) == 1


@pytest.mark.parametrize(
    ("patch", "check"),
    [
        (
            {"customer_matching": "single_customer", "single_customer": "Web Shop Sales"},
            lambda sale, doc: sale["CustomerRef"]["FullName"] == "Web Shop Sales",
        ),
        (
            {"customer_matching": "email"},
            lambda sale, doc: sale["CustomerRef"]["FullName"] == doc["customer"]["email"],
        ),
        (
            {"customer_matching": "last_first"},
            lambda sale, doc: sale["CustomerRef"]["FullName"] == "Smith, Buyer3",
        ),
        (
            {"class_name": "Online:Marketplace"},
            lambda sale, doc: sale["ClassRef"]["FullName"] == "Online:Marketplace",
        ),
        (
            {"payment_methods": {"credit_card": "Visa"}},
            lambda sale, doc: sale["PaymentMethodRef"]["FullName"] == "Visa",
        ),
        ({"order_number_source": "id"}, lambda sale, doc: sale["RefNumber"] == doc["id"]),
        (
            {
                "missing_items": "create_inventory",
                "accounts": {
                    "deposit": "Undeposited Funds",
                    "income": "Sales",
                    "cogs": "Cost of Goods Sold",
                    "asset": "Inventory Asset",
                },
            },
            lambda sale, doc: True,
        ),
    ],
    ids=[
        "single-customer",
        "email",
        "last-first",
        "class",
        "payment-method",
        "number-from-id",
        "inventory-items",
    ],
)
def test_channel_settings_shape_the_sale(api, store, patch, check):
    patched = api.call("PATCH", f"/api/v1/channels/{store['channel']['id']}", {"settings": patch})
    assert patched.status_code == 200, patched.body
    doc = order(3, number="WEB-0003")
    doc["lines"][0]["sku"] = "NEW-SKU-1"  # not in the company yet: created as missing_items says
    api.json("POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": [doc]}, expect=202)
    session(store)
    seen = statuses(api, store["channel"]["id"])[doc["id"]]
    assert seen["status"] == "synced", seen["error"]
    sale = store["company"].find_txn(seen["quickbooks"]["txn_id"])[1]
    assert check(sale, doc), sale
    if patch.get("missing_items") == "create_inventory":
        assert store["company"].find("ItemInventory", doc["lines"][0]["sku"]) is not None


def test_statuses_to_sync_and_full_name_product_matching(api, store):
    api.json(
        "PATCH",
        f"/api/v1/channels/{store['channel']['id']}",
        {"settings": {"statuses": ["open"], "product_matching": "full_name"}},
    )
    cancelled = order(170, status="cancelled")
    widget = order(171)
    widget["lines"][0]["sku"] = "Widgets:Blue Widget"  # an existing sub-item, by its full name
    widget["lines"][0]["unit_price"] = "12.50"
    result = api.json(
        "POST",
        f"/api/v1/channels/{store['channel']['id']}/orders",
        {"orders": [cancelled, widget]},
        expect=202,
    )
    assert result["counts"] == {"skipped": 1, "new": 1, "received": 2}
    service, company = store["service"], store["company"]
    auth = service.authenticate(store["conn"]["username"], store["password"])
    request = service.send_request_xml(
        auth.ticket, company.hcp_response(), company.company_file, "US", "13", "0"
    )
    assert "ItemInventoryAddRq" not in request and "ItemNonInventoryAddRq" not in request
    assert "<FullName>Widgets:Blue Widget</FullName>" in request
    assert service.receive_response_xml(auth.ticket, company.process(request), "", "") == 100
    assert statuses(api, store["channel"]["id"])["2171"]["status"] == "synced"


def test_the_sync_history_counts_every_order_of_a_session_with_several_jobs(api, store):
    """150 orders are two post-orders jobs of one session (a set holds 100): the session's sync run adds up what
    every answer did (a later job once overwrote an earlier one's figures: 50 shown for 150 posted)."""
    docs = [order(n) for n in range(150)]
    for start in (0, 100):
        api.json(
            "POST",
            f"/api/v1/channels/{store['channel']['id']}/orders",
            {"orders": docs[start : start + 100]},
            expect=202,
        )
    status, percents = session(store)
    assert status == "" and len(percents) >= 2
    assert len(store["company"].transactions("SalesReceipt")) == 150
    runs = api.json("GET", f"/api/v1/connections/{store['conn']['id']}/sync-runs")["sync_runs"]
    posted = [r for r in runs if "orders_synced" in r["counts"]]  # the other run read the lists
    assert [r["counts"]["orders_synced"] for r in posted] == [150] and posted[0]["round_trips"] == 2
