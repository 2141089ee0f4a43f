"""The youth-legality pact type: its details, its checks, its planner and its report.

Stores are real files in ``tmp_path``; pacts go through the services with the
plugin loaded, so the details are validated the way an operator's would be.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patti.core import demo
from patti.core.errors import ValidationError
from patti.core.i18n import set_language
from patti.core.model import Activity, Pact
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.store import Store
from patti.plugins import youth_legality
from patti.plugins.youth_legality import (
    YouthLegality,
    YouthLegalityDetails,
)

W1 = date(2023, 6, 12)
"""The Monday of the first Grest week."""
W2 = W1 + timedelta(days=7)
TUESDAY, WEDNESDAY, THURSDAY = (W1 + timedelta(days=n) for n in (1, 2, 3))


@pytest.fixture
def host() -> PluginHost:
    return PluginHost(
        builtins=("patti.plugins.community_ties", "patti.plugins.youth_legality"),
        entry_point_group=None,
    )


@dataclass
class World:
    """Two oratories, a school, and a speaker or two for each category."""

    registry: Registry
    store: Store
    cortile: int
    fontana: int
    school: int
    police: int
    police_bis: int
    health: int
    politics: int
    social: int

    def pact(self, details: dict[str, Any], *, status: str = "draft", **fields: Any) -> Pact:
        speakers = {s["partner_id"] for s in details.get("speakers", [])}
        hosts = {s["partner_id"] for s in details.get("host_sites", [])}
        members = [{"partner_id": p, "role": "host"} for p in sorted(hosts)]
        members += [{"partner_id": p, "role": "speaker"} for p in sorted(speakers)]
        data: dict[str, Any] = {
            "title": "La buona invasione",
            "type": "youth_legality",
            "year": 2023,
            "status": status,
            "members": members,
            "details": details,
        }
        data.update(fields)
        return self.registry.create_pact(**data)

    def plan(self, pact: Pact, seed: int = 0, **options: Any) -> Any:
        return YouthLegality().plan(pact, self.store, seed=seed, **options)

    def talk(self, pact: Pact, **fields: Any) -> Activity:
        data: dict[str, Any] = {"pact_id": pact.id, "title": "Incontro", "kind": "talk"}
        data.update(fields)
        return self.registry.create_activity(**data)


@pytest.fixture
def world(store: Store, host: PluginHost) -> World:
    registry = Registry(store, plugins=host, today=lambda: date(2023, 5, 1))

    def add(name: str, kind: str) -> int:
        partner_id = registry.create_partner(name=name, kind=kind).id
        assert partner_id is not None
        return partner_id

    return World(
        registry=registry,
        store=store,
        cortile=add("Oratorio Il Cortile", "parish"),
        fontana=add("Oratorio La Fontana", "parish"),
        school=add("Scuola Media Rondini", "school"),
        police=add("Polizia Locale", "public_service"),
        police_bis=add("Polizia Locale – secondo turno", "public_service"),
        health=add("Consultorio adolescenti", "health_service"),
        politics=add("Commissione giovani", "institution"),
        social=add("Cooperativa Il Girasole", "cooperative"),
    )


def grest(world: World, **changes: Any) -> dict[str, Any]:
    """Two oratories, three groups, one speaker per category, all with room to spare."""
    details: dict[str, Any] = {
        "summer": 2023,
        "host_sites": [
            {
                "partner_id": world.cortile,
                "weeks": [W1.isoformat(), W2.isoformat()],
                "groups": [
                    {"label": "Gruppo 14-15", "adolescents": 18, "age_range": "14-15"},
                    {"label": "Gruppo 16-17", "adolescents": 15, "age_range": "16-17"},
                ],
            },
            {
                "partner_id": world.fontana,
                "weeks": ["19/06/2023"],
                "groups": [{"label": "Gruppo unico", "adolescents": 25, "age_range": "14–17"}],
            },
        ],
        "speakers": [
            {"partner_id": world.police, "category": "polizia-locale", "weekdays": [1, 3]},
            {"partner_id": world.health, "category": "health"},
            {
                "partner_id": world.politics,
                "category": "politics",
                "available_dates": [d.isoformat() for d in (WEDNESDAY, W2 + timedelta(days=2))],
            },
            {"partner_id": world.social, "category": "socio-health", "weekdays": [0, 4]},
        ],
    }
    details.update(changes)
    return details


def categories_of(details: YouthLegalityDetails) -> dict[int, str]:
    return {s.partner_id: s.category for s in details.speakers}


def assert_invariants(plan: Any, details: YouthLegalityDetails) -> None:
    """What every plan keeps, feasible or not."""
    sites = {s.partner_id: s for s in details.host_sites}
    speakers = {(s.partner_id, s.category): s for s in details.speakers}
    category = categories_of(details)
    slots = {datetime.combine(W1, t).time() for t in details.session_slots}
    speaker_times: Counter[tuple[int, datetime]] = Counter()
    group_times: Counter[tuple[int, str, datetime]] = Counter()
    for a in plan.activities:
        (speaker,) = a["partner_ids"]
        day = a["starts_at"].date()
        assert a["kind"] == "talk" and a["status"] == "planned"
        assert a["starts_at"].time() in slots
        assert a["ends_at"] - a["starts_at"] == timedelta(minutes=details.session_minutes)
        assert day.weekday() < 5
        assert day - timedelta(days=day.weekday()) in sites[a["place_partner_id"]].weeks
        assert speakers[(speaker, category[speaker])].available_on(day)
        speaker_times[(speaker, a["starts_at"])] += 1
        group_times[(a["place_partner_id"], a["audience"], a["starts_at"])] += 1
    assert max(speaker_times.values(), default=1) == 1, "a speaker is in two places at once"
    assert max(group_times.values(), default=1) == 1, "a group has two talks at once"


def coverage(plan: Any, details: YouthLegalityDetails) -> Counter[tuple[int, str, str]]:
    """How many talks each (oratory, group, category) gets from the plan."""
    category = categories_of(details)
    return Counter(
        (a["place_partner_id"], a["audience"], category[a["partner_ids"][0]])
        for a in plan.activities
    )


# -- the type and its details ------------------------------------------------------------


def test_the_builtin_plugin_registers_the_type() -> None:
    assert PluginHost().pact_type("youth_legality") is YouthLegality


def test_the_type_describes_its_fields_roles_and_planner() -> None:
    described = YouthLegality.describe()
    assert described["planner"] is True
    assert {"summer", "host_sites", "speakers", "required_categories"} <= set(described["fields"])
    roles = {r["name"]: (r["min"], r["max"]) for r in described["roles"]}
    assert roles == {"host": (1, None), "speaker": (1, None), "promoter": (0, 2)}
    assert described["default_themes"] == ["legality", "prevention", "youth"]


def test_empty_details_mean_the_four_categories_and_two_slots() -> None:
    details = YouthLegalityDetails.model_validate({})
    assert [c.key for c in details.required_categories] == [
        "polizia-locale",
        "health",
        "politics",
        "socio-health",
    ]
    assert [t.isoformat("minutes") for t in details.session_slots] == ["10:00", "15:00"]
    assert details.session_minutes == 90


def test_italian_dates_and_age_ranges_are_normalised(world: World) -> None:
    saved = world.pact(grest(world)).details
    assert saved["host_sites"][1]["weeks"] == ["2023-06-19"]
    assert saved["host_sites"][1]["groups"][0]["age_range"] == "14-17"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"weeks": ["2023-06-13"]},
            "host_sites.0.weeks: give each week by its Monday, not 2023-06-13 (Tuesday)",
        ),
        (
            {"groups": [{"label": "Gruppo", "adolescents": -1}]},
            "host_sites.0.groups.0.adolescents: must be at least 0",
        ),
        (
            {"groups": [{"label": "Gruppo", "adolescents": 3, "age_range": "17-14"}]},
            "'17-14' is not an age range",
        ),
        (
            {"groups": [{"label": "Gruppo", "adolescents": 3, "name": "Luca"}]},
            "host_sites.0.groups.0.name: is not a known field",
        ),
    ],
)
def test_bad_site_details_are_refused_with_a_readable_reason(
    world: World, change: dict[str, Any], message: str
) -> None:
    details = grest(world)
    details["host_sites"][0].update(change)
    with pytest.raises(ValidationError) as refused:
        world.pact(details)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"speakers": [{"partner_id": 9, "category": "polizia"}]},
            "has category 'polizia', which is not a required one",
        ),
        (
            {"speakers": [{"partner_id": 9, "category": "health", "weekdays": [5]}]},
            "weekdays go from 0 (Monday) to 4 (Friday)",
        ),
        (
            {
                "speakers": [
                    {"partner_id": 9, "category": "health", "available_dates": ["2023-06-17"]}
                ]
            },
            "2023-06-17 (Saturday) cannot host a talk",
        ),
        ({"session_slots": ["10:00", "11:00"]}, "the 10:00 and 11:00 talks overlap"),
        ({"summer": 2022}, "dates outside summer 2022: 2023-06-12, 2023-06-14"),
        ({"required_categories": []}, "required_categories: cannot be empty"),
    ],
)
def test_bad_speaker_details_are_refused_with_a_readable_reason(
    world: World, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        world.pact(grest(world, **change))
    assert message in str(refused.value)


def test_errors_are_in_italian_for_italian_operators(world: World) -> None:
    set_language("it")
    details = grest(world)
    details["host_sites"][0]["weeks"] = ["2023-06-13"]
    with pytest.raises(ValidationError, match="ogni settimana si indica con il suo lunedì"):
        world.pact(details)


# -- checks against the store ---------------------------------------------------------------


def test_a_complete_pact_passes_the_checks(world: World) -> None:
    pact = world.pact(grest(world), status="active")
    assert YouthLegality.problems(pact, world.store) == []


def test_a_site_must_be_a_parish_that_is_a_host_member(world: World) -> None:
    details = grest(world)
    details["host_sites"][1]["partner_id"] = world.school
    members = [{"partner_id": world.cortile, "role": "host"}]
    with pytest.raises(ValidationError) as refused:
        world.pact(details, members=members)
    assert "Scuola Media Rondini is «School», not a parish/oratory" in str(refused.value)
    assert "Scuola Media Rondini hosts Grest groups but is not a member" in str(refused.value)


def test_a_speaker_must_exist_and_be_a_speaker_member(world: World) -> None:
    details = grest(world)
    details["speakers"].append({"partner_id": 999, "category": "health"})
    members = [{"partner_id": p, "role": "host"} for p in (world.cortile, world.fontana)]
    pact = Pact(
        code="PdC-2023-09",
        title="x",
        type="youth_legality",
        year=2023,
        members=members,
        details=details,
    )
    problems = YouthLegality.problems(pact, world.store)
    assert "speaker: no partner with id 999" in problems
    assert (
        "Polizia Locale is listed as a speaker but is not a member of the pact "
        "with the role speaker"
    ) in problems


def test_a_draft_may_lack_a_category_but_a_proposed_pact_may_not(world: World) -> None:
    details = grest(world)
    details["speakers"] = [s for s in details["speakers"] if s["category"] != "politics"]
    draft = world.pact(details)
    with pytest.raises(ValidationError, match="no speaker for the category «Local politics»"):
        world.registry.set_pact_status(draft.id or 0, "proposed")


# -- the planner ------------------------------------------------------------------------------


def test_every_group_meets_every_category_exactly_once(world: World) -> None:
    pact = world.pact(grest(world))
    plan = world.plan(pact)
    details = YouthLegalityDetails.model_validate(pact.details)
    assert plan.gaps == []
    groups = [
        (world.cortile, "Gruppo 14-15"),
        (world.cortile, "Gruppo 16-17"),
        (world.fontana, "Gruppo unico"),
    ]
    categories = ["polizia-locale", "health", "politics", "socio-health"]
    assert coverage(plan, details) == Counter(
        {(site, label, c): 1 for site, label in groups for c in categories}
    )
    assert plan.stats["sessions_required"] == plan.stats["sessions_proposed"] == 12


def test_no_double_booking_and_availability_is_respected(world: World) -> None:
    pact = world.pact(grest(world))
    plan = world.plan(pact, seed=7)
    assert_invariants(plan, YouthLegalityDetails.model_validate(pact.details))
    politics = [a for a in plan.activities if a["partner_ids"] == [world.politics]]
    assert {a["starts_at"].date() for a in politics} <= {WEDNESDAY, W2 + timedelta(days=2)}


def test_a_proposed_talk_names_the_category_and_speaker_and_counts_the_group(
    world: World,
) -> None:
    pact = world.pact(grest(world))
    plan = world.plan(pact)
    talk = next(a for a in plan.activities if a["partner_ids"] == [world.police])
    assert talk["title"] == "Talk with Local police: Polizia Locale"
    assert talk["pact_id"] == pact.id
    assert talk["audience_count"] in (18, 15, 25)


def test_the_proposal_is_accepted_by_the_services(world: World) -> None:
    pact = world.pact(grest(world))
    saved = world.registry.create_activities(world.plan(pact).activities)
    assert len(saved) == 12
    assert {a.audience for a in saved} == {"Gruppo 14-15", "Gruppo 16-17", "Gruppo unico"}


def test_the_same_seed_gives_the_same_plan(world: World) -> None:
    pact = world.pact(grest(world))
    assert world.plan(pact, seed=3) == world.plan(pact, seed=3)
    others = {str(world.plan(pact, seed=s).activities) for s in range(5)}
    assert len(others) > 1, "the seed should break ties"


def test_load_is_balanced_between_speakers_of_a_category(world: World) -> None:
    details = grest(world)
    details["speakers"][0] = {"partner_id": world.police, "category": "polizia-locale"}
    details["speakers"].append({"partner_id": world.police_bis, "category": "polizia-locale"})
    details["host_sites"][1]["groups"].append({"label": "Animatori", "adolescents": 12})
    plan = world.plan(world.pact(details))
    per_speaker = plan.stats["sessions_per_speaker"]
    assert per_speaker["Polizia Locale"] == per_speaker["Polizia Locale – secondo turno"] == 2
    assert plan.stats["speaker_load_spread_by_category"]["Local police"] == 0


def test_done_talks_stay_and_count(world: World) -> None:
    pact = world.pact(grest(world))
    held = datetime.combine(TUESDAY, datetime.min.time()).replace(hour=10)
    world.talk(
        pact,
        starts_at=held,
        ends_at=held + timedelta(minutes=90),
        place_partner_id=world.cortile,
        partner_ids=[world.police],
        audience="gruppo 14-15",  # case does not matter
        status="done",
        attendance=17,
    )
    plan = world.plan(pact)
    police = [a for a in plan.activities if a["partner_ids"] == [world.police]]
    assert {a["audience"] for a in police} == {"Gruppo 16-17", "Gruppo unico"}
    assert all(a["starts_at"] != held for a in police)
    assert plan.stats["sessions_done"] == 1
    assert plan.stats["sessions_proposed"] == 11
    assert plan.stats["sessions_per_speaker"]["Polizia Locale"] == 3


def test_still_planned_talks_are_proposed_again(world: World) -> None:
    pact = world.pact(grest(world))
    world.registry.create_activities(world.plan(pact).activities)
    again = world.plan(pact)
    assert again.stats["sessions_proposed"] == 12 and again.gaps == []


def test_a_speakers_other_commitments_block_their_time(world: World) -> None:
    other = world.registry.create_pact(title="Vicini", type="community_ties", year=2023, members=[])
    world.registry.create_activity(
        pact_id=other.id,
        title="Consiglio comunale",
        starts_at=datetime.combine(WEDNESDAY, datetime.min.time()).replace(hour=9, minute=30),
        ends_at=datetime.combine(WEDNESDAY, datetime.min.time()).replace(hour=11),
        partner_ids=[world.politics],
    )
    details = grest(world)
    details["host_sites"] = details["host_sites"][:1]
    details["host_sites"][0]["groups"] = details["host_sites"][0]["groups"][:1]
    details["speakers"][2]["available_dates"] = [WEDNESDAY.isoformat()]
    plan = world.plan(world.pact(details))
    (politics,) = [a for a in plan.activities if a["partner_ids"] == [world.politics]]
    assert politics["starts_at"] == datetime(2023, 6, 14, 15, 0)


def test_nothing_is_proposed_before_not_before(world: World) -> None:
    details = grest(world)
    details["speakers"][2]["weekdays"] = [2, 3]
    plan = world.plan(world.pact(details), not_before=W2)
    assert plan.gaps == []
    assert min(a["starts_at"].date() for a in plan.activities) >= W2


def test_a_one_visit_a_day_speaker_goes_to_one_oratory_a_day(world: World) -> None:
    details = grest(world, required_categories=[youth_legality.DEFAULT_CATEGORIES[0].model_dump()])
    for site in details["host_sites"]:
        site["weeks"] = [W1.isoformat()]
        site["groups"] = site["groups"][:1]
    monday_only = {"partner_id": world.police, "category": "polizia-locale", "weekdays": [0]}
    details["speakers"] = [monday_only]
    assert len(world.plan(world.pact(details)).activities) == 2

    details["speakers"] = [{**monday_only, "one_site_per_day": True}]
    plan = world.plan(world.pact(details, title="Un oratorio al giorno"))
    assert len(plan.activities) == 1
    assert len(plan.gaps) == 1 and "already booked" in plan.gaps[0]


# -- what cannot be met is said -------------------------------------------------------------


def test_every_unmet_group_and_category_is_named_with_its_reason(world: World) -> None:
    details = grest(world)
    details["speakers"] = [
        {"partner_id": world.police, "category": "polizia-locale"},
        {"partner_id": world.health, "category": "health"},
        {
            "partner_id": world.social,
            "category": "socio-health",
            "available_dates": ["2023-07-03"],  # after both oratories' Grest
        },
    ]
    plan = world.plan(world.pact(details))
    groups = [
        ("Oratorio Il Cortile", "Gruppo 14-15"),
        ("Oratorio Il Cortile", "Gruppo 16-17"),
        ("Oratorio La Fontana", "Gruppo unico"),
    ]
    reasons = {
        "Local politics": "no speaker of this category in the pact",
        "Socio-health workers": "is available Monday to Friday in the oratory's weeks",
    }
    assert len(plan.gaps) == len(groups) * len(reasons)
    for site, label in groups:
        for category, reason in reasons.items():
            assert any(
                gap.startswith(f"{site}, group «{label}»: {category}: ") and reason in gap
                for gap in plan.gaps
            ), (site, label, category)
    assert plan.stats["sessions_proposed"] == 6
    assert not plan.feasible


def test_a_speaker_busy_whenever_available_leaves_a_gap_not_a_silence(world: World) -> None:
    details = grest(world, session_slots=["15:00"])
    details["speakers"][2]["available_dates"] = [(W2 + timedelta(days=2)).isoformat()]
    plan = world.plan(world.pact(details))
    politics = [a for a in plan.activities if a["partner_ids"] == [world.politics]]
    assert len(politics) == 1
    assert len(plan.gaps) == 2
    assert all("already booked" in gap and "Local politics" in gap for gap in plan.gaps)
    assert plan.stats["sessions_proposed"] + plan.stats["sessions_unmet"] == 12


def test_a_site_without_weeks_is_reported(world: World) -> None:
    details = grest(world)
    details["host_sites"][1]["weeks"] = []
    plan = world.plan(world.pact(details))
    assert len(plan.gaps) == 4
    assert all("no Grest weeks are set for this oratory" in gap for gap in plan.gaps)


def test_details_broken_in_the_file_become_a_gap_not_a_crash(world: World) -> None:
    pact = world.store.add(
        Pact(
            code="PdC-2023-05",
            title="x",
            type="youth_legality",
            year=2023,
            details={"host_sites": "everywhere"},
        )
    )
    plan = world.plan(pact)
    assert plan.activities == []
    assert plan.gaps[0].startswith("invalid details: host_sites")
    assert YouthLegality().report_section(pact, world.store).lines == plan.gaps


# -- the report -----------------------------------------------------------------------------


def test_the_report_counts_groups_adolescents_talks_and_speakers(world: World) -> None:
    pact = world.pact(grest(world))
    saved = world.registry.create_activities(world.plan(pact).activities)
    for talk in saved:
        if talk.audience == "Gruppo 14-15" or talk.partner_ids == [world.police]:
            world.registry.record_activity(talk.id or 0, attendance=10)
    section = YouthLegality().report_section(pact, world.store)
    assert section.title == "Legality and prevention with adolescents"
    figures = section.figures
    assert (figures["groups"], figures["groups_reached"]) == (3, 3)
    assert (figures["adolescents"], figures["adolescents_reached"]) == (58, 58)
    assert (figures["sessions_done"], figures["sessions_planned"]) == (6, 6)
    assert figures["sessions_done_polizia-locale"] == 3
    assert figures["sessions_planned_health"] == 2
    assert figures["attendance"] == 60
    assert figures["speakers_involved"] == 4
    assert "Groups reached: 3 of 3 (58 adolescents of 58)." in section.lines
    assert "Local police: 3 talks held, 0 planned (one per group: 3)." in section.lines


# -- the demo -------------------------------------------------------------------------------


def test_demo_details_fit_the_demo_store(store: Store, host: PluginHost) -> None:
    demo.build_demo(store)
    for edition in demo.YOUTH_EDITIONS:
        pact = next(p for p in store.pacts.all() if p.code == edition.pact_code)
        YouthLegalityDetails.model_validate(pact.details)
        assert YouthLegality.problems(pact, store) == []
        plan = YouthLegality().plan(pact, store)
        assert plan.gaps == []
        groups = plan.stats["groups"] * 4
        assert plan.stats["sessions_done"] + plan.stats["sessions_proposed"] == groups
    assert Registry(store, plugins=host).pact_type("youth_legality") is YouthLegality


# -- the invariants, on many small summers -----------------------------------------------------

POOL_SITES = 3
POOL_SPEAKERS = 5
MONDAYS = [W1, W2]


@pytest.fixture(scope="module")
def pool() -> Iterator[tuple[Store, list[int], list[int]]]:
    """One store of oratories and speakers that every generated summer draws from."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "pool.json")
        registry = Registry(store)
        with store.transaction():
            sites = [
                registry.create_partner(name=f"Oratorio {n}", kind="parish").id or 0
                for n in range(POOL_SITES)
            ]
            speakers = [
                registry.create_partner(name=f"Relatore {n}", kind="association").id or 0
                for n in range(POOL_SPEAKERS)
            ]
        yield store, sites, speakers
        store.close()


