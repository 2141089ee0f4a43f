"""A pact type's planner: run it, look at its proposal and gaps, accept it in one write.

The screen is pushed for one pact (``p`` on the pacts screen, through
:func:`open_planner`). Planning runs in a thread worker, since a city-size
pact takes a noticeable moment; the proposal is shown twice, grouped by the
place that hosts each activity (school, oratory) and by the partner that
brings it (association, speaker), with the planner's own summary and every
request it could not meet. Accepting asks first, saying how many planned
activities are replaced and added, then saves everything in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from patti.core.dates import format_datetime
from patti.core.errors import PattiError
from patti.core.i18n import N_, _, ngettext
from patti.core.model import Activity, ActivityStatus, Pact
from patti.core.pact_types import Plan
from patti.core.services import ActivityQuery, Registry
from patti.core.text import clean_text

from ..dialogs.confirm import ConfirmDialog
from ..widgets.paged_table import PAGE_SIZE, Column, PagedTable
from .base import PattiScreen

if TYPE_CHECKING:
    from textual.app import App

    from ..app import PattiApp

NO_VALUE = "—"


@dataclass(frozen=True)
class PlanRow:
    """One line of a grouped view: ``group`` is shown on the first line of each group."""

    group: str
    cells: tuple[str, ...]
    first: bool = False


@dataclass
class Proposal:
    """A plan with everything the views need, prepared off the UI thread."""

    plan: Plan
    seed: int
    by_place: list[PlanRow] = field(default_factory=list)
    by_partner: list[PlanRow] = field(default_factory=list)
    places: int = 0
    partners: int = 0
    replaced: int = 0
    """The pact's planned activities that accepting deletes (when it was planned)."""


@dataclass(frozen=True)
class Failure:
    """A service refused (no planner, a plugin failed): the operator reads ``message``."""

    message: str


def _when(activity: dict[str, Any]) -> str:
    start, end = activity.get("starts_at"), activity.get("ends_at")
    text = format_datetime(start)
    if end is not None and start is not None and end.date() == start.date():
        text += end.strftime("–%H:%M")
    return text


def _without_place(audience: str, place: str) -> str:
    """``3B – Scuola «Le Rondini»`` shown beside its place reads ``3B``: the place has its
    own column, and the audience would push the partner off a 120-column screen."""
    if place and audience.endswith(place) and audience != place:
        return audience[: -len(place)].rstrip(" –-,") or audience
    return audience


def _grouped(rows: list[tuple[str, PlanRow]]) -> tuple[list[PlanRow], int]:
    """Rows sorted by group (then as given) with ``first`` marking each group's start."""
    rows.sort(key=lambda r: r[0].casefold())
    out: list[PlanRow] = []
    previous: str | None = None
    for group, row in rows:
        first = group != previous
        out.append(PlanRow(row.group, row.cells, first))
        previous = group
    return out, sum(1 for r in out if r.first)


def prepare(registry: Registry, pact_id: int, plan: Plan, seed: int) -> Proposal:
    """Sort the plan's activities into the two views, with partner names looked up once."""
    names: dict[int, str] = {}

    def name_of(partner_id: int | None) -> str:
        if partner_id is None:
            return ""
        if partner_id not in names:
            partner = registry.store.partners.find(partner_id)
            names[partner_id] = clean_text(partner.name) if partner else f"#{partner_id}"
        return names[partner_id]

    ordered = sorted(plan.activities, key=lambda a: (a["starts_at"], a.get("audience", "")))
    by_place: list[tuple[str, PlanRow]] = []
    by_partner: list[tuple[str, PlanRow]] = []
    for activity in ordered:
        place = name_of(activity.get("place_partner_id")) or clean_text(
            str(activity.get("place") or "")
        )
        place = place or NO_VALUE
        audience = _without_place(clean_text(str(activity.get("audience") or "")), place)
        audience = audience or NO_VALUE
        partners = [name_of(p) for p in activity.get("partner_ids") or ()]
        when = _when(activity)
        with_ = ", ".join(partners) or NO_VALUE
        by_place.append((place, PlanRow(place, (when, audience, with_))))
        for partner in partners or [NO_VALUE]:
            by_partner.append((partner, PlanRow(partner, (when, place, audience))))
    place_rows, places = _grouped(by_place)
    partner_rows, partner_groups = _grouped(by_partner)
    replaced = len(_replaced(registry, pact_id, plan))
    return Proposal(plan, seed, place_rows, partner_rows, places, partner_groups, replaced)


def _gaps_text(n: int) -> str:
    return ngettext("{n} request could not be met.", "{n} requests could not be met.", n).format(
        n=n
    )


def _replaced(registry: Registry, pact_id: int, plan: Plan) -> list[Activity]:
    """The pact's still-planned activities that accepting ``plan`` deletes (as apply_plan)."""
    kinds = set(plan.replaces) | {str(a.get("kind", "")) for a in plan.activities}
    planned = registry.list_activities(
        ActivityQuery(pact_id=pact_id, status=ActivityStatus.PLANNED)
    )
    return [a for a in planned if a.kind in kinds]


