"""The Network screen: the year's network figures, bridging partners, new ties, ego view.

Driven through Pilot on the demo store. Figures are compared with
:func:`patti.core.network.network_figures` (what ``patti network`` prints)
and with counts made here from the raw documents; the ego view with
:func:`patti.core.network.ego_view` and the pacts the partner is a member of.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_tui import file_state, screen_text
from test_tui_report import LIVE, _year, involved, raw_tables
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from patti.core.demo import build_demo
from patti.core.i18n import set_language
from patti.core.network import NetworkFigures, build_network, ego_view, network_figures
from patti.core.plugins import PluginHost
from patti.core.reports import annual_report
from patti.core.services import Registry
from patti.core.store import Store
from patti.tui.app import PattiApp
from patti.tui.cli import build_cli
from patti.tui.dialogs.export import ExportDialog
from patti.tui.screens.network import ALL_YEARS, EgoNode, EgoTree, NetworkScreen
from patti.tui.widgets.paged_table import PagedTable

SIZE = (120, 36)


@pytest.fixture
def host() -> PluginHost:
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


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let the workers (the network, then the ego view) finish and be drawn."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def open_network(app: PattiApp, pilot: Pilot[Any]) -> NetworkScreen:
    if "network" not in app._modes:  # wired by the lead later
        app.add_mode("network", lambda: NetworkScreen(app.registry))
    await app.switch_mode("network")
    await settle(app, pilot)
    assert isinstance(app.screen, NetworkScreen)
    return app.screen


def figures_box(app: App[Any]) -> str:
    return str(app.screen.query_one("#net-figures", Static).render())


def value_of(text: str, label: str) -> str:
    found = re.search(rf"(?<![\w(]){re.escape(label)}\s{{2,}}(\S+)", text)
    assert found, f"{label!r} not in:\n{text}"
    return found.group(1)


def english(figures: NetworkFigures) -> dict[str, str]:
    """The figures as the English screen writes them."""
    found = {
        "Partners in the network": f"{figures.nodes:,}",
        "Ties between partners": f"{figures.ties:,}",
        "Density": f"{figures.density:g}",
        "Groups (connected components)": str(figures.components),
        "Partners with no tie": str(figures.isolated),
        "Ties across zones": str(figures.ties_across_zones),
    }
    if figures.year is not None:
        found[f"Ties in {figures.year - 1}"] = str(figures.previous_ties)
        found["New ties"] = str(figures.new_ties)
        found["Ties lost"] = str(figures.lost_ties)
    return found


def member_pacts(store: Store, partner_id: int, year: int) -> set[str]:
    """Codes of the live pacts whose span and the partner's membership cover ``year``,
    counted from the raw documents (docs/reports.md)."""
    codes = set()
    for doc in store.pacts.raw_items():
        pact = doc[1]
        if pact["status"] not in LIVE:
            continue
        first = _year(pact.get("start")) or pact["year"]
        last = _year(pact.get("end"))
        if last is None and pact["status"] == "concluded":
            last = max(first, pact["year"])
        for member in pact.get("members", []):
            if member["partner_id"] != partner_id:
                continue
            own_first = max(first, _year(member.get("start")) or first)
            own_last = _year(member.get("end")) or last
            if own_first <= year and (own_last is None or year <= own_last):
                codes.add(pact["code"])
    return codes


def tree_labels(app: App[Any]) -> list[str]:
    tree = app.screen.query_one(EgoTree)
    found = []

    def walk(node: Any) -> None:
        found.append(str(node.label))
        for child in node.children:
            walk(child)

    walk(tree.root)
    return found


# -- figures ---------------------------------------------------------------------------------


async def test_the_figures_are_network_figures_of_2021(registry: Registry) -> None:
    figures = network_figures(registry.store, 2021)
    tables = raw_tables(registry.store)
    # The year's network is exactly the partners the report counts as involved.
    assert figures.nodes == len(involved(tables, 2021))
    assert figures.nodes == annual_report(registry.store, 2021).partners.involved
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        assert screen.query_one("#net-year", Select).value == 2021
        assert screen.view is not None and screen.view.figures == figures
        text = screen_text(app)
        assert "Partner network of 2021" in text
        for label, value in english(figures).items():
            assert value_of(text, label) == value, label
        assert f"New ties in 2021 ({figures.new_ties})" in text


async def test_the_bridging_partners_are_the_brokers_first(registry: Registry) -> None:
    figures = network_figures(registry.store, 2021)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        assert screen.view is not None
        bridges = screen.view.bridges
        shown = [ref.id for ref, _score, _holds in bridges[: len(figures.brokers)]]
        assert shown == [b.partner.id for b in figures.brokers]
        assert [s for _r, s, _h in bridges[: len(figures.brokers)]] == [
            b.betweenness for b in figures.brokers
        ]
        table = screen.query_one("#net-bridges", PagedTable)
        assert len(table.keys) == len(bridges)
        top = figures.brokers[0]
        text = screen_text(app)
        assert top.partner.name[:20] in text
        assert f"{top.betweenness:g}" in text


async def test_new_ties_are_the_ties_missing_the_year_before(registry: Registry) -> None:
    now, before = build_network(registry.store, 2021), build_network(registry.store, 2020)
    fresh = now.pairs - before.pairs
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        assert screen.view is not None
        shown = {(min(t.a.id, t.b.id), max(t.a.id, t.b.id)) for t in screen.view.ties}
        assert shown == fresh
        weights = [t.weight for t in screen.view.ties]
        assert weights == sorted(weights, reverse=True)  # strongest first


async def test_all_years_is_the_overall_network(registry: Registry) -> None:
    figures = network_figures(registry.store, None)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        await pilot.press("y")  # the picker: All years, 2022, 2021 (chosen), 2020
        await pilot.pause()  # the list opens and takes the focus
        await pilot.press("up", "up", "enter")
        await settle(app, pilot)
        assert screen.query_one("#net-year", Select).value == ALL_YEARS
        assert screen.view is not None and screen.view.year is None
        assert screen.view.figures == figures
        text = screen_text(app)
        assert "Partner network, all years" in text
        for label, value in english(figures).items():
            assert value_of(text, label) == value, label
        assert "New ties" not in figures_box(app)


# -- the ego view ----------------------------------------------------------------------------


async def test_the_promoters_ego_view_lists_its_pacts(registry: Registry) -> None:
    promoter = next(
        m["partner_id"]
        for _id, doc in registry.store.pacts.raw_items()
        for m in doc["members"]
        if m["role"] == "promoter"
    )
    name = registry.store.partners.get(promoter).name
    view = ego_view(registry.store, promoter, 2021)
    codes = {p.pact.code for p in view.pacts}
    assert codes == member_pacts(registry.store, promoter, 2021)
    assert len(codes) >= 7
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        await pilot.press("slash", *"comune di crema", "enter")
        await settle(app, pilot)
        assert screen.query_one("#net-partners", PagedTable).current() == promoter
        assert screen.ego is not None and screen.ego == view
        labels = tree_labels(app)
        assert labels[0].startswith(name)
        assert f"Pacts ({len(codes)})" in labels
        assert {label.split(" ")[0] for label in labels} >= codes
        assert f"Ties ({len(view.ties)})" in labels
        text = screen_text(app)
        assert "Promoter" in text
        assert sorted(codes)[0] in text


async def test_enter_on_a_tie_walks_to_that_partner(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        assert screen.ego is not None
        other = screen.ego.ties[0].b
        tree = screen.query_one(EgoTree)
        node = next(n for n in tree._tree_nodes.values() if n.data == EgoNode("partner", other.id))
        tree.focus()
        tree.move_cursor(node)
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.query_one("#net-partners", PagedTable).current() == other.id
        assert screen.ego.partner.id == other.id
        assert tree_labels(app)[0].startswith(other.name)


async def test_a_search_narrows_the_partners(registry: Registry) -> None:
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_network(app, pilot)
        await pilot.press("slash", *"oratorio")
        await pilot.pause()
        table = screen.query_one("#net-partners", PagedTable)
        names = [registry.store.partners.get(k).name for k in table.keys]
        assert names and all("oratorio" in n.casefold() for n in names)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.query_one("#net-search", Input).value == ""
        assert screen.view is not None and len(table.keys) == len(screen.view.partners)


# -- export and language ---------------------------------------------------------------------


async def test_export_graphml_writes_what_patti_network_writes(
    registry: Registry, demo_path: Path, host: PluginHost, tmp_path: Path, monkeypatch: Any
) -> None:
    before = file_state(demo_path)
    monkeypatch.chdir(tmp_path)
    app = PattiApp(registry)
    async with app.run_test(size=SIZE) as pilot:
        await open_network(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-name", Input).value == "network-2021.graphml"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, NetworkScreen)
    cli = tmp_path / "cli.graphml"
    args = ["--lang", "en", "--db", str(demo_path), "network", "--year", "2021"]
    result = CliRunner().invoke(
        build_cli(host), [*args, "--format", "graphml", "--output", str(cli)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "network-2021.graphml").read_bytes() == cli.read_bytes()
    assert file_state(demo_path) == before


async def test_italian_labels(demo_path: Path, host: PluginHost) -> None:
    set_language("it")
    with Store.open(demo_path) as store:
        figures = network_figures(store, 2021)
        app = PattiApp(Registry(store, plugins=host))
        async with app.run_test(size=SIZE) as pilot:
            await open_network(app, pilot)
            text = screen_text(app)
            assert "Rete dei soggetti del 2021" in text
            assert value_of(text, "Soggetti nella rete") == str(figures.nodes)
            assert value_of(text, "Densità") == f"{figures.density:g}".replace(".", ",")
            assert value_of(text, "Nuovi legami") == str(figures.new_ties)
            assert "Intermediazione" in text
            assert "Tipologia" in text


@pytest.mark.parametrize(("language", "heading"), [("it", "Legami"), ("en", "Ties")])
async def test_the_partners_columns_fit_half_the_screen(
    demo_path: Path, host: PluginHost, language: str, heading: str
) -> None:
    set_language(language)
    with Store.open(demo_path) as store:
        app = PattiApp(Registry(store, plugins=host))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_network(app, pilot)
            table = screen.partners_table.table
            widths = sum(c.get_render_width(table) for c in table.columns.values())
            assert widths <= table.scrollable_content_region.width
            assert not table.show_horizontal_scrollbar
            header = table.region.y
            assert screen_text(app).splitlines()[header].rstrip().endswith(heading)


@pytest.mark.parametrize(
    ("language", "label", "hint", "keys"),
    [
        (
            "it",
            "Pseudonimizza",
            "Nessuna persona nominata: i contatti diventano «Persona N».",
            ("esc Annulla", "^s Esporta"),
        ),
        (
            "en",
            "Pseudonymise",
            "Name no person: contacts become “Person N”.",
            ("esc Cancel", "^s Export"),
        ),
    ],
)
async def test_the_export_dialog_fits_and_shows_its_keys(
    demo_path: Path,
    host: PluginHost,
    language: str,
    label: str,
    hint: str,
    keys: tuple[str, ...],
) -> None:
    set_language(language)
    with Store.open(demo_path) as store:
        app = PattiApp(Registry(store, plugins=host))
        async with app.run_test(size=SIZE) as pilot:
            await open_network(app, pilot)
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ExportDialog)
            lines = screen_text(app).splitlines()
            checkbox = app.screen.query_one("#export-pseudonymise")
            assert checkbox.region.width >= checkbox.get_content_width(app.size, app.size)
            rows = lines[checkbox.region.y : checkbox.region.bottom]
            assert any(label in row for row in rows)
            assert any(hint in line for line in lines)
            assert all(key in lines[-1] for key in keys), "the dialog's own footer"


async def test_an_empty_store_has_an_empty_network(store: Store, host: PluginHost) -> None:
    app = PattiApp(Registry(store, plugins=host))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_network(app, pilot)
        assert screen.view is not None and screen.view.figures.nodes == 0
        assert value_of(screen_text(app), "Partners in the network") == "0"
        assert "No partner selected." in screen_text(app)
        assert not app._notifications
