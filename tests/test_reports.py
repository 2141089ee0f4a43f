"""The annual report: its figures, its definitions, its series and its narrative.

Expected numbers for the demo are counted here from core/demo.py's own
constants (the pact specs, the planned visits and talks), or read from the
file on disk where the demo's seeded randomness decides them, never from the
code under test. Small hand-built stores pin each definition's edge cases.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patti.core import PactType, ReportSection, hookimpl, reports
from patti.core.demo import (
    AS_OF,
    ASSOCIATIONS,
    PACTS,
    YOUTH_EDITIONS,
    PactSpec,
    build_demo,
    demo_partners,
    plan_testimonies,
    plan_youth_talks,
)
from patti.core.errors import PattiError
from patti.core.model import (
    Activity,
    ActivityStatus,
    Indicator,
    Membership,
    Pact,
    PactStatus,
    Partner,
    PartnerKind,
)
from patti.core.plugins import PluginHost
from patti.core.reference import BASE_THEMES
from patti.core.reports import AnnualReport, annual_report, narrative, report_series
from patti.core.services import Registry
from patti.core.store import Store

LIVE = (PactStatus.ACTIVE, PactStatus.CONCLUDED)
NAMES = {p.key: p.name for p in demo_partners()}
KINDS = {p.key: p.kind for p in demo_partners()}
LOST_IN_2021 = {"alimentari-da-rina", "vicini-solidali", "caffe-e-chiacchiere"}


# -- the demo, counted from its own definition ------------------------------------------


@pytest.fixture
def demo(store: Store) -> Store:
    build_demo(store)
    return store


@pytest.fixture
def host() -> PluginHost:
    return PluginHost(entry_point_group=None)


def active_specs(year: int) -> list[PactSpec]:
    return [p for p in PACTS if p.status in LIVE and p.start.year <= year <= p.end.year]


def demo_involved(year: int) -> set[str]:
    """Demo keys of the partners involved in ``year``: members of the pacts running that
    year, and everyone at a visit, talk or event of that year that was not cancelled."""
    keys = {m.partner for spec in active_specs(year) for m in spec.members}
    for spec in PACTS:
        for event in spec.events:
            if not event.cancelled and event.starts_at.year == year:
                keys.update(event.partners)
                keys.update([event.place] if event.place else [])
    keys.update(
        key
        for visit in plan_testimonies()
        if visit.starts_at.year == year
        for key in (visit.school, visit.association)
    )
    keys.update(
        key
        for edition in YOUTH_EDITIONS
        for talk in plan_youth_talks(edition)
        if talk.starts_at.year == year
        for key in (talk.oratory, talk.speaker)
    )
    return keys


def on_disk(store: Store) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(store.path.read_bytes())
    return data


def test_seven_pacts_were_activated_in_2021(demo: Store) -> None:
    report = annual_report(demo, 2021)
    expected = sorted(p.code for p in PACTS if p.year == 2021 and p.status in LIVE)
    assert len(expected) == 7
    assert report.pacts.activated.count == 7
    assert [p.code for p in report.pacts.activated.pacts] == expected
    assert report.pacts.activated.by_type == dict(
        sorted(Counter(p.type for p in PACTS if p.year == 2021).items())
    )
    zones = Counter(z for p in PACTS if p.year == 2021 for z in p.zones)
    assert report.pacts.activated.by_zone == dict(sorted(zones.items()))


def test_active_and_concluded_pacts_of_2021_include_the_one_carried_over_from_2020(
    demo: Store,
) -> None:
    report = annual_report(demo, 2021)
    active = active_specs(2021)
    concluded = [p for p in active if p.status is PactStatus.CONCLUDED and p.end.year == 2021]
    assert [p.code for p in report.pacts.active.pacts] == sorted(p.code for p in active)
    assert report.pacts.active.count == 8
    assert "PdC-2020-03" in [p.code for p in report.pacts.active.pacts]
    assert sorted(p.code for p in report.pacts.concluded.pacts) == sorted(p.code for p in concluded)
    assert report.pacts.concluded.by_status == {"concluded": len(concluded)}


def test_partners_involved_grow_from_2020_to_2021_as_the_demo_defines_them(
    demo: Store,
) -> None:
    before, after = demo_involved(2020), demo_involved(2021)
    partners = annual_report(demo, 2021).partners
    assert partners.previous_year == 2020
    assert partners.previous_involved == len(before)
    assert partners.involved == len(after)
    assert partners.growth_percent == round((len(after) - len(before)) * 100 / len(before), 1)
    assert partners.growth_percent is not None and partners.growth_percent > 0
    assert {r.name for r in partners.involved_partners} == {NAMES[k] for k in after}
    assert {r.name for r in partners.new_partners} == {NAMES[k] for k in after - before}
    assert (partners.new, partners.returning) == (len(after - before), len(after & before))


def test_three_2020_partners_are_lost_in_2021(demo: Store) -> None:
    partners = annual_report(demo, 2021).partners
    assert demo_involved(2020) - demo_involved(2021) == LOST_IN_2021
    assert partners.lost == 3
    assert [r.name for r in partners.lost_partners] == sorted(
        (NAMES[k] for k in LOST_IN_2021), key=str.casefold
    )


def test_the_first_year_of_the_demo_has_only_first_time_partners(demo: Store) -> None:
    partners = annual_report(demo, 2020).partners
    assert partners.previous_involved == 0
    assert partners.growth_percent is None
    assert partners.new == partners.first_time == partners.involved == len(demo_involved(2020))


def test_partners_by_kind_and_the_informal_groups_share(demo: Store) -> None:
    involved = demo_involved(2021)
    partners = annual_report(demo, 2021).partners
    kinds = Counter(KINDS[k].value for k in involved)
    informal = kinds[PartnerKind.INFORMAL_GROUP.value]
    assert partners.by_kind == dict(sorted(kinds.items()))
    assert partners.informal_groups == informal
    assert partners.informal_percent == round(informal * 100 / len(involved), 1)


def test_the_testimonies_pact_brings_its_19_associations(demo: Store, host: PluginHost) -> None:
    report = annual_report(demo, 2021, plugins=host)
    section = next(s for s in report.sections if s.pact_type == "school_testimonies")
    assert len(ASSOCIATIONS) == 19
    assert section.figures["associations_involved"] == 19
    informal = sum(1 for a in ASSOCIATIONS if a.kind is PartnerKind.INFORMAL_GROUP)
    assert section.figures["informal_groups"] == informal
    involved = {r.name for r in report.partners.involved_partners}
    assert {a.name for a in ASSOCIATIONS} <= involved


def test_each_active_pact_with_a_report_section_gets_it(demo: Store, host: PluginHost) -> None:
    report = annual_report(demo, 2021, plugins=host)
    with_sections = sorted(
        p.code for p in active_specs(2021) if p.type in ("school_testimonies", "youth_legality")
    )
    assert [s.pact_code for s in report.sections] == with_sections
    assert report.failures == ()
    assert all(s.lines and s.title for s in report.sections)


def test_sections_can_be_left_out(demo: Store, host: PluginHost) -> None:
    assert annual_report(demo, 2021, plugins=host, sections=False).sections == ()
    assert annual_report(demo, 2021).sections == ()


def test_activities_and_attendance_of_2021(demo: Store) -> None:
    events = [e for p in PACTS for e in p.events if e.starts_at.year == 2021]
    visits = [v for v in plan_testimonies() if v.starts_at.year == 2021]
    talks = [t for e in YOUTH_EDITIONS for t in plan_youth_talks(e) if t.starts_at.year == 2021]
    done_events = [e for e in events if not e.cancelled and e.starts_at.date() < AS_OF]
    raw = [a for a in on_disk(demo)["activities"].values() if a["starts_at"][:4] == "2021"]
    activities = annual_report(demo, 2021).activities
    assert activities.done == len(done_events) + len(visits) + len(talks)
    assert activities.cancelled == sum(1 for e in events if e.cancelled) == 1
    assert activities.planned == 0
    assert activities.total == len(events) + len(visits) + len(talks)
    assert activities.attendance == sum(a["attendance"] or 0 for a in raw)
    assert activities.by_kind == {
        "event": sum(1 for e in done_events if e.kind == "event"),
        "meeting": sum(1 for e in done_events if e.kind == "meeting"),
        "talk": len(talks),
        "testimony": len(visits),
    }


def test_audiences_are_counted_once_per_group(demo: Store) -> None:
    groups: dict[tuple[str, str, str], int] = {}
    for spec in PACTS:
        for e in spec.events:
            if e.starts_at.year == 2021 and not e.cancelled and e.starts_at.date() < AS_OF:
                key = (spec.code, e.place or "", e.audience.casefold())
                groups[key] = max(groups.get(key, 0), e.audience_count or e.attendance or 0)
    for v in plan_testimonies():
        if v.starts_at.year == 2021:
            groups[("testimonies", v.school, v.class_label)] = v.pupils
    for edition in YOUTH_EDITIONS:
        for t in plan_youth_talks(edition):
            if t.starts_at.year == 2021:
                groups[("youth", t.oratory, t.group.label)] = t.group.adolescents
    activities = annual_report(demo, 2021).activities
    assert activities.audience_groups == len(groups)
    assert activities.people_reached == sum(groups.values())


def test_indicators_of_the_active_pacts_target_against_actual(demo: Store) -> None:
    codes = {p.code for p in active_specs(2021)}
    indicators = [
        i for p in on_disk(demo)["pacts"].values() if p["code"] in codes for i in p["indicators"]
    ]
    with_target = [i for i in indicators if i["target"] is not None]
    figures = annual_report(demo, 2021).indicators
    assert figures.total == len(indicators) == len(figures.lines)
    assert figures.with_target == len(with_target)
    assert figures.missing == sum(1 for i in with_target if i["actual"] is None)
    assert figures.reached == sum(
        1 for i in with_target if i["actual"] is not None and i["actual"] >= i["target"]
    )
    walk = {(line.pact_code, line.key): line for line in figures.lines}
    assert walk[("PdC-2021-04", "partecipanti")].reached is True  # 34 of 30
    assert walk[("PdC-2021-03", "accessi")].reached is False  # 214 of 300
    assert walk[("PdC-2021-07", "partecipanti")].reached is None  # not measured yet


def test_gaps_are_the_known_zones_and_themes_no_active_pact_covers(
    demo: Store, host: PluginHost
) -> None:
    coverage = annual_report(demo, 2020, plugins=host).coverage
    zones = {z for p in active_specs(2020) for z in p.zones}
    themes = {t for p in active_specs(2020) for t in p.themes}
    known_zones = [z.key for z in host.reference_data().zones]
    assert set(coverage.zones_covered) == zones
    assert list(coverage.zones_without_pact) == [z for z in known_zones if z not in zones]
    assert list(coverage.themes_without_pact) == [
        t.key for t in host.reference_data().themes if t.key not in themes
    ]
    assert "environment" in coverage.themes_without_pact


def test_without_a_host_the_store_names_the_zones_and_the_base_themes_the_themes(
    demo: Store,
) -> None:
    coverage = annual_report(demo, 2020).coverage
    named = {p.zone for p in demo_partners()} | {z for p in PACTS for z in p.zones}
    assert set(coverage.zones_covered) | set(coverage.zones_without_pact) == named
    assert set(coverage.themes_covered) | set(coverage.themes_without_pact) == {
        t.key for t in BASE_THEMES
    }


def test_the_series_covers_every_year_and_agrees_with_the_annual_reports(demo: Store) -> None:
    series = report_series(demo)
    assert series.years == (2020, 2021, 2022)
    for year in series.years:
        single = annual_report(demo, year)
        in_series = series.get(year)
        assert in_series is not None
        assert in_series.as_json() == single.as_json()


def test_the_report_is_json_ready(demo: Store, host: PluginHost) -> None:
    report = annual_report(demo, 2021, plugins=host)
    data = orjson.loads(orjson.dumps(report.as_json()))
    assert data["pacts"]["activated"]["count"] == 7
    assert data["partners"]["lost"] == 3
    assert data["labels"]["themes_it"]["legality"] == "Legalità"
    assert data["sections"][0]["pact_code"] == "PdC-2020-03"


def test_no_person_is_named_in_the_report(demo: Store, host: PluginHost) -> None:
    report = annual_report(demo, 2021, plugins=host)
    text = orjson.dumps(report.as_json()).decode() + narrative(report, "it")
    people = [c.name for p in demo.partners.all() for c in p.contacts]
    assert people and not any(name in text for name in people)


# -- hand-built stores: the definitions' edges --------------------------------------


def partner(
    store: Store, name: str, kind: PartnerKind = PartnerKind.ASSOCIATION, zones: Iterable[str] = ()
) -> int:
    saved = store.add(Partner(name=name, kind=kind, zones=list(zones)))
    assert saved.id is not None
    return saved.id


def pact(
    store: Store,
    code: str,
    year: int,
    members: Iterable[int | Membership],
    *,
    status: PactStatus = PactStatus.ACTIVE,
    start: date | None = None,
    end: date | None = None,
    zones: Iterable[str] = (),
    themes: Iterable[str] = (),
    indicators: Iterable[Indicator] = (),
    type: str = "community_ties",
    dated: bool = True,
) -> int:
    """A pact; unless ``dated`` is false it runs from March to October of ``year``."""
    saved = store.add(
        Pact(
            code=code,
            title=f"Pact {code}",
            type=type,
            status=status,
            year=year,
            start=start or (date(year, 3, 1) if dated else None),
            end=end or (date(year, 10, 31) if dated else None),
            zones=list(zones),
            themes=list(themes),
            members=[m if isinstance(m, Membership) else Membership(partner_id=m) for m in members],
            indicators=list(indicators),
        )
    )
    assert saved.id is not None
    return saved.id


def activity(
    store: Store,
    pact_id: int,
    when: str,
    partners: Iterable[int] = (),
    *,
    place: int | None = None,
    status: ActivityStatus = ActivityStatus.DONE,
    attendance: int | None = None,
    audience: str = "",
    audience_count: int | None = None,
) -> None:
    store.add(
        Activity(
            pact_id=pact_id,
            title="Incontro",
            starts_at=datetime.fromisoformat(when),
            partner_ids=list(partners),
            place_partner_id=place,
            status=status,
            attendance=attendance,
            audience=audience,
            audience_count=audience_count,
        )
    )


def test_an_empty_store_reports_zeros_in_both_languages(store: Store) -> None:
    report = annual_report(store, 2021)
    assert report.pacts.activated.count == report.pacts.active.count == 0
    assert report.partners.involved == report.partners.previous_involved == 0
    assert report.partners.growth_percent is None
    assert report.partners.informal_percent is None
    assert report.activities.total == report.indicators.total == 0
    assert report.coverage.zones_without_pact == ()
    assert report_series(store).reports == ()
    assert "Nel 2021 non è stato attivato nessun nuovo Patto di Comunità." in narrative(
        report, "it"
    )
    assert "In 2021, no new community pact was activated." in narrative(report, "en")


def test_a_year_with_no_pacts_loses_every_partner_of_the_year_before(store: Store) -> None:
    a, b = partner(store, "A"), partner(store, "B")
    pact(store, "P-2019", 2019, [a, b])
    pact(store, "P-2021", 2021, [a])
    series = report_series(store)
    assert series.years == (2019, 2020, 2021)
    gap = series.get(2020)
    assert gap is not None
    assert (gap.pacts.activated.count, gap.pacts.active.count, gap.partners.involved) == (0, 0, 0)
    assert (gap.partners.lost, gap.partners.growth_percent) == (2, -100.0)
    after = series.get(2021)
    assert after is not None
    assert (after.partners.new, after.partners.first_time, after.partners.returning) == (1, 0, 0)
    assert after.partners.growth_percent is None  # from nothing: no percentage


def test_new_returning_and_lost_partners_against_the_previous_year(store: Store) -> None:
    keeps, leaves, arrives = (
        partner(store, "Keeps"),
        partner(store, "Leaves"),
        partner(store, "New"),
    )
    pact(store, "P-2020", 2020, [keeps, leaves])
    pact(store, "P-2021", 2021, [keeps, arrives])
    partners = annual_report(store, 2021).partners
    assert [r.name for r in partners.new_partners] == ["New"]
    assert [r.name for r in partners.lost_partners] == ["Leaves"]
    assert (partners.new, partners.returning, partners.lost) == (1, 1, 1)
    assert partners.growth_percent == 0.0


def test_a_partner_in_two_pacts_of_different_zones_counts_once(store: Store) -> None:
    both = partner(store, "Both", zones=["north"])
    other = partner(store, "Other", zones=["south"])
    pact(store, "N", 2021, [both], zones=["north"], themes=["loneliness"])
    pact(store, "S", 2021, [both, other], zones=["south"], themes=["loneliness"])
    report = annual_report(store, 2021)
    assert report.partners.involved == 2
    assert report.pacts.activated.by_zone == {"north": 1, "south": 1}
    assert report.pacts.activated.by_theme == {"loneliness": 2}
    assert report.coverage.zones_covered == ("north", "south")
    assert report.coverage.zones_without_pact == ()


def test_cancelled_activities_involve_nobody_and_reach_nobody(store: Store) -> None:
    member, guest = partner(store, "Member"), partner(store, "Guest")
    pact_id = pact(store, "P", 2021, [member])
    activity(store, pact_id, "2021-05-04T10:00", [guest], status=ActivityStatus.CANCELLED)
    activity(store, pact_id, "2021-06-04T10:00", [member], attendance=12, audience="Residenti")
    report = annual_report(store, 2021)
    assert report.partners.involved == 1
    assert (report.activities.done, report.activities.cancelled) == (1, 1)
    assert report.activities.attendance == 12
    assert report.activities.people_reached == 12


def test_a_guest_at_a_done_activity_is_involved_through_it(store: Store) -> None:
    member, guest, host_partner = partner(store, "M"), partner(store, "G"), partner(store, "H")
    pact_id = pact(store, "P", 2021, [member])
    activity(store, pact_id, "2021-05-04T10:00", [guest], place=host_partner, attendance=5)
    assert annual_report(store, 2021).partners.involved == 3


def test_planned_activities_count_only_in_a_live_pact(store: Store) -> None:
    a, b, c = partner(store, "A"), partner(store, "B"), partner(store, "C")
    draft = pact(store, "D", 2021, [a], status=PactStatus.DRAFT)
    live = pact(store, "L", 2021, [a])
    activity(store, draft, "2021-05-04T10:00", [b], status=ActivityStatus.PLANNED)
    activity(store, live, "2021-05-04T10:00", [c], status=ActivityStatus.PLANNED)
    report = annual_report(store, 2021)
    assert {r.name for r in report.partners.involved_partners} == {"A", "C"}
    assert report.activities.planned == 1


def test_drafts_proposals_and_cancelled_pacts_are_registered_but_not_activated(
    store: Store,
) -> None:
    a = partner(store, "A")
    for code, status in [
        ("D", PactStatus.DRAFT),
        ("P", PactStatus.PROPOSED),
        ("X", PactStatus.CANCELLED),
        ("A", PactStatus.ACTIVE),
    ]:
        pact(store, code, 2021, [a], status=status)
    pacts = annual_report(store, 2021).pacts
    assert pacts.registered.by_status == {"active": 1, "cancelled": 1, "draft": 1, "proposed": 1}
    assert [p.code for p in pacts.activated.pacts] == ["A"]
    assert [p.code for p in pacts.active.pacts] == ["A"]


def test_a_pact_spanning_two_years_is_active_in_both_and_activated_in_one(store: Store) -> None:
    a = partner(store, "A")
    pact(store, "P", 2020, [a], start=date(2020, 10, 1), end=date(2021, 6, 30))
    series = report_series(store)
    before, after = series.get(2020), series.get(2021)
    assert before is not None and after is not None
    assert (before.pacts.activated.count, after.pacts.activated.count) == (1, 0)
    assert (before.pacts.active.count, after.pacts.active.count) == (1, 1)
    assert after.partners.returning == 1


def test_an_active_pact_without_an_end_stays_active(store: Store) -> None:
    a = partner(store, "A")
    pact(store, "Open", 2019, [a], dated=False)
    report = annual_report(store, 2023)
    assert [p.code for p in report.pacts.active.pacts] == ["Open"]
    assert report.partners.involved == 1


def test_a_concluded_pact_without_an_end_concludes_in_its_year(store: Store) -> None:
    a = partner(store, "A")
    pact(store, "C", 2020, [a], status=PactStatus.CONCLUDED, dated=False)
    series = report_series(store)
    assert series.years == (2020,)
    report = series.get(2020)
    assert report is not None
    assert report.pacts.concluded.count == 1
    assert annual_report(store, 2021).pacts.active.count == 0


def test_a_membership_that_ended_stops_involving_its_partner(store: Store) -> None:
    stays, leaves = partner(store, "Stays"), partner(store, "Leaves")
    early = Membership(partner_id=leaves, end=date(2020, 12, 31))
    pact(store, "P", 2020, [stays, early], start=date(2020, 3, 1), end=date(2021, 12, 31))
    partners = annual_report(store, 2021).partners
    assert [r.name for r in partners.involved_partners] == ["Stays"]
    assert [r.name for r in partners.lost_partners] == ["Leaves"]


# -- a plugin whose report section raises --------------------------------------------------


class Brittle(PactType):
    name = "brittle"
    label_it = "Fragile"
    label_en = "Brittle"

    def report_section(self, pact: Pact, store: Store) -> ReportSection:
        raise RuntimeError("the section's bug")


class Solid(PactType):
    name = "solid"
    label_it = "Solido"
    label_en = "Solid"

    def report_section(self, pact: Pact, store: Store) -> ReportSection:
        return ReportSection(title="Solid", lines=["fine"], figures={"n": 1})


class BrittlePlugin:
    @hookimpl
    def register_pact_types(self, register: Callable[[type[PactType]], None]) -> None:
        register(Brittle)


class SolidPlugin:
    @hookimpl
    def register_pact_types(self, register: Callable[[type[PactType]], None]) -> None:
        register(Solid)


def test_a_raising_report_section_disables_its_plugin_and_the_report_goes_on(
    store: Store, host: PluginHost
) -> None:
    host.register(BrittlePlugin(), "brittle")
    host.register(SolidPlugin(), "solid")
    a = partner(store, "A")
    pact(store, "B1", 2021, [a], type="brittle")
    pact(store, "B2", 2021, [a], type="brittle")
    pact(store, "S1", 2021, [a], type="solid")
    report = annual_report(store, 2021, plugins=host)
    assert len(report.failures) == 1
    assert "brittle" in report.failures[0] and "the section's bug" in report.failures[0]
    assert [(f.name, f.stage) for f in host.failures] == [("brittle", "report")]
    assert [(s.pact_code, s.lines) for s in report.sections] == [("S1", ("fine",))]
    assert report.pacts.activated.count == 3


# -- the narrative -------------------------------------------------------------------


NUMBER = {
    "it": re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"),
    "en": re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"),
}


def numbers_in(text: str, language: str, data: Iterable[str]) -> list[float]:
    """Every number written in ``text``, once the names and titles (data, which may hold
    digits of their own) are taken out."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    found = []
    for match in NUMBER[language].findall(text):
        if language == "it":
            match = match.replace(".", "").replace(",", ".")
        else:
            match = match.replace(",", "")
        found.append(float(match))
    return found


