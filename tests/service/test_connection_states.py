"""Badges that agree: a connection's status has one state, and every flag the dashboard shows beside it is read
from that state (no "Needs a password" next to "Connected")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.dal.connections import Connection
from chalicelib.sync.pairing import CONNECTED_WITHIN_SECONDS, ConnectionState, status_view

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def connection(password: bool, connected_ago: int | None, contact_ago: int | None, error: bool) -> Connection:
    def ago(seconds: int | None) -> datetime | None:
        return None if seconds is None else NOW - timedelta(seconds=seconds)

    return Connection(
        connection_id="con_1",
        tenant_id="ten_1",
        name="Shop",
        username="lb-con_1",
        file_id="00000000-0000-0000-0000-000000000000",
        run_every_minutes=15,
        created_at=NOW - timedelta(days=30),
        password_hash="hash" if password else None,
        password_set_at=None,
        failed_logins=0,
        locked_until=None,
        active_ticket=None,
        lease_until=None,
        last_contact_at=ago(contact_ago),
        connected_at=ago(connected_ago),
        company=None,
        company_file_path=None,
        qbxml_version=None,
        last_error={"message": "QuickBooks could not open the company file"} if error else None,
        lists_refreshed_at=None,
    )


seconds = st.none() | st.integers(min_value=0, max_value=3 * CONNECTED_WITHIN_SECONDS)


@given(password=st.booleans(), connected_ago=seconds, contact_ago=seconds, error=st.booleans())
def test_the_state_and_the_connected_flag_never_disagree(password, connected_ago, contact_ago, error):
    view = status_view(connection(password, connected_ago, contact_ago, error), now=NOW)
    state = ConnectionState(view["state"])
    assert view["connected"] is (state is ConnectionState.CONNECTED)
    assert (state is ConnectionState.NEEDS_PASSWORD) is (not password)
    if state is ConnectionState.CONNECTED:
        assert password and not error and connected_ago is not None
        assert contact_ago is not None and contact_ago <= CONNECTED_WITHIN_SECONDS
    if password and error:
        assert state is ConnectionState.ERROR


def test_a_connection_whose_password_was_removed_is_not_shown_connected():
    view = status_view(connection(False, 60, 60, False), now=NOW)
    assert (view["state"], view["connected"]) == ("needs_password", False)
