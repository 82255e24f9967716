"""Creating the tables (the local stack and tests; CloudFormation does it in AWS) and checking them."""

from __future__ import annotations

from chalicelib.dal.models import (
    ALL_MODELS,
    FetchRunModel,
    LoginFailureModel,
    PayloadModel,
    SyncRunModel,
    TicketModel,
)


def create_tables() -> list[str]:
    """Create every table that does not exist yet and switch on TTL where records expire (tickets, fetch runs, payloads, login failures,
    sync runs). Returns the names."""
    names = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
        names.append(model.Meta.table_name)
    TicketModel.update_ttl(ignore_update_ttl_errors=True)
    FetchRunModel.update_ttl(ignore_update_ttl_errors=True)
    PayloadModel.update_ttl(ignore_update_ttl_errors=True)
    LoginFailureModel.update_ttl(ignore_update_ttl_errors=True)
    SyncRunModel.update_ttl(ignore_update_ttl_errors=True)
    return names


def check_tables() -> list[str]:
    """Names of the tables that cannot be reached (empty when storage is healthy)."""
    return [m.Meta.table_name for m in ALL_MODELS if not m.exists()]
