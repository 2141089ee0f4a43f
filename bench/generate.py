"""Deterministic, realistic patti stores of 1k, 10k and 100k records, written in seconds.

    python -m bench.generate --size 100k      # build (or find in the cache) and print its path

A store of ``total`` records holds ~5 % partners, ~10 % pacts and ~85 %
activities over ten years (2016-2025), seen "as of" :data:`AS_OF` (its
``_meta.as_of``), so past activities are done or cancelled and later ones
planned, and the agenda's current week has rows. Partners carry Italian
names, zones, themes and contact persons; pacts are of the three built-in
types with details their plugins accept (schools under their institutes,
associations, oratories and one speaker per category, as members in the
right roles), predecessors, indicators; activities have times, places,
participants, audiences and attendance. Records average about 600 bytes.

Going through ``Store.add`` 100,000 times would take hours on the engine
that rewrites the file per commit, so documents are built with the models
(``model_dump(mode="json", exclude={"id"})``: exactly what the store
saves) and the TinyDB file is written at once, with the ``_meta`` record
the store itself writes. The result is then opened with ``Store.open``
and, up to 10k, checked record by record (``Registry.check`` with the
plugins: the store's integrity and every pact's details).

Files are cached under ``bench/.cache`` keyed by size, seed and
:data:`GENERATOR_VERSION`; bump the version whenever the output changes.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patti.core import __version__
from patti.core.demo import ZONES
from patti.core.model import (
    Activity,
    ActivityStatus,
    Pact,
    PactStatus,
    Partner,
    PartnerKind,
)
from patti.core.reference import BASE_THEMES
from patti.core.storage import FORMAT, META_TABLE
from patti.core.store import ENTITY_TABLES, SCHEMA_VERSION, Store
from patti.plugins.school_testimonies import SchoolTestimoniesDetails
from patti.plugins.youth_legality import YouthLegalityDetails

GENERATOR_VERSION = 1
DEFAULT_SEED = 7
SIZES: dict[str, int] = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
CACHE = Path(__file__).resolve().with_name(".cache")

FIRST_YEAR, LAST_YEAR = 2016, 2025
AS_OF = date(2025, 5, 14)
"""The generated store's "today" (a Wednesday during the school year)."""

#: The word the search figure types, key by key: the first association is named after it.
SEARCH_WORD = "melograno"

Tables = dict[str, dict[str, dict[str, Any]]]

# -- Italian-looking vocabulary -------------------------------------------------------------

