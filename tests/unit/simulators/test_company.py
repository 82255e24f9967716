"""The company simulator answers qbXML like QuickBooks: queries, iterators, adds, name spaces, references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from ledgerbridge.qbxml_schema import schema_errors
from ledgerbridge.simulators.company import ITEM_KINDS, CompanySimulator, SimulatorLimitation
from tests.paths import QBXML_SAMPLES
from tests.unit.simulators.conftest import TickClock, found, parse, request, rs, status

SYNTHESIZED = QBXML_SAMPLES / "synthesized"


def rs_by_id(response: str) -> dict[str, etree._Element]:
    msgs = parse(response).find("QBXMLMsgsRs")
    assert msgs is not None
    return {el.get("requestID", ""): el for el in msgs}


# -- the sample company ---------------------------------------------------------------------------
def test_new_file_holds_a_realistic_us_company(company: CompanySimulator, company_path: Path) -> None:
    assert company_path.exists()
    assert company.company_name == "Blue Heron Outfitters"
    assert company.company_file == (
        "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Blue Heron Outfitters.qbw"
    )
    assert company.product_name == "QuickBooks Desktop Pro Plus 2023"
    assert company.country == "US"
    assert company.qbxml_versions[0] == "1.0" and company.qbxml_versions[-1] == "16.0"
    assert 38 <= company.count("Account") <= 50
    types = {a["AccountType"] for a in company.objects("Account")}
    assert {
        "Bank",
        "AccountsReceivable",
        "OtherCurrentAsset",
        "Income",
        "CostOfGoodsSold",
        "Expense",
    } <= types
    assert found(company, "Account", "Undeposited Funds")["AccountType"] == "OtherCurrentAsset"
    assert found(company, "Account", "Inventory Asset")["AccountType"] == "OtherCurrentAsset"
    assert found(company, "Account", "Sales")["AccountType"] == "Income"
    assert company.find("Account", "Shipping and Delivery Income") is not None
    for kind in (
        "ItemService",
        "ItemInventory",
        "ItemNonInventory",
        "ItemOtherCharge",
        "ItemDiscount",
        "ItemSalesTax",
        "ItemSalesTaxGroup",
    ):
        assert company.count(kind) >= 1, kind
    assert {c["Name"] for c in company.objects("SalesTaxCode")} == {"Tax", "Non"}
    assert (
        company.count("PaymentMethod") >= 3 and company.count("Class") >= 2 and company.count("Customer") >= 3
    )
    blue = company.find("ItemInventory", "widgets:blue widget")
    assert blue is not None and blue["ParentRef"]["FullName"] == "Widgets" and blue["Sublevel"] == "1"


def test_hcp_response_is_valid_and_describes_host_company_and_preferences(company: CompanySimulator) -> None:
    hcp = company.hcp_response()
    assert hcp.startswith('<?xml version="1.0" ?>')
    assert schema_errors(hcp) == []
    msgs = parse(hcp).find("QBXMLMsgsRs")
    assert msgs is not None
    assert [(el.tag, el.get("requestID")) for el in msgs] == [
        ("HostQueryRs", "0"),
        ("CompanyQueryRs", "1"),
        ("PreferencesQueryRs", "2"),
    ]
    assert msgs.findtext("HostQueryRs/HostRet/ProductName") == "QuickBooks Desktop Pro Plus 2023"
    assert msgs.findtext("HostQueryRs/HostRet/Country") == "US"
    versions = [v.text for v in msgs.findall("HostQueryRs/HostRet/SupportedQBXMLVersion")]
    assert "13.0" in versions and versions[-1] == "16.0"
    assert msgs.findtext("CompanyQueryRs/CompanyRet/CompanyName") == "Blue Heron Outfitters"
    assert msgs.findtext("CompanyQueryRs/CompanyRet/LegalCompanyName") == "Blue Heron Outfitters LLC"
    assert msgs.findtext("CompanyQueryRs/CompanyRet/Address/City") == "Bayview"
    prefs = msgs.find("PreferencesQueryRs/PreferencesRet")
    assert prefs is not None
    assert prefs.findtext("SalesTaxPreferences/DefaultTaxableSalesTaxCodeRef/FullName") == "Tax"
    assert prefs.findtext("SalesTaxPreferences/DefaultItemSalesTaxRef/ListID")  # resolved reference


@pytest.mark.parametrize("country", ["CA", "UK", "AU"])
def test_other_editions(tmp_path: Path, country: str) -> None:
    company = CompanySimulator.open(
        tmp_path / f"{country}.json",
        company_name="Maple Paddles",
        country=country,
        company_file="D:\\QB\\Maple Paddles.qbw",
    )
    assert company.country == country
    assert company.company_file == "D:\\QB\\Maple Paddles.qbw"
    assert schema_errors(company.hcp_response()) == []
    assert parse(company.hcp_response()).findtext("QBXMLMsgsRs/HostQueryRs/HostRet/Country") == country
    assert company.count("ItemSalesTax") == 0 and company.count("SalesTaxCode") >= 2
    item = company.find("ItemNonInventory", "Printed Chart")
    assert item is not None and item["SalesTaxCodeRef"]["FullName"] != "Tax"


def test_unknown_country_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="country"):
        CompanySimulator.open(tmp_path / "x.json", country="FR")


def test_host_company_preferences_queries(company: CompanySimulator) -> None:
    response = company.process(request("host_company_preferences_rq.xml"))
    host, comp, prefs = (rs(response, i) for i in range(3))
    assert status(host)[0] == status(comp)[0] == status(prefs)[0] == 0
    assert host.findtext("HostRet/MajorVersion") == "33"
    assert comp.findtext("CompanyRet/CompanyName") == "Blue Heron Outfitters"
    assert [child.tag for child in prefs.iterfind("PreferencesRet/*")] == ["SalesTaxPreferences"]


# -- queries ---------------------------------------------------------------------------------------
def test_customer_lookups_and_filters(company: CompanySimulator) -> None:
    answers = rs_by_id(company.process(request("customer_query_lookup_rq.xml")))
    by_name = answers["by-name"]
    assert status(by_name) == (0, "Info", "Status OK")
    assert [r.findtext("FullName") for r in by_name] == ["Walk-in Customer"]
    one_missing = answers["one-missing"]
    code, severity, message = status(one_missing)
    assert (code, severity) == (500, "Warn")
    assert message == (
        "The query request has not been fully completed. There was a required element "
        '("Nobody By This Name") that could not be found in QuickBooks.'
    )
    assert [r.findtext("FullName") for r in one_missing] == ["Alder Creek Outfitters"]
    assert status(answers["only-missing"])[0] == 500 and len(answers["only-missing"]) == 0
    assert status(answers["no-match"]) == (
        1,
        "Info",
        "A query request did not find a matching object in QuickBooks",
    )
    inactive = answers["inactive"]
    assert [[c.tag for c in r] for r in inactive] == [["ListID", "FullName", "IsActive"]]
    assert inactive[0].findtext("IsActive") == "false"
    assert [r.findtext("FullName") for r in answers["jobs"]] == ["Rainier Trail Co:Spring Catalog"]
    job = answers["jobs"][0]
    assert job.findtext("Sublevel") == "1" and job.findtext("ParentRef/FullName") == "Rainier Trail Co"


def test_item_queries_cover_every_item_type(company: CompanySimulator) -> None:
    answers = rs_by_id(company.process(request("item_queries_rq.xml")))
    all_items = answers["all-items"]
    tags = [r.tag for r in all_items]
    expected = {
        "ItemServiceRet",
        "ItemNonInventoryRet",
        "ItemOtherChargeRet",
        "ItemInventoryRet",
        "ItemSubtotalRet",
        "ItemDiscountRet",
        "ItemSalesTaxRet",
        "ItemSalesTaxGroupRet",
    }
    assert set(tags) == expected
    order = [f"{k}Ret" for k in ITEM_KINDS]
    assert tags == sorted(tags, key=order.index)  # grouped by type, in ItemQueryRs order
    inventory = answers["inventory"]
    assert {tuple(c.tag for c in r) for r in inventory} == {
        ("ListID", "EditSequence", "FullName", "SalesPrice", "QuantityOnHand")
    }
    names = [r.findtext("FullName") for r in inventory]
    assert names.index("Widgets") < names.index("Widgets:Blue Widget") < names.index("Widgets:Red Widget")
    assert len(answers["service"]) == 2
    for request_id in (
        "non-inventory",
        "other-charge",
        "discount",
        "sales-tax",
        "tax-codes",
        "payment-methods",
        "classes",
        "income-accounts",
    ):
        assert status(answers[request_id])[0] == 0 and len(answers[request_id]) >= 1, request_id
    group = answers["sales-tax-group"][0]
    assert [r.findtext("FullName") for r in group.findall("ItemSalesTaxRef")] == ["WA State", "Bayview City"]
    assert {r.findtext("AccountType") for r in answers["income-accounts"]} == {"Income"}


def test_responses_validate_against_the_schema(company: CompanySimulator) -> None:
    for name in ("customer_query_lookup_rq.xml", "item_queries_rq.xml", "host_company_preferences_rq.xml"):
        assert schema_errors(company.process(request(name))) == [], name


def test_iterator_pages_until_nothing_remains(company: CompanySimulator) -> None:
    company.add_generated_items(40)
    total = sum(company.count(k) for k in ITEM_KINDS)
    first = rs(company.process(request("item_query_iterator_start_rq.xml", MAX="15")))
    assert status(first)[0] == 0
    iterator_id = first.get("iteratorID", "")
    assert iterator_id.startswith("{") and iterator_id.endswith("}")
    seen = [r.findtext("ListID") for r in first]
    remaining = int(first.get("iteratorRemainingCount", "-1"))
    assert len(seen) == 15 and remaining == total - 15
    page = 1
    while remaining:
        page += 1
        answer = rs(
            company.process(
                request(
                    "item_query_iterator_continue_rq.xml",
                    MAX="15",
                    ITERATOR_ID=iterator_id,
                    REQUEST_ID=f"page-{page}",
                )
            )
        )
        assert answer.get("requestID") == f"page-{page}" and answer.get("iteratorID") == iterator_id
        new_remaining = int(answer.get("iteratorRemainingCount", "-1"))
        assert len(answer) == remaining - new_remaining
        seen += [r.findtext("ListID") for r in answer]
        remaining = new_remaining
    assert len(seen) == len(set(seen)) == total
    assert page == -(-total // 15)
    # the iterator is finished: continuing it again is an error
    again = rs(
        company.process(
            request(
                "item_query_iterator_continue_rq.xml", MAX="15", ITERATOR_ID=iterator_id, REQUEST_ID="again"
            )
        )
    )
    assert status(again) == (3391, "Error", f'The iteratorID "{iterator_id}" is not valid.')


def test_unknown_and_expired_iterators(company: CompanySimulator) -> None:
    unknown = "{00000000-0000-0000-0000-000000000000}"
    answer = rs(
        company.process(
            request("item_query_iterator_continue_rq.xml", MAX="5", ITERATOR_ID=unknown, REQUEST_ID="x")
        )
    )
    assert status(answer)[0] == 3391 and len(answer) == 0
    started = rs(company.process(request("item_query_iterator_start_rq.xml", MAX="5")))
    company.end_session()  # iterators die with the QuickBooks session
    expired = rs(
        company.process(
            request(
                "item_query_iterator_continue_rq.xml",
                MAX="5",
                ITERATOR_ID=started.get("iteratorID", ""),
                REQUEST_ID="y",
            )
        )
    )
    assert status(expired)[0] == 3391


def test_iterator_continue_must_use_the_same_request_type(company: CompanySimulator) -> None:
    started = rs(company.process(request("item_query_iterator_start_rq.xml", MAX="5")))
    text = request(
        "item_query_iterator_continue_rq.xml",
        MAX="5",
        ITERATOR_ID=started.get("iteratorID", ""),
        REQUEST_ID="z",
    ).replace("ItemQueryRq", "CustomerQueryRq")
    text = text.replace("<IncludeRetElement>ListID</IncludeRetElement>", "")
    assert status(rs(company.process(text)))[0] == 3391


# -- adds --------------------------------------------------------------------------------------------
def test_customer_add_assigns_identity_and_builds_the_ret_in_schema_order(company: CompanySimulator) -> None:
    response = company.process(request("customer_add_rq.xml", NAME="Harbor Kayak Club"))
    assert schema_errors(response) == []
    answer = rs(response)
    assert status(answer) == (0, "Info", "Status OK") and answer.get("requestID") == "cust-1"
    ret = answer.find("CustomerRet")
    assert ret is not None
    tags = [c.tag for c in ret]
    assert tags[:4] == ["ListID", "TimeCreated", "TimeModified", "EditSequence"]
    assert (
        tags.index("BillAddress")
        < tags.index("BillAddressBlock")
        < tags.index("TermsRef")
        < tags.index("Balance")
    )
    list_id = ret.findtext("ListID", "")
    number, _, epoch = list_id.partition("-")
    assert number.startswith("800000") and int(number, 16) > 0x80000001
    assert ret.findtext("TimeCreated") == "2024-05-22T10:00:01-07:00"
    assert epoch == ret.findtext("EditSequence") == "1716397201"
    assert ret.findtext("FullName") == "Harbor Kayak Club" and ret.findtext("Sublevel") == "0"
    assert ret.findtext("TermsRef/ListID") == found(company, "StandardTerms", "Net 30")["ListID"]
    assert ret.findtext("Balance") == ret.findtext("TotalBalance") == "125.50"
    assert [a.text for a in ret.iterfind("BillAddressBlock/*")] == [
        "Harbor Kayak Club",
        "12 Marina Drive",
        "Bayview, WA 98101",
    ]
    stored = company.find("Customer", "harbor kayak club")
    assert stored is not None and stored["ListID"] == list_id


def test_adds_of_every_supported_list(company: CompanySimulator) -> None:
    response = company.process(request("list_adds_rq.xml"))
    assert schema_errors(response) == []
    answers = rs_by_id(response)
    assert {k: status(v)[0] for k, v in answers.items()} == dict.fromkeys(answers, 0)
    account = company.find("Account", "Sales:Gift Card Sales")
    assert account is not None and account["Sublevel"] == "1" and account["AccountNumber"] == "40300"
    sticker = company.find("ItemNonInventory", "Sticker Pack")
    assert sticker is not None
    assert sticker["SalesOrPurchase"]["Price"] == "3.50"
    assert sticker["SalesOrPurchase"]["AccountRef"] == {
        "ListID": account["ListID"],
        "FullName": "Sales:Gift Card Sales",
    }
    assert (
        sticker["SalesTaxCodeRef"]["FullName"] == "Tax"
    )  # the company's default for new non-inventory parts
    green = company.find("ItemInventory", "Widgets:Green Widget")
    assert green is not None
    assert (green["QuantityOnHand"], green["AverageCost"], green["PurchaseCost"]) == ("0", "0.00", "0.00")
    engraving = company.find("ItemService", "Engraving")
    assert engraving is not None and engraving["SalesTaxCodeRef"]["FullName"] == "Non"
    assert company.find("ItemOtherCharge", "Marketplace Fee") is not None
    assert found(company, "ItemDiscount", "Discount 15%")["DiscountRatePercent"] == "15.0"
    assert found(company, "Class", "Online:Wholesale")["Sublevel"] == "1"
    assert found(company, "PaymentMethod", "PayPal")["PaymentMethodType"] == "OtherCreditCard"
    ret_tags = [c.tag for c in answers["payment-method"][0]]
    assert ret_tags == [
        "ListID",
        "TimeCreated",
        "TimeModified",
        "EditSequence",
        "Name",
        "IsActive",
        "PaymentMethodType",
    ]


def test_names_are_unique_across_customers_vendors_employees_and_across_item_types(
    company: CompanySimulator,
) -> None:
    answers = rs_by_id(company.process(request("name_space_rq.xml")))
    for request_id, name in (
        ("vendor-name", "Acme Widget Supply"),
        ("employee-name", "dana whitfield"),
        ("customer-name", "Walk-in Customer"),
        ("inventory-name", "Dry Bag 20L"),
        ("sales-tax-item-name", "King County"),
    ):
        assert status(answers[request_id]) == (
            3100,
            "Error",
            f'The name "{name}" of the list element is already in use.',
        ), request_id
    assert status(answers["account-may-share-a-customer-name"])[0] == 0
    assert status(answers["job-may-share-a-vendor-name"])[0] == 0
    assert company.find("Customer", "Rainier Trail Co:Acme Widget Supply") is not None
    assert company.find("Customer", "Acme Widget Supply") is None


def test_invalid_references(company: CompanySimulator) -> None:
    before = {kind: company.count(kind) for kind in ("Customer", "ItemNonInventory", "ItemInventory")}
    counter_before = company.objects("Customer")
    answers = rs_by_id(company.process(request("invalid_references_rq.xml")))
    suffix = "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    assert status(answers["account-by-name"]) == (
        3140,
        "Error",
        f'There is an invalid reference to QuickBooks Account "No Such Account" in the Item.  {suffix}',
    )
    assert status(answers["terms-by-list-id"]) == (
        3140,
        "Error",
        f'There is an invalid reference to QuickBooks Terms "80000999-1700000000" in the Customer.  {suffix}',
    )
    assert status(answers["unknown-parent"]) == (
        3130,
        "Error",
        f'There is an invalid reference to a parent "No Such Customer" in the Customers list.  {suffix}',
    )
    assert status(answers["vendor-by-name"])[0] == 3140
    assert {kind: company.count(kind) for kind in before} == before
    assert company.objects("Customer") == counter_before


def test_failed_adds_do_not_consume_list_ids(company: CompanySimulator) -> None:
    company.process(request("invalid_references_rq.xml"))
    first = rs(company.process(request("customer_add_rq.xml", NAME="First After Failures")))
    second = rs(company.process(request("customer_add_rq.xml", NAME="Second After Failures")))
    id1 = int(first.findtext("CustomerRet/ListID", "").split("-")[0], 16)
    id2 = int(second.findtext("CustomerRet/ListID", "").split("-")[0], 16)
    assert id2 == id1 + 1


# -- onError ----------------------------------------------------------------------------------------
def test_stop_on_error_keeps_earlier_work_and_skips_the_rest(company: CompanySimulator) -> None:
    answers = rs_by_id(company.process(request("stop_on_error_rq.xml", ON_ERROR="stopOnError")))
    assert [status(answers[i])[0] for i in ("c-1", "q-1", "c-2", "c-3", "q-2")] == [0, 500, 3100, 3231, 3231]
    assert status(answers["c-3"]) == (3231, "Error", "The request has not been processed.")
    assert company.find("Customer", "Puget Paddle Co") is not None  # processed before the error: committed
    assert company.find("Customer", "Salish Sea Tours") is None  # after the error: never processed


def test_continue_on_error_processes_everything(company: CompanySimulator) -> None:
    answers = rs_by_id(company.process(request("stop_on_error_rq.xml", ON_ERROR="continueOnError")))
    assert [status(answers[i])[0] for i in ("c-1", "q-1", "c-2", "c-3", "q-2")] == [0, 500, 3100, 0, 0]
    assert company.find("Customer", "Salish Sea Tours") is not None


def test_reference_stop_on_error_sample_matches_quickbooks(company: CompanySimulator) -> None:
    response = company.process((SYNTHESIZED / "batch_stop_on_error_rq.xml").read_text())
    expected = parse((SYNTHESIZED / "batch_stop_on_error_rs.xml").read_text()).find("QBXMLMsgsRs")
    got = parse(response).find("QBXMLMsgsRs")
    assert expected is not None and got is not None
    assert [status(e) for e in got] == [status(e) for e in expected]
    assert [c.tag for c in got[0][0]] == [
        c.tag for c in expected[0][0]
    ]  # same CustomerRet elements, same order


def test_response_data_include_none_strips_rets(company: CompanySimulator) -> None:
    text = request("customer_add_rq.xml", NAME="Quiet Customer").replace(
        'onError="stopOnError"', 'onError="stopOnError" responseData="includeNone"'
    )
    answer = rs(company.process(text))
    assert status(answer)[0] == 0 and len(answer) == 0
    assert company.find("Customer", "Quiet Customer") is not None


# -- persistence ----------------------------------------------------------------------------------------
def test_changes_persist_across_reopen(company: CompanySimulator, company_path: Path) -> None:
    company.process(request("customer_add_rq.xml", NAME="Persistent Paddlers"))
    added = company.find("Customer", "Persistent Paddlers")
    reopened = CompanySimulator.open(company_path, company_name="Ignored Name", clock=TickClock())
    assert reopened.company_name == "Blue Heron Outfitters"
    assert reopened.find("Customer", "Persistent Paddlers") == added
    # and the ListID counter continues where it was
    answer = rs(reopened.process(request("customer_add_rq.xml", NAME="Next Paddlers")))
    assert added is not None and answer.findtext("CustomerRet/ListID") != added["ListID"]
    data = json.loads(company_path.read_text(encoding="utf-8"))
    assert data["format"].startswith("ledgerbridge.company-simulator/")


def test_save_is_atomic_and_leaves_no_temporary_files(company: CompanySimulator, company_path: Path) -> None:
    company.process(request("customer_add_rq.xml", NAME="Atomic Anglers"))
    assert sorted(p.name for p in company_path.parent.iterdir()) == [company_path.name]


def test_generated_items_are_persisted(company_path: Path) -> None:
    company = CompanySimulator.open(company_path, generated_items=25)
    names = [
        full for k in ITEM_KINDS for full in (o.get("FullName") or o["Name"] for o in company.objects(k))
    ]
    assert sum(1 for n in names if n.startswith("Generated Item ")) == 25
    more = company.add_generated_items(3)
    assert more == ["Generated Item 0026", "Generated Item 0027", "Generated Item 0028"]
    assert CompanySimulator.open(company_path).find(ITEM_KINDS, "Generated Item 0028") is not None


def test_unimplemented_requests_are_refused_before_anything_is_processed(company: CompanySimulator) -> None:
    with pytest.raises(SimulatorLimitation, match="CustomerModRq"):
        company.process((SYNTHESIZED / "batch_continue_on_error_rq.xml").read_text())
    text = request("customer_add_rq.xml", NAME="Never Added").replace(
        "</QBXMLMsgsRq>", "<EstimateQueryRq/></QBXMLMsgsRq>"
    )
    with pytest.raises(SimulatorLimitation):
        company.process(text)
    assert company.find("Customer", "Never Added") is None


def test_request_handlers_can_be_registered_by_other_modules(company: CompanySimulator) -> None:
    from ledgerbridge.simulators.company import HANDLERS, STATUS_NO_MATCH, StatusError, register_handler

    @register_handler("TemplateQueryRq")
    def templates(sim: CompanySimulator, rq: etree._Element) -> etree._Element:
        if rq.findtext("MaxReturned") == "1":
            raise StatusError(STATUS_NO_MATCH)
        return sim.rs(rq, STATUS_NO_MATCH, attributes={"retCount": "0"})

    try:
        text = request("host_company_preferences_rq.xml").replace(
            "</QBXMLMsgsRq>", '<TemplateQueryRq requestID="t"/></QBXMLMsgsRq>'
        )
        answer = rs(company.process(text), 3)
        assert answer.tag == "TemplateQueryRs" and status(answer)[0] == 1 and answer.get("retCount") == "0"
    finally:
        del HANDLERS["TemplateQueryRq"]
