"""The rules' JSON (the REST API's body and what storage keeps): every valid rule reads back as it was written,
and a stored list reads back without the checks a new rule gets."""

from __future__ import annotations

import json

from hypothesis import given, settings

from chalicelib.rules import Rule, validate_rules
from chalicelib.sync.rules import _stored, rule_from_json, rule_to_json
from tests.unit.rules.strategies import rule_lists


@settings(max_examples=200, deadline=None)
@given(rules=rule_lists())
def test_every_valid_rule_reads_back_from_its_json(rules: list[Rule]) -> None:
    validate_rules(rules)
    documents = json.loads(json.dumps([rule_to_json(r) for r in rules]))  # through text, as stored and sent
    assert [rule_from_json(d, rule_id=d["id"]) for d in documents] == rules
    assert _stored(documents) == rules
