"""Domain models: partners, pacts, activities.

Pydantic models with ``extra="forbid"`` so a typo in a backup, a plugin or a
CLI option is an error, not silently dropped data. Text fields are cleaned
of control characters here, at the boundary every front end goes through.
Records carry ``id`` (the TinyDB document id; ``None`` before the first
save) and ``revision`` (bumped on every save, so a stale edit is refused).
"""

from __future__ import annotations

import functools
import gettext as _gettext
import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar, cast

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.networks import validate_email
from pydantic_core import PydanticKnownError, SchemaValidator
from pydantic_core import ValidationError as CoreValidationError

from .dates import lenient_date, lenient_datetime
from .i18n import N_, NC_, Label, _, translate_label
from .text import UNSAFE_CHARACTERS, clean_text

__all__ = [
    "ACTIVITY_KIND_LABELS",
    "Activity",
    "ActivityStatus",
    "Consent",
    "ContactPerson",
    "Indicator",
    "LegalBasis",
    "Membership",
    "Pact",
    "PactStatus",
    "Partner",
    "PartnerKind",
    "Record",
    "activity_kind_label",
    "validate_document",
]

SLUG = re.compile(r"[a-z0-9][a-z0-9_\-]*")


def _line(value: str) -> str:
    return clean_text(value)


def _name(value: str) -> str:
    value = clean_text(value)
    if not value:  # only control characters or spaces: as empty as ""
        raise PydanticKnownError("string_too_short", {"min_length": 1})
    return value


def _block(value: str) -> str:
    return clean_text(value, multiline=True)


def _slug(value: str) -> str:
    if SLUG.fullmatch(value):  # the common case, already a slug: nothing to clean
        return value
    value = clean_text(value).lower()
    if not SLUG.fullmatch(value):
        raise ValueError(
            _("use lowercase letters, digits, '-' or '_' (for example {example})").format(
                example="san-bernardino"
            )
        )
    return value


def _wall_clock(value: datetime) -> datetime:
    """Activity times are local wall-clock times: aware input is converted and made naive,
    so every activity time compares with every other."""
    if value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _clean_json(value: Any) -> Any:
    """A pact type's details are free JSON: clean every text in them, keys included,
    since their plugin may declare plain ``str`` fields."""
    if isinstance(value, dict) and _json_already_clean(value):
        return value  # the common case, checked in one pass over its JSON text
    if isinstance(value, str):
        return clean_text(value, multiline=True)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


#: In compact JSON, anything that might make :func:`_clean_json` change a text: an escape
#: (control characters, quotes), whitespace other than the space (what ``str.isspace``
#: says), and what ``clean_text`` strips; and, checked as substrings, a text starting or
#: ending with a space, or two spaces (collapsed in keys). A single character class is
#: four times faster to search than the alternation of all of them.
_MAYBE_DIRTY = re.compile(
    "[\\\\\t-\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    + UNSAFE_CHARACTERS.pattern[1:-1]
    + "]"
)
_DIRTY_SPACES = ("  ", '" ', ' "')


def _json_already_clean(value: dict[Any, Any]) -> bool:
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # keys that are not text: the long way converts them
        return False
    return (
        not _MAYBE_DIRTY.search(text)
        and not any(spaces in text for spaces in _DIRTY_SPACES)
        and unicodedata.is_normalized("NFC", text)
    )


def _email(value: str) -> str:
    """An e-mail address as pydantic's ``EmailStr`` leaves it: the common shape is
    checked here (email-validator takes ~100 µs per address, which made validating
    a province's partners take seconds), anything else goes to email-validator."""
    match = _PLAIN_EMAIL.fullmatch(value)
    if match is not None and len(value) <= 254 and len(match["local"]) <= 64:
        domain = match["domain"].lower()
        labels = domain.split(".")
        if (
            all(len(label) <= 63 for label in labels)
            and labels[-1].isalpha()
            and not any(domain == d or domain.endswith("." + d) for d in _SPECIAL_DOMAINS)
        ):
            return f"{match['local']}@{domain}"
    return validate_email(value)[1]


_PLAIN_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)"
    r"@(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+)"
)
_SPECIAL_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")

Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]
# The length limits come before the cleaning validator so that pydantic checks them in its
# own (Rust) string validator rather than with two more Python calls per text: validating
# a province's 100,000 records spends a quarter of its time less. Cleaning only removes
# characters, so a text within the limit stays within it; a name cleaned down to nothing
# is refused by ``_name``.
Line = Annotated[str, Field(max_length=300), AfterValidator(_line)]
Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_name)]
Block = Annotated[str, Field(max_length=20_000), AfterValidator(_block)]
Slug = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_slug)]
SlugList = Annotated[list[Slug], AfterValidator(_unique)]
LineList = Annotated[list[Name], AfterValidator(_unique)]
Day = Annotated[date, BeforeValidator(lenient_date)]
Moment = Annotated[datetime, BeforeValidator(lenient_datetime), AfterValidator(_wall_clock)]


