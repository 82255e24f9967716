"""The Web Connector use cases with the figures of each session that ends (chalicelib/api/qbwc.py)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from chalicelib.dal.tickets import Session
from chalicelib.observability import BusinessMetric, count
from chalicelib.sync.web_connector import WebConnectorService

__all__ = ["ORDER_COUNTS", "MeteredWebConnector"]

# Session summary counts (chalicelib/sync/settle_orders.py) and the metric each one feeds.
ORDER_COUNTS: Final[Mapping[str, BusinessMetric]] = MappingProxyType(
    {
        "orders_synced": BusinessMetric.ORDERS_SYNCED,
        "orders_failed": BusinessMetric.ORDERS_FAILED,
        "orders_retried": BusinessMetric.ORDERS_RETRIED,
    }
)


class MeteredWebConnector(WebConnectorService):
    """The Web Connector use cases, plus the figures of each session that ends during the call (closed,
    failed, or abandoned when another session took over): `_end` is where every session ends."""

    def _end(self, session: Session, outcome: str, *, state: str = "closed") -> None:
        super()._end(session, outcome, state=state)
        count(BusinessMetric.SESSIONS)
        if outcome != "completed":
            count(BusinessMetric.SESSIONS_FAILED)
        counts = session.summary.get("counts", {})
        for name, metric in ORDER_COUNTS.items():
            value = counts.get(name, 0) if isinstance(counts, dict) else 0
            count(metric, value if isinstance(value, int) else 0)
