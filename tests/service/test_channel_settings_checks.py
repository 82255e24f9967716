"""Settings that cannot fail: every account of a channel's settings is checked at save against the company's
cached chart of accounts (it exists, is active, and its QuickBooks type fits its use), a combination that would
fail every order needing a new product is refused, and the refusal says why in the merchant's words."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from chalicelib.dal import company_lists
from chalicelib.dal.company_lists import CachedRecord
from chalicelib.qbxml.responses import list_record
from chalicelib.sync.channels import FITTING_ACCOUNT_TYPES, type_words

# Every AccountType of qbXML 13.0 (qbxmlops130.xsd, AccountType enumeration).
ACCOUNT_TYPES = (
    "AccountsPayable",
    "AccountsReceivable",
    "Bank",
    "CostOfGoodsSold",
    "CreditCard",
    "Equity",
    "Expense",
    "FixedAsset",
    "Income",
    "LongTermLiability",
    "NonPosting",
    "OtherAsset",
    "OtherCurrentAsset",
    "OtherCurrentLiability",
    "OtherExpense",
    "OtherIncome",
)
BASE = {"deposit": "Undeposited Funds", "income": "Sales"}


def seed(connection_id: str) -> None:
    """One active account of every type (named after it), the usual two, and an inactive income account."""
    records = [
        CachedRecord("account", f"T{i}", f"A {t}", f"A {t}", True, {"account_type": t})
        for i, t in enumerate(ACCOUNT_TYPES)
    ]
    records += [
        CachedRecord(
            "account",
            "UF",
            "Undeposited Funds",
            "Undeposited Funds",
            True,
            {"account_type": "OtherCurrentAsset"},
        ),
        CachedRecord("account", "S", "Sales", "Sales", True, {"account_type": "Income"}),
        CachedRecord("account", "OLD", "Old Sales", "Old Sales", False, {"account_type": "Income"}),
    ]
    company_lists.put_records(connection_id, records, "seed")


@pytest.fixture
def conn(api):
    created = api.json("POST", "/api/v1/connections", {"name": "Checks"}, expect=201)
    seed(created["id"])
    return created


def create(api: Any, conn: Any, settings: Any, expect: int) -> Any:
    body = {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": settings}
    return api.json("POST", "/api/v1/channels", body, expect=expect)


def test_every_account_type_is_accepted_exactly_where_it_fits(api, conn):
    wrong = []
    for field_name, fitting in FITTING_ACCOUNT_TYPES.items():
        for account_type in ACCOUNT_TYPES:
            settings = {"accounts": {**BASE, field_name: f"A {account_type}"}}
            fits = account_type in fitting
            answer = create(api, conn, settings, expect=201 if fits else 400)
            if fits:
                assert answer["settings"]["accounts"][field_name] == f"A {account_type}"
                continue
            problem = answer["details"]["fields"][f"settings.accounts.{field_name}"]
            if type_words(account_type) not in problem or type_words(fitting[0]) not in problem:
                wrong.append((field_name, account_type, problem))
            assert "settings." not in answer["message"], answer["message"]
            assert answer["message"].count(problem) == 1  # said once, in the message
    assert wrong == []


def test_the_refusal_reads_as_a_sentence(api, conn):
    answer = create(api, conn, {"accounts": {**BASE, "deposit": "Sales"}}, expect=400)
    assert answer["details"]["fields"] == {
        "settings.accounts.deposit": "'Sales' is an Income account; the deposit account must be a Bank or "
        "Other Current Asset account (Undeposited Funds is one)"
    }
    assert answer["message"].startswith("The settings were not saved. 'Sales' is an Income account")
    cogs = create(api, conn, {"accounts": {**BASE, "cogs": "Sales"}}, expect=400)
    assert "must be a Cost of Goods Sold account" in cogs["message"]


def test_accounts_named_by_list_id_or_in_another_case_are_checked_too(api, conn):
    create(api, conn, {"accounts": {"deposit": "UF", "income": "sales"}}, expect=201)
    refused = create(api, conn, {"accounts": {"deposit": "S", "income": "Sales"}}, expect=400)
    assert "is an Income account" in refused["details"]["fields"]["settings.accounts.deposit"]


def test_an_inactive_or_unknown_account_is_refused(api, conn):
    inactive = create(api, conn, {"accounts": {**BASE, "income": "Old Sales"}}, expect=400)
    assert "inactive in QuickBooks" in inactive["details"]["fields"]["settings.accounts.income"]
    unknown = create(api, conn, {"accounts": {**BASE, "receivable": "Nowhere"}}, expect=400)
    assert (
        "not an account in this company file" in unknown["details"]["fields"]["settings.accounts.receivable"]
    )


def test_creating_missing_products_without_an_income_account_is_refused_at_save(api, conn):
    for missing in ("create_non_inventory", "create_inventory"):
        settings = {
            "missing_items": missing,
            "accounts": {
                "deposit": "Undeposited Funds",
                "cogs": "A CostOfGoodsSold",
                "asset": "A OtherCurrentAsset",
            },
        }
        refused = create(api, conn, settings, expect=400)
        assert set(refused["details"]["fields"]) == {"settings.accounts.income"}
        assert refused["message"].startswith("The settings were not saved. Income account is needed")
    # Not creating products: nothing needs the income account
    channel = create(
        api, conn, {"missing_items": "fail", "accounts": {"deposit": "Undeposited Funds"}}, expect=201
    )
    # ...until the channel is changed to create them, which is refused the same way
    changed = api.json(
        "PATCH",
        f"/api/v1/channels/{channel['id']}",
        {"settings": {"missing_items": "create_non_inventory"}},
        expect=400,
    )
    assert set(changed["details"]["fields"]) == {"settings.accounts.income"}
    assert api.json("GET", f"/api/v1/channels/{channel['id']}")["settings"]["missing_items"] == "fail"


def test_settings_are_refused_until_the_chart_of_accounts_is_read(api):
    fresh = api.json("POST", "/api/v1/connections", {"name": "Not read yet"}, expect=201)
    refused = create(api, fresh, {"accounts": BASE}, expect=400)
    assert "has not been read from QuickBooks yet" in refused["message"]


def test_another_tenants_connection_is_not_found(api, other_api, conn):
    body = {
        "connection_id": conn["id"],
        "kind": "custom_store",
        "name": "Web",
        "settings": {"accounts": BASE},
    }
    other_api.json("POST", "/api/v1/channels", body, expect=404)


@pytest.mark.parametrize(
    ("ret", "income"),
    [
        (
            "<ItemInventoryRet><ListID>1</ListID><Name>Mug</Name><IncomeAccountRef><FullName>Sales:Goods"
            "</FullName></IncomeAccountRef></ItemInventoryRet>",
            "Sales:Goods",
        ),
        (
            "<ItemServiceRet><ListID>2</ListID><Name>Wrap</Name><SalesOrPurchase><AccountRef><FullName>Services"
            "</FullName></AccountRef></SalesOrPurchase></ItemServiceRet>",
            "Services",
        ),
        (
            "<ItemNonInventoryRet><ListID>3</ListID><Name>Card</Name><SalesAndPurchase><IncomeAccountRef>"
            "<FullName>Sales</FullName></IncomeAccountRef></SalesAndPurchase></ItemNonInventoryRet>",
            "Sales",
        ),
        (
            "<AccountRet><ListID>4</ListID><Name>Sales</Name><AccountType>Income</AccountType></AccountRet>",
            None,
        ),
    ],
)
def test_the_item_cache_keeps_the_account_each_item_sells_into(ret, income):
    """The dashboard preselects the income account most items use (qbxmlops130.xsd: IncomeAccountRef of
    ItemInventoryRet and SalesAndPurchase, AccountRef of SalesOrPurchase)."""
    record = list_record(etree.fromstring(ret))
    assert record is not None and record.income_account == income
