"""Encryption at rest for the embedded local stack's state directory.

The state file and the write-ahead journal hold store credentials (Secrets Manager's values), live Web
Connector tickets (bearer credentials until their TTL) and the merchants' customers. Both are sealed with
AES-256-GCM under a key generated on first run into `<state dir>/state.key`; every file is created with mode
0600 (given to `open(2)`, never chmod-ed afterwards, so no other user can ever read a partial file).

What this protects: copies of `state.json` or a journal (backups, a sync folder, a file attached to a bug
report) and other local users. What it does not: someone who can read the whole state directory as the
merchant's user (the key sits beside the data, as an OS keyring would be needed for more).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "state.key"
NONCE_BYTES = 12
PRIVATE = 0o600


def create_private(path: Path, data: bytes = b"") -> None:
    """Write a new file readable by its owner only (0600 from the start); fails if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(path: Path) -> None:
    """Make a file's creation, rename or removal in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`: a 0600 temporary file, fsync-ed, renamed, directory fsync-ed.
    After a crash the file is either the old one or the new one, whole."""
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # left by a crash mid-write
    create_private(tmp, data)
    tmp.replace(path)
    fsync_dir(path.parent)


class Sealer:
    """AES-256-GCM with the state directory's key; `purpose` is bound as associated data, so a record
    cannot be passed off as another kind (a journal record as the state file, or one journal's as another's)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> Sealer:
        """The directory's key, generated (0600) on first use."""
        path = state_dir / KEY_FILE
        if not path.exists():
            state_dir.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                create_private(path, AESGCM.generate_key(bit_length=256))
                fsync_dir(state_dir)
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path} is not a 256-bit key; remove the state directory to start afresh")
        return cls(key)

    def seal(self, plaintext: bytes, purpose: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, purpose)

    def open(self, sealed: bytes, purpose: bytes) -> bytes:
        """The plaintext; raises cryptography's InvalidTag when the data was altered or is not ours."""
        return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose)
