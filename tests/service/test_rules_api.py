"""/api/v1/rules in-process on the embedded AWS: the list and each rule, reorder, enable and disable, the CSV
import (all or nothing, every row problem named) and export, testing rules on stored and pasted orders,
tenant isolation (another tenant's rule does not exist), hostile bodies (a 4xx naming the field, never a 5xx,
nothing stored), and the storage: one conditional write per change, lists past the item limit in the payloads
table."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib.dal import payloads
from chalicelib.dal import rules as repo
from chalicelib.dal.models import PayloadModel, RuleListModel
from tests.service.conftest import Api, new_tenant
from tests.service.test_hostile_rest import CASES, HOSTILE, PROPERTY, body_with, leaves
from tests.service.test_orders_api import ORDER, SETTINGS, seed_accounts

PAYPAL = {
    "name": "PayPal deposits",
    "conditions": [{"field": "payment_method", "op": "equals", "values": ["PayPal"]}],
    "actions": [{"action": "SET_DEPOSIT_ACCOUNT", "account": "PayPal Clearing"}],
}
WHOLESALE = {
    "name": "Wholesale class",
    "join": "or",
    "conditions": [
        {"field": "tags", "op": "in_list", "values": ["wholesale", "b2b"]},
        {"field": "total", "op": "more_than", "values": ["1000"]},
    ],
    "actions": [
        {"action": "SET_CLASS", "class_name": "Wholesale"},
        {"action": "ADD_SHIPPING_SURCHARGE", "kind": "percent", "amount": "10"},
    ],
}
MUGS = {
    "name": "Mugs to the mug item",
    "actions": [{"action": "MAP_SKU", "match": "prefix", "sku": "MUG-", "item": "Mug (all colours)"}],
}
HEADER = "rule_id,name,enabled,channels,join,conditions,action,match,from,to,amount\r\n"


def rule_ids(api: Api) -> list[str]:
    return [r["id"] for r in api.json("GET", "/api/v1/rules")["rules"]]


def add(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = api.json("POST", "/api/v1/rules", body, expect=201)
    return created


def import_csv(api: Api, text: str, expect: int = 200) -> dict[str, Any]:
    response = api.call("POST", "/api/v1/rules/import", raw=text.encode())
    assert response.status_code == expect, response.body
    answer: dict[str, Any] = json.loads(response.body)
    return answer


@pytest.fixture
def shop(api: Api) -> dict[str, Any]:
    """A custom-store channel with two stored orders: #1001 paid by PayPal, #1002 by card."""
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    channel = api.json(
        "POST",
        "/api/v1/channels",
        {"connection_id": conn["id"], "kind": "custom_store", "name": "Web", "settings": SETTINGS},
        expect=201,
    )
    paypal = copy.deepcopy(ORDER)
    paypal["payments"] = [{"method": "PayPal", "amount": "30.00"}]
    card = {**copy.deepcopy(ORDER), "id": "1002", "number": "#1002"}
    api.json("POST", f"/api/v1/channels/{channel['id']}/orders", {"orders": [paypal, card]}, expect=202)
    return channel


# ---------------------------------------------------------------------------------------------- the list


def test_a_rule_is_created_read_replaced_disabled_and_deleted(api: Api) -> None:
    created = add(api, PAYPAL)
    assert created["id"].startswith("rul_")
    assert created == {**PAYPAL, "id": created["id"], "enabled": True, "channels": [], "join": "and"}
    assert api.json("GET", f"/api/v1/rules/{created['id']}") == created

    changed = {**WHOLESALE, "id": created["id"]}
    replaced = api.json("PUT", f"/api/v1/rules/{created['id']}", changed)
    assert replaced["name"] == "Wholesale class" and replaced["join"] == "or"
    assert replaced["actions"][1] == {"action": "ADD_SHIPPING_SURCHARGE", "kind": "percent", "amount": "10"}
    assert api.json("GET", f"/api/v1/rules/{created['id']}") == replaced

    assert api.json("POST", f"/api/v1/rules/{created['id']}/disable")["enabled"] is False
    assert api.json("GET", "/api/v1/rules")["rules"][0]["enabled"] is False
    assert api.json("POST", f"/api/v1/rules/{created['id']}/enable")["enabled"] is True

    api.json("DELETE", f"/api/v1/rules/{created['id']}")
    api.json("GET", f"/api/v1/rules/{created['id']}", expect=404)
    assert api.json("GET", "/api/v1/rules") == {"rules": [], "count": 0, "version": 5}


