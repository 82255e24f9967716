"""The one place domain errors meet transports: HTTP status + JSON body at the REST edge, a SOAP fault at the
SOAP edge. Nothing below `api/` knows a status code.

REST bodies are `{"error": <code>, "message": <plain words>[, "details": {...}]}`; an unexpected failure is
a 500 whose body says nothing about the cause. At the SOAP edge every refusal of the caller's input is a
`Client` fault; only `Unavailable` (and unexpected failures) are `Server` faults, which the Web Connector
may retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NamedTuple, TypeVar

from chalicelib.errors import (
    AppError,
    Conflict,
    InvalidInput,
    NotFound,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from chalicelib.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.qbwc import soap
    from chalicelib.qbwc.soap import FaultCode, SoapFault
else:  # the SOAP machinery (and lxml) loads at the first SOAP call, not with every REST route (chalicelib/lazy.py)
    soap = lazy_module("chalicelib.qbwc.soap")

__all__ = ["INTERNAL_ERROR_BODY", "REST_STATUS", "SOAP_FAULT_CODE", "HttpError", "http_error", "soap_fault"]


class HttpError(NamedTuple):
    status: int
    code: str


REST_STATUS: Final[Mapping[type[AppError], HttpError]] = MappingProxyType(
    {
        InvalidInput: HttpError(400, "bad_request"),
        Unauthorized: HttpError(401, "unauthorized"),
        NotFound: HttpError(404, "not_found"),
        Conflict: HttpError(409, "conflict"),
        TooLarge: HttpError(413, "payload_too_large"),
        UnsupportedMediaType: HttpError(415, "unsupported_media_type"),
        Unavailable: HttpError(503, "service_unavailable"),
    }
)
_INTERNAL: Final = HttpError(500, "internal_error")

INTERNAL_ERROR_BODY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "error": _INTERNAL.code,
        "message": "Something went wrong on our side. Please retry; repeating the request is safe.",
    }
)

SOAP_FAULT_CODE: Final[Mapping[type[AppError], FaultCode]] = MappingProxyType(
    {Unavailable: "Server"},
)


T = TypeVar("T")


def _nearest(table: Mapping[type[AppError], T], exc: AppError) -> T | None:
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


def http_error(exc: AppError) -> tuple[HttpError, dict[str, object]]:
    """The status, code and JSON body of a domain error (500 for an AppError with no mapping)."""
    found = _nearest(REST_STATUS, exc) or _INTERNAL
    if found is _INTERNAL:
        return _INTERNAL, dict(INTERNAL_ERROR_BODY)
    body: dict[str, object] = {"error": found.code, "message": exc.message}
    if exc.details:
        body["details"] = dict(exc.details)
    return found, body


def soap_fault(exc: AppError) -> SoapFault:
    """The SOAP fault for a domain error: `Client` unless the error says retrying later can work."""
    return soap.SoapFault(_nearest(SOAP_FAULT_CODE, exc) or "Client", exc.message)
