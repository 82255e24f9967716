from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.qbxml import (
    MINIMUM_QBXML_VERSION,
    ListRecord,
    QbxmlParseError,
    UnsupportedQuickBooksVersion,
    choose_qbxml_version,
    list_records,
    parse_hcp_response,
    parse_message_set_response,
)

from .conftest import response_samples, sample


def test_the_sample_sets_are_all_there() -> None:
    names = {p.name for p in response_samples()}
    assert len(names) >= 25
    assert {
        "host_company_query_rs.xml",
        "item_query_iterator_rs.xml",
        "responses__customer_query_terator_rs.xml",
        "vendors_query_rs.xml",
        "customer-batch-mixed.response.xml",
    } <= names


@pytest.mark.parametrize("path", response_samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_response_sample_parses(path: Path) -> None:
    # Both as bytes and as the str the Web Connector hands us (with its `<?xml ... ?>` declaration).
    for data in (path.read_bytes(), path.read_text(encoding="utf-8")):
        result = parse_message_set_response(data)
        assert result.responses, path.name
        for response in result.responses:
            assert response.kind and not response.kind.endswith("Rs")
            assert response.status_severity in ("Info", "Warn", "Error")
            for record in list_records(response):
                assert record.list_id
                assert record.full_name


# --- message sets -----------------------------------------------------------------------------


def test_item_query_iterator_first_page() -> None:
    result = parse_message_set_response(sample("synthesized/item_query_iterator_rs.xml"))
    (response,) = result.responses
    assert response.kind == "ItemQuery"
    assert response.request_id == "item-1"
    assert response.status_code == 0 and response.ok and not response.is_error
    assert response.iterator_id == "{6c1b7d0e-3f2a-4b8c-9d1e-5a4f3b2c1d0e}"
    assert response.iterator_remaining_count == 137
    assert response.has_more
    assert [ret.tag for ret in response.rets] == [
        "ItemServiceRet",
        "ItemNonInventoryRet",
        "ItemInventoryRet",
        "ItemOtherChargeRet",
        "ItemDiscountRet",
        "ItemSalesTaxRet",
    ]


def test_item_query_iterator_last_page() -> None:
    (response,) = parse_message_set_response(sample("synthesized/item_query_iterator_last_rs.xml")).responses
    assert response.iterator_remaining_count == 0
    assert not response.has_more
    (record,) = list_records(response)
    assert record.name == "Engraving"
    assert record.is_active is False
    assert record.sales_price == "7.50"
    assert record.description is None


def test_customer_iterator_sample() -> None:
    (response,) = parse_message_set_response(
        sample("qbwc-qbxml-spec/responses__customer_query_terator_rs.xml")
    ).responses
    assert response.iterator_remaining_count == 18
    assert response.iterator_id == "{eb05f701-e727-472f-8ade-6753c4f67a46}"
    (record,) = list_records(response)
    assert (record.kind, record.full_name, record.sales_tax_code) == ("Customer", "10th Customer", "Tax")


def test_stop_on_error_batch_statuses() -> None:
    result = parse_message_set_response(sample("synthesized/batch_stop_on_error_rs.xml"))
    assert [(r.request_id, r.status_code, r.ok) for r in result.responses] == [
        ("c-1", 0, True),
        ("c-2", 3100, False),
        ("c-3", 3231, False),
    ]
    assert [r.request_id for r in result.errors] == ["c-2", "c-3"]
    assert not result.all_ok
    failed = result.by_request_id("c-2")
    assert failed is not None
    assert failed.status_message == 'The name "Harbor Kayak Club" of the list element is already in use.'
    assert failed.rets == ()
    assert failed.explain().code == 3100
    assert result.by_request_id("missing") is None


def test_continue_on_error_batch_no_match_and_warning_count_as_ok() -> None:
    result = parse_message_set_response(sample("synthesized/batch_continue_on_error_rs.xml"))
    by_id = {r.request_id: r for r in result.responses}
    assert by_id["q-1"].is_no_match and by_id["q-1"].ok and by_id["q-1"].rets == ()
    assert by_id["q-2"].is_warning and by_id["q-2"].ok and by_id["q-2"].status_severity == "Warn"
    assert len(by_id["q-2"].rets) == 1
    assert {r.request_id for r in result.errors} == {"sr-2", "m-1", "m-2"}
    assert [r.kind for r in result.of_kind("CustomerMod")] == ["CustomerMod", "CustomerMod"]
    assert by_id["m-1"].explain().retriable is True
    assert by_id["m-2"].explain().retriable is False


def test_mixed_batch_from_real_quickbooks() -> None:
    result = parse_message_set_response(sample("hotglue-qbwc-common/customer-batch-mixed.response.xml"))
    assert [r.status_code for r in result.responses] == [0, 3100, 3250, 3130, 0]
    assert [r.kind for r in result.responses] == ["CustomerAdd"] * 5


def test_empty_request_id_is_kept_as_sent() -> None:
    (response,) = parse_message_set_response(sample("hotglue-qbwc-common/account-add.response.xml")).responses
    assert response.request_id == ""
    assert response.kind == "AccountAdd"
    (record,) = list_records(response)
    assert record.name == "HG-WRITE-TEST-0805"
    assert record.account_type == "Income"


def test_error_recovery_attributes() -> None:
    xml = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs newMessageSetID="AB1F2395" messageSetStatusCode="0">'
        '<CheckAddRs requestID="1" statusCode="0" statusSeverity="Info"/></QBXMLMsgsRs></QBXML>'
    )
    result = parse_message_set_response(xml)
    assert result.new_message_set_id == "AB1F2395"
    assert result.message_set_status_code == 0
    assert result.responses[0].kind == "CheckAdd"
    assert result.responses[0].status_message == ""


