"""Search-as-you-type over records: accent- and case-insensitive substring match.

Operators type "citta" for "Città" and "sol" for "Solitudine": text is
folded (NFKD, accents dropped, casefold) once per record and matched by
substring. Scanning a precomputed folded string is ~0.35 µs per record;
validating a record into its pydantic model is ~100 µs, so a list of
100,000 records that validates every match costs seconds where the scan
costs milliseconds.

:class:`PactIndex`, :class:`PartnerIndex` and :class:`ActivityIndex` keep,
per stored record, its folded text and the few fields the lists filter,
sort and show. One index per store and table is shared
(:meth:`RecordIndex.of`) by the services and the screens. It follows the
store's change feed (``Store.version`` / ``Store.changes_since``): before
each query only the records changed since the last one are derived again,
and a restore (the feed cannot reach back) rebuilds it. Sort orders are
kept sorted as entries change (bisect), and a search whose words only
extend the previous one's scans the previous hits.
The scans run in C (``map``/``compress`` over the entries), so a keystroke
costs a few milliseconds at 10,000 records; tables of more than
:data:`WORDS_FROM` records (the activities) also keep posting lists (word →
ids), so a word is looked up in the few lists that contain it rather than
in every record's text. Measured at 100,000 records (10,000 pacts, 5,000
partners, 85,000 activities): ≤ 15 ms per keystroke over the three tables.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Mapping
from itertools import compress, repeat
from operator import attrgetter, contains, eq, ge, le, not_
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Self, TypeVar

from .model import PactStatus
from .text import clean_text

if TYPE_CHECKING:
    from .services import ActivityQuery, PactQuery, PartnerQuery
    from .store import Store

__all__ = [
    "ACTIVITY_TEXT_FIELDS",
    "PACT_SORTS",
    "PACT_TEXT_FIELDS",
    "PARTNER_TEXT_FIELDS",
    "ActivityEntry",
    "ActivityIndex",
    "PactEntry",
    "PactIndex",
    "PartnerEntry",
    "PartnerIndex",
    "RecordIndex",
    "document_text",
    "fold",
    "matches",
    "query_words",
]

#: The fields a text search looks in (strings, or lists of strings).
PARTNER_TEXT_FIELDS = ("name", "notes", "tags", "zones", "themes")
PACT_TEXT_FIELDS = ("code", "title", "notes", "objectives", "target_groups", "zones", "themes")
ACTIVITY_TEXT_FIELDS = ("title", "place", "audience", "notes", "kind")

# Accents of Latin letters decompose into this block (all of it combining marks but the
# grapheme joiner U+034F); other combining marks are rare enough to be dropped one
# character at a time.
_LATIN_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")
_NON_ASCII = re.compile("[^\x00-\x7f]+")


def _drop_marks(match: re.Match[str]) -> str:
    return "".join(c for c in match.group() if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase, accent-free form of ``text`` for matching.

    NFKD, then every combining mark dropped, then casefold; ASCII text (most
    of it) is only lowercased, and the common Latin accents go in one regex
    pass: ~7 µs for a 500-character record instead of ~20 µs.
    """
    if text.isascii():
        return text.lower()
    decomposed = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text))
    if not decomposed.isascii():
        decomposed = _NON_ASCII.sub(_drop_marks, decomposed)
    return decomposed.casefold()


def document_text(doc: Mapping[str, Any], fields: Iterable[str]) -> str:
    """The folded text of a stored document's searchable fields (strings and lists of strings)."""
    parts: list[str] = []
    for field in fields:
        value = doc.get(field)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    return fold("\n".join(parts))


def query_words(text: str | None) -> list[str]:
    """The folded words of a search: a record matches when it contains every one."""
    return fold(clean_text(text or "")).split()


def matches(haystack: str, query: str) -> bool:
    """Every word of ``query`` occurs in the folded ``haystack``."""
    return all(word in haystack for word in query_words(query))


# -- the indexes -----------------------------------------------------------------------------


