"""The .qwc file: rendering, parsing (every reference sample), and the Web Connector's URL rules."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from lxml import etree

from chalicelib.qbwc.qwc import (
    AUTH_FLAG_FORCE_AUTH_DIALOG,
    AUTH_FLAGS_ALL_EDITIONS,
    QwcError,
    QwcFile,
    check_app_url,
    parse_qwc,
    render_qwc,
)
from tests.paths import QBWC_REFERENCE

SAMPLES = sorted((QBWC_REFERENCE / "qwc").glob("*.qwc"))

OWNER = uuid.UUID("90a44fb7-33d9-4815-ac85-ac86a7e7d1eb")
FILE = uuid.UUID("57f3b9b6-86f1-4fcc-b1ff-967de1813d20")


def make(**changes) -> QwcFile:
    base = QwcFile(
        app_name="Ledgerbridge (Acme & Sons)",
        app_url="https://qbwc.ledgerbridge.example/qbwc/acme",
        app_support="https://qbwc.ledgerbridge.example/support",
        user_name="acme-store",
        owner_id=OWNER,
        file_id=FILE,
        app_description="Orders from <Shopify> to QuickBooks",
        run_every_minutes=15,
        unattended_mode_pref="umpOptional",
        personal_data_pref="pdpNotNeeded",
    )
    return dataclasses.replace(base, **changes)


def test_render_uses_intuit_sample_order_and_formats():
    text = render_qwc(make())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<QBWCXML>')
    root = etree.fromstring(text.encode("utf-8"))
    assert [child.tag for child in root] == [
        "AppName",
        "AppID",
        "AppURL",
        "AppDescription",
        "AppSupport",
        "UserName",
        "OwnerID",
        "FileID",
        "QBType",
        "Style",
        "AuthFlags",
        "PersonalDataPref",
        "UnattendedModePref",
        "Scheduler",
        "IsReadOnly",
    ]
    assert root.findtext("OwnerID") == "{90A44FB7-33D9-4815-AC85-AC86A7E7D1EB}"
    assert root.findtext("FileID") == "{57F3B9B6-86F1-4FCC-B1FF-967DE1813D20}"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
    assert root.findtext("AuthFlags") == "0xF"
    assert root.findtext("Style") == "Document"
    assert root.findtext("QBType") == "QBFS"
    assert root.findtext("IsReadOnly") == "false"


def test_text_is_escaped():
    text = render_qwc(make())
    assert "<AppName>Ledgerbridge (Acme &amp; Sons)</AppName>" in text
    assert "Orders from &lt;Shopify&gt; to QuickBooks" in text


def test_optional_elements_are_omitted_when_unset():
    text = render_qwc(
        make(run_every_minutes=None, unattended_mode_pref=None, personal_data_pref=None, style=None)
    )
    for tag in ("Scheduler", "UnattendedModePref", "PersonalDataPref", "Style"):
        assert f"<{tag}>" not in text


@pytest.mark.parametrize(
    "q",
    [
        make(),
        make(
            run_every_minutes=None,
            is_read_only=True,
            auth_flags=AUTH_FLAGS_ALL_EDITIONS | AUTH_FLAG_FORCE_AUTH_DIALOG,
        ),
        make(app_url="http://localhost:8000/qbwc", app_support="http://localhost:8000/help", app_id="LB"),
        make(
            unattended_mode_pref="umpRequired",
            personal_data_pref="pdpRequired",
            qb_type="QBPOS",
            auth_flags=None,
        ),
    ],
)
def test_render_then_parse_round_trips(q):
    assert parse_qwc(render_qwc(q)) == q


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_reference_sample_parses(path):
    q = parse_qwc(path.read_text(encoding="utf-8"))
    assert q.app_name and q.app_url and q.user_name
    assert q.qb_type == "QBFS"
    # Bytes parse the same as text.
    assert parse_qwc(path.read_bytes()) == q
    root = etree.parse(str(path)).getroot()
    assert str(q.owner_id).upper() in (root.findtext("OwnerID") or "").upper()


def test_sample_details_are_read():
    bill_ash = parse_qwc((QBWC_REFERENCE / "qwc" / "bill-ash-sample-lowercase-guids.qwc").read_bytes())
    assert bill_ash.owner_id == uuid.UUID("63293baf-fc64-4747-afa4-3fb5861c9f48")
    assert bill_ash.user_name == "511829ea-f359-43cb-a885-844ebd8aabb1"
    assert bill_ash.run_every_minutes == 90
    assert bill_ash.auth_flags is None and bill_ash.style is None
    flowlink = parse_qwc((QBWC_REFERENCE / "qwc" / "flowlink-sample-appid-authflags.qwc").read_text())
    assert (flowlink.app_id, flowlink.auth_flags, flowlink.style) == ("WombatQBDesktop", 0xF, "Document")
    assert flowlink.app_description == "Pablo's integration"
    consolibyte = parse_qwc((QBWC_REFERENCE / "qwc" / "consolibyte-example-localhost.qwc").read_text())
    assert consolibyte.is_read_only is False and consolibyte.run_every_minutes == 1
    assert consolibyte.file_id == uuid.UUID("57F3B9B6-86F1-4FCC-B1FF-967DE1813D20")


@pytest.mark.parametrize(
    "url",
    [
        "https://qbwc.ledgerbridge.example/qbwc",
        "HTTPS://QBWC.ledgerbridge.example:8443/qbwc?t=1",
        "http://localhost/WCWebService/WCWebService.asmx",
        "http://localhost:8000/wsdl",
    ],
)
def test_accepted_app_urls(url):
    check_app_url(url)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://qbwc.ledgerbridge.example/qbwc", "only accepts https"),
        ("http://localhost.attacker.example/qbwc", "only accepts https"),
        ("http://192.168.0.175:3000/api/", "only accepts https"),
        ("ftp://qbwc.ledgerbridge.example/qbwc", "not an absolute http(s) URL"),
        ("/qbwc", "not an absolute http(s) URL"),
        ("https:///qbwc", "not an absolute http(s) URL"),
    ],
)
def test_refused_app_urls(url, words):
    with pytest.raises(QwcError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_app_url(url)


def test_qwc_error_is_a_value_error():
    assert issubclass(QwcError, ValueError)


def test_support_url_must_be_on_the_app_url_host():
    check_app_url("https://a.example.com/qbwc", app_support="http://A.example.com/help")  # scheme not checked
    with pytest.raises(QwcError, match="not on the AppURL's host"):
        check_app_url("https://a.example.com/qbwc", app_support="https://b.example.com/help")
    with pytest.raises(QwcError, match="AppSupport"):
        check_app_url("https://a.example.com/qbwc", app_support="mailto:help@a.example.com")


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("intuit-sdk-WCWebService-HTTPSWebService.qwc", True),  # https AppURL, http AppSupport, same host
        ("intuit-sdk-WCWebService-HTTPWebService.qwc", True),  # localhost
        ("flowlink-sample-appid-authflags.qwc", True),
        ("consolibyte-example-https.qwc", False),  # AppSupport on www.domain.com, AppURL on secure.domain.com
        ("intuit-proguide-listing-4-1-WCWebService1.qwc", False),  # AppSupport on developer.intuit.com
    ],
)
def test_url_rules_on_reference_samples(name, accepted):
    q = parse_qwc((QBWC_REFERENCE / "qwc" / name).read_text())
    if accepted:
        check_app_url(q.app_url, app_support=q.app_support)
    else:
        with pytest.raises(QwcError):
            check_app_url(q.app_url, app_support=q.app_support)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"app_url": "http://qbwc.ledgerbridge.example/qbwc"}, "https"),
        ({"app_support": "https://elsewhere.example/support"}, "host"),
        ({"user_name": "  "}, "UserName"),
        ({"app_name": ""}, "AppName"),
        ({"run_every_minutes": 0}, "RunEveryNMinutes"),
        ({"auth_flags": 0}, "AuthFlags"),
        ({"auth_flags": 0x10}, "AuthFlags"),
        ({"qb_type": "QBOE"}, "QBType"),
        ({"unattended_mode_pref": "umpSometimes"}, "UnattendedModePref"),
        ({"personal_data_pref": "pdpMaybe"}, "PersonalDataPref"),
        ({"app_description": "bell \x07"}, "XML"),
    ],
)
def test_render_refuses_a_file_the_web_connector_would_refuse(changes, words):
    with pytest.raises(QwcError, match=words):
        render_qwc(make(**changes))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("<QBWCXML><AppName>x</AppName>", "well-formed"),
        ("<Other/>", "QBWCXML"),
        (
            '<!DOCTYPE QBWCXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><QBWCXML><AppName>&x;</AppName></QBWCXML>',
            "DOCTYPE",
        ),
    ],
)
def test_parse_refuses_non_qwc_documents(text, words):
    with pytest.raises(QwcError, match=words):
        parse_qwc(text)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda t: t.replace("<AppURL>https://flowlink.co/qbwc</AppURL>", ""), "no AppURL"),
        (lambda t: t.replace("{AE931E67-4AA5-4374-A32D-8EA4BEC91981}", "{not-a-guid}"), "FileID"),
        (lambda t: t.replace("0xF", "all"), "AuthFlags"),
        (lambda t: t.replace("QBFS", "QBXX"), "QBType"),
        (lambda t: t.replace("</QBWCXML>", "<IsReadOnly>maybe</IsReadOnly></QBWCXML>"), "IsReadOnly"),
        (
            lambda t: t.replace(
                "</QBWCXML>", "<Scheduler><RunEveryNMinutes>ten</RunEveryNMinutes></Scheduler></QBWCXML>"
            ),
            "RunEveryNMinutes",
        ),
    ],
)
def test_parse_refuses_malformed_elements(edit, words):
    text = edit((QBWC_REFERENCE / "qwc" / "flowlink-sample-appid-authflags.qwc").read_text())
    with pytest.raises(QwcError, match=words):
        parse_qwc(text)


def test_parse_str_ignores_a_misleading_encoding_declaration():
    text = render_qwc(make(app_description="Caf\u00e9 \u4e2d")).replace("UTF-8", "ISO-8859-1")
    assert parse_qwc(text).app_description == "Caf\u00e9 \u4e2d"