def test_message_set_without_error_recovery_has_no_ids() -> None:
    result = parse_message_set_response(sample("synthesized/account_query_rs.xml"))
    assert result.new_message_set_id is None and result.message_set_status_code is None


def test_empty_message_set_response() -> None:
    result = parse_message_set_response('<QBXML><QBXMLMsgsRs messageSetStatusCode="600"/></QBXML>')
    assert result.responses == ()
    assert result.message_set_status_code == 600
    assert result.all_ok


def test_lenient_about_unknown_elements_comments_and_bad_counts() -> None:
    xml = """<QBXML><QBXMLMsgsRs><!-- note -->
      <AccountQueryRs requestID="9" statusCode="0" statusSeverity="Info" iteratorRemainingCount="lots">
        <!-- note --><Surprise/><AccountRet><ListID>1-1</ListID><FullName>A:B</FullName></AccountRet>
      </AccountQueryRs></QBXMLMsgsRs></QBXML>"""
    (response,) = parse_message_set_response(xml).responses
    assert response.iterator_remaining_count is None
    assert [r.tag for r in response.rets] == ["AccountRet"]
    (record,) = list_records(response)
    assert (record.name, record.full_name, record.parent_full_name, record.is_active) == (
        "B",
        "A:B",
        None,
        True,
    )


@pytest.mark.parametrize(
    "xml",
    [
        "<QBXML/>",
        "<Other><QBXMLMsgsRs/></Other>",
        '<QBXML><QBXMLMsgsRs><HostQueryRs statusSeverity="Info"/></QBXMLMsgsRs></QBXML>',
        '<QBXML><QBXMLMsgsRs><HostQueryRs statusCode="ok"/></QBXMLMsgsRs></QBXML>',
        "not xml",
    ],
)
def test_not_a_response_raises(xml: str) -> None:
    with pytest.raises(QbxmlParseError):
        parse_message_set_response(xml)


# --- list records -----------------------------------------------------------------------------


