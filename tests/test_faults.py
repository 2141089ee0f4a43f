"""Faults at every OS call of a save, a full disk, and a random walk with injected faults.

Faults are real ``OSError``\\ s raised at the storage module's own ``os`` calls
(``test_store.OsProxy``), or a real file-size limit in a forked child; the
store under test is the real one on real files.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_store import OsProxy, _is_dir_fd, partner, temp_files

from patti.core import storage
from patti.core.errors import DurabilityUnknownError, NotFoundError, StoreWriteError
from patti.core.model import Partner
from patti.core.store import Store

CODES = {"EIO": errno.EIO, "ENOSPC": errno.ENOSPC, "EACCES": errno.EACCES}


def _temp_fd(fd: int) -> bool:
    return not _is_dir_fd(fd)


#: The calls of a save before the replace: a failure there must change nothing.
BEFORE_REPLACE: dict[str, Callable[..., bool]] = {
    "write": lambda *args: True,
    "fsync": _temp_fd,
    "replace": lambda *args: True,
}


def names_on_disk(path: Path) -> list[str]:
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return [doc["name"] for doc in data["partners"].values()]


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("call", sorted(BEFORE_REPLACE))
def test_a_failure_before_the_replace_leaves_the_store_as_it_was(
    store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: str
) -> None:
    store.add(partner("Alfa"))
    before = store_path.read_bytes()
    proxy = OsProxy()
    monkeypatch.setattr(storage, "os", proxy)
    proxy.fail(call, CODES[code], BEFORE_REPLACE[call])
    with pytest.raises(StoreWriteError, match="Nothing was changed"):
        store.add(partner("Beta"))
    assert store_path.read_bytes() == before
    assert [p.name for p in store.partners.all()] == ["Alfa"]
    assert temp_files(store_path) == []


@pytest.mark.parametrize("code", sorted(CODES))
def test_a_failed_folder_sync_says_the_save_happened_with_unknown_durability(
    store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    proxy = OsProxy()
    monkeypatch.setattr(storage, "os", proxy)
    proxy.fail("fsync", CODES[code], _is_dir_fd)
    with pytest.raises(DurabilityUnknownError, match="may not survive a power cut"):
        store.add(partner("Beta"))
    assert names_on_disk(store_path) == ["Beta"]
    assert [p.name for p in store.partners.all()] == ["Beta"]


def _fill_until_the_limit(path: str, limit: int) -> None:
    """In a forked child: cap the file size just above the store's, then add a big partner."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    store = Store.open(path)
    try:
        store.add(partner("Gamma", notes="x" * 19_000))
    except StoreWriteError as exc:
        os.write(1, str(exc).encode())
        os._exit(3)
    os._exit(0)


def test_a_full_disk_leaves_the_store_byte_identical(store: Store, store_path: Path) -> None:
    store.add(partner("Alfa"))
    store.close()
    before = store_path.read_bytes()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        os.dup2(write, 1)
        _fill_until_the_limit(str(store_path), len(before) + 1024)
    os.close(write)
    message = b""
    while chunk := os.read(read, 4096):
        message += chunk
    os.close(read)
    _pid, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 3, message
    assert "too large" in message.decode()
    assert store_path.read_bytes() == before
    with Store.open(store_path) as reopened:
        assert [p.name for p in reopened.partners.all()] == ["Alfa"]
        assert temp_files(store_path) == []


# -- a random walk with faults, against a model ------------------------------------------

FAULTS = [
    ("write", errno.ENOSPC, lambda *a: True),
    ("fsync", errno.EIO, _temp_fd),
    ("replace", errno.EACCES, lambda *a: True),
    ("fsync", errno.EIO, _is_dir_fd),  # after the replace: saved, durability unknown
]


class StoreWithFaults(RuleBasedStateMachine):
    """Random adds, renames, deletes and reopenings; now and then a save fails.

    The model is the acknowledged state: what the store said it saved (a
    folder-sync failure counts: the store says the change was saved). After
    every step the file on disk, read without the store, equals it.
    """

    def __init__(self) -> None:
        super().__init__()
        # A fresh folder per run: hypothesis replays runs, which must not see each other.
        self.folder = Path(tempfile.mkdtemp(dir=os.environ["PATTI_FAULTS_DIR"]))
        self.path = self.folder / "walk.json"
        self.proxy = OsProxy()
        self.real_os = storage.os
        storage.os = self.proxy  # type: ignore[assignment]
        self.store = Store.open(self.path)
        self.model: dict[int, str] = {}
        self.last_id = 0

    def teardown(self) -> None:
        storage.os = self.real_os
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _save(
        self, action: Callable[[], Any], apply: Callable[[], None], fault: int | None
    ) -> None:
        if fault is not None:
            call, code, when = FAULTS[fault]
            self.proxy.fail(call, code, when)
        try:
            action()
        except StoreWriteError:
            assert fault is not None and fault < 3
        except DurabilityUnknownError:
            assert fault == 3
            apply()
        else:
            assert fault is None
            apply()
        finally:
            self.proxy.heal()

    @rule(name=st.text(alphabet="abcdefgh", min_size=1, max_size=12),
          fault=st.none() | st.integers(0, 3))  # fmt: skip
    def add(self, name: str, fault: int | None) -> None:
        saved: list[Partner] = []

        def apply() -> None:
            # Ids are never reused: the new one follows the highest ever acknowledged.
            self.last_id += 1
            if saved:
                assert saved[0].id == self.last_id
            self.model[self.last_id] = name

        self._save(lambda: saved.append(self.store.add(partner(name))), apply, fault)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), fault=st.none() | st.integers(0, 3))
    def rename(self, data: st.DataObject, fault: int | None) -> None:
        record_id = data.draw(st.sampled_from(sorted(self.model)))
        current = self.store.partners.get(record_id)
        current.name = current.name + "!"

        def apply() -> None:
            self.model[record_id] = current.name

        self._save(lambda: self.store.update(current), apply, fault)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), fault=st.none() | st.integers(0, 3))
    def delete(self, data: st.DataObject, fault: int | None) -> None:
        record_id = data.draw(st.sampled_from(sorted(self.model)))

        def apply() -> None:
            del self.model[record_id]

        self._save(lambda: self.store.delete_partner(record_id), apply, fault)

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = Store.open(self.path)

    @invariant()
    def disk_equals_the_acknowledged_state(self) -> None:
        data = orjson.loads(self.path.read_bytes())
        on_disk = {int(k): doc["name"] for k, doc in data["partners"].items()}
        assert on_disk == self.model
        in_memory = {p.id: p.name for p in self.store.partners.all()}
        assert in_memory == self.model
        assert temp_files(self.path) == []

    @invariant()
    def deleted_ids_stay_gone(self) -> None:
        for missing in set(range(1, self.last_id + 1)) - set(self.model):
            with pytest.raises(NotFoundError):
                self.store.partners.get(missing)


@pytest.fixture
def walk_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATTI_FAULTS_DIR", str(tmp_path))
    return tmp_path


def test_the_file_always_equals_the_last_acknowledged_state(walk_folder: Path) -> None:
    run = StoreWithFaults.TestCase
    run.settings = settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    run().runTest()
