"""Text is data: every text field, every payload, every front end.

Stored text reaches operators through the CLI (tables, JSON, error lines) and
the TUI. Whatever is typed, markup-like text comes back exactly as typed and
never as markup (no clickable action, no hyperlink, no crash on ``[/``), and
control characters (C0 but tab and newline, DEL, C1, bidi marks) are stripped
on the way in, by the models, so that no front end can send them to a
terminal. Slugs (tags, zones, themes, roles, kinds, keys) refuse markup and
escape sequences with one clean line; invisible controls are stripped from
them like from any text.

Payloads go into every text field of every entity through the services and
the CLI; then every listing, detail, JSON output, error line and screen is
read back as the terminal would receive it: the only escape sequences allowed
are the front end's own (styling and cursor moves in the TUI, none in the CLI).
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from test_cli import Cli, invoke
from test_tui import SIZE, detail_text, screen_text, table, table_titles, type_search
from textual import events
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.widgets import Input

from patti.core.backup import digest
from patti.core.errors import ValidationError
from patti.core.model import Record
from patti.core.plugins import get_plugin_host
from patti.core.services import PactQuery, Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.screens import PactsScreen

# -- payloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    """Text an attacker or a careless paste could type, and what the store must keep of it."""

    id: str
    typed: str
    stored: str

    @property
    def is_markup(self) -> bool:
        """Markup-like text is kept as typed; anything else had control characters removed."""
        return self.typed == self.stored

    def __str__(self) -> str:
        return self.id


PAYLOADS = (
    Payload("click", "[@click=app.quit]x[/]", "[@click=app.quit]x[/]"),
    Payload("link", "[link=https://x]y[/link]", "[link=https://x]y[/link]"),
    Payload("open-tag", "[/", "[/"),
    Payload("osc-title", "\x1b]0;title\x07", "]0;title"),
    Payload("csi-clear", "\x1b[2J", "[2J"),
    Payload("c1-csi", "\x9b2J", "2J"),
    Payload("bidi", "\u202egnp.exe", "gnp.exe"),
    Payload("c0-c1-mix", "\x08\x0b\x0c\r\x7f\x85\x9f\u200f\u2066\u2069", ""),
    Payload("nul", "\x00", ""),
)
#: What a command line can carry: argv cannot hold NUL.
CLI_PAYLOADS = tuple(p for p in PAYLOADS if "\x00" not in p.typed)
MARKUP_PAYLOADS = tuple(p for p in PAYLOADS if p.is_markup)
CONTROL_PAYLOADS = tuple(p for p in PAYLOADS if not p.is_markup)

#: What a slug may hold (tags, zones, themes, roles, kinds, keys), once lowercased.
SLUG_SHAPE = re.compile(r"[a-z0-9][a-z0-9_\-]*")


def slug_of(payload: Payload) -> str | None:
    """The slug ``a<payload>z`` is stored as, or ``None`` if it must be refused."""
    value = f"a{payload.stored}z".lower()
    return value if SLUG_SHAPE.fullmatch(value) else None


#: Payloads a slug refuses; the others leave a valid slug once their controls are stripped.
REFUSED_IN_SLUGS = tuple(p for p in PAYLOADS if slug_of(p) is None)
STRIPPED_IN_SLUGS = tuple(p for p in PAYLOADS if slug_of(p) is not None)

#: Every character that must never reach a terminal from stored text (lone surrogates are
#: bytes that were not UTF-8, decoded with ``surrogateescape``).
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\udc80-\udcff]"
)


def typed(prefix: str, payload: Payload) -> str:
    """A field value carrying ``payload`` between markers, so its place stays visible."""
    return f"{prefix}|{payload.typed}|"


def stored(prefix: str, payload: Payload) -> str:
    """What :func:`typed` must be stored (and shown) as."""
    return f"{prefix}|{payload.stored}|"


def unsafe(text: str) -> list[str]:
    """The unsafe characters in ``text``, readable in a failure message."""
    return sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(text)})


def strings(value: Any) -> Iterator[str]:
    """Every string in decoded JSON, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_clean_file(path: Path) -> None:
    """The store file holds no control character in any key or value."""
    dirty = sorted({s for s in strings(orjson.loads(path.read_bytes())) if UNSAFE.search(s)})
    assert dirty == [], dirty


def assert_clean_output(*outputs: str) -> None:
    for output in outputs:
        assert unsafe(output) == [], ascii(output)  # ascii(): a failure must not hit the terminal


# -- every text field, through the services -----------------------------------------------


@dataclass(frozen=True)
class TextField:
    """A text field: which table, the create/update fields that set it, and its stored value."""

    table: str
    name: str
    put: Callable[[str], dict[str, Any]]
    get: Callable[[dict[str, Any]], Any]
    plugins: bool = True  # False: saved without plugins, so the pact type is a free slug

    def __str__(self) -> str:
        return f"{self.table}.{self.name}"


def contact(**fields: Any) -> dict[str, Any]:
    return {"key": "mario-rossi", "name": "Mario Rossi", **fields}


def indicator(**fields: Any) -> dict[str, Any]:
    return {"key": "meetings", "label": "Meetings", "unit": "meetings", **fields}


