"""The demo store: two years of community pacts in Crema, with invented partners.

The demo mirrors a real annual report ("this year seven community pacts were
activated… the number of partners involved grew compared with past years"):
2020 is a small year of three pacts, 2021 has seven, the network grows and a
few 2020 partners do not come back, so reports can show new, returning and
lost partners. Every organisation and person is invented, tagged ``demo`` and
says so in its notes.

The world is described by module constants (zones, themes, schools and their
classes, the associations of the testimonies pact, oratories and speakers of
the youth-legality talks, the other pacts) so that plugins can derive pact
details and planners from the same facts the store was built from. The build
is deterministic: the only randomness is ``random.Random(SEED)``, and the
demo is seen "as of" :data:`AS_OF` rather than today, so activities before it
are done and later ones planned whatever day it is run.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from .errors import PattiError
from .i18n import _
from .model import (
    Activity,
    ActivityStatus,
    Consent,
    ContactPerson,
    Indicator,
    LegalBasis,
    Membership,
    Pact,
    PactStatus,
    Partner,
    PartnerKind,
    Record,
)
from .reference import BASE_THEMES
from .store import Store

__all__ = [
    "ASSOCIATIONS",
    "AS_OF",
    "COMMUNITY_PACTS",
    "CONTACTS",
    "DEMO_NOTE",
    "DEMO_TAG",
    "DEMO_VERSION",
    "INSTITUTES",
    "ORATORIES",
    "OTHER_PARTNERS",
    "PACTS",
    "PROMOTER",
    "SCHOOL_CLOSURES",
    "SEED",
    "SPEAKERS",
    "SPEAKER_CATEGORIES",
    "TESTIMONIES_PACT",
    "TESTIMONY_GAP",
    "TESTIMONY_SLOTS",
    "TESTIMONY_WINDOW",
    "THEMES",
    "YOUTH_EDITIONS",
    "ZONES",
    "Association",
    "DemoContact",
    "DemoPartner",
    "EventSpec",
    "GrestGroup",
    "IndicatorSpec",
    "Institute",
    "Member",
    "Oratory",
    "PactSpec",
    "School",
    "SchoolClass",
    "Speaker",
    "SpeakerCategory",
    "TestimonyVisit",
    "YouthEdition",
    "YouthTalk",
    "Zone",
    "build_demo",
    "demo_partners",
    "ensure_demo",
    "plan_testimonies",
    "plan_youth_talks",
    "testimonies_details",
    "youth_details",
]

DEMO_VERSION = 1
SEED = 2021
DEMO_TAG = "demo"
AS_OF = date(2022, 1, 1)
"""The demo's "today": activities before it are done, later ones planned."""

DEMO_NOTE = (
    "Dati dimostrativi: organizzazione inventata per la demo di patti, "
    "non corrisponde a nessuna realtà esistente."
)
DEMO_PACT_NOTE = "Patto dimostrativo: dati inventati a scopo di esempio."
DEMO_CONTACT_NOTE = "Persona inventata per la demo: non corrisponde a nessuno."


# -- reference data ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Zone:
    """A neighbourhood (quartiere) of Crema."""

    slug: str
    name: str


ZONES: tuple[Zone, ...] = (
    Zone("centro-storico", "Centro storico"),
    Zone("ombriano", "Ombriano"),
    Zone("san-bernardino", "San Bernardino"),
    Zone("santa-maria-della-croce", "Santa Maria della Croce"),
    Zone("castelnuovo", "Castelnuovo"),
    Zone("crema-nuova", "Crema Nuova"),
    Zone("sabbioni", "Sabbioni"),
    Zone("san-carlo", "San Carlo"),
    Zone("vergonzana", "Vergonzana"),
    Zone("santo-stefano", "Santo Stefano in Vairano"),
)

#: The themes the demo uses: the core's base taxonomy.
THEMES = BASE_THEMES


# -- partners ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoPartner:
    """A partner as the build adds it; ``key`` names it inside the demo only."""

    key: str
    name: str
    kind: PartnerKind
    zone: str
    themes: tuple[str, ...] = ()
    parent: str | None = None
    details: str = ""
    """Extra lines for the notes, after the demo disclaimer."""


@dataclass(frozen=True, slots=True)
class SchoolClass:
    """A class of a lower-secondary school: pupils are a count, never names."""

    label: str
    grade: int
    pupils: int


@dataclass(frozen=True, slots=True)
class School:
    """A scuola secondaria di primo grado and the classes the testimonies reach."""

    key: str
    name: str
    zone: str
    classes: tuple[SchoolClass, ...]


@dataclass(frozen=True, slots=True)
class Institute:
    """An Istituto Comprensivo with its lower-secondary school."""

    key: str
    name: str
    zone: str
    school: School


@dataclass(frozen=True, slots=True)
class Association:
    """An association or informal group that testifies in school classes."""

    key: str
    name: str
    kind: PartnerKind
    zone: str
    topics: tuple[str, ...]
    weekdays: tuple[int, ...]
    """Days it can visit a class, 0 = Monday … 6 = Sunday (``date.weekday()``)."""
    max_visits: int
    themes: tuple[str, ...] = ("volunteering",)


@dataclass(frozen=True, slots=True)
class GrestGroup:
    """A group of adolescents at a summer Grest: a label and a count, never people."""

    summer: int
    ages: str
    adolescents: int

    @property
    def label(self) -> str:
        return f"Grest {self.summer} – gruppo {self.ages} anni"


@dataclass(frozen=True, slots=True)
class Oratory:
    """A parish oratory that hosts the youth-legality talks at its Grest."""

    key: str
    name: str
    zone: str
    groups: tuple[GrestGroup, ...]


@dataclass(frozen=True, slots=True)
class SpeakerCategory:
    """One of the kinds of speaker every Grest group meets once."""

    slug: str
    name: str
    english: str


@dataclass(frozen=True, slots=True)
class Speaker:
    """A partner that speaks to the Grest groups in the summers listed."""

    key: str
    name: str
    kind: PartnerKind
    category: str
    zone: str
    talk: str
    summers: tuple[int, ...]


def _classes(*specs: str) -> tuple[SchoolClass, ...]:
    """Classes from compact ``"2A:24"`` specs: the grade is the label's digit."""
    out = []
    for spec in specs:
        label, pupils = spec.split(":")
        out.append(SchoolClass(label=label, grade=int(label[0]), pupils=int(pupils)))
    return tuple(out)


PROMOTER = DemoPartner(
    key="servizio-comunita",
    name="Comune di Crema – Servizio lavoro sociale di comunità (demo)",
    kind=PartnerKind.PUBLIC_SERVICE,
    zone="centro-storico",
    themes=("active-citizenship", "mutual-knowledge"),
    details="Promuove e accompagna tutti i patti di comunità della demo.",
)

INSTITUTES: tuple[Institute, ...] = (
    Institute(
        key="ic-fontanili",
        name="Istituto Comprensivo «I Fontanili»",
        zone="ombriano",
        school=School(
            key="smi-cascina-gelsi",
            name="Scuola secondaria di primo grado «Cascina dei Gelsi»",
            zone="ombriano",
            classes=_classes(
                "1A:22", "1B:21", "1C:19", "2A:24", "2B:23", "2C:20", "3A:25", "3B:22"
            ),
        ),
    ),
    Institute(
        key="ic-tre-rogge",
        name="Istituto Comprensivo «Tre Rogge»",
        zone="san-bernardino",
        school=School(
            key="smi-ponte-salici",
            name="Scuola secondaria di primo grado «Ponte dei Salici»",
            zone="san-bernardino",
            classes=_classes("1A:18", "1B:20", "2A:23", "2B:21", "3A:26", "3B:24"),
        ),
    ),
    Institute(
        key="ic-porta-tigli",
        name="Istituto Comprensivo «Porta dei Tigli»",
        zone="centro-storico",
        school=School(
            key="smi-giardino-tigli",
            name="Scuola secondaria di primo grado «Giardino dei Tigli»",
            zone="centro-storico",
            classes=_classes(
                "1A:24", "1B:23", "1C:22", "2A:25", "2B:27", "2C:21", "3A:26", "3B:24", "3C:19"
            ),
        ),
    ),
    Institute(
        key="ic-campi-alti",
        name="Istituto Comprensivo «Campi Alti»",
        zone="santa-maria-della-croce",
        school=School(
            key="smi-le-rondini",
            name="Scuola secondaria di primo grado «Le Rondini»",
            zone="santa-maria-della-croce",
            classes=_classes("1A:20", "1B:19", "2A:22", "2B:24", "3A:23", "3B:21", "3C:18"),
        ),
    ),
)

