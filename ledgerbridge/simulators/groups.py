"""Group items on sales forms, in the company simulator: `<Kind>LineGroupAdd` expanded into the group's lines.

`sales.py` reads a sales add's lines through `line_requests` (plain lines and groups, in the order sent) and
nests the member lines' Rets under their group with `nest_groups` before the transaction is stored. The Python API
`add_group_item` is for tests, the CLI and the demo.

Behaviour, and the evidence behind it (qbXML 13.0 `qbxml130.xsd`; Intuit's SDK reference for ItemGroupAdd:
"ItemGroup objects represent items that are grouped together for fast entry"; QuickBooks Desktop help "Create
group items"):

* **The group line** (`TxnLineGroupCoreAdd`: ItemGroupRef, Desc, Quantity, UnitOfMeasure; then InventorySiteRef)
  has no Rate, Amount or SalesTaxCodeRef. Its ItemGroupRef must be an ItemGroup (another item kind, or an unknown
  name, is 3140 "... in the <Kind> line"); an inactive group is refused like an inactive item.
* **Its lines** are the group item's ItemGroupLine entries in their order: ItemRef, Quantity = the member's
  quantity x the group line's Quantity (default 1), the member's UnitOfMeasure, the group line's InventorySiteRef;
  each is then priced like a line sent without Rate/Amount (the item's price, Amount rounded to the cent) and taxed
  with its item's own tax code (or the customer's non-taxable code), and moves inventory like any line. A member
  with no quantity counts 1 (unverified; stricter would be to refuse, but QuickBooks' own group editor defaults 1).
* **The Ret**: `<Kind>LineGroupRet` with TxnLineID, ItemGroupRef, Desc (sent, else the group's ItemDesc),
  Quantity, UnitOfMeasure, IsPrintItemsInGroup (the item's, default false), TotalAmount = the sum of its lines'
  amounts, then the members' `<Kind>LineRet`. Subtotal and totals count the members like any line. Known
  difference: the simulator returns plain lines first and groups after them; QuickBooks keeps the order entered
  (the 13.0 Ret is a choice, so both orders are schema-valid).
* Not simulated (SimulatorLimitation): a group whose member is itself a group, a sales order with groups linked
  to an invoice (LinkToTxnID), line-group Mods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators._xsd import element_to_json
from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import (
    SimulatorLimitation,
    StatusError,
    status_inactive_reference,
    status_invalid_reference,
)
from ledgerbridge.simulators.stored import format_amount, full_name_of

__all__ = ["GROUP_KEY", "add_group_item", "line_requests", "nest_groups", "refuse_linked_groups"]

GROUP_KEY = "_group"  # a member line's group (index into the groups `line_requests` returns)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def line_requests(
    company: CompanyLists, add: etree._Element, data: dict[str, Any], kind: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lines of `<kind>Add` in the order sent, each group line replaced by its member lines (marked with
    GROUP_KEY), and the groups' Ret heads; `data` loses both line keys."""
    line_tag, group_tag = f"{kind}LineAdd", f"{kind}LineGroupAdd"
    for txn_id in _as_list(data.get("LinkToTxnID")):
        found = company.txn_lookup(str(txn_id))
        if found is not None:
            refuse_linked_groups(found[1])
    data.pop(line_tag, None)
    data.pop(group_tag, None)
    label = f"{kind} line"
    lines: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for child in add:
        if child.tag == line_tag:
            lines.append(element_to_json(child))
        elif child.tag == group_tag:
            sent = element_to_json(child)
            company.resolve_refs(sent, label)
            ref = sent["ItemGroupRef"]
            found = company.lookup(("ItemGroup",), list_id=str(ref["ListID"]))
            if found is None:
                raise StatusError(status_invalid_reference("Item", str(ref["FullName"]), label))
            group = found[1]
            if group.get("IsActive", "true") == "false":
                raise StatusError(status_inactive_reference("Item", full_name_of(group), label))
            quantity = Decimal(str(sent.get("Quantity") or "1"))
            head: dict[str, Any] = {
                "ItemGroupRef": {"ListID": group["ListID"], "FullName": full_name_of(group)}
            }
            desc = sent.get("Desc", group.get("ItemDesc"))
            if desc:
                head["Desc"] = desc
            head["Quantity"] = _plain(quantity)
            if sent.get("UnitOfMeasure"):
                head["UnitOfMeasure"] = sent["UnitOfMeasure"]
            head["IsPrintItemsInGroup"] = str(group.get("IsPrintItemsInGroup", "false"))
            for member in _as_list(group.get("ItemGroupLine")):
                item_ref = member.get("ItemRef")
                if not isinstance(item_ref, Mapping):
                    continue
                if company.lookup(("ItemGroup",), list_id=str(item_ref.get("ListID"))) is not None:
                    raise SimulatorLimitation("the company simulator does not expand a group inside a group")
                line: dict[str, Any] = {
                    "ItemRef": {"ListID": item_ref["ListID"]},
                    "Quantity": _plain(Decimal(str(member.get("Quantity") or "1")) * quantity),
                    GROUP_KEY: len(groups),
                }
                if member.get("UnitOfMeasure"):
                    line["UnitOfMeasure"] = member["UnitOfMeasure"]
                if isinstance(sent.get("InventorySiteRef"), Mapping):
                    line["InventorySiteRef"] = sent["InventorySiteRef"]
                lines.append(line)
            groups.append(head)
    return lines, groups


