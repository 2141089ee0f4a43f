"""The annual report ("rendicontazione"): a year's figures, the series over all years, and
an account in Italian and English that a municipal office can publish.

Every figure is counted from the stored documents in one pass over each table
(``raw_items()``, no model validation), so a report stays fast at province
scale. The words "activated", "active", "concluded" and "involved" have one
meaning each, defined here and in ``docs/reports.md``, and shared with
:mod:`patti.core.network` so the two never disagree:

- a pact is **activated in Y** when its ``year`` is Y and it is active or
  concluded (drafts and proposals have not started; a cancelled pact is
  shown by status, never as an activation);
- a pact is **active in Y** when it is active or concluded and its span
  (:func:`pact_span`) includes Y;
- a pact is **concluded in Y** when its status is concluded and its span ends in Y;
- a partner is **involved in Y** when its membership of a pact active in Y
  covers Y (:func:`member_span`), or it took part in an activity of Y that
  counts (:func:`activity_counts`).
"""

from __future__ import annotations

import dataclasses
import functools
import gettext as _gettext
import weakref
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic
from babel.numbers import format_decimal

from .i18n import DOMAIN, LOCALE_DIR, current_language
from .model import (
    ACTIVITY_KIND_LABELS,
    ActivityStatus,
    Pact,
    PactStatus,
    PartnerKind,
    activity_kind_label,
)
from .pact_types import PactType, ReportSection
from .plugins import PluginError
from .reference import BASE_THEMES, Theme
from .store import ENTITY_TABLES

if TYPE_CHECKING:
    from .plugins import PluginHost
    from .store import Store

__all__ = [
    "LIVE_PACT_STATUSES",
    "ActivityFigures",
    "AnnualReport",
    "CoverageFigures",
    "IndicatorFigures",
    "IndicatorLine",
    "JsonReady",
    "Labels",
    "PactFigures",
    "PactGroup",
    "PactRef",
    "PactSection",
    "PartnerFigures",
    "PartnerRef",
    "ReportSeries",
    "Span",
    "activity_counts",
    "activity_partners",
    "activity_year",
    "annual_report",
    "member_span",
    "narrative",
    "pact_span",
    "report_series",
]

#: Statuses of a pact that is (or was) really running: the only ones that count in a year.
LIVE_PACT_STATUSES = frozenset({PactStatus.ACTIVE.value, PactStatus.CONCLUDED.value})

_DONE = ActivityStatus.DONE.value
_PLANNED = ActivityStatus.PLANNED.value
_CANCELLED = ActivityStatus.CANCELLED.value
_CONCLUDED = PactStatus.CONCLUDED.value
_INFORMAL = PartnerKind.INFORMAL_GROUP.value

_MAX_TITLES = 20
"""Pact titles the narrative lists before "and others": a paragraph, not a register."""
_MAX_NAMES = 10
"""New partners the narrative names before "and others"."""


# -- the definitions ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """The years a pact (or a membership) counts in, both included; ``last=None``: still open."""

    first: int
    last: int | None

    def covers(self, year: int) -> bool:
        return self.first <= year and (self.last is None or year <= self.last)


def _year(value: object) -> int | None:
    """The year of a stored ISO date or datetime (``"2021-10-05…"``) without parsing it."""
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        return int(value[:4])
    return None


def pact_span(doc: Mapping[str, Any]) -> Span | None:
    """The years a stored pact is active in, or ``None`` when it never is.

    Only active and concluded pacts count. The span runs from the start
    date's year (the activation ``year`` when there is no start) to the end
    date's year; with no end, an active pact is still open and a concluded
    one ended in its first year or its activation year, whichever is later.
    """
    status = doc.get("status")
    year = doc.get("year")
    if status not in LIVE_PACT_STATUSES or not isinstance(year, int):
        return None
    first = _year(doc.get("start")) or year
    last = _year(doc.get("end"))
    if last is None and status == _CONCLUDED:
        last = max(first, year)
    if last is not None and last < first:  # an end year before the activation year
        first = last
    return Span(first, last)


def member_span(member: Mapping[str, Any], span: Span) -> Span | None:
    """The part of a pact's ``span`` a membership covers (its own dates narrow it)."""
    first = max(span.first, _year(member.get("start")) or span.first)
    own_last = _year(member.get("end"))
    if own_last is None:
        last = span.last
    else:
        last = own_last if span.last is None else min(span.last, own_last)
    if last is not None and last < first:
        return None
    return Span(first, last)


def activity_year(doc: Mapping[str, Any]) -> int | None:
    """The year an activity is dated in: the year it starts."""
    return _year(doc.get("starts_at"))


def activity_counts(doc: Mapping[str, Any], pact_status: str | None) -> bool:
    """Whether an activity counts as taking part: done, or planned in a live pact.

    A cancelled activity never counts; a planned one counts only when its
    pact is active or concluded, since a draft's or a cancelled pact's plans
    commit nobody. A done activity happened, whatever became of its pact.
    """
    status = doc.get("status", _PLANNED)
    if status == _DONE:
        return True
    return status == _PLANNED and pact_status in LIVE_PACT_STATUSES


def activity_partners(doc: Mapping[str, Any]) -> set[int]:
    """Partners that took part in an activity: its participants and its host."""
    ids = set(doc.get("partner_ids") or ())
    place = doc.get("place_partner_id")
    if place is not None:
        ids.add(place)
    return ids


