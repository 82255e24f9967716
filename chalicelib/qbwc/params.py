"""The shapes of the Web Connector's SOAP parameters, checked before any use case sees them (pure).

QBWC sends every parameter as text. A few have a form the service relies on:

- `clientVersion/strVersion` is the Web Connector's product version, four dotted numbers such as
  "2.3.0.215" (QBWC Programmer's Guide, clientVersion; the samples in reference/qbwc/). Only ASCII digits
  count: `str.isdigit()` also accepts digits `int()` refuses ("²") and `int()` accepts digits of other
  scripts, so neither is used on their own.
- `hresult` is an HRESULT, written "0x80040408" (hex) or as a signed 32-bit decimal ("-2147220472").
- `qbXMLMajorVers` / `qbXMLMinorVers` are `xsd:int` in the QBWC WSDL.

Every parameter also has a length limit (stricter than QuickBooks, which sets none): tickets are ours (at
most 128 characters), QuickBooks' messages are a sentence or two, and whatever is stored must stay far below
DynamoDB's 400 KB item limit.
"""

from __future__ import annotations

import re
from typing import Final, Literal, TypeAlias

__all__ = ["ParamKind", "param_problem", "parse_version"]

ParamKind: TypeAlias = Literal["text", "int", "version", "hresult"]

MAX_VERSION_PARTS: Final = 6
_VERSION: Final = re.compile(rf"[0-9]{{1,9}}(?:\.[0-9]{{1,9}}){{0,{MAX_VERSION_PARTS - 1}}}")
_INT: Final = re.compile(r"[+-]?[0-9]{1,9}")
_HRESULT: Final = re.compile(r"(?:0[xX])?[0-9a-fA-F]{1,8}|-[0-9]{1,10}")


def parse_version(text: str) -> tuple[int, ...]:
    """(2, 3, 0, 215) for "2.3.0.215"; ValueError for anything that is not dotted ASCII numbers."""
    value = text.strip()
    if not _VERSION.fullmatch(value):
        raise ValueError(f"{value[:40]!r} is not a version such as 2.3.0.215")
    return tuple(int(part) for part in value.split("."))


def param_problem(kind: ParamKind, value: str, max_length: int) -> str | None:
    """Why a parameter's text is refused, or None. Empty text is always accepted (QBWC sends empty
    elements for values it does not have)."""
    if len(value) > max_length:
        return f"is {len(value):,} characters long; the limit is {max_length:,}"
    text = value.strip()
    if not text or kind == "text":
        return None
    if kind == "int" and not _INT.fullmatch(text):
        return "must be a whole number (xsd:int)"
    if kind == "version" and not _VERSION.fullmatch(text):
        return "must be a version such as 2.3.0.215"
    if kind == "hresult" and (
        not _HRESULT.fullmatch(text) or (text.startswith("-") and int(text) < -(2**31))
    ):
        return "must be an HRESULT such as 0x80040408"
    return None
