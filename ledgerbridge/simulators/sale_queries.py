"""Transaction queries in the company simulator: the `*QueryRq` of sales receipts, invoices, sales
orders, credit memos and payments.

Importing `company` registers the handlers. Behaviour, and the evidence behind it:

* **Queries** take TxnID / RefNumber / RefNumberCaseSensitive lookups (a value not found gives the
  500 warning, like ListID/FullName in list queries) or the filters ModifiedDateRangeFilter,
  TxnDateRangeFilter (dates; DateMacro All), EntityFilter (ListID, FullName, ...WithChildren),
  RefNumberFilter, RefNumberRangeFilter, PaidStatus, with MaxReturned, metaData, iterators,
  IncludeLineItems, IncludeLinkedTxns (both default false, as in QuickBooks), IncludeRetElement.
  Results come by TxnDate, then entry order. AccountFilter, CurrencyFilter and the other date
  macros raise `SimulatorLimitation`, as do line groups, price levels, data extensions, tax-included
  pricing and multi-currency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import (
    STATUS_NO_MATCH,
    STATUS_OK,
    SimulatorLimitation,
    StatusError,
    register_handler,
    status_missing_element,
)
from ledgerbridge.simulators.sales import TXN_KINDS
from ledgerbridge.simulators.stored import full_name_of
from ledgerbridge.simulators.transactions import _include

__all__: list[str] = []

# --------------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------------
_UNSUPPORTED_FILTERS = frozenset({"AccountFilter", "CurrencyFilter"})


class _TxnQuery:
    def __init__(self, company: CompanyLists, rq: etree._Element, kind: str) -> None:
        self.company = company
        self.rq = rq
        self.kind = kind
        self.include = _include(rq)
        self.lines = rq.findtext("IncludeLineItems") in ("true", "1")
        self.linked = rq.findtext("IncludeLinkedTxns") in ("true", "1")

    def answer(self) -> etree._Element:
        rq, company = self.rq, self.company
        iterator = rq.get("iterator")
        if iterator in ("Continue", "Stop"):
            return company.continue_iterator(rq)
        unsupported = sorted({str(c.tag) for c in rq if isinstance(c.tag, str)} & _UNSUPPORTED_FILTERS)
        if unsupported:
            raise SimulatorLimitation(f"the company simulator does not implement {', '.join(unsupported)}")
        status = STATUS_OK
        ids = [str(e.text or "") for e in rq.findall("TxnID")]
        refs = [(str(e.text or ""), False) for e in rq.findall("RefNumber")]
        refs += [(str(e.text or ""), True) for e in rq.findall("RefNumberCaseSensitive")]
        matches: list[dict[str, Any]] = []
        seen: set[str] = set()
        if ids or refs:
            missing: list[str] = []
            for txn_id in ids:
                found = company.txn_lookup(txn_id)
                if found is None or found[0] != self.kind:
                    missing.append(txn_id)
                elif txn_id not in seen:
                    seen.add(txn_id)
                    matches.append(found[1])
            for ref, case_sensitive in refs:
                hits = [
                    t
                    for t in company.txns_by_ref(self.kind, ref)
                    if not case_sensitive or t.get("RefNumber") == ref
                ]
                if not hits:
                    missing.append(ref)
                for txn in hits:
                    if str(txn["TxnID"]) not in seen:
                        seen.add(str(txn["TxnID"]))
                        matches.append(txn)
            if missing:
                status = status_missing_element(missing[0])
        else:
            test = self._filter()
            matches = [txn for txn in company.transactions(self.kind) if test(txn)]
            matches.sort(key=lambda t: (str(t.get("TxnDate", "")), int(str(t.get("TxnNumber", "0")))))
            max_text = rq.findtext("MaxReturned")
            if iterator != "Start" and max_text:
                matches = matches[: int(max_text)]
        if not matches and status is STATUS_OK:
            raise StatusError(STATUS_NO_MATCH)
        if iterator == "Start":
            return company.start_iterator(
                rq, [(self.kind, str(t["TxnID"])) for t in matches], self.render_id, status
            )
        return company.query_rs(
            rq, status, [self.render(t) for t in matches], rq.get("metaData", "NoMetaData")
        )

    def render_id(self, kind: str, txn_id: str) -> etree._Element | None:
        found = self.company.txn_lookup(txn_id)
        return self.render(found[1]) if found is not None and found[0] == kind else None

    def render(self, txn: Mapping[str, Any]) -> etree._Element:
        hidden = set()
        if not self.lines:
            hidden |= {f"{self.kind}LineRet", f"{self.kind}LineGroupRet"}
        if not self.linked:
            hidden.add("LinkedTxn")
        data = {k: v for k, v in txn.items() if k not in hidden}
        return self.company.ret_element(f"{self.kind}Ret", data, self.include)

    def _filter(self) -> Callable[[Mapping[str, Any]], bool]:
        rq, company = self.rq, self.company
        tests: list[Callable[[Mapping[str, Any]], bool]] = []
        modified = rq.find("ModifiedDateRangeFilter")
        if modified is not None:
            low_text, high_text = modified.findtext("FromModifiedDate"), modified.findtext("ToModifiedDate")
            low = company.parse_datetime(low_text) if low_text else None
            high = company.parse_datetime(high_text) if high_text else None
            if high is not None and high_text is not None and "T" not in high_text:
                high += timedelta(days=1) - timedelta(seconds=1)

            def modified_test(txn: Mapping[str, Any], low: Any = low, high: Any = high) -> bool:
                moment = company.parse_datetime(str(txn["TimeModified"]))
                return (low is None or moment >= low) and (high is None or moment <= high)

            tests.append(modified_test)
        txn_dates = rq.find("TxnDateRangeFilter")
        if txn_dates is not None:
            macro = txn_dates.findtext("DateMacro")
            if macro not in (None, "All"):
                raise SimulatorLimitation(f"the company simulator does not implement DateMacro {macro}")
            low_date = (txn_dates.findtext("FromTxnDate") or "")[:10]
            high_date = (txn_dates.findtext("ToTxnDate") or "")[:10]
            tests.append(
                lambda t: (
                    (not low_date or str(t["TxnDate"]) >= low_date)
                    and (not high_date or str(t["TxnDate"]) <= high_date)
                )
            )
        entity = rq.find("EntityFilter")
        if entity is not None:
            tests.append(self._entity_test(entity))
        ref_filter = rq.find("RefNumberFilter")
        if ref_filter is not None:
            criterion = ref_filter.findtext("MatchCriterion") or "StartsWith"
            wanted = (ref_filter.findtext("RefNumber") or "").casefold()

            def ref_test(txn: Mapping[str, Any]) -> bool:
                ref = str(txn.get("RefNumber", "")).casefold()
                if criterion == "StartsWith":
                    return ref.startswith(wanted)
                if criterion == "EndsWith":
                    return ref.endswith(wanted)
                return wanted in ref

            tests.append(ref_test)
        ref_range = rq.find("RefNumberRangeFilter")
        if ref_range is not None:
            low_ref, high_ref = ref_range.findtext("FromRefNumber"), ref_range.findtext("ToRefNumber")
            tests.append(lambda t: _in_ref_range(str(t.get("RefNumber", "")), low_ref, high_ref))
        paid = rq.findtext("PaidStatus")
        if paid in ("PaidOnly", "NotPaidOnly"):
            want = "true" if paid == "PaidOnly" else "false"
            tests.append(lambda t: str(t.get("IsPaid", "false")) == want)
        return lambda txn: all(test(txn) for test in tests)

    def _entity_test(self, entity: etree._Element) -> Callable[[Mapping[str, Any]], bool]:
        company = self.company
        entity_kinds = ("Customer", "Vendor", "Employee", "OtherName")
        ids = {str(e.text) for e in entity.findall("ListID")}
        names = {str(e.text or "").casefold() for e in entity.findall("FullName")}
        prefixes: list[str] = []
        for tag, finder in (("ListIDWithChildren", "id"), ("FullNameWithChildren", "name")):
            value = entity.findtext(tag)
            if value is None:
                continue
            found = (
                company.lookup(entity_kinds, list_id=value)
                if finder == "id"
                else company.lookup(entity_kinds, full_name=value)
            )
            prefixes.append((full_name_of(found[1]) if found else value).casefold())

        def test(txn: Mapping[str, Any]) -> bool:
            ref = txn.get("CustomerRef") or {}
            name = str(ref.get("FullName", "")).casefold()
            if ref.get("ListID") in ids or name in names:
                return True
            return any(name == prefix or name.startswith(prefix + ":") for prefix in prefixes)

        return test


def _in_ref_range(ref: str, low: str | None, high: str | None) -> bool:
    def key(text: str) -> tuple[int, Decimal | str]:
        return (0, Decimal(text)) if text.isdigit() else (1, text.casefold())

    value = key(ref)
    if low and value < key(low):
        return False
    return not (high and value > key(high))


def _query_handler(kind: str) -> Callable[[CompanyLists, etree._Element], etree._Element]:
    def handle(company: CompanyLists, rq: etree._Element) -> etree._Element:
        return _TxnQuery(company, rq, kind).answer()

    return handle


for _kind in TXN_KINDS:
    register_handler(f"{_kind}QueryRq")(_query_handler(_kind))
