"""An order's way into QuickBooks shown before it goes: the documents it needs, every line with its item and
account, whether QuickBooks has its customer and items (the connection's cached lists and the names the posting
learned), the adds the posting would send first, the totals check, the order rules that change it, and the qbXML.

Nothing is sent or written. Items are matched through the posting's own index (`company_items.CompanyItems`: the
cached item list by full name, by name when the channel matches by name, by manufacturer part number when it
matches by that), then the names earlier postings added; the customer by the names earlier postings added or found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lxml import etree

from chalicelib.dal import channels, connections, mappings
from chalicelib.dal import orders as repo
from chalicelib.dal.channels import Channel
from chalicelib.dal.orders import StoredOrder
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.orders import to_quickbooks as qb
from chalicelib.orders.model import Order, OrderInvalid, parse_order
from chalicelib.orders.quickbooks.extras import line_choices
from chalicelib.orders.settings import ChannelSettings
from chalicelib.qbxml.message_set import render_message_set
from chalicelib.rules import PostingExtras
from chalicelib.sync import line_lists, order_rules
from chalicelib.sync.channels import settings_of
from chalicelib.sync.company_items import CompanyItems, added_name, company_items
from chalicelib.sync.order_preview import PREVIEW_VERSION
from chalicelib.sync.post_orders import documents_needed

PREFIX = "preview"


class Match(StrEnum):
    FOUND = "found"  # QuickBooks has it (cached list or an earlier posting)
    WOULD_BE_ADDED = "would_be_added"  # the posting adds it in the same message set
    SET_BY_RULE = "set_by_rule"  # an order rule names the company's item for this line
    MISSING = "missing"  # not in QuickBooks, and the channel does not create missing items


class LineKind(StrEnum):
    PRODUCT = "product"
    SHIPPING = "shipping"
    DISCOUNT = "discount"
    FEE = "fee"


@dataclass(frozen=True)
class _Items:
    """The company's items (the posting's index) and what the mappings know of the order's names."""

    company: CompanyItems
    mapped: dict[str, str]

    @classmethod
    def read(cls, connection_id: str, keys: set[str]) -> _Items:
        mapped = {n.casefold(): n for n in mappings.known(connection_id, "item", keys)} if keys else {}
        return cls(company_items(connection_id), mapped)

    @property
    def types(self) -> dict[str, str]:
        return self.company.types

    def find(self, key: str, settings: ChannelSettings, *, product: bool) -> str | None:
        found = self.company.find(key, settings.product_matching, product=product)
        return found or self.mapped.get(key.casefold())


def _money(value: Any) -> str:
    return f"{value:.2f}"


def _rule_names(tenant_id: str, rule_ids: Sequence[str]) -> list[dict[str, str]]:
    if not rule_ids:
        return []
    from chalicelib.sync.rules import tenant_rules

    names = {r.rule_id: r.name for r in tenant_rules(tenant_id)}
    return [{"id": r, "name": names.get(r, r)} for r in rule_ids]