class PactEntry(NamedTuple):
    """What lists filter, sort and show of one stored pact, and the document it came from."""

    id: int
    doc: dict[str, Any]
    code: str
    title: str
    year: int
    status: str
    type: str
    zones: tuple[str, ...]
    themes: tuple[str, ...]
    partner_ids: frozenset[int]
    predecessor: int | None
    text: str


class PartnerEntry(NamedTuple):
    """What the directory filters, sorts and shows of one stored partner."""

    id: int
    doc: dict[str, Any]
    name: str
    kind: str
    zones: tuple[str, ...]
    themes: tuple[str, ...]
    tags: tuple[str, ...]
    text: str


class ActivityEntry(NamedTuple):
    """What the agenda filters and sorts on of one stored activity."""

    id: int
    doc: dict[str, Any]
    starts_at: str  # ISO text: compares as the times do
    day: str  # its first ten characters, the ISO date
    status: str
    pact_id: int | None
    partner_ids: frozenset[int]  # participants and host
    text: str


E = TypeVar("E", PactEntry, PartnerEntry, ActivityEntry)
SortKey = Callable[[Any], tuple[Any, ...]]
Progress = Callable[[int, int], None]

_TEXT = attrgetter("text")
_ID = attrgetter("id")
_STATUS_RANK = {status.value: rank for rank, status in enumerate(PactStatus)}

#: Pact orders by name. "year" (newest first) is the list's default; "registry" is the
#: order of ``Registry.list_pacts``. The id breaks every tie, so keys are unique.
PACT_SORTS: dict[str, SortKey] = {
    "year": lambda e: (-e.year, e.code, e.id),
    "code": lambda e: (fold(e.code), -e.year, e.id),
    "title": lambda e: (fold(e.title), -e.year, e.code, e.id),
    "status": lambda e: (_STATUS_RANK.get(e.status, len(_STATUS_RANK)), -e.year, e.code, e.id),
    "registry": lambda e: (e.year, e.code, e.id),
}
PARTNER_SORTS: dict[str, SortKey] = {"name": lambda e: (fold(e.name), e.id)}
ACTIVITY_SORTS: dict[str, SortKey] = {"date": lambda e: (e.starts_at, e.id)}

#: Beyond this many changed records an order is sorted again rather than patched.
_PATCH_LIMIT = 2_000
#: How many recent searches are remembered for narrowing (one per filters and order).
_REMEMBERED = 8
#: Tables at least this large get posting lists (word → ids): scanning 85,000 activity
#: texts takes ~20 ms, reading the lists of the matching words ~5 ms.
WORDS_FROM = 20_000
#: Progress is reported every this many records.
_PROGRESS_STEP = 2_000


class _Order:
    """The entries in one sort order, kept sorted by their (unique) keys."""

    __slots__ = ("entries", "key", "keys")

    def __init__(self, key: SortKey, entries: Iterable[Any]) -> None:
        self.key = key
        pairs = sorted(((key(e), e) for e in entries), key=_first)
        self.keys = [k for k, _e in pairs]
        self.entries = [e for _k, e in pairs]

    def remove(self, entry: Any) -> None:
        at = bisect_left(self.keys, self.key(entry))
        del self.keys[at]
        del self.entries[at]

    def add(self, entry: Any) -> None:
        key = self.key(entry)
        at = bisect_left(self.keys, key)
        self.keys.insert(at, key)
        self.entries.insert(at, entry)


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


class _Search(NamedTuple):
    words: tuple[str, ...]
    hits: list[Any]


_SHARED: weakref.WeakKeyDictionary[Store, dict[type[RecordIndex[Any]], RecordIndex[Any]]] = (
    weakref.WeakKeyDictionary()
)
_SHARED_LOCK = threading.Lock()


