"""Inventory levels from QuickBooks: the item queries that feed store stock, and their parsers.

Two questions are asked of QuickBooks:

* **How many of each item are on hand?** `ItemInventoryQueryRq` (inventory parts) and
  `ItemInventoryAssemblyQueryRq` (assemblies). Both take the 13.0 group
  `ListQueryWithOwnerIDAndClass`, in this order::

      ( ListID* | FullName* | MaxReturned? ActiveStatus? FromModifiedDate? ToModifiedDate?
        (NameFilter|NameRangeFilter)? ClassFilter? )  IncludeRetElement*  OwnerID*

  and both carry the `iterator` / `iteratorID` attributes, so a company with 10,000 items is read
  in chunks of `max_returned`. `IncludeRetElement` keeps every `*Ret` down to `INVENTORY_FIELDS`
  (about 400 bytes instead of 1.5 KB per item).

* **How many at one inventory site?** `ItemSitesQueryRq` (Advanced Inventory, qbXML 10.0, US
  QuickBooks Enterprise only)::

      ( ListID* | ItemTypeFilter | ItemSiteFilter(ItemFilter?, SiteFilter?) )?
      MaxReturned? ActiveStatus? IncludeRetElement*

  Each `ItemSitesRet` is one item at one site: ItemInventoryRef or ItemInventoryAssemblyRef,
  InventorySiteRef, QuantityOnHand, QuantityOnSalesOrders (plural here, singular on items).

**Continuing an iterator.** Intuit's programmer's guide says to continue an iterator by issuing
*the same query again* with `iterator="Continue"` and the `iteratorID` QuickBooks returned. So the
`Continue` request written here carries the same filters and IncludeRetElement list as the
`Start` (QuickBooks keeps the ones of the Start; sending them again costs a few bytes and keeps
the answer small whichever way a QuickBooks version reads them). Only `max_returned` may change.

**FromModifiedDate** is written in QuickBooks' own datetime form with the UTC offset
(`2024-05-22T10:00:00-07:00`), to the second; naive datetimes are refused. Remember that
QuickBooks does *not* change an item's TimeModified when a transaction (a sale, a receipt, an
inventory adjustment) changes its quantity: a "modified since" query finds edited items, not items
whose stock moved. A sync that must see stock movements reads all items (iterating) and compares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from lxml import etree

from .requests import _check_active_status, _check_max_returned, _start, _sub, add_include
from .responses import QbResponse, _bool, _text
from .xml import QbxmlParseError

__all__ = [
    "INVENTORY_FIELDS",
    "SITE_FIELDS",
    "InventoryKind",
    "InventoryLevel",
    "SiteLevel",
    "format_qb_datetime",
    "inventory_levels",
    "item_inventory_query",
    "item_sites_query",
    "parse_qb_datetime",
    "site_levels",
]

InventoryKind = Literal["inventory", "assembly"]

INVENTORY_FIELDS: tuple[str, ...] = (
    "ListID", "TimeModified", "Name", "FullName", "IsActive", "ManufacturerPartNumber",
    "QuantityOnHand", "QuantityOnSalesOrder",
)  # fmt: skip
"""IncludeRetElement for both inventory queries: every name is a direct child of ItemInventoryRet
and of ItemInventoryAssemblyRet in 13.0 (checked against the schema in the tests)."""

SITE_FIELDS: tuple[str, ...] = (
    "ItemInventoryRef", "ItemInventoryAssemblyRef", "InventorySiteRef", "QuantityOnHand",
    "QuantityOnSalesOrders",
)  # fmt: skip
"""IncludeRetElement for ItemSitesQueryRq: children of ItemSitesRet."""

SITE_FULL_NAME = 64
"""SiteFilter FullName: at most 64 characters (13.0 schema)."""

_RET_KINDS: dict[str, InventoryKind] = {
    "ItemInventoryRet": "inventory",
    "ItemInventoryAssemblyRet": "assembly",
}


# ----------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class InventoryLevel:
    """One inventory part or assembly with its quantities (company-wide, every site together)."""

    list_id: str
    kind: str
    """"inventory" (ItemInventoryRet) or "assembly" (ItemInventoryAssemblyRet)."""
    name: str
    full_name: str
    manufacturer_part_number: str | None
    is_active: bool
    quantity_on_hand: Decimal
    quantity_on_sales_order: Decimal
    time_modified: datetime
    """Timezone-aware. Changes when the item is edited, not when a transaction moves its stock."""


@dataclass(frozen=True)
class SiteLevel:
    """One item's quantities at one inventory site (Advanced Inventory)."""

    item_list_id: str
    item_full_name: str
    site: str
    """The InventorySiteRef FullName."""
    quantity_on_hand: Decimal
    quantity_on_sales_order: Decimal


