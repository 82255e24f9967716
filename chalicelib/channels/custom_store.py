"""A custom store in pull mode: Ledgerbridge calls the merchant's own endpoint (documented in the README).

    GET <base_url>/orders?updated_since=<ISO 8601>&updated_until=<ISO 8601>&limit=<n>[&cursor=<token>]
    Authorization: Basic <username:password>
    200 {"orders": [<canonical order>, ...], "next_cursor": "<token>" | null, "total": <int, optional>}

Orders are in the canonical JSON of the push API, oldest `updated_at` first; `updated_since` and
`updated_until` are inclusive. A store without credentials is in push mode and is never fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from chalicelib.channels.base import (
    ConnectorSpec,
    CredentialField,
    FatalError,
    FetchedOrder,
    Http,
    HttpOptions,
    Page,
    Window,
    canonical,
    check_store_url,
    iso_z,
    parse_time,
)

PAGE_SIZE = 250


class CustomStore:
    vendor: ClassVar[str] = "Your store"

    def __init__(self, credentials: Mapping[str, str], options: HttpOptions) -> None:
        self.base_url = check_store_url(
            credentials.get("base_url", ""),
            allow_private=options.allow_private_urls,
            what="store's API address",
        )
        self.page_size = options.page_size or PAGE_SIZE
        self.http = Http(
            vendor="your store's API",
            base_url=self.base_url,
            options=options,
            auth=(credentials.get("username", ""), credentials.get("password", "")),
            rejected="Your store's API rejected the user name and password.",
            not_found=f"Your store's API has no /orders endpoint at {self.base_url}.",
        )

    def check_credentials(self) -> str:
        self._get({"updated_since": "2000-01-01T00:00:00Z", "limit": 1})
        return self.base_url

    def fetch_page(self, window: Window, token: str | None) -> Page:
        params: dict[str, Any] = {"updated_until": iso_z(window.until), "limit": self.page_size}
        if window.since is not None:
            params["updated_since"] = iso_z(window.since)
        if token:
            params["cursor"] = token
        body = self._get(params)
        orders = [_fetched(raw) for raw in body["orders"]]
        next_cursor = body.get("next_cursor")
        total = body.get("total")
        return Page(
            orders=sorted(orders, key=lambda o: o.updated_at),
            next_token=str(next_cursor) if next_cursor else None,
            total=total if isinstance(total, int) else None,
        )

    def _get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        response = self.http.request("GET", "/orders", params=params)
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError(
                "Your store's API did not answer with JSON (see the README for the format)."
            ) from exc
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise FatalError('Your store\'s API must answer {"orders": [...], "next_cursor": ...}.')
        return body


def _fetched(raw: Any) -> FetchedOrder:
    order_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""
    try:
        updated = parse_time(raw.get("updated_at") or raw.get("created_at"))
    except (ValueError, AttributeError):
        from datetime import UTC, datetime

        updated = datetime.now(UTC)
    return canonical(
        order_id, updated, str(raw.get("number", "")) if isinstance(raw, dict) else "", lambda: raw
    )


SPEC = ConnectorSpec(
    kind="custom_store",
    vendor="Custom store",
    fields=(
        CredentialField("base_url", "API address", secret=False, required=False, help="empty: push mode"),
        CredentialField("username", "User name", secret=False, required=False),
        CredentialField("password", "Password", secret=True, required=False),
    ),
    build=CustomStore,
)