TEXT_FIELDS = (
    TextField("partners", "name", lambda v: {"name": v}, lambda d: d["name"]),
    TextField("partners", "notes", lambda v: {"notes": v}, lambda d: d["notes"]),
    TextField(
        "partners",
        "contact.name",
        lambda v: {"contacts": [contact(name=v)]},
        lambda d: d["contacts"][0]["name"],
    ),
    TextField(
        "partners",
        "contact.role",
        lambda v: {"contacts": [contact(role=v)]},
        lambda d: d["contacts"][0]["role"],
    ),
    TextField(
        "partners",
        "contact.notes",
        lambda v: {"contacts": [contact(notes=v)]},
        lambda d: d["contacts"][0]["notes"],
    ),
    TextField(
        "partners",
        "contact.consent.purpose",
        lambda v: {"contacts": [contact(consents=[{"purpose": v, "given_on": "2024-01-10"}])]},
        lambda d: d["contacts"][0]["consents"][0]["purpose"],
    ),
    TextField("pacts", "title", lambda v: {"title": v}, lambda d: d["title"]),
    TextField("pacts", "code", lambda v: {"code": v}, lambda d: d["code"]),
    TextField("pacts", "objectives", lambda v: {"objectives": [v]}, lambda d: d["objectives"][0]),
    TextField(
        "pacts", "target_groups", lambda v: {"target_groups": [v]}, lambda d: d["target_groups"][0]
    ),
    TextField("pacts", "notes", lambda v: {"notes": v}, lambda d: d["notes"]),
    TextField(
        "pacts",
        "indicator.label",
        lambda v: {"indicators": [indicator(label=v)]},
        lambda d: d["indicators"][0]["label"],
    ),
    TextField(
        "pacts",
        "indicator.unit",
        lambda v: {"indicators": [indicator(unit=v)]},
        lambda d: d["indicators"][0]["unit"],
    ),
    TextField(
        "pacts",
        "member.notes",
        lambda v: {"members": [{"partner_id": 1, "role": "lead", "notes": v}]},
        lambda d: d["members"][0]["notes"],
    ),
    TextField(
        "pacts",
        "details.meeting_place",
        lambda v: {"details": {"meeting_place": v}},
        lambda d: d["details"]["meeting_place"],
    ),
    TextField(
        "pacts",
        "details.frequency",
        lambda v: {"details": {"frequency": v}},
        lambda d: d["details"]["frequency"],
    ),
    TextField(
        "pacts",
        "details.untyped-value",
        lambda v: {"details": {"note": {"lines": [v]}}},
        lambda d: d["details"]["note"]["lines"][0],
        plugins=False,
    ),
    TextField(
        "pacts",
        "details.untyped-key",
        lambda v: {"details": {v: True}},
        lambda d: next(iter(d["details"])),
        plugins=False,
    ),
    TextField("activities", "title", lambda v: {"title": v}, lambda d: d["title"]),
    TextField("activities", "place", lambda v: {"place": v}, lambda d: d["place"]),
    TextField("activities", "audience", lambda v: {"audience": v}, lambda d: d["audience"]),
    TextField("activities", "notes", lambda v: {"notes": v}, lambda d: d["notes"]),
)

#: Slugs: markup and escape sequences are refused, never stored.
SLUG_FIELDS = (
    TextField("partners", "tags", lambda v: {"tags": [v]}, lambda d: d["tags"][0]),
    TextField("partners", "zones", lambda v: {"zones": [v]}, lambda d: d["zones"][0]),
    TextField("partners", "themes", lambda v: {"themes": [v]}, lambda d: d["themes"][0]),
    TextField(
        "partners",
        "contact.key",
        lambda v: {"contacts": [contact(key=v)]},
        lambda d: d["contacts"][0]["key"],
    ),
    TextField("pacts", "zones", lambda v: {"zones": [v]}, lambda d: d["zones"][0]),
    TextField("pacts", "themes", lambda v: {"themes": [v]}, lambda d: d["themes"][0]),
    TextField(
        "pacts",
        "member.role",
        lambda v: {"members": [{"partner_id": 1, "role": v}]},
        lambda d: d["members"][0]["role"],
    ),
    TextField(
        "pacts",
        "indicator.key",
        lambda v: {"indicators": [indicator(key=v)]},
        lambda d: d["indicators"][0]["key"],
    ),
    TextField("pacts", "type", lambda v: {"type": v}, lambda d: d["type"], plugins=False),
    TextField("activities", "kind", lambda v: {"kind": v}, lambda d: d["kind"]),
)


def base_fields(table: str, plugins: bool) -> dict[str, Any]:
    """The least a record of ``table`` needs (partner 1 and pact 1 exist)."""
    if table == "partners":
        return {"name": "Auser Crema", "kind": "association"}
    if table == "pacts":
        return {
            "title": "Legami di quartiere",
            "type": "community_ties" if plugins else "gardens",
            "year": 2024,
            "members": [{"partner_id": 1, "role": "lead"}],
        }
    return {"pact_id": 1, "title": "Incontro", "starts_at": "2024-03-10 10:00"}


def create(registry: Registry, table: str, fields: dict[str, Any]) -> Record:
    makers: dict[str, Callable[..., Record]] = {
        "partners": registry.create_partner,
        "pacts": registry.create_pact,
        "activities": registry.create_activity,
    }
    return makers[table](**fields)


def update(registry: Registry, table: str, record_id: int, fields: dict[str, Any]) -> Record:
    updaters: dict[str, Callable[..., Record]] = {
        "partners": registry.update_partner,
        "pacts": registry.update_pact,
        "activities": registry.update_activity,
    }
    return updaters[table](record_id, **fields)


def registry_for(store: Store, field: TextField) -> Registry:
    """The services as the CLI builds them, with partner 1, pact 1 and activity 1 in place."""
    registry = Registry(store, plugins=get_plugin_host() if field.plugins else None)
    for name in ("partners", "pacts", "activities"):
        assert create(registry, name, base_fields(name, field.plugins)).id == 1
    return registry


