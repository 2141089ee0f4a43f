"""The agenda: activities by week and month, filters, recording what happened, and
adding, editing and deleting single activities.

The real app on the demo store (Crema, seen as of 2022-01-01), driven by
Pilot. What each period should list is computed here from the store's raw
documents with plain Python, never by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_tui import file_state, screen_text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from patti.core.demo import build_demo
from patti.core.i18n import _, set_language
from patti.core.model import Activity, ActivityStatus
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.dialogs.activity_editor import ActivityEditor
from patti.tui.dialogs.confirm import ConfirmDialog
from patti.tui.dialogs.record_activity import RecordActivityDialog
from patti.tui.screens.agenda import AgendaScreen
from patti.tui.widgets.pact_picker import PactPicker
from patti.tui.widgets.paged_table import PagedTable

SIZE = (120, 36)
TODAY = date(2022, 1, 1)  # the demo's "as of" date: a Saturday


# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def demo_path(store_path: Path) -> Path:
    """A closed store file holding the demo."""
    with Store.open(store_path) as store:
        build_demo(store)
    return store_path


@pytest.fixture
def registry(demo_path: Path) -> Iterator[Registry]:
    """The demo, opened for writing as the app opens it."""
    with Store.open(demo_path) as store:
        yield Registry(store)


async def open_agenda(app: PattiApp, pilot: Pilot[Any]) -> AgendaScreen:
    if "activities" not in app._modes:  # wired by the lead later
        app.add_mode("activities", lambda: AgendaScreen(app.registry))
    await app.switch_mode("activities")
    await pilot.pause()
    assert isinstance(app.screen, AgendaScreen)
    return app.screen


def shown_ids(app: App[Any]) -> list[int]:
    """The activity ids the agenda lists, top to bottom."""
    return list(app.screen.query_one("#agenda-table", PagedTable).keys)


def current_id(app: App[Any]) -> int | None:
    key = app.screen.query_one("#agenda-table", PagedTable).current()
    return key if isinstance(key, int) else None


def expected_ids(path: Path, first: date, last: date, **match: Any) -> list[int]:
    """Activities dated between ``first`` and ``last``, read from the file with plain Python.

    ``match`` filters on raw fields: ``pact_id=4``, ``place_partner_id=7``,
    ``participant=12`` (one of ``partner_ids``).
    """
    with Store.open(path, readonly=True) as store:
        docs = dict(store.activities.raw_items())
    found = []
    for activity_id, doc in docs.items():
        starts = datetime.fromisoformat(doc["starts_at"])
        if not first <= starts.date() <= last:
            continue
        participant = match.get("participant")
        if participant is not None and participant not in doc.get("partner_ids", []):
            continue
        if any(doc.get(k) != v for k, v in match.items() if k != "participant"):
            continue
        found.append((starts, activity_id))
    return [activity_id for _starts, activity_id in sorted(found)]


def period_title(app: App[Any]) -> str:
    rendered = app.screen.query_one("#agenda-period", Static).render()
    return str(getattr(rendered, "plain", rendered))


def reread(path: Path, activity_id: int) -> Activity:
    """The activity as the file holds it now (a fresh read-only open)."""
    with Store.open(path, readonly=True) as store:
        return store.activities.get(activity_id)


def first_planned(path: Path, first: date, last: date) -> int:
    """A planned activity of the period (the agenda lists it first)."""
    with Store.open(path, readonly=True) as store:
        for activity_id in expected_ids(path, first, last):
            if store.activities.get(activity_id).status is ActivityStatus.PLANNED:
                return activity_id
    raise AssertionError("the demo has no planned activity in that period")


JANUARY = (date(2022, 1, 1), date(2022, 1, 31))


# -- weeks and months ------------------------------------------------------------------------


async def test_opens_on_the_week_of_today(registry: Registry, demo_path: Path) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        monday = TODAY - timedelta(days=TODAY.weekday())
        assert period_title(app) == "Week 52 · 2021-12-27 – 2022-01-02"
        assert shown_ids(app) == expected_ids(demo_path, monday, monday + timedelta(days=6))


async def test_next_and_previous_week(registry: Registry, demo_path: Path) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("full_stop")
        await pilot.pause()
        expected = expected_ids(demo_path, date(2022, 1, 3), date(2022, 1, 9))
        assert expected, "the demo plans activities in the first week of school"
        assert shown_ids(app) == expected
        assert "2022-01-03 – 2022-01-09" in period_title(app)
        await pilot.press("left", "left", "comma")
        await pilot.pause()
        expected = expected_ids(demo_path, date(2021, 12, 13), date(2021, 12, 19))
        assert expected
        assert shown_ids(app) == expected
        await pilot.press("right")
        await pilot.pause()
        assert shown_ids(app) == expected_ids(demo_path, date(2021, 12, 20), date(2021, 12, 26))


async def test_month_view_and_back_to_today(registry: Registry, demo_path: Path) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        assert period_title(app) == "January 2022"
        assert shown_ids(app) == expected_ids(demo_path, *JANUARY)
        await pilot.press("comma")
        await pilot.pause()
        assert period_title(app) == "December 2021"
        assert shown_ids(app) == expected_ids(demo_path, date(2021, 12, 1), date(2021, 12, 31))
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert period_title(app) == "March 2022"
        assert shown_ids(app) == expected_ids(demo_path, date(2022, 3, 1), date(2022, 3, 31))
        await pilot.press("t")
        await pilot.pause()
        assert period_title(app) == "January 2022"
        await pilot.press("w")
        await pilot.pause()
        assert period_title(app).startswith("Week 52 ")


async def test_the_detail_follows_the_cursor(registry: Registry, demo_path: Path) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("m", "down")
        await pilot.pause()
        second = registry.activity(expected_ids(demo_path, *JANUARY)[1])
        assert current_id(app) == second.id
        detail = app.screen.query_one("#agenda-detail", Static).render()
        lines = str(getattr(detail, "plain", detail)).splitlines()
        assert lines[0] == second.title
        assert lines[1].startswith(registry.pact(second.pact_id).code)
        assert "2022-01-07 09:00" in screen_text(app)


# -- filters ---------------------------------------------------------------------------------


FILTERS = ("#filter-pact", "#filter-school", "#filter-association")


async def choose(pilot: Pilot[Any], selector: str, search: str) -> None:
    """Reach a filter with the keyboard (``f``, then Tab), type to find the option, Enter.

    The pact filter is a picker: typing opens its suggestions, Enter picks the first.
    """
    await pilot.press("f", *["tab"] * FILTERS.index(selector))
    if selector == "#filter-pact":
        assert pilot.app.focused is pilot.app.screen.query_one(PactPicker).input
    else:
        assert pilot.app.focused is pilot.app.screen.query_one(selector, Select)
        await pilot.press("enter")
        await pilot.pause()
    await pilot.press(*search)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_filter_by_pact(registry: Registry, demo_path: Path) -> None:
    pact = registry.pact("PdC-2021-02")
    expected = expected_ids(demo_path, date(2022, 6, 1), date(2022, 6, 30), pact_id=pact.id)
    everything = expected_ids(demo_path, date(2022, 6, 1), date(2022, 6, 30))
    assert expected and len(expected) < len(everything)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("m", *["full_stop"] * 5)
        await pilot.pause()
        assert period_title(app) == "June 2022"
        assert shown_ids(app) == everything
        await choose(pilot, "#filter-pact", "PdC-2021-02")
        assert app.screen.query_one(PactPicker).value == pact.id
        assert shown_ids(app) == expected


async def test_filter_by_school_and_association(registry: Registry, demo_path: Path) -> None:
    january = expected_ids(demo_path, *JANUARY)
    first = registry.activity(january[0])
    assert first.place_partner_id is not None and first.partner_ids
    school = registry.partner(first.place_partner_id)
    association = registry.partner(first.partner_ids[0])
    assert (school.kind.value, association.kind.value) == ("school", "association")
    at_school = expected_ids(demo_path, *JANUARY, place_partner_id=school.id)
    both = expected_ids(demo_path, *JANUARY, place_partner_id=school.id, participant=association.id)
    assert len(both) < len(at_school) < len(january)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("m")
        await choose(pilot, "#filter-school", school.name[-10:])
        assert app.screen.query_one("#filter-school", Select).value == school.id
        assert shown_ids(app) == at_school
        await choose(pilot, "#filter-association", association.name[-10:])
        assert app.screen.query_one("#filter-association", Select).value == association.id
        assert shown_ids(app) == both
        await pilot.press("f", "tab", "enter", "home", "enter")  # back to "All schools"
        await pilot.pause()
        assert app.screen.query_one("#filter-school", Select).value == Select.NULL
        only = expected_ids(demo_path, *JANUARY, participant=association.id)
        assert shown_ids(app) == only


# -- the pact filter: a picker that searches as the operator types ----------------------------


def suggestions(app: App[Any]) -> list[str]:
    """The pact picker's open suggestions, as plain text."""
    picker = app.screen.query_one(PactPicker)
    if not picker.is_open:
        return []
    options = picker.suggestions
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_pact_filter_finds_a_pact_by_part_of_its_title(
    registry: Registry, demo_path: Path
) -> None:
    pact = registry.pact("PdC-2021-02")  # "La buona invasione… TO BE CONTINUED"
    june = (date(2022, 6, 1), date(2022, 6, 30))
    everything = expected_ids(demo_path, *june)
    expected = expected_ids(demo_path, *june, pact_id=pact.id)
    assert expected and len(expected) < len(everything)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("m", *["full_stop"] * 5, "f")
        await pilot.pause()
        await pilot.press(*"buona INVASIONE")  # any case, any word order of the title
        await pilot.pause()
        assert suggestions(app) == [
            "PdC-2021-02 · La buona invasione… TO BE CONTINUED",
            "PdC-2020-03 · La buona invasione",
        ], "the newest first"
        assert shown_ids(app) == everything, "typing alone does not filter"
        await pilot.press("enter")
        await pilot.pause()
        picker = app.screen.query_one(PactPicker)
        assert picker.value == pact.id
        assert picker.input.value == f"{pact.code} · {pact.title}"
        assert suggestions(app) == []
        assert shown_ids(app) == expected
        await pilot.press("ctrl+u")  # the input emptied: every pact again
        await pilot.pause()
        assert picker.value is None
        assert shown_ids(app) == everything


