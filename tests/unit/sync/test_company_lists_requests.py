"""The refresh job's message sets are valid qbXML 13.0 and ask for what the cache needs."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from chalicelib.sync.company_lists import ALL_KINDS, RefreshCompanyLists
from chalicelib.sync.jobs import JobContext
from ledgerbridge.qbxml_schema import schema_errors

CTX = JobContext(connection_id="con_x", qbxml_version="13.0", now=datetime.now(UTC), item_page_size=250)


def test_first_message_set_asks_for_every_list_and_starts_the_item_iterator():
    runner = RefreshCompanyLists()
    state = runner.start({}, CTX)
    request = runner.next_request(state, CTX)
    assert request is not None and schema_errors(request) == []
    msgs = etree.fromstring(request.encode()).find("QBXMLMsgsRq")
    assert msgs.get("onError") == "continueOnError"
    assert sorted(el.get("requestID") for el in msgs) == sorted(ALL_KINDS)
    item = msgs.find("ItemQueryRq")
    assert item.get("iterator") == "Start" and item.findtext("MaxReturned") == "250"


def test_later_message_sets_continue_the_iterator_and_the_done_state_asks_nothing():
    runner = RefreshCompanyLists()
    state = {
        **runner.start({}, CTX),
        "step": "items",
        "iterator_id": "{6c1b2f9e-0000-4000-8000-000000000001}",
    }
    request = runner.next_request(state, CTX)
    assert request is not None and schema_errors(request) == []
    item = etree.fromstring(request.encode()).find("QBXMLMsgsRq/ItemQueryRq")
    assert item.get("iterator") == "Continue" and item.get("iteratorID") == state["iterator_id"]
    assert runner.next_request({**state, "step": "done"}, CTX) is None


def test_older_qbxml_versions_are_declared_in_the_document():
    runner = RefreshCompanyLists()
    ctx = JobContext(connection_id="c", qbxml_version="8.0", now=CTX.now, item_page_size=10)
    request = runner.next_request(runner.start({}, ctx), ctx)
    assert request is not None and '<?qbxml version="8.0"?>' in request
