"""Message sets in the company simulator: parsing, onError, and error recovery as QuickBooks answers it.

`CompanyMessageSets.process()` answers a qbXML request document the way QuickBooks' request
processor answers the Web Connector. Behaviour, and the evidence behind it:

* **Parsing.** A request that is not well-formed, lacks the `<?qbxml version="..."?>`
  instruction, names a version the host does not support, or fails the 13.0 schema raises
  `QuickBooksFault("0x80040400", "QuickBooks found an error when parsing the provided XML text
  stream.")` and changes nothing (the HRESULT/message pair QuickBooks hands the Web Connector,
  e.g. qbwc/qbwc's test helper). Requests of later versions are still validated against 13.0.
  Every answer is checked against the 13.0 schema too (`validate_responses`, on by default).
* **onError.** `continueOnError` answers every request. Under `stopOnError` the request that
  fails (severity `Error`) gets its error status and every later one `3231 "The request has not
  been processed."` (reference sample `batch_stop_on_error_rs.xml`). Requests before the
  failing one stay committed: the SDK documents that with stopOnError "requests that have
  already been processed will not be rolled back". Warnings (500) and "no match" (1) do not
  stop the set. `rollbackOnError` is not supported by QuickBooks Desktop (only by the old
  online edition) and is rejected like a parse error.
* **Error recovery: what is kept.** Like QuickBooks, the simulator keeps the outcome of the
  *last* message set sent with `newMessageSetID` (one slot, saved with the company): each
  request's status and, for each Add or Mod that saved a record, that record's ids.
* **Status check** (`oldMessageSetID` = `newMessageSetID` = X, no requests; Intuit's sample
  `legacy__ErrRecovery2.xml`: "asks QuickBooks for status for a message set that it sent
  earlier"; `legacy__ErrRecovery1.xml`: "status will be returned for the message set"): answered
  with `newMessageSetID="X" messageSetStatusCode="0"` and one `*Rs` per request of the stored
  set, in order, with its requestID and its status as first answered (errors keep their code and
  message; 3231 for requests a stopOnError set never ran), and *no* `*Ret`: an Add or Mod that
  succeeded carries an `ErrorRecovery` element instead (13.0 schema, `qbxml130.xsd`: ErrorRecovery
  = choice of ListID | OwnerID | TxnID, then TxnNumber, EditSequence, ExternalGUID, all optional;
  `qbxmlops130.xsd` allows it after the `*Ret` of every Add/Mod response, and only there; the
  annotated Intuit sample `qbxmlops130-annotated-sample.xml` marks it "v11.0"). Transactions give
  TxnID, TxnNumber, EditSequence and ExternalGUID (when the sale has one); list objects give
  ListID and EditSequence; the values are those the request left (a later edit does not change
  them). Queries answer their status only (no Rets, no retCount or iterator attributes): nothing
  in the sources says a query's records are kept, so the simulator is the stricter one. X not
  stored: an empty `QBXMLMsgsRs` with `messageSetStatusCode="9002"` ("No stored response was
  found."). `recovery_answers="full_records"` (a constructor argument, saved with the company)
  answers the full stored responses instead, the simulator's old form, so the service can be
  tested against both; `"status"` is the default.
* **Clear** (`oldMessageSetID` alone, no requests: `legacy__ErrRecovery3.xml`, "asks QuickBooks to
  delete session status"; `ClearAllMessageSets` clears whatever is stored): `messageSetStatusCode
  ="0"`, or `600` ("The oldMessageSetID does not match any stored IDs, and no newMessageSetID is
  provided.") if nothing matched. A set with requests and an `oldMessageSetID` naming the stored
  set clears it too, then runs.
* **Duplicate protection.** A new set whose `newMessageSetID` equals the stored ID is not processed
  again: the identical set (same checksum) gets the same answer as a status check (statuses and
  ErrorRecovery, never the full records: the stricter reading, since QuickBooks keeps a status,
  not a response; `full_records` gives the stored responses), a different set gets
  `messageSetStatusCode="9001"` (the "new message set ID matches the currently stored ID, but
  checksum failed" status) and nothing is processed. IDs longer than 24 characters give `9004`.
  The codes are those of Intuit's status-code table and its error-recovery sample
  (`ProcessQBFCErrors`).
* **Lost responses.** With the `lose_next_response` fault the set is processed, committed and
  stored for recovery, then `process()` raises `ResponseLost` carrying the answer that never
  reached the service.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from lxml import etree

from ledgerbridge.qbxml_schema import qbxml13_schema, schema_errors
from ledgerbridge.simulators.registry import (
    HANDLERS,
    HRESULT_MESSAGES,
    NOT_RUNNING_HRESULT,
    NOT_RUNNING_MESSAGE,
    PARSE_ERROR_HRESULT,
    PARSE_ERROR_MESSAGE,
    STATUS_NOT_PROCESSED,
    STATUS_OK,
    QuickBooksFault,
    ResponseLost,
    Severity,
    SimulatorBug,
    SimulatorLimitation,
    StatusError,
)
from ledgerbridge.simulators.stored import StoredCompany

__all__ = [
    "CLEAR_ALL_MESSAGE_SETS",
    "MAX_MESSAGE_SET_ID",
    "CompanyMessageSets",
    "RecoveryAnswers",
    "StoredMessageSet",
    "StoredRequestStatus",
]


@dataclass
class _ReplyParts:
    """A message-set answer before it is serialised."""

    rs: list[etree._Element] = field(default_factory=list)
    new_message_set_id: str | None = None
    message_set_status: int | None = None


MAX_MESSAGE_SET_ID = 24
CLEAR_ALL_MESSAGE_SETS = "ClearAllMessageSets"
_STATUS_ATTRIBUTES = ("requestID", "statusCode", "statusSeverity", "statusMessage")
#: The ErrorRecovery children of a transaction and of a list object, in schema order.
_TXN_RECOVERY = ("TxnID", "TxnNumber", "EditSequence", "ExternalGUID")
_LIST_RECOVERY = ("ListID", "EditSequence")


class RecoveryAnswers(StrEnum):
    """What a status check answers for the requests of the stored message set."""

    #: Each request's status; `ErrorRecovery` (ids) for the Adds and Mods that succeeded (QuickBooks).
    STATUS = "status"
    #: The responses as first answered, `*Ret` records included (the simulator's earlier answer).
    FULL_RECORDS = "full_records"


class StoredRequestStatus(TypedDict):
    """One request's answer as error recovery keeps it."""

    rs: str  # the `*Rs` element name
    attributes: dict[str, str]  # requestID and the status triple
    recovery: dict[str, str] | None  # the ErrorRecovery children; None for queries and failures


