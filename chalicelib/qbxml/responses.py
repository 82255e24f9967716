"""Lenient parsing of what QuickBooks sends back.

We validate our *requests* strictly against the 13.0 schema, but read *responses* leniently: real
QuickBooks output does not always match the XSD (element order, enum values newer than the schema,
partial aggregates from older versions), so unknown or misplaced elements are ignored and missing
optional ones become None. Only input that is not XML at all, or a message set that is not a qbXML
response, raises `QbxmlParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from .status import StatusExplanation, explain_status, severity_for_code
from .xml import QbxmlParseError, parse_xml

__all__ = [
    "MINIMUM_QBXML_VERSION",
    "CompanyFileInfo",
    "ErrorRecovery",
    "ListRecord",
    "MessageSetResponse",
    "QbResponse",
    "UnsupportedQuickBooksVersion",
    "choose_qbxml_version",
    "list_record",
    "list_records",
    "parse_hcp_response",
    "parse_message_set_response",
    "parse_response",
]

MINIMUM_QBXML_VERSION = "7.0"
"""Oldest qbXML version our requests work with.

Our list queries use IncludeRetElement (qbXML 4.0), iterators (5.0) and, in the default
IncludeRetElement lists, ManufacturerPartNumber and PaymentMethodType, which Intuit's catalogue
marks as new in 7.0. QuickBooks 2008 and later speak 7.0; nothing older is still in use.
"""


class UnsupportedQuickBooksVersion(ValueError):
    """QuickBooks supports no qbXML version we can use."""


# ----------------------------------------------------------------------------------------------
# small helpers


def _elements(parent: etree._Element) -> list[etree._Element]:
    """Child elements only (comments and processing instructions have a non-str tag)."""
    return [child for child in parent if isinstance(child.tag, str)]


def _text(parent: etree._Element | None, path: str) -> str | None:
    if parent is None:
        return None
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    text = found.text.strip()
    return text or None


def _bool(parent: etree._Element | None, path: str) -> bool | None:
    value = _text(parent, path)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------
# message sets


@dataclass(frozen=True)
class ErrorRecovery:
    """What QuickBooks keeps of an Add/Mod request of a message set sent with `newMessageSetID`, and answers
    with when asked about that set again (`oldMessageSetID` = `newMessageSetID`): the ids of the record the
    request made or changed, not the record itself. Schema: `ErrorRecovery` in qbxml130.xsd (a choice of
    ListID | OwnerID | TxnID, then TxnNumber, EditSequence and ExternalGUID, all optional), allowed after the
    `*Ret` of every Add/Mod response in qbxmlops130.xsd; Intuit's sample ErrRecovery1.xml ("status will be
    returned for the message set")."""

    list_id: str | None = None
    txn_id: str | None = None
    txn_number: str | None = None
    edit_sequence: str | None = None
    external_guid: str | None = None


def _error_recovery(element: etree._Element) -> ErrorRecovery | None:
    found = element.find("ErrorRecovery")
    if found is None:
        return None
    return ErrorRecovery(
        list_id=_text(found, "ListID"),
        txn_id=_text(found, "TxnID"),
        txn_number=_text(found, "TxnNumber"),
        edit_sequence=_text(found, "EditSequence"),
        external_guid=_text(found, "ExternalGUID"),
    )


@dataclass(frozen=True)
class QbResponse:
    """One `*Rs` element of a response message set."""

    kind: str
    """The element name without "Rs": "AccountQuery", "CustomerAdd", ..."""
    request_id: str | None
    status_code: int
    status_severity: str
    """As QuickBooks sent it ("Info", "Warn", "Error"); do not rely on it, use `status_code`."""
    status_message: str
    iterator_id: str | None
    iterator_remaining_count: int | None
    rets: tuple[etree._Element, ...]
    """The `*Ret` children (AccountRet, ItemInventoryRet, ...), in document order."""
    ret_count: int | None = None
    element: etree._Element | None = field(default=None, compare=False, repr=False)
    """The whole `*Rs` element, for anything not lifted into fields."""
    recovery: ErrorRecovery | None = None
    """The `ErrorRecovery` ids QuickBooks answers an error-recovery status query with (instead of the Ret)."""

    @property
    def txn_id(self) -> str | None:
        """The TxnID of the transaction an Add/Mod made: from its Ret, else from its ErrorRecovery."""
        found = self.rets[0].findtext("TxnID") if self.rets else None
        return (found or "").strip() or (self.recovery.txn_id if self.recovery else None)

    @property
    def list_id(self) -> str | None:
        """The ListID of the list entry an Add/Mod made: from its Ret, else from its ErrorRecovery."""
        found = self.rets[0].findtext("ListID") if self.rets else None
        return (found or "").strip() or (self.recovery.list_id if self.recovery else None)

    @property
    def ok(self) -> bool:
        """QuickBooks processed the request: status 0, 1 (no match: an empty answer) or a 500-999
        warning. Codes of 1000 and up are errors and nothing was done. Decided by the code, because
        QuickBooks' `statusSeverity` is not always consistent with it."""
        return 0 <= self.status_code < 1000

    @property
    def is_error(self) -> bool:
        return not self.ok

    @property
    def is_no_match(self) -> bool:
        """Status 1: a query found nothing (not an error)."""
        return self.status_code == 1

    @property
    def is_warning(self) -> bool:
        return 500 <= self.status_code < 1000

    @property
    def has_more(self) -> bool:
        """An iterator query with records still waiting (send iterator="Continue")."""
        return self.iterator_id is not None and (self.iterator_remaining_count or 0) > 0

    def explain(self) -> StatusExplanation:
        return explain_status(self.status_code, self.status_message)