def _line_views(
    order: Order, settings: ChannelSettings, extras: PostingExtras, items: _Items
) -> tuple[list[dict[str, Any]], set[str], dict[str, str]]:
    """Every line with its item, match and account; the item keys QuickBooks lacks; the keys found."""
    missing: set[str] = set()
    found: dict[str, str] = {}
    create = settings.missing_items != "fail"
    new_account = settings.accounts.income

    def item_match(key: str, *, product: bool, by_rule: bool) -> tuple[str, Match, str | None]:
        if by_rule:
            return key, Match.SET_BY_RULE, None
        hit = items.find(key, settings, product=product) if key else None
        if hit:
            found[key] = hit
            return hit, Match.FOUND, None
        missing.add(key)
        return key, (Match.WOULD_BE_ADDED if create or not product else Match.MISSING), new_account or None

    views: list[dict[str, Any]] = []
    for line in order.lines:
        ruled = extras.line_items.get(line.line_id)
        key = ruled or qb.item_name(line, settings)
        item, match, account = item_match(key, product=True, by_rule=bool(ruled))
        views.append(
            {
                "kind": LineKind.PRODUCT,
                "line_id": line.line_id,
                "sku": line.sku,
                "title": line.title,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "amount": _money(line.amount - line.discount),
                "item": item,
                "item_type": items.types.get(item.casefold(), ""),
                "match": match,
                "income_account": account,
            }
        )
    others: list[tuple[LineKind, str, Any, str, bool]] = []
    for i, s in enumerate(order.shipping_lines):
        if s.price - s.discount:
            name = extras.shipping_items.get(i)
            others.append(
                (LineKind.SHIPPING, s.title, s.price - s.discount, name or settings.shipping_item, bool(name))
            )
    for i, d in enumerate(order.discounts):
        if d.amount:
            name = extras.discount_items.get(i)
            others.append((LineKind.DISCOUNT, d.code, -d.amount, name or settings.discount_item, bool(name)))
    for f in order.fees:
        if f.amount:
            others.append((LineKind.FEE, f.title, f.amount, settings.fee_item, False))
    for kind, title, amount, key, by_rule in others:
        item, match, account = item_match(key, product=False, by_rule=by_rule)
        views.append(
            {
                "kind": kind,
                "title": title,
                "amount": _money(amount),
                "item": item,
                "item_type": items.types.get(item.casefold(), ""),
                "match": match,
                "income_account": account
                if kind is not LineKind.DISCOUNT
                else settings.accounts.discount or None,
            }
        )
    return views, missing, found


def _totals(order: Order) -> dict[str, Any]:
    try:
        qb.check_totals(order)
    except qb.TotalsMismatch as exc:
        return {
            "adds_up": False,
            "computed": _money(exc.computed),
            "total": _money(exc.expected),
            "difference": _money(exc.difference),
            "problem": exc.message,
        }
    return {"adds_up": True, "computed": _money(order.computed_total), "total": _money(order.total)}


def preview(
    tenant_id: str, order: Order, channel: Channel, stored: StoredOrder | None = None
) -> dict[str, Any]:
    """What posting `order` through `channel` would send to QuickBooks (nothing is sent or written)."""
    ruled = order_rules.for_tenant(tenant_id).apply(
        order, settings_of(channel), channel.channel_id, channel.kind
    )
    order, settings = ruled.order, ruled.settings
    line_extras, line_problem = ruled.extras, None
    try:  # as the posting: the settings' price level, units and site; bundles posted as components
        order, line_extras = line_choices(order, settings, ruled.extras)
    except qb.OrderNotPostable as exc:
        line_problem = str(exc)
    extras = ruled.extras or PostingExtras()
    country = connections.company_country(channel.connection_id)
    recorded = stored.documents if stored is not None else {}
    documents = [
        {
            "label": label,
            "kind": kind,
            "txn_id": recorded.get(label) or None,
            "in_quickbooks": label in recorded,
        }
        for label, kind in documents_needed(order, settings)
    ]
    customer = qb.customer_name(order, settings)
    customer_found = customer in mappings.known(channel.connection_id, "customer", [customer])
    product_keys = {extras.line_items.get(ln.line_id) or qb.item_name(ln, settings) for ln in order.lines}
    other_keys = {settings.shipping_item, settings.discount_item, settings.fee_item}
    items = _Items.read(channel.connection_id, {k for k in product_keys | other_keys if k})
    lines, missing, found = _line_views(order, settings, extras, items)
    adds: list[dict[str, str]] = []
    qbxml: str | None = None
    problem = (ruled.skip_reason and f"Not sent to QuickBooks: {ruled.skip_reason}.") or line_problem
    if problem is None:
        try:
            qb.check_totals(order)
            sale = qb.sale_requests(
                order,
                settings,
                country=country,
                request_prefix=PREFIX,
                txn_type=settings.transaction_type,
                customer=customer,
                guid=stored.external_guid
                if stored is not None
                else qb.order_guid(channel.connection_id, channel.channel_id, order.order_id),
                items=found,
                extras=line_extras,
                groups=line_lists.company_groups(channel.connection_id)
                if settings.bundles == "group"
                else None,
            )
            requests: list[etree._Element] = []
            if not customer_found and not recorded:
                requests.append(qb.customer_add_request(order, settings, request_id=f"{PREFIX}-customer"))
            needed = qb.needed_items(missing, sale, settings)
            if needed:
                requests += qb.missing_item_requests(
                    order,
                    settings,
                    country=country,
                    request_prefix=PREFIX,
                    missing=needed,
                    extras=line_extras,
                )
            adds = [
                {
                    "kind": "customer" if r[0].tag == "CustomerAdd" else "item",
                    "name": added_name(r),
                    "request": r[0].tag,
                }
                for r in requests
            ]
            qbxml = render_message_set(
                [*requests, *sale], version=PREVIEW_VERSION, on_error="continueOnError"
            )
        except qb.OrderNotPostable as exc:
            problem = exc.message
    return {
        "order": {
            "id": stored.key if stored is not None else None,
            "order_id": order.order_id,
            "number": order.number,
        },
        "channel_id": channel.channel_id,
        "transaction_type": settings.transaction_type,
        "documents": documents,
        "accounts": {"deposit": settings.accounts.deposit, "receivable": settings.accounts.receivable},
        "customer": {"name": customer, "match": Match.FOUND if customer_found else Match.WOULD_BE_ADDED},
        "lines": lines,
        "adds": adds,
        "totals": _totals(order),
        "rules": _rule_names(tenant_id, ruled.rule_ids),
        "qbxml": qbxml,
        "problem": problem,
    }