def stated_figures(report: AnnualReport) -> set[float]:
    """The figures a narrative may state (percentages as printed, without sign)."""
    p, a, i = report.partners, report.activities, report.indicators
    values = [
        report.year,
        p.previous_year,
        report.pacts.activated.count,
        report.pacts.active.count,
        report.pacts.concluded.count,
        p.involved,
        p.informal_groups,
        p.informal_percent,
        p.previous_involved,
        abs(p.growth_percent) if p.growth_percent is not None else None,
        p.new,
        p.returning,
        p.lost,
        p.first_time,
        a.done,
        a.planned,
        a.cancelled,
        a.attendance,
        a.audience_groups,
        a.people_reached,
        i.with_target,
        i.reached,
        i.missing,
    ]
    return {float(v) for v in values if v is not None}


def text_data(store: Store, report: AnnualReport) -> list[str]:
    labels = report.labels
    return [
        *(p.title for p in store.pacts.all()),
        *(p.name for p in store.partners.all()),
        *labels.zones.values(),
        *labels.themes_it.values(),
        *labels.themes_en.values(),
        *(z for p in store.partners.all() for z in p.zones),
    ]


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("year", [2020, 2021, 2022])
def test_every_number_in_the_narrative_is_a_figure(
    demo: Store, host: PluginHost, language: str, year: int
) -> None:
    report = annual_report(demo, year, plugins=host)
    text = narrative(report, language)
    found = numbers_in(text, language, text_data(demo, report))
    allowed = stated_figures(report)
    assert found, text
    assert [n for n in found if n not in allowed] == [], text
    p, a = report.partners, report.activities
    expected = {report.year, report.pacts.activated.count, p.involved, a.done}
    if p.previous_involved:
        expected |= {p.previous_involved, p.new, p.returning, p.lost}
    assert expected - {0} <= set(found), text


