"""Managing what a merchant owns (issue 13, part 5): deleting a connection (refused while channels use it,
or with its channels on `?cascade=true`, leaving nothing behind), deleting a channel, API keys, a new Web
Connector password."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from chalicelib.aws import ChannelSchedules, ChannelSecrets, WorkQueue
from chalicelib.credentials import verify_password
from chalicelib.dal import channel_credentials, company_lists, connections, mappings
from chalicelib.dal import channels as channel_repo
from ledgerbridge.fakes.custom_store import FakeCustomStore
from tests.service.test_orders_api import SETTINGS, seed_accounts

pytestmark = pytest.mark.xdist_group("fetch-queue")  # its channels have schedules the runner tests would fire


@pytest.fixture
def store():
    with FakeCustomStore() as fake:
        yield fake


@pytest.fixture
def connection(api):
    conn = api.json("POST", "/api/v1/connections", {"name": "Store"}, expect=201)
    seed_accounts(conn["id"])
    mappings.remember(conn["id"], "customer", {"Ada Lovelace": "80000001-1"})
    return conn


def pulled_channel(api, connection, store, name="Own shop"):
    request = {
        "connection_id": connection["id"],
        "kind": "custom_store",
        "name": name,
        "settings": SETTINGS,
        "credentials": {"base_url": store.base_url, "username": store.username, "password": store.password},
    }
    return api.json("POST", "/api/v1/channels", request, expect=201)


def queue_exists(connection_id: str) -> bool:
    queue = WorkQueue(connection_id)
    try:
        queue._sqs.get_queue_url(QueueName=queue.name)
    except ClientError:
        return False
    return True


def test_a_connection_in_use_is_refused_with_the_channels_named(api, connection, store):
    channel = pulled_channel(api, connection, store)
    body = api.json("DELETE", f"/api/v1/connections/{connection['id']}", expect=409)
    assert "Own shop" in body["message"] and "1 channel uses" in body["message"]
    assert api.json("GET", f"/api/v1/connections/{connection['id']}")["id"] == connection["id"]
    assert api.json("GET", f"/api/v1/channels/{channel['id']}")["id"] == channel["id"]
    assert queue_exists(connection["id"])


def test_cascade_deletes_the_channels_and_leaves_no_orphan(api, connection, store):
    first = pulled_channel(api, connection, store, "First")
    second = pulled_channel(api, connection, store, "Second")
    assert ChannelSchedules().get(first["id"]) is not None and ChannelSecrets().get(second["id"])
    body = api.json("DELETE", f"/api/v1/connections/{connection['id']}?cascade=true")
    assert sorted(body["deleted_channels"]) == sorted([first["id"], second["id"]])
    assert api.call("GET", f"/api/v1/connections/{connection['id']}").status_code == 404
    for channel in (first, second):
        assert api.call("GET", f"/api/v1/channels/{channel['id']}").status_code == 404
        assert ChannelSchedules().get(channel["id"]) is None
        assert channel_repo.get(channel["id"]) is None
        assert channel_credentials.load(channel["id"]) is None and ChannelSecrets().get(channel["id"]) == {}
    assert not queue_exists(connection["id"])
    assert company_lists.list_records(connection["id"], "account") == []
    assert mappings.known(connection["id"], "customer", ["Ada Lovelace"]) == {}
    assert connections.get(connection["id"]) is None


def test_an_unused_connection_is_deleted_without_cascade(api, connection):
    body = api.json("DELETE", f"/api/v1/connections/{connection['id']}")
    assert body == {"id": connection["id"], "deleted": True, "deleted_channels": []}
    assert not queue_exists(connection["id"])
    assert mappings.known(connection["id"], "customer", ["Ada Lovelace"]) == {}


@pytest.mark.parametrize("query", ["cascade=yes", "cascade=", "force=true", "cascade=true&x=1"])
def test_hostile_delete_parameters_are_400_naming_them(api, connection, query):
    response = api.call("DELETE", f"/api/v1/connections/{connection['id']}?{query}")
    assert response.status_code == 400, response.body
    assert api.json("GET", f"/api/v1/connections/{connection['id']}")["id"] == connection["id"]


def test_another_tenants_connection_cannot_be_cascaded(api, other_api, store):
    theirs = other_api.json("POST", "/api/v1/connections", {"name": "Theirs"}, expect=201)
    seed_accounts(theirs["id"])
    channel = pulled_channel(other_api, theirs, store)
    assert api.call("DELETE", f"/api/v1/connections/{theirs['id']}?cascade=true").status_code == 404
    assert other_api.json("GET", f"/api/v1/channels/{channel['id']}")["id"] == channel["id"]
    assert queue_exists(theirs["id"])


def test_deleting_a_channel_removes_its_task_and_credentials(api, connection, store):
    channel = pulled_channel(api, connection, store)
    assert api.json("DELETE", f"/api/v1/channels/{channel['id']}")
    assert ChannelSchedules().get(channel["id"]) is None
    assert channel_repo.get(channel["id"]) is None and channel_credentials.load(channel["id"]) is None
    assert api.json("DELETE", f"/api/v1/connections/{connection['id']}")["deleted_channels"] == []


def test_a_new_password_replaces_the_old_one(api, connection):
    first = api.json("POST", f"/api/v1/connections/{connection['id']}/password", expect=201)["password"]
    second = api.json("POST", f"/api/v1/connections/{connection['id']}/password", expect=201)["password"]
    stored = connections.get(connection["id"])
    assert stored is not None and stored.password_hash
    assert verify_password(second, stored.password_hash) and not verify_password(first, stored.password_hash)