class RecordIndex(Generic[E]):
    """Entries for every record of one table, kept current from the store's change feed.

    Thread-safe: a worker may build it while the UI thread waits for the
    result; every public method holds the index's lock.
    """

    table: ClassVar[str]
    sorts: ClassVar[Mapping[str, SortKey]]

    def __init__(self, store: Store) -> None:
        # A weak reference: the shared indexes live as long as their store, not longer.
        self._store = weakref.ref(store)
        self._lock = threading.RLock()
        self._version = -1  # the store version the entries reflect; -1: never built
        self._uncommitted: set[int] = set()  # ids last read from an open transaction
        self.entries: dict[int, E] = {}
        self._orders: dict[str, _Order] = {}
        self._searches: dict[Hashable, _Search] = {}
        # Large tables only: the ids of the records holding each (whitespace-separated)
        # word of their text. Ids of records changed since are appended, never removed:
        # ``_moved`` names them, and a hit through one of their old words is checked.
        self._postings: dict[str, list[int]] | None = None
        self._moved: set[int] = set()

    @classmethod
    def of(cls, store: Store) -> Self:
        """The index of ``store`` shared by every caller (built on first use)."""
        with _SHARED_LOCK:
            indexes = _SHARED.setdefault(store, {})
            index = indexes.get(cls)
            if index is None:
                index = indexes[cls] = cls(store)
            assert isinstance(index, cls)
            return index

    @property
    def store(self) -> Store:
        store = self._store()
        if store is None:
            raise RuntimeError("the store of this index is gone")
        return store

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, record_id: int) -> E | None:
        return self.entries.get(record_id)

    # -- keeping current -------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The store version the entries reflect (``-1`` before the first build): a list
        drawn at this version needs no redraw while it stays the same."""
        return self._version

    @property
    def built(self) -> bool:
        """Whether the index was built at least once (it may be behind the store)."""
        return self._version >= 0

    def pending(self) -> int:
        """How many records a :meth:`refresh` would derive now (the whole table when it
        must be built or rebuilt): front ends move large refreshes to a worker."""
        store = self.store
        open_ids = _uncommitted(store, self.table) | self._uncommitted
        if self._version == store.version:
            return len(open_ids)
        if self._version >= 0:
            changed = store.changes_since(self._version)
            if changed is not None:
                return len(changed.get(self.table, set()) | open_ids)
        return len(store._raw(self.table))

    def refresh(self, progress: Progress | None = None) -> bool:
        """Derive again the records changed since the last refresh; ``True`` if any did.

        Records changed by an open transaction are read as it left them, and
        derived again at the next refresh, since it may yet be rolled back.
        ``progress(done, total)`` is called now and then during a (re)build.
        """
        with self._lock:
            store = self.store
            version = store.version  # read first: a commit after it is seen next time
            open_ids = _uncommitted(store, self.table)
            if version == self._version and not open_ids and not self._uncommitted:
                return False
            changed = store.changes_since(self._version) if self._version >= 0 else None
            if changed is None:
                self._rebuild(store, progress)
            else:
                ids = changed.get(self.table, set()) | open_ids | self._uncommitted
                if not ids:  # commits to other tables only: the entries stand
                    self._version = version
                    return False
                self._apply(store, ids)
            self._version = version
            self._uncommitted = open_ids
            self._searches.clear()
            self._changed()
            return True

    def _rebuild(self, store: Store, progress: Progress | None) -> None:
        """Every entry again; a document that is the same object keeps its entry (documents
        are replaced on save, never mutated), so a rebuild after a feed overflow is cheap."""
        items = list(store._raw(self.table).items())  # one atomic copy under the GIL
        total = len(items)
        known = self.entries
        entries: dict[int, E] = {}
        make = self._entry
        for done, (key, doc) in enumerate(items, 1):
            record_id = int(key)
            old = known.get(record_id)
            entries[record_id] = old if old is not None and old.doc is doc else make(record_id, doc)
            if progress is not None and done % _PROGRESS_STEP == 0:
                progress(done, total)
        self.entries = entries
        self._orders = {}
        self._postings = None
        if total >= WORDS_FROM:
            self._index_words()
        if progress is not None:
            progress(total, total)

    def _index_words(self) -> None:
        """Word → ids, so that a scan of a large table reads a few posting lists instead
        of every record's text (~0.4 s for 85,000 records, a few MB)."""
        postings: dict[str, list[int]] = {}
        get = postings.get
        for entry in self.entries.values():
            record_id = entry.id
            for word in set(entry.text.split()):
                ids = get(word)
                if ids is None:
                    postings[word] = [record_id]
                else:
                    ids.append(record_id)
        self._postings = postings
        self._moved = set()

    def _apply(self, store: Store, ids: set[int]) -> None:
        raw = store._raw(self.table)
        patch = len(ids) <= _PATCH_LIMIT
        if not patch:
            self._orders = {}
        for record_id in ids:
            old = self.entries.pop(record_id, None)
            doc = raw.get(str(record_id))
            new = self._entry(record_id, doc) if doc is not None else None
            if new is not None:
                self.entries[record_id] = new
            if patch:
                for order in self._orders.values():
                    if old is not None:
                        order.remove(old)
                    if new is not None:
                        order.add(new)
            if self._postings is not None:
                self._moved.add(record_id)
                for word in set(new.text.split()) if new is not None else ():
                    self._postings.setdefault(word, []).append(record_id)
        if self._postings is not None and len(self._moved) > len(self.entries) // 10:
            self._index_words()  # too many old words: start the lists again

    def _changed(self) -> None:
        """Drop what subclasses derived from all entries."""

    def _entry(self, record_id: int, doc: dict[str, Any]) -> E:
        raise NotImplementedError

    # -- querying ----------------------------------------------------------------------------

    def ordered(self, sort: str) -> list[E]:
        """Every entry in ``sort`` order (do not modify the list)."""
        with self._lock:
            self.refresh()
            return self._ordered(sort)

    def _ordered(self, sort: str) -> list[E]:
        order = self._orders.get(sort)
        if order is None:
            order = self._orders[sort] = _Order(self.sorts[sort], self.entries.values())
        return order.entries

    def _with_word(self, pool: list[E], word: str) -> list[E]:
        """``pool``'s entries whose text contains ``word``, through the posting lists: the
        ids of every indexed word that contains it (a query word never spans whitespace,
        and neither does an indexed one, so this is exact)."""
        assert self._postings is not None
        found: set[int] = set()
        for indexed, ids in self._postings.items():
            if word in indexed:
                found.update(ids)
        hits = list(compress(pool, map(found.__contains__, map(_ID, pool))))
        # A changed record may be listed under a word it no longer has.
        stale = {
            i
            for i in self._moved & found
            if (entry := self.entries.get(i)) is not None and word not in entry.text
        }
        return _without(hits, stale) if stale else hits

    def _search(
        self,
        filters: Hashable,
        text: str | None,
        sort: str,
        narrow: Callable[[list[E]], list[E]],
    ) -> list[E]:
        """Entries passing ``narrow`` whose text has every word of ``text``, in ``sort``
        order. When the words only extend those of the last search with the same filters
        and order, its hits are scanned instead of every entry."""
        if sort not in self.sorts:
            raise ValueError(f"unknown sort {sort!r}: use one of {', '.join(self.sorts)}")
        words = tuple(query_words(text))
        with self._lock:
            self.refresh()
            slot = (filters, sort)
            last = self._searches.get(slot)
            if last is not None and all(any(old in new for new in words) for old in last.words):
                hits = last.hits
                fresh = [w for w in words if w not in last.words]
            else:
                hits = narrow(self._ordered(sort))
                fresh = list(words)
            for word in fresh:
                if self._postings is not None and len(hits) >= WORDS_FROM and len(word) > 1:
                    hits = self._with_word(hits, word)
                else:
                    hits = list(compress(hits, map(contains, map(_TEXT, hits), repeat(word))))
            if len(self._searches) >= _REMEMBERED and slot not in self._searches:
                self._searches.pop(next(iter(self._searches)))
            self._searches[slot] = _Search(words, hits)
            return list(hits)


