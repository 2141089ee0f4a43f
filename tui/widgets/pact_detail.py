"""The detail pane of a pact: everything about it, as plain text (never markup).

A pact type's own fields are shown through its ``Details`` model: field
titles come from the model (its JSON-schema title, else the field name),
values are formatted by their type (Italian dates, weekday names, partners
by name, nested records as one readable line each), so an operator reads
"Schools: • Scuola Media Galmozzi — Classes: 2A (Grade: 2, Pupils: 22)"
instead of JSON.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from enum import Enum
from typing import Any

import pydantic
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from textual.content import Content

from patti.core.dates import format_date, format_datetime
from patti.core.errors import NotFoundError, PattiError
from patti.core.i18n import _, current_language, ngettext
from patti.core.model import ActivityStatus, Pact
from patti.core.pact_types import PactType, field_label
from patti.core.reference import ReferenceData
from patti.core.services import ActivityQuery, Registry

from .detail_view import DetailView

NameOf = Callable[[int], str]
Part = str | tuple[str, str] | Content


class PactDetail(DetailView):
    """Shows one pact. Stored text goes through ``Content``, so ``[@click=…]`` stays text."""

    def show_pact(
        self,
        pact: Pact | None,
        registry: Registry,
        *,
        successors: Sequence[Pact] | None = None,
        top: bool = True,
    ) -> None:
        """Show ``pact``; ``successors`` saves a scan of the store when the caller knows them.
        ``top=False`` keeps the pane scrolled where it was (the same pact, saved again)."""
        if pact is None:
            self.show(Content(_("No pact selected.")))
            return
        self.show(describe_pact(pact, registry, successors=successors), top=top)


def pact_types(registry: Registry) -> dict[str, type[PactType]]:
    """The registered pact types; none while two plugins claim one name (the app reports
    that conflict, and every screen must go on without the types meanwhile)."""
    try:
        return registry.pact_types()
    except PattiError:
        return {}


def pact_type_of(registry: Registry, name: str) -> type[PactType] | None:
    return pact_types(registry).get(name)


def reference_data(registry: Registry) -> ReferenceData | None:
    """Zones and themes with their labels, when plugins are loaded and agree."""
    if registry.plugins is None:
        return None
    try:
        return registry.plugins.reference_data()
    except PattiError:
        return None


def partner_namer(registry: Registry) -> NameOf:
    """A function naming partners by id (``#12`` for one that no longer exists), memoised."""
    names: dict[int, str] = {}

    def name_of(partner_id: int) -> str:
        if partner_id not in names:
            try:
                names[partner_id] = registry.partner(partner_id).name
            except NotFoundError:
                names[partner_id] = f"#{partner_id}"
        return names[partner_id]

    return name_of


def role_label(pact_type: type[PactType] | None, role: str) -> str:
    """The role's label from the pact type, or its key when the type does not define it."""
    found = pact_type.role(role) if pact_type is not None else None
    return found.label if found is not None else role


def describe_pact(
    pact: Pact, registry: Registry, *, successors: Sequence[Pact] | None = None
) -> Content:
    """The pact as styled content built from plain strings."""
    name_of = partner_namer(registry)
    pact_type = pact_type_of(registry, pact.type)
    reference = reference_data(registry)

    parts: list[Part] = [(pact.title, "bold"), "\n", (pact.code, "dim"), "\n\n"]

    def field(label: str, value: str) -> None:
        parts.extend([(f"{label}: ", "bold"), value, "\n"])

    def heading(label: str) -> None:
        parts.extend(["\n", (label, "bold underline"), "\n"])

    field(_("Status"), pact.status.label)
    field(_("Type"), pact_type.label() if pact_type is not None else pact.type)
    field(_("Year"), str(pact.year))
    period = " – ".join(format_date(d) for d in (pact.start, pact.end) if d)
    field(_("Period"), period or _("not set"))
    if pact.zones:
        labels = (reference.zone_label(z) if reference else z for z in pact.zones)
        field(_("Zones"), ", ".join(labels))
    if pact.themes:
        labels = (reference.theme_label(t) if reference else t for t in pact.themes)
        field(_("Themes"), ", ".join(labels))
    if pact.predecessor_id:
        with contextlib.suppress(NotFoundError):
            field(_("Continues"), registry.pact(pact.predecessor_id).code)
    if successors is None:
        successors = registry.successors(pact.id or 0)
    if successors:
        field(_("Continued by"), ", ".join(s.code for s in successors))
    for label, value in _activities(pact, registry):
        field(label, value)
    if pact.target_groups:
        field(_("Target groups"), ", ".join(pact.target_groups))
    if pact.objectives:
        heading(_("Objectives"))
        parts.extend(f"• {o}\n" for o in pact.objectives)

    heading(_("Members") + f" ({len(pact.members)})")
    order = {r.name: i for i, r in enumerate(pact_type.roles)} if pact_type else {}
    for member in sorted(
        pact.members,
        key=lambda m: (order.get(m.role, len(order)), m.role, name_of(m.partner_id)),
    ):
        parts.extend(
            [f"• {name_of(member.partner_id)} ", (f"({role_label(pact_type, member.role)})", "dim")]
        )
        span = " – ".join(format_date(d) for d in (member.start, member.end) if d)
        if span:
            parts.append((f" {span}", "dim"))
        parts.append("\n")
    if pact_type is not None:
        problems = pact_type.role_problems(pact)
        if problems:
            parts.extend([("; ".join(problems), "italic"), "\n"])

    if pact.indicators:
        heading(_("Indicators"))
        for indicator in pact.indicators:
            actual = _number(indicator.actual) if indicator.actual is not None else "–"
            target = _number(indicator.target) if indicator.target is not None else "–"
            unit = f" {indicator.unit}" if indicator.unit else ""
            parts.extend([f"• {indicator.label}: ", (f"{actual} / {target}{unit}", "bold"), "\n"])

    lines = details_lines(pact_type, pact.details, name_of)
    if lines:
        heading(_("Details of the type"))
        for label, value in lines:
            head = f"{label}:" if value.startswith("\n") else f"{label}: "  # bullets follow
            parts.extend([(head, "bold"), value, "\n"])

    if pact.notes:
        parts.extend(["\n", (_("Notes"), "bold underline"), "\n", pact.notes, "\n"])
    return Content.assemble(*parts)


def activity_counts(done: int, planned: int, cancelled: int) -> str:
    """ "2 done, 1 planned, 0 cancelled", each agreeing with its number (in Italian the
    words are feminine, as *attività* is)."""
    return ", ".join(
        (
            ngettext("{n} done", "{n} done", done).format(n=done),
            ngettext("{n} planned", "{n} planned", planned).format(n=planned),
            ngettext("{n} cancelled", "{n} cancelled", cancelled).format(n=cancelled),
        )
    )


def _activities(pact: Pact, registry: Registry) -> Iterable[tuple[str, str]]:
    """The activities line (counts by status) and the next planned one."""
    activities = registry.list_activities(ActivityQuery(pact_id=pact.id))
    counts = {s: sum(1 for a in activities if a.status is s) for s in ActivityStatus}
    yield (
        _("Activities"),
        _("{n} ({counts})").format(
            n=len(activities),
            counts=activity_counts(
                counts[ActivityStatus.DONE],
                counts[ActivityStatus.PLANNED],
                counts[ActivityStatus.CANCELLED],
            ),
        ),
    )
    today = registry.today()
    upcoming = [
        a for a in activities if a.status is ActivityStatus.PLANNED and a.starts_at.date() >= today
    ]
    if upcoming:
        first = upcoming[0]  # list_activities sorts by date
        yield _("Next activity"), f"{format_datetime(first.starts_at)} {first.title}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- a pact type's own fields -----------------------------------------------------------


def field_title(name: str, info: FieldInfo) -> str:
    """The field's label in the UI language, as its plugin gives it (else its title, else
    its name)."""
    return field_label(name, info)


def details_lines(
    pact_type: type[PactType] | None, details: dict[str, Any], name_of: NameOf
) -> list[tuple[str, str]]:
    """``(title, text)`` for each of the type's fields, or each stored key without a type."""
    if pact_type is None or not pact_type.Details.model_fields:
        return [
            (key.replace("_", " ").capitalize(), json.dumps(value, ensure_ascii=False))
            for key, value in details.items()
        ]
    try:
        model = pact_type.Details.model_validate(details)
    except pydantic.ValidationError:
        model = None
    lines = []
    for name, info in pact_type.Details.model_fields.items():
        value = getattr(model, name) if model is not None else details.get(name)
        lines.append((field_title(name, info), format_value(name, value, name_of)))
    return lines


def weekday_names() -> list[str]:
    """Abbreviated day names, Monday first, in the active language."""
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", locale=current_language())
    return [str(names[i]) for i in range(7)]


def format_value(name: str, value: Any, name_of: NameOf) -> str:
    """A field's value for reading: dates the operator's way, partners by name, records
    in one line each (a list of records as bullets on their own lines)."""
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, list) and any(isinstance(v, BaseModel | dict) for v in value):
        return "".join(f"\n  • {format_value(name, v, name_of)}" for v in value)
    if isinstance(value, list):
        if "weekday" in name and all(isinstance(v, int) and 0 <= v <= 6 for v in value):
            days = weekday_names()
            return ", ".join(days[v] for v in value)
        return ", ".join(format_value(name, v, name_of) for v in value)
    if isinstance(value, BaseModel):
        return _record(value, name_of)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(k, v, name_of)}" for k, v in value.items())
    return format_scalar(name, value, name_of)