def test_account_records_from_include_ret_element_query() -> None:
    result = parse_message_set_response(sample("synthesized/account_query_rs.xml"))
    trimmed = list_records(result.responses[0])
    assert [(r.full_name, r.account_type, r.account_number) for r in trimmed] == [
        ("Sales:Merchandise", "Income", "40100"),
        ("Sales:Services", "Income", "40200"),
        ("Shipping Income", "Income", "40500"),
    ]
    # Name was not asked for: derived from the last FullName segment. IsActive missing: active.
    assert trimmed[0].name == "Merchandise"
    assert trimmed[0].is_active is True
    assert trimmed[0].edit_sequence is None
    (full,) = list_records(result.responses[1])
    assert full == ListRecord(
        kind="Account",
        list_id="80000016-1704124800",
        name="Undeposited Funds",
        full_name="Undeposited Funds",
        is_active=True,
        edit_sequence="1704124800",
        parent_full_name=None,
        account_type="OtherCurrentAsset",
        account_number="12000",
        description="Undeposited Funds",
        item_type=None,
        tax_rate=None,
        manufacturer_part_number=None,
        sales_price=None,
    )


def test_credit_card_accounts_sample() -> None:
    (response,) = parse_message_set_response(sample("bill-ash-qbwc/creditcards_query_rs.xml")).responses
    records = list_records(response)
    assert [(r.name, r.account_type, r.account_number) for r in records] == [
        ("QuickBooks Credit Card", "CreditCard", "20500"),
        ("CalOil Credit Card", "CreditCard", "20600"),
    ]
    assert records[0].description == "QuickBooks Credit Card"
    assert records[1].description is None


def test_vendor_records_use_name_as_full_name() -> None:
    (response,) = parse_message_set_response(sample("bill-ash-qbwc/vendors_query_rs.xml")).responses
    records = list_records(response)
    assert len(records) == 54
    first = records[0]
    assert (first.kind, first.list_id, first.name, first.full_name) == (
        "Vendor",
        "A60000-1197760912",
        "A Cheung Limited",
        "A Cheung Limited",
    )
    assert first.edit_sequence == "1702703204"
    assert all(r.item_type is None and r.account_type is None for r in records)


def test_item_records_of_every_type() -> None:
    (response,) = parse_message_set_response(sample("synthesized/item_query_iterator_rs.xml")).responses
    records = {r.item_type: r for r in list_records(response)}
    assert all(r.kind == "Item" for r in records.values())
    service = records["ItemService"]
    assert (service.description, service.sales_price, service.sales_tax_code) == (
        "Gift wrapping service",
        "4.99",
        "Tax",
    )
    non_inventory = records["ItemNonInventory"]
    assert (non_inventory.description, non_inventory.sales_price) == ("Special order item (see memo)", "0.00")
    inventory = records["ItemInventory"]
    assert inventory.full_name == "Widgets:Blue Widget"
    assert inventory.name == "Blue Widget"
    assert inventory.parent_full_name == "Widgets"
    assert inventory.manufacturer_part_number == "BW-100"
    assert (inventory.description, inventory.sales_price) == ("Blue widget, 10 cm", "19.99")
    assert inventory.edit_sequence == "1714493531"
    assert records["ItemOtherCharge"].sales_tax_code == "Non"
    assert records["ItemDiscount"].description == "10% loyalty discount"
    assert records["ItemDiscount"].sales_price is None
    sales_tax = records["ItemSalesTax"]
    assert (sales_tax.name, sales_tax.full_name, sales_tax.tax_rate) == (
        "King County",
        "King County",
        "10.25",
    )


def test_sales_tax_codes_items_and_empty_group() -> None:
    result = parse_message_set_response(sample("synthesized/sales_tax_code_and_item_sales_tax_query_rs.xml"))
    codes, items, groups = result.responses
    assert [(r.kind, r.name, r.full_name, r.is_taxable, r.description) for r in list_records(codes)] == [
        ("SalesTaxCode", "Tax", "Tax", True, "Taxable Sales"),
        ("SalesTaxCode", "Non", "Non", False, "Non-Taxable Sales"),
        ("SalesTaxCode", "Out", "Out", False, "Out-of-state sale, exempt"),
    ]
    assert [(r.name, r.tax_rate) for r in list_records(items)] == [
        ("King County", "10.25"),
        ("Out of State", "0.0"),
    ]
    assert groups.kind == "ItemSalesTaxGroupQuery" and groups.is_no_match and groups.ok
    assert list_records(groups) == []


