"""Pact types: what a plugin adds when it teaches patti a new kind of pact.

A pact type names its own fields (a pydantic ``Details`` model validated on
every save), the roles partners play with their minimum and maximum
counts (enforced when the pact becomes active), the themes and indicators
a new pact starts with, and optionally a planner that proposes activities
and a section for the annual report.

The fields' labels and help come in Italian and English from the plugin
itself (:func:`field_labels`, kept in the field's JSON schema), like the
type's and the roles' labels: a third-party plugin cannot add to patti's
gettext catalog.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

from .i18n import LANGUAGES, _, bilingual, current_language
from .model import Indicator, Pact

if TYPE_CHECKING:
    from .store import Store


class NoDetails(BaseModel):
    """For pact types with no fields of their own."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Role:
    """A part partners play in a pact of this type.

    ``kinds`` are the partner kinds (``PartnerKind`` values, e.g. ``"school"``)
    that can play the role; empty means any kind. The pact editor suggests
    partners of these kinds first and refuses others for the role.
    """

    name: str
    label_it: str
    label_en: str
    min: int = 0
    max: int | None = None
    description: str = ""
    kinds: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return bilingual(self.label_it, self.label_en)

    def accepts(self, kind: str) -> bool:
        """Whether a partner of ``kind`` can play this role."""
        return not self.kinds or kind in self.kinds

    def describe_count(self) -> str:
        if self.max is None:
            return _("at least {min}").format(min=self.min)
        if self.min == self.max:
            return _("exactly {n}").format(n=self.min)
        return _("{min} to {max}").format(min=self.min, max=self.max)


@dataclass
class Plan:
    """What a planner proposes: activities to create, and what it could not do.

    ``activities`` are plain dicts accepted by ``Registry.create_activities``;
    ``gaps`` say in words which requests could not be met (a planner never
    drops one silently); ``stats`` are machine-readable figures such as the
    load spread, and ``summary`` the same told to a person, in the active
    language. ``replaces`` names the activity kinds the planner owns:
    applying the plan swaps the pact's still-planned activities of those
    kinds for the proposal, even when the proposal is empty.
    """

    activities: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    replaces: frozenset[str] = frozenset()

    @property
    def feasible(self) -> bool:
        return not self.gaps


@dataclass
class ReportSection:
    """A pact type's own part of the annual report."""

    title: str
    lines: list[str] = field(default_factory=list)
    figures: dict[str, float | int] = field(default_factory=dict)


# -- labels of a Details model's fields ----------------------------------------------------


