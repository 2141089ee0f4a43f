"""The partner network on screen: its figures, the partners that bridge it, the ties new in
the year, and one partner's corner of it.

Every figure is :func:`patti.core.network.describe` of the year's network
against the year before, as ``patti network`` and the exported report count
it, and the ego view is :func:`patti.core.network.ego_view`. Building the
network reads the whole store and networkx costs 0.3 s to import, so both
run in workers; the ego view follows the highlighted partner, and while one
is being computed only the latest partner asked for is computed next (no
pile of threads when the operator scrolls through the list).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from babel.numbers import format_decimal
from rich.text import Text, TextType
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Select, Static, Tree
from textual.worker import Worker, WorkerState

from patti.core.i18n import N_, _, current_language
from patti.core.model import PactStatus, PartnerKind
from patti.core.reports import PartnerRef, report_series
from patti.core.search import fold
from patti.core.services import Registry
from patti.core.text import clean_text, without_controls

from ..dialogs.export import ExportDialog, ExportDone, formats_or_notify
from ..widgets.pact_detail import role_label
from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen
from .report import default_year

if TYPE_CHECKING:
    from patti.core.network import EgoView, NetworkFigures, PartnerNetwork, Tie

__all__ = ["ALL_YEARS", "EgoTree", "NetworkScreen", "NetworkView", "compute_network"]

ALL_YEARS = 0
"""The year picker's value for the network of all years together (no pact has year 0)."""
TOP = 10
"""Brokers and strongest ties the figures name: :func:`patti.core.network.describe`'s."""


def number(value: float | None) -> str:
    """A figure as the interface's language writes it (``0,4357`` in Italian)."""
    if value is None:
        return "–"
    pattern = "#,##0" if isinstance(value, int) else "#,##0.####"
    return format_decimal(value, format=pattern, locale=current_language())


def kind_label(kind: str) -> str:
    return PartnerKind.label_of(kind)


def short(text: str, width: int) -> Text:
    """``text`` in at most ``width`` cells, cut with an ellipsis: a long name must not push
    the other columns of a half-screen table out of sight."""
    cell = Text(clean_text(text), no_wrap=True)
    cell.truncate(width, overflow="ellipsis")
    return cell


NAME_WIDTH = 28
"""Cells a partner's name may take in a table of half the screen."""
HOLDS = "◆"
"""Marks a partner that holds a group together in the list of bridging partners."""


@dataclass(frozen=True)
class NetworkView:
    """One year's network (or all years') as the screen shows it, computed off the UI
    thread."""

    year: int | None
    years: tuple[int, ...]
    """Years with data, newest first: the year picker's."""
    network: PartnerNetwork
    figures: NetworkFigures
    """What :func:`patti.core.network.network_figures` gives for the year."""
    bridges: tuple[tuple[PartnerRef, float, bool], ...]
    """Partners with betweenness above zero or that hold a group together, most between
    first: (partner, betweenness, holds a group together)."""
    ties: tuple[Tie, ...]
    """Ties new against the year before; for all years, every tie. Strongest first."""
    degree: dict[int, int]
    partners: tuple[PartnerRef, ...]
    """The network's partners by name."""


def _tie_order(tie: Tie) -> tuple[int, str, str]:
    return (-tie.weight, tie.a.name.casefold(), tie.b.name.casefold())


