"""What every top-level screen shares: header, read-only banner, footer, safe service calls."""

from __future__ import annotations

import gc
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, ParamSpec, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.events import ScreenResume
from textual.screen import Screen
from textual.widgets import Header, ProgressBar
from textual.worker import Worker, WorkerState

from patti.core.errors import PattiError
from patti.core.i18n import _
from patti.core.search import RecordIndex
from patti.core.services import Registry
from patti.core.text import clean_text

from ..localise import localise_bindings
from ..widgets import ReadOnlyBanner
from ..widgets.footer import PattiFooter
from ..widgets.navigation import NavigationBar

P = ParamSpec("P")
T = TypeVar("T")


class PattiScreen(Screen[None]):
    """A screen of the workbench, on the app's registry.

    Subclasses implement :meth:`compose_body` and :meth:`refresh_data` (called
    when the screen is shown again, so it reflects changes made elsewhere).
    Actions named in ``EDIT_ACTIONS`` are disabled (shown dimmed, not failing)
    when the store is read-only.
    """

    EDIT_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        localise_bindings(self)
        self.registry = registry
        self._styled_for: Hashable = None  # see _resumed

    @property
    def readonly(self) -> bool:
        return self.registry.store.readonly

    #: The mode this screen is, for the navigation bar (``None``: a screen pushed on top).
    MODE: ClassVar[str | None] = None

    def compose(self) -> ComposeResult:
        yield Header()
        if self.MODE is not None:
            yield NavigationBar(self.MODE)
        reason = self.registry.store.readonly_reason()
        if reason:
            yield ReadOnlyBanner(reason)
        yield from self.compose_body()
        yield PattiFooter()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def refresh_data(self) -> None:
        """Reload what the screen shows from the store."""

    def on_mount(self) -> None:
        self._styled_for = self._style_inputs()

    def _style_inputs(self) -> Hashable:
        """What the styles of a suspended screen may have to follow: the CSS (a reload,
        a theme: Textual counts those changes), the app's classes and its focus."""
        app = self.app
        return (app._css_update_count, frozenset(app.classes), app.app_focus)

    @on(ScreenResume)
    def _resumed(self, event: ScreenResume) -> None:
        """Reload the data; and skip the restyle of every widget that Textual does next,
        when nothing its styles follow has changed since they were applied.

        Textual restyles the whole screen each time it is shown, twice on the first
        visit (once per ScreenResume that a new mode posts), right after every widget
        got its styles when mounted: ~10 ms each, and the tables drop their rendered
        rows with their styles. This handler runs before Screen's own.
        """
        inputs = self._style_inputs()
        if inputs == self._styled_for:
            event.refresh_styles = False
        self._styled_for = inputs
        if self.is_mounted:
            self.refresh_data()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.EDIT_ACTIONS and self.readonly:
            return None  # shown, dimmed: the banner says why
        return True

    def attempt(self, service: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """Call a service; a refusal becomes an error notification and ``None``.

        Services validate before writing, so a refused call saved nothing.
        """
        try:
            return service(*args, **kwargs)
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
            return None


class IndexedScreen(PattiScreen):
    """A list screen fed by a search index of the store: a big (re)build (the first
    at province scale, or after a restore) runs in a worker with a progress bar,
    while the list waits; a small one runs at once.

    Subclasses set :attr:`index`, :attr:`PROGRESS` (the bar's selector) and
    :attr:`INDEX_GROUP`, and say in :meth:`index_ready` how to show the list.
    """

    #: Up to this many records are (re)indexed at once (~30 ms); more go to a worker.
    SYNC_LIMIT: ClassVar[int] = 2_000
    PROGRESS: ClassVar[str]
    INDEX_GROUP: ClassVar[str]

    index: RecordIndex[Any]

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self._indexing = False  # a worker is building the index: the list waits for it

    def index_in_background(self) -> bool:
        """Start a worker when the index has too much to catch up on for one keystroke;
        ``True`` while one runs (the caller shows the list when it is ready)."""
        if self._indexing:
            return True
        if self.index.pending() <= self.SYNC_LIMIT:
            return False
        self._indexing = True
        bar = self.query_one(self.PROGRESS, ProgressBar)
        bar.update(total=max(self.index.pending(), 1), progress=0)
        bar.add_class("-indexing")
        self.run_worker(
            lambda: self._build(bar),
            thread=True,
            exclusive=True,
            group=self.INDEX_GROUP,
            exit_on_error=False,
        )
        return True

    def _build(self, bar: ProgressBar) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

        self.index.refresh(progress)
        self.app.call_from_thread(self._built)

    def _built(self) -> None:
        gc.freeze()  # a big index lives as long as the store: out of full collections
        self.query_one(self.PROGRESS, ProgressBar).remove_class("-indexing")
        self._indexing = False
        self.index_ready()

    def index_ready(self) -> None:
        """The worker has built the index: show the list (with what was asked meanwhile)."""
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed build says why once, and leaves the list as it was (no retry loop)."""
        if not self.is_mounted:
            return  # the screen went away meanwhile: nothing to show the error on
        if event.worker.group == self.INDEX_GROUP and event.state is WorkerState.ERROR:
            self.query_one(self.PROGRESS, ProgressBar).remove_class("-indexing")
            self._indexing = False
            error = clean_text(str(event.worker.error))
            self.notify(error, title=_("Search failed"), severity="error", markup=False)
