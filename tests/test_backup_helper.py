"""A big backup's records are checked by two processes (:mod:`patti.core.checkworker`):
the verdict, the restored records and the messages must be those of one process.

The thresholds are lowered so a backup of a few dozen records gets a helper; every
test compares with the same backup read with no helper at all.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

import patti.core.backup as backup_module
from patti.core.backup import (
    BackupError,
    backups_folder,
    check_share,
    digest,
    read_backup,
    restore,
    shared_keys,
    write_backup,
)
from patti.core.checkworker import Helper
from patti.core.i18n import set_language
from patti.core.model import Activity, Indicator, Membership, Pact, Partner, PartnerKind
from patti.core.store import Store


@pytest.fixture
def helped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every backup gets a helper process, however small."""
    monkeypatch.setattr(backup_module, "SHARE_FROM_BYTES", 0)
    monkeypatch.setattr(backup_module, "SHARE_FROM_RECORDS", 1)


def _alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_module, "SHARE_FROM_BYTES", 2**62)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A backup of 4 pacts, 6 partners and 40 activities."""
    with Store.open(tmp_path / "source.json") as store:
        partners = [
            store.add(Partner(name=f"Associazione {n}", kind=PartnerKind.ASSOCIATION))
            for n in range(6)
        ]
        ids = [p.id for p in partners if p.id is not None]
        for n in range(4):
            pact = store.add(
                Pact(
                    code=f"PdC-2025-{n:02d}",
                    title=f"Patto {n}",
                    type="community_ties",
                    year=2025,
                    members=[Membership(partner_id=ids[n], role="lead")],
                    indicators=[Indicator(key="meetings", label="Incontri", target=10.0)],
                )
            )
            assert pact.id is not None
            for k in range(10):
                store.add(
                    Activity(
                        pact_id=pact.id,
                        title=f"Incontro {k}",
                        starts_at=datetime(2025, 3, 1 + k, 17, 0),
                        partner_ids=[ids[(n + k) % 6]],
                    )
                )
        return write_backup(store, tmp_path / "backup.json")


def _edited(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The backup with ``change`` made to its tables and the checksum made to match."""
    envelope = json.loads(path.read_bytes())
    change(envelope["data"])
    envelope["sha256"] = digest(envelope["data"])
    edited = path.with_name("edited.json")
    edited.write_bytes(orjson.dumps(envelope, option=orjson.OPT_INDENT_2))
    return edited


def _last(rows: dict[str, Any]) -> dict[str, Any]:
    """The last document of a table: in the helper's share."""
    last: dict[str, Any] = rows[list(rows)[-1]]
    return last


def _verdict(path: Path) -> tuple[str, dict[str, Any] | None]:
    try:
        return "", read_backup(path).tables
    except BackupError as exc:
        return str(exc), None


def _both(monkeypatch: pytest.MonkeyPatch, path: Path) -> Iterator[tuple[str, Any]]:
    yield _verdict(path)
    _alone(monkeypatch)
    yield _verdict(path)


def test_the_helper_answers_what_the_parent_would_find(source: Path, helped: None) -> None:
    raw = source.read_bytes()
    tables = read_backup(source).tables
    shared = shared_keys(tables)
    assert shared["activities"] == list(tables["activities"])
    assert shared["pacts"] == list(tables["pacts"])[-1:]  # a quarter of 4
    helper = Helper.start("en", source)
    assert helper is not None
    answer = helper.answer(hashlib.sha256(raw).hexdigest(), shared)
    assert answer is not None
    assert answer["shared"] == {"pacts": 1, "activities": 40}
    del answer["raw_sha256"], answer["shared"]
    assert answer == check_share(tables, shared, source=source)
    assert answer == {"problems": [], "links": [], "cleaned": {t: {} for t in answer["cleaned"]}}


def test_an_answer_about_other_bytes_is_not_used(source: Path, helped: None) -> None:
    tables = read_backup(source).tables
    helper = Helper.start("en", source)
    assert helper is not None
    assert helper.answer("0" * 64, shared_keys(tables)) is None


