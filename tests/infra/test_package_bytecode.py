"""The Lambda zip carries compiled bytecode (`ledgerbridge.package.compile_bytecode`): Lambda's /var/task is
read-only, so without it every cold start compiles every module it imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from ledgerbridge.package import compile_bytecode

TAG = sys.implementation.cache_tag  # cpython-311


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("app.py", "from pkg.mod import VALUE\n")
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("pkg/mod.py", "VALUE = 42\n")
        info = zipfile.ZipInfo("bin/tool")
        info.external_attr = 0o755 << 16
        zf.writestr(info, "#!/bin/sh\n")
        zf.writestr("pkg/data.xsd", "<schema/>")


def test_every_module_gets_an_unchecked_hash_pyc_and_nothing_else_changes(tmp_path: Path) -> None:
    archive = tmp_path / "deployment.zip"
    _zip(archive)
    assert compile_bytecode(archive) == 3
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert {
            f"__pycache__/app.{TAG}.pyc",
            f"pkg/__pycache__/mod.{TAG}.pyc",
            f"pkg/__pycache__/__init__.{TAG}.pyc",
        } <= names
        assert {"app.py", "pkg/mod.py", "pkg/data.xsd", "bin/tool"} <= names
        assert zf.getinfo("bin/tool").external_attr >> 16 == 0o755  # modes are kept
        pyc = zf.read(f"pkg/__pycache__/mod.{TAG}.pyc")
        assert pyc[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, not checked: zip times do not matter
        zf.extractall(tmp_path / "task")
    # Imported from a read-only copy as Lambda does, the module comes from the pyc (no source compiled).
    task = tmp_path / "task"
    (task / "pkg" / "mod.py").write_text("VALUE = 'source would say this'\n")  # unchecked: the pyc wins
    out = subprocess.run(
        [sys.executable, "-B", "-c", "import app; print(app.VALUE)"],
        cwd=task,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "42"