def _uncommitted(store: Store, table: str) -> set[int]:
    """Ids of ``table`` an open transaction has changed (the feed has not got them yet)."""
    return store._storage.pending_ids(table)


def _listed(value: Any) -> list[Any]:
    """A stored list, or nothing (a hand-edited file may hold anything there)."""
    return value if isinstance(value, list) else []


def _strings(value: Any) -> tuple[str, ...]:
    """The texts of a stored list."""
    return tuple(v for v in _listed(value) if isinstance(v, str))


def _without(pool: list[E], ids: set[int]) -> list[E]:
    """``pool`` but the entries of ``ids``, scanned in C."""
    return list(compress(pool, map(not_, map(ids.__contains__, map(_ID, pool)))))


def _keep(
    pool: list[E], field: Callable[[E], Any], test: Callable[[Any, Any], Any], value: Any
) -> list[E]:
    """``pool`` where ``test(field(entry), value)`` holds, scanned in C."""
    return list(compress(pool, map(test, map(field, pool), repeat(value))))


class PactIndex(RecordIndex[PactEntry]):
    """Every stored pact as a :class:`PactEntry`."""

    table = "pacts"
    sorts = PACT_SORTS

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._successors: dict[int, list[int]] | None = None
        self._choices: dict[str, list[Any]] | None = None

    def _entry(self, record_id: int, doc: dict[str, Any]) -> PactEntry:
        year = doc.get("year")
        predecessor = doc.get("predecessor_id")
        members = [m for m in _listed(doc.get("members")) if isinstance(m, dict)]
        return PactEntry(
            id=record_id,
            doc=doc,
            code=str(doc.get("code", "")),
            title=str(doc.get("title", "")),
            year=year if isinstance(year, int) else 0,
            status=str(doc.get("status", "")),
            type=str(doc.get("type", "")),
            zones=_strings(doc.get("zones")),
            themes=_strings(doc.get("themes")),
            partner_ids=frozenset(
                m["partner_id"] for m in members if isinstance(m.get("partner_id"), int)
            ),
            predecessor=predecessor if isinstance(predecessor, int) else None,
            text=document_text(doc, PACT_TEXT_FIELDS),
        )

    def _changed(self) -> None:
        self._successors = None
        self._choices = None

    def search(self, query: PactQuery, sort: str = "year") -> list[PactEntry]:
        """Pacts matching ``query`` (as ``Registry.list_pacts`` filters) in ``sort`` order."""
        status = query.status.value if query.status else None
        filters = (query.year, status, query.type, query.zone, query.theme, query.partner_id)

        def narrow(pool: list[PactEntry]) -> list[PactEntry]:
            if query.year is not None:
                pool = _keep(pool, attrgetter("year"), eq, query.year)
            if status:
                pool = _keep(pool, attrgetter("status"), eq, status)
            if query.type:
                pool = _keep(pool, attrgetter("type"), eq, query.type)
            if query.zone:
                pool = _keep(pool, attrgetter("zones"), contains, query.zone)
            if query.theme:
                pool = _keep(pool, attrgetter("themes"), contains, query.theme)
            if query.partner_id is not None:
                pool = _keep(pool, attrgetter("partner_ids"), contains, query.partner_id)
            return pool

        return self._search(filters, query.text, sort, narrow)

    def successors(self, pact_id: int) -> list[int]:
        """Ids of the pacts that continue ``pact_id``."""
        with self._lock:
            self.refresh()
            if self._successors is None:
                found: dict[int, list[int]] = {}
                for entry in self.entries.values():
                    if entry.predecessor is not None:
                        found.setdefault(entry.predecessor, []).append(entry.id)
                self._successors = found
            return list(self._successors.get(pact_id, ()))

    def choices(self) -> dict[str, list[Any]]:
        """The values present, for the filters: years (newest first), types, zones, themes."""
        return {name: list(values) for name, values in self._summary().items() if name != "code"}

    def longest_code(self) -> int:
        """The length of the longest code, for the width of a code column."""
        return int(self._summary()["code"][0])

    def _summary(self) -> dict[str, list[Any]]:
        with self._lock:
            self.refresh()
            if self._choices is None:
                entries = self.entries.values()
                zones: set[str] = set()
                themes: set[str] = set()
                for entry in entries:
                    zones.update(entry.zones)
                    themes.update(entry.themes)
                self._choices = {
                    "year": sorted({e.year for e in entries}, reverse=True),
                    "type": sorted({e.type for e in entries}),
                    "zone": sorted(zones),
                    "theme": sorted(themes),
                    "code": [max((len(e.code) for e in entries), default=0)],
                }
            return self._choices


