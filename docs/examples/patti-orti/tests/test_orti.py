"""The gardens pact type, through patti's own services on a real store file.

The fixtures (``patti_registry``, ``patti_register``, ``patti_store_path``)
come with patti: pytest loads them through its ``pytest11`` entry point, so
this suite needs no conftest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from patti.core.errors import TransitionError, ValidationError
from patti.core.i18n import set_language
from patti.core.model import Pact
from patti.core.plugins import PluginHost
from patti.core.services import Registry

import patti_orti
from patti_orti import WORKDAY, Orti

SPRING = date(2024, 1, 1)
"""Plans start from here, so they do not depend on today's date."""


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are checked in English; the language is global, so put it back after."""
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def registry(patti_registry: Registry, patti_register: Callable[..., PluginHost]) -> Registry:
    """patti's services with this plugin registered (as if installed)."""
    patti_register(patti_orti)
    return patti_registry


@pytest.fixture
def garden(registry: Registry) -> Pact:
    """A gardens pact on a parish's land, kept by a neighbours' association."""
    parish = registry.create_partner(name="Parrocchia San Giacomo", kind="parish")
    keepers = registry.create_partner(name="Vicini di via Bramante", kind="association")
    return registry.create_pact(
        title="Orti di via Bramante",
        type="orti",
        start="01/03/2024",
        end="31/10/2024",
        members=[
            {"partner_id": keepers.id, "role": "garden_keeper"},
            {"partner_id": parish.id, "role": "partner"},
        ],
        details={"plots": 12, "plot_keepers": 9, "land_partner_id": parish.id},
    )


def create(registry: Registry, **details: Any) -> Pact:
    return registry.create_pact(title="Orti", type="orti", year=2024, details=details)


def test_the_plugin_registers_the_orti_type(patti_register: Callable[..., PluginHost]) -> None:
    host = patti_register(patti_orti)
    assert host.pact_types()["orti"] is Orti


def test_every_field_has_italian_and_english_labels() -> None:
    assert Orti.missing_labels() == []


def test_a_new_pact_starts_with_the_default_themes_and_indicators(registry: Registry) -> None:
    pact = create(registry)
    assert pact.themes == ["environment", "intergenerational", "active-citizenship"]
    assert [i.key for i in pact.indicators] == ["workdays", "plots_assigned", "plot_keepers"]


def test_details_are_saved_with_their_defaults(registry: Registry, patti_store_path: Path) -> None:
    pact = create(registry, plots=4)
    saved = json.loads(patti_store_path.read_text("utf-8"))["pacts"][str(pact.id)]
    assert saved["details"]["plots"] == 4
    assert saved["details"]["season_start"] == 3
    assert saved["details"]["water_source"] == "mains"


def test_a_season_that_ends_before_it_starts_is_refused(registry: Registry) -> None:
    with pytest.raises(ValidationError, match="the season ends"):
        create(registry, season_start=10, season_end=4)


def test_plot_keepers_are_a_count_and_names_have_no_field(registry: Registry) -> None:
    with pytest.raises(ValidationError, match="keeper_names"):
        create(registry, plot_keepers=3, keeper_names=["Maria", "Gino"])


def test_the_land_must_be_lent_by_a_member(registry: Registry) -> None:
    school = registry.create_partner(name="Scuola Primaria Braguti", kind="school")
    with pytest.raises(ValidationError, match="Braguti lends the land but is not a member"):
        create(registry, land_partner_id=school.id)


def test_a_pact_without_its_garden_keeper_cannot_become_active(registry: Registry) -> None:
    partner = registry.create_partner(name="Auser Ombriano", kind="association")
    pact = registry.create_pact(
        title="Orti", type="orti", members=[{"partner_id": partner.id, "role": "partner"}]
    )
    with pytest.raises(TransitionError, match="Garden keeper: 0 members, needs exactly 1"):
        registry.set_pact_status(pact.id or 0, "active")


def test_the_plan_has_one_workday_a_month_on_the_first_saturday(
    registry: Registry, garden: Pact
) -> None:
    plan = registry.plan_pact(garden.id or 0, not_before=SPRING)
    days = [a["starts_at"] for a in plan.activities]
    assert days[0] == datetime(2024, 3, 2, 9, 0)
    assert days[-1] == datetime(2024, 10, 5, 9, 0)
    assert len(days) == 8
    assert all(day.weekday() == 5 for day in days)
    assert plan.feasible
    assert plan.replaces == frozenset({WORKDAY})


def test_workdays_are_held_on_the_lent_land_with_the_garden_keeper(
    registry: Registry, garden: Pact
) -> None:
    (workday, *_rest) = registry.plan_pact(garden.id or 0, not_before=SPRING).activities
    land = garden.details["land_partner_id"]
    keeper = next(m.partner_id for m in garden.members if m.role == "garden_keeper")
    assert (workday["place_partner_id"], workday["partner_ids"]) == (land, [keeper])


def test_the_plan_skips_months_gone_and_workdays_done(registry: Registry, garden: Pact) -> None:
    march, *_rest = registry.apply_plan(
        garden.id or 0, registry.plan_pact(garden.id or 0, not_before=SPRING)
    )
    registry.record_activity(march.id or 0, attendance=7)
    plan = registry.plan_pact(garden.id or 0, not_before=date(2024, 5, 1))
    months = [a["starts_at"].month for a in plan.activities]
    assert months == [5, 6, 7, 8, 9, 10]


def test_applying_the_plan_again_replaces_the_planned_workdays(
    registry: Registry, garden: Pact
) -> None:
    for _ in range(2):
        registry.apply_plan(garden.id or 0, registry.plan_pact(garden.id or 0, not_before=SPRING))
    assert len(registry.store.activities) == 8


def test_a_rota_longer_than_the_plot_keepers_is_a_gap(registry: Registry, garden: Pact) -> None:
    details = {**garden.details, "plot_keepers": 1, "keepers_per_workday": 3}
    registry.update_pact(garden.id or 0, details=details)
    plan = registry.plan_pact(garden.id or 0, not_before=SPRING)
    assert plan.gaps == ["the rota needs 3 plot-keepers a work day, the garden has 1"]
    assert len(plan.activities) == 8
