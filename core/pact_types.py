"""Pact types: what a plugin adds when it teaches patti a new kind of pact.

A pact type names its own fields (a pydantic ``Details`` model validated on
every save), the roles partners play with their minimum and maximum
counts (enforced when the pact becomes active), the themes and indicators
a new pact starts with, and optionally a planner that proposes activities
and a section for the annual report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .i18n import _, bilingual
from .model import Indicator, Pact

if TYPE_CHECKING:
    from .store import Store


class NoDetails(BaseModel):
    """For pact types with no fields of their own."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Role:
    """A part partners play in a pact of this type."""

    name: str
    label_it: str
    label_en: str
    min: int = 0
    max: int | None = None
    description: str = ""

    @property
    def label(self) -> str:
        return bilingual(self.label_it, self.label_en)

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
                }
                for r in cls.roles
            ],
            "default_themes": list(cls.default_themes),
            "default_indicators": [i.model_dump(mode="json") for i in cls.default_indicators],
            "planner": cls.has_planner(),
        }