def test_rules_keep_their_order_and_a_reorder_names_every_rule_once(api: Api) -> None:
    ids = [add(api, body)["id"] for body in (PAYPAL, WHOLESALE, MUGS)]
    assert rule_ids(api) == ids
    turned = [ids[2], ids[0], ids[1]]
    assert [r["id"] for r in api.json("POST", "/api/v1/rules/reorder", {"order": turned})["rules"]] == turned
    assert rule_ids(api) == turned

    missing = api.json("POST", "/api/v1/rules/reorder", {"order": turned[:2]}, expect=400)
    assert ids[1] in missing["details"]["fields"]["order"]
    twice = api.json("POST", "/api/v1/rules/reorder", {"order": [*turned, ids[0]]}, expect=400)
    assert twice["details"]["fields"]["order[3]"] == "is listed twice"
    unknown = api.json("POST", "/api/v1/rules/reorder", {"order": [*turned[:2], "rul_nobody"]}, expect=400)
    assert unknown["details"]["fields"]["order[2]"] == "is not a rule of this list"
    assert rule_ids(api) == turned  # refused: unchanged


def test_a_rule_with_problems_is_refused_with_every_field_named(api: Api) -> None:
    body = {
        "name": "",
        "colour": "red",
        "conditions": [
            {"field": "total", "op": "contains", "values": ["10"]},
            {"field": "planet", "op": "equals", "values": ["Mars"]},
            {"field": "email", "op": "matches", "values": ["(unclosed"]},
        ],
        "actions": [
            {"action": "SET_CLASS"},
            {"action": "MAP_SKU", "match": "fuzzy", "sku": "A", "item": "B"},
            {"action": "LAUNCH_ROCKET"},
            {"action": "ADD_SHIPPING_SURCHARGE", "kind": "amount", "amount": "1e999"},
        ],
    }
    answer = api.json("POST", "/api/v1/rules", body, expect=400)
    fields = answer["details"]["fields"]
    assert set(fields) >= {
        "colour",
        "conditions[1].field",
        "actions[0].class_name",
        "actions[1].match",
        "actions[2].action",
        "actions[3].amount",
    }, fields
    # the shape is right, the values are not: validation names them too
    shaped = {
        **PAYPAL,
        "conditions": [
            {"field": "total", "op": "contains", "values": ["10"]},
            {"field": "email", "op": "matches", "values": ["(unclosed"]},
        ],
        "actions": [{"action": "SET_TERMS", "terms": "x" * 32}],
    }
    named = api.json("POST", "/api/v1/rules", shaped, expect=400)["details"]["fields"]
    assert set(named) == {"conditions[0].op", "conditions[1].values", "actions[0].terms"}, named
    assert rule_ids(api) == []


@pytest.mark.parametrize("rule_id", ["test", "export", "a/b", "", "x" * 101, "has space"])
def test_a_rule_id_must_be_addressable_in_a_url(api: Api, rule_id: str) -> None:
    answer = api.json("POST", "/api/v1/rules", {**PAYPAL, "id": rule_id}, expect=400)
    assert "id" in answer["details"]["fields"]