_ASSOC = PartnerKind.ASSOCIATION
_GROUP = PartnerKind.INFORMAL_GROUP

ASSOCIATIONS: tuple[Association, ...] = (
    Association(
        "mani-aperte",
        "Associazione Mani Aperte",
        _ASSOC,
        "centro-storico",
        ("accoglienza delle persone senza dimora", "il dormitorio invernale"),
        (0, 2, 4),
        4,
        ("volunteering", "loneliness"),
    ),
    Association(
        "goccia-rossa",
        "Associazione Goccia Rossa – donatori di sangue",
        _ASSOC,
        "crema-nuova",
        ("il dono del sangue", "stili di vita sani"),
        (1, 3),
        4,
        ("volunteering", "health"),
    ),
    Association(
        "ponti-di-carta",
        "Associazione Ponti di Carta",
        _ASSOC,
        "ombriano",
        ("doposcuola per ragazzi stranieri", "l'italiano come seconda lingua"),
        (0, 1, 3),
        4,
        ("volunteering", "mutual-knowledge"),
    ),
    Association(
        "banca-tempo-san-carlo",
        "Banca del Tempo di San Carlo",
        _ASSOC,
        "san-carlo",
        ("scambiare tempo e competenze",),
        (2, 4),
        3,
        ("active-citizenship", "mutual-knowledge"),
    ),
    Association(
        "nonni-vigili",
        "Nonni vigili di Crema Nuova",
        _GROUP,
        "crema-nuova",
        ("sicurezza davanti alle scuole", "anziani attivi nel quartiere"),
        (0, 1, 2, 3, 4),
        3,
        ("intergenerational", "active-citizenship"),
    ),
    Association(
        "sorrisi-in-corsia",
        "Associazione Sorrisi in Corsia",
        _ASSOC,
        "santa-maria-della-croce",
        ("la clownterapia in ospedale",),
        (1, 4),
        4,
        ("volunteering", "health"),
    ),
    Association(
        "orti-vergonzana",
        "Orti condivisi di Vergonzana",
        _GROUP,
        "vergonzana",
        ("l'orto come bene comune",),
        (2, 3),
        3,
        ("active-citizenship", "intergenerational"),
    ),
    Association(
        "serio-basket",
        "Associazione sportiva Serio Basket Insieme",
        _ASSOC,
        "sabbioni",
        ("sport inclusivo e disabilità",),
        (0, 2),
        4,
        ("volunteering", "youth"),
    ),
    Association(
        "la-lanterna",
        "Associazione culturale La Lanterna",
        _ASSOC,
        "centro-storico",
        ("memoria e storia del territorio",),
        (1, 2, 3),
        3,
        ("active-citizenship", "intergenerational"),
    ),
    Association(
        "pc-le-rogge",
        "Gruppo volontari di protezione civile «Le Rogge»",
        _ASSOC,
        "castelnuovo",
        ("prevenzione dei rischi", "il volontariato nelle emergenze"),
        (0, 3, 4),
        5,
        ("volunteering", "prevention"),
    ),
    Association(
        "genitori-in-rete",
        "Associazione Genitori in Rete",
        _ASSOC,
        "san-bernardino",
        ("uso consapevole di internet", "prevenire il cyberbullismo"),
        (0, 1, 2, 3, 4),
        5,
        ("prevention", "youth"),
    ),
    Association(
        "ciclofficina-serio",
        "Ciclofficina popolare del Serio",
        _GROUP,
        "san-bernardino",
        ("riparare insieme", "mobilità sostenibile"),
        (1, 3),
        3,
        ("active-citizenship", "youth"),
    ),
    Association(
        "ali-accoglienza",
        "Associazione Ali per l'Accoglienza",
        _ASSOC,
        "ombriano",
        ("storie di migrazione", "l'accoglienza dei richiedenti asilo"),
        (0, 2, 4),
        4,
        ("mutual-knowledge", "volunteering"),
    ),
    Association(
        "code-felici",
        "Associazione Code Felici",
        _ASSOC,
        "vergonzana",
        ("la cura degli animali abbandonati",),
        (2, 4),
        3,
        ("volunteering",),
    ),
    Association(
        "teatro-sabbioni",
        "Compagnia teatrale dei Sabbioni",
        _ASSOC,
        "sabbioni",
        ("il teatro sociale",),
        (1, 2),
        3,
        ("mutual-knowledge", "intergenerational"),
    ),
    Association(
        "sentieri-solidali",
        "Associazione Sentieri Solidali",
        _ASSOC,
        "santo-stefano",
        ("accompagnare in montagna persone con disabilità",),
        (0, 4),
        3,
        ("volunteering", "health"),
    ),
    Association(
        "mamme-in-cammino",
        "Mamme in cammino",
        _GROUP,
        "santa-maria-della-croce",
        ("reti di mutuo aiuto tra famiglie",),
        (1, 2, 3),
        3,
        ("mutual-knowledge", "loneliness"),
    ),
    Association(
        "filo-solidale",
        "Associazione Filo Solidale – compagnia agli anziani",
        _ASSOC,
        "castelnuovo",
        ("visite agli anziani soli", "telefonate di compagnia"),
        (0, 1, 3),
        4,
        ("loneliness", "intergenerational"),
    ),
    Association(
        "emporio-solidale",
        "Associazione Emporio Solidale",
        _ASSOC,
        "crema-nuova",
        ("lo spreco alimentare", "la spesa per le famiglie in difficoltà"),
        (2, 3, 4),
        4,
        ("volunteering", "active-citizenship"),
    ),
)

SPEAKER_CATEGORIES: tuple[SpeakerCategory, ...] = (
    SpeakerCategory("police", "Polizia Locale", "Local police"),
    SpeakerCategory("health", "Salute", "Health"),
    SpeakerCategory("politics", "Politica locale", "Local politics"),
    SpeakerCategory("socio-health", "Operatori sociosanitari", "Socio-health workers"),
)

SPEAKERS: tuple[Speaker, ...] = (
    Speaker(
        "polizia-locale",
        "Polizia Locale – nucleo di prossimità (demo)",
        PartnerKind.PUBLIC_SERVICE,
        "police",
        "centro-storico",
        "Legalità, sicurezza stradale e uso dei social",
        (2021, 2022),
    ),
    Speaker(
        "consultorio-adolescenti",
        "Consultorio familiare – équipe adolescenti (demo)",
        PartnerKind.HEALTH_SERVICE,
        "health",
        "crema-nuova",
        "Affettività, salute e dipendenze",
        (2021, 2022),
    ),
    Speaker(
        "commissione-giovani",
        "Consiglio comunale – commissione politiche giovanili (demo)",
        PartnerKind.INSTITUTION,
        "politics",
        "centro-storico",
        "Come funziona il Comune: partecipare e decidere",
        (2021, 2022),
    ),
    Speaker(
        "coop-girasole",
        "Cooperativa sociale Il Girasole",
        PartnerKind.COOPERATIVE,
        "socio-health",
        "san-carlo",
        "Educativa di strada e ascolto",
        (2021,),
    ),
    Speaker(
        "coop-strade-nuove",
        "Cooperativa sociale Strade Nuove",
        PartnerKind.COOPERATIVE,
        "socio-health",
        "ombriano",
        "Prevenzione dei comportamenti a rischio",
        (2022,),
    ),
)

