"""The form of a pact type's own fields: labels in the operator's language, records in
sub-forms, driven through Pilot on real stores.

The details form is generated from the type's ``Details`` model: each field
is labelled from the plugin (``field_labels``) in Italian or English, and a
list of records (closures, schools, the classes of a school) is a list with
Add / Edit / Remove whose rows open a small form generated from the
record's model. Tests type as an operator would and read the store back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from rich.cells import cell_len
from test_tui import SIZE, file_state, screen_text
from test_tui_pacts import (
    add_member,
    build_small,
    choose,
    editor,
    error_text,
    fill,
    plugins,
    reopened,
)
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select

from patti.core import PactType, Role, hookimpl
from patti.core.demo import build_demo
from patti.core.i18n import set_language
from patti.core.model import Pact
from patti.core.pact_types import (
    choice_label,
    field_help,
    field_label,
    field_labels,
    missing_labels,
    record_models,
)
from patti.core.services import PactQuery, Registry
from patti.core.store import Store
from patti.plugins.community_ties import CommunityTies
from patti.plugins.school_testimonies import SchoolTestimonies
from patti.plugins.youth_legality import YouthLegality
from patti.tui.app import PattiApp
from patti.tui.dialogs.pact_editor import PactEditor
from patti.tui.dialogs.record_editor import RecordEditor
from patti.tui.screens.pacts import PactsScreen, PactTable
from patti.tui.widgets.details_form import DetailsForm, RecordList

BUILT_IN = (SchoolTestimonies, YouthLegality, CommunityTies)

# -- stores -------------------------------------------------------------------------------


@pytest.fixture
def small(store_path: Path) -> dict[str, int]:
    """The partners and pacts of the pacts screen's tests (a school under its institute,
    associations, a parish)."""
    with Store.open(store_path) as store:
        return build_small(Registry(store, plugins=plugins()))


@pytest.fixture
def registry(store_path: Path, small: dict[str, int]) -> Iterator[Registry]:
    with Store.open(store_path) as store:
        yield Registry(store, plugins=plugins())


@pytest.fixture
def demo(store_path: Path) -> Iterator[Registry]:
    """The demo store, whose testimonies and legality pacts have their details filled in."""
    with Store.open(store_path) as store:
        build_demo(store)
    with Store.open(store_path) as store:
        yield Registry(store, plugins=plugins())


# -- driving the form ---------------------------------------------------------------------


def form_of(app: App[Any]) -> DetailsForm:
    """The details form of the dialog on top (the pact editor or a record's editor)."""
    return app.screen.query(DetailsForm).first()


def records(app: App[Any], name: str) -> RecordList:
    return app.screen.query_one(f"#detail-{name}", RecordList)


def rows(app: App[Any], name: str) -> list[str]:
    """The lines a list of records shows, top to bottom."""
    listing = records(app, name).row_list
    return [
        str(getattr(option.prompt, "plain", option.prompt))
        for option in (listing.get_option_at_index(i) for i in range(listing.option_count))
    ]


async def open_new(pilot: Pilot[Any], app: App[Any], type_name: str) -> PactEditor:
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()
    await choose(pilot, app.screen.query_one(OptionList), type_name)
    return editor(app)


async def add_record(pilot: Pilot[Any], app: App[Any], name: str) -> RecordEditor:
    """Focus the list of ``name`` and press A, as an operator would after tabbing to it."""
    records(app, name).row_list.focus()
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(app.screen, RecordEditor), app.screen
    return app.screen


async def type_in(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key into the focused input."""
    await pilot.press(*text)
    await pilot.pause()


async def edit(pilot: Pilot[Any], app: App[Any], pact: Pact) -> PactEditor:
    """Put the list's cursor on ``pact`` and press E."""
    await pilot.pause()
    table = app.screen.query_one(PactTable)
    table.table.move_cursor(row=list(table.keys).index(pact.id))
    await pilot.pause()
    assert table.current() == pact.id
    await pilot.press("e")
    await pilot.pause()
    return editor(app)


def stored_testimonies(registry: Registry) -> Pact:
    [pact] = registry.list_pacts(PactQuery(type="school_testimonies"))
    return pact


# -- labels -------------------------------------------------------------------------------


class Water(BaseModel):
    """A third-party record: labels through ``field_labels`` only (no patti catalog)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["mains", "well"] = Field(
        default="mains",
        description="Where the water comes from.",
        json_schema_extra=field_labels(
            "Fonte",
            "Source",
            help_it="Da dove viene l'acqua.",
            choices={"mains": ("Acquedotto", "Mains"), "well": ("Pozzo", "Well")},
        ),
    )
    litres: int = Field(default=0, ge=0)  # no labels: its name, its description


def test_a_fields_label_and_help_follow_the_language() -> None:
    info = Water.model_fields["source"]
    set_language("it")
    assert (field_label("source", info), field_help(info)) == ("Fonte", "Da dove viene l'acqua.")
    assert choice_label(info, "well") == "Pozzo"
    set_language("en")
    assert (field_label("source", info), field_help(info)) == (
        "Source",
        "Where the water comes from.",  # English help defaults to the description
    )
    assert choice_label(info, "well") == "Well"


def test_a_field_without_labels_is_named_after_itself() -> None:
    set_language("it")
    assert field_label("litres", Water.model_fields["litres"]) == "Litres"
    assert missing_labels(Water) == ["litres: label it, label en"]


def test_labels_are_in_the_json_schema_for_scripts() -> None:
    schema = Water.model_json_schema()["properties"]["source"]
    assert schema["label"] == {"it": "Fonte", "en": "Source"}
    assert schema["help"] == {"it": "Da dove viene l'acqua."}
    assert schema["choices"]["well"] == {"it": "Pozzo", "en": "Well"}


@pytest.mark.parametrize("pact_type", BUILT_IN, ids=lambda t: t.name)
def test_built_in_types_label_every_field_in_both_languages(pact_type: type[PactType]) -> None:
    assert pact_type.missing_labels() == []


def _all_fields(model: type[BaseModel]) -> Iterator[tuple[str, Any]]:
    for name, info in model.model_fields.items():
        yield name, info
        for inner in record_models(info.annotation):
            yield from _all_fields(inner)


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("pact_type", BUILT_IN, ids=lambda t: t.name)
def test_built_in_labels_fit_the_label_column(pact_type: type[PactType], language: str) -> None:
    """The form's label column is 24 cells with one of padding: a required field's " *"
    included, no label of a built-in type wraps at 120 columns."""
    set_language(language)
    for name, info in _all_fields(pact_type.Details):
        label = field_label(name, info) + (" *" if info.is_required() else "")
        assert cell_len(label) <= 23, label


# -- a testimonies pact through the sub-forms ----------------------------------------------


async def test_a_testimonies_pact_is_made_in_italian_through_the_sub_forms(
    registry: Registry, small: dict[str, int]
) -> None:
    """Italian labels, a closure typed the Italian way, a school picked by name with a class
    added in a form inside its form, saved and read back from the store."""
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new(pilot, app, "school_testimonies")
        details = form.query_one("#details-form", DetailsForm)
        form.query_one("#editor-form").scroll_to_widget(details, animate=False, top=True)
        await pilot.pause()
        text = screen_text(app)
        for label in ("Anno scolastico *", "Primo giorno utile *", "Periodi di chiusura"):
            assert label in text
        assert "Vacanze e chiusure: nessuna testimonianza in questi giorni." in text
        for english in ("School year", "Window start", "Excluded periods", "Holidays"):
            assert english not in text
        await fill(pilot, form.query_one("#field-title", Input), "Testimonianze 2021")
        await fill(pilot, form.query_one("#detail-school_year", Input), "2021/22")
        await fill(pilot, form.query_one("#detail-window_start", Input), "04/10/2021")
        await fill(pilot, form.query_one("#detail-window_end", Input), "27/05/2022")
        await pilot.press("tab")  # from the last day to the list of closures
        assert app.focused is records(app, "excluded_periods").row_list

        closure = await add_record(pilot, app, "excluded_periods")
        assert "Primo giorno *" in screen_text(app) and "Ultimo giorno *" in screen_text(app)
        assert app.focused is closure.query_one("#detail-start", Input)
        await type_in(pilot, "23/12/2021")
        await pilot.press("tab")
        await type_in(pilot, "06/01/2022")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        assert rows(app, "excluded_periods") == ["23/12/2021 – 06/01/2022"]

        school = await add_record(pilot, app, "schools")
        assert "Scuola *" in screen_text(app) and "Classi *" in screen_text(app)
        await type_in(pilot, "galm")  # the picker has the focus: a partner by name
        await pilot.press("enter")
        await pilot.pause()
        assert school.query_one("#detail-partner_id", Input).value == str(small["school"])
        assert error_text(app, "#detail-partner_id-summary") == "Scuola Media Galmozzi"
        klass = await add_record(pilot, app, "classes")
        assert "Anno di corso *" in screen_text(app) and "Alunni *" in screen_text(app)
        await type_in(pilot, "2A")
        await pilot.press("tab")
        await type_in(pilot, "2")
        await pilot.press("tab")
        await type_in(pilot, "22")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is school and klass not in app.screen_stack
        assert rows(app, "classes") == ["2A — Anno di corso: 2; Alunni: 22"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert rows(app, "schools") == ["Scuola Media Galmozzi — Classi: 2A"]

        await add_member(pilot, app, "school", "galm")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
    pact = stored_testimonies(reopened(registry.store.path))
    assert pact.details["excluded_periods"] == [{"start": "2021-12-23", "end": "2022-01-06"}]
    assert pact.details["schools"] == [
        {
            "partner_id": small["school"],
            "classes": [{"label": "2A", "grade": 2, "pupils": 22}],
            "weekdays": None,
        }
    ]
    assert (pact.details["window_start"], pact.details["window_end"]) == (
        "2021-10-04",
        "2022-05-27",
    )


async def test_a_closure_ending_before_it_starts_is_refused_where_it_is_typed(
    registry: Registry,
) -> None:
    """The record's own rule is shown as the second day is typed, its form stays open, and
    neither the list nor the store gets anything."""
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new(pilot, app, "school_testimonies")
        closure = await add_record(pilot, app, "excluded_periods")
        await type_in(pilot, "06/01/2022")
        await pilot.press("tab")
        await type_in(pilot, "23/12/2021")
        assert "a period cannot end before it starts" in error_text(app, "#detail--error")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is closure  # still open
        assert "Correct the fields marked in red" in error_text(app, "#record-editor-error")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
        assert records(app, "excluded_periods").value == []
        assert rows(app, "excluded_periods") == ["None yet: press A to add one."]
    assert file_state(registry.store.path) == before


async def test_a_bad_date_in_a_record_is_shown_under_its_field_and_kept_out(
    registry: Registry,
) -> None:
    before = file_state(registry.store.path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new(pilot, app, "school_testimonies")
        closure = await add_record(pilot, app, "excluded_periods")
        await type_in(pilot, "31/02/2022")
        assert "is not a valid date" in error_text(app, "#detail-start-error")  # as typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is closure
        assert "is not a valid date" in error_text(app, "#detail-start-error")
        assert "is required" in error_text(app, "#detail-end-error")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form and records(app, "excluded_periods").value == []
        await fill(pilot, form.query_one("#field-title", Input), "Testimonianze")
        await pilot.press("ctrl+s")  # the pact's own required fields are empty
        await pilot.pause()
        assert app.screen is form
        assert "is required" in error_text(app, "#detail-window_start-error")
    assert file_state(registry.store.path) == before


async def test_a_class_needs_a_grade_between_1_and_3(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_new(pilot, app, "school_testimonies")
        school = await add_record(pilot, app, "schools")
        klass = await add_record(pilot, app, "classes")
        await type_in(pilot, "3C")
        await pilot.press("tab")
        await type_in(pilot, "4")
        await pilot.press("tab")
        await type_in(pilot, "20")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is klass
        assert "must be at most 3" in error_text(app, "#detail-grade-error")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is school and records(app, "classes").value == []
        await pilot.press("ctrl+s")  # a school needs a partner and a class
        await pilot.pause()
        assert app.screen is school
        assert "is required" in error_text(app, "#detail-partner_id-error")
        assert "cannot be empty" in error_text(app, "#detail-classes-error")


# -- existing details ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["it", "en"])
async def test_existing_details_survive_an_edit_unchanged(demo: Registry, language: str) -> None:
    """The demo's testimonies pact: every date, time, list and record goes through the form
    and comes back as it was stored, when only the title is changed."""
    set_language(language)
    pact = stored_testimonies(demo)
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await edit(pilot, app, pact)
        assert len(rows(app, "schools")) == len(pact.details["schools"])
        await fill(pilot, form.query_one("#field-title", Input), pact.title + " (bis)")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
    saved = reopened(demo.store.path).pact(pact.id or 0)
    assert saved.title == pact.title + " (bis)" and saved.revision == pact.revision + 1
    assert saved.details == pact.details


async def test_opening_and_closing_a_record_changes_nothing(demo: Registry) -> None:
    """OK on a record without typing keeps it as it was; leaving asks nothing."""
    pact = stored_testimonies(demo)
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await edit(pilot, app, pact)
        records(app, "schools").row_list.focus()
        await pilot.press("enter")  # the first school
        await pilot.pause()
        assert isinstance(app.screen, RecordEditor)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and not form.dirty
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen)  # no "discard the changes?"


async def test_a_class_is_changed_and_a_closure_removed_inside_a_stored_pact(
    demo: Registry,
) -> None:
    pact = stored_testimonies(demo)
    first = pact.details["schools"][0]
    app = PattiApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await edit(pilot, app, pact)
        closures = records(app, "excluded_periods")
        closures.row_list.focus()
        await pilot.press("delete")
        await pilot.pause()
        assert closures.value == pact.details["excluded_periods"][1:]
        assert form.dirty

        records(app, "schools").row_list.focus()
        await pilot.press("enter")
        await pilot.pause()
        school = app.screen
        assert isinstance(school, RecordEditor)
        records(app, "classes").row_list.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordEditor) and app.screen is not school
        pupils = app.screen.query_one("#detail-pupils", Input)
        await fill(pilot, pupils, "17")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
    saved = reopened(demo.store.path).pact(pact.id or 0)
    expected = {**pact.details, "excluded_periods": pact.details["excluded_periods"][1:]}
    changed = [{**first["classes"][0], "pupils": 17}, *first["classes"][1:]]
    expected["schools"] = [{**first, "classes": changed}, *pact.details["schools"][1:]]
    assert saved.details == expected


# -- youth legality, and a third-party type -----------------------------------------------------


async def test_a_legality_pact_shows_its_default_categories_in_italian(
    registry: Registry,
) -> None:
    set_language("it")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_new(pilot, app, "youth_legality")
        assert rows(app, "required_categories") == [
            "polizia-locale — Nome in italiano: Polizia Locale; Nome in inglese: Local police",
            "health — Nome in italiano: Operatori sanitari; Nome in inglese: Health staff",
            "politics — Nome in italiano: Politica locale; Nome in inglese: Local politics",
            "socio-health — Nome in italiano: Operatori sociosanitari; "
            "Nome in inglese: Socio-health workers",
        ]
        site = await add_record(pilot, app, "host_sites")
        text = screen_text(app)
        assert "Oratorio *" in text and "Settimane" in text and "Gruppi" in text
        await add_record(pilot, app, "groups")
        assert "Adolescenti *" in screen_text(app)
        await type_in(pilot, "Grest 14-15")
        await pilot.press("tab")
        await type_in(pilot, "18")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is site
        assert rows(app, "groups") == ["Grest 14-15 — Adolescenti: 18"]


class Plot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(json_schema_extra=field_labels("Nome", "Name"))
    water: Water | None = Field(default=None, json_schema_extra=field_labels("Acqua", "Water"))


class AllotmentDetails(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plots: list[Plot] = Field(
        default_factory=list, json_schema_extra=field_labels("Aiuole", "Plots")
    )


class Allotment(PactType):
    name = "allotment"
    label_it = "Orto"
    label_en = "Allotment"
    Details = AllotmentDetails
    roles: ClassVar[tuple[Role, ...]] = (Role("keeper", "Custode", "Keeper", min=0),)


class AllotmentPlugin:
    @hookimpl
    def register_pact_types(self, register: Any) -> None:
        register(Allotment)


async def test_a_plugins_own_labels_and_choices_reach_the_form(
    store_path: Path, small: dict[str, int]
) -> None:
    """A plugin with no access to patti's catalog: its record holds one optional record,
    with a choice labelled in Italian."""
    set_language("it")
    host = plugins()
    host.register(AllotmentPlugin(), "allotment")
    with Store.open(store_path) as store:
        registry = Registry(store, plugins=host)
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            form = await open_new(pilot, app, "allotment")
            assert "Aiuole" in screen_text(app)
            plot = await add_record(pilot, app, "plots")
            await type_in(pilot, "Aiuola nord")
            water = await add_record(pilot, app, "water")
            water.query_one("#detail-source", Select).value = "well"
            await pilot.pause()
            assert "Pozzo" in screen_text(app)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is plot
            assert rows(app, "water") == ["Fonte: Pozzo; Litres: 0"]
            assert not records(app, "water").check_action("add", ())  # one record at most
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert rows(app, "plots") == ["Aiuola nord — Acqua: (Fonte: Pozzo; Litres: 0)"]
            await fill(pilot, form.query_one("#field-title", Input), "Orto di via Roma")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, PactsScreen), error_text(app, "#editor-error")
        [pact] = registry.list_pacts(PactQuery(type="allotment"))
    assert pact.details == {
        "plots": [{"name": "Aiuola nord", "water": {"source": "well", "litres": 0}}]
    }


async def test_stored_markup_in_a_record_shows_literally(
    registry: Registry, small: dict[str, int]
) -> None:
    label = "[b]2A[/b]"
    pact = registry.create_pact(
        title="Testimonianze",
        type="school_testimonies",
        year=2021,
        members=[{"partner_id": small["school"], "role": "school"}],
        details={
            "school_year": "2021/22",
            "window_start": "2021-10-04",
            "window_end": "2022-05-27",
            "schools": [
                {
                    "partner_id": small["school"],
                    "classes": [{"label": label, "grade": 2, "pupils": 20}],
                }
            ],
        },
    )
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await edit(pilot, app, pact)
        assert rows(app, "schools") == [f"Scuola Media Galmozzi — Classes: {label}"]
        records(app, "schools").row_list.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert rows(app, "classes") == [f"{label} — Grade: 2; Pupils: 20"]
        assert label in screen_text(app)
