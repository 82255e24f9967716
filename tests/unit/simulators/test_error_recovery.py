"""Error recovery answers as QuickBooks does: a status check gives each request's status and, for the
Adds and Mods that succeeded, an ErrorRecovery element with the record's ids, never the record itself.

Sources: Intuit's samples `legacy__ErrRecovery1-3.xml` ("status will be returned for the message set"),
`ErrorRecovery` in qbxml130.xsd and the Add/Mod response types of qbxmlops130.xsd.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators.company import CompanySimulator, RecoveryAnswers, ResponseLost
from tests.paths import QBXML_SAMPLES
from tests.unit.simulators.conftest import REQUESTS, TickClock, parse, request, rs
from tests.unit.simulators.sales_helpers import line, qbxml, query, sales_add

SET_ID = "RECOVER-1"
STATUS_CHECK = request("error_recovery_status_rq.xml", SET_ID=SET_ID)


def canonical(document: str) -> bytes:
    """A response without comments and formatting whitespace, canonicalised (c14n)."""
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    return etree.tostring(etree.fromstring(document.encode("utf-8"), parser), method="c14n")


def message_set(response: str) -> etree._Element:
    msgs = parse(response).find("QBXMLMsgsRs")
    assert msgs is not None
    return msgs


_PLACEHOLDER_FIELDS = {
    "ListID": "LIST_ID",
    "TxnID": "TXN_ID",
    "TxnNumber": "TXN_NUMBER",
    "EditSequence": "EDIT_SEQUENCE",
}


def expected_status_answer(lost_response: str) -> str:
    """The fixture `error_recovery_mixed_status_rs.xml`, filled with the ids of the lost response's records."""
    lost = message_set(lost_response)
    values = {"SET_ID": SET_ID}
    for placeholder, path in {
        "CUSTOMER": "CustomerAddRs[@requestID='customer']/CustomerRet",
        "ITEM": "ItemNonInventoryAddRs/ItemNonInventoryRet",
        "RECEIPT": "SalesReceiptAddRs/SalesReceiptRet",
        "INVOICE": "InvoiceAddRs/InvoiceRet",
        "CREDIT": "CreditMemoAddRs/CreditMemoRet",
    }.items():
        ret = lost.find(path)
        assert ret is not None, path
        for field, key in _PLACEHOLDER_FIELDS.items():
            if ret.findtext(field):
                values[f"{placeholder}_{key}"] = str(ret.findtext(field))
    text = (REQUESTS / "error_recovery_mixed_status_rs.xml").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text
    return text


def lose_mixed_set(company: CompanySimulator) -> str:
    """Send the mixed set with the response lost on the way back; the response that was lost."""
    company.faults.lose_next_response = True
    with pytest.raises(ResponseLost) as lost:
        company.process(request("error_recovery_mixed_set_rq.xml", SET_ID=SET_ID))
    return lost.value.response


def test_a_lost_mixed_set_is_status_checked_then_cleared(
    company: CompanySimulator, company_path: Path
) -> None:
    lost = lose_mixed_set(company)
    assert [el.get("statusCode") for el in message_set(lost)] == ["0", "0", "0", "0", "0", "3100", "0"]
    reopened = CompanySimulator.open(company_path, clock=TickClock())  # a new session, after a restart
    counts = {kind: len(reopened.sales(kind)) for kind in ("SalesReceipt", "Invoice", "CreditMemo")}

    checked = reopened.process(STATUS_CHECK)
    assert schema_errors(checked) == []
    assert canonical(checked) == canonical(expected_status_answer(lost))
    assert {kind: len(reopened.sales(kind)) for kind in counts} == counts  # nothing processed again
    assert reopened.count("Customer") == company.count("Customer")

    # ErrRecovery3: a request with only oldMessageSetID clears the stored status
    cleared = reopened.process(request("error_recovery_clear_rq.xml", SET_ID=SET_ID))
    assert message_set(cleared).get("messageSetStatusCode") == "0"
    assert message_set(cleared).get("newMessageSetID") is None
    assert len(message_set(cleared)) == 0
    assert reopened.stored_message_set_id is None
    gone = message_set(reopened.process(STATUS_CHECK))
    assert gone.get("messageSetStatusCode") == "9002" and len(gone) == 0


