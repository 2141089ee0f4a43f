"""Testimonianze itineranti: associations tell lower-secondary classes about volunteering.

Every class of the participating schools hears a few different associations
(two by default) during the school year. The pact's details list the
schools with their classes and the associations with the days they can
come; :meth:`SchoolTestimonies.plan` proposes the visits (the algorithm is
in :mod:`.planner`), keeping the visits already done.

The plugin's own sentences come in Italian and English from the code
(:func:`_t`), like the labels every pact type declares, so it needs nothing
from the core's catalogs.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated, Any, ClassVar, Self

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from patti.core import (
    PactType,
    Plan,
    ReportSection,
    Role,
    bilingual_count,  # short: every message of this plugin goes through it
    hookimpl,
)
from patti.core import bilingual as _t
from patti.core.model import ActivityStatus, Day, Indicator, Pact, PartnerKind
from patti.core.pact_types import field_labels
from patti.core.store import Store
from patti.core.text import clean_text
from patti.core.validation import describe_validation_error

from . import planner

__all__ = [
    "ACTIVITY_KIND",
    "AssociationOffer",
    "ClassEntry",
    "DateRange",
    "SchoolEntry",
    "SchoolTestimonies",
    "SchoolTestimoniesDetails",
    "TimeSlot",
    "class_label",
    "register_pact_types",
]

ACTIVITY_KIND = "testimony"
"""The kind of every visit this type plans: applying a plan replaces the planned ones."""

TESTIFYING_KINDS = frozenset(
    {PartnerKind.ASSOCIATION, PartnerKind.INFORMAL_GROUP, PartnerKind.CITIZENS_GROUP}
)
"""Partner kinds that can give a testimony of volunteering."""


# -- details -------------------------------------------------------------------------

_WEEKDAY_NAMES: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("lunedì", "lunedi", "lun", "monday", "mon"),
            ("martedì", "martedi", "mar", "tuesday", "tue"),
            ("mercoledì", "mercoledi", "mer", "wednesday", "wed"),
            ("giovedì", "giovedi", "gio", "thursday", "thu"),
            ("venerdì", "venerdi", "ven", "friday", "fri"),
            ("sabato", "sab", "saturday", "sat"),
            ("domenica", "dom", "sunday", "sun"),
        )
    )
    for name in names
}


def _weekday(value: Any) -> Any:
    """Accept 0-6 (Monday = 0) or a day's name in Italian or English."""
    if isinstance(value, str):
        key = value.strip().casefold()
        if key.isdigit():
            return int(key)
        if key in _WEEKDAY_NAMES:
            return _WEEKDAY_NAMES[key]
        raise ValueError(
            _t(
                "{value!r} non è un giorno della settimana (0 = lunedì … 6 = domenica)",
                "{value!r} is not a day of the week (0 = Monday … 6 = Sunday)",
            ).format(value=value)
        )
    return value


_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*$")


def _clock(value: Any) -> Any:
    """Accept ``9:00``, ``09.00`` or ``09:00:00``."""
    if isinstance(value, str):
        match = _CLOCK.match(value)
        try:
            if match is None:
                raise ValueError(value)
            hour, minute, second = match.groups()
            return time(int(hour), int(minute), int(second or 0))
        except ValueError:
            raise ValueError(
                _t(
                    "{value!r} non è un orario (usa HH:MM, per esempio 09:00)",
                    "{value!r} is not a time of day (use HH:MM, for example 09:00)",
                ).format(value=value)
            ) from None
    return value


