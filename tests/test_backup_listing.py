"""Listing backups remembers good verdicts, and never trusts them for a changed file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_store import partner

from patti.core import backup
from patti.core.backup import BackupError
from patti.core.store import Store


@pytest.fixture
def written(store: Store) -> Path:
    store.add(partner("Alfa"))
    return backup.write_backup(store)


def _spoil_keeping_size_and_times(path: Path) -> None:
    stat = path.stat()
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"Alfa")] = ord("B")
    path.write_bytes(bytes(raw))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_good_verdict_is_remembered_for_an_unchanged_file(
    store: Store, store_path: Path, written: Path
) -> None:
    first = backup.list_backups(store_path)
    assert [(b.path, b.ok) for b in first] == [(written, True)]
    assert (written.parent / ".verified.json").exists()
    _spoil_keeping_size_and_times(written)
    # Same size, inode and time: the listing trusts its verdict (it did not read the file)...
    assert backup.list_backups(store_path) == first
    # ...but a restore reads and verifies the file afresh.
    with pytest.raises(BackupError, match="checksum"):
        backup.restore(store, written)


def test_a_changed_file_is_verified_again(store_path: Path, written: Path) -> None:
    assert backup.list_backups(store_path)[0].ok
    raw = bytearray(written.read_bytes())
    raw[raw.index(b"Alfa")] = ord("B")
    written.write_bytes(bytes(raw) + b"\n")
    listing = backup.list_backups(store_path)[0]
    assert not listing.ok
    assert listing.problem is not None and "checksum" in listing.problem


def test_a_damaged_verdict_file_only_costs_a_new_reading(store_path: Path, written: Path) -> None:
    (written.parent / ".verified.json").write_bytes(b"\x00not json")
    assert backup.list_backups(store_path)[0].ok
    assert backup.list_backups(store_path)[0].created_at is not None
