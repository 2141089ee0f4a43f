"""The dashboard: the current year at a glance, and what needs the operator's attention.

"Today" is :meth:`Registry.today` (the demo store has its own date) and the
current year is its year. The year's figures come from
:func:`patti.core.reports.annual_report`, so the dashboard and the annual
report never disagree on what "active" or "involved" means. Counting reads
the whole store, so it runs in a worker thread while a loading indicator
shows: the screen stays responsive at province scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.numbers import format_decimal
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from patti.core.dates import format_date, format_datetime
from patti.core.i18n import _, current_language, ngettext
from patti.core.model import Activity, ActivityStatus, PactStatus
from patti.core.privacy import retention_due
from patti.core.reports import AnnualReport, annual_report
from patti.core.services import ActivityQuery, Registry
from patti.core.text import clean_text

from ..widgets.pact_detail import activity_counts
from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen

ENDING_WITHIN = 30
"""Days ahead in which an active pact's end date asks for a decision (conclude or continue)."""

UPCOMING_SHOWN = 3
"""Activities of this week and next listed by name; the rest are counted."""


def more_text(n: int) -> str:
    """ "… and 2 more" (one more in the singular: Italian agrees in number)."""
    return ngettext("… and {n} other", "… and {n} others", n).format(n=n)


@dataclass(frozen=True)
class Attention:
    """One thing to look at: what kind, when, which record, and where to go for it."""

    kind: str
    day: date | None
    text: str
    mode: str
    record_id: int

    @property
    def label(self) -> str:
        labels = {
            "draft": _("Draft waiting"),
            "proposed": _("Proposal waiting"),
            "ending": _("Ends within {days} days").format(days=ENDING_WITHIN),
            "unrecorded": _("Not recorded yet"),
            "retention": _("Past retention"),
        }
        return labels.get(self.kind, self.kind)


@dataclass(frozen=True)
class Glance:
    """Everything the dashboard shows, counted in one go off the UI thread."""

    today: date
    report: AnnualReport
    this_week: list[Activity]
    next_week: list[Activity]
    attention: list[Attention]

    @property
    def year(self) -> int:
        return self.today.year


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def attention_items(registry: Registry, today: date) -> list[Attention]:
    """Drafts and proposals waiting, active pacts ending soon, past activities still
    planned, and contacts kept past their retention date, in that order."""
    pacts = registry.list_pacts()
    items = [
        Attention(p.status.value, p.start, f"{p.code} · {p.title}", "pacts", p.id or 0)
        for status in (PactStatus.DRAFT, PactStatus.PROPOSED)
        for p in pacts
        if p.status is status
    ]
    horizon = today + timedelta(days=ENDING_WITHIN)
    ending = [
        p
        for p in pacts
        if p.status is PactStatus.ACTIVE and p.end is not None and today <= p.end <= horizon
    ]
    items.extend(
        Attention("ending", p.end, f"{p.code} · {p.title}", "pacts", p.id or 0)
        for p in sorted(ending, key=lambda p: (p.end or today, p.code))
    )
    codes = {p.id: p.code for p in pacts}
    # Activities of a cancelled pact can no longer be recorded: they are no task.
    cancelled = {p.id for p in pacts if p.status is PactStatus.CANCELLED}
    past = registry.list_activities(
        ActivityQuery(status=ActivityStatus.PLANNED, date_to=today - timedelta(days=1))
    )
    items.extend(
        Attention(
            "unrecorded",
            a.starts_at.date(),
            f"{a.title} ({codes.get(a.pact_id, '?')})",
            "activities",
            a.id or 0,
        )
        for a in reversed(past)  # the most recent first: those are the ones to record now
        if a.pact_id not in cancelled
    )
    items.extend(
        Attention(
            "retention",
            held.contact.retention_until,
            f"{held.contact.name} ({held.partner_name})",
            "partners",
            held.partner_id,
        )
        for held in retention_due(registry, today)
    )
    return items


