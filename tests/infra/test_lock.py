"""requirements.lock (what `make` installs, `pip --require-hashes`) agrees with the requirement files it is made
from: a pin changed in requirements.txt or requirements-dev.txt without `make lock` fails here."""

from __future__ import annotations

import re

from tests.paths import REPO

PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#\\]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def test_every_pin_of_the_requirement_files_is_locked_at_its_version() -> None:
    locked = _pins((REPO / "requirements.lock").read_text())
    wanted = _pins((REPO / "requirements.txt").read_text()) | _pins(
        (REPO / "requirements-dev.txt").read_text()
    )
    assert len(wanted) > 15
    assert {name: locked.get(name) for name in wanted} == wanted


def test_every_locked_package_has_hashes_and_no_local_index() -> None:
    text = (REPO / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text)[1:]
    assert len(entries) > 50
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
    # the lock must work on any machine: no index or wheel folder of the machine that made it
    assert "--extra-index-url" not in text and "--find-links" not in text and "file://" not in text
