"""The official qbXML 13.0 schema, loaded once, for the company simulator and the tests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).parent / "schema"
ENTRY_POINT = SCHEMA_DIR / "qbxmlops130.xsd"


@lru_cache(maxsize=1)
def qbxml13_schema() -> etree.XMLSchema:
    """Parse `qbxmlops130.xsd` (which includes the three other files beside it)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(ENTRY_POINT), parser))


def schema_errors(qbxml: str | bytes) -> list[str]:
    """Every violation of the 13.0 schema in a qbXML document, as `line N: message`; empty when valid.

    A document that is not well-formed XML yields one error saying so.
    """
    data = qbxml.encode("utf-8") if isinstance(qbxml, str) else qbxml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        doc = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = qbxml13_schema()
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]
