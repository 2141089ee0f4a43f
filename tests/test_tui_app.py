"""The app as a whole: navigation, the palette reaching every action, language, themes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.command import CommandPalette

from patti.core.demo import build_demo
from patti.core.i18n import current_language, set_language
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.screens import (
    AgendaScreen,
    DashboardScreen,
    PactsScreen,
    PartnersScreen,
)

SIZE = (120, 36)


def demo(path: Path) -> Registry:
    store = Store.open(path)
    build_demo(store)
    return Registry(store, plugins=PluginHost(entry_point_group=None))


def titles(app: App[Any]) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


async def test_function_keys_reach_every_screen(store_path: Path) -> None:
    app = PattiApp(demo(store_path), start="dashboard")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        for key, screen in (("f3", PactsScreen), ("f4", PartnersScreen), ("f5", AgendaScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen), key
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
    app.registry.store.close()


async def test_the_palette_lists_the_screens_actions_and_runs_them(store_path: Path) -> None:
    app = PattiApp(demo(store_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#pact-table").focus()
        await pilot.pause()
        listed = titles(app)
        assert {"New", "Edit", "Status", "Continue", "Plan"} <= set(listed)
        assert "Go to: Partners" in listed and "Language: Italiano" in listed
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Go to: Partners")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PartnersScreen)
    app.registry.store.close()


async def test_read_only_leaves_editing_actions_out_of_the_palette(store_path: Path) -> None:
    demo(store_path).store.close()
    with Store.open(store_path) as holder:
        assert not holder.readonly
        app = PattiApp(Registry(Store.open(store_path)))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.screen.query_one("#pact-table").focus()
            await pilot.pause()
            listed = set(titles(app))
            assert "New" not in listed and "Edit" not in listed
            assert "Go to: Partners" in listed
        app.registry.store.close()


async def test_switching_language_rebuilds_every_label(store_path: Path) -> None:
    app = PattiApp(demo(store_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Language: Italiano" in titles(app)
        await app.run_action("language('it')")
        await pilot.pause()
        assert current_language() == "it"
        assert isinstance(app.screen, PactsScreen)
        headers = [str(c.label) for c in app.screen.query_one("#pact-table").columns.values()]
        assert headers[:2] == ["Codice", "Anno"]
        assert "Vai a: Partner" in titles(app)
        assert app.get_key_display(app._bindings.key_to_bindings["q"][0]) == "q"
        assert app._bindings.key_to_bindings["q"][0].description == "Esci"
        await pilot.press("f4")
        await pilot.pause()
        assert "Cerca partner" in str(app.screen.query_one("Input").placeholder)
        await app.run_action("language('en')")
        await pilot.pause()
        assert isinstance(app.screen, PartnersScreen)
        assert "Search partners" in str(app.screen.query_one("Input").placeholder)
    set_language("en")
    app.registry.store.close()


async def test_the_high_contrast_theme_is_available(store: Store) -> None:
    app = PattiApp(Registry(store))
    async with app.run_test(size=SIZE) as pilot:
        assert "patti-high-contrast" in app.available_themes
        app.theme = "patti-high-contrast"
        await pilot.pause()
        assert app.current_theme.background == "#000000"


async def test_reveal_puts_the_cursor_on_a_pact_hidden_by_the_search(store_path: Path) -> None:
    registry = demo(store_path)
    target = registry.pact("PdC-2020-02")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"caffe")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PactsScreen)
        assert target.id not in screen.table.keys
        screen.reveal(target.id or 0)
        await pilot.pause()
        assert screen.table.current() == target.id
    app.registry.store.close()
