"""Every hook of ``core/hookspecs.py``, each proven end to end with a real plugin.

Plugins here are small classes or modules with ``@hookimpl`` functions,
registered on a real :class:`PluginHost` (built-ins only: installed
third-party plugins cannot change an outcome) and driven through the
services or the ``patti`` command line on a real store in ``tmp_path``.
``test_hook_register_palette_commands`` lives in ``tests/test_tui_plugins.py``.

The meta-tests at the end keep the promise of ``core/hookspecs.py``: every
hook has a docstring, a ``test_hook_<name>`` and a heading in
``docs/plugin-hooks.md`` with its exact signature and an example.
"""

from __future__ import annotations

import ast
import inspect
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import click
import orjson
import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel, ConfigDict, Field

from patti.core import PactType, Role, hookimpl, hookspecs
from patti.core.model import Indicator, Pact, PartnerKind
from patti.core.plugins import PluginConflictError, PluginHost
from patti.core.reference import BASE_THEMES, KnownPartner, ReferenceData, Theme, Zone
from patti.core.services import Registry
from patti.core.store import Store
from patti.plugins.community_ties import CommunityTies
from patti.tui.cli import build_cli

ROOT = Path(__file__).resolve().parents[1]
HOOK_DOCS = ROOT / "docs" / "plugin-hooks.md"
HOOKS = sorted(
    name
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(function, f"{hookspecs.PROJECT}_spec")
)


# -- helpers ---------------------------------------------------------------------------


def run(host: PluginHost, db: Path, *args: str) -> Result:
    """``patti --lang en --db DB ARGS`` in-process, with ``host`` as the plugin host."""
    runner = CliRunner()
    return runner.invoke(
        build_cli(host), ["--lang", "en", "--db", str(db), *args], catch_exceptions=False
    )


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


def as_json(result: Result) -> Any:
    return orjson.loads(ok(result))


