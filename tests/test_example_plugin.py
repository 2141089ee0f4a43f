"""The example plugin of the tutorial, installed as a third party would install it.

``docs/examples/patti-orti`` is a separate distribution with its own
pyproject, found through the ``patti`` entry-point group like any plugin
from PyPI. These tests drive it through the ``patti`` command line on real
store files, and run the example's own test suite, so the tutorial's
example cannot rot unnoticed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from patti.core.plugins import PluginHost
from patti.tui.cli import build_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "patti-orti"
PATTI = Path(sys.executable).with_name("patti")
INSTALL = (
    ".venv/bin/pip install -e '.[test,dev]' -e ./docs/examples/patti-orti "
    "--config-settings editable_mode=strict"
)

# The example is a second distribution, installed by the README's test command. An
# older venv may lack it: a developer then gets a skip that says which command to run,
# while in CI (where the CI variable is set) a missing install fails, so the example
# cannot silently drop out of what CI checks.
try:
    metadata.distribution("patti-orti")
    _installed = True
except metadata.PackageNotFoundError:
    _installed = False
if not _installed:  # outside the except block, so the message is not a chained traceback
    _missing = f"the example plugin patti-orti is not installed: run {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(_missing, pytrace=False)
    pytest.skip(_missing, allow_module_level=True)

THEMES = ["environment", "intergenerational", "active-citizenship"]
FIELDS = {
    "plots",
    "area_m2",
    "water_source",
    "season_start",
    "season_end",
    "plot_keepers",
    "keepers_per_workday",
    "land_partner_id",
}


# -- helpers ---------------------------------------------------------------------------


@dataclass
class Cli:
    """``patti --lang en --db PATH`` in-process, with plugins loaded as a new process would.

    Each call builds a new plugin host, so entry points and ``PATTI_*_PLUGINS``
    are read afresh, as by a new ``patti`` process.
    """

    path: Path

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(
            build_cli(PluginHost()),
            ["--lang", "en", "--db", str(self.path), *args],
            catch_exceptions=False,
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def json(self, *args: str) -> Any:
        return orjson.loads(self.ok(*args, "--json"))

    def refused(self, *args: str) -> str:
        """Run a command that must be refused; return its one error line."""
        before = self.path.read_bytes()
        result = self(*args)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert self.path.read_bytes() == before, "a refused command changed the store file"
        return result.stderr.strip()


@dataclass
class Garden:
    """A store with two partners: a neighbours' association and a parish that lends land."""

    cli: Cli
    keepers: int
    parish: int

    def add(self, *args: str) -> dict[str, Any]:
        """``pacts add`` a gardens pact kept by the association; returns the pact."""
        return dict(
            self.cli.json(
                "pacts",
                "add",
                "--type",
                "orti",
                "--title",
                "Orti di via Bramante",
                "--start",
                "01/03/2024",
                "--end",
                "31/10/2024",
                "--member",
                f"{self.keepers}:garden_keeper",
                "--member",
                f"{self.parish}:partner",
                *args,
            )
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "patti.json")


@pytest.fixture
def garden(cli: Cli) -> Garden:
    keepers = cli.json(
        "partners", "add", "--name", "Vicini di via Bramante", "--kind", "association"
    )
    parish = cli.json("partners", "add", "--name", "Parrocchia San Giacomo", "--kind", "parish")
    return Garden(cli, keepers["id"], parish["id"])


def stored_pacts(path: Path) -> dict[str, Any]:
    """The pacts table as written in the store file."""
    return dict(orjson.loads(path.read_bytes())["pacts"])


# -- discovery -------------------------------------------------------------------------


