"""The partner directory: search, filters, detail, and the partner form.

The real app on the demo store (Crema, with the built-in plugins' reference
data), driven by Pilot as an operator would: keys, the filters' drop-downs,
the form's buttons. What must be saved is read back from the store file;
what must not be saved is checked byte for byte.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_tui import file_state, hold_lock, screen_text, xfail_untranslated
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select

from patti.core.demo import build_demo
from patti.core.i18n import _, set_language
from patti.core.model import LegalBasis, PartnerKind
from patti.core.plugins import PluginHost
from patti.core.services import PartnerQuery, Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.dialogs.confirm import ConfirmDialog
from patti.tui.dialogs.partner_editor import (
    ContactEditor,
    FieldError,
    PartnerEditor,
    contact_key,
    split_slugs,
)
from patti.tui.screens.partners import PartnersScreen
from patti.tui.widgets.paged_table import PagedTable
from patti.tui.widgets.partner_detail import PartnerDetail

SIZE = (120, 36)
DEMO_PARTNERS = 50

# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def demo_path(store_path: Path) -> Path:
    """A closed store file holding the demo."""
    with Store.open(store_path) as store:
        build_demo(store)
    return store_path


def plugins() -> PluginHost:
    """The built-in plugins (Crema's zones among them), no third-party ones."""
    return PluginHost(entry_point_group=None)


@pytest.fixture
def registry(demo_path: Path) -> Iterator[Registry]:
    """The demo, opened for writing as the app opens it."""
    with Store.open(demo_path) as store:
        yield Registry(store, plugins=plugins())


def partner_id(path: Path, name: str) -> int:
    """The id of the partner called ``name``, read from the file."""
    with Store.open(path, readonly=True) as store:
        return next(i for i, doc in store.partners.raw_items() if doc["name"] == name)


async def settle(pilot: Pilot[Any]) -> None:
    """Let the directory's search worker finish and the screen catch up."""
    await pilot.pause()
    while running := [
        w for w in pilot.app.workers if w.group == "partners-search" and not w.is_finished
    ]:
        for worker in running:
            await worker.wait()
        await pilot.pause()  # a finished scan may start the one typed meanwhile
    await pilot.pause()


async def open_partners(app: PattiApp, pilot: Pilot[Any]) -> PartnersScreen:
    if "partners" not in app._modes:  # wired by the lead later
        app.add_mode("partners", lambda: PartnersScreen(app.registry))
    await app.switch_mode("partners")
    await settle(pilot)
    assert isinstance(app.screen, PartnersScreen)
    return app.screen


def top(app: App[Any]) -> Screen[Any]:
    """The screen in front (a call, so that type checkers do not narrow it)."""
    return app.screen


def table(app: App[Any]) -> PagedTable[int]:
    return app.screen.query_one("#partner-table", PagedTable)


def shown_names(app: App[Any]) -> list[str]:
    """The Name column, as the table shows it (names are clipped to fit)."""
    grid = table(app).table
    return [str(grid.get_row_at(row)[0]) for row in range(grid.row_count)]


def detail(app: App[Any]) -> str:
    rendered = app.screen.query_one("#partner-detail", PartnerDetail).render()
    assert isinstance(rendered, Content)
    return rendered.plain


def errors(app: App[Any]) -> dict[str, str]:
    """The messages under the fields of the open form, by field id."""
    return {
        (e.id or "").removesuffix("-error"): e.message
        for e in app.screen.query(FieldError)
        if e.message
    }


def notifications(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


async def search(pilot: Pilot[Any], text: str) -> None:
    """Focus the search with ``/`` and put ``text`` in it, as a paste would (the search
    test types key by key)."""
    await pilot.press("slash")
    pilot.app.screen.query_one("#partner-search", Input).value = text
    await settle(pilot)


def shown_partners(app: PattiApp) -> list[str]:
    """The full names of the listed partners, top to bottom."""
    return [app.registry.partner(key).name for key in table(app).keys]


async def choose(pilot: Pilot[Any], select: Select[Any], label: str) -> None:
    """Open a drop-down with Enter and move to ``label`` with the arrow keys."""
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    labels = [str(prompt) for prompt, _value in select._options]
    current = next((i for i, (_p, v) in enumerate(select._options) if v == select.value), 0)
    target = labels.index(label)
    step = "down" if target > current else "up"
    await pilot.press(*[step] * abs(target - current), "enter")
    await settle(pilot)


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Put ``text`` in a field of the open form, as a paste would (typing every key of every
    field would make these tests slow; the names are typed key by key)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def pick_labels(pilot: Pilot[Any], selector: str, *typed: str) -> None:
    """Pick zones or themes by label: type part of each, Enter on the first suggestion."""
    pilot.app.screen.query_one(selector).focus()
    for text in typed:
        await pilot.press(*text, "enter")
    await pilot.pause()


# -- unit rules of the form -------------------------------------------------------------------


def test_slugs_are_split_and_checked_with_the_model_rules() -> None:
    assert split_slugs(" ombriano, Centro-Storico ,, ombriano") == (
        ["ombriano", "centro-storico"],
        None,
    )
    values, problem = split_slugs("ombriano, San Bernardino")
    assert values == ["ombriano"]
    assert problem is not None and problem.startswith("“San Bernardino”: use lowercase")


def test_contact_keys_are_slugs_unique_within_the_partner() -> None:
    assert contact_key("Mària Rossi", []) == "maria-rossi"
    assert contact_key("Mària Rossi", ["maria-rossi", "maria-rossi-2"]) == "maria-rossi-3"
    assert contact_key("!!!", []) == "contact"


# -- browsing ---------------------------------------------------------------------------------


async def test_directory_lists_every_partner_by_name(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        names = [p.name for p in registry.list_partners()]
        assert len(table(app).keys) == DEMO_PARTNERS
        assert shown_names(app)[0] == names[0] == "Alimentari Da Rina"
        assert detail(app).splitlines()[0] == "Alimentari Da Rina"
        assert app.focused is table(app).table


async def test_search_as_you_type_ignores_accents(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("slash", *"equipe")
        await settle(pilot)
        assert shown_partners(app) == ["Consultorio familiare – équipe adolescenti (demo)"]
        assert shown_names(app) == ["Consultorio familiare – équipe ad…"]  # clipped to fit
        assert detail(app).startswith("Consultorio familiare – équipe adolescenti (demo)")
        await pilot.press(*["backspace"] * 5)
        await settle(pilot)
        assert len(table(app).keys) > 1  # "e" matches more as the text shrinks


async def test_search_without_hits_empties_detail_and_disables_edit(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await search(pilot, "zzzz")
        assert table(app).keys == []
        assert detail(app) == "No partner selected."
        assert screen.check_action("edit_partner", ()) is None
        assert screen.check_action("delete_partner", ()) is None
        assert screen.check_action("new_partner", ()) is True


async def test_escape_clears_search_and_filters(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await choose(pilot, screen.query_one("#partner-kind", Select), _("Parish / oratory"))
        await search(pilot, "fontana")
        assert shown_partners(app) == ["Oratorio «La Fontana»"]
        table(app).focus_table()
        await pilot.press("escape")
        await settle(pilot)
        assert screen.query_one("#partner-search", Input).value == ""
        assert screen.query_one("#partner-kind", Select).is_blank()
        assert len(table(app).keys) == DEMO_PARTNERS
        assert table(app).current() == partner_id(registry.store.path, "Oratorio «La Fontana»")


async def test_filter_by_kind(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await choose(pilot, screen.query_one("#partner-kind", Select), _("Parish / oratory"))
        parishes = registry.list_partners(PartnerQuery(kind=PartnerKind.PARISH))
        assert list(table(app).keys) == [p.id for p in parishes]
        assert len(parishes) == 5


async def test_filter_by_zone_and_theme_with_reference_labels(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await choose(pilot, screen.query_one("#partner-zone", Select), "Ombriano")
        in_zone = registry.list_partners(PartnerQuery(zone="ombriano"))
        assert list(table(app).keys) == [p.id for p in in_zone]
        await choose(pilot, screen.query_one("#partner-theme", Select), "Fighting loneliness")
        both = registry.list_partners(PartnerQuery(zone="ombriano", theme="loneliness"))
        assert list(table(app).keys) == [p.id for p in both]
        assert 0 < len(both) < len(in_zone)


async def test_filter_options_join_data_and_reference_data(demo_path: Path) -> None:
    with Store.open(demo_path) as store:
        registry = Registry(store, plugins=plugins())
        registry.create_partner(name="Nuovi vicini", kind="citizens_group", zones=["borgo-nuovo"])
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_partners(app, pilot)
            zones = [v for _p, v in screen.query_one("#partner-zone", Select)._options]
            themes = [v for _p, v in screen.query_one("#partner-theme", Select)._options]
            assert "borgo-nuovo" in zones  # only in the data
            assert "vergonzana" in zones  # Crema's reference zones
            assert "inclusion" in themes  # a base theme no demo partner has


async def test_without_plugins_the_filters_offer_the_data(demo_path: Path) -> None:
    with Store.open(demo_path) as store:
        app = PattiApp(Registry(store))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_partners(app, pilot)
            zones = {v for _p, v in screen.query_one("#partner-zone", Select)._options}
            used = {z for p in app.registry.list_partners() for z in p.zones}
            assert zones - {Select.NULL} == used


async def test_a_large_directory_is_indexed_in_a_worker_then_searched_key_by_key(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(store_path) as store, store.transaction():
        registry = Registry(store)
        for n in range(120):
            kind = "parish" if n % 3 == 0 else "association"
            registry.create_partner(name=f"Ente {n:03d} Città", kind=kind)
    monkeypatch.setattr(PartnersScreen, "SYNC_LIMIT", 50)  # what 100,000 partners would do
    with Store.open(store_path) as store:
        app = PattiApp(Registry(store))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_partners(app, pilot)
            await app.workers.wait_for_complete()
            await settle(pilot)
            assert len(table(app).keys) == 120
            assert shown_partners(app)[:2] == ["Ente 000 Città", "Ente 001 Città"]
            await pilot.press("slash", *"CITTA 11")
            await settle(pilot)
            eleven = [n for n in range(120) if "11" in f"{n:03d}"]
            assert shown_partners(app) == [f"Ente {n:03d} Città" for n in eleven]
            await choose(pilot, screen.query_one("#partner-kind", Select), _("Parish / oratory"))
            assert shown_partners(app) == [f"Ente {n:03d} Città" for n in eleven if n % 3 == 0]


async def test_partners_saved_elsewhere_appear_when_the_directory_is_shown_again(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await search(pilot, "[b]")
        assert table(app).keys == []
        added = registry.create_partner(name="Zattera [b]APS[/b]", kind="association")
        screen.refresh_data()
        await settle(pilot)
        assert shown_partners(app) == ["Zattera [b]APS[/b]"]
        assert shown_names(app) == ["Zattera [b]APS[/b]"]  # stored text, never markup
        registry.delete_partner(added.id or 0)
        screen.refresh_data()
        await settle(pilot)
        assert table(app).keys == []
        assert detail(app) == "No partner selected."


# -- the detail -------------------------------------------------------------------------------


async def test_detail_shows_contacts_pacts_and_activities(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        lines = detail(app).splitlines()
        assert lines[:2] == ["Alimentari Da Rina", "Business"]
        assert "Zones: San Carlo" in lines
        assert "• Rina Ogliari — Titolare" in lines
        assert "  e-mail: rina.ogliari@example.org · phone: 0373 000 606" in lines
        # The demo is seen from 2022-01-01: this retention date is still ahead.
        assert "  legal basis: Consent · keep until 2023-12-31" in lines
        assert "• PdC-2020-02 2020 — Partner — Concluded" in lines
        assert "• 2020-06-26 Bilancio con i volontari (PdC-2020-02, Done)" in lines
        assert "Rina Ogliari — Titolare" in screen_text(app)


async def test_detail_links_institutes_and_their_schools(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await search(pilot, "fontanili")
        assert "Schools: Scuola secondaria di primo grado «Cascina dei Gelsi»" in detail(app)
        await search(pilot, "gelsi")
        assert "Part of: Istituto Comprensivo «I Fontanili»" in detail(app)
        assert "11 planned from today on." in detail(app)


async def test_detail_follows_the_cursor_and_enter_focuses_it(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await pilot.press("down")
        await pilot.pause()
        assert detail(app).startswith("Associazione Ali per l'Accoglienza")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is screen.query_one("#partner-detail-scroll")
        await pilot.press("escape")  # back to the list, the cursor where it was
        await pilot.pause()
        assert app.focused is table(app).table
        assert detail(app).startswith("Associazione Ali per l'Accoglienza")


async def test_stored_markup_shows_literally(store: Store) -> None:
    payload = "[@click=app.quit]x[/]"
    registry = Registry(store)
    registry.create_partner(
        name=f"{payload} ente",
        kind="association",
        notes=f"{payload} note",
        contacts=[{"key": "a", "name": f"{payload} persona", "role": "[b]r[/b]"}],
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        text = detail(app)
        for shown in (f"{payload} ente", f"{payload} note", f"• {payload} persona — [b]r[/b]"):
            assert shown in text
        assert f"{payload} ente" in screen_text(app)
        assert app.return_code is None


# -- creating and editing ---------------------------------------------------------------------


async def test_create_a_partner_with_a_contact(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PartnerEditor)
        assert app.focused is form.query_one("#p-name")
        await pilot.press(*"Gruppo Lettura")
        await choose(pilot, form.query_one("#p-kind", Select), _("Informal group"))
        await pick_labels(pilot, "#p-zones", "ombr")
        await pick_labels(pilot, "#p-themes", "mutual", "volunt")
        await type_into(pilot, "#p-tags", "lettura")
        await pilot.click("#contact-add")
        await pilot.pause()
        assert isinstance(app.screen, ContactEditor)
        await type_into(pilot, "#c-name", "Mària Rossi")
        await type_into(pilot, "#c-role", "Coordinatrice")
        await type_into(pilot, "#c-email", "maria.rossi@example.org")
        await type_into(pilot, "#c-phone", "+39 333 1234567")
        await choose(pilot, app.screen.query_one("#c-legal_basis", Select), _("Consent"))
        await type_into(pilot, "#c-retention_until", "31/12/2027")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert top(app) is form
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert top(app) is screen
        new_id = partner_id(registry.store.path, "Gruppo Lettura")
        assert table(app).current() == new_id
        assert detail(app).startswith("Gruppo Lettura")
        assert "Saved: Gruppo Lettura" in notifications(app)
    with Store.open(registry.store.path, readonly=True) as reopened:
        saved = reopened.partners.get(new_id)
    assert saved.kind is PartnerKind.INFORMAL_GROUP
    assert (saved.zones, saved.themes, saved.tags) == (
        ["ombriano"],
        ["mutual-knowledge", "volunteering"],
        ["lettura"],
    )
    [contact] = saved.contacts
    assert (contact.key, contact.name, contact.role) == (
        "maria-rossi",
        "Mària Rossi",
        "Coordinatrice",
    )
    assert (contact.email, contact.phone) == ("maria.rossi@example.org", "+39 333 1234567")
    assert contact.legal_basis is LegalBasis.CONSENT
    assert contact.retention_until == date(2027, 12, 31)


async def test_a_school_belongs_to_an_institute(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        parent = form.query_one("#p-parent", Select)
        assert parent.disabled  # no kind yet: only a school has an institute
        await pilot.press(*"Scuola Dante")
        await choose(pilot, form.query_one("#p-kind", Select), _("School"))
        assert not parent.disabled
        await choose(pilot, parent, "Istituto Comprensivo «Tre Rogge»")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Part of: Istituto Comprensivo «Tre Rogge»" in detail(app)
    path = registry.store.path
    with Store.open(path, readonly=True) as reopened:
        school = reopened.partners.get(partner_id(path, "Scuola Dante"))
    assert school.parent_id == partner_id(path, "Istituto Comprensivo «Tre Rogge»")


async def test_edit_keeps_the_cursor_on_the_partner(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("down", "down", "down")
        await pilot.pause()
        edited = table(app).current()
        assert edited is not None
        before = registry.partner(edited)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, PartnerEditor)
        await type_into(pilot, "#p-name", "Zattera dei Ragazzi")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert table(app).current() == edited
        assert shown_partners(app)[-1] == "Zattera dei Ragazzi"  # sorted by name: now the last
        assert detail(app).startswith("Zattera dei Ragazzi")
    with Store.open(registry.store.path, readonly=True) as reopened:
        after = reopened.partners.get(edited)
    assert after.name == "Zattera dei Ragazzi"
    assert after.revision == before.revision + 1
    assert (after.kind, after.zones, after.contacts) == (before.kind, before.zones, before.contacts)


async def test_remove_a_contact_person(registry: Registry) -> None:
    path = registry.store.path
    rina = partner_id(path, "Alimentari Da Rina")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        assert table(app).current() == rina
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#p-contacts").focus()
        await pilot.press("x", "ctrl+s")
        await settle(pilot)
        assert "No contact persons recorded." in detail(app)
    with Store.open(path, readonly=True) as reopened:
        assert reopened.partners.get(rina).contacts == []


# -- bad input and refusals -----------------------------------------------------------------


async def test_bad_input_shows_inline_errors_and_saves_nothing(registry: Registry) -> None:
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#p-tags", "Centro Storico")
        assert errors(app) == {
            "p-tags": "“Centro Storico”: use lowercase letters, digits, '-' or '_' "
            "(for example san-bernardino)"
        }
        await pilot.press("ctrl+s")
        await pilot.pause()
        shown = errors(app)
        assert shown["p-name"] == "cannot be empty"
        assert shown["p-kind"] == "Choose the kind of partner."
        assert "p-tags" in shown
        assert shown["form"] == "Correct the fields marked in red: nothing was saved."
        assert isinstance(app.screen, PartnerEditor)
        assert app.focused is app.screen.query_one("#p-name")
        assert "cannot be empty" in screen_text(app)
    assert file_state(path) == before


async def test_pasted_control_sequences_are_dropped_from_the_form(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#p-name", "Ente \x1b]0;titolo\x07 Uno\u202e")
        assert app.screen.query_one("#p-name", Input).value == "Ente ]0;titolo Uno"
        assert "\x1b" not in screen_text(app)


async def test_bad_email_in_a_contact_shows_an_inline_error(registry: Registry) -> None:
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.click("#contact-add")
        await pilot.pause()
        await type_into(pilot, "#c-name", "Ugo Bassi")
        await type_into(pilot, "#c-email", "ugo.bassi-at-example.org")
        await type_into(pilot, "#c-phone", "tre tre tre")
        await type_into(pilot, "#c-retention_until", "31/02/2027")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactEditor)
        shown = errors(app)
        assert shown["c-email"] == "not a valid e-mail address (for example name@example.org)"
        assert shown["c-phone"].startswith("a phone number has digits")
        assert "not a valid date" in shown["c-retention_until"]
        assert app.focused is app.screen.query_one("#c-email")
        # Leaving asks first, and the partner form is still there, untouched.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PartnerEditor)
        await pilot.press("escape")  # nothing changed: closes at once
        await settle(pilot)
        assert isinstance(app.screen, PartnersScreen)
    assert file_state(path) == before


async def test_a_stale_edit_is_refused_in_the_form(registry: Registry) -> None:
    """Someone saved the partner meanwhile: the form says so and keeps what was typed."""
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        edited = table(app).current()
        assert edited is not None
        await pilot.press("e")
        await pilot.pause()
        registry.update_partner(edited, notes="changed elsewhere")
        after_other_save = file_state(registry.store.path)
        await type_into(pilot, "#p-name", "Alimentari Rina")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PartnerEditor)
        assert "form" in errors(app)
        assert app.screen.query_one("#p-name", Input).value == "Alimentari Rina"
        assert file_state(registry.store.path) == after_other_save


async def test_cancel_with_changes_asks_before_discarding(registry: Registry) -> None:
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Bozza", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, PartnerEditor)
        assert app.screen.query_one("#p-name", Input).value == "Bozza"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # discard
        await settle(pilot)
        assert isinstance(app.screen, PartnersScreen)
    assert file_state(path) == before


# -- deleting -------------------------------------------------------------------------------


async def test_delete_an_unused_partner(registry: Registry) -> None:
    unused = registry.create_partner(name="Ente Zefiro", kind="business")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await search(pilot, "zefiro")
        table(app).focus_table()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert "Deleted: Ente Zefiro" in notifications(app)
        assert table(app).keys == []
    with Store.open(registry.store.path, readonly=True) as reopened:
        assert not reopened.partners.exists(unused.id or 0)


async def test_delete_of_a_used_partner_is_refused_with_the_reasons(registry: Registry) -> None:
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        reasons = (
            "Alimentari Da Rina is still used by pacts PdC-2020-02; 1 activity: "
            "remove it there first, or detach it and delete."
        )
        assert isinstance(app.screen, ConfirmDialog)  # the second, explicit choice
        assert "Detach and delete" in screen_text(app)
        message = app.screen.query_one("#confirm-message").render()
        assert isinstance(message, Content)
        assert reasons in message.plain  # the question gives the reasons...
        assert notifications(app) == []  # ...so no "Not deleted" toast over it yet
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PartnersScreen)
        assert notifications(app) == [reasons]  # declined: now it is "Not deleted"
        assert len(table(app).keys) == DEMO_PARTNERS
    assert file_state(path) == before


async def test_detach_and_delete_removes_the_partner_everywhere(registry: Registry) -> None:
    path = registry.store.path
    rina = partner_id(path, "Alimentari Da Rina")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert len(table(app).keys) == DEMO_PARTNERS - 1
        assert table(app).current() == partner_id(path, "Associazione Ali per l'Accoglienza")
    with Store.open(path, readonly=True) as reopened:
        assert not reopened.partners.exists(rina)
        assert reopened.partner_usage(rina) == {"pacts": [], "activities": [], "partners": []}
        assert reopened.check() == []


# -- read-only and Italian ------------------------------------------------------------------


@pytest.fixture
def lock_holder(demo_path: Path) -> Iterator[subprocess.Popen[str]]:
    with hold_lock(demo_path) as proc:
        yield proc


async def test_readonly_store_disables_editing(
    demo_path: Path, lock_holder: subprocess.Popen[str]
) -> None:
    before = file_state(demo_path)
    with Store.open(demo_path) as store:
        assert store.readonly
        app = PattiApp(Registry(store, plugins=plugins()))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_partners(app, pilot)
            for action in ("new_partner", "edit_partner", "delete_partner"):
                assert screen.check_action(action, ()) is None
            await pilot.press("n", "e", "d")
            await pilot.pause()
            assert app.screen is screen
            assert len(table(app).keys) == DEMO_PARTNERS  # browsing still works
            assert detail(app).startswith("Alimentari Da Rina")
    assert file_state(demo_path) == before


async def test_italian_labels(registry: Registry) -> None:
    english = ["Name", "Kind", "Zones", "New", "Edit", "Delete", "New partner", "Any kind"]
    set_language("it")
    italian = [_(label) for label in english]
    xfail_untranslated(english, italian)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        headers = [str(c.label) for c in table(app).table.columns.values()]
        assert headers == italian[:3]
        footer = screen_text(app).splitlines()[-1]
        for key, label in zip("ned", italian[3:6], strict=True):
            assert f"{key} {label}" in footer
        assert "Parrocchia / oratorio" in [str(p) for p, _v in screen.query_one(Select)._options]
        assert italian[7] in screen_text(app)  # the kind filter's prompt
        await pilot.press("n")
        await pilot.pause()
        assert italian[6] in screen_text(app)


# -- safe answers, focus and the form's banner ------------------------------------------------


async def test_d_then_enter_twice_deletes_and_detaches_nothing(registry: Registry) -> None:
    """Enter answers "no" to a delete: Enter pressed once too often must not detach a
    partner from its pacts."""
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)  # the cursor on a partner in use
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(top(app), ConfirmDialog)
        assert "n, Esc or Enter: cancel" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert top(app) is screen
        await pilot.press("enter")
        await settle(pilot)
        assert top(app) is screen
        assert len(table(app).keys) == DEMO_PARTNERS
        assert notifications(app) == []
    assert file_state(path) == before


async def test_enter_on_detach_and_delete_keeps_the_partner(registry: Registry) -> None:
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")  # the first question, on purpose
        await pilot.pause()
        assert isinstance(top(app), ConfirmDialog)  # "Detach and delete?"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(top(app), PartnersScreen)
        assert [n.title for n in app._notifications] == ["Not deleted"]
    assert file_state(path) == before


async def test_enter_on_discard_keeps_editing(registry: Registry) -> None:
    path = registry.store.path
    before = file_state(path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Bozza", "escape")
        await pilot.pause()
        assert isinstance(top(app), ConfirmDialog)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(top(app), PartnerEditor)
        assert top(app).query_one("#p-name", Input).value == "Bozza"
    assert file_state(path) == before


async def test_the_list_has_the_keys_after_the_form_closes(registry: Registry) -> None:
    """Enter put the focus on the detail; after the form the arrows move the cursor."""
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_partners(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is screen.query_one("#partner-detail-scroll")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(top(app), PartnerEditor)
        await pilot.press("ctrl+s")  # saved as it was
        await settle(pilot)
        assert top(app) is screen
        assert app.focused is table(app).table
        first = table(app).current()
        await pilot.press("down")
        await pilot.pause()
        assert table(app).current() != first


async def test_the_forms_banner_goes_with_the_last_field_in_red(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partners(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        await type_into(pilot, "#p-name", "")
        await type_into(pilot, "#p-tags", "Centro Storico")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert set(errors(app)) == {"p-name", "p-tags", "form"}
        await type_into(pilot, "#p-name", "Alimentari Da Rina")
        assert set(errors(app)) == {"p-tags", "form"}, "one field is still red"
        await type_into(pilot, "#p-tags", "centro-storico")
        assert errors(app) == {}