class LabelledEnum(StrEnum):
    """An enum whose members have a translated label for the UI."""

    @classmethod
    def _labels(cls) -> dict[str, Label]:
        return {}

    @property
    def label(self) -> str:
        return translate_label(self._labels().get(self.value, self.value))

    @classmethod
    def label_of(cls, value: str, translations: _gettext.NullTranslations | None = None) -> str:
        """The label of ``value`` (in ``translations``' language if given, as exports in
        a language other than the interface's need)."""
        return translate_label(cls._labels().get(value, value), translations)


class PartnerKind(LabelledEnum):
    """What kind of organisation a partner is."""

    ASSOCIATION = "association"
    INFORMAL_GROUP = "informal_group"
    SCHOOL_INSTITUTE = "school_institute"
    SCHOOL = "school"
    PARISH = "parish"
    PUBLIC_SERVICE = "public_service"
    HEALTH_SERVICE = "health_service"
    INSTITUTION = "institution"
    COOPERATIVE = "cooperative"
    BUSINESS = "business"
    CITIZENS_GROUP = "citizens_group"

    @classmethod
    def _labels(cls) -> dict[str, Label]:
        return {
            "association": N_("Association"),
            "informal_group": N_("Informal group"),
            "school_institute": N_("School institute (Istituto Comprensivo)"),
            "school": N_("School"),
            "parish": N_("Parish / oratory"),
            "public_service": N_("Public service"),
            "health_service": N_("Health service"),
            "institution": N_("Institution / local politics"),
            "cooperative": N_("Social cooperative"),
            "business": N_("Business"),
            "citizens_group": N_("Citizens' group"),
        }


class LegalBasis(LabelledEnum):
    """GDPR art. 6 basis for holding a contact person's data."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTEREST = "legitimate_interest"

    @classmethod
    def _labels(cls) -> dict[str, Label]:
        return {
            "consent": N_("Consent"),
            "contract": N_("Contract"),
            "legal_obligation": N_("Legal obligation"),
            "public_task": N_("Public task"),
            "legitimate_interest": N_("Legitimate interest"),
        }


class PactStatus(LabelledEnum):
    """Life cycle: draft → proposed → active → concluded, or cancelled."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    ACTIVE = "active"
    CONCLUDED = "concluded"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls) -> dict[str, Label]:
        return {
            "draft": N_("Draft"),
            "proposed": N_("Proposed"),
            "active": N_("Active"),
            "concluded": N_("Concluded"),
            "cancelled": NC_("pact status", "Cancelled"),
        }


class ActivityStatus(LabelledEnum):
    """Whether an activity is still to happen, happened, or was called off."""

    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls) -> dict[str, Label]:
        return {
            "planned": N_("Planned"),
            "done": N_("Done"),
            "cancelled": NC_("activity status", "Cancelled"),
        }


#: Labels of the activity kinds patti and its built-in plugins use. An activity's kind is
#: a free slug (a plugin may bring its own), so this is a map, not an enum.
ACTIVITY_KIND_LABELS: dict[str, Label] = {
    "visit": NC_("activity kind", "Visit"),
    "meeting": NC_("activity kind", "Meeting"),
    "talk": NC_("activity kind", "Talk"),
    "event": NC_("activity kind", "Event"),
    "testimony": NC_("activity kind", "Testimony"),
}


def activity_kind_label(kind: str, translations: _gettext.NullTranslations | None = None) -> str:
    """An activity kind for a reader (in ``translations``' language if given, as exports
    need); an unknown kind shows as its slug, which is still better than nothing."""
    label = ACTIVITY_KIND_LABELS.get(kind)
    return translate_label(label, translations) if label is not None else kind


class Model(BaseModel):
    """Strict base: unknown fields are errors, assignments are validated."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        str_strip_whitespace=True,
        use_enum_values=False,
    )


class Record(Model):
    """A stored entity: ``id`` is the store's document id."""

    id: int | None = Field(default=None, ge=1)
    revision: int = Field(default=0, ge=0)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Consent(Model):
    """One purpose a contact person agreed to, and when (and if) they withdrew."""

    purpose: Name
    given_on: Day
    withdrawn_on: Day | None = None

    @model_validator(mode="after")
    def _withdrawn_after_given(self) -> Self:
        if self.withdrawn_on is not None and self.withdrawn_on < self.given_on:
            raise ValueError(_("a consent cannot be withdrawn before it was given"))
        return self


