"""Legality and prevention with adolescents: talks in the summer Grest of parish oratories.

Crema's pact «La buona invasione… TO BE CONTINUED»: every group of adolescents
at a parish oratory's summer centre (Grest) meets, once each, the Polizia
Locale, health staff, local politicians and socio-health operators. The pact
records where the groups are and in which weeks, who can speak and when; the
planner turns that into one talk per group and speaker category.

Minors are never recorded as people: a group is a label and a count.

Messages of this plugin come in Italian and English pairs chosen by the active
language, like pact-type and role labels, rather than through the core's
gettext catalog: a pact type's texts belong to the plugin, so that the same
module could ship as a third-party package, which cannot add to that catalog.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from patti.core import (
    PactType,
    Plan,
    ReportSection,
    Role,
    bilingual_count,  # short: every message of this plugin goes through it
    hookimpl,
)
from patti.core import bilingual as _t
from patti.core.model import (
    Activity,
    ActivityStatus,
    Day,
    Indicator,
    Name,
    Pact,
    PactStatus,
    PartnerKind,
    Slug,
)
from patti.core.pact_types import field_labels
from patti.core.validation import describe_validation_error

if TYPE_CHECKING:
    from patti.core.store import Store

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_SLOTS",
    "GrestGroup",
    "HostSite",
    "SpeakerAvailability",
    "SpeakerCategory",
    "YouthLegality",
    "YouthLegalityDetails",
    "register_pact_types",
]

TALK = "talk"
"""The activity kind of a session: the planner proposes, and replaces, only these."""

_WEEKDAYS_IT = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _weekday(day: date) -> str:
    return _t(_WEEKDAYS_IT[day.weekday()], _WEEKDAYS_EN[day.weekday()])


# -- details ---------------------------------------------------------------------


class SpeakerCategory(BaseModel):
    """A kind of speaker every group meets once (Polizia Locale, health staff, …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Slug = Field(
        description="Stable key that speakers refer to, e.g. polizia-locale.",
        json_schema_extra=field_labels(
            "Chiave",
            "Key",
            help_it="Chiave stabile a cui rimandano i relatori, per esempio polizia-locale.",
        ),
    )
    label_it: Name = Field(
        description="Italian label, used in activity titles and reports.",
        json_schema_extra=field_labels(
            "Nome in italiano",
            "Italian label",
            help_it="Nome italiano, usato nei titoli degli incontri e nei resoconti.",
        ),
    )
    label_en: Name = Field(
        description="English label.",
        json_schema_extra=field_labels("Nome in inglese", "English label", help_it="Nome inglese."),
    )

    def label(self) -> str:
        """The label in the active language."""
        return _t(self.label_it, self.label_en)


DEFAULT_CATEGORIES: tuple[SpeakerCategory, ...] = (
    SpeakerCategory(key="polizia-locale", label_it="Polizia Locale", label_en="Local police"),
    SpeakerCategory(key="health", label_it="Operatori sanitari", label_en="Health staff"),
    SpeakerCategory(key="politics", label_it="Politica locale", label_en="Local politics"),
    SpeakerCategory(
        key="socio-health", label_it="Operatori sociosanitari", label_en="Socio-health workers"
    ),
)

DEFAULT_SLOTS: tuple[time, ...] = (time(10, 0), time(15, 0))
"""Session starts: mid-morning and mid-afternoon, around the Grest's lunch and games."""

_AGES = re.compile(r"^(\d{1,2})\s*[-–]\s*(\d{1,2})$")


class GrestGroup(BaseModel):
    """A group of adolescents at a Grest: a label and a count, never people."""

    model_config = ConfigDict(extra="forbid")

    label: Name = Field(
        description="How the oratory calls the group, e.g. «Grest 2022 – gruppo 14-15 anni».",
        json_schema_extra=field_labels(
            "Gruppo",
            "Group",
            help_it="Come l'oratorio chiama il gruppo, per esempio «Grest 2022 – gruppo "
            "14-15 anni».",
        ),
    )
    adolescents: int = Field(
        ge=0,
        le=10_000,
        description="How many adolescents: a count, because minors are never recorded as people.",
        json_schema_extra=field_labels(
            "Adolescenti",
            "Adolescents",
            help_it="Quanti adolescenti: un numero, perché i minori non si registrano mai "
            "come persone.",
        ),
    )
    age_range: str = Field(
        default="",
        max_length=20,
        description="Ages, e.g. 14-17.",
        json_schema_extra=field_labels("Età", "Ages", help_it="Età, per esempio 14-17."),
    )

    @field_validator("age_range")
    @classmethod
    def _ages(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        match = _AGES.match(value)
        if match is None or int(match.group(1)) > int(match.group(2)):
            raise ValueError(
                _t(
                    f"{value!r} non è una fascia d'età: scrivi per esempio 14-17",
                    f"{value!r} is not an age range: write for example 14-17",
                )
            )
        return f"{int(match.group(1))}-{int(match.group(2))}"


class HostSite(BaseModel):
    """An oratory that hosts Grest groups, and the weeks its Grest runs."""

    model_config = ConfigDict(extra="forbid")

    partner_id: int = Field(
        ge=1,
        description="The oratory: a partner of kind parish.",
        json_schema_extra=field_labels(
            "Oratorio", "Oratory", help_it="L'oratorio: un partner di tipo parrocchia."
        ),
    )
    weeks: list[Day] = Field(
        default_factory=list,
        description="The Grest weeks, each given by its Monday; talks fall Monday to Friday.",
        json_schema_extra=field_labels(
            "Settimane",
            "Weeks",
            help_it="Le settimane del Grest, ciascuna indicata dal suo lunedì; gli incontri "
            "si tengono dal lunedì al venerdì.",
        ),
    )
    groups: list[GrestGroup] = Field(
        default_factory=list,
        description="The groups of adolescents that meet the speakers.",
        json_schema_extra=field_labels(
            "Gruppi", "Groups", help_it="I gruppi di adolescenti che incontrano i relatori."
        ),
    )

    @field_validator("weeks")
    @classmethod
    def _mondays(cls, weeks: list[date]) -> list[date]:
        wrong = [w for w in weeks if w.weekday() != 0]
        if wrong:
            days = ", ".join(f"{w.isoformat()} ({_weekday(w)})" for w in wrong)
            raise ValueError(
                _t(
                    f"ogni settimana si indica con il suo lunedì, non {days}",
                    f"give each week by its Monday, not {days}",
                )
            )
        return sorted(set(weeks))

    @model_validator(mode="after")
    def _labels_unique(self) -> Self:
        seen: set[str] = set()
        for group in self.groups:
            if group.label.casefold() in seen:
                raise ValueError(
                    _t(
                        f"il gruppo «{group.label}» compare due volte nello stesso oratorio",
                        f"the group «{group.label}» appears twice at the same oratory",
                    )
                )
            seen.add(group.label.casefold())
        return self

    def days(self) -> Iterator[date]:
        """Monday to Friday of every week, in order."""
        for monday in self.weeks:
            for offset in range(5):
                yield monday + timedelta(days=offset)


class SpeakerAvailability(BaseModel):
    """A partner that speaks for one category, and when it can.

    Available on the listed dates and on the listed weekdays (either matches);
    with neither listed, on every weekday: an operator records limits, not the
    obvious.
    """

    model_config = ConfigDict(extra="forbid")

    partner_id: int = Field(
        ge=1,
        description="The speaking partner: a member with role speaker.",
        json_schema_extra=field_labels(
            "Relatore",
            "Speaker",
            help_it="Il partner che parla: un membro con il ruolo relatore.",
        ),
    )
    category: Slug = Field(
        description="The key of one of the required categories.",
        json_schema_extra=field_labels(
            "Categoria", "Category", help_it="La chiave di una delle categorie richieste."
        ),
    )
    available_dates: list[Day] = Field(
        default_factory=list,
        description="Days it can come (Monday to Friday).",
        json_schema_extra=field_labels(
            "Date disponibili",
            "Available dates",
            help_it="Giorni in cui può venire (dal lunedì al venerdì).",
        ),
    )
    weekdays: list[int] = Field(
        default_factory=list,
        description="Weekdays it can come every week: 0 = Monday … 4 = Friday.",
        json_schema_extra=field_labels(
            "Giorni della settimana",
            "Weekdays",
            help_it="Giorni in cui può venire ogni settimana: 0 = lunedì … 4 = venerdì.",
        ),
    )
    one_site_per_day: bool = Field(
        default=False,
        description="It visits at most one oratory a day (it may meet several groups there).",
        json_schema_extra=field_labels(
            "Un oratorio al giorno",
            "One site per day",
            help_it="Visita al massimo un oratorio al giorno (dove può incontrare più gruppi).",
        ),
    )

    @field_validator("weekdays")
    @classmethod
    def _working_days(cls, weekdays: list[int]) -> list[int]:
        wrong = [d for d in weekdays if not 0 <= d <= 4]
        if wrong:
            raise ValueError(
                _t(
                    f"i giorni vanno da 0 (lunedì) a 4 (venerdì), non {wrong}: "
                    "gli incontri si tengono dal lunedì al venerdì",
                    f"weekdays go from 0 (Monday) to 4 (Friday), not {wrong}: "
                    "talks are held Monday to Friday",
                )
            )
        return sorted(set(weekdays))

    @field_validator("available_dates")
    @classmethod
    def _no_weekends(cls, days: list[date]) -> list[date]:
        wrong = [d for d in days if d.weekday() > 4]
        if wrong:
            listed = ", ".join(f"{d.isoformat()} ({_weekday(d)})" for d in wrong)
            raise ValueError(
                _t(
                    f"il Grest si tiene dal lunedì al venerdì: {listed} non può ospitare incontri",
                    f"the Grest runs Monday to Friday: {listed} cannot host a talk",
                )
            )
        return sorted(set(days))

    def available_on(self, day: date) -> bool:
        """Whether the speaker can come on ``day``."""
        if not self.available_dates and not self.weekdays:
            return day.weekday() < 5
        return day in self.available_dates or day.weekday() in self.weekdays


def _default_categories() -> list[SpeakerCategory]:
    return list(DEFAULT_CATEGORIES)


def _default_slots() -> list[time]:
    return list(DEFAULT_SLOTS)


class YouthLegalityDetails(BaseModel):
    """What a youth-legality pact records: the Grest sites and groups, and the speakers.

    Every field has a default, so a draft can be saved empty and filled in
    as oratories and speakers say yes.
    """

    model_config = ConfigDict(extra="forbid")

    summer: int | None = Field(
        default=None,
        ge=1990,
        le=2200,
        description="The summer (year) of the Grest.",
        json_schema_extra=field_labels("Estate", "Summer", help_it="L'estate (anno) del Grest."),
    )
    host_sites: list[HostSite] = Field(
        default_factory=list,
        description="Oratories, their Grest weeks and groups.",
        json_schema_extra=field_labels(
            "Oratori", "Host sites", help_it="Gli oratori, le settimane del Grest e i gruppi."
        ),
    )
    required_categories: list[SpeakerCategory] = Field(
        default_factory=_default_categories,
        min_length=1,
        description="The kinds of speaker every group meets once.",
        json_schema_extra=field_labels(
            "Categorie di relatori",
            "Required categories",
            help_it="I tipi di relatore che ogni gruppo incontra una volta.",
        ),
    )
    speakers: list[SpeakerAvailability] = Field(
        default_factory=list,
        description="Speakers, their category and availability.",
        json_schema_extra=field_labels(
            "Relatori",
            "Speakers",
            help_it="I relatori, la loro categoria e quando possono venire.",
        ),
    )
    session_slots: list[time] = Field(
        default_factory=_default_slots,
        min_length=1,
        description="When a talk can start on a Grest day, e.g. 10:00 and 15:00.",
        json_schema_extra=field_labels(
            "Orari di inizio",
            "Session slots",
            help_it="Quando può cominciare un incontro in un giorno di Grest, per esempio "
            "10:00 e 15:00.",
        ),
    )
    session_minutes: int = Field(
        default=90,
        ge=15,
        le=480,
        description="How long a talk lasts.",
        json_schema_extra=field_labels(
            "Durata (minuti)", "Session minutes", help_it="Quanto dura un incontro, in minuti."
        ),
    )

    @field_validator("session_slots")
    @classmethod
    def _slots_in_order(cls, slots: list[time]) -> list[time]:
        if any(s.tzinfo is not None for s in slots):
            raise ValueError(_t("orari senza fuso orario", "times without a time zone"))
        return sorted({s.replace(second=0, microsecond=0) for s in slots})

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        sites = [s.partner_id for s in self.host_sites]
        for pid in sorted({p for p in sites if sites.count(p) > 1}):
            problems.append(
                _t(
                    f"l'oratorio {pid} compare due volte tra le sedi",
                    f"oratory {pid} appears twice among the host sites",
                )
            )
        keys = [c.key for c in self.required_categories]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(
                _t(f"la categoria {key} compare due volte", f"category {key} appears twice")
            )
        seen: set[tuple[int, str]] = set()
        for speaker in self.speakers:
            if speaker.category not in keys:
                problems.append(
                    _t(
                        f"il relatore {speaker.partner_id} ha la categoria {speaker.category!r}, "
                        f"che non è tra quelle richieste ({', '.join(keys)})",
                        f"speaker {speaker.partner_id} has category {speaker.category!r}, "
                        f"which is not a required one ({', '.join(keys)})",
                    )
                )
            pair = (speaker.partner_id, speaker.category)
            if pair in seen:
                problems.append(
                    _t(
                        f"il relatore {speaker.partner_id} compare due volte "
                        f"per la categoria {speaker.category}",
                        f"speaker {speaker.partner_id} appears twice "
                        f"for category {speaker.category}",
                    )
                )
            seen.add(pair)
        length = timedelta(minutes=self.session_minutes)
        starts = [datetime.combine(date.min, s) for s in self.session_slots]
        for first, second in pairwise(starts):
            if first + length > second:
                problems.append(
                    _t(
                        f"gli incontri delle {first:%H:%M} e delle {second:%H:%M} si "
                        f"sovrappongono (durano {self.session_minutes} minuti)",
                        f"the {first:%H:%M} and {second:%H:%M} talks overlap "
                        f"(they last {self.session_minutes} minutes)",
                    )
                )
        if starts and (starts[-1] + length).date() != date.min:
            problems.append(
                _t(
                    f"l'incontro delle {starts[-1]:%H:%M} finirebbe dopo mezzanotte",
                    f"the {starts[-1]:%H:%M} talk would end after midnight",
                )
            )
        if self.summer is not None:
            days = [w for s in self.host_sites for w in s.weeks]
            days += [d for s in self.speakers for d in s.available_dates]
            wrong = sorted({d for d in days if d.year != self.summer})
            if wrong:
                problems.append(
                    _t(
                        f"date fuori dall'estate {self.summer}: "
                        + ", ".join(d.isoformat() for d in wrong),
                        f"dates outside summer {self.summer}: "
                        + ", ".join(d.isoformat() for d in wrong),
                    )
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


# -- reading the pact's talks ------------------------------------------------------------

GroupKey = tuple[int, str]
"""A group: its oratory's partner id and its label, case-folded."""


def _group_key(site: int, label: str) -> GroupKey:
    return (site, label.strip().casefold())


@dataclass
class _Classifier:
    """Which group and category a recorded talk was, so done talks count.

    The group is the talk's place and audience; the category is its
    speaker's. A partner that speaks for two categories is taken for the
    first one this group still lacks; failing that, the title may name it.
    """

    details: YouthLegalityDetails
    groups: dict[GroupKey, tuple[HostSite, GrestGroup]] = field(init=False)
    categories_of: dict[int, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.groups = {
            _group_key(s.partner_id, g.label): (s, g)
            for s in self.details.host_sites
            for g in s.groups
        }
        order = [c.key for c in self.details.required_categories]
        self.categories_of = {}
        for speaker in self.details.speakers:
            self.categories_of.setdefault(speaker.partner_id, []).append(speaker.category)
        for keys in self.categories_of.values():
            keys.sort(key=lambda k: order.index(k) if k in order else len(order))

    def group(self, talk: Activity) -> GroupKey | None:
        if talk.place_partner_id is None:
            return None
        key = _group_key(talk.place_partner_id, talk.audience)
        return key if key in self.groups else None

    def category(self, talk: Activity, group: GroupKey | None, had: Counter[Any]) -> str | None:
        keys = [k for pid in talk.partner_ids for k in self.categories_of.get(pid, ())]
        if keys:
            missing = [k for k in keys if group is None or had[(group, k)] == 0]
            return (missing or keys)[0]
        title = talk.title.casefold()
        for category in self.details.required_categories:
            if category.label_it.casefold() in title or category.label_en.casefold() in title:
                return category.key
        return None


# -- the planner ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Task:
    """One talk to place: a group meets a category."""

    site: int
    group: GroupKey
    label: str
    adolescents: int
    category: SpeakerCategory


@dataclass(frozen=True, slots=True)
class _Option:
    """A way to meet a task: a speaker, on a day, in a slot."""

    task: int
    day: date
    slot: int
    speaker: int


REPAIR_DEPTH = 1
"""How far a stuck talk may push placed ones along: deeper finds more, slower."""

REPAIR_WIDTH = 2
"""How many placed talks a stuck one may push aside at once."""

ATTEMPTS = 8
"""Greedy runs, each with its own tie-breaking, when one leaves talks unplaced: the best
is kept. Packing speakers who visit one oratory a day is where one run falls short."""

_FIXED = -1
"""The owner of a time taken by something the planner may not move."""


class _Scheduler:
    """Greedy placement, most constrained task first, with a short repair.

    Tasks are placed in order of how few options they have left (as DSatur
    colours a graph); each takes the option that keeps speakers' loads
    level, then joins a visit the speaker already makes to that oratory,
    then spreads a group's talks over days and weeks, then follows the
    seed. A task with no option left may push one or two placed talks to
    other free options. Feasibility counts are updated incrementally, so a
    city's Grest (hundreds of talks) plans in a fraction of a second.

    On small cases checked against an exhaustive search it is optimal
    when speakers may visit two oratories a day; with one-visit-a-day
    speakers a run can fall short, hence :data:`ATTEMPTS`.
    """

    def __init__(
        self,
        tasks: list[_Task],
        options: list[list[_Option]],
        *,
        one_site: set[int],
        rng: random.Random,
    ) -> None:
        self.tasks = tasks
        self.one_site = one_site
        self.options: list[_Option] = []
        self.task_options: list[list[int]] = []
        for per_task in options:
            ids = list(range(len(self.options), len(self.options) + len(per_task)))
            self.options.extend(per_task)
            rng.shuffle(ids)
            self.task_options.append(ids)
        self.tie = [rng.random() for _ in tasks]
        self.by_speaker_day: dict[tuple[int, date], list[int]] = {}
        self.by_group_slot: dict[tuple[GroupKey, date, int], list[int]] = {}
        for oid, o in enumerate(self.options):
            self.by_speaker_day.setdefault((o.speaker, o.day), []).append(oid)
            self.by_group_slot.setdefault((tasks[o.task].group, o.day, o.slot), []).append(oid)
        self.speaker_slot: dict[tuple[int, date, int], int] = {}
        self.group_slot: dict[tuple[GroupKey, date, int], int] = {}
        self.speaker_day: dict[tuple[int, date], list[tuple[int, int]]] = {}
        self.load: Counter[int] = Counter()
        self.group_day: Counter[tuple[GroupKey, date]] = Counter()
        self.group_week: Counter[tuple[GroupKey, int]] = Counter()
        self.site_slot: Counter[tuple[int, date, int]] = Counter()
        self.assigned: dict[int, int] = {}
        """Placed tasks and the option each took."""
        self.ok: list[bool] = []
        self.count: list[int] = []

    # -- what is already fixed -----------------------------------------------

    def fix_speaker(self, speaker: int, day: date, slot: int) -> None:
        self.speaker_slot[(speaker, day, slot)] = _FIXED

    def fix_group(self, group: GroupKey, day: date, slot: int) -> None:
        self.group_slot[(group, day, slot)] = _FIXED

    def fix_visit(self, speaker: int, day: date, site: int) -> None:
        self.speaker_day.setdefault((speaker, day), []).append((_FIXED, site))

    def fix_session(self, speaker: int | None, group: GroupKey | None, day: date) -> None:
        if speaker is not None:
            self.load[speaker] += 1
        if group is not None:
            self.group_day[(group, day)] += 1
            self.group_week[(group, _week(day))] += 1

    # -- feasibility -----------------------------------------------------------

    def feasible(self, oid: int) -> bool:
        o = self.options[oid]
        task = self.tasks[o.task]
        if (o.speaker, o.day, o.slot) in self.speaker_slot:
            return False
        if (task.group, o.day, o.slot) in self.group_slot:
            return False
        return not (
            o.speaker in self.one_site
            and any(site != task.site for _, site in self.speaker_day.get((o.speaker, o.day), ()))
        )

    def blockers(self, oid: int) -> set[int] | None:
        """Placed tasks in the way of an option; ``None`` when something fixed is."""
        o = self.options[oid]
        task = self.tasks[o.task]
        owners = [
            self.speaker_slot.get((o.speaker, o.day, o.slot)),
            self.group_slot.get((task.group, o.day, o.slot)),
        ]
        if o.speaker in self.one_site:
            owners += [
                owner
                for owner, site in self.speaker_day.get((o.speaker, o.day), ())
                if site != task.site
            ]
        found = {owner for owner in owners if owner is not None}
        return None if _FIXED in found else found

    def start(self) -> None:
        self.ok = [self.feasible(oid) for oid in range(len(self.options))]
        self.count = [sum(self.ok[oid] for oid in ids) for ids in self.task_options]

    def _refresh(self, o: _Option) -> None:
        group = self.tasks[o.task].group
        touched = self.by_speaker_day.get((o.speaker, o.day), [])
        touched = touched + self.by_group_slot.get((group, o.day, o.slot), [])
        for oid in touched:
            now = self.feasible(oid)
            if now != self.ok[oid]:
                self.ok[oid] = now
                self.count[self.options[oid].task] += 1 if now else -1

    # -- placing ---------------------------------------------------------------

    def assign(self, task_id: int, oid: int) -> None:
        o = self.options[oid]
        task = self.tasks[task_id]
        self.assigned[task_id] = oid
        self.speaker_slot[(o.speaker, o.day, o.slot)] = task_id
        self.group_slot[(task.group, o.day, o.slot)] = task_id
        self.speaker_day.setdefault((o.speaker, o.day), []).append((task_id, task.site))
        self.load[o.speaker] += 1
        self.group_day[(task.group, o.day)] += 1
        self.group_week[(task.group, _week(o.day))] += 1
        self.site_slot[(task.site, o.day, o.slot)] += 1
        self._refresh(o)

    def unassign(self, task_id: int) -> int:
        """Take a placed task back; return the option it had."""
        oid = self.assigned.pop(task_id)
        o = self.options[oid]
        task = self.tasks[task_id]
        del self.speaker_slot[(o.speaker, o.day, o.slot)]
        del self.group_slot[(task.group, o.day, o.slot)]
        self.speaker_day[(o.speaker, o.day)].remove((task_id, task.site))
        self.load[o.speaker] -= 1
        self.group_day[(task.group, o.day)] -= 1
        self.group_week[(task.group, _week(o.day))] -= 1
        self.site_slot[(task.site, o.day, o.slot)] -= 1
        self._refresh(o)
        return oid

    def best(self, task_id: int) -> int | None:
        """The feasible option that best keeps loads level and spreads the group's talks."""
        task = self.tasks[task_id]
        choices = [oid for oid in self.task_options[task_id] if self.ok[oid]]
        if not choices:
            return None

        def cost(position: int) -> tuple[int, int, int, int, int, int]:
            o = self.options[choices[position]]
            here = self.speaker_day.get((o.speaker, o.day), ())
            return (
                self.load[o.speaker],
                # a speaker already at this oratory that day saves a trip and keeps days free
                0 if any(site == task.site for _, site in here) else 1,
                self.group_day[(task.group, o.day)],
                self.group_week[(task.group, _week(o.day))],
                self.site_slot[(task.site, o.day, o.slot)],
                position,
            )

        return choices[min(range(len(choices)), key=cost)]

    def place(self, task_id: int, depth: int, moving: frozenset[int]) -> bool:
        """Place a task, moving placed talks out of its way, in chains up to ``depth`` long.

        An option blocked only by placed talks (at most :data:`REPAIR_WIDTH`
        of them, none fixed) is taken if each of them can be placed again
        elsewhere; a talk already moving is not moved again, so chains do
        not loop. A failed try is undone exactly.
        """
        best = self.best(task_id)
        if best is not None:
            self.assign(task_id, best)
            return True
        if depth == 0:
            return False
        for oid in self.task_options[task_id]:
            blocking = self.blockers(oid)
            if blocking is None or len(blocking) > REPAIR_WIDTH or blocking & moving:
                continue
            others = sorted(blocking)
            previous = {other: self.unassign(other) for other in others}
            self.assign(task_id, oid)
            placed: list[int] = []
            for other in others:
                if not self.place(other, depth - 1, moving | {task_id, *others}):
                    break
                placed.append(other)
            else:
                return True
            for other in placed:
                self.unassign(other)
            self.unassign(task_id)
            for other in others:
                self.assign(other, previous[other])
        return False

    def run(self) -> list[int]:
        """Place every task it can; return the ones it could not place."""
        self.start()
        pending = set(range(len(self.tasks)))
        unmet: list[int] = []
        while pending:
            task_id = min(pending, key=lambda t: (self.count[t], self.tie[t]))
            pending.discard(task_id)
            if not self.place(task_id, REPAIR_DEPTH, frozenset()):
                unmet.append(task_id)
        return sorted(unmet)


def _week(day: date) -> int:
    return day.toordinal() // 7


def _overlapping_slots(
    start: datetime, end: datetime | None, details: YouthLegalityDetails
) -> Iterator[tuple[date, int]]:
    """The slots of ``start``'s day that the span [start, end) overlaps."""
    length = timedelta(minutes=details.session_minutes)
    end = end if end is not None and end > start else start + length
    day = start.date()
    while day <= end.date():
        for index, slot in enumerate(details.session_slots):
            slot_start = datetime.combine(day, slot)
            if start < slot_start + length and slot_start < end:
                yield day, index
        day += timedelta(days=1)


@dataclass
class _Context:
    """Everything the planner and the report read from the store, read once."""

    store: Store
    details: YouthLegalityDetails
    talks: list[Activity]
    others: list[Activity]
    names: dict[int, str] = field(default_factory=dict)

    def name(self, partner_id: int) -> str:
        """A partner's name (looked up once); a missing partner is named by its id."""
        if partner_id not in self.names:  # the stored name: validating a partner to read
            doc = self.store.partners.raw_by_id().get(partner_id)  # it took a report 20 ms
            name = doc.get("name") if doc is not None else None
            self.names[partner_id] = name if isinstance(name, str) else f"partner {partner_id}"
        return self.names[partner_id]


def _context(
    pact: Pact, store: Store, details: YouthLegalityDetails, *, with_others: bool = True
) -> _Context:
    """The pact's talks, and the other activities of its sites and speakers.

    The store's indexes give the pact's activities and those of its sites and
    speakers; their documents are filtered before they are validated.
    """
    wanted = {s.partner_id for s in details.host_sites} | {s.partner_id for s in details.speakers}
    talks: list[Activity] = []
    others: list[Activity] = []
    if not with_others:  # a report needs the pact's own talks only
        wanted = set()
    candidates = store.activities.raw_where_any(
        pact_id=[pact.id], partner_ids=wanted, place_partner_id=wanted
    )
    for activity_id, doc in candidates:
        if doc.get("status") == ActivityStatus.CANCELLED.value:
            continue
        mine = pact.id is not None and doc.get("pact_id") == pact.id and doc.get("kind") == TALK
        involved = set(doc.get("partner_ids") or ()) | {doc.get("place_partner_id")}
        if not mine and not involved & wanted:
            continue
        try:
            activity = Activity.model_validate({**doc, "id": activity_id})
        except pydantic.ValidationError:
            continue  # the store's own check reports it; a planner must not crash on it
        (talks if mine else others).append(activity)
    return _Context(store, details, talks, others)


def _parse(pact: Pact) -> YouthLegalityDetails:
    return YouthLegalityDetails.model_validate(pact.details)


def _invalid_details(exc: pydantic.ValidationError) -> str:
    return _t("dettagli non validi: ", "invalid details: ") + describe_validation_error(exc)


def _gap(task: _Task, site_name: str, reason: str) -> str:
    return _t(
        f"{site_name}, gruppo «{task.label}»: {task.category.label()}: {reason}",
        f"{site_name}, group «{task.label}»: {task.category.label()}: {reason}",
    )


def _why(task: _Task, site: HostSite, ctx: _Context, has_options: bool) -> str:
    speakers = [s for s in ctx.details.speakers if s.category == task.category.key]
    names = ", ".join(ctx.name(s.partner_id) for s in speakers)
    if not speakers:
        return _t(
            "nessun relatore di questa categoria nel patto",
            "no speaker of this category in the pact",
        )
    if not site.weeks:
        return _t(
            "per questo oratorio non sono indicate le settimane del Grest",
            "no Grest weeks are set for this oratory",
        )
    if not has_options:
        weeks = ", ".join(w.isoformat() for w in site.weeks)
        return _t(
            f"nessun relatore di questa categoria ({names}) è disponibile "
            f"dal lunedì al venerdì delle settimane dell'oratorio (dal {weeks})",
            f"no speaker of this category ({names}) is available Monday to Friday "
            f"in the oratory's weeks (from {weeks})",
        )
    return _t(
        f"i relatori di questa categoria ({names}) sono già impegnati, o il gruppo ha già "
        "un incontro, in ogni orario in cui sarebbero disponibili",
        f"the speakers of this category ({names}) are already booked, or the group already "
        "has a talk, at every time they would be available",
    )


def _spread(loads: Iterable[int]) -> tuple[int, int, int]:
    values = list(loads)
    if not values:
        return (0, 0, 0)
    return (min(values), max(values), max(values) - min(values))


def _tasks(details: YouthLegalityDetails, done: Counter[tuple[GroupKey, str]]) -> list[_Task]:
    """Every group and category that no done talk covers yet, in the pact's order."""
    tasks: list[_Task] = []
    for site in details.host_sites:
        for grest in site.groups:
            key = _group_key(site.partner_id, grest.label)
            for wanted in details.required_categories:
                if done[(key, wanted.key)] == 0:
                    tasks.append(
                        _Task(site.partner_id, key, grest.label, grest.adolescents, wanted)
                    )
    return tasks


def _options(
    tasks: list[_Task], details: YouthLegalityDetails, not_before: date | None
) -> list[list[_Option]]:
    """For each task: every weekday of its site's weeks, speaker of its category free then,
    and slot."""
    sites = {s.partner_id: s for s in details.host_sites}
    options: list[list[_Option]] = []
    for index, task in enumerate(tasks):
        able = [s for s in details.speakers if s.category == task.category.key]
        options.append(
            [
                _Option(index, day, slot, s.partner_id)
                for day in sites[task.site].days()
                if not_before is None or day >= not_before
                for s in able
                if s.available_on(day)
                for slot in range(len(details.session_slots))
            ]
        )
    return options


def _fix(
    scheduler: _Scheduler,
    ctx: _Context,
    classify: _Classifier,
    done_talks: list[Activity],
) -> None:
    """Block the times of done talks and of the speakers' and groups' other activities."""
    speakers = {s.partner_id for s in ctx.details.speakers}
    fixed = [(True, a) for a in done_talks] + [(False, a) for a in ctx.others]
    for mine, activity in fixed:
        group = classify.group(activity)
        day = activity.starts_at.date()
        for busy_day, slot in _overlapping_slots(activity.starts_at, activity.ends_at, ctx.details):
            for pid in activity.involved_partner_ids() & speakers:
                scheduler.fix_speaker(pid, busy_day, slot)
            if group is not None:
                scheduler.fix_group(group, busy_day, slot)
        if mine:
            for pid in sorted(set(activity.partner_ids) & speakers):
                if activity.place_partner_id is not None:
                    scheduler.fix_visit(pid, day, activity.place_partner_id)
                scheduler.fix_session(pid, None, day)
            scheduler.fix_session(None, group, day)


def _talk(pact: Pact, ctx: _Context, task: _Task, option: _Option) -> dict[str, Any]:
    """A proposed talk as ``Registry.create_activities`` takes it."""
    starts = datetime.combine(option.day, ctx.details.session_slots[option.slot])
    speaker = ctx.name(option.speaker)
    return {
        "pact_id": pact.id,
        "title": _t(
            f"Incontro con {task.category.label()}: {speaker}",
            f"Talk with {task.category.label()}: {speaker}",
        ),
        "kind": TALK,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=ctx.details.session_minutes),
        "place_partner_id": task.site,
        "partner_ids": [option.speaker],
        "audience": task.label,
        "audience_count": task.adolescents,
        "status": ActivityStatus.PLANNED.value,
    }


def _stats(
    ctx: _Context, load: Counter[int], open_tasks: int, proposed: int, unmet: int
) -> dict[str, Any]:
    details = ctx.details
    per_speaker = {pid: load[pid] for pid in sorted({s.partner_id for s in details.speakers})}
    low, high, spread = _spread(per_speaker.values())
    groups = [g for s in details.host_sites for g in s.groups]
    required = len(groups) * len(details.required_categories)
    return {
        "groups": len(groups),
        "adolescents": sum(g.adolescents for g in groups),
        "sessions_required": required,
        "sessions_done": required - open_tasks,
        "sessions_proposed": proposed,
        "sessions_unmet": unmet,
        "sessions_per_speaker": {ctx.name(pid): n for pid, n in per_speaker.items()},
        "speaker_load_min": low,
        "speaker_load_max": high,
        "speaker_load_spread": spread,
        "speaker_load_spread_by_category": {
            c.label(): _spread(
                per_speaker[s.partner_id] for s in details.speakers if s.category == c.key
            )[2]
            for c in details.required_categories
        },
    }


def _plan(
    pact: Pact, store: Store, details: YouthLegalityDetails, seed: int, not_before: date | None
) -> Plan:
    ctx = _context(pact, store, details)
    classify = _Classifier(details)
    done: Counter[tuple[GroupKey, str]] = Counter()
    done_talks = sorted(
        (t for t in ctx.talks if t.status is ActivityStatus.DONE),
        key=lambda a: (a.starts_at, a.id or 0),
    )
    for talk in done_talks:
        group = classify.group(talk)
        category = classify.category(talk, group, done)
        if group is not None and category is not None:
            done[(group, category)] += 1
    tasks = _tasks(details, done)
    options = _options(tasks, details, not_before)
    rng = random.Random(seed)
    hopeless = sum(1 for per_task in options if not per_task)  # no run can place these
    tries: list[tuple[tuple[int, int], _Scheduler, list[int]]] = []
    for _attempt in range(ATTEMPTS):
        attempt = _Scheduler(
            tasks,
            options,
            one_site={s.partner_id for s in details.speakers if s.one_site_per_day},
            rng=random.Random(rng.random()),
        )
        _fix(attempt, ctx, classify, done_talks)
        left = attempt.run()
        tries.append(((len(left), _spread(attempt.load.values())[2]), attempt, left))
        if len(left) <= hopeless:
            break
    _score, scheduler, unmet = min(tries, key=lambda t: t[0])

    activities = [
        _talk(pact, ctx, tasks[t], scheduler.options[oid]) for t, oid in scheduler.assigned.items()
    ]
    activities.sort(key=lambda a: (a["starts_at"], ctx.name(a["place_partner_id"]), a["audience"]))
    sites = {s.partner_id: s for s in details.host_sites}
    gaps = [
        _gap(
            tasks[t],
            ctx.name(tasks[t].site),
            _why(tasks[t], sites[tasks[t].site], ctx, bool(options[t])),
        )
        for t in unmet
    ]
    stats = _stats(ctx, scheduler.load, len(tasks), len(activities), len(gaps))
    return Plan(
        activities=activities,
        gaps=gaps,
        stats=stats,
        summary=_summary(stats),
        replaces=frozenset({TALK}),
    )


def _summary(stats: dict[str, Any]) -> list[str]:
    """The figures an operator checks before accepting a plan, in words."""
    return [
        "{groups} ({adolescents}): {required}, {done}, {proposed}.".format(
            groups=bilingual_count(
                stats["groups"], ("{n} gruppo", "{n} group"), ("{n} gruppi", "{n} groups")
            ),
            adolescents=bilingual_count(
                stats["adolescents"],
                ("{n} adolescente", "{n} adolescent"),
                ("{n} adolescenti", "{n} adolescents"),
            ),
            required=bilingual_count(
                stats["sessions_required"],
                ("{n} incontro richiesto", "{n} session required"),
                ("{n} incontri richiesti", "{n} sessions required"),
            ),
            done=bilingual_count(
                stats["sessions_done"],
                ("{n} già svolto", "{n} already held"),
                ("{n} già svolti", "{n} already held"),
            ),
            proposed=bilingual_count(
                stats["sessions_proposed"],
                ("{n} proposto", "{n} proposed"),
                ("{n} proposti", "{n} proposed"),
            ),
        ),
        _t(
            "Incontri per relatore da {low} a {high} (scarto {spread}).",
            "Sessions per speaker from {low} to {high} (spread {spread}).",
        ).format(
            low=stats["speaker_load_min"],
            high=stats["speaker_load_max"],
            spread=stats["speaker_load_spread"],
        ),
    ]


# -- the pact type -------------------------------------------------------------------------


class YouthLegality(PactType):
    """Talks on legality and prevention with the adolescents of parish summer centres."""

    name = "youth_legality"
    label_it = "Legalità e prevenzione con gli adolescenti"
    label_en = "Legality and prevention with adolescents"
    description_it = (
        "Incontri su legalità e prevenzione con gli adolescenti dei Grest degli oratori: "
        "ogni gruppo incontra una volta la Polizia Locale, operatori sanitari, "
        "amministratori locali e operatori sociosanitari."
    )
    description_en = (
        "Talks on legality and prevention with the adolescents of the oratories' summer "
        "centres (Grest): every group meets the Polizia Locale, health staff, local "
        "politicians and socio-health workers once each."
    )
    Details = YouthLegalityDetails
    roles: ClassVar[tuple[Role, ...]] = (
        Role(
            "host",
            "Oratorio ospitante",
            "Host oratory",
            min=1,
            description="A parish oratory whose Grest groups meet the speakers.",
            kinds=frozenset({PartnerKind.PARISH.value}),
        ),
        Role(
            "speaker",
            "Relatore",
            "Speaker",
            min=1,
            description="Polizia Locale, health, politics or socio-health: talks to the groups.",
        ),
        Role("promoter", "Promotore", "Promoter", min=0, max=2),
    )
    default_themes = ("legality", "prevention", "youth")
    default_indicators = (
        Indicator(key="groups_reached", label="Gruppi raggiunti", unit="gruppi"),
        Indicator(key="adolescents_reached", label="Adolescenti raggiunti", unit="adolescenti"),
        Indicator(key="sessions_held", label="Incontri realizzati", unit="incontri"),
    )

    def plan(
        self, pact: Pact, store: Store, *, seed: int = 0, not_before: date | None = None
    ) -> Plan:
        """One talk per group and category, within the group's weeks, with a free speaker.

        Done talks of the pact stay and count; still-planned ones are ignored,
        since applying the plan replaces them. Other activities of the
        speakers (other pacts included) and of the groups block their times.
        ``not_before`` keeps proposals out of days already gone.
        """
        try:
            details = _parse(pact)
        except pydantic.ValidationError as exc:
            return Plan(gaps=[_invalid_details(exc)], replaces=frozenset({TALK}))
        return _plan(pact, store, details, seed, not_before)

    def report_section(self, pact: Pact, store: Store) -> ReportSection:
        """Groups and adolescents reached, talks per category, speakers involved."""
        title = self.label()
        try:
            details = _parse(pact)
        except pydantic.ValidationError as exc:
            return ReportSection(title=title, lines=[_invalid_details(exc)])
        ctx = _context(pact, store, details, with_others=False)
        classify = _Classifier(details)
        counted: dict[str, Counter[Any]] = {"done": Counter(), "planned": Counter()}
        reached: set[GroupKey] = set()
        speakers: dict[str, set[int]] = {"done": set(), "planned": set()}
        attendance = 0
        for talk in sorted(ctx.talks, key=lambda a: (a.starts_at, a.id or 0)):
            state = talk.status.value
            if state not in counted:
                continue
            group = classify.group(talk)
            category = classify.category(talk, group, counted[state])
            counted[state][(group, category)] += 1
            counted[state][category] += 1
            speakers[state].update(talk.partner_ids)
            if talk.status is ActivityStatus.DONE:
                attendance += talk.attendance or 0
                if group is not None:
                    reached.add(group)
        groups = {k: g for k, (_s, g) in classify.groups.items()}
        figures: dict[str, float | int] = {
            "groups": len(groups),
            "groups_reached": len(reached),
            "adolescents": sum(g.adolescents for g in groups.values()),
            "adolescents_reached": sum(groups[k].adolescents for k in reached),
            "attendance": attendance,
            "sessions_done": sum(1 for t in ctx.talks if t.status is ActivityStatus.DONE),
            "sessions_planned": sum(1 for t in ctx.talks if t.status is ActivityStatus.PLANNED),
            "speakers_involved": len(speakers["done"]),
            "speakers_planned": len(speakers["planned"] - speakers["done"]),
        }
        lines = [
            _t(
                f"Gruppi raggiunti: {len(reached)} su {len(groups)} "
                f"({figures['adolescents_reached']} adolescenti su {figures['adolescents']}).",
                f"Groups reached: {len(reached)} of {len(groups)} "
                f"({figures['adolescents_reached']} adolescents of {figures['adolescents']}).",
            )
        ]
        for wanted in details.required_categories:
            done = counted["done"][wanted.key]
            planned = counted["planned"][wanted.key]
            figures[f"sessions_done_{wanted.key}"] = done
            figures[f"sessions_planned_{wanted.key}"] = planned
            lines.append(
                _t(
                    f"{wanted.label()}: {done} incontri svolti, {planned} in programma "
                    f"(uno per gruppo: {len(groups)}).",
                    f"{wanted.label()}: {done} talks held, {planned} planned "
                    f"(one per group: {len(groups)}).",
                )
            )
        involved = sorted((ctx.name(p) for p in speakers["done"]), key=str.casefold)
        lines.append(
            _t("Relatori coinvolti: ", "Speakers involved: ") + (", ".join(involved) or "—")
        )
        coming = speakers["planned"] - speakers["done"]
        if coming:
            names = ", ".join(sorted((ctx.name(p) for p in coming), key=str.casefold))
            lines.append(_t("Relatori in programma: ", "Speakers still to come: ") + names)
        return ReportSection(title=title, lines=lines, figures=figures)

    @classmethod
    def problems(cls, pact: Pact, store: Store) -> list[str]:
        """What the store says is wrong with the pact's sites and speakers, in words.

        Sites must be parish oratories that are members as hosts, speakers
        members as speakers. That every category has a speaker is required
        once the pact is proposed: a draft is filled in as speakers say yes.
        """
        try:
            details = _parse(pact)
        except pydantic.ValidationError as exc:
            return [_invalid_details(exc)]
        hosts = {m.partner_id for m in pact.members if m.role == "host"}
        speaking = {m.partner_id for m in pact.members if m.role == "speaker"}
        problems: list[str] = []
        for site in details.host_sites:
            partner = store.partners.find(site.partner_id)
            if partner is None:
                problems.append(
                    _t(
                        f"sede del Grest: nessun partner con id {site.partner_id}",
                        f"Grest site: no partner with id {site.partner_id}",
                    )
                )
                continue
            if partner.kind is not PartnerKind.PARISH:
                problems.append(
                    _t(
                        f"{partner.name} è «{partner.kind.label}», non una parrocchia/oratorio: "
                        "i Grest si tengono negli oratori",
                        f"{partner.name} is «{partner.kind.label}», not a parish/oratory: "
                        "the Grest is held at oratories",
                    )
                )
            if site.partner_id not in hosts:
                problems.append(
                    _t(
                        f"{partner.name} ospita gruppi del Grest ma non è membro del patto "
                        "con il ruolo di oratorio ospitante",
                        f"{partner.name} hosts Grest groups but is not a member of the pact "
                        "with the role host",
                    )
                )
        for speaker in details.speakers:
            partner = store.partners.find(speaker.partner_id)
            if partner is None:
                problems.append(
                    _t(
                        f"relatore: nessun partner con id {speaker.partner_id}",
                        f"speaker: no partner with id {speaker.partner_id}",
                    )
                )
            elif speaker.partner_id not in speaking:
                problems.append(
                    _t(
                        f"{partner.name} è tra i relatori ma non è membro del patto "
                        "con il ruolo di relatore",
                        f"{partner.name} is listed as a speaker but is not a member of the pact "
                        "with the role speaker",
                    )
                )
        if pact.status not in (PactStatus.DRAFT, PactStatus.CANCELLED):
            covered = {s.category for s in details.speakers}
            for category in details.required_categories:
                if category.key not in covered:
                    problems.append(
                        _t(
                            f"nessun relatore per la categoria «{category.label()}»: "
                            "aggiungine uno prima di proporre il patto",
                            f"no speaker for the category «{category.label()}»: "
                            "add one before proposing the pact",
                        )
                    )
        return problems


# -- hooks ---------------------------------------------------------------------------------


@hookimpl
def register_pact_types(register: Callable[[type[PactType]], None]) -> None:
    register(YouthLegality)
