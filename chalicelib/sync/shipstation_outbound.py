"""QuickBooks sales to ShipStation, and their shipments back into QuickBooks.

- `read_sales_for_shipstation` (a Web Connector job on each run): the channel's sales orders or invoices
  modified since its cursor, with their lines, a page at a time; those of the channel's class that carry
  no tracking yet are mapped to ShipStation orders and, when new or changed, wait for the store push.
- `fetch_shipments` (the channel's scheduled task): ShipStation's shipments created since the bookmark;
  each one for a sale Ledgerbridge sent waits for the tracking write.
- `write_tracking` (a Web Connector job): InvoiceMod/SalesOrderMod with the sale's EditSequence: ship
  date, tracking number (the Other field), a memo line, and optionally a shipping-cost line. A 3200 (the
  sale was edited since it was read) re-reads the sale and tries again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.aws import StorePushQueue
from chalicelib.channels.shipstation import Shipment
from chalicelib.dal import channel_outbound, channels, mappings, outbound_sales
from chalicelib.dal.channels import Channel
from chalicelib.dal.mappings import NOT_FOR_SHIPSTATION
from chalicelib.dal.outbound_sales import (
    FAILED,
    PENDING,
    PUSH,
    SENT,
    SHIPPED,
    TRACK,
    TRACKING_FAILED,
    TRACKING_WRITTEN,
    OutboundSale,
)
from chalicelib.orders.settings import ChannelSettings
from chalicelib.orders.to_shipstation import SaleNotShippable, shipment_memo, to_shipstation
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.responses import MessageSetResponse
from chalicelib.qbxml.sales import AddedLine, QbSale, sale_mod, sale_query, sales
from chalicelib.sync.channels import first_since, job_settings, settings_for_job, settings_of
from chalicelib.sync.jobs import READ_SALES, WRITE_TRACKING, Applied, JobContext, channel_id_of

STATUS_EDIT_SEQUENCE_STALE = 3200
MAX_REREADS = 3
TRACKING_BATCH = 50


def _class_matches(wanted: str, sale_class: str | None) -> bool:
    if not wanted:
        return True
    have = (sale_class or "").casefold()
    return have == wanted.casefold() or have.startswith(wanted.casefold() + ":")


class ReadSalesForShipStation:
    kind = READ_SALES
    title = "read sales for ShipStation"
    batch_size = 1
    rebuilds_request = True  # queries only, rendered from the state

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        channel_id = channel_id_of(messages)
        channel = channels.get(channel_id)
        state: dict[str, Any] = {
            "channel_id": channel_id,
            "phase": "done",
            "iterator_id": None,
            "counts": {},
            "remaining": 0,
            "newest": None,
            "errors": 0,
        }
        if channel is None or not settings_of(channel).moves("quickbooks_to_shipstation"):
            channel_outbound.release_standing_job(channel_id, "sales")
            return state
        since = channel_outbound.get(channel).sales_cursor or first_since(channel)
        state.update(
            phase="read",
            since=since.isoformat(),
            started=True,
            tenant_id=channel.tenant_id,
            channel_name=channel.name,
            **settings_for_job(channel),  # as the job started: read once, not per round trip
        )
        return state

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        if state["phase"] == "done":
            return None
        kind = job_settings(state).shipstation_source
        request = sale_query(
            "sales",
            kind=kind,
            from_modified=None if state["iterator_id"] else datetime.fromisoformat(state["since"]),
            iterator="Continue" if state["iterator_id"] else "Start",
            iterator_id=state["iterator_id"],
            max_returned=ctx.sales_page_size,
            include_line_items=True,
        )
        return render_message_set([request], version=ctx.qbxml_version, on_error="continueOnError")

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        staged: Counter[str] = Counter()  # this answer's own (Applied counts are each answer's)
        state = dict(state)
        errors: list[str] = []
        rs = response.by_request_id("sales")
        if rs is None or not rs.ok:
            why = rs.explain().meaning if rs is not None else "QuickBooks did not answer the sales query."
            errors.append(f"Could not read QuickBooks sales for {state['channel_name']}: {why}")
            state["errors"] += 1
            state["phase"] = "done"
        else:
            found = sales(rs)
            for sale in found:
                if state["newest"] is None or sale.time_modified.isoformat() > state["newest"]:
                    state["newest"] = sale.time_modified.isoformat()
            settings = job_settings(state)
            staged = self._stage(
                state["channel_id"], state["tenant_id"], settings, found, ctx.now, ctx.connection_id
            )
            state["counts"] = dict(Counter(state["counts"]) + staged)
            if rs.has_more:
                state["iterator_id"], state["remaining"] = rs.iterator_id, rs.iterator_remaining_count or 0
            else:
                state["iterator_id"], state["remaining"], state["phase"] = None, 0, "done"
        done = state["phase"] == "done"
        if done:
            self._finish(state)
        return Applied(
            state=state,
            done=done,
            counts={f"shipstation_{k}": v for k, v in staged.items()},
            errors=errors,
        )

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        done = sum(state["counts"].values())
        return done, state["remaining"] if state["phase"] != "done" else 0

    @staticmethod
    def _stage(
        channel_id: str,
        tenant_id: str,
        settings: ChannelSettings,
        found: list[QbSale],
        now: datetime,
        connection_id: str = "",
    ) -> Counter[str]:
        counts: Counter[str] = Counter()
        wanted = [
            s
            for s in found
            if s.kind == settings.shipstation_source
            and _class_matches(settings.shipstation_class, s.class_name)
        ]
        if len(found) > len(wanted):
            counts["other_class"] += len(found) - len(wanted)
        # Sales an order rule kept out of ShipStation (EXCLUDE_FROM_SHIPSTATION on the order they came from).
        excluded = (
            mappings.known(connection_id, NOT_FOR_SHIPSTATION, [s.txn_id for s in wanted]) if wanted else {}
        )
        if excluded:
            counts["excluded_by_rule"] += len(excluded)
            wanted = [s for s in wanted if s.txn_id not in excluded]
        known = outbound_sales.get_many(channel_id, (s.txn_id for s in wanted))
        rows: list[OutboundSale] = []
        for sale in wanted:
            row = known.get(sale.txn_id)
            if row is not None and row.status in (SHIPPED, TRACKING_WRITTEN, TRACKING_FAILED):
                counts["shipped"] += 1  # includes our own tracking write, which modifies the sale
                continue
            if (sale.other or "").strip() or sale.is_manually_closed or sale.is_pending:
                counts["skipped"] += 1  # tracking already on it (shipped another way), closed, or pending
                continue
            base = OutboundSale(
                channel_id=channel_id,
                txn_id=sale.txn_id,
                tenant_id=tenant_id,
                kind=sale.kind,
                ref_number=sale.ref_number or sale.txn_id,
                edit_sequence=sale.edit_sequence,
                status=PENDING,
                line_ids=tuple(line.txn_line_id for line in sale.lines),
                memo=sale.memo,
                updated_at=now,
                shipstation_order_id=row.shipstation_order_id if row else None,
                sent_at=row.sent_at if row else None,
            )
            try:
                mapped = to_shipstation(sale, shipping_item=settings.shipping_item)
            except SaleNotShippable as exc:
                if row is not None and row.status == FAILED and row.problem == str(exc):
                    counts["unchanged"] += 1
                else:
                    counts["failed"] += 1
                rows.append(replace(base, status=FAILED, problem=str(exc)))
                continue
            if row is not None and row.digest == mapped.digest and row.status in (SENT, PENDING):
                counts["unchanged"] += 1
                rows.append(
                    replace(
                        base,
                        status=row.status,
                        document=mapped.document,
                        digest=mapped.digest,
                        pending_at=row.pending_at,
                    )
                )
                continue
            counts["changed" if row is not None else "new"] += 1
            rows.append(
                replace(
                    base,
                    document=mapped.document,
                    digest=mapped.digest,
                    pending_at=PUSH + now.isoformat(),
                )
            )
        outbound_sales.put_many(rows)
        return counts

    @staticmethod
    def _finish(state: dict[str, Any]) -> None:
        channel_id = state["channel_id"]
        if state.get("started") and state.get("newest") and not state["errors"]:
            channel_outbound.record_sales_cursor(channel_id, datetime.fromisoformat(state["newest"]))
        channel_outbound.release_standing_job(channel_id, "sales")
        if state.get("started") and outbound_sales.pending(channel_id, PUSH, 1):
            StorePushQueue().send({"channel_id": channel_id, "what": "sales"})


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": shipment.shipment_id,
        "tracking_number": shipment.tracking_number,
        "carrier_code": shipment.carrier_code,
        "service_code": shipment.service_code,
        "ship_date": shipment.ship_date.isoformat(),
        "shipment_cost": str(shipment.shipment_cost),
        "created_at": shipment.created_at.isoformat(),
    }


class WriteTracking:
    kind = WRITE_TRACKING
    title = "write tracking to QuickBooks"
    batch_size = 1
    rebuilds_request = False  # modifies sales: the request sent is kept for a resend

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        channel_id = channel_id_of(messages)
        channel = channels.get(channel_id)
        waiting = outbound_sales.pending(channel_id, TRACK, TRACKING_BATCH) if channel else []
        if not waiting:
            channel_outbound.release_standing_job(channel_id, "tracking")
        settings = settings_of(channel) if channel else None
        return {
            "channel_id": channel_id,
            "shipping_cost_to": settings.shipping_cost_to if settings else "memo",
            "shipping_item": settings.shipping_item if settings else "",
            "phase": "mod" if waiting else "done",
            "sales": {
                s.txn_id: {
                    "kind": s.kind,
                    "ref_number": s.ref_number,
                    "edit_sequence": s.edit_sequence,
                    "line_ids": list(s.line_ids),
                    "memo": s.memo,
                    "shipment": s.shipment,
                    "rereads": 0,
                    "state": "waiting",
                }
                for s in waiting
            },
            "written": 0,
            "failed": 0,
        }

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        waiting = {t: s for t, s in state["sales"].items() if s["state"] in ("waiting", "reread")}
        if state["phase"] == "done" or not waiting:
            return None
        requests = []
        if state["phase"] == "reread":
            for kind in ("invoice", "sales_order"):
                ids = [t for t, s in waiting.items() if s["kind"] == kind and s["state"] == "reread"]
                if ids:
                    requests.append(
                        sale_query(f"reread-{kind}", kind=kind, txn_ids=ids, include_line_items=True)
                    )
        else:
            for txn_id, s in waiting.items():
                requests.append(self._mod(txn_id, s, state["shipping_cost_to"], state["shipping_item"]))
        return render_message_set(requests, version=ctx.qbxml_version, on_error="continueOnError")

    @staticmethod
    def _mod(txn_id: str, sale: dict[str, Any], cost_to: str, shipping_item: str) -> Any:
        shipment = sale["shipment"]
        cost = Decimal(str(shipment.get("shipment_cost") or "0"))
        as_line = cost_to == "line" and cost > 0
        note = shipment_memo(shipment, with_cost=not as_line and cost > 0)
        memo = f"{sale['memo']}\n{note}" if sale.get("memo") else note
        return sale_mod(
            f"mod-{txn_id}",
            kind=sale["kind"],
            txn_id=txn_id,
            edit_sequence=sale["edit_sequence"],
            ship_date=date.fromisoformat(shipment["ship_date"]),
            other=shipment["tracking_number"],
            memo=memo,
            keep_line_ids=sale["line_ids"] if as_line else (),
            add_line=(
                AddedLine(
                    shipping_item, f"Shipping: {shipment['carrier_code']} {shipment['tracking_number']}", cost
                )
                if as_line
                else None
            ),
        )

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        written, failed = state["written"], state["failed"]  # before this answer
        state = {**state, "sales": {t: dict(s) for t, s in state["sales"].items()}}
        channel_id = state["channel_id"]
        errors: list[str] = []
        if state["phase"] == "reread":
            for kind in ("invoice", "sales_order"):
                rs = response.by_request_id(f"reread-{kind}")
                if rs is None or not rs.ok:
                    continue
                for sale in sales(rs):
                    entry = state["sales"].get(sale.txn_id)
                    if entry is None:
                        continue
                    if (sale.other or "").strip() == entry["shipment"]["tracking_number"]:
                        # The earlier Mod did land (its answer was lost): nothing more to write.
                        outbound_sales.settle_tracking(
                            channel_id, sale.txn_id, at=ctx.now, edit_sequence=sale.edit_sequence
                        )
                        entry["state"] = "written"
                        state["written"] += 1
                        continue
                    entry.update(
                        edit_sequence=sale.edit_sequence,
                        line_ids=[line.txn_line_id for line in sale.lines],
                        memo=sale.memo,
                        state="waiting",
                    )
                    outbound_sales.record_reread(
                        channel_id, sale.txn_id, sale.edit_sequence, entry["line_ids"], sale.memo
                    )
            for txn_id, entry in state["sales"].items():
                if entry["state"] == "reread":  # QuickBooks no longer has it
                    problem = f"{entry['ref_number']} could not be read back from QuickBooks (deleted?)."
                    outbound_sales.settle_tracking(channel_id, txn_id, at=ctx.now, problem=problem)
                    entry["state"] = "failed"
                    state["failed"] += 1
                    errors.append(problem)
            state["phase"] = "mod"
        else:
            for txn_id, entry in state["sales"].items():
                if entry["state"] != "waiting":
                    continue
                rs = response.by_request_id(f"mod-{txn_id}")
                if rs is not None and rs.ok:
                    modified = sales(rs)
                    outbound_sales.settle_tracking(
                        channel_id,
                        txn_id,
                        at=ctx.now,
                        edit_sequence=modified[0].edit_sequence if modified else None,
                    )
                    entry["state"] = "written"
                    state["written"] += 1
                elif (
                    rs is not None
                    and rs.status_code == STATUS_EDIT_SEQUENCE_STALE
                    and entry["rereads"] < MAX_REREADS
                ):
                    entry["state"], entry["rereads"] = "reread", entry["rereads"] + 1
                else:
                    why = rs.explain() if rs is not None else None
                    problem = (
                        f"Could not write the tracking to {entry['ref_number']}: {why.meaning} {why.fix}".strip()
                        if why
                        else f"QuickBooks did not answer the tracking write for {entry['ref_number']}."
                    )
                    outbound_sales.settle_tracking(channel_id, txn_id, at=ctx.now, problem=problem)
                    entry["state"] = "failed"
                    state["failed"] += 1
                    errors.append(problem)
            if any(e["state"] == "reread" for e in state["sales"].values()):
                state["phase"] = "reread"
            elif not any(e["state"] == "waiting" for e in state["sales"].values()):
                state["phase"] = "done"
        done = state["phase"] == "done"
        if done:
            channel_outbound.release_standing_job(channel_id, "tracking")
        return Applied(
            state=state,
            done=done,
            counts={
                "tracking_written": state["written"] - written,
                "tracking_failed": state["failed"] - failed,
            },
            errors=errors,
        )

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        finished = sum(1 for e in state["sales"].values() if e["state"] in ("written", "failed"))
        return finished, len(state["sales"]) - finished


def record_shipments(channel: Channel, shipments: list[Shipment], now: datetime) -> Counter[str]:
    """Shipments ShipStation reported: each for a sale Ledgerbridge sent waits for the tracking write."""
    counts: Counter[str] = Counter()
    live = [s for s in shipments if not s.voided]
    counts["voided"] += len(shipments) - len(live)
    known = outbound_sales.get_many(channel.channel_id, (s.order_key for s in live if s.order_key))
    for shipment in live:
        if shipment.order_key not in known:
            counts["not_from_quickbooks"] += 1
        elif outbound_sales.record_shipment(
            channel.channel_id, shipment.order_key, shipment_json(shipment), now
        ):
            counts["shipped"] += 1
        else:
            counts["already_recorded"] += 1
    return +counts  # without the zeros