class PartnerIndex(RecordIndex[PartnerEntry]):
    """Every stored partner as a :class:`PartnerEntry`."""

    table = "partners"
    sorts = PARTNER_SORTS

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._used: tuple[set[str], set[str]] | None = None

    def _entry(self, record_id: int, doc: dict[str, Any]) -> PartnerEntry:
        return PartnerEntry(
            id=record_id,
            doc=doc,
            name=str(doc.get("name", "")),
            kind=str(doc.get("kind", "")),
            zones=_strings(doc.get("zones")),
            themes=_strings(doc.get("themes")),
            tags=_strings(doc.get("tags")),
            text=document_text(doc, PARTNER_TEXT_FIELDS),
        )

    def _changed(self) -> None:
        self._used = None

    def search(self, query: PartnerQuery, sort: str = "name") -> list[PartnerEntry]:
        """Partners matching ``query`` (as ``Registry.list_partners`` filters), by name."""
        kind = query.kind.value if query.kind else None
        filters = (kind, query.zone, query.theme, query.tag)

        def narrow(pool: list[PartnerEntry]) -> list[PartnerEntry]:
            if kind:
                pool = _keep(pool, attrgetter("kind"), eq, kind)
            if query.zone:
                pool = _keep(pool, attrgetter("zones"), contains, query.zone)
            if query.theme:
                pool = _keep(pool, attrgetter("themes"), contains, query.theme)
            if query.tag:
                pool = _keep(pool, attrgetter("tags"), contains, query.tag)
            return pool

        return self._search(filters, query.text, sort, narrow)

    def used_slugs(self) -> tuple[set[str], set[str]]:
        """The zones and the themes some partner has."""
        with self._lock:
            self.refresh()
            if self._used is None:
                zones: set[str] = set()
                themes: set[str] = set()
                for entry in self.entries.values():
                    zones.update(entry.zones)
                    themes.update(entry.themes)
                self._used = (zones, themes)
            return set(self._used[0]), set(self._used[1])


