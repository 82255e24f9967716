"""The company simulator's request registry, statuses, failures and faults on demand.

Request types are dispatched through a registry (`register_handler`), so list, inventory and
transaction requests each live in their own module without touching the message-set logic
(`message_sets.py`). A handler receives the company and the `*Rq` element and returns the `*Rs`
element (`rs()` builds it), or raises `StatusError` to answer with an error status.

* **HRESULTs.** `QuickBooksFault` carries the HRESULT/message pair QuickBooks hands the Web
  Connector when the request processor fails as a whole (e.g. `0x80040400 "QuickBooks found an
  error when parsing the provided XML text stream."`, as in qbwc/qbwc's test helper).
* **Statuses.** The statusCode / statusSeverity / statusMessage triples and their wording: 1 (no
  match), 500 (element not found), 3100 (name in use), 3130/3140 (invalid parent / reference; the
  wording of captured QuickBooks output, reference `customer-batch-mixed.response.xml`), 3231 (not
  processed, reference sample `batch_stop_on_error_rs.xml`), 3391 (invalid iterator); and those of
  transaction requests (3120 not found, 3210 overpaid, 570 closed link, 3180 empty, 3140 inactive),
  whose evidence `sales.py` and `payments.py` give.
* **Faults on demand** (`Faults`, persisted in the company file so the CLI can arm them):
  `not_running` (`0x80040408 "Could not start QuickBooks."`), `fail_next_with_hresult`,
  `lose_next_response` (processed and committed, then `ResponseLost`), `crash_after_requests`
  (read by the Web Connector simulator). Transient write failures: `transient_status_next` answers
  the next write requests (`*AddRq`, and `*ModRq` for 3200) with those codes, one each, in order;
  `transient_rate` + `transient_seed` fail each write request with that probability
  (deterministically: draw N of seed S is always the same) with one of `transient_codes`;
  `transient_requests` limits both to some request types. The request is answered with the error
  status *before* its handler runs, so nothing of it is committed. Codes and wording:
  3170/3175/3176/3180 are the lock and "record in use" failures integrations retry (their
  QuickBooks messages contain "list element is in use", "internals could not be locked", "failed
  to acquire the lock", "list has been modified by another user": the substrings consolibyte's
  QuickBooks_Callbacks_SQL_Errors retries on), in the "There was an error when saving a <Object>.
  QuickBooks error message: ..." shape of a QuickBooks 3180; 3200 is the stale-EditSequence error
  of the reference sample `batch_continue_on_error_rs.xml`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

from lxml import etree

__all__ = [
    "HANDLERS",
    "HRESULT_MESSAGES",
    "STATUS_NOT_PROCESSED",
    "STATUS_NO_MATCH",
    "STATUS_OK",
    "TRANSIENT_CODES",
    "Faults",
    "Handler",
    "QuickBooksFault",
    "ResponseLost",
    "Severity",
    "SimulatorBug",
    "SimulatorLimitation",
    "Status",
    "StatusError",
    "build_rs",
    "register_handler",
    "status_closed_link",
    "status_empty",
    "status_inactive_reference",
    "status_invalid_iterator",
    "status_invalid_parent",
    "status_invalid_reference",
    "status_missing_element",
    "status_name_in_use",
    "status_not_found",
    "status_over_applied",
    "status_overpaid",
    "status_transient",
]

PARSE_ERROR_HRESULT = "0x80040400"
PARSE_ERROR_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."
NOT_RUNNING_HRESULT = "0x80040408"
NOT_RUNNING_MESSAGE = "Could not start QuickBooks."
OTHER_COMPANY_OPEN_HRESULT = "0x8004040A"

#: HRESULTs of the QuickBooks request processor and their messages.
HRESULT_MESSAGES: dict[str, str] = {
    PARSE_ERROR_HRESULT: PARSE_ERROR_MESSAGE,
    NOT_RUNNING_HRESULT: NOT_RUNNING_MESSAGE,
    OTHER_COMPANY_OPEN_HRESULT: "A QuickBooks company data file is already open and it is different from the "
    "one requested.",
    "0x80040410": "The QuickBooks company data file is currently open in a mode other than the one specified "
    "by your application.",
    "0x80040416": "If QuickBooks is not running, the company data file name must be supplied to BeginSession.",
    "0x80040418": "This application has not accessed this QuickBooks company data file before.",
    "0x80040420": "The QuickBooks user has denied access.",
    "0x80040422": "This application requires Single User file access mode and there is already another "
    "application sharing data with this QuickBooks company data file.",
}


# --------------------------------------------------------------------------------------------
# Exceptions and statuses
# --------------------------------------------------------------------------------------------
class QuickBooksFault(Exception):
    """The request processor failed as a whole: what QuickBooks reports as an HRESULT."""

    def __init__(self, hresult: str, message: str) -> None:
        super().__init__(f"{hresult}: {message}")
        self.hresult = hresult
        self.message = message


class ResponseLost(Exception):
    """The message set was processed and committed, but its response never reached the service."""

    def __init__(self, response: str) -> None:
        super().__init__("the response to the message set was lost before it reached the web service")
        self.response = response


class SimulatorLimitation(NotImplementedError):
    """A valid request that this simulator does not implement (never answered with a made-up status)."""


class SimulatorBug(AssertionError):
    """The simulator built a response that the qbXML 13.0 schema rejects."""


class Severity(StrEnum):
    """statusSeverity of a `*Rs` element."""

    INFO = "Info"
    WARN = "Warn"
    ERROR = "Error"


@dataclass(frozen=True)
class Status:
    """The statusCode / statusSeverity / statusMessage triple of a `*Rs` element."""

    code: int
    severity: str  # a Severity
    message: str


STATUS_OK = Status(0, Severity.INFO, "Status OK")
STATUS_NO_MATCH = Status(1, Severity.INFO, "A query request did not find a matching object in QuickBooks")
STATUS_NOT_PROCESSED = Status(3231, Severity.ERROR, "The request has not been processed.")
INVALID_ARGUMENT = (
    "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
)


def status_missing_element(value: str) -> Status:
    return Status(
        500,
        Severity.WARN,
        f'The query request has not been fully completed. There was a required element ("{value}") that '
        "could not be found in QuickBooks.",
    )


def status_name_in_use(name: str) -> Status:
    return Status(3100, Severity.ERROR, f'The name "{name}" of the list element is already in use.')


def status_invalid_reference(list_label: str, value: str, object_label: str) -> Status:
    return Status(
        3140,
        Severity.ERROR,
        f'There is an invalid reference to QuickBooks {list_label} "{value}" in the {object_label}.  '
        f"{INVALID_ARGUMENT}",
    )


def status_invalid_parent(value: str, plural: str) -> Status:
    return Status(
        3130,
        Severity.ERROR,
        f'There is an invalid reference to a parent "{value}" in the {plural} list.  {INVALID_ARGUMENT}',
    )


def status_invalid_iterator(iterator_id: str) -> Status:
    return Status(3391, Severity.ERROR, f'The iteratorID "{iterator_id}" is not valid.')


#: Transient failures QuickBooks reports for a write request (see `Faults`).
TRANSIENT_CODES = (3170, 3175, 3176, 3180)
_TRANSIENT_DETAILS = {
    3170: "This list element is in use.",
    3175: "The transaction internals could not be locked.",
    3176: "Cannot lock the object: failed to acquire the lock.",
    3180: "This list has been modified by another user.",
}


def status_transient(code: int, object_name: str, edit_sequence: str = "") -> Status:
    """The error status of a transient failure `code` for a request on `object_name` (e.g. "Invoice")."""
    if code == 3200:
        return Status(3200, Severity.ERROR, f'The provided edit sequence "{edit_sequence}" is out-of-date. ')
    detail = _TRANSIENT_DETAILS.get(code)
    if detail is None:
        raise ValueError(f"{code} is not a transient QuickBooks status (use {TRANSIENT_CODES} or 3200)")
    return Status(
        code,
        Severity.ERROR,
        f"There was an error when saving a {object_name}.  QuickBooks error message: {detail}",
    )


# --------------------------------------------------------------------------------------------
# Statuses of transaction requests (see sales.py, payments.py, sale_mods.py for their evidence)
# --------------------------------------------------------------------------------------------
def status_inactive_reference(list_label: str, value: str, object_label: str) -> Status:
    return Status(
        3140,
        Severity.ERROR,
        f'There is an invalid reference to QuickBooks {list_label} "{value}" in the {object_label}.  '
        "QuickBooks error message: The list element is inactive.",
    )


def status_not_found(txn_id: str) -> Status:
    return Status(3120, Severity.ERROR, f'Object "{txn_id}" specified in the request cannot be found.  ')


def status_overpaid(amount: str) -> Status:
    return Status(
        3210,
        Severity.ERROR,
        f'The "AppliedToTxnAdd payment amount" field has an invalid value "{amount}".  '
        "QuickBooks error message: You cannot pay more than the amount due.",
    )


def status_over_applied(amount: str) -> Status:
    return Status(
        3210,
        Severity.ERROR,
        f'The "TotalAmount" field has an invalid value "{amount}".  '
        "QuickBooks error message: The amounts applied exceed the amount of the payment.",
    )


def status_closed_link(txn_id: str) -> Status:
    return Status(
        570, Severity.WARN, f'Unable to link to transaction "{txn_id}" because it has already been closed.'
    )


def status_empty(kind: str) -> Status:
    return Status(
        3180,
        Severity.ERROR,
        f"There was an error when saving a {kind}.  QuickBooks error message: Transaction is empty.",
    )


class StatusError(Exception):
    """Raised by a request handler to answer its request with an error status."""

    def __init__(self, status: Status) -> None:
        super().__init__(f"{status.code}: {status.message}")
        self.status = status


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------
@dataclass
class Faults:
    """Failures tests and the CLI can arm; saved with the company file."""

    not_running: bool = False
    lose_next_response: bool = False
    crash_after_requests: int | None = None
    fail_next_with_hresult: str | None = None
    fail_next_message: str | None = None
    #: Status codes for the next write requests, one each, in order (3200 waits for a `*ModRq`).
    transient_status_next: list[int] = field(default_factory=list)
    #: Probability that a write request fails with one of `transient_codes` (0 = never).
    transient_rate: float = 0.0
    transient_seed: int = 0
    transient_codes: list[int] = field(default_factory=lambda: list(TRANSIENT_CODES))
    #: Request names (e.g. "InvoiceAddRq") the transient faults apply to; None = every write request.
    transient_requests: list[str] | None = None
    #: How many random draws `transient_rate` has made (so the sequence goes on after a reload).
    transient_draws: int = 0

    def to_json(self) -> dict[str, Any]:
        return {f.name: copy.copy(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def clear(self) -> None:
        fresh = Faults()
        for f in fields(self):
            setattr(self, f.name, getattr(fresh, f.name))

    def transient_for(self, request_name: str, edit_sequence: str = "") -> Status | None:
        """Consume and return the transient failure armed for this request, if any."""
        is_mod = request_name.endswith("ModRq")
        if not (is_mod or request_name.endswith("AddRq")):
            return None
        if self.transient_requests is not None and request_name not in self.transient_requests:
            return None
        object_name = request_name[:-5]
        for position, code in enumerate(self.transient_status_next):
            if code != 3200 or is_mod:
                del self.transient_status_next[position]
                return status_transient(code, object_name, edit_sequence)
        if self.transient_rate <= 0:
            return None
        draw = random.Random(f"{self.transient_seed}:{self.transient_draws}")
        self.transient_draws += 1
        if draw.random() >= self.transient_rate:
            return None
        codes = [c for c in self.transient_codes if c != 3200 or is_mod] or list(TRANSIENT_CODES)
        return status_transient(draw.choice(codes), object_name, edit_sequence)


# --------------------------------------------------------------------------------------------
# Handler registry
# --------------------------------------------------------------------------------------------
#: A request handler: (the company, the `*Rq` element) -> the `*Rs` element. The company is typed
#: `Any` here because the company classes import this module; each handler names the class it needs
#: (`lists.CompanyLists` for lists and transactions).
Handler = Callable[[Any, etree._Element], etree._Element]
_HandlerT = TypeVar("_HandlerT", bound=Callable[..., etree._Element])

#: Request element name (`CustomerAddRq`) -> function answering it with its `*Rs` element.
HANDLERS: dict[str, Handler] = {}


def register_handler(*request_names: str) -> Callable[[_HandlerT], _HandlerT]:
    """Decorator: answer `request_names` with the decorated function.

    A handler receives the company and the `*Rq` element and returns the `*Rs` element (build
    it with `build_rs`, also `CompanySimulator.rs`), or raises `StatusError` to answer with an error
    status. It must not change the company before it knows the request succeeds.
    """

    def decorate(handler: _HandlerT) -> _HandlerT:
        for name in request_names:
            HANDLERS[name] = handler
        return handler

    return decorate


def build_rs(
    rq: etree._Element,
    status: Status,
    rets: Iterable[etree._Element] = (),
    attributes: Mapping[str, str] | None = None,
) -> etree._Element:
    """The `*Rs` element answering `rq` (requestID echoed, status attributes, then `attributes`)."""
    tag = str(rq.tag)
    rs = etree.Element(tag[:-2] + "Rs" if tag.endswith("Rq") else tag)
    request_id = rq.get("requestID")
    if request_id is not None:
        rs.set("requestID", request_id)
    rs.set("statusCode", str(status.code))
    rs.set("statusSeverity", status.severity)
    rs.set("statusMessage", status.message)
    for key, value in (attributes or {}).items():
        rs.set(key, value)
    for ret in rets:
        rs.append(ret)
    return rs