def test_the_intuit_samples_status_check_answers_statuses(company: CompanySimulator) -> None:
    samples = QBXML_SAMPLES / "intuit-sdk-samples"
    company.process(request("error_recovery_add_rq.xml", SET_ID="AB1F2395", NAME="Sample Status Check"))
    answer = rs(company.process((samples / "legacy__ErrRecovery2.xml").read_text(encoding="utf-8")))
    assert [child.tag for child in answer] == ["ErrorRecovery"]
    customer = company.find("Customer", "Sample Status Check")
    assert customer is not None
    assert [(el.tag, el.text) for el in answer[0]] == [
        ("ListID", customer["ListID"]),
        ("EditSequence", customer["EditSequence"]),
    ]


def test_duplicate_protection_answers_the_status_not_the_records(company: CompanySimulator) -> None:
    text = request("error_recovery_mixed_set_rq.xml", SET_ID=SET_ID)
    first = company.process(text)
    receipts = len(company.sales("SalesReceipt"))
    again = company.process(text)
    assert canonical(again) == canonical(company.process(STATUS_CHECK))
    assert canonical(again) == canonical(expected_status_answer(first))
    assert len(company.sales("SalesReceipt")) == receipts


def test_full_records_option_answers_the_stored_responses_and_is_saved(
    company: CompanySimulator, company_path: Path
) -> None:
    lost = lose_mixed_set(company)
    reopened = CompanySimulator.open(company_path, recovery_answers="full_records")
    assert reopened.recovery_answers is RecoveryAnswers.FULL_RECORDS
    assert canonical(reopened.process(STATUS_CHECK)) == canonical(lost)
    assert canonical(
        reopened.process(request("error_recovery_mixed_set_rq.xml", SET_ID=SET_ID))
    ) == canonical(lost)
    assert CompanySimulator.open(company_path).recovery_answers is RecoveryAnswers.FULL_RECORDS
    back = CompanySimulator.open(company_path, recovery_answers=RecoveryAnswers.STATUS)
    assert canonical(back.process(STATUS_CHECK)) == canonical(expected_status_answer(lost))


def test_status_is_the_default_and_unknown_options_are_refused() -> None:
    assert CompanySimulator.create(clock=TickClock()).recovery_answers is RecoveryAnswers.STATUS
    with pytest.raises(ValueError):
        CompanySimulator.create(clock=TickClock(), recovery_answers="whole_records")


def test_a_mod_recovers_the_new_edit_sequence(company: CompanySimulator) -> None:
    added = rs(
        company.process(qbxml(sales_add("Invoice", line("Invoice", "Gift Wrap", qty="1", rate="25.00"))))
    )
    txn_id, edit_sequence = added.findtext("InvoiceRet/TxnID"), added.findtext("InvoiceRet/EditSequence")
    mod = (
        f'<InvoiceModRq requestID="mod"><InvoiceMod><TxnID>{txn_id}</TxnID>'
        f"<EditSequence>{edit_sequence}</EditSequence><Memo>Recovered memo</Memo></InvoiceMod></InvoiceModRq>"
    )
    modified = rs(company.process(qbxml(mod, new_id="MOD-1")))
    checked = rs(company.process(request("error_recovery_status_rq.xml", SET_ID="MOD-1")))
    assert checked.tag == "InvoiceModRs" and checked.find("InvoiceRet") is None
    assert checked.findtext("ErrorRecovery/TxnID") == txn_id
    assert checked.findtext("ErrorRecovery/EditSequence") == modified.findtext("InvoiceRet/EditSequence")
    assert checked.findtext("ErrorRecovery/EditSequence") != edit_sequence


