"""Telling storage errors apart by DynamoDB's response code, never by message text."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.models import Model

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


def condition_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in (CONDITIONAL_CHECK_FAILED, TRANSACTION_CANCELED)


def updated(item: Model, actions: list[Any], condition: Any) -> bool:
    """Apply `actions` to `item` (a model naming the item's key) if `condition` holds: False when it does not, any
    other storage error raised."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True