class ContactPerson(Model):
    """A named adult who speaks for a partner: personal data under GDPR.

    Minors are never recorded as people, only as counts on activities.
    """

    key: Slug = Field(description="Stable key within the partner, used by privacy commands.")
    name: Name
    role: Line = ""
    email: Email | None = None
    phone: Annotated[str, Field(max_length=40), AfterValidator(_line)] = ""
    legal_basis: LegalBasis = LegalBasis.LEGITIMATE_INTEREST
    consents: list[Consent] = Field(default_factory=list)
    retention_until: Day | None = None
    notes: Block = ""

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str) -> str:
        if value and not re.fullmatch(r"\+?[0-9 ()./\-]{5,40}", value):
            raise ValueError(_("a phone number has digits, spaces and an optional leading +"))
        return value


class Partner(Record):
    """An organisation or group that takes part in pacts."""

    name: Name
    kind: PartnerKind
    parent_id: int | None = Field(
        default=None, ge=1, description="A school's Istituto Comprensivo, for example."
    )
    zones: SlugList = Field(default_factory=list)
    themes: SlugList = Field(default_factory=list)
    tags: SlugList = Field(default_factory=list)
    notes: Block = ""
    contacts: list[ContactPerson] = Field(default_factory=list)

    @model_validator(mode="after")
    def _contacts_unique(self) -> Self:
        keys = [c.key for c in self.contacts]
        if len(keys) != len(set(keys)):
            raise ValueError(_("two contact persons of this partner have the same key"))
        if self.id is not None and self.parent_id == self.id:
            raise ValueError(_("a partner cannot be its own parent"))
        return self


class Membership(Model):
    """A partner's part in a pact."""

    partner_id: int = Field(ge=1)
    role: Slug = "partner"
    start: Day | None = None
    end: Day | None = None
    notes: Line = ""

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.start and self.end and self.end < self.start:
            raise ValueError(_("a membership cannot end before it starts"))
        return self


class Indicator(Model):
    """A measurable objective of a pact: what was aimed at and what was reached."""

    key: Slug
    label: Name
    unit: Line = ""
    target: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    actual: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class Pact(Record):
    """A community pact: who takes part, what for, where and when."""

    code: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_name)]
    title: Name
    type: Slug = Field(description="The name of a pact type registered by a plugin.")
    status: PactStatus = PactStatus.DRAFT
    year: int = Field(ge=1990, le=2200, description="The year the pact was activated.")
    start: Day | None = None
    end: Day | None = None
    zones: SlugList = Field(default_factory=list)
    themes: SlugList = Field(default_factory=list)
    objectives: LineList = Field(default_factory=list)
    target_groups: LineList = Field(default_factory=list)
    members: list[Membership] = Field(default_factory=list)
    predecessor_id: int | None = Field(default=None, ge=1)
    details: Annotated[dict[str, Any], AfterValidator(_clean_json)] = Field(default_factory=dict)
    indicators: list[Indicator] = Field(default_factory=list)
    notes: Block = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.start and self.end and self.end < self.start:
            raise ValueError(_("a pact cannot end before it starts"))
        seen: set[tuple[int, str]] = set()
        for member in self.members:
            pair = (member.partner_id, member.role)
            if pair in seen:
                raise ValueError(_("the same partner appears twice with the same role"))
            seen.add(pair)
        keys = [i.key for i in self.indicators]
        if len(keys) != len(set(keys)):
            raise ValueError(_("two indicators have the same key"))
        if self.id is not None and self.predecessor_id == self.id:
            raise ValueError(_("a pact cannot continue itself"))
        return self

    def partner_ids(self) -> set[int]:
        """Every partner that is a member, whatever its role."""
        return {m.partner_id for m in self.members}


