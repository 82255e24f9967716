"""Channel credentials sealed with envelope encryption (chalicelib.aws.ChannelSecrets): a KMS data key per
write, AES-256-GCM, the ciphertext in DynamoDB; no Secrets Manager secret per channel; channels made before
are migrated on first read. Runs on the embedded moto (its KMS, DynamoDB and Secrets Manager)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chalicelib.aws
from chalicelib.aws import ChannelSecrets, client
from chalicelib.dal import channel_credentials
from chalicelib.dal import channels as channel_repo
from chalicelib.dal.models import ChannelCredentialsModel


def _channel_id() -> str:
    return f"chn_{secrets.token_hex(6)}"


def _secret_exists(name: str) -> bool:
    try:
        client("secretsmanager").describe_secret(SecretId=name)
    except ClientError:
        return False
    return True


def _raw_item(channel_id: str) -> dict[str, Any]:
    table = ChannelCredentialsModel.Meta.table_name
    item: dict[str, Any] = client("dynamodb").get_item(
        TableName=table, Key={"channel_id": {"S": channel_id}}
    )["Item"]
    return item


class _CountingKms:
    """The real (moto) KMS client, counting the operations called through it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.inner, name)


values_strategy = st.dictionaries(
    st.sampled_from(["api_key", "api_secret", "password", "username", "base_url", "token", "shop"]),
    st.text(min_size=0, max_size=80),
    max_size=5,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=values_strategy)
def test_credentials_round_trip_and_are_not_stored_in_plain_text(aws: str, values: dict[str, str]) -> None:
    channel_id = _channel_id()
    store = ChannelSecrets()
    store.put(channel_id, "ten_1", values)
    assert store.get(channel_id) == values
    stored = b"".join(v.get("B", b"") or str(v).encode() for v in _raw_item(channel_id).values())
    for value in values.values():
        if len(value.encode()) >= 4:
            assert value.encode() not in stored
    assert not _secret_exists(store.name(channel_id))  # no secret per channel any more
    store.delete(channel_id)
    assert store.get(channel_id) == {}
    assert channel_credentials.load(channel_id) is None


def test_each_put_has_its_own_data_key_and_nonce(aws: str) -> None:
    channel_id = _channel_id()
    store = ChannelSecrets()
    store.put(channel_id, "ten_1", {"api_key": "same"})
    first = channel_credentials.load(channel_id)
    store.put(channel_id, "ten_1", {"api_key": "same"})
    second = channel_credentials.load(channel_id)
    assert first is not None and second is not None
    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert store.get(channel_id) == {"api_key": "same"}
    assert "same" not in repr(second) and "ciphertext=<" in repr(second)


def test_a_ciphertext_moved_to_another_channel_does_not_open(aws: str) -> None:
    """The channel is in the KMS encryption context and in the AES-GCM associated data."""
    store = ChannelSecrets()
    victim, thief = _channel_id(), _channel_id()
    store.put(victim, "ten_1", {"api_key": "victims-key"})
    sealed = channel_credentials.load(victim)
    assert sealed is not None
    channel_credentials.save(thief, sealed)
    with pytest.raises(ClientError):  # KMS refuses: the context names the other channel
        store.get(thief)


def test_a_tampered_ciphertext_is_refused(aws: str) -> None:
    from cryptography.exceptions import InvalidTag

    store = ChannelSecrets()
    channel_id = _channel_id()
    store.put(channel_id, "ten_1", {"api_key": "k" * 20})
    sealed = channel_credentials.load(channel_id)
    assert sealed is not None
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    channel_credentials.save(
        channel_id,
        channel_credentials.SealedCredentials(sealed.tenant_id, sealed.wrapped_key, sealed.nonce, flipped),
    )
    with pytest.raises(InvalidTag):
        store.get(channel_id)


def test_a_read_costs_one_kms_decrypt_and_a_write_one_generate_data_key(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _CountingKms(client("kms"))
    real = chalicelib.aws.client
    monkeypatch.setattr(
        chalicelib.aws, "client", lambda service, s=None: counting if service == "kms" else real(service, s)
    )
    store = ChannelSecrets()
    channel_id = _channel_id()
    store.put(channel_id, "ten_1", {"api_key": "k"})
    assert counting.calls == ["generate_data_key"]
    counting.calls.clear()
    for _ in range(3):
        assert store.get(channel_id) == {"api_key": "k"}
    assert counting.calls == ["decrypt"] * 3  # no plain data key kept between reads


def test_credentials_over_the_bound_are_refused(aws: str) -> None:
    channel_id = _channel_id()
    with pytest.raises(ValueError):
        ChannelSecrets().put(channel_id, "ten_1", {"api_key": "x" * ChannelSecrets.MAX_BYTES})
    assert channel_credentials.load(channel_id) is None


def _legacy_channel(tenant_id: str, values: dict[str, str]) -> str:
    """A channel made before envelope encryption: its credentials in a Secrets Manager secret of its own."""
    channel = channel_repo.create(tenant_id, "conn_legacy", "custom_store", "Old shop", {})
    client("secretsmanager").create_secret(
        Name=ChannelSecrets().name(channel.channel_id), SecretString=json.dumps(values)
    )
    return channel.channel_id


def test_a_channel_still_in_secrets_manager_is_read_once_and_rewritten(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {"base_url": "https://shop.example.com", "username": "u", "password": "legacy-password-99"}
    channel_id = _legacy_channel("ten_legacy", values)
    store = ChannelSecrets()
    assert channel_credentials.load(channel_id) is None
    assert store.get(channel_id) == values
    # rewritten the new way, for the channel's tenant; the secret is gone
    sealed = channel_credentials.load(channel_id)
    assert sealed is not None and sealed.tenant_id == "ten_legacy"
    assert not _secret_exists(store.name(channel_id))
    # later reads never ask Secrets Manager
    fresh = ChannelSecrets()
    counting = _CountingKms(fresh._sm)
    monkeypatch.setattr(fresh, "_sm", counting)
    assert fresh.get(channel_id) == values
    assert counting.calls == []


def test_a_migration_whose_secret_delete_fails_is_finished_by_the_channel_delete(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {"api_key": "legacy-key-1234"}
    channel_id = _legacy_channel("ten_legacy", values)
    store = ChannelSecrets()
    name = store.name(channel_id)

    def refuse(**kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServiceError", "Message": "x"}}, "DeleteSecret")

    real_sm = store._sm
    store._sm = _Patched(real_sm, delete_secret=refuse)
    assert store.get(channel_id) == values  # sealed, though the secret stayed
    assert channel_credentials.load(channel_id) is not None
    assert _secret_exists(name)
    store._sm = real_sm
    assert store.get(channel_id) == values  # read from DynamoDB now
    store.delete(channel_id)
    assert not _secret_exists(name)
    assert channel_credentials.load(channel_id) is None


def test_a_legacy_secret_without_a_channel_is_read_but_not_rewritten(aws: str) -> None:
    channel_id = _channel_id()
    store = ChannelSecrets()
    client("secretsmanager").create_secret(Name=store.name(channel_id), SecretString='{"api_key": "k"}')
    assert store.get(channel_id) == {"api_key": "k"}
    assert channel_credentials.load(channel_id) is None
    store.delete(channel_id)
    assert not _secret_exists(store.name(channel_id))


class _Patched:
    def __init__(self, inner: Any, **overrides: Any) -> None:
        self.inner = inner
        self.overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self.overrides.get(name) or getattr(self.inner, name)
