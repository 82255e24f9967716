"""BigCommerce as an inventory target (quantities from QuickBooks) against FakeBigCommerce over loopback: SKUs
found in the v3 catalog, quantities set at an inventory location (absolute adjustments) or, for a store
without locations, in the catalog (variants batch)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import (
    FatalError,
    HttpOptions,
    InventoryTarget,
    RetriableError,
    StockUpdate,
    inventory_target,
)
from chalicelib.channels.bigcommerce import SPEC, BigCommerce, Stocked, read_ref
from ledgerbridge.fakes.bigcommerce import FakeBigCommerce
from tests.unit.channels.contract.adapters import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(clock: VirtualClock) -> Iterator[FakeBigCommerce]:
    store = FakeBigCommerce()
    store.rate_clock = clock.now
    with store:
        yield store


def connect(fake: FakeBigCommerce, clock: VirtualClock, location: str = "") -> BigCommerce:
    connector = SPEC.build(
        {"store_hash": fake.store_hash, "access_token": fake.access_token, "location_id": location},
        HttpOptions(
            allow_private_urls=True, sleep=clock.sleep, base_url_overrides={"bigcommerce": fake.base_url}
        ),
    )
    assert isinstance(connector, BigCommerce)
    return connector


def writes(fake: FakeBigCommerce) -> list[str]:
    return [r.path.rsplit("/v3", 1)[1] for r in fake.requests if r.method == "PUT"]


def test_the_connector_is_its_own_inventory_target(fake: FakeBigCommerce, clock: VirtualClock) -> None:
    connector = connect(fake, clock)
    assert inventory_target(connector) is connector and isinstance(connector, InventoryTarget)


def test_product_and_option_skus_are_found_with_their_quantity_at_the_location(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    found = connect(fake, clock).find_stock_items(["MUG-01", " tee-m ", "TEE", "CAP-1", "NOPE"])

    assert sorted(found) == [" tee-m ", "CAP-1", "MUG-01", "TEE"]
    (mug,) = found["MUG-01"]
    assert (mug.sku, mug.title, mug.quantity, mug.tracked) == ("MUG-01", "Coffee Mug", 10, True)
    (tee,) = found[" tee-m "]
    assert (tee.sku, tee.title, tee.quantity, tee.tracked) == ("TEE-M", "T-Shirt - M", 6, True)
    # the shirt is tracked by option and the cap not at all: found, but BigCommerce keeps no count of them
    assert [(i.tracked, i.quantity) for i in found["TEE"] + found["CAP-1"]] == [(False, None), (False, None)]
    variant_lookups = [r.param("sku") for r in fake.requests_to("/v3/catalog/variants")]
    assert variant_lookups == ["tee-m", "NOPE"]  # the products' own SKUs were found with one sku:in


def test_quantities_are_absolute_adjustments_at_the_configured_location(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    fake.locations[2] = {"code": "WAREHOUSE", "name": "Warehouse"}
    fake.stock[(2, fake.variant_of("MUG-01")["id"])] = 1
    connector = connect(fake, clock, location="2")
    found = connector.find_stock_items(["MUG-01", "TEE-S"])
    assert [found["MUG-01"][0].quantity, found["TEE-S"][0].quantity] == [1, 0]  # none at location 2 yet

    results = connector.set_quantities(
        [StockUpdate("MUG-01", found["MUG-01"][0].ref, 7), StockUpdate("TEE-S", found["TEE-S"][0].ref, 3)]
    )

    assert [r.ok for r in results] == [True, True]
    assert (fake.stock_of("MUG-01", 2), fake.stock_of("TEE-S", 2)) == (7, 3)
    assert (fake.stock_of("MUG-01"), fake.stock_of("TEE-S")) == (10, 4)  # the default location is left alone
    (adjustment,) = fake.adjustments
    assert adjustment["items"] == [
        {"location_id": 2, "product_id": fake.variant_of("MUG-01")["product_id"], "quantity": 7},
        {"location_id": 2, "variant_id": fake.variant_of("TEE-S")["id"], "quantity": 3},
    ]


def test_a_sku_bigcommerce_keeps_no_count_of_is_refused_in_words_without_asking(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    connector = connect(fake, clock)
    found = connector.find_stock_items(["TEE", "CAP-1"])
    asked = len(fake.requests)

    shirt, cap = connector.set_quantities(
        [StockUpdate("TEE", found["TEE"][0].ref, 5), StockUpdate("CAP-1", found["CAP-1"][0].ref, 5)]
    )

    assert not shirt.ok and "tracked by option" in (shirt.problem or "")
    assert not cap.ok and "turn on inventory tracking" in (cap.problem or "")
    assert len(fake.requests) == asked


def test_a_negative_or_unknown_ref_is_refused_without_asking(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    connector = connect(fake, clock)
    negative, wrong = connector.set_quantities(
        [StockUpdate("MUG-01", "product:111:112", -2), StockUpdate("X", "gid://shopify/1", 1)]
    )
    assert "QuickBooks has -2 of SKU MUG-01" in (negative.problem or "")
    assert "not a BigCommerce product or variant" in (wrong.problem or "")
    assert fake.requests == []


def test_a_refused_item_is_found_by_halving_and_the_others_are_set(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    skus = [f"SKU-{n}" for n in range(8)]
    for n, sku in enumerate(skus):
        fake.add_product(f"Item {n}", sku, quantity=1)
    connector = connect(fake, clock)
    found = connector.find_stock_items(skus)
    gone = found["SKU-5"][0].ref
    fake.catalog[int(gone.split(":")[1])]["inventory_tracking"] = "variant"  # changed since it was read

    results = connector.set_quantities([StockUpdate(s, found[s][0].ref, 20) for s in skus])

    assert [r.ok for r in results] == [True] * 5 + [False] + [True] * 2
    assert "tracked by variant" in (results[5].problem or "")
    assert [fake.stock_of(s) for s in skus] == [20] * 5 + [1] + [20] * 2
    assert len(writes(fake)) == 7  # 8 -> 4 + 4 -> (2 + 2) -> (1 + 1): one refused batch per level
    assert len(fake.adjustments) == 3


def test_a_store_without_locations_gets_its_quantities_in_the_catalog_by_fifty(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    skus = [f"BULK-{n:03}" for n in range(60)]
    for sku in skus:
        fake.add_product(sku, sku, quantity=2)
    connector = connect(fake, clock, location="0")
    found = connector.find_stock_items([*skus, "TEE-M"])
    assert {i.quantity for s in skus for i in found[s]} == {2}

    updates = [StockUpdate(s, found[s][0].ref, 9) for s in [*skus, "TEE-M"]]
    results = connector.set_quantities(updates)

    assert all(r.ok for r in results)
    assert {fake.stock_of(s) for s in [*skus, "TEE-M"]} == {9}
    assert writes(fake) == ["/catalog/variants", "/catalog/variants"] and fake.adjustments == []
    first = next(r for r in fake.requests if r.method == "PUT").json()
    assert len(first) == 50 and first[0] == {"id": fake.variant_of(skus[0])["id"], "inventory_level": 9}
    assert fake.requests_to("/v3/inventory/") == []


def test_a_sku_with_a_comma_is_looked_up_alone(fake: FakeBigCommerce, clock: VirtualClock) -> None:
    fake.add_product("Odd", "ODD,1", quantity=3)
    found = connect(fake, clock).find_stock_items(["ODD,1", "MUG-01"])
    assert [i.quantity for i in found["ODD,1"]] == [3]
    products = fake.requests_to("/v3/catalog/products")
    assert [(r.param("sku:in"), r.param("sku")) for r in products] == [("MUG-01", None), (None, "ODD,1")]


def test_throttling_and_a_server_error_are_waited_out(fake: FakeBigCommerce, clock: VirtualClock) -> None:
    connector = connect(fake, clock)
    found = connector.find_stock_items(["MUG-01"])
    fake.exhaust_rate_limit()
    fake.fail_next(502)

    (result,) = connector.set_quantities([StockUpdate("MUG-01", found["MUG-01"][0].ref, 4)])

    assert result.ok and fake.stock_of("MUG-01") == 4
    assert fake.throttled >= 1 and sum(clock.sleeps) >= fake.window_ms / 1000  # the quota window, waited out


def test_a_lasting_outage_is_retriable_and_changes_nothing(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    connector = connect(fake, clock)
    found = connector.find_stock_items(["MUG-01"])
    fake.fail_next(503, times=10)
    with pytest.raises(RetriableError):
        connector.set_quantities([StockUpdate("MUG-01", found["MUG-01"][0].ref, 4)])
    assert fake.stock_of("MUG-01") == 10


def test_a_token_without_the_inventory_scope_is_fatal_in_the_merchants_words(
    fake: FakeBigCommerce, clock: VirtualClock
) -> None:
    connector = connect(fake, clock)
    fake.fail_next(403, body={"status": 403, "title": "You don't have a required scope"})
    with pytest.raises(FatalError, match="Store Inventory modify"):
        connector.find_stock_items(["MUG-01"])


def test_a_location_that_is_not_a_number_is_refused_before_any_request(fake: FakeBigCommerce) -> None:
    with pytest.raises(FatalError, match="location ID is a number"):
        SPEC.build({"store_hash": "abc", "access_token": "t", "location_id": "Main"}, HttpOptions())
    assert fake.requests == []


@settings(max_examples=60, deadline=None)
@given(
    product=st.integers(1, 10**9),
    variant=st.integers(1, 10**9),
    tracking=st.sampled_from(["product", "variant", "none"]),
    base=st.booleans(),
)
def test_every_ref_a_lookup_makes_reads_back_to_its_item(
    product: int, variant: int, tracking: str, base: bool
) -> None:
    entry = Stocked(product, variant, "S", "T", tracking, base, None)
    target = read_ref(entry.ref)
    assert target is not None and target.product_id == product
    assert bool(target.untracked) == (not entry.settable)
    assert target.variant_id == variant and target.base == (base and entry.settable)


@settings(max_examples=12, deadline=None)
@given(
    quantities=st.dictionaries(
        st.sampled_from(["MUG-01", "TEE-S", "TEE-M"]), st.integers(0, 2_147_483_647), min_size=1
    ),
    location=st.sampled_from(["", "0"]),
)
def test_what_is_set_is_what_the_next_lookup_finds(quantities: dict[str, int], location: str) -> None:
    clock = VirtualClock()
    fake = FakeBigCommerce()
    with fake:
        connector = connect(fake, clock, location)
        found = connector.find_stock_items(sorted(quantities))
        results = connector.set_quantities(
            [StockUpdate(sku, found[sku][0].ref, quantity) for sku, quantity in quantities.items()]
        )
        again = connector.find_stock_items(sorted(quantities))
    assert all(r.ok for r in results)
    assert {sku: again[sku][0].quantity for sku in quantities} == quantities