def test_the_console_script_lists_orti_from_its_own_distribution() -> None:
    result = subprocess.run(
        [str(PATTI), "--lang", "en", "plugins", "--json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    listed = orjson.loads(result.stdout)
    (orti,) = [p for p in listed["plugins"] if p["name"] == "orti"]
    assert orti == {
        "name": "orti",
        "distribution": "patti-orti",
        "version": "0.1.0",
        "builtin": False,
        "hooks": ["register_pact_types"],
        "adds": {"pact_types": ["orti"]},
    }
    assert "orti" not in [f["name"] for f in listed["failed"]]


def test_types_describes_the_orti_fields_roles_and_planner(cli: Cli) -> None:
    (orti,) = [t for t in cli.json("types") if t["name"] == "orti"]
    assert (orti["label_it"], orti["label_en"]) == ("Orti condivisi", "Shared community gardens")
    assert set(orti["fields"]) == FIELDS
    assert orti["roles"] == [
        {
            "name": "garden_keeper",
            "label_it": "Custode dell'orto",
            "label_en": "Garden keeper",
            "min": 1,
            "max": 1,
            "description": "The partner that looks after the garden and opens it on work days.",
            "kinds": [],
        },
        {
            "name": "partner",
            "label_it": "Partner",
            "label_en": "Partner",
            "min": 1,
            "max": None,
            "description": "",
            "kinds": [],
        },
    ]
    assert orti["default_themes"] == THEMES
    assert orti["planner"] is True


def test_a_disabled_plugin_adds_no_type(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATTI_DISABLE_PLUGINS", "orti")
    assert "orti" not in [t["name"] for t in cli.json("types")]
    assert "orti" not in [p["name"] for p in cli.json("plugins")["plugins"]]


def test_loading_only_orti_leaves_the_built_in_types_out(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATTI_LOAD_PLUGINS", "orti")
    assert [t["name"] for t in cli.json("types")] == ["orti"]


# -- creating pacts ----------------------------------------------------------------------


def test_a_pact_added_with_details_is_an_orti_pact_with_the_default_themes(
    garden: Garden,
) -> None:
    pact = garden.add(
        "--detail",
        "plots=12",
        "--detail",
        "area_m2=450.5",
        "--detail",
        "water_source=well",
        "--detail",
        "plot_keepers=9",
        "--detail",
        f"land_partner_id={garden.parish}",
    )
    assert pact["type"] == "orti"
    assert pact["themes"] == THEMES
    assert [i["key"] for i in pact["indicators"]] == ["workdays", "plots_assigned", "plot_keepers"]
    assert pact["details"] == {
        "plots": 12,
        "area_m2": 450.5,
        "water_source": "well",
        "season_start": 3,
        "season_end": 10,
        "plot_keepers": 9,
        "keepers_per_workday": 2,
        "land_partner_id": garden.parish,
    }
    assert stored_pacts(garden.cli.path)[str(pact["id"])]["details"] == pact["details"]


def test_details_can_come_from_a_file(garden: Garden, tmp_path: Path) -> None:
    file = tmp_path / "orti.json"
    file.write_bytes(orjson.dumps({"plots": 30, "season_start": 4, "season_end": 9}))
    pact = garden.add("--details-file", str(file), "--detail", "plot_keepers=25")
    assert (pact["details"]["plots"], pact["details"]["plot_keepers"]) == (30, 25)
    assert (pact["details"]["season_start"], pact["details"]["season_end"]) == (4, 9)


@pytest.mark.parametrize(
    ("details", "says"),
    [
        (["season_start=10", "season_end=4"], "the season ends (month 4) before it starts"),
        (["plots=0"], "plots: must be at least 1"),
        (["plot_keepers=many"], "plot_keepers: must be a whole number"),
        (["water_source=tap"], "water_source:"),
        (['keeper_names=["Maria", "Gino"]'], "keeper_names: is not a known field"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(
    garden: Garden, details: list[str], says: str
) -> None:
    pairs = [arg for pair in details for arg in ("--detail", pair)]
    error = garden.cli.refused("pacts", "add", "--type", "orti", "--title", "Orti", *pairs)
    assert error.startswith("patti: error: details: ")
    assert says in error


def test_land_lent_by_a_partner_outside_the_pact_is_refused(garden: Garden) -> None:
    school = garden.cli.json("partners", "add", "--name", "Scuola Braguti", "--kind", "school")
    error = garden.cli.refused(
        "pacts",
        "add",
        "--type",
        "orti",
        "--title",
        "Orti",
        "--detail",
        f"land_partner_id={school['id']}",
    )
    assert error == "patti: error: Scuola Braguti lends the land but is not a member of the pact"


def test_a_pact_without_its_garden_keeper_cannot_become_active(garden: Garden) -> None:
    pact = garden.cli.json(
        "pacts", "add", "--type", "orti", "--title", "Orti", "--member", f"{garden.parish}:partner"
    )
    error = garden.cli.refused("pacts", "status", pact["code"], "active")
    assert "Garden keeper: 0 members, needs exactly 1" in error


def test_a_pact_with_its_garden_keeper_becomes_active(garden: Garden) -> None:
    pact = garden.add()
    garden.cli.ok("pacts", "status", pact["code"], "active")
    assert stored_pacts(garden.cli.path)[str(pact["id"])]["status"] == "active"


# -- the planner ----------------------------------------------------------------------------


def test_plan_proposes_a_workday_on_the_first_saturday_of_each_month(garden: Garden) -> None:
    pact = garden.add("--detail", "plot_keepers=9", "--detail", f"land_partner_id={garden.parish}")
    plan = garden.cli.json("plan", pact["code"], "--from", "01/01/2024")
    assert [a["starts_at"] for a in plan["activities"]] == [
        "2024-03-02T09:00:00",
        "2024-04-06T09:00:00",
        "2024-05-04T09:00:00",
        "2024-06-01T09:00:00",
        "2024-07-06T09:00:00",
        "2024-08-03T09:00:00",
        "2024-09-07T09:00:00",
        "2024-10-05T09:00:00",
    ]
    assert {a["kind"] for a in plan["activities"]} == {"workday"}
    assert {a["place_partner_id"] for a in plan["activities"]} == {garden.parish}
    assert (plan["gaps"], plan["applied"]) == ([], [])
    assert plan["summary"] == ["8 work days; 2 turns per plot-keeper."]


def test_plan_apply_saves_the_workdays_as_planned_activities(garden: Garden) -> None:
    pact = garden.add("--detail", "plot_keepers=9")
    applied = garden.cli.json("plan", pact["code"], "--from", "01/06/2024", "--apply")["applied"]
    listed = garden.cli.json("activities", "list", "--pact", pact["code"])
    assert [a["id"] for a in listed] == applied
    assert [a["title"] for a in listed] == ["Garden work day"] * 5
    assert {a["status"] for a in listed} == {"planned"}


def test_plan_reports_a_rota_the_plot_keepers_cannot_cover(garden: Garden) -> None:
    pact = garden.add("--detail", "plot_keepers=1", "--detail", "keepers_per_workday=3")
    result = garden.cli("plan", pact["code"], "--from", "01/01/2024", "--json")
    assert result.exit_code == 0, result.output
    gaps = orjson.loads(result.stdout)["gaps"]
    assert gaps == ["the rota needs 3 plot-keepers a work day, the garden has 1"]
    assert result.stderr.strip() == "1 request could not be met."


# -- the example's own suite -----------------------------------------------------------------


def test_the_example_plugins_own_test_suite_passes() -> None:
    tests = EXAMPLE.relative_to(ROOT) / "tests"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