def stored_doc(store: Store, table: str, record_id: int | None) -> dict[str, Any]:
    """The document as the store file holds it (not re-validated on the way out)."""
    doc: dict[str, Any] = orjson.loads(store.path.read_bytes())[table][str(record_id)]
    return doc


def text_matrix() -> Iterator[Any]:
    for field in TEXT_FIELDS:
        for payload in PAYLOADS:
            yield pytest.param(field, payload, id=f"{field}-{payload}")


@pytest.mark.parametrize(("field", "payload"), list(text_matrix()))
def test_services_store_text_literally_without_control_characters(
    store: Store, field: TextField, payload: Payload
) -> None:
    registry = registry_for(store, field)
    base = base_fields(field.table, field.plugins)
    created = create(registry, field.table, {**base, **field.put(typed("new", payload))})
    edited = create(registry, field.table, base)
    update(registry, field.table, edited.id or 0, field.put(typed("edited", payload)))
    assert field.get(stored_doc(store, field.table, created.id)) == stored("new", payload)
    assert field.get(stored_doc(store, field.table, edited.id)) == stored("edited", payload)
    assert_clean_file(store.path)


@pytest.mark.parametrize("payload", REFUSED_IN_SLUGS, ids=str)
@pytest.mark.parametrize("field", SLUG_FIELDS, ids=str)
def test_services_refuse_markup_and_escapes_in_slugs_with_one_clean_line(
    store: Store, field: TextField, payload: Payload
) -> None:
    registry = registry_for(store, field)
    base = base_fields(field.table, field.plugins)
    value = field.put(f"a{payload.typed}z")
    before = store.path.read_bytes()
    with pytest.raises(ValidationError) as on_create:
        create(registry, field.table, {**base, **value})
    with pytest.raises(ValidationError) as on_update:
        update(registry, field.table, 1, value)
    for refused in (on_create, on_update):
        message = str(refused.value)
        assert next(iter(value)) in message  # names the field
        assert "\n" not in message
        assert unsafe(message) == []
    assert store.path.read_bytes() == before


@pytest.mark.parametrize("payload", STRIPPED_IN_SLUGS, ids=str)
@pytest.mark.parametrize("field", SLUG_FIELDS, ids=str)
def test_services_strip_controls_from_slugs_like_from_any_text(
    store: Store, field: TextField, payload: Payload
) -> None:
    registry = registry_for(store, field)
    base = base_fields(field.table, field.plugins)
    saved = create(registry, field.table, {**base, **field.put(f"a{payload.typed}z")})
    assert field.get(stored_doc(store, field.table, saved.id)) == slug_of(payload)
    assert_clean_file(store.path)


def test_tab_and_newline_stay_in_notes_and_become_spaces_in_names(store: Store) -> None:
    registry = Registry(store)
    saved = registry.create_partner(
        name="Auser\tCrema\nnord", kind="association", notes="riga 1\n\tcolonna\x1b[2J"
    )
    doc = stored_doc(store, "partners", saved.id)
    assert (doc["name"], doc["notes"]) == ("Auser Crema nord", "riga 1\n\tcolonna[2J")


# -- search ---------------------------------------------------------------------------------


@pytest.fixture
def search_registry(store: Store) -> Registry:
    """One pact per payload, the payload in its title."""
    registry = Registry(store)
    for index, payload in enumerate(PAYLOADS):
        registry.create_pact(title=typed(f"T{index}", payload), type="civic", year=2024)
    return registry


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS, ids=str)
def test_search_matches_markup_literally(search_registry: Registry, payload: Payload) -> None:
    found = search_registry.list_pacts(PactQuery(text=payload.typed))
    expected = [stored(f"T{i}", p) for i, p in enumerate(PAYLOADS) if payload.typed in p.stored]
    assert sorted(p.title for p in found) == expected


@pytest.mark.parametrize("payload", CONTROL_PAYLOADS, ids=str)
def test_search_with_control_characters_finds_the_cleaned_text(
    search_registry: Registry, payload: Payload
) -> None:
    index = PAYLOADS.index(payload)
    found = search_registry.list_pacts(PactQuery(text=typed(f"T{index}", payload)))
    assert [p.title for p in found] == [stored(f"T{index}", payload)]


# -- every text option, through the CLI -------------------------------------------------------


@pytest.fixture
def cli(store_path: Path) -> Cli:
    return Cli(store_path)


def cli_records(cli: Cli, payload: Payload, *, edit: bool) -> list[tuple[dict[str, Any], str]]:
    """Save a partner, a pact and an activity with ``payload`` in every text option, by
    ``add`` or (``edit``) by editing plain records: each one's JSON and its table."""
    t = typed
    partner = ["--name", t("P", payload), "--notes", t("N", payload)]
    pact = [
        "--title", t("T", payload), "--code", t("K", payload), "--objective", t("O", payload),
        "--target-group", t("G", payload), "--notes", t("N", payload),
    ]  # fmt: skip
    activity = [
        "--title", t("A", payload), "--place", t("W", payload),
        "--audience", t("R", payload), "--notes", t("N", payload),
    ]  # fmt: skip
    if edit:
        cli.ok("partners", "add", "--name", "Auser", "--kind", "association")
        cli.ok("pacts", "add", "--title", "Legami", "--type", "community_ties", "--member", "1")
        cli.ok("activities", "add", "--pact", "1", "--title", "Visita", "--when", "10/03/2024")
        return [
            (cli.json("partners", "edit", "1", *partner), "partners"),
            (cli.json("pacts", "edit", "1", *pact), "pacts"),
            (cli.json("activities", "edit", "1", *activity), "activities"),
        ]
    added = cli.json("partners", "add", "--kind", "association", *partner)
    return [
        (added, "partners"),
        (
            cli.json("pacts", "add", "--type", "community_ties", "--member", "1:lead", *pact),
            "pacts",
        ),
        (
            cli.json("activities", "add", "--pact", "1", "--when", "10/03/2024 10:00", *activity),
            "activities",
        ),
    ]


