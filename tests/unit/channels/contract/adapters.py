"""How the connector contract suite drives each kind: build the connector against its fake, add, change and
break orders in the fake, and make the fake throttle. One small adapter per kind; the behaviours are written
once in test_contract.py (the idea of Meltano SDK's generated tap tests, written for this codebase).

Adding a kind: write its fake (ledgerbridge/fakes/), register it in ledgerbridge.fakes.FAKES, and add an
adapter here; the whole suite then runs against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.channels import spec
from chalicelib.channels.base import Connector, HttpOptions
from ledgerbridge.fakes import FAKES
from ledgerbridge.fakes.base import FakeStore


@dataclass
class VirtualClock:
    """Time for the connector's waits and the fake's rate limits: sleeping records the wait and moves it."""

    t: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Adapter:
    """The default: a fake with `add_orders`, `change_order(id)`, `break_order(id)`, an `id` field, and
    credentials from `ledgerbridge.fakes.FAKES`; throttling by 429 with Retry-After."""

    kind = ""
    id_field = "id"
    rejected = ""  # how the connector's FatalError for wrong credentials begins
    wrong: Mapping[str, str] = {}  # credentials replaced to make them wrong

    def start(self, clock: VirtualClock) -> Any:
        return FAKES[self.kind].start(clock.now)

    def connect(
        self, fake: Any, clock: VirtualClock, *, page_size: int | None = 5, wrong: bool = False
    ) -> Connector:
        credentials = {**FAKES[self.kind].credentials(fake), **(self.wrong if wrong else {})}
        options = HttpOptions(
            allow_private_urls=True,
            sleep=clock.sleep,
            page_size=page_size,
            base_url_overrides={self.kind: fake.base_url},
        )
        return spec(self.kind).build(credentials, options)

    def order_id(self, document: Mapping[str, Any]) -> str:
        """The id the connector reports for an order document of the fake."""
        return str(document[self.id_field])

    def add_orders(self, fake: Any, n: int, seed: int) -> list[str]:
        return [self.order_id(d) for d in fake.add_orders(n, seed=seed)]

    def change_order(self, fake: Any, order_id: str) -> None:
        fake.change_order(order_id)

    def break_order(self, fake: Any, order_id: str) -> None:
        fake.break_order(order_id)

    def until(self, fake: FakeStore) -> datetime:
        """A window end after every change the fake has made so far (later changes fall after it)."""
        return fake.tick(60)

    def throttle(self, fake: Any) -> None:
        """Make the store refuse the next request for being too fast, the vendor's own way."""
        fake.fail_next(429, headers={"Retry-After": "7"}, body={"message": "Too Many Requests"})

    def throttle_wait(self, fake: Any) -> float:
        """The wait the store asked for (after `throttle` and one fetch)."""
        return 7.0


class ShopifyAdapter(Adapter):
    """Throttles by its GraphQL cost bucket: an empty bucket refills at `restore_rate` points a second."""

    kind = "shopify"
    rejected = "Shopify rejected the access token"
    wrong = {"access_token": "shpat_wrong"}

    def order_id(self, document: Mapping[str, Any]) -> str:
        from ledgerbridge.fakes.shopify import numeric_id

        return numeric_id(document["id"])

    def add_orders(self, fake: Any, n: int, seed: int) -> list[str]:
        return [self.order_id(d) for d in fake.add_orders(n, seed=seed, spread_seconds=1)]

    def throttle(self, fake: Any) -> None:
        fake.set_available(0)

    def throttle_wait(self, fake: Any) -> float:
        return float(fake.costs[0]["requestedQueryCost"]) / float(fake.restore_rate)


class ShipStationAdapter(Adapter):
    """Throttles by its 40-requests-a-minute window: 429 with Retry-After until the window resets."""

    kind = "shipstation"
    id_field = "orderId"
    rejected = "ShipStation rejected the API key and secret."
    wrong = {"api_secret": "not-the-secret"}

    def start(self, clock: VirtualClock) -> Any:
        fake = super().start(clock)
        fake.rate_clock = clock.now
        return fake

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit()

    def throttle_wait(self, fake: Any) -> float:
        return 60.0