def test_ids_are_recovered_even_when_the_answer_carried_no_record(company: CompanySimulator) -> None:
    text = qbxml(
        sales_add("SalesReceipt", line("SalesReceipt", "Gift Wrap", qty="1", rate="5.00"), ref_number="NR-1")
    )
    text = text.replace(
        'onError="stopOnError"', 'onError="stopOnError" newMessageSetID="NONE-1" responseData="includeNone"'
    )
    assert len(rs(company.process(text))) == 0
    (sale,) = company.find_by_ref("SalesReceipt", "NR-1")
    checked = rs(company.process(request("error_recovery_status_rq.xml", SET_ID="NONE-1")))
    assert checked.findtext("ErrorRecovery/TxnID") == sale["TxnID"]


def test_a_file_saved_before_statuses_were_kept_still_answers_statuses(
    company: CompanySimulator, company_path: Path
) -> None:
    lost = lose_mixed_set(company)
    data = json.loads(company_path.read_text(encoding="utf-8"))
    del data["error_recovery"]["status"]  # what an older simulator saved: only the responses
    company_path.write_text(json.dumps(data), encoding="utf-8")
    reopened = CompanySimulator.open(company_path)
    assert canonical(reopened.process(STATUS_CHECK)) == canonical(expected_status_answer(lost))


# -- any message set: the status check mirrors the first answer's statuses -----------------------------
_NAMES = st.sampled_from(["Alder", "Birch", "Cedar", "alder"])  # "alder" collides with "Alder": 3100
_REQUEST = st.one_of(
    _NAMES.map(lambda name: ("add", name)),
    _NAMES.map(lambda name: ("query", name)),
    st.just(("receipt", "")),
    st.just(("bad-receipt", "")),
)


def _rq(index: int, kind: str, name: str) -> str:
    if kind == "add":
        return f'<CustomerAddRq requestID="{index}"><CustomerAdd><Name>{name}</Name></CustomerAdd></CustomerAddRq>'
    if kind == "query":
        return query("Customer", f"<FullName>{name}</FullName>", request_id=str(index))
    item = "Gift Wrap" if kind == "receipt" else "No Such Item"  # the second fails with 3140
    return sales_add("SalesReceipt", line("SalesReceipt", item, qty="1", rate="5.00"), request_id=str(index))


@settings(max_examples=25, deadline=None)
@given(requests=st.lists(_REQUEST, min_size=1, max_size=6), stop_on_error=st.booleans())
def test_the_status_check_mirrors_every_first_answer(
    requests: list[tuple[str, str]], stop_on_error: bool
) -> None:
    company = CompanySimulator.create(clock=TickClock())
    body = [_rq(i, kind, name) for i, (kind, name) in enumerate(requests)]
    first = message_set(
        company.process(
            qbxml(*body, on_error="stopOnError" if stop_on_error else "continueOnError", new_id="ANY")
        )
    )
    checked = message_set(company.process(request("error_recovery_status_rq.xml", SET_ID="ANY")))
    assert len(checked) == len(first)
    for original, status in zip(first, checked, strict=True):
        assert status.tag == original.tag
        kept = ("requestID", "statusCode", "statusSeverity", "statusMessage")
        assert {str(k): str(v) for k, v in status.attrib.items()} == {
            str(k): str(v) for k, v in original.attrib.items() if k in kept
        }
        succeeded_add = original.tag.endswith("AddRs") and original.get("statusSeverity") != "Error"
        assert [child.tag for child in status] == (["ErrorRecovery"] if succeeded_add else [])
        if succeeded_add:
            record = original[0]
            key = "TxnID" if record.find("TxnID") is not None else "ListID"
            assert status.findtext(f"ErrorRecovery/{key}") == record.findtext(key)
            assert status.findtext("ErrorRecovery/EditSequence") == record.findtext("EditSequence")
