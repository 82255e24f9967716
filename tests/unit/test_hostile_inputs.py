"""The parsers at the edges, fed anything: they answer or refuse in the caller's words, never crash.

Classes, not cases: any text for the SOAP parameter shapes, any JSON text for the body decoder, numbers of
any size and exponent for amounts and quantities, any date and zone for order times and resync ranges, any
JSON value for every channel setting.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.errors import InvalidInput
from chalicelib.orders.model import MAX_AMOUNT, OrderInvalid, parse_order
from chalicelib.orders.settings import SettingsInvalid, parse_settings
from chalicelib.qbwc.hresults import explain_hresult, normalize_hresult
from chalicelib.qbwc.params import param_problem, parse_version
from chalicelib.sync.resync import parse_range
from chalicelib.validation import MAX_JSON_DEPTH, JsonRefused, decode_json, text_problem

ANY_TEXT = st.text(st.characters(codec=None), max_size=60)
DIGITS_OF_EVERY_SCRIPT = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=12)
FAST = settings(max_examples=300, deadline=None)

ORDER = {
    "id": "1001",
    "created_at": "2026-11-20T10:00:00Z",
    "lines": [{"title": "Mug", "quantity": 1, "unit_price": "12.50"}],
    "total": "12.50",
}


# --- SOAP parameter shapes ----------------------------------------------------------------------------
@FAST
@given(text=st.one_of(ANY_TEXT, DIGITS_OF_EVERY_SCRIPT, DIGITS_OF_EVERY_SCRIPT.map(lambda d: f"2.{d}.0.0")))
@example(text="2.\u00b3.0.0")
@example(text="9" * 5000)
def test_a_version_is_ascii_numbers_or_refused(text):
    try:
        parts = parse_version(text)
    except ValueError:
        assert param_problem("version", text, 10_000) is not None or not text.strip()
        return
    assert all(isinstance(p, int) and 0 <= p < 10**9 for p in parts)
    assert param_problem("version", text, 10_000) is None


@FAST
@given(text=st.one_of(ANY_TEXT, DIGITS_OF_EVERY_SCRIPT.map(lambda d: "-" + d), st.integers().map(str)))
@example(text="-\u00b2")
@example(text="-" + "9" * 5000)
@example(text="9" * 5000)
def test_any_hresult_text_is_normalised_or_refused_never_raises(text):
    code = normalize_hresult(text)
    assert code is None or (len(code) == 10 and code.startswith("0x"))
    assert explain_hresult(text, "QuickBooks said so")  # always words, whatever the code
    if param_problem("hresult", text, 40) is None and text.strip():
        assert code is not None  # what the SOAP edge lets through, the service can read


@FAST
@given(kind=st.sampled_from(["text", "int", "version", "hresult"]), text=ANY_TEXT, limit=st.integers(0, 100))
def test_param_problem_is_total(kind, text, limit):
    problem = param_problem(kind, text, limit)
    if len(text) > limit:
        assert problem is not None and "limit" in problem


# --- the JSON body decoder ----------------------------------------------------------------------------
@FAST
@given(text=st.one_of(ANY_TEXT, st.binary(max_size=60)))
def test_any_body_decodes_or_is_refused(text):
    try:
        decode_json(text)
    except JsonRefused as exc:
        assert exc.message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"total": ' + "9" * 5000 + "}", "total"),
        ('{"total": -' + "9" * 5000 + "}", "total"),
        ('{"a": [1, 1e999]}', "a[1]"),
        ('{"a": NaN}', "a"),
        ('{"a": -Infinity}', "a"),
        ('{"name": "\\ud800"}', "name"),
        ('{"orders": [{"id": "x\\udfff"}]}', "orders[0].id"),
    ],
)
def test_numbers_and_text_the_service_cannot_hold_are_refused_by_field(body, field):
    with pytest.raises(JsonRefused) as refused:
        decode_json(body)
    assert field in refused.value.problems


@given(depth=st.integers(MAX_JSON_DEPTH + 1, 200_000), opener=st.sampled_from(["[", '{"a":']))
@settings(max_examples=20, deadline=None)
def test_deep_nesting_is_refused_before_parsing(depth, opener):
    closer = "]" if opener == "[" else "}"
    with pytest.raises(JsonRefused, match="deeper"):
        decode_json(opener * depth + "1" + closer * depth)


def test_nesting_within_the_limit_and_strings_with_brackets_are_read():
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert decode_json(nested) is not None
    assert decode_json(json.dumps({"note": "[[[[" * 100})) == {"note": "[[[[" * 100}


@FAST
@given(text=ANY_TEXT)
def test_text_with_a_surrogate_or_a_control_character_is_named(text):
    problem = text_problem(text)
    if any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 for c in text):
        assert problem is not None
    if problem is None:
        text.encode("utf-8")  # storable


# --- amounts, quantities and times of an order ----------------------------------------------------------
NUMBER_TEXT = st.one_of(
    st.tuples(st.integers(-(10**30), 10**30), st.integers(-(10**10), 10**10)).map(lambda t: f"{t[0]}E{t[1]}"),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.sampled_from(
        ["1e309", "1E+30", "1e999999999", "-1e999999999", "1e-999999999", "sNaN", "-0", "1" * 60]
    ),
)
NUMBERS = st.one_of(NUMBER_TEXT, st.integers(), st.floats())


@FAST
@given(field=st.sampled_from(["total", "unit_price", "quantity"]), value=NUMBERS)
def test_any_number_in_an_amount_or_quantity_is_read_or_named(field, value):
    order = json.loads(json.dumps(ORDER))
    if field == "total":
        order["total"] = value
    else:
        order["lines"][0][field] = value
    try:
        parsed = parse_order(order)
    except OrderInvalid as exc:
        assert any(field in path for path in exc.problems), exc.problems
        return
    assert parsed.total.copy_abs() < MAX_AMOUNT
    assert parsed.total == parsed.total.quantize(Decimal("0.01"))


ZONES = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@FAST
@given(moment=st.datetimes(timezones=st.just(UTC)), zone=ZONES)
@example(moment=datetime(1, 1, 1, tzinfo=UTC), zone=timezone(timedelta(hours=23)))
@example(moment=datetime(9999, 12, 31, 23, 59, tzinfo=UTC), zone=timezone(timedelta(hours=-23)))
def test_any_order_time_is_read_or_named(moment, zone):
    text = moment.replace(tzinfo=zone).isoformat()
    order = {**ORDER, "created_at": text, "updated_at": text}
    try:
        parsed = parse_order(order)
    except OrderInvalid as exc:
        assert set(exc.problems) <= {"created_at", "updated_at"}
        return
    parsed.created_at.astimezone(UTC)  # usable in arithmetic


@FAST
@given(
    since=st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat() + "Z"), ANY_TEXT),
    until=st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat() + "-23:59"), ANY_TEXT),
)
@example(since="0001-01-01", until="9999-12-31")
def test_any_resync_range_is_read_or_named(since, until):
    try:
        start, end = parse_range(since, until)
    except InvalidInput as exc:
        assert set(exc.problems) <= {"from", "to"} and exc.problems
        return
    assert start < end


# --- channel settings -------------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT | NUMBER_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
SETTING_NAMES = [
    "transaction_type",
    "accounts",
    "customer_matching",
    "single_customer",
    "fallback_customer",
    "payment_methods",
    "default_payment_method",
    "class_name",
    "start_date",
    "statuses",
    "directions",
    "full_inventory_every_minutes",
    "subtract_sales_orders",
    "inventory_site",
    "shipstation_class",
]


@FAST
@given(name=st.sampled_from(SETTING_NAMES), value=JSON_VALUES)
@example(name="start_date", value="0001-01-01")
@example(name="accounts", value={"deposit": "\ud800"})
def test_any_setting_value_is_read_or_named(name, value):
    try:
        parse_settings({"accounts": {"deposit": "Undeposited Funds"}, name: value})
    except SettingsInvalid as exc:
        assert exc.problems
        return


@FAST
@given(blanks=st.text(st.sampled_from(" \t\n\r\u00a0\u2003"), min_size=1, max_size=8))
def test_an_order_id_of_blanks_is_refused_as_missing(blanks: str) -> None:
    """Ids of blanks only are no ids: refused with the field named (an order stored under "" could not be told
    apart from another, and QuickBooks' ExternalGUID is made from it)."""
    with pytest.raises(OrderInvalid) as refused:
        parse_order({**ORDER, "id": blanks})
    assert refused.value.problems["id"] == "is required"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=6),
    max_leaves=20,
)


@FAST
@given(value=st.one_of(JSON_VALUES, st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=60)))
def test_order_attributes_are_text_pairs_or_refused_by_name(value: object) -> None:
    """The store's own fields of an order (`attributes`, for order rules): an object of text values, bounded,
    else refused naming `attributes`; never a crash, never a value that is not text."""
    try:
        order = parse_order({**ORDER, "attributes": value})
    except OrderInvalid as exc:
        assert set(exc.problems) == {"attributes"}
        return
    assert len(order.attributes) <= 50
    assert all(isinstance(k, str) and isinstance(v, str) and k for k, v in order.attributes.items())
