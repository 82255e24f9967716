# ruff: noqa: RUF001  (look-alike characters are the test data)
from __future__ import annotations

import re
import unicodedata

import pytest
from lxml import etree

from chalicelib.qbxml import text as qbtext
from chalicelib.qbxml.text import is_quickbooks_text, to_quickbooks_text
from tests.unit.qbxml.conftest import CATALOGUE


def _cp1252_ok(value: str) -> bool:
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


# --- Windows-1252 is kept -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Crème brûlée à 5 € … “quoted” – ‘single’ — dash",
        "Straße Ørsted Æble Œuvre Ñandú Müller façade",
        "O'Brien & Sons <Marine> ½ ¼ ™ © ® ° ±",
        "Šibenik Žilina",  # Š and Ž are in Windows-1252
    ],
)
def test_windows_1252_text_is_kept_unchanged(value: str) -> None:
    assert to_quickbooks_text(value, 200) == value


def test_decomposed_accents_are_composed_not_dropped() -> None:
    assert to_quickbooks_text("Jose\u0301", 20) == "José"


# --- other scripts are transliterated or dropped --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Łódź", "Lódz"),  # ł from the table, ź by decomposition, ó kept
        ("Đặng Ħal", "Dang Hal"),
        ("Őrség Ștefan Țară", "Orség Stefan Tara"),
        ("Москва, Щукин", "Moskva, Shchukin"),
        ("ЖУК", "ZhUK"),
        ("Їжак", "Yizhak"),
        ("Αθήνα", "Athina"),
        ("\ufb01ne \uff26\uff55\uff4c\uff4c", "fine Full"),  # ligature, full-width letters
        ("GROẞ", "GROSS"),
    ],
)
def test_other_scripts_are_transliterated(value: str, expected: str) -> None:
    assert to_quickbooks_text(value, 100) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("東京 Tokyo 🍣", "Tokyo"),
        ("山田 太郎", ""),
        ("👍🏽 great 👨‍👩‍👧", "great"),
        ("Flag 🇺🇸 here", "Flag here"),
        ("1\ufe0f\u20e3 first", "1 first"),  # keycap: variation selector and enclosing mark dropped
        ("مرحبا hello", "hello"),
    ],
)
def test_cjk_emoji_and_unknown_scripts_are_dropped(value: str, expected: str) -> None:
    assert to_quickbooks_text(value, 100) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x00b\x07c\x1bd", "abcd"),
        ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
        ("bidi\u202emark\u202c", "bidimark"),
        ("tab\tand\nnew\r\nline", "tab and new line"),
        ("  lots   of \u00a0 space  ", "lots of space"),
        ("\ue000private", "private"),
    ],
)
def test_control_and_format_characters_are_dropped_and_whitespace_collapsed(
    value: str, expected: str
) -> None:
    assert to_quickbooks_text(value, 100) == expected


def test_every_character_below_u3000_reduces_to_storable_text() -> None:
    sample = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF)
    for start in range(0, len(sample), 500):
        reduced = to_quickbooks_text(sample[start : start + 500], 5000)
        assert _cp1252_ok(reduced)
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in reduced)


# --- multi-line fields ----------------------------------------------------------------------------


def test_multiline_keeps_line_breaks_and_collapses_blank_lines() -> None:
    value = "\r\n  First line  \r\n\r\n\r\n\tsecond\u2028third 🎉\n\n"
    assert to_quickbooks_text(value, 100, multiline=True) == "First line\n\nsecond\nthird"


def test_single_line_turns_line_breaks_into_spaces() -> None:
    assert to_quickbooks_text("First line\n\nsecond", 100) == "First line second"


# --- length ----------------------------------------------------------------------------------------


def test_cut_at_a_word_boundary_without_trailing_space() -> None:
    assert to_quickbooks_text("The quick brown fox jumps over", 20) == "The quick brown fox"
    assert to_quickbooks_text("The quick brown fox jumps", 19) == "The quick brown fox"
    assert to_quickbooks_text("1200 Pine Street, Apartment 4011, Building C", 41) == (
        "1200 Pine Street, Apartment 4011"
    )


def test_a_long_word_is_cut_hard() -> None:
    assert to_quickbooks_text("Supercalifragilisticexpialidocious", 11) == "Supercalifr"
    assert to_quickbooks_text("AB CDEFGHIJKLMNOP", 11) == "AB CDEFGHIJ"  # boundary too early to use


