"""Transient QuickBooks errors on demand, error recovery of transaction sets, saving and scale."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import pytest

from ledgerbridge.simulators.company import TRANSIENT_CODES, CompanySimulator, Faults, ResponseLost
from tests.unit.simulators.conftest import TickClock, found, parse, rs, status
from tests.unit.simulators.sales_helpers import line, msgs, one, qbxml, query, ret, sales_add


def receipt(ref_number: str, *, guid: str | None = None, request_id: str = "1") -> str:
    return sales_add(
        "SalesReceipt",
        line("SalesReceipt", "Widgets:Blue Widget", qty="1"),
        ref_number=ref_number,
        guid=guid,
        request_id=request_id,
    )


def invoice(ref_number: str) -> str:
    return sales_add(
        "Invoice",
        line("Invoice", "Repair Labor", qty="1"),
        customer="Rainier Trail Co",
        ref_number=ref_number,
    )


def qoh(company: CompanySimulator) -> str:
    return str(found(company, "ItemInventory", "Widgets:Blue Widget")["QuantityOnHand"])


# -- armed one by one ---------------------------------------------------------------------------------------------
def test_armed_transient_errors_answer_the_next_adds_and_commit_nothing(
    company: CompanySimulator, company_path: Path
) -> None:
    company.faults.transient_status_next = [3170, 3176]
    company.save()
    stock = qoh(company)
    answers = msgs(
        company.process(
            qbxml(
                query("SalesReceipt"),  # queries are never hit
                receipt("T-1", request_id="a"),
                receipt("T-2", request_id="b"),
                receipt("T-3", request_id="c"),
                on_error="continueOnError",
            )
        )
    )
    assert [status(a)[0] for a in answers] == [1, 3170, 3176, 0]
    assert status(answers[1]) == (
        3170,
        "Error",
        "There was an error when saving a SalesReceipt.  QuickBooks error message: This list element is in use.",
    )
    assert "failed to acquire the lock" in status(answers[2])[2]
    assert [t["RefNumber"] for t in company.sales("SalesReceipt")] == ["T-3"]
    assert qoh(company) == str(int(stock) - 1)
    assert company.faults.transient_status_next == []
    assert CompanySimulator.open(company_path).faults.transient_status_next == []  # consumption is saved


def test_armed_faults_are_persisted_and_cleared(company: CompanySimulator, company_path: Path) -> None:
    company.faults.transient_status_next = [3180]
    company.faults.transient_requests = ["InvoiceAddRq"]
    company.save()
    reopened = CompanySimulator.open(company_path, clock=TickClock())
    assert reopened.faults.transient_status_next == [3180]
    assert status(one(reopened, receipt("S-1")))[0] == 0  # not an invoice: untouched
    failed = one(reopened, invoice("I-1"))
    assert status(failed) == (
        3180,
        "Error",
        "There was an error when saving a Invoice.  QuickBooks error message: This list has been modified by another user.",
    )
    assert reopened.sales("Invoice") == []
    assert status(one(reopened, invoice("I-1")))[0] == 0  # the retry goes through
    reopened.faults.transient_rate = 0.5
    reopened.faults.clear()
    assert reopened.faults == Faults() and reopened.faults.transient_codes == list(TRANSIENT_CODES)


def test_3200_waits_for_a_mod_request(company: CompanySimulator) -> None:
    company.faults.transient_status_next = [3200, 3175]
    answer = one(company, receipt("M-1"))
    assert status(answer)[0] == 3175 and "internals could not be locked" in status(answer)[2]
    assert company.faults.transient_status_next == [3200]
    assert company.faults.transient_for("InvoiceModRq", "1716300000") is not None
    assert company.faults.transient_status_next == []


def test_stop_on_error_after_a_transient_error(company: CompanySimulator) -> None:
    company.faults.transient_status_next = [3176]
    answers = msgs(company.process(qbxml(receipt("A"), receipt("B"))))
    assert [status(a)[0] for a in answers] == [3176, 3231]
    assert company.sales("SalesReceipt") == []


# -- random ----------------------------------------------------------------------------------------------------------
def run_random(company: CompanySimulator, count: int, start: int = 0) -> list[int]:
    codes = []
    for number in range(start, start + count):
        answers = msgs(company.process(qbxml(receipt(f"N-{number}"), on_error="continueOnError")))
        codes.append(int(answers[0].get("statusCode", "-1")))
    return codes


def test_random_transient_errors_are_seeded_and_commit_nothing(tmp_path: Path) -> None:
    def fresh(name: str) -> CompanySimulator:
        company = CompanySimulator.open(tmp_path / name, clock=TickClock())
        company.faults.transient_rate = 0.3
        company.faults.transient_seed = 42
        return company

    first = fresh("a.json")
    codes = run_random(first, 60)
    failures = Counter(code for code in codes if code)
    assert 8 <= sum(failures.values()) <= 32
    assert set(failures) <= set(TRANSIENT_CODES) and len(failures) >= 2
    assert len(first.sales("SalesReceipt")) == codes.count(0)
    assert run_random(fresh("b.json"), 60) == codes  # same seed, same faults

    # the draw count is saved, so a reopened company goes on with the same sequence
    third = fresh("c.json")
    run_random(third, 30)
    reopened = CompanySimulator.open(tmp_path / "c.json", clock=TickClock())
    assert reopened.faults.transient_draws == 30
    assert run_random(reopened, 30, start=30) == codes[30:]


# -- error recovery ------------------------------------------------------------------------------------------------------
def test_a_resent_transaction_set_gets_the_stored_response_and_posts_nothing_twice(
    company: CompanySimulator,
) -> None:
    guids = [f"{{{uuid.uuid4()}}}" for _ in range(3)]
    text = qbxml(
        *(receipt(f"E-{i}", guid=g, request_id=str(i)) for i, g in enumerate(guids)), new_id="orders-7"
    )
    first = company.process(text)
    again = company.process(text)
    assert [r.findtext("ErrorRecovery/TxnID") for r in msgs(again)] == [
        r.findtext("SalesReceiptRet/TxnID") for r in msgs(first)
    ]
    assert len(company.sales("SalesReceipt")) == 3
    counts = company.external_guid_counts()
    assert all(counts[g.lower()] == 1 for g in guids)
    # the status check after a lost response answers each sale's status and ids (ErrorRecovery)
    check = '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError" oldMessageSetID="orders-7" newMessageSetID="orders-7"/></QBXML>'
    recovered = parse(company.process(check)).find("QBXMLMsgsRs")
    assert recovered is not None and recovered.get("messageSetStatusCode") == "0"
    assert [r.findtext("ErrorRecovery/ExternalGUID") for r in recovered] == guids
    assert [r.find("SalesReceiptRet") for r in recovered] == [None, None, None]


def test_a_lost_response_is_committed_and_recoverable(company: CompanySimulator) -> None:
    company.faults.lose_next_response = True
    with pytest.raises(ResponseLost) as lost:
        company.process(qbxml(receipt("L-1", guid="{22222222-2222-4222-8222-222222222222}"), new_id="lost-1"))
    assert "L-1" in lost.value.response
    assert len(company.find_by_ref("SalesReceipt", "L-1")) == 1
    retry = qbxml(receipt("L-1", guid="{22222222-2222-4222-8222-222222222222}"), new_id="lost-1")
    (sale,) = company.find_by_ref("SalesReceipt", "L-1")
    assert rs(company.process(retry)).findtext("ErrorRecovery/TxnID") == sale["TxnID"]
    assert len(company.find_by_ref("SalesReceipt", "L-1")) == 1  # the same set is not posted twice


def test_a_transient_failure_inside_a_recoverable_set_is_what_is_stored(company: CompanySimulator) -> None:
    company.faults.transient_status_next = [3175]
    text = qbxml(receipt("F-1"), new_id="flaky-1")
    assert status(rs(company.process(text)))[0] == 3175
    assert status(rs(company.process(text)))[0] == 3175  # same ID: the stored answer, not a new try
    assert status(rs(company.process(qbxml(receipt("F-1"), new_id="flaky-2"))))[0] == 0
    assert len(company.sales("SalesReceipt")) == 1


# -- saving and scale --------------------------------------------------------------------------------------------------------
def test_autosave_off_writes_only_on_save(company_path: Path) -> None:
    company = CompanySimulator.open(company_path, clock=TickClock(), autosave=False)
    before = company_path.read_text(encoding="utf-8")
    ret(one(company, receipt("Q-1")))
    assert company_path.read_text(encoding="utf-8") == before
    company.save()
    assert CompanySimulator.open(company_path).find_by_ref("SalesReceipt", "Q-1")


@pytest.mark.slow
def test_ten_thousand_transactions_are_kept_saved_and_found(tmp_path: Path) -> None:
    """A company of 10,000 sales answers, saves, reopens and finds each by RefNumber and ExternalGUID. (How fast is
    not a test's business: the benchmarks time the simulator's work with the rest.)"""
    company = CompanySimulator.open(tmp_path / "big.json", clock=TickClock(), autosave=False)
    for batch in range(100):
        requests = [
            receipt(f"B{batch:03d}-{i:03d}", guid=f"{{{uuid.UUID(int=batch * 100 + i)}}}", request_id=str(i))
            for i in range(100)
        ]
        answers = msgs(company.process(qbxml(*requests, on_error="continueOnError")))
        assert all(a.get("statusCode") == "0" for a in answers)
    assert len(company.sales("SalesReceipt")) == 10_000
    company.save()
    assert json.loads((tmp_path / "big.json").read_text(encoding="utf-8"))["format"]
    reopened = CompanySimulator.open(tmp_path / "big.json")
    for batch in range(0, 100, 7):
        assert len(reopened.find_by_ref("SalesReceipt", f"B{batch:03d}-042")) == 1
        assert len(reopened.find_by_external_guid(str(uuid.UUID(int=batch * 100 + 42)))) == 1
    assert set(reopened.external_guid_counts().values()) == {1}
