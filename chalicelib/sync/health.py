"""Is the service able to work: can it reach its tables and its queue service?"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.aws import client
from chalicelib.dal.tables import check_tables


def problems() -> list[str]:
    found: list[str] = []
    try:
        missing = check_tables()
        found.extend(f"table {name} is missing" for name in missing)
    except (PynamoDBException, BotoCoreError, ClientError) as exc:
        found.append(f"DynamoDB is unreachable ({type(exc).__name__})")
    try:
        client("sqs").list_queues(MaxResults=1)
    except (BotoCoreError, ClientError) as exc:
        found.append(f"SQS is unreachable ({type(exc).__name__})")
    return found