def _channel(tenant_id: str, channel_id: str) -> Channel | None:
    channel = channels.get(channel_id)
    return channel if channel is not None and channel.tenant_id == tenant_id else None


def preview_stored(tenant_id: str, key: str) -> dict[str, Any]:
    stored = repo.get_by_key(tenant_id, key)
    if stored is None:
        raise NotFound(f"no order {key}")
    channel = _channel(tenant_id, stored.channel_id)
    if channel is None:
        raise Conflict("The channel of this order was deleted: it cannot be previewed.")
    try:
        order = parse_order(stored.document)
    except OrderInvalid as exc:
        raise Conflict(
            f"Order {stored.number or stored.order_id} could not be read from the store: correct it there."
        ) from exc
    return preview(tenant_id, order, channel, stored)


PREVIEW_FIELDS = frozenset({"id", "order", "channel_id"})


def preview_request(tenant_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A stored order by `id`, or an order in the canonical JSON (`order`) with the `channel_id` it comes from."""
    problems = {name: "unknown field" for name in sorted(set(body) - PREVIEW_FIELDS)}
    key, document, channel_id = body.get("id"), body.get("order"), body.get("channel_id")
    if key is not None:
        if document is not None or channel_id is not None:
            problems["id"] = "name a stored order, or paste one with its channel, not both"
        elif not isinstance(key, str) or not key.startswith("ord_") or len(key) > 64:
            problems["id"] = "must be an order's id (ord_...)"
        if problems:
            raise InvalidInput.of("The order was not previewed", problems)
        return preview_stored(tenant_id, str(key))
    channel: Channel | None = None
    if document is None:
        problems["order"] = "paste an order in the canonical JSON, or name a stored one by id"
    elif not isinstance(document, dict):
        problems["order"] = "must be an order in the canonical JSON"
    if channel_id is None:
        problems["channel_id"] = "is required with a pasted order"
    elif not isinstance(channel_id, str) or len(channel_id) > 64:
        problems["channel_id"] = "must be a channel id"
    else:
        channel = _channel(tenant_id, channel_id)
        if channel is None:
            problems["channel_id"] = "is not a channel of yours"
    order: Order | None = None
    if isinstance(document, dict):
        try:
            order = parse_order(document)
        except OrderInvalid as exc:
            for path, message in exc.problems.items():
                problems[f"order.{path}" if path else "order"] = message
    if problems or order is None or channel is None:
        raise InvalidInput.of("The order was not previewed", problems or {"order": "is required"})
    return preview(tenant_id, order, channel)
