from __future__ import annotations

import pytest

from chalicelib.qbxml import QbxmlParseError, parse_xml
from chalicelib.qbxml.responses import parse_hcp_response, parse_message_set_response

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<QBXML><QBXMLMsgsRs><HostQueryRs statusCode="0" statusSeverity="Info" statusMessage="&lol9;"/></QBXMLMsgsRs></QBXML>
"""

XXE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE QBXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<QBXML><QBXMLMsgsRs><CompanyQueryRs statusCode="0" statusSeverity="Info">
<CompanyRet><CompanyName>&xxe;</CompanyName></CompanyRet></CompanyQueryRs></QBXMLMsgsRs></QBXML>
"""

XXE_PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<QBXML/>
"""

SIMPLE = '<?xml version="1.0" ?>\n<QBXML><QBXMLMsgsRs/></QBXML>'


def test_parses_bytes_and_str_alike() -> None:
    from_bytes = parse_xml(SIMPLE.encode())
    from_str = parse_xml(SIMPLE)
    assert from_bytes.tag == from_str.tag == "QBXML"
    assert from_str[0].tag == "QBXMLMsgsRs"


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="UTF-16"?>',
        "<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?>",
        '<?xml version="1.0" ?>',
    ],
)
def test_str_with_any_encoding_declaration_is_read_as_text(declaration: str) -> None:
    root = parse_xml(f"{declaration}\n<QBXML><Name>Café Ünïcode &amp; Co</Name></QBXML>")
    assert root.findtext("Name") == "Café Ünïcode & Co"


def test_bytes_honour_their_declared_encoding() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><QBXML><Name>Café</Name></QBXML>'.encode("latin-1")
    assert parse_xml(data).findtext("Name") == "Café"


def test_leading_blank_lines_and_bom_are_tolerated() -> None:
    assert parse_xml("\n\n  " + SIMPLE).tag == "QBXML"
    assert parse_xml(b"\r\n" + SIMPLE.encode()).tag == "QBXML"
    assert parse_xml("\ufeff" + SIMPLE).tag == "QBXML"
    assert parse_xml(b"\xef\xbb\xbf" + SIMPLE.encode()).tag == "QBXML"


def test_blank_text_is_removed() -> None:
    root = parse_xml("<QBXML>\n  <A>1</A>\n  <B>2</B>\n</QBXML>")
    assert root.text is None
    assert [c.tag for c in root] == ["A", "B"]


@pytest.mark.parametrize(
    "bad",
    ["", "   ", b"", "<QBXML>", "<QBXML></QBXMLMsgsRs>", "not xml at all", "<a/><b/>", "<a>&undefined;</a>"],
)
def test_malformed_input_raises_parse_error(bad: str | bytes) -> None:
    with pytest.raises(QbxmlParseError):
        parse_xml(bad)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(QbxmlParseError, ValueError)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE, XXE_PARAMETER_ENTITY])
def test_doctype_documents_are_rejected_as_str_and_bytes(document: str) -> None:
    for data in (document, document.encode()):
        with pytest.raises(QbxmlParseError, match="DOCTYPE"):
            parse_xml(data)


def test_doctype_hidden_by_utf16_encoding_is_still_rejected() -> None:
    # The byte scan cannot see "<!DOCTYPE" in UTF-16; the post-parse check must.
    data = XXE.replace('encoding="utf-8"', 'encoding="UTF-16"').encode("utf-16")
    assert b"<!DOCTYPE" not in data
    with pytest.raises(QbxmlParseError, match="DOCTYPE"):
        parse_xml(data)


def test_minimal_doctype_without_entities_is_rejected_too() -> None:
    with pytest.raises(QbxmlParseError, match="DOCTYPE"):
        parse_xml("<!DOCTYPE QBXML><QBXML/>")


def test_response_parsers_never_resolve_external_entities() -> None:
    with pytest.raises(QbxmlParseError):
        parse_hcp_response(XXE)
    with pytest.raises(QbxmlParseError):
        parse_message_set_response(XXE)
    with pytest.raises(QbxmlParseError):
        parse_message_set_response(BILLION_LAUGHS.encode())
