"""The plugins screen: what is loaded, from which distribution, and what failed.

Real plugin hosts with real (test) plugin objects registered, as in
``test_tui_plugins.py``; the app is driven by Pilot.
"""

from __future__ import annotations

import types
from typing import Any

from test_tui import MARKUP_PAYLOADS, screen_text, xfail_untranslated
from test_tui_plugins import host_with
from textual.content import Content
from textual.widgets import Static

from patti.core import hookimpl
from patti.core.i18n import _, set_language
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.screens.plugins import PluginsScreen

SIZE = (120, 36)
#: An OSC "set window title": must never reach the terminal from a plugin's error.
TITLE_SEQUENCE = "\x1b]2;pwned\x1b\\"


async def open_plugins(app: PattiApp, pilot: Any) -> PluginsScreen:
    if "plugins" not in app._modes:  # wired by the lead later
        app.add_mode("plugins", lambda: PluginsScreen(app.registry))
    await app.switch_mode("plugins")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PluginsScreen)
    return screen


def rows(screen: PluginsScreen) -> dict[str, list[str]]:
    grid = screen.table.table
    found = [[str(c) for c in grid.get_row_at(r)] for r in range(grid.row_count)]
    return {row[0]: row for row in found}


def text(screen: PluginsScreen, selector: str) -> str:
    rendered = screen.query_one(selector, Static).render()
    assert isinstance(rendered, Content)
    return rendered.plain


def exploding(message: str) -> types.ModuleType:
    """A plugin module whose pact-type registration raises ``ValueError(message)``."""
    module = types.ModuleType("exploding")

    @hookimpl
    def register_pact_types(register: Any) -> None:
        raise ValueError(message)

    module.register_pact_types = register_pact_types  # type: ignore[attr-defined]
    return module


class Bell:
    """A third-party plugin adding a palette command."""

    @hookimpl
    def register_palette_commands(self, register: Any) -> None:
        register("Ring", "Rings", lambda app: None)


class FailsAtStartup:
    @hookimpl
    def startup(self, store: Any) -> None:
        raise RuntimeError("no start today")


async def test_built_in_plugins_are_listed_with_what_they_add(store: Store) -> None:
    app = PattiApp(Registry(store, plugins=PluginHost(entry_point_group=None)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        listed = rows(screen)
        assert {"community_ties", "school_testimonies", "youth_legality", "crema"} <= set(listed)
        _name, distribution, _version, builtin, adds, hooks = listed["school_testimonies"]
        assert (distribution, builtin) == ("patti", "yes")
        assert adds == "pact types: Itinerant testimonies of volunteering and active citizenship"
        assert "adds pact types" in hooks
        assert "No plugin failed." in text(screen, "#plugin-failures")


async def test_a_third_party_plugin_shows_its_distribution_and_version(store: Store) -> None:
    plugins = PluginHost(builtins=(), entry_point_group=None)
    plugins.register(Bell(), "bell", distribution="patti-bell", version="1.2.3")
    app = PattiApp(Registry(store, plugins=plugins))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        assert rows(screen)["bell"] == [
            "bell",
            "patti-bell",
            "1.2.3",
            "no",
            "palette commands: Ring",
            "adds command palette entries",
        ]
        detail = text(screen, "#plugin-detail")
        assert "patti-bell 1.2.3 (installed)" in detail
        assert "adds command palette entries  register_palette_commands" in detail


async def test_a_failed_plugin_is_listed_with_its_stage_and_error(store: Store) -> None:
    host = host_with(("exploding", exploding("no types today")))
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        assert "exploding" not in rows(screen)  # disabled, so not loaded
        failures = text(screen, "#plugin-failures")
        assert "Failed plugins (disabled): 1" in failures
        assert "• exploding (register_pact_types): ValueError: no types today" in failures
        assert "failed: 1." in text(screen, "#plugins-head")
        assert "ValueError: no types today" in screen_text(app)


async def test_a_plugin_that_failed_to_import_is_listed(store: Store) -> None:
    host = PluginHost(
        builtins=("patti.plugins.community_ties", "patti.plugins.no_such_plugin"),
        entry_point_group=None,
    )
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        assert set(rows(screen)) == {"community_ties"}
        assert "no_such_plugin (import): ModuleNotFoundError" in text(screen, "#plugin-failures")


async def test_a_plugins_error_text_is_shown_literally(store: Store) -> None:
    payload = f"{MARKUP_PAYLOADS[0]} {MARKUP_PAYLOADS[2]} {TITLE_SEQUENCE}"
    host = host_with(("exploding", exploding(payload)))
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        failures = text(screen, "#plugin-failures")
        assert f"{MARKUP_PAYLOADS[0]} {MARKUP_PAYLOADS[2]} ]2;pwned" in failures
        assert "\x1b" not in failures
        assert "\x1b" not in screen_text(app)
        assert app.is_running


async def test_a_plugin_disabled_later_shows_when_the_screen_is_shown_again(
    store: Store,
) -> None:
    host = host_with(("late", FailsAtStartup()))
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        assert "late" in rows(screen)
        await app.switch_mode("pacts")
        host.startup(store)
        await app.switch_mode("plugins")
        await pilot.pause()
        assert "late" not in rows(screen)
        assert "late (startup): RuntimeError: no start today" in text(screen, "#plugin-failures")


async def test_no_plugins_says_they_are_off(store: Store) -> None:
    app = PattiApp(Registry(store, plugins=None))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        assert rows(screen) == {}
        assert "Plugins are turned off (--no-plugins)." in screen_text(app)


async def test_italian_column_headers(store: Store) -> None:
    english = ["Name", "Distribution", "Version", "Built-in", "Adds", "Hooks"]
    set_language("it")
    italian = [_(label) for label in english]
    xfail_untranslated(english, italian)
    app = PattiApp(Registry(store, plugins=PluginHost(entry_point_group=None)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plugins(app, pilot)
        assert [str(c.label) for c in screen.table.table.columns.values()] == italian
