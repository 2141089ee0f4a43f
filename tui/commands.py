"""The command palette: Textual's own commands in the operator's language, plus plugins'.

Textual's system commands are English literals; their texts are listed here
with ``N_`` so the catalog carries them, and translated when the palette
opens. Entries from ``register_palette_commands`` run through the plugin
host, so one that raises disables its plugin and becomes a notification.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand

from patti.core.errors import PattiError
from patti.core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, current_language
from patti.core.plugins import PaletteCommand, PluginHost
from patti.core.text import clean_text

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

#: Textual 8's system command texts, so that the catalog has them.
TEXTUAL_TEXTS = (
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Screenshot"),
    N_("Save an SVG 'screenshot' of the current screen"),
)

PALETTE_PLACEHOLDER = N_("Search for commands…")


def translated(commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's commands with their title and help in the active language."""
    for command in commands:
        yield command._replace(title=_(command.title), help=_(command.help))


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The current screen's own actions (those in its footer and help), so the palette
    reaches every action the keys do; disabled ones (read-only) are left out."""
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if (
            not active.enabled
            or not binding.description
            or active.node is app
            or binding.action in seen
        ):
            continue
        seen.add(binding.action)
        yield SystemCommand(
            binding.description,
            _("Key: {key}").format(key=app.get_key_display(binding)),
            functools.partial(app.run_action, binding.action, active.node),
        )


def language_commands(app: App[Any]) -> Iterable[SystemCommand]:
    """Switch the language of the whole UI without restarting."""
    for code in LANGUAGES:
        if code != current_language():
            yield SystemCommand(
                _("Language: {name}").format(name=LANGUAGE_NAMES[code]),
                _("Show patti in {name}").format(name=LANGUAGE_NAMES[code]),
                functools.partial(app.run_action, f"language('{code}')"),
            )


def navigation_commands(app: App[Any]) -> Iterable[SystemCommand]:
    """ "Go to …" for every screen, so the palette reaches everything the keys do."""
    from .screens import NAVIGATION, SCREENS

    for target in NAVIGATION:
        if target.mode in SCREENS:
            yield SystemCommand(
                _("Go to: {screen}").format(screen=_(target.label)),
                _("Open the {screen} screen ({key})").format(
                    screen=_(target.label), key=target.key.upper()
                ),
                lambda mode=target.mode: app.run_action(f"go('{mode}')"),
            )


def plugin_commands(app: App[Any], host: PluginHost | None) -> Iterable[SystemCommand]:
    """One palette entry per plugin command; plugin text is data, so it is cleaned."""
    if host is None:
        return
    for entry in host.palette_commands():
        yield SystemCommand(
            clean_text(entry.title), clean_text(entry.help), _runner(app, host, entry)
        )


def _runner(app: App[Any], host: PluginHost, entry: PaletteCommand) -> Callable[[], None]:
    def run() -> None:
        try:
            host.run_plugin(entry.plugin, "palette", entry.callback, app)
        except PattiError as exc:
            app.notify(clean_text(str(exc)), severity="error", markup=False)

    return run
