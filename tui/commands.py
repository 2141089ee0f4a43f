"""The command palette: Textual's own commands in the operator's language, plus plugins'.

Textual's system commands and its widgets' key descriptions are English
literals; their texts are listed here with ``N_`` so the catalog carries
them, and translated when the palette (or F1's key panel) opens. Entries
from ``register_palette_commands`` run through the plugin host, so one that
raises disables its plugin and becomes a notification.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from patti.core.errors import PattiError
from patti.core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, current_language
from patti.core.plugins import PaletteCommand, PluginHost
from patti.core.text import clean_text

from .localise import localise_bindings

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
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
THEME_PLACEHOLDER = N_("Search for themes…")
NO_MATCHES = N_("No matches found")

#: The descriptions of the bindings of Textual 8's own widgets (Input, TextArea,
#: DataTable, OptionList, Select, Tree, the screen's Tab and Shift+Tab, …) and their
#: group titles, so that the catalog has them: F1's key panel and the palette list
#: them for the focused widget. "Quit", "End", "Next page" and "Previous page" are
#: patti's own texts too.
TEXTUAL_BINDING_TEXTS = (
    N_("Bottom"),
    N_("Collapsible"),
    N_("Copy"),
    N_("Copy selected text"),
    N_("Cursor Down"),
    N_("Cursor Up"),
    N_("Cursor down"),
    N_("Cursor down select"),
    N_("Cursor left"),
    N_("Cursor left select"),
    N_("Cursor left word select"),
    N_("Cursor line end"),
    N_("Cursor line end select"),
    N_("Cursor line start"),
    N_("Cursor line start select"),
    N_("Cursor page down"),
    N_("Cursor page up"),
    N_("Cursor right"),
    N_("Cursor right select"),
    N_("Cursor right word select"),
    N_("Cursor to next ancestor"),
    N_("Cursor to next sibling"),
    N_("Cursor to parent"),
    N_("Cursor to previous sibling"),
    N_("Cursor up"),
    N_("Cursor up select"),
    N_("Cursor word left"),
    N_("Cursor word right"),
    N_("Cut"),
    N_("Cut selected text"),
    N_("Delete all to the left"),
    N_("Delete all to the right"),
    N_("Delete character left"),
    N_("Delete character right"),
    N_("Delete left to start of word"),
    N_("Delete line"),
    N_("Delete right to start of word"),
    N_("Delete to line end"),
    N_("Delete to line start"),
    N_("Dismiss menu"),
    N_("Down"),
    N_("Exit the command palette"),
    N_("Expand or collapse all"),
    N_("First"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Go to bottom"),
    N_("Go to end"),
    N_("Go to start"),
    N_("Go to top"),
    N_("Home"),
    N_("Input"),
    N_("Last"),
    N_("Move cursor left"),
    N_("Move cursor left a word"),
    N_("Move cursor left a word and select"),
    N_("Move cursor left and select"),
    N_("Move cursor right a word"),
    N_("Move cursor right a word and select"),
    N_("Move cursor right and select"),
    N_("Move cursor right or accept the completion suggestion"),
    N_("Next command"),
    N_("Next option"),
    N_("Next tab"),
    N_("Open link"),
    N_("Open the command palette"),
    N_("Page Down"),
    N_("Page Left"),
    N_("Page Right"),
    N_("Page Up"),
    N_("Page down"),
    N_("Page up"),
    N_("palette"),
    N_("Paste"),
    N_("Paste text from the clipboard"),
    N_("Press button"),
    N_("Previous command"),
    N_("Previous option"),
    N_("Previous tab"),
    N_("Quit the app and return to the command prompt."),
    N_("Redo"),
    N_("Scroll Down"),
    N_("Scroll End"),
    N_("Scroll Home"),
    N_("Scroll Left"),
    N_("Scroll Right"),
    N_("Scroll Up"),
    N_("Select"),
    N_("Select all"),
    N_("Select line"),
    N_("Select line end"),
    N_("Select line start"),
    N_("Show menu"),
    N_("Submit"),
    N_("Toggle"),
    N_("Toggle collapsible"),
    N_("Toggle option"),
    N_("Top"),
    N_("Undo"),
    N_("Up"),
)


class PattiCommandPalette(CommandPalette):
    """Textual's command palette, saying "no matches" in the operator's language.

    Textual builds that line from an English literal inside
    ``_start_no_matches_countdown``; this is the same method (Textual 8.2.8) with the
    text translated.
    """

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(_(NO_MATCHES), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:  # discovery mode: nothing typed, so nothing failed to match
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


def translated(commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's commands with their title and help in the active language."""
    for command in commands:
        yield command._replace(title=_(command.title), help=_(command.help))


_LOCALISED: weakref.WeakKeyDictionary[DOMNode, str] = weakref.WeakKeyDictionary()
"""The language each node's bindings were last translated into."""


def localise_active_bindings(screen: Screen[Any]) -> None:
    """Translate the bindings the screen has active (the focused widget's, its
    ancestors', the app's), once per node and language.

    Textual's widgets describe their keys in English and are built by Textual, not
    by patti, so their descriptions are translated here, when F1's key panel or the
    palette is about to list them (see :data:`TEXTUAL_BINDING_TEXTS`).
    """
    focused = screen.focused
    nodes = list(focused.ancestors_with_self) if focused is not None else [screen, screen.app]
    language = current_language()
    for node in nodes:
        if _LOCALISED.get(node) == language:
            continue
        localise_bindings(node)
        title = type(node).BINDING_GROUP_TITLE
        if title:  # "Input", "Collapsible": the key panel's heading of that widget's keys
            setattr(node, "BINDING_GROUP_TITLE", _(title))  # noqa: B010 (a ClassVar, per node)
        _LOCALISED[node] = language


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The current screen's own actions (those in its footer and help), so the palette
    reaches every action the keys do; disabled ones (read-only) are left out."""
    localise_active_bindings(screen)
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
