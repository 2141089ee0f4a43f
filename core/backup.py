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
import gc
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, cast

import orjson
import pydantic
from tinydb import TinyDB

from . import __version__
from .checkworker import Helper, in_thread, sha256_hex
from .dates import format_datetime
from .errors import PattiError, StoreError
from .i18n import _, current_language
from .model import Activity, Pact, Partner, Record, validate_document
from .storage import (
    FORMAT,
    META_TABLE,
    TEMP_SUFFIX,
    DurableStorage,
    Tables,
    atomic_write_bytes,
    paused_gc,
    replace_with,
    write_temp,
)
from .store import ENTITY_TABLES, SCHEMA_VERSION, Store
from .validation import describe_validation_error

BACKUP_FORMAT = "patti-backup"
#: The oldest backup schema this patti can still migrate; older ones are refused.
OLDEST_SCHEMA_VERSION = 1
MAX_BACKUP_BYTES = 512 * 1024 * 1024
MAX_STRING = 100_000
#: Containers inside containers, counting the envelope as 1. A record is about 8 deep;
#: orjson cannot serialise (so checksum) data deeper than 254.
MAX_DEPTH = 128
#: Integers orjson can serialise: anything else would make the checksum impossible.
INT_RANGE = (-(2**63), 2**64 - 1)
#: Automatic backups kept unless the store's meta or PATTI_BACKUP_KEEP says otherwise.
DEFAULT_KEEP = 30
BACKUPS_FOLDER = "backups"
#: A backup's hidden temp file this old was left by a killed writer, not one still writing.
STALE_TEMP_SECONDS = 3600
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
        """Records per entity table."""
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
        """Made when the store was opened for writing (and so rotated)."""
        return self.kind == "auto"

    @property
    def ok(self) -> bool:
        """The file verifies: it can be restored."""
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
    """The backup file's bytes for ``tables`` (indented, so a person can read it)."""
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
    """Write a backup of ``store``, read back and compared byte for byte before it takes
    its name.

    The records are not validated again here (the store validated each one
    as it was saved, and at 100,000 records that would cost seconds): a
    store holding a hand-broken record still gets its backup, and ``patti
    verify`` names the record.

    The snapshot is the store's committed state: in memory for the process
    holding the lock, the file (always wholly one state) for a reader.
    ``kind`` names automatic (``auto``) and pre-restore (``before-restore``)
    backups; without ``output`` the file goes to the backups folder.
    """
    when = (now or datetime.now(UTC)).astimezone()
    output = _backup_path(store, output, kind, when)
    tmp = _checked_temp(output, envelope_bytes(store.snapshot(), now=when))
    replace_with(tmp, output)
    return output


def _backup_path(store: Store, output: Path | None, kind: str, when: datetime) -> Path:
    """Where :func:`write_backup` puts a backup: ``output``, or a new name in the
    backups folder."""
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
    return output


def _checked_temp(output: Path, payload: bytes) -> Path:
    """``payload`` in a durable temp file beside ``output``, read back and compared byte
    for byte: an older file at ``output`` is never replaced by one that does not hold
    what was written."""
    tmp = write_temp(output, payload)
    try:
        _same_bytes(tmp, payload, _("The backup does not read back as written."))
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def _backup_temp(output: Path, tables: Tables, when: datetime) -> Path:
    return _checked_temp(output, envelope_bytes(tables, now=when))


class _FileInThread:
    """A temp file a restore writes and checks in a thread while it goes on with the
    backup it restores (the fsync and read-back let go of the GIL); removed by
    :meth:`discard` unless it took its place."""

    def __init__(self, write: Callable[[], Path]) -> None:
        self._written = in_thread(write)

    def take(self) -> Path:
        """The file, once written (or what went wrong writing it)."""
        return self._written.result()

    def discard(self) -> None:
        """Remove the file if it is still there under its temp name."""
        try:
            tmp = self._written.result()
        except BaseException:  # nothing was left: the writer removes what it could not finish
            return
        with contextlib.suppress(OSError):
            tmp.unlink()


