"""The pacts screen and the pact editor, driven through Pilot on real stores.

A small store is built with the services and the built-in plugins: a school
institute with its school, two associations, a parish, and three
neighbourhood pacts (one active, two drafts that cannot be activated as they
are). Tests press keys as an operator would and then read the store back:
saved work is there, refused work left the file byte for byte as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from test_tui import SIZE, detail_text, file_state, hold_lock, screen_text, table_titles
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select, Static

from patti.core import PactType, Role, hookimpl
from patti.core.backup import restore, write_backup
from patti.core.demo import build_demo
from patti.core.i18n import _, set_language
from patti.core.model import PactStatus
from patti.core.plugins import PluginHost
from patti.core.services import PactQuery, Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.dialogs.pact_editor import ConfirmDiscard, PactEditor, TemplatePicker
from patti.tui.dialogs.status import StatusDialog
from patti.tui.screens.pacts import PactsScreen, PactTable
from patti.tui.widgets.details_form import RecordList
from patti.tui.widgets.partner_picker import PartnerPicker

# -- the store ------------------------------------------------------------------------------


def plugins() -> PluginHost:
    """patti's built-in plugins only (no entry points of whatever else is installed)."""
    return PluginHost(entry_point_group=None)


def build_small(registry: Registry) -> dict[str, int]:
    """Partners and pacts the tests refer to by name; returns their ids."""
    ids: dict[str, int] = {}

    def partner(key: str, **fields: Any) -> None:
        ids[key] = registry.create_partner(**fields).id or 0

    partner("institute", name="Istituto Comprensivo Crema Due", kind="school_institute")
    partner("school", name="Scuola Media Galmozzi", kind="school", parent_id=ids["institute"])
    partner("avis", name="AVIS Crema", kind="association")
    partner("alpini", name="Gruppo Alpini Ombriano", kind="association")
    partner("parish", name="Parrocchia di San Bernardino", kind="parish")

    def pact(key: str, **fields: Any) -> None:
        ids[key] = registry.create_pact(type="community_ties", **fields).id or 0

    pact(
        "caffe",
        title="Caffè tra vicini",
        year=2021,
        start="01/02/2021",
        zones=["ombriano"],
        members=[
            {"partner_id": ids["alpini"], "role": "partner"},
            {"partner_id": ids["parish"], "role": "host"},
        ],
        status="active",
    )
    pact("orti", title="Orti condivisi", year=2022, zones=["centro"])  # no members yet
    pact(
        "festa",
        title="Festa di quartiere",
        year=2020,
        members=[{"partner_id": ids["parish"], "role": "host"}],  # no "partner": cannot activate
        themes=["intergenerational"],
    )
    return ids


@pytest.fixture
def small(store_path: Path) -> dict[str, int]:
    with Store.open(store_path) as store:
        return build_small(Registry(store, plugins=plugins()))


@pytest.fixture
def registry(store_path: Path, small: dict[str, int]) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        yield Registry(store, plugins=plugins())


def reopened(path: Path) -> Registry:
    """The store as another process would read it after the app."""
    return Registry(Store.open(path, readonly=True), plugins=plugins())


# -- driving the UI ------------------------------------------------------------------------


def screen_of(app: App[Any]) -> PactsScreen:
    screen = app.screen_stack[0] if not isinstance(app.screen, PactsScreen) else app.screen
    assert isinstance(screen, PactsScreen)
    return screen


async def select_row(app: App[Any], pilot: Pilot[Any], title: str) -> None:
    """Put the cursor on the pact titled ``title``."""
    titles = table_titles(app)
    table = app.screen.query_one(PactTable)
    table.table.move_cursor(row=titles.index(title))
    await pilot.pause()
    assert detail_text(app).splitlines()[0] == title


async def choose(pilot: Pilot[Any], options: OptionList, option_id: str) -> None:
    """Highlight the option ``option_id`` with the arrow keys and press Enter."""
    options.focus()
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = 0
    await pilot.pause()
    await pilot.press(*["down"] * ids.index(option_id), "enter")
    await pilot.pause()


