"""The store: records, integrity, transactions, refused files, the lock, failed writes.

Every test uses a real TinyDB file in ``tmp_path`` and the real Store. Write
failures are injected at the OS calls the storage module makes (its ``os``
name is swapped for a proxy that raises the chosen ``OSError``), never by
replacing the store's own code. A second instance is a real second process
(``tests/store_worker.py``), because a lock may be re-entrant within one.
"""

from __future__ import annotations

import errno
import json
import os
import select
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
import pytest
from filelock import FileLock

from patti.core import storage
from patti.core.errors import (
    ConflictError,
    DurabilityUnknownError,
    ForeignFileError,
    IntegrityError,
    NewerSchemaError,
    NotFoundError,
    ReadOnlyError,
    StoreCorruptError,
    StoreError,
    StoreWriteError,
)
from patti.core.model import (
    Activity,
    ContactPerson,
    Indicator,
    Membership,
    Pact,
    Partner,
    PartnerKind,
)
from patti.core.storage import TEMP_SUFFIX, temp_prefix
from patti.core.store import SCHEMA_VERSION, Store

WORKER = Path(__file__).with_name("store_worker.py")
ANSWER_TIMEOUT = 60.0  # a hung worker fails the test instead of hanging the run


# -- builders -----------------------------------------------------------------


def partner(name: str = "Associazione Alfa", **fields: Any) -> Partner:
    fields.setdefault("kind", PartnerKind.ASSOCIATION)
    return Partner(name=name, **fields)


def pact(code: str, members: tuple[int, ...] = (), **fields: Any) -> Pact:
    return Pact(
        code=code,
        title=f"Patto {code}",
        type="generic",
        year=2025,
        members=[Membership(partner_id=m) for m in members],
        **fields,
    )


def activity(pact_id: int, partner_ids: tuple[int, ...] = (), **fields: Any) -> Activity:
    return Activity(
        pact_id=pact_id,
        title="Visita",
        starts_at=datetime(2025, 3, 1, 10, 0),
        partner_ids=list(partner_ids),
        **fields,
    )


def stored_tables(path: Path) -> dict[str, Any]:
    """The file as JSON, read without the store: what a crash would leave."""
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def temp_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{temp_prefix(path)}*"))


def write_store(path: Path, *names: str) -> bytes:
    """A closed store file holding partners ``names``; returns its bytes."""
    with Store.open(path) as created:
        for name in names:
            created.add(partner(name))
    return path.read_bytes()


# -- fault injection at the OS calls of the storage module ----------------------


class OsProxy:
    """Stands in for ``os`` inside ``patti.core.storage`` only.

    Calls pass through to the real ``os`` unless a fault is armed for them;
    ``os.replace`` calls are recorded so a test can count durable writes.
    """

    _WATCHED = frozenset({"open", "write", "fsync", "replace"})

    def __init__(self) -> None:
        self.replaced: list[Path] = []
        self.max_write: int | None = None
        self._faults: dict[str, tuple[int, Callable[..., bool]]] = {}

    def fail(self, name: str, code: int, when: Callable[..., bool] = lambda *args: True) -> None:
        self._faults[name] = (code, when)

    def heal(self) -> None:
        self._faults.clear()

    def writes_to(self, path: Path) -> int:
        return sum(1 for target in self.replaced if Path(target) == path)

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in self._WATCHED:
            return real

        def call(*args: Any) -> Any:
            fault = self._faults.get(name)
            if fault is not None and fault[1](*args):
                raise OSError(fault[0], os.strerror(fault[0]))
            if name == "write" and self.max_write is not None:
                args = (args[0], args[1][: self.max_write])
            result = real(*args)
            if name == "replace":
                self.replaced.append(Path(args[1]))
            return result

        return call


def _is_dir_fd(fd: int) -> bool:
    return stat.S_ISDIR(os.fstat(fd).st_mode)


def _creates_file(path: Any, flags: int, *rest: Any) -> bool:
    return bool(flags & os.O_CREAT)