def compute_network(registry: Registry, year: int | None, *, default: bool = False) -> NetworkView:
    """The figures of ``year``'s network (``None``: all years; ``default``: the report's
    default year), its bridging partners and its new ties (reads the whole store and
    imports networkx: run it in a worker)."""
    from patti.core.network import build_network, describe

    store = registry.store
    series = report_series(store, plugins=registry.plugins)
    if default:
        year = default_year(series, registry.today())
    network = build_network(store, year)
    previous = build_network(store, year - 1) if year is not None else None
    # Measured once with every broker and tie; the figures keep the top ten of each, as
    # network_figures() does, so they are equal to it.
    everyone = describe(network, previous, top=max(len(network.partners), len(network.pairs)))
    figures = dataclasses.replace(
        everyone, brokers=everyone.brokers[:TOP], strongest_ties=everyone.strongest_ties[:TOP]
    )
    cut = {ref.id for ref in everyone.articulation_points}
    scores = {b.partner.id: b.betweenness for b in everyone.brokers}
    bridges = [(b.partner, b.betweenness, b.partner.id in cut) for b in everyone.brokers]
    bridges += [(ref, 0.0, True) for ref in everyone.articulation_points if ref.id not in scores]
    if previous is not None:
        fresh = network.pairs - previous.pairs
        ties = sorted((t for a, b in fresh if (t := network.tie(a, b))), key=_tie_order)
    else:
        ties = list(everyone.strongest_ties)
    degree: Counter[int] = Counter()
    for a, b in network.pairs:
        degree[a] += 1
        degree[b] += 1
    years = {*series.years}
    if year is not None:
        years.add(year)
    return NetworkView(
        year=year,
        years=tuple(sorted(years, reverse=True)),
        network=network,
        figures=figures,
        bridges=tuple(bridges),
        ties=tuple(ties),
        degree=dict(degree),
        partners=tuple(sorted(network.partners.values(), key=lambda r: (r.name.casefold(), r.id))),
    )


def figure_rows(figures: NetworkFigures) -> list[tuple[str, str]]:
    """The figures with the words of ``patti network`` and of the exported report."""
    rows = [
        (_("Partners in the network"), number(figures.nodes)),
        (_("Ties between partners"), number(figures.ties)),
        (_("Density"), number(figures.density)),
        (_("Groups (connected components)"), number(figures.components)),
        (_("Partners with no tie"), number(figures.isolated)),
        (_("Ties across zones"), number(figures.ties_across_zones)),
    ]
    if figures.year is not None:
        rows += [
            (_("Ties in {year}").format(year=figures.year - 1), number(figures.previous_ties)),
            (_("New ties"), number(figures.new_ties)),
            (_("Ties lost"), number(figures.lost_ties)),
        ]
    return rows


# -- the ego view --------------------------------------------------------------------------


@dataclass(frozen=True)
class EgoNode:
    """What a node of the ego tree stands for: a pact or a partner (Enter goes there)."""

    kind: str
    id: int


class EgoTree(Tree[EgoNode]):
    """One partner's pacts and ties. Labels are never markup: a plain ``str`` label is
    shown as typed (Textual's Tree would parse it)."""

    def process_label(self, label: TextType) -> Text:
        return super().process_label(Text(label) if isinstance(label, str) else label)

    def show_view(self, view: EgoView | None, registry: Registry) -> None:
        """Fill the tree from ``view`` (``None``: no partner highlighted)."""
        self.clear()
        root = self.root
        if view is None:
            root.set_label(Text(_("No partner selected."), style="dim"))
            return
        root.set_label(
            Text.assemble(
                (clean_text(view.partner.name), "bold"),
                (f" ({kind_label(view.partner.kind)})", "dim"),
            )
        )
        held = _("yes") if view.articulation_point else _("no")
        root.add_leaf(Text(f"{_('Activities')}: {number(view.activities)}"))
        root.add_leaf(Text(f"{_('Holds a group together')}: {held}"))
        root.add_leaf(Text(f"{_('Betweenness')}: {number(view.betweenness)}"))
        pacts = root.add(Text(_("Pacts ({n})").format(n=len(view.pacts)), style="bold"))
        for ego_pact in view.pacts:
            pact = ego_pact.pact
            pact_type = registry.pact_type(pact.type)
            roles = ", ".join(role_label(pact_type, r) for r in ego_pact.roles)
            status = PactStatus.label_of(pact.status)
            label = Text.assemble(
                (clean_text(pact.code), "bold"),
                " ",
                clean_text(pact.title),
                (f" · {clean_text(roles)} · {status}", "dim"),
            )
            pacts.add_leaf(label, EgoNode("pact", pact.id))
        ties = root.add(Text(_("Ties ({n})").format(n=len(view.ties)), style="bold"))
        for tie in view.ties:
            detail = _("weight {weight} · pacts {pacts} · activities {activities}").format(
                weight=tie.weight, pacts=tie.pacts, activities=tie.activities
            )
            ties.add_leaf(
                Text.assemble(clean_text(tie.b.name), (f" · {detail}", "dim")),
                EgoNode("partner", tie.b.id),
            )
        root.expand_all()