#: The JSON field each option prefix went into, per table.
CLI_FIELDS = {
    "partners": {"name": "P", "notes": "N"},
    "pacts": {"title": "T", "code": "K", "objectives": "O", "target_groups": "G", "notes": "N"},
    "activities": {"title": "A", "place": "W", "audience": "R", "notes": "N"},
}
LIST_FIELDS = ("objectives", "target_groups")


@pytest.mark.parametrize("edit", [False, True], ids=["add", "edit"])
@pytest.mark.parametrize("payload", CLI_PAYLOADS, ids=str)
def test_cli_stores_every_text_option_literally(cli: Cli, payload: Payload, edit: bool) -> None:
    for record, entity in cli_records(cli, payload, edit=edit):
        expected = {
            key: [stored(prefix, payload)] if key in LIST_FIELDS else stored(prefix, payload)
            for key, prefix in CLI_FIELDS[entity].items()
        }
        assert {key: record[key] for key in expected} == expected
        shown = cli.json(entity, "show", str(record["id"]))
        assert {key: shown[key] for key in expected} == expected
    assert_clean_file(cli.path)


def detail_matrix() -> Iterator[Any]:
    for payload in CLI_PAYLOADS:
        yield pytest.param(payload, id=payload.id)


@pytest.mark.parametrize("payload", list(detail_matrix()))
def test_cli_detail_options_are_stored_without_control_characters(
    cli: Cli, payload: Payload
) -> None:
    cli.ok("partners", "add", "--name", "Auser", "--kind", "association")
    ties = cli.json(
        "pacts", "add", "--title", "Legami", "--type", "community_ties", "--member", "1",
        "--detail", f"meeting_place={typed('M', payload)}",
        "--detail", f"frequency={typed('F', payload)}",
    )  # fmt: skip
    untyped = cli.json(
        "--no-plugins", "pacts", "add", "--title", "Orti", "--type", "gardens",
        "--detail", f"note={typed('D', payload)}",
    )  # fmt: skip
    assert (ties["details"]["meeting_place"], ties["details"]["frequency"]) == (
        stored("M", payload),
        stored("F", payload),
    )
    assert untyped["details"] == {"note": stored("D", payload)}
    assert_clean_file(cli.path)
    shown = invoke("pacts", "show", str(ties["id"]), "--json", db=cli.path, color=True)
    assert_clean_output(shown.stdout)


@pytest.fixture
def cli_world(cli: Cli) -> Cli:
    """Partner 1 and pact 1, for commands that need them."""
    with Store.open(cli.path) as store:
        registry = Registry(store)
        registry.create_partner(name="Auser", kind="association")
        registry.create_pact(
            title="Legami", type="community_ties", year=2024, members=[{"partner_id": 1}]
        )
    return cli


#: A command with a slug option (its value marked ``{v}``), and where the saved JSON holds it.
SLUG_OPTIONS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "partner-tag": ("partners add --name A --kind association --tag {v}", lambda d: d["tags"]),
    "partner-zone": ("partners add --name A --kind association --zone {v}", lambda d: d["zones"]),
    "partner-theme": (
        "partners add --name A --kind association --theme {v}",
        lambda d: d["themes"],
    ),
    "pact-zone": ("pacts add --title T --type community_ties --zone {v}", lambda d: d["zones"]),
    "pact-theme": ("pacts add --title T --type community_ties --theme {v}", lambda d: d["themes"]),
    "pact-role": (
        "pacts add --title T --type community_ties --member 1:{v}",
        lambda d: [m["role"] for m in d["members"]],
    ),
    "activity-kind": (
        "activities add --pact 1 --title A --when 10/03/2024 --kind {v}",
        lambda d: [d["kind"]],
    ),
}


def slug_argv(option: str, value: str) -> list[str]:
    return [word.replace("{v}", value) for word in option.split()]


@pytest.mark.parametrize("payload", [p for p in REFUSED_IN_SLUGS if p in CLI_PAYLOADS], ids=str)
@pytest.mark.parametrize("option", sorted(SLUG_OPTIONS))
def test_cli_refuses_markup_and_escapes_in_slugs_with_one_clean_line(
    cli_world: Cli, option: str, payload: Payload
) -> None:
    line = cli_world.refused(*slug_argv(SLUG_OPTIONS[option][0], f"a{payload.typed}z"), color=True)
    assert unsafe(line) == []


@pytest.mark.parametrize("payload", [p for p in STRIPPED_IN_SLUGS if p in CLI_PAYLOADS], ids=str)
@pytest.mark.parametrize("option", sorted(SLUG_OPTIONS))
def test_cli_strips_controls_from_slugs(cli_world: Cli, option: str, payload: Payload) -> None:
    command, saved_slugs = SLUG_OPTIONS[option]
    saved = cli_world.json(*slug_argv(command, f"a{payload.typed}z"))
    assert saved_slugs(saved) == [slug_of(payload)]
    assert_clean_file(cli_world.path)


# -- every CLI output ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PayloadStore:
    """A store with, per payload ``i``, partner ``i+1`` (with contact ``c``), pact ``i+1`` and
    activity ``i+1``, the payload in every text field under the prefixes below."""

    path: Path

    @staticmethod
    def texts(prefixes: str, index: int) -> list[str]:
        """The stored texts of payload ``index`` for each one-letter field prefix."""
        return [stored(f"{p}{index}", PAYLOADS[index]) for p in prefixes]


