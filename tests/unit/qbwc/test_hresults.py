"""explain_hresult: merchant wording of the Web Connector's HRESULTs."""

from __future__ import annotations

import pytest

from chalicelib.qbwc.hresults import HRESULT_EXPLANATIONS, explain_hresult, normalize_hresult

# code -> words the explanation must contain (the SDK meaning, in plain words)
MEANINGS = {
    "0x80040400": ["could not read a request", "parsing"],
    "0x80040401": ["could not access QuickBooks"],
    "0x80040402": ["unexpected error"],
    "0x80040403": ["could not open the company file"],
    "0x80040408": ["could not be started"],
    "0x8004040A": ["different company file is open"],
    "0x80040410": ["different mode", "single-user or multi-user"],
    "0x80040414": ["dialog"],
    "0x80040416": ["not running", "no company file was named"],
    "0x80040417": ["no company file is open"],
    "0x80040418": ["first-time access", "Admin"],
    "0x8004041A": ["does not have permission", "Integrated Applications"],
    "0x8004041D": ["automatically", "login automatically"],
    "0x80040420": ["refused", "Integrated Applications"],
    "0x80040422": ["single-user mode", "another application"],
    "0x80040424": ["not finished starting up"],
}


@pytest.mark.parametrize("code", sorted(MEANINGS))
def test_known_codes_are_explained(code):
    text = explain_hresult(code, "QuickBooks' own words")
    for words in MEANINGS[code]:
        assert words in text
    assert text.endswith(f"(QuickBooks error {code})")
    assert "QuickBooks' own words" not in text


def test_explanations_are_distinct():
    assert len(set(HRESULT_EXPLANATIONS.values())) == len(HRESULT_EXPLANATIONS)


@pytest.mark.parametrize(
    "spelling", ["0x8004041d", "0X8004041D", "8004041D", "  0x8004041D\n", "-2147220451"]
)
def test_spellings_of_the_same_code(spelling):
    assert normalize_hresult(spelling) == "0x8004041D"
    assert explain_hresult(spelling) == explain_hresult("0x8004041D")


@pytest.mark.parametrize("junk", ["", "abc-def", "0x", "0x123456789", "-", "-99999999999"])
def test_normalize_rejects_non_hresults(junk):
    assert normalize_hresult(junk) is None


def test_unknown_code_falls_back_to_quickbooks_message():
    text = explain_hresult("0x80040999", "Something odd happened in QuickBooks.")
    assert "Something odd happened in QuickBooks." in text
    assert "0x80040999" in text


def test_unknown_code_without_message_says_so():
    text = explain_hresult("0x80040999")
    assert "No description was given" in text and "0x80040999" in text


def test_garbage_code_is_shown_raw_with_the_message():
    text = explain_hresult("not-a-code", "Could not start QuickBooks.")
    assert "not-a-code" in text and "Could not start QuickBooks." in text
    assert "(no code)" in explain_hresult("", "x")


@pytest.mark.parametrize("code", ["0x80040428", "0x8004043c"])
def test_codes_without_confirmed_meaning_keep_quickbooks_words(code):
    text = explain_hresult(code, "QuickBooks message here")
    assert "QuickBooks message here" in text
    assert "Open QuickBooks" in text
    assert code.upper().replace("0X", "0x") in text
