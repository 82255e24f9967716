"""The summary job settles only answers that answer its whole message set (review finding 5): any request left out,
or a request it did not send, or another set's newMessageSetID, is a ForeignAnswer, never "QuickBooks has nothing"
(an Add) nor "done" (a Mod recorded as posted). The whole-session behaviour is in
tests/e2e/test_summary_transactions_e2e.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.qbxml.responses import MessageSetResponse, QbResponse
from chalicelib.sync.jobs import ForeignAnswer
from chalicelib.sync.summary_transactions import _check_answers

REQUEST_IDS = st.sets(
    st.from_regex(r"sum[0-9a-f]{10}-d[0-2]-(sale|credit)", fullmatch=True), min_size=1, max_size=6
)


def _answer(request_ids: set[str], set_id: str | None = None) -> MessageSetResponse:
    return MessageSetResponse(
        responses=tuple(
            QbResponse("SalesReceiptAdd", rid, 0, "Info", "Status OK", None, None, ())
            for rid in sorted(request_ids)
        ),
        new_message_set_id=set_id,
    )


@given(asked=REQUEST_IDS)
def test_an_answer_to_every_request_is_accepted(asked: set[str]) -> None:
    _check_answers(_answer(asked, "sumabc"), asked, "sumabc")
    _check_answers(_answer(asked), asked, "sumabc")  # QuickBooks echoing no set id is not a stranger's answer


@given(asked=REQUEST_IDS, data=st.data())
def test_an_answer_leaving_any_request_out_settles_nothing(asked: set[str], data: st.DataObject) -> None:
    answered = data.draw(st.sets(st.sampled_from(sorted(asked)), max_size=len(asked) - 1))
    with pytest.raises(ForeignAnswer):
        _check_answers(_answer(answered), asked)


@given(asked=REQUEST_IDS, stranger=st.from_regex(r"sum[0-9a-f]{10}-q[0-2]-sale", fullmatch=True))
def test_an_answer_with_a_request_not_sent_settles_nothing(asked: set[str], stranger: str) -> None:
    with pytest.raises(ForeignAnswer):
        _check_answers(_answer(asked | {stranger}), asked)


@given(asked=REQUEST_IDS)
def test_another_sets_answer_settles_nothing(asked: set[str]) -> None:
    with pytest.raises(ForeignAnswer):
        _check_answers(_answer(asked, "sumffffffffff"), asked, "sum0000000000")
