"""The agenda: a pact's activities by week or by month, to read, record, add, change
and delete (``n``, ``e``, ``d``: one activity at a time; the planner makes programmes).

Operators plan visits and meetings weeks ahead and record them afterwards,
so the screen shows one period at a time (``w`` a week, ``m`` a month,
arrows or ``,``/``.`` to move, ``t`` back to today) rather than every
activity ever held. Only the period's activities are read from the store,
and the list is a :class:`PagedTable`, so a busy month at province scale
stays instant.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

from babel.dates import format_date as babel_format_date
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.widgets import Select, Static

from patti.core.dates import format_date, format_datetime
from patti.core.errors import NotFoundError, PattiError
from patti.core.i18n import N_, _, current_language
from patti.core.model import Activity, ActivityStatus, PartnerKind, activity_kind_label
from patti.core.services import ActivityQuery, Registry
from patti.core.text import clean_text

from ..dialogs.activity_editor import ActivityEditor
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.record_activity import RecordActivityDialog
from ..widgets.pact_picker import PactPicker
from ..widgets.paged_table import Column, PagedTable
from .base import PattiScreen

View = Literal["week", "month"]


@dataclass(frozen=True)
class Period:
    """The days an agenda page covers, both included."""

    view: View
    first: date
    last: date

    @classmethod
    def around(cls, view: View, day: date) -> Period:
        """The week (Monday to Sunday, as in Italy) or the month that holds ``day``."""
        if view == "week":
            monday = day - timedelta(days=day.weekday())
            return cls(view, monday, monday + timedelta(days=6))
        first = day.replace(day=1)
        return cls(view, first, _next_month(first) - timedelta(days=1))

    def step(self, steps: int) -> Period:
        """The period ``steps`` weeks or months away (negative: back)."""
        if self.view == "week":
            return Period.around("week", self.first + timedelta(weeks=steps))
        month = self.first
        for _step in range(abs(steps)):
            month = _next_month(month) if steps > 0 else _previous_month(month)
        return Period.around("month", month)

    def title(self) -> str:
        """``Week 52 · 27/12/2021 – 02/01/2022`` or ``January 2022``, in the UI language."""
        if self.view == "week":
            return _("Week {number} · {first} – {last}").format(
                number=self.first.isocalendar().week,
                first=format_date(self.first),
                last=format_date(self.last),
            )
        name = babel_format_date(self.first, "LLLL yyyy", locale=current_language())
        return name[:1].upper() + name[1:]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _previous_month(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


PERIOD = Binding.Group(N_("Period"))
"""The footer's one entry for the previous and next period."""


def _localise_groups(node: DOMNode) -> None:
    """Translate the footer labels of ``node``'s binding groups (as ``localise_bindings``
    does for descriptions, which leaves groups alone)."""
    bindings = node._bindings
    for key, group in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            dataclasses.replace(
                b, group=dataclasses.replace(b.group, description=_(b.group.description))
            )
            if b.group is not None
            else b
            for b in group
        ]