def nest_groups(
    company: CompanyLists,
    txn: dict[str, Any],
    kind: str,
    rets: Sequence[dict[str, Any]],
    amounts: Sequence[Decimal | None],
    group_of: Sequence[int | None],
    groups: Sequence[dict[str, Any]],
) -> None:
    """Move the member lines' Rets (`rets`, aligned with `group_of` and their `amounts`) under their
    `<kind>LineGroupRet` in `txn`."""
    if not groups:
        return
    plain = [r for r, g in zip(rets, group_of, strict=True) if g is None]
    nested = []
    now = company.now()
    for index, head in enumerate(groups):
        members = [r for r, g in zip(rets, group_of, strict=True) if g == index]
        total = sum(
            (a for a, g in zip(amounts, group_of, strict=True) if g == index and a is not None), Decimal(0)
        )
        group_ret = {"TxnLineID": company.new_txn_id(now), **head, "TotalAmount": format_amount(total)}
        if members:
            group_ret[f"{kind}LineRet"] = members
        nested.append(group_ret)
    if plain:
        txn[f"{kind}LineRet"] = plain
    else:
        txn.pop(f"{kind}LineRet", None)
    txn[f"{kind}LineGroupRet"] = nested


def refuse_linked_groups(order: Mapping[str, Any]) -> None:
    """Invoicing a sales order that has group lines is not simulated."""
    if order.get("SalesOrderLineGroupRet"):
        raise SimulatorLimitation("the company simulator does not invoice sales orders with group lines")


# ---------------------------------------------------------------------------------------------- Python API


def add_group_item(
    company: CompanyLists,
    name: str,
    members: Sequence[tuple[str, Decimal]],
    *,
    description: str = "",
    print_items: bool = True,
) -> str:
    """Add a group item of `members` ((item full name, quantity per group)); its ListID."""
    data: dict[str, Any] = {"Name": name, "IsActive": "true"}
    if description:
        data["ItemDesc"] = description
    data["IsPrintItemsInGroup"] = "true" if print_items else "false"
    data["ItemGroupLine"] = [
        {"ItemRef": {"FullName": item}, "Quantity": _plain(quantity)} for item, quantity in members
    ]
    obj = company._build_object("ItemGroup", data, created=company.now())
    company._insert("ItemGroup", obj)
    company.touch()
    return str(obj["ListID"])
