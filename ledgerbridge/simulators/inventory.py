"""Inventory in the company simulator: quantities, inventory sites and `ItemSitesQueryRq`.

* **Inventory.** `ItemInventoryQueryRq` / `ItemInventoryAssemblyQueryRq` are list queries like the
  others (`lists.py`: FromModifiedDate/ToModifiedDate, ActiveStatus, MaxReturned, iterators,
  IncludeRetElement trims each Ret to the named elements). An item's TimeModified and EditSequence
  change when the item is edited (`edit_item`), never when a transaction moves its quantities
  (sales, sales orders, `adjust_quantity`, site quantities): QuickBooks treats quantities as
  derived values.
* **Sites.** Inventory sites (Advanced Inventory) are the `InventorySite` list; each item's
  quantity at a site is an `ItemSitesRet` record (saved under "item_sites"), answered by
  `ItemSitesQueryRq` (ListID, ItemTypeFilter, ItemSiteFilter with ItemFilter / SiteFilter,
  ActiveStatus, MaxReturned, iterators, IncludeRetElement); without any site that query answers
  `3250 "This feature is not enabled or not available in this version of QuickBooks."`. Sales
  lines with an InventorySiteRef move that site's quantities too (`move_site_quantity`).
* **Python API** (`add_inventory_items`, `add_inventory_site`, `set_site_quantity`,
  `site_quantities`, `adjust_quantity`, `edit_item`) is for tests, the CLI and the benchmark;
  `add_inventory_items` copies one built item, so 10,000 items take well under a second.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators.lists import ITEM_KINDS, CompanyLists
from ledgerbridge.simulators.registry import (
    STATUS_NO_MATCH,
    STATUS_OK,
    Severity,
    Status,
    StatusError,
    register_handler,
    status_missing_element,
)
from ledgerbridge.simulators.stored import (
    INVENTORY_KINDS,
    Quantity,
    fold,
    format_money,
    full_name_of,
    plain_quantity,
    to_quantity,
)

__all__ = ["STATUS_FEATURE_OFF", "CompanyInventory"]


class CompanyInventory(CompanyLists):
    """The company's lists with inventory quantities and sites (Python API for tests, CLI, benchmarks)."""

    # -- inventory (for tests, the CLI and the benchmark) ---------------------------------------
    def add_inventory_items(
        self,
        count: int,
        *,
        prefix: str = "SKU-",
        quantity: Quantity | Callable[[int], Quantity] | None = None,
        quantity_on_sales_order: Quantity = 0,
        sites: Mapping[str, Quantity | Callable[[int], Quantity]] | None = None,
        kind: str = "ItemInventory",
        price: str = "10.00",
    ) -> list[str]:
        """Add `count` inventory parts (or assemblies: `kind="ItemInventoryAssembly"`) named
        "<prefix>00001", "<prefix>00002", ... (numbering goes on after items already using the prefix);
        return their names.

        Each item gets ManufacturerPartNumber = its name, SalesPrice `price`, QuantityOnHand `quantity`
        (a number, or a function of the item's number; default 10) and `quantity_on_sales_order`. With
        `sites` ({site name: quantity or function of the item's number}) missing sites are created,
        each item gets that quantity at each site and its QuantityOnHand is their sum (`quantity` must
        then be left out). Fast: the first item is built like an ItemInventoryAdd, the others are
        copies of it (10,000 items in a fraction of a second). Saves the file once at the end.
        """
        if kind not in INVENTORY_KINDS:
            raise ValueError(f"kind must be one of {INVENTORY_KINDS}, not {kind!r}")
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        if sites is not None and quantity is not None:
            raise ValueError("give quantity or sites, not both (with sites, QuantityOnHand is their sum)")
        site_objs = [
            (
                self._site_by_name(name)
                or self._find_by_id(("InventorySite",), self.add_inventory_site(name)),
                q,
            )
            for name, q in (sites or {}).items()
        ]
        folded = fold(prefix)
        existing = sum(
            1
            for k in ITEM_KINDS
            for obj in self._list(k)
            if fold(str(obj.get("Name", ""))).startswith(folded)
        )
        now = self.now()
        stamp, edit_sequence = now.isoformat(), str(int(now.timestamp()))
        namespace = self._namespace_kinds(kind)
        template: dict[str, Any] | None = None
        names: list[str] = []
        for offset in range(count):
            number = existing + offset + 1
            name = f"{prefix}{number:05d}"
            per_site = [(site, to_quantity(q(number) if callable(q) else q)) for site, q in site_objs]
            if site_objs:
                on_hand = sum((q for _, q in per_site), Decimal(0))
            else:
                given = quantity(number) if callable(quantity) else quantity
                on_hand = to_quantity(10 if given is None else given)
            if template is None:
                data = {
                    "Name": name,
                    "SalesDesc": name,
                    "SalesPrice": price,
                    "IncomeAccountRef": {"FullName": "Sales:Merchandise"},
                    "COGSAccountRef": {"FullName": "Cost of Goods Sold"},
                    "AssetAccountRef": {"FullName": "Inventory Asset"},
                }
                try:
                    template = self._build_object(kind, data, created=now)
                except StatusError as exc:
                    raise ValueError(f"cannot add inventory item {name!r}: {exc.status.message}") from exc
                obj = template
            else:
                if self._find_by_name(namespace, name) is not None:
                    raise ValueError(f"cannot add inventory item {name!r}: the name is already in use")
                obj = {
                    key: dict(value) if isinstance(value, dict) else value for key, value in template.items()
                }
                obj.update(Name=name, FullName=name, SalesDesc=name, ListID=self._new_list_id(now))
            obj.update(
                ManufacturerPartNumber=name,
                QuantityOnHand=plain_quantity(on_hand),
                QuantityOnSalesOrder=plain_quantity(to_quantity(quantity_on_sales_order)),
                TimeCreated=stamp,
                TimeModified=stamp,
                EditSequence=edit_sequence,
            )
            self._insert(kind, obj)
            for site, site_quantity in per_site:
                self._new_item_site(kind, obj, site[1] if site else {}, site_quantity, Decimal(0), stamp)
            names.append(name)
        self._save_if_autosave()
        return names

    def add_inventory_site(
        self, name: str, *, description: str | None = None, is_default: bool = False
    ) -> str:
        """Add an inventory site (Advanced Inventory); its ListID. Companies with sites answer ItemSitesQueryRq."""
        data: dict[str, Any] = {
            "Name": name,
            "IsActive": "true",
            "IsDefaultSite": "true" if is_default else "false",
        }
        if description:
            data["SiteDesc"] = description
        try:
            obj = self._build_object("InventorySite", data, created=self.now())
        except StatusError as exc:
            raise ValueError(f"cannot add inventory site {name!r}: {exc.status.message}") from exc
        self._insert("InventorySite", obj)
        return str(obj["ListID"])

    def set_site_quantity(
        self,
        item: str,
        site: str,
        quantity_on_hand: Quantity,
        *,
        quantity_on_sales_orders: Quantity | None = None,
    ) -> None:
        """Set an item's quantity at a site (creating the item-site record), as a transaction would:
        the item's QuantityOnHand moves by the same difference and its TimeModified does not change."""
        kind, obj = self._inventory_item(item)
        site_obj = self._site_by_name(site)
        if site_obj is None:
            raise KeyError(f"no inventory site named {site!r}")
        record = self._item_site_index().get((str(obj["ListID"]), str(site_obj[1]["ListID"])))
        new = to_quantity(quantity_on_hand)
        if record is None:
            record = self._new_item_site(
                kind, obj, site_obj[1], Decimal(0), Decimal(0), self.now().isoformat()
            )
        delta = new - to_quantity(record.get("QuantityOnHand", "0"))
        record["QuantityOnHand"] = plain_quantity(new)
        if quantity_on_sales_orders is not None:
            record["QuantityOnSalesOrders"] = plain_quantity(to_quantity(quantity_on_sales_orders))
        obj["QuantityOnHand"] = plain_quantity(to_quantity(obj.get("QuantityOnHand", "0")) + delta)
        self._save_if_autosave()

    def site_quantities(self, item: str) -> dict[str, tuple[Decimal, Decimal]]:
        """{site name: (QuantityOnHand, QuantityOnSalesOrders)} of an item."""
        _, obj = self._inventory_item(item)
        result: dict[str, tuple[Decimal, Decimal]] = {}
        for (item_id, site_id), record in self._item_site_index().items():
            if item_id != obj["ListID"]:
                continue
            site = self._find_by_id(("InventorySite",), site_id)
            name = full_name_of(site[1]) if site else site_id
            result[name] = (
                to_quantity(record.get("QuantityOnHand", "0")),
                to_quantity(record.get("QuantityOnSalesOrders", "0")),
            )
        return result

    def adjust_quantity(
        self,
        item: str,
        *,
        delta: Quantity | None = None,
        new_quantity: Quantity | None = None,
        site: str | None = None,
    ) -> Decimal:
        """Change an item's quantity on hand the way a transaction does (an inventory adjustment, a
        sale): by `delta` or to `new_quantity`, at `site` if given (the item's total moves too). The
        item's TimeModified and EditSequence stay as they are, as in QuickBooks. Returns the new total."""
        if (delta is None) == (new_quantity is None):
            raise ValueError("give exactly one of delta and new_quantity")
        _, obj = self._inventory_item(item)
        if site is not None:
            current = self.site_quantities(item).get(site, (Decimal(0), Decimal(0)))[0]
            target = current + to_quantity(delta) if delta is not None else to_quantity(new_quantity or 0)
            self.set_site_quantity(item, site, target)
            return to_quantity(obj["QuantityOnHand"])
        current = to_quantity(obj.get("QuantityOnHand", "0"))
        target = current + to_quantity(delta) if delta is not None else to_quantity(new_quantity or 0)
        obj["QuantityOnHand"] = plain_quantity(target)
        self._save_if_autosave()
        return target

    def edit_item(
        self,
        item: str,
        *,
        quantity_on_hand: Quantity | None = None,
        manufacturer_part_number: str | None = None,
        is_active: bool | None = None,
        sales_price: str | None = None,
        sales_desc: str | None = None,
    ) -> dict[str, Any]:
        """Edit an inventory item in QuickBooks' item window: the given fields change and so do
        TimeModified and EditSequence (a "modified since" query finds it). Returns a copy of the item."""
        _, obj = self._inventory_item(item)
        if quantity_on_hand is not None:
            obj["QuantityOnHand"] = plain_quantity(to_quantity(quantity_on_hand))
        if manufacturer_part_number is not None:
            obj["ManufacturerPartNumber"] = manufacturer_part_number
        if is_active is not None:
            obj["IsActive"] = "true" if is_active else "false"
        if sales_price is not None:
            obj["SalesPrice"] = format_money(sales_price, min_places=2)
        if sales_desc is not None:
            obj["SalesDesc"] = sales_desc
        now = self.now()
        obj["TimeModified"] = now.isoformat()
        obj["EditSequence"] = str(max(int(now.timestamp()), int(str(obj.get("EditSequence", "0"))) + 1))
        self._save_if_autosave()
        return copy.deepcopy(obj)

    def _inventory_item(self, item: str) -> tuple[str, dict[str, Any]]:
        found = self._find_by_id(INVENTORY_KINDS, item) or self._find_by_name(INVENTORY_KINDS, item)
        if found is None:
            raise KeyError(f"no inventory item {item!r}")
        return found

    def _site_by_name(self, name: str) -> tuple[str, dict[str, Any]] | None:
        return self._find_by_name(("InventorySite",), name)


