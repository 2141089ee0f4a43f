"""The Textual app: thin on purpose; screens and widgets live in their modules."""

from __future__ import annotations

import functools
import gc
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, HelpPanel, KeyPanel, Markdown, Static
from textual.widgets._key_panel import BindingsTable

from patti.core.errors import PattiError
from patti.core.i18n import LANGUAGE_NAMES, N_, _, set_language
from patti.core.plugins import PluginHost
from patti.core.search import PactIndex, PartnerIndex
from patti.core.services import Registry
from patti.core.store import Store
from patti.core.text import clean_text

from .commands import (
    PALETTE_PLACEHOLDER,
    THEME_PLACEHOLDER,
    PattiCommandPalette,
    language_commands,
    localise_active_bindings,
    navigation_commands,
    plugin_commands,
    screen_commands,
    translated,
)
from .localise import localise_bindings
from .screens import NAVIGATION, SCREENS, PattiScreen
from .themes import HIGH_CONTRAST


class TranslatedBindingsTable(BindingsTable):
    """Textual's table of the active keys, drawn after their descriptions are translated:
    Textual's own widgets (Input, DataTable, TextArea, …) describe theirs in English."""

    def render_bindings_table(self) -> Table:
        localise_active_bindings(self.screen)
        return super().render_bindings_table()


class TranslatedKeyPanel(KeyPanel):
    def compose(self) -> ComposeResult:
        yield TranslatedBindingsTable(shrink=True, expand=False)


class TranslatedHelpPanel(HelpPanel):
    """F1's panel: the focused widget's help and the keys, all in the UI's language."""

    def compose(self) -> ComposeResult:
        yield Markdown(id="widget-help")
        yield TranslatedKeyPanel(id="keys-help")


class StoreOpening:
    """A store opened by a worker thread while the app already shows, closed by
    :func:`run_app` whatever finishes first (the operator may quit while it loads)."""

    def __init__(self, path: Path, plugins: PluginHost | None) -> None:
        self.path = path
        self.plugins = plugins
        self.store: Store | None = None
        self.error: PattiError | None = None
        self._lock = threading.Lock()
        self._closed = False

    def open(self, say: Callable[[str], None]) -> tuple[Registry, str | None] | None:
        """The registry and the automatic backup's warning, or ``None`` (see :attr:`error`)."""
        with self._lock:
            if self._closed:
                return None
            try:
                self.store = store = Store.open(self.path)
            except PattiError as exc:
                self.error = exc
                return None
        say(_("Daily backup…"))
        warning = _auto_backup(store)
        if self.plugins is not None:
            self.plugins.startup(store)
        say(_("Preparing the lists…"))
        store.warm_indexes()  # no other thread has the store yet
        PactIndex.of(store).refresh()
        PartnerIndex.of(store).refresh()
        return Registry(store, plugins=self.plugins), warning

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self.store is not None:
                self.store.close()


