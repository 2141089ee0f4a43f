"""The search index: it finds what a plain scan of the validated records finds, in order.

Real stores in temporary folders, written through the services. The
reference here is deliberately naive: every record validated into its model,
filtered field by field, its text folded the slow way (NFKD, combining marks
dropped one character at a time, casefold). Hypothesis draws the queries;
the index must agree for each one, after adds, updates and deletes seen
through the store's change feed, and after a restore that the feed cannot
describe.
"""

from __future__ import annotations

import random
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patti.core import search
from patti.core.backup import restore, write_backup
from patti.core.model import ActivityStatus, Pact, PactStatus, Partner, PartnerKind
from patti.core.search import (
    ActivityIndex,
    PactIndex,
    PartnerIndex,
    fold,
    matches,
    query_words,
)
from patti.core.services import ActivityQuery, PactQuery, PartnerQuery, Registry
from patti.core.store import Store
from patti.core.text import clean_text

TODAY = date(2024, 6, 1)
ZONES = ("ombriano", "centro", "san-bernardino", "crema-nuova")
THEMES = ("loneliness", "legality", "volunteering", "inclusion")
TYPES = ("community_ties", "school_testimonies", "civic")
#: Words with accents, capitals and markup-looking text, so folding and literal matching
#: are both exercised.
WORDS = (
    "Città",
    "comunità",
    "ÉQUIPE",
    "perché",
    "Caffè",
    "orti",
    "Quartiere",
    "Solitudine",
    "über",
    "[b]grassetto[/b]",
    "[@click=app.quit]x[/]",
    "Straße",
    "ﬁne",
    "vicini",
)

# -- the naive reference ----------------------------------------------------------------------


def slow_fold(text: str) -> str:
    """The definition: NFKD, every combining mark dropped, casefold."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def has_words(fields: list[str], text: str | None) -> bool:
    if not text:
        return True
    haystack = slow_fold("\n".join(fields))
    return all(word in haystack for word in slow_fold(clean_text(text)).split())


def pact_fields(p: Pact) -> list[str]:
    return [p.code, p.title, p.notes, *p.objectives, *p.target_groups, *p.zones, *p.themes]


PACT_ORDERS: dict[str, Callable[[Pact], tuple[Any, ...]]] = {
    "year": lambda p: (-p.year, p.code, p.id),
    "code": lambda p: (slow_fold(p.code), -p.year, p.id),
    "title": lambda p: (slow_fold(p.title), -p.year, p.code, p.id),
    "status": lambda p: (list(PactStatus).index(p.status), -p.year, p.code, p.id),
    "registry": lambda p: (p.year, p.code, p.id),
}


def naive_pacts(store: Store, q: PactQuery, sort: str) -> list[int]:
    found = [
        p
        for p in store.pacts.all()
        if (q.year is None or p.year == q.year)
        and (q.status is None or p.status is q.status)
        and (not q.type or p.type == q.type)
        and (not q.zone or q.zone in p.zones)
        and (not q.theme or q.theme in p.themes)
        and (q.partner_id is None or q.partner_id in p.partner_ids())
        and has_words(pact_fields(p), q.text)
    ]
    return [p.id or 0 for p in sorted(found, key=PACT_ORDERS[sort])]


def partner_fields(p: Partner) -> list[str]:
    return [p.name, p.notes, *p.tags, *p.zones, *p.themes]


def naive_partners(store: Store, q: PartnerQuery) -> list[int]:
    found = [
        p
        for p in store.partners.all()
        if (q.kind is None or p.kind is q.kind)
        and (not q.zone or q.zone in p.zones)
        and (not q.theme or q.theme in p.themes)
        and (not q.tag or q.tag in p.tags)
        and has_words(partner_fields(p), q.text)
    ]
    return [p.id or 0 for p in sorted(found, key=lambda p: (slow_fold(p.name), p.id))]


def found_ids(entries: list[Any]) -> list[int]:
    return [e.id for e in entries]


# -- stores -----------------------------------------------------------------------------------


def phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def fill(registry: Registry, seed: int = 7, partners: int = 30, pacts: int = 40) -> None:
    """Partners, pacts and activities with accents, capitals and markup in their text."""
    rng = random.Random(seed)
    with registry.store.transaction():
        partner_ids = [
            registry.create_partner(
                name=f"{phrase(rng, 2)} {n}",
                kind=rng.choice(list(PartnerKind)),
                zones=rng.sample(ZONES, rng.randint(0, 2)),
                themes=rng.sample(THEMES, rng.randint(0, 2)),
                tags=rng.sample(["demo", "scuola", "rete"], rng.randint(0, 2)),
                notes=phrase(rng, rng.randint(0, 6)),
            ).id
            or 0
            for n in range(partners)
        ]
        for n in range(pacts):
            status = rng.choice([s for s in PactStatus if s is not PactStatus.CONCLUDED])
            pact = registry.create_pact(
                title=f"{phrase(rng, 3)} {n}",
                type=rng.choice(TYPES),
                year=rng.randint(2019, 2024),
                status=status,
                start="01/02/2020",
                zones=rng.sample(ZONES, rng.randint(0, 2)),
                themes=rng.sample(THEMES, rng.randint(0, 2)),
                objectives=[phrase(rng, 3)],
                target_groups=[phrase(rng, 1)] if rng.random() < 0.5 else [],
                notes=phrase(rng, rng.randint(0, 8)),
                members=[
                    {"partner_id": pid, "role": "partner"}
                    for pid in rng.sample(partner_ids, rng.randint(1, 3))
                ],
            )
            if status is PactStatus.CANCELLED:
                continue  # a cancelled pact takes no activities
            for k in range(rng.randint(0, 3)):
                registry.create_activity(
                    pact_id=pact.id,
                    title=f"{phrase(rng, 2)} {k}",
                    starts_at=datetime(2020, 1, 1, 9) + timedelta(days=rng.randint(0, 1800)),
                    place=phrase(rng, 1),
                    partner_ids=rng.sample(partner_ids, 2),
                    place_partner_id=rng.choice([None, *partner_ids]),
                    notes=phrase(rng, 2),
                )


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One store for the query properties (written once: hypothesis only reads it)."""
    path = tmp_path_factory.mktemp("search") / "patti.json"
    with Store.open(path) as store:
        registry = Registry(store, today=lambda: TODAY)
        fill(registry)
        yield registry


