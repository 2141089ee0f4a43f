"""What patti is measured against, doing the same store-level work in the same run.

- :class:`TinyDBEngine`: TinyDB 4 with its own ``JSONStorage``, as shipped
  (rereads the file on every read, rewrites it and fsyncs on every write).
- :class:`SQLiteEngine`: the same documents as JSON text, one table per
  entity with an integer primary key, WAL, ``synchronous=FULL`` (every
  commit is durable); search with ``json_extract(...) LIKE``.
- :class:`FloorEngine`: what the disk and the JSON parser allow at best: a
  600-byte append plus fsync per write, ``orjson.loads`` of the store file
  with the garbage collector paused to open, and a scan of precomputed
  lowercase text to search.

Each engine works on its own copy of the data in a scratch folder. Writes
go to the ``activities`` table (85 % of the records). Search looks where
the search boxes of the partner and pact lists look (the fields of
``patti.core.search.*_TEXT_FIELDS``) and returns the number of hits, so
the engines can be checked to do the same work.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
from collections.abc import Sequence
from functools import reduce
from operator import or_
from pathlib import Path
from typing import Any

import orjson
from tinydb import Query, TinyDB
from tinydb.table import Table

from patti.core.search import PACT_TEXT_FIELDS, PARTNER_TEXT_FIELDS

#: The lists with a search box (partners, pacts) and the fields patti searches in them.
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "partners": PARTNER_TEXT_FIELDS,
    "pacts": PACT_TEXT_FIELDS,
}
TABLES = ("partners", "pacts", "activities")
WRITES = "activities"


class Engine:
    """The store-level operations every engine offers; inputs are stored documents.

    ``prepare_*`` turn a document into the engine's own input outside the
    timed call (patti takes models, which a form would already hold).
    """

    name = "?"

    def open(self, path: Path) -> None:
        """Open ``path`` and be ready to answer the first get."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def get(self, record_id: int) -> object:
        raise NotImplementedError

    def prepare_insert(self, doc: dict[str, Any]) -> Any:
        return doc

    def insert(self, item: Any) -> None:
        raise NotImplementedError

    def prepare_update(self, record_id: int, changes: dict[str, Any]) -> Any:
        return record_id, changes

    def update(self, item: Any) -> None:
        raise NotImplementedError

    def delete(self, record_id: int) -> None:
        raise NotImplementedError

    def insert_many(self, items: Sequence[Any]) -> None:
        """All of ``items`` in one durable commit."""
        raise NotImplementedError

    def search(self, text: str) -> int:
        """How many partners and pacts contain ``text`` in a searched field."""
        raise NotImplementedError

    def backup(self, dest: Path) -> None:
        """A durable copy of the whole store at ``dest``."""
        raise NotImplementedError


