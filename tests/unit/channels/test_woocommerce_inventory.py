"""WooCommerce as an inventory target (quantities from QuickBooks) against the fake store over loopback."""

from __future__ import annotations

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
from chalicelib.channels.woocommerce import SPEC, WooCommerce
from ledgerbridge.fakes.woocommerce import FakeWooCommerce


@pytest.fixture
def fake() -> Iterator[FakeWooCommerce]:
    with FakeWooCommerce() as store:
        assert isinstance(store, FakeWooCommerce)
        yield store


@pytest.fixture
def sleeps() -> list[float]:
    return []


def connect(fake: FakeWooCommerce, sleeps: list[float], *, secret: str | None = None) -> WooCommerce:
    connector = SPEC.build(
        {
            "store_url": fake.base_url,
            "consumer_key": fake.consumer_key,
            "consumer_secret": secret or fake.consumer_secret,
        },
        HttpOptions(allow_private_urls=True, sleep=sleeps.append),
    )
    assert isinstance(connector, WooCommerce)
    return connector


def batch_bodies(fake: FakeWooCommerce) -> list[tuple[str, dict[str, Any]]]:
    return [(r.path, r.json()) for r in fake.requests_to("/batch")]


# -- finding items by SKU ------------------------------------------------------------------------------


def test_the_connector_is_its_own_inventory_target(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    connector = connect(fake, sleeps)
    assert isinstance(connector, InventoryTarget)
    assert inventory_target(connector) is connector


def test_finds_products_and_variations_by_sku(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    mug = fake.add_product("MUG-01", name="Heron mug", quantity=7)
    fake.add_product("MUG-01-XL", quantity=3)
    parent, (small, medium) = fake.add_variable_product("Heron T-shirt", [("TEE-S", 4), ("tee-m", None)])
    fake.add_product("NO-STOCK", quantity=None)

    found = connect(fake, sleeps).find_stock_items([" mug-01", "TEE-S", "TEE-M", "NO-STOCK", "GONE-1"])

    assert set(found) == {" mug-01", "TEE-S", "TEE-M", "NO-STOCK"}
    (item,) = found[" mug-01"]
    assert (item.sku, item.ref, item.title, item.quantity, item.tracked) == (
        "MUG-01",
        f"product:{mug['id']}",
        "Heron mug",
        7,
        True,
    )
    (variation,) = found["TEE-S"]
    assert (variation.ref, variation.quantity, variation.tracked) == (
        f"variation:{parent['id']}:{small['id']}",
        4,
        True,
    )
    (unmanaged,) = found["TEE-M"]
    assert (unmanaged.ref, unmanaged.quantity, unmanaged.tracked) == (
        f"variation:{parent['id']}:{medium['id']}",
        None,
        False,
    )
    assert found["NO-STOCK"][0].quantity is None


def test_a_shared_sku_returns_every_item(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    first = fake.add_product("CAP-01", quantity=1)
    parent, (variation,) = fake.add_variable_product("Cap", [("CAP-01", 2)])

    (items,) = connect(fake, sleeps).find_stock_items(["CAP-01"]).values()

    assert {(i.ref, i.quantity) for i in items} == {
        (f"product:{first['id']}", 1),
        (f"variation:{parent['id']}:{variation['id']}", 2),
    }


def test_skus_are_looked_up_in_batches_and_pages(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    for i in range(1, 121):
        fake.add_product(f"SKU-{i:05d}", quantity=i)
    skus = [f"SKU-{i:05d}" for i in range(1, 121)]

    found = connect(fake, sleeps).find_stock_items(skus)

    assert sorted(found) == skus
    assert all(items[0].quantity == int(sku[4:]) for sku, items in found.items())
    lookups = [r for r in fake.requests_to("/wc/v3/products") if r.param("sku")]
    assert [len((r.param("sku") or "").split(",")) for r in lookups] == [40, 40, 40]


def test_a_sku_with_a_comma_is_looked_up_alone(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    fake.add_product("A,B", quantity=5)
    fake.add_product("A", quantity=1)

    found = connect(fake, sleeps).find_stock_items(["A,B", "C"])

    assert [i.quantity for i in found["A,B"]] == [5]
    assert set(found) == {"A,B"}
    assert [r.param("sku") for r in fake.requests_to("/wc/v3/products")] == ["C", "A,B"]


# -- setting quantities --------------------------------------------------------------------------------


def test_quantities_are_set_in_batches_of_100(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    products = [fake.add_product(f"SKU-{i:05d}", quantity=None) for i in range(250)]
    parent, variations = fake.add_variable_product("Tee", [(f"TEE-{i}", 0) for i in range(120)])
    updates = [StockUpdate(p["sku"], f"product:{p['id']}", n) for n, p in enumerate(products)]
    updates += [StockUpdate(v["sku"], f"variation:{parent['id']}:{v['id']}", 7) for v in variations]

    results = connect(fake, sleeps).set_quantities(updates)

    assert [(r.sku, r.ok) for r in results] == [(u.sku, True) for u in updates]
    assert [(path.rsplit("/wc/v3/", 1)[1], len(body["update"])) for path, body in batch_bodies(fake)] == [
        ("products/batch", 100),
        ("products/batch", 100),
        ("products/batch", 50),
        (f"products/{parent['id']}/variations/batch", 100),
        (f"products/{parent['id']}/variations/batch", 20),
    ]
    first = batch_bodies(fake)[0][1]["update"][0]
    assert first == {"id": products[0]["id"], "manage_stock": True, "stock_quantity": 0}
    assert all(fake.stock(p["id"]) == n for n, p in enumerate(products))
    assert products[3]["manage_stock"] is True and products[3]["stock_status"] == "instock"
    assert all(fake.stock(v["id"]) == 7 for v in variations)


def test_unknown_ids_become_refused_results(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    mug = fake.add_product("MUG-01", quantity=1)
    parent, (tee,) = fake.add_variable_product("Tee", [("TEE-S", 1)])
    updates = [
        StockUpdate("GONE-1", "product:999999", 3),
        StockUpdate("MUG-01", f"product:{mug['id']}", 12),
        StockUpdate("TEE-X", f"variation:{parent['id']}:888888", 1),
        StockUpdate("TEE-S", f"variation:{parent['id']}:{tee['id']}", 2),
        StockUpdate("ODD", "sku:ODD", 2),
    ]

    results = connect(fake, sleeps).set_quantities(updates)

    assert [r.ok for r in results] == [False, True, False, True, False]
    assert results[0].problem == "WooCommerce refused the quantity for SKU GONE-1: Invalid ID."
    assert results[2].problem == "WooCommerce refused the quantity for SKU TEE-X: Invalid ID."
    assert results[4].problem is not None and "not a WooCommerce product or variation" in results[4].problem
    assert (fake.stock(mug["id"]), fake.stock(tee["id"])) == (12, 2)
    assert fake.batch_calls == 2


def test_the_fake_refuses_more_than_100_items_like_woocommerce(fake: FakeWooCommerce) -> None:
    import httpx

    response = httpx.post(
        f"{fake.base_url}/wp-json/wc/v3/products/batch",
        json={"update": [{"id": i, "stock_quantity": 1} for i in range(101)]},
        auth=(fake.consumer_key, fake.consumer_secret),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "woocommerce_rest_request_entity_too_large"


def test_a_server_error_is_retried(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    mug = fake.add_product("MUG-01", quantity=1)
    fake.fail_next(502, times=2)

    (result,) = connect(fake, sleeps).set_quantities([StockUpdate("MUG-01", f"product:{mug['id']}", 9)])

    assert result.ok and fake.stock(mug["id"]) == 9 and len(sleeps) == 2


def test_a_lasting_outage_raises_retriable_and_changes_nothing(
    fake: FakeWooCommerce, sleeps: list[float]
) -> None:
    products = [fake.add_product(f"SKU-{i}", quantity=1) for i in range(150)]
    connector = connect(fake, sleeps)
    fake.fail_next(503, times=5)

    with pytest.raises(RetriableError, match="HTTP 503"):
        connector.set_quantities([StockUpdate(p["sku"], f"product:{p['id']}", 40) for p in products])

    assert fake.batch_calls == 0
    assert all(fake.stock(p["id"]) == 1 for p in products)


def test_a_read_only_key_is_fatal_in_plain_words(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    mug = fake.add_product("MUG-01", quantity=1)
    fake.permissions = "read"
    connector = connect(fake, sleeps)

    assert connector.find_stock_items(["MUG-01"])["MUG-01"][0].quantity == 1
    with pytest.raises(FatalError, match="Read/Write permission"):
        connector.set_quantities([StockUpdate("MUG-01", f"product:{mug['id']}", 5)])
    assert fake.stock(mug["id"]) == 1


def test_a_wrong_secret_is_fatal(fake: FakeWooCommerce, sleeps: list[float]) -> None:
    with pytest.raises(FatalError, match="rejected the consumer key"):
        connect(fake, sleeps, secret="cs_wrong").find_stock_items(["MUG-01"])