class StoredMessageSet(TypedDict):
    """The last message set sent with newMessageSetID (saved under "error_recovery")."""

    id: str
    checksum: str
    rs: list[str]  # the responses as first answered
    status: NotRequired[list[StoredRequestStatus]]


@dataclass
class _Answer:
    """One request's `*Rs` and what error recovery will report for it."""

    rs: etree._Element
    recovery: dict[str, str] | None = None


def _recovery_of(rs: etree._Element, record: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The ErrorRecovery children for an Add/Mod answered by `rs` that saved `record`: TxnID, TxnNumber,
    EditSequence, ExternalGUID of a transaction; ListID, EditSequence of a list object; else None."""
    tag = str(rs.tag)
    if record is None or rs.get("statusSeverity") == Severity.ERROR or not tag.endswith(("AddRs", "ModRs")):
        return None
    keys = _TXN_RECOVERY if "TxnID" in record else _LIST_RECOVERY if "ListID" in record else ()
    recovery = {key: str(record[key]) for key in keys if record.get(key) not in (None, "")}
    return recovery or None


def _ret_fields(rs: etree._Element) -> dict[str, str] | None:
    """The top-level fields of the `*Ret` inside a stored `*Rs` (None if it has none)."""
    ret = next((child for child in rs if isinstance(child.tag, str)), None)
    return {str(child.tag): child.text or "" for child in ret} if ret is not None else None


def _stored_status(rs: etree._Element, recovery: dict[str, str] | None) -> StoredRequestStatus:
    return {
        "rs": str(rs.tag),
        "attributes": {key: str(value) for key in _STATUS_ATTRIBUTES if (value := rs.get(key)) is not None},
        "recovery": recovery,
    }


_VERSION_PI = re.compile(r"""version\s*=\s*["']([^"']*)["']""")


def _checksum(msgs: etree._Element) -> str:
    """A digest of a message set's requests, insensitive to formatting whitespace."""
    digest = hashlib.sha256()
    digest.update((msgs.get("onError", "") + "|" + msgs.get("responseData", "")).encode())
    for rq in msgs:
        if not isinstance(rq.tag, str):
            continue
        clone = copy.deepcopy(rq)
        for element in clone.iter():
            if len(element) and element.text is not None and not element.text.strip():
                element.text = None
            if element.tail is not None and not element.tail.strip():
                element.tail = None
        digest.update(etree.tostring(clone, method="c14n"))
    return digest.hexdigest()


class CompanyMessageSets(StoredCompany):
    """The stored company answering qbXML request documents: message sets, onError, error recovery."""

    @property
    def stored_message_set_id(self) -> str | None:
        """The newMessageSetID whose status QuickBooks keeps (None when nothing is stored)."""
        stored = self._data.get("error_recovery")
        return str(stored["id"]) if stored else None

    @property
    def recovery_answers(self) -> RecoveryAnswers:
        """What a status check answers: statuses with ErrorRecovery (as QuickBooks), or full records."""
        return RecoveryAnswers(self._data.get("recovery_answers", RecoveryAnswers.STATUS))

    @recovery_answers.setter
    def recovery_answers(self, value: RecoveryAnswers | str) -> None:
        self._data["recovery_answers"] = str(RecoveryAnswers(value))
        self.touch()

    def hcp_response(self) -> str:
        """Host, company and preferences, as the Web Connector sends them on a session's first sendRequestXML."""
        reply = _ReplyParts()
        for request_id, rq_name, ret_name, ret in (
            ("0", "HostQueryRq", "HostRet", self.host_ret()),
            ("1", "CompanyQueryRq", "CompanyRet", self._data["company"]["company_ret"]),
            ("2", "PreferencesQueryRq", "PreferencesRet", self._data["company"]["preferences"]),
        ):
            rq = etree.Element(rq_name, requestID=request_id)
            reply.rs.append(self.rs(rq, STATUS_OK, [self.ret_element(ret_name, ret)]))
        return self._serialize(reply)

    # -- processing qbXML ------------------------------------------------------------------------
    def process(self, request: str) -> str:
        """Answer a qbXML request document like QuickBooks' request processor (see the module doc)."""
        if self.faults.not_running:
            raise QuickBooksFault(NOT_RUNNING_HRESULT, NOT_RUNNING_MESSAGE)
        if self.faults.fail_next_with_hresult:
            hresult = self.faults.fail_next_with_hresult
            message = self.faults.fail_next_message or HRESULT_MESSAGES.get(
                hresult, "QuickBooks request failed."
            )
            self.faults.fail_next_with_hresult = None
            self.faults.fail_next_message = None
            self._save_if_autosave()
            raise QuickBooksFault(hresult, message)
        root = self._parse_request(request)
        msgs = root.find("QBXMLMsgsRq")
        if msgs is None:
            first = next((c.tag for c in root if isinstance(c.tag, str)), "nothing")
            raise SimulatorLimitation(f"the company simulator only answers QBXMLMsgsRq, not {first}")
        reply = self._process_message_set(msgs)
        text = self._serialize(reply)
        if self.faults.lose_next_response:
            self.faults.lose_next_response = False
            self._save_if_autosave()
            raise ResponseLost(text)
        if self._dirty:
            self._save_if_autosave()
        return text

    # ========================================================================================
    # internals: message sets
    # ========================================================================================
    def _parse_request(self, request: str) -> etree._Element:
        head = request.lstrip()[:200]
        encoding = "utf-8"
        if head.startswith("<?xml"):
            declaration = head.split("?>", 1)[0]
            for quote in ('"', "'"):
                marker = f"encoding={quote}"
                if marker in declaration:
                    encoding = declaration.split(marker, 1)[1].split(quote, 1)[0]
        try:
            data = request.encode(encoding)
        except (LookupError, UnicodeEncodeError) as exc:
            raise QuickBooksFault(PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE) from exc
        if schema_errors(data):
            raise QuickBooksFault(PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(data, parser)
        version = None
        sibling = root.getprevious()
        while sibling is not None:
            if isinstance(sibling, etree._ProcessingInstruction) and sibling.target == "qbxml":
                match = _VERSION_PI.fullmatch((sibling.text or "").strip())
                version = match.group(1) if match else None
            sibling = sibling.getprevious()
        if version is None or version not in self.qbxml_versions:
            raise QuickBooksFault(PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE)
        return root

    def _process_message_set(self, msgs: etree._Element) -> _ReplyParts:
        if msgs.get("onError") == "rollbackOnError":
            raise QuickBooksFault(PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE)
        requests = [child for child in msgs if isinstance(child.tag, str)]
        missing = sorted({str(rq.tag) for rq in requests if rq.tag not in HANDLERS})
        if missing:
            raise SimulatorLimitation(f"the company simulator does not implement {', '.join(missing)}")
        old, new = msgs.get("oldMessageSetID"), msgs.get("newMessageSetID")
        stored: StoredMessageSet | None = self._data.get("error_recovery")
        if any(i is not None and len(i) > MAX_MESSAGE_SET_ID for i in (old, new)):
            return _ReplyParts([], new, 9004)
        if old is not None and new is None and not requests:  # clear the stored status
            if stored and old in (stored["id"], CLEAR_ALL_MESSAGE_SETS):
                self._data["error_recovery"] = None
                self.touch()
                return _ReplyParts([], None, 0)
            return _ReplyParts([], None, 600)
        if old is not None and old == new and not requests:  # status check
            if stored and stored["id"] == old:
                return _ReplyParts(self._recovered_rs(stored), old, 0)
            return _ReplyParts([], old, 9002)
        if old is not None and stored and old != new and old in (stored["id"], CLEAR_ALL_MESSAGE_SETS):
            self._data["error_recovery"] = None
            stored = None
            self.touch()
        if new is not None and stored and stored["id"] == new:  # duplicate protection
            if stored["checksum"] == _checksum(msgs):
                return _ReplyParts(self._recovered_rs(stored), new, 0)
            return _ReplyParts([], new, 9001)
        answers = self._run_requests(requests, stop_on_error=msgs.get("onError") == "stopOnError")
        if msgs.get("responseData") == "includeNone":
            for answer in answers:
                for child in list(answer.rs):
                    answer.rs.remove(child)
        reply = _ReplyParts(
            [answer.rs for answer in answers], new, 0 if (old is not None or new is not None) else None
        )
        if new is not None:
            self._store_for_recovery(new, msgs, answers)
        return reply

    def _run_requests(self, requests: Sequence[etree._Element], *, stop_on_error: bool) -> list[_Answer]:
        answers: list[_Answer] = []
        stopped = False
        for rq in requests:
            if stopped:
                answers.append(_Answer(self.rs(rq, STATUS_NOT_PROCESSED)))
                continue
            draws = self.faults.transient_draws
            transient = self.faults.transient_for(str(rq.tag), rq.findtext(".//EditSequence") or "")
            if transient is not None or self.faults.transient_draws != draws:
                self.touch()  # a consumed fault or a random draw is part of the saved state
            self._written = None
            try:
                if transient is not None:
                    raise StatusError(transient)
                rs = HANDLERS[str(rq.tag)](self, rq)
            except StatusError as exc:
                rs = self.rs(rq, exc.status)
            answers.append(_Answer(rs, _recovery_of(rs, self._changed_record(rq))))
            if stop_on_error and rs.get("statusSeverity") == Severity.ERROR:
                stopped = True
        return answers

    def _changed_record(self, rq: etree._Element) -> Mapping[str, Any] | None:
        """The record an Add just created (`_written`) or a Mod just changed (by its TxnID/ListID)."""
        tag = str(rq.tag)
        if tag.endswith("AddRq"):
            return self._written[1] if self._written is not None else None
        mod = rq.find(tag[:-2]) if tag.endswith("ModRq") else None
        if mod is None:
            return None
        txn_id, list_id = mod.findtext("TxnID"), mod.findtext("ListID")
        found = (
            self.txn_lookup(txn_id)
            if txn_id
            else self._find_by_id(tuple(self._data.get("lists", {})), list_id)
            if list_id
            else None
        )
        return found[1] if found is not None else None

    def _store_for_recovery(self, set_id: str, msgs: etree._Element, answers: Sequence[_Answer]) -> None:
        stored: StoredMessageSet = {
            "id": set_id,
            "checksum": _checksum(msgs),
            "rs": [etree.tostring(answer.rs, encoding="unicode") for answer in answers],
            "status": [_stored_status(answer.rs, answer.recovery) for answer in answers],
        }
        self._data["error_recovery"] = stored
        self.touch()

    def _recovered_rs(self, stored: StoredMessageSet) -> list[etree._Element]:
        """What a status check (and the duplicate protection) answers for the stored message set."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        full = [etree.fromstring(text, parser) for text in stored["rs"]]
        if self.recovery_answers == RecoveryAnswers.FULL_RECORDS:
            return full
        statuses = stored.get("status")
        if statuses is None:  # a file saved before statuses were kept: read them off the records
            statuses = [_stored_status(rs, _recovery_of(rs, _ret_fields(rs))) for rs in full]
        answers: list[etree._Element] = []
        for status in statuses:
            rs = etree.Element(status["rs"])
            for key in _STATUS_ATTRIBUTES:
                if key in status["attributes"]:
                    rs.set(key, status["attributes"][key])
            if status["recovery"]:
                rs.append(self.ret_element("ErrorRecovery", status["recovery"]))
            answers.append(rs)
        return answers

    def _serialize(self, reply: _ReplyParts) -> str:
        root = etree.Element("QBXML")
        msgs = etree.SubElement(root, "QBXMLMsgsRs")
        if reply.new_message_set_id is not None:
            msgs.set("newMessageSetID", reply.new_message_set_id)
        if reply.message_set_status is not None:
            msgs.set("messageSetStatusCode", str(reply.message_set_status))
        for rs in reply.rs:
            msgs.append(rs)
        if self.validate_responses:
            schema = qbxml13_schema()
            if not schema.validate(root):
                errors = str(schema.error_log)
                raise SimulatorBug(f"the simulator built an invalid qbXML response: {errors}")
        for element in root.iter():
            if len(element):
                element.text = "\n"
                for child in element:
                    child.tail = "\n"
        return '<?xml version="1.0" ?>\n' + etree.tostring(root, encoding="unicode") + "\n"
