"""QuickBooks lists in the company simulator: list queries, list adds, references and iterators.

`CompanyLists` adds to the stored company what list requests need; its handlers answer the list
`*QueryRq` (`QUERY_KINDS`), the list `*AddRq` (`ADD_KINDS`) and Host/Company/PreferencesQueryRq.
Transaction handlers (`sales.py`, `sale_mods.py`) use its helpers (`lookup`, `resolve_refs`,
`start_iterator`, `query_rs`, ...). Behaviour, and the evidence behind the less obvious choices:

* **Queries.** ListID/FullName are lookups: a name that does not exist gives
  `500 Warn "The query request has not been fully completed. There was a required element
  ("X") that could not be found in QuickBooks."` with the objects that were found (also when
  none was found: that is what QuickBooks answers, not status 1). Filter queries that match
  nothing give `1 Info "A query request did not find a matching object in QuickBooks"`.
  Names compare case-insensitively. Results come in list order (type order for accounts and
  items, then full name). Iterators (`iterator="Start"` + MaxReturned) snapshot the matching
  objects; `Continue` pages through them (`iteratorRemainingCount`, `iteratorID` attributes);
  an unknown, finished or expired iterator answers `3391 "The iteratorID "{...}" is not
  valid."`. Iterators live in memory for one session (`end_session()` drops them).
* **Adds.** Names are unique per name space, case-insensitively: customers, vendors,
  employees and other names share one; all item types share one; other lists their own
  (`3100 "The name "X" of the list element is already in use."`). A reference that resolves
  to nothing gives `3140 "There is an invalid reference to QuickBooks <List> "X" in the
  <Object>.  QuickBooks error message: Invalid argument.  The specified record does not exist
  in the list."`; an unknown ParentRef gives QuickBooks' own `3130 "There is an invalid
  reference to a parent "X" in the <Objects> list. ..."` (seen in captured QuickBooks output,
  reference `customer-batch-mixed.response.xml`). ListID (`8000xxxx-<epoch>`), EditSequence
  (epoch seconds), TimeCreated/TimeModified (company's local time with offset) are assigned
  and the `*Ret` is built in schema order.
* **Customers** (customer matching, docs/accounting/customer-matching.md). A CustomerAdd keeps what it
  is given: names incl. MiddleName, Bill/ShipAddress (with their blocks), Phone, Email, and its
  CustomerTypeRef, TermsRef and SalesTaxCodeRef, resolved like every reference (3140 when the list has
  no such entry). Its Name shares the entity name space: a customer, vendor, employee or other name of
  that name (any case) gives 3100. A Name over 41 characters (13.0 annotated sample: "max length = 41
  for QBD") fails the schema check like every over-long field, so the whole message set gets the parse
  fault: stricter than QuickBooks, which is reported to answer that one request with 3070 ("The string
  ... in the field "Name" is too long."). Ledgerbridge never sends one.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from ledgerbridge.simulators._xsd import Decl, element_to_json, schema_index
from ledgerbridge.simulators.registry import (
    STATUS_NO_MATCH,
    STATUS_OK,
    Severity,
    SimulatorBug,
    SimulatorLimitation,
    Status,
    StatusError,
    register_handler,
    status_invalid_iterator,
    status_invalid_parent,
    status_invalid_reference,
    status_missing_element,
    status_name_in_use,
)
from ledgerbridge.simulators.stored import (
    SAMPLE_EPOCH,
    QueryIterator,
    StoredCompany,
    address_block,
    fold,
    format_money,
    full_name_of,
)

__all__ = ["ADD_KINDS", "ITEM_KINDS", "KINDS", "QUERY_KINDS", "REF_TARGETS", "CompanyLists", "ListKind"]


@dataclass(frozen=True)
class ListKind:
    """One QuickBooks list (items are one list per item type, sharing one name space)."""

    name: str
    namespace: str
    label: str  # in 3140 messages: "... in the Customer."
    plural: str  # in 3130 messages: "... in the Customers list."

    @property
    def ret(self) -> str:
        return f"{self.name}Ret"

    @property
    def decl(self) -> Decl:
        return schema_index().element(self.ret)

    @property
    def hierarchical(self) -> bool:
        return schema_index().child(self.decl, "FullName") is not None


ITEM_KINDS = (
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemInventoryAssembly",
    "ItemFixedAsset",
    "ItemSubtotal",
    "ItemDiscount",
    "ItemPayment",
    "ItemSalesTax",
    "ItemSalesTaxGroup",
    "ItemGroup",
)  # the order of ItemQueryRs' choice

KINDS: dict[str, ListKind] = {
    k.name: k
    for k in [
        ListKind("Account", "Account", "Account", "Accounts"),
        ListKind("Customer", "entity", "Customer", "Customers"),
        ListKind("Vendor", "entity", "Vendor", "Vendors"),
        ListKind("Employee", "entity", "Employee", "Employees"),
        ListKind("OtherName", "entity", "Other Name", "Other Names"),
        *(ListKind(name, "item", "Item", "Items") for name in ITEM_KINDS),
        ListKind("SalesTaxCode", "SalesTaxCode", "Sales Tax Code", "Sales Tax Codes"),
        ListKind("PaymentMethod", "PaymentMethod", "Payment Method", "Payment Methods"),
        ListKind("Class", "Class", "Class", "Classes"),
        ListKind("StandardTerms", "terms", "Terms", "Terms"),
        ListKind("DateDrivenTerms", "terms", "Terms", "Terms"),
        ListKind("ShipMethod", "ShipMethod", "Ship Method", "Ship Methods"),
        ListKind("CustomerType", "CustomerType", "Customer Type", "Customer Types"),
        ListKind("SalesRep", "SalesRep", "Sales Rep", "Sales Reps"),
        ListKind("PriceLevel", "PriceLevel", "Price Level", "Price Levels"),
        ListKind("Template", "Template", "Template", "Templates"),
        ListKind("InventorySite", "InventorySite", "Inventory Site", "Inventory Sites"),
        ListKind("Currency", "Currency", "Currency", "Currencies"),  # multicurrency files (currency.py)
        ListKind("UnitOfMeasureSet", "UnitOfMeasureSet", "Unit of Measure Set", "Unit of Measure Sets"),
    ]
}

ACCOUNT_TYPE_ORDER = (
    "Bank",
    "AccountsReceivable",
    "OtherCurrentAsset",
    "FixedAsset",
    "OtherAsset",
    "AccountsPayable",
    "CreditCard",
    "OtherCurrentLiability",
    "LongTermLiability",
    "Equity",
    "Income",
    "CostOfGoodsSold",
    "Expense",
    "OtherIncome",
    "OtherExpense",
    "NonPosting",
)

_ACCOUNT_REFS = (
    "AccountRef",
    "IncomeAccountRef",
    "COGSAccountRef",
    "AssetAccountRef",
    "ExpenseAccountRef",
    "DepositToAccountRef",
    "ARAccountRef",
    "APAccountRef",
    "TaxOnPurchasesAccountRef",
    "TaxOnSalesAccountRef",
    "PrefillAccountRef",
    "FinanceChargeAccountRef",
    "DefaultDiscountAccountRef",
    "OverrideItemAccountRef",
    "DiscountAccountRef",
)
_TAX_CODE_REFS = (
    "SalesTaxCodeRef",
    "PurchaseTaxCodeRef",
    "CustomerSalesTaxCodeRef",
    "DefaultTaxableSalesTaxCodeRef",
    "DefaultNonTaxableSalesTaxCodeRef",
)

#: Which lists a `*Ref` element points into, and how QuickBooks names that list in 3140 messages.
REF_TARGETS: dict[str, tuple[tuple[str, ...], str]] = {
    **{name: (("Account",), "Account") for name in _ACCOUNT_REFS},
    **{name: (("SalesTaxCode",), "Sales Tax Code") for name in _TAX_CODE_REFS},
    "ClassRef": (("Class",), "Class"),
    "CustomerRef": (("Customer",), "Customer"),
    "ItemRef": (ITEM_KINDS, "Item"),
    "ItemGroupRef": (("ItemGroup",), "Item"),
    "ItemSalesTaxRef": (("ItemSalesTax", "ItemSalesTaxGroup"), "Item"),
    "DefaultItemSalesTaxRef": (("ItemSalesTax", "ItemSalesTaxGroup"), "Item"),
    "TermsRef": (("StandardTerms", "DateDrivenTerms"), "Terms"),
    "PrefVendorRef": (("Vendor",), "Vendor"),
    "TaxVendorRef": (("Vendor",), "Vendor"),
    "VendorRef": (("Vendor",), "Vendor"),
    "PaymentMethodRef": (("PaymentMethod",), "Payment Method"),
    "PreferredPaymentMethodRef": (("PaymentMethod",), "Payment Method"),
    "ShipMethodRef": (("ShipMethod",), "Ship Method"),
    "DefaultShipMethodRef": (("ShipMethod",), "Ship Method"),
    "CustomerTypeRef": (("CustomerType",), "Customer Type"),
    "SalesRepRef": (("SalesRep",), "Sales Rep"),
    "PriceLevelRef": (("PriceLevel",), "Price Level"),
    "TemplateRef": (("Template",), "Template"),
    "InventorySiteRef": (("InventorySite",), "Inventory Site"),
    "ItemInventoryRef": (("ItemInventory",), "Item"),
    "ItemInventoryAssemblyRef": (("ItemInventoryAssembly",), "Item"),
    "CurrencyRef": (("Currency",), "Currency"),
    "UnitOfMeasureSetRef": (("UnitOfMeasureSet",), "Unit of Measure Set"),
    "JobTypeRef": ((), "Job Type"),
    "VendorTypeRef": ((), "Vendor Type"),
    "BillingRateRef": ((), "Billing Rate"),
    "SalesTaxReturnLineRef": ((), "Sales Tax Return Line"),
    "SalesTaxReturnRef": ((), "Sales Tax Return"),
}

# What other modules check before a list add builds its object (currency.py: CurrencyRef), each raising StatusError.
LIST_ADD_CHECKS: list[Callable[[CompanyLists, str, dict[str, Any]], None]] = []

_ADDRESS_BLOCKS = {
    "BillAddress": "BillAddressBlock",
    "ShipAddress": "ShipAddressBlock",
    "VendorAddress": "VendorAddressBlock",
    "OtherNameAddress": "OtherNameAddressBlock",
}
_AMOUNT_FIELDS = frozenset({"Balance", "TotalBalance", "CreditLimit", "DiscountRate"})
_PRICE_FIELDS = frozenset({"Price", "SalesPrice", "PurchaseCost", "AverageCost"})


def _cash_flow_classification(account_type: str) -> str:
    if account_type in (
        "AccountsReceivable",
        "OtherCurrentAsset",
        "AccountsPayable",
        "CreditCard",
        "OtherCurrentLiability",
    ):
        return "Operating"
    if account_type in ("FixedAsset", "OtherAsset"):
        return "Investing"
    if account_type in ("LongTermLiability", "Equity"):
        return "Financing"
    if account_type == "Bank":
        return "NotApplicable"
    return "None"


class CompanyLists(StoredCompany):
    """The stored company with its lists: building, resolving, querying and adding list objects."""

    # -- changing the company directly ---------------------------------------------------------
    def add_generated_items(
        self,
        count: int,
        *,
        prefix: str = "Generated Item",
        kinds: Sequence[str] = ("ItemNonInventory", "ItemService", "ItemInventory"),
    ) -> list[str]:
        """Add `count` items named "<prefix> 0001"... cycling through `kinds`; return their names."""
        existing = sum(1 for k in ITEM_KINDS for obj in self._list(k) if full_name_of(obj).startswith(prefix))
        merch, services = {"FullName": "Sales:Merchandise"}, {"FullName": "Sales:Services"}
        names: list[str] = []
        for offset in range(count):
            number = existing + offset + 1
            name = f"{prefix} {number:04d}"
            kind = kinds[offset % len(kinds)]
            price = f"{5 + (number * 37) % 200}.{number % 100:02d}"
            data: dict[str, Any] = {"Name": name}
            if kind == "ItemInventory":
                data.update(
                    SalesDesc=name,
                    SalesPrice=price,
                    IncomeAccountRef=merch,
                    PurchaseCost="1.00",
                    COGSAccountRef={"FullName": "Cost of Goods Sold"},
                    AssetAccountRef={"FullName": "Inventory Asset"},
                    QuantityOnHand=str(number % 50),
                )
            elif kind in ("ItemNonInventory", "ItemService", "ItemOtherCharge"):
                account = services if kind == "ItemService" else merch
                data["SalesOrPurchase"] = {"Desc": name, "Price": price, "AccountRef": account}
            else:
                raise ValueError(f"cannot generate items of kind {kind!r}")
            try:
                self._insert(kind, self._build_object(kind, data, created=self.now(), parent_name=None))
            except StatusError as exc:
                raise ValueError(f"cannot add generated item {name!r}: {exc.status.message}") from exc
            names.append(name)
        if self.path is not None:
            self.save()
        return names

    def resolve_refs(self, data: dict[str, Any], object_label: str) -> None:
        """Resolve every `*Ref` inside `data` in place to `{ListID, FullName}`; raises `StatusError` 3140."""
        self._resolve_refs(data, object_label)

    def _namespace_kinds(self, kind: str) -> tuple[str, ...]:
        namespace = KINDS[kind].namespace
        return tuple(name for name, k in KINDS.items() if k.namespace == namespace)

    def _resolve_ref(self, ref_name: str, ref: Mapping[str, Any], object_label: str) -> dict[str, str]:
        kinds, list_label = REF_TARGETS.get(ref_name, ((), ""))
        if ref_name not in REF_TARGETS:
            raise SimulatorLimitation(f"the company simulator cannot resolve <{ref_name}>")
        list_id, name = ref.get("ListID"), ref.get("FullName")
        found = (
            self._find_by_id(kinds, str(list_id))
            if list_id is not None
            else self._find_by_name(kinds, str(name))
            if name is not None
            else None
        )
        if found is None:
            value = str(list_id if list_id is not None else name or "")
            raise StatusError(status_invalid_reference(list_label, value, object_label))
        return {"ListID": str(found[1]["ListID"]), "FullName": full_name_of(found[1])}

    def _resolve_refs(self, data: dict[str, Any], object_label: str) -> None:
        """Replace every `*Ref` (except ParentRef) in `data` by `{ListID, FullName}` of its target."""
        for key, value in list(data.items()):
            if key == "ParentRef":
                continue
            if key.endswith("Ref") and isinstance(value, (dict, list)):
                if isinstance(value, list):
                    data[key] = [self._resolve_ref(key, item, object_label) for item in value]
                else:
                    data[key] = self._resolve_ref(key, value, object_label)
            elif isinstance(value, dict):
                self._resolve_refs(value, object_label)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        self._resolve_refs(item, object_label)

    def _seed(self, kind: str, seed: dict[str, Any], created: datetime) -> None:
        data = dict(seed)
        parent_name = data.pop("_parent", None)
        prefix = data.pop("_list_id_prefix", None)
        if prefix is not None:  # QuickBooks' built-in records exist from the moment the file is created
            created = datetime.fromtimestamp(SAMPLE_EPOCH, self._tz)
        try:
            obj = self._build_object(
                kind, data, created=created, parent_name=parent_name, list_id_prefix=prefix
            )
        except StatusError as exc:  # pragma: no cover - a broken sample company is a bug
            raise SimulatorBug(f"sample {kind} {seed.get('Name')!r}: {exc.status.message}") from exc
        self._insert(kind, obj)

    def _build_object(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        created: datetime,
        parent_name: str | None = None,
        parent_ref: Mapping[str, Any] | None = None,
        list_id_prefix: str | None = None,
    ) -> dict[str, Any]:
        """A complete `*Ret` JSON for a new object of `kind`; raises `StatusError`, changes nothing but the ID counter."""
        spec = KINDS[kind]
        index = schema_index()
        allowed = set(index.child_names(spec.decl))
        obj: dict[str, Any] = {}
        for key, value in data.items():
            if key == "BarCode" and isinstance(value, Mapping):
                obj["BarCodeValue"] = value.get("BarCodeValue", "")
            elif key == "OpenBalance":
                obj["Balance"] = value
            elif key in allowed and key != "ParentRef":
                obj[key] = copy.deepcopy(value)
        name = str(obj.get("Name", ""))
        # parent, full name, sub-level
        parent: dict[str, Any] | None = None
        if parent_ref is not None:
            list_id, parent_full = parent_ref.get("ListID"), parent_ref.get("FullName")
            found = (
                self._find_by_id((kind,), str(list_id))
                if list_id is not None
                else self._find_by_name((kind,), str(parent_full or ""))
            )
            if found is None:
                raise StatusError(status_invalid_parent(str(list_id or parent_full or ""), spec.plural))
            parent = found[1]
        elif parent_name is not None:
            found = self._find_by_name((kind,), parent_name)
            if found is None:
                raise SimulatorBug(f"sample parent {parent_name!r} of {name!r} does not exist")
            parent = found[1]
        full_name = f"{full_name_of(parent)}:{name}" if parent is not None else name
        if self._find_by_name(self._namespace_kinds(kind), full_name) is not None:
            raise StatusError(status_name_in_use(full_name))
        if spec.hierarchical:
            obj["FullName"] = full_name
            obj["Sublevel"] = str(int(parent.get("Sublevel", "0")) + 1) if parent is not None else "0"
            if parent is not None:
                obj["ParentRef"] = {"ListID": parent["ListID"], "FullName": full_name_of(parent)}
        if "IsActive" in allowed:
            obj.setdefault("IsActive", "true")
        self._apply_defaults(kind, obj, allowed)
        self._resolve_refs(obj, spec.label)
        for key in list(obj):
            if key in _AMOUNT_FIELDS and isinstance(obj[key], str):
                obj[key] = format_money(obj[key], min_places=2)
        for container in (obj, obj.get("SalesOrPurchase"), obj.get("SalesAndPurchase")):
            if isinstance(container, dict):
                for key in _PRICE_FIELDS & container.keys():
                    container[key] = format_money(str(container[key]), min_places=2)
        for address_key, block_key in _ADDRESS_BLOCKS.items():
            if isinstance(obj.get(address_key), dict) and block_key in allowed:
                obj[block_key] = address_block(obj[address_key], self.country)
        stamp = created.isoformat()
        obj.update(
            ListID=self._new_list_id(created, list_id_prefix),
            TimeCreated=stamp,
            TimeModified=stamp,
            EditSequence=str(int(created.timestamp())),
        )
        return obj

    def _apply_defaults(self, kind: str, obj: dict[str, Any], allowed: set[str]) -> None:
        company = self._data["company"]
        if kind in ("Customer", "Vendor", "Account"):
            obj.setdefault("Balance", "0.00")
        if kind in ("Customer", "Account"):
            obj.setdefault("TotalBalance", obj["Balance"])
        if kind == "Customer":
            obj.setdefault("JobStatus", "None")
            obj.setdefault("PreferredDeliveryMethod", "None")
        elif kind == "Vendor":
            obj.setdefault("IsVendorEligibleFor1099", "false")
        elif kind == "Account":
            obj.setdefault(
                "CashFlowClassification", _cash_flow_classification(str(obj.get("AccountType", "")))
            )
        elif kind == "PaymentMethod":
            obj.setdefault("PaymentMethodType", "Other")
        elif kind in ("ItemInventory", "ItemInventoryAssembly"):
            obj.setdefault("SalesPrice", "0.00")
            obj.setdefault("PurchaseCost", "0.00")
            obj.setdefault("QuantityOnHand", "0")
            obj.setdefault("AverageCost", "0.00")
            obj.setdefault("QuantityOnOrder", "0")
            obj.setdefault("QuantityOnSalesOrder", "0")
        elif kind in ("ItemService", "ItemNonInventory", "ItemOtherCharge") and isinstance(
            obj.get("SalesOrPurchase"), dict
        ):
            sales = obj["SalesOrPurchase"]
            if "Price" not in sales and "PricePercent" not in sales:
                sales["Price"] = "0.00"
        if "SalesTaxCodeRef" in allowed and kind.startswith("Item") and "SalesTaxCodeRef" not in obj:
            taxable = kind in ("ItemInventory", "ItemNonInventory", "ItemDiscount", "ItemInventoryAssembly")
            code = company["taxable_code"] if taxable else company["non_taxable_code"]
            if self._find_by_name(("SalesTaxCode",), code) is not None:
                obj["SalesTaxCodeRef"] = {"FullName": code}

    # ========================================================================================
    # internals: queries
    # ========================================================================================
    def _sort_key(self, kind: str, obj: Mapping[str, Any]) -> tuple[int, int, tuple[str, ...]]:
        """List order: item type / account type, then the hierarchy (a parent, then its children)."""
        type_rank = 0
        if kind == "Account":
            account_type = str(obj.get("AccountType", ""))
            type_rank = ACCOUNT_TYPE_ORDER.index(account_type) if account_type in ACCOUNT_TYPE_ORDER else 99
        kind_rank = ITEM_KINDS.index(kind) if kind in ITEM_KINDS else 0
        return (kind_rank, type_rank, tuple(fold(full_name_of(obj)).split(":")))

    def _matches_filters(self, kind: str, obj: Mapping[str, Any], rq: etree._Element) -> bool:
        active = rq.findtext("ActiveStatus") or "ActiveOnly"
        is_active = obj.get("IsActive", "true") == "true"
        if (active == "ActiveOnly" and not is_active) or (active == "InactiveOnly" and is_active):
            return False
        modified = self._parse_datetime(str(obj.get("TimeModified", "1970-01-01T00:00:00+00:00")))
        from_text, to_text = rq.findtext("FromModifiedDate"), rq.findtext("ToModifiedDate")
        if from_text and modified < self._parse_datetime(from_text):
            return False
        if to_text:
            limit = self._parse_datetime(to_text)
            if "T" not in to_text:
                limit += timedelta(days=1) - timedelta(seconds=1)
            if modified > limit:
                return False
        name = fold(full_name_of(obj))
        name_filter = rq.find("NameFilter")
        if name_filter is not None:
            criterion = name_filter.findtext("MatchCriterion") or "StartsWith"
            wanted = fold(name_filter.findtext("Name") or "")
            test = {"StartsWith": name.startswith, "EndsWith": name.endswith}.get(
                criterion, name.__contains__
            )
            if not test(wanted):
                return False
        name_range = rq.find("NameRangeFilter")
        if name_range is not None:
            low, high = name_range.findtext("FromName"), name_range.findtext("ToName")
            if (low and name < fold(low)) or (high and name > fold(high)):
                return False
        account_types = [t.text for t in rq.findall("AccountType")]
        if account_types and obj.get("AccountType") not in account_types:
            return False
        payment_type = rq.findtext("PaymentMethodType")
        return not (payment_type and obj.get("PaymentMethodType") != payment_type)

    def list_query(self, rq: etree._Element, kinds: Sequence[str]) -> etree._Element:
        """Answer a list query (`*QueryRq`) over `kinds`, with lookups, filters and iterators."""
        unsupported = sorted(
            {str(c.tag) for c in rq if isinstance(c.tag, str)}
            & {"TotalBalanceFilter", "CurrencyFilter", "ClassFilter"}
        )
        if unsupported:
            raise SimulatorLimitation(f"the company simulator does not implement {', '.join(unsupported)}")
        include = [str(e.text) for e in rq.findall("IncludeRetElement") if e.text]
        meta_data = rq.get("metaData", "NoMetaData")
        iterator = rq.get("iterator")
        max_text = rq.findtext("MaxReturned")
        max_returned = int(max_text) if max_text else None
        if iterator in ("Continue", "Stop"):
            return self.continue_iterator(rq)
        status = STATUS_OK
        ids = [str(e.text) for e in rq.findall("ListID")]
        names = [str(e.text) for e in rq.findall("FullName")]
        matches: list[tuple[str, dict[str, Any]]] = []
        if ids or names:
            missing: list[str] = []
            for value, finder in [(i, self._find_by_id) for i in ids] + [
                (n, self._find_by_name) for n in names
            ]:
                found = finder(kinds, value)
                if found is None:
                    missing.append(value)
                elif all(found[1] is not m[1] for m in matches):
                    matches.append(found)
            if missing:
                status = status_missing_element(missing[0])
        else:
            matches = [
                (kind, obj)
                for kind in kinds
                for obj in self._list(kind)
                if self._matches_filters(kind, obj, rq)
            ]
            matches.sort(key=lambda pair: self._sort_key(*pair))
            if iterator != "Start" and max_returned is not None:
                matches = matches[:max_returned]
        if not matches and status is STATUS_OK:
            raise StatusError(STATUS_NO_MATCH)
        if iterator == "Start":
            iterator_id = "{" + str(uuid.uuid4()) + "}"
            state = QueryIterator(
                str(rq.tag),
                tuple(kinds),
                [(k, str(o["ListID"])) for k, o in matches],
                include,
                max_returned,
                meta_data,
            )
            self._iterators[iterator_id] = state
            return self._iterator_page(rq, iterator_id, state, max_returned, status)
        return self._query_rs(rq, status, matches, include, meta_data)

    def continue_iterator(self, rq: etree._Element) -> etree._Element:
        """Answer a query with `iterator="Continue"` or `"Stop"` (any query type)."""
        iterator_id = rq.get("iteratorID", "")
        state = self._iterators.get(iterator_id)
        if state is None or state.request != rq.tag:
            raise StatusError(status_invalid_iterator(iterator_id))
        if rq.get("iterator") == "Stop":
            del self._iterators[iterator_id]
            return self.rs(
                rq, STATUS_OK, attributes={"iteratorRemainingCount": "0", "iteratorID": iterator_id}
            )
        max_text = rq.findtext("MaxReturned")
        max_returned = int(max_text) if max_text else state.max_returned
        return self._iterator_page(rq, iterator_id, state, max_returned)

    def start_iterator(
        self,
        rq: etree._Element,
        keys: Sequence[tuple[str, str]],
        render: Callable[[str, str], etree._Element | None],
        status: Status = STATUS_OK,
    ) -> etree._Element:
        """Answer a query with `iterator="Start"` over the objects `keys` (`(kind, id)`), rendered by `render`."""
        max_text = rq.findtext("MaxReturned")
        state = QueryIterator(
            str(rq.tag),
            tuple(sorted({kind for kind, _ in keys})),
            list(keys),
            [],
            int(max_text) if max_text else None,
            rq.get("metaData", "NoMetaData"),
            render,
        )
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        self._iterators[iterator_id] = state
        return self._iterator_page(rq, iterator_id, state, state.max_returned, status)

    def _iterator_page(
        self,
        rq: etree._Element,
        iterator_id: str,
        state: QueryIterator,
        max_returned: int | None,
        status: Status = STATUS_OK,
    ) -> etree._Element:
        size = len(state.remaining) if max_returned is None else max_returned
        page_ids, state.remaining = state.remaining[:size], state.remaining[size:]
        attributes = {"iteratorRemainingCount": str(len(state.remaining)), "iteratorID": iterator_id}
        if not state.remaining:
            del self._iterators[iterator_id]
        if state.render is not None:
            rets = [ret for kind, key in page_ids if (ret := state.render(kind, key)) is not None]
            return self.query_rs(rq, status, rets, state.meta_data, attributes)
        page = [
            found for kind, list_id in page_ids if (found := self._find_by_id((kind,), list_id)) is not None
        ]
        return self._query_rs(rq, status, page, state.include, state.meta_data, attributes)

    def query_rs(
        self,
        rq: etree._Element,
        status: Status,
        rets: Sequence[etree._Element],
        meta_data: str,
        attributes: Mapping[str, str] | None = None,
    ) -> etree._Element:
        """A query's `*Rs` with `rets`, honouring `metaData` (retCount, MetaDataOnly)."""
        extra = dict(attributes or {})
        if meta_data in ("MetaDataOnly", "MetaDataAndResponseData"):
            extra = {"retCount": str(len(rets)), **extra}
        return self.rs(rq, status, [] if meta_data == "MetaDataOnly" else rets, extra)

    def _query_rs(
        self,
        rq: etree._Element,
        status: Status,
        matches: Sequence[tuple[str, Mapping[str, Any]]],
        include: Sequence[str],
        meta_data: str,
        attributes: Mapping[str, str] | None = None,
    ) -> etree._Element:
        extra = dict(attributes or {})
        if meta_data in ("MetaDataOnly", "MetaDataAndResponseData"):
            extra = {"retCount": str(len(matches)), **extra}
        rets = (
            []
            if meta_data == "MetaDataOnly"
            else [self.ret_element(KINDS[kind].ret, obj, include) for kind, obj in matches]
        )
        return self.rs(rq, status, rets, extra)

    # ========================================================================================
    # internals: adds
    # ========================================================================================
    def list_add(self, rq: etree._Element, kind: str) -> etree._Element:
        """Answer `<kind>AddRq`: validate names and references, then add the object."""
        add = rq.find(f"{kind}Add")
        if add is None:  # pragma: no cover - the schema requires it
            raise StatusError(Status(3000, Severity.ERROR, f"missing {kind}Add"))
        data = element_to_json(add)
        parent_ref = data.pop("ParentRef", None)
        for check in LIST_ADD_CHECKS:
            check(self, kind, data)
        obj = self._build_object(kind, data, created=self.now(), parent_ref=parent_ref)
        self._insert(kind, obj)
        include = [str(e.text) for e in rq.findall("IncludeRetElement") if e.text]
        return self.rs(rq, STATUS_OK, [self.ret_element(KINDS[kind].ret, obj, include)])

    def simple_query(self, rq: etree._Element, ret_name: str, data: Mapping[str, Any]) -> etree._Element:
        include = [str(e.text) for e in rq.findall("IncludeRetElement") if e.text]
        return self.rs(rq, STATUS_OK, [self.ret_element(ret_name, data, include)])


