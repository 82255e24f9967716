"""A fake Shopify store: enough of the GraphQL Admin API for the Shopify connector, on loopback.

It answers `POST /admin/api/<version>/graphql.json` as Shopify does:

- `X-Shopify-Access-Token` is checked (401 with Shopify's own body when wrong);
- the query text is parsed (operations, variables, arguments, aliases; no fragments), checked against a
  complete sample order so a misspelt field fails as `undefinedField`, and executed against the stored
  orders, returning only the selected fields;
- `shop`, `orders(first/last, after/before, sortKey, reverse, query)`, `ordersCount(query, limit)`,
  `order(id)`, `refund(id)` and `currentAppInstallation { accessScopes }` are served; `read_orders`
  must be among `scopes` for the order fields (ACCESS_DENIED otherwise);
- inventory: `location(id)` (no id: the primary location; read_locations), `productVariants(first, after,
  query)` with the `sku:` search (values quoted or not, joined by OR; like Shopify's search it is not an
  exact match: a value also finds SKUs that start with it, case-insensitively; read_products, and
  read_inventory for `inventoryItem.inventoryLevel(locationId)`), and the mutation
  `inventorySetQuantities(input)` (write_inventory; at most 250 quantities; applied whole or not at all,
  with userErrors such as INVALID_INVENTORY_ITEM, NON_MUTABLE_INVENTORY_ITEM for an untracked item,
  ITEM_NOT_STOCKED_AT_LOCATION, INVALID_LOCATION, COMPARE_QUANTITY_REQUIRED). A mutation costs 10 points;
- `query` understands `updated_at` / `created_at` with `:`, `:>`, `:>=`, `:<`, `:<=` and `status`;
- pages are keyset cursors (the last sort value and id, base64), so an order changed while a client is
  paging moves to its new place instead of shifting the pages;
- query cost is computed like Shopify's (object 1, scalar 0, connection 2 + first x node), a query above
  1,000 gets MAX_COST_EXCEEDED, and a leaky bucket (1,000 points restoring 50/s; 2,000 and 100/s for
  `plan="advanced"`) answers THROTTLED when the requested cost does not fit. Every answer carries
  `extensions.cost`. The bucket runs on `clock` (time.monotonic unless a test injects a virtual one).

Documents are stored as Shopify returns them: camelCase, ids as gids, money as MoneyBag
{shopMoney, presentmentMoney} with decimal strings, connections as {"nodes": [...]}.
"""

from __future__ import annotations

import base64
import bisect
import copy
import itertools
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.fakes.base import FakeStore, Request, Response

API_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json$")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
MAX_QUERY_COST = 1000
MAX_PAGE = 250
PLANS = {"standard": (1000.0, 50.0), "advanced": (2000.0, 100.0)}
CENT = Decimal("0.01")
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
PRIMARY_LOCATION = "gid://shopify/Location/76543210001"
SECOND_LOCATION = "gid://shopify/Location/76543210002"
MAX_SET_QUANTITIES = 250
MUTATION_COST = 10
QUANTITY_NAMES = ("available", "on_hand")
INVENTORY_REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)
DEFAULT_SCOPES = frozenset(
    {
        "read_orders",
        "read_all_orders",
        "read_products",
        "read_inventory",
        "write_inventory",
        "read_locations",
    }
)

# ------------------------------------------------------------------------------------------------
# GraphQL: parsing


