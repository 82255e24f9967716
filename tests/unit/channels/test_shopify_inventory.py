"""Shopify as an inventory target (quantities from QuickBooks) against FakeShopify over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.channels.base import (
    FatalError,
    HttpOptions,
    InventoryTarget,
    RetriableError,
    StockUpdate,
    inventory_target,
)
from chalicelib.channels.shopify import SPEC, ShopifyConnector
from ledgerbridge.fakes.shopify import FakeShopify


class VirtualClock:
    def __init__(self) -> None:
        self.t = 1_000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeShopify]:
    with FakeShopify(clock=clock.now) as store:
        assert isinstance(store, FakeShopify)
        yield store


def connect(fake: FakeShopify, clock: VirtualClock, **credentials: str) -> ShopifyConnector:
    connector = SPEC.build(
        {"shop": fake.base_url, "access_token": fake.access_token, **credentials},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep),
    )
    assert isinstance(connector, ShopifyConnector)
    return connector


def bodies(fake: FakeShopify) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.requests_to("/graphql.json")]


def searches(fake: FakeShopify) -> list[dict[str, Any]]:
    return [b for b in bodies(fake) if "productVariants" in b["query"]]


def mutations(fake: FakeShopify) -> list[dict[str, Any]]:
    return [b for b in bodies(fake) if "inventorySetQuantities" in b["query"]]


# -- finding items by SKU ------------------------------------------------------------------------------


def test_the_connector_is_its_own_inventory_target(fake: FakeShopify, clock: VirtualClock) -> None:
    connector = connect(fake, clock)
    assert isinstance(connector, InventoryTarget)
    assert inventory_target(connector) is connector


def test_finds_items_by_exact_sku_case_insensitively(fake: FakeShopify, clock: VirtualClock) -> None:
    mug = fake.add_variant("MUG-01", quantity=7, product_title="Coffee Mug", title="Blue")
    fake.add_variant("MUG-01-XL", quantity=3)  # found by Shopify's search for MUG-01, not the same SKU
    untracked = fake.add_variant("card-05", quantity=None, tracked=False, product_title="Cards")

    found = connect(fake, clock).find_stock_items([" mug-01 ", "CARD-05", "NOPE-1"])

    assert set(found) == {" mug-01 ", "CARD-05"}  # keys are the SKUs as asked; unknown ones are absent
    (item,) = found[" mug-01 "]
    assert (item.sku, item.ref, item.quantity, item.tracked) == ("MUG-01", mug["inventory_item_id"], 7, True)
    assert item.title == "Coffee Mug - Blue"
    (card,) = found["CARD-05"]
    assert (card.ref, card.quantity, card.tracked) == (untracked["inventory_item_id"], None, False)


def test_a_shared_sku_returns_every_item(fake: FakeShopify, clock: VirtualClock) -> None:
    first = fake.add_variant("TEE-M", quantity=1, product_title="T-shirt")
    second = fake.add_variant("TEE-M", quantity=2, product_title="T-shirt (old)")

    found = connect(fake, clock).find_stock_items(["TEE-M", "tee-m"])

    assert list(found) == ["TEE-M"]  # the same SKU asked twice is one key
    assert {(i.ref, i.quantity) for i in found["TEE-M"]} == {
        (first["inventory_item_id"], 1),
        (second["inventory_item_id"], 2),
    }


def test_an_item_not_stocked_at_the_location_has_no_quantity(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_variant("POS-A3", levels={fake.second_location: 4})

    (item,) = connect(fake, clock).find_stock_items(["POS-A3"])["POS-A3"]

    assert item.tracked and item.quantity is None


def test_skus_are_searched_in_batches_and_pages(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_variants(120, quantity=2)
    for n in range(130):  # SKU-00001 also matches SKU-00001-n in Shopify's search: more than one page
        fake.add_variant(f"SKU-00001-{n}", quantity=0)
    skus = [f"SKU-{i:05d}" for i in range(1, 121)]

    found = connect(fake, clock).find_stock_items(skus)

    assert sorted(found) == skus
    assert all(len(items) == 1 and items[0].quantity == 2 for items in found.values())
    queries = {b["variables"]["query"] for b in searches(fake)}
    assert len(queries) == 3  # 50 + 50 + 20 SKUs
    assert len(searches(fake)) > 3  # the first search needed more pages
    assert "sku:'SKU-00001' OR sku:'SKU-00002'" in min(queries)


def test_a_sku_with_a_quote_is_found(fake: FakeShopify, clock: VirtualClock) -> None:
    fake.add_variant("KID'S-CAP", quantity=9)
    assert [i.quantity for i in connect(fake, clock).find_stock_items(["KID'S-CAP"])["KID'S-CAP"]] == [9]


def test_no_skus_make_no_requests(fake: FakeShopify, clock: VirtualClock) -> None:
    assert connect(fake, clock).find_stock_items(["", "  "]) == {}
    assert bodies(fake) == []


# -- location ------------------------------------------------------------------------------------------


def test_the_primary_location_is_looked_up_once(fake: FakeShopify, clock: VirtualClock) -> None:
    item = fake.add_variant("MUG-01", quantity=1)
    connector = connect(fake, clock)

    connector.find_stock_items(["MUG-01"])
    connector.set_quantities([StockUpdate("MUG-01", item["inventory_item_id"], 5)])

    assert connector.location_id() == fake.primary_location
    assert (
        sum(1 for b in bodies(fake) if "location" in b["query"] and "productVariants" not in b["query"]) == 1
    )
    assert fake.quantity(item["inventory_item_id"]) == 5


def test_a_configured_location_is_used(fake: FakeShopify, clock: VirtualClock) -> None:
    item = fake.add_variant("MUG-01", levels={fake.primary_location: 1, fake.second_location: 8})
    connector = connect(fake, clock, location_id=fake.second_location.rsplit("/", 1)[-1])

    (found,) = connector.find_stock_items(["MUG-01"])["MUG-01"]
    connector.set_quantities([StockUpdate("MUG-01", found.ref, 20)])

    assert found.quantity == 8
    assert fake.quantity(item["inventory_item_id"], fake.second_location) == 20
    assert fake.quantity(item["inventory_item_id"], fake.primary_location) == 1


def test_an_unknown_configured_location_is_fatal(fake: FakeShopify, clock: VirtualClock) -> None:
    with pytest.raises(FatalError, match="no location 999"):
        connect(fake, clock, location_id="999").find_stock_items(["MUG-01"])
    with pytest.raises(FatalError, match="not a location ID"):
        connect(fake, clock, location_id="warehouse")


# -- setting quantities --------------------------------------------------------------------------------


def test_600_updates_take_three_mutations(fake: FakeShopify, clock: VirtualClock) -> None:
    items = fake.add_variants(600, quantity=1)
    updates = [StockUpdate(v["sku"], v["inventory_item_id"], n) for n, v in enumerate(items)]

    results = connect(fake, clock).set_quantities(updates)

    assert [(r.sku, r.ref, r.ok) for r in results] == [(u.sku, u.ref, True) for u in updates]
    assert fake.inventory_set_calls == 3
    assert [len(m["variables"]["input"]["quantities"]) for m in mutations(fake)] == [250, 250, 100]
    sent = mutations(fake)[0]["variables"]["input"]
    assert (sent["name"], sent["reason"], sent["ignoreCompareQuantity"]) == ("available", "correction", True)
    assert all(fake.quantity(v["inventory_item_id"]) == n for n, v in enumerate(items))


def test_refused_items_become_results_and_the_rest_is_set(fake: FakeShopify, clock: VirtualClock) -> None:
    good = fake.add_variant("MUG-01", quantity=1)
    untracked = fake.add_variant("CARD-05", quantity=None, tracked=False)
    elsewhere = fake.add_variant("POS-A3", levels={fake.second_location: 1})
    updates = [
        StockUpdate("GONE-1", "gid://shopify/InventoryItem/424242", 3),
        StockUpdate("MUG-01", good["inventory_item_id"], 12),
        StockUpdate("CARD-05", untracked["inventory_item_id"], 4),
        StockUpdate("POS-A3", elsewhere["inventory_item_id"], 6),
    ]

    results = connect(fake, clock).set_quantities(updates)

    assert [r.ok for r in results] == [False, True, False, False]
    assert results[0].problem is not None and results[0].problem.startswith(
        "Shopify refused the quantity for SKU GONE-1: The specified inventory item could not be found"
    )
    assert results[2].problem is not None and "not tracked" in results[2].problem
    assert results[3].problem is not None and "not stocked at the location" in results[3].problem
    assert fake.quantity(good["inventory_item_id"]) == 12
    assert fake.inventory_set_calls == 2  # refused as a whole, then sent again without the refused items


def test_a_ref_that_is_not_an_inventory_item_is_refused_without_a_call(
    fake: FakeShopify, clock: VirtualClock
) -> None:
    (result,) = connect(fake, clock).set_quantities([StockUpdate("MUG-01", "product:12", 1)])
    assert not result.ok and result.problem is not None and "not a Shopify inventory item" in result.problem
    assert fake.inventory_set_calls == 0


def test_the_last_update_of_an_item_wins(fake: FakeShopify, clock: VirtualClock) -> None:
    item = fake.add_variant("MUG-01", quantity=1)
    ref = item["inventory_item_id"]

    results = connect(fake, clock).set_quantities(
        [StockUpdate("MUG-01", ref, 3), StockUpdate("MUG-01", ref, 4)]
    )

    assert [r.ok for r in results] == [False, True]
    assert fake.quantity(ref) == 4


def test_a_server_error_is_retried(fake: FakeShopify, clock: VirtualClock) -> None:
    item = fake.add_variant("MUG-01", quantity=1)
    connector = connect(fake, clock)
    connector.location_id()
    fake.fail_next(503, times=2)

    (result,) = connector.set_quantities([StockUpdate("MUG-01", item["inventory_item_id"], 9)])

    assert result.ok and fake.quantity(item["inventory_item_id"]) == 9
    assert len(clock.sleeps) >= 2


def test_a_lasting_outage_raises_retriable_and_changes_nothing(
    fake: FakeShopify, clock: VirtualClock
) -> None:
    items = fake.add_variants(300, quantity=1)
    connector = connect(fake, clock)
    connector.location_id()
    before = len(fake.requests)
    fake.fail_next(500, times=5)

    with pytest.raises(RetriableError, match="HTTP 500"):
        connector.set_quantities([StockUpdate(v["sku"], v["inventory_item_id"], 50) for v in items])

    assert len(fake.requests) - before == 5  # every attempt was the first batch
    assert fake.inventory_set_calls == 0
    assert all(fake.quantity(v["inventory_item_id"]) == 1 for v in items)


def test_throttling_waits_for_the_cost_bucket(fake: FakeShopify, clock: VirtualClock) -> None:
    item = fake.add_variant("MUG-01", quantity=1)
    connector = connect(fake, clock)
    connector.location_id()
    fake.set_available(0)

    (result,) = connector.set_quantities([StockUpdate("MUG-01", item["inventory_item_id"], 2)])

    assert result.ok and fake.throttled >= 1 and sum(clock.sleeps) > 0


# -- credentials and scopes ----------------------------------------------------------------------------


def test_a_rejected_token_is_fatal(fake: FakeShopify, clock: VirtualClock) -> None:
    connector = SPEC.build(
        {"shop": fake.base_url, "access_token": "shpat_wrong"},
        HttpOptions(allow_private_urls=True, sleep=clock.sleep),
    )
    assert isinstance(connector, ShopifyConnector)
    with pytest.raises(FatalError, match="rejected the access token"):
        connector.find_stock_items(["MUG-01"])


@pytest.mark.parametrize(
    ("scope", "call"),
    [
        ("read_locations", "find"),
        ("read_products", "find"),
        ("read_inventory", "find"),
        ("write_inventory", "set"),
    ],
)
def test_a_missing_scope_is_fatal_in_plain_words(
    fake: FakeShopify, clock: VirtualClock, scope: str, call: str
) -> None:
    item = fake.add_variant("MUG-01", quantity=1)
    connector = connect(fake, clock)
    if scope != "read_locations":
        connector.location_id()
    fake.scopes.discard(scope)

    with pytest.raises(FatalError, match=f"lacks the {scope} access scope"):
        if call == "find":
            connector.find_stock_items(["MUG-01"])
        else:
            connector.set_quantities([StockUpdate("MUG-01", item["inventory_item_id"], 5)])
    assert fake.quantity(item["inventory_item_id"]) == 1
