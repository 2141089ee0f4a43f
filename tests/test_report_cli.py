"""``patti report`` and ``patti network``: formats, files, plugins' formats and bad input.

Commands run in-process through click's ``CliRunner`` on the demo store in
``tmp_path``. Bad input must exit with code 2, print exactly one line on
stderr and nothing on stdout, and leave the store file byte-identical.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import openpyxl
import orjson
import pytest
from click.testing import CliRunner, Result

import patti.plugins.exporters as exporters_plugin
from patti.core import hookimpl
from patti.core.demo import build_demo
from patti.core.exporters import ExportContext, Exporter
from patti.core.network import ego_view, network_figures
from patti.core.plugins import PluginHost
from patti.core.reports import annual_report
from patti.core.store import Store
from patti.tui.cli import build_cli
from patti.tui.cli_reports import report_commands

# -- helpers --------------------------------------------------------------------------------


def exporters_host() -> PluginHost:
    """patti's built-ins with the exporters (registered here until they are a default)."""
    host = PluginHost(entry_point_group=None)
    host.load()
    if not host.pm.has_plugin("exporters"):
        host.register(exporters_plugin, "exporters")
    return host


def patti(host: PluginHost) -> click.Group:
    """The ``patti`` command line with the report commands (until build_cli adds them)."""
    cli = build_cli(host)
    report_commands(cli)
    return cli


@dataclass
class Cli:
    """The CLI bound to one store file and one plugin host."""

    path: Path
    host: PluginHost

    def __call__(self, *args: str, lang: str = "en") -> Result:
        return CliRunner().invoke(
            patti(self.host),
            ["--lang", lang, "--db", str(self.path), *args],
            catch_exceptions=False,
        )

    def ok(self, *args: str, lang: str = "en") -> Result:
        result = self(*args, lang=lang)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        return result

    def refused(self, *args: str) -> str:
        """Run a command that must be refused; return its one error line."""
        before = self.path.read_bytes()
        result = self(*args)
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("patti: error: ")
        assert self.path.read_bytes() == before, "a refused command changed the store file"
        return result.stderr.strip()


@pytest.fixture
def host() -> PluginHost:
    return exporters_host()


@pytest.fixture
def cli(store_path: Path, host: PluginHost) -> Cli:
    with Store.open(store_path) as store:
        build_demo(store)
    return Cli(store_path, host)


def demo_report(cli: Cli, year: int = 2021) -> Any:
    with Store.open(cli.path, readonly=True) as store:
        return annual_report(store, year, plugins=cli.host)


# -- the commands exist, once ------------------------------------------------------------------


def test_report_commands_adds_report_and_network_once() -> None:
    cli = patti(exporters_host())
    commands = dict(cli.commands)
    report_commands(cli)
    assert cli.commands == commands
    assert {"report", "network"} <= set(commands)


@pytest.mark.parametrize(
    ("command", "formats"), [("report", "[md|html|csv|xlsx|json]"), ("network", "[graphml|json]")]
)
def test_the_commands_have_help_listing_the_formats(cli: Cli, command: str, formats: str) -> None:
    out = cli.ok(command, "--help").stdout
    assert out.startswith("Usage: ")
    assert f"--format {formats}" in out


# -- patti report -----------------------------------------------------------------------------


def test_report_prints_markdown_by_default(cli: Cli) -> None:
    out = cli.ok("report", "--year", "2021").stdout
    assert out.startswith("# Annual report 2021: community pacts\n")
    assert "In 2021, 7 community pacts were activated" in out
    assert "| Pacts activated | 7 |" in out


def test_report_follows_the_global_language(cli: Cli) -> None:
    out = cli.ok("report", "--year", "2021", lang="it").stdout
    assert "Nel 2021 sono stati attivati 7 Patti di Comunità" in out


@pytest.mark.parametrize("name", ["md", "html", "csv", "json"])
def test_report_writes_a_text_format_to_stdout_or_to_a_file_alike(
    cli: Cli, tmp_path: Path, name: str
) -> None:
    printed = cli.ok("report", "--year", "2021", "--format", name).stdout_bytes
    target = tmp_path / f"report.{name}"
    out = cli.ok("report", "--year", "2021", "--format", name, "--output", str(target)).stdout
    assert out.startswith(f"Written {target} ({name}, ")
    assert target.read_bytes() == printed
    assert not list(tmp_path.glob(".*tmp"))  # written through a temp file, nothing left