def _contains(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value.lower()
    if isinstance(value, list):
        return any(isinstance(v, str) and needle in v.lower() for v in value)
    return False


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TinyDBEngine(Engine):
    """TinyDB's default ``JSONStorage``: the store patti started from."""

    name = "TinyDB"

    def __init__(self) -> None:
        self.db: TinyDB | None = None

    def _table(self, name: str = WRITES) -> Table:
        assert self.db is not None
        return self.db.table(name)

    def open(self, path: Path) -> None:
        self.path = path
        self.db = TinyDB(path)
        self._table().get(doc_id=1)  # TinyDB reads lazily: the first get is the open

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def get(self, record_id: int) -> object:
        return self._table().get(doc_id=record_id)

    def insert(self, item: Any) -> None:
        self._table().insert(item)

    def update(self, item: Any) -> None:
        record_id, changes = item
        self._table().update(changes, doc_ids=[record_id])

    def delete(self, record_id: int) -> None:
        self._table().remove(doc_ids=[record_id])

    def insert_many(self, items: Sequence[Any]) -> None:
        self._table().insert_multiple(items)

    def search(self, text: str) -> int:
        needle = text.lower()
        hits = 0
        for name, fields in TEXT_FIELDS.items():
            table = self._table(name)
            table.clear_cache()  # a repeated keystroke must not be a cache hit
            query = reduce(or_, (Query()[f].test(_contains, needle) for f in fields))
            hits += len(table.search(query))
        return hits

    def backup(self, dest: Path) -> None:
        shutil.copyfile(self.path, dest)  # TinyDB has no backup of its own: copy the file
        fsync_file(dest)


class SQLiteEngine(Engine):
    """sqlite3 with WAL and ``synchronous=FULL``: one table per entity, documents as JSON text."""

    name = "SQLite"

    def __init__(self) -> None:
        self.db: sqlite3.Connection | None = None

    @staticmethod
    def build(source: dict[str, dict[str, dict[str, Any]]], path: Path) -> None:
        """Write the entity tables of a patti store into a new SQLite file at ``path``."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN")
        for table in TABLES:
            db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
            db.executemany(
                f"INSERT INTO {table} (id, doc) VALUES (?, ?)",
                ((int(k), orjson.dumps(v).decode()) for k, v in source.get(table, {}).items()),
            )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        os.replace(tmp, path)

    @property
    def _db(self) -> sqlite3.Connection:
        assert self.db is not None
        return self.db

    def open(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)  # autocommit: each write commits
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.get(1)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def get(self, record_id: int) -> object:
        row = self._db.execute(f"SELECT doc FROM {WRITES} WHERE id = ?", (record_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def insert(self, item: Any) -> None:
        self._db.execute(f"INSERT INTO {WRITES} (doc) VALUES (?)", (orjson.dumps(item).decode(),))

    def update(self, item: Any) -> None:
        record_id, changes = item
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        row = db.execute(f"SELECT doc FROM {WRITES} WHERE id = ?", (record_id,)).fetchone()
        doc = {**orjson.loads(row[0]), **changes}
        db.execute(
            f"UPDATE {WRITES} SET doc = ? WHERE id = ?", (orjson.dumps(doc).decode(), record_id)
        )
        db.execute("COMMIT")

    def delete(self, record_id: int) -> None:
        self._db.execute(f"DELETE FROM {WRITES} WHERE id = ?", (record_id,))

    def insert_many(self, items: Sequence[Any]) -> None:
        db = self._db
        db.execute("BEGIN")
        db.executemany(
            f"INSERT INTO {WRITES} (doc) VALUES (?)", ((orjson.dumps(i).decode(),) for i in items)
        )
        db.execute("COMMIT")

    def search(self, text: str) -> int:
        pattern = f"%{text}%"
        hits = 0
        for table, fields in TEXT_FIELDS.items():
            where = " OR ".join(f"json_extract(doc, '$.{f}') LIKE ?1" for f in fields)
            hits += len(
                self._db.execute(f"SELECT id FROM {table} WHERE {where}", (pattern,)).fetchall()
            )
        return hits

    def backup(self, dest: Path) -> None:
        target = sqlite3.connect(dest)
        try:
            self._db.backup(target)
        finally:
            target.close()
        fsync_file(dest)


class FloorEngine(Engine):
    """The lower bound this disk and parser set: no engine can do the same work faster."""

    name = "floor"
    RECORD = b"x" * 599 + b"\n"  # one ~600-byte journal record

    def __init__(self) -> None:
        self.fd = -1
        self.texts: dict[str, list[tuple[int, str]]] = {}
        self.size = 0

    def open(self, path: Path) -> None:
        raw = path.read_bytes()
        enabled = gc.isenabled()
        gc.disable()
        try:
            self.data = orjson.loads(raw)
        finally:
            if enabled:
                gc.enable()
        self.size = len(raw)
        self.journal = path.with_name(path.name + ".floor-journal")
        self.fd = os.open(self.journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self.journal.unlink(missing_ok=True)

    def index(self) -> None:
        """Lowercase text of every record's searched fields, built once (not timed)."""
        for table, fields in TEXT_FIELDS.items():
            rows = []
            for key, doc in self.data.get(table, {}).items():
                parts: list[str] = []
                for f in fields:
                    value = doc.get(f)
                    if isinstance(value, str):
                        parts.append(value)
                    elif isinstance(value, list):
                        parts.extend(v for v in value if isinstance(v, str))
                rows.append((int(key), "\n".join(parts).lower()))
            self.texts[table] = rows

    def _append(self, payload: bytes) -> None:
        os.write(self.fd, payload)
        os.fsync(self.fd)

    def get(self, record_id: int) -> object:
        return self.data[WRITES].get(str(record_id))

    def insert(self, item: Any) -> None:
        self._append(self.RECORD)

    def update(self, item: Any) -> None:
        self._append(self.RECORD)

    def delete(self, record_id: int) -> None:
        self._append(self.RECORD)

    def insert_many(self, items: Sequence[Any]) -> None:
        self._append(self.RECORD * len(items))

    def search(self, text: str) -> int:
        needle = text.lower()
        return sum(len([i for i, t in rows if needle in t]) for rows in self.texts.values())

    def backup(self, dest: Path) -> None:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, b"\0" * self.size)
            os.fsync(fd)
        finally:
            os.close(fd)
