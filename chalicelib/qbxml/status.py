"""What a qbXML status code means, in words a merchant can act on.

Ranges (Intuit, "Status codes in response messages"): 0-499 Info (processed), 500-999 Warn
(processed, but the result may not be what was asked for), 1000 and up Error (nothing was done
and no data came back).

`retriable` is True when sending the same thing again can succeed without the merchant changing
anything in QuickBooks: a record locked by someone else (3170, 3175, 3176, 3180), a stale edit
sequence we can re-read (3200), a request skipped because an earlier one in the batch failed (3231),
or QuickBooks being temporarily unavailable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Severity", "StatusExplanation", "explain_status", "severity_for_code"]

Severity = Literal["Info", "Warn", "Error"]


@dataclass(frozen=True)
class StatusExplanation:
    code: int
    meaning: str
    """What happened, in plain words (ends with QuickBooks' own message when there is one)."""
    fix: str
    """What the merchant (or we, automatically) should do about it."""
    retriable: bool
    severity: Severity
    quickbooks_message: str = ""


def severity_for_code(code: int) -> Severity:
    """QuickBooks' severity for a status code: Info below 500, Warn below 1000, Error otherwise."""
    if 0 <= code < 500:
        return "Info"
    if 500 <= code < 1000:
        return "Warn"
    return "Error"


@dataclass(frozen=True)
class _Entry:
    meaning: str
    fix: str
    retriable: bool


_LOCKED_FIX = (
    "Nothing to change: we will try again automatically. If it keeps happening, close any QuickBooks "
    "window where that record is open (or ask the other QuickBooks users to), then sync again."
)

_KNOWN: dict[int, _Entry] = {
    0: _Entry("QuickBooks did what we asked.", "Nothing to do.", False),
    1: _Entry(
        "QuickBooks found nothing matching what we looked for.",
        "Nothing to do: this is a normal answer when a list or search is empty.",
        False,
    ),
    500: _Entry(
        "QuickBooks answered, but some of the names or records we asked about are not in QuickBooks.",
        "Check that the names mentioned below exist in QuickBooks (spelled the same way).",
        False,
    ),
    501: _Entry(
        "QuickBooks has a record it cannot send in the data format our app uses.",
        "Nothing to do for now; the record is skipped. Updating QuickBooks may help.",
        False,
    ),
    510: _Entry(
        "QuickBooks processed the request but could not send the record back.", "Nothing to do.", False
    ),
    530: _Entry(
        "QuickBooks ignored a field it does not support in this edition or version.",
        "Nothing to do; the rest was saved.",
        False,
    ),
    531: _Entry(
        "QuickBooks ignored a value it does not support in this edition or version.",
        "Nothing to do; the rest was saved.",
        False,
    ),
    550: _Entry(
        "The record was saved, but its notes could not be saved.",
        "Add the notes by hand in QuickBooks if you need them.",
        False,
    ),
    560: _Entry("QuickBooks accepted a field it plans to stop supporting.", "Nothing to do.", False),
    570: _Entry(
        "The record was saved, but it could not be linked to a transaction that is already closed.",
        "Link it by hand in QuickBooks if needed.",
        False,
    ),
    600: _Entry(
        "QuickBooks has no saved result for the earlier batch we asked about.",
        "Nothing to do: we will check our own records and resend what did not arrive.",
        False,
    ),
    1000: _Entry(
        "QuickBooks ran into an internal problem while handling the request.",
        "We will try again. If it keeps happening, restart QuickBooks and run "
        "File > Utilities > Verify Data.",
        True,
    ),
    1010: _Entry(
        "QuickBooks was not available.",
        "We will try again. Make sure QuickBooks is running and the company file is open.",
        True,
    ),
    1030: _Entry(
        "This version of QuickBooks does not support that kind of request.",
        "Updating QuickBooks may help; otherwise this feature is not available with your QuickBooks.",
        False,
    ),
    1060: _Entry(
        "Our request carried an invalid tracking number.",
        "Please contact support; this is a problem on our side.",
        False,
    ),
    3000: _Entry(
        "A QuickBooks record ID we sent is not valid; the record was probably deleted or belongs to "
        "another company file.",
        "Check that the right company file is open. If the record was deleted, refresh the lists in our app.",
        False,
    ),
    3010: _Entry(
        "A yes/no value we sent could not be read by QuickBooks.",
        "Please contact support; this is a problem on our side.",
        False,
    ),
    3020: _Entry(
        "A date we sent could not be read by QuickBooks.",
        "Check the dates on the order (for example an empty or impossible date) and sync again.",
        False,
    ),
    3030: _Entry(
        "A date range we sent has its start after its end.",
        "Check the date range and try again.",
        False,
    ),
    3040: _Entry(
        "An amount we sent could not be read by QuickBooks (for example too large or badly formatted).",
        "Check the amounts on the order and sync again.",
        False,
    ),
    3070: _Entry(
        "A piece of text is longer than QuickBooks allows for that field (names are limited to 41 "
        "characters, for example).",
        "Shorten the text mentioned below, or turn on shortening in our settings, then sync again.",
        False,
    ),
    3100: _Entry(
        "The name is already in use in QuickBooks. QuickBooks needs names to be unique across "
        "customers, vendors, employees and other names (and within the item list).",
        "Use the existing record (match it in our app) or choose a different name, then sync again.",
        False,
    ),
    3110: _Entry(
        "QuickBooks could not use a value we sent for that kind of record.",
        "Check the record mentioned below and sync again.",
        False,
    ),
    3120: _Entry(
        "A record we referred to no longer exists in QuickBooks; it was probably deleted or merged.",
        "Refresh the lists in our app and re-map anything that pointed to the deleted record.",
        False,
    ),
    3130: _Entry(
        "The parent record (for example the parent customer of a job or the parent account) does not "
        "exist in QuickBooks.",
        "Create the parent in QuickBooks, or change the mapping in our app, then sync again.",
        False,
    ),
    3140: _Entry(
        "Something we referred to (a customer, item, account, tax code, class or payment method) does "
        "not exist in QuickBooks under that name, or is inactive.",
        "Create or reactivate it in QuickBooks, or map it to an existing one in our app, then sync again.",
        False,
    ),
    3150: _Entry(
        "QuickBooks says something it needs was missing from the request.",
        "Fill in the missing information named below (or its mapping in our app) and sync again.",
        False,
    ),
    3170: _Entry(
        "QuickBooks could not change the record, usually because someone has it open or the list is "
        "being changed by another user.",
        _LOCKED_FIX,
        True,
    ),
    3171: _Entry(
        "The transaction is dated on or before the company's closing date, and QuickBooks protects "
        "closed periods.",
        "Change the transaction date, or have the QuickBooks administrator adjust the closing date "
        "(Edit > Preferences > Accounting > Company Preferences), then sync again.",
        False,
    ),
    3175: _Entry(
        "QuickBooks could not lock the record to change it because another user or window is using it.",
        _LOCKED_FIX,
        True,
    ),
    3176: _Entry(
        "The record is in use by another QuickBooks user or window.",
        _LOCKED_FIX,
        True,
    ),
    3180: _Entry(
        "QuickBooks could not save the record. Often a record involved was open or locked at that moment.",
        "We will try again. If it keeps failing, read QuickBooks' message below: it names the real "
        "cause (for example a credit limit or a closed period).",
        True,
    ),
    3190: _Entry(
        "We tried to blank out a field QuickBooks requires.",
        "Please contact support; this is a problem on our side.",
        False,
    ),
    3200: _Entry(
        "The record was changed in QuickBooks after we last read it, so our copy was out of date.",
        "Nothing to change: we re-read the record and try again automatically.",
        True,
    ),
    3210: _Entry(
        "QuickBooks rejected a value on the record (for example paying more than an invoice's balance, "
        "or an amount that does not add up).",
        "Read QuickBooks' message below, correct that value in the order or in QuickBooks, then sync again.",
        False,
    ),
    3231: _Entry(
        "This request was not processed because an earlier request in the same batch failed.",
        "Nothing to change here: fix the earlier error (if any) and we will send this one again.",
        True,
    ),
    3250: _Entry(
        "The feature this needs is turned off in QuickBooks or not available in your edition "
        "(for example sales tax, inventory, classes or multiple currencies).",
        "Turn the feature on in QuickBooks (Edit > Preferences) or stop using it in our app's settings.",
        False,
    ),
    3260: _Entry(
        "The QuickBooks user our app logs in as does not have permission to do this.",
        "In QuickBooks, give our app's login the needed rights (Company > Users) or let it log in as "
        "the administrator (Edit > Preferences > Integrated Applications), then sync again.",
        False,
    ),
    3261: _Entry(
        "Our app is not allowed to see personal data (such as Social Security or credit card numbers) "
        "in QuickBooks.",
        "As the QuickBooks administrator, open Edit > Preferences > Integrated Applications > Company "
        "Preferences, select our app, click Properties and allow access to personal data.",
        False,
    ),
    3270: _Entry(
        "An account QuickBooks needs to record this is missing (for example an item without an income "
        "account, or no Undeposited Funds / sales tax account).",
        "Set up the missing account in QuickBooks (or on the item mentioned below), then sync again.",
        False,
    ),
    9001: _Entry(
        "QuickBooks could not verify the data it received (its integrity check failed), so it did nothing.",
        "We will send it again. If it keeps happening, please contact support.",
        True,
    ),
}

# 3180 is often a lock, but QuickBooks uses it for any failed save; some causes are permanent.
_PERMANENT_SAVE_FAILURES = re.compile(r"credit limit|closing date|not in balance", re.IGNORECASE)


def _clean(message: str) -> str:
    return " ".join(message.split())


def explain_status(code: int, message: str = "") -> StatusExplanation:
    """Explain a qbXML `statusCode` (with QuickBooks' `statusMessage`, if any) for a merchant."""
    severity = severity_for_code(code)
    qb_message = _clean(message)
    known = code in _KNOWN
    entry = _KNOWN[code] if known else _generic(code, severity)
    retriable = entry.retriable
    if code == 3180 and _PERMANENT_SAVE_FAILURES.search(qb_message):
        retriable = False
    meaning = entry.meaning
    if qb_message and (code >= 500 or not known):
        meaning = f'{meaning} QuickBooks said: "{qb_message}"'
    return StatusExplanation(
        code=code,
        meaning=meaning,
        fix=entry.fix,
        retriable=retriable,
        severity=severity,
        quickbooks_message=qb_message,
    )


def _generic(code: int, severity: Severity) -> _Entry:
    if severity == "Info":
        return _Entry("QuickBooks handled the request.", "Nothing to do.", False)
    if severity == "Warn":
        return _Entry(
            "QuickBooks handled the request, with a warning.",
            "Check the result in QuickBooks if the warning below matters to you.",
            False,
        )
    if 2000 <= code < 3000:
        return _Entry(
            "QuickBooks does not support this request in this edition or version.",
            "Updating QuickBooks may help; otherwise please contact support.",
            False,
        )
    return _Entry(
        f"QuickBooks refused the request (error {code}).",
        "Read QuickBooks' message below; if it does not say what to change, please contact support.",
        False,
    )
