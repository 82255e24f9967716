"""Shared helpers for the qbXML tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.paths import QBXML_REFERENCE, QBXML_SAMPLES

CATALOGUE = QBXML_REFERENCE / "qbxmlops130-annotated-sample.xml"
RESPONSE_SAMPLE_DIRS = ("synthesized", "qbwc-qbxml-spec", "hotglue-qbwc-common", "bill-ash-qbwc")


def response_samples() -> list[Path]:
    """Every response sample: `*_rs.xml`, `*Rs*.xml`, `*response*.xml` in the four sample sets."""
    found: set[Path] = set()
    for folder in RESPONSE_SAMPLE_DIRS:
        for pattern in ("*_rs.xml", "*Rs*.xml", "*response*.xml"):
            found.update((QBXML_SAMPLES / folder).glob(pattern))
    return sorted(found)


def sample(relative: str) -> bytes:
    return (QBXML_SAMPLES / relative).read_bytes()


@pytest.fixture(scope="session")
def catalogue_ret_children() -> dict[str, set[str]]:
    """For each *Ret element in the response half of Intuit's annotated 13.0 catalogue, the names of
    its direct children (what IncludeRetElement may name)."""
    parser = etree.XMLParser(remove_comments=True, huge_tree=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(CATALOGUE), parser).getroot()
    msgs_rs = root.find("QBXMLMsgsRs")
    assert msgs_rs is not None
    children: dict[str, set[str]] = {}
    for rs in msgs_rs:
        for ret in rs:
            if isinstance(ret.tag, str) and ret.tag.endswith("Ret") and ret.tag not in children:
                children[ret.tag] = {c.tag for c in ret if isinstance(c.tag, str)}
    return children
