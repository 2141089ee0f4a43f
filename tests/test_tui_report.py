"""The Report screen: a year's figures, its account, charts, and export to a file.

Driven through Pilot on the demo store (Crema 2020-2021, seen as of
2022-01-01). The figures on screen are compared with
:func:`patti.core.reports.annual_report` and, for the key ones, with counts
made here from the store's raw documents following ``docs/reports.md``; an
export through the dialog must be byte for byte what ``patti report``
writes for the same store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_tui import file_state, screen_text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select, Static

from patti.core import hookimpl
from patti.core.demo import build_demo
from patti.core.i18n import set_language
from patti.core.model import Pact
from patti.core.pact_types import PactType, ReportSection
from patti.core.plugins import PluginHost
from patti.core.reports import AnnualReport, annual_report, narrative
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.cli import build_cli
from patti.tui.dialogs.export import ExportDialog
from patti.tui.screens.report import ReportScreen

SIZE = (120, 36)
LIVE = ("active", "concluded")


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def host() -> PluginHost:
    """patti's built-in plugins (pact types, exporters, the Crema pack), no third party."""
    found = PluginHost(entry_point_group=None)
    found.load()
    return found


@pytest.fixture
def demo_path(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        build_demo(store)
    return store_path


@pytest.fixture
def registry(demo_path: Path, host: PluginHost) -> Iterator[Registry]:
    with Store.open(demo_path) as store:
        yield Registry(store, plugins=host)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder of its own: the export dialog saves relative names there."""
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let the workers finish and their results be drawn."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_report(app: PattiApp, pilot: Pilot[Any]) -> ReportScreen:
    if "report" not in app._modes:  # wired by the lead later
        app.add_mode("report", lambda: ReportScreen(app.registry))
    await app.switch_mode("report")
    await settle(app, pilot)
    assert isinstance(app.screen, ReportScreen)
    return app.screen


async def go_to(app: App[Any], pilot: Pilot[Any], key: str) -> None:
    """Move down the list of sections, as the operator would, to the section ``key``."""
    sections = app.screen.query_one("#report-sections", OptionList)
    sections.focus()
    ids = [sections.get_option_at_index(i).id for i in range(sections.option_count)]
    while sections.highlighted != ids.index(key):
        await pilot.press("down" if (sections.highlighted or 0) < ids.index(key) else "up")
    await pilot.pause()


def value_of(text: str, label: str) -> str:
    """The value on the screen row of the figure ``label`` (two spaces or more after it)."""
    found = re.search(rf"(?<![\w(]){re.escape(label)}\s{{2,}}(\S+)", text)
    assert found, f"{label!r} not on screen:\n{text}"
    return found.group(1)


def notifications(app: App[Any]) -> list[str]:
    return [str(n.message) for n in app._notifications]


def cli_report(path: Path, host: PluginHost, *args: str) -> bytes:
    """What ``patti report`` writes to standard output for the store at ``path``."""
    result = CliRunner().invoke(
        build_cli(host), ["--lang", "en", "--db", str(path), "report", *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


# -- the figures, counted independently ------------------------------------------------------


def _year(value: Any) -> int | None:
    return int(value[:4]) if isinstance(value, str) and value[:4].isdigit() else None


def raw_tables(store: Store) -> dict[str, dict[int, dict[str, Any]]]:
    return {
        "pacts": dict(store.pacts.raw_items()),
        "activities": dict(store.activities.raw_items()),
    }


def activated(tables: dict[str, dict[int, dict[str, Any]]], year: int) -> int:
    return sum(1 for d in tables["pacts"].values() if d["year"] == year and d["status"] in LIVE)


def involved(tables: dict[str, dict[int, dict[str, Any]]], year: int) -> set[int]:
    """Members of live pacts whose span and membership cover ``year``, and partners of the
    year's activities that count (docs/reports.md)."""
    ids: set[int] = set()
    for doc in tables["pacts"].values():
        if doc["status"] not in LIVE:
            continue
        first = _year(doc.get("start")) or doc["year"]
        last = _year(doc.get("end"))
        if last is None and doc["status"] == "concluded":
            last = max(first, doc["year"])
        for member in doc.get("members", []):
            own_first = max(first, _year(member.get("start")) or first)
            own_last = _year(member.get("end")) or last
            if last is not None and own_last is not None:
                own_last = min(own_last, last)
            if own_first <= year and (own_last is None or year <= own_last):
                ids.add(member["partner_id"])
    for doc in tables["activities"].values():
        if _year(doc["starts_at"]) != year:
            continue
        status = tables["pacts"][doc["pact_id"]]["status"]
        if doc["status"] == "done" or (doc["status"] == "planned" and status in LIVE):
            ids.update(doc.get("partner_ids", []))
            if doc.get("place_partner_id") is not None:
                ids.add(doc["place_partner_id"])
    return ids


def expected_figures(report: AnnualReport) -> dict[str, str]:
    """The key figures as the English screen writes them."""
    p, a = report.partners, report.activities
    return {
        "Pacts activated": str(report.pacts.activated.count),
        "Pacts active": str(report.pacts.active.count),
        "Pacts concluded": str(report.pacts.concluded.count),
        "Partners involved": str(p.involved),
        f"Partners involved in {report.year - 1}": str(p.previous_involved),
        "Growth of partners involved (%)": f"{p.growth_percent:,}",
        "New partners": str(p.new),
        "Returning partners": str(p.returning),
        "Partners that did not continue": str(p.lost),
        "Activities done": str(a.done),
        "Presences at activities done": f"{a.attendance:,}",
    }


# -- the figures -----------------------------------------------------------------------------


async def test_the_figures_of_2021_are_the_annual_reports(registry: Registry) -> None:
    report = annual_report(registry.store, 2021, plugins=registry.plugins)
    tables = raw_tables(registry.store)
    # The seed of patti: seven pacts activated in 2021, more partners than in 2020.
    assert report.pacts.activated.count == activated(tables, 2021) == 7
    assert report.partners.involved == len(involved(tables, 2021))
    assert report.partners.previous_involved == len(involved(tables, 2020))
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot)
        # As of 2022-01-01 no pact is activated in 2022 yet: the report opens on 2021.
        assert screen.query_one("#report-year", Select).value == 2021
        assert "Annual report 2021: community pacts" in screen_text(app)
        await go_to(app, pilot, "figures")
        text = screen_text(app)
        assert "Figures of 2021" in text  # the section's name in the list
        for label, value in expected_figures(report).items():
            assert value_of(text, label) == value, label
        assert value_of(text, "Partners involved") == str(len(involved(tables, 2021)))
        growth = (len(involved(tables, 2021)) - len(involved(tables, 2020))) * 100
        assert value_of(text, "Growth of partners involved (%)") == str(
            round(growth / len(involved(tables, 2020)), 1)
        )


