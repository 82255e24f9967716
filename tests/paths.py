"""Where the tests find the repo and the reference material (specs and samples, copied into the repo under
`tests/fixtures/reference/`, provenance in its SOURCES.md), so a clone alone runs every test."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
REFERENCE = FIXTURES / "reference"
QBXML_REFERENCE = REFERENCE / "qbxml"
QBXML_SAMPLES = QBXML_REFERENCE / "samples"
QBWC_REFERENCE = REFERENCE / "qbwc"
