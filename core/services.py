"""The operations the front ends call: one place for the rules.

The TUI and the CLI call :class:`Registry` with plain values and get
pydantic models back; neither touches the store's tables. Validation errors
come out as :class:`patti.core.errors.ValidationError` with a sentence an
operator can act on, and a refused operation never writes anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import pydantic

from .dates import format_date
from .details import mentions_partner, shifted_years, without_partner
from .errors import NotFoundError, TransitionError, ValidationError
from .i18n import _
from .model import (
    Activity,
    ActivityStatus,
    Day,
    Pact,
    PactStatus,
    Partner,
    PartnerKind,
    Record,
)
from .pact_types import PactType, Plan
from .plugins import PluginHost
from .search import ACTIVITY_TEXT_FIELDS, PactIndex, PartnerIndex, document_text, matches
from .store import Store
from .validation import describe_validation_error, validate_model, validate_value

R = TypeVar("R", bound=Record)

#: Allowed status changes. Cancelled is final: a cancelled pact is read-only.
TRANSITIONS: dict[PactStatus, frozenset[PactStatus]] = {
    PactStatus.DRAFT: frozenset({PactStatus.PROPOSED, PactStatus.ACTIVE, PactStatus.CANCELLED}),
    PactStatus.PROPOSED: frozenset({PactStatus.DRAFT, PactStatus.ACTIVE, PactStatus.CANCELLED}),
    PactStatus.ACTIVE: frozenset({PactStatus.CONCLUDED, PactStatus.CANCELLED}),
    PactStatus.CONCLUDED: frozenset({PactStatus.ACTIVE}),
    PactStatus.CANCELLED: frozenset(),
}

_CODE = re.compile(r"^PdC-(\d{4})-(\d+)$")


@dataclass(frozen=True)
class PartnerQuery:
    """Filters for the partner directory; ``None`` means any."""

    kind: PartnerKind | None = None
    zone: str | None = None
    theme: str | None = None
    tag: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class PactQuery:
    """Filters for the pact list; ``year`` is the year the pact was activated."""

    year: int | None = None
    status: PactStatus | None = None
    type: str | None = None
    zone: str | None = None
    theme: str | None = None
    partner_id: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class ActivityQuery:
    """Filters for the agenda; dates are inclusive."""

    year: int | None = None
    status: ActivityStatus | None = None
    pact_id: int | None = None
    partner_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None


class Registry:
    """Services over one open :class:`Store`, with the plugins that extend the rules.

    Without a plugin host (``plugins=None``) pact types are free slugs and
    their details are not checked: that is what ``--no-plugins`` gives.
    """

    def __init__(
        self,
        store: Store,
        *,
        plugins: PluginHost | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.store = store
        self.plugins = plugins
        self._today = today or _store_clock(store)

    def today(self) -> date:
        """Today for this store (a snapshot store, like the demo, has its own date)."""
        return self._today()

    # -- pact types and plugin hooks ------------------------------------------------

    def pact_types(self) -> dict[str, type[PactType]]:
        """Registered pact types by name (none without a plugin host)."""
        return self.plugins.pact_types() if self.plugins else {}

    def pact_type(self, name: str) -> type[PactType] | None:
        return self.pact_types().get(name)

    def _type_for_new_pact(self, name: Any) -> type[PactType] | None:
        if self.plugins is None:
            return None
        pact_type = self.pact_type(str(name))
        if pact_type is None:
            known = ", ".join(sorted(self.pact_types())) or _("none")
            raise ValidationError(
                _("Unknown pact type {name!r}: the registered types are {known}.").format(
                    name=name, known=known
                ),
                field="type",
            )
        return pact_type

    def _checked(self, pact: Pact) -> Pact:
        """Validate the type's details and its store checks, then the ``validate_pact`` hooks."""
        pact_type = self.pact_type(pact.type)
        if self.plugins is None:
            return pact
        problems: list[str] = []
        if pact_type is not None:
            try:
                details = self.plugins.guarded(
                    pact_type, "details", pact_type.Details.model_validate, pact.details
                )
            except pydantic.ValidationError as exc:
                raise ValidationError(
                    _("details: {problem}").format(problem=describe_validation_error(exc)),
                    field="details",
                ) from exc
            pact = pact.model_copy(update={"details": details.model_dump(mode="json")})
            problems.extend(
                self.plugins.guarded(pact_type, "problems", pact_type.problems, pact, self.store)
            )
        for _plugin, result in self.plugins.call(
            "validate_pact", pact=pact, pact_type=pact_type, store=self.store
        ):
            problems.extend(str(p) for p in result or ())
        if problems:
            raise ValidationError("; ".join(problems))
        return pact

    def check(self) -> list[str]:
        """The store's integrity problems, plus pacts whose details their type refuses."""
        problems = self.store.check()
        if self.plugins is None:
            return problems
        for pact_id, doc in self.store.pacts.raw_items():
            try:
                pact = self.store.pacts._to_model(pact_id, doc)
                self._checked(pact)
            except ValidationError as exc:
                problems.append(f"pacts/{pact_id}: {exc}")
            except pydantic.ValidationError:
                continue  # already reported by the store's own check
        return problems

    def _emit(self, hook: str, **kwargs: Any) -> None:
        """Tell plugins what happened; a failing plugin is disabled, the change stands."""
        if self.plugins is not None:
            self.plugins.call(hook, store=self.store, **kwargs)

    # -- partners ---------------------------------------------------------------

    def partner(self, partner_id: int) -> Partner:
        return self.store.partners.get(partner_id)

    def create_partner(self, **fields: Any) -> Partner:
        """Register a partner from plain values (validated, cleaned)."""
        partner = validate_model(Partner, _without_record_fields(fields))
        return self.store.add(partner)

    def update_partner(
        self, partner_id: int, revision: int | None = None, **changes: Any
    ) -> Partner:
        """Apply ``changes`` to a partner read at ``revision`` (``None``: the current one)."""
        current = self.store.partners.get(partner_id)
        return self.store.update(_changed(current, revision, changes))

    def delete_partner(self, partner_id: int, *, detach: bool = False) -> None:
        """Delete a partner; refused with the reasons while in use, unless ``detach``.

        Detaching also takes the partner out of the pacts' details (a school or an
        association listed there), in the same transaction.
        """
        if not detach:
            self.store.delete_partner(partner_id)
            return
        with self.store.transaction():
            for pact_id, doc in list(self.store.pacts.raw_items()):
                if mentions_partner(doc.get("details"), partner_id):
                    pact = self.store.pacts._to_model(pact_id, doc)
                    pact.details = without_partner(pact.details, partner_id)
                    self.store.update(pact)
            self.store.delete_partner(partner_id, detach=True)

    def list_partners(self, query: PartnerQuery | None = None) -> list[Partner]:
        """Partners matching ``query``, by name.

        The shared search index finds them; only the matches are validated into models.
        """
        hits = self.partner_index().search(query or PartnerQuery())
        return [self.store.partners._to_model(e.id, e.doc) for e in hits]

    def partner_index(self) -> PartnerIndex:
        """The store's partner search index, for lists that show only entries and
        validate a partner when it is opened."""
        return PartnerIndex.of(self.store)

    # -- pacts ------------------------------------------------------------------

    def pact(self, ref: int | str) -> Pact:
        """A pact by id or by code (``PdC-2021-03``)."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.store.pacts.get(int(ref))
        for pact_id in self.store.pacts.ids_where("code", ref.strip().casefold()):
            return self.store.pacts.get(pact_id)
        raise NotFoundError(_("No pact with code {code}.").format(code=ref))

    def next_pact_code(self, year: int) -> str:
        """The next free ``PdC-YEAR-NN`` code."""
        used = [
            int(m.group(2))
            for _id, doc in self.store.pacts.raw_items()
            if (m := _CODE.match(doc.get("code", ""))) and int(m.group(1)) == year
        ]
        return f"PdC-{year}-{max(used, default=0) + 1:02d}"

    def create_pact(self, **fields: Any) -> Pact:
        """Create a pact; a missing year comes from the start date (or today), a missing code
        is the next ``PdC-YEAR-NN``. New pacts obey the same status rules as transitions."""
        data = _without_record_fields(fields)
        if data.get("year") in (None, ""):
            start = data.get("start")
            start_date = validate_value(Day, start, "start") if start else None
            data["year"] = (start_date or self._today()).year
        if not data.get("code"):
            data["code"] = self.next_pact_code(validate_value(int, data["year"], "year"))
        pact_type = self._type_for_new_pact(data.get("type"))
        if pact_type is not None:
            if not data.get("themes"):
                data["themes"] = list(pact_type.default_themes)
            if not data.get("indicators"):
                data["indicators"] = [i.model_dump() for i in pact_type.default_indicators]
        pact = self._checked(validate_model(Pact, data))
        self._check_status_rules(pact, pact.status)
        saved = self.store.add(pact)
        self._emit("pact_created", pact=saved)
        return saved

    def update_pact(self, pact_id: int, revision: int | None = None, **changes: Any) -> Pact:
        """Change a pact's fields. Status changes go through :meth:`set_pact_status`."""
        current = self.store.pacts.get(pact_id)
        self._refuse_if_cancelled(current)
        if "status" in changes and changes["status"] != current.status:
            raise TransitionError(
                _("Change the status with a status change, which checks its rules.")
            )
        updated = self._checked(_changed(current, revision, changes))
        self._check_status_rules(updated, updated.status)
        saved = self.store.update(updated)
        self._emit("pact_updated", pact=saved, previous=current)
        return saved

    def set_pact_status(
        self, pact_id: int, status: PactStatus | str, revision: int | None = None
    ) -> Pact:
        """Move a pact to ``status`` if the rules allow it; say which rule refused otherwise."""
        target = _status(status)
        current = self.store.pacts.get(pact_id)
        if target == current.status:
            return current
        if target not in TRANSITIONS[current.status]:
            allowed = ", ".join(s.label for s in sorted(TRANSITIONS[current.status]))
            raise TransitionError(
                _(
                    "A pact cannot go from {old} to {new}. From {old} it can go to: {allowed}."
                ).format(
                    old=current.status.label, new=target.label, allowed=allowed or _("nothing")
                )
            )
        updated = self._checked(_changed(current, revision, {"status": target}))
        self._check_status_rules(updated, target)
        saved = self.store.update(updated)
        self._emit("pact_updated", pact=saved, previous=current)
        return saved

    def continue_pact(self, pact_id: int, *, year: int | None = None) -> Pact:
        """Start next year's edition: a draft linked to its predecessor, members copied.

        Dates are left empty and indicators keep their targets but lose last
        year's results: the operator fills them in for the new edition. The
        type's details move to the new year (dates, school years), so a planner
        does not plan the new edition in the old calendar.
        """
        old = self.store.pacts.get(pact_id)
        new_year = year if year is not None else old.year + 1
        data = old.model_dump(
            include={"title", "type", "zones", "themes", "objectives", "target_groups", "details"}
        )
        data.update(
            details=shifted_years(data["details"], new_year - old.year),
            year=new_year,
            code=self.next_pact_code(new_year),
            status=PactStatus.DRAFT,
            predecessor_id=old.id,
            members=[{"partner_id": m.partner_id, "role": m.role} for m in old.members],
            indicators=[{**i.model_dump(), "actual": None} for i in old.indicators],
        )
        saved = self.store.add(self._checked(validate_model(Pact, data)))
        self._emit("pact_created", pact=saved)
        return saved

    def delete_pact(self, pact_id: int, *, cascade: bool = False) -> list[int]:
        """Delete a pact (and, with ``cascade``, its activities); returns deleted activity ids."""
        pact = self.store.pacts.get(pact_id)
        removed = self.store.delete_pact(pact_id, cascade=cascade)
        self._emit("pact_deleted", pact=pact)
        return removed

    # -- planners --------------------------------------------------------------------

    def plan_pact(self, pact_id: int, *, seed: int = 0, not_before: date | None = None) -> Plan:
        """Ask the pact's type for a proposal from ``not_before`` (default today); nothing
        is written."""
        pact = self.store.pacts.get(pact_id)
        pact_type = self.pact_type(pact.type)
        start = not_before or self._today()
        if pact_type is None or self.plugins is None or not pact_type.has_planner():
            raise ValidationError(
                _("Pacts of type {type} have no planner.").format(type=pact.type), field="type"
            )

        def plan() -> Plan:
            proposed = pact_type().plan(pact, self.store, seed=seed, not_before=start)
            if not isinstance(proposed, Plan):
                raise TypeError(f"plan() returned {type(proposed).__name__}, not a Plan")
            # Proposals are typed here, once, so every front end gets datetimes and a
            # planner's malformed activity is its bug rather than a crash later on.
            proposed.activities = [
                Activity.model_validate({**a, "pact_id": pact_id}).model_dump(
                    exclude={"id", "revision", "created_at", "updated_at"}
                )
                for a in proposed.activities
            ]
            return proposed

        return self.plugins.guarded(pact_type, "plan", plan)

    def apply_plan(self, pact_id: int, plan: Plan) -> list[Activity]:
        """Replace the pact's still-planned activities of the planned kinds with the plan's,
        in one durable write; done and cancelled activities are kept."""
        pact = self.store.pacts.get(pact_id)
        self._refuse_if_cancelled(pact)
        kinds = set(plan.replaces) | {str(a.get("kind", "")) for a in plan.activities}
        proposed = [
            validate_model(Activity, _without_record_fields({**a, "pact_id": pact_id}))
            for a in plan.activities
        ]
        stale = [
            activity_id
            for activity_id, doc in self.store.activities.raw_where("pact_id", pact_id)
            if doc.get("status") == ActivityStatus.PLANNED.value and doc.get("kind") in kinds
        ]
        with self.store.transaction():
            for activity_id in stale:
                self.store.delete_activity(activity_id)
            return [self.store.add(a) for a in proposed]

    def list_pacts(self, query: PactQuery | None = None) -> list[Pact]:
        """Pacts matching ``query``, by year and code.

        The shared search index finds them; only the matches are validated into models.
        """
        hits = self.pact_index().search(query or PactQuery(), "registry")
        return [self.store.pacts._to_model(e.id, e.doc) for e in hits]

    def pact_index(self) -> PactIndex:
        """The store's pact search index, for lists that show only entries and validate
        a pact when it is opened."""
        return PactIndex.of(self.store)

    def successors(self, pact_id: int) -> list[Pact]:
        """Pacts that continue ``pact_id`` (the "TO BE CONTINUED" chain)."""
        return self.store.pacts.where("predecessor_id", pact_id)

    def _refuse_if_cancelled(self, pact: Pact) -> None:
        if pact.status is PactStatus.CANCELLED:
            raise TransitionError(
                _("Pact {code} is cancelled and can no longer be changed.").format(code=pact.code)
            )

    def _check_status_rules(self, pact: Pact, status: PactStatus) -> None:
        if status in (PactStatus.ACTIVE, PactStatus.CONCLUDED) and not pact.members:
            raise TransitionError(
                _("An active pact needs at least one member: add a partner first.")
            )
        pact_type = self.pact_type(pact.type)
        if status is PactStatus.ACTIVE and pact_type is not None:
            problems = pact_type.role_problems(pact)
            if problems:
                raise TransitionError(
                    _("The pact cannot become active: {problems}.").format(
                        problems="; ".join(problems)
                    )
                )
        if status is PactStatus.CONCLUDED:
            if pact.start is None:
                raise TransitionError(_("Set the pact's start date before concluding it."))
            if pact.start > self._today():
                raise TransitionError(
                    _("A pact cannot conclude before it starts (it starts on {start}).").format(
                        start=format_date(pact.start)
                    )
                )

    # -- activities -------------------------------------------------------------

    def activity(self, activity_id: int) -> Activity:
        return self.store.activities.get(activity_id)

    def create_activity(self, **fields: Any) -> Activity:
        activity = validate_model(Activity, _without_record_fields(fields))
        self._refuse_if_cancelled(self.store.pacts.get(activity.pact_id))
        return self.store.add(activity)

    def create_activities(self, activities: Iterable[dict[str, Any]]) -> list[Activity]:
        """Add many activities in one durable write, or none if any is invalid."""
        models = [validate_model(Activity, _without_record_fields(a)) for a in activities]
        for pact_id in {a.pact_id for a in models}:
            self._refuse_if_cancelled(self.store.pacts.get(pact_id))
        with self.store.transaction():
            return [self.store.add(a) for a in models]

    def update_activity(
        self, activity_id: int, revision: int | None = None, **changes: Any
    ) -> Activity:
        current = self.store.activities.get(activity_id)
        self._refuse_if_cancelled(self.store.pacts.get(current.pact_id))
        updated = _changed(current, revision, changes)
        if updated.pact_id != current.pact_id:
            self._refuse_if_cancelled(self.store.pacts.get(updated.pact_id))
        return self.store.update(updated)

    def record_activity(
        self,
        activity_id: int,
        *,
        status: ActivityStatus | str = ActivityStatus.DONE,
        attendance: int | None = None,
        revision: int | None = None,
    ) -> Activity:
        """Record what happened: done with attendance, or cancelled."""
        target = ActivityStatus(status) if isinstance(status, str) else status
        if target is not ActivityStatus.DONE and attendance is not None:
            raise ValidationError(
                _("Attendance is recorded only for an activity that took place."),
                field="attendance",
            )
        return self.update_activity(activity_id, revision, status=target, attendance=attendance)

    def delete_activity(self, activity_id: int) -> None:
        current = self.store.activities.get(activity_id)
        self._refuse_if_cancelled(self.store.pacts.get(current.pact_id))
        self.store.delete_activity(activity_id)

    def list_activities(self, query: ActivityQuery | None = None) -> list[Activity]:
        """Activities matching ``query``, by date."""
        q = query or ActivityQuery()
        status = q.status.value if q.status else None
        low = q.date_from.isoformat() if q.date_from else None
        high = q.date_to.isoformat() if q.date_to else None
        year = str(q.year) if q.year is not None else None
        hits = []
        # A pact or a partner narrows the candidates through the store's indexes first.
        table = self.store.activities
        candidates: Iterable[tuple[int, dict[str, Any]]]
        if q.pact_id is not None:
            candidates = table.raw_where("pact_id", q.pact_id)
        elif q.partner_id is not None:
            candidates = table.raw_where_any(
                partner_ids=[q.partner_id], place_partner_id=[q.partner_id]
            )
        elif q.date_from and q.date_to and 0 <= (q.date_to - q.date_from).days <= 92:
            days = (
                q.date_from + timedelta(days=n) for n in range((q.date_to - q.date_from).days + 1)
            )
            candidates = table.raw_where_any(**{"starts_at:day": [d.isoformat() for d in days]})
        else:
            candidates = table.raw_items()
        for activity_id, doc in candidates:
            day = str(doc.get("starts_at", ""))[:10]  # ISO text: compares as dates
            if year and day[:4] != year:
                continue
            if low and day < low:
                continue
            if high and day > high:
                continue
            if status and doc.get("status") != status:
                continue
            if q.pact_id is not None and doc.get("pact_id") != q.pact_id:
                continue
            if q.partner_id is not None and not (
                q.partner_id in doc.get("partner_ids", ())
                or doc.get("place_partner_id") == q.partner_id
            ):
                continue
            if q.text and not matches(document_text(doc, ACTIVITY_TEXT_FIELDS), q.text):
                continue
            hits.append((activity_id, doc))
        activities = [self.store.activities._to_model(i, d) for i, d in hits]
        return sorted(activities, key=lambda a: (a.starts_at, a.id or 0))


