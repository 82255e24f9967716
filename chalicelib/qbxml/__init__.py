"""qbXML for QuickBooks Desktop: build requests, render message sets, read responses, explain status.

Pure code (no I/O). Requests are validated strictly against the qbXML 13.0 schema in the tests;
responses are read leniently, as QuickBooks really sends them.
"""

from __future__ import annotations

from .message_set import (
    CLEAR_ALL_MESSAGE_SETS,
    MAX_MESSAGE_SET_ID_LENGTH,
    OnError,
    render_clear_error_recovery,
    render_error_recovery_query,
    render_message_set,
)
from .requests import (
    LIST_KINDS,
    ActiveStatus,
    IteratorMode,
    ListKind,
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
    sales_tax_code_query,
)
from .responses import (
    MINIMUM_QBXML_VERSION,
    CompanyFileInfo,
    ListRecord,
    MessageSetResponse,
    QbResponse,
    UnsupportedQuickBooksVersion,
    choose_qbxml_version,
    list_record,
    list_records,
    parse_hcp_response,
    parse_message_set_response,
    parse_response,
)
from .status import StatusExplanation, explain_status, severity_for_code
from .xml import QbxmlParseError, parse_xml

__all__ = [
    "CLEAR_ALL_MESSAGE_SETS",
    "LIST_KINDS",
    "MAX_MESSAGE_SET_ID_LENGTH",
    "MINIMUM_QBXML_VERSION",
    "ActiveStatus",
    "CompanyFileInfo",
    "IteratorMode",
    "ListKind",
    "ListKindSpec",
    "ListRecord",
    "MessageSetResponse",
    "OnError",
    "QbResponse",
    "QbxmlParseError",
    "StatusExplanation",
    "UnsupportedQuickBooksVersion",
    "account_query",
    "choose_qbxml_version",
    "class_query",
    "company_query",
    "customer_query",
    "explain_status",
    "host_query",
    "item_query",
    "item_sales_tax_group_query",
    "item_sales_tax_query",
    "list_record",
    "list_records",
    "parse_hcp_response",
    "parse_message_set_response",
    "parse_response",
    "parse_xml",
    "payment_method_query",
    "preferences_query",
    "render_clear_error_recovery",
    "render_error_recovery_query",
    "render_message_set",
    "sales_tax_code_query",
    "severity_for_code",
]
