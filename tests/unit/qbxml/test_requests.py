from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

import pytest
from lxml import etree

from chalicelib.qbxml import (
    LIST_KINDS,
    ListKindSpec,
    account_query,
    class_query,
    company_query,
    customer_query,
    host_query,
    item_query,
    item_sales_tax_group_query,
    item_sales_tax_query,
    payment_method_query,
    preferences_query,
    render_message_set,
    sales_tax_code_query,
)
from chalicelib.qbxml.requests import CUSTOMER_INCLUDE
from ledgerbridge.qbxml_schema import ENTRY_POINT, schema_errors

XS = "{http://www.w3.org/2001/XMLSchema}"

# Every request shape our builders can produce.
BUILDS: dict[str, Callable[[], etree._Element]] = {
    "host": lambda: host_query("h-1"),
    "host_include": lambda: host_query("h-2", include=["ProductName", "SupportedQBXMLVersion", "Country"]),
    "company": lambda: company_query("co-1"),
    "company_include": lambda: company_query("co-2", include=["CompanyName"]),
    "preferences": lambda: preferences_query("p-1"),
    "preferences_include": lambda: preferences_query("p-2", include=["SalesTaxPreferences"]),
    "account": lambda: account_query("a-1"),
    "account_active_include": lambda: account_query("a-2", active_status="ActiveOnly", include=["ListID"]),
    "item": lambda: item_query("i-1"),
    "item_max": lambda: item_query("i-2", max_returned=25, active_status="InactiveOnly"),
    "item_start": lambda: item_query("i-3", iterator="Start", max_returned=100, include=["ListID", "Name"]),
    "item_continue": lambda: item_query(
        "i-4", iterator="Continue", iterator_id="{6c1b7d0e-3f2a-4b8c-9d1e-5a4f3b2c1d0e}", max_returned=100
    ),
    "item_full_names": lambda: item_query("i-5", full_names=["Widgets:Blue Widget", "Gift Wrap"]),
    "sales_tax_code": lambda: sales_tax_code_query("stc-1"),
    "sales_tax_code_include": lambda: sales_tax_code_query("stc-2", include=["Name", "IsTaxable"]),
    "item_sales_tax": lambda: item_sales_tax_query("ist-1"),
    "item_sales_tax_start": lambda: item_sales_tax_query("ist-2", iterator="Start", max_returned=10),
    "item_sales_tax_group": lambda: item_sales_tax_group_query("istg-1", active_status="ActiveOnly"),
    "item_sales_tax_group_continue": lambda: item_sales_tax_group_query(
        "istg-2", iterator="Continue", iterator_id="{x}", max_returned=10
    ),
    "payment_method": lambda: payment_method_query("pm-1"),
    "class": lambda: class_query("cl-1", include=["FullName"]),
    "customer": lambda: customer_query("c-1"),
    "customer_full_names": lambda: customer_query(
        "c-2", full_names=["Harbor Kayak Club"], include=["ListID"]
    ),
    "customer_start": lambda: customer_query(
        "c-3", iterator="Start", max_returned=500, include=CUSTOMER_INCLUDE
    ),
    "customer_continue": lambda: customer_query(
        "c-4", iterator="Continue", iterator_id="{eb05f701}", max_returned=500, active_status="ActiveOnly"
    ),
}
for _kind, _spec in LIST_KINDS.items():
    BUILDS[f"list_kind_{_kind}"] = partial(_spec.build, f"{_kind}-1")
    if _spec.supports_iterator:
        BUILDS[f"list_kind_{_kind}_start"] = partial(
            _spec.build, f"{_kind}-2", iterator="Start", max_returned=200
        )
        BUILDS[f"list_kind_{_kind}_continue"] = partial(
            _spec.build, f"{_kind}-3", iterator="Continue", iterator_id="{abc}", max_returned=200
        )


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_every_builder_output_is_valid_qbxml_13(name: str) -> None:
    element = BUILDS[name]()
    assert element.tag.endswith("Rq")
    assert element.get("requestID")
    assert schema_errors(render_message_set([element])) == []


def test_all_builders_together_in_one_message_set_are_valid() -> None:
    document = render_message_set([build() for build in BUILDS.values()], on_error="stopOnError")
    assert schema_errors(document) == []


def _children(element: etree._Element) -> list[tuple[str, str | None]]:
    return [(c.tag, c.text) for c in element]


def test_item_query_iterator_start_element_order() -> None:
    element = item_query("item-1", iterator="Start", max_returned=100, include=["ListID", "FullName"])
    assert dict(element.items()) == {"requestID": "item-1", "iterator": "Start"}
    assert _children(element) == [
        ("MaxReturned", "100"),
        ("ActiveStatus", "All"),
        ("IncludeRetElement", "ListID"),
        ("IncludeRetElement", "FullName"),
    ]


def test_item_query_continue_carries_iterator_id() -> None:
    element = item_query("item-2", iterator="Continue", iterator_id="{6c1b}", max_returned=100)
    assert element.get("iterator") == "Continue"
    assert element.get("iteratorID") == "{6c1b}"


