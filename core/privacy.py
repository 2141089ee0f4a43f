"""Contact persons are personal data: find, export and erase one person; list retention due.

A person is named either as ``PARTNER_ID/KEY`` (one contact of one partner)
or by e-mail address, which finds the same person under every partner they
speak for. Besides the contact records, their name, e-mail and phone can
appear in free text (notes, titles, objectives): export lists those
mentions, and erase redacts them, so nothing the store holds still names
them. Backups made before an erasure still hold the data until rotation
deletes them; the command says so.

Minors are never recorded as people, so they never appear here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .errors import NotFoundError, ValidationError
from .i18n import _
from .model import ContactPerson, Partner
from .services import Registry
from .store import Repository
from .text import clean_text

REDACTED = "[…]"
TEXT_TABLES = ("partners", "pacts", "activities")
#: Fields of free text, where a mention is redacted. Elsewhere (a plugin's details,
#: another contact's phone) redacting could break the record or another person's
#: data: such mentions are reported for the operator to fix.
FREE_TEXT = frozenset({"notes", "title", "objectives", "target_groups", "audience", "place"})


@dataclass(frozen=True)
class Held:
    """One contact record of the person, under one partner."""

    partner_id: int
    partner_name: str
    contact: ContactPerson


@dataclass(frozen=True)
class Mention:
    """Free text in a record that names the person."""

    table: str
    record_id: int
    field: str
    text: str

    @property
    def redactable(self) -> bool:
        return _field_name(self.field) in FREE_TEXT


@dataclass
class Person:
    """Everything the store holds about one person."""

    reference: str
    held: list[Held] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    def identifiers(self) -> list[str]:
        """The strings that identify the person in free text: names, e-mails, phones."""
        found = {c.contact.name for c in self.held}
        found |= {str(c.contact.email) for c in self.held if c.contact.email}
        found |= {c.contact.phone for c in self.held if c.contact.phone}
        return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "person": self.reference,
            "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "contacts": [
                {
                    "partner_id": h.partner_id,
                    "partner": h.partner_name,
                    **h.contact.model_dump(mode="json"),
                }
                for h in self.held
            ],
            "mentions": [
                {
                    "table": m.table,
                    "id": m.record_id,
                    "field": m.field,
                    "text": m.text,
                    "redacted_on_erase": m.redactable,
                }
                for m in self.mentions
            ],
        }


_REFERENCE = re.compile(r"(\d+)/([a-z0-9-]+)")


def find_person(registry: Registry, reference: str) -> Person:
    """The person named by ``PARTNER_ID/KEY`` or an e-mail address; NotFoundError if none."""
    reference = reference.strip()
    person = Person(reference)
    match = _REFERENCE.fullmatch(reference)
    if match:
        partner = registry.store.partners.get(int(match.group(1)))
        contact = next((c for c in partner.contacts if c.key == match.group(2)), None)
        if contact is not None:
            person.held.append(Held(partner.id or 0, partner.name, contact))
    elif "@" in reference:
        wanted = reference.casefold()
        for partner in registry.store.partners.all():
            for contact in partner.contacts:
                if contact.email and str(contact.email).casefold() == wanted:
                    person.held.append(Held(partner.id or 0, partner.name, contact))
    else:
        raise ValidationError(
            _("Name a person as PARTNER_ID/KEY (e.g. 12/mario-rossi) or by e-mail address."),
            field="person",
        )
    if not person.held:
        raise NotFoundError(_("No contact person {ref} in this store.").format(ref=reference))
    person.mentions = list(_mentions(registry, person))
    return person


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _field_name(path: str) -> str:
    """``objectives[2]`` → ``objectives``; ``members[0].notes`` → ``notes``."""
    return re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])


def _pattern(person: Person) -> re.Pattern[str] | None:
    names = person.identifiers()
    if not names:
        return None
    return re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE)


def _without_own_contacts(table: str, record_id: int, doc: dict[str, Any], person: Person) -> Any:
    if table != "partners":
        return doc
    own = {h.contact.key for h in person.held if h.partner_id == record_id}
    return {**doc, "contacts": [c for c in doc.get("contacts", []) if c.get("key") not in own]}


def _mentions(registry: Registry, person: Person) -> Iterator[Mention]:
    pattern = _pattern(person)
    if pattern is None:
        return
    for table in TEXT_TABLES:
        for record_id, doc in registry.store._raw(table).items():
            searched = _without_own_contacts(table, int(record_id), doc, person)
            for path, text in _strings(searched, ""):
                if pattern.search(text):
                    yield Mention(table, int(record_id), path, clean_text(text, multiline=True))


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: contact records removed, mentions redacted, and mentions left
    for the operator (in fields that cannot be redacted safely)."""

    contacts: int
    redacted: list[Mention]
    left: list[Mention]


