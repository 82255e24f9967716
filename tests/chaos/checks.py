"""What the simulated companies hold, compared with what the service acknowledged.

Sales are found by RefNumber (the order number: the chaos orders' numbers fit QuickBooks' 11 characters,
so RefNumber is the number as is; credit memos are "<number>-R<n>", n the refund's place in time order), and
ExternalGUIDs are counted across the company (no GUID may be carried by two sales): the test does not
compute the engine's GUIDs, it reads what QuickBooks holds and what the REST API says.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.simulators.company import CompanySimulator
from tests.chaos.driver import Channel, Chaos
from tests.chaos.orders import Expected

SALE_KINDS = ("SalesReceipt", "Invoice", "SalesOrder")


@dataclass
class Findings:
    duplicates: int = 0  # sales and credit memos beyond the first of an order / a refund
    duplicate_examples: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # acknowledged, unknown to the service now
    stranded: list[str] = field(default_factory=list)  # acknowledged, not synced and not its own fault
    synced_not_in_quickbooks: list[str] = field(default_factory=list)
    held_but_not_synced: list[str] = field(default_factory=list)  # QuickBooks holds it; pending/failed
    wrong_txn_id: list[str] = field(default_factory=list)
    wrong_total: list[str] = field(default_factory=list)
    refunds_missing: list[str] = field(default_factory=list)
    bad_orders_wrong: list[str] = field(default_factory=list)  # an order at fault not failed, or posted
    without_order: list[str] = field(default_factory=list)  # a sale no acknowledged order explains
    guid_duplicates: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def problems(self) -> dict[str, list[str]]:
        named = {
            "posted more than once": self.duplicate_examples,
            "lost (the service forgot an acknowledged order)": self.lost,
            "stranded (acknowledged, neither synced nor failed for its own fault)": self.stranded,
            "synced but not in QuickBooks": self.synced_not_in_quickbooks,
            "in QuickBooks but pending, in flight or failed": self.held_but_not_synced,
            "TxnID recorded differs from QuickBooks'": self.wrong_txn_id,
            "total differs": self.wrong_total,
            "refund not in QuickBooks": self.refunds_missing,
            "order at fault not failed, or in QuickBooks": self.bad_orders_wrong,
            "in QuickBooks without an acknowledged order": self.without_order,
            "ExternalGUID carried by more than one transaction": self.guid_duplicates,
        }
        return {k: v for k, v in named.items() if v}

    def render(self, limit: int = 8) -> str:
        lines = []
        for name, items in self.problems().items():
            shown = "; ".join(items[:limit]) + (f"; ... ({len(items)} in all)" if len(items) > limit else "")
            lines.append(f"- {name} [{len(items)}]: {shown}")
        return "\n".join(lines)


def txn_total(txn: dict[str, Any]) -> Decimal:
    if "TotalAmount" in txn:
        return Decimal(str(txn["TotalAmount"]))
    return Decimal(str(txn.get("Subtotal", "0"))) + Decimal(str(txn.get("SalesTaxTotal", "0")))


def refund_refs(expected: Expected) -> list[tuple[str, dict[str, Any]]]:
    ordered = sorted(expected.refunds, key=lambda r: (r["created_at"], r["id"]))
    return [(f"{expected.number}-R{n}"[-11:].lstrip("-"), r) for n, r in enumerate(ordered, start=1)]


def _exact(company: CompanySimulator, kind: str, ref: str) -> list[dict[str, Any]]:
    return company.find_by_ref(kind, ref, case_sensitive=True)


def check(chaos: Chaos) -> Findings:
    found = Findings()
    seen = chaos.orders_seen()
    channels = {c.channel_id: c for c in chaos.channels}
    known_refs: dict[str, set[str]] = {c.connection.name: set() for c in chaos.channels}
    for key, exp in chaos.expected.items():
        channel: Channel = channels[exp.channel_id]
        company = channel.connection.company
        met = chaos.history.get(exp.number)
        label = f"{exp.number}" + (f" [{', '.join(met)}]" if met else "")
        known_refs[channel.connection.name].add(exp.number)
        view = seen.get(key)
        status = view["status"] if view else "missing"
        found.statuses[status] += 1
        sales = _exact(company, channel.sale_kind, exp.number)
        if len(sales) > 1:
            found.duplicates += len(sales) - 1
            found.duplicate_examples.append(f"{label} x{len(sales)} ({status})")
        if view is None:
            found.lost.append(f"{label} ({len(sales)} in QuickBooks)")
            continue
        error = (view.get("error") or {}).get("message", "")
        if exp.bad:
            if status != "failed" or not str(error).strip() or sales:
                found.bad_orders_wrong.append(
                    f"{label}: {status}, {len(sales)} in QuickBooks, error {error!r:.80}"
                )
            continue
        if sales and status != "synced":
            found.held_but_not_synced.append(f"{label}: {status} ({str(error)[:160]})")
        if not sales and status == "synced":
            found.synced_not_in_quickbooks.append(label)
        if status != "synced" and not sales:
            found.stranded.append(f"{label}: {status} ({str(error)[:160]})")
        if len(sales) == 1:
            txn = sales[0]
            recorded = (view.get("quickbooks") or {}).get("txn_id")
            if status == "synced" and recorded != txn["TxnID"]:
                found.wrong_txn_id.append(f"{label}: {recorded} vs {txn['TxnID']}")
            if txn_total(txn) != exp.total:
                found.wrong_total.append(f"{label}: {txn_total(txn)} vs {exp.total}")
        for ref, refund in refund_refs(exp):
            memos = _exact(company, "CreditMemo", ref)
            known_refs[channel.connection.name].add(ref)
            if len(memos) > 1:
                found.duplicates += len(memos) - 1
                found.duplicate_examples.append(f"credit memo {ref} x{len(memos)}")
            if not memos:
                what = "goodwill, no lines" if not refund.get("lines") else "of a line"
                found.refunds_missing.append(f"{ref} ({what}) of {label} ({status}, {str(error)[:160]})")
            elif txn_total(memos[0]) != Decimal(refund["amount"]):
                found.wrong_total.append(f"credit memo {ref}: {txn_total(memos[0])} vs {refund['amount']}")
    for conn in chaos.connections:
        for kind in (*SALE_KINDS, "CreditMemo"):
            for txn in conn.company.sales(kind):
                if txn.get("RefNumber") not in known_refs[conn.name]:
                    found.without_order.append(f"{conn.name} {kind} {txn.get('RefNumber')} {txn['TxnID']}")
        for kinds in (SALE_KINDS, ("CreditMemo",), ("ReceivePayment",)):  # an invoice's payments too
            for guid, count in conn.company.external_guid_counts(kinds).items():
                if count > 1:
                    found.guid_duplicates.append(f"{conn.name} {guid} x{count}")
    return found
