"""Plugins in the operator UI: their palette entries, and their failures as notifications.

The real app on a real store, driven by Pilot; plugins are real modules
registered with a real :class:`PluginHost`.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from textual.app import App
from textual.command import CommandInput, CommandPalette

from patti.core import PactType, hookimpl
from patti.core.i18n import set_language
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp

SIZE = (120, 36)


def host_with(*plugins: tuple[str, object]) -> PluginHost:
    host = PluginHost(entry_point_group=None)
    for name, plugin in plugins:
        host.register(plugin, name)
    return host


def notifications(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


class Bell:
    """A plugin whose palette entry records on the app that it ran."""

    @hookimpl
    def register_palette_commands(self, register: Any) -> None:
        register("Suona [b]la[/b] campanella", "Un comando da un plugin", self.ring)

    def ring(self, app: App[Any]) -> None:
        app.rang = True  # type: ignore[attr-defined]


class Broken:
    """A plugin whose palette entry raises."""

    @hookimpl
    def register_palette_commands(self, register: Any) -> None:
        register("Rompi", "Fallisce", self.fail)

    def fail(self, app: App[Any]) -> None:
        raise RuntimeError("boom")


async def choose(app: PattiApp, pilot: Any, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert CommandPalette.is_open(app)
    await pilot.press(*text)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def test_hook_register_palette_commands(store: Store) -> None:
    app = PattiApp(Registry(store, plugins=host_with(("bell", Bell()))))
    async with app.run_test(size=SIZE) as pilot:
        await choose(app, pilot, "campanella")
        assert getattr(app, "rang", False)
    assert not notifications(app)


async def test_the_palette_speaks_italian(store: Store) -> None:
    set_language("it")
    app = PattiApp(Registry(store, plugins=host_with()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert palette.query_one(CommandInput).placeholder == "Cerca un comando…"
        titles = [c.title for c in app.get_system_commands(app.screen_stack[-2])]
        assert {"Tema", "Esci", "Tasti", "Schermata"} <= set(titles)


async def test_a_raising_palette_command_is_a_notification_and_disables_its_plugin(
    store_path: Path,
) -> None:
    store = Store.open(store_path)
    before = store_path.read_bytes() if store_path.exists() else b""
    host = host_with(("broken", Broken()), ("bell", Bell()))
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        await choose(app, pilot, "Rompi")
        assert app.is_running
        (message,) = notifications(app)
        assert message.startswith("The plugin broken failed (palette)")
        assert "RuntimeError: boom" in message
        assert [c.title for c in host.palette_commands()] == ["Suona [b]la[/b] campanella"]
    store.close()
    assert (store_path.read_bytes() if store_path.exists() else b"") == before


async def test_a_plugin_that_failed_to_import_is_notified_at_start(store: Store) -> None:
    host = PluginHost(
        builtins=("patti.plugins.community_ties", "patti.plugins.no_such_plugin"),
        entry_point_group=None,
    )
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        (message,) = notifications(app)
        assert message.startswith("The plugin no_such_plugin was disabled (import)")
        assert "ModuleNotFoundError" in message
        assert "community_ties" in host.pact_types()


async def test_a_plugin_raising_in_registration_is_notified_and_the_rest_work(
    store: Store,
) -> None:
    module = types.ModuleType("exploding")

    @hookimpl
    def register_pact_types(register: Any) -> None:
        raise ValueError("no types today")

    module.register_pact_types = register_pact_types  # type: ignore[attr-defined]
    host = host_with(("exploding", module))
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        (message,) = notifications(app)
        assert "exploding" in message and "ValueError: no types today" in message
        assert set(host.pact_types()) >= {"community_ties", "school_testimonies"}


class TiesAgain:
    """Registers a second pact type under the built-in community_ties' name."""

    class Ties(PactType):
        name = "community_ties"
        label_it = label_en = "Ties again"

    @hookimpl
    def register_pact_types(self, register: Any) -> None:
        register(self.Ties)


async def test_two_plugins_claiming_one_pact_type_name_is_a_notification(store: Store) -> None:
    app = PattiApp(Registry(store, plugins=host_with(("ties_again", TiesAgain()))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.is_running
        (message,) = notifications(app)
        assert message == (
            "Pact type 'community_ties' is registered by both ties_again and community_ties."
        )
