"""The ``patti`` command line, command by command, and every way to give it bad input.

Commands run in-process through click's ``CliRunner`` on real store files in
``tmp_path``; a few run the installed console script in a real process. Bad
input anywhere must exit with code 2, print exactly one line on stderr that
says what is wrong, print nothing on stdout, and leave the store file
byte-identical.
"""

from __future__ import annotations

import gettext
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import orjson
import pytest
from click.testing import CliRunner, Result

from patti.core.i18n import DOMAIN, LOCALE_DIR, current_language
from patti.core.plugins import PluginHost
from patti.tui.cli import build_cli, main

PATTI = Path(sys.executable).with_name("patti")
TESTIMONIES = "Testimonianze itineranti di volontariato e cittadinanza attiva"

# A second process that holds the store's write lock until it is killed.
HOLDER = """
import sys, time
from patti.core.store import Store
store = Store.open(sys.argv[1])
print("ready", flush=True)
time.sleep(600)
"""


# -- helpers ---------------------------------------------------------------------------


def invoke(
    *args: str,
    db: Path | None = None,
    lang: str | None = "en",
    env: dict[str, str | None] | None = None,
    color: bool = False,
    host: PluginHost | None = None,
) -> Result:
    """Run ``patti [--lang LANG] [--db DB] ARGS`` in-process; ``color`` acts like a terminal.

    ``host`` replaces the process-wide plugin host (which loads once per process).
    """
    prefix = [*(["--lang", lang] if lang else []), *(["--db", str(db)] if db else [])]
    return CliRunner().invoke(
        build_cli(host), [*prefix, *args], env=env, color=color, catch_exceptions=False
    )


@dataclass
class Cli:
    """The CLI bound to one store file."""

    path: Path

    def __call__(self, *args: str, **options: Any) -> Result:
        return invoke(*args, db=self.path, **options)

    def ok(self, *args: str, **options: Any) -> str:
        """Run a command that must succeed; return its stdout."""
        result = self(*args, **options)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        return result.stdout

    def json(self, *args: str) -> Any:
        return orjson.loads(self.ok(*args, "--json"))

    def refused(self, *args: str, **options: Any) -> str:
        """Run a command that must be refused; return its one error line."""
        before = self.path.read_bytes() if self.path.exists() else None
        result = self(*args, **options)
        assert_one_error_line(result)
        after = self.path.read_bytes() if self.path.exists() else None
        assert after == before, "a refused command changed the store file"
        return result.stderr.strip()


def assert_one_error_line(result: Result) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("patti: error: ")


