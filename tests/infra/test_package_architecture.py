"""The Lambda zip's native libraries are for the machine the functions run on (`ledgerbridge.package.
check_architecture`): a library for another machine fails the build, not the first import in Lambda."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.package import (
    ELF_MACHINES,
    PackagingError,
    check_architecture,
    elf_machine,
    stage_architecture,
)

MACHINE_NUMBER = {name: number for number, name in ELF_MACHINES.items()}


def elf_header(machine: int, *, big_endian: bool = False) -> bytes:
    """The first 20 bytes of an ELF shared object (64-bit) for `machine`, padded as a real file would be."""
    order = "big" if big_endian else "little"
    ident = b"\x7fELF" + bytes([2, 2 if big_endian else 1, 1]) + bytes(9)
    return ident + (3).to_bytes(2, order) + machine.to_bytes(2, order) + bytes(44)


def make_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@given(machine=st.integers(0, 0xFFFF), big_endian=st.booleans())
def test_the_machine_is_read_from_the_elf_header(machine: int, big_endian: bool) -> None:
    assert elf_machine(elf_header(machine, big_endian=big_endian)) == ELF_MACHINES.get(machine, str(machine))


@given(st.binary(max_size=64).filter(lambda b: not b.startswith(b"\x7fELF")))
def test_anything_else_is_not_elf(data: bytes) -> None:
    assert elf_machine(data) is None


def test_a_zip_of_the_right_machine_passes_and_counts_its_libraries(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "deployment.zip",
        {
            "lxml/etree.cpython-311-aarch64-linux-gnu.so": elf_header(MACHINE_NUMBER["arm64"]),
            "cryptography/hazmat/bindings/_rust.abi3.so": elf_header(MACHINE_NUMBER["arm64"]),
            "pkg.libs/libz.so.1.2.13": elf_header(MACHINE_NUMBER["arm64"]),
            "app.py": b"print('x')\n",
            "docs/not-a-library.so": b"text that merely ends in .so",
        },
    )
    assert check_architecture(archive, "arm64") == 3


def test_a_library_for_another_machine_fails_the_build_and_is_named(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "deployment.zip",
        {
            "lxml/etree.cpython-311-aarch64-linux-gnu.so": elf_header(MACHINE_NUMBER["arm64"]),
            "_cffi_backend.cpython-311-x86_64-linux-gnu.so": elf_header(MACHINE_NUMBER["x86_64"]),
            "vendored/libodd.so.2": elf_header(20, big_endian=True),  # PowerPC
        },
    )
    with pytest.raises(PackagingError) as raised:
        check_architecture(archive, "arm64")
    message = str(raised.value)
    assert "_cffi_backend.cpython-311-x86_64-linux-gnu.so (x86_64)" in message
    assert "vendored/libodd.so.2 (20)" in message
    assert "etree" not in message


def test_the_stage_architecture_comes_from_chalices_config(tmp_path: Path) -> None:
    assert stage_architecture("prod") == "arm64"  # the deployed stage (.chalice/config.json)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"lambda_architecture": "arm64", "stages": {"a": {}, "b": {"lambda_architecture": "x86_64"}}}
        )
    )
    assert stage_architecture("a", config) == "arm64"
    assert stage_architecture("b", config) == "x86_64"
    config.write_text(json.dumps({"stages": {"a": {}}}))
    assert stage_architecture("a", config) == "x86_64"  # Chalice's default
