"""Small qbXML builders for the sales-transaction tests of the company simulator."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.sax.saxutils import escape

from lxml import etree

from ledgerbridge.simulators.company import CompanySimulator
from tests.paths import QBXML_SAMPLES
from tests.unit.simulators.conftest import parse, rs

SYNTHESIZED = QBXML_SAMPLES / "synthesized"
_LIST_ID = re.compile(r"[0-9A-F]+-[0-9]+")


def sample(name: str) -> str:
    return (SYNTHESIZED / name).read_text(encoding="utf-8")


def qbxml(*requests: str, on_error: str = "stopOnError", new_id: str | None = None) -> str:
    """A request document holding `requests` (each an `*Rq` element's text)."""
    attributes = f' onError="{on_error}"'
    if new_id is not None:
        attributes += f' newMessageSetID="{new_id}"'
    body = "".join(requests)
    return f'<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq{attributes}>{body}</QBXMLMsgsRq></QBXML>'


def ref(name: str, value: str) -> str:
    key = "ListID" if _LIST_ID.fullmatch(value) else "FullName"
    return f"<{name}><{key}>{escape(value)}</{key}></{name}>"


def line(
    kind: str,
    item: str | None = None,
    *,
    qty: str | None = None,
    rate: str | None = None,
    percent: str | None = None,
    amount: str | None = None,
    desc: str | None = None,
    tax: str | None = None,
) -> str:
    """A `<kind>LineAdd` in schema order."""
    parts = []
    if item is not None:
        parts.append(ref("ItemRef", item))
    if desc is not None:
        parts.append(f"<Desc>{escape(desc)}</Desc>")
    if qty is not None:
        parts.append(f"<Quantity>{qty}</Quantity>")
    if rate is not None:
        parts.append(f"<Rate>{rate}</Rate>")
    if percent is not None:
        parts.append(f"<RatePercent>{percent}</RatePercent>")
    if amount is not None:
        parts.append(f"<Amount>{amount}</Amount>")
    if tax is not None:
        parts.append(ref("SalesTaxCodeRef", tax))
    return f"<{kind}LineAdd>{''.join(parts)}</{kind}LineAdd>"


def sales_add(
    kind: str,
    *lines: str,
    customer: str = "Walk-in Customer",
    ref_number: str | None = None,
    txn_date: str | None = "2024-05-22",
    guid: str | None = None,
    request_id: str = "1",
    before_lines: str = "",
    header: str = "",
) -> str:
    """A `<kind>AddRq`; `header` goes after RefNumber (keep schema order), `before_lines` just before the lines."""
    parts = [ref("CustomerRef", customer)]
    if txn_date is not None:
        parts.append(f"<TxnDate>{txn_date}</TxnDate>")
    if ref_number is not None:
        parts.append(f"<RefNumber>{escape(ref_number)}</RefNumber>")
    parts.append(header)
    if guid is not None:
        parts.append(f"<ExternalGUID>{guid}</ExternalGUID>")
    parts.append(before_lines)
    parts.extend(lines)
    return f'<{kind}AddRq requestID="{request_id}"><{kind}Add>{"".join(parts)}</{kind}Add></{kind}AddRq>'


def payment_add(
    customer: str,
    *applied: tuple[str, str],
    total: str | None = None,
    ref_number: str | None = None,
    auto_apply: bool = False,
    guid: str | None = None,
    request_id: str = "1",
) -> str:
    parts = [ref("CustomerRef", customer), "<TxnDate>2024-05-25</TxnDate>"]
    if ref_number is not None:
        parts.append(f"<RefNumber>{ref_number}</RefNumber>")
    if total is not None:
        parts.append(f"<TotalAmount>{total}</TotalAmount>")
    parts.append(ref("PaymentMethodRef", "Check"))
    if guid is not None:
        parts.append(f"<ExternalGUID>{guid}</ExternalGUID>")
    if auto_apply or not applied:  # the schema wants one of IsAutoApply and AppliedToTxnAdd
        parts.append(f"<IsAutoApply>{'true' if auto_apply else 'false'}</IsAutoApply>")
    for txn_id, amount in applied:
        parts.append(
            f"<AppliedToTxnAdd><TxnID>{txn_id}</TxnID><PaymentAmount>{amount}</PaymentAmount></AppliedToTxnAdd>"
        )
    return (
        f'<ReceivePaymentAddRq requestID="{request_id}"><ReceivePaymentAdd>{"".join(parts)}'
        "</ReceivePaymentAdd></ReceivePaymentAddRq>"
    )


def query(kind: str, body: str = "", *, request_id: str = "q", attributes: str = "") -> str:
    return f'<{kind}QueryRq requestID="{request_id}"{attributes}>{body}</{kind}QueryRq>'


def one(company: CompanySimulator, request: str, **kwargs: str) -> etree._Element:
    """Process one request in its own message set; its `*Rs`."""
    return rs(company.process(qbxml(request, **kwargs)))


def ret(answer: etree._Element) -> etree._Element:
    """The single `*Ret` of an add answer (asserting the add succeeded)."""
    assert answer.get("statusCode") == "0", answer.get("statusMessage")
    assert len(answer) == 1
    return answer[0]


def money(element: etree._Element, path: str) -> Decimal:
    return Decimal(element.findtext(path) or "nan")


def add_obrien(company: CompanySimulator) -> str:
    """Add the reference samples' customer "O'Brien & Sons Marine"; its ListID."""
    answer = rs(company.process(sample("customer_add_rq.xml")))
    return ret(answer).findtext("ListID") or ""


def tags(element: etree._Element) -> list[str]:
    return [str(child.tag) for child in element]


def msgs(response: str) -> list[etree._Element]:
    found = parse(response).find("QBXMLMsgsRs")
    assert found is not None
    return list(found)