# Prefixes: partner name P, notes N; contact name C, role R, notes M, consent purpose U;
# pact code K, title T, objective O, target group G, notes N, member notes M, indicator
# label L and unit U; activity title A, place W, audience R, notes N.
@pytest.fixture
def payload_store(store_path: Path) -> PayloadStore:
    with Store.open(store_path) as store:
        registry = Registry(store, plugins=get_plugin_host())
        for i, payload in enumerate(PAYLOADS):

            def t(prefix: str, i: int = i, payload: Payload = payload) -> str:
                return typed(f"{prefix}{i}", payload)

            partner = registry.create_partner(
                name=t("P"),
                kind="association",
                notes=t("N"),
                contacts=[
                    {
                        "key": "c",
                        "name": t("C"),
                        "role": t("R"),
                        "notes": t("M"),
                        "consents": [{"purpose": t("U"), "given_on": "2019-01-10"}],
                        "retention_until": "2020-01-01",
                    }
                ],
            )
            pact = registry.create_pact(
                code=t("K"),
                title=t("T"),
                type="community_ties",
                year=2024,
                objectives=[t("O")],
                target_groups=[t("G")],
                notes=t("N"),
                members=[{"partner_id": partner.id, "role": "lead", "notes": t("M")}],
                indicators=[indicator(label=t("L"), unit=t("U"))],
            )
            activity = registry.create_activity(
                pact_id=pact.id,
                title=t("A"),
                starts_at=f"2024-03-{10 + i} 10:00",
                place=t("W"),
                audience=t("R"),
                notes=t("N"),
                partner_ids=[partner.id],
            )
            assert partner.id == pact.id == activity.id == i + 1
    return PayloadStore(store_path)


#: command → (arguments per payload index, field prefixes it shows per payload index);
#: ``{id}`` is the record of that payload.
OUTPUTS: dict[str, tuple[str, str]] = {
    "partners list": ("partners list", "P"),
    "partners list --json": ("partners list --json", "PNCRMU"),
    "partners show": ("partners show {id}", "PNK"),
    "partners show --json": ("partners show {id} --json", "PNCRMUK"),
    "pacts list": ("pacts list", "KT"),
    "pacts list --json": ("pacts list --json", "KTOGNMLU"),
    "pacts show": ("pacts show {id}", "KTNP"),
    "pacts show --json": ("pacts show {id} --json", "KTOGNMLUP"),
    "activities list": ("activities list", "AR"),
    "activities list --json": ("activities list --json", "AWRN"),
    "activities show": ("activities show {id}", "AKWPRN"),
    "activities show --json": ("activities show {id} --json", "AWRN"),
    "privacy export": ("privacy export {id}/c", "PCRMU"),
    "privacy due": ("privacy due", "CP"),
    "privacy due --json": ("privacy due --json", "CP"),
    "check": ("check", ""),
    "plugins": ("plugins", ""),
    "plugins --json": ("plugins --json", ""),
    "types": ("types", ""),
    "types --json": ("types --json", ""),
}


@pytest.mark.parametrize("command", sorted(OUTPUTS))
def test_cli_outputs_show_text_literally_and_no_control_characters(
    payload_store: PayloadStore, command: str
) -> None:
    template, prefixes = OUTPUTS[command]
    per_record = "{id}" in template
    runs = [str(i + 1) for i in range(len(PAYLOADS))] if per_record else [""]
    shown: list[str] = []
    is_json = "--json" in template or template.startswith("privacy export")
    for record_id in runs:
        # color=True: click strips nothing, as on a terminal
        argv = template.replace("{id}", record_id).split()
        result = invoke(*argv, db=payload_store.path, color=True)
        assert result.exit_code == 0, result.stderr
        assert_clean_output(result.stdout, result.stderr)
        if is_json:
            shown.extend(strings(orjson.loads(result.stdout)))
        else:
            shown.append(result.stdout)
    indexes = [int(r) - 1 for r in runs] if per_record else range(len(PAYLOADS))
    for index in indexes:
        for text in PayloadStore.texts(prefixes, index):
            if is_json:
                assert text in shown, (text, command)
            else:
                assert any(text in output for output in shown), (text, command)


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS, ids=str)
@pytest.mark.parametrize("table", ["partners", "pacts", "activities"])
def test_cli_text_filter_matches_markup_literally(
    payload_store: PayloadStore, table: str, payload: Payload
) -> None:
    result = invoke(table, "list", "--text", payload.typed, "--json", db=payload_store.path)
    assert result.exit_code == 0, result.stderr
    expected = [i + 1 for i, p in enumerate(PAYLOADS) if payload.typed in p.stored]
    assert sorted(r["id"] for r in orjson.loads(result.stdout)) == expected


