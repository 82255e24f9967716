"""Refreshing the company's lists into the cache: chart of accounts, items, sales tax codes and items,
payment methods and classes — what the channel settings' drop-downs and the order sync's matching need.

One round trip asks for every short list plus the first page of items; items (the one list that grows to
thousands) follow page by page with a qbXML iterator, so every response stays bounded.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from lxml import etree

from chalicelib.aws import StorePushQueue
from chalicelib.dal import company_lists, connections
from chalicelib.dal.company_lists import CachedRecord
from chalicelib.qbxml import requests as rq
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.responses import ListRecord, MessageSetResponse, QbResponse, list_record
from chalicelib.qbxml.status import explain_status
from chalicelib.sync.company_items import write_snapshot
from chalicelib.sync.jobs import REFRESH_COMPANY_LISTS, Applied, JobContext
from chalicelib.sync.line_lists import LINE_LISTS, OPTIONAL_LISTS, line_details

# The short lists, asked for in one message set: cache kind -> builder.
SHORT_LISTS: dict[str, Callable[[str], etree._Element]] = {
    "account": rq.account_query,
    "sales_tax_code": rq.sales_tax_code_query,
    "item_sales_tax": rq.item_sales_tax_query,
    "item_sales_tax_group": rq.item_sales_tax_group_query,
    "payment_method": rq.payment_method_query,
    "class": rq.class_query,
    **LINE_LISTS,  # price levels, unit of measure sets, inventory sites (line_lists: optional lists)
}
ITEMS = "item"
ALL_KINDS = (*SHORT_LISTS, ITEMS)


def _cached(kind: str, record: ListRecord) -> CachedRecord:
    details = {
        k: v
        for k, v in asdict(record).items()
        if v is not None and k not in ("kind", "list_id", "name", "full_name", "is_active")
    }
    return CachedRecord(
        kind=kind,
        list_id=record.list_id,
        name=record.name,
        full_name=record.full_name or record.name,
        is_active=record.is_active,
        details=details,
    )


def _with_line_details(record: CachedRecord, ret: etree._Element) -> CachedRecord:
    extra = line_details(ret)
    return replace(record, details={**record.details, **extra}) if extra else record


STALE_LISTS = "stale_company_lists"


def stale_lists_job(
    connection_id: str, kinds: list[str], refresh_id: str, refreshed_at: str | None = None
) -> dict[str, Any]:
    """The store push queue's message that removes the cached records a refresh did not write, then (for a
    refresh that read every list: `refreshed_at`) keeps the item index's snapshot (`company_items`)."""
    job = {"what": STALE_LISTS, "connection_id": connection_id, "kinds": kinds, "refresh_id": refresh_id}
    return {**job, "refreshed_at": refreshed_at} if refreshed_at else job


def remove_stale_lists(body: dict[str, Any]) -> int:
    """Remove what `stale_lists_job` names; returns how many records went."""
    kinds = [str(k) for k in body.get("kinds", []) if str(k) in ALL_KINDS]
    connection_id = str(body.get("connection_id", ""))
    removed = company_lists.remove_stale(connection_id, kinds, str(body.get("refresh_id", "")))
    if ITEMS in kinds and isinstance(body.get("refreshed_at"), str):
        write_snapshot(connection_id, body["refreshed_at"])
    return removed


class RefreshCompanyLists:
    kind = REFRESH_COMPANY_LISTS
    title = "refresh company lists"
    batch_size = 1
    rebuilds_request = True  # queries only, rendered from the state

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        return {
            "refresh_id": "ref_" + secrets.token_hex(6),
            "step": "start",
            "iterator_id": None,
            "items_remaining": None,
            "items_read": 0,
            "ok_kinds": [],
            "failed_kinds": [],
            "records": 0,
        }

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        page = ctx.item_page_size
        if state["step"] == "start":
            requests = [build(kind) for kind, build in SHORT_LISTS.items()]
            requests.append(rq.item_query(ITEMS, iterator="Start", max_returned=page))
        elif state["step"] == "items":
            requests = [
                rq.item_query(ITEMS, iterator="Continue", iterator_id=state["iterator_id"], max_returned=page)
            ]
        else:
            return None
        return render_message_set(requests, version=ctx.qbxml_version, on_error="continueOnError")

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        records = 0  # what this answer cached (Applied counts are each answer's own)
        state = dict(state)
        errors: list[str] = []
        by_request = {r.request_id: r for r in response.responses}
        expected = [*SHORT_LISTS, ITEMS] if state["step"] == "start" else [ITEMS]
        for kind in expected:
            rs = by_request.get(kind)
            if rs is None:
                errors.append(f"QuickBooks did not answer the {kind.replace('_', ' ')} query.")
                state["failed_kinds"] = sorted({*state["failed_kinds"], kind})
                if kind == ITEMS:
                    state["step"] = "done"
                continue
            if not rs.ok and kind in OPTIONAL_LISTS:  # a feature the file does not use: an empty list
                state["ok_kinds"] = sorted({*state["ok_kinds"], kind})
                continue
            if not rs.ok:
                why = explain_status(rs.status_code, rs.status_message)
                errors.append(f"Could not read the {kind.replace('_', ' ')} list: {why.meaning}")
                state["failed_kinds"] = sorted({*state["failed_kinds"], kind})
                if kind == ITEMS:
                    state["step"] = "done"
                continue
            stored = self._store(ctx.connection_id, kind, rs, state["refresh_id"])
            state["records"] += stored
            records += stored
            if kind == ITEMS:
                self._advance_items(state, rs)
            elif kind not in state["ok_kinds"]:
                state["ok_kinds"] = [*state["ok_kinds"], kind]
        done = state["step"] == "done"
        if done:
            # Records this refresh did not see are removed after the session, off the SOAP path (reading every
            # cached key of a large item list is slow); until then they are only a few seconds too many.
            complete = not state["failed_kinds"]
            StorePushQueue().send(
                stale_lists_job(
                    ctx.connection_id,
                    state["ok_kinds"],
                    state["refresh_id"],
                    ctx.now.isoformat() if complete else None,
                )
            )
            if complete:
                connections.record_lists_refreshed(ctx.connection_id, ctx.now)
        return Applied(state=state, done=done, counts={"list_records": records}, errors=errors)

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        if state["step"] == "start":
            return 0, 1
        remaining = int(state["items_remaining"] or 0)
        page_units = 1 + state["items_read"]
        return page_units, remaining

    @staticmethod
    def _store(connection_id: str, kind: str, rs: QbResponse, refresh_id: str) -> int:
        cached = (_with_line_details(_cached(kind, r), ret) for ret in rs.rets if (r := list_record(ret)))
        return company_lists.put_records(connection_id, cached, refresh_id)

    @staticmethod
    def _advance_items(state: dict[str, Any], rs: QbResponse) -> None:
        state["items_read"] += len(rs.rets)
        remaining = rs.iterator_remaining_count or 0
        state["items_remaining"] = remaining
        if remaining > 0 and rs.iterator_id:
            state["step"], state["iterator_id"] = "items", rs.iterator_id
        else:
            state["step"], state["iterator_id"] = "done", None
            if ITEMS not in state["ok_kinds"]:
                state["ok_kinds"] = [*state["ok_kinds"], ITEMS]
