"""The UI speaks one language: activity kinds, counts, Textual's own texts, sizes and the
plugins screen are in Italian when the UI is, with plural forms that agree."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import Footer, Select, Static

from patti.core.demo import build_demo
from patti.core.exporters import export_context
from patti.core.formats import format_size
from patti.core.i18n import set_language
from patti.core.model import activity_kind_label
from patti.core.plugins import PluginHost
from patti.core.services import ActivityQuery, Registry
from patti.core.store import Store
from patti.plugins.exporters.tables import report_tables
from patti.tui.app import PattiApp
from patti.tui.commands import PattiCommandPalette
from patti.tui.screens import AgendaScreen, PluginsScreen
from patti.tui.screens.backups import counts_text
from patti.tui.screens.planner import _gaps_text
from patti.tui.widgets.pact_detail import activity_counts

SIZE = (120, 36)


@pytest.fixture
def registry(store_path: Path) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        build_demo(store)
        yield Registry(store, plugins=PluginHost(entry_point_group=None))


def plain(app: App[Any], selector: str) -> str:
    rendered = app.screen.query_one(selector, Static).render()
    return str(getattr(rendered, "plain", rendered))


# -- activity kinds ----------------------------------------------------------------------


@pytest.mark.parametrize(("language", "expected"), [("it", "Testimonianza"), ("en", "Testimony")])
def test_an_activity_kind_is_named_in_the_ui_language(language: str, expected: str) -> None:
    set_language(language)
    assert activity_kind_label("testimony") == expected


def test_an_unknown_activity_kind_shows_its_slug() -> None:
    set_language("it")
    assert activity_kind_label("laboratorio_x") == "laboratorio_x"


async def test_the_agenda_detail_names_the_kind_in_italian(registry: Registry) -> None:
    set_language("it")
    testimony = next(a for a in registry.list_activities(ActivityQuery()) if a.kind == "testimony")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        if "activities" not in app._modes:
            app.add_mode("activities", lambda: AgendaScreen(app.registry))
        await app.switch_mode("activities")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        described = app.screen.describe(testimony).plain
        assert "Tipologia: Testimonianza" in described or ": Testimonianza" in described
        assert "testimony" not in described


@pytest.mark.parametrize(("language", "word"), [("it", "Testimonianza"), ("en", "Testimony")])
def test_the_report_lists_activity_kinds_by_name(
    registry: Registry, language: str, word: str
) -> None:
    year = next(
        a.starts_at.year for a in registry.list_activities(ActivityQuery()) if a.kind == "testimony"
    )
    context = export_context(registry.store, year, language=language, plugins=registry.plugins)
    table = next(t for t in report_tables(context) if t.key == "activity_kinds")
    kinds = [row[0] for row in table.rows]
    assert word in kinds
    assert not {"testimony", "meeting", "event", "talk"} & set(kinds)
    assert context.report.labels.kind("testimony", language) == word


# -- plural forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("it", "1 svolta, 1 pianificata, 1 annullata", "2 svolte, 2 pianificate, 2 annullate"),
        ("en", "1 done, 1 planned, 1 cancelled", "2 done, 2 planned, 2 cancelled"),
    ],
)
def test_activity_counts_agree_with_their_number(language: str, one: str, two: str) -> None:
    set_language(language)
    assert activity_counts(1, 1, 1) == one
    assert activity_counts(2, 2, 2) == two


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("it", "1 partner, 1 patto, 1 attività", "2 partner, 2 patti, 2 attività"),
        ("en", "1 partner, 1 pact, 1 activity", "2 partners, 2 pacts, 2 activities"),
    ],
)
def test_backup_counts_agree_with_their_number(language: str, one: str, two: str) -> None:
    set_language(language)
    assert counts_text({"partners": 1, "pacts": 1, "activities": 1}) == one
    assert counts_text({"partners": 2, "pacts": 2, "activities": 2}) == two


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("it", "1 richiesta non soddisfatta.", "2 richieste non soddisfatte."),
        ("en", "1 request could not be met.", "2 requests could not be met."),
    ],
)
def test_planner_gaps_agree_with_their_number(language: str, one: str, two: str) -> None:
    set_language(language)
    assert (_gaps_text(1), _gaps_text(2)) == (one, two)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("it", "1 classe in 1 scuola: 1 testimonianza richiesta", "2 classi in 2 scuole"),
        ("en", "1 class in 1 school: 1 testimony requested", "2 classes in 2 schools"),
    ],
)
def test_the_testimonies_plan_summary_agrees_with_its_numbers(
    language: str, one: str, two: str
) -> None:
    from patti.plugins.school_testimonies import _summary

    def stats(n: int) -> dict[str, Any]:
        keys = ("classes", "schools", "visits_requested", "visits_done", "visits_planned")
        numbers = ("associations_used", "associations", "associations_at_max")
        loads = ("load_min", "load_max", "load_spread")
        return {
            **dict.fromkeys(keys + numbers + loads, n),
            "short_gap_classes": [],
            "warnings": [],
        }

    set_language(language)
    assert _summary(stats(1))[0].startswith(one)
    assert _summary(stats(2))[0].startswith(two)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("it", "1 gruppo (1 adolescente): 1 incontro richiesto", "2 gruppi (2 adolescenti)"),
        ("en", "1 group (1 adolescent): 1 session required", "2 groups (2 adolescents)"),
    ],
)
def test_the_youth_plan_summary_agrees_with_its_numbers(language: str, one: str, two: str) -> None:
    from patti.plugins.youth_legality import _summary

    def stats(n: int) -> dict[str, Any]:
        keys = ("groups", "adolescents", "sessions_required", "sessions_done")
        more = ("sessions_proposed", "speaker_load_min", "speaker_load_max")
        return dict.fromkeys((*keys, *more, "speaker_load_spread"), n)

    set_language(language)
    assert _summary(stats(1))[0].startswith(one)
    assert _summary(stats(2))[0].startswith(two)


# -- sizes -------------------------------------------------------------------------------


def test_sizes_are_written_as_the_ui_language_writes_numbers() -> None:
    set_language("it")
    assert format_size(161_792) == "158,0 KB"
    assert format_size(3 * 1_048_576 // 2) == "1,5 MB"
    set_language("en")
    assert format_size(161_792) == "158.0 KB"


# -- Textual's own texts -----------------------------------------------------------------


def textual_source(name: str) -> str:
    import textual.app
    import textual.command
    import textual.widgets._select

    modules = {"app": textual.app, "command": textual.command, "select": textual.widgets._select}
    return inspect.getsource(modules[name])


@pytest.mark.parametrize(
    ("module", "english"),
    [
        ("app", "Open the command palette"),
        ("app", "Search for themes…"),
        ("command", "No matches found"),
        ("select", "Dismiss menu"),
    ],
)
def test_the_english_texts_translated_are_textuals(module: str, english: str) -> None:
    """If Textual renames one of these, this fails and the translation needs a look."""
    assert f'"{english}"' in textual_source(module)


async def test_the_palette_binding_is_described_in_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        binding = next(
            b for _k, b in app._bindings if b.action in {"command_palette", "app.command_palette"}
        )
        assert (binding.description, binding.tooltip) == ("palette", "Apri la palette dei comandi")


async def test_the_palette_key_works_after_a_language_switch(registry: Registry) -> None:
    """Switching language merges the app's keys again: ctrl+p must survive it."""
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.action_language("en")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, PattiCommandPalette)


