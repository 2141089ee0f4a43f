"""The detail pane of a pact: everything about it, as plain text (never markup)."""

from __future__ import annotations

import contextlib

from textual.content import Content
from textual.widgets import Static

from patti.core.dates import format_date
from patti.core.errors import NotFoundError
from patti.core.i18n import _
from patti.core.model import Pact
from patti.core.services import ActivityQuery, Registry


class PactDetail(Static):
    """Shows one pact. Stored text goes through ``Content``, so ``[@click=…]`` stays text."""

    DEFAULT_CSS = """
    PactDetail {
        padding: 0 1;
        height: auto;
    }
    """

    def show_pact(self, pact: Pact | None, registry: Registry) -> None:
        if pact is None:
            self.update(Content(_("No pact selected.")))
            return
        self.update(describe_pact(pact, registry))


def describe_pact(pact: Pact, registry: Registry) -> Content:
    """The pact as styled content built from plain strings."""

    def name_of(partner_id: int) -> str:
        try:
            return registry.partner(partner_id).name
        except NotFoundError:
            return f"#{partner_id}"

    parts: list[str | tuple[str, str] | Content] = [
        (pact.title, "bold"),
        "\n",
        (pact.code, "dim"),
        "\n\n",
    ]

    def field(label: str, value: str) -> None:
        parts.extend([(f"{label}: ", "bold"), value, "\n"])

    field(_("Status"), pact.status.label)
    field(_("Type"), pact.type)
    field(_("Year"), str(pact.year))
    period = " – ".join(format_date(d) for d in (pact.start, pact.end) if d)
    field(_("Period"), period or _("not set"))
    if pact.zones:
        field(_("Zones"), ", ".join(pact.zones))
    if pact.themes:
        field(_("Themes"), ", ".join(pact.themes))
    if pact.predecessor_id:
        with contextlib.suppress(NotFoundError):
            field(_("Continues"), registry.pact(pact.predecessor_id).code)
    successors = registry.successors(pact.id or 0)
    if successors:
        field(_("Continued by"), ", ".join(s.code for s in successors))
    activities = registry.list_activities(ActivityQuery(pact_id=pact.id))
    done = sum(1 for a in activities if a.status.value == "done")
    field(_("Activities"), _("{n} ({done} done)").format(n=len(activities), done=done))
    if pact.objectives:
        parts.extend(["\n", (_("Objectives"), "bold underline"), "\n"])
        parts.extend(f"• {o}\n" for o in pact.objectives)
    parts.extend(["\n", (_("Members") + f" ({len(pact.members)})", "bold underline"), "\n"])
    for member in sorted(pact.members, key=lambda m: (m.role, name_of(m.partner_id))):
        parts.extend([f"• {name_of(member.partner_id)} ", (f"({member.role})", "dim"), "\n"])
    if pact.notes:
        parts.extend(["\n", (_("Notes"), "bold underline"), "\n", pact.notes, "\n"])
    return Content.assemble(*parts)
