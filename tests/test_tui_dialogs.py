"""Questions and forms shared by the screens: which answer Enter gives, where the focus goes.

A question before deleting or discarding must not be answered by a stray
Enter (nor by Enter pressed once too often): Enter keeps the data, ``y``
(or the red button) acts. Closing any dialog gives the keys back to the
list, and a form's "correct the fields in red" banner goes with the last
field in red. The real app on the demo store, driven by Pilot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui import file_state
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from patti.core.demo import build_demo
from patti.core.plugins import PluginHost
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.dialogs.confirm import ConfirmDialog
from patti.tui.dialogs.pact_editor import PactEditor
from patti.tui.screens.pacts import PactsScreen
from patti.tui.screens.planner import PlannerScreen

SIZE = (120, 36)


class Asking(App[None]):
    """Nothing but the question, its answer kept in ``answers``."""

    def __init__(self, dialog: ConfirmDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.answers: list[bool | None] = []

    def compose(self) -> ComposeResult:
        yield Static("behind")

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.answers.append)


def keys_line(app: App[Any]) -> str:
    rendered = app.screen.query_one("#confirm-keys", Static).render()
    assert isinstance(rendered, Content)
    return rendered.plain


@pytest.mark.parametrize(("danger", "safe_default"), [(True, None), (False, True)])
async def test_enter_on_a_danger_question_cancels_and_y_confirms(
    danger: bool, safe_default: bool | None
) -> None:
    """``danger`` makes Enter safe; an explicit ``safe_default`` does the same."""
    for key, expected in (("enter", False), ("y", True)):
        question = ConfirmDialog("Delete?", "x", danger=danger, safe_default=safe_default)
        app = Asking(question)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.focused is app.screen.query_one("#confirm-cancel", Button)
            assert keys_line(app) == "y: confirm · n, Esc or Enter: cancel"
            await pilot.press(key)
            await pilot.pause()
        assert app.answers == [expected]


async def test_a_harmless_question_still_confirms_with_enter() -> None:
    app = Asking(ConfirmDialog("Accept the plan?", "x"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#confirm-ok", Button)
        assert keys_line(app) == "y or Enter: confirm · n or Esc: cancel"
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [True]


async def test_tab_to_the_red_button_then_enter_confirms() -> None:
    """Enter presses the button that has the focus: the operator can choose it on purpose."""
    app = Asking(ConfirmDialog("Delete?", "x", danger=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab", "enter")
        await pilot.pause()
    assert app.answers == [True]


# -- the pacts screen ---------------------------------------------------------------------------


@pytest.fixture
def registry(store_path: Path) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        build_demo(store)
    with Store.open(store_path) as store:
        yield Registry(store, plugins=PluginHost(entry_point_group=None))


async def open_pacts(app: PattiApp, pilot: Pilot[Any]) -> PactsScreen:
    await app.switch_mode("pacts")
    await pilot.pause()
    assert isinstance(app.screen, PactsScreen)
    return app.screen


def banner(app: App[Any]) -> str:
    rendered = app.screen.query_one("#editor-error", Static).render()
    return str(getattr(rendered, "plain", rendered))


async def test_enter_on_delete_pact_keeps_it(registry: Registry) -> None:
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_pacts(app, pilot)
        count = len(screen.table.keys)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert len(screen.table.keys) == count
    assert file_state(registry.store.path) == before


async def test_the_list_has_the_keys_after_the_planner_closes(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_pacts(app, pilot)
        screen.query_one("#pact-detail").focus()  # Tab or a click took it there
        await pilot.press("p")  # the first pact (school testimonies) has a planner
        await pilot.pause()
        assert isinstance(app.screen, PlannerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert app.focused is screen.table.table
        first = screen.table.current()
        await pilot.press("down")
        assert screen.table.current() != first


async def test_the_list_has_the_keys_after_the_editor_saves(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_pacts(app, pilot)
        screen.query_one("#pact-detail").focus()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, PactEditor)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert app.focused is screen.table.table


async def test_the_pact_editor_banner_goes_with_the_last_field_in_red(registry: Registry) -> None:
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_pacts(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        title = app.screen.query_one("#field-title", Input)
        year = app.screen.query_one("#field-year", Input)
        title.value, year.value = "", "duemila"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PactEditor)
        assert banner(app) == "Not saved: correct the fields marked in red."
        title.value = "Testimonianze"
        await pilot.pause()
        assert banner(app), "the year is still wrong"
        year.value = "2021"
        await pilot.pause()
        assert banner(app) == ""
        assert not app.screen.query(".form-error.-shown")
    assert file_state(registry.store.path) == before
