"""Local HTTP servers that speak each store's documented API (for tests, benchmarks and the local demo).

They serve realistic documents, paginate, throttle (429 with Retry-After), fail on demand (5xx, 401) and let
a test add or change orders between runs. They listen on 127.0.0.1 only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledgerbridge.fakes.base import FakeStore


@dataclass(frozen=True)
class FakeKind:
    """How to start a fake of one channel kind and the credentials a channel needs to reach it."""

    kind: str
    start: Callable[[Callable[[], float] | None], FakeStore]  # the store's rate-limit clock (None: real)
    credentials: Callable[[Any], dict[str, str]]


def _shopify(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.shopify import FakeShopify

    return (FakeShopify(clock=clock) if clock else FakeShopify()).start()


def _shipstation(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.shipstation import FakeShipStation

    fake = FakeShipStation()
    if clock:
        fake.rate_clock = clock
    return fake.start()


def _woocommerce(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.woocommerce import FakeWooCommerce

    return FakeWooCommerce().start()


def _custom_store(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.custom_store import FakeCustomStore

    return FakeCustomStore().start()


def _bigcommerce(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.bigcommerce import FakeBigCommerce

    fake = FakeBigCommerce()
    if clock:
        fake.rate_clock = clock
    return fake.start()


def _stripe(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.stripe import FakeStripe

    fake = FakeStripe()
    if clock:
        fake.rate_clock = clock
    return fake.start()


def _square(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.square import FakeSquare

    fake = FakeSquare()
    if clock:
        fake.rate_clock = clock
    return fake.start()


def _magento(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.magento import FakeMagento

    fake = FakeMagento()
    if clock:
        fake.rate_clock = clock
    return fake.start()


def _walmart(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.walmart import FakeWalmart

    # x-next-replenish-time is epoch ms on the fake's clock, compared with the connector's (HttpOptions.now): given
    # a clock, the fake uses it, and the caller gives the connector the same one.
    fake = FakeWalmart()
    if clock:
        fake.rate_clock = clock
    return fake.start()


def _amazon(clock: Callable[[], float] | None) -> FakeStore:
    from ledgerbridge.fakes.amazon import FakeAmazon

    fake = FakeAmazon()
    if clock:
        fake.rate_clock = clock
    return fake.start()


FAKES: dict[str, FakeKind] = {
    "shopify": FakeKind("shopify", _shopify, lambda f: {"shop": f.base_url, "access_token": f.access_token}),
    "shipstation": FakeKind(
        "shipstation", _shipstation, lambda f: {"api_key": f.api_key, "api_secret": f.api_secret}
    ),
    "woocommerce": FakeKind(
        "woocommerce",
        _woocommerce,
        lambda f: {
            "store_url": f.base_url,
            "consumer_key": f.consumer_key,
            "consumer_secret": f.consumer_secret,
        },
    ),
    "custom_store": FakeKind(
        "custom_store",
        _custom_store,
        lambda f: {"base_url": f.base_url, "username": f.username, "password": f.password},
    ),
    "bigcommerce": FakeKind(
        "bigcommerce",
        _bigcommerce,
        lambda f: {"store_hash": f.store_hash, "access_token": f.access_token},
    ),
    "stripe": FakeKind("stripe", _stripe, lambda f: {"api_key": f.api_key}),
    "square": FakeKind("square", _square, lambda f: {"access_token": f.access_token}),
    "magento": FakeKind(
        "magento", _magento, lambda f: {"store_url": f.base_url, "access_token": f.access_token}
    ),
    "walmart": FakeKind(
        "walmart", _walmart, lambda f: {"client_id": f.client_id, "client_secret": f.client_secret}
    ),
    "amazon": FakeKind(
        "amazon",
        _amazon,
        lambda f: {
            "client_id": f.client_id,
            "client_secret": f.client_secret,
            "refresh_token": f.refresh_token,
            "marketplace_id": f.marketplace_id,
        },
    ),
}
