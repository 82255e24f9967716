"""Inventory from QuickBooks: the `read_inventory` job of a Web Connector session.

Each run of the Web Connector reads the inventory (and assembly) items modified since the channel's
cursor, a page at a time with a qbXML iterator and IncludeRetElement so every answer stays small; every
`full_inventory_every_minutes` it reads them all, because QuickBooks does not change an item's modified
time when a sale or an adjustment changes its quantity. With an inventory site, quantities come from the
site's item records, read whole on each run (QuickBooks has no modified filter for them).

The first request of a pass also asks for the assembly items, without an iterator, `inventory_page_size` at
most: a quiet run (few items changed since the cursor) reads both lists in one round trip, not two. An answer that
fills the page may have more behind it: it is set aside and the assemblies are read with an iterator after the
inventory items, as before; so is an answer QuickBooks refused (the parts' answer is applied either way, and the
assemblies phase reports its own error as before). Only one iterator is ever open at a time. The pass keeps the
page size it started with (`page`), so "fewer than a page" means fewer than the MaxReturned that was sent. In
Intuit's annotated qbXML 13.0 catalogue (tests/fixtures/reference/qbxml/qbxmlops130-annotated-sample.xml)
MaxReturned is an optional filter of the item queries and the `iterator` attribute optional, so a query without an
iterator is answered whole up to MaxReturned.

Only quantities that changed are written (as pending stock levels); when the job ends, the store push
queue is told, and its consumer sends the quantities to the store after the session.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from chalicelib.aws import StorePushQueue
from chalicelib.dal import channel_outbound, channels, stock_levels
from chalicelib.dal.stock_levels import REFUSED, UNMATCHED, StockLevel
from chalicelib.orders.settings import ChannelSettings
from chalicelib.qbxml.inventory import inventory_levels, item_inventory_query, item_sites_query, site_levels
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.qbxml.responses import MessageSetResponse
from chalicelib.sync.channels import job_settings, settings_for_job, settings_of
from chalicelib.sync.jobs import READ_INVENTORY, Applied, JobContext, channel_id_of

PHASES = ("inventory", "assembly", "site", "done")
ASSEMBLIES_AT_ONCE = "assembly-at-once"  # the request id of the assemblies asked with a pass's first request
# "This feature is not enabled or not available in this version of QuickBooks" (chalicelib/qbxml/status.py). Should
# an edition without assemblies (Pro has none) answer the assemblies query so while it answered the parts query of
# the same pass, there are no assemblies to read: not a failed pass, which would keep the cursor (every run would
# then read everything again and report an error). Only before any assembly came back in the pass: a 3250 after
# assemblies were seen (a full first answer, an earlier page) fails the pass, as does any other error. Whether Pro
# answers so is not known here.
NOT_IN_THIS_EDITION = 3250


def sku_of(settings: ChannelSettings, name: str, full_name: str, part_number: str | None) -> str:
    """The store SKU a QuickBooks item stands for, by the channel's product matching (as for orders)."""
    if settings.product_matching == "full_name":
        return full_name.strip()
    if settings.product_matching == "manufacturer_part_number":
        return (part_number or "").strip()
    return name.strip()


def available(on_hand: Decimal, on_sales_orders: Decimal, subtract_sales_orders: bool) -> int:
    """What the store may sell: whole units, never below zero."""
    quantity = on_hand - (on_sales_orders if subtract_sales_orders else Decimal(0))
    return max(0, int(quantity.to_integral_value(rounding=ROUND_FLOOR)))