def fields(out: str) -> dict[str, str]:
    """The ``label  value`` rows of a ``show`` command (labels are indented two spaces)."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("  ") and line.strip():
            label, *value = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            rows[label] = value[0] if value else ""
    return rows


def columns(line: str) -> list[str]:
    """The cells of a table row (cells are separated by two or more spaces)."""
    return re.split(r"\s{2,}", line.strip())


def names(records: list[dict[str, Any]], key: str = "name") -> list[Any]:
    """The ``key`` field of each record of a ``--json`` list."""
    return [r[key] for r in records]


@dataclass
class Populated:
    """A store built through the CLI: three partners, two pacts, three activities.

    The testimonies pact is a ``community_ties`` pact, the type the built-in
    plugin registers; the gardens pact has a type no loaded plugin knows (it
    is created with ``--no-plugins``), as after its plugin was uninstalled.
    """

    cli: Cli
    auser: int
    scuola: int
    oratorio: int
    testimonies: str  # PdC-2021-01, community_ties, active, auser (lead) and scuola (partner)
    gardens: str  # PdC-2022-01, type "gardens", draft, member oratorio (lead)
    talk: int  # testimonies, 15/10/2021, auser + scuola, class 3A
    visit: int  # testimonies, 20/11/2021, auser
    sowing: int  # gardens, 10/03/2022, oratorio

    def fill(self, line: str) -> list[str]:
        """The words of ``line`` with ``{auser}``, ``{gardens}``… replaced by ids and codes."""
        return [word.format(**vars(self)) for word in shlex.split(line)]


@pytest.fixture
def cli(store_path: Path) -> Cli:
    return Cli(store_path)


@pytest.fixture
def populated(cli: Cli) -> Populated:
    auser = cli.json(
        "partners", "add", "--name", "Auser Crema", "--kind", "association",
        "--zone", "centro", "--theme", "anziani", "--tag", "volontariato",
        "--notes", "Sede in via Matteotti",
    )["id"]  # fmt: skip
    scuola = cli.json(
        "partners", "add", "--name", "Scuola Primaria Braguti", "--kind", "school",
        "--zone", "nord", "--theme", "educazione", "--tag", "scuola",
    )["id"]  # fmt: skip
    oratorio = cli.json(
        "partners", "add", "--name", "Oratorio San Bernardino", "--kind", "parish",
        "--zone", "san-bernardino", "--theme", "giovani",
    )["id"]  # fmt: skip
    testimonies = cli.json(
        "pacts", "add", "--title", "Testimonianze di volontariato", "--type", "community_ties",
        "--start", "01/10/2021", "--end", "30/06/2022", "--zone", "centro",
        "--theme", "volontariato", "--objective", "Far conoscere il volontariato",
        "--member", f"{auser}:lead", "--member", f"{scuola}:partner",
    )["code"]  # fmt: skip
    cli.ok("pacts", "status", testimonies, "active")
    gardens = cli.json(
        "--no-plugins", "pacts", "add", "--title", "Orti condivisi", "--type", "gardens",
        "--start", "01/03/2022", "--zone", "nord", "--theme", "ambiente",
        "--member", f"{oratorio}:lead",
    )["code"]  # fmt: skip
    talk = cli.json(
        "activities", "add", "--pact", testimonies, "--title", "Incontro in classe",
        "--kind", "talk", "--when", "15/10/2021 10:00", "--partner", str(auser),
        "--partner", str(scuola), "--audience", "Classe 3A", "--audience-count", "22",
    )["id"]  # fmt: skip
    visit = cli.json(
        "activities", "add", "--pact", testimonies, "--title", "Visita alla sede",
        "--kind", "visit", "--when", "20/11/2021 09:00", "--partner", str(auser),
        "--place", "Via Matteotti 5",
    )["id"]  # fmt: skip
    sowing = cli.json(
        "activities", "add", "--pact", gardens, "--title", "Semina delle zucche",
        "--when", "10/03/2022 15:00", "--partner", str(oratorio),
    )["id"]  # fmt: skip
    return Populated(cli, auser, scuola, oratorio, testimonies, gardens, talk, visit, sowing)


# -- the command tree ------------------------------------------------------------------

COVERED = {
    "check",
    "demo",
    "partners list",
    "partners show",
    "partners add",
    "partners edit",
    "partners delete",
    "pacts list",
    "pacts show",
    "pacts add",
    "pacts edit",
    "pacts status",
    "pacts continue",
    "pacts delete",
    "activities list",
    "activities show",
    "activities add",
    "activities edit",
    "activities record",
    "activities delete",
    "plugins",
    "types",
    "plan",
    "backup",
    "backups",
    "verify",
    "restore",
    "privacy export",
    "privacy erase",
    "privacy due",
    "report",
    "network",
}


def command_paths(group: click.Group, prefix: str = "") -> set[str]:
    paths = set()
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            paths |= command_paths(command, f"{path} ")
        else:
            paths.add(path)
    return paths


def test_every_command_has_tests_in_this_file() -> None:
    # backups, privacy and reports have their own files too: test_backup.py,
    # test_privacy.py, test_report_cli.py
    assert command_paths(build_cli()) == COVERED, "add tests for the new command, then list it"


@pytest.mark.parametrize("path", sorted(COVERED))
def test_every_command_has_help(path: str) -> None:
    result = invoke(*path.split(), "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage: " in result.stdout


# -- partners --------------------------------------------------------------------------


def test_partners_add_reports_the_new_partner(cli: Cli) -> None:
    out = cli.ok("partners", "add", "--name", "Auser Crema", "--kind", "association")
    assert out == "Partner 1 saved: Auser Crema\n"


def test_partners_add_json_prints_the_saved_record(cli: Cli) -> None:
    partner = cli.json(
        "partners", "add", "--name", "Auser", "--kind", "association",
        "--zone", "centro", "--zone", "nord", "--theme", "anziani", "--tag", "odv",
    )  # fmt: skip
    assert partner["id"] == 1
    assert partner["revision"] == 1
    assert (partner["zones"], partner["themes"], partner["tags"]) == (
        ["centro", "nord"],
        ["anziani"],
        ["odv"],
    )


def test_partners_add_links_a_school_to_its_institute(cli: Cli) -> None:
    institute = cli.json("partners", "add", "--name", "IC Crema Uno", "--kind", "school_institute")
    school = cli.json(
        "partners", "add", "--name", "Primaria Braguti", "--kind", "school",
        "--parent", str(institute["id"]),
    )  # fmt: skip
    assert school["parent_id"] == institute["id"]
    assert fields(cli.ok("partners", "show", str(school["id"])))["Part of"] == "IC Crema Uno"


def test_partners_list_prints_a_table_sorted_by_name(populated: Populated) -> None:
    lines = populated.cli.ok("partners", "list").splitlines()
    assert lines[0].split() == ["Id", "Name", "Kind", "Zones"]
    assert [columns(line)[1] for line in lines[2:]] == [
        "Auser Crema",
        "Oratorio San Bernardino",
        "Scuola Primaria Braguti",
    ]


# (filter options, what the list must show)
PARTNER_FILTERS: list[tuple[str, list[str]]] = [
    ("--kind school", ["Scuola Primaria Braguti"]),
    ("--kind SCHOOL", ["Scuola Primaria Braguti"]),
    ("--zone centro", ["Auser Crema"]),
    ("--theme giovani", ["Oratorio San Bernardino"]),
    ("--tag volontariato", ["Auser Crema"]),
    ("--text matteotti", ["Auser Crema"]),
    ("--text 'san bernardino'", ["Oratorio San Bernardino"]),
    ("--kind cooperative", []),
]


@pytest.mark.parametrize(
    ("option", "expected"), PARTNER_FILTERS, ids=[o for o, _e in PARTNER_FILTERS]
)
def test_partners_list_filters(populated: Populated, option: str, expected: list[str]) -> None:
    assert names(populated.cli.json("partners", "list", *shlex.split(option))) == expected


def test_partners_show_says_where_it_takes_part(populated: Populated) -> None:
    out = populated.cli.ok("partners", "show", str(populated.auser))
    assert out.splitlines()[0] == str(populated.auser)
    shown = fields(out)
    assert (shown["Name"], shown["Kind"], shown["Zones"]) == (
        "Auser Crema",
        "Association",
        "centro",
    )
    assert (shown["Pacts"], shown["Activities"]) == (populated.testimonies, "2")


def test_partners_show_json_adds_pact_codes_and_activity_count(populated: Populated) -> None:
    shown = populated.cli.json("partners", "show", str(populated.auser))
    assert shown["name"] == "Auser Crema"
    assert shown["pacts"] == [populated.testimonies]
    assert shown["activities"] == 2


def test_partners_edit_changes_only_the_given_options(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok("partners", "edit", str(populated.auser), "--name", "Auser Crema ODV")
    assert out == f"Partner {populated.auser} saved: Auser Crema ODV\n"
    partner = cli.json("partners", "show", str(populated.auser))
    assert partner["name"] == "Auser Crema ODV"
    assert partner["zones"] == ["centro"]
    assert partner["notes"] == "Sede in via Matteotti"
    assert partner["revision"] == 2


def test_partners_edit_replaces_a_list_option(populated: Populated) -> None:
    cli = populated.cli
    cli.ok("partners", "edit", str(populated.auser), "--zone", "sud", "--zone", "ovest")
    assert cli.json("partners", "show", str(populated.auser))["zones"] == ["sud", "ovest"]


def test_partners_edit_no_parent_removes_the_link(cli: Cli) -> None:
    institute = cli.json("partners", "add", "--name", "IC Crema Uno", "--kind", "school_institute")
    school = cli.json(
        "partners", "add", "--name", "Braguti", "--kind", "school", "--parent", str(institute["id"])
    )
    edited = cli.json("partners", "edit", str(school["id"]), "--no-parent")
    assert edited["parent_id"] is None


def test_partners_delete_removes_an_unused_partner(cli: Cli) -> None:
    partner = cli.json("partners", "add", "--name", "Bar Centrale", "--kind", "business")
    assert cli.ok("partners", "delete", str(partner["id"])) == (
        f"Partner {partner['id']} deleted: Bar Centrale\n"
    )
    assert cli.json("partners", "list") == []


def test_partners_delete_is_refused_while_a_pact_uses_it(populated: Populated) -> None:
    line = populated.cli.refused("partners", "delete", str(populated.oratorio))
    assert populated.gardens in line
    assert "Oratorio San Bernardino" in line


def test_partners_delete_detach_removes_it_from_pacts_and_activities(
    populated: Populated,
) -> None:
    cli = populated.cli
    cli.ok("partners", "delete", str(populated.auser), "--detach")
    members = cli.json("pacts", "show", populated.testimonies)["members"]
    assert [m["partner_id"] for m in members] == [populated.scuola]
    assert cli.json("activities", "show", str(populated.talk))["partner_ids"] == [populated.scuola]
    assert cli.json("activities", "list", "--partner", str(populated.auser)) == []


# -- pacts -----------------------------------------------------------------------------


def test_pacts_add_reads_italian_dates_and_derives_year_and_code(cli: Cli) -> None:
    pact = cli.json(
        "pacts", "add", "--title", "Vicini di casa", "--type", "community_ties",
        "--start", "01/10/2021", "--end", "30/06/2022",
    )  # fmt: skip
    assert (pact["start"], pact["end"]) == ("2021-10-01", "2022-06-30")
    assert (pact["year"], pact["code"], pact["status"]) == (2021, "PdC-2021-01", "draft")


def test_pacts_add_reports_the_code_and_title(cli: Cli) -> None:
    out = cli.ok(
        "pacts", "add", "--title", "Vicini", "--type", "community_ties", "--start", "2021-10-01"
    )
    assert out == "Pact PdC-2021-01 saved: Vicini\n"


def test_pacts_add_numbers_codes_within_the_year(populated: Populated) -> None:
    pact = populated.cli.json(
        "pacts", "add", "--title", "Caffè sospeso", "--type", "community_ties", "--year", "2021"
    )
    assert pact["code"] == "PdC-2021-02"


def test_pacts_add_member_takes_a_role_defaulting_to_partner(populated: Populated) -> None:
    pact = populated.cli.json(
        "pacts", "add", "--title", "Piedibus", "--type", "community_ties", "--start", "01/09/2022",
        "--member", f"{populated.auser}:lead", "--member", str(populated.scuola),
    )  # fmt: skip
    assert [(m["partner_id"], m["role"]) for m in pact["members"]] == [
        (populated.auser, "lead"),
        (populated.scuola, "partner"),
    ]


def test_pacts_add_predecessor_by_code(populated: Populated) -> None:
    cli = populated.cli
    pact = cli.json(
        "pacts", "add", "--title", "Testimonianze 2", "--type", "community_ties",
        "--year", "2022", "--predecessor", populated.testimonies,
    )  # fmt: skip
    assert pact["predecessor_id"] == cli.json("pacts", "show", populated.testimonies)["id"]
    assert fields(cli.ok("pacts", "show", pact["code"]))["Continues"] == populated.testimonies


def test_pacts_add_can_start_as_proposed(cli: Cli) -> None:
    pact = cli.json(
        "pacts", "add", "--title", "T", "--type", "community_ties", "--status", "proposed"
    )
    assert pact["status"] == "proposed"


def test_pacts_list_prints_a_table_by_year_and_code(populated: Populated) -> None:
    lines = populated.cli.ok("pacts", "list").splitlines()
    assert lines[0].split() == ["Id", "Code", "Title", "Status", "Members"]
    assert [columns(line) for line in lines[2:]] == [
        ["1", populated.testimonies, "Testimonianze di volontariato", "Active", "2"],
        ["2", populated.gardens, "Orti condivisi", "Draft", "1"],
    ]


# (filter options, what the list must show)
PACT_FILTERS: list[tuple[str, list[str]]] = [
    ("--year 2021", ["Testimonianze di volontariato"]),
    ("--year 2023", []),
    ("--status active", ["Testimonianze di volontariato"]),
    ("--status draft", ["Orti condivisi"]),
    ("--type gardens", ["Orti condivisi"]),
    ("--zone centro", ["Testimonianze di volontariato"]),
    ("--theme ambiente", ["Orti condivisi"]),
    ("--partner {oratorio}", ["Orti condivisi"]),
    ("--text 'VOLONTARIATO conoscere'", ["Testimonianze di volontariato"]),
    ("--text PdC-2022", ["Orti condivisi"]),
]


@pytest.mark.parametrize(("option", "expected"), PACT_FILTERS, ids=[o for o, _e in PACT_FILTERS])
def test_pacts_list_filters(populated: Populated, option: str, expected: list[str]) -> None:
    found = populated.cli.json("pacts", "list", *populated.fill(option))
    assert names(found, "title") == expected


def test_pacts_show_prints_fields_and_members(populated: Populated) -> None:
    out = populated.cli.ok("pacts", "show", populated.testimonies)
    lines = out.splitlines()
    assert lines[0] == populated.testimonies
    shown = fields(out)
    assert shown["Title"] == "Testimonianze di volontariato"
    assert shown["Status"] == "Active"
    assert shown["Period"] == "2021-10-01 – 2022-06-30"
    assert shown["Activities"] == "2"
    table = lines[lines.index("") + 1 :]
    assert [columns(line) for line in table[:1] + table[2:]] == [
        ["Partner", "Name", "Role"],
        [str(populated.auser), "Auser Crema", "lead"],
        [str(populated.scuola), "Scuola Primaria Braguti", "partner"],
    ]


def test_pacts_show_finds_a_pact_by_id_or_by_code_in_any_case(populated: Populated) -> None:
    cli = populated.cli
    by_id = cli.json("pacts", "show", "1")
    by_code = cli.json("pacts", "show", populated.testimonies.lower())
    assert by_id == by_code


def test_pacts_show_json_names_members_and_counts_activities(populated: Populated) -> None:
    pact = populated.cli.json("pacts", "show", populated.testimonies)
    assert [(m["partner_name"], m["role"]) for m in pact["members"]] == [
        ("Auser Crema", "lead"),
        ("Scuola Primaria Braguti", "partner"),
    ]
    assert pact["activities"] == 2


def test_pacts_edit_changes_only_the_given_options(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok(
        "pacts", "edit", populated.gardens, "--title", "Orti di quartiere", "--end", "31/10/2022"
    )
    assert out == f"Pact {populated.gardens} saved: Orti di quartiere\n"
    pact = cli.json("pacts", "show", populated.gardens)
    assert (pact["title"], pact["start"], pact["end"]) == (
        "Orti di quartiere",
        "2022-03-01",
        "2022-10-31",
    )
    assert pact["zones"] == ["nord"]


def test_pacts_edit_member_replaces_the_members(populated: Populated) -> None:
    cli = populated.cli
    cli.ok("pacts", "edit", populated.gardens, "--member", f"{populated.auser}:support")
    members = cli.json("pacts", "show", populated.gardens)["members"]
    assert [(m["partner_id"], m["role"]) for m in members] == [(populated.auser, "support")]


def test_pacts_status_moves_a_pact_along_its_life_cycle(populated: Populated) -> None:
    cli = populated.cli
    assert cli.ok("pacts", "status", populated.gardens, "proposed") == (
        f"Pact {populated.gardens} is now Proposed.\n"
    )
    cli.ok("pacts", "status", populated.gardens, "active")
    cli.ok("pacts", "status", populated.testimonies, "concluded")
    assert cli.json("pacts", "show", populated.gardens)["status"] == "active"
    assert cli.json("pacts", "show", populated.testimonies)["status"] == "concluded"


def test_pacts_status_refusal_explains_the_rule(populated: Populated) -> None:
    line = populated.cli.refused("pacts", "status", populated.gardens, "concluded")
    assert "cannot go from Draft to Concluded" in line
    assert "From Draft it can go to: Active, Cancelled, Proposed" in line


def test_pacts_status_active_needs_a_member(cli: Cli) -> None:
    cli.ok("pacts", "add", "--title", "Vuoto", "--type", "community_ties", "--year", "2021")
    line = cli.refused("pacts", "status", "PdC-2021-01", "active")
    assert "at least one member" in line


def test_pacts_status_concluded_needs_a_start_date(populated: Populated) -> None:
    cli = populated.cli
    cli.ok("pacts", "add", "--title", "Senza date", "--type", "community_ties", "--year", "2021",
           "--member", str(populated.auser))  # fmt: skip
    cli.ok("pacts", "status", "PdC-2021-02", "active")
    assert "start date" in cli.refused("pacts", "status", "PdC-2021-02", "concluded")


@pytest.fixture
def cancelled(populated: Populated) -> Populated:
    """``populated`` with the testimonies pact cancelled."""
    populated.cli.ok("pacts", "status", populated.testimonies, "cancelled")
    return populated


@pytest.mark.parametrize(
    "command",
    [
        "pacts edit {testimonies} --title 'Nuovo titolo'",
        "pacts status {testimonies} active",
        "activities add --pact {testimonies} --title X --when 01/12/2021",
        "activities edit {talk} --title X",
        "activities record {talk} --attendance 20",
        "activities delete {talk}",
    ],
    ids=lambda command: " ".join(command.split()[:2]),
)
def test_a_cancelled_pact_is_read_only(cancelled: Populated, command: str) -> None:
    line = cancelled.cli.refused(*cancelled.fill(command))
    assert "cancelled" in line.lower()


def test_an_activity_cannot_be_moved_into_a_cancelled_pact(cancelled: Populated) -> None:
    line = cancelled.cli.refused(
        "activities", "edit", str(cancelled.sowing), "--pact", cancelled.testimonies
    )
    assert "cancelled" in line


def test_pacts_continue_starts_next_years_draft_linked_to_it(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok("pacts", "continue", populated.testimonies)
    assert out == f"Pact PdC-2022-02 created as a draft: it continues {populated.testimonies}.\n"
    old = cli.json("pacts", "show", populated.testimonies)
    new = cli.json("pacts", "show", "PdC-2022-02")
    assert (new["status"], new["year"], new["predecessor_id"]) == ("draft", 2022, old["id"])
    assert new["title"] == old["title"]
    assert [(m["partner_id"], m["role"]) for m in new["members"]] == [
        (m["partner_id"], m["role"]) for m in old["members"]
    ]
    assert (new["start"], new["end"]) == (None, None)


def test_pacts_continue_takes_the_year(populated: Populated) -> None:
    pact = populated.cli.json("pacts", "continue", populated.testimonies, "--year", "2024")
    assert (pact["code"], pact["year"]) == ("PdC-2024-01", 2024)


def test_pacts_delete_removes_a_pact_without_activities(cli: Cli) -> None:
    cli.ok("pacts", "add", "--title", "T", "--type", "community_ties", "--year", "2021")
    assert cli.ok("pacts", "delete", "PdC-2021-01") == (
        "Pact PdC-2021-01 deleted (0 activities with it).\n"
    )
    assert cli.json("pacts", "list") == []


def test_pacts_delete_is_refused_while_it_has_activities(populated: Populated) -> None:
    line = populated.cli.refused("pacts", "delete", populated.testimonies)
    assert populated.testimonies in line
    assert "2 activities" in line


def test_pacts_delete_cascade_removes_its_activities(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok("pacts", "delete", populated.testimonies, "--cascade")
    assert out == f"Pact {populated.testimonies} deleted (2 activities with it).\n"
    assert names(cli.json("pacts", "list"), "code") == [populated.gardens]
    assert names(cli.json("activities", "list"), "id") == [populated.sowing]


# -- activities ------------------------------------------------------------------------


def test_activities_add_reads_an_italian_date_and_time(populated: Populated) -> None:
    activity = populated.cli.json(
        "activities", "add", "--pact", populated.gardens, "--title", "Raccolta",
        "--when", "05/10/2022 16:30", "--until", "05/10/2022 18:00",
        "--place-partner", str(populated.oratorio), "--audience-count", "15",
    )  # fmt: skip
    assert activity["starts_at"].startswith("2022-10-05T16:30")
    assert activity["ends_at"].startswith("2022-10-05T18:00")
    assert (activity["place_partner_id"], activity["audience_count"]) == (populated.oratorio, 15)
    assert activity["status"] == "planned"


def test_activities_add_reports_the_new_activity(populated: Populated) -> None:
    out = populated.cli.ok(
        "activities",
        "add",
        "--pact",
        populated.gardens,
        "--title",
        "Raccolta",
        "--when",
        "05/10/2022",
    )
    assert out == "Activity 4 saved: Raccolta\n"


def test_activities_list_prints_a_table_by_date(populated: Populated) -> None:
    lines = populated.cli.ok("activities", "list").splitlines()
    assert lines[0].split() == ["Id", "When", "Title", "Audience", "Status"]
    assert [columns(line)[0] for line in lines[2:]] == [
        str(populated.talk),
        str(populated.visit),
        str(populated.sowing),
    ]
    assert columns(lines[2]) == [
        str(populated.talk),
        "2021-10-15 10:00",
        "Incontro in classe",
        "Classe 3A",
        "Planned",
    ]


# (filter options, what the list must show)
ACTIVITY_FILTERS: list[tuple[str, list[str]]] = [
    ("--year 2022", ["Semina delle zucche"]),
    (
        "--status planned",
        ["Incontro in classe", "Visita alla sede", "Semina delle zucche"],
    ),
    ("--status done", []),
    ("--pact {gardens}", ["Semina delle zucche"]),
    ("--pact 1", ["Incontro in classe", "Visita alla sede"]),
    ("--partner {scuola}", ["Incontro in classe"]),
    ("--from 01/11/2021", ["Visita alla sede", "Semina delle zucche"]),
    ("--to 20/11/2021", ["Incontro in classe", "Visita alla sede"]),
    ("--from 16/10/2021 --to 2022-01-31", ["Visita alla sede"]),
    ("--text matteotti", ["Visita alla sede"]),
    ("--text 'classe 3a'", ["Incontro in classe"]),
]


@pytest.mark.parametrize(
    ("option", "expected"), ACTIVITY_FILTERS, ids=[o for o, _e in ACTIVITY_FILTERS]
)
def test_activities_list_filters(populated: Populated, option: str, expected: list[str]) -> None:
    found = populated.cli.json("activities", "list", *populated.fill(option))
    assert names(found, "title") == expected


def test_activities_show_prints_its_fields(populated: Populated) -> None:
    out = populated.cli.ok("activities", "show", str(populated.talk))
    assert out.splitlines()[0] == str(populated.talk)
    assert fields(out) == {
        "Title": "Incontro in classe",
        "Pact": populated.testimonies,
        "When": "2021-10-15 10:00",
        "Where": "",
        "Partners": "Auser Crema, Scuola Primaria Braguti",
        "Audience": "Classe 3A",
        "Expected": "22",
        "Attendance": "",
        "Status": "Planned",
        "Notes": "",
    }


def test_activities_show_json_prints_the_record(populated: Populated) -> None:
    activity = populated.cli.json("activities", "show", str(populated.visit))
    assert (activity["title"], activity["place"], activity["kind"]) == (
        "Visita alla sede",
        "Via Matteotti 5",
        "visit",
    )


def test_activities_edit_changes_only_the_given_options(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok("activities", "edit", str(populated.visit), "--title", "Visita guidata",
                 "--when", "21/11/2021 09:30")  # fmt: skip
    assert out == f"Activity {populated.visit} saved: Visita guidata\n"
    activity = cli.json("activities", "show", str(populated.visit))
    assert activity["starts_at"].startswith("2021-11-21T09:30")
    assert activity["place"] == "Via Matteotti 5"


def test_activities_edit_moves_an_activity_to_another_pact(populated: Populated) -> None:
    cli = populated.cli
    cli.ok("activities", "edit", str(populated.visit), "--pact", populated.gardens)
    assert names(cli.json("activities", "list", "--pact", populated.gardens), "id") == [
        populated.visit,
        populated.sowing,
    ]


def test_activities_record_attendance_marks_it_done(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok("activities", "record", str(populated.talk), "--attendance", "21")
    assert out == f"Activity {populated.talk} recorded as Done.\n"
    activity = cli.json("activities", "show", str(populated.talk))
    assert (activity["status"], activity["attendance"]) == ("done", 21)


def test_activities_record_cancelled(populated: Populated) -> None:
    cli = populated.cli
    out = cli.ok("activities", "record", str(populated.visit), "--cancelled")
    assert out == f"Activity {populated.visit} recorded as Cancelled.\n"
    assert names(cli.json("activities", "list", "--status", "cancelled"), "id") == [populated.visit]


def test_activities_delete_removes_it(populated: Populated) -> None:
    cli = populated.cli
    assert cli.ok("activities", "delete", str(populated.visit)) == (
        f"Activity {populated.visit} deleted.\n"
    )
    assert names(cli.json("activities", "list"), "id") == [populated.talk, populated.sowing]


# -- plugins, pact types and planners --------------------------------------------------


def test_types_lists_the_registered_pact_types_with_their_roles(cli: Cli) -> None:
    out = cli.ok("types")
    assert "community_ties: Community ties" in out.splitlines()
    assert "partner (at least 1)" in out


def test_types_json_describes_fields_and_roles(cli: Cli) -> None:
    described = {t["name"]: t for t in cli.json("types")}
    assert "meeting_place" in described["community_ties"]["fields"]


def test_no_plugins_registers_no_pact_types(cli: Cli) -> None:
    assert cli.json("--no-plugins", "types") == []


def test_plugins_lists_the_built_in_plugins_and_what_they_add(cli: Cli) -> None:
    result = cli("plugins", "--json")
    assert result.exit_code == 0, result.stderr
    loaded = {p["name"]: p for p in orjson.loads(result.stdout)["plugins"]}
    assert loaded["community_ties"]["adds"]["pact_types"] == ["community_ties"]
    assert "crema" in loaded


def test_plugins_reports_a_plugin_that_failed_to_load_on_stderr(store_path: Path) -> None:
    host = PluginHost(
        builtins=("patti.plugins.community_ties", "patti.plugins.no_such_plugin"),
        entry_point_group=None,
    )
    result = invoke("plugins", db=store_path, host=host)
    assert result.exit_code == 0
    assert [columns(line)[0] for line in result.stdout.splitlines()[2:]] == ["community_ties"]
    assert result.stderr.startswith("Disabled no_such_plugin (import): ModuleNotFoundError")
    assert len(result.stderr.splitlines()) == 1


def test_no_plugins_accepts_a_type_no_plugin_knows(cli: Cli) -> None:
    pact = cli.json("--no-plugins", "pacts", "add", "--title", "Orti", "--type", "gardens")
    assert (pact["type"], pact["themes"]) == ("gardens", [])


def test_a_new_pact_gets_its_types_default_themes(cli: Cli) -> None:
    pact = cli.json("pacts", "add", "--title", "Vicini", "--type", "community_ties")
    assert pact["themes"] == ["loneliness", "mutual-knowledge"]


def test_pacts_add_detail_sets_the_types_fields(cli: Cli) -> None:
    pact = cli.json(
        "pacts", "add", "--title", "Vicini", "--type", "community_ties",
        "--detail", "meeting_place=Bar Centrale", "--detail", "open_to_all=false",
    )  # fmt: skip
    assert pact["details"] == {
        "meeting_place": "Bar Centrale",
        "frequency": "",
        "open_to_all": False,
    }


def test_pacts_edit_details_file_keeps_the_other_fields(populated: Populated) -> None:
    cli = populated.cli
    cli.ok("pacts", "edit", populated.testimonies, "--detail", "meeting_place=Sala Pietro da Cemmo")
    details_file = cli.path.with_name("details.json")
    details_file.write_bytes(orjson.dumps({"frequency": "weekly"}))
    pact = cli.json("pacts", "edit", populated.testimonies, "--details-file", str(details_file))
    assert (pact["details"]["meeting_place"], pact["details"]["frequency"]) == (
        "Sala Pietro da Cemmo",
        "weekly",
    )


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"[1, 2]", "JSON object"), (b"{bad", "--details-file"), (b"", "--details-file")],
    ids=["list", "not-json", "empty"],
)
def test_a_bad_details_file_is_refused(populated: Populated, content: bytes, needle: str) -> None:
    details_file = populated.cli.path.with_name("details.json")
    details_file.write_bytes(content)
    line = populated.cli.refused(
        "pacts", "edit", populated.testimonies, "--details-file", str(details_file)
    )
    assert needle in line


def test_plan_proposes_the_demo_testimonies_without_saving_them(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    before = cli.path.read_bytes()
    plan = cli.json("plan", "PdC-2021-01")
    assert (plan["pact"], plan["applied"], plan["gaps"]) == ("PdC-2021-01", [], [])
    stats = plan["stats"]
    assert (stats["classes"], stats["associations"], stats["classes_short"]) == (30, 19, 0)
    assert stats["visits_done"] + stats["visits_planned"] == stats["visits_requested"] == 60
    # the demo is a snapshot as of 1 January 2022: nothing is proposed before it
    assert min(a["starts_at"] for a in plan["activities"]) >= "2022-01-01"
    table = cli("plan", "PdC-2021-01")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert columns(lines[0]) == ["When", "Where", "Audience", "With"]
    assert "30 classes in 4 schools: 60 testimonies requested, 20 already done, 40 proposed." in (
        lines
    )
    assert cli.path.read_bytes() == before


def test_plan_apply_replaces_the_planned_visits_in_one_write(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    planned_before = cli.json("activities", "list", "--pact", "PdC-2021-01", "--status", "planned")
    done_before = cli.json("activities", "list", "--pact", "PdC-2021-01", "--status", "done")
    result = cli.json("plan", "PdC-2021-01", "--apply", "--seed", "3")
    planned = cli.json("activities", "list", "--pact", "PdC-2021-01", "--status", "planned")
    assert sorted(result["applied"]) == sorted(a["id"] for a in planned)
    assert len(planned) == len(result["activities"]) == len(planned_before)
    assert not {a["id"] for a in planned} & {a["id"] for a in planned_before}
    assert cli.json("activities", "list", "--pact", "PdC-2021-01", "--status", "done") == (
        done_before
    )
    assert cli("check").exit_code == 0


def test_plan_from_a_date_past_the_window_reports_every_class(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    result = cli("plan", "PdC-2021-01", "--from", "01/06/2022", "--json")
    assert result.exit_code == 0
    plan = orjson.loads(result.stdout)
    assert plan["activities"] == []
    assert plan["stats"]["classes_short"] == len(plan["gaps"]) > 0
    assert result.stderr.strip() == f"{len(plan['gaps'])} requests could not be met."


def test_plan_youth_talks_meets_every_category_for_every_group(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    plan = cli.json("plan", "PdC-2021-02")
    assert plan["gaps"] == []
    assert plan["stats"]["sessions_proposed"] == plan["stats"]["groups"] * 4


# -- backups (the full suite, with spoilt files and faults, is tests/test_backup.py) ------


def test_backup_then_restore_gives_back_the_same_records_ids_included(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    original = {t: cli.json(t, "list") for t in ("partners", "pacts", "activities")}
    backup_file = cli.path.with_name("copy.json")
    assert "verified" in cli.ok("backup", "--output", str(backup_file))
    assert "verifies" in cli.ok("verify", str(backup_file))
    cli.ok("partners", "delete", "1", "--detach")
    cli.ok("pacts", "delete", "PdC-2021-01", "--cascade")
    dry = cli.ok("restore", str(backup_file), "--dry-run")
    # partner 1 promotes every pact: detaching it changed all ten of them
    assert dry.splitlines()[:2] == [
        "Partners: 49 → 50 (1 record differs)",
        "Pacts: 9 → 10 (10 records differ)",
    ]
    cli.ok("restore", str(backup_file))
    assert {t: cli.json(t, "list") for t in original} == original
    assert cli("check").exit_code == 0


def test_backups_lists_the_automatic_backup_of_the_day(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    cli.ok("partners", "add", "--name", "Auser", "--kind", "association")
    cli.ok("partners", "add", "--name", "Arci", "--kind", "association")
    listed = cli.json("backups")
    assert [(b["kind"], b["verifies"]) for b in listed] == [("auto", True)]


def test_restore_refuses_a_spoilt_backup_and_leaves_the_store_alone(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    backup_file = cli.path.with_name("copy.json")
    cli.ok("backup", "--output", str(backup_file))
    spoilt = backup_file.read_bytes().replace(b"Crema", b"Crem4", 1)
    backup_file.write_bytes(spoilt)
    before = cli.path.read_bytes()
    line = cli.refused("restore", str(backup_file))
    assert "checksum" in line
    assert cli.path.read_bytes() == before


# -- check -----------------------------------------------------------------------------


def test_check_passes_a_good_store(populated: Populated) -> None:
    out = populated.cli.ok("check")
    assert out == f"No problems found in {populated.cli.path}.\n"


def test_check_exits_1_on_a_reference_broken_on_disk(populated: Populated) -> None:
    path = populated.cli.path
    data = orjson.loads(path.read_bytes())
    pact_key = next(k for k, doc in data["pacts"].items() if doc["code"] == populated.gardens)
    data["pacts"][pact_key]["members"][0]["partner_id"] = 999
    path.write_bytes(orjson.dumps(data))
    before = path.read_bytes()
    result = populated.cli("check")
    assert result.exit_code == 1
    assert result.stdout == f"pacts/{pact_key}: member: no partner with id 999\n"
    assert len(result.stderr.splitlines()) == 1
    assert path.read_bytes() == before


# -- demo ------------------------------------------------------------------------------


def test_demo_builds_the_store_at_db_and_prints_its_path(cli: Cli) -> None:
    assert cli.ok("demo", "--no-open") == f"{cli.path}\n"
    assert cli.json("pacts", "list")


def test_the_demo_store_passes_check(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    assert cli.ok("check") == f"No problems found in {cli.path}.\n"


def test_demo_without_db_lives_apart_from_the_real_store(tmp_path: Path) -> None:
    result = invoke("demo", "--no-open")
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.name == "demo.json"
    assert path.is_relative_to(tmp_path / "xdg-data")
    assert path.exists()


def test_demo_is_idempotent(cli: Cli) -> None:
    cli.ok("demo", "--no-open")
    first = cli.path.read_bytes()
    cli.ok("demo", "--no-open")
    assert cli.path.read_bytes() == first


def test_demo_refuses_a_store_with_other_data(populated: Populated) -> None:
    line = populated.cli.refused("demo", "--no-open")
    assert str(populated.cli.path) in line
    assert "not the demo" in line


def test_demo_has_seven_pacts_of_2021_and_nineteen_associations_in_testimonies(
    cli: Cli,
) -> None:
    cli.ok("demo", "--no-open")
    pacts = cli.json("pacts", "list", "--year", "2021")
    assert len(pacts) == 7
    code = next(p["code"] for p in pacts if p["title"] == TESTIMONIES)
    members = cli.json("pacts", "show", code)["members"]
    assert sum(m["role"] == "association" for m in members) == 19


# -- bad input -------------------------------------------------------------------------

# Each case runs on the populated store: (command line, words the error line must contain).
BAD_INPUT: list[tuple[str, list[str]]] = [
    # unknown choices
    ("partners list --kind bogus", ["--kind", "bogus"]),
    ("partners add --name X --kind bogus", ["--kind", "bogus"]),
    ("pacts list --status bogus", ["--status", "bogus"]),
    ("pacts status 1 bogus", ["bogus"]),
    ("pacts add --title X --type community_ties --status active", ["--status"]),
    ("activities list --status bogus", ["--status", "bogus"]),
    ("--lang xx pacts list", ["--lang", "xx"]),
    ("partners frobnicate", ["frobnicate"]),
    ("partners list --tag x extra", ["extra"]),
    # non-integer ids and numbers
    ("partners show abc", ["PARTNER_ID", "abc"]),
    ("partners edit abc --name X", ["PARTNER_ID", "abc"]),
    ("partners delete abc", ["PARTNER_ID", "abc"]),
    ("partners add --name X --kind school --parent one", ["--parent"]),
    ("pacts list --year abc", ["--year", "abc"]),
    ("pacts list --partner abc", ["--partner", "abc"]),
    ("pacts continue 1 --year next", ["--year", "next"]),
    ("activities show abc", ["ACTIVITY_ID", "abc"]),
    ("activities record abc", ["ACTIVITY_ID", "abc"]),
    ("activities delete 1.5", ["ACTIVITY_ID", "1.5"]),
    ("activities list --partner one", ["--partner", "one"]),
    ("activities record 1 --attendance -1", ["--attendance"]),
    ("activities edit 1 --audience-count many", ["--audience-count"]),
    # missing arguments and required options
    ("partners show", ["PARTNER_ID"]),
    ("partners add --name X", ["--name", "--kind"]),
    ("partners add --kind school", ["--name", "--kind"]),
    ("partners edit 1", ["nothing to change"]),
    ("partners list --kind", ["--kind"]),
    ("pacts add --title X", ["--title", "--type"]),
    ("pacts add --type community_ties", ["--title", "--type"]),
    ("pacts edit 1", ["nothing to change"]),
    ("pacts status 1", ["Missing argument"]),
    ("activities add --pact 1 --title X", ["--when"]),
    ("activities add --title X --when 01/12/2021", ["--pact"]),
    ("activities edit 1", ["nothing to change"]),
    # dates
    ("pacts add --title X --type community_ties --start 31/02/2021", ["31/02/2021"]),
    ("pacts edit 1 --end 2021-13-01", ["end", "not a valid date"]),
    ("pacts edit 1 --end 01/09/2021", ["end before it starts"]),
    (
        "pacts add --title X --type community_ties --start 02/10/2021 --end 01/10/2021",
        ["end before it starts"],
    ),
    ("activities add --pact 1 --title X --when 31/02/2021", ["31/02/2021"]),
    (
        "activities add --pact 1 --title X --when '10/10/2021 10:00' --until '10/10/2021 09:00'",
        ["end before it starts"],
    ),
    ("activities edit 1 --when ieri", ["not a valid date and time"]),
    ("activities list --to 2021-02-30", ["2021-02-30"]),
    # nonexistent ids and codes
    ("partners show 999", ["partner", "999"]),
    ("partners edit 999 --name X", ["partner", "999"]),
    ("partners delete 999", ["partner", "999"]),
    ("partners add --name X --kind school --parent 999", ["parent", "999"]),
    ("pacts show PdC-1999-01", ["PdC-1999-01"]),
    ("pacts show 999", ["pact", "999"]),
    ("pacts edit PdC-1999-01 --title X", ["PdC-1999-01"]),
    ("pacts status PdC-1999-01 active", ["PdC-1999-01"]),
    ("pacts continue PdC-1999-01", ["PdC-1999-01"]),
    ("pacts delete PdC-1999-01", ["PdC-1999-01"]),
    ("pacts add --title X --type community_ties --member 999:lead", ["member", "999"]),
    ("pacts add --title X --type community_ties --predecessor PdC-1999-01", ["PdC-1999-01"]),
    ("activities show 999", ["activity", "999"]),
    ("activities edit 999 --title X", ["activity", "999"]),
    ("activities record 999", ["activity", "999"]),
    ("activities delete 999", ["activity", "999"]),
    ("activities add --pact PdC-1999-01 --title X --when 01/12/2021", ["PdC-1999-01"]),
    ("activities add --pact 1 --title X --when 01/12/2021 --partner 999", ["999"]),
    ("activities edit 1 --place-partner 999", ["place", "999"]),
    ("activities list --pact PdC-1999-01", ["PdC-1999-01"]),
    # malformed members, duplicate codes, invalid values
    ("pacts add --title X --type community_ties --member abc", ["--member", "abc"]),
    ("pacts add --title X --type community_ties --member :lead", ["--member"]),
    ("pacts add --title X --type community_ties --member '1:Not A Role'", ["role"]),
    ("pacts add --title X --type community_ties --member 1:a --member 1:a", ["twice"]),
    ("pacts add --title X --type community_ties --code PdC-2021-01", ["PdC-2021-01"]),
    ("pacts edit 2 --code PdC-2021-01", ["PdC-2021-01"]),
    ("pacts edit 1 --predecessor 1", ["continue itself"]),
    ("pacts add --title X --type 'Not A Slug'", ["type"]),
    ("pacts add --title X --type community_ties --year 1800", ["year", "1990"]),
    # pact types and their fields
    ("pacts add --title X --type gardens", ["gardens", "community_ties"]),
    ("pacts add --title X --type community_ties --detail novalue", ["--detail", "novalue"]),
    ("pacts add --title X --type community_ties --detail colour=red", ["colour"]),
    ("pacts edit 1 --detail open_to_all=maybe", ["open_to_all"]),
    ("pacts add --title X --type community_ties --details-file nope.json", ["--details-file"]),
    ("plan 1", ["community_ties", "planner"]),
    ("plan 1 --apply", ["community_ties", "planner"]),
    ("plan PdC-1999-01", ["PdC-1999-01"]),
    ("plan 1 --from 31/02/2022", ["--from"]),
    ("partners add --name ' ' --kind school", ["name", "empty"]),
    ("partners add --name X --kind school --zone 'Zona Nord'", ["zones"]),
    ("activities record 1 --attendance 3 --cancelled", ["Attendance"]),
]


@pytest.mark.parametrize(("line", "needles"), BAD_INPUT, ids=[line for line, _n in BAD_INPUT])
def test_bad_input_exits_2_with_one_line_and_leaves_the_store_unchanged(
    populated: Populated, line: str, needles: list[str]
) -> None:
    error = populated.cli.refused(*shlex.split(line))
    for needle in needles:
        assert needle in error


def test_a_name_of_control_characters_only_is_refused_as_empty(populated: Populated) -> None:
    error = populated.cli.refused("partners", "add", "--name", "\x1b\x07", "--kind", "school")
    assert "name: cannot be empty" in error


def test_a_pact_code_differing_only_in_case_is_a_duplicate(populated: Populated) -> None:
    error = populated.cli.refused("pacts", "edit", populated.gardens, "--code", "pdc-2021-01")
    assert "pdc-2021-01" in error.lower()


def test_a_bad_filter_date_names_its_option(populated: Populated) -> None:
    line = populated.cli.refused("activities", "list", "--from", "31/02/2021")
    assert "--from" in line


def test_an_error_line_carries_no_control_characters_to_a_terminal(populated: Populated) -> None:
    line = populated.cli.refused("pacts", "show", "X\x1b[2JY", color=True)
    assert "\x1b" not in line


def test_a_folder_given_as_db_is_refused(tmp_path: Path) -> None:
    result = invoke("pacts", "list", db=tmp_path)
    assert_one_error_line(result)
    assert "--db" in result.stderr


# -- files that are not a usable store -------------------------------------------------


def newer_schema(valid: bytes) -> bytes:
    data = orjson.loads(valid)
    data["_meta"]["1"]["schema_version"] = 99
    return orjson.dumps(data)


def damaged_table(valid: bytes) -> bytes:
    data = orjson.loads(valid)
    data["pacts"] = ["not", "a", "table"]
    return orjson.dumps(data)


# (how to spoil a valid store file, words the error line must contain)
BAD_FILES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "zero-byte": (lambda valid: b"", "empty"),
    "truncated": (lambda valid: valid[: len(valid) // 2], "not valid JSON"),
    "foreign": (lambda valid: b'{"name": "package", "version": "1.0"}', "not a patti store"),
    "foreign-list": (lambda valid: b"[1, 2, 3]", "not a patti store"),
    "newer-schema": (newer_schema, "newer patti"),
    "damaged-table": (damaged_table, "damaged"),
}


@pytest.mark.parametrize(
    "command",
    [
        "pacts list",
        "partners show 1",
        "check",
        "partners add --name X --kind school",
        "demo --no-open",
    ],
)
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_an_unusable_store_file_is_refused_and_left_untouched(
    populated: Populated, kind: str, command: str
) -> None:
    spoil, needle = BAD_FILES[kind]
    path = populated.cli.path
    path.write_bytes(spoil(path.read_bytes()))
    line = populated.cli.refused(*command.split())
    assert needle in line
    assert str(path) in line


# -- text ------------------------------------------------------------------------------


def test_control_characters_are_stripped_before_saving(cli: Cli) -> None:
    cli.ok("partners", "add", "--name", "A\x1b[2JB", "--kind", "school", "--notes", "x\x07\ny")
    partner = cli.json("partners", "show", "1")
    assert (partner["name"], partner["notes"]) == ("A[2JB", "x\ny")
    assert "\x1b" not in cli.path.read_text(encoding="utf-8")
    assert "A[2JB" in cli.ok("partners", "list", color=True)


def test_markup_like_text_is_stored_and_printed_literally(cli: Cli) -> None:
    markup = "[@click=app.quit]x[/]"
    assert cli.ok("partners", "add", "--name", markup, "--kind", "school") == (
        f"Partner 1 saved: {markup}\n"
    )
    assert cli.json("partners", "show", "1")["name"] == markup
    assert markup in cli.ok("partners", "list")
    assert fields(cli.ok("partners", "show", "1"))["Name"] == markup
    pact = cli.json("pacts", "add", "--title", markup, "--type", "community_ties", "--member", "1")
    assert pact["title"] == markup
    assert markup in cli.ok("pacts", "show", pact["code"])


# -- another process holds the store ---------------------------------------------------


@pytest.fixture
def holder(populated: Populated) -> Iterator[subprocess.Popen[str]]:
    """A second process with the populated store open for writing."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(populated.cli.path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_write_is_refused_while_another_process_holds_the_store(
    populated: Populated, holder: subprocess.Popen[str]
) -> None:
    line = populated.cli.refused("partners", "add", "--name", "X", "--kind", "school")
    assert "Read-only" in line
    assert f"process {holder.pid}" in line