def erase_person(registry: Registry, reference: str) -> Erasure:
    """Remove the person's contact records and redact their mentions, in one durable write."""
    person = find_person(registry, reference)
    pattern = _pattern(person)
    store = registry.store
    redacted = [m for m in person.mentions if m.redactable]
    touched = {(m.table, m.record_id) for m in redacted}
    touched |= {("partners", h.partner_id) for h in person.held}
    repos: dict[str, Repository[Any]] = {
        "partners": store.partners,
        "pacts": store.pacts,
        "activities": store.activities,
    }
    with store.transaction():
        for table, record_id in sorted(touched):
            record = repos[table].get(record_id)
            doc = record.model_dump(mode="json")
            if isinstance(record, Partner):
                own = {h.contact.key for h in person.held if h.partner_id == record_id}
                doc["contacts"] = [c for c in doc["contacts"] if c["key"] not in own]
            if pattern is not None:
                doc = _redact(doc, pattern, "")
            store.update(type(record).model_validate(doc))
    left = [m for m in person.mentions if not m.redactable]
    return Erasure(contacts=len(person.held), redacted=redacted, left=left)


def _redact(value: Any, pattern: re.Pattern[str], key: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(REDACTED, value) if key in FREE_TEXT else value
    if isinstance(value, dict):
        return {k: _redact(v, pattern, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, pattern, key) for v in value]
    return value


def retention_due(registry: Registry, today: date | None = None) -> list[Held]:
    """Contacts whose retention date has passed, oldest first."""
    day = today or registry.today()
    due = [
        Held(p.id or 0, p.name, c)
        for p in registry.store.partners.all()
        for c in p.contacts
        if c.retention_until is not None and c.retention_until < day
    ]
    return sorted(due, key=lambda h: (h.contact.retention_until or day, h.partner_id))


def pseudonymise(tables: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """A copy of the store's tables that names no person, for reports and exports.

    Each contact person becomes ``Persona N`` (their role and legal basis
    kept: a report may count them); e-mail, phone, notes and consents go.
    Their name, e-mail and phone in any text of any record become the same
    ``Persona N``, so a report still reads sensibly.
    """
    pseudonyms: dict[str, str] = {}
    per_contact: list[str] = []  # in the order partners and their contacts come
    count = 0
    for doc in tables.get("partners", {}).values():
        for contact in doc.get("contacts", []):
            found = [
                v.casefold()
                for v in (contact.get("name"), contact.get("email"), contact.get("phone"))
                if isinstance(v, str) and len(v) >= 3
            ]
            # The same person under two partners (same e-mail or name) is one pseudonym.
            known = next((pseudonyms[v] for v in found if v in pseudonyms), None)
            if known is None:
                count += 1
                known = _("Person {n}").format(n=count)
            per_contact.append(known)
            for value in found:
                pseudonyms.setdefault(value, known)
    pattern = (
        re.compile(
            "|".join(re.escape(v) for v in sorted(pseudonyms, key=len, reverse=True)),
            re.IGNORECASE,
        )
        if pseudonyms
        else None
    )

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            if pattern is None:
                return value
            return pattern.sub(lambda m: pseudonyms[m.group(0).casefold()], value)
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    counter = iter(per_contact)
    copy: dict[str, Any] = {}
    for table, rows in tables.items():
        out = {}
        for record_id, doc in rows.items():
            if table == "partners" and doc.get("contacts"):
                doc = {**doc, "contacts": [_pseudonym(c, next(counter)) for c in doc["contacts"]]}
            out[record_id] = replace(doc)
        copy[table] = out
    return copy


def _pseudonym(contact: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    number = pseudonym.rsplit(" ", 1)[-1]
    return {
        "key": f"person-{number}",
        "name": pseudonym,
        "role": contact.get("role", ""),
        "email": None,
        "phone": "",
        "legal_basis": contact.get("legal_basis"),
        "consents": [],
        "retention_until": contact.get("retention_until"),
        "notes": "",
    }
