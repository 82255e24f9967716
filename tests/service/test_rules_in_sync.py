"""Order rules change what the simulated QuickBooks company records (issue 14): the tenant's rules run on every
order between the store and QuickBooks, through the REST API, a Web Connector session and the company
simulator, and each synced order records which rules changed it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.service.test_post_orders import order, session, statuses


def rule(api: Any, body: dict[str, Any]) -> str:
    return str(api.json("POST", "/api/v1/rules", body, expect=201)["id"])


def push(api: Any, store: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    answer: dict[str, Any] = api.json(
        "POST", f"/api/v1/channels/{store['channel']['id']}/orders", {"orders": docs}, expect=202
    )
    return answer


def receipt_of(store: dict[str, Any], number: str) -> dict[str, Any]:
    found = [r for r in store["company"].transactions("SalesReceipt") if r.get("RefNumber") == number]
    assert len(found) == 1, (
        number,
        [r.get("RefNumber") for r in store["company"].transactions("SalesReceipt")],
    )
    return found[0]


def lines_of(receipt: dict[str, Any]) -> list[dict[str, Any]]:
    lines = receipt.get("SalesReceiptLineRet") or []
    return lines if isinstance(lines, list) else [lines]


def ref(value: Any) -> str:
    return str((value or {}).get("FullName", ""))


def test_deposit_account_by_payment_method_and_class_by_channel(api, store):
    paypal = rule(
        api,
        {
            "name": "PayPal to checking",
            "conditions": [{"field": "payment_method", "op": "equals", "values": ["paypal"]}],
            "actions": [{"action": "SET_DEPOSIT_ACCOUNT", "account": "Checking"}],
        },
    )
    web = rule(
        api,
        {
            "name": "Web store class",
            "conditions": [{"field": "channel", "op": "equals", "values": [store["channel"]["id"]]}],
            "actions": [{"action": "SET_CLASS", "class_name": "Online"}],
        },
    )
    by_paypal = order(1, payments=[{"method": "PayPal", "amount": "30.00"}])
    by_card = order(2)
    push(api, store, [by_paypal, by_card])
    assert session(store)[0] == ""

    paid_by_paypal, paid_by_card = receipt_of(store, "2001"), receipt_of(store, "2002")
    assert ref(paid_by_paypal.get("DepositToAccountRef")) == "Checking"
    assert ref(paid_by_card.get("DepositToAccountRef")) == "Undeposited Funds"  # the channel's setting
    for receipt in (paid_by_paypal, paid_by_card):
        assert ref(receipt.get("ClassRef")) == "Online"
    seen = statuses(api, store["channel"]["id"])
    assert seen["2001"]["status"] == "synced" and seen["2001"]["rules"] == [paypal, web]
    assert seen["2002"]["rules"] == [web]


def test_an_order_a_rule_says_not_to_import_never_reaches_quickbooks(api, store):
    rule(
        api,
        {
            "name": "No test orders",
            "conditions": [{"field": "email", "op": "ends_with", "values": ["@test.example"]}],
            "actions": [{"action": "DO_NOT_IMPORT"}],
        },
    )
    test_order = order(1, customer={"first_name": "QA", "last_name": "Bot", "email": "qa@test.example"})
    answer = push(api, store, [test_order, order(2)])
    skipped = [o for o in answer["orders"] if o["outcome"] == "skipped"]
    assert [o["order_id"] for o in skipped] == ["2001"]
    assert "No test orders" in skipped[0]["reason"]
    session(store)
    assert [r.get("RefNumber") for r in store["company"].transactions("SalesReceipt")] == ["2002"]


def test_an_order_stored_before_its_do_not_import_rule_is_held_back_with_the_reason(api, store):
    push(api, store, [order(1, note="marketplace test")])
    rule(
        api,
        {
            "name": "Hold marketplace tests",
            "conditions": [{"field": "note", "op": "contains", "values": ["test"]}],
            "actions": [{"action": "DO_NOT_IMPORT"}],
        },
    )
    session(store)
    held = statuses(api, store["channel"]["id"])["2001"]
    assert held["status"] == "failed" and held["error"]["code"] == "not_imported"
    assert "Hold marketplace tests" in held["error"]["message"]
    assert store["company"].transactions("SalesReceipt") == []


def test_tax_removed_for_marketplace_facilitator_orders(api, store):
    rule(
        api,
        {
            "name": "Facilitator tax",
            "conditions": [{"field": "tags", "op": "in_list", "values": ["MarketplaceFacilitator"]}],
            "actions": [{"action": "REMOVE_TAX"}],
        },
    )
    taxed = order(
        1,
        tags=["MarketplaceFacilitator"],
        lines=[
            {"id": "1", "sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "12.50", "tax": "2.50"}
        ],
        tax_lines=[{"title": "WA State", "rate": "0.1", "amount": "2.50"}],
        payments=[{"method": "credit_card", "amount": "32.50"}],
        total="32.50",
    )
    push(api, store, [taxed])
    assert session(store)[0] == ""
    receipt = receipt_of(store, "2001")
    amounts = sum(Decimal(str(line.get("Amount", "0"))) for line in lines_of(receipt))
    assert amounts == Decimal("30.00")  # the mugs and shipping: no tax line, no tax in QuickBooks' total
    assert Decimal(str(receipt.get("SalesTaxTotal", "0"))) == 0
    assert statuses(api, store["channel"]["id"])["2001"]["status"] == "synced"


def test_a_sku_is_mapped_to_an_existing_item_and_a_surcharge_added(api, store):
    rule(
        api,
        {
            "name": "Mugs are catalog specials",
            "actions": [
                {"action": "MAP_SKU", "match": "prefix", "sku": "MUG-", "item": "Catalog Special Order"}
            ],
        },
    )
    rule(
        api,
        {
            "name": "Handling",
            "conditions": [{"field": "total", "op": "more_than", "values": ["20"]}],
            "actions": [{"action": "ADD_SHIPPING_SURCHARGE", "kind": "amount", "amount": "2.00"}],
        },
    )
    items_before = len(store["company"].objects("ItemNonInventory"))
    push(api, store, [order(1)])
    assert session(store)[0] == ""
    receipt = receipt_of(store, "2001")
    lines = lines_of(receipt)
    assert ref(lines[0].get("ItemRef")) == "Catalog Special Order"  # the existing item, not a new MUG-01
    assert len(store["company"].objects("ItemNonInventory")) == items_before
    surcharge = [line for line in lines if Decimal(str(line.get("Amount", "0"))) == Decimal("2.00")]
    assert surcharge, lines  # the surcharge is a line of its own
    assert Decimal(str(receipt["TotalAmount"])) == Decimal("32.00")
    seen = statuses(api, store["channel"]["id"])["2001"]
    assert seen["status"] == "synced" and len(seen["rules"]) == 2


def test_the_rules_test_shows_the_qbxml_quickbooks_would_receive(api, store):
    """The test view's QuickBooks side: the sale's qbXML as the rules make it, valid against qbXML 13.0, and
    nothing sent."""
    from ledgerbridge.qbxml_schema import schema_errors

    rule(
        api,
        {
            "name": "PayPal to checking",
            "conditions": [{"field": "payment_method", "op": "equals", "values": ["paypal"]}],
            "actions": [
                {"action": "SET_DEPOSIT_ACCOUNT", "account": "Checking"},
                {"action": "SET_MEMO", "template": "PayPal order"},
            ],
        },
    )
    push(api, store, [order(1, payments=[{"method": "PayPal", "amount": "30.00"}])])
    tested = api.json("POST", "/api/v1/rules/test", {"orders": ["#2001"]})["results"][0]
    qbxml = tested["quickbooks"]["qbxml"]
    assert tested["quickbooks"]["problem"] is None and schema_errors(qbxml) == []
    assert "<FullName>Checking</FullName>" in qbxml and "<Memo>PayPal order</Memo>" in qbxml
    assert store["company"].transactions("SalesReceipt") == []  # a preview sends nothing
    skip = {"name": "Skip", "actions": [{"action": "DO_NOT_IMPORT"}]}
    held = api.json("POST", "/api/v1/rules/test", {"orders": ["#2001"], "rules": [skip]})["results"][0]
    assert held["quickbooks"]["qbxml"] is None and "not to import" in held["quickbooks"]["problem"]


def test_rules_on_the_payment_gateway_and_the_stores_own_fields(api, store):
    """Conditions on what the store says beside the order: its payments' gateway and its custom fields
    (`attributes`: Shopify note attributes, WooCommerce meta data, a custom store's own)."""
    rule(
        api,
        {
            "name": "Stripe to checking",
            "conditions": [{"field": "gateway", "op": "equals", "values": ["stripe"]}],
            "actions": [{"action": "SET_DEPOSIT_ACCOUNT", "account": "Checking"}],
        },
    )
    rule(
        api,
        {
            "name": "Downtown pickups",
            "conditions": [
                {"field": "attribute", "attribute": "pickup_location", "op": "equals", "values": ["Downtown"]}
            ],
            "actions": [{"action": "SET_CLASS", "class_name": "Retail"}],
        },
    )
    by_stripe = order(1, payments=[{"method": "Credit card", "gateway": "stripe", "amount": "30.00"}])
    picked_up = order(2, attributes={"pickup_location": "downtown"})  # text compares without case
    push(api, store, [by_stripe, picked_up])
    assert session(store)[0] == ""
    assert ref(receipt_of(store, "2001").get("DepositToAccountRef")) == "Checking"
    assert not ref(receipt_of(store, "2001").get("ClassRef"))
    assert ref(receipt_of(store, "2002").get("ClassRef")) == "Retail"
    assert ref(receipt_of(store, "2002").get("DepositToAccountRef")) == "Undeposited Funds"