async def fill(pilot: Pilot[Any], widget: Input, text: str) -> None:
    """Focus ``widget`` and put ``text`` in it, as a paste would (typing every key of every
    field would make these tests slow without testing more: a few tests do type)."""
    widget.focus()
    widget.value = text
    await pilot.pause()


def editor(app: App[Any]) -> PactEditor:
    assert isinstance(app.screen, PactEditor), app.screen
    return app.screen


def error_text(app: App[Any], selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


def notifications(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


def schools(ids: dict[str, int]) -> list[dict[str, Any]]:
    classes = [{"label": "2A", "grade": 2, "pupils": 22}, {"label": "2B", "grade": 2, "pupils": 20}]
    return [{"partner_id": ids["school"], "classes": classes}]


def associations(ids: dict[str, int]) -> list[dict[str, Any]]:
    offer = {"partner_id": ids["avis"], "topics": ["il dono del sangue"], "weekdays": [1, 3]}
    return [{**offer, "max_visits": 4}]


async def fill_records(pilot: Pilot[Any], records: RecordList, rows: list[dict[str, Any]]) -> None:
    """Put ``rows`` in a list of records, as a paste would (each record's own form is driven
    key by key in test_details_form.py)."""
    records.rows = rows
    records.show_rows()
    records.post_message(RecordList.Changed(records))
    await pilot.pause()


def record_lines(records: RecordList) -> list[str]:
    listing = records.row_list
    options = (listing.get_option_at_index(i) for i in range(listing.option_count))
    return [str(getattr(o.prompt, "plain", o.prompt)) for o in options]


async def add_member(pilot: Pilot[Any], app: App[Any], role: str, typed: str) -> None:
    """Choose ``role``, type part of a name in the picker, Enter on the first suggestion."""
    app.screen.query_one("#member-role", Select).value = role
    picker = app.screen.query_one("#member-picker", PartnerPicker)
    await fill(pilot, picker.input, typed)
    assert picker.is_open
    await pilot.press("enter")
    await pilot.pause()


# -- the editor: creating ------------------------------------------------------------------


async def test_new_pact_from_the_school_testimonies_template_is_saved_and_activated(
    registry: Registry, small: dict[str, int]
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, TemplatePicker)
        await choose(pilot, app.screen.query_one(OptionList), "school_testimonies")
        form = editor(app)
        assert form.type_name == "school_testimonies"
        assert app.focused is form.query_one("#field-title", Input)
        await pilot.press(*"Testimonianze", "space", *"2021")
        await fill(pilot, form.query_one("#field-start", Input), "01/10/2021")
        await fill(pilot, form.query_one("#detail-school_year", Input), "2021/22")
        await fill(pilot, form.query_one("#detail-window_start", Input), "04/10/2021")
        await fill(pilot, form.query_one("#detail-window_end", Input), "27/05/2022")
        await fill_records(pilot, form.query_one("#detail-schools", RecordList), schools(small))
        await fill_records(
            pilot, form.query_one("#detail-associations", RecordList), associations(small)
        )
        assert record_lines(form.query_one("#detail-schools", RecordList)) == [
            "Scuola Media Galmozzi — Classes: 2A, 2B"
        ]
        await add_member(pilot, app, "school", "galm")
        await add_member(pilot, app, "association", "avis")
        members = form.query_one("#member-list", OptionList)
        assert members.option_count == 2
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
        saved = registry.list_pacts(PactQuery(type="school_testimonies"))
        assert [p.title for p in saved] == ["Testimonianze 2021"]
        pact = saved[0]
        assert pact.code == "PdC-2021-02" and pact.year == 2021
        assert {(m.partner_id, m.role) for m in pact.members} == {
            (small["school"], "school"),
            (small["avis"], "association"),
        }
        assert pact.details["schools"][0]["partner_id"] == small["school"]
        assert pact.details["window_start"] == "2021-10-04"
        assert pact.status is PactStatus.DRAFT
        assert screen_of(app).table.current() == pact.id  # the list shows the new pact
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatusDialog)
        await choose(pilot, app.screen.query_one(OptionList), "active")
        assert isinstance(app.screen, PactsScreen)
        assert "Status: Active" in detail_text(app)
    stored = reopened(registry.store.path)
    assert stored.pact(pact.id or 0).status is PactStatus.ACTIVE


async def test_the_partner_picker_suggests_by_any_word_ignoring_accents(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Orti condivisi")
        await pilot.press("e")
        await pilot.pause()
        picker = app.screen.query_one("#member-picker", PartnerPicker)
        picker.input.focus()
        await pilot.press(*"BERN")
        await pilot.pause()
        assert picker.is_open
        assert [c.name for c in picker.matches("BERN")] == ["Parrocchia di San Bernardino"]
        assert "Parrocchia di San Bernardino" in screen_text(app)
        await fill(pilot, picker.input, "caffe")  # no partner is called that
        assert not picker.is_open
        await fill(pilot, picker.input, "cremà")
        assert [c.name for c in picker.matches("cremà")] == [
            "AVIS Crema",  # starts with nothing typed: alphabetical
            "Istituto Comprensivo Crema Due",
        ]
        await pilot.press("down", "enter")
        await pilot.pause()
        names = app.screen.query_one("#member-list", OptionList)
        assert "Istituto Comprensivo Crema Due" in str(names.get_option_at_index(0).prompt)


async def test_without_plugins_the_type_is_typed_and_roles_are_free(
    store_path: Path, small: dict[str, int]
) -> None:
    """``--no-plugins``: no templates to choose from, pact types are free names."""
    with Store.open(store_path) as store:
        registry = Registry(store)
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            form = editor(app)
            await pilot.press("ctrl+s")  # nothing typed: the title is required
            await pilot.pause()
            assert "Title: is required" in error_text(app, "#field-title-error")
            await fill(pilot, form.query_one("#field-title", Input), "Merenda al parco")
            await fill(pilot, form.query_one("#field-type", Input), "civic")
            await add_member(pilot, app, "lead", "alpini")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
        pact = registry.list_pacts(PactQuery(text="merenda"))[0]
        assert (pact.type, pact.year) == ("civic", registry.today().year)
        assert [(m.partner_id, m.role) for m in pact.members] == [(small["alpini"], "lead")]


class Water(StrEnum):
    MAINS = "mains"
    WELL = "well"


class GardenDetails(BaseModel):
    """One field of each kind the form generates an input for."""

    model_config = ConfigDict(extra="forbid")

    plots: int = Field(ge=1, description="How many plots.")
    area_m2: float | None = Field(default=None, description="Surface in square metres.")
    water: Water = Water.MAINS
    soil: Literal["clay", "sand"] = "clay"
    fenced: bool = False
    opened_on: date | None = None
    crops: list[str] = Field(default_factory=list)
    land_partner_id: int | None = Field(default=None, description="Who lends the land.")


class Garden(PactType):
    name = "garden"
    label_it = "Orto di quartiere"
    label_en = "Neighbourhood garden"
    Details = GardenDetails
    roles: ClassVar[tuple[Role, ...]] = (Role("keeper", "Custode", "Keeper", min=1),)


class GardenPlugin:
    @hookimpl
    def register_pact_types(self, register: Any) -> None:
        register(Garden)


async def test_the_form_of_a_types_own_fields_is_generated_from_its_model(
    store_path: Path, small: dict[str, int]
) -> None:
    host = plugins()
    host.register(GardenPlugin(), "garden")
    with Store.open(store_path) as store:
        registry = Registry(store, plugins=host)
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            await choose(pilot, app.screen.query_one(OptionList), "garden")
            form = editor(app)
            await fill(pilot, form.query_one("#field-title", Input), "Orto di via Bacchetta")
            await fill(pilot, form.query_one("#detail-plots", Input), "tre")
            assert "must be a whole number" in error_text(app, "#detail-plots-error")
            await fill(pilot, form.query_one("#detail-plots", Input), "0")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "at least 1" in error_text(app, "#detail-plots-error")
            await fill(pilot, form.query_one("#detail-plots", Input), "12")
            await fill(pilot, form.query_one("#detail-area_m2", Input), "340,5")
            form.query_one("#detail-water", Select).value = "well"
            form.query_one("#detail-soil", Select).value = "sand"
            form.query_one("#detail-fenced", Checkbox).focus()
            await pilot.press("space")
            await fill(pilot, form.query_one("#detail-opened_on", Input), "15/03/2022")
            await fill(pilot, form.query_one("#detail-crops", Input), "pomodori, zucchine")
            await fill(
                pilot, form.query_one("#detail-land_partner_id", Input), str(small["parish"])
            )
            assert error_text(app, "#detail-land_partner_id-summary") == (
                "Parrocchia di San Bernardino"
            )
            await add_member(pilot, app, "keeper", "alpini")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
            assert "Land partner id: Parrocchia di San Bernardino" in detail_text(app)
            assert "Opened on: 2022-03-15" in detail_text(app)
        [pact] = registry.list_pacts(PactQuery(type="garden"))
    assert pact.details == {
        "plots": 12,
        "area_m2": 340.5,
        "water": "well",
        "soil": "sand",
        "fenced": True,
        "opened_on": "2022-03-15",
        "crops": ["pomodori", "zucchine"],
        "land_partner_id": small["parish"],
    }


# -- the editor: editing, refusals ---------------------------------------------------------


async def test_editing_a_pact_saves_the_changes(registry: Registry, small: dict[str, int]) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Orti condivisi")
        await pilot.press("e")
        await pilot.pause()
        form = editor(app)
        assert form.query_one("#field-title", Input).value == "Orti condivisi"
        await fill(pilot, form.query_one("#field-title", Input), "Orti in comune")
        await fill(pilot, form.query_one("#field-end", Input), "30/06/2022")
        await fill(pilot, form.query_one("#field-start", Input), "01/03/2022")
        form.query_one("#detail-meeting_place", Input).value = "Serra del parco"
        await add_member(pilot, app, "partner", "alpini")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen)
        assert "Orti in comune" in table_titles(app)
        assert any("saved" in n for n in notifications(app))
    pact = reopened(registry.store.path).pact(small["orti"])
    assert pact.title == "Orti in comune"
    assert (pact.start.isoformat(), pact.end.isoformat()) == ("2022-03-01", "2022-06-30")  # type: ignore[union-attr]
    assert pact.details["meeting_place"] == "Serra del parco"
    assert [(m.partner_id, m.role) for m in pact.members] == [(small["alpini"], "partner")]
    assert pact.revision == 2


async def test_a_bad_date_is_shown_under_its_field_and_nothing_is_saved(
    registry: Registry,
) -> None:
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Caffè tra vicini")
        await pilot.press("e")
        await pilot.pause()
        form = editor(app)
        await fill(pilot, form.query_one("#field-start", Input), "31/02/2021")
        assert "not a valid date" in error_text(app, "#field-start-error")  # as typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # still editing
        assert "not a valid date" in error_text(app, "#field-start-error")
        assert "Not saved" in error_text(app, "#editor-error")
        assert any("Not saved" in n for n in notifications(app))
    assert file_state(registry.store.path) == before


async def test_bad_details_are_explained_where_they_are_and_nothing_is_saved(
    registry: Registry, small: dict[str, int]
) -> None:
    """First what the form itself refuses (a school year, a missing day), then what only the
    services can tell: the school is in the details but not a member."""
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await choose(pilot, app.screen.query_one(OptionList), "school_testimonies")
        form = editor(app)
        await fill(pilot, form.query_one("#field-title", Input), "Testimonianze")
        await fill(pilot, form.query_one("#detail-school_year", Input), "2021")
        await fill(pilot, form.query_one("#detail-window_start", Input), "04/10/2021")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "school year" in error_text(app, "#detail-school_year-error")
        assert "is required" in error_text(app, "#detail-window_end-error")
        assert file_state(registry.store.path) == before

        await fill(pilot, form.query_one("#detail-school_year", Input), "2021/22")
        await fill(pilot, form.query_one("#detail-window_end", Input), "27/05/2022")
        await fill_records(pilot, form.query_one("#detail-schools", RecordList), schools(small))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert error_text(app, "#detail-school_year-error") == ""
        message = "Scuola Media Galmozzi is not a member of the pact with the role school"
        assert message in error_text(app, "#editor-error")
        assert any(message in n for n in notifications(app))
    assert file_state(registry.store.path) == before


# -- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Orti condivisi", "An active pact needs at least one member"),
        ("Festa di quartiere", "role Partner: 0 members, needs at least 1"),
    ],
)
async def test_a_refused_transition_shows_its_reason_and_saves_nothing(
    registry: Registry, title: str, reason: str
) -> None:
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await select_row(app, pilot, title)
        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        await choose(pilot, dialog.query_one(OptionList), "active")
        assert app.screen is dialog  # still open, saying why
        assert reason in error_text(app, "#status-error")
        assert reason.split(":")[0] in screen_text(app)  # the dialog wraps the rest
        assert any(reason in n for n in notifications(app))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen)
        assert "Status: Draft" in detail_text(app)
    assert file_state(registry.store.path) == before