def _clip(text: str, width: int) -> str:
    """A table cell short enough that every column fits; the detail pane has it all."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class AgendaScreen(PattiScreen):
    """The activities of one week or month, filterable, with the highlighted one in detail."""

    DEFAULT_CSS = """
    AgendaScreen #agenda-period {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    AgendaScreen #agenda-filters {
        height: auto;
        padding: 0 1;
    }
    AgendaScreen #agenda-filters > Select, AgendaScreen #agenda-filters > PactPicker {
        width: 1fr;
        margin-right: 1;
    }
    AgendaScreen #agenda-filters SelectCurrent #label {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    AgendaScreen #agenda-table {
        height: 1fr;
    }
    AgendaScreen #agenda-detail-scroll {
        height: 12;
        border-top: solid $primary;
    }
    AgendaScreen #agenda-detail {
        padding: 0 1;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows the two arrows as one "Period" entry, and leaves "today" and
        # "filters" to F1 and the palette: with add, edit and delete it would not fit 120
        # columns in Italian.
        Binding(
            "left,comma",
            "step(-1)",
            N_("Previous"),
            priority=True,
            group=PERIOD,
            id="agenda.previous",
        ),
        Binding(
            "right,full_stop", "step(1)", N_("Next"), priority=True, group=PERIOD, id="agenda.next"
        ),
        Binding("w", "view('week')", N_("Week"), id="agenda.week"),
        Binding("m", "view('month')", N_("Month"), id="agenda.month"),
        Binding("t", "today", N_("Today"), show=False, id="agenda.today"),
        Binding("r", "record", N_("Record"), id="agenda.record"),
        Binding("n", "new_activity", N_("Add"), id="agenda.new"),
        Binding("e", "edit_activity", N_("Edit"), id="agenda.edit"),
        Binding("d", "delete_activity", N_("Delete"), id="agenda.delete"),
        Binding("delete", "delete_activity", N_("Delete"), show=False, id="agenda.delete-key"),
        Binding("f", "focus_filters", N_("Filters"), show=False, id="agenda.filters"),
        Binding("escape", "focus_list", N_("Back to the list"), show=False, id="agenda.list"),
    ]
    EDIT_ACTIONS = frozenset({"record", "new_activity", "edit_activity", "delete_activity"})
    #: The list has the keys from the start (not the first input, as Textual would give
    #: it): the footer is then built once, for the list's keys.
    AUTO_FOCUS = "#agenda-table > DataTable"

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry)
        _localise_groups(self)
        self.period = Period.around("week", registry.today())
        self._activities: dict[int, Activity] = {}
        self._names: dict[int, str] = {}
        self._choices_at = -1  # the store version the filters were filled at
        # The store version and day the rows were read at: shown again with both the same,
        # the rows on screen are still right (a week at province scale is ~700 activities).
        self._loaded: tuple[int, date] | None = None

    # -- layout ---------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="agenda-period")
        with Horizontal(id="agenda-filters"):
            yield PactPicker(
                self.registry.pact_index(),
                placeholder=_("All pacts (type to search)"),
                id="filter-pact",
            )
            yield Select[int]([], prompt=_("All schools"), compact=True, id="filter-school")
            yield Select[int](
                [], prompt=_("All associations"), compact=True, id="filter-association"
            )
        yield PagedTable[int](
            [
                Column("when", _("When")),
                Column("title", _("Title")),
                Column("place", _("Place")),
                Column("audience", _("Audience")),
                Column("status", _("Status")),
            ],
            id="agenda-table",
        )
        with VerticalScroll(id="agenda-detail-scroll"):
            yield Static(id="agenda-detail")

    @property
    def table(self) -> PagedTable[int]:
        return self.query_one("#agenda-table", PagedTable)

    def on_mount(self) -> None:
        self._load_choices()
        self.load()
        self.table.focus_table()

    def refresh_data(self) -> None:
        if self._loaded == (self.registry.store.version, self.registry.today()):
            return  # nothing was saved since the rows were read (nor has the day changed)
        self._load_choices()
        self.load(keep=self.table.current())

    def on_screen_resume(self) -> None:
        """Back from a dialog (or another screen): the list has the keys again, wherever
        the focus was (the detail pane, a filter), so ↓ moves the cursor at once."""
        if self.is_mounted:
            self.table.focus_table()

    # -- reading the store ----------------------------------------------------------

    def _load_choices(self) -> None:
        """Fill the school and association filters; a choice that no longer exists falls
        back to "all" (the pact filter searches the pacts as the operator types).

        Options are ``Text`` (never markup), which Select's type-to-search can match."""
        store = self.registry.store
        if self._choices_at == store.version:
            return  # nothing changed since
        self._choices_at = store.version
        self._names.clear()
        self.query_one(PactPicker).sync(store.pacts.raw_by_id())
        schools = store.partners.raw_where("kind", PartnerKind.SCHOOL.value)
        associations = store.partners.raw_where("kind", PartnerKind.ASSOCIATION.value)

        def by_name(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[Text, int]]:
            named = [(str(d.get("name", "")), i) for i, d in rows]
            return [(Text(name), i) for name, i in sorted(named, key=lambda n: n[0].casefold())]

        choices = {
            "#filter-school": by_name(schools),
            "#filter-association": by_name(associations),
        }
        with self.prevent(Select.Changed):
            for selector, options in choices.items():
                select: Select[int] = self.query_one(selector, Select)
                chosen = select.value
                select.set_options(options)
                if isinstance(chosen, int) and any(value == chosen for _l, value in options):
                    select.value = chosen

    def _filter(self, selector: str) -> int | None:
        if selector == "#filter-pact":
            return self.query_one(PactPicker).value
        value = self.query_one(selector, Select).value
        return value if isinstance(value, int) else None

    def pact_label(self, pact_id: int) -> tuple[str, str] | None:
        """The code and title of a pact, read from its stored document (no validation)."""
        doc = self.registry.store.pacts.raw_by_id().get(pact_id)
        if doc is None:
            return None
        return str(doc.get("code", "")), str(doc.get("title", ""))

    def period_activities(self) -> list[Activity]:
        """The period's activities that pass the filters, by date."""
        pact_id = self._filter("#filter-pact")
        school = self._filter("#filter-school")
        association = self._filter("#filter-association")
        query = ActivityQuery(
            date_from=self.period.first,
            date_to=self.period.last,
            pact_id=pact_id,
            partner_id=school if school is not None else association,
        )
        return [
            a
            for a in self.registry.list_activities(query)
            if (school is None or a.place_partner_id == school)
            and (association is None or association in a.partner_ids)
        ]

    def load(self, keep: int | None = None) -> None:
        """Show the period: its title, its rows, and the detail of the highlighted row."""
        self.query_one("#agenda-period", Static).update(Content(self.period.title()))
        self._loaded = (self.registry.store.version, self.registry.today())
        activities = self.period_activities()
        self._activities = {a.id or 0: a for a in activities}
        self.table.set_rows(list(self._activities), self._cells, keep=keep)
        self.show(self.table.current())

    def name_of(self, partner_id: int) -> str:
        """A partner's name, read once per load (a missing partner shows as its id)."""
        if partner_id not in self._names:
            try:
                self._names[partner_id] = self.registry.partner(partner_id).name
            except NotFoundError:
                self._names[partner_id] = f"#{partner_id}"
        return self._names[partner_id]

    def place_of(self, activity: Activity) -> str:
        if activity.place_partner_id is not None:
            host = self.name_of(activity.place_partner_id)
            return f"{host}, {activity.place}" if activity.place else host
        return activity.place

    def _cells(self, activity_id: int) -> list[str | Text]:
        activity = self._activities[activity_id]
        audience = activity.audience
        if activity.audience_count is not None:
            audience = f"{audience} ({activity.audience_count})".strip()
        status = Text(activity.status.label)
        if activity.status is ActivityStatus.CANCELLED:
            status.stylize("dim")
        elif activity.status is ActivityStatus.PLANNED and self._overdue(activity):
            status.stylize("bold")
            status.append(" !")
        return [
            Text(format_datetime(activity.starts_at)),
            Text(_clip(activity.title, 34)),
            Text(_clip(self.place_of(activity), 24)),
            Text(_clip(audience, 18)),
            status,
        ]

    def _overdue(self, activity: Activity) -> bool:
        """Planned for a day already past: it waits to be recorded."""
        return activity.starts_at.date() < self.registry.today()

    # -- the detail -----------------------------------------------------------------

    def show(self, activity_id: int | None) -> None:
        detail = self.query_one("#agenda-detail", Static)
        activity = self._activities.get(activity_id) if activity_id is not None else None
        if activity is None:
            detail.update(Content(_("No activity in this period.")))
            return
        detail.update(self.describe(activity))

    def describe(self, activity: Activity) -> Content:
        """The activity as content built from plain strings: stored text is never markup."""
        parts: list[str | tuple[str, str] | Content] = [(activity.title, "bold"), "\n"]
        pact = self.pact_label(activity.pact_id)
        if pact is not None:
            parts.extend([(" · ".join(pact), "dim"), "\n"])
        parts.append("\n")

        def field(label: str, value: str) -> None:
            if value:
                parts.extend([(f"{label}: ", "bold"), value, "\n"])

        status = activity.status.label
        if activity.status is ActivityStatus.PLANNED and self._overdue(activity):
            status = _("{status}, not recorded yet").format(status=status)
        field(_("Status"), status)
        when = format_datetime(activity.starts_at)
        if activity.ends_at is not None:
            same_day = activity.ends_at.date() == activity.starts_at.date()
            end = (
                activity.ends_at.strftime("%H:%M")
                if same_day
                else format_datetime(activity.ends_at)
            )
            when = f"{when} – {end}"
        field(_("When"), when)
        field(_("Kind"), activity_kind_label(activity.kind))
        field(_("Place"), self.place_of(activity))
        audience = activity.audience
        if activity.audience_count is not None:
            audience = (
                _("{audience} ({count} expected)")
                .format(audience=audience, count=activity.audience_count)
                .strip()
            )
        field(_("Audience"), audience)
        if activity.attendance is not None:
            field(_("Attendance"), str(activity.attendance))
        if activity.partner_ids:
            parts.extend(["\n", (_("Taking part"), "bold underline"), "\n"])
            parts.extend(f"• {self.name_of(pid)}\n" for pid in activity.partner_ids)
        if activity.notes:
            parts.extend(["\n", (_("Notes"), "bold underline"), "\n", activity.notes, "\n"])
        return Content.assemble(*parts)

    @on(PagedTable.Highlighted)
    def _highlighted(self, event: PagedTable.Highlighted) -> None:
        # PagedTable's messages have no ``control``, so ``@on`` cannot match by selector.
        if event.table.id == "agenda-table":
            self.show(event.key if isinstance(event.key, int) else None)

    @on(Select.Changed)
    @on(PactPicker.Changed)
    def _filter_changed(self) -> None:
        self.load(keep=self.table.current())

    # -- actions ----------------------------------------------------------------------

    def action_view(self, view: View) -> None:
        if view != self.period.view:
            self.period = Period.around(view, self._anchor())
            self.load(keep=self.table.current())

    def _anchor(self) -> date:
        """The day a change of view keeps in sight: today if shown, else the period's start."""
        today = self.registry.today()
        return today if self.period.first <= today <= self.period.last else self.period.first

    def action_step(self, steps: int) -> None:
        self.period = self.period.step(steps)
        self.load()

    def action_today(self) -> None:
        self.period = Period.around(self.period.view, self.registry.today())
        self.load()

    def action_record(self) -> None:
        activity_id = self.table.current()
        if activity_id is None:
            self.notify(_("No activity to record in this period."), markup=False)
            return
        try:
            activity = self.registry.activity(activity_id)
        except NotFoundError:
            self.load()
            return
        self.app.push_screen(
            RecordActivityDialog(self.registry, activity),
            lambda saved: self._recorded(saved),
        )

    def _recorded(self, saved: Activity | None) -> None:
        if saved is None:
            return
        self.load(keep=saved.id)
        self.notify(
            _("Recorded: {title} ({status}).").format(title=saved.title, status=saved.status.label),
            markup=False,
        )

    def _current_activity(self, nothing: str) -> Activity | None:
        """The highlighted activity as the store holds it now, or ``None`` after saying
        ``nothing`` (no row) or reloading (it was deleted meanwhile)."""
        activity_id = self.table.current()
        if activity_id is None:
            self.notify(nothing, markup=False)
            return None
        try:
            return self.registry.activity(activity_id)
        except NotFoundError:
            self.load()
            return None

    def action_new_activity(self) -> None:
        """A new activity, for the pact filtered on (if any), on the day in view."""
        self.app.push_screen(
            ActivityEditor(self.registry, pact_id=self._filter("#filter-pact"), day=self._anchor()),
            self._saved,
        )

    def action_edit_activity(self) -> None:
        activity = self._current_activity(_("No activity to edit in this period."))
        if activity is not None:
            self.app.push_screen(ActivityEditor(self.registry, activity=activity), self._saved)

    def _saved(self, saved: Activity | None) -> None:
        """Back from the editor: show the activity where it now is, and say it was saved."""
        if saved is None:
            return
        self._load_choices()
        self.reveal(saved.id or 0)
        self.notify(
            _("Saved: {title} ({when}).").format(
                title=saved.title, when=format_datetime(saved.starts_at)
            ),
            markup=False,
        )

    @work(exclusive=True, group="agenda-delete")
    async def action_delete_activity(self) -> None:
        """Delete the highlighted activity after a confirmation that names it."""
        activity = self._current_activity(_("No activity to delete in this period."))
        if activity is None:
            return
        pact = self.pact_label(activity.pact_id)
        subject = f"{format_datetime(activity.starts_at)} · {activity.title}"
        if pact is not None:
            subject += f" ({pact[0]})"
        sure = await self.app.push_screen_wait(
            ConfirmDialog(
                _("Delete the activity?"),
                _("{activity} will be deleted, with its attendance and notes.").format(
                    activity=subject
                ),
                confirm_label=_("Delete"),
                danger=True,
            )
        )
        if not sure:
            return
        neighbour = self.table.neighbour(activity.id or 0)  # the cursor stays near
        try:
            self.registry.delete_activity(activity.id or 0)
        except PattiError as exc:
            self.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
            return
        self.load(keep=neighbour)
        self.notify(_("Activity deleted: {activity}").format(activity=subject), markup=False)

    def action_focus_filters(self) -> None:
        """The pact filter; Tab goes on to the school and the association filters."""
        self.query_one(PactPicker).focus_input()

    def action_focus_list(self) -> None:
        self.table.focus_table()

    def reveal(self, activity_id: int) -> None:
        """Show one activity: its period, filters cleared if they hide it, cursor on it.

        Other screens (the dashboard's attention list) call this after switching here.
        """
        try:
            activity = self.registry.activity(activity_id)
        except NotFoundError:
            return
        self.period = Period.around(self.period.view, activity.starts_at.date())
        if activity_id not in {a.id for a in self.period_activities()}:
            with self.prevent(Select.Changed, PactPicker.Changed):
                self.query_one(PactPicker).clear()
                for select in self.query("#agenda-filters > Select").results(Select):
                    select.clear()
        self.load(keep=activity_id)
        self.table.focus_table()