def test_names_can_be_cut_hard_to_keep_what_tells_them_apart() -> None:
    value = "Vandenberghe-Oppenheimer-Lindqvist, Maximiliana"
    assert to_quickbooks_text(value, 41) == "Vandenberghe-Oppenheimer-Lindqvist"
    assert to_quickbooks_text(value, 41, word_boundary=False) == "Vandenberghe-Oppenheimer-Lindqvist, Maxim"
    assert to_quickbooks_text("abcdefghij klm", 11, word_boundary=False) == "abcdefghij"


def test_cut_never_leaves_a_trailing_space() -> None:
    assert to_quickbooks_text("abcdefghij klm", 11) == "abcdefghij"


def test_length_and_idempotence_over_many_inputs() -> None:
    samples = [
        "Ünïcödé ǅemal " * 7,
        "Ivan Petrovich Sidorov-Ivanov-Petrov, Moscow",
        "Москва Щукин Жуков " * 4,
        "x" * 5000,
        "a b " * 40,
        "🎉" * 30 + "ok",
    ]
    for value in samples:
        for limit in (1, 3, 11, 21, 25, 31, 41, 4095):
            reduced = to_quickbooks_text(value, limit)
            assert len(reduced) <= limit
            assert reduced == reduced.strip()
            assert to_quickbooks_text(reduced, limit) == reduced
            assert _cp1252_ok(reduced)


def test_text_that_transliterates_longer_is_still_cut() -> None:
    # "Щ" becomes four letters: the limit applies to the result.
    assert to_quickbooks_text("ЩЩЩ", 6) == "ShchSh"


def test_max_length_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_length"):
        to_quickbooks_text("x", 0)


def test_is_quickbooks_text() -> None:
    assert is_quickbooks_text("Núñez, José", 41)
    assert not is_quickbooks_text("", 41)
    assert not is_quickbooks_text("Łódź", 41)
    assert not is_quickbooks_text("x" * 42, 41)
    assert not is_quickbooks_text(" padded", 41)


# --- the length constants are Intuit's -------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue_requests() -> etree._Element:
    parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(CATALOGUE), parser).getroot()
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None
    return msgs


def _qbd_limit(catalogue: etree._Element, path: str, edition: str = "QBD") -> int:
    """The max length the catalogue's comment gives `path` (Rq/Add/.../Field) for `edition`."""
    found = catalogue.find(path)
    assert found is not None, path
    comment = found.getnext()
    assert isinstance(comment, etree._Comment), path
    text = str(comment.text)
    for length, editions in re.findall(r"max length = (\d+)(?: for ([A-Z|]+))?", text):
        if not editions or edition in editions.split("|"):
            return int(length)
    raise AssertionError(f"no {edition} max length for {path}: {text}")


