"""QuickBooks sales sent to ShipStation, and the shipments that come back.

pending (waiting for ShipStation) -> sent | failed; sent -> shipped (tracking waiting for QuickBooks) ->
tracking_written | tracking_failed. `pending_at` (sparse index) is `push#<time>` while ShipStation has not
taken the latest version and `track#<time>` while QuickBooks has not taken the tracking. Settling a push is
conditional on the digest the push read, so a sale changed in QuickBooks meanwhile is pushed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.dal import cursors
from chalicelib.dal.conditions import updated
from chalicelib.dal.models import OutboundSaleModel

PENDING, SENT, FAILED = "pending", "sent", "failed"
SHIPPED, TRACKING_WRITTEN, TRACKING_FAILED = "shipped", "tracking_written", "tracking_failed"
STATUSES = (PENDING, SENT, FAILED, SHIPPED, TRACKING_WRITTEN, TRACKING_FAILED)
PUSH, TRACK = "push#", "track#"


@dataclass(frozen=True)
class OutboundSale:
    channel_id: str
    txn_id: str
    tenant_id: str
    kind: str
    ref_number: str
    edit_sequence: str
    status: str
    line_ids: tuple[str, ...] = ()
    memo: str | None = None
    document: dict[str, Any] | None = None
    digest: str | None = None
    problem: str | None = None
    shipstation_order_id: int | None = None
    shipment: dict[str, Any] | None = field(default=None)
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    pending_at: str | None = None


def _sale(m: OutboundSaleModel) -> OutboundSale:
    return OutboundSale(
        channel_id=m.channel_id,
        txn_id=m.txn_id,
        tenant_id=m.tenant_id,
        kind=m.kind,
        ref_number=m.ref_number,
        edit_sequence=m.edit_sequence,
        status=m.status,
        line_ids=tuple(m.line_ids or ()),
        memo=m.memo,
        document=m.document,
        digest=m.digest,
        problem=m.problem,
        shipstation_order_id=int(m.shipstation_order_id) if m.shipstation_order_id is not None else None,
        shipment=m.shipment,
        updated_at=m.updated_at,
        sent_at=m.sent_at,
        pending_at=m.pending_at,
    )


def _model(s: OutboundSale) -> OutboundSaleModel:
    return OutboundSaleModel(
        s.channel_id,
        s.txn_id,
        tenant_id=s.tenant_id,
        kind=s.kind,
        ref_number=s.ref_number,
        edit_sequence=s.edit_sequence,
        line_ids=list(s.line_ids),
        memo=s.memo,
        document=s.document,
        digest=s.digest,
        status=s.status,
        problem=s.problem,
        shipstation_order_id=s.shipstation_order_id,
        shipment=s.shipment,
        updated_at=s.updated_at,
        sent_at=s.sent_at,
        pending_at=s.pending_at,
    )


def get_many(channel_id: str, txn_ids: Iterable[str]) -> dict[str, OutboundSale]:
    keys = [(channel_id, t) for t in dict.fromkeys(txn_ids)]
    return {m.txn_id: _sale(m) for m in OutboundSaleModel.batch_get(keys)}


def get(channel_id: str, txn_id: str) -> OutboundSale | None:
    try:
        return _sale(OutboundSaleModel.get(channel_id, txn_id, consistent_read=True))
    except OutboundSaleModel.DoesNotExist:
        return None


def put_many(sales: Iterable[OutboundSale]) -> int:
    """Write sales read from QuickBooks (new or changed versions, whole)."""
    written = 0
    with OutboundSaleModel.batch_write() as batch:
        for sale in sales:
            batch.save(_model(sale))
            written += 1
    return written


def pending(channel_id: str, what: str, limit: int) -> list[OutboundSale]:
    """The oldest sales waiting for ShipStation (`PUSH`) or for the tracking write (`TRACK`)."""
    return [
        _sale(m)
        for m in OutboundSaleModel.pending.query(
            channel_id, OutboundSaleModel.pending_at.startswith(what), limit=limit
        )
    ]


def _update(channel_id: str, txn_id: str, actions: list[Any], condition: Any) -> bool:
    return updated(
        OutboundSaleModel(channel_id, txn_id), actions, OutboundSaleModel.txn_id.exists() & condition
    )


def settle_push(
    channel_id: str,
    txn_id: str,
    *,
    digest: str,
    at: datetime,
    order_id: int | None = None,
    problem: str | None = None,
) -> bool:
    """ShipStation took (or refused) the version with `digest`; False when a newer version is waiting."""
    actions: list[Any] = [OutboundSaleModel.pending_at.remove(), OutboundSaleModel.updated_at.set(at)]
    if problem is None:
        actions += [
            OutboundSaleModel.status.set(SENT),
            OutboundSaleModel.problem.remove(),
            OutboundSaleModel.sent_at.set(at),
        ]
        if order_id is not None:
            actions.append(OutboundSaleModel.shipstation_order_id.set(order_id))
    else:
        actions += [OutboundSaleModel.status.set(FAILED), OutboundSaleModel.problem.set(problem)]
    condition = (OutboundSaleModel.digest == digest) & OutboundSaleModel.pending_at.startswith(PUSH)
    return _update(channel_id, txn_id, actions, condition)


def record_shipment(channel_id: str, txn_id: str, shipment: dict[str, Any], at: datetime) -> bool:
    """A shipment for a sale ShipStation has: its tracking waits for the next Web Connector run. False when
    the sale already has this shipment or its tracking is already in QuickBooks."""
    condition = OutboundSaleModel.status.is_in(SENT, PENDING, FAILED, TRACKING_FAILED)
    return _update(
        channel_id,
        txn_id,
        [
            OutboundSaleModel.shipment.set(shipment),
            OutboundSaleModel.status.set(SHIPPED),
            OutboundSaleModel.problem.remove(),
            OutboundSaleModel.pending_at.set(TRACK + at.isoformat()),
            OutboundSaleModel.updated_at.set(at),
        ],
        condition,
    )


def record_reread(
    channel_id: str, txn_id: str, edit_sequence: str, line_ids: list[str], memo: str | None
) -> None:
    """The sale as QuickBooks has it now (after a 3200: someone edited it since it was read)."""
    actions: list[Any] = [
        OutboundSaleModel.edit_sequence.set(edit_sequence),
        OutboundSaleModel.line_ids.set(line_ids),
        OutboundSaleModel.memo.set(memo) if memo else OutboundSaleModel.memo.remove(),
    ]
    _update(channel_id, txn_id, actions, OutboundSaleModel.txn_id.exists())


def settle_tracking(
    channel_id: str,
    txn_id: str,
    *,
    at: datetime,
    edit_sequence: str | None = None,
    problem: str | None = None,
) -> bool:
    actions: list[Any] = [OutboundSaleModel.pending_at.remove(), OutboundSaleModel.updated_at.set(at)]
    if problem is None:
        actions += [OutboundSaleModel.status.set(TRACKING_WRITTEN), OutboundSaleModel.problem.remove()]
        if edit_sequence:
            actions.append(OutboundSaleModel.edit_sequence.set(edit_sequence))
    else:
        actions += [OutboundSaleModel.status.set(TRACKING_FAILED), OutboundSaleModel.problem.set(problem)]
    return _update(channel_id, txn_id, actions, OutboundSaleModel.status == SHIPPED)


def list_sales(
    tenant_id: str, channel_id: str, *, status: str | None, limit: int, after: str | None
) -> tuple[list[OutboundSale], str | None]:
    """One page of a channel's QuickBooks sales for ShipStation. The caller has checked the channel is the
    tenant's; the cursor is opaque and bound to the tenant and the channel (see `cursors`)."""
    scope = f"shipstation:{channel_id}"
    start = cursors.decode(tenant_id, scope, after, ("txn_id",)) if after else None
    pages = OutboundSaleModel.query(
        channel_id,
        filter_condition=OutboundSaleModel.status == status if status else None,
        limit=limit,
        last_evaluated_key={"channel_id": {"S": channel_id}, "txn_id": {"S": start["txn_id"]}}
        if start
        else None,
    )
    found = [_sale(m) for m in pages]
    last = pages.last_evaluated_key
    return found, (cursors.encode(tenant_id, scope, {"txn_id": last["txn_id"]["S"]}) if last else None)