# -- reading strictly ----------------------------------------------------------------


class _NotUtf8(ValueError):
    """A ``\\ud800``-style escape: valid JSON syntax, but no UTF-8 text can hold it."""


def _refuse(path: Path, reason: str) -> BackupError:
    return BackupError(
        _("{path} is not a usable backup: {reason}.").format(path=path, reason=reason)
    )


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(_("the key {key!r} appears twice in one object").format(key=key))
        result[key] = value
    return result


def _no_constants(name: str) -> NoReturn:
    raise ValueError(_("{name} is not a number JSON allows").format(name=name))


def _finite_float(text: str) -> float:
    # 1e400 parses as infinity, which orjson would write as null: refuse it like Infinity.
    value = float(text)
    if not math.isfinite(value):
        _no_constants(text[:24])
    return value


def _int_in_range(text: str) -> int:
    # Digits first: a 100,000-digit integer would cost seconds to convert.
    if len(text.lstrip("-")) <= 20:
        value = int(text)
        if INT_RANGE[0] <= value <= INT_RANGE[1]:
            return value
    _no_constants(text[:24] + ("…" if len(text) > 24 else ""))


def _check_text(text: str) -> None:
    if len(text) > MAX_STRING:
        raise ValueError(
            _("a text longer than {n} characters").format(n=f"{MAX_STRING:,}".replace(",", "."))
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _NotUtf8(_("it is not UTF-8 text")) from None


def _check_tree(value: Any) -> None:
    """Depth and texts everywhere (array items too), without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise ValueError(_("it is nested too deeply"))
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise ValueError(_("it is nested too deeply"))
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)


def parse_strict(raw: bytes) -> Any:
    """JSON that refuses duplicate keys, NaN/Infinity (and numbers that overflow to them),
    integers beyond 64 bits, absurd nesting, huge texts and lone surrogates: everything
    that could not be written back, or checksummed, exactly as it was read."""
    fast = _parse_canonical(raw)
    if fast is not None:
        return fast
    text = raw.decode("utf-8")
    try:
        with paused_gc():  # three times faster on big files: the parse creates no cycles
            value = json.loads(
                text,
                object_pairs_hook=_strict_object,
                parse_constant=_no_constants,
                parse_float=_finite_float,
                parse_int=_int_in_range,
            )
    except RecursionError:
        raise ValueError(_("it is nested too deeply")) from None
    _check_tree(value)
    return value


#: A stretch between two quotes as long as the longest text allowed.
_LONG_RUN = re.compile(rb'"[^"]{%d,}' % MAX_STRING)


def _maybe_long_text(raw: bytes, *, indented: bool) -> bool:
    """Whether ``raw``, if it is JSON as orjson writes it, may hold a text longer than
    MAX_STRING characters (else it holds none).

    Indented, a text never spans two lines, so such a text makes a line
    that long, which holds a whole stretch of MAX_STRING / 2 bytes starting
    at a multiple of that: if none is free of line breaks, there is none
    (two thousand searches in 100 MB, not a regular expression over each
    byte). Compact, a text that long without an escaped quote is a stretch
    that long between two quotes.
    """
    if not indented:
        return b'\\"' in raw or _LONG_RUN.search(raw) is not None
    step = MAX_STRING // 2
    return any(raw.find(b"\n", at, at + step) < 0 for at in range(0, len(raw) - step + 1, step))


def _parse_canonical(raw: bytes) -> Any:
    """The value of ``raw`` when it is exactly what patti writes (orjson, indented or
    compact), else ``None`` for the strict parser to judge.

    Bytes that orjson writes back identically hold no duplicate key, no
    NaN, no out-of-range number and no lone surrogate: what the strict
    parser refuses. What remains to check is where the models set no
    limit: the meta record and pacts' free-form details (depth, text size).
    Twenty times faster than the strict parser on a 60 MB backup.
    """
    try:
        with paused_gc():
            value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    option = orjson.OPT_INDENT_2 if raw[:2] == b"{\n" else 0
    if _maybe_long_text(raw, indented=bool(option)):
        return None  # the strict parser says exactly
    if orjson.dumps(value, option=option) != raw:
        return None
    data = value.get("data") if isinstance(value, dict) else None
    if not isinstance(data, dict):
        _check_tree(value)
        return value
    _check_tree({k: v for k, v in value.items() if k != "data"})
    for name, rows in data.items():
        if name not in ENTITY_TABLES or not isinstance(rows, dict):
            _check_tree(rows)
        elif name == "pacts" and not (option and _SHALLOW_INDENT not in raw):
            # Texts are bounded by the search above: the details' depth remains. Indented,
            # a container's members are two spaces deeper than it: a file with no line
            # that deep holds nothing deeper than MAX_DEPTH under a pact's details.
            _check_depth([doc.get("details") for doc in rows.values() if isinstance(doc, dict)])
    return value


#: The indent of a line of members of a pact's details nested MAX_DEPTH deep (the details
#: are four containers into the envelope).
_SHALLOW_INDENT = b"\n" + b" " * 2 * (MAX_DEPTH + 3)


def _check_depth(value: Any) -> None:
    """:func:`_check_tree` for the nesting alone, skipping the texts."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(_("it is nested too deeply"))
        if isinstance(item, dict):
            stack.extend(
                (child, depth + 1) for child in item.values() if isinstance(child, (dict, list))
            )
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))


