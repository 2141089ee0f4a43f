"""The detail pane of a partner: who it is, whom to call, and what it took part in.

Contact persons are personal data; the pane shows them in full because the
operator who opens the directory is entitled to them (GDPR: the team holds
them for the pacts). Everything stored is rendered through ``Content``, so a
name like ``[@click=app.quit]`` stays text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from patti.core.dates import format_date
from patti.core.errors import NotFoundError, PattiError
from patti.core.i18n import _
from patti.core.model import Activity, ActivityStatus, ContactPerson, Pact, Partner
from patti.core.reference import BASE_THEMES, ReferenceData
from patti.core.services import Registry

#: How many past activities the pane lists (the rest is a count).
RECENT_ACTIVITIES = 8

Part = str | tuple[str, str] | Content


class PartnerDetail(Static):
    """Shows one partner; :meth:`show_partner` with ``None`` says nothing is selected."""

    DEFAULT_CSS = """
    PartnerDetail {
        padding: 0 1;
        height: auto;
    }
    """

    def show_partner(self, partner: Partner | None, registry: Registry) -> None:
        if partner is None:
            self.update(Content(_("No partner selected.")))
            return
        self.update(describe_partner(partner, registry))


def reference_data(registry: Registry) -> ReferenceData:
    """Zones and themes from the plugins; the base themes when there are no plugins.

    A failing plugin is disabled by the host and must not take the pane with it.
    """
    if registry.plugins is not None:
        with contextlib.suppress(PattiError):
            return registry.plugins.reference_data()
    return ReferenceData(themes=list(BASE_THEMES))


def describe_partner(
    partner: Partner, registry: Registry, reference: ReferenceData | None = None
) -> Content:
    """The partner as styled content built from plain strings (never markup)."""
    reference = reference or reference_data(registry)
    usage = registry.store.partner_usage(partner.id) if partner.id else {}
    parts: list[Part] = [(partner.name, "bold"), "\n", (partner.kind.label, "dim"), "\n\n"]

    def field(label: str, value: str) -> None:
        parts.extend([(f"{label}: ", "bold"), value, "\n"])

    def heading(text: str) -> None:
        parts.extend(["\n", (text, "bold underline"), "\n"])

    if partner.parent_id is not None:
        field(_("Part of"), _name_of(registry, partner.parent_id))
    schools: Sequence[Partner] = usage.get("partners", ())
    if schools:
        field(_("Schools"), ", ".join(sorted(s.name for s in schools)))
    if partner.zones:
        field(_("Zones"), ", ".join(reference.zone_label(z) for z in partner.zones))
    if partner.themes:
        field(_("Themes"), ", ".join(reference.theme_label(t) for t in partner.themes))
    if partner.tags:
        field(_("Tags"), ", ".join(partner.tags))
    if partner.notes:
        heading(_("Notes"))
        parts.extend([partner.notes, "\n"])

    heading(_("Contact persons") + f" ({len(partner.contacts)})")
    if not partner.contacts:
        parts.append((_("No contact persons recorded.") + "\n", "dim"))
    for contact in partner.contacts:
        parts.extend(_contact(contact, registry))

    pacts: Sequence[Pact] = usage.get("pacts", ())
    heading(_("Pacts") + f" ({len(pacts)})")
    if not pacts:
        parts.append((_("Not a member of any pact.") + "\n", "dim"))
    for pact in sorted(pacts, key=lambda p: (-p.year, p.code)):
        roles = ", ".join(
            _role_label(registry, pact, m.role) for m in pact.members if m.partner_id == partner.id
        )
        parts.extend(
            [
                f"• {pact.code} ",
                (str(pact.year), "dim"),
                f" — {roles} — {pact.status.label}\n  ",
                (pact.title, "italic"),
                "\n",
            ]
        )
    parts.extend(_activities(usage.get("activities", ()), registry))
    return Content.assemble(*parts)


def _name_of(registry: Registry, partner_id: int) -> str:
    try:
        return registry.partner(partner_id).name
    except NotFoundError:
        return f"#{partner_id}"


def _role_label(registry: Registry, pact: Pact, role: str) -> str:
    """The pact type's label for a role, or the role's slug when the type is unknown."""
    pact_type = registry.pact_type(pact.type)
    found = pact_type.role(role) if pact_type is not None else None
    return found.label if found is not None else role


def _contact(contact: ContactPerson, registry: Registry) -> list[Part]:
    parts: list[Part] = [f"• {contact.name}"]
    if contact.role:
        parts.extend([" — ", (contact.role, "italic")])
    parts.append("\n")
    reach = [
        f"{label}: {value}"
        for label, value in ((_("e-mail"), contact.email), (_("phone"), contact.phone))
        if value
    ]
    if reach:
        parts.append("  " + " · ".join(reach) + "\n")
    parts.append("  " + _("legal basis: {basis}").format(basis=contact.legal_basis.label))
    if contact.retention_until is not None:
        parts.append(
            " · " + _("keep until {date}").format(date=format_date(contact.retention_until))
        )
        if contact.retention_until < registry.today():
            parts.append((" " + _("(retention expired)"), "bold $error"))
    parts.append("\n")
    for consent in contact.consents:
        given = _("consent to “{purpose}” given on {date}").format(
            purpose=consent.purpose, date=format_date(consent.given_on)
        )
        if consent.withdrawn_on is not None:
            given += ", " + _("withdrawn on {date}").format(date=format_date(consent.withdrawn_on))
        parts.append(f"  {given}\n")
    return parts


def _activities(activities: Sequence[Activity], registry: Registry) -> list[Part]:
    """The latest activities up to today, newest first, and how many are still planned."""
    today = registry.today()
    past = sorted(
        (a for a in activities if a.starts_at.date() <= today),
        key=lambda a: a.starts_at,
        reverse=True,
    )
    upcoming = sum(
        1 for a in activities if a.starts_at.date() > today and a.status is ActivityStatus.PLANNED
    )
    parts: list[Part] = ["\n", (_("Recent activities") + f" ({len(activities)})", "bold underline")]
    parts.append("\n")
    if not activities:
        parts.append((_("No activities.") + "\n", "dim"))
    codes: dict[int, str] = {}
    for activity in past[:RECENT_ACTIVITIES]:
        if activity.pact_id not in codes:
            try:
                codes[activity.pact_id] = registry.pact(activity.pact_id).code
            except NotFoundError:
                codes[activity.pact_id] = f"#{activity.pact_id}"
        parts.extend(
            [
                f"• {format_date(activity.starts_at.date())} {activity.title} ",
                (f"({codes[activity.pact_id]}, {activity.status.label})", "dim"),
                "\n",
            ]
        )
    if len(past) > RECENT_ACTIVITIES:
        parts.append(
            (_("… and {n} earlier.").format(n=len(past) - RECENT_ACTIVITIES) + "\n", "dim")
        )
    if upcoming:
        parts.append(_("{n} planned from today on.").format(n=upcoming) + "\n")
    return parts
