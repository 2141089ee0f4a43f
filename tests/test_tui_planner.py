"""The planner screen: run a pact type's planner, preview, accept in one write.

The real app on the demo store (or a store with a test pact type), driven by
Pilot; what accepting saves is compared with ``Registry.apply_plan`` run
independently on a copy of the same store file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_tui import MARKUP_PAYLOADS, screen_text, xfail_untranslated
from textual.app import App
from textual.content import Content
from textual.widgets import Static

from patti.core import PactType, hookimpl
from patti.core.demo import build_demo
from patti.core.i18n import _, set_language
from patti.core.model import Activity, ActivityStatus
from patti.core.pact_types import Plan
from patti.core.plugins import PluginHost
from patti.core.services import ActivityQuery, Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.dialogs.confirm import ConfirmDialog
from patti.tui.screens.planner import PlannerScreen, open_planner
from patti.tui.widgets.paged_table import PagedTable

SIZE = (120, 36)
TESTIMONIES = "PdC-2021-01"
NO_PLANNER = "PdC-2021-03"  # community_ties: a pact type without a planner


def host() -> PluginHost:
    """The built-in plugins only, never the developer's installed ones."""
    return PluginHost(entry_point_group=None)


@pytest.fixture
def demo_file(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        build_demo(store)
    return store_path


@pytest.fixture
def demo(demo_file: Path) -> Iterator[Registry]:
    with Store.open(demo_file) as store:
        yield Registry(store, plugins=host())


def notifications(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


def asking(app: App[Any]) -> bool:
    """A confirmation is on top (a function, so mypy does not narrow ``app.screen`` for good)."""
    return isinstance(app.screen, ConfirmDialog)


async def settle(app: App[Any], pilot: Any) -> None:
    """Let the planner's thread workers finish and their results reach the screen."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_on(app: PattiApp, pilot: Any, code: str) -> PlannerScreen:
    open_planner(app, app.registry.pact(code).id or 0)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, PlannerScreen)
    return screen


def planned(registry: Registry, pact_id: int) -> list[dict[str, Any]]:
    """The pact's planned activities, without the times they were written."""
    found = registry.list_activities(ActivityQuery(pact_id=pact_id, status=ActivityStatus.PLANNED))
    return sorted(
        (a.model_dump(exclude={"created_at", "updated_at"}) for a in found),
        key=lambda d: (d["starts_at"], d["audience"], d["id"]),
    )


def text_of(screen: PlannerScreen, selector: str) -> str:
    rendered = screen.query_one(selector, Static).render()
    assert isinstance(rendered, Content)
    return rendered.plain


# -- the preview -------------------------------------------------------------------------


async def test_preview_shows_the_forty_proposed_visits(demo: Registry) -> None:
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_on(app, pilot, TESTIMONIES)
        assert screen.proposal is not None
        assert len(screen.proposal.plan.activities) == 40
        by_place = screen.query_one("#plan-by-place", PagedTable)
        assert len(by_place.keys) == 40
        shown = screen_text(app)
        assert "40 activities proposed" in shown
        assert "By place (4)" in shown  # the demo pact's four schools
        assert "40 rows." in shown


async def test_preview_groups_by_partner_too(demo: Registry) -> None:
    pact_id = demo.pact(TESTIMONIES).id or 0
    plan = demo.plan_pact(pact_id)
    associations = {p for a in plan.activities for p in a["partner_ids"]}
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await open_on(app, pilot, TESTIMONIES)
        await pilot.press("t")
        await pilot.pause()
        shown = screen_text(app)
        assert f"By partner ({len(associations)})" in shown
        first = demo.partner(min(associations, key=lambda i: demo.partner(i).name.casefold()))
        assert first.name in shown


async def test_summary_lines_are_shown(demo: Registry) -> None:
    pact_id = demo.pact(TESTIMONIES).id or 0
    summary = demo.plan_pact(pact_id).summary
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_on(app, pilot, TESTIMONIES)
        text = text_of(screen, "#planner-summary")
        for line in summary:
            assert line in text
        assert "Every request is met." in text


async def test_r_plans_again_with_another_seed(demo: Registry) -> None:
    pact_id = demo.pact(TESTIMONIES).id or 0
    expected = demo.plan_pact(pact_id, seed=1).activities
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_on(app, pilot, TESTIMONIES)
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.proposal is not None
        assert screen.proposal.seed == 1
        assert screen.proposal.plan.activities == expected
        assert "Seed 1:" in screen_text(app)


# -- accepting -----------------------------------------------------------------------------


async def test_accept_saves_what_apply_plan_saves(demo: Registry, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "patti.json"
    copy.parent.mkdir()
    shutil.copyfile(demo.store.path, copy)
    pact_id = demo.pact(TESTIMONIES).id or 0
    with Store.open(copy) as other:
        independent = Registry(other, plugins=host())
        independent.apply_plan(pact_id, independent.plan_pact(pact_id, seed=0))
        expected = planned(independent, pact_id)
    assert len([a for a in expected if a["kind"] == "testimony"]) == 40

    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_on(app, pilot, TESTIMONIES)
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        message = screen_text(app)
        assert "Planned activities replaced: 40" in message
        assert "Proposed activities added: 40" in message
        await pilot.press("y")
        await settle(app, pilot)
        assert not isinstance(app.screen, PlannerScreen)  # back where the operator was
        assert f"Saved 40 planned activities for {TESTIMONIES}." in notifications(app)
    assert planned(demo, pact_id) == expected
    with Store.open(demo.store.path, readonly=True) as reopened:
        assert planned(Registry(reopened), pact_id) == expected


async def test_cancelling_the_confirmation_saves_nothing(demo: Registry) -> None:
    before = demo.store.path.read_bytes()
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_on(app, pilot, TESTIMONIES)
        await pilot.press("a")
        await pilot.pause()
        assert asking(app)
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is screen
        assert screen.proposal is not None
    assert demo.store.path.read_bytes() == before


async def test_a_pact_type_without_a_planner_is_a_notification(demo: Registry) -> None:
    before = demo.store.path.read_bytes()
    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        base = app.screen
        open_planner(app, demo.pact(NO_PLANNER).id or 0)
        await pilot.pause()
        assert app.screen is base
        assert "Pacts of type community_ties have no planner." in notifications(app)
    assert demo.store.path.read_bytes() == before


async def test_the_screen_itself_refuses_a_pact_without_a_planner(demo: Registry) -> None:
    app = PattiApp(demo)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = PlannerScreen(demo, demo.pact(NO_PLANNER).id or 0)
        await app.push_screen(screen)
        await settle(app, pilot)
        assert "Pacts of type community_ties have no planner." in notifications(app)
        assert "have no planner" in text_of(screen, "#planner-status")
        assert screen.check_action("accept", ()) is None
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen


async def test_readonly_store_disables_accept(demo_file: Path) -> None:
    before = demo_file.read_bytes()
    with Store.open(demo_file, readonly=True) as store:
        registry = Registry(store, plugins=host())
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_on(app, pilot, TESTIMONIES)
            assert screen.proposal is not None  # planning writes nothing: still allowed
            assert screen.check_action("accept", ()) is None
            await pilot.press("a")
            await pilot.pause()
            assert app.screen is screen
            assert "Read-only" in screen_text(app)
    assert demo_file.read_bytes() == before


# -- a plugin's planner: gaps, and its text as data ------------------------------------------------


class Toy:
    """A pact type whose planner proposes two talks and explains a gap, all in markup."""

    class ToyType(PactType):
        name = "toy"
        label_it = label_en = "Toy"

        def plan(self, pact: Any, store: Any, *, seed: int = 0, not_before: Any = None) -> Plan:
            return Plan(
                activities=[
                    {
                        "title": f"Talk {n}",
                        "kind": "talk",
                        "starts_at": datetime(2030, 1, n + 1, 10),
                        "place": f"{MARKUP_PAYLOADS[0]} hall",
                        "audience": f"group {n}",
                    }
                    for n in range(2)
                ],
                gaps=[f"{MARKUP_PAYLOADS[2]} group 3 has no speaker"],
                summary=[f"{MARKUP_PAYLOADS[3]} two talks"],
                replaces=frozenset({"talk"}),
            )

    @hookimpl
    def register_pact_types(self, register: Any) -> None:
        register(self.ToyType)


@pytest.fixture
def toy(store: Store) -> Registry:
    plugins = PluginHost(builtins=(), entry_point_group=None)
    plugins.register(Toy(), "toy")
    registry = Registry(store, plugins=plugins)
    lead = registry.create_partner(name="Lead", kind="association")
    registry.create_pact(
        title="Toy pact", type="toy", year=2030, members=[{"partner_id": lead.id, "role": "lead"}]
    )
    return registry


async def test_gaps_and_plugin_text_show_literally(toy: Registry) -> None:
    app = PattiApp(toy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_on(app, pilot, toy.list_pacts()[0].code)
        assert app.is_running
        summary = text_of(screen, "#planner-summary")
        assert f"{MARKUP_PAYLOADS[3]} two talks" in summary
        assert "1 request could not be met." in summary
        assert f"{MARKUP_PAYLOADS[0]} hall" in screen_text(app)
        await pilot.press("t", "t")
        await pilot.pause()
        shown = screen_text(app)
        assert "Gaps (1)" in shown
        assert f"• {MARKUP_PAYLOADS[2]} group 3 has no speaker" in shown


async def test_a_plan_replacing_nothing_adds_its_activities(toy: Registry) -> None:
    pact = toy.list_pacts()[0]
    app = PattiApp(toy)
    async with app.run_test(size=SIZE) as pilot:
        await open_on(app, pilot, pact.code)
        await pilot.press("a")
        await pilot.pause()
        assert "Planned activities replaced: 0" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
    saved: list[Activity] = toy.list_activities(ActivityQuery(pact_id=pact.id))
    assert sorted(a.audience for a in saved) == ["group 0", "group 1"]


class Crashing(Toy):
    """A planner with a bug: it raises instead of returning a plan."""

    class ToyType(Toy.ToyType):
        def plan(self, pact: Any, store: Any, *, seed: int = 0, not_before: Any = None) -> Plan:
            raise RuntimeError("planner bug")

    @hookimpl
    def register_pact_types(self, register: Any) -> None:
        register(self.ToyType)


async def test_a_crashing_planner_is_a_notification_and_saves_nothing(store: Store) -> None:
    plugins = PluginHost(builtins=(), entry_point_group=None)
    plugins.register(Crashing(), "crashing")
    registry = Registry(store, plugins=plugins)
    lead = registry.create_partner(name="Lead", kind="association")
    pact = registry.create_pact(
        title="Toy pact", type="toy", year=2030, members=[{"partner_id": lead.id, "role": "lead"}]
    )
    before = store.path.read_bytes()
    app = PattiApp(registry)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_on(app, pilot, pact.code)
        assert app.is_running
        (message,) = [m for m in notifications(app) if "planner bug" in m]
        assert message.startswith("The plugin crashing failed (plan)")
        assert "planner bug" in text_of(screen, "#planner-status")
        assert screen.check_action("accept", ()) is None
    assert store.path.read_bytes() == before


# -- Italian -------------------------------------------------------------------------------------


async def test_italian_labels(demo: Registry) -> None:
    english = ["By place", "Accept plan", "Confirm", "Cancel"]
    set_language("it")
    italian = [_(e) for e in english]
    xfail_untranslated(english, italian)
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await open_on(app, pilot, TESTIMONIES)
        shown = screen_text(app)
        assert italian[0] in shown
        assert italian[1] in shown.splitlines()[-1]
        await pilot.press("a")
        await pilot.pause()
        shown = screen_text(app)
        assert _("Accept") in shown and italian[3] in shown


async def test_p_on_the_pacts_screen_plans_the_highlighted_pact(demo: Registry) -> None:
    app = PattiApp(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        search = app.screen.query_one("#pact-search")
        search.focus()
        await pilot.press(*"PdC-2021-01")
        await pilot.pause()
        await pilot.press("tab")  # to the list
        await pilot.press("p")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PlannerScreen)
        assert screen.pact_id == demo.pact("PdC-2021-01").id