# -- the screen ----------------------------------------------------------------------------


class NetworkScreen(PattiScreen):
    """Figures and bridging partners on the left, the partners and one partner's ego view
    on the right."""

    DEFAULT_CSS = """
    NetworkScreen #net-bar {
        height: 1;
        margin: 0 1;
    }
    NetworkScreen #net-title {
        width: 1fr;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    NetworkScreen #net-year {
        width: 28;
    }
    NetworkScreen #net-main {
        height: 1fr;
    }
    NetworkScreen #net-left, NetworkScreen #net-right {
        width: 1fr;
        height: 1fr;
    }
    NetworkScreen #net-figures {
        height: auto;
        border: round $primary;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
    }
    NetworkScreen .net-heading {
        height: 1;
        padding: 0 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    NetworkScreen #net-search {
        margin: 0 1;
    }
    NetworkScreen #net-ego {
        height: 1fr;
        border: round $primary;
        border-title-color: $text;
        border-title-style: bold;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "pick_year", N_("Year"), id="network.year"),
        Binding("slash", "focus_search", N_("Search"), id="network.search"),
        Binding("x", "export", N_("Export"), id="network.export"),
        Binding("escape", "clear_search", N_("Clear search"), show=False, id="network.clear"),
    ]

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.view: NetworkView | None = None
        self.ego: EgoView | None = None
        self._year: int | None = None
        self._default = True  # the first count picks the report's default year
        self._years: list[int] = []
        self._counting = False
        self._skip_refresh = False
        self._ego_wanted: tuple[int, int | None] | None = None
        self._ego_running = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="net-bar"):
            yield Static(id="net-title")
            # "All years" until the years with data are known (a Select with no blank needs
            # an option); changes made by the screen itself are not the operator's.
            yield Select[int](
                [(Text(_("All years")), ALL_YEARS)],
                allow_blank=False,
                id="net-year",
                compact=True,
            )
        with Horizontal(id="net-main"):
            with Vertical(id="net-left"):
                yield Static(id="net-figures")
                yield Static(id="net-bridges-title", classes="net-heading")
                yield PagedTable[int](
                    [
                        Column("partner", _("Partner")),
                        Column("betweenness", _("Betweenness")),
                    ],
                    id="net-bridges",
                )
                yield Static(id="net-ties-title", classes="net-heading")
                yield PagedTable[int](
                    [
                        Column("weight", _("Weight")),
                        Column("a", _("Partner")),
                        Column("b", _("Partner")),
                    ],
                    id="net-ties",
                )
            with Vertical(id="net-right"):
                yield Input(
                    placeholder=_("Search the network's partners…"), id="net-search", compact=True
                )
                yield PagedTable[int](
                    [
                        Column("name", _("Partner")),
                        Column("kind", _("Kind")),
                        Column("ties", _("Ties")),
                    ],
                    id="net-partners",
                )
                yield EgoTree(Text(_("No partner selected.")), id="net-ego")

    def on_mount(self) -> None:
        self.query_one("#net-title", Static).update(Content(_("Partner network")))
        self.query_one("#net-figures", Static).border_title = _("Figures")
        self.query_one("#net-ego", EgoTree).border_title = _("The partner's pacts and ties")
        self.partners_table.focus_table()
        self.refresh_data()

    @property
    def partners_table(self) -> PagedTable[int]:
        return self.query_one("#net-partners", PagedTable)

    # -- counting ------------------------------------------------------------------------

    def refresh_data(self) -> None:
        if self._skip_refresh:  # back from the export dialog: nothing changed
            self._skip_refresh = False
            return
        if not self._counting:
            self.count()

    def count(self) -> None:
        """Build and measure the chosen year's network in a worker."""
        self._counting = True
        self.query_one("#net-main").loading = True
        self._compute(self._year, self._default)

    @work(thread=True, exclusive=True, group="network", exit_on_error=False)
    def _compute(self, year: int | None, default: bool) -> NetworkView:
        return compute_network(self.registry, year, default=default)

    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.group == "network":
            self._network_finished(event.state, worker)
        elif worker.group == "ego":
            self._ego_finished(event.state, worker)

    def _network_finished(self, state: WorkerState, worker: Worker[Any]) -> None:
        if state is WorkerState.SUCCESS and isinstance(worker.result, NetworkView):
            self._counting = False
            self.show(worker.result)
        elif state is WorkerState.ERROR:
            self._counting = False
            self.query_one("#net-main").loading = False
            self._failed(_("The network could not be measured: {error}"), worker.error)

    def _failed(self, message: str, error: BaseException | None) -> None:
        # A failed count must not end the session: say it, keep the screen.
        self.notify(
            clean_text(message.format(error=error)), severity="error", timeout=10, markup=False
        )

    # -- showing -------------------------------------------------------------------------

    def show(self, view: NetworkView) -> None:
        self.view = view
        self._year, self._default = view.year, False
        self.query_one("#net-main").loading = False
        title = (
            _("Partner network of {year}").format(year=view.year)
            if view.year is not None
            else _("Partner network, all years")
        )
        self.query_one("#net-title", Static).update(Content(title))
        picker: Select[int] = self.query_one("#net-year", Select)
        value = view.year if view.year is not None else ALL_YEARS
        with picker.prevent(Select.Changed):
            if list(view.years) != self._years:
                self._years = list(view.years)
                picker.set_options(
                    [(Text(_("All years")), ALL_YEARS), *((Text(str(y)), y) for y in view.years)]
                )
            if picker.value != value:
                picker.value = value
        self.query_one("#net-figures", Static).update(figures_text(view.figures))
        self._show_bridges(view)
        self._show_ties(view)
        self._show_partners()

    def _show_bridges(self, view: NetworkView) -> None:
        self.query_one("#net-bridges-title", Static).update(
            Content(
                _("Bridging partners ({n}) · {mark} holds a group together").format(
                    n=len(view.bridges), mark=HOLDS
                )
            )
        )
        rows = view.bridges

        def cells(i: int) -> list[str | Text]:
            ref, score, holds = rows[i]
            return [
                short(f"{HOLDS if holds else ' '} {ref.name}", NAME_WIDTH + 2),
                Text(number(score), justify="right"),
            ]

        self.query_one("#net-bridges", PagedTable).set_rows(range(len(rows)), cells)

    def _show_ties(self, view: NetworkView) -> None:
        if view.year is not None:
            heading = _("New ties in {year} ({n})").format(year=view.year, n=len(view.ties))
        else:
            heading = _("Ties, strongest first ({n})").format(n=len(view.ties))
        self.query_one("#net-ties-title", Static).update(Content(heading))
        ties = view.ties

        def cells(i: int) -> list[str | Text]:
            tie = ties[i]
            return [
                Text(number(tie.weight), justify="right"),
                short(tie.a.name, NAME_WIDTH - 4),
                short(tie.b.name, NAME_WIDTH - 4),
            ]

        self.query_one("#net-ties", PagedTable).set_rows(range(len(ties)), cells)

    def _show_partners(self, keep: int | None = None) -> None:
        """The network's partners matching the search, keeping the highlighted one."""
        view = self.view
        if view is None:
            return
        words = fold(clean_text(self.query_one("#net-search", Input).value)).split()
        refs = {r.id: r for r in view.partners}
        keys = [r.id for r in view.partners if all(w in fold(r.name) for w in words)]

        def cells(pid: int) -> list[str | Text]:
            ref = refs[pid]
            return [
                # Half of a 120-column screen holds 55 cells of columns: name, kind
                # and "Ties"/"Legami" each with a cell of padding on both sides.
                short(ref.name, NAME_WIDTH),
                short(kind_label(ref.kind), 14),
                Text(number(view.degree.get(pid, 0)), justify="right"),
            ]

        table = self.partners_table
        table.set_rows(keys, cells, keep=keep if keep is not None else table.current())
        if not keys:
            self.want_ego(None)

    @on(PagedTable.Highlighted, "#net-partners")
    def _partner_highlighted(self, event: PagedTable.Highlighted) -> None:
        key = event.key
        self.want_ego(key if isinstance(key, int) else None)

    # -- the ego view --------------------------------------------------------------------

    def want_ego(self, partner_id: int | None) -> None:
        """Show ``partner_id``'s ego view: computed in a worker, one at a time."""
        if partner_id is None or self.view is None:
            self._ego_wanted = None
            self.ego = None
            self.query_one(EgoTree).show_view(None, self.registry)
            return
        self._ego_wanted = (partner_id, self.view.year)
        if not self._ego_running:
            self._start_ego(self._ego_wanted)

    def _start_ego(self, wanted: tuple[int, int | None]) -> None:
        self._ego_running = True
        self.query_one(EgoTree).loading = True
        self._compute_ego(*wanted)

    @work(thread=True, group="ego", exit_on_error=False)
    def _compute_ego(
        self, partner_id: int, year: int | None
    ) -> tuple[tuple[int, int | None], EgoView]:
        from patti.core.network import ego_view

        return (partner_id, year), ego_view(self.registry.store, partner_id, year)

    def _ego_finished(self, state: WorkerState, worker: Worker[Any]) -> None:
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self._ego_running = False
        wanted = self._ego_wanted
        tree = self.query_one(EgoTree)
        if state is WorkerState.ERROR:
            tree.loading = False
            self._failed(_("The partner's ties could not be computed: {error}"), worker.error)
            return
        result = worker.result
        if not isinstance(result, tuple):
            return
        done, view = result
        if wanted is not None and done != wanted:
            self._start_ego(wanted)  # the operator moved on meanwhile: the latest one next
            return
        tree.loading = False
        if wanted is not None:
            self.ego = view
            tree.show_view(view, self.registry)

    @on(Tree.NodeSelected, "#net-ego")
    def _ego_selected(self, event: Tree.NodeSelected[EgoNode]) -> None:
        """Enter on a tie: walk over to that partner."""
        node = event.node.data
        if node is not None and node.kind == "partner":
            self.reveal(node.id)

    def reveal(self, partner_id: int) -> None:
        """Highlight ``partner_id`` in the list of partners (clearing a search hiding it)."""
        search = self.query_one("#net-search", Input)
        if search.value and partner_id not in self.partners_table.keys:
            with search.prevent(Input.Changed):
                search.value = ""
        self._show_partners(keep=partner_id)
        self.partners_table.focus_table()

    # -- search, year, export --------------------------------------------------------------

    @on(Input.Changed, "#net-search")
    def _searched(self, event: Input.Changed) -> None:
        typed = without_controls(event.value)
        if typed != event.value:  # pasted escape sequences must not reach the screen
            event.input.value = typed
            return
        self._show_partners()

    @on(Input.Submitted, "#net-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.partners_table.focus_table()

    @on(Select.Changed, "#net-year")
    def _year_changed(self, event: Select.Changed) -> None:
        if self.view is None or not isinstance(event.value, int):
            return
        year = None if event.value == ALL_YEARS else event.value
        if self.view is not None and year == self.view.year:
            return
        self._year, self._default = year, False
        self.count()

    def action_pick_year(self) -> None:
        picker = self.query_one("#net-year", Select)
        picker.focus()
        picker.expanded = True

    def action_focus_search(self) -> None:
        self.query_one("#net-search", Input).focus()

    def action_clear_search(self) -> None:
        self.query_one("#net-search", Input).value = ""
        self.partners_table.focus_table()

    def action_export(self) -> None:
        """``x``: the network to a file (GraphML for Gephi and yEd, or JSON)."""
        view = self.view
        if view is None or self._counting:
            self.notify(_("The network is still being measured."), markup=False)
            return
        exporters = formats_or_notify(self, self.registry.plugins, "network")
        if exporters is None:
            return
        self._skip_refresh = True
        dialog = ExportDialog(self.registry, exporters, view.year, subject="network")
        self.app.push_screen(dialog, self._exported)

    def _exported(self, done: ExportDone | None) -> None:
        if done is not None:
            self.notify(clean_text(done.message()), title=_("Exported"), markup=False)


def figures_text(figures: NetworkFigures) -> Content:
    """The figures, one a line, labels aligned."""
    rows = figure_rows(figures)
    width = max(len(label) for label, _value in rows)
    lines: Iterable[str] = (f"{label.ljust(width)}  {value:>8}" for label, value in rows)
    return Content("\n".join(lines))
