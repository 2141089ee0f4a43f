"""Backups: a verifiable JSON envelope around the store's tables, rotation, and restore.

A backup is one JSON object::

    {"format": "patti-backup", "schema_version": 1, "app_version": "0.1.0",
     "created_at": "2026-11-24T10:00:00+00:00", "sha256": "…", "data": {…}}

``data`` is the store's tables exactly as the store file holds them
(``_meta``, ``partners``, ``pacts``, ``activities``, documents keyed by id), so
a restore gives back the same records with the same ids, and any JSON tool
can read it. ``sha256`` is the digest of ``data`` serialised canonically
(keys sorted, no spaces, UTF-8): a flipped byte anywhere in it is caught.

Reading is strict on purpose: a backup is the file an operator trusts when
everything else went wrong, so duplicate keys, NaN/Infinity, absurd nesting
or sizes, unknown fields and dangling references are refused with one clear
sentence rather than restored halfway. The JSON Schema of the envelope is
generated from the models by :func:`backup_json_schema` and kept in
``docs/backup-format.schema.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pydantic

from . import __version__
from .dates import format_datetime
from .errors import PattiError, StoreError
from .i18n import _
from .model import Activity, Pact, Partner
from .storage import FORMAT, META_TABLE, Tables, replace_with, write_temp
from .store import ENTITY_TABLES, SCHEMA_VERSION, Store

BACKUP_FORMAT = "patti-backup"
#: The oldest backup schema this patti can still migrate; older ones are refused.
OLDEST_SCHEMA_VERSION = 1
MAX_BACKUP_BYTES = 512 * 1024 * 1024
MAX_STRING = 100_000
#: Automatic backups kept unless the store's meta or PATTI_BACKUP_KEEP says otherwise.
DEFAULT_KEEP = 30
BACKUPS_FOLDER = "backups"
ENVELOPE_KEYS = ("format", "schema_version", "app_version", "created_at", "sha256", "data")

#: ``MIGRATIONS[n]`` turns the tables of schema ``n`` into schema ``n + 1``.
MIGRATIONS: dict[int, Callable[[Tables], Tables]] = {}


class BackupError(PattiError):
    """A backup file that cannot be trusted; nothing was restored."""


@dataclass(frozen=True)
class Backup:
    """A backup that parsed strictly, verified and migrated to the current schema."""

    path: Path
    size: int
    schema_version: int
    app_version: str
    created_at: datetime
    sha256: str
    tables: Tables

    def counts(self) -> dict[str, int]:
        return {t: len(self.tables.get(t, {})) for t in ENTITY_TABLES}


@dataclass(frozen=True)
class Listing:
    """One file of the backups folder, and whether it verifies."""

    path: Path
    size: int
    created_at: datetime | None
    kind: str
    problem: str | None

    @property
    def automatic(self) -> bool:
        return self.kind == "auto"

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class RestoreResult:
    """What a restore changed (or, for a dry run, would change)."""

    before: dict[str, int]
    after: dict[str, int]
    safety_backup: Path | None = None
    set_aside: Path | None = None
    dry_run: bool = False
    changed: dict[str, int] = field(default_factory=dict)


# -- writing -----------------------------------------------------------------------


def digest(tables: Tables) -> str:
    """SHA-256 of the canonical serialisation of ``tables``."""
    return hashlib.sha256(orjson.dumps(tables, option=orjson.OPT_SORT_KEYS)).hexdigest()


def envelope_bytes(tables: Tables, *, now: datetime | None = None) -> bytes:
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    envelope = {
        "format": BACKUP_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "app_version": __version__,
        "created_at": created.isoformat(),
        "sha256": digest(tables),
        "data": tables,
    }
    return orjson.dumps(envelope, option=orjson.OPT_INDENT_2)


def backups_folder(store_path: Path) -> Path:
    """Backups live in a ``backups`` folder beside the store file."""
    return store_path.parent / BACKUPS_FOLDER


def _name(store_path: Path, kind: str, when: datetime) -> str:
    infix = f"-{kind}" if kind else ""
    return f"{store_path.stem}{infix}-{when.strftime('%Y%m%d-%H%M%S')}.json"


def write_backup(
    store: Store, output: Path | None = None, *, kind: str = "", now: datetime | None = None
) -> Path:
    """Write a backup of ``store`` and read it back to prove it verifies.

    The snapshot is the store's committed state: in memory for the process
    holding the lock, the file (always wholly one state) for a reader.
    ``kind`` names automatic (``auto``) and pre-restore (``before-restore``)
    backups; without ``output`` the file goes to the backups folder.
    """
    when = (now or datetime.now(UTC)).astimezone()
    if output is None:
        folder = backups_folder(store.path)
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / _name(store.path, kind, when)
        serial = 2
        while output.exists():
            output = folder / _name(store.path, kind, when).replace(".json", f"-{serial}.json")
            serial += 1
    output = output.expanduser()
    if output.resolve() == store.path.resolve():
        raise BackupError(_("A backup cannot overwrite the store it backs up."))
    replace_with(write_temp(output, envelope_bytes(store.snapshot(), now=when)), output)
    read_backup(output)
    return output


# -- reading strictly ----------------------------------------------------------------


def _refuse(path: Path, reason: str) -> BackupError:
    return BackupError(
        _("{path} is not a usable backup: {reason}.").format(path=path, reason=reason)
    )


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(_("the key {key!r} appears twice in one object").format(key=key))
        if len(key) > MAX_STRING or (isinstance(value, str) and len(value) > MAX_STRING):
            raise ValueError(
                _("a text longer than {n} characters").format(n=f"{MAX_STRING:,}".replace(",", "."))
            )
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(_("{name} is not a number JSON allows").format(name=name))


def parse_strict(raw: bytes) -> Any:
    """JSON that refuses duplicate keys, NaN/Infinity, absurd nesting and huge texts."""
    text = raw.decode("utf-8")
    try:
        return json.loads(text, object_pairs_hook=_strict_object, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError(_("it is nested too deeply")) from None


def read_backup(path: Path) -> Backup:
    """Parse, verify and migrate the backup at ``path``; :class:`BackupError` if it can't be
    trusted, with the reason in one sentence."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > MAX_BACKUP_BYTES:
            raise _refuse(path, _("it is larger than {n} MB").format(n=MAX_BACKUP_BYTES >> 20))
        raw = path.read_bytes()
    except OSError as exc:
        raise _refuse(path, exc.strerror or str(exc)) from exc
    if not raw.strip():
        raise _refuse(path, _("it is empty"))
    try:
        envelope = parse_strict(raw)
    except UnicodeDecodeError as exc:
        raise _refuse(path, _("it is not UTF-8 text")) from exc
    except ValueError as exc:
        raise _refuse(path, _("it is not valid JSON ({reason})").format(reason=exc)) from exc
    if not isinstance(envelope, dict) or envelope.get("format") != BACKUP_FORMAT:
        raise _refuse(path, _("it is not a patti backup (another program's file?)"))
    unknown = sorted(set(envelope) - set(ENVELOPE_KEYS))
    missing = [k for k in ENVELOPE_KEYS if k not in envelope]
    if unknown or missing:
        what = ", ".join(unknown) if unknown else ", ".join(missing)
        reason = _("unknown fields: {fields}") if unknown else _("missing fields: {fields}")
        raise _refuse(path, reason.format(fields=what))
    version = envelope["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise _refuse(path, _("its schema_version is not a whole number"))
    if version > SCHEMA_VERSION:
        raise _refuse(
            path,
            _("it was written by a newer patti (schema {found}; this one knows {known})").format(
                found=version, known=SCHEMA_VERSION
            ),
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise _refuse(
            path,
            _("its schema {found} is older than any this patti can migrate").format(found=version),
        )
    tables = envelope["data"]
    if not isinstance(tables, dict) or digest(tables) != envelope["sha256"]:
        raise _refuse(path, _("its checksum does not match its content (damaged or edited)"))
    try:
        created = datetime.fromisoformat(str(envelope["created_at"]))
    except ValueError as exc:
        raise _refuse(path, _("its created_at is not a date and time")) from exc
    tables = _migrate(tables, version)
    problem = _shape_problem(tables)
    if problem:
        raise _refuse(path, problem)
    return Backup(
        path=path,
        size=size,
        schema_version=version,
        app_version=str(envelope["app_version"]),
        created_at=created,
        sha256=str(envelope["sha256"]),
        tables=tables,
    )


def _migrate(tables: Tables, version: int) -> Tables:
    """Step by step from ``version`` to the current schema, one migration per version."""
    while version < SCHEMA_VERSION:
        tables = MIGRATIONS[version](tables)
        version += 1
        meta = dict(next(iter(tables[META_TABLE].values())))
        meta["schema_version"] = version
        tables = {**tables, META_TABLE: {"1": meta}}
    return tables


_ID = re.compile(r"[1-9][0-9]{0,17}")


def _shape_problem(tables: Any) -> str | None:
    """The tables' structure, before the records are validated one by one."""
    expected = {META_TABLE, *ENTITY_TABLES}
    if set(tables) != expected:
        return _("its data must hold exactly the tables {tables}").format(
            tables=", ".join(sorted(expected))
        )
    meta_rows = tables[META_TABLE]
    meta = meta_rows.get("1") if isinstance(meta_rows, dict) and len(meta_rows) == 1 else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return _("its _meta table is not a patti store's")
    if meta.get("schema_version") != SCHEMA_VERSION:
        return _("its _meta.schema_version does not match the envelope")
    for name in ENTITY_TABLES:
        rows = tables[name]
        if not isinstance(rows, dict):
            return _("its table {table} is not an object").format(table=name)
        for key, doc in rows.items():
            if not _ID.fullmatch(key) or not isinstance(doc, dict):
                return _("{table}/{key} is not a record").format(table=name, key=key)
    return None


# -- listing and rotation ----------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    path: Path
    kind: str
    stamp: datetime


def _backup_files(store_path: Path) -> list[_File]:
    """This store's backup files, newest first, known by their names alone (cheap)."""
    folder = backups_folder(store_path)
    pattern = re.compile(
        re.escape(store_path.stem) + r"(?:-(auto|before-restore))?-(\d{8}-\d{6})(?:-(\d+))?\.json"
    )
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        match = pattern.fullmatch(path.name)
        if match is None:
            continue
        stamp = datetime.strptime(match.group(2), "%Y%m%d-%H%M%S")
        serial = int(match.group(3) or 1)
        found.append((stamp, serial, _File(path, match.group(1) or "", stamp)))
    return [f for _s, _n, f in sorted(found, key=lambda t: (t[0], t[1]), reverse=True)]


def list_backups(store_path: Path) -> list[Listing]:
    """This store's backups, newest first, each read and verified."""
    found = []
    for file in _backup_files(store_path):
        try:
            backup = read_backup(file.path)
        except BackupError as exc:
            size = file.path.stat().st_size if file.path.exists() else 0
            found.append(Listing(file.path, size, None, file.kind, str(exc)))
            continue
        found.append(Listing(file.path, backup.size, backup.created_at, file.kind, None))
    return found


def keep_count(store: Store) -> int:
    """How many automatic backups to keep: PATTI_BACKUP_KEEP, else the store's meta."""
    value = os.environ.get("PATTI_BACKUP_KEEP") or store.meta.get("backup_keep")
    try:
        keep = int(value) if value is not None else DEFAULT_KEEP
    except (TypeError, ValueError):
        return DEFAULT_KEEP
    return max(keep, 1)


def rotate(store_path: Path, keep: int) -> list[Path]:
    """Delete the oldest automatic backups beyond ``keep``; manual ones are the operator's."""
    automatic = [f for f in _backup_files(store_path) if f.kind == "auto"]
    removed = []
    for old in automatic[keep:]:
        with contextlib.suppress(OSError):
            old.path.unlink()
            removed.append(old.path)
    return removed


def auto_backup(store: Store, *, now: datetime | None = None) -> Path | None:
    """Back up ``store`` unless an automatic backup of today already verifies; rotate.

    Called when a store is opened for writing. An empty new store is not worth
    a backup.
    """
    if store.readonly or not any(len(store._raw(t)) for t in ENTITY_TABLES):
        return None
    when = (now or datetime.now(UTC)).astimezone()
    today: date = when.date()
    if any(f.kind == "auto" and f.stamp.date() == today for f in _backup_files(store.path)):
        return None
    path = write_backup(store, kind="auto", now=when)
    rotate(store.path, keep_count(store))
    return path


# -- restoring ---------------------------------------------------------------------------


def _counts(tables: Tables) -> dict[str, int]:
    return {t: len(tables.get(t, {})) for t in ENTITY_TABLES}


def _changed(old: Tables, new: Tables) -> dict[str, int]:
    """Per table: records added, removed or different between ``old`` and ``new``."""
    changed = {}
    for table in ENTITY_TABLES:
        a, b = old.get(table, {}), new.get(table, {})
        changed[table] = sum(1 for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return changed


def _keep_high_water_marks(restored: Tables, current: Tables) -> Tables:
    """The restored tables with id high-water marks no lower than the live store's.

    Records created after the backup disappear with the restore, but their
    ids stay used: an id seen in an old export never names a different record.
    """
    meta = dict(next(iter(restored[META_TABLE].values())))
    live = next(iter(current.get(META_TABLE, {}).values()), {})
    marks = dict(meta.get("last_ids", {}))
    for table, high in dict(live.get("last_ids", {})).items():
        if isinstance(high, int) and high > int(marks.get(table, 0)):
            marks[table] = high
    meta["last_ids"] = marks
    return {**restored, META_TABLE: {"1": meta}}


def _set_aside(path: Path) -> Path:
    """Keep the bytes of a store about to be replaced under a new name beside it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    try:
        os.link(path, aside)
    except OSError:
        replace_with(write_temp(aside, path.read_bytes()), aside)
    return aside


@contextlib.contextmanager
def _verified_temp(store_path: Path, tables: Tables) -> Iterator[Path]:
    """The restored tables as a durable temp store file beside the store, checked record by
    record through a read-only :class:`Store`; removed unless it was swapped in."""
    tmp = write_temp(store_path, orjson.dumps(tables))
    try:
        try:
            with Store.open(tmp, readonly=True) as candidate:
                if candidate.snapshot() != tables:
                    raise BackupError(_("The restored file does not read back as written."))
                problems = candidate.check()
        except StoreError as exc:
            raise BackupError(str(exc)) from exc
        if problems:
            more = _(" (and {n} more)").format(n=len(problems) - 1) if len(problems) > 1 else ""
            raise BackupError(
                _("The backup's records are not consistent: {problem}{more}.").format(
                    problem=problems[0], more=more
                )
            )
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def restore(store: Store, backup_path: Path, *, dry_run: bool = False) -> RestoreResult:
    """Replace the content of the open, writable ``store`` with a backup.

    The backup is parsed strictly and verified, written to a temp file
    beside the store and checked record by record; the live store is backed
    up; then one ``os.replace`` swaps the files under the lock. Anything
    refused before the swap leaves the store file byte-identical.
    """
    backup = read_backup(backup_path)
    current = store.snapshot()
    tables = _keep_high_water_marks(backup.tables, current)
    result = RestoreResult(
        before=_counts(current),
        after=backup.counts(),
        dry_run=dry_run,
        changed=_changed(current, tables),
    )
    with _verified_temp(store.path, tables) as tmp:
        if dry_run:
            return result
        if store.readonly:
            raise BackupError(store.readonly_reason() or _("The store is open read-only."))
        safety = write_backup(store, kind="before-restore")
        store.swap_in(tmp, tables)
    return RestoreResult(
        before=result.before,
        after=result.after,
        safety_backup=safety,
        changed=result.changed,
    )


def restore_damaged(store_path: Path, backup_path: Path, *, dry_run: bool = False) -> RestoreResult:
    """Restore over a store file that cannot be opened (empty, truncated, foreign, newer).

    The damaged file is never deleted: it is set aside as
    ``<name>.damaged-<time>`` before the restored one takes its place, under
    the store's lock.
    """
    backup = read_backup(backup_path)
    result = RestoreResult(before={}, after=backup.counts(), dry_run=dry_run)
    with Store.lock(store_path), _verified_temp(store_path, backup.tables) as tmp:
        if dry_run:
            return result
        aside = _set_aside(store_path) if store_path.exists() else None
        replace_with(tmp, store_path)
    return RestoreResult(before={}, after=result.after, set_aside=aside)


# -- the JSON Schema -------------------------------------------------------------------


SCHEMA_ID = f"urn:patti:backup-format:{SCHEMA_VERSION}"


def _document_schema(model: type[pydantic.BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(schema.pop("$defs", {}))
    schema["properties"].pop("id", None)  # the id is the document's key
    return schema


def backup_json_schema() -> dict[str, Any]:
    """The JSON Schema of the backup envelope, from the models (docs/backup-format.schema.json)."""
    defs: dict[str, Any] = {}
    tables = {}
    for name, model in (("partners", Partner), ("pacts", Pact), ("activities", Activity)):
        defs[model.__name__] = _document_schema(model, defs)
        tables[name] = {
            "type": "object",
            "description": f"{model.__name__} documents keyed by their id.",
            "propertyNames": {"pattern": "^[1-9][0-9]*$"},
            "additionalProperties": {"$ref": f"#/$defs/{model.__name__}"},
        }
    meta = {
        "type": "object",
        "description": "The store's own record: format, schema, id high-water marks.",
        "required": ["1"],
        "additionalProperties": False,
        "properties": {
            "1": {
                "type": "object",
                "required": ["format", "schema_version", "last_ids"],
                "properties": {
                    "format": {"const": FORMAT},
                    "schema_version": {"const": SCHEMA_VERSION},
                    "last_ids": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                },
            }
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"patti backup, schema version {SCHEMA_VERSION}",
        "description": (
            "A patti backup: the store's tables and a SHA-256 of their canonical JSON "
            "(keys sorted, no whitespace, UTF-8). See docs/backups.md."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": list(ENVELOPE_KEYS),
        "properties": {
            "format": {"const": BACKUP_FORMAT},
            "schema_version": {"const": SCHEMA_VERSION},
            "app_version": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "data": {
                "type": "object",
                "additionalProperties": False,
                "required": [META_TABLE, *ENTITY_TABLES],
                "properties": {META_TABLE: meta, **tables},
            },
        },
        "$defs": dict(sorted(defs.items())),
    }


def describe_listing(listing: Listing) -> str:
    """A backup's date for a table cell."""
    return format_datetime(listing.created_at.astimezone()) if listing.created_at else "?"
