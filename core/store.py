"""The store: a typed repository of partners, pacts and activities over TinyDB.

One TinyDB JSON file holds tables ``partners``, ``pacts``, ``activities`` and
``_meta`` (format marker, ``schema_version``, id high-water marks). Only this
module and :mod:`patti.core.storage` touch TinyDB.

One process writes: a ``filelock`` lock next to the file. A second instance
opens read-only and can say who holds the lock and since when.
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import socket
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar, cast

import orjson
import pydantic
from filelock import FileLock, Timeout
from tinydb import TinyDB

from . import __version__
from .dates import format_datetime
from .errors import (
    ConflictError,
    IntegrityError,
    NewerSchemaError,
    NotFoundError,
    StoreError,
)
from .i18n import _, ngettext
from .model import Activity, Pact, Partner, Record, validate_document
from .storage import (
    FORMAT,
    META_TABLE,
    DurableStorage,
    PattiTable,
    Tables,
    atomic_write_bytes,
    journal_path_of,
    remove_orphan_temp_files,
)
from .text import clean_text
from .validation import describe_validation_error

SCHEMA_VERSION = 1
ENTITY_TABLES = ("partners", "pacts", "activities")

R = TypeVar("R", bound=Record)


def default_store_path() -> Path:
    """Where the store lives when neither ``--db`` nor ``PATTI_DB`` says otherwise."""
    override = os.environ.get("PATTI_DB")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("patti", appauthor=False) / "patti.json"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class LockHolder:
    """Who holds the write lock: shown to a second instance."""

    pid: int
    user: str
    host: str
    since: str

    def describe(self) -> str:
        try:
            since = format_datetime(datetime.fromisoformat(self.since).astimezone())
        except ValueError:
            since = self.since
        return _("{user} on {host} (process {pid}) since {since}").format(
            user=self.user, host=self.host, pid=self.pid, since=since
        )


def _values_at(doc: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """The values at a dotted path, through lists: ``members.partner_id`` gives every
    member's partner id."""
    if isinstance(doc, list):
        for item in doc:
            yield from _values_at(item, path)
        return
    if not path:
        yield doc
    elif isinstance(doc, dict) and path[0] in doc:
        yield from _values_at(doc[path[0]], path[1:])


class FieldIndex:
    """Ids of one table's records by the values at a field path, kept current from the
    store's change feed and its open transaction.

    Built on first use (one pass over plain dicts), then refreshed for the ids
    changed since: a lookup costs O(changes), not O(table). Ids changed by an
    open transaction are derived again at the next lookup, since they may yet
    be rolled back. Each id's document as last indexed is kept (a pointer:
    documents are never changed in place), so its old values can be removed
    without keeping a copy of them.
    """

    def __init__(self, store: Store, table: str, path: str) -> None:
        self._store = store
        self._table = table
        self._day = path.endswith(":day")  # "starts_at:day": the date part of a datetime
        self._path = tuple(path.removesuffix(":day").split("."))
        self._fold = path == "code"  # pact codes are unique whatever their case
        self._ids: dict[Any, set[int]] | None = None
        self._indexed: dict[int, dict[str, Any]] = {}
        self._version = 0
        self._pending: set[int] = set()

    def ids(self, value: Any) -> list[int]:
        """The ids whose field holds ``value``, in id order."""
        return sorted(self._refreshed().get(value, ()))

    def _keys(self, doc: dict[str, Any]) -> Iterable[Any]:
        if len(self._path) == 1:  # the common case, without the generator
            value = doc.get(self._path[0])
            if self._day:
                return (value[:10],) if isinstance(value, str) else ()
            if not isinstance(value, list):
                return (str(value).casefold(),) if self._fold else (value,)
            values: Iterable[Any] = value
        else:
            values = _values_at(doc, self._path)
        if self._fold:
            return {str(v).casefold() for v in values}
        return {v for v in values if isinstance(v, (int, str, bool)) or v is None}

    def _add(self, record_id: int, doc: dict[str, Any]) -> None:
        ids = self._ids
        assert ids is not None
        for key in self._keys(doc):
            try:
                bucket = ids.get(key)
            except TypeError:  # a hand-edited file put a dict or list here: not indexed
                continue
            if bucket is None:
                ids[key] = {record_id}
            else:
                bucket.add(record_id)
        self._indexed[record_id] = doc

    def _refreshed(self) -> dict[Any, set[int]]:
        store = self._store
        rows = store._raw(self._table)
        changed = store.changes_since(self._version) if self._ids is not None else None
        if self._ids is None or changed is None:
            self._ids, self._indexed = {}, {}
            for key, doc in rows.items():
                self._add(int(key), doc)
            stale: Iterable[int] = ()
        else:
            stale = changed.get(self._table, set()) | self._pending
        pending = store._storage.pending_ids(self._table)
        ids = self._ids
        for record_id in itertools.chain(stale, pending):
            old = self._indexed.pop(record_id, None)
            if old is not None:
                for key in self._keys(old):
                    with contextlib.suppress(KeyError, TypeError):
                        ids[key].discard(record_id)
            current = rows.get(str(record_id))
            if current is not None:
                self._add(record_id, current)
        self._pending = pending
        self._version = store.version
        return ids