def test_the_italian_narrative_tells_2021_with_italian_numbers(
    demo: Store, host: PluginHost
) -> None:
    report = annual_report(demo, 2021, plugins=host)
    text = narrative(report, "it")
    p, a = report.partners, report.activities
    assert text.startswith("Nel 2021 sono stati attivati 7 Patti di Comunità: «Testimonianze")
    assert p.growth_percent is not None
    growth = f"{p.growth_percent:.1f}".replace(".", ",")
    assert (
        f"Rispetto al 2020 il numero di soggetti coinvolti è passato da {p.previous_involved} "
        f"a {p.involved} (+{growth}%)" in text
    )
    assert p.new == p.first_time  # 2020 is the demo's first year
    assert (
        f"{p.new} nuovi rispetto all'anno precedente (tutti per la prima volta), "
        f"{p.returning} confermati e 3 che non hanno proseguito." in text
    )
    assert a.attendance >= 1000
    assert f"{a.attendance // 1000}.{a.attendance % 1000:03d} presenze" in text
    assert "La buona invasione… TO BE CONTINUED" in text
    assert "Restano senza patti i temi: Cura dei beni comuni e Inclusione." in text


def test_the_english_narrative_tells_2021_with_english_numbers(
    demo: Store, host: PluginHost
) -> None:
    report = annual_report(demo, 2021, plugins=host)
    text = narrative(report, "en")
    p, a = report.partners, report.activities
    assert text.startswith("In 2021, 7 community pacts were activated: “Testimonianze")
    assert (
        f"the number of partners involved went from {p.previous_involved} to {p.involved} "
        f"(+{p.growth_percent}%)" in text
    )
    assert f"{a.attendance // 1000},{a.attendance % 1000:03d} presences" in text
    assert "These themes had no pact: Care of common goods and Inclusion." in text


