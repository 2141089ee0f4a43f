"""Zones and themes are picked by their labels in the partner and pact forms.

The real app on a real store with the built-in plugins (Crema's zones, the
base themes), the editors opened on top of it and driven with keys as an
operator would: type part of a label, Enter; Down for the whole list. What
must be saved is read back from the store file as slugs; what must not be
saved is checked byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui import file_state, screen_text
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select

from patti.core import hookimpl
from patti.core.i18n import _, set_language
from patti.core.model import Pact, Partner, PartnerKind
from patti.core.plugins import PluginHost
from patti.core.reference import ReferenceData, Theme, Zone
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.dialogs.pact_editor import ConfirmDiscard, PactEditor
from patti.tui.dialogs.partner_editor import FieldError, PartnerEditor
from patti.tui.widgets.label_picker import LabelPicker, PickerChips, new_slug

SIZE = (120, 36)


def plugins() -> PluginHost:
    """patti's built-in plugins only: Crema's zones, the base themes, the pact types."""
    return PluginHost(entry_point_group=None)


@pytest.fixture
def registry(store_path: Path) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        yield Registry(store, plugins=plugins())


def stored_partner(path: Path, name: str) -> Partner:
    """The partner called ``name``, as another process reads the file."""
    with Store.open(path, readonly=True) as store:
        return next(p for p in store.partners.all() if p.name == name)


def stored_pact(path: Path, title: str) -> Pact:
    with Store.open(path, readonly=True) as store:
        return next(p for p in store.pacts.all() if p.title == title)


# -- driving the pickers ---------------------------------------------------------------------


def picker(pilot: Pilot[Any], selector: str) -> LabelPicker:
    return pilot.app.screen.query_one(selector, LabelPicker)


def suggestions(found: LabelPicker) -> list[str]:
    """The suggestions as shown, with their ✓ marks."""
    options = found.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def chips(found: LabelPicker) -> str:
    """The chips on one line (the screen wraps them between chips)."""
    return found.query_one(PickerChips).text


async def type_keys(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key (spaces as the space key)."""
    await pilot.press(*("space" if c == " " else c for c in text))
    await pilot.pause()


async def pick(pilot: Pilot[Any], selector: str, typed: str) -> None:
    """Focus the picker, type part of a label and take the first suggestion with Enter."""
    picker(pilot, selector).focus()
    await pilot.pause()
    await type_keys(pilot, typed)
    await pilot.press("enter")
    await pilot.pause()


async def open_partner_editor(
    pilot: Pilot[Any], registry: Registry, partner: Partner | None = None
) -> tuple[PartnerEditor, list[Partner | None]]:
    """The partner form over the app, with what it dismisses with."""
    results: list[Partner | None] = []
    form = PartnerEditor(registry, partner)
    pilot.app.push_screen(form, results.append)
    await pilot.pause()
    return form, results


async def open_pact_editor(
    pilot: Pilot[Any], registry: Registry, **kwargs: Any
) -> tuple[PactEditor, list[Pact | None]]:
    results: list[Pact | None] = []
    form = PactEditor(registry, **kwargs)
    pilot.app.push_screen(form, results.append)
    await pilot.pause()
    await pilot.pause()  # the form records its untouched state after a refresh
    return form, results


async def name_a_partner(pilot: Pilot[Any], form: PartnerEditor, name: str) -> None:
    form.query_one("#p-name", Input).value = name
    form.query_one("#p-kind", Select).value = PartnerKind.ASSOCIATION
    await pilot.pause()


# -- the partner form ----------------------------------------------------------------------


