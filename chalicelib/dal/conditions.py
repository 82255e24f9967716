"""Telling storage errors apart by DynamoDB's response code, never by message text."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


def condition_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in (CONDITIONAL_CHECK_FAILED, TRANSACTION_CANCELED)