@dataclass(frozen=True)
class MessageSetResponse:
    """A parsed QBXMLMsgsRs."""

    responses: tuple[QbResponse, ...]
    new_message_set_id: str | None = None
    """Echo of the request's newMessageSetID (error recovery on)."""
    message_set_status_code: int | None = None
    """Status of the message set as a whole; only present when error recovery was used."""

    def by_request_id(self, request_id: str) -> QbResponse | None:
        for response in self.responses:
            if response.request_id == request_id:
                return response
        return None

    def of_kind(self, kind: str) -> tuple[QbResponse, ...]:
        return tuple(r for r in self.responses if r.kind == kind)

    @property
    def errors(self) -> tuple[QbResponse, ...]:
        return tuple(r for r in self.responses if r.is_error)

    @property
    def all_ok(self) -> bool:
        return not self.errors


def parse_response(element: etree._Element) -> QbResponse:
    """One `*Rs` element. A missing or non-numeric statusCode raises QbxmlParseError (QuickBooks
    always sends one; without it we cannot tell success from failure)."""
    tag = element.tag
    if not tag.endswith("Rs"):
        raise QbxmlParseError(f"<{tag}> is not a qbXML response element")
    code = _int(element.get("statusCode"))
    if code is None:
        raise QbxmlParseError(f"<{tag}> has no valid statusCode ({element.get('statusCode')!r})")
    return QbResponse(
        kind=tag[: -len("Rs")],
        request_id=element.get("requestID"),
        status_code=code,
        status_severity=element.get("statusSeverity") or severity_for_code(code),
        status_message=element.get("statusMessage") or "",
        iterator_id=element.get("iteratorID") or None,
        iterator_remaining_count=_int(element.get("iteratorRemainingCount")),
        rets=tuple(child for child in _elements(element) if child.tag.endswith("Ret")),
        ret_count=_int(element.get("retCount")),
        element=element,
        recovery=_error_recovery(element),
    )


def parse_message_set_response(xml: str | bytes) -> MessageSetResponse:
    """Parse a qbXML response document (`<QBXML><QBXMLMsgsRs>...`).

    Raises QbxmlParseError for non-XML (or DOCTYPE) input and for documents without a QBXMLMsgsRs.
    """
    root = parse_xml(xml)
    msgs_rs = root if root.tag == "QBXMLMsgsRs" else root.find("QBXMLMsgsRs")
    if root.tag not in ("QBXML", "QBXMLMsgsRs") or msgs_rs is None:
        raise QbxmlParseError(f"not a qbXML response: expected <QBXML><QBXMLMsgsRs>, got <{root.tag}>")
    responses = tuple(parse_response(child) for child in _elements(msgs_rs) if child.tag.endswith("Rs"))
    return MessageSetResponse(
        responses=responses,
        new_message_set_id=msgs_rs.get("newMessageSetID") or None,
        message_set_status_code=_int(msgs_rs.get("messageSetStatusCode")),
    )


# ----------------------------------------------------------------------------------------------
# list records


