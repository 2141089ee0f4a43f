"""The pact list with its filters, sorting and detail pane; the way into the editor.

The list is a :class:`PagedTable` fed by the store's shared
:class:`~patti.core.search.PactIndex`: one entry per stored pact holding
what the list filters, sorts and shows, and its text folded for search. Rows
are drawn from the entries; only the highlighted pact is validated into a
model, for the detail pane. Building the entries costs about 15 ms per 1,000
pacts, so a large store is indexed in a worker with a progress bar;
afterwards the index follows the store's change feed, and a keystroke in the
search costs a few milliseconds at 10,000 pacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, ProgressBar, Select, Static

from patti.core.errors import NotFoundError, PattiError
from patti.core.i18n import N_, _, ngettext
from patti.core.model import Pact, PactStatus
from patti.core.search import PactEntry, PactIndex
from patti.core.services import PactQuery, Registry
from patti.core.text import clean_text, without_controls

from ..dialogs.confirm import ConfirmDialog
from ..dialogs.pact_editor import PactEditor, TemplatePicker
from ..dialogs.status import ORDER, StatusDialog
from ..widgets.pact_detail import PactDetail, pact_types, reference_data
from ..widgets.paged_table import Column, PagedTable, PageTable, cell
from .base import IndexedScreen
from .planner import open_planner

#: Sort keys the ``o`` key cycles through, with their (untranslated) names.
SORTS: tuple[tuple[str, str], ...] = (
    ("year", N_("year")),
    ("code", N_("code")),
    ("title", N_("title")),
    ("status", N_("status")),
)

#: Codes longer than this are cut with an ellipsis (a code may have up to 40 characters).
CODE_WIDTH = 25
#: Narrowest the title column gets, whatever the width of the terminal.
MIN_TITLE_WIDTH = 12
#: Rows drawn at once: a new search's page is measured and drawn in ~10 ms (the arrow keys
#: go on to the next page at its ends).
LIST_PAGE = 100


class PactTable(PagedTable[int]):
    """The paged list of pacts; its DataTable keeps the id ``pact-table``."""

    def compose(self) -> ComposeResult:
        yield PageTable(id="pact-table", cursor_type="row", zebra_stripes=True)
        yield Static(classes="paged-status")


FILTERS: tuple[tuple[str, str], ...] = (
    ("year", N_("All years")),
    ("status", N_("All statuses")),
    ("type", N_("All types")),
    ("zone", N_("All zones")),
    ("theme", N_("All themes")),
)


class PactsScreen(IndexedScreen):
    """Every pact, searchable and filtered, with the selected one in detail."""

    DEFAULT_CSS = """
    PactsScreen #pact-filters {
        height: 1;
        margin: 0 1;
    }
    PactsScreen #pact-filters > Select {
        width: 1fr;
        margin: 0 1 0 0;
    }
    PactsScreen #pact-sort {
        width: auto;
        color: $text-muted;
    }
    PactsScreen #pact-list {
        width: 3fr;
    }
    PactsScreen #pact-progress {
        margin: 0 1;
        display: none;
    }
    PactsScreen #pact-progress.-indexing {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", N_("Search"), id="pacts.search"),
        Binding("escape", "clear_search", N_("Clear search"), show=False, id="pacts.clear"),
        Binding("n", "new_pact", N_("New"), id="pacts.new"),
        Binding("e", "edit_pact", N_("Edit"), id="pacts.edit"),
        Binding("s", "change_status", N_("Status"), id="pacts.status"),
        Binding("c", "continue_pact", N_("Continue"), id="pacts.continue"),
        Binding("p", "plan", N_("Plan"), id="pacts.plan"),
        Binding("d", "delete_pact", N_("Delete"), id="pacts.delete"),
        Binding("o", "cycle_sort", N_("Sort"), show=False, id="pacts.sort"),
        Binding("f", "focus_filters", N_("Filters"), show=False, id="pacts.filters"),
        Binding("r", "reset_filters", N_("Reset filters"), show=False, id="pacts.reset"),
    ]

    EDIT_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"new_pact", "edit_pact", "change_status", "continue_pact", "delete_pact"}
    )

    PROGRESS: ClassVar[str] = "#pact-progress"
    #: The list has the keys from the start (not the first input, as Textual would give
    #: it): the footer is then built once, for the list's keys.
    AUTO_FOCUS = "#pact-table"
    INDEX_GROUP: ClassVar[str] = "pact-index"

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.index: PactIndex = registry.pact_index()
        self.sort = SORTS[0][0]
        self._choices: dict[str, list[Any]] = {}
        self._keep: int | None = None
        self._shown: int | None = None
        self._detailed: int | None = None  # the pact the detail pane shows
        self._drawn = -2  # the index version the rows were drawn at

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder=_("Search pacts (code, title, objectives)…"), id="pact-search")
        with Horizontal(id="pact-filters"):
            for name, prompt in FILTERS:
                options = [(Text(s.label), s.value) for s in ORDER] if name == "status" else []
                yield Select[Any](options, prompt=_(prompt), id=f"filter-{name}", compact=True)
            yield Static(id="pact-sort")
        yield ProgressBar(show_eta=False, id="pact-progress")
        with Horizontal(id="pacts-body"):
            yield PactTable(
                [
                    Column("code", _("Code")),
                    Column("year", _("Year")),
                    Column("title", _("Title")),
                    Column("status", _("Status")),
                ],
                page_size=LIST_PAGE,
                widths=self._widths,
                id="pact-list",
            )
            yield PactDetail(id="pact-detail")

    def on_mount(self) -> None:
        self._show_sort()
        self.reload()
        self.query_one(PactTable).focus_table()

    # -- loading ---------------------------------------------------------------------------------

    @property
    def table(self) -> PactTable:
        return self.query_one(PactTable)

    def refresh_data(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        """Back from a dialog (or another screen): the list has the keys again, wherever
        the focus was (the detail pane, a filter), so ↓ moves the cursor at once."""
        if self.is_mounted:
            self.table.focus_table()

    def reload(self, keep: int | None = None) -> None:
        """Bring the index up to date with the store, then show the list again."""
        self._keep = keep if keep is not None else self._keep or self.table.current()
        if self.index_in_background():
            return  # the worker's result shows the list, with this cursor
        self.index.refresh()
        self._indexed()

    def index_ready(self) -> None:
        self.reload()  # what changed while the worker ran, then the list

    def _indexed(self) -> None:
        self._update_choices()
        self.apply()

    def _update_choices(self) -> None:
        """Filter options from what is stored (plus the registered types, zones, themes)."""
        found = self.index.choices()
        types = pact_types(self.registry)
        reference = reference_data(self.registry)
        zone_label = reference.zone_label if reference else str
        theme_label = reference.theme_label if reference else str
        kinds = sorted(set(found["type"]) | set(types))
        options: dict[str, list[tuple[Text, Any]]] = {
            "year": [(Text(str(y)), y) for y in found["year"]],
            "type": [(Text(types[k].label() if k in types else k), k) for k in kinds],
            "zone": [(Text(zone_label(z)), z) for z in found["zone"]],
            "theme": [(Text(theme_label(t)), t) for t in found["theme"]],
        }
        for name, choices in options.items():
            values = [v for _label, v in choices]
            if values == self._choices.get(name):
                continue
            self._choices[name] = values
            select = self.query_one(f"#filter-{name}", Select)
            current = select.value
            with self.prevent(Select.Changed):
                select.set_options(choices)
                if current in values:
                    select.value = current

    def query_now(self) -> PactQuery:
        """The filters and search as they stand."""

        def chosen(name: str) -> Any:
            value = self.query_one(f"#filter-{name}", Select).value
            return None if value is Select.NULL else value

        status = chosen("status")
        return PactQuery(
            year=chosen("year"),
            status=PactStatus(status) if status else None,
            type=chosen("type"),
            zone=chosen("zone"),
            theme=chosen("theme"),
            text=self.query_one("#pact-search", Input).value or None,
        )

    def apply(self) -> None:
        """Show the pacts matching the filters, in the chosen order, keeping the cursor."""
        if self._indexing:
            return  # the worker's result applies what is asked by then
        if self.index.pending() > self.SYNC_LIMIT:  # a restore, say: too much for a keystroke
            self.reload()
            return
        hits = self.index.search(self.query_now(), self.sort)
        changed = self.index.version != self._drawn  # else a keystroke: rows drawn are right
        self._drawn = self.index.version
        keep, self._keep = self._keep, None
        if changed:
            self._shown = None  # the highlighted pact may have changed too: draw it again
        self.table.set_rows([e.id for e in hits], self._cells, keep=keep, redraw=changed)
        if not hits:
            self.show(None)

    def _cells(self, pact_id: int) -> list[Text]:
        """One row, from the index entry: no model is validated to draw the list."""
        entry = self.index.entry(pact_id)
        if entry is None:  # deleted since the search: the next reload drops the row
            return [Text(), Text(), Text(), Text()]
        return [cell(entry.code), cell(str(entry.year)), cell(entry.title), cell(_status(entry))]

    def _widths(self, page: Sequence[int]) -> dict[str, int | None]:
        """Column widths for a page: the code, year and status as wide as their longest
        (a code at most ``CODE_WIDTH``), the title what they leave, so that the status is
        never cut, in any language; cut cells end with an ellipsis."""
        entries = [e for key in page if (e := self.index.entry(key)) is not None]

        def widest(heading: str, texts: Iterable[str]) -> int:
            return max([cell_len(heading), *(cell_len(t) for t in texts)])

        code = min(widest(_("Code"), (e.code for e in entries)), CODE_WIDTH)
        year = widest(_("Year"), (str(e.year) for e in entries))
        status = widest(_("Status"), (_status(e) for e in entries))
        grid = self.table.table
        box = self.table.content_size  # the list's share of the screen (the grid fits content)
        # Before the first layout (the rows are drawn as the screen mounts) the box is
        # empty: the guess is the list's 3/5 of the body (the terminal less 2 columns) and
        # the rows under the chrome. A right guess spares a second drawing of the page when
        # the first layout resizes the screen (see PagedTable.redraw).
        width = box.width or (self.app.size.width - 2) * 3 // 5
        rows = (box.height or self.app.size.height - 8) - 2  # under the header, over the status
        scrollbar = grid.styles.scrollbar_size_vertical if len(page) > rows else 0
        padding = 2 * grid.cell_padding * 4
        title = max(MIN_TITLE_WIDTH, width - code - year - status - padding - scrollbar)
        return {"code": code, "year": None, "title": title, "status": status}

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.table.redraw)  # the title takes the new width

    # -- the detail ------------------------------------------------------------------------------

    def show(self, pact_id: int | None) -> None:
        if pact_id is not None and pact_id == self._shown:
            return
        again = pact_id == self._detailed  # the same pact, changed: the pane stays scrolled
        self._shown = self._detailed = pact_id
        detail = self.query_one(PactDetail)
        pact = self._pact(pact_id)
        if pact is None:
            detail.show_pact(None, self.registry)
            return
        successors = [p for i in self.index.successors(pact.id or 0) if (p := self._pact(i))]
        detail.show_pact(pact, self.registry, successors=successors, top=not again)

    def _pact(self, pact_id: int | None) -> Pact | None:
        if pact_id is None:
            return None
        try:
            return self.registry.pact(pact_id)
        except NotFoundError:
            return None

    @on(PagedTable.Highlighted)
    def _highlighted(self, event: PagedTable.Highlighted) -> None:
        key = event.key
        self.show(key if isinstance(key, int) else None)

    # -- search, filters, sort -----------------------------------------------------------------

    @on(Input.Submitted, "#pact-search")
    def _search_submitted(self) -> None:
        """Enter in the search goes to the list, the search kept (Esc would clear it)."""
        self.table.focus_table()

    @on(Input.Changed, "#pact-search")
    def _search(self, event: Input.Changed) -> None:
        typed = without_controls(event.value)
        if typed != event.value:  # pasted escape sequences must not reach the screen
            event.input.value = typed  # raises Changed again, with the clean text
            return
        self.apply()

    @on(Select.Changed, "#pact-filters Select")
    def _filtered(self, event: Select.Changed) -> None:
        self.apply()

    def action_focus_search(self) -> None:
        self.query_one("#pact-search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#pact-search", Input)
        search.value = ""
        self.table.focus_table()

    def action_focus_filters(self) -> None:
        self.query_one("#filter-year", Select).focus()

    def reveal(self, pact_id: int) -> None:
        """Put the cursor on a pact (the dashboard's "needs attention" list goes here),
        clearing a search or filter that hides it."""
        if pact_id not in self.table.keys:
            with self.prevent(Input.Changed, Select.Changed):
                self.query_one("#pact-search", Input).value = ""
                self.action_reset_filters()
        self.reload(keep=pact_id)
        self.table.focus_table()

    def action_reset_filters(self) -> None:
        for name, _prompt in FILTERS:
            self.query_one(f"#filter-{name}", Select).clear()

    def action_cycle_sort(self) -> None:
        names = [name for name, _label in SORTS]
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self._show_sort()
        self.apply()  # from the top: the first rows are what a new order is asked for

    def _show_sort(self) -> None:
        label = dict(SORTS)[self.sort]
        self.query_one("#pact-sort", Static).update(
            Content(_("Sorted by {key} (o)").format(key=_(label)))
        )

    # -- editing -------------------------------------------------------------------------------

    def current_pact(self) -> Pact | None:
        pact = self._pact(self.table.current())
        if pact is None:
            self.notify(_("No pact selected."), severity="warning", markup=False)
        return pact

    def action_new_pact(self) -> None:
        types = pact_types(self.registry)
        if not types:
            self.app.push_screen(PactEditor(self.registry), self._saved)
            return

        def chosen(name: str | None) -> None:
            if name:
                self.app.push_screen(PactEditor(self.registry, type_name=name), self._saved)

        self.app.push_screen(TemplatePicker(types), chosen)

    def action_edit_pact(self) -> None:
        pact = self.current_pact()
        if pact is None:
            return
        if pact.status is PactStatus.CANCELLED:
            self.notify(
                _("Pact {code} is cancelled and can no longer be changed.").format(code=pact.code),
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(PactEditor(self.registry, pact=pact), self._saved)

    def _saved(self, pact: Pact | None) -> None:
        if pact is None:
            return
        self.reload(keep=pact.id)
        self.notify(_("Pact {code} saved.").format(code=pact.code), markup=False)

    def action_change_status(self) -> None:
        pact = self.current_pact()
        if pact is None:
            return

        def changed(saved: Pact | None) -> None:
            if saved is not None:
                self.reload(keep=saved.id)
                self.notify(
                    _("Pact {code} is now {status}.").format(
                        code=saved.code, status=saved.status.label
                    ),
                    markup=False,
                )

        self.app.push_screen(StatusDialog(self.registry, pact), changed)

    def action_plan(self) -> None:
        """The pact type's planner for the highlighted pact (previewed before anything is saved)."""
        pact = self.current_pact()
        if pact is not None and pact.id is not None:
            open_planner(self.app, pact.id)

    def action_continue_pact(self) -> None:
        """Next year's edition of the pact, as a draft opened in the editor."""
        pact = self.current_pact()
        if pact is None:
            return
        try:
            new = self.registry.continue_pact(pact.id or 0)
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
            return
        self.reload(keep=new.id)
        self.notify(
            _("{new} continues {old}: complete the new draft.").format(new=new.code, old=pact.code),
            markup=False,
        )
        self.app.push_screen(PactEditor(self.registry, pact=new), self._saved)

    @work(exclusive=True, group="pact-delete")
    async def action_delete_pact(self) -> None:
        """Delete the highlighted pact after a confirmation that says what goes with it."""
        pact = self.current_pact()
        if pact is None or pact.id is None:
            return
        store = self.registry.store
        activities = len(store.activities.ids_where("pact_id", pact.id))
        successors = [
            self.registry.pact(i).code for i in store.pacts.ids_where("predecessor_id", pact.id)
        ]
        lines = [_("{code} «{title}» will be deleted.").format(code=pact.code, title=pact.title)]
        if activities:
            lines.append(
                ngettext(
                    "Its {n} activity goes with it, with its attendance and notes.",
                    "Its {n} activities go with it, with their attendance and notes.",
                    activities,
                ).format(n=activities)
            )
        if successors:
            lines.append(
                _("{codes} continued it: they stay, without the link to it.").format(
                    codes=", ".join(successors)
                )
            )
        lines.append(_("The daily backup still holds it, until it is rotated away."))
        sure = await self.app.push_screen_wait(
            ConfirmDialog(
                _("Delete the pact?"),
                "\n".join(lines),
                confirm_label=_("Delete"),
                danger=True,
            )
        )
        if not sure:
            return
        neighbour = self.table.neighbour(pact.id)
        try:
            self.registry.delete_pact(pact.id, cascade=True)
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
            return
        self.reload(keep=neighbour)
        self.notify(_("Pact {code} deleted.").format(code=pact.code), markup=False)


def _status(entry: PactEntry) -> str:
    """The translated label of the pact's status (the stored value if it has none)."""
    try:
        return PactStatus(entry.status).label
    except ValueError:
        return entry.status