def test_active_status_defaults_to_all_because_quickbooks_defaults_to_active_only() -> None:
    for build in (account_query, sales_tax_code_query, payment_method_query, class_query):
        assert _children(build("r")) == [("ActiveStatus", "All")]


def test_customer_query_by_full_name_has_no_filter() -> None:
    element = customer_query("c-1", full_names=["A", "B:Job 1"], include=["ListID"])
    assert _children(element) == [("FullName", "A"), ("FullName", "B:Job 1"), ("IncludeRetElement", "ListID")]


def test_company_and_host_queries_without_include_are_empty() -> None:
    assert len(host_query("1")) == 0
    assert len(company_query("2")) == 0
    assert len(preferences_query("3")) == 0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: item_query("r", iterator="Continue", max_returned=10), "iterator_id"),
        (lambda: item_query("r", iterator="Start", iterator_id="{x}", max_returned=10), "Start"),
        (lambda: item_query("r", iterator="Start"), "max_returned"),
        (lambda: item_query("r", iterator_id="{x}"), "iterator"),
        (lambda: item_query("r", iterator=cast(Any, "Stop"), iterator_id="{x}", max_returned=1), "iterator"),
        (lambda: item_query("r", max_returned=0), "max_returned"),
        (lambda: item_query("r", full_names=["A"], max_returned=5), "full_names"),
        (lambda: customer_query("r", full_names=["A"], active_status="ActiveOnly"), "full_names"),
        (lambda: customer_query("r", full_names=[""]), "empty"),
        (lambda: account_query("r", active_status=cast(Any, "Active")), "active_status"),
        (lambda: account_query("r", include=["x" * 51]), "IncludeRetElement"),
        (lambda: account_query("r", include=[""]), "IncludeRetElement"),
        (lambda: account_query(""), "request_id"),
        (lambda: account_query("r" * 51), "50"),
        (lambda: LIST_KINDS["account"].build("r", iterator="Start", max_returned=5), "iterator"),
        (lambda: LIST_KINDS["class"].build("r", max_returned=5), "iterator"),
    ],
)
def test_invalid_arguments_raise_value_error(build: Callable[[], etree._Element], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_single_string_is_not_taken_for_a_list() -> None:
    with pytest.raises(TypeError):
        account_query("r", include="ListID")
    with pytest.raises(TypeError):
        customer_query("r", full_names="Harbor Kayak Club")


# --- checks against the official schema itself --------------------------------------------------


@pytest.fixture(scope="module")
def xsd() -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(str(ENTRY_POINT), parser).getroot()


def _complex_type(xsd: etree._Element, name: str) -> etree._Element:
    found = xsd.find(f"{XS}complexType[@name='{name}']")
    assert found is not None, name
    return found


def _has_iterator(xsd: etree._Element, request: str) -> bool:
    return _complex_type(xsd, f"{request}Type").find(f"{XS}attribute[@name='iterator']") is not None


def _rets_of(xsd: etree._Element, request: str) -> set[str]:
    response_type = _complex_type(xsd, f"{request[:-2]}RsType")
    return {
        str(e.get("ref")) for e in response_type.iter(f"{XS}element") if str(e.get("ref")).endswith("Ret")
    }


@pytest.mark.parametrize("spec", list(LIST_KINDS.values()), ids=lambda spec: str(spec.kind))
def test_list_kind_iterator_support_matches_the_13_schema(xsd: etree._Element, spec: ListKindSpec) -> None:
    assert LIST_KINDS[spec.kind] is spec
    assert spec.build("r").tag == spec.request
    assert spec.supports_iterator is _has_iterator(xsd, spec.request)


def test_expected_iterator_support(xsd: etree._Element) -> None:
    with_iterator = {k for k, spec in LIST_KINDS.items() if spec.supports_iterator}
    assert with_iterator == {"item", "item_sales_tax", "item_sales_tax_group"}
    assert _has_iterator(xsd, "CustomerQueryRq")
    assert not _has_iterator(xsd, "AccountQueryRq")


DEFAULT_INCLUDES = [(spec.request, spec.include) for spec in LIST_KINDS.values()] + [
    ("CustomerQueryRq", CUSTOMER_INCLUDE)
]


@pytest.mark.parametrize(("request_name", "include"), DEFAULT_INCLUDES, ids=[r for r, _ in DEFAULT_INCLUDES])
def test_default_include_names_exist_on_the_ret_the_query_returns(
    xsd: etree._Element,
    catalogue_ret_children: dict[str, set[str]],
    request_name: str,
    include: tuple[str, ...],
) -> None:
    request = request_name
    rets = _rets_of(xsd, request)
    assert rets, request
    valid = set().union(*(catalogue_ret_children[ret] for ret in rets))
    assert set(include) <= valid, set(include) - valid
    assert "ListID" in include and "Name" in include and "EditSequence" in include
    assert len(include) == len(set(include))
    if len(rets) == 1:  # a single Ret: every name must be one of its own children
        assert set(include) <= catalogue_ret_children[next(iter(rets))]


def test_item_query_returns_every_item_type(xsd: etree._Element) -> None:
    assert {"ItemInventoryRet", "ItemServiceRet", "ItemSalesTaxRet", "ItemGroupRet"} <= _rets_of(
        xsd, "ItemQueryRq"
    )
