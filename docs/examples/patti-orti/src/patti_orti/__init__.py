"""Shared community gardens (orti condivisi): a pact type for patti.

The worked example of patti's plugin tutorial (``docs/writing-plugins.md``).
A gardens pact records its plots, its water and its growing season; the
planner proposes one work day a month across the season; the checks make
sure that the partner lending the land takes part in the pact.

Plot-keepers are counted, never named: the pact holds no personal data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, ClassVar, Literal, Self

from patti.core import PactType, Plan, Role, hookimpl
from patti.core import bilingual as _t  # every text of this plugin comes in Italian and English
from patti.core.model import Indicator, Pact
from patti.core.pact_types import field_labels
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

if TYPE_CHECKING:
    from patti.core.store import Store

__all__ = ["WORKDAY", "Orti", "OrtiDetails", "register_pact_types"]

WORKDAY = "workday"
"""The kind of activity the planner proposes; applying a plan replaces the planned ones."""

WORKDAY_HOURS = (time(9, 0), time(12, 0))
"""A work day is a Saturday morning."""

SATURDAY = 5


class OrtiDetails(BaseModel):
    """What a gardens pact records beyond the common fields.

    Every field has a default, so a draft can be saved before the garden
    is measured. Unknown fields are refused: a typo is an error, and a
    list of names cannot slip in.
    """

    model_config = ConfigDict(extra="forbid")

    plots: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="How many plots the garden has.",
        json_schema_extra=field_labels("Aiuole", "Plots", help_it="Quante aiuole ha l'orto."),
    )
    area_m2: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        allow_inf_nan=False,
        description="Area in m².",
        json_schema_extra=field_labels("Superficie (m²)", "Area (m²)", help_it="Superficie in m²."),
    )
    water_source: Literal["mains", "well", "rainwater", "none"] = Field(
        default="mains",
        description="Where the water comes from.",
        json_schema_extra=field_labels(
            "Acqua",
            "Water source",
            help_it="Da dove viene l'acqua.",
            choices={
                "mains": ("Acquedotto", "Mains"),
                "well": ("Pozzo", "Well"),
                "rainwater": ("Acqua piovana", "Rainwater"),
                "none": ("Nessuna", "None"),
            },
        ),
    )
    season_start: int = Field(
        default=3,
        ge=1,
        le=12,
        description="First month of the season.",
        json_schema_extra=field_labels(
            "Inizio stagione (mese)", "Season start (month)", help_it="Primo mese della stagione."
        ),
    )
    season_end: int = Field(
        default=10,
        ge=1,
        le=12,
        description="Last month of the season.",
        json_schema_extra=field_labels(
            "Fine stagione (mese)", "Season end (month)", help_it="Ultimo mese della stagione."
        ),
    )
    plot_keepers: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="People who keep a plot: a count, never names.",
        json_schema_extra=field_labels(
            "Ortolani",
            "Plot-keepers",
            help_it="Le persone che curano un'aiuola: un numero, mai dei nomi.",
        ),
    )
    keepers_per_workday: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Plot-keepers the rota needs on each work day.",
        json_schema_extra=field_labels(
            "Ortolani per giornata",
            "Keepers per work day",
            help_it="Quanti ortolani servono in ogni giornata di cura.",
        ),
    )
    land_partner_id: int | None = Field(
        default=None,
        ge=1,
        description="The partner lending the land (a parish, a school...).",
        json_schema_extra=field_labels(
            "Chi presta il terreno",
            "Land lent by",
            help_it="Il partner che presta il terreno (una parrocchia, una scuola...).",
        ),
    )

    @model_validator(mode="after")
    def _season_in_order(self) -> Self:
        if self.season_end < self.season_start:
            raise ValueError(
                _t(
                    f"la stagione finisce (mese {self.season_end}) "
                    f"prima di cominciare (mese {self.season_start})",
                    f"the season ends (month {self.season_end}) "
                    f"before it starts (month {self.season_start})",
                )
            )
        return self


class Orti(PactType):
    """A garden shared by neighbours, looked after by one partner."""

    name = "orti"
    label_it = "Orti condivisi"
    label_en = "Shared community gardens"
    description_it = (
        "Un orto condiviso tra vicini: giornate di cura, scambio tra generazioni, "
        "un bene comune del quartiere."
    )
    description_en = (
        "A garden shared by neighbours: work days, ties between generations, "
        "a common good of the neighbourhood."
    )
    Details = OrtiDetails
    roles: ClassVar[tuple[Role, ...]] = (
        Role(
            "garden_keeper",
            "Custode dell'orto",
            "Garden keeper",
            min=1,
            max=1,
            description="The partner that looks after the garden and opens it on work days.",
        ),
        Role("partner", "Partner", "Partner", min=1),
    )
    default_themes = ("environment", "intergenerational", "active-citizenship")
    default_indicators = (
        Indicator(key="workdays", label="Giornate di cura", unit="giornate", target=8),
        Indicator(key="plots_assigned", label="Orti assegnati", unit="orti"),
        Indicator(key="plot_keepers", label="Ortolani", unit="persone"),
    )

    def plan(
        self, pact: Pact, store: Store, *, seed: int = 0, not_before: date | None = None
    ) -> Plan:
        """One work day a month across the season: the first Saturday, 9:00 to 12:00.

        Months already gone (before ``not_before``) or whose work day is done
        get none. There is nothing to break ties, so ``seed`` changes nothing.
        """
        try:
            details = OrtiDetails.model_validate(pact.details)
        except ValidationError as exc:  # saved while this plugin was not installed
            return Plan(gaps=[_t("dettagli non validi: ", "invalid details: ") + _one_line(exc)])
        keepers = [m.partner_id for m in pact.members if m.role == "garden_keeper"]
        year = pact.start.year if pact.start else pact.year
        done = _months_done(pact, store)
        activities = []
        for month in range(details.season_start, details.season_end + 1):
            day = _first_saturday(year, month)
            gone = not_before is not None and day < not_before
            if gone or day.isoformat()[:7] in done or not _within(pact, day):
                continue
            activities.append(
                {
                    "title": _t("Giornata di cura dell'orto", "Garden work day"),
                    "kind": WORKDAY,
                    "starts_at": datetime.combine(day, WORKDAY_HOURS[0]),
                    "ends_at": datetime.combine(day, WORKDAY_HOURS[1]),
                    "place_partner_id": details.land_partner_id or next(iter(keepers), None),
                    "partner_ids": keepers,
                    "audience": _t("Ortolani", "Plot-keepers"),
                    "audience_count": details.keepers_per_workday,
                }
            )
        gaps = []
        if not keepers:
            gaps.append(
                _t(
                    "nessun membro ha il ruolo di custode dell'orto: chi apre l'orto?",
                    "no member has the role garden keeper: who opens the garden?",
                )
            )
        if details.plot_keepers < details.keepers_per_workday:
            gaps.append(
                _t(
                    f"i turni chiedono {details.keepers_per_workday} ortolani per giornata, "
                    f"l'orto ne ha {details.plot_keepers}",
                    f"the rota needs {details.keepers_per_workday} plot-keepers a work day, "
                    f"the garden has {details.plot_keepers}",
                )
            )
        turns = len(activities) * details.keepers_per_workday
        each = math.ceil(turns / details.plot_keepers) if details.plot_keepers else 0
        return Plan(
            activities=activities,
            gaps=gaps,
            stats={"workdays": len(activities), "turns": turns, "turns_per_keeper": each},
            summary=[
                _t(
                    f"{len(activities)} giornate di cura; {each} turni per ortolano.",
                    f"{len(activities)} work days; {each} turns per plot-keeper.",
                )
            ],
            replaces=frozenset({WORKDAY}),
        )

    @classmethod
    def problems(cls, pact: Pact, store: Store) -> list[str]:
        """The partner lending the land must exist and be a member of the pact."""
        details = OrtiDetails.model_validate(pact.details)  # patti validated them just before
        land = details.land_partner_id
        if land is None:
            return []
        partner = store.partners.find(land)
        if partner is None:
            return [
                _t(f"terreno: nessun partner con id {land}", f"land: no partner with id {land}")
            ]
        if land not in pact.partner_ids():
            return [
                _t(
                    f"{partner.name} presta il terreno ma non è membro del patto",
                    f"{partner.name} lends the land but is not a member of the pact",
                )
            ]
        return []


def _one_line(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _first_saturday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(SATURDAY - first.weekday()) % 7)


def _within(pact: Pact, day: date) -> bool:
    """Whether ``day`` falls in the pact's period (an open end is no limit)."""
    return (pact.start is None or pact.start <= day) and (pact.end is None or day <= pact.end)


def _months_done(pact: Pact, store: Store) -> set[str]:
    """Months (``YYYY-MM``) whose work day already took place."""
    # Raw documents: reading them skips building a model for every activity in the store.
    return {
        str(doc["starts_at"])[:7]
        for _id, doc in store.activities.raw_items()
        if doc.get("pact_id") == pact.id
        and doc.get("kind") == WORKDAY
        and doc.get("status") == "done"
    }


@hookimpl
def register_pact_types(register: Callable[[type[PactType]], None]) -> None:
    """Teach patti the gardens pact type."""
    register(Orti)