async def test_the_status_dialog_lists_only_allowed_moves_with_their_rules(
    registry: Registry,
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Caffè tra vicini")  # active
        await pilot.press("s")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["concluded", "cancelled"]
        assert "needs a start date" in screen_text(app)


# -- continuing ------------------------------------------------------------------------------


async def test_continue_creates_next_years_draft_and_opens_it(
    registry: Registry, small: dict[str, int]
) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Caffè tra vicini")
        await pilot.press("c")
        await pilot.pause()
        form = editor(app)
        assert form.pact is not None and form.pact.predecessor_id == small["caffe"]
        assert form.query_one("#field-year", Input).value == "2022"
        await pilot.press("escape")  # nothing changed: closes at once
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen)
        new = form.pact
        assert detail_text(app).splitlines()[1] == new.code  # the cursor is on the draft
        assert f"Continues: {registry.pact(small['caffe']).code}" in detail_text(app)
        await pilot.press("down")  # the pact it continues (same title, one year older)
        await pilot.pause()
        assert f"Continued by: {new.code}" in detail_text(app).splitlines()
    stored = reopened(registry.store.path)
    assert [p.code for p in stored.successors(small["caffe"])] == [new.code]
    assert stored.pact(new.id or 0).status is PactStatus.DRAFT


# -- deleting a pact ----------------------------------------------------------------------------


