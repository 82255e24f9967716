"""What the REST API shows of QuickBooks outbound work: a channel's stock levels and its QuickBooks sales
in ShipStation, each with its status and, when something is wrong, the problem in plain words."""

from __future__ import annotations

from typing import Any

from chalicelib.dal import channel_outbound, channels, outbound_sales, stock_levels
from chalicelib.dal.outbound_sales import OutboundSale
from chalicelib.dal.stock_levels import StockLevel


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def level_view(level: StockLevel) -> dict[str, Any]:
    return {
        "item_list_id": level.item_list_id,
        "item": level.item_name,
        "sku": level.sku,
        "quantity": level.quantity,
        "status": level.status,
        "pushed_quantity": level.pushed_quantity,
        "problem": level.problem,
        "updated_at": _iso(level.updated_at),
        "pushed_at": _iso(level.pushed_at),
    }


def sale_view(sale: OutboundSale) -> dict[str, Any]:
    return {
        "txn_id": sale.txn_id,
        "kind": sale.kind,
        "ref_number": sale.ref_number,
        "status": sale.status,
        "problem": sale.problem,
        "shipstation_order_id": sale.shipstation_order_id,
        "shipment": sale.shipment,
        "updated_at": _iso(sale.updated_at),
        "sent_at": _iso(sale.sent_at),
    }


def inventory_page(
    tenant_id: str, channel_id: str, *, status: str | None, limit: int, after: str | None
) -> dict[str, Any]:
    outbound = channel_outbound.get(channels.get_for_tenant(tenant_id, channel_id))
    found, cursor = stock_levels.list_levels(tenant_id, channel_id, status=status, limit=limit, after=after)
    return {
        "channel_id": channel_id,
        "counts": stock_levels.status_counts(channel_id),
        "last_full_pass": _iso(outbound.inventory_full_at),
        "last_push": outbound.last_push,
        "levels": [level_view(level) for level in found],
        "next": cursor,
    }


def shipstation_page(
    tenant_id: str, channel_id: str, *, status: str | None, limit: int, after: str | None
) -> dict[str, Any]:
    outbound = channel_outbound.get(channels.get_for_tenant(tenant_id, channel_id))
    found, cursor = outbound_sales.list_sales(tenant_id, channel_id, status=status, limit=limit, after=after)
    return {
        "channel_id": channel_id,
        "sales_cursor": _iso(outbound.sales_cursor),
        "shipments_bookmark": _iso(outbound.shipments_bookmark),
        "last_push": outbound.last_push,
        "sales": [sale_view(s) for s in found],
        "next": cursor,
    }