class ReadInventory:
    kind = READ_INVENTORY
    title = "read inventory"
    batch_size = 1
    rebuilds_request = True  # queries only, rendered from the state

    def start(self, messages: list[dict[str, Any]], ctx: JobContext) -> dict[str, Any]:
        channel_id = channel_id_of(messages)
        channel = channels.get(channel_id)
        state: dict[str, Any] = {
            "channel_id": channel_id,
            "phase": "done",
            "iterator_id": None,
            "read": 0,
            "changed": 0,
            "remaining": 0,
            "newest": None,
            "errors": 0,
        }
        if channel is None or not settings_of(channel).moves("inventory_to_store"):
            channel_outbound.release_standing_job(channel_id, "inventory")
            return state
        settings = settings_of(channel)
        outbound = channel_outbound.get(channel)
        full = (
            outbound.inventory_cursor is None
            or outbound.inventory_full_at is None
            or ctx.now - outbound.inventory_full_at
            >= timedelta(minutes=settings.full_inventory_every_minutes)
        )
        state.update(
            tenant_id=channel.tenant_id,
            channel_name=channel.name,
            **settings_for_job(channel),  # as the job started: read once, not per round trip
            full=full,
            # After the newest TimeModified already read (QuickBooks keeps whole seconds): an edit landing
            # in that very second after the read is caught by the next full pass.
            since=None
            if full or outbound.inventory_cursor is None
            else (outbound.inventory_cursor + timedelta(seconds=1)).isoformat(),
            phase="site" if settings.inventory_site else "inventory",
            page=ctx.inventory_page_size,  # one page size for the whole pass, whatever a later call's settings say
            started_at=ctx.now.isoformat(),
        )
        return state

    def next_request(self, state: dict[str, Any], ctx: JobContext) -> str | None:
        phase = state["phase"]
        if phase == "done":
            return None
        page = _page(state, ctx)
        iterator = "Continue" if state["iterator_id"] else "Start"
        if phase == "site":
            site = job_settings(state).inventory_site
            request = item_sites_query(
                phase, site=site, iterator=iterator, iterator_id=state["iterator_id"], max_returned=page
            )
        else:
            since = datetime.fromisoformat(state["since"]) if state.get("since") else None
            request = item_inventory_query(
                phase,
                assemblies=phase == "assembly",
                from_modified=since,
                iterator=iterator,
                iterator_id=state["iterator_id"],
                max_returned=page,
            )
            if phase == "inventory" and not state["iterator_id"]:  # the pass's first request: assemblies too
                assemblies = item_inventory_query(
                    ASSEMBLIES_AT_ONCE, assemblies=True, from_modified=since, iterator=None, max_returned=page
                )
                return render_message_set(
                    [request, assemblies], version=ctx.qbxml_version, on_error="continueOnError"
                )
        return render_message_set([request], version=ctx.qbxml_version, on_error="continueOnError")

    def apply(self, state: dict[str, Any], response: MessageSetResponse, ctx: JobContext) -> Applied:
        read = changed = 0  # this answer's own (Applied counts are each answer's)
        state = dict(state)
        phase = state["phase"]
        errors: list[str] = []
        rs = response.by_request_id(phase)
        at_once = response.by_request_id(ASSEMBLIES_AT_ONCE) if phase == "inventory" else None
        if (
            phase == "assembly"
            and rs is not None
            and rs.status_code == NOT_IN_THIS_EDITION
            and not state.get("assemblies_seen")
            and not state["iterator_id"]
        ):
            state["phase"] = "done"  # an edition without assemblies: none to read, the pass goes on
        elif rs is None or not rs.ok:
            why = rs.explain().meaning if rs is not None else "QuickBooks did not answer the inventory query."
            errors.append(f"Could not read the inventory for channel {state['channel_name']}: {why}")
            state["errors"] += 1
            state["phase"] = "done"
        else:
            # All the assemblies, when the answer is whole (fewer than the page asked for). Refused or full, it is
            # set aside: the assemblies phase reads them with an iterator after the parts, as without it.
            if at_once is not None and at_once.status_code == NOT_IN_THIS_EDITION:
                state["assemblies_read"] = True  # the parts were read: this edition has no assemblies
            elif at_once is not None and at_once.ok and len(at_once.rets) < _page(state, ctx):
                entries = self._entries("assembly", at_once, job_settings(state), state)
                read += len(at_once.rets)
                changed += self._stage(state["channel_id"], state["tenant_id"], entries, state, ctx)
                state["assemblies_read"] = True
            # Assemblies came back and were set aside: a 3250 to the assemblies phase is no longer "none" (nor is one
            # to a later page of it, which carries an iterator).
            if at_once is not None and at_once.ok and at_once.rets:
                state["assemblies_seen"] = True
            entries = self._entries(phase, rs, job_settings(state), state)
            read += len(rs.rets)
            changed += self._stage(state["channel_id"], state["tenant_id"], entries, state, ctx)
            state["read"] += read
            state["changed"] += changed
            if rs.has_more:
                state["iterator_id"] = rs.iterator_id
                state["remaining"] = rs.iterator_remaining_count or 0
            else:
                state["iterator_id"], state["remaining"] = None, 0
                state["phase"] = (
                    "assembly" if phase == "inventory" and not state.get("assemblies_read") else "done"
                )
        done = state["phase"] == "done"
        if done:
            self._finish(state, ctx)
        return Applied(
            state=state,
            done=done,
            counts={"inventory_items_read": read, "inventory_changed": changed},
            errors=errors,
        )

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        if state["phase"] == "done":
            return 1, 0
        return state["read"], state["remaining"] or _phases_left(state)

    # --- internals --------------------------------------------------------------------------------
    @staticmethod
    def _entries(
        phase: str, rs: Any, settings: ChannelSettings, state: dict[str, Any]
    ) -> list[tuple[str, str, str, int]]:
        """(item ListID, SKU, item name, available quantity) for each active item with a SKU."""
        entries = []
        if phase == "site":
            for s in site_levels(rs):
                name = s.item_full_name.rsplit(":", 1)[-1]
                sku = sku_of(settings, name, s.item_full_name, None)
                if sku:
                    quantity = available(
                        s.quantity_on_hand, s.quantity_on_sales_order, settings.subtract_sales_orders
                    )
                    entries.append((s.item_list_id, sku, s.item_full_name, quantity))
            return entries
        for level in inventory_levels(rs):
            newest = state.get("newest")
            if newest is None or level.time_modified.isoformat() > newest:
                state["newest"] = level.time_modified.isoformat()
            if not level.is_active:
                continue
            sku = sku_of(settings, level.name, level.full_name, level.manufacturer_part_number)
            if sku:
                quantity = available(
                    level.quantity_on_hand, level.quantity_on_sales_order, settings.subtract_sales_orders
                )
                entries.append((level.list_id, sku, level.full_name, quantity))
        return entries

    @staticmethod
    def _stage(
        channel_id: str,
        tenant_id: str,
        entries: list[tuple[str, str, str, int]],
        state: dict[str, Any],
        ctx: JobContext,
    ) -> int:
        """Write the levels whose quantity or SKU changed (and, on a full pass, retry the unmatched and
        refused ones: the merchant may have added the SKU to the store since)."""
        if not entries:
            return 0
        known = stock_levels.get_many(channel_id, (e[0] for e in entries))
        full = bool(state.get("full")) or state["phase"] == "site"
        changed = []
        for list_id, sku, name, quantity in entries:
            row = known.get(list_id)
            same = row is not None and (row.sku, row.quantity, row.item_name) == (sku, quantity, name)
            if (
                same
                and row is not None
                and (row.pending or not (full and row.status in (UNMATCHED, REFUSED)))
            ):
                continue
            changed.append(
                StockLevel(
                    channel_id=channel_id,
                    item_list_id=list_id,
                    tenant_id=tenant_id,
                    sku=sku,
                    item_name=name,
                    quantity=quantity,
                    status="pending",
                    pushed_quantity=row.pushed_quantity if row else None,
                    pushed_at=row.pushed_at if row else None,
                )
            )
        return stock_levels.put_pending(changed, ctx.now)

    @staticmethod
    def _finish(state: dict[str, Any], ctx: JobContext) -> None:
        channel_id = state["channel_id"]
        if state.get("started_at") and not state["errors"]:
            newest = datetime.fromisoformat(state["newest"]) if state.get("newest") else None
            full_at = datetime.fromisoformat(state["started_at"]) if state.get("full") else None
            channel_outbound.record_inventory_pass(channel_id, newest, full_at)
        channel_outbound.release_standing_job(channel_id, "inventory")
        if state.get("started_at") and stock_levels.pending(channel_id, 1):
            StorePushQueue().send({"channel_id": channel_id, "what": "inventory"})


def _page(state: dict[str, Any], ctx: JobContext) -> int:
    """The pass's page size (MaxReturned), as it was when the pass started (states saved before it: the setting)."""
    return int(state.get("page") or ctx.inventory_page_size)


def _phases_left(state: dict[str, Any]) -> int:
    """Before QuickBooks has said how many items are left, count the phases still to go as one each."""
    return max(1, 3 - PHASES.index(state["phase"]))
