from __future__ import annotations

from typing import Any, cast

import pytest
from lxml import etree

from chalicelib.qbxml import (
    CLEAR_ALL_MESSAGE_SETS,
    account_query,
    customer_query,
    host_query,
    item_query,
    parse_xml,
    render_clear_error_recovery,
    render_error_recovery_query,
    render_message_set,
)
from ledgerbridge.qbxml_schema import schema_errors
from tests.paths import QBXML_SAMPLES

from .conftest import sample


def _prolog(document: str) -> list[str]:
    return document.splitlines()[:2]


def _msgs_rq(document: str) -> etree._Element:
    root = parse_xml(document)
    assert root.tag == "QBXML"
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None
    return msgs


def _qbxml_pi(document: str) -> str:
    tree = etree.fromstring(document.encode()).getroottree()
    pis = tree.xpath('/processing-instruction("qbxml")')
    assert isinstance(pis, list) and len(pis) == 1
    return str(getattr(pis[0], "text", ""))


def test_message_set_shape_and_validity() -> None:
    document = render_message_set([host_query("1"), account_query("2")])
    assert _prolog(document) == ['<?xml version="1.0" encoding="utf-8"?>', '<?qbxml version="13.0"?>']
    assert _qbxml_pi(document) == 'version="13.0"'
    msgs = _msgs_rq(document)
    assert dict(msgs.items()) == {"onError": "continueOnError"}
    assert [(c.tag, c.get("requestID")) for c in msgs] == [("HostQueryRq", "1"), ("AccountQueryRq", "2")]
    assert schema_errors(document) == []


def test_stop_on_error_version_and_message_set_ids() -> None:
    document = render_message_set(
        [customer_query("c-1", full_names=["Harbor Kayak Club"])],
        version="12.0",
        on_error="stopOnError",
        new_message_set_id="set-2024-0001",
        old_message_set_id="set-2024-0000",
    )
    assert _qbxml_pi(document) == 'version="12.0"'
    msgs = _msgs_rq(document)
    assert msgs.get("onError") == "stopOnError"
    assert msgs.get("newMessageSetID") == "set-2024-0001"
    assert msgs.get("oldMessageSetID") == "set-2024-0000"
    assert schema_errors(document) == []


def test_message_set_id_length_limit_is_23() -> None:
    ok = "x" * 23
    assert _msgs_rq(render_message_set([], new_message_set_id=ok)).get("newMessageSetID") == ok
    with pytest.raises(ValueError, match="23"):
        render_message_set([], new_message_set_id="x" * 24)
    with pytest.raises(ValueError, match="23"):
        render_message_set([], old_message_set_id="x" * 24)
    with pytest.raises(ValueError):
        render_message_set([], new_message_set_id="")
    with pytest.raises(ValueError):
        render_error_recovery_query("y" * 24)
    with pytest.raises(ValueError):
        render_clear_error_recovery("y" * 24)


@pytest.mark.parametrize("version", ["13", "v13.0", "13.0.1", "", '13.0"?><x'])
def test_bad_version_is_refused(version: str) -> None:
    with pytest.raises(ValueError):
        render_message_set([host_query("1")], version=version)


def test_rollback_on_error_is_refused() -> None:
    with pytest.raises(ValueError):
        render_message_set([host_query("1")], on_error=cast(Any, "rollbackOnError"))


def test_non_request_elements_are_refused() -> None:
    with pytest.raises(ValueError):
        render_message_set([etree.Element("CustomerRet")])


def test_requests_are_copied_not_moved() -> None:
    request = item_query("i-1", iterator="Start", max_returned=50)
    render_message_set([request])
    render_message_set([request])
    assert request.getparent() is None
    assert request.get("requestID") == "i-1"


def test_special_characters_are_escaped() -> None:
    document = render_message_set([customer_query("q&1", full_names=['Ben & Jerry\'s "Shop" <1>'])])
    msgs = _msgs_rq(document)
    assert msgs[0].get("requestID") == "q&1"
    assert msgs[0].findtext("FullName") == 'Ben & Jerry\'s "Shop" <1>'
    assert schema_errors(document) == []


def test_error_recovery_query_matches_intuit_sample_and_validates() -> None:
    document = render_error_recovery_query("AB1F2395")
    msgs = _msgs_rq(document)
    intuit = parse_xml(sample("intuit-sdk-samples/legacy__ErrRecovery2.xml")).find("QBXMLMsgsRq")
    assert intuit is not None
    assert dict(msgs.items()) == dict(intuit.items())
    assert len(msgs) == 0
    assert schema_errors(document) == []


def test_clear_error_recovery_matches_intuit_sample_and_validates() -> None:
    document = render_clear_error_recovery("AB1F2395")
    msgs = _msgs_rq(document)
    intuit = parse_xml(sample("intuit-sdk-samples/legacy__ErrRecovery3.xml")).find("QBXMLMsgsRq")
    assert intuit is not None
    assert dict(msgs.items()) == dict(intuit.items())
    assert "newMessageSetID" not in msgs.attrib
    assert len(msgs) == 0
    assert schema_errors(document) == []


def test_clear_all_message_sets() -> None:
    document = render_clear_error_recovery(CLEAR_ALL_MESSAGE_SETS, version="8.0")
    assert _msgs_rq(document).get("oldMessageSetID") == "ClearAllMessageSets"
    assert _qbxml_pi(document) == 'version="8.0"'
    assert schema_errors(document) == []


def test_empty_message_set_is_written_with_open_and_close_tags() -> None:
    assert "></QBXMLMsgsRq>" in render_error_recovery_query("AB1F2395")


def test_schema_check_catches_wrong_element_order() -> None:
    # ActiveStatus must follow MaxReturned in ListFilter; swap them by hand.
    good = item_query("i-1", max_returned=10)
    bad = etree.Element("ItemQueryRq", requestID="i-1")
    etree.SubElement(bad, "ActiveStatus").text = "All"
    etree.SubElement(bad, "MaxReturned").text = "10"
    assert [c.tag for c in good] == ["MaxReturned", "ActiveStatus"]
    assert schema_errors(render_message_set([good])) == []
    errors = schema_errors(render_message_set([bad]))
    assert errors and any("MaxReturned" in e for e in errors)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (QBXML_SAMPLES / "synthesized" / "invalid").glob("*.xml")),
)
def test_schema_check_rejects_every_invalid_fixture(name: str) -> None:
    assert schema_errors(sample(f"synthesized/invalid/{name}")) != []