def test_report_writes_an_xlsx_file_that_opens(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    cli.ok("report", "--year", "2021", "--format", "xlsx", "-o", str(target))
    book = openpyxl.load_workbook(target)
    figures = {row[0]: row[1] for row in book["Figures of 2021"].iter_rows(values_only=True)}
    report = demo_report(cli)
    assert figures["Pacts activated"] == report.pacts.activated.count == 7
    assert figures["Partners involved"] == report.partners.involved


def test_report_json_holds_the_annual_report(cli: Cli) -> None:
    data = orjson.loads(cli.ok("report", "--year", "2021", "--format", "json").stdout)
    assert data["report"] == orjson.loads(orjson.dumps(demo_report(cli).as_json()))


def test_report_of_a_year_with_no_data_says_so(cli: Cli) -> None:
    out = cli.ok("report", "--year", "2030").stdout
    assert "> This store holds nothing for 2030: every figure is zero." in out
    assert "| Pacts activated | 0 |" in out


def test_report_pseudonymise_names_no_contact_person(cli: Cli, tmp_path: Path) -> None:
    with Store.open(cli.path) as store:
        contacts = [c for p in store.partners.all() for c in p.contacts]
        pact = store.pacts.get(4)
        store.update(pact.model_copy(update={"title": f"Incontri con {contacts[0].name}"}))
    plain = cli.ok("report", "--year", "2021").stdout
    assert contacts[0].name in plain
    masked = cli.ok("report", "--year", "2021", "--pseudonymise").stdout
    assert "Incontri con Person 1" in masked
    target = tmp_path / "masked.xlsx"
    cli.ok("report", "--year", "2021", "--format", "xlsx", "--pseudonymise", "-o", str(target))
    cells = " ".join(
        str(v)
        for sheet in openpyxl.load_workbook(target).worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
    )
    for contact in contacts:
        for value in (contact.name, str(contact.email), contact.phone):
            assert value not in masked and value not in cells


def shout(context: ExportContext) -> bytes:
    """A plugin's format: one line, from the figures the context computes."""
    report = context.report
    return f"PACTS ACTIVATED IN {report.year}: {report.pacts.activated.count}\n".encode()


SHOUT = Exporter("shout", "Urlato", "Shouted", "txt", False, shout)


class ShoutPlugin:
    @hookimpl
    def register_exporters(self, register: Callable[[str, Any], None]) -> None:
        register(SHOUT.key, SHOUT)


def test_a_plugins_format_is_offered_and_works(cli: Cli) -> None:
    cli.host.register(ShoutPlugin(), "shout")
    offered = re.search(r"--format \[([a-z|]+)\]", cli.ok("report", "--help").stdout)
    assert offered is not None
    assert set(offered.group(1).split("|")) == {"md", "html", "csv", "xlsx", "json", "shout"}
    assert cli.ok("report", "--year", "2021", "--format", "shout").stdout == (
        "PACTS ACTIVATED IN 2021: 7\n"
    )


class AnotherShoutPlugin:
    @hookimpl
    def register_exporters(self, register: Callable[[str, Any], None]) -> None:
        register(SHOUT.key, SHOUT)


def test_two_plugins_with_one_format_cost_one_line_naming_both(cli: Cli) -> None:
    cli.host.register(ShoutPlugin(), "shout")
    cli.host.register(AnotherShoutPlugin(), "another_shout")
    line = cli.refused("report", "--year", "2021")
    assert line.endswith("Export format 'shout' is registered by both another_shout and shout.")


def explode(context: ExportContext) -> bytes:
    raise ZeroDivisionError("kaboom")


class BrokenPlugin:
    @hookimpl
    def register_exporters(self, register: Callable[[str, Any], None]) -> None:
        exporter = Exporter("broken", "Rotto", "Broken", "txt", False, explode)
        register(exporter.key, exporter)


def test_a_broken_format_costs_one_line_and_the_others_work(cli: Cli) -> None:
    cli.host.register(BrokenPlugin(), "broken_plugin")
    line = cli.refused("report", "--year", "2021", "--format", "broken")
    assert "broken_plugin" in line and "kaboom" in line
    assert cli.ok("report", "--year", "2021").stdout.startswith("# Annual report 2021")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--year", "1800"), "1800 is not a year of community pacts: use 1990 to 2200"),
        (("--year", "2021", "--format", "pdf"), "'pdf' is not a format: use one of md, html"),
        (("--year", "2021", "--format", "xlsx"), "xlsx is not text: give --output FILE.xlsx"),
        (("--format", "md"), "Missing option '--year'"),
        (("--year", "twenty"), "'twenty' is not a valid integer"),
    ],
)
def test_report_refuses_bad_input_in_one_line(cli: Cli, args: tuple[str, ...], says: str) -> None:
    assert says in cli.refused("report", *args)


def test_report_refuses_to_write_over_the_store(cli: Cli) -> None:
    assert "the store itself" in cli.refused("report", "--year", "2021", "-o", str(cli.path))