@st.composite
def summers(draw: st.DrawFn, sites: list[int], speakers: list[int]) -> dict[str, Any]:
    categories = [
        c.model_dump() for c in youth_legality.DEFAULT_CATEGORIES[: draw(st.integers(1, 4))]
    ]
    days = [m + timedelta(days=n) for m in MONDAYS for n in range(5)]
    host_sites = [
        {
            "partner_id": site,
            "weeks": draw(st.lists(st.sampled_from(MONDAYS), min_size=1, max_size=2, unique=True)),
            "groups": [
                {"label": f"G{index}.{n}", "adolescents": draw(st.integers(0, 40))}
                for n in range(draw(st.integers(1, 3)))
            ],
        }
        for index, site in enumerate(sites[: draw(st.integers(1, len(sites)))])
    ]
    chosen = draw(
        st.lists(st.sampled_from(speakers), min_size=1, max_size=len(speakers), unique=True)
    )
    speaking = [
        {
            "partner_id": speaker,
            "category": draw(st.sampled_from([c["key"] for c in categories])),
            # scarce availability, so that speakers run out and gaps are exercised too
            "weekdays": draw(st.lists(st.integers(0, 4), max_size=1)),
            "available_dates": draw(st.lists(st.sampled_from(days), max_size=2, unique=True)),
            "one_site_per_day": draw(st.booleans()),
        }
        for speaker in chosen
    ]
    return {
        "host_sites": host_sites,
        "required_categories": categories,
        "speakers": speaking,
        "session_slots": draw(st.sampled_from([["10:00"], ["10:00", "15:00"]])),
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_every_plan_keeps_the_invariants(
    pool: tuple[Store, list[int], list[int]], data: st.DataObject, seed: int
) -> None:
    store, sites, speakers = pool
    raw = data.draw(summers(sites, speakers))
    pact = Pact(code="PdC-2023-99", title="x", type="youth_legality", year=2023, details=raw)
    plan = YouthLegality().plan(pact, store, seed=seed)
    details = YouthLegalityDetails.model_validate(raw)
    assert_invariants(plan, details)
    planned = coverage(plan, details)
    for site in details.host_sites:
        name = f"Oratorio {sites.index(site.partner_id)}"
        for group in site.groups:
            for category in details.required_categories:
                talks = planned[(site.partner_id, group.label, category.key)]
                gaps = [
                    g
                    for g in plan.gaps
                    if g.startswith(f"{name}, group «{group.label}»: {category.label_en}: ")
                ]
                assert talks + len(gaps) == 1, (site.partner_id, group.label, category.key)
    assert YouthLegality().plan(pact, store, seed=seed) == plan
