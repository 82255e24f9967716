from __future__ import annotations

import pytest

from chalicelib.orders.model import Order

from .helpers import load


@pytest.fixture
def us_order() -> Order:
    return load("us_web_order")


@pytest.fixture
def uk_order() -> Order:
    return load("uk_marketplace_order")