# --------------------------------------------------------------------------------------------
# The list requests the simulator answers
# --------------------------------------------------------------------------------------------
_ListHandler = Callable[["CompanyLists", etree._Element], etree._Element]

QUERY_KINDS: dict[str, tuple[str, ...]] = {
    "AccountQueryRq": ("Account",),
    "CustomerQueryRq": ("Customer",),
    "VendorQueryRq": ("Vendor",),
    "EmployeeQueryRq": ("Employee",),
    "OtherNameQueryRq": ("OtherName",),
    "ItemQueryRq": ITEM_KINDS,
    "ItemServiceQueryRq": ("ItemService",),
    "ItemNonInventoryQueryRq": ("ItemNonInventory",),
    "ItemOtherChargeQueryRq": ("ItemOtherCharge",),
    "ItemInventoryQueryRq": ("ItemInventory",),
    "ItemInventoryAssemblyQueryRq": ("ItemInventoryAssembly",),
    "InventorySiteQueryRq": ("InventorySite",),
    "PriceLevelQueryRq": ("PriceLevel",),  # price levels and U/M sets: see units.py
    "UnitOfMeasureSetQueryRq": ("UnitOfMeasureSet",),
    "ItemSubtotalQueryRq": ("ItemSubtotal",),
    "ItemDiscountQueryRq": ("ItemDiscount",),
    "ItemSalesTaxQueryRq": ("ItemSalesTax",),
    "ItemSalesTaxGroupQueryRq": ("ItemSalesTaxGroup",),
    "SalesTaxCodeQueryRq": ("SalesTaxCode",),
    "PaymentMethodQueryRq": ("PaymentMethod",),
    "ClassQueryRq": ("Class",),
    "StandardTermsQueryRq": ("StandardTerms",),
    "TermsQueryRq": ("StandardTerms", "DateDrivenTerms"),
    "ShipMethodQueryRq": ("ShipMethod",),
    "CustomerTypeQueryRq": ("CustomerType",),
    "CurrencyQueryRq": ("Currency",),
}