@dataclass(frozen=True)
class ListRecord:
    """The parts of a QuickBooks list entry (account, item, tax code, customer, ...) we cache."""

    kind: str
    """QuickBooks' list: "Account", "Item" (every item type), "SalesTaxCode", "PaymentMethod",
    "Class", "Customer", "Vendor", ... (the Ret element name without "Ret"; "Item" for Item*Ret)."""
    list_id: str
    name: str
    full_name: str
    """Name including parents ("Widgets:Blue Widget"); equals `name` for lists without FullName."""
    is_active: bool
    """True when QuickBooks left IsActive out (it does when IncludeRetElement did not ask for it)."""
    edit_sequence: str | None
    parent_full_name: str | None
    account_type: str | None
    account_number: str | None
    description: str | None
    item_type: str | None
    """For items, the Ret element name without "Ret": "ItemInventory", "ItemService", ..."""
    tax_rate: str | None
    manufacturer_part_number: str | None
    sales_price: str | None
    is_taxable: bool | None = None
    """SalesTaxCodeRet's IsTaxable."""
    sales_tax_code: str | None = None
    """FullName of the SalesTaxCodeRef of an item or customer."""
    income_account: str | None = None
    """FullName of the account an item sells into (IncomeAccountRef, or SalesOrPurchase's AccountRef)."""
    currency: str | None = None
    """FullName of the CurrencyRef of an account or customer (multicurrency files only), e.g. "Euro"."""


_DESCRIPTION_PATHS = (
    "Desc",  # AccountRet, SalesTaxCodeRet
    "SalesDesc",  # ItemInventoryRet, ItemInventoryAssemblyRet
    "ItemDesc",  # ItemDiscountRet, ItemSalesTaxRet, ItemSalesTaxGroupRet, ItemSubtotalRet, ...
    "SalesOrPurchase/Desc",  # ItemServiceRet, ItemNonInventoryRet, ItemOtherChargeRet
    "SalesAndPurchase/SalesDesc",
    "FixedAssetSalesInfo/SalesDesc",  # ItemFixedAssetRet
    "JobDesc",  # CustomerRet (jobs)
)
_PRICE_PATHS = ("SalesPrice", "SalesOrPurchase/Price", "SalesAndPurchase/SalesPrice")
_INCOME_ACCOUNT_PATHS = (
    "IncomeAccountRef/FullName",  # ItemInventoryRet, ItemInventoryAssemblyRet
    "SalesOrPurchase/AccountRef/FullName",  # ItemServiceRet, ItemNonInventoryRet, ItemOtherChargeRet
    "SalesAndPurchase/IncomeAccountRef/FullName",
)
_ITEM_RET = re.compile(r"\AItem[A-Za-z]*Ret\Z")


def _first(ret: etree._Element, paths: Sequence[str]) -> str | None:
    for path in paths:
        value = _text(ret, path)
        if value is not None:
            return value
    return None


def list_record(ret: etree._Element) -> ListRecord | None:
    """A ListRecord from one `*Ret` element, or None if it is not a list entry (no ListID)."""
    tag = ret.tag
    list_id = _text(ret, "ListID")
    if list_id is None or not tag.endswith("Ret"):
        return None
    name = _text(ret, "Name")
    full_name = _text(ret, "FullName")
    if name is None and full_name is not None:
        name = full_name.rsplit(":", 1)[-1]
    if name is None:
        name = ""
    if full_name is None:
        full_name = name  # SalesTaxCodeRet, ItemSalesTaxRet, PaymentMethodRet, VendorRet, ...
    is_item = bool(_ITEM_RET.match(tag))
    is_active = _bool(ret, "IsActive")
    return ListRecord(
        kind="Item" if is_item else tag[: -len("Ret")],
        list_id=list_id,
        name=name,
        full_name=full_name,
        is_active=True if is_active is None else is_active,
        edit_sequence=_text(ret, "EditSequence"),
        parent_full_name=_text(ret, "ParentRef/FullName"),
        account_type=_text(ret, "AccountType"),
        account_number=_text(ret, "AccountNumber"),
        description=_first(ret, _DESCRIPTION_PATHS),
        item_type=tag[: -len("Ret")] if is_item else None,
        tax_rate=_text(ret, "TaxRate"),
        manufacturer_part_number=_text(ret, "ManufacturerPartNumber"),
        sales_price=_first(ret, _PRICE_PATHS),
        is_taxable=_bool(ret, "IsTaxable"),
        sales_tax_code=_text(ret, "SalesTaxCodeRef/FullName"),
        income_account=_first(ret, _INCOME_ACCOUNT_PATHS) if is_item else None,
        currency=_text(ret, "CurrencyRef/FullName"),
    )


def list_records(response: QbResponse) -> list[ListRecord]:
    """The list entries in a query (or add/mod) response; Rets without a ListID are skipped."""
    records: list[ListRecord] = []
    for ret in response.rets:
        record = list_record(ret)
        if record is not None:
            records.append(record)
    return records


# ----------------------------------------------------------------------------------------------
# company file (the Web Connector's HCP response)