class Repository(Generic[R]):
    """Typed access to one table. Writes go through the :class:`Store` for integrity."""

    model: type[R]
    table_name: ClassVar[str]

    def __init__(self, store: Store, model: type[R], table_name: str) -> None:
        self._store = store
        self.model = model
        self.table_name = table_name  # type: ignore[misc]
        self._indexes: dict[str, FieldIndex] = {}
        self._by_id: tuple[int, dict[int, dict[str, Any]]] | None = None

    @property
    def _table(self) -> PattiTable:
        return self._store._tables[self.table_name]

    def _to_model(self, doc_id: int | str, doc: dict[str, Any]) -> R:
        return validate_document(self.model, {**doc, "id": int(doc_id)})

    def get(self, record_id: int) -> R:
        """The record with this id, or :class:`NotFoundError`."""
        doc = self._store._raw(self.table_name).get(str(record_id))
        if doc is None:
            raise NotFoundError(
                _("No {entity} with id {id}.").format(entity=self._entity_label(), id=record_id)
            )
        return self._to_model(record_id, doc)

    def find(self, record_id: int) -> R | None:
        try:
            return self.get(record_id)
        except NotFoundError:
            return None

    def exists(self, record_id: int) -> bool:
        return str(record_id) in self._store._raw(self.table_name)

    def all(self) -> list[R]:
        """Every record, in id order."""
        return [self._to_model(k, v) for k, v in self._store._raw(self.table_name).items()]

    def raw_items(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Ids and stored documents without validation, for fast filters and indexes."""
        for key, doc in self._store._raw(self.table_name).items():
            yield int(key), doc

    def __len__(self) -> int:
        return len(self._store._raw(self.table_name))

    def ids_where(self, path: str, value: Any) -> list[int]:
        """Ids of the records whose field ``path`` holds ``value``, through an index kept
        current on every commit: ``activities.ids_where("pact_id", 3)``,
        ``pacts.ids_where("members.partner_id", 7)`` (a list field matches any item),
        ``activities.ids_where("starts_at:day", "2025-05-14")`` (the date of a datetime)."""
        index = self._indexes.get(path)
        if index is None:
            index = self._indexes[path] = FieldIndex(self._store, self.table_name, path)
        return index.ids(value)

    def raw_where(self, path: str, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """Ids and stored documents of :meth:`ids_where`'s records, without validation."""
        rows = self._store._raw(self.table_name)
        return [(i, rows[str(i)]) for i in self.ids_where(path, value)]

    def raw_by_id(self) -> Mapping[int, dict[str, Any]]:
        """Every stored document by its (integer) id, without validation; built once per
        store version, so callers reading many records per report pay for it once."""
        if self._store._storage.pending_ids(self.table_name):
            return dict(self.raw_items())  # an open transaction changed this table
        cached = self._by_id
        if cached is None or cached[0] != self._store.version:
            cached = self._by_id = (self._store.version, dict(self.raw_items()))
        return MappingProxyType(cached[1])

    def raw_where_any(self, **paths: Iterable[Any]) -> list[tuple[int, dict[str, Any]]]:
        """Ids and documents of the records matching any of the values of any of the
        fields, in id order: ``raw_where_any(pact_id=[3], partner_ids=[7, 9])``."""
        ids: set[int] = set()
        for path, values in paths.items():
            for value in values:
                ids.update(self.ids_where(path, value))
        rows = self._store._raw(self.table_name)
        return [(i, rows[str(i)]) for i in sorted(ids)]

    def where(self, path: str, value: Any) -> list[R]:
        """The records of :meth:`ids_where`, validated."""
        return [self._to_model(i, doc) for i, doc in self.raw_where(path, value)]

    def _entity_label(self) -> str:
        return {
            "partners": _("partner"),
            "pacts": _("pact"),
            "activities": _("activity"),
        }[self.table_name]


class Store:
    """A patti store file, opened for writing (with the lock) or read-only."""

    def __init__(
        self,
        path: Path,
        storage: DurableStorage,
        db: TinyDB,
        lock: FileLock | None,
        holder: LockHolder | None,
    ) -> None:
        self.path = path
        self._storage = storage
        self._db = db
        self._lock = lock
        self.lock_holder = holder
        self._key_floor: dict[str, int] = {}
        self._tables: dict[str, PattiTable] = {
            name: cast(PattiTable, db.table(name)) for name in (*ENTITY_TABLES, META_TABLE)
        }
        self.partners: Repository[Partner] = Repository(self, Partner, "partners")
        self.pacts: Repository[Pact] = Repository(self, Pact, "pacts")
        self.activities: Repository[Activity] = Repository(self, Activity, "activities")

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> Store:
        """Open (creating if missing) the store at ``path``.

        If another process holds the write lock, the store opens read-only and
        :attr:`lock_holder` says who. ``readonly=True`` never takes the lock.
        """
        target = Path(path).expanduser() if path is not None else default_store_path()
        target = target.resolve()  # a symlink's target is what gets replaced and locked
        if target.is_dir():
            raise StoreError(_("{path} is a folder, not a store file.").format(path=target))
        lock: FileLock | None = None
        holder: LockHolder | None = None
        if not readonly:
            target.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(_lock_path(target), timeout=0, thread_local=False)
            try:
                lock.acquire()
            except Timeout:
                lock = None
                readonly = True
                holder = _read_holder(target)
            except OSError as exc:  # a read-only folder: no lock file (Timeout is caught above)
                raise _cannot_lock(target, exc) from exc
        if readonly and not target.exists():
            raise StoreError(_("{path} does not exist.").format(path=target))
        try:
            if lock is not None:
                remove_orphan_temp_files(target)
                remove_orphan_temp_files(journal_path_of(target))
                remove_orphan_temp_files(_holder_path(target))
            initial = _initial_data() if lock is not None else None
            db = _PattiDB(target, storage=DurableStorage, readonly=readonly, initial=initial)
            store = cls(target, db.storage, db, lock, holder)  # type: ignore[arg-type]
            store._check_schema()
            if lock is not None:
                _write_holder(target)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return store

    @classmethod
    @contextlib.contextmanager
    def lock(cls, path: str | os.PathLike[str]) -> Iterator[Path]:
        """Hold the write lock of the store file at ``path`` without opening it.

        For replacing a file that cannot be opened (a restore over a damaged
        store): :class:`StoreError` naming the holder if another patti has it.
        """
        target = Path(path).expanduser().resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(_lock_path(target), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            holder = _read_holder(target)
            raise StoreError(
                _("Read-only: {holder} has this store open for writing.").format(
                    holder=holder.describe()
                )
                if holder
                else _("Read-only: another patti has this store open for writing.")
            ) from None
        except OSError as exc:  # Timeout is an OSError too: it must come first
            raise _cannot_lock(target, exc) from exc
        try:
            remove_orphan_temp_files(target)
            yield target
        finally:
            lock.release()

    def close(self) -> None:
        """Fold the journal into the file, then release the lock."""
        if self._lock is not None:
            self._storage.close()
            with contextlib.suppress(OSError):
                _holder_path(self.path).unlink()
            self._lock.release()
            self._lock = None
        self._storage.readonly = True  # without the lock, a late write could race a new writer

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def readonly(self) -> bool:
        return self._storage.readonly

    def readonly_reason(self) -> str | None:
        """A sentence for the operator when the store is read-only, else ``None``."""
        if not self.readonly:
            return None
        if self.lock_holder is not None:
            return _("Read-only: {holder} has this store open for writing.").format(
                holder=self.lock_holder.describe()
            )
        return _("Read-only: another patti has this store open for writing.")

    # -- meta --------------------------------------------------------------

    @property
    def meta(self) -> dict[str, Any]:
        rows = self._raw(META_TABLE)
        return dict(next(iter(rows.values())))

    @property
    def schema_version(self) -> int:
        return int(self.meta.get("schema_version", 0))

    def _check_schema(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                _(
                    "{path} was written by a newer patti (schema {found}, this one knows "
                    "{known}): update patti to open it."
                ).format(path=self.path, found=version, known=SCHEMA_VERSION)
            )

    def update_meta(self, **changes: Any) -> None:
        """Merge JSON-serialisable ``changes`` into the meta record (one durable write)."""
        self._set_meta(**changes)

    def _set_meta(self, **changes: Any) -> None:
        meta = {**self.meta, **changes}
        self._tables[META_TABLE].put(1, meta)

    def _next_id(self, table: str) -> int:
        """Ids are never reused, so a deleted record's id cannot be confused with a new one.

        The high-water mark lives in meta; the table's keys are scanned once per
        open, in case the file was edited by hand.
        """
        if table not in self._key_floor:
            self._key_floor[table] = max(map(int, self._raw(table).keys()), default=0)
        high = dict(self.meta.get("last_ids", {}))
        next_id = max(int(high.get(table, 0)), self._key_floor[table]) + 1
        high[table] = next_id
        self._set_meta(last_ids=high)
        return next_id

    # -- transactions --------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """Commit every change inside the block as one durable write, or none of them."""
        try:
            with self._storage.transaction():
                yield self
        finally:
            for table in self._tables.values():
                table.clear_cache()

    # -- change feed (indexes kept current) -----------------------------------------

    @property
    def version(self) -> int:
        """Grows with every committed change: an index built at one version is current
        while the store is still at it."""
        return self._storage.version

    def changes_since(self, version: int) -> dict[str, set[int]] | None:
        """Ids per table added, updated or deleted by commits after ``version``.

        ``None`` when the feed no longer reaches back that far (a restore, or
        more changes than it keeps): rebuild whatever was derived from the store.
        """
        return self._storage.changes_since(version)

    #: The field indexes integrity checks, partner usage, reports and planners use.
    COMMON_INDEXES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("activities", "pact_id"),
        ("activities", "partner_ids"),
        ("activities", "place_partner_id"),
        ("activities", "starts_at:day"),
        ("pacts", "members.partner_id"),
        ("pacts", "predecessor_id"),
        ("pacts", "code"),
        ("partners", "parent_id"),
        ("partners", "kind"),
    )

    def warm_indexes(self) -> None:
        """Build the common field indexes now (a few tenths of a second at 100,000
        records), e.g. while an opening screen shows, rather than on the first click
        that needs one. Not thread-safe: call it before other threads use the store."""
        repos: dict[str, Repository[Any]] = {
            "partners": self.partners,
            "pacts": self.pacts,
            "activities": self.activities,
        }
        for table, path in self.COMMON_INDEXES:
            repos[table].ids_where(path, None)

    # -- whole-store access (backups) ----------------------------------------------

    def snapshot(self) -> Tables:
        """Every table as committed (documents keyed by id); do not mutate the documents.

        Each table is a shallow copy (milliseconds at 100,000 records): later
        commits change the live tables in place, never the documents, so a
        worker thread can serialise a snapshot while the operator edits.
        """
        return {name: dict(rows) for name, rows in self._storage.committed.items()}

    def compact(self) -> None:
        """Fold the journal into the store file now (it also happens at close)."""
        self._storage.compact()

    @property
    def journal_records(self) -> int:
        """Commits kept in the journal beside the file, not yet folded into it."""
        return self._storage.journal_records

    def swap_in(self, tmp: Path, tables: Tables) -> None:
        """Replace the whole store with the verified store file ``tmp`` holding ``tables``."""
        self._storage.swap_in(tmp, tables)
        self._key_floor.clear()
        for table in self._tables.values():
            table.clear_cache()

    # -- raw access (this module and services' fast paths) ---------------------

    def _raw(self, table: str) -> dict[str, dict[str, Any]]:
        return self._storage.read().get(table, {})

    def _repo(self, record: Record) -> Repository[Any]:
        if isinstance(record, Partner):
            return self.partners
        if isinstance(record, Pact):
            return self.pacts
        if isinstance(record, Activity):
            return self.activities
        raise TypeError(type(record).__name__)

    # -- writes --------------------------------------------------------------

    def add(self, record: R) -> R:
        """Save a new record and return it with its id and revision 1."""
        repo = self._repo(record)
        if record.id is not None:
            raise IntegrityError(_("A new record cannot already have an id."))
        with self.transaction():
            self._check_references(record)
            record_id = self._next_id(repo.table_name)
            now = _now()
            saved = _revalidate(record, id=record_id, revision=1, created_at=now, updated_at=now)
            self._check_unique(saved)
            repo._table.put(record_id, _document(saved))
        return saved  # type: ignore[return-value]

    def update(self, record: R) -> R:
        """Save changes to a record read at ``record.revision``; refuse a lost update."""
        repo = self._repo(record)
        if record.id is None:
            raise IntegrityError(_("Only a saved record can be updated."))
        current = repo.get(record.id)
        if current.revision != record.revision:
            raise ConflictError(
                _(
                    "{entity} {id} was changed elsewhere since you opened it "
                    "(revision {theirs}, yours {mine}): reload it and apply your change again."
                ).format(
                    entity=repo._entity_label().capitalize(),
                    id=record.id,
                    theirs=current.revision,
                    mine=record.revision,
                )
            )
        with self.transaction():
            self._check_references(record)
            saved = _revalidate(
                record,
                revision=current.revision + 1,
                created_at=current.created_at,
                updated_at=_now(),
            )
            self._check_unique(saved)
            repo._table.put(record.id, _document(saved))
        return saved  # type: ignore[return-value]

    def delete_partner(self, partner_id: int, *, detach: bool = False) -> None:
        """Delete a partner; refuse while pacts, activities or schools use it, unless ``detach``.

        Detaching removes the partner from memberships, activity participants
        and hosts, and clears the parent link of its schools, in the same
        transaction.
        """
        partner = self.partners.get(partner_id)
        users = self.partner_usage(partner_id)
        if any(users.values()) and not detach:
            raise IntegrityError(_describe_usage(partner, users))
        with self.transaction():
            for pact in users["pacts"]:
                pact.members = [m for m in pact.members if m.partner_id != partner_id]
                self._put_silently(pact)
            for activity in users["activities"]:
                activity.partner_ids = [p for p in activity.partner_ids if p != partner_id]
                if activity.place_partner_id == partner_id:
                    activity.place_partner_id = None
                    activity.place = activity.place or partner.name
                self._put_silently(activity)
            for child in users["partners"]:
                child.parent_id = None
                self._put_silently(child)
            self.partners._table.delete(partner_id)

    def delete_pact(self, pact_id: int, *, cascade: bool = False) -> list[int]:
        """Delete a pact; its activities go with it only when ``cascade`` is set.

        A pact that continues this one keeps existing and loses its
        predecessor link. Returns the ids of the activities deleted.
        """
        pact = self.pacts.get(pact_id)
        activity_ids = self.activities.ids_where("pact_id", pact_id)
        if activity_ids and not cascade:
            raise IntegrityError(
                ngettext(
                    "Pact {code} still has {n} activity: delete it first, "
                    "or delete the pact together with its activities.",
                    "Pact {code} still has {n} activities: delete them first, "
                    "or delete the pact together with its activities.",
                    len(activity_ids),
                ).format(code=pact.code, n=len(activity_ids))
            )
        with self.transaction():
            for activity_id in activity_ids:
                self.activities._table.delete(activity_id)
            for successor in self.pacts.where("predecessor_id", pact_id):
                successor.predecessor_id = None
                self._put_silently(successor)
            self.pacts._table.delete(pact_id)
        return activity_ids

    def delete_activity(self, activity_id: int) -> None:
        self.activities.get(activity_id)
        with self.transaction():
            self.activities._table.delete(activity_id)

    def partner_usage(self, partner_id: int) -> dict[str, list[Any]]:
        """Pacts, activities and child partners that refer to ``partner_id``."""
        pacts = self.pacts.where("members.partner_id", partner_id)
        activity_ids = sorted(
            {
                *self.activities.ids_where("partner_ids", partner_id),
                *self.activities.ids_where("place_partner_id", partner_id),
            }
        )
        activities = [self.activities.get(i) for i in activity_ids]
        children = self.partners.where("parent_id", partner_id)
        return {"pacts": pacts, "activities": activities, "partners": children}

    def _put_silently(self, record: Record) -> None:
        """Rewrite a record touched by a cascade, bumping its revision."""
        assert record.id is not None
        repo = self._repo(record)
        saved = _revalidate(record, revision=record.revision + 1, updated_at=_now())
        repo._table.put(record.id, _document(saved))

    # -- integrity -----------------------------------------------------------

    def _check_references(self, record: Record) -> None:
        missing: list[str] = []

        def need_partner(pid: int | None, what: str) -> None:
            if pid is not None and not self.partners.exists(pid):
                missing.append(_("{what}: no partner with id {id}").format(what=what, id=pid))

        if isinstance(record, Partner):
            need_partner(record.parent_id, _("parent"))
            if record.parent_id is not None and record.id is not None:
                self._check_no_parent_cycle(record)
        elif isinstance(record, Pact):
            for member in record.members:
                need_partner(member.partner_id, _("member"))
            if record.predecessor_id is not None:
                if not self.pacts.exists(record.predecessor_id):
                    missing.append(
                        _("predecessor: no pact with id {id}").format(id=record.predecessor_id)
                    )
                elif record.id is not None:
                    self._check_no_predecessor_cycle(record)
        elif isinstance(record, Activity):
            if not self.pacts.exists(record.pact_id):
                missing.append(_("pact: no pact with id {id}").format(id=record.pact_id))
            need_partner(record.place_partner_id, _("place"))
            for pid in record.partner_ids:
                need_partner(pid, _("participant"))
        if missing:
            raise IntegrityError("; ".join(missing))

    def _check_no_parent_cycle(self, partner: Partner) -> None:
        seen = {partner.id}
        current = partner.parent_id
        while isinstance(current, int):  # a hand-edited file may hold anything here
            if current in seen:
                raise IntegrityError(_("These parent links would form a loop."))
            seen.add(current)
            current = self._raw("partners").get(str(current), {}).get("parent_id")

    def _check_no_predecessor_cycle(self, pact: Pact) -> None:
        seen = {pact.id}
        current = pact.predecessor_id
        while isinstance(current, int):
            if current in seen:
                raise IntegrityError(_("These predecessor links would form a loop."))
            seen.add(current)
            current = self._raw("pacts").get(str(current), {}).get("predecessor_id")

    def _check_unique(self, record: Record) -> None:
        if isinstance(record, Pact):
            holders = self.pacts.ids_where("code", record.code.casefold())
            if set(holders) - {record.id}:
                raise IntegrityError(
                    _("Another pact already has the code {code}.").format(code=record.code)
                )

    def check(self) -> list[str]:
        """Every integrity problem in the file, as operator-readable lines."""
        problems: list[str] = []
        if self.schema_version != SCHEMA_VERSION:
            problems.append(
                _("schema version {found}, expected {known}").format(
                    found=self.schema_version, known=SCHEMA_VERSION
                )
            )
        records: list[Record] = []
        for repo in (self.partners, self.pacts, self.activities):
            for record_id, doc in repo.raw_items():
                try:
                    records.append(repo._to_model(record_id, doc))
                except pydantic.ValidationError as exc:
                    label = f"{repo.table_name}/{record_id}"
                    problems.append(f"{label}: {describe_validation_error(exc)}")
        return problems + self.check_links(records)

    def check_links(self, records: Iterable[Record]) -> list[str]:
        """The reference and unique-code problems of ``records``, already validated
        (a restore validates each record once, then checks the links here).

        Most records link only to ids that exist and hold no parent or
        predecessor: those are cleared by set lookups, and only the others go
        through the full checks that word the problem (a second at 100,000
        records otherwise).
        """
        partner_ids = {int(k) for k in self._raw("partners")}
        pact_ids = {int(k) for k in self._raw("pacts")}
        codes = Counter(str(d.get("code", "")).casefold() for d in self._raw("pacts").values())
        problems: list[str] = []
        for record in records:
            if isinstance(record, Activity):
                plain = (
                    record.pact_id in pact_ids
                    and (record.place_partner_id is None or record.place_partner_id in partner_ids)
                    and partner_ids.issuperset(record.partner_ids)
                )
            elif isinstance(record, Partner):
                plain = record.parent_id is None
            elif isinstance(record, Pact):
                plain = (
                    record.predecessor_id is None
                    and codes[record.code.casefold()] == 1
                    and all(m.partner_id in partner_ids for m in record.members)
                )
            else:
                plain = False
            if plain:
                continue
            try:
                self._check_references(record)
                self._check_unique(record)
            except (IntegrityError, NotFoundError) as exc:
                problems.append(f"{self._repo(record).table_name}/{record.id}: {exc}")
        return problems


class _PattiDB(TinyDB):
    table_class = PattiTable


def _revalidate(record: Record, **changes: Any) -> Record:
    """A fully validated copy of ``record`` with ``changes`` applied."""
    data = record.model_dump()
    data.update(changes)
    return type(record).model_validate(data)


def _document(record: Record) -> dict[str, Any]:
    """The JSON document stored for a record (its id is the TinyDB key)."""
    return record.model_dump(mode="json", exclude={"id"})


def _describe_usage(partner: Partner, users: dict[str, list[Any]]) -> str:
    parts = []
    if users["pacts"]:
        parts.append(
            _("pacts {names}").format(names=", ".join(p.code for p in users["pacts"][:5]))
            + ("…" if len(users["pacts"]) > 5 else "")
        )
    if users["activities"]:
        n = len(users["activities"])
        parts.append(ngettext("{n} activity", "{n} activities", n).format(n=n))
    if users["partners"]:
        parts.append(
            _("schools {names}").format(names=", ".join(p.name for p in users["partners"][:5]))
        )
    return _(
        "{name} is still used by {uses}: remove it there first, or detach it and delete."
    ).format(name=partner.name, uses="; ".join(parts))


def _initial_data() -> dict[str, dict[str, dict[str, Any]]]:
    meta = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created_at": _now().isoformat(),
        "created_by": __version__,
        "last_ids": {},
    }
    return {META_TABLE: {"1": meta}, **{t: {} for t in ENTITY_TABLES}}


def _cannot_lock(path: Path, exc: OSError) -> StoreError:
    return StoreError(
        _("Cannot take the write lock of {path}: {reason}. Nothing was changed.").format(
            path=path, reason=exc.strerror or exc
        )
    )


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _holder_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock.json")


def _write_holder(path: Path) -> None:
    try:
        user = getpass.getuser()
    except Exception:
        user = "?"
    info = {
        "pid": os.getpid(),
        "user": user,
        "host": socket.gethostname(),
        "since": _now().isoformat(),
    }
    with contextlib.suppress(StoreError):
        atomic_write_bytes(_holder_path(path), orjson.dumps(info))


def _read_holder(path: Path) -> LockHolder | None:
    try:
        info = orjson.loads(_holder_path(path).read_bytes())
        # Written by another process, or damaged: untrusted text for the banner.
        return LockHolder(
            pid=int(info["pid"]),
            user=clean_text(str(info["user"])),
            host=clean_text(str(info["host"])),
            since=clean_text(str(info["since"])),
        )
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
