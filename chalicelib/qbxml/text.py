# ruff: noqa: RUF001  (the transliteration table maps look-alike letters on purpose)
"""Reducing free text to what QuickBooks Desktop can store, and the field lengths it allows.

QuickBooks Desktop keeps text in Windows-1252 and refuses (or silently cuts) values longer than a
field's limit. `to_quickbooks_text` turns any Unicode string into a value QuickBooks stores unchanged:

* characters Windows-1252 has are kept as they are, accents included (é, ü, ñ, ß, ø, €, …, “ ”);
* other letters are transliterated where that is cheap and unambiguous: a small table (ł -> l,
  đ -> d, basic Cyrillic and Greek), then Unicode compatibility decomposition (NFKD) with the
  combining marks removed (ő -> o, ș -> s, the fi ligature -> fi, full-width letters -> ASCII);
* anything else (CJK, emoji, symbols, private-use, format and control characters) is dropped;
* whitespace is collapsed to single spaces; `multiline=True` keeps line breaks (as "\\n") for memo
  and description fields, with at most one blank line in a row;
* the result is cut to `max_length` characters at a word boundary when one is in the second half
  (a single long word is cut hard), never leaving a trailing space or a dangling comma;
  `word_boundary=False` cuts at exactly `max_length`, for names that identify records.

The length constants below are the QuickBooks Desktop (US/CA/UK/AU) limits from Intuit's annotated
qbXML 13.0 catalogue (`qbxmlops130-annotated-sample.xml`, "max length = N for QBD|QBCA|QBUK|QBAU");
the 13.0 XSD itself declares these fields as plain strings, so schema validation cannot catch an
over-long value. `tests/unit/qbxml/test_text.py` checks each constant against the catalogue.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = [
    "ACCOUNT_FULL_NAME",
    "ADDR_LINE",
    "ADDR_NOTE",
    "CHECK_NUMBER",
    "CITY",
    "CLASS_FULL_NAME",
    "COMPANY_NAME",
    "COUNTRY",
    "CUSTOMER_FULL_NAME",
    "CUSTOMER_NAME",
    "DESC",
    "EMAIL",
    "FIRST_NAME",
    "ITEM_FULL_NAME",
    "ITEM_NAME",
    "LAST_NAME",
    "MANUFACTURER_PART_NUMBER",
    "MEMO",
    "PAYMENT_METHOD_NAME",
    "PAYMENT_REF_NUMBER",
    "PHONE",
    "POSTAL_CODE",
    "PO_NUMBER",
    "REF_NUMBER",
    "SALES_TAX_CODE_NAME",
    "SALES_TAX_CODE_NAME_AU",
    "SALES_TAX_ITEM_NAME",
    "STATE",
    "is_quickbooks_text",
    "to_quickbooks_text",
]

# --- QuickBooks Desktop field lengths (characters) --------------------------------------------

CUSTOMER_NAME = 41
"""CustomerAdd/Name: one level of the customer list."""
CUSTOMER_FULL_NAME = 209
"""CustomerRef/FullName: up to five levels "Customer:Job:..." (5 x 41 + 4 colons)."""
COMPANY_NAME = 41
"""CustomerAdd/CompanyName."""
FIRST_NAME = 25
"""CustomerAdd/FirstName."""
LAST_NAME = 25
"""CustomerAdd/LastName."""
PHONE = 21
"""CustomerAdd/Phone."""
EMAIL = 1023
"""CustomerAdd/Email."""
ITEM_NAME = 31
"""Item*Add/Name: one level of the item list."""
ITEM_FULL_NAME = 159
"""ItemRef/FullName: up to five levels "Parent:Child:..." (5 x 31 + 4 colons). The catalogue gives
no length for ItemRef/FullName; 159 is the same five-level rule as ClassRef and AccountRef."""
MANUFACTURER_PART_NUMBER = 31
"""ItemInventoryAdd/ManufacturerPartNumber, ItemNonInventoryAdd/ManufacturerPartNumber."""
ACCOUNT_FULL_NAME = 159
"""DepositToAccountRef, ARAccountRef, IncomeAccountRef, ... /FullName."""
CLASS_FULL_NAME = 159
"""ClassRef/FullName."""
PAYMENT_METHOD_NAME = 31
"""PaymentMethodRef/FullName."""
SALES_TAX_ITEM_NAME = 31
"""ItemSalesTaxRef/FullName."""
SALES_TAX_CODE_NAME = 3
"""SalesTaxCodeRef/FullName in US, Canadian and UK files."""
SALES_TAX_CODE_NAME_AU = 6
"""SalesTaxCodeRef/FullName in Australian files."""
REF_NUMBER = 11
"""RefNumber of SalesReceiptAdd, InvoiceAdd, SalesOrderAdd and CreditMemoAdd."""
PAYMENT_REF_NUMBER = 20
"""ReceivePaymentAdd/RefNumber (longer than the sales forms')."""
PO_NUMBER = 25
"""InvoiceAdd, SalesOrderAdd, CreditMemoAdd /PONumber (sales receipts have none)."""
CHECK_NUMBER = 25
"""SalesReceiptAdd/CheckNumber."""
MEMO = 4095
"""Memo of every sales form and of ReceivePaymentAdd."""
DESC = 4095
"""Line Desc, ItemNonInventory/ItemOtherCharge Desc, ItemInventory SalesDesc, ItemDiscount ItemDesc."""
ADDR_LINE = 41
"""BillAddress/ShipAddress Addr1 .. Addr5."""
CITY = 31
STATE = 21
POSTAL_CODE = 13
COUNTRY = 31
ADDR_NOTE = 41


# --- transliteration -----------------------------------------------------------------------------

# Letters without a Windows-1252 form and without a useful NFKD decomposition. Upper-case keys are
# derived from these (capitalised values), so only lower case is listed.
_LOWER_TABLE: dict[str, str] = {
    # Latin
    "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t", "ĸ": "k", "ŋ": "n", "ſ": "s",
    "ə": "e", "ɛ": "e", "ɔ": "o", "ƒ": "f", "ȷ": "j",
    # Cyrillic (Russian, Ukrainian, Belarusian, Serbian/Macedonian basics)
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi",
    "є": "ye", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz",
    "ѓ": "g", "ќ": "k", "ѕ": "dz",
    # Greek (accented forms decompose to these under NFKD)
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
_TABLE: dict[str, str] = {**_LOWER_TABLE}
for _lower, _ascii in _LOWER_TABLE.items():
    _upper = _lower.upper()
    if len(_upper) == 1 and _upper != _lower:
        _TABLE.setdefault(_upper, _ascii.capitalize())
_TABLE["ẞ"] = "SS"  # capital sharp s (Windows-1252 only has the small one)

_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _windows_1252() -> frozenset[str]:
    chars: set[str] = set()
    for byte in range(256):
        try:
            chars.add(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned
            continue
    return frozenset(chars)


_CP1252 = _windows_1252()


def _storable(ch: str) -> bool:
    """A printable Windows-1252 character (no controls, no soft hyphen)."""
    return ch in _CP1252 and unicodedata.category(ch) not in ("Cc", "Cf")


@lru_cache(maxsize=4096)
def _reduce_char(ch: str) -> str:
    """What one non-space character becomes: itself, a transliteration, or nothing."""
    if _storable(ch):
        return ch
    if ch in _TABLE:
        return _TABLE[ch]
    category = unicodedata.category(ch)
    if category[0] in ("C", "M"):  # control, format, surrogate, private use, unassigned; marks
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(part)[0] == "M":
            continue
        if _storable(part):
            out.append(part)
        elif part in _TABLE:
            out.append(_TABLE[part])
        elif part.isspace():
            out.append(" ")
    return "".join(out)


def _reduce_line(text: str) -> str:
    """One line: characters reduced, whitespace runs collapsed, ends trimmed."""
    out: list[str] = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        else:
            out.append(_reduce_char(ch))
    return " ".join("".join(out).split())


def _truncate(text: str, max_length: int) -> str:
    if len(text) <= max_length:
        return text
    cut = text[:max_length]
    if text[max_length] in " \n":
        return _clean_end(cut)
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary >= max_length // 2:
        return _clean_end(cut[:boundary])
    return cut.rstrip()


def _hard_cut(text: str, max_length: int) -> str:
    return text[:max_length].rstrip()


def _clean_end(text: str) -> str:
    """A text cut at a word boundary, without trailing spaces, commas or semicolons."""
    cleaned = text.rstrip(" \n,;")
    return cleaned or text.rstrip()


def to_quickbooks_text(
    value: str, max_length: int, *, multiline: bool = False, word_boundary: bool = True
) -> str:
    """`value` reduced to text QuickBooks Desktop stores unchanged, at most `max_length` characters.

    See the module docstring for the rules. `word_boundary=False` cuts at exactly `max_length`
    (trailing spaces still removed): better for names that identify a record, where the last
    characters may be what tells two records apart. The result may be empty (e.g. a name written
    only in Chinese characters or emoji): callers decide on a fallback. Reducing a reduced value
    changes nothing.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    text = unicodedata.normalize("NFC", value)
    cut = _truncate if word_boundary else _hard_cut
    if not multiline:
        return cut(_reduce_line(text), max_length)
    text = text.replace("\r\n", "\n")
    lines = [
        _reduce_line(line) for line in "".join("\n" if c in _LINE_BREAKS else c for c in text).split("\n")
    ]
    kept: list[str] = []
    for line in lines:
        if not line and (not kept or not kept[-1]):
            continue  # no leading blank lines, no two blank lines in a row
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return cut("\n".join(kept), max_length)


def is_quickbooks_text(value: str, max_length: int, *, multiline: bool = False) -> bool:
    """Whether `value` is non-empty and already what `to_quickbooks_text` would make of it."""
    return bool(value) and to_quickbooks_text(value, max_length, multiline=multiline) == value