FIRST_NAMES = (
    "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Davide", "Elena",
    "Matteo", "Laura", "Andrea", "Silvia", "Paolo", "Anna", "Stefano", "Valentina", "Giorgio",
    "Federica", "Simone", "Martina", "Roberto", "Paola", "Fabio", "Lucia", "Giovanni",
)  # fmt: skip
LAST_NAMES = (
    "Rossi", "Bianchi", "Ferrari", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Galli",
    "Conti", "Costa", "Mancini", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
    "Mariani", "Rinaldi", "Caruso", "Gatti", "Pellegrini", "Bassi", "Cattaneo", "Villa",
    "Brambilla", "Riva", "Sala", "Guerini", "Bonizzi",
)  # fmt: skip
TOWNS = (
    "Crema", "Lodi", "Cremona", "Soncino", "Pandino", "Rivolta d'Adda", "Castelleone",
    "Offanengo", "Bagnolo Cremasco", "Vaiano Cremasco", "Casalpusterlengo", "Codogno",
    "Pizzighettone", "Spino d'Adda", "Romanengo", "Trescore Cremasco", "Madignano", "Ripalta",
)  # fmt: skip
ASSOCIATION_PREFIXES = ("Associazione", "Gruppo", "Circolo", "Comitato", "Amici", "Volontari")
ASSOCIATION_NOUNS = (
    "Il Girasole", "L'Arcobaleno", "Il Melograno", "La Quercia", "Il Ponte", "La Rete",
    "Il Faro", "La Bussola", "L'Aquilone", "Il Glicine", "La Lanterna", "Il Mosaico",
    "Il Sorriso", "Il Seme", "La Tenda", "Il Cortile", "Terra Viva", "La Goccia",
    "Il Quadrifoglio", "La Via Lattea", "Il Gelso", "La Sorgente",
)  # fmt: skip
SCHOOL_NAMES = (
    "Alessandro Manzoni", "Dante Alighieri", "Galileo Galilei", "Giuseppe Verdi",
    "Maria Montessori", "Gianni Rodari", "Don Lorenzo Milani", "Leonardo da Vinci",
    "Enrico Fermi", "Rita Levi-Montalcini", "Vailati", "Anna Frank",
)  # fmt: skip
SAINTS = (
    "San Giacomo", "Santa Maria", "San Bernardino", "San Carlo", "Santo Stefano", "San Pietro",
    "San Giovanni Bosco", "Sant'Angela Merici", "San Benedetto", "Santissima Trinità",
    "San Bartolomeo", "San Francesco",
)  # fmt: skip
COMMUNITY_TITLES = (
    "Vicini di casa", "Caffè sospeso", "Nessuno è solo", "Portierato sociale",
    "Orti condivisi", "Merende tra generazioni", "Cortili aperti", "Biblioteca vivente",
    "Custodi del quartiere", "Festa dei vicini", "Spesa solidale", "Camminate di quartiere",
)  # fmt: skip
OBJECTIVES = (
    "Ridurre la solitudine delle persone anziane del quartiere",
    "Far conoscere tra loro le realtà associative locali",
    "Coinvolgere i giovani in attività di volontariato",
    "Creare occasioni di incontro tra generazioni",
    "Promuovere la cura condivisa degli spazi comuni",
    "Sostenere le famiglie nei momenti di fragilità",
    "Diffondere la cultura della legalità tra gli adolescenti",
    "Accogliere i nuovi residenti nella vita del quartiere",
)
TARGET_GROUPS = (
    "anziani soli", "famiglie", "adolescenti", "alunni delle medie", "nuovi residenti",
    "caregiver", "persone con disabilità", "volontari",
)  # fmt: skip
SENTENCES = (
    "Incontro molto partecipato, con buona collaborazione tra le associazioni presenti.",
    "Si è deciso di ripetere l'iniziativa anche il prossimo anno, ampliando gli orari.",
    "Presenti alcuni nuovi volontari: raccogliere i loro contatti per le prossime attività.",
    "La sala era piccola per il numero di partecipanti: valutare uno spazio più grande.",
    "Buon riscontro dalle famiglie, che chiedono un calendario fisso degli appuntamenti.",
    "Da verificare con il Comune la disponibilità degli spazi per la prossima edizione.",
    "Gli insegnanti hanno apprezzato il taglio pratico della testimonianza.",
    "Alcuni partecipanti non conoscevano le attività dell'associazione: distribuiti volantini.",
    "Rinviato di una settimana per maltempo, poi svolto regolarmente.",
    "Serve un referente per la logistica: se ne parlerà alla prossima riunione di rete.",
)
ACTIVITY_TITLES = (
    "Incontro di quartiere", "Caffè insieme", "Laboratorio di cucito", "Tombolata",
    "Camminata del giovedì", "Cena condivisa", "Riunione organizzativa", "Festa di quartiere",
    "Corso di smartphone per anziani", "Lettura ad alta voce", "Pulizia del parco",
)  # fmt: skip
ACTIVITY_KINDS = ("meeting", "event", "workshop", "walk")
TOPICS = (
    "il dono del sangue", "il volontariato in ospedale", "la protezione civile",
    "l'accoglienza dei migranti", "la cura dell'ambiente", "lo sport per tutti",
    "la memoria della Resistenza", "i diritti dei bambini",
)  # fmt: skip
TAGS = ("aps", "odv", "ets", "storico", "rete-giovani", "sportello")
CLASS_LABELS = tuple(f"{grade}{section}" for grade in (1, 2, 3) for section in "ABCDEF")
CLOSURES = (((12, 23), (1, 6)), ((4, 17), (4, 22)))  # Christmas and Easter, roughly
CATEGORY_KINDS = {
    "polizia-locale": PartnerKind.PUBLIC_SERVICE,
    "health": PartnerKind.HEALTH_SERVICE,
    "politics": PartnerKind.INSTITUTION,
    "socio-health": PartnerKind.COOPERATIVE,
}
THEME_KEYS = tuple(t.key for t in BASE_THEMES)
ZONE_KEYS = tuple(z.slug for z in ZONES)