ORATORIES: tuple[Oratory, ...] = (
    Oratory(
        "oratorio-cortile",
        "Oratorio «Il Cortile»",
        "san-bernardino",
        (
            GrestGroup(2021, "14-17", 31),
            GrestGroup(2022, "14-17", 34),
        ),
    ),
    Oratory(
        "oratorio-fontana",
        "Oratorio «La Fontana»",
        "ombriano",
        (
            GrestGroup(2021, "14-17", 38),
            GrestGroup(2022, "14-15", 24),
            GrestGroup(2022, "16-17", 21),
        ),
    ),
    Oratory(
        "oratorio-campo-aperto",
        "Oratorio «Campo Aperto»",
        "castelnuovo",
        (GrestGroup(2021, "14-17", 22),),
    ),
    Oratory(
        "oratorio-il-ponte",
        "Oratorio «Il Ponte»",
        "santa-maria-della-croce",
        (GrestGroup(2022, "14-17", 29),),
    ),
    Oratory(
        "oratorio-girandola",
        "Oratorio «La Girandola»",
        "sabbioni",
        (GrestGroup(2022, "14-17", 25),),
    ),
)

OTHER_PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        "servizio-sociale",
        "Servizi sociali del Comune – area anziani e fragilità (demo)",
        PartnerKind.PUBLIC_SERVICE,
        "centro-storico",
        ("loneliness",),
    ),
    DemoPartner(
        "promozione-salute",
        "Servizio di promozione della salute – gruppi di cammino (demo)",
        PartnerKind.HEALTH_SERVICE,
        "crema-nuova",
        ("health", "prevention"),
    ),
    DemoPartner(
        "coop-telaio",
        "Cooperativa sociale Il Telaio",
        PartnerKind.COOPERATIVE,
        "santa-maria-della-croce",
        ("loneliness", "mutual-knowledge"),
    ),
    DemoPartner(
        "comitato-santa-maria",
        "Comitato di quartiere Santa Maria",
        PartnerKind.CITIZENS_GROUP,
        "santa-maria-della-croce",
        ("active-citizenship",),
    ),
    DemoPartner(
        "centro-anziani-glicine",
        "Centro anziani «Il Glicine»",
        PartnerKind.ASSOCIATION,
        "sabbioni",
        ("loneliness", "health"),
    ),
    DemoPartner(
        "bar-il-portico",
        "Bar Il Portico",
        PartnerKind.BUSINESS,
        "ombriano",
        ("loneliness", "mutual-knowledge"),
    ),
    DemoPartner(
        "biblioteca-crema-nuova",
        "Biblioteca di quartiere di Crema Nuova (demo)",
        PartnerKind.PUBLIC_SERVICE,
        "crema-nuova",
        ("mutual-knowledge",),
    ),
    DemoPartner(
        "amici-vergonzana",
        "Associazione Amici di Vergonzana",
        PartnerKind.ASSOCIATION,
        "vergonzana",
        ("mutual-knowledge", "active-citizenship"),
    ),
    DemoPartner(
        "comitato-genitori-santo-stefano",
        "Comitato genitori di Santo Stefano",
        PartnerKind.CITIZENS_GROUP,
        "santo-stefano",
        ("intergenerational",),
    ),
    # Partners of 2020 only: the network "lost" them in 2021.
    DemoPartner(
        "alimentari-da-rina",
        "Alimentari Da Rina",
        PartnerKind.BUSINESS,
        "san-carlo",
        ("loneliness",),
    ),
    DemoPartner(
        "vicini-solidali",
        "Vicini solidali di San Carlo",
        PartnerKind.CITIZENS_GROUP,
        "san-carlo",
        ("loneliness", "active-citizenship"),
    ),
    DemoPartner(
        "caffe-e-chiacchiere",
        "Gruppo Caffè e chiacchiere",
        PartnerKind.INFORMAL_GROUP,
        "ombriano",
        ("loneliness",),
    ),
)


_WEEKDAYS_IT = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")


def demo_partners() -> tuple[DemoPartner, ...]:
    """Every demo partner in the order the build adds them (parents before children)."""
    out: list[DemoPartner] = [PROMOTER]
    for ic in INSTITUTES:
        out.append(DemoPartner(ic.key, ic.name, PartnerKind.SCHOOL_INSTITUTE, ic.zone, ("youth",)))
        classes = ", ".join(f"{c.label} ({c.pupils})" for c in ic.school.classes)
        out.append(
            DemoPartner(
                ic.school.key,
                ic.school.name,
                PartnerKind.SCHOOL,
                ic.school.zone,
                ("youth",),
                parent=ic.key,
                details=f"Classi (numero di studenti): {classes}.",
            )
        )
    for a in ASSOCIATIONS:
        days = ", ".join(_WEEKDAYS_IT[d] for d in a.weekdays)
        details = (
            f"Testimonianze: {'; '.join(a.topics)}. "
            f"Disponibile {days}; al massimo {a.max_visits} visite all'anno."
        )
        out.append(DemoPartner(a.key, a.name, a.kind, a.zone, a.themes, details=details))
    for o in ORATORIES:
        out.append(DemoPartner(o.key, o.name, PartnerKind.PARISH, o.zone, ("youth",)))
    for s in SPEAKERS:
        out.append(DemoPartner(s.key, s.name, s.kind, s.zone, ("legality", "prevention", "youth")))
    out.extend(OTHER_PARTNERS)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DemoContact:
    """An invented adult contact person of a partner, with GDPR fields."""

    partner: str
    key: str
    name: str
    role: str
    email: str
    phone: str
    legal_basis: LegalBasis
    retention_until: date
    consents: tuple[tuple[str, date, date | None], ...] = ()
    """(purpose, given on, withdrawn on)."""


CONTACTS: tuple[DemoContact, ...] = (
    DemoContact(
        "servizio-comunita",
        "referente-patti",
        "Elena Bressani",
        "Assistente sociale, referente dei patti di comunità",
        "elena.bressani@example.org",
        "0373 000 101",
        LegalBasis.PUBLIC_TASK,
        date(2027, 12, 31),
    ),
    DemoContact(
        "ic-fontanili",
        "dirigente",
        "Marta Cerioli",
        "Dirigente scolastica",
        "marta.cerioli@example.org",
        "0373 000 202",
        LegalBasis.PUBLIC_TASK,
        date(2026, 8, 31),
    ),
    DemoContact(
        "mani-aperte",
        "presidente",
        "Paolo Redondi",
        "Presidente",
        "paolo.redondi@example.org",
        "+39 333 000 0303",
        LegalBasis.CONSENT,
        date(2026, 9, 30),
        (("Contatti per i patti di comunità", date(2021, 9, 15), None),),
    ),
    DemoContact(
        "polizia-locale",
        "referente-prossimita",
        "Luca Tadini",
        "Commissario, nucleo di prossimità",
        "luca.tadini@example.org",
        "0373 000 404",
        LegalBasis.PUBLIC_TASK,
        date(2027, 12, 31),
    ),
    DemoContact(
        "coop-telaio",
        "coordinatrice",
        "Sara Donelli",
        "Coordinatrice della portineria di comunità",
        "sara.donelli@example.org",
        "0373 000 505",
        LegalBasis.CONTRACT,
        date(2026, 12, 31),
    ),
    DemoContact(
        "alimentari-da-rina",
        "titolare",
        "Rina Ogliari",
        "Titolare",
        "rina.ogliari@example.org",
        "0373 000 606",
        LegalBasis.CONSENT,
        date(2023, 12, 31),
        (("Contatti per la spesa solidale", date(2020, 3, 20), None),),
    ),
    DemoContact(
        "vicini-solidali",
        "portavoce",
        "Giorgio Scotti",
        "Portavoce del gruppo",
        "giorgio.scotti@example.org",
        "+39 347 000 0707",
        LegalBasis.CONSENT,
        date(2023, 6, 30),
        (
            ("Contatti per la spesa solidale", date(2020, 3, 25), None),
            ("Notizie del servizio via email", date(2020, 3, 25), date(2021, 1, 15)),
        ),
    ),
)