async def test_the_year_picker_offers_the_years_with_data(registry: Registry) -> None:
    report = annual_report(registry.store, 2020, plugins=registry.plugins)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot)
        assert screen.view is not None and screen.view.years == (2022, 2021, 2020)
        await go_to(app, pilot, "figures")
        await pilot.press("y")  # opens the picker on 2021
        await pilot.pause()  # the list opens and takes the focus
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert screen.view.year == 2020
        text = screen_text(app)  # the same section, of the year chosen
        assert "Annual report 2020: community pacts" in text
        assert value_of(text, "Pacts activated") == str(report.pacts.activated.count) == "3"
        assert value_of(text, "Partners involved") == str(report.partners.involved)


async def test_the_account_is_shown_in_the_interfaces_language(registry: Registry) -> None:
    report = annual_report(registry.store, 2021, plugins=registry.plugins)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot)  # the account is the first section
        shown = str(screen.query_one("#report-brief-text", Static).render())
        for paragraph in narrative(report, "en").split("\n\n"):
            assert paragraph in shown
        text = screen_text(app)
        assert "The year in brief" in text
        assert "In 2021, 7 community pacts were activated:" in text


async def test_the_charts_cover_every_year(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_report(app, pilot)
        await go_to(app, pilot, "charts")
        text = screen_text(app)
        for title in (
            "Pacts per year",
            "Partners involved per year",
            "New and returning partners per year",
        ):
            assert title in text
        assert all(str(year) in text for year in (2020, 2021, 2022))


async def test_stored_markup_in_a_title_is_shown_as_typed(registry: Registry) -> None:
    pact = next(p for p in registry.list_pacts() if p.code == "PdC-2021-01")
    registry.update_pact(pact.id or 0, title="[@click=app.quit]x[/]")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot)
        assert "“[@click=app.quit]x[/]”" in str(screen.query_one("#report-brief-text").render())
        assert "activated: “[@click=app.quit]x[/]”," in screen_text(app)
        await pilot.click("#report-brief-text", offset=(48, 2))  # on the title: nothing runs
        assert app.is_running


class Brittle(PactType):
    """A pact type whose report section has a bug."""

    name = "brittle"
    label_it = "Fragile"
    label_en = "Brittle"

    def report_section(self, pact: Pact, store: Store) -> ReportSection:
        raise RuntimeError("the section's bug")


class BrittlePlugin:
    @hookimpl
    def register_pact_types(self, register: Callable[[type[PactType]], None]) -> None:
        register(Brittle)


async def test_a_failing_report_section_is_said_and_the_report_goes_on(
    demo_path: Path, host: PluginHost
) -> None:
    host.register(BrittlePlugin(), "brittle")
    with Store.open(demo_path) as store:
        registry = Registry(store, plugins=host)
        registry.create_pact(
            title="Fragile",
            type="brittle",
            year=2021,
            start=date(2021, 3, 1),
            status="active",
            members=[{"partner_id": 1, "role": "partner"}],
        )
        app = PattiApp(registry)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_report(app, pilot)
            assert screen.view is not None and screen.view.context.report.pacts.activated.count == 8
            shown = str(screen.query_one("#report-brief-text", Static).render())
            assert "the section's bug" in shown
            assert any("brittle" in n for n in notifications(app))
            assert app.is_running


