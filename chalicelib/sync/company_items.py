"""The company's items as Ledgerbridge knows them from its cached lists: found by full name, by name, or by
manufacturer part number, the way the channel's product matching says. The posting (`post_orders`) and the order
preview (`preview_orders`) both match through this one index."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from lxml import etree

from chalicelib.dal import company_lists, payloads

SNAPSHOT_KEPT = timedelta(days=45)  # longer than any refresh schedule; a newer refresh replaces it anyway


@dataclass(frozen=True)
class CompanyItems:
    """The cached item list, indexed (names folded)."""

    by_full: dict[str, str]
    by_name: dict[str, str]
    by_mpn: dict[str, str]
    types: dict[str, str]  # full name (folded) -> item type

    @classmethod
    def read(cls, connection_id: str) -> CompanyItems:
        records = company_lists.list_records(connection_id, "item")
        by_name: dict[str, str] = {}
        by_mpn: dict[str, str] = {}
        for r in records:
            by_name.setdefault(r.name.casefold(), r.full_name)
            mpn = r.details.get("manufacturer_part_number")
            if mpn:
                by_mpn.setdefault(str(mpn).casefold(), r.full_name)
        return cls(
            {r.full_name.casefold(): r.full_name for r in records},
            by_name,
            by_mpn,
            {r.full_name.casefold(): str(r.details.get("item_type") or "") for r in records},
        )

    def find(self, key: str, product_matching: str, *, product: bool) -> str | None:
        """The item `key` names: by manufacturer part number for a product line when the channel matches so,
        else by full name, or by name when the channel matches by name."""
        folded = key.casefold()
        if product_matching == "manufacturer_part_number" and product:
            return self.by_mpn.get(folded)
        return self.by_full.get(folded) or (self.by_name.get(folded) if product_matching == "name" else None)


def _snapshot_key(connection_id: str) -> str:
    return f"item-index#{connection_id}"


def write_snapshot(connection_id: str, lists_refreshed_at: str) -> None:
    """Keep the index of the item list as the refresh of `lists_refreshed_at` left it (its stale records removed):
    a cold container reads one compressed payload instead of every cached item (5,000 items: ~5,000 records to
    deserialise on the Web Connector's clock)."""
    items = CompanyItems.read(connection_id)
    body = json.dumps({"lists_refreshed_at": lists_refreshed_at, **asdict(items)}, separators=(",", ":"))
    payloads.put(_snapshot_key(connection_id), body.encode(), expires_at=datetime.now(UTC) + SNAPSHOT_KEPT)


def _snapshot(connection_id: str, lists_refreshed_at: str) -> CompanyItems | None:
    """The kept index, when it is the one of the lists' last refresh."""
    try:
        data = json.loads(payloads.get(_snapshot_key(connection_id)))
        same = datetime.fromisoformat(data["lists_refreshed_at"]) == datetime.fromisoformat(
            lists_refreshed_at
        )
        if not same:
            return None
        return CompanyItems(data["by_full"], data["by_name"], data["by_mpn"], data["types"])
    except (payloads.PayloadMissing, KeyError, TypeError, ValueError):
        return None


@lru_cache(maxsize=32)
def _kept(connection_id: str, lists_refreshed_at: str) -> CompanyItems:
    return _snapshot(connection_id, lists_refreshed_at) or CompanyItems.read(connection_id)


def company_items(connection_id: str, lists_refreshed_at: str | None = None) -> CompanyItems:
    """A warm container keeps a company's item index until its lists are read again (`lists_refreshed_at`, the
    key, changes then): a batch does not read the whole list; a cold one starts from the refresh's snapshot
    (`write_snapshot`) when there is one. Unknown when the lists were read: read now."""
    return (
        _kept(connection_id, lists_refreshed_at) if lists_refreshed_at else CompanyItems.read(connection_id)
    )


def added_name(element: etree._Element) -> str:
    """The FullName an Item*Add/CustomerAdd request creates."""
    add = element[0]
    name = add.findtext("Name") or ""
    parent = add.findtext("ParentRef/FullName")
    return f"{parent}:{name}" if parent else name
