"""Every PynamoDB connection, in every thread, reads DynamoDB's service description through one loader
(`dal.models.share_service_descriptions`): a Lambda container parses it once, not once per model and thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pynamodb.connection import Connection

import chalicelib.dal  # noqa: F401  (configures the models, and with them the shared loader)


def _loader_of(connection: Connection) -> object:
    return connection.session.get_component("data_loader")


def test_connections_and_threads_share_one_loader() -> None:
    first, second = Connection(region="us-east-1"), Connection(region="eu-west-1")
    assert first.session is not second.session  # sessions stay apart (credentials, regions)
    with ThreadPoolExecutor(max_workers=2) as pool:
        in_threads = list(pool.map(_loader_of, [first, second]))
    assert {id(_loader_of(first)), id(_loader_of(second)), *map(id, in_threads)} == {id(_loader_of(first))}