class WooCommerceAdapter(Adapter):
    kind = "woocommerce"
    rejected = "WooCommerce rejected the consumer key and secret."
    wrong = {"consumer_secret": "cs_wrong"}


class CustomStoreAdapter(Adapter):
    kind = "custom_store"
    rejected = "Your store's API rejected the user name and password."
    wrong = {"password": "wrong"}


class BigCommerceAdapter(Adapter):
    """Throttles by its request quota: 429 with X-Rate-Limit-Time-Reset-Ms until the window resets."""

    kind = "bigcommerce"
    rejected = "BigCommerce rejected the API account's access token."
    wrong = {"access_token": "not-the-token"}

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit()

    def throttle_wait(self, fake: Any) -> float:
        return float(fake.window_ms) / 1000.0


class StripeAdapter(Adapter):
    """Orders are successful charges; a change is a refund (Stripe's `created` never changes); throttles by
    its per-second read allowance: 429 with no Retry-After, waited out by exponential back-off (1 s first)."""

    kind = "stripe"
    rejected = "Stripe rejected the restricted API key"
    wrong = {"api_key": "rk_test_not_the_key"}

    def order_id(self, document: Mapping[str, Any]) -> str:
        return str(document.get("payment_intent") or document["id"])

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit()

    def throttle_wait(self, fake: Any) -> float:
        return 1.0


class SquareAdapter(Adapter):
    """Throttles with 429 RATE_LIMITED and no header: the connector waits 1 s, then doubles."""

    kind = "square"
    rejected = "Square rejected the access token"
    wrong = {"access_token": "EAAA-not-the-token"}

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit()

    def throttle_wait(self, fake: Any) -> float:
        return 1.0


class MagentoAdapter(Adapter):
    """Orders keyed by entity_id; Magento has no rate-limit headers: a CDN in front of it answers 429 with
    Retry-After until its window resets."""

    kind = "magento"
    id_field = "entity_id"
    rejected = "Magento rejected the integration's access token."
    wrong = {"access_token": "not-the-token"}

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit()

    def throttle_wait(self, fake: Any) -> float:
        return float(fake.rate_window)


class WalmartAdapter(Adapter):
    """Purchase orders keyed by purchaseOrderId; throttles by its call tokens: 429 with x-next-replenish-time
    (epoch ms), waited for on the connector's clock (the virtual clock here)."""

    kind = "walmart"
    id_field = "purchaseOrderId"
    rejected = "Walmart rejected the client ID and client secret."
    wrong = {"client_secret": "not-the-secret"}

    def start(self, clock: VirtualClock) -> Any:
        fake = super().start(clock)
        fake.rate_clock = clock.now
        return fake

    def connect(
        self, fake: Any, clock: VirtualClock, *, page_size: int | None = 5, wrong: bool = False
    ) -> Connector:
        from chalicelib.channels.walmart import Walmart

        credentials = {**FAKES[self.kind].credentials(fake), **(self.wrong if wrong else {})}
        options = HttpOptions(
            allow_private_urls=True,
            sleep=clock.sleep,
            page_size=page_size,
            base_url_overrides={self.kind: fake.base_url},
        )
        return Walmart(credentials, options, now=clock.now)

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit()

    def throttle_wait(self, fake: Any) -> float:
        return float(fake.window)


class AmazonAdapter(Adapter):
    """Orders keyed by AmazonOrderId; throttles by getOrders' token bucket: 429 with x-amzn-RateLimit-Limit,
    waited out for one token's restore time (1 / 0.0167 s)."""

    kind = "amazon"
    id_field = "AmazonOrderId"
    rejected = "Amazon rejected the app's credentials."
    wrong = {"client_secret": "amzn1.oa2-cs.v1.not-the-secret"}

    def throttle(self, fake: Any) -> None:
        fake.exhaust_rate_limit("getOrders")

    def throttle_wait(self, fake: Any) -> float:
        return 1.0 / 0.0167


ADAPTERS: dict[str, Adapter] = {
    a.kind: a
    for a in (
        ShopifyAdapter(),
        ShipStationAdapter(),
        WooCommerceAdapter(),
        CustomStoreAdapter(),
        BigCommerceAdapter(),
        StripeAdapter(),
        SquareAdapter(),
        MagentoAdapter(),
        WalmartAdapter(),
        AmazonAdapter(),
    )
}