@pytest.mark.parametrize("language", ["en", "it"])
def test_refused_records_in_the_helpers_share_read_as_with_one_process(
    source: Path, helped: None, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    set_language(language)

    def break_them(tables: dict[str, Any]) -> None:
        _last(tables["activities"])["title"] = ""
        _last(tables["pacts"])["year"] = 1200
        tables["activities"][list(tables["activities"])[5]]["status"] = "maybe"

    with_helper, alone = _both(monkeypatch, _edited(source, break_them))
    assert with_helper == alone
    message = with_helper[0]
    assert "pacts/4" in message  # the first, in the backup's order
    assert ("(and 2 more)" if language == "en" else "(e altri 2)") in message


def test_dangling_references_in_the_helpers_share_read_as_with_one_process(
    source: Path, helped: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dangle(tables: dict[str, Any]) -> None:
        _last(tables["activities"])["pact_id"] = 999
        _last(tables["pacts"])["members"][0]["partner_id"] = 998

    with_helper, alone = _both(monkeypatch, _edited(source, dangle))
    assert with_helper == alone
    assert "pacts/4" in with_helper[0] and "998" in with_helper[0]
    assert "(and 1 more)" in with_helper[0]


def test_records_the_models_clean_in_the_helpers_share_are_restored_clean(
    source: Path, helped: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dirty(tables: dict[str, Any]) -> None:
        _last(tables["activities"])["title"] = "  Incontro\x1b[31m finale \u202e "
        _last(tables["pacts"])["indicators"][0]["target"] = 10  # the model writes 10.0

    edited = _edited(source, dirty)
    (_m1, with_helper), (_m2, alone) = _both(monkeypatch, edited)
    assert with_helper is not None
    assert orjson.dumps(with_helper) == orjson.dumps(alone)  # 10.0, not 10: as written
    assert _last(with_helper["activities"])["title"] == "Incontro[31m finale"
    assert _last(with_helper["pacts"])["indicators"][0]["target"] == 10.0


def test_the_helpers_verdict_is_the_one_used(source: Path, helped: None) -> None:
    edited = _edited(source, lambda t: _last(t["activities"]).update(title=" Fine\x07"))
    reading = backup_module._Reading.open(edited)
    reading.check()
    assert _last(reading.tables["activities"])["title"] == " Fine\x07"  # as read, so far
    tables = reading.finish().tables
    assert reading.helped and reading.cleaned
    assert _last(tables["activities"])["title"] == "Fine"


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"])
def test_without_a_working_helper_the_parent_checks_everything(
    source: Path, helped: None, monkeypatch: pytest.MonkeyPatch, executable: str
) -> None:
    edited = _edited(source, lambda t: _last(t["activities"]).update(title=""))
    monkeypatch.setattr(sys, "executable", executable)
    message, _tables = _verdict(edited)
    assert "activities/" in message and "title" in message
    assert read_backup(source).tables["activities"]


def test_a_helped_restore_swaps_in_the_backup_and_keeps_a_safety_backup(
    source: Path, helped: None, tmp_path: Path
) -> None:
    live = tmp_path / "live.json"
    with Store.open(live) as store:
        store.add(Partner(name="Solo nel negozio", kind=PartnerKind.INFORMAL_GROUP))
        before = store.snapshot()
        result = restore(store, source)
        assert result.changed == {"partners": 6, "pacts": 4, "activities": 40}
        assert result.safety_backup is not None
        assert read_backup(result.safety_backup).tables == before
        restored = store.snapshot()
    assert {k: v for k, v in restored.items() if k != "_meta"} == {
        k: v for k, v in read_backup(source).tables.items() if k != "_meta"
    }
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_refused_helped_restore_leaves_no_file_behind(
    source: Path, helped: None, tmp_path: Path
) -> None:
    edited = _edited(source, lambda t: _last(t["activities"]).update(pact_id=999))
    live = tmp_path / "live.json"
    with Store.open(live) as store:
        store.add(Partner(name="Solo nel negozio", kind=PartnerKind.INFORMAL_GROUP))
        before = live.read_bytes(), store.snapshot()
        with pytest.raises(BackupError, match="no pact with id 999"):
            restore(store, edited)
        assert store.snapshot() == before[1]
    assert live.read_bytes() == before[0]
    assert list(backups_folder(live).iterdir()) == []  # no safety backup, no temp file
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_helped_dry_run_writes_nothing(source: Path, helped: None, tmp_path: Path) -> None:
    live = tmp_path / "live.json"
    with Store.open(live) as store:
        result = restore(store, source, dry_run=True)
        assert result.dry_run and result.changed["activities"] == 40
    assert not backups_folder(live).exists() or not list(backups_folder(live).iterdir())


def _tampered(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The backup changed without its checksum being made to match."""
    envelope = json.loads(path.read_bytes())
    change(envelope)
    edited = path.with_name("tampered.json")
    edited.write_bytes(orjson.dumps(envelope, option=orjson.OPT_INDENT_2))
    return edited


@pytest.mark.parametrize(
    "change",
    [
        lambda e: _last(e["data"]["activities"]).update(title="Altro"),
        lambda e: _last(e["data"]["activities"]).update(title="", pact_id=999),
        lambda e: (_last(e["data"]["pacts"]).update(year=3), e.update(created_at="ieri")),
        lambda e: e["data"].pop("activities"),
    ],
    ids=["edited", "edited-and-invalid", "bad-date-too", "table-gone"],
)
def test_a_damaged_backup_is_refused_for_its_checksum_as_with_one_process(
    source: Path,
    helped: None,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[dict[str, Any]], None],
) -> None:
    tampered = _tampered(source, change)
    with_helper, alone = _both(monkeypatch, tampered)
    assert with_helper == alone
    assert "checksum does not match" in with_helper[0]