def _status(value: PactStatus | str) -> PactStatus:
    if isinstance(value, PactStatus):
        return value
    try:
        return PactStatus(value)
    except ValueError:
        raise ValidationError(
            _("Unknown status {value!r}: use one of {choices}.").format(
                value=value, choices=", ".join(s.value for s in PactStatus)
            ),
            field="status",
        ) from None


_RECORD_FIELDS = ("id", "revision", "created_at", "updated_at")


def _without_record_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Callers cannot choose ids, revisions or timestamps: the store assigns them."""
    return {k: v for k, v in fields.items() if k not in _RECORD_FIELDS}


def _changed(current: R, revision: int | None, changes: dict[str, Any]) -> R:
    """``current`` with ``changes`` applied and validated, carrying the caller's revision."""
    data = current.model_dump()
    data.update(_without_record_fields(changes))
    data["revision"] = current.revision if revision is None else revision
    data["updated_at"] = datetime.now().astimezone()
    return validate_model(type(current), data)


def _store_clock(store: Store) -> Callable[[], date]:
    """Today, unless the store is a snapshot frozen at a date (``as_of`` in its meta).

    The demo is such a snapshot: seen from its ``as_of`` its past activities
    are done and its future ones planned, so planning and the dashboard make
    sense whatever the real date.
    """
    as_of = store.meta.get("as_of")
    if isinstance(as_of, str):
        try:
            frozen = date.fromisoformat(as_of)
        except ValueError:
            return date.today
        return lambda: frozen
    return date.today