# -- export ----------------------------------------------------------------------------------


async def test_export_md_writes_what_patti_report_writes(
    registry: Registry, demo_path: Path, host: PluginHost, in_tmp: Path
) -> None:
    before = file_state(demo_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_report(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-name", Input).value == "report-2021.md"
        assert dialog.query_one("#export-format", Select).value == "md"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen)
        written = in_tmp / "report-2021.md"
        assert any(str(written) in n for n in notifications(app))
    assert written.read_bytes() == cli_report(demo_path, host, "--year", "2021", "--format", "md")
    assert "# Annual report 2021" in written.read_text(encoding="utf-8")
    assert file_state(demo_path) == before  # exporting reads the store, never writes it


async def test_a_pseudonymised_export_names_no_person(
    registry: Registry, demo_path: Path, host: PluginHost, in_tmp: Path
) -> None:
    people = [c.name for p in registry.list_partners() for c in p.contacts]
    assert people
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_report(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#export-pseudonymise", Checkbox).value = True
        app.screen.query_one("#export-name", Input).value = "public.md"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    written = (in_tmp / "public.md").read_bytes()
    expected = cli_report(demo_path, host, "--year", "2021", "--format", "md", "--pseudonymise")
    assert written == expected
    assert not [name for name in people if name.encode() in written]


async def test_a_bad_file_name_is_refused_in_the_dialog(
    registry: Registry, demo_path: Path, in_tmp: Path
) -> None:
    before = file_state(demo_path)
    (in_tmp / "a-folder").mkdir()
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_report(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        name = dialog.query_one("#export-name", Input)
        error = dialog.query_one("#export-error", Static)
        cases = {
            "": "Give a file name.",
            "   ": "Give a file name.",
            "missing/report.md": f"The folder {in_tmp / 'missing'} does not exist",
            "a-folder": "is a folder: add a file name.",
            "a-folder/": "is a folder: add a file name.",
            str(demo_path): "That is the store itself",
        }
        for typed, message in cases.items():
            name.value = typed
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is dialog, typed  # still open: the operator fixes the name
            assert error.display and message in str(error.render()), typed
            assert message.split(" ")[-1] in screen_text(app), typed  # a long path wraps
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
    assert sorted(p.name for p in in_tmp.iterdir()) == ["a-folder"]  # nothing written
    assert file_state(demo_path) == before


async def test_an_existing_file_is_replaced_only_when_asked_twice(
    registry: Registry, in_tmp: Path
) -> None:
    target = in_tmp / "report-2021.md"
    target.write_text("keep me", encoding="utf-8")
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_report(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ExportDialog)
        assert "report-2021.md already exists" in screen_text(app)
        assert target.read_text(encoding="utf-8") == "keep me"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen)
    assert target.read_text(encoding="utf-8").startswith("# Annual report 2021")


async def test_a_read_only_store_still_reports_and_exports(
    demo_path: Path, host: PluginHost, in_tmp: Path
) -> None:
    before = file_state(demo_path)
    with Store.open(demo_path, readonly=True) as store:
        app = PattiApp(Registry(store, plugins=host))
        async with app.run_test(size=SIZE) as pilot:
            await open_report(app, pilot)
            assert "Annual report 2021" in screen_text(app)
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("enter")
            await settle(app, pilot)
    assert (in_tmp / "report-2021.md").exists()
    assert file_state(demo_path) == before


# -- language --------------------------------------------------------------------------------


async def test_italian_labels(demo_path: Path, host: PluginHost) -> None:
    set_language("it")
    with Store.open(demo_path) as store:
        registry = Registry(store, plugins=host)
        report = annual_report(store, 2021, plugins=host)
        app = PattiApp(registry)
        async with app.run_test(size=SIZE) as pilot:
            await open_report(app, pilot)
            text = screen_text(app)
            assert "Rendicontazione 2021: Patti di Comunità" in text
            assert "L'anno in breve" in text
            assert "Nel 2021 sono stati attivati 7 Patti di Comunità" in text
            await go_to(app, pilot, "figures")
            text = screen_text(app)
            assert "Dati del 2021" in text
            assert value_of(text, "Patti attivati") == "7"
            assert value_of(text, "Soggetti coinvolti") == str(report.partners.involved)
            growth = report.partners.growth_percent
            assert growth is not None
            crescita = value_of(text, "Crescita dei soggetti coinvolti (%)")
            assert crescita == f"{growth}".replace(".", ",")
            assert value_of(text, "Presenze alle attività svolte") == "1.259"
            await pilot.press("x")
            await pilot.pause()
            assert app.screen.query_one("#export-name", Input).value == "rendiconto-2021.md"


async def test_an_empty_store_reports_zeros_without_failing(store: Store, host: PluginHost) -> None:
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_report(app, pilot)
        year = Registry(store).today().year
        assert screen.view is not None and screen.view.years == (year,)
        assert f"This store holds nothing for {year}" in screen_text(app)
        await go_to(app, pilot, "charts")
        await go_to(app, pilot, "figures")
        assert value_of(screen_text(app), "Pacts activated") == "0"
        assert not notifications(app)