async def test_the_pact_filter_in_italian_finds_a_code(registry: Registry, demo_path: Path) -> None:
    set_language("it")
    pact = registry.pact("PdC-2020-02")
    everything = expected_ids(demo_path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        # "Tutti i patti (scrivi per cercare)" once the catalog has it; whole, not cut.
        assert _("All pacts (type to search)") in screen_text(app)
        await pilot.press("f", *"2020-0")
        await pilot.pause()
        assert suggestions(app) == [
            "PdC-2020-01 · Un caffè tra vicini",
            "PdC-2020-02 · Spesa solidale a San Carlo",
            "PdC-2020-03 · La buona invasione",
        ]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen.query_one(PactPicker).value == pact.id
        assert shown_ids(app) == expected_ids(demo_path, *JANUARY, pact_id=pact.id)
        await pilot.press("ctrl+u", *"zzz")
        await pilot.pause()
        assert suggestions(app) == ["Nessuna voce corrisponde a «zzz»."]
        assert shown_ids(app) == everything


async def test_text_typed_but_not_picked_is_put_back(registry: Registry) -> None:
    """The input always names the filter: leaving it restores the chosen pact's label."""
    pact = registry.pact("PdC-2021-03")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agenda(app, pilot)
        await choose(pilot, "#filter-pact", "portineria")
        picker = screen.query_one(PactPicker)
        assert picker.value == pact.id
        await pilot.press("backspace", *"xyz", "tab")  # edited, then left without a pick
        await pilot.pause()
        assert picker.value is None
        assert picker.input.value == ""
        assert app.focused is screen.query_one("#filter-school", Select)


async def test_down_lists_the_newest_pacts_and_escape_goes_back_to_the_list(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agenda(app, pilot)
        await pilot.press("f", "down")
        await pilot.pause()
        shown = suggestions(app)
        assert len(shown) == PactPicker.LIMIT
        assert shown[0].startswith("PdC-2021-")
        await pilot.press("escape")  # closes the suggestions
        await pilot.pause()
        assert suggestions(app) == []
        assert app.focused is screen.query_one(PactPicker).input
        await pilot.press("escape")  # and then back to the list
        await pilot.pause()
        assert app.focused is screen.table.table


async def test_pact_titles_in_the_filter_are_text(registry: Registry) -> None:
    pact = registry.pact("PdC-2021-06")
    registry.update_pact(pact.id or 0, title="[@click=app.quit]Caffè[/] sospeso")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("f", *"sospeso")
        await pilot.pause()
        assert suggestions(app) == ["PdC-2021-06 · [@click=app.quit]Caffè[/] sospeso"]
        await pilot.click(PactPicker, offset=(5, 2))  # the suggestion under the input
        await pilot.pause()
        assert app.screen.query_one(PactPicker).value == pact.id
        assert app.return_code is None


# -- recording -------------------------------------------------------------------------------


async def open_record(app: PattiApp, pilot: Pilot[Any], activity_id: int) -> None:
    screen = await open_agenda(app, pilot)
    await pilot.press("m")
    await pilot.pause()
    screen.reveal(activity_id)
    await pilot.pause()
    assert current_id(app) == activity_id
    await pilot.press("r")
    await pilot.pause()
    assert isinstance(app.screen, RecordActivityDialog)


def attendance_error(app: App[Any]) -> str:
    rendered = app.screen.query_one("#record-attendance-error", Static).render()
    return str(getattr(rendered, "plain", rendered))


async def test_record_attendance_is_saved(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    notes_before = registry.activity(activity_id).notes
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(app, pilot, activity_id)
        await pilot.press("2", "3", "tab", *"Classe attenta. ")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        assert current_id(app) == activity_id
        assert "Done" in screen_text(app)
    saved = reread(demo_path, activity_id)
    assert saved.status is ActivityStatus.DONE
    assert saved.attendance == 23
    assert saved.notes == f"Classe attenta. {notes_before}"


@pytest.mark.parametrize("typed", ["abc", "-3", "100001"])
async def test_bad_attendance_is_refused_inline(
    registry: Registry, demo_path: Path, typed: str
) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(app, pilot, activity_id)
        await pilot.press(*typed)
        await pilot.pause()
        message = attendance_error(app)
        assert message, "the error shows while typing"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RecordActivityDialog), "the dialog stays open"
        assert attendance_error(app) == message
        assert app.focused is app.screen.query_one("#record-attendance", Input)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
    assert file_state(demo_path) == before
    assert reread(demo_path, activity_id).status is ActivityStatus.PLANNED


async def test_fixing_the_attendance_clears_the_error(registry: Registry) -> None:
    activity_id = first_planned(registry.store.path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(app, pilot, activity_id)
        await pilot.press("-", "3")
        await pilot.pause()
        assert attendance_error(app) == "Attendance cannot be negative."
        await pilot.press("backspace", "backspace", "0")
        await pilot.pause()
        assert attendance_error(app) == ""


async def test_cancel_an_activity(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(app, pilot, activity_id)
        await pilot.press("1", "2")  # typed, then the operator learns it was called off
        await pilot.press("shift+tab", "right", "enter")  # the outcome: Cancelled
        await pilot.pause()
        assert app.screen.query_one("#record-attendance", Input).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
    saved = reread(demo_path, activity_id)
    assert saved.status is ActivityStatus.CANCELLED
    assert saved.attendance is None


async def test_a_refused_record_says_why_and_saves_nothing(
    registry: Registry, demo_path: Path
) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    registry.set_pact_status(registry.activity(activity_id).pact_id, "cancelled")
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(app, pilot, activity_id)
        await pilot.press("2", "0", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordActivityDialog)
        error = app.screen.query_one("#record-error", Static).render()
        assert "is cancelled and can no longer be changed" in str(getattr(error, "plain", error))
    assert file_state(demo_path) == before


async def test_read_only_store_disables_recording(demo_path: Path) -> None:
    before = file_state(demo_path)
    with Store.open(demo_path, readonly=True) as store:
        app = PattiApp(Registry(store))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_agenda(app, pilot)
            await pilot.press("m")
            await pilot.pause()
            assert shown_ids(app)
            assert screen.check_action("record", ()) is None  # shown dimmed, not hidden
            await pilot.press("r")
            await pilot.pause()
            assert app.screen is screen
    assert file_state(demo_path) == before


def footer_text(app: App[Any]) -> str:
    """The bottom row of the screen: where the footer shows the keys."""
    return screen_text(app).splitlines()[-1]


async def test_the_record_dialog_shows_its_keys(registry: Registry) -> None:
    activity_id = first_planned(registry.store.path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_record(app, pilot, activity_id)
        footer = footer_text(app)
        assert "^s Save" in footer
        assert "esc Back" in footer


# -- adding, editing, deleting ---------------------------------------------------------------


async def fill(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Replace what a field holds, as an operator would: go there, clear it, type."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


async def pick(pilot: Pilot[Any], picker: str, typed: str) -> None:
    """Type part of a name in a picker and take the first suggestion with Enter."""
    await fill(pilot, f"{picker} Input", typed)
    await pilot.press("enter")
    await pilot.pause()


def field_error(app: App[Any], name: str) -> str:
    rendered = app.screen.query_one(f"#field-{name}-error", Static).render()
    return str(getattr(rendered, "plain", rendered))


def document(path: Path, activity_id: int) -> dict[str, Any] | None:
    """The activity's raw document in the file (``None``: not there), read with plain Python."""
    with Store.open(path, readonly=True) as store:
        return dict(store.activities.raw_items()).get(activity_id)


async def test_add_an_activity_from_the_agenda(registry: Registry, demo_path: Path) -> None:
    pact = registry.pact("PdC-2021-03")
    host = registry.partner(45)  # Biblioteca di quartiere di Crema Nuova (demo)
    guests = [registry.partner(43), registry.partner(50)]
    before = set(expected_ids(demo_path, date(2000, 1, 1), date(2100, 1, 1)))
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        assert app.focused is app.screen.query_one("#pact-picker Input")
        await pilot.press(*"portineria", "enter")  # words of the title find the pact
        await pilot.pause()
        assert app.focused is app.screen.query_one("#field-title", Input)
        await pilot.press(*"Tombola in portineria")
        await fill(pilot, "#field-kind", "event")
        await fill(pilot, "#field-date", "14/01/2022")
        await fill(pilot, "#field-time", "15:30")
        await fill(pilot, "#field-until", "17:00")
        await pick(pilot, "#host-picker", "biblioteca")
        await fill(pilot, "#field-place", "sala lettura")
        await pick(pilot, "#partner-picker", "glicine")
        await pick(pilot, "#partner-picker", "caffe chiacchiere")  # accents and case ignored
        await fill(pilot, "#field-audience", "anziani del quartiere")
        await fill(pilot, "#field-audience_count", "30")
        app.screen.query_one("#field-notes").focus()
        await pilot.press(*"Portare le cartelle.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        (new_id,) = set(expected_ids(demo_path, date(2000, 1, 1), date(2100, 1, 1))) - before
        assert current_id(app) == new_id, "the agenda shows the new activity, cursor on it"
        assert "2022-01-10 – 2022-01-16" in period_title(app)
    saved = document(demo_path, new_id)
    assert saved is not None
    assert {k: saved[k] for k in ("pact_id", "title", "kind", "starts_at", "ends_at")} == {
        "pact_id": pact.id,
        "title": "Tombola in portineria",
        "kind": "event",
        "starts_at": "2022-01-14T15:30:00",
        "ends_at": "2022-01-14T17:00:00",
    }
    assert (saved["place_partner_id"], saved["place"]) == (host.id, "sala lettura")
    assert saved["partner_ids"] == [g.id for g in guests]
    assert (saved["audience"], saved["audience_count"]) == ("anziani del quartiere", 30)
    assert (saved["notes"], saved["status"]) == ("Portare le cartelle.", "planned")


async def test_a_new_activity_starts_from_the_filtered_pact(registry: Registry) -> None:
    pact = registry.pact("PdC-2021-02")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await choose(pilot, "#filter-pact", "PdC-2021-02")
        await pilot.press("escape", "n")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        assert app.screen.pact_id == pact.id
        assert f"{pact.code} · {pact.title}" in screen_text(app)
        assert app.focused is app.screen.query_one("#field-title", Input)


async def open_editor(app: PattiApp, pilot: Pilot[Any], activity_id: int) -> ActivityEditor:
    screen = await open_agenda(app, pilot)
    screen.reveal(activity_id)
    await pilot.pause()
    assert current_id(app) == activity_id
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, ActivityEditor)
    return app.screen


async def test_edit_an_activitys_date_and_place(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = document(demo_path, activity_id)
    assert before is not None and before["place_partner_id"] is not None
    library = registry.partner(45)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(app, pilot, activity_id)
        start = datetime.fromisoformat(before["starts_at"])
        assert editor.query_one("#field-date", Input).value == start.date().isoformat()
        assert editor.query_one("#field-time", Input).value == start.strftime("%H:%M")
        await fill(pilot, "#field-date", "21/02/2022")
        await pick(pilot, "#host-picker", "biblioteca crema")
        await fill(pilot, "#field-place", "aula 4")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        assert current_id(app) == activity_id
        assert "2022-02-21" in period_title(app)
    after = document(demo_path, activity_id)
    assert after is not None
    assert after["starts_at"] == f"2022-02-21T{start.strftime('%H:%M')}:00"
    assert (after["place_partner_id"], after["place"]) == (library.id, "aula 4")
    assert after["revision"] == before["revision"] + 1
    unchanged = ("pact_id", "title", "kind", "partner_ids", "audience", "audience_count", "notes")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


async def test_an_edit_made_elsewhere_meanwhile_is_not_overwritten(
    registry: Registry, demo_path: Path
) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_editor(app, pilot, activity_id)
        registry.update_activity(activity_id, notes="Cambiata da un collega.")
        elsewhere = file_state(demo_path)
        await fill(pilot, "#field-place", "aula 4")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor), "the form stays open"
        messages = [(n.title, n.message) for n in app._notifications]
        assert any(
            title == "Changed elsewhere: not saved" and "was changed elsewhere" in message
            for title, message in messages
        )
    assert file_state(demo_path) == elsewhere
    assert reread(demo_path, activity_id).notes == "Cambiata da un collega."


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("date", "31/02/2022", "is not a valid date"),
        ("date", "domani", "is not a valid date"),
        ("time", "25:00", "is not a time"),
        ("until", "8", "The end comes before the start."),
        ("audience_count", "tanti", "A number of people"),
    ],
)
async def test_bad_input_is_shown_inline_and_saves_nothing(
    registry: Registry, demo_path: Path, field: str, typed: str, message: str
) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(app, pilot, activity_id)
        await fill(pilot, f"#field-{field}", typed)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor), "the form stays open"
        assert message in field_error(app, field)
        assert "Not saved: correct the fields marked in red." in screen_text(app)
    assert file_state(demo_path) == before


async def test_correcting_a_field_clears_its_error(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(app, pilot, activity_id)
        await fill(pilot, "#field-date", "31/02/2022")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved: correct the fields marked in red." in screen_text(app)
        await fill(pilot, "#field-date", "28/02/2022")
        assert field_error(app, "date") == ""
        assert "Not saved" not in screen_text(app)


async def test_an_empty_form_says_what_is_missing(registry: Registry, demo_path: Path) -> None:
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        assert field_error(app, "pact") == "Choose the pact this activity belongs to."
        assert field_error(app, "title") == "Give the activity a title."
        assert field_error(app, "time") == "Give the time, e.g. 09:30."
    assert file_state(demo_path) == before


async def test_escape_with_changes_asks_before_discarding(
    registry: Registry, demo_path: Path
) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(app, pilot, activity_id)
        await fill(pilot, "#field-place", "aula 4")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        assert app.screen.query_one("#field-place", Input).value == "aula 4"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
    assert file_state(demo_path) == before


async def open_delete(app: PattiApp, pilot: Pilot[Any], activity_id: int) -> None:
    screen = await open_agenda(app, pilot)
    screen.reveal(activity_id)
    await pilot.pause()
    await pilot.press("d")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmDialog)


async def test_delete_asks_first_and_cancel_keeps_it(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    title = registry.activity(activity_id).title
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_delete(app, pilot, activity_id)
        assert "Delete the activity?" in screen_text(app)
        message = app.screen.query_one("#confirm-message", Static).render()
        assert title in str(getattr(message, "plain", message)), "it names the activity"
        assert "y Confirm" in footer_text(app), "the dialog shows its keys"
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        assert current_id(app) == activity_id
    assert file_state(demo_path) == before


async def test_delete_after_confirmation(registry: Registry, demo_path: Path) -> None:
    week = expected_ids(demo_path, date(2022, 1, 3), date(2022, 1, 9))
    activity_id = first_planned(demo_path, *JANUARY)
    assert activity_id in week and len(week) > 1
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_delete(app, pilot, activity_id)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        assert activity_id not in shown_ids(app)
        assert shown_ids(app) == [i for i in week if i != activity_id]
    assert document(demo_path, activity_id) is None


async def test_read_only_store_disables_add_edit_and_delete(demo_path: Path) -> None:
    before = file_state(demo_path)
    with Store.open(demo_path, readonly=True) as store:
        app = PattiApp(Registry(store))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_agenda(app, pilot)
            await pilot.press("m")
            await pilot.pause()
            assert shown_ids(app)
            for action in ("new_activity", "edit_activity", "delete_activity"):
                assert screen.check_action(action, ()) is None  # shown dimmed, not hidden
            for key in ("n", "e", "d", "delete"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is screen
    assert file_state(demo_path) == before


async def test_the_new_actions_are_in_the_footer_and_the_palette(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        footer = footer_text(app)
        for shown in ("n Add", "e Edit", "d Delete", "r Record", "← → Period"):
            assert shown in footer
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Add", "Edit", "Delete", "Record", "Today", "Filters"} <= titles


# -- text and language ----------------------------------------------------------------------


async def test_stored_markup_shows_literally(registry: Registry) -> None:
    pact = registry.pact("PdC-2021-01")
    registry.create_activity(
        pact_id=pact.id,
        title="[@click=app.quit]x[/] visita",
        starts_at="03/01/2022 10:00",
        place="[b]aula[/b]",
        audience="[link=https://x]3B[/link]",
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        await pilot.press("full_stop")
        await pilot.pause()
        text = screen_text(app)
        assert "[@click=app.quit]x[/] visita" in text
        assert "[b]aula[/b]" in text
        assert app.return_code is None


async def test_stored_markup_shows_literally_in_the_editor(registry: Registry) -> None:
    pact = registry.pact("PdC-2021-01")
    guest = registry.create_partner(name="[b]Gruppo[/b] [@click=app.quit]x[/]", kind="association")
    activity = registry.create_activity(
        pact_id=pact.id,
        title="[@click=app.quit]x[/] visita",
        starts_at="03/01/2022 10:00",
        partner_ids=[guest.id],
        place="[b]aula[/b]",
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(app, pilot, activity.id or 0)
        text = screen_text(app)
        assert "[@click=app.quit]x[/] visita" in text
        assert "• [b]Gruppo[/b] [@click=app.quit]x[/]" in text
        assert app.screen.query_one("#field-place", Input).value == "[b]aula[/b]"
        assert app.return_code is None


async def test_italian_labels(registry: Registry) -> None:
    set_language("it")
    activity_id = first_planned(registry.store.path, *JANUARY)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agenda(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        text = screen_text(app)
        assert "Gennaio 2022" in text
        for label in ("Titolo", "Stato", "Destinatari", "Pianificata", "07/01/2022 09:00"):
            assert label in text
        screen.reveal(activity_id)
        await pilot.press("r")
        await pilot.pause()
        text = screen_text(app)
        for label in ("Svolta", "Annullata", "Presenze", "Note"):
            assert label in text


async def test_the_activity_editor_in_italian(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_agenda(app, pilot)
        footer = footer_text(app)
        for shown in ("n Aggiungi", "e Modifica", "d Elimina", "← → Periodo"):
            assert shown in footer
        await pilot.press("n")
        await pilot.pause()
        text = screen_text(app)
        for label in ("Nuova attività", "Patto *", "Data *", "Ora *", "Luogo", "Partecipano"):
            assert label in text
        assert "01/01/2022" in text, "the day in view, as Italians write it"
        await fill(pilot, "#field-date", "32/01/2022")
        assert "non è una data valida" in field_error(app, "date")
        assert "^s Salva" in footer_text(app)


# -- safe answers and focus ---------------------------------------------------------------------


async def test_enter_on_delete_keeps_the_activity(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_delete(app, pilot, activity_id)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AgendaScreen)
        assert current_id(app) == activity_id
    assert file_state(demo_path) == before


async def test_enter_on_discard_keeps_editing(registry: Registry, demo_path: Path) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(app, pilot, activity_id)
        await fill(pilot, "#field-place", "aula 4")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        assert app.screen.query_one("#field-place", Input).value == "aula 4"
    assert file_state(demo_path) == before


async def test_saving_with_errors_goes_to_the_first_field_in_red(
    registry: Registry, demo_path: Path
) -> None:
    activity_id = first_planned(demo_path, *JANUARY)
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(app, pilot, activity_id)
        await fill(pilot, "#field-time", "25:99")
        await fill(pilot, "#field-audience_count", "molti")  # the cursor is here, further down
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        assert app.focused is app.screen.query_one("#field-time", Input)
    assert file_state(demo_path) == before


async def test_the_list_has_the_keys_after_the_editor_closes(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agenda(app, pilot)
        screen.query_one("#filter-school", Select).focus()  # "f", Tab: a filter has the focus
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ActivityEditor)
        await pilot.press("escape")  # nothing typed: closes at once
        await pilot.pause()
        assert app.screen is screen
        assert app.focused is screen.table.table
