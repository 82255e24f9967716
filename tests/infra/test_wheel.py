"""The built wheel carries every data file the code reads (issue 12, part 5).

The wheel is built offline (`pip wheel --no-build-isolation --no-index`, with the venv's setuptools) from
a copy of pyproject.toml and the two packages in a temporary directory, so the build never writes
`build/` or egg-info into the working tree. Then:
  * every non-Python file under `chalicelib/` and `ledgerbridge/` (the dashboard's pages, the qbXML 13.0
    XSD files and their notice) is in the wheel: a data file added later without a `package-data` entry
    fails here;
  * the wheel, unpacked alone, validates qbXML against its own XSD files and serves the dashboard's page,
    run in a fresh interpreter whose only source of the packages is the unpacked wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.paths import REPO

PACKAGES = ("chalicelib", "ledgerbridge")


def _data_files() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".py", ".pyc"}:
                found.add(path.relative_to(REPO).as_posix())
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("wheel-src")
    shutil.copy2(REPO / "pyproject.toml", src / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    dist = src / "dist"
    offline = ["--no-deps", "--no-build-isolation", "--no-index", "-q"]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *offline, "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = dist.glob("ledgerbridge-*.whl")
    return built


def test_the_packages_have_data_files_to_check() -> None:
    files = _data_files()
    assert "ledgerbridge/schema/qbxmlops130.xsd" in files
    assert "chalicelib/dashboard/index.html" in files


def test_wheel_carries_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_data_files() - names)
    assert not missing, f"not in {wheel.name} (add them to [tool.setuptools.package-data]): {missing}"


def test_unpacked_wheel_alone_reads_its_data(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import sys\n"
        "from ledgerbridge import qbxml_schema\n"
        "from chalicelib.api import pages\n"
        f"assert qbxml_schema.SCHEMA_DIR.is_relative_to({str(site)!r}), qbxml_schema.SCHEMA_DIR\n"
        "errors = qbxml_schema.schema_errors(b'<QBXML><QBXMLMsgsRq/></QBXML>')\n"
        "assert errors and 'onError' in ' '.join(errors), errors\n"
        "assert qbxml_schema.schema_errors("
        "b'<QBXML><QBXMLMsgsRq onError=\"stopOnError\"/></QBXML>') == []\n"
        "assert '<html' in (pages.DASHBOARD_DIR / 'index.html').read_text().lower()\n"
    )
    # -I: isolated mode (no cwd, no PYTHONPATH, no user site), so the packages come from the wheel only.
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n{probe}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
