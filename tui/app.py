"""The Textual app: thin on purpose; screens and widgets live in their modules."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from patti.core.i18n import N_
from patti.core.services import Registry
from patti.core.store import Store
from patti.core.text import clean_text

from .localise import localise_bindings
from .screens import PactsScreen


class PattiApp(App[None]):
    """The operators' workbench on one open store."""

    CSS_PATH = "patti.tcss"
    TITLE = "patti"
    ENABLE_COMMAND_PALETTE = False  # comes back translated with the full operator UI
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", N_("Quit"), id="quit"),
        Binding("ctrl+q", "quit", N_("Quit"), show=False, id="quit-ctrl"),
    ]

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        localise_bindings(self)
        self.registry = registry
        self.sub_title = clean_text(str(registry.store.path))

    def on_mount(self) -> None:
        self.push_screen(PactsScreen(self.registry))


def run_app(path: Path) -> None:
    """Open the store at ``path`` (read-only if another instance holds it) and run the UI."""
    store = Store.open(path)
    try:
        PattiApp(Registry(store)).run()
    finally:
        store.close()