def glance(registry: Registry) -> Glance:
    """Count everything the dashboard shows (reads the whole store: run it in a worker)."""
    today = registry.today()
    report = annual_report(registry.store, today.year, plugins=registry.plugins, sections=False)
    this_monday, this_sunday = week_of(today)
    next_monday, next_sunday = week_of(this_monday + timedelta(days=7))
    return Glance(
        today=today,
        report=report,
        this_week=registry.list_activities(
            ActivityQuery(date_from=this_monday, date_to=this_sunday)
        ),
        next_week=registry.list_activities(
            ActivityQuery(date_from=next_monday, date_to=next_sunday)
        ),
        attention=attention_items(registry, today),
    )


class DashboardScreen(PattiScreen):
    """Panels with the year's figures, and the attention list: Enter goes to the item."""

    DEFAULT_CSS = """
    DashboardScreen #dash-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    DashboardScreen #dash-panels {
        height: auto;
        min-height: 5;
    }
    DashboardScreen .dash-panel {
        width: 1fr;
        height: 10;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        border: round $primary;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
    }
    DashboardScreen #dash-activities {
        width: 2fr;
    }
    DashboardScreen #dash-attention-title {
        height: 1;
        padding: 0 1;
        margin-top: 1;
        text-style: bold;
    }
    DashboardScreen #dash-attention {
        height: 1fr;
    }
    """

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        self.glance: Glance | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="dash-title")
        with Horizontal(id="dash-panels"):
            yield Static(id="dash-pacts", classes="dash-panel")
            yield Static(id="dash-partners", classes="dash-panel")
            yield Static(id="dash-activities", classes="dash-panel")
        yield Static(id="dash-attention-title")
        yield PagedTable[Attention](
            [
                Column("what", _("What")),
                Column("when", _("When")),
                Column("item", _("Item")),
            ],
            id="dash-attention",
        )

    @property
    def attention_table(self) -> PagedTable[Attention]:
        return self.query_one("#dash-attention", PagedTable)

    def on_mount(self) -> None:
        self.query_one("#dash-pacts", Static).border_title = _("Pacts")
        self.query_one("#dash-partners", Static).border_title = _("Partners")
        self.query_one("#dash-activities", Static).border_title = _("Activities")
        self.refresh_data()
        self.attention_table.focus_table()

    def refresh_data(self) -> None:
        """Count again (the operator may have changed things on another screen)."""
        self.query_one("#dash-panels").loading = True
        self.attention_table.loading = True
        self._count()

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def _count(self) -> Glance:
        return glance(self.registry)

    @on(Worker.StateChanged)
    def _counted(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.group != "dashboard":
            return
        if event.state is WorkerState.SUCCESS and isinstance(worker.result, Glance):
            self.show(worker.result)
        elif event.state is WorkerState.ERROR:
            self.query_one("#dash-panels").loading = False
            self.attention_table.loading = False
            # A failed count must not end the operator's session: say it, keep the screen.
            self.notify(
                clean_text(
                    _("The dashboard could not be counted: {error}").format(error=worker.error)
                ),
                severity="error",
                timeout=10,
                markup=False,
            )

    # -- drawing ------------------------------------------------------------------------

    def show(self, seen: Glance) -> None:
        self.glance = seen
        self.query_one("#dash-panels").loading = False
        self.attention_table.loading = False
        self.query_one("#dash-title", Static).update(
            Content(
                _("The year {year} at a glance · today is {today}").format(
                    year=seen.year, today=format_date(seen.today)
                )
            )
        )
        self.query_one("#dash-pacts", Static).update(pacts_panel(seen))
        self.query_one("#dash-partners", Static).update(partners_panel(seen))
        self.query_one("#dash-activities", Static).update(activities_panel(seen))
        counts: dict[str, int] = {}
        labels: dict[str, str] = {}
        for item in seen.attention:
            counts[item.kind] = counts.get(item.kind, 0) + 1
            labels.setdefault(item.kind, item.label)
        summary = " · ".join(f"{labels[kind]}: {n}" for kind, n in counts.items())
        if summary:
            heading = _("Needs attention: {n}").format(n=len(seen.attention))
            heading = f"{heading} ({summary}) · " + _("Enter: open")
        else:
            heading = _("Nothing needs attention.")
        self.query_one("#dash-attention-title", Static).update(Content(heading))
        keep = self.attention_table.current()
        self.attention_table.set_rows(seen.attention, _attention_cells, keep=keep)

    @on(PagedTable.Selected)
    async def _open(self, event: PagedTable.Selected) -> None:
        """Enter on an item: go to its screen, and to the item there if the screen can."""
        item = event.key
        if event.table.id != "dash-attention" or not isinstance(item, Attention):
            return
        if item.mode not in self.app._modes:
            self.notify(_("That screen is not available yet."), markup=False)
            return
        await self.app.switch_mode(item.mode)
        reveal: Callable[[int], object] | None = getattr(self.app.screen, "reveal", None)
        if callable(reveal):
            reveal(item.record_id)


def _attention_cells(item: Attention) -> list[str | Text]:
    return [Text(item.label), Text(format_date(item.day)), Text(item.text)]


def _lines(*parts: str | tuple[str, str]) -> Content:
    return Content.assemble(*parts)


def pacts_panel(seen: Glance) -> Content:
    """The year's pacts by status (every pact whose year it is), and how many run in it."""
    registered = seen.report.pacts.registered
    parts: list[str | tuple[str, str]] = [
        (_("Pacts of {year}: {n}").format(year=seen.year, n=registered.count), "bold"),
        "\n",
    ]
    for status in PactStatus:
        parts.append(f"  {status.label}: {registered.by_status.get(status.value, 0)}\n")
    parts.append(
        (
            _("Running in {year}: {n}").format(year=seen.year, n=seen.report.pacts.active.count),
            "bold",
        )
    )
    return _lines(*parts)


def partners_panel(seen: Glance) -> Content:
    """Partners involved this year against last year."""
    p = seen.report.partners
    change = ""
    if p.growth_percent is not None:
        signed = format_decimal(p.growth_percent, "+#,##0.0;-#,##0.0", locale=current_language())
        change = f" ({signed}%)"
    return _lines(
        (_("Involved in {year}: {n}").format(year=seen.year, n=p.involved), "bold"),
        "\n",
        _("In {year}: {n}").format(year=p.previous_year, n=p.previous_involved) + change,
        "\n",
        _("New: {n}").format(n=p.new),
        "\n",
        _("Returning: {n}").format(n=p.returning),
        "\n",
        _("Informal groups: {n}").format(n=p.informal_groups),
    )


def _week_line(label: str, first: date, activities: list[Activity]) -> str:
    """A week and how many activities it holds (cancelled ones do not count)."""
    live = sum(1 for a in activities if a.status is not ActivityStatus.CANCELLED)
    return _("{label} ({first} – {last}): {n}").format(
        label=label,
        first=format_date(first),
        last=format_date(first + timedelta(days=6)),
        n=live,
    )


def activities_panel(seen: Glance) -> Content:
    """This week and next (with the first few by name), then the year's totals."""
    this_monday, _sunday = week_of(seen.today)
    parts: list[str | tuple[str, str]] = [
        (_week_line(_("This week"), this_monday, seen.this_week), "bold"),
        "\n",
        (_week_line(_("Next week"), this_monday + timedelta(days=7), seen.next_week), "bold"),
        "\n",
    ]
    upcoming = [
        a for a in seen.this_week + seen.next_week if a.status is not ActivityStatus.CANCELLED
    ]
    for activity in upcoming[:UPCOMING_SHOWN]:
        parts.extend([(f"  {format_datetime(activity.starts_at)} ", "dim"), activity.title, "\n"])
    if len(upcoming) > UPCOMING_SHOWN:
        parts.extend([("  " + more_text(len(upcoming) - UPCOMING_SHOWN), "dim"), "\n"])
    figures = seen.report.activities
    parts.append(
        _("In {year}: {counts}").format(
            year=seen.year,
            counts=activity_counts(figures.done, figures.planned, figures.cancelled),
        )
    )
    parts.extend(
        ["\n", _("Attendance in {year}: {n}").format(year=seen.year, n=figures.attendance)]
    )
    return _lines(*parts)