def test_a_lock_left_by_a_dead_process_does_not_block_writes(populated: Populated) -> None:
    path = populated.cli.path
    path.with_name(path.name + ".lock").touch()
    stale = {"pid": 999_999, "user": "x", "host": "y", "since": "2021-01-01T00:00:00+00:00"}
    path.with_name(path.name + ".lock.json").write_bytes(orjson.dumps(stale))
    out = populated.cli.ok("partners", "add", "--name", "Nuovo", "--kind", "school")
    assert out == "Partner 4 saved: Nuovo\n"


def test_reading_works_while_another_process_holds_the_store(
    populated: Populated, holder: subprocess.Popen[str]
) -> None:
    assert names(populated.cli.json("pacts", "list"), "code") == [
        populated.testimonies,
        populated.gardens,
    ]


# -- language --------------------------------------------------------------------------


def italian(message: str) -> str:
    catalog = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=["it"])
    return catalog.gettext(message)


def test_lang_it_prints_italian(populated: Populated) -> None:
    template = "No problems found in {path}."
    assert italian(template) != template, "the Italian catalog lacks this message"
    out = populated.cli.ok("check", lang="it")
    assert out == italian(template).format(path=populated.cli.path) + "\n"


def test_lang_it_translates_the_error_line(populated: Populated) -> None:
    template = "patti: error: {message}"
    assert italian(template) != template, "the Italian catalog lacks this message"
    result = populated.cli("partners", "show", "999", lang="it")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(italian(template).split("{message}")[0])