#: Shares of the partners by kind; associations take what is left.
KIND_SHARES: tuple[tuple[PartnerKind, float], ...] = (
    (PartnerKind.SCHOOL_INSTITUTE, 0.04),
    (PartnerKind.SCHOOL, 0.10),
    (PartnerKind.PARISH, 0.08),
    (PartnerKind.PUBLIC_SERVICE, 0.06),
    (PartnerKind.HEALTH_SERVICE, 0.05),
    (PartnerKind.INSTITUTION, 0.05),
    (PartnerKind.COOPERATIVE, 0.07),
    (PartnerKind.BUSINESS, 0.05),
    (PartnerKind.CITIZENS_GROUP, 0.05),
    (PartnerKind.INFORMAL_GROUP, 0.08),
)
TESTIFYING = (PartnerKind.ASSOCIATION, PartnerKind.INFORMAL_GROUP, PartnerKind.CITIZENS_GROUP)
NOT_SCHOOLS = tuple(k for k in PartnerKind if k is not PartnerKind.SCHOOL)


# -- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """A generated store file in the cache and what the benchmarks need to know about it."""

    path: Path
    manifest: dict[str, Any]

    @property
    def total(self) -> int:
        return int(self.manifest["total"])


def parse_size(text: str) -> int:
    """``1k``, ``10k``, ``100k`` or a plain number of records."""
    text = text.strip().lower().replace("_", "")
    if text in SIZES:
        return SIZES[text]
    if text.endswith("k"):
        return int(float(text[:-1]) * 1000)
    return int(text)


def size_label(total: int) -> str:
    return f"{total // 1000}k" if total % 1000 == 0 else str(total)


def cache_path(total: int, seed: int, suffix: str = ".json") -> Path:
    """Where the store (or a file derived from it) of this size, seed and generator lives."""
    return CACHE / f"store-{size_label(total)}-s{seed}-g{GENERATOR_VERSION}{suffix}"


