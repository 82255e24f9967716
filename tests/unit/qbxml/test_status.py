from __future__ import annotations

import pytest

from chalicelib.qbxml import StatusExplanation, explain_status, severity_for_code

JARGON = ("qbXML", "ListID", "TxnID", "EditSequence", "statusCode", "requestID", "Rq", "Rs ")

REQUIRED = [0, 1, 500, 501, 510, 530, 531, 550, 560, 570, 600, 3000, 3020, 3040, 3070, 3100, 3120, 3140]
REQUIRED += [3150, 3170, 3171, 3175, 3176, 3180, 3200, 3210, 3231, 3250, 3260, 3261, 3270, 9001]


@pytest.mark.parametrize("code", REQUIRED)
def test_every_required_code_has_a_specific_plain_explanation(code: int) -> None:
    explanation = explain_status(code)
    generic = explain_status(987_654)
    assert isinstance(explanation, StatusExplanation)
    assert explanation.code == code
    assert explanation.meaning and explanation.fix
    assert explanation.meaning != generic.meaning
    for word in JARGON:
        assert word not in explanation.meaning and word not in explanation.fix, (code, word)


@pytest.mark.parametrize("code", [3170, 3175, 3176, 3180, 3200, 3231])
def test_retriable_codes(code: int) -> None:
    assert explain_status(code).retriable is True


@pytest.mark.parametrize(
    "code", [0, 1, 500, 3000, 3020, 3040, 3070, 3100, 3120, 3140, 3150, 3171, 3210, 3250]
)
def test_codes_that_need_the_merchant_or_nothing_are_not_retriable(code: int) -> None:
    assert explain_status(code).retriable is False


@pytest.mark.parametrize("code", [3260, 3261, 3270])
def test_permission_and_setup_codes_are_not_retriable(code: int) -> None:
    assert explain_status(code).retriable is False


@pytest.mark.parametrize(
    ("code", "severity"),
    [(0, "Info"), (1, "Info"), (499, "Info"), (500, "Warn"), (530, "Warn"), (999, "Warn"), (1000, "Error")],
)
def test_severity_ranges(code: int, severity: str) -> None:
    assert severity_for_code(code) == severity
    assert explain_status(code).severity == severity
    assert explain_status(3100).severity == "Error"


def test_specific_meanings() -> None:
    assert "already in use" in explain_status(3100).meaning
    assert "too long" in explain_status(3070).meaning.lower() or "longer" in explain_status(3070).meaning
    assert "changed in QuickBooks after we last read it" in explain_status(3200).meaning
    assert "earlier request" in explain_status(3231).meaning
    assert "closing date" in explain_status(3171).meaning
    assert "personal data" in explain_status(3261).meaning
    assert "Integrated Applications" in explain_status(3261).fix
    assert "found nothing" in explain_status(1).meaning


def test_quickbooks_message_is_quoted_cleaned_and_kept() -> None:
    raw = '  The name "Harbor Kayak Club"  of the list element is already in use. '
    explanation = explain_status(3100, raw)
    cleaned = 'The name "Harbor Kayak Club" of the list element is already in use.'
    assert explanation.quickbooks_message == cleaned
    assert explanation.meaning.endswith(f'QuickBooks said: "{cleaned}"')


def test_status_ok_message_is_not_repeated() -> None:
    assert "QuickBooks said" not in explain_status(0, "Status OK").meaning
    assert explain_status(0, "Status OK").quickbooks_message == "Status OK"


def test_unknown_error_code_is_generic_but_includes_quickbooks_message() -> None:
    explanation = explain_status(3999, "Something odd about the Foo field.")
    assert explanation.severity == "Error"
    assert explanation.retriable is False
    assert "3999" in explanation.meaning
    assert "Something odd about the Foo field." in explanation.meaning
    assert explanation.fix


def test_unknown_warning_and_info_codes() -> None:
    assert explain_status(777, "Heads up").severity == "Warn"
    assert "Heads up" in explain_status(777, "Heads up").meaning
    assert explain_status(42).severity == "Info"
    assert explain_status(2100).severity == "Error"


def test_3180_with_a_permanent_cause_is_not_retriable() -> None:
    locked = explain_status(3180, "There was an error when saving a Invoice. QuickBooks error message: ...")
    assert locked.retriable is True
    credit = explain_status(
        3180,
        "There was an error when saving a Invoice. QuickBooks error message: "
        "The credit limit for the name on this transaction has been exceeded.",
    )
    assert credit.retriable is False
    assert "credit limit" in credit.meaning
