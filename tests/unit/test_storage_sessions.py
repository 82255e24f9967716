"""PynamoDB's connections share botocore's costly parts (`dal.models.share_service_descriptions`): one session per
thread, not per model (each costs ~5-10 ms to make), one DynamoDB client per thread for every model, and one
loader per process, shared with the SQS, KMS and
Scheduler clients (`aws.botocore_session`), so a Lambda container parses DynamoDB's service description, the
endpoints and the retry rules once."""

from __future__ import annotations

import gc
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
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


def _client_of(connection: Connection) -> object:
    return connection.client


def test_connections_of_a_thread_share_one_client_for_the_same_endpoint() -> None:
    """PynamoDB asks each model's connection for a client of its own: each would cost ~15-25 ms at a cold start and
    hold its own pool of HTTP connections (a TLS handshake to DynamoDB per model). Alike, they get one."""
    first, second = Connection(region="us-east-1"), Connection(region="us-east-1")
    assert first.client is second.client
    assert Connection(region="eu-west-1").client is not first.client
    with ThreadPoolExecutor(max_workers=1) as pool:
        elsewhere = pool.submit(_client_of, Connection(region="us-east-1")).result()
    assert elsewhere is not first.client  # the thread's own session makes its own


def _made_and_dropped() -> tuple[object, list[weakref.ref[Connection]]]:
    first = Connection(region="us-east-1")
    client = first.client
    dropped = []
    for _ in range(5):
        again = Connection(region="us-east-1")
        assert again.client is client
        dropped.append(weakref.ref(again))
        del again
    gc.collect()
    return first, dropped


def test_connections_made_again_leave_nothing_on_the_shared_client() -> None:
    """PynamoDB registers a handler on the client per connection (a no-op without `extra_headers`) and never removes
    it: the shared client keeps the first one only, so connections made again (each `configure()`) are freed."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own: its own session and client
        first, dropped = pool.submit(_made_and_dropped).result()
    assert first is not None and [ref() for ref in dropped] == [None] * 5


def test_a_kept_client_that_lost_its_credentials_is_made_again() -> None:
    """PynamoDB makes a new client when its signer has no credentials (botocore may cache empty ones): the shared one
    is not handed back then."""
    from chalicelib.dal.models import SharedSession

    session = SharedSession()
    kept = session.create_client("dynamodb", "us-east-1", endpoint_url="http://127.0.0.1:1")
    assert session.create_client("dynamodb", "us-east-1", endpoint_url="http://127.0.0.1:1") is kept
    kept._request_signer._credentials = None
    again = session.create_client("dynamodb", "us-east-1", endpoint_url="http://127.0.0.1:1")
    assert again is not kept and again._request_signer._credentials is not None
    own = session.create_client("dynamodb", "us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    assert own is not session.create_client(
        "dynamodb", "us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )


def test_every_session_shares_the_process_loader() -> None:
    loader = botocore_session().get_component("data_loader")
    with ThreadPoolExecutor(max_workers=2) as pool:
        sessions = list(
            pool.map(_session_of, [Connection(region="us-east-1"), Connection(region="eu-west-1")])
        )
    sessions.append(Connection(region="us-east-1").session)
    assert {id(s.get_component("data_loader")) for s in sessions} == {id(loader)}  # type: ignore[attr-defined]


def test_a_connection_with_its_own_credentials_is_refused_for_good() -> None:
    """They would be set on the thread's shared session, and so lent to every model; and PynamoDB keeps the session
    it asked, so the connection must keep failing rather than fall back to the default chain's credentials."""

    def own_credentials_then_another() -> tuple[object, object, object]:
        own = Connection(region="us-east-1", aws_access_key_id="AKIA", aws_secret_access_key="secret")
        with pytest.raises(RuntimeError, match="credential"):
            own.session  # noqa: B018 - the property asks for the session and sets the credentials on it
        with pytest.raises(RuntimeError, match="credential"):
            own.client  # noqa: B018 - the same session again: it makes no client
        other = Connection(region="us-east-1")
        return own.session, other.session, other.client  # the thread's other connections get a new session

    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own: the refused session stays there
        refused, fresh, client = pool.submit(own_credentials_then_another).result()
    assert fresh is not refused
    assert client.meta.service_model.service_name == "dynamodb"  # type: ignore[attr-defined]


def test_dynamodb_clients_write_with_the_direct_serializer_keeping_its_settings() -> None:
    """The serializer's class is swapped on the client botocore made, so what a `creating-serializer` handler set
    (here the timestamp precision) stays."""
    from botocore.serialize import TIMESTAMP_PRECISION_MILLISECOND

    from chalicelib.dal.models import SharedSession
    from chalicelib.dal.wire import AttributeValuesSerializer

    session = SharedSession()

    def millisecond(serializer_kwargs: dict[str, str], **_: object) -> None:
        serializer_kwargs["timestamp_precision"] = TIMESTAMP_PRECISION_MILLISECOND

    session.register("creating-serializer.dynamodb", millisecond)
    for validation in (
        False,
        True,
    ):  # PynamoDB turns it off; on, botocore wraps the serializer in its validator
        client = session.create_client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="a",
            aws_secret_access_key="b",
            config=Config(parameter_validation=validation),
        )
        serializer = client._serializer._serializer if validation else client._serializer
        assert type(serializer) is AttributeValuesSerializer
        assert serializer._timestamp_precision == TIMESTAMP_PRECISION_MILLISECOND
    sqs = session.create_client(
        "sqs", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    assert type(sqs._serializer._serializer) is not AttributeValuesSerializer
