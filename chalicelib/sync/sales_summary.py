"""Sales at a glance (issue 13, part 9): sales per day and per channel, synced versus failed, top products,
from the stored orders; and the daily summary e-mail built from the same figures.

Read only. A day is the order's own date (when the store says it was placed), in UTC. Amounts add up the
orders' totals in the tenant's main currency (the one most of its orders use); orders in another currency are
counted, not added, and said so. A summary reads at most `orders.SUMMARY_READ_LIMIT` orders and says when it
stopped short.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypedDict

from chalicelib.dal import channels, connections
from chalicelib.dal import orders as repo
from chalicelib.dal.connections import Connection
from chalicelib.dal.orders import StoredOrder
from chalicelib.errors import BadRequest
from chalicelib.orders.model import Order, OrderInvalid, parse_order

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_PRODUCTS = 10
NEEDS_YOU_LISTED = 10  # failed orders named one by one in the e-mail; more are counted
NOT_SEEN_AFTER = timedelta(days=1)


class SaleState(StrEnum):
    """Where an order stands with QuickBooks, as the merchant reads it."""

    SYNCED = "synced"
    FAILED = "failed"
    WAITING = "waiting"  # pending or in flight


def sale_state(status: str) -> SaleState:
    if status == repo.SYNCED:
        return SaleState.SYNCED
    if status == repo.FAILED:
        return SaleState.FAILED
    return SaleState.WAITING


class DayView(TypedDict):
    date: str
    orders: int
    total: str
    synced: int
    failed: int
    waiting: int


class ChannelView(TypedDict):
    channel_id: str
    name: str
    orders: int
    total: str
    synced: int
    failed: int
    waiting: int


class ProductView(TypedDict):
    sku: str
    title: str
    quantity: str
    total: str


class SummaryView(TypedDict):
    days: int
    from_date: str
    to_date: str
    currency: str
    orders: int
    total: str
    synced: int
    failed: int
    waiting: int
    other_currency_orders: int
    incomplete: bool
    per_day: list[DayView]
    per_channel: list[ChannelView]
    top_products: list[ProductView]


@dataclass
class _Tally:
    orders: int = 0
    total: Decimal = Decimal(0)
    states: Counter[SaleState] = field(default_factory=Counter)

    def add(self, state: SaleState, amount: Decimal) -> None:
        self.orders += 1
        self.total += amount
        self.states[state] += 1


@dataclass
class _Product:
    sku: str
    title: str
    quantity: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


@dataclass(frozen=True)
class _Sale:
    stored: StoredOrder
    order: Order
    state: SaleState


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def parse_days(raw: str | None) -> int:
    """The `days` query parameter: a whole number from 1 to MAX_DAYS (default DEFAULT_DAYS)."""
    if raw is None or raw == "":
        return DEFAULT_DAYS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise BadRequest(f"days must be a whole number from 1 to {MAX_DAYS}")
    return int(raw)


def _sales(stored: Iterable[StoredOrder]) -> list[_Sale]:
    sales = []
    for s in stored:
        try:
            order = parse_order(s.document)
        except OrderInvalid:
            continue  # an order the store sent that cannot be read has no date or amount to show
        sales.append(_Sale(s, order, sale_state(s.status)))
    return sales


def main_currency(sales: Sequence[_Sale]) -> str:
    counts = Counter(s.order.currency for s in sales)
    return counts.most_common(1)[0][0] if counts else ""


def summarize(
    stored: Iterable[StoredOrder],
    channel_names: dict[str, str],
    *,
    days: int,
    today: date,
    incomplete: bool = False,
) -> SummaryView:
    """The summary of `days` days ending with `today` (pure: the orders and names are given)."""
    first = today - timedelta(days=days - 1)
    in_range = [s for s in _sales(stored) if first <= s.order.order_date <= today]
    currency = main_currency(in_range)
    counted = [s for s in in_range if s.order.currency == currency]
    per_day = {first + timedelta(days=i): _Tally() for i in range(days)}
    per_channel: dict[str, _Tally] = {}
    products: dict[str, _Product] = {}
    whole = _Tally()
    for sale in counted:
        amount = sale.order.total
        whole.add(sale.state, amount)
        per_day[sale.order.order_date].add(sale.state, amount)
        per_channel.setdefault(sale.stored.channel_id, _Tally()).add(sale.state, amount)
        for line in sale.order.lines:
            key = line.sku or line.title
            product = products.setdefault(key, _Product(line.sku, line.title))
            product.quantity += line.quantity
            product.total += line.amount - line.discount
    top = sorted(products.values(), key=lambda p: (-p.total, -p.quantity, p.sku, p.title))[:TOP_PRODUCTS]
    return {
        "days": days,
        "from_date": first.isoformat(),
        "to_date": today.isoformat(),
        "currency": currency,
        "orders": whole.orders,
        "total": _money(whole.total),
        "synced": whole.states[SaleState.SYNCED],
        "failed": whole.states[SaleState.FAILED],
        "waiting": whole.states[SaleState.WAITING],
        "other_currency_orders": len(in_range) - len(counted),
        "incomplete": incomplete,
        "per_day": [
            {
                "date": day.isoformat(),
                "orders": t.orders,
                "total": _money(t.total),
                "synced": t.states[SaleState.SYNCED],
                "failed": t.states[SaleState.FAILED],
                "waiting": t.states[SaleState.WAITING],
            }
            for day, t in per_day.items()
        ],
        "per_channel": sorted(
            (
                {
                    "channel_id": channel_id,
                    "name": channel_names.get(channel_id, "A deleted channel"),
                    "orders": t.orders,
                    "total": _money(t.total),
                    "synced": t.states[SaleState.SYNCED],
                    "failed": t.states[SaleState.FAILED],
                    "waiting": t.states[SaleState.WAITING],
                }
                for channel_id, t in per_channel.items()
            ),
            key=lambda c: (-Decimal(c["total"]), c["name"]),
        ),
        "top_products": [
            {"sku": p.sku, "title": p.title, "quantity": _quantity(p.quantity), "total": _money(p.total)}
            for p in top
        ],
    }


def _channel_names(tenant_id: str) -> dict[str, str]:
    return {c.channel_id: c.name for c in channels.list_for_tenant(tenant_id)}


def sales_summary(tenant_id: str, days: int, now: datetime | None = None) -> SummaryView:
    """The tenant's sales of the last `days` days (today included)."""
    stored, more = repo.all_for_tenant(tenant_id)
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return summarize(stored, _channel_names(tenant_id), days=days, today=today, incomplete=more)


