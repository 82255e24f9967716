"""Where the tests find the repo and the shared reference material (`../shared` beside the clone)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = REPO.parent / "shared" / "reference"
QBXML_SAMPLES = SHARED_REFERENCE / "qbxml" / "samples"
QBWC_REFERENCE = SHARED_REFERENCE / "qbwc"
FIXTURES = REPO / "tests" / "fixtures"
