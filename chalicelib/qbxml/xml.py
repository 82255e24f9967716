"""Safe parsing of qbXML text (requests we built, responses QuickBooks sent).

QuickBooks and the Web Connector never use a DOCTYPE, so any document that carries one is refused
outright: that closes the door on entity-expansion ("billion laughs") and external-entity (XXE) tricks
before lxml sees them, and the parser itself is configured never to load DTDs, resolve entities or
touch the network as a second line of defence.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["QbxmlParseError", "parse_xml"]


class QbxmlParseError(ValueError):
    """The text is not a well-formed, DOCTYPE-free XML document."""


# `<?xml version="1.0" encoding="..."?>` at the very start of a str (after an optional BOM / blanks).
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml(?:\s[^?]*)?\?>")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _new_parser() -> etree.XMLParser:
    # One parser per call: lxml parsers keep state and are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def _to_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        # lxml refuses a str that still declares an encoding ("Unicode strings with encoding
        # declaration are not supported"), and the declaration would be a lie once we encode
        # to UTF-8 anyway. Drop it; the parser then reads the bytes as UTF-8.
        return _XML_DECLARATION.sub("", data, count=1).lstrip("\ufeff").encode("utf-8")
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return data  # a byte-order mark must stay first; lxml handles it
    return data.lstrip(b" \t\r\n")  # blank lines before `<?xml` are an error in strict XML


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse qbXML text into its root element.

    Accepts bytes (encoding taken from the XML declaration, UTF-8 by default) or str (as QuickBooks
    hands responses to the Web Connector, typically starting with `<?xml version="1.0" ?>`).

    Raises `QbxmlParseError` for empty input, malformed XML, and any document containing a DOCTYPE.
    Entities are never expanded, no DTD is loaded and nothing is fetched from disk or network.
    """
    raw = _to_bytes(data)
    if not raw.strip():
        raise QbxmlParseError("empty document: expected qbXML")
    if _DOCTYPE.search(raw):
        raise QbxmlParseError("document contains a DOCTYPE, which qbXML never uses; refusing to parse it")
    try:
        root = etree.fromstring(raw, _new_parser())
    except etree.XMLSyntaxError as exc:
        raise QbxmlParseError(f"malformed XML: {exc}") from exc
    except ValueError as exc:  # e.g. an encoding lxml cannot handle
        raise QbxmlParseError(f"unreadable XML: {exc}") from exc
    if root is None:
        raise QbxmlParseError("empty document: expected qbXML")
    # Second check for encodings the byte scan cannot see through (UTF-16 and the like).
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise QbxmlParseError("document contains a DOCTYPE, which qbXML never uses; refusing to parse it")
    return root