class ActivityIndex(RecordIndex[ActivityEntry]):
    """Every stored activity as an :class:`ActivityEntry`: the agenda's filters and the
    search over the largest table (85 % of a store) without validating a record."""

    table = "activities"
    sorts = ACTIVITY_SORTS

    def _entry(self, record_id: int, doc: dict[str, Any]) -> ActivityEntry:
        starts_at = str(doc.get("starts_at", ""))
        pact_id = doc.get("pact_id")
        place = doc.get("place_partner_id")
        involved = {i for i in _listed(doc.get("partner_ids")) if isinstance(i, int)}
        if isinstance(place, int):
            involved.add(place)
        return ActivityEntry(
            id=record_id,
            doc=doc,
            starts_at=starts_at,
            day=starts_at[:10],
            status=str(doc.get("status", "")),
            pact_id=pact_id if isinstance(pact_id, int) else None,
            partner_ids=frozenset(involved),
            text=document_text(doc, ACTIVITY_TEXT_FIELDS),
        )

    def search(self, query: ActivityQuery, sort: str = "date") -> list[ActivityEntry]:
        """Activities matching ``query`` (as ``Registry.list_activities`` filters), by date."""
        status = query.status.value if query.status else None
        low = query.date_from.isoformat() if query.date_from else None
        high = query.date_to.isoformat() if query.date_to else None
        year = str(query.year) if query.year is not None else None
        filters = (year, low, high, status, query.pact_id, query.partner_id)

        def narrow(pool: list[ActivityEntry]) -> list[ActivityEntry]:
            day = attrgetter("day")
            if query.pact_id is not None:  # the most selective first
                pool = _keep(pool, attrgetter("pact_id"), eq, query.pact_id)
            if query.partner_id is not None:
                pool = _keep(pool, attrgetter("partner_ids"), contains, query.partner_id)
            if year:
                pool = [e for e in pool if e.day[:4] == year]
            if low:
                pool = _keep(pool, day, ge, low)
            if high:
                pool = _keep(pool, day, le, high)
            if status:
                pool = _keep(pool, attrgetter("status"), eq, status)
            return pool

        return self._search(filters, query.text, sort, narrow)
