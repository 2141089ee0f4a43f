"""The partner directory: search, filters, the highlighted partner in detail, and edits.

The list is drawn from the store's shared :class:`~patti.core.search.PartnerIndex`
(name, kind, zones and folded text of every partner): a keystroke in the
search scans it in a few milliseconds at province scale, so searching runs
on the UI thread and every key shows its answer. Only the highlighted
partner is validated into a model, for the detail pane and the edits.
Building the index of a large directory (or rebuilding it after a restore)
runs in a worker with a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, ProgressBar, Select

from patti.core.errors import IntegrityError, NotFoundError, PattiError
from patti.core.i18n import N_, _
from patti.core.model import Partner, PartnerKind
from patti.core.reference import ReferenceData
from patti.core.search import PartnerIndex
from patti.core.services import PartnerQuery, Registry
from patti.core.text import clean_text, without_controls

from ..dialogs.confirm import ConfirmDialog
from ..dialogs.partner_editor import PartnerEditor
from ..widgets.paged_table import Column, PagedTable, clip
from ..widgets.partner_detail import PartnerDetail, describe_partner, reference_data
from .base import IndexedScreen

#: Cell widths: the three columns fit beside the detail pane at 120 columns; the pane
#: shows the whole name.
NAME_WIDTH, KIND_WIDTH, ZONES_WIDTH = 34, 16, 14
#: Rows drawn at once: a new search's page is measured and drawn in ~10 ms (the arrow keys
#: go on to the next page at its ends).
LIST_PAGE = 100


class PartnersScreen(IndexedScreen):
    """Every partner, searchable and filterable, with the highlighted one in detail."""

    DEFAULT_CSS = """
    PartnersScreen #partner-filters {
        height: auto;
        padding: 0 1;
    }
    PartnersScreen #partner-search {
        width: 2fr;
    }
    PartnersScreen #partner-filters Select {
        width: 1fr;
    }
    PartnersScreen #partners-body {
        height: 1fr;
    }
    PartnersScreen #partner-table {
        width: 3fr;
        height: 1fr;
    }
    PartnersScreen #partner-detail-scroll {
        width: 2fr;
        height: 1fr;
        border-left: solid $primary;
    }
    PartnersScreen #partner-detail-scroll:focus {
        border-left: thick $accent;
    }
    PartnersScreen #partner-progress {
        margin: 0 1;
        display: none;
    }
    PartnersScreen #partner-progress.-indexing {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", N_("Search"), id="partners.search"),
        Binding("n", "new_partner", N_("New"), id="partners.new"),
        Binding("e", "edit_partner", N_("Edit"), id="partners.edit"),
        Binding("d", "delete_partner", N_("Delete"), id="partners.delete"),
        Binding(
            "escape",
            "clear_filters",
            N_("Clear search and filters"),
            show=False,
            id="partners.clear",
        ),
    ]

    EDIT_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"new_partner", "edit_partner", "delete_partner"}
    )
    #: Actions that need a partner under the cursor.
    ROW_ACTIONS: ClassVar[frozenset[str]] = frozenset({"edit_partner", "delete_partner"})

    PROGRESS: ClassVar[str] = "#partner-progress"
    #: The list has the keys from the start (not the first input, as Textual would give
    #: it): the footer is then built once, for the list's keys.
    AUTO_FOCUS = "#partner-table > DataTable"
    INDEX_GROUP: ClassVar[str] = "partners-index"

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.index: PartnerIndex = registry.partner_index()
        self._reference = reference_data(registry)
        self._query: PartnerQuery | None = None
        self._shown: int | None = None
        self._partner: Partner | None = None  # the highlighted partner, validated
        # What the next drawing of the list must do (several reloads may ask before it).
        self._keep: int | None = None
        self._reveal = False
        self._options = False
        self._drawn = -2  # the index version the rows were drawn at
        #: Known slugs (data and reference data) for the filters and the editor.
        self.zones: list[str] = []
        self.themes: list[str] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="partner-filters"):
            yield Input(placeholder=_("Search partners (name, notes, tags)…"), id="partner-search")
            yield Select(
                [(kind.label, kind) for kind in PartnerKind],
                prompt=_("Any kind"),
                id="partner-kind",
            )
            yield Select[str]([], prompt=_("Any zone"), id="partner-zone")
            yield Select[str]([], prompt=_("Any theme"), id="partner-theme")
        yield ProgressBar(show_eta=False, id="partner-progress")
        with Horizontal(id="partners-body"):
            yield PagedTable[int](
                [
                    Column("name", _("Name")),
                    Column("kind", _("Kind")),
                    Column("zones", _("Zones")),
                ],
                page_size=LIST_PAGE,
                id="partner-table",
            )
            with VerticalScroll(id="partner-detail-scroll"):
                yield PartnerDetail(id="partner-detail")

    def on_mount(self) -> None:
        self.load(force=True, options=True)
        self.table.focus_table()

    @property
    def table(self) -> PagedTable[int]:
        return self.query_one("#partner-table", PagedTable)

    # -- loading -----------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Shown again (another screen, or a dialog closed): reload, the cursor staying put."""
        self.load(self._keep or self.table.current(), force=True, options=True)

    def on_screen_resume(self) -> None:
        """Back from a dialog (or another screen): the list has the keys again, wherever
        the focus was (the detail pane, a filter), so ↓ moves the cursor at once."""
        if self.is_mounted:
            self.table.focus_table()

    def current_query(self) -> PartnerQuery:
        """The search text and the three filters, as the service's query."""
        text = clean_text(self.query_one("#partner-search", Input).value)
        kind = self.query_one("#partner-kind", Select).value
        zone = self.query_one("#partner-zone", Select).value
        theme = self.query_one("#partner-theme", Select).value
        return PartnerQuery(
            text=text or None,
            kind=kind if isinstance(kind, PartnerKind) else None,
            zone=zone if isinstance(zone, str) else None,
            theme=theme if isinstance(theme, str) else None,
        )

    def load(
        self,
        keep: int | None = None,
        *,
        force: bool = False,
        reveal: bool = False,
        options: bool = False,
    ) -> None:
        """Show the partners matching the search and filters; ``keep`` puts the cursor
        back on that partner.

        With ``reveal``, a ``keep`` partner hidden by the search or filters
        clears them, so the operator sees the partner just saved. With
        ``options``, the zone and theme filters are rebuilt from the data too.
        """
        query = self.current_query()
        if query == self._query and not force:
            return
        self._query = query
        if keep is not None:
            self._keep, self._reveal = keep, reveal
        self._options = self._options or options
        if self.index_in_background():
            return  # the worker's result draws the list with what is asked by then
        self._show_rows()

    def index_ready(self) -> None:
        self.load(force=True)  # with the search as typed meanwhile

    def _show_rows(self) -> None:
        keep, reveal, options = self._keep, self._reveal, self._options
        self._keep, self._reveal, self._options = None, False, False
        if options:
            self._fill_filter_options(*self.index.used_slugs())
        query = self._query or self.current_query()
        ids = [e.id for e in self.index.search(query)]
        if reveal and keep is not None and keep not in ids and self.index.entry(keep):
            self._clear_filters()
            self._query = self.current_query()
            ids = [e.id for e in self.index.search(self._query)]
        changed = self.index.version != self._drawn  # else a keystroke: rows drawn are right
        self._drawn = self.index.version
        self.table.set_rows(ids, self._cells, keep=keep, redraw=changed)
        self._show(self.table.current(), fresh=changed)

    def _cells(self, partner_id: int) -> Sequence[str | Text]:
        """One row, from the index entry: no model is validated to draw the list."""
        entry = self.index.entry(partner_id)
        if entry is None:  # deleted since the search: the next reload drops the row
            return (Text(), Text(), Text())
        try:
            kind = PartnerKind(entry.kind).label
        except ValueError:
            kind = entry.kind
        zones = ", ".join(self._reference.zone_label(str(z)) for z in entry.zones)
        return (clip(entry.name, NAME_WIDTH), clip(kind, KIND_WIDTH), clip(zones, ZONES_WIDTH))

    def _show(self, partner_id: int | None, *, fresh: bool = False) -> None:
        """Detail ``partner_id``; ``fresh`` data redraws it even if it is already shown."""
        if partner_id == self._shown and not fresh:
            return  # the table's echo of a row already shown: the usage scan is not free
        partner = self._validated(partner_id)
        self._partner = partner
        detail = self.query_one(PartnerDetail)
        if partner is None:
            detail.show_partner(None, self.registry)
        else:
            detail.update(describe_partner(partner, self.registry, self._reference))
        if partner_id != self._shown:
            self._shown = partner_id
            self.refresh_bindings()  # edit and delete need a partner

    def _validated(self, partner_id: int | None) -> Partner | None:
        if partner_id is None:
            return None
        try:
            return self.registry.partner(partner_id)
        except NotFoundError:
            return None

    def _fill_filter_options(self, zones: set[str], themes: set[str]) -> None:
        """Zones and themes found in the data plus those of the plugins' reference data."""
        ref: ReferenceData = self._reference
        zones = zones | {z.key for z in ref.zones}
        themes = themes | {t.key for t in ref.themes}
        self.zones = sorted(zones, key=lambda z: ref.zone_label(z).casefold())
        self.themes = sorted(themes, key=lambda t: ref.theme_label(t).casefold())
        self._set_options("#partner-zone", self.zones, ref.zone_label)
        self._set_options("#partner-theme", self.themes, ref.theme_label)

    def _set_options(self, selector: str, keys: Iterable[str], label: Callable[[str], str]) -> None:
        select: Select[str] = self.query_one(selector, Select)
        chosen = select.value
        with self.prevent(Select.Changed):
            select.set_options((Text(label(key)), key) for key in keys)
            if isinstance(chosen, str) and chosen in keys:
                select.value = chosen

    # -- events ------------------------------------------------------------------------

    # PagedTable's messages have no ``control``, so ``@on`` cannot match them by id.
    def on_paged_table_highlighted(self, event: PagedTable.Highlighted) -> None:
        if event.table.id == "partner-table":
            key = event.key
            self._show(key if isinstance(key, int) else None)

    def on_paged_table_selected(self, event: PagedTable.Selected) -> None:
        """Enter opens the detail: the focus moves there so it scrolls with the keys."""
        if event.table.id == "partner-table":
            self.query_one("#partner-detail-scroll", VerticalScroll).focus()

    @on(Input.Changed, "#partner-search")
    def _search_changed(self, event: Input.Changed) -> None:
        typed = without_controls(event.value)
        if typed != event.value:  # pasted escape sequences must not reach the screen
            event.input.value = typed  # raises Changed again, with the clean text
            return
        self.load()

    @on(Input.Submitted, "#partner-search")
    def _search_submitted(self) -> None:
        self.table.focus_table()

    @on(Select.Changed, "#partner-filters Select")
    def _filter_changed(self) -> None:
        self.load()

    # -- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if allowed and action in self.ROW_ACTIONS and self._current() is None:
            return None
        return allowed

    def _current(self) -> Partner | None:
        return self._partner

    def action_focus_search(self) -> None:
        self.query_one("#partner-search", Input).focus()

    def action_clear_filters(self) -> None:
        """Escape: back from the detail to the list, or from the list to every partner."""
        if self.focused is self.query_one("#partner-detail-scroll"):
            self.table.focus_table()
            return
        self._clear_filters()
        self.load(keep=self._shown)
        self.table.focus_table()

    def _clear_filters(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#partner-search", Input).value = ""
            for select in self.query("#partner-filters Select").results(Select):
                select.clear()

    def action_new_partner(self) -> None:
        self.app.push_screen(
            PartnerEditor(self.registry, None, zones=self.zones, themes=self.themes), self._saved
        )

    def action_edit_partner(self) -> None:
        current = self._current()
        if current is None or current.id is None:
            return
        try:
            fresh = self.registry.partner(current.id)  # the latest revision, not the listed one
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", markup=False)
            self.load(force=True)
            return
        self.app.push_screen(
            PartnerEditor(self.registry, fresh, zones=self.zones, themes=self.themes), self._saved
        )

    def reveal(self, partner_id: int) -> None:
        """Put the cursor on a partner (the dashboard's "needs attention" list goes here),
        clearing a search or filter that hides it."""
        self.load(keep=partner_id, force=True, reveal=True)

    def _saved(self, partner: Partner | None) -> None:
        if partner is None:
            return
        self.notify(_("Saved: {name}").format(name=partner.name), markup=False)
        self.load(keep=partner.id, force=True, reveal=True, options=True)

    @work(exclusive=True, group="partners-delete")
    async def action_delete_partner(self) -> None:
        """Delete after a confirmation; a partner still in use needs a second, explicit choice."""
        partner = self._current()
        if partner is None or partner.id is None:
            return
        sure = await self.app.push_screen_wait(
            ConfirmDialog(
                _("Delete the partner?"),
                _("{name} and its contact persons will be deleted.").format(name=partner.name),
                confirm_label=_("Delete"),
                danger=True,
            )
        )
        if not sure:
            return
        neighbour = self._neighbour(partner.id)
        try:
            self.registry.delete_partner(partner.id)
        except IntegrityError as exc:
            if not await self._detach_and_delete(partner, clean_text(str(exc))):
                return
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
            return
        self.notify(_("Deleted: {name}").format(name=partner.name), markup=False)
        self.load(keep=neighbour, force=True, options=True)

    async def _detach_and_delete(self, partner: Partner, reasons: str) -> bool:
        """The refusal's reasons in the explicit second choice; ``True`` if deleted.

        The question already gives the reasons: they come back as a notification
        only once the operator declines, to say that nothing was deleted.
        """
        detach = await self.app.push_screen_wait(
            ConfirmDialog(
                _("Detach and delete?"),
                reasons
                + "\n\n"
                + _(
                    "Detaching removes the partner from those pacts and activities "
                    "(an activity it hosted keeps its name as the place) and unlinks "
                    "its schools. This cannot be undone."
                ),
                confirm_label=_("Detach and delete"),
                danger=True,
            )
        )
        if not detach or partner.id is None:
            self.notify(
                reasons, title=_("Not deleted"), severity="warning", timeout=15, markup=False
            )
            return False
        try:
            self.registry.delete_partner(partner.id, detach=True)
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
            return False
        return True

    def _neighbour(self, partner_id: int) -> int | None:
        """The row the cursor moves to once ``partner_id`` is gone."""
        keys = list(self.table.keys)
        if partner_id not in keys:
            return None
        index = keys.index(partner_id)
        rest = keys[index + 1 : index + 2] or keys[index - 1 : index]
        return rest[0] if rest else None
