"""The general neighbourhood pact: fighting loneliness, mutual knowledge of local organisations."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from patti.core import PactType, Role, hookimpl
from patti.core.model import Indicator, Line
from patti.core.pact_types import field_labels


class CommunityTiesDetails(BaseModel):
    """What a neighbourhood pact records beyond the common fields."""

    model_config = ConfigDict(extra="forbid")

    meeting_place: Line = Field(
        default="",
        description="Where the group meets.",
        json_schema_extra=field_labels(
            "Luogo d'incontro", "Meeting place", help_it="Dove si ritrova il gruppo."
        ),
    )
    frequency: Line = Field(
        default="",
        max_length=120,
        description="How often, e.g. weekly.",
        json_schema_extra=field_labels(
            "Frequenza", "Frequency", help_it="Ogni quanto, per esempio ogni settimana."
        ),
    )
    open_to_all: bool = Field(
        default=True,
        description="Whether any inhabitant can join.",
        json_schema_extra=field_labels(
            "Aperto a tutti", "Open to all", help_it="Se qualsiasi abitante può partecipare."
        ),
    )


class CommunityTies(PactType):
    name = "community_ties"
    label_it = "Legami di comunità"
    label_en = "Community ties"
    description_it = (
        "Patto di quartiere contro la solitudine e per la conoscenza reciproca delle realtà locali."
    )
    description_en = (
        "A neighbourhood pact against loneliness and for mutual knowledge of local organisations."
    )
    Details = CommunityTiesDetails
    roles: ClassVar[tuple[Role, ...]] = (
        Role("promoter", "Promotore", "Promoter", min=0, max=2),
        Role("lead", "Capofila", "Lead partner", min=0, max=1),
        Role("partner", "Partner", "Partner", min=1),
        Role("host", "Ospitante", "Host", min=0),
    )
    default_themes = ("loneliness", "mutual-knowledge")
    default_indicators = (
        Indicator(key="meetings", label="Incontri realizzati", unit="incontri", target=10),
        Indicator(key="participants", label="Partecipanti", unit="persone", target=50),
        Indicator(key="new_ties", label="Nuove collaborazioni tra realtà", unit="legami", target=3),
    )


@hookimpl
def register_pact_types(register: Callable[[type[PactType]], None]) -> None:
    register(CommunityTies)