class OpeningScreen(Screen[None]):
    """What the operator sees while a big store loads (a second or two at province
    scale): painted at once, with nothing animated (repaints lag over RDP)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Content(_("Opening {path}…").format(path=clean_text(str(self._path)))),
            id="opening-status",
        )
        yield Footer()

    def say(self, text: str) -> None:
        self.query_one("#opening-status", Static).update(Content(text))


class PattiApp(App[None]):
    """The operators' workbench on one open store.

    Each top-level screen is a Textual *mode* with its own stack, so an editor
    opened on the pacts screen is still there after a look at the agenda.
    Function keys (and the command palette) move between them.
    """

    CSS_PATH = "patti.tcss"
    TITLE = "patti"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", N_("Quit"), id="quit"),
        Binding("ctrl+q", "quit", N_("Quit"), show=False, id="quit-ctrl"),
        # Priority: F1 works in dialogs too (a modal screen hides the app's other keys).
        Binding("f1", "toggle_help", N_("Help"), priority=True, id="help"),
        *(
            # The navigation bar under the header shows these: the footer keeps the
            # current screen's own actions, which would otherwise be pushed off it.
            Binding(
                target.key,
                f"go('{target.mode}')",
                target.label,
                show=False,
                id=f"go.{target.mode}",
            )
            for target in NAVIGATION
        ),
    ]

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        start: str = "pacts",
        opening: StoreOpening | None = None,
    ) -> None:
        """On ``registry``, or on the store ``opening`` loads behind an opening screen."""
        super().__init__()
        localise_bindings(self)
        self.register_theme(HIGH_CONTRAST)
        self._start = start
        self._failures_reported = 0
        self._opening = opening
        self.registry: Registry = registry  # type: ignore[assignment]  # set once opened
        if registry is not None:
            self._install(registry)
        elif opening is None:
            raise ValueError("PattiApp needs a registry or a store to open")

    def _install(self, registry: Registry) -> None:
        self.registry = registry
        self.sub_title = clean_text(str(registry.store.path))
        # The store froze its records when it loaded them; the search indexes built since
        # (a word → ids list per word at province scale) live as long too. Left in the
        # collector's care, each full collection walked them all: ~100 ms at 100,000
        # records, every second or so of scrolling. Kept out of it, as the records are.
        gc.freeze()
        # What stays in the collector's care is Textual's (widgets, render caches, about
        # 100,000 objects at 100,000 records): with the default thresholds a full
        # collection of them (25-45 ms, a dropped frame) came every few rows scrolled.
        # Young collections every 10,000 allocations instead of 700, full ones 200 times
        # rarer; what cycles the app leaves are few and small.
        gc.set_threshold(10_000, 10, 10)
        for mode in SCREENS:
            self._add_screen_mode(mode)

    def _add_screen_mode(self, mode: str) -> None:
        self.add_mode(mode, functools.partial(self._build_screen, mode))

    def _build_screen(self, mode: str) -> PattiScreen:
        """The screen of ``mode``, marked as styled with the stylesheet as it stands.

        Textual re-parses every CSS source and restyles every widget of every
        mounted screen, twice, on the first switch to a mode whose screen has
        not seen the latest CSS change; a screen built now has not been styled
        at all and gets the current styles when it is mounted, so that work
        (20-60 ms, growing with the screens visited) is skipped. A theme change
        after this still restyles it as Textual does.
        """
        screen = SCREENS[mode](self.registry)
        screen._css_update_count = self._css_update_count  # Textual 8.2: App._init_mode
        return screen

    @property
    def ready(self) -> bool:
        """The store is open and the screens can be built."""
        return self.registry is not None

    def on_mount(self) -> None:
        if self._opening is not None and not self.ready:
            self.sub_title = clean_text(str(self._opening.path))
            screen = OpeningScreen(self._opening.path)
            self.push_screen(screen)
            self._open_store(self._opening, screen)
            return
        self._show()

    def _show(self) -> None:
        self.switch_mode(self._start if self._start in SCREENS else "pacts")
        self.report_plugin_failures()

    @work(thread=True, exclusive=True, group="opening")
    def _open_store(self, opening: StoreOpening, screen: OpeningScreen) -> None:
        def say(text: str) -> None:
            if self.is_running:
                self.call_from_thread(screen.say, text)

        opened = opening.open(say)
        if not self.is_running:
            return
        if opened is None:  # the store cannot be opened: run_app raises the reason
            self.call_from_thread(self.exit, None, 2)
            return
        self.call_from_thread(self._opened, *opened)

    def _opened(self, registry: Registry, warning: str | None) -> None:
        self._install(registry)
        self._show()
        if warning:
            self.notify(warning, severity="warning", timeout=30, markup=False)

    def call_after_restore(self) -> None:
        """A restore replaced the whole store: every mounted screen reloads from it (the
        others load when first shown)."""
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, PattiScreen) and screen.is_mounted:
                    screen.refresh_data()

    async def action_language(self, language: str) -> None:
        """Switch every text of the UI to ``language`` now, keeping the screen in view.

        Labels are translated when a screen is built, so each screen is built
        again (its data comes from the store, so nothing typed-and-saved is lost;
        an editor open on top is closed, as a language change is a fresh start).
        """
        if set_language(language) != language or not self.is_running:
            return
        # Textual adds the command palette's key (ctrl+p) to the merged bindings once, when
        # the app is built: merged again, they would lose it, and ctrl+p with them.
        palette = [b for _key, b in self._bindings if b.action == "command_palette"]
        self._bindings = self._merge_bindings()
        for binding in palette:
            self._bindings._add_binding(binding)
        localise_bindings(self)
        current = self.current_mode
        stand_in = "dashboard" if current != "dashboard" else "pacts"
        for mode in SCREENS:
            if mode != current:
                await self.remove_mode(mode)
                self._add_screen_mode(mode)
        await self.switch_mode(stand_in)
        await self.remove_mode(current)
        self._add_screen_mode(current)
        await self.switch_mode(current)
        self.notify(_("Language: {name}").format(name=LANGUAGE_NAMES[language]))

    def action_go(self, mode: str) -> None:
        if mode in SCREENS and mode != self.current_mode:
            self.switch_mode(mode)

    def action_toggle_help(self) -> None:
        """F1: the keys of the current screen, and help for the focused widget."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_show_help_panel(self) -> None:
        """Textual's help panel, with every key described in the operator's language."""
        if not self.screen.query("HelpPanel"):
            self.screen.mount(TranslatedHelpPanel())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go":
            return self.ready and parameters[0] in SCREENS  # no screen before the store
        if action == "language":
            return self.ready
        return True

    def report_plugin_failures(self) -> None:
        """One notification per plugin disabled since the last report: the app goes on."""
        if not self.ready:
            return
        host = self.registry.plugins
        if host is None:
            return
        try:
            host.plugins()  # load and run the registrations, where most failures show up
        except PattiError as exc:  # two plugins claim one name: say so, keep the app
            self.notify(clean_text(str(exc)), severity="error", timeout=30, markup=False)
        for failure in host.failures[self._failures_reported :]:
            self.notify(
                clean_text(
                    _("The plugin {name} was disabled ({stage}): {error}").format(
                        name=failure.name, stage=failure.stage, error=failure.error
                    )
                ),
                title=_("Plugin disabled"),
                severity="error",
                timeout=30,
                markup=False,
            )
        self._failures_reported = len(host.failures)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if not self.ready:
            yield from translated(super().get_system_commands(screen))
            return
        yield from screen_commands(self, screen)
        yield from navigation_commands(self)
        yield from language_commands(self)
        yield from translated(super().get_system_commands(screen))
        yield from plugin_commands(self, self.registry.plugins)

    def action_command_palette(self) -> None:
        open_already = any(isinstance(s, CommandPalette) for s in self.screen_stack)
        if self.use_command_palette and not open_already:
            self.push_screen(
                PattiCommandPalette(placeholder=_(PALETTE_PLACEHOLDER), id="--command-palette")
            )

    def search_themes(self) -> None:
        """Textual's theme picker, with its placeholder in the operator's language."""
        from textual.theme import ThemeProvider

        self.push_screen(
            PattiCommandPalette(providers=[ThemeProvider], placeholder=_(THEME_PLACEHOLDER))
        )

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Translate the keys of a Textual widget as it takes focus, so the footer shows
        them in the operator's language (a Select's open list: "esc Dismiss menu")."""
        localise_active_bindings(event.widget.screen)
        event.widget.screen.refresh_bindings()


#: A store file this big takes a noticeable time to load (about 0.1 s per 10 MB): the UI
#: paints first and opens it behind an opening screen.
OPEN_BEHIND_SCREEN_BYTES = 8 << 20


def run_app(path: Path, plugins: PluginHost | None = None) -> None:
    """Open the store at ``path`` (read-only if another instance holds it) and run the UI.

    A small store is opened first, so a damaged one is refused before the
    terminal is taken over; a big one is opened by a worker while the app
    already shows, and a failure to open it ends the app with the same error.
    """
    try:
        big = os.path.getsize(path) >= OPEN_BEHIND_SCREEN_BYTES
    except OSError:
        big = False
    if big:
        opening = StoreOpening(path, plugins)
        try:
            PattiApp(start="dashboard", opening=opening).run()
        finally:
            opening.close()
        if opening.error is not None:
            raise opening.error
        return
    store = Store.open(path)
    try:
        warning = _auto_backup(store)
        if plugins is not None:
            plugins.startup(store)
        app = PattiApp(Registry(store, plugins=plugins), start="dashboard")
        if warning:
            app.call_later(app.notify, warning, severity="warning", timeout=30, markup=False)
        app.run()
    finally:
        store.close()


def _auto_backup(store: Store) -> str | None:
    """The day's automatic backup; a failure becomes a warning, never a refusal to open."""
    from patti.core.backup import auto_backup

    try:
        auto_backup(store)
    except PattiError as exc:
        return clean_text(_("No automatic backup today: {reason}").format(reason=exc))
    return None
