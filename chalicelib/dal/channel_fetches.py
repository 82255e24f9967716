"""Where each channel's fetching from its store stands (the `channel_fetches` table): the run holding the channel,
the bookmark, the last run's outcome. One small item per channel, written at each step of a fetch: taking the
channel, after each page with orders (the bookmark), giving it back (the outcome).

Channels fetched before this table existed kept their bookmark and last outcome on the channel item; until their
first fetch since, those are read from there (`Channel.legacy_bookmark`, `Channel.legacy_last_fetch`). A lease a
run held there during the upgrade is not read: a run started by the new code may overlap it for at most its lease,
which costs nothing but a second read of the same orders (storing an order is idempotent, and the bookmark only
moves forward)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.dal.conditions import updated
from chalicelib.dal.models import ChannelFetchModel

if TYPE_CHECKING:
    from chalicelib.dal.channels import Channel


@dataclass(frozen=True)
class FetchState:
    """A channel's fetching: the run holding it (None: no run), until when, the bookmark, the last outcome."""

    run_id: str | None = None
    lease_until: float | None = None
    bookmark: datetime | None = None
    last_fetch: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self.run_id is not None


def _state(model: ChannelFetchModel | None, channel: Channel) -> FetchState:
    if model is None:
        return FetchState(bookmark=channel.legacy_bookmark, last_fetch=channel.legacy_last_fetch)
    return FetchState(
        run_id=model.run_id,
        lease_until=float(model.lease_until) if model.lease_until is not None else None,
        bookmark=model.bookmark or channel.legacy_bookmark,
        last_fetch=model.last_fetch or channel.legacy_last_fetch,
    )


def get(channel: Channel) -> FetchState:
    try:
        model: ChannelFetchModel | None = ChannelFetchModel.get(channel.channel_id, consistent_read=True)
    except ChannelFetchModel.DoesNotExist:
        model = None
    return _state(model, channel)


def get_many(channels: Sequence[Channel]) -> dict[str, FetchState]:
    """Each channel's state by its id (one BatchGetItem per 100 channels)."""
    ids = list(dict.fromkeys(c.channel_id for c in channels))
    found = {m.channel_id: m for m in ChannelFetchModel.batch_get(ids, consistent_read=True)} if ids else {}
    return {c.channel_id: _state(found.get(c.channel_id), c) for c in channels}


def take_lease(channel: Channel, run_id: str, now: float, seconds: int) -> FetchState | None:
    """Hold the channel for one fetch run (a run never overlaps another of the same channel). The holder may take
    it again (renewal); anyone may take it once it has lapsed (the holder crashed). None when another run holds
    it; else the state as taken (the bookmark to go on from). The first lease of a channel fetched before the move
    copies the bookmark and last outcome its channel item kept, so the bookmark goes on only forward from there."""
    model = ChannelFetchModel(channel.channel_id)
    actions: list[Any] = [
        ChannelFetchModel.run_id.set(run_id),
        ChannelFetchModel.lease_until.set(int(now + seconds)),
    ]
    if channel.legacy_bookmark is not None:
        actions.append(ChannelFetchModel.bookmark.set(ChannelFetchModel.bookmark | channel.legacy_bookmark))
    if channel.legacy_last_fetch is not None:
        actions.append(
            ChannelFetchModel.last_fetch.set(ChannelFetchModel.last_fetch | channel.legacy_last_fetch)
        )
    free = (
        ChannelFetchModel.lease_until.does_not_exist()
        | (ChannelFetchModel.lease_until < int(now))
        | (ChannelFetchModel.run_id == run_id)
    )
    if not updated(model, actions, free):
        return None
    return _state(model, channel)


def renew_lease(channel_id: str, run_id: str, now: float, seconds: int) -> bool:
    """The holder keeps the channel longer (between pages). False when it no longer holds it (its lease lapsed and
    another run took it, or the channel was deleted: nothing is written then)."""
    return updated(
        ChannelFetchModel(channel_id),
        [ChannelFetchModel.lease_until.set(int(now + seconds))],
        ChannelFetchModel.run_id == run_id,
    )


def advance_bookmark(channel_id: str, run_id: str, bookmark: datetime) -> bool:
    """Move the bookmark forward (never back) after a page is stored, while holding the lease."""
    return updated(
        ChannelFetchModel(channel_id),
        [ChannelFetchModel.bookmark.set(bookmark)],
        (ChannelFetchModel.run_id == run_id)
        & (ChannelFetchModel.bookmark.does_not_exist() | (ChannelFetchModel.bookmark < bookmark)),
    )


def release_lease(channel_id: str, run_id: str, last_fetch: dict[str, Any] | None) -> None:
    """Give the channel back, with the run's outcome when it ended (nothing when another run holds it now)."""
    actions: list[Any] = [ChannelFetchModel.run_id.remove(), ChannelFetchModel.lease_until.remove()]
    if last_fetch is not None:
        actions.append(ChannelFetchModel.last_fetch.set(last_fetch))
    updated(ChannelFetchModel(channel_id), actions, ChannelFetchModel.run_id == run_id)


def delete(channel_id: str) -> None:
    ChannelFetchModel(channel_id).delete()
