"""DynamoDB's item-size rules, by the Developer Guide's "Item sizes and formats": what a write unit (1 KB) and a
read unit (4 KB) are counted on. The cost benchmark (bench/aws_meter.py) bills every call with them, and the tests
that keep an item under a kilobyte measure it with them; moto does not report capacity."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["item_size", "value_size", "write_units"]


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON value (numbers: about a byte per two significant digits, and one more)."""
    (kind, v), *_ = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        digits = len(str(v).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(x) if isinstance(x, bytes) else len(str(x).encode()) for x in v)
    if kind == "NS":
        return sum(value_size({"N": x}) for x in v)
    if kind == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(x) + 1 for k, x in v.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None, names: set[str] | None = None) -> int:
    """Bytes of an item (its attribute names and values), or of those of its attributes `names` lists."""
    if not item:
        return 0
    return sum(len(k.encode()) + value_size(v) for k, v in item.items() if names is None or k in names)


def write_units(size: int) -> int:
    """Write units of one write of an item of `size` bytes (a unit per KB, at least one)."""
    return max(1, math.ceil(size / 1024))
