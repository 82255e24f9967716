"""Everything that differs between AWS and the embedded local stack: endpoints, names, limits.

The code never branches on where it runs; it only reads these values (from the environment, which
`.chalice/config.json` sets in AWS and `ledgerbridge dev` sets locally).
"""

from __future__ import annotations

import os
import uuid
from functools import lru_cache
from typing import NamedTuple

# A fixed namespace so a deployment's default OwnerID is stable for its stage name.
_OWNER_NAMESPACE = uuid.UUID("6f1d4f3e-2a51-4c1b-9d0e-3c7b8a5e2f10")


class Settings(NamedTuple):
    """This deployment's values, read once per process (`get_settings`). A NamedTuple, not a dataclass: every cold
    Lambda builds it at import, where a frozen dataclass of this size costs ~1.5-3 ms to build (its methods are
    compiled) and a NamedTuple a fifth of that. A changed copy is `settings._replace(...)`."""

    stage: str
    region: str
    aws_endpoint_url: str | None
    table_prefix: str
    queue_prefix: str
    public_url: str | None
    owner_id: str
    app_name: str
    session_lease_seconds: int
    ticket_ttl_seconds: int
    job_visibility_seconds: int
    max_job_receives: int
    login_failures_before_backoff: int
    login_backoff_seconds: int
    login_backoff_max_seconds: int
    login_failure_window_seconds: int
    item_page_size: int
    inventory_page_size: int
    sales_page_size: int
    orders_per_message_set: int
    retry_delay_seconds: int
    message_set_bytes: int
    fetch_function_arn: str
    scheduler_role_arn: str
    schedule_group: str
    kms_key_id: str | None
    allow_private_store_urls: bool
    fetch_overlap_seconds: int
    fetch_lease_seconds: int
    store_api_urls: dict[str, str]
    # The daily summary e-mail: sent through SES from `summary_from` to `summary_to` in AWS; on the local
    # stack (an AWS endpoint is set) written as a file under `mail_dir` instead.
    # The Web Connector's own front door (an HTTP API in AWS: chalicelib/api/web_connector_gateway.py), the base
    # of the .qwc files' AppURL and AppSupport; None: the URL the REST API was reached at (the local stack).
    web_connector_base_url: str | None = None
    summary_from: str = ""
    summary_to: str = ""
    mail_dir: str = ".local/mail"

    def table_name(self, short: str) -> str:
        return f"{self.table_prefix}{short}"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = os.environ.get("LEDGERBRIDGE_STAGE", "local")
    prefix = os.environ.get("LEDGERBRIDGE_RESOURCE_PREFIX", f"ledgerbridge-{stage}-")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        table_prefix=prefix,
        queue_prefix=prefix,
        public_url=(os.environ.get("LEDGERBRIDGE_PUBLIC_URL") or "").rstrip("/") or None,
        web_connector_base_url=(os.environ.get("LEDGERBRIDGE_WEB_CONNECTOR_BASE_URL") or "").rstrip("/")
        or None,
        owner_id=os.environ.get("LEDGERBRIDGE_OWNER_ID") or str(uuid.uuid5(_OWNER_NAMESPACE, prefix)),
        app_name=os.environ.get("LEDGERBRIDGE_APP_NAME", "Ledgerbridge"),
        session_lease_seconds=_int("LEDGERBRIDGE_SESSION_LEASE_SECONDS", 180),
        ticket_ttl_seconds=_int("LEDGERBRIDGE_TICKET_TTL_SECONDS", 86_400),
        job_visibility_seconds=_int("LEDGERBRIDGE_JOB_VISIBILITY_SECONDS", 900),
        max_job_receives=_int("LEDGERBRIDGE_MAX_JOB_RECEIVES", 5),
        # Wrong Web Connector passwords are slowed per source (IP address), never by locking the connection:
        # after 5 from one source it waits 60 s, doubling with each further one up to 15 minutes; a source
        # quiet for a day starts over (chalicelib/dal/connections.py `Backoff`).
        login_failures_before_backoff=_int("LEDGERBRIDGE_LOGIN_FAILURES_BEFORE_BACKOFF", 5),
        login_backoff_seconds=_int("LEDGERBRIDGE_LOGIN_BACKOFF_SECONDS", 60),
        login_backoff_max_seconds=_int("LEDGERBRIDGE_LOGIN_BACKOFF_MAX_SECONDS", 900),
        login_failure_window_seconds=_int("LEDGERBRIDGE_LOGIN_FAILURE_WINDOW_SECONDS", 86_400),
        item_page_size=_int("LEDGERBRIDGE_ITEM_PAGE_SIZE", 500),
        # Inventory items per answer with IncludeRetElement (~170 bytes each: ~85 KB per answer); sales with
        # their lines per answer (a few KB each).
        inventory_page_size=_int("LEDGERBRIDGE_INVENTORY_PAGE_SIZE", 500),
        sales_page_size=_int("LEDGERBRIDGE_SALES_PAGE_SIZE", 50),
        orders_per_message_set=_int("LEDGERBRIDGE_ORDERS_PER_MESSAGE_SET", 100),
        retry_delay_seconds=_int("LEDGERBRIDGE_RETRY_DELAY_SECONDS", 60),
        message_set_bytes=_int("LEDGERBRIDGE_MESSAGE_SET_BYTES", 1_000_000),
        # Scheduler targets: set by the deployment template; local placeholders are never called.
        fetch_function_arn=os.environ.get("LEDGERBRIDGE_FETCH_FUNCTION_ARN")
        or f"arn:aws:lambda:us-east-1:000000000000:function:ledgerbridge-{stage}-fetch_channel",
        scheduler_role_arn=os.environ.get("LEDGERBRIDGE_SCHEDULER_ROLE_ARN")
        or "arn:aws:iam::000000000000:role/ledgerbridge-scheduler",
        schedule_group=os.environ.get("LEDGERBRIDGE_SCHEDULE_GROUP") or f"{prefix}channels".strip("-"),
        kms_key_id=os.environ.get("LEDGERBRIDGE_KMS_KEY_ID") or None,
        # Only the local stack and tests talk to stores on loopback; in AWS store URLs must be public.
        allow_private_store_urls=os.environ.get("LEDGERBRIDGE_ALLOW_PRIVATE_STORE_URLS", "") == "true",
        fetch_overlap_seconds=_int("LEDGERBRIDGE_FETCH_OVERLAP_SECONDS", 120),
        fetch_lease_seconds=_int("LEDGERBRIDGE_FETCH_LEASE_SECONDS", 900),
        store_api_urls=_urls(os.environ.get("LEDGERBRIDGE_STORE_API_URLS", "")),
        summary_from=os.environ.get("LEDGERBRIDGE_SUMMARY_FROM", ""),
        summary_to=os.environ.get("LEDGERBRIDGE_SUMMARY_TO", ""),
        mail_dir=os.environ.get("LEDGERBRIDGE_MAIL_DIR") or ".local/mail",
    )


def _urls(raw: str) -> dict[str, str]:
    """'shipstation=http://127.0.0.1:9000,...' (vendor hosts that are fixed in production: fakes only)."""
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {kind.strip(): url.strip() for kind, url in pairs}