async def test_delete_asks_what_goes_with_the_pact_then_deletes_it(
    registry: Registry, small: dict[str, int]
) -> None:
    caffe = registry.pact(small["caffe"])
    for day in ("01/03/2021", "08/03/2021"):
        registry.create_activity(pact_id=caffe.id, title="Caffè", starts_at=f"{day} 10:00")
    successor = registry.continue_pact(small["caffe"])
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen_of(app).reveal(small["caffe"])  # not next year's edition, of the same title
        await pilot.pause()
        assert detail_text(app).splitlines()[1] == caffe.code
        await pilot.press("d")
        await pilot.pause()
        question = screen_text(app)
        assert "Its 2 activities go with it" in question
        assert f"{successor.code} continued it" in question
        await pilot.press("n")  # cancel: nothing happens
        await pilot.pause()
        assert registry.store.pacts.exists(small["caffe"])
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert (
            "Caffè tra vicini" not in table_titles(app)
            or len([t for t in table_titles(app) if t == "Caffè tra vicini"]) == 1
        )  # only next year's edition is left
        assert any(f"Pact {caffe.code} deleted." in n for n in notifications(app))
    stored = reopened(registry.store.path)
    assert not stored.store.pacts.exists(small["caffe"])
    assert stored.store.activities.ids_where("pact_id", small["caffe"]) == []
    assert stored.pact(successor.id or 0).predecessor_id is None