def test_cli_plan_shows_payloads_in_names_literally_and_clean(cli: Cli) -> None:
    """The testimonies planner names schools, classes and associations: payloads in those
    names (and in the associations' topics) come out literally in its table and JSON."""
    cli.ok("demo", "--no-open")
    names: dict[int, str] = {}
    with Store.open(cli.path) as store:
        registry = Registry(store, plugins=get_plugin_host())
        pact = registry.pact("PdC-2021-01")
        details = pact.details
        schools = [s["partner_id"] for s in details["schools"]]
        associations = [a["partner_id"] for a in details["associations"]]
        for index, partner_id in enumerate(schools + associations):
            payload = PAYLOADS[index % len(PAYLOADS)]
            registry.update_partner(partner_id, name=typed(f"S{index}", payload))
            names[partner_id] = stored(f"S{index}", payload)
        for index, offer in enumerate(details["associations"]):
            offer["topics"] = [typed(f"Tema{index}", PAYLOADS[index % len(PAYLOADS)])]
        registry.update_pact(pact.id or 0, details=details)
    assert_clean_file(cli.path)
    school_names = {names[s] for s in schools}
    association_names = {names[a] for a in associations}

    shown = invoke("plan", "PdC-2021-01", db=cli.path, color=True)
    assert shown.exit_code == 0, shown.stderr
    assert_clean_output(shown.stdout, shown.stderr)
    rows = [re.split(r"\s{2,}", line.strip()) for line in shown.stdout.splitlines()[2:]]
    planned = [row for row in rows if len(row) == 4]
    assert planned
    for _when, where, audience, with_ in planned:
        assert where in school_names
        assert audience.endswith(f" – {where}")
        assert with_ in association_names

    as_json = invoke("plan", "PdC-2021-01", "--json", db=cli.path, color=True)
    assert_clean_output(as_json.stdout, as_json.stderr)
    plan = orjson.loads(as_json.stdout)
    for activity in plan["activities"]:
        assert activity["title"] == f"Testimonianza: {names[activity['partner_ids'][0]]}"
        assert activity["audience"].endswith(f" – {names[activity['place_partner_id']]}")
    assert all(UNSAFE.search(s) is None for s in strings(plan))

    late = invoke("plan", "PdC-2021-01", "--from", "01/06/2022", db=cli.path, color=True)
    assert_clean_output(late.stdout, late.stderr)
    gaps = [line for line in late.stdout.splitlines() if line.startswith("Not met: ")]
    assert gaps
    assert all(any(f" – {name}: " in gap for name in school_names) for gap in gaps)


# -- error lines that echo what was typed ---------------------------------------------------------

#: Commands refused because of what was typed, ``{p}`` marking where the payload goes.
ERRORS: dict[str, str] = {
    "unknown pact code": "pacts show X{p}",
    "unknown pact filter": "activities list --pact X{p}",
    "bad partner kind": "partners add --name A --kind {p}",
    "unknown pact type": "pacts add --title T --type t{p}",
    "bad member": "pacts add --title T --type community_ties --member {p}",
    "bad date": "activities list --from {p}",
    "bad detail": "pacts edit 1 --detail {p}",
    "bad status": "pacts status 1 {p}",
    "unknown person": "privacy export x{p}@example.org",
    "bad person reference": "privacy export {p}",
    "unknown command": "x{p}",
    "unknown option": "pacts list --x{p}",
}
#: Errors that split what was typed (at ``=``), or need not repeat it.
PARTIAL_ECHO = {"bad detail", "bad person reference", "unknown option"}


@pytest.mark.parametrize("payload", CLI_PAYLOADS, ids=str)
@pytest.mark.parametrize("error", sorted(ERRORS))
def test_error_lines_that_echo_input_carry_no_control_characters(
    cli_world: Cli, error: str, payload: Payload
) -> None:
    argv = [word.replace("{p}", payload.typed) for word in ERRORS[error].split()]
    line = cli_world.refused(*argv, color=True)
    assert unsafe(line) == []
    if payload.is_markup and error not in PARTIAL_ECHO:
        assert payload.typed in line


#: A folder and a file name that try to retitle the window, clear the screen and reverse text.
DB_DIR = "db\x1b]0;pwned\x07\u202e"
DB_FILE = "store\x9b2J.json"


def clean_path(path: Path) -> str:
    return UNSAFE.sub("", str(path))


@pytest.mark.parametrize("spoil", ["folder", "missing", "corrupt"])
def test_db_path_with_control_characters_is_echoed_clean_in_errors(
    tmp_path: Path, spoil: str
) -> None:
    folder = tmp_path / DB_DIR
    folder.mkdir()
    db = folder / DB_FILE
    if spoil == "folder":
        db.mkdir()
    elif spoil == "corrupt":
        db.write_bytes(b"{not json")
    result = invoke("pacts", "list", db=db, color=True)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert_clean_output(result.stderr)
    # click names the option and quotes the path with repr(); our own errors print it cleaned
    assert ("'--db'" if spoil == "folder" else clean_path(db)) in result.stderr


@pytest.fixture
def control_path_store(tmp_path: Path) -> Path:
    """A store (a partner with a contact) and a backup of it, under a hostile folder name."""
    folder = tmp_path / DB_DIR
    folder.mkdir()
    db = folder / DB_FILE
    with Store.open(db) as store:
        Registry(store).create_partner(
            name="Auser", kind="association", contacts=[contact(key="c")]
        )
    assert invoke("backup", "--output", str(folder / "copy.json"), db=db).exit_code == 0
    return db


@pytest.mark.parametrize(
    "command",
    [
        "check",
        "backup --output {dir}/b\x1b[2J.json",
        "verify {dir}/copy.json",
        "backups",
        "backup && backups --json",
        "restore {dir}/copy.json",
        "privacy export 1/c --output {dir}/p\x1b[2J.json",
    ],
)
def test_db_path_with_control_characters_is_echoed_clean_on_success(
    control_path_store: Path, command: str
) -> None:
    folder = str(control_path_store.parent)
    *setup, checked = command.split(" && ")  # "backup && backups --json": list one backup
    for step in setup:
        assert invoke(*step.split(), db=control_path_store).exit_code == 0
    argv = [word.replace("{dir}", folder) for word in checked.split()]
    result = invoke(*argv, db=control_path_store, color=True)
    assert result.exit_code == 0, result.stderr
    assert_clean_output(result.stdout, result.stderr)