# -- pacts -------------------------------------------------------------------


class Member(NamedTuple):
    """A partner's role in a demo pact."""

    partner: str
    role: str


class IndicatorSpec(NamedTuple):
    """An indicator of a demo pact: what was aimed at and (so far) reached."""

    key: str
    label: str
    unit: str
    target: float | None
    actual: float | None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A meeting or event of a community pact; status follows :data:`AS_OF`."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    """The key of the hosting partner, if any."""
    partners: tuple[str, ...]
    audience: str
    audience_count: int | None = None
    attendance: int | None = None
    cancelled: bool = False
    notes: str = ""


@dataclass(frozen=True, slots=True)
class PactSpec:
    """A demo pact; activities of the testimonies and youth pacts are planned at build."""

    code: str
    title: str
    type: str
    year: int
    status: PactStatus
    start: date
    end: date
    zones: tuple[str, ...]
    themes: tuple[str, ...]
    objectives: tuple[str, ...]
    target_groups: tuple[str, ...]
    members: tuple[Member, ...]
    indicators: tuple[IndicatorSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    predecessor: str | None = None
    """The code of the pact this one continues."""
    notes: str = ""


def _event(
    title: str,
    kind: str,
    when: str,
    *,
    place: str | None,
    partners: tuple[str, ...],
    audience: str,
    attendance: int | None = None,
    audience_count: int | None = None,
    cancelled: bool = False,
    notes: str = "",
) -> EventSpec:
    """An event from a compact ``"2021-03-13 10:00-12:00"`` time span."""
    day, span = when.split(" ")
    start, end = span.split("-")
    return EventSpec(
        title=title,
        kind=kind,
        starts_at=datetime.fromisoformat(f"{day} {start}"),
        ends_at=datetime.fromisoformat(f"{day} {end}"),
        place=place,
        partners=partners,
        audience=audience,
        audience_count=audience_count,
        attendance=attendance,
        cancelled=cancelled,
        notes=notes,
    )


_P = PROMOTER.key


@dataclass(frozen=True, slots=True)
class YouthEdition:
    """One summer of youth-legality talks and the pact that organised it."""

    pact_code: str
    summer: int
    first_day: date
    last_day: date


YOUTH_TALK_START = time(15, 0)
YOUTH_TALK_MINUTES = 90
YOUTH_TALK_LENGTH = timedelta(minutes=YOUTH_TALK_MINUTES)

YOUTH_EDITIONS: tuple[YouthEdition, ...] = (
    YouthEdition("PdC-2020-03", 2021, date(2021, 6, 14), date(2021, 7, 23)),
    YouthEdition("PdC-2021-02", 2022, date(2022, 6, 13), date(2022, 7, 22)),
)


def _youth_members(summer: int) -> tuple[Member, ...]:
    hosts = [Member(o.key, "host") for o in ORATORIES if any(g.summer == summer for g in o.groups)]
    speakers = [Member(s.key, "speaker") for s in SPEAKERS if summer in s.summers]
    return (Member(_P, "promoter"), *hosts, *speakers)


def _youth_zones(summer: int) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(o.zone for o in ORATORIES if any(g.summer == summer for g in o.groups))
    )


TESTIMONIES_PACT = PactSpec(
    code="PdC-2021-01",
    title="Testimonianze itineranti di volontariato e cittadinanza attiva",
    type="school_testimonies",
    year=2021,
    status=PactStatus.ACTIVE,
    start=date(2021, 10, 1),
    end=date(2022, 5, 31),
    zones=tuple(dict.fromkeys(ic.school.zone for ic in INSTITUTES)),
    themes=("volunteering", "active-citizenship", "mutual-knowledge"),
    objectives=(
        "Far conoscere agli studenti le associazioni del territorio",
        "Avvicinare i ragazzi al volontariato e alla cittadinanza attiva",
        "Costruire legami stabili tra scuole e associazioni",
    ),
    target_groups=(
        "Studenti delle scuole secondarie di primo grado",
        "Docenti",
        "Associazioni e gruppi informali",
    ),
    members=(
        Member(_P, "promoter"),
        *(Member(a.key, "association") for a in ASSOCIATIONS),
        *(Member(ic.key, "school_institute") for ic in INSTITUTES),
        *(Member(ic.school.key, "school") for ic in INSTITUTES),
    ),
    notes=(
        "Anno scolastico 2021/22: ogni classe incontra due associazioni diverse. " + DEMO_PACT_NOTE
    ),
)

_GOOD_INVASION = PactSpec(
    code="PdC-2020-03",
    title="La buona invasione",
    type="youth_legality",
    year=2020,
    status=PactStatus.CONCLUDED,
    start=date(2020, 11, 16),
    end=date(2021, 7, 31),
    zones=_youth_zones(2021),
    themes=("legality", "prevention", "youth"),
    objectives=(
        "Parlare di legalità e prevenzione con gli adolescenti dei Grest",
        "Far conoscere ai ragazzi i servizi e le istituzioni del territorio",
    ),
    target_groups=("Adolescenti 14-17 anni dei Grest", "Animatori degli oratori"),
    members=_youth_members(2021),
    notes=(
        "Il progetto estivo 2021 del programma 2020: incontri nei Grest degli oratori "
        "a giugno e luglio 2021. " + DEMO_PACT_NOTE
    ),
)

_TO_BE_CONTINUED = PactSpec(
    code="PdC-2021-02",
    title="La buona invasione… TO BE CONTINUED",
    type="youth_legality",
    year=2021,
    status=PactStatus.ACTIVE,
    start=date(2021, 10, 1),
    end=date(2022, 7, 31),
    zones=_youth_zones(2022),
    themes=("legality", "prevention", "youth"),
    objectives=(
        "Continuare gli incontri su legalità e prevenzione nei Grest dell'estate 2022",
        "Far conoscere ai ragazzi i servizi e le istituzioni del territorio",
        "Coinvolgere nuovi oratori rispetto all'edizione precedente",
    ),
    target_groups=("Adolescenti 14-17 anni dei Grest", "Animatori degli oratori"),
    members=_youth_members(2022),
    predecessor="PdC-2020-03",
    notes="Continua «La buona invasione» nei Grest dell'estate 2022. " + DEMO_PACT_NOTE,
)

COMMUNITY_PACTS: tuple[PactSpec, ...] = (
    PactSpec(
        code="PdC-2020-01",
        title="Un caffè tra vicini",
        type="community_ties",
        year=2020,
        status=PactStatus.CONCLUDED,
        start=date(2020, 9, 1),
        end=date(2020, 12, 31),
        zones=("ombriano",),
        themes=("loneliness", "mutual-knowledge"),
        objectives=("Creare occasioni di incontro tra vicini di casa",),
        target_groups=("Persone anziane sole", "Residenti di Ombriano"),
        members=(
            Member(_P, "promoter"),
            Member("caffe-e-chiacchiere", "partner"),
            Member("oratorio-fontana", "host"),
            Member("ali-accoglienza", "partner"),
        ),
        indicators=(IndicatorSpec("incontri", "Incontri realizzati", "incontri", 8, 3),),
        events=(
            _event(
                "Primo caffè in cortile",
                "event",
                "2020-09-19 15:30-17:30",
                place="oratorio-fontana",
                partners=("caffe-e-chiacchiere", "ali-accoglienza"),
                audience="Residenti di Ombriano",
                attendance=28,
            ),
            _event(
                "Caffè e racconti",
                "meeting",
                "2020-10-17 15:30-17:30",
                place="oratorio-fontana",
                partners=("caffe-e-chiacchiere",),
                audience="Residenti di Ombriano",
                attendance=19,
            ),
            _event(
                "Caffè di novembre",
                "meeting",
                "2020-11-14 15:30-17:30",
                place="oratorio-fontana",
                partners=("caffe-e-chiacchiere",),
                audience="Residenti di Ombriano",
                cancelled=True,
                notes="Annullato per le restrizioni sanitarie.",
            ),
            _event(
                "Auguri di Natale al telefono",
                "meeting",
                "2020-12-19 10:00-12:00",
                place=None,
                partners=("caffe-e-chiacchiere", "ali-accoglienza"),
                audience="Persone anziane sole",
                attendance=17,
                notes="Telefonate di compagnia al posto dell'incontro in presenza.",
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
    PactSpec(
        code="PdC-2020-02",
        title="Spesa solidale a San Carlo",
        type="community_ties",
        year=2020,
        status=PactStatus.CONCLUDED,
        start=date(2020, 3, 23),
        end=date(2020, 6, 30),
        zones=("san-carlo",),
        themes=("loneliness", "volunteering", "active-citizenship"),
        objectives=(
            "Portare la spesa a casa delle persone sole durante l'emergenza",
            "Tenere un contatto settimanale con chi vive solo",
        ),
        target_groups=("Persone anziane sole", "Famiglie in quarantena"),
        members=(
            Member(_P, "promoter"),
            Member("servizio-sociale", "partner"),
            Member("pc-le-rogge", "partner"),
            Member("emporio-solidale", "partner"),
            Member("alimentari-da-rina", "partner"),
            Member("vicini-solidali", "partner"),
        ),
        indicators=(
            IndicatorSpec("consegne", "Spese consegnate", "consegne", 300, 412),
            IndicatorSpec("famiglie", "Famiglie raggiunte", "famiglie", 40, 57),
        ),
        events=(
            _event(
                "Avvio della rete di consegne",
                "meeting",
                "2020-03-23 18:00-19:00",
                place=None,
                partners=("servizio-sociale", "pc-le-rogge", "vicini-solidali"),
                audience="Volontari della rete",
                attendance=16,
                notes="Riunione a distanza.",
            ),
            _event(
                "Bilancio con i volontari",
                "meeting",
                "2020-06-26 18:00-19:30",
                place="alimentari-da-rina",
                partners=("pc-le-rogge", "emporio-solidale", "vicini-solidali"),
                audience="Volontari della rete",
                attendance=21,
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
    PactSpec(
        code="PdC-2021-03",
        title="Portineria di comunità a Santa Maria della Croce",
        type="community_ties",
        year=2021,
        status=PactStatus.ACTIVE,
        start=date(2021, 3, 1),
        end=date(2022, 2, 28),
        zones=("santa-maria-della-croce",),
        themes=("loneliness", "mutual-knowledge", "intergenerational"),
        objectives=(
            "Offrire un punto di ascolto e di piccoli aiuti nel quartiere",
            "Ridurre l'isolamento delle persone anziane sole",
            "Far conoscere ai residenti le risorse del quartiere",
        ),
        target_groups=("Persone anziane sole", "Famiglie del quartiere", "Nuovi residenti"),
        members=(
            Member(_P, "promoter"),
            Member("coop-telaio", "coordinator"),
            Member("oratorio-il-ponte", "host"),
            Member("comitato-santa-maria", "partner"),
            Member("filo-solidale", "partner"),
            Member("servizio-sociale", "partner"),
        ),
        indicators=(
            IndicatorSpec("accessi", "Accessi alla portineria", "accessi", 300, 214),
            IndicatorSpec("volontari", "Volontari attivi", "persone", 10, 12),
        ),
        events=(
            _event(
                "Inaugurazione della portineria di comunità",
                "event",
                "2021-03-13 10:00-12:00",
                place="oratorio-il-ponte",
                partners=("coop-telaio", "comitato-santa-maria", "filo-solidale"),
                audience="Residenti del quartiere",
                attendance=65,
            ),
            _event(
                "Incontro dei volontari della portineria",
                "meeting",
                "2021-06-08 18:00-19:30",
                place="oratorio-il-ponte",
                partners=("coop-telaio", "filo-solidale"),
                audience="Volontari della portineria",
                attendance=14,
            ),
            _event(
                "Tavolo di quartiere: bilancio dei primi sei mesi",
                "meeting",
                "2021-09-21 18:00-19:30",
                place="oratorio-il-ponte",
                partners=("coop-telaio", "comitato-santa-maria", "servizio-sociale"),
                audience="Realtà del quartiere",
                attendance=22,
            ),
            _event(
                "Pranzo di Natale della portineria",
                "event",
                "2021-12-18 12:30-15:00",
                place="oratorio-il-ponte",
                partners=("coop-telaio", "comitato-santa-maria", "filo-solidale"),
                audience="Persone anziane sole e volontari",
                attendance=48,
            ),
            _event(
                "Tavolo di quartiere: rinnovo del patto",
                "meeting",
                "2022-02-15 18:00-19:30",
                place="oratorio-il-ponte",
                partners=("coop-telaio", "comitato-santa-maria", "servizio-sociale"),
                audience="Realtà del quartiere",
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
    PactSpec(
        code="PdC-2021-04",
        title="Camminiamo insieme – gruppo di cammino per over 65",
        type="community_ties",
        year=2021,
        status=PactStatus.CONCLUDED,
        start=date(2021, 4, 12),
        end=date(2021, 10, 29),
        zones=("sabbioni", "san-carlo"),
        themes=("loneliness", "health", "prevention"),
        objectives=(
            "Camminare insieme due volte alla settimana",
            "Prevenire l'isolamento e la sedentarietà delle persone anziane",
        ),
        target_groups=("Persone over 65",),
        members=(
            Member(_P, "promoter"),
            Member("promozione-salute", "partner"),
            Member("centro-anziani-glicine", "host"),
            Member("sentieri-solidali", "partner"),
            Member("banca-tempo-san-carlo", "partner"),
        ),
        indicators=(
            IndicatorSpec("partecipanti", "Partecipanti al gruppo", "persone", 30, 34),
            IndicatorSpec("uscite", "Uscite del gruppo", "uscite", 48, 51),
        ),
        events=(
            _event(
                "Presentazione del gruppo di cammino",
                "event",
                "2021-04-12 15:00-16:30",
                place="centro-anziani-glicine",
                partners=("promozione-salute", "sentieri-solidali"),
                audience="Persone over 65 dei Sabbioni e di San Carlo",
                attendance=40,
            ),
            _event(
                "Camminata lungo il Serio",
                "event",
                "2021-05-20 09:00-11:00",
                place=None,
                partners=("sentieri-solidali", "banca-tempo-san-carlo"),
                audience="Gruppo di cammino",
                attendance=27,
            ),
            _event(
                "Camminata a Santo Stefano",
                "event",
                "2021-07-08 09:00-11:00",
                place=None,
                partners=("sentieri-solidali",),
                audience="Gruppo di cammino",
                cancelled=True,
                notes="Annullata per maltempo.",
            ),
            _event(
                "Camminata al parco di San Carlo",
                "event",
                "2021-09-16 09:00-11:00",
                place=None,
                partners=("banca-tempo-san-carlo",),
                audience="Gruppo di cammino",
                attendance=31,
            ),
            _event(
                "Festa di chiusura del gruppo di cammino",
                "event",
                "2021-10-29 15:00-17:30",
                place="centro-anziani-glicine",
                partners=("promozione-salute", "sentieri-solidali", "banca-tempo-san-carlo"),
                audience="Gruppo di cammino e famiglie",
                attendance=45,
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
    PactSpec(
        code="PdC-2021-05",
        title="Mappa delle realtà associative di Crema Nuova e Castelnuovo",
        type="community_ties",
        year=2021,
        status=PactStatus.ACTIVE,
        start=date(2021, 5, 1),
        end=date(2022, 4, 30),
        zones=("crema-nuova", "castelnuovo"),
        themes=("mutual-knowledge", "active-citizenship"),
        objectives=(
            "Censire le associazioni e i gruppi dei due quartieri",
            "Far conoscere le realtà tra loro e ai residenti",
        ),
        target_groups=("Associazioni e gruppi informali", "Residenti", "Nuovi residenti"),
        members=(
            Member(_P, "promoter"),
            Member("biblioteca-crema-nuova", "host"),
            Member("goccia-rossa", "partner"),
            Member("pc-le-rogge", "partner"),
            Member("emporio-solidale", "partner"),
            Member("nonni-vigili", "partner"),
            Member("filo-solidale", "partner"),
        ),
        indicators=(
            IndicatorSpec("realta-mappate", "Realtà mappate", "realtà", 40, 31),
            IndicatorSpec("incontri", "Incontri tra le realtà", "incontri", 6, 3),
        ),
        events=(
            _event(
                "Primo incontro tra le associazioni del quartiere",
                "meeting",
                "2021-05-25 20:45-22:30",
                place="biblioteca-crema-nuova",
                partners=("goccia-rossa", "pc-le-rogge", "emporio-solidale", "nonni-vigili"),
                audience="Associazioni e gruppi informali",
                attendance=18,
            ),
            _event(
                "Raccolta delle schede delle associazioni",
                "meeting",
                "2021-07-06 20:45-22:30",
                place="biblioteca-crema-nuova",
                partners=("goccia-rossa", "filo-solidale"),
                audience="Associazioni e gruppi informali",
                attendance=12,
            ),
            _event(
                "Passeggiata alla scoperta delle associazioni",
                "event",
                "2021-10-09 15:00-18:00",
                place=None,
                partners=("goccia-rossa", "pc-le-rogge", "nonni-vigili", "filo-solidale"),
                audience="Residenti di Crema Nuova e Castelnuovo",
                attendance=37,
            ),
            _event(
                "Presentazione pubblica della mappa",
                "event",
                "2022-03-19 16:00-18:00",
                place="biblioteca-crema-nuova",
                partners=("goccia-rossa", "pc-le-rogge", "emporio-solidale"),
                audience="Residenti di Crema Nuova e Castelnuovo",
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
    PactSpec(
        code="PdC-2021-06",
        title="Caffè sospeso a Ombriano",
        type="community_ties",
        year=2021,
        status=PactStatus.ACTIVE,
        start=date(2021, 6, 1),
        end=date(2022, 5, 31),
        zones=("ombriano",),
        themes=("loneliness", "mutual-knowledge", "intergenerational"),
        objectives=(
            "Offrire un caffè e una chiacchierata a chi è solo",
            "Fare del bar un luogo di incontro tra generazioni",
        ),
        target_groups=("Persone sole", "Famiglie straniere", "Giovani del quartiere"),
        members=(
            Member(_P, "promoter"),
            Member("bar-il-portico", "host"),
            Member("oratorio-fontana", "partner"),
            Member("ponti-di-carta", "partner"),
            Member("ali-accoglienza", "partner"),
            Member("coop-strade-nuove", "partner"),
        ),
        indicators=(
            IndicatorSpec("caffe-sospesi", "Caffè sospesi offerti", "caffè", 500, 382),
            IndicatorSpec("pomeriggi", "Pomeriggi di incontro", "pomeriggi", 10, 3),
        ),
        events=(
            _event(
                "Avvio del caffè sospeso",
                "event",
                "2021-06-05 16:00-18:00",
                place="bar-il-portico",
                partners=("ponti-di-carta", "ali-accoglienza"),
                audience="Clienti del bar e residenti",
                attendance=30,
            ),
            _event(
                "Pomeriggio di racconti tra generazioni",
                "event",
                "2021-09-25 15:30-18:00",
                place="oratorio-fontana",
                partners=("ponti-di-carta", "coop-strade-nuove"),
                audience="Persone anziane e ragazzi del quartiere",
                attendance=26,
            ),
            _event(
                "Tombolata solidale",
                "event",
                "2021-12-12 15:00-18:00",
                place="oratorio-fontana",
                partners=("ali-accoglienza", "coop-strade-nuove"),
                audience="Residenti di Ombriano",
                attendance=54,
            ),
            _event(
                "Merenda di primavera",
                "event",
                "2022-04-09 16:00-18:00",
                place="bar-il-portico",
                partners=("ponti-di-carta", "ali-accoglienza"),
                audience="Residenti di Ombriano",
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
    PactSpec(
        code="PdC-2021-07",
        title="Festa di quartiere a Vergonzana e Santo Stefano",
        type="community_ties",
        year=2021,
        status=PactStatus.ACTIVE,
        start=date(2021, 9, 1),
        end=date(2022, 6, 30),
        zones=("vergonzana", "santo-stefano"),
        themes=("mutual-knowledge", "intergenerational", "active-citizenship"),
        objectives=(
            "Preparare insieme una festa aperta a tutto il quartiere",
            "Far conoscere le realtà di Vergonzana e Santo Stefano",
        ),
        target_groups=("Residenti", "Famiglie", "Persone anziane"),
        members=(
            Member(_P, "promoter"),
            Member("amici-vergonzana", "coordinator"),
            Member("comitato-genitori-santo-stefano", "partner"),
            Member("orti-vergonzana", "partner"),
            Member("code-felici", "partner"),
            Member("teatro-sabbioni", "partner"),
        ),
        indicators=(
            IndicatorSpec("partecipanti", "Partecipanti alla festa", "persone", 300, None),
            IndicatorSpec("realta", "Realtà coinvolte", "realtà", 10, 8),
        ),
        events=(
            _event(
                "Prima riunione del comitato della festa",
                "meeting",
                "2021-09-28 20:45-22:30",
                place="amici-vergonzana",
                partners=("comitato-genitori-santo-stefano", "orti-vergonzana", "code-felici"),
                audience="Realtà del quartiere",
                attendance=15,
            ),
            _event(
                "Laboratorio di scenografie",
                "event",
                "2021-11-20 14:30-17:30",
                place="amici-vergonzana",
                partners=("teatro-sabbioni", "comitato-genitori-santo-stefano"),
                audience="Ragazzi, genitori e volontari",
                attendance=23,
            ),
            _event(
                "Riunione organizzativa della festa",
                "meeting",
                "2022-03-15 20:45-22:30",
                place="amici-vergonzana",
                partners=("comitato-genitori-santo-stefano", "orti-vergonzana", "teatro-sabbioni"),
                audience="Realtà del quartiere",
            ),
            _event(
                "Festa di quartiere",
                "event",
                "2022-06-11 15:00-23:00",
                place=None,
                partners=(
                    "comitato-genitori-santo-stefano",
                    "orti-vergonzana",
                    "code-felici",
                    "teatro-sabbioni",
                ),
                audience="Residenti di Vergonzana e Santo Stefano",
                notes="Nel parco di Vergonzana.",
            ),
        ),
        notes=DEMO_PACT_NOTE,
    ),
)


PACTS: tuple[PactSpec, ...] = tuple(
    sorted(
        (TESTIMONIES_PACT, _GOOD_INVASION, _TO_BE_CONTINUED, *COMMUNITY_PACTS),
        key=lambda p: (p.year, p.code),
    )
)
"""Every demo pact in the order the build adds them: by year, so predecessors come first."""


# -- planners ----------------------------------------------------------------

SCHOOL_CLOSURES: tuple[tuple[date, date], ...] = (
    (date(2021, 11, 1), date(2021, 11, 1)),
    (date(2021, 12, 8), date(2021, 12, 8)),
    (date(2021, 12, 23), date(2022, 1, 6)),
    (date(2022, 2, 28), date(2022, 3, 1)),
    (date(2022, 4, 14), date(2022, 4, 19)),
    (date(2022, 4, 25), date(2022, 4, 25)),
)
"""School-year 2021/22 closures (besides weekends) the testimonies avoid."""

TESTIMONY_WINDOW = (date(2021, 10, 11), date(2022, 5, 27))
TESTIMONY_SLOTS = ((time(9, 0), time(11, 0)), (time(11, 0), time(13, 0)))
TESTIMONY_GAP = timedelta(days=21)
"""At least three weeks between a class's two testimonies."""