class GraphQLError(Exception):
    def __init__(self, message: str, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = dict(extensions)
        if code:
            self.extensions["code"] = code

    def as_json(self, path: Sequence[str] = ()) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if path:
            error["path"] = list(path)
        if self.extensions:
            error["extensions"] = self.extensions
        return error


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Field:
    name: str
    alias: str | None
    arguments: Mapping[str, Any]
    selections: tuple[Field, ...] | None

    @property
    def key(self) -> str:
        return self.alias or self.name

    def child(self, name: str) -> Field | None:
        for selection in self.selections or ():
            if selection.name == name:
                return selection
        return None


@dataclass(frozen=True)
class Operation:
    variables: Mapping[str, Any]  # declared name -> default value (None when none)
    selections: tuple[Field, ...]
    kind: str = "query"  # or "mutation"


_TOKEN = re.compile(
    r"""(?P<skip>[\s,\ufeff]+|\#[^\n]*)
      |(?P<spread>\.\.\.)
      |(?P<punct>[!$():=@\[\]{}|&])
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<string>"(?:[^"\\\n]|\\.)*")""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise GraphQLError(f"Parse error on {text[pos : pos + 10]!r} at character {pos}")
        kind = match.lastgroup or ""
        if kind != "skip":
            out.append((kind, match.group()))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self, text: str | None = None, kind: str | None = None) -> str:
        token_kind, token = self.peek()
        if (text is not None and token != text) or (kind is not None and token_kind != kind):
            wanted = text or kind
            raise GraphQLError(f'Parse error on "{token or "end of query"}", expected {wanted}')
        self.pos += 1
        return token

    def skip(self, text: str) -> bool:
        if self.peek()[1] == text and self.peek()[0] != "string":
            self.pos += 1
            return True
        return False

    def operations(self) -> dict[str | None, Operation]:
        operations: dict[str | None, Operation] = {}
        while self.peek()[0] != "eof":
            name, operation = self.operation()
            operations[name] = operation
        if not operations:
            raise GraphQLError("Parse error: the query is empty")
        return operations

    def operation(self) -> tuple[str | None, Operation]:
        if self.peek()[1] == "{":
            return None, Operation({}, self.selection_set())
        keyword = self.take(kind="name")
        if keyword == "fragment":
            raise GraphQLError("This fake Shopify does not support fragments", "unsupported")
        if keyword not in ("query", "mutation"):
            raise GraphQLError(
                f"This fake Shopify only answers queries and mutations, not {keyword}", "unsupported"
            )
        name = self.take(kind="name") if self.peek()[0] == "name" else None
        variables: dict[str, Any] = {}
        if self.skip("("):
            while not self.skip(")"):
                self.take("$")
                var = self.take(kind="name")
                self.take(":")
                self.type_ref()
                variables[var] = self.value() if self.skip("=") else None
        return name, Operation(variables, self.selection_set(), keyword)

    def type_ref(self) -> None:
        if self.skip("["):
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        self.skip("!")

    def selection_set(self) -> tuple[Field, ...]:
        self.take("{")
        fields: list[Field] = []
        while not self.skip("}"):
            if self.peek()[0] == "spread":
                raise GraphQLError("This fake Shopify does not support fragments", "unsupported")
            name = self.take(kind="name")
            alias = None
            if self.skip(":"):
                alias, name = name, self.take(kind="name")
            arguments: dict[str, Any] = {}
            if self.skip("("):
                while not self.skip(")"):
                    arg = self.take(kind="name")
                    self.take(":")
                    arguments[arg] = self.value()
            selections = self.selection_set() if self.peek()[1] == "{" else None
            fields.append(Field(name, alias, arguments, selections))
        if not fields:
            raise GraphQLError("Parse error: a selection set must not be empty")
        return tuple(fields)

    def value(self) -> Any:
        kind, token = self.peek()
        if kind == "punct" and token == "$":
            self.pos += 1
            return Var(self.take(kind="name"))
        if kind == "number":
            self.pos += 1
            return float(token) if any(c in token for c in ".eE") else int(token)
        if kind == "string":
            self.pos += 1
            return json.loads(token)
        if kind == "name":
            self.pos += 1
            return {"true": True, "false": False, "null": None}.get(token, token)
        if self.skip("["):
            items = []
            while not self.skip("]"):
                items.append(self.value())
            return items
        if self.skip("{"):
            obj = {}
            while not self.skip("}"):
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            return obj
        raise GraphQLError(f'Parse error on "{token or "end of query"}", expected a value')


def parse_query(text: str, operation_name: str | None = None) -> Operation:
    operations = _Parser(text).operations()
    if operation_name is not None:
        if operation_name not in operations:
            raise GraphQLError(f'No operation named "{operation_name}"')
        return operations[operation_name]
    if len(operations) > 1:
        raise GraphQLError("An operation name is required when the query has several operations")
    return next(iter(operations.values()))


class _Args:
    """A field's arguments with variables substituted."""

    def __init__(self, field: Field, operation: Operation, variables: Mapping[str, Any]) -> None:
        self.field = field
        self.operation = operation
        self.variables = variables

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self.field.arguments:
            return default
        return self._resolve(self.field.arguments[name], default)

    def _resolve(self, raw: Any, default: Any) -> Any:
        if isinstance(raw, Var):
            if raw.name not in self.operation.variables:
                raise GraphQLError(f"Variable ${raw.name} is used by the query but not declared")
            value = self.variables.get(raw.name, self.operation.variables[raw.name])
            return default if value is None else value
        if isinstance(raw, list):
            return [self._resolve(item, None) for item in raw]
        if isinstance(raw, dict):
            return {key: self._resolve(item, None) for key, item in raw.items()}
        return raw

    def count(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise GraphQLError(
                f"Argument '{name}' on Field '{self.field.name}' must be an integer",
                "argumentLiteralsIncompatible",
            )
        if not 0 <= value <= MAX_PAGE:
            raise GraphQLError(
                f"The '{name}' argument must be between 0 and {MAX_PAGE} (got {value})", "BAD_REQUEST"
            )
        return value

    def page_size(self) -> tuple[int, bool]:
        """(how many, from the end) for a connection; Shopify insists on first or last."""
        first, last = self.count("first"), self.count("last")
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last", "BAD_REQUEST")
        if first is not None and last is not None:
            raise GraphQLError("providing both first and last is not supported", "BAD_REQUEST")
        return (first, False) if first is not None else (last or 0, True)


# ------------------------------------------------------------------------------------------------
# GraphQL: cost (Shopify's rules: scalar and enum 0, object 1, connection 2 + first x node)


def _is_connection(field: Field) -> bool:
    return any(s.name in ("nodes", "edges") for s in field.selections or ())


def _node_selections(field: Field) -> tuple[Field, ...]:
    nodes = field.child("nodes")
    if nodes is not None:
        return nodes.selections or ()
    edges = field.child("edges")
    node = edges.child("node") if edges is not None else None
    return (node.selections or ()) if node is not None else ()


def requested_cost(field: Field, args: Callable[[Field], _Args]) -> int:
    """The cost Shopify charges before running: the maximum the selection could return."""
    if field.selections is None:
        return 0
    if _is_connection(field):
        size, _ = args(field).page_size()
        node = 1 + sum(requested_cost(f, args) for f in _node_selections(field))
        extra = sum(requested_cost(f, args) for f in field.selections if f.name not in ("nodes", "edges"))
        return 2 + size * node + extra
    inner = 1 + sum(requested_cost(f, args) for f in field.selections)
    first = args(field).count("first") if "first" in field.arguments else None
    return inner * (first if first is not None else 1)


def actual_cost(field: Field, value: Any) -> int:
    """The cost of what was returned (Shopify refunds the difference to the bucket)."""
    if field.selections is None or value is None:
        return 0
    if isinstance(value, list):
        return sum(actual_cost(field, item) for item in value)
    if not isinstance(value, dict):
        return 0
    if _is_connection(field):
        nodes_field, edges_field = field.child("nodes"), field.child("edges")
        nodes: list[Any] = []
        if nodes_field is not None:
            nodes = list(value.get(nodes_field.key) or [])
        elif edges_field is not None:
            node_field = edges_field.child("node")
            key = node_field.key if node_field is not None else "node"
            nodes = [e.get(key) for e in value.get(edges_field.key) or [] if isinstance(e, dict)]
        node_fields = _node_selections(field)
        per = sum(
            1 + sum(actual_cost(f, n.get(f.key)) for f in node_fields) for n in nodes if isinstance(n, dict)
        )
        extra = sum(
            actual_cost(f, value.get(f.key)) for f in field.selections if f.name not in ("nodes", "edges")
        )
        return 2 + per + extra
    return 1 + sum(actual_cost(f, value.get(f.key)) for f in field.selections)


# ------------------------------------------------------------------------------------------------
# order documents


def money(amount: Decimal | str | int, currency: str = "USD") -> dict[str, Any]:
    """A MoneyBag as Shopify serialises it (decimal strings such as "12.5", "5.0")."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    text = str(value.quantize(CENT, ROUND_HALF_UP)).rstrip("0")
    if text.endswith("."):
        text += "0"
    return {
        "shopMoney": {"amount": text, "currencyCode": currency},
        "presentmentMoney": {"amount": text, "currencyCode": currency},
    }


def amount_of(bag: Mapping[str, Any]) -> Decimal:
    return Decimal(str(bag["shopMoney"]["amount"]))


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def numeric_id(value: str | int) -> str:
    return str(value).rsplit("/", 1)[-1]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _float(value: Decimal) -> float:
    return float(value)


CATALOG: tuple[tuple[str, str, str], ...] = (
    ("MUG-01", "Coffee Mug", "12.50"),
    ("MUG-02", "Travel Mug", "18.00"),
    ("TEE-S", "T-Shirt - S", "20.00"),
    ("TEE-M", "T-Shirt - M", "20.00"),
    ("TEE-L", "T-Shirt - L", "22.00"),
    ("CAP-01", "Baseball Cap", "15.99"),
    ("BAG-01", "Canvas Tote", "24.95"),
    ("NB-A5", "Notebook A5", "7.49"),
    ("PEN-3", "Pen (3 pack)", "4.99"),
    ("STK-10", "Sticker Set", "3.25"),
    ("POS-A3", "Poster A3", "14.00"),
    ("SOCK-1", "Socks", "9.95"),
    ("HOOD-M", "Hoodie - M", "45.00"),
    ("HOOD-L", "Hoodie - L", "45.00"),
    ("BTL-75", "Water Bottle 750 ml", "21.50"),
    ("KEY-01", "Key Ring", "5.50"),
)
CUSTOMERS: tuple[tuple[str, str, str], ...] = (
    ("Ada", "Lovelace", "Analytical Engines Ltd"),
    ("Grace", "Hopper", ""),
    ("Alan", "Turing", ""),
    ("Katherine", "Johnson", "NACA"),
    ("Edsger", "Dijkstra", ""),
    ("Barbara", "Liskov", "CLU Systems"),
    ("Donald", "Knuth", ""),
    ("Margaret", "Hamilton", "Hamilton Technologies"),
)
ADDRESSES: tuple[tuple[str, str, str, str], ...] = (
    ("1 Main St", "Seattle", "WA", "98101"),
    ("200 Market St", "San Francisco", "CA", "94105"),
    ("55 Water St", "New York", "NY", "10041"),
    ("700 Congress Ave", "Austin", "TX", "78701"),
    ("10 State St", "Boston", "MA", "02109"),
)

Line = tuple[str, str, int, str]  # sku, title, quantity, unit price


@dataclass
class _Index:
    version: int
    keys: list[tuple[float, int]]  # (sort value, numeric id), ascending
    docs: list[dict[str, Any]]


def _epoch(value: Any) -> float:
    if not isinstance(value, str):
        return 0.0
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _int_id(doc: Mapping[str, Any]) -> int:
    try:
        return int(numeric_id(doc.get("id", "0")))
    except ValueError:
        return 0


@dataclass(frozen=True)
class _Term:
    field: str
    op: str  # ":", ">", ">=", "<", "<="
    value: str


_TERM = re.compile(r"""(\w+):(>=|<=|>|<)?\s*('[^']*'|"[^"]*"|\S+)""")


def parse_search(query: str) -> list[_Term]:
    """Shopify search syntax, the subset the connector uses: space-separated `field:[op]value` terms
    (AND). Anything else is ignored, as Shopify ignores filters it does not know."""
    return [
        _Term(m.group(1).lower(), m.group(2) or ":", m.group(3).strip("'\""))
        for m in _TERM.finditer(query or "")
    ]


def _time_value(raw: str) -> float:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphQLError(f"Invalid search value {raw!r}: not a date or date-time", "BAD_REQUEST") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _compare(left: float, op: str, right: float) -> bool:
    return {
        ":": left == right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def _status_of(doc: Mapping[str, Any]) -> str:
    if doc.get("cancelledAt"):
        return "cancelled"
    if doc.get("closedAt"):
        return "closed"
    return "open"


def _time_check(key: str, op: str, bound: float) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: _compare(_epoch(doc.get(key)), op, bound)


def _status_check(status: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: _status_of(doc) == status


def _id_check(wanted: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: numeric_id(doc.get("id", "")) == wanted


def _matcher(terms: Sequence[_Term]) -> Callable[[Mapping[str, Any]], bool]:
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for term in terms:
        if term.field in ("updated_at", "created_at"):
            key = "updatedAt" if term.field == "updated_at" else "createdAt"
            checks.append(_time_check(key, term.op, _time_value(term.value)))
        elif term.field == "status" and term.value != "any":
            checks.append(_status_check(term.value))
        elif term.field == "id":
            checks.append(_id_check(numeric_id(term.value)))
    return lambda doc: all(check(doc) for check in checks)


def _has_object(value: Any) -> bool:
    if isinstance(value, list):
        return any(isinstance(item, dict) for item in value)
    return isinstance(value, dict)


def _cursor(value: float, ident: int) -> str:
    raw = json.dumps({"last_id": ident, "last_value": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[float, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return float(data["last_value"]), int(data["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError("Invalid cursor for current pagination sort.", "BAD_REQUEST") from exc


def _index_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"idx:{position}".encode()).decode().rstrip("=")


def _read_index_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        if not text.startswith("idx:"):
            raise ValueError(text)
        return int(text[4:])
    except ValueError as exc:
        raise GraphQLError("Invalid cursor.", "BAD_REQUEST") from exc


_SKU_TERM = re.compile(r"""sku:(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s()]+))""", re.IGNORECASE)


def parse_sku_search(query: str) -> list[str]:
    """The values of the `sku:` terms of a productVariants search (OR-ed); other terms are ignored."""
    values = []
    for match in _SKU_TERM.finditer(query or ""):
        raw = next(group for group in match.groups() if group is not None)
        values.append(re.sub(r"\\(.)", r"\1", raw))
    return values


def _access_denied(field: str, scope: str) -> GraphQLError:
    return GraphQLError(
        f"Access denied for {field} field. Required access: `{scope}` access scope.",
        "ACCESS_DENIED",
        documentation="https://shopify.dev/api/usage/access-scopes",
        requiredAccess=f"`{scope}` access scope.",
    )


def _child_path(field: Field | None, *names: str) -> Field | None:
    """The selection reached by `names` below `field` (through nodes or edges { node } of a connection)."""
    for name in names:
        if field is None:
            return None
        if _is_connection(field):
            field = next((f for f in _node_selections(field) if f.name == name), None)
        else:
            field = field.child(name)
    return field


# ------------------------------------------------------------------------------------------------
# the fake


class FakeShopify(FakeStore):
    """A Shopify store on 127.0.0.1 with an order book, a query-cost bucket and a request log."""

    vendor = "shopify"

    def __init__(
        self,
        *,
        access_token: str = "shpat_fake0123456789abcdef",
        shop_name: str = "Blue Heron Goods",
        plan: str = "standard",
        currency: str = "USD",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.shop_name = shop_name
        self.currency = currency
        self.scopes: set[str] = set(DEFAULT_SCOPES)
        self.clock = clock
        self.maximum_available, self.restore_rate = PLANS[plan]
        self.max_query_cost = MAX_QUERY_COST
        self._available = self.maximum_available
        self._bucket_time = clock()
        self.throttled = 0  # THROTTLED answers given
        self.costs: list[dict[str, Any]] = []  # extensions.cost of every answer, in order
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1001)
        self._version = 0
        self._indexes: dict[str, _Index] = {}
        self._sample = self._build_sample()
        # inventory: locations, products and variants (by gid), inventory items with levels per location
        self.locations: dict[str, dict[str, Any]] = {
            PRIMARY_LOCATION: {"id": PRIMARY_LOCATION, "name": "Main warehouse", "isActive": True},
            SECOND_LOCATION: {"id": SECOND_LOCATION, "name": "Pop-up shop", "isActive": True},
        }
        self.primary_location = PRIMARY_LOCATION
        self.second_location = SECOND_LOCATION
        self.products: dict[str, dict[str, Any]] = {}
        self.variants: dict[str, dict[str, Any]] = {}
        self.inventory_items: dict[str, dict[str, Any]] = {}
        self.inventory_set_calls = 0  # inventorySetQuantities mutations executed (refused ones included)
        self._adjustments = itertools.count(1)

    # -- test controls -------------------------------------------------------------------------------
    def set_available(self, points: float) -> None:
        """Put the cost bucket at `points` now (0: the next query is throttled)."""
        with self.lock:
            self._refill()
            self._available = max(0.0, min(self.maximum_available, points))

    @property
    def available(self) -> float:
        with self.lock:
            self._refill()
            return self._available

    def order(self, order_id: str | int) -> dict[str, Any]:
        """The stored document of an order, by numeric id or gid."""
        return self.orders[numeric_id(order_id)]

    def add_order(
        self,
        *,
        lines: Sequence[Line] | None = None,
        shipping: str | None = "5.00",
        shipping_title: str = "Standard Shipping",
        shipping_discount: str | None = None,
        discount_code: str | None = "WELCOME10",
        discount_percent: str = "10",
        tax_rate: str | None = "0.0825",
        tax_title: str = "CA State Tax",
        tax_shipping: bool = False,
        paid: bool | str = True,
        gateway: str = "shopify_payments",
        customer: tuple[str, str, str] | None = ("Ada", "Lovelace", "Analytical Engines Ltd"),
        address: tuple[str, str, str, str] = ADDRESSES[0],
        email: str | None = "ada@example.com",
        created_at: datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Add an order as Shopify would store it and return its document.

        Defaults: two lines (2 x MUG-01 at 12.50, 1 x TEE-M at 20.00), code WELCOME10 taking 10 % off
        each line (allocated to the lines, as Shopify does), 8.25 % tax per line, 5.00 shipping, and one
        successful SALE through Shopify Payments for the total (48.85). `paid` may be an amount (a
        partial capture) or False (pending). `overrides` replace top-level fields of the document
        (camelCase, e.g. note="Gift", tags=["vip"], cancelledAt="2026-11-01T12:00:00Z")."""
        with self.lock:
            doc = self._build_order(
                lines=lines
                if lines is not None
                else (("MUG-01", "Coffee Mug", 2, "12.50"), ("TEE-M", "T-Shirt - M", 1, "20.00")),
                shipping=shipping,
                shipping_title=shipping_title,
                shipping_discount=shipping_discount,
                discount_code=discount_code,
                discount_percent=discount_percent,
                tax_rate=tax_rate,
                tax_title=tax_title,
                tax_shipping=tax_shipping,
                paid=paid,
                gateway=gateway,
                customer=customer,
                address=address,
                email=email,
                created_at=created_at or self.now,
            )
            doc.update(overrides)
            self._store(doc)
            return doc

    def add_orders(self, n: int, *, seed: int = 0, spread_seconds: int = 3) -> list[dict[str, Any]]:
        """Add `n` varied orders (1-4 lines, some discounted, unpaid, partly paid, cancelled, refunded),
        one every 0..`spread_seconds` s from the store's clock on (so some share a timestamp); the clock
        ends at the last one. Deterministic for a seed; 10,000 orders take about a second."""
        rng = random.Random(seed)
        docs: list[dict[str, Any]] = []
        with self.lock:
            for _ in range(n):
                self.now += timedelta(seconds=rng.randint(0, spread_seconds))
                lines = tuple(
                    (sku, title, rng.randint(1, 3), price)
                    for sku, title, price in rng.sample(CATALOG, rng.randint(1, 4))
                )
                roll = rng.random()
                paid: bool | str = True
                if roll < 0.04:
                    paid = False
                first, last, company = rng.choice(CUSTOMERS)
                doc = self._build_order(
                    lines=lines,
                    shipping=rng.choice(("5.00", "7.95", "0.00", "12.00")) if rng.random() > 0.1 else None,
                    shipping_title="Standard Shipping",
                    shipping_discount=None,
                    discount_code="WELCOME10" if rng.random() < 0.3 else None,
                    discount_percent="10",
                    tax_rate=rng.choice(("0.0825", "0.06", "0.1025")),
                    tax_title="State Tax",
                    tax_shipping=rng.random() < 0.2,
                    paid=paid,
                    gateway=rng.choice(("shopify_payments", "shopify_payments", "paypal", "manual")),
                    customer=None if rng.random() < 0.05 else (first, last, company),
                    address=rng.choice(ADDRESSES),
                    email=f"{first.lower()}.{last.lower()}@example.com",
                    created_at=self.now,
                )
                if roll > 0.98:
                    doc["cancelledAt"] = iso(self.now)
                    doc["cancelReason"] = "CUSTOMER"
                elif roll > 0.95:
                    line = doc["lineItems"]["nodes"][0]
                    self._refund(doc, [(numeric_id(line["id"]), 1)], Decimal(0), "Returned", None, self.now)
                self._store(doc, bump=False)
                docs.append(doc)
            self._version += 1
        return docs

    def change_order(self, order_id: str | int, **changes: Any) -> dict[str, Any]:
        """Tick the clock, apply `changes` to the top-level fields (camelCase) and set updatedAt to now."""
        with self.lock:
            doc = self.order(order_id)
            moment = self.tick()
            doc.update(changes)
            doc["updatedAt"] = iso(moment)
            self._version += 1
            return doc

    def cancel_order(self, order_id: str | int) -> dict[str, Any]:
        moment = self.now + timedelta(seconds=1)
        return self.change_order(order_id, cancelledAt=iso(moment), cancelReason="CUSTOMER")

    def add_refund(
        self,
        order_id: str | int,
        lines: Sequence[tuple[str, int]] = (),
        *,
        shipping: str = "0",
        note: str = "",
        amount: str | None = None,
    ) -> dict[str, Any]:
        """Tick the clock and refund `lines` ((line item numeric id, quantity)) and `shipping` (before
        tax) of an order, with their tax, through the sale's gateway; `amount` instead refunds that
        sum without line detail. Updates the order's financial status and updatedAt; returns the refund."""
        with self.lock:
            doc = self.order(order_id)
            moment = self.tick()
            refund = self._refund(doc, lines, Decimal(shipping), note, amount, moment)
            doc["updatedAt"] = iso(moment)
            self._version += 1
            return refund

    def break_order(self, order_id: str | int, how: str = "null_price") -> dict[str, Any]:
        """Make one order malformed the way a buggy app or import could: "null_price" (a line without a
        price), "negative_quantity", "no_lines" or "bad_timestamp". updatedAt is left as it is."""
        with self.lock:
            doc = self.order(order_id)
            line = doc["lineItems"]["nodes"][0]
            if how == "null_price":
                line["originalUnitPriceSet"] = None
            elif how == "negative_quantity":
                line["quantity"] = -line["quantity"]
            elif how == "no_lines":
                doc["lineItems"]["nodes"] = []
            elif how == "bad_timestamp":
                doc["createdAt"] = "yesterday"
            else:
                raise ValueError(f"unknown way to break an order: {how}")
            self._version += 1
            return doc

    # -- inventory helpers ---------------------------------------------------------------------------
    def add_variant(
        self,
        sku: str,
        *,
        quantity: int | None = 0,
        tracked: bool = True,
        title: str = "Default Title",
        product_title: str | None = None,
        location: str | None = None,
        levels: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Add a product variant with `sku` and its inventory item, stocked at `location` (default: the
        primary one) with `quantity` available (None: not stocked there); `levels` instead gives
        {location gid: available}. Variants with the same `product_title` share a product. Returns
        {"id": variant gid, "inventory_item_id": gid, "product_id": gid, "sku": sku}."""
        with self.lock:
            product_name = product_title or f"Product {sku}"
            product = next((p for p in self.products.values() if p["title"] == product_name), None)
            if product is None:
                product = {"id": gid("Product", self._next_id()), "title": product_name}
                self.products[product["id"]] = product
            variant_id = gid("ProductVariant", self._next_id())
            item_id = gid("InventoryItem", self._next_id())
            if levels is None:
                levels = {} if quantity is None else {location or self.primary_location: quantity}
            self.variants[variant_id] = {
                "id": variant_id,
                "sku": sku,
                "title": title,
                "product": product["id"],
                "inventoryItem": item_id,
            }
            self.inventory_items[item_id] = {
                "id": item_id,
                "sku": sku,
                "tracked": tracked,
                "levels": dict(levels),
            }
            return {"id": variant_id, "inventory_item_id": item_id, "product_id": product["id"], "sku": sku}

    def add_variants(self, n: int, *, prefix: str = "SKU-", quantity: int = 5) -> list[dict[str, Any]]:
        """`n` tracked variants SKU-00001... stocked at the primary location with `quantity` each."""
        return [self.add_variant(f"{prefix}{i:05d}", quantity=quantity) for i in range(1, n + 1)]

    def _item(self, ref: str) -> dict[str, Any]:
        """An inventory item by its gid, a variant gid or a SKU (exact; KeyError when unknown or shared)."""
        if ref in self.inventory_items:
            return self.inventory_items[ref]
        if ref in self.variants:
            return self.inventory_items[self.variants[ref]["inventoryItem"]]
        found = [item for item in self.inventory_items.values() if item["sku"] == ref]
        if len(found) != 1:
            raise KeyError(f"{len(found)} inventory items have SKU {ref!r}")
        return found[0]

    def quantity(self, ref: str, location: str | None = None) -> int | None:
        """The available quantity of an item (inventory item gid, variant gid or unique SKU) at `location`
        (default: the primary one); None when it is not stocked there."""
        with self.lock:
            levels: dict[str, int] = self._item(ref)["levels"]
            return levels.get(location or self.primary_location)

    def set_tracked(self, ref: str, tracked: bool) -> None:
        with self.lock:
            self._item(ref)["tracked"] = tracked

    # -- order building ------------------------------------------------------------------------------
    def _next_id(self) -> int:
        return 5_600_000_000_000 + next(self._ids)

    def _build_order(
        self,
        *,
        lines: Sequence[Line],
        shipping: str | None,
        shipping_title: str,
        shipping_discount: str | None,
        discount_code: str | None,
        discount_percent: str,
        tax_rate: str | None,
        tax_title: str,
        tax_shipping: bool,
        paid: bool | str,
        gateway: str,
        customer: tuple[str, str, str] | None,
        address: tuple[str, str, str, str],
        email: str | None,
        created_at: datetime,
    ) -> dict[str, Any]:
        cur = self.currency
        rate = Decimal(tax_rate) if tax_rate else Decimal(0)
        percent = Decimal(discount_percent) / 100 if discount_code else Decimal(0)
        stamp = iso(created_at)
        items = []
        subtotal = discounts = tax_total = Decimal(0)
        for sku, title, quantity, price in lines:
            gross = _round(Decimal(price) * quantity)
            discount = _round(gross * percent)
            tax = _round((gross - discount) * rate)
            subtotal += gross
            discounts += discount
            tax_total += tax
            items.append(
                {
                    "id": gid("LineItem", self._next_id()),
                    "sku": sku,
                    "title": title,
                    "name": title,
                    "variantTitle": None,
                    "vendor": "Blue Heron",
                    "quantity": quantity,
                    "currentQuantity": quantity,
                    "taxable": bool(rate),
                    "requiresShipping": True,
                    "originalUnitPriceSet": money(price, cur),
                    "originalTotalSet": money(gross, cur),
                    "discountedTotalSet": money(gross - discount, cur),
                    "discountAllocations": (
                        [{"allocatedAmountSet": money(discount, cur)}] if discount else []
                    ),
                    "taxLines": (
                        [
                            {
                                "title": tax_title,
                                "rate": _float(rate),
                                "ratePercentage": _float(rate * 100),
                                "priceSet": money(tax, cur),
                            }
                        ]
                        if rate
                        else []
                    ),
                }
            )
        shipping_lines = []
        shipping_price = Decimal(shipping) if shipping is not None else Decimal(0)
        ship_discount = Decimal(shipping_discount or 0)
        ship_tax = _round((shipping_price - ship_discount) * rate) if tax_shipping else Decimal(0)
        if shipping is not None:
            shipping_lines.append(
                {
                    "id": gid("ShippingLine", self._next_id()),
                    "title": shipping_title,
                    "code": shipping_title.upper().replace(" ", "_"),
                    "source": "shopify",
                    "originalPriceSet": money(shipping_price, cur),
                    "discountedPriceSet": money(shipping_price - ship_discount, cur),
                    "discountAllocations": (
                        [{"allocatedAmountSet": money(ship_discount, cur)}] if ship_discount else []
                    ),
                    "taxLines": (
                        [
                            {
                                "title": tax_title,
                                "rate": _float(rate),
                                "ratePercentage": _float(rate * 100),
                                "priceSet": money(ship_tax, cur),
                            }
                        ]
                        if ship_tax
                        else []
                    ),
                }
            )
        tax_total += ship_tax
        discounts += ship_discount
        total = subtotal - discounts + shipping_price + tax_total
        transactions = []
        if paid is not False:
            captured = total if paid is True else Decimal(str(paid))
            transactions.append(
                {
                    "id": gid("OrderTransaction", self._next_id()),
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": gateway,
                    "formattedGateway": gateway.replace("_", " ").title(),
                    "test": False,
                    "amountSet": money(captured, cur),
                    "processedAt": stamp,
                    "createdAt": stamp,
                    "authorizationCode": "53433",
                }
            )
            financial = "PAID" if captured >= total else "PARTIALLY_PAID"
        else:
            financial = "PENDING"
        first, last, company = customer or ("", "", "")
        line1, city, province, postal = address
        mailing = {
            "name": f"{first} {last}".strip() or "Guest",
            "firstName": first or None,
            "lastName": last or "Guest",
            "company": company or None,
            "address1": line1,
            "address2": None,
            "city": city,
            "province": province,
            "provinceCode": province,
            "zip": postal,
            "country": "United States",
            "countryCodeV2": "US",
            "phone": "+12065550100",
        }
        number = next(self._numbers)
        return {
            "id": gid("Order", self._next_id()),
            "name": f"#{number}",
            "createdAt": stamp,
            "updatedAt": stamp,
            "processedAt": stamp,
            "currencyCode": cur,
            "presentmentCurrencyCode": cur,
            "email": email,
            "phone": None,
            "note": None,
            "tags": [],
            "customAttributes": [],  # the order's note attributes (Attribute: key, value)
            "retailLocation": None,  # Location of a point-of-sale order (Admin API 2024-07+), null online
            "test": False,
            "cancelledAt": None,
            "cancelReason": None,
            "closedAt": None,
            "closed": False,
            "confirmed": True,
            "taxesIncluded": False,
            "displayFinancialStatus": financial,
            "displayFulfillmentStatus": "UNFULFILLED",
            "customer": (
                {
                    "id": gid("Customer", self._next_id()),
                    "firstName": first,
                    "lastName": last,
                    "displayName": f"{first} {last}",
                    "email": email,
                    "phone": None,
                }
                if customer
                else None
            ),
            "billingAddress": dict(mailing),
            "shippingAddress": dict(mailing),
            "discountCodes": [discount_code] if discount_code else [],
            "lineItems": {"nodes": items},
            "shippingLines": {"nodes": shipping_lines},
            "taxLines": (
                [
                    {
                        "title": tax_title,
                        "rate": _float(rate),
                        "ratePercentage": _float(rate * 100),
                        "priceSet": money(tax_total, cur),
                    }
                ]
                if tax_total
                else []
            ),
            "subtotalPriceSet": money(subtotal - discounts + ship_discount, cur),
            "totalShippingPriceSet": money(shipping_price - ship_discount, cur),
            "totalTaxSet": money(tax_total, cur),
            "totalDiscountsSet": money(discounts, cur),
            "totalPriceSet": money(total, cur),
            "currentTotalPriceSet": money(total, cur),
            "totalRefundedSet": money(0, cur),
            "originalTotalDutiesSet": None,
            "transactions": transactions,
            "refunds": [],
        }

    def _refund(
        self,
        doc: dict[str, Any],
        lines: Sequence[tuple[str, int]],
        shipping: Decimal,
        note: str,
        amount: str | None,
        moment: datetime,
    ) -> dict[str, Any]:
        cur = doc["currencyCode"]
        by_id = {numeric_id(li["id"]): li for li in doc["lineItems"]["nodes"]}
        refund_lines = []
        total = Decimal(0)
        for line_id, quantity in lines:
            item = by_id[numeric_id(line_id)]
            ordered = Decimal(item["quantity"])
            gross = amount_of(item["originalTotalSet"])
            discount = sum(
                (amount_of(a["allocatedAmountSet"]) for a in item["discountAllocations"]), Decimal(0)
            )
            tax = sum((amount_of(t["priceSet"]) for t in item["taxLines"]), Decimal(0))
            subtotal = _round((gross - discount) * quantity / ordered)
            line_tax = _round(tax * quantity / ordered)
            total += subtotal + line_tax
            refund_lines.append(
                {
                    "id": gid("RefundLineItem", self._next_id()),
                    "lineItem": {k: item[k] for k in ("id", "sku", "title", "name")},
                    "quantity": quantity,
                    "restockType": "RETURN",
                    "restocked": True,
                    "priceSet": item["originalUnitPriceSet"],
                    "subtotalSet": money(subtotal, cur),
                    "totalTaxSet": money(line_tax, cur),
                }
            )
        shipping_lines = []
        if shipping:
            ship = doc["shippingLines"]["nodes"][0]
            ship_price = amount_of(ship["originalPriceSet"])
            ship_tax = sum((amount_of(t["priceSet"]) for t in ship["taxLines"]), Decimal(0))
            tax = _round(ship_tax * shipping / ship_price) if ship_price else Decimal(0)
            total += shipping + tax
            shipping_lines.append(
                {
                    "id": gid("RefundShippingLine", self._next_id()),
                    "shippingLine": {"id": ship["id"], "title": ship["title"]},
                    "subtotalAmountSet": money(shipping, cur),
                    "taxAmountSet": money(tax, cur),
                }
            )
        if amount is not None:
            total = Decimal(amount)
        sale = next((t for t in doc["transactions"] if t["kind"] in ("SALE", "CAPTURE")), None)
        transaction = {
            "id": gid("OrderTransaction", self._next_id()),
            "kind": "REFUND",
            "status": "SUCCESS",
            "gateway": sale["gateway"] if sale else "manual",
            "formattedGateway": sale["formattedGateway"] if sale else "Manual",
            "test": False,
            "amountSet": money(total, cur),
            "processedAt": iso(moment),
            "createdAt": iso(moment),
            "authorizationCode": None,
        }
        refund = {
            "id": gid("Refund", self._next_id()),
            "createdAt": iso(moment),
            "updatedAt": iso(moment),
            "note": note or None,
            "totalRefundedSet": money(total, cur),
            "refundLineItems": {"nodes": refund_lines},
            "refundShippingLines": {"nodes": shipping_lines},
            "transactions": {"nodes": [transaction]},
        }
        doc["refunds"].append(refund)
        doc["transactions"].append(transaction)
        refunded = amount_of(doc["totalRefundedSet"]) + total
        doc["totalRefundedSet"] = money(refunded, cur)
        doc["currentTotalPriceSet"] = money(amount_of(doc["totalPriceSet"]) - refunded, cur)
        doc["displayFinancialStatus"] = (
            "REFUNDED" if refunded >= amount_of(doc["totalPriceSet"]) else "PARTIALLY_REFUNDED"
        )
        return refund

    def _build_sample(self) -> dict[str, Any]:
        """An order with every object and list filled: the schema queries are checked against."""
        saved_ids, saved_numbers = self._ids, self._numbers
        self._ids, self._numbers = itertools.count(900_000_000), itertools.count(1)
        doc = self._build_order(
            lines=(("S-1", "Sample", 2, "10.00"),),
            shipping="5.00",
            shipping_title="Sample shipping",
            shipping_discount="1.00",
            discount_code="SAMPLE",
            discount_percent="10",
            tax_rate="0.10",
            tax_title="Tax",
            tax_shipping=True,
            paid=True,
            gateway="manual",
            customer=("S", "Ample", "Sample Co"),
            address=ADDRESSES[0],
            email="s@example.com",
            created_at=self.now,
        )
        self._refund(
            doc, [(numeric_id(doc["lineItems"]["nodes"][0]["id"]), 1)], Decimal(1), "n", None, self.now
        )
        doc["originalTotalDutiesSet"] = money(0, self.currency)
        doc["customAttributes"] = [{"key": "gift_note", "value": "Sample"}]
        doc["retailLocation"] = {"name": "Downtown Store"}
        self._ids, self._numbers = saved_ids, saved_numbers
        return doc

    def _store(self, doc: dict[str, Any], *, bump: bool = True) -> None:
        self.orders[numeric_id(doc["id"])] = doc
        if bump:
            self._version += 1

    # -- HTTP ----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.method != "POST" or not API_PATH.match(request.path):
            return Response(404, {"errors": "Not Found"})
        if request.headers.get("x-shopify-access-token") != self.access_token:
            return Response(401, {"errors": INVALID_TOKEN})
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return Response(400, {"errors": {"variables": "must be an object"}})
        with self.lock:
            return Response(200, self._graphql(body["query"], variables, body.get("operationName")))

    def _graphql(self, text: str, variables: Mapping[str, Any], operation_name: Any) -> dict[str, Any]:
        try:
            operation = parse_query(text, operation_name if isinstance(operation_name, str) else None)

            def args(field: Field) -> _Args:
                return _Args(field, operation, variables)

            self._validate(operation, args)
            requested = sum(
                MUTATION_COST if operation.kind == "mutation" else requested_cost(f, args)
                for f in operation.selections
            )
        except GraphQLError as exc:
            return {"errors": [exc.as_json()]}
        if requested > self.max_query_cost:
            return {
                "errors": [
                    GraphQLError(
                        f"Query cost is {requested}, which exceeds the single query max cost limit "
                        f"({self.max_query_cost}).",
                        "MAX_COST_EXCEEDED",
                        cost=requested,
                        maxCost=self.max_query_cost,
                        documentation=RATE_LIMIT_DOCS,
                    ).as_json()
                ]
            }
        self._refill()
        if requested > self._available + 1e-9:
            self.throttled += 1
            cost = self._cost(requested, None)
            return {
                "errors": [GraphQLError("Throttled", "THROTTLED", documentation=RATE_LIMIT_DOCS).as_json()],
                "extensions": {"cost": cost},
            }
        self._available -= requested
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for field in operation.selections:
            try:
                data[field.key] = (
                    self._mutate(field, args) if operation.kind == "mutation" else self._root(field, args)
                )
            except GraphQLError as exc:
                data[field.key] = None
                errors.append(exc.as_json([field.key]))
        actual = (
            requested
            if operation.kind == "mutation"
            else min(requested, sum(actual_cost(f, data.get(f.key)) for f in operation.selections))
        )
        self._available = min(self.maximum_available, self._available + requested - actual)
        answer: dict[str, Any] = {"data": data, "extensions": {"cost": self._cost(requested, actual)}}
        if errors:
            answer["errors"] = errors
        return answer

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self._bucket_time)
        self._available = min(self.maximum_available, self._available + elapsed * self.restore_rate)
        self._bucket_time = now

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        cost = {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": self.maximum_available,
                "currentlyAvailable": math.floor(self._available + 1e-9),
                "restoreRate": self.restore_rate,
            },
        }
        self.costs.append(cost)
        return cost

    # -- execution -----------------------------------------------------------------------------------
    ROOTS = (
        "shop",
        "orders",
        "ordersCount",
        "order",
        "refund",
        "currentAppInstallation",
        "location",
        "productVariants",
    )
    MUTATIONS = ("inventorySetQuantities",)

    def _validate(self, operation: Operation, args: Callable[[Field], _Args]) -> None:
        if operation.kind == "mutation":
            for field in operation.selections:
                if field.name not in self.MUTATIONS:
                    raise GraphQLError(
                        f"Field '{field.name}' doesn't exist on type 'Mutation'", "undefinedField"
                    )
                self._project(self._sample_payload(), field, args, strict=True)
            return
        for field in operation.selections:
            if field.name == "location":
                self._project(self.locations[PRIMARY_LOCATION], field, args, strict=True)
                continue
            if field.name == "productVariants":
                args(field).page_size()
                view = self._variant_view(self._sample_variant(), field, args)
                self._connection([view], ["x"], False, False, field, args, strict=True)
                continue
            if field.name not in self.ROOTS:
                raise GraphQLError(
                    f"Field '{field.name}' doesn't exist on type 'QueryRoot'", "undefinedField"
                )
            sample: Any
            if field.name == "orders":
                args(field).page_size()
                self._connection([self._sample], ["x"], False, False, field, args, strict=True)
                continue
            if field.name == "order":
                sample = self._sample
            elif field.name == "refund":
                sample = self._sample["refunds"][0]
            elif field.name == "ordersCount":
                sample = {"count": 1, "precision": "EXACT"}
            elif field.name == "shop":
                sample = self._shop()
            else:
                sample = {"accessScopes": [{"handle": "read_orders"}]}
            self._project(sample, field, args, strict=True)

    def _root(self, field: Field, args: Callable[[Field], _Args]) -> Any:
        a = args(field)
        if field.name == "shop":
            return self._project(self._shop(), field, args)
        if field.name == "currentAppInstallation":
            scopes = {"accessScopes": [{"handle": s} for s in sorted(self.scopes)]}
            return self._project(scopes, field, args)
        if field.name == "location":
            if "read_locations" not in self.scopes:
                raise _access_denied("location", "read_locations")
            wanted = a.get("id")
            return self._project(self.locations.get(wanted or self.primary_location), field, args)
        if field.name == "productVariants":
            return self._product_variants(field, a, args)
        if "read_orders" not in self.scopes:
            raise GraphQLError(
                f"Access denied for {field.name} field. Required access: `read_orders` access scope.",
                "ACCESS_DENIED",
                documentation="https://shopify.dev/api/usage/access-scopes",
                requiredAccess="`read_orders` access scope.",
            )
        if field.name == "order":
            doc = self.orders.get(numeric_id(a.get("id") or ""))
            return self._project(doc, field, args)
        if field.name == "refund":
            wanted = a.get("id")
            found = next(
                (r for d in self.orders.values() for r in d.get("refunds", []) if r.get("id") == wanted),
                None,
            )
            return self._project(found, field, args)
        if field.name == "ordersCount":
            limit = a.get("limit", 10000)
            matches = sum(1 for _ in self._matching(a.get("query") or "", "ID", None, False))
            precision = "AT_LEAST" if limit is not None and matches > limit else "EXACT"
            counted = {"count": min(matches, limit) if limit is not None else matches, "precision": precision}
            return self._project(counted, field, args)
        return self._orders(field, a, args)

    def _shop(self) -> dict[str, Any]:
        return {
            "id": gid("Shop", 1),
            "name": self.shop_name,
            "myshopifyDomain": "blue-heron.myshopify.com",
            "currencyCode": self.currency,
            "ianaTimezone": "America/Los_Angeles",
            "email": "owner@example.com",
        }

    def _index(self, sort_key: str) -> _Index:
        index = self._indexes.get(sort_key)
        if index is not None and index.version == self._version and len(index.docs) == len(self.orders):
            return index
        if sort_key == "UPDATED_AT":
            field_name = "updatedAt"
        elif sort_key in ("CREATED_AT", "PROCESSED_AT"):
            field_name = "createdAt"
        elif sort_key == "ID":
            field_name = ""
        else:
            raise GraphQLError(f"Sort key {sort_key} is not supported by this fake", "BAD_REQUEST")

        def key(doc: dict[str, Any]) -> tuple[float, int]:
            ident = _int_id(doc)
            return (_epoch(doc.get(field_name)) if field_name else float(ident), ident)

        pairs = sorted(((key(d), d) for d in self.orders.values()), key=lambda pair: pair[0])
        index = _Index(self._version, [k for k, _ in pairs], [d for _, d in pairs])
        self._indexes[sort_key] = index
        return index

    def _matching(
        self, query: str, sort_key: str, cursor: tuple[float, int] | None, reverse: bool
    ) -> Iterator[tuple[tuple[float, int], dict[str, Any]]]:
        """Orders matching `query` in sort order, strictly after `cursor` (keyset)."""
        terms = parse_search(query)
        matches = _matcher(terms)
        index = self._index(sort_key)
        lo, hi = 0, len(index.keys)
        if sort_key == "UPDATED_AT":  # narrow by the updated_at range with bisect
            for term in terms:
                if term.field != "updated_at":
                    continue
                bound = _time_value(term.value)
                if term.op in (">", ">="):
                    edge = (
                        bisect.bisect_left(index.keys, (bound, -1))
                        if term.op == ">="
                        else bisect.bisect_right(index.keys, (bound, 2**63))
                    )
                    lo = max(lo, edge)
                elif term.op in ("<", "<="):
                    edge = (
                        bisect.bisect_right(index.keys, (bound, 2**63))
                        if term.op == "<="
                        else bisect.bisect_left(index.keys, (bound, -1))
                    )
                    hi = min(hi, edge)
        if cursor is not None:
            if reverse:
                hi = min(hi, bisect.bisect_left(index.keys, cursor))
            else:
                lo = max(lo, bisect.bisect_right(index.keys, cursor))
        positions = range(hi - 1, lo - 1, -1) if reverse else range(lo, hi)
        for position in positions:
            doc = index.docs[position]
            if matches(doc):
                yield index.keys[position], doc

    def _orders(self, field: Field, a: _Args, args: Callable[[Field], _Args]) -> Any:
        size, from_end = a.page_size()
        sort_key = a.get("sortKey", "ID")
        reverse = bool(a.get("reverse", False))
        if from_end:  # last/before: walk backwards from the end
            reverse = not reverse
        raw_cursor = a.get("before") if from_end else a.get("after")
        cursor = _read_cursor(raw_cursor) if raw_cursor else None
        found = list(
            itertools.islice(self._matching(a.get("query") or "", sort_key, cursor, reverse), size + 1)
        )
        has_more = len(found) > size
        found = found[:size]
        if from_end:
            found.reverse()
        docs = [doc for _, doc in found]
        cursors = [_cursor(key[0], key[1]) for key, _ in found]
        has_next, has_previous = (False, has_more) if from_end else (has_more, cursor is not None)
        return self._connection(docs, cursors, has_next, has_previous, field, args)

    def _connection(
        self,
        docs: Sequence[Any],
        cursors: Sequence[str],
        has_next: bool,
        has_previous: bool,
        field: Field,
        args: Callable[[Field], _Args],
        *,
        strict: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for selection in field.selections or ():
            if selection.name == "nodes":
                out[selection.key] = [self._project(d, selection, args, strict=strict) for d in docs]
            elif selection.name == "edges":
                edges = []
                for doc, cursor in zip(docs, cursors, strict=True):
                    edge: dict[str, Any] = {}
                    for part in selection.selections or ():
                        if part.name == "cursor":
                            edge[part.key] = cursor
                        elif part.name == "node":
                            edge[part.key] = self._project(doc, part, args, strict=strict)
                        else:
                            raise GraphQLError(
                                f"Field '{part.name}' doesn't exist on type 'Edge'", "undefinedField"
                            )
                    edges.append(edge)
                out[selection.key] = edges
            elif selection.name == "pageInfo":
                info = {
                    "hasNextPage": has_next,
                    "hasPreviousPage": has_previous,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                }
                out[selection.key] = self._project(info, selection, args, strict=strict)
            else:
                raise GraphQLError(
                    f"Field '{selection.name}' doesn't exist on a connection", "undefinedField"
                )
        return out

    def _project(
        self, value: Any, field: Field, args: Callable[[Field], _Args], *, strict: bool = False
    ) -> Any:
        """The part of a stored value `field` selects. `strict` (validation against the sample order):
        every selected field must exist."""
        if field.selections is None:
            if strict and _has_object(value):
                raise GraphQLError(
                    f"Field must have selections (field '{field.name}' returns an object)",
                    "selectionMismatch",
                )
            return copy.deepcopy(value) if isinstance(value, dict | list) else value
        if value is None:
            return None
        if isinstance(value, dict) and "nodes" in value and isinstance(value["nodes"], list):
            nodes = value["nodes"]
            size, from_end = args(field).page_size()
            after, before = args(field).get("after"), args(field).get("before")
            start = _read_index_cursor(after) + 1 if after else 0
            end = _read_index_cursor(before) if before else len(nodes)
            window = list(range(start, min(end, len(nodes))))
            chosen = window[-size:] if from_end else window[:size]
            if strict:
                chosen = chosen[:1]
            return self._connection(
                [nodes[i] for i in chosen],
                [_index_cursor(i) for i in chosen],
                bool(chosen) and chosen[-1] < window[-1],
                bool(chosen) and chosen[0] > window[0],
                field,
                args,
                strict=strict,
            )
        if _is_connection(field):
            raise GraphQLError(f"Field '{field.name}' is not a connection", "undefinedField")
        if isinstance(value, list):
            first = args(field).count("first") if "first" in field.arguments else None
            items = value[:first] if first is not None else value
            if strict:
                items = items[:1]
            return [self._project(item, field, args, strict=strict) for item in items]
        if not isinstance(value, dict):
            raise GraphQLError(
                f"Selections can't be made on scalars (field '{field.name}')", "selectionMismatch"
            )
        out: dict[str, Any] = {}
        for selection in field.selections:
            if selection.name == "__typename":
                out[selection.key] = field.name
                continue
            if selection.name not in value:
                if strict:
                    raise GraphQLError(
                        f"Field '{selection.name}' doesn't exist on the type of '{field.name}'",
                        "undefinedField",
                        fieldName=selection.name,
                    )
                out[selection.key] = None
                continue
            out[selection.key] = self._project(value[selection.name], selection, args, strict=strict)
        return out

    # -- inventory -----------------------------------------------------------------------------------
    def _sample_variant(self) -> dict[str, Any]:
        return {
            "id": gid("ProductVariant", 1),
            "sku": "S-1",
            "title": "S",
            "product": "",
            "inventoryItem": "",
        }

    def _variant_view(
        self, variant: Mapping[str, Any], field: Field, args: Callable[[Field], _Args]
    ) -> dict[str, Any]:
        """A variant as the productVariants selection `field` sees it (inventoryLevel at the location its
        arguments name, quantities with the names asked)."""
        product = self.products.get(variant["product"]) or {"id": gid("Product", 1), "title": "Sample"}
        item = self.inventory_items.get(variant["inventoryItem"]) or {
            "id": gid("InventoryItem", 1),
            "sku": variant["sku"],
            "tracked": True,
            "levels": {PRIMARY_LOCATION: 0},
        }
        level_field = _child_path(field, "inventoryItem", "inventoryLevel")
        level: dict[str, Any] | None = None
        if level_field is not None:
            if "read_inventory" not in self.scopes:
                raise _access_denied("inventoryLevel", "read_inventory")
            location = args(level_field).get("locationId")
            if not isinstance(location, str):
                raise GraphQLError(
                    "Field 'inventoryLevel' is missing required arguments: locationId",
                    "missingRequiredArguments",
                )
            quantities_field = level_field.child("quantities")
            names = args(quantities_field).get("names") if quantities_field is not None else None
            if quantities_field is not None and not isinstance(names, list):
                raise GraphQLError(
                    "Field 'quantities' is missing required arguments: names", "missingRequiredArguments"
                )
            if location in item["levels"]:
                available = item["levels"][location]
                level = {
                    "id": f"gid://shopify/InventoryLevel/{numeric_id(item['id'])}?location={numeric_id(location)}",
                    "location": self.locations.get(location),
                    "quantities": [
                        {"name": n, "quantity": available if n in QUANTITY_NAMES else 0} for n in names or ()
                    ],
                }
        return {
            "id": variant["id"],
            "sku": variant["sku"],
            "title": variant["title"],
            "displayName": f"{product['title']} - {variant['title']}",
            "product": {"id": product["id"], "title": product["title"]},
            "inventoryItem": {
                "id": item["id"],
                "sku": item["sku"],
                "tracked": item["tracked"],
                "inventoryLevel": level,
            },
        }

    def _product_variants(self, field: Field, a: _Args, args: Callable[[Field], _Args]) -> Any:
        if "read_products" not in self.scopes:
            raise _access_denied("productVariants", "read_products")
        size, from_end = a.page_size()
        if from_end:
            raise GraphQLError("This fake Shopify pages product variants forward only", "BAD_REQUEST")
        wanted = [v.casefold() for v in parse_sku_search(a.get("query") or "")]
        after = a.get("after")
        start = _read_cursor(after)[1] if after else -1
        matching = sorted(
            (
                v
                for v in self.variants.values()
                if _int_id(v) > start
                and (not wanted or any(v["sku"].casefold().startswith(w) for w in wanted))
            ),
            key=_int_id,
        )
        page = matching[:size]
        views = [self._variant_view(v, field, args) for v in page]
        cursors = [_cursor(float(_int_id(v)), _int_id(v)) for v in page]
        return self._connection(views, cursors, len(matching) > size, after is not None, field, args)

    def _sample_payload(self) -> dict[str, Any]:
        return {
            "inventoryAdjustmentGroup": {
                "id": gid("InventoryAdjustmentGroup", 1),
                "createdAt": iso(self.now),
                "reason": "correction",
                "referenceDocumentUri": None,
                "changes": [
                    {
                        "name": "available",
                        "delta": 1,
                        "quantityAfterChange": 1,
                        "item": {"id": gid("InventoryItem", 1), "sku": "S-1", "tracked": True},
                        "location": self.locations[PRIMARY_LOCATION],
                    }
                ],
            },
            "userErrors": [{"code": "INVALID_INVENTORY_ITEM", "field": ["input"], "message": "m"}],
        }

    def _mutate(self, field: Field, args: Callable[[Field], _Args]) -> Any:
        if "write_inventory" not in self.scopes:
            raise _access_denied("inventorySetQuantities", "write_inventory")
        data = args(field).get("input")
        if not isinstance(data, dict):
            raise GraphQLError(
                "Variable $input of type InventorySetQuantitiesInput! was provided invalid value",
                "INVALID_VARIABLE",
            )
        quantities = data.get("quantities")
        if (
            not isinstance(data.get("name"), str)
            or not isinstance(data.get("reason"), str)
            or not isinstance(quantities, list)
            or not all(
                isinstance(q, dict)
                and isinstance(q.get("inventoryItemId"), str)
                and isinstance(q.get("locationId"), str)
                and isinstance(q.get("quantity"), int)
                and not isinstance(q.get("quantity"), bool)
                for q in quantities
            )
        ):
            raise GraphQLError(
                "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for "
                "name, reason or quantities (inventoryItemId: ID!, locationId: ID!, quantity: Int!)",
                "INVALID_VARIABLE",
            )
        if len(quantities) > MAX_SET_QUANTITIES:
            raise GraphQLError(
                f"The input array size of {len(quantities)} is greater than the maximum allowed of "
                f"{MAX_SET_QUANTITIES}.",
                "MAX_INPUT_SIZE_EXCEEDED",
            )
        self.inventory_set_calls += 1
        errors: list[dict[str, Any]] = []

        def refuse(code: str, path: list[str], message: str) -> None:
            errors.append({"code": code, "field": path, "message": message})

        if data["name"] not in QUANTITY_NAMES:
            refuse(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        if data["reason"] not in INVENTORY_REASONS:
            refuse("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
        ignore_compare = data.get("ignoreCompareQuantity") is True
        seen: set[tuple[str, str]] = set()
        for i, entry in enumerate(quantities):
            path = ["input", "quantities", str(i)]
            item = self.inventory_items.get(entry["inventoryItemId"])
            location = entry["locationId"]
            if not ignore_compare and entry.get("compareQuantity") is None:
                refuse(
                    "COMPARE_QUANTITY_REQUIRED",
                    [*path, "compareQuantity"],
                    "The compareQuantity argument must be given to each quantity or ignored using "
                    "ignoreCompareQuantity.",
                )
            elif item is None:
                refuse(
                    "INVALID_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
            elif location not in self.locations:
                refuse(
                    "INVALID_LOCATION", [*path, "locationId"], "The specified location could not be found."
                )
            elif not item["tracked"]:
                refuse(
                    "NON_MUTABLE_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item is not tracked, so its quantities can't be set.",
                )
            elif location not in item["levels"]:
                refuse(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
            elif entry["quantity"] > 1_000_000_000:
                refuse(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*path, "quantity"],
                    "The total quantity can't be higher than 1,000,000,000.",
                )
            elif not ignore_compare and entry.get("compareQuantity") != item["levels"][location]:
                refuse(
                    "COMPARE_QUANTITY_STALE",
                    [*path, "compareQuantity"],
                    "The compareQuantity value does not match persisted value.",
                )
            elif (entry["inventoryItemId"], location) in seen:
                refuse(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            seen.add((entry["inventoryItemId"], location))
        payload: dict[str, Any] = {"inventoryAdjustmentGroup": None, "userErrors": errors}
        if not errors:  # applied whole or not at all
            changes = []
            for entry in quantities:
                item = self.inventory_items[entry["inventoryItemId"]]
                before = item["levels"][entry["locationId"]]
                item["levels"][entry["locationId"]] = entry["quantity"]
                changes.append(
                    {
                        "name": data["name"],
                        "delta": entry["quantity"] - before,
                        "quantityAfterChange": entry["quantity"],
                        "item": {"id": item["id"], "sku": item["sku"], "tracked": item["tracked"]},
                        "location": self.locations[entry["locationId"]],
                    }
                )
            payload["inventoryAdjustmentGroup"] = {
                "id": gid("InventoryAdjustmentGroup", next(self._adjustments)),
                "createdAt": iso(self.now),
                "reason": data["reason"],
                "referenceDocumentUri": data.get("referenceDocumentUri"),
                "changes": changes,
            }
        return self._project(payload, field, args)