# --------------------------------------------------------------------------------------------
# ItemSitesQueryRq (Advanced Inventory)
# --------------------------------------------------------------------------------------------
STATUS_FEATURE_OFF = Status(
    3250, Severity.ERROR, "This feature is not enabled or not available in this version of QuickBooks."
)
_ITEM_TYPE_FILTER: dict[str, tuple[str, ...]] = {
    "Inventory": ("ItemInventory",),
    "Assembly": ("ItemInventoryAssembly",),
    "InventoryAndAssembly": INVENTORY_KINDS,
    "AllExceptFixedAsset": INVENTORY_KINDS,
}


@register_handler("ItemSitesQueryRq")
def _item_sites_query(company: CompanyInventory, rq: etree._Element) -> etree._Element:
    """ItemSitesQueryRq: one ItemSitesRet per item and site (only inventory parts and assemblies have
    site quantities here). A company without inventory sites (Advanced Inventory off) answers 3250.
    Filters: ListID lookups (500 warning for unknown ones), ItemTypeFilter, ItemSiteFilter
    (ItemFilter by ListID / FullName / ...WithChildren, SiteFilter by ListID / FullName), ActiveStatus
    (default ActiveOnly, on the item and the site), MaxReturned, iterators, IncludeRetElement. A site
    or item named in a filter that does not exist just matches nothing (status 1; our guess)."""
    if rq.get("iterator") in ("Continue", "Stop"):
        return company.continue_iterator(rq)
    if not company.list_store("InventorySite"):
        raise StatusError(STATUS_FEATURE_OFF)
    include = [str(e.text) for e in rq.findall("IncludeRetElement") if e.text]
    index = company._item_site_index()
    by_id = {str(record["ListID"]): record for record in index.values()}
    status = STATUS_OK
    ids = [str(e.text or "") for e in rq.findall("ListID")]

    def live(
        record: Mapping[str, Any],
    ) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]] | None:
        item_ref = record.get("ItemInventoryRef") or record.get("ItemInventoryAssemblyRef") or {}
        item = company.lookup(INVENTORY_KINDS, list_id=str(item_ref.get("ListID")))
        site = company.lookup(("InventorySite",), list_id=str(record["InventorySiteRef"]["ListID"]))
        return (item, site) if item is not None and site is not None else None

    def render_record(record: Mapping[str, Any]) -> etree._Element | None:
        found = live(record)
        if found is None:
            return None
        (item_kind, item), (_, site) = found
        data = {k: v for k, v in record.items() if k not in ("ItemInventoryRef", "ItemInventoryAssemblyRef")}
        ref_name = "ItemInventoryAssemblyRef" if item_kind == "ItemInventoryAssembly" else "ItemInventoryRef"
        data[ref_name] = {"ListID": str(item["ListID"]), "FullName": full_name_of(item)}
        data["InventorySiteRef"] = {"ListID": str(site["ListID"]), "FullName": full_name_of(site)}
        if include:
            # the item reference is the choice every ItemSitesRet must carry
            data = {k: v for k, v in data.items() if k in include or k == ref_name}
        return company.ret_element("ItemSitesRet", data)

    matches: list[dict[str, Any]] = []
    if ids:
        missing = [i for i in ids if i not in by_id]
        matches = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
        if missing:
            status = status_missing_element(missing[0])
    else:
        kinds = _ITEM_TYPE_FILTER.get(rq.findtext("ItemTypeFilter") or "InventoryAndAssembly", ())
        item_filter = rq.find("ItemSiteFilter/ItemFilter")
        site_filter = rq.find("ItemSiteFilter/SiteFilter")
        active = rq.findtext("ActiveStatus") or "ActiveOnly"
        keyed: list[tuple[tuple[str, str], dict[str, Any]]] = []
        for record in index.values():
            found = live(record)
            if found is None:
                continue
            (item_kind, item), (_, site) = found
            if item_kind not in kinds:
                continue
            if item_filter is not None and not _matches_ref_filter(item_filter, item):
                continue
            if site_filter is not None and not _matches_ref_filter(site_filter, site):
                continue
            is_active = item.get("IsActive", "true") == "true" and site.get("IsActive", "true") == "true"
            if (active == "ActiveOnly" and not is_active) or (active == "InactiveOnly" and is_active):
                continue
            keyed.append(((fold(full_name_of(item)), fold(full_name_of(site))), record))
        keyed.sort(key=lambda pair: pair[0])
        matches = [record for _, record in keyed]
        max_text = rq.findtext("MaxReturned")
        if rq.get("iterator") != "Start" and max_text:
            matches = matches[: int(max_text)]
    if not matches and status is STATUS_OK:
        raise StatusError(STATUS_NO_MATCH)
    if rq.get("iterator") == "Start":

        def render(kind: str, list_id: str) -> etree._Element | None:
            record = by_id.get(list_id)
            return render_record(record) if record is not None else None

        return company.start_iterator(rq, [("ItemSites", str(r["ListID"])) for r in matches], render, status)
    rets = [ret for r in matches if (ret := render_record(r)) is not None]
    return company.query_rs(rq, status, rets, rq.get("metaData", "NoMetaData"))


def _matches_ref_filter(ref_filter: etree._Element, obj: Mapping[str, Any]) -> bool:
    """ItemFilter / SiteFilter: ListID*, FullName*, ListIDWithChildren, FullNameWithChildren."""
    ids = {str(e.text or "") for e in ref_filter.findall("ListID")}
    names = {fold(str(e.text or "")) for e in ref_filter.findall("FullName")}
    name = fold(full_name_of(obj))
    if ids or names:
        return str(obj["ListID"]) in ids or name in names
    with_children = ref_filter.findtext("FullNameWithChildren")
    if with_children is not None:
        prefix = fold(with_children)
        return name == prefix or name.startswith(prefix + ":")
    parent_id = ref_filter.findtext("ListIDWithChildren")
    if parent_id is not None:
        if str(obj["ListID"]) == parent_id:
            return True
        parent = obj.get("ParentRef")
        return isinstance(parent, dict) and parent.get("ListID") == parent_id
    return True