def maybe(values: Any) -> st.SearchStrategy[Any]:
    """No filter, or one of ``values``."""
    return st.none() | st.sampled_from(list(values))


def typed(data: st.DataObject, registry: Registry, fields: Callable[[Any], list[str]]) -> str:
    """Text an operator might type: part of a stored word in any case, with or without
    accents, a few words, or anything at all."""
    kind = data.draw(st.sampled_from(["stored", "stored", "words", "any"]))
    if kind == "any":
        return data.draw(st.text(max_size=6))
    if kind == "words":
        return " ".join(data.draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)))
    records = registry.store.pacts.all() if fields is pact_fields else registry.store.partners.all()
    source = " ".join(fields(data.draw(st.sampled_from(records)))) or "x"
    start = data.draw(st.integers(0, len(source) - 1))
    piece = source[start : start + data.draw(st.integers(1, 8))]
    return data.draw(st.sampled_from([piece, piece.upper(), slow_fold(piece), f" {piece}  "]))


# -- folding --------------------------------------------------------------------------------


@given(st.text())
def test_fold_is_nfkd_without_marks_casefolded(text: str) -> None:
    assert fold(text) == slow_fold(text)


def test_accents_and_case_do_not_matter() -> None:
    assert matches(fold("Caffè tra Vicini, città ÉQUIPE"), "CAFFE citta equipe")
    assert matches(fold("Straße"), "strasse")
    assert not matches(fold("Caffè"), "caffe latte")
    assert query_words("  Città \x1b[2J  nuova ") == ["citta", "[2j", "nuova"]


