"""What a warm container keeps between Web Connector calls (chalicelib/sync/kept_settings.py): read again at a
new version, after MAX_AGE_SECONDS, never kept without a version, and bounded in size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.sync import kept_settings
from chalicelib.sync.kept_settings import MAX_AGE_SECONDS, MAX_ENTRIES, kept


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    kept_settings.forget_all()
    yield
    kept_settings.forget_all()


class Source:
    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return self.reads


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1000)), min_size=1, max_size=40))
def test_a_value_is_read_again_exactly_when_its_version_changed_or_it_grew_old(
    calls: list[tuple[int, float]],
) -> None:
    kept_settings.forget_all()
    source = Source()
    now = 0.0
    last: tuple[int, float, int] | None = None  # version, when read, value
    for version, step in calls:
        now += step
        value = kept(("channel", "con", "ch"), version, source, clock=lambda at=now: at)
        fresh = last is None or last[0] != version or now - last[1] >= MAX_AGE_SECONDS
        if fresh:
            assert value == source.reads  # what this call read
            last = (version, now, value)
        else:
            assert last is not None and value == last[2]


def test_without_a_version_nothing_is_kept() -> None:
    source = Source()
    assert [kept(("rules", "con", "ten"), None, source) for _ in range(3)] == [1, 2, 3]


def test_keys_are_kept_apart_and_the_oldest_go_first() -> None:
    source = Source()
    for n in range(MAX_ENTRIES + 1):
        kept(("channel", "con", f"ch{n}"), 1, source)
    assert source.reads == MAX_ENTRIES + 1
    kept(("channel", "con", f"ch{MAX_ENTRIES}"), 1, source)  # the newest is still kept
    assert source.reads == MAX_ENTRIES + 1
    kept(("channel", "con", "ch0"), 1, source)  # the oldest was dropped
    assert source.reads == MAX_ENTRIES + 2
