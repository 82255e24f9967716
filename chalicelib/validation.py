"""Pure checks shared by every edge that reads text from the outside: JSON bodies, order fields, settings.

Hostile input is refused here as a class, not case by case:

- JSON is decoded once (`decode_json`), with a bounded number of digits per number (Python refuses ints
  over 4,300 digits with a bare ValueError), no NaN/Infinity, a bounded nesting depth (a deep array ends
  in RecursionError otherwise) and no lone surrogate anywhere (DynamoDB and boto3 cannot encode one).
- Text bound for QuickBooks (qbXML is XML 1.0) or DynamoDB (UTF-8) may hold only characters XML 1.0 can
  carry: no C0 controls but tab/LF/CR, no surrogates, no U+FFFE/U+FFFF (XML 1.0 section 2.2, `Char`).
- Dates are range-checked before any arithmetic (`datetime` stops at year 9999 with OverflowError).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_CHARS",
    "JsonRefused",
    "decode_json",
    "moment_problem",
    "text_problem",
]

MAX_JSON_DEPTH: Final = 32
"""Deepest nesting of arrays/objects accepted in a request body (the deepest real body, an order's refund
lines, is 5 levels)."""

MAX_NUMBER_CHARS: Final = 40
"""Longest JSON number accepted, in characters (amounts have at most 8 digits and 2 decimals)."""

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""Moments outside [EARLIEST, LATEST) are refused: no store order or resync is older than the epoch, and
QuickBooks Desktop stores dates with a four-digit year (qbxmltypes130.xsd DATETYPE); stricter than both."""

# XML 1.0 `Char` excludes these; lone surrogates cannot be encoded as UTF-8 at all.
_NOT_XML_CHAR: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK: Final = re.compile("[\t\n\r]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# A JSON string token, or one bracket (anything else cannot change the depth).
_DEPTH_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonRefused(ValueError):
    """A request body that is not JSON this service reads; `message` says why in the caller's words."""

    def __init__(self, message: str, *, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = dict(problems or {})
        """What is wrong by the path of each offending value (`orders[0].total`), when values are to blame."""


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored or sent to QuickBooks, or None when it can."""
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        code = ord(bad.group())
        if 0xD800 <= code <= 0xDFFF:
            return f"must not contain a lone surrogate (U+{code:04X})"
        if code < 0x20:
            return "must not contain control characters"
        return f"must not contain U+{code:04X}"
    if not multiline and _LINE_BREAK.search(value):
        return "must not contain control characters"
    return None


def moment_problem(moment: datetime) -> str | None:
    """Why a zoned date-time is out of range, or None."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return f"must be from {EARLIEST.date()} to {LATEST.year - 1}-12-31"
    if not EARLIEST <= utc < LATEST:
        return f"must be from {EARLIEST.date()} to {LATEST.year - 1}-12-31"
    return None


def _depth(text: str) -> int:
    depth = deepest = 0
    for match in _DEPTH_TOKEN.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif found in "]}":
            depth -= 1
    return deepest


class _Unreadable(NamedTuple):
    """Stands in for a number the decoder will not turn into a value, until its path is known."""

    problem: str


def _int(text: str) -> int | _Unreadable:
    if len(text) > MAX_NUMBER_CHARS:
        return _Unreadable(f"is a number of {len(text):,} digits (at most {MAX_NUMBER_CHARS})")
    return int(text)


def _float(text: str) -> float | _Unreadable:
    if len(text) > MAX_NUMBER_CHARS:
        return _Unreadable(f"is a number of {len(text):,} characters (at most {MAX_NUMBER_CHARS})")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return _Unreadable(f"is a number out of range ({text})")
    return value


def _constant(name: str) -> _Unreadable:
    return _Unreadable(f"is {name}, which is not a JSON number")


def _problems(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, problem) of every value the service will not read; depth is bounded before this runs."""
    if isinstance(value, _Unreadable):
        yield path, value.problem
    elif isinstance(value, str):
        if _SURROGATE.search(value):
            yield path, "must not contain a lone surrogate"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            shown = _SURROGATE.sub("\ufffd", key[:100])  # the path is sent back: it must be valid text
            where = f"{path}.{shown}" if path else shown
            if _SURROGATE.search(key):
                yield where, "is a field name with a lone surrogate"
            yield from _problems(item, where)


def decode_json(raw: bytes | str) -> Any:
    """Decoded JSON, or JsonRefused for anything this service will not read (see the module's notes)."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise JsonRefused("request body is not valid UTF-8") from exc
    if _depth(text) > MAX_JSON_DEPTH:
        raise JsonRefused(f"request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"request body is not valid JSON at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:  # the depth scan makes this unreachable; kept as a floor
        raise JsonRefused("request body nests arrays and objects too deeply") from exc
    except ValueError as exc:
        raise JsonRefused("request body is not valid JSON") from exc
    problems = dict(itertools.islice(_problems(value, ""), 20))
    if problems:
        where, problem = next(iter(problems.items()))
        raise JsonRefused(
            f"{where or 'request body'} {problem}", problems={k or "body": v for k, v in problems.items()}
        )
    return value