async def test_the_palette_says_no_matches_in_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, PattiCommandPalette)
        await pilot.press(*"zzqxw")
        await pilot.pause(1.0)
        listed = str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)
        assert "Nessun risultato" in listed
        assert "No matches found" not in listed


async def test_the_theme_picker_asks_in_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_change_theme()
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one("CommandInput").placeholder == "Cerca un tema…"


async def test_an_open_drop_down_is_dismissed_in_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        if "activities" not in app._modes:
            app.add_mode("activities", lambda: AgendaScreen(app.registry))
        await app.switch_mode("activities")
        await pilot.pause()
        select = app.screen.query(Select).first()
        select.focus()
        await pilot.pause()
        select.expanded = True
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        shown = " ".join(str(k.render()) for k in footer.query("FooterKey"))
        assert "Chiudi il menu" in shown
        assert "Dismiss menu" not in shown


# -- the plugins screen ------------------------------------------------------------------


async def test_the_plugins_screen_names_pact_types_and_hooks(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        if "plugins" not in app._modes:
            app.add_mode("plugins", lambda: PluginsScreen(app.registry))
        await app.switch_mode("plugins")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PluginsScreen)
        grid = screen.table.table
        found = [[str(c) for c in grid.get_row_at(r)] for r in range(grid.row_count)]
        row = next(r for r in found if r[0] == "school_testimonies")
        label = registry.plugins.pact_type("school_testimonies").label()  # type: ignore[union-attr]
        assert label in row[4] and "school_testimonies" not in row[4]
        assert "aggiunge tipi di patto" in row[5]
        screen._detail(screen.infos["school_testimonies"])
        detail = plain(app, "#plugin-detail")
        assert "aggiunge tipi di patto  register_pact_types" in detail
        assert f"{label} (school_testimonies)" in detail
