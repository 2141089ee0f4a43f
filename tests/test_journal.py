"""The journal of a big store: appended commits, torn tails, compaction, kills and faults.

A store journals its commits once its file passes ``JOURNAL_FROM_BYTES``
(1 MiB). Here the thresholds are lowered so that small, fast stores take
the journal path; everything else is the real store on real files. The
kill trials and the random walk with faults are those of
``test_durability`` and ``test_faults``, run on the journal.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant
from test_durability import SEED_RECORDS, Trial, _expected_states, _inspect, _run_trial
from test_faults import StoreWithFaults
from test_store import OsProxy, _is_dir_fd, activity, pact, partner, temp_files

from patti.core import backup, storage
from patti.core.errors import (
    DurabilityUnknownError,
    IntegrityError,
    StoreCorruptError,
    StoreWriteError,
)
from patti.core.model import Partner, PartnerKind
from patti.core.store import Store


def _journal_everything(monkeypatch: pytest.MonkeyPatch, budget: int = 64 << 10) -> None:
    monkeypatch.setattr(storage, "JOURNAL_FROM_BYTES", 0)
    monkeypatch.setattr(storage, "JOURNAL_MIN_BUDGET", budget)
    monkeypatch.setattr(storage, "JOURNAL_MAX_BYTES", budget)


@pytest.fixture
def journaled(monkeypatch: pytest.MonkeyPatch) -> None:
    _journal_everything(monkeypatch)


def journal_of(path: Path) -> Path:
    return storage.journal_path_of(path)


def names_in(store: Store) -> dict[int, str]:
    return {p.id: p.name for p in store.partners.all() if p.id is not None}


def names_read_back(path: Path) -> dict[int, str]:
    """What a fresh reader sees: the file with the journal replayed."""
    with Store.open(path, readonly=True) as reader:
        return names_in(reader)


# -- the journal path -----------------------------------------------------------------


@pytest.mark.usefixtures("journaled")
def test_commits_append_to_the_journal_and_leave_the_file_alone(store_path: Path) -> None:
    store = Store.open(store_path)
    first = store_path.read_bytes()
    store.add(partner("Alfa"))
    store.add(partner("Beta"))
    assert store_path.read_bytes() == first
    lines = journal_of(store_path).read_bytes().splitlines()
    assert len(lines) == 3  # the header and one line per commit
    assert store.journal_records == 2
    assert names_read_back(store_path) == {1: "Alfa", 2: "Beta"}
    store.close()


@pytest.mark.usefixtures("journaled")
def test_a_transaction_is_one_journal_line(store: Store, store_path: Path) -> None:
    with store.transaction():
        for n in range(50):
            store.add(partner(f"P{n}"))
    assert len(journal_of(store_path).read_bytes().splitlines()) == 2
    assert len(names_read_back(store_path)) == 50


@pytest.mark.usefixtures("journaled")
def test_close_folds_the_journal_into_the_file_and_removes_it(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.add(partner("Alfa"))
        pact_id = store.add(pact("PdC-1")).id
        assert pact_id is not None
        store.add(activity(pact_id))
    assert not journal_of(store_path).exists()
    data: dict[str, Any] = orjson.loads(store_path.read_bytes())
    assert [doc["name"] for doc in data["partners"].values()] == ["Alfa"]
    assert [doc["code"] for doc in data["pacts"].values()] == ["PdC-1"]
    assert len(data["activities"]) == 1
    with Store.open(store_path) as reopened:
        assert reopened.check() == []
        reopened.add(partner("Beta"))  # a new journal continues the folded file
        assert journal_of(store_path).exists()
    assert names_read_back(store_path) == {1: "Alfa", 2: "Beta"}


def test_a_small_store_never_has_a_journal(store: Store, store_path: Path) -> None:
    for n in range(20):
        store.add(partner(f"P{n}"))
    assert not journal_of(store_path).exists()
    assert storage.JOURNAL_KEY.encode() not in store_path.read_bytes()


def test_a_store_past_the_threshold_starts_journaling(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "JOURNAL_FROM_BYTES", 12_000)
    with Store.open(store_path) as store:
        store.add(partner("Big", notes="x" * 15_000))
        before = store_path.read_bytes()
        assert journal_of(store_path).exists()
        store.add(partner("Small"))
        assert store_path.read_bytes() == before
        assert store.journal_records == 1
    assert names_read_back(store_path) == {1: "Big", 2: "Small"}


def test_a_journal_past_its_budget_is_folded_into_the_file(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _journal_everything(monkeypatch, budget=4_000)
    with Store.open(store_path) as store:
        sizes = set()
        for n in range(40):
            store.add(partner(f"P{n}", notes="n" * 200))
            sizes.add(len(store_path.read_bytes()))
            assert journal_of(store_path).stat().st_size <= 4_000
        assert len(sizes) > 3  # the file was rewritten several times along the way
        assert len(names_read_back(store_path)) == 40


@pytest.mark.usefixtures("journaled")
def test_a_reader_sees_the_journal_and_changes_nothing(store_path: Path) -> None:
    store = Store.open(store_path)
    store.add(partner("Alfa"))
    files = (store_path.read_bytes(), journal_of(store_path).read_bytes())
    assert names_read_back(store_path) == {1: "Alfa"}
    assert (store_path.read_bytes(), journal_of(store_path).read_bytes()) == files
    store.close()


# -- crashes: torn tails, damage, stale journals ---------------------------------------------


def _crashed_store(store_path: Path, *names: str) -> bytes:
    """A journaled store whose writer died without closing (no fold at close)."""
    store = Store.open(store_path)
    for name in names:
        store.add(partner(name))
    journal = journal_of(store_path).read_bytes()
    store._lock.release()  # type: ignore[union-attr]  # die without closing
    return journal


@pytest.mark.usefixtures("journaled")
@pytest.mark.parametrize("cut", [1, 9, 20, -1])
def test_a_torn_last_commit_is_dropped_and_the_rest_survives(store_path: Path, cut: int) -> None:
    journal = _crashed_store(store_path, "Alfa", "Beta")
    torn_line = storage._journal_line({("partners", "3"): {"name": "Gamma"}})
    journal_of(store_path).write_bytes(journal + torn_line[:cut])
    with Store.open(store_path) as store:
        assert names_in(store) == {1: "Alfa", 2: "Beta"}
        assert journal_of(store_path).read_bytes() == journal  # cut back before appending
        store.add(partner("Delta"))
    assert names_read_back(store_path) == {1: "Alfa", 2: "Beta", 3: "Delta"}


@pytest.mark.usefixtures("journaled")
def test_a_last_line_with_a_bad_checksum_is_dropped(store_path: Path) -> None:
    journal = _crashed_store(store_path, "Alfa")
    line = bytearray(storage._journal_line({("partners", "2"): {"name": "Beta"}}))
    line[12] ^= 1  # a flipped bit in the body
    journal_of(store_path).write_bytes(journal + bytes(line))
    with Store.open(store_path) as store:
        assert names_in(store) == {1: "Alfa"}


@pytest.mark.usefixtures("journaled")
def test_damage_before_the_last_line_is_refused_and_nothing_is_overwritten(
    store_path: Path,
) -> None:
    journal = bytearray(_crashed_store(store_path, "Alfa", "Beta", "Gamma"))
    second_line = journal.index(b"\n") + 1
    journal[second_line + 12] ^= 1
    journal_of(store_path).write_bytes(bytes(journal))
    files = (store_path.read_bytes(), bytes(journal))
    with pytest.raises(StoreCorruptError, match="damaged before its last record"):
        Store.open(store_path)
    with pytest.raises(StoreCorruptError):
        Store.open(store_path, readonly=True)
    assert (store_path.read_bytes(), journal_of(store_path).read_bytes()) == files


@pytest.mark.usefixtures("journaled")
def test_a_journal_of_another_file_generation_is_never_replayed(store_path: Path) -> None:
    _crashed_store(store_path, "Alfa")
    stale = journal_of(store_path).read_bytes()
    with Store.open(store_path) as store:
        store.compact()  # a new generation: the old journal no longer continues the file
        store.add(partner("Beta"))
    # A crash during a compaction leaves the new file beside the old journal.
    journal_of(store_path).write_bytes(
        stale + storage._journal_line({("partners", "9"): {"name": "Ghost", "kind": "school"}})
    )
    with Store.open(store_path) as store:
        assert names_in(store) == {1: "Alfa", 2: "Beta"}


# -- restore ------------------------------------------------------------------------


@pytest.mark.usefixtures("journaled")
def test_a_restore_is_never_mixed_with_the_journal_it_replaces(
    store: Store, store_path: Path, tmp_path: Path
) -> None:
    store.add(partner("Alfa"))
    saved = backup.write_backup(store, tmp_path / "b.json")
    store.add(partner("Beta"))
    backup.restore(store, saved)
    assert names_in(store) == {1: "Alfa"}
    store.add(partner("Gamma"))  # Beta's id stays used after the restore
    assert names_read_back(store_path) == {1: "Alfa", 3: "Gamma"}
    store._lock.release()  # type: ignore[union-attr]  # crash: no fold at close
    with Store.open(store_path) as reopened:
        assert names_in(reopened) == {1: "Alfa", 3: "Gamma"}


# -- faults on the journal's own OS calls --------------------------------------------------


@pytest.mark.usefixtures("journaled")
@pytest.mark.parametrize(
    ("call", "code"), [("write", errno.ENOSPC), ("fsync", errno.EIO), ("open", errno.EACCES)]
)
def test_a_failed_append_changes_nothing(
    store: Store,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    call: str,
    code: int,
) -> None:
    store.add(partner("Alfa"))
    files = (store_path.read_bytes(), journal_of(store_path).read_bytes())
    proxy = OsProxy()
    monkeypatch.setattr(storage, "os", proxy)
    proxy.fail(call, code)
    with pytest.raises(StoreWriteError, match="Nothing was changed"):
        store.add(partner("Beta"))
    proxy.heal()
    assert (store_path.read_bytes(), journal_of(store_path).read_bytes()) == files
    assert names_in(store) == {1: "Alfa"}
    store.add(partner("Gamma"))  # the failed add took no id: it was rolled back whole
    assert names_read_back(store_path) == {1: "Alfa", 2: "Gamma"}


class _NoTruncate(OsProxy):
    """The cut after a failed fsync fails too: a stray line may stay in the journal."""

    def __getattr__(self, name: str) -> Any:
        if name == "ftruncate":

            def refuse(*args: Any) -> None:
                raise OSError(errno.EIO, "ftruncate")

            return refuse
        return super().__getattr__(name)


@pytest.mark.usefixtures("journaled")
def test_a_stray_line_left_by_a_failed_append_is_never_replayed_after_the_next_commit(
    store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add(partner("Alfa"))
    proxy = _NoTruncate()
    monkeypatch.setattr(storage, "os", proxy)
    proxy.fail("fsync", errno.EIO, lambda fd: not _is_dir_fd(fd))
    with pytest.raises(StoreWriteError):
        store.add(partner("Beta"))
    proxy.heal()
    store.add(partner("Gamma"))  # rewrites the file with a new generation
    store._lock.release()  # type: ignore[union-attr]
    with Store.open(store_path) as reopened:
        assert names_in(reopened) == {1: "Alfa", 2: "Gamma"}


def test_a_failed_compaction_changes_nothing_and_keeps_the_journal(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _journal_everything(monkeypatch, budget=2_000)
    store = Store.open(store_path)
    n = 0
    while store.journal_records < 2 or journal_of(store_path).stat().st_size < 1_200:
        store.add(partner(f"P{n}"))
        n += 1
    files = (store_path.read_bytes(), journal_of(store_path).read_bytes())
    proxy = OsProxy()
    monkeypatch.setattr(storage, "os", proxy)
    proxy.fail("replace", errno.EACCES)
    with pytest.raises(StoreWriteError):
        store.add(partner("Too big for the journal", notes="z" * 1_500))
    proxy.heal()
    assert (store_path.read_bytes(), journal_of(store_path).read_bytes()) == files
    assert len(names_in(store)) == n
    assert temp_files(store_path) == []
    store.add(partner("After"))
    assert len(names_read_back(store_path)) == n + 1
    store.close()


@pytest.mark.usefixtures("journaled")
def test_a_failed_folder_sync_in_a_compaction_keeps_the_change(
    store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add(partner("Alfa"))
    proxy = OsProxy()
    monkeypatch.setattr(storage, "os", proxy)
    proxy.fail("fsync", errno.EIO, _is_dir_fd)
    with pytest.raises(DurabilityUnknownError):
        store.compact()
    proxy.heal()
    store.add(partner("Beta"))  # no journal continues an unsynced file: this rewrites it
    assert names_read_back(store_path) == {1: "Alfa", 2: "Beta"}


# -- the change feed and the code index -----------------------------------------------------


def test_the_change_feed_names_what_each_commit_changed(store: Store, tmp_path: Path) -> None:
    start = store.version
    alfa = store.add(partner("Alfa"))
    after_add = store.version
    with store.transaction():
        store.add(partner("Beta"))
        alfa.name = "Alfa bis"
        store.update(alfa)
    assert store.changes_since(after_add) == {"partners": {1, 2}, "_meta": {1}}
    assert store.changes_since(start) == {"partners": {1, 2}, "_meta": {1}}
    assert store.changes_since(store.version) == {}
    version = store.version
    with pytest.raises(RuntimeError), store.transaction():
        store.add(partner("Rolled back"))
        raise RuntimeError("abandon")
    assert store.version == version  # a rolled-back transaction is no change
    store.delete_partner(2)
    assert store.changes_since(version) == {"partners": {2}}
    saved = backup.write_backup(store, tmp_path / "b.json")
    backup.restore(store, saved)
    assert store.changes_since(version) is None  # a restore: rebuild
    assert store.changes_since(store.version + 1) is None


def test_two_pacts_with_one_code_are_refused_inside_one_transaction(
    store: Store, store_path: Path
) -> None:
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError, match=r"(?i)pdc-7"), store.transaction():
        store.add(pact("PdC-7"))
        store.add(pact("pdc-7"))
    assert store_path.read_bytes() == before
    store.add(pact("PdC-7"))  # the rolled-back one left no trace in the code index
    with pytest.raises(IntegrityError):
        store.add(pact("PDC-7"))
    renamed = store.pacts.get(1)
    renamed.code = "PdC-8"
    store.update(renamed)
    store.add(pact("PdC-7"))  # the old code is free again


# -- kill -9 during commits and compactions, on the journal ---------------------------------

KILL_TRIALS = 120


@pytest.fixture(scope="module")
def journal_kill_trials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Trial]]:
    with pytest.MonkeyPatch.context() as patch:
        # ~700-byte commits, a 12 kB journal budget: a compaction every ~15 commits, each
        # rewriting a ~370 kB file, so kills land in appends and in compactions.
        _journal_everything(patch, budget=12_000)
        base = tmp_path_factory.mktemp("journal-kill")
        seed_path = base / "seed.json"
        with Store.open(seed_path) as seed, seed.transaction():
            for n in range(SEED_RECORDS):
                seed.add(Partner(name=f"seed-{n}", kind=PartnerKind.SCHOOL, notes="n" * 1000))
        seed_bytes = seed_path.read_bytes()
        rng = random.Random(20261125)
        trials = []
        journal_lines = 0
        for index in range(KILL_TRIALS):
            folder = base / f"t{index:03d}"
            folder.mkdir()
            path = folder / "patti.json"
            path.write_bytes(seed_bytes)
            trial = _run_trial(index, path, rng)
            journal = journal_of(path)
            if journal.exists():
                journal_lines += journal.read_bytes().count(b"\n")
            _inspect(trial, path)
            trials.append(trial)
            shutil.rmtree(folder)
    mid_compaction = sum(1 for t in trials if t.orphans_before_open)
    if mid_compaction == 0 or journal_lines == 0:
        warnings.warn("no kill landed inside a compaction or after an append", stacklevel=1)
    print(
        f"\n{KILL_TRIALS} journal kill trials: {journal_lines} journal lines left, "
        f"{mid_compaction} kills inside a compaction"
    )
    yield trials


def test_every_journal_kill_leaves_a_store_that_opens_writable(
    journal_kill_trials: list[Trial],
) -> None:
    died_otherwise = [(t.index, t.child_error) for t in journal_kill_trials if not t.killed]
    assert died_otherwise == []
    failures = [(t.index, t.load_error) for t in journal_kill_trials if t.load_error or t.readonly]
    assert failures == []


def test_every_acknowledged_commit_survives_a_kill_on_the_journal(
    journal_kill_trials: list[Trial],
) -> None:
    wrong = [
        (t.index, t.lines[-2:])
        for t in journal_kill_trials
        if t.written not in _expected_states(t)
        or t.seeds != {n + 1: (f"seed-{n}", 1) for n in range(SEED_RECORDS)}
    ]
    assert wrong == []


def test_no_problem_or_orphan_survives_a_kill_on_the_journal(
    journal_kill_trials: list[Trial],
) -> None:
    assert [(t.index, t.problems) for t in journal_kill_trials if t.problems] == []
    assert [t.index for t in journal_kill_trials if t.orphans_after_open] == []


# -- the random walk with faults, on the journal -------------------------------------------------


class JournalWithFaults(StoreWithFaults):
    """``test_faults``' walk with a tiny journal budget: commits append, and every few
    steps one compacts. A fault aimed at a call the commit does not make (a replace
    during an append) does not fire: the commit is then acknowledged. The disk state is
    what a fresh reader sees: the file with the journal replayed."""

    def __init__(self) -> None:
        self._patch = pytest.MonkeyPatch()
        _journal_everything(self._patch, budget=3_000)
        super().__init__()

    def teardown(self) -> None:
        super().teardown()
        self._patch.undo()

    def _save(self, action: Any, apply: Any, fault: int | None) -> None:
        try:
            super()._save(action, apply, fault)
        except AssertionError:
            # The fault did not fire: the store acknowledged the change.
            if fault is None:
                raise
            apply()

    @invariant()
    def disk_equals_the_acknowledged_state(self) -> None:
        assert names_read_back(self.path) == self.model
        assert names_in(self.store) == self.model
        assert temp_files(self.path) == []


def test_the_journal_always_reads_back_as_the_last_acknowledged_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tempfile.mkdtemp(dir=tmp_path)
    monkeypatch.setenv("PATTI_FAULTS_DIR", folder)
    run = JournalWithFaults.TestCase
    run.settings = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    run().runTest()
    assert os.path.isdir(folder)


class _Abandon(Exception):
    pass


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["add", "move", "delete", "abandon"]),
            st.integers(1, 3),
            st.integers(0, 30),
        ),
        max_size=25,
    )
)
def test_field_indexes_always_agree_with_a_scan(tmp_path: Path, steps: list[Any]) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    with Store.open(folder / "patti.json") as store:
        members = [store.add(partner(f"P{n}")).id for n in range(3)]
        pacts = [store.add(pact(f"C{n}", members=(members[n],))).id for n in range(3)]
        assert None not in members and None not in pacts
        for op, which, pick in steps:
            ids = sorted(int(k) for k in store._raw("activities"))
            if op == "add":
                store.add(activity(pacts[which - 1], partner_ids=(members[pick % 3],)))
            elif op == "move" and ids:
                moved = store.activities.get(ids[pick % len(ids)])
                moved.pact_id = pacts[which - 1]
                moved.partner_ids = [members[(pick + 1) % 3]]
                store.update(moved)
            elif op == "delete" and ids:
                store.delete_activity(ids[pick % len(ids)])
            elif op == "abandon":
                with contextlib.suppress(_Abandon), store.transaction():
                    store.add(activity(pacts[which - 1], partner_ids=(members[0],)))
                    assert store.activities.ids_where("pact_id", pacts[which - 1])
                    raise _Abandon
            every = [i for i, _d in store.activities.raw_items()]
            assert store.activities.ids_where("starts_at:day", "2025-03-01") == every
            assert store.activities.ids_where("starts_at:day", "2025-03-02") == []
            for pact_id in pacts:
                scan = [i for i, d in store.activities.raw_items() if d["pact_id"] == pact_id]
                assert store.activities.ids_where("pact_id", pact_id) == scan
            for member in members:
                scan = [i for i, d in store.activities.raw_items() if member in d["partner_ids"]]
                assert store.activities.ids_where("partner_ids", member) == scan
                assert store.pacts.ids_where("members.partner_id", member) == [
                    pacts[members.index(member)]
                ]