def test_the_narrative_speaks_of_one_in_the_singular(store: Store) -> None:
    a = partner(store, "Gruppo del 21", kind=PartnerKind.INFORMAL_GROUP, zones=["north"])
    pact_id = pact(
        store,
        "P",
        2021,
        [a],
        zones=["north"],
        themes=["loneliness"],
        indicators=[Indicator(key="k", label="K", target=10, actual=12)],
    )
    activity(store, pact_id, "2021-05-04T10:00", [a], attendance=9, audience="Vicini")
    report = annual_report(store, 2021)
    italian, english = narrative(report, "it"), narrative(report, "en")
    assert "Nel 2021 è stato attivato 1 Patto di Comunità: «Pact P»." in italian
    assert "Nei patti è stato coinvolto 1 soggetto, di cui 1 gruppo informale (100%)." in italian
    assert "Si è svolta 1 attività, con 9 presenze." in italian
    assert "Su 1 indicatore con un obiettivo, 1 lo ha raggiunto o superato." in italian
    assert "In 2021, 1 community pact was activated: “Pact P”." in english
    assert "1 partner was involved in the pacts, 1 of them an informal group (100%)." in english
    for language, text in (("it", italian), ("en", english)):
        found = numbers_in(text, language, text_data(store, report))
        assert set(found) <= stated_figures(report), text