def ensure_store(total: int, seed: int = DEFAULT_SEED, *, log: Any = print) -> Generated:
    """The cached store for ``total`` records, generated, written and verified if missing."""
    path = cache_path(total, seed)
    manifest_path = cache_path(total, seed, ".manifest.json")
    if path.exists() and manifest_path.exists():
        return Generated(path, orjson.loads(manifest_path.read_bytes()))
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tables, manifest = build_tables(total, seed)
    payload = orjson.dumps(tables)
    built = time.perf_counter() - started
    _write_atomically(path, payload)
    manifest.update(
        file_bytes=len(payload),
        bytes_per_record=round(len(payload) / total),
        generate_seconds=round(built, 2),
    )
    log(
        f"generated {size_label(total)} records ({len(payload) / 1e6:.1f} MB, "
        f"{manifest['bytes_per_record']} B/record) in {built:.1f} s: {path}"
    )
    verify(path, thorough=total <= 10_000, log=log)
    _write_atomically(manifest_path, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return Generated(path, manifest)


def verify(path: Path, *, thorough: bool, log: Any = print) -> None:
    """Open the file as patti would; up to 10k records, check every record and pact."""
    from patti.core.plugins import PluginHost
    from patti.core.services import Registry

    started = time.perf_counter()
    with Store.open(path, readonly=True) as store:
        if thorough:
            problems = Registry(store, plugins=PluginHost()).check()
            if problems:
                shown = "\n  ".join(problems[:10])
                raise SystemExit(f"generated store {path} has {len(problems)} problems:\n  {shown}")
    what = "opened and checked" if thorough else "opened"
    log(f"{what} with patti in {time.perf_counter() - started:.1f} s")


def _write_atomically(path: Path, payload: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


# -- the world -------------------------------------------------------------------------------


@dataclass
class _Partner:
    id: int
    kind: PartnerKind
    name: str
    zone: str


@dataclass
class _Pact:
    id: int
    type: str
    year: int
    start: date
    end: date
    members: dict[str, list[int]]
    weight: float
    classes: list[tuple[int, str, int]] = field(default_factory=list)  # school, label, pupils
    groups: list[tuple[int, str, int]] = field(default_factory=list)  # oratory, label, count
    speakers: list[tuple[int, str]] = field(default_factory=list)  # partner, category


def _stamp(day: date, rng: random.Random) -> str:
    """An aware UTC timestamp on ``day`` in office hours, as the store records them."""
    moment = datetime(day.year, day.month, day.day, rng.randint(7, 17), rng.randint(0, 59))
    return moment.replace(tzinfo=UTC).isoformat()


def _of(noun: str) -> str:
    """``noun`` after "di", with the article merged: del Girasole, della Quercia, dell'Aquilone."""
    for article, merged in (("Il ", "del "), ("La ", "della "), ("L'", "dell'")):
        if noun.startswith(article):
            return merged + noun.removeprefix(article)
    return "di " + noun


def _weekday(day: date) -> date:
    """``day`` moved forward to a Monday-to-Friday."""
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


class _Builder:
    """Builds the tables; ids are assigned in creation order, from 1 in each table."""

    def __init__(self, total: int, seed: int) -> None:
        self.rng = random.Random(f"patti-bench-{seed}-{total}")
        self.partner_count = max(30, round(total * 0.05))
        self.pact_count = max(10, round(total * 0.10))
        self.activity_count = total - self.partner_count - self.pact_count
        self.partners: list[_Partner] = []
        self.by_kind: dict[PartnerKind, list[_Partner]] = {k: [] for k in PartnerKind}
        self.pacts: list[_Pact] = []
        self._pools: dict[tuple[PartnerKind, ...], list[_Partner]] = {}
        self.tables: Tables = {t: {} for t in ENTITY_TABLES}

    # -- partners ------------------------------------------------------------------------

    def build_partners(self) -> None:
        counts = {kind: max(2, round(self.partner_count * share)) for kind, share in KIND_SHARES}
        counts[PartnerKind.ASSOCIATION] = self.partner_count - sum(counts.values())
        # Institutes first (schools point at them), the searched association next, then
        # every other kind mixed, as partners join over the years.
        institutes = [PartnerKind.SCHOOL_INSTITUTE] * counts.pop(PartnerKind.SCHOOL_INSTITUTE)
        counts[PartnerKind.ASSOCIATION] -= 1
        others = [k for k, n in counts.items() for _ in range(n)]
        self.rng.shuffle(others)
        for kind in [*institutes, PartnerKind.ASSOCIATION, *others]:
            self._add_partner(kind)

    def _add_partner(self, kind: PartnerKind) -> None:
        rng = self.rng
        pid = len(self.partners) + 1
        town = rng.choice(TOWNS)
        zone = rng.choice(ZONE_KEYS)
        parent_id = None
        if kind is PartnerKind.SCHOOL_INSTITUTE:
            name = f"Istituto Comprensivo {town} {rng.randint(1, 5)}"
        elif kind is PartnerKind.SCHOOL:
            name = f"Scuola secondaria di primo grado «{rng.choice(SCHOOL_NAMES)}» {town}"
            parent_id = rng.choice(self.by_kind[PartnerKind.SCHOOL_INSTITUTE]).id
        elif kind is PartnerKind.PARISH:
            saint = rng.choice(SAINTS)
            name = f"Parrocchia {saint} – Oratorio {town}"
        elif kind is PartnerKind.PUBLIC_SERVICE:
            name = rng.choice(("Polizia Locale", "Servizi Sociali del Comune di", "Biblioteca di"))
            name = f"{name} {town}"
        elif kind is PartnerKind.HEALTH_SERVICE:
            name = f"{rng.choice(('Consultorio familiare', 'Centro Psico-Sociale', 'SerD'))} {town}"
        elif kind is PartnerKind.INSTITUTION:
            name = f"Comune di {town} – Assessorato alle Politiche Sociali"
        elif kind is PartnerKind.COOPERATIVE:
            name = f"Cooperativa Sociale {rng.choice(ASSOCIATION_NOUNS)} {town}"
        elif kind is PartnerKind.BUSINESS:
            name = f"{rng.choice(('Farmacia', 'Panificio', 'Ferramenta'))} {rng.choice(LAST_NAMES)}"
        elif kind is PartnerKind.CITIZENS_GROUP:
            name = f"Comitato di quartiere {town} {rng.choice(ZONES).name}"
        elif kind is PartnerKind.INFORMAL_GROUP:
            name = f"Gruppo informale {rng.choice(ASSOCIATION_NOUNS)} {town}"
        elif not self.by_kind[PartnerKind.ASSOCIATION]:
            name = f"Associazione Il {SEARCH_WORD.capitalize()} {town}"
        else:
            prefix = rng.choice(ASSOCIATION_PREFIXES)
            noun = rng.choice(ASSOCIATION_NOUNS)
            if prefix in ("Amici", "Volontari"):
                noun = _of(noun)
            name = f"{prefix} {noun} {town}"
        founded = date(FIRST_YEAR, 1, 1) + timedelta(days=rng.randrange(365 * 8))
        contacts = []
        for n in range(rng.choice((0, 1, 1, 2))):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            given = founded + timedelta(days=rng.randrange(400))
            contacts.append(
                {
                    "key": f"referente-{n + 1}",
                    "name": f"{first} {last}",
                    "role": rng.choice(("presidente", "referente", "segreteria", "coordinatore")),
                    "email": f"{first}.{last}{n}@example.it".lower(),
                    "phone": f"+39 3{rng.randint(10, 99)} {rng.randint(100, 999)} "
                    f"{rng.randint(1000, 9999)}",
                    "legal_basis": rng.choice(("consent", "legitimate_interest", "public_task")),
                    "consents": [{"purpose": "comunicazioni del patto", "given_on": given}],
                    "retention_until": given + timedelta(days=365 * 5),
                }
            )
        partner = Partner.model_validate(
            {
                "name": name,
                "kind": kind,
                "parent_id": parent_id,
                "zones": rng.sample(ZONE_KEYS, rng.randint(1, 2)),
                "themes": rng.sample(THEME_KEYS, rng.randint(1, 3)),
                "tags": rng.sample(TAGS, rng.randint(0, 2)),
                "notes": rng.choice(SENTENCES) if rng.random() < 0.5 else "",
                "contacts": contacts,
                "revision": rng.randint(1, 4),
                "created_at": _stamp(founded, rng),
                "updated_at": _stamp(founded + timedelta(days=rng.randrange(900)), rng),
            }
        )
        record = _Partner(pid, kind, name, zone)
        self.partners.append(record)
        self.by_kind[kind].append(record)
        self.tables["partners"][str(pid)] = partner.model_dump(mode="json", exclude={"id"})

    # -- pacts ---------------------------------------------------------------------------

    def build_pacts(self) -> None:
        years = list(range(FIRST_YEAR, LAST_YEAR + 1))
        weights = [1 + 0.15 * (y - FIRST_YEAR) for y in years]  # the network grows
        per_year = Counter(self.rng.choices(years, weights, k=self.pact_count))
        previous: dict[str, list[_Pact]] = {}
        for year in years:
            current: dict[str, list[_Pact]] = {}
            for seq in range(1, per_year[year] + 1):
                kind = self.rng.choices(
                    ("community_ties", "school_testimonies", "youth_legality"), (6, 2, 2)
                )[0]
                predecessors = previous.get(kind, [])
                predecessor = None
                if predecessors and self.rng.random() < 0.3:
                    predecessor = predecessors.pop(self.rng.randrange(len(predecessors)))
                pact = self._add_pact(kind, year, seq, predecessor)
                current.setdefault(kind, []).append(pact)
            previous = current

    def _status(self, start: date, end: date) -> PactStatus:
        roll = self.rng.random()
        if roll < 0.04:
            return PactStatus.CANCELLED
        if end < AS_OF:
            return PactStatus.CONCLUDED if roll < 0.95 else PactStatus.ACTIVE
        if start <= AS_OF:
            return PactStatus.ACTIVE
        return PactStatus.PROPOSED if roll < 0.6 else PactStatus.DRAFT

    def _pick(self, kinds: tuple[PartnerKind, ...], low: int, high: int) -> list[_Partner]:
        if kinds not in self._pools:
            self._pools[kinds] = [p for p in self.partners if p.kind in kinds]
        pool = self._pools[kinds]
        return self.rng.sample(pool, min(len(pool), self.rng.randint(low, high)))

    def _add_pact(self, kind: str, year: int, seq: int, predecessor: _Pact | None) -> _Pact:
        rng = self.rng
        pid = len(self.pacts) + 1
        town = rng.choice(TOWNS)
        members: dict[str, list[int]] = {}
        details: dict[str, Any]
        info: _Pact
        if kind == "school_testimonies":
            start, end = date(year, 9, 15), date(year + 1, 6, 10)
            schools = self._pick((PartnerKind.SCHOOL,), 1, 3)
            associations = self._pick(TESTIFYING, 2, 6)
            institutes = sorted({self._parent(s.id) for s in schools})
            members = {
                "school_institute": institutes,
                "school": [s.id for s in schools],
                "association": [a.id for a in associations],
            }
            info = _Pact(pid, kind, year, start, end, members, weight=2.0)
            school_entries = []
            for school in schools:
                labels = sorted(rng.sample(CLASS_LABELS, rng.randint(3, 6)))
                listed = [(school.id, label, rng.randint(17, 28)) for label in labels]
                info.classes += listed
                classes = [
                    {"label": label, "grade": int(label[0]), "pupils": pupils}
                    for _school, label, pupils in listed
                ]
                school_entries.append({"partner_id": school.id, "classes": classes})
            details = SchoolTestimoniesDetails.model_validate(
                {
                    "school_year": f"{year}/{(year + 1) % 100:02d}",
                    "window_start": date(year, 10, 1),
                    "window_end": date(year + 1, 5, 31),
                    "excluded_periods": [
                        {"start": date(year, *CLOSURES[0][0]), "end": date(year + 1, 1, 6)},
                        {"start": date(year + 1, 4, 17), "end": date(year + 1, 4, 22)},
                    ],
                    "schools": school_entries,
                    "associations": [
                        {
                            "partner_id": a.id,
                            "topics": rng.sample(TOPICS, rng.randint(1, 2)),
                            "weekdays": sorted(rng.sample(range(5), rng.randint(1, 3))),
                            "max_visits": rng.randint(3, 10),
                        }
                        for a in associations
                    ],
                    "testimonies_per_class": 2,
                    "min_days_between_visits_to_a_class": 21,
                }
            ).model_dump(mode="json")
            title = f"Testimonianze nelle scuole {year}/{(year + 1) % 100:02d} – {town}"
            themes = ["volunteering", "active-citizenship"]
        elif kind == "youth_legality":
            start, end = date(year, 5, 1), date(year, 8, 31)
            oratories = self._pick((PartnerKind.PARISH,), 1, 3)
            speakers = [
                (rng.choice(self.by_kind[k]).id, category) for category, k in CATEGORY_KINDS.items()
            ]
            members = {
                "host": [o.id for o in oratories],
                "speaker": sorted({s for s, _c in speakers}),
            }
            info = _Pact(pid, kind, year, start, end, members, weight=1.5, speakers=speakers)
            june = date(year, 6, 1)
            first_monday = june + timedelta(days=(7 - june.weekday()) % 7)
            sites = []
            for oratory in oratories:
                weeks = [first_monday + timedelta(weeks=w) for w in range(rng.randint(3, 6))]
                ages = rng.sample(("11-13", "14-15", "16-17"), rng.randint(1, 3))
                found = [
                    (oratory.id, f"Grest {year} – gruppo {a} anni", rng.randint(10, 40))
                    for a in ages
                ]
                info.groups += found
                groups = [
                    {"label": label, "adolescents": count, "age_range": a}
                    for (_site, label, count), a in zip(found, ages, strict=True)
                ]
                sites.append({"partner_id": oratory.id, "weeks": weeks, "groups": groups})
            details = YouthLegalityDetails.model_validate(
                {
                    "summer": year,
                    "host_sites": sites,
                    "speakers": [
                        {
                            "partner_id": speaker,
                            "category": category,
                            "weekdays": sorted(rng.sample(range(5), rng.randint(2, 5))),
                        }
                        for speaker, category in speakers
                    ],
                    "session_minutes": 90,
                }
            ).model_dump(mode="json")
            title = f"Legalità al Grest {year} – {town}"
            themes = ["legality", "prevention", "youth"]
        else:
            start = date(year, 1, 1) + timedelta(days=rng.randrange(330))
            end = start + timedelta(days=rng.randint(180, 540))
            chosen = self._pick(NOT_SCHOOLS, 3, 8)
            members = {"lead": [chosen[0].id], "partner": [p.id for p in chosen[1:-1]]}
            if rng.random() < 0.6:
                members["host"] = [chosen[-1].id]
            else:
                members["partner"].append(chosen[-1].id)
            info = _Pact(pid, kind, year, start, end, members, weight=1.0)
            details = {
                "meeting_place": f"Sala civica di {town}",
                "frequency": rng.choice(("settimanale", "quindicinale", "mensile")),
                "open_to_all": rng.random() < 0.8,
            }
            title = f"{rng.choice(COMMUNITY_TITLES)} – {town} {year}"
            themes = ["loneliness", "mutual-knowledge"]
        themes += rng.sample([t for t in THEME_KEYS if t not in themes], rng.randint(0, 2))
        status = self._status(start, end)
        activities = rng.randint(5, 30)
        indicators = [
            {"key": "meetings", "label": "Incontri realizzati", "unit": "incontri", "target": 10},
            {"key": "participants", "label": "Partecipanti", "unit": "persone", "target": 50},
        ]
        if status is PactStatus.CONCLUDED:
            indicators[0]["actual"] = activities
            indicators[1]["actual"] = rng.randint(20, 120)
        pact = Pact.model_validate(
            {
                "code": f"PdC-{year}-{seq:03d}",
                "title": title,
                "type": kind,
                "status": status,
                "year": year,
                "start": start,
                "end": end,
                "zones": rng.sample(ZONE_KEYS, rng.randint(1, 3)),
                "themes": themes,
                "objectives": rng.sample(OBJECTIVES, rng.randint(1, 3)),
                "target_groups": rng.sample(TARGET_GROUPS, rng.randint(1, 2)),
                "members": [
                    {"partner_id": partner_id, "role": role, "start": start}
                    for role, ids in members.items()
                    for partner_id in ids
                ],
                "predecessor_id": predecessor.id if predecessor else None,
                "details": details,
                "indicators": indicators,
                "notes": " ".join(rng.sample(SENTENCES, rng.randint(0, 2))),
                "revision": rng.randint(1, 6),
                "created_at": _stamp(start - timedelta(days=rng.randint(10, 60)), rng),
                "updated_at": _stamp(min(end, AS_OF), rng),
            }
        )
        self.pacts.append(info)
        self.tables["pacts"][str(pid)] = pact.model_dump(mode="json", exclude={"id"})
        return info

    def _parent(self, school_id: int) -> int:
        parent = self.tables["partners"][str(school_id)]["parent_id"]
        assert isinstance(parent, int)
        return parent

    # -- activities ------------------------------------------------------------------------

    def build_activities(self) -> None:
        rng = self.rng
        # A few in the week around AS_OF, so the agenda opens on rows at every size.
        current = [p for p in self.pacts if p.start <= AS_OF <= p.end] or self.pacts
        this_week = max(5, self.activity_count // 200)
        monday = AS_OF - timedelta(days=AS_OF.weekday())
        planned: list[tuple[_Pact, date]] = [
            (rng.choice(current), monday + timedelta(days=rng.randrange(5)))
            for _ in range(this_week)
        ]
        chosen = rng.choices(
            self.pacts, [p.weight for p in self.pacts], k=self.activity_count - this_week
        )
        planned += [(pact, self._day(pact)) for pact in chosen]
        planned.sort(key=lambda item: (item[1], item[0].id))
        for aid, (pact, day) in enumerate(planned, 1):
            self.tables["activities"][str(aid)] = self._activity(pact, day)

    def _day(self, pact: _Pact) -> date:
        rng = self.rng
        if pact.type == "school_testimonies":
            day = date(pact.year, 10, 1) + timedelta(days=rng.randrange(235))
        elif pact.type == "youth_legality":
            day = date(pact.year, 6, 1) + timedelta(days=rng.randrange(50))
        else:
            day = pact.start + timedelta(days=rng.randrange((pact.end - pact.start).days + 1))
        return _weekday(day)

    def _activity(self, pact: _Pact, day: date) -> dict[str, Any]:
        rng = self.rng
        members = pact.members
        place_partner_id: int | None
        if pact.type == "school_testimonies" and pact.classes:
            school, label, pupils = rng.choice(pact.classes)
            association = rng.choice(members["association"])
            hour, minutes, kind = rng.choice((9, 11)), 120, "testimony"
            title = f"Testimonianza di {self.partners[association - 1].name} in {label}"
            place_partner_id, place, partner_ids = school, "", [association]
            audience, count = f"classe {label}", pupils
        elif pact.type == "youth_legality" and pact.groups:
            oratory, group, count = rng.choice(pact.groups)
            speaker, _category = rng.choice(pact.speakers)
            hour, minutes, kind = rng.choice((10, 15)), 90, "talk"
            title = f"Incontro con {self.partners[speaker - 1].name} – {group}"
            place_partner_id, place, partner_ids = oratory, "", [speaker]
            audience = group
        else:
            everyone = [p for ids in members.values() for p in ids]
            hour, minutes = rng.choice((10, 15, 17, 20)), rng.choice((60, 90, 120))
            kind = rng.choice(ACTIVITY_KINDS)
            title = rng.choice(ACTIVITY_TITLES)
            hosts = members.get("host")
            place_partner_id = hosts[0] if hosts and rng.random() < 0.7 else None
            place = "" if place_partner_id else f"Sala civica, {rng.choice(ZONES).name}"
            partner_ids = rng.sample(everyone, min(len(everyone), rng.randint(1, 3)))
            audience = rng.choice(("cittadini del quartiere", "anziani", "famiglie", "volontari"))
            count = rng.randint(8, 60)
        starts = datetime(day.year, day.month, day.day, hour, rng.choice((0, 0, 30)))
        if day < AS_OF:
            roll = rng.random()
            status = (
                ActivityStatus.DONE
                if roll < 0.85
                else ActivityStatus.CANCELLED
                if roll < 0.93
                else ActivityStatus.PLANNED  # overdue: not recorded yet
            )
        else:
            status = ActivityStatus.PLANNED
        done = status is ActivityStatus.DONE
        created = day - timedelta(days=rng.randint(7, 60))
        activity = Activity.model_validate(
            {
                "pact_id": pact.id,
                "title": title,
                "kind": kind,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=minutes),
                "place_partner_id": place_partner_id,
                "place": place,
                "partner_ids": partner_ids,
                "audience": audience,
                "audience_count": count,
                "attendance": max(0, count - rng.randint(0, count // 3)) if done else None,
                "status": status,
                "notes": " ".join(rng.sample(SENTENCES, rng.choice((0, 1, 1, 2, 2, 3)))),
                "revision": 2 if done else 1,
                "created_at": _stamp(created, rng),
                "updated_at": _stamp(day if done else created, rng),
            }
        )
        return activity.model_dump(mode="json", exclude={"id"})


def build_tables(total: int, seed: int = DEFAULT_SEED) -> tuple[Tables, dict[str, Any]]:
    """Every table of a store of about ``total`` records, and a manifest describing it."""
    builder = _Builder(total, seed)
    builder.build_partners()
    builder.build_pacts()
    builder.build_activities()
    tables = builder.tables
    years = Counter(doc["starts_at"][:4] for doc in tables["activities"].values())
    counts = {name: len(tables[name]) for name in ENTITY_TABLES}
    meta = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).isoformat(),
        "created_by": __version__,
        "last_ids": dict(counts),
        "as_of": AS_OF.isoformat(),
    }
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "total": sum(counts.values()),
        "counts": counts,
        "as_of": AS_OF.isoformat(),
        "busiest_year": int(max(years, key=lambda y: (years[y], y))),
        "activities_per_year": {y: years[y] for y in sorted(years)},
        "search_word": SEARCH_WORD,
    }
    return {META_TABLE: {"1": meta}, **tables}, manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", help="1k, 10k, 100k (repeatable)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="generate again even if cached")
    args = parser.parse_args(argv)
    for text in args.size or ["1k", "10k"]:
        for part in text.split(","):
            total = parse_size(part)
            if args.force:
                for suffix in (".json", ".manifest.json"):
                    cache_path(total, args.seed, suffix).unlink(missing_ok=True)
            print(ensure_store(total, args.seed).path)


if __name__ == "__main__":
    main()