@pytest.fixture
def os_proxy(monkeypatch: pytest.MonkeyPatch) -> OsProxy:
    proxy = OsProxy()
    monkeypatch.setattr(storage, "os", proxy)
    return proxy


# -- a second process ---------------------------------------------------------------


class WorkerProcess:
    """A Store in another process, driven one JSON command at a time."""

    def __init__(self, log: Path) -> None:
        self._log: IO[str] = log.open("w")
        self._log_path = log
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    def send(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        if not select.select([self.proc.stdout], [], [], ANSWER_TIMEOUT)[0]:
            self.proc.kill()
            raise AssertionError(f"worker gave no answer to {op}: {self._log_path.read_text()}")
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            raise AssertionError(f"worker died: {self._log_path.read_text()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write('{"op": "exit"}\n')
                self.proc.stdin.close()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[[], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def spawn() -> WorkerProcess:
        worker = WorkerProcess(tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield spawn
    for worker in started:
        worker.stop()


# -- records ----------------------------------------------------------------------


def test_add_assigns_id_and_revision_one(store: Store) -> None:
    saved = store.add(partner())
    assert (saved.id, saved.revision) == (1, 1)
    assert saved.created_at is not None and saved.created_at == saved.updated_at


def test_each_table_numbers_its_own_ids(store: Store) -> None:
    p = store.add(partner())
    pc = store.add(pact("P-1", members=(1,)))
    a = store.add(activity(1, partner_ids=(1,)))
    assert (p.id, pc.id, a.id) == (1, 1, 1)
    assert {p.revision, pc.revision, a.revision} == {1}


def test_add_refuses_a_record_that_already_has_an_id(store: Store) -> None:
    with pytest.raises(IntegrityError):
        store.add(partner(id=7))
    assert len(store.partners) == 0


def test_get_all_and_len_return_saved_records(store: Store) -> None:
    first = store.add(partner("Alfa"))
    second = store.add(partner("Beta"))
    assert store.partners.get(2) == second
    assert store.partners.all() == [first, second]
    assert len(store.partners) == 2


def test_get_of_missing_id_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.partners.get(1)
    assert store.partners.find(1) is None


def test_update_bumps_revision_and_keeps_created_at(store: Store) -> None:
    saved = store.add(partner("Alfa"))
    saved.name = "Alfa APS"
    updated = store.update(saved)
    assert updated.revision == 2
    assert updated.created_at == saved.created_at
    assert store.partners.get(1).name == "Alfa APS"


def test_reopening_gives_equal_models(store_path: Path) -> None:
    with Store.open(store_path) as first:
        first.add(partner("Alfa"))
        first.add(
            partner(
                "Scuola Rodari",
                parent_id=1,
                zones=["quartiere-nord"],
                contacts=[ContactPerson(key="preside", name="Ada Rossi", email="ada@example.org")],
            )
        )
        first.add(
            pact(
                "P-1",
                members=(1, 2),
                indicators=[Indicator(key="ore", label="Ore", target=10.5)],
                details={"nested": {"list": [1, "due"]}},
            )
        )
        first.add(activity(1, partner_ids=(2,), place_partner_id=1, audience_count=25))
        expected = (first.partners.all(), first.pacts.all(), first.activities.all())
    with Store.open(store_path) as reopened:
        assert (reopened.partners.all(), reopened.pacts.all(), reopened.activities.all()) == (
            expected
        )


# -- lost updates -------------------------------------------------------------------


def test_stale_update_is_refused_and_file_unchanged(store: Store, store_path: Path) -> None:
    store.add(partner("Alfa"))
    mine = store.partners.get(1)
    theirs = store.partners.get(1)
    mine.name = "Alfa (mine)"
    store.update(mine)
    before = store_path.read_bytes()
    theirs.name = "Alfa (theirs)"
    with pytest.raises(ConflictError):
        store.update(theirs)
    assert store_path.read_bytes() == before
    assert store.partners.get(1).name == "Alfa (mine)"


def test_update_of_a_deleted_record_raises_not_found(store: Store) -> None:
    stale = store.add(partner())
    store.delete_partner(1)
    with pytest.raises(NotFoundError):
        store.update(stale)
    assert len(store.partners) == 0


# -- referential integrity -------------------------------------------------------------


def test_pact_with_missing_member_is_refused(store: Store, store_path: Path) -> None:
    store.add(partner())
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError, match="99"):
        store.add(pact("P-1", members=(1, 99)))
    assert store_path.read_bytes() == before
    assert len(store.pacts) == 0


def test_activity_with_missing_pact_is_refused(store: Store, store_path: Path) -> None:
    store.add(partner())
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.add(activity(5, partner_ids=(1,)))
    assert store_path.read_bytes() == before


def test_activity_with_missing_participant_is_refused(store: Store, store_path: Path) -> None:
    store.add(partner())
    store.add(pact("P-1", members=(1,)))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.add(activity(1, partner_ids=(1, 42)))
    assert store_path.read_bytes() == before


def test_activity_with_missing_host_is_refused(store: Store, store_path: Path) -> None:
    store.add(pact("P-1"))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.add(activity(1, place_partner_id=3))
    assert store_path.read_bytes() == before


def test_partner_with_missing_parent_is_refused(store: Store, store_path: Path) -> None:
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.add(partner("Scuola", parent_id=8))
    assert store_path.read_bytes() == before
    assert len(store.partners) == 0


def test_deleting_a_partner_in_a_pact_is_refused_naming_the_pact(
    store: Store, store_path: Path
) -> None:
    store.add(partner("Alfa"))
    store.add(pact("PDC-2025-07", members=(1,)))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError, match="PDC-2025-07"):
        store.delete_partner(1)
    assert store_path.read_bytes() == before
    assert store.partners.exists(1)


def test_deleting_a_partner_in_an_activity_is_refused(store: Store, store_path: Path) -> None:
    store.add(partner("Alfa"))
    store.add(partner("Beta"))
    store.add(pact("P-1", members=(1,)))
    store.add(activity(1, partner_ids=(2,)))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.delete_partner(2)
    assert store_path.read_bytes() == before


def test_deleting_a_parent_partner_is_refused(store: Store, store_path: Path) -> None:
    store.add(partner("IC Rodari", kind=PartnerKind.SCHOOL_INSTITUTE))
    store.add(partner("Scuola Rodari", kind=PartnerKind.SCHOOL, parent_id=1))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.delete_partner(1)
    assert store_path.read_bytes() == before


def test_detaching_a_partner_removes_every_reference_in_one_write(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    store.add(partner("IC Rodari", kind=PartnerKind.SCHOOL_INSTITUTE))
    store.add(partner("Beta"))
    store.add(partner("Scuola Rodari", kind=PartnerKind.SCHOOL, parent_id=1))
    store.add(pact("P-1", members=(1, 2)))
    store.add(activity(1, partner_ids=(1, 2), place_partner_id=1))
    os_proxy.replaced.clear()

    store.delete_partner(1, detach=True)

    assert os_proxy.writes_to(store_path) == 1
    store.close()
    with Store.open(store_path) as reopened:
        assert not reopened.partners.exists(1)
        assert [m.partner_id for m in reopened.pacts.get(1).members] == [2]
        visit = reopened.activities.get(1)
        assert (visit.partner_ids, visit.place_partner_id, visit.place) == ([2], None, "IC Rodari")
        assert reopened.partners.get(3).parent_id is None
        assert reopened.check() == []


def test_deleting_a_pact_with_activities_is_refused(store: Store, store_path: Path) -> None:
    store.add(pact("P-1"))
    store.add(activity(1))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError, match="P-1"):
        store.delete_pact(1)
    assert store_path.read_bytes() == before
    assert store.pacts.exists(1) and store.activities.exists(1)


def test_cascading_pact_delete_removes_only_its_activities(store: Store) -> None:
    store.add(pact("P-1"))
    store.add(pact("P-2"))
    store.add(activity(1))
    store.add(activity(2))
    store.add(activity(1))
    assert store.delete_pact(1, cascade=True) == [1, 3]
    assert [a.id for a in store.activities.all()] == [2]
    assert [p.code for p in store.pacts.all()] == ["P-2"]


def test_deleting_a_predecessor_clears_the_successors_link(store: Store) -> None:
    store.add(pact("P-2024"))
    store.add(pact("P-2025", predecessor_id=1))
    store.delete_pact(1)
    successor = store.pacts.get(2)
    assert successor.predecessor_id is None
    assert successor.revision == 2


def test_parent_cycle_is_refused(store: Store, store_path: Path) -> None:
    store.add(partner("A"))
    store.add(partner("B", parent_id=1))
    store.add(partner("C", parent_id=2))
    top = store.partners.get(1)
    top.parent_id = 3
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.update(top)
    assert store_path.read_bytes() == before
    assert store.partners.get(1).parent_id is None


def test_predecessor_cycle_is_refused(store: Store, store_path: Path) -> None:
    store.add(pact("P-1"))
    store.add(pact("P-2", predecessor_id=1))
    store.add(pact("P-3", predecessor_id=2))
    first = store.pacts.get(1)
    first.predecessor_id = 3
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.update(first)
    assert store_path.read_bytes() == before


def test_duplicate_pact_code_is_refused_on_add(store: Store, store_path: Path) -> None:
    store.add(pact("P-1"))
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError, match="P-1"):
        store.add(pact("P-1"))
    assert store_path.read_bytes() == before
    assert len(store.pacts) == 1


def test_duplicate_pact_code_is_refused_on_update(store: Store, store_path: Path) -> None:
    store.add(pact("P-1"))
    second = store.add(pact("P-2"))
    second.code = "P-1"
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        store.update(second)
    assert store_path.read_bytes() == before


# -- ids --------------------------------------------------------------------------


def test_ids_are_not_reused_after_deleting_the_highest(store: Store) -> None:
    store.add(partner("A"))
    store.add(partner("B"))
    store.delete_partner(2)
    assert store.add(partner("C")).id == 3


def test_ids_are_not_reused_after_deleting_the_highest_and_reopening(store_path: Path) -> None:
    with Store.open(store_path) as first:
        first.add(pact("P-1"))
        first.add(pact("P-2"))
        first.delete_pact(2)
    with Store.open(store_path) as reopened:
        assert reopened.add(pact("P-3")).id == 3


# -- transactions ---------------------------------------------------------------------


def test_transaction_commits_many_adds_as_one_write(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    before = store_path.read_bytes()
    with store.transaction():
        for n in range(20):
            store.add(partner(f"P{n}"))
        assert store_path.read_bytes() == before
        assert os_proxy.writes_to(store_path) == 0
    assert os_proxy.writes_to(store_path) == 1
    assert len(stored_tables(store_path)["partners"]) == 20


def test_nested_transactions_join_the_outer_write(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    with store.transaction():
        store.add(partner("A"))
        with store.transaction():
            store.add(partner("B"))
        assert os_proxy.writes_to(store_path) == 0
    assert os_proxy.writes_to(store_path) == 1
    assert len(store.partners) == 2


def test_exception_in_transaction_leaves_memory_and_file_unchanged(store_path: Path) -> None:
    write_store(store_path, "Alfa")
    before = store_path.read_bytes()
    with Store.open(store_path) as opened:
        with pytest.raises(RuntimeError), opened.transaction():
            opened.add(partner("Beta"))
            opened.add(pact("P-1", members=(1, 2)))
            raise RuntimeError("operator cancelled")
        assert [p.name for p in opened.partners.all()] == ["Alfa"]
        assert len(opened.pacts) == 0
    assert store_path.read_bytes() == before
    with Store.open(store_path) as reopened:
        assert [p.name for p in reopened.partners.all()] == ["Alfa"]
        assert reopened.add(partner("Gamma")).id == 2


# -- schema version ----------------------------------------------------------------------


def test_schema_version_is_stored_in_the_meta_table(store: Store, store_path: Path) -> None:
    meta_rows = stored_tables(store_path)["_meta"]
    assert [row["schema_version"] for row in meta_rows.values()] == [SCHEMA_VERSION]
    assert store.schema_version == SCHEMA_VERSION


@pytest.mark.parametrize("readonly", [False, True], ids=["writable", "readonly"])
def test_newer_schema_is_refused_and_file_untouched(store_path: Path, readonly: bool) -> None:
    write_store(store_path, "Alfa")
    data = stored_tables(store_path)
    data["_meta"]["1"]["schema_version"] = SCHEMA_VERSION + 1
    store_path.write_bytes(orjson.dumps(data))
    before = store_path.read_bytes()
    with pytest.raises(NewerSchemaError):
        Store.open(store_path, readonly=readonly)
    assert store_path.read_bytes() == before


# -- refused files -------------------------------------------------------------------------

REFUSED_FILES = [
    pytest.param(lambda valid: b"", StoreCorruptError, id="zero-bytes"),
    pytest.param(lambda valid: valid[: len(valid) // 2], StoreCorruptError, id="truncated"),
    pytest.param(lambda valid: b'{"_default": {"1": {"a": 1}}}', ForeignFileError, id="tinydb"),
    pytest.param(lambda valid: b"[1,2,3]", ForeignFileError, id="json-list"),
    pytest.param(lambda valid: bytes(range(128, 256)) * 8, StoreCorruptError, id="non-utf8"),
]


@pytest.mark.parametrize(("damage", "error"), REFUSED_FILES)
@pytest.mark.parametrize("readonly", [False, True], ids=["writable", "readonly"])
def test_damaged_or_foreign_file_is_refused_and_never_overwritten(
    store_path: Path,
    damage: Callable[[bytes], bytes],
    error: type[Exception],
    readonly: bool,
) -> None:
    store_path.write_bytes(damage(write_store(store_path, "Alfa", "Beta", "Gamma")))
    before = store_path.read_bytes()
    for _attempt in range(2):
        with pytest.raises(error):
            Store.open(store_path, readonly=readonly)
        assert store_path.read_bytes() == before
    assert temp_files(store_path) == []


def test_readonly_open_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Store.open(tmp_path / "missing.json", readonly=True)
    assert list(tmp_path.iterdir()) == []


def test_refused_open_releases_the_lock(store_path: Path) -> None:
    store_path.write_bytes(b"")
    with pytest.raises(StoreCorruptError):
        Store.open(store_path)
    lock = FileLock(store_path.with_name(store_path.name + ".lock"), timeout=0)
    lock.acquire()
    lock.release()


# -- orphan temp files -------------------------------------------------------------------------


def test_orphan_temp_files_are_removed_at_writable_open_and_never_loaded(
    store_path: Path,
) -> None:
    before = write_store(store_path, "Alfa")
    garbage = store_path.with_name(f"{temp_prefix(store_path)}x{TEMP_SUFFIX}")
    garbage.write_bytes(b'{"_meta": {"1": {"format": "pat')
    valid_looking = store_path.with_name(f"{temp_prefix(store_path)}y{TEMP_SUFFIX}")
    valid_looking.write_bytes(write_store(store_path.with_name("other.json"), "Intruso"))
    unrelated = store_path.with_name("notes.tmp")
    unrelated.write_bytes(b"keep me")

    with Store.open(store_path) as opened:
        assert [p.name for p in opened.partners.all()] == ["Alfa"]
    assert temp_files(store_path) == []
    assert unrelated.read_bytes() == b"keep me"
    assert store_path.read_bytes() == before


def test_readonly_open_leaves_temp_files_alone(store_path: Path) -> None:
    """A reader cannot know whether a temp file is the live writer's save in progress."""
    write_store(store_path, "Alfa")
    in_progress = store_path.with_name(f"{temp_prefix(store_path)}x{TEMP_SUFFIX}")
    in_progress.write_bytes(b"{")
    with Store.open(store_path, readonly=True) as opened:
        assert len(opened.partners) == 1
    assert in_progress.read_bytes() == b"{"


# -- the lock: a second process ------------------------------------------------------------------


def test_second_process_opens_readonly_naming_the_holder(
    store: Store, store_path: Path, spawn_worker: Callable[[], WorkerProcess]
) -> None:
    answer = spawn_worker().send("open", path=str(store_path))
    assert answer["ok"] and answer["readonly"]
    assert f"process {os.getpid()}" in answer["reason"]


def test_readonly_second_process_cannot_write(
    store: Store, store_path: Path, spawn_worker: Callable[[], WorkerProcess]
) -> None:
    store.add(partner("Alfa"))
    before = store_path.read_bytes()
    worker = spawn_worker()
    worker.send("open", path=str(store_path))
    refusals = [
        worker.send("add", name="Beta"),
        worker.send("rename", id=1, name="Alfa?"),
        worker.send("delete", id=1),
    ]
    assert [r.get("error") for r in refusals] == ["ReadOnlyError"] * 3
    assert store_path.read_bytes() == before
    assert worker.send("names")["names"] == {"1": "Alfa"}


def test_closing_a_readonly_instance_keeps_the_holder_known(
    store: Store, store_path: Path, spawn_worker: Callable[[], WorkerProcess]
) -> None:
    reader = spawn_worker()
    reader.send("open", path=str(store_path))
    reader.send("close")
    answer = spawn_worker().send("open", path=str(store_path))
    assert f"process {os.getpid()}" in answer["reason"]


def test_after_the_holder_closes_a_new_open_is_writable(
    store_path: Path, spawn_worker: Callable[[], WorkerProcess]
) -> None:
    worker = spawn_worker()
    with Store.open(store_path):
        assert worker.send("open", path=str(store_path))["readonly"] is True
        worker.send("close")
    answer = worker.send("open", path=str(store_path))
    assert (answer["readonly"], answer["reason"]) == (False, None)
    assert worker.send("add", name="Alfa") == {"ok": True, "id": 1}


def test_writer_processes_taking_turns_lose_nothing(
    store_path: Path, spawn_worker: Callable[[], WorkerProcess]
) -> None:
    first, second = spawn_worker(), spawn_worker()
    assert first.send("open", path=str(store_path))["readonly"] is False
    for n in range(3):
        first.send("add", name=f"A{n}")
    assert second.send("open", path=str(store_path))["readonly"] is True
    assert second.send("add", name="B-refused")["error"] == "ReadOnlyError"
    for n in range(3, 6):
        first.send("add", name=f"A{n}")
    first.send("close")
    second.send("close")

    assert second.send("open", path=str(store_path))["readonly"] is False
    second.send("add", name="B0")
    second.send("close")

    with Store.open(store_path) as final:
        names = [p.name for p in final.partners.all()]
    assert names == [f"A{n}" for n in range(6)] + ["B0"]


# -- failed writes ---------------------------------------------------------------------------

FAILURES_BEFORE_REPLACE = [
    pytest.param("open", errno.EACCES, _creates_file, id="open-temp-EACCES"),
    pytest.param("write", errno.ENOSPC, lambda *a: True, id="write-ENOSPC"),
    pytest.param("fsync", errno.EIO, lambda fd: not _is_dir_fd(fd), id="fsync-temp-EIO"),
    pytest.param("replace", errno.EACCES, lambda *a: True, id="replace-EACCES"),
]


@pytest.mark.parametrize(("call", "code", "when"), FAILURES_BEFORE_REPLACE)
def test_failure_before_replace_changes_nothing(
    store: Store,
    store_path: Path,
    os_proxy: OsProxy,
    call: str,
    code: int,
    when: Callable[..., bool],
) -> None:
    store.add(partner("Alfa"))
    before = store_path.read_bytes()
    os_proxy.fail(call, code, when)
    with pytest.raises(StoreWriteError):
        store.add(partner("Beta"))
    assert store_path.read_bytes() == before
    assert [p.name for p in store.partners.all()] == ["Alfa"]
    assert store.partners.find(2) is None
    assert temp_files(store_path) == []


def test_failed_update_leaves_the_old_record_in_memory(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    saved = store.add(partner("Alfa"))
    saved.name = "Alfa APS"
    before = store_path.read_bytes()
    os_proxy.fail("replace", errno.EIO)
    with pytest.raises(StoreWriteError):
        store.update(saved)
    current = store.partners.get(1)
    assert (current.name, current.revision) == ("Alfa", 1)
    assert store_path.read_bytes() == before


def test_failed_detach_leaves_every_reference_in_memory(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    store.add(partner("Alfa"))
    store.add(pact("P-1", members=(1,)))
    before = store_path.read_bytes()
    os_proxy.fail("write", errno.ENOSPC)
    with pytest.raises(StoreWriteError):
        store.delete_partner(1, detach=True)
    assert store.partners.exists(1)
    assert store.pacts.get(1).partner_ids() == {1}
    assert store_path.read_bytes() == before


def test_disk_full_is_named_in_the_message(store: Store, os_proxy: OsProxy) -> None:
    os_proxy.fail("write", errno.ENOSPC)
    with pytest.raises(StoreWriteError, match="disk is full"):
        store.add(partner())


def test_store_keeps_working_after_a_failed_write(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    os_proxy.fail("replace", errno.EIO)
    with pytest.raises(StoreWriteError):
        store.add(partner("Lost"))
    os_proxy.heal()
    saved = store.add(partner("Kept"))
    assert saved.id == 1
    assert [row["name"] for row in stored_tables(store_path)["partners"].values()] == ["Kept"]


def test_folder_fsync_failure_reports_unknown_durability_but_keeps_the_change(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    store.add(partner("Alfa"))
    os_proxy.fail("fsync", errno.EIO, _is_dir_fd)
    with pytest.raises(DurabilityUnknownError):
        store.add(partner("Beta"))
    assert [row["name"] for row in stored_tables(store_path)["partners"].values()] == [
        "Alfa",
        "Beta",
    ]
    assert store.partners.get(2).name == "Beta"
    assert temp_files(store_path) == []


def test_short_os_writes_still_save_the_whole_file(
    store: Store, store_path: Path, os_proxy: OsProxy
) -> None:
    os_proxy.max_write = 7
    store.add(partner("Alfa", notes="n" * 500))
    store.close()
    with Store.open(store_path) as reopened:
        assert reopened.partners.get(1).notes == "n" * 500


# -- regressions: bugs found and fixed --------------------------------------------------


def test_a_closed_store_refuses_writes(store_path: Path) -> None:
    """After close another process may hold the lock: a late write would overwrite its work."""
    closed = Store.open(store_path)
    closed.close()
    with Store.open(store_path) as successor:
        successor.add(partner("Written by the new holder"))
        before = store_path.read_bytes()
        with pytest.raises(ReadOnlyError):
            closed.add(partner("Written after close"))
        assert store_path.read_bytes() == before


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_writing_through_a_symlink_updates_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "patti.json"
    real.parent.mkdir()
    write_store(real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with Store.open(link) as opened:
        opened.add(partner("Alfa"))
    assert link.is_symlink()
    assert [row["name"] for row in stored_tables(real)["partners"].values()] == ["Alfa"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_second_writer_through_a_symlink_is_readonly(
    tmp_path: Path, spawn_worker: Callable[[], WorkerProcess]
) -> None:
    real = tmp_path / "patti.json"
    link = tmp_path / "alias.json"
    with Store.open(real):
        link.symlink_to(real)
        answer = spawn_worker().send("open", path=str(link))
        assert answer["readonly"] is True


def test_orphans_are_removed_when_the_store_name_has_glob_characters(tmp_path: Path) -> None:
    path = tmp_path / "patti[2025].json"
    write_store(path, "Alfa")
    orphan = path.with_name(f"{temp_prefix(path)}x{TEMP_SUFFIX}")
    orphan.write_bytes(b"{")
    Store.open(path).close()
    assert not orphan.exists()


def test_orphan_cleanup_leaves_other_stores_temp_files_alone(tmp_path: Path) -> None:
    """'[1]' in a glob matches '1': opening 'p[1].json' deleted '.p1.json.*.tmp'."""
    path = tmp_path / "p[1].json"
    neighbour_temp = tmp_path / f".p1.json.x{TEMP_SUFFIX}"
    neighbour_temp.write_bytes(b"another store's save in progress")
    Store.open(path).close()
    assert neighbour_temp.exists()