def refused(result: Result) -> str:
    """The one stderr line of a command refused with exit code 2."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("patti: error: ")
    return result.stderr.strip()


def plugin_module(name: str, **hooks: Callable[..., Any]) -> types.ModuleType:
    """A plugin module whose functions are the given hook implementations."""
    module = types.ModuleType(name)
    for hook, function in hooks.items():
        setattr(module, hook, hookimpl(specname=hook)(function))
    return module


def add_partner(host: PluginHost, db: Path, name: str = "Auser Crema") -> int:
    partner = as_json(
        run(host, db, "partners", "add", "--name", name, "--kind", "association", "--json")
    )
    return int(partner["id"])


def add_pact(host: PluginHost, db: Path, *args: str) -> dict[str, Any]:
    pact: dict[str, Any] = as_json(run(host, db, "pacts", "add", "--year", "2024", *args, "--json"))
    return pact


# -- plugins ---------------------------------------------------------------------------


class GardenDetails(BaseModel):
    """The fields a shared-garden pact adds."""

    model_config = ConfigDict(extra="forbid")

    plots: int = Field(default=0, ge=0, description="How many plots are assigned.")
    water: str = Field(default="", max_length=120, description="Where the water comes from.")


class Gardens(PactType):
    name = "gardens"
    label_it = "Orti condivisi"
    label_en = "Shared gardens"
    description_it = "Orti di quartiere curati insieme da associazioni e abitanti."
    description_en = "Neighbourhood gardens tended by associations and inhabitants together."
    Details = GardenDetails
    roles: ClassVar[tuple[Role, ...]] = (Role("gardener", "Ortolano", "Gardener", min=1, max=3),)
    default_themes = ("environment", "intergenerational")
    default_indicators = (Indicator(key="plots", label="Orti assegnati", unit="orti", target=12),)


class GardensPlugin:
    @hookimpl
    def register_pact_types(self, register: Callable[[type[PactType]], None]) -> None:
        register(Gardens)


class Beekeeping(PactType):
    name = "beekeeping"
    label_it = "Apicoltura urbana"
    label_en = "Urban beekeeping"


@dataclass
class Event:
    """One pact event as a plugin saw it, with what the store held at that moment."""

    kind: str
    pact: Pact
    previous: Pact | None
    store: Store
    stored: Pact | None


@dataclass(eq=False)  # pluggy tells plugins apart by equality: two empty journals are two
class Journal:
    """A plugin that records every pact event."""

    events: list[Event] = field(default_factory=list)

    def _record(self, kind: str, pact: Pact, previous: Pact | None, store: Store) -> None:
        stored = store.pacts.find(pact.id) if pact.id is not None else None
        self.events.append(Event(kind, pact, previous, store, stored))

    @hookimpl
    def pact_created(self, pact: Pact, store: Store) -> None:
        self._record("created", pact, None, store)

    @hookimpl
    def pact_updated(self, pact: Pact, previous: Pact, store: Store) -> None:
        self._record("updated", pact, previous, store)

    @hookimpl
    def pact_deleted(self, pact: Pact, store: Store) -> None:
        self._record("deleted", pact, None, store)


@dataclass(eq=False)
class Opened:
    """A plugin that records the stores it was started with, and how each was open."""

    stores: list[Store] = field(default_factory=list)
    modes: list[tuple[Path, bool]] = field(default_factory=list)

    @hookimpl
    def startup(self, store: Store) -> None:
        self.stores.append(store)
        self.modes.append((store.path, store.readonly))


@pytest.fixture
def registry(patti_store: Store, patti_host: PluginHost) -> Registry:
    """The services with the built-ins, and one partner to be a member of pacts."""
    services = Registry(patti_store, plugins=patti_host)
    services.create_partner(name="Auser Crema", kind="association")
    return services


def new_pact(registry: Registry, **fields: Any) -> Pact:
    values: dict[str, Any] = {
        "title": "Vicini di casa",
        "type": "community_ties",
        "year": 2024,
        "members": [{"partner_id": 1, "role": "partner"}],
    }
    return registry.create_pact(**{**values, **fields})


# -- register_pact_types ---------------------------------------------------------------


def test_hook_register_pact_types(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    host = patti_register(GardensPlugin(), "gardens_plugin")
    db = patti_store_path
    described = {t["name"]: t for t in as_json(run(host, db, "types", "--json"))}
    gardens = described["gardens"]
    assert (gardens["label_it"], gardens["label_en"]) == ("Orti condivisi", "Shared gardens")
    assert gardens["roles"] == [
        {
            "name": "gardener",
            "label_it": "Ortolano",
            "label_en": "Gardener",
            "min": 1,
            "max": 3,
            "description": "",
            "kinds": [],
        }
    ]
    assert set(gardens["fields"]) == {"plots", "water"}
    assert gardens["planner"] is False
    assert "community_ties" in described  # the built-ins are still there

    pact = add_pact(host, db, "--title", "Orti di via Bacchetta", "--type", "gardens",
                    "--detail", "plots=12")  # fmt: skip
    assert (pact["type"], pact["details"]) == ("gardens", {"plots": 12, "water": ""})
    assert pact["themes"] == ["environment", "intergenerational"]
    assert [i["key"] for i in pact["indicators"]] == ["plots"]

    listed = {p["name"]: p for p in as_json(run(host, db, "plugins", "--json"))["plugins"]}
    assert listed["gardens_plugin"]["hooks"] == ["register_pact_types"]
    assert listed["gardens_plugin"]["adds"] == {"pact_types": ["gardens"]}


def test_a_registered_types_details_are_checked_on_every_save(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    host = patti_register(GardensPlugin(), "gardens_plugin")
    db = patti_store_path
    code = add_pact(host, db, "--title", "Orti", "--type", "gardens")["code"]
    before = db.read_bytes()
    line = refused(run(host, db, "pacts", "edit", code, "--detail", "plots=-1"))
    assert "details" in line and "plots" in line
    line = refused(run(host, db, "pacts", "edit", code, "--detail", "greenhouse=true"))
    assert "greenhouse" in line
    assert db.read_bytes() == before


def test_a_registered_types_roles_are_counted_when_the_pact_becomes_active(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    host = patti_register(GardensPlugin(), "gardens_plugin")
    db = patti_store_path
    partner = add_partner(host, db)
    code = add_pact(host, db, "--title", "Orti", "--type", "gardens",
                    "--member", f"{partner}:partner")["code"]  # fmt: skip
    line = refused(run(host, db, "pacts", "status", code, "active"))
    assert "Gardener: 0 members, needs 1 to 3" in line
    ok(run(host, db, "pacts", "edit", code, "--member", f"{partner}:gardener"))
    assert ok(run(host, db, "pacts", "status", code, "active")) == f"Pact {code} is now Active.\n"


def test_every_register_pact_types_implementation_is_called(
    patti_register: Callable[..., PluginHost],
) -> None:
    patti_register(GardensPlugin(), "gardens_plugin")
    bees = plugin_module("bees", register_pact_types=lambda register: register(Beekeeping))
    host = patti_register(bees)
    types_ = host.pact_types()
    assert types_["gardens"] is Gardens
    assert types_["beekeeping"] is Beekeeping
    assert types_["community_ties"] is CommunityTies


# -- register_reference_data -----------------------------------------------------------


class OmbrianoPack:
    @hookimpl
    def register_reference_data(self, register: Callable[[ReferenceData], None]) -> None:
        register(
            ReferenceData(
                zones=[Zone("ombriano", "Ombriano")],
                themes=[Theme("sport", "Sport di quartiere", "Neighbourhood sport")],
                partners=[
                    KnownPartner("Polisportiva Ombriano", PartnerKind.ASSOCIATION, ("ombriano",))
                ],
            )
        )


def test_hook_register_reference_data(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    host = patti_register(OmbrianoPack(), "ombriano")
    reference = host.reference_data()
    assert reference.zone_label("ombriano") == "Ombriano"
    assert reference.theme_label("sport") == "Neighbourhood sport"
    assert "Polisportiva Ombriano" in [p.name for p in reference.partners]
    assert len(reference.zones) > 1  # the built-in crema pack's zones are merged in
    assert [t.key for t in reference.themes[: len(BASE_THEMES)]] == [t.key for t in BASE_THEMES]

    listed = {
        p["name"]: p for p in as_json(run(host, patti_store_path, "plugins", "--json"))["plugins"]
    }
    assert listed["ombriano"]["adds"] == {"reference_data": ["zones, themes, partners"]}


def test_reference_data_is_merged_and_the_first_registration_of_a_key_wins(
    patti_register: Callable[..., PluginHost],
) -> None:
    first = ReferenceData(zones=[Zone("centro", "Centro storico")])
    again = ReferenceData(zones=[Zone("centro", "Centro"), Zone("sabbioni", "Sabbioni")])
    relabel = ReferenceData(themes=[Theme("legality", "Legge", "Law")])

    def register_reference_data(register: Callable[[ReferenceData], None]) -> None:
        for data in (first, again, relabel):
            register(data)

    host = patti_register(plugin_module("pack", register_reference_data=register_reference_data))
    reference = host.reference_data()
    assert [z.key for z in reference.zones].count("centro") == 1
    assert reference.zone_label("centro") == "Centro storico"
    assert reference.zone_label("sabbioni") == "Sabbioni"
    assert reference.theme_label("legality") == "Legality"  # the base taxonomy comes first


def test_the_latest_registered_plugin_registers_reference_data_first(
    patti_register: Callable[..., PluginHost],
) -> None:
    """pluggy calls implementations last-registered first: a pack installed later wins."""
    patti_register(
        plugin_module(
            "old_pack",
            register_reference_data=lambda register: register(
                ReferenceData(zones=[Zone("centro", "Centro (old)")])
            ),
        )
    )
    host = patti_register(
        plugin_module(
            "new_pack",
            register_reference_data=lambda register: register(
                ReferenceData(zones=[Zone("centro", "Centro (new)")])
            ),
        )
    )
    assert host.reference_data().zone_label("centro") == "Centro (new)"


# -- register_exporters ----------------------------------------------------------------


def pact_codes_csv(registry: Registry) -> str:
    """A tiny exporter: one pact code per line."""
    return "".join(f"{p.code}\n" for p in registry.list_pacts())


class CodesExporter:
    @hookimpl
    def register_exporters(self, register: Callable[[str, Any], None]) -> None:
        register("codes", pact_codes_csv)


def test_hook_register_exporters(
    patti_register: Callable[..., PluginHost], registry: Registry, patti_store_path: Path
) -> None:
    host = patti_register(CodesExporter(), "codes_exporter")
    exporter = host.exporters()["codes"]
    assert exporter is pact_codes_csv
    new_pact(registry, code="PdC-2024-07")
    assert exporter(registry) == "PdC-2024-07\n"
    listed = {
        p["name"]: p for p in as_json(run(host, patti_store_path, "plugins", "--json"))["plugins"]
    }
    assert listed["codes_exporter"]["adds"] == {"exporters": ["codes"]}


def test_every_register_exporters_implementation_is_called(
    patti_register: Callable[..., PluginHost],
) -> None:
    patti_register(CodesExporter(), "codes_exporter")
    host = patti_register(
        plugin_module("ics", register_exporters=lambda register: register("ics", str))
    )
    assert set(host.exporters()) >= {"codes", "ics"}


def test_a_format_registered_by_two_plugins_is_an_error_naming_both(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    patti_register(CodesExporter(), "codes_exporter")
    host = patti_register(
        plugin_module("other_codes", register_exporters=lambda register: register("codes", str))
    )
    with pytest.raises(PluginConflictError) as raised:
        host.exporters()
    assert "'codes'" in str(raised.value)
    assert "codes_exporter" in str(raised.value) and "other_codes" in str(raised.value)
    line = refused(run(host, patti_store_path, "plugins"))
    assert "codes_exporter" in line and "other_codes" in line


# -- register_commands -----------------------------------------------------------------


class CountCommand:
    """Adds ``patti count-pacts``, which reads the store the command line opened."""

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("count-pacts", help="Count the pacts of the store.")
        @click.option("--year", type=int, help="Only this year.")
        def count_pacts(year: int | None) -> None:
            registry = click.get_current_context().obj.open(write=False)
            found = [p for p in registry.list_pacts() if year is None or p.year == year]
            click.echo(f"{len(found)} pacts")


def test_hook_register_commands(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    host = patti_register(CountCommand(), "count")
    db = patti_store_path
    add_pact(host, db, "--title", "Vicini", "--type", "community_ties")
    assert ok(run(host, db, "count-pacts")) == "1 pacts\n"
    assert ok(run(host, db, "count-pacts", "--year", "2023")) == "0 pacts\n"
    assert "count-pacts" in ok(run(host, db, "--help"))


def test_every_register_commands_implementation_is_called(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    patti_register(CountCommand(), "count")

    def register_commands(cli: click.Group) -> None:
        cli.add_command(click.Command("hello", callback=lambda: click.echo("ciao")))

    host = patti_register(plugin_module("hello", register_commands=register_commands))
    assert set(build_cli(host).commands) >= {"count-pacts", "hello", "pacts", "plugins"}
    assert ok(run(host, patti_store_path, "hello")) == "ciao\n"


def test_a_host_with_plugins_off_adds_no_commands() -> None:
    host = PluginHost(enabled=False, entry_point_group=None)
    host.register(CountCommand(), "count")
    assert "count-pacts" not in build_cli(host).commands


# -- validate_pact ---------------------------------------------------------------------


class NeedsObjective:
    """Takes only ``pact``: an implementation may accept a subset of the arguments."""

    @hookimpl
    def validate_pact(self, pact: Pact) -> list[str]:
        return [] if pact.objectives else ["a pact needs at least one objective"]


class NoShouting:
    @hookimpl
    def validate_pact(
        self, pact: Pact, pact_type: type[PactType] | None, store: Store
    ) -> list[str] | None:
        return ["the title is all capitals"] if pact.title.isupper() else None


def test_hook_validate_pact(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    patti_register(NeedsObjective(), "needs_objective")
    host = patti_register(NoShouting(), "no_shouting")
    db = patti_store_path
    add_partner(host, db)
    before = db.read_bytes()

    line = refused(run(host, db, "pacts", "add", "--title", "ORTI", "--type", "community_ties"))
    assert "the title is all capitals" in line
    assert "a pact needs at least one objective" in line
    assert db.read_bytes() == before

    pact = add_pact(host, db, "--title", "Orti", "--type", "community_ties",
                    "--objective", "Coltivare insieme")  # fmt: skip
    saved = db.read_bytes()
    line = refused(run(host, db, "pacts", "edit", pact["code"], "--title", "ORTI"))
    assert line == "patti: error: the title is all capitals"
    assert db.read_bytes() == saved


def test_validate_pact_sees_the_pact_as_it_would_be_saved_with_its_type(
    patti_register: Callable[..., PluginHost], registry: Registry
) -> None:
    seen: list[tuple[Pact, type[PactType] | None, Store]] = []

    def validate_pact(pact: Pact, pact_type: type[PactType] | None, store: Store) -> None:
        seen.append((pact, pact_type, store))

    patti_register(plugin_module("spy", validate_pact=validate_pact))
    created = new_pact(registry, details={"meeting_place": "Bar Centrale"})
    ((pact, pact_type, store),) = seen
    assert (pact.id, pact.title, pact_type, store) == (None, "Vicini di casa", CommunityTies,
                                                       registry.store)  # fmt: skip
    assert pact.details == {"meeting_place": "Bar Centrale", "frequency": "", "open_to_all": True}

    registry.update_pact(created.id or 0, title="Vicini e lontani")
    pact, pact_type, _store = seen[-1]
    assert (pact.id, pact.title, pact_type) == (created.id, "Vicini e lontani", CommunityTies)


def test_validate_pact_gets_no_type_for_a_pact_whose_type_no_plugin_provides(
    patti_register: Callable[..., PluginHost], patti_store: Store
) -> None:
    orphan = Registry(patti_store, plugins=None).create_pact(title="Orti", type="gardens")
    types_seen: list[type[PactType] | None] = []
    host = patti_register(
        plugin_module("spy", validate_pact=lambda pact_type: types_seen.append(pact_type))
    )
    Registry(patti_store, plugins=host).update_pact(orphan.id or 0, title="Orti condivisi")
    assert types_seen == [None]


def test_validate_pact_problems_show_up_in_check(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    db = patti_store_path
    plain = PluginHost(entry_point_group=None)
    add_pact(plain, db, "--title", "ORTI", "--type", "community_ties", "--objective", "Coltivare")
    host = patti_register(NoShouting(), "no_shouting")
    result = run(host, db, "check")
    assert result.exit_code == 1
    assert result.stdout == "pacts/1: the title is all capitals\n"


# -- pact_created / pact_updated / pact_deleted ----------------------------------------


def test_hook_pact_created(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    journal = Journal()
    host = patti_register(journal, "journal")
    db = patti_store_path
    pact = add_pact(host, db, "--title", "Vicini", "--type", "community_ties")
    (event,) = journal.events
    assert (event.kind, event.pact.id, event.pact.code) == ("created", pact["id"], pact["code"])
    assert event.store.path == db
    assert event.stored == event.pact  # the event comes after the save

    follow_up = as_json(run(host, db, "pacts", "continue", pact["code"], "--json"))
    assert [(e.kind, e.pact.code, e.pact.predecessor_id) for e in journal.events[1:]] == [
        ("created", follow_up["code"], pact["id"])
    ]

    refused(run(host, db, "pacts", "add", "--title", "Orti", "--type", "no_such_type"))
    assert len(journal.events) == 2  # nothing was saved, nothing is told


def test_hook_pact_updated(patti_register: Callable[..., PluginHost], registry: Registry) -> None:
    journal = Journal()
    patti_register(journal, "journal")
    created = new_pact(registry)
    updated = registry.update_pact(created.id or 0, title="Vicini e lontani")
    proposed = registry.set_pact_status(created.id or 0, "proposed")
    registry.set_pact_status(created.id or 0, "proposed")  # no change: no event

    assert [e.kind for e in journal.events] == ["created", "updated", "updated"]
    edit, status = journal.events[1:]
    assert edit.previous is not None and status.previous is not None
    assert (edit.previous, edit.pact, edit.stored) == (created, updated, updated)
    assert (edit.previous.title, edit.pact.title) == ("Vicini di casa", "Vicini e lontani")
    assert edit.pact.revision == created.revision + 1
    assert status.previous == updated and status.pact == proposed
    assert (status.previous.status.value, status.pact.status.value) == ("draft", "proposed")
    assert status.store is registry.store


def test_hook_pact_deleted(patti_register: Callable[..., PluginHost], registry: Registry) -> None:
    journal = Journal()
    patti_register(journal, "journal")
    kept = new_pact(registry, title="Resta")
    gone = new_pact(registry, title="Se ne va")
    registry.delete_pact(gone.id or 0)

    event = journal.events[-1]
    assert (event.kind, event.pact) == ("deleted", gone)
    assert event.stored is None  # the event comes after the delete
    assert [p.id for p in registry.list_pacts()] == [kept.id]


def test_every_event_implementation_is_called(
    patti_register: Callable[..., PluginHost], registry: Registry
) -> None:
    first, second = Journal(), Journal()
    patti_register(first, "first")
    patti_register(second, "second")
    pact = new_pact(registry)
    registry.update_pact(pact.id or 0, notes="Si parte a marzo")
    registry.delete_pact(pact.id or 0)
    for journal in (first, second):
        assert [e.kind for e in journal.events] == ["created", "updated", "deleted"]


# -- startup ---------------------------------------------------------------------------


def test_hook_startup(
    patti_register: Callable[..., PluginHost], patti_store: Store, patti_store_path: Path
) -> None:
    opened = Opened()
    host = patti_register(opened, "opened")
    host.startup(patti_store)
    host.startup(patti_store)
    assert opened.stores == [patti_store]
    Registry(patti_store, plugins=host).create_partner(name="Auser", kind="association")
    assert opened.stores == [patti_store]


def test_startup_runs_once_for_each_store_a_command_opens(
    patti_register: Callable[..., PluginHost], patti_store_path: Path
) -> None:
    opened = Opened()
    host = patti_register(opened, "opened")
    db = patti_store_path
    ok(run(host, db, "types"))
    assert opened.stores == []  # no store was opened
    add_pact(host, db, "--title", "Vicini", "--type", "community_ties")
    assert opened.modes == [(db, False)]
    ok(run(host, db, "pacts", "list"))
    assert opened.modes == [(db, False), (db, True)]  # readers open the store read-only


def test_every_startup_implementation_is_called(
    patti_register: Callable[..., PluginHost], patti_store: Store
) -> None:
    first, second = Opened(), Opened()
    patti_register(first, "first")
    host = patti_register(second, "second")
    host.startup(patti_store)
    assert first.stores == second.stores == [patti_store]


# -- hooks only gain arguments ---------------------------------------------------------


@dataclass(eq=False)
class Minimal:
    """Every hook the host calls directly, each taking fewer arguments than its spec."""

    calls: list[str] = field(default_factory=list)

    @hookimpl
    def validate_pact(self) -> None:
        self.calls.append("validate_pact")

    @hookimpl
    def pact_created(self) -> None:
        self.calls.append("pact_created")

    @hookimpl
    def pact_updated(self, previous: Pact) -> None:
        self.calls.append(f"pact_updated from {previous.title}")

    @hookimpl
    def pact_deleted(self, pact: Pact) -> None:
        self.calls.append(f"pact_deleted {pact.title}")

    @hookimpl
    def startup(self) -> None:
        self.calls.append("startup")

    @hookimpl
    def register_commands(self) -> None:
        self.calls.append("register_commands")


def test_an_implementation_may_take_a_subset_of_the_hooks_arguments(
    patti_register: Callable[..., PluginHost], registry: Registry
) -> None:
    minimal = Minimal()
    host = patti_register(minimal, "minimal")
    host.startup(registry.store)
    pact = new_pact(registry, title="Prima")
    registry.update_pact(pact.id or 0, title="Dopo")
    registry.delete_pact(pact.id or 0)
    build_cli(host)
    assert minimal.calls == [
        "startup",
        "validate_pact",
        "pact_created",
        "validate_pact",
        "pact_updated from Prima",
        "pact_deleted Dopo",
        "register_commands",
    ]
    assert host.failures == []


def test_a_registration_hook_implementation_may_take_no_arguments(
    patti_register: Callable[..., PluginHost],
) -> None:
    called: list[str] = []
    host = patti_register(
        plugin_module("quiet", register_exporters=lambda: called.append("register_exporters"))
    )
    host.exporters()
    assert (called, host.failures) == (["register_exporters"], [])


# -- meta-tests: every hook is documented and tested -----------------------------------


def test_hookspecs_holds_every_hook_the_host_knows() -> None:
    assert sorted(name for name in vars(PluginHost().pm.hook) if not name.startswith("_")) == HOOKS
    assert len(HOOKS) == 10


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docstring(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook))
    assert doc and len(doc.split()) >= 5, f"hook {hook} has no real docstring"


def hook_test_names() -> set[str]:
    """Names of the test functions of every ``tests/*.py``, async ones included."""
    found = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.add(node.name)
    return found


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_named_for_it(hook: str) -> None:
    assert f"test_hook_{hook}" in hook_test_names(), f"write test_hook_{hook} in tests/"


def signature(hook: str) -> str:
    """The hook's spec as the docs show it: ``def name(arg: Type, ...) -> Return:``."""
    spec = inspect.signature(getattr(hookspecs, hook))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in spec.parameters.values())
    return f"def {hook}({params}) -> {spec.return_annotation}:"


def doc_sections() -> dict[str, str]:
    """The ``## heading`` sections of docs/plugin-hooks.md, by heading."""
    text = HOOK_DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## +(.+?) *$", text, flags=re.MULTILINE)
    return {title: body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def code_blocks(section: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_doc_heading_with_its_exact_signature(hook: str) -> None:
    sections = doc_sections()
    assert hook in sections, f"add '## {hook}' to docs/plugin-hooks.md"
    blocks = code_blocks(sections[hook])
    assert blocks, f"the {hook} section has no python code block"
    assert signature(hook) in blocks[0].splitlines(), (
        f"the first code block of '## {hook}' must show: {signature(hook)}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_doc_has_an_example_implementation(hook: str) -> None:
    examples = code_blocks(doc_sections().get(hook, ""))[1:]
    assert any("@hookimpl" in e and re.search(rf"\bdef {hook}\(", e) for e in examples), (
        f"add an example implementation of {hook} to docs/plugin-hooks.md"
    )


def test_the_docs_document_no_hook_that_does_not_exist() -> None:
    documented = {t for t in doc_sections() if re.fullmatch(r"[a-z_]+", t)}
    assert documented == set(HOOKS)