# The daily summary e-mail ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedOrder:
    number: str
    channel: str
    reason: str


@dataclass(frozen=True)
class DailySummary:
    """What the daily e-mail says: yesterday's sales, and what needs the merchant."""

    tenant_id: str
    day: date
    sales: SummaryView
    failed_orders: int
    failed_named: tuple[FailedOrder, ...]
    quiet_connections: tuple[str, ...]  # connections the Web Connector has not run for a day or more

    @property
    def needs_you(self) -> bool:
        return bool(self.failed_orders or self.quiet_connections)

    @property
    def subject(self) -> str:
        s = self.sales
        sold = f"{s['orders']} order{'' if s['orders'] == 1 else 's'}, {s['total']} {s['currency']}".rstrip()
        attention = " - needs your attention" if self.needs_you else ""
        return f"Your sales on {self.day.isoformat()}: {sold}{attention}"

    @property
    def text(self) -> str:
        s = self.sales
        lines = [f"Sales on {self.day.isoformat()} (UTC)", ""]
        if s["orders"]:
            lines.append(f"Orders: {s['orders']}, total {s['total']} {s['currency']}")
            lines.append(
                f"In QuickBooks: {s['synced']}; failed: {s['failed']}; waiting for the Web Connector: {s['waiting']}"
            )
            if s["other_currency_orders"]:
                lines.append(f"Orders in another currency (not in the total): {s['other_currency_orders']}")
            for channel in s["per_channel"]:
                lines.append(f"  {channel['name']}: {channel['orders']} orders, {channel['total']}")
            if s["top_products"]:
                lines += ["", "Top products:"]
                for p in s["top_products"][:5]:
                    lines.append(f"  {p['title'] or p['sku']}: {p['quantity']} sold, {p['total']}")
        else:
            lines.append("No orders.")
        lines += ["", "Needs your attention:" if self.needs_you else "Nothing needs your attention."]
        if self.failed_orders:
            lines.append(
                f"  {self.failed_orders} order{' has' if self.failed_orders == 1 else 's have'} "
                "not reached QuickBooks; retry them from Orders once the reason is fixed:"
            )
            for f in self.failed_named:
                lines.append(f"    Order {f.number} ({f.channel}): {f.reason}")
            if self.failed_orders > len(self.failed_named):
                lines.append(f"    and {self.failed_orders - len(self.failed_named)} more")
        for name in self.quiet_connections:
            lines.append(
                f"  The Web Connector has not run {name} for a day: check that QuickBooks and the Web "
                "Connector are open on that computer."
            )
        return "\n".join(lines) + "\n"


def _quiet(conns: Iterable[Connection], now: datetime) -> tuple[str, ...]:
    """Connections that were paired (they ran once) and have not been seen for NOT_SEEN_AFTER."""
    return tuple(
        sorted(
            c.name
            for c in conns
            if c.has_connected and (c.last_contact_at is None or now - c.last_contact_at >= NOT_SEEN_AFTER)
        )
    )


def daily_summary(tenant_id: str, now: datetime | None = None) -> DailySummary:
    """Yesterday's (UTC) sales of the tenant, its failed orders (whenever placed) and quiet connections."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    yesterday = now.date() - timedelta(days=1)
    stored, more = repo.all_for_tenant(tenant_id)
    names = _channel_names(tenant_id)
    sales = summarize(stored, names, days=1, today=yesterday, incomplete=more)
    failed = sorted((o for o in stored if o.status == repo.FAILED), key=lambda o: o.updated_at, reverse=True)
    named = tuple(
        FailedOrder(
            o.number,
            names.get(o.channel_id, "a deleted channel"),
            str((o.error or {}).get("message") or "QuickBooks refused it."),
        )
        for o in failed[:NEEDS_YOU_LISTED]
    )
    return DailySummary(
        tenant_id=tenant_id,
        day=yesterday,
        sales=sales,
        failed_orders=len(failed),
        failed_named=named,
        quiet_connections=_quiet(connections.list_for_tenant(tenant_id), now),
    )