# ----------------------------------------------------------------------------------------------
# datetimes


def format_qb_datetime(moment: datetime) -> str:
    """A DATETIMETYPE value QuickBooks reads exactly: `YYYY-MM-DDThh:mm:ss+hh:mm`.

    Seconds are truncated (QuickBooks stores whole seconds). Naive datetimes and offsets that are
    not whole minutes raise ValueError.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a QuickBooks datetime needs a timezone (got a naive datetime)")
    if offset % timedelta(minutes=1):
        raise ValueError(f"UTC offset {offset} is not a whole number of minutes")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}{sign}{hours:02d}:{mins:02d}"


def parse_qb_datetime(text: str) -> datetime:
    """A DATETIMETYPE from a response as an aware datetime.

    QuickBooks always writes the offset; a value without one is read as UTC. Raises ValueError for
    text that is not a datetime.
    """
    value = text.strip()
    moment = datetime.fromisoformat(value if "T" in value else value + "T00:00:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


# ----------------------------------------------------------------------------------------------
# helpers


def _check_iterator(iterator: str | None, iterator_id: str | None) -> None:
    if iterator is None:
        if iterator_id is not None:
            raise ValueError("iterator_id given without iterator")
        return
    if iterator not in ("Start", "Continue"):
        raise ValueError(f"iterator must be 'Start', 'Continue' or None, got {iterator!r}")
    if iterator == "Start" and iterator_id is not None:
        raise ValueError("iterator='Start' must not carry an iterator_id (QuickBooks assigns one)")
    if iterator == "Continue" and not iterator_id:
        raise ValueError("iterator='Continue' needs the iterator_id QuickBooks returned")


def _set_iterator(element: etree._Element, iterator: str | None, iterator_id: str | None) -> None:
    if iterator is not None:
        element.set("iterator", iterator)
        if iterator_id is not None:
            element.set("iteratorID", iterator_id)


def _decimal(parent: etree._Element, path: str) -> Decimal:
    """A quantity; missing or unreadable counts as zero (QuickBooks leaves out zero quantities on
    some versions)."""
    value = _text(parent, path)
    if value is None:
        return Decimal(0)
    try:
        number = Decimal(value)
    except InvalidOperation:
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)


# ----------------------------------------------------------------------------------------------
# item quantities


def item_inventory_query(
    request_id: str,
    *,
    assemblies: bool = False,
    from_modified: datetime | None = None,
    iterator: str | None = "Start",
    iterator_id: str | None = None,
    max_returned: int = 500,
    active_status: str = "All",
) -> etree._Element:
    """ItemInventoryQueryRq (or, with `assemblies`, ItemInventoryAssemblyQueryRq) for the quantities
    of every item, `max_returned` at a time, with IncludeRetElement = INVENTORY_FIELDS.

    `iterator="Start"` opens an iterator; `"Continue"` with `iterator_id` fetches the next chunk (the
    same filters are sent again, see the module doc); `None` asks for at most `max_returned` items
    without an iterator. `from_modified` (aware) keeps items edited at or after that moment.
    """
    _check_iterator(iterator, iterator_id)
    _check_max_returned(max_returned)
    _check_active_status(active_status)
    element = _start("ItemInventoryAssemblyQueryRq" if assemblies else "ItemInventoryQueryRq", request_id)
    _set_iterator(element, iterator, iterator_id)
    _sub(element, "MaxReturned", str(max_returned))
    _sub(element, "ActiveStatus", active_status)
    if from_modified is not None:
        _sub(element, "FromModifiedDate", format_qb_datetime(from_modified))
    add_include(element, INVENTORY_FIELDS)
    return element


def inventory_levels(response: QbResponse) -> list[InventoryLevel]:
    """The items of an ItemInventoryQueryRs / ItemInventoryAssemblyQueryRs (or ItemQueryRs: other item
    kinds are skipped), in document order.

    Rets without a ListID are skipped. A Ret without a readable TimeModified raises QbxmlParseError:
    the query always asks for it, and a made-up time would corrupt the caller's cursor.
    """
    levels: list[InventoryLevel] = []
    for ret in response.rets:
        kind = _RET_KINDS.get(str(ret.tag))
        list_id = _text(ret, "ListID")
        if kind is None or list_id is None:
            continue
        modified = _text(ret, "TimeModified")
        try:
            time_modified = parse_qb_datetime(modified) if modified is not None else None
        except ValueError:
            time_modified = None
        if time_modified is None:
            raise QbxmlParseError(f"{ret.tag} {list_id} has no valid TimeModified ({modified!r})")
        name = _text(ret, "Name")
        full_name = _text(ret, "FullName")
        if name is None and full_name is not None:
            name = full_name.rsplit(":", 1)[-1]
        name = name or ""
        is_active = _bool(ret, "IsActive")
        levels.append(
            InventoryLevel(
                list_id=list_id,
                kind=kind,
                name=name,
                full_name=full_name or name,
                manufacturer_part_number=_text(ret, "ManufacturerPartNumber"),
                is_active=True if is_active is None else is_active,
                quantity_on_hand=_decimal(ret, "QuantityOnHand"),
                quantity_on_sales_order=_decimal(ret, "QuantityOnSalesOrder"),
                time_modified=time_modified,
            )
        )
    return levels


# ----------------------------------------------------------------------------------------------
# per-site quantities


def item_sites_query(
    request_id: str,
    *,
    site: str,
    iterator: str | None = "Start",
    iterator_id: str | None = None,
    max_returned: int = 500,
    include: Sequence[str] = SITE_FIELDS,
) -> etree._Element:
    """ItemSitesQueryRq for the items at inventory site `site` (its full name, at most 64 characters),
    with an iterator like `item_inventory_query`."""
    _check_iterator(iterator, iterator_id)
    _check_max_returned(max_returned)
    if not site or not site.strip():
        raise ValueError("site must name an inventory site")
    if len(site) > SITE_FULL_NAME:
        raise ValueError(f"site {site!r} is {len(site)} characters; QuickBooks allows {SITE_FULL_NAME}")
    element = _start("ItemSitesQueryRq", request_id)
    _set_iterator(element, iterator, iterator_id)
    site_filter = etree.SubElement(etree.SubElement(element, "ItemSiteFilter"), "SiteFilter")
    _sub(site_filter, "FullName", site)
    _sub(element, "MaxReturned", str(max_returned))
    add_include(element, include)
    return element


def site_levels(response: QbResponse) -> list[SiteLevel]:
    """The ItemSitesRet entries of an ItemSitesQueryRs; entries without an item or a site are skipped."""
    levels: list[SiteLevel] = []
    for ret in response.rets:
        if ret.tag != "ItemSitesRet":
            continue
        item = ret.find("ItemInventoryRef")
        if item is None:
            item = ret.find("ItemInventoryAssemblyRef")
        item_list_id = _text(item, "ListID")
        site = _text(ret, "InventorySiteRef/FullName")
        if item_list_id is None or site is None:
            continue
        levels.append(
            SiteLevel(
                item_list_id=item_list_id,
                item_full_name=_text(item, "FullName") or "",
                site=site,
                quantity_on_hand=_decimal(ret, "QuantityOnHand"),
                quantity_on_sales_order=_decimal(ret, "QuantityOnSalesOrders"),
            )
        )
    return levels