def test_payment_method_class_and_group_records() -> None:
    xml = """<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>
      <PaymentMethodQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
        <PaymentMethodRet><ListID>1-1</ListID><EditSequence>5</EditSequence><Name>Visa</Name>
          <IsActive>true</IsActive><PaymentMethodType>Visa</PaymentMethodType></PaymentMethodRet>
      </PaymentMethodQueryRs>
      <ClassQueryRs requestID="2" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
        <ClassRet><ListID>2-1</ListID><Name>Online</Name><FullName>Retail:Online</FullName>
          <IsActive>false</IsActive><ParentRef><ListID>2-0</ListID><FullName>Retail</FullName></ParentRef>
          <Sublevel>1</Sublevel></ClassRet>
      </ClassQueryRs>
      <ItemSalesTaxGroupQueryRs requestID="3" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
        <ItemSalesTaxGroupRet><ListID>3-1</ListID><Name>WA Combined</Name><IsActive>true</IsActive>
          <ItemDesc>State and county</ItemDesc>
          <ItemSalesTaxRef><ListID>8-1</ListID><FullName>King County</FullName></ItemSalesTaxRef>
        </ItemSalesTaxGroupRet>
      </ItemSalesTaxGroupQueryRs>
      <InvoiceQueryRs requestID="4" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
        <InvoiceRet><TxnID>9-9</TxnID><RefNumber>1001</RefNumber></InvoiceRet>
      </InvoiceQueryRs>
    </QBXMLMsgsRs></QBXML>"""
    method, klass, group, invoices = parse_message_set_response(xml).responses
    (visa,) = list_records(method)
    assert (visa.kind, visa.name, visa.full_name, visa.edit_sequence) == (
        "PaymentMethod",
        "Visa",
        "Visa",
        "5",
    )
    (online,) = list_records(klass)
    assert (online.kind, online.full_name, online.parent_full_name, online.is_active) == (
        "Class",
        "Retail:Online",
        "Retail",
        False,
    )
    (combined,) = list_records(group)
    assert (combined.kind, combined.item_type, combined.description) == (
        "Item",
        "ItemSalesTaxGroup",
        "State and county",
    )
    assert list_records(invoices) == []  # transactions are not list records


# --- HCP response and version choice ----------------------------------------------------------


def test_hcp_sample() -> None:
    info = parse_hcp_response(sample("synthesized/host_company_query_rs.xml").decode())
    assert info.company_name == "Blue Heron Outfitters"
    assert info.legal_company_name == "Blue Heron Outfitters LLC"
    assert info.product_name == "QuickBooks Desktop Pro Plus 2023"
    assert (info.major_version, info.minor_version) == ("33", "0")
    assert info.country == "US"
    assert info.file_mode == "SingleUser"
    assert info.is_sample_company is False
    assert info.supported_qbxml_versions[0] == "1.0"
    assert info.supported_qbxml_versions[-1] == "16.0"
    assert len(info.supported_qbxml_versions) == 19
    assert info.uses_sales_tax is None  # no PreferencesQuery in this sample
    assert choose_qbxml_version(info.supported_qbxml_versions) == "13.0"
    assert info.qbxml_version() == "13.0"
    assert info.qbxml_version("16.0") == "16.0"


