"""The annual report on screen: a year, its account, its figures, and charts of all years.

What the screen shows is what the exported files hold: the figures are the
titled tables of :mod:`patti.plugins.exporters.tables` built on the same
:class:`~patti.core.exporters.ExportContext` that ``patti report`` renders,
with the same words and number formats, so a figure read here is the figure
in the Markdown, HTML, CSV and Excel files. The account is
:func:`patti.core.reports.narrative` in the interface's language. Counting
reads the whole store (and measures the network), so it runs in a worker
while a loading indicator shows; ``x`` writes the year's report to a file
through :class:`~patti.tui.dialogs.export.ExportDialog`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import ContentSwitcher, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState
from textual_plotext import PlotextPlot

from patti.core.exporters import ExportContext
from patti.core.exporters import export_context as make_context
from patti.core.i18n import N_, _, current_language
from patti.core.reports import ReportSeries
from patti.core.services import Registry
from patti.core.text import clean_text
from patti.plugins.exporters.charts import axis_step
from patti.plugins.exporters.tables import Cell, Table, display, notes, report_tables

from ..dialogs.export import ExportDialog, ExportDone, formats_or_notify
from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen

__all__ = ["ReportScreen", "ReportTable", "ReportView", "compute_report", "default_year"]

BRIEF = "brief"
CHARTS = "charts"
TYPES = "sections"
"""Keys of the sections that are not tables (tables are listed under their own key)."""


def default_year(series: ReportSeries, today: date) -> int:
    """The year a report opens on: this year once a pact has been activated in it, else the
    latest year with pacts activated (in January, last year's report is the one to write),
    else this year."""
    activated = [r.year for r in series.reports if r.pacts.activated.count]
    if today.year in activated or not activated:
        return today.year
    return activated[-1]


@dataclass(frozen=True)
class ReportView:
    """One year's report as the screen shows it, computed off the UI thread."""

    year: int
    years: tuple[int, ...]
    """Years with data, newest first (the year shown among them): the year picker's."""
    context: ExportContext
    tables: tuple[Table, ...]
    notes: tuple[str, ...]
    narrative: tuple[str, ...]


def compute_report(registry: Registry, year: int | None = None) -> ReportView:
    """Everything the screen shows of ``year`` (``None``: :func:`default_year`), from the
    same context an export of that year renders (reads the whole store: run it in a
    worker)."""
    today = registry.today()

    def context_of(chosen: int) -> ExportContext:
        return make_context(
            registry.store,
            chosen,
            language=current_language(),
            plugins=registry.plugins,
            created=today,
        )

    context = context_of(year if year is not None else today.year)
    if year is None:
        chosen = default_year(context.series, today)
        if chosen != context.year:
            context = context_of(chosen)
    assert context.year is not None
    tables = tuple(report_tables(context, sections=False))
    years = sorted({*context.series.years, context.year}, reverse=True)
    return ReportView(
        year=context.year,
        years=tuple(years),
        context=context,
        tables=tables,
        notes=tuple(notes(context)),
        narrative=context.narrative,
    )


def _numeric(cell: Cell) -> bool:
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


class ReportTable(PagedTable[int]):
    """One of the report's tables at a time: its columns change with the table shown."""

    def show_table(self, table: Table, context: ExportContext) -> None:
        """Show ``table``, cells written as the exported files write them."""
        grid = self.table
        grid.clear(columns=True)
        self.columns = [Column(f"c{i}", label) for i, label in enumerate(table.columns)]
        for column in self.columns:
            grid.add_column(Text(column.label), key=column.key)

        def cells(row: int) -> list[str | Text]:
            return [
                Text(display(context, c), justify="right" if _numeric(c) else "left")
                for c in table.rows[row]
            ]

        self.set_rows(range(len(table.rows)), cells)


class ReportScreen(PattiScreen):
    """The year picker, the sections of the report on the left, the chosen one on the right."""

    DEFAULT_CSS = """
    ReportScreen #report-bar {
        height: 1;
        margin: 0 1;
    }
    ReportScreen #report-title {
        width: 1fr;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ReportScreen #report-year {
        width: 24;
    }
    ReportScreen #report-main {
        height: 1fr;
    }
    ReportScreen #report-sections {
        width: 32;
        height: 1fr;
    }
    ReportScreen #report-pane {
        width: 1fr;
        height: 1fr;
    }
    ReportScreen #report-pane > * {
        height: 1fr;
    }
    ReportScreen .report-text {
        padding: 0 2;
    }
    ReportScreen #report-charts {
        grid-size: 2 2;
        grid-gutter: 1 2;
        padding: 0 1;
    }
    ReportScreen #chart-change {
        column-span: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "pick_year", N_("Year"), id="report.year"),
        Binding("x", "export", N_("Export"), id="report.export"),
        Binding("escape", "focus_sections", N_("Sections"), show=False, id="report.sections"),
    ]

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.view: ReportView | None = None
        self._year: int | None = None  # the year asked for; None: the default one
        self._section = BRIEF
        self._counting = False
        self._skip_refresh = False
        self._years: list[int] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="report-bar"):
            yield Static(id="report-title")
            # A placeholder until the years with data are known (a Select with no blank
            # needs an option); changes made by the screen itself are not the operator's.
            year = self.registry.today().year
            yield Select[int](
                [(Text(str(year)), year)], allow_blank=False, id="report-year", compact=True
            )
        with Horizontal(id="report-main"):
            yield OptionList(id="report-sections")
            with ContentSwitcher(initial="report-brief", id="report-pane"):
                with VerticalScroll(id="report-brief"):
                    yield Static(id="report-brief-text", classes="report-text")
                with Grid(id="report-charts"):
                    yield PlotextPlot(id="chart-pacts")
                    yield PlotextPlot(id="chart-partners")
                    yield PlotextPlot(id="chart-change")
                yield ReportTable([], id="report-table")
                with VerticalScroll(id="report-types"):
                    yield Static(id="report-types-text", classes="report-text")

    def on_mount(self) -> None:
        self.query_one("#report-title", Static).update(Content(_("Annual report")))
        self.query_one("#report-sections", OptionList).focus()
        self.refresh_data()

    # -- counting ------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Count the year again (the operator may have changed things elsewhere)."""
        if self._skip_refresh:  # back from the export dialog: nothing changed
            self._skip_refresh = False
            return
        if not self._counting:
            self.count(self._year)

    def count(self, year: int | None) -> None:
        """Compute ``year``'s report in a worker; the screen shows it when done."""
        self._counting = True
        self.query_one("#report-main").loading = True
        self._compute(year)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _compute(self, year: int | None) -> ReportView:
        return compute_report(self.registry, year)

    @on(Worker.StateChanged)
    def _computed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.group != "report":
            return
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, ReportView):
            self._counting = False
            self.show(worker.result)
            # A pact type whose section raised was disabled: the notes say so, and the app
            # tells the operator as it does for any plugin that fails.
            report_failures = getattr(self.app, "report_plugin_failures", None)
            if worker.result.context.report.failures and callable(report_failures):
                report_failures()
        elif event.state is WorkerState.ERROR:
            self._counting = False
            self.query_one("#report-main").loading = False
            # A failed count must not end the session: say it, keep the screen.
            self.notify(
                clean_text(
                    _("The report could not be counted: {error}").format(error=worker.error)
                ),
                severity="error",
                timeout=10,
                markup=False,
            )

    # -- showing -------------------------------------------------------------------------

    def show(self, view: ReportView) -> None:
        """Draw ``view``: title, year picker, the list of sections, the current section."""
        self.view = view
        self._year = view.year
        self.query_one("#report-main").loading = False
        gettext = view.context.gettext
        self.query_one("#report-title", Static).update(
            Content(gettext("Annual report {year}: community pacts").format(year=view.year))
        )
        picker: Select[int] = self.query_one("#report-year", Select)
        with picker.prevent(Select.Changed):
            if list(view.years) != self._years:
                self._years = list(view.years)
                picker.set_options([(Text(str(y)), y) for y in view.years])
            if picker.value != view.year:
                picker.value = view.year
        sections = self.query_one("#report-sections", OptionList)
        entries = self.sections(view)
        keys = [key for key, _label in entries]
        if self._section not in keys:
            self._section = BRIEF
        sections.set_options(Option(Text(label), id=key) for key, label in entries)
        sections.highlighted = keys.index(self._section)
        self.show_section(self._section)

    def sections(self, view: ReportView) -> list[tuple[str, str]]:
        """The sections' keys and names: the account, the charts, each table, the pact
        types' sections (in the order of the Markdown file, charts second)."""
        gettext = view.context.gettext
        entries = [(BRIEF, gettext("The year in brief")), (CHARTS, _("Charts"))]
        entries += [(t.key, t.title) for t in view.tables]
        entries.append((TYPES, gettext("Pact type sections")))
        return entries

    def show_section(self, key: str) -> None:
        """Put the section ``key`` in the pane on the right."""
        view = self.view
        if view is None:
            return
        self._section = key
        switcher = self.query_one("#report-pane", ContentSwitcher)
        table = next((t for t in view.tables if t.key == key), None)
        if table is not None:
            self.query_one(ReportTable).show_table(table, view.context)
            switcher.current = "report-table"
        elif key == CHARTS:
            draw_charts(self, view)
            switcher.current = "report-charts"
        elif key == TYPES:
            self.query_one("#report-types-text", Static).update(types_text(view))
            switcher.current = "report-types"
        else:
            self.query_one("#report-brief-text", Static).update(brief_text(view))
            switcher.current = "report-brief"

    @on(OptionList.OptionHighlighted, "#report-sections")
    def _section_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self._section:
            self.show_section(event.option.id)

    @on(OptionList.OptionSelected, "#report-sections")
    def _section_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a section: into it (the table's rows, or the text to scroll)."""
        if event.option.id is not None:
            self.show_section(event.option.id)
        current = self.query_one("#report-pane", ContentSwitcher).current
        if current == "report-table":
            self.query_one(ReportTable).focus_table()
        elif current is not None:
            self.query_one(f"#{current}").focus()

    @on(Select.Changed, "#report-year")
    def _year_changed(self, event: Select.Changed) -> None:
        if self.view is not None and isinstance(event.value, int) and event.value != self.view.year:
            self._year = event.value
            self.count(event.value)

    # -- actions -------------------------------------------------------------------------

    def action_pick_year(self) -> None:
        picker = self.query_one("#report-year", Select)
        picker.focus()
        picker.expanded = True

    def action_focus_sections(self) -> None:
        self.query_one("#report-sections", OptionList).focus()

    def action_export(self) -> None:
        """``x``: the year's report to a file, in a format the plugins offer."""
        view = self.view
        if view is None or self._counting:
            self.notify(_("The report is still being counted."), markup=False)
            return
        exporters = formats_or_notify(self, self.registry.plugins, "report")
        if exporters is None:
            return
        self._skip_refresh = True
        self.app.push_screen(ExportDialog(self.registry, exporters, view.year), self._exported)

    def _exported(self, done: ExportDone | None) -> None:
        if done is not None:
            self.notify(clean_text(done.message()), title=_("Exported"), markup=False)


# -- the sections' text ----------------------------------------------------------------------


def brief_text(view: ReportView) -> Content:
    """The notes, then the account's paragraphs, as plain text (pact titles are data)."""
    gettext = view.context.gettext
    parts: list[str | tuple[str, str]] = [(gettext("The year in brief"), "bold"), "\n\n"]
    for note in view.notes:
        parts += [(f"! {note}", "italic"), "\n\n"]
    parts += ["\n\n".join(clean_text(p) for p in view.narrative)]
    return Content.assemble(*parts)


def types_text(view: ReportView) -> Content:
    """Each active pact's section from its pact type: title, lines, figures."""
    context = view.context
    sections = context.report.sections
    if not sections:
        return Content(context.gettext("None."))
    parts: list[str | tuple[str, str]] = []
    for section in sections:
        parts += [(clean_text(f"{section.pact_code}: {section.title}"), "bold"), "\n"]
        parts += [f"  • {clean_text(line)}\n" for line in section.lines]
        for key, value in section.figures.items():
            parts += [(f"  {clean_text(key)}: ", "dim"), display(context, value), "\n"]
        parts.append("\n")
    return Content.assemble(*parts)


def draw_charts(screen: ReportScreen, view: ReportView) -> None:
    """Pacts, partners, and new against returning partners for every year: the charts of
    the HTML report, drawn in the terminal."""
    context = view.context
    gettext = context.gettext
    reports = context.series.reports
    years = [str(r.year) for r in reports]
    charts: list[tuple[str, str, list[tuple[str, list[int]]], bool]] = [
        (
            "#chart-pacts",
            gettext("Pacts per year"),
            [
                (gettext("Pacts activated"), [r.pacts.activated.count for r in reports]),
                (gettext("Pacts active"), [r.pacts.active.count for r in reports]),
            ],
            False,
        ),
        (
            "#chart-partners",
            gettext("Partners involved per year"),
            [(gettext("Partners involved"), [r.partners.involved for r in reports])],
            False,
        ),
        (
            "#chart-change",
            gettext("New and returning partners per year"),
            [
                (gettext("Returning partners"), [r.partners.returning for r in reports]),
                (gettext("New partners"), [r.partners.new for r in reports]),
            ],
            True,
        ),
    ]
    for selector, title, series, stacked in charts:
        widget = screen.query_one(selector, PlotextPlot)
        _bars(widget, context, title, years, series, stacked)
        widget.refresh()


def _bars(
    widget: PlotextPlot,
    context: ExportContext,
    title: str,
    years: Sequence[str],
    series: Sequence[tuple[str, list[int]]],
    stacked: bool,
) -> None:
    plt = widget.plt
    plt.clear_figure()
    plt.title(clean_text(title))
    if not years:
        return
    values = [v for _label, vs in series for v in vs]
    tallest = (
        max(sum(vs[i] for _label, vs in series) for i in range(len(years)))
        if stacked
        else max(values, default=0)
    )
    # Room above the tallest bar for the legend, and whole numbers on the axis.
    step = axis_step(tallest * 1.3)
    top = step * 4
    labels = [clean_text(label) for label, _vs in series]
    data = [vs for _label, vs in series]
    # plotext takes ``labels`` for grouped bars; textual-plotext's stubs say ``label``.
    legend: dict[str, Any] = {"labels": labels}
    if stacked:
        plt.stacked_bar(list(years), data, **legend)
    elif len(series) > 1:
        plt.multiple_bar(list(years), data, **legend)
    else:
        plt.bar(list(years), data[0], label=labels[0])
    plt.ylim(0, top)
    ticks = list(range(0, top + 1, step))
    plt.yticks([float(t) for t in ticks], [display(context, t) for t in ticks])