def field_labels(
    label_it: str,
    label_en: str,
    *,
    help_it: str = "",
    help_en: str = "",
    choices: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A Details field's label, help and choice labels in Italian and English.

    Pass the result as the field's ``json_schema_extra``::

        plots: int = Field(
            ge=1,
            description="How many plots the garden has.",
            json_schema_extra=field_labels("Aiuole", "Plots", help_it="Quante aiuole ha l'orto."),
        )

    The English help defaults to the field's ``description``. ``choices``
    names each value of a ``Literal`` field: ``{"well": ("Pozzo", "Well")}``.
    The texts land in the JSON schema (``patti types --json``) under
    ``label``, ``help`` and ``choices``, each ``{"it": ..., "en": ...}``.
    """
    extra: dict[str, Any] = {"label": {"it": label_it, "en": label_en}}
    helps = {lang: text for lang, text in (("it", help_it), ("en", help_en)) if text}
    if helps:
        extra["help"] = helps
    if choices:
        extra["choices"] = {str(v): {"it": it, "en": en} for v, (it, en) in choices.items()}
    return extra


def _extra(info: FieldInfo, key: str) -> dict[str, Any]:
    extra = info.json_schema_extra
    found = extra.get(key) if isinstance(extra, dict) else None
    return found if isinstance(found, dict) else {}


def _in_language(texts: Mapping[str, Any]) -> str:
    """The text for the active language from ``{"it": ..., "en": ...}`` ("" when missing)."""
    text = texts.get(current_language())
    return text if isinstance(text, str) else ""


def field_label(name: str, info: FieldInfo) -> str:
    """A field's label in the active language: from :func:`field_labels`, else its
    ``title``, else its name (``window_start`` -> "Window start")."""
    return _in_language(_extra(info, "label")) or info.title or name.replace("_", " ").capitalize()


def field_help(info: FieldInfo) -> str:
    """A field's help in the active language: from :func:`field_labels`, else its
    ``description`` (English: better than nothing)."""
    return _in_language(_extra(info, "help")) or info.description or ""


def choice_label(info: FieldInfo, value: Any) -> str:
    """How a choice of the field reads: its label from :func:`field_labels`, an enum's
    ``label``, else the value itself."""
    key = value.value if isinstance(value, Enum) else value
    named = _in_language(_extra(info, "choices").get(str(key)) or {})
    if named:
        return named
    if isinstance(value, Enum):
        return str(getattr(value, "label", value.value))
    return str(value)


def record_models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (``list[X] | None`` -> ``X``)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if get_origin(annotation) in (Union, types.UnionType, list, set, tuple, frozenset):
        for argument in get_args(annotation):
            yield from record_models(argument)


def missing_labels(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Fields of ``model`` (and of the records it holds) without a label in every language,
    or with help in one language only: ``["schools.classes.grade: label it"]``."""
    missing: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        labels = _extra(info, "label")
        helps = {**_extra(info, "help")}
        if info.description and not helps.get("en"):
            helps["en"] = info.description
        gaps = [f"label {lang}" for lang in LANGUAGES if not labels.get(lang)]
        if any(helps.values()):
            gaps += [f"help {lang}" for lang in LANGUAGES if not helps.get(lang)]
        if gaps:
            missing.append(f"{path}: {', '.join(gaps)}")
        for inner in dict.fromkeys(record_models(info.annotation)):
            missing.extend(missing_labels(inner, f"{path}."))
    return missing


class PactType:
    """Base class for pact types. Subclass it in a plugin and register the class.

    Class attributes describe the type; ``plan`` and ``report_section`` are
    optional (return ``None`` when the type has none).
    """

    name: ClassVar[str]
    label_it: ClassVar[str]
    label_en: ClassVar[str]
    description_it: ClassVar[str] = ""
    description_en: ClassVar[str] = ""
    Details: ClassVar[type[BaseModel]] = NoDetails
    roles: ClassVar[Sequence[Role]] = ()
    default_themes: ClassVar[Sequence[str]] = ()
    default_indicators: ClassVar[Sequence[Indicator]] = ()

    @classmethod
    def label(cls) -> str:
        return bilingual(cls.label_it, cls.label_en)

    @classmethod
    def description(cls) -> str:
        return bilingual(cls.description_it, cls.description_en)

    @classmethod
    def missing_labels(cls) -> list[str]:
        """``Details`` fields without Italian and English labels (see :func:`field_labels`);
        a plugin's tests should expect none."""
        return missing_labels(cls.Details)

    @classmethod
    def role(cls, name: str) -> Role | None:
        return next((r for r in cls.roles if r.name == name), None)

    @classmethod
    def has_planner(cls) -> bool:
        return cls.plan is not PactType.plan

    def plan(
        self, pact: Pact, store: Store, *, seed: int = 0, not_before: date | None = None
    ) -> Plan | None:
        """Propose activities for ``pact``; ``None`` when this type has no planner.

        The same ``seed`` must give the same plan; nothing is proposed before
        ``not_before`` (the services pass today). Nothing may be written.
        """
        return None

    @classmethod
    def problems(cls, pact: Pact, store: Store) -> list[str]:
        """What is wrong with ``pact`` that only the store can tell, in words.

        Called on every save after ``Details`` validated (e.g. a school named
        in the details is not a member of the pact); any problem refuses the
        save. Checks that are not about one type belong in ``validate_pact``.
        """
        return []

    def report_section(self, pact: Pact, store: Store) -> ReportSection | None:
        """This type's part of the annual report for ``pact``; ``None`` for none."""
        return None

    @classmethod
    def role_problems(cls, pact: Pact) -> list[str]:
        """Role counts outside their limits, in words (checked when a pact becomes active)."""
        problems = []
        for role in cls.roles:
            count = sum(1 for m in pact.members if m.role == role.name)
            if count < role.min or (role.max is not None and count > role.max):
                problems.append(
                    _("role {role}: {count} members, needs {needed}").format(
                        role=role.label, count=count, needed=role.describe_count()
                    )
                )
        return problems

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """A JSON-ready description (``patti types --json``)."""
        schema = cls.Details.model_json_schema()
        return {
            "name": cls.name,
            "label_it": cls.label_it,
            "label_en": cls.label_en,
            "description_it": cls.description_it,
            "description_en": cls.description_en,
            "fields": schema.get("properties", {}),
            "required": schema.get("required", []),
            "definitions": schema.get("$defs", {}),  # what the fields' "$ref"s point at
            "roles": [
                {
                    "name": r.name,
                    "label_it": r.label_it,
                    "label_en": r.label_en,
                    "min": r.min,
                    "max": r.max,
                    "description": r.description,
                    "kinds": sorted(r.kinds),
                }
                for r in cls.roles
            ],
            "default_themes": list(cls.default_themes),
            "default_indicators": [i.model_dump(mode="json") for i in cls.default_indicators],
            "planner": cls.has_planner(),
        }