def test_lang_option_beats_patti_lang(cli: Cli) -> None:
    cli.ok("types", lang="en", env={"PATTI_LANG": "it"})
    assert current_language() == "en"


def test_patti_lang_beats_lang(cli: Cli) -> None:
    cli.ok("types", lang=None, env={"PATTI_LANG": "en", "LANG": "it_IT.UTF-8"})
    assert current_language() == "en"


def test_lang_is_used_without_patti_lang(cli: Cli) -> None:
    cli.ok("types", lang=None, env={"LANG": "en_GB.UTF-8", "LC_ALL": None, "LC_MESSAGES": None})
    assert current_language() == "en"


def test_italian_when_no_language_is_set(cli: Cli) -> None:
    unset: dict[str, str | None] = dict.fromkeys(("PATTI_LANG", "LANG", "LC_ALL", "LC_MESSAGES"))
    cli.ok("types", lang=None, env=unset)
    assert current_language() == "it"


# -- environment and entry points ------------------------------------------------------


def test_patti_db_selects_the_store(populated: Populated) -> None:
    result = invoke("pacts", "list", "--json", env={"PATTI_DB": str(populated.cli.path)})
    assert result.exit_code == 0, result.stderr
    assert len(orjson.loads(result.stdout)) == 2


def test_main_exits_2_with_one_line(
    populated: Populated, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--lang", "en", "--db", str(populated.cli.path), "partners", "show", "999"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "patti: error: No partner with id 999.\n"


def run_patti(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, in a real process."""
    return subprocess.run([str(PATTI), *args], capture_output=True, text=True, timeout=30)


def test_console_script_prints_its_version() -> None:
    from patti.core import __version__

    done = run_patti("--version")
    assert done.returncode == 0
    assert done.stdout == f"patti, version {__version__}\n"


def test_console_script_saves_and_lists(tmp_path: Path) -> None:
    db = str(tmp_path / "real.json")
    added = run_patti(
        "--lang", "en", "--db", db, "partners", "add", "--name", "Auser", "--kind", "association"
    )
    assert (added.returncode, added.stdout, added.stderr) == (0, "Partner 1 saved: Auser\n", "")
    listed = run_patti("--lang", "en", "--db", db, "partners", "list", "--json")
    assert names(orjson.loads(listed.stdout)) == ["Auser"]


def test_console_script_bad_input_exits_2_with_one_line(populated: Populated) -> None:
    before = populated.cli.path.read_bytes()
    done = run_patti(
        "--lang", "en", "--db", str(populated.cli.path), "pacts", "add", "--title", "X",
        "--type", "community_ties", "--start", "31/02/2021",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "patti: error: start: '31/02/2021' is not a valid date (use DD/MM/YYYY)\n"
    assert populated.cli.path.read_bytes() == before


def test_console_script_check_exits_1_on_problems(populated: Populated) -> None:
    path = populated.cli.path
    data = orjson.loads(path.read_bytes())
    data["activities"][str(populated.sowing)]["pact_id"] = 999
    path.write_bytes(orjson.dumps(data))
    done = run_patti("--lang", "en", "--db", str(path), "check")
    assert done.returncode == 1
    assert done.stdout == f"activities/{populated.sowing}: pact: no pact with id 999\n"
    assert len(done.stderr.splitlines()) == 1