async def test_zone_and_themes_picked_by_label_are_stored_as_slugs(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_partner_editor(pilot, registry)
        await name_a_partner(pilot, form, "Gruppo Lettura")
        zones = picker(pilot, "#p-zones")
        zones.focus()
        await pilot.pause()
        await type_keys(pilot, "santa maria")
        assert suggestions(zones) == ["  Santa Maria della Croce"]
        await pilot.press("enter")
        await pilot.pause()
        assert chips(zones) == " Santa Maria della Croce ✕ "
        assert zones.typed == "" and not zones.is_open
        await pick(pilot, "#p-themes", "mutual")
        # Down lists every theme; move to "Volunteering" and take it too.
        themes = picker(pilot, "#p-themes")
        await pilot.press("down")
        await pilot.pause()
        listed = suggestions(themes)
        assert "✓ Mutual knowledge" in listed and "  Volunteering" in listed
        await pilot.press(*["down"] * listed.index("  Volunteering"), "enter", "escape")
        await pilot.pause()
        assert chips(themes) == " Mutual knowledge ✕   Volunteering ✕ "
        assert "Santa Maria della Croce ✕" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results and results[0] is not None
    saved = stored_partner(registry.store.path, "Gruppo Lettura")
    assert saved.zones == ["santa-maria-della-croce"]
    assert saved.themes == ["mutual-knowledge", "volunteering"]


async def test_italian_labels_in_the_italian_interface(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, _results = await open_partner_editor(pilot, registry)
        await name_a_partner(pilot, form, "Gruppo Lettura")
        themes = picker(pilot, "#p-themes")
        themes.focus()
        await pilot.pause()
        await type_keys(pilot, "volont")
        assert suggestions(themes) == ["  Volontariato"]
        await pilot.press("enter")
        await type_keys(pilot, "loneliness")  # the English name (and slug) finds it too
        assert suggestions(themes) == ["  Contrasto alla solitudine"]
        await pilot.press("enter")
        await pilot.pause()
        assert chips(themes) == " Volontariato ✕   Contrasto alla solitudine ✕ "
        text = screen_text(app)
        assert "Contrasto alla solitudine ✕" in text
        assert _("Themes") == "Temi" and "Temi" in text
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = stored_partner(registry.store.path, "Gruppo Lettura")
    assert saved.themes == ["volunteering", "loneliness"]


async def test_unknown_slugs_survive_an_edit_shown_as_they_are(registry: Registry) -> None:
    """A zone and a theme no loaded plugin names (a hand-edited file, a removed plugin)."""
    partner = registry.create_partner(
        name="Circolo Vecchio",
        kind="association",
        zones=["borgo-antico", "ombriano"],
        themes=["old-plugin-theme"],
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_partner_editor(pilot, registry, partner)
        zones, themes = picker(pilot, "#p-zones"), picker(pilot, "#p-themes")
        assert chips(zones) == " borgo-antico ✕   Ombriano ✕ "
        assert chips(themes) == " old-plugin-theme ✕ "
        await pick(pilot, "#p-themes", "legal")
        form.query_one("#p-name", Input).value = "Circolo Nuovo"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results and results[0] is not None
    saved = stored_partner(registry.store.path, "Circolo Nuovo")
    assert saved.zones == ["borgo-antico", "ombriano"]
    assert saved.themes == ["old-plugin-theme", "legality"]


class MarkupPack:
    """A plugin whose labels look like markup (and carry a control character)."""

    @hookimpl
    def register_reference_data(self, register: Callable[[ReferenceData], None]) -> None:
        register(
            ReferenceData(
                zones=[Zone("quirky", "[@click=app.quit]Zona[/] \x1b[31m")],
                themes=[Theme("bold-theme", "[b]Tema[/b]", "[b]Theme[/b]")],
            )
        )


async def test_markup_looking_labels_from_a_plugin_are_shown_literally(
    store_path: Path,
) -> None:
    host = plugins()
    host.register(MarkupPack(), "markup-pack")
    with Store.open(store_path) as store:
        registry = Registry(store, plugins=host)
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            form, _results = await open_partner_editor(pilot, registry)
            await name_a_partner(pilot, form, "Ente")
            zones = picker(pilot, "#p-zones")
            zones.focus()
            await type_keys(pilot, "zona")
            assert suggestions(zones) == ["  [@click=app.quit]Zona[/] [31m"]
            await pilot.press("enter")
            await pick(pilot, "#p-themes", "tema")
            text = screen_text(app)
            assert "[@click=app.quit]Zona[/] [31m ✕" in text
            assert "[b]Theme[/b] ✕" in text
            assert "\x1b" not in text
            await pilot.click(PickerChips, offset=(4, 0))  # the chip's own click: unpick
            await pilot.pause()
            assert app.return_code is None  # the label's "action" never ran
            assert zones.values == []
            await pilot.press("ctrl+s")
            await pilot.pause()
        saved = stored_partner(store_path, "Ente")
    assert saved.themes == ["bold-theme"]


async def test_a_click_on_a_chip_removes_it(registry: Registry) -> None:
    partner = registry.create_partner(
        name="Circolo", kind="association", zones=["ombriano", "sabbioni"]
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partner_editor(pilot, registry, partner)
        zones = picker(pilot, "#p-zones")
        await pilot.click(zones.query_one(PickerChips), offset=(3, 0))
        await pilot.pause()
        assert zones.values == ["sabbioni"]
        assert app.focused is zones.input


async def test_backspace_in_the_empty_input_removes_the_last_chip(registry: Registry) -> None:
    partner = registry.create_partner(
        name="Circolo", kind="association", themes=["legality", "youth"]
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, _results = await open_partner_editor(pilot, registry, partner)
        themes = picker(pilot, "#p-themes")
        themes.focus()
        await type_keys(pilot, "ab")
        await pilot.press("backspace", "backspace")  # the typed text first
        await pilot.pause()
        assert themes.values == ["legality", "youth"]
        await pilot.press("backspace")
        await pilot.pause()
        assert themes.values == ["legality"]
        assert form.dirty


async def test_enter_on_a_chosen_suggestion_removes_it(registry: Registry) -> None:
    partner = registry.create_partner(
        name="Circolo", kind="association", themes=["legality", "youth"]
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partner_editor(pilot, registry, partner)
        themes = picker(pilot, "#p-themes")
        themes.focus()
        await type_keys(pilot, "legal")
        assert suggestions(themes) == ["✓ Legality"]
        await pilot.press("enter")
        await pilot.pause()
        assert themes.values == ["youth"]


async def test_a_name_not_in_the_list_is_added_only_on_purpose(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, _results = await open_partner_editor(pilot, registry)
        await name_a_partner(pilot, form, "Nuovi vicini")
        zones = picker(pilot, "#p-zones")
        zones.focus()
        await type_keys(pilot, "Borgo Nuovo")
        assert suggestions(zones) == [
            "Nothing matches “Borgo Nuovo”.",
            "+ add “borgo-nuovo”, not in the list",
        ]
        await pilot.press("enter")  # nothing is highlighted: Enter alone adds nothing
        await pilot.pause()
        assert zones.values == []
        await pilot.press("down", "enter")
        await pilot.pause()
        assert zones.values == ["borgo-nuovo"]
        assert chips(zones) == " borgo-nuovo ✕ "
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert stored_partner(registry.store.path, "Nuovi vicini").zones == ["borgo-nuovo"]


def test_new_slugs_are_made_from_what_was_typed() -> None:
    assert new_slug("Borgo Nuovo") == "borgo-nuovo"
    assert new_slug("  Città — Alta! ") == "citta-alta"
    assert new_slug("!!!") == ""


async def test_a_typed_label_is_taken_on_save_and_a_stray_word_is_refused(
    registry: Registry,
) -> None:
    """Ctrl+S never drops what was typed: an exact label is chosen, anything else is
    shown under the field and nothing is saved."""
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_partner_editor(pilot, registry)
        await name_a_partner(pilot, form, "Gruppo Lettura")
        picker(pilot, "#p-zones").focus()
        await type_keys(pilot, "Ombriano")
        picker(pilot, "#p-themes").focus()
        await type_keys(pilot, "solitud")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not results
        assert app.screen is form
        shown = {e.id: e.message for e in form.query(FieldError) if e.message}
        assert shown["p-themes-error"] == (
            "“solitud” is not in the list: choose a suggestion with Enter, or clear it."
        )
        assert form.query_one("#p-themes").has_class("-invalid")
        assert picker(pilot, "#p-zones").values == ["ombriano"]  # the exact one was taken
        assert file_state(registry.store.path) == before
        await pilot.press("enter")  # the suggestion under the cursor: Fighting loneliness
        await pilot.pause()
        assert "p-themes-error" not in {e.id for e in form.query(FieldError) if e.message}
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results and results[0] is not None
    saved = stored_partner(registry.store.path, "Gruppo Lettura")
    assert (saved.zones, saved.themes) == (["ombriano"], ["loneliness"])


async def test_escape_closes_the_suggestions_before_the_form(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_partner_editor(pilot, registry)
        zones = picker(pilot, "#p-zones")
        zones.focus()
        await pilot.press("down")
        await pilot.pause()
        assert zones.is_open
        await pilot.press("escape")
        await pilot.pause()
        assert not zones.is_open and app.screen is form
        await pilot.press("enter")  # nothing typed, list closed: nothing happens
        await pilot.press("escape")  # nothing changed: the form closes at once
        await pilot.pause()
        assert results == [None]


async def test_tab_closes_the_suggestions(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partner_editor(pilot, registry)
        zones = picker(pilot, "#p-zones")
        zones.focus()
        await type_keys(pilot, "o")
        assert zones.is_open
        await pilot.press("tab")
        await pilot.pause()
        assert not zones.is_open
        assert app.focused is picker(pilot, "#p-themes").input


# -- the pact form ---------------------------------------------------------------------------


async def test_a_pact_from_a_template_starts_with_its_default_themes(
    registry: Registry,
) -> None:
    pact_type = plugins().pact_types()["school_testimonies"]
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_pact_editor(pilot, registry, type_name="school_testimonies")
        themes = picker(pilot, "#field-themes")
        assert themes.values == list(pact_type.default_themes)
        assert chips(themes) == (" Volunteering ✕   Active citizenship ✕   Mutual knowledge ✕ ")
        assert not form.dirty
        await pilot.press("escape")  # untouched: closes at once
        await pilot.pause()
        assert results == [None]


async def test_pact_zones_and_themes_picked_with_keys_are_saved_as_slugs(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_pact_editor(pilot, registry, type_name="community_ties")
        assert picker(pilot, "#field-themes").values == ["loneliness", "mutual-knowledge"]
        await type_keys(pilot, "Caffè sospeso")  # the title has the focus
        await pick(pilot, "#field-zones", "crema nuova")
        await pick(pilot, "#field-zones", "ombr")
        themes = picker(pilot, "#field-themes")
        themes.focus()
        await pilot.press("backspace")  # drops "Mutual knowledge"
        await type_keys(pilot, "intergen")
        await pilot.press("enter")
        await pilot.pause()
        assert chips(themes) == " Fighting loneliness ✕   Intergenerational ties ✕ "
        assert form.dirty
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert results and results[0] is not None
    saved = stored_pact(registry.store.path, "Caffè sospeso")
    assert saved.zones == ["crema-nuova", "ombriano"]
    assert saved.themes == ["loneliness", "intergenerational"]


async def test_a_pacts_unknown_theme_survives_an_edit(registry: Registry) -> None:
    pact = registry.create_pact(
        title="Orti", type="community_ties", year=2022, themes=["gardening"], zones=["centro"]
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_pact_editor(pilot, registry, pact=pact)
        assert chips(picker(pilot, "#field-themes")) == " gardening ✕ "
        assert chips(picker(pilot, "#field-zones")) == " centro ✕ "
        await pick(pilot, "#field-themes", "environ")  # by the slug: Care of common goods
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = stored_pact(registry.store.path, "Orti")
    assert saved.themes == ["gardening", "environment"]
    assert saved.zones == ["centro"]


async def test_a_stray_word_in_a_pact_picker_is_refused_inline(registry: Registry) -> None:
    pact = registry.create_pact(title="Orti", type="community_ties", year=2022)
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form, results = await open_pact_editor(pilot, registry, pact=pact)
        picker(pilot, "#field-zones").focus()
        await type_keys(pilot, "xyz")
        await pilot.press("escape")  # closes the suggestions, keeps the text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not results
        error = form.query_one("#field-zones-error").render()
        assert "“xyz” is not in the list" in str(getattr(error, "plain", error))
        assert file_state(registry.store.path) == before
        await pilot.press("escape")  # typed text is a change: the guard asks
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDiscard)


@pytest.mark.parametrize("language", ["en", "it"])
async def test_the_pickers_fit_both_forms_in_both_languages(
    registry: Registry, language: str
) -> None:
    set_language(language)
    partner = registry.create_partner(
        name="Circolo",
        kind="association",
        zones=["santa-maria-della-croce", "santo-stefano"],
        themes=["active-citizenship", "intergenerational", "health"],
    )
    pact = registry.create_pact(
        title="Orti",
        type="community_ties",
        year=2022,
        zones=["santa-maria-della-croce", "santo-stefano"],
        themes=["active-citizenship", "intergenerational", "health"],
    )
    themes = (
        ("Cittadinanza attiva", "Legami tra generazioni", "Salute e benessere")
        if language == "it"
        else ("Active citizenship", "Intergenerational ties", "Health and well-being")
    )
    chip_labels = [f" {label} ✕ " for label in ("Santa Maria della Croce", *themes)]
    chip_labels.append(" Santo Stefano in Vairano ✕ ")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_partner_editor(pilot, registry, partner)
        text = screen_text(app)
        for label in (_("Zones"), _("Themes"), _("Tags"), *chip_labels):
            assert label in text, label  # each chip whole on one line
        assert _("type a zone; ↓ for the list") in text
        await pilot.press("escape")
        await pilot.pause()
        await open_pact_editor(pilot, registry, pact=pact)
        text = screen_text(app)
        for label in (_("Zones"), _("Themes"), _("Target groups"), *chip_labels):
            assert label in text, label
        assert _("type a theme; ↓ for the list") in text


async def test_slugs_found_in_stored_pacts_are_offered_as_they_are(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_pact_editor(pilot, registry, type_name="community_ties", zones=["centro"])
        zones = picker(pilot, "#field-zones")
        zones.focus()
        await type_keys(pilot, "centro")
        assert suggestions(zones) == ["  centro", "  Centro storico"]