ADD_KINDS = (
    "Customer",
    "Vendor",
    "OtherName",
    "Account",
    "ItemNonInventory",
    "ItemInventory",
    "ItemService",
    "ItemOtherCharge",
    "ItemDiscount",
    "Class",
    "PaymentMethod",
    "ShipMethod",
    "CustomerType",
)


def _query_handler(kinds: tuple[str, ...]) -> _ListHandler:
    def handle(company: CompanyLists, rq: etree._Element) -> etree._Element:
        return company.list_query(rq, kinds)

    return handle


def _add_handler(kind: str) -> _ListHandler:
    def handle(company: CompanyLists, rq: etree._Element) -> etree._Element:
        return company.list_add(rq, kind)

    return handle


for _request, _kinds in QUERY_KINDS.items():
    register_handler(_request)(_query_handler(_kinds))
for _kind in ADD_KINDS:
    register_handler(f"{_kind}AddRq")(_add_handler(_kind))


@register_handler("HostQueryRq")
def _host_query(company: CompanyLists, rq: etree._Element) -> etree._Element:
    return company.simple_query(rq, "HostRet", company.host_ret())


@register_handler("CompanyQueryRq")
def _company_query(company: CompanyLists, rq: etree._Element) -> etree._Element:
    return company.simple_query(rq, "CompanyRet", company.company_ret())


@register_handler("PreferencesQueryRq")
def _preferences_query(company: CompanyLists, rq: etree._Element) -> etree._Element:
    return company.simple_query(rq, "PreferencesRet", company.preferences_ret())
