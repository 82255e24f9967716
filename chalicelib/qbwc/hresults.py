"""Plain words for the HRESULTs the Web Connector passes to connectionError / receiveResponseXML.

The Web Connector reports QuickBooks SDK (request processor) failures as an HRESULT
string such as "0x80040408" plus QuickBooks' own message. The wording below follows the
meaning of each code in the QuickBooks SDK's error table, rewritten for a merchant: what
happened and what to do in QuickBooks. Unknown codes fall back to QuickBooks' message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["HRESULT_EXPLANATIONS", "explain_hresult", "normalize_hresult"]

_INTEGRATED_APPS: Final = (
    "In QuickBooks, log in as the Admin user, open Edit > Preferences > Integrated Applications > "
    "Company Preferences"
)

HRESULT_EXPLANATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "0x80040400": (
            "QuickBooks could not read a request sent by Ledgerbridge (it found an error while parsing "
            "the XML). No data was changed. This is a problem on our side, or a request your version of "
            "QuickBooks does not support; contact Ledgerbridge support."
        ),
        "0x80040401": (
            "The Web Connector could not access QuickBooks. Make sure QuickBooks is installed and working "
            "on this computer, then run the Web Connector again."
        ),
        "0x80040402": (
            "QuickBooks hit an unexpected error. Close and reopen QuickBooks and run the Web Connector "
            "again; if it keeps happening, QuickBooks' SDK log (qbsdklog.txt) has the details."
        ),
        "0x80040403": (
            "QuickBooks could not open the company file. It may have been moved, renamed or deleted, or "
            "the network drive holding it is not available. Open the company file in QuickBooks to check, "
            "then run the Web Connector again."
        ),
        "0x80040408": (
            "QuickBooks could not be started. Open QuickBooks yourself (as the same Windows user that runs "
            "the Web Connector), open the company file, then run the Web Connector again."
        ),
        "0x8004040A": (
            "A different company file is open in QuickBooks than the one this connection uses. Open the "
            "right company file (or close QuickBooks), then run the Web Connector again."
        ),
        "0x80040410": (
            "The company file is open in QuickBooks in a different mode (single-user or multi-user) than "
            "the one requested. Switch the file's mode from the File menu, or close QuickBooks, then run "
            "the Web Connector again."
        ),
        "0x80040414": (
            "A window is open in QuickBooks (a dialog or message box) and QuickBooks cannot be reached "
            "until it is closed. Close it, then run the Web Connector again."
        ),
        "0x80040416": (
            "QuickBooks is not running and no company file was named for it to open. Open QuickBooks with "
            "your company file, then run the Web Connector again."
        ),
        "0x80040417": (
            "QuickBooks is running but no company file is open, and none was named for it to open. Open "
            "your company file in QuickBooks, then run the Web Connector again."
        ),
        "0x80040418": (
            "Ledgerbridge has not been given access to this company file yet, and only the QuickBooks "
            "Admin user can grant first-time access. Log in to QuickBooks as Admin in single-user mode, "
            "run the Web Connector and allow access when QuickBooks asks."
        ),
        "0x8004041A": (
            f"Ledgerbridge does not have permission to use this company file. {_INTEGRATED_APPS}, and "
            "allow access for Ledgerbridge."
        ),
        "0x8004041B": (
            "QuickBooks could not lock the information Ledgerbridge needs; another user or application is "
            "probably using it. Try again in a few minutes."
        ),
        "0x8004041D": (
            "Ledgerbridge is not allowed to log in to this company file automatically (while nobody is "
            f"using QuickBooks). {_INTEGRATED_APPS}, select Ledgerbridge, click Properties and tick "
            "'Allow this application to login automatically'."
        ),
        "0x80040420": (
            "A QuickBooks user refused Ledgerbridge access to the company file. To allow it: "
            f"{_INTEGRATED_APPS}, and allow access for Ledgerbridge."
        ),
        "0x80040422": (
            "Ledgerbridge asked for the company file in single-user mode, but another application is "
            "already sharing data with it. Close the other application (or switch QuickBooks to "
            "single-user mode), then run the Web Connector again."
        ),
        "0x80040423": (
            "This version of QuickBooks does not support the version of the request format (qbXML) that "
            "was requested. Update QuickBooks, or contact Ledgerbridge support."
        ),
        "0x80040424": (
            "QuickBooks had not finished starting up. Wait until QuickBooks is fully open, then run the "
            "Web Connector again."
        ),
        "0x80040427": (
            "This copy of QuickBooks is not registered. Register QuickBooks (Help > Register QuickBooks), "
            "then run the Web Connector again."
        ),
    }
)
"""Explanations by normalized HRESULT ("0x" + 8 upper-case hex digits)."""

# Codes seen from the Web Connector whose SDK description could not be confirmed against
# Intuit's table: explained generically, always with QuickBooks' own words.
_UNCONFIRMED: Final = frozenset({"0x80040428", "0x8004043C"})

_HEX: Final = re.compile(r"(?:0x)?([0-9a-f]{1,8})", re.IGNORECASE)
_NEGATIVE: Final = re.compile(r"-[0-9]{1,10}")


def normalize_hresult(hresult: str) -> str | None:
    """Canonical form of an HRESULT: "0x" + 8 upper-case hex digits.

    Accepts "0x80040408", "80040408", "0X8004041d" and signed decimal "-2147220472".

    Returns None when `hresult` is not an HRESULT.
    """
    text = hresult.strip()
    if _NEGATIVE.fullmatch(text):  # ASCII digits only: str.isdigit() also accepts "²", which int() refuses
        value = int(text)
        if value < -(2**31):
            return None
        return f"0x{value & 0xFFFFFFFF:08X}"
    match = _HEX.fullmatch(text)
    if match is None:
        return None
    return f"0x{int(match.group(1), 16):08X}"


def explain_hresult(hresult: str, message: str = "") -> str:
    """A merchant-readable explanation of an HRESULT reported by the Web Connector.

    Known codes get plain words and the code; anything else gets QuickBooks' own
    `message` (and the raw code) so nothing is lost.
    """
    code = normalize_hresult(hresult)
    said = message.strip()
    if code is not None and code in HRESULT_EXPLANATIONS:
        return f"{HRESULT_EXPLANATIONS[code]} (QuickBooks error {code})"
    shown = code or hresult.strip() or "(no code)"
    if code in _UNCONFIRMED:
        lead = (
            "QuickBooks refused the connection. Open QuickBooks with your company file, close any "
            "open QuickBooks windows, then run the Web Connector again."
        )
    else:
        lead = "QuickBooks or the Web Connector reported an error."
    if said:
        return f"{lead} QuickBooks said: \u201c{said}\u201d (QuickBooks error {shown})"
    return f"{lead} No description was given. (QuickBooks error {shown})"
