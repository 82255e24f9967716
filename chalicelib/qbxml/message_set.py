"""Rendering a qbXML request document (one message set) from request elements.

A message set is what one `sendRequestXML` answer carries to QuickBooks::

    <?xml version="1.0" encoding="utf-8"?>
    <?qbxml version="13.0"?>
    <QBXML><QBXMLMsgsRq onError="continueOnError">...requests...</QBXMLMsgsRq></QBXML>

Facts from the official 13.0 schema (`qbxmlops130.xsd`, element `QBXMLMsgsRq`) and Intuit's docs:

* `onError` is required: `continueOnError`, `stopOnError` or `rollbackOnError`. QuickBooks Desktop
  refuses `rollbackOnError` (it cannot roll back), so we only offer the first two.
* `newMessageSetID` / `oldMessageSetID` are optional plain strings (STRTYPE) in the XSD; Intuit's
  reference limits them to 23 characters. `newMessageSetID` turns on QuickBooks' error recovery for
  this message set: QuickBooks stores the set's outcome under that id. `oldMessageSetID` names a
  set sent earlier.
* The request children are an `xsd:choice minOccurs="0" maxOccurs="unbounded"`, so a QBXMLMsgsRq
  with *no* requests is schema-valid.
* The `<?qbxml version?>` processing instruction is outside the schema but QuickBooks requires it,
  after the XML declaration and before `<QBXML>`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Literal

from lxml import etree

__all__ = [
    "CLEAR_ALL_MESSAGE_SETS",
    "MAX_MESSAGE_SET_ID_LENGTH",
    "OnError",
    "render_clear_error_recovery",
    "render_error_recovery_query",
    "render_message_set",
]

OnError = Literal["continueOnError", "stopOnError"]

MAX_MESSAGE_SET_ID_LENGTH = 23
"""Longest `newMessageSetID` / `oldMessageSetID` QuickBooks accepts (Intuit's qbXML reference)."""

CLEAR_ALL_MESSAGE_SETS = "ClearAllMessageSets"
"""Special `oldMessageSetID` that clears every error-recovery record QuickBooks keeps for our app."""

_VERSION = re.compile(r"\A[0-9]{1,2}\.[0-9]{1,2}\Z")
_ON_ERROR: frozenset[str] = frozenset({"continueOnError", "stopOnError"})


def _check_version(version: str) -> None:
    if not _VERSION.match(version):
        raise ValueError(f"qbXML version must look like '13.0', got {version!r}")


def _check_message_set_id(name: str, value: str) -> None:
    if not value or not value.strip():
        raise ValueError(f"{name} must not be empty")
    if len(value) > MAX_MESSAGE_SET_ID_LENGTH:
        raise ValueError(
            f"{name} is {len(value)} characters; QuickBooks accepts at most {MAX_MESSAGE_SET_ID_LENGTH}"
        )


def _render(msgs_rq: etree._Element, version: str) -> str:
    root = etree.Element("QBXML")
    root.append(msgs_rq)
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'


def render_message_set(
    requests: Sequence[etree._Element],
    *,
    version: str = "13.0",
    on_error: OnError = "continueOnError",
    new_message_set_id: str | None = None,
    old_message_set_id: str | None = None,
) -> str:
    """The qbXML document carrying `requests` (the elements are copied, never moved or changed).

    `new_message_set_id` turns on QuickBooks' error recovery for this set (see
    `render_error_recovery_query`). Ids longer than 23 characters, an unknown `on_error` or a
    malformed `version` raise ValueError.
    """
    _check_version(version)
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be 'continueOnError' or 'stopOnError', got {on_error!r}")
    msgs_rq = etree.Element("QBXMLMsgsRq")
    msgs_rq.set("onError", on_error)
    if new_message_set_id is not None:
        _check_message_set_id("new_message_set_id", new_message_set_id)
        msgs_rq.set("newMessageSetID", new_message_set_id)
    if old_message_set_id is not None:
        _check_message_set_id("old_message_set_id", old_message_set_id)
        msgs_rq.set("oldMessageSetID", old_message_set_id)
    for request in requests:
        if not isinstance(request.tag, str) or not request.tag.endswith("Rq"):
            raise ValueError(f"not a qbXML request element: {request.tag!r}")
        msgs_rq.append(copy.deepcopy(request))
    if len(msgs_rq) == 0:
        msgs_rq.text = ""  # written as <QBXMLMsgsRq ...></QBXMLMsgsRq>, like Intuit's samples
    return _render(msgs_rq, version)


def render_error_recovery_query(message_set_id: str, *, version: str = "13.0") -> str:
    """Ask QuickBooks what became of the message set sent earlier with `newMessageSetID=message_set_id`.

    Shape (Intuit SDK sample ErrRecovery2.xml): no requests, and `oldMessageSetID` and
    `newMessageSetID` both set to the id::

        <QBXMLMsgsRq onError="continueOnError" newMessageSetID="ID" oldMessageSetID="ID"/>

    The 13.0 schema accepts this as is (QBXMLMsgsRq's request choice has minOccurs="0"), so no
    placeholder request is needed. QuickBooks answers with a QBXMLMsgsRs carrying
    `messageSetStatusCode` and, if it processed the set, the stored responses of that set; status 600
    means it holds no state for that id.
    """
    return render_message_set(
        (), version=version, new_message_set_id=message_set_id, old_message_set_id=message_set_id
    )


def render_clear_error_recovery(message_set_id: str, *, version: str = "13.0") -> str:
    """Tell QuickBooks to forget the stored outcome of message set `message_set_id`.

    Shape (Intuit SDK sample ErrRecovery3.xml): no requests and only `oldMessageSetID`. Pass
    `CLEAR_ALL_MESSAGE_SETS` to clear every record QuickBooks keeps for this application.
    Schema-valid against 13.0 for the same reason as `render_error_recovery_query`.
    """
    return render_message_set((), version=version, old_message_set_id=message_set_id)