# -- the figures ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready copy: dataclasses become dicts, tuples lists, keys strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


class JsonReady:
    """Mixin: ``as_json()`` for the dataclasses of reports and the network."""

    def as_json(self) -> dict[str, Any]:
        """Plain dicts, lists, strings and numbers, ready for ``orjson.dumps``."""
        result: dict[str, Any] = _plain(self)
        return result


@dataclass(frozen=True)
class PactRef(JsonReady):
    """A pact named in a report."""

    id: int
    code: str
    title: str
    type: str
    status: str
    year: int | None


@dataclass(frozen=True)
class PartnerRef(JsonReady):
    """A partner named in a report (an organisation: never a person)."""

    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class PactGroup(JsonReady):
    """A set of pacts and how it splits; a pact with two zones counts in both."""

    count: int
    by_type: dict[str, int]
    by_status: dict[str, int]
    by_theme: dict[str, int]
    by_zone: dict[str, int]
    pacts: tuple[PactRef, ...]


@dataclass(frozen=True)
class PactFigures(JsonReady):
    """The year's pacts: every one whose ``year`` is Y (any status), then the three
    defined sets."""

    registered: PactGroup
    activated: PactGroup
    active: PactGroup
    concluded: PactGroup


@dataclass(frozen=True)
class PartnerFigures(JsonReady):
    """Partners involved in the year, and the change against the previous year.

    ``returning`` were involved in both years; ``first_time`` are the new
    ones never involved in any earlier year. Partners are listed by name.
    Percentages are rounded to one decimal, as the narrative prints them;
    ``None`` when undefined.
    """

    involved: int
    by_kind: dict[str, int]
    informal_groups: int
    informal_percent: float | None
    previous_year: int
    previous_involved: int
    growth_percent: float | None
    new: int
    returning: int
    lost: int
    first_time: int
    involved_partners: tuple[PartnerRef, ...]
    new_partners: tuple[PartnerRef, ...]
    lost_partners: tuple[PartnerRef, ...]


@dataclass(frozen=True)
class ActivityFigures(JsonReady):
    """Activities dated in the year and who they reached, as counts only.

    ``planned`` counts only activities of live pacts (see
    :func:`activity_counts`); ``by_kind`` splits the done and planned ones.
    ``attendance`` adds up presences at done activities (one person at two
    meetings is two presences). An audience group is a pact's audience
    label at one place; ``people_reached`` counts each group once, at the
    largest size recorded for it (its ``audience_count``, else its attendance).
    """

    total: int
    done: int
    planned: int
    cancelled: int
    by_kind: dict[str, int]
    attendance: int
    audience_groups: int
    people_reached: int


@dataclass(frozen=True)
class IndicatorLine(JsonReady):
    """One indicator of a pact active in the year: target against actual."""

    pact_code: str
    key: str
    label: str
    unit: str
    target: float | None
    actual: float | None
    reached: bool | None
    """``actual >= target``; ``None`` until both are known."""


@dataclass(frozen=True)
class IndicatorFigures(JsonReady):
    """Indicators of the pacts active in the year."""

    total: int
    with_target: int
    measured: int
    """With both a target and an actual value."""
    reached: int
    missing: int
    """With a target but no actual value yet."""
    lines: tuple[IndicatorLine, ...]


@dataclass(frozen=True)
class CoverageFigures(JsonReady):
    """Zones and themes the year's active pacts cover, and the known ones they miss."""

    zones_covered: tuple[str, ...]
    zones_without_pact: tuple[str, ...]
    themes_covered: tuple[str, ...]
    themes_without_pact: tuple[str, ...]


@dataclass(frozen=True)
class PactSection(JsonReady):
    """A pact type's own part of the report, for one pact active in the year."""

    pact_id: int
    pact_code: str
    pact_type: str
    title: str
    lines: tuple[str, ...]
    figures: dict[str, float | int]


@dataclass(frozen=True)
class Labels(JsonReady):
    """Names of zones and themes in both languages, so a report reads without the host."""

    zones: dict[str, str] = field(default_factory=dict)
    themes_it: dict[str, str] = field(default_factory=dict)
    themes_en: dict[str, str] = field(default_factory=dict)
    kinds_it: dict[str, str] = field(default_factory=dict)
    """Activity kinds (slugs such as ``testimony``) named for a reader."""
    kinds_en: dict[str, str] = field(default_factory=dict)

    def zone(self, key: str) -> str:
        return self.zones.get(key, key)

    def theme(self, key: str, language: str) -> str:
        names = self.themes_it if language == "it" else self.themes_en
        return names.get(key, key)

    def kind(self, key: str, language: str) -> str:
        """An activity kind's name; an unknown kind (a plugin's own) stays its slug."""
        names = self.kinds_it if language == "it" else self.kinds_en
        return names.get(key, key)


@dataclass(frozen=True)
class AnnualReport(JsonReady):
    """Everything the annual report says about one year, counted from the store."""

    year: int
    pacts: PactFigures
    partners: PartnerFigures
    activities: ActivityFigures
    indicators: IndicatorFigures
    coverage: CoverageFigures
    sections: tuple[PactSection, ...]
    failures: tuple[str, ...]
    """Plugins whose report section raised: each was disabled, the report went on."""
    labels: Labels


