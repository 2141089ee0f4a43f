"""Contact persons' data: export, erasure and retention, on real stores through the CLI."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import orjson
import pytest
from test_cli import Cli, assert_one_error_line

from patti.core.privacy import REDACTED, erase_person, find_person, retention_due
from patti.core.services import Registry
from patti.core.store import Store

MARIO = {
    "key": "mario-rossi",
    "name": "Mario Rossi",
    "role": "Presidente",
    "email": "mario.rossi@example.org",
    "phone": "+39 0373 123456",
    "legal_basis": "consent",
    "consents": [{"purpose": "Newsletter", "given_on": "2021-02-01"}],
    "retention_until": "2021-12-31",
}
ANNA = {"key": "anna-bianchi", "name": "Anna Bianchi", "retention_until": "2030-12-31"}


@pytest.fixture
def people(store_path: Path) -> Path:
    """Mario speaks for two associations; his name is in a pact, an activity and details."""
    with Store.open(store_path) as store:
        registry = Registry(store)
        auser = registry.create_partner(
            name="Auser", kind="association", contacts=[MARIO, ANNA], notes="Sentire Mario Rossi."
        )
        arci = registry.create_partner(
            name="Arci",
            kind="association",
            contacts=[{**MARIO, "key": "presidente", "retention_until": None}],
        )
        pact = registry.create_pact(
            title="Vicini",
            type="civic",
            year=2021,
            members=[{"partner_id": auser.id, "role": "lead"}, {"partner_id": arci.id}],
            objectives=["Incontri con mario rossi ogni mese"],
            details={"referente": "Mario Rossi"},
        )
        assert pact.id is not None
        registry.create_activity(
            pact_id=pact.id,
            title="Caffè",
            starts_at="2021-10-05 16:00",
            notes="Scrivere a mario.rossi@example.org",
        )
    return store_path


def test_export_by_email_finds_the_person_under_every_partner(people: Path) -> None:
    exported = orjson.loads(Cli(people).ok("privacy", "export", "Mario.Rossi@example.org"))
    assert [(c["partner"], c["key"]) for c in exported["contacts"]] == [
        ("Auser", "mario-rossi"),
        ("Arci", "presidente"),
    ]
    assert exported["contacts"][0]["consents"] == [
        {"purpose": "Newsletter", "given_on": "2021-02-01", "withdrawn_on": None}
    ]
    mentioned = {(m["table"], m["field"], m["redacted_on_erase"]) for m in exported["mentions"]}
    assert mentioned == {
        ("partners", "notes", True),
        ("pacts", "objectives[0]", True),
        ("pacts", "details.referente", False),
        ("activities", "notes", True),
    }


def test_export_by_key_names_one_contact_and_can_write_a_file(people: Path) -> None:
    output = people.with_name("mario.json")
    Cli(people).ok("privacy", "export", "1/mario-rossi", "--output", str(output))
    exported = orjson.loads(output.read_bytes())
    assert [c["partner_id"] for c in exported["contacts"]] == [1]


def test_erase_removes_the_person_and_redacts_free_text_in_one_write(people: Path) -> None:
    cli = Cli(people)
    out = cli.ok("privacy", "erase", "mario.rossi@example.org")
    lines = out.splitlines()
    assert lines[0] == "Removed 2 contact records; redacted 3 mentions."
    assert lines[1] == "Still named in pacts/1 details.referente: edit it by hand."
    assert "until rotation" in lines[2]
    raw = people.read_text(encoding="utf-8")
    assert "mario.rossi@example.org" not in raw
    assert raw.count("Mario Rossi") == 1  # the plugin detail the operator must edit
    partners = cli.json("partners", "list")
    assert [[c["key"] for c in p["contacts"]] for p in partners] == [[], ["anna-bianchi"]]
    assert partners[1]["notes"] == f"Sentire {REDACTED}."
    assert cli.json("pacts", "show", "1")["objectives"] == [f"Incontri con {REDACTED} ogni mese"]
    assert cli("check").exit_code == 0
    result = cli("privacy", "export", "mario.rossi@example.org")
    assert_one_error_line(result)


def test_erase_leaves_other_people_alone(store: Store) -> None:
    registry = Registry(store)
    registry.create_partner(name="Auser", kind="association", contacts=[MARIO, ANNA])
    erase_person(registry, "1/mario-rossi")
    assert find_person(registry, "1/anna-bianchi").held[0].contact.name == "Anna Bianchi"


def test_due_lists_contacts_past_their_retention_date(people: Path) -> None:
    with Store.open(people) as store:
        due = retention_due(Registry(store, today=lambda: date(2022, 1, 1)))
    assert [(h.partner_name, h.contact.key) for h in due] == [("Auser", "mario-rossi")]
    cli = Cli(people)
    listed = cli.json("privacy", "due")
    assert [p["person"] for p in listed] == ["1/mario-rossi"]  # today is after 2021-12-31


@pytest.mark.parametrize(
    ("reference", "needle"),
    [("mario", "PARTNER_ID/KEY"), ("9/nobody", "No partner"), ("1/nobody", "1/nobody")],
)
def test_a_bad_person_reference_is_one_line_and_changes_nothing(
    people: Path, reference: str, needle: str
) -> None:
    cli = Cli(people)
    for command in ("export", "erase"):
        line = cli.refused("privacy", command, reference)
        assert needle in line


def test_pseudonymised_tables_name_no_person(people: Path) -> None:
    from patti.core.demo import build_demo
    from patti.core.privacy import pseudonymise

    with Store.open(people) as store:
        tables = store.snapshot()
        contacts = [c for d in tables["partners"].values() for c in d.get("contacts", [])]
        copy = pseudonymise(tables)
    text = orjson.dumps(copy).decode()
    for contact in contacts:
        for value in (contact["name"], contact.get("email"), contact.get("phone")):
            if value:
                assert value.casefold() not in text.casefold()
    auser = copy["partners"]["1"]
    assert [c["name"] for c in auser["contacts"]] == ["Person 1", "Person 2"]
    assert [c["name"] for c in copy["partners"]["2"]["contacts"]] == ["Person 1"]  # Mario again
    assert auser["contacts"][0]["role"] == "Presidente"
    assert auser["notes"] == "Sentire Person 1."
    assert copy["activities"]["1"]["notes"] == "Scrivere a Person 1"
    assert copy["pacts"] == {
        k: {
            **v,
            "objectives": ["Incontri con Person 1 ogni mese"],
            "details": {"referente": "Person 1"},
        }
        for k, v in tables["pacts"].items()
    }
    demo_path = people.with_name("demo.json")
    with Store.open(demo_path) as demo:
        build_demo(demo)
        demo_tables = demo.snapshot()
    demo_text = orjson.dumps(pseudonymise(demo_tables)).decode()
    emails = re.findall(r"[\w.]+@example\.org", orjson.dumps(demo_tables).decode())
    assert emails and not any(e in demo_text for e in emails)
