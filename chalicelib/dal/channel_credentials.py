"""Sealed channel credentials: one item per channel in a table of their own (not on the channel item, whose
`by_tenant` index projects every attribute: the ciphertext would be copied into the index and come back with
every channel listing). chalicelib.aws.ChannelSecrets seals and opens them; this module only stores bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.dal.models import ChannelCredentialsModel


@dataclass(frozen=True, repr=False)
class SealedCredentials:
    """The data key as KMS wrapped it, and the AES-256-GCM nonce and ciphertext (tag included)."""

    tenant_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    def __repr__(self) -> str:  # never the bytes, even wrapped, in a log line or a traceback
        return f"SealedCredentials(tenant_id={self.tenant_id!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


def save(channel_id: str, sealed: SealedCredentials) -> None:
    ChannelCredentialsModel(
        channel_id,
        tenant_id=sealed.tenant_id,
        wrapped_key=sealed.wrapped_key,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        updated_at=datetime.now(UTC),
    ).save()


def load(channel_id: str) -> SealedCredentials | None:
    try:
        m = ChannelCredentialsModel.get(channel_id, consistent_read=True)
    except DoesNotExist:
        return None
    return SealedCredentials(
        tenant_id=m.tenant_id,
        wrapped_key=bytes(m.wrapped_key),
        nonce=bytes(m.nonce),
        ciphertext=bytes(m.ciphertext),
    )


def delete(channel_id: str) -> None:
    ChannelCredentialsModel(channel_id).delete()
