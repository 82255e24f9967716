"""The connector contract: what every store connector does, run against each kind and its loopback fake.

Every behaviour here is the fetch use case's assumption about a connector (chalicelib/sync/fetch.py stores
a page, then moves the bookmark to the window's end): pages in ascending `updated_at` with no gap and no
duplicate while orders change between pages, a window holding only what changed in it, throttling waited
out on the (virtual) clock, 5xx retried then given up as RetriableError, rejected credentials FatalError in
the merchant's words, a malformed order skipped with its reason, and every other order canonical. Vendor
specifics (mapping details, each vendor's own headers and quirks) stay in tests/unit/channels/test_*.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import (
    Connector,
    FatalError,
    FetchedOrder,
    HttpOptions,
    Page,
    RetriableError,
    Window,
)
from chalicelib.orders.model import parse_order
from tests.unit.channels.contract.adapters import ADAPTERS, Adapter, VirtualClock


@pytest.fixture(params=sorted(ADAPTERS))
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def fake(adapter: Adapter, clock: VirtualClock) -> Iterator[Any]:
    store = adapter.start(clock)
    yield store
    store.stop()


def read_window(connector: Connector, window: Window, first: Page | None = None) -> list[Page]:
    pages = [first or connector.fetch_page(window, None)]
    while pages[-1].next_token is not None:
        pages.append(connector.fetch_page(window, pages[-1].next_token))
        assert len(pages) < 500, "paging did not end"
    return pages


def orders_of(pages: list[Page]) -> list[FetchedOrder]:
    return [order for page in pages for order in page.orders]


def assert_a_clean_run(fetched: list[FetchedOrder], window: Window) -> None:
    """Oldest change first, no order twice, every order inside the window."""
    ids = [o.order_id for o in fetched]
    assert len(ids) == len(set(ids)), f"an order was read twice in one run: {ids}"
    stamps = [o.updated_at for o in fetched]
    assert stamps == sorted(stamps)
    for order in fetched:
        assert window.since is None or order.updated_at >= window.since
        assert order.updated_at <= window.until


# -- paging and windows ------------------------------------------------------------------------------


def test_every_order_once_oldest_change_first(adapter: Adapter, fake: Any, clock: VirtualClock) -> None:
    ids = adapter.add_orders(fake, 23, seed=7)
    window = Window(None, adapter.until(fake))

    fetched = orders_of(read_window(adapter.connect(fake, clock, page_size=4), window))

    assert_a_clean_run(fetched, window)
    assert sorted(o.order_id for o in fetched) == sorted(ids)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(1, 16),
    page_size=st.integers(1, 8),
    seed=st.integers(0, 1000),
    changes=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 15)), max_size=6),
)
def test_orders_changing_between_pages_leave_no_gap_and_are_read_in_the_next_window(
    adapter: Adapter, n: int, page_size: int, seed: int, changes: list[tuple[int, int]]
) -> None:
    """Between two pages any order (already read or not) changes; the run still reads, exactly once, every
    order that did not change, and the next window reads exactly the ones that did. The bound stores that
    page by offset have (chalicelib/channels/paging.py): fewer orders share one moment than a page holds."""
    clock = VirtualClock()
    fake = adapter.start(clock)
    try:
        ids = adapter.add_orders(fake, n, seed=seed)
        bookmark = adapter.until(fake)
        window = Window(None, bookmark)
        connector = adapter.connect(fake, clock, page_size=page_size)
        moments = Counter(o.updated_at for o in orders_of(read_window(connector, window)))
        assume(max(moments.values()) < page_size)
        pages: list[Page] = []
        token: str | None = None
        changed: set[str] = set()
        for number in range(500):
            pages.append(connector.fetch_page(window, token))
            for after_page, index in changes:
                if after_page == number:
                    adapter.change_order(fake, ids[index % n])
                    changed.add(ids[index % n])
            token = pages[-1].next_token
            if token is None:
                break
        first_run = orders_of(pages)
        second_window = Window(bookmark, adapter.until(fake))
        second_run = orders_of(read_window(connector, second_window))
    finally:
        fake.stop()

    assert_a_clean_run(first_run, window)
    assert_a_clean_run(second_run, second_window)
    first_ids = {o.order_id for o in first_run}
    assert set(ids) - changed <= first_ids
    assert first_ids <= set(ids)
    assert sorted(o.order_id for o in second_run) == sorted(changed)


def test_the_next_window_holds_only_what_changed_after_the_bookmark(
    adapter: Adapter, fake: Any, clock: VirtualClock
) -> None:
    ids = adapter.add_orders(fake, 15, seed=2)
    connector = adapter.connect(fake, clock, page_size=4)
    bookmark = adapter.until(fake)
    assert len(orders_of(read_window(connector, Window(None, bookmark)))) == 15

    adapter.change_order(fake, ids[3])
    adapter.change_order(fake, ids[11])
    added = adapter.add_orders(fake, 1, seed=3)
    second = Window(bookmark, adapter.until(fake))
    adapter.change_order(fake, ids[5])  # after the second window: the third one reads it

    fetched = orders_of(read_window(connector, second))

    assert [o.order_id for o in fetched] == [ids[3], ids[11], *added]
    assert_a_clean_run(fetched, second)
    third = orders_of(read_window(connector, Window(second.until, adapter.until(fake))))
    assert [o.order_id for o in third] == [ids[5]]


def test_an_empty_window_is_one_empty_last_page(adapter: Adapter, fake: Any, clock: VirtualClock) -> None:
    adapter.add_orders(fake, 3, seed=1)
    bookmark = adapter.until(fake)

    page = adapter.connect(fake, clock).fetch_page(Window(bookmark, adapter.until(fake)), None)

    assert page.orders == [] and page.next_token is None


# -- canonical orders and malformed ones -------------------------------------------------------------


def test_every_order_read_is_a_valid_canonical_order(
    adapter: Adapter, fake: Any, clock: VirtualClock
) -> None:
    ids = adapter.add_orders(fake, 25, seed=11)

    fetched = orders_of(
        read_window(adapter.connect(fake, clock, page_size=10), Window(None, adapter.until(fake)))
    )

    assert sorted(o.order_id for o in fetched) == sorted(ids)
    for order in fetched:
        assert order.problem is None, order.problem
        assert order.document is not None and order.order is not None
        assert parse_order(order.document) == order.order
        assert order.number


def test_a_malformed_order_is_skipped_with_its_reason(
    adapter: Adapter, fake: Any, clock: VirtualClock
) -> None:
    ids = adapter.add_orders(fake, 5, seed=4)
    adapter.break_order(fake, ids[2])

    fetched = orders_of(
        read_window(adapter.connect(fake, clock, page_size=2), Window(None, adapter.until(fake)))
    )

    by_id = {o.order_id: o for o in fetched}
    assert sorted(by_id) == sorted(ids)
    broken = by_id[ids[2]]
    assert broken.document is None and broken.order is None
    assert broken.problem and "order" in broken.problem
    assert all(by_id[i].problem is None and by_id[i].document is not None for i in ids if i != ids[2])


# -- throttling and failures -------------------------------------------------------------------------


def test_throttling_is_waited_out_on_the_clock(adapter: Adapter, fake: Any, clock: VirtualClock) -> None:
    ids = adapter.add_orders(fake, 3, seed=6)
    connector = adapter.connect(fake, clock)
    window = Window(None, adapter.until(fake))
    adapter.throttle(fake)

    fetched = orders_of(read_window(connector, window))

    assert sorted(o.order_id for o in fetched) == sorted(ids)
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(adapter.throttle_wait(fake))


def test_a_429_waits_what_retry_after_says(adapter: Adapter, fake: Any, clock: VirtualClock) -> None:
    adapter.add_orders(fake, 1, seed=1)
    fake.fail_next(429, headers={"Retry-After": "7"}, body={"message": "Too Many Requests"})

    page = adapter.connect(fake, clock).fetch_page(Window(None, adapter.until(fake)), None)

    assert len(page.orders) == 1 and clock.sleeps == [7.0]


def test_server_errors_are_retried_with_back_off(adapter: Adapter, fake: Any, clock: VirtualClock) -> None:
    adapter.add_orders(fake, 2, seed=1)
    fake.fail_next(503, times=2, body={"message": "Service Unavailable"})

    page = adapter.connect(fake, clock).fetch_page(Window(None, adapter.until(fake)), None)

    assert len(page.orders) == 2
    assert len(clock.sleeps) == 2 and 0 < clock.sleeps[0] <= 1 and 0 < clock.sleeps[1] <= 2


def test_a_store_failing_every_time_ends_the_run_as_retriable(
    adapter: Adapter, fake: Any, clock: VirtualClock
) -> None:
    fake.fail_next(500, times=100)

    with pytest.raises(RetriableError) as caught:
        adapter.connect(fake, clock).fetch_page(Window(None, adapter.until(fake)), None)

    assert "server error (HTTP 500)" in caught.value.message
    assert f"gave up after {HttpOptions().max_attempts} attempts" in caught.value.message
    assert len(fake.requests) == HttpOptions().max_attempts
    assert len(clock.sleeps) == HttpOptions().max_attempts - 1


def test_rejected_credentials_are_fatal_in_the_merchants_words(
    adapter: Adapter, fake: Any, clock: VirtualClock
) -> None:
    adapter.add_orders(fake, 1, seed=1)
    connector = adapter.connect(fake, clock, wrong=True)
    window = Window(None, adapter.until(fake))

    for call in (connector.check_credentials, lambda: connector.fetch_page(window, None)):
        with pytest.raises(FatalError) as caught:
            call()
        assert caught.value.message.startswith(adapter.rejected)
        assert "HTTP" not in caught.value.message  # words for the merchant, not a status code
    assert len(fake.requests) == 2  # not retried
    assert clock.sleeps == []


def test_check_credentials_names_the_store(adapter: Adapter, fake: Any, clock: VirtualClock) -> None:
    name = adapter.connect(fake, clock).check_credentials()

    assert isinstance(name, str) and name.strip()
    assert len(fake.requests) >= 1