def test_search_folds_the_query_and_the_records(filled: Registry) -> None:
    registry = filled
    citta = naive_pacts(registry.store, PactQuery(text="citta"), "registry")
    assert citta  # the data has them
    for text in ("citta", "CITTÀ", "Citta\u0300", "cItTà"):
        assert [p.id for p in registry.list_pacts(PactQuery(text=text))] == citta, text


def test_markup_looking_text_is_matched_literally(filled: Registry) -> None:
    payload = "[@click=app.quit]x[/]"
    hits = filled.list_partners(PartnerQuery(text=payload))
    assert hits
    assert all(payload in f"{p.name} {p.notes}" for p in hits)
    assert [p.id for p in hits] == naive_partners(filled.store, PartnerQuery(text=payload))


# -- the index finds what the scan finds ----------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_pact_search_equals_a_scan(filled: Registry, data: st.DataObject) -> None:
    registry = filled
    pacts = registry.store.pacts.all()
    query = PactQuery(
        year=data.draw(maybe([*sorted({p.year for p in pacts}), 1999])),
        status=data.draw(maybe(list(PactStatus))),
        type=data.draw(maybe([*TYPES, "other"])),
        zone=data.draw(maybe(ZONES)),
        theme=data.draw(maybe(THEMES)),
        partner_id=data.draw(maybe(sorted({m for p in pacts for m in p.partner_ids()}))),
        text={"none": None, "empty": "", "typed": None}[kind]
        if (kind := data.draw(st.sampled_from(["none", "empty", "typed", "typed"]))) != "typed"
        else typed(data, registry, pact_fields),
    )
    sort = data.draw(st.sampled_from(sorted(PACT_ORDERS)))
    expected = naive_pacts(registry.store, query, sort)
    assert found_ids(registry.pact_index().search(query, sort)) == expected
    if sort == "registry":
        assert [p.id for p in registry.list_pacts(query)] == expected


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_partner_search_equals_a_scan(filled: Registry, data: st.DataObject) -> None:
    registry = filled
    query = PartnerQuery(
        kind=data.draw(maybe(list(PartnerKind))),
        zone=data.draw(maybe(ZONES)),
        theme=data.draw(maybe(THEMES)),
        tag=data.draw(maybe(["demo", "scuola", "rete", "none"])),
        text=typed(data, registry, partner_fields) if data.draw(st.booleans()) else None,
    )
    expected = naive_partners(registry.store, query)
    assert found_ids(registry.partner_index().search(query)) == expected
    assert [p.id for p in registry.list_partners(query)] == expected


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_activity_search_equals_the_agenda_scan(filled: Registry, data: st.DataObject) -> None:
    registry = filled
    store = registry.store
    days = st.dates(date(2019, 6, 1), date(2025, 6, 1))
    query = ActivityQuery(
        year=data.draw(maybe([2020, 2021, 2022, 2023, 2030])),
        status=data.draw(maybe(list(ActivityStatus))),
        pact_id=data.draw(maybe(sorted(i for i, _d in store.pacts.raw_items()))),
        partner_id=data.draw(maybe(sorted(i for i, _d in store.partners.raw_items()))),
        date_from=data.draw(st.none() | days),
        date_to=data.draw(st.none() | days),
        text=data.draw(st.none() | st.sampled_from([w.lower() for w in WORDS]) | st.text()),
    )
    expected = [a.id for a in registry.list_activities(query)]
    assert found_ids(ActivityIndex.of(store).search(query)) == expected


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_typing_key_by_key_narrows_to_what_a_fresh_search_finds(
    filled: Registry, data: st.DataObject
) -> None:
    """Each keystroke scans only the last hits when it extends the last words; backspace
    and new filters start again. Every step equals the scan."""
    registry = filled
    text = typed(data, registry, pact_fields)
    query = PactQuery(status=data.draw(st.none() | st.sampled_from(list(PactStatus))))
    sort = data.draw(st.sampled_from(["year", "title"]))
    index = registry.pact_index()
    steps = [text[:n] for n in range(len(text) + 1)]
    steps += [text[: len(text) // 2], text]  # backspaces, then typed again
    for step in steps:
        asked = PactQuery(status=query.status, text=step)
        assert found_ids(index.search(asked, sort)) == naive_pacts(registry.store, asked, sort)


@pytest.fixture(scope="module")
def with_postings(filled: Registry) -> tuple[PactIndex, ActivityIndex]:
    """Indexes of the filled store built as a large table's are: with posting lists."""
    with patch.object(search, "WORDS_FROM", 1):
        pacts, activities = PactIndex(filled.store), ActivityIndex(filled.store)
        pacts.refresh()
        activities.refresh()
    return pacts, activities


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_posting_lists_find_what_the_scan_finds(
    filled: Registry, with_postings: tuple[PactIndex, ActivityIndex], data: st.DataObject
) -> None:
    pacts, activities = with_postings
    text = typed(data, filled, pact_fields)
    with patch.object(search, "WORDS_FROM", 1):
        found = found_ids(pacts.search(PactQuery(text=text), "title"))
        agenda = found_ids(activities.search(ActivityQuery(text=text)))
    assert found == naive_pacts(filled.store, PactQuery(text=text), "title")
    assert agenda == [a.id for a in filled.list_activities(ActivityQuery(text=text))]


def test_one_index_per_store_shared_by_the_services(filled: Registry) -> None:
    store = filled.store
    assert filled.pact_index() is PactIndex.of(store) is Registry(store).pact_index()
    assert filled.partner_index() is PartnerIndex.of(store)
    assert filled.pact_index() is not PartnerIndex.of(store)


# -- keeping current -------------------------------------------------------------------------


@pytest.fixture
def small(store: Store) -> Registry:
    registry = Registry(store, today=lambda: TODAY)
    fill(registry, seed=3, partners=8, pacts=10)
    return registry


def test_adds_updates_and_deletes_reach_the_index_through_the_change_feed(
    small: Registry,
) -> None:
    registry = small
    store = registry.store
    pacts, partners = registry.pact_index(), registry.partner_index()
    assert pacts.search(PactQuery(text="zefiro")) == []
    before = dict(pacts.entries)

    partner = registry.create_partner(name="Zefiro APS", kind="association")
    pact = registry.create_pact(
        title="Orti di Zefiro", type="civic", year=2024, members=[{"partner_id": partner.id}]
    )
    assert pacts.pending() == 1  # only the new pact is derived
    assert found_ids(pacts.search(PactQuery(text="zefiro"))) == [pact.id]
    assert found_ids(partners.search(PartnerQuery(text="ZEFIRO"))) == [partner.id]
    assert all(pacts.entries[i] is entry for i, entry in before.items())  # untouched

    registry.update_pact(pact.id or 0, title="Orti di Borea")
    assert pacts.search(PactQuery(text="zefiro")) == []
    assert found_ids(pacts.search(PactQuery(text="borea"))) == [pact.id]
    assert found_ids(pacts.search(PactQuery(partner_id=partner.id))) == [pact.id]

    registry.delete_pact(pact.id or 0)
    registry.delete_partner(partner.id or 0)
    assert pacts.search(PactQuery(text="borea")) == []
    assert partners.search(PartnerQuery(text="zefiro")) == []
    for sort in PACT_ORDERS:
        assert found_ids(pacts.search(PactQuery(), sort)) == naive_pacts(store, PactQuery(), sort)


def test_a_rolled_back_transaction_leaves_nothing_in_the_index(small: Registry) -> None:
    """Inside a transaction the index sees its changes, as the services' reads do; once it
    is rolled back they are gone from the index too."""
    registry = small
    index = registry.pact_index()
    [first, *_rest] = found_ids(index.search(PactQuery(), "registry"))
    with pytest.raises(RuntimeError), registry.store.transaction():
        registry.create_pact(title="Mai salvato", type="civic", year=2024)
        registry.update_pact(first, title="Titolo provvisorio")
        assert len(index.search(PactQuery(text="mai salvato"))) == 1
        assert found_ids(index.search(PactQuery(text="provvisorio"))) == [first]
        raise RuntimeError("rolled back")
    assert index.search(PactQuery(text="mai salvato")) == []
    assert index.search(PactQuery(text="provvisorio")) == []
    query = PactQuery()
    assert found_ids(index.search(query, "title")) == naive_pacts(registry.store, query, "title")


def test_posting_lists_forget_the_old_words_of_a_changed_record(small: Registry) -> None:
    """A large table lists ids under words; a record saved with other words must not be
    found by its old ones (nor a deleted one at all)."""
    registry = small
    store = registry.store
    with store.transaction():
        for n in range(20):
            registry.create_pact(title=f"Vicini {n}", type="civic", year=2023)
    with patch.object(search, "WORDS_FROM", 1):
        index = PactIndex(store)
        index.refresh()
        pact = registry.create_pact(title="Zefiro di primavera", type="civic", year=2024)
        gone = registry.create_pact(title="Zefiro d'autunno", type="civic", year=2024)
        assert found_ids(index.search(PactQuery(text="zefiro"))) == [pact.id, gone.id]
        registry.update_pact(pact.id or 0, title="Borea di primavera")
        registry.delete_pact(gone.id or 0)
        assert len(store.pacts) > 20  # few changes: the lists are patched, not rebuilt
        for text in ("zefiro", "efi", "borea", "primavera", "autunno"):
            query = PactQuery(text=text)
            assert found_ids(index.search(query)) == naive_pacts(store, query, "year"), text


def test_a_restore_rebuilds_the_index(small: Registry, tmp_path: Path) -> None:
    registry = small
    store = registry.store
    backup = write_backup(store, tmp_path / "before.json")
    index = registry.pact_index()
    original = found_ids(index.search(PactQuery(), "title"))
    registry.create_pact(title="Nata dopo il backup", type="civic", year=2024)
    [victim, *_rest] = original
    registry.update_pact(victim, title="Titolo cambiato")
    assert found_ids(index.search(PactQuery(text="dopo il backup"))) != []

    restore(store, backup)
    assert store.changes_since(index.version) is None  # the feed cannot say what changed
    assert index.pending() == len(store.pacts)  # so everything is derived again
    assert index.search(PactQuery(text="dopo il backup")) == []
    assert found_ids(index.search(PactQuery(), "title")) == original
    assert found_ids(index.search(PactQuery(text="cambiato"))) == []


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "rename", "retheme", "delete"]),
            st.integers(0, 50),
            st.sampled_from(WORDS),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_sequence_of_edits_keeps_the_index_equal_to_a_scan(
    edits: list[tuple[str, int, str]],
) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.open(Path(folder) / "p.json") as store,
        patch.object(search, "WORDS_FROM", 1),  # posting lists, as for a large table
    ):
        registry = Registry(store, today=lambda: TODAY)
        partner = registry.create_partner(name="Rete", kind="association")
        index = registry.pact_index()
        partners = registry.partner_index()
        query = PactQuery(text="a")
        for action, pick, word in edits:
            ids = sorted(i for i, _d in store.pacts.raw_items())
            if action == "add" or not ids:
                registry.create_pact(title=f"{word} {pick}", type="civic", year=2020 + pick % 5)
            elif action == "rename":
                registry.update_pact(ids[pick % len(ids)], title=f"{word} rinominato")
            elif action == "retheme":
                registry.update_pact(
                    ids[pick % len(ids)],
                    themes=[THEMES[pick % len(THEMES)]],
                    members=[{"partner_id": partner.id}],
                )
            else:
                registry.delete_pact(ids[pick % len(ids)])
            for sort in ("year", "title"):
                assert found_ids(index.search(query, sort)) == naive_pacts(store, query, sort)
            for typed_text in (*(slow_fold(w) for w in WORDS), slow_fold(word)[1:3], "nomin"):
                by_word = PactQuery(text=typed_text)
                assert found_ids(index.search(by_word)) == naive_pacts(store, by_word, "year")
            theme = PactQuery(theme=THEMES[pick % len(THEMES)])
            assert found_ids(index.search(theme, "year")) == naive_pacts(store, theme, "year")
        assert found_ids(partners.search(PartnerQuery())) == [partner.id]