def test_demo_path_with_control_characters_is_echoed_clean(tmp_path: Path) -> None:
    folder = tmp_path / DB_DIR
    folder.mkdir()
    result = invoke("demo", "--no-open", db=folder / DB_FILE, color=True)
    assert result.exit_code == 0, result.stderr
    assert_clean_output(result.stdout, result.stderr)


# -- a restored backup is a way in too ----------------------------------------------------------


@pytest.fixture
def restored_demo(cli: Cli) -> tuple[Cli, int]:
    """The demo restored from a backup whose first school's name and a contact mention carry
    escape sequences (the checksum recomputed, as any tool writing backups would)."""
    cli.ok("demo", "--no-open")
    with Store.open(cli.path) as store:
        Registry(store).update_partner(
            1, contacts=[contact(key="c")], notes="Referente: Mario Rossi"
        )
    backup = cli.path.with_name("copy.json")
    cli.ok("backup", "--output", str(backup))
    envelope = orjson.loads(backup.read_bytes())
    data = envelope["data"]
    pact = next(d for d in data["pacts"].values() if d["code"] == "PdC-2021-01")
    school = pact["details"]["schools"][0]["partner_id"]
    data["partners"][str(school)]["name"] = "Scuola \x1b]0;pwned\x07\u202e\x9b2J"
    data["partners"]["1"]["notes"] = "Referente: Mario Rossi \x1b[2J\u202e\x9b2J"
    envelope["sha256"] = digest(data)
    backup.write_bytes(orjson.dumps(envelope))
    cli.ok("restore", str(backup))
    return cli, school


def test_restore_cleans_control_characters_like_every_other_way_in(
    restored_demo: tuple[Cli, int],
) -> None:
    cli, _school = restored_demo
    assert_clean_file(cli.path)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("partners list", id="partners-list"),
        pytest.param("partners show {school}", id="partners-show"),
        pytest.param("partners show {school} --json", id="partners-show-json"),
        pytest.param("pacts show PdC-2021-01", id="pacts-show"),
        pytest.param("check", id="check"),
        pytest.param(
            "plan PdC-2021-01 --from 01/06/2022",
            id="plan-gaps",
        ),
        pytest.param(
            "privacy export 1/c",
            id="privacy-export",
        ),
    ],
)
def test_outputs_after_restoring_raw_text_carry_no_control_characters(
    restored_demo: tuple[Cli, int], command: str
) -> None:
    cli, school = restored_demo
    result = invoke(*command.replace("{school}", str(school)).split(), db=cli.path, color=True)
    assert result.exit_code == 0, result.stderr
    assert_clean_output(result.stdout, result.stderr)


# -- the TUI ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownPact:
    """What the pact list and the detail pane must show for one payload."""

    code: str
    title: str
    objective: str
    partner: str
    notes: str


def tui_store(path: Path) -> list[ShownPact]:
    """One pact per payload (each continuing the previous one, so codes show up in
    "Continues" and "Continued by" too), in the order the list shows them."""
    shown = []
    with Store.open(path) as store:
        registry = Registry(store)
        previous: int | None = None
        for i, payload in enumerate(PAYLOADS):
            partner = registry.create_partner(name=typed(f"P{i}", payload), kind="association")
            pact = registry.create_pact(
                code=typed(f"K{i}", payload),
                title=typed(f"T{i}", payload),
                type="civic",
                year=2024,
                objectives=[typed(f"O{i}", payload)],
                notes=typed(f"N{i}", payload),
                members=[{"partner_id": partner.id, "role": "lead"}],
                predecessor_id=previous,
            )
            previous = pact.id
            shown.append(
                ShownPact(*(stored(f"{p}{i}", payload) for p in ("K", "T", "O", "P", "N")))
            )
    return shown


@pytest.fixture
def shown_pacts(store_path: Path) -> list[ShownPact]:
    return tui_store(store_path)


@pytest.fixture
def tui_registry(store_path: Path, shown_pacts: list[ShownPact]) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        yield Registry(store)


#: What Textual itself writes while drawing a screen: styling (SGR) and cursor moves.
DRAWING = re.compile(r"\x1b\[[0-9;]*m|\x1b\[[0-9]+;[0-9]+H")


def assert_terminal_safe(app: App[Any]) -> None:
    """The screen as the driver would write it holds only styling and cursor moves, and no
    text on it carries an action (``@click`` meta) or a hyperlink."""
    update = app.screen._compositor.render_update(full=True)
    assert isinstance(update, LayoutUpdate)
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    written = update.render_segments(console)
    assert unsafe(DRAWING.sub("", written).replace("\n", "")) == []
    segments: list[Segment] = [seg for line in update.strips for strip in line for seg in strip]
    actions = [
        (seg.text, seg.style.meta, seg.style.link)
        for seg in segments
        if seg.style is not None and (seg.style.link or "@click" in seg.style.meta)
    ]
    assert actions == []


def expect_detail(app: App[Any], pacts: list[ShownPact], index: int) -> None:
    pact = pacts[index]
    lines = detail_text(app).splitlines()
    assert lines[:2] == [pact.title, pact.code]
    assert f"• {pact.objective}" in lines
    assert f"• {pact.partner} (lead)" in lines
    assert pact.notes in lines
    if index > 0:
        assert f"Continues: {pacts[index - 1].code}" in lines
    if index + 1 < len(pacts):
        assert f"Continued by: {pacts[index + 1].code}" in lines
    screen = screen_text(app)
    for text in (pact.title, pact.code, f"• {pact.objective}", f"• {pact.partner} (lead)"):
        assert text in screen, text
    assert pact.notes in screen