@dataclass(frozen=True)
class ReportSeries(JsonReady):
    """The year's figures for every year the store knows, oldest first (no plugin sections)."""

    reports: tuple[AnnualReport, ...]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(r.year for r in self.reports)

    def get(self, year: int) -> AnnualReport | None:
        return next((r for r in self.reports if r.year == year), None)


# -- the one pass ----------------------------------------------------------------------


@dataclass(slots=True)
class _Pact:
    id: int
    ref: PactRef
    span: Span | None
    zones: tuple[str, ...]
    themes: tuple[str, ...]
    members: tuple[tuple[int, Span], ...]
    indicators: tuple[Mapping[str, Any], ...]


@dataclass(slots=True)
class _YearActivities:
    done: int = 0
    planned: int = 0
    cancelled: int = 0
    attendance: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    groups: dict[tuple[Any, ...], int] = field(default_factory=dict)
    participants: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Index:
    """What one pass over the three tables keeps: enough for any year's figures."""

    partners: dict[int, tuple[str, str, tuple[str, ...]]]
    pacts: list[_Pact]
    activities: dict[int, _YearActivities]
    first_year: dict[int, int]
    """The first year each partner was involved in."""

    def years(self) -> list[int]:
        """Every year something happened in, from the first to the last."""
        seen: set[int] = set(self.activities)
        for pact in self.pacts:
            if pact.ref.year is not None:
                seen.add(pact.ref.year)
            if pact.span is not None:
                seen.add(pact.span.first)
                if pact.span.last is not None:
                    seen.add(pact.span.last)
        return list(range(min(seen), max(seen) + 1)) if seen else []

    def involved(self, year: int) -> set[int]:
        """Partners involved in ``year`` (see the module's definitions)."""
        ids = set(self.activities[year].participants) if year in self.activities else set()
        for pact in self.pacts:
            if pact.span is not None and pact.span.covers(year):
                ids.update(pid for pid, span in pact.members if span.covers(year))
        return ids

    def ref(self, partner_id: int) -> PartnerRef:
        name, kind, _zones = self.partners.get(partner_id, ("", "", ()))
        return PartnerRef(partner_id, name or f"#{partner_id}", kind)


_PartnerRow = tuple[str, str, tuple[str, ...]]
"""A partner as the figures need it: name, kind, zones."""


@dataclass(slots=True)
class _Pacts:
    """The pacts' part of the index."""

    pacts: list[_Pact]
    live: frozenset[int]
    """Active and concluded pacts: their planned activities count."""
    first_year: dict[int, int]
    """The first year each partner was a member of a live pact."""


