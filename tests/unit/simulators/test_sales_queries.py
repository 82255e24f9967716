"""Transaction queries of the company simulator: lookups, filters, include flags, iterators, ExternalGUID."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lxml import etree

from ledgerbridge.simulators.company import CompanySimulator, SimulatorLimitation
from tests.unit.simulators.conftest import status
from tests.unit.simulators.sales_helpers import line, msgs, one, payment_add, qbxml, query, ret, sales_add

GUID_A = "{0A1B2C3D-0000-4000-8000-00000000000A}"
GUID_B = "{0a1b2c3d-0000-4000-8000-00000000000b}"


@dataclass
class Book:
    """The transactions of the query tests, by RefNumber."""

    ids: dict[str, str]
    modified: dict[str, str]


@pytest.fixture
def book(company: CompanySimulator) -> Book:
    ids: dict[str, str] = {}
    modified: dict[str, str] = {}
    receipts = [
        ("R-1001", "2024-05-01", "Walk-in Customer", GUID_A),
        ("R-1002", "2024-05-02", "Walk-in Customer", None),
        ("r-1003", "2024-05-03", "Alder Creek Outfitters", GUID_B),
        ("X-2001", "2024-05-10", "Rainier Trail Co:Spring Catalog", None),
        ("R-1004", "2024-06-01", "Walk-in Customer", None),
    ]
    for ref_number, day, customer, guid in receipts:
        request = sales_add(
            "SalesReceipt",
            line("SalesReceipt", "Gift Wrap", qty="1"),
            line("SalesReceipt", "Printed Chart", qty="2"),
            customer=customer,
            ref_number=ref_number,
            txn_date=day,
            guid=guid,
        )
        answer = ret(one(company, request))
        ids[ref_number] = answer.findtext("TxnID") or ""
        modified[ref_number] = answer.findtext("TimeModified") or ""
    for ref_number, amount in (("100", "40.00"), ("205", "60.00"), ("31", "25.00")):
        invoice = sales_add(
            "Invoice",
            line("Invoice", "Repair Labor", amount=amount),
            customer="Cedar Point Rowing Club",
            ref_number=ref_number,
        )
        ids[ref_number] = ret(one(company, invoice)).findtext("TxnID") or ""
    ret(one(company, payment_add("Cedar Point Rowing Club", (ids["205"], "60.00"), ref_number="CHK-9")))
    return Book(ids, modified)


def answer(company: CompanySimulator, *requests: str) -> list[etree._Element]:
    return msgs(company.process(qbxml(*requests, on_error="continueOnError")))


def refs(rs: etree._Element) -> list[str]:
    return [r.findtext("RefNumber") or "" for r in rs]


# -- lookups -------------------------------------------------------------------------------------------------
def test_lookups_by_txn_id_and_ref_number(company: CompanySimulator, book: Book) -> None:
    by_id, missing, by_ref, case_sensitive, nothing = answer(
        company,
        query("SalesReceipt", f"<TxnID>{book.ids['R-1002']}</TxnID><TxnID>{book.ids['R-1001']}</TxnID>"),
        query("SalesReceipt", f"<TxnID>{book.ids['R-1001']}</TxnID><TxnID>ABC-123</TxnID>"),
        query("SalesReceipt", "<RefNumber>R-1003</RefNumber>"),
        query("SalesReceipt", "<RefNumberCaseSensitive>R-1003</RefNumberCaseSensitive>"),
        query("SalesReceipt", "<RefNumber>NOPE</RefNumber>"),
    )
    assert status(by_id)[0] == 0 and refs(by_id) == ["R-1002", "R-1001"]
    assert status(missing) == (
        500,
        "Warn",
        'The query request has not been fully completed. There was a required element ("ABC-123") that could '
        "not be found in QuickBooks.",
    )
    assert refs(missing) == ["R-1001"]
    assert refs(by_ref) == ["r-1003"]  # RefNumber compares case-insensitively
    assert status(case_sensitive)[0] == 500 and len(case_sensitive) == 0
    assert status(nothing)[0] == 500
    # a TxnID of another transaction type is not found by this query
    wrong_type = answer(company, query("Invoice", f"<TxnID>{book.ids['R-1001']}</TxnID>"))[0]
    assert status(wrong_type)[0] == 500


def test_line_items_and_linked_transactions_only_when_asked(company: CompanySimulator, book: Book) -> None:
    plain, with_lines = answer(
        company,
        query("SalesReceipt", "<RefNumber>R-1001</RefNumber>"),
        query("SalesReceipt", "<RefNumber>R-1001</RefNumber><IncludeLineItems>true</IncludeLineItems>"),
    )
    assert plain[0].find("SalesReceiptLineRet") is None
    assert len(with_lines[0].findall("SalesReceiptLineRet")) == 2
    invoice, invoice_linked = answer(
        company,
        query("Invoice", "<RefNumber>205</RefNumber>"),
        query("Invoice", "<RefNumber>205</RefNumber><IncludeLinkedTxns>true</IncludeLinkedTxns>"),
    )
    assert invoice[0].find("LinkedTxn") is None and invoice[0].findtext("IsPaid") == "true"
    assert invoice_linked[0].findtext("LinkedTxn/TxnType") == "ReceivePayment"
    assert invoice_linked[0].findtext("LinkedTxn/Amount") == "-60.00"
    payment = answer(company, query("ReceivePayment", "<RefNumber>CHK-9</RefNumber>"))[0]
    assert payment[0].findtext("AppliedToTxnRet/TxnID") == book.ids["205"]


def test_include_ret_element_and_meta_data(company: CompanySimulator, book: Book) -> None:
    trimmed, counted, only_count = answer(
        company,
        query(
            "SalesReceipt",
            "<RefNumber>R-1001</RefNumber><IncludeRetElement>TxnID</IncludeRetElement>"
            "<IncludeRetElement>TotalAmount</IncludeRetElement>",
        ),
        query("SalesReceipt", "", attributes=' metaData="MetaDataAndResponseData"'),
        query("SalesReceipt", "", attributes=' metaData="MetaDataOnly"'),
    )
    assert [c.tag for c in trimmed[0]] == ["TxnID", "TotalAmount"]
    assert trimmed[0].findtext("TxnID") == book.ids["R-1001"]
    assert counted.get("retCount") == "5" and len(counted) == 5
    assert only_count.get("retCount") == "5" and len(only_count) == 0


# -- filters -------------------------------------------------------------------------------------------------
def test_filters(company: CompanySimulator, book: Book) -> None:
    results = answer(
        company,
        query(
            "SalesReceipt",
            "<TxnDateRangeFilter><FromTxnDate>2024-05-02</FromTxnDate><ToTxnDate>2024-05-10</ToTxnDate></TxnDateRangeFilter>",
        ),
        query(
            "SalesReceipt",
            f"<ModifiedDateRangeFilter><FromModifiedDate>{book.modified['r-1003']}</FromModifiedDate>"
            "</ModifiedDateRangeFilter>",
        ),
        query("SalesReceipt", "<EntityFilter><FullName>walk-in customer</FullName></EntityFilter>"),
        query(
            "SalesReceipt",
            "<EntityFilter><FullNameWithChildren>Rainier Trail Co</FullNameWithChildren></EntityFilter>",
        ),
        query(
            "SalesReceipt",
            "<RefNumberFilter><MatchCriterion>StartsWith</MatchCriterion><RefNumber>r-10</RefNumber></RefNumberFilter>",
        ),
        query(
            "SalesReceipt",
            "<RefNumberFilter><MatchCriterion>EndsWith</MatchCriterion><RefNumber>01</RefNumber></RefNumberFilter>",
        ),
        query(
            "Invoice",
            "<RefNumberRangeFilter><FromRefNumber>31</FromRefNumber><ToRefNumber>150</ToRefNumber></RefNumberRangeFilter>",
        ),
        query("Invoice", "<PaidStatus>NotPaidOnly</PaidStatus>"),
        query("Invoice", "<PaidStatus>PaidOnly</PaidStatus>"),
        query("SalesReceipt", "<MaxReturned>2</MaxReturned>"),
        query(
            "SalesReceipt", "<TxnDateRangeFilter><FromTxnDate>2025-01-01</FromTxnDate></TxnDateRangeFilter>"
        ),
    )
    dates, modified, walk_in, job, starts, ends, ref_range, unpaid, paid, first_two, none = results
    assert refs(dates) == ["R-1002", "r-1003", "X-2001"]
    assert refs(modified) == ["r-1003", "X-2001", "R-1004"]
    assert refs(walk_in) == ["R-1001", "R-1002", "R-1004"]
    assert refs(job) == ["X-2001"]
    assert refs(starts) == ["R-1001", "R-1002", "r-1003", "R-1004"]
    assert refs(ends) == ["R-1001", "X-2001"]
    assert refs(ref_range) == ["100", "31"]  # numeric reference numbers compare as numbers
    assert refs(unpaid) == ["100", "31"] and refs(paid) == ["205"]
    assert refs(first_two) == ["R-1001", "R-1002"]
    assert status(none) == (1, "Info", "A query request did not find a matching object in QuickBooks")


def test_unsupported_filters_are_refused(company: CompanySimulator, book: Book) -> None:
    text = query("Invoice", "<AccountFilter><FullName>Accounts Receivable</FullName></AccountFilter>")
    with pytest.raises(SimulatorLimitation, match="AccountFilter"):
        company.process(qbxml(text))
    macro = query("Invoice", "<TxnDateRangeFilter><DateMacro>ThisMonth</DateMacro></TxnDateRangeFilter>")
    with pytest.raises(SimulatorLimitation, match="DateMacro"):
        company.process(qbxml(macro))


# -- iterators -------------------------------------------------------------------------------------------------
def test_iterators_page_through_transactions(company: CompanySimulator, book: Book) -> None:
    start = answer(
        company,
        query(
            "SalesReceipt",
            "<MaxReturned>2</MaxReturned><IncludeLineItems>true</IncludeLineItems>",
            attributes=' iterator="Start"',
        ),
    )[0]
    iterator_id = start.get("iteratorID", "")
    assert (start.get("iteratorRemainingCount"), refs(start)) == ("3", ["R-1001", "R-1002"])
    assert start[0].find("SalesReceiptLineRet") is not None  # the flags hold for every page
    pages = [refs(start)]
    remaining = "3"
    while remaining != "0":
        page = answer(
            company,
            query(
                "SalesReceipt",
                "<MaxReturned>2</MaxReturned>",
                attributes=f' iterator="Continue" iteratorID="{iterator_id}"',
            ),
        )[0]
        assert status(page)[0] == 0 and page[0].find("SalesReceiptLineRet") is not None
        remaining = page.get("iteratorRemainingCount", "")
        pages.append(refs(page))
    assert pages == [["R-1001", "R-1002"], ["r-1003", "X-2001"], ["R-1004"]]
    finished = answer(
        company, query("SalesReceipt", "", attributes=f' iterator="Continue" iteratorID="{iterator_id}"')
    )[0]
    assert status(finished) == (3391, "Error", f'The iteratorID "{iterator_id}" is not valid.')


def test_an_iterator_belongs_to_its_request_type(company: CompanySimulator, book: Book) -> None:
    start = answer(company, query("Invoice", "<MaxReturned>1</MaxReturned>", attributes=' iterator="Start"'))[
        0
    ]
    iterator_id = start.get("iteratorID", "")
    other = answer(
        company, query("SalesReceipt", "", attributes=f' iterator="Continue" iteratorID="{iterator_id}"')
    )[0]
    assert status(other)[0] == 3391
    stop = answer(company, query("Invoice", "", attributes=f' iterator="Stop" iteratorID="{iterator_id}"'))[0]
    assert status(stop)[0] == 0 and stop.get("iteratorRemainingCount") == "0"


# -- ExternalGUID ------------------------------------------------------------------------------------------------
def test_external_guid_round_trip(company: CompanySimulator, book: Book) -> None:
    plain, with_owner = answer(
        company,
        query("SalesReceipt", "<RefNumber>R-1001</RefNumber>"),
        query("SalesReceipt", "<RefNumber>R-1001</RefNumber><OwnerID>0</OwnerID>"),
    )
    # ExternalGUID is a plain element of the Ret (13.0 schema); OwnerID only selects custom fields
    assert plain[0].findtext("ExternalGUID") == GUID_A
    assert with_owner[0].findtext("ExternalGUID") == GUID_A and with_owner[0].find("DataExtRet") is None
    found = company.find_by_external_guid(GUID_A.lower().strip("{}"))
    assert [(kind, txn["RefNumber"]) for kind, txn in found] == [("SalesReceipt", "R-1001")]
    assert company.find_by_external_guid("{00000000-0000-4000-8000-000000000000}") == []
    counts = company.external_guid_counts()
    assert counts == {GUID_A.lower(): 1, GUID_B.lower(): 1}


def test_counting_sales_per_external_guid_catches_a_double_post(company: CompanySimulator) -> None:
    guid = "{11111111-2222-4333-8444-555555555555}"
    for _ in range(2):
        ret(one(company, sales_add("SalesReceipt", line("SalesReceipt", "Gift Wrap"), guid=guid)))
    ret(one(company, sales_add("SalesOrder", line("SalesOrder", "Gift Wrap"), guid=guid)))
    assert company.external_guid_counts()[guid] == 3
    assert company.external_guid_counts(["SalesReceipt"])[guid] == 2
    assert [kind for kind, _ in company.find_by_external_guid(guid)] == [
        "SalesReceipt",
        "SalesReceipt",
        "SalesOrder",
    ]


def test_each_transaction_type_has_its_query(company: CompanySimulator, book: Book) -> None:
    ret(one(company, sales_add("SalesOrder", line("SalesOrder", "Gift Wrap"), ref_number="SO-1")))
    ret(one(company, sales_add("CreditMemo", line("CreditMemo", "Gift Wrap"), ref_number="CM-1")))
    order, memo, payment = answer(company, query("SalesOrder"), query("CreditMemo"), query("ReceivePayment"))
    assert refs(order) == ["SO-1"] and refs(memo) == ["CM-1"] and refs(payment) == ["CHK-9"]
    assert order[0].findtext("IsFullyInvoiced") == "false"