def _school_year(value: Any) -> Any:
    """Accept ``2021/22``, ``2021/2022`` or ``2021-22``; store ``2021/22``."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})\s*[/\-]\s*(\d{2}|\d{4})\s*", value)
        if match is None or int(match.group(2)) % 100 != (int(match.group(1)) + 1) % 100:
            raise ValueError(
                _t(
                    "{value!r} non è un anno scolastico (per esempio 2021/22)",
                    "{value!r} is not a school year (for example 2021/22)",
                ).format(value=value)
            )
        first = int(match.group(1))
        return f"{first}/{(first + 1) % 100:02d}"
    return value


def _sorted_unique(values: list[Any]) -> list[Any]:
    return sorted(set(values))


def _unique_text(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


Weekday = Annotated[int, BeforeValidator(_weekday), Field(ge=0, le=6)]
Weekdays = Annotated[list[Weekday], AfterValidator(_sorted_unique)]
Clock = Annotated[time, BeforeValidator(_clock)]
Topic = Annotated[str, AfterValidator(clean_text), Field(min_length=1, max_length=200)]
ClassLabel = Annotated[str, AfterValidator(clean_text), Field(min_length=1, max_length=20)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DateRange(_Strict):
    """A closure (holidays, a strike, exams): both days included."""

    start: Day = Field(
        description="First day of the closure.",
        json_schema_extra=field_labels(
            "Primo giorno", "First day", help_it="Primo giorno di chiusura."
        ),
    )
    end: Day = Field(
        description="Last day of the closure (the same as start for one day).",
        json_schema_extra=field_labels(
            "Ultimo giorno",
            "Last day",
            help_it="Ultimo giorno di chiusura (lo stesso del primo per un giorno solo).",
        ),
    )

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.end < self.start:
            raise ValueError(
                _t(
                    "un periodo non può finire prima di iniziare",
                    "a period cannot end before it starts",
                )
            )
        return self


class TimeSlot(_Strict):
    """A part of the school morning in which one testimony takes place."""

    start: Clock = Field(
        description="When the testimony starts, e.g. 09:00.",
        json_schema_extra=field_labels(
            "Inizio", "Start", help_it="Quando inizia la testimonianza, per esempio 09:00."
        ),
    )
    end: Clock = Field(
        description="When it ends, e.g. 11:00.",
        json_schema_extra=field_labels("Fine", "End", help_it="Quando finisce, per esempio 11:00."),
    )

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.end <= self.start:
            raise ValueError(
                _t(
                    "una fascia oraria finisce dopo il suo inizio",
                    "a time slot must end after it starts",
                )
            )
        return self


class ClassEntry(_Strict):
    """A class of a lower-secondary school: pupils are a count, never names."""

    label: ClassLabel = Field(
        description="The class as the school names it, e.g. 2A.",
        json_schema_extra=field_labels(
            "Classe", "Class", help_it="La classe come la chiama la scuola, per esempio 2A."
        ),
    )
    grade: int = Field(
        ge=1,
        le=3,
        description="Year of lower-secondary school: 1, 2 or 3.",
        json_schema_extra=field_labels(
            "Anno di corso",
            "Grade",
            help_it="Anno della scuola secondaria di primo grado: 1, 2 o 3.",
        ),
    )
    pupils: int = Field(
        ge=1,
        le=40,
        description="How many pupils the class has.",
        json_schema_extra=field_labels("Alunni", "Pupils", help_it="Quanti alunni ha la classe."),
    )


class SchoolEntry(_Strict):
    """A participating school (a partner of kind school, under its institute) and its classes."""

    partner_id: int = Field(
        ge=1,
        description="The school partner (kind school).",
        json_schema_extra=field_labels(
            "Scuola", "School", help_it="Il partner della scuola (di tipo scuola)."
        ),
    )
    classes: list[ClassEntry] = Field(
        min_length=1,
        description="The classes that hear the testimonies.",
        json_schema_extra=field_labels(
            "Classi", "Classes", help_it="Le classi che ascoltano le testimonianze."
        ),
    )
    weekdays: Weekdays | None = Field(
        default=None,
        description="Days this school holds lessons (0 = Monday), if not the pact's school days.",
        json_schema_extra=field_labels(
            "Giorni di lezione",
            "School weekdays",
            help_it="Giorni di lezione di questa scuola (0 = lunedì), se non sono quelli "
            "del patto.",
        ),
    )

    @model_validator(mode="after")
    def _labels_unique(self) -> Self:
        seen: set[str] = set()
        for entry in self.classes:
            key = entry.label.casefold()
            if key in seen:
                raise ValueError(
                    _t(
                        "la classe {label} compare due volte nella scuola {id}",
                        "class {label} appears twice in school {id}",
                    ).format(label=entry.label, id=self.partner_id)
                )
            seen.add(key)
        return self


class AssociationOffer(_Strict):
    """An association (or informal group) offering testimonies, and when it can come."""

    partner_id: int = Field(
        ge=1,
        description="The association or informal group partner.",
        json_schema_extra=field_labels(
            "Associazione", "Association", help_it="L'associazione o il gruppo informale."
        ),
    )
    topics: Annotated[list[Topic], AfterValidator(_unique_text)] = Field(
        default_factory=list,
        description="What it talks about, e.g. 'il dono del sangue'.",
        json_schema_extra=field_labels(
            "Temi", "Topics", help_it="Di che cosa parla, per esempio 'il dono del sangue'."
        ),
    )
    weekdays: Weekdays = Field(
        default_factory=list,
        description="Days of the week it can come (0 = Monday … 6 = Sunday).",
        json_schema_extra=field_labels(
            "Giorni della settimana",
            "Weekdays",
            help_it="Giorni della settimana in cui può venire (0 = lunedì … 6 = domenica).",
        ),
    )
    dates: Annotated[list[Day], AfterValidator(_sorted_unique)] = Field(
        default_factory=list,
        description="Single dates it can come, besides its weekdays.",
        json_schema_extra=field_labels(
            "Date", "Dates", help_it="Singole date in cui può venire, oltre ai suoi giorni."
        ),
    )
    max_visits: int = Field(
        ge=0,
        le=500,
        description="At most this many visits in the year.",
        json_schema_extra=field_labels(
            "Visite al massimo",
            "Maximum visits",
            help_it="Al massimo questo numero di visite nell'anno.",
        ),
    )

    @model_validator(mode="after")
    def _some_availability(self) -> Self:
        if not self.weekdays and not self.dates:
            raise ValueError(
                _t(
                    "l'associazione {id} non indica né giorni della settimana né date",
                    "association {id} gives neither weekdays nor dates",
                ).format(id=self.partner_id)
            )
        return self


def _default_slots() -> list[TimeSlot]:
    return [
        TimeSlot(start=time(9, 0), end=time(11, 0)),
        TimeSlot(start=time(11, 0), end=time(13, 0)),
    ]


class SchoolTestimoniesDetails(_Strict):
    """The fields of a testimonies pact: the school year's calendar, schools and associations."""

    school_year: Annotated[str, BeforeValidator(_school_year)] = Field(
        description="The school year, e.g. 2021/22.",
        json_schema_extra=field_labels(
            "Anno scolastico", "School year", help_it="L'anno scolastico, per esempio 2021/22."
        ),
    )
    window_start: Day = Field(
        description="First day a testimony can take place.",
        json_schema_extra=field_labels(
            "Primo giorno utile",
            "Window start",
            help_it="Il primo giorno in cui può tenersi una testimonianza.",
        ),
    )
    window_end: Day = Field(
        description="Last day a testimony can take place.",
        json_schema_extra=field_labels(
            "Ultimo giorno utile",
            "Window end",
            help_it="L'ultimo giorno in cui può tenersi una testimonianza.",
        ),
    )
    excluded_periods: list[DateRange] = Field(
        default_factory=list,
        description="Holidays and closures: no testimony on these days.",
        json_schema_extra=field_labels(
            "Periodi di chiusura",
            "Excluded periods",
            help_it="Vacanze e chiusure: nessuna testimonianza in questi giorni.",
        ),
    )
    excluded_dates: Annotated[list[Day], AfterValidator(_sorted_unique)] = Field(
        default_factory=list,
        description="Single days without testimonies (bridges, trips…).",
        json_schema_extra=field_labels(
            "Giorni esclusi",
            "Excluded dates",
            help_it="Singoli giorni senza testimonianze (ponti, gite…).",
        ),
    )
    school_weekdays: Weekdays = Field(
        default_factory=lambda: [0, 1, 2, 3, 4],
        min_length=1,
        description="Days the schools hold lessons (0 = Monday); a school may override them.",
        json_schema_extra=field_labels(
            "Giorni di lezione",
            "School weekdays",
            help_it="Giorni in cui le scuole fanno lezione (0 = lunedì); una scuola può "
            "indicarne altri.",
        ),
    )
    time_slots: list[TimeSlot] = Field(
        default_factory=_default_slots,
        min_length=1,
        max_length=8,
        description="Daily time slots, one testimony each, e.g. 09:00-11:00 and 11:00-13:00.",
        json_schema_extra=field_labels(
            "Fasce orarie",
            "Time slots",
            help_it="Le fasce orarie del giorno, una testimonianza ciascuna, per esempio "
            "09:00-11:00 e 11:00-13:00.",
        ),
    )
    schools: list[SchoolEntry] = Field(
        default_factory=list,
        description="The participating schools with their classes.",
        json_schema_extra=field_labels(
            "Scuole", "Schools", help_it="Le scuole che partecipano, con le loro classi."
        ),
    )
    associations: list[AssociationOffer] = Field(
        default_factory=list,
        description="The associations offering a testimony.",
        json_schema_extra=field_labels(
            "Associazioni",
            "Associations",
            help_it="Le associazioni che offrono una testimonianza.",
        ),
    )
    testimonies_per_class: int = Field(
        default=2,
        ge=1,
        le=10,
        description="How many different associations each class hears.",
        json_schema_extra=field_labels(
            "Incontri per classe",
            "Testimonies per class",
            help_it="Quante associazioni diverse ascolta ogni classe.",
        ),
    )
    min_days_between_visits_to_a_class: int = Field(
        default=14,
        ge=0,
        le=200,
        description="Days between two testimonies in the same class, kept whenever possible.",
        json_schema_extra=field_labels(
            "Giorni tra due visite",
            "Days between visits",
            help_it="Giorni tra due testimonianze nella stessa classe, rispettati quando "
            "possibile.",
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.window_end < self.window_start:
            raise ValueError(
                _t(
                    "la finestra delle testimonianze finisce prima di iniziare",
                    "the testimonies' window ends before it starts",
                )
            )
        if (self.window_end - self.window_start).days > 730:
            raise ValueError(
                _t(
                    "la finestra delle testimonianze supera i due anni",
                    "the testimonies' window is longer than two years",
                )
            )
        slots = sorted(self.time_slots, key=lambda s: s.start)
        for before, after in pairwise(slots):
            if after.start < before.end:
                raise ValueError(
                    _t(
                        "le fasce orarie {a}-{b} e {c}-{d} si sovrappongono",
                        "time slots {a}-{b} and {c}-{d} overlap",
                    ).format(
                        a=before.start.strftime("%H:%M"),
                        b=before.end.strftime("%H:%M"),
                        c=after.start.strftime("%H:%M"),
                        d=after.end.strftime("%H:%M"),
                    )
                )
        self.time_slots = slots
        schools = [s.partner_id for s in self.schools]
        associations = [a.partner_id for a in self.associations]
        for ids, it, en in (
            (schools, "la scuola {id} compare due volte", "school {id} appears twice"),
            (
                associations,
                "l'associazione {id} compare due volte",
                "association {id} appears twice",
            ),
        ):
            twice = [i for i, n in Counter(ids).items() if n > 1]
            if twice:
                raise ValueError(_t(it, en).format(id=twice[0]))
        both = sorted(set(schools) & set(associations))
        if both:
            raise ValueError(
                _t(
                    "il partner {id} è sia scuola sia associazione",
                    "partner {id} is both a school and an association",
                ).format(id=both[0])
            )
        return self

    def plannable_days(self, not_before: date | None = None) -> list[date]:
        """Days in the window (from ``not_before``) outside every excluded period and date."""
        first = max(self.window_start, not_before) if not_before else self.window_start
        excluded = set(self.excluded_dates)
        periods = sorted((p.start, p.end) for p in self.excluded_periods)
        days = []
        day = first
        while day <= self.window_end:
            if day not in excluded and not any(a <= day <= b for a, b in periods):
                days.append(day)
            day += timedelta(days=1)
        return days


# -- the pact type ---------------------------------------------------------------------


class SchoolTestimonies(PactType):
    """Associations testify in lower-secondary classes; the planner proposes the visits."""

    name = "school_testimonies"
    label_it = "Testimonianze itineranti di volontariato e cittadinanza attiva"
    label_en = "Itinerant testimonies of volunteering and active citizenship"
    description_it = (
        "Le associazioni e i gruppi del territorio raccontano il loro volontariato nelle classi "
        "delle scuole secondarie di primo grado: ogni classe incontra più realtà diverse "
        "nel corso dell'anno scolastico."
    )
    description_en = (
        "Local associations and groups tell lower-secondary school classes about their "
        "volunteering: each class meets several different organisations during the school year."
    )
    Details = SchoolTestimoniesDetails
    roles: ClassVar[tuple[Role, ...]] = (
        Role("promoter", "Promotore", "Promoter", min=0, max=2),
        Role(
            "school_institute",
            "Istituto comprensivo",
            "School institute",
            min=0,
            kinds=frozenset({PartnerKind.SCHOOL_INSTITUTE.value}),
        ),
        Role("school", "Scuola", "School", min=1, kinds=frozenset({PartnerKind.SCHOOL.value})),
        Role(
            "association",
            "Associazione",
            "Association",
            min=1,
            kinds=frozenset(k.value for k in TESTIFYING_KINDS),
        ),
    )
    default_themes = ("volunteering", "active-citizenship", "mutual-knowledge")
    default_indicators = (
        Indicator(key="classes_reached", label="Classi raggiunte", unit="classi"),
        Indicator(key="pupils_reached", label="Studenti raggiunti", unit="studenti"),
        Indicator(key="testimonies_given", label="Testimonianze realizzate", unit="incontri"),
    )

    def plan(
        self, pact: Pact, store: Store, *, seed: int = 0, not_before: date | None = None
    ) -> Plan:
        """Propose the visits still missing; done visits stay as they are.

        ``not_before`` (e.g. today) keeps new visits out of the past. The
        activities replace the pact's planned ones of kind ``testimony``.
        """
        try:
            details = SchoolTestimoniesDetails.model_validate(pact.details)
        except pydantic.ValidationError as exc:
            return Plan(
                gaps=[_t("dettagli: {p}", "details: {p}").format(p=_errors(exc))],
                replaces=frozenset({ACTIVITY_KIND}),
            )
        partners = store.partners.raw_by_id()
        problem, warnings = _problem(pact, details, partners, store, not_before)
        solution = planner.solve(problem, seed=seed)
        return _plan_from(pact, details, partners, problem, solution, warnings, seed)

    @classmethod
    def problems(cls, pact: Pact, store: Store) -> list[str]:
        """Schools must be schools under an institute and members as schools; associations
        members as associations."""
        return _store_problems(pact, store)

    def report_section(self, pact: Pact, store: Store) -> ReportSection:
        """Classes and pupils reached, testimonies done and planned, who took part."""
        return _report(pact, store)


# -- building the planner's problem ------------------------------------------------------


def _problem(
    pact: Pact,
    details: SchoolTestimoniesDetails,
    partners: Mapping[int, dict[str, Any]],
    store: Store,
    not_before: date | None,
) -> tuple[planner.Problem, list[str]]:
    warnings: list[str] = []
    days = details.plannable_days(not_before)
    school_week = frozenset(details.school_weekdays)
    schools: list[planner.SchoolSpec] = []
    classes: list[planner.ClassSpec] = []
    class_at: dict[tuple[int, str], int] = {}
    school_at: dict[int, int] = {}
    for s, entry in enumerate(details.schools):
        school_at[entry.partner_id] = s
        week = frozenset(entry.weekdays) if entry.weekdays is not None else school_week
        schools.append(planner.SchoolSpec(entry.partner_id, week, _school_problem(entry, partners)))
        for c in entry.classes:
            class_at[(entry.partner_id, c.label.casefold())] = len(classes)
            classes.append(planner.ClassSpec(s, c.label, c.pupils))
    offers: list[planner.OfferSpec] = []
    for offer in details.associations:
        if offer.partner_id not in partners:
            warnings.append(
                _t(
                    "l'associazione {id} non esiste più: non viene pianificata",
                    "association {id} no longer exists: it is left out",
                ).format(id=offer.partner_id)
            )
            continue
        offers.append(
            planner.OfferSpec(
                offer.partner_id,
                frozenset(offer.weekdays),
                frozenset(offer.dates),
                offer.max_visits,
            )
        )
    offered = {o.partner_id for o in offers}
    commitments = list(_commitments(pact, details, store, offered, school_at, class_at, warnings))
    problem = planner.Problem(
        days=days,
        slots=[(s.start, s.end) for s in details.time_slots],
        schools=schools,
        classes=classes,
        offers=offers,
        commitments=commitments,
        per_class=details.testimonies_per_class,
        min_gap=details.min_days_between_visits_to_a_class,
    )
    return problem, warnings


def _school_problem(entry: SchoolEntry, partners: Mapping[int, dict[str, Any]]) -> str | None:
    doc = partners.get(entry.partner_id)
    if doc is None:
        return planner.SCHOOL_MISSING
    if doc.get("kind") != PartnerKind.SCHOOL.value:
        return planner.NOT_A_SCHOOL
    parent = partners.get(doc.get("parent_id") or 0)
    if parent is None or parent.get("kind") != PartnerKind.SCHOOL_INSTITUTE.value:
        return planner.NO_INSTITUTE
    return None


def class_label(audience: str) -> str:
    """The class of a visit's audience ``"2A – School"`` (the part before the dash)."""
    return re.split(r"\s+[–-]\s+", audience.strip(), maxsplit=1)[0].strip()


def _when(doc: dict[str, Any]) -> tuple[date, time, time] | None:
    try:
        start = datetime.fromisoformat(str(doc["starts_at"]))
        end_text = doc.get("ends_at")
        end = datetime.fromisoformat(str(end_text)) if end_text else start
    except (KeyError, ValueError):
        return None
    if end.date() != start.date():
        end_time = time.max
    elif end > start:
        end_time = end.time()
    else:  # a moment rather than a span: it still occupies the slot it falls in
        end_time = (start + timedelta(minutes=1)).time()
    return start.date(), start.time(), end_time


def _commitments(
    pact: Pact,
    details: SchoolTestimoniesDetails,
    store: Store,
    offered: set[int],
    school_at: dict[int, int],
    class_at: dict[tuple[int, str], int],
    warnings: list[str],
) -> Iterable[planner.Commitment]:
    """Done testimonies of this pact, and what the associations do elsewhere in the window."""
    low, high = details.window_start.isoformat(), details.window_end.isoformat()
    # Only this pact's activities and those of the associations on offer can matter:
    # the store's indexes give them without reading every activity.
    candidates = store.activities.raw_where_any(
        pact_id=[pact.id], partner_ids=offered, place_partner_id=offered
    )
    for _id, doc in candidates:
        status = doc.get("status")
        if status == ActivityStatus.CANCELLED.value:
            continue
        own = doc.get("pact_id") == pact.id and doc.get("kind") == ACTIVITY_KIND
        if own and status != ActivityStatus.DONE.value:
            continue  # planned visits are what a new plan replaces
        if not own and not (low <= str(doc.get("starts_at", ""))[:10] <= high):
            continue
        involved = list(doc.get("partner_ids") or ())
        if not own and doc.get("place_partner_id"):
            involved.append(doc["place_partner_id"])
        if not own and not offered.intersection(involved):
            continue
        when = _when(doc)
        if when is None:
            continue
        day, start, end = when
        if not own:
            for partner_id in involved:
                if partner_id in offered:
                    yield planner.Commitment(partner_id, day, start, end)
            continue
        place = int(doc.get("place_partner_id") or 0)
        school = school_at.get(place)
        klass = class_at.get((place, class_label(str(doc.get("audience", ""))).casefold()))
        if klass is None:
            warnings.append(
                _t(
                    "una testimonianza svolta il {day} ({audience}) non corrisponde a nessuna "
                    "classe: conta solo per l'associazione",
                    "a testimony done on {day} ({audience}) matches no class: "
                    "it counts for the association only",
                ).format(day=day.isoformat(), audience=doc.get("audience") or "?")
            )
        for partner_id in involved:
            yield planner.Commitment(
                partner_id, day, start, end, school=school, klass=klass, counts=True
            )


# -- from the solution to a plan ----------------------------------------------------------


def _name(partners: Mapping[int, dict[str, Any]], partner_id: int) -> str:
    doc = partners.get(partner_id)
    return str(doc.get("name")) if doc else f"#{partner_id}"


def _audience(problem: planner.Problem, partners: Mapping[int, dict[str, Any]], klass: int) -> str:
    """A class as visits name it: ``"2A – <school name>"``."""
    cls = problem.classes[klass]
    return f"{cls.label} – {_name(partners, problem.schools[cls.school].partner_id)}"


def _plan_from(
    pact: Pact,
    details: SchoolTestimoniesDetails,
    partners: Mapping[int, dict[str, Any]],
    problem: planner.Problem,
    solution: planner.Solution,
    warnings: list[str],
    seed: int,
) -> Plan:
    if pact.id is None:
        raise ValueError("only a saved pact can be planned")
    topics = {o.partner_id: o.topics for o in details.associations}
    told: Counter[int] = Counter()
    rows = []
    for visit in sorted(
        solution.visits,
        key=lambda v: (v.day, v.slot, problem.classes[v.klass].school, v.klass),
    ):
        cls = problem.classes[visit.klass]
        school_id = problem.schools[cls.school].partner_id
        start, end = problem.slots[visit.slot]
        association = _name(partners, visit.partner_id)
        activity: dict[str, Any] = {
            "pact_id": pact.id,
            "title": f"Testimonianza: {association}",
            "kind": ACTIVITY_KIND,
            "starts_at": datetime.combine(visit.day, start),
            "ends_at": datetime.combine(visit.day, end),
            "place_partner_id": school_id,
            "partner_ids": [visit.partner_id],
            "audience": _audience(problem, partners, visit.klass),
            "audience_count": cls.pupils,
            "status": ActivityStatus.PLANNED.value,
        }
        offered_topics = topics.get(visit.partner_id) or []
        if offered_topics:
            activity["notes"] = (
                f"Tema: {offered_topics[told[visit.partner_id] % len(offered_topics)]}."
            )
        told[visit.partner_id] += 1
        rows.append(activity)
    gaps = [_describe_shortfall(s, problem, partners) for s in solution.shortfalls]
    loads = [solution.loads[o.partner_id] for o in problem.offers if o.max_visits > 0]
    done = sum(1 for c in problem.commitments if c.counts)
    short_gap = sorted(
        {_audience(problem, partners, v.klass) for v in solution.visits if v.short_gap}
    )
    stats: dict[str, Any] = {
        "seed": seed,
        "schools": len(problem.schools),
        "classes": len(problem.classes),
        "classes_short": len(solution.shortfalls),
        "associations": len(problem.offers),
        "associations_used": sum(1 for n in loads if n),
        "associations_at_max": sum(
            1
            for o in problem.offers
            if o.max_visits and solution.loads[o.partner_id] >= o.max_visits
        ),
        "plannable_days": len(problem.days),
        "visits_requested": len(problem.classes) * problem.per_class,
        "visits_done": done,
        "visits_planned": len(rows),
        "visits_short_gap": sum(1 for v in solution.visits if v.short_gap),
        "load_min": min(loads, default=0),
        "load_max": max(loads, default=0),
        "load_spread": max(loads, default=0) - min(loads, default=0),
        "short_gap_classes": short_gap,
        "warnings": warnings,
    }
    return Plan(
        activities=rows,
        gaps=gaps,
        stats=stats,
        summary=_summary(stats),
        replaces=frozenset({ACTIVITY_KIND}),
    )


def _summary(stats: dict[str, Any]) -> list[str]:
    """The figures an operator checks before accepting a plan, in words."""
    lines = [
        # "in" is the same word in both languages.
        "{classes} in {schools}: {requested}, {done}, {planned}.".format(
            classes=bilingual_count(
                stats["classes"], ("{n} classe", "{n} class"), ("{n} classi", "{n} classes")
            ),
            schools=bilingual_count(
                stats["schools"], ("{n} scuola", "{n} school"), ("{n} scuole", "{n} schools")
            ),
            requested=bilingual_count(
                stats["visits_requested"],
                ("{n} testimonianza richiesta", "{n} testimony requested"),
                ("{n} testimonianze richieste", "{n} testimonies requested"),
            ),
            done=bilingual_count(
                stats["visits_done"],
                ("{n} già svolta", "{n} already done"),
                ("{n} già svolte", "{n} already done"),
            ),
            planned=bilingual_count(
                stats["visits_planned"],
                ("{n} proposta", "{n} proposed"),
                ("{n} proposte", "{n} proposed"),
            ),
        ),
        _t(
            "Associazioni: {used} di {total} coinvolte, {full} al massimo delle visite; "
            "visite per associazione da {low} a {high} (scarto {spread}).",
            "Associations: {used} of {total} involved, {full} at their maximum of visits; "
            "visits per association from {low} to {high} (spread {spread}).",
        ).format(
            used=stats["associations_used"],
            total=stats["associations"],
            full=stats["associations_at_max"],
            low=stats["load_min"],
            high=stats["load_max"],
            spread=stats["load_spread"],
        ),
    ]
    if stats["short_gap_classes"]:
        lines.append(
            _t(
                "Visite più ravvicinate del previsto per: {classes}.",
                "Visits closer together than requested for: {classes}.",
            ).format(classes=", ".join(stats["short_gap_classes"]))
        )
    lines.extend(stats["warnings"])
    return lines


def _describe_shortfall(
    shortfall: planner.Shortfall, problem: planner.Problem, partners: Mapping[int, dict[str, Any]]
) -> str:
    school = problem.schools[problem.classes[shortfall.klass].school]
    who = _audience(problem, partners, shortfall.klass)
    counts = dict(n=shortfall.candidates, m=shortfall.at_max, id=school.partner_id)
    reasons = {
        planner.SCHOOL_MISSING: (
            "il partner scuola {id} non esiste",
            "school partner {id} does not exist",
        ),
        planner.NOT_A_SCHOOL: (
            "il partner {id} non è di tipo scuola",
            "partner {id} is not of kind school",
        ),
        planner.NO_INSTITUTE: (
            "la scuola non appartiene a un istituto comprensivo",
            "the school does not belong to a school institute",
        ),
        planner.NO_DAYS: (
            "nessun giorno di lezione utile nella finestra (troppo breve o tutta esclusa)",
            "no school day left in the window (too short, or all excluded)",
        ),
        planner.NO_ASSOCIATION: (
            "nessuna associazione è disponibile nei giorni di lezione della scuola",
            "no association is available on the school's days",
        ),
        planner.TOO_FEW_ASSOCIATIONS: (
            "associazioni disponibili nei suoi giorni che non ha ancora ascoltato: solo {n}",
            "associations available on its days that it has not heard yet: only {n}",
        ),
        planner.ALL_AT_MAX: (
            "le associazioni disponibili nei suoi giorni ({n}) hanno tutte raggiunto il "
            "massimo di visite",
            "every association available on its days ({n}) has reached its max visits",
        ),
        planner.NO_FREE_SLOT: (
            "associazioni disponibili nei suoi giorni: {n}, di cui {m} al massimo di visite; "
            "le altre non hanno più fasce libere in quei giorni (finestra troppo breve o "
            "troppe classi)",
            "associations available on its days: {n}, {m} of them at their max visits; the "
            "others have no free slot left on those days (window too short or too many "
            "classes)",
        ),
    }
    it, en = reasons[shortfall.reason]
    return _t(
        "{who}: testimonianze {got} su {wanted}; {why}",
        "{who}: {got} of {wanted} testimonies; {why}",
    ).format(who=who, got=shortfall.heard, wanted=shortfall.wanted, why=_t(it, en).format(**counts))


# -- the report -----------------------------------------------------------------------


def _report(pact: Pact, store: Store) -> ReportSection:
    try:
        details: SchoolTestimoniesDetails | None = SchoolTestimoniesDetails.model_validate(
            pact.details
        )
    except pydantic.ValidationError:
        details = None
    partners = store.partners.raw_by_id()
    pupils: dict[tuple[int, str], int] = {}
    if details is not None:
        for school in details.schools:
            for c in school.classes:
                pupils[(school.partner_id, c.label.casefold())] = c.pupils
    done = planned = 0
    reached: dict[tuple[int, str], int] = {}
    testified: set[int] = set()
    for _id, doc in store.activities.raw_where("pact_id", pact.id):
        if doc.get("kind") != ACTIVITY_KIND:
            continue
        if doc.get("status") == ActivityStatus.PLANNED.value:
            planned += 1
        elif doc.get("status") == ActivityStatus.DONE.value:
            done += 1
            testified.update(doc.get("partner_ids") or ())
            key = (
                doc.get("place_partner_id") or 0,
                class_label(str(doc.get("audience", ""))).casefold(),
            )
            reached[key] = pupils.get(key) or max(
                reached.get(key, 0), doc.get("audience_count") or 0
            )
    members = defaultdict(list)
    for m in pact.members:
        members[m.role].append(m.partner_id)
    associations = list(dict.fromkeys(members["association"]))
    informal = sum(
        1
        for a in associations
        if partners.get(a, {}).get("kind") == PartnerKind.INFORMAL_GROUP.value
    )
    school_ids = list(
        dict.fromkeys(
            [*members["school"], *(s.partner_id for s in details.schools)]
            if details
            else members["school"]
        )
    )
    by_institute: dict[int, list[int]] = defaultdict(list)
    for s in school_ids:
        by_institute[int(partners.get(s, {}).get("parent_id") or 0)].append(s)
    figures: dict[str, float | int] = {
        "classes": len(pupils),
        "classes_reached": len(reached),
        "pupils_reached": sum(reached.values()),
        "testimonies_done": done,
        "testimonies_planned": planned,
        "associations_involved": len(associations),
        "informal_groups": informal,
        "associations_testified": len(testified),
        "schools": len(school_ids),
        "institutes": sum(1 for i in by_institute if i),
    }
    lines = [
        _t(
            "Classi raggiunte: {r} su {n}, per {p} studenti.",
            "Classes reached: {r} of {n}, {p} pupils.",
        ).format(r=len(reached), n=len(pupils), p=figures["pupils_reached"]),
        _t(
            "Testimonianze svolte: {d}; in programma: {p}.",
            "Testimonies done: {d}; planned: {p}.",
        ).format(d=done, p=planned),
        _t(
            "Associazioni coinvolte: {n} (di cui {g} gruppi informali); "
            "hanno già portato la loro testimonianza: {t}.",
            "Associations involved: {n} ({g} of them informal groups); already testified: {t}.",
        ).format(n=len(associations), g=informal, t=len(testified)),
    ]
    for institute, schools in sorted(
        by_institute.items(), key=lambda kv: _name(partners, kv[0]) if kv[0] else "~"
    ):
        names = ", ".join(_name(partners, s) for s in schools)
        label = _name(partners, institute) if institute else _t("Senza istituto", "No institute")
        lines.append(f"{label}: {names}")
    return ReportSection(
        title=_t("Testimonianze nelle classi", "Testimonies in the classes"),
        lines=lines,
        figures=figures,
    )


# -- hooks ----------------------------------------------------------------------------


def _errors(exc: pydantic.ValidationError) -> str:
    return describe_validation_error(exc)


def _store_problems(pact: Pact, store: Store) -> list[str]:
    """What is wrong with a testimonies pact's schools and associations, in words."""
    try:
        details = SchoolTestimoniesDetails.model_validate(pact.details)
    except pydantic.ValidationError as exc:
        return [_t("dettagli: {p}", "details: {p}").format(p=_errors(exc))]
    partners = store.partners.raw_by_id()
    roles: dict[int, set[str]] = defaultdict(set)
    for m in pact.members:
        roles[m.partner_id].add(m.role)
    found: list[str] = []
    for school in details.schools:
        pid = school.partner_id
        doc = partners.get(pid)
        if doc is None:
            found.append(
                _t("scuola {id}: il partner non esiste", "school {id}: no such partner").format(
                    id=pid
                )
            )
            continue
        name = doc.get("name", pid)
        if doc.get("kind") != PartnerKind.SCHOOL.value:
            found.append(
                _t(
                    "{name} è elencato tra le scuole ma non è di tipo scuola",
                    "{name} is listed among the schools but is not of kind school",
                ).format(name=name)
            )
        else:
            parent = partners.get(doc.get("parent_id") or 0)
            if parent is None or parent.get("kind") != PartnerKind.SCHOOL_INSTITUTE.value:
                found.append(
                    _t(
                        "{name} non appartiene a un istituto comprensivo: "
                        "indica l'istituto come partner superiore",
                        "{name} does not belong to a school institute: "
                        "set the institute as its parent",
                    ).format(name=name)
                )
        if "school" not in roles[pid]:
            found.append(
                _t(
                    "{name} non è membro del patto con il ruolo scuola",
                    "{name} is not a member of the pact with the role school",
                ).format(name=name)
            )
    for offer in details.associations:
        pid = offer.partner_id
        doc = partners.get(pid)
        if doc is None:
            found.append(
                _t(
                    "associazione {id}: il partner non esiste", "association {id}: no such partner"
                ).format(id=pid)
            )
            continue
        name = doc.get("name", pid)
        if doc.get("kind") not in {k.value for k in TESTIFYING_KINDS}:
            found.append(
                _t(
                    "{name} è elencato tra le associazioni ma non è un'associazione o un gruppo",
                    "{name} is listed among the associations but is not an association or group",
                ).format(name=name)
            )
        if "association" not in roles[pid]:
            found.append(
                _t(
                    "{name} non è membro del patto con il ruolo associazione",
                    "{name} is not a member of the pact with the role association",
                ).format(name=name)
            )
    return found


@hookimpl
def register_pact_types(register: Callable[[type[PactType]], None]) -> None:
    register(SchoolTestimonies)