@dataclass(frozen=True, slots=True)
class TestimonyVisit:
    """An association's visit to a class."""

    school: str
    school_name: str
    class_label: str
    pupils: int
    association: str
    topic: str
    starts_at: datetime
    ends_at: datetime


def testimonies_details(ids: Mapping[str, int]) -> dict[str, Any]:
    """The testimonies pact's ``details``, as the school_testimonies plugin stores them.

    Plain JSON built from the same facts as :func:`plan_testimonies` (core
    does not import plugins): the window, the closures, the slots, the four
    schools with their classes and the 19 associations with their weekdays
    and maximum visits. ``ids`` maps demo keys to partner ids.
    """
    first, last = TESTIMONY_WINDOW
    return {
        "school_year": f"{first.year}/{(first.year + 1) % 100:02d}",
        "window_start": first.isoformat(),
        "window_end": last.isoformat(),
        "excluded_periods": [
            {"start": start.isoformat(), "end": end.isoformat()} for start, end in SCHOOL_CLOSURES
        ],
        "excluded_dates": [],
        "school_weekdays": [0, 1, 2, 3, 4],
        "time_slots": [
            {"start": start.isoformat(), "end": end.isoformat()} for start, end in TESTIMONY_SLOTS
        ],
        "schools": [
            {
                "partner_id": ids[ic.school.key],
                "classes": [
                    {"label": c.label, "grade": c.grade, "pupils": c.pupils}
                    for c in ic.school.classes
                ],
                "weekdays": None,
            }
            for ic in INSTITUTES
        ],
        "associations": [
            {
                "partner_id": ids[a.key],
                "topics": list(a.topics),
                "weekdays": list(a.weekdays),
                "dates": [],
                "max_visits": a.max_visits,
            }
            for a in ASSOCIATIONS
        ],
        "testimonies_per_class": 2,
        "min_days_between_visits_to_a_class": TESTIMONY_GAP.days,
    }