class PlannerScreen(PattiScreen):
    """The planner's proposal for one pact, in two groupings, with its gaps."""

    DEFAULT_CSS = """
    PlannerScreen #planner-head {
        height: auto;
        padding: 0 1;
    }
    PlannerScreen #planner-status {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    PlannerScreen #planner-status.-error {
        color: $error;
    }
    PlannerScreen #planner-summary-scroll {
        height: auto;
        max-height: 8;
        padding: 0 1;
    }
    PlannerScreen #planner-body {
        height: 1fr;
    }
    PlannerScreen #planner-tabs {
        height: 1fr;
    }
    PlannerScreen TabPane {
        height: 1fr;
        padding: 0;
    }
    PlannerScreen #planner-gaps {
        padding: 0 1;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", N_("Accept plan"), id="planner.accept"),
        Binding("r", "rerun", N_("Another plan"), id="planner.rerun"),
        Binding("t", "next_view", N_("Next view"), id="planner.view"),
        Binding("escape", "close", N_("Close"), id="planner.close"),
    ]
    EDIT_ACTIONS = frozenset({"accept"})

    def __init__(self, registry: Registry, pact_id: int) -> None:
        super().__init__(registry)
        self.pact_id = pact_id
        self.seed = 0
        self.proposal: Proposal | None = None
        self.busy = False
        self._pact: Pact | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="planner-head")
        yield Static(id="planner-status")
        with VerticalScroll(id="planner-summary-scroll"):
            yield Static(id="planner-summary")
        with Vertical(id="planner-body"), TabbedContent(id="planner-tabs"):
            with TabPane(Content(_("By place")), id="tab-place"):
                yield PagedTable[int](
                    [
                        Column("place", _("Place")),
                        Column("when", _("When")),
                        Column("audience", _("Audience")),
                        Column("with", _("With")),
                    ],
                    id="plan-by-place",
                )
            with TabPane(Content(_("By partner")), id="tab-partner"):
                yield PagedTable[int](
                    [
                        Column("partner", _("Partner")),
                        Column("when", _("When")),
                        Column("place", _("Place")),
                        Column("audience", _("Audience")),
                    ],
                    id="plan-by-partner",
                )
            with TabPane(Content(_("Gaps")), id="tab-gaps"), VerticalScroll():
                yield Static(id="planner-gaps")

    def on_mount(self) -> None:
        try:
            self._pact = self.registry.pact(self.pact_id)
        except PattiError as exc:
            self._fail(clean_text(str(exc)))
            return
        self._head()
        self.run_planner()

    def _head(self) -> None:
        pact = self._pact
        if pact is None:
            return
        try:
            pact_type = self.registry.pact_type(pact.type)
        except PattiError:  # two plugins claiming one name: the raw name will do here
            pact_type = None
        type_label = pact_type.label() if pact_type is not None else pact.type
        self.query_one("#planner-head", Static).update(
            Content.assemble(
                (_("Planner") + ": ", "bold"),
                (pact.code, "bold"),
                " — ",
                pact.title,
                (f"  ({type_label})", "dim"),
            )
        )

    # -- planning -----------------------------------------------------------------

    def run_planner(self) -> None:
        """Ask the pact type for a proposal with the current seed, off the UI thread."""
        self.busy = True
        self.proposal = None
        self._status(_("Planning with seed {seed}…").format(seed=self.seed))
        self.query_one("#planner-body").loading = True
        self.refresh_bindings()
        self._plan(self.seed)

    @work(thread=True, exclusive=True, group="planner", name="plan")
    def _plan(self, seed: int) -> Proposal | Failure:
        try:
            plan = self.registry.plan_pact(self.pact_id, seed=seed)
        except PattiError as exc:
            return Failure(clean_text(str(exc)))
        return prepare(self.registry, self.pact_id, plan, seed)

    @work(thread=True, exclusive=True, group="planner", name="apply")
    def _apply(self, plan: Plan) -> list[Activity] | Failure:
        try:
            return self.registry.apply_plan(self.pact_id, plan)
        except PattiError as exc:
            return Failure(clean_text(str(exc)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "planner" or event.state is not WorkerState.SUCCESS:
            return
        result = event.worker.result
        self.busy = False
        self.query_one("#planner-body").loading = False
        if isinstance(result, Failure):
            self.notify(result.message, severity="error", timeout=10, markup=False)
            if event.worker.name == "plan":
                self._fail(result.message)
            else:
                self._status(result.message, error=True)
        elif isinstance(result, Proposal):
            self.show_proposal(result)
        elif isinstance(result, list):
            self._accepted(result)
        self.refresh_bindings()

    def _fail(self, message: str) -> None:
        """No proposal: say why, and show nothing that could be taken for one."""
        self.busy = False
        self.proposal = None
        self.query_one("#planner-body").loading = False
        self._status(message, error=True)
        self.query_one("#planner-summary", Static).update("")
        self.query_one("#planner-gaps", Static).update("")
        for table in self.query(PagedTable):
            table.set_rows([], lambda key: ())
        self.refresh_bindings()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#planner-status", Static)
        status.set_class(error, "-error")
        status.update(Content(text))

    # -- showing the proposal ---------------------------------------------------------

    def show_proposal(self, proposal: Proposal) -> None:
        self.proposal = proposal
        plan = proposal.plan
        self._status(
            _("Seed {seed}: {added}; accepting replaces {replaced}.").format(
                seed=proposal.seed,
                added=ngettext(
                    "{n} activity proposed", "{n} activities proposed", len(plan.activities)
                ).format(n=len(plan.activities)),
                replaced=ngettext("{n} planned one", "{n} planned ones", proposal.replaced).format(
                    n=proposal.replaced
                ),
            )
        )
        lines: list[str | tuple[str, str]] = []
        for line in plan.summary:
            lines.extend([clean_text(line), "\n"])
        if plan.gaps:
            lines.append((_gaps_text(len(plan.gaps)), "bold $warning"))
        else:
            lines.append((_("Every request is met."), "$success"))
        self.query_one("#planner-summary", Static).update(Content.assemble(*lines))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("tab-place").label = Content(_("By place ({n})").format(n=proposal.places))
        tabs.get_tab("tab-partner").label = Content(
            _("By partner ({n})").format(n=proposal.partners)
        )
        tabs.get_tab("tab-gaps").label = Content(_("Gaps ({n})").format(n=len(plan.gaps)))
        self._fill("#plan-by-place", proposal.by_place)
        self._fill("#plan-by-partner", proposal.by_partner)
        gaps = self.query_one("#planner-gaps", Static)
        if plan.gaps:
            gaps.update(Content("\n".join("• " + clean_text(g) for g in plan.gaps)))
        else:
            gaps.update(Content(_("Every request is met.")))

    def _fill(self, selector: str, rows: Sequence[PlanRow]) -> None:
        def render(index: int) -> list[str | Text]:
            row = rows[index]
            shown = row.first or index % PAGE_SIZE == 0
            group = Text(row.group, style="bold") if shown else Text("")
            return [group, *row.cells]

        table: PagedTable[int] = self.query_one(selector, PagedTable)
        table.set_rows(range(len(rows)), render)

    # -- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept" and (self.busy or self.proposal is None):
            return None
        if action == "rerun" and (self.busy or self._pact is None):
            return None
        if action == "close" and self.busy and self.proposal is not None:
            return None  # a plan being saved: stay until it is
        return super().check_action(action, parameters)

    def action_rerun(self) -> None:
        self.seed += 1
        self.run_planner()

    def action_next_view(self) -> None:
        tabs = self.query_one(TabbedContent)
        order = ["tab-place", "tab-partner", "tab-gaps"]
        current = order.index(tabs.active) if tabs.active in order else -1
        tabs.active = order[(current + 1) % len(order)]

    def action_close(self) -> None:
        self.dismiss()

    def action_accept(self) -> None:
        proposal, pact = self.proposal, self._pact
        if proposal is None or pact is None or self.readonly:
            return
        replaced = len(_replaced(self.registry, self.pact_id, proposal.plan))
        added = len(proposal.plan.activities)
        lines = [
            _("Planned activities replaced: {n}").format(n=replaced),
            _("Proposed activities added: {n}").format(n=added),
            "",
            _("Done and cancelled activities are kept. Everything is saved in one write."),
        ]
        if proposal.plan.gaps:
            lines.append(_gaps_text(len(proposal.plan.gaps)))

        def answered(confirmed: bool | None) -> None:
            if confirmed and self.proposal is proposal and not self.busy:
                self.busy = True
                self._status(_("Saving the plan…"))
                self.query_one("#planner-body").loading = True
                self.refresh_bindings()
                self._apply(proposal.plan)

        self.app.push_screen(
            ConfirmDialog(
                _("Accept the plan for {code}?").format(code=pact.code),
                "\n".join(lines),
                confirm_label=_("Accept"),
            ),
            answered,
        )

    def _accepted(self, saved: list[Activity]) -> None:
        code = self._pact.code if self._pact else str(self.pact_id)
        self.notify(
            ngettext(
                "Saved {n} planned activity for {code}.",
                "Saved {n} planned activities for {code}.",
                len(saved),
            ).format(n=len(saved), code=code),
            markup=False,
        )
        self.dismiss()

    @on(TabbedContent.TabActivated, "#planner-tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        for table in event.pane.query(PagedTable):
            table.focus_table()


def open_planner(app: App[Any], pact_id: int) -> None:
    """Push the planner for ``pact_id``; a pact whose type has no planner gets a notification.

    Bound to ``p`` on the pacts screen by the app; ``app`` must have a ``registry``.
    """
    registry = cast("PattiApp", app).registry
    try:
        pact = registry.pact(pact_id)
        pact_type = registry.pact_type(pact.type)  # two plugins claiming a name: an error
    except PattiError as exc:
        app.notify(clean_text(str(exc)), severity="error", timeout=10, markup=False)
        return
    if pact_type is None or registry.plugins is None or not pact_type.has_planner():
        app.notify(
            clean_text(_("Pacts of type {type} have no planner.").format(type=pact.type)),
            severity="warning",
            timeout=10,
            markup=False,
        )
        return
    app.push_screen(PlannerScreen(registry, pact_id))
