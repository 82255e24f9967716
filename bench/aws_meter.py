"""What the cost benchmark (bench/cost.py) measures of each AWS call: it counts every call by service and
operation, and computes the DynamoDB capacity each one uses (write and read units, stored bytes) by DynamoDB's
rules, not by asking moto. The rules are in bench/cost.py's docstring.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from orders_to_quickbooks import hook_every_client  # the botocore hook on every client the process makes

from ledgerbridge.item_sizes import (  # DynamoDB's rules, shared with the tests
    item_size,
    write_units,
)

# "Amazon DynamoDB Pricing" / "DynamoDB item sizes" in the developer guide: per item and per index entry.
DYNAMODB_ITEM_OVERHEAD_BYTES = 100

DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
DYNAMODB_ITEM_WRITES = {"BatchWriteItem", "TransactWriteItems"}  # a write unit charge per item they write
DYNAMODB_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}


# ------------------------------------------------------------------------------------------------
# item sizes and capacity units


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # KEYS_ONLY, INCLUDE or ALL
    include: frozenset[str]

    def projected(self, item: dict[str, Any], table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        if not item or any(k not in item for k in self.keys):
            return None  # a sparse index: the item is not in it
        if self.projection == "ALL":
            return item
        names = set(self.keys) | set(table_keys) | (self.include if self.projection == "INCLUDE" else set())
        return {k: v for k, v in item.items() if k in names}


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]


class Capacity:
    """DynamoDB write and read units and item storage, from an uncounted client's view of the tables."""

    def __init__(self) -> None:
        import boto3

        self.client = boto3.client("dynamodb")  # created before the counting hook: never counted
        self.tables: dict[str, Table] = {}

    def table(self, name: str) -> Table:
        if name not in self.tables:
            t = self.client.describe_table(TableName=name)["Table"]
            indexes = tuple(
                Index(
                    g["IndexName"],
                    tuple(k["AttributeName"] for k in g["KeySchema"]),
                    g["Projection"]["ProjectionType"],
                    frozenset(g["Projection"].get("NonKeyAttributes", [])),
                )
                for g in t.get("GlobalSecondaryIndexes", [])
            )
            self.tables[name] = Table(name, tuple(k["AttributeName"] for k in t["KeySchema"]), indexes)
        return self.tables[name]

    def current(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.client.get_item(TableName=table, Key=key, ConsistentRead=True).get(
            "Item"
        )
        return item

    def key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.table(table).keys}

    def write_cost(self, table: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
        t = self.table(table)
        units = write_units(max(item_size(before), item_size(after)))
        for index in t.indexes:
            old = index.projected(before or {}, t.keys)
            new = index.projected(after or {}, t.keys)
            if old is None and new is None:
                continue
            if old is None or new is None:
                units += write_units(item_size(old if new is None else new))
            elif any(old[k] != new[k] for k in index.keys):
                units += write_units(item_size(old)) + write_units(item_size(new))
            elif old != new:
                units += write_units(max(item_size(old), item_size(new)))
        return units

    def age_contact(self, table: str, connection_id: str, minutes: float) -> None:
        """Move the connection's last contact back (the service's clock is the wall clock: this is a poll
        interval passing without waiting)."""
        item = self.current(table, {"connection_id": {"S": connection_id}})
        if not item or "last_contact_at" not in item:
            return
        stamp = "%Y-%m-%dT%H:%M:%S.%f+0000"  # PynamoDB's UTCDateTimeAttribute
        earlier = datetime.strptime(item["last_contact_at"]["S"], stamp) - timedelta(minutes=minutes)
        self.client.update_item(
            TableName=table,
            Key={"connection_id": {"S": connection_id}},
            UpdateExpression="SET last_contact_at = :t",
            ExpressionAttributeValues={":t": {"S": earlier.strftime(stamp)}},
        )

    def stored_bytes(self) -> int:
        """Every item and index entry of every table now, with DynamoDB's per-item overhead."""
        total = 0
        for name in self.client.list_tables()["TableNames"]:
            t = self.table(name)
            for page in self.client.get_paginator("scan").paginate(TableName=name):
                for item in page["Items"]:
                    total += item_size(item) + DYNAMODB_ITEM_OVERHEAD_BYTES
                    for index in t.indexes:
                        projected = index.projected(item, t.keys)
                        if projected is not None:
                            total += item_size(projected) + DYNAMODB_ITEM_OVERHEAD_BYTES
        return total


def _what_it_writes(operation: str, params: dict[str, Any]) -> str:
    """A write's attributes in a line: an update's expression with its names filled in, a put's attribute names."""
    if operation == "UpdateItem":
        text = str(params.get("UpdateExpression", ""))
        for placeholder, name in params.get("ExpressionAttributeNames", {}).items():
            text = text.replace(placeholder, name)
        return text
    if operation == "PutItem":
        return "put " + ",".join(sorted(params["Item"]))
    return operation


def _read_units(items: list[dict[str, Any]], consistent: bool) -> float:
    units = math.ceil(sum(item_size(i) for i in items) / 4096) or 1
    return units if consistent else units / 2


class AwsCost:
    """Counts every AWS call by service and operation, and DynamoDB's write and read units."""

    def __init__(self, capacity: Capacity) -> None:
        self.capacity = capacity
        self.calls: Counter[tuple[str, str]] = Counter()
        self.wru = 0
        self.rru = 0.0
        self.wru_by_write: Counter[str] = Counter()  # "table Operation" -> write units
        self.writes_by_write: Counter[str] = Counter()  # "table Operation" -> items written
        # `--trace-writes`: every write as it happens (table, call, units, what it set), to see where units go
        self.trace: list[str] | None = None

    def install(self) -> None:
        hook_every_client({"before-parameter-build": self._before, "after-call": self._after})

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(table, key) of every item a write touches."""
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"])]
        if operation == "PutItem":
            return [(params["TableName"], self.capacity.key_of(params["TableName"], params["Item"]))]
        out: list[tuple[str, dict[str, Any]]] = []
        if operation == "BatchWriteItem":
            for table, requests in params.get("RequestItems", {}).items():
                for r in requests:
                    if "PutRequest" in r:
                        out.append((table, self.capacity.key_of(table, r["PutRequest"]["Item"])))
                    else:
                        out.append((table, r["DeleteRequest"]["Key"]))
        elif operation == "TransactWriteItems":
            for t in params.get("TransactItems", []):
                (kind, body), *_ = t.items()
                if kind == "ConditionCheck":
                    out.append(("", {}))  # a condition check costs a write unit and writes nothing
                elif kind == "Put":
                    out.append((body["TableName"], self.capacity.key_of(body["TableName"], body["Item"])))
                else:
                    out.append((body["TableName"], body["Key"]))
        return out

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        self.calls[(service, operation)] += 1
        if service == "dynamodb" and (operation in DYNAMODB_WRITES or operation in DYNAMODB_ITEM_WRITES):
            touched = [
                (table, key, self.capacity.current(table, key) if table else None)
                for table, key in self._writes(operation, params)
            ]
            context["cost_writes"] = (operation, touched)
            if self.trace is not None:
                context["cost_trace"] = _what_it_writes(operation, params)
        elif service == "dynamodb" and operation in DYNAMODB_READS:
            context["cost_read"] = (operation, dict(params))

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # A refused conditional write still costs its write units (before and after are the same item).
        if "cost_writes" in context:
            operation, touched = context.pop("cost_writes")
            factor = 2 if operation == "TransactWriteItems" else 1
            for table, key, before in touched:
                if not table:
                    self.wru += factor
                    continue
                after = self.capacity.current(table, key)
                units = factor * self.capacity.write_cost(table, before, after)
                self.wru += units
                self.wru_by_write[f"{table.rsplit('-', 1)[-1]} {operation}"] += units
                self.writes_by_write[f"{table.rsplit('-', 1)[-1]} {operation}"] += 1
                if self.trace is not None:
                    self.trace.append(
                        f"{table.rsplit('-', 1)[-1]} {operation} {units} WRU: {context.get('cost_trace', '')}"
                    )
        elif "cost_read" in context:
            operation, params = context.pop("cost_read")
            consistent = bool(params.get("ConsistentRead"))
            if operation == "GetItem":
                self.rru += _read_units([parsed.get("Item") or {}], consistent)
            elif operation in ("Query", "Scan"):
                self.rru += _read_units(parsed.get("Items", []), consistent)
            elif operation == "BatchGetItem":
                for table, items in parsed.get("Responses", {}).items():
                    read = params.get("RequestItems", {}).get(table, {})
                    for item in items:
                        self.rru += _read_units([item], bool(read.get("ConsistentRead")))
            else:  # TransactGetItems: twice a consistent read
                for r in parsed.get("Responses", []):
                    self.rru += 2 * _read_units([r.get("Item") or {}], True)

    def snapshot(self) -> Figures:
        return Figures(Counter(self.calls), self.wru, self.rru)


@dataclass
class Figures:
    """AWS calls (by service and operation), DynamoDB units, and the gateway's requests with their time."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    wru: float = 0
    rru: float = 0
    requests: int = 0  # every request of either API (each one a Lambda invocation)
    lambda_ms: float = 0.0
    web_connector_requests: int = 0  # of which the Web Connector's (its HTTP API)
    http_api_units: int = 0  # those in the HTTP API's metering units (512 KB each)

    def __sub__(self, other: Figures) -> Figures:
        return Figures(
            self.calls - other.calls,
            self.wru - other.wru,
            self.rru - other.rru,
            self.requests - other.requests,
            self.lambda_ms - other.lambda_ms,
            self.web_connector_requests - other.web_connector_requests,
            self.http_api_units - other.http_api_units,
        )

    def scaled(self, factor: float) -> dict[str, float]:
        """Per unit figures times `factor`: calls by service, DynamoDB calls, units, requests, ms."""
        out: dict[str, float] = {}
        for (service, operation), n in self.calls.items():
            out[f"{service}:{operation}"] = n * factor
        out["wru"] = self.wru * factor
        out["rru"] = self.rru * factor
        out["requests"] = self.requests * factor
        out["lambda_ms"] = self.lambda_ms * factor
        out["web_connector_requests"] = self.web_connector_requests * factor
        out["http_api_units"] = self.http_api_units * factor
        return out

    def dynamodb_calls(self) -> int:
        return sum(n for (s, _), n in self.calls.items() if s == "dynamodb")