@dataclass(frozen=True)
class CompanyFileInfo:
    """What the Web Connector's first sendRequestXML (`strHCPResponse`) tells us about QuickBooks
    and the open company file: HostQuery, CompanyQuery and PreferencesQuery answers. Any part
    QuickBooks left out is None (or empty)."""

    company_name: str | None
    legal_company_name: str | None
    product_name: str | None
    major_version: str | None
    minor_version: str | None
    country: str | None
    """QuickBooks edition's country code from HostRet: "US", "CA", "UK", "AU"."""
    supported_qbxml_versions: tuple[str, ...]
    file_mode: str | None
    """"SingleUser" or "MultiUser"."""
    is_sample_company: bool | None
    uses_sales_tax: bool | None
    """From PreferencesRet: SalesTaxPreferences is only returned when sales tax is turned on.
    None when no preferences came back."""
    default_item_sales_tax: str | None = None
    default_taxable_sales_tax_code: str | None = None
    default_non_taxable_sales_tax_code: str | None = None
    multicurrency: bool | None = None
    """PreferencesRet/MultiCurrencyPreferences/IsMultiCurrencyOn (v8.0); None when not reported."""
    home_currency: str | None = None
    """MultiCurrencyPreferences/HomeCurrencyRef/FullName: the Currency list's name, e.g. "US Dollar"."""

    def qbxml_version(self, ceiling: str = "13.0") -> str:
        """The qbXML version to speak with this QuickBooks (see `choose_qbxml_version`)."""
        return choose_qbxml_version(self.supported_qbxml_versions, ceiling)


def parse_hcp_response(xml: str | bytes) -> CompanyFileInfo:
    """Read HostRet / CompanyRet / PreferencesRet wherever they are; raise only for non-XML."""
    root = parse_xml(xml)
    host = root.find(".//HostRet")
    company = root.find(".//CompanyRet")
    preferences = root.find(".//PreferencesRet")
    sales_tax = preferences.find("SalesTaxPreferences") if preferences is not None else None
    versions: tuple[str, ...] = ()
    if host is not None:
        versions = tuple(
            text for text in ((v.text or "").strip() for v in host.findall("SupportedQBXMLVersion")) if text
        )
    return CompanyFileInfo(
        company_name=_text(company, "CompanyName"),
        legal_company_name=_text(company, "LegalCompanyName"),
        product_name=_text(host, "ProductName"),
        major_version=_text(host, "MajorVersion"),
        minor_version=_text(host, "MinorVersion"),
        country=_text(host, "Country"),
        supported_qbxml_versions=versions,
        file_mode=_text(host, "QBFileMode"),
        is_sample_company=_bool(company, "IsSampleCompany"),
        uses_sales_tax=None if preferences is None else sales_tax is not None,
        default_item_sales_tax=_text(sales_tax, "DefaultItemSalesTaxRef/FullName"),
        default_taxable_sales_tax_code=_text(sales_tax, "DefaultTaxableSalesTaxCodeRef/FullName"),
        default_non_taxable_sales_tax_code=_text(sales_tax, "DefaultNonTaxableSalesTaxCodeRef/FullName"),
        multicurrency=_bool(preferences, "MultiCurrencyPreferences/IsMultiCurrencyOn"),
        home_currency=_text(preferences, "MultiCurrencyPreferences/HomeCurrencyRef/FullName"),
    )


# ----------------------------------------------------------------------------------------------
# version negotiation

_VERSION = re.compile(r"\A\s*([0-9]+)(?:\.([0-9]+))?\s*\Z")


def _version_key(version: str) -> tuple[int, int] | None:
    match = _VERSION.match(version)
    if match is None:
        return None  # e.g. the old Canadian "CA3.0" dialect
    return int(match.group(1)), int(match.group(2) or 0)


def choose_qbxml_version(supported: Sequence[str], ceiling: str = "13.0") -> str:
    """The highest qbXML version QuickBooks supports that is not above `ceiling` and not below
    MINIMUM_QBXML_VERSION, compared numerically ("10.0" > "9.0"), written "major.minor".

    Raises UnsupportedQuickBooksVersion when there is none.
    """
    if isinstance(supported, str):
        raise TypeError("supported must be a sequence of versions, not a single string")
    top = _version_key(ceiling)
    if top is None:
        raise ValueError(f"ceiling must look like '13.0', got {ceiling!r}")
    bottom = _version_key(MINIMUM_QBXML_VERSION)
    assert bottom is not None
    usable = [key for key in map(_version_key, supported) if key is not None and bottom <= key <= top]
    if not usable:
        listed = ", ".join(supported) or "none"
        raise UnsupportedQuickBooksVersion(
            f"this QuickBooks supports qbXML {listed}; we need {MINIMUM_QBXML_VERSION} to {ceiling}. "
            "Please update QuickBooks."
        )
    major, minor = max(usable)
    return f"{major}.{minor}"
