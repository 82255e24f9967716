"""Store connectors: every kind of channel Ledgerbridge can fetch orders from, by kind."""

from __future__ import annotations

import importlib

from chalicelib.channels.base import ConnectorSpec

CHANNEL_KINDS = (
    "shopify",
    "shipstation",
    "woocommerce",
    "custom_store",
    "bigcommerce",
    "stripe",
    "square",
    "magento",
    "walmart",
    "amazon",
)


def spec(kind: str) -> ConnectorSpec:
    """The connector of a channel kind (modules are imported on first use: a Lambda loads only its own)."""
    if kind not in CHANNEL_KINDS:
        raise KeyError(kind)
    module = importlib.import_module(f"chalicelib.channels.{kind}")
    found: ConnectorSpec = module.SPEC
    return found