def read_backup(path: Path) -> Backup:
    """Parse, verify and migrate the backup at ``path``; :class:`BackupError` if it can't be
    trusted, with the reason in one sentence.

    Verifying covers the records too (each one valid for its model, every
    reference resolved, pact codes unique), so a backup that reads here can be
    restored.
    """
    reading = _Reading.open(path)
    reading.check()
    return reading.finish()


#: Backups this big (about 15,000 records) get a helper process
#: (:mod:`patti.core.checkworker`), started before the file is read...
SHARE_FROM_BYTES = 16 * 2**20
#: ...that validates these tables if they hold this many records: the parent checks the
#: rest of the backup, works out what a restore changes and writes the new store file
#: while the helper finishes.
SHARE_FROM_RECORDS = 8_000
#: The helper's share of each table: the last part of it (in the backup's order).
#: Measured at 100,000 records, where the helper and the parent then finish together.
SHARED_FRACTIONS = {"pacts": 0.25, "activities": 1.0}


class _Reading:
    """A backup being verified, in three steps so a restore can work in between:
    :meth:`open` reads the file (and starts a helper process for a big one),
    :meth:`check` verifies all but the helper's share, :meth:`finish` gives the verdict.

    After :meth:`check`, :attr:`tables` holds the records as the models write them,
    except the helper's share, as read: what a restore can start comparing with the
    store and writing.
    """

    def __init__(self, path: Path, raw: bytes, helper: Helper | None) -> None:
        self.path = path
        self._raw = raw
        self._helper = helper
        # Hashed while the file is parsed: what shows a helper's verdict is about these bytes.
        self._raw_sha256 = in_thread(sha256_hex, raw) if helper is not None else None
        self.tables: Tables = {}
        self._backup: Backup | None = None
        self._problems: list[str] = []
        self._links: list[str] | None = None
        self._shared: dict[str, list[str]] = {}
        #: Records of the helper's share that the models write differently from how they
        #: were read (so :attr:`tables` changed in :meth:`finish`).
        self.cleaned = False
        #: The helper's verdict was used.
        self.helped = False

    @classmethod
    def open(cls, path: Path) -> _Reading:
        """Read the file; :class:`BackupError` if it can't be."""
        path = Path(path).expanduser()
        helper = None
        try:
            size = path.stat().st_size
            if size > MAX_BACKUP_BYTES:
                raise _refuse(path, _("it is larger than {n} MB").format(n=MAX_BACKUP_BYTES >> 20))
            if size >= SHARE_FROM_BYTES:
                helper = Helper.start(current_language(), path)
            return cls(path, path.read_bytes(), helper)
        except BaseException as exc:
            if helper is not None:
                helper.cancel()
            if isinstance(exc, OSError):
                raise _refuse(path, exc.strerror or str(exc)) from exc
            raise

    def check(self) -> None:
        """Verify all but the helper's share of the records (:meth:`finish` raises
        what is wrong with them)."""
        try:
            with paused_gc():  # a few hundred thousand objects, no cycles: collections only cost
                self._check()
        except BaseException:
            self.cancel()
            raise

    def _check(self) -> None:
        envelope, tables = _envelope(self._raw, self.path)
        # Millions of new objects, none in a cycle (freed by reference counting whenever they
        # are dropped): out of the collector's sight, the first collection once it resumes
        # does not walk them all (200 ms at 100,000 records). As when the store opens, the
        # few cycles already waiting for a collection are kept too.
        gc.freeze()
        self._backup = Backup(
            path=self.path,
            size=len(self._raw),
            schema_version=envelope["schema_version"],
            app_version=envelope["app_version"],
            created_at=cast(datetime, _aware_datetime(envelope["created_at"])),
            sha256=envelope["sha256"],
            tables={},
        )
        del self._raw  # a hundred megabytes, not needed any more
        if sum(len(tables[t]) for t in ENTITY_TABLES) < SHARE_FROM_RECORDS:
            self.cancel()  # too few records to be worth a second process
        self._shared = shared_keys(tables) if self._helper is not None else {}
        mine = {
            table: list(rows)[: len(rows) - len(self._shared.get(table, ()))]
            for table, rows in ((t, tables[t]) for t in ENTITY_TABLES)
        }
        answer = check_share(tables, mine, source=self.path)
        self.tables = _cleaned(tables, answer["cleaned"])
        self._problems = answer["problems"]
        self._links = answer["links"]

    def finish(self) -> Backup:
        """The backup once every record is checked, or :class:`BackupError` saying why not."""
        with paused_gc():
            answer = self._answer()
        problems = self._problems + answer["problems"]
        if not problems and self._links is not None and answer["links"] is not None:
            problems = self._links + answer["links"]
        if problems:
            more = _(" (and {n} more)").format(n=len(problems) - 1) if len(problems) > 1 else ""
            raise _refuse(self.path, f"{problems[0]}{more}")
        if any(answer["cleaned"].values()):
            self.tables = _cleaned(self.tables, answer["cleaned"])
            self.cleaned = True
        assert self._backup is not None  # set by check()
        return replace(self._backup, tables=self.tables)

    def cancel(self) -> None:
        """Stop the helper, if any: its verdict is not wanted."""
        if self._helper is not None:
            self._helper.cancel()
            self._helper = None

    def _answer(self) -> dict[str, Any]:
        """The helper's verdict on its share; the same check here if it gives none."""
        answer = None
        if self._helper is not None and self._raw_sha256 is not None:
            answer = self._helper.answer(self._raw_sha256.result(), self._shared)
            self._helper = None
            self.helped = answer is not None
        if answer is None:
            answer = check_share(self.tables, self._shared, source=self.path)
        return answer


