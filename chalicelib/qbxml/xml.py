"""Safe parsing of qbXML text (requests we built, responses QuickBooks sent).

QuickBooks and the Web Connector never use a DOCTYPE, so any document that carries one is refused
outright: that closes the door on entity-expansion ("billion laughs") and external-entity (XXE) tricks
before lxml sees them, and the parser itself is configured never to load DTDs, resolve entities or
touch the network as a second line of defence.
"""

from __future__ import annotations

import re

from lxml import etree

from chalicelib.xml_safety import XmlRefused, parse_untrusted

__all__ = ["QbxmlParseError", "parse_xml"]


class QbxmlParseError(ValueError):
    """The text is not a well-formed, DOCTYPE-free XML document."""


# `<?xml version="1.0" encoding="..."?>` at the very start of a str (after an optional BOM / blanks).
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml(?:\s[^?]*)?\?>")


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
    try:
        root = parse_untrusted(raw, remove_blank_text=True)
    except XmlRefused as exc:
        if exc.reason == "doctype":
            raise QbxmlParseError(
                "document contains a DOCTYPE, which qbXML never uses; refusing to parse it"
            ) from None
        if exc.reason == "empty":
            raise QbxmlParseError("empty document: expected qbXML") from None
        raise QbxmlParseError(f"malformed XML: {exc.detail}") from None
    return root
