"""Parsing XML that came from outside (SOAP bodies, qbXML relayed by the Web Connector) safely.

One rule for the whole service: a document with a DOCTYPE is refused before the parser sees it, so no DTD,
entity declaration, entity expansion (billion laughs) or external fetch (XXE) can ever happen; the parser
is also configured to resolve nothing and reach no network, and the parsed tree is checked again for a
DTD in case an encoding hid the declaration from the byte scan.
"""

from __future__ import annotations

from typing import Literal

from lxml import etree


class XmlRefused(ValueError):
    """The document is not acceptable: `reason` says why, `detail` is the parser's own message."""

    def __init__(self, reason: Literal["empty", "doctype", "malformed"], detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _prolog_text(body: bytes) -> str:
    """The body as text, good enough to read the prolog's ASCII markup in the encodings XML allows."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    if body[:2] == b"<\x00":
        return body.decode("utf-16-le", errors="replace")
    if body[:2] == b"\x00<":
        return body.decode("utf-16-be", errors="replace")
    return body.removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def has_doctype(body: bytes) -> bool:
    """Whether a DOCTYPE declaration precedes the root element (only the prolog is read:
    XML declaration, processing instructions, comments and whitespace)."""
    text = _prolog_text(body)
    index, end = 0, len(text)
    while index < end:
        if text[index] in " \t\r\n":
            index += 1
        elif text.startswith("<?", index):
            close = text.find("?>", index + 2)
            if close < 0:
                return False  # malformed; the parser will say so
            index = close + 2
        elif text.startswith("<!--", index):
            close = text.find("-->", index + 4)
            if close < 0:
                return False
            index = close + 3
        else:
            return text[index : index + 9].upper() == "<!DOCTYPE"
    return False


def parse_untrusted(body: bytes, *, remove_blank_text: bool = False) -> etree._Element:
    """Parse `body` into its root element, or raise `XmlRefused`."""
    if not body.strip():
        raise XmlRefused("empty")
    if has_doctype(body):
        raise XmlRefused("doctype")
    # A fresh parser per call: lxml parsers keep state and are not safe to share between threads.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=remove_blank_text,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused("malformed", str(exc)) from None
    except ValueError as exc:  # e.g. an encoding lxml cannot handle
        raise XmlRefused("malformed", str(exc)) from None
    if root is None:
        raise XmlRefused("empty")
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("doctype")
    return root