def helper_tables(raw: bytes, source: Path) -> Tables:
    """A helper's parse of the backup whose bytes are ``raw``: plain, since the parent
    parses the same bytes strictly and refuses what the strict parser refuses."""
    envelope = orjson.loads(raw)
    return _migrate(source, envelope["data"], envelope["schema_version"])


def shared_keys(tables: Tables) -> dict[str, list[str]]:
    """The records a helper checks, per table: the last part of each shared one."""
    shared = {}
    for table, fraction in SHARED_FRACTIONS.items():
        keys = list(tables[table])
        shared[table] = keys[len(keys) - int(len(keys) * fraction) :]
    return shared


def _cleaned(tables: Tables, cleaned: dict[str, dict[str, Any]]) -> Tables:
    """``tables`` with the documents the models wrote differently in their place (new
    dicts: a restore may be writing the old ones in a thread)."""
    return {
        name: {**rows, **cleaned[name]} if cleaned.get(name) else rows
        for name, rows in tables.items()
    }


_MODELS: dict[str, type[Record]] = {"partners": Partner, "pacts": Pact, "activities": Activity}


def check_share(tables: Tables, share: dict[str, list[str]], *, source: Path) -> dict[str, Any]:
    """The verdict on some of the records of the backup read from ``source`` (``share``:
    their keys per table): what a helper process answers
    (:mod:`patti.core.checkworker`), or the parent for its own share.

    ``problems`` are the documents their model refuses, worded as
    :meth:`Store.check` words them; ``links``, the reference problems of the
    others, unless there were problems (``None``); ``cleaned``, per table, the
    documents as the store would write them where that differs from how they
    were read: through the models, so text a backup carries is cleaned (control
    characters, bidi overrides) exactly as typed text is.
    """
    problems = []
    records: list[Record] = []
    cleaned: dict[str, dict[str, Any]] = {}
    for table in ENTITY_TABLES:
        rows, model, documents = tables[table], _MODELS[table], {}
        for key in share.get(table, ()):
            try:
                record = validate_document(model, {**rows[key], "id": int(key)})
            except pydantic.ValidationError as exc:
                problems.append(f"{table}/{key}: {describe_validation_error(exc)}")
                continue
            documents[key] = record.model_dump(mode="json", exclude={"id"})
            records.append(record)
        cleaned[table] = _differing(documents, rows)
    if problems:
        return {"problems": problems, "links": None, "cleaned": cleaned}
    links = _link_problems(source, _cleaned(tables, cleaned), records)
    return {"problems": problems, "links": links, "cleaned": cleaned}