def test_a_decline_is_told_with_a_minus_sign(store: Store) -> None:
    ids = [partner(store, name) for name in "ABCD"]
    pact(store, "Before", 2020, ids)
    pact(store, "After", 2021, ids[:3])
    report = annual_report(store, 2021)
    assert report.partners.growth_percent == -25.0
    assert (
        "è passato da 4 a 3 (-25%): nessun nuovo soggetto, 3 confermati e 1 che non ha proseguito."
        in narrative(report, "it")
    )
    assert (
        "went from 4 to 3 (-25%): no new partner, 3 taking part again and 1 that did not continue."
        in narrative(report, "en")
    )


def test_the_narrative_follows_the_active_language_by_default(demo: Store) -> None:
    from patti.core.i18n import set_language

    report = annual_report(demo, 2021)
    set_language("it")
    assert narrative(report) == narrative(report, "it")
    set_language("en")
    assert narrative(report) == narrative(report, "en")
    with pytest.raises(ValueError, match="unsupported language"):
        narrative(report, "fr")


def test_a_report_needs_no_more_than_the_store_file(demo: Store, tmp_path: Path) -> None:
    """A read-only copy of the file gives the same figures: nothing comes from elsewhere."""
    copy = tmp_path / "copy.json"
    copy.write_bytes(demo.path.read_bytes())
    with Store.open(copy, readonly=True) as reopened:
        assert annual_report(reopened, 2021).as_json() == annual_report(demo, 2021).as_json()