def test_a_given_id_is_kept_and_cannot_be_used_twice(api: Api) -> None:
    assert add(api, {**PAYPAL, "id": "paypal-1"})["id"] == "paypal-1"
    assert api.json("POST", "/api/v1/rules", {**MUGS, "id": "paypal-1"}, expect=409)["error"] == "conflict"
    wrong = api.json("PUT", "/api/v1/rules/paypal-1", {**MUGS, "id": "other"}, expect=400)
    assert "id" in wrong["details"]["fields"]


# ---------------------------------------------------------------------------------------------- tenants


def test_another_tenants_rules_do_not_exist(api: Api, other_api: Api) -> None:
    mine = add(api, {**PAYPAL, "id": "shared-name"})
    theirs = add(other_api, {**MUGS, "id": "shared-name"})  # ids are per tenant
    assert theirs["name"] != mine["name"]
    secret = add(api, WHOLESALE)["id"]
    for method, path, body in (
        ("GET", f"/api/v1/rules/{secret}", None),
        ("PUT", f"/api/v1/rules/{secret}", MUGS),
        ("DELETE", f"/api/v1/rules/{secret}", None),
        ("POST", f"/api/v1/rules/{secret}/enable", None),
        ("POST", f"/api/v1/rules/{secret}/disable", None),
        ("POST", "/api/v1/rules/test", {"rule_id": secret, "documents": [ORDER]}),
    ):
        answer = other_api.json(method, path, body, expect=404)
        assert answer["error"] == "not_found", (method, path)
    refused = other_api.json("POST", "/api/v1/rules/reorder", {"order": ["shared-name", secret]}, expect=400)
    assert refused["details"]["fields"]["order[1]"] == "is not a rule of this list"
    assert rule_ids(other_api) == ["shared-name"]
    assert api.json("GET", "/api/v1/rules/shared-name") == mine
    assert "PayPal" not in other_api.call("GET", "/api/v1/rules/export").body.decode()


def test_testing_never_reads_another_tenants_orders(api: Api, other_api: Api, shop: dict[str, Any]) -> None:
    order_key = api.json("GET", "/api/v1/orders")["orders"][0]["id"]
    for named in ("#1001", order_key):
        answer = other_api.json(
            "POST", "/api/v1/rules/test", {"orders": [named], "rules": [PAYPAL]}, expect=400
        )
        assert answer["details"]["fields"] == {"orders[0]": f"no order {named}"}
    refused = other_api.json(
        "POST", "/api/v1/rules/test", {"documents": [ORDER], "channel_id": shop["id"]}, expect=400
    )
    assert refused["details"]["fields"] == {"channel_id": "is not a channel of yours"}


# ---------------------------------------------------------------------------------------------- CSV


