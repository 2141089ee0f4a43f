"""The pact list with its detail pane."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input

from patti.core.i18n import N_, _
from patti.core.model import Pact
from patti.core.services import PactQuery, Registry
from patti.core.text import without_controls

from ..widgets import PactDetail
from .base import PattiScreen


class PactsScreen(PattiScreen):
    """Every pact, searchable, with the selected one in detail."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", N_("Search"), id="pacts.search"),
        Binding("escape", "clear_search", N_("Clear search"), show=False, id="pacts.clear"),
    ]

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self._pacts: dict[str, Pact] = {}

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder=_("Search pacts (code, title, objectives)…"), id="pact-search")
        with Horizontal(id="pacts-body"):
            yield DataTable(id="pact-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="pact-detail-scroll"):
                yield PactDetail(id="pact-detail")

    def on_mount(self) -> None:
        table = self.query_one("#pact-table", DataTable)
        table.add_column(_("Code"), key="code")
        table.add_column(_("Year"), key="year")
        table.add_column(_("Title"), key="title")
        table.add_column(_("Status"), key="status")
        self.load()
        table.focus()

    def refresh_data(self) -> None:
        self.load(self.query_one("#pact-search", Input).value)

    def load(self, text: str = "") -> None:
        """Fill the table from the store; cells are ``Text`` so stored markup stays text."""
        table = self.query_one("#pact-table", DataTable)
        table.clear()
        pacts = self.registry.list_pacts(PactQuery(text=text or None))
        self._pacts = {str(p.id): p for p in pacts}
        for pact in sorted(pacts, key=lambda p: (-p.year, p.code)):
            table.add_row(
                Text(pact.code),
                Text(str(pact.year)),
                Text(pact.title),
                Text(pact.status.label),
                key=str(pact.id),
            )
        if pacts:
            table.move_cursor(row=0)
            self._show_row(0)
        else:
            self.show(None)

    def show(self, pact: Pact | None) -> None:
        self.query_one(PactDetail).show_pact(pact, self.registry)

    def _show_row(self, row: int) -> None:
        table = self.query_one("#pact-table", DataTable)
        if 0 <= row < table.row_count:
            key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
            self.show(self._pacts.get(key or ""))

    @on(DataTable.RowHighlighted, "#pact-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(self._pacts.get(event.row_key.value or ""))

    @on(Input.Changed, "#pact-search")
    def _search(self, event: Input.Changed) -> None:
        typed = without_controls(event.value)
        if typed != event.value:  # pasted escape sequences must not reach the screen
            event.input.value = typed  # raises Changed again, with the clean text
            return
        self.load(typed)

    def action_focus_search(self) -> None:
        self.query_one("#pact-search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#pact-search", Input)
        search.value = ""
        self.query_one("#pact-table", DataTable).focus()
