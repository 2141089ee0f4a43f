"""The pact list with its filters, sorting and detail pane; the way into the editor.

The list is a :class:`PagedTable` fed by a :class:`PactIndex`: one entry per
stored pact holding what the list filters, sorts and shows, and its text
folded for search. Building the entries costs about 1 s per 100,000 pacts,
so a large store is indexed in a worker with a progress bar; afterwards an
entry is rebuilt only for a document that changed (stored documents are
replaced, never mutated, on save), so coming back to the screen or saving
a pact costs one pass over the ids. Filtering 100,000 entries takes about
0.1 s; a search that only narrows the previous one scans the previous hits.
The matching is the services' own (``fold``, ``PACT_TEXT_FIELDS``): the
list shows what ``Registry.list_pacts`` would return, in the chosen order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Input, ProgressBar, Select, Static
from textual.worker import get_current_worker

from patti.core.errors import NotFoundError, PattiError
from patti.core.i18n import N_, _
from patti.core.model import Pact, PactStatus
from patti.core.search import document_text, fold
from patti.core.services import PACT_TEXT_FIELDS, PactQuery, Registry
from patti.core.text import clean_text, without_controls

from ..dialogs.pact_editor import PactEditor, TemplatePicker
from ..dialogs.status import ORDER, StatusDialog
from ..widgets.pact_detail import PactDetail, pact_types, reference_data
from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen
from .planner import open_planner

#: Sort keys the ``o`` key cycles through, with their (untranslated) names.
SORTS: tuple[tuple[str, str], ...] = (
    ("year", N_("year")),
    ("code", N_("code")),
    ("title", N_("title")),
    ("status", N_("status")),
)
_STATUS_RANK = {status.value: rank for rank, status in enumerate(ORDER)}


# -- the index ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """What the list needs of one stored pact, and the document it was read from."""

    id: int
    doc: dict[str, Any]
    code: str
    title: str
    year: int
    status: str
    type: str
    zones: tuple[str, ...]
    themes: tuple[str, ...]
    predecessor: int | None
    text: str  # the searchable fields, folded

    @classmethod
    def of(cls, pact_id: int, doc: dict[str, Any]) -> Entry:
        year = doc.get("year")
        predecessor = doc.get("predecessor_id")
        return cls(
            id=pact_id,
            doc=doc,
            code=str(doc.get("code", "")),
            title=str(doc.get("title", "")),
            year=year if isinstance(year, int) else 0,
            status=str(doc.get("status", "")),
            type=str(doc.get("type", "")),
            zones=tuple(str(z) for z in doc.get("zones") or ()),
            themes=tuple(str(t) for t in doc.get("themes") or ()),
            predecessor=predecessor if isinstance(predecessor, int) else None,
            text=document_text(doc, PACT_TEXT_FIELDS),
        )


def sort_key(sort: str) -> Callable[[Entry], tuple[Any, ...]]:
    """Year: newest first; code and title: alphabetical; status: in life-cycle order."""
    if sort == "code":
        return lambda e: (fold(e.code), -e.year)
    if sort == "title":
        return lambda e: (fold(e.title), -e.year, e.code)
    if sort == "status":
        return lambda e: (_STATUS_RANK.get(e.status, len(_STATUS_RANK)), -e.year, e.code)
    return lambda e: (-e.year, e.code)


def query_words(text: str | None) -> list[str]:
    """The folded words of a search, as ``patti.core.search.matches`` reads them."""
    return fold(clean_text(text or "")).split()


@dataclass(frozen=True)
class Search:
    """One applied search: its filters (text apart), words, sort and hits, in order."""

    filters: PactQuery
    words: tuple[str, ...]
    sort: str
    hits: list[Entry]

    def narrows_to(self, filters: PactQuery, words: Sequence[str], sort: str) -> bool:
        """Whether every hit of the new search is among these (each old word is inside a
        new one, with the same filters and order)."""
        return (
            filters == self.filters
            and sort == self.sort
            and all(any(old in new for new in words) for old in self.words)
        )


class PactIndex:
    """Every pact as an :class:`Entry`, with orders and successors computed on demand."""

    def __init__(self, entries: dict[int, Entry]) -> None:
        self.entries = entries
        self._orders: dict[str, list[Entry]] = {}
        self._successors: dict[int, list[int]] | None = None
        self._last: Search | None = None

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def build(
        cls,
        items: Iterable[tuple[int, dict[str, Any]]],
        previous: PactIndex | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> PactIndex:
        """Entries for ``items``; an unchanged document (the same object) keeps its entry."""
        known = previous.entries if previous is not None else {}
        entries: dict[int, Entry] = {}
        for count, (pact_id, doc) in enumerate(items, 1):
            old = known.get(pact_id)
            entries[pact_id] = old if old is not None and old.doc is doc else Entry.of(pact_id, doc)
            if progress is not None and count % 5000 == 0:
                progress(count)
        unchanged = entries.keys() == known.keys() and all(entries[i] is known[i] for i in entries)
        if previous is not None and unchanged:
            return previous  # nothing changed: keep the orders and the last search
        return cls(entries)

    def ordered(self, sort: str) -> list[Entry]:
        if sort not in self._orders:
            self._orders[sort] = sorted(self.entries.values(), key=sort_key(sort))
        return self._orders[sort]

    def successors(self, pact_id: int) -> list[int]:
        """Ids of the pacts that continue ``pact_id``."""
        if self._successors is None:
            found: dict[int, list[int]] = {}
            for entry in self.entries.values():
                if entry.predecessor is not None:
                    found.setdefault(entry.predecessor, []).append(entry.id)
            self._successors = found
        return self._successors.get(pact_id, [])

    def search(self, query: PactQuery, sort: str) -> list[Entry]:
        """Entries matching ``query`` (as ``Registry.list_pacts`` filters) in ``sort`` order."""
        filters = replace(query, text=None)
        words = query_words(query.text)
        last = self._last
        pool = last.hits if last and last.narrows_to(filters, words, sort) else self.ordered(sort)
        status = query.status.value if query.status else None
        hits = [
            e
            for e in pool
            if (query.year is None or e.year == query.year)
            and (status is None or e.status == status)
            and (not query.type or e.type == query.type)
            and (not query.zone or query.zone in e.zones)
            and (not query.theme or query.theme in e.themes)
            and all(w in e.text for w in words)
        ]
        self._last = Search(filters, tuple(words), sort, hits)
        return hits

    def choices(self) -> dict[str, list[Any]]:
        """The values present, for the filters: years (newest first), types, zones, themes."""
        years: set[int] = set()
        kinds: set[str] = set()
        zones: set[str] = set()
        themes: set[str] = set()
        for e in self.entries.values():
            years.add(e.year)
            kinds.add(e.type)
            zones.update(e.zones)
            themes.update(e.themes)
        return {
            "year": sorted(years, reverse=True),
            "type": sorted(kinds),
            "zone": sorted(zones),
            "theme": sorted(themes),
        }


# -- the screen ------------------------------------------------------------------------------


class PactTable(PagedTable[int]):
    """The paged list of pacts; its DataTable keeps the id ``pact-table``."""

    def compose(self) -> ComposeResult:
        yield DataTable(id="pact-table", cursor_type="row", zebra_stripes=True)
        yield Static(classes="paged-status")


FILTERS: tuple[tuple[str, str], ...] = (
    ("year", N_("All years")),
    ("status", N_("All statuses")),
    ("type", N_("All types")),
    ("zone", N_("All zones")),
    ("theme", N_("All themes")),
)


class PactsScreen(PattiScreen):
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
        Binding("o", "cycle_sort", N_("Sort"), show=False, id="pacts.sort"),
        Binding("f", "focus_filters", N_("Filters"), show=False, id="pacts.filters"),
        Binding("r", "reset_filters", N_("Reset filters"), show=False, id="pacts.reset"),
    ]

    EDIT_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"new_pact", "edit_pact", "change_status", "continue_pact"}
    )

    #: Up to this many new pacts are indexed at once; more go to a worker with progress.
    SYNC_LIMIT: ClassVar[int] = 20_000

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.index: PactIndex | None = None
        self.sort = SORTS[0][0]
        self._choices: dict[str, list[Any]] = {}
        self._keep: int | None = None
        self._shown: int | None = None

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
                id="pact-list",
            )
            with VerticalScroll(id="pact-detail-scroll"):
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

    def reload(self, keep: int | None = None) -> None:
        """Bring the index up to date with the store, then show the list again."""
        self._keep = keep if keep is not None else self.table.current()
        pending = len(self.registry.store.pacts) - len(self.index or ())
        if pending > self.SYNC_LIMIT:
            bar = self.query_one("#pact-progress", ProgressBar)
            bar.update(total=len(self.registry.store.pacts), progress=0)
            bar.add_class("-indexing")
            self._index_in_worker(bar)
            return
        self.index = PactIndex.build(self.registry.store.pacts.raw_items(), self.index)
        self._indexed()

    @work(thread=True, exclusive=True, group="pact-index")
    def _index_in_worker(self, bar: ProgressBar) -> None:
        def progress(count: int) -> None:
            self.app.call_from_thread(bar.update, progress=count)

        index = PactIndex.build(self.registry.store.pacts.raw_items(), self.index, progress)
        if not get_current_worker().is_cancelled:  # a newer reload has taken over
            self.app.call_from_thread(self._index_ready, index)

    def _index_ready(self, index: PactIndex) -> None:
        self.query_one("#pact-progress", ProgressBar).remove_class("-indexing")
        self.index = index
        self._indexed()

    def _indexed(self) -> None:
        self._update_choices()
        self.apply()

    def _update_choices(self) -> None:
        """Filter options from what is stored (plus the registered types, zones, themes)."""
        assert self.index is not None
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
        if self.index is None:
            return
        hits = self.index.search(self.query_now(), self.sort)
        entries = self.index.entries
        labels = {s.value: s.label for s in PactStatus}

        def render(pact_id: int) -> list[str | Text]:
            e = entries[pact_id]
            return [Text(e.code), Text(str(e.year)), Text(e.title), Text(labels.get(e.status, ""))]

        keep, self._keep = self._keep, None
        self._shown = None
        self.table.set_rows([e.id for e in hits], render, keep=keep)
        if not hits:
            self.show(None)

    # -- the detail ------------------------------------------------------------------------------

    def show(self, pact_id: int | None) -> None:
        if pact_id is not None and pact_id == self._shown:
            return
        self._shown = pact_id
        detail = self.query_one(PactDetail)
        pact = self._pact(pact_id)
        if pact is None or self.index is None:
            detail.show_pact(None, self.registry)
            return
        successors = [p for i in self.index.successors(pact.id or 0) if (p := self._pact(i))]
        detail.show_pact(pact, self.registry, successors=successors)

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
