"""The store's tax in the company simulator: what QuickBooks records for the builders' sales, per agency, and
1,000 generated orders reconciling to the cent (the builders and the company simulator, no AWS)."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from decimal import Decimal

import pytest
from lxml import etree

from chalicelib.orders.quickbooks.names import item_name
from chalicelib.orders.tax_settings import TaxMode
from chalicelib.orders.to_quickbooks import refund_requests, sale_requests
from chalicelib.qbxml import render_message_set
from ledgerbridge.simulators.company import CompanySimulator
from ledgerbridge.simulators.sales_tax import form_tax_by_agency, payable_by_agency

from .sales_tax_company import (
    COUNTY,
    CUSTOMER,
    ITEM,
    SETTINGS,
    STATE_TAX,
    add_state_tax_items,
    generated_order,
    message_set,
)

GUID = "{{00000000-0000-0000-0000-{:012d}}}"


@pytest.fixture
def company() -> CompanySimulator:
    company = CompanySimulator.create()
    add_state_tax_items(company)
    return company


def tax_payable(company: CompanySimulator) -> Decimal:
    account = company.find("Account", "Sales Tax Payable")
    assert account is not None
    return Decimal(account["Balance"])


def answers(company: CompanySimulator, requests: list[etree._Element]) -> list[etree._Element]:
    root = etree.fromstring(company.process(render_message_set(requests)).encode())
    msgs = root.find("QBXMLMsgsRs")
    assert msgs is not None
    return list(msgs)


def post(company: CompanySimulator, orders: list[tuple[int, object, str]]) -> list[etree._Element]:
    requests = []
    for index, order, txn_type in orders:
        items = {item_name(ln, SETTINGS): ITEM for ln in order.lines}  # type: ignore[attr-defined]
        requests += sale_requests(
            order,  # type: ignore[arg-type]
            SETTINGS,
            country="US",
            request_prefix=f"o{index}",
            txn_type=txn_type,  # type: ignore[arg-type]
            customer=CUSTOMER,
            guid=GUID.format(index),
            items=items,
        )
    return answers(company, requests)


def recorded_total(ret: etree._Element) -> Decimal:
    return Decimal(ret.findtext("Subtotal") or "0") + Decimal(ret.findtext("SalesTaxTotal") or "0")


def test_a_tax_line_goes_to_its_agency_and_quickbooks_total_is_the_stores(company: CompanySimulator) -> None:
    rng = random.Random(7)
    order = next(
        o
        for o in (generated_order(rng, i) for i in range(50))
        if o.tax_total and o.shipping_address.state == "CA"
    )
    before = tax_payable(company)
    (rs,) = post(company, [(1, order, "invoice")])
    assert rs.get("statusCode") == "0", rs.get("statusMessage")
    ret = rs[0]
    assert ret.findtext("ItemSalesTaxRef/FullName") == "Out of State"
    assert (ret.findtext("SalesTaxPercentage"), ret.findtext("SalesTaxTotal")) == ("0.0", "0.00")
    tax_line = ret.findall("InvoiceLineRet")[-1]
    assert tax_line.findtext("ItemRef/FullName") == "CA State Tax"
    assert Decimal(tax_line.findtext("Amount") or "") == order.tax_total
    assert tax_line.findtext("Rate") == tax_line.findtext("Amount")  # the amount shows in the rate column
    assert tax_line.find("SalesTaxCodeRef") is None
    assert Decimal(ret.findtext("BalanceRemaining") or "") == recorded_total(ret) == order.total
    agency = STATE_TAX["CA"][2]
    assert payable_by_agency(company) == {agency: order.tax_total}
    assert tax_payable(company) - before == order.tax_total
    assert form_tax_by_agency(company.sales("Invoice")[0]) == {agency: order.tax_total}


def test_a_refund_takes_the_tax_back_off_the_agency(company: CompanySimulator) -> None:
    from tests.unit.orders.to_quickbooks.helpers import load

    order = load("us_web_order")  # WA; refund r-1 refunds 1.63 of tax, r-2 none
    (sale,) = answers(
        company,
        sale_requests(
            order,
            SETTINGS,
            country="US",
            request_prefix="s",
            txn_type="sales_receipt",
            customer=CUSTOMER,
            guid=GUID.format(1),
            items={k: ITEM for k in ("TSHIRT-BLK-M", "GIFTCARD")},
        ),
    )
    assert sale.get("statusCode") == "0", sale.get("statusMessage")
    assert Decimal(sale[0].findtext("TotalAmount") or "") == order.total
    memos = answers(
        company,
        refund_requests(
            order,
            dataclasses.replace(SETTINGS, fee_item="Rush Handling"),
            country="US",
            request_prefix="r",
            customer=CUSTOMER,
            guid=GUID.format(1),
            items={k: ITEM for k in ("TSHIRT-BLK-M", "GIFTCARD")},
        ),
    )
    assert [m.get("statusCode") for m in memos] == ["0", "0"]
    refunded = {m[0].findtext("RefNumber"): recorded_total(m[0]) for m in memos}
    assert sorted(refunded.values()) == [Decimal("10.00"), Decimal("21.62")]  # the store's refund amounts
    assert payable_by_agency(company) == {STATE_TAX["WA"][2]: order.tax_total - Decimal("1.63")}


def test_a_tax_line_without_an_amount_is_the_line_above_at_the_items_rate_then_zero(
    company: CompanySimulator,
) -> None:
    lines = (
        f"<SalesReceiptLineAdd><ItemRef><FullName>{ITEM}</FullName></ItemRef><Amount>100.00</Amount></SalesReceiptLineAdd>"
        "<SalesReceiptLineAdd><ItemRef><FullName>Subtotal</FullName></ItemRef></SalesReceiptLineAdd>"
        "<SalesReceiptLineAdd><ItemRef><FullName>CA State Tax</FullName></ItemRef></SalesReceiptLineAdd>"
        "<SalesReceiptLineAdd><ItemRef><FullName>TX State Tax</FullName></ItemRef></SalesReceiptLineAdd>"
    )
    request = (
        f'<SalesReceiptAddRq requestID="1"><SalesReceiptAdd><CustomerRef><FullName>{CUSTOMER}</FullName></CustomerRef>'
        f"<ItemSalesTaxRef><FullName>Out of State</FullName></ItemSalesTaxRef>{lines}</SalesReceiptAdd></SalesReceiptAddRq>"
    )
    rs = etree.fromstring(company.process(message_set([request])).encode()).find("QBXMLMsgsRs")[0]  # type: ignore[index]
    assert rs.get("statusCode") == "0", rs.get("statusMessage")
    got = [(ln.findtext("RatePercent"), ln.findtext("Amount")) for ln in rs[0].findall("SalesReceiptLineRet")]
    assert got[2:] == [("7.25", "7.25"), ("6.25", "0.00")]  # "comes out as zero" after another tax line
    assert rs[0].findtext("TotalAmount") == "107.25"


def test_a_tax_group_on_a_line_is_refused(company: CompanySimulator) -> None:
    request = (
        f'<InvoiceAddRq requestID="1"><InvoiceAdd><CustomerRef><FullName>{CUSTOMER}</FullName></CustomerRef>'
        "<InvoiceLineAdd><ItemRef><FullName>Bayview Combined</FullName></ItemRef><Amount>1.00</Amount></InvoiceLineAdd>"
        "</InvoiceAdd></InvoiceAddRq>"
    )
    rs = etree.fromstring(company.process(message_set([request])).encode()).find("QBXMLMsgsRs")[0]  # type: ignore[index]
    assert rs.get("statusCode") == "3180"
    assert "cannot be used on a line" in (rs.get("statusMessage") or "")
    assert company.sales("Invoice") == []


def test_quickbooks_mode_computes_at_the_states_rate_and_can_differ_from_the_store(
    company: CompanySimulator,
) -> None:
    rng = random.Random(3)
    order = next(
        o
        for o in (generated_order(rng, i) for i in range(200))
        if o.shipping_address.state == "NY" and o.tax_lines and o.tax_lines[0].rate == Decimal("8.875")
    )
    settings_ = dataclasses.replace(SETTINGS, tax_mode=TaxMode.QUICKBOOKS)
    items = {item_name(ln, settings_): ITEM for ln in order.lines}
    (rs,) = answers(
        company,
        sale_requests(
            order,
            settings_,
            country="US",
            request_prefix="q",
            txn_type="sales_receipt",
            customer=CUSTOMER,
            guid=GUID.format(9),
            items=items,
        ),
    )
    ret = rs[0]
    assert ret.findtext("ItemSalesTaxRef/FullName") == "NY State Tax"
    assert (
        Decimal(ret.findtext("SalesTaxTotal") or "") < order.tax_total
    )  # 4% of QuickBooks vs 8.875% charged
    assert Decimal(ret.findtext("TotalAmount") or "") != order.total  # what the sync flags in this mode


def test_1000_generated_orders_reconcile_to_the_cent_in_store_mode(company: CompanySimulator) -> None:
    rng = random.Random(15)
    orders = [(i, generated_order(rng, i), rng.choice(("sales_receipt", "invoice"))) for i in range(1000)]
    before = tax_payable(company)
    by_request: dict[str, object] = {}
    results: list[etree._Element] = []
    for start in range(0, len(orders), 100):
        chunk = orders[start : start + 100]
        results += post(company, chunk)
        by_request.update({f"o{i}-{t.replace('_', '-')}": o for i, o, t in chunk})
    assert len(results) == 1000
    store_tax_by_state: Counter[str] = Counter()
    county_store = county_recorded = Decimal(0)
    for rs in results:
        assert rs.get("statusCode") == "0", rs.get("statusMessage")
        order = by_request[rs.get("requestID") or ""]
        ret = rs[0]
        assert recorded_total(ret) == order.total, order.number  # type: ignore[attr-defined]
        assert ret.findtext("SalesTaxTotal") == "0.00"
        store_tax_by_state[order.shipping_address.state] += order.tax_total  # type: ignore[attr-defined]
        county_store += sum((t.amount for t in order.tax_lines if t.title == COUNTY[0]), Decimal(0))  # type: ignore[attr-defined]
        county_recorded += sum(
            (
                Decimal(ln.findtext("Amount") or "")
                for ln in ret
                if ln.findtext("ItemRef/FullName") == COUNTY[1]
            ),
            Decimal(0),
        )
    expected = {STATE_TAX[s][2]: tax for s, tax in store_tax_by_state.items() if tax}
    assert set(store_tax_by_state) == {"CA", "NY", "TX", "WA", "OR"}
    assert store_tax_by_state["OR"] == 0 and all(expected.values())
    assert payable_by_agency(company) == expected
    assert county_recorded == county_store > 0  # the county's own tax lines, as the store reported them
    assert tax_payable(company) - before == sum(store_tax_by_state.values())
