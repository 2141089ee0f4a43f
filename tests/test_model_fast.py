"""validate_document: the models' validation without the Python cleaning validators for
documents that are already clean. It must give exactly what ``model_validate`` gives (the
same record, or the same errors) for any document, clean or not."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patti.core.demo import build_demo
from patti.core.model import (
    PLAIN_RANGES,
    Activity,
    Pact,
    Partner,
    _without_cleaning,
    validate_document,
)
from patti.core.store import Store
from patti.core.text import clean_text

PLAIN = [chr(c) for low, high in PLAIN_RANGES for c in range(low, high + 1)]


def _composing_second_halves() -> set[str]:
    """The characters NFC may join to the one before them: second halves of canonical
    decompositions, and Hangul vowels and final consonants (composed by rule)."""
    seconds = {chr(c) for c in range(0x1161, 0x1176)} | {chr(c) for c in range(0x11A8, 0x11C3)}
    for code in range(0x110000):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    return seconds


def test_plain_characters_are_clean_normalised_and_join_with_nothing() -> None:
    seconds = _composing_second_halves()
    for char in PLAIN:
        assert clean_text(char) == char == clean_text(char, multiline=True), hex(ord(char))
        assert not char.isspace() and char.isprintable(), hex(ord(char))
        assert unicodedata.normalize("NFC", char) == char, hex(ord(char))
        assert unicodedata.combining(char) == 0, hex(ord(char))
        assert char not in seconds, hex(ord(char))


@given(st.text(alphabet=st.sampled_from(PLAIN), max_size=40))
def test_any_text_of_plain_characters_is_normalised(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)


def test_the_demo_records_take_the_fast_way_to_the_same_records(store: Store) -> None:
    build_demo(store)
    tables = store.snapshot()
    seen = 0
    for table, model in (("partners", Partner), ("pacts", Pact), ("activities", Activity)):
        for key, doc in tables[table].items():
            document = {**doc, "id": int(key)}
            fast = _without_cleaning(model).validate_python(document)  # no fallback needed
            assert fast == model.model_validate(document) == validate_document(model, document)
            seen += 1
    assert seen > 150  # every record of the demo


# -- any document: the same outcome as the model's --------------------------------------

PARTNER: dict[str, Any] = {
    "id": 3,
    "revision": 2,
    "created_at": "2021-03-01T09:00:00Z",
    "updated_at": "2021-03-02T09:00:00+01:00",
    "name": "Associazione «Il Ponte» – Crema",
    "kind": "association",
    "parent_id": 1,
    "zones": ["ombriano", "san-bernardino"],
    "themes": ["loneliness"],
    "tags": ["volontariato"],
    "notes": "Sede in via Mazzini.\nAperti il giovedì\tpomeriggio.",
    "contacts": [
        {
            "key": "anna",
            "name": "Anna Bianchi",
            "role": "presidente",
            "email": "anna@Example.it",
            "phone": "+39 0373 123456",
            "legal_basis": "consent",
            "consents": [{"purpose": "newsletter", "given_on": "2021-01-10"}],
            "retention_until": "2030-12-31",
            "notes": "",
        }
    ],
}
PACT: dict[str, Any] = {
    "id": 6,
    "revision": 3,
    "code": "PdC-2016-006",
    "title": "Biblioteca vivente – Bagnolo Cremasco 2016",
    "type": "community_ties",
    "status": "concluded",
    "year": 2016,
    "start": "2016-11-10",
    "end": "2017-06-13",
    "zones": ["sabbioni", "castelnuovo"],
    "themes": ["loneliness", "mutual-knowledge"],
    "objectives": ["Creare occasioni di incontro tra generazioni"],
    "target_groups": ["caregiver", "volontari"],
    "members": [
        {"partner_id": 4721, "role": "lead", "start": "2016-11-10", "end": None, "notes": ""},
        {"partner_id": 2004, "role": "partner", "start": None, "end": None, "notes": "già"},
    ],
    "predecessor_id": 2,
    "details": {"meeting_place": "Sala civica", "frequency": "quindicinale", "open": True},
    "indicators": [
        {"key": "meetings", "label": "Incontri", "unit": "incontri", "target": 10.0, "actual": 29}
    ],
    "notes": "",
}
ACTIVITY: dict[str, Any] = {
    "id": 12,
    "revision": 1,
    "pact_id": 6,
    "title": "Testimonianza: Auser in 2ª B",
    "kind": "testimony",
    "starts_at": "2021-03-12T09:00:00",
    "ends_at": "2021-03-12T11:00:00",
    "place_partner_id": 40,
    "place": "Aula magna",
    "partner_ids": [3, 5],
    "audience": "2ª B",
    "audience_count": 24,
    "attendance": 22,
    "status": "done",
    "notes": "",
}
BASES = [(Partner, PARTNER), (Pact, PACT), (Activity, ACTIVITY)]

#: Characters that make a text need cleaning, or that a clean text may hold.
# fmt: off
TRICKY = [
    " ", "  ", "\t", "\n", "\r\n", "\x00", "\x1b[31m", "\x7f", "\x85", "\x9b", "\xa0", "\xad",
    "\u200b", "\u200e", "\u2028", "\u202e", "\u2066", "\u3000", "\ufeff", "e\u0301", "\u212b",
    "\u1100\u1161", "A", "a", "-", "_", "0", "è", "–", "’", "«", "€", "ß", "Ж", "🙂", '"', "\\",
]
# fmt: on
TEXTS = st.lists(st.sampled_from(TRICKY), max_size=6).map("".join) | st.text(max_size=12)
DATES = st.sampled_from(
    ["2021-03-12", "12/03/2021", "1/3/2021", "2021-02-30", "31.12.2021", " 2021-03-12 ", "", "x"]
)
MOMENTS = st.sampled_from(
    [
        "2021-03-12T09:00:00",
        "2021-03-12 09:00",
        "12/03/2021 09:00",
        "12/03/2021",
        "2021-03-12T09:00:00+02:00",
        "2021-03-12T09:00:00Z",
        "2021-03-12",
        "1615539600",
        "12/03/2021 25:00",
    ]
)
VALUES = st.one_of(
    TEXTS,
    DATES,
    MOMENTS,
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(TEXTS, max_size=4),
    st.lists(st.sampled_from(["ombriano", "Ombriano", "ombriano ", "", "a b"]), max_size=4),
    st.lists(st.integers(-1, 5), max_size=4),
    st.dictionaries(TEXTS, TEXTS, max_size=2),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a value can be put."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _put(document: Any, path: tuple[Any, ...], value: Any) -> None:
    _at(document, path[:-1])[path[-1]] = value


def _outcome(validate: Any, document: Any) -> tuple[str, Any]:
    try:
        record = validate(document)
    except pydantic.ValidationError as exc:
        return "refused", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    return "valid", (record.model_dump(), record.model_dump(mode="json"))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_document_gets_what_the_model_gives(data: st.DataObject) -> None:
    model, base = data.draw(st.sampled_from(BASES))
    document = copy.deepcopy(base)
    for _change in range(data.draw(st.integers(1, 3))):
        _put(document, data.draw(st.sampled_from(_paths(document))), data.draw(VALUES))
    assert _outcome(lambda d: validate_document(model, d), document) == _outcome(
        model.model_validate, document
    )


@pytest.mark.parametrize(("model", "base"), BASES, ids=["partner", "pact", "activity"])
@pytest.mark.parametrize(
    "tricky", [t for t in TRICKY if t not in ("A", "a", "-", "_", "0", "è", "–", "’", "«", "€")]
)
def test_every_text_field_with_each_tricky_character(model: Any, base: Any, tricky: str) -> None:
    for path in _paths(base):
        original = _at(base, path)
        if not isinstance(original, str):
            continue
        for value in (tricky + original, original + tricky, f"a{tricky}b"):
            document = copy.deepcopy(base)
            _put(document, path, value)
            assert _outcome(lambda d: validate_document(model, d), document) == _outcome(
                model.model_validate, document
            ), (path, value)