def test_hcp_with_preferences() -> None:
    on = """<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>
      <PreferencesQueryRs requestID="3" statusCode="0" statusSeverity="Info"><PreferencesRet>
        <AccountingPreferences><IsUsingAccountNumbers>true</IsUsingAccountNumbers></AccountingPreferences>
        <SalesTaxPreferences>
          <DefaultItemSalesTaxRef><FullName>King County</FullName></DefaultItemSalesTaxRef>
          <PaySalesTax>Monthly</PaySalesTax>
          <DefaultTaxableSalesTaxCodeRef><FullName>Tax</FullName></DefaultTaxableSalesTaxCodeRef>
          <DefaultNonTaxableSalesTaxCodeRef><FullName>Non</FullName></DefaultNonTaxableSalesTaxCodeRef>
        </SalesTaxPreferences>
      </PreferencesRet></PreferencesQueryRs></QBXMLMsgsRs></QBXML>"""
    info = parse_hcp_response(on)
    assert info.uses_sales_tax is True
    assert (info.default_item_sales_tax, info.default_taxable_sales_tax_code) == ("King County", "Tax")
    assert info.default_non_taxable_sales_tax_code == "Non"
    assert info.company_name is None and info.supported_qbxml_versions == ()
    off = (
        on.split("<SalesTaxPreferences>", maxsplit=1)[0]
        + "</PreferencesRet></PreferencesQueryRs></QBXMLMsgsRs></QBXML>"
    )
    assert parse_hcp_response(off).uses_sales_tax is False


def test_hcp_missing_parts_and_errors_are_tolerated() -> None:
    xml = """<QBXML><QBXMLMsgsRs>
      <HostQueryRs requestID="1" statusCode="1000" statusSeverity="Error" statusMessage="Internal error"/>
      <CompanyQueryRs requestID="2" statusCode="0" statusSeverity="Info">
        <CompanyRet><CompanyName>  Only Name  </CompanyName></CompanyRet></CompanyQueryRs>
    </QBXMLMsgsRs></QBXML>"""
    info = parse_hcp_response(xml)
    assert info.company_name == "Only Name"
    assert info.product_name is None and info.country is None and info.file_mode is None
    assert info.is_sample_company is None and info.uses_sales_tax is None
    assert parse_hcp_response("<QBXML/>").supported_qbxml_versions == ()
    with pytest.raises(UnsupportedQuickBooksVersion):
        info.qbxml_version()


@pytest.mark.parametrize("bad", ["", "<QBXML>", b"\x00\x01"])
def test_hcp_non_xml_raises(bad: str | bytes) -> None:
    with pytest.raises(QbxmlParseError):
        parse_hcp_response(bad)


@pytest.mark.parametrize(
    ("supported", "ceiling", "expected"),
    [
        (["1.0", "2.0", "9.0", "10.0", "13.0", "14.0"], "13.0", "13.0"),
        (["9.0", "10.0"], "13.0", "10.0"),  # numeric, not string, comparison
        (["7.0", "8.0", "12.1"], "13.0", "12.1"),
        (["13.0", "16.0"], "16.0", "16.0"),
        (["CA3.0", "8.0"], "13.0", "8.0"),  # old Canadian dialect ignored
        (["13"], "13.0", "13.0"),
        ([" 12.0 "], "13.0", "12.0"),
        (["7.0"], "13.0", "7.0"),
    ],
)
def test_choose_qbxml_version(supported: list[str], ceiling: str, expected: str) -> None:
    assert choose_qbxml_version(supported, ceiling) == expected


@pytest.mark.parametrize("supported", [[], ["1.0", "2.0", "6.0"], ["CA3.0"], ["14.0", "16.0"]])
def test_choose_qbxml_version_refuses_when_nothing_fits(supported: list[str]) -> None:
    with pytest.raises(UnsupportedQuickBooksVersion) as caught:
        choose_qbxml_version(supported)
    assert isinstance(caught.value, ValueError)
    assert MINIMUM_QBXML_VERSION in str(caught.value)


def test_choose_qbxml_version_argument_errors() -> None:
    with pytest.raises(ValueError):
        choose_qbxml_version(["13.0"], "latest")
    with pytest.raises(TypeError):
        choose_qbxml_version("13.0")