def test_csv_export_and_import_round_trip(api: Api, other_api: Api) -> None:
    for body in (PAYPAL, WHOLESALE, MUGS):
        add(api, body)
    api.json("POST", f"/api/v1/rules/{rule_ids(api)[1]}/disable")
    response = api.call("GET", "/api/v1/rules/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.body.decode()
    assert text.startswith(HEADER) and text.count("\r\n") == 1 + 4  # one row per action
    imported = import_csv(other_api, text)
    assert imported["rules"] == api.json("GET", "/api/v1/rules")["rules"]
    assert other_api.call("GET", "/api/v1/rules/export").body.decode() == text


def test_an_invalid_csv_changes_nothing_and_names_every_row(api: Api) -> None:
    add(api, PAYPAL)
    before = api.json("GET", "/api/v1/rules")
    text = (
        HEADER
        + "r1,Good,yes,,AND,payment_method equals PayPal,SET_CLASS,,,Online,\r\n"
        + "r2,Bad action,yes,,AND,,FLY,,,,\r\n"
        + "r3,Bad condition,yes,,AND,planet equals Mars,SET_CLASS,,,Online,\r\n"
        + "r4,Bad amount,yes,,AND,,ADD_SHIPPING_SURCHARGE,amount,,,lots\r\n"
        + "test,Reserved id,yes,,AND,,REMOVE_TAX,,,,\r\n"
    )
    answer = import_csv(api, text, expect=400)
    fields = answer["details"]["fields"]
    assert {k.split(",")[0] for k in fields} >= {"row 3", "row 4", "row 5"}, fields
    assert "row 3, column action" in fields and "row 5, column amount" in fields
    assert api.json("GET", "/api/v1/rules") == before  # all or nothing

    reserved = import_csv(api, HEADER + "test,Reserved id,yes,,AND,,REMOVE_TAX,,,,\r\n", expect=400)
    assert reserved["details"]["fields"] == {
        "row 2, column rule_id": reserved["details"]["fields"]["row 2, column rule_id"]
    }
    assert api.json("GET", "/api/v1/rules") == before
    for junk in (b"", b"\xff\xfe not utf-8", b'{"rules": []}'):
        response = api.call("POST", "/api/v1/rules/import", raw=junk)
        assert response.status_code == 400, (junk, response.body)
        assert json.loads(response.body)["details"]["fields"]
    assert api.json("GET", "/api/v1/rules") == before


# ---------------------------------------------------------------------------------------------- testing


def test_a_rule_is_tested_on_a_stored_order_by_number(api: Api, shop: dict[str, Any]) -> None:
    add(api, PAYPAL)
    add(api, MUGS)
    answer = api.json("POST", "/api/v1/rules/test", {"orders": ["#1001", "1002"]})
    assert answer["rules_tested"] == 2
    paypal, card = answer["results"]
    assert paypal["order"]["number"] == "#1001" and paypal["order"]["channel_id"] == shop["id"]
    assert [a["name"] for a in paypal["applied"]] == ["PayPal deposits", "Mugs to the mug item"]
    first = paypal["applied"][0]
    assert first["changes"] == [
        {"what": "deposit account", "before": "Undeposited Funds", "after": "PayPal Clearing"}
    ]
    assert first["before"]["settings"]["deposit_account"] == "Undeposited Funds"
    assert first["after"]["settings"]["deposit_account"] == "PayPal Clearing"
    # a later rule sees what an earlier one changed, and the last "after" is the outcome
    assert paypal["applied"][1]["before"] == first["after"]
    assert paypal["after"]["order"]["lines"][0]["item"] == "Mug (all colours)"
    assert paypal["before"]["order"]["lines"][0]["item"] == ""
    # the card order: only the SKU rule
    assert [a["name"] for a in card["applied"]] == ["Mugs to the mug item"]
    assert card["after"]["settings"]["deposit_account"] == "Undeposited Funds"


def test_unsaved_rules_and_pasted_orders_are_tested_without_saving(api: Api, shop: dict[str, Any]) -> None:
    pasted = {**copy.deepcopy(ORDER), "id": "web-9", "number": "W9", "tags": ["Wholesale"]}
    pasted["lines"][0]["tax"] = "2.50"
    pasted["total"] = "32.50"
    body = {
        "documents": [pasted],
        "channel_id": shop["id"],
        "rules": [
            WHOLESALE,
            {"name": "No tax", "actions": [{"action": "REMOVE_TAX"}]},
            {
                "name": "Skip",
                "conditions": [{"field": "total", "op": "more_than", "values": ["1000"]}],
                "actions": [{"action": "DO_NOT_IMPORT"}],
            },
        ],
    }
    (result,) = api.json("POST", "/api/v1/rules/test", body)["results"]
    assert [a["name"] for a in result["applied"]] == ["Wholesale class", "No tax"]
    assert result["after"]["settings"]["class"] == "Wholesale"
    assert result["after"]["order"]["shipping_lines"][-1] == {
        "title": "Shipping surcharge",
        "price": "0.50",
        "tax": "0.00",
        "item": "",
    }
    assert (
        result["before"]["order"]["tax_total"] == "2.50" and result["after"]["order"]["tax_total"] == "0.00"
    )
    assert result["do_not_import"] is False
    assert rule_ids(api) == []  # nothing saved


def test_one_rule_is_tested_alone_even_while_disabled(api: Api, shop: dict[str, Any]) -> None:
    add(api, MUGS)
    paypal = add(api, {**PAYPAL, "enabled": False})
    whole = api.json("POST", "/api/v1/rules/test", {"orders": ["#1001"]})["results"][0]
    assert [a["rule_id"] for a in whole["applied"]] == [rule_ids(api)[0]]  # the disabled rule does not run
    alone = api.json("POST", "/api/v1/rules/test", {"orders": ["#1001"], "rule_id": paypal["id"]})
    assert alone["rules_tested"] == 1
    assert [a["rule_id"] for a in alone["results"][0]["applied"]] == [paypal["id"]]


def test_a_test_request_with_problems_names_them(api: Api, shop: dict[str, Any]) -> None:
    answer = api.json(
        "POST",
        "/api/v1/rules/test",
        {"orders": ["#404"], "rules": [{**PAYPAL, "actions": []}], "extra": 1},
        expect=400,
    )
    assert set(answer["details"]["fields"]) == {"extra", "rules[0].actions"}
    missing = api.json("POST", "/api/v1/rules/test", {"orders": ["#404"]}, expect=400)
    assert missing["details"]["fields"] == {"orders[0]": "no order #404"}
    bad_doc = api.json("POST", "/api/v1/rules/test", {"documents": [{"id": "1"}]}, expect=400)
    assert any(k.startswith("documents[0].") for k in bad_doc["details"]["fields"])
    nothing = api.json("POST", "/api/v1/rules/test", {}, expect=400)
    assert "orders" in nothing["details"]["fields"]


# ---------------------------------------------------------------------------------------------- hostile


@pytest.fixture(scope="module")
def hostile_tenant(chalice_client: Any) -> Api:
    return new_tenant(chalice_client, "Hostile rules")


FULL_RULE = {
    "id": "r-1",
    "name": "Everything",
    "enabled": True,
    "channels": ["chn_1"],
    "join": "and",
    "conditions": [
        {"field": "attribute", "attribute": "Location", "op": "in_list", "values": ["A", "B"]},
        {"field": "total", "op": "less_than", "values": ["10.5"]},
    ],
    "actions": [
        {"action": "SET_CUSTOMER", "matching": "single_customer", "name": "Walk-in"},
        {"action": "SET_ORDER_DATE", "source": "date", "day": "2026-01-31"},
        {"action": "SET_UNIT_OF_MEASURE", "match": "regex", "sku": "^CASE", "unit": "Case", "factor": "12"},
        {"action": "SET_MEMO", "template": "Order {number}"},
    ],
}
RULE_PATHS = leaves(FULL_RULE)


@pytest.mark.parametrize("path", RULE_PATHS, ids=lambda p: ".".join(map(str, p)))
@PROPERTY
@given(value=HOSTILE)
@example(value=CASES[0])
def test_hostile_values_in_any_field_of_a_rule(
    hostile_tenant: Api, path: tuple[Any, ...], value: str
) -> None:
    api = hostile_tenant
    before = api.json("GET", "/api/v1/rules")
    response = api.call("POST", "/api/v1/rules", raw=body_with(FULL_RULE, path, value))
    assert response.status_code < 500, (response.status_code, response.body[:500])
    answer = json.loads(response.body)
    if response.status_code >= 400:
        assert answer["error"] and answer["message"]
        assert api.json("GET", "/api/v1/rules") == before
    else:
        api.json("DELETE", f"/api/v1/rules/{answer['id']}")


@PROPERTY
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(st.sampled_from([*sorted(FULL_RULE), "x"]), c, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_json_as_a_rule_test_or_reorder_is_a_4xx_or_ok(hostile_tenant: Api, body: Any) -> None:
    for path in ("/api/v1/rules", "/api/v1/rules/test", "/api/v1/rules/reorder", "/api/v1/rules/r-1"):
        method = "PUT" if path.endswith("r-1") else "POST"
        response = hostile_tenant.call(method, path, body)
        assert response.status_code < 500, (path, body, response.body[:500])
        if response.status_code >= 400:
            assert json.loads(response.body)["message"]


@PROPERTY
@given(text=st.text(max_size=300))
@example(text=HEADER + 'r,a,yes,,AND,"total more_than 1e999999",SET_CLASS,,,x,\r\n')
@example(text=HEADER + 'r,a,maybe,,XOR,"attribute[ oops",SET_CLASS,,,x,\r\n')
def test_any_text_as_a_csv_import_is_a_4xx_or_ok(hostile_tenant: Api, text: str) -> None:
    response = hostile_tenant.call("POST", "/api/v1/rules/import", raw=text.encode("utf-8", "surrogatepass"))
    assert response.status_code < 500, (text, response.body[:500])
    if response.status_code >= 400:
        assert json.loads(response.body)["details"]["fields"]


# ---------------------------------------------------------------------------------------------- storage


def test_a_stale_write_loses_and_changes_nothing(aws: str) -> None:
    tenant = "ten_" + secrets.token_hex(6)
    first = repo.save(tenant, [{"id": "a"}], version=0)
    assert first.version == 1 and repo.load(tenant).rules == ({"id": "a"},)
    with pytest.raises(repo.VersionConflict):
        repo.save(tenant, [{"id": "b"}], version=0)  # written already
    second = repo.save(tenant, [{"id": "b"}, {"id": "c"}], version=1)
    with pytest.raises(repo.VersionConflict):
        repo.save(tenant, [{"id": "d"}], version=1)  # someone else wrote version 2
    assert repo.load(tenant).rules == ({"id": "b"}, {"id": "c"}) and second.version == 2


def test_a_list_past_the_item_limit_goes_to_the_payloads_table_and_back(aws: str) -> None:
    tenant = "ten_" + secrets.token_hex(6)
    # 5,000 rules whose text does not compress: far past what one DynamoDB item holds
    big = [{"id": f"r{i}", "name": secrets.token_hex(60)} for i in range(5_000)]
    repo.save(tenant, big, version=0)
    item = RuleListModel.get(tenant, consistent_read=True)
    assert item.rules_z is None and item.rules_ref
    first_ref = item.rules_ref
    assert repo.load(tenant).rules == tuple(big)
    small = [{"id": "only"}]
    repo.save(tenant, small, version=1)
    assert repo.load(tenant).rules == tuple(small)
    assert RuleListModel.get(tenant, consistent_read=True).rules_z is not None
    assert list(PayloadModel.query(first_ref)) == []  # the replaced list's parts are gone
    with pytest.raises(payloads.PayloadMissing):
        payloads.get(first_ref)


def test_a_change_that_loses_a_race_is_redone_on_the_newer_list(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(api, PAYPAL)
    save = repo.save
    raced: list[int] = []

    def racing(tenant_id: str, rules: list[dict[str, Any]], *, version: int) -> repo.RuleList:
        if not raced:  # another write lands first (a copy of the first rule): this one must be redone
            raced.append(version)
            current = list(repo.load(tenant_id).rules)
            save(tenant_id, [*current, {**current[0], "id": "other"}], version=version)
        return save(tenant_id, rules, version=version)

    monkeypatch.setattr(repo, "save", racing)
    add(api, MUGS)
    assert rule_ids(api)[1] == "other"  # the other write is kept, and this one added after it
    assert [r["name"] for r in api.json("GET", "/api/v1/rules")["rules"]][2] == "Mugs to the mug item"

    def always_late(tenant_id: str, rules: list[dict[str, Any]], *, version: int) -> repo.RuleList:
        raise repo.VersionConflict(tenant_id)

    monkeypatch.setattr(repo, "save", always_late)
    answer = api.json("POST", "/api/v1/rules", WHOLESALE, expect=409)
    assert answer["error"] == "conflict"
    assert len(rule_ids(api)) == 3