def test_report_says_in_one_line_when_the_folder_is_missing(cli: Cli, tmp_path: Path) -> None:
    line = cli.refused("report", "--year", "2021", "-o", str(tmp_path / "nowhere" / "r.md"))
    assert "Could not save" in line


def test_report_on_a_missing_store_says_so(host: PluginHost, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    result = CliRunner().invoke(
        patti(host), ["--lang", "en", "--db", str(missing), "report", "--year", "2021"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert (
        result.stderr
        == f"patti: error: {missing} does not exist: give the right --db, or add something first.\n"
    )
    assert not missing.exists()


def test_report_without_the_exporters_plugin_says_why(store_path: Path) -> None:
    with Store.open(store_path) as store:
        build_demo(store)
    bare = Cli(store_path, PluginHost(entry_point_group=None, builtins=()))
    assert "no export format is available" in bare.refused("report", "--year", "2021")


# -- patti network ----------------------------------------------------------------------------


def test_network_shows_the_years_figures(cli: Cli) -> None:
    out = cli.ok("network", "--year", "2021").stdout
    with Store.open(cli.path, readonly=True) as store:
        figures = network_figures(store, 2021)
    assert out.startswith("Partner network of 2021\n")
    rows = dict(cells for line in out.splitlines() if len(cells := re.split(r"\s{2,}", line)) == 2)
    assert rows["Partners in the network"] == str(figures.nodes) == "47"
    assert rows["Ties between partners"] == str(figures.ties)
    assert rows["New ties"] == str(figures.new_ties)
    assert rows[figures.brokers[0].partner.name] == str(figures.brokers[0].betweenness)


def test_network_json_prints_the_figures(cli: Cli) -> None:
    data = orjson.loads(cli.ok("network", "--json").stdout)
    with Store.open(cli.path, readonly=True) as store:
        assert data == orjson.loads(orjson.dumps(network_figures(store).as_json()))


def test_network_partner_shows_its_pacts_and_ties(cli: Cli) -> None:
    with Store.open(cli.path, readonly=True) as store:
        view = ego_view(store, 3, 2021)
    out = cli.ok("network", "--year", "2021", "--partner", "3").stdout
    assert out.startswith(f"{view.partner.name} (2021)\n")
    assert view.pacts[0].pact.code in out
    assert all(t.b.name in out for t in view.ties)
    data = orjson.loads(cli.ok("network", "--year", "2021", "--partner", "3", "--json").stdout)
    assert data == orjson.loads(orjson.dumps(view.as_json()))


def test_network_writes_graphml_for_gephi(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "network.graphml"
    cli.ok("network", "--year", "2021", "--format", "graphml", "-o", str(target))
    root = ET.parse(target).getroot()
    nodes = list(root.iter("{http://graphml.graphdrawing.org/xmlns}node"))
    with Store.open(cli.path, readonly=True) as store:
        assert len(nodes) == network_figures(store, 2021).nodes


def test_network_json_format_prints_nodes_and_links(cli: Cli) -> None:
    data = orjson.loads(cli.ok("network", "--format", "json").stdout)
    assert data["year"] is None and data["nodes"] and data["links"]


def test_network_pseudonymise_hides_a_person_named_in_a_partner(cli: Cli) -> None:
    with Store.open(cli.path) as store:
        person = next(c for p in store.partners.all() for c in p.contacts)
        partner = store.partners.get(3)
        store.update(partner.model_copy(update={"name": f"Classe di {person.name}"}))
    assert person.name in cli.ok("network", "--year", "2021", "--format", "json").stdout
    for args in (("--format", "json"), ("--format", "graphml"), ("--partner", "3"), ()):
        out = cli.ok("network", "--year", "2021", "--pseudonymise", *args).stdout
        assert person.name not in out, args
    masked = cli.ok("network", "--year", "2021", "--pseudonymise", "--format", "json").stdout
    assert "Classe di Person 1" in masked


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--year", "1800"), "1800 is not a year of community pacts"),
        (("--format", "gexf"), "'gexf' is not a format: use one of graphml, json"),
        (("--output", "x.graphml"), "--output needs --format"),
        (("--format", "json", "--partner", "3"), "leave out --partner and --json"),
        (("--partner", "999"), "No partner with id 999"),
    ],
)
def test_network_refuses_bad_input_in_one_line(cli: Cli, args: tuple[str, ...], says: str) -> None:
    assert says in cli.refused("network", *args)


def test_report_reads_a_store_held_by_another_writer(cli: Cli) -> None:
    with Store.open(cli.path):  # the TUI, say, is open on it
        out = cli.ok("report", "--year", "2021", "--format", "json").stdout
    assert orjson.loads(out)["report"]["pacts"]["activated"]["count"] == 7