@pytest.mark.parametrize(
    ("constant", "path", "edition"),
    [
        ("CUSTOMER_NAME", "CustomerAddRq/CustomerAdd/Name", "QBD"),
        ("COMPANY_NAME", "CustomerAddRq/CustomerAdd/CompanyName", "QBD"),
        ("FIRST_NAME", "CustomerAddRq/CustomerAdd/FirstName", "QBD"),
        ("LAST_NAME", "CustomerAddRq/CustomerAdd/LastName", "QBD"),
        ("PHONE", "CustomerAddRq/CustomerAdd/Phone", "QBD"),
        ("EMAIL", "CustomerAddRq/CustomerAdd/Email", "QBD"),
        ("ADDR_LINE", "CustomerAddRq/CustomerAdd/BillAddress/Addr1", "QBD"),
        ("ADDR_LINE", "SalesReceiptAddRq/SalesReceiptAdd/ShipAddress/Addr5", "QBD"),
        ("CITY", "SalesReceiptAddRq/SalesReceiptAdd/BillAddress/City", "QBD"),
        ("STATE", "SalesReceiptAddRq/SalesReceiptAdd/BillAddress/State", "QBD"),
        ("POSTAL_CODE", "SalesReceiptAddRq/SalesReceiptAdd/BillAddress/PostalCode", "QBD"),
        ("COUNTRY", "SalesReceiptAddRq/SalesReceiptAdd/BillAddress/Country", "QBD"),
        ("ADDR_NOTE", "SalesReceiptAddRq/SalesReceiptAdd/BillAddress/Note", "QBD"),
        ("ITEM_NAME", "ItemNonInventoryAddRq/ItemNonInventoryAdd/Name", "QBD"),
        ("ITEM_NAME", "ItemInventoryAddRq/ItemInventoryAdd/Name", "QBD"),
        ("ITEM_NAME", "ItemOtherChargeAddRq/ItemOtherChargeAdd/Name", "QBD"),
        ("ITEM_NAME", "ItemDiscountAddRq/ItemDiscountAdd/Name", "QBD"),
        ("MANUFACTURER_PART_NUMBER", "ItemInventoryAddRq/ItemInventoryAdd/ManufacturerPartNumber", "QBD"),
        ("REF_NUMBER", "SalesReceiptAddRq/SalesReceiptAdd/RefNumber", "QBD"),
        ("REF_NUMBER", "InvoiceAddRq/InvoiceAdd/RefNumber", "QBD"),
        ("REF_NUMBER", "SalesOrderAddRq/SalesOrderAdd/RefNumber", "QBD"),
        ("REF_NUMBER", "CreditMemoAddRq/CreditMemoAdd/RefNumber", "QBUK"),
        ("PAYMENT_REF_NUMBER", "ReceivePaymentAddRq/ReceivePaymentAdd/RefNumber", "QBD"),
        ("PO_NUMBER", "InvoiceAddRq/InvoiceAdd/PONumber", "QBD"),
        ("PO_NUMBER", "SalesOrderAddRq/SalesOrderAdd/PONumber", "QBCA"),
        ("CHECK_NUMBER", "SalesReceiptAddRq/SalesReceiptAdd/CheckNumber", "QBD"),
        ("MEMO", "SalesReceiptAddRq/SalesReceiptAdd/Memo", "QBD"),
        ("MEMO", "ReceivePaymentAddRq/ReceivePaymentAdd/Memo", "QBD"),
        ("DESC", "SalesReceiptAddRq/SalesReceiptAdd/SalesReceiptLineAdd/Desc", "QBD"),
        ("DESC", "ItemInventoryAddRq/ItemInventoryAdd/SalesDesc", "QBD"),
        ("DESC", "ItemDiscountAddRq/ItemDiscountAdd/ItemDesc", "QBD"),
        ("CUSTOMER_FULL_NAME", "SalesReceiptAddRq/SalesReceiptAdd/CustomerRef/FullName", "QBD"),
        ("CLASS_FULL_NAME", "SalesReceiptAddRq/SalesReceiptAdd/ClassRef/FullName", "QBD"),
        ("ACCOUNT_FULL_NAME", "SalesReceiptAddRq/SalesReceiptAdd/DepositToAccountRef/FullName", "QBD"),
        ("ACCOUNT_FULL_NAME", "ItemInventoryAddRq/ItemInventoryAdd/COGSAccountRef/FullName", "QBD"),
        ("PAYMENT_METHOD_NAME", "SalesReceiptAddRq/SalesReceiptAdd/PaymentMethodRef/FullName", "QBD"),
        ("SALES_TAX_ITEM_NAME", "SalesReceiptAddRq/SalesReceiptAdd/ItemSalesTaxRef/FullName", "QBD"),
        ("SALES_TAX_CODE_NAME", "InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/SalesTaxCodeRef/FullName", "QBD"),
        ("SALES_TAX_CODE_NAME", "InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/SalesTaxCodeRef/FullName", "QBUK"),
        ("SALES_TAX_CODE_NAME_AU", "InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/SalesTaxCodeRef/FullName", "QBAU"),
    ],
)
def test_length_constants_match_intuits_catalogue(
    catalogue_requests: etree._Element, constant: str, path: str, edition: str
) -> None:
    assert getattr(qbtext, constant) == _qbd_limit(catalogue_requests, path, edition)


def test_full_name_limits_follow_the_five_level_rule() -> None:
    assert qbtext.CUSTOMER_FULL_NAME == 5 * qbtext.CUSTOMER_NAME + 4
    assert qbtext.ITEM_FULL_NAME == 5 * qbtext.ITEM_NAME + 4