def format_scalar(name: str, value: Any, name_of: NameOf) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    if name.endswith("partner_id") and isinstance(value, int):
        return name_of(value)
    return str(value)


def _record(model: BaseModel, name_of: NameOf) -> str:
    """One nested record on one line: its partner first, a start/end pair as a range."""
    fields = type(model).model_fields
    values = {n: getattr(model, n) for n in fields}
    head: list[str] = []
    if "partner_id" in values:
        head.append(name_of(values.pop("partner_id")))
    if {"start", "end"} <= values.keys():
        start, end = values.pop("start"), values.pop("end")
        head.append(
            f"{format_value('start', start, name_of)} – {format_value('end', end, name_of)}"
        )
    if not head:  # a record named by its first text, e.g. a class "2A"
        first = next((n for n, v in values.items() if isinstance(v, str) and v), None)
        if first is not None:
            head.append(values.pop(first))
    rest = [
        f"{field_title(n, fields[n])}: {_inline(n, v, name_of)}"
        for n, v in values.items()
        if v not in (None, [], "")
    ]
    if head and rest:
        joiner = " — " if "partner_id" in fields else " "
        tail = "; ".join(rest) if "partner_id" in fields else f"({', '.join(rest)})"
        return f"{' '.join(head)}{joiner}{tail}"
    return " ".join(head) or ", ".join(rest)


def _inline(name: str, value: Any, name_of: NameOf) -> str:
    """A value inside a record: nested records joined on the same line."""
    if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
        return "; ".join(_record(v, name_of) for v in value)
    return format_value(name, value, name_of)
