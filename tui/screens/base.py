"""What every top-level screen shares: header, read-only banner, footer, safe service calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, ParamSpec, TypeVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from patti.core.errors import PattiError
from patti.core.services import Registry
from patti.core.text import clean_text

from ..localise import localise_bindings
from ..widgets import ReadOnlyBanner
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
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def refresh_data(self) -> None:
        """Reload what the screen shows from the store."""

    def on_screen_resume(self) -> None:
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