class Activity(Record):
    """A visit, meeting, talk or event of a pact."""

    pact_id: int = Field(ge=1)
    title: Name
    kind: Slug = "meeting"
    starts_at: Moment
    ends_at: Moment | None = None
    place_partner_id: int | None = Field(default=None, ge=1)
    place: Line = ""
    partner_ids: list[int] = Field(default_factory=list)
    audience: Line = Field(default="", description="A group label, e.g. a class: never a person.")
    audience_count: int | None = Field(default=None, ge=0, le=1_000_000)
    attendance: int | None = Field(default=None, ge=0, le=1_000_000)
    status: ActivityStatus = ActivityStatus.PLANNED
    notes: Block = ""

    @field_validator("partner_ids")
    @classmethod
    def _partners_unique(cls, value: list[int]) -> list[int]:
        if any(v < 1 for v in value):
            raise ValueError(_("partner ids are positive numbers"))
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ends_at and self.ends_at < self.starts_at:
            raise ValueError(_("an activity cannot end before it starts"))
        if self.attendance is not None and self.status is not ActivityStatus.DONE:
            raise ValueError(_("attendance is recorded when an activity is done"))
        return self

    def involved_partner_ids(self) -> set[int]:
        """Partners that took part, including the host."""
        ids = set(self.partner_ids)
        if self.place_partner_id is not None:
            ids.add(self.place_partner_id)
        return ids


# -- validating documents that are already clean -----------------------------------------

M = TypeVar("M", bound=BaseModel)


def validate_document(model: type[M], document: Any) -> M:
    """What ``model.model_validate(document)`` returns or raises, in a third less time
    for a document that is already clean, as stored ones are.

    The cleaning validators (texts, slugs, Italian dates, aware times) are
    Python calls, a dozen per activity and fifty per pact: most of the time
    spent validating 100,000 records. On clean input each returns its input
    unchanged, so a copy of the model's schema without them, pydantic-core
    checking instead that the input is clean (a text's characters and
    spaces, a slug's shape, a time without an offset), gives the same record.
    Where that copy refuses the document, the model decides: its cleaning,
    or its wording of the problem.
    """
    try:
        return cast(M, _without_cleaning(model).validate_python(document))
    except CoreValidationError:
        return model.model_validate(document)


@functools.cache
def _without_cleaning(model: type[BaseModel]) -> SchemaValidator:
    return SchemaValidator(_strip_cleaning(model.__pydantic_core_schema__))


#: The characters a text may hold for :func:`validate_document` to take it as clean: the
#: printable ones of ASCII, Latin-1, Latin Extended-A, general punctuation and currency
#: symbols, where Italian text is written. None is whitespace but the space, none is
#: stripped by cleaning, and each is its own NFC form and composes with nothing, so a text
#: made of them is normalised (tests/test_model_fast.py checks this with unicodedata).
#: Any other character sends the document through the cleaning validators.
PLAIN_RANGES = (
    (0x21, 0x7E),
    (0xA1, 0xAC),
    (0xAE, 0x17F),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x20A0, 0x20C0),
)
_PLAIN = "".join(f"\\x{{{low:x}}}-\\x{{{high:x}}}" for low, high in PLAIN_RANGES)
#: A one-line text cleaning leaves as it is: no space at either end, none doubled.
CLEAN_LINE = f"^(?:[{_PLAIN}]+(?: [{_PLAIN}]+)*)?$"
#: A multi-line text cleaning leaves as it is: no whitespace at either end.
CLEAN_BLOCK = f"^(?:[{_PLAIN}](?:[{_PLAIN} \\t\\n]*[{_PLAIN}])?)?$"

#: The cleaning validators and what pydantic-core checks in their place: on input that
#: passes the check, each returns its input as it is.
_CHECKED_INSTEAD: dict[Any, dict[str, Any]] = {
    _line: {"pattern": CLEAN_LINE},
    _name: {"pattern": CLEAN_LINE},  # at least a character long: not empty once cleaned
    _block: {"pattern": CLEAN_BLOCK},
    _slug: {"pattern": "^" + SLUG.pattern + "$"},  # else lowercased or refused
    lenient_date: {},  # an Italian date is not an ISO one: refused, and the model parses it
    lenient_datetime: {},
    _wall_clock: {"tz_constraint": "naive"},  # else converted to local time
}
#: Keys of a core schema that hold values, not schemas.
_NOT_SCHEMAS = frozenset({"cls", "metadata", "default", "members", "ref", "function"})


def _strip_cleaning(schema: Any) -> Any:
    """A copy of a pydantic-core schema without the validators in :data:`_CHECKED_INSTEAD`."""
    if isinstance(schema, list):
        return [_strip_cleaning(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    node = {
        key: value if key in _NOT_SCHEMAS else _strip_cleaning(value)
        for key, value in schema.items()
    }
    if node.get("type") in ("function-after", "function-before"):
        instead = _CHECKED_INSTEAD.get(node["function"]["function"])
        if instead is not None:
            return {**node["schema"], **instead}
    return node
