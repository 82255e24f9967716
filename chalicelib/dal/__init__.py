"""Storage: PynamoDB models and the repositories that are the only code touching DynamoDB."""

from __future__ import annotations

from chalicelib.dal.models import configure
from chalicelib.settings import get_settings

configure(get_settings())

__all__ = ["configure"]
