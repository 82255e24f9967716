"""PynamoDB's connections share botocore's costly parts (`dal.models.share_service_descriptions`): one session per
thread, not per model (each costs ~5-10 ms to make), and one loader per process, shared with the SQS, KMS and
Scheduler clients (`aws.botocore_session`), so a Lambda container parses DynamoDB's service description, the
endpoints and the retry rules once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pynamodb.connection import Connection

import chalicelib.dal  # noqa: F401  (configures the models, and with them the shared sessions)
from chalicelib.aws import botocore_session


def _session_of(connection: Connection) -> object:
    return connection.session


def test_connections_of_a_thread_share_its_session_and_threads_have_their_own() -> None:
    first, second = Connection(region="us-east-1"), Connection(region="eu-west-1")
    assert first.session is second.session
    with ThreadPoolExecutor(max_workers=1) as pool:
        elsewhere = pool.submit(_session_of, Connection(region="us-east-1")).result()
    assert elsewhere is not first.session  # botocore makes clients safely from one thread per session


def test_every_session_shares_the_process_loader() -> None:
    loader = botocore_session().get_component("data_loader")
    with ThreadPoolExecutor(max_workers=2) as pool:
        sessions = list(
            pool.map(_session_of, [Connection(region="us-east-1"), Connection(region="eu-west-1")])
        )
    sessions.append(Connection(region="us-east-1").session)
    assert {id(s.get_component("data_loader")) for s in sessions} == {id(loader)}  # type: ignore[attr-defined]


def test_a_connection_with_its_own_credentials_is_refused() -> None:
    """They would be set on the thread's shared session, and so lent to every model."""
    connection = Connection(region="us-east-1", aws_access_key_id="AKIA", aws_secret_access_key="secret")
    with pytest.raises(RuntimeError, match="credential"):
        connection.session  # noqa: B018 - the property makes the session