@dataclass(slots=True)
class _Activities:
    """The activities' part of the index, by year, and the ids of each year's activities:
    after an edit, the years it touched are tallied again, not 85,000 records."""

    live: frozenset[int]
    detail: frozenset[int] | None
    years: dict[int, _YearActivities] = field(default_factory=dict)
    ids_by_year: dict[int, set[int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Scan:
    version: int
    partners: dict[int, _PartnerRow]
    pacts: _Pacts
    activities: _Activities
    index: _Index


#: The last index read from each store and the store version it is up to date with:
#: the report screen's year switches, and a report with its series, read it once; after
#: commits, only the tables they changed are read again (of the activities, only the
#: years the changed ones were or are in).
_SCANS: weakref.WeakKeyDictionary[Store, _Scan] = weakref.WeakKeyDictionary()


def _scan(store: Store, detail: Collection[int] | None = None) -> _Index:
    """The store's index with details for the ``detail`` years (all when ``None``)."""
    wanted = None if detail is None else frozenset(detail)
    if any(store._storage.pending_ids(t) for t in ENTITY_TABLES):
        return _read(store, wanted)  # inside a transaction: its changes, not cached
    cached = _SCANS.pop(store, None)  # put back once up to date: never half updated
    changes = None if cached is None else store.changes_since(cached.version)
    if cached is None or changes is None:
        partners, pacts = _read_partners(store), _read_pacts(store)
        activities = _read_activities(store, pacts.live, wanted)
    else:
        partners = _read_partners(store) if changes.get("partners") else cached.partners
        pacts = _read_pacts(store) if changes.get("pacts") else cached.pacts
        activities = cached.activities
        if activities.live != pacts.live:  # a pact went live or not: its plans count or not
            activities = _read_activities(store, pacts.live, _wider(activities.detail, wanted))
        else:
            _update_activities(store, activities, changes.get("activities", set()), wanted)
        if not any(changes.get(t) for t in ENTITY_TABLES):  # more detail at most
            _SCANS[store] = dataclasses.replace(cached, version=store.version)
            return cached.index
    index = _Index(partners, pacts.pacts, activities.years, _first_years(pacts, activities))
    _SCANS[store] = _Scan(store.version, partners, pacts, activities, index)
    return index


def _wider(a: frozenset[int] | None, b: frozenset[int] | None) -> frozenset[int] | None:
    return None if a is None or b is None else a | b


def _read(store: Store, detail: frozenset[int] | None = None) -> _Index:
    """Read the three tables once; activities' details (kinds, audiences) only for the
    ``detail`` years (all when ``None``), their participants for every year."""
    pacts = _read_pacts(store)
    activities = _read_activities(store, pacts.live, detail)
    return _Index(
        _read_partners(store), pacts.pacts, activities.years, _first_years(pacts, activities)
    )


def _read_partners(store: Store) -> dict[int, _PartnerRow]:
    return {
        pid: (str(doc.get("name", "")), str(doc.get("kind", "")), tuple(doc.get("zones") or ()))
        for pid, doc in store.partners.raw_items()
    }


def _read_pacts(store: Store) -> _Pacts:
    pacts: list[_Pact] = []
    live: set[int] = set()
    first_year: dict[int, int] = {}
    for pact_id, doc in store.pacts.raw_items():
        status = str(doc.get("status", PactStatus.DRAFT.value))
        if status in LIVE_PACT_STATUSES:
            live.add(pact_id)
        span = pact_span(doc)
        members: list[tuple[int, Span]] = []
        if span is not None:
            for member in doc.get("members") or ():
                own = member_span(member, span)
                if own is not None:
                    pid = member["partner_id"]
                    members.append((pid, own))
                    if own.first < first_year.get(pid, own.first + 1):
                        first_year[pid] = own.first
        year = doc.get("year")
        pacts.append(
            _Pact(
                id=pact_id,
                ref=PactRef(
                    pact_id,
                    str(doc.get("code", "")),
                    str(doc.get("title", "")),
                    str(doc.get("type", "")),
                    status,
                    year if isinstance(year, int) else None,
                ),
                span=span,
                zones=tuple(doc.get("zones") or ()),
                themes=tuple(doc.get("themes") or ()),
                members=tuple(members),
                indicators=tuple(doc.get("indicators") or ()),
            )
        )
    return _Pacts(pacts, frozenset(live), first_year)


def _read_activities(
    store: Store, live: frozenset[int], detail: frozenset[int] | None
) -> _Activities:
    found = _Activities(live, detail)
    _tally(found, store.activities.raw_items())
    return found


def _update_activities(
    store: Store, found: _Activities, changed: Collection[int], wanted: frozenset[int] | None
) -> None:
    """Tally again the years ``changed`` activities were or are in, and the years
    ``wanted`` in detail that were not."""
    rows = store._raw("activities")
    redo: set[int] = set()
    for activity_id in changed:
        for was, ids in found.ids_by_year.items():  # ten-odd years: cheaper than a map
            if activity_id in ids:
                ids.discard(activity_id)
                redo.add(was)
                break
        doc = rows.get(str(activity_id))
        now = _activity_year(doc) if doc is not None else None
        if now is not None:
            redo.add(now)
            found.ids_by_year.setdefault(now, set()).add(activity_id)
    if found.detail is not None and (wanted is None or not wanted <= found.detail):
        redo.update(y for y in found.ids_by_year if wanted is None or y in wanted)
        found.detail = _wider(found.detail, wanted)
    for year in redo:
        found.years.pop(year, None)
        ids = found.ids_by_year.pop(year, set())
        _tally(found, ((i, rows[str(i)]) for i in sorted(ids) if str(i) in rows))


def _activity_year(doc: Mapping[str, Any]) -> int | None:
    """The year :func:`_tally` counts an activity in (its rule, inlined there)."""
    starts = doc.get("starts_at") or ""
    try:
        return int(starts[:4])
    except (TypeError, ValueError):
        return None


def _tally(found: _Activities, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Count ``rows`` into the years they are dated in."""
    years = found.years
    ids_by_year = found.ids_by_year
    live = found.live
    detail = found.detail
    # The hot loop of a report: at province scale it runs 100,000 times, so the rules
    # of activity_year() and activity_counts() are inlined here and only the years
    # asked for get the full detail.
    for activity_id, doc in rows:
        starts = doc.get("starts_at") or ""
        try:
            year = int(starts[:4])
        except (TypeError, ValueError):
            continue
        agg = years.get(year)
        if agg is None:
            agg = years[year] = _YearActivities()
            ids_by_year[year] = {activity_id}
        else:
            ids_by_year[year].add(activity_id)
        status = doc.get("status", _PLANNED)
        if status == _CANCELLED:
            agg.cancelled += 1
            continue
        if status != _DONE and (status != _PLANNED or doc.get("pact_id") not in live):
            continue
        ids = doc.get("partner_ids")
        if ids:
            agg.participants.update(ids)
        place = doc.get("place_partner_id")
        if place is not None:
            agg.participants.add(place)
        if detail is not None and year not in detail:
            continue
        agg.kinds[str(doc.get("kind") or "")] += 1
        if status != _DONE:
            agg.planned += 1
            continue
        agg.done += 1
        attendance = doc.get("attendance") or 0
        agg.attendance += attendance
        label = doc.get("audience")
        if label:
            where = place or str(doc.get("place") or "").casefold()
            key = (doc.get("pact_id"), where, label.strip().casefold())
            size = doc.get("audience_count") or attendance
            if size >= agg.groups.get(key, 0):
                agg.groups[key] = size


def _first_years(pacts: _Pacts, activities: _Activities) -> dict[int, int]:
    """The first year each partner was involved in: as a member, or in an activity."""
    first_year = dict(pacts.first_year)
    years = activities.years
    for year in sorted(years):
        for pid in years[year].participants:
            if year < first_year.get(pid, year + 1):
                first_year[pid] = year
    return first_year


# -- from the index to a year's figures --------------------------------------------


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def _group(pacts: Iterable[_Pact]) -> PactGroup:
    chosen = sorted(pacts, key=lambda p: (p.ref.code, p.id))
    types: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    themes: Counter[str] = Counter()
    zones: Counter[str] = Counter()
    for pact in chosen:
        types[pact.ref.type] += 1
        statuses[pact.ref.status] += 1
        themes.update(pact.themes)
        zones.update(pact.zones)
    return PactGroup(
        count=len(chosen),
        by_type=_sorted_counts(types),
        by_status=_sorted_counts(statuses),
        by_theme=_sorted_counts(themes),
        by_zone=_sorted_counts(zones),
        pacts=tuple(p.ref for p in chosen),
    )


def _active(index: _Index, year: int) -> list[_Pact]:
    return [p for p in index.pacts if p.span is not None and p.span.covers(year)]


def _pact_figures(index: _Index, year: int, active: list[_Pact]) -> PactFigures:
    registered = [p for p in index.pacts if p.ref.year == year]
    return PactFigures(
        registered=_group(registered),
        activated=_group(p for p in registered if p.ref.status in LIVE_PACT_STATUSES),
        active=_group(active),
        concluded=_group(
            p for p in active if p.ref.status == _CONCLUDED and p.span and p.span.last == year
        ),
    )


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _partner_figures(index: _Index, year: int) -> PartnerFigures:
    now = index.involved(year)
    before = index.involved(year - 1)
    kinds: Counter[str] = Counter(index.ref(pid).kind for pid in now)
    informal = kinds.get(_INFORMAL, 0)
    new = now - before
    growth = _percent(len(now) - len(before), len(before))

    def refs(ids: set[int]) -> tuple[PartnerRef, ...]:
        return tuple(sorted((index.ref(i) for i in ids), key=lambda r: (r.name.casefold(), r.id)))

    return PartnerFigures(
        involved=len(now),
        by_kind=_sorted_counts(kinds),
        informal_groups=informal,
        informal_percent=_percent(informal, len(now)),
        previous_year=year - 1,
        previous_involved=len(before),
        growth_percent=growth,
        new=len(new),
        returning=len(now & before),
        lost=len(before - now),
        first_time=sum(1 for pid in new if index.first_year.get(pid) == year),
        involved_partners=refs(now),
        new_partners=refs(new),
        lost_partners=refs(before - now),
    )


def _activity_figures(index: _Index, year: int) -> ActivityFigures:
    agg = index.activities.get(year) or _YearActivities()
    return ActivityFigures(
        total=agg.done + agg.planned + agg.cancelled,
        done=agg.done,
        planned=agg.planned,
        cancelled=agg.cancelled,
        by_kind=_sorted_counts(agg.kinds),
        attendance=agg.attendance,
        audience_groups=len(agg.groups),
        people_reached=sum(agg.groups.values()),
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _indicator_figures(active: list[_Pact]) -> IndicatorFigures:
    lines = []
    for pact in sorted(active, key=lambda p: (p.ref.code, p.id)):
        for raw in pact.indicators:
            target, actual = _number(raw.get("target")), _number(raw.get("actual"))
            lines.append(
                IndicatorLine(
                    pact_code=pact.ref.code,
                    key=str(raw.get("key", "")),
                    label=str(raw.get("label", "")),
                    unit=str(raw.get("unit", "")),
                    target=target,
                    actual=actual,
                    reached=None if target is None or actual is None else actual >= target,
                )
            )
    with_target = [line for line in lines if line.target is not None]
    return IndicatorFigures(
        total=len(lines),
        with_target=len(with_target),
        measured=sum(1 for line in with_target if line.actual is not None),
        reached=sum(1 for line in with_target if line.reached),
        missing=sum(1 for line in with_target if line.actual is None),
        lines=tuple(lines),
    )


def _coverage(active: list[_Pact], zones: list[str], themes: list[str]) -> CoverageFigures:
    zones_covered = sorted({z for p in active for z in p.zones})
    themes_covered = sorted({t for p in active for t in p.themes})
    return CoverageFigures(
        zones_covered=tuple(zones_covered),
        zones_without_pact=tuple(z for z in zones if z not in zones_covered),
        themes_covered=tuple(themes_covered),
        themes_without_pact=tuple(t for t in themes if t not in themes_covered),
    )


def _reference(plugins: PluginHost | None, index: _Index) -> tuple[list[str], list[str], Labels]:
    """The zones and themes a year can miss, and their names.

    The host's reference data when there is one; otherwise the base themes
    and, for zones, every zone a partner or a pact names (without a city
    pack, those are the only zones patti can know of).
    """
    reference = plugins.reference_data() if plugins is not None else None
    themes: list[Theme] = list(reference.themes if reference is not None else BASE_THEMES)
    zone_names = {z.key: z.label for z in reference.zones} if reference is not None else {}
    if zone_names:
        zones = list(zone_names)
    else:
        seen = {z for _n, _k, zs in index.partners.values() for z in zs}
        seen.update(z for p in index.pacts for z in p.zones)
        zones = sorted(seen)
    labels = Labels(
        zones=zone_names,
        themes_it={t.key: t.label_it for t in themes},
        themes_en={t.key: t.label_en for t in themes},
        kinds_it=_kind_labels("it"),
        kinds_en=_kind_labels("en"),
    )
    return zones, [t.key for t in themes], labels


@functools.cache
def _kind_labels(language: str) -> dict[str, str]:
    """The known activity kinds in ``language``, whatever the interface's language."""
    catalog = _gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True
    )
    return {key: activity_kind_label(key, catalog) for key in ACTIVITY_KIND_LABELS}


def _type_section(pact_type: type[PactType], pact: Pact, store: Store) -> ReportSection | None:
    """A pact type's section, refusing anything but a ``ReportSection`` as the plugin's bug."""
    result = pact_type().report_section(pact, store)
    if result is not None and not isinstance(result, ReportSection):
        raise TypeError(f"report_section() returned {type(result).__name__}, not a ReportSection")
    return result


def _sections(
    store: Store, plugins: PluginHost, active: list[_Pact]
) -> tuple[list[PactSection], list[str]]:
    """Each active pact's section from its type, run under the host's guard: a plugin that
    raises is disabled and named in the failures, and the report goes on without it."""
    sections: list[PactSection] = []
    failures: list[str] = []
    for entry in sorted(active, key=lambda p: (p.ref.code, p.id)):
        pact_type = plugins.pact_type(entry.ref.type)
        if pact_type is None:
            continue
        try:
            pact = store.pacts.get(entry.id)
        except pydantic.ValidationError:  # `patti check` reports it; the report skips it
            continue
        try:
            result = plugins.guarded(pact_type, "report", _type_section, pact_type, pact, store)
        except PluginError as exc:
            failures.append(str(exc))
            continue
        if result is not None:
            sections.append(
                PactSection(
                    pact_id=entry.id,
                    pact_code=entry.ref.code,
                    pact_type=entry.ref.type,
                    title=str(result.title),
                    lines=tuple(str(line) for line in result.lines),
                    figures=dict(result.figures),
                )
            )
    return sections, failures


def _report(
    index: _Index,
    year: int,
    zones: list[str],
    themes: list[str],
    labels: Labels,
    sections: tuple[PactSection, ...] = (),
    failures: tuple[str, ...] = (),
) -> AnnualReport:
    active = _active(index, year)
    return AnnualReport(
        year=year,
        pacts=_pact_figures(index, year, active),
        partners=_partner_figures(index, year),
        activities=_activity_figures(index, year),
        indicators=_indicator_figures(active),
        coverage=_coverage(active, zones, themes),
        sections=sections,
        failures=failures,
        labels=labels,
    )


def annual_report(
    store: Store, year: int, *, plugins: PluginHost | None = None, sections: bool = True
) -> AnnualReport:
    """The figures of ``year``, with each active pact's own section when a host is given.

    Plugin sections run the plugins' own code, which may read the whole
    store for each pact: ``sections=False`` leaves them out when only the
    figures are wanted.
    """
    index = _scan(store, detail=(year,))
    zones, themes, labels = _reference(plugins, index)
    found: tuple[list[PactSection], list[str]] = ([], [])
    if plugins is not None and sections:
        found = _sections(store, plugins, _active(index, year))
    return _report(index, year, zones, themes, labels, tuple(found[0]), tuple(found[1]))


def report_series(store: Store, *, plugins: PluginHost | None = None) -> ReportSeries:
    """Every year's figures, from the first year the store knows to the last, from one pass.

    Years in between with nothing in them are included (as zeros), so the
    series has no holes to misread.
    """
    index = _scan(store)
    zones, themes, labels = _reference(plugins, index)
    return ReportSeries(
        tuple(_report(index, year, zones, themes, labels) for year in index.years())
    )


# -- the narrative -------------------------------------------------------------------


def _num(value: float, language: str) -> str:
    """A number the way readers of ``language`` write it (``1.234,5`` in Italian)."""
    return format_decimal(value, format="#,##0.#", locale=language)


def _signed_percent(value: float, language: str) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return f"{sign}{_num(abs(value), language)}%"


def _join(items: list[str], language: str, *, more: bool = False) -> str:
    """``A, B e C`` / ``A, B and C``; with ``more``, ``A, B e altri`` / ``A, B and others``."""
    conj = " e " if language == "it" else " and "
    if more:
        return ", ".join(items) + conj + ("altri" if language == "it" else "others")
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + conj + items[-1]


def _names(labels: list[str]) -> list[str]:
    """Labels in the order a reader looks for them: alphabetical, whatever the keys."""
    return sorted(labels, key=str.casefold)


def _quote(text: str, language: str) -> str:
    return f"«{text}»" if language == "it" else f"“{text}”"


def _pick(language: str, it: str, en: str) -> str:
    return it if language == "it" else en


def _pacts_paragraph(report: AnnualReport, lang: str) -> str:
    y = report.year
    activated = report.pacts.activated
    n = activated.count
    titles = [_quote(p.title, lang) for p in activated.pacts[:_MAX_TITLES]]
    listed = _join(titles, lang, more=n > _MAX_TITLES)
    if n == 0:
        first = _pick(
            lang,
            f"Nel {y} non è stato attivato nessun nuovo Patto di Comunità.",
            f"In {y}, no new community pact was activated.",
        )
    elif n == 1:
        first = _pick(
            lang,
            f"Nel {y} è stato attivato 1 Patto di Comunità: {listed}.",
            f"In {y}, 1 community pact was activated: {listed}.",
        )
    else:
        first = _pick(
            lang,
            f"Nel {y} sono stati attivati {_num(n, lang)} Patti di Comunità: {listed}.",
            f"In {y}, {_num(n, lang)} community pacts were activated: {listed}.",
        )
    a = report.pacts.active.count
    c = report.pacts.concluded.count
    if a == 0:
        second = _pick(
            lang,
            "Nel corso dell'anno non è stato attivo nessun patto.",
            "No pact was active during the year.",
        )
    else:
        second = _pick(
            lang,
            (
                f"Nel corso dell'anno sono stati attivi in tutto {_num(a, lang)} patti"
                if a > 1
                else "Nel corso dell'anno è stato attivo 1 patto"
            ),
            f"In all, {_num(a, lang)} pacts were active during the year"
            if a > 1
            else "In all, 1 pact was active during the year",
        )
        if c:
            second += _pick(
                lang,
                f", {_num(c, lang)} dei quali si sono conclusi." if c > 1 else ", 1 si è concluso.",
                f", {_num(c, lang)} of which concluded." if c > 1 else ", 1 of which concluded.",
            )
        else:
            second += "."
    parts = [first, second]
    cover = report.coverage
    if cover.themes_covered:
        themes = _join(_names([report.labels.theme(t, lang) for t in cover.themes_covered]), lang)
        parts.append(
            _pick(
                lang,
                f"I patti hanno riguardato i temi: {themes}.",
                f"The pacts dealt with these themes: {themes}.",
            )
        )
    if cover.zones_covered:
        zones = _join(_names([report.labels.zone(z) for z in cover.zones_covered]), lang)
        parts.append(
            _pick(
                lang,
                f"Le zone interessate sono state: {zones}.",
                f"They took place in these zones: {zones}.",
            )
        )
    return " ".join(parts)


def _partners_paragraph(report: AnnualReport, lang: str) -> str:
    p = report.partners
    n = _num(p.involved, lang)
    if p.involved == 0:
        parts = [
            _pick(
                lang,
                "Nessun soggetto è risultato coinvolto nei patti.",
                "No partner was involved in the pacts.",
            )
        ]
    else:
        sentence = _pick(
            lang,
            f"I soggetti coinvolti nei patti sono stati {n}"
            if p.involved > 1
            else "Nei patti è stato coinvolto 1 soggetto",
            f"{n} partners were involved in the pacts"
            if p.involved > 1
            else "1 partner was involved in the pacts",
        )
        if p.informal_groups and p.informal_percent is not None:
            g, share = _num(p.informal_groups, lang), _num(p.informal_percent, lang)
            sentence += _pick(
                lang,
                f", di cui {g} gruppi informali ({share}%)"
                if p.informal_groups > 1
                else f", di cui 1 gruppo informale ({share}%)",
                f", {g} of them informal groups ({share}%)"
                if p.informal_groups > 1
                else f", 1 of them an informal group ({share}%)",
            )
        parts = [sentence + "."]
    before = p.previous_year
    if p.previous_involved and p.growth_percent is not None:
        old, growth = _num(p.previous_involved, lang), _signed_percent(p.growth_percent, lang)
        parts.append(
            _pick(
                lang,
                f"Rispetto al {before} il numero di soggetti coinvolti è passato "
                f"da {old} a {n} ({growth}): {_change(p, lang)}.",
                f"Compared with {before}, the number of partners involved went from {old} "
                f"to {n} ({growth}): {_change(p, lang)}.",
            )
        )
    elif p.involved:
        parts.append(
            _pick(
                lang,
                f"Nel {before} nessun soggetto era coinvolto.",
                f"In {before} no partner was involved.",
            )
        )
    if p.new_partners:
        names = [r.name for r in p.new_partners[:_MAX_NAMES]]
        listed = _join(names, lang, more=len(p.new_partners) > _MAX_NAMES)
        parts.append(_pick(lang, f"Tra i nuovi soggetti: {listed}.", f"New partners: {listed}."))
    return " ".join(parts)


def _change(p: PartnerFigures, lang: str) -> str:
    """New, returning and lost partners in words; a clause whose count is zero is left out,
    except "no new partner", which is news in itself."""
    it = lang == "it"
    clauses = []
    if p.new:
        new = _num(p.new, lang)
        clause = _pick(
            lang,
            f"{new} nuovi rispetto all'anno precedente" if p.new > 1 else "1 nuovo",
            f"{new} new against the previous year" if p.new > 1 else "1 new",
        )
        if p.first_time == p.new:
            clause += " (tutti per la prima volta)" if it else " (all for the first time)"
            if p.new == 1:
                clause = "1 nuovo (per la prima volta)" if it else "1 new (for the first time)"
        elif p.first_time:
            first = _num(p.first_time, lang)
            clause += (
                f" (di cui {first} per la prima volta)" if it else f" ({first} for the first time)"
            )
        clauses.append(clause)
    else:
        clauses.append("nessun nuovo soggetto" if it else "no new partner")
    if p.returning:
        back = _num(p.returning, lang)
        clauses.append(
            _pick(
                lang,
                f"{back} confermati" if p.returning > 1 else "1 confermato",
                f"{back} taking part again",
            )
        )
    if p.lost:
        lost = _num(p.lost, lang)
        clauses.append(
            _pick(
                lang,
                f"{lost} che non hanno proseguito" if p.lost > 1 else "1 che non ha proseguito",
                f"{lost} that did not continue",
            )
        )
    return _join(clauses, lang)


def _activities_paragraph(report: AnnualReport, lang: str) -> str:
    a = report.activities
    if a.done == 0:
        parts = [
            _pick(
                lang,
                "Nell'anno non risultano attività svolte",
                "No activity was recorded as held during the year",
            )
        ]
    else:
        parts = [
            _pick(
                lang,
                f"Si sono svolte {_num(a.done, lang)} attività, con {_num(a.attendance, lang)} "
                "presenze"
                if a.done > 1
                else f"Si è svolta 1 attività, con {_num(a.attendance, lang)} presenze",
                f"{_num(a.done, lang)} activities were held, with {_num(a.attendance, lang)} "
                "presences"
                if a.done > 1
                else f"1 activity was held, with {_num(a.attendance, lang)} presences",
            )
        ]
    if a.planned:
        planned = _num(a.planned, lang)
        if a.done:
            clause = _pick(
                lang,
                f"; altre {planned} sono in programma"
                if a.planned > 1
                else "; 1 altra è in programma",
                f"; {planned} more are planned" if a.planned > 1 else "; 1 more is planned",
            )
        else:
            clause = _pick(
                lang,
                f"; {planned} sono in programma" if a.planned > 1 else "; 1 è in programma",
                f"; {planned} are planned" if a.planned > 1 else "; 1 is planned",
            )
        parts.append(clause)
    if a.cancelled:
        parts.append(
            _pick(
                lang,
                f"; {_num(a.cancelled, lang)} sono state annullate"
                if a.cancelled > 1
                else "; 1 è stata annullata",
                f"; {_num(a.cancelled, lang)} were cancelled"
                if a.cancelled > 1
                else "; 1 was cancelled",
            )
        )
    text = "".join(parts) + "."
    if a.audience_groups:
        text += " " + _pick(
            lang,
            f"Sono stati raggiunti {_num(a.audience_groups, lang)} gruppi di destinatari "
            f"(classi, gruppi, residenti), per circa {_num(a.people_reached, lang)} persone."
            if a.audience_groups > 1
            else f"È stato raggiunto 1 gruppo di destinatari, per circa "
            f"{_num(a.people_reached, lang)} persone.",
            f"They reached {_num(a.audience_groups, lang)} audience groups (classes, groups, "
            f"residents), about {_num(a.people_reached, lang)} people."
            if a.audience_groups > 1
            else f"They reached 1 audience group, about {_num(a.people_reached, lang)} people.",
        )
    return text


def _indicators_paragraph(report: AnnualReport, lang: str) -> str | None:
    i = report.indicators
    if not i.with_target:
        return None
    total, reached = _num(i.with_target, lang), _num(i.reached, lang)
    text = _pick(
        lang,
        f"Su {total} indicatori con un obiettivo, {reached} lo hanno raggiunto o superato"
        if i.with_target > 1
        else f"Su 1 indicatore con un obiettivo, {reached} lo ha raggiunto o superato",
        f"Of {total} indicators with a target, {reached} reached or exceeded it"
        if i.with_target > 1
        else f"Of 1 indicator with a target, {reached} reached or exceeded it",
    )
    if i.missing:
        text += _pick(
            lang,
            f"; per {_num(i.missing, lang)} il risultato non è ancora stato rilevato",
            f"; for {_num(i.missing, lang)} the result is not yet known",
        )
    return text + "."


def _gaps_paragraph(report: AnnualReport, lang: str) -> str | None:
    cover = report.coverage
    zones = _names([report.labels.zone(z) for z in cover.zones_without_pact])
    themes = _names([report.labels.theme(t, lang) for t in cover.themes_without_pact])
    parts = []
    if zones:
        parts.append(
            _pick(
                lang,
                f"Nessun patto attivo ha riguardato le zone: {_join(zones, lang)}.",
                f"No active pact covered these zones: {_join(zones, lang)}.",
            )
        )
    if themes:
        parts.append(
            _pick(
                lang,
                f"Restano senza patti i temi: {_join(themes, lang)}.",
                f"These themes had no pact: {_join(themes, lang)}.",
            )
        )
    if not parts and (cover.zones_covered or cover.themes_covered):
        return _pick(
            lang,
            "Ogni zona e ogni tema sono stati toccati da almeno un patto.",
            "Every zone and every theme was covered by at least one pact.",
        )
    return " ".join(parts) or None


def narrative(report: AnnualReport, language: str | None = None) -> str:
    """A short account of ``report`` in Italian or English, paragraphs separated by a
    blank line, ready to publish.

    Written from the figures only, every number among them. Whole sentences
    are written in both languages here rather than in the gettext catalog:
    the account must come out in either language whatever the interface's
    (``language`` defaults to the active one), and Italian agreement
    ("è stato attivato 1 patto", "sono stati attivati 7 patti") is easier
    to get right as whole sentences than as fragments.
    """
    lang = language or current_language()
    if lang not in ("it", "en"):
        raise ValueError(f"unsupported language {lang!r}: use it or en")
    paragraphs = [
        _pacts_paragraph(report, lang),
        _partners_paragraph(report, lang),
        _activities_paragraph(report, lang),
        _indicators_paragraph(report, lang),
        _gaps_paragraph(report, lang),
    ]
    return "\n\n".join(p for p in paragraphs if p)
