"""Errors a caller can act on, in the domain's words. They carry no transport: the REST edge maps them to
HTTP statuses and JSON bodies, the SOAP edge to SOAP faults, each in one place (`chalicelib/api/errors.py`).
Anything else is a failure of ours: a 500 or a `Server` fault with no detail (logged with its stack trace,
never sent).

`BadRequest`, `PayloadTooLarge` and `ServiceUnavailable` are the older names of `InvalidInput`, `TooLarge`
and `Unavailable`; both spellings are the same classes.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
]


class AppError(Exception):
    """A refusal the caller can act on: `message` in plain words, `details` for programs."""

    def __init__(self, message: str, *, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})


class InvalidInput(AppError):
    """The input is wrong; `problems` names every bad field (path -> what is wrong) when there are fields."""

    @classmethod
    def of(cls, lead: str, problems: Mapping[str, str]) -> InvalidInput:
        """One error naming every problem: `lead: field what; field what`."""
        detail = "; ".join(f"{k} {v}" for k, v in problems.items())
        return cls(f"{lead}: {detail}", details={"fields": dict(problems)})

    @property
    def problems(self) -> dict[str, str]:
        fields = self.details.get("fields")
        return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, Mapping) else {}


class Unauthorized(AppError):
    """The caller did not prove who it is (no key, a wrong or revoked key)."""


class NotFound(AppError):
    """The thing named does not exist for this caller (another tenant's things do not exist either)."""


class Conflict(AppError):
    """The request cannot be done in the thing's present state."""


class TooLarge(AppError):
    """The request is bigger than this service reads."""


class UnsupportedMediaType(AppError):
    """The request is in a format this service does not read."""


class Unavailable(AppError):
    """Something this service depends on does not answer now; retrying later can work."""


BadRequest = InvalidInput
PayloadTooLarge = TooLarge
ServiceUnavailable = Unavailable