def _differing(documents: dict[str, Any], rows: dict[str, Any]) -> dict[str, Any]:
    """The ``documents`` not written as ``rows`` holds them (``1 == 1.0 == True`` in
    Python, not in the file), compared all at once first: usually nothing differs."""
    if orjson.dumps(documents) == orjson.dumps({key: rows[key] for key in documents}):
        return {}
    return {
        key: doc for key, doc in documents.items() if orjson.dumps(doc) != orjson.dumps(rows[key])
    }


def _link_problems(source: Path, tables: Tables, records: list[Record]) -> list[str]:
    """What :meth:`Store.check_links` finds in ``records`` (references, unique codes), in
    ``tables`` read from the file ``source``."""
    # The models first: the store's reference checks walk the raw documents of *other*
    # records too, and assume their fields have the model's types.
    try:
        db = TinyDB(source, storage=_BackupTables, tables=tables)
        storage = cast(DurableStorage, db.storage)
        store = Store(source, storage, db, lock=None, holder=None)
        return store.check_links(records)  # each record validated once, before
    except StoreError as exc:  # the file went away while it was being read
        return [str(exc)]


def _envelope(raw: bytes, path: Path) -> tuple[dict[str, Any], Tables]:
    """The backup's envelope and its tables (migrated), all but the records verified."""
    if not raw.strip():
        raise _refuse(path, _("it is empty"))
    try:
        envelope = parse_strict(raw)
    except (UnicodeDecodeError, _NotUtf8) as exc:
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
    if not isinstance(tables, dict):
        raise _refuse(path, _table_names_problem())
    if not isinstance(envelope["sha256"], str) or digest(tables) != envelope["sha256"]:
        raise _refuse(path, _("its checksum does not match its content (damaged or edited)"))
    created = _aware_datetime(envelope["created_at"])
    if created is None:
        raise _refuse(path, _("its created_at is not a date and time"))
    if not isinstance(envelope["app_version"], str):
        raise _refuse(path, "app_version: " + _("must be text"))
    tables = _migrate(path, tables, version)
    problem = _shape_problem(tables)
    if problem:
        raise _refuse(path, problem)
    return envelope, tables