def youth_details(edition: YouthEdition, ids: Mapping[str, int]) -> dict[str, Any]:
    """A youth pact's ``details``, as the youth_legality plugin stores them.

    Plain JSON built from the same facts as :func:`plan_youth_talks`: the
    oratories with a group that summer host in every week of the edition, the
    summer's speakers come any weekday, in the slots the demo's talks use.
    """
    weeks = []
    monday = edition.first_day - timedelta(days=edition.first_day.weekday())
    while monday <= edition.last_day:
        weeks.append(monday.isoformat())
        monday += timedelta(days=7)
    sites = []
    for oratory in ORATORIES:
        groups = [g for g in oratory.groups if g.summer == edition.summer]
        if groups:
            sites.append(
                {
                    "partner_id": ids[oratory.key],
                    "weeks": weeks,
                    "groups": [
                        {"label": g.label, "adolescents": g.adolescents, "age_range": g.ages}
                        for g in groups
                    ],
                }
            )
    return {
        "summer": edition.summer,
        "host_sites": sites,
        "required_categories": [
            {"key": c.slug, "label_it": c.name, "label_en": c.english} for c in SPEAKER_CATEGORIES
        ],
        "speakers": [
            {"partner_id": ids[s.key], "category": s.category, "weekdays": [0, 1, 2, 3, 4]}
            for s in SPEAKERS
            if edition.summer in s.summers
        ],
        "session_slots": [YOUTH_TALK_START.isoformat("minutes")],
        "session_minutes": YOUTH_TALK_MINUTES,
    }


