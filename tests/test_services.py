"""The rules the front ends rely on, exercised through the services on real stores."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from patti.core.errors import TransitionError, ValidationError
from patti.core.model import ActivityStatus, PactStatus, PartnerKind
from patti.core.services import ActivityQuery, PactQuery, PartnerQuery, Registry
from patti.core.store import Store

TODAY = date(2021, 11, 15)


@pytest.fixture
def registry(store: Store) -> Registry:
    return Registry(store, today=lambda: TODAY)


@pytest.fixture
def auser(registry: Registry) -> int:
    partner = registry.create_partner(
        name="Auser Ombriano", kind="association", zones=["ombriano"], themes=["loneliness"]
    )
    assert partner.id is not None
    return partner.id


def draft(registry: Registry, partner_id: int | None = None, **fields: object) -> int:
    members = [{"partner_id": partner_id, "role": "lead"}] if partner_id else []
    data: dict[str, object] = {
        "title": "Vicini di casa",
        "type": "community_ties",
        "start": "01/10/2021",
        "members": members,
    }
    data.update(fields)
    pact = registry.create_pact(**data)
    assert pact.id is not None
    return pact.id


def test_a_new_pact_gets_the_next_code_of_its_year(registry: Registry, auser: int) -> None:
    first = registry.pact(draft(registry, auser))
    second = registry.pact(draft(registry, auser, title="Caffè sospeso"))
    assert (first.code, second.code) == ("PdC-2021-01", "PdC-2021-02")
    assert first.year == 2021


def test_a_pact_is_found_by_code_regardless_of_case(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser)
    assert registry.pact("pdc-2021-01").id == pact_id


def test_an_active_pact_needs_a_member(registry: Registry) -> None:
    pact_id = draft(registry)
    with pytest.raises(TransitionError, match="at least one member"):
        registry.set_pact_status(pact_id, "active")
    assert registry.pact(pact_id).status is PactStatus.DRAFT


def test_a_pact_cannot_conclude_before_it_starts(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser, start="01/01/2022")
    registry.set_pact_status(pact_id, "active")
    with pytest.raises(TransitionError, match="cannot conclude before it starts"):
        registry.set_pact_status(pact_id, "concluded")


def test_a_refused_transition_names_the_allowed_ones(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser)
    with pytest.raises(
        TransitionError, match="From Draft it can go to: Active, Cancelled, Proposed"
    ):
        registry.set_pact_status(pact_id, "concluded")


def test_the_life_cycle_runs_from_draft_to_concluded(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser)
    for status in ("proposed", "active", "concluded"):
        registry.set_pact_status(pact_id, status)
    assert registry.pact(pact_id).status is PactStatus.CONCLUDED


def test_a_cancelled_pact_is_read_only(registry: Registry, auser: int, store_path: Path) -> None:
    pact_id = draft(registry, auser)
    registry.set_pact_status(pact_id, "cancelled")
    before = store_path.read_bytes()
    with pytest.raises(TransitionError, match="cancelled"):
        registry.update_pact(pact_id, title="Nuovo titolo")
    with pytest.raises(TransitionError):
        registry.set_pact_status(pact_id, "draft")
    with pytest.raises(TransitionError):
        registry.create_activity(pact_id=pact_id, title="Incontro", starts_at="05/10/2021 17:00")
    assert store_path.read_bytes() == before


def test_status_changes_only_through_the_status_service(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser)
    with pytest.raises(TransitionError):
        registry.update_pact(pact_id, status="concluded")


def test_continuing_a_pact_creates_a_linked_draft_with_its_members(
    registry: Registry, auser: int
) -> None:
    pact_id = draft(
        registry,
        auser,
        indicators=[{"key": "meetings", "label": "Incontri", "target": 10, "actual": 8}],
    )
    registry.set_pact_status(pact_id, "active")
    follow_up = registry.continue_pact(pact_id)
    assert follow_up.predecessor_id == pact_id
    assert follow_up.status is PactStatus.DRAFT
    assert (follow_up.year, follow_up.code) == (2022, "PdC-2022-01")
    assert [(m.partner_id, m.role) for m in follow_up.members] == [(auser, "lead")]
    assert follow_up.indicators[0].target == 10
    assert follow_up.indicators[0].actual is None
    assert [p.id for p in registry.successors(pact_id)] == [follow_up.id]


def test_control_characters_are_stripped_on_the_way_in(registry: Registry) -> None:
    partner = registry.create_partner(
        name="Bad\x1b]0;title\x07 \x1b[2JName\x9b\u202e", kind="association", notes="a\x00b\nc"
    )
    assert partner.name == "Bad]0;title [2JName"
    assert partner.notes == "ab\nc"


def test_markup_is_kept_as_literal_text(registry: Registry) -> None:
    partner = registry.create_partner(name="[@click=app.quit]x[/]", kind="informal_group")
    assert registry.partner(partner.id or 0).name == "[@click=app.quit]x[/]"


def test_bad_input_names_the_field_and_writes_nothing(registry: Registry, store_path: Path) -> None:
    before = store_path.read_bytes()
    with pytest.raises(ValidationError, match="start: '31/02/2021' is not a valid date"):
        registry.create_pact(title="X", type="community_ties", start="31/02/2021")
    with pytest.raises(ValidationError, match="name: cannot be empty"):
        registry.create_partner(name="   ", kind="association")
    with pytest.raises(ValidationError, match="kind: must be one of"):
        registry.create_partner(name="X", kind="club")
    assert store_path.read_bytes() == before


def test_partner_filters_and_accent_insensitive_search(registry: Registry, auser: int) -> None:
    registry.create_partner(name="Oratorio di Santa Maria", kind="parish", zones=["santa-maria"])
    registry.create_partner(name="Città Solidale", kind="informal_group", themes=["loneliness"])
    assert [p.name for p in registry.list_partners(PartnerQuery(text="citta"))] == [
        "Città Solidale"
    ]
    assert [p.name for p in registry.list_partners(PartnerQuery(kind=PartnerKind.PARISH))] == [
        "Oratorio di Santa Maria"
    ]
    assert [p.name for p in registry.list_partners(PartnerQuery(theme="loneliness"))] == [
        "Auser Ombriano",
        "Città Solidale",
    ]


def test_pact_filters(registry: Registry, auser: int) -> None:
    draft(registry, auser, zones=["ombriano"], themes=["loneliness"])
    draft(registry, auser, title="Mappa delle associazioni", start="01/03/2020")
    assert [p.year for p in registry.list_pacts(PactQuery(year=2020))] == [2020]
    assert [p.title for p in registry.list_pacts(PactQuery(zone="ombriano"))] == ["Vicini di casa"]
    assert [p.title for p in registry.list_pacts(PactQuery(text="mappa assoc"))] == [
        "Mappa delle associazioni"
    ]
    assert len(registry.list_pacts(PactQuery(partner_id=auser))) == 2
    assert registry.list_pacts(PactQuery(status=PactStatus.ACTIVE)) == []


def test_recording_an_activity_sets_attendance(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser)
    activity = registry.create_activity(
        pact_id=pact_id, title="Merenda insieme", starts_at="05/10/2021 16:30", partner_ids=[auser]
    )
    done = registry.record_activity(activity.id or 0, attendance=23)
    assert (done.status, done.attendance, done.revision) == (ActivityStatus.DONE, 23, 2)


def test_attendance_on_a_cancelled_activity_is_refused(registry: Registry, auser: int) -> None:
    pact_id = draft(registry, auser)
    activity = registry.create_activity(
        pact_id=pact_id, title="Festa", starts_at="2021-10-05T16:30"
    )
    with pytest.raises(ValidationError, match="only for an activity that took place"):
        registry.record_activity(activity.id or 0, status="cancelled", attendance=3)


def test_many_activities_are_added_all_or_nothing(
    registry: Registry, auser: int, store_path: Path
) -> None:
    pact_id = draft(registry, auser)
    before = store_path.read_bytes()
    with pytest.raises(ValidationError):
        registry.create_activities(
            [
                {"pact_id": pact_id, "title": "Uno", "starts_at": "2021-10-05T10:00"},
                {"pact_id": pact_id, "title": "", "starts_at": "2021-10-06T10:00"},
            ]
        )
    assert store_path.read_bytes() == before
    added = registry.create_activities(
        [
            {"pact_id": pact_id, "title": f"Visita {n}", "starts_at": f"2021-10-{n:02d}T10:00"}
            for n in range(1, 6)
        ]
    )
    assert len(added) == 5
    query = ActivityQuery(date_from=date(2021, 10, 2), date_to=date(2021, 10, 3))
    assert [a.title for a in registry.list_activities(query)] == ["Visita 2", "Visita 3"]


# -- planning -----------------------------------------------------------------------


def test_a_demo_store_is_seen_as_of_its_snapshot_date(store: Store) -> None:
    from patti.core.demo import AS_OF, build_demo

    build_demo(store)
    assert Registry(store)._today() == AS_OF
    assert Registry(store, today=lambda: TODAY)._today() == TODAY


def test_a_store_without_a_snapshot_date_is_seen_today(store: Store) -> None:
    assert Registry(store)._today() == date.today()


def test_an_empty_plan_still_clears_the_planned_activities_it_owns(store: Store) -> None:
    from patti.core.demo import build_demo
    from patti.core.pact_types import Plan
    from patti.core.plugins import PluginHost

    build_demo(store)
    registry = Registry(store, plugins=PluginHost(entry_point_group=None))
    pact = registry.pact("PdC-2021-01")
    assert pact.id is not None
    kinds = {"testimony"}
    mine = registry.list_activities(ActivityQuery(pact_id=pact.id))
    planned = [a for a in mine if a.status is ActivityStatus.PLANNED]
    kept = [a for a in mine if a.status is not ActivityStatus.PLANNED]
    assert planned and kept
    assert registry.apply_plan(pact.id, Plan(replaces=frozenset(kinds))) == []
    assert registry.list_activities(ActivityQuery(pact_id=pact.id)) == kept