async def test_tui_shows_every_payload_literally_and_writes_no_control_bytes(
    tui_registry: Registry, shown_pacts: list[ShownPact]
) -> None:
    app = PattiApp(tui_registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert table_titles(app) == [p.title for p in shown_pacts]
        codes = [str(table(app).get_row_at(row)[0]) for row in range(table(app).row_count)]
        assert codes == [p.code for p in shown_pacts]
        for index in range(len(shown_pacts)):
            if index:
                await pilot.press("down")
                await pilot.pause()
            expect_detail(app, shown_pacts, index)
            assert_terminal_safe(app)
        assert app.return_code is None


async def test_tui_clicking_stored_click_markup_runs_no_action(
    tui_registry: Registry, shown_pacts: list[ShownPact]
) -> None:
    click = next(i for i, p in enumerate(PAYLOADS) if p.id == "click")
    app = PattiApp(tui_registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*["down"] * click)
        await pilot.pause()
        rows = screen_text(app).splitlines()
        payload = PAYLOADS[click].stored
        link = payload.index("]x") + 1  # the "x" that parsed markup would make clickable
        targets = [
            (cell_len(line[: found.start() + link]), y)
            for y, line in enumerate(rows)
            for found in re.finditer(re.escape(payload), line)
        ]
        # the table's code and title cells; the detail's title, code, objective, member, notes
        assert len(targets) == 7, targets
        for x, y in targets:
            await pilot.click(offset=(x, y))
            await pilot.pause()
            assert app.return_code is None, (x, y)
            assert isinstance(app.screen, PactsScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_tui_search_typed_markup_matches_literally(
    tui_registry: Registry, shown_pacts: list[ShownPact]
) -> None:
    app = PattiApp(tui_registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for query in (p.typed for p in MARKUP_PAYLOADS):
            await pilot.press("escape")
            await type_search(pilot, query)
            assert app.screen.query_one("#pact-search", Input).value == query
            expected = [
                p.title
                for p in shown_pacts
                if query.casefold() in f"{p.code} {p.title} {p.objective} {p.notes}".casefold()
            ]
            assert expected
            assert table_titles(app) == expected, query
            assert detail_text(app).splitlines()[0] == expected[0]
            assert_terminal_safe(app)
        assert app.return_code is None


async def paste_in_search(app: App[Any], text: str) -> Input:
    search = app.screen.query_one("#pact-search", Input)
    search.focus()
    search.post_message(events.Paste(text))
    return search


async def test_tui_pasting_control_bytes_into_search_keeps_the_app_running(
    tui_registry: Registry,
) -> None:
    app = PattiApp(tui_registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for payload in CONTROL_PAYLOADS:
            search = await paste_in_search(app, payload.typed)
            await pilot.pause()
            search.value = ""
            await pilot.pause()
        assert app.return_code is None
        assert table(app).row_count == len(PAYLOADS)
        await pilot.press("escape", "q")
    assert app.return_code == 0


def paste_matrix() -> Iterator[Any]:
    for payload in CONTROL_PAYLOADS:
        yield pytest.param(payload, id=payload.id)


@pytest.mark.parametrize("payload", list(paste_matrix()))
async def test_tui_pasted_control_bytes_do_not_reach_the_terminal(
    tui_registry: Registry, payload: Payload
) -> None:
    app = PattiApp(tui_registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await paste_in_search(app, payload.typed)
        await pilot.pause()
        assert_terminal_safe(app)


# -- the TUI in a real pseudo-terminal ----------------------------------------------------------

#: Sequences Textual itself writes: any CSI (modes, cursor, styling, queries) and OSC 22
#: (the mouse pointer's shape). Anything else (a window title, a hyperlink) came from data.
TEXTUAL_SEQUENCES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\]22;[^\x07\x1b]*\x07")
INJECTED_SEQUENCES = ("\x1b[2J", "\x1b]0;", "\x1b]8;", "\x9b")


def read_terminal(master: int, until: Callable[[bytes], bool], seconds: float) -> bytes:
    """What the program writes to its terminal, until ``until(all so far)`` or EOF."""
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until(received):
        ready, _w, _x = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the program closed the terminal
            break
        if not chunk:
            break
        received += chunk
    return received


@pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pseudo-terminal")
def test_real_terminal_receives_payloads_as_text_only(
    shown_pacts: list[ShownPact], store_path: Path
) -> None:
    import fcntl
    import pty
    import struct
    import termios

    patti = Path(sys.executable).with_name("patti")
    if not patti.exists():
        pytest.skip(f"no patti console script next to {sys.executable}")
    master, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [str(patti), "--db", str(store_path), "--lang", "en"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    last = shown_pacts[-1].notes.encode()
    try:
        # patti opens on the dashboard (which lists the drafts); F3 goes to the pacts
        drawn = read_terminal(master, lambda out: b"Draft waiting" in out, 20)
        os.write(master, b"\x1bOR")  # F3, as xterm sends it
        drawn += read_terminal(master, lambda out: shown_pacts[0].notes.encode() in out, 20)
        os.write(master, b"\x1b[B" * (len(shown_pacts) - 1))  # cursor down to the last pact
        drawn += read_terminal(master, lambda out: last in out, 10)
        os.write(master, b"q")
        drawn += read_terminal(master, lambda out: False, 10)
        assert proc.wait(timeout=10) == 0, drawn[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    written = drawn.decode("utf-8", "surrogateescape")
    assert shown_pacts[0].notes in written and last.decode() in written, ascii(written[-2000:])
    for sequence in INJECTED_SEQUENCES:
        assert sequence not in written, repr(sequence)
    text = TEXTUAL_SEQUENCES.sub("", written)
    assert unsafe(text.replace("\r", "").replace("\n", "")) == []
    for pact in shown_pacts:
        assert pact.title in text, pact.title
