"""The partner network: hand-built stores whose graphs have known shapes, and the demo."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import pytest

from patti.core.demo import PROMOTER, build_demo
from patti.core.errors import NotFoundError
from patti.core.model import Activity, ActivityStatus, Membership, Pact, PactStatus, Partner
from patti.core.model import PartnerKind as Kind
from patti.core.network import (
    build_network,
    describe,
    ego_view,
    network_figures,
    network_series,
)
from patti.core.reports import PartnerRef, annual_report
from patti.core.store import Store


class World:
    """A store built by name: partners, pacts and activities for one test."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ids: dict[str, int] = {}
        self.pacts = 0

    def partners(self, names: str, zones: Iterable[str] = ()) -> None:
        for name in names.split():
            saved = self.store.add(Partner(name=name, kind=Kind.ASSOCIATION, zones=list(zones)))
            assert saved.id is not None
            self.ids[name] = saved.id

    def pact(
        self,
        members: str,
        year: int = 2021,
        *,
        status: PactStatus = PactStatus.ACTIVE,
        until: date | None = None,
        roles: dict[str, str] | None = None,
    ) -> int:
        self.pacts += 1
        for name in members.split():
            if name not in self.ids:
                self.partners(name)
        saved = self.store.add(
            Pact(
                code=f"P{self.pacts:02d}",
                title=f"Pact {self.pacts}",
                type="community_ties",
                status=status,
                year=year,
                start=date(year, 3, 1),
                end=until or date(year, 10, 31),
                members=[
                    Membership(partner_id=self.ids[n], role=(roles or {}).get(n, "partner"))
                    for n in members.split()
                ],
            )
        )
        assert saved.id is not None
        return saved.id

    def activity(
        self,
        pact_id: int,
        partners: str,
        when: str = "2021-05-04T10:00",
        *,
        place: str | None = None,
        status: ActivityStatus = ActivityStatus.DONE,
    ) -> None:
        self.store.add(
            Activity(
                pact_id=pact_id,
                title="Incontro",
                starts_at=datetime.fromisoformat(when),
                partner_ids=[self.ids[n] for n in partners.split()],
                place_partner_id=self.ids[place] if place else None,
                status=status,
            )
        )

    def names(self, refs: Iterable[PartnerRef]) -> list[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return [by_id[r.id] for r in refs]


@pytest.fixture
def world(store: Store) -> World:
    return World(store)


def test_a_path_has_its_middle_as_articulation_point_and_broker(world: World) -> None:
    world.pact("A B")
    world.pact("B C")
    figures = network_figures(world.store, 2021)
    assert (figures.nodes, figures.ties, figures.density) == (3, 2, round(2 / 3, 4))
    assert (figures.components, figures.component_sizes, figures.isolated) == (1, (3,), 0)
    assert world.names(figures.articulation_points) == ["B"]
    assert world.names(b.partner for b in figures.brokers) == ["B"]
    assert figures.brokers[0].betweenness == 1.0


def test_two_groups_joined_by_one_pact_are_bridged_by_its_members(world: World) -> None:
    world.pact("A B C")
    world.pact("D E F")
    world.pact("C D")
    figures = network_figures(world.store, 2021)
    assert (figures.nodes, figures.ties) == (6, 7)
    assert figures.density == round(7 / 15, 4)
    assert figures.components == 1
    assert world.names(figures.articulation_points) == ["C", "D"]
    assert set(world.names(b.partner for b in figures.brokers)) == {"C", "D"}


def test_separate_groups_and_a_lone_member_are_separate_components(world: World) -> None:
    world.pact("A B")
    world.pact("C D")
    world.pact("E")
    figures = network_figures(world.store, 2021)
    assert (figures.nodes, figures.ties, figures.density) == (5, 2, 0.2)
    assert (figures.components, figures.component_sizes, figures.isolated) == (3, (2, 2, 1), 1)
    assert figures.articulation_points == () and figures.brokers == ()


def test_a_ties_weight_counts_shared_pacts_and_shared_activities(world: World) -> None:
    first = world.pact("A B C")
    world.pact("A B")
    world.activity(first, "A B")
    network = build_network(world.store, 2021)
    tie = network.tie(world.ids["A"], world.ids["B"])
    assert tie is not None and (tie.weight, tie.pacts, tie.activities) == (3, 2, 1)
    weak = network.tie(world.ids["B"], world.ids["C"])
    assert weak is not None and weak.weight == 1
    strongest = describe(network).strongest_ties[0]
    assert world.names([strongest.a, strongest.b]) == ["A", "B"]


def test_activities_tie_their_host_and_cancelled_ones_tie_nobody(world: World) -> None:
    pact_id = world.pact("A")
    world.partners("Guest Host Absent")
    world.activity(pact_id, "A Guest", place="Host")
    world.activity(pact_id, "A Absent", status=ActivityStatus.CANCELLED)
    network = build_network(world.store, 2021)
    assert sorted(world.names(network.partners.values())) == ["A", "Guest", "Host"]
    assert len(network.pairs) == 3
    assert network.tie(world.ids["A"], world.ids["Absent"]) is None


def test_new_and_lost_ties_against_the_previous_year(world: World) -> None:
    world.pact("A B D", year=2020)
    world.pact("A B C", year=2021)
    figures = network_figures(world.store, 2021)
    # 2020: A-B, A-D, B-D; 2021: A-B, A-C, B-C.
    assert (figures.previous_ties, figures.new_ties, figures.lost_ties) == (3, 2, 2)
    series = {f.year: f for f in network_series(world.store)}
    assert series[2021] == figures
    assert (series[2020].new_ties, series[2020].lost_ties) == (3, 0)


def test_the_overall_network_has_every_years_ties_and_no_previous_year(world: World) -> None:
    world.pact("A B", year=2020)
    world.pact("B C", year=2021)
    world.pact("C D", year=2021, status=PactStatus.DRAFT)
    overall = network_figures(world.store)
    assert overall.year is None
    assert (overall.nodes, overall.ties) == (3, 2)
    assert overall.new_ties is overall.lost_ties is overall.previous_ties is None


def test_a_pact_running_over_two_years_ties_its_members_in_both(world: World) -> None:
    world.pact("A B", year=2020, until=date(2021, 5, 31))
    series = {f.year: f for f in network_series(world.store)}
    assert (series[2020].ties, series[2021].ties) == (1, 1)
    assert (series[2021].new_ties, series[2021].lost_ties) == (0, 0)


def test_ties_across_zones_join_partners_that_share_no_zone(world: World) -> None:
    world.partners("North", zones=["north"])
    world.partners("South", zones=["south"])
    world.partners("Both", zones=["north", "south"])
    world.partners("Nowhere")
    world.pact("North South Both Nowhere")
    figures = network_figures(world.store, 2021)
    assert figures.ties == 6
    assert figures.ties_across_zones == 1  # North-South only: a partner with no zone is unknown


def test_the_ego_view_shows_pacts_roles_activities_and_ties(world: World) -> None:
    first = world.pact("A B", roles={"B": "lead"})
    world.pact("B C")
    world.pact("B D", status=PactStatus.DRAFT)
    world.activity(first, "A B")
    world.activity(first, "B", status=ActivityStatus.CANCELLED)
    view = ego_view(world.store, world.ids["B"], 2021)
    assert [(p.pact.code, p.roles) for p in view.pacts] == [
        ("P01", ("lead",)),
        ("P02", ("partner",)),
    ]
    assert view.activities == 1
    assert [(world.names([t.b])[0], t.weight) for t in view.ties] == [("A", 2), ("C", 1)]
    assert all(t.a.id == world.ids["B"] for t in view.ties)
    assert view.articulation_point is True
    assert view.betweenness == 1.0
    overall = ego_view(world.store, world.ids["B"])
    assert [p.pact.code for p in overall.pacts] == ["P01", "P02", "P03"]


def test_the_ego_view_of_a_partner_outside_the_year_is_empty(world: World) -> None:
    world.pact("A B", year=2020)
    view = ego_view(world.store, world.ids["A"], 2021)
    assert (view.pacts, view.ties, view.activities) == ((), (), 0)
    assert (view.articulation_point, view.betweenness) == (False, 0.0)
    assert view.partner.name == "A"


def test_the_ego_view_of_an_unknown_partner_is_refused(store: Store) -> None:
    with pytest.raises(NotFoundError):
        ego_view(store, 99)


def test_an_empty_store_has_an_empty_network(store: Store) -> None:
    figures = network_figures(store, 2021)
    assert (figures.nodes, figures.ties, figures.density, figures.components) == (0, 0, 0.0, 0)
    assert network_series(store) == ()


def test_the_demo_network_has_exactly_the_partners_the_report_counts(store: Store) -> None:
    build_demo(store)
    for figures in network_series(store):
        assert figures.year is not None
        assert figures.nodes == annual_report(store, figures.year).partners.involved
    # The promoter is in every pact: it links groups that otherwise hardly meet.
    data = network_figures(store, 2021).as_json()
    assert data["year"] == 2021
    assert data["brokers"][0]["partner"]["name"] == PROMOTER.name