@dataclass(frozen=True, slots=True)
class YouthTalk:
    """A speaker's talk to a Grest group at an oratory."""

    oratory: str
    group: GrestGroup
    speaker: str
    category: str
    starts_at: datetime
    ends_at: datetime


def _school_day(day: date) -> bool:
    return day.weekday() < 5 and not any(a <= day <= b for a, b in SCHOOL_CLOSURES)


def _days_from(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def plan_testimonies() -> tuple[TestimonyVisit, ...]:
    """Two distinct associations per class, spread over the school year.

    Classes are interleaved across schools and given target dates spread
    over :data:`TESTIMONY_WINDOW`; each visit takes the first school day on
    which the association is available and neither it nor the class already
    has a visit, so no association is ever in two places at once.
    """
    rng = random.Random(SEED)
    per_school = [[(ic.school, c) for c in ic.school.classes] for ic in INSTITUTES]
    longest = max(len(s) for s in per_school)
    ordered = [s[i] for i in range(longest) for s in per_school if i < len(s)]
    first, last = TESTIMONY_WINDOW
    span = (last - first - TESTIMONY_GAP - timedelta(days=14)).days
    used = {a.key: 0 for a in ASSOCIATIONS}
    busy: set[tuple[str, date]] = set()
    visits: list[TestimonyVisit] = []
    for index, (school, cls) in enumerate(ordered):
        ties = {a.key: rng.random() for a in ASSOCIATIONS}
        free = [a for a in ASSOCIATIONS if used[a.key] < a.max_visits]
        free.sort(key=lambda a: (used[a.key] / a.max_visits, ties[a.key]))
        earliest = first + timedelta(days=span * index // len(ordered))
        class_key = f"{school.key}/{cls.label}"
        for turn, assoc in enumerate(free[:2]):
            day = next(
                d
                for d in _days_from(earliest, last)
                if _school_day(d)
                and d.weekday() in assoc.weekdays
                and (assoc.key, d) not in busy
                and (class_key, d) not in busy
            )
            busy.update({(assoc.key, day), (class_key, day)})
            used[assoc.key] += 1
            start, end = TESTIMONY_SLOTS[(index + turn) % len(TESTIMONY_SLOTS)]
            visits.append(
                TestimonyVisit(
                    school=school.key,
                    school_name=school.name,
                    class_label=cls.label,
                    pupils=cls.pupils,
                    association=assoc.key,
                    topic=assoc.topics[used[assoc.key] % len(assoc.topics)],
                    starts_at=datetime.combine(day, start),
                    ends_at=datetime.combine(day, end),
                )
            )
            earliest = day + TESTIMONY_GAP
    return tuple(sorted(visits, key=lambda v: (v.starts_at, v.school, v.class_label)))


def plan_youth_talks(edition: YouthEdition) -> tuple[YouthTalk, ...]:
    """One talk per speaker category for every Grest group of the summer.

    A speaker gives at most one talk a day and an oratory hosts at most one,
    so no speaker is in two places at once; talks are spread over the weeks.
    """
    speakers = {s.category: s for s in SPEAKERS if edition.summer in s.summers}
    groups = [(o, g) for o in ORATORIES for g in o.groups if g.summer == edition.summer]
    busy: set[tuple[str, date]] = set()
    talks: list[YouthTalk] = []
    for g_index, (oratory, group) in enumerate(groups):
        for c_index, category in enumerate(SPEAKER_CATEGORIES):
            speaker = speakers[category.slug]
            earliest = edition.first_day + timedelta(days=7 * c_index + g_index)
            day = next(
                d
                for d in _days_from(earliest, edition.last_day)
                if d.weekday() < 5 and (speaker.key, d) not in busy and (oratory.key, d) not in busy
            )
            busy.update({(speaker.key, day), (oratory.key, day)})
            talks.append(
                YouthTalk(
                    oratory=oratory.key,
                    group=group,
                    speaker=speaker.key,
                    category=category.slug,
                    starts_at=datetime.combine(day, YOUTH_TALK_START),
                    ends_at=datetime.combine(day, YOUTH_TALK_START) + YOUTH_TALK_LENGTH,
                )
            )
    return tuple(sorted(talks, key=lambda t: (t.starts_at, t.oratory, t.group.label)))


# -- building the store --------------------------------------------------------


def _id(record: Record) -> int:
    assert record.id is not None
    return record.id


def _has_data(store: Store) -> bool:
    return bool(len(store.partners) or len(store.pacts) or len(store.activities))


def _refuse(store: Store) -> PattiError:
    return PattiError(
        _(
            "{path} already holds data that is not the demo: "
            "choose another file with --db to open the demo."
        ).format(path=store.path)
    )


def ensure_demo(store: Store) -> bool:
    """Build the demo unless the store already is one; return whether it was built.

    A store with real data is refused rather than mixed with invented
    partners, which could then end up in a real annual report.
    """
    if store.meta.get("demo"):
        return False
    if _has_data(store):
        raise _refuse(store)
    build_demo(store)
    return True


def build_demo(store: Store) -> None:
    """Fill an empty store with the demo, as one durable write."""
    if _has_data(store):
        raise _refuse(store)
    with store.transaction():
        ids = _add_partners(store)
        codes: dict[str, int] = {}
        rng = random.Random(SEED)
        for spec in PACTS:
            pact = _add_pact(store, spec, ids, codes, rng)
            codes[spec.code] = _id(pact)
        store.update_meta(demo=True, demo_version=DEMO_VERSION, as_of=AS_OF.isoformat())


def _add_partners(store: Store) -> dict[str, int]:
    contacts: dict[str, list[ContactPerson]] = {}
    for c in CONTACTS:
        contacts.setdefault(c.partner, []).append(
            ContactPerson(
                key=c.key,
                name=c.name,
                role=c.role,
                email=c.email,
                phone=c.phone,
                legal_basis=c.legal_basis,
                consents=[
                    Consent(purpose=p, given_on=given, withdrawn_on=withdrawn)
                    for p, given, withdrawn in c.consents
                ],
                retention_until=c.retention_until,
                notes=DEMO_CONTACT_NOTE,
            )
        )
    ids: dict[str, int] = {}
    for p in demo_partners():
        notes = DEMO_NOTE + (f"\n{p.details}" if p.details else "")
        saved = store.add(
            Partner(
                name=p.name,
                kind=p.kind,
                parent_id=ids[p.parent] if p.parent else None,
                zones=[p.zone],
                themes=list(p.themes),
                tags=[DEMO_TAG],
                notes=notes,
                contacts=contacts.get(p.key, []),
            )
        )
        ids[p.key] = _id(saved)
    return ids


def _add_pact(
    store: Store,
    spec: PactSpec,
    ids: dict[str, int],
    codes: dict[str, int],
    rng: random.Random,
) -> Pact:
    activities = list(_activities(spec, ids, rng))
    indicators = spec.indicators or _derived_indicators(spec, activities)
    pact = store.add(
        Pact(
            code=spec.code,
            title=spec.title,
            type=spec.type,
            status=spec.status,
            year=spec.year,
            start=spec.start,
            end=spec.end,
            zones=list(spec.zones),
            themes=list(spec.themes),
            objectives=list(spec.objectives),
            target_groups=list(spec.target_groups),
            members=[Membership(partner_id=ids[m.partner], role=m.role) for m in spec.members],
            predecessor_id=codes[spec.predecessor] if spec.predecessor else None,
            details=_details(spec, ids),
            indicators=[
                Indicator(key=i.key, label=i.label, unit=i.unit, target=i.target, actual=i.actual)
                for i in indicators
            ],
            notes=spec.notes,
        )
    )
    for activity in activities:
        store.add(activity.model_copy(update={"pact_id": _id(pact)}))
    return pact


def _details(spec: PactSpec, ids: Mapping[str, int]) -> dict[str, Any]:
    """The type-specific fields of a demo pact, in the shape its plugin validates."""
    if spec.type == "school_testimonies":
        return testimonies_details(ids)
    edition = next((e for e in YOUTH_EDITIONS if e.pact_code == spec.code), None)
    if edition is not None:
        return youth_details(edition, ids)
    return {}


def _status(starts_at: datetime, cancelled: bool = False) -> ActivityStatus:
    if cancelled:
        return ActivityStatus.CANCELLED
    return ActivityStatus.DONE if starts_at.date() < AS_OF else ActivityStatus.PLANNED


_PENDING_PACT = 1
"""A placeholder pact id: activities are drafted before their pact has an id."""


def _activities(spec: PactSpec, ids: dict[str, int], rng: random.Random) -> Iterable[Activity]:
    """The activities of a pact, with a placeholder pact id the caller replaces.

    ``rng`` only decides how many pupils or adolescents were absent on the day.
    """
    if spec.type == "school_testimonies":
        names = {p.key: p.name for p in demo_partners()}
        for v in plan_testimonies():
            status = _status(v.starts_at)
            yield Activity(
                pact_id=_PENDING_PACT,
                title=f"Testimonianza di {names[v.association]} – classe {v.class_label}",
                kind="testimony",
                starts_at=v.starts_at,
                ends_at=v.ends_at,
                place_partner_id=ids[v.school],
                partner_ids=[ids[v.association]],
                audience=f"{v.class_label} – {v.school_name}",
                audience_count=v.pupils,
                attendance=_attendance(rng, v.pupils, status),
                status=status,
                notes=f"Tema: {v.topic}.",
            )
        return
    edition = next((e for e in YOUTH_EDITIONS if e.pact_code == spec.code), None)
    if edition is not None:
        categories = {c.slug: c.name for c in SPEAKER_CATEGORIES}
        talks = {s.key: s.talk for s in SPEAKERS}
        for t in plan_youth_talks(edition):
            status = _status(t.starts_at)
            yield Activity(
                pact_id=_PENDING_PACT,
                title=f"{categories[t.category]}: {talks[t.speaker]}",
                kind="talk",
                starts_at=t.starts_at,
                ends_at=t.ends_at,
                place_partner_id=ids[t.oratory],
                partner_ids=[ids[t.speaker]],
                audience=t.group.label,
                audience_count=t.group.adolescents,
                attendance=_attendance(rng, t.group.adolescents, status),
                status=status,
            )
        return
    for e in spec.events:
        status = _status(e.starts_at, e.cancelled)
        yield Activity(
            pact_id=_PENDING_PACT,
            title=e.title,
            kind=e.kind,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            place_partner_id=ids[e.place] if e.place else None,
            partner_ids=[ids[k] for k in e.partners],
            audience=e.audience,
            audience_count=e.audience_count,
            attendance=e.attendance if status is ActivityStatus.DONE else None,
            status=status,
            notes=e.notes,
        )


def _attendance(rng: random.Random, expected: int, status: ActivityStatus) -> int | None:
    """Who was there on the day: a few absent, never more than expected."""
    absent = rng.choice((0, 0, 0, 1, 1, 2, 3))
    return max(expected - absent, 0) if status is ActivityStatus.DONE else None


def _derived_indicators(spec: PactSpec, activities: list[Activity]) -> tuple[IndicatorSpec, ...]:
    """Indicators of the planned pacts, counted from their activities."""
    done = [a for a in activities if a.status is ActivityStatus.DONE]
    reached = float(sum(a.attendance or 0 for a in done))
    expected = float(sum(a.audience_count or 0 for a in activities))
    if spec.type == "school_testimonies":
        return (
            IndicatorSpec(
                "testimonianze", "Testimonianze in classe", "incontri", len(activities), len(done)
            ),
            IndicatorSpec("presenze", "Presenze degli studenti", "presenze", expected, reached),
            IndicatorSpec(
                "associazioni",
                "Associazioni e gruppi coinvolti",
                "realtà",
                15,
                sum(1 for m in spec.members if m.role == "association"),
            ),
        )
    return (
        IndicatorSpec(
            "incontri", "Incontri nei Grest", "incontri", len(activities), len(done) or None
        ),
        IndicatorSpec(
            "presenze", "Presenze degli adolescenti", "presenze", expected, reached or None
        ),
    )