def _aware_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date and time with its offset (as the JSON Schema's date-time)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def _migrate(path: Path, tables: Any, version: int) -> Tables:
    """Step by step from ``version`` to the current schema, one migration per version."""
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise _refuse(
                path,
                _("its schema {found} is older than any this patti can migrate").format(
                    found=version
                ),
            )
        try:
            tables = step(tables)
            meta = dict(next(iter(tables[META_TABLE].values())))
        except Exception as exc:  # old data the migration did not expect: refuse, don't crash
            reason = _("schema version {found}, expected {known}").format(
                found=version, known=SCHEMA_VERSION
            )
            raise _refuse(path, f"{reason} ({type(exc).__name__}: {exc})") from exc
        version += 1
        meta["schema_version"] = version
        tables = {**tables, META_TABLE: {"1": meta}}
    return tables  # type: ignore[no-any-return]


_ID = re.compile(r"[1-9][0-9]{0,17}")


def _table_names_problem() -> str:
    return _("its data must hold exactly the tables {tables}").format(
        tables=", ".join(sorted({META_TABLE, *ENTITY_TABLES}))
    )


def _shape_problem(tables: Any) -> str | None:
    """The tables' structure, before the records are validated one by one."""
    if not isinstance(tables, dict) or set(tables) != {META_TABLE, *ENTITY_TABLES}:
        return _table_names_problem()
    meta_rows = tables[META_TABLE]
    meta = meta_rows.get("1") if isinstance(meta_rows, dict) and len(meta_rows) == 1 else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not _high_marks_ok(meta):
        return _("its _meta table is not a patti store's")
    if meta.get("schema_version") != SCHEMA_VERSION:
        return _("its _meta.schema_version does not match the envelope")
    for name in ENTITY_TABLES:
        rows = tables[name]
        if not isinstance(rows, dict):
            return _("its table {table} is not an object").format(table=name)
        for key, doc in rows.items():
            # The id is the document's key: a second one inside could only disagree with it.
            if not _ID.fullmatch(key) or not isinstance(doc, dict) or "id" in doc:
                return _("{table}/{key} is not a record").format(table=name, key=key)
    return None


def _high_marks_ok(meta: dict[str, Any]) -> bool:
    marks = meta.get("last_ids")
    return isinstance(marks, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in marks.values()
    )


class _BackupTables(DurableStorage):
    """A backup's tables as a read-only storage, in memory: the store's own checks run on
    them without the personal data they hold being written anywhere."""

    def __init__(self, path: Path, *, tables: Tables) -> None:
        self._backup_tables = tables
        super().__init__(path, readonly=True)

    def _load(self) -> Tables:
        return self._backup_tables


# -- listing and rotation ----------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    path: Path
    kind: str
    stamp: datetime


def _name_pattern(store_path: Path) -> str:
    return (
        re.escape(store_path.stem) + r"(?:-(auto|before-restore))?-(\d{8}-\d{6})(?:-(\d+))?\.json"
    )


def _backup_files(store_path: Path) -> list[_File]:
    """This store's backup files, newest first, known by their names alone (cheap)."""
    folder = backups_folder(store_path)
    pattern = re.compile(_name_pattern(store_path))
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        match = pattern.fullmatch(path.name)
        if match is None:
            continue
        try:
            stamp = datetime.strptime(match.group(2), "%Y%m%d-%H%M%S")
        except ValueError:  # a look-alike name (month 13): not one of ours
            continue
        serial = int(match.group(3) or 1)
        found.append((stamp, serial, _File(path, match.group(1) or "", stamp)))
    return [f for _s, _n, f in sorted(found, key=lambda t: (t[0], t[1]), reverse=True)]


def iter_backups(store_path: Path) -> Iterator[Listing]:
    """This store's backups, newest first, each verified as it is reached (stop early when
    the newest good one is enough).

    Verifying reads the whole file (seconds at 100,000 records), so a good
    verdict is remembered in the backups folder, keyed by the file's size,
    inode and modification time: an unchanged file is not read again. A
    restore always reads and verifies the file afresh.
    """
    verdicts = _Verdicts(backups_folder(store_path))
    for file in _backup_files(store_path):
        known = verdicts.get(file.path)
        if known is not None:
            yield Listing(file.path, known[0], known[1], file.kind, None)
            continue
        try:
            backup = read_backup(file.path)
        except BackupError as exc:
            size = file.path.stat().st_size if file.path.exists() else 0
            yield Listing(file.path, size, None, file.kind, str(exc))
            continue
        verdicts.remember(file.path, backup.size, backup.created_at)
        yield Listing(file.path, backup.size, backup.created_at, file.kind, None)


class _Verdicts:
    """Good verdicts of backup files, in ``.verified.json`` beside them (a cache: losing it
    costs a re-read, never a wrong answer about a changed file)."""

    NAME = ".verified.json"

    def __init__(self, folder: Path) -> None:
        self._path = folder / self.NAME
        try:
            data = orjson.loads(self._path.read_bytes())
            files = data["files"] if data.get("version") == 1 else {}
        except (OSError, orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            files = {}
        self._files: dict[str, Any] = files if isinstance(files, dict) else {}

    @staticmethod
    def _key(path: Path) -> list[int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return [st.st_size, st.st_ino, st.st_mtime_ns]

    def get(self, path: Path) -> tuple[int, datetime] | None:
        entry = self._files.get(path.name)
        key = self._key(path)
        if not isinstance(entry, dict) or key is None or entry.get("key") != key:
            return None
        created = _aware_datetime(entry.get("created_at"))
        return (key[0], created) if created is not None else None

    def remember(self, path: Path, size: int, created_at: datetime) -> None:
        key = self._key(path)
        if key is None or key[0] != size:
            return
        live = {f.name for f in self._path.parent.glob("*.json")}
        self._files = {name: e for name, e in self._files.items() if name in live}
        self._files[path.name] = {"key": key, "created_at": created_at.isoformat()}
        with contextlib.suppress(StoreError):  # a read-only folder: verify again next time
            atomic_write_bytes(self._path, orjson.dumps({"version": 1, "files": self._files}))


def list_backups(store_path: Path) -> list[Listing]:
    """This store's backups, newest first, each read and verified."""
    return list(iter_backups(store_path))


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


def _remove_stale_temp_files(store_path: Path) -> list[Path]:
    """Delete the hidden temp files that killed backup writers left in the backups folder.

    They are never listed nor read, but they hold personal data that rotation
    must not keep forever. A young one may belong to a backup being written
    right now by a patti without the lock (``patti backup`` beside a running
    TUI), so only those older than :data:`STALE_TEMP_SECONDS` go.
    """
    folder = backups_folder(store_path)
    own = re.compile(r"\." + _name_pattern(store_path) + r"\.[0-9a-f]+" + re.escape(TEMP_SUFFIX))
    removed = []
    for candidate in folder.glob(f".*{TEMP_SUFFIX}") if folder.is_dir() else ():
        if not own.fullmatch(candidate.name):
            continue
        with contextlib.suppress(OSError):
            if time.time() - candidate.stat().st_mtime > STALE_TEMP_SECONDS:
                candidate.unlink()
                removed.append(candidate)
    return removed


def auto_backup(store: Store, *, now: datetime | None = None) -> Path | None:
    """Back up ``store`` unless an automatic backup of today already exists; rotate.

    Called when a store is opened for writing. An empty new store is not worth
    a backup. A file only ever gets a backup's name once it verified, so an
    existing one of today needs no second reading.
    """
    if store.readonly:
        return None
    _remove_stale_temp_files(store.path)
    if not any(len(store._raw(t)) for t in ENTITY_TABLES):
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
        keys = list(a) if list(a) == list(b) else list(a.keys() | b.keys())
        count = 0
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            before, after = [a.get(k) for k in chunk], [b.get(k) for k in chunk]
            # Most of a restore's records are as in the store: compared as one text per
            # thousand records, three times faster than record by record.
            if orjson.dumps(before) != orjson.dumps(after):
                count += sum(1 for x, y in zip(before, after, strict=True) if x != y)
        changed[table] = count
    return changed


_CHUNK = 1000


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
    """Keep the bytes of a store about to be replaced under a new name beside it; never
    over an earlier one (two restores in the same second)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    serial = 1
    while True:
        aside = path.with_name(
            f"{path.name}.damaged-{stamp}" + (f"-{serial}" if serial > 1 else "")
        )
        serial += 1
        try:
            os.link(path, aside)  # the same bytes under a second name, whatever their size
            return aside
        except FileExistsError:
            continue
        except OSError:  # no hard links on this file system: a durable copy instead
            if aside.exists():
                continue
            replace_with(write_temp(aside, path.read_bytes()), aside)
            return aside


def _store_temp(store_path: Path, tables: Tables) -> Path:
    """The restored tables (verified record by record when the backup was read) as a
    durable temp store file beside the store, read back and compared byte for byte."""
    payload = orjson.dumps(tables)
    tmp = write_temp(store_path, payload)
    try:
        _same_bytes(tmp, payload, _("The restored file does not read back as written."))
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def _same_bytes(path: Path, payload: bytes, message: str) -> None:
    """Refuse a file whose bytes on disk are not ``payload`` (a bad disk, a full one
    that lied): what was verified in memory is then what the file holds."""
    try:
        same = path.read_bytes() == payload
    except OSError as exc:
        raise BackupError(f"{message} ({exc.strerror or exc})") from exc
    if not same:
        raise BackupError(message)


def restore(store: Store, backup_path: Path, *, dry_run: bool = False) -> RestoreResult:
    """Replace the content of the open, writable ``store`` with a backup.

    The backup is parsed strictly and verified, written to a temp file
    beside the store and checked record by record; the live store is backed
    up; then one ``os.replace`` swaps the files under the lock. Anything
    refused before the swap leaves the store file byte-identical; a dry run
    writes nothing at all.
    """
    current = store.snapshot()
    reading = _Reading.open(backup_path)
    writable = not dry_run and not store.readonly
    safety = temp = None
    try:
        if writable:  # the live store's backup, written while the restored one is verified
            when = datetime.now(UTC).astimezone()
            output = _backup_path(store, None, "before-restore", when)
            safety = _FileInThread(partial(_backup_temp, output, current, when))
        reading.check()
        if writable:  # the records as read so far: written again if the helper cleans some
            restored = _keep_high_water_marks(reading.tables, current)
            temp = _FileInThread(partial(_store_temp, store.path, restored))
        with paused_gc():  # while the helper finishes: what the records change
            changed = _changed(current, reading.tables)
        backup = reading.finish()
        tables = _keep_high_water_marks(backup.tables, current)
        if reading.cleaned:
            with paused_gc():
                changed = _changed(current, tables)
            if temp is not None:
                temp.discard()
                temp = _FileInThread(partial(_store_temp, store.path, tables))
        result = RestoreResult(
            before=_counts(current), after=backup.counts(), dry_run=dry_run, changed=changed
        )
        if dry_run:  # the records were verified; a dry run writes nothing
            return result
        if safety is None or temp is None:
            raise BackupError(store.readonly_reason() or _("The store is open read-only."))
        with paused_gc():
            tmp = temp.take()
            replace_with(safety.take(), output)
            store.swap_in(tmp, tables)
    finally:
        reading.cancel()
        for pending in (safety, temp):
            if pending is not None:
                pending.discard()
    return replace(result, safety_backup=output)


def restore_damaged(store_path: Path, backup_path: Path, *, dry_run: bool = False) -> RestoreResult:
    """Restore over a store file that cannot be opened (empty, truncated, foreign, newer).

    The damaged file is never deleted: it is set aside as
    ``<name>.damaged-<time>`` before the restored one takes its place, under
    the store's lock.
    """
    backup = read_backup(backup_path)
    result = RestoreResult(before={}, after=backup.counts(), dry_run=dry_run)
    # The lock's path is the resolved one: through a symlink, its target is replaced.
    with Store.lock(store_path) as target:
        if dry_run:
            return result
        tmp = _store_temp(target, backup.tables)
        try:
            aside = _set_aside(target) if target.exists() else None
            replace_with(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
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
            "propertyNames": {"pattern": "^[1-9][0-9]{0,17}$"},
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
