"""Shared fixtures for the simulator tests: a company on disk with a ticking clock, request files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ledgerbridge.simulators.company import CompanySimulator
from tests.paths import FIXTURES

REQUESTS = FIXTURES / "simulators"
PACIFIC = timezone(timedelta(hours=-7))


class TickClock:
    """2024-05-22T10:00:00-07:00, one second later at every reading."""

    def __init__(self) -> None:
        self.moment = datetime(2024, 5, 22, 10, 0, 0, tzinfo=PACIFIC)

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


def request(name: str, **replacements: str) -> str:
    """The request file `tests/fixtures/simulators/<name>`, with `{{KEY}}` placeholders filled in."""
    text = (REQUESTS / name).read_text(encoding="utf-8")
    for key, value in replacements.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def found(company: CompanySimulator, kind: str, name: str) -> dict[str, Any]:
    """`company.find()`, asserting the object exists."""
    obj = company.find(kind, name)
    assert obj is not None, f"no {kind} named {name!r}"
    return obj


def parse(response: str) -> etree._Element:
    return etree.fromstring(response.encode("utf-8"))


def rs(response: str, index: int = 0) -> etree._Element:
    """The index-th `*Rs` element of a response document."""
    msgs = parse(response).find("QBXMLMsgsRs")
    assert msgs is not None
    return list(msgs)[index]


def status(element: etree._Element) -> tuple[int, str, str]:
    return (
        int(element.get("statusCode", "-1")),
        element.get("statusSeverity", ""),
        element.get("statusMessage", ""),
    )


@pytest.fixture
def company_path(tmp_path: Path) -> Path:
    return tmp_path / "blue-heron.json"


@pytest.fixture
def company(company_path: Path) -> CompanySimulator:
    return CompanySimulator.open(company_path, clock=TickClock())