# -- the index a report reads, kept up to date after edits -------------------------------


@pytest.fixture(scope="module")
def demo_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("demo") / "patti.json"
    with Store.open(path) as store:
        build_demo(store)
    return path.read_bytes()


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["move", "cancel", "done", "delete", "add", "pact", "partner", "none"]),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS)
def test_after_any_edits_the_report_index_equals_a_fresh_read(
    demo_bytes: bytes, edits: list[tuple[str, int]]
) -> None:
    """Reports after commits re-read only what changed (an activity's years, a table):
    what they read must be what reading the whole store again gives."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "patti.json"
        path.write_bytes(demo_bytes)
        with Store.open(path) as store:
            registry = Registry(store, today=lambda: AS_OF)
            annual_report(store, 2021)  # read once, in detail for 2021 only
            for action, pick in edits:
                activities = sorted(i for i, _doc in store.activities.raw_items())
                pacts = sorted(i for i, _doc in store.pacts.raw_items())
                chosen = activities[pick % len(activities)]
                with contextlib.suppress(PattiError):  # refused edits change nothing
                    if action == "move":  # to another year, maybe one never read in detail
                        when = datetime(2019 + pick % 5, 1 + pick % 12, 10, 9, 0)
                        registry.update_activity(chosen, starts_at=when, ends_at=None)
                    elif action == "cancel":
                        registry.record_activity(chosen, status="cancelled")
                    elif action == "done":
                        registry.record_activity(chosen, attendance=pick % 40)
                    elif action == "delete":
                        registry.delete_activity(chosen)
                    elif action == "add":
                        registry.create_activity(
                            pact_id=pacts[pick % len(pacts)],
                            title=f"Incontro {pick}",
                            starts_at=datetime(2020 + pick % 3, 3, 1 + pick % 28, 17, 0),
                            audience="3B",
                            partner_ids=[1 + pick % 5],
                        )
                    elif action == "pact":  # plans of a pact that goes live or not count or not
                        pact = store.pacts.get(pacts[pick % len(pacts)])  # as a plugin may
                        status = list(PactStatus)[pick % len(PactStatus)]
                        store.update(pact.model_copy(update={"status": status}))
                    elif action == "partner":
                        registry.update_partner(1 + pick % 5, name=f"Associazione {pick}")
                year = 2020 + pick % 3
                report = annual_report(store, year)
                scan = reports._SCANS[store]
                assert scan.index == reports._read(store, scan.activities.detail)
                del reports._SCANS[store]  # the same report, from nothing
                assert annual_report(store, year) == report
                reports._SCANS[store] = scan  # the next edit updates this one
