"""Adding members in the pact editor: the picker's suggestions are seen before Enter picks,
and a role that takes only some partner kinds refuses the others where they are typed.

The store is test_tui_pacts.py's small one (a school institute and its school, two
associations, a parish); the editor is the real one, opened from the pacts screen on the
school testimonies template, whose roles say which partner kinds they take.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui import SIZE
from test_tui_pacts import build_small, choose, editor, error_text, plugins
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList, Select

from patti.core.services import Registry
from patti.core.store import Store
from patti.plugins.school_testimonies import SchoolTestimonies
from patti.plugins.youth_legality import YouthLegality
from patti.tui.app import PattiApp
from patti.tui.dialogs.pact_editor import PactEditor
from patti.tui.widgets.partner_picker import PartnerPicker


@pytest.fixture
def registry(store_path: Path) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        registry = Registry(store, plugins=plugins())
        build_small(registry)
        yield registry


async def open_testimonies(app: App[Any], pilot: Pilot[Any]) -> PactEditor:
    """A new pact from the school testimonies template, as an operator opens it."""
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()
    await choose(pilot, app.screen.query_one(OptionList), "school_testimonies")
    return editor(app)


def seen(widget: Widget) -> Region:
    """The part of ``widget`` drawn on screen (clipped by whatever scrolls it)."""
    return widget.screen.find_widget(widget).visible_region


def member_names(form: PactEditor) -> list[str]:
    listing = form.query_one("#member-list", OptionList)
    prompts = (listing.get_option_at_index(i).prompt for i in range(listing.option_count))
    return [str(getattr(p, "plain", p)) for p in prompts]


async def tab_to_picker(pilot: Pilot[Any], form: PactEditor, role: str) -> PartnerPicker:
    """Choose ``role`` and Tab from the role to the picker, the way the reviewer got there."""
    select = form.query_one("#member-role", Select)
    select.value = role
    select.focus()
    await pilot.pause()
    await pilot.press("tab")
    await pilot.pause()
    picker = form.query_one("#member-picker", PartnerPicker)
    assert form.app.focused is picker.input
    return picker


async def test_typed_suggestions_are_on_screen_and_enter_adds_the_highlighted_one(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_testimonies(app, pilot)
        picker = await tab_to_picker(pilot, form, "school")
        await pilot.press(*"galm")
        await pilot.pause()
        assert picker.is_open
        suggestions = picker.suggestions
        assert suggestions.display and suggestions.region
        assert seen(suggestions) == suggestions.region  # whole, not clipped by the form
        assert form.query_one("#editor-form").region.contains_region(suggestions.region)
        assert Region(0, 0, *SIZE).contains_region(suggestions.region)
        highlighted = suggestions.get_option_at_index(suggestions.highlighted or 0)
        assert "Scuola Media Galmozzi" in str(getattr(highlighted.prompt, "plain", ""))
        await pilot.press("enter")
        await pilot.pause()
        assert member_names(form) == ["• Scuola Media Galmozzi (School)"]
        assert not picker.is_open and picker.input.value == ""


async def test_enter_does_not_pick_a_suggestion_scrolled_out_of_sight(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_testimonies(app, pilot)
        picker = await tab_to_picker(pilot, form, "school")
        await pilot.press(*"galm")
        await pilot.pause()
        scroll = form.query_one("#editor-form")
        scroll.scroll_home(animate=False, immediate=True)  # the list is now out of sight
        await pilot.pause()
        assert picker.is_open and not picker.suggestions_on_screen()
        await pilot.press("enter")
        await pilot.pause()
        assert member_names(form) == []  # nothing unseen was added: the list came into view
        assert picker.suggestions_on_screen()
        await pilot.press("enter")
        await pilot.pause()
        assert member_names(form) == ["• Scuola Media Galmozzi (School)"]


async def test_a_partner_of_another_kind_is_refused_for_the_role_inline(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_testimonies(app, pilot)
        picker = await tab_to_picker(pilot, form, "school")
        await pilot.press(*"avis")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert member_names(form) == []
        message = error_text(app, "#field-members-error")
        assert message == ("Not added: AVIS Crema is “Association”; the role School takes: School.")
        error = form.query_one("#field-members-error")
        assert error.display and seen(error) == error.region
        assert picker.input.value == "avis"  # what was typed stays, to be corrected


async def test_the_roles_kinds_come_first_among_the_suggestions(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_testimonies(app, pilot)
        picker = await tab_to_picker(pilot, form, "school_institute")
        await pilot.press(*"crema")
        await pilot.pause()
        assert [c.name for c in picker._shown] == [
            "Istituto Comprensivo Crema Due",  # a school institute, before "AVIS Crema"
            "AVIS Crema",
        ]
        form.query_one("#member-role", Select).value = "association"
        await pilot.pause()
        assert [c.name for c in picker._shown] == [
            "AVIS Crema",
            "Istituto Comprensivo Crema Due",
        ]
        await pilot.press("enter")
        await pilot.pause()
        assert member_names(form) == ["• AVIS Crema (Association)"]


async def test_the_role_drop_down_opens_inside_the_dialog(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_testimonies(app, pilot)
        select = form.query_one("#member-role", Select)
        select.focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded
        overlay = select.query_one("SelectOverlay")
        inside = form.query_one("#editor").region.shrink((1, 1, 1, 1))
        assert inside.contains_region(overlay.region), (overlay.region, inside)


def test_the_built_in_roles_name_the_kinds_they_take() -> None:
    roles = {r.name: r for r in SchoolTestimonies.roles}
    assert roles["school"].kinds == {"school"}
    assert roles["school_institute"].kinds == {"school_institute"}
    assert roles["association"].accepts("informal_group")
    assert not roles["association"].accepts("school")
    assert roles["promoter"].accepts("business")  # no kinds: any partner
    host = YouthLegality.role("host")
    assert host is not None and host.kinds == {"parish"}
