"""What every transaction handler of the company simulator shares (sales adds, payments, Mods, queries).

Numbers in QuickBooks' formats (`_plain` quantities, `_rate` PRICETYPEs, `_money` to the cent), references
(`_ref_of`, `_lookup_ref`, `_require_active`), a new transaction's identity (`_new_identity`: TxnID,
TxnNumber, EditSequence) and a changed one's (`_stamp`), the next RefNumber, IncludeRetElement, the
`*Ret` keys of the 13.0 schema and LinkedTxn entries. The evidence for each behaviour is in the
docstring of `sales.py`, which uses them first; `payments.py`, `sale_mods.py`, `receipt_mods.py` and
`sale_queries.py` import them through `sales.py` as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lxml import etree

from ledgerbridge.simulators._xsd import schema_index
from ledgerbridge.simulators.lists import CompanyLists
from ledgerbridge.simulators.registry import (
    SimulatorLimitation,
    Status,
    StatusError,
    status_inactive_reference,
)
from ledgerbridge.simulators.stored import CENT, format_amount, full_name_of


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------
def _dec(value: Any, default: str = "0") -> Decimal:
    text = str(value).strip() if value is not None else ""
    return Decimal(text or default)


def _plain(value: Decimal) -> str:
    """A quantity/percent without exponent or trailing zeros ("10", "2.5")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _rate(value: Decimal) -> str:
    """A PRICETYPE: at most 5 decimals, at least 2 ("12.00", "0.35", "1.23457")."""
    rounded = value.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
    if not rounded:
        return "0.00"
    whole, _, decimals = format(rounded, "f").partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"


def _negative(text: str) -> str:
    text = text.strip()
    return text if text.startswith("-") else "-" + text.lstrip("+")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ref_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return {"ListID": str(obj["ListID"]), "FullName": full_name_of(obj)}


def _next_ref_number(last: str | None) -> str:
    """QuickBooks' next form number: the last one with its trailing number incremented."""
    if not last:
        return "1"
    match = re.search(r"(\d+)$", last)
    if match is None:
        return last + "1"
    digits = match.group(1)
    return last[: match.start()] + str(int(digits) + 1).zfill(len(digits))


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def _lookup_ref(
    company: CompanyLists, kinds: Sequence[str], ref: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The live object behind an already resolved `{ListID, FullName}` reference."""
    found = company.lookup(kinds, list_id=str(ref["ListID"]))
    if found is None:  # pragma: no cover - resolve_refs found it a moment ago
        raise StatusError(Status(3140, "Error", f"reference {ref} vanished"))
    return found


def _require_active(obj: Mapping[str, Any], list_label: str, object_label: str) -> None:
    if obj.get("IsActive", "true") == "false":
        raise StatusError(status_inactive_reference(list_label, full_name_of(obj), object_label))


def _special_account(company: CompanyLists, account_type: str, special: str) -> dict[str, Any] | None:
    accounts = company.list_store("Account")
    for account in accounts:
        if account.get("SpecialAccountType") == special:
            return account
    return next((a for a in accounts if a.get("AccountType") == account_type), None)


def _check_limitations(data: Mapping[str, Any], kind: str, names: Sequence[str]) -> None:
    present = sorted(name for name in names if name in data)
    if present:
        raise SimulatorLimitation(
            f"the company simulator does not implement {', '.join(present)} in {kind}Add"
        )


def _stamp(company: CompanyLists, obj: dict[str, Any]) -> None:
    """A changed transaction gets a new TimeModified and EditSequence."""
    now = company.now()
    obj["TimeModified"] = now.isoformat()
    edit = int(now.timestamp())
    previous = int(str(obj.get("EditSequence", "0")) or 0)
    obj["EditSequence"] = str(max(edit, previous + 1))
    company.touch()


def _new_identity(company: CompanyLists) -> dict[str, str]:
    now = company.now()
    stamp = now.isoformat()
    return {
        "TxnID": company.new_txn_id(now),
        "TimeCreated": stamp,
        "TimeModified": stamp,
        "EditSequence": str(int(now.timestamp())),
        "TxnNumber": company.new_txn_number(),
    }


def _include(rq: etree._Element) -> list[str]:
    return [str(e.text) for e in rq.findall("IncludeRetElement") if e.text]


def _schema_keys(ret_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the request elements that the `*Ret` does not have (private `_` keys kept)."""
    allowed = set(schema_index().child_names(schema_index().element(ret_name)))
    return {k: v for k, v in data.items() if k in allowed or k.startswith("_")}


def _linked_txn(txn: Mapping[str, Any], txn_type: str, link_type: str, amount: Decimal) -> dict[str, Any]:
    linked: dict[str, Any] = {"TxnID": txn["TxnID"], "TxnType": txn_type, "TxnDate": txn["TxnDate"]}
    if txn.get("RefNumber"):
        linked["RefNumber"] = txn["RefNumber"]
    linked["LinkType"] = link_type
    linked["Amount"] = format_amount(amount)
    return linked