# -- the unsaved-changes guard ---------------------------------------------------------------


async def test_escape_with_unsaved_changes_asks_before_discarding(registry: Registry) -> None:
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        form = editor(app)
        await pilot.press("end", *" bis")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("enter")  # "Keep editing" has the focus
        await pilot.pause()
        assert app.screen_stack[-1] is form
        assert form.query_one("#field-title", Input).value.endswith(" bis")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("tab", "enter")  # "Discard changes"
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen)
    assert file_state(registry.store.path) == before


async def test_removing_a_member_counts_as_a_change(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Caffè tra vicini")
        await pilot.press("e")
        await pilot.pause()
        form = editor(app)
        members = form.query_one("#member-list", OptionList)
        members.focus()
        await pilot.press("delete")
        await pilot.pause()
        assert members.option_count == 1
        assert form.dirty
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDiscard)


# -- the list: filters, sorting, detail ------------------------------------------------------


async def test_filters_narrow_the_list(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert table_titles(app) == ["Orti condivisi", "Caffè tra vicini", "Festa di quartiere"]
        screen = app.screen
        await pilot.press("f")  # the year filter, opened and chosen with the keyboard
        await pilot.press("enter", "down", "down", "enter")
        await pilot.pause()
        assert screen.query_one("#filter-year", Select).value == 2021
        assert table_titles(app) == ["Caffè tra vicini"]
        await pilot.press("r")
        await pilot.pause()
        for name, value, expected in (
            ("status", "draft", ["Orti condivisi", "Festa di quartiere"]),
            ("zone", "centro", ["Orti condivisi"]),
            ("theme", "intergenerational", ["Festa di quartiere"]),
            ("type", "school_testimonies", []),
        ):
            screen.query_one(f"#filter-{name}", Select).value = value
            await pilot.pause()
            assert table_titles(app) == expected, name
            screen.query_one(f"#filter-{name}", Select).clear()
            await pilot.pause()
        screen.query_one("#filter-status", Select).value = "draft"
        await pilot.press("slash", *"orti")
        await pilot.pause()
        assert table_titles(app) == ["Orti condivisi"]


async def test_o_cycles_the_sort_order(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert table_titles(app) == ["Orti condivisi", "Caffè tra vicini", "Festa di quartiere"]
        await pilot.press("o")  # code
        await pilot.pause()
        codes = [str(app.screen.query_one(PactTable).table.get_row_at(r)[0]) for r in range(3)]
        assert codes == sorted(codes)
        await pilot.press("o")  # title
        await pilot.pause()
        assert table_titles(app) == ["Caffè tra vicini", "Festa di quartiere", "Orti condivisi"]
        assert "Sorted by title" in screen_text(app)
        await pilot.press("o")  # status: drafts first, newest first among them
        await pilot.pause()
        assert table_titles(app) == ["Orti condivisi", "Festa di quartiere", "Caffè tra vicini"]
        await pilot.press("o")
        await pilot.pause()
        assert table_titles(app) == ["Orti condivisi", "Caffè tra vicini", "Festa di quartiere"]


def test_the_screen_lists_what_the_services_find(store: Store) -> None:
    """The list's index is the services' own: each query finds the same pacts."""
    build_demo(store)
    registry = Registry(store, plugins=plugins())
    index = registry.pact_index()
    queries = [
        PactQuery(),
        PactQuery(year=2021),
        PactQuery(status=PactStatus.ACTIVE),
        PactQuery(type="community_ties", zone="ombriano"),
        PactQuery(theme="loneliness"),
        PactQuery(text="caffe"),
        PactQuery(text="continued"),
        PactQuery(text="comunità santa"),
    ]
    for query in queries:
        expected = {p.id for p in registry.list_pacts(query)}
        assert {e.id for e in index.search(query, "year")} == expected, query


async def test_detail_shows_role_labels_indicators_and_the_types_fields(
    store_path: Path,
) -> None:
    with Store.open(store_path) as store:
        build_demo(store)
    with Store.open(store_path) as store:
        app = PattiApp(Registry(store, plugins=plugins()))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            text = detail_text(app)
            assert text.splitlines()[1] == "PdC-2021-01"
            assert "Type: Itinerant testimonies of volunteering and active citizenship" in text
            assert "(School)" in text and "(Association)" in text and "(Promoter)" in text
            assert "Indicators" in text
            assert "School year: 2021/22" in text
            assert "• Scuola secondaria di primo grado «Cascina dei Gelsi» — Classes: 1A" in text
            assert "School weekdays: Mon, Tue, Wed, Thu, Fri" in text
            assert "Continued by" not in text


async def test_a_large_store_is_indexed_in_a_worker_and_paged(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(store_path) as store, store.transaction():
        registry = Registry(store)
        for n in range(450):
            registry.create_pact(title=f"Patto {n:03d}", type="civic", year=2000 + n % 20)
    monkeypatch.setattr(PactsScreen, "SYNC_LIMIT", 100)  # what 100,000 pacts would do
    with Store.open(store_path) as store:
        app = PattiApp(Registry(store))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.screen.query_one(PactTable)
            assert len(table.keys) == 450 and table.table.row_count == 100
            assert "Rows 1–100 of 450" in screen_text(app)
            table.table.move_cursor(row=99)
            await pilot.press("down")  # past the page's last row: the next page
            await pilot.pause()
            assert "Rows 101–200 of 450" in screen_text(app)
            assert table.current() == table.keys[100]
            await pilot.press("up")  # and back
            await pilot.pause()
            assert "Rows 1–100 of 450" in screen_text(app)
            assert table.current() == table.keys[99]
            await pilot.press("slash", *"patto 44")
            await pilot.pause()
            expected = sorted(f"Patto {n:03d}" for n in range(450) if "44" in f"{n:03d}")
            assert sorted(table_titles(app)) == expected


def row_of(app: App[Any], code: str) -> str:
    """The list's part of the screen line showing the pact ``code``."""
    line = next(line for line in screen_text(app).splitlines() if f" {code} " in line)
    return line.split("│")[0]


@pytest.mark.parametrize("language", ["en", "it"])
async def test_every_column_fits_at_120_columns(store_path: Path, language: str) -> None:
    """Long titles are cut with an ellipsis so that the status is never cut, in either
    language, whatever the status's label."""
    with Store.open(store_path) as store:
        registry = Registry(store)
        partner = registry.create_partner(name="Rete", kind="association")
        for n, status in enumerate(PactStatus):
            registry.create_pact(
                title=f"Un titolo molto lungo che non ci sta nella colonna del titolo {n}",
                type="civic",
                year=2021,
                start="01/02/2021",
                status=status,
                members=[{"partner_id": partner.id}],
            )
        set_language(language)
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            headers = row_of(app, _("Title"))
            for heading in (_("Code"), _("Year"), _("Title"), _("Status")):
                assert f" {heading} " in headers
            for n, status in enumerate(PactStatus):
                row = row_of(app, f"PdC-2021-{n + 1:02d}")
                assert row.rstrip().endswith(status.label), row
                assert "Un titolo molto lungo" in row and "…" in row


async def test_typing_narrows_key_by_key_and_shows_stored_markup_literally(
    store: Store,
) -> None:
    registry = Registry(store)
    registry.create_pact(title="[@click=app.quit]Città[/] aperta", type="civic", year=2021)
    registry.create_pact(title="Cittadella [b]viva[/b]", type="civic", year=2022)
    registry.create_pact(title="Orti condivisi", type="civic", year=2023)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        shown = []
        for key in "CITTA ":
            await pilot.press(key if key != " " else "space")
            await pilot.pause()
            shown.append(table_titles(app))
        assert len(shown[0]) == 3  # every title has a "c"
        both = ["Cittadella [b]viva[/b]", "[@click=app.quit]Città[/] aperta"]
        assert shown[1:] == [both] * 5  # "citta" matches "Città": accents fold away
        await pilot.press(*"aper")
        await pilot.pause()
        assert table_titles(app) == ["[@click=app.quit]Città[/] aperta"]
        assert "[@click=app.quit]Città[/] aperta" in screen_text(app)
        assert app.return_code is None


async def test_the_list_follows_changes_saved_elsewhere_and_a_restore(
    store: Store, tmp_path: Path
) -> None:
    """Another screen (or the CLI's services) saves: coming back shows it; a restore,
    which the change feed cannot describe, rebuilds the list."""
    registry = Registry(store)
    first = registry.create_pact(title="Orti condivisi", type="civic", year=2021)
    backup = write_backup(store, tmp_path / "backup.json")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        registry.update_pact(first.id or 0, title="Orti di via Bacchetta")
        added = registry.create_pact(title="Caffè sospeso", type="civic", year=2022)
        screen.refresh_data()
        await pilot.pause()
        assert table_titles(app) == ["Caffè sospeso", "Orti di via Bacchetta"]
        registry.delete_pact(added.id or 0)
        screen.refresh_data()
        await pilot.pause()
        assert table_titles(app) == ["Orti di via Bacchetta"]
        assert detail_text(app).splitlines()[0] == "Orti di via Bacchetta"
        restore(store, backup)
        screen.refresh_data()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table_titles(app) == ["Orti condivisi"]
        assert detail_text(app).splitlines()[0] == "Orti condivisi"


# -- read-only, Italian -----------------------------------------------------------------------


async def test_readonly_store_disables_new_edit_status_and_continue(
    store_path: Path, small: dict[str, int]
) -> None:
    with hold_lock(store_path), Store.open(store_path) as store:
        before = file_state(store_path)
        app = PattiApp(Registry(store, plugins=plugins()))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for key in ("n", "e", "s", "c", "d"):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, PactsScreen), key
            bindings = app.screen.active_bindings
            assert all(not bindings[k].enabled for k in ("n", "e", "s", "c", "d"))
        assert file_state(store_path) == before


async def test_italian_labels_in_the_editor_and_the_status_dialog(registry: Registry) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_row(app, pilot, "Caffè tra vicini")
        assert f"{_('Status')}: {PactStatus.ACTIVE.label}" in detail_text(app)
        assert "Stato: Attivo" in detail_text(app)
        assert "Periodo: 01/02/2021" in detail_text(app)
        assert "(Ospitante)" in detail_text(app)  # the type's own Italian role label
        await pilot.press("e")
        await pilot.pause()
        text = screen_text(app)
        assert "Legami di comunità" in text
        assert "Ospitante" in text and "Promotore" in text
        assert _("Title") == "Titolo" and "Titolo" in text
        assert editor(app).query_one("#field-start", Input).value == "01/02/2021"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        text = screen_text(app)
        assert "Concluso" in text and "Annullato" in text


async def test_enter_in_the_search_goes_to_the_list_keeping_the_search(store: Store) -> None:
    registry = Registry(store)
    registry.create_pact(title="Caffè sospeso", type="civic", year=2021)
    registry.create_pact(title="Orti di via Roma", type="civic", year=2021)
    app = PattiApp(registry)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash", *"caffe", "enter")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#pact-table")
        assert app.screen.query_one("#pact-search", Input).value == "caffe"
